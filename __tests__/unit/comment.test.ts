import { describe, expect, it } from '@jest/globals'
import {
  aroundChange,
  COMMENT_LIMIT,
  commentMarker,
  renderComment,
  verdictMarkdown,
  type CommentContext
} from '../../src/report/comment.js'
import { compareReports, delta, timeDelta } from '../../src/compare/index.js'
import { parseFailOn, parseLimit, parseSizeBudgets, type Policy } from '../../src/config.js'
import { sizeDeltaText, timeText } from '../../src/report/variant-table.js'
import { fitSections, section, utf8Bytes } from '../../src/report/fit.js'
import { renderGfm } from '../support/gfm.js'
import { build, finding, image, policy, report } from '../support/reports.js'
import { demoScenario, largeScenario } from '../support/scenarios.js'
import type {
  BaselineInfo,
  BuildStep,
  Comparison,
  FailureKind,
  Finding,
  Report,
  Reuse,
  VariantReport,
  VariantStatus
} from '../../src/types.js'

const MB = 1_000_000
const BLOB = 'https://github.com/octo/app/blob/0123abcd/services'
const SUMMARY = 'https://github.com/octo/app/actions/runs/42'
const CONTEXT: CommentContext = { key: 'ci/images', baseLabel: 'main', blobBase: BLOB, summaryUrl: SUMMARY }
const BASELINE: BaselineInfo = { source: 'build', commit: 'b'.repeat(40) }

interface VariantOptions {
  status?: VariantStatus
  size?: number
  samples?: number[]
  findings?: Finding[]
  logTail?: string[]
  message?: string
  kind?: FailureKind
  layers?: Array<[number, string?]>
  steps?: BuildStep[]
  reused?: Reuse
}

function variant(name: string, options: VariantOptions = {}): VariantReport {
  const status = options.status ?? 'built'
  const size = options.size ?? 100 * MB
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
          image: image(size, layers, { id: `sha256:${name.length}` }),
          build: build(options.samples ?? [10], options.steps ? { steps: options.steps } : {})
        }
      : {}),
    ...(status === 'failed'
      ? {
          failure: {
            message: options.message ?? 'build failed: exit code 7',
            logTail: options.logTail ?? ['RUN make', 'make: *** error 7'],
            kind: options.kind ?? 'build'
          }
        }
      : {}),
    ...(options.reused ? { reused: options.reused } : {})
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

function rowOf(body: string, name: string): string {
  return lines(body).find((line) => line.startsWith(`| \`${name}\` |`) || line.startsWith(`| ❌ \`${name}\` |`)) ?? ''
}

/** Cells of a Markdown table row, split at pipes that are not escaped. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1)
}

/** Every table's rows have as many cells as its header, and every block we open is closed. */
function expectWellFormed(body: string): void {
  const shapes: number[][] = []
  let previous = ''
  for (const line of lines(body)) {
    if (line.startsWith('| ')) {
      if (!previous.startsWith('| ')) shapes.push([])
      shapes[shapes.length - 1].push(cells(line).length)
    }
    previous = line
  }
  for (const shape of shapes) expect(new Set(shape).size).toBe(1)
  expect(count(body, '<details>')).toBe(count(body, '</details>'))
  expect((body.match(/^<pre>/gm) ?? []).length).toBe((body.match(/<\/pre>$/gm) ?? []).length)
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
    [delta(100 * MB, 123_456_789), false, '+23.5 MB (+23.5%) ⏫'],
    [delta(100 * MB, 105 * MB), false, '+5.00 MB (+5.0%) 🔺'],
    [delta(100 * MB, 97 * MB), false, '-3.00 MB (-3.0%) 🔻'],
    [delta(100 * MB, 80 * MB), false, '-20.0 MB (-20.0%) ⏬'],
    [delta(0, 5 * MB), false, '+5.00 MB ⏫'],
    [delta(100 * MB, 100 * MB + 2_100), true, '≈ +2.10 kB (+0.002%)'],
    [delta(7, 7), false, '0 B']
  ])('size change %p (within noise: %p) → %p', (size, noise, text) => {
    expect(sizeDeltaText(size, noise)).toBe(text)
  })

  it.each([
    ['one run a side: noise, as the spread is unknown', [10], [30], '10.0 s → 30.0 s ≈'],
    ['one run on one side', [10, 10, 11], [30], '10.0 s → 30.0 s ≈'],
    ['noise', [10, 11, 15], [12, 13, 14], '11.0 s → 13.0 s ≈'],
    ['a real change', [10, 10, 11], [20, 20, 21], '10.0 s → 20.0 s (+100%)'],
    ['a real speed-up', [100, 100, 101], [50, 50, 51], '1 min 40 s → 50.0 s (-50%)']
  ])('build time, %s', (_, before, after, text) => {
    expect(timeText(timeDelta(before, after, before[1] ?? before[0], after[1] ?? after[0]))).toBe(text)
  })

  it('shows a long instruction around where the PR edited it', () => {
    const before = `RUN apt-get update && apt-get install -y --no-install-recommends ${'pkg '.repeat(8)}python3 && rm -rf /var/lib/apt/lists/*`
    const after = before.replace('python3', 'python3 curl')
    const shown = aroundChange(after, before)
    expect(shown).toContain('python3 curl')
    expect(shown.startsWith('…')).toBe(true)
    expect(shown.length).toBeLessThanOrEqual(82)
    expect(aroundChange('RUN make', undefined)).toBe('RUN make')
    expect(aroundChange('x'.repeat(100), undefined)).toBe(`${'x'.repeat(80)}…`)
  })
})

describe('the verdict line', () => {
  const verdictOf = (rendered: Rendered): string =>
    verdictMarkdown(rendered.comparison, rendered.head, rendered.base, 'main')

  it('gives the cause, the largest change, and totals that count added and removed variants and name the rest', () => {
    expect(verdictOf(pullRequest())).toBe(
      '❌ **slimcheck**: 1 new violation: `fragile` fails to build. Largest change: `app` +23.5 MB (+23.5%). Total +13.5 MB (180 MB → 193 MB), with 1 added and 1 removed variant; not counted: `fragile`.'
    )
  })

  it('separates new violations from those already on main', () => {
    const { comparison, head, base } = pullRequest({ policy: policy({ failOn: parseFailOn('warning') }) })
    expect(verdictMarkdown(comparison, head, base, 'main')).toMatch(
      /^❌ \*\*slimcheck\*\*: 2 new violations: `fragile` fails to build; `app` adds conda-in-production \(`app\/Dockerfile:7`\); already on main and not failing: 1 fail-on finding\./
    )
  })

  it('passes a PR with only inherited violations, and says so', () => {
    const { body } = render(demoScenario().head, demoScenario().base, {
      policy: policy({ failOn: parseFailOn('conda-in-production') })
    })
    expect(lines(body)[2]).toBe(
      '✅ **slimcheck**: no new violations; already on main and not failing: 3 fail-on findings, 1 failed build. Largest change: `multistage` +5.31 MB (+2.1%). Total +5.31 MB (1.129 GB → 1.134 GB); not counted: `conda`.'
    )
  })

  it('counts inherited violations as failing with fail-on-inherited, and says how many are new', () => {
    const { head, base } = demoScenario()
    const rendered = render(head, base, {
      policy: policy({ failOn: parseFailOn('conda-in-production'), failOnInherited: true })
    })
    expect(verdictOf(rendered)).toMatch(
      /^❌ \*\*slimcheck\*\*: 4 violations, 0 new and 4 already on main \(fail-on-inherited\): `conda` still fails to build; `conda` has conda-in-production \(`Dockerfile.conda:7`, `:8`, `:11`\)\./
    )
  })

  it('says when nothing changed, and without a baseline that every finding counts', () => {
    const same = render(report([variant('a')]), report([variant('a')]))
    expect(verdictOf(same)).toBe('✅ **slimcheck**: no new violations. Total unchanged at 100 MB.')
    const alone = render(report([variant('a'), variant('b', { status: 'failed' })]), undefined, {
      baseline: { source: 'none', note: 'push' }
    })
    expect(verdictOf(alone)).toBe(
      '❌ **slimcheck**: 1 violation (no baseline, so every finding counts): `b` fails to build. 1 of 2 variants built, 100 MB in all.'
    )
  })

  it('lists three causes and counts the rest', () => {
    const names = ['a', 'b', 'c', 'd', 'e']
    const rendered = render(
      report(names.map((name) => variant(name, { status: 'failed' }))),
      report(names.map((name) => variant(name)))
    )
    expect(verdictOf(rendered)).toMatch(
      /^❌ \*\*slimcheck\*\*: 5 new violations: `a` fails to build; `b` fails to build; `c` fails to build and 2 more causes\./
    )
  })
})

describe('renderComment', () => {
  const { body, comparison, head, base } = pullRequest()

  it('starts with the hidden marker, then the one-line verdict', () => {
    expect(lines(body)[0]).toBe(commentMarker(CONTEXT.key))
    expect(lines(body)[1]).toBe('')
    expect(lines(body)[2]).toBe(verdictMarkdown(comparison, head, base, 'main'))
  })

  it('lists violations first, then by the size of the change, and folds unchanged variants away', () => {
    const rows = lines(body).filter((line) => line.startsWith('| '))
    expect(rows[0]).toBe('| Variant | main → PR | Δ | Build time | Findings |')
    expect(rows.slice(2, 6).map((row) => cells(row)[0].trim())).toEqual(['❌ `fragile`', '`old`', '`app`', '`new`'])
    expect(rowOf(body, 'app')).toContain('+23.5 MB (+23.5%) ⏫')
    expect(rowOf(body, 'app')).toContain('🔴 1 new · ✅ 1 fixed')
    expect(rowOf(body, 'new')).toMatch(
      /\| — → <span title="20000000 bytes">20.0 MB<\/span> \| 🆕 added<br><sub>\+8.00 MB compressed<\/sub> \|/
    )
    expect(rowOf(body, 'old')).toMatch(/\| <span title="30000000 bytes">30.0 MB<\/span> → — \| 🗑️ removed \|/)
    expect(rowOf(body, 'fragile')).toMatch(
      /\| <span title="40000000 bytes">40.0 MB<\/span> → ❌ failed \| PR build failed \|/
    )
    const details = body.indexOf('<details><summary>1 unchanged variant</summary>')
    expect(details).toBeGreaterThan(body.indexOf(rowOf(body, 'new')))
    expect(body.indexOf(rowOf(body, 'stable'))).toBeGreaterThan(details)
    expect(rowOf(body, 'stable')).toContain('| 1 on main |')
  })

  it('shows sizes with enough digits to see the change, exact bytes in tooltips and in the details', () => {
    expect(body).toContain('<span title="100000000 bytes">100 MB</span> → <span title="123456789 bytes">123 MB</span>')
    const demo = demoScenario()
    expect(renderComment(demo.head, demo.base, demo.comparison, demo.context)).toContain(
      '<span title="250759685 bytes">251 MB</span> → <span title="256069822 bytes">256 MB</span>'
    )
    expect(body).toMatch(
      /<details><summary>Exact sizes in bytes<\/summary>[\s\S]*- `app`: 100000000 → 123456789 bytes \(\+23456789\); compressed 40000000 → 49382716 \(\+9382716\)/
    )
    expect(body).toContain('- `new`: 20000000 bytes, 8000000 compressed (PR; PR only)')
    expect(body).toContain('- `old`: 30000000 bytes, 12000000 compressed (main; main only)')
    expect(body).toContain('- `fragile`: 40000000 bytes, 16000000 compressed (main; PR build failed)')
  })

  it('shows the compressed change under the change', () => {
    expect(rowOf(body, 'app')).toContain('<br><sub>+9.38 MB compressed</sub>')
    expect(rowOf(body, 'new')).toContain('🆕 added<br><sub>+8.00 MB compressed</sub>')
  })

  it('links new findings to their line at the head commit, and lists fixed ones without a link', () => {
    expect(body).toContain('### New findings')
    expect(body).toContain(
      `in \`app\` at [\`app/Dockerfile:7\`](${BLOB}/app/Dockerfile#L7): RUN \`conda install numpy\` ships conda`
    )
    expect(body).toMatch(
      /<summary>✅ 1 fixed finding<\/summary>\n\n- ✅ \*\*shared-tag\*\* in `app` at `app\/Dockerfile:3`: old problem/
    )
  })

  it('names the instructions whose layers changed most, linked to their line', () => {
    expect(body).toMatch(
      /<details><summary>Layers: the instructions whose layers changed most, in 1 variant \(layers are history entries\)<\/summary>\n\n\*\*`app`\*\*: 2 → 2 layers\n\n\| Line \| Instruction \| main \| PR \| Δ \|[\s\S]*\| \[`3`\]\([^)]*app\/Dockerfile#L3\) \| `RUN pip install -r requirements.txt` \|/
    )
  })

  it('puts one short line per failure in Policy and its log once, collapsed', () => {
    expect(body).toContain('- ❌ **build**: `fragile` failed: `build failed: exit code 7`')
    expect(body).toMatch(
      /### Failed builds\n\n<details><summary><code>fragile<\/code> \(in the PR\): build log, 3 lines<\/summary>\n\n<pre>build failed: exit code 7\nRUN make\nmake: \*\*\* error 7<\/pre>/
    )
    expect(count(body, 'exit code 7')).toBe(2)
  })

  it('shows a failure both sides share once, and folds repeated log lines', () => {
    const failing = (): VariantReport =>
      variant('conda', {
        status: 'failed',
        message: 'pull failed',
        logTail: ['#2 ERROR: pull failed', 'retry', 'retry', 'retry']
      })
    const rendered = render(report([failing(), variant('a')]), report([failing(), variant('a')])).body
    expect(rendered).toContain(
      '<summary><code>conda</code> (on <code>main</code> and in the PR): build log, 2 lines</summary>'
    )
    expect(rendered).toContain('<pre>#2 ERROR: pull failed\nretry (×3)</pre>')
    expect(count(rendered, '<pre>')).toBe(1)
  })

  it('takes a failure whose parallel steps ended in another order for the same one, but not another error', () => {
    const lookups = [
      '#3 ERROR: lookup registry for python: no such host',
      '#4 ERROR: lookup registry for conda: no such host'
    ]
    const failing = (logTail: string[], message: string): VariantReport =>
      variant('conda', { status: 'failed', message, logTail: ['#1 load context', '#1 DONE 0.1s', ...logTail] })
    const headSide = failing([...lookups, `ERROR: ${lookups[1].slice(11)}`], lookups[1].slice(11))
    const reordered = failing([...lookups].reverse().concat(`ERROR: ${lookups[0].slice(11)}`), lookups[0].slice(11))
    reordered.failure!.logTail[1] = '#1 DONE 0.0s'
    const once = render(report([headSide, variant('a')]), report([reordered, variant('a')])).body
    expect(once).toContain('<summary><code>conda</code> (on <code>main</code> and in the PR)')
    expect(count(once, '<pre>')).toBe(1)

    const other = failing(['#3 ERROR: process "make" did not complete successfully: exit code: 2'], 'exit code: 2')
    const twice = render(report([headSide, variant('a')]), report([other, variant('a')])).body
    expect(twice).toContain('<summary><code>conda</code> (in the PR)')
    expect(twice).toContain('<summary><code>conda</code> (on <code>main</code>)')
    expect(count(twice, '<pre>')).toBe(2)
  })

  it('tells apart failures that differ only in their message, or in which step failed and which was cancelled', () => {
    const failing = (message: string, logTail: string[]): VariantReport =>
      variant('api', { status: 'failed', message, logTail })
    const sides = (head: VariantReport, base: VariantReport): number =>
      count(render(report([head, variant('a')]), report([base, variant('a')])).body, '<pre>')
    const parseError = (message: string) => failing(message, [`ERROR: ${message}`])
    expect(
      sides(parseError('dockerfile parse error on line 2: unknown instruction: RUNN'), parseError('no such file'))
    ).toBe(2)
    const outcome = (failed: string, cancelled: string) =>
      failing(`${failed} failed`, [
        `#2 RUN ${failed}`,
        `#3 RUN ${cancelled}`,
        '#2 ERROR: exit code: 1',
        '#3 CANCELED',
        `ERROR: ${failed} failed`
      ])
    expect(sides(outcome('make a', 'make b'), outcome('make b', 'make a'))).toBe(2)
    expect(sides(outcome('make a', 'make b'), outcome('make a', 'make b'))).toBe(1)
  })

  it('groups fail-on hits of one rule and variant on one line', () => {
    const { head: demoHead, base: demoBase } = demoScenario()
    const rendered = render(demoHead, demoBase, { policy: policy({ failOn: parseFailOn('conda-in-production') }) }).body
    const grouped = lines(rendered).filter((line) => line.includes('**fail-on**'))
    expect(grouped).toEqual([
      `- **fail-on** conda-in-production in \`conda\` at [\`Dockerfile.conda:7\`](${BLOB}/Dockerfile.conda#L7), [\`:8\`](${BLOB}/Dockerfile.conda#L8), [\`:11\`](${BLOB}/Dockerfile.conda#L11)`
    ])
    expect(rendered).toContain(
      'Already on main, so not failing this pull request (`fail-on-inherited: true` fails on these too):'
    )
  })

  it('says once, in the footnote, what every row would repeat', () => {
    const footnote = lines(body).find((line) => line.startsWith('<sub>Baseline'))!
    expect(footnote).toContain(`Baseline: main at \`${'b'.repeat(12)}\`, built on this runner`)
    expect(footnote).toContain('Build times: with one build on a side they are not compared (≈)')
    expect(footnote).toContain('≈ within `size-noise-threshold`')
    expect(count(body, 'they are not compared')).toBe(1)
  })

  it('draws no chart for fewer than two changed variants', () => {
    expect(body).not.toContain('```mermaid')
    expect(largeScenarioBody()).toContain('```mermaid')
  })

  it('says which variants were not rebuilt, and which were built once for both sides', () => {
    const rendered = render(
      report([
        variant('carried', { reused: { kind: 'carried', commit: 'abc1234def', runId: 9 } }),
        variant('shared', { reused: { kind: 'shared' } })
      ]),
      report([variant('carried'), variant('shared')])
    ).body
    expect(rowOf(rendered, 'carried')).toContain('| 0 B · inputs unchanged since `main@abc1234`; not rebuilt |')
    expect(rowOf(rendered, 'shared')).toContain('| 0 B · built once for both sides; Δ 0 by construction |')
    expect(rowOf(rendered, 'shared')).toContain('| 10.0 s, measured once |')
  })

  it('names variants that are always rebuilt, and why', () => {
    const always = variant('fetch')
    always.fingerprint = { unfingerprintable: 'ADD https://example.com/x.tar at fetch/Dockerfile:4' }
    const rendered = render(report([always]), report([variant('fetch')])).body
    expect(rendered).toContain(
      'Always rebuilt, as their inputs cannot be fingerprinted: `fetch` (ADD `https://example.com/x.tar` at fetch/Dockerfile:4).'
    )
  })

  it('names the build steps that got slower', () => {
    const steps = (seconds: number): BuildStep[] => [
      { name: '[2/3] RUN pip install -r req.txt', line: 4, seconds, cached: false }
    ]
    const rendered = render(
      report([variant('api', { samples: [39, 40, 41], steps: steps(29.4) })]),
      report([variant('api', { samples: [29, 30, 31], steps: steps(21) })])
    ).body
    expect(rendered).toContain(
      '<details><summary>Slower build steps</summary>\n\n- `api`: `RUN pip install -r req.txt` (line 4) 21.0 s → 29.4 s (+8.4 s)'
    )
  })

  it.each([
    ['one build a side', [13.6], [10.3]],
    ['builds within the measured spread', [10, 12.5, 14], [10.3, 11, 13]]
  ])('lists no slower steps and shows the time as noise with %s', (_, headSamples, baseSamples) => {
    const steps = (seconds: number): BuildStep[] => [{ name: '[2/2] RUN make', line: 2, seconds, cached: false }]
    const rendered = render(
      report([variant('api', { samples: headSamples, steps: steps(headSamples[0]) })]),
      report([variant('api', { samples: baseSamples, steps: steps(baseSamples[0]) })])
    ).body
    expect(rendered).not.toContain('Slower build steps')
    expect(rendered).not.toMatch(/\(\+\d+%\)/)
    expect(rendered).toMatch(/ s → [\d.]+ s ≈ \|/)
  })

  it('is not shortened when it fits, and is well formed', () => {
    expect(renderComment(head, base, comparison, CONTEXT, Infinity)).toBe(body)
    expect(body).not.toContain('Shortened')
    expectWellFormed(body)
  })

  it('lists limit violations with the variant, the limit and the excess', () => {
    const failing = pullRequest({ policy: policy({ maxSize: parseSizeBudgets('app=100MB') }) }).body
    expect(failing).toContain('### Policy')
    expect(failing).toContain(
      "- ❌ **max-size**: `app`: 123 MB uncompressed (123456789 bytes) is over max-size 100 MB for 'app' by 23.5 MB (23456789 bytes)"
    )
  })

  it.each([
    ['the head build failed', 'built', 'failed', 'PR build failed'],
    ['the base build failed', 'failed', 'built', 'main build failed'],
    ['both builds failed', 'failed', 'failed', 'main build failed, PR build failed'],
    ['the head was not built', 'built', 'skipped', 'PR not built']
  ])('says which side has no measurement when %s', (_, baseStatus, headStatus, text) => {
    const rendered = render(
      report([variant('x', { status: headStatus as VariantStatus })]),
      report([variant('x', { status: baseStatus as VariantStatus })])
    )
    expect(rowOf(rendered.body, 'x')).toContain(`| ${text} |`)
  })
})

function largeScenarioBody(): string {
  const large = largeScenario()
  return renderComment(large.head, large.base, large.comparison, large.context)
}

describe('fitting GitHub’s limit', () => {
  const longName = (index: number): string => `service-${'very-long-variant-name-'.repeat(6)}${index}`
  const huge = (): Rendered => {
    const size = 300
    const findings = (index: number, side: string): Finding[] =>
      Array.from({ length: 4 }, (_, item) =>
        finding({
          severity: item % 2 ? 'error' : 'warning',
          line: item + 1,
          message: `${side} problem ${index}`,
          file: `${index}/Dockerfile`
        })
      )
    const base = report(
      Array.from({ length: size }, (_, index) =>
        variant(longName(index), { size: (100 + index) * MB, findings: findings(index, 'old') })
      )
    )
    const head = report(
      Array.from({ length: size }, (_, index) =>
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

  it('stays within 65,536 characters with 300 variants, keeping the marker, the verdict, the policy and the pointer', () => {
    const { body, comparison, head, base } = huge()
    expect(renderComment(head, base, comparison, CONTEXT, Infinity).length).toBeGreaterThan(COMMENT_LIMIT)
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(lines(body)[0]).toBe(commentMarker(CONTEXT.key))
    expect(lines(body)[2]).toBe(verdictMarkdown(comparison, head, base, 'main'))
    expect(lines(body)[2]).toMatch(/^❌/)
    expect(body).toContain('### Policy')
    expect(body).toContain(`Shortened to fit GitHub's comment limit. See the [job summary](${SUMMARY}) for everything.`)
    expect(body.trimEnd().endsWith('for everything.')).toBe(true)
    expectWellFormed(body)
  })

  it('points to the job summary even without its address', () => {
    const { comparison, head, base } = huge()
    const body = renderComment(head, base, comparison, { ...CONTEXT, summaryUrl: undefined })
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(body).toContain('See the job summary for everything.')
  })

  it('gives way least useful first, shortening the logs before they go', () => {
    const { head: largeHead, base: largeBase, comparison: largeComparison, context } = largeScenario()
    const sections: Array<[string, string]> = [
      ['exact sizes', '<summary>Exact sizes in bytes'],
      ['layer changes', 'the instructions whose layers changed most'],
      ['slower steps', 'Slower build steps</summary>'],
      ['findings already on main', 'already on <code>main</code></summary>'],
      ['where the bytes go', 'Where the bytes go</summary>'],
      ['unchanged variants', 'unchanged variants</summary>'],
      ['chart', '```mermaid'],
      ['whole failure logs', 'Looking in indexes'],
      ['failure logs', '### Failed builds'],
      ['explanation of the largest change', '### Why `tools` grew'],
      ['new findings', '### New findings'],
      ['footnote', '<sub>Baseline']
    ]
    const full = renderComment(largeHead, largeBase, largeComparison, context, Infinity)
    for (const [, text] of sections) expect(full).toContain(text)
    const goneAt = new Map<string, number>()
    for (let limit = full.length; limit > 0 && goneAt.size < sections.length; limit -= 25) {
      const body = renderComment(largeHead, largeBase, largeComparison, context, limit)
      expect(body.length).toBeLessThanOrEqual(limit)
      for (const [name, text] of sections) if (!goneAt.has(name) && !body.includes(text)) goneAt.set(name, limit)
      if (goneAt.size < sections.length) {
        expect(
          body.startsWith(
            `${commentMarker(context.key)}\n\n${verdictMarkdown(largeComparison, largeHead, largeBase, 'main')}\n\n`
          )
        ).toBe(true)
        expect(body).toContain('- ❌ **build**: `broken` failed:')
      }
    }
    expect([...goneAt.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name)).toEqual(
      sections.map(([name]) => name)
    )
  })

  it('keeps every failure’s first error line however many builds fail with however long logs; the report keeps all', () => {
    const names = Array.from({ length: 41 }, (_, index) => `svc-${index}`)
    const failing = (name: string): VariantReport =>
      variant(name, {
        status: 'failed',
        message: `${name}: process "/bin/sh -c make" did not complete successfully: exit code: 2\nmore detail`,
        logTail: Array.from({ length: 400 }, (_, line) => `${name} log line ${line} ${'y'.repeat(300)}`)
      })
    const head = report(names.map(failing))
    const base = report(names.map((name) => variant(name)))
    const comparison = compareReports(base, head, BASELINE, policy())
    const summary = renderComment(head, base, comparison, CONTEXT, 1_000_000)
    const comment = renderComment(head, base, comparison, CONTEXT)
    expect(summary.length).toBeLessThanOrEqual(1_000_000)
    expect(renderComment(head, base, comparison, CONTEXT, Infinity).length).toBeGreaterThan(1_000_000)
    for (const name of names) {
      const first = `- ❌ **build**: \`${name}\` failed: \`${name}: process "/bin/sh -c make" did not complete successfully: exit code: 2\``
      expect(summary).toContain(first)
      expect(comment).toContain(first)
    }
    expect(summary).toContain(`${names[40]} log line 399`)
    expect(head.variants[0].failure!.logTail).toHaveLength(400)
  })

  it('fits the job summary in UTF-8 bytes, as the runner counts them, when logs are made of multi-byte characters', () => {
    const names = Array.from({ length: 4 }, (_, index) => `pip-${index}`)
    const progressBars = (name: string): VariantReport =>
      variant(name, {
        status: 'failed',
        message: `${name}: pip install failed`,
        logTail: Array.from({ length: 1500 }, (_, line) => `${line} ${'━'.repeat(120)}`)
      })
    const head = report(names.map(progressBars))
    const base = report(names.map((name) => variant(name)))
    const comparison = compareReports(base, head, BASELINE, policy())
    const summary = renderComment(head, base, comparison, CONTEXT, 1_000_000, utf8Bytes)
    // Counted in characters, the whole logs fit; in bytes they are more than twice the limit.
    expect(Buffer.byteLength(renderComment(head, base, comparison, CONTEXT, 1_000_000))).toBeGreaterThan(2_000_000)
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(1_000_000)
    for (const name of names) expect(summary).toContain(`\`${name}\` failed`)
    expect(renderGfm(summary)).toContain('</pre>')
  })

  it('cuts by whole lines to a limit in bytes, closing what the cut leaves open', () => {
    const log = `<pre>${Array.from({ length: 1000 }, (_, line) => `${line} ${'━'.repeat(50)}`).join('\n')}</pre>`
    const fitted = fitSections([section('intro'), section(log)], 10_000, 'Shortened.', utf8Bytes)
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(10_000)
    expect(Buffer.byteLength(fitted)).toBeGreaterThan(9_000)
    expect(fitted).toMatch(/\n\d+ ━{50}<\/pre>\n\nShortened\.\n$/)
  })

  it('without a baseline renders the head report with the policy, and closes what a cut leaves open', () => {
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
    expect(lines(full)[2]).toBe(
      '❌ **slimcheck**: 2 violations (no baseline, so every finding counts): `b` fails to build; `c` fails to build. 1 of 3 variants built, 100 MB in all.'
    )
    expect(full).toContain('### Policy\n\nNo baseline, so every finding counts.')
    expect(full).toContain('## slimcheck: 3 variants (1 built, 2 failed)')
    expect(full).toContain('<sub>No baseline: no report stored for main yet.</sub>')
    expect(full).not.toContain('```mermaid')
    expectWellFormed(full)
    const short = render(head, undefined, { baseline: none, limit: 4_000 }).body
    expect(short.length).toBeLessThanOrEqual(4_000)
    expect(short.startsWith(commentMarker(CONTEXT.key))).toBe(true)
    expect(short).toContain('- ❌ **build**: `b` failed:')
    expect(short.trimEnd().endsWith('for everything.')).toBe(true)
    expectWellFormed(short)
  })
})

describe('a variant that is new and failed', () => {
  it('stays visible as added, with its failed head', () => {
    const { body } = render(report([variant('x', { status: 'failed' })]), report([]))
    expect(rowOf(body, 'x')).toMatch(/\| — → ❌ failed \| 🆕 added \|/)
  })
})

describe('layer counts', () => {
  it('says when only the number of layers changed', () => {
    const base = report([
      variant('api', { layers: [[100 * MB], [5 * MB, 'RUN make']] }),
      variant('app', { layers: [[100 * MB]] })
    ])
    const head = report([
      variant('api', { layers: [[100 * MB], [6 * MB, 'RUN make']] }),
      variant('app', { layers: [[100 * MB], [0, 'ENV A=1']] })
    ])
    expect(render(head, base).body).toContain('\n\n**`app`**: 1 → 2 layers; no layer changed size.\n\n</details>')
  })
})

describe('the noise threshold in the comment', () => {
  it('folds a change within the noise away with the unchanged variants, marked ≈', () => {
    const { body } = render(report([variant('edge', { size: 100 * MB + 2_100 })]), report([variant('edge')]), {
      policy: policy({ sizeNoise: parseLimit('size-noise-threshold', '10kB') })
    })
    expect(body).toContain('No variant changed.')
    expect(rowOf(body, 'edge')).toContain('| ≈ +2.10 kB (+0.002%)<br><sub>+840 B compressed</sub> |')
  })
})
