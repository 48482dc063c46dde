import { describe, expect, it } from '@jest/globals'
import { analyzeDockerfile, type AnalyzeInput } from '../../src/analyze/index.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

function analyze(text: string, input: Partial<AnalyzeInput> = {}) {
  return analyzeDockerfile({
    text,
    file: 'services/api/Dockerfile',
    buildArgs: {},
    allowedCondaImages: ['pytorch/pytorch'],
    ...input
  })
}

const MULTI_STAGE = lines(
  'ARG BASE=python:3.12',
  'FROM ${BASE} AS base',
  'RUN pip install --no-cache-dir uv',
  'FROM mambaorg/micromamba AS build',
  'RUN micromamba create -y -p /opt/env python=3.12 && micromamba clean -afy',
  'FROM base AS runtime',
  'COPY --from=build /opt/env /opt/env',
  'RUN <<EOF',
  'set -e',
  'python -V',
  'EOF',
  'ENTRYPOINT ["micromamba", "run", "-p", "/opt/env", "python"]'
)

describe('analyzeDockerfile', () => {
  it('reports every rule, sorted by line then rule', () => {
    const { findings } = analyze(MULTI_STAGE)
    expect(findings.map((finding) => `${finding.line} ${finding.rule} ${finding.severity}`)).toEqual([
      '2 shared-tag warning',
      '4 conda-in-production info',
      '4 floating-tag warning',
      '12 conda-in-production error'
    ])
    expect(
      findings.every((finding) => finding.file === 'services/api/Dockerfile' && finding.evidence === 'static')
    ).toBe(true)
  })

  it('lists the production chain instructions, base-most stage first', () => {
    const analysis = analyze(MULTI_STAGE)
    expect(analysis.productionInstructions).toEqual([
      { line: 2, keyword: 'FROM', text: 'FROM ${BASE} AS base' },
      { line: 3, keyword: 'RUN', text: 'RUN pip install --no-cache-dir uv' },
      { line: 6, keyword: 'FROM', text: 'FROM base AS runtime' },
      { line: 7, keyword: 'COPY', text: 'COPY --from=build /opt/env /opt/env' },
      { line: 8, keyword: 'RUN', text: 'RUN <<EOF' },
      { line: 12, keyword: 'ENTRYPOINT', text: 'ENTRYPOINT ["micromamba", "run", "-p", "/opt/env", "python"]' }
    ])
    expect(analysis.productionFromLine).toBe(6)
    expect(analysis.stages).toMatchObject([
      { name: 'base', line: 2, base: 'python:3.12' },
      { name: 'build', line: 4, base: 'mambaorg/micromamba' },
      { name: 'runtime', line: 6, base: 'base' }
    ])
  })

  it('follows the target and build-args', () => {
    const analysis = analyze(MULTI_STAGE, { target: 'Build', buildArgs: { BASE: 'python:3.12-slim-bookworm' } })
    expect(analysis.findings.map((finding) => `${finding.line} ${finding.rule} ${finding.severity}`)).toEqual([
      '4 conda-in-production error',
      '4 floating-tag warning',
      '5 conda-in-production error'
    ])
    expect(analysis.productionInstructions.map((instruction) => instruction.line)).toEqual([4, 5])
    expect(analysis.productionFromLine).toBe(4)
    expect(analysis.stages[0].base).toBe('python:3.12-slim-bookworm')
  })

  it('passes the allow-list on', () => {
    const text = lines('FROM pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime', 'RUN conda install -y numpy')
    expect(analyze(text).findings.map((finding) => finding.severity)).toEqual(['info'])
    expect(
      analyze(text, { allowedCondaImages: [] }).findings.map((finding) => `${finding.line} ${finding.severity}`)
    ).toEqual(['1 error', '2 error'])
  })

  it('reports an unknown target and still checks tags', () => {
    const analysis = analyze(lines('FROM python AS build', 'FROM continuumio/miniconda3:24.7.1-0'), { target: 'test' })
    expect(analysis.findings.map((finding) => `${finding.line} ${finding.rule}`)).toEqual([
      '0 parse-error',
      '1 shared-tag'
    ])
    expect(analysis.productionInstructions).toEqual([])
    expect(analysis.productionFromLine).toBe(0)
    expect(analysis.stages).toHaveLength(2)
  })

  it.each([
    ['an empty file', ''],
    ['no FROM', lines('RUN conda install numpy')],
    ['text that is no Dockerfile', '\u0000\u0001{"json": true}\n<<<EOF\n\\\n']
  ])('returns only parse errors for %s', (_title, text) => {
    const analysis = analyze(text)
    expect(analysis.findings.length).toBeGreaterThan(0)
    expect(analysis.findings.every((finding) => finding.rule === 'parse-error' && finding.severity === 'error')).toBe(
      true
    )
    expect(analysis).toMatchObject({ productionInstructions: [], productionFromLine: 0, stages: [] })
  })
})
