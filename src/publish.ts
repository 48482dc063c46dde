/** Stage 8: hand the result to GitHub: outputs, job summary, annotations. */
import * as core from '@actions/core'
import type { PolicyViolation } from './types.js'
import type { Logger } from './log.js'
import type { Report } from './types.js'

export interface Publication {
  report: Report
  reportPath: string
  markdown: string
  summary: string
  annotations: boolean
}

export async function publishToRun(publication: Publication, logger: Logger): Promise<void> {
  core.setOutput('report-path', publication.reportPath)
  core.setOutput('summary', publication.summary)
  core.setOutput('comment-body', publication.markdown)
  if (publication.annotations) {
    for (const variant of publication.report.variants) for (const finding of variant.findings) logger.annotate(finding)
  }
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(publication.markdown, true).write()
  }
}

/** Fails the step with every violation, each as an annotation on its file when there is one. */
export function failWith(violations: PolicyViolation[]): void {
  if (violations.length === 0) return
  for (const violation of violations) {
    core.error(violation.message, violation.file ? { file: violation.file, startLine: violation.line && violation.line > 0 ? violation.line : undefined, title: 'slimcheck' } : { title: 'slimcheck' })
  }
  core.setFailed(`slimcheck: ${violations.length} problem${violations.length > 1 ? 's' : ''}: ${violations.map((violation) => violation.message).join('; ')}`)
}
