import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

/**
 * BuildKit reads a Dockerfile line by line with Go's default scanner, so each line stays under its 64 KiB. The config
 * holds the labels twice, as labels and in the LABEL's history entry: 2.4 MB of labels make it 4.8 MB. (Docker 20.10
 * takes minutes over a config of 10 MB.)
 */
const LABEL_BYTES = 60_000
const LABELS = 40

/**
 * Docker 20.10 takes over a minute to commit such a config: there the test is skipped, as the archive is read alike on
 * every engine (and the unit tests read one from every layout).
 */
const { version } = await createEngine().info()
const quickEnough = Number(version.split('.')[0]) >= 23
if (!quickEnough) console.warn(`large-config: skipped on Docker ${version}, which takes minutes over a 4.8 MB config`)

describe('an image whose config is larger than 4 MiB', () => {
  ;(quickEnough ? it : it.skip)(
    'is measured: its labels (and their history entry) are read as the config, not as a layer',
    async () => {
      const labels = Array.from({ length: LABELS }, (_, index) => `l${index}="${'x'.repeat(LABEL_BYTES)}"`)
      const dir = makeWorkspace({
        Dockerfile: `FROM ${TEST_BASE}\nLABEL ${labels.join(' \\\n  ')}\n`
      })
      const report = await runPipeline({
        settings: parseSettings({}, dir),
        engine: createEngine(),
        logger: recordingLogger(),
        version: 'test'
      })
      const [variant] = report.variants
      expect(variant.failure?.message).toBeUndefined()
      expect(variant.status).toBe('built')
      const label = variant.image!.layers.find((layer) => layer.createdBy.startsWith('LABEL l0='))
      expect(label?.createdBy.length).toBeGreaterThan(LABELS * LABEL_BYTES)
    }
  )
})
