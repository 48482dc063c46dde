import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine, type Engine } from '../../src/engine/index.js'
import { runPipeline, runPipelines } from '../../src/pipeline.js'
import type { Report } from '../../src/types.js'
import { startEngineProxy, type EngineProxy } from '../support/engine-proxy.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

const FILES = {
  'Dockerfile.app': `FROM ${TEST_BASE}\nCOPY "app/" /app/\nRUN dd if=/dev/zero of=/blob bs=1024 count=32\n`,
  'Dockerfile.tool': `FROM ${TEST_BASE}\nCOPY tool.sh /usr/local/bin/tool\n`,
  'Dockerfile.fetch': `FROM ${TEST_BASE}\nADD https://example.invalid/x.tgz /x.tgz\n`,
  'app/main.sh': 'echo app\n',
  'tool.sh': 'echo tool\n',
  'README.md': 'not read by any build\n'
}

let proxy: EngineProxy
let engine: Engine

beforeAll(async () => {
  proxy = await startEngineProxy()
  engine = createEngine({ socketPath: proxy.socketPath })
})

afterAll(async () => {
  await proxy?.close()
})

const byName = (report: Report, name: string) => report.variants.find((variant) => variant.name === name)!

describe('variants with unchanged inputs', () => {
  it('are built once for both sides when base and head fingerprints match', async () => {
    const base = makeWorkspace(FILES)
    const head = makeWorkspace({ ...FILES, 'app/main.sh': 'echo changed\n', 'README.md': 'edited\n' })
    const before = proxy.builds()
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({}, base) },
        { label: 'head', settings: parseSettings({}, head) }
      ],
      engine,
      logger: recordingLogger(),
      version: 'test',
      runs: 1
    })
    // app changed (2 builds: its quoted COPY source is read as BuildKit reads it), tool is shared (1), fetch cannot
    // be fingerprinted (2 attempts, both fail offline).
    expect(proxy.builds() - before).toBe(5)
    expect(byName(headReport, 'tool').reused).toEqual({ kind: 'shared' })
    expect(byName(baseReport, 'tool').reused).toEqual({ kind: 'shared' })
    expect(byName(baseReport, 'tool').image!.sizeBytes).toBe(byName(headReport, 'tool').image!.sizeBytes)
    expect(byName(headReport, 'app').reused).toBeUndefined()
    expect(byName(headReport, 'app').fingerprint!.digest).not.toBe(byName(baseReport, 'app').fingerprint!.digest)
    expect(byName(headReport, 'fetch').fingerprint).toEqual({
      unfingerprintable: 'ADD https://example.invalid/x.tgz at Dockerfile.fetch:2 fetches it at build time'
    })
  })

  it('are carried forward from a stored report, and rebuilt only when asked', async () => {
    const dir = makeWorkspace(FILES)
    const settings = parseSettings({}, dir)
    const stored = await runPipeline({ settings, engine, logger: recordingLogger(), version: 'test' })
    const before = proxy.builds()
    const logger = recordingLogger()
    const carried = await runPipeline({
      settings,
      engine,
      logger,
      version: 'test',
      carry: { report: { ...stored, commit: 'abc1234def' }, runId: 42 }
    })
    expect(proxy.builds() - before).toBe(1) // fetch only: it is always rebuilt
    expect(byName(carried, 'app')).toMatchObject({
      status: 'built',
      reused: { kind: 'carried', commit: 'abc1234def', runId: 42 },
      image: byName(stored, 'app').image
    })
    expect(
      logger.lines.some((line) =>
        /^progress: \[\d\/3\] app ↺ .*inputs unchanged since abc1234; not rebuilt$/.test(line)
      )
    ).toBe(true)

    const rebuilt = await runPipeline({
      settings: parseSettings({ rebuild: 'true' }, dir),
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report: stored }
    })
    expect(proxy.builds() - before).toBe(1 + 3)
    expect(rebuilt.variants.every((variant) => variant.reused === undefined)).toBe(true)
  })

  it('are not measured, and not built, when the frontend image a `# syntax=` directive names cannot be pulled', async () => {
    const frontend = 'slimcheck/no-such-frontend:1'
    const dir = makeWorkspace({ Dockerfile: `# syntax=${frontend}\nFROM ${TEST_BASE}\nRUN true\n` })
    const before = proxy.builds()
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine,
      logger: recordingLogger(),
      version: 'test'
    })
    // The engine runs the frontend the directive names: without it there is no build to time.
    expect(proxy.builds() - before).toBe(0)
    expect(report.variants[0]).toMatchObject({ status: 'failed', failure: { kind: 'unmeasured' } })
    expect(report.variants[0].failure!.message).toContain(`could not pull \`${frontend}\``)
  })

  it('build the base on its own when the one shared build fails, so no failure is booked on a side it did not hit', async () => {
    const files = { Dockerfile: `FROM ${TEST_BASE}\nRUN exit 7\n` }
    const before = proxy.builds()
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({}, makeWorkspace(files)) },
        { label: 'head', settings: parseSettings({}, makeWorkspace(files)) }
      ],
      engine,
      logger: recordingLogger(),
      version: 'test',
      runs: 1
    })
    expect(proxy.builds() - before).toBe(2)
    expect([baseReport.variants[0].status, headReport.variants[0].status]).toEqual(['failed', 'failed'])
    expect(baseReport.variants[0].reused).toBeUndefined()
  })

  it("take a stored report's gzip count for a layer it counted, where the image archive names its layers", async () => {
    const dir = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\nRUN echo one > /one\n` })
    const settings = parseSettings({}, dir)
    const stored = await runPipeline({ settings, engine, logger: recordingLogger(), version: 'test' })
    const baseLayer = stored.variants[0].image!.layers.find((layer) => layer.diffId && layer.compressedBytes)!
    const doctored = structuredClone(stored)
    doctored.variants[0].image!.layers.find((layer) => layer.diffId === baseLayer.diffId)!.compressedBytes = 7
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${TEST_BASE}\nRUN echo two > /two\n`)

    const next = await runPipeline({
      settings,
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report: doctored }
    })
    expect(next.variants[0].reused).toBeUndefined()
    const info = await engine.info()
    // Docker 25+ saves the classic store's layers as OCI blobs named by diffID; older engines' archives name none,
    // and the containerd store's manifest has every compressed size already.
    const namedLayers = info.store === 'overlay2' && Number(info.version.split('.')[0]) >= 25
    const counted = next.variants[0].image!.layers.find((layer) => layer.diffId === baseLayer.diffId)!.compressedBytes
    expect(counted).toBe(namedLayers ? 7 : baseLayer.compressedBytes)
  })

  it('are not carried from a report another slimcheck version made, and their image findings are judged anew', async () => {
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nRUN mkdir -p /opt/conda/conda-meta\nENV CONDA_DIR=/opt/conda\n`
    })
    const stored = await runPipeline({
      settings: parseSettings({}, dir),
      engine,
      logger: recordingLogger(),
      version: 'test'
    })
    const imageFinding = (report: Report) => report.variants[0].findings.find((finding) => finding.evidence === 'image')
    expect(imageFinding(stored)?.severity).toBe('error')

    const accepted = parseSettings({ 'allowed-conda-images': TEST_BASE }, dir)
    const before = proxy.builds()
    const carried = await runPipeline({
      settings: accepted,
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report: stored }
    })
    expect(proxy.builds() - before).toBe(0)
    expect(carried.variants[0].reused?.kind).toBe('carried')
    expect(imageFinding(carried)?.severity).toBe('info')

    const older = { ...stored, tool: { ...stored.tool, version: '0.0.1' } }
    const rebuilt = await runPipeline({
      settings: accepted,
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report: older }
    })
    expect(proxy.builds() - before).toBe(1)
    expect(rebuilt.variants[0].reused).toBeUndefined()
  })
})
