/**
 * Runs discover → analyze → build/measure over one or more checkouts and assembles their Reports. Shared by the action
 * and the CLI.
 */
import path from 'node:path'
import { buildContext, ContextError, isRepositoryError, type BuildContext } from './measure/context.js'
import {
  buildMeasurement,
  buildOnce,
  compressedSizesFrom,
  measureImage,
  sharedFilesFor,
  type BuildOptions,
  type BuiltImage,
  type SharedCheckout
} from './measure/build.js'
import { InputError, type Settings } from './config.js'
import { discoverVariants, heldNames, scanFindsSharedName } from './discover.js'
import {
  engineAddress,
  EngineTimeoutError,
  EngineUnreachableError,
  PullError,
  type Engine,
  type EngineInfo
} from './engine/index.js'
import { RegistryCredentialsError } from './engine/credentials.js'
import { fingerprintVariant } from './measure/fingerprint.js'
import type { Logger } from './log.js'
import { humanBytes } from './format.js'
import { redactorFor, secretFragments, secretValues, sensitiveArgs } from './redact.js'
import {
  SCHEMA_VERSION,
  type FailureKind,
  type Fingerprint,
  type ImagePull,
  type Report,
  type Variant,
  type VariantReport
} from './types.js'
import { analyzeVariant, imageCondaFinding, variantReport, type AnalyzedVariant } from './measure/variants.js'
import { imageByteFindings } from './measure/bytes/findings.js'

/** One checkout to measure: the PR head, or the baseline in its own worktree. */
export interface Side {
  label: string
  settings: Settings
  commit?: string
  /** The base side of a comparison builds with the head checkout's untracked and ignored files and its `.git`. */
  shared?: SharedCheckout
}

/** A stored report whose variants with unchanged inputs are carried forward instead of built again. */
export interface CarrySource {
  report: Report
  /** The workflow run that stored it. */
  runId?: number
}

export interface PipelineRun {
  sides: Side[]
  engine?: Engine
  logger: Logger
  version: string
  runs: number
  /**
   * Picks the variants this run measures from the names all sides have (a shard of a matrix); the others are left
   * out of every side's report.
   */
  select?: (names: string[]) => Set<string>
  carry?: CarrySource
  /**
   * The report an earlier push stored, whose shared names the first side keeps when no report is carried (a push run,
   * or the base side of a build): asked for only when scanning finds two Dockerfiles that want one name.
   */
  earlier?: () => Promise<Report | undefined>
}

interface SideState {
  side: Side
  analyzed: AnalyzedVariant[]
  problems: string[]
  reports: Map<string, VariantReport>
}

/** What every variant's measurement shares within one run. */
interface RunState {
  run: PipelineRun
  engine?: Engine
  info?: EngineInfo
  engineProblem?: string
  compressedSizes: Map<string, number>
  /** Image identities resolved for fingerprints, once per reference. */
  identities: Map<string, Promise<string | undefined>>
  /** External images made ready for builds, once per reference and platform: pulled, or already on the engine. */
  pulls: Map<string, Promise<PullOutcome>>
  head: Settings
  progress: { done: number; total: number }
}

/**
 * Runs the pipeline over several checkouts at once, interleaving their builds variant by variant
 * (base A, head A, base B, head B, ...) so that drift of the machine hits every side alike. A variant whose inputs
 * are the same on both sides is built once; one whose inputs equal the stored report's is not built at all.
 * Never throws for one variant's or one side's problem: those end up in the reports.
 */
export async function runPipelines(run: PipelineRun): Promise<Report[]> {
  // Each side keeps the names the side before it (or the stored report) gave its Dockerfiles.
  const states: SideState[] = []
  for (const side of run.sides) {
    const before =
      states.at(-1)?.analyzed.map((item) => item.variant) ??
      run.carry?.report.variants ??
      (await earlierNames(run, side))
    states.push(discoverSide(side, run.logger, new Map(before.map((variant) => [variant.dockerfile, variant.name]))))
  }
  const state: RunState = {
    run,
    engine: run.engine,
    compressedSizes: compressedSizesFrom(run.carry?.report, run.version),
    identities: new Map(),
    pulls: new Map(),
    head: run.sides[run.sides.length - 1].settings,
    progress: { done: 0, total: 0 }
  }
  if (run.engine) {
    try {
      state.info = await run.engine.info()
    } catch (error) {
      // Whatever the engine answered, the run goes on without it: static findings and the report still come out.
      const known =
        error instanceof EngineUnreachableError ||
        error instanceof EngineTimeoutError ||
        error instanceof RegistryCredentialsError
      state.engineProblem = known
        ? error.message
        : `the Docker engine at ${engineAddress()} could not say what it is: ${(error as Error).message}`
      run.logger.warning(state.engineProblem)
    }
  }
  if (state.head.outputFiles.length)
    run.logger.info(
      `Left out of every build context, whatever .dockerignore says: ${state.head.outputFiles.join(', ')} (what slimcheck writes)`
    )
  const names = interleavedNames(states)
  const selected = run.select ? run.select(names) : new Set(names)
  for (const side of states) side.analyzed = side.analyzed.filter((item) => selected.has(item.variant.name))
  state.progress.total = states.reduce((sum, side) => sum + side.analyzed.length, 0)
  const cacheBefore = await buildCacheBefore(state)
  for (const name of names.filter((item) => selected.has(item))) {
    const onSides = states.flatMap((side) => {
      const item = side.analyzed.find((analyzed) => analyzed.variant.name === name)
      return item ? [{ side, item }] : []
    })
    const reports = await measureVariant(onSides, state, states.length > 1)
    onSides.forEach(({ side }, index) => side.reports.set(name, reports[index]))
  }
  if (cacheBefore) await pruneCacheSince(cacheBefore, state)
  const pulls = await pulledImages(state)
  if (state.head.cache === 'cold' && !state.head.keepImages) await removePulled(pulls, state)
  return states.map((side) => ({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: run.version },
    createdAt: new Date().toISOString(),
    ...(side.side.commit ? { commit: side.side.commit } : {}),
    ...(state.info
      ? { engine: { version: state.info.version, store: state.info.store, os: state.info.os, arch: state.info.arch } }
      : {}),
    problems: [...side.problems, ...(state.engineProblem ? [state.engineProblem] : [])],
    ...(pulls.length ? { pulls: pulls.map((outcome) => outcome.pulled!) } : {}),
    variants: side.analyzed.map((item) => side.reports.get(item.variant.name)!)
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

async function earlierNames(run: PipelineRun, side: Side): Promise<Array<Pick<Variant, 'dockerfile' | 'name'>>> {
  if (!run.earlier || !scanFindsSharedName(side.settings)) return []
  return heldNames((await run.earlier())?.variants ?? [])
}

function discoverSide(side: Side, logger: Logger, previous: ReadonlyMap<string, string>): SideState {
  const state: SideState = { side, analyzed: [], problems: [], reports: new Map() }
  try {
    const variants = discoverVariants(side.settings, logger, previous)
    const values = [
      ...variants.flatMap((variant) => secretValues(sensitiveArgs(variant))),
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

/** One side of one variant on its way to a report. */
interface Prepared {
  side: SideState
  item: AnalyzedVariant
  options: BuildOptions
  context?: BuildContext
  fingerprint?: Fingerprint
  samples: number[]
  last?: BuiltImage
  /** Set once the side's report is known: it cannot be built, a build failed, or it was measured or reused. */
  report?: VariantReport
}

function optionsFor(side: SideState, state: RunState): BuildOptions {
  const { settings } = side.side
  return {
    workspace: settings.workspace,
    cache: settings.cache,
    timeoutSeconds: settings.buildTimeoutSeconds,
    runs: state.run.runs,
    store: state.info?.store ?? 'overlay2',
    side: side.side.label,
    secrets: settings.secrets,
    ...(side.side.shared ? { shared: side.side.shared } : {}),
    compressedSizes: state.compressedSizes
  }
}

function failed(
  prepared: Prepared,
  kind: FailureKind,
  message: string,
  rest: Partial<VariantReport> = {}
): VariantReport {
  const redact = redactorFor(sensitiveArgs(prepared.item.variant), prepared.options.secrets)
  return variantReport(prepared.item, {
    status: 'failed',
    failure: { message: redact(message), logTail: [], kind },
    ...rest
  })
}

/** A failure of the machinery, not of the Dockerfile: nothing about the variant was checked. */
function unmeasured(prepared: Prepared, error: unknown, rest: Partial<VariantReport> = {}): VariantReport {
  return failed(prepared, 'unmeasured', `not measured: ${error instanceof Error ? error.message : String(error)}`, rest)
}

/** Settles what needs no build: blocked variants, a missing engine, an unreadable context; else fingerprints it. */
async function prepare(side: SideState, item: AnalyzedVariant, state: RunState): Promise<Prepared> {
  const prepared: Prepared = { side, item, options: optionsFor(side, state), samples: [] }
  const { info } = state
  if (item.blocker) prepared.report = failed(prepared, 'build', item.blocker)
  else if (!state.engine) prepared.report = variantReport(item, {})
  else if (!info)
    prepared.report = variantReport(item, {
      failure: { message: `not built: ${state.engineProblem ?? 'no engine'}`, logTail: [], kind: 'unmeasured' }
    })
  if (prepared.report || !info) return prepared
  const { variant } = item
  const contextDir = path.join(prepared.options.workspace, variant.context)
  try {
    prepared.context = buildContext(
      contextDir,
      path.posix.relative(variant.context, variant.dockerfile),
      sharedFilesFor(prepared.options.shared, contextDir),
      outputsIn(variant.context, state.head.outputFiles)
    )
  } catch (error) {
    // A context that cannot be read costs this variant only, whatever failed; only the repository's own files can
    // fail alike on the baseline.
    const reason = error instanceof ContextError ? error.message : `the build context cannot be read: ${String(error)}`
    const kind = error instanceof ContextError && isRepositoryError(error) ? 'build' : 'unmeasured'
    prepared.report = failed(prepared, kind, reason)
    return prepared
  }
  // Pulled before the fingerprint, which reads a base's ONBUILD triggers from the engine, and before any timed build.
  const refused = await pullInputs(prepared, state).catch((error: unknown) => error)
  if (refused) {
    prepared.report = unmeasured(prepared, refused)
    return prepared
  }
  const redact = redactorFor(sensitiveArgs(variant), prepared.options.secrets)
  const fingerprint = await fingerprintVariant({
    variant,
    platform: variant.platform ?? `${info.os}/${info.arch}`,
    dockerfileText: item.text ?? '',
    inputs: item.analysis?.inputs,
    context: prepared.context,
    secretNames: Object.keys(prepared.options.secrets),
    resolveImage: (reference) => identity(reference, state),
    imageOnBuild: (reference) => state.engine!.imageOnBuild(reference)
  }).catch((error: Error) => ({ unfingerprintable: `the inputs could not be read: ${error.message}` }))
  // The reason can quote a base image after build-arg substitution.
  prepared.fingerprint = fingerprint.unfingerprintable
    ? { unfingerprintable: redact(fingerprint.unfingerprintable) }
    : fingerprint
  return prepared
}

/** The files this run writes (workspace-relative) that lie in a context, relative to it. */
function outputsIn(context: string, outputFiles: string[]): Set<string> {
  const inside = outputFiles
    .map((file) => path.posix.relative(context, file))
    .filter((file) => !file.startsWith('../') && !path.posix.isAbsolute(file))
  return new Set(inside)
}

function identity(reference: string, state: RunState): Promise<string | undefined> {
  let known = state.identities.get(reference)
  if (!known) {
    known = state.engine!.imageIdentity(reference).catch(() => undefined)
    state.identities.set(reference, known)
  }
  return known
}

/**
 * The stored variant whose inputs equal this one's, when rebuilding is not asked for and the stored report was
 * measured by this very slimcheck (another version may count differently).
 */
function carriedFrom(prepared: Prepared, state: RunState): VariantReport | undefined {
  const digest = prepared.fingerprint?.digest
  const carry = state.run.carry
  if (!digest || !carry || state.head.rebuild || carry.report.tool.version !== state.run.version) return undefined
  return carry.report.variants.find(
    (stored) =>
      stored.name === prepared.item.variant.name &&
      stored.status === 'built' &&
      stored.image !== undefined &&
      stored.fingerprint?.digest === digest
  )
}

/**
 * A report made of another measurement: the stored one carried forward, or the other side's identical build. What
 * the image carries is judged anew, with this run's settings (allowed-conda-images).
 */
function reusedReport(prepared: Prepared, measured: VariantReport, reused: VariantReport['reused']): VariantReport {
  const markers = measured.image?.conda
  const condaFinding = markers ? imageCondaFinding(prepared.item, markers) : undefined
  const byteFindings = measured.image
    ? imageByteFindings(prepared.item, measured.image, prepared.side.side.settings.byteFindingsThreshold)
    : []
  return variantReport(prepared.item, {
    status: 'built',
    image: measured.image,
    build: measured.build,
    findings: [...prepared.item.findings, ...(condaFinding ? [condaFinding] : []), ...byteFindings],
    ...(condaFinding ? { condaBytes: markers!.prefixes.reduce((sum, prefix) => sum + prefix.sizeBytes, 0) } : {}),
    ...(prepared.fingerprint ? { fingerprint: prepared.fingerprint } : {}),
    reused
  })
}

/**
 * Builds one variant on every side that has it, run by run (base run 1, head run 1, base run 2, ...), then measures
 * each side's last image. Identical inputs on both sides make one build serve both; inputs equal to the stored
 * report's carry its measurement forward. An engine that stops answering costs this variant only.
 */
async function measureVariant(
  onSides: Array<{ side: SideState; item: AnalyzedVariant }>,
  state: RunState,
  comparing: boolean
): Promise<VariantReport[]> {
  const prepared: Prepared[] = []
  for (const { side, item } of onSides) prepared.push(await prepare(side, item, state))
  const head = prepared[prepared.length - 1]
  const base = prepared.length > 1 ? prepared[0] : undefined
  const stored = !head.report && head.side.side.label === 'head' ? carriedFrom(head, state) : undefined
  if (stored) {
    const carry = state.run.carry!
    head.report = reusedReport(head, stored, {
      kind: 'carried',
      ...(carry.report.commit ? { commit: carry.report.commit } : {}),
      ...(carry.runId ? { runId: carry.runId } : {})
    })
  }
  const shareable =
    base &&
    !base.report &&
    !head.report &&
    !state.head.rebuild &&
    base.fingerprint?.digest !== undefined &&
    base.fingerprint.digest === head.fingerprint?.digest
  const toBuild = shareable ? [head] : prepared.filter((item) => !item.report)
  for (let index = 1; index <= state.run.runs; index++) {
    for (const build of toBuild.filter((candidate) => !candidate.report)) await buildRun(build, index, state)
  }
  for (const build of toBuild) if (!build.report) build.report = await measured(build, state)
  if (shareable && head.report!.status === 'built') {
    const reused = { kind: 'shared' } as const
    base.report = reusedReport(base, head.report!, reused)
    head.report = { ...head.report!, reused }
  } else if (shareable) {
    // The one build failed: the base gets a build of its own, so a failure is never booked on a side that did not fail.
    for (let index = 1; index <= state.run.runs && !base.report; index++) await buildRun(base, index, state)
    if (!base.report) base.report = await measured(base, state)
  }
  for (const item of prepared) reportProgress(item, state, comparing)
  return prepared.map((item) => item.report!)
}

async function buildRun(build: Prepared, run: number, state: RunState): Promise<void> {
  const engine = state.engine!
  try {
    const outcome = await buildOnce(engine, build.item.variant, build.context!, build.options, run, state.run.logger)
    if (outcome.ok) {
      build.samples.push(outcome.seconds)
      if (build.last) await discardImage(engine, build.last, state)
      build.last = { imageId: outcome.imageId, tag: outcome.tag, steps: outcome.steps }
      return
    }
    const timing = build.samples.length ? { build: buildMeasurement(build.samples, build.options) } : {}
    build.report = variantReport(build.item, {
      status: 'failed',
      failure: outcome.failure,
      ...timing,
      ...(build.fingerprint ? { fingerprint: build.fingerprint } : {})
    })
    if (build.last) await discardImage(engine, build.last, state)
  } catch (error) {
    build.report = unmeasured(build, error)
  }
}

/** What making one image ready for builds came to: the pull made, none needed, or why it failed. */
interface PullOutcome {
  pulled?: ImagePull
  /** The reference pulled, unredacted: what cold mode removes. */
  reference?: string
  refused?: string
}

/**
 * Pulls every external image the variant's build reads that the engine does not hold yet, for its platform, so that
 * its timed builds download nothing and its fingerprint can read the bases' ONBUILD triggers. Each image is pulled
 * once a run. Resolves with why a pull failed, if one did.
 */
async function pullInputs(build: Prepared, state: RunState): Promise<string | undefined> {
  const { variant } = build.item
  const images = (build.item.analysis?.inputs?.images ?? []).map((image) => image.raw)
  // A reference can hold a build-arg's value (`FROM ${REGISTRY}/app`): what is logged and recorded is redacted.
  const redact = redactorFor(sensitiveArgs(variant), build.options.secrets)
  const outcomes: PullOutcome[] = []
  for (const image of images) {
    const key = `${image} ${variant.platform ?? ''}`
    let outcome = state.pulls.get(key)
    if (!outcome) {
      outcome = pullOnce(image, variant.platform, build.options.timeoutSeconds, state, redact)
      state.pulls.set(key, outcome)
    }
    outcomes.push(await outcome)
  }
  return outcomes.find((outcome) => outcome.refused)?.refused
}

/** Never rejects: whatever fails (the registry, the engine, a time limit) is the outcome's `refused`, redacted. */
async function pullOnce(
  image: string,
  platform: string | undefined,
  timeoutSeconds: number,
  state: RunState,
  redact: (text: string) => string
): Promise<PullOutcome> {
  const engine = state.engine!
  const { logger } = state.run
  try {
    if (await engine.hasImage(image, platform)) return {}
    return await logger.group(`Pull ${redact(image)}${platform ? ` for ${platform}` : ''} (not timed)`, async () => {
      const result = await engine.pullImage(image, platform, timeoutSeconds)
      const digest = result.digest ? ` ${result.digest}` : ''
      const reference = redact(result.reference)
      logger.info(`pulled ${reference}${digest}: ${humanBytes(result.downloadedBytes)} in ${result.seconds} s`)
      return {
        pulled: {
          image: reference,
          ...(platform ? { platform } : {}),
          ...(result.digest ? { digest: result.digest } : {}),
          bytes: result.downloadedBytes,
          seconds: result.seconds
        },
        reference: result.reference
      }
    })
  } catch (error) {
    const message = redact(
      error instanceof PullError ? error.message : `could not pull \`${image}\`: ${(error as Error).message}`
    )
    logger.warning(message)
    return { refused: message }
  }
}

async function pulledImages(state: RunState): Promise<PullOutcome[]> {
  const outcomes = await Promise.all(state.pulls.values())
  return outcomes.filter((outcome) => outcome.pulled)
}

/** In cold mode the images this run pulled go too: none of them was on the engine before it. */
async function removePulled(pulls: PullOutcome[], state: RunState): Promise<void> {
  for (const { pulled, reference } of pulls) {
    await state
      .engine!.removeImage(reference!)
      .catch((error: Error) =>
        state.run.logger.warning(`could not remove the pulled image ${pulled!.image}: ${error.message}`)
      )
  }
}

/**
 * An image slimcheck no longer needs, removed so that repeated builds do not fill the disk: by the tag its build gave
 * it, never by its id, so that an identical image another build or another run also tagged stays theirs.
 */
async function discardImage(engine: Engine, image: BuiltImage, state: RunState): Promise<void> {
  await engine
    .removeImage(image.tag)
    .catch((error: Error) => state.run.logger.warning(`could not remove the image ${image.tag}: ${error.message}`))
}

async function measured(build: Prepared, state: RunState): Promise<VariantReport> {
  const { item } = build
  const engine = state.engine!
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
    const byteFindings = imageByteFindings(item, measurement.image, build.side.side.settings.byteFindingsThreshold)
    return {
      ...variantReport(item, { status: 'built', image: measurement.image, build: measurement.build }),
      findings: [...item.findings, ...(condaFinding ? [condaFinding] : []), ...byteFindings],
      ...(condaFinding ? { condaBytes } : {}),
      ...(build.fingerprint ? { fingerprint: build.fingerprint } : {})
    }
  } catch (error) {
    return unmeasured(build, error)
  } finally {
    if (!state.head.keepImages) await discardImage(engine, build.last!, state)
  }
}

/** `[3/20] api (PR) ✔ 7.72 MB 12.3 s`: one line for each side of each variant, once its report is known. */
function reportProgress(prepared: Prepared, state: RunState, comparing: boolean): void {
  const report = prepared.report!
  state.progress.done++
  const label = prepared.side.side.label === 'head' ? 'PR' : prepared.side.side.label
  const who = `[${state.progress.done}/${state.progress.total}] ${report.name}${comparing ? ` (${label})` : ''}`
  const size = report.image ? `${humanBytes(report.image.sizeBytes)} ` : ''
  const seconds = report.build ? `${report.build.seconds.toFixed(1)} s` : ''
  let outcome: string
  if (report.reused?.kind === 'carried') {
    const since = report.reused.commit ? ` since ${report.reused.commit.slice(0, 7)}` : ''
    outcome = `↺ ${size}inputs unchanged${since}; not rebuilt`
  } else if (report.reused?.kind === 'shared') outcome = `✔ ${size}${seconds} (built once for both sides)`
  else if (report.status === 'built') outcome = `✔ ${size}${seconds}`
  else outcome = `✘ ${(report.failure?.message ?? report.status).split('\n')[0].slice(0, 160)}`
  state.run.logger.progress(`${who} ${outcome}`)
}

/** In cold mode the build cache is of no later use: the records this run adds are pruned at its end. */
async function buildCacheBefore(state: RunState): Promise<Set<string> | undefined> {
  if (!state.engine || !state.info || state.head.cache !== 'cold') return undefined
  try {
    return new Set(await state.engine.buildCacheIds())
  } catch (error) {
    state.run.logger.warning(`could not list the build cache, so this run's records stay: ${(error as Error).message}`)
    return undefined
  }
}

async function pruneCacheSince(before: Set<string>, state: RunState): Promise<void> {
  try {
    const { removed, kept } = await state.engine!.pruneBuildCacheSince(before)
    if (!removed && !kept) return
    state.run.logger.info(
      kept
        ? `Removed ${removed} of the build cache records this run made; the engine kept ${kept} (in use, or the ` +
            'base of records made since)'
        : `Removed the ${removed} build cache records this run made`
    )
  } catch (error) {
    state.run.logger.warning(`could not prune this run's build cache records: ${(error as Error).message}`)
  }
}
