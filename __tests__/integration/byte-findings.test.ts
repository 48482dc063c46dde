import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import type { Finding, Report, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

const engine = createEngine()

const KIB = 1024
/** A dpkg database listing a compiler and C headers with their installed sizes (KiB), and a runtime package. */
const STATUS = [
  ['gcc-12', 30000],
  ['libc6-dev', 12000],
  ['bash', 7000]
]
  .map(([name, size]) => `Package: ${name}\nStatus: install ok installed\nInstalled-Size: ${size}\nVersion: 1\n`)
  .join('\n')

/** A wheel's RECORD: its own line states no size, so its bytes are counted from the image. */
const REQUESTS_RECORD = [
  'requests/api.py,sha256=abc,3000000',
  'requests-2.31.0.dist-info/METADATA,sha256=def,32',
  'requests-2.31.0.dist-info/RECORD,,'
].join('\n')

/** Random bytes: what each line leaves is known to the byte, and compresses to about itself. */
const FILES = {
  'Dockerfile.bytes': [
    `FROM ${TEST_BASE}`,
    'RUN mkdir -p /var/lib/apt/lists && head -c 12000000 /dev/urandom > /var/lib/apt/lists/deb_bookworm_Packages',
    'RUN mkdir -p /root/.cache/pip/http && head -c 11000000 /dev/urandom > /root/.cache/pip/http/wheel',
    'RUN head -c 13000000 /dev/urandom > /tmp/build.tar',
    'RUN rm /tmp/build.tar',
    'COPY . /app',
    'RUN mkdir -p /var/lib/dpkg && cp /app/status /var/lib/dpkg/status',
    'COPY big.bin /data/big.bin',
    'RUN chmod 600 /data/big.bin',
    ''
  ].join('\n'),
  'Dockerfile.multistage': [
    `FROM ${TEST_BASE} AS builder`,
    'COPY status /var/lib/dpkg/status',
    'RUN mkdir -p /var/lib/apt/lists && head -c 12000000 /dev/urandom > /var/lib/apt/lists/deb_bookworm_Packages',
    `FROM ${TEST_BASE}`,
    'COPY --from=builder /var/lib/dpkg/status /opt/builder-status',
    ''
  ].join('\n'),
  // In a context of its own: its conda environment stays out of the images that copy the whole root context.
  '.dockerignore': 'python\n',
  'python/Dockerfile': [
    `FROM ${TEST_BASE}`,
    'COPY site /usr/local/lib/python3.12/site-packages',
    'COPY conda /opt/conda',
    'RUN rm -r /usr/local/lib/python3.12/site-packages/gone-1.0.dist-info',
    ''
  ].join('\n'),
  'python/site/requests/api.py': randomBytes(3_000_000),
  'python/site/requests-2.31.0.dist-info/METADATA': 'Name: requests\nVersion: 2.31.0\n',
  'python/site/requests-2.31.0.dist-info/RECORD': REQUESTS_RECORD,
  'python/site/requests-2.31.0.dist-info/INSTALLER': 'pip\n',
  // Debian's packages of Python libraries ship no INSTALLER: dpkg lists them, not Python.
  'python/site/six-1.16.0.dist-info/RECORD': 'six.py,sha256=abc,34549\n',
  'python/site/gone-1.0.dist-info/RECORD': 'gone/__init__.py,sha256=abc,10\n',
  'python/conda/lib/libz.so.1.3': randomBytes(100_000),
  'python/conda/conda-meta/zlib-1.3-h0.json': JSON.stringify({
    name: 'zlib',
    version: '1.3',
    paths_data: { paths: [{ _path: 'lib/libz.so.1.3', size_in_bytes: 100_000 }] }
  }),
  status: STATUS,
  'big.bin': randomBytes(15_000_000),
  '.git/HEAD': 'ref: refs/heads/main\n',
  '.git/objects/pack/pack-1.pack': randomBytes(14_000_000)
}

const summary = (finding: Finding) => ({
  rule: finding.rule,
  line: finding.line,
  ...(finding.lines ? { lines: finding.lines } : {}),
  bytes: finding.bytes
})
const imageFindings = (variant: VariantReport) => variant.findings.filter((finding) => finding.evidence === 'image')

describe('byte findings from the shipped image', () => {
  let report: Report
  const variant = (name: string) => report.variants.find((item) => item.name === name)!

  beforeAll(async () => {
    const dir = makeWorkspace(FILES)
    report = await runPipeline({ settings: parseSettings({}, dir), engine, logger: recordingLogger(), version: 'test' })
  })

  afterAll(async () => {
    for (const item of report?.variants ?? []) {
      if (item.image) await engine.removeImage(item.image.id).catch(() => undefined)
    }
  })

  it('finds each kind of byte at the line that wrote it, with its exact uncompressed bytes', () => {
    expect(variant('bytes').status).toBe('built')
    expect(imageFindings(variant('bytes')).map(summary)).toEqual([
      { rule: 'package-cache', line: 2, bytes: 12_000_000 },
      { rule: 'language-cache', line: 3, bytes: 11_000_000 },
      { rule: 'vcs-in-image', line: 6, bytes: 14_000_000 + 'ref: refs/heads/main\n'.length },
      { rule: 'dead-bytes', line: 4, lines: [4, 5], bytes: 13_000_000 },
      { rule: 'metadata-rewrite', line: 8, lines: [8, 9], bytes: 15_000_000 },
      { rule: 'build-toolchain', line: 7, bytes: (30000 + 12000) * KIB }
    ])
  })

  it('estimates compressed bytes near the uncompressed ones for random content, and says what to do', () => {
    const findings = imageFindings(variant('bytes'))
    for (const finding of findings.filter((item) => item.rule !== 'build-toolchain')) {
      expect(finding.compressedBytes! / finding.bytes!).toBeGreaterThan(0.95)
      expect(finding.compressedBytes! / finding.bytes!).toBeLessThan(1.05)
      expect(finding.severity).toBe('warning')
    }
    const byRule = new Map(findings.map((finding) => [finding.rule, finding]))
    expect(byRule.get('package-cache')!.fix).toContain('rm -rf /var/lib/apt/lists/*')
    expect(byRule.get('language-cache')!.fix).toContain('--no-cache-dir')
    expect(byRule.get('vcs-in-image')!.fix).toContain('`.dockerignore`')
    expect(byRule.get('dead-bytes')!.message).toContain('written at line 4 (RUN) and deleted at line 5 (RUN)')
    expect(byRule.get('metadata-rewrite')!.fix).toContain('`COPY --chown=…`')
    expect(byRule.get('build-toolchain')!.message).toContain('`gcc-12` 30.7 MB, `libc6-dev` 12.3 MB')
  })

  it('finds nothing of a builder stage in the final image: no toolchain, no apt lists', () => {
    expect(variant('multistage').status).toBe('built')
    expect(imageFindings(variant('multistage'))).toEqual([])
  })

  it('lists the Python and conda packages the image keeps, where each is installed, with their stated bytes', () => {
    const packages = variant('python').image!.contents!.packages
    expect(packages.filter((item) => item.manager === 'python' || item.manager === 'conda')).toEqual([
      {
        manager: 'python',
        name: 'requests',
        version: '2.31.0',
        bytes: 3_000_032 + REQUESTS_RECORD.length,
        prefix: '/usr/local/lib/python3.12/site-packages'
      },
      { manager: 'conda', name: 'zlib', version: '1.3', bytes: 100_000, prefix: '/opt/conda' }
    ])
  })

  it('judges a carried measurement anew with the same result, and with this run’s threshold', async () => {
    const dir = makeWorkspace(FILES)
    const carried = await runPipeline({
      settings: parseSettings({ 'byte-findings-threshold': '12MB' }, dir),
      engine,
      logger: recordingLogger(),
      version: 'test',
      carry: { report }
    })
    const bytes = carried.variants.find((item) => item.name === 'bytes')!
    expect(bytes.reused?.kind).toBe('carried')
    expect(imageFindings(bytes).map((finding) => finding.rule)).toEqual([
      'package-cache',
      'vcs-in-image',
      'dead-bytes',
      'metadata-rewrite',
      'build-toolchain'
    ])
  })
})
