import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import { editDistance, joinDashValues, main, runnerSafeJson, withoutRunnerCommands, type CliIo } from '../../src/cli.js'
import type { Report } from '../../src/types.js'
import { VERSION } from '../../src/version.js'
import { runnerCommands } from '../support/runner-commands.js'

interface Run {
  code: number
  stdout: string
  stderr: string
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { stream, text: () => Buffer.concat(chunks).toString() }
}

async function cli(argv: string[], io: Partial<CliIo> = {}, stdin = ''): Promise<Run> {
  const stdout = collect()
  const stderr = collect()
  const code = await main(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: [Buffer.from(stdin)],
    env: {},
    stdoutIsTTY: false,
    stdoutIsFile: false,
    ...io
  })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-cli-'))
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

const CONDA = 'FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y numpy\n'
const HOSTILE_NAME = 'Dockerfile.x\n::error title=injected::from a file name\r##[add-mask]x'

describe('the command line', () => {
  it('prints its version with -V and --version, and its usage with -h', async () => {
    for (const flag of ['-V', '--version'])
      expect(await cli([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' })
    const help = await cli(['-h'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('slimcheck analyze [FILE|DIR|-...] [-f text|markdown|json|sarif] [-o FILE]')
  })

  it('reads a Dockerfile from standard input with analyze -, reported as file -', async () => {
    const result = await cli(['analyze', '-', '-f', 'json'], {}, CONDA)
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as Report
    expect(report.variants).toMatchObject([{ name: 'stdin', dockerfile: '-' }])
    expect(report.variants[0].findings.map((finding) => `${finding.file}:${finding.line} ${finding.rule}`)).toEqual([
      '-:1 conda-in-production',
      '-:2 conda-in-production'
    ])
  })

  it('writes the chosen format to -o instead of standard output', async () => {
    const dir = workspace({ Dockerfile: 'FROM debian:bookworm-slim\n' })
    const out = path.join(dir, 'out.sarif')
    const result = await cli(['analyze', path.join(dir, 'Dockerfile'), '-f', 'sarif', '-o', out])
    expect(result).toMatchObject({ code: 0, stdout: '' })
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ version: '2.1.0' })
  })

  it('exits 1 on a fail-on finding, 0 with fail-on none, 2 for bad usage', async () => {
    expect((await cli(['analyze', '-'], {}, CONDA)).code).toBe(1)
    expect((await cli(['analyze', '-', '--fail-on', 'none'], {}, CONDA)).code).toBe(0)
    expect(await cli(['analyze', '-f', 'yaml'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--format: 'yaml' is not allowed; use one of text, markdown, json, sarif")
    })
  })

  it('ends text with the verdict', async () => {
    const result = await cli(['analyze', '-'], {}, CONDA)
    expect(result.stdout.trimEnd().split('\n').pop()).toBe(
      '❌ slimcheck: 2 violations (no baseline, so every finding counts): stdin has conda-in-production (-:1, :2). 0 of 1 variant built, 0 B in all.'
    )
  })

  it('colours text on a terminal unless NO_COLOR is set, and on request with FORCE_COLOR', async () => {
    const escape = '\u001b['
    expect((await cli(['analyze', '-'], { stdoutIsTTY: true }, CONDA)).stdout).toContain(escape)
    expect((await cli(['analyze', '-'], { stdoutIsTTY: true, env: { NO_COLOR: '1' } }, CONDA)).stdout).not.toContain(
      escape
    )
    expect((await cli(['analyze', '-'], {}, CONDA)).stdout).not.toContain(escape)
    expect((await cli(['analyze', '-'], { env: { FORCE_COLOR: '1' } }, CONDA)).stdout).toContain(escape)
  })
})

describe('arguments', () => {
  it('take a value starting with a dash and a space, such as a YAML list, after a string option', async () => {
    expect(joinDashValues(['run', '--variants', '- dockerfile: x', '-o', '- a', '--', '--variants', '- y'])).toEqual([
      'run',
      '--variants=- dockerfile: x',
      '--output=- a',
      '--',
      '--variants',
      '- y'
    ])
    expect(
      await cli(['analyze', '-', '--variants', '- dockerfile: x\n  target: t'], {}, 'FROM debian:bookworm-slim\n')
    ).toMatchObject({ code: 0, stderr: '' })
    expect(
      await cli(['analyze', '-', '--variants', '- dockerfile: [x'], {}, 'FROM debian:bookworm-slim\n')
    ).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^slimcheck: input variants:1: invalid YAML/)
    })
  })

  it('still refuse an option where a value was forgotten', async () => {
    expect(joinDashValues(['run', '--base', '--rebuild'])).toEqual(['run', '--base', '--rebuild'])
    expect(await cli(['run', '--base', '--rebuild'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Option '--base' argument is ambiguous")
    })
  })

  it('suggest the nearest option for a mistyped one', async () => {
    for (const typo of ['--keep-image', '--keep-imgaes', '-keep-images', '--keep-image=1'])
      expect(await cli(['run', typo])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(
          new RegExp(`^slimcheck: unknown option '${typo.split('=')[0]}'; did you mean --keep-images\\?\n`)
        )
      })
    expect(await cli(['analyze', '--frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^slimcheck: unknown option '--frobnicate'\n/)
    })
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })

  it('make analyze of a missing file bad usage', async () => {
    expect(await cli(['analyze', 'no/such/Dockerfile'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'slimcheck: analyze: no/such/Dockerfile does not exist\n'
    })
  })
})

describe('-f json -o FILE', () => {
  it("writes the report document itself: a leg's partial report, which merge takes", async () => {
    const dir = workspace({ 'src/app.py': 'print(1)\n' })
    const [out, report] = [path.join(dir, 'out.json'), path.join(dir, 'report.json')]
    const dockerHost = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = `unix://${path.join(dir, 'no-engine.sock')}`
    try {
      const leg = await cli(['run', '--dir', dir, '--shard', '1/1', '-f', 'json', '-o', out, '--report-path', report])
      expect(leg.code).toBe(1)
      expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(report, 'utf8'))
      expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ shard: { index: 1, total: 1 } })
      const merged = await cli(['merge', out, '-f', 'json', '--report-path', path.join(dir, 'merged.json')])
      expect(merged.stderr).toBe(`report: ${path.join(dir, 'merged.json')}\n`)
      expect((JSON.parse(merged.stdout) as Report).problems).toEqual(
        expect.arrayContaining([expect.stringContaining('no Dockerfile found')])
      )
    } finally {
      if (dockerHost === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = dockerHost
    }
  })
})

describe('inside a workflow', () => {
  const underActions: Partial<CliIo> = { env: { GITHUB_ACTIONS: 'true' } }

  it('prints no line a runner would execute, whatever the file name holds, in every format', async () => {
    const dir = workspace({ [HOSTILE_NAME]: 'FROM python\n' })
    for (const format of ['text', 'markdown', 'json', 'sarif']) {
      const result = await cli(['analyze', dir, '-f', format], underActions)
      expect(result.code).toBe(0)
      expect(runnerCommands(result.stdout)).toEqual([])
      expect(runnerCommands(result.stderr)).toEqual([])
      expect(result.stdout).toContain(format === 'text' || format === 'markdown' ? 'from a file name' : 'injected')
    }
  })

  it('keeps file names on one line in text even outside a workflow', async () => {
    const dir = workspace({ [HOSTILE_NAME]: 'FROM python\n' })
    const result = await cli(['analyze', dir])
    expect(result.stdout.split(/\r\n|\r|\n/).filter((line) => line.trimStart().startsWith('::'))).toEqual([])
    expect(result.stdout).toContain('Dockerfile.x ::error title=injected::from a file name ##[add-mask]x')
  })

  it('wraps text and Markdown for the runner, but not what goes to a file, nor JSON for machines', async () => {
    const text = await cli(['analyze', '-', '-f', 'markdown'], underActions, CONDA)
    expect(text.stdout).toMatch(/^::stop-commands::([0-9a-f-]{36})\n[\s\S]*\n::\1::\n$/)
    const redirected = await cli(['analyze', '-', '-f', 'markdown'], { ...underActions, stdoutIsFile: true }, CONDA)
    expect(redirected.stdout).not.toContain('::stop-commands::')
    const json = await cli(['analyze', '-', '-f', 'json'], underActions, CONDA)
    expect(json.stdout.startsWith('{')).toBe(true)
  })

  it('shields log text from the runner in every form it reads', () => {
    const log = ['::add-mask::secret', '  ::error::indented', 'ok ##[set-output name=x]y', 'a\r::warning::after CR']
    expect(runnerCommands(log.join('\n'))).toHaveLength(4)
    expect(runnerCommands(withoutRunnerCommands(log.join('\n')))).toEqual([])
    const json = runnerSafeJson({ logTail: log })
    expect(runnerCommands(json)).toEqual([])
    expect(JSON.parse(json)).toEqual({ logTail: log })
  })
})
