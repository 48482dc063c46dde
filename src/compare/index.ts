/**
 * Stage 6: diff the head against the baseline, and decide what fails under the policy. A pull request is held to
 * what it changed: violations already on the baseline are inherited and fail only with `fail-on-inherited`. Pure.
 */
import { minimatch } from 'minimatch'
import type { FailPolicy, Limit, Policy, SizeMetric } from '../config.js'
import { humanBytes, signedPercent } from '../format.js'
import {
  BYTE_RULE_IDS,
  severityRank,
  type BaselineInfo,
  type Comparison,
  type Delta,
  type Finding,
  type ImageMeasurement,
  type LayerChange,
  type PolicyViolation,
  type Report,
  type TimeDelta,
  type VariantComparison,
  type FailureKind,
  type VariantFailure,
  type VariantReport
} from '../types.js'
import { sameBuildFailure } from '../measure/failure.js'
import { diffDirectories } from './directories.js'
import { diffPackages } from './packages.js'

const TOP_LAYER_CHANGES = 5

/** What could not be checked: a variant not measured, a baseline not compared, a run cut short. */
export const UNCHECKED_LIMITS: ReadonlySet<string> = new Set(['not-measured', 'not-compared', 'run'])
const NO_NOISE: Limit = { bytes: 0 }

export function delta(before: number, after: number): Delta {
  return { before, after, delta: after - before, percent: before === 0 ? null : ((after - before) / before) * 100 }
}

/** Times differ only beyond the spread of what was measured: overlapping min–max ranges are noise. */
export function timeDelta(before: number[], after: number[], beforeMedian: number, afterMedian: number): TimeDelta {
  const beforeRange = { min: Math.min(...before), max: Math.max(...before) }
  const afterRange = { min: Math.min(...after), max: Math.max(...after) }
  const noise = afterRange.min <= beforeRange.max && beforeRange.min <= afterRange.max
  return {
    ...delta(beforeMedian, afterMedian),
    noise,
    beforeRange,
    afterRange,
    runs: { before: before.length, after: after.length }
  }
}

/** A size change beyond the noise threshold (bytes, or a percentage of the size before). */
export function beyondNoise(size: Delta, noise: Limit): boolean {
  const allowed = 'bytes' in noise ? noise.bytes : (Math.abs(size.before) * noise.percent) / 100
  return Math.abs(size.delta) > allowed
}

/**
 * Ways to recognise one finding on both sides, strictest first: the same finding on the same line; moved to another
 * line; with other numbers in its message (a version bump, a size); on the same line with another message (an edited
 * instruction). The file is left out: a variant has one Dockerfile, which a pull request may move.
 */
const FINDING_IDENTITIES: Array<(finding: Finding) => string> = [
  (finding) => [finding.rule, finding.evidence, finding.line, finding.message].join('\u0000'),
  (finding) => [finding.rule, finding.evidence, finding.message].join('\u0000'),
  (finding) => [finding.rule, finding.evidence, finding.message.replace(/\d+/g, '0')].join('\u0000'),
  (finding) => [finding.rule, finding.evidence, finding.severity, finding.line].join('\u0000')
]

/**
 * Pairs findings one to one, pass by pass from the strictest identity to the loosest, so that a finding that only
 * moved is unchanged and fixing one of two identical findings (the same tag on two FROM lines) counts as a fix. The
 * head's suppressed findings are apart, new or not; one the baseline suppressed and the head no longer does is new.
 */
export function diffFindings(before: Finding[], after: Finding[]): VariantComparison['findings'] {
  const unpairedBefore = new Set(before.keys())
  /** Each paired head finding's index → its baseline finding's. */
  const pairs = new Map<number, number>()
  for (const identity of FINDING_IDENTITIES) {
    const waiting = new Map<string, number[]>()
    for (const index of unpairedBefore) {
      const key = identity(before[index])
      waiting.set(key, [...(waiting.get(key) ?? []), index])
    }
    after.forEach((finding, index) => {
      if (pairs.has(index)) return
      const match = waiting.get(identity(finding))?.shift()
      if (match === undefined) return
      unpairedBefore.delete(match)
      pairs.set(index, match)
    })
  }
  const counted = (index: number): boolean => !after[index].suppressed
  const wasCounted = (index: number): boolean => pairs.has(index) && !before[pairs.get(index)!].suppressed
  const suppressed = after.filter((finding) => finding.suppressed)
  return {
    added: after.filter((_, index) => counted(index) && !wasCounted(index)),
    fixed: before.filter((_, index) => unpairedBefore.has(index)),
    unchanged: after.filter((_, index) => counted(index) && wasCounted(index)),
    ...(suppressed.length ? { suppressed } : {})
  }
}

interface LayerTotal {
  instruction: string
  line?: number
  bytes: number
}

/** Layer bytes summed per instruction text; base-image layers together. */
function layerTotals(variant: VariantReport): Map<string, LayerTotal> {
  const totals = new Map<string, LayerTotal>()
  for (const layer of variant.image?.layers ?? []) {
    const instruction = layer.instruction?.text ?? 'base image'
    const entry = totals.get(instruction) ?? { instruction, line: layer.instruction?.line, bytes: 0 }
    entry.bytes += layer.sizeBytes
    totals.set(instruction, entry)
  }
  return totals
}

/**
 * The instructions whose layers changed most. Layers pair up by instruction text; an instruction the PR edited
 * (only on one side each) pairs with the one on the same line, shown with its new text and its old one beside.
 */
export function diffLayers(base: VariantReport, head: VariantReport): LayerChange[] {
  const before = layerTotals(base)
  const after = layerTotals(head)
  const changes: LayerChange[] = []
  const unmatchedBefore = [...before.values()].filter((entry) => !after.has(entry.instruction))
  for (const now of after.values()) {
    const same = before.get(now.instruction)
    const edited = same ? undefined : takeSameLine(unmatchedBefore, now.line)
    const was = same ?? edited
    changes.push({
      instruction: now.instruction,
      ...(edited ? { beforeInstruction: edited.instruction } : {}),
      line: now.line ?? was?.line,
      before: was?.bytes ?? 0,
      after: now.bytes,
      delta: now.bytes - (was?.bytes ?? 0)
    })
  }
  for (const was of unmatchedBefore)
    changes.push({ instruction: was.instruction, line: was.line, before: was.bytes, after: 0, delta: -was.bytes })
  return changes
    .filter((change) => change.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.instruction.localeCompare(b.instruction))
    .slice(0, TOP_LAYER_CHANGES)
}

function takeSameLine(candidates: LayerTotal[], line: number | undefined): LayerTotal | undefined {
  const index = line === undefined ? -1 : candidates.findIndex((candidate) => candidate.line === line)
  return index < 0 ? undefined : candidates.splice(index, 1)[0]
}

/** Stored reports from before compressed sizes were measured lack them. */
function compressedOf(image: ImageMeasurement | undefined): number | undefined {
  return typeof image?.compressedBytes === 'number' ? image.compressedBytes : undefined
}

function sizeOf(image: ImageMeasurement | undefined, metric: SizeMetric): number | undefined {
  return metric === 'compressed' ? compressedOf(image) : image?.sizeBytes
}

export function compareVariant(
  name: string,
  base: VariantReport | undefined,
  head: VariantReport | undefined,
  noise: Limit = NO_NOISE,
  /** The baseline was measured by a slimcheck without the byte rules: it could not show their findings. */
  baseWithoutByteRules = false
): VariantComparison {
  // A removed variant fixes nothing, and a head that was not built cannot show what its image would have carried.
  const comparable = (findings: Finding[]): Finding[] =>
    head?.image ? findings : findings.filter((finding) => finding.evidence === 'static')
  const paired = head
    ? diffFindings(comparable(base?.findings ?? []), head.findings)
    : { added: [], fixed: [], unchanged: [] }
  const seen = base && !base.image && head?.image ? withUnseenImageFindings(paired, base.findings) : paired
  const findings = base?.image && baseWithoutByteRules ? withByteFindingsUnseen(seen) : seen
  const statuses: Pick<VariantComparison, 'baseStatus' | 'headStatus' | 'baseFailure' | 'headFailure'> = {
    ...(base ? { baseStatus: base.status } : {}),
    ...(head ? { headStatus: head.status } : {}),
    ...(base?.failure ? { baseFailure: failureKindOf(base.failure) } : {}),
    ...(head?.failure ? { headFailure: failureKindOf(head.failure) } : {})
  }
  if (!base) return { name, kind: 'added', ...statuses, findings }
  if (!head) return { name, kind: 'removed', ...statuses, findings }
  if (!base.image || !head.image || !base.build || !head.build) return { name, kind: 'failed', ...statuses, findings }
  const size = delta(base.image.sizeBytes, head.image.sizeBytes)
  const compressedBefore = compressedOf(base.image)
  const compressedAfter = compressedOf(head.image)
  const compressed =
    compressedBefore === undefined || compressedAfter === undefined
      ? undefined
      : delta(compressedBefore, compressedAfter)
  const time = timeDelta(base.build.samples, head.build.samples, base.build.seconds, head.build.seconds)
  const layers = { ...delta(base.image.layers.length, head.image.layers.length), changes: diffLayers(base, head) }
  const contents = contentsChange(base.image, head.image)
  const timeChanged = !time.noise && spreadMeasured(time)
  const sizeChanged = beyondNoise(size, noise) || (compressed !== undefined && beyondNoise(compressed, noise))
  const changed =
    sizeChanged || layers.delta !== 0 || findings.added.length > 0 || findings.fixed.length > 0 || timeChanged
  return {
    name,
    kind: changed ? 'changed' : 'unchanged',
    ...statuses,
    size,
    ...(compressed ? { compressed } : {}),
    time,
    layers,
    ...(contents ? { contents } : {}),
    findings
  }
}

function contentsChange(before: ImageMeasurement, after: ImageMeasurement): VariantComparison['contents'] {
  if (!before.contents || !after.contents) return undefined
  const packages = diffPackages(before.contents, after.contents)
  return { ...(packages ? { packages } : {}), directories: diffDirectories(before.contents, after.contents) }
}

/**
 * A base that was not built could not show what its image carried: a head finding from the image is already there
 * when the base's Dockerfile had a finding of the same rule at least as severe (the conda the image check confirms; a
 * note on a builder stage is not), and new otherwise.
 */
function withUnseenImageFindings(
  findings: VariantComparison['findings'],
  baseFindings: Finding[]
): VariantComparison['findings'] {
  const seenBefore = (finding: Finding): boolean =>
    finding.evidence === 'image' &&
    baseFindings.some(
      (item) =>
        item.evidence === 'static' &&
        !item.suppressed &&
        item.rule === finding.rule &&
        severityRank(item.severity) >= severityRank(finding.severity)
    )
  return {
    ...findings,
    added: findings.added.filter((finding) => !seenBefore(finding)),
    unchanged: [...findings.unchanged, ...findings.added.filter(seenBefore)]
  }
}

/**
 * A baseline measured before the byte rules existed could not show their findings: the head's count as already there,
 * as the pull request is judged on what it changed.
 */
function withByteFindingsUnseen(findings: VariantComparison['findings']): VariantComparison['findings'] {
  const byteRule = (finding: Finding): boolean => (BYTE_RULE_IDS as readonly string[]).includes(finding.rule)
  return {
    ...findings,
    added: findings.added.filter((finding) => !byteRule(finding)),
    unchanged: [...findings.unchanged, ...findings.added.filter(byteRule)]
  }
}

/** With one build a side there is no spread to tell a change from noise. */
export function spreadMeasured(time: TimeDelta): boolean {
  return time.runs.before > 1 && time.runs.after > 1
}

/** Pairs variants by name: head order first, then variants only the base had. */
export function compareReports(
  base: Report | undefined,
  head: Report,
  baseline: BaselineInfo,
  policy: Policy
): Comparison {
  const baseByName = new Map((base?.variants ?? []).map((variant) => [variant.name, variant]))
  const headNames = new Set(head.variants.map((variant) => variant.name))
  const noise = policy.sizeNoise
  const variants = base
    ? [
        ...head.variants.map((variant) => {
          const before = baseByName.get(variant.name)
          return compareVariant(variant.name, before, variant, noise, before?.image?.byteFacts === undefined)
        }),
        ...base.variants
          .filter((variant) => !headNames.has(variant.name))
          .map((variant) => compareVariant(variant.name, variant, undefined, noise))
      ]
    : []
  const all = [...notCompared(baseline), ...policyViolations(head, policy, base ? { base, variants } : undefined)]
  const failing = policy.failOnInherited ? all : all.filter((violation) => !violation.inherited)
  const unchecked = !base && (baseline.optedOut || baseline.unavailable) ? limitsNeedingBaseline(policy) : []
  return {
    baseline,
    variants,
    ...(unchecked.length ? { notChecked: unchecked } : {}),
    ...(base ? { totalSize: totalSize(variants, base, head) } : {}),
    violations: failing,
    inherited: policy.failOnInherited ? [] : all.filter((violation) => violation.inherited)
  }
}

/** A comparison was asked for and could not be made: the pull request was not checked against its baseline. */
function notCompared(baseline: BaselineInfo): PolicyViolation[] {
  return baseline.unavailable
    ? [{ limit: 'not-compared', message: `not compared with the baseline: ${baseline.unavailable}` }]
    : []
}

/** The limits only a comparison can check: without a baseline they are not checked, and the verdict says so. */
function limitsNeedingBaseline(policy: Policy): string[] {
  return [
    policy.maxSizeIncrease ? 'max-size-increase' : '',
    policy.maxBuildTimeIncreasePercent !== undefined ? 'max-build-time-increase' : ''
  ].filter(Boolean)
}

/** How a variant counts in the size total: built on both sides, added or removed when built, or not at all. */
function countedAs(variant: VariantComparison): 'both' | 'added' | 'removed' | undefined {
  if (variant.size) return 'both'
  if (variant.kind === 'added' && variant.headStatus === 'built') return 'added'
  if (variant.kind === 'removed' && variant.baseStatus === 'built') return 'removed'
  return undefined
}

/** The summed size change: variants built on both sides, added ones in full, removed ones as gone. */
function totalSize(variants: VariantComparison[], base: Report, head: Report): Delta {
  // A built variant has its image: `countedAs` goes by status, which is all a comparison keeps.
  const sizeIn = (report: Report, name: string): number =>
    report.variants.find((variant) => variant.name === name)?.image?.sizeBytes ?? 0
  let before = 0
  let after = 0
  for (const variant of variants) {
    const counted = countedAs(variant)
    if (counted === 'both') {
      before += variant.size!.before
      after += variant.size!.after
    } else if (counted === 'added') after += sizeIn(head, variant.name)
    else if (counted === 'removed') before += sizeIn(base, variant.name)
  }
  return delta(before, after)
}

/** The size total, how many added and removed variants it counts, and the variants it cannot count. */
export interface SizeTotals {
  total: Delta
  added: number
  removed: number
  /** Variants measured on one side only, because a build failed or was not made. */
  unmeasured: string[]
}

/** `comparison.totalSize` and what it counts; absent without a baseline. */
export function sizeTotals(comparison: Comparison): SizeTotals | undefined {
  if (!comparison.totalSize) return undefined
  const counted = comparison.variants.map(countedAs)
  return {
    total: comparison.totalSize,
    added: counted.filter((how) => how === 'added').length,
    removed: counted.filter((how) => how === 'removed').length,
    unmeasured: comparison.variants.filter((_, index) => counted[index] === undefined).map((variant) => variant.name)
  }
}

/** Findings that `fail-on` names, by rule id (errors and warnings) or by severity at or above the threshold. */
function matchesFailOn(finding: Finding, failOn: FailPolicy): boolean {
  const byRule = failOn.rules.has(finding.rule) && finding.severity !== 'info'
  const bySeverity =
    failOn.minSeverity !== undefined && severityRank(finding.severity) >= severityRank(failOn.minSeverity)
  return byRule || bySeverity
}

/** `fail-on` hits, never a suppressed finding; those among `inherited` (already on the baseline) are marked so. */
export function failOnViolations(
  report: Report,
  failOn: FailPolicy,
  inherited: ReadonlySet<Finding> = new Set()
): PolicyViolation[] {
  return report.variants.flatMap((variant) =>
    variant.findings
      .filter((finding) => !finding.suppressed && matchesFailOn(finding, failOn))
      .map((finding) => ({
        limit: 'fail-on',
        variant: variant.name,
        message: `${variant.name}: ${finding.rule} (${finding.severity}) at ${finding.file}:${finding.line} is in fail-on`,
        file: finding.file,
        line: finding.line,
        rule: finding.rule,
        ...(inherited.has(finding) ? { inherited: true } : {})
      }))
  )
}

/** A failure of an earlier slimcheck, which did not classify, counts as one of the machinery. */
function failureKindOf(failure: VariantFailure): FailureKind {
  return failure.kind === 'build' ? 'build' : 'unmeasured'
}

/** What one report could not check on its own (its run problems, its variants not measured): a shard leg's failure. */
export function uncheckedIn(report: Report): string[] {
  return runFailures(report)
    .filter((violation) => UNCHECKED_LIMITS.has(violation.limit))
    .map((violation) => violation.message)
}

/** `not measured: the engine … (details)` → `the engine …`: the reason without its prefix, on one line. */
export function unmeasuredReason(failure: VariantFailure | undefined): string {
  return (failure?.message ?? 'unknown error').replace(/^not (?:measured|built): /, '').split('\n')[0]
}

/**
 * Run-level problems and failed builds. A build fails as inherited only when the baseline's build failed the same
 * step with the same error; a variant the machinery failed, on either side, was not checked, and that is never
 * inherited.
 */
export function runFailures(report: Report, base?: Report): PolicyViolation[] {
  const baseByName = new Map((base?.variants ?? []).map((variant) => [variant.name, variant]))
  const headFailures = report.variants
    .filter((variant) => variant.status === 'failed')
    .map((variant): PolicyViolation => {
      const where = { variant: variant.name, file: variant.dockerfile }
      if (variant.failure?.kind !== 'build')
        return {
          limit: 'not-measured',
          ...where,
          message: `${variant.name}: not measured: ${unmeasuredReason(variant.failure)}`
        }
      const before = baseByName.get(variant.name)?.failure
      return {
        limit: 'build',
        ...where,
        message: `${variant.name}: build failed: ${variant.failure.message}`,
        ...(before && sameBuildFailure(before, variant.failure) ? { inherited: true } : {})
      }
    })
  const baseUnmeasured = report.variants.flatMap((variant): PolicyViolation[] => {
    const before = baseByName.get(variant.name)
    if (variant.status !== 'built' || before?.status !== 'failed') return []
    if (!before.failure || failureKindOf(before.failure) !== 'unmeasured') return []
    return [
      {
        limit: 'not-measured',
        variant: variant.name,
        file: variant.dockerfile,
        message: `${variant.name}: not compared, as the baseline's build was not measured: ${unmeasuredReason(before.failure)}`
      }
    ]
  })
  return [...report.problems.map((problem) => ({ limit: 'run', message: problem })), ...headFailures, ...baseUnmeasured]
}

function percentText(percent: number | null): string {
  return percent === null ? 'from nothing' : signedPercent(percent)
}

/**
 * Variant names are not paths: `*` also matches the `/` in names such as `docker/api`, so `500MB` (pattern `*`) covers
 * every variant.
 */
function nameMatches(name: string, pattern: string): boolean {
  return minimatch(name, pattern, { dot: true }) || minimatch(name.replaceAll('/', '\u0000'), pattern, { dot: true })
}

/** Over budget; inherited when the base was over the same budget already and the pull request did not grow it. */
function sizeBudgetViolations(head: Report, policy: Policy, base: Report | undefined): PolicyViolation[] {
  const violations: PolicyViolation[] = []
  const metric = policy.sizeMetric
  for (const variant of head.variants) {
    const budget = policy.maxSize.find((item) => nameMatches(variant.name, item.pattern))
    const size = sizeOf(variant.image, metric)
    if (!budget || size === undefined || size <= budget.bytes) continue
    const before = sizeOf(base?.variants.find((item) => item.name === variant.name)?.image, metric)
    const over = size - budget.bytes
    violations.push({
      limit: 'max-size',
      variant: variant.name,
      file: variant.dockerfile,
      message: `${variant.name}: ${humanBytes(size)} ${metric} (${size} bytes) is over max-size ${humanBytes(budget.bytes)} for '${budget.pattern}' by ${humanBytes(over)} (${over} bytes)`,
      ...(before !== undefined && before > budget.bytes && size <= before ? { inherited: true } : {})
    })
  }
  return violations
}

function growthViolations(head: Report, variants: VariantComparison[], policy: Policy): PolicyViolation[] {
  const violations: PolicyViolation[] = []
  const dockerfiles = new Map(head.variants.map((variant) => [variant.name, variant.dockerfile]))
  for (const variant of variants) {
    const limit = policy.maxSizeIncrease
    const size = policy.sizeMetric === 'compressed' ? variant.compressed : variant.size
    if (limit && size && size.delta > 0) {
      const allowed = 'bytes' in limit ? limit.bytes : (size.before * limit.percent) / 100
      if (size.delta > allowed) {
        const limitText = 'bytes' in limit ? `${humanBytes(limit.bytes)} (${limit.bytes} bytes)` : `${limit.percent}%`
        violations.push({
          limit: 'max-size-increase',
          variant: variant.name,
          file: dockerfiles.get(variant.name),
          message: `${variant.name}: ${policy.sizeMetric} size grew by ${humanBytes(size.delta)} (${size.delta} bytes, ${percentText(size.percent)}), over max-size-increase ${limitText} by ${humanBytes(size.delta - allowed)}`
        })
      }
    }
    const timeLimit = policy.maxBuildTimeIncreasePercent
    const time = variant.time
    if (
      timeLimit !== undefined &&
      time &&
      spreadMeasured(time) &&
      !time.noise &&
      time.percent !== null &&
      time.percent > timeLimit
    ) {
      violations.push({
        limit: 'max-build-time-increase',
        variant: variant.name,
        file: dockerfiles.get(variant.name),
        message: `${variant.name}: build time grew from ${time.before.toFixed(1)} s to ${time.after.toFixed(1)} s (${percentText(time.percent)}, outside the measured spread), over max-build-time-increase ${timeLimit}% by ${(time.percent - timeLimit).toFixed(1)} points`
      })
    }
  }
  return violations
}

/**
 * Every violation of the head, each marked `inherited` when the baseline had it already: a finding the pull request
 * left unchanged, a build that failed there too, a budget it was over already. Without a baseline nothing is
 * inherited: every finding counts.
 */
export function policyViolations(
  head: Report,
  policy: Policy,
  against?: { base: Report; variants: VariantComparison[] }
): PolicyViolation[] {
  const unchanged = new Set(against?.variants.flatMap((variant) => variant.findings.unchanged))
  return [
    ...runFailures(head, against?.base),
    ...failOnViolations(head, policy.failOn, unchanged),
    ...sizeBudgetViolations(head, policy, against?.base),
    ...(against ? growthViolations(head, against.variants, policy) : [])
  ]
}
