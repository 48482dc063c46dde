/**
 * Every comment fixture rendered by cmark-gfm, GitHub's Markdown library, as GitHub renders comments: what a reader
 * sees must show names, paths, messages and logs verbatim, with no visible backslash escape, no link, element or
 * mention that the text did not ask for, and no invisible character inside code.
 */
import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { renderComment, type CommentContext } from '../../src/report/comment.js'
import { compareReports } from '../../src/compare/index.js'
import { parseFailOn, parseSizeBudgets } from '../../src/config.js'
import { renderReportMarkdown } from '../../src/report/index.js'
import type { BaselineInfo, Finding, Report, VariantReport } from '../../src/types.js'
import { elements, links, renderGfm, textOutsideCode, visibleEscapes, visibleText } from '../support/gfm.js'
import { build, finding, image, policy, report } from '../support/reports.js'
import { demoScenario, SCENARIOS, type Scenario } from '../support/scenarios.js'

const MB = 1_000_000
/** Our own markup; anything else in the HTML came from text that was not escaped. */
const OUR_ELEMENTS = new Set([
  'p',
  'a',
  'code',
  'pre',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'details',
  'summary',
  'span',
  'sub',
  'br',
  'strong',
  'ul',
  'li',
  'h2',
  'h3',
  'blockquote'
])
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/

const HOSTILE_NAMES = [
  'api-server',
  'worker_v2',
  'a|b',
  '</details><img src=x onerror=alert(1)>',
  '@octocat',
  '[x](javascript:alert(1))',
  '*bold* _it_ ~~s~~ $x$',
  '<!-- hidden -->#12',
  'C:\\build\\x'
]
const HOSTILE_LOG = [
  '#5 [2/3] RUN /bin/sh -c for i in $(seq 1 60); do curl -fsS https://registry-1.docker.io/v2/ && break; sleep 1; done',
  '#5 pulling base@sha256:4f6a5a9fb3b7ee8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c',
  '#5 installing pkg@1.2.3 for @octocat/team www.example.com',
  '</pre><script>alert(1)</script> </details> | a | b |',
  '::error::from the log ##[add-mask]x',
  '```',
  ''
]

function hostileVariant(name: string, index: number, size: number, findings: Finding[]): VariantReport {
  return {
    name,
    dockerfile: `docker/${name}/Dockerfile`,
    context: '.',
    buildArgNames: [],
    status: 'built',
    findings,
    image: image(size, [
      { sizeBytes: size - 1_000, createdBy: 'ADD rootfs /' },
      { sizeBytes: 1_000, createdBy: 'RUN', instruction: { line: 3, text: `RUN echo ${name} > /n${index}` } }
    ]),
    build: build([10 + index])
  }
}

function hostileFinding(name: string, index: number): Finding {
  return finding({
    file: `docker/${name}/Dockerfile`,
    line: index + 1,
    message: `FROM \`${name}:latest\` in ${name} (see ${HOSTILE_LOG[index % 3].slice(3, 60)})`,
    fix: `Pin \`${name}@sha256:abc\`; ask @${name.replace(/\W/g, '')} or see #${index + 1}`
  })
}

/** Names, messages and logs that today's Markdown escaping would show broken, linked or mentioning. */
function hostileScenario(): Scenario {
  const base = report(
    HOSTILE_NAMES.map((name, index) =>
      hostileVariant(name, index, (10 + index) * MB, [hostileFinding(name, index + 20)])
    )
  )
  const head = report([
    ...HOSTILE_NAMES.map((name, index) =>
      hostileVariant(name, index, (12 + index * 2) * MB, [
        hostileFinding(name, index),
        hostileFinding(name, index + 20)
      ])
    ),
    {
      name: 'broken @here',
      dockerfile: 'docker/broken/Dockerfile',
      context: '.',
      buildArgNames: [],
      status: 'failed',
      findings: [],
      failure: {
        message:
          'process "/bin/sh -c for i in $(seq 1 60); do curl https://registry-1.docker.io/v2/; done" did not complete successfully: exit code: 7',
        logTail: HOSTILE_LOG,
        kind: 'build'
      }
    }
  ])
  const baseline: BaselineInfo = {
    source: 'artifact',
    commit: 'c'.repeat(40),
    runId: 9,
    runUrl: 'https://github.com/octo/shop/actions/runs/9',
    note: 'stored by @admin <b>stale</b>, see https://example.com'
  }
  return {
    name: 'hostile',
    base,
    head,
    comparison: compareReports(
      base,
      head,
      baseline,
      policy({ failOn: parseFailOn('warning'), maxSize: parseSizeBudgets('1B') })
    ),
    context: {
      key: 'ci --> <img>',
      baseLabel: 'main@{1}',
      blobBase: 'https://github.com/octo/shop/blob/0123abcd',
      summaryUrl: 'https://github.com/octo/shop/actions/runs/42'
    }
  }
}

/** The README's methods, which the footnote links to. */
const README_METHODS = 'https://github.com/slimcheck/slimcheck#'

function allowedLinks(scenario: Scenario): string[] {
  return [
    scenario.context.blobBase,
    scenario.context.summaryUrl,
    scenario.comparison.baseline.runUrl,
    README_METHODS
  ].filter((url): url is string => !!url)
}

/** The strings a reader must find as they are. */
function verbatim(head: Report, base: Report): string[] {
  const reports = [head, base]
  return [
    ...reports.flatMap((side) => side.variants.map((variant) => variant.name)),
    ...reports.flatMap((side) =>
      side.variants.flatMap((variant) =>
        variant.findings.flatMap((item) => [item.file, item.message.replace(/`/g, ''), item.fix.replace(/`/g, '')])
      )
    ),
    ...head.variants.flatMap((variant) => [
      ...(variant.failure?.logTail ?? []),
      ...(variant.failure?.message.split('\n') ?? [])
    ])
  ].filter((text) => text.trim())
}

function expectRenderedSafely(markdown: string, allowed: string[]): string {
  const html = renderGfm(markdown)
  const foreign = [...elements(html)].filter((element) => !OUR_ELEMENTS.has(element))
  expect(foreign).toEqual([])
  for (const href of links(html)) expect(allowed.some((prefix) => href.startsWith(prefix))).toBe(true)
  expect(textOutsideCode(html)).not.toMatch(/@[A-Za-z0-9_-]/)
  expect(textOutsideCode(html)).not.toMatch(/(^|\s)#\d/)
  const text = visibleText(html)
  expect(visibleEscapes(text)).toEqual([])
  const code = [...html.matchAll(/<(code|pre)[^>]*>([\s\S]*?)<\/\1>/g)].map((match) => match[2])
  expect(code.filter((text) => INVISIBLE.test(text))).toEqual([])
  return text
}

const scenarios = [...SCENARIOS.map((make) => make()), hostileScenario()]

describe.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
  'the %s comment, rendered by cmark-gfm',
  (_, scenario) => {
    const { head, base, comparison, context } = scenario
    const full = renderComment(head, base, comparison, context, Infinity)

    it('shows every name, path, message and log line verbatim, with no escape, link, element or mention of its own', () => {
      const text = expectRenderedSafely(full, allowedLinks(scenario))
      const missing = verbatim(head, base).filter((item) => !text.includes(item))
      expect(missing).toEqual([])
    })

    it('stays so when shortened to fit, as comment and job summary', () => {
      for (const limit of [65_536, 8_000, 3_000])
        expectRenderedSafely(renderComment(head, base, comparison, context, limit), allowedLinks(scenario))
    })

    it('renders without a baseline too', () => {
      const alone = compareReports(
        undefined,
        head,
        { source: 'none', note: 'push to main' },
        policy({ failOn: parseFailOn('warning') })
      )
      const text = expectRenderedSafely(renderComment(head, undefined, alone, context), allowedLinks(scenario))
      for (const name of head.variants.map((variant) => variant.name)) expect(text).toContain(name)
      expectRenderedSafely(renderReportMarkdown(head, context.blobBase), allowedLinks(scenario))
    })
  }
)

describe('the hostile names in GitHub’s renderer', () => {
  const scenario = hostileScenario()
  const html = renderGfm(renderComment(scenario.head, scenario.base, scenario.comparison, scenario.context, Infinity))

  it('shows names in summaries, paragraphs and table cells as they are', () => {
    const summaries = [...html.matchAll(/<summary>([\s\S]*?)<\/summary>/g)].map((match) => visibleText(match[1]))
    expect(summaries).toContain('broken @here (in the PR): build log, 8 lines')
    const paragraphs = [...html.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((match) => visibleText(match[1]))
    for (const name of HOSTILE_NAMES) expect(paragraphs).toContain(`${name}: 2 → 2 layers`)
    const cells = [...html.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((match) => visibleText(match[1]))
    for (const name of HOSTILE_NAMES) expect(cells).toContain(`❌ ${name}`)
  })

  it('keeps log lines, URLs and digests in the log unlinked and intact', () => {
    const pre = [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((match) => visibleText(match[1])).join('\n')
    for (const line of HOSTILE_LOG.filter(Boolean)) expect(pre).toContain(line)
    expect(links(html).filter((href) => href.includes('registry-1'))).toEqual([])
  })
})

describe('these checks catch what today’s escaping did', () => {
  const allowed = ['https://github.com/octo/shop/']
  it.each([
    ['a backslash in an HTML block', '<details><summary>api\\-server: 3 → 3 layers</summary>\n\n</details>\n'],
    [
      'a backslash in an escaped log summary',
      '<details><summary>\\[/bin/sh \\-c for i in \\$\\(seq 1 60\\)</summary>\n\n</details>\n'
    ],
    ['an autolink keeping its escapes', '- log: https://registry\\-1.docker.io/v2/\n'],
    ['an invisible character in a digest', '<pre>base@\u200bsha256:4f6a</pre>\n'],
    ['a mention in a summary', '<details><summary>@octocat</summary>\n\n</details>\n'],
    ['an image from a name', '| <img src=x> |\n| --- |\n']
  ])('%s', (_, markdown) => {
    expect(() => expectRenderedSafely(markdown, allowed)).toThrow()
  })
})

describe('the demo comment in docs/', () => {
  const stored = fs.readFileSync('docs/demo-comment.md', 'utf8')

  it('renders safely, as its screenshot shows it', () => {
    const text = expectRenderedSafely(stored, ['https://github.com/'])
    for (const name of ['conda', 'full', 'multistage', 'slim']) expect(text).toContain(name)
  })

  it('has the layout the renderer makes now (npm run demo -- --update-docs rewrites it)', () => {
    // Headings, table headers and collapsed sections, with numbers aside: what a change to the renderer moves. Some of
    // it varies from one demo run to the next: which steps got slower, and whether conda builds at all (from the test
    // registries' stand-ins of its bases; without them its bases cannot be pulled, so its build logs show).
    const layout = (markdown: string): string[] =>
      markdown
        .split('\n')
        .filter((line) => /^(#{1,6} |\| Variant |<details><summary>)/.test(line))
        .filter((line) => line !== '### Slower build steps' && line !== '### Failed builds')
        .filter((line) => !/^<details><summary><code>[^<]+<\/code> \(.*\): build log/.test(line))
        .map((line) => line.replace(/\d+/g, 'N'))
    const { head, base, comparison, context } = demoScenario()
    const fresh = renderComment(head, base, comparison, { key: context.key, baseLabel: context.baseLabel })
    expect(layout(stored)).toEqual(layout(fresh))
  })
})

describe('a comment context from the workflow', () => {
  it('keeps a hostile base label and key from making markup', () => {
    const context: CommentContext = { key: 'ci --> <img>', baseLabel: '<b>@main</b>' }
    const head = report([hostileVariant('a', 0, 2 * MB, [])])
    const base = report([hostileVariant('a', 0, MB, [])])
    const markdown = renderComment(head, base, compareReports(base, head, { source: 'build' }, policy()), context)
    expect(visibleText(renderGfm(markdown))).toContain('<b>@main</b> → PR')
    expectRenderedSafely(markdown, [README_METHODS])
  })
})
