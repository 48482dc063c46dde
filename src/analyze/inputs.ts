/** What a build of the variant can read besides its Dockerfile: external images and context paths. Pure. */
import path from 'node:path'
import { buildStages, type DockerfileModel, type Frontend, type Instruction, type Stage } from './dockerfile.js'
import type { ImageRef } from './image-ref.js'

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
 * The sources of a COPY or ADD from the context: every argument but the destination, heredocs left out. Each word
 * loses its quotes and escapes, as BuildKit's word expansion removes them in both forms: `COPY "app" /x` reads `app`,
 * and so does `COPY ["'app'", "/x"]`.
 */
function copySources(instruction: Instruction, escape: string): string[] {
  const words = instruction.json ?? instruction.args.split(/\s+/).filter(Boolean)
  return words
    .slice(0, -1)
    .filter((word) => !word.startsWith('<<'))
    .map((word) => unquoted(word, escape))
}

/** Inside double quotes, BuildKit's lexer lets the escape character escape only these; before others it stays. */
const ESCAPED_IN_DOUBLE_QUOTES = new Set(['"', '$'])

/**
 * A shell word without its quotes, as BuildKit's lexer reads it: single quotes keep everything; the escape character
 * keeps the next one (inside double quotes only `"`, `$` and itself), and at the word's end it is dropped.
 */
function unquoted(word: string, escape: string): string {
  let result = ''
  let quote: string | undefined
  for (let index = 0; index < word.length; index++) {
    const char = word[index]
    const next = word[index + 1]
    if (quote === "'") {
      if (char === "'") quote = undefined
      else result += char
    } else if (quote === '"') {
      if (char === '"') quote = undefined
      else if (char === escape && next !== undefined && (ESCAPED_IN_DOUBLE_QUOTES.has(next) || next === escape))
        result += word[++index]
      else result += char
    } else if (char === escape) {
      if (next !== undefined) result += word[++index]
    } else if (char === '"' || char === "'") quote = char
    else result += char
  }
  return result
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
      for (const source of copySources(instruction, escape)) {
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
