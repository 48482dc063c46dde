/**
 * The one place that talks to GitHub: the REST API through Octokit (with retry and throttling) and workflow artifacts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DefaultArtifactClient } from '@actions/artifact'
import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import type { Logger } from '../log.js'
import { withinSeconds } from '../time-limit.js'

export interface Repository {
  owner: string
  repo: string
}

export interface StoredReport {
  artifactId: number
  runId: number
  runUrl: string
  headSha: string
}

export interface CommentResult {
  action: 'created' | 'updated'
  id: number
  url: string
}

export interface GitHubClient {
  /** Creates the comment carrying `marker`, or updates the one that already does (all pages are searched). */
  upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentResult>
  /**
   * The newest completed push run of `workflow` on `branch` (among its 30 newest), whatever its conclusion, that
   * stored an artifact named `artifactName` and whose commit `accept`s.
   */
  findStoredReport(query: {
    workflow: string
    branch: string
    artifactName: string
    accept: (sha: string) => boolean
  }): Promise<StoredReport | undefined>
  /** Downloads the artifact and returns the text of the one JSON file inside. */
  downloadReport(stored: StoredReport): Promise<string>
  uploadReport(artifactName: string, file: string, retentionDays?: number): Promise<number | undefined>
}

/** An API error as the user should read it: the HTTP status and GitHub's message. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
    readonly operation: string
  ) {
    super(`${operation} failed${status ? ` with HTTP ${status}` : ''}: ${message}`)
    this.name = 'GitHubApiError'
  }
}

const RUNS_TO_SEARCH = 30
/**
 * The longest slimcheck waits for GitHub to answer one API request, its body included (GitHub itself ends a request
 * after 10 s of work): past it, the request fails and slimcheck goes on without.
 */
const REQUEST_SECONDS = 30
/** The longest slimcheck waits in all for one API request, for rate limits and 429s: past it, it goes on without. */
const MAX_WAIT_SECONDS = 60
const RATE_LIMIT_RETRIES = 2
/**
 * The longest slimcheck waits for the artifact client to store or fetch a report. @actions/artifact sets no time
 * limit of its own on some of its requests; past this one, slimcheck goes on without the artifact.
 */
const ARTIFACT_SECONDS = 120
/** A 429 without a rate-limit signal (a proxy's, say) is retried twice: after its Retry-After, or 1 s, then 2 s. */
const TOO_MANY_REQUESTS_RETRIES = 2

interface RequestFailure {
  status?: number
  message?: string
  response?: { data?: { message?: string }; headers?: Record<string, string | number | undefined> }
}

/** The wait a rate-limited answer asks for, in seconds: its Retry-After, or the time until the spent quota resets. */
export function requestedWait(failure: RequestFailure, now = Date.now()): number | undefined {
  if (failure.status !== 403 && failure.status !== 429) return undefined
  const headers = failure.response?.headers ?? {}
  const retryAfter = Number(headers['retry-after'])
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return retryAfter
  if (String(headers['x-ratelimit-remaining']) !== '0') return undefined
  return Math.max(0, Math.ceil(Number(headers['x-ratelimit-reset']) - now / 1000))
}

/** What the throttling plugin handles: a secondary rate limit, or an exhausted quota. */
function isRateLimit(failure: RequestFailure): boolean {
  return (
    /\bsecondary rate\b/i.test(failure.message ?? '') ||
    String(failure.response?.headers?.['x-ratelimit-remaining']) === '0'
  )
}

/** Seconds waited so far for each request (its options object, the same through every retry). */
class WaitBudget {
  private readonly waited = new WeakMap<object, number>()

  /** Reserves `seconds` of the request's budget; false when that would take it past `MAX_WAIT_SECONDS`. */
  take(request: object, seconds: number): boolean {
    const total = (this.waited.get(request) ?? 0) + seconds
    if (total > MAX_WAIT_SECONDS) return false
    this.waited.set(request, total)
    return true
  }
}

type OctokitPlugin = Parameters<typeof getOctokit>[2]

const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000))

/**
 * A request GitHub did not answer in time. It is no RequestError (plugin-retry would send it again as a 500): an API
 * that let one attempt run out of time is unlikely to answer the next, and retries would multiply the wait.
 */
class RequestTimeoutError extends Error {
  constructor(options: { method: string; url: string }, seconds: number) {
    super(`GitHub did not answer ${options.method} ${options.url} within ${seconds} s`)
    this.name = 'RequestTimeoutError'
  }
}

export function createGitHubClient(
  token: string,
  repository: Repository,
  logger: Logger,
  {
    requestSeconds = REQUEST_SECONDS,
    artifactSeconds = ARTIFACT_SECONDS
  }: { requestSeconds?: number; artifactSeconds?: number } = {}
): GitHubClient {
  const budget = new WaitBudget()
  const waitOut = (
    limit: string,
    seconds: number,
    options: { method: string; url: string },
    retryCount: number
  ): boolean => {
    if (retryCount >= RATE_LIMIT_RETRIES || !budget.take(options, seconds)) return false
    logger.info(`GitHub ${limit} on ${options.method} ${options.url}: waiting ${seconds} s, as GitHub asks`)
    return true
  }
  // Innermost of the plugins: every attempt of a request (each retry, each page) gets the whole time limit.
  const timeLimit: OctokitPlugin = (octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      const signal = AbortSignal.timeout(requestSeconds * 1000)
      // A hook passes on the options object it was given, so the signal goes on it: on a copy of its `request`, which
      // can be the one every request's defaults share.
      options.request = { ...options.request, signal }
      let response
      try {
        response = await request(options)
      } catch (error) {
        if (signal.aborted) throw new RequestTimeoutError(options, requestSeconds)
        throw error
      }
      // A body the limit cut off: @octokit/request swallows that error and returns the answer with an empty body.
      if (signal.aborted) throw new RequestTimeoutError(options, requestSeconds)
      return response
    })
  }
  // Inside the other plugins, next to timeLimit: a bare 429 is retried here, before plugin-retry and the throttling
  // plugin see it. A 429 was not processed, so even a create is safe to send again.
  const retryTooManyRequests: OctokitPlugin = (octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await request(options)
        } catch (error) {
          const failure = error as RequestFailure
          if (failure.status !== 429 || isRateLimit(failure) || attempt >= TOO_MANY_REQUESTS_RETRIES) throw error
          const seconds = requestedWait(failure) ?? 2 ** attempt
          if (!budget.take(options, seconds)) throw error
          logger.info(`GitHub answered 429 to ${options.method} ${options.url}: retrying in ${seconds} s`)
          await sleep(seconds)
        }
      }
    })
  }
  const octokit = getOctokit(
    token,
    {
      throttle: {
        onRateLimit: (retryAfter: number, options: { method: string; url: string }, _: unknown, retryCount: number) =>
          waitOut('rate limit', retryAfter, options, retryCount),
        onSecondaryRateLimit: (
          retryAfter: number,
          options: { method: string; url: string },
          _: unknown,
          retryCount: number
        ) => waitOut('secondary rate limit', retryAfter, options, retryCount)
      },
      // 403 and 429 are rate limits, left to the throttling plugin (which honours Retry-After) and to
      // retryTooManyRequests.
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] }
    },
    timeLimit,
    retryTooManyRequests,
    retry,
    throttling
  )
  const call = async <T>(operation: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request()
    } catch (error) {
      const failure = error as RequestFailure
      const wait = requestedWait(failure)
      const asked =
        wait === undefined
          ? ''
          : ` (GitHub asked to wait ${wait} s; slimcheck waits at most ${MAX_WAIT_SECONDS} s a request)`
      throw new GitHubApiError(
        failure.status,
        `${failure.response?.data?.message ?? failure.message ?? String(error)}${asked}`,
        operation
      )
    }
  }
  return {
    async upsertComment(issueNumber, marker, body) {
      const existing = await call('listing the pull request comments', async () => {
        for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
          ...repository,
          issue_number: issueNumber,
          per_page: 100
        })) {
          // Only a bot's comment that starts with the marker: a person quoting the marker is never edited.
          const found = page.data.find((comment) => comment.user?.type === 'Bot' && comment.body?.startsWith(marker))
          if (found) return found
        }
        return undefined
      })
      if (existing) {
        const { data } = await call('updating the slimcheck comment', () =>
          octokit.rest.issues.updateComment({ ...repository, comment_id: existing.id, body })
        )
        return { action: 'updated', id: data.id, url: data.html_url }
      }
      // Not retried on 5xx: a create that did land would leave a second comment.
      const { data } = await call('creating the slimcheck comment', () =>
        octokit.rest.issues.createComment({ ...repository, issue_number: issueNumber, body, request: { retries: 0 } })
      )
      return { action: 'created', id: data.id, url: data.html_url }
    },

    async findStoredReport({ workflow, branch, artifactName, accept }) {
      const { data } = await call('listing workflow runs for the baseline', () =>
        octokit.rest.actions.listWorkflowRuns({
          ...repository,
          workflow_id: workflow,
          branch,
          event: 'push',
          // A push run stores its report whatever its policy said: one that failed on findings is a baseline too.
          status: 'completed',
          per_page: RUNS_TO_SEARCH
        })
      )
      for (const run of data.workflow_runs) {
        if (!accept(run.head_sha)) continue
        const artifacts = await call('listing the baseline run artifacts', () =>
          octokit.rest.actions.listWorkflowRunArtifacts({ ...repository, run_id: run.id, name: artifactName })
        )
        const artifact = artifacts.data.artifacts.find((item) => item.name === artifactName && !item.expired)
        if (artifact) return { artifactId: artifact.id, runId: run.id, runUrl: run.html_url, headSha: run.head_sha }
      }
      return undefined
    },

    async downloadReport(stored) {
      const directory = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'slimcheck-baseline-'))
      await call('downloading the baseline report', () =>
        withinSeconds(
          artifactSeconds,
          new DefaultArtifactClient().downloadArtifact(stored.artifactId, {
            path: directory,
            findBy: {
              token,
              workflowRunId: stored.runId,
              repositoryOwner: repository.owner,
              repositoryName: repository.repo
            }
          }),
          'the artifact service'
        )
      )
      const files = fs.readdirSync(directory).filter((file) => file.endsWith('.json'))
      if (files.length !== 1)
        throw new GitHubApiError(
          undefined,
          `expected one JSON report in artifact ${stored.artifactId}, found ${files.length}`,
          'reading the baseline report'
        )
      return fs.readFileSync(path.join(directory, files[0]), 'utf8')
    },

    async uploadReport(artifactName, file, retentionDays) {
      const result = await call('storing the report as an artifact', () =>
        withinSeconds(
          artifactSeconds,
          new DefaultArtifactClient().uploadArtifact(
            artifactName,
            [file],
            path.dirname(file),
            retentionDays ? { retentionDays } : {}
          ),
          'the artifact service'
        )
      )
      return result.id
    }
  }
}
