import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as grpc from '@grpc/grpc-js'
import Docker from 'dockerode'
import protobuf from 'protobufjs'
import { loadRegistryCredentials } from '../../src/engine/credentials.js'
import { openSession, serveSession } from '../../src/engine/session.js'

/** BuildKit's session/auth/auth.proto, the parts a build calls here. */
const AUTH_PROTO = protobuf.parse(`
  syntax = "proto3";
  package moby.filesync.v1;
  message CredentialsRequest { string Host = 1; }
  message CredentialsResponse { string Username = 1; string Secret = 2; }
  message GetTokenAuthorityRequest { string Host = 1; bytes Salt = 2; }
  message GetTokenAuthorityResponse { bytes PublicKey = 1; }
`).root

const HELPERS = fileURLToPath(new URL('../fixtures/credential-helper', import.meta.url))
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64')

let dockerConfigDir: string
let listener: net.Server
let address: string
const closers: Array<() => void> = []
let client: grpc.Client

beforeAll(async () => {
  dockerConfigDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-session-auth-'))
  fs.writeFileSync(
    path.join(dockerConfigDir, 'config.json'),
    JSON.stringify({
      auths: {
        '127.0.0.1:5101': { auth: basic('alice', 'alice-password') },
        'https://index.docker.io/v1/': { username: 'dave', identitytoken: 'hub-identity-token' }
      },
      credHelpers: { 'fails.example': 'slimchecktest' }
    })
  )
  const credentials = loadRegistryCredentials({
    PATH: `${HELPERS}${path.delimiter}${process.env.PATH}`,
    DOCKER_CONFIG: dockerConfigDir
  })
  // Each connection is served as the engine's HTTP/2 connection over an upgraded POST /session.
  listener = net.createServer((socket) => closers.push(serveSession(socket, { secrets: {}, credentials })))
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  address = `127.0.0.1:${(listener.address() as net.AddressInfo).port}`
  client = new grpc.Client(address, grpc.credentials.createInsecure())
})

afterAll(async () => {
  client.close()
  for (const close of closers) close()
  await new Promise((resolve) => listener.close(resolve))
  fs.rmSync(dockerConfigDir, { recursive: true, force: true })
})

/** A unary call as BuildKit makes it: the method path, protobuf on the wire. */
function call(method: string, request: object, requestType: string, responseType: string): Promise<object> {
  const encoder = AUTH_PROTO.lookupType(`moby.filesync.v1.${requestType}`)
  const decoder = AUTH_PROTO.lookupType(`moby.filesync.v1.${responseType}`)
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      `/moby.filesync.v1.Auth/${method}`,
      (value: object) => Buffer.from(encoder.encode(encoder.fromObject(value)).finish()),
      (bytes: Buffer) => decoder.toObject(decoder.decode(bytes), { defaults: true }),
      request,
      (error, response) => (error ? reject(error) : resolve(response as object))
    )
  )
}

const credentialsFor = (host: string) =>
  call('Credentials', { Host: host }, 'CredentialsRequest', 'CredentialsResponse')

describe('the session’s Credentials method', () => {
  it('answers a registry’s user name and password', async () => {
    expect(await credentialsFor('127.0.0.1:5101')).toEqual({ Username: 'alice', Secret: 'alice-password' })
  })

  it('answers an identity token as the secret, with no user name, as the Docker CLI does', async () => {
    expect(await credentialsFor('registry-1.docker.io')).toEqual({ Username: '', Secret: 'hub-identity-token' })
  })

  it('answers empty for a host it has nothing for', async () => {
    expect(await credentialsFor('quay.io')).toEqual({ Username: '', Secret: '' })
  })

  it('fails with the helper and host named, and not its output, when the helper fails', async () => {
    const error = (await credentialsFor('fails.example').catch((caught: unknown) => caught)) as grpc.ServiceError
    expect(error.code).toBe(grpc.status.UNKNOWN)
    expect(error.details).toBe(
      'the credential helper docker-credential-slimchecktest gave no credentials for fails.example: it exited with status 3'
    )
  })

  it('leaves the token authority unimplemented, so BuildKit fetches tokens with the credentials itself', async () => {
    const request = { Host: '127.0.0.1:5101', Salt: Buffer.alloc(32) }
    const error = (await call(
      'GetTokenAuthority',
      request,
      'GetTokenAuthorityRequest',
      'GetTokenAuthorityResponse'
    ).catch((caught: unknown) => caught)) as grpc.ServiceError
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED)
  })
})

describe('an engine without POST /session', () => {
  it.each([404, 400])('is named, with what to do, when it answers %i', async (status) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-no-session-'))
    const socketPath = path.join(dir, 'engine.sock')
    const engine = http.createServer((request, response) => {
      response.writeHead(request.url === '/session' ? status : 500, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ message: 'page not found' }))
    })
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve))
    try {
      const opened = openSession(new Docker({ socketPath }), {
        secrets: {},
        timeoutSeconds: 10,
        engine: { version: '30.0.0', apiVersion: '1.54' }
      })
      await expect(opened).rejects.toThrow(
        `this Docker engine (Docker 30.0.0, API 1.54) does not offer BuildKit sessions over the Engine API ` +
          `(POST /session answered ${status}; `
      )
    } finally {
      await new Promise((resolve) => engine.close(resolve))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
