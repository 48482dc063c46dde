/** The command line: the same pipeline as the action, printed for a terminal (text), a PR (markdown) or a machine (json). */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { baseWorktree } from './baseline.js'
import { renderComment } from './comment.js'
import { compareReports, failOnViolations, runFailures } from './compare.js'
import { InputError, parseChoice, parseSettings, settingsWarnings, type RawInputs, type Settings } from './config.js'
import { findDockerfiles, variantNameFor } from './discover.js'
import { createEngine } from './engine.js'
import { terminalLogger, type Logger } from './log.js'
import { analyzeVariant, runPipelines, variantReport, type Side } from './pipeline.js'
import { renderReportMarkdown, renderText, writeReport } from './report.js'
import { SCHEMA_VERSION, type BaselineInfo, type Comparison, type Report, type Variant } from './types.js'
import { VERSION } from './version.js'

const USAGE = `slimcheck ${VERSION}: measure and check every Dockerfile variant

Usage:
  slimcheck analyze [FILE|DIR...] [--format text|markdown|json] [--fail-on LIST] [--target T] [--build-arg K=V]...
      Static checks only (no Docker engine needed). Default: the current directory.
  slimcheck run [--dir DIR] [--base REF] [--runs N] [--format text|markdown|json] [--output FILE]
                [--report-path FILE] [--variants YAML] [--config-file FILE] [--exclude GLOBS] [--fail-on LIST]
                [--max-size-increase L] [--max-build-time-increase P] [--max-size B]
                [--cache cold|warm] [--build-timeout 20m] [--build-arg K=V]... [--platform P] [--verbose]
      Discover, build with the engine at DOCKER_HOST, measure and check. With --base, also build the git
      ref REF of DIR's repository in a separate worktree (interleaved) and diff against it, as on a pull
      request; --format markdown then prints the pull-request comment. Writes the JSON report
      (default DIR/slimcheck-report.json) and prints the chosen format.

Exit status: 0 when nothing in fail-on was found and every build succeeded, 1 otherwise, 2 for bad usage.
`

const FORMATS = ['text', 'markdown', 'json'] as const
type Format = (typeof FORMATS)[number]

const OPTIONS = {
  format: { type: 'string', default: 'text' },
  output: { type: 'string' },
  dir: { type: 'string', default: '.' },
  'report-path': { type: 'string' },
  variants: { type: 'string' },
  'config-file': { type: 'string' },
  exclude: { type: 'string' },
  'fail-on': { type: 'string' },
  base: { type: 'string' },
  runs: { type: 'string' },
  'max-size-increase': { type: 'string' },
  'max-build-time-increase': { type: 'string' },
  'max-size': { type: 'string' },
  'allowed-conda-images': { type: 'string' },
  cache: { type: 'string' },
  'build-timeout': { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  platform: { type: 'string' },
  target: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false }
} as const

export async function main(
  argv: string[],
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr
): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  } catch (error) {
    stderr.write(`slimcheck: ${(error as Error).message}\n\n${USAGE}`)
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
      'allowed-conda-images': values['allowed-conda-images'],
      cache: values.cache,
      'build-timeout': values['build-timeout'],
      'build-args': (values['build-arg'] ?? []).join('\n'),
      platform: values.platform,
      'report-path': values['report-path'],
      runs: values.runs,
      'max-size-increase': values['max-size-increase'],
      'max-build-time-increase': values['max-build-time-increase'],
      'max-size': values['max-size']
    }
    if (command === 'analyze') {
      const settings = parseSettings(raw)
      return emit(analyze(settings, paths, values.target), format, values.output, stdout, settings)
    }
    if (command === 'run') {
      if (paths.length) throw new InputError(`run takes no paths (got ${paths.join(' ')}); use --dir`)
      const settings = parseSettings(raw)
      for (const warning of settingsWarnings(settings)) stderr.write(`warning: ${warning}\n`)
      const { head, base, comparison } = await measure(settings, values.base, terminalLogger(stderr, values.verbose))
      const report: Report = base ? { ...head, comparison } : head
      writeReport(report, settings.reportPath)
      stderr.write(`report: ${settings.reportPath}\n`)
      const markdown = renderComment(head, base, comparison, { key: 'cli', baseLabel: values.base ?? 'base' }, Infinity)
      write(
        format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === 'markdown'
            ? markdown
            : renderText(report),
        values.output,
        stdout
      )
      return comparison.violations.length ? 1 : 0
    }
    throw new InputError(`unknown command '${command}'; use analyze or run`)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    stderr.write(`slimcheck: ${error.message}\n`)
    return 2
  }
}

/** Builds DIR, and with a base ref also that commit in a worktree, interleaved; then compares. */
async function measure(
  settings: Settings,
  baseRef: string | undefined,
  logger: Logger
): Promise<{ head: Report; base?: Report; comparison: Comparison }> {
  const baseSha = baseRef ? await resolveCommit(settings.workspace, baseRef) : undefined
  const worktree = baseSha
    ? await baseWorktree(settings, baseSha, logger).catch((error: Error) => {
        throw new InputError(`--base: cannot check out ${baseRef} into a worktree: ${error.message}`)
      })
    : undefined
  const head: Side = { label: 'head', settings }
  const sides = worktree ? [{ label: 'base', settings: worktree.settings }, head] : [head]
  try {
    const reports = await runPipelines({ sides, engine: createEngine(), logger, version: VERSION, runs: settings.runs })
    const base = worktree ? reports[0] : undefined
    const info: BaselineInfo = baseSha
      ? { source: 'build', commit: baseSha }
      : { source: 'none', note: 'no --base given' }
    const headReport = reports[reports.length - 1]
    return { head: headReport, base, comparison: compareReports(base, headReport, info, settings.policy) }
  } finally {
    await worktree?.cleanup()
  }
}

async function resolveCommit(dir: string, ref: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: dir
    })
    return stdout.trim()
  } catch {
    throw new InputError(`--base: '${ref}' is not a commit of the git repository at ${dir}`)
  }
}

/** Static analysis of the named files and every Dockerfile under the named directories. */
function analyze(settings: Settings, paths: string[], target: string | undefined): Report {
  const variants: Variant[] = []
  for (const given of paths.length ? paths : ['.']) {
    const absolute = path.resolve(given)
    const files =
      fs.existsSync(absolute) && fs.statSync(absolute).isDirectory()
        ? findDockerfiles(absolute, settings.exclude).map((file) => path.join(absolute, file))
        : [absolute]
    if (files.length === 0) throw new InputError(`no Dockerfile found under ${given}`)
    for (const file of files) {
      const relative = path.relative(settings.workspace, file).split(path.sep).join('/')
      variants.push({
        name: variantNameFor(relative),
        dockerfile: relative,
        context: path.posix.dirname(relative),
        target,
        buildArgs: settings.buildArgs
      })
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: VERSION },
    createdAt: new Date().toISOString(),
    problems: [],
    variants: variants.map((variant) => {
      const analyzed = analyzeVariant(variant, settings)
      return variantReport(
        analyzed,
        analyzed.blocker ? { status: 'failed', failure: { message: analyzed.blocker, logTail: [] } } : {}
      )
    })
  }
}

function write(text: string, output: string | undefined, stdout: NodeJS.WritableStream): void {
  if (output) fs.writeFileSync(output, text)
  else stdout.write(text)
}

function emit(
  report: Report,
  format: Format,
  output: string | undefined,
  stdout: NodeJS.WritableStream,
  settings: Settings
): number {
  write(
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'markdown'
        ? renderReportMarkdown(report)
        : renderText(report),
    output,
    stdout
  )
  return runFailures(report).length || failOnViolations(report, settings.policy.failOn).length ? 1 : 0
}
