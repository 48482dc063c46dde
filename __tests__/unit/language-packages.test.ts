import { Readable } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import tar from 'tar-stream'
import { diffPackages } from '../../src/compare/packages.js'
import { imageBytesOf } from '../../src/measure/bytes/facts.js'
import { isLanguageMetadata, languagePackageOf } from '../../src/measure/bytes/language-packages.js'
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
  it('reads a wheel’s name, version, environment and installed bytes from its RECORD', () => {
    const text = record({
      'numpy/__init__.py': 1000,
      'numpy/core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so': 9_000_000,
      '"numpy/odd,name.py"': 20,
      'numpy-1.26.4.dist-info/RECORD': '',
      '../../../bin/f2py': 300
    })
    expect(languagePackageOf(`${SITE}/numpy-1.26.4.dist-info/RECORD`, text)).toEqual({
      manager: 'python',
      name: 'numpy',
      version: '1.26.4',
      prefix: SITE,
      bytes: 9_001_320
    })
    expect(languagePackageOf('typing_extensions-4.12.2.dist-info/RECORD', '')).toMatchObject({
      name: 'typing_extensions',
      version: '4.12.2',
      prefix: ''
    })
  })

  it('reads conda-meta: sizes from paths_data, else the files it lists; refuses what is not a package record', () => {
    expect(
      languagePackageOf('opt/conda/conda-meta/numpy-1.26.4-py312_0.json', condaMeta('numpy', '1.26.4', [5, 7]))
    ).toEqual({ manager: 'conda', name: 'numpy', version: '1.26.4', prefix: 'opt/conda', bytes: 12 })
    expect(languagePackageOf('opt/conda/conda-meta/old-1-0.json', condaMeta('old', '1', undefined, ['lib/a']))).toEqual(
      { manager: 'conda', name: 'old', version: '1', prefix: 'opt/conda', files: ['lib/a'] }
    )
    expect(languagePackageOf('opt/conda/conda-meta/bad.json', '{not json')).toBeUndefined()
    expect(languagePackageOf('opt/conda/conda-meta/history.json', '{"name": 3}')).toBeUndefined()
    expect(isLanguageMetadata('opt/conda/conda-meta/history')).toBe(false)
    expect(isLanguageMetadata('app/package.json')).toBe(false)
    expect(isLanguageMetadata('app/RECORD')).toBe(false)
  })
})

function layer(files: Record<string, number>, packages: Record<string, string> = {}, line?: number): LayerFiles {
  return {
    entries: Object.entries(files).map(([name, size]) => ({ name, size })),
    whiteouts: [],
    opaqueDirs: [],
    compressionRatio: 0.5,
    packageDatabases: {},
    languagePackages: Object.fromEntries(
      Object.entries(packages).map(([path, text]) => [path, languagePackageOf(path, text)!])
    ),
    ...(line ? { instruction: { line, keyword: 'RUN' } } : {})
  }
}

describe('Python and conda packages in an image', () => {
  const requests = `${SITE}/requests-2.31.0.dist-info/RECORD`
  const flask = `${SITE}/flask-3.0.0.dist-info/RECORD`
  const oldConda = 'opt/conda/conda-meta/zlib-1.2-0.json'

  it('lists those whose metadata the image keeps, as the last layer wrote it, with bytes from the image when unstated', () => {
    const { contents } = imageBytesOf([
      layer(
        { [requests]: 100, [flask]: 100, [oldConda]: 50, 'opt/conda/lib/libz.so': 4000 },
        {
          [requests]: record({ 'requests/api.py': 500 }),
          [flask]: record({ 'flask/app.py': 800 }),
          [oldConda]: condaMeta('zlib', '1.2', undefined, ['lib/libz.so', 'lib/missing.so'])
        }
      ),
      layer({ [requests]: 120 }, { [requests]: record({ 'requests/api.py': 500, 'requests/new.py': 70 }) }, 2),
      { ...layer({}, {}, 3), whiteouts: [`${SITE}/flask-3.0.0.dist-info`] }
    ])
    const languages = contents.packages.filter((item) => item.manager !== 'dpkg')
    expect(languages).toEqual([
      { manager: 'python', name: 'requests', version: '2.31.0', bytes: 570, prefix: `/${SITE}` },
      { manager: 'conda', name: 'zlib', version: '1.2', bytes: 4000, prefix: '/opt/conda' }
    ])
  })

  it('reads them from the image archive within their bound', async () => {
    const pack = tar.pack()
    const chunks: Buffer[] = []
    const done = (async () => {
      for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk)
    })()
    pack.entry({ name: requests }, record({ 'requests/api.py': 500 }))
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
      [requests]: { manager: 'python', name: 'requests', version: '2.31.0', prefix: SITE, bytes: 500 }
    })
  })

  it('diffs them per environment, and names their ecosystem in the explanation', () => {
    const python = (name: string, version: string, bytes: number, prefix = `/${SITE}`): ImagePackage => ({
      manager: 'python',
      name,
      version,
      bytes,
      prefix
    })
    const packages = diffPackages(
      [python('numpy', '1.26.4', 30_000_000), python('numpy', '1.26.4', 30_000_000, '/opt/venv/lib')],
      [python('numpy', '2.0.0', 38_000_000), python('torch', '2.3.0', 700_000_000)]
    )!
    expect(packages.added.largest).toEqual([
      { manager: 'python', name: 'torch', prefix: `/${SITE}`, after: '2.3.0', delta: 700_000_000 }
    ])
    expect(packages.removed.largest.map((item) => item.prefix)).toEqual(['/opt/venv/lib'])
    expect(packages.changed.largest).toEqual([
      { manager: 'python', name: 'numpy', prefix: `/${SITE}`, before: '1.26.4', after: '2.0.0', delta: 8_000_000 }
    ])
    const variant = {
      name: 'app',
      kind: 'changed',
      size: { before: 1e9, after: 1.7e9, delta: 7e8, percent: 70 },
      findings: { added: [], fixed: [], unchanged: [] },
      contents: { packages, directories: [] }
    } as unknown as VariantComparison
    const empty = { variants: [] } as unknown as Report
    const text = changeExplanation(variant, { head: empty, base: empty, baseLabel: 'main' }, undefined)
    expect(text).toContain('Added 1 package, +700 MB installed: `torch` (Python) +700 MB')
  })
})
