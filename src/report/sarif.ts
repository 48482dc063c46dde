/**
 * The findings as a SARIF 2.1.0 log, for GitHub code scanning (`github/codeql-action/upload-sarif`) and other SARIF
 * viewers: one rule descriptor per rule with a help link to its README section, one result per finding, and the run's
 * problems as tool notifications. Pure apart from writing the file.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type {
  Log,
  LogicalLocation,
  PhysicalLocation,
  ReportingDescriptor,
  Result,
  Suppression as SarifSuppression
} from 'sarif'
import { layerHistoryText } from './index.js'
import {
  RULE_IDS,
  type Comparison,
  type Finding,
  type Report,
  type RuleId,
  type Severity,
  type Suppression,
  type VariantReport
} from '../types.js'

const README = 'https://github.com/slimcheck/slimcheck#'

interface RuleHelp {
  name: string
  severity: Severity
  short: string
  full: string
  help: string
}

/** What each rule finds and what to do, as the README's Rules table says it. */
const RULE_HELP: Record<RuleId, RuleHelp> = {
  'conda-in-production': {
    name: 'CondaInProduction',
    severity: 'error',
    short: 'conda ships in the production image',
    full: "The variant's production stage is conda-based: a conda-family base image, a RUN that installs or runs conda, a COPY of a conda prefix, a conda prefix on PATH, or conda run/activate in ENTRYPOINT, CMD or SHELL.",
    help: 'conda makes images heavy and builds slow, `conda activate` breaks under systemd and cron, and its libraries pollute `LD_LIBRARY_PATH`. Keep conda in a builder stage (conda-pack the environment) or use a venv, and ship a slim runtime.'
  },
  'shared-tag': {
    name: 'SharedTag',
    severity: 'warning',
    short: 'a Docker Hub official image by a shared tag',
    full: 'A FROM or COPY --from names an official image by a tag that the official-images definitions list under SharedTags (such as python:3.12), or by no tag at all. A shared tag covers Linux and Windows variants, and it floats.',
    help: 'Pin a simple tag such as `python:3.12-slim-bookworm`, ideally with its digest; the message names the alternatives.'
  },
  'floating-tag': {
    name: 'FloatingTag',
    severity: 'warning',
    short: 'an external base image with no tag or latest, and no digest',
    full: 'The base image moves whenever its publisher pushes, so the same commit can build a different image.',
    help: 'Pin a version tag or a digest.'
  },
  'parse-error': {
    name: 'ParseError',
    severity: 'error',
    short: 'a Dockerfile that cannot be read or parsed',
    full: 'The Dockerfile cannot be read or parsed; that variant is not built. A `# slimcheck ignore=` comment that would suppress nothing (a rule slimcheck does not have, no instruction directly below) is a warning, and the variant is built.',
    help: 'Fix the line named in the message.'
  },
  'package-cache': {
    name: 'PackageCache',
    severity: 'warning',
    short: "a package manager's cache left in the image",
    full: 'The shipped image holds apt lists (/var/lib/apt/lists), downloaded packages (/var/cache/apt), or an apk, dnf, yum, zypper or pacman cache, written by the Dockerfile line named (or by the base image).',
    help: 'Clean up in the same RUN that fills the cache (`rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `dnf clean all`), or mount it as a cache (`RUN --mount=type=cache,target=…`): a later RUN only hides the bytes.'
  },
  'language-cache': {
    name: 'LanguageCache',
    severity: 'warning',
    short: "a language package manager's cache left in the image",
    full: "The shipped image holds a pip, uv, npm, yarn or Go build cache, or a conda environment's package cache (pkgs), written by the Dockerfile line named (or by the base image).",
    help: 'Install without a cache (`pip install --no-cache-dir`), clean it in the same RUN (`npm cache clean --force`, `conda clean -afy`), or mount it as a cache (`RUN --mount=type=cache,target=…`).'
  },
  'dead-bytes': {
    name: 'DeadBytes',
    severity: 'warning',
    short: 'bytes deleted or overwritten by a later layer, still shipped',
    full: 'Files one layer writes and a later layer deletes or overwrites (other than a RUN rewriting them at the same size: metadata-rewrite) stay in the image: the lower layer still holds them. Counted once, per writing and removing line.',
    help: 'Delete them in the same RUN that writes them, copy only what is kept, or build in a builder stage. Deleting files of the base image saves nothing: a smaller base or a multi-stage build does.'
  },
  'vcs-in-image': {
    name: 'VcsInImage',
    severity: 'warning',
    short: 'a .git (or .hg, .svn) directory in the image',
    full: "A version-control directory was copied or cloned into the shipped image: the repository's history, shipped with every pull.",
    help: 'Add `.git` to `.dockerignore`, or remove it in the RUN that clones.'
  },
  'build-toolchain': {
    name: 'BuildToolchain',
    severity: 'warning',
    short: 'compilers, headers and -dev packages in the shipped image',
    full: "The image's package database (dpkg or apk) lists compilers, `-dev` packages (headers, static libraries) or build tools, installed by the Dockerfile line named or by the base image; their installed sizes are what a builder stage would drop.",
    help: 'Install and build in a builder stage, and copy only the output into a final stage from a runtime (`-slim`) base.'
  },
  'metadata-rewrite': {
    name: 'MetadataRewrite',
    severity: 'warning',
    short: 'files rewritten at the same size by a later RUN (chown, chmod): held twice',
    full: 'A RUN rewrote files an earlier layer wrote without changing their size, most likely to change owner or mode: the new layer holds a second copy of every byte.',
    help: 'Set owner and mode as the files are copied (`COPY --chown`, `--chmod`) or in the RUN that writes them, not in a later RUN.'
  }
}

const LEVELS: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note' }

function ruleDescriptor(id: RuleId): ReportingDescriptor {
  const help = RULE_HELP[id]
  const helpUri = `${README}rule-${id}`
  return {
    id,
    name: help.name,
    shortDescription: { text: help.short },
    fullDescription: { text: help.full },
    help: { text: `${help.help} See ${helpUri}`, markdown: `${help.help} [More about \`${id}\`](${helpUri})` },
    helpUri,
    defaultConfiguration: { level: LEVELS[help.severity] },
    properties: { tags: ['docker', 'dockerfile'] }
  }
}

/** A repository path as a URI reference: each segment percent-encoded, so spaces and `#` stay part of the path. */
function uriOf(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/')
}

/** Stable across line moves and number changes, as the comparison pairs findings. */
function fingerprintOf(finding: Finding, variant: string): string {
  return createHash('sha256')
    .update([variant, finding.rule, finding.file, finding.message.replace(/\d+/g, '0')].join('\u0000'))
    .digest('hex')
}

/** A layer of an image inspected without a Dockerfile, whose `file` is the image and no line of it the place. */
function layerLocation(layer: number, variant: string): LogicalLocation {
  return { name: `layer ${layer}`, fullyQualifiedName: `${variant} layer ${layer}`, kind: 'layer' }
}

/**
 * A location's logical locations are one place said in different ways, so the layer that wrote the bytes is the
 * result's location and the layer that hid them (`dead-bytes`, `metadata-rewrite`) a related location.
 */
function hidingLayers(
  finding: Finding,
  variant: VariantReport,
  physicalLocation: PhysicalLocation
): Pick<Result, 'relatedLocations'> {
  const hiding = (finding.layers ?? []).slice(1)
  if (!hiding.length) return {}
  return {
    relatedLocations: hiding.map((layer, index) => {
      const text = layerHistoryText(variant.image, layer)
      return {
        id: index + 1,
        physicalLocation,
        logicalLocations: [layerLocation(layer, variant.name)],
        message: { text: `hidden at layer ${layer}${text ? ` (\`${text}\`)` : ''}` }
      }
    })
  }
}

const SARIF_SUPPRESSIONS: Record<Suppression['by'], { kind: SarifSuppression.kind; justification: string }> = {
  comment: { kind: 'inSource', justification: 'A `# slimcheck ignore` comment on its instruction accepts it.' },
  config: { kind: 'external', justification: "The variant's `ignore` list in the slimcheck config accepts it." }
}

/** A suppressed finding as SARIF says it: where the suppression lives, and the reason given (else how it was made). */
function suppressionsOf({ by, reason }: Suppression): SarifSuppression[] {
  const { kind, justification } = SARIF_SUPPRESSIONS[by]
  return [{ kind, justification: reason ?? justification }]
}

/** Whether the pull request brought the finding; a suppressed one is neither counted new nor unchanged. */
function baselineStateOf(finding: Finding, added: ReadonlySet<Finding>): Pick<Result, 'baselineState'> {
  if (finding.suppressed) return {}
  return { baselineState: added.has(finding) ? 'new' : 'unchanged' }
}

export interface SarifOptions {
  version: string
  /** The working directory relative to the repository root: results name repository paths. */
  pathPrefix?: string
  /** With a comparison, each result says whether the pull request brought it (`new`) or the baseline had it. */
  comparison?: Comparison
}

export function renderSarif(report: Report, options: SarifOptions): Log {
  const prefix = options.pathPrefix ? `${options.pathPrefix.replace(/\/+$/, '')}/` : ''
  const added = new Set(options.comparison?.variants.flatMap((variant) => variant.findings.added))
  const compared = options.comparison !== undefined && options.comparison.baseline.source !== 'none'
  const results = report.variants.flatMap((variant) =>
    variant.findings.map((finding): Result => {
      const physicalLocation: PhysicalLocation = {
        artifactLocation: { uri: uriOf(`${prefix}${finding.file}`), uriBaseId: '%SRCROOT%' },
        // A finding about the whole file (line 0) points at its first line: code scanning needs a line.
        region: { startLine: Math.max(1, finding.line) }
      }
      const layered = finding.layer !== undefined
      return {
        ruleId: finding.rule,
        ruleIndex: RULE_IDS.indexOf(finding.rule),
        level: LEVELS[finding.severity],
        message: { text: finding.message },
        locations: [
          {
            physicalLocation,
            ...(layered ? { logicalLocations: [layerLocation(finding.layer!, variant.name)] } : {})
          }
        ],
        ...(layered ? hidingLayers(finding, variant, physicalLocation) : {}),
        partialFingerprints: { 'slimcheckFinding/v1': fingerprintOf(finding, variant.name) },
        ...(compared ? baselineStateOf(finding, added) : {}),
        ...(finding.suppressed ? { suppressions: suppressionsOf(finding.suppressed) } : {}),
        properties: { variant: variant.name, evidence: finding.evidence, fix: finding.fix }
      }
    })
  )
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'slimcheck',
            version: options.version,
            semanticVersion: options.version,
            informationUri: 'https://github.com/slimcheck/slimcheck',
            rules: RULE_IDS.map(ruleDescriptor)
          }
        },
        // Run-level problems (no Dockerfile, bad input, no engine) are the run's own notifications.
        invocations: [
          {
            executionSuccessful: report.problems.length === 0,
            toolExecutionNotifications: report.problems.map((problem) => ({
              level: 'error' as const,
              message: { text: problem }
            }))
          }
        ],
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The root of the repository checkout.' } } },
        results
      }
    ]
  }
}

export function writeSarif(log: Log, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `${JSON.stringify(log, null, 2)}\n`)
}
