import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { buildTestImage } from '../support/images.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

const BASE = 'slimcheck/onbuild-base:test'
const engine = createEngine()

beforeAll(async () => {
  await buildTestImage(engine, BASE, `FROM ${TEST_BASE}\nONBUILD COPY . /app/\n`)
})

afterAll(async () => {
  await engine.removeImage(BASE)
})

describe('a base image with ONBUILD COPY . /app', () => {
  it('makes the fingerprint read the whole context: a file the Dockerfile never names still rebuilds it', async () => {
    expect(await engine.imageOnBuild(BASE)).toEqual(['COPY . /app/'])
    const dir = makeWorkspace({ Dockerfile: `FROM ${BASE}\nRUN true\n`, 'data.bin': 'a' })
    const settings = parseSettings({ cache: 'warm' }, dir)
    const stored = await runPipeline({ settings, engine, logger: recordingLogger(), version: 'test' })
    fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(5_000_000, 1))
    const next = await runPipeline({
      settings,
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report: stored }
    })
    expect(stored.variants[0].status).toBe('built')
    expect(next.variants[0].reused).toBeUndefined()
    expect(next.variants[0].fingerprint!.digest).not.toBe(stored.variants[0].fingerprint!.digest)
    expect(next.variants[0].image!.sizeBytes - stored.variants[0].image!.sizeBytes).toBeGreaterThanOrEqual(4_999_999)
  })
})
