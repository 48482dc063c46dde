import { describe, expect, it } from '@jest/globals'
import { buildContext, contextEntries, ContextError, EXTERNAL_DOCKERFILE } from '../../src/measure/context.js'
import { makeWorkspace } from '../support/workspace.js'

const names = (dir: string, dockerfile = 'Dockerfile'): string[] =>
  contextEntries(dir, dockerfile).map((entry) => `${entry.type[0]} ${entry.name}`)

describe('the build context', () => {
  it('excludes nested paths by anchored patterns, and re-includes with !', () => {
    const dir = makeWorkspace({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'sub/secret.txt\nlogs\n!logs/keep.txt\n**/node_modules\n*.md\n!README.md\n',
      'sub/secret.txt': 's',
      'sub/app.py': 'a',
      'logs/debug.log': 'd',
      'logs/keep.txt': 'k',
      'web/node_modules/x.js': 'x',
      'web/index.js': 'i',
      'NOTES.md': 'n',
      'README.md': 'r'
    })
    expect(names(dir)).toEqual([
      'f .dockerignore',
      'f Dockerfile',
      'f README.md',
      'd logs',
      'f logs/keep.txt',
      'd sub',
      'f sub/app.py',
      'd web',
      'f web/index.js'
    ])
  })

  it('sends only what an allowlist re-includes, and always the Dockerfile and .dockerignore', () => {
    const dir = makeWorkspace({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '*\n!app/main.py\n',
      'app/main.py': 'm',
      'app/other.py': 'o',
      'data.bin': 'd'
    })
    expect(names(dir)).toEqual(['f .dockerignore', 'f Dockerfile', 'd app', 'f app/main.py'])
  })

  it('prefers <Dockerfile>.dockerignore next to the Dockerfile', () => {
    const dir = makeWorkspace({
      'docker/api.Dockerfile': 'FROM scratch\n',
      'docker/api.Dockerfile.dockerignore': 'big.bin\n',
      '.dockerignore': 'small.txt\n',
      'big.bin': 'b',
      'small.txt': 's'
    })
    expect(names(dir, 'docker/api.Dockerfile')).toEqual([
      'f .dockerignore',
      'd docker',
      'f docker/api.Dockerfile',
      'f docker/api.Dockerfile.dockerignore',
      'f small.txt'
    ])
  })
})

describe('a Dockerfile outside the context', () => {
  it('travels inside it under its own name, read from where it lies', () => {
    const dir = makeWorkspace({ 'docker/app.Dockerfile': 'FROM scratch\n', 'app/main.sh': 'echo\n' })
    const { entries, dockerfile } = buildContext(`${dir}/app`, '../docker/app.Dockerfile')
    expect(dockerfile).toBe(EXTERNAL_DOCKERFILE)
    expect(entries).toEqual([
      { name: 'main.sh', type: 'file', source: `${dir}/app/main.sh` },
      { name: EXTERNAL_DOCKERFILE, type: 'file', source: `${dir}/docker/app.Dockerfile` }
    ])
  })

  it('leaves a Dockerfile inside the context where it is', () => {
    const dir = makeWorkspace({ Dockerfile: 'FROM scratch\n' })
    expect(buildContext(dir, 'Dockerfile')).toEqual({
      entries: [{ name: 'Dockerfile', type: 'file', source: `${dir}/Dockerfile` }],
      dockerfile: 'Dockerfile'
    })
  })
})

describe('files another checkout lends', () => {
  const base = (): string =>
    makeWorkspace({ Dockerfile: 'FROM scratch\n', '.git': 'gitdir: /elsewhere\n', 'app/main.py': 'base' })
  const head = (): string =>
    makeWorkspace({
      '.git/HEAD': 'ref: refs/heads/pr\n',
      'app/main.py': 'head',
      'app/generated.txt': 'g',
      'dist/bundle.js': 'b',
      '.dockerignore': 'ignored-by-base-rules\n'
    })

  it('replace what this checkout has at their paths, and are read from the other checkout', () => {
    const baseDir = base()
    const headDir = head()
    const entries = contextEntries(baseDir, 'Dockerfile', {
      dir: headDir,
      roots: ['.git', 'app/generated.txt', 'dist']
    })
    expect(entries.map((entry) => [entry.name, entry.source])).toEqual([
      ['.git', `${headDir}/.git`],
      ['.git/HEAD', `${headDir}/.git/HEAD`],
      ['Dockerfile', `${baseDir}/Dockerfile`],
      ['app', `${baseDir}/app`],
      ['app/generated.txt', `${headDir}/app/generated.txt`],
      ['app/main.py', `${baseDir}/app/main.py`],
      ['dist', `${headDir}/dist`],
      ['dist/bundle.js', `${headDir}/dist/bundle.js`]
    ])
  })

  it("follow this side's .dockerignore", () => {
    const baseDir = makeWorkspace({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'dist\n.git\n' })
    const entries = contextEntries(baseDir, 'Dockerfile', { dir: head(), roots: ['.git', 'dist'] })
    expect(entries.map((entry) => entry.name)).toEqual(['.dockerignore', 'Dockerfile'])
  })
})

describe('a build context that cannot be read', () => {
  it('fails with a ContextError naming what could not be read, for the ignore file too', () => {
    const dir = makeWorkspace({ Dockerfile: 'FROM scratch\n', '.dockerignore/oops': 'a directory, not a file' })
    expect(() => buildContext(dir, 'Dockerfile')).toThrow(ContextError)
    expect(() => buildContext(dir, 'Dockerfile')).toThrow(/cannot read \.dockerignore in the build context \(EISDIR\)/)
  })
})
