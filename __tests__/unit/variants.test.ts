import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { discoverVariants } from '../../src/discover.js'
import { analyzeVariant, imageCondaFinding } from '../../src/measure/variants.js'
import { makeWorkspace } from '../support/workspace.js'

describe('analyzeVariant', () => {
  it('never lets a build-arg value into a finding, even where FROM resolves to it', () => {
    const dir = makeWorkspace({ Dockerfile: 'ARG BASE\nFROM ${BASE}\n' })
    const settings = parseSettings({}, dir)
    const analyzed = analyzeVariant(
      { name: 'default', dockerfile: 'Dockerfile', context: '.', buildArgs: { BASE: 'registry-token-s3cr3t/app' } },
      settings
    )
    expect(analyzed.findings.length).toBeGreaterThan(0)
    expect(JSON.stringify(analyzed.findings)).not.toContain('s3cr3t')
    expect(JSON.stringify(analyzed.findings)).toContain('***')
  })

  it('shows the values the committed config file sets, which are no secret, and discovery says which those are', () => {
    const dir = makeWorkspace({
      Dockerfile: 'ARG PY\nFROM python:${PY}\n',
      '.github/slimcheck.yml': 'variants:\n  - dockerfile: Dockerfile\n    build-args: { PY: "3.12" }\n'
    })
    const settings = parseSettings({}, dir)
    const [variant] = discoverVariants(settings)
    expect(variant.committedArgs).toEqual(['PY'])
    const analyzed = analyzeVariant(variant, settings)
    expect(analyzed.findings.find((finding) => finding.rule === 'shared-tag')?.message).toContain('python:3.12')
  })

  it('blocks the build of a missing Dockerfile with a located parse-error', () => {
    const settings = parseSettings({}, makeWorkspace({}))
    const analyzed = analyzeVariant(
      { name: 'gone', dockerfile: 'gone/Dockerfile', context: 'gone', buildArgs: {} },
      settings
    )
    expect(analyzed.blocker).toBe('gone/Dockerfile does not exist.')
    expect(analyzed.findings).toMatchObject([{ rule: 'parse-error', file: 'gone/Dockerfile', line: 0 }])
  })

  it('blocks the build of an unreadable Dockerfile and says why', () => {
    const settings = parseSettings({}, makeWorkspace({ 'odd/Dockerfile/placeholder': '' }))
    const analyzed = analyzeVariant(
      { name: 'odd', dockerfile: 'odd/Dockerfile', context: 'odd', buildArgs: {} },
      settings
    )
    expect(analyzed.blocker).toMatch(/^odd\/Dockerfile cannot be read \(EISDIR/)
  })
})

describe('imageCondaFinding', () => {
  const markers = {
    prefixes: [{ path: '/opt/conda', sizeBytes: 1_000_000 }],
    commandsOnPath: ['/opt/conda/bin/conda'],
    envNames: ['CONDA_DIR']
  }
  const analyzed = (text: string, allowed = 'pytorch/pytorch') => {
    const settings = parseSettings({ 'allowed-conda-images': allowed }, makeWorkspace({ Dockerfile: text }))
    return analyzeVariant({ name: 'default', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }, settings)
  }

  it('is an error when conda that static analysis kept in a builder shows up in the image', () => {
    const item = analyzed(
      'FROM continuumio/miniconda3:24.7.1-0 AS build\nRUN conda install -y numpy\nFROM debian:bookworm-slim\nCOPY --from=build /venv /venv\n'
    )
    expect(item.findings.map((finding) => finding.severity)).toEqual(['info'])
    expect(imageCondaFinding(item, markers)).toMatchObject({
      severity: 'error',
      line: 3,
      evidence: 'image',
      message: expect.stringContaining('a conda prefix at /opt/conda (1.00 MB, 1000000 bytes)')
    })
  })

  it('stays informational on an accepted base, and says which entry accepted it', () => {
    const item = analyzed('FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime\n')
    expect(item.analysis?.condaAcceptedBy).toBe('pytorch/pytorch')
    expect(imageCondaFinding(item, markers)).toMatchObject({
      severity: 'info',
      fix: expect.stringContaining('`pytorch/pytorch` in allowed-conda-images')
    })
  })

  it('is an error on the same base once the allow-list no longer names it, and absent without markers', () => {
    const item = analyzed('FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime\n', 'mambaorg/micromamba')
    expect(item.analysis?.condaAcceptedBy).toBeUndefined()
    expect(imageCondaFinding(item, markers)?.severity).toBe('error')
    expect(imageCondaFinding(item, { prefixes: [], commandsOnPath: [], envNames: [] })).toBeUndefined()
  })
})
