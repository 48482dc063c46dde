/**
 * One BuildKit build through the Engine API: a session for secrets and registry credentials, the context, and the
 * decoded progress stream.
 */
import readline from 'node:readline'
import type { Readable } from 'node:stream'
import type Docker from 'dockerode'
import { dial } from './dial.js'
import { serveContext, type ServedContext } from './context-server.js'
import type { RegistryCredentials } from './credentials.js'
import { openSession, type BuildSession } from './session.js'
import { BuildTrace, type TracedStep } from './trace.js'

export interface BuildRequest {
  /** Opens the build context as an uncompressed tar stream; called once per time the engine reads it. */
  context: () => Readable
  /** The Dockerfile's path inside the context, POSIX. */
  dockerfile: string
  tag: string
  target?: string
  buildArgs: Record<string, string>
  /** Served to `RUN --mount=type=secret,id=NAME` through the session; never sent with the request. */
  secrets: Record<string, string>
  platform?: string
  noCache: boolean
  timeoutSeconds: number
  /** Receives each log line as it arrives (untrusted text). */
  onLog: (line: string) => void
}

export type BuildOutcome =
  { ok: true; imageId: string; steps: TracedStep[] } | { ok: false; error: string; steps: TracedStep[] }

export interface BuildEngine {
  version: string
  /** Named when the engine cannot open a session. */
  apiVersion?: string
  /** Served to the build for the registries it pulls from; without them, it pulls anonymously. */
  credentials?: RegistryCredentials
  /** Docker 24.0–27.4 with the containerd store: the engine must fetch the context from a URL. */
  fetchesContext: boolean
}

/** The session has this long to open, within the build's own limit. */
const SESSION_SECONDS = 60

type StreamEvent = {
  id?: string
  aux?: unknown
  stream?: string
  error?: string
  errorDetail?: { message?: string }
}

/** BuildKit's words when it cannot fetch the build context from the URL it was given. */
const UNREADABLE_CONTEXT = /failed to read downloaded context:.*\bGet "?https?:\/\//s

export async function runBuild(docker: Docker, request: BuildRequest, engine: BuildEngine): Promise<BuildOutcome> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), request.timeoutSeconds * 1000)
  const trace = new BuildTrace(request.onLog)
  const failed = (error: string): BuildOutcome => ({ ok: false, error, steps: trace.steps() })
  let session: BuildSession | undefined
  let served: ServedContext | undefined
  let contextError: Error | undefined
  try {
    session = await openSession(docker, {
      secrets: request.secrets,
      credentials: engine.credentials,
      timeoutSeconds: Math.min(SESSION_SECONDS, request.timeoutSeconds),
      engine
    })
    let body: Readable | undefined
    if (engine.fetchesContext) served = await serveContext(request.context)
    else {
      body = request.context()
      body.once('error', (error: Error) => (contextError = error))
    }
    const response = await dialBuild(docker, request, session.id, body, served?.url, abort.signal)
    // A destroyed response does not end the line reader; the race ends the wait at the time limit instead.
    const timedOut = new Promise<never>((_resolve, reject) =>
      abort.signal.addEventListener('abort', () => {
        response.destroy()
        reject(new Error('timed out'))
      })
    )
    const result = await Promise.race([followBuild(response, trace, request.onLog), timedOut])
    trace.flush()
    if (abort.signal.aborted) return failed(`build timed out after ${request.timeoutSeconds} s (build-timeout)`)
    if (contextError) return failed(`the build context could not be sent: ${contextError.message}`)
    if (result.error) return failed(explainBuildError(result.error, engine))
    if (!result.imageId) return failed('the engine ended the build without naming an image')
    return { ok: true, imageId: result.imageId, steps: trace.steps() }
  } catch (error) {
    if (abort.signal.aborted) return failed(`build timed out after ${request.timeoutSeconds} s (build-timeout)`)
    if (contextError) return failed(`the build context could not be sent: ${contextError.message}`)
    throw error
  } finally {
    clearTimeout(timer)
    session?.close()
    await served?.close()
  }
}

function dialBuild(
  docker: Docker,
  request: BuildRequest,
  session: string,
  body: Readable | undefined,
  remote: string | undefined,
  abortSignal: AbortSignal
): Promise<Readable> {
  const query = {
    t: request.tag,
    dockerfile: request.dockerfile,
    target: request.target ?? '',
    buildargs: request.buildArgs,
    platform: request.platform ?? '',
    nocache: request.noCache,
    rm: true,
    forcerm: true,
    version: '2',
    session,
    ...(remote ? { remote } : {})
  }
  return dial<Readable>(docker, {
    path: '/build?',
    method: 'POST',
    // Without a body to upload, the modem would send the query as a JSON body, which the engine takes as the context.
    options: body ? query : { _query: query, _body: {} },
    ...(body ? { file: body } : {}),
    abortSignal,
    isStream: true,
    statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' }
  }).catch((error: Error) => {
    throw describeEngineError(error)
  })
}

function describeEngineError(error: Error): Error {
  const withJson = error as Error & { json?: { message?: string }; statusCode?: number }
  if (!withJson.statusCode) return error
  return Object.assign(
    new Error(`engine answered ${withJson.statusCode}: ${withJson.json?.message ?? error.message}`),
    {
      cause: error
    }
  )
}

/** The engine reports a failed build inside a 200 stream: the result carries its error message, or the image id. */
async function followBuild(
  response: Readable,
  trace: BuildTrace,
  onLog: (line: string) => void
): Promise<{ error?: string; imageId?: string }> {
  let error: string | undefined
  let imageId: string | undefined
  for await (const line of readline.createInterface({ input: response, crlfDelay: Infinity })) {
    if (!line.trim()) continue
    let event: StreamEvent
    try {
      event = JSON.parse(line) as StreamEvent
    } catch {
      onLog(line)
      continue
    }
    if (event.id === 'moby.buildkit.trace' && typeof event.aux === 'string') {
      try {
        trace.add(event.aux)
      } catch {
        onLog('(a BuildKit progress message could not be decoded)')
      }
    } else if (event.id === 'moby.image.id' || (event.aux && typeof event.aux === 'object')) {
      imageId = (event.aux as { ID?: string }).ID ?? imageId
    }
    if (event.stream) for (const text of event.stream.split(/\r?\n/)) if (text) onLog(text)
    if (event.error || event.errorDetail) {
      error = event.errorDetail?.message || event.error
      onLog(`ERROR: ${error}`)
    }
  }
  return { error, imageId }
}

/**
 * On an engine with moby/moby#47717 (where slimcheck serves the context for it to fetch), a context the engine could
 * not fetch gets the engine, the store and the way out. Other failures to read the context (a full disk, say) are the
 * engine's own words, on every engine.
 */
export function explainBuildError(error: string, engine: BuildEngine): string {
  if (!engine.fetchesContext || !UNREADABLE_CONTEXT.test(error)) return error
  return (
    `Docker ${engine.version} with the containerd image store cannot read the build context (moby/moby#47717, ` +
    'fixed in Docker 27.5); slimcheck served the context on 127.0.0.1 for the engine to fetch, and that failed too ' +
    '(an engine in a VM, such as Docker Desktop, cannot reach it). Use Docker 27.5 or later, or the classic image ' +
    `store (features.containerd-snapshotter: false in the daemon's configuration). The engine said: ${error}`
  )
}
