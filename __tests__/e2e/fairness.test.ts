import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Report } from '../../src/types.js'
import { slimcheck } from '../support/cli.js'
import { startEngineProxy, type EngineProxy } from '../support/engine-proxy.js'
import { pullRequestEvent } from '../support/events.js'
import { createFixtureRepo } from '../support/git-fixture.js'
import { runAction } from '../support/runner.js'
import { TEST_BASE } from '../support/workspace.js'

/** `COPY . /app` with no .dockerignore copies `.git` and every untracked file: both sides must see the same. */
const FILES = {
  'Dockerfile.copy-all': `FROM ${TEST_BASE}\nCOPY . /app\n`,
  'Dockerfile.blob': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=64\n`
}

let proxy: EngineProxy

beforeAll(async () => {
  proxy = await startEngineProxy()
})

afterAll(async () => {
  await proxy?.close()
})

function repoWithEmptyCommit(): string {
  const { work: dir } = createFixtureRepo(FILES, {})
  fs.writeFileSync(path.join(dir, 'earlier-report.json'), '{"untracked": true}\n')
  return dir
}

const deltas = (report: Report): Array<[string, number | undefined]> =>
  report.comparison!.variants.map((variant) => [variant.name, variant.size?.delta])

describe('a pull request that changes nothing', () => {
  it('measures 0 B for every variant when both sides are built, .git and untracked files alike', async () => {
    const dir = repoWithEmptyCommit()
    const reportPath = path.join(dir, '..', `${path.basename(dir)}-rebuilt.json`)
    const before = proxy.builds()
    const result = await slimcheck(
      ['run', '--dir', dir, '--base', 'main', '--rebuild', '--max-size-increase', '0', '--report-path', reportPath],
      process.cwd(),
      { DOCKER_HOST: proxy.host }
    )
    expect(result.stderr).not.toContain('✘')
    expect(result.code).toBe(0)
    expect(proxy.builds() - before).toBe(4)
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as Report
    expect(deltas(report)).toEqual([
      ['blob', 0],
      ['copy-all', 0]
    ])
  })

  it('builds each variant once when nothing is rebuilt on purpose, and says so', async () => {
    const dir = repoWithEmptyCommit()
    const reportPath = path.join(dir, '..', `${path.basename(dir)}-shared.json`)
    const before = proxy.builds()
    const result = await slimcheck(
      ['run', '--dir', dir, '--base', 'main', '--max-size-increase', '0', '--report-path', reportPath],
      process.cwd(),
      { DOCKER_HOST: proxy.host }
    )
    expect(result.code).toBe(0)
    expect(proxy.builds() - before).toBe(2)
    expect(result.stderr).toMatch(/\[\d\/4\] copy-all \(base\) ✔ .*\(built once for both sides\)/)
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as Report
    expect(report.variants.map((variant) => variant.reused)).toEqual([{ kind: 'shared' }, { kind: 'shared' }])
    expect(deltas(report)).toEqual([
      ['blob', 0],
      ['copy-all', 0]
    ])
  })

  it('passes max-size-increase: 0 in the action with baseline: build, from a shallow checkout', async () => {
    const repo = createFixtureRepo(FILES, {})
    const workspace = repo.checkout('pr')
    fs.writeFileSync(path.join(workspace, 'earlier-report.json'), '{"untracked": true}\n')
    const before = proxy.builds()
    const run = await runAction({
      workspace,
      eventName: 'pull_request',
      event: pullRequestEvent({ number: 3, baseSha: repo.mainSha, headSha: repo.prSha }),
      inputs: { baseline: 'build', rebuild: 'true', 'max-size-increase': '0', comment: 'false' },
      env: { DOCKER_HOST: proxy.host, GITHUB_SHA: repo.prSha, GITHUB_REF: 'refs/pull/3/merge' }
    })
    expect(run.exitCode).toBe(0)
    expect(proxy.builds() - before).toBe(4)
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    expect(deltas(report)).toEqual([
      ['blob', 0],
      ['copy-all', 0]
    ])
    expect(run.outputs.passed).toBe('true')
  })
})

describe('a pull request that changes the config file', () => {
  it('builds the base as its own config file declares it, so a changed build-arg and a new variant count as changes', async () => {
    const config = (count: string, extra = '') =>
      `variants:\n  - name: app\n    dockerfile: Dockerfile.sized\n    build-args:\n      COUNT: '${count}'\n${extra}`
    const { work: dir } = createFixtureRepo(
      {
        'Dockerfile.sized': `FROM ${TEST_BASE}\nARG COUNT\nRUN dd if=/dev/zero of=/blob bs=1024 count=$COUNT\n`,
        '.github/slimcheck.yml': config('16')
      },
      {
        'Dockerfile.broken': `FROM ${TEST_BASE}\nRUN exit 3\n`,
        '.github/slimcheck.yml': config('64', '  - name: new\n    dockerfile: Dockerfile.broken\n')
      }
    )
    const reportPath = path.join(dir, '..', `${path.basename(dir)}-config.json`)
    const before = proxy.builds()
    const result = await slimcheck(
      ['run', '--dir', dir, '--base', 'main', '--report-path', reportPath],
      process.cwd(),
      {
        DOCKER_HOST: proxy.host
      }
    )
    expect(proxy.builds() - before).toBe(3)
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as Report
    expect(report.variants.find((variant) => variant.name === 'app')!.reused).toBeUndefined()
    expect(deltas(report)).toEqual([
      ['app', 48 * 1024],
      ['new', undefined]
    ])
    expect(report.comparison!.variants.find((variant) => variant.name === 'new')!.kind).toBe('added')
    expect(report.comparison!.violations.map((violation) => [violation.limit, violation.variant])).toEqual([
      ['build', 'new']
    ])
    expect(report.comparison!.inherited).toEqual([])
    expect(result.code).toBe(1)
  })
})
