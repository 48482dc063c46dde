/** Stage 6: diff the head against the baseline, and decide whether the result is acceptable under the policy. Pure. */
import { minimatch } from 'minimatch'
import type { FailPolicy, Policy } from './config.js'
import { humanBytes } from './markdown.js'
import {
  severityRank,
  type BaselineInfo,
  type Comparison,
  type Delta,
  type Finding,
  type LayerChange,
  type PolicyViolation,
  type Report,
  type TimeDelta,
  type VariantComparison,
  type VariantReport
} from './types.js'

const TOP_LAYER_CHANGES = 5

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

function findingKey(finding: Finding): string {
  return `${finding.rule}\u0000${finding.file}\u0000${finding.message}`
}

/** Pairs findings one to one, so that fixing one of two identical findings (the same tag on two FROM lines) counts as a fix. */
export function diffFindings(before: Finding[], after: Finding[]): VariantComparison['findings'] {
  const matched = (findings: Finding[], others: Finding[]): boolean[] => {
    const counts = new Map<string, number>()
    for (const finding of others) counts.set(findingKey(finding), (counts.get(findingKey(finding)) ?? 0) + 1)
    return findings.map((finding) => {
      const left = counts.get(findingKey(finding)) ?? 0
      counts.set(findingKey(finding), left - 1)
      return left > 0
    })
  }
  const afterMatched = matched(after, before)
  const beforeMatched = matched(before, after)
  return {
    added: after.filter((_, index) => !afterMatched[index]),
    fixed: before.filter((_, index) => !beforeMatched[index]),
    unchanged: after.filter((_, index) => afterMatched[index])
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
 * (only on one side each) pairs with the one on the same line, shown with its new text.
 */
export function diffLayers(base: VariantReport, head: VariantReport): LayerChange[] {
  const before = layerTotals(base)
  const after = layerTotals(head)
  const changes: LayerChange[] = []
  const unmatchedBefore = [...before.values()].filter((entry) => !after.has(entry.instruction))
  for (const now of after.values()) {
    const was = before.get(now.instruction) ?? takeSameLine(unmatchedBefore, now.line)
    changes.push({
      instruction: now.instruction,
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

export function compareVariant(
  name: string,
  base: VariantReport | undefined,
  head: VariantReport | undefined
): VariantComparison {
  // A removed variant fixes nothing, and a head that was not built cannot show what its image would have carried.
  const comparable = (findings: Finding[]): Finding[] =>
    head?.image ? findings : findings.filter((finding) => finding.evidence === 'static')
  const findings = head
    ? diffFindings(comparable(base?.findings ?? []), head.findings)
    : { added: [], fixed: [], unchanged: [] }
  const statuses = { ...(base ? { baseStatus: base.status } : {}), ...(head ? { headStatus: head.status } : {}) }
  if (!base) return { name, kind: 'added', ...statuses, findings }
  if (!head) return { name, kind: 'removed', ...statuses, findings }
  if (!base.image || !head.image || !base.build || !head.build) return { name, kind: 'failed', ...statuses, findings }
  const size = delta(base.image.sizeBytes, head.image.sizeBytes)
  const time = timeDelta(base.build.samples, head.build.samples, base.build.seconds, head.build.seconds)
  const layers = { ...delta(base.image.layers.length, head.image.layers.length), changes: diffLayers(base, head) }
  const timeChanged = !time.noise && spreadMeasured(time)
  const changed =
    size.delta !== 0 || layers.delta !== 0 || findings.added.length > 0 || findings.fixed.length > 0 || timeChanged
  return { name, kind: changed ? 'changed' : 'unchanged', ...statuses, size, time, layers, findings }
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
  const variants = base
    ? [
        ...head.variants.map((variant) => compareVariant(variant.name, baseByName.get(variant.name), variant)),
        ...base.variants
          .filter((variant) => !headNames.has(variant.name))
          .map((variant) => compareVariant(variant.name, variant, undefined))
      ]
    : []
  const bothBuilt = variants.filter((variant) => variant.size)
  const totalSize = bothBuilt.length
    ? delta(
        bothBuilt.reduce((sum, variant) => sum + variant.size!.before, 0),
        bothBuilt.reduce((sum, variant) => sum + variant.size!.after, 0)
      )
    : undefined
  return {
    baseline,
    variants,
    ...(totalSize ? { totalSize } : {}),
    violations: policyViolations(head, variants, policy)
  }
}

/** Findings that `fail-on` names, by rule id (errors and warnings) or by severity at or above the threshold. */
export function failOnViolations(report: Report, failOn: FailPolicy): PolicyViolation[] {
  const violations: PolicyViolation[] = []
  for (const variant of report.variants) {
    for (const finding of variant.findings) {
      const byRule = failOn.rules.has(finding.rule) && finding.severity !== 'info'
      const bySeverity =
        failOn.minSeverity !== undefined && severityRank(finding.severity) >= severityRank(failOn.minSeverity)
      if (!byRule && !bySeverity) continue
      violations.push({
        limit: 'fail-on',
        variant: variant.name,
        message: `${variant.name}: ${finding.rule} (${finding.severity}) at ${finding.file}:${finding.line} is in fail-on`,
        file: finding.file,
        line: finding.line
      })
    }
  }
  return violations
}

/** Failed builds and run-level problems always fail the run. */
export function runFailures(report: Report): PolicyViolation[] {
  return [
    ...report.problems.map((problem) => ({ limit: 'run', message: problem })),
    ...report.variants
      .filter((variant) => variant.status === 'failed')
      .map((variant) => ({
        limit: 'build',
        variant: variant.name,
        message: `${variant.name}: build failed: ${variant.failure?.message ?? 'unknown error'}`,
        file: variant.dockerfile
      }))
  ]
}

function percentText(percent: number | null): string {
  return percent === null ? 'from nothing' : `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%`
}

/** Variant names are not paths: `*` also matches the `/` in names such as `docker/api`, so `500MB` (pattern `*`) covers every variant. */
function nameMatches(name: string, pattern: string): boolean {
  return minimatch(name, pattern, { dot: true }) || minimatch(name.replaceAll('/', '\u0000'), pattern, { dot: true })
}

function sizeBudgetViolations(head: Report, policy: Policy): PolicyViolation[] {
  const violations: PolicyViolation[] = []
  for (const variant of head.variants) {
    const budget = policy.maxSize.find((item) => nameMatches(variant.name, item.pattern))
    if (!budget || !variant.image || variant.image.sizeBytes <= budget.bytes) continue
    const over = variant.image.sizeBytes - budget.bytes
    violations.push({
      limit: 'max-size',
      variant: variant.name,
      file: variant.dockerfile,
      message: `${variant.name}: ${humanBytes(variant.image.sizeBytes)} (${variant.image.sizeBytes} bytes) is over max-size ${humanBytes(budget.bytes)} for '${budget.pattern}' by ${humanBytes(over)} (${over} bytes)`
    })
  }
  return violations
}

function growthViolations(head: Report, variants: VariantComparison[], policy: Policy): PolicyViolation[] {
  const violations: PolicyViolation[] = []
  const dockerfiles = new Map(head.variants.map((variant) => [variant.name, variant.dockerfile]))
  for (const variant of variants) {
    const limit = policy.maxSizeIncrease
    if (limit && variant.size && variant.size.delta > 0) {
      const allowed = 'bytes' in limit ? limit.bytes : (variant.size.before * limit.percent) / 100
      if (variant.size.delta > allowed) {
        const limitText = 'bytes' in limit ? `${humanBytes(limit.bytes)} (${limit.bytes} bytes)` : `${limit.percent}%`
        violations.push({
          limit: 'max-size-increase',
          variant: variant.name,
          file: dockerfiles.get(variant.name),
          message: `${variant.name}: size grew by ${humanBytes(variant.size.delta)} (${variant.size.delta} bytes, ${percentText(variant.size.percent)}), over max-size-increase ${limitText} by ${humanBytes(variant.size.delta - allowed)}`
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

export function policyViolations(head: Report, variants: VariantComparison[], policy: Policy): PolicyViolation[] {
  return [
    ...runFailures(head),
    ...failOnViolations(head, policy.failOn),
    ...sizeBudgetViolations(head, policy),
    ...growthViolations(head, variants, policy)
  ]
}
