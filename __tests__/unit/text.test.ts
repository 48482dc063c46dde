import { describe, expect, it } from '@jest/globals'
import { ANSI, paintFor, PLAIN, renderComparisonText, renderText } from '../../src/report/text.js'
import { demoScenario, largeScenario } from '../support/scenarios.js'

describe('the comparison in a terminal', () => {
  const { head, base, comparison } = demoScenario()
  const text = renderComparisonText(head, base, comparison, 'main')
  const lines = text.trimEnd().split('\n')

  it('lists every variant with both sizes, the change and the build times', () => {
    expect(lines[0]).toMatch(/^VARIANT\s+MAIN\s+PR\s+Δ\s+COMPRESSED Δ\s+BUILD\s+FINDINGS$/)
    expect(lines.find((line) => line.startsWith('multistage'))).toMatch(
      /^multistage\s+251 MB\s+256 MB\s+\+5\.31 MB \(\+2\.1%\)\s+\+2\.12 MB\s+43\.6s → 47\.9s\s+-$/
    )
    expect(lines.find((line) => line.startsWith('conda'))).toMatch(/main build failed, PR build failed .* 4 on main$/)
  })

  it('lists what is already on main, the failure with its log, and ends with the verdict', () => {
    expect(text).toContain('Already on main, not failing (--fail-on-inherited fails on these too):')
    expect(text).toContain('  - fail-on conda-in-production in conda at Dockerfile.conda:7, :8, :11')
    expect(text).toContain('conda failed (main and PR): process "/bin/sh -c conda create')
    expect(lines[lines.length - 1]).toBe(
      '✅ slimcheck: no new violations; already on main and not failing: 3 fail-on findings, 1 failed build. Largest change: multistage +5.31 MB (+2.1%). Total +5.31 MB (1.129 GB → 1.134 GB); not counted: conda.'
    )
  })

  it('puts the new violations under Policy', () => {
    const large = largeScenario()
    const largeText = renderComparisonText(large.head, large.base, large.comparison, 'main')
    expect(largeText).toContain('Policy:\n  ✗ build: broken: build failed:')
    expect(largeText).toContain('  ✗ fail-on conda-in-production in tools at services/tools/Dockerfile:2')
    expect(largeText).toContain('New findings:\n  services/tools/Dockerfile:2 error conda-in-production [tools]')
    expect(largeText.trimEnd().split('\n').pop()).toMatch(/^❌ slimcheck: 4 new violations: /)
  })

  it('colours growth, failures and the verdict with ANSI, and writes none without', () => {
    const coloured = renderComparisonText(head, base, comparison, 'main', ANSI)
    expect(coloured).toContain('\u001b[31m+5.31 MB (+2.1%)')
    expect(coloured).toContain(ANSI.bold('slimcheck'))
    expect(text).not.toContain('\u001b[')
  })

  it('keeps every untrusted value on one line, without control characters', () => {
    const hostile = structuredClone(head)
    hostile.variants[2].name = 'multistage\n::error::injected\u001b[2J'
    const rendered = renderComparisonText(hostile, base, comparison, 'main')
    expect(rendered.split('\n').filter((line) => line.startsWith('::'))).toEqual([])
    expect(rendered).not.toContain('\u001b')
    expect(
      renderText(hostile)
        .split('\n')
        .filter((line) => line.startsWith('::'))
    ).toEqual([])
  })
})

describe('paintFor', () => {
  it.each([
    [true, {}, ANSI],
    [false, {}, PLAIN],
    [true, { NO_COLOR: '1' }, PLAIN],
    [false, { FORCE_COLOR: '1' }, ANSI],
    [true, { FORCE_COLOR: '0' }, PLAIN],
    [false, { FORCE_COLOR: '0' }, PLAIN],
    [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, PLAIN]
  ])('a terminal: %p, environment %p', (isTTY, env, paint) => {
    expect(paintFor(isTTY, env)).toBe(paint)
  })
})
