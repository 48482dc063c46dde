import { describe, expect, it } from '@jest/globals'
import { parseDockerfile } from '../../src/analyze/dockerfile.js'
import { parseErrorFindings } from '../../src/analyze/rules/parse-error.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

function problems(text: string, target?: string): string[] {
  return parseErrorFindings(parseDockerfile(text, { target }).problems, 'Dockerfile').map(
    (finding) => `${finding.line}: ${finding.message}`
  )
}

describe('parse-error', () => {
  it.each<[string, string, string | undefined, string[]]>([
    [
      'a valid file',
      lines('# syntax=docker/dockerfile:1', 'ARG BASE=python:3.12-slim-bookworm', 'FROM ${BASE} AS app', 'RUN true'),
      undefined,
      []
    ],
    ['an empty file', '', undefined, ['0: The Dockerfile has no FROM instruction, so it has no build stage.']],
    [
      'no FROM',
      lines('ARG A=1', 'RUN true'),
      undefined,
      ['2: `RUN` comes before the first FROM.', '0: The Dockerfile has no FROM instruction, so it has no build stage.']
    ],
    [
      'an instruction before FROM',
      lines('# comment', 'ENV A=1', 'FROM python:3.12-slim-bookworm'),
      undefined,
      ['2: `ENV` comes before the first FROM.']
    ],
    [
      'an unknown instruction',
      lines('FROM python:3.12-slim-bookworm', 'RUN true', 'RUNN pip install numpy'),
      undefined,
      ['3: Unknown instruction `RUNN`.']
    ],
    ['a lower-case keyword', lines('from python:3.12-slim-bookworm', 'run true'), undefined, []],
    [
      'FROM with no image',
      lines('FROM python:3.12-slim-bookworm AS a', 'FROM', 'RUN true'),
      undefined,
      ['2: FROM names no base image.']
    ],
    [
      'FROM with stray words',
      lines('FROM python:3.12-slim-bookworm app'),
      undefined,
      ['1: FROM takes an image and an optional `AS name`, not `python:3.12-slim-bookworm app`.']
    ],
    [
      'an invalid stage name',
      lines('FROM python:3.12-slim-bookworm AS 1st'),
      undefined,
      ['1: `1st` is not a valid stage name.']
    ],
    [
      'an invalid image reference',
      lines('FROM Python:3.12'),
      undefined,
      ['1: `Python:3.12` is neither a stage nor a valid image reference.']
    ],
    [
      'an unknown target',
      lines('FROM python:3.12 AS build', 'FROM python:3.12-slim-bookworm AS runtime'),
      'test',
      ['0: Target `test` is not a stage of this Dockerfile.']
    ],
    ['a target in another case', lines('FROM python:3.12 AS Build', 'FROM python:3.12-slim-bookworm'), 'BUILD', []],
    [
      'an unknown instruction in an escape-directive file',
      lines(
        '# escape=`',
        'FROM mcr.microsoft.com/windows/servercore:ltsc2022',
        'RUN echo a `',
        '  && echo b',
        'CP a b'
      ),
      undefined,
      ['5: Unknown instruction `CP`.']
    ]
  ])('%s', (_title, text, target, expected) => {
    expect(problems(text, target)).toEqual(expected)
  })

  it('makes error findings with a fix', () => {
    const [finding] = parseErrorFindings(
      parseDockerfile(lines('FROM python:3.12 AS build'), { target: 'test' }).problems,
      'svc/Dockerfile'
    )
    expect(finding).toEqual({
      rule: 'parse-error',
      severity: 'error',
      file: 'svc/Dockerfile',
      line: 0,
      message: 'Target `test` is not a stage of this Dockerfile.',
      fix: 'Set target to one of `build`, or leave it unset to build the last stage.',
      evidence: 'static'
    })
  })
})
