import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { runPipeline } from '../../src/pipeline.js'
import type { Report } from '../../src/types.js'
import { startEngineProxy } from '../support/engine-proxy.js'
import { recordingLogger } from '../support/logger.js'
import { dockerCli, inspectedSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

const engine = createEngine()

/** The engine's own per-layer sizes, oldest first, in bytes. */
function historySizes(image: string): number[] {
  return dockerCli(['history', '--human=false', '--no-trunc', '--format', '{{.Size}}', image])
    .split('\n')
    .reverse()
    .map(Number)
}

/**
 * A base imported from one tar: busybox with four applets as symbolic links and one plain file. Its expected size
 * is what the classic store counts for an imported layer: regular files' bytes plus symbolic links' target lengths.
 */
function importBase(tag: string): number {
  const root = makeWorkspace({ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n' }, 'slimcheck-base-')
  fs.mkdirSync(path.join(root, 'bin'))
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'))
  for (const applet of ['sh', 'dd', 'ln', 'rm']) fs.symlinkSync('busybox', path.join(root, 'bin', applet))
  const tarball = path.join(root, '..', `${path.basename(root)}.tar`)
  execFileSync('tar', ['-C', root, '-cf', tarball, '.'])
  dockerCli(['import', '-c', 'ENV PATH=/bin', tarball, tag])
  return fs.statSync('/bin/busybox').size + 'root:x:0:0:root:/root:/bin/sh\n'.length + 4 * 'busybox'.length
}

describe('the same sizes on every engine and store', () => {
  const base = 'slimcheck-test/fixture-base:1'
  let baseBytes: number
  let report: Report

  beforeAll(async () => {
    baseBytes = importBase(base)
    const dir = makeWorkspace({
      Dockerfile: [
        `FROM ${base}`,
        'RUN dd if=/dev/zero of=/blob bs=1024 count=4096 && ln -s /blob /blob.link',
        'COPY a.bin b.bin /data/',
        'RUN rm /data/b.bin',
        'WORKDIR /work',
        ''
      ].join('\n'),
      'a.bin': Buffer.alloc(1000, 1),
      'b.bin': Buffer.alloc(2345, 2)
    })
    report = await runPipeline({
      settings: parseSettings({ 'keep-images': 'true' }, dir),
      engine,
      logger: recordingLogger(),
      version: 'test'
    })
  })

  afterAll(async () => {
    if (report?.variants[0].image) await engine.removeImage(report.variants[0].image.id).catch(() => undefined)
    await engine.removeImage(base).catch(() => undefined)
  })

  it('counts each layer as the classic store does: symbolic links only in the imported base', () => {
    const image = report.variants[0].image!
    expect(image.layers.map((layer) => layer.sizeBytes)).toEqual([baseBytes, 4096 * 1024, 1000 + 2345, 0, 0])
    expect(image.sizeBytes).toBe(baseBytes + 4096 * 1024 + 1000 + 2345)
  })

  it('equals the engine’s own figures on the classic store, per layer and in total', async () => {
    const image = report.variants[0].image!
    if ((await engine.info()).store !== 'overlay2') {
      expect(image.engineReported.source).toContain('containerd image store')
      return
    }
    expect(image.layers.map((layer) => layer.sizeBytes)).toEqual(historySizes(image.id))
    expect(image.sizeBytes).toBe(inspectedSize(image.id))
  })

  it('has a compressed size for every layer that made one, and for the image', () => {
    const image = report.variants[0].image!
    const withContent = image.layers.filter((layer) => layer.diffId)
    expect(withContent).toHaveLength(5)
    for (const layer of withContent) expect(layer.compressedBytes).toBeGreaterThan(0)
    // 4 MiB of zeros compresses to a few kB; the busybox binary to less than itself.
    expect(image.layers[1].compressedBytes).toBeLessThan(100_000)
    expect(image.compressedBytes).toBeLessThan(image.sizeBytes)
  })

  it('times every step and ties it to its Dockerfile line', () => {
    const steps = report.variants[0].build!.steps!
    const run = steps.find((step) => step.name.includes('RUN dd'))
    expect(run).toMatchObject({ line: 2, cached: false })
    expect(run!.seconds).toBeGreaterThan(0)
    expect(steps.find((step) => step.name.includes('COPY a.bin'))).toMatchObject({ line: 3 })
    expect(steps.find((step) => step.name.includes('WORKDIR'))).toMatchObject({ line: 5 })
  })
})

describe('secrets', () => {
  it('serves secrets to RUN --mount=type=secret and keeps them and build-arg values out of everything', async () => {
    const dir = makeWorkspace({
      'Dockerfile.secret': [
        `FROM ${TEST_BASE}`,
        'RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -c1-64 > /ok',
        ''
      ].join('\n'),
      'Dockerfile.multiline': `FROM ${TEST_BASE}\nARG ML\nRUN echo "$ML"; exit 5\n`
    })
    const variants = [
      '- dockerfile: Dockerfile.secret',
      '- dockerfile: Dockerfile.multiline',
      '  build-args: { ML: "part1-AAA\\npart2-BBB" }'
    ].join('\n')
    const logger = recordingLogger()
    const report = await runPipeline({
      settings: parseSettings({ variants, secrets: 'token=s3cr3t-token-value', 'keep-images': 'true' }, dir),
      engine,
      logger,
      version: 'test'
    })
    const [secret, multiline] = report.variants
    expect(secret.status).toBe('built')
    expect(dockerCli(['run', '--rm', secret.image!.id, 'cat', '/ok'])).toBe(
      createHash('sha256').update('s3cr3t-token-value').digest('hex')
    )
    expect(dockerCli(['history', '--no-trunc', secret.image!.id])).not.toContain('s3cr3t')
    expect(multiline.status).toBe('failed')
    const everything = `${JSON.stringify(report)}\n${logger.lines.join('\n')}`
    for (const value of ['s3cr3t-token-value', 'part1-AAA', 'part2-BBB']) expect(everything).not.toContain(value)
    expect(multiline.failure!.logTail.join('\n')).toContain('***')
    await engine.removeImage(secret.image!.id)
  })
})

describe('build requests', () => {
  it('each open a connection of their own, and neither hang nor corrupt the context one after another', async () => {
    const proxy = await startEngineProxy()
    const throughProxy = createEngine({ socketPath: proxy.socketPath })
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nCOPY payload.bin /payload.bin\nRUN test "$(wc -c < /payload.bin)" -eq 1048576\n`,
      'payload.bin': Buffer.alloc(1024 * 1024, 7)
    })
    try {
      for (let build = 0; build < 6; build++) {
        const report = await runPipeline({
          settings: parseSettings({ 'build-timeout': '90s' }, dir),
          engine: throughProxy,
          logger: recordingLogger(),
          version: 'test',
          side: `repeat${build}`
        })
        expect(report.variants[0]).toMatchObject({ status: 'built' })
      }
      // Counted only where a build request opens its connection: one sent on a kept-alive connection is missed.
      expect(proxy.builds()).toBe(6)
    } finally {
      await proxy.close()
    }
  })
})
