/** The one place that talks to the Docker Engine API, through dockerode. Everything else uses the small `Engine` interface. */
import type { Readable } from 'node:stream'
import Docker from 'dockerode'
import { contextWithDockerfile, packContext } from './build-context.js'
import type { ImageStore } from './types.js'

export interface EngineInfo {
  version: string
  apiVersion: string
  store: ImageStore
  os: string
  arch: string
}

export interface BuildRequest {
  /** Absolute path of the build context. */
  contextDir: string
  /** Dockerfile path relative to the context, POSIX; it may lie outside the context (`../docker/app.Dockerfile`). */
  dockerfile: string
  tag: string
  target?: string
  buildArgs: Record<string, string>
  platform?: string
  noCache: boolean
  timeoutSeconds: number
  /** Receives each decoded log line as it arrives (untrusted text). */
  onLog: (line: string) => void
}

export type BuildOutcome = { ok: true; imageId: string } | { ok: false; error: string }

export interface HistoryEntry {
  createdBy: string
  sizeBytes: number
}

export interface ImageSize {
  sizeBytes: number
  sizeSource: string
  platform: string
}

export interface Engine {
  info(): Promise<EngineInfo>
  build(request: BuildRequest): Promise<BuildOutcome>
  imageSize(imageId: string, store: ImageStore, tag: string): Promise<ImageSize>
  history(imageId: string): Promise<HistoryEntry[]>
  imageEnv(imageId: string): Promise<string[]>
  /** The image's root filesystem as a tar stream; `done` releases what was created to read it. */
  exportFilesystem(imageId: string): Promise<{ tar: Readable; done: () => Promise<void> }>
  removeImage(imageIdOrTag: string): Promise<void>
}

export class EngineUnreachableError extends Error {
  constructor(cause: string) {
    const where = process.env.DOCKER_HOST
      ? `DOCKER_HOST=${process.env.DOCKER_HOST}`
      : 'the default socket /var/run/docker.sock (DOCKER_HOST is not set)'
    super(
      `cannot reach a Docker engine at ${where}: ${cause}. Start one (GitHub-hosted Ubuntu runners have it running; locally start Docker or dockerd, ` +
        `or run 'npm run provision' as root on Debian) or point DOCKER_HOST at it.`
    )
    this.name = 'EngineUnreachableError'
  }
}

const UNREACHABLE_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND'
])

export function createEngine(docker: Docker = new Docker()): Engine {
  return {
    info: () => readInfo(docker),
    build: (request) => build(docker, request),
    imageSize: (imageId, store, tag) => imageSize(docker, imageId, store, tag),
    async history(imageId) {
      const entries = (await docker.getImage(imageId).history()) as Array<{ CreatedBy: string; Size: number }>
      return entries.reverse().map((entry) => ({ createdBy: entry.CreatedBy ?? '', sizeBytes: entry.Size }))
    },
    async imageEnv(imageId) {
      const inspected = await docker.getImage(imageId).inspect()
      return inspected.Config?.Env ?? []
    },
    async exportFilesystem(imageId) {
      const container = await docker.createContainer({ Image: imageId, Cmd: ['/slimcheck-inspect'], Entrypoint: [] })
      const done = (): Promise<void> => container.remove({ force: true }).then(() => undefined)
      try {
        return { tar: (await container.export()) as unknown as Readable, done }
      } catch (error) {
        await done().catch(() => undefined)
        throw error
      }
    },
    async removeImage(imageIdOrTag) {
      // Not forced: an image another tag (the other side's identical build) still names stays.
      await docker.getImage(imageIdOrTag).remove({ force: false, noprune: false })
    }
  }
}

async function readInfo(docker: Docker): Promise<EngineInfo> {
  type Info = { DriverStatus?: [string, string][]; Driver?: string; OSType?: string; Architecture?: string }
  let info: Info
  let version: { Version: string; ApiVersion: string }
  try {
    ;[info, version] = await Promise.all([docker.info() as Promise<Info>, docker.version()])
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code && UNREACHABLE_CODES.has(code)) throw new EngineUnreachableError(`${code} ${(error as Error).message}`)
    throw error
  }
  return {
    version: version.Version,
    apiVersion: version.ApiVersion,
    store: imageStoreOf(info),
    os: info.OSType ?? 'linux',
    arch: info.Architecture ?? 'unknown'
  }
}

/** Docker 24+ with the containerd image store reports `driver-type: io.containerd.snapshotter.v1` in DriverStatus. */
export function imageStoreOf(info: { DriverStatus?: [string, string][]; Driver?: string }): ImageStore {
  const driverType = info.DriverStatus?.find(([key]) => key === 'driver-type')?.[1] ?? ''
  return driverType.startsWith('io.containerd.snapshotter') ? 'containerd' : 'overlay2'
}

async function build(docker: Docker, request: BuildRequest): Promise<BuildOutcome> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), request.timeoutSeconds * 1000)
  const timedOut: BuildOutcome = {
    ok: false,
    error: `build timed out after ${request.timeoutSeconds} s (build-timeout)`
  }
  try {
    const { entries, dockerfile } = contextWithDockerfile(request.contextDir, request.dockerfile)
    const context = packContext(request.contextDir, entries)
    const stream = await docker.buildImage(context, {
      t: request.tag,
      dockerfile,
      target: request.target ?? '',
      buildargs: request.buildArgs,
      platform: request.platform ?? '',
      nocache: request.noCache,
      rm: true,
      forcerm: true,
      version: '2',
      abortSignal: abort.signal
    } as Docker.ImageBuildOptions)
    const outcome = await followBuild(docker, stream, request.onLog)
    if (abort.signal.aborted) return timedOut
    if (outcome.error) return { ok: false, error: outcome.error }
    // The id the build stream reported is this build's image even when another job reuses the tag on a shared engine.
    return { ok: true, imageId: outcome.imageId ?? (await docker.getImage(request.tag).inspect()).Id }
  } catch (error) {
    if (abort.signal.aborted) return timedOut
    const code = (error as NodeJS.ErrnoException).code
    if (code && UNREACHABLE_CODES.has(code)) throw new EngineUnreachableError(`${code} ${(error as Error).message}`)
    return { ok: false, error: describeEngineError(error) }
  } finally {
    clearTimeout(timer)
  }
}

type BuildEvent = { stream?: string; error?: string; errorDetail?: { message?: string } }

/** dockerode 5's BuildKit-aware progress follower, missing from @types/dockerode 4. */
interface FollowsProgress {
  followProgress(
    stream: NodeJS.ReadableStream,
    onFinished: (error: Error | null) => void,
    onProgress: (event: BuildEvent) => void
  ): void
}

const BUILT_IMAGE = /^Built image: (sha256:[0-9a-f]{64})$/

/** The engine reports a failed build inside a 200 stream: the outcome carries its error message, or the built image id. */
function followBuild(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLog: (line: string) => void
): Promise<{ error?: string; imageId?: string }> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined
    let imageId: string | undefined
    ;(docker as unknown as FollowsProgress).followProgress(
      stream,
      (error: Error | null) => (error && !failure ? reject(error) : resolve({ error: failure, imageId })),
      (event) => {
        if (event.error || event.errorDetail) {
          failure = event.errorDetail?.message || event.error
          onLog(`ERROR: ${failure}`)
        }
        for (const line of decodeBuildLines(event.stream ?? '')) {
          imageId = BUILT_IMAGE.exec(line)?.[1] ?? imageId
          onLog(line)
        }
      }
    )
  })
}

const BASE64_LINE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * dockerode turns BuildKit's protobuf trace into text lines, but hands vertex logs and warnings over still base64-encoded.
 * Vertex lines (`[sha256:…] RUN …`), errors and progress always contain a space or bracket, which base64 never does,
 * so a line made only of base64 characters is a log message to decode.
 */
export function decodeBuildLines(text: string): string[] {
  const lines: string[] = []
  for (const raw of text.split('\n')) {
    if (!raw) continue
    const warning = /^WARNING: (\S+)$/.exec(raw)
    if (warning && BASE64_LINE.test(warning[1])) lines.push(...splitLines(`WARNING: ${decodeBase64(warning[1])}`))
    else if (BASE64_LINE.test(raw)) lines.push(...splitLines(decodeBase64(raw)))
    else lines.push(raw)
  }
  return lines
}

function decodeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8')
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0)
}

function describeEngineError(error: unknown): string {
  const withJson = error as { json?: { message?: string }; statusCode?: number; message?: string }
  const message = withJson.json?.message ?? withJson.message ?? String(error)
  return withJson.statusCode ? `engine answered ${withJson.statusCode}: ${message}` : message
}

interface ManifestSummary {
  Kind?: string
  ImageData?: { Platform?: { os?: string; architecture?: string; variant?: string }; Size?: { Unpacked?: number } }
}

async function imageSize(docker: Docker, imageId: string, store: ImageStore, tag: string): Promise<ImageSize> {
  const inspected = await docker.getImage(imageId).inspect()
  const platform = [inspected.Os, inspected.Architecture, (inspected as { Variant?: string }).Variant]
    .filter(Boolean)
    .join('/')
  if (store === 'overlay2') {
    return {
      sizeBytes: inspected.Size,
      sizeSource: 'Size from GET /images/{id}/json (classic image store: unpacked layers)',
      platform
    }
  }
  const summaries = (await docker.listImages({
    manifests: true,
    filters: JSON.stringify({ reference: [tag] })
  } as Docker.ListImagesOptions)) as Array<{
    Id: string
    Manifests?: ManifestSummary[]
  }>
  const summary = summaries.find((image) => image.Id === imageId) ?? summaries[0]
  return unpackedSizeForPlatform(
    summary?.Manifests ?? [],
    inspected.Os,
    inspected.Architecture,
    inspected.Size,
    platform
  )
}

/** With the containerd image store, `Size` covers content for all platforms; the unpacked size of one platform is per manifest. */
export function unpackedSizeForPlatform(
  manifests: ManifestSummary[],
  os: string,
  arch: string,
  fallback: number,
  platform: string
): ImageSize {
  const match = manifests.find(
    (manifest) =>
      manifest.Kind === 'image' &&
      manifest.ImageData?.Platform?.os === os &&
      manifest.ImageData?.Platform?.architecture === arch
  )
  const unpacked = match?.ImageData?.Size?.Unpacked
  if (typeof unpacked === 'number') {
    return {
      sizeBytes: unpacked,
      sizeSource: `ImageData.Size.Unpacked for ${os}/${arch} from GET /images/json?manifests=1 (containerd image store)`,
      platform
    }
  }
  return {
    sizeBytes: fallback,
    sizeSource: 'Size from GET /images/{id}/json (containerd image store; no per-platform unpacked size was reported)',
    platform
  }
}
