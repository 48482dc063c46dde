import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { resolveBaseline as ResolveBaseline } from '../../src/baseline.js'
import { parseSettings } from '../../src/config.js'
import type { GitHubApiError as GitHubApiErrorClass, GitHubClient } from '../../src/publish/github.js'
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
let logger: ReturnType<typeof recordingLogger>
let postComment: typeof PostComment
let resolveBaseline: typeof ResolveBaseline
let GitHubApiError: typeof GitHubApiErrorClass

beforeAll(async () => {
  fake = await startFakeGitHub({ selfCheck: true })
  // As on a runner, the API's address comes from GITHUB_API_URL, which @actions/github reads when it is loaded.
  process.env.GITHUB_API_URL = fake.url
  const client = await import('../../src/publish/github.js')
  ;({ postComment } = await import('../../src/publish/index.js'))
  ;({ resolveBaseline } = await import('../../src/baseline.js'))
  GitHubApiError = client.GitHubApiError
  logger = recordingLogger()
  github = client.createGitHubClient('ghs_fake_token', { owner: OWNER, repo: REPO }, logger, { requestSeconds: 1 })
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

describe('a GitHub API that does not answer in time', () => {
  it('ends a request that is never answered at the time limit: a warning names the operation, nothing is retried', async () => {
    fake.failNext({ operationId: 'issues/list-comments' }, 'no-answer')
    const started = Date.now()
    await postComment(github, 21, 'test', `${MARKER}\nbody`, false, logger)
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
    const error = await github
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
      github,
      logger
    })
    expect(baseline.kind).toBe('none')
    expect(logger.lines).toEqual([
      'warning: no baseline: listing workflow runs for the baseline failed: GitHub did not answer ' +
        'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs within 1 s'
    ])
  })

  it('leaves answered requests alone: each gets a limit of its own, none a spent one', async () => {
    await postComment(github, 22, 'test', `${MARKER}\nbody`, false, logger)
    expect(statuses()).toEqual(['issues/list-comments 200', 'issues/create-comment 201'])
    expect(fake.comments(OWNER, REPO, 22)).toHaveLength(1)
  })
})
