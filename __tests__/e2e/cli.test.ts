import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'
import type { Report } from '../../src/types.js'
import { inspectedSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

const run = promisify(execFile)
const BIN = path.resolve('bin/slimcheck.js')

async function slimcheck(
  args: string[],
  cwd = process.cwd()
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, maxBuffer: 32 * 1024 * 1024 })
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
    expect(result.stdout).toContain('| tiny | ✅ built |')
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'slimcheck-report.json'), 'utf8')) as Report
    expect(report.variants[0].image!.sizeBytes).toBe(inspectedSize(report.variants[0].image!.id))
    expect(result.stdout).toContain(`${report.variants[0].image!.sizeBytes} bytes`)
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
