import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { discoverVariants, findDockerfiles, isDockerfileName, variantNameFor } from '../../src/discover.js'
import { recordingLogger } from '../support/logger.js'

function tree(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-discover-'))
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), 'FROM scratch\n')
  }
  return dir
}

describe('discovery', () => {
  it.each([
    ['Dockerfile', true],
    ['Dockerfile.slim', true],
    ['web.Dockerfile', true],
    ['api.dockerfile', true],
    ['Dockerfile.dockerignore', false],
    ['dockerfile-notes.txt', false],
    ['README.md', false]
  ])('%s is a Dockerfile: %p', (name, expected) => {
    expect(isDockerfileName(name)).toBe(expected)
  })

  it.each([
    ['Dockerfile', 'default'],
    ['Dockerfile.slim', 'slim'],
    ['docker/api/Dockerfile', 'docker/api'],
    ['docker/api/Dockerfile.alpine', 'docker/api/alpine'],
    ['web.Dockerfile', 'web']
  ])('names %s as %s', (file, name) => {
    expect(variantNameFor(file)).toBe(name)
  })

  it('walks the tree, skipping .git, node_modules and excluded globs', () => {
    const dir = tree([
      'Dockerfile',
      'Dockerfile.slim',
      '.git/Dockerfile',
      'node_modules/x/Dockerfile',
      'vendor/a/Dockerfile',
      'docker/api/Dockerfile',
      'docker/api/Dockerfile.dockerignore'
    ])
    const warnings: string[] = []
    const warn = (message: string): number => warnings.push(message)
    expect(findDockerfiles(dir, ['vendor'], warn)).toEqual(['Dockerfile', 'Dockerfile.slim', 'docker/api/Dockerfile'])
    expect(findDockerfiles(dir, ['**/api/**'], warn)).toEqual(['Dockerfile', 'Dockerfile.slim', 'vendor/a/Dockerfile'])
    expect(warnings).toEqual([])
  })

  it('finds a symlinked Dockerfile, valid or broken, and follows no link to a directory', () => {
    const dir = tree(['shared/base.Dockerfile', 'real/Dockerfile.keep'])
    fs.symlinkSync('shared/base.Dockerfile', path.join(dir, 'Dockerfile.linked'))
    fs.symlinkSync('shared/gone.Dockerfile', path.join(dir, 'Dockerfile.broken'))
    fs.symlinkSync('Dockerfile.loop', path.join(dir, 'Dockerfile.loop'))
    fs.symlinkSync('real', path.join(dir, 'Dockerfile.dir'))
    fs.symlinkSync('real', path.join(dir, 'elsewhere'))
    expect(findDockerfiles(dir, [], () => undefined)).toEqual([
      'Dockerfile.broken',
      'Dockerfile.linked',
      'Dockerfile.loop',
      'real/Dockerfile.keep',
      'shared/base.Dockerfile'
    ])
  })

  it('gives each discovered variant its directory as context and the global build-args', () => {
    const dir = tree(['docker/api/Dockerfile'])
    expect(discoverVariants(parseSettings({ 'build-args': 'A=1' }, dir))).toEqual([
      {
        name: 'docker/api',
        dockerfile: 'docker/api/Dockerfile',
        context: 'docker/api',
        buildArgs: { A: '1' },
        platform: undefined
      }
    ])
  })

  it('builds explicit variants, per-variant build-args winning over global ones', () => {
    const dir = tree(['Dockerfile'])
    const variants = discoverVariants(
      parseSettings(
        {
          'build-args': 'A=1\nB=2',
          variants:
            '- dockerfile: Dockerfile\n  target: runtime\n  build-args: {B: 3}\n- dockerfile: Dockerfile\n  name: plain\n  context: .'
        },
        dir
      )
    )
    expect(variants).toEqual([
      {
        name: 'default:runtime',
        dockerfile: 'Dockerfile',
        context: '.',
        target: 'runtime',
        buildArgs: { A: '1', B: '3' },
        platform: undefined
      },
      {
        name: 'plain',
        dockerfile: 'Dockerfile',
        context: '.',
        target: undefined,
        buildArgs: { A: '1', B: '2' },
        platform: undefined
      }
    ])
  })

  it('says where it looked when there is no Dockerfile', () => {
    const dir = tree(['src/app.py'])
    expect(() => discoverVariants(parseSettings({}, dir))).toThrow(`no Dockerfile found in ${dir}`)
  })

  it('says that an empty variants list declares nothing to build, naming the input or the config file', () => {
    const dir = tree(['Dockerfile'])
    expect(() => discoverVariants(parseSettings({ variants: '[]' }, dir))).toThrow(
      'variants: the list is empty, so there is nothing to build; list the Dockerfiles to build, or leave the input empty to build every Dockerfile found'
    )
    fs.mkdirSync(path.join(dir, '.github'))
    for (const text of ['variants: []\n', 'exclude: [docs]\n']) {
      fs.writeFileSync(path.join(dir, '.github/slimcheck.yml'), text)
      expect(() => discoverVariants(parseSettings({}, dir))).toThrow(
        'config-file: .github/slimcheck.yml declares no variants, so there is nothing to build; list them under variants:, or delete the file to build every Dockerfile found'
      )
    }
  })

  it('builds two discovered Dockerfiles that map to one name under names of their own, and says so', () => {
    const dir = tree(['Dockerfile.api', 'api/Dockerfile', 'api/Dockerfile.Dockerfile', 'web/Dockerfile'])
    const logger = recordingLogger()
    const variants = discoverVariants(parseSettings({}, dir), logger)
    expect(variants.map((variant) => [variant.name, variant.dockerfile, variant.context])).toEqual([
      ['api', 'Dockerfile.api', '.'],
      ['api/Dockerfile', 'api/Dockerfile', 'api'],
      ['api/Dockerfile.Dockerfile', 'api/Dockerfile.Dockerfile', 'api'],
      ['web', 'web/Dockerfile', 'web']
    ])
    expect(logger.lines).toEqual([
      "warning: Dockerfile.api and api/Dockerfile would both be variant 'api'; api/Dockerfile is built as variant 'api/Dockerfile'. Rename one of them, or declare the variants with their names",
      "warning: api/Dockerfile and api/Dockerfile.Dockerfile would both be variant 'api/Dockerfile'; api/Dockerfile.Dockerfile is built as variant 'api/Dockerfile.Dockerfile'. Rename one of them, or declare the variants with their names"
    ])
  })

  it('leaves a name with the Dockerfile the baseline gave it, when a pull request adds another that wants it', () => {
    const dir = tree(['Dockerfile.api', 'api/Dockerfile'])
    const logger = recordingLogger()
    const variants = discoverVariants(parseSettings({}, dir), logger, new Map([['api/Dockerfile', 'api']]))
    expect(variants.map((variant) => [variant.name, variant.dockerfile])).toEqual([
      ['Dockerfile.api', 'Dockerfile.api'],
      ['api', 'api/Dockerfile']
    ])
    expect(logger.lines).toEqual([
      "warning: api/Dockerfile and Dockerfile.api would both be variant 'api'; Dockerfile.api is built as variant 'Dockerfile.api'. Rename one of them, or declare the variants with their names"
    ])
  })

  it('leaves a Dockerfile with its path name when a pull request deletes the one that had the name, and says why', () => {
    const dir = tree(['Dockerfile.api', 'web/Dockerfile'])
    const logger = recordingLogger()
    const previous = new Map([
      ['api/Dockerfile', 'api'],
      ['Dockerfile.api', 'Dockerfile.api'],
      ['web/Dockerfile', 'web']
    ])
    expect(discoverVariants(parseSettings({}, dir), logger, previous).map((variant) => variant.name)).toEqual([
      'Dockerfile.api',
      'web'
    ])
    expect(logger.lines).toEqual([
      "warning: Dockerfile.api keeps the name 'Dockerfile.api' the baseline gave it, so that it is compared with itself; the push run after the merge names it 'api'"
    ])
    const unrelated = new Map([['Dockerfile.api', 'backend']])
    expect(discoverVariants(parseSettings({}, dir), undefined, unrelated).map((variant) => variant.name)).toEqual([
      'api',
      'web'
    ])
  })

  it('rejects two declared variants of one name, naming both declarations, and paths outside the working directory, by name or through a link', () => {
    const dir = tree(['Dockerfile', 'Dockerfile.slim', '.github/slimcheck.yml'])
    expect(() => discoverVariants(parseSettings({ variants: '- Dockerfile\n- Dockerfile' }, dir))).toThrow(
      "input variants:1 and input variants:2 both declare a variant named 'default'; give each a distinct 'name'"
    )
    fs.writeFileSync(
      path.join(dir, '.github/slimcheck.yml'),
      'variants:\n  - dockerfile: Dockerfile\n    name: app\n  - Dockerfile.slim\n  - name: app\n    dockerfile: Dockerfile.slim\n'
    )
    expect(() => discoverVariants(parseSettings({}, dir))).toThrow(
      ".github/slimcheck.yml:2 and .github/slimcheck.yml:5 both declare a variant named 'app'"
    )
    expect(() => discoverVariants(parseSettings({ variants: '- ../Dockerfile' }, dir))).toThrow(
      "input variants:1: dockerfile '../Dockerfile' is outside the working directory"
    )
    const host = tree(['Dockerfile'])
    fs.symlinkSync(host, path.join(dir, 'hostroot'))
    expect(() =>
      discoverVariants(parseSettings({ variants: '- dockerfile: Dockerfile\n  context: hostroot' }, dir))
    ).toThrow(`input variants:1: context 'hostroot' leads outside the working directory ${dir} through a symbolic link`)
    expect(() => discoverVariants(parseSettings({ variants: '- hostroot/Dockerfile' }, dir))).toThrow(
      "input variants:1: dockerfile 'hostroot/Dockerfile' leads outside the working directory"
    )
  })
})
