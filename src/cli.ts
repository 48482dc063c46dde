/**
 * The command line: the same pipeline as the action, printed for a terminal (text), a PR (markdown) or a machine (json,
 * sarif).
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { baseWorktree, commitOf, parseStoredReport } from './baseline.js'
import { renderComment } from './report/comment.js'
import { compareReports, uncheckedIn } from './compare/index.js'
import {
  checkWritableFile,
  InputError,
  parseChoice,
  parseSettings,
  settingsWarnings,
  withOutputFile,
  type RawInputs,
  type Settings
} from './config.js'
import { findDockerfiles, variantNameFor } from './discover.js'
import { inspectImages } from './inspect.js'
import { createEngine } from './engine/index.js'
import { terminalLogger, type Logger } from './log.js'
import { findReportFiles, readPartialReports } from './shards/files.js'
import { mergeShards } from './shards/merge.js'
import { runPipeline, runPipelines, type Side } from './pipeline.js'
import { analyzeVariant, variantReport } from './measure/variants.js'
import { renderReportMarkdown, writeReport } from './report/index.js'
import { renderSarif } from './report/sarif.js'
import { partialReport, shardSelection, type ShardSelection } from './shards/split.js'
import { paintFor, renderComparisonText, renderText, term, type Paint } from './report/text.js'
import { SCHEMA_VERSION, type BaselineInfo, type Comparison, type Report, type Variant } from './types.js'
import { VERSION } from './version.js'

const USAGE = `slimcheck ${VERSION}: measure and check every Dockerfile variant

Usage:
  slimcheck analyze [FILE|DIR|-...] [-f text|markdown|json|sarif] [-o FILE] [--fail-on LIST] [--target T]
                    [--build-arg K=V]...
      Static checks only (no Docker engine needed). Default: the current directory; - reads a Dockerfile
      from standard input.
  slimcheck run [--dir DIR] [--base REF | --baseline-report FILE] [--runs N] [-f text|markdown|json|sarif] [-o FILE]
                [--report-path FILE] [--variants YAML] [--config-file FILE] [--exclude GLOBS] [--fail-on LIST]
                [--fail-on-inherited] [--max-size-increase L] [--max-build-time-increase P] [--max-size B]
                [--size-metric uncompressed|compressed] [--size-noise-threshold L] [--byte-findings-threshold T]
                [--cache cold|warm] [--build-timeout 20m] [--build-arg K=V]... [--secret ID=VALUE]...
                [--secret-file ID=PATH]... [--platform P] [--rebuild] [--keep-images] [--shard I/N] [--verbose]
      Discover, build with the engine at DOCKER_HOST, measure and check. With --base, also build the git
      ref REF of DIR's repository in a separate worktree (interleaved) and diff against it, as on a pull
      request: text prints the comparison and the verdict, markdown the pull-request comment. Writes the
      JSON report (default DIR/slimcheck-report.json) and prints the chosen format. With
      --baseline-report, a report an earlier run wrote is the baseline: variants whose inputs are unchanged
      since are not rebuilt, their measurement is carried forward (--rebuild builds them anyway).
      With --shard I/N, only shard I of N (split by the baseline report's build times, else evenly):
      the report is a partial report for merge, and the exit status is 1 only when it could not measure.
      --secret and --secret-file (PATH from the current directory) serve RUN --mount=type=secret,id=ID;
      values are never printed or stored. Prefer --secret-file: other users can see a command line.
  slimcheck inspect IMAGE... [-f text|markdown|json|sarif] [-o FILE] [--fail-on LIST]
                    [--byte-findings-threshold T] [--platform P]
      The image pass of run for images the engine holds, built by anything (pulled first when it does not
      hold them, with the Docker CLI's registry credentials): sizes, layers, compressed sizes, conda in the
      image and the byte findings, which name layers (layer 4: the instruction its history records).
  slimcheck merge REPORT... [-f text|markdown|json|sarif] [-o FILE] [--report-path FILE] [--fail-on LIST]
                  [--fail-on-inherited] [--max-size-increase L] [--max-build-time-increase P] [--max-size B]
                  [--size-metric uncompressed|compressed] [--size-noise-threshold L]
      Merge the partial reports of every shard (files, directories of .json files, or globs) into one
      report (default ./slimcheck-report.json), compare it again and print it as run does. A missing
      shard or a variant no shard measured is a problem that fails the policy.
  slimcheck -V | --version
  slimcheck -h | --help

Text is coloured on a terminal (NO_COLOR turns colours off, FORCE_COLOR on). Inside a GitHub Actions
workflow, text and Markdown on standard output are wrapped so that the runner takes no line as a command.

Exit status: 0 when the policy passed, 1 for a violation (a finding in fail-on that is new against --base,
a failed build, a limit), 2 for bad usage, 3 for an unexpected error (with --verbose, its stack follows).
`

const FORMATS = ['text', 'markdown', 'json', 'sarif'] as const
type Format = (typeof FORMATS)[number]

const OPTIONS = {
  format: { type: 'string', short: 'f', default: 'text' },
  output: { type: 'string', short: 'o' },
  dir: { type: 'string', default: '.' },
  'report-path': { type: 'string' },
  variants: { type: 'string' },
  'config-file': { type: 'string' },
  exclude: { type: 'string' },
  'fail-on': { type: 'string' },
  'fail-on-inherited': { type: 'boolean', default: false },
  base: { type: 'string' },
  'baseline-report': { type: 'string' },
  shard: { type: 'string' },
  rebuild: { type: 'boolean', default: false },
  'keep-images': { type: 'boolean', default: false },
  secret: { type: 'string', multiple: true },
  'secret-file': { type: 'string', multiple: true },
  runs: { type: 'string' },
  'max-size-increase': { type: 'string' },
  'max-build-time-increase': { type: 'string' },
  'max-size': { type: 'string' },
  'size-metric': { type: 'string' },
  'size-noise-threshold': { type: 'string' },
  'byte-findings-threshold': { type: 'string' },
  'allowed-conda-images': { type: 'string' },
  cache: { type: 'string' },
  'build-timeout': { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  platform: { type: 'string' },
  target: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'V', default: false }
} as const

type OptionName = keyof typeof OPTIONS

function optionNamed(arg: string): OptionName | undefined {
  const long = /^--(.+)$/.exec(arg)?.[1]
  if (long !== undefined) return Object.hasOwn(OPTIONS, long) ? (long as OptionName) : undefined
  const names = Object.keys(OPTIONS) as OptionName[]
  return names.find((name) => {
    const { short } = OPTIONS[name] as { short?: string }
    return short !== undefined && `-${short}` === arg
  })
}

/**
 * A value right after a string option that starts with a dash and white space (`--variants "- dockerfile: x"`, a
 * YAML list) cannot be an option: it is joined to its option as `--variants=- dockerfile: x`, the form parseArgs
 * takes, where it would otherwise refuse it as possibly a forgotten value.
 */
export function joinDashValues(argv: readonly string[]): string[] {
  const joined: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const [arg, next] = [argv[index], argv[index + 1]]
    if (arg === '--') return [...joined, ...argv.slice(index)]
    const name = optionNamed(arg)
    if (name && OPTIONS[name].type === 'string' && next !== undefined && /^-\s/.test(next)) {
      joined.push(`--${name}=${next}`)
      index++
    } else joined.push(arg)
  }
  return joined
}

/** For the first option that slimcheck does not have: says so, suggesting the nearest one it has. */
function unknownOptionMessage(argv: string[]): string | undefined {
  const args = joinDashValues(argv)
  const { tokens } = parseArgs({ args, options: OPTIONS, strict: false, tokens: true })
  const unknown = tokens.find((token) => token.kind === 'option' && !Object.hasOwn(OPTIONS, token.name))
  if (!unknown) return undefined
  const given = args[unknown.index].split('=')[0]
  const nearest = nearestOption(given.replace(/^-+/, ''))
  return `unknown option '${given}'${nearest ? `; did you mean --${nearest}?` : ''}`
}

function nearestOption(given: string): string | undefined {
  const [nearest] = Object.keys(OPTIONS)
    .map((name) => ({ name, distance: editDistance(given, name) }))
    .sort((a, b) => a.distance - b.distance)
  return nearest && nearest.distance <= 2 ? nearest.name : undefined
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: AsyncIterable<string | Buffer> | Iterable<string | Buffer>
  env: NodeJS.ProcessEnv
  /** Standard output is a terminal: text is coloured. */
  stdoutIsTTY: boolean
  /** Standard output is a regular file (a redirect): nothing written there reaches a runner's log. */
  stdoutIsFile: boolean
}

/** `ID=PATH` with PATH taken from the current directory, as `docker build --secret src=…` takes it. */
function fromHere(line: string): string {
  const equals = line.indexOf('=')
  return equals < 0 ? line : `${line.slice(0, equals + 1)}${path.resolve(line.slice(equals + 1).trim())}`
}

function processIo(): CliIo {
  let stdoutIsFile = false
  try {
    stdoutIsFile = fs.fstatSync(1).isFile()
  } catch {
    // no standard output to inspect
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stdoutIsFile
  }
}

/**
 * Inside a workflow the runner reads commands (`::error::`, `##[add-mask]…`) from every line a step prints, on
 * standard output and standard error alike: text from Dockerfiles and build logs must not be one.
 */
function underRunner(io: CliIo): boolean {
  return io.env.GITHUB_ACTIONS === 'true'
}

/** Output between `::stop-commands::TOKEN` and `::TOKEN::`: the runner executes nothing in between. */
export function withoutRunnerCommands(text: string, token: string = randomUUID()): string {
  return `::stop-commands::${token}\n${text}${text.endsWith('\n') ? '' : '\n'}::${token}::\n`
}

/**
 * JSON for machines, which a pipe may hand on to a runner: no line starts with `::` in indented JSON, and the one
 * command form that works anywhere in a line, `##[`, is written `#\u0023[` (the same string to a JSON parser).
 */
export function runnerSafeJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/##\[/g, '#\\u0023[')}\n`
}

export async function main(argv: string[], given: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = { ...processIo(), ...given }
  const { stdout, stderr } = io
  let parsed
  try {
    parsed = parseArgs({ args: joinDashValues(argv), options: OPTIONS, allowPositionals: true })
  } catch (error) {
    const unknown = (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    const message = (unknown && unknownOptionMessage(argv)) || (error as Error).message
    stderr.write(`slimcheck: ${term(message)}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.version) {
    stdout.write(`${VERSION}\n`)
    return 0
  }
  const [command, ...paths] = positionals
  if (values.help || !command) {
    ;(values.help ? stdout : stderr).write(USAGE)
    return values.help ? 0 : 2
  }
  try {
    const format = parseChoice('--format', values.format, FORMATS)
    const raw: RawInputs = {
      'working-directory': command === 'run' ? values.dir : '.',
      variants: values.variants,
      'config-file': values['config-file'],
      exclude: values.exclude,
      'fail-on': values['fail-on'],
      'fail-on-inherited': String(values['fail-on-inherited']),
      'allowed-conda-images': values['allowed-conda-images'],
      'byte-findings-threshold': values['byte-findings-threshold'],
      cache: values.cache,
      'build-timeout': values['build-timeout'],
      'build-args': (values['build-arg'] ?? []).join('\n'),
      secrets: (values.secret ?? []).join('\n'),
      'secret-files': (values['secret-file'] ?? []).map(fromHere).join('\n'),
      rebuild: String(values.rebuild),
      'keep-images': String(values['keep-images']),
      shard: values.shard,
      platform: values.platform,
      'report-path': values['report-path'],
      runs: values.runs,
      'max-size-increase': values['max-size-increase'],
      'max-build-time-increase': values['max-build-time-increase'],
      'max-size': values['max-size'],
      'size-metric': values['size-metric'],
      'size-noise-threshold': values['size-noise-threshold']
    }
    const output = { format, file: values.output, paint: paintFor(io.stdoutIsTTY && !values.output, io.env) }
    if (output.file) checkWritableFile('--output', path.resolve(output.file))
    if (command === 'analyze') {
      const settings = parseSettings(raw, undefined, [])
      const report = await analyze(settings, paths, values.target, io)
      const comparison = compareReports(undefined, report, { source: 'none', note: 'static analysis' }, settings.policy)
      deliver(render(output, { head: report, comparison, document: report }, 'base'), output, io)
      return comparison.violations.length ? 1 : 0
    }
    if (command === 'run') {
      if (paths.length) throw new InputError(`run takes no paths (got ${paths.join(' ')}); use --dir`)
      const parsed = parseSettings(raw, undefined, ['report-path'])
      const settings = output.file ? withOutputFile(parsed, path.resolve(output.file)) : parsed
      for (const warning of settingsWarnings(settings)) stderr.write(`warning: ${term(warning)}\n`)
      const token = randomUUID()
      if (underRunner(io)) stderr.write(`::stop-commands::${token}\n`)
      const baseline = { ref: values.base, report: values['baseline-report'] }
      const measured = await measure(settings, baseline, terminalLogger(stderr, values.verbose)).finally(() => {
        if (underRunner(io)) stderr.write(`::${token}::\n`)
      })
      const { head, base, comparison, selection } = measured
      const document = selection
        ? partialReport(head, base, base ? comparison : undefined, selection)
        : withComparison(head, base, comparison)
      writeReport(document, settings.reportPath)
      if (selection) {
        const { index, total } = selection.info
        stderr.write(
          `partial report of shard ${index}/${total}: ${term(settings.reportPath)}; judge with slimcheck merge\n`
        )
      } else stderr.write(`report: ${term(settings.reportPath)}\n`)
      deliver(render(output, { head, base, comparison, document }, values.base ?? 'base'), output, io)
      if (selection) return uncheckedIn(head).length ? 1 : 0
      return comparison.violations.length ? 1 : 0
    }
    if (command === 'inspect') {
      if (!paths.length) throw new InputError('inspect needs the images: slimcheck inspect IMAGE...')
      const settings = parseSettings(raw, undefined, [])
      const head = await inspectImages({
        references: paths,
        engine: createEngine(),
        settings,
        logger: terminalLogger(stderr, values.verbose),
        version: VERSION
      })
      const comparison = compareReports(undefined, head, { source: 'none', note: 'inspect' }, settings.policy)
      deliver(render(output, { head, comparison, document: head }, 'base'), output, io)
      return comparison.violations.length ? 1 : 0
    }
    if (command === 'merge') {
      if (!paths.length) throw new InputError('merge needs the partial reports: slimcheck merge REPORT...')
      if (values.shard) throw new InputError('--shard: merge builds nothing; the legs that it merges take --shard')
      const settings = parseSettings(raw, undefined, ['report-path'])
      const cwd = process.cwd()
      const partials = readPartialReports(findReportFiles('merge', paths, cwd), cwd)
      const noBaseline: BaselineInfo = { source: 'none', note: 'the shards were run without --base' }
      const { head, base, comparison } = mergeShards(partials, settings.policy, noBaseline)
      const document = withComparison(head, base, comparison)
      writeReport(document, settings.reportPath)
      stderr.write(`report: ${term(settings.reportPath)}\n`)
      deliver(render(output, { head, base, comparison, document }, 'base'), output, io)
      return comparison.violations.length ? 1 : 0
    }
    throw new InputError(`unknown command '${command}'; use analyze, run, inspect or merge`)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    stderr.write(`slimcheck: ${term(error.message)}\n`)
    return 2
  }
}

interface Output {
  format: Format
  file?: string
  paint: Paint
}

/** What a command shows: the reports, their comparison, and `document`, the JSON report it writes (if any). */
interface Outcome {
  head: Report
  base?: Report
  comparison: Comparison
  document: Report
}

/** The report as written: with a baseline, it holds the comparison. */
function withComparison(head: Report, base: Report | undefined, comparison: Comparison): Report {
  return base ? { ...head, comparison } : head
}

/**
 * The outcome in the chosen format: json is the report document itself (a leg's is the partial report that merge
 * takes); with a baseline, text is the comparison and markdown the pull-request comment.
 */
function render(output: Output, { head, base, comparison, document }: Outcome, baseLabel: string): string | object {
  switch (output.format) {
    case 'json':
      return document
    case 'sarif':
      return renderSarif(head, { version: VERSION, comparison })
    case 'markdown':
      return base
        ? renderComment(head, base, comparison, { key: 'cli', baseLabel }, Infinity)
        : renderReportMarkdown(head)
    case 'text':
      return base
        ? renderComparisonText(head, base, comparison, baseLabel, output.paint)
        : renderText(head, output.paint, comparison)
  }
}

/** A file gets JSON as the report file holds it; standard output, which a runner may read, runner-safe JSON. */
function deliver(rendered: string | object, output: Output, io: CliIo): void {
  if (output.file)
    fs.writeFileSync(output.file, typeof rendered === 'string' ? rendered : `${JSON.stringify(rendered, null, 2)}\n`)
  else if (typeof rendered !== 'string') io.stdout.write(runnerSafeJson(rendered))
  else if (underRunner(io) && !io.stdoutIsFile) io.stdout.write(withoutRunnerCommands(rendered))
  else io.stdout.write(rendered)
}

/** Builds DIR, and with a base ref also that commit in a worktree, interleaved; then compares. */
async function measure(
  settings: Settings,
  baseline: { ref?: string; report?: string },
  logger: Logger
): Promise<Measured> {
  if (baseline.ref && baseline.report) throw new InputError('--base and --baseline-report exclude each other')
  if (baseline.report) return measureAgainstReport(settings, baseline.report, logger)
  const baseRef = baseline.ref
  const baseSha = baseRef ? await resolveCommit(settings.workspace, baseRef) : undefined
  const worktree = baseSha
    ? await baseWorktree(settings, baseSha, logger).catch((error: Error) => {
        throw new InputError(`--base: cannot check out ${baseRef} into a worktree: ${error.message}`)
      })
    : undefined
  const head: Side = { label: 'head', settings }
  const sides = worktree ? [{ label: 'base', settings: worktree.settings, shared: worktree.shared }, head] : [head]
  const selection = settings.shard ? shardSelection(settings.shard) : undefined
  try {
    const reports = await runPipelines({
      sides,
      engine: createEngine(),
      logger,
      version: VERSION,
      runs: settings.runs,
      ...selectFor(selection)
    })
    const base = worktree ? reports[0] : undefined
    const info: BaselineInfo = baseSha
      ? { source: 'build', commit: baseSha }
      : { source: 'none', note: 'no --base given' }
    const headReport = reports[reports.length - 1]
    const comparison = compareReports(base, headReport, info, settings.policy)
    return { head: headReport, base, comparison, ...(selection ? { selection } : {}) }
  } finally {
    await worktree?.cleanup()
  }
}

/** The head measured against a report an earlier run wrote; variants whose inputs are unchanged are carried. */
async function measureAgainstReport(settings: Settings, file: string, logger: Logger): Promise<Measured> {
  let stored: Report
  try {
    stored = parseStoredReport(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    throw new InputError(`--baseline-report: cannot use ${file}: ${(error as Error).message}`)
  }
  const selection = settings.shard ? shardSelection(settings.shard, stored) : undefined
  const head = await runPipeline({
    settings,
    engine: createEngine(),
    logger,
    version: VERSION,
    runs: settings.runs,
    carry: { report: stored },
    ...selectFor(selection)
  })
  const info: BaselineInfo = { source: 'report', ...(stored.commit ? { commit: stored.commit } : {}), note: file }
  const comparison = compareReports(stored, head, info, settings.policy)
  return { head, base: stored, comparison, ...(selection ? { selection } : {}) }
}

interface Measured {
  head: Report
  base?: Report
  comparison: Comparison
  /** Set with --shard: this run's part of the variants. */
  selection?: ShardSelection
}

function selectFor(selection: ShardSelection | undefined): { select?: (names: string[]) => Set<string> } {
  return selection ? { select: (names) => selection.select(names) } : {}
}

async function resolveCommit(dir: string, ref: string): Promise<string> {
  const commit = await commitOf(dir, ref)
  if (!commit) throw new InputError(`--base: '${ref}' is not a commit of the git repository at ${dir}`)
  return commit
}

/** Static analysis of the named files, every Dockerfile under the named directories, and `-` (standard input). */
async function analyze(
  settings: Settings,
  paths: string[],
  target: string | undefined,
  io: Pick<CliIo, 'stdin' | 'stderr'>
): Promise<Report> {
  const variants: Report['variants'] = []
  const warn = (message: string): void => void io.stderr.write(`warning: ${term(message)}\n`)
  for (const given of paths.length ? paths : ['.']) {
    if (given === '-') {
      variants.push(await analyzeStdin(settings, target, io.stdin))
      continue
    }
    const absolute = path.resolve(given)
    if (!fs.existsSync(absolute)) throw new InputError(`analyze: ${given} does not exist`)
    const files = fs.statSync(absolute).isDirectory()
      ? findDockerfiles(absolute, settings.exclude, warn).map((file) => path.join(absolute, file))
      : [absolute]
    if (files.length === 0) throw new InputError(`no Dockerfile found under ${given}`)
    for (const file of files) {
      const relative = path.relative(settings.workspace, file).split(path.sep).join('/')
      const variant: Variant = {
        name: variantNameFor(relative),
        dockerfile: relative,
        context: path.posix.dirname(relative),
        target,
        buildArgs: settings.buildArgs
      }
      variants.push(staticReport(variant, settings))
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: VERSION },
    createdAt: new Date().toISOString(),
    problems: [],
    variants
  }
}

function staticReport(variant: Variant, settings: Settings): Report['variants'][number] {
  const analyzed = analyzeVariant(variant, settings)
  return variantReport(
    analyzed,
    analyzed.blocker ? { status: 'failed', failure: { message: analyzed.blocker, logTail: [] } } : {}
  )
}

/** A Dockerfile read from standard input, reported as file `-`; analyzed from a private copy in a temporary folder. */
async function analyzeStdin(
  settings: Settings,
  target: string | undefined,
  stdin: CliIo['stdin']
): Promise<Report['variants'][number]> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-stdin-'))
  try {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), Buffer.concat(chunks))
    const variant: Variant = {
      name: 'stdin',
      dockerfile: 'Dockerfile',
      context: '.',
      target,
      buildArgs: settings.buildArgs
    }
    const report = staticReport(variant, { ...settings, workspace: dir })
    return { ...report, dockerfile: '-', findings: report.findings.map((finding) => ({ ...finding, file: '-' })) }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
