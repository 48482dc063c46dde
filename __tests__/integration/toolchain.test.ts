/**
 * A real compiler installed with apt-get in a build, from the local apt repository of scripts/apt-repo.sh (gcc and
 * libc6-dev with their dependency closure for Debian bookworm; the test builds have no network), which scripts/test.sh
 * provisions and names in SLIMCHECK_APT_REPO: the `build-toolchain` finding and the image's packages and directories
 * against the repository's own Packages index, and a builder stage that really compiles and ships only the binary.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import type { Finding, Report, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace } from '../support/workspace.js'

const repo = process.env.SLIMCHECK_APT_REPO
const BASE = 'debian:bookworm-slim'
const KIB = 1024
const MB = 1_000_000

/** The repository's packages in the build context; apt reads them there, the sources of the base removed. */
const INSTALL =
  'RUN --mount=type=bind,source=apt,target=/srv/apt ' +
  "echo 'deb [trusted=yes] file:/srv/apt ./' > /etc/apt/sources.list.d/local.list " +
  '&& rm -f /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list ' +
  '&& apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*'
const INSTALL_LINE = 2

const FILES = {
  'Dockerfile.gcc': [`FROM ${BASE}`, INSTALL, ''].join('\n'),
  'Dockerfile.multistage': [
    `FROM ${BASE} AS builder`,
    INSTALL,
    'COPY hello.c /src/hello.c',
    'RUN mkdir /out && gcc -O2 -o /out/hello /src/hello.c && /out/hello',
    `FROM ${BASE}`,
    'COPY --from=builder /out/hello /usr/local/bin/hello',
    'RUN hello',
    ''
  ].join('\n'),
  'hello.c': '#include <stdio.h>\n\nint main(void) {\n  puts("hello from gcc");\n  return 0;\n}\n'
}

/** The packages of a Packages index: name, version and installed bytes. */
function indexed(text: string): Map<string, { version: string; bytes: number }> {
  const packages = new Map<string, { version: string; bytes: number }>()
  for (const stanza of text.split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1]
    const name = field('Package')
    if (name) packages.set(name, { version: field('Version')!, bytes: Number(field('Installed-Size')) * KIB })
  }
  return packages
}

/** A workspace of `files` with the repository's index and .deb files under apt/ (hard links where they can be). */
function workspaceWithRepository(files: Record<string, string>): string {
  const dir = makeWorkspace(files, 'slimcheck-toolchain-')
  fs.mkdirSync(path.join(dir, 'apt'))
  for (const name of fs.readdirSync(repo!).filter((item) => item === 'Packages' || item.endsWith('.deb'))) {
    const from = path.join(repo!, name)
    const to = path.join(dir, 'apt', name)
    try {
      fs.linkSync(from, to)
    } catch {
      fs.copyFileSync(from, to)
    }
  }
  return dir
}

/** The build-only packages of the closure, by hand: compilers, binutils, headers and the C library's dev tools. */
const TOOLCHAIN = [
  'gcc',
  'gcc-12',
  'cpp',
  'cpp-12',
  'binutils',
  'binutils-x86-64-linux-gnu',
  'libgcc-12-dev',
  'libc6-dev',
  'libc-dev-bin',
  'linux-libc-dev',
  'libcrypt-dev',
  'libnsl-dev',
  'libtirpc-dev'
]

const imageFindings = (variant: VariantReport) => variant.findings.filter((finding) => finding.evidence === 'image')
const toolchainFindings = (variant: VariantReport): Finding[] =>
  variant.findings.filter((finding) => finding.rule === 'build-toolchain')
const dpkg = (variant: VariantReport) =>
  new Map(variant.image!.contents!.packages.filter((item) => item.manager === 'dpkg').map((item) => [item.name, item]))

const suite = repo ? describe : describe.skip

suite(
  `a real compiler installed with apt-get (${repo ? `repository ${repo}` : 'skipped: SLIMCHECK_APT_REPO is unset; bash scripts/apt-repo.sh prints it'})`,
  () => {
    const engine = createEngine()
    const workspaces: string[] = []
    let repository: Map<string, { version: string; bytes: number }>
    let report: Report
    let before: Report
    const variant = (name: string) => report.variants.find((item) => item.name === name)!

    beforeAll(async () => {
      repository = indexed(fs.readFileSync(path.join(repo!, 'Packages'), 'utf8'))
      const dir = workspaceWithRepository(FILES)
      workspaces.push(dir)
      report = await runPipeline({
        settings: parseSettings({}, dir),
        engine,
        logger: recordingLogger(),
        version: 'test'
      })
      // The same variant before the compiler: the base image and a line that writes nothing.
      const baseDir = makeWorkspace({ 'Dockerfile.gcc': `FROM ${BASE}\nRUN true\n` })
      workspaces.push(baseDir)
      before = await runPipeline({
        settings: parseSettings({}, baseDir),
        engine,
        logger: recordingLogger(),
        version: 'test'
      })
    }, 240_000)

    afterAll(async () => {
      for (const item of [...(report?.variants ?? []), ...(before?.variants ?? [])]) {
        if (item.image) await engine.removeImage(item.image.id).catch(() => undefined)
      }
      for (const dir of workspaces) fs.rmSync(dir, { recursive: true, force: true })
    })

    it('the repository holds the compiler and its closure', () => {
      for (const name of [...TOOLCHAIN, 'libc6', 'libisl23', 'libmpc3']) expect(repository.has(name)).toBe(true)
    })

    it('finds the toolchain at the RUN that installed it, with the installed sizes of its build-only packages', () => {
      expect(variant('gcc').status).toBe('built')
      const expected = TOOLCHAIN.reduce((sum, name) => sum + repository.get(name)!.bytes, 0)
      expect(expected).toBeGreaterThan(100 * MB)
      const findings = toolchainFindings(variant('gcc'))
      expect(findings.map(({ line, bytes, evidence }) => ({ line, bytes, evidence }))).toEqual([
        { line: INSTALL_LINE, bytes: expected, evidence: 'image' }
      ])
      const [finding] = findings
      expect(finding.message).toContain(`Line ${INSTALL_LINE} (RUN) installs a build toolchain`)
      expect(finding.message).toContain(`${TOOLCHAIN.length} build-only packages (\`gcc-12\` `)
      expect(finding.message).toContain('`cpp-12`')
      expect(finding.fix).toContain('builder stage')
      // Installed sizes are of files that compress: far less than the bytes, far more than nothing.
      expect(finding.compressedBytes!).toBeGreaterThan(0.15 * expected)
      expect(finding.compressedBytes!).toBeLessThan(0.8 * expected)
    })

    it('lists every package of the repository as installed, at its version and installed size', () => {
      const installed = dpkg(variant('gcc'))
      for (const [name, { version, bytes }] of repository)
        expect({ name, ...installed.get(name) }).toMatchObject({ manager: 'dpkg', name, version, bytes })
      expect(installed.get('gcc-12')!.bytes).toBeGreaterThan(50 * MB)
      expect(installed.get('cpp-12')!.bytes).toBeGreaterThan(20 * MB)
      // Nothing but the base's packages and the repository's.
      const names = new Set([...dpkg(before.variants[0]).keys(), ...repository.keys()])
      expect([...installed.keys()].sort()).toEqual([...names].sort())
    })

    it('names the directory of the compiler and the RUN that wrote it', () => {
      const directories = variant('gcc').image!.contents!.directories
      const gcc = directories.find((item) => item.path === '/usr/lib/gcc')
      expect(gcc).toEqual({
        path: '/usr/lib/gcc',
        bytes: expect.any(Number),
        writer: { line: INSTALL_LINE, keyword: 'RUN' }
      })
      expect(gcc!.bytes).toBeGreaterThan(50 * MB)
      // The compiler's directory is among the largest; the base's own directories keep no writer.
      expect(directories.slice(0, 3).map((item) => item.path)).toContain('/usr/lib/gcc')
      expect(directories.find((item) => item.path === '/usr/share/locale')?.writer).toBeUndefined()
    })

    it('finds no toolchain when only the binary a builder stage compiled ships', () => {
      const multistage = variant('multistage')
      expect(multistage.status).toBe('built')
      expect(toolchainFindings(multistage)).toEqual([])
      expect(imageFindings(multistage)).toEqual([])
      const installed = dpkg(multistage)
      for (const name of TOOLCHAIN) expect(installed.has(name)).toBe(false)
      expect([...installed.keys()].sort()).toEqual([...dpkg(before.variants[0]).keys()].sort())
      const directories = multistage.image!.contents!.directories
      expect(directories.find((item) => item.path === '/usr/lib/gcc')).toBeUndefined()
      // The compiled program, about 16 kB, written by the COPY from the builder.
      const bin = directories.find((item) => item.path === '/usr/local/bin')
      expect(bin).toEqual({ path: '/usr/local/bin', bytes: expect.any(Number), writer: { line: 6, keyword: 'COPY' } })
      expect(bin!.bytes).toBeGreaterThan(1000)
      expect(bin!.bytes).toBeLessThan(200_000)
    })

    it('compared with the variant before the compiler, the contents change adds its packages and directory', () => {
      const comparison = compareReports(before, report, { source: 'build' }, parseSettings({}, '.').policy)
      const contents = comparison.variants.find((item) => item.name === 'gcc')!.contents!
      const added = [...repository.keys()].filter((name) => !dpkg(before.variants[0]).has(name))
      expect(contents.packages!.added.count).toBe(added.length)
      expect(contents.packages!.added.delta).toBe(added.reduce((sum, name) => sum + repository.get(name)!.bytes, 0))
      expect(contents.packages!.added.largest[0]).toMatchObject({ manager: 'dpkg', name: 'gcc-12' })
      expect(contents.packages!.removed.count).toBe(0)
      expect(contents.packages!.changed.count).toBe(0)
      const gcc = contents.directories.find((item) => item.path === '/usr/lib/gcc')
      expect(gcc?.writer).toEqual({ line: INSTALL_LINE, keyword: 'RUN' })
      expect(gcc!.delta).toBeGreaterThan(50 * MB)
    })
  }
)
