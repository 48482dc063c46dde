import { describe, expect, it } from '@jest/globals'
import { diffFindings } from '../../src/compare/index.js'
import { byteFindings, imageByteFindings, type ByteFindingContext } from '../../src/measure/bytes/findings.js'
import type { AnalyzedVariant } from '../../src/measure/variants.js'
import type { ByteFact, ImageMeasurement } from '../../src/types.js'

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
})
