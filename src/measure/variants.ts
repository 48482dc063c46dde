/** Each variant's static side: its Dockerfile read and analyzed, and the report entry it starts from. */
import fs from 'node:fs'
import path from 'node:path'
import { analyzeDockerfile, type Analysis } from '../analyze/index.js'
import { suppress } from '../analyze/suppress.js'
import type { Settings } from '../config.js'
import { humanBytes } from '../format.js'
import { redactorFor, sensitiveArgs } from '../redact.js'
import { leadsOutThroughLink } from '../workspace-path.js'
import {
  SCHEMA_VERSION,
  type CondaMarkers,
  type Finding,
  type Report,
  type Variant,
  type VariantReport
} from '../types.js'

export interface AnalyzedVariant {
  variant: Variant
  analysis?: Analysis
  /** The Dockerfile as read, for the fingerprint. */
  text?: string
  /** Why the variant cannot be built (unreadable or unparsable Dockerfile). */
  blocker?: string
  findings: Finding[]
}

export function analyzeVariant(variant: Variant, settings: Settings): AnalyzedVariant {
  const unreadable = (reason: string, fix: string): AnalyzedVariant => {
    const finding: Finding = {
      rule: 'parse-error',
      severity: 'error',
      file: variant.dockerfile,
      line: 0,
      message: `${variant.dockerfile} ${reason}.`,
      fix,
      evidence: 'static'
    }
    return { variant, findings: [finding], blocker: finding.message }
  }
  // A link out of the checkout would hand files of the machine (a registry login, say) to the build and its log.
  if (leadsOutThroughLink(settings.workspace, variant.dockerfile))
    return unreadable(
      'is a symbolic link to a file outside the working directory, which slimcheck does not read',
      'Point the link at a file inside the working directory, or exclude the variant.'
    )
  let text: string
  try {
    text = fs.readFileSync(path.join(settings.workspace, variant.dockerfile), 'utf8')
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${(error as Error).message})`
    return unreadable(reason, 'Fix the dockerfile path in the variants declaration, or exclude the variant.')
  }
  const analysis = analyzeDockerfile({
    text,
    file: variant.dockerfile,
    target: variant.target,
    buildArgs: variant.buildArgs,
    allowedCondaImages: settings.allowedCondaImages,
    ignore: variant.ignore
  })
  // Findings quote resolved FROM lines, which may hold build-arg values: those never leave slimcheck.
  const redact = redactorFor(sensitiveArgs(variant), settings.secrets)
  const findings = analysis.findings.map((finding) => ({
    ...finding,
    message: redact(finding.message),
    fix: redact(finding.fix)
  }))
  const parseErrors = findings.filter((finding) => finding.rule === 'parse-error' && finding.severity === 'error')
  const blocker = parseErrors.length
    ? `not built: ${parseErrors.map((finding) => `${finding.file}:${finding.line} ${finding.message}`).join('; ')}`
    : undefined
  return { variant, analysis, text, findings, blocker }
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
  const finding: Finding = {
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
  return suppress(finding, { comments: item.analysis?.suppressions ?? [], ignore: item.variant.ignore ?? [] })
}
