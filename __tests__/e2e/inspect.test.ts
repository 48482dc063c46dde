import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createEngine } from '../../src/engine/index.js'
import type { Finding, Report } from '../../src/types.js'
import { slimcheck } from '../support/cli.js'
import { buildTestImage } from '../support/images.js'
import { TEST_BASE } from '../support/workspace.js'

/** An image built by something else than slimcheck, leaving 12 MB of apt lists behind. */
const IMAGE = 'slimcheck/inspect-target:test'
/** 12 MB a later RUN deletes, and 12 MB a later RUN rewrites with `chmod`. */
const LAYERED = 'slimcheck/inspect-layers:test'
const engine = createEngine()

beforeAll(async () => {
  await buildTestImage(
    engine,
    IMAGE,
    `FROM ${TEST_BASE}\nRUN mkdir -p /var/lib/apt/lists && head -c 12000000 /dev/urandom > /var/lib/apt/lists/x_Packages\n`
  )
  await buildTestImage(
    engine,
    LAYERED,
    [
      `FROM ${TEST_BASE}`,
      'RUN head -c 12000000 /dev/urandom > /tmp/x',
      'RUN rm /tmp/x',
      'RUN mkdir -p /srv/data && head -c 12000000 /dev/urandom > /srv/data/blob',
      'RUN chmod 600 /srv/data/blob',
      ''
    ].join('\n')
  )
})

afterAll(async () => {
  await engine.removeImage(IMAGE)
  await engine.removeImage(LAYERED)
})

describe('slimcheck inspect (bundled dist/cli)', () => {
  it('measures an image any tool built and gives its byte findings, failing only on what fail-on names', async () => {
    const passing = await slimcheck(['inspect', IMAGE, '-f', 'json', '--fail-on', 'none'])
    expect(passing.code).toBe(0)
    const report = JSON.parse(passing.stdout) as Report
    const [variant] = report.variants
    expect(variant).toMatchObject({ name: IMAGE, status: 'built' })
    expect(variant.image!.sizeBytes).toBeGreaterThan(12_000_000)
    expect(variant.findings.map((finding) => finding.rule)).toContain('package-cache')
    const failing = await slimcheck(['inspect', IMAGE, '--fail-on', 'package-cache'])
    expect(failing.code).toBe(1)
    expect(failing.stdout).toContain('package-cache')
  })

  it('names the layers that write and hide bytes, from their history, where run names Dockerfile lines', async () => {
    const result = await slimcheck(['inspect', LAYERED, '-f', 'json', '--fail-on', 'none'])
    expect(result.code).toBe(0)
    const [variant] = (JSON.parse(result.stdout) as Report).variants
    // Layers are numbered from 1 at the bottom, counting those with content, as the report lists them.
    const withContent = variant.image!.layers.filter((layer) => layer.diffId)
    const number = (command: string): number => withContent.findIndex((layer) => layer.createdBy.includes(command)) + 1
    const [written, deleted] = [number('> /tmp/x'), number('rm /tmp/x')]
    const [blob, chmod] = [number('> /srv/data/blob'), number('chmod 600')]
    expect([written, deleted, blob, chmod].every((layer) => layer > 1)).toBe(true)
    const byRule = (rule: Finding['rule']): Finding | undefined =>
      variant.findings.find((finding) => finding.rule === rule)
    expect(byRule('dead-bytes')).toMatchObject({ line: 0, layer: written, layers: [written, deleted] })
    expect(byRule('dead-bytes')!.message).toContain(
      `under \`/tmp\` written at layer ${written} (\`RUN head -c 12000000 /dev/urandom > /tmp/x\`) and deleted at layer ${deleted} (\`RUN rm /tmp/x\`)`
    )
    expect(byRule('dead-bytes')!.fix).toContain(`Remove them in the same RUN that writes them (layer ${written})`)
    expect(byRule('metadata-rewrite')).toMatchObject({ line: 0, layer: blob, layers: [blob, chmod] })
    expect(byRule('metadata-rewrite')!.message).toContain(
      `rewritten at the same size at layer ${chmod} (\`RUN chmod 600 /srv/data/blob\`)`
    )
    const text = await slimcheck(['inspect', LAYERED, '--fail-on', 'none'])
    expect(text.stdout).toContain(`  ${LAYERED} layer ${written} warning dead-bytes`)
    expect(text.stdout).not.toContain('base image')
  })

  it('names an image it cannot have as not measured, and goes on with the others', async () => {
    const result = await slimcheck(['inspect', '127.0.0.1:9/nowhere/image:1', IMAGE, '-f', 'json', '--fail-on', 'none'])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as Report
    expect(report.variants.map((variant) => variant.status)).toEqual(['failed', 'built'])
    expect(report.variants[0].failure).toMatchObject({ kind: 'unmeasured' })
    expect(report.variants[0].failure!.message).toContain('could not pull `127.0.0.1:9/nowhere/image:1`')
  })

  it('is bad usage without an image', async () => {
    const result = await slimcheck(['inspect'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('inspect needs the images')
  })
})
