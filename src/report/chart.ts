/**
 * The size chart: a horizontal Mermaid bar chart of the variants whose size changed, the baseline and the PR as two
 * series in two colours, with the axis from 0. Left out when fewer than two variants changed. Pure.
 */
import type { Comparison, VariantComparison } from '../types.js'

const MAX_CHART_VARIANTS = 12
/** Pixels per bar, so that labels stay apart however many variants changed. */
const ROW_HEIGHT = 26
const MIN_HEIGHT = 300
/** Grey for the baseline, blue for the pull request: readable on GitHub's light and dark themes. */
const SERIES_COLOURS = '#8c959f, #0969da'

/** Labels keep only characters Mermaid cannot misread, and each variant stays apart from the others. */
function labeller(): (name: string) => string {
  const clean = (text: string, length: number): string => text.replace(/[^A-Za-z0-9 ._/:+-]/g, '_').slice(0, length)
  const seen = new Set<string>()
  return (name) => {
    let text = clean(name, 30)
    for (let count = 2; seen.has(text); count++) text = `${clean(name, 26)} ${count}`
    seen.add(text)
    return text
  }
}

/** MB below 10 GB, GB above, so that the axis reads in whole numbers. */
function scaleFor(maxBytes: number): { unit: string; divisor: number } {
  return maxBytes >= 10e9 ? { unit: 'GB', divisor: 1e9 } : { unit: 'MB', divisor: 1e6 }
}

function chartedVariants(comparison: Comparison): VariantComparison[] {
  return comparison.variants
    .filter((variant) => variant.kind === 'changed' && variant.size && variant.size.delta !== 0)
    .sort((a, b) => Math.abs(b.size!.delta) - Math.abs(a.size!.delta) || a.name.localeCompare(b.name))
    .slice(0, MAX_CHART_VARIANTS)
}

/**
 * Each variant gets two bars on their own rows, the baseline's and the PR's, each labelled with its value: Mermaid
 * draws bar series on top of each other, so each series carries zeros where the other one's bars are. The value
 * axis shows no tick labels, as their padding would turn those zeros into stubs.
 */
export function sizeChart(comparison: Comparison, baseLabel: string): string {
  const rows = chartedVariants(comparison)
  if (rows.length < 2) return ''
  const label = labeller()
  const side = baseLabel.replace(/[^A-Za-z0-9._/-]/g, '_').slice(0, 20) || 'base'
  const max = Math.max(...rows.flatMap((variant) => [variant.size!.before, variant.size!.after]))
  const { unit, divisor } = scaleFor(max)
  const value = (bytes: number): string => (bytes / divisor).toFixed(divisor === 1e9 ? 2 : 1)
  const labels = rows.flatMap((variant) => {
    const name = label(variant.name)
    return [`"${name} · ${side} ${value(variant.size!.before)}"`, `"${name} · PR ${value(variant.size!.after)}"`]
  })
  const before = rows.flatMap((variant) => [value(variant.size!.before), '0'])
  const after = rows.flatMap((variant) => ['0', value(variant.size!.after)])
  const top = Math.ceil((max / divisor) * 1.05)
  const more = comparison.variants.filter((variant) => variant.kind === 'changed' && variant.size?.delta).length
  const title = `Size of the ${more > rows.length ? `${rows.length} largest changes` : 'variants that changed'}, ${unit} from 0: ${side} grey, PR blue`
  return [
    '```mermaid',
    '---',
    'config:',
    '  xyChart:',
    `    height: ${Math.max(MIN_HEIGHT, rows.length * 2 * ROW_HEIGHT + 120)}`,
    '    yAxis:',
    '      showLabel: false',
    '      showTick: false',
    '  themeVariables:',
    '    xyChart:',
    `      plotColorPalette: "${SERIES_COLOURS}"`,
    '---',
    'xychart-beta horizontal',
    `  title "${title}"`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis "${unit}" 0 --> ${top}`,
    `  bar [${before.join(', ')}]`,
    `  bar [${after.join(', ')}]`,
    '```'
  ].join('\n')
}
