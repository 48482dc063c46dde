/** Runs discover → analyze → build/measure over one or more checkouts and assembles their Reports. Shared by the action and the CLI. */
import fs from 'node:fs'
import path from 'node:path'
import { analyzeDockerfile, type Analysis } from './analyze/index.js'
import { buildMeasurement, buildOnce, measureImage, type BuildOptions, type SharedCheckout } from './build.js'
import { InputError, type Settings } from './config.js'
import { discoverVariants } from './discover.js'
import { EngineTimeoutError, EngineUnreachableError, type Engine, type EngineInfo } from './engine/index.js'
import type { TracedStep } from './engine/trace.js'
import type { CondaMarkers } from './image-conda.js'
import type { Logger } from './log.js'
import { humanBytes } from './markdown.js'
import { redactorFor, secretFragments } from './redact.js'
import { SCHEMA_VERSION, type Finding, type Report, type Variant, type VariantReport } from './types.js'

export interface AnalyzedVariant {
  variant: Variant
  analysis?: Analysis
  /** Why the variant cannot be built (unreadable or unparsable Dockerfile). */
  blocker?: string
  findings: Finding[]
}

export function analyzeVariant(variant: Variant, settings: Settings): AnalyzedVariant {
  let text: string
  try {
    text = fs.readFileSync(path.join(settings.workspace, variant.dockerfile), 'utf8')
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${(error as Error).message})`
    const finding: Finding = {
      rule: 'parse-error',
      severity: 'error',
      file: variant.dockerfile,
      line: 0,
      message: `${variant.dockerfile} ${reason}.`,
      fix: 'Fix the dockerfile path in the variants declaration, or exclude the variant.',
      evidence: 'static'
    }
    return { variant, findings: [finding], blocker: finding.message }
  }
  const analysis = analyzeDockerfile({
    text,
    file: variant.dockerfile,
    target: variant.target,
    buildArgs: variant.buildArgs,
    allowedCondaImages: settings.allowedCondaImages
  })
  // Findings quote resolved FROM lines, which may hold build-arg values: those never leave slimcheck.
  const redact = redactorFor(variant.buildArgs)
  const findings = analysis.findings.map((finding) => ({
    ...finding,
    message: redact(finding.message),
    fix: redact(finding.fix)
  }))
  const parseErrors = findings.filter((finding) => finding.rule === 'parse-error')
  const blocker = parseErrors.length
    ? `not built: ${parseErrors.map((finding) => `${finding.file}:${finding.line} ${finding.message}`).join('; ')}`
    : undefined
  return { variant, analysis, findings, blocker }
}

export function emptyReport(version: string, problem: string): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version },
    createdAt: new Date().toISOString(),
    problems: [problem],
    variants: []
  }
}

export function variantReport(analyzed: AnalyzedVariant, rest: Partial<VariantReport>): VariantReport {
  const { variant } = analyzed
  return {
    name: variant.name,
    dockerfile: variant.dockerfile,
    context: variant.context,
    ...(variant.target ? { target: variant.target } : {}),
    ...(variant.platform ? { platform: variant.platform } : {}),
    buildArgNames: Object.keys(variant.buildArgs).sort(),
    status: 'skipped',
    findings: analyzed.findings,
    ...rest
  }
}

/** One checkout to measure: the PR head, or the baseline in its own worktree. */
export interface Side {
  label: string
  settings: Settings
  commit?: string
  /** The base side of a comparison builds with the head checkout's untracked and ignored files and its `.git`. */
  shared?: SharedCheckout
}

export interface PipelineRun {
  sides: Side[]
  engine?: Engine
  logger: Logger
  version: string
  runs: number
  /** Compressed layer sizes counted so far in this run, by diffID. */
  compressedSizes?: Map<string, number>
  /**
   * Picks the variants this run measures from the names all sides have (a shard of a matrix); the others are left
   * out of every side's report.
   */
  select?: (names: string[]) => Set<string>
}

interface SideState {
  side: Side
  analyzed: AnalyzedVariant[]
  problems: string[]
  reports: Map<string, VariantReport>
}

/**
 * Runs the pipeline over several checkouts at once, interleaving their builds variant by variant
 * (base A, head A, base B, head B, ...) so that drift of the machine hits every side alike.
 * Never throws for one variant's or one side's problem: those end up in the reports.
 */
export async function runPipelines(options: PipelineRun): Promise<Report[]> {
  const run = { ...options, compressedSizes: options.compressedSizes ?? new Map<string, number>() }
  const states = run.sides.map((side) => discoverSide(side, run.logger))
  let engineInfo: EngineInfo | undefined
  let engineProblem: string | undefined
  if (run.engine) {
    try {
      engineInfo = await run.engine.info()
    } catch (error) {
      if (!(error instanceof EngineUnreachableError) && !(error instanceof EngineTimeoutError)) throw error
      engineProblem = error.message
      run.logger.warning(error.message)
    }
  }
  const names = interleavedNames(states)
  const selected = run.select ? run.select(names) : new Set(names)
  for (const state of states) state.analyzed = state.analyzed.filter((item) => selected.has(item.variant.name))
  for (const name of names.filter((item) => selected.has(item))) {
    const onSides = states.flatMap((state) => {
      const item = state.analyzed.find((analyzed) => analyzed.variant.name === name)
      return item ? [{ state, item }] : []
    })
    const reports = await buildOnSides(onSides, run, engineInfo, engineProblem)
    onSides.forEach(({ state }, index) => state.reports.set(name, reports[index]))
  }
  return states.map((state) => ({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: run.version },
    createdAt: new Date().toISOString(),
    ...(state.side.commit ? { commit: state.side.commit } : {}),
    ...(engineInfo
      ? { engine: { version: engineInfo.version, store: engineInfo.store, os: engineInfo.os, arch: engineInfo.arch } }
      : {}),
    problems: [...state.problems, ...(engineProblem ? [engineProblem] : [])],
    variants: state.analyzed.map((item) => state.reports.get(item.variant.name)!)
  }))
}

/** Runs the pipeline on one checkout. */
export async function runPipeline(
  options: Omit<PipelineRun, 'sides' | 'runs'> & { settings: Settings; commit?: string; side?: string; runs?: number }
): Promise<Report> {
  const side: Side = { label: options.side ?? 'head', settings: options.settings, commit: options.commit }
  const [report] = await runPipelines({ ...options, sides: [side], runs: options.runs ?? 1 })
  return report
}

function discoverSide(side: Side, logger: Logger): SideState {
  const state: SideState = { side, analyzed: [], problems: [], reports: new Map() }
  try {
    const variants = discoverVariants(side.settings)
    const values = [
      ...variants.flatMap((variant) => Object.values(variant.buildArgs)),
      ...Object.values(side.settings.secrets)
    ]
    for (const fragment of new Set(values.flatMap(secretFragments))) logger.secret(fragment)
    state.analyzed = variants.map((variant) => analyzeVariant(variant, side.settings))
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    state.problems.push(error.message)
  }
  return state
}

/** The last side's (the head's) variants in its order, then variants only earlier sides have. */
function interleavedNames(states: SideState[]): string[] {
  const names: string[] = []
  for (const state of [...states].reverse())
    for (const item of state.analyzed) if (!names.includes(item.variant.name)) names.push(item.variant.name)
  return names
}

interface SideBuild {
  item: AnalyzedVariant
  options: BuildOptions
  samples: number[]
  last?: { imageId: string; steps: TracedStep[] }
  /** Set when the variant cannot be built, or a build failed: later runs are skipped. */
  settled?: VariantReport
}

function notMeasured(item: AnalyzedVariant, options: BuildOptions, error: unknown): VariantReport {
  const redact = redactorFor(item.variant.buildArgs, options.secrets)
  const message = redact(error instanceof Error ? error.message : String(error))
  return variantReport(item, { status: 'failed', failure: { message: `not measured: ${message}`, logTail: [] } })
}

/**
 * Builds one variant on every side that has it, run by run (base run 1, head run 1, base run 2, ...), then measures
 * each side's last image. An engine that stops answering, or an inspect that fails, costs this variant only.
 */
async function buildOnSides(
  onSides: Array<{ state: SideState; item: AnalyzedVariant }>,
  run: PipelineRun & { compressedSizes: Map<string, number> },
  engineInfo: EngineInfo | undefined,
  engineProblem: string | undefined
): Promise<VariantReport[]> {
  const compressedSizes = run.compressedSizes
  const builds: SideBuild[] = onSides.map(({ state, item }) => {
    const options: BuildOptions = {
      workspace: state.side.settings.workspace,
      cache: state.side.settings.cache,
      timeoutSeconds: state.side.settings.buildTimeoutSeconds,
      runs: run.runs,
      store: engineInfo?.store ?? 'overlay2',
      side: state.side.label,
      secrets: state.side.settings.secrets,
      ...(state.side.shared ? { shared: state.side.shared } : {}),
      compressedSizes
    }
    const build: SideBuild = { item, options, samples: [] }
    if (item.blocker)
      build.settled = variantReport(item, { status: 'failed', failure: { message: item.blocker, logTail: [] } })
    else if (!run.engine) build.settled = variantReport(item, {})
    else if (!engineInfo)
      build.settled = variantReport(item, {
        failure: { message: `not built: ${engineProblem ?? 'no engine'}`, logTail: [] }
      })
    return build
  })
  for (let index = 1; index <= run.runs; index++) {
    for (const build of builds.filter((candidate) => !candidate.settled)) {
      try {
        const outcome = await buildOnce(run.engine!, build.item.variant, build.options, index, run.logger)
        if (outcome.ok) {
          build.samples.push(outcome.seconds)
          if (build.last && build.last.imageId !== outcome.imageId)
            await discardImage(run.engine!, build.last.imageId, run.logger)
          build.last = { imageId: outcome.imageId, steps: outcome.steps }
        } else {
          const timing = build.samples.length ? { build: buildMeasurement(build.samples, build.options) } : {}
          build.settled = variantReport(build.item, { status: 'failed', failure: outcome.failure, ...timing })
          if (build.last) await discardImage(run.engine!, build.last.imageId, run.logger)
        }
      } catch (error) {
        build.settled = notMeasured(build.item, build.options, error)
      }
    }
  }
  const reports: VariantReport[] = []
  for (const build of builds) reports.push(build.settled ?? (await measured(build, run.engine!)))
  return reports
}

/** An earlier run's image, superseded by the next run's: removed so that repeated cold builds do not fill the disk. */
async function discardImage(engine: Engine, imageId: string, logger: Logger): Promise<void> {
  await engine
    .removeImage(imageId)
    .catch((error: Error) => logger.warning(`could not remove the superseded image ${imageId}: ${error.message}`))
}

async function measured(build: SideBuild, engine: Engine): Promise<VariantReport> {
  const { item } = build
  try {
    const measurement = await measureImage(
      engine,
      item.variant,
      item.analysis,
      build.last!,
      build.samples,
      build.options
    )
    const condaFinding = imageCondaFinding(item, measurement.conda)
    const condaBytes = measurement.conda.prefixes.reduce((sum, prefix) => sum + prefix.sizeBytes, 0)
    return {
      ...variantReport(item, { status: 'built', image: measurement.image, build: measurement.build }),
      findings: condaFinding ? [...item.findings, condaFinding] : item.findings,
      ...(condaFinding ? { condaBytes } : {})
    }
  } catch (error) {
    return notMeasured(item, build.options, error)
  }
}

/**
 * Conda found in the built image confirms a static finding, or adds one the text did not reveal. Only an accepted base
 * (allowed-conda-images, such as pytorch/pytorch) keeps it informational: conda that static analysis placed in a
 * builder stage but that shows up in the image is an error.
 */
export function imageCondaFinding(item: AnalyzedVariant, markers: CondaMarkers): Finding | undefined {
  if (!markers.prefixes.length && !markers.commandsOnPath.length && !markers.envNames.length) return undefined
  const acceptedBy = item.analysis?.condaAcceptedBy
  const confirmed = item.findings.some(
    (finding) => finding.rule === 'conda-in-production' && finding.severity === 'error'
  )
  const evidence = [
    ...markers.prefixes.map(
      (prefix) => `a conda prefix at ${prefix.path} (${humanBytes(prefix.sizeBytes)}, ${prefix.sizeBytes} bytes)`
    ),
    markers.commandsOnPath.length ? `${markers.commandsOnPath.join(', ')} on PATH` : '',
    markers.envNames.length ? `environment ${markers.envNames.join(', ')}` : ''
  ].filter(Boolean)
  return {
    rule: 'conda-in-production',
    severity: acceptedBy === undefined ? 'error' : 'info',
    file: item.variant.dockerfile,
    line: item.analysis?.productionFromLine ?? 0,
    message: `The built image ${confirmed ? 'confirms conda in production' : 'carries conda'}: ${evidence.join('; ')}.`,
    fix:
      acceptedBy === undefined
        ? 'Keep conda in a builder stage (conda-pack the environment, or install into a venv) and copy only the environment into a slim runtime such as python:3.12-slim-bookworm.'
        : `Nothing required: the base matches \`${acceptedBy}\` in allowed-conda-images.`,
    evidence: 'image'
  }
}
