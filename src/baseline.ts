/**
 * Stage 5: what the base branch measured: a stored report (artifact), a fresh build in a separate worktree, or nothing.
 */
import { execFile, type ExecFileException } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { readConfigFile, type BaselineMode, type Settings } from './config.js'
import type { SharedCheckout } from './measure/build.js'
import type { GitHubClient, StoredReport } from './publish/github.js'
import type { Logger } from './log.js'
import { withinSeconds } from './time-limit.js'
import { outside } from './workspace-path.js'
import { reportProblem } from './report/validate.js'
import { SCHEMA_VERSION, type BaselineInfo, type Report } from './types.js'

const run = promisify(execFile)
const ANCESTORS_FOR_ARTIFACTS = 50

/** How long one git command may run before it is stopped. */
export interface GitTimeLimits {
  /**
   * `git fetch` from origin, and `git worktree add`, which writes the whole base tree and runs its checkout filters
   * (Git LFS downloads there): a large repository's.
   */
  fetchSeconds: number
  /** Every other git command: local reads of the repository. */
  localSeconds: number
}

export const GIT_TIME_LIMITS: GitTimeLimits = { fetchSeconds: 10 * 60, localSeconds: 2 * 60 }

export type Baseline =
  | { kind: 'none'; info: BaselineInfo }
  | { kind: 'artifact'; info: BaselineInfo; report: Report }
  | { kind: 'build'; info: BaselineInfo; settings: Settings; shared: SharedCheckout; cleanup: () => Promise<void> }

export interface BaselineRequest {
  mode: BaselineMode
  settings: Settings
  baseSha: string
  baseRef: string
  /** For artifacts: the workflow file of this run and the API client. */
  workflow?: string
  github?: GitHubClient
  logger: Logger
  /** Default: GIT_TIME_LIMITS. */
  gitLimits?: GitTimeLimits
}

/**
 * Runs git within `seconds`; past them git gets SIGTERM (it removes its lock files on the way out) and the call fails
 * naming the command and the limit.
 */
async function git(cwd: string, args: string[], seconds: number): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024, timeout: seconds * 1000 })
    return stdout.trim()
  } catch (error) {
    if ((error as ExecFileException).killed)
      throw new Error(`git ${args.join(' ')} did not finish within ${seconds} s and was stopped`, { cause: error })
    throw error
  }
}

/** The commit `ref` names in the repository at `dir`, or undefined when it names none. */
export async function commitOf(dir: string, ref: string, limits = GIT_TIME_LIMITS): Promise<string | undefined> {
  return git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], limits.localSeconds).catch(() => undefined)
}

async function hasCommit(cwd: string, sha: string, limits: GitTimeLimits): Promise<boolean> {
  return git(cwd, ['cat-file', '-e', `${sha}^{commit}`], limits.localSeconds).then(
    () => true,
    () => false
  )
}

/** Fetches the base commit (and some history, for matching stored reports) when the checkout is shallow. */
async function ensureCommit(
  cwd: string,
  sha: string,
  depth: number,
  logger: Logger,
  limits: GitTimeLimits
): Promise<void> {
  if (
    (await hasCommit(cwd, sha, limits)) &&
    (depth <= 1 || (await git(cwd, ['rev-parse', '--is-shallow-repository'], limits.localSeconds)) === 'false')
  )
    return
  logger.info(`Fetching ${sha.slice(0, 12)} (depth ${depth}) from origin`)
  const fetch = ['fetch', '--no-tags', '--quiet', `--depth=${depth}`, 'origin', sha]
  await git(cwd, fetch, limits.fetchSeconds).catch(async (error: Error) => {
    if (!(await hasCommit(cwd, sha, limits)))
      throw new Error(
        `the base commit ${sha} is not in the checkout and could not be fetched from origin: ${error.message.trim()}`
      )
  })
}

export interface BaseWorktree {
  settings: Settings
  /** What the base builds with from the head checkout, so both sides' contexts are the same kind of tree. */
  shared: SharedCheckout
  cleanup: () => Promise<void>
}

/**
 * The head checkout's paths that git does not track (untracked and ignored files, as `git ls-files --others
 * --directory` collapses them) and its `.git`: the base worktree has none of them, so the base side borrows them.
 */
async function untrackedPaths(root: string, limits: GitTimeLimits): Promise<string[]> {
  const listed = await git(root, ['ls-files', '--others', '--directory', '-z'], limits.localSeconds)
  return [
    '.git',
    ...listed
      .split('\0')
      .filter(Boolean)
      .map((item) => item.replace(/\/$/, ''))
  ]
}

/**
 * A detached worktree at `sha` outside the user's checkout; the returned settings point at the same working-directory
 * inside it.
 */
export async function baseWorktree(
  settings: Settings,
  sha: string,
  logger: Logger,
  limits: GitTimeLimits = GIT_TIME_LIMITS
): Promise<BaseWorktree> {
  const root = await git(settings.workspace, ['rev-parse', '--show-toplevel'], limits.localSeconds)
  await ensureCommit(root, sha, 1, logger, limits)
  // Listed before the worktree is added, so that a failure here leaves no worktree behind.
  const paths = await untrackedPaths(root, limits)
  const dir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'slimcheck-base-'))
  await git(root, ['worktree', 'add', '--detach', '--force', dir, sha], limits.fetchSeconds)
  const workspace = path.join(dir, path.relative(fs.realpathSync(root), fs.realpathSync(settings.workspace)))
  const cleanup = async (): Promise<void> => {
    await git(root, ['worktree', 'remove', '--force', dir], limits.localSeconds).catch((error: Error) =>
      logger.warning(`could not remove the base worktree ${dir}: ${error.message}`)
    )
  }
  let variants: Settings['variants']
  try {
    variants =
      settings.configFile === undefined
        ? settings.variants
        : readConfigFile(workspace, inBaseTree(settings.configFile, settings.workspace, root), false)
  } catch (error) {
    await cleanup()
    throw new Error(`the base commit's ${(error as Error).message}`, { cause: error })
  }
  return {
    settings: { ...settings, workspace, variants, reportPath: path.join(dir, '.slimcheck-base-report.json') },
    shared: { root: dir, from: root, paths },
    cleanup
  }
}

/**
 * The config file the base side reads, as a path from the base working directory: its own copy where the head's file
 * is in the repository, else (outside it, by name or through a link) the same file as the head's.
 */
function inBaseTree(configFile: string, workspace: string, root: string): string {
  const absolute = path.resolve(workspace, configFile)
  const real = fs.existsSync(absolute)
    ? fs.realpathSync(absolute)
    : path.resolve(fs.realpathSync(workspace), path.relative(workspace, absolute))
  if (outside(path.relative(fs.realpathSync(root), real))) return real
  return path.relative(fs.realpathSync(workspace), real)
}

/** The base commit and its recent ancestors: stored reports made at any of them are a fair baseline. */
async function recentCommits(
  settings: Settings,
  sha: string,
  logger: Logger,
  limits: GitTimeLimits
): Promise<Set<string>> {
  try {
    const root = await git(settings.workspace, ['rev-parse', '--show-toplevel'], limits.localSeconds)
    await ensureCommit(root, sha, ANCESTORS_FOR_ARTIFACTS, logger, limits)
    const listed = await git(root, ['rev-list', `--max-count=${ANCESTORS_FOR_ARTIFACTS}`, sha], limits.localSeconds)
    return new Set(listed.split('\n').filter(Boolean))
  } catch (error) {
    logger.warning(
      `could not list the ancestors of ${sha.slice(0, 12)}: ${(error as Error).message}; only a report made at that commit is used`
    )
    return new Set([sha])
  }
}

/** A stored report of this schema version, every field of the type it should have; else an error naming the field. */
export function parseStoredReport(text: string): Report {
  const report = JSON.parse(text) as { schemaVersion?: unknown } | null
  if (report?.schemaVersion !== SCHEMA_VERSION) {
    throw new Error(
      `the stored report has schemaVersion ${String(report?.schemaVersion)}; this slimcheck reads ${SCHEMA_VERSION}`
    )
  }
  const problem = reportProblem(report)
  if (problem) throw new Error(`the stored report's ${problem}`)
  return report as Report
}

/** The report of the newest push run on `branch` that stored one (at a commit `accept` takes: any, by default). */
async function newestStoredReport(
  github: GitHubClient,
  query: { workflow: string; branch: string; artifactName: string; accept?: (sha: string) => boolean }
): Promise<{ stored: StoredReport; report: Report } | undefined> {
  const stored = await github.findStoredReport({ accept: () => true, ...query })
  if (!stored) return undefined
  return { stored, report: parseStoredReport(await github.downloadReport(stored)) }
}

/** The longest a run looks for the report an earlier push stored, from the first request to the download. */
export const EARLIER_REPORT_SECONDS = 60

export interface EarlierReportRequest {
  settings: Settings
  branch: string
  workflow?: string
  github?: GitHubClient
  logger: Logger
  /** Default: EARLIER_REPORT_SECONDS. */
  seconds?: number
}

/**
 * The report the newest completed push run on `branch` stored, whose shared names a side keeps where no report is
 * carried (a push run, the base side of a build): where two Dockerfiles want one name, the one that had it keeps it
 * after the pull request that added the other is merged. Undefined when there is none, when it cannot be had within
 * the time limit (discovery then names by path order), and for a leg of a matrix (the legs must agree on the names,
 * so each goes by path order) or `baseline: none`.
 */
export async function earlierReport(request: EarlierReportRequest): Promise<Report | undefined> {
  const { github, workflow, settings, branch, logger } = request
  if (!github || !workflow || settings.shard || settings.baseline === 'none') return undefined
  const lookup = async (): Promise<Report | undefined> => {
    const found = await newestStoredReport(github, { workflow, branch, artifactName: settings.artifactName })
    if (!found) return undefined
    const { stored, report } = found
    logger.info(
      `Variant names: kept from artifact '${settings.artifactName}' of run ${stored.runId} (${stored.runUrl}) at ${stored.headSha}`
    )
    return report
  }
  try {
    return await withinSeconds(request.seconds ?? EARLIER_REPORT_SECONDS, lookup(), 'looking for it')
  } catch (error) {
    logger.warning(
      `two Dockerfiles want one variant name, and the report stored on ${branch} that named them could not be read (${(error as Error).message}); the first by path takes the name`
    )
    return undefined
  }
}

async function fromArtifact(request: BaselineRequest, accept: (sha: string) => boolean): Promise<Baseline | undefined> {
  const { github, workflow, settings, baseRef, logger } = request
  if (!github) return undefined
  if (!workflow) {
    logger.warning(
      'GITHUB_WORKFLOW_REF is not set, so the reports stored by earlier runs of this workflow cannot be found'
    )
    return undefined
  }
  const found = await newestStoredReport(github, {
    workflow,
    branch: baseRef,
    artifactName: settings.artifactName,
    accept
  })
  if (!found) return undefined
  const { stored, report } = found
  const note =
    stored.headSha === request.baseSha
      ? undefined
      : `It was made at ${stored.headSha.slice(0, 12)}, not at the PR's base ${request.baseSha.slice(0, 12)}.`
  logger.info(
    `Baseline: artifact '${settings.artifactName}' of run ${stored.runId} (${stored.runUrl}) at ${stored.headSha}`
  )
  return {
    kind: 'artifact',
    report,
    info: {
      source: 'artifact',
      commit: stored.headSha,
      runId: stored.runId,
      runUrl: stored.runUrl,
      ...(note ? { note } : {})
    }
  }
}

async function fromBuild(request: BaselineRequest, note?: string): Promise<Baseline> {
  const worktree = await baseWorktree(request.settings, request.baseSha, request.logger, request.gitLimits)
  return {
    kind: 'build',
    settings: worktree.settings,
    shared: worktree.shared,
    cleanup: worktree.cleanup,
    info: { source: 'build', commit: request.baseSha, ...(note ? { note } : {}) }
  }
}

/**
 * `none`: no diff. `artifact`: the newest stored report on the base branch, whatever its commit.
 * `build`: the base commit built here. `auto`: a stored report made at the base commit or a recent ancestor, else
 * build.
 */
export async function resolveBaseline(request: BaselineRequest): Promise<Baseline> {
  const { mode, logger } = request
  if (mode === 'none') return { kind: 'none', info: { source: 'none', note: 'baseline is none', optedOut: true } }
  if (mode === 'build') return fromBuild(request)
  if (mode === 'artifact') {
    const stored = await fromArtifact(request, () => true).catch((error: Error) => {
      logger.warning(`no baseline: ${error.message}`)
      return undefined
    })
    return (
      stored ?? {
        kind: 'none',
        info: {
          source: 'none',
          unavailable: `no report named '${request.settings.artifactName}' was found in push runs on ${request.baseRef} (a push run on ${request.baseRef} stores one)`
        }
      }
    )
  }
  const commits = await recentCommits(request.settings, request.baseSha, logger, request.gitLimits ?? GIT_TIME_LIMITS)
  const stored = await fromArtifact(request, (sha) => commits.has(sha)).catch((error: Error) => {
    logger.warning(`baseline artifact unavailable (${error.message}); building the base commit instead`)
    return undefined
  })
  return stored ?? fromBuild(request)
}
