/** Stage 7: the versioned JSON report and its renderings (Markdown for the PR and job summary, text for a terminal). */
import fs from 'node:fs'
import path from 'node:path'
import { escapeMarkdown, escapeMessage, humanBytes, humanSeconds, preformatted, table } from './markdown.js'
import { severityRank, type Comparison, type Finding, type Report, type Severity, type VariantReport } from './types.js'

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

export function allFindings(report: Report): Array<Finding & { variant: string }> {
  return report.variants.flatMap((variant) =>
    variant.findings.map((finding) => ({ ...finding, variant: variant.name }))
  )
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 }
  for (const finding of findings) counts[finding.severity]++
  return counts
}

export function findingCounts(findings: Finding[]): string {
  const counts = countBySeverity(findings)
  const parts = (['error', 'warning', 'info'] as Severity[])
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${counts[severity]} ${severity}${counts[severity] > 1 ? 's' : ''}`)
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

/** The `summary` output: the variants, their findings, and on pull requests the size change and the policy verdict. */
export function summaryText(report: Report, comparison: Comparison): string {
  const total = comparison.totalSize
  const size = total ? `; total size ${total.delta >= 0 ? '+' : ''}${humanBytes(total.delta)}` : ''
  const policy = comparison.violations.length ? `policy failed (${comparison.violations.length})` : 'policy passed'
  return `${summaryLine(report)}${size}; ${policy}`
}

function statusCell(variant: VariantReport): string {
  if (variant.status === 'built') return '✅ built'
  return variant.status === 'failed' ? '❌ failed' : '⏭️ skipped'
}

function findingsCell(findings: Finding[]): string {
  const counts = countBySeverity(findings)
  const parts = (['error', 'warning', 'info'] as Severity[])
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${SEVERITY_ICONS[severity]} ${counts[severity]}`)
  return parts.join(' ') || '—'
}

export function sizeCell(variant: VariantReport): string {
  return variant.image
    ? `<span title="${variant.image.sizeBytes} bytes">${humanBytes(variant.image.sizeBytes)}</span>`
    : '—'
}

export function timeCell(variant: VariantReport): string {
  if (!variant.build) return '—'
  const { samples } = variant.build
  const spread = samples.length > 1 ? ` (${Math.min(...samples).toFixed(1)}–${Math.max(...samples).toFixed(1)})` : ''
  return `${humanSeconds(variant.build.seconds)}${spread}`
}

/** `file:line` as text, or a link to the line when a base URL for blobs is known. */
export function locationText(finding: Finding, blobBase?: string): string {
  const label = escapeMarkdown(finding.line > 0 ? `${finding.file}:${finding.line}` : finding.file)
  if (!blobBase) return label
  const encode = (part: string): string =>
    encodeURIComponent(part).replace(/[()'*!~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
  const href = `${blobBase}/${finding.file.split('/').map(encode).join('/')}${finding.line > 0 ? `#L${finding.line}` : ''}`
  return `[${label}](${href})`
}

export function renderFindingsList(findings: Array<Finding & { variant: string }>, blobBase?: string): string {
  const sorted = [...findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.file.localeCompare(b.file) || a.line - b.line
  )
  return sorted
    .map(
      (finding) =>
        `- ${SEVERITY_ICONS[finding.severity]} **${finding.rule}** (${escapeMarkdown(finding.variant)}) ${locationText(finding, blobBase)}: ${escapeMessage(finding.message)}` +
        `<br>Fix: ${escapeMessage(finding.fix)}`
    )
    .join('\n')
}

export function renderFailures(variants: VariantReport[]): string {
  return variants
    .filter((variant) => variant.failure)
    .map((variant) => {
      const failure = variant.failure!
      const log = failure.logTail.length ? `\n\n${preformatted(failure.logTail)}` : ''
      return `<details><summary>${escapeMarkdown(variant.name)}: ${escapeMarkdown(failure.message)}</summary>${log}\n\n</details>`
    })
    .join('\n')
}

export function measurementNotes(report: Report): string {
  const built = report.variants.find((variant) => variant.image && variant.build)
  if (!built) return ''
  const engine = report.engine
    ? ` Engine ${escapeMarkdown(report.engine.version)} (${report.engine.os}/${report.engine.arch}).`
    : ''
  return `<sub>Size: ${escapeMarkdown(built.image!.sizeSource)}. Build time: ${escapeMarkdown(built.build!.method)}.${engine}</sub>`
}

/** The Markdown report of one checkout: variants by size, then findings with file:line, then failed builds' logs. */
export function renderReportMarkdown(report: Report, blobBase?: string): string {
  const variants = sortBySize(report.variants)
  const rows = variants.map((variant) => [
    escapeMarkdown(variant.name),
    statusCell(variant),
    sizeCell(variant),
    variant.image ? String(variant.image.layers.length) : '—',
    timeCell(variant),
    findingsCell(variant.findings)
  ])
  const findings = allFindings(report)
  const sections = [
    `## slimcheck: ${escapeMarkdown(summaryLine(report))}`,
    table(['Variant', 'Status', 'Size', 'Layers', 'Build time', 'Findings'], rows, ['l', 'l', 'r', 'r', 'r', 'l']),
    findings.length ? `### Findings\n\n${renderFindingsList(findings, blobBase)}` : '',
    variants.some((variant) => variant.failure) ? `### Failed builds\n\n${renderFailures(variants)}` : '',
    renderExactSizes(variants),
    measurementNotes(report)
  ]
  return `${sections.filter(Boolean).join('\n\n')}\n`
}

function renderExactSizes(variants: VariantReport[]): string {
  const built = variants.filter((variant) => variant.image)
  if (built.length === 0) return ''
  const lines = built.map(
    (variant) =>
      `- ${escapeMarkdown(variant.name)}: ${variant.image!.sizeBytes} bytes, image ${escapeMarkdown(variant.image!.id)}, ${largestLayers(variant)}`
  )
  return `<details><summary>Exact sizes and largest layers</summary>\n\n${lines.join('\n')}\n\n</details>`
}

function largestLayers(variant: VariantReport): string {
  const layers = [...variant.image!.layers].sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 3)
  const described = layers.map((layer) => {
    const where = layer.instruction
      ? `${variant.dockerfile}:${layer.instruction.line} ${layer.instruction.text}`
      : 'base image'
    return `${humanBytes(layer.sizeBytes)} ${escapeMarkdown(where.length > 80 ? `${where.slice(0, 77)}...` : where)}`
  })
  return `largest layers: ${described.join('; ')}`
}

/** Plain text for a terminal. */
export function renderText(report: Report): string {
  const variants = sortBySize(report.variants)
  const rows = variants.map((variant) => [
    variant.name,
    variant.status,
    variant.image ? humanBytes(variant.image.sizeBytes) : '-',
    variant.image ? String(variant.image.sizeBytes) : '-',
    variant.build ? `${variant.build.seconds.toFixed(1)}s` : '-',
    String(variant.findings.length)
  ])
  const header = ['VARIANT', 'STATUS', 'SIZE', 'BYTES', 'BUILD', 'FINDINGS']
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const format = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd()
  const lines = [format(header), ...rows.map(format)]
  const findings = allFindings(report).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
  if (findings.length) {
    lines.push('', 'Findings:')
    for (const finding of findings) {
      lines.push(
        `  ${finding.file}:${finding.line} ${finding.severity} ${finding.rule} [${finding.variant}] ${finding.message}`,
        `    fix: ${finding.fix}`
      )
    }
  }
  for (const variant of variants.filter((item) => item.failure)) {
    lines.push(
      '',
      `${variant.name} failed: ${variant.failure!.message}`,
      ...variant.failure!.logTail.map((line) => `  | ${line}`)
    )
  }
  lines.push('', summaryLine(report))
  return `${stripControlCharacters(lines.join('\n'))}\n`
}

/** Text for a terminal carries no escape sequences from file names or build logs: control characters become `?`. */
export function stripControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?')
}
