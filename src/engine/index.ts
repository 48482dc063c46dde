/**
 * The one place that talks to the Docker Engine API, through dockerode. Everything else uses the small `Engine`
 * interface.
 */
import http from 'node:http'
import https from 'node:https'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Docker from 'dockerode'
import type { ImageStore } from '../types.js'
import { runBuild, type BuildOutcome, type BuildRequest } from './buildkit.js'
import { loadRegistryCredentials, RegistryCredentialsError, type RegistryCredentials } from './credentials.js'
import { dial } from './dial.js'
import { exportErrorGuard } from './export-error.js'
import { pullImage, type PullResult } from './pull.js'

export type { BuildOutcome, BuildRequest } from './buildkit.js'
export { PullError, type PullResult } from './pull.js'

export interface EngineInfo {
  version: string
  apiVersion: string
  store: ImageStore
  os: string
  arch: string
}

export interface ImageDetails {
  id: string
  /** `os/arch[/variant]` of the image config. */
  platform: string
  /** `rootfs.diff_ids`, base-most first. */
  diffIds: string[]
  /** The engine's own size figure and the field it came from. */
  engineReported: { sizeBytes: number; source: string }
}

export interface HistoryEntry {
  createdBy: string
  /** The layer size the engine stores for this entry (block-rounded disk usage on the containerd store). */
  sizeBytes: number
}

export interface Engine {
  info(): Promise<EngineInfo>
  build(request: BuildRequest): Promise<BuildOutcome>
  inspectImage(imageId: string, store: ImageStore, tag: string): Promise<ImageDetails>
  history(imageId: string): Promise<HistoryEntry[]>
  /**
   * `GET /images/{id}/get`: the image as a tar archive (`docker save`), for the built platform only where the API
   * allows.
   */
  saveImage(imageId: string, platform: string): Promise<Readable>
  removeImage(imageIdOrTag: string): Promise<void>
  /**
   * What a build would use for an image reference: the local image's id when the engine has it (builds do not pull
   * it again), else the registry's digest (`GET /distribution/{name}/json`, which pulls nothing); undefined when
   * neither answers.
   */
  imageIdentity(reference: string): Promise<string | undefined>
  /**
   * Whether the engine holds an image by this reference, for `platform` when one is named (a build uses it without
   * pulling).
   */
  hasImage(reference: string, platform?: string): Promise<boolean>
  /** The ONBUILD triggers of an image the engine holds (`[]` for none); undefined when it does not hold it. */
  imageOnBuild(reference: string): Promise<string[] | undefined>
  /**
   * Pulls an image for a platform with the registry's credentials, within `timeoutSeconds`; a refused or failed pull
   * rejects with a `PullError`.
   */
  pullImage(reference: string, platform: string | undefined, timeoutSeconds: number): Promise<PullResult>
  /** The ids of the build cache's records. */
  buildCacheIds(): Promise<string[]>
  /**
   * Removes every build cache record not in `before` (the ids listed earlier): how many the engine removed, and how
   * many it kept (records in use, and those that records in `before` were built on).
   */
  pruneBuildCacheSince(before: Set<string>): Promise<{ removed: number; kept: number }>
}

/** A wait on the engine that ended at its time limit. */
export class EngineTimeoutError extends Error {
  constructor(what: string, seconds: number) {
    super(`the Docker engine at ${engineAddress()} did not answer ${what} within ${seconds} s`)
    this.name = 'EngineTimeoutError'
  }
}

export class EngineUnreachableError extends Error {
  constructor(cause: string) {
    super(
      `cannot reach a Docker engine at ${engineAddress()}: ${cause}. Start one (GitHub-hosted Ubuntu runners have it ` +
        `running; locally start Docker or dockerd, or run 'npm run provision' as root on Debian) or point DOCKER_HOST at it.`
    )
    this.name = 'EngineUnreachableError'
  }
}

export function engineAddress(): string {
  return process.env.DOCKER_HOST
    ? `DOCKER_HOST=${process.env.DOCKER_HOST}`
    : 'the default socket /var/run/docker.sock (DOCKER_HOST is not set)'
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

/** Time limit of every engine call but builds (`build-timeout`) and image exports (limited by silence). */
export const ENGINE_CALL_SECONDS = 60
/** A registry lookup for the fingerprint waits this long before the image counts as unresolvable. */
const REGISTRY_SECONDS = 15
/** Build cache records removed at once. */
const PRUNE_CONCURRENCY = 8
/** An image export that sends nothing for this long has stalled. */
const EXPORT_IDLE_SECONDS = 120

/** The client for every call but builds, the time limit of those calls, and the registries' credentials. */
interface Client {
  docker: Docker
  callSeconds: number
  credentials: RegistryCredentials
}

/** Runs one engine call with a time limit; connection failures become `EngineUnreachableError`. */
async function limited<T>(
  client: Client,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
  seconds = client.callSeconds
): Promise<T> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), seconds * 1000)
  try {
    return await call(abort.signal)
  } catch (error) {
    if (abort.signal.aborted) throw new EngineTimeoutError(what, seconds)
    throw unreachableOr(error)
  } finally {
    clearTimeout(timer)
  }
}

export function unreachableOr(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  return code && UNREACHABLE_CODES.has(code) ? new EngineUnreachableError(`${code} ${(error as Error).message}`) : error
}

/**
 * `docker` makes every call but builds. Builds get a client of their own that opens a fresh connection for every
 * request and closes it afterwards, as the Docker CLI does: a streamed build context on a kept-alive connection can
 * stall or arrive corrupted (apocas/docker-modem#196).
 */
export function createEngine(
  options: Docker.DockerOptions = {},
  { callSeconds = ENGINE_CALL_SECONDS, credentials }: { callSeconds?: number; credentials?: RegistryCredentials } = {}
): Engine {
  const docker = new Docker(options)
  const registries = credentials ? { credentials } : readCredentials()
  const client: Client = { docker, callSeconds, credentials: registries.credentials }
  // docker-modem takes `agent` and `headers`, which @types/dockerode leaves out.
  const Agent = (docker.modem as { protocol?: string }).protocol === 'https' ? https.Agent : http.Agent
  const builds = new Docker({
    ...options,
    agent: new Agent({ keepAlive: false }),
    headers: { Connection: 'close' }
  } as Docker.DockerOptions)
  let info: EngineInfo | undefined
  return {
    async info() {
      if (registries.problem) throw registries.problem
      info = await readInfo(client)
      return info
    },
    build: (request) =>
      runBuild(builds, request, {
        version: info?.version ?? 'unknown',
        apiVersion: info?.apiVersion,
        credentials: client.credentials,
        fetchesContext: contextMustBeFetched(info)
      }),
    inspectImage: (imageId, store, tag) => inspectImage(client, imageId, store, tag),
    async history(imageId) {
      const entries = await get<Array<{ CreatedBy?: string; Size: number }>>(client, `/images/${imageId}/history`)
      return entries.reverse().map((entry) => ({ createdBy: entry.CreatedBy ?? '', sizeBytes: entry.Size }))
    },
    saveImage: (imageId, platform) => saveImage(client, imageId, platform, info),
    async removeImage(imageIdOrTag) {
      // Not forced: an image another tag still names, or a container uses, stays (409). One already gone is fine.
      await limited(client, `DELETE /images/${imageIdOrTag}`, (abortSignal) =>
        dial(client.docker, {
          path: `/images/${encodeURIComponent(imageIdOrTag)}?`,
          method: 'DELETE',
          options: { force: false, noprune: false },
          abortSignal,
          statusCodes: { 200: true, 404: true, 409: true, 500: 'server error' }
        })
      )
    },
    imageIdentity: (reference) => imageIdentity(client, reference),
    async hasImage(reference, platform) {
      try {
        const held = await get<InspectResponse>(client, `/images/${encodeURIComponent(reference)}/json`)
        return !platform || platformMatches(held, platform)
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return false
        throw error
      }
    },
    async imageOnBuild(reference) {
      try {
        const inspected = await get<{ Config?: { OnBuild?: string[] | null } }>(
          client,
          `/images/${encodeURIComponent(reference)}/json`
        )
        return inspected.Config?.OnBuild ?? []
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined
        throw error
      }
    },
    async pullImage(reference, platform, timeoutSeconds) {
      const registryAuth = await client.credentials.headerFor(reference)
      return pullImage(docker, { reference, platform, timeoutSeconds, registryAuth }).catch((error: unknown) => {
        throw unreachableOr(error)
      })
    },
    async buildCacheIds() {
      return (await buildCacheRecords(client)).map((record) => record.ID)
    },
    async pruneBuildCacheSince(before) {
      // The engine keeps a record while a record built on it exists, and API 1.42+ no longer says which: the newest
      // go first, and each round retries what is left until one removes none of it.
      const created = (record: BuildCacheRecord): number => Date.parse(record.CreatedAt ?? '') || 0
      let pending = (await buildCacheRecords(client))
        .filter((record) => !before.has(record.ID))
        .sort((a, b) => created(b) - created(a))
        .map((record) => record.ID)
      let removed = 0
      while (pending.length) {
        const deleted = await pruneEach(client, pending)
        const left = pending.filter((id) => !deleted.has(id))
        if (left.length === pending.length) break
        removed += pending.length - left.length
        pending = left
      }
      return { removed, kept: pending.length }
    }
  }
}

/** The Docker CLI's credentials; a config file that cannot be used stops every build, as it stops the CLI. */
function readCredentials(): { credentials: RegistryCredentials; problem?: RegistryCredentialsError } {
  try {
    return { credentials: loadRegistryCredentials() }
  } catch (error) {
    if (!(error instanceof RegistryCredentialsError)) throw error
    return {
      credentials: { forHost: () => Promise.resolve(undefined), headerFor: () => Promise.resolve(undefined) },
      problem: error
    }
  }
}

interface BuildCacheRecord {
  ID: string
  CreatedAt?: string
}

async function buildCacheRecords(client: Client): Promise<BuildCacheRecord[]> {
  // `type` (API 1.42+) spares the engine from sizing every image; older engines ignore it.
  const usage = await get<{ BuildCache?: BuildCacheRecord[] | null }>(client, '/system/df', { type: 'build-cache' })
  return usage.BuildCache ?? []
}

/**
 * Prunes each record by id (the engine takes one id per request; `all`, or it keeps records shared with images, such
 * as a base image's); resolves with the ids it removed.
 */
async function pruneEach(client: Client, ids: string[]): Promise<Set<string>> {
  const pending = [...ids]
  const deleted = new Set<string>()
  const worker = async (): Promise<void> => {
    for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
      const filters = JSON.stringify({ id: [id] })
      const answer = await limited(client, 'POST /build/prune', (abortSignal) =>
        dial<{ CachesDeleted?: string[] | null }>(client.docker, {
          path: '/build/prune?',
          method: 'POST',
          options: { all: true, filters },
          abortSignal,
          statusCodes: { 200: true, 500: 'server error' }
        })
      ).catch((error: unknown) => {
        // The other workers stop too: the caller warns once and moves on.
        pending.length = 0
        throw error
      })
      for (const removed of answer?.CachesDeleted ?? []) deleted.add(removed)
    }
  }
  await Promise.all(Array.from({ length: PRUNE_CONCURRENCY }, worker))
  return deleted
}

async function imageIdentity(client: Client, reference: string): Promise<string | undefined> {
  const name = encodeURIComponent(reference)
  try {
    return (await get<{ Id: string }>(client, `/images/${name}/json`)).Id
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error
  }
  try {
    const registryAuth = await client.credentials.headerFor(reference)
    const distribution = await limited(
      client,
      `GET /distribution/${reference}/json`,
      (abortSignal) =>
        dial<{ Descriptor?: { digest?: string } }>(client.docker, {
          path: `/distribution/${name}/json`,
          method: 'GET',
          headers: registryAuth ? { 'X-Registry-Auth': registryAuth } : {},
          abortSignal,
          statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' }
        }),
      REGISTRY_SECONDS
    )
    return distribution.Descriptor?.digest
  } catch (error) {
    if (error instanceof EngineUnreachableError) throw error
    return undefined
  }
}

interface InfoResponse {
  DriverStatus?: [string, string][]
  OSType?: string
  Architecture?: string
}

/** A GET answered with JSON, within the call limit. */
function get<T>(client: Client, pathAndQuery: string, query: Record<string, unknown> = {}): Promise<T> {
  return limited(client, `GET ${pathAndQuery}`, (abortSignal) =>
    dial<T>(client.docker, {
      path: `${pathAndQuery}?`,
      method: 'GET',
      options: query,
      abortSignal,
      statusCodes: { 200: true, 404: 'not found', 500: 'server error' }
    })
  )
}

async function readInfo(client: Client): Promise<EngineInfo> {
  const [info, version] = await Promise.all([
    get<InfoResponse>(client, '/info'),
    get<{ Version: string; ApiVersion: string }>(client, '/version')
  ])
  return {
    version: version.Version,
    apiVersion: version.ApiVersion,
    store: imageStoreOf(info),
    os: info.OSType ?? 'linux',
    arch: info.Architecture ?? 'unknown'
  }
}

/** Docker 24+ with the containerd image store reports `driver-type: io.containerd.snapshotter.v1` in DriverStatus. */
export function imageStoreOf(info: { DriverStatus?: [string, string][] }): ImageStore {
  const driverType = info.DriverStatus?.find(([key]) => key === 'driver-type')?.[1] ?? ''
  return driverType.startsWith('io.containerd.snapshotter') ? 'containerd' : 'overlay2'
}

/** `28.5.2` → [28, 5]; unparsable versions compare as new. */
function majorMinor(version: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(version)
  return match ? [Number(match[1]), Number(match[2])] : [Infinity, 0]
}

/**
 * Docker 24.0–27.4 with the containerd store cannot read a build context uploaded with the request
 * (moby/moby#47717, fixed in 27.5 by moby/moby#49194), so the context is served for the engine to fetch.
 */
export function contextMustBeFetched(info: Pick<EngineInfo, 'version' | 'store'> | undefined): boolean {
  if (info?.store !== 'containerd') return false
  const [major, minor] = majorMinor(info.version)
  return major >= 24 && (major < 27 || (major === 27 && minor < 5))
}

/** `1.48` ≥ `1.47` */
export function apiAtLeast(apiVersion: string | undefined, wanted: string): boolean {
  const [major, minor] = (apiVersion ?? '0.0').split('.').map(Number)
  const [wantedMajor, wantedMinor] = wanted.split('.').map(Number)
  return major > wantedMajor || (major === wantedMajor && minor >= wantedMinor)
}

/** `linux/arm64` (or `linux/arm/v7`) against what the engine holds: the image of another platform is not it. */
function platformMatches(held: Pick<InspectResponse, 'Os' | 'Architecture' | 'Variant'>, platform: string): boolean {
  const [os, architecture, variant] = platform.split('/')
  return held.Os === os && held.Architecture === architecture && (!variant || held.Variant === variant)
}

interface InspectResponse {
  Id: string
  Os: string
  Architecture: string
  Variant?: string
  Size: number
  RootFS?: { Layers?: string[] }
}

interface ManifestSummary {
  Kind?: string
  ImageData?: { Platform?: { os?: string; architecture?: string; variant?: string }; Size?: { Unpacked?: number } }
}

async function inspectImage(client: Client, imageId: string, store: ImageStore, tag: string): Promise<ImageDetails> {
  const inspected = await get<InspectResponse>(client, `/images/${encodeURIComponent(imageId)}/json`)
  const platform = [inspected.Os, inspected.Architecture, inspected.Variant].filter(Boolean).join('/')
  const details = { id: inspected.Id, platform, diffIds: inspected.RootFS?.Layers ?? [] }
  if (store === 'overlay2') {
    return {
      ...details,
      engineReported: { sizeBytes: inspected.Size, source: 'Size from GET /images/{id}/json (classic image store)' }
    }
  }
  const summaries = await get<Array<{ Id: string; Manifests?: ManifestSummary[] }>>(client, '/images/json', {
    manifests: true,
    filters: JSON.stringify({ reference: [tag] })
  })
  const summary = summaries.find((image) => image.Id === imageId) ?? summaries[0]
  return {
    ...details,
    engineReported: unpackedSizeForPlatform(
      summary?.Manifests ?? [],
      inspected.Os,
      inspected.Architecture,
      inspected.Size
    )
  }
}

/**
 * With the containerd image store the engine's figure for one platform is the snapshot's disk usage, per manifest
 * (API 1.47+); `Size` of the inspect answer counts the compressed content instead.
 */
export function unpackedSizeForPlatform(
  manifests: ManifestSummary[],
  os: string,
  arch: string,
  inspectSize: number
): { sizeBytes: number; source: string } {
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
      source: `ImageData.Size.Unpacked for ${os}/${arch} from GET /images/json?manifests=1 (containerd image store: disk usage of the unpacked snapshots)`
    }
  }
  return {
    sizeBytes: inspectSize,
    source: 'Size from GET /images/{id}/json (containerd image store: the compressed content)'
  }
}

/** The export stream; a stall longer than EXPORT_IDLE_SECONDS ends it with an error. */
async function saveImage(
  client: Client,
  imageId: string,
  platform: string,
  info: EngineInfo | undefined
): Promise<Readable> {
  const [os, architecture, variant] = platform.split('/')
  // `platform` (API 1.48+) keeps the export to the built platform: the containerd store can hold several.
  const query = apiAtLeast(info?.apiVersion, '1.48')
    ? { platform: JSON.stringify({ os, architecture, ...(variant ? { variant } : {}) }) }
    : {}
  const stream = await limited(client, `GET /images/${imageId}/get`, (abortSignal) =>
    dial<Readable>(client.docker, {
      path: `/images/${encodeURIComponent(imageId)}/get?`,
      method: 'GET',
      options: query,
      abortSignal,
      isStream: true,
      statusCodes: { 200: true, 404: 'no such image', 500: 'server error' }
    })
  )
  let idle: NodeJS.Timeout | undefined
  const watch = (): void => {
    clearTimeout(idle)
    idle = setTimeout(
      () => stream.destroy(new EngineTimeoutError(`GET /images/${imageId}/get (no data)`, EXPORT_IDLE_SECONDS)),
      EXPORT_IDLE_SECONDS * 1000
    )
  }
  // Every chunk passed on restarts the clock; a stalled export ends the reader's stream with the timeout error.
  const watched = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      watch()
      callback(null, chunk)
    }
  })
  watch()
  pipeline(stream, exportErrorGuard(), watched)
    .catch((error: Error) => watched.destroy(error))
    .finally(() => clearTimeout(idle))
  return watched
}
