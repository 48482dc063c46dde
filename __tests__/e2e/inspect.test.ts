import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createEngine } from '../../src/engine/index.js'
import type { Report } from '../../src/types.js'
import { slimcheck } from '../support/cli.js'
import { buildTestImage } from '../support/images.js'
import { TEST_BASE } from '../support/workspace.js'

/** An image built by something else than slimcheck, leaving 12 MB of apt lists behind. */
const IMAGE = 'slimcheck/inspect-target:test'
const engine = createEngine()

beforeAll(async () => {
  await buildTestImage(
    engine,
    IMAGE,
    `FROM ${TEST_BASE}\nRUN mkdir -p /var/lib/apt/lists && head -c 12000000 /dev/urandom > /var/lib/apt/lists/x_Packages\n`
  )
})

afterAll(async () => {
  await engine.removeImage(IMAGE)
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
