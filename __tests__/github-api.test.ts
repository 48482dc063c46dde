import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { startFakeGitHub, type FakeGitHub } from './support/github-api.js'
import { unzipOf, zipOf } from './support/zip.js'

const OWNER = 'acme'
const REPO = 'shop'

interface LimitEvent {
  kind: 'primary' | 'secondary'
  retryAfter: number
}

let clients = 0

function clientFor(fake: FakeGitHub, limits: LimitEvent[] = []) {
  return getOctokit(
    'ghs_fake_token',
    {
      baseUrl: fake.url,
      throttle: {
        // each client gets its own write/notification queues, so one test never waits on another's writes
        id: `fake-github-${++clients}`,
        onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
          limits.push({ kind: 'primary', retryAfter })
          return retryCount < 1
        },
        onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
          limits.push({ kind: 'secondary', retryAfter })
          return retryCount < 1
        }
      }
    },
    retry,
    throttling
  )
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
    return 0
  } catch (error) {
    return (error as { status: number }).status
  }
}

/** Runs the system unzip on an archive, e.g. unzip(archive, '-p', name) for one entry's content. */
function unzip(archive: Buffer, option: string, ...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-github-'))
  try {
    const file = join(dir, 'artifact.zip')
    writeFileSync(file, archive)
    return execFileSync('unzip', [option, file, ...names], { encoding: 'utf8' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let fake: FakeGitHub

beforeEach(async () => {
  fake = await startFakeGitHub({ selfCheck: true })
})

afterEach(async () => {
  await fake.close()
})

describe('issue comments', () => {
  it('paginates 250 comments over three pages with Link headers', async () => {
    const bodies = Array.from({ length: 250 }, (_, i) => `comment ${i + 1}`)
    fake.seedComments(OWNER, REPO, 7, bodies, 'octocat')
    const octokit = clientFor(fake)

    const first = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 7, per_page: 100 })
    expect(first.data).toHaveLength(100)
    expect(first.headers.link).toBe(
      `<${fake.url}/repos/${OWNER}/${REPO}/issues/7/comments?per_page=100&page=2>; rel="next", ` +
        `<${fake.url}/repos/${OWNER}/${REPO}/issues/7/comments?per_page=100&page=3>; rel="last"`
    )

    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: OWNER,
      repo: REPO,
      issue_number: 7,
      per_page: 100
    })
    expect(all.map((c) => c.body)).toEqual(bodies)
    expect(all[0].user?.login).toBe('octocat')
    const pages = fake.requests.slice(1).map((r) => r.query.page ?? '1')
    expect(pages).toEqual(['1', '2', '3'])
    expect(fake.violations).toEqual([])
  })

  it('defaults to 30 per page and caps per_page at 100', async () => {
    fake.seedComments(
      OWNER,
      REPO,
      1,
      Array.from({ length: 130 }, (_, i) => `c${i}`)
    )
    const octokit = clientFor(fake)
    const byDefault = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 1 })
    const capped = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 1, per_page: 500 })
    expect(byDefault.data).toHaveLength(30)
    expect(capped.data).toHaveLength(100)
    expect(fake.violations).toEqual([])
  })

  it('creates, reads, updates and deletes a comment', async () => {
    const octokit = clientFor(fake)
    const created = await octokit.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: 3,
      body: '<!-- slimcheck -->\nfirst'
    })
    expect(created.status).toBe(201)
    expect(created.headers.location).toBe(created.data.url)
    expect(created.data.user?.login).toBe('github-actions[bot]')

    const updated = await octokit.rest.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: created.data.id,
      body: '<!-- slimcheck -->\nsecond'
    })
    expect(updated.data.id).toBe(created.data.id)
    expect(Date.parse(updated.data.updated_at)).toBeGreaterThan(Date.parse(created.data.updated_at))

    const fetched = await octokit.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: created.data.id })
    expect(fetched.data.body).toBe('<!-- slimcheck -->\nsecond')
    expect(fake.comments(OWNER, REPO, 3)).toEqual([
      expect.objectContaining({
        id: created.data.id,
        body: '<!-- slimcheck -->\nsecond',
        user: { login: 'github-actions[bot]' }
      })
    ])

    await octokit.rest.issues.deleteComment({ owner: OWNER, repo: REPO, comment_id: created.data.id })
    expect(fake.comments(OWNER, REPO, 3)).toEqual([])
    expect(fake.requests.map((r) => `${r.operationId} ${r.status}`)).toEqual([
      'issues/create-comment 201',
      'issues/update-comment 200',
      'issues/get-comment 200',
      'issues/delete-comment 204'
    ])
    expect(fake.requests[0].body).toEqual({ body: '<!-- slimcheck -->\nfirst' })
    expect(fake.violations).toEqual([])
  })

  it('answers 404 for a comment that does not exist, or lives in another repository', async () => {
    const [seeded] = fake.seedComments('someone', 'else', 1, ['elsewhere'])
    const octokit = clientFor(fake)
    expect(
      await statusOf(octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: 424242, body: 'x' }))
    ).toBe(404)
    expect(await statusOf(octokit.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: seeded.id }))).toBe(
      404
    )
    expect(fake.violations).toEqual([])
  })

  it('filters comments by since', async () => {
    fake.seedComments(OWNER, REPO, 2, ['old', 'new'])
    const [, newer] = fake.comments(OWNER, REPO, 2)
    const octokit = clientFor(fake)
    const { data } = await octokit.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: 2,
      since: newer.updated_at
    })
    expect(data.map((c) => c.body)).toEqual(['new'])
    expect(fake.violations).toEqual([])
  })
})

describe('request validation', () => {
  it('records a body that does not match the description and answers 422', async () => {
    const octokit = clientFor(fake)
    const status = await statusOf(octokit.request(`POST /repos/${OWNER}/${REPO}/issues/1/comments`, { bdy: 'x' }))
    expect(status).toBe(422)
    expect(fake.violations).toEqual([
      expect.stringContaining("must have required property 'body'"),
      expect.stringContaining('body key "bdy" is not a permitted key')
    ])
    expect(fake.requests).toEqual([])
    expect(fake.comments(OWNER, REPO, 1)).toEqual([])
  })

  it('records a path or method GitHub does not have and answers 404 like GitHub', async () => {
    const octokit = clientFor(fake)
    const error = await octokit.request(`GET /repos/${OWNER}/${REPO}/slimcheck/results`).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } })
    expect(await statusOf(octokit.request(`PUT /repos/${OWNER}/${REPO}/actions/artifacts`))).toBe(404)
    expect(fake.violations).toEqual([
      expect.stringMatching(/^GET \/repos\/acme\/shop\/slimcheck\/results: no GET operation/),
      expect.stringMatching(/^PUT \/repos\/acme\/shop\/actions\/artifacts: no PUT operation/)
    ])
  })

  it('records query values outside their schema, and unknown query parameters', async () => {
    fake.seedWorkflowRuns(OWNER, REPO, [{}])
    const octokit = clientFor(fake)
    const bad = octokit.request(`GET /repos/${OWNER}/${REPO}/actions/runs`, { status: 'green' })
    expect(await statusOf(bad)).toBe(422)
    const typo = await octokit.request(`GET /repos/${OWNER}/${REPO}/actions/runs`, { per_pge: 5 })
    expect(typo.status).toBe(200)
    const wrongType = octokit.request(`GET /repos/${OWNER}/${REPO}/issues/1/comments`, { per_page: 'many' })
    expect(await statusOf(wrongType)).toBe(422)
    expect(fake.violations).toEqual([
      expect.stringContaining('query parameter "status"="green"'),
      expect.stringContaining('unknown query parameter "per_pge"'),
      expect.stringContaining('query parameter "per_page"="many"')
    ])
  })

  it('answers 404 for a path parameter of the wrong type', async () => {
    const octokit = clientFor(fake)
    expect(await statusOf(octokit.request(`GET /repos/${OWNER}/${REPO}/issues/comments/latest`))).toBe(404)
    expect(fake.violations).toEqual([expect.stringContaining('path parameter "comment_id"="latest"')])
  })

  it('requires an Authorization header', async () => {
    const response = await fetch(`${fake.url}/repos/${OWNER}/${REPO}`)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ message: 'Requires authentication' })
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(fake.violations).toEqual([expect.stringContaining('no "Authorization: token …" or "Bearer …" header')])
    const bearer = await fetch(`${fake.url}/repos/${OWNER}/${REPO}`, { headers: { authorization: 'Bearer abc' } })
    expect(bearer.status).toBe(200)
  })

  it('sends the headers GitHub sends', async () => {
    const octokit = clientFor(fake)
    const first = await octokit.rest.repos.get({ owner: OWNER, repo: REPO })
    const second = await octokit.rest.repos.get({ owner: OWNER, repo: REPO })
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(first.headers['x-github-request-id']).toMatch(
      /^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/
    )
    expect(first.headers['x-ratelimit-limit']).toBe('5000')
    expect(first.headers['x-ratelimit-resource']).toBe('core')
    expect(Number(second.headers['x-ratelimit-remaining'])).toBe(Number(first.headers['x-ratelimit-remaining']) - 1)
    expect(fake.requests[0].headers.authorization).toBe('token ghs_fake_token')
  })
})

describe('faults', () => {
  it('answers a read-only token with 403 Resource not accessible by integration, without retrying', async () => {
    fake.failNext({ operationId: 'issues/create-comment' }, 'forbidden')
    const octokit = clientFor(fake)
    const error = await octokit.rest.issues
      .createComment({ owner: OWNER, repo: REPO, issue_number: 9, body: 'x' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      status: 403,
      response: {
        data: {
          message: 'Resource not accessible by integration',
          status: '403',
          documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment'
        }
      }
    })
    expect(fake.requests).toHaveLength(1)
    const next = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: 9, body: 'y' })
    expect(next.status).toBe(201)
    expect(fake.comments(OWNER, REPO, 9).map((c) => c.body)).toEqual(['y'])
    expect(fake.violations).toEqual([])
  })

  it('lets plugin-retry recover from a server error', async () => {
    fake.seedComments(OWNER, REPO, 5, ['hello'])
    fake.failNext({ method: 'GET', operationId: 'issues/list-comments' }, 'server-error')
    const octokit = clientFor(fake)
    const { data } = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 5 })
    expect(data.map((c) => c.body)).toEqual(['hello'])
    expect(fake.requests.map((r) => r.status)).toEqual([500, 200])
    expect(fake.violations).toEqual([])
  })

  it('answers 502 with a body when the gateway fails', async () => {
    fake.failNext({ method: 'GET' }, 'bad-gateway')
    const octokit = clientFor(fake)
    const error = await octokit.rest.repos
      .get({ owner: OWNER, repo: REPO, request: { retries: 0 } })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 502, response: { data: { message: 'Server Error' } } })
    expect(fake.violations).toEqual([])
  })

  it('answers 404 when told to, for the matching operation only', async () => {
    fake.failNext({ operationId: 'repos/get' }, 'not-found', 2)
    const octokit = clientFor(fake)
    fake.seedComments(OWNER, REPO, 1, ['a'])
    expect((await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 1 })).status).toBe(200)
    expect(await statusOf(octokit.rest.repos.get({ owner: OWNER, repo: REPO }))).toBe(404)
    expect(await statusOf(octokit.rest.repos.get({ owner: OWNER, repo: REPO }))).toBe(404)
    expect((await octokit.rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200)
  })

  it('signals a secondary rate limit that plugin-throttling waits out', async () => {
    fake.failNext({ operationId: 'issues/create-comment' }, 'secondary-rate-limit')
    const limits: LimitEvent[] = []
    const octokit = clientFor(fake, limits)
    const created = await octokit.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: 4,
      body: 'after the wait'
    })
    expect(created.status).toBe(201)
    expect(limits).toEqual([{ kind: 'secondary', retryAfter: 1 }])
    expect(fake.requests.map((r) => r.status)).toEqual([403, 201])
    expect(fake.comments(OWNER, REPO, 4)).toHaveLength(1)
    expect(fake.violations).toEqual([])
  })

  it('signals an exhausted primary rate limit', async () => {
    fake.failNext({ operationId: 'repos/get' }, 'rate-limit')
    const limits: LimitEvent[] = []
    const octokit = clientFor(fake, limits)
    const { data } = await octokit.rest.repos.get({ owner: OWNER, repo: REPO })
    expect(data.default_branch).toBe('main')
    expect(limits.map((l) => l.kind)).toEqual(['primary'])
  })
})

describe('workflow runs', () => {
  function seedHistory(): void {
    fake.seedWorkflowRuns(OWNER, REPO, [
      {
        branch: 'main',
        event: 'push',
        conclusion: 'success',
        headSha: 'a'.repeat(40),
        createdAt: '2025-03-01T10:00:00Z'
      },
      {
        branch: 'main',
        event: 'push',
        conclusion: 'failure',
        headSha: 'b'.repeat(40),
        createdAt: '2025-03-02T10:00:00Z'
      },
      {
        branch: 'main',
        event: 'push',
        conclusion: 'success',
        headSha: 'c'.repeat(40),
        createdAt: '2025-03-03T10:00:00Z'
      },
      { branch: 'main', event: 'schedule', conclusion: 'success', createdAt: '2025-03-04T10:00:00Z' },
      { branch: 'feature', event: 'pull_request', conclusion: 'success', createdAt: '2025-03-05T10:00:00Z' },
      { branch: 'main', event: 'push', status: 'in_progress', createdAt: '2025-03-06T10:00:00Z' },
      { workflow: 'other.yml', branch: 'main', event: 'push', conclusion: 'success', createdAt: '2025-03-07T10:00:00Z' }
    ])
  }

  it('filters a workflow’s runs by branch, event and conclusion, newest first', async () => {
    seedHistory()
    const octokit = clientFor(fake)
    const { data } = await octokit.rest.actions.listWorkflowRuns({
      owner: OWNER,
      repo: REPO,
      workflow_id: 'slimcheck.yml',
      branch: 'main',
      event: 'push',
      status: 'success'
    })
    expect(data.total_count).toBe(2)
    expect(data.workflow_runs.map((r) => r.head_sha)).toEqual(['c'.repeat(40), 'a'.repeat(40)])
    expect(data.workflow_runs[0]).toMatchObject({
      path: '.github/workflows/slimcheck.yml',
      head_branch: 'main',
      conclusion: 'success',
      status: 'completed'
    })

    const completed = await octokit.rest.actions.listWorkflowRuns({
      owner: OWNER,
      repo: REPO,
      workflow_id: 'slimcheck.yml',
      status: 'completed'
    })
    expect(completed.data.total_count).toBe(5)
    const byId = await octokit.rest.actions.listWorkflowRuns({
      owner: OWNER,
      repo: REPO,
      workflow_id: data.workflow_runs[0].workflow_id
    })
    expect(byId.data.total_count).toBe(6)
    const single = await octokit.rest.actions.getWorkflowRun({
      owner: OWNER,
      repo: REPO,
      run_id: data.workflow_runs[1].id
    })
    expect(single.data.head_sha).toBe('a'.repeat(40))
    expect(fake.violations).toEqual([])
  })

  it('lists a repository’s runs by head_sha and paginates them', async () => {
    seedHistory()
    const octokit = clientFor(fake)
    const bySha = await octokit.rest.actions.listWorkflowRunsForRepo({
      owner: OWNER,
      repo: REPO,
      head_sha: 'b'.repeat(40)
    })
    expect(bySha.data.workflow_runs.map((r) => r.conclusion)).toEqual(['failure'])
    const all = await octokit.paginate(octokit.rest.actions.listWorkflowRunsForRepo, {
      owner: OWNER,
      repo: REPO,
      per_page: 3
    })
    expect(all.map((r) => r.created_at)).toEqual([
      '2025-03-07T10:00:00Z',
      '2025-03-06T10:00:00Z',
      '2025-03-05T10:00:00Z',
      '2025-03-04T10:00:00Z',
      '2025-03-03T10:00:00Z',
      '2025-03-02T10:00:00Z',
      '2025-03-01T10:00:00Z'
    ])
    expect(fake.violations).toEqual([])
  })

  it('answers 404 for a workflow the repository does not have, and an empty list for one without runs', async () => {
    fake.seedWorkflow(OWNER, REPO, 'slimcheck.yml')
    const octokit = clientFor(fake)
    expect(
      await statusOf(octokit.rest.actions.listWorkflowRuns({ owner: OWNER, repo: REPO, workflow_id: 'missing.yml' }))
    ).toBe(404)
    const { data } = await octokit.rest.actions.listWorkflowRuns({
      owner: OWNER,
      repo: REPO,
      workflow_id: 'slimcheck.yml'
    })
    expect(data).toEqual({ total_count: 0, workflow_runs: [] })
  })
})

describe('artifacts', () => {
  it('lists artifacts by name and downloads one through the redirect', async () => {
    const [older, newer] = fake.seedWorkflowRuns(OWNER, REPO, [{ branch: 'main' }, { branch: 'main' }])
    fake.seedArtifact(OWNER, REPO, {
      runId: older.id,
      name: 'slimcheck-report',
      files: { 'report.json': '{"run":"older"}' }
    })
    const wanted = fake.seedArtifact(OWNER, REPO, {
      runId: newer.id,
      name: 'slimcheck-report',
      files: { 'report.json': '{"run":"newer"}', 'logs/build.txt': 'ok' }
    })
    fake.seedArtifact(OWNER, REPO, { runId: newer.id, name: 'coverage', zip: zipOf({ 'lcov.info': 'TN:' }) })
    const octokit = clientFor(fake)

    const forRepo = await octokit.rest.actions.listArtifactsForRepo({
      owner: OWNER,
      repo: REPO,
      name: 'slimcheck-report'
    })
    expect(forRepo.data.total_count).toBe(2)
    expect(forRepo.data.artifacts[0]).toMatchObject({
      id: wanted.id,
      expired: false,
      workflow_run: { id: newer.id, head_branch: 'main' }
    })

    const forRun = await octokit.rest.actions.listWorkflowRunArtifacts({
      owner: OWNER,
      repo: REPO,
      run_id: newer.id,
      name: 'slimcheck-report'
    })
    expect(forRun.data.artifacts.map((a) => a.id)).toEqual([wanted.id])
    const single = await octokit.rest.actions.getArtifact({ owner: OWNER, repo: REPO, artifact_id: wanted.id })
    expect(single.data.archive_download_url).toBe(
      `${fake.url}/repos/${OWNER}/${REPO}/actions/artifacts/${wanted.id}/zip`
    )

    const download = await octokit.rest.actions.downloadArtifact({
      owner: OWNER,
      repo: REPO,
      artifact_id: wanted.id,
      archive_format: 'zip'
    })
    const archive = Buffer.from(download.data as ArrayBuffer)
    expect(archive.length).toBe(forRun.data.artifacts[0].size_in_bytes)
    expect(unzip(archive, '-p', 'report.json')).toBe('{"run":"newer"}')
    expect(unzip(archive, '-p', 'logs/build.txt')).toBe('ok')
    expect(fake.requests.at(-1)).toMatchObject({ operationId: 'actions/download-artifact', status: 302 })
    expect(fake.violations).toEqual([])
  })

  it('answers 410 for an expired artifact and 404 for an unknown one', async () => {
    const [run] = fake.seedWorkflowRuns(OWNER, REPO, [{}])
    const expired = fake.seedArtifact(OWNER, REPO, { runId: run.id, name: 'old', files: { a: 'b' }, expired: true })
    const octokit = clientFor(fake)
    expect(
      await statusOf(
        octokit.rest.actions.downloadArtifact({
          owner: OWNER,
          repo: REPO,
          artifact_id: expired.id,
          archive_format: 'zip'
        })
      )
    ).toBe(410)
    expect(
      await statusOf(
        octokit.rest.actions.downloadArtifact({ owner: OWNER, repo: REPO, artifact_id: 1, archive_format: 'zip' })
      )
    ).toBe(404)
    expect(fake.violations).toEqual([])
  })
})

describe('repositories and pull requests', () => {
  it('reports the default branch and a seeded pull request from a fork', async () => {
    fake.seedRepo(OWNER, REPO, { defaultBranch: 'trunk' })
    fake.seedPull(OWNER, REPO, 12, { headRef: 'feature', headSha: 'd'.repeat(40), headRepo: 'contributor/shop' })
    const octokit = clientFor(fake)
    const repo = await octokit.rest.repos.get({ owner: OWNER, repo: REPO })
    expect(repo.data).toMatchObject({ full_name: 'acme/shop', default_branch: 'trunk' })
    const pull = await octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 12 })
    expect(pull.data.head).toMatchObject({
      ref: 'feature',
      sha: 'd'.repeat(40),
      repo: { full_name: 'contributor/shop', fork: true }
    })
    expect(pull.data.base).toMatchObject({ ref: 'trunk', repo: { full_name: 'acme/shop' } })
    expect(await statusOf(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 13 }))).toBe(404)
    expect(fake.violations).toEqual([])
  })
})

describe('zipOf', () => {
  it('builds archives that unzip reads and that unzipOf reads back', () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256))
    const archive = zipOf({ 'a.txt': 'hello\n', 'dir/ü.json': '{"x":1}', 'bin.dat': binary, empty: '' })
    expect(unzip(archive, '-tq')).toMatch(/No errors detected/)
    expect(unzip(archive, '-p', 'dir/ü.json')).toBe('{"x":1}')
    const files = unzipOf(archive)
    expect(Object.keys(files)).toEqual(['a.txt', 'dir/ü.json', 'bin.dat', 'empty'])
    expect(files['bin.dat'].equals(binary)).toBe(true)
    expect(files['empty'].length).toBe(0)
  })
})
