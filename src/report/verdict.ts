/**
 * The one-line verdict: passed or failed and why, new apart from inherited, the largest change and the totals. Built
 * as phrases of prose and names, so the comment (Markdown) and the terminal (text) say the same words. Pure.
 */
import { sizeTotals, UNCHECKED_LIMITS, type SizeTotals } from '../compare/index.js'
import { humanBytes, humanBytesPair, signedBytes, signedPercent } from '../format.js'
import type { Comparison, PolicyViolation, Report, VariantComparison } from '../types.js'

/** Prose, and names that come from the repository (`{ name }`), rendered as code in Markdown. */
export type Phrase = Array<string | { name: string }>

export interface Verdict {
  passed: boolean
  /** `1 new violation`, `no new violations`, `4 violations (no baseline, so every finding counts)`. */
  headline: string
  causes: Phrase[]
  /** Causes left out of the line. */
  more: number
  /** What is already on the baseline and does not fail, e.g. `3 findings, 1 failed build`. */
  inherited?: string
  /** Limits that were not checked because the pull request asked for no comparison: they do not fail it. */
  notChecked?: string
  largest?: Phrase
  total?: Phrase
}

const MAX_CAUSES = 3
const MAX_NAMES = 3
const REASON_CHARACTERS = 120

/** The reason after the violation's own words, on one line and short. */
function reasonOf(message: string, after: string): string {
  const at = message.indexOf(after)
  const reason = (at < 0 ? message : message.slice(at + after.length)).split('\n')[0].trim()
  return reason.length > REASON_CHARACTERS ? `${reason.slice(0, REASON_CHARACTERS - 1)}…` : reason
}

function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`
}

/** Violations grouped by limit, variant and rule, so that three lines of one rule are one cause. */
export function groupViolations(violations: PolicyViolation[]): PolicyViolation[][] {
  const groups = new Map<string, PolicyViolation[]>()
  for (const violation of violations) {
    const key = [violation.limit, violation.variant ?? '', violation.rule ?? '', violation.inherited ?? false].join(
      '\u0000'
    )
    groups.set(key, [...(groups.get(key) ?? []), violation])
  }
  return [...groups.values()]
}

/** `Dockerfile.conda:7`, `:8`, `:11`: the file once, then the further lines. */
export function locations(group: PolicyViolation[]): string[] {
  return group
    .filter((violation) => violation.file)
    .map((violation, index) => {
      const line = violation.line && violation.line > 0 ? `:${violation.line}` : ''
      return index === 0 ? `${violation.file}${line}` : line || violation.file!
    })
}

function cause(group: PolicyViolation[], compared: boolean): Phrase {
  const [first] = group
  const name = first.variant ?? ''
  switch (first.limit) {
    case 'fail-on': {
      const verb = compared && !first.inherited ? 'adds' : 'has'
      const where = locations(group)
        .map((location) => ({ name: location }))
        .flatMap((location, index) => (index ? [', ', location] : [location]))
      return [{ name }, ` ${verb} ${first.rule ?? 'a fail-on finding'} (`, ...where, ')']
    }
    case 'build':
      return [{ name }, first.inherited ? ' still fails to build' : ' fails to build']
    case 'not-measured':
      return first.message.includes('not compared')
        ? [
            { name },
            ` was not compared: the baseline's build was not measured (${reasonOf(first.message, 'measured: ')})`
          ]
        : [{ name }, ` was not measured (${reasonOf(first.message, 'not measured: ')})`]
    case 'not-compared':
    case 'run':
      return [reasonOf(first.message, '')]
    case 'max-size-increase':
      return [{ name }, ' grew past max-size-increase']
    case 'max-size':
      return [{ name }, ' is over max-size']
    case 'max-build-time-increase':
      return [{ name }, ' builds slower than max-build-time-increase allows']
    default:
      return [first.message]
  }
}

/** `3 findings, 1 failed build`: what is inherited, by kind. */
function inheritedSummary(violations: PolicyViolation[]): string | undefined {
  const count = (limit: string): number => violations.filter((violation) => violation.limit === limit).length
  const parts = [
    count('fail-on') ? plural(count('fail-on'), 'fail-on finding') : '',
    count('build') ? plural(count('build'), 'failed build') : '',
    count('max-size') ? plural(count('max-size'), 'variant over max-size', 'variants over max-size') : ''
  ].filter(Boolean)
  return parts.length ? parts.join(', ') : undefined
}

function names(list: string[]): Phrase {
  const shown = list.slice(0, MAX_NAMES).flatMap((name, index): Phrase => (index ? [', ', { name }] : [{ name }]))
  return list.length > MAX_NAMES ? [...shown, ` and ${list.length - MAX_NAMES} more`] : shown
}

function largestChange(variants: VariantComparison[]): Phrase | undefined {
  const changed = variants.filter((variant) => variant.kind === 'changed' && variant.size && variant.size.delta !== 0)
  if (!changed.length) return undefined
  const largest = changed.reduce((a, b) => (Math.abs(b.size!.delta) > Math.abs(a.size!.delta) ? b : a))
  const size = largest.size!
  const percent = size.percent === null ? '' : ` (${signedPercent(size.percent)})`
  return ['Largest change: ', { name: largest.name }, ` ${signedBytes(size.delta)}${percent}`]
}

function totalPhrase(comparison: Comparison, head: Report): Phrase {
  const totals = sizeTotals(comparison)
  if (!totals) {
    const built = head.variants.filter((variant) => variant.image)
    const bytes = built.reduce((sum, variant) => sum + variant.image!.sizeBytes, 0)
    return [`${built.length} of ${plural(head.variants.length, 'variant')} built, ${humanBytes(bytes)} in all`]
  }
  const { total } = totals
  const [before, after] = humanBytesPair(total.before, total.after)
  const change =
    total.delta === 0 ? `Total unchanged at ${after}` : `Total ${signedBytes(total.delta)} (${before} → ${after})`
  const counted = countedVariants(totals)
  const left: Phrase = totals.unmeasured.length ? ['; not counted: ', ...names(totals.unmeasured)] : []
  return [`${change}${counted ? `, ${counted}` : ''}`, ...left]
}

/** `with 1 added and 2 removed variants`, or nothing: the variants a total counts that the other side lacks. */
export function countedVariants(totals: SizeTotals): string {
  const counted = [totals.added ? `${totals.added} added` : '', totals.removed ? `${totals.removed} removed` : '']
  const variants = Math.max(totals.added, totals.removed) > 1 ? 'variants' : 'variant'
  return counted.some(Boolean) ? `with ${counted.filter(Boolean).join(' and ')} ${variants}` : ''
}

export function verdictOf(comparison: Comparison, head: Report, base: Report | undefined, baseLabel: string): Verdict {
  const compared = base !== undefined
  const unchecked = comparison.violations.filter((violation) => UNCHECKED_LIMITS.has(violation.limit))
  const violations = comparison.violations.filter((violation) => !UNCHECKED_LIMITS.has(violation.limit))
  const inheritedFailing = violations.filter((violation) => violation.inherited)
  const fresh = violations.length - inheritedFailing.length
  const groups = groupViolations([
    ...unchecked,
    ...violations.filter((violation) => !violation.inherited),
    ...inheritedFailing
  ])
  const judged = !compared
    ? violations.length
      ? `${plural(violations.length, 'violation')} (no baseline, so every finding counts)`
      : `${unchecked.length ? 'no violations' : 'passed'} (no baseline, so every finding counts)`
    : inheritedFailing.length
      ? `${plural(violations.length, 'violation')}, ${fresh} new and ${inheritedFailing.length} already on ${baseLabel} (fail-on-inherited)`
      : fresh
        ? plural(fresh, 'new violation')
        : 'no new violations'
  const headline = unchecked.length ? `${judged}, but ${unchecked.length} not checked` : judged
  const largest = compared ? largestChange(comparison.variants) : undefined
  const notChecked = comparison.notChecked?.length
    ? `${comparison.notChecked.join(' and ')} ${comparison.notChecked.length > 1 ? 'were' : 'was'} not checked (${comparison.baseline.unavailable ? 'not compared' : 'baseline: none'})`
    : undefined
  return {
    passed: comparison.violations.length === 0,
    headline,
    ...(notChecked ? { notChecked } : {}),
    causes: groups.slice(0, MAX_CAUSES).map((group) => cause(group, compared)),
    more: Math.max(0, groups.length - MAX_CAUSES),
    inherited: inheritedSummary(comparison.inherited),
    ...(largest ? { largest } : {}),
    total: totalPhrase(comparison, head)
  }
}

/** Renders a verdict with `name` for names and `prose` for the rest: Markdown and terminal text share the words. */
export function renderVerdict(
  verdict: Verdict,
  baseLabel: string,
  render: { name: (text: string) => string; prose: (text: string) => string; strong: (text: string) => string }
): string {
  const phrase = (parts: Phrase): string =>
    parts.map((part) => (typeof part === 'string' ? render.prose(part) : render.name(part.name))).join('')
  const causes = verdict.causes.map(phrase).join('; ')
  const more = verdict.more ? ` and ${plural(verdict.more, 'more cause')}` : ''
  const inherited = verdict.inherited
    ? `; ${render.prose(`already on ${baseLabel} and not failing: ${verdict.inherited}`)}`
    : ''
  const notChecked = verdict.notChecked ? `; ${render.prose(verdict.notChecked)}` : ''
  const first = `${render.prose(verdict.headline)}${causes ? `: ${causes}${more}` : ''}${inherited}${notChecked}.`
  const rest = [verdict.largest, verdict.total]
    .filter((part): part is Phrase => !!part)
    .map((part) => `${phrase(part)}.`)
  return `${verdict.passed ? '✅' : '❌'} ${render.strong('slimcheck')}: ${[first, ...rest].join(' ')}`
}
