import { describe, expect, it } from '@jest/globals'
import { diffFindings } from '../../src/compare/index.js'
import { byteFindings, imageByteFindings, type ByteFindingContext } from '../../src/measure/bytes/findings.js'
import type { AnalyzedVariant } from '../../src/measure/variants.js'
import { renderReportMarkdown } from '../../src/report/index.js'
import { renderSarif } from '../../src/report/sarif.js'
import { renderText } from '../../src/report/text.js'
import { reportProblem } from '../../src/report/validate.js'
import type { ByteFact, FactInstruction, ImageMeasurement } from '../../src/types.js'
import { builtVariant, report } from '../support/reports.js'

const MB = 1_000_000
const context: ByteFindingContext = {
  file: 'Dockerfile',
  fromLine: 1,
  addedBytes: 100 * MB,
  threshold: { bytes: 10 * MB, percent: 2 }
}

const aptLists = (bytes: number, writer = { line: 11, keyword: 'RUN' }): ByteFact => ({
  rule: 'package-cache',
  kind: 'apt lists',
  path: '/var/lib/apt/lists',
  writer,
  bytes,
  compressedBytes: bytes / 4
})

describe('byte findings', () => {
  it('reports 48 MB of apt lists at the line that left them, with the bytes, the saving and the fix', () => {
    const [finding] = byteFindings([aptLists(48 * MB)], context)
    expect(finding).toMatchObject({
      rule: 'package-cache',
      severity: 'warning',
      file: 'Dockerfile',
      line: 11,
      bytes: 48 * MB,
      compressedBytes: 12 * MB,
      evidence: 'image'
    })
    expect(finding.message).toBe(
      '`/var/lib/apt/lists` (apt lists) is left in the image by line 11 (RUN): 48.0 MB (about 12.0 MB compressed).'
    )
    expect(finding.fix).toContain('`rm -rf /var/lib/apt/lists/*` at the end of the same RUN')
    expect(finding.fix).toContain('saves 48.0 MB')
  })

  it('needs both the size and the share of the bytes the Dockerfile adds', () => {
    expect(byteFindings([aptLists(10 * MB - 1)], context)).toEqual([])
    expect(byteFindings([aptLists(10 * MB)], context)).toHaveLength(1)
    expect(byteFindings([aptLists(10 * MB)], { ...context, addedBytes: 600 * MB })).toEqual([])
    expect(byteFindings([aptLists(1)], { ...context, threshold: { bytes: 0, percent: 0 } })).toHaveLength(1)
  })

  it('says that deleting a base image’s files saves nothing, at the deleting line and FROM', () => {
    const [finding] = byteFindings(
      [
        {
          rule: 'dead-bytes',
          kind: 'files',
          path: '/usr/share/doc',
          remover: { line: 4, keyword: 'RUN' },
          removal: 'deleted',
          bytes: 30 * MB,
          compressedBytes: 10 * MB
        }
      ],
      context
    )
    expect(finding).toMatchObject({ line: 4, lines: [4, 1] })
    expect(finding.fix).toContain('saves nothing')
    expect(finding.fix).toContain('multi-stage build')
  })

  it('names both lines of bytes a RUN rewrote, and COPY --chown for files a COPY wrote', () => {
    const [finding] = byteFindings(
      [
        {
          rule: 'metadata-rewrite',
          kind: 'files',
          path: '/app',
          writer: { line: 3, keyword: 'COPY' },
          remover: { line: 5, keyword: 'RUN' },
          removal: 'overwritten',
          bytes: 30 * MB,
          compressedBytes: 10 * MB
        }
      ],
      context
    )
    expect(finding).toMatchObject({ line: 3, lines: [3, 5] })
    expect(finding.message).toContain('written at line 3 (COPY) are rewritten at the same size at line 5 (RUN)')
    expect(finding.fix).toContain('`COPY --chown=…`')
  })

  it('sends a copied .git to .dockerignore, and names the toolchain packages with their sizes', () => {
    const findings = byteFindings(
      [
        {
          rule: 'vcs-in-image',
          kind: '.git',
          path: '/app/.git',
          writer: { line: 6, keyword: 'COPY' },
          bytes: 12 * MB,
          compressedBytes: 12 * MB
        },
        {
          rule: 'build-toolchain',
          kind: 'toolchain',
          bytes: 45 * MB,
          compressedBytes: 15 * MB,
          packages: [
            { name: 'gcc-12', bytes: 40 * MB },
            { name: 'libc6-dev', bytes: 5 * MB }
          ],
          packageCount: 2
        }
      ],
      context
    )
    expect(findings[0].fix).toContain('Add `.git` to `.dockerignore`')
    expect(findings[1]).toMatchObject({ line: 1 })
    expect(findings[1].message).toContain('The base image at line 1 ships a build toolchain, 2 build-only packages')
    expect(findings[1].message).toContain('`gcc-12` 40.0 MB, `libc6-dev` 5.00 MB')
  })

  it('measures the threshold against the Dockerfile’s own layers, and honours the variant’s ignore list', () => {
    const image = {
      layers: [
        { sizeBytes: 900 * MB, createdBy: 'base' },
        { sizeBytes: 100 * MB, createdBy: 'RUN', instruction: { line: 11, text: 'RUN apt-get update' } }
      ],
      byteFacts: [aptLists(20 * MB)]
    } as unknown as ImageMeasurement
    const item = (ignore: AnalyzedVariant['variant']['ignore']): AnalyzedVariant => ({
      variant: { name: 'app', dockerfile: 'Dockerfile', context: '.', buildArgs: {}, ignore },
      findings: []
    })
    const threshold = { bytes: 0, percent: 19 }
    expect(imageByteFindings(item([]), image, threshold)).toEqual([
      expect.objectContaining({ rule: 'package-cache', line: 11 })
    ])
    expect(imageByteFindings(item([]), image, { bytes: 0, percent: 21 })).toEqual([])
    expect(imageByteFindings(item([{ rule: 'package-cache', reason: 'kept on purpose' }]), image, threshold)).toEqual([
      expect.objectContaining({ suppressed: { by: 'config', reason: 'kept on purpose' } })
    ])
  })

  it('pairs with main: more apt lists on a moved line are the same finding, a PR that adds them is told so', () => {
    const main = byteFindings([aptLists(40 * MB, { line: 10, keyword: 'RUN' })], context)
    const moved = byteFindings([aptLists(48 * MB)], context)
    expect(diffFindings(main, moved)).toMatchObject({ added: [], fixed: [], unchanged: [{ line: 11 }] })
    expect(diffFindings([], moved)).toMatchObject({ added: [{ line: 11, bytes: 48 * MB }] })
    expect(diffFindings(main, [])).toMatchObject({ fixed: [{ line: 10 }] })
  })

  describe('of an image inspected without a Dockerfile', () => {
    const layer = (number: number, text: string): FactInstruction => ({
      line: 0,
      keyword: text.split(' ')[0],
      layer: number,
      text
    })
    const inspected = { ...context, file: 'my/app:1', fromLine: 0, addedBytes: 0 }
    const [dead, rewrite, toolchain, cache] = byteFindings(
      [
        {
          rule: 'dead-bytes',
          kind: 'files',
          path: '/tmp',
          writer: layer(2, 'RUN head -c 12000000 /dev/urandom > /tmp/x'),
          remover: layer(3, 'RUN rm /tmp/x'),
          removal: 'deleted',
          bytes: 12 * MB,
          compressedBytes: 12 * MB
        },
        {
          rule: 'metadata-rewrite',
          kind: 'files',
          path: '/app',
          writer: layer(4, 'COPY app /app'),
          remover: layer(5, 'RUN chmod -R a+r /app'),
          removal: 'overwritten',
          bytes: 20 * MB,
          compressedBytes: 10 * MB
        },
        {
          rule: 'build-toolchain',
          kind: 'toolchain',
          writer: layer(1, 'RUN apt-get install -y gcc'),
          bytes: 45 * MB,
          compressedBytes: 15 * MB,
          packages: [{ name: 'gcc-12', bytes: 45 * MB }],
          packageCount: 1
        },
        { ...aptLists(30 * MB, layer(1, 'ADD rootfs.tar.xz /')) }
      ],
      inspected
    )

    it('names the writing and the hiding layer by number and history, and no line', () => {
      expect(dead).toMatchObject({ file: 'my/app:1', line: 0, layer: 2, layers: [2, 3] })
      expect(dead.lines).toBeUndefined()
      expect(dead.message).toBe(
        '12.0 MB (about 12.0 MB compressed) under `/tmp` written at layer 2 (`RUN head -c 12000000 /dev/urandom > /tmp/x`) and deleted at layer 3 (`RUN rm /tmp/x`) are still shipped in layer 2.'
      )
      expect(dead.fix).toBe(
        'Remove them in the same RUN that writes them (layer 2), use a cache or bind mount, or write them in a builder stage: saves 12.0 MB.'
      )
      expect(rewrite).toMatchObject({ line: 0, layer: 4, layers: [4, 5] })
      expect(rewrite.message).toContain(
        'written at layer 4 (`COPY app /app`) are rewritten at the same size at layer 5 (`RUN chmod -R a+r /app`)'
      )
      expect(rewrite.fix).toContain('(`COPY --chown=…`, `--chmod=…`) and drop them from layer 5:')
    })

    it('says nothing of a base image: the bottom layer is a layer like the others', () => {
      expect(toolchain).toMatchObject({ line: 0, layer: 1 })
      expect(toolchain.layers).toBeUndefined()
      expect(toolchain.message).toMatch(/^Layer 1 \(`RUN apt-get install -y gcc`\) installs a build toolchain/)
      expect(cache.message).toBe(
        '`/var/lib/apt/lists` (apt lists) is left in the image by layer 1 (`ADD rootfs.tar.xz /`): 30.0 MB (about 7.50 MB compressed).'
      )
      expect(cache.fix).toContain('or out of the ADD at layer 1:')
      for (const finding of [dead, rewrite, toolchain, cache])
        expect(`${finding.message} ${finding.fix}`).not.toMatch(/base image|\bline\b/)
    })

    it('is placed at its layers in text, Markdown and SARIF, and the report schema takes it', () => {
      const inspectedReport = report([{ ...builtVariant('my/app:1', { findings: [dead] }), dockerfile: 'my/app:1' }])
      expect(reportProblem(JSON.parse(JSON.stringify(inspectedReport)))).toBeUndefined()
      expect(renderText(inspectedReport)).toContain('  my/app:1 layer 2 warning dead-bytes [my/app:1] 12.0 MB')
      expect(renderReportMarkdown(inspectedReport)).toContain('**dead-bytes** in `my/app:1` at `my/app:1 layer 2`:')
      const [result] = renderSarif(inspectedReport, { version: '0.1.0' }).runs[0].results!
      expect(result.locations![0].logicalLocations).toEqual([
        { name: 'layer 2', fullyQualifiedName: 'my/app:1 layer 2', kind: 'layer' }
      ])
      expect(result.relatedLocations).toMatchObject([
        { id: 1, logicalLocations: [{ name: 'layer 3', fullyQualifiedName: 'my/app:1 layer 3', kind: 'layer' }] }
      ])
    })
  })
})
