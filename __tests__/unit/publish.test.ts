import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import { outcomeOf, publishToRun } from '../../src/publish/index.js'
import { summaryText } from '../../src/report/index.js'
import { signedBytes } from '../../src/format.js'
import { verdictMarkdown } from '../../src/report/comment.js'
import type { Report, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { build, image, policy, report } from '../support/reports.js'
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
    expect(outcomeOf(demo.comparison)).toEqual({
      passed: true,
      result: 'passed',
      violations: 0,
      sizeDelta: 5_310_137
    })
    const large = largeScenario()
    expect(outcomeOf(large.comparison)).toMatchObject({ passed: false, violations: 4 })
    const alone = compareReports(undefined, demo.head, { source: 'none' }, policy())
    expect(outcomeOf(alone)).toEqual({ passed: false, result: 'failed', violations: 1 })
  })

  it('say when something could not be checked, apart from a limit that failed', () => {
    const demo = demoScenario()
    const unmeasured = {
      ...demo.head,
      variants: demo.head.variants.map((variant) =>
        variant.name === 'slim'
          ? {
              ...variant,
              status: 'failed' as const,
              image: undefined,
              build: undefined,
              failure: { message: 'not measured: no space left on device', logTail: [], kind: 'unmeasured' as const }
            }
          : variant
      )
    }
    const comparison = compareReports(demo.base, unmeasured, { source: 'build' }, policy())
    expect(outcomeOf(comparison)).toMatchObject({ passed: false, result: 'not-checked', violations: 1 })
    const notCompared = compareReports(
      undefined,
      demo.head,
      { source: 'none', unavailable: 'git fetch failed' },
      policy()
    )
    expect(notCompared.violations.map((violation) => violation.limit)).toContain('not-compared')
    expect(outcomeOf(notCompared).result).toBe('failed')
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
        outcome: outcomeOf(demo.comparison),
        sarifPath: path.join(dir, 'slimcheck.sarif'),
        annotations: false,
        pathPrefix: ''
      },
      recordingLogger()
    )
    expect(readOutputs(process.env.GITHUB_OUTPUT)).toMatchObject({
      passed: 'true',
      result: 'passed',
      violations: '0',
      'size-delta': '5310137',
      'sarif-path': path.join(dir, 'slimcheck.sarif')
    })
  })
})

describe('the published totals', () => {
  const MB = 1_000_000
  const built = (name: string, sizeBytes: number): VariantReport => ({
    name,
    dockerfile: `${name}/Dockerfile`,
    context: name,
    buildArgNames: [],
    status: 'built',
    image: image(sizeBytes, [{ sizeBytes, createdBy: 'RUN make' }]),
    build: build([10]),
    findings: []
  })
  const failed = (name: string): VariantReport => ({
    ...built(name, 0),
    status: 'failed',
    image: undefined,
    build: undefined,
    failure: { message: 'exit code 1', logTail: [], kind: 'build' }
  })
  const published = (base: Report, head: Report) => {
    const comparison = compareReports(base, head, { source: 'build' }, policy())
    return {
      summary: summaryText(head, comparison),
      sizeDelta: outcomeOf(comparison).sizeDelta,
      verdict: verdictMarkdown(comparison, head, base, 'main'),
      report: comparison.totalSize
    }
  }

  it('count added variants in the summary as in size-delta, the verdict and the JSON report', () => {
    const base = report([built('app', 100 * MB)])
    const added = ['a', 'b', 'c', 'd', 'e'].map((name) => built(name, 20 * MB))
    const run = published(base, report([built('app', 100 * MB), ...added]))
    expect(run.summary).toBe(
      '6 variants (6 built); no findings; total size +100 MB (with 5 added variants); policy passed'
    )
    expect(run.sizeDelta).toBe(100 * MB)
    expect(run.report).toMatchObject({ before: 100 * MB, after: 200 * MB, delta: 100 * MB })
    expect(run.verdict).toContain('Total +100 MB (100 MB → 200 MB), with 5 added variants.')
  })

  it('subtract removed variants and say how many they cannot count', () => {
    const base = report([built('app', 100 * MB), built('old', 30 * MB), built('fragile', 40 * MB)])
    const run = published(base, report([built('app', 110 * MB), failed('fragile')]))
    expect(run.summary).toBe(
      '2 variants (1 built, 1 failed); no findings; total size -20.0 MB (with 1 removed variant, not counting 1 that did not build); policy failed (1)'
    )
    expect(run.sizeDelta).toBe(-20 * MB)
    expect(run.verdict).toContain('Total -20.0 MB (130 MB → 110 MB), with 1 removed variant; not counted: `fragile`.')
  })

  it('agree on the scenarios of the comment tests', () => {
    for (const scenario of [demoScenario(), largeScenario()]) {
      const { comparison, head } = scenario
      const delta = outcomeOf(comparison).sizeDelta!
      expect(delta).toBe(comparison.totalSize!.delta)
      expect(summaryText(head, comparison)).toContain(`total size ${signedBytes(delta)}`)
    }
  })
})
