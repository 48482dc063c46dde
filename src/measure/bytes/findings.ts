/**
 * Byte facts over the threshold as findings: the bytes, the lines that wrote (and removed) them, and the fix. An image
 * measured without a Dockerfile has its layers named instead: layer 4 (`RUN make`).
 */
import { suppress } from '../../analyze/suppress.js'
import type { ByteThreshold } from '../../config.js'
import { humanBytes } from '../../format.js'
import type { ByteFact, FactInstruction, Finding, ImageMeasurement } from '../../types.js'
import type { AnalyzedVariant } from '../variants.js'

export interface ByteFindingContext {
  /** The Dockerfile, workspace-relative. */
  file: string
  /** The production stage's FROM line: where the base image's bytes are reported. */
  fromLine: number
  /** The bytes the Dockerfile's own layers add to the base image. */
  addedBytes: number
  threshold: ByteThreshold
}

export function byteFindings(facts: ByteFact[], context: ByteFindingContext): Finding[] {
  const floor = Math.max(context.threshold.bytes, (context.threshold.percent / 100) * context.addedBytes)
  return facts
    .filter((fact) => fact.bytes > 0 && fact.bytes >= floor)
    .map((fact) => {
      const { message, fix } = TEXTS[fact.rule](fact, context.fromLine)
      return {
        rule: fact.rule,
        severity: 'warning',
        file: context.file,
        ...placesOf(fact, context.fromLine),
        bytes: fact.bytes,
        compressedBytes: fact.compressedBytes,
        message,
        fix,
        evidence: 'image'
      }
    })
}

/**
 * The writing line, then the removing one; a base image's bytes are at the line that removed them, or at FROM. Named
 * layers are no Dockerfile lines: the finding has line 0 and the layers instead.
 */
function placesOf(fact: ByteFact, fromLine: number): Pick<Finding, 'line' | 'lines' | 'layer' | 'layers'> {
  const named = [fact.writer, fact.remover].flatMap((instruction) => instruction?.layer ?? [])
  if (named.length) return { line: 0, layer: named[0], ...(named.length > 1 ? { layers: named } : {}) }
  const lines = linesOf(fact, fromLine)
  return { line: lines[0], ...(lines.length > 1 ? { lines } : {}) }
}

function linesOf(fact: ByteFact, fromLine: number): number[] {
  if (fact.writer) return fact.remover ? [fact.writer.line, fact.remover.line] : [fact.writer.line]
  if (fact.remover) return fromLine ? [fact.remover.line, fromLine] : [fact.remover.line]
  return [fromLine]
}

type Texts = (fact: ByteFact, fromLine: number) => { message: string; fix: string }

const size = (fact: ByteFact): string =>
  `${humanBytes(fact.bytes)} (about ${humanBytes(fact.compressedBytes)} compressed)`
const saves = (fact: ByteFact): string => `saves ${humanBytes(fact.bytes)}`
/** line 4, or layer 4. */
const place = (instruction: FactInstruction): string =>
  instruction.layer === undefined ? `line ${instruction.line}` : `layer ${instruction.layer}`
/** line 4 (RUN), or layer 4 (`RUN make`) with the instruction its history records. */
const at = (instruction: FactInstruction): string => {
  if (instruction.layer === undefined) return `line ${instruction.line} (${instruction.keyword})`
  return instruction.text ? `layer ${instruction.layer} (\`${instruction.text}\`)` : `layer ${instruction.layer}`
}
const capitalized = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`
const copied = (instruction: FactInstruction | undefined): boolean =>
  instruction?.keyword === 'COPY' || instruction?.keyword === 'ADD'
const baseFix = (fact: ByteFact): string =>
  `Removing them in a later layer saves nothing: the base image's layer still holds them. A base image without them, or a multi-stage build that copies only what runs into a smaller base, ${saves(fact)}.`
const contextFix = (fact: ByteFact, what: string): string =>
  `Leave ${what} out of the build context (\`.dockerignore\`) or out of the ${fact.writer!.keyword} at ${place(fact.writer!)}: ${saves(fact)}.`

/** How to leave each cache out of the layer that fills it. */
const CLEAN: Record<string, string> = {
  'apt lists': '`rm -rf /var/lib/apt/lists/*` at the end of the same RUN',
  'apt cache': '`apt-get clean` at the end of the same RUN',
  'apk cache': '`apk add --no-cache`',
  'dnf cache': '`dnf clean all` at the end of the same RUN',
  'yum cache': '`yum clean all` at the end of the same RUN',
  'zypper cache': '`zypper clean --all` at the end of the same RUN',
  'pacman cache': '`pacman -Scc --noconfirm` at the end of the same RUN',
  'pip cache': '`pip install --no-cache-dir` (or `PIP_NO_CACHE_DIR=1`)',
  'uv cache': '`uv pip install --no-cache` (or `UV_NO_CACHE=1`)',
  'npm cache': '`npm cache clean --force` at the end of the same RUN',
  'yarn cache': '`yarn cache clean` at the end of the same RUN',
  'go build cache': '`go clean -cache` at the end of the same RUN',
  'conda package cache': '`conda clean -afy` at the end of the same RUN'
}

const cacheTexts: Texts = (fact) => {
  const where = `\`${fact.path}\` (${fact.kind})`
  if (!fact.writer)
    return { message: `The base image leaves ${where} in the image: ${size(fact)}.`, fix: baseFix(fact) }
  const message = `${where} is left in the image by ${at(fact.writer)}: ${size(fact)}.`
  if (copied(fact.writer)) return { message, fix: contextFix(fact, 'the cache') }
  return {
    message,
    fix: `Use ${CLEAN[fact.kind] ?? 'a clean-up at the end of the same RUN'}, or a cache mount (\`RUN --mount=type=cache,target=${fact.path}\`): ${saves(fact)}.`
  }
}

const TEXTS: Record<ByteFact['rule'], Texts> = {
  'package-cache': cacheTexts,
  'language-cache': cacheTexts,
  'vcs-in-image': (fact) => {
    const where = `\`${fact.path}\` (a ${fact.kind} directory)`
    if (!fact.writer) return { message: `The base image carries ${where}: ${size(fact)}.`, fix: baseFix(fact) }
    const message = `${where} is in the image, from ${at(fact.writer)}: ${size(fact)}.`
    if (copied(fact.writer))
      return { message, fix: `Add \`${fact.kind}\` to \`.dockerignore\`: ${saves(fact)}, and the history stays out.` }
    return {
      message,
      fix: `Remove it in the same RUN that makes it (\`rm -rf ${fact.path}\`), or fetch in a builder stage and copy only the files: ${saves(fact)}.`
    }
  },
  'dead-bytes': (fact) => {
    const remover = fact.remover!
    const under = fact.path ? ` under \`${fact.path}\`` : ''
    if (!fact.writer)
      return {
        message: `${size(fact)} of the base image's files${under} are ${fact.removal} at ${at(remover)} but still shipped: a later layer only hides them.`,
        fix: baseFix(fact)
      }
    const shipped = fact.writer.layer === undefined ? `the layer of line ${fact.writer.line}` : place(fact.writer)
    const message = `${size(fact)}${under} written at ${at(fact.writer)} and ${fact.removal} at ${at(remover)} are still shipped in ${shipped}.`
    if (copied(fact.writer))
      return {
        message,
        fix: `Copy only what is kept (\`.dockerignore\`, a narrower source), or copy into a builder stage: ${saves(fact)}.`
      }
    return {
      message,
      fix: `Remove them in the same RUN that writes them (${place(fact.writer)}), use a cache or bind mount, or write them in a builder stage: ${saves(fact)}.`
    }
  },
  'metadata-rewrite': (fact) => {
    const remover = fact.remover!
    const under = fact.path ? ` under \`${fact.path}\`` : ''
    const rewritten = `rewritten at the same size at ${at(remover)}, most likely by \`chown\` or \`chmod\``
    if (!fact.writer)
      return {
        message: `${size(fact)} of the base image's files${under} are ${rewritten}: the image holds them twice.`,
        fix: `Change owner or mode only of what must change (a new directory, not the base's files), or set them in a builder stage and copy the result: ${saves(fact)}.`
      }
    return {
      message: `${size(fact)}${under} written at ${at(fact.writer)} are ${rewritten}: the image holds them twice.`,
      fix: copied(fact.writer)
        ? `Set owner and mode as the files are copied (\`${fact.writer.keyword} --chown=…\`, \`--chmod=…\`) and drop them from ${place(remover)}: ${saves(fact)}.`
        : `Set owner and mode in the RUN that writes the files (${place(fact.writer)}): ${saves(fact)}.`
    }
  },
  'build-toolchain': (fact, fromLine) => {
    const listed = (fact.packages ?? []).map((item) => `\`${item.name}\` ${humanBytes(item.bytes)}`).join(', ')
    const more = (fact.packageCount ?? 0) > (fact.packages?.length ?? 0) ? ', …' : ''
    const what = `${fact.packageCount} build-only packages (${listed}${more}): ${size(fact)} by their installed sizes`
    if (!fact.writer)
      return {
        message: `The base image${fromLine ? ` at line ${fromLine}` : ''} ships a build toolchain, ${what}.`,
        fix: `Build in a builder stage from this base, and start the final stage from a runtime base (a \`-slim\` variant) that the build's output is copied into: ${saves(fact)}.`
      }
    return {
      message: `${capitalized(at(fact.writer))} installs a build toolchain that ships in the image, ${what}.`,
      fix: `Install and build in a builder stage, and copy only the build's output into the final stage: ${saves(fact)}.`
    }
  }
}

/** The byte findings of a variant's image, judged with this run's threshold and suppressions. */
export function imageByteFindings(item: AnalyzedVariant, image: ImageMeasurement, threshold: ByteThreshold): Finding[] {
  const addedBytes = image.layers.filter((layer) => layer.instruction).reduce((sum, layer) => sum + layer.sizeBytes, 0)
  const findings = byteFindings(image.byteFacts ?? [], {
    file: item.variant.dockerfile,
    fromLine: item.analysis?.productionFromLine ?? 0,
    addedBytes,
    threshold
  })
  const suppressions = { comments: item.analysis?.suppressions ?? [], ignore: item.variant.ignore ?? [] }
  return findings.map((finding) => suppress(finding, suppressions))
}
