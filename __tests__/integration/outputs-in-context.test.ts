import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { writeReport } from '../../src/report/index.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

describe("slimcheck's own report and SARIF", () => {
  it('stay out of the build context: a second run on an unchanged tree measures the same bytes', async () => {
    const dir = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\nCOPY . /app\n`, 'app.sh': 'echo app\n' })
    const settings = parseSettings({}, dir)
    const engine = createEngine()
    const logger = recordingLogger()
    const first = await runPipeline({ settings, engine, logger, version: 'test' })
    writeReport(first, settings.reportPath)
    fs.writeFileSync(settings.sarifPath, '{"version":"2.1.0","runs":[]}\n'.repeat(1000))
    const second = await runPipeline({ settings, engine, logger: recordingLogger(), version: 'test' })
    expect(first.variants[0].status).toBe('built')
    expect(second.variants[0].image!.sizeBytes).toBe(first.variants[0].image!.sizeBytes)
    expect(second.variants[0].fingerprint).toEqual(first.variants[0].fingerprint)
    expect(logger.lines).toContain(
      'Left out of every build context, whatever .dockerignore says: slimcheck-report.json, slimcheck.sarif (what slimcheck writes)'
    )
  })
})
