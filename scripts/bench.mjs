// Speed and memory of slimcheck's pure stages, printed as a table with each target.
// Usage: npm run bench (compiles src/ to build/ first). Add --engine to also time real builds (needs the engine).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
const { analyzeDockerfile } = await import('../build/analyze/index.js')
const { compareReports } = await import('../build/compare.js')
const { renderComment, COMMENT_LIMIT } = await import('../build/comment.js')
const { parseSettings } = await import('../build/config.js')

const rows = []
function measure(name, target, unit, iterations, body) {
  body()
  const started = performance.now()
  for (let index = 0; index < iterations; index++) body(index)
  const value = (performance.now() - started) / iterations
  rows.push({ name, value: value.toFixed(3), unit, target: `≤ ${target}`, verdict: value <= target ? 'ok' : 'MISSED' })
}

const dockerfile = [
  'ARG BASE=python:3.12-slim-bookworm',
  'FROM ${BASE} AS builder',
  ...Array.from(
    { length: 20 },
    (_, index) => `RUN echo step ${index} && apt-get update && apt-get install -y pkg${index}`
  ),
  'FROM debian:bookworm-slim',
  'COPY --from=builder /opt/app /opt/app',
  ...Array.from({ length: 20 }, (_, index) => `ENV VAR${index}=value${index}`),
  'CMD ["python3", "-m", "app"]'
].join('\n')
measure('analyze one 45-line Dockerfile', 2, 'ms', 500, () =>
  analyzeDockerfile({ text: dockerfile, file: 'Dockerfile', buildArgs: {}, allowedCondaImages: ['pytorch/pytorch'] })
)

function variant(name, size, seconds, findings) {
  return {
    name,
    dockerfile: `${name}/Dockerfile`,
    context: name,
    buildArgNames: [],
    status: 'built',
    findings,
    image: {
      id: `sha256:${'0'.repeat(64)}`,
      sizeBytes: size,
      sizeSource: 'bench',
      store: 'overlay2',
      platform: 'linux/amd64',
      layers: Array.from({ length: 12 }, (_, index) => ({
        sizeBytes: size / 12,
        createdBy: `RUN step ${index}`,
        instruction: { line: index + 2, text: `RUN step ${index}` }
      }))
    },
    build: { seconds, samples: [seconds * 0.95, seconds, seconds * 1.05], cache: 'cold', method: 'bench' }
  }
}
const finding = (index) => ({
  rule: 'shared-tag',
  severity: 'warning',
  file: 'Dockerfile',
  line: index,
  message: `\`python:3.12\` uses a shared tag <b>${index}</b>`,
  fix: 'Pin a simple tag.',
  evidence: 'static'
})
const report = (grow) => ({
  schemaVersion: 1,
  tool: { name: 'slimcheck', version: 'bench' },
  createdAt: '',
  problems: [],
  variants: Array.from({ length: 300 }, (_, index) =>
    variant(
      `service-${index}`,
      1e8 + index * 1e6 + (grow && index % 3 === 0 ? 5e6 : 0),
      40 + (index % 7),
      Array.from({ length: grow ? 4 : 3 }, (_, n) => finding(n + 1))
    )
  )
})
const base = report(false)
const head = report(true)
const policy = parseSettings({ 'max-size-increase': '2%' }, os.tmpdir()).policy
let comparison
measure('compare 300 variants', 20, 'ms', 50, () => {
  comparison = compareReports(base, head, { source: 'build' }, policy)
})
let body = ''
measure('render the comment for 300 variants', 100, 'ms', 20, () => {
  body = renderComment(head, base, comparison, { key: 'bench', baseLabel: 'main' })
})
rows.push({
  name: 'comment length for 300 variants',
  value: String(body.length),
  unit: 'chars',
  target: `≤ ${COMMENT_LIMIT}`,
  verdict: body.length <= COMMENT_LIMIT ? 'ok' : 'MISSED'
})

if (process.argv.includes('--engine')) {
  const { createEngine } = await import('../build/engine/index.js')
  const engine = createEngine()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-bench-'))
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM slimcheck/busybox:test\nRUN dd if=/dev/zero of=/blob bs=1024 count=1024\n'
  )
  const build = async (noCache) => {
    const started = performance.now()
    const outcome = await engine.build({
      contextDir: dir,
      dockerfile: 'Dockerfile',
      tag: 'slimcheck/bench:latest',
      buildArgs: {},
      noCache,
      timeoutSeconds: 120,
      onLog: () => undefined
    })
    if (!outcome.ok) throw new Error(outcome.error)
    return performance.now() - started
  }
  const cold = await build(true)
  const warm = await build(false)
  rows.push({
    name: 'cold build of a 1 MB busybox variant',
    value: cold.toFixed(0),
    unit: 'ms',
    target: '≤ 3000',
    verdict: cold <= 3000 ? 'ok' : 'MISSED'
  })
  rows.push({
    name: 'warm (cached) rebuild of it',
    value: warm.toFixed(0),
    unit: 'ms',
    target: '≤ 1000',
    verdict: warm <= 1000 ? 'ok' : 'MISSED'
  })
}

const rss = process.memoryUsage().rss / 1e6
rows.push({
  name: 'resident memory after all of the above',
  value: rss.toFixed(0),
  unit: 'MB',
  target: '≤ 300',
  verdict: rss <= 300 ? 'ok' : 'MISSED'
})

const header = ['benchmark', 'value', 'unit', 'target', 'verdict']
const cells = rows.map((row) => [row.name, row.value, row.unit, row.target, row.verdict])
const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column].length)))
const line = (items) => `| ${items.map((item, column) => item.padEnd(widths[column])).join(' | ')} |`
console.log([line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n'))
console.log(`\nnode ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; mean per iteration`)
