/**
 * `POST /images/create`: pulling an image before it is built from, so that no build time pays for a download. The
 * engine answers a failed pull either with an error status or inside a 200 progress stream; both end as a
 * `PullError` that says what the registry answered and what to do.
 */
import readline from 'node:readline'
import type { Readable } from 'node:stream'
import { performance } from 'node:perf_hooks'
import type Docker from 'dockerode'
import { dial } from './dial.js'

export interface PullResult {
  /** The reference as pulled (with `:latest` when it named no tag). */
  reference: string
  /** The digest the registry resolved the reference to, when the engine said. */
  digest?: string
  /** Compressed bytes downloaded: the layers the engine did not have yet. */
  downloadedBytes: number
  seconds: number
}

/** What the registry's answer means for the user. */
export type PullRefusal = 'unauthorized' | 'not-found' | 'rate-limited' | 'failed'

export class PullError extends Error {
  constructor(
    readonly reference: string,
    readonly refusal: PullRefusal,
    readonly answer: string
  ) {
    super(`could not pull \`${reference}\`: ${ADVICE[refusal]} (the engine said: ${answer})`)
    this.name = 'PullError'
  }
}

const ADVICE: Record<PullRefusal, string> = {
  unauthorized:
    'the registry refused access (401/403); log in with docker/login-action before slimcheck, or check the credentials',
  'not-found': 'no such image or tag (404), or no image for the platform',
  'rate-limited':
    "Docker Hub's pull limit was reached (429); a login (docker/login-action) raises it, or pull from a mirror",
  failed: 'the pull failed'
}

/** The registry's answer, as the engine words it across versions and stores. */
export function refusalOf(answer: string, status?: number): PullRefusal {
  if (status === 429 || /toomanyrequests|too many requests|rate limit/i.test(answer)) return 'rate-limited'
  if (
    status === 401 ||
    status === 403 ||
    /unauthorized|authentication required|no basic auth credentials|access (to the resource )?is denied|pull access denied|\bdenied\b|forbidden|\b40[13]\b/i.test(
      answer
    )
  )
    return 'unauthorized'
  if (status === 404 || /not found|manifest unknown|does not exist|no matching manifest|\b404\b/i.test(answer))
    return 'not-found'
  return 'failed'
}

/** `python` → `python:latest`: a name alone would pull every tag of the repository. */
export function withTag(reference: string): string {
  const name = reference.split('@')[0]
  return reference.includes('@') || name.lastIndexOf(':') > name.lastIndexOf('/') ? reference : `${reference}:latest`
}

interface ProgressEvent {
  id?: string
  status?: string
  progressDetail?: { current?: number; total?: number }
  error?: string
  errorDetail?: { message?: string }
}

export interface PullRequest {
  reference: string
  platform?: string
  /** The `X-Registry-Auth` header, when the registry has credentials. */
  registryAuth?: string
  timeoutSeconds: number
}

export async function pullImage(docker: Docker, request: PullRequest): Promise<PullResult> {
  const reference = withTag(request.reference)
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), request.timeoutSeconds * 1000)
  const started = performance.now()
  const timedOut = (): PullError =>
    new PullError(reference, 'failed', `no answer within ${request.timeoutSeconds} s (build-timeout)`)
  try {
    const stream = await dial<Readable>(docker, {
      path: '/images/create?',
      method: 'POST',
      options: { fromImage: reference, ...(request.platform ? { platform: request.platform } : {}) },
      headers: request.registryAuth ? { 'X-Registry-Auth': request.registryAuth } : {},
      abortSignal: abort.signal,
      isStream: true,
      statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' }
    }).catch((error: Error & { statusCode?: number; json?: { message?: string } }) => {
      if (abort.signal.aborted) throw timedOut()
      if (!error.statusCode) throw error
      const answer = error.json?.message ?? error.message
      throw new PullError(reference, refusalOf(answer, error.statusCode), answer)
    })
    abort.signal.addEventListener('abort', () => stream.destroy(timedOut()))
    const { digest, downloadedBytes, error } = await followPull(stream).catch((failure: Error) => {
      throw abort.signal.aborted ? timedOut() : failure
    })
    if (error) throw new PullError(reference, refusalOf(error), error)
    return {
      reference,
      ...(digest ? { digest } : {}),
      downloadedBytes,
      seconds: Math.round(performance.now() - started) / 1000
    }
  } finally {
    clearTimeout(timer)
  }
}

async function followPull(stream: Readable): Promise<{ digest?: string; downloadedBytes: number; error?: string }> {
  const layers = new Map<string, number>()
  let digest: string | undefined
  let error: string | undefined
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    let event: ProgressEvent
    try {
      event = JSON.parse(line) as ProgressEvent
    } catch {
      continue
    }
    if (event.error || event.errorDetail) error = event.errorDetail?.message || event.error
    const total = event.progressDetail?.total
    if (event.id && event.status === 'Downloading' && typeof total === 'number' && total > 0)
      layers.set(event.id, total)
    const resolved = /^Digest: (sha256:[0-9a-f]{64})$/.exec(event.status ?? '')
    if (resolved) digest = resolved[1]
  }
  return { digest, downloadedBytes: [...layers.values()].reduce((sum, bytes) => sum + bytes, 0), error }
}
