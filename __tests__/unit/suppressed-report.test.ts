import { createRequire } from 'node:module'
import { describe, expect, it } from '@jest/globals'
import AjvDraft04 from 'ajv-draft-04'
import addFormatsModule from 'ajv-formats'
import { compareReports } from '../../src/compare/index.js'
import { renderComment } from '../../src/report/comment.js'
import { renderReportMarkdown, summaryLine } from '../../src/report/index.js'
import { renderSarif } from '../../src/report/sarif.js'
import { renderComparisonText, renderText } from '../../src/report/text.js'
import { elements, links, renderGfm, textOutsideCode, visibleText } from '../support/gfm.js'
import { build, builtVariant, finding, policy, report } from '../support/reports.js'
import type { Finding, Report } from '../../src/types.js'

const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object

const UNTRUSTED_REASON = 'ask @octocat, see https://example.com <img src=x> **now**'
const tag = finding({ line: 2 })
const byComment = finding({ line: 5, suppressed: { by: 'comment', reason: UNTRUSTED_REASON } })
const byConfig = finding({
  rule: 'conda-in-production',
  severity: 'error',
  line: 1,
  message: 'conda in production',
  evidence: 'image',
  suppressed: { by: 'config' }
})

function side(findings: Finding[]): Report {
  return report([{ ...builtVariant('torch', { findings }), dockerfile: 'Dockerfile', context: '.', build: build([1]) }])
}

const head = side([tag, byComment, byConfig])

describe('suppressed findings in SARIF', () => {
  it('carry a suppression: in source for a comment, external for the config, with the reason or how', () => {
    const results = renderSarif(head, { version: '0.1.0' }).runs[0].results!
    expect(results.map((result) => result.suppressions)).toEqual([
      undefined,
      [{ kind: 'inSource', justification: UNTRUSTED_REASON }],
      [{ kind: 'external', justification: "The variant's `ignore` list in the slimcheck config accepts it." }]
    ])
  })

  it('are valid SARIF 2.1.0, and say nothing of a baseline state they do not count for', () => {
    const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
    addFormatsModule.default(ajv)
    const validate = ajv.compile(schema)
    const comparison = compareReports(side([]), head, { source: 'build' }, policy())
    const log = renderSarif(head, { version: '0.1.0', comparison })
    expect(validate(log) ? [] : validate.errors).toEqual([])
    expect(log.runs[0].results!.map((result) => result.baselineState)).toEqual(['new', undefined, undefined])
  })
})

describe('suppressed findings in the comment', () => {
  const comment = renderComment(side([]), side([]), compareReports(side([]), head, { source: 'build' }, policy()), {
    key: 'ci',
    baseLabel: 'main'
  })
  const html = renderGfm(comment.replace(/^<!--.*-->$/m, ''))

  it('are folded under one line with what suppressed them, apart from the new findings', () => {
    expect(comment).toContain('<details><summary>2 findings suppressed</summary>')
    const folded = visibleText(html.slice(html.indexOf('2 findings suppressed')))
    expect(folded).toContain("Suppressed by the variant's ignore list")
    expect(folded).toContain('Suppressed by a # slimcheck ignore comment: ask')
    const fresh = html.slice(html.indexOf('New findings'), html.indexOf('2 findings suppressed'))
    expect(visibleText(fresh)).not.toContain('conda in production')
  })

  it('show an untrusted reason as text: no mention, link or markup', () => {
    expect(textOutsideCode(html)).not.toContain('@octocat')
    // The footnote's link to the methods is slimcheck's own; the reason makes none.
    expect(links(html).filter((link) => !link.startsWith('https://github.com/slimcheck/slimcheck#'))).toEqual([])
    expect(elements(html).has('img')).toBe(false)
    expect(visibleText(html)).toContain('**now**')
  })
})

describe('suppressed findings without a baseline', () => {
  it('are counted apart in the summary and folded in the report', () => {
    expect(summaryLine(head)).toBe('1 variant (1 built); 1 warning, 2 suppressed')
    const markdown = renderReportMarkdown(head)
    expect(markdown).toContain('<details><summary>2 findings suppressed</summary>')
    expect(markdown.slice(markdown.indexOf('### Findings'), markdown.indexOf('<details>'))).not.toContain(':5')
  })

  it('are listed apart in the terminal text, with what suppressed them', () => {
    const text = renderText(head)
    expect(text).toContain(
      [
        'Suppressed (2):',
        '  Dockerfile:1 error conda-in-production [torch] conda in production',
        "    suppressed by the variant's `ignore` list",
        '  Dockerfile:5 warning shared-tag [torch] `python:3.12` uses a shared tag',
        `    suppressed by a \`# slimcheck ignore\` comment: ${UNTRUSTED_REASON}`
      ].join('\n')
    )
    expect(text.slice(text.indexOf('Findings:'), text.indexOf('Suppressed'))).not.toContain('Dockerfile:5')
  })

  it('are listed apart in the comparison text', () => {
    const comparison = compareReports(side([]), head, { source: 'build' }, policy())
    const text = renderComparisonText(head, side([]), comparison, 'main')
    expect(text).toContain('Suppressed (2):')
    expect(text.slice(text.indexOf('New findings:'), text.indexOf('Suppressed'))).not.toContain('Dockerfile:5')
  })
})
