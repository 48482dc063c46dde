/**
 * Stage 1: turn raw inputs (action inputs or CLI flags, all strings) into validated Settings. Pure apart from reading
 * the config file.
 */
import fs from 'node:fs'
import path from 'node:path'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { parseImageRef } from './analyze/image-ref.js'
import { SUPPRESSIBLE_RULES } from './analyze/suppress.js'
import {
  RULE_IDS,
  SEVERITIES,
  type CacheMode,
  type RuleId,
  type RuleIgnore,
  type Severity,
  type ShardPosition
} from './types.js'

/** Raw input values keyed by their action.yml names; a missing key means "use the default". */
export type RawInputs = Partial<Record<InputName, string>>

export const INPUT_DEFAULTS = {
  'working-directory': '.',
  variants: '',
  'config-file': '.github/slimcheck.yml',
  exclude: '',
  'fail-on': 'conda-in-production',
  'allowed-conda-images': 'pytorch/pytorch',
  cache: 'cold',
  'build-timeout': '20m',
  'build-args': '',
  secrets: '',
  'secret-files': '',
  platform: '',
  'report-path': 'slimcheck-report.json',
  annotations: 'true',
  baseline: 'auto',
  runs: '1',
  comment: 'true',
  'github-token': '',
  'artifact-name': 'slimcheck-report',
  'max-size-increase': '',
  'max-build-time-increase': '',
  'max-size': '',
  'size-metric': 'uncompressed',
  'size-noise-threshold': '10kB',
  'byte-findings-threshold': '10MB,2%',
  'fail-on-inherited': 'false',
  'sarif-path': 'slimcheck.sarif',
  'allow-pull-request-target': 'false',
  rebuild: 'false',
  'keep-images': 'false',
  'comment-key': '',
  shard: '',
  merge: ''
} as const

export type InputName = keyof typeof INPUT_DEFAULTS

/** A variant as declared in the `variants` input or the config file, before defaults are applied. */
export interface VariantSpec {
  name?: string
  dockerfile: string
  context?: string
  target?: string
  buildArgs: Record<string, string>
  platform?: string
  /** Rules whose findings the variant accepts: shown as suppressed, never failing the run. */
  ignore?: RuleIgnore[]
  /** Where it was declared, for error messages: `.github/slimcheck.yml:4` or `input variants:2`. */
  origin: string
  /** Declared in the committed config file: its build-arg values are in the repository already, no secret. */
  committed: boolean
}

export interface FailPolicy {
  rules: Set<RuleId>
  /** Findings at or above this severity fail the run. */
  minSeverity?: Severity
}

export type BaselineMode = 'auto' | 'build' | 'artifact' | 'none'

/** A size or growth limit: absolute bytes, or a percentage of the baseline. */
export type Limit = { bytes: number } | { percent: number }

/** A byte finding is reported from `bytes` on, and from `percent` of the bytes the Dockerfile adds to its base. */
export interface ByteThreshold {
  bytes: number
  percent: number
}

export interface SizeBudget {
  /** Glob over variant names. */
  pattern: string
  bytes: number
}

/**
 * Which size the limits apply to: the unpacked image, or the compressed blobs a registry stores and a pull transfers.
 */
export type SizeMetric = 'uncompressed' | 'compressed'

export interface Policy {
  failOn: FailPolicy
  /** Fail on violations already on the baseline too, not only on those the pull request brings. */
  failOnInherited: boolean
  sizeMetric: SizeMetric
  /** Size changes up to this much are noise: shown as `≈`, never as a change. */
  sizeNoise: Limit
  maxSizeIncrease?: Limit
  /** Percent beyond the measured noise. */
  maxBuildTimeIncreasePercent?: number
  maxSize: SizeBudget[]
}

export interface Settings {
  workspace: string
  exclude: string[]
  variants?: VariantSpec[]
  /**
   * The config file (workspace-relative) that declares the variants when the `variants` input is empty: each side
   * reads its own commit's copy.
   */
  configFile?: string
  allowedCondaImages: string[]
  byteFindingsThreshold: ByteThreshold
  cache: CacheMode
  buildTimeoutSeconds: number
  buildArgs: Record<string, string>
  /** By id, for `RUN --mount=type=secret,id=…`; served through the BuildKit session, never printed or stored. */
  secrets: Record<string, string>
  platform?: string
  reportPath: string
  /** Where the SARIF log of the findings goes. */
  sarifPath: string
  /**
   * The files slimcheck writes that lie in the working directory (report-path, sarif-path, the command line's
   * --output), relative to it with `/`: no build context may include them, or each run's output would change the
   * next run's build inputs.
   */
  outputFiles: string[]
  annotations: boolean
  baseline: BaselineMode
  runs: number
  comment: boolean
  githubToken: string
  artifactName: string
  policy: Policy
  allowPullRequestTarget: boolean
  /** Build every variant, even those whose inputs equal the stored baseline's or the other side's. */
  rebuild: boolean
  /** Keep the images slimcheck built (`slimcheck/<variant>:<side>-<run id>-<build>`) and pulled, for later steps. */
  keepImages: boolean
  /**
   * Tells this job's comment apart from other slimcheck jobs' on the same PR; empty: workflow/job/working-directory.
   */
  commentKey: string
  /** This run is one leg of a matrix: it measures its shard of the variants and writes a partial report. */
  shard?: ShardPosition
  /**
   * Paths or globs (relative to the workspace) of the legs' partial reports: this run merges them and builds nothing.
   */
  merge: string[]
}

export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** The inputs that name a file slimcheck writes. */
export type OutputInput = 'report-path' | 'sarif-path'

/**
 * `writes`: the outputs this command writes, checked to be writable now, before any build (the CLI writes no SARIF
 * file, and `analyze` no report).
 */
export function parseSettings(
  raw: RawInputs,
  cwd = process.cwd(),
  writes: readonly OutputInput[] = ['report-path', 'sarif-path']
): Settings {
  const input = (name: InputName): string => (raw[name] ?? INPUT_DEFAULTS[name]).trim()
  const workspace = path.resolve(cwd, input('working-directory') || '.')
  if (!isDirectory(workspace)) throw new InputError(`working-directory: ${workspace} is not a directory`)
  return {
    workspace,
    exclude: parseList(input('exclude')),
    variants: input('variants')
      ? parseVariantsYaml(input('variants'), VARIANTS_INPUT, false)
      : readConfigFile(workspace, input('config-file'), input('config-file') !== INPUT_DEFAULTS['config-file']),
    ...(input('variants') ? {} : { configFile: input('config-file') }),
    allowedCondaImages: parseImagePatterns('allowed-conda-images', input('allowed-conda-images')),
    byteFindingsThreshold: parseByteThreshold('byte-findings-threshold', input('byte-findings-threshold')),
    cache: parseChoice('cache', input('cache'), ['cold', 'warm'] as const),
    buildTimeoutSeconds: parseDuration('build-timeout', input('build-timeout')),
    buildArgs: parseBuildArgs(input('build-args')),
    secrets: parseSecrets(raw.secrets ?? '', input('secret-files'), workspace),
    platform: parsePlatform('platform', input('platform')),
    ...outputPaths(workspace, (name) => path.resolve(workspace, input(name) || INPUT_DEFAULTS[name]), writes),
    annotations: parseBoolean('annotations', input('annotations')),
    baseline: parseChoice('baseline', input('baseline'), ['auto', 'build', 'artifact', 'none'] as const),
    runs: parseRuns(input('runs')),
    comment: parseBoolean('comment', input('comment')),
    githubToken: input('github-token'),
    artifactName: parseArtifactName(input('artifact-name')),
    policy: {
      failOn: parseFailOn(input('fail-on')),
      failOnInherited: parseBoolean('fail-on-inherited', input('fail-on-inherited')),
      sizeNoise: parseLimit('size-noise-threshold', input('size-noise-threshold')),
      sizeMetric: parseChoice('size-metric', input('size-metric'), ['uncompressed', 'compressed'] as const),
      maxSizeIncrease: input('max-size-increase')
        ? parseLimit('max-size-increase', input('max-size-increase'))
        : undefined,
      maxBuildTimeIncreasePercent: input('max-build-time-increase')
        ? parsePercent('max-build-time-increase', input('max-build-time-increase'))
        : undefined,
      maxSize: parseSizeBudgets(input('max-size'))
    },
    allowPullRequestTarget: parseBoolean('allow-pull-request-target', input('allow-pull-request-target')),
    rebuild: parseBoolean('rebuild', input('rebuild')),
    keepImages: parseBoolean('keep-images', input('keep-images')),
    commentKey: input('comment-key'),
    ...shardAndMerge(input('shard'), input('merge'))
  }
}

const MAX_SHARDS = 256

/** `2/4`: the second of four legs. GitHub runs at most 256 jobs of one matrix. */
export function parseShard(name: string, value: string): ShardPosition {
  const match = /^(\d+)\s*\/\s*(\d+)$/.exec(value.trim())
  if (!match) throw new InputError(`${name}: '${value}' is not a shard; use I/N, e.g. 1/4 for the first of four legs`)
  const [index, total] = [Number(match[1]), Number(match[2])]
  if (total < 1 || total > MAX_SHARDS)
    throw new InputError(`${name}: '${value}' has ${total} shards; use 1 to ${MAX_SHARDS}`)
  if (index < 1 || index > total)
    throw new InputError(`${name}: '${value}' is not one of the ${total} shards; number them 1 to ${total}`)
  return { index, total }
}

function shardAndMerge(shard: string, merge: string): Pick<Settings, 'shard' | 'merge'> {
  const patterns = parseList(merge)
  if (shard && patterns.length)
    throw new InputError(
      'shard: a merge step builds nothing, so it takes no shard; set shard on the matrix legs and merge on the job that needs them'
    )
  return { ...(shard ? { shard: parseShard('shard', shard) } : {}), merge: patterns }
}

function outputPaths(
  workspace: string,
  resolve: (name: OutputInput) => string,
  writes: readonly OutputInput[]
): Pick<Settings, 'reportPath' | 'sarifPath' | 'outputFiles'> {
  const paths = { reportPath: resolve('report-path'), sarifPath: resolve('sarif-path') }
  for (const name of writes) checkWritableFile(name, resolve(name))
  if (writes.includes('report-path') && writes.includes('sarif-path') && paths.reportPath === paths.sarifPath)
    throw new InputError(`sarif-path: ${paths.sarifPath} is the report-path too; give each its own file`)
  // Both, whichever this command writes: an earlier run may have left the other one there.
  return { ...paths, outputFiles: workspaceFiles(workspace, [paths.reportPath, paths.sarifPath]) }
}

/** `settings` with one more file that this run writes (absolute), kept out of the build contexts if it lies in them. */
export function withOutputFile(settings: Settings, file: string): Settings {
  const outputFiles = [...new Set([...settings.outputFiles, ...workspaceFiles(settings.workspace, [file])])]
  return { ...settings, outputFiles }
}

/** The absolute `files` that lie in `workspace`, relative to it with `/`. */
function workspaceFiles(workspace: string, files: string[]): string[] {
  return files
    .map((file) => path.relative(workspace, file))
    .filter(
      (relative) => relative && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative)
    )
    .map((relative) => relative.split(path.sep).join('/'))
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file)
  } catch {
    return undefined
  }
}

/** Fails now, naming the input, when `file` cannot be written: before the first build rather than after the last. */
export function checkWritableFile(name: string, file: string): void {
  const stat = statOf(file)
  if (stat?.isDirectory()) throw new InputError(`${name}: ${file} is a directory; give the path of a file`)
  // A new file is created, with any directories missing, in its nearest existing ancestor.
  let target = file
  let found = stat
  while (!found) {
    target = path.dirname(target)
    found = statOf(target)
  }
  if (target !== file && !found.isDirectory())
    throw new InputError(`${name}: cannot create ${file}: ${target} is a file, not a directory`)
  try {
    fs.accessSync(target, target === file ? fs.constants.W_OK : fs.constants.W_OK | fs.constants.X_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new InputError(`${name}: cannot write ${file}: ${target} is not writable (${code})`)
  }
}

function parseRuns(value: string): number {
  const runs = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(runs >= 1 && runs <= 20))
    throw new InputError(`runs: '${value}' is not allowed; use a whole number from 1 to 20`)
  return runs
}

function parseArtifactName(value: string): string {
  if (!value || /["':<>|*?\\/\r\n]/.test(value))
    throw new InputError(
      `artifact-name: '${value}' is not a valid artifact name; avoid " : < > | * ? \\ / and line breaks`
    )
  return value
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3
}
const SIZE_FORMS = "bytes (52428800) or a size with kB, MB, GB (decimal) or KiB, MiB, GiB (binary), e.g. '50MB'"

/** `52428800`, `50MB` (decimal), `50MiB` (binary) → bytes. A byte count is whole: `1.5` alone is refused. */
export function parseSize(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim())
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined
  if (!match || unit === undefined || (unit === 1 && match[1].includes('.')))
    throw new InputError(`${name}: '${value}' is not a size; use ${SIZE_FORMS}`)
  const bytes = Math.round(Number(match[1]) * unit)
  if (!Number.isSafeInteger(bytes)) throw new InputError(`${name}: '${value}' is larger than any image`)
  return bytes
}

export function parsePercent(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim())
  if (!match || !Number.isFinite(Number(match[1])))
    throw new InputError(`${name}: '${value}' is not a percentage; use e.g. '10%'`)
  return Number(match[1])
}

/** `10%` or a size. */
export function parseLimit(name: string, value: string): Limit {
  if (value.trim().endsWith('%')) return { percent: parsePercent(name, value) }
  try {
    return { bytes: parseSize(name, value) }
  } catch {
    throw new InputError(`${name}: '${value}' is not a limit; use a percentage ('10%') or ${SIZE_FORMS}`)
  }
}

/** `10MB,2%`: a size, a percentage or both, each of which a finding must reach; what is left out is 0. */
export function parseByteThreshold(name: string, value: string): ByteThreshold {
  const threshold = { bytes: 0, percent: 0 }
  const parts = value.split(',').map((part) => part.trim())
  if (parts.length > 2 || parts.some((part) => !part))
    throw new InputError(`${name}: '${value}' is not a threshold; use a size, a percentage or both, e.g. '10MB,2%'`)
  const given = parts.map((part) => parseLimit(name, part))
  for (const limit of given) {
    if ('percent' in limit) threshold.percent = limit.percent
    else threshold.bytes = limit.bytes
  }
  if (given.length === 2 && 'percent' in given[0] === 'percent' in given[1])
    throw new InputError(
      `${name}: '${value}' gives two ${'percent' in given[0] ? 'percentages' : 'sizes'}; use one size and one percentage, e.g. '10MB,2%'`
    )
  return threshold
}

/** `500MB` for every variant, or `api*=500MB, *=1GB` by variant-name glob (first match wins). */
export function parseSizeBudgets(value: string): SizeBudget[] {
  return parseList(value).map((item) => {
    const separator = item.lastIndexOf('=')
    const pattern = separator >= 0 ? item.slice(0, separator).trim() : '*'
    const size = separator >= 0 ? item.slice(separator + 1) : item
    if (!pattern)
      throw new InputError(`max-size: '${item}' has an empty variant pattern; use 'pattern=size' such as 'api*=500MB'`)
    return { pattern, bytes: parseSize('max-size', size) }
  })
}

const PLATFORM = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+){0,2}$/
const OPERATING_SYSTEMS = ['linux', 'windows']
/** Go's architecture names, as images carry them, each with the variants BuildKit (containerd) knows for it. */
const ARCHITECTURES: Record<string, readonly string[]> = {
  amd64: ['v1', 'v2', 'v3', 'v4'],
  arm64: ['v8', 'v8.0', 'v8.1', 'v8.2', 'v8.3', 'v8.4', 'v8.5', 'v8.6', 'v8.7', 'v8.8', 'v8.9', 'v9', 'v9.0'],
  arm: ['v5', 'v6', 'v7', 'v8', '5', '6', '7', '8'],
  '386': [],
  ppc64le: [],
  ppc64: [],
  s390x: [],
  riscv64: [],
  mips64le: [],
  mips64: [],
  mipsle: [],
  mips: [],
  loong64: []
}
/** The other names BuildKit takes for an architecture (containerd normalizes them); they carry no variant. */
const ARCHITECTURE_ALIASES = ['x86_64', 'x86-64', 'aarch64', 'i386', 'armhf', 'armel']
const PLATFORM_EXAMPLES = 'e.g. linux/amd64, linux/arm64, linux/arm/v7, linux/386, linux/ppc64le, linux/s390x'

/**
 * One platform as the engine takes it: `os/arch[/variant]` (`linux/amd64`, `linux/arm/v7`), or an os or an arch alone
 * (the engine fills in the rest); empty means the engine's own. Names are checked here, since an unknown one fails
 * every build.
 */
export function parsePlatform(name: string, value: string): string | undefined {
  if (!value) return undefined
  if (!PLATFORM.test(value))
    throw new InputError(
      `${name}: '${value}' is not one platform; use os/arch or os/arch/variant, ${PLATFORM_EXAMPLES}`
    )
  const problem = platformProblem(value.toLowerCase().split('/'))
  if (problem) throw new InputError(`${name}: '${value}' ${problem}; ${PLATFORM_EXAMPLES}`)
  return value
}

function platformProblem(parts: string[]): string | undefined {
  if (parts.length === 1)
    return OPERATING_SYSTEMS.includes(parts[0]) || isArchitecture(parts[0])
      ? undefined
      : `is neither an operating system (${OPERATING_SYSTEMS.join(', ')}) nor an architecture (${architectureList()})`
  const [os, arch, variant] = parts
  if (!OPERATING_SYSTEMS.includes(os))
    return `has an unknown operating system '${os}'; use ${OPERATING_SYSTEMS.join(' or ')}`
  if (!isArchitecture(arch)) return `has an unknown architecture '${arch}'; use one of ${architectureList()}`
  if (variant === undefined || ARCHITECTURES[arch]?.includes(variant)) return undefined
  const variants = ARCHITECTURES[arch]?.filter((known) => known.startsWith('v')) ?? []
  return variants.length
    ? `has an unknown ${arch} variant '${variant}'; use one of ${variants.join(', ')}`
    : `has a variant '${variant}', but ${arch} has no variants`
}

function isArchitecture(arch: string): boolean {
  return Object.hasOwn(ARCHITECTURES, arch) || ARCHITECTURE_ALIASES.includes(arch)
}

function architectureList(): string {
  return [...Object.keys(ARCHITECTURES), ...ARCHITECTURE_ALIASES].join(', ')
}

/** Image references, each optionally ending in `*` to match a prefix (`nvcr.io/nvidia/pytorch*`). */
export function parseImagePatterns(name: string, value: string): string[] {
  const patterns = parseList(value)
  for (const pattern of patterns) {
    if (pattern === '*')
      throw new InputError(
        `${name}: a bare '*' would accept conda everywhere; list the images, e.g. pytorch/pytorch or continuumio/*`
      )
    const reference = pattern.endsWith('*') ? `${pattern.slice(0, -1)}x` : pattern
    if (!parseImageRef(reference))
      throw new InputError(
        `${name}: '${pattern}' is not an image reference; use e.g. pytorch/pytorch, nvcr.io/nvidia/pytorch* or continuumio/*`
      )
  }
  return patterns
}

/** Splits a newline- or comma-separated list, dropping blanks and `#` comments. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.replace(/\s+#.*$/, '').trim())
    .filter((item) => item && !item.startsWith('#'))
}

export function parseChoice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((choice) => choice === value.toLowerCase())
  if (!found) throw new InputError(`${name}: '${value}' is not allowed; use one of ${allowed.join(', ')}`)
  return found
}

export function parseBoolean(name: string, value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true
  if (/^(false|no|off|0)$/i.test(value)) return false
  throw new InputError(`${name}: '${value}' is not a boolean; use true or false`)
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 }
/** Node's timers overflow past 2^31 ms (about 24.8 days); a day is already far beyond any runner's job limit. */
const MAX_DURATION_SECONDS = 24 * 3600

/** `90`, `90s`, `20m`, `1h` → seconds. */
export function parseDuration(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/i.exec(value)
  const seconds = match ? Number(match[1]) * DURATION_UNITS[(match[2] ?? '').toLowerCase()] : NaN
  if (!(seconds > 0))
    throw new InputError(
      `${name}: '${value}' is not a duration; use seconds (900) or a number with s, m or h (90s, 20m, 1h)`
    )
  if (seconds > MAX_DURATION_SECONDS)
    throw new InputError(`${name}: '${value}' is longer than the 24 h slimcheck allows`)
  return seconds
}

/**
 * `fail-on`: a list of rule ids and/or one severity (`error`, `warning`, `info`), or `none`. Two different severities
 * are refused: each is a threshold, and no one of them is what both ask for.
 */
export function parseFailOn(value: string): FailPolicy {
  const policy: FailPolicy = { rules: new Set() }
  for (const item of parseList(value.toLowerCase())) {
    if (item === 'none') continue
    if ((RULE_IDS as readonly string[]).includes(item)) policy.rules.add(item as RuleId)
    else if ((SEVERITIES as readonly string[]).includes(item)) {
      if (policy.minSeverity !== undefined && policy.minSeverity !== item)
        throw new InputError(
          `fail-on: '${policy.minSeverity}' and '${item}' are two severities; give one: findings at it or above fail the run (${SEVERITIES.join(' < ')})`
        )
      policy.minSeverity = item as Severity
    } else
      throw new InputError(
        `fail-on: '${item}' is neither a rule (${RULE_IDS.join(', ')}) nor a severity (${SEVERITIES.join(', ')}) nor 'none'`
      )
  }
  return policy
}

/** `KEY=VALUE` lines; values may contain `=`. */
export function parseBuildArgs(text: string): Record<string, string> {
  const args: Record<string, string> = {}
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (!match) throw new InputError(`build-args line ${index + 1}: expected KEY=VALUE (the value is not shown)`)
    args[match[1]] = match[2]
  }
  return args
}

const SECRET_LINE = /^\s*([A-Za-z0-9_.-]+)=(.*)$/

/**
 * `secrets`: `ID=VALUE` lines; `secret-files`: `ID=PATH` lines, the file read now (for multi-line values such as a
 * `.netrc`). Messages name the line, never a value.
 */
export function parseSecrets(values: string, files: string, workspace: string): Record<string, string> {
  const secrets: Record<string, string> = {}
  for (const [index, line] of values.split('\n').entries()) {
    if (!line.trim()) continue
    const match = SECRET_LINE.exec(line)
    if (!match) throw new InputError(`secrets line ${index + 1}: expected ID=VALUE (the value is not shown)`)
    secrets[match[1]] = match[2].replace(/\r$/, '')
  }
  for (const [index, line] of files.split('\n').entries()) {
    if (!line.trim()) continue
    const match = SECRET_LINE.exec(line)
    if (!match) throw new InputError(`secret-files line ${index + 1}: expected ID=PATH`)
    const given = match[2].trim()
    secrets[match[1]] = readSecretFile(path.resolve(workspace, given), `secret-files line ${index + 1}: ${given}`)
  }
  return secrets
}

/** BuildKit refuses a larger secret (`MaxSecretSize`, 500 KiB, in its session/secrets/secretsprovider). */
export const MAX_SECRET_BYTES = 500 * 1024

/**
 * A secret file's content, read only from a regular file within BuildKit's limit: a device such as /dev/zero never
 * ends, and a FIFO blocks until someone writes to it. `label` names the line and the path, never the content.
 */
function readSecretFile(file: string, label: string): string {
  let fd: number
  try {
    // Without O_NONBLOCK, opening a FIFO waits for a writer (Windows has no such flag, nor FIFOs to open).
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
  } catch (error) {
    throw new InputError(`${label}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) throw new InputError(`${label}: is ${fileKind(stat)}, not a regular file; give a file`)
    const tooLarge = `is larger than the ${MAX_SECRET_BYTES / 1024} KiB BuildKit accepts for a secret`
    if (stat.size > MAX_SECRET_BYTES) throw new InputError(`${label}: ${tooLarge} (${stat.size} bytes)`)
    // The file may grow while it is read: read one byte past the limit to notice.
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1)
    let length = 0
    let read: number
    do {
      read = fs.readSync(fd, buffer, length, buffer.length - length, null)
      length += read
    } while (read > 0 && length < buffer.length)
    if (length > MAX_SECRET_BYTES) throw new InputError(`${label}: ${tooLarge}`)
    return buffer.subarray(0, length).toString('utf8')
  } finally {
    fs.closeSync(fd)
  }
}

function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory'
  if (stat.isFIFO()) return 'a FIFO (named pipe)'
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device'
  if (stat.isSocket()) return 'a socket'
  return 'a special file'
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory()
  } catch {
    return false
  }
}

const VARIANTS_INPUT = 'input variants'

/** The variants `configFile` declares; undefined when it does not exist and is not `required` (the tree is scanned). */
export function readConfigFile(workspace: string, configFile: string, required: boolean): VariantSpec[] | undefined {
  const file = path.resolve(workspace, configFile)
  if (!fs.existsSync(file)) {
    if (required) throw new InputError(`config-file: ${configFile} does not exist in ${workspace}`)
    return undefined
  }
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new InputError(`config-file: cannot read ${configFile}: ${(error as Error).message}`)
  }
  return parseVariantsYaml(text, path.relative(workspace, file).split(path.sep).join('/'), true)
}

const VARIANT_KEYS = ['name', 'dockerfile', 'context', 'target', 'build-args', 'platform', 'ignore']

/**
 * Parses a YAML list of variants (the `variants` input), or a document with a top-level `variants:` list (the config
 * file).
 * Errors name the source and line: `.github/slimcheck.yml:7: variants[1].build-args must be a map`.
 */
export function parseVariantsYaml(text: string, source: string, isConfigFile: boolean): VariantSpec[] {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  const where = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0]
    return offset === undefined ? source : `${source}:${lineCounter.linePos(offset).line}`
  }
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    throw new InputError(`${source}:${first.linePos?.[0].line ?? 1}: invalid YAML: ${first.message.split('\n')[0]}`)
  }
  let list: Node | null = doc.contents
  if (isConfigFile) {
    if (!isMap(list)) throw new InputError(`${where(list)}: expected a mapping with a 'variants' list`)
    list = list.get('variants', true) as Node | null
    if (list === undefined || list === null) return []
  }
  if (!isSeq(list))
    throw new InputError(
      `${where(list)}: variants must be a YAML list of {dockerfile, name, context, target, build-args, platform, ignore}`
    )
  return list.items.map((item, index) => ({
    ...parseVariantItem(item as Node, `variants[${index}]`, where),
    committed: isConfigFile
  }))
}

function parseVariantItem(
  item: Node,
  label: string,
  where: (node: Node | null | undefined) => string
): Omit<VariantSpec, 'committed'> {
  if (isScalar(item) && typeof item.value === 'string')
    return { dockerfile: item.value, buildArgs: {}, origin: where(item) }
  if (!isMap(item)) throw new InputError(`${where(item)}: ${label} must be a Dockerfile path or a mapping`)
  const text = (key: string): string | undefined => {
    const node = item.get(key, true) as Node | undefined
    if (node === undefined || node === null) return undefined
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
      throw new InputError(`${where(node)}: ${label}.${key} must be a string`)
    }
    return String(node.value)
  }
  for (const pair of item.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (!VARIANT_KEYS.includes(key))
      throw new InputError(
        `${where(pair.key as Node)}: ${label} has unknown key '${key}'; allowed: ${VARIANT_KEYS.join(', ')}`
      )
  }
  const dockerfile = text('dockerfile')
  if (!dockerfile) throw new InputError(`${where(item)}: ${label} needs a 'dockerfile'`)
  return {
    name: text('name'),
    dockerfile,
    context: text('context'),
    target: text('target'),
    platform: parsePlatform(`${where(item.get('platform', true))}: ${label}.platform`, text('platform') ?? ''),
    buildArgs: parseBuildArgMap(item.get('build-args', true), `${label}.build-args`, where),
    ...parseIgnoreList(item.get('ignore', true), `${label}.ignore`, where),
    origin: where(item)
  }
}

const IGNORE_KEYS = ['rule', 'reason']
const IGNORE_FORMS = `rule ids or { rule, reason } mappings, e.g. [shared-tag] or [{ rule: conda-in-production, reason: "…" }]`

/** `ignore: [shared-tag, { rule: conda-in-production, reason: … }]`: the rules whose findings a variant accepts. */
function parseIgnoreList(
  node: Node | undefined,
  label: string,
  where: (node: Node | null | undefined) => string
): { ignore?: RuleIgnore[] } {
  if (node === undefined || node === null) return {}
  if (!isSeq(node)) throw new InputError(`${where(node)}: ${label} must be a list of ${IGNORE_FORMS}`)
  const ignore: RuleIgnore[] = []
  node.items.forEach((item, index) => {
    const entry = parseIgnoreEntry(item as Node, `${label}[${index}]`, where)
    if (ignore.some((earlier) => earlier.rule === entry.rule))
      throw new InputError(`${where(item as Node)}: ${label} names ${entry.rule} twice; list each rule once`)
    ignore.push(entry)
  })
  return { ignore }
}

function parseIgnoreEntry(item: Node, label: string, where: (node: Node | null | undefined) => string): RuleIgnore {
  if (isScalar(item)) return { rule: ignoredRule(item, label, where) }
  if (!isMap(item)) throw new InputError(`${where(item)}: ${label} must be a rule id or a { rule, reason } mapping`)
  for (const pair of item.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (!IGNORE_KEYS.includes(key))
      throw new InputError(
        `${where(pair.key as Node)}: ${label} has unknown key '${key}'; allowed: ${IGNORE_KEYS.join(', ')}`
      )
  }
  const rule = item.get('rule', true) as Node | undefined
  if (rule === undefined || rule === null) throw new InputError(`${where(item)}: ${label} needs a 'rule'`)
  const reason = item.get('reason', true) as Node | undefined
  if (reason === undefined || reason === null) return { rule: ignoredRule(rule, label, where) }
  if (!isScalar(reason) || typeof reason.value !== 'string' || !reason.value.trim())
    throw new InputError(`${where(reason)}: ${label}.reason must be a non-empty string`)
  return { rule: ignoredRule(rule, label, where), reason: reason.value.trim() }
}

function ignoredRule(node: Node, label: string, where: (node: Node | null | undefined) => string): RuleId {
  const written = isScalar(node) ? String(node.value) : ''
  const rule = SUPPRESSIBLE_RULES.find((id) => id === written.trim().toLowerCase())
  if (rule) return rule
  if (written.trim().toLowerCase() === 'parse-error')
    throw new InputError(
      `${where(node)}: ${label}: parse-error cannot be ignored, as a Dockerfile slimcheck cannot parse is not built`
    )
  throw new InputError(
    `${where(node)}: ${label}: '${written}' is not a rule; use one of ${SUPPRESSIBLE_RULES.join(', ')}`
  )
}

function parseBuildArgMap(
  node: Node | undefined,
  label: string,
  where: (node: Node | null | undefined) => string
): Record<string, string> {
  if (node === undefined || node === null) return {}
  if (!isMap(node)) throw new InputError(`${where(node)}: ${label} must be a map of NAME: value`)
  const args: Record<string, string> = {}
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const value = pair.value as Node | null
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new InputError(`${where(pair.key as Node)}: ${label} has an invalid name '${key}'`)
    const scalar = isScalar(value) ? value.value : undefined
    if (typeof scalar !== 'string' && typeof scalar !== 'number' && typeof scalar !== 'boolean') {
      throw new InputError(`${where(value ?? node)}: ${label}.${key} must be a string, number or boolean`)
    }
    args[key] = String(scalar)
  }
  return args
}

/** Settings that are valid but will not do what they seem to: said once, as warnings. */
export function settingsWarnings(settings: Settings): string[] {
  const warnings: string[] = []
  if (settings.policy.maxBuildTimeIncreasePercent !== undefined && settings.runs < 2) {
    warnings.push(
      'max-build-time-increase is not evaluated with runs: 1, because one build a side measures no spread to tell a change from noise; set runs to 3 or more'
    )
  }
  // Values from a committed config file are no secret; those from inputs may come from the workflow's secrets.
  const buildArgNames = new Set([
    ...Object.keys(settings.buildArgs),
    ...(settings.variants ?? [])
      .filter((spec) => spec.origin.startsWith(VARIANTS_INPUT))
      .flatMap((spec) => Object.keys(spec.buildArgs))
  ])
  if (buildArgNames.size) {
    const names = [...buildArgNames].sort()
    warnings.push(
      `build-args ${names.join(', ')}: a RUN step after an ARG stores its value in the image's history, where \`docker history\` shows it (e.g. RUN |1 ${names[0]}=…); pass secrets with the secrets input (--secret on the command line) and RUN --mount=type=secret, which stores nothing`
    )
  }
  return warnings
}
