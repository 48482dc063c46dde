/** Stage 7: the versioned JSON report and its Markdown rendering for one checkout (a push, or no baseline). */
import fs from 'node:fs'
import path from 'node:path'
import { cellCode, code, htmlCode, inline, message, oneLine, preformatted, table } from './markdown.js'
import { humanBytes, humanSeconds, signedBytes } from '../format.js'
import { sizeTotals, type SizeTotals } from '../compare/index.js'
import { countedVariants } from './verdict.js'
import { fitSections, section, type Section } from './fit.js'
import { layerIdentity } from '../measure/bytes/layer-identity.js'
import {
  severityRank,
  type Comparison,
  type Finding,
  type ImageMeasurement,
  type ImagePull,
  type Layer,
  type Report,
  type Severity,
  type Suppression,
  type VariantFailure,
  type VariantReport
} from '../types.js'

export const SEVERITY_ICONS: Record<Severity, string> = { error: '🔴', warning: '🟡', info: 'ℹ️' }

export function writeReport(report: Report, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
}

/** Built variants largest first, then failed, then skipped; ties by name. */
export function sortBySize(variants: VariantReport[]): VariantReport[] {
  const statusOrder = { built: 0, failed: 1, skipped: 2 }
  return [...variants].sort(
    (a, b) =>
      statusOrder[a.status] - statusOrder[b.status] ||
      (b.image?.sizeBytes ?? 0) - (a.image?.sizeBytes ?? 0) ||
      a.name.localeCompare(b.name)
  )
}

export type VariantFinding = Finding & { variant: string }

export function allFindings(report: Report): VariantFinding[] {
  return report.variants.flatMap((variant) =>
    variant.findings.map((finding) => ({ ...finding, variant: variant.name }))
  )
}

function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 }
  for (const finding of findings) counts[finding.severity]++
  return counts
}

/** The findings that count, and those suppressed apart. */
export function splitSuppressed<T extends Finding>(findings: T[]): { counted: T[]; suppressed: T[] } {
  return {
    counted: findings.filter((finding) => !finding.suppressed),
    suppressed: findings.filter((finding) => finding.suppressed)
  }
}

function findingCounts(findings: Finding[]): string {
  const { counted, suppressed } = splitSuppressed(findings)
  const counts = countBySeverity(counted)
  const parts = (['error', 'warning', 'info'] as Severity[])
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${counts[severity]} ${severity}${counts[severity] > 1 ? 's' : ''}`)
  if (suppressed.length) parts.push(`${suppressed.length} suppressed`)
  return parts.length ? parts.join(', ') : 'no findings'
}

/** One line for the `summary` output and logs. */
export function summaryLine(report: Report): string {
  const count = (status: string): number => report.variants.filter((variant) => variant.status === status).length
  const statuses = [
    `${count('built')} built`,
    count('failed') ? `${count('failed')} failed` : '',
    count('skipped') ? `${count('skipped')} skipped` : ''
  ].filter(Boolean)
  const variants = `${report.variants.length} variant${report.variants.length === 1 ? '' : 's'}`
  return `${variants} (${statuses.join(', ')}); ${findingCounts(report.variants.flatMap((variant) => variant.findings))}`
}

/**
 * The `summary` output: the variants, their findings, and on pull requests the size change and the policy verdict.
 * The total is the verdict's; the variants it leaves out are counted, not named, as the line goes to the log as it is.
 */
export function summaryText(report: Report, comparison: Comparison): string {
  const totals = sizeTotals(comparison)
  const size = totals ? `; total size ${signedBytes(totals.total.delta)}${totalNote(totals)}` : ''
  const policy = comparison.violations.length ? `policy failed (${comparison.violations.length})` : 'policy passed'
  const inherited = comparison.inherited.length ? `; ${comparison.inherited.length} already on the baseline` : ''
  return `${summaryLine(report)}${size}; ${policy}${inherited}`
}

/** ` (with 1 added variant, not counting 2 that did not build)`, or nothing. */
function totalNote(totals: SizeTotals): string {
  const unmeasured = totals.unmeasured.length
  const notes = [countedVariants(totals), unmeasured ? `not counting ${unmeasured} that did not build` : '']
  return notes.some(Boolean) ? ` (${notes.filter(Boolean).join(', ')})` : ''
}

function statusCell(variant: VariantReport): string {
  if (variant.status === 'built') return '✅ built'
  return variant.status === 'failed' ? '❌ failed' : '⏭️ skipped'
}

function findingsCell(findings: Finding[]): string {
  const counts = countBySeverity(splitSuppressed(findings).counted)
  const parts = (['error', 'warning', 'info'] as Severity[])
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${SEVERITY_ICONS[severity]} ${counts[severity]}`)
  return parts.join(' ') || '—'
}

/** A size with its exact bytes in a tooltip. */
export function sizeSpan(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `<span title="${bytes} bytes">${humanBytes(bytes)}</span>`
}

export function timeCell(variant: VariantReport): string {
  if (!variant.build) return '—'
  const { samples } = variant.build
  const spread = samples.length > 1 ? ` (${Math.min(...samples).toFixed(1)}–${Math.max(...samples).toFixed(1)})` : ''
  return `${humanSeconds(variant.build.seconds)}${spread}`
}

/** `https://github.com/o/r/blob/<sha>/<dir>/<file>#L7`; each path component encoded, `(`, `)` and quotes too. */
function lineUrl(blobBase: string, file: string, line: number): string {
  const encode = (part: string): string =>
    encodeURIComponent(part).replace(/[()'*!~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${blobBase}/${file.split('/').map(encode).join('/')}${line > 0 ? `#L${line}` : ''}`
}

/**
 * `file:line` in code, linked to the line when a base URL for blobs is known; `image layer 4` for a finding in an
 * image inspected without a Dockerfile, never linked: the image is no file of the repository.
 */
export function locationText(
  finding: Pick<Finding, 'file' | 'line' | 'layer'>,
  blobBase?: string,
  label?: string
): string {
  const place =
    finding.layer !== undefined
      ? `${finding.file} layer ${finding.layer}`
      : finding.line > 0
        ? `${finding.file}:${finding.line}`
        : finding.file
  const text = code(label ?? place)
  return blobBase && finding.layer === undefined ? `[${text}](${lineUrl(blobBase, finding.file, finding.line)})` : text
}

function bySeverityThenPlace(a: Finding, b: Finding): number {
  const place = a.file.localeCompare(b.file) || a.line - b.line || (a.layer ?? 0) - (b.layer ?? 0)
  return severityRank(b.severity) - severityRank(a.severity) || place
}

function renderFinding(finding: VariantFinding, blobBase?: string, withFix = true): string {
  const fix = withFix ? `<br>Fix: ${message(finding.fix)}` : ''
  return `- ${SEVERITY_ICONS[finding.severity]} **${finding.rule}** in ${code(finding.variant)} at ${locationText(finding, blobBase)}: ${message(finding.message)}${fix}`
}

export function renderFindingsList(findings: VariantFinding[], blobBase?: string, withFix = true): string {
  return [...findings]
    .sort(bySeverityThenPlace)
    .map((finding) => renderFinding(finding, blobBase, withFix))
    .join('\n')
}

/** What suppressed a finding, as `Suppressed by …` goes on. */
export const SUPPRESSED_BY: Record<Suppression['by'], string> = {
  comment: 'a `# slimcheck ignore` comment',
  config: "the variant's `ignore` list"
}

/** The suppressed findings, folded under one line: they count for nothing, but none is hidden. */
export function renderSuppressed(findings: VariantFinding[], blobBase?: string): string {
  if (!findings.length) return ''
  const lines = [...findings].sort(bySeverityThenPlace).map((finding) => {
    const { by, reason } = finding.suppressed!
    const why = reason ? `: ${inline(reason)}` : ''
    return `- ${SEVERITY_ICONS[finding.severity]} **${finding.rule}** in ${code(finding.variant)} at ${locationText(finding, blobBase)}: ${message(finding.message)}<br>Suppressed by ${SUPPRESSED_BY[by]}${why}`
  })
  const count = `${findings.length} finding${findings.length > 1 ? 's' : ''} suppressed`
  return `<details><summary>${count}</summary>\n\n${lines.join('\n')}\n\n</details>`
}

const HEADLINE_LENGTH = 120
/** What is left of each failure log when a comment must shrink. */
export const SHORT_LOG_LINES = 5

/** The first line of a build failure, short: what Policy and the verdict show. */
export function failureHeadline(failure: VariantFailure | undefined): string {
  const first = (failure?.message ?? '')
    .split('\n')
    .map((line) => oneLine(line).trim())
    .find(Boolean)
  const text = first ?? 'unknown error'
  return text.length > HEADLINE_LENGTH ? `${text.slice(0, HEADLINE_LENGTH - 1)}…` : text
}

/** Consecutive repeats folded into one line with a count. */
function foldRepeats(lines: string[]): string[] {
  const folded: Array<{ line: string; count: number }> = []
  for (const line of lines) {
    const last = folded[folded.length - 1]
    if (last?.line === line) last.count++
    else folded.push({ line, count: 1 })
  }
  return folded.map(({ line, count }) => (count > 1 ? `${line} (×${count})` : line))
}

/** The failure's message (unless the log already shows it), then its log tail with repeats folded. */
export function failureLog(failure: VariantFailure, lastLines = Infinity): string[] {
  const tail = foldRepeats(failure.logTail)
  const messageLines = failure.message.split('\n').filter((line) => line.trim())
  const shown = messageLines.every((line) => tail.some((logLine) => logLine.includes(line.trim()))) ? [] : messageLines
  return [...shown, ...tail.slice(Math.max(0, tail.length - lastLines))]
}

/** One failed build, on the baseline, in the PR, or (the same failure) on both. */
export interface FailureEntry {
  variant: VariantReport
  onBase: boolean
  onHead: boolean
}

/**
 * A build log as a comparable value. BuildKit runs independent steps in parallel, so two builds of one failure can
 * number their steps, order their lines and time them differently, and its closing `ERROR:` line names whichever
 * failed step it saw first: none of that makes a different failure. Each step's lines stay tied to the step by its
 * first line (`#3 [internal] load metadata for …`), so which step failed and which was cancelled still counts.
 */
function failureKey(failure: VariantFailure): string {
  const steps = new Map<string, string>()
  return failure.logTail
    .filter((line) => !line.startsWith('ERROR: '))
    .map((line) => {
      const step = /^#(\d+) (.*)$/.exec(line)
      if (!step) return line
      const [, number, rest] = step
      if (!steps.has(number)) steps.set(number, rest)
      return `${steps.get(number)} | ${rest.replace(/^(DONE|CACHED|CANCELED) \d+(\.\d+)?s$/, '$1')}`
    })
    .sort()
    .join('\n')
}

/** The same failure: the same step log as `failureKey` sees it, and the same message where no step log says more. */
function sameFailure(a: VariantFailure, b: VariantFailure): boolean {
  const key = failureKey(a)
  return key === failureKey(b) && (key !== '' || a.message === b.message)
}

/** Each variant's failures, the same one on both sides once. */
export function failureEntries(head: Report, base?: Report): FailureEntry[] {
  const failed = (report: Report | undefined): VariantReport[] =>
    (report?.variants ?? []).filter((variant) => variant.failure)
  const entries: FailureEntry[] = failed(head).map((variant) => ({ variant, onBase: false, onHead: true }))
  for (const variant of failed(base)) {
    const same = entries.find(
      (entry) => entry.variant.name === variant.name && sameFailure(entry.variant.failure!, variant.failure!)
    )
    if (same) same.onBase = true
    else entries.push({ variant, onBase: true, onHead: false })
  }
  return entries
}

function sidesText(entry: FailureEntry, baseLabel: string | undefined): string {
  if (baseLabel === undefined) return ''
  const onBase = `on ${htmlCode(baseLabel)}`
  return ` (${entry.onBase && entry.onHead ? `${onBase} and in the PR` : entry.onBase ? onBase : 'in the PR'})`
}

/**
 * Each failed build's log once, collapsed; `lastLines` keeps only the end of each log. With a `baseLabel` each block
 * says which side failed.
 */
export function renderFailureLogs(entries: FailureEntry[], baseLabel?: string, lastLines = Infinity): string {
  if (!entries.length) return ''
  const blocks = entries.map((entry) => {
    const lines = failureLog(entry.variant.failure!, lastLines)
    const log = lines.length ? `\n\n${preformatted(lines)}` : ''
    return `<details><summary>${htmlCode(entry.variant.name)}${sidesText(entry, baseLabel)}: build log, ${lines.length} line${lines.length === 1 ? '' : 's'}</summary>${log}\n\n</details>`
  })
  // A blank line between blocks: Markdown after a `</details>` line would otherwise stay part of that HTML block.
  return `### Failed builds\n\n${blocks.join('\n\n')}`
}

function sourceOf(report: Report, pick: (variant: VariantReport) => string | undefined): string | undefined {
  return report.variants.map(pick).find((text) => text !== undefined)
}

/** How sizes and times were measured, and on which engine: once, in small print. */
export function measurementNotes(report: Report): string[] {
  const size = sourceOf(report, (variant) => variant.image?.sizeSource)
  const compressed = sourceOf(report, (variant) => variant.image?.compressedSource)
  const method = sourceOf(report, (variant) => variant.build?.method)
  const engine = report.engine
  return [
    size ? `Size: ${inline(size)}.` : '',
    compressed ? `Compressed: ${inline(compressed)}.` : '',
    method ? `Build time: ${inline(method)}.` : '',
    pullsNote(report.pulls ?? []),
    engine ? `Engine ${inline(engine.version)} (${inline(`${engine.os}/${engine.arch}`)}, ${engine.store} store).` : ''
  ].filter(Boolean)
}

const PULLS_NAMED = 5

/** The pulls apart from build time: which images, how many bytes, how long. */
export function pullsNote(pulls: ImagePull[]): string {
  if (!pulls.length) return ''
  const named = pulls
    .slice(0, PULLS_NAMED)
    .map((pull) => `${code(pull.image)} ${humanBytes(pull.bytes)} in ${pull.seconds.toFixed(1)} s`)
  const more = pulls.length > PULLS_NAMED ? ` and ${pulls.length - PULLS_NAMED} more` : ''
  return `Pulled before the builds, not in build times: ${named.join(', ')}${more}.`
}

export function smallPrint(notes: string[]): string {
  return notes.length ? `<sub>${notes.join(' ')}</sub>` : ''
}

/**
 * The Markdown report of one checkout, as sections that can give way to fit a limit: variants by size, then findings
 * with file:line, failed builds' logs, exact sizes and how they were measured.
 */
export function reportSections(report: Report, blobBase?: string): Section[] {
  const variants = sortBySize(report.variants)
  const rows = variants.map((variant) => [
    cellCode(variant.name),
    statusCell(variant),
    sizeSpan(variant.image?.sizeBytes),
    sizeSpan(variant.image?.compressedBytes),
    variant.image ? String(variant.image.layers.length) : '—',
    timeCell(variant),
    findingsCell(variant.findings)
  ])
  const { counted: findings, suppressed } = splitSuppressed(allFindings(report))
  const failures = failureEntries(report)
  return [
    section(`## slimcheck: ${summaryLine(report)}`),
    section(report.problems.map((problem) => `- ❌ ${inline(problem)}`).join('\n')),
    section(
      rows.length
        ? table(['Variant', 'Status', 'Size', 'Compressed', 'Layers', 'Build time', 'Findings'], rows, [
            'l',
            'l',
            'r',
            'r',
            'r',
            'r',
            'l'
          ])
        : ''
    ),
    {
      levels: findings.length
        ? [
            `### Findings\n\n${renderFindingsList(findings, blobBase)}`,
            `### Findings\n\n${renderFindingsList(findings, blobBase, false)}`
          ]
        : [''],
      priority: 4
    },
    section(renderSuppressed(suppressed, blobBase), 3),
    {
      levels: [renderFailureLogs(failures), renderFailureLogs(failures, undefined, SHORT_LOG_LINES)],
      priority: 3
    },
    section(renderExactSizes(variants), 1),
    section(smallPrint(measurementNotes(report)), 2)
  ]
}

export function renderReportMarkdown(report: Report, blobBase?: string): string {
  return fitSections(reportSections(report, blobBase), Infinity, '')
}

function renderExactSizes(variants: VariantReport[]): string {
  const built = variants.filter((variant) => variant.image)
  if (built.length === 0) return ''
  const lines = built.map((variant) => {
    const image = variant.image!
    const compressed = typeof image.compressedBytes === 'number' ? `, ${image.compressedBytes} compressed` : ''
    return `- ${code(variant.name)}: ${image.sizeBytes} bytes${compressed}, image ${code(image.id)}, ${largestLayers(variant)}`
  })
  return `<details><summary>Exact sizes and largest layers</summary>\n\n${lines.join('\n')}\n\n</details>`
}

/**
 * Whether the variant is an image slimcheck measured without building it (`inspect`): no Dockerfile made its layers,
 * so none of them is a base image's, and they are named by number as its findings name them.
 */
export function measuredWithoutDockerfile(variant: VariantReport): boolean {
  return variant.image !== undefined && variant.build === undefined
}

/**
 * The instruction the history of an inspected image's layer `number` records, shortened as its findings quote it
 * (layers counted from 1 at the bottom over those with a `diffId`); undefined when it records none.
 */
export function layerHistoryText(image: ImageMeasurement | undefined, number: number): string | undefined {
  const layer = image?.layers.filter((entry) => entry.diffId)[number - 1]
  return layer && layerIdentity(layer.createdBy, number).text
}

/** Each layer as the largest layers name it: by Dockerfile line (or the base image), or without one by number. */
function namedLayers(variant: VariantReport): Array<{ layer: Layer; where: string }> {
  const image = variant.image!
  if (!measuredWithoutDockerfile(variant))
    return image.layers.map((layer) => ({
      layer,
      where: layer.instruction
        ? `${variant.dockerfile}:${layer.instruction.line} ${layer.instruction.text}`
        : 'base image'
    }))
  return image.layers
    .filter((layer) => layer.diffId)
    .map((layer, index) => {
      const { text } = layerIdentity(layer.createdBy, index + 1)
      return { layer, where: text ? `layer ${index + 1} ${text}` : `layer ${index + 1}` }
    })
}

function largestLayers(variant: VariantReport): string {
  const layers = namedLayers(variant)
    .sort((a, b) => b.layer.sizeBytes - a.layer.sizeBytes)
    .slice(0, 3)
  const described = layers.map(
    ({ layer, where }) => `${humanBytes(layer.sizeBytes)} ${code(where.length > 80 ? `${where.slice(0, 79)}…` : where)}`
  )
  return `largest layers: ${described.join('; ')}`
}
