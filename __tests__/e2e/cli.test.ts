import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { Log } from 'sarif'
import { startEngineProxy } from '../support/engine-proxy.js'
import { createFixtureRepo } from '../support/git-fixture.js'
import { measurementDifferences } from '../support/measurements.js'
import { runnerCommands } from '../support/runner-commands.js'
import type { Report } from '../../src/types.js'
import { slimcheck } from '../support/cli.js'
import { expectConsistentSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

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
    const result = await slimcheck(['run', '--dir', dir, '--format', 'markdown', '--keep-images'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('| `tiny` | ✅ built |')
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'slimcheck-report.json'), 'utf8')) as Report
    const image = report.variants[0].image!
    expectConsistentSize(image)
    expect(result.stdout).toContain(`${image.sizeBytes} bytes`)
  })

  it('prints the comparison and the verdict with run --base in text', async () => {
    const { work: dir } = createFixtureRepo(
      { 'Dockerfile.app': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=16\n` },
      { 'Dockerfile.app': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=64\n` }
    )
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

  it('carries unchanged variants from a stored report with run --baseline-report, and builds them with --rebuild', async () => {
    const dir = makeWorkspace({
      'Dockerfile.keep': `FROM ${TEST_BASE}\nRUN echo keep > /keep\n`,
      'Dockerfile.change': `FROM ${TEST_BASE}\nRUN echo one > /change\n`,
      'Dockerfile.broken': `FROM ${TEST_BASE}\nRUN echo "about to fail"; exit 3\n`
    })
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-reports-'))
    const stored = path.join(reports, 'main.json')
    const proxy = await startEngineProxy()
    try {
      const run = (...args: string[]) =>
        slimcheck(['run', '--dir', dir, ...args, '--format', 'json', '-o', '/dev/null'], undefined, {
          DOCKER_HOST: proxy.host
        })
      await run('--report-path', stored)
      fs.writeFileSync(path.join(dir, 'Dockerfile.change'), `FROM ${TEST_BASE}\nRUN echo two > /change\n`)

      let before = proxy.builds()
      const pr = await run('--baseline-report', stored, '--report-path', path.join(reports, 'pr.json'))
      expect(proxy.builds() - before).toBe(2)
      const progress = pr.stderr.split('\n').filter((line) => /^\[\d\/3\] /.test(line))
      expect(progress.map((line) => line.replace(/^\[\d\/3\] /, '')).sort()).toEqual([
        expect.stringMatching(/^broken ✘ .*exit code: 3$/),
        expect.stringMatching(/^change ✔ \d+(\.\d+)? (B|kB|MB) \d+\.\d s$/),
        expect.stringMatching(/^keep ↺ \d+(\.\d+)? (B|kB|MB) inputs unchanged; not rebuilt$/)
      ])
      expect(progress.map((line) => line.slice(0, 5)).sort()).toEqual(['[1/3]', '[2/3]', '[3/3]'])
      const report = JSON.parse(fs.readFileSync(path.join(reports, 'pr.json'), 'utf8')) as Report
      const byName = new Map(report.variants.map((variant) => [variant.name, variant]))
      const main = JSON.parse(fs.readFileSync(stored, 'utf8')) as Report
      const mainKeep = main.variants.find((variant) => variant.name === 'keep')!
      expect(byName.get('keep')!.reused).toEqual(expect.objectContaining({ kind: 'carried' }))
      expect(byName.get('keep')!.image!.sizeBytes).toBe(mainKeep.image!.sizeBytes)
      expect(byName.get('change')!.reused).toBeUndefined()
      expect(byName.get('broken')!.status).toBe('failed')

      before = proxy.builds()
      await run('--baseline-report', stored, '--rebuild', '--report-path', path.join(reports, 'rebuilt.json'))
      expect(proxy.builds() - before).toBe(3)
    } finally {
      await proxy.close()
    }
  })

  it('serves --secret-file from a path taken from the current directory, never printing it', async () => {
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nRUN --mount=type=secret,id=npmrc test "$(cat /run/secrets/npmrc)" = "$(echo file)-value-XYZ"\n`
    })
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-cwd-'))
    fs.mkdirSync(path.join(cwd, 'secrets'))
    fs.writeFileSync(path.join(cwd, 'secrets/npmrc'), 'file-value-XYZ')
    const result = await slimcheck(['run', '--dir', dir, '--secret-file', 'npmrc= secrets/npmrc', '-f', 'json'], cwd)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as Report
    expect(report.variants[0].status).toBe('built')
    expect(`${result.stdout}${result.stderr}`).not.toContain('file-value-XYZ')
  })

  it('lets no build log line become a workflow command when run inside a workflow', async () => {
    const dir = makeWorkspace({
      'Dockerfile.hostile': [
        `FROM ${TEST_BASE}`,
        `RUN printf '::error title=injected::from the log\\n::stop-commands::resume\\n::add-mask::injected-mask\\n';` +
          ` printf '##[warning]legacy-injected\\n::resume::\\n'; exit 4`,
        ''
      ].join('\n')
    })
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-report-')), 'report.json')
    for (const format of ['markdown', 'text']) {
      const result = await slimcheck(['run', '--dir', dir, '--report-path', report, '-f', format], undefined, {
        GITHUB_ACTIONS: 'true'
      })
      expect(result.code).toBe(1)
      expect(`${result.stdout}${result.stderr}`).toContain('injected')
      expect(runnerCommands(result.stdout).filter((line) => line.includes('inject'))).toEqual([])
      expect(runnerCommands(result.stderr).filter((line) => line.includes('inject'))).toEqual([])
    }
  })

  it('shows a run-level problem in every format', async () => {
    const dir = makeWorkspace({ 'src/app.py': 'print(1)\n' })
    const problem = `no Dockerfile found in ${dir} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile; skipped .git, node_modules)`
    const run = async (format: string): Promise<string> => {
      const result = await slimcheck(['run', '--dir', dir, '--format', format])
      expect(result.code).toBe(1)
      return result.stdout
    }
    const text = await run('text')
    expect(text.split('\n')[0]).toBe(`problem: ${problem}`)
    expect(await run('markdown')).toContain(`- ❌ ${problem.replace(/\*/g, '\\*')}`)
    expect((JSON.parse(await run('json')) as Report).problems).toEqual([problem])
    const sarif = JSON.parse(await run('sarif')) as Log
    expect(sarif.runs[0].invocations).toEqual([
      { executionSuccessful: false, toolExecutionNotifications: [{ level: 'error', message: { text: problem } }] }
    ])
  })

  it('measures shards with run --shard and merges them into what one run measures', async () => {
    const dockerfile = (kilobytes: number): string =>
      `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=${kilobytes}\n`
    const { work: dir } = createFixtureRepo(
      { 'Dockerfile.app': dockerfile(16), 'Dockerfile.api': dockerfile(32), 'Dockerfile.web': dockerfile(48) },
      { 'Dockerfile.app': dockerfile(256) }
    )
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-shards-'))
    const report = (name: string): string => path.join(reports, name)
    const policy = ['--max-size-increase', '10%']
    const whole = await slimcheck([
      'run',
      '--dir',
      dir,
      '--base',
      'main',
      ...policy,
      '-f',
      'json',
      '--report-path',
      report('whole.json')
    ])
    expect(whole.code).toBe(1)
    for (const shard of ['1/2', '2/2']) {
      const leg = await slimcheck([
        'run',
        '--dir',
        dir,
        '--base',
        'main',
        '--shard',
        shard,
        ...policy,
        '--report-path',
        report(`shard-${shard[0]}.json`)
      ])
      expect(leg.code).toBe(0)
      expect(leg.stderr).toContain(`partial report of shard ${shard}: ${report(`shard-${shard[0]}.json`)}`)
    }
    const merged = await slimcheck([
      'merge',
      report('shard-1.json'),
      report('shard-2.json'),
      ...policy,
      '-f',
      'json',
      '--report-path',
      report('merged.json')
    ])
    expect(merged.code).toBe(1)
    expect(measurementDifferences(JSON.parse(whole.stdout) as Report, JSON.parse(merged.stdout) as Report)).toEqual([])
    expect(JSON.parse(fs.readFileSync(report('merged.json'), 'utf8'))).toEqual(JSON.parse(merged.stdout))

    const missing = await slimcheck(['merge', report('shard-1.json')])
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain('run: shard 2/2 is missing: no partial report of it was merged')
    expect(missing.stdout.trimEnd().split('\n').pop()).toMatch(
      /^❌ slimcheck: no new violations, but \d+ not checked: shard 2\/2 is missing/
    )

    const third = await slimcheck(['run', '--dir', dir, '--shard', '1/3', '--report-path', report('of-three.json')])
    expect(third.code).toBe(0)
    expect(await slimcheck(['merge', report('shard-2.json'), report('of-three.json')])).toMatchObject({
      code: 2,
      stderr: `slimcheck: the partial reports are from different shard totals (${report('shard-2.json')}: 2 shards; ${report('of-three.json')}: 3 shards); merge the legs of one run\n`
    })
    expect(await slimcheck(['run', '--dir', dir, '--shard', '3/2'])).toMatchObject({
      code: 2,
      stderr: "slimcheck: shard: '3/2' is not one of the 2 shards; number them 1 to 2\n"
    })
  })

  it('refuses an output it cannot write before building anything', async () => {
    const dir = makeWorkspace({ 'Dockerfile.tiny': `FROM ${TEST_BASE}\n`, 'out/keep': '' })
    const output = path.join(dir, 'out')
    expect(await slimcheck(['run', '--dir', dir, '-o', output])).toEqual({
      code: 2,
      stdout: '',
      stderr: `slimcheck: --output: ${output} is a directory; give the path of a file\n`
    })
    expect(fs.existsSync(path.join(dir, 'slimcheck-report.json'))).toBe(false)
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
      code: 2,
      stderr: 'slimcheck: analyze: no/such/dir does not exist\n'
    })
  })
})
