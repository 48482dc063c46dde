/** Report stage, pull-request side: the comment that diffs every variant against the baseline. Pure. */
import { sizeChart } from './chart.js'
import { slowerSteps, type StepChange } from '../compare/steps.js'
import { characters, fitSections, section, type Measure, type Section } from './fit.js'
import { cellCode, code, htmlCode, inline, message, table } from './markdown.js'
import { humanSeconds, signedBytes } from '../format.js'
import {
  failureEntries,
  failureHeadline,
  locationText,
  pullsNote,
  renderFailureLogs,
  renderFindingsList,
  renderSuppressed,
  reportSections,
  SHORT_LOG_LINES,
  sizeSpan,
  smallPrint,
  type VariantFinding
} from './index.js'
import type { Comparison, Finding, LayerChange, PolicyViolation, Report, VariantComparison } from '../types.js'
import { changeExplanation, largestChange, whereBytesGo } from './explain.js'
import { groupViolations, renderVerdict, verdictOf } from './verdict.js'
import { unmeasuredText, variantOf, variantTable, type Sides } from './variant-table.js'

/** GitHub rejects comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536
const INSTRUCTION_WIDTH = 80
const MAX_STEP_VARIANTS = 10
const METHODS_LINK = 'https://github.com/slimcheck/slimcheck#sizes-on-every-engine-and-store'

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

/** The verdict line in Markdown: names in code, prose escaped. */
export function verdictMarkdown(
  comparison: Comparison,
  head: Report,
  base: Report | undefined,
  baseLabel: string
): string {
  return renderVerdict(verdictOf(comparison, head, base, baseLabel), baseLabel, {
    name: code,
    prose: inline,
    strong: (text) => `**${text}**`
  })
}

/** `conda-in-production in `conda` at Dockerfile.conda:7, :8, :11`, each linked to its line. */
function failOnLine(group: PolicyViolation[], blobBase: string | undefined): string {
  const [first] = group
  const places = group
    .filter((violation) => violation.file)
    .map((violation, index) => {
      const line = violation.line ?? 0
      const label = index === 0 ? undefined : line > 0 ? `:${line}` : violation.file
      return locationText({ file: violation.file!, line }, blobBase, label)
    })
  return `**fail-on** ${first.rule ?? ''} in ${code(first.variant ?? '')}${places.length ? ` at ${places.join(', ')}` : ''}`
}

function violationLine(group: PolicyViolation[], head: Report, blobBase: string | undefined): string {
  const [first] = group
  if (first.limit === 'fail-on') return failOnLine(group, blobBase)
  if (first.limit === 'build') {
    const failure = variantOf(head, first.variant ?? '')?.failure
    return `**build**: ${code(first.variant ?? '')} failed: ${code(failureHeadline(failure))}`
  }
  const prefix = first.variant ? `${first.variant}: ` : ''
  const rest = first.message.startsWith(prefix) ? first.message.slice(prefix.length) : first.message
  return `**${first.limit}**: ${first.variant ? `${code(first.variant)}: ` : ''}${inline(rest)}`
}

function policySection(comparison: Comparison, head: Report, compared: boolean, context: CommentContext): string {
  const failing = groupViolations(comparison.violations).map(
    (group) =>
      `- ❌ ${violationLine(group, head, context.blobBase)}${group[0].inherited ? ` (already on ${inline(context.baseLabel)}; fails by fail-on-inherited)` : ''}`
  )
  const inherited = groupViolations(comparison.inherited).map(
    (group) => `- ${violationLine(group, head, context.blobBase)}`
  )
  if (!failing.length && !inherited.length) return ''
  const parts = ['### Policy']
  if (!compared) parts.push('No baseline, so every finding counts.')
  if (failing.length) parts.push(failing.join('\n'))
  if (inherited.length)
    parts.push(
      `Already on ${inline(context.baseLabel)}, so not failing this pull request (\`fail-on-inherited: true\` fails on these too):\n\n${inherited.join('\n')}`
    )
  return parts.join('\n\n')
}

function tagged(comparison: Comparison, pick: (variant: VariantComparison) => Finding[]): VariantFinding[] {
  return comparison.variants.flatMap((variant) =>
    pick(variant).map((finding) => ({ ...finding, variant: variant.name }))
  )
}

function fixedList(findings: VariantFinding[]): string {
  return findings
    .map(
      (finding) =>
        `- ✅ **${finding.rule}** in ${code(finding.variant)} at ${locationText(finding)}: ${message(finding.message)}`
    )
    .join('\n')
}

/** The instruction around where the PR edited it, so a long line is not cut before the change. */
export function aroundChange(text: string, before: string | undefined, width = INSTRUCTION_WIDTH): string {
  if (text.length <= width) return text
  let changedAt = 0
  if (before) while (changedAt < text.length && text[changedAt] === before[changedAt]) changedAt++
  const from = Math.max(0, Math.min(changedAt - Math.floor(width / 3), text.length - width))
  return `${from > 0 ? '…' : ''}${text.slice(from, from + width)}${from + width < text.length ? '…' : ''}`
}

function layerRow(change: LayerChange, dockerfile: string, blobBase: string | undefined): string[] {
  const line = change.line
    ? change.after > 0
      ? locationText({ file: dockerfile, line: change.line }, blobBase, String(change.line))
      : code(String(change.line))
    : '—'
  return [
    line,
    cellCode(aroundChange(change.instruction, change.beforeInstruction)),
    sizeSpan(change.before),
    sizeSpan(change.after),
    signedBytes(change.delta)
  ]
}

/** One collapsed block: for each changed variant, the instructions whose layers changed most. */
function layerDetails(comparison: Comparison, head: Report, context: CommentContext): string {
  const blocks = comparison.variants
    .filter(
      (variant) =>
        variant.kind === 'changed' && variant.layers && (variant.layers.changes.length || variant.layers.delta)
    )
    .map((variant) => {
      const dockerfile = variantOf(head, variant.name)?.dockerfile ?? ''
      const count = `**${code(variant.name)}**: ${variant.layers!.before} → ${variant.layers!.after} layers`
      if (!variant.layers!.changes.length) return `${count}; no layer changed size.`
      const rows = variant.layers!.changes.map((change) => layerRow(change, dockerfile, context.blobBase))
      const label = inline(context.baseLabel, { cell: true })
      return `${count}\n\n${table(['Line', 'Instruction', label, 'PR', 'Δ'], rows, ['r', 'l', 'r', 'r', 'r'])}`
    })
  if (!blocks.length) return ''
  const summary = `Layers: the instructions whose layers changed most, in ${blocks.length} variant${blocks.length > 1 ? 's' : ''} (layers are history entries)`
  return `<details><summary>${summary}</summary>\n\n${blocks.join('\n\n')}\n\n</details>`
}

function stepText(step: StepChange): string {
  const line = step.line ? ` (line ${step.line})` : ''
  const times =
    step.before === undefined
      ? `new, ${humanSeconds(step.after)}`
      : `${humanSeconds(step.before)} → ${humanSeconds(step.after)} (+${step.delta.toFixed(1)} s${step.cacheMissed ? ', cached on the baseline' : ''})`
  return `${code(step.name)}${line} ${times}`
}

/** The steps that got slower, for each variant whose build took longer. */
function slowerStepsSection(comparison: Comparison, sides: Sides): string {
  const lines = comparison.variants
    .filter((variant) => variant.time && variant.time.delta > 0 && !variantOf(sides.head, variant.name)?.reused)
    .map((variant) => ({
      variant,
      steps: slowerSteps(variantOf(sides.base, variant.name), variantOf(sides.head, variant.name))
    }))
    .filter((item) => item.steps.length)
    .slice(0, MAX_STEP_VARIANTS)
    .map(({ variant, steps }) => `- ${code(variant.name)}: ${steps.map(stepText).join('; ')}`)
  return lines.length ? folded('Slower build steps', lines.join('\n')) : ''
}

function exactSizes(comparison: Comparison, sides: Sides): string {
  const label = inline(sides.baseLabel)
  const lines = comparison.variants.map((variant) => {
    const before = variantOf(sides.base, variant.name)?.image
    const after = variantOf(sides.head, variant.name)?.image
    const fingerprint = variantOf(sides.head, variant.name)?.fingerprint?.digest
    const print = fingerprint ? `; inputs ${code(fingerprint.slice(0, 19))}` : ''
    const name = `- ${code(variant.name)}: `
    if (before && after) {
      const compressed = variant.compressed
        ? `; compressed ${variant.compressed.before} → ${variant.compressed.after} (${signedDelta(variant.compressed.delta)})`
        : ''
      return `${name}${before.sizeBytes} → ${after.sizeBytes} bytes (${signedDelta(after.sizeBytes - before.sizeBytes)})${compressed}${print}`
    }
    const image = after ?? before
    if (!image) return ''
    const compressed = typeof image.compressedBytes === 'number' ? `, ${image.compressedBytes} compressed` : ''
    const where =
      variant.kind === 'added'
        ? 'PR only'
        : variant.kind === 'removed'
          ? `${label} only`
          : unmeasuredText(variant, sides.baseLabel)
    return `${name}${image.sizeBytes} bytes${compressed} (${after ? 'PR' : label}; ${where})${print}`
  })
  const shown = lines.filter(Boolean)
  return shown.length ? `<details><summary>Exact sizes in bytes</summary>\n\n${shown.join('\n')}\n\n</details>` : ''
}

function signedDelta(bytes: number): string {
  return bytes > 0 ? `+${bytes}` : String(bytes)
}

function baselineNote(comparison: Comparison, baseLabel: string): string {
  const { baseline } = comparison
  const commit = baseline.commit ? ` at ${code(baseline.commit.slice(0, 12))}` : ''
  if (baseline.source === 'build')
    return `Baseline: ${inline(baseLabel)}${commit}, built on this runner, interleaved with the PR's builds.`
  if (baseline.source === 'artifact') {
    const run = baseline.runUrl ? `[run ${baseline.runId}](${baseline.runUrl})` : `run ${baseline.runId}`
    return `Baseline: the report stored by ${run} on ${inline(baseLabel)}${commit}.${baseline.note ? ` ${inline(baseline.note)}` : ''}`
  }
  if (baseline.source === 'report') return `Baseline: the report ${code(baseline.note ?? '')}${commit}.`
  return `No baseline${baseline.note ? `: ${inline(baseline.note)}` : ''}.`
}

function folded(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`
}

/** What every row would otherwise repeat: the baseline, the icons, the timing caveat, what is always rebuilt. */
function footnote(comparison: Comparison, sides: Sides): string {
  const notes = [baselineNote(comparison, sides.baseLabel)]
  if (comparison.variants.some((variant) => variant.size && variant.size.delta !== 0))
    notes.push('Δ: 🔺/🔻 grew/shrank, ⏫/⏬ by 10% or more, ≈ within `size-noise-threshold`.')
  if (
    comparison.variants.some((variant) => variant.time && (variant.time.runs.before < 2 || variant.time.runs.after < 2))
  )
    notes.push('Build times: with one build on a side they are not compared (≈); `runs: 3` measures the spread.')
  const always = sides.head.variants.filter((variant) => variant.fingerprint?.unfingerprintable)
  if (always.length)
    notes.push(
      `Always rebuilt, as their inputs cannot be fingerprinted: ${always.map((variant) => `${code(variant.name)} (${message(variant.fingerprint!.unfingerprintable!)})`).join(', ')}.`
    )
  const pulls = pullsNote(sides.head.pulls ?? [])
  if (pulls) notes.push(pulls)
  const engine = sides.head.engine
  if (engine) notes.push(`Engine ${inline(engine.version)}, ${engine.store} store.`)
  notes.push(`How sizes and times are measured: [methods](${METHODS_LINK}).`)
  return smallPrint(notes)
}

function shortenedNotice(context: CommentContext): string {
  const pointer = context.summaryUrl
    ? ` See the [job summary](${context.summaryUrl}) for everything.`
    : ' See the job summary for everything.'
  return `> [!NOTE]\n> Shortened to fit GitHub's comment limit.${pointer}`
}

function comparisonSections(head: Report, base: Report, comparison: Comparison, context: CommentContext): Section[] {
  const sides: Sides = { head, base, baseLabel: context.baseLabel }
  const failing = new Set(comparison.violations.flatMap((violation) => (violation.variant ? [violation.variant] : [])))
  const changed = comparison.variants.filter((variant) => variant.kind !== 'unchanged')
  const unchanged = comparison.variants.filter((variant) => variant.kind === 'unchanged')
  const added = tagged(comparison, (variant) => variant.findings.added)
  const fixed = tagged(comparison, (variant) => variant.findings.fixed)
  const kept = tagged(comparison, (variant) => variant.findings.unchanged)
  const suppressed = tagged(comparison, (variant) => variant.findings.suppressed ?? [])
  const failures = failureEntries(head, base)
  const largest = largestChange(comparison)
  return [
    section(changed.length ? variantTable(changed, sides, failing) : 'No variant changed.'),
    section(largest ? changeExplanation(largest, sides, context.blobBase) : '', 8),
    section(policySection(comparison, head, true, context)),
    {
      levels: added.length
        ? [
            `### New findings\n\n${renderFindingsList(added, context.blobBase)}`,
            `### New findings\n\n${renderFindingsList(added, context.blobBase, false)}`
          ]
        : [''],
      priority: 9
    },
    section(
      fixed.length ? folded(`✅ ${fixed.length} fixed finding${fixed.length > 1 ? 's' : ''}`, fixedList(fixed)) : '',
      8
    ),
    section(sizeChart(comparison), 6),
    section(whereBytesGo(head, context.blobBase), 5),
    section(
      unchanged.length
        ? folded(
            `${unchanged.length} unchanged variant${unchanged.length > 1 ? 's' : ''}`,
            variantTable(unchanged, sides, failing)
          )
        : '',
      5
    ),
    section(
      kept.length
        ? folded(
            `${kept.length} finding${kept.length > 1 ? 's' : ''} already on ${htmlCode(context.baseLabel)}`,
            renderFindingsList(kept, context.blobBase)
          )
        : '',
      4
    ),
    section(renderSuppressed(suppressed, context.blobBase), 4),
    section(layerDetails(comparison, head, context), 2),
    section(slowerStepsSection(comparison, sides), 3),
    {
      levels: [
        renderFailureLogs(failures, context.baseLabel),
        renderFailureLogs(failures, context.baseLabel, SHORT_LOG_LINES)
      ],
      priority: 7
    },
    section(exactSizes(comparison, sides), 1),
    section(footnote(comparison, sides), 10)
  ]
}

/**
 * The whole comment: the marker, the one-line verdict, the variants that changed and the policy, then details that
 * give way, least useful first, until it fits GitHub's limit. The job summary renders it with a larger limit.
 */
export function renderComment(
  head: Report,
  base: Report | undefined,
  comparison: Comparison,
  context: CommentContext,
  limit = COMMENT_LIMIT,
  measure: Measure = characters
): string {
  const lead = [
    section(commentMarker(context.key)),
    section(verdictMarkdown(comparison, head, base, context.baseLabel))
  ]
  const body = base
    ? comparisonSections(head, base, comparison, context)
    : [
        section(policySection(comparison, head, false, context)),
        ...reportSections(head, context.blobBase),
        section(smallPrint([baselineNote(comparison, context.baseLabel)]), 10)
      ]
  return fitSections([...lead, ...body], limit, shortenedNotice(context), measure)
}
