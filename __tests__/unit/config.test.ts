import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import {
  INPUT_DEFAULTS,
  InputError,
  MAX_SECRET_BYTES,
  parseBuildArgs,
  parseDuration,
  parseFailOn,
  parsePlatform,
  parseSecrets,
  parseSettings,
  parseVariantsYaml,
  settingsWarnings,
  withOutputFile
} from '../../src/config.js'

function workspace(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-config-'))
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

describe('action.yml', () => {
  it('declares every input the code reads, with the same defaults (the token comes from the workflow)', () => {
    const action = parse(fs.readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { description: string; default: string }>
    }
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(INPUT_DEFAULTS).sort())
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description.length).toBeGreaterThan(10)
      expect(String(input.default)).toBe(
        name === 'github-token' ? '${{ github.token }}' : INPUT_DEFAULTS[name as keyof typeof INPUT_DEFAULTS]
      )
    }
  })
})

describe('parseSettings', () => {
  it('applies the documented defaults', () => {
    const dir = workspace()
    const settings = parseSettings({}, dir)
    expect(settings).toMatchObject({
      workspace: dir,
      exclude: [],
      variants: undefined,
      allowedCondaImages: ['pytorch/pytorch'],
      cache: 'cold',
      buildTimeoutSeconds: 1200,
      buildArgs: {},
      platform: undefined,
      reportPath: path.join(dir, 'slimcheck-report.json'),
      annotations: true
    })
    expect([...settings.policy.failOn.rules]).toEqual(['conda-in-production'])
  })

  it.each([
    [{ cache: 'lukewarm' }, "cache: 'lukewarm' is not allowed; use one of cold, warm"],
    [{ annotations: 'maybe' }, "annotations: 'maybe' is not a boolean"],
    [{ 'build-timeout': 'soon' }, "build-timeout: 'soon' is not a duration"],
    [{ 'fail-on': 'conda' }, "fail-on: 'conda' is neither a rule"],
    [{ 'working-directory': 'missing' }, 'working-directory:'],
    [{ 'config-file': 'nope.yml' }, 'config-file: nope.yml does not exist'],
    [
      { platform: 'linux/amd64,linux/arm64' },
      "platform: 'linux/amd64,linux/arm64' is not one platform; use os/arch or os/arch/variant"
    ],
    [
      { 'allowed-conda-images': 'pytorch/pytorch, Not An Image' },
      "allowed-conda-images: 'Not An Image' is not an image reference"
    ],
    [{ runs: '0' }, "runs: '0' is not allowed; use a whole number from 1 to 20"],
    [{ 'allowed-conda-images': '*' }, "allowed-conda-images: a bare '*' would accept conda everywhere"],
    [{ baseline: 'latest' }, "baseline: 'latest' is not allowed; use one of auto, build, artifact, none"],
    [
      { 'max-size-increase': 'ten' },
      "max-size-increase: 'ten' is not a limit; use a percentage ('10%') or bytes (52428800) or a size with kB, MB, GB (decimal) or KiB, MiB, GiB (binary), e.g. '50MB'"
    ],
    [{ 'max-size-increase': '50 parsecs' }, "max-size-increase: '50 parsecs' is not a limit"],
    [{ 'max-build-time-increase': '25' }, "max-build-time-increase: '25' is not a percentage; use e.g. '10%'"],
    [{ 'max-size': 'api=' }, "max-size: '' is not a size"],
    [{ 'max-size': '=5MB' }, "max-size: '=5MB' has an empty variant pattern; use 'pattern=size' such as 'api*=500MB'"],
    [{ 'artifact-name': 'a/b' }, "artifact-name: 'a/b' is not a valid artifact name"],
    [{ 'build-timeout': '1000h' }, "build-timeout: '1000h' is longer than the 24 h slimcheck allows"],
    [{ comment: 'sometimes' }, "comment: 'sometimes' is not a boolean"],
    [{ 'fail-on-inherited': 'maybe' }, "fail-on-inherited: 'maybe' is not a boolean"],
    [{ 'size-noise-threshold': 'tiny' }, "size-noise-threshold: 'tiny' is not a limit"],
    [{ 'size-metric': 'zipped' }, "size-metric: 'zipped' is not allowed; use one of uncompressed, compressed"]
  ])('names the input and what is allowed: %p', (raw, message) => {
    expect(() => parseSettings(raw, workspace())).toThrow(InputError)
    expect(() => parseSettings(raw, workspace())).toThrow(message)
  })

  it('reads variants from the config file with located errors', () => {
    const dir = workspace({
      '.github/slimcheck.yml': 'variants:\n  - dockerfile: Dockerfile\n    build-args:\n      BASE: [1, 2]\n'
    })
    expect(() => parseSettings({}, dir)).toThrow(
      '.github/slimcheck.yml:4: variants[0].build-args.BASE must be a string, number or boolean'
    )
  })

  it('prefers the variants input over the config file', () => {
    const dir = workspace({ '.github/slimcheck.yml': 'variants: [a/Dockerfile]\n' })
    expect(parseSettings({ variants: '- b/Dockerfile' }, dir).variants?.map((spec) => spec.dockerfile)).toEqual([
      'b/Dockerfile'
    ])
  })
})

describe('policy values', () => {
  it('accepts the documented forms', () => {
    const { policy } = parseSettings(
      { 'max-size-increase': '50MiB', 'max-build-time-increase': '25%', 'max-size': 'api*=500MB, *=1GB' },
      workspace()
    )
    expect(policy.maxSizeIncrease).toEqual({ bytes: 50 * 1024 * 1024 })
    expect(policy.maxBuildTimeIncreasePercent).toBe(25)
    expect(policy.maxSize).toEqual([
      { pattern: 'api*', bytes: 500_000_000 },
      { pattern: '*', bytes: 1_000_000_000 }
    ])
    expect(parseSettings({ 'max-size-increase': '10%' }, workspace()).policy.maxSizeIncrease).toEqual({ percent: 10 })
    expect(parseSettings({ 'max-size-increase': '52428800' }, workspace()).policy.maxSizeIncrease).toEqual({
      bytes: 52428800
    })
  })

  it('gates on new violations, treats 10 kB as size noise and writes SARIF, unless told otherwise', () => {
    const dir = workspace()
    const defaults = parseSettings({}, dir)
    expect(defaults.policy).toMatchObject({
      failOnInherited: false,
      sizeNoise: { bytes: 10_000 },
      sizeMetric: 'uncompressed'
    })
    expect(defaults.sarifPath).toBe(path.join(dir, 'slimcheck.sarif'))
    const given = parseSettings(
      {
        'fail-on-inherited': 'true',
        'size-noise-threshold': '0.5%',
        'sarif-path': 'out/x.sarif',
        'size-metric': 'compressed'
      },
      dir
    )
    expect(given.policy).toMatchObject({ failOnInherited: true, sizeNoise: { percent: 0.5 }, sizeMetric: 'compressed' })
    expect(given.sarifPath).toBe(path.join(dir, 'out/x.sarif'))
  })

  it('warns that a build-time limit needs more than one run', () => {
    expect(settingsWarnings(parseSettings({ 'max-build-time-increase': '25%' }, workspace()))).toEqual([
      expect.stringContaining('not evaluated with runs: 1')
    ])
    expect(settingsWarnings(parseSettings({ 'max-build-time-increase': '25%', runs: '3' }, workspace()))).toEqual([])
  })
})

describe('outputs', () => {
  it.each([
    [
      { out: 'a file' },
      { 'report-path': 'out/report.json' },
      'report-path: cannot create DIR/out/report.json: DIR/out is a file, not a directory'
    ],
    [
      { 'out/deeper': 'a file' },
      { 'sarif-path': 'out/deeper/more/x.sarif' },
      'sarif-path: cannot create DIR/out/deeper/more/x.sarif: DIR/out/deeper is a file, not a directory'
    ],
    [
      { 'reports/keep': '' },
      { 'sarif-path': 'reports' },
      'sarif-path: DIR/reports is a directory; give the path of a file'
    ],
    [
      {},
      { 'report-path': 'same.json', 'sarif-path': 'same.json' },
      'sarif-path: DIR/same.json is the report-path too; give each its own file'
    ]
  ])('are checked before any build, naming the input: %p %p', (files, raw, message) => {
    const dir = workspace(files)
    expect(() => parseSettings(raw, dir)).toThrow(InputError)
    expect(() => parseSettings(raw, dir)).toThrow(message.replaceAll('DIR', dir))
  })

  it('may be created in directories that do not exist yet, and only those a command writes are checked', () => {
    const dir = workspace({ out: 'a file' })
    expect(parseSettings({ 'report-path': 'new/dir/report.json' }, dir).reportPath).toBe(
      path.join(dir, 'new/dir/report.json')
    )
    expect(parseSettings({ 'sarif-path': 'out/x.sarif' }, dir, ['report-path']).sarifPath).toBe(
      path.join(dir, 'out/x.sarif')
    )
    expect(() => parseSettings({ 'report-path': 'out/r.json' }, dir, ['report-path'])).toThrow('report-path:')
    expect(parseSettings({ 'report-path': 'out/r.json' }, dir, []).reportPath).toBe(path.join(dir, 'out/r.json'))
  })
})

describe('build-args', () => {
  it('warn once that their values are stored in the image history, pointing at secrets, never showing a value', () => {
    const warnings = settingsWarnings(
      parseSettings(
        {
          'build-args': 'TOKEN=hunter2-value\nBASE=slim',
          variants: '- dockerfile: Dockerfile\n  build-args: {PIN: v1-value}'
        },
        workspace()
      )
    )
    expect(warnings).toEqual([
      "build-args BASE, PIN, TOKEN: a RUN step after an ARG stores its value in the image's history, where `docker history` shows it (e.g. RUN |1 BASE=…); pass secrets with the secrets input (--secret on the command line) and RUN --mount=type=secret, which stores nothing"
    ])
    expect(warnings.join('\n')).not.toMatch(/hunter2|v1-value|slim\b/)
  })

  it('are not warned about when they come from the committed config file, or are not set', () => {
    const dir = workspace({
      '.github/slimcheck.yml': 'variants:\n  - dockerfile: Dockerfile\n    build-args: {BASE: slim}\n'
    })
    expect(settingsWarnings(parseSettings({}, dir))).toEqual([])
    expect(settingsWarnings(parseSettings({}, workspace()))).toEqual([])
  })
})

describe('parseVariantsYaml', () => {
  it('accepts paths and mappings, one Dockerfile with several targets and build-arg sets', () => {
    const specs = parseVariantsYaml(
      [
        '- Dockerfile',
        '- dockerfile: docker/Dockerfile',
        '  name: api-slim',
        '  target: runtime',
        '  build-args: { BASE: slim, PY: 3.12 }',
        '- dockerfile: docker/Dockerfile',
        '  name: api-alpine',
        '  build-args:',
        '    BASE: alpine',
        '  platform: linux/amd64'
      ].join('\n'),
      'input variants',
      false
    )
    expect(specs).toEqual([
      { dockerfile: 'Dockerfile', buildArgs: {}, origin: 'input variants:1', committed: false },
      {
        name: 'api-slim',
        dockerfile: 'docker/Dockerfile',
        context: undefined,
        target: 'runtime',
        platform: undefined,
        buildArgs: { BASE: 'slim', PY: '3.12' },
        origin: 'input variants:2',
        committed: false
      },
      {
        name: 'api-alpine',
        dockerfile: 'docker/Dockerfile',
        context: undefined,
        target: undefined,
        platform: 'linux/amd64',
        buildArgs: { BASE: 'alpine' },
        origin: 'input variants:6',
        committed: false
      }
    ])
  })

  it.each([
    ['- dockerfile: [x', 'input variants:1: invalid YAML'],
    ['dockerfile: x', 'input variants:1: variants must be a YAML list'],
    ['- name: x', "input variants:1: variants[0] needs a 'dockerfile'"],
    ['- dockerfile: x\n  targte: y', "input variants:2: variants[0] has unknown key 'targte'"],
    ['- dockerfile: x\n  build-args: [A]', 'input variants:2: variants[0].build-args must be a map'],
    ['- dockerfile: x\n  build-args: { "bad name": 1 }', "variants[0].build-args has an invalid name 'bad name'"],
    [
      '- dockerfile: x\n  platform: linux/amd64,linux/arm64',
      "input variants:2: variants[0].platform: 'linux/amd64,linux/arm64' is not one platform"
    ]
  ])('rejects %p with a located message', (text, message) => {
    expect(() => parseVariantsYaml(text, 'input variants', false)).toThrow(message)
  })

  it('needs a mapping in the config file and allows it to omit variants', () => {
    expect(() => parseVariantsYaml('- a', 'slimcheck.yml', true)).toThrow(
      "slimcheck.yml:1: expected a mapping with a 'variants' list"
    )
    expect(parseVariantsYaml('exclude: []\n', 'slimcheck.yml', true)).toEqual([])
  })
})

describe('small parsers', () => {
  it('parses durations', () => {
    expect(parseDuration('t', '90')).toBe(90)
    expect(parseDuration('t', '90s')).toBe(90)
    expect(parseDuration('t', '20m')).toBe(1200)
    expect(parseDuration('t', '1.5h')).toBe(5400)
    expect(() => parseDuration('t', '0')).toThrow(InputError)
  })

  it('parses fail-on lists of rules and a severity', () => {
    const policy = parseFailOn('shared-tag, warning\nconda-in-production')
    expect([...policy.rules].sort()).toEqual(['conda-in-production', 'shared-tag'])
    expect(policy.minSeverity).toBe('warning')
    expect(parseFailOn('none')).toEqual({ rules: new Set() })
    expect(parseFailOn('error, shared-tag, ERROR').minSeverity).toBe('error')
  })

  it('refuses two different severities in fail-on, naming both', () => {
    expect(() => parseFailOn('warning,error')).toThrow(
      "fail-on: 'warning' and 'error' are two severities; give one: findings at it or above fail the run (info < warning < error)"
    )
    expect(() => parseSettings({ 'fail-on': 'shared-tag\ninfo\nerror' }, workspace())).toThrow(InputError)
  })

  it('parses build-args without echoing values in errors', () => {
    expect(parseBuildArgs('A=1\nTOKEN=abc=def\n')).toEqual({ A: '1', TOKEN: 'abc=def' })
    expect(() => parseBuildArgs('A=1\nhunter2')).toThrow(
      'build-args line 2: expected KEY=VALUE (the value is not shown)'
    )
    expect(() => parseBuildArgs('hunter2')).not.toThrow(/hunter2/)
  })
})

describe('numbers', () => {
  it.each([
    [{ runs: '1e1' }, "runs: '1e1' is not allowed; use a whole number from 1 to 20"],
    [{ runs: '0x5' }, "runs: '0x5' is not allowed"],
    [{ runs: '5.0' }, "runs: '5.0' is not allowed"],
    [{ runs: '0b11' }, "runs: '0b11' is not allowed"],
    [{ runs: '+5' }, "runs: '+5' is not allowed"],
    [{ runs: '' }, "runs: '' is not allowed"],
    [{ runs: '5 5' }, "runs: '5 5' is not allowed"],
    [{ 'build-timeout': '1e3' }, "build-timeout: '1e3' is not a duration"],
    [{ 'build-timeout': '0x10' }, "build-timeout: '0x10' is not a duration"],
    [{ 'build-timeout': 'Infinity' }, "build-timeout: 'Infinity' is not a duration"],
    [{ 'max-size-increase': '1e6' }, "max-size-increase: '1e6' is not a limit"],
    [{ 'max-size-increase': '0x10MB' }, "max-size-increase: '0x10MB' is not a limit"],
    [{ 'max-size-increase': '10.5' }, "max-size-increase: '10.5' is not a limit"],
    [{ 'max-size-increase': '1e1%' }, "max-size-increase: '1e1%' is not a percentage"],
    [{ 'max-build-time-increase': '1e1%' }, "max-build-time-increase: '1e1%' is not a percentage"],
    [{ 'max-size': '1e9' }, "max-size: '1e9' is not a size"],
    [{ 'max-size': 'api=0x5GB' }, "max-size: '0x5GB' is not a size"],
    [{ 'max-size': '100.5b' }, "max-size: '100.5b' is not a size"],
    [{ 'size-noise-threshold': '1e4' }, "size-noise-threshold: '1e4' is not a limit"],
    [{ shard: '1e0/2' }, "shard: '1e0/2' is not a shard"],
    [{ shard: '0x1/2' }, "shard: '0x1/2' is not a shard"]
  ])('are refused unless written in plain decimal, naming the input: %p', (raw, message) => {
    expect(() => parseSettings(raw, workspace())).toThrow(InputError)
    expect(() => parseSettings(raw, workspace())).toThrow(message)
  })

  it('are refused when too large to count', () => {
    const huge = '9'.repeat(400)
    expect(() => parseSettings({ 'max-build-time-increase': `${huge}%` }, workspace())).toThrow(
      'max-build-time-increase:'
    )
    expect(() => parseSettings({ 'max-size': '99999999999999999999GB' }, workspace())).toThrow(
      "max-size: '99999999999999999999GB' is larger than any image"
    )
  })

  it('take decimal fractions where a unit makes them whole, and surrounding white space as every input does', () => {
    const settings = parseSettings(
      { runs: ' 5 ', 'build-timeout': '1.5m', 'max-size': '1.5kB', 'max-size-increase': '2.5%' },
      workspace()
    )
    expect(settings).toMatchObject({ runs: 5, buildTimeoutSeconds: 90 })
    expect(settings.policy).toMatchObject({
      maxSize: [{ pattern: '*', bytes: 1500 }],
      maxSizeIncrease: { percent: 2.5 }
    })
  })
})

describe('platform', () => {
  it.each([
    'linux/amd64',
    'linux/arm64',
    'linux/arm64/v8',
    'linux/arm/v7',
    'linux/arm/v6',
    'linux/arm/v5',
    'linux/386',
    'linux/ppc64le',
    'linux/s390x',
    'linux/riscv64',
    'linux/mips64le',
    'linux/loong64',
    'linux/amd64/v3',
    'windows/amd64',
    'linux/x86_64',
    'linux/aarch64',
    'Linux/AMD64',
    'amd64',
    'linux'
  ])('accepts %p, as BuildKit takes it', (platform) => {
    expect(parsePlatform('platform', platform)).toBe(platform)
  })

  it.each([
    ['linux/banana', "platform: 'linux/banana' has an unknown architecture 'banana'; use one of 386, amd64, arm64"],
    ['banana/amd64', "platform: 'banana/amd64' has an unknown operating system 'banana'; use linux or windows"],
    ['linux/arm/v9', "platform: 'linux/arm/v9' has an unknown arm variant 'v9'; use one of v5, v6, v7, v8"],
    ['linux/s390x/v2', "platform: 'linux/s390x/v2' has a variant 'v2', but s390x has no variants"],
    ['banana', "platform: 'banana' is neither an operating system (linux, windows) nor an architecture"],
    ['linux/amd64/v2/x', "platform: 'linux/amd64/v2/x' is not one platform"]
  ])('refuses %p, naming the input and the value, with examples', (platform, message) => {
    expect(() => parseSettings({ platform }, workspace())).toThrow(InputError)
    expect(() => parseSettings({ platform }, workspace())).toThrow(message)
    expect(() => parseSettings({ platform }, workspace())).toThrow('e.g. linux/amd64, linux/arm64, linux/arm/v7')
  })

  it("checks a declared variant's platform too, at its line", () => {
    expect(() => parseVariantsYaml('- dockerfile: x\n  platform: linux/banana', 'input variants', false)).toThrow(
      "input variants:2: variants[0].platform: 'linux/banana' has an unknown architecture 'banana'"
    )
  })
})

describe('secret-files', () => {
  it("reads a regular file up to BuildKit's 500 KiB limit", () => {
    const dir = workspace({ small: 'token-value\n', max: 'x'.repeat(MAX_SECRET_BYTES) })
    expect(parseSecrets('', 'a=small\nb=max', dir)).toEqual({ a: 'token-value\n', b: 'x'.repeat(MAX_SECRET_BYTES) })
    expect(MAX_SECRET_BYTES).toBe(512000)
  })

  it.each([
    ['/dev/zero', 'secret-files line 1: /dev/zero: is a device, not a regular file; give a file'],
    ['.', 'secret-files line 1: .: is a directory, not a regular file; give a file'],
    ['missing', 'secret-files line 1: missing: cannot be read (ENOENT)'],
    ['big', 'secret-files line 1: big: is larger than the 500 KiB BuildKit accepts for a secret (512001 bytes)']
  ])('refuses %p, naming the line and the path, never the content', (file, message) => {
    const dir = workspace({ big: 'S'.repeat(MAX_SECRET_BYTES + 1) })
    expect(() => parseSecrets('', `id=${file}`, dir)).toThrow(InputError)
    expect(() => parseSecrets('', `id=${file}`, dir)).toThrow(message)
    expect(() => parseSecrets('', `id=${file}`, dir)).not.toThrow(/SSS/)
  })

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const dir = workspace()
    execFileSync('mkfifo', [path.join(dir, 'pipe')])
    expect(() => parseSecrets('', 'id=pipe', dir)).toThrow(
      'secret-files line 1: pipe: is a FIFO (named pipe), not a regular file; give a file'
    )
  })
})

describe('output files', () => {
  it('lists the report and SARIF files that lie in the working directory, to keep them out of build contexts', () => {
    const dir = workspace()
    expect(parseSettings({}, dir).outputFiles).toEqual(['slimcheck-report.json', 'slimcheck.sarif'])
    const elsewhere = path.join(workspace(), 'report.json')
    const settings = parseSettings({ 'report-path': elsewhere, 'sarif-path': 'out/x.sarif' }, dir)
    expect(settings.outputFiles).toEqual(['out/x.sarif'])
    expect(withOutputFile(settings, path.join(dir, 'docs/out.json')).outputFiles).toEqual([
      'out/x.sarif',
      'docs/out.json'
    ])
    expect(withOutputFile(settings, path.join(dir, 'out/x.sarif')).outputFiles).toEqual(['out/x.sarif'])
    expect(withOutputFile(settings, elsewhere).outputFiles).toEqual(['out/x.sarif'])
  })
})
