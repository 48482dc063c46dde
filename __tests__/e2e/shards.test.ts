import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { measurementDifferences } from '../support/measurements.js'
import type { Report } from '../../src/types.js'
import { pullRequestEvent, pushEvent, REPOSITORY } from '../support/events.js'
import { createFixtureRepo, type FixtureRepo } from '../support/git-fixture.js'
import type { FakeGitHub } from '../support/github-api.js'
import { runAction, type ActionRun } from '../support/runner.js'
import { useWorkflowServices } from '../support/workflow-services.js'
import { TEST_BASE } from '../support/workspace.js'

const PR = 11
/** The merge job's comment: workflow `slimcheck`, job `slimcheck`. */
const MARKER = '<!-- slimcheck:comment slimcheck/slimcheck -->'
const LONG = 600_000
/** What the pull request does to each variant, in every merged report. */
const KINDS = { app: 'changed', new: 'added', stable: 'unchanged', tools: 'unchanged', old: 'removed' }

const dockerfile = (kilobytes: number): string =>
  `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=${kilobytes}\n`

const services = useWorkflowServices()

type Run = ActionRun & { workspace: string; report: Report }

function readReport(workspace: string, file: string): Report {
  return JSON.parse(fs.readFileSync(path.join(workspace, file), 'utf8')) as Report
}

/** The environment of one job of the workflow, on a pull request or on a push to main. */
function jobEnv(repo: FixtureRepo, event: 'pull_request' | 'push', job: string): Record<string, string> {
  const ref = event === 'push' ? 'refs/heads/main' : `refs/pull/${PR}/merge`
  return {
    ...services.results.env,
    ...services.jobEnv(job, ref),
    GITHUB_SHA: event === 'push' ? repo.mainSha : repo.prSha,
    GITHUB_REF: ref
  }
}

function eventOf(repo: FixtureRepo, event: 'pull_request' | 'push'): unknown {
  return event === 'push'
    ? pushEvent(repo.mainSha)
    : pullRequestEvent({ number: PR, baseSha: repo.mainSha, headSha: repo.prSha })
}

async function runJob(
  repo: FixtureRepo,
  event: 'pull_request' | 'push',
  job: string,
  workspace: string,
  inputs: Record<string, string>
): Promise<Run> {
  const run = await runAction({
    workspace,
    eventName: event,
    event: eventOf(repo, event),
    inputs: { 'github-token': 'ghs_fake_token', ...inputs },
    env: jobEnv(repo, event, job),
    timeoutMs: LONG
  })
  return { ...run, workspace, report: readReport(workspace, inputs['report-path'] ?? 'slimcheck-report.json') }
}

/** A matrix leg: its own checkout, `shard: I/N`, its own report file (so that merge-multiple keeps each). */
function runLeg(repo: FixtureRepo, event: 'pull_request' | 'push', shard: string, inputs: Record<string, string> = {}) {
  const workspace = repo.checkout(event === 'push' ? 'main' : 'pr')
  const file = `slimcheck-shard-${shard.split('/')[0]}.json`
  return runJob(repo, event, 'images', workspace, { shard, 'report-path': file, ...inputs })
}

/**
 * The merge job: no checkout, the legs' reports downloaded into one folder, as download-artifact's merge-multiple does.
 */
function runMerge(repo: FixtureRepo, event: 'pull_request' | 'push', legs: Run[], inputs: Record<string, string> = {}) {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-merge-job-'))
  fs.mkdirSync(path.join(workspace, 'slimcheck-shards'))
  for (const leg of legs) {
    const file = path.basename(leg.outputs['report-path'])
    fs.copyFileSync(leg.outputs['report-path'], path.join(workspace, 'slimcheck-shards', file))
  }
  return runJob(repo, event, 'slimcheck', workspace, { merge: 'slimcheck-shards/*.json', ...inputs })
}

function builtOnHead(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .flatMap((line) => /^::group::Build (\S+) \(head,/.exec(line)?.[1] ?? [])
    .sort()
}

function botComments(marker: string): ReturnType<FakeGitHub['comments']> {
  return services.github
    .comments(REPOSITORY.owner, REPOSITORY.repo, PR)
    .filter((comment) => comment.user.login === 'github-actions[bot]' && comment.body.startsWith(marker))
}

function kinds(report: Report): Record<string, string> {
  return Object.fromEntries((report.comparison?.variants ?? []).map((variant) => [variant.name, variant.kind]))
}

describe('a pull request measured by a matrix of two shards and merged', () => {
  const repo = createFixtureRepo(
    {
      'Dockerfile.app': dockerfile(256),
      'Dockerfile.stable': dockerfile(64),
      'Dockerfile.tools': dockerfile(128),
      'Dockerfile.old': dockerfile(8)
    },
    { 'Dockerfile.app': dockerfile(1024), 'Dockerfile.new': dockerfile(16), 'Dockerfile.old': null }
  )
  const policy = { baseline: 'build', 'max-size-increase': '10%' }

  it(
    'gives the same variants, numbers and verdict as one unsharded run, in one comment',
    async () => {
      const unsharded = await runJob(repo, 'pull_request', 'images', repo.checkout('pr'), {
        ...policy,
        comment: 'false'
      })
      expect(unsharded.exitCode).toBe(1)

      const legs = [
        await runLeg(repo, 'pull_request', '1/2', policy),
        await runLeg(repo, 'pull_request', '2/2', policy)
      ]
      for (const leg of legs) {
        expect(leg.exitCode).toBe(0)
        expect(leg.summary).toBe('')
        expect(fs.existsSync(path.join(leg.workspace, 'slimcheck.sarif'))).toBe(false)
        expect(leg.report.shard?.variants.sort()).toEqual(['app', 'new', 'old', 'stable', 'tools'])
      }
      const [first, second] = legs.map(builtOnHead)
      expect(first.length + second.length).toBe(4)
      expect([...first, ...second].sort()).toEqual(['app', 'new', 'stable', 'tools'])
      expect(legs.map((leg) => leg.report.shard?.index)).toEqual([1, 2])
      expect(services.github.requests.filter((request) => request.operationId.startsWith('issues/'))).toEqual([])

      const merged = await runMerge(repo, 'pull_request', legs, { 'max-size-increase': '10%' })
      expect(merged.stdout).not.toContain('::group::Build')
      expect(merged.exitCode).toBe(1)
      expect(measurementDifferences(unsharded.report, merged.report)).toEqual([])
      expect(merged.report.variants.map((variant) => variant.name)).toEqual(
        unsharded.report.variants.map((variant) => variant.name)
      )
      expect(merged.report.variants.map((variant) => variant.image?.sizeBytes)).toEqual(
        unsharded.report.variants.map((variant) => variant.image?.sizeBytes)
      )
      expect(merged.report).not.toHaveProperty('shard')
      expect(kinds(merged.report)).toEqual(KINDS)
      expect(merged.report.comparison?.violations.map((violation) => violation.limit)).toEqual(['max-size-increase'])
      expect(merged.outputs).toMatchObject({
        passed: 'false',
        violations: '1',
        'size-delta': unsharded.outputs['size-delta']
      })

      const comments = botComments(MARKER)
      expect(comments).toHaveLength(1)
      expect(comments[0].body).toBe(merged.outputs['comment-body'])
      const verdict = (body: string): string => body.split('\n')[2]
      expect(verdict(comments[0].body)).toBe(verdict(unsharded.outputs['comment-body']))
      expect(verdict(comments[0].body)).toMatch(
        /^❌ \*\*slimcheck\*\*: 1 new violation: `app` grew past max-size-increase/
      )
      expect(merged.summary).toContain('| ❌ `app` |')
      expect(fs.existsSync(path.join(merged.workspace, 'slimcheck.sarif'))).toBe(true)
      const onFiles = merged.annotations.filter((annotation) => annotation.properties.file)
      expect(onFiles.map((annotation) => `${annotation.properties.file}: ${annotation.message}`)).toEqual([
        expect.stringMatching(/^Dockerfile\.app: app: uncompressed size grew by 786 kB/)
      ])
      expect(services.github.violations).toEqual([])
    },
    LONG
  )

  it(
    'fails the check, in every output, when a leg is missing',
    async () => {
      const leg = await runLeg(repo, 'pull_request', '1/2', { baseline: 'build' })
      const merged = await runMerge(repo, 'pull_request', [leg], { comment: 'false' })
      expect(merged.exitCode).toBe(1)
      const missing = 'shard 2/2 is missing: no partial report of it was merged'
      expect(merged.report.problems[0]).toMatch(new RegExp(`^${missing}`))
      expect(merged.report.problems[1]).toMatch(/^not measured by any shard: /)
      expect(merged.outputs.passed).toBe('false')
      expect(merged.outputs['comment-body']).toContain(missing)
      expect(merged.summary).toContain(missing)
      const sarif = JSON.parse(fs.readFileSync(path.join(merged.workspace, 'slimcheck.sarif'), 'utf8')) as {
        runs: Array<{ invocations: Array<{ executionSuccessful: boolean }> }>
      }
      expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(false)
      expect(merged.annotations.some((annotation) => annotation.message.startsWith(missing))).toBe(true)
    },
    LONG
  )

  it(
    'fails a leg that could not measure, and the merge says which shard it was',
    async () => {
      const broken = await runLeg(repo, 'pull_request', '1/2', { baseline: 'none', exclude: 'Dockerfile*' })
      expect(broken.exitCode).toBe(1)
      expect(broken.report.shard).toEqual({ index: 1, total: 2, variants: [] })
      expect(broken.report.problems).toEqual([expect.stringMatching(/^no Dockerfile found in /)])
      const fine = await runLeg(repo, 'pull_request', '2/2', { baseline: 'none' })
      expect(fine.exitCode).toBe(0)
      const merged = await runMerge(repo, 'pull_request', [broken, fine], { comment: 'false' })
      expect(merged.exitCode).toBe(1)
      expect(merged.report.problems).toEqual([
        'the shards disagree on the variants to cover (shard 1/2: none; shard 2/2: app, new, stable, tools); all of them are checked',
        'not measured by any shard: app, stable (2 of 4 variants)',
        `${broken.report.problems[0]} (shard 1/2)`
      ])
      expect(merged.report.variants.map((variant) => variant.name)).toEqual(['new', 'tools'])
      expect(merged.outputs['comment-body']).toContain('not measured by any shard: app, stable')
    },
    LONG
  )

  it(
    'refuses to merge legs of different commits, naming the files',
    async () => {
      const pr = await runLeg(repo, 'pull_request', '1/2', { baseline: 'none' })
      const push = await runLeg(repo, 'push', '2/2')
      const merged = await runMerge(repo, 'pull_request', [pr, push], { comment: 'false' })
      expect(merged.exitCode).toBe(1)
      expect(merged.report.problems).toEqual([
        `the partial reports are from different commits (slimcheck-shards/slimcheck-shard-1.json: ${repo.prSha}; slimcheck-shards/slimcheck-shard-2.json: ${repo.mainSha}); merge the legs of one run`
      ])
      expect(merged.outputs.passed).toBe('false')
    },
    LONG
  )

  it(
    'stores one baseline from a push, whose build times and variants the next pull request’s legs split by',
    async () => {
      const pushLegs = [await runLeg(repo, 'push', '1/2'), await runLeg(repo, 'push', '2/2')]
      expect(pushLegs.map((leg) => leg.exitCode)).toEqual([0, 0])
      expect(services.results.artifacts).toEqual([])
      const pushMerge = await runMerge(repo, 'push', pushLegs)
      expect(pushMerge.exitCode).toBe(0)
      expect(services.results.artifacts.map((artifact) => artifact.name)).toEqual(['slimcheck-report'])
      const stored = JSON.parse(services.results.artifacts[0].files['slimcheck-report.json'].toString()) as Report
      expect(stored.variants.map((variant) => variant.name).sort()).toEqual(['app', 'old', 'stable', 'tools'])
      expect(stored).not.toHaveProperty('shard')
      expect(stored.commit).toBe(repo.mainSha)

      const [run] = services.github.seedWorkflowRuns(REPOSITORY.owner, REPOSITORY.repo, [
        { workflow: 'slimcheck.yml', branch: 'main', headSha: repo.mainSha, event: 'push' }
      ])
      services.github.seedArtifact(REPOSITORY.owner, REPOSITORY.repo, {
        name: 'slimcheck-report',
        runId: run.id,
        zip: services.results.artifacts[0].zip
      })
      const legs = [await runLeg(repo, 'pull_request', '1/2'), await runLeg(repo, 'pull_request', '2/2')]
      const split = legs.map((leg) => leg.report.variants.map((variant) => variant.name))
      const based = legs.map((leg) => (leg.report.baseReport?.variants ?? []).map((variant) => variant.name))
      // The removed variant belongs to a leg too, which carries its stored measurement.
      expect([...based[0], ...based[1]].sort()).toEqual(['app', 'old', 'stable', 'tools'])
      expect([...split[0], ...split[1]].sort()).toEqual(['app', 'new', 'stable', 'tools'])
      const merged = await runMerge(repo, 'pull_request', legs, { comment: 'false' })
      expect(merged.exitCode).toBe(0)
      expect(merged.report.problems).toEqual([])
      expect(merged.report.comparison?.baseline).toMatchObject({ source: 'artifact', runId: run.id })
      expect(kinds(merged.report)).toEqual(KINDS)
      expect(services.results.artifacts).toHaveLength(1)
      expect(services.github.violations).toEqual([])
      expect(services.results.violations).toEqual([])
    },
    LONG
  )
})
