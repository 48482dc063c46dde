import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine, EngineUnreachableError, type Engine } from '../../src/engine/index.js'
import { recordingLogger } from '../support/logger.js'
import { imageTagFor } from '../../src/measure/build.js'
import { runPipeline } from '../../src/pipeline.js'
import type { Report, VariantReport } from '../../src/types.js'
import { dockerCli, historyLength, inspectedSize, makeWorkspace, TEST_BASE } from '../support/workspace.js'

function variant(report: Report, name: string): VariantReport {
  const found = report.variants.find((item) => item.name === name)
  if (!found) throw new Error(`no variant ${name} in ${report.variants.map((item) => item.name).join(', ')}`)
  return found
}

const engine = createEngine()

describe('building real images', () => {
  let report: Report
  let logger: ReturnType<typeof recordingLogger>
  let dir: string

  beforeAll(async () => {
    dir = makeWorkspace({
      'Dockerfile.small': `FROM ${TEST_BASE}\nARG TOKEN\nRUN dd if=/dev/zero of=/blob bs=1024 count=512 && echo "token is $TOKEN"\nCOPY . /ctx\nCMD ["sh"]\n`,
      'Dockerfile.big': `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=4096\n`,
      'Dockerfile.broken': `FROM ${TEST_BASE}\nRUN echo about to fail && exit 3\n`,
      'Dockerfile.nobase': 'FROM slimcheck-test/does-not-exist:1\nRUN true\n',
      'Dockerfile.conda': `FROM ${TEST_BASE}\nRUN mkdir -p /opt/conda/conda-meta /opt/conda/bin && dd if=/dev/zero of=/opt/conda/lib.so bs=1000 count=300 && printf '#!/bin/sh\\n' > /opt/conda/bin/conda && chmod +x /opt/conda/bin/conda\nENV PATH=/opt/conda/bin:/bin CONDA_DIR=/opt/conda\n`,
      'ignored-big.bin': Buffer.alloc(3_000_000),
      '.dockerignore': 'ignored-big.bin\n'
    })
    logger = recordingLogger()
    report = await runPipeline({
      settings: parseSettings({ 'build-args': 'TOKEN=hunter2-secret', 'keep-images': 'true' }, dir),
      engine,
      logger,
      version: 'test',
      side: 'itest'
    })
  })

  afterAll(async () => {
    for (const item of report?.variants ?? [])
      if (item.image) await engine.removeImage(item.image.id).catch(() => undefined)
  })

  it('reports every variant, built or failed', () => {
    expect(report.variants.map((item) => [item.name, item.status])).toEqual([
      ['big', 'built'],
      ['broken', 'failed'],
      ['conda', 'built'],
      ['nobase', 'failed'],
      ['small', 'built']
    ])
  })

  it('reports sizes as the classic store counts them, the compressed size, and every history entry as a layer', async () => {
    const { store } = await engine.info()
    for (const name of ['big', 'small', 'conda']) {
      const image = variant(report, name).image!
      expect(image.store).toBe(store)
      expect(image.layers).toHaveLength(historyLength(image.id))
      expect(image.sizeBytes).toBe(image.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0))
      expect(image.compressedBytes).toBe(image.layers.reduce((sum, layer) => sum + (layer.compressedBytes ?? 0), 0))
      expect(image.compressedBytes).toBeGreaterThan(0)
      if (store === 'overlay2') {
        expect(image.sizeBytes).toBe(inspectedSize(image.id))
        expect(image.engineReported).toEqual({ sizeBytes: image.sizeBytes, source: expect.stringContaining('classic') })
        expect(image.compressedSource).toContain('gzip')
      } else {
        expect(image.sizeSource).toContain("counted from the layers' content")
        expect(image.compressedSource).toContain('image manifest')
      }
    }
    expect(variant(report, 'big').image!.sizeBytes - variant(report, 'small').image!.sizeBytes).toBeGreaterThan(
      3_000_000
    )
  })

  it('maps layers back to the Dockerfile lines that made them', () => {
    const layers = variant(report, 'big').image!.layers
    const run = layers.find((layer) => layer.instruction?.line === 2)
    expect(run?.sizeBytes).toBe(4096 * 1024)
    expect(run?.instruction?.text).toContain('dd if=/dev/zero')
  })

  it('honours .dockerignore when packing the context', () => {
    const copied = variant(report, 'small').image!.layers.find((layer) => layer.instruction?.line === 4)
    expect(copied).toBeDefined()
    expect(copied!.sizeBytes).toBeLessThan(100_000)
  })

  it('says how build time was measured, cold by default', () => {
    const build = variant(report, 'big').build!
    expect(build.cache).toBe('cold')
    expect(build.samples).toHaveLength(1)
    expect(build.seconds).toBeGreaterThan(0)
    expect(build.method).toContain('without build cache')
  })

  it('keeps a failed build’s message and the last lines of its log', () => {
    const broken = variant(report, 'broken')
    expect(broken.failure!.message).toMatch(/exit code: 3/)
    expect(broken.failure!.logTail.join('\n')).toContain('about to fail')
    expect(variant(report, 'nobase').failure!.message).toMatch(/slimcheck-test\/does-not-exist/)
  })

  it('finds conda in the built image and how many bytes its prefix takes', () => {
    const conda = variant(report, 'conda')
    const finding = conda.findings.find((item) => item.evidence === 'image')
    expect(finding).toMatchObject({ rule: 'conda-in-production', severity: 'error', file: 'Dockerfile.conda' })
    expect(finding!.message).toContain('/opt/conda')
    expect(finding!.message).toContain('/opt/conda/bin/conda on PATH')
    expect(finding!.message).toContain('CONDA_DIR')
    expect(conda.condaBytes).toBe(300_000 + 10)
  })

  it('never writes build-arg values into logs or the report', () => {
    expect(logger.lines.join('\n')).toContain('token is ***')
    expect(logger.lines.join('\n')).not.toContain('hunter2-secret')
    expect(JSON.stringify(report)).not.toContain('hunter2-secret')
    expect(variant(report, 'small').buildArgNames).toEqual(['TOKEN'])
  })

  it('streams each build into its own group with elapsed time', () => {
    expect(logger.lines).toContain('group: Build big (itest, cold cache)')
    expect(logger.lines.some((line) => /^\[\d+\.\ds\] /.test(line))).toBe(true)
  })
})

describe('the build context', () => {
  it('follows .dockerignore as docker build does: anchored patterns and negations', async () => {
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nCOPY . /ctx\nRUN find /ctx -type f | sort > /listing\n`,
      '.dockerignore': 'sub/secret.txt\nlogs\n!logs/keep.txt\n',
      'sub/secret.txt': 'do not ship',
      'sub/app.py': 'print(1)\n',
      'logs/debug.log': 'noise',
      'logs/keep.txt': 'keep'
    })
    const logger = recordingLogger()
    const report = await runPipeline({
      settings: parseSettings({ 'keep-images': 'true' }, dir),
      engine,
      logger,
      version: 'test',
      side: 'itest'
    })
    expect(report.variants[0].status).toBe('built')
    const listing = dockerCli(['run', '--rm', report.variants[0].image!.id, 'cat', '/listing']).split('\n')
    expect(listing).toEqual(['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/logs/keep.txt', '/ctx/sub/app.py'])
    await engine.removeImage(report.variants[0].image!.id)
  })
})

describe('a Dockerfile kept outside its context', () => {
  it('is sent along under its own name, which COPY . then also copies', async () => {
    const dir = makeWorkspace({
      'docker/app.Dockerfile': `FROM ${TEST_BASE}\nCOPY . /ctx\n`,
      'app/main.sh': 'echo hi\n'
    })
    const variants = '- dockerfile: docker/app.Dockerfile\n  context: app\n  name: app'
    const report = await runPipeline({
      settings: parseSettings({ variants, 'keep-images': 'true' }, dir),
      engine,
      logger: recordingLogger(),
      version: 'test',
      side: 'itest'
    })
    expect(report.variants[0]).toMatchObject({
      name: 'app',
      status: 'built',
      context: 'app',
      dockerfile: 'docker/app.Dockerfile'
    })
    expect(dockerCli(['run', '--rm', report.variants[0].image!.id, 'ls', '-A', '/ctx']).split('\n')).toEqual([
      '.slimcheck.Dockerfile',
      'main.sh'
    ])
    await engine.removeImage(report.variants[0].image!.id)
  })
})

describe('repeated builds', () => {
  it('builds each variant runs times, reports the median with every sample, and keeps only the last image', async () => {
    const dir = makeWorkspace({
      Dockerfile: `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=64 && date +%s%N > /stamp\n`
    })
    const built: string[] = []
    const recording: Engine = {
      ...engine,
      async build(request) {
        const outcome = await engine.build(request)
        if (outcome.ok) built.push(outcome.imageId)
        return outcome
      }
    }
    const report = await runPipeline({
      settings: parseSettings({ 'keep-images': 'true' }, dir),
      engine: recording,
      logger: recordingLogger(),
      version: 'test',
      side: 'itest',
      runs: 3
    })
    const build = report.variants[0].build!
    expect(build.samples).toHaveLength(3)
    expect(build.seconds).toBe([...build.samples].sort((a, b) => a - b)[1])
    expect(build.method).toContain('median of 3 builds')
    expect(new Set(built).size).toBe(3)
    expect(report.variants[0].image!.id).toBe(built[2])
    for (const superseded of built.slice(0, 2)) expect(() => dockerCli(['image', 'inspect', superseded])).toThrow()
    await engine.removeImage(built[2])
  })
})

describe('disk', () => {
  it('removes the images it built and, in cold mode, the build cache records its builds made', async () => {
    // Each step's record is the parent of the next one's: the engine keeps a parent while its child exists.
    const dir = makeWorkspace({
      Dockerfile:
        `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=256\n` +
        'RUN dd if=/dev/zero of=/second bs=1024 count=64\nWORKDIR /work\nRUN touch /work/third\n'
    })
    const before = new Set(await engine.buildCacheIds())
    const logger = recordingLogger()
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine,
      logger,
      version: 'test',
      side: 'disk',
      runs: 2
    })
    expect(report.variants[0].status).toBe('built')
    expect(() => dockerCli(['image', 'inspect', report.variants[0].image!.id])).toThrow()
    // `disk-<run id>-`: the tags of this run's builds, whatever their number.
    const thisRun = imageTagFor({ name: 'default', dockerfile: '', context: '.', buildArgs: {} }, 'disk', 1)
      .replace(/^.*:/, '')
      .replace(/1$/, '')
    const tags = dockerCli(['image', 'ls', '--format', '{{.Tag}}', 'slimcheck/default']).split('\n')
    expect(tags.filter((tag) => tag.startsWith(thisRun))).toEqual([])
    expect((await engine.buildCacheIds()).filter((id) => !before.has(id))).toEqual([])
    expect(logger.lines.some((line) => /^Removed the \d+ build cache records this run made$/.test(line))).toBe(true)
  })

  it('says how many records the engine kept because another build was built on them', async () => {
    const steps = `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/blob bs=1024 count=128\n`
    const dir = makeWorkspace({ Dockerfile: steps })
    const other = makeWorkspace({ Dockerfile: `${steps}RUN touch /other\n` })
    const before = new Set(await engine.buildCacheIds())
    const concurrent: Engine = {
      ...engine,
      // Just before this run prunes, another build on the engine reuses its steps and adds one of its own.
      async pruneBuildCacheSince(keep) {
        const known = new Set(await engine.buildCacheIds())
        await runPipeline({
          settings: parseSettings({ cache: 'warm' }, other),
          engine,
          logger: recordingLogger(),
          version: 'test',
          side: 'other'
        })
        // Its records are another job's: this run's prune leaves them, as it would leave a concurrent job's.
        const theirs = (await engine.buildCacheIds()).filter((id) => !known.has(id))
        return engine.pruneBuildCacheSince(new Set([...keep, ...theirs]))
      }
    }
    const logger = recordingLogger()
    await runPipeline({ settings: parseSettings({}, dir), engine: concurrent, logger, version: 'test', side: 'kept' })
    const said = logger.lines.find((line) => line.startsWith('Removed '))
    expect(said).toMatch(/^Removed \d+ of the build cache records this run made; the engine kept [1-9]\d* \(in use/)
    await engine.pruneBuildCacheSince(before)
  })
})

describe('engine problems', () => {
  it('times a build out and reports it as failed', async () => {
    const dir = makeWorkspace({ Dockerfile: `FROM ${TEST_BASE}\nRUN sleep 30\n` })
    const started = Date.now()
    const report = await runPipeline({
      settings: parseSettings({ 'build-timeout': '3s' }, dir),
      engine,
      logger: recordingLogger(),
      version: 'test',
      side: 'itest'
    })
    expect(report.variants[0]).toMatchObject({
      status: 'failed',
      failure: { message: 'build timed out after 3 s (build-timeout)' }
    })
    expect(Date.now() - started).toBeLessThan(25_000)
  })

  it('names DOCKER_HOST and how to start an engine when none answers, and still reports static findings', async () => {
    const dir = makeWorkspace({ Dockerfile: 'FROM python:3.12\n' })
    const unreachable = createEngine({ socketPath: path.join(dir, 'no-such.sock') })
    await expect(unreachable.info()).rejects.toThrow(EngineUnreachableError)
    const report = await runPipeline({
      settings: parseSettings({}, dir),
      engine: unreachable,
      logger: recordingLogger(),
      version: 'test'
    })
    expect(report.problems[0]).toMatch(/cannot reach a Docker engine at .*DOCKER_HOST/)
    expect(report.variants[0].status).toBe('skipped')
    expect(report.variants[0].findings.map((finding) => finding.rule)).toContain('shared-tag')
  })
})
