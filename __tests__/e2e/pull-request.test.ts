import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { signedBytes } from '../../src/format.js'
import type { Report } from '../../src/types.js'
import { pullRequestEvent, pushEvent, REPOSITORY } from '../support/events.js'
import { createFixtureRepo, type FixtureRepo } from '../support/git-fixture.js'
import { startFakeResults } from '../support/actions-results.js'
import type { FakeGitHub } from '../support/github-api.js'
import { runAction, type ActionRun } from '../support/runner.js'
import { useWorkflowServices } from '../support/workflow-services.js'
import { TEST_BASE } from '../support/workspace.js'

const PR = 7
const MARKER = '<!-- slimcheck:comment slimcheck/images -->'

const dockerfile = (kilobytes: number): string =>
  `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=${kilobytes}\n`

const services = useWorkflowServices()

function runnerEnv(extra: Record<string, string> = {}, ref = `refs/pull/${PR}/merge`): Record<string, string> {
  return { ...services.jobEnv('images', ref), ...extra }
}

async function runOnPullRequest(
  repo: FixtureRepo,
  inputs: Record<string, string> = {},
  options: { fork?: boolean; eventName?: string } = {}
): Promise<ActionRun & { report: Report; workspace: string }> {
  const workspace = repo.checkout('pr')
  const run = await runAction({
    workspace,
    eventName: options.eventName ?? 'pull_request',
    event: pullRequestEvent({ number: PR, baseSha: repo.mainSha, headSha: repo.prSha, fork: options.fork }),
    inputs: { 'github-token': 'ghs_fake_token', ...inputs },
    env: runnerEnv({ GITHUB_SHA: repo.prSha, GITHUB_REF: `refs/pull/${PR}/merge` })
  })
  const reportFile = path.join(workspace, 'slimcheck-report.json')
  return { ...run, workspace, report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report }
}

function comparisonOf(report: Report, name: string) {
  const found = report.comparison?.variants.find((variant) => variant.name === name)
  if (!found) throw new Error(`no comparison for ${name}`)
  return found
}

describe('a pull request that changes one variant', () => {
  const repo = createFixtureRepo(
    { 'Dockerfile.app': dockerfile(256), 'Dockerfile.stable': dockerfile(64), 'Dockerfile.old': dockerfile(8) },
    { 'Dockerfile.app': dockerfile(1024), 'Dockerfile.new': dockerfile(16), 'Dockerfile.old': null }
  )

  it('builds the base in a worktree, interleaved, creates one comment, then updates it in place', async () => {
    services.github.seedComments(
      REPOSITORY.owner,
      REPOSITORY.repo,
      PR,
      Array.from({ length: 120 }, (_, index) => `review comment ${index}`),
      'octocat'
    )
    const [quoted] = services.github.seedComments(
      REPOSITORY.owner,
      REPOSITORY.repo,
      PR,
      [`${MARKER}\nA person quoting the marker`],
      'octocat'
    )

    const first = await runOnPullRequest(repo)
    expect(first.exitCode).toBe(0)
    const groups = first.stdout.split('\n').filter((line) => line.startsWith('::group::Build '))
    expect(groups).toEqual([
      '::group::Build app (base, cold cache)',
      '::group::Build app (head, cold cache)',
      '::group::Build new (head, cold cache)',
      '::group::Build stable (head, cold cache)',
      '::group::Build old (base, cold cache)'
    ])
    // stable's inputs are the same on both sides: built once, its measurement serves both.
    expect(first.report.variants.find((variant) => variant.name === 'stable')?.reused).toEqual({ kind: 'shared' })
    expect(first.report.comparison!.baseline).toEqual({ source: 'build', commit: repo.mainSha })
    expect(comparisonOf(first.report, 'app')).toMatchObject({ kind: 'changed', size: { delta: (1024 - 256) * 1024 } })
    expect(comparisonOf(first.report, 'stable').kind).toBe('unchanged')
    expect(comparisonOf(first.report, 'new').kind).toBe('added')
    expect(comparisonOf(first.report, 'old').kind).toBe('removed')

    const botComments = (): ReturnType<FakeGitHub['comments']> =>
      services.github
        .comments(REPOSITORY.owner, REPOSITORY.repo, PR)
        .filter((comment) => comment.user.login === 'github-actions[bot]' && comment.body.includes(MARKER))
    const comments = botComments()
    expect(comments).toHaveLength(1)
    const body = comments[0].body
    expect(body.startsWith(MARKER)).toBe(true)
    expect(body.split('\n')[2]).toMatch(
      /^✅ \*\*slimcheck\*\*: no new violations\. Largest change: `app` \+786 kB \(\+\d+\.\d%\)\. Total \+\d+ kB \(.* → .*\), with 1 added and 1 removed variant\.$/
    )
    expect(body).toContain('| `app` |')
    expect(body).toContain('🆕 added')
    expect(body).toContain('🗑️ removed')
    expect(body).toMatch(/<details><summary>1 unchanged variant<\/summary>[\s\S]*\| `stable` \|/)
    // One variant changed size, so there is no chart to draw.
    expect(body).not.toContain('```mermaid')
    expect(first.outputs['comment-body']).toBe(body)
    expect(first.outputs).toMatchObject({ passed: 'true', violations: '0' })
    // app's growth, plus the added variant, less the removed one (which has 8 KiB less data than the new one).
    expect(Number(first.outputs['size-delta'])).toBeGreaterThan(786_432)
    // The summary, the report and size-delta publish that one total.
    expect(first.report.comparison!.totalSize!.delta).toBe(Number(first.outputs['size-delta']))
    expect(first.outputs.summary).toContain(
      `; total size ${signedBytes(Number(first.outputs['size-delta']))} (with 1 added and 1 removed variant); `
    )
    expect(first.summary).toContain('| `app` |')
    expect(fs.existsSync(path.join(first.workspace, '.git'))).toBe(true)
    expect(services.github.violations).toEqual([])

    const second = await runOnPullRequest(repo)
    expect(second.exitCode).toBe(0)
    const after = botComments()
    expect(after).toHaveLength(1)
    expect(after[0].id).toBe(comments[0].id)
    expect(
      services.github.comments(REPOSITORY.owner, REPOSITORY.repo, PR).find((comment) => comment.id === quoted.id)?.body
    ).toBe(quoted.body)
    expect(services.github.requests.filter((request) => request.operationId === 'issues/update-comment')).toHaveLength(
      1
    )
    expect(services.github.requests.filter((request) => request.operationId === 'issues/create-comment')).toHaveLength(
      1
    )
    expect(services.github.violations).toEqual([])
  })

  it('fails the step on a policy violation, saying which variant, which limit and by how much', async () => {
    const run = await runOnPullRequest(repo, {
      baseline: 'build',
      'max-size-increase': '10%',
      comment: 'false',
      runs: '2'
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout.split('\n').filter((line) => line.startsWith('::group::Build app '))).toEqual([
      '::group::Build app (base, run 1/2, cold cache)',
      '::group::Build app (head, run 1/2, cold cache)',
      '::group::Build app (base, run 2/2, cold cache)',
      '::group::Build app (head, run 2/2, cold cache)'
    ])
    expect(comparisonOf(run.report, 'app').time?.runs).toEqual({ before: 2, after: 2 })
    const violation = run.annotations.find(
      (annotation) => annotation.level === 'error' && annotation.message.includes('max-size-increase')
    )
    expect(violation?.properties.file).toBe('Dockerfile.app')
    expect(violation?.message).toMatch(
      /^app: uncompressed size grew by 786 kB \(786432 bytes, \+\d+\.\d%\), over max-size-increase 10% by /
    )
    expect(run.outputs['comment-body']).toContain('### Policy')
    expect(run.outputs.summary).toMatch(/policy failed \(1\)$/)
    expect(run.outputs).toMatchObject({ passed: 'false', violations: '1' })
  })

  it('warns and still passes by policy when a fork pull request cannot comment', async () => {
    services.github.failNext({ operationId: 'issues/create-comment' }, 'forbidden')
    services.github.failNext({ operationId: 'issues/update-comment' }, 'forbidden')
    const run = await runOnPullRequest(repo, { baseline: 'build' }, { fork: true })
    expect(run.exitCode).toBe(0)
    const warning = run.annotations.find(
      (annotation) =>
        annotation.level === 'warning' && annotation.message.includes('could not post the slimcheck comment')
    )
    expect(warning?.message).toContain('HTTP 403')
    expect(warning?.message).toContain('Pull requests from forks get a read-only token')
    expect(warning?.message).toContain('workflow_run')
    expect(run.outputs['comment-body']).toContain(MARKER)
  })

  it('stores the report on a push to main, and a pull request then compares with that artifact instead of building', async () => {
    const workspace = repo.checkout('main')
    const push = await runAction({
      workspace,
      eventName: 'push',
      event: pushEvent(repo.mainSha),
      inputs: { 'github-token': 'ghs_fake_token' },
      env: runnerEnv(
        { ...services.results.env, GITHUB_SHA: repo.mainSha, GITHUB_REF: 'refs/heads/main' },
        'refs/heads/main'
      )
    })
    expect(push.exitCode).toBe(0)
    expect(push.summary).toContain('| `app` | ✅ built |')
    expect(push.stdout).not.toContain('slimcheck comment')
    expect(services.results.violations).toEqual([])
    const commentsBefore = services.github.requests.filter((request) =>
      request.operationId.startsWith('issues/')
    ).length
    const stored = services.results.artifacts.find((artifact) => artifact.name === 'slimcheck-report')
    expect(stored).toBeDefined()
    expect((JSON.parse(stored!.files['slimcheck-report.json'].toString()) as Report).commit).toBe(repo.mainSha)
    expect(commentsBefore).toBe(
      services.github.requests.filter((request) => request.operationId.startsWith('issues/')).length
    )

    // A push run that failed by its policy (findings already on main) stored its report all the same.
    const [run] = services.github.seedWorkflowRuns(REPOSITORY.owner, REPOSITORY.repo, [
      { workflow: 'slimcheck.yml', branch: 'main', headSha: repo.mainSha, event: 'push', conclusion: 'failure' }
    ])
    services.github.seedArtifact(REPOSITORY.owner, REPOSITORY.repo, {
      name: 'slimcheck-report',
      runId: run.id,
      zip: stored!.zip
    })

    const pr = await runOnPullRequest(repo, { comment: 'false' })
    expect(pr.exitCode).toBe(0)
    expect(pr.report.comparison!.baseline).toMatchObject({ source: 'artifact', commit: repo.mainSha, runId: run.id })
    expect(pr.stdout).not.toContain('(base, cold cache)')
    expect(comparisonOf(pr.report, 'app')).toMatchObject({ kind: 'changed', size: { delta: (1024 - 256) * 1024 } })
    expect(pr.outputs['comment-body']).toContain(`run ${run.id}`)
    expect(services.github.violations).toEqual([])
  })

  it('rides out a 5xx and a secondary rate limit, and falls back to building when the stored report is gone', async () => {
    const [run] = services.github.seedWorkflowRuns(REPOSITORY.owner, REPOSITORY.repo, [
      { workflow: 'slimcheck.yml', branch: 'main', headSha: repo.mainSha, event: 'push' }
    ])
    services.github.seedArtifact(REPOSITORY.owner, REPOSITORY.repo, {
      name: 'slimcheck-report',
      runId: run.id,
      files: { 'slimcheck-report.json': '{}' }
    })
    services.github.failNext({ operationId: 'actions/download-artifact' }, 'not-found')
    services.github.failNext({ operationId: 'issues/list-comments' }, 'server-error')
    services.github.failNext({ operationId: 'issues/update-comment' }, 'secondary-rate-limit')
    const result = await runOnPullRequest(repo)
    expect(result.exitCode).toBe(0)
    expect(result.report.comparison!.baseline).toEqual({ source: 'build', commit: repo.mainSha })
    expect(
      result.annotations.some(
        (annotation) =>
          annotation.level === 'warning' &&
          /baseline artifact unavailable .*building the base commit instead/.test(annotation.message)
      )
    ).toBe(true)
    expect(result.stdout).toContain('Updated the slimcheck comment')
    expect(
      services.github
        .comments(REPOSITORY.owner, REPOSITORY.repo, PR)
        .filter((comment) => comment.user.login === 'github-actions[bot]' && comment.body.includes(MARKER))
    ).toHaveLength(1)
    expect(services.github.violations).toEqual([])
  })

  it('goes on without the stored report when GitHub asks for an hour, and retries a bare 429', async () => {
    services.github.failNext({ operationId: 'actions/list-workflow-runs' }, 'hour-long-secondary-rate-limit')
    services.github.failNext({ operationId: 'issues/list-comments' }, 'too-many-requests')
    const result = await runOnPullRequest(repo)
    expect(result.exitCode).toBe(0)
    expect(result.report.comparison!.baseline).toEqual({ source: 'build', commit: repo.mainSha })
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(
          /^baseline artifact unavailable \(listing workflow runs for the baseline failed with HTTP 403: You have exceeded a secondary rate limit\. .* \(GitHub asked to wait 3600 s; slimcheck waits at most 60 s a request\)\); building the base commit instead$/
        )
      })
    )
    expect(result.stdout).toMatch(/GitHub answered 429 to GET \S+\/issues\/7\/comments\S*: retrying in 1 s/)
    expect(result.stdout).toMatch(/(Posted|Updated) the slimcheck comment/)
    expect(services.github.violations).toEqual([])
  })

  it('still reports the head, and fails as not checked, when the base commit cannot be had', async () => {
    const workspace = repo.checkout('pr')
    const missing = 'f'.repeat(40)
    const run = await runAction({
      workspace,
      eventName: 'pull_request',
      event: pullRequestEvent({ number: PR, baseSha: missing, headSha: repo.prSha }),
      inputs: { 'github-token': 'ghs_fake_token', baseline: 'build', comment: 'false' },
      env: runnerEnv({ GITHUB_SHA: repo.prSha, GITHUB_REF: `refs/pull/${PR}/merge` })
    })
    expect(run.exitCode).toBe(1)
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    expect(report.comparison!.baseline.source).toBe('none')
    expect(report.comparison!.baseline.unavailable).toContain(
      `the base commit ${missing} is not in the checkout and could not be fetched`
    )
    expect(report.comparison!.violations.map((violation) => violation.limit)).toEqual(['not-compared'])
    expect(run.outputs).toMatchObject({ passed: 'false', result: 'not-checked' })
    expect(
      run.annotations.some(
        (annotation) => annotation.level === 'warning' && annotation.message.startsWith('no baseline:')
      )
    ).toBe(true)
    expect(report.variants.map((variant) => variant.status)).toEqual(['built', 'built', 'built'])
  })

  it('refuses pull_request_target unless allowed, and says why', async () => {
    const run = await runOnPullRequest(repo, {}, { eventName: 'pull_request_target' })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('refusing to run on pull_request_target')
    expect(run.stdout).not.toContain('::group::Build')
    expect(run.report.problems[0]).toContain('write token')
  })
})

describe('a pull request that breaks one variant', () => {
  const repo = createFixtureRepo(
    { 'Dockerfile.ok': dockerfile(32), 'Dockerfile.fragile': dockerfile(32) },
    { 'Dockerfile.fragile': `FROM ${TEST_BASE}\nRUN echo 'half way' && exit 7\n` }
  )

  it('shows the failed side, keeps the other variants, and fails the step', async () => {
    const run = await runOnPullRequest(repo, { baseline: 'build', comment: 'false' })
    expect(run.exitCode).toBe(1)
    expect(comparisonOf(run.report, 'fragile')).toMatchObject({
      kind: 'failed',
      baseStatus: 'built',
      headStatus: 'failed'
    })
    expect(comparisonOf(run.report, 'ok')).toMatchObject({ kind: 'unchanged', size: { delta: 0 } })
    const body = run.outputs['comment-body']
    expect(body).toMatch(/\| ❌ `fragile` \| .* → ❌ failed \| PR build failed \|/)
    expect(body).toContain('half way')
    expect(
      run.annotations.some(
        (annotation) => annotation.level === 'error' && annotation.message.includes('fragile: build failed')
      )
    ).toBe(true)
  })
})

describe('a merged pull request that added a Dockerfile wanting an existing variant’s name', () => {
  const repo = createFixtureRepo({ 'api/Dockerfile': dockerfile(8) }, { 'Dockerfile.api': dockerfile(16) })
  const ARTIFACT = 'slimcheck-names'

  async function pushRun(ref: 'main' | 'pr', results = services.results): Promise<ActionRun & { report: Report }> {
    const sha = ref === 'main' ? repo.mainSha : repo.prSha
    const workspace = repo.checkout(ref)
    const run = await runAction({
      workspace,
      eventName: 'push',
      event: pushEvent(sha),
      // An artifact name of this test's own: the job's artifacts share one run with the other tests'.
      inputs: { 'github-token': 'ghs_fake_token', 'artifact-name': ARTIFACT },
      env: runnerEnv({ ...results.env, GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main' }, 'refs/heads/main')
    })
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    return { ...run, report }
  }

  it('leaves the name on main with the Dockerfile main’s stored report gave it, not with the first by path', async () => {
    const before = await pushRun('main')
    expect(before.report.variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
      ['api', 'api/Dockerfile']
    ])
    const [run] = services.github.seedWorkflowRuns(REPOSITORY.owner, REPOSITORY.repo, [
      { workflow: 'slimcheck.yml', branch: 'main', headSha: repo.mainSha, event: 'push' }
    ])
    const stored = services.results.artifacts.find((artifact) => artifact.name === ARTIFACT)
    services.github.seedArtifact(REPOSITORY.owner, REPOSITORY.repo, {
      name: ARTIFACT,
      runId: run.id,
      zip: stored!.zip
    })

    // The push after the merge is another workflow run, with an artifact store of its own.
    const nextRun = await startFakeResults()
    const merged = await pushRun('pr', nextRun).finally(() => nextRun.close())
    expect(merged.exitCode).toBe(0)
    expect(nextRun.artifacts.map((artifact) => artifact.name)).toEqual([ARTIFACT])
    expect([...services.results.violations, ...nextRun.violations]).toEqual([])
    expect(merged.stdout).toContain(`Variant names: kept from artifact '${ARTIFACT}' of run ${run.id}`)
    expect(merged.report.variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
      ['Dockerfile.api', 'Dockerfile.api'],
      ['api', 'api/Dockerfile']
    ])
    expect(services.github.violations).toEqual([])
  })
})
