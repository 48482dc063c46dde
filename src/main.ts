/** The action: read inputs, run the pipeline, write the report, publish, and fail by policy. Only wiring lives here. */
import path from 'node:path'
import * as core from '@actions/core'
import { failOnViolations, runFailures } from './compare.js'
import { INPUT_DEFAULTS, InputError, parseSettings, type InputName, type RawInputs, type Settings } from './config.js'
import { createEngine } from './engine.js'
import { actionsLogger } from './log.js'
import { emptyReport, runPipeline } from './pipeline.js'
import { failWith, publishToRun } from './publish.js'
import { renderReportMarkdown, summaryLine, writeReport } from './report.js'
import type { Report } from './types.js'
import { VERSION } from './version.js'

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
  let settings: Settings | undefined
  let report: Report
  try {
    settings = parseSettings(raw, workspaceDir())
    report = await runPipeline({ settings, engine: createEngine(), logger: actionsLogger, version: VERSION, commit: process.env.GITHUB_SHA })
  } catch (error) {
    if (!(error instanceof InputError)) {
      core.setFailed(`slimcheck: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      return
    }
    report = emptyReport(VERSION, error.message)
  }
  const reportPath = settings?.reportPath ?? path.resolve(workspaceDir(), raw['report-path'] ?? INPUT_DEFAULTS['report-path'])
  writeReport(report, reportPath)
  const blobBase = blobBaseUrl()
  await publishToRun(
    { report, reportPath, markdown: renderReportMarkdown(report, blobBase), summary: summaryLine(report), annotations: settings?.annotations ?? true },
    actionsLogger
  )
  core.info(summaryLine(report))
  failWith([...runFailures(report), ...(settings ? failOnViolations(report, settings.policy.failOn) : [])])
}

/** Links findings to the lines at the commit that was checked. */
function blobBaseUrl(): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_SHA: sha } = process.env
  return server && repository && sha ? `${server}/${repository}/blob/${sha}` : undefined
}
