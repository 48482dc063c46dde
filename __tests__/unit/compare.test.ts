import { describe, expect, it } from '@jest/globals'
import {
  beyondNoise,
  compareReports,
  compareVariant,
  delta,
  diffFindings,
  diffLayers,
  failOnViolations,
  policyViolations,
  runFailures,
  sizeTotals,
  spreadMeasured,
  timeDelta
} from '../../src/compare/index.js'
import { parseFailOn, parseLimit, parseSizeBudgets } from '../../src/config.js'
import { slowerSteps } from '../../src/compare/steps.js'
import { build, finding, image, policy, report } from '../support/reports.js'
import type { BaselineInfo, BuildStep, Finding, Layer, VariantReport, VariantStatus } from '../../src/types.js'

const MB = 1_000_000
const BASELINE: BaselineInfo = { source: 'build', commit: 'a'.repeat(40) }

function layer(sizeBytes: number, text?: string, line?: number): Layer {
  return {
    sizeBytes,
    createdBy: text ?? 'ADD rootfs.tar.xz /',
    ...(text ? { instruction: { line: line ?? 1, text } } : {})
  }
}

interface VariantOptions {
  status?: VariantStatus
  size?: number
  compressed?: number
  samples?: number[]
  steps?: BuildStep[]
  layers?: Layer[]
  findings?: Finding[]
  dockerfile?: string
}

function variant(name: string, options: VariantOptions = {}): VariantReport {
  const status = options.status ?? 'built'
  const size = options.size ?? 100 * MB
  return {
    name,
    dockerfile: options.dockerfile ?? `${name}/Dockerfile`,
    context: name,
    buildArgNames: [],
    status,
    findings: options.findings ?? [],
    ...(status === 'built'
      ? {
          image: image(size, options.layers ?? [layer(size)], {
            id: `sha256:${name}`,
            ...(options.compressed === undefined ? {} : { compressedBytes: options.compressed })
          }),
          build: build(options.samples ?? [10], options.steps ? { steps: options.steps } : {})
        }
      : {}),
    ...(status === 'failed'
      ? { failure: { message: 'exit code 1', logTail: ['step 2 failed'], kind: 'build', step: '[2/2] RUN make' } }
      : {})
  }
}

function median(samples: number[]): number {
  return build(samples).seconds
}

function limits(violations: { limit: string; variant?: string }[]): string[] {
  return violations.map((violation) => `${violation.limit} ${violation.variant ?? ''}`.trim())
}

describe('delta', () => {
  it.each([
    [100, 150, 50, 50],
    [200, 100, -100, -50],
    [10, 10, 0, 0],
    [0, 10, 10, null],
    [0, 0, 0, null]
  ])('%d → %d: Δ %d, %p %', (before, after, change, percent) => {
    expect(delta(before, after)).toEqual({ before, after, delta: change, percent })
  })
})

describe('timeDelta', () => {
  it.each([
    ['overlapping ranges', [10, 11, 12], [11.5, 12.5, 13], true],
    ['ranges that touch', [10, 11, 12], [12, 13, 14], true],
    ['one range inside the other', [8, 10, 14], [10, 11, 12], true],
    ['disjoint, slower', [10, 10.5, 11], [20, 20.5, 21], false],
    ['disjoint, faster', [20, 20.5, 21], [10, 10.5, 11], false],
    ['one run a side, equal', [10], [10], true],
    ['one run a side, different', [10], [20], false]
  ])('%s: noise %p', (_, before, after, noise) => {
    const time = timeDelta(before, after, median(before), median(after))
    expect(time.noise).toBe(noise)
    expect(time.beforeRange).toEqual({ min: Math.min(...before), max: Math.max(...before) })
    expect(time.afterRange).toEqual({ min: Math.min(...after), max: Math.max(...after) })
    expect(time.runs).toEqual({ before: before.length, after: after.length })
  })

  it('measures the change between the medians', () => {
    expect(timeDelta([10, 10.5, 11], [20, 21, 22], 10.5, 21)).toMatchObject({
      before: 10.5,
      after: 21,
      delta: 10.5,
      percent: 100
    })
  })

  it.each([
    [[10], [10], false],
    [[10], [10, 11, 12], false],
    [[10, 11, 12], [10], false],
    [[10, 11], [12, 13], true]
  ])('spread measured with %p and %p: %p', (before, after, measured) => {
    expect(spreadMeasured(timeDelta(before, after, median(before), median(after)))).toBe(measured)
  })
})

describe('diffFindings', () => {
  const shared = finding()
  const conda = finding({
    rule: 'conda-in-production',
    severity: 'error',
    line: 4,
    message: 'RUN conda install in the final stage'
  })
  const floating = finding({ rule: 'floating-tag', line: 9, message: '`node:latest` floats' })

  it('sorts findings into new, fixed and unchanged', () => {
    expect(diffFindings([shared, conda], [shared, floating])).toEqual({
      added: [floating],
      fixed: [conda],
      unchanged: [shared]
    })
  })

  it.each([
    ['moved to another line', { line: 30 }, 'unchanged'],
    ['in a moved Dockerfile', { file: 'docker/Dockerfile' }, 'unchanged'],
    [
      'with other numbers in its message, on another line',
      { line: 30, message: '`python:3.13` uses a shared tag' },
      'unchanged'
    ],
    [
      'with another message on the same line (an edited instruction)',
      { message: '`node:20` uses a shared tag' },
      'unchanged'
    ],
    ['with another message on another line', { line: 30, message: '`node:20` uses a shared tag' }, 'added'],
    ['of another rule', { rule: 'floating-tag' as const }, 'added'],
    ['of another evidence', { evidence: 'image' as const }, 'added']
  ])('the same finding %s counts as %s', (_, change, expected) => {
    const moved = { ...shared, ...change }
    const diff = diffFindings([shared], [moved])
    expect(expected === 'unchanged' ? diff.unchanged : diff.added).toEqual([moved])
    expect(diff.fixed).toEqual(expected === 'unchanged' ? [] : [shared])
  })

  it('pairs the exact finding before a moved look-alike, so the one that really went away is the fix', () => {
    const first = { ...shared, line: 3 }
    const second = { ...shared, line: 12 }
    expect(diffFindings([first, second], [{ ...second }])).toEqual({ added: [], fixed: [first], unchanged: [second] })
  })

  it('recognises the image conda finding after its byte counts changed', () => {
    const fromImage = (bytes: number): Finding =>
      finding({
        rule: 'conda-in-production',
        severity: 'error',
        evidence: 'image',
        line: 4,
        message: `The built image carries conda: a conda prefix at /opt/conda (${bytes} bytes).`
      })
    expect(diffFindings([fromImage(412_000_000)], [fromImage(415_300_000)]).unchanged).toHaveLength(1)
  })

  it('pairs identical findings one to one, so fixing one of two is a fix', () => {
    const second = { ...shared, line: 12 }
    expect(diffFindings([shared, second], [shared])).toEqual({ added: [], fixed: [second], unchanged: [shared] })
    expect(diffFindings([shared], [shared, second])).toEqual({ added: [second], fixed: [], unchanged: [shared] })
  })

  it('handles empty sides', () => {
    expect(diffFindings([], [])).toEqual({ added: [], fixed: [], unchanged: [] })
    expect(diffFindings([], [conda])).toEqual({ added: [conda], fixed: [], unchanged: [] })
    expect(diffFindings([conda], [])).toEqual({ added: [], fixed: [conda], unchanged: [] })
  })
})

describe('diffLayers', () => {
  it('groups layers by instruction and base image, and lists the largest changes first', () => {
    const base = variant('app', {
      layers: [
        layer(70 * MB),
        layer(5 * MB),
        layer(20 * MB, 'RUN pip install -r requirements.txt', 4),
        layer(1 * MB, 'COPY . /app', 6),
        layer(3 * MB, 'RUN apt-get install -y gcc', 3)
      ]
    })
    const head = variant('app', {
      layers: [
        layer(80 * MB),
        layer(20 * MB, 'RUN pip install -r requirements.txt', 5),
        layer(2 * MB, 'COPY . /app', 7),
        layer(9 * MB, 'RUN conda install numpy', 6)
      ]
    })
    expect(diffLayers(base, head)).toEqual([
      { instruction: 'RUN conda install numpy', line: 6, before: 0, after: 9 * MB, delta: 9 * MB },
      { instruction: 'base image', line: undefined, before: 75 * MB, after: 80 * MB, delta: 5 * MB },
      { instruction: 'RUN apt-get install -y gcc', line: 3, before: 3 * MB, after: 0, delta: -3 * MB },
      { instruction: 'COPY . /app', line: 7, before: 1 * MB, after: 2 * MB, delta: 1 * MB }
    ])
  })

  it('keeps the five largest changes, ties by instruction', () => {
    const instructions = ['RUN a', 'RUN b', 'RUN c', 'RUN d', 'RUN e', 'RUN f', 'RUN g']
    const head = variant('app', {
      layers: instructions.map((text, index) => layer(index < 2 ? 5 * MB : (index + 1) * MB, text, index + 2))
    })
    const changes = diffLayers(variant('app', { layers: [] }), head)
    expect(changes.map((change) => change.instruction)).toEqual(['RUN g', 'RUN f', 'RUN a', 'RUN b', 'RUN e'])
  })

  it('pairs an edited instruction with the one on the same line, under its new text', () => {
    const base = variant('app', { layers: [layer(70 * MB), layer(133 * MB, 'RUN apt-get install -y python3', 11)] })
    const head = variant('app', {
      layers: [layer(70 * MB), layer(138 * MB, 'RUN apt-get install -y python3 curl', 11)]
    })
    expect(diffLayers(base, head)).toEqual([
      {
        instruction: 'RUN apt-get install -y python3 curl',
        beforeInstruction: 'RUN apt-get install -y python3',
        line: 11,
        before: 133 * MB,
        after: 138 * MB,
        delta: 5 * MB
      }
    ])
  })

  it('is empty when no instruction changed its bytes', () => {
    const layers = [layer(70 * MB), layer(20 * MB, 'RUN make', 3)]
    expect(
      diffLayers(
        variant('app', { layers }),
        variant('app', { layers: [layer(20 * MB, 'RUN make', 9), layer(70 * MB)] })
      )
    ).toEqual([])
  })
})

describe('compareVariant', () => {
  const built = (options: VariantOptions = {}): VariantReport => variant('app', options)

  it.each([
    ['only the head has it', undefined, built(), 'added', { headStatus: 'built' }],
    ['only the base has it', built(), undefined, 'removed', { baseStatus: 'built' }],
    [
      'the head build failed',
      built(),
      built({ status: 'failed' }),
      'failed',
      { baseStatus: 'built', headStatus: 'failed' }
    ],
    [
      'the base build failed',
      built({ status: 'failed' }),
      built(),
      'failed',
      { baseStatus: 'failed', headStatus: 'built' }
    ],
    [
      'the head was not built',
      built(),
      built({ status: 'skipped' }),
      'failed',
      { baseStatus: 'built', headStatus: 'skipped' }
    ],
    ['nothing changed', built(), built(), 'unchanged', { baseStatus: 'built', headStatus: 'built' }],
    ['the size changed', built(), built({ size: 101 * MB }), 'changed', {}],
    [
      'the layer count changed',
      built(),
      built({ layers: [layer(50 * MB), layer(50 * MB, 'RUN make')] }),
      'changed',
      {}
    ],
    ['a finding is new', built(), built({ findings: [finding()] }), 'changed', {}],
    ['a finding is fixed', built({ findings: [finding()] }), built(), 'changed', {}],
    [
      'the build time changed beyond the spread',
      built({ samples: [10, 11, 12] }),
      built({ samples: [20, 21, 22] }),
      'changed',
      {}
    ],
    [
      'the build time changed within the spread',
      built({ samples: [10, 11, 15] }),
      built({ samples: [12, 13, 14] }),
      'unchanged',
      {}
    ],
    ['the build time changed with one run a side', built({ samples: [10] }), built({ samples: [20] }), 'unchanged', {}]
  ])('%s: %s', (_, base, head, kind, statuses) => {
    const comparison = compareVariant('app', base, head)
    expect(comparison.kind).toBe(kind)
    expect(comparison).toMatchObject(statuses)
  })

  it('measures size, compressed size, time and layers only when both sides were built', () => {
    const comparison = compareVariant('app', built({ samples: [10, 12] }), built({ size: 150 * MB, samples: [11, 13] }))
    expect(comparison.size).toEqual({ before: 100 * MB, after: 150 * MB, delta: 50 * MB, percent: 50 })
    expect(comparison.compressed).toEqual({ before: 40 * MB, after: 60 * MB, delta: 20 * MB, percent: 50 })
    expect(comparison.time).toMatchObject({ before: 11, after: 12, noise: true, runs: { before: 2, after: 2 } })
    expect(comparison.layers).toMatchObject({
      before: 1,
      after: 1,
      delta: 0,
      changes: [{ instruction: 'base image', delta: 50 * MB }]
    })
    for (const kind of [
      compareVariant('app', built(), built({ status: 'failed' })),
      compareVariant('app', undefined, built())
    ]) {
      expect(kind).not.toHaveProperty('size')
      expect(kind).not.toHaveProperty('compressed')
      expect(kind).not.toHaveProperty('time')
      expect(kind).not.toHaveProperty('layers')
    }
  })

  it('reports the findings of added variants as new, and counts nothing as fixed by removing a variant', () => {
    expect(compareVariant('app', undefined, built({ findings: [finding()] })).findings.added).toHaveLength(1)
    expect(compareVariant('app', built({ findings: [finding()] }), undefined).findings).toEqual({
      added: [],
      fixed: [],
      unchanged: []
    })
  })

  it('does not count image findings as fixed when the head image was not built', () => {
    const fromImage = finding({
      rule: 'conda-in-production',
      severity: 'error',
      evidence: 'image',
      message: 'The built image carries conda'
    })
    const fromText = finding({ message: 'static finding the PR removed' })
    const comparison = compareVariant(
      'app',
      built({ findings: [fromImage, fromText] }),
      built({ status: 'failed', findings: [] })
    )
    expect(comparison.findings.fixed).toEqual([fromText])
  })
})

describe('a base that was not built', () => {
  const fromImage = finding({
    rule: 'conda-in-production',
    severity: 'error',
    evidence: 'image',
    message: 'The built image carries conda'
  })
  const fromText = finding({ rule: 'conda-in-production', severity: 'error', message: 'FROM continuumio/miniconda3' })
  const gate = policy({ failOn: parseFailOn('conda-in-production') })
  const limitsOf = (violations: { limit: string; inherited?: boolean }[]) =>
    violations.map((violation) => `${violation.limit}${violation.inherited ? ' inherited' : ''}`)

  it("counts the head image's conda as inherited when the base's Dockerfile had conda already", () => {
    const comparison = compareReports(
      report([variant('app', { status: 'failed', findings: [fromText] })]),
      report([variant('app', { findings: [fromText, fromImage] })]),
      BASELINE,
      gate
    )
    expect(comparison.variants[0].findings.added).toEqual([])
    expect(comparison.violations).toEqual([])
    expect(limitsOf(comparison.inherited)).toEqual(['fail-on inherited', 'fail-on inherited'])
  })

  it("counts the head image's conda as new when the base side showed no more than a note of that rule", () => {
    const builderNote = finding({ rule: 'conda-in-production', severity: 'info', message: 'Conda stays in builder' })
    const comparison = compareReports(
      report([variant('app', { status: 'failed', findings: [builderNote] })]),
      report([variant('app', { findings: [fromImage] })]),
      BASELINE,
      gate
    )
    expect(comparison.variants[0].findings.added).toEqual([fromImage])
    expect(limitsOf(comparison.violations)).toEqual(['fail-on'])
  })
})

describe('compareReports', () => {
  const base = report([
    variant('app', { size: 100 * MB }),
    variant('stable', { size: 50 * MB }),
    variant('old', { size: 30 * MB }),
    variant('fragile', { size: 40 * MB }),
    variant('broken', { status: 'failed' })
  ])
  const head = report([
    variant('new', { size: 10 * MB }),
    variant('app', { size: 120 * MB }),
    variant('stable', { size: 50 * MB }),
    variant('fragile', { status: 'failed' }),
    variant('broken', { size: 60 * MB })
  ])

  it('pairs variants by name, head order first, then those only the base has; none is dropped', () => {
    const comparison = compareReports(base, head, BASELINE, policy())
    expect(comparison.variants.map((item) => [item.name, item.kind])).toEqual([
      ['new', 'added'],
      ['app', 'changed'],
      ['stable', 'unchanged'],
      ['fragile', 'failed'],
      ['broken', 'failed'],
      ['old', 'removed']
    ])
    expect(comparison.baseline).toBe(BASELINE)
  })

  it('totals the size over every variant built: on both sides, added in full, removed as gone', () => {
    // new (10 MB) added, old (30 MB) removed; fragile and broken, built on one side only, are left out.
    expect(compareReports(base, head, BASELINE, policy()).totalSize).toEqual(delta(180 * MB, 180 * MB))
  })

  it('has a total when no variant was built on both sides', () => {
    const comparison = compareReports(
      report([variant('old', { size: 30 * MB })]),
      report([variant('new', { size: 10 * MB })]),
      BASELINE,
      policy()
    )
    expect(comparison.totalSize).toEqual(delta(30 * MB, 10 * MB))
    expect(comparison.variants.map((item) => item.kind)).toEqual(['added', 'removed'])
  })

  it('without a baseline compares nothing but still applies the policy to the head', () => {
    const none: BaselineInfo = { source: 'none', note: 'no stored report' }
    const comparison = compareReports(undefined, head, none, policy({ maxSize: parseSizeBudgets('100MB') }))
    expect(comparison.variants).toEqual([])
    expect(comparison).not.toHaveProperty('totalSize')
    expect(limits(comparison.violations)).toEqual(['build fragile', 'max-size app'])
  })
})

describe('policy', () => {
  describe('fail-on and run failures', () => {
    const findings = [
      finding({ rule: 'conda-in-production', severity: 'error', line: 4 }),
      finding({ rule: 'conda-in-production', severity: 'info', line: 2, message: 'accepted base' }),
      finding({ rule: 'shared-tag', severity: 'warning', line: 1 }),
      finding({ rule: 'floating-tag', severity: 'info', line: 7 })
    ]
    const head = report([variant('app', { findings })])

    it.each([
      ['none', []],
      ['conda-in-production', ['conda-in-production:4']],
      ['conda-in-production, shared-tag', ['conda-in-production:4', 'shared-tag:1']],
      ['error', ['conda-in-production:4']],
      ['warning', ['conda-in-production:4', 'shared-tag:1']],
      ['info', ['conda-in-production:4', 'conda-in-production:2', 'shared-tag:1', 'floating-tag:7']],
      ['floating-tag', []]
    ])('fail-on %p', (failOn, expected) => {
      const violations = failOnViolations(head, parseFailOn(failOn))
      expect(violations.map((violation) => `${violation.message.split(' ')[1]}:${violation.line}`)).toEqual(expected)
      for (const violation of violations)
        expect(violation).toMatchObject({ limit: 'fail-on', variant: 'app', file: 'Dockerfile' })
    })

    it('fails on run-level problems and on every failed build', () => {
      const failures = runFailures(
        report([variant('app'), variant('broken', { status: 'failed' })], ['no Dockerfile found'])
      )
      expect(failures).toEqual([
        { limit: 'run', message: 'no Dockerfile found' },
        { limit: 'build', variant: 'broken', message: 'broken: build failed: exit code 1', file: 'broken/Dockerfile' }
      ])
    })
  })

  describe('max-size-increase', () => {
    const check = (limit: string, before: number, after: number): string[] => {
      const head = report([variant('app', { size: after })])
      const comparison = compareReports(
        report([variant('app', { size: before })]),
        head,
        BASELINE,
        policy({ maxSizeIncrease: parseLimit('max-size-increase', limit) })
      )
      return comparison.violations.map((violation) => violation.message)
    }

    it.each([
      ['10%', 100 * MB, 110 * MB, false],
      ['10%', 100 * MB, 110 * MB + 1, true],
      ['10%', 100 * MB, 50 * MB, false],
      ['0%', 100 * MB, 100 * MB, false],
      ['0%', 100 * MB, 100 * MB + 1, true],
      ['5MB', 100 * MB, 105 * MB, false],
      ['5MB', 100 * MB, 105 * MB + 1, true],
      ['5MiB', 100 * MB, 105 * MB, false],
      ['5MiB', 100 * MB, 106 * MB, true],
      ['0', 100 * MB, 90 * MB, false]
    ])('%s from %d to %d: violation %p', (limit, before, after, violated) => {
      expect(check(limit, before, after)).toHaveLength(violated ? 1 : 0)
    })

    it('names the variant, the limit and by how much', () => {
      expect(check('10%', 100 * MB, 125 * MB)).toEqual([
        'app: uncompressed size grew by 25.0 MB (25000000 bytes, +25.0%), over max-size-increase 10% by 15.0 MB'
      ])
      expect(check('5MB', 100 * MB, 112 * MB)).toEqual([
        'app: uncompressed size grew by 12.0 MB (12000000 bytes, +12.0%), over max-size-increase 5.00 MB (5000000 bytes) by 7.00 MB'
      ])
    })

    it('applies to variants built on both sides only', () => {
      const head = report([variant('new', { size: 900 * MB }), variant('app', { status: 'failed' })])
      const comparison = compareReports(
        report([variant('app')]),
        head,
        BASELINE,
        policy({ maxSizeIncrease: { bytes: 0 } })
      )
      expect(limits(comparison.violations)).toEqual(['build app'])
    })
  })

  describe('max-build-time-increase', () => {
    const check = (percent: number, before: number[], after: number[]): string[] => {
      const comparison = compareReports(
        report([variant('app', { samples: before })]),
        report([variant('app', { samples: after })]),
        BASELINE,
        policy({ maxBuildTimeIncreasePercent: percent })
      )
      return comparison.violations.map((violation) => violation.message)
    }

    it.each([
      ['disjoint and over the limit', 25, [10, 10, 10.5], [14, 14, 14.5], 1],
      ['disjoint but under the limit', 50, [10, 10, 10.5], [14, 14, 14.5], 0],
      ['over the limit but within the spread (noise)', 10, [10, 10, 16], [15, 15, 15.5], 0],
      ['one run a side', 10, [10], [30], 0],
      ['one run on the base side', 10, [10], [30, 31, 32], 0],
      ['faster', 0, [30, 31], [10, 11], 0]
    ])('%s: %d violation(s)', (_, percent, before, after, count) => {
      expect(check(percent, before, after)).toHaveLength(count)
    })

    it('names the variant, the limit and by how much', () => {
      expect(check(25, [10, 10, 10.5], [14, 14, 14.5])).toEqual([
        'app: build time grew from 10.0 s to 14.0 s (+40.0%, outside the measured spread), over max-build-time-increase 25% by 15.0 points'
      ])
    })
  })

  describe('max-size', () => {
    const check = (budgets: string, variants: Array<[string, number]>): string[] => {
      const head = report(variants.map(([name, size]) => variant(name, { size })))
      return policyViolations(head, policy({ maxSize: parseSizeBudgets(budgets) })).map(
        (violation) => `${violation.variant}`
      )
    }
    const sizes: Array<[string, number]> = [
      ['api', 600 * MB],
      ['api-gpu', 1500 * MB],
      ['web', 900 * MB],
      ['docker/worker', 1200 * MB],
      ['docker/api', 400 * MB]
    ]

    it.each([
      ['500MB', ['api', 'api-gpu', 'web', 'docker/worker']],
      ['1GB', ['api-gpu', 'docker/worker']],
      ['api*=500MB, *=1GB', ['api', 'api-gpu', 'docker/worker']],
      ['*=1GB, api*=500MB', ['api-gpu', 'docker/worker']],
      ['api-gpu=2GB, api*=500MB', ['api']],
      ['docker/*=1GB', ['docker/worker']],
      ['*worker=1GB', ['docker/worker']],
      ['web=1GB', []],
      ['900MB', ['api-gpu', 'docker/worker']]
    ])('%p → %p', (budgets, expected) => {
      expect(check(budgets, sizes)).toEqual(expected)
    })

    it('first match wins: a variant within its first budget is not held to a later one', () => {
      expect(check('api*=2GB, *=100MB', [['api-gpu', 1500 * MB]])).toEqual([])
    })

    it('names the variant, the budget and by how much, in bytes too', () => {
      const head = report([variant('api-gpu', { size: 1_500_000_123 })])
      expect(policyViolations(head, policy({ maxSize: parseSizeBudgets('api*=1GB') }))).toEqual([
        {
          limit: 'max-size',
          variant: 'api-gpu',
          file: 'api-gpu/Dockerfile',
          message:
            "api-gpu: 1.50 GB uncompressed (1500000123 bytes) is over max-size 1.00 GB for 'api*' by 500 MB (500000123 bytes)"
        }
      ])
    })

    it('skips variants that were not built', () => {
      const head = report([variant('api', { status: 'failed' }), variant('web', { status: 'skipped' })])
      expect(limits(policyViolations(head, policy({ maxSize: parseSizeBudgets('1B') })))).toEqual(['build api'])
    })
  })
})

describe('the size noise threshold', () => {
  it.each([
    [{ bytes: 10_000 }, 100 * MB, 100 * MB + 10_000, false],
    [{ bytes: 10_000 }, 100 * MB, 100 * MB + 10_001, true],
    [{ bytes: 10_000 }, 100 * MB, 100 * MB - 10_001, true],
    [{ percent: 1 }, 100 * MB, 101 * MB, false],
    [{ percent: 1 }, 100 * MB, 101 * MB + 1, true]
  ])('%p from %d to %d: beyond %p', (noise, before, after, beyond) => {
    expect(beyondNoise(delta(before, after), noise)).toBe(beyond)
  })

  it('keeps a variant that moved within the noise unchanged, with its exact Δ, and limits still see it', () => {
    const base = report([variant('app', { size: 100 * MB, compressed: 40 * MB })])
    const head = report([variant('app', { size: 100 * MB + 2_100, compressed: 40 * MB + 800 })])
    const comparison = compareReports(
      base,
      head,
      BASELINE,
      policy({ sizeNoise: parseLimit('size-noise-threshold', '10kB'), maxSizeIncrease: { bytes: 0 } })
    )
    expect(comparison.variants[0]).toMatchObject({ kind: 'unchanged', size: { delta: 2_100 } })
    expect(limits(comparison.violations)).toEqual(['max-size-increase app'])
    expect(compareReports(base, head, BASELINE, policy()).variants[0].kind).toBe('changed')
  })

  it('counts a compressed change beyond the noise as a change', () => {
    const base = report([variant('app', { size: 100 * MB, compressed: 40 * MB })])
    const head = report([variant('app', { size: 100 * MB, compressed: 41 * MB })])
    const comparison = compareReports(base, head, BASELINE, policy({ sizeNoise: { bytes: 10_000 } }))
    expect(comparison.variants[0].kind).toBe('changed')
  })
})

describe('reports stored before compressed sizes were measured', () => {
  it('compare without a compressed Δ, and compressed limits skip them', () => {
    const old = variant('app', { size: 100 * MB })
    delete (old.image as Partial<typeof old.image>)!.compressedBytes
    const head = report([variant('app', { size: 200 * MB })])
    const comparison = compareReports(
      report([old]),
      head,
      BASELINE,
      policy({ sizeMetric: 'compressed', maxSizeIncrease: { bytes: 0 } })
    )
    expect(comparison.variants[0]).not.toHaveProperty('compressed')
    expect(comparison.violations).toEqual([])
  })
})

describe('size-metric: compressed', () => {
  it('applies max-size-increase and max-size to the compressed size, and says so', () => {
    const base = report([variant('app', { size: 100 * MB, compressed: 40 * MB })])
    const head = report([variant('app', { size: 101 * MB, compressed: 48 * MB })])
    const comparison = compareReports(
      base,
      head,
      BASELINE,
      policy({
        sizeMetric: 'compressed',
        maxSizeIncrease: parseLimit('max-size-increase', '10%'),
        maxSize: parseSizeBudgets('45MB')
      })
    )
    expect(comparison.violations.map((violation) => violation.message)).toEqual([
      "app: 48.0 MB compressed (48000000 bytes) is over max-size 45.0 MB for '*' by 3.00 MB (3000000 bytes)",
      'app: compressed size grew by 8.00 MB (8000000 bytes, +20.0%), over max-size-increase 10% by 4.00 MB'
    ])
    const uncompressed = compareReports(
      base,
      head,
      BASELINE,
      policy({ maxSizeIncrease: parseLimit('max-size-increase', '10%'), maxSize: parseSizeBudgets('45MB') })
    )
    expect(limits(uncompressed.violations)).toEqual(['max-size app'])
  })
})

describe('gating on what the pull request changed', () => {
  const conda = (line: number): Finding =>
    finding({
      rule: 'conda-in-production',
      severity: 'error',
      file: 'conda/Dockerfile',
      line,
      message: `conda at ${line}`
    })
  const base = report([
    variant('conda', { findings: [conda(7), conda(8)] }),
    variant('app', { size: 100 * MB }),
    variant('fragile', { status: 'failed' }),
    variant('big', { size: 600 * MB })
  ])
  const head = report([
    variant('conda', { findings: [conda(9), conda(10)] }),
    variant('app', { size: 105 * MB, findings: [conda(2)] }),
    variant('fragile', { status: 'failed' }),
    variant('big', { size: 600 * MB }),
    variant('new', { status: 'failed' })
  ])
  const limitsOf = (violations: { limit: string; variant?: string; line?: number }[]): string[] =>
    violations.map(
      (violation) => `${violation.limit} ${violation.variant}${violation.line ? `:${violation.line}` : ''}`
    )
  const gate = policy({ failOn: parseFailOn('conda-in-production'), maxSize: parseSizeBudgets('500MB') })

  it('fails on new findings, new build failures and limits; lists what main had as inherited', () => {
    const comparison = compareReports(base, head, BASELINE, gate)
    expect(limitsOf(comparison.violations)).toEqual(['build new', 'fail-on app:2'])
    expect(limitsOf(comparison.inherited)).toEqual([
      'build fragile',
      'fail-on conda:9',
      'fail-on conda:10',
      'max-size big'
    ])
    expect(comparison.inherited.every((violation) => violation.inherited)).toBe(true)
  })

  it('passes a pull request that changes only an unrelated variant while main has conda in production', () => {
    const unrelated = report([variant('conda', { findings: [conda(7), conda(8)] }), variant('app', { size: 105 * MB })])
    const comparison = compareReports(
      report([variant('conda', { findings: [conda(7), conda(8)] }), variant('app')]),
      unrelated,
      BASELINE,
      gate
    )
    expect(comparison.violations).toEqual([])
    expect(limitsOf(comparison.inherited)).toEqual(['fail-on conda:7', 'fail-on conda:8'])
  })

  it('fails on inherited ones too with fail-on-inherited, still marked', () => {
    const comparison = compareReports(base, head, BASELINE, { ...gate, failOnInherited: true })
    expect(limitsOf(comparison.violations)).toEqual([
      'build fragile',
      'build new',
      'fail-on conda:9',
      'fail-on conda:10',
      'fail-on app:2',
      'max-size big'
    ])
    expect(comparison.violations.filter((violation) => violation.inherited)).toHaveLength(4)
    expect(comparison.inherited).toEqual([])
  })

  it('holds a variant that grew while over its budget to the budget', () => {
    const grown = report([variant('big', { size: 610 * MB })])
    const comparison = compareReports(report([variant('big', { size: 600 * MB })]), grown, BASELINE, gate)
    expect(limitsOf(comparison.violations)).toEqual(['max-size big'])
  })

  it('counts everything without a baseline, as on push runs', () => {
    const comparison = compareReports(undefined, head, { source: 'none', note: 'push' }, gate)
    expect(comparison.violations.some((violation) => violation.inherited)).toBe(false)
    expect(comparison.violations).toHaveLength(6)
    expect(comparison.inherited).toEqual([])
  })
})

describe('sizeTotals', () => {
  it('counts added variants in full, removed ones as gone, and names those measured on one side only', () => {
    const base = report([variant('app', { size: 100 * MB }), variant('old', { size: 30 * MB }), variant('fragile')])
    const head = report([
      variant('app', { size: 110 * MB }),
      variant('new', { size: 20 * MB }),
      variant('fragile', { status: 'failed' }),
      variant('broken-new', { status: 'failed' })
    ])
    const comparison = compareReports(base, head, BASELINE, policy())
    expect(sizeTotals(comparison)).toEqual({
      total: delta(130 * MB, 130 * MB),
      added: 1,
      removed: 1,
      unmeasured: ['fragile', 'broken-new']
    })
    expect(sizeTotals(comparison)?.total).toBe(comparison.totalSize)
  })

  it('are absent without a baseline', () => {
    const head = report([variant('app')])
    expect(sizeTotals(compareReports(undefined, head, { source: 'none' }, policy()))).toBeUndefined()
  })
})

describe('slowerSteps', () => {
  const step = (name: string, seconds: number, line?: number, cached = false): BuildStep => ({
    name,
    seconds,
    cached,
    ...(line ? { line } : {})
  })
  const withSteps = (steps: BuildStep[], samples = [10, 10, 11]): VariantReport => variant('app', { steps, samples })
  const slowerBuild = [20, 21, 21]

  it('names the steps that took at least a second and a fifth longer, and new ones of a second or more', () => {
    const base = withSteps([
      step('[1/5] FROM debian', 1),
      step('[2/5] RUN apt-get install gcc', 20, 3),
      step('[3/5] RUN make', 10, 4),
      step('[4/5] RUN tiny', 0.2, 5),
      step('[5/5] RUN tests', 30, 6)
    ])
    const head = withSteps(
      [
        step('[1/6] FROM debian', 1.5),
        step('[2/6] RUN apt-get install gcc', 29, 3),
        step('[3/6] RUN make', 10.8, 4),
        step('[4/6] RUN tiny', 1, 5),
        step('[5/6] RUN tests', 33, 6),
        step('[6/6] RUN new step', 4, 7)
      ],
      slowerBuild
    )
    expect(slowerSteps(base, head)).toEqual([
      { name: 'RUN apt-get install gcc', line: 3, before: 20, after: 29, delta: 9, cacheMissed: false },
      { name: 'RUN new step', line: 7, after: 4, delta: 4, cacheMissed: false }
    ])
  })

  it('pairs an edited step with the one from the same line, and says when the base had it cached', () => {
    const base = withSteps([step('[runtime 2/4] RUN apt-get install -y python3', 18, 11, true)])
    const head = withSteps([step('[runtime 2/4] RUN apt-get install -y python3 curl', 22, 11)], slowerBuild)
    expect(slowerSteps(base, head)).toEqual([
      { name: 'RUN apt-get install -y python3 curl', line: 11, before: 18, after: 22, delta: 4, cacheMissed: true }
    ])
  })

  it('is empty without steps on either side', () => {
    expect(slowerSteps(variant('app'), withSteps([step('RUN x', 50)], slowerBuild))).toEqual([])
    expect(slowerSteps(undefined, withSteps([step('RUN x', 50)], slowerBuild))).toEqual([])
  })

  it.each([
    ['one build a side', [10.3], [13.6]],
    ['one build on the head side', [10, 10.3, 10.5], [13.6]],
    ['times within the measured spread', [10, 10.3, 14], [11, 13.6, 13.8]],
    ['a faster build', [20, 20, 21], [10, 10, 11]]
  ])('is empty for a step that took longer, with %s', (_, baseSamples, headSamples) => {
    const base = withSteps([step('[2/2] RUN make', 10.3, 2)], baseSamples)
    const head = withSteps([step('[2/2] RUN make', 13.6, 2)], headSamples)
    expect(slowerSteps(base, head)).toEqual([])
  })
})
