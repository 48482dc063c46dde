import { describe, expect, it } from '@jest/globals'
import { renderComment } from '../../src/report/comment.js'
import { compareReports } from '../../src/compare/index.js'
import { InputError, parseFailOn, parseLimit, parseSizeBudgets } from '../../src/config.js'
import { mergeShards, type PartialFile } from '../../src/shards/merge.js'
import { measurementDifferences } from '../support/measurements.js'
import { renderSarif } from '../../src/report/sarif.js'
import { partialReport, shardSelection } from '../../src/shards/split.js'
import { renderComparisonText } from '../../src/report/text.js'
import type { BaselineInfo, Report } from '../../src/types.js'
import { largeScenario } from '../support/scenarios.js'
import { policy as basePolicy } from '../support/reports.js'

const HEAD_SHA = '8e1d4c0b9a7f6e5d4c3b2a19f8e7d6c5b4a39281'
const BASELINE: BaselineInfo = { source: 'build', commit: '3f9c2a71d0b84e5f9a6c1d2e3b4a5f6c7d8e9f01' }
const NO_BASELINE: BaselineInfo = { source: 'none', note: 'push to main' }
const POLICY = basePolicy({
  failOn: parseFailOn('conda-in-production'),
  sizeNoise: parseLimit('size-noise-threshold', '10kB'),
  maxSizeIncrease: parseLimit('max-size-increase', '5%'),
  maxSize: parseSizeBudgets('ml-gpu=2GB')
})

/** The large scenario (grown, shrunk, added, removed, failed, conda added and inherited) at one head commit. */
function wholeSet(): { head: Report; base: Report } {
  const { head, base } = largeScenario()
  return { head: { ...head, commit: HEAD_SHA }, base: { ...base, commit: BASELINE.commit } }
}

/** The names a pipeline hands to `select`: the head's in order, then those only the base has. */
function sideNames(head: Report, base?: Report): string[] {
  const names = head.variants.map((variant) => variant.name)
  return [...names, ...(base?.variants ?? []).map((variant) => variant.name).filter((name) => !names.includes(name))]
}

/** What each leg of a matrix writes: its shard of both sides, compared, as a file read back from JSON. */
function legs(total: number, options: { base?: boolean; baseline?: BaselineInfo } = {}): PartialFile[] {
  const { head, base: fullBase } = wholeSet()
  const base = options.base === false ? undefined : fullBase
  return Array.from({ length: total }, (_, index) => {
    const selection = shardSelection({ index: index + 1, total })
    const chosen = selection.select(sideNames(head, base))
    const own = (report: Report): Report => ({
      ...report,
      variants: report.variants.filter((variant) => chosen.has(variant.name))
    })
    const legBase = base && own(base)
    const comparison = base ? compareReports(legBase, own(head), options.baseline ?? BASELINE, POLICY) : undefined
    const partial = partialReport(own(head), legBase, comparison, selection)
    return { file: `shards/shard-${index + 1}.json`, report: JSON.parse(JSON.stringify(partial)) as Report }
  })
}

function withReport(partials: PartialFile[], index: number, change: (report: Report) => Report): PartialFile[] {
  return partials.map((partial, at) => (at === index ? { ...partial, report: change(partial.report) } : partial))
}

describe('mergeShards', () => {
  it('gives the whole set’s report and comparison, as one unsharded run would', () => {
    const { head, base } = wholeSet()
    const unsharded = compareReports(base, head, BASELINE, POLICY)
    for (const total of [1, 2, 3, 5]) {
      const merged = mergeShards(legs(total), POLICY, NO_BASELINE)
      expect(merged.comparison).toEqual(unsharded)
      expect(merged.head.variants).toEqual(head.variants)
      expect(merged.head).toMatchObject({ commit: HEAD_SHA, problems: [] })
      expect(merged.head).not.toHaveProperty('shard')
      expect(merged.head).not.toHaveProperty('baseReport')
      expect(merged.base?.variants).toEqual(expect.arrayContaining(base.variants))
      expect(merged.base?.variants).toHaveLength(base.variants.length)
      expect(merged.base?.commit).toBe(BASELINE.commit)
      expect(
        measurementDifferences({ ...head, comparison: unsharded }, { ...merged.head, comparison: merged.comparison })
      ).toEqual([])
    }
  })

  it('merges the legs of a push, which compared with nothing', () => {
    const { head } = wholeSet()
    const merged = mergeShards(legs(2, { base: false }), POLICY, NO_BASELINE)
    expect(merged.base).toBeUndefined()
    expect(merged.head.variants).toEqual(head.variants)
    expect(merged.comparison).toEqual(compareReports(undefined, head, NO_BASELINE, POLICY))
  })

  it('reports a missing leg and the variants nobody measured, and fails the check', () => {
    const partials = legs(3)
    const missing = partials[1].report.variants.map((variant) => variant.name)
    const merged = mergeShards([partials[0], partials[2]], POLICY, NO_BASELINE)
    expect(merged.head.problems).toEqual([
      'shard 2/3 is missing: no partial report of it was merged (its job failed, was cancelled or was skipped before it uploaded one)',
      `not measured by any shard: ${missing.join(', ')} (${missing.length} of 12 variants)`
    ])
    expect(merged.comparison.violations.filter((violation) => violation.limit === 'run')).toHaveLength(2)
    expect(merged.head.variants.map((variant) => variant.name)).not.toContain(missing[0])
  })

  it('shows a missing leg in every format', () => {
    const partials = legs(2)
    const { head, base, comparison } = mergeShards([partials[0]], POLICY, NO_BASELINE)
    const problem = 'shard 2/2 is missing'
    const comment = renderComment(head, base, comparison, { key: 'slimcheck/images', baseLabel: 'main' })
    expect(comment.split('\n')[2]).toMatch(
      /^❌ \*\*slimcheck\*\*: \d+ new violations, but \d+ not checked: shard 2\/2 is missing/
    )
    expect(comment).toContain(`**run**: ${problem}`)
    expect(renderComparisonText(head, base!, comparison, 'main')).toContain(`run: ${problem}`)
    const sarif = renderSarif(head, { version: '0.1.0', comparison })
    expect(sarif.runs[0].invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: head.problems.map((text) => ({ level: 'error', message: { text } }))
      }
    ])
    expect(head.problems[0]).toMatch(/^shard 2\/2 is missing/)
  })

  it('carries a failed leg’s problems, saying which shard had them', () => {
    const problem = 'the Docker engine at unix:///var/run/docker.sock did not answer'
    const partials = withReport(legs(2), 1, (report) => ({ ...report, problems: [problem] }))
    const merged = mergeShards(partials, POLICY, NO_BASELINE)
    expect(merged.head.problems).toEqual([`${problem} (shard 2/2)`])
    expect(merged.comparison.violations).toContainEqual({ limit: 'run', message: `${problem} (shard 2/2)` })
  })

  it('says a problem every leg had once, without naming the shards', () => {
    const problem = 'no Dockerfile found'
    const partials = legs(2).map((partial) => ({ ...partial, report: { ...partial.report, problems: [problem] } }))
    expect(mergeShards(partials, POLICY, NO_BASELINE).head.problems).toEqual([problem])
  })

  it('reports a variant that its leg did not report', () => {
    const partials = withReport(legs(2), 0, (report) => ({
      ...report,
      variants: report.variants.filter((variant) => variant.name !== 'web'),
      baseReport: { ...report.baseReport!, variants: report.baseReport!.variants.filter((item) => item.name !== 'web') }
    }))
    expect(mergeShards(partials, POLICY, NO_BASELINE).head.problems).toEqual([
      'not measured by any shard: web (1 of 12 variants)'
    ])
  })

  it('reports a variant that two legs measured, and uses the first leg’s measurement', () => {
    const partials = legs(2)
    const web = partials[0].report.variants.find((variant) => variant.name === 'web')!
    const twice = withReport(partials, 1, (report) => ({
      ...report,
      variants: [...report.variants, { ...web, image: { ...web.image!, sizeBytes: 1 } }]
    }))
    const merged = mergeShards(twice, POLICY, NO_BASELINE)
    expect(merged.head.problems).toEqual([
      "web was measured by shards 1/2 and 2/2, which split the variants differently; shard 1/2's measurement is used"
    ])
    expect(merged.head.variants.find((variant) => variant.name === 'web')).toEqual(web)
  })

  it('reports legs that compared with different baselines', () => {
    const artifact: BaselineInfo = { source: 'artifact', commit: BASELINE.commit, runId: 4100 }
    const partials = [legs(2)[0], legs(2, { baseline: artifact })[1]]
    expect(mergeShards(partials, POLICY, NO_BASELINE).head.problems).toEqual([
      'the shards compared with different baselines (shard 1/2 with build at 3f9c2a71d0b8, shard 2/2 with artifact run 4100 at 3f9c2a71d0b8); run the workflow again so that they agree'
    ])
  })

  it('reports legs that disagree on the variants to cover, and checks them all', () => {
    const partials = withReport(legs(2), 1, (report) => ({
      ...report,
      shard: { ...report.shard!, variants: [...report.shard!.variants.slice(1), 'phantom'] }
    }))
    const [problem, ...rest] = mergeShards(partials, POLICY, NO_BASELINE).head.problems
    expect(problem).toMatch(
      /^the shards disagree on the variants to cover \(shard 1\/2: api-server, worker_v2, .*; shard 2\/2: worker_v2, .*, phantom\); all of them are checked$/
    )
    expect(rest).toEqual(['not measured by any shard: phantom (1 of 13 variants)'])
  })

  describe('refuses partial reports that do not belong together, naming the files', () => {
    const refusal = (partials: PartialFile[]): string => {
      try {
        mergeShards(partials, POLICY, NO_BASELINE)
      } catch (error) {
        expect(error).toBeInstanceOf(InputError)
        return (error as Error).message
      }
      throw new Error('merged')
    }

    it('from different commits', () => {
      const partials = withReport(legs(3), 2, (report) => ({ ...report, commit: 'c'.repeat(40) }))
      expect(refusal(partials)).toBe(
        `the partial reports are from different commits (shards/shard-1.json, shards/shard-2.json: ${HEAD_SHA}; shards/shard-3.json: ${'c'.repeat(40)}); merge the legs of one run`
      )
    })

    it('with different shard totals', () => {
      expect(refusal([legs(2)[0], legs(3)[1]])).toBe(
        'the partial reports are from different shard totals (shards/shard-1.json: 2 shards; shards/shard-2.json: 3 shards); merge the legs of one run'
      )
    })

    it('from different slimcheck versions', () => {
      const partials = withReport(legs(2), 1, (report) => ({
        ...report,
        tool: { name: 'slimcheck', version: '0.2.0' }
      }))
      expect(refusal(partials)).toBe(
        'the partial reports are from different slimcheck versions (shards/shard-1.json: slimcheck 0.1.0; shards/shard-2.json: slimcheck 0.2.0); merge the legs of one run'
      )
    })

    it('with another report schema', () => {
      const partials = withReport(legs(2), 1, (report) => ({ ...report, schemaVersion: 1 }) as unknown as Report)
      expect(refusal(partials)).toBe('shards/shard-2.json: the report has schemaVersion 1; this slimcheck merges 2')
    })

    it('when one is not a partial report, with its problems', () => {
      const plain: PartialFile = {
        file: 'shards/shard-2.json',
        report: { ...wholeSet().head, problems: ["shard: '5/4' is not one of the 4 shards; number them 1 to 4"] }
      }
      expect(refusal([legs(2)[0], plain])).toBe(
        "shards/shard-2.json is not a partial report: it has no shard (the legs set shard: I/N); its problems: shard: '5/4' is not one of the 4 shards; number them 1 to 4"
      )
    })

    it('when two are the same shard', () => {
      const [first] = legs(2)
      expect(refusal([first, { ...first, file: 'elsewhere/shard-1.json' }])).toBe(
        'shards/shard-1.json and elsewhere/shard-1.json are both shard 1/2'
      )
    })

    it('when a leg reports a variant its shard does not list', () => {
      const partials = withReport(legs(2), 0, (report) => ({
        ...report,
        variants: [...report.variants, { ...report.variants[0], name: 'stranger' }]
      }))
      expect(refusal(partials)).toBe('shards/shard-1.json reports variants its shard does not list: stranger')
    })

    it('when there is nothing to merge', () => {
      expect(refusal([])).toBe('there are no partial reports to merge')
    })
  })
})

describe('measurementDifferences', () => {
  it('names what differs, build times aside', () => {
    const { head, base } = wholeSet()
    const expected = { ...head, comparison: compareReports(base, head, BASELINE, POLICY) }
    const slower = {
      ...expected,
      variants: expected.variants.map((variant) => ({
        ...variant,
        build: variant.build && { ...variant.build, seconds: 99 }
      }))
    }
    expect(measurementDifferences(expected, slower)).toEqual([])
    const web = expected.variants.findIndex((variant) => variant.name === 'web')
    const grown = structuredClone(expected)
    grown.variants[web].image!.sizeBytes += 1
    expect(measurementDifferences(expected, grown)).toEqual([
      expect.stringMatching(/^web: expected \{"status":"built","sizeBytes":151200000,/)
    ])
    expect(measurementDifferences(expected, { ...expected, variants: expected.variants.slice(1) })[0]).toMatch(
      /^variants: expected \["api-server",/
    )
  })
})
