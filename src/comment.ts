/** Report stage, pull-request side: the comment that diffs every variant against the baseline. Pure. */
import { escapeMarkdown, escapeMessage, humanBytes, humanSeconds, preformatted, table } from './markdown.js'
import { locationText, measurementNotes, renderFindingsList, renderReportMarkdown, SEVERITY_ICONS } from './report.js'
import type { Comparison, Delta, Finding, Report, TimeDelta, VariantComparison } from './types.js'

/** GitHub rejects comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536
const MAX_CHART_VARIANTS = 12

export interface CommentContext {
  /** Identifies this comment among others on the PR, e.g. the workflow and job. */
  key: string
  baseLabel: string
  /** `https://github.com/o/r/blob/<head sha>/<working-directory>` for links to lines. */
  blobBase?: string
  /** Where the untruncated report can be read (the run's job summary). */
  summaryUrl?: string
}

export function commentMarker(key: string): string {
  return `<!-- slimcheck:comment ${key.replace(/--+/g, '-').replace(/[<>]/g, '')} -->`
}

function signed(text: string, value: number): string {
  return value > 0 ? `+${text}` : text
}

export function sizeDeltaText(size: Delta): string {
  if (size.delta === 0) return '0 B'
  const percent = size.percent === null ? '' : ` (${signed(`${size.percent.toFixed(1)}%`, size.percent)})`
  return `${signed(humanBytes(size.delta), size.delta)}${percent}${size.delta > 0 ? ' 🔺' : ' 🔻'}`
}

export function timeText(time: TimeDelta): string {
  const arrow = `${humanSeconds(time.before)} → ${humanSeconds(time.after)}`
  if (time.runs.before < 2 || time.runs.after < 2)
    return `${arrow} (spread unknown: 1 run${time.runs.before === time.runs.after ? ' a side' : ` on ${time.runs.before < 2 ? 'main' : 'the PR'}`})`
  if (time.noise)
    return `${arrow} ≈ (within ${time.beforeRange.min.toFixed(1)}–${time.beforeRange.max.toFixed(1)} vs ${time.afterRange.min.toFixed(1)}–${time.afterRange.max.toFixed(1)} s)`
  const percent = time.percent === null ? '' : ` (${signed(`${time.percent.toFixed(0)}%`, time.percent)})`
  return `${arrow}${percent}`
}

function sizeOf(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `<span title="${bytes} bytes">${humanBytes(bytes)}</span>`
}

function findingsSummary(variant: VariantComparison): string {
  const parts = [
    variant.findings.added.length ? `${worstIcon(variant.findings.added)} ${variant.findings.added.length} new` : '',
    variant.findings.fixed.length ? `✅ ${variant.findings.fixed.length} fixed` : '',
    variant.findings.unchanged.length ? `${variant.findings.unchanged.length} unchanged` : ''
  ].filter(Boolean)
  return parts.join(' · ') || '—'
}

function worstIcon(findings: Finding[]): string {
  if (findings.some((finding) => finding.severity === 'error')) return SEVERITY_ICONS.error
  return findings.some((finding) => finding.severity === 'warning') ? SEVERITY_ICONS.warning : SEVERITY_ICONS.info
}

const KIND_LABELS: Record<VariantComparison['kind'], string> = {
  changed: '',
  unchanged: '',
  added: '🆕 added',
  removed: '🗑️ removed',
  failed: ''
}

function statusText(status: string | undefined): string {
  return status === 'failed' ? '❌ failed' : status === 'skipped' ? '⏭️ skipped' : '—'
}

/** Which side has no measurement, and why: `head build failed`, `base not built`, or both. */
function unmeasuredText(variant: VariantComparison): string {
  const side = (label: string, status: string | undefined): string =>
    status === 'failed' ? `${label} build failed` : status === 'skipped' ? `${label} not built` : ''
  return (
    [side('base', variant.baseStatus), side('head', variant.headStatus)].filter(Boolean).join(', ') || 'not measured'
  )
}

function row(variant: VariantComparison, head: Report, base: Report | undefined): string[] {
  const headVariant = head.variants.find((item) => item.name === variant.name)
  const baseVariant = base?.variants.find((item) => item.name === variant.name)
  const before = baseVariant?.image
    ? sizeOf(baseVariant.image.sizeBytes)
    : variant.kind === 'added'
      ? '—'
      : statusText(variant.baseStatus)
  const after = headVariant?.image
    ? sizeOf(headVariant.image.sizeBytes)
    : variant.kind === 'removed'
      ? '—'
      : statusText(variant.headStatus)
  const change = variant.size ? sizeDeltaText(variant.size) : KIND_LABELS[variant.kind] || unmeasuredText(variant)
  const time = variant.time
    ? timeText(variant.time)
    : headVariant?.build
      ? humanSeconds(headVariant.build.seconds)
      : '—'
  return [escapeMarkdown(variant.name), `${before} → ${after}`, change, time, findingsSummary(variant)]
}

const HEADER = (baseLabel: string): string[] => [
  'Variant',
  `Size (${escapeMarkdown(baseLabel)} → PR)`,
  'Δ',
  `Build time (${escapeMarkdown(baseLabel)} → PR)`,
  'Findings'
]
const ALIGN: ('l' | 'r')[] = ['l', 'r', 'r', 'r', 'l']

export function verdict(comparison: Comparison, head: Report): string {
  const total = comparison.totalSize
  const size = total
    ? total.delta === 0
      ? `total image size unchanged at ${humanBytes(total.after)}`
      : `total image size ${signed(humanBytes(total.delta), total.delta)} (${humanBytes(total.before)} → ${humanBytes(total.after)})`
    : `${head.variants.filter((variant) => variant.image).length} of ${head.variants.length} variants built`
  const changed = comparison.variants.filter((variant) => variant.kind !== 'unchanged').length
  const changes = comparison.variants.length ? `, ${changed} of ${comparison.variants.length} variants changed` : ''
  const violations = comparison.violations.length
  const policy = violations
    ? `❌ policy failed (${violations} violation${violations > 1 ? 's' : ''})`
    : '✅ policy passed'
  return `**slimcheck**: ${policy}: ${size}${changes}.`
}

/** Mermaid bar chart, main and PR side by side per variant. Labels are reduced to characters Mermaid cannot misread. */
export function sizeChart(comparison: Comparison, base: Report | undefined, baseLabel: string): string {
  const rows = comparison.variants
    .filter((variant) => variant.size)
    .sort((a, b) => Math.abs(b.size!.delta) - Math.abs(a.size!.delta))
    .slice(0, MAX_CHART_VARIANTS)
  if (rows.length === 0 || !base) return ''
  const clean = (text: string, length: number): string => text.replace(/[^A-Za-z0-9 ._/:+-]/g, '_').slice(0, length)
  // Only the name is shortened, so the two bars of a variant keep distinct labels; names that clean up alike are numbered.
  const seen = new Set<string>()
  const unique = (name: string): string => {
    let text = clean(name, 30)
    for (let count = 2; seen.has(text); count++) text = `${clean(name, 26)} ${count}`
    seen.add(text)
    return text
  }
  const labels = rows.flatMap((variant) => {
    const name = unique(variant.name)
    return [`"${name} (${clean(baseLabel, 20)})"`, `"${name} (PR)"`]
  })
  const values = rows.flatMap((variant) =>
    [variant.size!.before, variant.size!.after].map((bytes) => (bytes / 1e6).toFixed(1))
  )
  return [
    '```mermaid',
    'xychart-beta',
    '  title "Image size per variant (MB)"',
    `  x-axis [${labels.join(', ')}]`,
    '  y-axis "MB"',
    `  bar [${values.join(', ')}]`,
    '```'
  ].join('\n')
}

function layerDetails(comparison: Comparison, head: Report): string {
  const blocks = comparison.variants
    .filter((variant) => variant.layers && (variant.layers.changes.length || variant.layers.delta))
    .map((variant) => {
      const dockerfile = head.variants.find((item) => item.name === variant.name)?.dockerfile ?? ''
      const rows = variant.layers!.changes.map((change) => [
        escapeMarkdown(
          change.line
            ? `${dockerfile}:${change.line} ${truncate(change.instruction, 70)}`
            : truncate(change.instruction, 80)
        ),
        sizeOf(change.before),
        sizeOf(change.after),
        signed(humanBytes(change.delta), change.delta)
      ])
      const count = `${variant.layers!.before} → ${variant.layers!.after} layers (history entries)`
      if (!rows.length) return `- ${escapeMarkdown(variant.name)}: ${count}; no layer changed size`
      return `<details><summary>${escapeMarkdown(variant.name)}: ${count}; instructions whose layers changed most</summary>\n\n${table(['Instruction', 'Before', 'After', 'Δ'], rows, ['l', 'r', 'r', 'r'])}\n\n</details>`
    })
  // A blank line between blocks: Markdown after a `</details>` line would otherwise stay part of that HTML block.
  return blocks.join('\n\n')
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text
}

function findingSections(
  comparison: Comparison,
  blobBase: string | undefined
): { added: string; fixed: string; unchanged: string } {
  const tagged = (pick: (variant: VariantComparison) => Finding[]): Array<Finding & { variant: string }> =>
    comparison.variants.flatMap((variant) => pick(variant).map((finding) => ({ ...finding, variant: variant.name })))
  const added = tagged((variant) => variant.findings.added)
  const fixed = tagged((variant) => variant.findings.fixed)
  const unchanged = tagged((variant) => variant.findings.unchanged)
  return {
    added: added.length ? `### New findings\n\n${renderFindingsList(added, blobBase)}` : '',
    fixed: fixed.length
      ? `### Fixed findings\n\n${fixed.map((finding) => `- ✅ **${finding.rule}** (${escapeMarkdown(finding.variant)}) ${locationText(finding)}: ${escapeMessage(finding.message)}`).join('\n')}`
      : '',
    unchanged: unchanged.length
      ? `<details><summary>${unchanged.length} unchanged finding${unchanged.length > 1 ? 's' : ''}</summary>\n\n${renderFindingsList(unchanged, blobBase)}\n\n</details>`
      : ''
  }
}

function failureLogs(head: Report, base: Report | undefined, baseLabel: string): string {
  const sides = [
    ...head.variants.filter((variant) => variant.failure).map((variant) => ({ side: 'PR', variant })),
    ...(base?.variants ?? []).filter((variant) => variant.failure).map((variant) => ({ side: baseLabel, variant }))
  ]
  if (!sides.length) return ''
  const blocks = sides.map(({ side, variant }) => {
    const log = variant.failure!.logTail.length ? `\n\n${preformatted(variant.failure!.logTail)}` : ''
    return `<details><summary>${escapeMarkdown(variant.name)} (${escapeMarkdown(side)}): ${escapeMarkdown(truncate(variant.failure!.message, 300))}</summary>${log}\n\n</details>`
  })
  return `### Failed builds\n\n${blocks.join('\n')}`
}

function baselineNote(comparison: Comparison, baseLabel: string): string {
  const { baseline } = comparison
  const commit = baseline.commit ? ` at ${escapeMarkdown(baseline.commit.slice(0, 12))}` : ''
  if (baseline.source === 'build')
    return `Baseline: ${escapeMarkdown(baseLabel)}${commit}, built on this runner, interleaved with the PR's builds.`
  if (baseline.source === 'artifact') {
    const run = baseline.runUrl ? `[run ${baseline.runId}](${baseline.runUrl})` : `run ${baseline.runId}`
    return `Baseline: the report stored by ${run} on ${escapeMarkdown(baseLabel)}${commit}.${baseline.note ? ` ${escapeMarkdown(baseline.note)}` : ''}`
  }
  return `No baseline${baseline.note ? `: ${escapeMarkdown(baseline.note)}` : '.'}`
}

function exactSizes(comparison: Comparison, head: Report, base: Report | undefined, baseLabel: string): string {
  const lines = comparison.variants
    .filter((variant) => variant.size)
    .map(
      (variant) =>
        `- ${escapeMarkdown(variant.name)}: ${variant.size!.before} → ${variant.size!.after} bytes (${signed(String(variant.size!.delta), variant.size!.delta)})`
    )
  const onlyHead = head.variants.filter(
    (variant) => variant.image && !comparison.variants.find((item) => item.name === variant.name)?.size
  )
  lines.push(
    ...onlyHead.map((variant) => `- ${escapeMarkdown(variant.name)}: ${variant.image!.sizeBytes} bytes (PR only)`)
  )
  const onlyBase = (base?.variants ?? []).filter(
    (variant) => variant.image && !comparison.variants.find((item) => item.name === variant.name)?.size
  )
  lines.push(
    ...onlyBase.map(
      (variant) =>
        `- ${escapeMarkdown(variant.name)}: ${variant.image!.sizeBytes} bytes (${escapeMarkdown(baseLabel)} only)`
    )
  )
  return lines.length ? `<details><summary>Exact sizes in bytes</summary>\n\n${lines.join('\n')}\n\n</details>` : ''
}

function policySection(comparison: Comparison): string {
  if (!comparison.violations.length) return ''
  return `### Policy\n\n${comparison.violations.map((violation) => `- ❌ **${escapeMarkdown(violation.limit)}**: ${escapeMarkdown(violation.message)}`).join('\n')}`
}

/**
 * The whole comment. Optional sections are dropped, least useful first, until it fits GitHub's limit;
 * then the tables are shortened. The job summary always carries the full report.
 */
export function renderComment(
  head: Report,
  base: Report | undefined,
  comparison: Comparison,
  context: CommentContext,
  limit = COMMENT_LIMIT
): string {
  const pointer = context.summaryUrl
    ? ` See the [job summary](${context.summaryUrl}) for everything.`
    : ' See the job summary for everything.'
  const marker = { text: commentMarker(context.key), drop: 0 }
  const lead = { text: verdict(comparison, head), drop: 0 }
  const policy = { text: policySection(comparison), drop: 0 }
  const note = { text: `<sub>${baselineNote(comparison, context.baseLabel)}</sub>`, drop: 0 }
  if (!base)
    return fitComment(
      [marker, lead, policy, { text: renderReportMarkdown(head, context.blobBase).trimEnd(), drop: 0 }, note],
      limit,
      pointer
    )
  const changed = comparison.variants.filter((variant) => variant.kind !== 'unchanged')
  const unchanged = comparison.variants.filter((variant) => variant.kind === 'unchanged')
  const findings = findingSections(comparison, context.blobBase)
  const header = HEADER(context.baseLabel)
  const unchangedRows = unchanged.map((variant) => row(variant, head, base))
  return fitComment(
    [
      marker,
      lead,
      {
        text: changed.length
          ? table(
              header,
              changed.map((variant) => row(variant, head, base)),
              ALIGN
            )
          : 'No variant changed.',
        drop: 0
      },
      {
        text: unchangedRows.length
          ? `<details><summary>${unchangedRows.length} unchanged variant${unchangedRows.length > 1 ? 's' : ''}</summary>\n\n${table(header, unchangedRows, ALIGN)}\n\n</details>`
          : '',
        drop: 6
      },
      policy,
      { text: sizeChart(comparison, base, context.baseLabel), drop: 5 },
      { text: findings.added, drop: 1 },
      { text: findings.fixed, drop: 2 },
      { text: findings.unchanged, drop: 7 },
      { text: layerDetails(comparison, head), drop: 8 },
      { text: failureLogs(head, base, context.baseLabel), drop: 4 },
      { text: exactSizes(comparison, head, base, context.baseLabel), drop: 9 },
      {
        text: `<sub>${baselineNote(comparison, context.baseLabel)} ${measurementNotes(head).replace(/^<sub>|<\/sub>$/g, '')}</sub>`,
        drop: 3
      }
    ],
    limit,
    pointer
  )
}

function fitComment(sections: Array<{ text: string; drop: number }>, limit: number, pointer: string): string {
  const join = (items: typeof sections): string =>
    `${items
      .map((item) => item.text)
      .filter(Boolean)
      .join('\n\n')}\n`
  let kept = sections
  let body = join(kept)
  const dropOrder = [...new Set(sections.map((section) => section.drop).filter((drop) => drop > 0))].sort(
    (a, b) => b - a
  )
  const notice = `\n\n> [!NOTE]\n> Shortened to fit GitHub's comment limit.${pointer}\n`
  for (const drop of dropOrder) {
    if (body.length <= limit) return body
    kept = kept.filter((section) => section.drop !== drop)
    body = join(kept) + notice
  }
  if (body.length <= limit) return body
  // Then shorten the long sections (tables, lists, logs) by whole lines to equal shares of what is left; short ones stay whole.
  const parts = kept.filter((section) => section.text)
  const texts = new Map<(typeof parts)[number], string>()
  let room = limit - notice.length - 1 - 2 * (parts.length - 1)
  const shortestFirst = [...parts].sort((a, b) => a.text.length - b.text.length)
  shortestFirst.forEach((section, index) => {
    const share = Math.floor(room / (shortestFirst.length - index))
    const text = section.text.length <= share ? section.text : wholeLines(section.text, share)
    room -= text.length
    texts.set(section, text)
  })
  return join(parts.map((section) => ({ ...section, text: texts.get(section)! }))) + notice
}

/** The longest run of whole lines of `text` that fits in `max` characters with the `<pre>` and `<details>` it opened closed again. */
function wholeLines(text: string, max: number): string {
  for (let end = text.lastIndexOf('\n', max); end > 0; end = text.lastIndexOf('\n', end - 1)) {
    const closed = closeOpenTags(text.slice(0, end))
    if (closed.length <= max) return closed
  }
  return ''
}

/** Escaped text never contains `<`, so every `<pre>` and `<details>` in the body is our own markup. */
function closeOpenTags(text: string): string {
  const count = (tag: string): number => text.split(tag).length - 1
  const pre = count('<pre>') > count('</pre>') ? '</pre>' : ''
  return `${text}${pre}${'\n\n</details>'.repeat(Math.max(0, count('<details>') - count('</details>')))}`
}
