/** Stage 4: build each variant with the real engine and measure what came out. */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import type { Engine, HistoryEntry } from './engine.js'
import type { Logger } from './log.js'
import type {
  BuildMeasurement,
  CacheMode,
  ImageMeasurement,
  ImageStore,
  Layer,
  Variant,
  VariantFailure
} from './types.js'

/** An instruction of the production stage chain, as the analyze stage lists them. */
export interface InstructionLine {
  line: number
  keyword: string
  text: string
}

export interface BuildOptions {
  workspace: string
  cache: CacheMode
  timeoutSeconds: number
  runs: number
  store: ImageStore
  /** Distinguishes images built for different sides of a comparison, e.g. `head` or `base`. */
  side: string
}

export interface Measurement {
  image: ImageMeasurement
  build: BuildMeasurement
  conda: CondaMarkers
}

export interface CondaMarkers {
  prefixes: { path: string; sizeBytes: number }[]
  commandsOnPath: string[]
  envNames: string[]
}

const LOG_TAIL_LINES = 20

/** A valid reference for any variant name: each path component lower-cased, other characters folded to `-`. */
export function imageTagFor(variant: Variant, side: string): string {
  const components = variant.name
    .toLowerCase()
    .split('/')
    .map((component) => component.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter(Boolean)
  return `slimcheck/${components.join('/') || 'variant'}:${side}`
}

export type RunOutcome = { ok: true; seconds: number; imageId: string } | { ok: false; failure: VariantFailure }

/** One timed build of a variant, its log streamed into its own group with elapsed time. */
export async function buildOnce(
  engine: Engine,
  variant: Variant,
  options: BuildOptions,
  run: number,
  logger: Logger
): Promise<RunOutcome> {
  const redact = redactorFor(variant.buildArgs)
  const title = `Build ${variant.name} (${options.side}${options.runs > 1 ? `, run ${run}/${options.runs}` : ''}, ${options.cache} cache)`
  const tail: string[] = []
  const outcome = await logger.group(title, () =>
    logger.untrusted(async () => {
      const started = performance.now()
      const result = await engine.build({
        contextDir: path.join(options.workspace, variant.context),
        dockerfile: path.posix.relative(variant.context, variant.dockerfile),
        tag: imageTagFor(variant, options.side),
        target: variant.target,
        buildArgs: variant.buildArgs,
        platform: variant.platform,
        noCache: options.cache === 'cold',
        timeoutSeconds: options.timeoutSeconds,
        onLog(line) {
          const safe = redact(line)
          tail.push(safe)
          if (tail.length > LOG_TAIL_LINES) tail.shift()
          logger.info(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${safe}`)
        }
      })
      return { result, seconds: (performance.now() - started) / 1000 }
    })
  )
  if (!outcome.result.ok) return { ok: false, failure: { message: redact(outcome.result.error), logTail: tail } }
  return { ok: true, seconds: outcome.seconds, imageId: outcome.result.imageId }
}

/** Size, layers and conda markers of the image the last build made, with the build times of every run. */
export async function measureImage(
  engine: Engine,
  variant: Variant,
  instructions: InstructionLine[],
  imageId: string,
  samples: number[],
  options: BuildOptions
): Promise<Measurement> {
  const redact = redactorFor(variant.buildArgs)
  const size = await engine.imageSize(imageId, options.store, imageTagFor(variant, options.side))
  const history = await engine.history(imageId)
  return {
    image: {
      id: imageId,
      sizeBytes: size.sizeBytes,
      sizeSource: size.sizeSource,
      store: options.store,
      platform: size.platform,
      layers: mapLayers(history, instructions).map((layer) => ({ ...layer, createdBy: redact(layer.createdBy) }))
    },
    build: buildMeasurement(samples, options),
    conda: await findCondaMarkers(engine, imageId)
  }
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function buildMeasurement(samples: number[], options: BuildOptions): BuildMeasurement {
  const cache = options.cache === 'cold' ? 'without build cache (--no-cache)' : 'with the build cache'
  const of = samples.length > 1 ? `median of ${samples.length} builds` : 'one build'
  return {
    seconds: round(median(samples)),
    samples: samples.map(round),
    cache: options.cache,
    method: `wall clock from sending the build context (an uncompressed tar) to the end of the engine's build stream, ${cache}, ${of}; base images already on the machine are not pulled again`
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Replaces build-arg values with `***`: every `NAME=value` of a build-arg, whatever the value's length (image history
 * records them so), and the bare value anywhere when it has 3 or more characters (shorter ones would mangle logs).
 */
export function redactorFor(buildArgs: Record<string, string>): (text: string) => string {
  const entries = Object.entries(buildArgs).filter(([, value]) => value.length > 0)
  if (entries.length === 0) return (text) => text
  const assignments = new RegExp(
    `\\b(${entries.map(([name]) => escapeRegExp(name)).join('|')})=(?:${entries.map(([, value]) => escapeRegExp(value)).join('|')})(?=\\s|$)`,
    'g'
  )
  const values = entries
    .map(([, value]) => value)
    .filter((value) => value.length >= 3)
    .sort((a, b) => b.length - a.length)
  const bare = values.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined
  return (text) => {
    const withoutAssignments = text.replace(assignments, '$1=***')
    return bare ? withoutAssignments.replace(bare, '***') : withoutAssignments
  }
}

/** The Dockerfile keyword a history entry came from: BuildKit writes `RUN |1 A=b /bin/sh -c …`, `COPY … # buildkit`, `ENV …`; the classic builder `/bin/sh -c #(nop)  ENV …` or `/bin/sh -c …` for RUN. */
export function historyKeyword(createdBy: string): string | undefined {
  const text = createdBy.trim()
  const classic = /^\/bin\/sh -c (#\(nop\)\s+([A-Z]+))?/.exec(text)
  if (classic) return classic[2] ?? 'RUN'
  return /^([A-Z]+)\b/.exec(text)?.[1]
}

/**
 * Pairs image history (oldest first) with the production chain's instructions: walking both from the newest end,
 * each entry takes the nearest earlier instruction with the same keyword. Entries older than the chain's first
 * instruction belong to the base image.
 */
export function mapLayers(history: HistoryEntry[], instructions: InstructionLine[]): Layer[] {
  const candidates = instructions.filter((instruction) => instruction.keyword !== 'FROM')
  let cursor = candidates.length - 1
  const layers: Layer[] = []
  for (let index = history.length - 1; index >= 0; index--) {
    const entry = history[index]
    const keyword = historyKeyword(entry.createdBy)
    let matched: InstructionLine | undefined
    if (keyword && cursor >= 0) {
      for (let probe = cursor; probe >= 0; probe--) {
        if (candidates[probe].keyword === keyword) {
          matched = candidates[probe]
          cursor = probe - 1
          break
        }
      }
    }
    layers.unshift({
      sizeBytes: entry.sizeBytes,
      createdBy: entry.createdBy,
      ...(matched ? { instruction: { line: matched.line, text: matched.text } } : {})
    })
  }
  return layers
}

const CONDA_COMMANDS = ['conda', 'mamba', 'micromamba']

/** Reads the image's filesystem (no container is started) for conda prefixes, conda commands on PATH and conda environment variables. */
export async function findCondaMarkers(engine: Engine, imageId: string): Promise<CondaMarkers> {
  const env = await engine.imageEnv(imageId)
  const envNames = env.map((item) => item.split('=')[0]).filter((name) => /^(CONDA|MAMBA)_/.test(name))
  const pathDirs = (env.find((item) => item.startsWith('PATH='))?.slice(5) ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => dir.replace(/^\/+|\/+$/g, ''))
  const { tar: stream, done } = await engine.exportFilesystem(imageId)
  const entries: FilesystemEntry[] = []
  try {
    const extract = tar.extract()
    extract.on('entry', (header, body, next) => {
      const name = header.name.replace(/^\.?\/+/, '').replace(/\/+$/, '')
      entries.push({
        name,
        size: header.type === 'file' ? (header.size ?? 0) : 0,
        ...(header.type === 'symlink' && header.linkname ? { link: header.linkname } : {})
      })
      body.on('end', next)
      body.resume()
    })
    // pipeline passes an engine-side failure of the export stream on, instead of leaving it unheard.
    await pipeline(stream, extract)
  } finally {
    await done()
  }
  return condaMarkersIn(entries, pathDirs, envNames)
}

export interface FilesystemEntry {
  /** Path without the leading slash. */
  name: string
  size: number
  /** A symbolic link's target, as stored. */
  link?: string
}

/** A PATH directory that is a symbolic link (`/opt/env` → `/opt/conda/bin`) stands for its target too. */
function resolvePathDirs(entries: FilesystemEntry[], pathDirs: string[]): string[] {
  const links = new Map(entries.filter((entry) => entry.link).map((entry) => [entry.name, entry.link!]))
  return pathDirs.flatMap((dir) => {
    const target = links.get(dir)
    if (!target) return [dir]
    const resolved = target.startsWith('/') ? target.slice(1) : path.posix.join(path.posix.dirname(dir), target)
    return [dir, path.posix.normalize(resolved).replace(/\/+$/, '')]
  })
}

export function condaMarkersIn(entries: FilesystemEntry[], pathDirs: string[], envNames: string[]): CondaMarkers {
  const searched = resolvePathDirs(entries, pathDirs)
  const prefixes = entries
    .filter((entry) => /(^|\/)conda-meta$/.test(entry.name))
    .map((entry) => entry.name.replace(/\/?conda-meta$/, ''))
    .filter(
      (prefix, index, all) =>
        !all.some((other, otherIndex) => otherIndex !== index && other !== prefix && prefix.startsWith(`${other}/`))
    )
  const commandsOnPath = entries
    .filter(
      (entry) =>
        CONDA_COMMANDS.includes(path.posix.basename(entry.name)) && searched.includes(path.posix.dirname(entry.name))
    )
    .map((entry) => `/${entry.name}`)
  return {
    prefixes: prefixes.map((prefix) => ({
      path: `/${prefix}`,
      sizeBytes: entries
        .filter((entry) => prefix === '' || entry.name.startsWith(`${prefix}/`))
        .reduce((sum, entry) => sum + entry.size, 0)
    })),
    commandsOnPath: [...new Set(commandsOnPath)].sort(),
    envNames: [...new Set(envNames)].sort()
  }
}
