/** Stage 4: build each variant with the real engine and measure what came out. */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Analysis } from '../analyze/index.js'
import { packContext, type BuildContext, type SharedFiles } from './context.js'
import type { Engine, HistoryEntry, ImageDetails } from '../engine/index.js'
import type { TracedStep } from '../engine/trace.js'
import { imageBytesOf } from './bytes/facts.js'
import type { LayerFiles } from './bytes/layer-files.js'
import { layerIdentity } from './bytes/layer-identity.js'
import { buildFailureKind } from './failure.js'
import { readImageArchive, type ImageArchive } from './image-archive.js'
import { condaMarkersOf } from './image-conda.js'
import { mapLayers, stepLine } from './layers.js'
import type { Logger } from '../log.js'
import { redactorFor, sensitiveArgs } from '../redact.js'
import type {
  BuildMeasurement,
  CondaMarkers,
  BuildStep,
  CacheMode,
  ImageMeasurement,
  ImageStore,
  Layer,
  Report,
  Variant,
  VariantFailure
} from '../types.js'

/**
 * The head checkout's files that the base side builds with too (see `SharedFiles`): paths relative to the
 * repository root of `from`, mapped onto each variant's context.
 */
export interface SharedCheckout {
  /** This side's repository root (the base worktree). */
  root: string
  /** The repository root whose files are lent (the head checkout). */
  from: string
  paths: string[]
}

export interface BuildOptions {
  workspace: string
  cache: CacheMode
  timeoutSeconds: number
  runs: number
  store: ImageStore
  /** Distinguishes images built for different sides of a comparison, e.g. `head` or `base`. */
  side: string
  secrets: Record<string, string>
  shared?: SharedCheckout
  /** Compressed sizes of layers counted earlier in this run, by diffID: base layers are compressed once. */
  compressedSizes: Map<string, number>
}

export interface Measurement {
  image: ImageMeasurement
  build: BuildMeasurement
  conda: CondaMarkers
}

const LOG_TAIL_LINES = 20

/** Sets this process's images apart from those of other runs on the same engine: each removes only its own. */
const RUN_ID = randomBytes(4).toString('hex')

/**
 * A valid reference for any variant name: each path component lower-cased, other characters folded to `-`; the tag
 * is the side, this run's id and the build's number (`slimcheck/api:head-1f2e3d4c-2`). Each build has a name of its
 * own, so that removing it by that name never removes an image another build (or another run) made too.
 */
export function imageTagFor(variant: Variant, side: string, build: number): string {
  const components = variant.name
    .toLowerCase()
    .split('/')
    .map((component) => component.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter(Boolean)
  return `slimcheck/${components.join('/') || 'variant'}:${side}-${RUN_ID}-${build}`
}

/** An image one build made, and the name this run gave it. */
export interface BuiltImage {
  imageId: string
  tag: string
  steps: TracedStep[]
}

export type RunOutcome = ({ ok: true; seconds: number } & BuiltImage) | { ok: false; failure: VariantFailure }

/** The lent files under one variant's context: a path above or at the context lends all of it. */
export function sharedFilesFor(shared: SharedCheckout | undefined, contextDir: string): SharedFiles | undefined {
  if (!shared) return undefined
  const contextPath = path.relative(shared.root, contextDir).split(path.sep).join('/')
  const prefix = contextPath ? `${contextPath}/` : ''
  const roots = shared.paths.flatMap((item) => {
    if (contextPath === item || contextPath.startsWith(`${item}/`)) return ['']
    return item.startsWith(prefix) ? [item.slice(prefix.length)] : []
  })
  return roots.length ? { dir: path.join(shared.from, contextPath), roots: [...new Set(roots)] } : undefined
}

/** One timed build of a variant, its log streamed into its own group with elapsed time. */
export async function buildOnce(
  engine: Engine,
  variant: Variant,
  context: BuildContext,
  options: BuildOptions,
  run: number,
  logger: Logger
): Promise<RunOutcome> {
  const redact = redactorFor(sensitiveArgs(variant), options.secrets)
  const runText = options.runs > 1 ? `, run ${run}/${options.runs}` : ''
  const title = `Build ${variant.name} (${options.side}${runText}, ${options.cache} cache)`
  const tag = imageTagFor(variant, options.side, run)
  const tail: string[] = []
  const outcome = await logger.group(title, () =>
    logger.untrusted(async () => {
      const started = performance.now()
      const result = await engine
        .build({
          context: () => packContext(context.entries),
          dockerfile: context.dockerfile,
          tag,
          target: variant.target,
          buildArgs: variant.buildArgs,
          secrets: options.secrets,
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
        .catch((error: Error) => ({ ok: false, interrupted: error }) as const)
      return { result, seconds: (performance.now() - started) / 1000 }
    })
  )
  const { result } = outcome
  if ('interrupted' in result) {
    const message = `not measured: the build was interrupted: ${redact(result.interrupted.message)}`
    return { ok: false, failure: { message, logTail: tail, kind: 'unmeasured' } }
  }
  if (!result.ok) {
    const { kind, step } = buildFailureKind(result.error, result.steps, tail)
    const named = step ? { step: redact(step) } : {}
    return { ok: false, failure: { message: redact(result.error), logTail: tail, kind, ...named } }
  }
  return { ok: true, seconds: outcome.seconds, imageId: result.imageId, tag, steps: result.steps }
}

/** Size, layers and conda markers of the image the last build made, read in one pass over its archive. */
export async function measureImage(
  engine: Engine,
  variant: Variant,
  analysis: Analysis | undefined,
  last: BuiltImage,
  samples: number[],
  options: BuildOptions
): Promise<Measurement> {
  const redact = redactorFor(sensitiveArgs(variant), options.secrets)
  const { image, conda } = await measureImageContent(engine, variant, analysis, last, options)
  return { image, build: buildMeasurement(samples, options, stepsWithLines(last.steps, analysis, redact)), conda }
}

/**
 * What an image holds, whoever built it: its size, layers (tied to the Dockerfile's lines when there is an analysis),
 * compressed sizes, conda markers and the facts the byte findings read, from one pass over its archive. With
 * `byLayer` (an image measured without a Dockerfile), the facts name each layer by its number and history instead.
 */
export async function measureImageContent(
  engine: Engine,
  variant: Variant,
  analysis: Analysis | undefined,
  last: Pick<BuiltImage, 'imageId' | 'tag'>,
  options: Pick<BuildOptions, 'secrets' | 'store' | 'compressedSizes'> & { byLayer?: boolean }
): Promise<Pick<Measurement, 'image' | 'conda'>> {
  const redact = redactorFor(sensitiveArgs(variant), options.secrets)
  const details = await engine.inspectImage(last.imageId, options.store, last.tag)
  const engineHistory = options.store === 'overlay2' ? await engine.history(last.imageId) : undefined
  const archive = await readImageArchive(await engine.saveImage(last.imageId, details.platform), {
    compressLayer: (diffId) => !(diffId && options.compressedSizes.has(diffId))
  })
  const layers = measuredLayers(archive, details, engineHistory, analysis, options).map((layer) => ({
    ...layer,
    createdBy: redact(layer.createdBy)
  }))
  for (const layer of layers) {
    if (layer.diffId && layer.compressedBytes !== undefined)
      options.compressedSizes.set(layer.diffId, layer.compressedBytes)
  }
  const sum = (pick: (layer: Layer) => number | undefined): number =>
    layers.reduce((total, layer) => total + (pick(layer) ?? 0), 0)
  const classic = options.store === 'overlay2'
  const { byteFacts, contents, files } = imageBytesOf(layerFiles(archive, layers, options.byLayer ?? false))
  const conda = condaMarkersOf(files, archive.config)
  const carriesConda = conda.prefixes.length + conda.commandsOnPath.length + conda.envNames.length > 0
  return {
    image: {
      id: last.imageId,
      sizeBytes: classic ? details.engineReported.sizeBytes : sum((layer) => layer.sizeBytes),
      sizeSource: classic ? CLASSIC_SIZE : CONTENT_SIZE,
      compressedBytes: sum((layer) => layer.compressedBytes),
      compressedSource: archive.compressedFrom === 'manifest' ? MANIFEST_COMPRESSED : GZIP_COMPRESSED,
      engineReported: details.engineReported,
      store: options.store,
      platform: details.platform,
      layers,
      ...(carriesConda ? { conda } : {}),
      byteFacts,
      contents
    },
    conda
  }
}

/**
 * The compressed layer sizes a stored report counted with gzip by this slimcheck's method (its version, and the
 * method's description, which changes with the method), by diffID: a layer it counted (a base image's, say) is not
 * compressed again. Sizes taken from a manifest are the engine's, not kept.
 */
export function compressedSizesFrom(report: Report | undefined, version: string): Map<string, number> {
  const sizes = new Map<string, number>()
  if (report?.tool?.version !== version) return sizes
  for (const variant of report.variants) {
    if (variant.image?.compressedSource !== GZIP_COMPRESSED) continue
    for (const layer of variant.image.layers ?? []) {
      if (layer.diffId && layer.compressedBytes !== undefined) sizes.set(layer.diffId, layer.compressedBytes)
    }
  }
  return sizes
}

const CLASSIC_SIZE =
  "the classic image store's own count: Size from GET /images/{id}/json, and each layer's from GET /images/{id}/history"
const CONTENT_SIZE =
  "counted from the layers' content (GET /images/{id}/get) as the classic image store counts it: regular files' " +
  "bytes with hard links once, plus symbolic links' target lengths in base-image layers (layers this build made " +
  'count no symbolic links, as BuildKit registers them there)'
const MANIFEST_COMPRESSED =
  "the layer descriptors' sizes in the image manifest: the compressed blobs the containerd image store keeps, which " +
  'a push uploads and a pull downloads'
const GZIP_COMPRESSED =
  'computed: each layer tar compressed with gzip at level 6, as docker push compresses layers from the classic ' +
  "image store (which keeps them uncompressed), in 1 MiB blocks at fixed offsets across the machine's cores as pigz " +
  "does; Go's compressor can differ from zlib's by a little"

/**
 * Each history entry as a layer: entries that made no layer are 0 bytes; the others take the next layer of the
 * archive in order. On the classic store a layer's size is the engine's own figure; elsewhere it is counted from
 * the content (see CONTENT_SIZE).
 */
function measuredLayers(
  archive: ImageArchive,
  details: ImageDetails,
  engineHistory: HistoryEntry[] | undefined,
  analysis: Analysis | undefined,
  options: Pick<BuildOptions, 'compressedSizes'>
): Layer[] {
  const diffIds = archive.config.rootfs?.diff_ids ?? details.diffIds
  const recorded = archive.config.history ?? []
  const unrecorded = archive.layers.length - recorded.filter((entry) => !entry.empty_layer).length
  // An image whose history leaves layers out (some old or hand-made images) still has every layer counted.
  const history = [...Array.from({ length: Math.max(0, unrecorded) }, () => ({ created_by: '' })), ...recorded]
  const useEngine = engineHistory !== undefined && engineHistory.length === history.length
  const mapped = mapLayers(
    history.map((entry, index) => ({
      createdBy: entry.created_by ?? '',
      sizeBytes: useEngine ? engineHistory[index].sizeBytes : 0
    })),
    analysis?.productionInstructions ?? []
  )
  let next = 0
  return mapped.map((layer, index) => {
    if ('empty_layer' in history[index] && history[index].empty_layer)
      return { ...layer, sizeBytes: useEngine ? layer.sizeBytes : 0 }
    const position = next++
    const content = archive.layers[position]
    const diffId = diffIds[position]
    const compressedBytes = content?.compressedBytes ?? (diffId ? options.compressedSizes.get(diffId) : undefined)
    const counted = (content?.regularBytes ?? 0) + (layer.instruction ? 0 : (content?.symlinkBytes ?? 0))
    return {
      ...layer,
      sizeBytes: useEngine ? layer.sizeBytes : counted,
      ...(compressedBytes !== undefined ? { compressedBytes } : {}),
      ...(diffId ? { diffId } : {})
    }
  })
}

/**
 * Each layer's content with the instruction that made it and its compression ratio, for the byte rules; `byLayer`,
 * each named by its number and history entry, as there is no Dockerfile.
 */
function layerFiles(archive: ImageArchive, layers: Layer[], byLayer: boolean): LayerFiles[] {
  const withContent = layers.filter((layer) => layer.diffId)
  const ratioOf = (compressed: number | undefined, size: number): number | undefined =>
    compressed !== undefined && size > 0 ? compressed / size : undefined
  const sum = (pick: (layer: Layer) => number): number => withContent.reduce((total, layer) => total + pick(layer), 0)
  const imageRatio =
    ratioOf(
      sum((layer) => layer.compressedBytes ?? 0),
      sum((layer) => layer.sizeBytes)
    ) ?? 1
  return archive.contents.map((content, index) => {
    const layer = withContent[index] as Layer | undefined
    const instruction = byLayer
      ? layerIdentity(layer?.createdBy ?? '', index + 1)
      : layer?.instruction && { line: layer.instruction.line, keyword: keywordOf(layer.instruction.text) }
    return {
      ...content,
      ...(instruction ? { instruction } : {}),
      compressionRatio: (layer && ratioOf(layer.compressedBytes, layer.sizeBytes)) ?? imageRatio
    }
  })
}

function keywordOf(instruction: string): string {
  return /^\s*([A-Za-z]+)/.exec(instruction)?.[1].toUpperCase() ?? ''
}

function stepsWithLines(
  steps: TracedStep[],
  analysis: Analysis | undefined,
  redact: (text: string) => string
): BuildStep[] {
  const taken = new Set<number>()
  return steps.flatMap((step) => {
    if (step.seconds === undefined && !step.cached) return []
    const line = analysis ? stepLine(step.name, analysis.stages, taken) : undefined
    return [
      { name: redact(step.name), ...(line ? { line } : {}), seconds: round(step.seconds ?? 0), cached: step.cached }
    ]
  })
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function buildMeasurement(
  samples: number[],
  options: Pick<BuildOptions, 'cache'>,
  steps?: BuildStep[]
): BuildMeasurement {
  const cache = options.cache === 'cold' ? 'without build cache (--no-cache)' : 'with the build cache'
  const of = samples.length > 1 ? `median of ${samples.length} builds` : 'one build'
  return {
    seconds: round(median(samples)),
    samples: samples.map(round),
    cache: options.cache,
    method: `wall clock from sending the build context (an uncompressed tar) to the end of the engine's build stream, ${cache}, ${of}; images the build reads are pulled before it, and the pull is not timed`,
    ...(steps ? { steps } : {})
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000
}
