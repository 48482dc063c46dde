import { describe, expect, it } from '@jest/globals'
import { compareReports, diffFindings, failOnViolations } from '../../src/compare/index.js'
import { parseFailOn } from '../../src/config.js'
import { build, builtVariant, finding, policy, report } from '../support/reports.js'
import type { Finding, Report } from '../../src/types.js'

const conda = finding({ rule: 'conda-in-production', severity: 'error', line: 4, message: 'conda in production' })
const accepted = (item: Finding): Finding => ({ ...item, suppressed: { by: 'config', reason: 'PyTorch' } })

function side(findings: Finding[]): Report {
  return report([{ ...builtVariant('torch', { findings }), dockerfile: 'Dockerfile', context: '.', build: build([1]) }])
}

describe('suppressed findings in the comparison', () => {
  it.each([
    ['suppressed on both sides', [accepted(conda)], [accepted(conda)], { suppressed: [accepted(conda)] }],
    ['new and suppressed', [], [accepted(conda)], { suppressed: [accepted(conda)] }],
    ['suppressed by the pull request', [conda], [accepted(conda)], { suppressed: [accepted(conda)] }],
    ['no longer suppressed: new', [accepted(conda)], [conda], { added: [conda] }],
    ['gone, suppressed before', [accepted(conda)], [], { fixed: [accepted(conda)] }]
  ])('%s', (_, before, after, expected) => {
    expect(diffFindings(before, after)).toEqual({ added: [], fixed: [], unchanged: [], ...expected })
  })

  it('never fail the run, with or without a baseline, while the finding they hide fails it again once unsuppressed', () => {
    const failOn = parseFailOn('conda-in-production')
    expect(failOnViolations(side([accepted(conda)]), failOn)).toEqual([])
    const compare = (base: Finding[], head: Finding[]) =>
      compareReports(side(base), side(head), { source: 'build' }, policy({ failOn })).violations
    expect(compare([], [accepted(conda)])).toEqual([])
    expect(compare([accepted(conda)], [conda])).toMatchObject([{ limit: 'fail-on', rule: 'conda-in-production' }])
    expect(compare([accepted(conda)], [conda])[0]).not.toHaveProperty('inherited')
  })

  it('count an image finding new when the baseline had only a suppressed static one of its rule', () => {
    const fromImage = { ...conda, evidence: 'image' as const, message: 'The built image carries conda.' }
    const unbuilt = (findings: Finding[]): Report => ({
      ...side(findings),
      variants: [{ ...side(findings).variants[0], status: 'failed', image: undefined, build: undefined }]
    })
    const comparison = (base: Finding) =>
      compareReports(unbuilt([base]), side([fromImage]), { source: 'build' }, policy()).variants[0].findings
    expect(comparison(conda).added).toEqual([])
    expect(comparison(accepted(conda)).added).toEqual([fromImage])
  })
})
