import { describe, expect, it } from '@jest/globals'
import { reportProblem } from '../../src/report/validate.js'
import { SCENARIOS } from '../support/scenarios.js'

describe('the report schema', () => {
  it.each(SCENARIOS.map((scenario) => [scenario().name, scenario()] as const))(
    'takes every report of the %s scenario, with its comparison and base side',
    (_, scenario) => {
      const stored = JSON.parse(
        JSON.stringify({ ...scenario.head, comparison: scenario.comparison, baseReport: scenario.base })
      ) as unknown
      expect(reportProblem(stored)).toBeUndefined()
    }
  )

  it('names the first field of the wrong type, however deep, with what it holds', () => {
    const { head, comparison } = SCENARIOS[1]()
    const stored = JSON.parse(JSON.stringify({ ...head, comparison })) as {
      comparison: { variants: Array<{ time?: { percent: unknown } }> }
      variants: Array<{ image?: { layers: Array<{ sizeBytes: unknown }> } }>
    }
    stored.comparison.variants[0].time!.percent = '12%'
    expect(reportProblem(stored)).toBe('comparison.variants[0].time.percent: expected a number, got "12%"')
    stored.variants[1].image!.layers[2].sizeBytes = { bytes: 'x'.repeat(100) }
    expect(reportProblem(stored)).toBe(
      `variants[1].image.layers[2].sizeBytes: expected a number, got {"bytes":"${'x'.repeat(50)}…`
    )
  })
})
