import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine, EngineTimeoutError } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace } from '../support/workspace.js'

/** An engine socket that accepts every connection and never answers. */
let silent: net.Server
let socketPath: string
const connections = new Set<net.Socket>()

beforeAll(async () => {
  socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-silent-')), 'engine.sock')
  silent = net.createServer((socket) => void connections.add(socket))
  await new Promise<void>((resolve) => silent.listen(socketPath, resolve))
})

afterAll(async () => {
  for (const socket of connections) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
})

describe('an engine that accepts connections but never answers', () => {
  it('fails GET /info at the time limit, naming where it looked', async () => {
    const engine = createEngine({ socketPath }, { callSeconds: 1 })
    const started = Date.now()
    const error = await engine.info().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(EngineTimeoutError)
    expect((error as Error).message).toMatch(
      /^the Docker engine at .*(DOCKER_HOST|default socket).* did not answer GET \/(info|version) within 1 s$/
    )
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('costs the run its builds, never its report: the problem and the static findings are reported', async () => {
    const dir = makeWorkspace({ Dockerfile: 'FROM python:3.12\n' })
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine: createEngine({ socketPath }, { callSeconds: 1 }),
      logger: recordingLogger(),
      version: 'test'
    })
    expect(report.problems).toEqual([expect.stringMatching(/did not answer GET \/(info|version) within 1 s/)])
    expect(report.variants[0].status).toBe('skipped')
    expect(report.variants[0].findings.map((finding) => finding.rule)).toContain('shared-tag')
  })
})

describe('an engine that answers GET /info with an error', () => {
  it('costs the run its builds, never its report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-failing-'))
    const failing = http.createServer((_request, response) => {
      response.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"the daemon is on fire"}')
    })
    await new Promise<void>((resolve) => failing.listen(path.join(dir, 'engine.sock'), resolve))
    try {
      const report = await runPipeline({
        settings: parseSettings({}, makeWorkspace({ Dockerfile: 'FROM python:3.12\n' })),
        engine: createEngine({ socketPath: path.join(dir, 'engine.sock') }),
        logger: recordingLogger(),
        version: 'test'
      })
      expect(report.problems).toEqual([expect.stringMatching(/could not say what it is: .*the daemon is on fire/)])
      expect(report.variants[0].findings.map((finding) => finding.rule)).toContain('shared-tag')
    } finally {
      failing.closeAllConnections()
      await new Promise((resolve) => failing.close(resolve))
    }
  })
})
