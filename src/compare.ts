/** Stage 6: decide whether the result is acceptable under the configured policy. */
import type { FailPolicy } from './config.js'
import { severityRank, type Report } from './types.js'

export interface Violation {
  message: string
  variant?: string
  file?: string
  line?: number
}

/** Findings that `fail-on` names, by rule id or by severity at or above the threshold. */
export function failOnViolations(report: Report, policy: FailPolicy): Violation[] {
  const violations: Violation[] = []
  for (const variant of report.variants) {
    for (const finding of variant.findings) {
      const byRule = policy.rules.has(finding.rule) && finding.severity !== 'info'
      const bySeverity = policy.minSeverity !== undefined && severityRank(finding.severity) >= severityRank(policy.minSeverity)
      if (!byRule && !bySeverity) continue
      violations.push({
        message: `${variant.name}: ${finding.rule} (${finding.severity}) at ${finding.file}:${finding.line} is in fail-on`,
        variant: variant.name,
        file: finding.file,
        line: finding.line
      })
    }
  }
  return violations
}

/** Builds that failed, and run-level problems, always fail the run. */
export function runFailures(report: Report): Violation[] {
  return [
    ...report.problems.map((problem) => ({ message: problem })),
    ...report.variants
      .filter((variant) => variant.status === 'failed')
      .map((variant) => ({ message: `${variant.name}: build failed: ${variant.failure?.message ?? 'unknown error'}`, variant: variant.name, file: variant.dockerfile }))
  ]
}
