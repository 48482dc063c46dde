import { describe, expect, it } from '@jest/globals'
import {
  COMMENT_LIMIT,
  commentMarker,
  renderComment,
  sizeChart,
  sizeDeltaText,
  timeText,
  verdict,
  type CommentContext
} from '../../src/comment.js'
import { compareReports, compareVariant, delta, timeDelta } from '../../src/compare.js'
import { parseFailOn, parseSizeBudgets, type Policy } from '../../src/config.js'
import { escapeMarkdown } from '../../src/markdown.js'
import { finding, policy, report } from '../support/reports.js'
import type { BaselineInfo, Comparison, Finding, Report, VariantReport, VariantStatus } from '../../src/types.js'

const MB = 1_000_000
const BLOB = 'https://github.com/octo/app/blob/0123abcd/services'
const SUMMARY = 'https://github.com/octo/app/actions/runs/42'
const CONTEXT: CommentContext = { key: 'ci/images', baseLabel: 'main', blobBase: BLOB, summaryUrl: SUMMARY }
const BASELINE: BaselineInfo = { source: 'build', commit: 'b'.repeat(40) }
const ARTIFACT: BaselineInfo = {
  source: 'artifact',
  commit: 'c'.repeat(40),
  runId: 9,
  runUrl: 'https://github.com/octo/app/actions/runs/9',
  note: '@admin <b>stale</b>'
}
const HOSTILE = [
  '</details><img src=x onerror=alert(1)>',
  '@octocat',
  '| pipe |',
  '</pre><script>alert(1)</script>',
  '[x](javascript:alert(1))',
  '"quoted" `tick` ; %% ]'
]

interface VariantOptions {
  status?: VariantStatus
  size?: number
  samples?: number[]
  findings?: Finding[]
  logTail?: string[]
  layers?: Array<[number, string?]>
}

function variant(name: string, options: VariantOptions = {}): VariantReport {
  const status = options.status ?? 'built'
  const size = options.size ?? 100 * MB
  const samples = options.samples ?? [10]
  const layers = (options.layers ?? [[size]]).map(([sizeBytes, text], index) => ({
    sizeBytes,
    createdBy: text ?? 'ADD rootfs /',
    ...(text ? { instruction: { line: index + 2, text } } : {})
  }))
  return {
    name,
    dockerfile: `${name.replace(/[^a-z]/g, '')}/Dockerfile`,
    context: '.',
    buildArgNames: [],
    status,
    findings: options.findings ?? [],
    ...(status === 'built'
      ? {
          image: {
            id: `sha256:${name.length}`,
            sizeBytes: size,
            sizeSource: 'Size from the engine',
            store: 'overlay2' as const,
            platform: 'linux/amd64',
            layers
          },
          build: {
            seconds: [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)],
            samples,
            cache: 'cold' as const,
            method: 'wall clock'
          }
        }
      : {}),
    ...(status === 'failed'
      ? {
          failure: {
            message: 'build failed: exit code 7',
            logTail: options.logTail ?? ['RUN make', 'make: *** error 7']
          }
        }
      : {})
  }
}

interface Rendered {
  head: Report
  base?: Report
  comparison: Comparison
  body: string
}

function render(
  head: Report,
  base: Report | undefined,
  options: { policy?: Policy; limit?: number; context?: CommentContext; baseline?: BaselineInfo } = {}
): Rendered {
  const comparison = compareReports(base, head, options.baseline ?? BASELINE, options.policy ?? policy())
  return {
    head,
    base,
    comparison,
    body: renderComment(head, base, comparison, options.context ?? CONTEXT, options.limit)
  }
}

/** A pull request that grows one variant, keeps one, adds, removes and breaks one each. */
function pullRequest(options: { policy?: Policy; limit?: number } = {}): Rendered {
  const base = report([
    variant('app', {
      size: 100 * MB,
      findings: [finding({ file: 'app/Dockerfile', line: 3, message: 'old problem' })],
      layers: [[90 * MB], [10 * MB, 'RUN pip install -r requirements.txt']]
    }),
    variant('stable', { size: 50 * MB, findings: [finding({ file: 'stable/Dockerfile', message: 'kept' })] }),
    variant('old', { size: 30 * MB }),
    variant('fragile', { size: 40 * MB })
  ])
  const head = report([
    variant('app', {
      size: 123_456_789,
      findings: [
        finding({
          rule: 'conda-in-production',
          severity: 'error',
          file: 'app/Dockerfile',
          line: 7,
          message: 'RUN `conda install numpy` ships conda'
        })
      ],
      layers: [[90 * MB], [33_456_789, 'RUN pip install -r requirements.txt']]
    }),
    variant('stable', { size: 50 * MB, findings: [finding({ file: 'stable/Dockerfile', line: 2, message: 'kept' })] }),
    variant('new', { size: 20 * MB }),
    variant('fragile', { status: 'failed' })
  ])
  return render(head, base, options)
}

function lines(body: string): string[] {
  return body.split('\n')
}

function count(body: string, text: string): number {
  return body.split(text).length - 1
}

/** Cells of a Markdown table row, split at pipes that are not escaped. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1)
}

/** Each run of table lines, as cell counts: every row has as many cells as its header. */
function tableShapes(body: string): number[][] {
  const shapes: number[][] = []
  let previous = ''
  for (const line of lines(body)) {
    if (line.startsWith('| ')) {
      if (!previous.startsWith('| ')) shapes.push([])
      shapes[shapes.length - 1].push(cells(line).length)
    }
    previous = line
  }
  return shapes
}

/** Every tag in the body is one that slimcheck writes itself. */
function foreignTags(body: string): string[] {
  const ours =
    /^<(\/?(details|summary|pre|sub|code|br)|span title="\d+ bytes"|\/span|!-- slimcheck:comment [^<>]* --)>$/
  return (body.match(/<[^>]*>/g) ?? []).filter((tag) => !ours.test(tag))
}

function expectSafe(body: string): void {
  expect(foreignTags(body)).toEqual([])
  expect(body).not.toMatch(/@[A-Za-z0-9]/)
  expect(count(body, '<details>')).toBe(count(body, '</details>'))
  expect(count(body, '<pre>')).toBe(count(body, '</pre>'))
  expect(count(body, '<summary>')).toBe(count(body, '</summary>'))
  for (const shape of tableShapes(body)) expect(new Set(shape).size).toBe(1)
}

describe('commentMarker', () => {
  it.each([
    ['ci/images', '<!-- slimcheck:comment ci/images -->'],
    ['build --> <b>x</b>', '<!-- slimcheck:comment build - bx/b -->'],
    ['a---b', '<!-- slimcheck:comment a-b -->']
  ])('%p → %p', (key, marker) => {
    expect(commentMarker(key)).toBe(marker)
  })
})

describe('table cells', () => {
  it.each([
    [delta(100 * MB, 123_456_789), '+23.5 MB (+23.5%) 🔺'],
    [delta(100 * MB, 90 * MB), '-10.0 MB (-10.0%) 🔻'],
    [delta(0, 5 * MB), '+5.00 MB 🔺'],
    [delta(7, 7), '0 B']
  ])('size change %p → %p', (size, text) => {
    expect(sizeDeltaText(size)).toBe(text)
  })

  it.each([
    ['one run a side', [10], [30], '10.0 s → 30.0 s (spread unknown: 1 run a side)'],
    ['noise', [10, 11, 15], [12, 13, 14], '11.0 s → 13.0 s ≈ (within 10.0–15.0 vs 12.0–14.0 s)'],
    ['a real change', [10, 10, 11], [20, 20, 21], '10.0 s → 20.0 s (+100%)'],
    ['a real speed-up', [100, 100, 101], [50, 50, 51], '1 min 40 s → 50.0 s (-50%)']
  ])('build time, %s', (_, before, after, text) => {
    expect(timeText(timeDelta(before, after, before[1] ?? before[0], after[1] ?? after[0]))).toBe(text)
  })
})

describe('verdict', () => {
  it.each([
    [
      'a failed build',
      policy(),
      '**slimcheck**: ❌ policy failed (1 violation): total image size +23.5 MB (150 MB → 173 MB), 4 of 5 variants changed.'
    ],
    [
      'a failed build and a budget',
      policy({ maxSize: parseSizeBudgets('app=100MB') }),
      '**slimcheck**: ❌ policy failed (2 violations): total image size +23.5 MB (150 MB → 173 MB), 4 of 5 variants changed.'
    ]
  ])('growth with %s', (_, limits, text) => {
    const { comparison, head } = pullRequest({ policy: limits })
    expect(verdict(comparison, head)).toBe(text)
  })

  it('says when the total size did not change, and without a baseline how many variants were built', () => {
    const same = render(report([variant('a')]), report([variant('a')]))
    expect(verdict(same.comparison, same.head)).toBe(
      '**slimcheck**: ✅ policy passed: total image size unchanged at 100 MB, 0 of 1 variants changed.'
    )
    const alone = render(report([variant('a'), variant('b', { status: 'failed' })]), undefined)
    expect(verdict(alone.comparison, alone.head)).toBe(
      '**slimcheck**: ❌ policy failed (1 violation): 1 of 2 variants built.'
    )
  })
})

describe('renderComment', () => {
  const { body, comparison, head } = pullRequest()

  it('starts with the hidden marker, then the one-line verdict', () => {
    expect(lines(body)[0]).toBe(commentMarker(CONTEXT.key))
    expect(lines(body)[1]).toBe('')
    expect(lines(body)[2]).toBe(verdict(comparison, head))
  })

  it('lists changed, added, removed and failed variants first, and collapses the unchanged ones', () => {
    const rows = lines(body).filter((line) => line.startsWith('| '))
    expect(rows[0]).toBe('| Variant | Size (main → PR) | Δ | Build time (main → PR) | Findings |')
    const named = (name: string): string => rows.find((row) => row.startsWith(`| ${name} |`)) ?? ''
    expect(named('app')).toContain('+23.5 MB (+23.5%) 🔺')
    expect(named('app')).toContain('🔴 1 new · ✅ 1 fixed')
    expect(named('new')).toMatch(/\| — → <span title="20000000 bytes">20.0 MB<\/span> \| 🆕 added \|/)
    expect(named('old')).toMatch(/\| <span title="30000000 bytes">30.0 MB<\/span> → — \| 🗑️ removed \|/)
    expect(named('fragile')).toMatch(
      /\| <span title="40000000 bytes">40.0 MB<\/span> → ❌ failed \| head build failed \|/
    )
    const details = body.indexOf('<details><summary>1 unchanged variant</summary>')
    expect(details).toBeGreaterThan(0)
    for (const name of ['app', 'new', 'old', 'fragile']) expect(body.indexOf(named(name))).toBeLessThan(details)
    expect(body.indexOf('| stable |')).toBeGreaterThan(details)
    expect(count(body, '| stable |')).toBe(1)
  })

  it('shows exact bytes in title attributes and in a details block', () => {
    expect(body).toContain('<span title="123456789 bytes">123 MB</span>')
    expect(body).toMatch(
      /<details><summary>Exact sizes in bytes<\/summary>[\s\S]*- app: 100000000 → 123456789 bytes \(\+23456789\)/
    )
    expect(body).toContain('- new: 20000000 bytes (PR only)')
    expect(body).toContain('- old: 30000000 bytes (main only)')
  })

  it('links new findings to their line at the head commit, and lists fixed ones without a link', () => {
    expect(body).toContain(`### New findings`)
    expect(body).toContain(
      `[app/Dockerfile:7](${BLOB}/app/Dockerfile#L7): RUN <code>conda install numpy</code> ships conda`
    )
    expect(body).toMatch(/### Fixed findings\n\n- ✅ \*\*shared-tag\*\* \(app\) app\/Dockerfile:3: old problem/)
    expect(body).not.toContain(`${BLOB}/app/Dockerfile#L3`)
  })

  it('names the instructions whose layers changed most', () => {
    expect(body).toMatch(
      /<details><summary>app: 2 → 2 layers \(history entries\); instructions whose layers changed most<\/summary>[\s\S]*\| app\/Dockerfile:3 RUN pip install \\-r requirements.txt \|/
    )
  })

  it('shows the failed build with its log, and the baseline it compared with', () => {
    expect(body).toMatch(
      /### Failed builds\n\n<details><summary>fragile \(PR\): build failed: exit code 7<\/summary>\n\n<pre>RUN make\nmake: \*\*\* error 7<\/pre>/
    )
    expect(body).toContain(`<sub>Baseline: main at ${'b'.repeat(12)}, built on this runner`)
  })

  it('draws a Mermaid bar chart of size per variant, main next to PR', () => {
    const chart = /```mermaid\nxychart-beta\n.*\n {2}x-axis \[(.*)\]\n {2}y-axis "MB"\n {2}bar \[(.*)\]\n```/.exec(body)
    expect(chart).not.toBeNull()
    expect(chart![1]).toBe('"app (main)", "app (PR)", "stable (main)", "stable (PR)"')
    expect(chart![2]).toBe('100.0, 123.5, 50.0, 50.0')
  })

  it('is not shortened when it fits, and writes only safe Markdown', () => {
    expect(renderComment(head, pullRequest().base, comparison, CONTEXT, Infinity)).toBe(body)
    expect(body).not.toContain('Shortened')
    expectSafe(body)
  })

  it('lists policy violations with the variant, the limit and the excess', () => {
    const failing = pullRequest({ policy: policy({ maxSize: parseSizeBudgets('app=100MB') }) }).body
    expect(failing).toContain('### Policy')
    expect(failing).toContain(
      "- ❌ **max\\-size**: app: 123 MB \\(123456789 bytes\\) is over max\\-size 100 MB for 'app' by 23.5 MB \\(23456789 bytes\\)"
    )
    expect(failing).toContain('- ❌ **build**: fragile: build failed: build failed: exit code 7')
  })

  it.each([
    ['the head build failed', 'built', 'failed', 'head build failed'],
    ['the base build failed', 'failed', 'built', 'base build failed'],
    ['both builds failed', 'failed', 'failed', 'base build failed, head build failed'],
    ['the head was not built', 'built', 'skipped', 'head not built']
  ])('says which side has no measurement when %s', (_, baseStatus, headStatus, text) => {
    const rendered = render(
      report([variant('x', { status: headStatus as VariantStatus })]),
      report([variant('x', { status: baseStatus as VariantStatus })])
    )
    expect(lines(rendered.body).find((line) => line.startsWith('| x |'))).toContain(`| ${text} |`)
  })
})

describe('sizeChart', () => {
  const chartOf = (names: string[], baseLabel = 'main'): string[] => {
    const base = report(names.map((name) => variant(name, { size: 10 * MB })))
    const head = report(names.map((name, index) => variant(name, { size: (11 + index) * MB })))
    const comparison = compareReports(base, head, BASELINE, policy())
    const axis = /x-axis \[(.*)\]/.exec(sizeChart(comparison, base, baseLabel))
    return axis ? [...axis[1].matchAll(/"([^"]*)"/g)].map((match) => match[1]) : []
  }

  it.each(HOSTILE.map((name) => [name]))('reduces the label of %p to characters Mermaid cannot misread', (name) => {
    const labels = chartOf([name], 'feat"]; %%{init}%%')
    expect(labels).toHaveLength(2)
    for (const label of labels) expect(label).toMatch(/^[A-Za-z0-9 ._/:+_-]+ \([A-Za-z0-9 ._/:+_-]+\)$/)
  })

  it('keeps the labels of one variant apart however long its name, and numbers names that clean up alike', () => {
    const labels = chartOf(['a'.repeat(80), 'x<y', 'x>y'])
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels).toContain(`${'a'.repeat(30)} (main)`)
    expect(labels).toContain(`${'a'.repeat(30)} (PR)`)
    expect(labels).toEqual(expect.arrayContaining(['x_y (main)', 'x_y 2 (PR)']))
  })

  it('shows the twelve largest changes', () => {
    const names = Array.from({ length: 20 }, (_, index) => `v${index}`)
    expect(chartOf(names)).toHaveLength(24)
    expect(chartOf(names)[0]).toBe('v19 (main)')
  })

  it('is empty without a baseline or without a variant built on both sides', () => {
    const head = report([variant('a')])
    expect(sizeChart(compareReports(undefined, head, BASELINE, policy()), undefined, 'main')).toBe('')
    const base = report([variant('b')])
    expect(sizeChart(compareReports(base, head, BASELINE, policy()), base, 'main')).toBe('')
  })
})

describe('escaping text from the repository and build logs', () => {
  const hostileFinding = (index: number): Finding =>
    finding({
      file: `dir ${HOSTILE[index % HOSTILE.length]}/Dockerfile`,
      line: index + 1,
      message: `${HOSTILE[index % HOSTILE.length]} in \`${HOSTILE[(index + 1) % HOSTILE.length]}\``,
      fix: `@team ${HOSTILE[index % HOSTILE.length]}`
    })
  const hostileRun = (): Rendered => {
    const names = HOSTILE.map((name, index) => `${name} ${index}`)
    const base = report(
      names.map((name, index) =>
        variant(name, { size: 10 * MB, findings: [hostileFinding(index + 3)], layers: [[10 * MB, `RUN echo ${name}`]] })
      )
    )
    const head = report([
      ...names.map((name, index) =>
        variant(name, {
          size: (11 + index) * MB,
          findings: [hostileFinding(index), hostileFinding(index + 1)],
          layers: [[(11 + index) * MB, `RUN echo ${name}`]]
        })
      ),
      variant('broken', {
        status: 'failed',
        logTail: ['</pre><script>alert(1)</script>', '@here </details>', '| a | b |', '```']
      })
    ])
    return render(head, base, {
      policy: policy({ failOn: parseFailOn('warning'), maxSize: parseSizeBudgets('1B') }),
      baseline: ARTIFACT
    })
  }

  it('writes no HTML, link, table cell or mention that came from a name, a message or a log', () => {
    const { body } = hostileRun()
    expectSafe(body)
    expect(body).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(body).toContain('@\u200bhere &lt;/details&gt;')
    expect(body).toContain(
      `the report stored by [run 9](${ARTIFACT.runUrl}) on main at ${'c'.repeat(12)}. @\u200badmin &lt;b&gt;stale&lt;/b&gt;`
    )
    expect(body).toContain(escapeMarkdown('</details><img src=x onerror=alert(1)> 0'))
    expect(body).not.toMatch(/\]\(javascript:/)
    expect(body).not.toContain('<img')
    expect(body).not.toContain('<script')
  })

  it('keeps the variant column of every row to one escaped cell', () => {
    const rows = lines(hostileRun().body).filter((line) => line.startsWith('| '))
    for (const [index, name] of HOSTILE.entries())
      expect(rows.some((row) => cells(row)[0] === ` ${escapeMarkdown(`${name} ${index}`)} `)).toBe(true)
  })

  it('escapes the base label and the key of the marker', () => {
    const context = { ...CONTEXT, key: 'ci --> <img>', baseLabel: '<b>@main</b>' }
    const { body } = render(report([variant('a', { size: 2 * MB })]), report([variant('a')]), { context })
    expectSafe(body)
    expect(body).toContain('Size (&lt;b&gt;@\u200bmain&lt;/b&gt; → PR)')
  })
})

describe('fitting GitHub’s limit', () => {
  const longName = (index: number): string =>
    `${HOSTILE[index % HOSTILE.length]} ${'very-long-variant-name-'.repeat(6)}${index}`
  const huge = (): Rendered => {
    const count = 300
    const findings = (index: number, side: string): Finding[] =>
      Array.from({ length: 4 }, (_, item) =>
        finding({
          severity: item % 2 ? 'error' : 'warning',
          line: item + 1,
          message: `${side} ${HOSTILE[item % HOSTILE.length]} ${index}`,
          file: `${index}/Dockerfile`
        })
      )
    const base = report(
      Array.from({ length: count }, (_, index) =>
        variant(longName(index), { size: (100 + index) * MB, findings: findings(index, 'old') })
      )
    )
    const head = report(
      Array.from({ length: count }, (_, index) =>
        index % 50 === 7
          ? variant(longName(index), {
              status: 'failed',
              logTail: Array.from({ length: 40 }, () => `</pre>${'x'.repeat(200)}`)
            })
          : variant(longName(index), { size: (100 + index + (index % 3)) * MB, findings: findings(index, 'new') })
      )
    )
    return render(head, base, { policy: policy({ failOn: parseFailOn('error'), maxSize: parseSizeBudgets('150MB') }) })
  }

  it('stays within 65,536 characters with 300 hostile variants, keeping the marker, the verdict, the policy and the pointer', () => {
    const { body, comparison, head, base } = huge()
    expect(renderComment(head, base, comparison, CONTEXT, Infinity).length).toBeGreaterThan(COMMENT_LIMIT)
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(lines(body)[0]).toBe(commentMarker(CONTEXT.key))
    expect(lines(body)[2]).toBe(verdict(comparison, head))
    expect(lines(body)[2]).toContain('❌ policy failed')
    expect(body).toContain('### Policy')
    expect(body).toContain(`Shortened to fit GitHub's comment limit. See the [job summary](${SUMMARY}) for everything.`)
    expect(body.trimEnd().endsWith('for everything.')).toBe(true)
    expectSafe(body)
  })

  it('points to the job summary even without its address', () => {
    const { comparison, head, base } = huge()
    const body = renderComment(head, base, comparison, { ...CONTEXT, summaryUrl: undefined })
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(body).toContain('See the job summary for everything.')
  })

  it('drops optional sections least useful first', () => {
    const { head, base, comparison } = pullRequest({ policy: policy({ maxSize: parseSizeBudgets('app=100MB') }) })
    const sections: Array<[string, string]> = [
      ['exact sizes', '<summary>Exact sizes in bytes'],
      ['layer changes', 'instructions whose layers changed most'],
      ['unchanged findings', 'unchanged finding'],
      ['unchanged variants', 'unchanged variant</summary>'],
      ['chart', '```mermaid'],
      ['failure logs', '### Failed builds'],
      ['baseline note', '<sub>Baseline'],
      ['fixed findings', '### Fixed findings'],
      ['new findings', '### New findings']
    ]
    const full = renderComment(head, base, comparison, CONTEXT, Infinity)
    for (const [, text] of sections) expect(full).toContain(text)
    const goneAt = new Map<string, number>()
    for (let limit = full.length; limit > 0 && goneAt.size < sections.length; limit--) {
      const body = renderComment(head, base, comparison, CONTEXT, limit)
      expect(body.length).toBeLessThanOrEqual(limit)
      if (limit < full.length) expect(body).toContain('Shortened to fit')
      for (const [name, text] of sections) if (!goneAt.has(name) && !body.includes(text)) goneAt.set(name, limit)
      if (goneAt.size === sections.length) {
        expect(body.startsWith(`${commentMarker(CONTEXT.key)}\n\n${verdict(comparison, head)}\n\n`)).toBe(true)
        expect(body).toContain('| app |')
        expect(body).toContain('### Policy')
      }
    }
    expect([...goneAt.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name)).toEqual(
      sections.map(([name]) => name)
    )
  })

  it('then shortens the table by whole rows, keeping the policy', () => {
    const { head, base, comparison } = huge()
    const body = renderComment(head, base, comparison, CONTEXT, 20_000)
    expect(body.length).toBeLessThanOrEqual(20_000)
    const rows = lines(body).filter((line) => line.startsWith('| '))
    expect(rows.length).toBeGreaterThan(10)
    expect(rows.length).toBeLessThan(head.variants.length)
    expect(body).toContain('### Policy')
    expectSafe(body)
  })

  it('without a baseline renders the head report, and closes what a cut leaves open', () => {
    const head = report([
      variant('a'),
      variant('b', {
        status: 'failed',
        logTail: Array.from({ length: 400 }, (_, index) => `step ${index} </pre> @ci`)
      }),
      variant('c', { status: 'failed', logTail: ['last'] })
    ])
    const none: BaselineInfo = { source: 'none', note: 'no report stored for main yet' }
    const full = render(head, undefined, { baseline: none, limit: Infinity }).body
    expect(lines(full)[2]).toBe('**slimcheck**: ❌ policy failed (2 violations): 1 of 3 variants built.')
    expect(full).toContain('## slimcheck: 3 variants \\(1 built, 2 failed\\)')
    expect(full).toContain('<sub>No baseline: no report stored for main yet</sub>')
    expect(full).not.toContain('```mermaid')
    expectSafe(full)
    const short = render(head, undefined, { baseline: none, limit: 4_000 }).body
    expect(short.length).toBeLessThanOrEqual(4_000)
    expect(short.startsWith(commentMarker(CONTEXT.key))).toBe(true)
    expect(short).toContain('<sub>No baseline: no report stored for main yet</sub>')
    expect(short.trimEnd().endsWith('for everything.')).toBe(true)
    expect(short.lastIndexOf('</pre>')).toBeGreaterThan(short.lastIndexOf('<pre>'))
    expectSafe(short)
  })
})

describe('a variant that is new and failed', () => {
  it('stays visible as added, with its failed head', () => {
    const variantComparison = compareVariant('x', undefined, variant('x', { status: 'failed' }))
    expect(variantComparison).toMatchObject({ kind: 'added', headStatus: 'failed' })
    const { body } = render(report([variant('x', { status: 'failed' })]), report([]))
    expect(lines(body).find((line) => line.startsWith('| x |'))).toMatch(/\| — → ❌ failed \| 🆕 added \|/)
  })
})

describe('layer counts', () => {
  it('says when only the number of layers changed', () => {
    const base = report([variant('app', { layers: [[100 * MB]] })])
    const head = report([variant('app', { layers: [[100 * MB], [0, 'ENV A=1']] })])
    expect(render(head, base).body).toContain('- app: 1 → 2 layers (history entries); no layer changed size')
  })

  it('keeps such a line apart from a preceding details block, so it renders as a list item', () => {
    const base = report([
      variant('api', { layers: [[100 * MB], [5 * MB, 'RUN make']] }),
      variant('app', { layers: [[100 * MB]] })
    ])
    const head = report([
      variant('api', { layers: [[100 * MB], [6 * MB, 'RUN make']] }),
      variant('app', { layers: [[100 * MB], [0, 'ENV A=1']] })
    ])
    expect(render(head, base).body).toContain('</details>\n\n- app: 1 → 2 layers')
  })
})
