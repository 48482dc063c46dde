/**
 * The size chart: a horizontal Mermaid bar chart of how much each variant that changed grew or shrank, so that a +6 %
 * change of a 1.5 GB image shows as plainly as a new 40 MB one. Left out when fewer than two variants changed. Pure.
 */
import type { Comparison, VariantComparison } from '../types.js'

const MAX_CHART_VARIANTS = 12
/** Pixels per bar, so that labels stay apart however many variants changed. */
const ROW_HEIGHT = 26
const MIN_HEIGHT = 300
/** Red for growth, green for shrinkage: GitHub's own danger and success colours, readable on both themes. */
const SERIES_COLOURS = '#cf222e, #1a7f37'

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

/** The unit the largest change reads in: kB, MB or GB. */
function scaleFor(maxBytes: number): { unit: string; divisor: number } {
  if (maxBytes >= 1e9) return { unit: 'GB', divisor: 1e9 }
  return maxBytes >= 1e6 ? { unit: 'MB', divisor: 1e6 } : { unit: 'kB', divisor: 1e3 }
}

function chartedVariants(comparison: Comparison): VariantComparison[] {
  return comparison.variants
    .filter((variant) => variant.kind === 'changed' && variant.size && variant.size.delta !== 0)
    .sort((a, b) => Math.abs(b.size!.delta) - Math.abs(a.size!.delta) || a.name.localeCompare(b.name))
    .slice(0, MAX_CHART_VARIANTS)
}

/**
 * One bar a variant, as long as its change, labelled with the signed change: growth and shrinkage are two series in
 * two colours, each carrying zeros where the other one's bars are (Mermaid draws series on top of each other). The
 * value axis shows no tick labels, as their padding would turn those zeros into stubs.
 */
export function sizeChart(comparison: Comparison): string {
  const rows = chartedVariants(comparison)
  if (rows.length < 2) return ''
  const label = labeller()
  const max = Math.max(...rows.map((variant) => Math.abs(variant.size!.delta)))
  const { unit, divisor } = scaleFor(max)
  const value = (bytes: number): string => (Math.abs(bytes) / divisor).toFixed(1)
  const labels = rows.map((variant) => {
    const { delta } = variant.size!
    return `"${label(variant.name)} ${delta > 0 ? '+' : '-'}${value(delta)}"`
  })
  const grew = rows.map((variant) => (variant.size!.delta > 0 ? value(variant.size!.delta) : '0'))
  const shrank = rows.map((variant) => (variant.size!.delta < 0 ? value(variant.size!.delta) : '0'))
  const top = Math.max(0.1, Number(((max / divisor) * 1.05).toFixed(1)))
  const more = comparison.variants.filter((variant) => variant.kind === 'changed' && variant.size?.delta).length
  const title = `Size change of the ${more > rows.length ? `${rows.length} largest changes` : 'variants that changed'}, ${unit}: grew red, shrank green`
  return [
    '<details><summary>Size changes, charted</summary>',
    '',
    '```mermaid',
    '---',
    'config:',
    '  xyChart:',
    `    height: ${Math.max(MIN_HEIGHT, rows.length * ROW_HEIGHT + 120)}`,
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
    `  bar [${grew.join(', ')}]`,
    `  bar [${shrank.join(', ')}]`,
    '```',
    '',
    '</details>'
  ].join('\n')
}
