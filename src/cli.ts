/** The command line: the same pipeline as the action, printed for a terminal (text), a PR (markdown) or a machine (json). */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { failOnViolations, runFailures } from './compare.js'
import { InputError, parseChoice, parseSettings, type RawInputs, type Settings } from './config.js'
import { findDockerfiles, variantNameFor } from './discover.js'
import { createEngine } from './engine.js'
import { terminalLogger } from './log.js'
import { analyzeVariant, emptyReport, runPipeline, variantReport } from './pipeline.js'
import { renderReportMarkdown, renderText, writeReport } from './report.js'
import { SCHEMA_VERSION, type Report, type Variant } from './types.js'
import { VERSION } from './version.js'

const USAGE = `slimcheck ${VERSION}: measure and check every Dockerfile variant

Usage:
  slimcheck analyze [FILE|DIR...] [--format text|markdown|json] [--fail-on LIST] [--target T] [--build-arg K=V]...
      Static checks only (no Docker engine needed). Default: the current directory.
  slimcheck run [--dir DIR] [--format text|markdown|json] [--output FILE] [--report-path FILE]
                [--variants YAML] [--config-file FILE] [--exclude GLOBS] [--fail-on LIST]
                [--cache cold|warm] [--build-timeout 20m] [--build-arg K=V]... [--platform P] [--verbose]
      Discover, build with the engine at DOCKER_HOST, measure and check. Writes the JSON report
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

export async function main(argv: string[], stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
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
      'report-path': values['report-path']
    }
    if (command === 'analyze') {
      const settings = parseSettings(raw)
      return emit(analyze(settings, paths, values.target), format, values.output, stdout, settings)
    }
    if (command === 'run') {
      if (paths.length) throw new InputError(`run takes no paths (got ${paths.join(' ')}); use --dir`)
      const settings = parseSettings(raw)
      const report = await runOrReport(settings, values.verbose, stderr)
      writeReport(report, settings.reportPath)
      stderr.write(`report: ${settings.reportPath}\n`)
      return emit(report, format, values.output, stdout, settings)
    }
    throw new InputError(`unknown command '${command}'; use analyze or run`)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    stderr.write(`slimcheck: ${error.message}\n`)
    return 2
  }
}

async function runOrReport(settings: Settings, verbose: boolean, stderr: NodeJS.WritableStream): Promise<Report> {
  try {
    return await runPipeline({ settings, engine: createEngine(), logger: terminalLogger(stderr, verbose), version: VERSION })
  } catch (error) {
    if (error instanceof InputError) return emptyReport(VERSION, error.message)
    throw error
  }
}

/** Static analysis of the named files and every Dockerfile under the named directories. */
function analyze(settings: Settings, paths: string[], target: string | undefined): Report {
  const variants: Variant[] = []
  for (const given of paths.length ? paths : ['.']) {
    const absolute = path.resolve(given)
    const files = fs.existsSync(absolute) && fs.statSync(absolute).isDirectory() ? findDockerfiles(absolute, settings.exclude).map((file) => path.join(absolute, file)) : [absolute]
    if (files.length === 0) throw new InputError(`no Dockerfile found under ${given}`)
    for (const file of files) {
      const relative = path.relative(settings.workspace, file).split(path.sep).join('/')
      variants.push({ name: variantNameFor(relative), dockerfile: relative, context: path.posix.dirname(relative), target, buildArgs: settings.buildArgs })
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: VERSION },
    createdAt: new Date().toISOString(),
    problems: [],
    variants: variants.map((variant) => {
      const analyzed = analyzeVariant(variant, settings)
      return variantReport(analyzed, analyzed.blocker ? { status: 'failed', failure: { message: analyzed.blocker, logTail: [] } } : {})
    })
  }
}

function emit(report: Report, format: Format, output: string | undefined, stdout: NodeJS.WritableStream, settings: Settings): number {
  const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'markdown' ? renderReportMarkdown(report) : renderText(report)
  if (output) fs.writeFileSync(output, text)
  else stdout.write(text)
  return runFailures(report).length || failOnViolations(report, settings.policy.failOn).length ? 1 : 0
}
