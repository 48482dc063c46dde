// Renders a pull-request comment the way GitHub shows it, into a PNG: Markdown through cmark-gfm (GitHub's
// Markdown library, with its extensions), the HTML through an approximation of GitHub's sanitization allow-list,
// styled with github-markdown-css, Mermaid blocks drawn by mermaid as GitHub's viewer does, and the page shot by
// headless Chromium. Nothing is downloaded: cmark-gfm and chromium are Debian packages, the rest comes from npm.
//
// Usage: node scripts/render-comment.mjs COMMENT.md OUT.png
//          a comment's Markdown (`npm run demo -- --update-docs` does this for the README's screenshot)
//        node scripts/render-comment.mjs --fixture demo|large OUT.png [--markdown OUT.md]
//          a report fixture from __tests__/support/scenarios.ts
// Needs: apt-get install cmark-gfm chromium fonts-noto-color-emoji fonts-liberation
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import sanitizeHtml from 'sanitize-html'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WIDTH = 900

const { values, positionals } = parseArgs({
  options: { fixture: { type: 'string' }, markdown: { type: 'string' }, width: { type: 'string' } },
  allowPositionals: true
})
const [input, output] = values.fixture ? [undefined, positionals[0]] : positionals
if (!output || (!input && !values.fixture)) {
  console.error('usage: render-comment.mjs COMMENT.md OUT.png | --fixture demo|large OUT.png [--markdown OUT.md]')
  process.exit(2)
}
for (const tool of ['cmark-gfm', 'chromium']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
  } catch {
    console.error(`${tool} is missing: apt-get install cmark-gfm chromium fonts-noto-color-emoji fonts-liberation`)
    process.exit(1)
  }
}

/** The fixture's comment, rendered by the current sources: compiled into build/ as scripts/bench.mjs does. */
async function fixtureMarkdown(name) {
  const out = path.join(root, 'build', 'render-comment')
  execFileSync(
    'npx',
    [
      'tsc',
      '--outDir',
      out,
      '--rootDir',
      root,
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--resolveJsonModule',
      '--types',
      'node',
      path.join(root, '__tests__/support/scenarios.ts'),
      path.join(root, 'src/report/comment.ts')
    ],
    { cwd: root, stdio: 'inherit' }
  )
  const { SCENARIOS } = await import(pathToFileURL(path.join(out, '__tests__/support/scenarios.js')).href)
  const { renderComment } = await import(pathToFileURL(path.join(out, 'src/report/comment.js')).href)
  const scenario = SCENARIOS.map((make) => make()).find((item) => item.name === name)
  if (!scenario) throw new Error(`no fixture '${name}'`)
  return renderComment(scenario.head, scenario.base, scenario.comparison, scenario.context)
}

const markdown = values.fixture ? await fixtureMarkdown(values.fixture) : fs.readFileSync(input, 'utf8')
if (values.markdown) fs.writeFileSync(values.markdown, markdown)

const html = execFileSync(
  'cmark-gfm',
  ['--unsafe', '--github-pre-lang', '-e', 'table', '-e', 'strikethrough', '-e', 'autolink', '-e', 'tagfilter'],
  { input: markdown, maxBuffer: 64 * 1024 * 1024 }
).toString()

// GitHub's allow-list (html-pipeline's SanitizationFilter), approximated.
const ALL_ATTRIBUTES =
  'abbr accept accept-charset accesskey action align alt aria-describedby aria-hidden aria-label aria-labelledby axis border cellpadding cellspacing char charoff charset checked clear cols colspan color compact coords datetime dir disabled enctype for frame headers height hreflang hspace ismap label lang maxlength media method multiple name nohref noshade nowrap open progress prompt readonly rel rev role rows rowspan rules scope selected shape size span start summary tabindex target title type usemap valign value vspace width itemprop'.split(
    ' '
  )
const clean = sanitizeHtml(html, {
  allowedTags:
    'h1 h2 h3 h4 h5 h6 h7 h8 br b i strong em a pre code img tt div ins del sup sub p ol ul table thead tbody tfoot blockquote dl dt dd kbd q samp var hr ruby rt rp li tr td th s strike summary details caption figure figcaption abbr bdo cite dfn mark small span time wbr input'.split(
      ' '
    ),
  allowedAttributes: {
    '*': ALL_ATTRIBUTES,
    a: ['href', ...ALL_ATTRIBUTES],
    img: ['src', 'longdesc', ...ALL_ATTRIBUTES],
    div: ['itemscope', 'itemtype', ...ALL_ATTRIBUTES]
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard'
})

const css = pathToFileURL(path.join(root, 'node_modules/github-markdown-css/github-markdown-light.css')).href
const mermaid = pathToFileURL(path.join(root, 'node_modules/mermaid/dist/mermaid.min.js')).href
const page = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="${css}">
<style>
  body { margin: 0; padding: 16px; background: #fff; width: ${Number(values.width ?? WIDTH) - 32}px; }
  .markdown-body { border: 1px solid #d0d7de; border-radius: 6px; padding: 16px 24px;
    font-family: -apple-system, "Segoe UI", "Noto Sans", "Liberation Sans", Helvetica, Arial, sans-serif,
      "Apple Color Emoji", "Noto Color Emoji"; }
  .mermaid-chart { background: #f6f8fa; border-radius: 6px; padding: 8px; margin-bottom: 16px; }
</style></head>
<body><article class="markdown-body">${clean}</article>
<script src="${mermaid}"></script>
<script>
  // GitHub draws a mermaid code block in place of the code; nothing else on the page runs.
  const blocks = [...document.querySelectorAll('pre[lang="mermaid"]')]
  blocks.forEach((pre) => {
    const chart = document.createElement('div')
    chart.className = 'mermaid-chart mermaid'
    chart.textContent = pre.textContent
    pre.replaceWith(chart)
  })
  mermaid.initialize({ startOnLoad: false, theme: 'default' })
  mermaid.run({ querySelector: '.mermaid' }).finally(() => {
    document.body.dataset.height = String(Math.ceil(document.querySelector('article').getBoundingClientRect().bottom) + 16)
  })
</script></body></html>
`

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-render-'))
try {
  const pageFile = path.join(work, 'comment.html')
  fs.writeFileSync(pageFile, page)
  const chromium = (args) =>
    execFileSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        '--allow-file-access-from-files',
        `--user-data-dir=${path.join(work, 'profile')}`,
        '--virtual-time-budget=15000',
        ...args,
        pathToFileURL(pageFile).href
      ],
      { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 }
    ).toString()
  const width = Number(values.width ?? WIDTH)
  const dom = chromium([`--window-size=${width},2000`, '--dump-dom'])
  const height = Number(/data-height="(\d+)"/.exec(dom)?.[1])
  if (!height) throw new Error('the page did not finish rendering')
  chromium([`--window-size=${width},${height}`, `--screenshot=${path.resolve(output)}`])
  console.log(`${output}: ${width}×${height}`)
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
