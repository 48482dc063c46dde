/**
 * A BuildKit session over the Engine API (`POST /session`, upgraded to HTTP/2): the channel through which the
 * build asks the client for secrets (`RUN --mount=type=secret`) and for registry credentials. Secret values and
 * credentials travel only over this socket; they are never part of the build request, the image or its history.
 */
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import * as grpc from '@grpc/grpc-js'
import type Docker from 'dockerode'
import protobuf from 'protobufjs'
import { RegistryCredentialsError, type RegistryCredentials } from './credentials.js'
import { dial } from './dial.js'

const MESSAGES = protobuf.Root.fromJSON({
  nested: {
    GetSecretRequest: { fields: { ID: { type: 'string', id: 1 } } },
    GetSecretResponse: { fields: { data: { type: 'bytes', id: 1 } } },
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } },
    CredentialsRequest: { fields: { Host: { type: 'string', id: 1 } } },
    CredentialsResponse: { fields: { Username: { type: 'string', id: 1 }, Secret: { type: 'string', id: 2 } } }
  }
})

function codec<T extends object>(name: string): { serialize: (value: T) => Buffer; deserialize: (bytes: Buffer) => T } {
  const type = MESSAGES.lookupType(name)
  return {
    serialize: (value) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes) => type.toObject(type.decode(bytes), { defaults: true }) as T
  }
}

function unary<Request extends object, Response extends object>(
  path: string,
  request: string,
  response: string
): grpc.MethodDefinition<Request, Response> {
  const requestCodec = codec<Request>(request)
  const responseCodec = codec<Response>(response)
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: requestCodec.serialize,
    requestDeserialize: requestCodec.deserialize,
    responseSerialize: responseCodec.serialize,
    responseDeserialize: responseCodec.deserialize
  }
}

const GET_SECRET = '/moby.buildkit.secrets.v1.Secrets/GetSecret'
const HEALTH_CHECK = '/grpc.health.v1.Health/Check'
/**
 * The only method of BuildKit's auth service served: to the others (token authority, token fetch) the answer is
 * UNIMPLEMENTED, and BuildKit then fetches registry tokens itself with these credentials.
 */
const CREDENTIALS = '/moby.filesync.v1.Auth/Credentials'
/** grpc.health.v1 ServingStatus SERVING: BuildKit ends a session whose health checks fail. */
const SERVING = 1

interface CredentialsRequest {
  Host: string
}
interface CredentialsResponse {
  Username: string
  Secret: string
}

export interface BuildSession {
  id: string
  close(): void
}

/** What a session serves to the build. */
export interface SessionServices {
  /** By id, to `RUN --mount=type=secret,id=…`. */
  secrets: Record<string, string>
  /** Registry credentials for the hosts the build pulls from; without them, the build pulls anonymously. */
  credentials?: RegistryCredentials
}

export interface SessionOptions extends SessionServices {
  /** The engine must answer within this. */
  timeoutSeconds: number
  /** Named in the error when the engine offers no sessions. */
  engine: { version: string; apiVersion?: string }
}

/** Opens a session that serves `services`; the caller closes it when the build ends. */
export async function openSession(docker: Docker, options: SessionOptions): Promise<BuildSession> {
  const id = randomUUID()
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), options.timeoutSeconds * 1000)
  let socket: Duplex
  try {
    socket = await dial<Duplex>(docker, {
      method: 'POST',
      path: '/session',
      hijack: true,
      abortSignal: abort.signal,
      headers: {
        Upgrade: 'h2c',
        'X-Docker-Expose-Session-Uuid': id,
        'X-Docker-Expose-Session-Name': 'slimcheck',
        'X-Docker-Expose-Session-Sharedkey': id,
        'X-Docker-Expose-Session-Grpc-Method': [GET_SECRET, HEALTH_CHECK, CREDENTIALS]
      },
      statusCodes: { 101: true, 200: true, 400: 'bad parameter', 404: 'not found', 500: 'server error' }
    })
  } catch (error) {
    if (abort.signal.aborted) {
      throw new Error(`the engine did not open a BuildKit session within ${options.timeoutSeconds} s`, { cause: error })
    }
    const status = (error as { statusCode?: number }).statusCode
    if (status === 400 || status === 404) throw noSessions(options.engine, status, error)
    throw error
  } finally {
    clearTimeout(timer)
  }
  return { id, close: serveSession(socket, options) }
}

function noSessions(engine: SessionOptions['engine'], status: number, cause: unknown): Error {
  const api = engine.apiVersion ? `, API ${engine.apiVersion}` : ''
  return new Error(
    `this Docker engine (Docker ${engine.version}${api}) does not offer BuildKit sessions over the Engine API ` +
      `(POST /session answered ${status}; the endpoint is deprecated from API 1.53), and slimcheck needs one to ` +
      'serve build secrets and registry credentials. Run slimcheck against a Docker Engine that still offers it.',
    { cause }
  )
}

/**
 * Serves the session's gRPC services on `socket`, the HTTP/2 connection the engine opens to the client; returns what
 * ends them.
 */
export function serveSession(socket: Duplex, { secrets, credentials }: SessionServices): () => void {
  const server = new grpc.Server()
  server.addService(
    {
      GetSecret: unary<{ ID: string }, { data: Uint8Array }>(GET_SECRET, 'GetSecretRequest', 'GetSecretResponse')
    },
    {
      GetSecret(
        call: grpc.ServerUnaryCall<{ ID: string }, { data: Uint8Array }>,
        callback: grpc.sendUnaryData<{ data: Uint8Array }>
      ) {
        const value = Object.hasOwn(secrets, call.request.ID) ? secrets[call.request.ID] : undefined
        if (value === undefined) callback({ code: grpc.status.NOT_FOUND, details: `no secret '${call.request.ID}'` })
        else callback(null, { data: Buffer.from(value, 'utf8') })
      }
    }
  )
  server.addService(
    {
      Check: unary<{ service: string }, { status: number }>(HEALTH_CHECK, 'HealthCheckRequest', 'HealthCheckResponse')
    },
    {
      Check(
        _call: grpc.ServerUnaryCall<{ service: string }, { status: number }>,
        callback: grpc.sendUnaryData<{ status: number }>
      ) {
        callback(null, { status: SERVING })
      }
    }
  )
  server.addService(
    {
      Credentials: unary<CredentialsRequest, CredentialsResponse>(
        CREDENTIALS,
        'CredentialsRequest',
        'CredentialsResponse'
      )
    },
    {
      Credentials(
        call: grpc.ServerUnaryCall<CredentialsRequest, CredentialsResponse>,
        callback: grpc.sendUnaryData<CredentialsResponse>
      ) {
        const host = call.request.Host
        sessionCredentials(credentials, host).then(
          (answer) => callback(null, answer),
          (error: unknown) =>
            callback({
              code: grpc.status.UNKNOWN,
              details:
                error instanceof RegistryCredentialsError
                  ? error.message
                  : `the credentials for ${host} could not be read`
            })
        )
      }
    }
  )
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket)
  return () => {
    server.forceShutdown()
    socket.destroy()
  }
}

/** As the Docker CLI answers: an identity token is the secret, with no user name; no credentials, an empty answer. */
async function sessionCredentials(
  credentials: RegistryCredentials | undefined,
  host: string
): Promise<CredentialsResponse> {
  const auth = await credentials?.forHost(host)
  if (auth?.identitytoken) return { Username: '', Secret: auth.identitytoken }
  return { Username: auth?.username ?? '', Secret: auth?.password ?? '' }
}
