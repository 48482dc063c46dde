/** Runs discover → analyze → build/measure for one checkout and assembles its Report. Shared by the action and the CLI. */
import fs from 'node:fs'
import path from 'node:path'
import { analyzeDockerfile, type Analysis } from './analyze/index.js'
import { buildAndMeasure, type CondaMarkers } from './build.js'
import type { Settings } from './config.js'
import { discoverVariants } from './discover.js'
import { EngineUnreachableError, type Engine, type EngineInfo } from './engine.js'
import type { Logger } from './log.js'
import { humanBytes } from './markdown.js'
import { SCHEMA_VERSION, type Finding, type Report, type Variant, type VariantReport } from './types.js'

export interface PipelineOptions {
  settings: Settings
  /** Absent for static analysis only. */
  engine?: Engine
  logger: Logger
  version: string
  commit?: string
  /** Tag suffix of the images built, e.g. `head` or `base`. */
  side?: string
  runs?: number
}

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
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`
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
  const parseErrors = analysis.findings.filter((finding) => finding.rule === 'parse-error')
  const blocker = parseErrors.length ? `not built: ${parseErrors.map((finding) => `${finding.file}:${finding.line} ${finding.message}`).join('; ')}` : undefined
  return { variant, analysis, findings: analysis.findings, blocker }
}

export function emptyReport(version: string, problem: string): Report {
  return { schemaVersion: SCHEMA_VERSION, tool: { name: 'slimcheck', version }, createdAt: new Date().toISOString(), problems: [problem], variants: [] }
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

/** Runs the pipeline on one checkout. Never throws for a single variant's problem; an unreachable engine marks every variant skipped. */
export async function runPipeline(options: PipelineOptions): Promise<Report> {
  const { settings, logger } = options
  const variants = discoverVariants(settings)
  for (const variant of variants) for (const value of Object.values(variant.buildArgs)) if (value) logger.secret(value)
  const analyzed = variants.map((variant) => analyzeVariant(variant, settings))
  let engineInfo: EngineInfo | undefined
  let engineProblem: string | undefined
  if (options.engine) {
    try {
      engineInfo = await options.engine.info()
    } catch (error) {
      if (!(error instanceof EngineUnreachableError)) throw error
      engineProblem = error.message
      logger.warning(error.message)
    }
  }
  const reports: VariantReport[] = []
  for (const item of analyzed) reports.push(await buildVariant(item, options, engineInfo, engineProblem))
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: options.version },
    createdAt: new Date().toISOString(),
    ...(options.commit ? { commit: options.commit } : {}),
    ...(engineInfo ? { engine: { version: engineInfo.version, store: engineInfo.store, os: engineInfo.os, arch: engineInfo.arch } } : {}),
    problems: engineProblem ? [engineProblem] : [],
    variants: reports
  }
}

async function buildVariant(item: AnalyzedVariant, options: PipelineOptions, engineInfo: EngineInfo | undefined, engineProblem: string | undefined): Promise<VariantReport> {
  if (item.blocker) return variantReport(item, { status: 'failed', failure: { message: item.blocker, logTail: [] } })
  if (!options.engine) return variantReport(item, {})
  if (!engineInfo) return variantReport(item, { failure: { message: `not built: ${engineProblem ?? 'no engine'}`, logTail: [] } })
  const measurement = await buildAndMeasure(
    options.engine,
    item.variant,
    item.analysis?.productionInstructions ?? [],
    {
      workspace: options.settings.workspace,
      cache: options.settings.cache,
      timeoutSeconds: options.settings.buildTimeoutSeconds,
      runs: options.runs ?? 1,
      store: engineInfo.store,
      side: options.side ?? 'head'
    },
    options.logger
  )
  if (measurement.status === 'failed') {
    return variantReport(item, { status: 'failed', failure: measurement.failure, ...(measurement.build ? { build: measurement.build } : {}) })
  }
  const condaFinding = imageCondaFinding(item, measurement.conda)
  const condaBytes = measurement.conda.prefixes.reduce((sum, prefix) => sum + prefix.sizeBytes, 0)
  return {
    ...variantReport(item, { status: 'built', image: measurement.image, build: measurement.build }),
    findings: condaFinding ? [...item.findings, condaFinding] : item.findings,
    ...(condaFinding ? { condaBytes } : {})
  }
}

/**
 * Conda found in the built image confirms a static finding, or adds one the text did not reveal.
 * When static analysis accepted the image (an allowed base such as pytorch/pytorch), it stays informational.
 */
export function imageCondaFinding(item: AnalyzedVariant, markers: CondaMarkers): Finding | undefined {
  if (!markers.prefixes.length && !markers.commandsOnPath.length && !markers.envNames.length) return undefined
  const conda = item.findings.filter((finding) => finding.rule === 'conda-in-production')
  const accepted = conda.length > 0 && conda.every((finding) => finding.severity === 'info')
  const evidence = [
    ...markers.prefixes.map((prefix) => `a conda prefix at ${prefix.path} (${humanBytes(prefix.sizeBytes)}, ${prefix.sizeBytes} bytes)`),
    markers.commandsOnPath.length ? `${markers.commandsOnPath.join(', ')} on PATH` : '',
    markers.envNames.length ? `environment ${markers.envNames.join(', ')}` : ''
  ].filter(Boolean)
  return {
    rule: 'conda-in-production',
    severity: accepted ? 'info' : 'error',
    file: item.variant.dockerfile,
    line: item.analysis?.productionFromLine ?? 0,
    message: `The built image ${conda.some((finding) => finding.severity === 'error') ? 'confirms conda in production' : 'carries conda'}: ${evidence.join('; ')}.`,
    fix: accepted
      ? 'Accepted base image (allowed-conda-images); nothing to do.'
      : 'Keep conda in a builder stage (conda-pack the environment, or install into a venv) and copy only the environment into a slim runtime such as python:3.12-slim-bookworm.',
    evidence: 'image'
  }
}
