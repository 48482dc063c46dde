import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import type { Report } from '../../src/types.js'
import { expectConsistentSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

const run = promisify(execFile)
const BIN = path.resolve('bin/slimcheck.js')

async function slimcheck(
  args: string[],
  cwd = process.cwd()
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // As in a terminal, even when these tests run inside a workflow (there, text would be wrapped for the runner).
    const env = { ...process.env, GITHUB_ACTIONS: '' }
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 32 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('the slimcheck command (bundled dist/cli)', () => {
  it('analyzes the examples statically, as JSON, without an engine', async () => {
    const result = await slimcheck(['analyze', 'examples', '--format', 'json'], path.resolve('.'))
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as Report
    expect(report.variants.map((variant) => variant.name)).toEqual([
      'examples/conda',
      'examples/full',
      'examples/multistage',
      'examples/slim'
    ])
    const conda = report.variants[0].findings.map((finding) => `${finding.rule}:${finding.line}`)
    expect(conda).toEqual(['shared-tag:6', 'conda-in-production:7', 'conda-in-production:8', 'conda-in-production:11'])
    expect(report.variants.slice(1).every((variant) => variant.findings.length === 0)).toBe(true)
  })

  it('prints text for a terminal and exits 0 when fail-on is none', async () => {
    const result = await slimcheck(['analyze', 'examples/Dockerfile.conda', '--fail-on', 'none'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^VARIANT\s+STATUS/)
    expect(result.stdout).toContain('examples/Dockerfile.conda:6 warning shared-tag')
  })

  it('builds, writes the report and prints Markdown with run', async () => {
    const dir = makeWorkspace({ 'Dockerfile.tiny': `FROM ${TEST_BASE}\nRUN echo hi > /hi\n` })
    const result = await slimcheck(['run', '--dir', dir, '--format', 'markdown'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('| `tiny` | ✅ built |')
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'slimcheck-report.json'), 'utf8')) as Report
    const image = report.variants[0].image!
    expectConsistentSize(image)
    expect(result.stdout).toContain(`${image.sizeBytes} bytes`)
  })

  it('prints the comparison and the verdict with run --base in text', async () => {
    const dir = makeWorkspace({
      'Dockerfile.app': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=16\n`
    })
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir })
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('commit', '-q', '-m', 'main')
    git('checkout', '-q', '-b', 'pr')
    fs.writeFileSync(
      path.join(dir, 'Dockerfile.app'),
      `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=64\n`
    )
    git('commit', '-q', '-am', 'grow')
    const result = await slimcheck([
      'run',
      '--dir',
      dir,
      '--base',
      'main',
      '--report-path',
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-report-')), 'report.json')
    ])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^VARIANT\s+MAIN\s+PR\s+Δ/)
    expect(lines.find((line) => line.startsWith('app '))).toContain('+49.2 kB')
    expect(lines[lines.length - 1]).toMatch(/^✅ slimcheck: no new violations\. Largest change: app \+49\.2 kB/)
  })

  it('explains bad usage with exit status 2', async () => {
    expect(await slimcheck(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'")
    })
    expect(await slimcheck(['analyze', '--format', 'yaml'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--format: 'yaml' is not allowed")
    })
    expect(await slimcheck(['analyze', 'no/such/dir'])).toMatchObject({
      code: 1,
      stdout: expect.stringContaining('does not exist')
    })
  })
})
