import { describe, expect, it } from '@jest/globals'
import { sizeChart } from '../../src/report/chart.js'
import { compareReports } from '../../src/compare/index.js'
import type { VariantReport } from '../../src/types.js'
import { build, image, policy, report } from '../support/reports.js'

const MB = 1_000_000

function variant(name: string, size: number): VariantReport {
  return {
    name,
    dockerfile: 'Dockerfile',
    context: '.',
    buildArgNames: [],
    status: 'built',
    findings: [],
    image: image(size, [{ sizeBytes: size, createdBy: 'ADD rootfs /' }]),
    build: build([10])
  }
}

function chartOf(sizes: Array<[string, number, number]>): string {
  const base = report(sizes.map(([name, before]) => variant(name, before)))
  const head = report(sizes.map(([name, , after]) => variant(name, after)))
  return sizeChart(compareReports(base, head, { source: 'build' }, policy()))
}

function series(chart: string): string[][] {
  return [...chart.matchAll(/^ {2}bar \[(.*)\]$/gm)].map((match) => match[1].split(', '))
}

function labels(chart: string): string[] {
  const axis = /x-axis \[(.*)\]/.exec(chart)
  return axis ? [...axis[1].matchAll(/"([^"]*)"/g)].map((match) => match[1]) : []
}

describe('sizeChart', () => {
  it('draws one bar a changed variant, as long as its change: growth red, shrinkage green', () => {
    const chart = chartOf([
      ['app', 100 * MB, 120 * MB],
      ['web', 50 * MB, 45 * MB],
      ['same', 80 * MB, 80 * MB]
    ])
    expect(chart).toContain('xychart-beta horizontal')
    expect(chart).toContain('plotColorPalette: "#cf222e, #1a7f37"')
    expect(chart).toMatch(/y-axis "MB" 0 --> 21\n/)
    expect(labels(chart)).toEqual(['app +20.0', 'web -5.0'])
    expect(series(chart)).toEqual([
      ['20.0', '0'],
      ['0', '5.0']
    ])
  })

  it('shows a small change of a large image as plainly as a large one', () => {
    const chart = chartOf([
      ['gpu', 1500 * MB, 1590 * MB],
      ['tiny', 40 * MB, 130 * MB]
    ])
    expect(series(chart)[0]).toEqual(['90.0', '90.0'])
  })

  it('is left out when fewer than two variants changed', () => {
    expect(
      chartOf([
        ['app', 100 * MB, 120 * MB],
        ['same', 80 * MB, 80 * MB]
      ])
    ).toBe('')
    expect(chartOf([])).toBe('')
  })

  it('shows the twelve largest changes, with room for every label', () => {
    const chart = chartOf(Array.from({ length: 20 }, (_, index) => [`v${index}`, 10 * MB, (11 + index) * MB]))
    expect(labels(chart)).toHaveLength(12)
    expect(labels(chart)[0]).toBe('v19 +20.0')
    expect(chart).toContain('title "Size change of the 12 largest changes, MB: grew red, shrank green"')
    expect(Number(/height: (\d+)/.exec(chart)![1])).toBeGreaterThanOrEqual(12 * 26)
  })

  it('reads in kB or GB as the largest change asks', () => {
    expect(
      chartOf([
        ['a', 10 * MB, 10.2 * MB],
        ['b', 10 * MB, 10.1 * MB]
      ])
    ).toMatch(/y-axis "kB" 0 --> 210\n/)
    expect(
      chartOf([
        ['gpu', 14e9, 15e9],
        ['cpu', 12e9, 11e9]
      ])
    ).toMatch(/y-axis "GB" 0 --> 1.1\n/)
  })

  it.each([
    ['</details><img src=x onerror=alert(1)>'],
    ['"quoted" `tick` ; %% ]'],
    ['@octocat'],
    ['[x](javascript:alert(1))']
  ])('reduces the label of %p to characters Mermaid cannot misread', (name) => {
    const chart = chartOf([
      [name, 10 * MB, 11 * MB],
      ['other', 10 * MB, 12 * MB]
    ])
    for (const label of labels(chart)) expect(label).toMatch(/^[A-Za-z0-9 ._/:+-]+ [+-][\d.]+$/)
  })

  it('keeps variants apart however long their names, numbering names that clean up alike', () => {
    const chart = chartOf([
      ['a'.repeat(80), 10 * MB, 13 * MB],
      ['x<y', 10 * MB, 12 * MB],
      ['x>y', 10 * MB, 11 * MB]
    ])
    expect(labels(chart)).toEqual([`${'a'.repeat(30)} +3.0`, 'x_y +2.0', 'x_y 2 +1.0'])
  })
})
