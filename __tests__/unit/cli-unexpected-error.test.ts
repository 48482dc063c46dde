import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { slimcheck } from '../support/cli.js'
import { makeWorkspace } from '../support/workspace.js'

/** The bundled CLI (dist/cli, as `npm run package` builds it) on errors it has no exit status for: 3, never 1. */
describe('an unexpected error in the command line', () => {
  const dir = makeWorkspace({ Dockerfile: 'FROM python:3.12-slim\n' })

  it('exits 3 with the message on one line when the output cannot be written (a full disk)', async () => {
    const run = await slimcheck(['analyze', dir, '--fail-on', 'none', '-o', '/dev/full'])
    expect(run).toEqual({
      code: 3,
      stdout: '',
      stderr: 'slimcheck: unexpected error: ENOSPC: no space left on device, write\n'
    })
  })

  it('adds the stack frames with --verbose', async () => {
    const run = await slimcheck(['analyze', dir, '--fail-on', 'none', '-o', '/dev/full', '--verbose'])
    expect(run.code).toBe(3)
    const [first, ...frames] = run.stderr.trimEnd().split('\n')
    expect(first).toBe('slimcheck: unexpected error: ENOSPC: no space left on device, write')
    expect(frames.length).toBeGreaterThan(0)
    for (const frame of frames) expect(frame).toMatch(/^\s+at /)
  })

  it('exits 3 when the program reading its output has gone (EPIPE, an error event outside the main promise)', async () => {
    const child = spawn(process.execPath, [path.resolve('bin/slimcheck.js'), 'analyze', dir, '--fail-on', 'none'], {
      env: { ...process.env, GITHUB_ACTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout.destroy()
    const stderr: Buffer[] = []
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect({ code, stderr: Buffer.concat(stderr).toString() }).toEqual({
      code: 3,
      stderr: 'slimcheck: unexpected error: write EPIPE\n'
    })
  })
})
