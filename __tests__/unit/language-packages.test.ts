import { Readable } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import tar from 'tar-stream'
import { diffPackages } from '../../src/compare/packages.js'
import { imageBytesOf } from '../../src/measure/bytes/facts.js'
import { installerPathOf, isLanguageMetadata, languagePackageOf } from '../../src/measure/bytes/language-packages.js'
import type { LayerFiles } from '../../src/measure/bytes/layer-files.js'
import { readImageArchive } from '../../src/measure/image-archive.js'
import { changeExplanation } from '../../src/report/explain.js'
import type { ImagePackage, Report, VariantComparison } from '../../src/types.js'

const SITE = 'usr/local/lib/python3.12/site-packages'
const record = (files: Record<string, number | ''>): string =>
  Object.entries(files)
    .map(([path, size]) => `${path.includes(',') ? `"${path}"` : path},${size === '' ? '' : 'sha256=abc'},${size}`)
    .join('\n')
const condaMeta = (name: string, version: string, sizes?: number[], files?: string[]): string =>
  JSON.stringify({
    name,
    version,
    build: 'py312_0',
    ...(sizes
      ? { paths_data: { paths: sizes.map((size, index) => ({ _path: `f${index}`, size_in_bytes: size })) } }
      : {}),
    ...(files ? { files } : {})
  })

describe('package metadata', () => {
  it('reads a wheel’s name, version, environment and stated bytes from its RECORD, and the files it sizes not', () => {
    const text = record({
      'numpy/__init__.py': 1000,
      'numpy/core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so': 9_000_000,
      '"numpy/odd,name.py"': 20,
      'numpy/__pycache__/__init__.cpython-312.pyc': '',
      'numpy-1.26.4.dist-info/RECORD': '',
      '../../../bin/f2py': 300
    })
    expect(languagePackageOf(`${SITE}/numpy-1.26.4.dist-info/RECORD`, text)).toEqual({
      manager: 'python',
      name: 'numpy',
      version: '1.26.4',
      prefix: SITE,
      bytes: 9_001_320,
      unsized: ['numpy/__pycache__/__init__.cpython-312.pyc', 'numpy-1.26.4.dist-info/RECORD']
    })
    expect(languagePackageOf('usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD', '')).toMatchObject({
      name: 'six',
      version: '1.16.0',
      prefix: 'usr/lib/python3/dist-packages'
    })
  })

  it('reads only installed wheels: not vendored copies, caches or unpacked archives', () => {
    for (const path of [
      `${SITE}/setuptools/_vendor/packaging-24.0.dist-info/RECORD`,
      'root/.cache/uv/archive-v0/abc/requests-2.31.0.dist-info/RECORD',
      'requests-2.31.0.dist-info/RECORD'
    ])
      expect(isLanguageMetadata(path)).toBe(false)
  })

  it('believes no size a file cannot have', () => {
    const huge = languagePackageOf(
      `${SITE}/a-1.dist-info/RECORD`,
      `a/x.py,sha256=1,${'9'.repeat(400)}\na/y.py,sha256=2,5`
    )
    expect(huge).toMatchObject({ bytes: 5, unsized: ['a/x.py'] })
    const conda = languagePackageOf(
      'opt/conda/conda-meta/a-1-0.json',
      JSON.stringify({ name: 'a', version: '1', paths_data: { paths: [{ _path: 'x', size_in_bytes: 1e300 }, null] } })
    )
    expect(conda).toMatchObject({ bytes: 0, unsized: ['x'] })
  })

  it('reads conda-meta: sizes from paths_data, else the files it lists; refuses what is not a package record', () => {
    expect(
      languagePackageOf('opt/conda/conda-meta/numpy-1.26.4-py312_0.json', condaMeta('numpy', '1.26.4', [5, 7]))
    ).toEqual({ manager: 'conda', name: 'numpy', version: '1.26.4', prefix: 'opt/conda', bytes: 12, unsized: [] })
    expect(languagePackageOf('opt/conda/conda-meta/old-1-0.json', condaMeta('old', '1', undefined, ['lib/a']))).toEqual(
      { manager: 'conda', name: 'old', version: '1', prefix: 'opt/conda', bytes: 0, unsized: ['lib/a'] }
    )
    for (const text of ['{not json', 'null', '[]', '"x"', '{"name": 3}'])
      expect(languagePackageOf('opt/conda/conda-meta/bad-1-0.json', text)).toBeUndefined()
    expect(isLanguageMetadata('opt/conda/conda-meta/history')).toBe(false)
    expect(isLanguageMetadata('app/package.json')).toBe(false)
    expect(isLanguageMetadata('app/RECORD')).toBe(false)
  })
})

/** A layer writing `files`, among them the metadata in `packages` (INSTALLER files included); null: unreadable. */
function layer(files: Record<string, number>, packages: Record<string, string | null> = {}, line?: number): LayerFiles {
  const metadata = Object.entries(packages)
  const installers = metadata.filter(([path]) => path.endsWith('/INSTALLER'))
  return {
    entries: [...Object.entries(files), ...installers.map(([path]): [string, number] => [path, 4])].map(
      ([name, size]) => ({ name, size })
    ),
    whiteouts: [],
    opaqueDirs: [],
    compressionRatio: 0.5,
    packageDatabases: {},
    languagePackages: Object.fromEntries(
      metadata
        .filter(([path]) => !path.endsWith('/INSTALLER'))
        .map(([path, text]) => [path, text === null ? null : languagePackageOf(path, text)!])
    ),
    installers: Object.fromEntries(installers.map(([path, text]) => [path, text!.trim()])),
    ...(line ? { instruction: { line, keyword: 'RUN' } } : {})
  }
}

/** The INSTALLER a tool writes beside a wheel's RECORD. */
const installedBy = (tool: string, ...records: string[]): Record<string, string> =>
  Object.fromEntries(records.map((path) => [installerPathOf(path), `${tool}\n`]))

describe('Python and conda packages in an image', () => {
  const requests = `${SITE}/requests-2.31.0.dist-info/RECORD`
  const flask = `${SITE}/flask-3.0.0.dist-info/RECORD`
  const oldConda = 'opt/conda/conda-meta/zlib-1.2-0.json'

  it('lists those whose metadata the image keeps, as the last layer wrote it, with bytes from the image when unstated', () => {
    const { contents } = imageBytesOf([
      layer(
        { [requests]: 100, [flask]: 100, [oldConda]: 50, 'opt/conda/lib/libz.so': 4000, [`${SITE}/requests/a.pyc`]: 9 },
        {
          [requests]: record({ 'requests/api.py': 500 }),
          [flask]: record({ 'flask/app.py': 800 }),
          ...installedBy('pip', requests, flask),
          [oldConda]: condaMeta('zlib', '1.2', undefined, ['lib/libz.so', 'lib/missing.so'])
        }
      ),
      layer(
        { [requests]: 120 },
        { [requests]: record({ 'requests/api.py': 500, 'requests/new.py': 70, 'requests/a.pyc': '' }) },
        2
      ),
      { ...layer({}, {}, 3), whiteouts: [`${SITE}/flask-3.0.0.dist-info`] }
    ])
    const languages = contents.packages.filter((item) => item.manager !== 'dpkg')
    expect(languages).toEqual([
      { manager: 'python', name: 'requests', version: '2.31.0', bytes: 579, prefix: `/${SITE}` },
      { manager: 'conda', name: 'zlib', version: '1.2', bytes: 4000, prefix: '/opt/conda' }
    ])
    expect(contents.packageSources).toEqual(['dpkg', 'apk', 'python', 'conda'])
  })

  it('lists a package once when a later layer rewrites its metadata unreadably: not at its old version', () => {
    const { contents } = imageBytesOf([
      layer({ [requests]: 100 }, { [requests]: record({ 'requests/api.py': 500 }), ...installedBy('pip', requests) }),
      layer({ [requests]: 100 }, { [requests]: null }, 2)
    ])
    expect(contents.packages).toEqual([])
  })

  it('lists a wheel a Python installer installed as Python’s; conda’s as conda’s, Debian’s as dpkg’s, once', () => {
    const site = 'opt/conda/lib/python3.12/site-packages'
    const numpy = `${site}/numpy-1.26.4.dist-info/RECORD`
    const flaskInConda = `${site}/Flask-3.0.0.dist-info/RECORD`
    const debian = 'usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD'
    const uv = 'opt/venv/lib/python3.12/site-packages/attrs-23.2.0.dist-info/RECORD'
    const { contents } = imageBytesOf([
      layer(
        {
          'opt/conda/conda-meta/numpy-1.26.4-py312_0.json': 10,
          [numpy]: 10,
          [flaskInConda]: 10,
          [debian]: 10,
          [uv]: 10
        },
        {
          'opt/conda/conda-meta/numpy-1.26.4-py312_0.json': condaMeta('numpy', '1.26.4', [30_000_000]),
          [numpy]: record({ 'numpy/x.so': 30_000_000 }),
          ...installedBy('conda', numpy),
          [flaskInConda]: record({ 'flask/app.py': 800 }),
          ...installedBy('pip', flaskInConda),
          [debian]: record({ 'yaml/__init__.py': 1400 }),
          [uv]: record({ 'attrs/__init__.py': 300 }),
          ...installedBy('uv', uv)
        }
      )
    ])
    expect(contents.packages.map((item) => `${item.manager} ${item.name} ${item.bytes}`)).toEqual([
      'conda numpy 30000000',
      'python Flask 800',
      'python attrs 300'
    ])
  })

  it('reads them from the image archive within their bound', async () => {
    const pack = tar.pack()
    const chunks: Buffer[] = []
    const done = (async () => {
      for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk)
    })()
    pack.entry({ name: requests }, record({ 'requests/api.py': 500 }))
    pack.entry({ name: installerPathOf(requests) }, 'pip\n')
    pack.entry({ name: `${SITE}/odd-1.dist-info/INSTALLER` }, 'x'.repeat(2000))
    pack.entry({ name: 'opt/conda/conda-meta/big-1-0.json' }, Buffer.alloc(32 * 1024 ** 2 + 1, 0x20))
    pack.finalize()
    await done
    const outer = tar.pack()
    const outerChunks: Buffer[] = []
    const outerDone = (async () => {
      for await (const chunk of outer as AsyncIterable<Buffer>) outerChunks.push(chunk)
    })()
    outer.entry({ name: 'aaa/layer.tar' }, Buffer.concat(chunks))
    outer.entry({ name: 'cfg.json' }, JSON.stringify({ rootfs: { diff_ids: ['sha256:1'] }, history: [{}] }))
    outer.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'cfg.json', Layers: ['aaa/layer.tar'] }]))
    outer.finalize()
    await outerDone
    const read = await readImageArchive(Readable.from([Buffer.concat(outerChunks)]), { compressLayer: () => false })
    expect(read.contents[0].languagePackages).toEqual({
      [requests]: { manager: 'python', name: 'requests', version: '2.31.0', prefix: SITE, bytes: 500, unsized: [] },
      'opt/conda/conda-meta/big-1-0.json': null
    })
    expect(read.contents[0].installers).toEqual({ [installerPathOf(requests)]: 'pip' })
  })

  const python = (name: string, version: string, bytes: number, prefix = `/${SITE}`): ImagePackage => ({
    manager: 'python',
    name,
    version,
    bytes,
    prefix
  })
  const explained = (packages: NonNullable<ReturnType<typeof diffPackages>>): string => {
    const variant = {
      name: 'app',
      kind: 'changed',
      size: { before: 1e9, after: 1.7e9, delta: 7e8, percent: 70 },
      findings: { added: [], fixed: [], unchanged: [] },
      contents: { packages, directories: [] }
    } as unknown as VariantComparison
    const empty = { variants: [] } as unknown as Report
    return changeExplanation(variant, { head: empty, base: empty, baseLabel: 'main' }, undefined)
  }

  it('diffs them per environment, by their normal names, and names their ecosystem in the explanation', () => {
    const packages = diffPackages(
      {
        packages: [
          python('numpy', '1.26.4', 30_000_000),
          python('numpy', '1.26.4', 30_000_000, '/opt/venv/lib'),
          python('Jinja2', '3.0.3', 500_000)
        ],
        packageSources: ['dpkg', 'apk', 'python', 'conda']
      },
      {
        packages: [
          python('numpy', '2.0.0', 38_000_000),
          python('torch', '2.3.0', 700_000_000),
          python('jinja2', '3.1.4', 600_000)
        ],
        packageSources: ['dpkg', 'apk', 'python', 'conda']
      }
    )!
    expect(packages.added.largest).toEqual([
      { manager: 'python', name: 'torch', prefix: `/${SITE}`, after: '2.3.0', delta: 700_000_000 }
    ])
    expect(packages.removed.largest.map((item) => item.prefix)).toEqual(['/opt/venv/lib'])
    expect(packages.changed.largest.map((item) => [item.name, item.before, item.after, item.delta])).toEqual([
      ['numpy', '1.26.4', '2.0.0', 8_000_000],
      ['jinja2', '3.0.3', '3.1.4', 100_000]
    ])
    const text = explained(packages)
    expect(text).toContain('Added 1 package, +700 MB installed: `torch` (Python) +700 MB')
    expect(text).toContain('Removed 1 package, -30.0 MB installed: `numpy` (Python) in `/opt/venv/lib` -30.0 MB')
    expect(text).toContain('`numpy` (Python) in `/' + SITE + '`')
    expect(text).toContain('`jinja2` (Python) `3.0.3 → 3.1.4` +100 kB')
  })

  it('counts no Python or conda package as added against a report that did not look for them', () => {
    const dpkg: ImagePackage = { manager: 'dpkg', name: 'curl', version: '1', bytes: 10 }
    const packages = diffPackages(
      { packages: [] },
      { packages: [dpkg, python('torch', '2.3.0', 700_000_000)], packageSources: ['dpkg', 'apk', 'python', 'conda'] }
    )!
    expect(packages.added.largest.map((item) => item.name)).toEqual(['curl'])
  })
})
