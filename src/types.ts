/**
 * The typed values that flow forward through the pipeline: config → discover → analyze → build → baseline → compare →
 * report → publish.
 */

export type Severity = 'info' | 'warning' | 'error'

/** Ordered from least to most severe; `severityRank` compares by this order. */
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error']

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

/** The rules read from the bytes of the shipped image (`src/measure/bytes/`). */
export const BYTE_RULE_IDS = [
  'package-cache',
  'language-cache',
  'dead-bytes',
  'vcs-in-image',
  'build-toolchain',
  'metadata-rewrite'
] as const
export type ByteRuleId = (typeof BYTE_RULE_IDS)[number]

export const RULE_IDS = ['conda-in-production', 'shared-tag', 'floating-tag', 'parse-error', ...BYTE_RULE_IDS] as const
export type RuleId = (typeof RULE_IDS)[number]

/**
 * One image to build: a Dockerfile with its context, target, build-args and platform. Paths are workspace-relative,
 * POSIX.
 */
export interface Variant {
  name: string
  dockerfile: string
  context: string
  target?: string
  buildArgs: Record<string, string>
  /** Build-args whose values the committed config file sets: public, so never masked. */
  committedArgs?: string[]
  platform?: string
  /** Rules whose findings this variant accepts, from its declaration's `ignore` list. */
  ignore?: RuleIgnore[]
}

/** One entry of a declared variant's `ignore` list: a rule whose findings are accepted, and why. */
export interface RuleIgnore {
  rule: RuleId
  reason?: string
}

/**
 * Why a finding does not count: a `# slimcheck ignore=` comment directly above its instruction, or the variant's
 * `ignore` list in the config.
 */
export interface Suppression {
  by: 'comment' | 'config'
  reason?: string
}

export interface Finding {
  rule: RuleId
  severity: Severity
  /** Workspace-relative path of the Dockerfile. */
  file: string
  /** 1-based line; 0 when the finding concerns no single line. */
  line: number
  /** Every Dockerfile line the finding concerns, `line` first (a byte finding's writing and deleting lines). */
  lines?: number[]
  /** A byte finding in an image measured without a Dockerfile (`inspect`, where `line` is 0): the layer it names. */
  layer?: number
  /** Every layer the finding concerns, `layer` first (the writing and the hiding layer), when there are two. */
  layers?: number[]
  /** Byte findings: the uncompressed bytes a fix would save, and the compressed bytes estimated for them. */
  bytes?: number
  compressedBytes?: number
  message: string
  /** A concrete change that makes the finding go away. */
  fix: string
  /** `static` from the Dockerfile text, `image` from inspecting the built image. */
  evidence: 'static' | 'image'
  /** Kept in the report and shown as suppressed; it never fails the run. */
  suppressed?: Suppression
}

export interface Layer {
  /**
   * Uncompressed bytes of the layer as the classic image store counts them: on the classic store the engine's own
   * figure; on the containerd store counted from the layer's content the same way (see `ImageMeasurement.sizeBytes`).
   */
  sizeBytes: number
  /** The layer's compressed blob: as stored (containerd store) or as gzip would send it (classic store). */
  compressedBytes?: number
  /** The layer's uncompressed digest (`rootfs.diff_ids`); absent for history entries that made no layer. */
  diffId?: string
  /** The history entry's CreatedBy, as the engine reports it. */
  createdBy: string
  /** The Dockerfile instruction that made the layer, when it could be matched. */
  instruction?: { line: number; text: string }
}

export type ImageStore = 'overlay2' | 'containerd'

/** What the image conda check found in a built image's filesystem and config. */
export interface CondaMarkers {
  prefixes: { path: string; sizeBytes: number }[]
  commandsOnPath: string[]
  envNames: string[]
}

export interface ImageMeasurement {
  id: string
  /**
   * Uncompressed bytes of the image's content for the built platform, the same on every engine and store: what the
   * classic store reports (`docker image inspect` Size there, exactly), and on the containerd store the same count
   * made from the layers' content.
   */
  sizeBytes: number
  /** How `sizeBytes` was obtained, in words a reader can check. */
  sizeSource: string
  /** The compressed layer blobs for the built platform: what a registry stores and a `docker pull` transfers. */
  compressedBytes: number
  /** How `compressedBytes` was obtained: from the image manifest, or computed (and how). */
  compressedSource: string
  /** The engine's own figure for the image and the field it came from, kept for traceability. */
  engineReported: { sizeBytes: number; source: string }
  store: ImageStore
  platform: string
  layers: Layer[]
  /** The conda markers the image carries, when it carries any: a carried measurement's findings are judged anew. */
  conda?: CondaMarkers
  /**
   * What the byte rules found, before thresholds: a carried measurement's findings are judged anew. Absent only in
   * reports of a slimcheck without the byte rules, whose images were never examined for them.
   */
  byteFacts?: ByteFact[]
  /** What the image holds, to explain its size and what a pull request changed in it. */
  contents?: ImageContents
}

export interface ImageContents {
  /** The installed packages the image's databases and metadata list (names and versions: untrusted text). */
  packages: ImagePackage[]
  /** Where packages were looked for; absent in reports of slimcheck before Python and conda (dpkg and apk only). */
  packageSources?: PackageManager[]
  /** The largest directories, three levels deep, by the bytes of the files the image keeps under them. */
  directories: DirectoryBytes[]
  /** Set when smaller directories were left out: none of them holds more bytes than this. */
  directoriesOmittedBelow?: number
}

/** `python`: a wheel's `*.dist-info`; `conda`: a `conda-meta` record. */
export type PackageManager = 'dpkg' | 'apk' | 'python' | 'conda'

export interface ImagePackage {
  manager: PackageManager
  name: string
  version: string
  /** The installed size the database or metadata states (conda before 4.3: its files' bytes in the image). */
  bytes: number
  /** Python and conda: the site-packages directory or conda environment it is installed in. Untrusted text. */
  prefix?: string
}

export interface DirectoryBytes {
  /** From the image: untrusted text. Files less deep count for their own directory. */
  path: string
  bytes: number
  /** The instruction whose layer wrote most of those bytes; absent when the base image did. */
  writer?: FactInstruction
}

/** Bytes in an image a byte rule would report, and who wrote (and removed) them. */
export interface ByteFact {
  rule: ByteRuleId
  /** What the bytes are: `apt lists`, `pip cache`, `.git`, `toolchain`, `files`. */
  kind: string
  /** The directory they are under, from the image (untrusted text). */
  path?: string
  /** The instruction whose layer wrote them; absent when the base image did (never without a Dockerfile). */
  writer?: FactInstruction
  /** `dead-bytes`, `metadata-rewrite`: the instruction whose layer deleted or overwrote them. */
  remover?: FactInstruction
  /** `dead-bytes`: how the later layer hid them. */
  removal?: 'deleted' | 'overwritten' | 'deleted or overwritten'
  bytes: number
  /** Estimated at the writing layer's compression ratio. */
  compressedBytes: number
  /** `build-toolchain`: the largest packages with their installed sizes, and how many there are in all. */
  packages?: { name: string; bytes: number }[]
  packageCount?: number
}

/** The instruction whose layer wrote or hid bytes: a Dockerfile line, or (`inspect`) a layer of the image. */
export interface FactInstruction {
  /** The Dockerfile line; 0 for an image measured without a Dockerfile, whose `layer` names it. */
  line: number
  /** `RUN`, `COPY`, …; empty when a layer's history names no Dockerfile instruction. */
  keyword: string
  /**
   * Without a Dockerfile: the layer, from 1 at the bottom, counting the layers that hold content (the entries of the
   * report's `image.layers` with a `diffId`).
   */
  layer?: number
  /** Without a Dockerfile: the instruction the layer's history records, shortened (untrusted text). */
  text?: string
}

export type CacheMode = 'cold' | 'warm'

export interface BuildMeasurement {
  /** Median wall-clock seconds over `samples`. */
  seconds: number
  samples: number[]
  cache: CacheMode
  /** How the time was measured, in words a reader can check. */
  method: string
  /** The steps of the last build, from BuildKit's trace, in the order they started. */
  steps?: BuildStep[]
}

/** One step (vertex) of a BuildKit build. */
export interface BuildStep {
  /** The step as BuildKit names it, e.g. `[runtime 2/4] RUN apt-get install -y curl`. */
  name: string
  /** The Dockerfile line the step comes from, when it could be matched. */
  line?: number
  /** From the step's start to its completion, as BuildKit timed it. */
  seconds: number
  cached: boolean
}

/**
 * How a variant's measurement was obtained when it was not built for this side alone. `shared`: base and head had
 * identical inputs (fingerprints), so one build measured both sides. `carried`: the inputs equal those of the stored
 * baseline report, so its measurement was carried forward and nothing was built.
 */
export interface Reuse {
  kind: 'shared' | 'carried'
  /** The commit the measurement was made at (`carried`). */
  commit?: string
  /** The workflow run that stored it (`carried` from an artifact). */
  runId?: number
}

/** What a variant's build can read, hashed; equal fingerprints mean an identical build. */
export interface Fingerprint {
  /** `sha256:…` over every input; absent when some input cannot be fingerprinted. */
  digest?: string
  /** Why the variant must always be rebuilt (e.g. `ADD https://…` at Dockerfile.app:4). */
  unfingerprintable?: string
}

export type VariantStatus = 'built' | 'failed' | 'skipped'

/**
 * `build`: the Dockerfile failed (a step's command, a missing source, a syntax error), which the baseline can share.
 * `unmeasured`: the machinery failed (the engine, its disk, a registry, a time limit): nothing was checked.
 */
export type FailureKind = 'build' | 'unmeasured'

export interface VariantFailure {
  message: string
  /** Absent in reports of earlier versions, which did not tell the two apart. */
  kind?: FailureKind
  /** The Dockerfile step that failed, as BuildKit names it without its position (`[runtime] RUN make`). */
  step?: string
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
  fingerprint?: Fingerprint
  /** Set when the measurement was not made by this side's own build. */
  reused?: Reuse
}

/** An image pulled before the first build that reads it, so that no build time includes a download. */
export interface ImagePull {
  image: string
  /** The platform pulled, when the variant names one (else the engine's own). */
  platform?: string
  /** The digest the registry resolved the reference to. */
  digest?: string
  /** Compressed bytes downloaded: layers the engine already had are not downloaded again. */
  bytes: number
  seconds: number
}

export const SCHEMA_VERSION = 2

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION
  tool: { name: 'slimcheck'; version: string }
  createdAt: string
  commit?: string
  engine?: { version: string; store: ImageStore; os: string; arch: string }
  /** Run-level problems that stopped part of the work (bad input, no Dockerfiles, unreachable engine). */
  problems: string[]
  /** The images this run pulled before timing any build, for every side it measured. */
  pulls?: ImagePull[]
  variants: VariantReport[]
  /** Present on pull requests: what the head measured against the baseline. */
  comparison?: Comparison
  /** Present on one leg's partial report of a sharded run: which shard it is, and what all legs together cover. */
  shard?: ShardInfo
  /** A partial report's base side (its shard's variants only), from which the merge compares again. */
  baseReport?: Report
}

/** One leg of a run split over a matrix: shard `index` (from 1) of `total`. */
export interface ShardPosition {
  index: number
  total: number
}

export interface ShardInfo extends ShardPosition {
  /** Every variant name the legs together must report, in report order. */
  variants: string[]
}

/** Where the numbers for the base side came from. */
export interface BaselineInfo {
  /** `report`: a report file an earlier run wrote (the CLI's --baseline-report). */
  source: 'build' | 'artifact' | 'report' | 'none'
  /** The base commit measured (build) or the commit the stored report was made at (artifact). */
  commit?: string
  /** The workflow run the artifact came from. */
  runId?: number
  runUrl?: string
  /** Why there is no baseline, or what was done instead of what was asked. */
  note?: string
  /** A comparison was asked for and could not be made, and why: the check fails, as nothing was compared. */
  unavailable?: string
  /** A pull request that asked for no comparison (`baseline: none`): the limits only a comparison checks are not. */
  optedOut?: boolean
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
  /** The base side's text of an instruction the pull request edited (paired by line). */
  beforeInstruction?: string
  line?: number
  before: number
  after: number
  delta: number
}

export interface PackageChange {
  manager: PackageManager
  name: string
  /** Python and conda: where it is installed (the same package in two environments is two packages). */
  prefix?: string
  /** The version on each side that has the package. */
  before?: string
  after?: string
  /** Installed bytes, PR minus baseline. */
  delta: number
}

export interface PackageChangeGroup {
  count: number
  /** Installed bytes, PR minus baseline, over the whole group. */
  delta: number
  /** The largest changes of the group, by installed bytes. */
  largest: PackageChange[]
}

export interface DirectoryChange {
  path: string
  before: number
  after: number
  delta: number
  /** The instruction whose layer wrote most of the pull request's bytes there; absent for the base image. */
  writer?: FactInstruction
}

export interface ContentsChange {
  /** Packages added, removed, and changed in version; absent when neither image has a package database. */
  packages?: { added: PackageChangeGroup; removed: PackageChangeGroup; changed: PackageChangeGroup }
  /** The directories whose bytes changed most, largest change first. */
  directories: DirectoryChange[]
}

export type ChangeKind = 'changed' | 'unchanged' | 'added' | 'removed' | 'failed'

export interface VariantComparison {
  name: string
  kind: ChangeKind
  baseStatus?: VariantStatus
  headStatus?: VariantStatus
  /** Why a failed side has no measurement: its Dockerfile failed (`build`), or nothing was checked (`unmeasured`). */
  baseFailure?: FailureKind
  headFailure?: FailureKind
  size?: Delta
  /** The change of the compressed size, when both sides measured it. */
  compressed?: Delta
  time?: TimeDelta
  layers?: { before: number; after: number; delta: number; changes: LayerChange[] }
  /** What the pull request changed inside the image, when both sides' contents were read. */
  contents?: ContentsChange
  findings: {
    added: Finding[]
    fixed: Finding[]
    unchanged: Finding[]
    /** The head's suppressed findings, new or not: none of them fails the run. */
    suppressed?: Finding[]
  }
}

export interface PolicyViolation {
  /**
   * Which limit: `fail-on`, `max-size-increase`, `max-build-time-increase`, `max-size`, `build`; or what could not be
   * checked: `not-measured` (a variant, on either side), `not-compared` (the baseline), `run` (the run itself).
   */
  limit: string
  variant?: string
  message: string
  file?: string
  line?: number
  /** The `fail-on` rule a finding violated. */
  rule?: RuleId
  /** Already on the baseline: the pull request did not cause it. */
  inherited?: boolean
}

export interface Comparison {
  baseline: BaselineInfo
  variants: VariantComparison[]
  totalSize?: Delta
  /** What fails the check: new violations, and inherited ones too with `fail-on-inherited`. */
  violations: PolicyViolation[]
  /** Violations already on the baseline that do not fail the check (`fail-on-inherited` is off). */
  inherited: PolicyViolation[]
  /** Limits set but not checked, as there was no baseline to check them against (`baseline: none`, a push). */
  notChecked?: string[]
}
