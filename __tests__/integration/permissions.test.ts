/**
 * slimcheck run as a runner's user runs it: not root, in the group of the engine's socket. Files such a user cannot
 * read (root-owned and 0600, as an earlier `docker run -v $PWD:…` step leaves them) fail the variants whose build
 * context holds them, and nothing else.
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createEngine } from '../../src/engine/index.js'
import type { Report, VariantReport } from '../../src/types.js'
import { TEST_BASE } from '../support/workspace.js'

const BIN = path.resolve('bin/slimcheck.js')
const asRoot = process.getuid?.() === 0
const describeAsRoot = asRoot ? describe : describe.skip

interface Run {
  code: number
  stdout: string
  stderr: string
}

function testUser(): { name: string; uid: number; gid: number } {
  const name = process.env.SLIMCHECK_TEST_USER
  if (!name)
    throw new Error(
      'SLIMCHECK_TEST_USER is not set: run the tests with npm test, or export it from scripts/provision-test-user.sh'
    )
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim())
  return { name, uid: id('-u'), gid: id('-g') }
}

/** A directory root owns, with the given mode. */
function rootOwned(dir: string, mode: number): string {
  fs.mkdirSync(dir, { recursive: true })
  fs.chownSync(dir, 0, 0)
  fs.chmodSync(dir, mode)
  return dir
}

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  fs.chmodSync(file, mode)
}

/** Every `::stop-commands::TOKEN` resumed by `::TOKEN::`, every group ended: nothing left for the runner to swallow. */
function expectNothingLeftOpen(output: string): void {
  let open: string | undefined
  let groups = 0
  for (const line of output.split('\n')) {
    if (open) {
      if (line === open) open = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) open = `::${stop[1]}::`
    else if (line.startsWith('::group::')) groups++
    else if (line.startsWith('::endgroup::')) groups--
  }
  expect({ open, groups }).toEqual({ open: undefined, groups: 0 })
}

describeAsRoot(
  `slimcheck as an unprivileged user in the docker group${asRoot ? '' : ' (skipped: needs root, to make files the test user cannot read and to run as that user)'}`,
  () => {
    const user = asRoot ? testUser() : { name: '', uid: -1, gid: -1 }
    let base: string
    let workspace: string
    let home: string

    /** `slimcheck ARGS` as the test user, inside a workflow (GITHUB_ACTIONS set), as a `run:` step would call it. */
    async function slimcheckAsUser(args: string[]): Promise<Run> {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: home,
        TMPDIR: home,
        GITHUB_ACTIONS: 'true',
        NO_COLOR: '1',
        ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {})
      }
      const command = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', process.execPath, BIN]
      try {
        const { stdout, stderr } = await promisify(execFile)('setpriv', [...command, ...args], {
          cwd: home,
          env,
          maxBuffer: 32 * 1024 * 1024
        })
        return { code: 0, stdout, stderr }
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string }
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
      }
    }

    beforeAll(() => {
      // scripts/test.sh keeps temporary files in a 0700 directory of its own: the user needs to pass through it.
      const tmp = os.tmpdir()
      fs.chmodSync(tmp, (fs.statSync(tmp).mode & 0o7777) | 0o001)
      base = fs.mkdtempSync(path.join(tmp, 'slimcheck-permissions-'))
      fs.chmodSync(base, 0o755)
      home = path.join(base, 'home')
      fs.mkdirSync(home)
      fs.chownSync(home, user.uid, user.gid)
      workspace = path.join(base, 'ws')
      fs.mkdirSync(workspace)
      fs.chownSync(workspace, user.uid, user.gid) // where the user writes the report
      const dockerfile = `FROM ${TEST_BASE}\nCOPY . /ctx\n`
      write(path.join(workspace, 'Dockerfile.a'), dockerfile)
      write(path.join(workspace, 'Dockerfile.a.dockerignore'), 'sub\n')
      write(path.join(workspace, 'Dockerfile.b'), dockerfile)
      write(path.join(workspace, 'Dockerfile.b.dockerignore'), 'secret.txt\nsub\n')
      write(path.join(workspace, 'secret.txt'), 'x\n', 0o600)
      write(path.join(workspace, 'sub/Dockerfile'), dockerfile)
      write(path.join(workspace, 'sub/app.py'), 'print(1)\n')
      write(path.join(workspace, 'sub/locked/inner.txt'), 'y\n')
      rootOwned(path.join(workspace, 'sub/locked'), 0o700)
      rootOwned(path.join(base, 'readonly'), 0o755)
    })

    afterAll(async () => {
      const reportFile = path.join(workspace, 'slimcheck-report.json')
      if (fs.existsSync(reportFile)) {
        const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report
        const engine = createEngine()
        for (const variant of report.variants)
          if (variant.image) await engine.removeImage(variant.image.id).catch(() => undefined)
      }
      fs.rmSync(base, { recursive: true, force: true })
    })

    it('fails the variants whose context holds a file or directory it cannot read, naming it, and builds the rest', async () => {
      const run = await slimcheckAsUser(['run', '--dir', workspace])
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: expect.not.stringMatching(/\n\s+at /) })
      const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
      expect(fs.statSync(path.join(workspace, 'slimcheck-report.json')).uid).toBe(user.uid)
      const byName = new Map(report.variants.map((variant): [string, VariantReport] => [variant.name, variant]))
      expect([...byName.keys()].sort()).toEqual(['a', 'b', 'sub'])
      expect(byName.get('a')).toMatchObject({ status: 'failed' })
      expect(byName.get('a')!.failure!.message).toContain(
        'cannot read secret.txt in the build context (EACCES); make it readable to the user running slimcheck, or list it in .dockerignore'
      )
      expect(byName.get('sub')).toMatchObject({ status: 'failed' })
      expect(byName.get('sub')!.failure!.message).toContain('cannot read locked in the build context (EACCES)')
      expect(byName.get('b')).toMatchObject({ status: 'built' })
      expect(run.stdout).toContain('cannot read secret.txt in the build context')
      expectNothingLeftOpen(run.stdout)
      expectNothingLeftOpen(run.stderr)
    })

    it('refuses a report path it cannot write before building anything, naming the input', async () => {
      const target = path.join(base, 'readonly/report.json')
      const run = await slimcheckAsUser(['run', '--dir', workspace, '--report-path', target])
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: `slimcheck: report-path: cannot write ${target}: ${path.join(base, 'readonly')} is not writable (EACCES)\n`
      })
    })
  }
)
