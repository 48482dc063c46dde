import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

// Docker 26.1 with the containerd image store, started by scripts/test.sh beside the matrix (it runs this file once).
const docker26 = process.env.SLIMCHECK_DOCKER26_HOST
const once = !process.env.SLIMCHECK_ENGINE_NAME || process.env.SLIMCHECK_ENGINE_NAME === 'default'

const suite = docker26 && once ? describe : describe.skip

suite(`Docker 26.1 with the containerd store (${docker26 ?? 'not started'})`, () => {
  const host = docker26 ?? ''
  const engine = createEngine({ socketPath: host.replace(/^unix:\/\//, '') })

  it('is the engine whose BuildKit cannot read an uploaded context (moby/moby#47717)', async () => {
    expect(await engine.info()).toMatchObject({ version: expect.stringMatching(/^26\.1\./), store: 'containerd' })
  })

  it('builds through the context slimcheck serves for it to fetch, and measures as elsewhere', async () => {
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nCOPY payload.bin /payload.bin\nRUN ln -s /payload.bin /link\n`,
      'payload.bin': Buffer.alloc(5000, 1)
    })
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine,
      logger: recordingLogger(),
      version: 'test'
    })
    expect(report.variants[0]).toMatchObject({ status: 'built', image: { store: 'containerd' } })
    const layers = report.variants[0].image!.layers.map((layer) => layer.sizeBytes)
    expect(layers.slice(-2)).toEqual([5000, 0])
  })
})
