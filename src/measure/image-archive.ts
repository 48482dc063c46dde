/**
 * Reads an image archive (`docker save`, `GET /images/{id}/get`) in one pass: every layer's content counted the way
 * the classic image store counts it, its compressed size, and what each layer writes and hides.
 * Handles the legacy layout (Docker ≤ 24: `<id>/layer.tar`, uncompressed), the OCI layout of the classic store
 * (Docker 25+: uncompressed blobs) and the containerd store's (the compressed blobs it keeps).
 */
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import tar from 'tar-stream'
import {
  INSTALLER_LIMIT,
  isInstallerFile,
  isLanguageMetadata,
  LANGUAGE_METADATA_LIMIT,
  languagePackageOf,
  type LanguagePackage
} from './bytes/language-packages.js'
import { PACKAGE_DATABASE_LIMIT, PACKAGE_DATABASES } from './bytes/package-db.js'

export interface FilesystemEntry {
  /** Path without the leading slash. */
  name: string
  size: number
  /** A symbolic link's target, as stored. */
  link?: string
}

export interface ArchiveLayer {
  /** Regular files' bytes; hard links count once, as the file they link to. */
  regularBytes: number
  /** The lengths of symbolic links' targets (what `lstat` reports as their size). */
  symlinkBytes: number
  /** The compressed blob's size: as stored, or counted by gzip when the archive holds the layer uncompressed. */
  compressedBytes?: number
}

export interface ImageConfig {
  history?: Array<{ created_by?: string; empty_layer?: boolean }>
  rootfs?: { diff_ids?: string[] }
  config?: { Env?: string[] }
}

export interface ImageArchive {
  config: ImageConfig
  /** In `rootfs.diff_ids` order, base-most first. */
  layers: ArchiveLayer[]
  /** Where the compressed sizes came from: the image manifest's layer descriptors, or gzip. */
  compressedFrom: 'manifest' | 'gzip' | 'none'
  /** What each layer writes and hides, in `layers` order. */
  contents: LayerContent[]
}

export interface LayerContent {
  entries: FilesystemEntry[]
  /** Paths the layer deletes from the layers below. */
  whiteouts: string[]
  /** Directories whose content in the layers below the layer hides. */
  opaqueDirs: string[]
  /** The package databases the layer writes (dpkg's status, apk's installed), by path, when not too large to read. */
  packageDatabases: Record<string, string>
  /**
   * The Python and conda packages whose metadata the layer writes, by the metadata file's path; null where the layer
   * writes a metadata file that cannot be read (too large, or not what the installer writes).
   */
  languagePackages: Record<string, LanguagePackage | null>
  /** The wheels' INSTALLER files the layer writes (`pip`, `uv`, `conda`), by path. */
  installers: Record<string, string>
}

export interface ReadOptions {
  /**
   * Whether to gzip an uncompressed layer to learn its compressed size; `diffId` is known for OCI-layout blobs
   * (their name) and undefined for the legacy layout. Return false for layers whose size is already known.
   */
  compressLayer: (diffId: string | undefined) => boolean
}

/** gzip at the level `docker push` uses (Go's default compression, level 6). */
const GZIP_LEVEL = 6
/**
 * The largest JSON document read (an image config, a manifest, an index). A config holds every label and each
 * instruction's text: engines build and export configs of tens of megabytes (Docker 28 one of 72 MB, from 36 MB of
 * LABELs). The bound keeps the text within what one V8 string holds (2^29 - 24 characters).
 */
const JSON_LIMIT = 256 * 1024 * 1024
const GZIP_MAGIC = [0x1f, 0x8b]
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd]
/** An uncompressed layer is a tar archive: POSIX and GNU headers carry `ustar` at offset 257. */
const TAR_MAGIC_OFFSET = 257
const TAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72]
const TAR_HEADER = 512

type BlobLayer = ArchiveLayer & LayerContent

const startsWith = (bytes: Buffer, magic: number[], offset = 0): boolean =>
  magic.every((byte, index) => bytes[offset + index] === byte)

/**
 * A layer, compressed or not, by its first bytes (an empty one is a tar's end: zeros), whatever its size; anything
 * else in the archive is JSON or ignored.
 */
function isLayer(head: Buffer): boolean {
  return (
    startsWith(head, GZIP_MAGIC) ||
    startsWith(head, ZSTD_MAGIC) ||
    startsWith(head, TAR_MAGIC, TAR_MAGIC_OFFSET) ||
    (head.length >= TAR_HEADER && head.subarray(0, TAR_HEADER).every((byte) => byte === 0))
  )
}

export async function readImageArchive(archive: Readable, options: ReadOptions): Promise<ImageArchive> {
  const json = new Map<string, unknown>()
  const blobs = new Map<string, BlobLayer>()
  const aliases = new Map<string, string>()
  const extract = tar.extract()
  const handle = async (header: tar.Header, body: AsyncIterable<Buffer>): Promise<void> => {
    const name = header.name.replace(/^\.\//, '')
    if (header.type === 'symlink' && header.linkname) aliases.set(name, resolveLink(name, header.linkname))
    if (header.type !== 'file') {
      for await (const chunk of body) void chunk
      return
    }
    const blob = await readBlob(name, header.size ?? 0, body, options)
    if (blob.kind === 'json') json.set(name, blob.value)
    else if (blob.kind === 'layer') blobs.set(name, blob.layer)
  }
  extract.on('entry', (header, body, next) => {
    handle(header, body as unknown as AsyncIterable<Buffer>).then(
      () => next(),
      (error: Error) => extract.destroy(error)
    )
  })
  await pipeline(archive, extract)
  return assemble(json, blobs, aliases)
}

/** Legacy archives link a repeated layer to its first copy: `../<id>/layer.tar`. */
function resolveLink(name: string, target: string): string {
  const parts = name.split('/').slice(0, -1)
  for (const part of target.split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '.') parts.push(part)
  }
  return parts.join('/')
}

type Blob = { kind: 'json'; value: unknown } | { kind: 'layer'; layer: BlobLayer } | { kind: 'other' }

async function readBlob(name: string, size: number, body: AsyncIterable<Buffer>, options: ReadOptions): Promise<Blob> {
  const chunks = body[Symbol.asyncIterator]()
  const first: Buffer[] = []
  let ended = false
  while (Buffer.concat(first).length < TAR_HEADER && !ended) {
    const chunk = await chunks.next()
    if (chunk.done) ended = true
    else first.push(chunk.value)
  }
  const head = Buffer.concat(first)
  if (!head.length) return { kind: 'other' }
  const rest = (async function* (): AsyncGenerator<Buffer> {
    yield head
    for (let chunk = await chunks.next(); !chunk.done; chunk = await chunks.next()) yield chunk.value
  })()
  if (!isLayer(head) && size <= JSON_LIMIT && (head[0] === 0x7b || head[0] === 0x5b)) {
    const parts: Buffer[] = []
    for await (const chunk of rest) parts.push(chunk)
    try {
      return { kind: 'json', value: JSON.parse(Buffer.concat(parts).toString('utf8')) }
    } catch {
      return { kind: 'other' }
    }
  }
  if (!isLayer(head) || (!name.endsWith('/layer.tar') && !name.startsWith('blobs/'))) {
    for await (const chunk of rest) void chunk
    return { kind: 'other' }
  }
  const compressed = startsWith(head, GZIP_MAGIC) || startsWith(head, ZSTD_MAGIC)
  const diffId = name.startsWith('blobs/') && !compressed ? name.replace(/^blobs\/([^/]+)\//, '$1:') : undefined
  return {
    kind: 'layer',
    layer: await countLayer(rest, head, compressed ? size : undefined, options.compressLayer(diffId))
  }
}

function decompressorFor(head: Buffer): Transform | undefined {
  if (startsWith(head, GZIP_MAGIC)) return zlib.createGunzip()
  if (!startsWith(head, ZSTD_MAGIC)) return undefined
  const zstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress
  if (!zstd)
    throw new Error(`this Node.js (${process.version}) cannot read zstd-compressed layers; use Node.js 22.15 or later`)
  return zstd()
}

async function countLayer(
  source: AsyncIterable<Buffer>,
  head: Buffer,
  storedCompressedBytes: number | undefined,
  compress: boolean
): Promise<BlobLayer> {
  const layer: BlobLayer = {
    regularBytes: 0,
    symlinkBytes: 0,
    entries: [],
    whiteouts: [],
    opaqueDirs: [],
    packageDatabases: {},
    languagePackages: {},
    installers: {}
  }
  if (storedCompressedBytes !== undefined) layer.compressedBytes = storedCompressedBytes
  const extract = tar.extract()
  extract.on('entry', (header, body, next) => {
    const name = header.name.replace(/^\.?\/+/, '').replace(/\/+$/, '')
    const base = name.slice(name.lastIndexOf('/') + 1)
    const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : ''
    if (base === '.wh..wh..opq') layer.opaqueDirs.push(dir)
    else if (base.startsWith('.wh.')) layer.whiteouts.push(dir ? `${dir}/${base.slice(4)}` : base.slice(4))
    else if (header.type === 'file' || header.type === 'contiguous-file') {
      layer.regularBytes += header.size ?? 0
      layer.entries.push({ name, size: header.size ?? 0 })
    } else if (header.type === 'symlink') {
      layer.symlinkBytes += Buffer.byteLength(header.linkname ?? '')
      layer.entries.push({ name, size: 0, link: header.linkname ?? '' })
    } else layer.entries.push({ name, size: 0 })
    const regular = header.type === 'file' || header.type === 'contiguous-file'
    const read = regular ? metadataReader(layer, name, header.size ?? 0) : undefined
    if (read) {
      const parts: Buffer[] = []
      body.on('data', (chunk) => void parts.push(chunk as Buffer))
      body.on('end', () => {
        read(Buffer.concat(parts).toString('utf8'))
        next()
      })
    } else {
      body.on('end', next)
      body.resume()
    }
  })
  const steps: NodeJS.ReadWriteStream[] = []
  let counted: Promise<number> | undefined
  if (compress && storedCompressedBytes === undefined) {
    const { tee, size } = gzipCounter()
    steps.push(tee)
    counted = size
  }
  const decompress = decompressorFor(head)
  if (decompress) steps.push(decompress)
  await pipeline([Readable.from(source), ...steps, extract as unknown as NodeJS.WritableStream])
  if (counted) layer.compressedBytes = await counted
  return layer
}

/** What keeps a package database's or a package metadata file's text, within their bounds; undefined otherwise. */
function metadataReader(layer: BlobLayer, name: string, size: number): ((text: string) => void) | undefined {
  if (PACKAGE_DATABASES.includes(name))
    return size <= PACKAGE_DATABASE_LIMIT ? (text) => void (layer.packageDatabases[name] = text) : undefined
  if (isInstallerFile(name))
    return size <= INSTALLER_LIMIT ? (text) => void (layer.installers[name] = text.trim()) : undefined
  if (!isLanguageMetadata(name)) return undefined
  if (size > LANGUAGE_METADATA_LIMIT) {
    layer.languagePackages[name] = null
    return undefined
  }
  return (text) => {
    let found: LanguagePackage | undefined
    try {
      found = languagePackageOf(name, text)
    } catch {
      found = undefined
    }
    layer.languagePackages[name] = found ?? null
  }
}

/** Blocks compressed at once, each primed with the end of the one before, as pigz does. */
const GZIP_BLOCK = 1024 * 1024
const GZIP_WINDOW = 32 * 1024
const GZIP_IN_FLIGHT = 4
/** gzip's header and trailer around the deflate stream. */
const GZIP_FRAME = 18
const deflateRaw = promisify(zlib.deflateRaw)

/**
 * Passes bytes through unchanged while counting what gzip makes of them. The stream is cut into blocks compressed in
 * parallel, each with the previous block's last 32 KiB as its dictionary: the size stays within 0.5% of one
 * gzip stream's (pigz's method), on every core the machine has.
 */
function gzipCounter(): { tee: Transform; size: Promise<number> } {
  let bytes = GZIP_FRAME
  let pending: Buffer[] = []
  let pendingBytes = 0
  let previous: Buffer | undefined
  const inFlight: Promise<void>[] = []
  const compress = async (block: Buffer): Promise<void> => {
    const options = {
      level: GZIP_LEVEL,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(previous ? { dictionary: previous.subarray(Math.max(0, previous.length - GZIP_WINDOW)) } : {})
    }
    previous = block
    const job = deflateRaw(block, options).then((out) => void (bytes += out.length))
    // Awaited later (in order, or all at the end): a failure before then must not count as unhandled.
    job.catch(() => undefined)
    inFlight.push(job)
    if (inFlight.length >= GZIP_IN_FLIGHT) await inFlight.shift()
  }
  // Blocks start at fixed offsets, whatever sizes the stream's chunks come in: the count is the same every time.
  const compressFullBlocks = async (): Promise<void> => {
    if (pendingBytes < GZIP_BLOCK) return
    let joined = Buffer.concat(pending)
    for (; joined.length >= GZIP_BLOCK; joined = joined.subarray(GZIP_BLOCK)) {
      await compress(joined.subarray(0, GZIP_BLOCK))
    }
    pending = joined.length ? [joined] : []
    pendingBytes = joined.length
  }
  let done: (value: number) => void = () => undefined
  let failed: (error: Error) => void = () => undefined
  const size = new Promise<number>((resolve, reject) => {
    done = resolve
    failed = reject
  })
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending.push(chunk)
      pendingBytes += chunk.length
      if (pendingBytes < GZIP_BLOCK) callback(null, chunk)
      else compressFullBlocks().then(() => callback(null, chunk), callback)
    },
    flush(callback) {
      const last = pendingBytes ? compress(Buffer.concat(pending)) : Promise.resolve()
      last
        .then(() => Promise.all(inFlight))
        .then(() => done(bytes), failed)
        .finally(() => callback())
    }
  })
  return { tee, size }
}

interface ManifestEntry {
  Config: string
  Layers: string[]
}

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: { os?: string; architecture?: string }
}

const COMPRESSED_LAYER = /(gzip|zstd)$/

function assemble(
  json: Map<string, unknown>,
  blobs: Map<string, BlobLayer>,
  aliases: Map<string, string>
): ImageArchive {
  const manifests = json.get('manifest.json') as ManifestEntry[] | undefined
  const entry = manifests?.[0]
  if (!entry) throw new Error('the image archive has no manifest.json')
  const config = json.get(entry.Config) as ImageConfig | undefined
  if (!config) throw new Error(`the image archive lacks its config ${entry.Config}`)
  const layers = entry.Layers.map((layerPath) => {
    const blob = blobs.get(aliases.get(layerPath) ?? layerPath)
    if (!blob) throw new Error(`the image archive lacks the layer ${layerPath}`)
    return blob
  })
  const descriptors = manifestLayers(json, entry.Config)
  const fromManifest =
    !!descriptors?.length && descriptors.every((layer) => COMPRESSED_LAYER.test(layer.mediaType ?? ''))
  const withSizes: ArchiveLayer[] = layers.map((layer, index) => ({
    regularBytes: layer.regularBytes,
    symlinkBytes: layer.symlinkBytes,
    ...(fromManifest
      ? { compressedBytes: descriptors[index].size }
      : layer.compressedBytes !== undefined
        ? { compressedBytes: layer.compressedBytes }
        : {})
  }))
  return {
    config,
    layers: withSizes,
    compressedFrom: fromManifest
      ? 'manifest'
      : withSizes.some((layer) => layer.compressedBytes !== undefined)
        ? 'gzip'
        : 'none',
    contents: layers.map(({ entries, whiteouts, opaqueDirs, packageDatabases, languagePackages, installers }) => ({
      entries,
      whiteouts,
      opaqueDirs,
      packageDatabases,
      languagePackages,
      installers
    }))
  }
}

/** The OCI image manifest whose config is `configPath` (`blobs/sha256/<hex>`), found through index.json. */
function manifestLayers(json: Map<string, unknown>, configPath: string): Descriptor[] | undefined {
  const index = json.get('index.json') as { manifests?: Descriptor[] } | undefined
  const blob = (descriptor: Descriptor): unknown => json.get(`blobs/${descriptor.digest.replace(':', '/')}`)
  const pending = [...(index?.manifests ?? [])]
  while (pending.length) {
    const descriptor = pending.shift()!
    const document = blob(descriptor) as
      { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] } | undefined
    if (document?.manifests) pending.push(...document.manifests)
    else if (document?.config && `blobs/${document.config.digest.replace(':', '/')}` === configPath)
      return document.layers
  }
  return undefined
}
