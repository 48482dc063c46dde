/**
 * A BuildKit session over the Engine API (`POST /session`, upgraded to HTTP/2): the channel through which the
 * build asks the client for secrets (`RUN --mount=type=secret`). Secret values travel only over this socket; they
 * are never part of the build request, the image or its history.
 */
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import * as grpc from '@grpc/grpc-js'
import type Docker from 'dockerode'
import protobuf from 'protobufjs'
import { dial } from './dial.js'

const MESSAGES = protobuf.Root.fromJSON({
  nested: {
    GetSecretRequest: { fields: { ID: { type: 'string', id: 1 } } },
    GetSecretResponse: { fields: { data: { type: 'bytes', id: 1 } } },
    HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
    HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } }
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
/** grpc.health.v1 ServingStatus SERVING: BuildKit ends a session whose health checks fail. */
const SERVING = 1

export interface BuildSession {
  id: string
  close(): void
}

/**
 * Opens a session that serves `secrets` by id. The engine must answer within `timeoutSeconds`; the caller closes the
 * session when the build ends.
 */
export async function openSession(
  docker: Docker,
  secrets: Record<string, string>,
  timeoutSeconds: number
): Promise<BuildSession> {
  const id = randomUUID()
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutSeconds * 1000)
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
        'X-Docker-Expose-Session-Grpc-Method': [GET_SECRET, HEALTH_CHECK]
      },
      statusCodes: { 101: true, 200: true, 500: 'server error' }
    })
  } catch (error) {
    if (abort.signal.aborted) {
      throw new Error(`the engine did not open a BuildKit session within ${timeoutSeconds} s`, { cause: error })
    }
    throw error
  } finally {
    clearTimeout(timer)
  }
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
  server.createConnectionInjector(grpc.ServerCredentials.createInsecure()).injectConnection(socket)
  return {
    id,
    close() {
      server.forceShutdown()
      socket.destroy()
    }
  }
}
