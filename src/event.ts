/**
 * What the triggering event asks of slimcheck: compare a pull request, store a baseline on push, or only measure. Pure.
 */
import path from 'node:path'
import type { Settings } from './config.js'

export interface PullRequestInfo {
  number: number
  baseSha: string
  baseRef: string
  headSha: string
  /** The head lives in another repository: the token is read-only. */
  fork: boolean
}

export interface RunEvent {
  name: string
  pullRequest?: PullRequestInfo
  headSha?: string
  /** A push to the default branch: the report becomes the baseline artifact. */
  storesBaseline: boolean
  /**
   * The branch whose last stored report names the variants that want one name: the default branch a push updated, or
   * a pull request's base branch.
   */
  storedReportsBranch?: string
  /** Why the run measures without a baseline. */
  note: string
  /** Set when slimcheck must not run for this event. */
  refusal?: string
  commentKey: string
  blobBase?: string
  runUrl?: string
  /** The workflow file of this run (`ci.yml`), to find its earlier runs' reports. */
  workflowFile?: string
  /** working-directory relative to the repository root (`''` at the root): findings' paths are relative to it. */
  pathPrefix: string
}

/** The parts of @actions/github's context that are read. */
export interface EventContext {
  eventName: string
  sha: string
  ref: string
  workflow: string
  job: string
  runId: number
  serverUrl: string
  repo: { owner: string; repo: string }
  payload: {
    pull_request?: {
      number: number
      base: { sha: string; ref: string; repo?: { full_name?: string } }
      head: { sha: string; repo?: { full_name?: string } | null }
    }
    repository?: { default_branch?: string }
  }
}

export const PULL_REQUEST_TARGET_REFUSAL =
  'refusing to run on pull_request_target: that event runs with a write token and the repository secrets, and slimcheck builds the ' +
  "pull request's Dockerfiles, which runs its code (every RUN line). Use the pull_request event (with the workflow_run pattern from the " +
  'README to comment on pull requests from forks), or set allow-pull-request-target: true if this job checks out trusted code only.'

export function describeEvent(context: EventContext, settings: Settings, workspaceRoot: string): RunEvent {
  const repository = `${context.repo.owner}/${context.repo.repo}`
  const prefix = path.relative(workspaceRoot, settings.workspace).split(path.sep).join('/')
  const common = {
    name: context.eventName,
    commentKey: settings.commentKey || `${context.workflow}/${context.job}${prefix ? `/${prefix}` : ''}`,
    pathPrefix: prefix,
    runUrl: context.runId ? `${context.serverUrl}/${repository}/actions/runs/${context.runId}` : undefined,
    workflowFile: workflowFileOf(process.env.GITHUB_WORKFLOW_REF)
  }
  const blobBase = (sha: string): string =>
    `${context.serverUrl}/${repository}/blob/${sha}${prefix ? `/${prefix}` : ''}`
  const pr = context.payload.pull_request
  if (context.eventName === 'pull_request' || context.eventName === 'pull_request_target') {
    if (context.eventName === 'pull_request_target' && !settings.allowPullRequestTarget) {
      return { ...common, storesBaseline: false, note: '', refusal: PULL_REQUEST_TARGET_REFUSAL }
    }
    if (!pr)
      return {
        ...common,
        storesBaseline: false,
        note: '',
        refusal: `the ${context.eventName} payload has no pull_request`
      }
    const fork =
      !!pr.head.repo?.full_name && !!pr.base.repo?.full_name && pr.head.repo.full_name !== pr.base.repo.full_name
    return {
      ...common,
      pullRequest: {
        number: pr.number,
        baseSha: pr.base.sha,
        baseRef: pr.base.ref,
        headSha: pr.head.sha,
        fork: fork || pr.head.repo === null
      },
      headSha: pr.head.sha,
      storesBaseline: false,
      storedReportsBranch: pr.base.ref,
      note: '',
      blobBase: blobBase(pr.head.sha)
    }
  }
  if (context.eventName === 'push') {
    const defaultBranch = context.payload.repository?.default_branch
    const onDefault = !!defaultBranch && context.ref === `refs/heads/${defaultBranch}`
    return {
      ...common,
      headSha: context.sha,
      storesBaseline: onDefault,
      ...(onDefault ? { storedReportsBranch: defaultBranch } : {}),
      note: onDefault
        ? `push to ${defaultBranch}: this report is stored as the baseline for pull requests`
        : `push to ${context.ref}, not the default branch: nothing to compare with`,
      blobBase: blobBase(context.sha)
    }
  }
  return {
    ...common,
    headSha: context.sha,
    storesBaseline: false,
    note: `the ${context.eventName} event has no base to compare with; slimcheck compares on pull_request and stores baselines on push to the default branch`,
    ...(context.sha ? { blobBase: blobBase(context.sha) } : {})
  }
}

/** `octo/repo/.github/workflows/ci.yml@refs/heads/main` → `ci.yml`. */
export function workflowFileOf(workflowRef: string | undefined): string | undefined {
  const match = /\/\.github\/workflows\/([^@/]+)@/.exec(workflowRef ?? '')
  return match?.[1]
}
