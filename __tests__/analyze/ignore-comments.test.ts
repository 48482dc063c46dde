import { describe, expect, it } from '@jest/globals'
import { analyzeDockerfile, type AnalyzeInput } from '../../src/analyze/index.js'
import { parseDockerfile } from '../../src/analyze/dockerfile.js'
import { suppress } from '../../src/analyze/suppress.js'
import type { Finding } from '../../src/types.js'

function lines(...text: string[]): string {
  return text.join('\n') + '\n'
}

function analyze(text: string, input: Partial<AnalyzeInput> = {}) {
  return analyzeDockerfile({ text, file: 'Dockerfile', buildArgs: {}, allowedCondaImages: [], ...input })
}

/** `line rule` of each finding, with how it was suppressed. */
function summary(findings: Finding[]): string[] {
  return findings.map(({ line, rule, severity, suppressed }) =>
    [
      line,
      rule,
      severity,
      suppressed ? `suppressed by ${suppressed.by}${suppressed.reason ? `: ${suppressed.reason}` : ''}` : ''
    ]
      .join(' ')
      .trim()
  )
}

describe('# slimcheck ignore= comments', () => {
  it('suppress the named rules on the instruction directly below, keeping the finding and its reason', () => {
    const { findings } = analyze(
      lines(
        '# slimcheck ignore=shared-tag -- the base is pinned by digest in CI',
        'FROM python:3.12 AS build',
        'FROM python:3.12'
      )
    )
    expect(summary(findings)).toEqual([
      '2 shared-tag warning suppressed by comment: the base is pinned by digest in CI',
      '3 shared-tag warning'
    ])
  })

  it('name several rules, with spaces after commas and in any case, and leave other rules on the line counted', () => {
    const text = lines(
      'FROM python:3.12',
      '# slimcheck ignore=Shared-Tag , floating-tag',
      'FROM python:3.12',
      'FROM ghcr.io/acme/app'
    )
    expect(summary(analyze(text).findings)).toEqual([
      '1 shared-tag warning',
      '3 shared-tag warning suppressed by comment',
      '4 floating-tag warning'
    ])
  })

  it('count among the comment lines directly above the instruction, but not across a blank line', () => {
    const text = lines(
      '# slimcheck ignore=shared-tag',
      '# the image the PyTorch wheels are built for',
      'FROM python:3.12 AS build',
      '# slimcheck ignore=shared-tag',
      '',
      'FROM python:3.12'
    )
    expect(summary(analyze(text).findings)).toEqual([
      '3 shared-tag warning suppressed by comment',
      '4 parse-error warning',
      '6 shared-tag warning'
    ])
    expect(analyze(text).findings[1].message).toBe(
      '`# slimcheck ignore=shared-tag` is not directly above an instruction, so it suppresses nothing.'
    )
  })

  it('cover every line of the instruction: its continuation lines and its heredoc body', () => {
    const model = parseDockerfile(
      lines(
        'FROM debian:bookworm-slim',
        '# slimcheck ignore=conda-in-production',
        'RUN apt-get update && \\',
        '    apt-get install -y curl',
        '# slimcheck ignore=conda-in-production',
        'RUN <<EOF',
        '# slimcheck ignore=shared-tag',
        'echo',
        'EOF',
        'CMD ["sh"]'
      )
    )
    expect(model.ignoreComments).toEqual([
      { line: 2, text: 'ignore=conda-in-production', instruction: { first: 3, last: 4 } },
      { line: 5, text: 'ignore=conda-in-production', instruction: { first: 6, last: 9 } }
    ])
  })

  it('suppress only a finding of a named rule within the lines of its instruction', () => {
    const comments = [{ rules: ['conda-in-production' as const], first: 3, last: 4 }]
    const conda = (line: number): Finding => ({
      rule: 'conda-in-production',
      severity: 'error',
      file: 'Dockerfile',
      line,
      message: 'conda',
      fix: 'drop it',
      evidence: 'static'
    })
    expect([2, 3, 4, 5].map((line) => suppress(conda(line), { comments, ignore: [] }).suppressed)).toEqual([
      undefined,
      { by: 'comment' },
      { by: 'comment' },
      undefined
    ])
    expect(suppress({ ...conda(3), rule: 'shared-tag' }, { comments, ignore: [] })).not.toHaveProperty('suppressed')
  })

  it('are read on the first line of the file too, where parser directives would be', () => {
    expect(summary(analyze(lines('# slimcheck ignore=shared-tag', 'FROM python:3.12')).findings)).toEqual([
      '2 shared-tag warning suppressed by comment'
    ])
  })

  it.each([
    [
      'a rule slimcheck does not have, the known one still suppressed',
      '# slimcheck ignore=floating-tags,floating-tag',
      '`# slimcheck ignore=floating-tags,floating-tag` names `floating-tags`, which slimcheck cannot suppress: it suppresses nothing.',
      'conda-in-production, shared-tag, floating-tag',
      true
    ],
    [
      'parse-error, which stops the build',
      '# slimcheck ignore=parse-error',
      '`# slimcheck ignore=parse-error` names `parse-error`, which slimcheck cannot suppress: it suppresses nothing.',
      'a parse-error stops the build',
      false
    ],
    [
      'a misspelt keyword',
      '# slimcheck ignroe=floating-tag',
      '`# slimcheck ignroe=floating-tag` is not a comment slimcheck reads, so it suppresses nothing.',
      'Write `# slimcheck ignore=RULE[,RULE]`',
      false
    ],
    [
      'no rule at all',
      '# slimcheck ignore=',
      '`# slimcheck ignore=` is not a comment slimcheck reads, so it suppresses nothing.',
      'Write `# slimcheck ignore=RULE[,RULE]`',
      false
    ]
  ])('report %s as a warning at the comment', (_, comment, message, fix, suppressesFloating) => {
    const { findings } = analyze(lines('FROM debian:bookworm-slim', comment, 'FROM ghcr.io/acme/web AS web'))
    expect(findings.find((finding) => finding.rule === 'parse-error')).toMatchObject({
      severity: 'warning',
      file: 'Dockerfile',
      line: 2,
      message,
      fix: expect.stringContaining(fix)
    })
    const floating = findings.find((finding) => finding.rule === 'floating-tag')
    expect(floating?.suppressed).toEqual(suppressesFloating ? { by: 'comment' } : undefined)
  })

  it('read a comment inside a continued instruction as above no instruction', () => {
    const text = lines('FROM debian:bookworm-slim', 'RUN true && \\', '# slimcheck ignore=shared-tag', '    true')
    expect(summary(analyze(text).findings)).toEqual(['3 parse-error warning'])
  })

  it('leave prose that mentions slimcheck alone', () => {
    expect(analyze(lines('# slimcheck measures this image', 'FROM debian:bookworm-slim')).findings).toEqual([])
  })
})

describe('the ignore list of a variant', () => {
  it('suppresses its rules everywhere with the reason, a comment on the line taking precedence', () => {
    const text = lines('FROM python:3.12 AS build', '# slimcheck ignore=shared-tag', 'FROM python:3.12')
    const { findings } = analyze(text, { ignore: [{ rule: 'shared-tag', reason: 'pinned in CI' }] })
    expect(summary(findings)).toEqual([
      '1 shared-tag warning suppressed by config: pinned in CI',
      '3 shared-tag warning suppressed by comment'
    ])
  })

  it('keeps the suppressions for what the built image adds', () => {
    const text = lines('# slimcheck ignore=conda-in-production the PyTorch image', 'FROM continuumio/miniconda3')
    expect(analyze(text).suppressions).toEqual([
      { rules: ['conda-in-production'], reason: 'the PyTorch image', first: 2, last: 2 }
    ])
  })
})
