// Speed and memory of slimcheck, as one table with every target.
//   npm run bench               the pure stages (seconds)
//   npm run bench -- --engine   also slimcheck side by side with a plain `docker build` of the bundled examples, on
//                               the engine at DOCKER_HOST (minutes; builds fetch Debian packages). A plain
//                               `docker build` needs the buildx plugin for BuildKit: as root on Debian,
//                               scripts/engines.sh provides it.
// BENCH_PAIRS (default 3) sets how many interleaved pairs each ratio takes the median of.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
const { analyzeDockerfile } = await import('../build/analyze/index.js')
const { compareReports } = await import('../build/compare/index.js')
const { renderComment, COMMENT_LIMIT } = await import('../build/report/comment.js')
const { parseSettings } = await import('../build/config.js')

const rows = []
const row = (name, value, unit, target, met, why = '') =>
  rows.push({ name, value, unit, target, verdict: `${met ? 'ok' : 'MISSED'}${why ? `: ${why}` : ''}` })

function measure(name, target, unit, iterations, body) {
  body()
  const started = performance.now()
  for (let index = 0; index < iterations; index++) body(index)
  const value = (performance.now() - started) / iterations
  row(name, value.toFixed(3), unit, `≤ ${target}`, value <= target)
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
  const layers = Array.from({ length: 12 }, (_, index) => ({
    sizeBytes: size / 12,
    compressedBytes: size / 36,
    createdBy: `RUN step ${index}`,
    instruction: { line: index + 2, text: `RUN step ${index}` }
  }))
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
      compressedBytes: size / 3,
      compressedSource: 'bench',
      engineReported: { sizeBytes: size, source: 'bench' },
      store: 'overlay2',
      platform: 'linux/amd64',
      layers
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
  schemaVersion: 2,
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
row('comment length for 300 variants', String(body.length), 'chars', `≤ ${COMMENT_LIMIT}`, body.length <= COMMENT_LIMIT)
const rss = process.memoryUsage().rss / 1e6
row('resident memory after the pure stages', rss.toFixed(0), 'MB', '≤ 300', rss <= 300)

if (process.argv.includes('--engine')) await engineRows()

const header = ['benchmark', 'value', 'unit', 'target', 'verdict']
const cells = rows.map((item) => [item.name, item.value, item.unit, item.target, item.verdict])
const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column].length)))
const line = (items) => `| ${items.map((item, column) => item.padEnd(widths[column])).join(' | ')} |`
console.log([line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n'))
console.log(
  `\nnode ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; pure stages: mean per iteration`
)

/** The engine rows: whole commands timed by wall clock, ratios of medians over interleaved pairs. */
async function engineRows() {
  const pairs = Number(process.env.BENCH_PAIRS ?? 3)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-bench-'))
  execFileSync('npx', [
    'tsc',
    '--outDir',
    path.join(work, 'support'),
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--types',
    'node',
    '--skipLibCheck',
    '__tests__/support/engine-proxy.ts'
  ])
  const { startEngineProxy } = await import(path.join(work, 'support', 'engine-proxy.js'))
  const { createEngine } = await import('../build/engine/index.js')
  const { readImageArchive } = await import('../build/measure/image-archive.js')
  const { compressedSizesFrom } = await import('../build/measure/build.js')
  const { imageBytesOf } = await import('../build/measure/bytes/facts.js')
  const proxy = await startEngineProxy()
  const engine = createEngine({ socketPath: proxy.socketPath })
  const info = await engine.info()
  // The raw builds' cache records (slimcheck prunes its own in a cold run) go at the end, as the engine was found.
  const cacheBefore = new Set(await engine.buildCacheIds())
  const env = { ...process.env, DOCKER_HOST: proxy.host, GITHUB_ACTIONS: '' }
  const buildxConfig = dockerWithBuildx()
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]
  // Asynchronous on purpose: the proxy that counts builds runs in this process and must keep passing data on.
  const seconds = (command, args, options = {}) =>
    new Promise((resolve, reject) => {
      const started = performance.now()
      const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...options })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)))
      child.on('error', reject)
      child.on('close', (status) => {
        if (status === 0) resolve((performance.now() - started) / 1000)
        else reject(new Error(`${command} ${args.join(' ')} exited ${status}: ${stderr}`))
      })
    })
  const slimcheck = (args) => seconds(process.execPath, ['bin/slimcheck.js', ...args, '-f', 'json', '-o', '/dev/null'])
  const buildxEnv = { ...env, DOCKER_CONFIG: buildxConfig, DOCKER_BUILDKIT: '1' }
  const rawBuild = async (dir, names) => {
    let total = 0
    for (const name of names) {
      const dockerfile = path.join(dir, `Dockerfile.${name}`)
      const args = ['build', '--no-cache', '-q', '-f', dockerfile, '-t', `slimcheck-bench/${name}:raw`, dir]
      total += await seconds('docker', args, { env: buildxEnv })
      // Untimed, as slimcheck removes its images too: the next pair's build would leave this one dangling.
      await seconds('docker', ['image', 'rm', '-f', `slimcheck-bench/${name}:raw`])
    }
    return total
  }
  const examples = (name, change) => {
    const dir = path.join(work, name)
    fs.cpSync('examples', dir, { recursive: true })
    fs.rmSync(path.join(dir, 'Dockerfile.conda')) // needs Docker Hub
    if (change) change(dir)
    return dir
  }
  const addCurl = (dir) => {
    const file = path.join(dir, 'Dockerfile.multistage')
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('python3 \\', 'python3 curl \\'))
  }
  const variants = ['slim', 'full', 'multistage']
  const where = `Docker ${info.version}, ${info.store === 'containerd' ? 'containerd' : 'classic'} store`

  // (a) a cold run against a plain docker build --no-cache of the same variants
  const main = examples('main')
  const stored = path.join(work, 'main-report.json')
  const raw = []
  const ours = []
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 ? ['ours', 'raw'] : ['raw', 'ours']
    for (const who of order) {
      if (who === 'raw') raw.push(await rawBuild(main, variants))
      else ours.push(await slimcheck(['run', '--dir', main, '--report-path', stored]))
    }
  }

  // What the image pass costs: slimcheck's one read of each image (sizes, compressed sizes, the conda check), timed
  // on the images of one more run: with gzip over every layer the classic store keeps uncompressed, without gzip, and
  // the engine's archive alone. On Docker 25+'s classic store a run skips layers it counted before (the shared base
  // image's, after the first variant), so there the first figure overstates a cold run a little; the containerd store
  // compresses nothing. Row (b)'s pass skips what the stored report counted, as a pull request's run does, but on
  // main's multistage image rather than the PR's, which has one layer more to compress: it understates a little.
  const keptReport = path.join(work, 'kept.json')
  await slimcheck(['run', '--dir', main, '--report-path', keptReport, '--keep-images'])
  const kept = JSON.parse(fs.readFileSync(keptReport, 'utf8')).variants.filter((variant) => variant.image)
  // A pull request's run compresses only layers the stored report did not count (named in Docker 25+'s archives).
  const storedReport = JSON.parse(fs.readFileSync(stored, 'utf8'))
  let known = new Map()
  // `mode`: 'gzip' is the pass as a run makes it, 'count' leaves out gzip, 'save' only drains the engine's archive.
  const passSeconds = async (variant, mode) => {
    const started = performance.now()
    const archive = await engine.saveImage(variant.image.id, variant.image.platform)
    if (mode === 'save') for await (const chunk of archive) void chunk
    else await readImageArchive(archive, { compressLayer: (diffId) => mode === 'gzip' && !known.has(diffId) })
    return (performance.now() - started) / 1000
  }
  const passes = new Map()
  for (const variant of kept) {
    passes.set(variant.name, {
      variant,
      whole: await passSeconds(variant, 'gzip'),
      read: await passSeconds(variant, 'count'),
      save: await passSeconds(variant, 'save')
    })
  }
  known = compressedSizesFrom(storedReport, storedReport.tool.version)
  const prPass = { ...passes.get('multistage'), whole: await passSeconds(passes.get('multistage').variant, 'gzip') }
  const sumOf = (pick) => [...passes.values()].reduce((total, pass) => total + pick(pass), 0)
  const passText = ({ whole, read, save }) =>
    `${whole.toFixed(1)} s is the image pass (${save.toFixed(1)} s of it the engine's docker save alone` +
    (info.store === 'containerd'
      ? ')'
      : `, ${(whole - read).toFixed(1)} s gzip for the compressed sizes, which the classic store does not keep; ` +
        'the three are timed one after another, so their differences carry the noise)')

  const coldRatio = median(ours) / median(raw)
  const coldPass = sumOf((pass) => pass.whole)
  row(
    `(a) cold run ÷ docker build --no-cache, 3 examples (${where})`,
    coldRatio.toFixed(3),
    '×',
    '≤ 1.05',
    coldRatio <= 1.05,
    `median ${median(ours).toFixed(1)} s against ${median(raw).toFixed(1)} s; of the ` +
      `${(median(ours) - median(raw)).toFixed(1)} s more, ${passText({
        whole: coldPass,
        read: sumOf((pass) => pass.read),
        save: sumOf((pass) => pass.save)
      })}; ` +
      `without it ${((median(ours) - coldPass) / median(raw)).toFixed(2)}×`
  )

  // (b) a pull request with a stored baseline against building its one changed variant
  const pr = examples('pr', addCurl)
  const prRaw = []
  const prOurs = []
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 ? ['ours', 'raw'] : ['raw', 'ours']
    for (const who of order) {
      if (who === 'raw') prRaw.push(await rawBuild(pr, ['multistage']))
      else
        prOurs.push(
          await slimcheck([
            'run',
            '--dir',
            pr,
            '--baseline-report',
            stored,
            '--report-path',
            path.join(work, 'pr.json')
          ])
        )
    }
  }
  const prRatio = median(prOurs) / median(prRaw)
  row(
    '(b) PR against a stored baseline ÷ docker build of its changed variant',
    prRatio.toFixed(3),
    '×',
    '≤ 1.10',
    prRatio <= 1.1,
    `median ${median(prOurs).toFixed(1)} s against ${median(prRaw).toFixed(1)} s; of the ` +
      `${(median(prOurs) - median(prRaw)).toFixed(1)} s more, ` +
      `${passText(prPass)}; without it ${((median(prOurs) - prPass.whole) / median(prRaw)).toFixed(2)}×`
  )

  // (c) a pull request that touches no variant input
  const untouched = examples('untouched')
  let before = proxy.builds()
  const idle = await slimcheck([
    'run',
    '--dir',
    untouched,
    '--baseline-report',
    stored,
    '--report-path',
    path.join(work, 'idle.json')
  ])
  const idleBuilds = proxy.builds() - before
  row(
    '(c) PR touching no variant input: builds the engine received',
    String(idleBuilds),
    'builds',
    '= 0',
    idleBuilds === 0
  )
  row('(c) PR touching no variant input: wall time', idle.toFixed(1), 's', '< 10', idle < 10)

  // (d) --base with k of n variants changed builds n + k
  const repo = examples('repo')
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: repo })
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '-m', 'main')
  git('checkout', '-q', '-b', 'pr')
  addCurl(repo)
  git('commit', '-q', '-am', 'pr')
  before = proxy.builds()
  await slimcheck(['run', '--dir', repo, '--base', 'main', '--report-path', path.join(work, 'base.json')])
  const baseBuilds = proxy.builds() - before
  row(
    '(d) --base with 1 of 3 variants changed: builds the engine received',
    String(baseBuilds),
    'builds',
    '= 3 + 1',
    baseBuilds === 4
  )

  // (e) two shards merged against one unsharded run: the same variants and numbers
  const shardDir = path.join(work, 'shards')
  fs.mkdirSync(shardDir)
  for (const [index, kilobytes] of [64, 128, 256, 512, 1024, 2048].entries()) {
    fs.writeFileSync(
      path.join(shardDir, `Dockerfile.v${index}`),
      `FROM slimcheck/busybox:test\nRUN dd if=/dev/zero of=/blob bs=1024 count=${kilobytes}\n`
    )
  }
  const whole = path.join(work, 'whole.json')
  await slimcheck(['run', '--dir', shardDir, '--report-path', whole])
  const legs = [1, 2].map((leg) => path.join(work, `leg-${leg}.json`))
  for (const [index, leg] of legs.entries()) {
    await slimcheck(['run', '--dir', shardDir, '--shard', `${index + 1}/2`, '--report-path', leg])
  }
  const merged = path.join(work, 'merged.json')
  await seconds(process.execPath, [
    'bin/slimcheck.js',
    'merge',
    ...legs,
    '--report-path',
    merged,
    '-f',
    'json',
    '-o',
    '/dev/null'
  ])
  const sizes = (file) =>
    JSON.parse(fs.readFileSync(file, 'utf8'))
      .variants.map((item) => `${item.name}=${item.image?.sizeBytes ?? item.status}`)
      .sort()
  const same = JSON.stringify(sizes(whole)) === JSON.stringify(sizes(merged))
  row(
    '(e) 2 shards merged ÷ unsharded: variants and sizes equal',
    same ? `${sizes(whole).length} of ${sizes(whole).length}` : 'differ',
    'variants',
    'all equal',
    same
  )

  // (f) What explaining sizes (the byte replay, the byte rules, packages and directories) adds to the image pass: on
  // the examples, and on images of 110,000 small files.
  const explainSeconds = async (variant) => {
    const archive = await engine.saveImage(variant.image.id, variant.image.platform)
    const read = await readImageArchive(archive, { compressLayer: () => false })
    const layers = read.contents.map((content) => ({ ...content, compressionRatio: 1 }))
    const times = []
    for (let round = 0; round < 3; round++) {
      const started = performance.now()
      imageBytesOf(layers)
      times.push((performance.now() - started) / 1000)
    }
    return median(times)
  }
  let explained = 0
  for (const pass of passes.values()) explained += await explainSeconds(pass.variant)
  const examplesShare = explained / coldPass
  row(
    '(f) explaining sizes ÷ image pass, 3 examples',
    examplesShare.toFixed(3),
    '×',
    '≤ 0.05',
    examplesShare <= 0.05,
    `${(explained * 1000).toFixed(0)} ms of a ${coldPass.toFixed(1)} s pass`
  )
  // 110,000 small files: every file a path to replay. A later layer deletes some of them, or rewrites all of them
  // (`chown -R`, which copies each file up), so that two layers write every directory.
  const createFiles =
    'RUN for d in $(seq 1 500); do mkdir -p /app/node_modules/p$d; for f in $(seq 1 220); do ' +
    'echo "module.exports = $f // $(printf %080d 0)" > /app/node_modules/p$d/f$f.js; done; done'
  const manyImages = [
    ['110,000 small files, 24,420 deleted by a later layer', 'RUN rm -rf /app/node_modules/p1*'],
    ['110,000 small files, all rewritten by a later layer', 'RUN chown -R 1000:1000 /app/node_modules']
  ]
  for (const [index, [label, lastLine]] of manyImages.entries()) {
    const manyDir = path.join(work, `many${index}`)
    fs.mkdirSync(manyDir)
    fs.writeFileSync(
      path.join(manyDir, 'Dockerfile.many'),
      ['FROM slimcheck/busybox:test', createFiles, lastLine, ''].join('\n')
    )
    const manyReport = path.join(work, `many${index}.json`)
    await slimcheck(['run', '--dir', manyDir, '--report-path', manyReport, '--keep-images'])
    const [many] = JSON.parse(fs.readFileSync(manyReport, 'utf8')).variants
    if (!many?.image) throw new Error(`the image of ${label} was not built: ${many?.failure?.message ?? 'no variant'}`)
    known = new Map()
    const manyPass = median([
      await passSeconds(many, 'gzip'),
      await passSeconds(many, 'gzip'),
      await passSeconds(many, 'gzip')
    ])
    const manyExplained = await explainSeconds(many)
    const manyShare = manyExplained / manyPass
    row(
      `(f) explaining sizes ÷ image pass, ${label}`,
      manyShare.toFixed(3),
      '×',
      '≤ 0.05',
      manyShare <= 0.05,
      `${(manyExplained * 1000).toFixed(0)} ms of a ${manyPass.toFixed(1)} s pass`
    )
    await engine.removeImage(many.image.id).catch(() => undefined)
  }

  // The image pass of the largest example against its own build
  const full = passes.get('full')
  const share = full.whole / full.variant.build.seconds
  row(
    `image pass of full (${(full.variant.image.sizeBytes / 1e6).toFixed(0)} MB): archive read, counted${info.store === 'containerd' ? '' : ', gzipped'}`,
    full.whole.toFixed(2),
    's',
    '≤ 10% of its build',
    share <= 0.1,
    `${(share * 100).toFixed(0)}% of a ${full.variant.build.seconds.toFixed(1)} s build; reading and counting ` +
      `${full.read.toFixed(1)} s, the engine's docker save alone ${full.save.toFixed(1)} s ` +
      `(${(full.variant.image.sizeBytes / 1e6 / full.save).toFixed(0)} MB/s of image)`
  )
  for (const { variant } of passes.values()) await engine.removeImage(variant.image.id).catch(() => undefined)
  await engine.pruneBuildCacheSince(cacheBefore)
  await proxy.close()
}

/** A DOCKER_CONFIG whose docker CLI has buildx: the user's own, else Debian's plugin through scripts/engines.sh. */
function dockerWithBuildx() {
  const own = spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore' })
  if (own.status === 0) return process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker')
  const printed = execFileSync('bash', ['scripts/engines.sh', 'buildx'], { encoding: 'utf8' })
  return printed.trim().replace(/^DOCKER_CONFIG=/, '')
}
