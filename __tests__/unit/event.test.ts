import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { parseSettings, type Settings } from '../../src/config.js'
import { describeEvent, PULL_REQUEST_TARGET_REFUSAL, workflowFileOf, type EventContext } from '../../src/event.js'

const HEAD_SHA = 'h'.repeat(40)
const BASE_SHA = 'b'.repeat(40)
const PUSH_SHA = 'p'.repeat(40)
const REPOSITORY = 'octo/app'

type PullRequestPayload = NonNullable<EventContext['payload']['pull_request']>

type Repo = { full_name?: string } | null | 'missing'

/** `'missing'` leaves `repo` out of the payload; `null` is what GitHub sends for a deleted fork. */
function pullRequest(
  headRepo: Repo = { full_name: REPOSITORY },
  baseRepo: Exclude<Repo, null> = { full_name: REPOSITORY }
): PullRequestPayload {
  return {
    number: 7,
    base: { sha: BASE_SHA, ref: 'main', ...(baseRepo === 'missing' ? {} : { repo: baseRepo }) },
    head: { sha: HEAD_SHA, ...(headRepo === 'missing' ? {} : { repo: headRepo }) }
  }
}

function context(overrides: Partial<EventContext> = {}): EventContext {
  return {
    eventName: 'pull_request',
    sha: 'm'.repeat(40),
    ref: 'refs/pull/7/merge',
    workflow: 'CI',
    job: 'images',
    runId: 42,
    serverUrl: 'https://github.com',
    repo: { owner: 'octo', repo: 'app' },
    payload: { pull_request: pullRequest(), repository: { default_branch: 'main' } },
    ...overrides
  }
}

let root: string

function settings(inputs: { 'working-directory'?: string; 'allow-pull-request-target'?: string } = {}): Settings {
  if (inputs['working-directory']) fs.mkdirSync(path.join(root, inputs['working-directory']), { recursive: true })
  return parseSettings(inputs, root)
}

/** `null` leaves the default branch out of the payload. */
function push(ref: string, defaultBranch: string | null = 'main'): EventContext {
  return context({
    eventName: 'push',
    sha: PUSH_SHA,
    ref,
    payload: { repository: defaultBranch ? { default_branch: defaultBranch } : {} }
  })
}

const savedWorkflowRef = process.env.GITHUB_WORKFLOW_REF

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-event-'))
  delete process.env.GITHUB_WORKFLOW_REF
})

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
  if (savedWorkflowRef === undefined) delete process.env.GITHUB_WORKFLOW_REF
  else process.env.GITHUB_WORKFLOW_REF = savedWorkflowRef
})

describe('pull_request', () => {
  it('compares the head of the pull request with its base', () => {
    expect(describeEvent(context(), settings(), root)).toEqual({
      name: 'pull_request',
      commentKey: 'CI/images',
      pathPrefix: '',
      runUrl: 'https://github.com/octo/app/actions/runs/42',
      workflowFile: undefined,
      pullRequest: { number: 7, baseSha: BASE_SHA, baseRef: 'main', headSha: HEAD_SHA, fork: false },
      headSha: HEAD_SHA,
      storesBaseline: false,
      storedReportsBranch: 'main',
      note: '',
      blobBase: `https://github.com/octo/app/blob/${HEAD_SHA}`
    })
  })

  it.each([
    ['the same repository', { full_name: REPOSITORY }, { full_name: REPOSITORY }, false],
    ['a fork', { full_name: 'someone/app' }, { full_name: REPOSITORY }, true],
    ['a deleted fork (head.repo null)', null, { full_name: REPOSITORY }, true],
    ['a payload without head.repo', 'missing' as const, { full_name: REPOSITORY }, false],
    ['a head repository without a name', {}, { full_name: REPOSITORY }, false],
    ['a payload without base.repo', { full_name: 'someone/app' }, 'missing' as const, false]
  ])('from %s: fork %p', (_, headRepo, baseRepo, fork) => {
    const event = describeEvent(
      context({ payload: { pull_request: pullRequest(headRepo, baseRepo) } }),
      settings(),
      root
    )
    expect(event.pullRequest?.fork).toBe(fork)
    expect(event.refusal).toBeUndefined()
  })

  it('refuses a payload without a pull request', () => {
    const event = describeEvent(context({ payload: {} }), settings(), root)
    expect(event.refusal).toBe('the pull_request payload has no pull_request')
    expect(event.pullRequest).toBeUndefined()
  })
})

describe('pull_request_target', () => {
  it('is refused unless allow-pull-request-target is set', () => {
    const event = describeEvent(context({ eventName: 'pull_request_target' }), settings(), root)
    expect(event.refusal).toBe(PULL_REQUEST_TARGET_REFUSAL)
    expect(event.pullRequest).toBeUndefined()
    expect(event.storesBaseline).toBe(false)
  })

  it('compares like pull_request when allowed', () => {
    const event = describeEvent(
      context({ eventName: 'pull_request_target' }),
      settings({ 'allow-pull-request-target': 'true' }),
      root
    )
    expect(event.refusal).toBeUndefined()
    expect(event.pullRequest).toEqual({ number: 7, baseSha: BASE_SHA, baseRef: 'main', headSha: HEAD_SHA, fork: false })
    expect(event.blobBase).toBe(`https://github.com/octo/app/blob/${HEAD_SHA}`)
  })

  it('does not let allow-pull-request-target change anything on pull_request', () => {
    expect(describeEvent(context(), settings({ 'allow-pull-request-target': 'true' }), root)).toEqual(
      describeEvent(context(), settings(), root)
    )
  })
})

describe('push', () => {
  it('to the default branch stores the report as the baseline', () => {
    const event = describeEvent(push('refs/heads/main'), settings(), root)
    expect(event).toMatchObject({
      name: 'push',
      headSha: PUSH_SHA,
      storesBaseline: true,
      storedReportsBranch: 'main',
      note: 'push to main: this report is stored as the baseline for pull requests',
      blobBase: `https://github.com/octo/app/blob/${PUSH_SHA}`
    })
    expect(event.pullRequest).toBeUndefined()
    expect(event.refusal).toBeUndefined()
  })

  it.each([
    ['another branch', 'refs/heads/feature', 'main'],
    ['a branch named like the default one elsewhere', 'refs/heads/x/main', 'main'],
    ['a tag', 'refs/tags/main', 'main'],
    ['a payload without a default branch', 'refs/heads/main', null]
  ])('to %s only measures, with a note', (_, ref, defaultBranch) => {
    const event = describeEvent(push(ref, defaultBranch), settings(), root)
    expect(event).toMatchObject({
      storesBaseline: false,
      headSha: PUSH_SHA,
      note: `push to ${ref}, not the default branch: nothing to compare with`
    })
    expect(event.pullRequest).toBeUndefined()
    expect(event.storedReportsBranch).toBeUndefined()
    expect(event.refusal).toBeUndefined()
  })
})

describe('other events', () => {
  it.each(['workflow_dispatch', 'schedule', 'merge_group', 'release'])('%s only measures, with a note', (eventName) => {
    const event = describeEvent(
      context({ eventName, sha: PUSH_SHA, ref: 'refs/heads/main', payload: {} }),
      settings(),
      root
    )
    expect(event).toMatchObject({
      name: eventName,
      headSha: PUSH_SHA,
      storesBaseline: false,
      blobBase: `https://github.com/octo/app/blob/${PUSH_SHA}`
    })
    expect(event.note).toBe(
      `the ${eventName} event has no base to compare with; slimcheck compares on pull_request and stores baselines on push to the default branch`
    )
    expect(event.pullRequest).toBeUndefined()
    expect(event.refusal).toBeUndefined()
  })

  it('links nowhere without a commit', () => {
    expect(
      describeEvent(context({ eventName: 'workflow_dispatch', sha: '', payload: {} }), settings(), root)
    ).not.toHaveProperty('blobBase')
  })
})

describe('run details', () => {
  it.each([
    ['pull_request', context(), HEAD_SHA],
    ['push', push('refs/heads/main'), PUSH_SHA],
    ['workflow_dispatch', context({ eventName: 'workflow_dispatch', sha: PUSH_SHA, payload: {} }), PUSH_SHA]
  ])('on %s, links and the comment key include the working-directory', (_, eventContext, sha) => {
    const event = describeEvent(eventContext, settings({ 'working-directory': 'services/api' }), root)
    expect(event.blobBase).toBe(`https://github.com/octo/app/blob/${sha}/services/api`)
    expect(event.commentKey).toBe('CI/images/services/api')
  })

  it('uses the server URL of GitHub Enterprise and has no run URL without a run id', () => {
    const event = describeEvent(context({ serverUrl: 'https://ghe.example.com', runId: 0 }), settings(), root)
    expect(event.blobBase).toBe(`https://ghe.example.com/octo/app/blob/${HEAD_SHA}`)
    expect(event.runUrl).toBeUndefined()
  })

  it('finds the workflow file in GITHUB_WORKFLOW_REF', () => {
    process.env.GITHUB_WORKFLOW_REF = 'octo/app/.github/workflows/images.yml@refs/pull/7/merge'
    expect(describeEvent(context(), settings(), root).workflowFile).toBe('images.yml')
    expect(describeEvent(push('refs/heads/main'), settings(), root).workflowFile).toBe('images.yml')
  })
})

describe('workflowFileOf', () => {
  it.each([
    ['octo/app/.github/workflows/ci.yml@refs/heads/main', 'ci.yml'],
    ['octo/app/.github/workflows/build images.yaml@refs/pull/7/merge', 'build images.yaml'],
    ['octo/app/.github/workflows/release.yml@refs/tags/v1.2.3', 'release.yml'],
    ['octo/app/.github/workflows/ci.yml@4f1c2d3', 'ci.yml'],
    ['octo/app/.github/workflows/ci.yml', undefined],
    ['ci.yml@refs/heads/main', undefined],
    ['', undefined],
    [undefined, undefined]
  ])('%p → %p', (ref, file) => {
    expect(workflowFileOf(ref)).toBe(file)
  })
})
