import { describe, expect, it } from '@jest/globals'
import { imageBytesOf } from '../../src/measure/bytes/facts.js'
import type { LayerFiles } from '../../src/measure/bytes/layer-files.js'
import { installedPackages } from '../../src/measure/bytes/package-db.js'
import { replayLayers } from '../../src/measure/bytes/replay.js'
import { isToolchainPackage } from '../../src/measure/bytes/toolchain.js'
import type { ByteFact } from '../../src/types.js'

const MB = 1_000_000

const byteFactsOf = (layers: LayerFiles[]): ByteFact[] => imageBytesOf(layers).byteFacts

function layer(
  files: Record<string, number>,
  options: Partial<Omit<LayerFiles, 'entries'>> & { line?: number; keyword?: string } = {}
): LayerFiles {
  const { line, keyword = 'RUN', ...rest } = options
  return {
    entries: Object.entries(files).map(([name, size]) => ({ name, size })),
    whiteouts: [],
    opaqueDirs: [],
    compressionRatio: 0.5,
    packageDatabases: {},
    languagePackages: {},
    installers: {},
    ...(line ? { instruction: { line, keyword } } : {}),
    ...rest
  }
}

function dpkgStatus(packages: Record<string, number>, removed: string[] = []): string {
  const stanza = (name: string, kib: number, status: string): string =>
    `Package: ${name}\nStatus: ${status}\nPriority: optional\nInstalled-Size: ${kib}\nVersion: 1\n`
  return [
    ...Object.entries(packages).map(([name, kib]) => stanza(name, kib, 'install ok installed')),
    ...removed.map((name) => stanza(name, 999, 'deinstall ok config-files'))
  ].join('\n')
}

describe('dead bytes', () => {
  it('counts what a later line deletes once, per writing and deleting line, with the common directory', () => {
    const facts = byteFactsOf([
      layer({ bin: 0, 'bin/sh': 1000 }),
      layer({ tmp: 0, 'tmp/build/a.o': 7 * MB, 'tmp/build/sub/b.o': 5 * MB, keep: 3 * MB }, { line: 2 }),
      layer({ tmp: 0 }, { line: 3, whiteouts: ['tmp/build'] })
    ])
    expect(facts).toEqual([
      {
        rule: 'dead-bytes',
        kind: 'files',
        path: '/tmp/build',
        writer: { line: 2, keyword: 'RUN' },
        remover: { line: 3, keyword: 'RUN' },
        removal: 'deleted',
        bytes: 12 * MB,
        compressedBytes: 6 * MB
      }
    ])
  })

  it('tells files a RUN rewrote at the same size (a chown) from those overwritten or deleted', () => {
    const facts = byteFactsOf([
      layer({ 'app/data.bin': 4 * MB, 'app/conf': 3 * MB, 'app/old/x': 2 * MB, 'srv/y': 1 * MB }, { line: 2 }),
      layer({ 'app/data.bin': 4 * MB, 'app/conf': 1 }, { line: 3 }),
      layer({ 'app/old': 0 }, { line: 4, opaqueDirs: ['app/old'] }),
      layer({ 'srv/y': 1 * MB }, { line: 5, keyword: 'COPY' })
    ])
    const summary = facts.map(({ rule, remover, removal, bytes }) => [rule, remover!.line, removal, bytes])
    expect(summary).toEqual([
      ['dead-bytes', 3, 'overwritten', 3 * MB],
      ['dead-bytes', 4, 'deleted', 2 * MB],
      ['dead-bytes', 5, 'overwritten', 1 * MB],
      ['metadata-rewrite', 3, 'overwritten', 4 * MB]
    ])
  })

  it('names the base image as the writer, and leaves what the base hid in its own layers to the base', () => {
    const facts = byteFactsOf([
      layer({ 'usr/share/doc/a': 3 * MB, 'usr/share/doc/b': 1 * MB }),
      layer({}, { whiteouts: ['usr/share/doc/b'] }),
      layer({}, { line: 2, whiteouts: ['usr/share/doc'] })
    ])
    expect(facts).toEqual([expect.objectContaining({ rule: 'dead-bytes', bytes: 3 * MB, path: '/usr/share/doc' })])
    expect(facts[0].writer).toBeUndefined()
  })

  it('counts a file deleted, written again and deleted again once per writing layer', () => {
    const facts = byteFactsOf([
      layer({ 'srv/a': 2 * MB }, { line: 2 }),
      layer({}, { line: 3, whiteouts: ['srv'] }),
      layer({ 'srv/a': 3 * MB }, { line: 4 }),
      layer({}, { line: 5, whiteouts: ['srv'] })
    ])
    expect(facts.map(({ writer, remover, bytes }) => [writer!.line, remover!.line, bytes])).toEqual([
      [4, 5, 3 * MB],
      [2, 3, 2 * MB]
    ])
  })

  it('hides what a directory held when a file takes its place', () => {
    const facts = byteFactsOf([
      layer({ 'opt/x/a': 4 * MB, 'opt/x/b': 1 * MB }, { line: 2 }),
      layer({ 'opt/x': 10 }, { line: 3 })
    ])
    expect(facts).toEqual([expect.objectContaining({ path: '/opt/x', removal: 'overwritten', bytes: 5 * MB })])
  })

  it('hides what a directory held when a symbolic link takes its place, for the conda check too', () => {
    const lower = layer({ 'opt/conda': 0, 'opt/conda/bin/conda': 2 * MB, 'opt/conda/conda-meta': 0 }, { line: 2 })
    const upper: LayerFiles = { ...layer({}, { line: 3 }), entries: [{ name: 'opt/conda', size: 0, link: '/usr' }] }
    const replay = replayLayers([lower, upper])
    expect(replay.kept.flatMap((group) => group.entries)).toEqual([{ name: 'opt/conda', size: 0, link: '/usr' }])
    expect(byteFactsOf([lower, upper])).toEqual([
      expect.objectContaining({ rule: 'dead-bytes', path: '/opt/conda/bin', removal: 'overwritten', bytes: 2 * MB })
    ])
  })

  it('keeps a directory listed again by a later layer, and its files', () => {
    const facts = byteFactsOf([layer({ opt: 0, 'opt/x': 5 * MB }, { line: 2 }), layer({ opt: 0 }, { line: 3 })])
    expect(facts).toEqual([])
  })
})

describe('caches and version control', () => {
  it('attributes what the image keeps to the line that wrote it, per directory', () => {
    const facts = byteFactsOf([
      layer({ 'var/lib/apt/lists/base_Packages': 1 * MB }),
      layer({ 'var/lib/apt/lists/deb_Packages': 40 * MB, 'var/cache/apt/archives/x.deb': 3 * MB }, { line: 2 }),
      layer({ 'root/.cache/pip/http/a': 9 * MB, 'home/u/.npm/_cacache/b': 2 * MB }, { line: 3 }),
      layer({ 'app/.git/objects/pack/p.pack': 12 * MB, 'app/src/.gitignore': 10 }, { line: 4, keyword: 'COPY' })
    ])
    const summary = facts.map(({ rule, kind, path, writer, bytes }) => [rule, kind, path, writer?.line, bytes])
    expect(summary).toEqual([
      ['package-cache', 'apt lists', '/var/lib/apt/lists', 2, 40 * MB],
      ['package-cache', 'apt cache', '/var/cache/apt', 2, 3 * MB],
      ['package-cache', 'apt lists', '/var/lib/apt/lists', undefined, 1 * MB],
      ['language-cache', 'pip cache', '/root/.cache/pip', 3, 9 * MB],
      ['language-cache', 'npm cache', '/home/u/.npm/_cacache', 3, 2 * MB],
      ['vcs-in-image', '.git', '/app/.git', 4, 12 * MB]
    ])
  })

  it("finds conda's package cache beside conda-meta only", () => {
    const facts = byteFactsOf([
      layer({ 'opt/conda/conda-meta/x.json': 10, 'opt/conda/pkgs/numpy.tar.bz2': 8 * MB, 'srv/pkgs/y': 5 * MB })
    ])
    expect(facts.map(({ kind, path }) => [kind, path])).toEqual([['conda package cache', '/opt/conda/pkgs']])
  })

  it('counts nothing a later layer deleted as left in the image: those are dead bytes', () => {
    const facts = byteFactsOf([
      layer({ 'var/lib/apt/lists/deb_Packages': 40 * MB }, { line: 2 }),
      layer({}, { line: 3, whiteouts: ['var/lib/apt/lists/deb_Packages'] })
    ])
    expect(facts.map((fact) => fact.rule)).toEqual(['dead-bytes'])
  })
})

describe('build toolchain', () => {
  it('reads installed packages and their sizes from dpkg and apk', () => {
    expect(installedPackages('var/lib/dpkg/status', dpkgStatus({ gcc: 10, make: 2 }, ['old-dev']))).toEqual(
      new Map([
        ['gcc', { version: '1', bytes: 10 * 1024 }],
        ['make', { version: '1', bytes: 2 * 1024 }]
      ])
    )
    expect(installedPackages('lib/apk/db/installed', 'C:x\nP:musl-dev\nV:1\nI:4096\n\nP:busybox\nI:100\n')).toEqual(
      new Map([
        ['musl-dev', { version: '1', bytes: 4096 }],
        ['busybox', { version: '', bytes: 100 }]
      ])
    )
  })

  it.each([
    ['gcc', true],
    ['gcc-12', true],
    ['g++-12', true],
    ['cpp-14-x86-64-linux-gnu', true],
    ['libc6-dev', true],
    ['libpython3.11-dev', true],
    ['build-essential', true],
    ['musl-dev', true],
    ['libgcc-s1', false],
    ['libstdc++6', false],
    ['udev', false],
    ['python3', false]
  ])('%s is a build-only package: %s', (name, expected) => {
    expect(isToolchainPackage(name)).toBe(expected)
  })

  it('attributes each package to the line that installed it, and keeps a package the base had with the base', () => {
    const status = 'var/lib/dpkg/status'
    const facts = byteFactsOf([
      layer({ [status]: 100 }, { packageDatabases: { [status]: dpkgStatus({ 'libc6-dev': 1000, bash: 500 }) } }),
      layer(
        { [status]: 100 },
        { line: 2, packageDatabases: { [status]: dpkgStatus({ 'libc6-dev': 1000, bash: 500, 'gcc-12': 30000 }) } }
      )
    ]).filter((fact) => fact.rule === 'build-toolchain')
    expect(facts).toEqual([
      expect.objectContaining({
        rule: 'build-toolchain',
        writer: { line: 2, keyword: 'RUN' },
        bytes: 30000 * 1024,
        packages: [{ name: 'gcc-12', bytes: 30000 * 1024 }],
        packageCount: 1
      }),
      expect.objectContaining({ rule: 'build-toolchain', bytes: 1000 * 1024, packageCount: 1 })
    ])
    expect(facts[1].writer).toBeUndefined()
  })

  it('forgets packages a later database no longer lists, or a deleted database', () => {
    const status = 'var/lib/dpkg/status'
    expect(
      byteFactsOf([
        layer({}, { line: 2, packageDatabases: { [status]: dpkgStatus({ gcc: 30000 }) } }),
        layer({}, { line: 3, packageDatabases: { [status]: dpkgStatus({}, ['gcc']) } })
      ])
    ).toEqual([])
    expect(
      byteFactsOf([
        layer({}, { line: 2, packageDatabases: { [status]: dpkgStatus({ gcc: 30000 }) } }),
        layer({}, { line: 3, whiteouts: ['var/lib/dpkg'] })
      ])
    ).toEqual([])
  })
})

describe('contents', () => {
  it('sums kept bytes three directories deep, names the line that wrote most of each, and lists packages', () => {
    const status = 'var/lib/dpkg/status'
    const { contents } = imageBytesOf([
      layer({ 'usr/lib/x86_64-linux-gnu/libc.so.6': 2 * MB, 'etc/passwd': 1000 }),
      layer(
        { 'usr/lib/x86_64-linux-gnu/deep/libcurl.so.4': 3 * MB, 'usr/bin/curl': 1 * MB, [status]: 100 },
        { line: 2, packageDatabases: { [status]: dpkgStatus({ curl: 1000 }) } }
      ),
      layer({}, { line: 3, whiteouts: ['etc/passwd'] })
    ])
    expect(contents.directories).toEqual([
      { path: '/usr/lib/x86_64-linux-gnu', bytes: 5 * MB, writer: { line: 2, keyword: 'RUN' } },
      { path: '/usr/bin', bytes: 1 * MB, writer: { line: 2, keyword: 'RUN' } },
      { path: '/var/lib/dpkg', bytes: 100, writer: { line: 2, keyword: 'RUN' } }
    ])
    expect(contents.packages).toEqual([{ manager: 'dpkg', name: 'curl', version: '1', bytes: 1000 * 1024 }])
  })
})

describe('layers named without a Dockerfile', () => {
  const named = (number: number, keyword = 'RUN'): Pick<LayerFiles, 'instruction'> => ({
    instruction: { line: 0, keyword, layer: number, text: `${keyword} step ${number}`.trim() }
  })

  it('finds dead bytes and rewrites between any two layers, the bottom one too, and keeps them per layer', () => {
    const { byteFacts, contents } = imageBytesOf([
      layer({ 'usr/share/doc/a': 3 * MB, 'etc/conf': 2 * MB }, named(1, '')),
      layer({ 'tmp/x': 12 * MB }, named(2)),
      layer({}, { ...named(3), whiteouts: ['tmp/x', 'usr/share/doc'] }),
      layer({ 'etc/conf': 2 * MB }, named(4))
    ])
    const summary = byteFacts.map(({ rule, writer, remover, path, bytes }) => [
      rule,
      writer?.layer,
      remover?.layer,
      path,
      bytes
    ])
    expect(summary).toEqual([
      ['dead-bytes', 2, 3, '/tmp', 12 * MB],
      ['dead-bytes', 1, 3, '/usr/share/doc', 3 * MB],
      ['metadata-rewrite', 1, 4, '/etc', 2 * MB]
    ])
    expect(byteFacts[1].writer).toEqual({ line: 0, keyword: '', layer: 1, text: 'step 1' })
    expect(contents.directories).toEqual([{ path: '/etc', bytes: 2 * MB, writer: named(4).instruction }])
  })
})
