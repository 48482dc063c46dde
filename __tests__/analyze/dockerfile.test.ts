import { describe, expect, it } from '@jest/globals'
import {
  buildStages,
  findStage,
  parseDockerfile,
  productionStage,
  stageChain,
  type DockerfileModel
} from '../../src/analyze/dockerfile.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

function bases(model: DockerfileModel): unknown[] {
  return model.stages.map(({ base }) =>
    base.kind === 'image'
      ? `${base.ref.registry}/${base.ref.repository}:${base.ref.tag ?? ''}`
      : base.kind === 'stage'
        ? `stage ${base.stage}`
        : `${base.kind} ${base.text}`
  )
}

describe('parseDockerfile: base images and ARG substitution', () => {
  it.each<[string, string, Record<string, string>, string]>([
    ['an ARG default', lines('ARG BASE=python:3.12', 'FROM ${BASE}'), {}, 'docker.io/library/python:3.12'],
    [
      'a build-arg over the default',
      lines('ARG BASE=python:3.12', 'FROM ${BASE}'),
      { BASE: 'python:3.12-slim-bookworm' },
      'docker.io/library/python:3.12-slim-bookworm'
    ],
    ['$VAR without braces', lines('ARG TAG=3.11', 'FROM python:$TAG'), {}, 'docker.io/library/python:3.11'],
    [
      'an ARG built from an earlier ARG',
      lines('ARG TAG=3.12', 'ARG BASE=python:${TAG}-slim', 'FROM $BASE'),
      {},
      'docker.io/library/python:3.12-slim'
    ],
    [
      '${VAR:-default} with VAR unset',
      lines('ARG TAG', 'FROM python:${TAG:-3.10}'),
      {},
      'docker.io/library/python:3.10'
    ],
    [
      '${VAR:-default} with a build-arg',
      lines('ARG TAG', 'FROM python:${TAG:-3.10}'),
      { TAG: '3.13' },
      'docker.io/library/python:3.13'
    ],
    ['${VAR:-default} with VAR undeclared', lines('FROM python:${TAG:-3.10}'), {}, 'docker.io/library/python:3.10'],
    [
      '${VAR:+alt} with VAR set',
      lines('ARG SLIM=1', 'FROM python:3.12${SLIM:+-slim}'),
      {},
      'docker.io/library/python:3.12-slim'
    ],
    ['a build-arg for an undeclared ARG', lines('FROM python:${TAG}'), { TAG: '3.12' }, 'unresolved python:${TAG}'],
    ['an ARG with no value', lines('ARG BASE', 'FROM ${BASE}'), {}, 'unresolved ${BASE}'],
    [
      'an ARG declared after FROM',
      lines('FROM python:3.12 AS a', 'ARG TAG=3', 'FROM python:${TAG}'),
      {},
      'unresolved python:${TAG}'
    ],
    ['a registry with a port', lines('FROM localhost:5000/python:3.12'), {}, 'localhost:5000/python:3.12'],
    ['scratch', lines('FROM scratch'), {}, 'scratch scratch']
  ])('%s', (_title, text, buildArgs, expected) => {
    const model = parseDockerfile(text, { buildArgs })
    expect(bases(model).at(-1)).toBe(expected)
  })

  it('keeps what was written next to the substituted text', () => {
    const [stage] = parseDockerfile(lines('ARG BASE=python:3.12', 'FROM ${BASE} AS Build')).stages
    expect(stage.base).toMatchObject({ kind: 'image', written: '${BASE}', text: 'python:3.12' })
    expect(stage).toMatchObject({ index: 0, name: 'Build', key: 'build', line: 2 })
  })

  it('reads --platform, substituted where it can be', () => {
    const model = parseDockerfile(
      lines(
        'ARG ARCH=linux/arm64',
        'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
        'FROM --platform=${ARCH} debian:bookworm-slim'
      )
    )
    expect(model.stages.map((stage) => stage.platform)).toEqual(['$BUILDPLATFORM', 'linux/arm64'])
    expect(bases(model)).toEqual(['docker.io/library/golang:1.22', 'docker.io/library/debian:bookworm-slim'])
  })
})

describe('parseDockerfile: stages', () => {
  it('matches stage names case-insensitively, and numeric indexes of earlier stages', () => {
    const model = parseDockerfile(
      lines(
        'FROM python:3.12 AS Builder',
        'FROM builder AS test',
        'FROM BUILDER',
        'FROM 0',
        'COPY --from=TEST /a /a',
        'COPY --from=1 /b /b'
      )
    )
    expect(bases(model)).toEqual(['docker.io/library/python:3.12', 'stage 0', 'stage 0', 'stage 0'])
    expect(
      model.stages[3].instructions.map((instruction) =>
        instruction.sources.map((source) => source.kind === 'stage' && source.stage)
      )
    ).toEqual([[1], [1]])
  })

  it('treats a FROM naming a later stage as an image', () => {
    const model = parseDockerfile(lines('FROM app', 'FROM python:3.12 AS app'))
    expect(bases(model)[0]).toBe('docker.io/library/app:')
  })

  it('classifies COPY --from and RUN --mount=from sources', () => {
    const model = parseDockerfile(
      lines(
        'ARG UV=0.4',
        'FROM python:3.12-slim-bookworm AS build',
        'ARG UV',
        'COPY --from=ghcr.io/astral-sh/uv:${UV} /uv /bin/uv',
        'RUN --mount=type=bind,from=mambaorg/micromamba:1.5,source=/bin/micromamba,target=/mm --mount=type=cache,target=/root/.cache true',
        'COPY --from=$UNSET /a /a',
        'COPY --from=Build /b /b'
      )
    )
    const sources = model.stages[0].instructions.flatMap((instruction) => instruction.sources)
    expect(sources.map((source) => [source.kind, source.text])).toEqual([
      ['image', 'ghcr.io/astral-sh/uv:0.4'],
      ['image', 'mambaorg/micromamba:1.5'],
      ['unresolved', '$UNSET'],
      ['stage', 'Build']
    ])
  })

  it('chains stages through FROM and collects what a build needs', () => {
    const model = parseDockerfile(
      lines(
        'FROM python:3.12 AS base',
        'FROM base AS deps',
        'FROM node:20 AS assets',
        'FROM debian:bookworm AS unused',
        'FROM deps AS runtime',
        'COPY --from=assets /dist /dist'
      )
    )
    const runtime = productionStage(model)
    expect(stageChain(model, runtime).map((stage) => stage.name)).toEqual(['base', 'deps', 'runtime'])
    expect(buildStages(model, runtime).map((stage) => stage.name)).toEqual(['base', 'deps', 'assets', 'runtime'])
  })

  it('picks the production stage: the target, case-insensitive, else the last stage', () => {
    const model = parseDockerfile(lines('FROM python:3.12 AS Builder', 'FROM python:3.12-slim'))
    expect(productionStage(model).index).toBe(1)
    expect(productionStage(model, 'builder').name).toBe('Builder')
    expect(findStage(model, 'BUILDER')?.index).toBe(0)
    expect(() => productionStage(model, 'nope')).toThrow('nope')
  })
})

describe('parseDockerfile: instructions', () => {
  it('joins continuation lines and keeps flags apart', () => {
    const model = parseDockerfile(
      lines(
        'FROM python:3.12',
        'RUN --mount=type=cache,target=/root/.cache \\',
        '    pip install \\',
        '# a comment',
        '      numpy'
      )
    )
    const [run] = model.stages[0].instructions
    expect(run).toMatchObject({
      keyword: 'RUN',
      line: 2,
      flags: [{ name: 'mount', value: 'type=cache,target=/root/.cache' }]
    })
    expect(run.args.replace(/\s+/g, ' ')).toBe('pip install numpy')
    expect(run.text.replace(/\s+/g, ' ')).toBe('RUN --mount=type=cache,target=/root/.cache pip install numpy')
  })

  it('honours the escape directive', () => {
    const model = parseDockerfile(
      lines(
        '# escape=`',
        'FROM mcr.microsoft.com/windows/servercore:ltsc2022',
        'RUN echo a `',
        '  && echo b',
        'COPY app\\ C:\\app\\'
      )
    )
    const [run, copy] = model.stages[0].instructions
    expect(run).toMatchObject({ line: 3 })
    expect(run.args.replace(/\s+/g, ' ')).toBe('echo a && echo b')
    expect(copy).toMatchObject({ line: 5, args: 'app\\ C:\\app\\' })
  })

  it('reads heredoc bodies of RUN and COPY', () => {
    const model = parseDockerfile(
      lines(
        'FROM python:3.12',
        'RUN <<EOF',
        'set -e',
        'pip install numpy',
        'EOF',
        'RUN cat > /etc/app.conf <<-"END" && chmod 600 /etc/app.conf',
        '\tkey = value',
        '\tEND',
        'COPY <<EOF /app/run.sh',
        'exec python -m app',
        'EOF',
        'USER app'
      )
    )
    const [script, conf, copy, user] = model.stages[0].instructions
    expect(script).toMatchObject({
      line: 2,
      args: '<<EOF',
      heredocs: [{ name: 'EOF', line: 3, content: 'set -e\npip install numpy' }]
    })
    expect(conf).toMatchObject({
      line: 6,
      args: 'cat > /etc/app.conf <<-"END" && chmod 600 /etc/app.conf',
      heredocs: [{ name: 'END', line: 7, content: 'key = value' }]
    })
    expect(copy).toMatchObject({
      line: 9,
      keyword: 'COPY',
      heredocs: [{ name: 'EOF', line: 10, content: 'exec python -m app' }]
    })
    expect(user).toMatchObject({ line: 12, keyword: 'USER', args: 'app' })
  })

  it('reads exec-form arguments and properties', () => {
    const model = parseDockerfile(
      lines(
        'FROM python:3.12',
        'ENV A=1 PATH="/venv/bin:$PATH"',
        'ENTRYPOINT ["python", "-m", "app server"]',
        'CMD python -m app'
      )
    )
    const [env, entrypoint, cmd] = model.stages[0].instructions
    expect(env.properties).toEqual([
      { name: 'A', value: '1' },
      { name: 'PATH', value: '/venv/bin:$PATH' }
    ])
    expect(entrypoint.json).toEqual(['python', '-m', 'app server'])
    expect(cmd.json).toBeUndefined()
  })
})
