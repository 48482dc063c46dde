import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { createEngine } from '../../src/engine/index.js'
import { compareReports } from '../../src/compare/index.js'
import { runPipeline, runPipelines } from '../../src/pipeline.js'
import type { Report, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace, TEST_BASE } from '../support/workspace.js'

const engine = createEngine()

describe('Dockerfiles as repositories have them: symlinked, broken, two for one name', () => {
  let report: Report
  let logger: ReturnType<typeof recordingLogger>

  const variant = (name: string): VariantReport => {
    const found = report.variants.find((item) => item.name === name)
    if (!found) throw new Error(`no variant ${name} in ${report.variants.map((item) => item.name).join(', ')}`)
    return found
  }
  const instructions = (name: string): string[] =>
    variant(name).image!.layers.flatMap((layer) => (layer.instruction ? [layer.instruction.text] : []))

  beforeAll(async () => {
    const dir = makeWorkspace({
      'shared/base.Dockerfile': `FROM ${TEST_BASE}\nRUN echo linked > /marker\n`,
      'svc/app.txt': 'app\n',
      'Dockerfile.api': `FROM ${TEST_BASE}\nRUN echo root > /which\n`,
      'api/Dockerfile': `FROM ${TEST_BASE}\nRUN echo nested > /which\n`
    })
    // The link points out of its variant's context (svc), as a shared Dockerfile often does.
    fs.symlinkSync('../shared/base.Dockerfile', path.join(dir, 'svc/Dockerfile'))
    fs.symlinkSync('shared/gone.Dockerfile', path.join(dir, 'Dockerfile.broken'))
    const outside = makeWorkspace({ 'host.Dockerfile': `FROM ${TEST_BASE}\nRUN echo host-secret-7f3a > /leak\n` })
    fs.symlinkSync(path.join(outside, 'host.Dockerfile'), path.join(dir, 'Dockerfile.leak'))
    logger = recordingLogger()
    report = await runPipeline({ settings: parseSettings({}, dir), engine, logger, version: 'test', side: 'itest' })
  })

  afterAll(async () => {
    for (const item of report?.variants ?? [])
      if (item.image) await engine.removeImage(item.image.id).catch(() => undefined)
  })

  it('builds a symlinked Dockerfile from the file it points to', () => {
    expect(variant('svc')).toMatchObject({ status: 'built', dockerfile: 'svc/Dockerfile', context: 'svc' })
    expect(instructions('svc')).toContain('RUN echo linked > /marker')
  })

  it('reports a broken symlink as its variant’s problem, at the file', () => {
    expect(variant('broken')).toMatchObject({
      status: 'failed',
      findings: [{ rule: 'parse-error', file: 'Dockerfile.broken', message: 'Dockerfile.broken does not exist.' }]
    })
  })

  it('neither reads nor builds a Dockerfile linked from outside the working directory, and says why', () => {
    expect(variant('leak')).toMatchObject({
      status: 'failed',
      findings: [
        {
          rule: 'parse-error',
          file: 'Dockerfile.leak',
          message:
            'Dockerfile.leak is a symbolic link to a file outside the working directory, which slimcheck does not read.'
        }
      ]
    })
    expect(JSON.stringify(report)).not.toContain('host-secret-7f3a')
  })

  it('builds both Dockerfiles that would be one variant, the later one named by its path, and warns', () => {
    expect(variant('api')).toMatchObject({ status: 'built', dockerfile: 'Dockerfile.api' })
    expect(instructions('api')).toContain('RUN echo root > /which')
    expect(variant('api/Dockerfile')).toMatchObject({ status: 'built', dockerfile: 'api/Dockerfile' })
    expect(instructions('api/Dockerfile')).toContain('RUN echo nested > /which')
    expect(report.problems).toEqual([])
    expect(logger.lines).toContain(
      "warning: Dockerfile.api and api/Dockerfile would both be variant 'api'; api/Dockerfile is built as variant 'api/Dockerfile'. Rename one of them, or declare the variants with their names"
    )
  })
})

describe('a pull request that adds a Dockerfile wanting an existing variant’s name', () => {
  it('leaves the name with the Dockerfile main gave it, so main’s findings stay inherited', async () => {
    const api = `FROM ${TEST_BASE}\nRUN mkdir -p /opt/conda/conda-meta\nENV CONDA_DIR=/opt/conda\n`
    const base = makeWorkspace({ 'api/Dockerfile': api })
    const head = makeWorkspace({ 'api/Dockerfile': api, 'Dockerfile.api': `FROM ${TEST_BASE}\nRUN echo new > /new\n` })
    const gate = parseSettings({ 'fail-on': 'conda-in-production' }, head)
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({}, base) },
        { label: 'head', settings: gate }
      ],
      engine,
      logger: recordingLogger(),
      version: 'test',
      runs: 1
    })
    expect(headReport.variants.map((item) => [item.name, item.dockerfile])).toEqual([
      ['Dockerfile.api', 'Dockerfile.api'],
      ['api', 'api/Dockerfile']
    ])
    const comparison = compareReports(baseReport, headReport, { source: 'build' }, gate.policy)
    expect(comparison.variants.map((item) => [item.name, item.kind])).toEqual([
      ['Dockerfile.api', 'added'],
      ['api', 'unchanged']
    ])
    expect(comparison.violations).toEqual([])
    expect(comparison.inherited.map((violation) => violation.variant)).toContain('api')
    for (const item of [...baseReport.variants, ...headReport.variants])
      if (item.image) await engine.removeImage(item.image.id).catch(() => undefined)
  })
})
