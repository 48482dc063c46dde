/** What a build of the variant can read besides its Dockerfile: external images and context paths. Pure. */
import path from 'node:path'
import { buildStages, type DockerfileModel, type Frontend, type Stage } from './dockerfile.js'
import type { ImageRef } from './image-ref.js'
import { copyArguments } from './copy-arguments.js'

export interface BuildInputs {
  /** External images the built stages start from, copy from or mount (not `scratch`, not stages), and the frontend. */
  images: ImageRef[]
  /** Context-relative paths or globs the build reads; `all` when some source cannot be bounded (`.`, a variable). */
  contextSources: string[] | 'all'
  /** An input no fingerprint can capture (`ADD https://…`), with its line: the variant is always rebuilt. */
  unfingerprintable?: string
}

const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/)/

/** Splits `type=bind,source=app,target=/app` into its keys. */
function mountOptions(value: string): Map<string, string> {
  return new Map(
    value.split(',').map((part) => {
      const separator = part.indexOf('=')
      return separator < 0 ? [part, ''] : [part.slice(0, separator), part.slice(separator + 1)]
    })
  )
}

/**
 * The context-relative path a source reads, resolved as BuildKit resolves it inside the context (`..` stops at its
 * root); undefined when it cannot be bounded (the whole context, a variable).
 */
function contextPath(source: string): string | undefined {
  if (source.includes('$')) return undefined
  const relative = path.posix.normalize(`/${source}`).replace(/^\/+/, '').replace(/\/+$/, '')
  return relative === '' || relative === '.' || relative === '*' ? undefined : relative
}

function stageReads(
  stage: Stage,
  file: string,
  escape: string
): { sources: Array<string | undefined>; remote?: string } {
  const sources: Array<string | undefined> = []
  for (const instruction of stage.instructions) {
    const from = instruction.flags.some((flag) => flag.name === 'from')
    if ((instruction.keyword === 'COPY' || instruction.keyword === 'ADD') && !from) {
      for (const source of copyArguments(instruction, escape).sources) {
        if (REMOTE.test(source)) {
          return {
            sources,
            remote: `${instruction.keyword} ${source} at ${file}:${instruction.line} fetches it at build time`
          }
        }
        sources.push(contextPath(source))
      }
    }
    if (instruction.keyword === 'RUN') {
      for (const flag of instruction.flags.filter((item) => item.name === 'mount' && item.value)) {
        const options = mountOptions(flag.value ?? '')
        if ((options.get('type') ?? 'bind') !== 'bind' || options.has('from')) continue
        sources.push(contextPath(options.get('source') ?? options.get('src') ?? '.'))
      }
    }
  }
  return { sources }
}

export function buildInputs(model: DockerfileModel, target: Stage, file: string): BuildInputs {
  const stages = buildStages(model, target)
  const images = stages.flatMap((stage) =>
    [stage.base, ...stage.instructions.flatMap((instruction) => instruction.sources)].flatMap((source) =>
      source.kind === 'image' ? [source.ref] : []
    )
  )
  if (model.frontend?.ref) images.push(model.frontend.ref)
  const unresolved = stages.find((stage) => stage.base.kind === 'unresolved')
  const reads = stages.map((stage) => stageReads(stage, file, model.escape))
  const remote = reads.find((read) => read.remote)?.remote
  const sources = reads.flatMap((read) => read.sources)
  const unfingerprintable = remote
    ? remote
    : unresolved
      ? `the base \`${unresolved.base.text}\` at ${file}:${unresolved.line} is not resolved`
      : model.frontend && !model.frontend.ref
        ? `${frontendPlace(model.frontend, file)} is not an image reference`
        : undefined
  return {
    images: [...new Map(images.map((ref) => [ref.raw, ref])).values()],
    contextSources: sources.includes(undefined)
      ? 'all'
      : [...new Set(sources.filter((item) => item !== undefined))].sort(),
    ...(unfingerprintable ? { unfingerprintable } : {})
  }
}

function frontendPlace(frontend: Frontend, file: string): string {
  const where = 'line' in frontend.origin ? `\`# syntax=\` at ${file}:${frontend.origin.line}` : 'BUILDKIT_SYNTAX'
  return `the frontend \`${frontend.text}\` that ${where} names`
}
