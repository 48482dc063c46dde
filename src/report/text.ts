/**
 * Plain text for a terminal: one checkout's report, or the comparison with its verdict. Every untrusted value is
 * made one line without control characters before it is coloured, so no file name or log line can start a line of
 * its own (a workflow command) or move the cursor. Pure.
 */
import { oneLine } from './markdown.js'
import { humanBytes, humanBytesPair, signedBytes, signedPercent } from '../format.js'
import {
  allFindings,
  failureEntries,
  failureHeadline,
  failureLog,
  sortBySize,
  splitSuppressed,
  summaryLine,
  SUPPRESSED_BY,
  type VariantFinding
} from './index.js'
import type { Comparison, PolicyViolation, Report, VariantComparison } from '../types.js'
import { groupViolations, locations, renderVerdict, verdictOf } from './verdict.js'
import { missingSideText } from './variant-table.js'

type Colour = (text: string) => string

export interface Paint {
  red: Colour
  green: Colour
  yellow: Colour
  dim: Colour
  bold: Colour
}

const same = (text: string): string => text

export const PLAIN: Paint = { red: same, green: same, yellow: same, dim: same, bold: same }

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`

export const ANSI: Paint = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22)
}

/** Colours on a terminal: `NO_COLOR` (any value) turns them off, `FORCE_COLOR` on (`0` or `false`: off). */
export function paintFor(isTTY: boolean, env: NodeJS.ProcessEnv): Paint {
  if (env.NO_COLOR) return PLAIN
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? PLAIN : ANSI
  return isTTY ? ANSI : PLAIN
}

/** An untrusted value on one line, as in Markdown: escape sequences dropped, control characters shown as `�`. */
export function term(text: string): string {
  return oneLine(text)
}

interface Cell {
  text: string
  paint?: (text: string) => string
}

/** Columns padded by their visible width, then coloured, so colours never shift the alignment. */
function columns(header: string[], rows: Cell[][], paint: Paint): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].text.length)))
  const line = (cells: Cell[]): string =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell.text : cell.text.padEnd(widths[column])
        return cell.paint ? cell.paint(padded) : padded
      })
      .join('  ')
      .trimEnd()
  return [paint.bold(line(header.map((text) => ({ text })))), ...rows.map(line)]
}

/** `Dockerfile:4`, or `my/app:1 layer 4` for an image inspected without a Dockerfile. */
function place(finding: VariantFinding): string {
  return finding.layer === undefined
    ? `${term(finding.file)}:${finding.line}`
    : `${term(finding.file)} layer ${finding.layer}`
}

function byPlace(a: VariantFinding, b: VariantFinding): number {
  return a.file.localeCompare(b.file) || a.line - b.line || (a.layer ?? 0) - (b.layer ?? 0)
}

function findingLines(findings: VariantFinding[], paint: Paint): string[] {
  const colour = { error: paint.red, warning: paint.yellow, info: paint.dim }
  const sorted = [...findings].sort(byPlace)
  return sorted.flatMap((finding) => [
    `  ${place(finding)} ${colour[finding.severity](finding.severity)} ${finding.rule} [${term(finding.variant)}] ${term(finding.message)}`,
    `    fix: ${term(finding.fix)}`
  ])
}

/** The suppressed findings apart and dim, each with what suppressed it and why. */
function suppressedLines(findings: VariantFinding[], paint: Paint): string[] {
  if (!findings.length) return []
  const sorted = [...findings].sort(byPlace)
  const lines = sorted.flatMap((finding) => {
    const { by, reason } = finding.suppressed!
    const why = reason ? `: ${term(reason)}` : ''
    return [
      paint.dim(
        `  ${place(finding)} ${finding.severity} ${finding.rule} [${term(finding.variant)}] ${term(finding.message)}`
      ),
      paint.dim(`    suppressed by ${SUPPRESSED_BY[by]}${why}`)
    ]
  })
  return ['', `Suppressed (${findings.length}):`, ...lines]
}

function failureLines(head: Report, base: Report | undefined, baseLabel: string, paint: Paint): string[] {
  return failureEntries(head, base).flatMap((entry) => {
    const where = base
      ? ` (${entry.onBase && entry.onHead ? `${baseLabel} and PR` : entry.onBase ? baseLabel : 'PR'})`
      : ''
    return [
      '',
      `${paint.red(`${term(entry.variant.name)} failed`)}${term(where)}: ${term(failureHeadline(entry.variant.failure))}`,
      ...failureLog(entry.variant.failure!).map((line) => paint.dim(`  | ${term(line)}`))
    ]
  })
}

function verdictText(comparison: Comparison, head: Report, base: Report | undefined, label: string, paint: Paint) {
  return renderVerdict(verdictOf(comparison, head, base, label), label, {
    name: (text) => paint.bold(term(text)),
    prose: term,
    strong: paint.bold
  })
}

/** One checkout's report for a terminal; with the policy's result, its verdict last. */
export function renderText(report: Report, paint: Paint = PLAIN, comparison?: Comparison): string {
  const rows = sortBySize(report.variants).map((variant): Cell[] => [
    { text: term(variant.name) },
    {
      text: variant.status,
      paint: variant.status === 'failed' ? paint.red : variant.status === 'skipped' ? paint.yellow : undefined
    },
    { text: variant.image ? humanBytes(variant.image.sizeBytes) : '-' },
    { text: variant.image ? String(variant.image.sizeBytes) : '-' },
    { text: typeof variant.image?.compressedBytes === 'number' ? humanBytes(variant.image.compressedBytes) : '-' },
    { text: variant.build ? `${variant.build.seconds.toFixed(1)}s` : '-' },
    { text: String(splitSuppressed(variant.findings).counted.length) }
  ])
  const header = ['VARIANT', 'STATUS', 'SIZE', 'BYTES', 'COMPRESSED', 'BUILD', 'FINDINGS']
  const lines = rows.length ? columns(header, rows, paint) : []
  for (const problem of report.problems) lines.push(paint.red(`problem: ${term(problem)}`))
  const { counted, suppressed } = splitSuppressed(allFindings(report))
  const findings = findingLines(counted, paint)
  if (findings.length) lines.push('', 'Findings:', ...findings)
  lines.push(...suppressedLines(suppressed, paint))
  lines.push(...failureLines(report, undefined, '', paint), '', summaryLine(report))
  if (comparison) lines.push(verdictText(comparison, report, undefined, 'base', paint))
  return `${lines.join('\n')}\n`
}

function changeText(variant: VariantComparison, baseLabel: string, paint: Paint): Cell {
  if (variant.size) {
    if (variant.size.delta === 0) return { text: '0 B' }
    const percent = variant.size.percent === null ? '' : ` (${signedPercent(variant.size.percent)})`
    const text = `${variant.kind === 'unchanged' ? '≈ ' : ''}${signedBytes(variant.size.delta)}${percent}`
    return { text, paint: variant.kind === 'unchanged' ? undefined : variant.size.delta > 0 ? paint.red : paint.green }
  }
  if (variant.kind === 'added') return { text: 'added' }
  if (variant.kind === 'removed') return { text: 'removed' }
  const sides = [
    missingSideText(baseLabel, variant.baseStatus, variant.baseFailure),
    missingSideText('PR', variant.headStatus, variant.headFailure)
  ]
  return { text: term(sides.filter(Boolean).join(', ') || 'not measured') }
}

function violationText(group: PolicyViolation[]): string {
  const [first] = group
  if (first.limit === 'fail-on')
    return `fail-on ${first.rule ?? ''} in ${term(first.variant ?? '')} at ${locations(group).map(term).join(', ')}`
  return `${first.limit}: ${term(first.message)}`
}

/** The comparison for a terminal: every variant, the policy, new and inherited findings, and the verdict last. */
export function renderComparisonText(
  head: Report,
  base: Report,
  comparison: Comparison,
  baseLabel: string,
  paint: Paint = PLAIN
): string {
  const label = term(baseLabel)
  const image = (report: Report, name: string) => report.variants.find((variant) => variant.name === name)?.image
  const rows = comparison.variants.map((variant): Cell[] => {
    const before = image(base, variant.name)?.sizeBytes
    const after = image(head, variant.name)?.sizeBytes
    const [beforeText, afterText] =
      before !== undefined && after !== undefined
        ? humanBytesPair(before, after)
        : [before === undefined ? '-' : humanBytes(before), after === undefined ? '-' : humanBytes(after)]
    const time = variant.time
      ? `${variant.time.before.toFixed(1)}s → ${variant.time.after.toFixed(1)}s${variant.time.noise && variant.time.runs.before > 1 && variant.time.runs.after > 1 ? ' ≈' : ''}`
      : '-'
    const { added, fixed, unchanged } = variant.findings
    const findings =
      [
        added.length ? `${added.length} new` : '',
        fixed.length ? `${fixed.length} fixed` : '',
        unchanged.length ? `${unchanged.length} on ${label}` : ''
      ]
        .filter(Boolean)
        .join(', ') || '-'
    const dim = variant.kind === 'unchanged' ? paint.dim : undefined
    const compressed = variant.compressed ? signedBytes(variant.compressed.delta) : '-'
    return [
      { text: term(variant.name), paint: dim },
      { text: beforeText, paint: dim },
      { text: afterText, paint: dim },
      changeText(variant, label, paint),
      { text: compressed, paint: dim },
      { text: time, paint: dim },
      { text: findings, paint: added.length ? paint.red : dim }
    ]
  })
  const lines = columns(['VARIANT', label.toUpperCase(), 'PR', 'Δ', 'COMPRESSED Δ', 'BUILD', 'FINDINGS'], rows, paint)
  const failing = groupViolations(comparison.violations)
  if (failing.length)
    lines.push('', paint.bold('Policy:'), ...failing.map((group) => paint.red(`  ✗ ${violationText(group)}`)))
  const inherited = groupViolations(comparison.inherited)
  if (inherited.length)
    lines.push(
      '',
      paint.bold(`Already on ${label}, not failing (--fail-on-inherited fails on these too):`),
      ...inherited.map((group) => `  - ${violationText(group)}`)
    )
  const newFindings = findingLines(
    comparison.variants.flatMap((variant) =>
      variant.findings.added.map((finding) => ({ ...finding, variant: variant.name }))
    ),
    paint
  )
  if (newFindings.length) lines.push('', paint.bold('New findings:'), ...newFindings)
  const suppressed = comparison.variants.flatMap((variant) =>
    (variant.findings.suppressed ?? []).map((finding) => ({ ...finding, variant: variant.name }))
  )
  lines.push(...suppressedLines(suppressed, paint))
  lines.push(...failureLines(head, base, label, paint))
  lines.push('', verdictText(comparison, head, base, label, paint))
  return `${lines.join('\n')}\n`
}
