// The registry half of an image's identity: no registry answers on the test machines, so an engine stand-in plays
// one. The local half is exercised against real engines in the integration tests.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createEngine } from '../../src/engine/index.js'

const LOCAL_ID = 'sha256:1111111111111111111111111111111111111111111111111111111111111111'
const REGISTRY_DIGEST = 'sha256:2222222222222222222222222222222222222222222222222222222222222222'

let server: http.Server
let socketPath: string
const requested: string[] = []

beforeAll(async () => {
  socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-identity-')), 'engine.sock')
  server = http.createServer((request, response) => {
    const url = decodeURIComponent(request.url ?? '')
    requested.push(`${request.method} ${url}`)
    const json = (status: number, body: unknown): void =>
      void response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
    if (url === '/images/local:1/json') return json(200, { Id: LOCAL_ID })
    if (url.startsWith('/images/')) return json(404, { message: 'No such image' })
    if (url === '/distribution/python:3.12/json') {
      return json(200, {
        Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: REGISTRY_DIGEST }
      })
    }
    if (url === '/distribution/private/app:1/json') return json(401, { message: 'authentication required' })
    return json(404, { message: 'manifest unknown' })
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe("an image's identity", () => {
  const engine = () => createEngine({ socketPath })

  it('is the local image id when the engine has the image, without asking a registry', async () => {
    requested.length = 0
    expect(await engine().imageIdentity('local:1')).toBe(LOCAL_ID)
    expect(requested).toEqual(['GET /images/local:1/json'])
  })

  it("is the registry's digest when the engine lacks the image, and nothing is pulled", async () => {
    requested.length = 0
    expect(await engine().imageIdentity('python:3.12')).toBe(REGISTRY_DIGEST)
    expect(requested).toEqual(['GET /images/python:3.12/json', 'GET /distribution/python:3.12/json'])
  })

  it('is unknown when neither the engine nor a registry can say, and nothing is pulled', async () => {
    requested.length = 0
    expect(await engine().imageIdentity('private/app:1')).toBeUndefined()
    expect(await engine().imageIdentity('gone:1')).toBeUndefined()
    expect(requested).toEqual([
      'GET /images/private/app:1/json',
      'GET /distribution/private/app:1/json',
      'GET /images/gone:1/json',
      'GET /distribution/gone:1/json'
    ])
  })
})
