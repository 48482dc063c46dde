import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { resolveBaseline as ResolveBaseline } from '../../src/baseline.js'
import { parseSettings } from '../../src/config.js'
import type {
  GitHubApiError as GitHubApiErrorClass,
  GitHubClient,
  requestedWait as RequestedWait
} from '../../src/publish/github.js'
import type { postComment as PostComment } from '../../src/publish/index.js'
import { startFakeGitHub, type FakeGitHub } from '../support/github-api.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace } from '../support/workspace.js'

const OWNER = 'acme'
const REPO = 'shop'
const MARKER = '<!-- slimcheck:comment test -->'
const WORKFLOW = 'slimcheck.yml'

let fake: FakeGitHub
let github: GitHubClient
/** The same client with a 1 s limit a request, for the requests GitHub never answers. */
let impatient: GitHubClient
let logger: ReturnType<typeof recordingLogger>
let postComment: typeof PostComment
let requestedWait: typeof RequestedWait
let resolveBaseline: typeof ResolveBaseline
let GitHubApiError: typeof GitHubApiErrorClass

beforeAll(async () => {
  fake = await startFakeGitHub({ selfCheck: true })
  // As on a runner, the API's address comes from GITHUB_API_URL, which @actions/github reads when it is loaded.
  process.env.GITHUB_API_URL = fake.url
  const client = await import('../../src/publish/github.js')
  ;({ postComment } = await import('../../src/publish/index.js'))
  ;({ resolveBaseline } = await import('../../src/baseline.js'))
  requestedWait = client.requestedWait
  GitHubApiError = client.GitHubApiError
  logger = recordingLogger()
  github = client.createGitHubClient('ghs_fake_token', { owner: OWNER, repo: REPO }, logger)
  impatient = client.createGitHubClient('ghs_fake_token', { owner: OWNER, repo: REPO }, logger, { requestSeconds: 1 })
  fake.seedWorkflowRuns(OWNER, REPO, [{ workflow: WORKFLOW, branch: 'main', headSha: 'a'.repeat(40), event: 'push' }])
})

afterAll(async () => {
  await fake?.close()
})

beforeEach(() => {
  logger.lines.length = 0
  fake.requests.length = 0
})

const statuses = (): string[] => fake.requests.map((request) => `${request.operationId} ${request.status}`)

describe('waiting for GitHub', () => {
  it('does not wait out an hour-long secondary rate limit: it warns, naming the operation and the wait, and goes on', async () => {
    fake.failNext({ operationId: 'issues/list-comments' }, 'hour-long-secondary-rate-limit')
    const started = Date.now()
    await postComment(github, 11, 'test', `${MARKER}\nbody`, false, logger)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(statuses()).toEqual(['issues/list-comments 403'])
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^warning: could not post the slimcheck comment: listing the pull request comments failed with HTTP 403: You have exceeded a secondary rate limit\. .* \(GitHub asked to wait 3600 s; slimcheck waits at most 60 s a request\)\./
      )
    ])
    expect(fake.comments(OWNER, REPO, 11)).toEqual([])
    expect(fake.violations).toEqual([])
  })

  it('waits out a short secondary rate limit, as GitHub asks', async () => {
    fake.failNext({ operationId: 'issues/list-comments' }, 'secondary-rate-limit')
    await postComment(github, 12, 'test', `${MARKER}\nbody`, false, logger)
    expect(statuses()).toEqual(['issues/list-comments 403', 'issues/list-comments 200', 'issues/create-comment 201'])
    expect(logger.lines[0]).toMatch(
      /^GitHub secondary rate limit on GET \S+\/issues\/12\/comments\S*: waiting 1 s, as GitHub asks$/
    )
    expect(fake.comments(OWNER, REPO, 12)).toHaveLength(1)
  })

  it('retries a 429 that carries no rate-limit headers, after 1 s and then 2 s', async () => {
    fake.failNext({ operationId: 'issues/create-comment' }, 'too-many-requests', 2)
    await postComment(github, 13, 'test', `${MARKER}\nbody`, false, logger)
    expect(statuses()).toEqual([
      'issues/list-comments 200',
      'issues/create-comment 429',
      'issues/create-comment 429',
      'issues/create-comment 201'
    ])
    expect(logger.lines.slice(0, 2)).toEqual([
      'GitHub answered 429 to POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 1 s',
      'GitHub answered 429 to POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 2 s'
    ])
    expect(fake.comments(OWNER, REPO, 13)).toHaveLength(1)
  })

  it('gives up on a 429 after two retries, with a warning', async () => {
    fake.failNext({ operationId: 'issues/list-comments' }, 'too-many-requests', 3)
    await postComment(github, 14, 'test', `${MARKER}\nbody`, false, logger)
    expect(statuses()).toEqual(['issues/list-comments 429', 'issues/list-comments 429', 'issues/list-comments 429'])
    expect(logger.lines[2]).toBe(
      'warning: could not post the slimcheck comment: listing the pull request comments failed with HTTP 429: Too Many Requests.'
    )
    expect(fake.comments(OWNER, REPO, 14)).toEqual([])
  })

  it.each([
    [{ status: 403, response: { headers: { 'retry-after': '3600' } } }, 3600],
    [{ status: 429, response: { headers: { 'retry-after': '0' } } }, 0],
    [{ status: 403, response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1900' } } }, 900],
    [{ status: 403, response: { headers: { 'x-ratelimit-remaining': '12' } } }, undefined],
    [{ status: 500, response: { headers: { 'retry-after': '5' } } }, undefined]
  ])('reads the wait GitHub asks for from %j', (failure, seconds) => {
    expect(requestedWait(failure, 1_000_000)).toBe(seconds)
  })
})

describe('a GitHub API that does not answer in time', () => {
  it('ends a request that is never answered at the time limit: a warning names the operation, nothing is retried', async () => {
    fake.failNext({ operationId: 'issues/list-comments' }, 'no-answer')
    const started = Date.now()
    await postComment(impatient, 21, 'test', `${MARKER}\nbody`, false, logger)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(statuses()).toEqual(['issues/list-comments 0'])
    expect(logger.lines).toEqual([
      'warning: could not post the slimcheck comment: listing the pull request comments failed: GitHub did not ' +
        `answer GET ${fake.url}/repos/${OWNER}/${REPO}/issues/21/comments?per_page=100 within 1 s.`
    ])
    expect(fake.comments(OWNER, REPO, 21)).toEqual([])
    expect(fake.violations).toEqual([])
  })

  it('ends a request whose answer stops halfway at the time limit, rather than reading half an answer', async () => {
    fake.failNext({ operationId: 'actions/list-workflow-runs' }, 'stalls-mid-body')
    const started = Date.now()
    const error = await impatient
      .findStoredReport({ workflow: WORKFLOW, branch: 'main', artifactName: 'slimcheck-report', accept: () => true })
      .catch((caught: unknown) => caught)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(error).toBeInstanceOf(GitHubApiError)
    expect(error).toMatchObject({ status: undefined, operation: 'listing workflow runs for the baseline' })
    expect((error as Error).message).toBe(
      'listing workflow runs for the baseline failed: GitHub did not answer ' +
        'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs within 1 s'
    )
    expect(statuses()).toEqual(['actions/list-workflow-runs 200'])
  })

  it('costs a pull request only its stored baseline: the baseline is none, with a warning', async () => {
    fake.failNext({ operationId: 'actions/list-workflow-runs' }, 'no-answer')
    const baseline = await resolveBaseline({
      mode: 'artifact',
      settings: parseSettings({}, makeWorkspace({ Dockerfile: 'FROM scratch\n' })),
      baseSha: 'a'.repeat(40),
      baseRef: 'main',
      workflow: WORKFLOW,
      github: impatient,
      logger
    })
    expect(baseline.kind).toBe('none')
    expect(logger.lines).toEqual([
      'warning: no baseline: listing workflow runs for the baseline failed: GitHub did not answer ' +
        'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs within 1 s'
    ])
  })

  it('gives up a baseline download the artifact client never finishes, at its own limit', async () => {
    const client = await import('../../src/publish/github.js')
    const hasty = client.createGitHubClient('ghs_fake_token', { owner: OWNER, repo: REPO }, logger, {
      artifactSeconds: 1
    })
    fake.failNext({ operationId: 'actions/download-artifact' }, 'no-answer')
    const started = Date.now()
    const error = await hasty
      .downloadReport({ artifactId: 7, runId: 8, runUrl: `${fake.url}/runs/8`, headSha: 'a'.repeat(40) })
      .catch((caught: unknown) => caught)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(error).toBeInstanceOf(GitHubApiError)
    expect((error as Error).message).toBe(
      'downloading the baseline report failed: the artifact service did not finish within 1 s'
    )
    expect(statuses()).toEqual(['actions/download-artifact 0'])
  })

  it('leaves answered requests alone: each gets a limit of its own, none a spent one', async () => {
    await postComment(impatient, 22, 'test', `${MARKER}\nbody`, false, logger)
    expect(statuses()).toEqual(['issues/list-comments 200', 'issues/create-comment 201'])
    expect(fake.comments(OWNER, REPO, 22)).toHaveLength(1)
  })
})
