/** The action: read inputs, pick the baseline, run the pipeline, compare, report, publish, and fail by policy. Only wiring lives here. */
import path from 'node:path'
import * as core from '@actions/core'
import { context } from '@actions/github'
import { resolveBaseline, type Baseline } from './baseline.js'
import { renderComment } from './comment.js'
import { compareReports } from './compare.js'
import {
  INPUT_DEFAULTS,
  InputError,
  parseSettings,
  settingsWarnings,
  type InputName,
  type RawInputs,
  type Settings
} from './config.js'
import { createEngine } from './engine/index.js'
import { describeEvent, type EventContext, type RunEvent } from './event.js'
import { createGitHubClient, type GitHubClient } from './github.js'
import { actionsLogger } from './log.js'
import { emptyReport, runPipelines, type Side } from './pipeline.js'
import { failWith, outcomeOf, postComment, publishToRun, storeBaseline } from './publish.js'
import { summaryText, writeReport } from './report.js'
import { renderSarif, writeSarif } from './sarif.js'
import type { Report } from './types.js'
import { VERSION } from './version.js'

/** The runner drops a job summary over 1 MiB; stay well below it. */
const SUMMARY_LIMIT = 1_000_000

function readInputs(): RawInputs {
  const raw: RawInputs = {}
  for (const name of Object.keys(INPUT_DEFAULTS) as InputName[]) {
    const value = core.getInput(name)
    if (value !== '') raw[name] = value
  }
  return raw
}

function workspaceDir(): string {
  return process.env.GITHUB_WORKSPACE || process.cwd()
}

export async function run(): Promise<void> {
  const raw = readInputs()
  let settings: Settings
  try {
    settings = parseSettings(raw, workspaceDir())
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return finishWithProblem(raw, error.message)
  }
  for (const warning of settingsWarnings(settings)) core.warning(warning)
  const event = describeEvent(context as unknown as EventContext, settings, workspaceDir())
  if (event.refusal) return finishWithProblem(raw, event.refusal)
  const github = settings.githubToken
    ? createGitHubClient(settings.githubToken, context.repo, actionsLogger)
    : undefined
  const progress = { reportWritten: false }
  try {
    await measureCompareAndPublish(settings, event, github, progress)
  } catch (error) {
    if (error instanceof Error && error.stack) core.debug(error.stack)
    const problem = `unexpected error: ${error instanceof Error ? error.message : String(error)}`
    if (progress.reportWritten) core.setFailed(`slimcheck: ${problem}`)
    else finishWithProblem(raw, problem)
  }
}

async function measureCompareAndPublish(
  settings: Settings,
  event: RunEvent,
  github: GitHubClient | undefined,
  progress: { reportWritten: boolean }
): Promise<void> {
  const baseline: Baseline = event.pullRequest
    ? await core.group('Baseline', () =>
        resolveBaseline({
          mode: settings.baseline,
          settings,
          baseSha: event.pullRequest!.baseSha,
          baseRef: event.pullRequest!.baseRef,
          workflow: event.workflowFile,
          github,
          logger: actionsLogger
        }).catch((error: Error): Baseline => {
          actionsLogger.warning(`no baseline: ${error.message}`)
          return {
            kind: 'none',
            info: { source: 'none', note: `the baseline could not be prepared: ${error.message}` }
          }
        })
      )
    : { kind: 'none', info: { source: 'none', note: event.note } }
  const head: Side = { label: 'head', settings, commit: event.headSha }
  const sides =
    baseline.kind === 'build'
      ? [{ label: 'base', settings: baseline.settings, commit: baseline.info.commit, shared: baseline.shared }, head]
      : [head]
  let reports: Report[]
  try {
    reports = await runPipelines({
      sides,
      engine: createEngine(),
      logger: actionsLogger,
      version: VERSION,
      runs: settings.runs
    })
  } finally {
    if (baseline.kind === 'build') await baseline.cleanup()
  }
  const headReport = reports[reports.length - 1]
  const baseReport = baseline.kind === 'build' ? reports[0] : baseline.kind === 'artifact' ? baseline.report : undefined
  const comparison = compareReports(baseReport, headReport, baseline.info, settings.policy)
  const report: Report = event.pullRequest ? { ...headReport, comparison } : headReport
  writeReport(report, settings.reportPath)
  progress.reportWritten = true
  writeSarif(
    renderSarif(headReport, { version: VERSION, pathPrefix: event.pathPrefix, comparison }),
    settings.sarifPath
  )
  const commentContext = {
    key: event.commentKey,
    baseLabel: event.pullRequest?.baseRef ?? 'base',
    blobBase: event.blobBase,
    summaryUrl: event.runUrl
  }
  const markdown = renderComment(headReport, baseReport, comparison, commentContext)
  await publishToRun(
    {
      report,
      reportPath: settings.reportPath,
      markdown,
      fullMarkdown: renderComment(headReport, baseReport, comparison, commentContext, SUMMARY_LIMIT),
      summary: summaryText(headReport, comparison),
      outcome: outcomeOf(comparison, headReport, baseReport),
      sarifPath: settings.sarifPath,
      annotations: settings.annotations,
      pathPrefix: event.pathPrefix
    },
    actionsLogger
  )
  if (event.pullRequest && settings.comment)
    await postComment(
      github,
      event.pullRequest.number,
      commentContext.key,
      markdown,
      event.pullRequest.fork,
      actionsLogger
    )
  if (event.storesBaseline && github)
    await storeBaseline(github, settings.artifactName, settings.reportPath, actionsLogger)
  core.info(summaryText(headReport, comparison))
  failWith(comparison.violations, event.pathPrefix)
}

/** Bad input or a refused event: say so, write the JSON report anyway, fail the step. */
function finishWithProblem(raw: RawInputs, problem: string): void {
  const workspace = path.resolve(workspaceDir(), raw['working-directory'] ?? INPUT_DEFAULTS['working-directory'])
  const reportPath = path.resolve(workspace, raw['report-path'] ?? INPUT_DEFAULTS['report-path'])
  core.setOutput('passed', 'false')
  try {
    writeReport(emptyReport(VERSION, problem), reportPath)
    core.setOutput('report-path', reportPath)
  } catch (error) {
    core.warning(`could not write the report to ${reportPath}: ${(error as Error).message}`)
  }
  core.setFailed(`slimcheck: ${problem}`)
}
