import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from '@jest/globals'
import tar from 'tar-stream'
import { replayLayers } from '../../src/measure/bytes/replay.js'
import { readImageArchive } from '../../src/measure/image-archive.js'

type TarEntry = {
  name: string
  content?: string | Buffer
  type?: 'file' | 'directory' | 'symlink' | 'link'
  linkname?: string
}

async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const collected = (async (): Promise<Buffer[]> => {
    const chunks: Buffer[] = []
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk)
    return chunks
  })()
  for (const entry of entries) {
    const type = entry.type ?? 'file'
    if (type === 'file') pack.entry({ name: entry.name }, entry.content ?? '')
    else pack.entry({ name: entry.name, type, linkname: entry.linkname })
  }
  pack.finalize()
  return Buffer.concat(await collected)
}

const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')
const json = (value: unknown): string => JSON.stringify(value)

const LOWER: TarEntry[] = [
  { name: 'bin/', type: 'directory' },
  { name: 'bin/tool', content: 'x'.repeat(1000) },
  { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
  { name: 'bin/same', type: 'link', linkname: 'bin/tool' },
  { name: 'etc/', type: 'directory' },
  { name: 'etc/old.conf', content: 'old' },
  { name: 'opt/conda/', type: 'directory' },
  { name: 'opt/conda/conda-meta/', type: 'directory' },
  { name: 'opt/conda/lib.so', content: 'y'.repeat(300) },
  { name: 'data/', type: 'directory' },
  { name: 'data/a', content: 'aaaa' }
]
const UPPER: TarEntry[] = [
  { name: 'etc/.wh.old.conf' },
  { name: 'data/.wh..wh..opq' },
  { name: 'data/b', content: 'bb' },
  { name: 'usr/lib/link', type: 'symlink', linkname: '/opt/conda/lib.so' }
]

const config = (diffIds: string[]): string =>
  json({
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created_by: 'base' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN x' }],
    config: { Env: ['PATH=/opt/conda/bin:/bin', 'CONDA_DIR=/opt/conda'] }
  })

describe('reading an image archive', () => {
  it('reads the legacy layout: layer tars counted, repeated layers linked, gzip sizes computed', async () => {
    const lower = await makeTar(LOWER)
    const upper = await makeTar(UPPER)
    const cfg = config([`sha256:${sha(lower)}`, `sha256:${sha(upper)}`, `sha256:${sha(lower)}`])
    const archive = await makeTar([
      { name: 'aaa/layer.tar', content: lower },
      { name: 'bbb/layer.tar', content: upper },
      { name: 'ccc/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar' },
      { name: 'cfg.json', content: cfg },
      {
        name: 'manifest.json',
        content: json([{ Config: 'cfg.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar'] }])
      }
    ])
    const decisions: Array<string | undefined> = []
    const read = await readImageArchive(Readable.from([archive]), {
      compressLayer: (diffId) => {
        decisions.push(diffId)
        return true
      }
    })
    expect(decisions).toEqual([undefined, undefined])
    expect(read.layers.map(({ regularBytes, symlinkBytes }) => [regularBytes, symlinkBytes])).toEqual([
      [1000 + 3 + 300 + 4, 'tool'.length],
      [2, '/opt/conda/lib.so'.length],
      [1000 + 3 + 300 + 4, 'tool'.length]
    ])
    expect(read.compressedFrom).toBe('gzip')
    expect(read.layers[0].compressedBytes).toBeGreaterThan(0)
    expect(read.layers[0].compressedBytes).toBeLessThan(lower.length)
    expect(read.config.config?.Env).toContain('CONDA_DIR=/opt/conda')
  })

  it('counts the same gzip size whatever chunks the archive arrives in', async () => {
    // About 3.7 MiB of text and a repeating byte pattern: several gzip blocks, each primed with the last one's end.
    const pattern = Buffer.from(Array.from({ length: 512 * 1024 }, (_, index) => (index * 7919) % 251))
    const content = Buffer.concat([Buffer.from('line of text\n'.repeat(250_000)), pattern])
    const layer = await makeTar([{ name: 'data/big', content }])
    const archive = await makeTar([
      { name: 'aaa/layer.tar', content: layer },
      { name: 'cfg.json', content: config([`sha256:${sha(layer)}`]) },
      { name: 'manifest.json', content: json([{ Config: 'cfg.json', Layers: ['aaa/layer.tar'] }]) }
    ])
    const chunked = (size: number): Buffer[] =>
      Array.from({ length: Math.ceil(archive.length / size) }, (_, index) =>
        archive.subarray(index * size, (index + 1) * size)
      )
    const sizes = await Promise.all(
      [archive.length, 65_536, 1_048_577, 333_333].map(
        async (size) =>
          (await readImageArchive(Readable.from(chunked(size)), { compressLayer: () => true })).layers[0]
            .compressedBytes
      )
    )
    expect(new Set(sizes).size).toBe(1)
    expect(sizes[0]).toBeLessThan(layer.length / 4)
  })

  it('gives the filesystem, after whiteouts and opaque directories, to the replay of its layers', async () => {
    const lower = await makeTar(LOWER)
    const upper = await makeTar(UPPER)
    const archive = await makeTar([
      { name: 'aaa/layer.tar', content: lower },
      { name: 'bbb/layer.tar', content: upper },
      { name: 'cfg.json', content: config(['sha256:1', 'sha256:2']) },
      { name: 'manifest.json', content: json([{ Config: 'cfg.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]) }
    ])
    const read = await readImageArchive(Readable.from([archive]), { compressLayer: () => false })
    const { kept, entry } = replayLayers(read.contents.map((layer) => ({ ...layer, compressionRatio: 1 })))
    const names = kept
      .flatMap((group) => group.entries)
      .map((entry) => entry.name)
      .sort()
    expect(names).toEqual([
      'bin',
      'bin/alias',
      'bin/same',
      'bin/tool',
      'data',
      'data/b',
      'etc',
      'opt/conda',
      'opt/conda/conda-meta',
      'opt/conda/lib.so',
      'usr/lib/link'
    ])
    expect(entry('usr/lib/link')?.link).toBe('/opt/conda/lib.so')
    expect(entry('bin/tool')).toEqual({ name: 'bin/tool', size: 1000 })
    expect(read.layers.every((layer) => layer.compressedBytes === undefined)).toBe(true)
  })

  it('keeps what each layer writes and hides, and the package databases it writes up to their bound', async () => {
    const status = 'Package: gcc-12\nStatus: install ok installed\nInstalled-Size: 30000\n'
    const lower = await makeTar([...LOWER, { name: 'var/lib/dpkg/status', content: status }])
    const upper = await makeTar([...UPPER, { name: 'lib/apk/db/installed', content: Buffer.alloc(16 * 1024 ** 2 + 1) }])
    const archive = await makeTar([
      { name: 'aaa/layer.tar', content: lower },
      { name: 'bbb/layer.tar', content: upper },
      { name: 'cfg.json', content: config(['sha256:1', 'sha256:2']) },
      { name: 'manifest.json', content: json([{ Config: 'cfg.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]) }
    ])
    const read = await readImageArchive(Readable.from([archive]), { compressLayer: () => false })
    expect(read.contents.map((layer) => layer.packageDatabases)).toEqual([{ 'var/lib/dpkg/status': status }, {}])
    expect(read.contents[1]).toMatchObject({ whiteouts: ['etc/old.conf'], opaqueDirs: ['data'] })
    expect(read.contents[1].entries.map((entry) => [entry.name, entry.size])).toEqual([
      ['data/b', 2],
      ['usr/lib/link', 0],
      ['lib/apk/db/installed', 16 * 1024 ** 2 + 1]
    ])
  })

  it('takes compressed sizes from the OCI manifest when the blobs are compressed (containerd store)', async () => {
    const lower = gzipSync(await makeTar(LOWER))
    const upper = gzipSync(await makeTar(UPPER))
    const cfg = config(['sha256:1', 'sha256:2'])
    const manifest = json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(cfg)}`, size: cfg.length },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: `sha256:${sha(lower)}`,
          size: lower.length
        },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(upper)}`, size: upper.length }
      ]
    })
    const index = json({ schemaVersion: 2, manifests: [{ digest: `sha256:${sha(manifest)}`, size: manifest.length }] })
    const blobs = [lower, upper, cfg, manifest].map((content) => ({
      name: `blobs/sha256/${sha(content)}`,
      content
    }))
    const layerNames = [blobs[0].name, blobs[1].name]
    const archive = await makeTar([
      ...[...blobs].sort((a, b) => a.name.localeCompare(b.name)),
      { name: 'index.json', content: index },
      {
        name: 'manifest.json',
        content: json([{ Config: `blobs/sha256/${sha(cfg)}`, Layers: layerNames }])
      },
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' }
    ])
    const read = await readImageArchive(Readable.from([archive]), { compressLayer: () => true })
    expect(read.compressedFrom).toBe('manifest')
    expect(read.layers.map((layer) => layer.compressedBytes)).toEqual([lower.length, upper.length])
    expect(read.layers[1]).toMatchObject({ regularBytes: 2, symlinkBytes: '/opt/conda/lib.so'.length })
  })

  it('asks before compressing an uncompressed OCI blob, by the diffID its name gives', async () => {
    const lower = await makeTar(LOWER)
    const cfg = json({ rootfs: { diff_ids: [`sha256:${sha(lower)}`] }, history: [{ created_by: 'base' }] })
    const archive = await makeTar([
      { name: `blobs/sha256/${sha(lower)}`, content: lower },
      { name: `blobs/sha256/${sha(cfg)}`, content: cfg },
      {
        name: 'manifest.json',
        content: json([{ Config: `blobs/sha256/${sha(cfg)}`, Layers: [`blobs/sha256/${sha(lower)}`] }])
      }
    ])
    const asked: Array<string | undefined> = []
    const read = await readImageArchive(Readable.from([archive]), {
      compressLayer: (diffId) => {
        asked.push(diffId)
        return false
      }
    })
    expect(asked).toEqual([`sha256:${sha(lower)}`])
    expect(read.layers[0].compressedBytes).toBeUndefined()
    expect(read.compressedFrom).toBe('none')
  })

  it('counts gzip block by block within 0.5% of one gzip stream', async () => {
    const words = Array.from({ length: 400_000 }, (_, index) => `line ${index} ${(index * 7919) % 1000}\n`).join('')
    const lower = await makeTar([{ name: 'data.txt', content: words }])
    const archive = await makeTar([
      { name: 'aaa/layer.tar', content: lower },
      { name: 'cfg.json', content: config(['sha256:1']) },
      { name: 'manifest.json', content: json([{ Config: 'cfg.json', Layers: ['aaa/layer.tar'] }]) }
    ])
    const read = await readImageArchive(Readable.from([archive]), { compressLayer: () => true })
    const oneStream = gzipSync(lower, { level: 6 }).length
    expect(lower.length).toBeGreaterThan(4 * 1024 * 1024)
    expect(Math.abs(read.layers[0].compressedBytes! - oneStream) / oneStream).toBeLessThan(0.005)
  })

  it('reads an image config of any size, and tells it from a layer by its content, not its size', async () => {
    const lower = await makeTar(LOWER)
    const empty = await makeTar([])
    const labels = Object.fromEntries(Array.from({ length: 90 }, (_, index) => [`l${index}`, 'x'.repeat(60_000)]))
    const cfg = json({
      rootfs: { diff_ids: [`sha256:${sha(lower)}`, `sha256:${sha(empty)}`] },
      history: [{ created_by: 'base' }, { created_by: 'WORKDIR /w' }],
      config: { Labels: labels }
    })
    expect(cfg.length).toBeGreaterThan(5 * 1024 * 1024)
    const archive = await makeTar([
      { name: `blobs/sha256/${sha(lower)}`, content: lower },
      { name: `blobs/sha256/${sha(empty)}`, content: empty },
      { name: `blobs/sha256/${sha(cfg)}`, content: cfg },
      {
        name: 'manifest.json',
        content: json([
          { Config: `blobs/sha256/${sha(cfg)}`, Layers: [`blobs/sha256/${sha(lower)}`, `blobs/sha256/${sha(empty)}`] }
        ])
      }
    ])
    const read = await readImageArchive(Readable.from([archive]), { compressLayer: () => false })
    expect(Object.keys((read.config.config as { Labels?: object }).Labels ?? {})).toHaveLength(90)
    expect(read.layers.map((layer) => layer.regularBytes)).toEqual([1307, 0])
  })

  it('says what is missing from a broken archive', async () => {
    const archive = await makeTar([{ name: 'cfg.json', content: '{}' }])
    await expect(readImageArchive(Readable.from([archive]), { compressLayer: () => true })).rejects.toThrow(
      'no manifest.json'
    )
  })
})
