import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import { outcomeOf, publishToRun } from '../../src/publish/index.js'
import { recordingLogger } from '../support/logger.js'
import { policy } from '../support/reports.js'
import { demoScenario, largeScenario } from '../support/scenarios.js'

const saved = { output: process.env.GITHUB_OUTPUT, summary: process.env.GITHUB_STEP_SUMMARY }

afterEach(() => {
  process.env.GITHUB_OUTPUT = saved.output
  process.env.GITHUB_STEP_SUMMARY = saved.summary
  if (saved.output === undefined) delete process.env.GITHUB_OUTPUT
  if (saved.summary === undefined) delete process.env.GITHUB_STEP_SUMMARY
})

/** The `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  for (const match of fs.readFileSync(file, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
    outputs[match[1]] = match[3]
  return outputs
}

describe('the structured outputs', () => {
  it('say whether the policy passed, how many violations fail it, and the total size change', () => {
    const demo = demoScenario()
    expect(outcomeOf(demo.comparison, demo.head, demo.base)).toEqual({
      passed: true,
      violations: 0,
      sizeDelta: 5_310_137
    })
    const large = largeScenario()
    expect(outcomeOf(large.comparison, large.head, large.base)).toMatchObject({ passed: false, violations: 4 })
    const alone = compareReports(undefined, demo.head, { source: 'none' }, policy())
    expect(outcomeOf(alone, demo.head, undefined)).toEqual({ passed: false, violations: 1 })
  })

  it('are written as step outputs, with the SARIF path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-outputs-'))
    process.env.GITHUB_OUTPUT = path.join(dir, 'output')
    fs.writeFileSync(process.env.GITHUB_OUTPUT, '')
    delete process.env.GITHUB_STEP_SUMMARY
    const demo = demoScenario()
    await publishToRun(
      {
        report: demo.head,
        reportPath: path.join(dir, 'report.json'),
        markdown: 'body',
        fullMarkdown: 'body',
        summary: 'one line',
        outcome: outcomeOf(demo.comparison, demo.head, demo.base),
        sarifPath: path.join(dir, 'slimcheck.sarif'),
        annotations: false,
        pathPrefix: ''
      },
      recordingLogger()
    )
    expect(readOutputs(process.env.GITHUB_OUTPUT)).toMatchObject({
      passed: 'true',
      violations: '0',
      'size-delta': '5310137',
      'sarif-path': path.join(dir, 'slimcheck.sarif')
    })
  })
})
