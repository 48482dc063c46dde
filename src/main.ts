/**
 * The action: read inputs, pick the baseline, run the pipeline, compare, report, publish, and fail by policy. Only
 * wiring lives here.
 */
import path from 'node:path'
import * as core from '@actions/core'
import { context } from '@actions/github'
import { earlierReport, resolveBaseline, type Baseline } from './baseline.js'
import { renderComment } from './report/comment.js'
import { utf8Bytes } from './report/fit.js'
import { compareReports, uncheckedIn } from './compare/index.js'
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
import { createGitHubClient, type GitHubClient } from './publish/github.js'
import { actionsLogger } from './log.js'
import { findReportFiles, readPartialReports } from './shards/files.js'
import { mergeShards } from './shards/merge.js'
import { runPipelines, type Side } from './pipeline.js'
import { emptyReport } from './measure/variants.js'
import { failWith, outcomeOf, postComment, publishToRun, storeBaseline } from './publish/index.js'
import { summaryLine, summaryText, writeReport } from './report/index.js'
import { renderSarif, writeSarif } from './report/sarif.js'
import { partialReport, shardSelection, type ShardSelection } from './shards/split.js'
import type { Comparison, Report } from './types.js'
import { VERSION } from './version.js'

/** The runner drops a job summary over 1 MiB, counted in UTF-8 bytes; stay well below it. */
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
    if (settings.merge.length) await mergeAndPublish(settings, event, github, progress)
    else await measureCompareAndPublish(settings, event, github, progress)
  } catch (error) {
    if (error instanceof Error && error.stack) core.debug(error.stack)
    const problem =
      error instanceof InputError
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`
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
            info: { source: 'none', unavailable: `the baseline could not be prepared: ${error.message}` }
          }
        })
      )
    : { kind: 'none', info: { source: 'none', note: event.note } }
  const branch = event.storedReportsBranch
  const earlier = branch
    ? () =>
        core.group('Variant names', () =>
          earlierReport({ settings, branch, workflow: event.workflowFile, github, logger: actionsLogger })
        )
    : undefined
  const shard = settings.shard
    ? shardSelection(settings.shard, baseline.kind === 'artifact' ? baseline.report : undefined)
    : undefined
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
      runs: settings.runs,
      ...(baseline.kind === 'artifact' ? { carry: { report: baseline.report, runId: baseline.info.runId } } : {}),
      ...(earlier ? { earlier } : {}),
      ...(shard ? { select: (names: string[]) => shard.select(names) } : {})
    })
  } finally {
    if (baseline.kind === 'build') await baseline.cleanup()
  }
  const headReport = reports[reports.length - 1]
  const baseReport = baseline.kind === 'build' ? reports[0] : baseline.kind === 'artifact' ? baseline.report : undefined
  const comparison = compareReports(baseReport, headReport, baseline.info, settings.policy)
  if (shard) return finishLeg(shard, { head: headReport, base: baseReport, comparison }, settings, event)
  await publishResult({ head: headReport, base: baseReport, comparison }, settings, event, github, progress)
}

/** One leg of a matrix: its partial report for the merge step, which alone comments, stores and judges. */
function finishLeg(shard: ShardSelection, measured: Measured, settings: Settings, event: RunEvent): void {
  const { head, base, comparison } = measured
  const report = partialReport(head, base, event.pullRequest ? comparison : undefined, shard)
  writeReport(report, settings.reportPath)
  core.setOutput('report-path', settings.reportPath)
  const { index, total, variants } = shard.info
  core.info(
    `slimcheck shard ${index}/${total}: ${summaryLine(report)}, of ${variants.length} variants in all. Partial report: ${settings.reportPath}; upload it as an artifact for the merge step, which posts the comment, stores the baseline and applies the policy.`
  )
  const unchecked = uncheckedIn(head)
  if (unchecked.length)
    core.setFailed(`slimcheck: shard ${index}/${total} could not measure everything: ${unchecked.join('; ')}`)
}

/** The merge step: the legs' partial reports become one report, comment, verdict, job summary, SARIF and baseline. */
async function mergeAndPublish(
  settings: Settings,
  event: RunEvent,
  github: GitHubClient | undefined,
  progress: { reportWritten: boolean }
): Promise<void> {
  const files = findReportFiles('merge', settings.merge, settings.workspace)
  const partials = readPartialReports(files, settings.workspace)
  core.info(`Merging ${partials.length} partial reports: ${partials.map((partial) => partial.file).join(', ')}`)
  const merged = mergeShards(partials, settings.policy, { source: 'none', note: event.note })
  await publishResult(merged, settings, event, github, progress)
}

interface Measured {
  head: Report
  base?: Report
  comparison: Comparison
}

/** The report, SARIF, outputs, job summary, annotations, comment and baseline of the whole set; fails by policy. */
async function publishResult(
  measured: Measured,
  settings: Settings,
  event: RunEvent,
  github: GitHubClient | undefined,
  progress: { reportWritten: boolean }
): Promise<void> {
  const { head: headReport, base: baseReport, comparison } = measured
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
      fullMarkdown: renderComment(headReport, baseReport, comparison, commentContext, SUMMARY_LIMIT, utf8Bytes),
      summary: summaryText(headReport, comparison),
      outcome: outcomeOf(comparison),
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
  if (event.storesBaseline && github) {
    if (headReport.variants.some((variant) => variant.status === 'built'))
      await storeBaseline(github, settings.artifactName, settings.reportPath, actionsLogger)
    else actionsLogger.warning('the report was not stored as the baseline: this run measured no variant')
  }
  core.info(summaryText(headReport, comparison))
  failWith(comparison.violations, event.pathPrefix)
}

/** Bad input or a refused event: say so, write the JSON report anyway, fail the step. */
function finishWithProblem(raw: RawInputs, problem: string): void {
  const workspace = path.resolve(workspaceDir(), raw['working-directory'] ?? INPUT_DEFAULTS['working-directory'])
  const reportPath = path.resolve(workspace, raw['report-path'] ?? INPUT_DEFAULTS['report-path'])
  core.setOutput('passed', 'false')
  core.setOutput('result', 'not-checked')
  try {
    writeReport(emptyReport(VERSION, problem), reportPath)
    core.setOutput('report-path', reportPath)
  } catch (error) {
    core.warning(`could not write the report to ${reportPath}: ${(error as Error).message}`)
  }
  core.setFailed(`slimcheck: ${problem}`)
}
