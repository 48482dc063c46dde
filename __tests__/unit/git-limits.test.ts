import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolveBaseline } from '../../src/baseline.js'
import { parseSettings } from '../../src/config.js'
import { createFixtureRepo, type FixtureRepo } from '../support/git-fixture.js'
import { recordingLogger } from '../support/logger.js'

const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()

/**
 * A git remote (`git://`) that accepts every connection, reads what git sends and never answers, as an unresponsive
 * server does.
 */
let silent: net.Server
let silentUrl: string
const connections: net.Socket[] = []
let repo: FixtureRepo

beforeAll(async () => {
  silent = net.createServer((socket) => void connections.push(socket.resume()))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  silentUrl = `git://127.0.0.1:${(silent.address() as net.AddressInfo).port}/origin.git`
  repo = createFixtureRepo({ Dockerfile: 'FROM scratch\n' }, { Dockerfile: 'FROM scratch\nCOPY . /\n' })
})

afterAll(async () => {
  for (const socket of connections) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
})

/** Whether a process is still there. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return
  await new Promise((resolve) => socket.once('close', resolve))
}

describe('git commands have time limits', () => {
  it('stops a fetch from a remote that never answers at the fetch limit: a warning, then a failed baseline', async () => {
    const checkout = repo.checkout('pr')
    git(checkout, ['remote', 'set-url', 'origin', silentUrl])
    const logger = recordingLogger()
    const started = Date.now()
    const outcome = resolveBaseline({
      mode: 'auto',
      settings: parseSettings({}, checkout),
      baseSha: repo.mainSha,
      baseRef: 'main',
      logger,
      gitLimits: { fetchSeconds: 1, localSeconds: 30 }
    })
    const stopped = (depth: number): string =>
      `the base commit ${repo.mainSha} is not in the checkout and could not be fetched from origin: git fetch ` +
      `--no-tags --quiet --depth=${depth} origin ${repo.mainSha} did not finish within 1 s and was stopped`
    // As every failure to prepare the baseline, this becomes the action's warning "no baseline: …".
    await expect(outcome).rejects.toThrow(stopped(1))
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(logger.lines).toContain(
      `warning: could not list the ancestors of ${repo.mainSha.slice(0, 12)}: ${stopped(50)}; only a report made ` +
        'at that commit is used'
    )
    // Both fetches reached the remote, and both ended: the stopped git closed its connection.
    expect(connections).toHaveLength(2)
    await Promise.all(connections.map(closed))
    expect(git(checkout, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1)
  })

  it('stops a local command at the short limit: a hung fsmonitor hook holds up git ls-files', async () => {
    const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-fsmonitor-'))
    git(checkout, ['clone', '-q', `file://${repo.origin}`, '.'])
    const hookPids = path.join(checkout, '.git', 'fsmonitor.pids')
    const hook = path.join(checkout, '.git', 'hung-fsmonitor')
    fs.writeFileSync(hook, `#!/bin/sh\necho "$PPID $$" > '${hookPids}'\nexec sleep 300\n`, { mode: 0o755 })
    git(checkout, ['config', 'core.fsmonitor', hook])
    const started = Date.now()
    const outcome = resolveBaseline({
      mode: 'build',
      settings: parseSettings({}, checkout),
      baseSha: repo.mainSha,
      baseRef: 'main',
      logger: recordingLogger(),
      gitLimits: { fetchSeconds: 30, localSeconds: 1 }
    })
    await expect(outcome).rejects.toThrow(
      'git ls-files --others --directory -z did not finish within 1 s and was stopped'
    )
    expect(Date.now() - started).toBeLessThan(10_000)
    const [gitPid, hookPid] = fs.readFileSync(hookPids, 'utf8').trim().split(' ').map(Number)
    // git itself is gone; the hook it started outlives it (git does not stop it on SIGTERM) and is ended here.
    expect(alive(gitPid)).toBe(false)
    if (alive(hookPid)) process.kill(hookPid)
    git(checkout, ['config', '--unset', 'core.fsmonitor'])
    expect(git(checkout, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1)
  })
})
