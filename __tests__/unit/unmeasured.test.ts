import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import { parseLimit, parseSettings } from '../../src/config.js'
import type { Engine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import { buildFailureKind, sameBuildFailure, stepIdentity } from '../../src/measure/failure.js'
import { outcomeOf } from '../../src/publish/index.js'
import { renderComment, verdictMarkdown } from '../../src/report/comment.js'
import type { VariantFailure, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { builtVariant, policy, report } from '../support/reports.js'

const MB = 1_000_000
const RUN_FAILED = 'process "/bin/sh -c make" did not complete successfully: exit code: 2'

const built = (name: string, sizeBytes: number): VariantReport => builtVariant(name, { sizeBytes })

function failedWith(name: string, failure: VariantFailure): VariantReport {
  return { ...built(name, 0), status: 'failed', image: undefined, build: undefined, failure }
}

const genuine = (step = '[2/3] RUN make'): VariantFailure => ({
  message: RUN_FAILED,
  logTail: [],
  kind: 'build',
  step: stepIdentity(step)
})
const machinery = (message: string): VariantFailure => ({ message, logTail: [], kind: 'unmeasured' })

describe('a failed build', () => {
  it.each([
    [RUN_FAILED, 'build'],
    // BuildKit 0.8 (Docker 20.10)
    ["executor failed running [/bin/sh -c echo 'half way' && exit 7]: exit code: 7", 'build'],
    ['failed to compute cache key: failed to calculate checksum of ref abc::def: "/app": not found', 'build'],
    ['dockerfile parse error on line 3: unknown instruction: RUNN', 'build'],
    ['target stage "prod" could not be found', 'build'],
    ['failed to solve: write /var/lib/docker/tmp/x: no space left on device', 'unmeasured'],
    ['process "/bin/sh -c make" did not complete successfully: no space left on device', 'unmeasured'],
    [
      'failed to resolve source metadata for docker.io/library/python:3.12: failed to do request: Head "https://registry-1.docker.io/v2/library/python/manifests/3.12": dial tcp: i/o timeout',
      'unmeasured'
    ],
    ['failed to create endpoint on network bridge: network bridge not found', 'unmeasured'],
    ['build timed out after 900 s (build-timeout)', 'unmeasured'],
    ['rpc error: code = Unavailable desc = transport is closing', 'unmeasured'],
    ['something the engine never said before', 'unmeasured']
  ])('%s is a failure of the %s', (error, kind) => {
    const steps = [{ name: '[2/3] RUN make', cached: false, error }]
    expect(buildFailureKind(error, steps).kind).toBe(kind)
  })

  it('names its step without the position a line added above would change', () => {
    expect(
      buildFailureKind(RUN_FAILED, [{ name: '[runtime 3/5] RUN make', cached: false, error: RUN_FAILED }])
    ).toEqual({ kind: 'build', step: '[runtime] RUN make' })
    expect(stepIdentity('[4/6] RUN make')).toBe(stepIdentity('[3/5] RUN make'))
  })

  it('is the same failure only for the same step with the same error', () => {
    expect(sameBuildFailure(genuine(), genuine('[3/4] RUN make'))).toBe(true)
    expect(sameBuildFailure(genuine('[2/3] RUN make test'), genuine())).toBe(false)
    expect(sameBuildFailure({ ...genuine(), message: RUN_FAILED.replace('2', '1') }, genuine())).toBe(false)
    expect(sameBuildFailure(machinery('no space left on device'), machinery('no space left on device'))).toBe(false)
    // An earlier slimcheck's stored report did not classify: its message alone decides.
    expect(sameBuildFailure({ message: RUN_FAILED, logTail: [] }, genuine())).toBe(true)
    expect(sameBuildFailure({ message: 'no space left on device', logTail: [] }, genuine())).toBe(false)
  })
})

describe('what could not be measured', () => {
  const limits = policy({ maxSizeIncrease: parseLimit('max-size-increase', '5%') })

  it('is never a pass, even when both sides failed alike', () => {
    const down = machinery('not measured: the build was interrupted: socket hang up')
    const base = report([failedWith('api', down), failedWith('web', down)])
    const head = report([failedWith('api', down), failedWith('web', down)])
    const comparison = compareReports(base, head, { source: 'build' }, limits)
    expect(comparison.violations.map((violation) => [violation.limit, violation.inherited ?? false])).toEqual([
      ['not-measured', false],
      ['not-measured', false]
    ])
    expect(comparison.inherited).toEqual([])
    expect(outcomeOf(comparison)).toMatchObject({ passed: false, result: 'not-checked' })
    expect(verdictMarkdown(comparison, head, base, 'main')).toBe(
      '❌ **slimcheck**: no new violations, but 2 not checked: `api` was not measured (the build was interrupted: socket hang up); `web` was not measured (the build was interrupted: socket hang up). Total unchanged at 0 B; not counted: `api`, `web`.'
    )
  })

  it('counts a build that fails alike on both sides as inherited, and one that fails otherwise as new', () => {
    const base = report([failedWith('api', genuine()), failedWith('web', genuine())])
    const head = report([failedWith('api', genuine('[3/4] RUN make')), failedWith('web', genuine('[2/3] RUN test'))])
    const comparison = compareReports(base, head, { source: 'build' }, limits)
    expect(comparison.inherited.map((violation) => violation.variant)).toEqual(['api'])
    expect(comparison.violations.map((violation) => [violation.limit, violation.variant])).toEqual([['build', 'web']])
  })

  it('is a variant whose baseline could not be measured: its growth was not compared', () => {
    const base = report([failedWith('api', machinery('not measured: could not pull `python:3.12`: …'))])
    const head = report([built('api', 120 * MB)])
    const comparison = compareReports(base, head, { source: 'build' }, limits)
    expect(comparison.violations).toEqual([
      expect.objectContaining({
        limit: 'not-measured',
        variant: 'api',
        message: expect.stringContaining('not compared')
      })
    ])
    expect(verdictMarkdown(comparison, head, base, 'main')).toMatch(
      /^❌ \*\*slimcheck\*\*: no new violations, but 1 not checked: `api` was not compared: the baseline's build was not measured \(could not pull/
    )
  })

  it('is a baseline asked for and not had: the limits it checks are named as not checked', () => {
    const head = report([built('api', 120 * MB)])
    const baseline = { source: 'none' as const, unavailable: 'the base commit could not be fetched' }
    const comparison = compareReports(undefined, head, baseline, limits)
    expect(comparison.violations.map((violation) => violation.limit)).toEqual(['not-compared'])
    expect(outcomeOf(comparison)).toMatchObject({ passed: false, result: 'not-checked' })
    expect(verdictMarkdown(comparison, head, undefined, 'main')).toContain(
      'not compared with the baseline: the base commit could not be fetched; max-size-increase was not checked (not compared).'
    )
  })

  it('says what was not checked when the pull request opted out of a comparison, without failing it', () => {
    const head = report([built('api', 120 * MB)])
    const comparison = compareReports(
      undefined,
      head,
      { source: 'none', note: 'baseline is none', optedOut: true },
      limits
    )
    expect(outcomeOf(comparison)).toMatchObject({ passed: true, result: 'passed' })
    expect(verdictMarkdown(comparison, head, undefined, 'main')).toMatch(
      /^✅ \*\*slimcheck\*\*: passed \(no baseline, so every finding counts\); max-size-increase was not checked \(baseline: none\)\./
    )
  })
})

describe('the pulls of a run', () => {
  it('are named in the footnote, apart from the build times', () => {
    const base = report([built('api', 100 * MB)])
    const head = {
      ...report([built('api', 100 * MB)]),
      pulls: [{ image: 'python:3.12', digest: `sha256:${'a'.repeat(64)}`, bytes: 412_000_000, seconds: 9.8 }]
    }
    const comparison = compareReports(base, head, { source: 'build' }, policy())
    const comment = renderComment(head, base, comparison, { key: 'k', baseLabel: 'main' })
    expect(comment).toContain('Pulled before the builds, not in build times: `python:3.12` 412 MB in 9.8 s.')
  })
})

describe('a RUN that failed for the machine', () => {
  it.each([
    [['#7 12.3 E: Write error - write (28: No space left on device)'], 'unmeasured'],
    [
      ["#7 1.2 Err:1 http://deb.debian.org/debian bookworm InRelease Temporary failure resolving 'deb.debian.org'"],
      'unmeasured'
    ],
    [['#7 0.4 make: *** [all] Error 2'], 'build']
  ])('is told by its log: %j → %s', (logTail, kind) => {
    const error = 'process "/bin/sh -c apt-get update" did not complete successfully: exit code: 100'
    expect(buildFailureKind(error, [], logTail).kind).toBe(kind)
  })

  it('is told by a signal: exit code 137 is the OOM killer, not the command', () => {
    expect(buildFailureKind('process "/bin/sh -c make" did not complete successfully: exit code: 137', []).kind).toBe(
      'unmeasured'
    )
  })
})

describe('an engine that stops answering while images are made ready', () => {
  it('leaves the variant not measured and the run whole, its report written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-pull-fault-'))
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM example.test/base:1\nRUN true\n')
    const engine = {
      info: () =>
        Promise.resolve({ version: '28.5.2', apiVersion: '1.51', store: 'overlay2', os: 'linux', arch: 'amd64' }),
      buildCacheIds: () => Promise.resolve([]),
      pruneBuildCacheSince: () => Promise.resolve({ removed: 0, kept: 0 }),
      hasImage: () => Promise.reject(new Error('socket hang up'))
    } as unknown as Engine
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine,
      logger: recordingLogger(),
      version: 'test'
    })
    expect(report.variants[0]).toMatchObject({ status: 'failed', failure: { kind: 'unmeasured' } })
    expect(report.variants[0].failure!.message).toBe(
      'not measured: could not pull `example.test/base:1`: socket hang up'
    )
  })
})
