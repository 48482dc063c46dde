/** The comment's variant tables: sizes main → PR, the graded Δ over the compressed one, build times, findings. Pure. */
import { inline, cellCode, table } from './markdown.js'
import { humanBytes, humanBytesPair, humanSeconds, signedBytes, signedPercent } from '../format.js'
import { SEVERITY_ICONS } from './index.js'
import { spreadMeasured } from '../compare/index.js'
import type { Delta, FailureKind, Finding, Report, TimeDelta, VariantComparison, VariantReport } from '../types.js'

/** A change of this many percent or more gets the double arrow. */
const LARGE_CHANGE_PERCENT = 10

function percentSuffix(change: Delta): string {
  return change.percent === null ? '' : ` (${signedPercent(change.percent)})`
}

/** Graded: 🔺/🔻 grew or shrank, ⏫/⏬ by 10% or more (or from nothing). */
function sizeIcon(change: Delta): string {
  if (change.delta === 0) return ''
  const large = change.percent === null || Math.abs(change.percent) >= LARGE_CHANGE_PERCENT
  if (change.delta > 0) return large ? '⏫' : '🔺'
  return large ? '⏬' : '🔻'
}

/** `+23.5 MB (+23.5%) ⏫`; a change within the noise threshold is `≈ +1.20 kB (+0.01%)`, without an icon. */
export function sizeDeltaText(change: Delta, withinNoise = false): string {
  if (change.delta === 0) return '0 B'
  const text = `${signedBytes(change.delta)}${percentSuffix(change)}`
  return withinNoise ? `≈ ${text}` : `${text} ${sizeIcon(change)}`
}

/**
 * `10.0 s → 20.0 s (+100%)`; `≈`, not a change, inside the measured spread and with one build on a side, whose spread
 * is unknown (see the footnote).
 */
export function timeText(time: TimeDelta): string {
  const arrow = `${humanSeconds(time.before)} → ${humanSeconds(time.after)}`
  if (time.noise || !spreadMeasured(time)) return `${arrow} ≈`
  return time.percent === null ? arrow : `${arrow} (${time.percent > 0 ? '+' : ''}${time.percent.toFixed(0)}%)`
}

function worstIcon(findings: Finding[]): string {
  if (findings.some((finding) => finding.severity === 'error')) return SEVERITY_ICONS.error
  return findings.some((finding) => finding.severity === 'warning') ? SEVERITY_ICONS.warning : SEVERITY_ICONS.info
}

function findingsCell(variant: VariantComparison, baseLabel: string): string {
  const { added, fixed, unchanged } = variant.findings
  const parts = [
    added.length ? `${worstIcon(added)} ${added.length} new` : '',
    fixed.length ? `✅ ${fixed.length} fixed` : '',
    unchanged.length ? `${unchanged.length} on ${inline(baseLabel, { cell: true })}` : ''
  ].filter(Boolean)
  return parts.join(' · ') || '—'
}

export interface Sides {
  head: Report
  base: Report
  baseLabel: string
}

export function variantOf(report: Report, name: string): VariantReport | undefined {
  return report.variants.find((variant) => variant.name === name)
}

function statusText(status: string | undefined, failure: FailureKind | undefined): string {
  if (status === 'failed') return failure === 'build' ? '❌ failed' : '⚠️ not measured'
  return status === 'skipped' ? '⏭️ skipped' : '—'
}

/** `main build failed`, `PR not measured`, `main not built`: why one side has no measurement, or nothing. */
export function missingSideText(label: string, status: string | undefined, failure: FailureKind | undefined): string {
  if (status === 'failed') return failure === 'build' ? `${label} build failed` : `${label} not measured`
  return status === 'skipped' ? `${label} not built` : ''
}

/** Which side has no measurement, and why: `PR build failed`, `main not built`, or both. */
export function unmeasuredText(variant: VariantComparison, baseLabel: string): string {
  const text = [
    missingSideText(baseLabel, variant.baseStatus, variant.baseFailure),
    missingSideText('PR', variant.headStatus, variant.headFailure)
  ]
    .filter(Boolean)
    .join(', ')
  return inline(text || 'not measured', { cell: true })
}

/** Why a variant's Δ is 0 without a build of its own: one build served both sides, or the baseline's was carried. */
function reuseText(headVariant: VariantReport | undefined, baseLabel: string): string | undefined {
  const reused = headVariant?.reused
  if (!reused) return undefined
  if (reused.kind === 'shared') return 'built once for both sides; Δ 0 by construction'
  const since = reused.commit ? `${baseLabel}@${reused.commit.slice(0, 7)}` : baseLabel
  return `inputs unchanged since ${since}; not rebuilt`
}

function changeCell(variant: VariantComparison, sides: Sides): string {
  const reuse = reuseText(variantOf(sides.head, variant.name), sides.baseLabel)
  if (variant.size) {
    const text = sizeDeltaText(variant.size, variant.kind === 'unchanged')
    return reuse ? `${text} · ${inline(reuse, { cell: true })}` : text
  }
  if (variant.kind === 'added') return '🆕 added'
  if (variant.kind === 'removed') return '🗑️ removed'
  return unmeasuredText(variant, sides.baseLabel)
}

function compressedCell(variant: VariantComparison, sides: Sides): string {
  if (variant.compressed) return variant.compressed.delta === 0 ? '0 B' : signedBytes(variant.compressed.delta)
  const added = variant.kind === 'added' ? variantOf(sides.head, variant.name)?.image?.compressedBytes : undefined
  return typeof added === 'number' ? `+${humanBytes(added)}` : '—'
}

function sizesCell(variant: VariantComparison, sides: Sides): string {
  const before = variantOf(sides.base, variant.name)?.image?.sizeBytes
  const after = variantOf(sides.head, variant.name)?.image?.sizeBytes
  const [beforeText, afterText] =
    before !== undefined && after !== undefined ? humanBytesPair(before, after) : [undefined, undefined]
  const side = (
    bytes: number | undefined,
    text: string | undefined,
    absent: boolean,
    status?: string,
    failure?: FailureKind
  ): string =>
    bytes === undefined
      ? absent
        ? '—'
        : statusText(status, failure)
      : `<span title="${bytes} bytes">${text ?? humanBytes(bytes)}</span>`
  return `${side(before, beforeText, variant.kind === 'added', variant.baseStatus, variant.baseFailure)} → ${side(after, afterText, variant.kind === 'removed', variant.headStatus, variant.headFailure)}`
}

function timeCell(variant: VariantComparison, sides: Sides): string {
  const headVariant = variantOf(sides.head, variant.name)
  if (headVariant?.reused && headVariant.build) return `${humanSeconds(headVariant.build.seconds)}, measured once`
  if (variant.time) return timeText(variant.time)
  return headVariant?.build ? humanSeconds(headVariant.build.seconds) : '—'
}

function row(variant: VariantComparison, sides: Sides, failing: Set<string>): string[] {
  const compressed = compressedCell(variant, sides)
  return [
    `${failing.has(variant.name) ? '❌ ' : ''}${cellCode(variant.name)}`,
    sizesCell(variant, sides),
    compressed === '—' || compressed === '0 B'
      ? changeCell(variant, sides)
      : `${changeCell(variant, sides)}<br><sub>${compressed} compressed</sub>`,
    timeCell(variant, sides),
    findingsCell(variant, sides.baseLabel)
  ]
}

/** How much a row moved, for sorting: the Δ, or a whole image that came or went. */
function magnitude(variant: VariantComparison, sides: Sides): number {
  if (variant.size) return Math.abs(variant.size.delta)
  if (variant.kind === 'added') return variantOf(sides.head, variant.name)?.image?.sizeBytes ?? 0
  if (variant.kind === 'removed') return variantOf(sides.base, variant.name)?.image?.sizeBytes ?? 0
  return 0
}

/** One row a variant, narrow enough for a laptop: the compressed Δ sits under the Δ. */
export function variantTable(variants: VariantComparison[], sides: Sides, failing: Set<string>): string {
  const label = inline(sides.baseLabel, { cell: true })
  const header = ['Variant', `${label} → PR`, 'Δ', 'Build time', 'Findings']
  const sorted = [...variants].sort(
    (a, b) =>
      Number(failing.has(b.name)) - Number(failing.has(a.name)) ||
      magnitude(b, sides) - magnitude(a, sides) ||
      a.name.localeCompare(b.name)
  )
  return table(
    header,
    sorted.map((variant) => row(variant, sides, failing)),
    ['l', 'r', 'r', 'r', 'l']
  )
}
