/** The typed values that flow forward through the pipeline: config → discover → analyze → build → baseline → compare → report → publish. */

export type Severity = 'info' | 'warning' | 'error'

/** Ordered from least to most severe; `severityRank` compares by this order. */
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error']

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export const RULE_IDS = ['conda-in-production', 'shared-tag', 'floating-tag', 'parse-error'] as const
export type RuleId = (typeof RULE_IDS)[number]

/** One image to build: a Dockerfile with its context, target, build-args and platform. Paths are workspace-relative, POSIX. */
export interface Variant {
  name: string
  dockerfile: string
  context: string
  target?: string
  buildArgs: Record<string, string>
  platform?: string
}

export interface Finding {
  rule: RuleId
  severity: Severity
  /** Workspace-relative path of the Dockerfile. */
  file: string
  /** 1-based line; 0 when the finding concerns no single line. */
  line: number
  message: string
  /** A concrete change that makes the finding go away. */
  fix: string
  /** `static` from the Dockerfile text, `image` from inspecting the built image. */
  evidence: 'static' | 'image'
}

export interface Layer {
  sizeBytes: number
  /** The history entry's CreatedBy, as the engine reports it. */
  createdBy: string
  /** The Dockerfile instruction that made the layer, when it could be matched. */
  instruction?: { line: number; text: string }
}

export type ImageStore = 'overlay2' | 'containerd'

export interface ImageMeasurement {
  id: string
  /** Unpacked size of the image for the built platform, in bytes, exactly as the engine reports it. */
  sizeBytes: number
  /** Which engine field the size came from, e.g. `Size from GET /images/{id}/json (overlay2 store)`. */
  sizeSource: string
  store: ImageStore
  platform: string
  layers: Layer[]
}

export type CacheMode = 'cold' | 'warm'

export interface BuildMeasurement {
  /** Median wall-clock seconds over `samples`. */
  seconds: number
  samples: number[]
  cache: CacheMode
  /** How the time was measured, in words a reader can check. */
  method: string
}

export type VariantStatus = 'built' | 'failed' | 'skipped'

export interface VariantFailure {
  message: string
  /** The last lines of the build log, untrusted text. */
  logTail: string[]
}

export interface VariantReport {
  name: string
  dockerfile: string
  context: string
  target?: string
  platform?: string
  /** Names only: build-arg values may be secrets and are never written out. */
  buildArgNames: string[]
  status: VariantStatus
  image?: ImageMeasurement
  build?: BuildMeasurement
  findings: Finding[]
  failure?: VariantFailure
  /** Bytes taken by a conda prefix found in the built image. */
  condaBytes?: number
}

export const SCHEMA_VERSION = 1

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION
  tool: { name: 'slimcheck'; version: string }
  createdAt: string
  commit?: string
  engine?: { version: string; store: ImageStore; os: string; arch: string }
  /** Run-level problems that stopped part of the work (bad input, no Dockerfiles, unreachable engine). */
  problems: string[]
  variants: VariantReport[]
  /** Present on pull requests: what the head measured against the baseline. */
  comparison?: Comparison
}

/** Where the numbers for the base side came from. */
export interface BaselineInfo {
  source: 'build' | 'artifact' | 'none'
  /** The base commit measured (build) or the commit the stored report was made at (artifact). */
  commit?: string
  /** The workflow run the artifact came from. */
  runId?: number
  runUrl?: string
  /** Why there is no baseline, or what was done instead of what was asked. */
  note?: string
}

export interface Delta {
  before: number
  after: number
  delta: number
  /** Relative change; null when `before` is 0. */
  percent: number | null
}

export interface TimeDelta extends Delta {
  /** The difference lies within the spread of the measured samples: not a change. */
  noise: boolean
  beforeRange: { min: number; max: number }
  afterRange: { min: number; max: number }
  /** Builds measured on each side; with one, the spread (and so the noise) is unknown. */
  runs: { before: number; after: number }
}

export interface LayerChange {
  /** The Dockerfile instruction (head side when both have it), or `base image`. */
  instruction: string
  line?: number
  before: number
  after: number
  delta: number
}

export type ChangeKind = 'changed' | 'unchanged' | 'added' | 'removed' | 'failed'

export interface VariantComparison {
  name: string
  kind: ChangeKind
  baseStatus?: VariantStatus
  headStatus?: VariantStatus
  size?: Delta
  time?: TimeDelta
  layers?: { before: number; after: number; delta: number; changes: LayerChange[] }
  findings: { added: Finding[]; fixed: Finding[]; unchanged: Finding[] }
}

export interface PolicyViolation {
  /** Which limit: `fail-on`, `max-size-increase`, `max-build-time-increase`, `max-size`, `build`. */
  limit: string
  variant?: string
  message: string
  file?: string
  line?: number
}

export interface Comparison {
  baseline: BaselineInfo
  variants: VariantComparison[]
  totalSize?: Delta
  violations: PolicyViolation[]
}
