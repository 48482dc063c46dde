/** A small model of a Dockerfile for the rules: stages, their bases and their instructions, built on dockerfile-ast. */

import {
  Copy,
  Directive,
  DockerfileParser,
  From,
  Keyword,
  ModifiableInstruction,
  type ParserDirective,
  PropertyInstruction,
  Run,
  type Flag,
  type Heredoc,
  type Instruction as AstInstruction
} from 'dockerfile-ast'
import { readIgnoreComments, type IgnoreComment } from './ignore-comments.js'
import { parseImageRef, type ImageRef } from './image-ref.js'

/** What a FROM, `COPY --from` or `RUN --mount=from` names, after ARG substitution. */
export type ImageSource = {
  /** The text as written in the Dockerfile. */
  written: string
  /** The text after ARG substitution (still holding `$VAR` when unresolved). */
  text: string
} & ({ kind: 'scratch' } | { kind: 'stage'; stage: number } | { kind: 'image'; ref: ImageRef } | { kind: 'unresolved' })

export interface HeredocBody {
  name: string
  /** 1-based line of the first body line. */
  line: number
  /** The body without its terminator; leading tabs removed for `<<-`. */
  content: string
}

export interface InstructionFlag {
  name: string
  value?: string
}

export interface Property {
  name: string
  value?: string
}

export interface Instruction {
  /** Upper-case keyword. */
  keyword: string
  /** Arguments without flags, continuation lines joined; for an instruction with heredocs, the header line only. */
  args: string
  /** The arguments when they are a JSON array (exec form). */
  json?: string[]
  flags: InstructionFlag[]
  /** `NAME=value` pairs of ENV, ARG and LABEL. */
  properties: Property[]
  heredocs: HeredocBody[]
  /** Stages or images named by `COPY --from` and `RUN --mount=from`. */
  sources: ImageSource[]
  /** 1-based line where the instruction starts. */
  line: number
  /** Keyword, flags and arguments on one line. */
  text: string
}

export interface Stage {
  index: number
  /** The name after `AS`, as written, for messages. */
  name?: string
  /** The name lower-cased, for matching. */
  key?: string
  /** 1-based line of the FROM. */
  line: number
  platform?: string
  base: ImageSource
  from: Instruction
  /** The instructions after FROM, in file order. */
  instructions: Instruction[]
}

export interface ParseProblem {
  /** 1-based line; 0 when the problem concerns the whole file. */
  line: number
  message: string
  fix: string
}

/** The frontend image a build runs instead of the engine's own Dockerfile frontend. */
export interface Frontend {
  /** The reference as written. */
  text: string
  /** Where it is named: the `# syntax=` directive's line, or the build arg BUILDKIT_SYNTAX (which wins). */
  origin: { line: number } | { buildArg: 'BUILDKIT_SYNTAX' }
  ref?: ImageRef
}

export interface DockerfileModel {
  stages: Stage[]
  problems: ParseProblem[]
  frontend?: Frontend
  /** The escape character: `\\`, or what a `# escape=` directive sets. */
  escape: string
  /** The `# slimcheck …` comments, each with the instruction below it. */
  ignoreComments: IgnoreComment[]
}

export interface ParseOptions {
  buildArgs?: Record<string, string>
  target?: string
}

/** Variable values in scope; `undefined` for an ARG declared without a value. */
type Scope = Map<string, string | undefined>

interface ParseState {
  lines: string[]
  buildArgs: Record<string, string>
  globals: Scope
  stageKeys: (string | undefined)[]
  stages: Stage[]
  problems: ParseProblem[]
}

const KEYWORDS = new Set<string>(Object.values(Keyword))
const STAGE_NAME = /^[a-z][a-z0-9._-]*$/
const VARIABLE = /\$(?:\{([A-Za-z_]\w*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_]\w*))/g

export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text)
  const state: ParseState = {
    lines: text.split(/\r\n|\r|\n/),
    buildArgs: options.buildArgs ?? {},
    globals: new Map(),
    stageKeys: dockerfile.getFROMs().map((from) => from.getBuildStage()?.toLowerCase()),
    stages: [],
    problems: []
  }
  let scope: Scope = state.globals
  for (const node of dockerfile.getInstructions()) {
    const instruction = toInstruction(node, state.lines)
    if (!KEYWORDS.has(instruction.keyword)) {
      problem(
        state,
        instruction.line,
        `Unknown instruction \`${node.getInstruction()}\`.`,
        'Correct the keyword (FROM, RUN, COPY, …) or remove the line.'
      )
      continue
    }
    if (node instanceof From) {
      state.stages.push(toStage(node, instruction, state))
      scope = new Map()
      continue
    }
    const stage = state.stages.at(-1)
    if (instruction.keyword === 'ARG')
      declareArgs(instruction.properties, scope, stage ? state.globals : undefined, state.buildArgs)
    if (!stage) {
      if (instruction.keyword !== 'ARG') {
        problem(
          state,
          instruction.line,
          `\`${instruction.keyword}\` comes before the first FROM.`,
          'Move it after a FROM: only ARG may come before the first FROM.'
        )
      }
      continue
    }
    stage.instructions.push({ ...instruction, sources: instructionSources(node, scope, state) })
  }
  checkStages(state, options.target)
  const frontend = frontendOf(dockerfile.getDirectives(), state.buildArgs)
  return {
    stages: state.stages,
    problems: state.problems,
    escape: dockerfile.getEscapeCharacter(),
    ignoreComments: readIgnoreComments(dockerfile, state.lines),
    ...(frontend ? { frontend } : {})
  }
}

/** As BuildKit picks it: the build arg BUILDKIT_SYNTAX, else the `# syntax=` directive; its first word is the image. */
function frontendOf(directives: ParserDirective[], buildArgs: Record<string, string>): Frontend | undefined {
  const fromArg = buildArgs.BUILDKIT_SYNTAX?.trim()
  const directive = directives.find((item) => item.getDirective() === Directive.syntax)
  const text = (fromArg || directive?.getValue().trim())?.split(/\s+/)[0]
  if (!text) return undefined
  const ref = parseImageRef(text)
  return {
    text,
    origin: fromArg ? { buildArg: 'BUILDKIT_SYNTAX' } : { line: directive!.getRange().start.line + 1 },
    ...(ref ? { ref } : {})
  }
}

/** The stage named `name` (case-insensitive). */
export function findStage(model: DockerfileModel, name: string): Stage | undefined {
  const key = name.toLowerCase()
  return model.stages.find((stage) => stage.key === key)
}

/** The stage a build produces: the named `target`, else the last stage. Throws when there is no such stage. */
export function productionStage(model: DockerfileModel, target?: string): Stage {
  const stage = target === undefined ? model.stages.at(-1) : findStage(model, target)
  if (!stage)
    throw new Error(
      target === undefined ? 'The Dockerfile has no stages.' : `Target "${target}" is not a stage of the Dockerfile.`
    )
  return stage
}

/** The stage and the stages it builds on through `FROM <stage>`, base-most first. */
export function stageChain(model: DockerfileModel, stage: Stage): Stage[] {
  const chain = [stage]
  let current = stage
  while (current.base.kind === 'stage') {
    current = model.stages[current.base.stage]
    chain.unshift(current)
  }
  return chain
}

/**
 * Every stage a build of `target` needs: its chain plus the stages it copies or mounts from, transitively, in file
 * order.
 */
export function buildStages(model: DockerfileModel, target: Stage): Stage[] {
  const needed = new Set<number>()
  const visit = (stage: Stage): void => {
    if (needed.has(stage.index)) return
    needed.add(stage.index)
    const sources = [stage.base, ...stage.instructions.flatMap((instruction) => instruction.sources)]
    for (const source of sources) if (source.kind === 'stage') visit(model.stages[source.stage])
  }
  visit(target)
  return model.stages.filter((stage) => needed.has(stage.index))
}

function problem(state: ParseState, line: number, message: string, fix: string): void {
  state.problems.push({ line, message, fix })
}

function toInstruction(node: AstInstruction, lines: string[]): Instruction {
  const keyword = node.getKeyword()
  const heredocs =
    node instanceof Run || node instanceof Copy ? node.getHeredocs().map((heredoc) => heredocBody(heredoc, lines)) : []
  const content = node.getArgumentsContent() ?? ''
  // dockerfile-ast keeps the heredoc bodies in the arguments; the first line is the header.
  const args = heredocs.length > 0 ? content.split(/\r\n|\r|\n/)[0] : content
  const flags = node instanceof ModifiableInstruction ? node.getFlags().map(toFlag) : []
  const properties =
    node instanceof PropertyInstruction
      ? node.getProperties().map((p) => ({ name: p.getName(), value: p.getValue() ?? undefined }))
      : []
  const text = [keyword, ...flags.map(flagText), args].filter(Boolean).join(' ')
  return {
    keyword,
    args,
    json: jsonArguments(args),
    flags,
    properties,
    heredocs,
    sources: [],
    line: node.getRange().start.line + 1,
    text
  }
}

function toFlag(flag: Flag): InstructionFlag {
  return { name: flag.getName(), value: flag.getValue() ?? undefined }
}

function flagText(flag: InstructionFlag): string {
  return flag.value === undefined ? `--${flag.name}` : `--${flag.name}=${flag.value}`
}

/**
 * Exec form, decided the way the engine decides it: the arguments parse as a JSON array of strings. (dockerfile-ast's
 * getJSONStrings drops spaces inside the strings.)
 */
function jsonArguments(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined
  try {
    const value: unknown = JSON.parse(args)
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined
  } catch {
    return undefined
  }
}

function heredocBody(heredoc: Heredoc, lines: string[]): HeredocBody {
  const start = heredoc.getStartRange()
  const name = heredoc.getName()
  const operatorLine = start.start.line
  const range = heredoc.getContentRange()
  if (!range) return { name, line: operatorLine + 2, content: '' }
  const operator = lines[operatorLine].slice(start.start.character, start.end.character)
  // An unterminated heredoc's content range starts on the operator line; the body starts on the next one.
  const first = Math.max(range.start.line, operatorLine + 1)
  const body = lines.slice(first, range.end.line + 1)
  const content = (operator.startsWith('<<-') ? body.map((line) => line.replace(/^\t+/, '')) : body).join('\n')
  return { name, line: first + 1, content }
}

/**
 * Records ARG declarations in `scope`. Inside a stage, an ARG without a value takes the global default; a build-arg
 * overrides both.
 */
function declareArgs(
  properties: Property[],
  scope: Scope,
  globals: Scope | undefined,
  buildArgs: Record<string, string>
): void {
  for (const { name, value } of properties) {
    if (Object.hasOwn(buildArgs, name)) scope.set(name, buildArgs[name])
    else if (value === undefined) scope.set(name, globals?.get(name))
    else scope.set(name, resolvedOrUndefined(expand(value, scope)))
  }
}

function resolvedOrUndefined({ value, resolved }: { value: string; resolved: boolean }): string | undefined {
  return resolved ? value : undefined
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}` and `${VAR+alt}`; a variable with no
 * value stays as written.
 */
function expand(text: string, scope: Scope): { value: string; resolved: boolean } {
  let resolved = true
  const value = text.replace(
    VARIABLE,
    (
      match,
      braced: string | undefined,
      modifier: string | undefined,
      word: string | undefined,
      bare: string | undefined
    ) => {
      const current = scope.get((braced ?? bare)!)
      if (modifier === ':-') return current ? current : word!
      if (modifier === '-') return current ?? word!
      if (modifier === ':+') return current ? word! : ''
      if (modifier === '+') return current !== undefined ? word! : ''
      if (current !== undefined) return current
      resolved = false
      return match
    }
  )
  return { value, resolved }
}

function toStage(node: From, from: Instruction, state: ParseState): Stage {
  const index = state.stages.length
  const written = node.getImage()
  const name = node.getBuildStage() ?? undefined
  const argumentCount = node.getArguments().length
  if (!written) {
    problem(state, from.line, 'FROM names no base image.', 'Name a base image, e.g. `FROM python:3.12-slim-bookworm`.')
  } else if (argumentCount !== 1 && !(argumentCount === 3 && name !== undefined)) {
    problem(
      state,
      from.line,
      `FROM takes an image and an optional \`AS name\`, not \`${from.args}\`.`,
      'Write `FROM <image> [AS <name>]`.'
    )
  }
  if (name !== undefined && !STAGE_NAME.test(name.toLowerCase())) {
    problem(
      state,
      from.line,
      `\`${name}\` is not a valid stage name.`,
      'Start the stage name with a letter and use only letters, digits, `.`, `_` and `-`.'
    )
  }
  const platform = node.getPlatformFlag()?.getValue() ?? undefined
  return {
    index,
    name,
    key: name?.toLowerCase(),
    line: from.line,
    platform: platform === undefined ? undefined : expand(platform, state.globals).value,
    base: written
      ? resolveSource(written, state.globals, index, from.line, state)
      : { kind: 'unresolved', written: '', text: '' },
    from,
    instructions: []
  }
}

function instructionSources(node: AstInstruction, scope: Scope, state: ParseState): ImageSource[] {
  const line = node.getRange().start.line + 1
  return sourceTexts(node).map((written) => resolveSource(written, scope, state.stageKeys.length, line, state))
}

function sourceTexts(node: AstInstruction): string[] {
  if (node instanceof Copy) {
    const from = node.getFromFlag()?.getValue()
    return from ? [from] : []
  }
  if (!(node instanceof Run)) return []
  return node
    .getFlags()
    .filter((flag) => flag.getName() === 'mount')
    .flatMap((flag) => flag.getOption('from')?.getValue() ?? [])
}

/** Classifies a reference; stages count only among the first `stageLimit` (FROM may name earlier stages only). */
function resolveSource(
  written: string,
  scope: Scope,
  stageLimit: number,
  line: number,
  state: ParseState
): ImageSource {
  const { value: text, resolved } = expand(written, scope)
  if (!resolved) return { kind: 'unresolved', written, text }
  const key = text.toLowerCase()
  if (key === 'scratch') return { kind: 'scratch', written, text }
  const named = state.stageKeys.findIndex((stageKey, index) => index < stageLimit && stageKey === key)
  if (named >= 0) return { kind: 'stage', written, text, stage: named }
  if (/^\d+$/.test(text) && Number(text) < stageLimit) return { kind: 'stage', written, text, stage: Number(text) }
  const ref = parseImageRef(text)
  if (ref) return { kind: 'image', written, text, ref }
  problem(
    state,
    line,
    `\`${text}\` is neither a stage nor a valid image reference.`,
    'Name an earlier stage or an image such as `python:3.12-slim-bookworm` (repository names are lower-case).'
  )
  return { kind: 'unresolved', written, text }
}

function checkStages(state: ParseState, target: string | undefined): void {
  const { stages } = state
  if (stages.length === 0) {
    problem(
      state,
      0,
      'The Dockerfile has no FROM instruction, so it has no build stage.',
      'Start the build with `FROM <image>`.'
    )
    return
  }
  if (target !== undefined && !stages.some((stage) => stage.key === target.toLowerCase())) {
    const names = stages.flatMap((stage) => (stage.name ? [`\`${stage.name}\``] : []))
    const fix =
      names.length > 0
        ? `Set target to one of ${names.join(', ')}, or leave it unset to build the last stage.`
        : 'Name the stage with `FROM <image> AS <name>`, or leave target unset to build the last stage.'
    problem(state, 0, `Target \`${target}\` is not a stage of this Dockerfile.`, fix)
  }
}
