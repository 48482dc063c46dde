import { describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import type { ByteFact, VariantReport } from '../../src/types.js'
import { builtVariant, finding, policy, report } from '../support/reports.js'

const aptLists = finding({
  rule: 'package-cache',
  severity: 'warning',
  line: 3,
  message: 'apt lists: 48.0 MB',
  evidence: 'image'
})

const variant = (byteFacts: ByteFact[] | undefined, findings = [aptLists]): VariantReport =>
  builtVariant('app', { sizeBytes: 100, findings, image: { byteFacts } })

describe('byte findings against a baseline', () => {
  it('are new when the baseline image was examined for them and had none', () => {
    const comparison = compareReports(report([variant([], [])]), report([variant([])]), { source: 'build' }, policy())
    expect(comparison.variants[0].findings.added).toEqual([aptLists])
  })

  it('count as already there when the baseline was measured by a slimcheck without the byte rules', () => {
    const comparison = compareReports(
      report([variant(undefined, [])]),
      report([variant([])]),
      { source: 'artifact' },
      policy()
    )
    expect(comparison.variants[0].findings.added).toEqual([])
    expect(comparison.variants[0].findings.unchanged).toEqual([aptLists])
  })
})
