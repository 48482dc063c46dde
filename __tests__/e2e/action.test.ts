import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { Log } from 'sarif'
import { SCHEMA_VERSION, type Report } from '../../src/types.js'
import { renderGfm, visibleText } from '../support/gfm.js'
import { runAction } from '../support/runner.js'
import { runnerCommands } from '../support/runner-commands.js'
import { expectConsistentSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

const CONDA_DOCKERFILE = [
  `FROM ${TEST_BASE}`,
  'RUN mkdir -p /opt/conda/conda-meta /opt/conda/bin && touch /opt/conda/bin/conda',
  'ENV PATH=/opt/conda/bin:/bin',
  'ENTRYPOINT ["conda", "run", "-n", "app", "python"]',
  ''
].join('\n')

function fixture(): string {
  return makeWorkspace({
    'Dockerfile.app': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/data bs=1024 count=256\n`,
    'Dockerfile.conda': CONDA_DOCKERFILE,
    'docs/<b>evil|name</b>.Dockerfile': `FROM ${TEST_BASE}\nRUN echo '<script>alert(1)</script>' && printf '::error title=injected::from the build log\\n' && exit 1\n`
  })
}

describe('the bundled action, run as the runner runs it', () => {
  it('builds, reports, annotates and fails on conda in production', async () => {
    const workspace = fixture()
    const run = await runAction({ workspace, inputs: { 'report-path': 'out/report.json', 'keep-images': 'true' } })
    expect(run.exitCode).toBe(1)

    const reportPath = path.join(workspace, 'out/report.json')
    expect(run.outputs['report-path']).toBe(reportPath)
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as Report
    expect(report.schemaVersion).toBe(SCHEMA_VERSION)
    expect(report.variants.map((variant) => [variant.name, variant.status])).toEqual([
      ['app', 'built'],
      ['conda', 'built'],
      ['docs/<b>evil|name</b>', 'failed']
    ])
    for (const variant of report.variants.filter((item) => item.image)) expectConsistentSize(variant.image!)

    expect(run.outputs.summary).toBe('3 variants (2 built, 1 failed); 3 errors; policy failed (4)')
    expect(run.outputs).toMatchObject({ passed: 'false', violations: '4', 'size-delta': '' })
    expect(run.summary).toContain('| Variant | Status | Size | Compressed | Layers | Build time | Findings |')
    expect(run.summary.trim()).toBe(run.outputs['comment-body'].trim())
    const rendered = renderGfm(run.summary)
    expect(rendered).not.toMatch(/<(script|b|img)[\s>]/)
    expect(visibleText(rendered)).toContain("echo '<script>alert(1)</script>'")
    expect(visibleText(rendered)).toContain('docs/<b>evil|name</b>')
    expect(run.summary).toContain('::error title=injected::from the build log')
    const sarif = JSON.parse(fs.readFileSync(run.outputs['sarif-path'], 'utf8')) as Log
    expect(run.outputs['sarif-path']).toBe(path.join(workspace, 'slimcheck.sarif'))
    expect(
      sarif.runs[0].results?.map((result) => result.locations?.[0].physicalLocation?.artifactLocation?.uri)
    ).toContain('Dockerfile.conda')
    expect(
      run.annotations.filter(
        (annotation) => annotation.properties.title === 'injected' || annotation.message === 'from the build log'
      )
    ).toEqual([])

    const conda = run.annotations.filter(
      (annotation) => annotation.properties.title === 'slimcheck conda-in-production'
    )
    expect(
      conda.map((annotation) => [annotation.level, annotation.properties.file, annotation.properties.line])
    ).toEqual([
      ['error', 'Dockerfile.conda', '3'],
      ['error', 'Dockerfile.conda', '4'],
      ['error', 'Dockerfile.conda', '1']
    ])
    expect(run.stdout).toMatch(
      /::error::slimcheck: \d+ problems: .*conda: conda-in-production \(error\) at Dockerfile.conda:3 is in fail-on/
    )
    expect(run.stdout).toContain('::group::Build app (head, cold cache)')
  })

  it('passes when fail-on is none and no build fails', async () => {
    const workspace = makeWorkspace({ 'Dockerfile.conda': CONDA_DOCKERFILE })
    const run = await runAction({ workspace, inputs: { 'fail-on': 'none' } })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.summary).toBe('1 variant (1 built); 3 errors; policy passed')
  })

  it('reports a missing and an unparsable Dockerfile with their location, and builds the rest', async () => {
    const workspace = makeWorkspace({
      'Dockerfile.good': `FROM ${TEST_BASE}\n`,
      'Dockerfile.bad': `FROM ${TEST_BASE}\nRUNN echo typo\n`
    })
    const variants = '- Dockerfile.good\n- Dockerfile.bad\n- dockerfile: missing/Dockerfile\n  name: missing'
    const run = await runAction({ workspace, inputs: { variants } })
    expect(run.exitCode).toBe(1)
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    expect(report.variants.map((variant) => [variant.name, variant.status])).toEqual([
      ['good', 'built'],
      ['bad', 'failed'],
      ['missing', 'failed']
    ])
    expect(report.variants[1].findings[0]).toMatchObject({ rule: 'parse-error', file: 'Dockerfile.bad', line: 2 })
    expect(report.variants[2].failure!.message).toContain('missing/Dockerfile does not exist')
    expect(
      run.annotations.some(
        (annotation) => annotation.properties.file === 'Dockerfile.bad' && annotation.properties.line === '2'
      )
    ).toBe(true)
  })

  it('checks where it writes before the first build, naming the input, and still writes what it can', async () => {
    const workspace = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\n`, out: 'a file', 'reports/keep': '' })
    const badReport = await runAction({ workspace, inputs: { 'report-path': 'out/report.json' } })
    expect(badReport.exitCode).toBe(1)
    expect(badReport.annotations).toContainEqual({
      level: 'error',
      properties: {},
      message: `slimcheck: report-path: cannot create ${workspace}/out/report.json: ${workspace}/out is a file, not a directory`
    })
    expect(badReport.stdout).not.toContain('::group::Build')
    expect(badReport.outputs.passed).toBe('false')

    const badSarif = await runAction({ workspace, inputs: { 'sarif-path': 'reports' } })
    expect(badSarif.exitCode).toBe(1)
    const problem = `sarif-path: ${workspace}/reports is a directory; give the path of a file`
    expect(badSarif.annotations).toContainEqual({ level: 'error', properties: {}, message: `slimcheck: ${problem}` })
    expect(badSarif.stdout).not.toContain('::group::Build')
    expect(badSarif.outputs).toMatchObject({
      passed: 'false',
      'report-path': path.join(workspace, 'slimcheck-report.json')
    })
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    expect(report.problems).toEqual([problem])
  })

  it('rejects a bad input by name, and still writes the JSON report', async () => {
    const workspace = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\n` })
    const run = await runAction({ workspace, inputs: { cache: 'tepid' } })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain("cache: 'tepid' is not allowed; use one of cold, warm")
    const report = JSON.parse(fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')) as Report
    expect(report.problems).toEqual(["cache: 'tepid' is not allowed; use one of cold, warm"])
  })

  it('masks every line of build-arg and secret values, and keeps them out of every output it writes', async () => {
    const workspace = makeWorkspace({
      'Dockerfile.leaky': [
        `FROM ${TEST_BASE}`,
        'ARG ML',
        'RUN --mount=type=secret,id=npmrc --mount=type=secret,id=token echo "$ML"; cat /run/secrets/npmrc;' +
          ' cat /run/secrets/token; exit 5',
        ''
      ].join('\n'),
      'Dockerfile.uses-secret': [
        `FROM ${TEST_BASE}`,
        'RUN --mount=type=secret,id=npmrc test "$(sed -n 2p /run/secrets/npmrc)" = "line2-$(echo FILESECRET)" && echo found > /found',
        ''
      ].join('\n')
    })
    const secretFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-secret-')), 'npmrc')
    fs.writeFileSync(secretFile, 'line1-FILESECRET\nline2-FILESECRET\n')
    const variants = [
      '- Dockerfile.uses-secret',
      '- dockerfile: Dockerfile.leaky',
      '  build-args: { ML: "part1-AAA\\npart2-BBB" }'
    ]
    const run = await runAction({
      workspace,
      inputs: {
        variants: variants.join('\n'),
        'build-args': 'PLAIN=plain-CCC',
        secrets: 'token=tok-DDD',
        'secret-files': `npmrc=${secretFile}`,
        'fail-on': 'none'
      }
    })
    expect(run.exitCode).toBe(1)
    const report = fs.readFileSync(path.join(workspace, 'slimcheck-report.json'), 'utf8')
    expect((JSON.parse(report) as Report).variants.map((variant) => [variant.name, variant.status])).toEqual([
      ['uses-secret', 'built'],
      ['leaky', 'failed']
    ])
    const fragments = ['part1-AAA', 'part2-BBB', 'plain-CCC', 'tok-DDD', 'line1-FILESECRET', 'line2-FILESECRET']
    const sarif = fs.readFileSync(run.outputs['sarif-path'], 'utf8')
    const outputs = Object.values(run.outputs).join('\n')
    for (const text of [report, sarif, run.summary, outputs, run.stderr]) {
      for (const fragment of fragments) expect(text).not.toContain(fragment)
    }
    expect(run.summary).toContain('***')
    const masks = new Set(run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::')))
    for (const fragment of fragments) {
      expect(masks).toContain(`::add-mask::${fragment}`)
      const printed = run.stdout.split('\n').filter((line) => line.includes(fragment))
      expect(printed.filter((line) => !line.startsWith('::add-mask::'))).toEqual([])
    }
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/build-args.*history/) })
    )
  })

  it('lets no build log, error or variant name become a workflow command', async () => {
    const workspace = makeWorkspace({
      'Dockerfile.inject': `FROM ${TEST_BASE}\nRUN echo "##[warning]legacy-injected" && echo "::warning::modern-injected" && exit 3\n`
    })
    const run = await runAction({ workspace, inputs: { 'fail-on': 'none' } })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('legacy-injected')
    const modern = /^::[^\s:]+[^:]*::/
    const injected = runnerCommands(run.stdout).filter(
      (line) =>
        line.includes('injected') && (!modern.test(line.trimStart()) || line.trimStart().startsWith('::warning::'))
    )
    expect(injected).toEqual([])
  })
})
