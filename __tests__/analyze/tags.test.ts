import { describe, expect, it } from '@jest/globals'
import { parseDockerfile } from '../../src/analyze/dockerfile.js'
import { tagFindings } from '../../src/analyze/rules/tags.js'
import type { Finding } from '../../src/types.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

function check(text: string, buildArgs: Record<string, string> = {}): Finding[] {
  return tagFindings(parseDockerfile(text, { buildArgs }), 'Dockerfile')
}

function verdicts(text: string, buildArgs: Record<string, string> = {}): string[] {
  return check(text, buildArgs).map((finding) => `${finding.rule}@${finding.line}`)
}

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'

describe('shared-tag and floating-tag', () => {
  it.each<[string, string, Record<string, string>, string[]]>([
    ['a shared version tag', lines('FROM python:3.12'), {}, ['shared-tag@1']],
    ['a simple tag', lines('FROM python:3.12-slim-bookworm'), {}, []],
    ['an untagged official image', lines('FROM python'), {}, ['shared-tag@1']],
    ['latest of an official image', lines('FROM python:latest'), {}, ['shared-tag@1']],
    ['an untagged official image without shared tags', lines('FROM debian'), {}, ['floating-tag@1']],
    [
      'shared tags no longer listed',
      lines('FROM openjdk:8-jdk', 'FROM python:3.6-windowsservercore', 'FROM adoptopenjdk'),
      {},
      ['shared-tag@1', 'shared-tag@2', 'shared-tag@3']
    ],
    ['simple tags no longer listed', lines('FROM openjdk:8-jdk-slim', 'FROM python:3.6-slim'), {}, []],
    ['the official image spelled in full', lines('FROM docker.io/library/python:3.12'), {}, ['shared-tag@1']],
    ['a digest pin on a shared tag', lines(`FROM python:3.12@${DIGEST}`), {}, []],
    ['a digest pin without tag', lines(`FROM python@${DIGEST}`), {}, []],
    ['an untagged non-official image', lines('FROM mambaorg/micromamba'), {}, ['floating-tag@1']],
    ['latest of a non-official image', lines('FROM ghcr.io/example/app:latest'), {}, ['floating-tag@1']],
    ['a digest-pinned non-official image', lines(`FROM ghcr.io/example/app@${DIGEST}`), {}, []],
    ['a versioned non-official image', lines('FROM ghcr.io/example/app:1.4.2'), {}, []],
    ['python on a registry with a port', lines('FROM localhost:5000/python:3.12'), {}, []],
    ['latest on a registry with a port', lines('FROM localhost:5000/python'), {}, ['floating-tag@1']],
    ['scratch', lines('FROM scratch', 'COPY app /app'), {}, []],
    [
      'a stage, in another case',
      lines('FROM python:3.12-slim-bookworm AS Base', 'FROM base', 'COPY --from=BASE /a /a'),
      {},
      []
    ],
    [
      'a numeric COPY --from',
      lines('FROM python:3.12-slim-bookworm', 'FROM python:3.12-slim-bookworm', 'COPY --from=0 /a /a'),
      {},
      []
    ],
    ['an ARG-built shared tag', lines('ARG BASE=python:3.12', 'FROM ${BASE}'), {}, ['shared-tag@2']],
    [
      'a build-arg pinning the ARG',
      lines('ARG BASE=python:3.12', 'FROM ${BASE}'),
      { BASE: 'python:3.12-slim-bookworm' },
      []
    ],
    ['an unresolved reference', lines('ARG BASE', 'FROM ${BASE}', 'COPY --from=$TOOLS /a /a'), {}, []],
    [
      '--platform=$BUILDPLATFORM',
      lines(
        'FROM --platform=$BUILDPLATFORM golang AS build',
        'FROM --platform=$TARGETPLATFORM gcr.io/distroless/static-debian12:nonroot'
      ),
      {},
      ['shared-tag@1']
    ],
    [
      'COPY --from an image',
      lines(
        'FROM python:3.12-slim-bookworm',
        'COPY --from=ghcr.io/astral-sh/uv /uv /bin/uv',
        'COPY --from=python:3.12 /usr/local /usr/local'
      ),
      {},
      ['floating-tag@2', 'shared-tag@3']
    ],
    [
      'RUN --mount=from an image',
      lines(
        'FROM python:3.12-slim-bookworm',
        'RUN --mount=from=mambaorg/micromamba:latest,source=/bin/micromamba,target=/mm true'
      ),
      {},
      ['floating-tag@2']
    ],
    [
      'every stage, used or not',
      lines('FROM python AS assets', 'FROM python:3.12-slim-bookworm'),
      {},
      ['shared-tag@1']
    ],
    [
      'an escape-directive file',
      lines('# escape=`', 'FROM mcr.microsoft.com/windows/servercore:latest', 'RUN echo a `', '  && echo b'),
      {},
      ['floating-tag@2']
    ]
  ])('%s', (_title, text, buildArgs, expected) => {
    expect(verdicts(text, buildArgs)).toEqual(expected)
  })

  it('names the shared tag, why it moves, and simple tags to pin instead', () => {
    const [finding] = check(lines('FROM python:3.12'))
    expect(finding).toMatchObject({
      rule: 'shared-tag',
      severity: 'warning',
      file: 'Dockerfile',
      line: 1,
      evidence: 'static'
    })
    expect(finding.message).toContain('`3.12` is a shared tag of the official `python` image')
    expect(finding.message).toContain('several OS variants')
    expect(finding.fix).toMatch(/Pin a simple tag such as `python:3\.12-[a-z0-9.-]+`/)
    expect(finding.fix).toContain('python:3.12-slim-bookworm')
    expect(finding.fix).toContain('@sha256:')
  })

  it('shows what an ARG resolved to', () => {
    const [finding] = check(lines('ARG BASE=python:3.12', 'FROM ${BASE}'))
    expect(finding.message).toContain('`${BASE}` (`python:3.12`)')
  })

  it('explains an untagged official image as latest', () => {
    const [finding] = check(lines('FROM python'))
    expect(finding.message).toContain('`python:latest`')
  })

  it('asks for a version and digest on a floating tag', () => {
    const [finding] = check(lines('FROM ghcr.io/example/app'))
    expect(finding).toMatchObject({ rule: 'floating-tag', severity: 'warning' })
    expect(finding.message).toContain('has no tag')
    expect(finding.fix).toContain('`ghcr.io/example/app:<version>@sha256:…`')
  })
})

describe('shared-tag message for a tag no longer listed', () => {
  it('says when it was last listed as shared, that it is no longer maintained, and what to use now', () => {
    const [finding] = check(lines('FROM python:3.6'))
    expect(finding.message).toContain(
      '`3.6` was a shared tag of the official `python` image in its last listing (2022-01-12) and is no longer maintained'
    )
    expect(finding.message).toContain('no longer gets updates or security fixes')
    expect(finding.message).not.toContain('floats')
    expect(finding.message).toContain('Simple tags to use instead: `python:3.10-slim-trixie`')
    expect(finding.fix).toContain('Pin a simple tag such as `python:3.10-slim-trixie`')
  })

  it('asks for a maintained tag when no listed one is like it', () => {
    const [finding] = check(lines('FROM openjdk:8-jdk'))
    expect(finding.message).toContain(
      '`8-jdk` was a shared tag of the official `openjdk` image in its last listing (2022-08-04)'
    )
    expect(finding.message).not.toContain('Simple tags to use instead')
    expect(finding.fix).toContain('Move to a maintained simple tag that names both the version and the OS variant')
  })

  it('explains an untagged image whose latest is no longer listed', () => {
    const [finding] = check(lines('FROM openjdk'))
    expect(finding.message).toContain(
      'with no tag it means `openjdk:latest`, which was a shared tag of the official `openjdk` image in its last listing'
    )
  })
})

describe('shared-tag message', () => {
  it('names the simple tags to pick instead in the message itself', () => {
    const [finding] = check('FROM python:3.12\n')
    expect(finding.message).toContain('Simple tags to use instead: `python:3.12-slim-')
  })
})
