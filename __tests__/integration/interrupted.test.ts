import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { startEngineProxy } from '../support/engine-proxy.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

describe('an engine that goes away mid-build', () => {
  it('leaves the variant not measured, named as interrupted, with its log so far', async () => {
    const proxy = await startEngineProxy()
    const dir = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\nRUN echo compiling-now && sleep 30\n` })
    const logger = recordingLogger()
    const watch = setInterval(() => {
      if (logger.lines.some((line) => line.includes('compiling-now'))) void proxy.close()
    }, 100)
    try {
      const report = await runPipeline({
        settings: parseSettings({ 'build-timeout': '120' }, dir),
        engine: createEngine({ socketPath: proxy.socketPath }),
        logger,
        version: 'test'
      })
      const [variant] = report.variants
      expect(variant.status).toBe('failed')
      expect(variant.failure).toMatchObject({ kind: 'unmeasured' })
      expect(variant.failure!.message).toMatch(/^not measured: the build was interrupted: /)
      expect(variant.failure!.logTail.join('\n')).toContain('compiling-now')
    } finally {
      clearInterval(watch)
      await proxy.close()
    }
  })
})
