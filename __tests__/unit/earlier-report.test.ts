import { describe, expect, it } from '@jest/globals'
import { earlierReport, parseStoredReport } from '../../src/baseline.js'
import { parseSettings } from '../../src/config.js'
import { runPipelines } from '../../src/pipeline.js'
import type { GitHubClient, StoredReport } from '../../src/publish/github.js'
import type { Report } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { report as reportOf } from '../support/reports.js'
import { makeWorkspace } from '../support/workspace.js'

const STORED: StoredReport = {
  artifactId: 3,
  runId: 41,
  runUrl: 'https://github.com/o/r/actions/runs/41',
  headSha: 'a'.repeat(40)
}

function storedReport(variants: Array<{ name: string; dockerfile: string }>): Report {
  return reportOf(
    variants.map((variant) => ({ ...variant, context: '.', buildArgNames: [], status: 'skipped', findings: [] }))
  )
}

/** A client whose lookup of stored reports does what `find` does, and counts the lookups. */
function client(find: () => Promise<StoredReport | undefined>, report = storedReport([])) {
  const calls = { find: 0 }
  const github = {
    findStoredReport: () => {
      calls.find++
      return find()
    },
    downloadReport: () => Promise.resolve(JSON.stringify(report))
  } as unknown as GitHubClient
  return { github, calls }
}

const workspace = makeWorkspace({ Dockerfile: 'FROM scratch\n' })

describe('the report an earlier push stored', () => {
  it('is read from the newest push run on the branch, and the log says which', async () => {
    const report = storedReport([{ name: 'api', dockerfile: 'api/Dockerfile' }])
    const { github } = client(() => Promise.resolve(STORED), report)
    const logger = recordingLogger()
    const settings = parseSettings({}, workspace)
    await expect(earlierReport({ settings, branch: 'main', workflow: 'ci.yml', github, logger })).resolves.toEqual(
      report
    )
    expect(logger.lines).toContain(
      `Variant names: kept from artifact 'slimcheck-report' of run 41 (${STORED.runUrl}) at ${STORED.headSha}`
    )
  })

  it.each([
    ['a leg of a matrix', { shard: '1/2' }],
    ['baseline: none', { baseline: 'none' }]
  ])('is not looked for by %s', async (_kind, inputs) => {
    const { github, calls } = client(() => Promise.resolve(STORED))
    const settings = parseSettings(inputs, workspace)
    await expect(
      earlierReport({ settings, branch: 'main', workflow: 'ci.yml', github, logger: recordingLogger() })
    ).resolves.toBeUndefined()
    expect(calls.find).toBe(0)
  })

  it.each([
    ['fails', () => Promise.reject(new Error('listing failed with HTTP 403: Resource not accessible')), 'HTTP 403'],
    ['never ends', () => new Promise<never>(() => undefined), 'looking for it did not finish within 0.2 s']
  ])('is done without, with a warning, when the lookup %s', async (_kind, find, reason) => {
    const { github } = client(find)
    const logger = recordingLogger()
    const settings = parseSettings({}, workspace)
    const found = await earlierReport({ settings, branch: 'main', workflow: 'ci.yml', github, logger, seconds: 0.2 })
    expect(found).toBeUndefined()
    expect(logger.lines.find((line) => line.startsWith('warning:'))).toContain(reason)
  })
})

describe('a stored report', () => {
  const stored = (variants: unknown[]): string =>
    JSON.stringify({ ...reportOf([]), commit: 'abc1234', variants, baseReport: reportOf([]) })
  const built = { name: 'a', dockerfile: 'A', context: '.', buildArgNames: [], status: 'built', findings: [] }

  it('is read when every field has its type', () => {
    expect(parseStoredReport(stored([built])).variants).toEqual([built])
  })

  it.each([
    [[built, null], "the stored report's variants[1]: expected an object, got null"],
    [[{ ...built, name: undefined }], "the stored report's variants[0].name: missing"],
    [
      [built, built, { ...built, build: { seconds: 'slow', samples: [1], cache: 'cold', method: 'm' } }],
      'the stored report\'s variants[2].build.seconds: expected a number, got "slow"'
    ],
    [
      [{ ...built, status: 'failed', failure: { message: null, logTail: [] } }],
      "the stored report's variants[0].failure.message: expected a string, got null"
    ],
    [
      [{ ...built, status: 'done' }],
      'the stored report\'s variants[0].status: expected one of "built", "failed", "skipped", got "done"'
    ]
  ])('is refused with the field whose type is wrong: %j', (variants, message) => {
    expect(() => parseStoredReport(stored(variants))).toThrow(message)
  })

  it('is refused in what it carries too, and for another schema version first', () => {
    const nested = { ...reportOf([]), baseReport: { ...reportOf([]), problems: [3] } }
    expect(() => parseStoredReport(JSON.stringify(nested))).toThrow(
      "the stored report's baseReport.problems[0]: expected a string, got 3"
    )
    expect(() => parseStoredReport(JSON.stringify({ schemaVersion: 1, variants: 'old' }))).toThrow(
      'the stored report has schemaVersion 1; this slimcheck reads 2'
    )
  })
})

describe('a push run’s names', () => {
  const run = (dir: string, earlier: () => Promise<Report | undefined>) =>
    runPipelines({
      sides: [{ label: 'head', settings: parseSettings({}, dir) }],
      logger: recordingLogger(),
      version: 'test',
      runs: 1,
      earlier
    })

  it('come from the earlier report where two Dockerfiles want one name', async () => {
    const dir = makeWorkspace({ 'api/Dockerfile': 'FROM scratch\n', 'Dockerfile.api': 'FROM scratch\n' })
    let asked = 0
    const earlier = () => {
      asked++
      return Promise.resolve(storedReport([{ name: 'api', dockerfile: 'api/Dockerfile' }]))
    }
    const [report] = await run(dir, earlier)
    expect(asked).toBe(1)
    expect(report.variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
      ['Dockerfile.api', 'Dockerfile.api'],
      ['api', 'api/Dockerfile']
    ])
  })

  it('give a name back once its holder is gone: the earlier report’s path names are not kept', async () => {
    const dir = makeWorkspace({
      'Dockerfile.api': 'FROM scratch\n',
      'Dockerfile.web': 'FROM scratch\n',
      'web/Dockerfile': 'FROM scratch\n'
    })
    const earlier = () =>
      Promise.resolve(
        storedReport([
          { name: 'Dockerfile.api', dockerfile: 'Dockerfile.api' },
          { name: 'api', dockerfile: 'api/Dockerfile' },
          { name: 'Dockerfile.web', dockerfile: 'Dockerfile.web' },
          { name: 'web', dockerfile: 'web/Dockerfile' }
        ])
      )
    const [report] = await run(dir, earlier)
    expect(report.variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
      ['api', 'Dockerfile.api'],
      ['Dockerfile.web', 'Dockerfile.web'],
      ['web', 'web/Dockerfile']
    ])
  })

  it('name the base side a build measures as the stored report does, and the head after it', async () => {
    const files = { 'api/Dockerfile': 'FROM scratch\n', 'Dockerfile.api': 'FROM scratch\n' }
    const reports = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({}, makeWorkspace(files)) },
        { label: 'head', settings: parseSettings({}, makeWorkspace(files)) }
      ],
      logger: recordingLogger(),
      version: 'test',
      runs: 1,
      earlier: () => Promise.resolve(storedReport([{ name: 'api', dockerfile: 'api/Dockerfile' }]))
    })
    for (const report of reports)
      expect(report.variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
        ['Dockerfile.api', 'Dockerfile.api'],
        ['api', 'api/Dockerfile']
      ])
  })

  it('need no earlier report where no two Dockerfiles want one name', async () => {
    const dir = makeWorkspace({ 'api/Dockerfile': 'FROM scratch\n', 'Dockerfile.web': 'FROM scratch\n' })
    let asked = 0
    await run(dir, () => {
      asked++
      return Promise.resolve(undefined)
    })
    expect(asked).toBe(0)
  })
})
