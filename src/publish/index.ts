/** Stage 8: hand the result to GitHub: outputs, job summary, annotations. */
import * as core from '@actions/core'
import { UNCHECKED_LIMITS } from '../compare/index.js'
import { commentMarker } from '../report/comment.js'
import { GitHubApiError, type GitHubClient } from './github.js'
import type { Logger } from '../log.js'
import type { Comparison, PolicyViolation, Report } from '../types.js'

/** The structured outputs: passed or not, how many violations fail the step, and the total size change. */
export interface Outcome {
  passed: boolean
  /** `failed` by a limit; else `not-checked` when something could not be measured or compared; else `passed`. */
  result: 'passed' | 'failed' | 'not-checked'
  violations: number
  /** Bytes; absent without a baseline. */
  sizeDelta?: number
}

/** The size change is `comparison.totalSize`, the total the summary and the verdict show. */
export function outcomeOf(comparison: Comparison): Outcome {
  const unchecked = comparison.violations.filter((violation) => UNCHECKED_LIMITS.has(violation.limit)).length
  const judged = comparison.violations.length - unchecked
  return {
    passed: comparison.violations.length === 0,
    result: judged ? 'failed' : unchecked ? 'not-checked' : 'passed',
    violations: comparison.violations.length,
    ...(comparison.totalSize ? { sizeDelta: comparison.totalSize.delta } : {})
  }
}

export interface Publication {
  report: Report
  reportPath: string
  /** The comment, within GitHub's size limit: the `comment-body` output. */
  markdown: string
  /** The same, unshortened: the job summary. */
  fullMarkdown: string
  summary: string
  outcome: Outcome
  sarifPath: string
  annotations: boolean
  /** working-directory relative to the repository root: annotations need repository paths. */
  pathPrefix: string
}

export function repositoryPath(prefix: string, file: string): string {
  return prefix ? `${prefix}/${file}` : file
}

export async function publishToRun(publication: Publication, logger: Logger): Promise<void> {
  core.setOutput('report-path', publication.reportPath)
  core.setOutput('summary', publication.summary)
  core.setOutput('comment-body', publication.markdown)
  core.setOutput('passed', String(publication.outcome.passed))
  core.setOutput('result', publication.outcome.result)
  core.setOutput('violations', String(publication.outcome.violations))
  core.setOutput('size-delta', publication.outcome.sizeDelta === undefined ? '' : String(publication.outcome.sizeDelta))
  core.setOutput('sarif-path', publication.sarifPath)
  if (publication.annotations) {
    for (const variant of publication.report.variants) {
      for (const finding of variant.findings.filter((item) => !item.suppressed))
        logger.annotate({ ...finding, file: repositoryPath(publication.pathPrefix, finding.file) })
    }
  }
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(publication.fullMarkdown, true).write()
  }
}

/** Fails the step with every violation, each as an annotation on its file when there is one. */
export function failWith(violations: PolicyViolation[], pathPrefix: string): void {
  if (violations.length === 0) return
  for (const violation of violations) {
    core.error(
      violation.message,
      violation.file
        ? {
            file: repositoryPath(pathPrefix, violation.file),
            startLine: violation.line && violation.line > 0 ? violation.line : undefined,
            title: 'slimcheck'
          }
        : { title: 'slimcheck' }
    )
  }
  core.setFailed(
    `slimcheck: ${violations.length} problem${violations.length > 1 ? 's' : ''}: ${violations.map((violation) => violation.message).join('; ')}`
  )
}

export const FORK_PATTERN_URL = 'https://github.com/slimcheck/slimcheck#pull-requests-from-forks'

/** Posts or updates the sticky comment. API failures are warnings: the measurements and the policy verdict stand. */
export async function postComment(
  github: GitHubClient | undefined,
  issueNumber: number,
  key: string,
  body: string,
  fork: boolean,
  logger: Logger
): Promise<void> {
  if (!github) {
    logger.warning('no github-token: the comment was not posted; it is in the comment-body output and the job summary')
    return
  }
  try {
    const result = await github.upsertComment(issueNumber, commentMarker(key), body)
    logger.info(`${result.action === 'created' ? 'Posted' : 'Updated'} the slimcheck comment: ${result.url}`)
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error
    const forkHint =
      error.status === 403
        ? ` ${fork ? 'Pull requests from forks get a read-only token.' : 'The token may lack pull-requests: write.'} The comment is in the comment-body output and the job summary; ` +
          `to comment on pull requests from forks, use the workflow_run pattern: ${FORK_PATTERN_URL}`
        : ''
    logger.warning(`could not post the slimcheck comment: ${error.message}.${forkHint}`)
  }
}

/** On a push to the default branch, keeps the report as the baseline artifact for later pull requests. */
export async function storeBaseline(
  github: GitHubClient,
  artifactName: string,
  reportPath: string,
  logger: Logger
): Promise<void> {
  try {
    const id = await github.uploadReport(artifactName, reportPath)
    logger.info(
      `Stored the report as artifact '${artifactName}'${id ? ` (id ${id})` : ''} for pull requests to compare with`
    )
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error
    logger.warning(`could not store the baseline report: ${error.message}`)
  }
}
