/**
 * `slimcheck inspect IMAGE...`: the image pass of `run` for images any tool built — sizes, layers, compressed sizes,
 * the conda check and the byte findings — without a Dockerfile, so findings name layers by number and history (layer 4
 * (`RUN make`)) where `run` names lines, and no layer is the base image's. An image the engine does not hold is pulled
 * first, with the registries' credentials.
 */
import type { Settings } from './config.js'
import { RegistryCredentialsError } from './engine/credentials.js'
import { EngineTimeoutError, EngineUnreachableError, type Engine, type EngineInfo } from './engine/index.js'
import type { Logger } from './log.js'
import { imageByteFindings } from './measure/bytes/findings.js'
import { measureImageContent } from './measure/build.js'
import { imageCondaFinding, variantReport, type AnalyzedVariant } from './measure/variants.js'
import { SCHEMA_VERSION, type ImagePull, type ImageStore, type Report, type VariantReport } from './types.js'

export interface InspectRequest {
  references: string[]
  engine: Engine
  settings: Settings
  logger: Logger
  version: string
}

/** One report with a variant for each image, in the order given; an image that cannot be read costs itself only. */
export async function inspectImages(request: InspectRequest): Promise<Report> {
  const { engine, logger, version } = request
  const items = request.references.map((reference): AnalyzedVariant => ({
    variant: { name: reference, dockerfile: reference, context: '.', buildArgs: {} },
    findings: []
  }))
  const report = (variants: VariantReport[], rest: Partial<Report>): Report => ({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version },
    createdAt: new Date().toISOString(),
    problems: [],
    ...rest,
    variants
  })
  let info: EngineInfo
  try {
    info = await engine.info()
  } catch (error) {
    const known =
      error instanceof EngineUnreachableError ||
      error instanceof EngineTimeoutError ||
      error instanceof RegistryCredentialsError
    if (!known) throw error
    return report(
      items.map((item) => variantReport(item, {})),
      { problems: [error.message] }
    )
  }
  const pulls: ImagePull[] = []
  const variants: VariantReport[] = []
  for (const item of items) {
    const inspected = await inspectOne(item, request, info.store, pulls)
    variants.push(inspected)
    const outcome = inspected.image ? `✔ ${inspected.image.sizeBytes} bytes` : `✘ ${inspected.failure?.message ?? ''}`
    logger.progress(`${item.variant.name} ${outcome}`)
  }
  return report(variants, {
    engine: { version: info.version, store: info.store, os: info.os, arch: info.arch },
    ...(pulls.length ? { pulls } : {})
  })
}

async function inspectOne(
  item: AnalyzedVariant,
  request: InspectRequest,
  store: ImageStore,
  pulls: ImagePull[]
): Promise<VariantReport> {
  const { engine, settings } = request
  const reference = item.variant.name
  try {
    if (!(await engine.hasImage(reference, settings.platform))) {
      const pulled = await engine.pullImage(reference, settings.platform, settings.buildTimeoutSeconds)
      pulls.push({
        image: pulled.reference,
        ...(pulled.digest ? { digest: pulled.digest } : {}),
        bytes: pulled.downloadedBytes,
        seconds: pulled.seconds
      })
    }
    const { image, conda } = await measureImageContent(
      engine,
      item.variant,
      undefined,
      { imageId: reference, tag: reference },
      { secrets: {}, store, compressedSizes: new Map(), byLayer: true }
    )
    const condaFinding = imageCondaFinding(item, conda)
    return variantReport(item, {
      status: 'built',
      image,
      findings: [
        ...(condaFinding ? [condaFinding] : []),
        ...imageByteFindings(item, image, settings.byteFindingsThreshold)
      ]
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return variantReport(item, {
      status: 'failed',
      failure: { message: `not measured: ${reason}`, logTail: [], kind: 'unmeasured' }
    })
  }
}
