import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

/** BuildKit reads a Dockerfile line by line with Go's default scanner, so each line stays under its 64 KiB. */
const LABEL_BYTES = 60_000

describe('an image whose config is larger than 4 MiB', () => {
  it('is measured: its labels (and their history entries) are read as the config, not as a layer', async () => {
    const labels = Array.from({ length: 90 }, (_, index) => `LABEL l${index}="${'x'.repeat(LABEL_BYTES)}"\n`)
    const dir = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\n${labels.join('')}RUN echo built > /built\n` })
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine: createEngine(),
      logger: recordingLogger(),
      version: 'test'
    })
    const [variant] = report.variants
    expect(variant.failure?.message).toBeUndefined()
    expect(variant.status).toBe('built')
    expect(variant.image!.layers.filter((layer) => layer.createdBy.startsWith('LABEL l'))).toHaveLength(90)
  })
})
