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

function chartOf(sizes: Array<[string, number, number]>, baseLabel = 'main'): string {
  const base = report(sizes.map(([name, before]) => variant(name, before)))
  const head = report(sizes.map(([name, , after]) => variant(name, after)))
  return sizeChart(compareReports(base, head, { source: 'build' }, policy()), baseLabel)
}

function series(chart: string): string[][] {
  return [...chart.matchAll(/^ {2}bar \[(.*)\]$/gm)].map((match) => match[1].split(', '))
}

function labels(chart: string): string[] {
  const axis = /x-axis \[(.*)\]/.exec(chart)
  return axis ? [...axis[1].matchAll(/"([^"]*)"/g)].map((match) => match[1]) : []
}

describe('sizeChart', () => {
  it('draws horizontal bars from 0 for the variants that changed only, main and PR in two colours', () => {
    const chart = chartOf([
      ['app', 100 * MB, 120 * MB],
      ['web', 50 * MB, 45 * MB],
      ['same', 80 * MB, 80 * MB]
    ])
    expect(chart).toContain('xychart-beta horizontal')
    expect(chart).toContain('plotColorPalette: "#8c959f, #0969da"')
    expect(chart).toMatch(/y-axis "MB" 0 --> 126\n/)
    expect(labels(chart)).toEqual(['app · main 100.0', 'app · PR 120.0', 'web · main 50.0', 'web · PR 45.0'])
    expect(series(chart)).toEqual([
      ['100.0', '0', '50.0', '0'],
      ['0', '120.0', '0', '45.0']
    ])
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
    expect(labels(chart)).toHaveLength(24)
    expect(labels(chart)[0]).toBe('v19 · main 10.0')
    expect(chart).toContain('title "Size of the 12 largest changes, MB from 0: main grey, PR blue"')
    expect(Number(/height: (\d+)/.exec(chart)![1])).toBeGreaterThanOrEqual(24 * 26)
  })

  it('switches to GB for large images', () => {
    const chart = chartOf([
      ['gpu', 14e9, 15e9],
      ['cpu', 12e9, 11e9]
    ])
    expect(chart).toMatch(/y-axis "GB" 0 --> 16\n/)
    expect(labels(chart)).toContain('gpu · PR 15.00')
  })

  it.each([
    ['</details><img src=x onerror=alert(1)>'],
    ['"quoted" `tick` ; %% ]'],
    ['@octocat'],
    ['[x](javascript:alert(1))']
  ])('reduces the label of %p to characters Mermaid cannot misread', (name) => {
    const chart = chartOf(
      [
        [name, 10 * MB, 11 * MB],
        ['other', 10 * MB, 12 * MB]
      ],
      'feat"]; %%{init}%%'
    )
    for (const label of labels(chart)) expect(label).toMatch(/^[A-Za-z0-9 ._/:+-]+ · [A-Za-z0-9._/-]+ [\d.]+$/)
  })

  it('keeps variants apart however long their names, numbering names that clean up alike', () => {
    const chart = chartOf([
      ['a'.repeat(80), 10 * MB, 13 * MB],
      ['x<y', 10 * MB, 12 * MB],
      ['x>y', 10 * MB, 11 * MB]
    ])
    expect(labels(chart)).toEqual([
      `${'a'.repeat(30)} · main 10.0`,
      `${'a'.repeat(30)} · PR 13.0`,
      'x_y · main 10.0',
      'x_y · PR 12.0',
      'x_y 2 · main 10.0',
      'x_y 2 · PR 11.0'
    ])
  })
})
