import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { discoverVariants, findDockerfiles, isDockerfileName, variantNameFor } from '../../src/discover.js'

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
    expect(findDockerfiles(dir, ['vendor'])).toEqual(['Dockerfile', 'Dockerfile.slim', 'docker/api/Dockerfile'])
    expect(findDockerfiles(dir, ['**/api/**'])).toEqual(['Dockerfile', 'Dockerfile.slim', 'vendor/a/Dockerfile'])
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

  it('rejects duplicate names and paths outside the working directory', () => {
    const dir = tree(['Dockerfile'])
    expect(() => discoverVariants(parseSettings({ variants: '- Dockerfile\n- Dockerfile' }, dir))).toThrow(
      "two variants are named 'default'"
    )
    expect(() => discoverVariants(parseSettings({ variants: '- ../Dockerfile' }, dir))).toThrow(
      "input variants:1: dockerfile '../Dockerfile' is outside the working directory"
    )
  })
})
