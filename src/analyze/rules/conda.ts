/** Rule `conda-in-production`: conda in the stages that make up the shipped image. */

import type { Finding, Severity } from '../../types.js'
import { copyArguments } from '../copy-arguments.js'
import {
  buildStages,
  stageChain,
  type DockerfileModel,
  type ImageSource,
  type Instruction,
  type Stage
} from '../dockerfile.js'
import { isDockerHub, parseImageRef, type ImageRef } from '../image-ref.js'

export const DEFAULT_ALLOWED_CONDA_IMAGES = ['pytorch/pytorch']

export interface CondaOptions {
  file: string
  /** Conda-based images accepted as a production base: a repository with or without tag, or a prefix ending in `*`. */
  allowedCondaImages?: string[]
}

type HitKind = 'base' | 'install' | 'command' | 'copy' | 'path' | 'runtime'

/** One piece of conda evidence in one instruction. */
interface Hit {
  kind: HitKind
  /** What was found, as a clause: "runs `conda install numpy`". */
  what: string
  /** The stage a conda prefix was copied from. */
  fromStage?: number
}

interface StageEvidence {
  stage: Stage
  line: number
  keyword: string
  hits: Hit[]
}

interface Segment {
  start: number
  end: number
  words: string[]
}

const RUNTIME = 'python:3.12-slim-bookworm'
const CONDA_COMMANDS = new Set(['conda', 'mamba', 'micromamba'])
const CONDA_EXE_VARIABLE = /^\$\{?(?:_?CONDA_EXE|MAMBA_EXE)\}?$/
const CONDA_IMAGE_NAME = /^(?:(?:ana|mini)conda\d*|(?:miniforge|mambaforge)\d*(?:-pypy\d*)?|micromamba)$/
const CONDA_NAMESPACES = new Set([
  'continuumio',
  'conda',
  'condaforge',
  'conda-forge',
  'mambaorg',
  'mamba-org',
  'anaconda',
  'rapidsai'
])
/** Jupyter Docker Stacks images keep a mamba-managed prefix in /opt/conda. */
const JUPYTER_STACK = /^jupyter\/[\w.-]+-notebook$/
const CONDA_DIRECTORY = /^(?:[\w.-]*conda\d*|(?:miniforge|mambaforge)\d*|mamba|micromamba)$/i
const CONDA_VARIABLE = /^\$\{?\w*(?:CONDA|MAMBA)\w*\}?$/i
const INSTALLER =
  /\b(?:miniconda|miniforge|mambaforge|anaconda)\d?(?:-[\w.-]*)?\.sh\b|\b(?:repo\.anaconda\.com|repo\.continuum\.io|micro\.mamba\.pm|micromamba\.snakepit\.net|github\.com\/conda-forge\/miniforge|github\.com\/mamba-org\/micromamba-releases)\b/i
const CONDA_PACKAGE = /^(?:conda|mamba)(?:[=<>!~[].*)?$/
const RUNTIME_ACTIVATION =
  /(?:^|[\s/;&|("'])(?:conda|mamba|micromamba)\s+(?:run|activate)\b|(?:^|[\s;&|("'])(?:source|\.)\s+activate\b/
const SHELLS = /^(?:ba|da|k|z|a)?sh$/
/** Words that come before the command a shell runs. */
const COMMAND_PREFIXES = new Set([
  'sudo',
  'exec',
  'env',
  'time',
  'nohup',
  'then',
  'do',
  'else',
  'elif',
  'if',
  'while',
  'until',
  '!',
  '{',
  '}'
])
const ASSIGNMENT = /^[A-Za-z_]\w*=/
const SEPARATOR = /&&|\|\||[;&|\n()`]/g

const WHY: Record<HitKind, string> = {
  base: `Conda images carry the solver, a package cache and a full toolchain: hundreds of MB to GBs more than ${RUNTIME}, with slower pulls and builds.`,
  install:
    'That puts the whole conda distribution, its solver and package cache into the shipped image and adds minutes to every cold build.',
  command:
    'Conda solves are slow, and conda itself, its package cache and the environment prefix all ship in the image.',
  copy: 'A conda prefix brings conda, its package cache and activation scripts along, and its programs expect conda activation to set up their environment.',
  path: "Every process then picks conda's python, openssl and friends before the system's, and conda's libraries leak into the loader path (LD_LIBRARY_PATH pollution).",
  runtime:
    "`conda run` and `conda activate` need conda's shell hooks at runtime: they break under systemd, cron and non-interactive shells, wrap the process (signals, exit codes, buffered output) and pollute LD_LIBRARY_PATH."
}

const PACK_IN_BUILDER = `build the environment in a builder stage, run \`conda-pack -p <env> -o /tmp/env.tar.gz && mkdir /venv && tar -xzf /tmp/env.tar.gz -C /venv && /venv/bin/conda-unpack\` there, and \`COPY --from=<builder> /venv /venv\` into a ${RUNTIME} runtime`

const FIX: Record<HitKind, string> = {
  base: `Use conda only to build: ${PACK_IN_BUILDER}. Or install with pip into a venv on ${RUNTIME}.`,
  install: `Move the conda install to a builder stage: ${PACK_IN_BUILDER}. Or use a venv with pip.`,
  command: `Move this step to a builder stage: ${PACK_IN_BUILDER}. Or use a venv with pip.`,
  copy: `Copy a packed environment instead of the prefix: ${PACK_IN_BUILDER}.`,
  path: 'Put only the unpacked environment on PATH (`ENV PATH=/venv/bin:$PATH`) after copying a conda-packed env, or use a venv.',
  runtime:
    'Call the environment\'s interpreter directly, e.g. `ENTRYPOINT ["/venv/bin/python", "-m", "app"]`, with the env copied from a conda-pack builder stage.'
}

export function condaFindings(model: DockerfileModel, production: Stage, options: CondaOptions): Finding[] {
  const chain = stageChain(model, production)
  const evidence = chain.flatMap((stage) => stageEvidence(stage, model))
  const accepted = acceptedBase(chain[0], options.allowedCondaImages ?? DEFAULT_ALLOWED_CONDA_IMAGES)
  const shipped = accepted
    ? acceptedFindings(accepted, chain[0], production, evidence, options.file)
    : evidence.map((item) => productionFinding(item, production, options.file))
  return [...shipped, ...builderFindings(model, production, chain, evidence, options.file)]
}

/** True for images known to carry a conda installation. */
export function isCondaImage(ref: ImageRef): boolean {
  const segments = ref.repository.split('/')
  return (
    CONDA_IMAGE_NAME.test(segments.at(-1)!) ||
    segments.slice(0, -1).some((segment) => CONDA_NAMESPACES.has(segment)) ||
    JUPYTER_STACK.test(ref.repository) ||
    (isDockerHub(ref) && ref.repository === 'pytorch/pytorch')
  )
}

/**
 * The allow-list entry `ref` matches: same registry and repository, same tag when the entry names one, or the entry's
 * prefix before `*`.
 */
export function matchAllowedImage(ref: ImageRef, allowed: string[]): string | undefined {
  const name = `${ref.registry}/${ref.repository}`
  const tagged = ref.tag ? `${name}:${ref.tag}` : name
  return allowed.find((entry) => {
    if (entry.endsWith('*')) {
      const prefix = canonicalPrefix(entry.slice(0, -1))
      return prefix !== undefined && tagged.startsWith(prefix)
    }
    const pattern = parseImageRef(entry)
    if (!pattern) return false
    const patternName = `${pattern.registry}/${pattern.repository}`
    return pattern.tag ? tagged === `${patternName}:${pattern.tag}` : name === patternName
  })
}

/**
 * Normalises a glob prefix the way a full reference is: `pytorch/pyt` → `docker.io/pytorch/pyt`, `continuumio/` →
 * `docker.io/continuumio/`.
 */
function canonicalPrefix(prefix: string): string | undefined {
  // A placeholder character completes the prefix into a parsable reference; it is dropped again afterwards.
  const ref = parseImageRef(`${prefix}x`)
  if (!ref) return undefined
  const canonical = `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`
  return canonical.slice(0, -1)
}

function acceptedBase(root: Stage, allowed: string[]): { ref: ImageRef; entry: string } | undefined {
  if (root.base.kind !== 'image') return undefined
  const entry = matchAllowedImage(root.base.ref, allowed)
  return entry === undefined ? undefined : { ref: root.base.ref, entry }
}

function acceptedFindings(
  accepted: { ref: ImageRef; entry: string },
  root: Stage,
  production: Stage,
  evidence: StageEvidence[],
  file: string
): Finding[] {
  if (!isCondaImage(accepted.ref) && evidence.length === 0) return []
  const message = `\`${root.base.text}\` is conda-based and accepted: it matches \`${accepted.entry}\` in allowedCondaImages, so conda in the shipped image (${stageLabel(production)}) is not flagged.`
  const fix = `Nothing required. For a slimmer image, install the packages with pip into a venv on ${RUNTIME} and drop \`${accepted.entry}\` from allowedCondaImages.`
  return [finding('info', file, root.line, message, fix)]
}

function productionFinding(item: StageEvidence, production: Stage, file: string): Finding {
  const [first] = item.hits
  const where =
    item.stage === production
      ? stageLabel(production)
      : `${stageLabel(item.stage)}, which ${stageLabel(production)} builds on`
  const message = `${item.keyword} ${describe(item.hits)} in ${where}, so conda ends up in the shipped image. ${WHY[first.kind]}`
  return finding('error', file, item.line, message, FIX[first.kind])
}

/**
 * One `info` per stage outside the production chain that uses conda, unless the production chain copies a conda prefix
 * out of it.
 */
function builderFindings(
  model: DockerfileModel,
  production: Stage,
  chain: Stage[],
  shipped: StageEvidence[],
  file: string
): Finding[] {
  const copiedPrefixes = new Set(
    shipped.flatMap((item) => item.hits.flatMap((hit) => (hit.fromStage === undefined ? [] : [hit.fromStage])))
  )
  return buildStages(model, production)
    .filter((stage) => !chain.includes(stage) && !copiedPrefixes.has(stage.index))
    .flatMap((stage) => {
      const [first] = stageEvidence(stage, model)
      if (!first) return []
      const message = `Conda stays in builder ${stageLabel(stage)} (line ${first.line}: ${first.keyword} ${describe(first.hits)}); only what is copied out of it reaches the shipped image, built by ${stageLabel(production)}.`
      return [
        finding(
          'info',
          file,
          stage.line,
          message,
          'Nothing required: keep copying only the packed environment, not a conda prefix, out of this stage.'
        )
      ]
    })
}

/** The first clause of each kind of evidence, with a count of the rest. */
function describe(hits: Hit[]): string {
  const kinds = [...new Set(hits.map((hit) => hit.kind))]
  const clauses = kinds.map((kind) => {
    const [first, ...more] = hits.filter((hit) => hit.kind === kind)
    return more.length > 0 ? `${first.what} (and ${more.length} more)` : first.what
  })
  return clauses.join(' and ')
}

function finding(severity: Severity, file: string, line: number, message: string, fix: string): Finding {
  return { rule: 'conda-in-production', severity, file, line, message, fix, evidence: 'static' }
}

function stageLabel(stage: Stage): string {
  return stage.name ? `stage \`${stage.name}\`` : `unnamed stage ${stage.index}`
}

/** The conda evidence in one stage, one entry per offending instruction (the FROM included). */
function stageEvidence(stage: Stage, model: DockerfileModel): StageEvidence[] {
  const base =
    stage.base.kind === 'image' && isCondaImage(stage.base.ref)
      ? [{ stage, line: stage.line, keyword: 'FROM', hits: [baseHit(stage.base)] }]
      : []
  const instructions = stage.instructions.map((instruction) => ({
    stage,
    line: instruction.line,
    keyword: instruction.keyword,
    hits: instructionHits(instruction, model)
  }))
  return [...base, ...instructions].filter((item) => item.hits.length > 0)
}

function baseHit(base: ImageSource): Hit {
  return { kind: 'base', what: `uses the conda-based image \`${base.text}\`` }
}

function instructionHits(instruction: Instruction, model: DockerfileModel): Hit[] {
  switch (instruction.keyword) {
    case 'RUN':
      return runScripts(instruction).flatMap(scriptHits)
    case 'ADD':
      return addHits(instruction, model)
    case 'COPY':
      return copyHits(instruction, model)
    case 'ENV':
      return pathHits(instruction)
    case 'ENTRYPOINT':
    case 'CMD':
    case 'SHELL':
      return runtimeHits(instruction)
    default:
      return []
  }
}

/** The shell scripts a RUN executes: its command line and the heredocs fed to a shell (or run as the script itself). */
function runScripts(instruction: Instruction): string[] {
  if (instruction.json) return [execScript(instruction.json)]
  const heredocs = instruction.heredocs.filter((heredoc) => feedsShell(instruction.args, heredoc.name, heredoc.content))
  return [instruction.args, ...heredocs.map((heredoc) => heredoc.content)]
}

/** `["bash", "-c", "script"]` runs the script; any other exec form runs its argv as one command. */
function execScript(argv: string[]): string {
  const dashC = argv.indexOf('-c')
  return SHELLS.test(basename(argv[0] ?? '')) && dashC > 0 ? argv.slice(dashC + 1).join(' ') : argv.join(' ')
}

/**
 * Whether the heredoc `name` in a RUN header is a shell script: the command reading it is a shell, or there is none and
 * no non-shell shebang.
 */
function feedsShell(header: string, name: string, content: string): boolean {
  const operator = new RegExp(`<<-?\\s*(['"]?)${escapeRegExp(name)}\\1`).exec(header)
  const segment = operator
    ? segments(header).find((item) => item.start <= operator.index && operator.index < item.end)
    : undefined
  const [command] = commandWords(segment?.words ?? [])
  if (command !== undefined) return SHELLS.test(basename(command))
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(content)
  if (!shebang) return true
  const interpreter = basename(shebang[1]) === 'env' ? (shebang[2] ?? '') : basename(shebang[1])
  return SHELLS.test(basename(interpreter))
}

function scriptHits(script: string): Hit[] {
  const view = shellView(script)
  const commands = segments(view.code).flatMap((segment) => {
    const kind = segmentKind(segment.words)
    return kind ? [{ kind, what: commandClause(kind, script.slice(segment.start, segment.end)) }] : []
  })
  return [...installerHits(view.text), ...commands]
}

function commandClause(kind: HitKind, command: string): string {
  const shown = quoteCommand(command)
  return kind === 'install' ? `installs conda with pip (${shown})` : `runs ${shown}`
}

function quoteCommand(command: string): string {
  const text = command.replace(/\s+/g, ' ').trim()
  return `\`${text.length > 80 ? `${text.slice(0, 79)}…` : text}\``
}

function installerHits(text: string): Hit[] {
  const match = INSTALLER.exec(text)
  return match ? [{ kind: 'install', what: `fetches or runs the conda installer (\`${match[0]}\`)` }] : []
}

function segmentKind(words: string[]): HitKind | undefined {
  const [command, ...rest] = commandWords(words)
  if (command === undefined) return undefined
  const name = basename(command)
  if (CONDA_COMMANDS.has(name) || CONDA_EXE_VARIABLE.test(command)) return 'command'
  if (
    (name === 'source' || name === '.') &&
    rest[0] !== undefined &&
    (basename(rest[0]) === 'activate' || isCondaPath(rest[0]))
  )
    return 'command'
  if (isPipInstall(name, rest) && rest.some((word) => CONDA_PACKAGE.test(word))) return 'install'
  return undefined
}

function isPipInstall(name: string, rest: string[]): boolean {
  const pip =
    /^pip[\d.]*$/.test(name) ||
    (/^python[\d.]*$/.test(name) && rest[0] === '-m' && rest[1] === 'pip') ||
    (name === 'uv' && rest[0] === 'pip')
  return pip && rest.includes('install')
}

/** The words from the command on: leading assignments, redirections, keywords and wrappers such as `sudo` dropped. */
function commandWords(words: string[]): string[] {
  let index = 0
  let afterPrefix = false
  while (index < words.length) {
    const word = words[index]
    if (/^\d*[<>]/.test(word)) {
      index += /^\d*[<>]+[&|-]?$/.test(word) ? 2 : 1
    } else if (COMMAND_PREFIXES.has(word) || ASSIGNMENT.test(word) || (afterPrefix && word.startsWith('-'))) {
      afterPrefix = COMMAND_PREFIXES.has(word) || afterPrefix
      index++
    } else {
      break
    }
  }
  return words.slice(index)
}

/** The simple commands of a masked script, split at `&&`, `||`, `;`, `|`, `&`, newlines, parentheses and backticks. */
function segments(code: string): Segment[] {
  const result: Segment[] = []
  let start = 0
  for (const match of code.matchAll(SEPARATOR)) {
    result.push(segment(code, start, match.index))
    start = match.index + match[0].length
  }
  result.push(segment(code, start, code.length))
  return result
}

function segment(code: string, start: number, end: number): Segment {
  return { start, end, words: code.slice(start, end).split(/\s+/).filter(Boolean) }
}

/**
 * Two views of a shell script with the same offsets as the script: `code` blanks quoted text (but keeps `$( )` inside
 * double quotes) and comments, so only words the shell runs as commands stay readable; `text` blanks comments only.
 */
function shellView(script: string): { code: string; text: string } {
  const code = script.split('')
  const text = script.split('')
  const open: ('"' | ')')[] = []
  let i = 0
  while (i < script.length) {
    const char = script[i]
    const inDouble = open.at(-1) === '"'
    if (inDouble && char === '$' && script[i + 1] === '(') {
      open.push(')')
      code[i] = ';'
      i += 2
    } else if (inDouble) {
      if (char === '"') open.pop()
      const next = char === '\\' ? i + 2 : i + 1
      fill(code, i, next, '_')
      i = next
    } else if (char === ')' && open.at(-1) === ')') {
      open.pop()
      i++
    } else if (char === '\\') {
      fill(code, i, i + 2, script[i + 1] === '\n' ? ' ' : '_')
      i += 2
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1)
      const next = end < 0 ? script.length : end + 1
      fill(code, i, next, '_')
      i = next
    } else if (char === '"') {
      open.push('"')
      code[i] = '_'
      i++
    } else if (char === '#' && (i === 0 || /[\s;&|()]/.test(script[i - 1]))) {
      const end = script.indexOf('\n', i)
      const next = end < 0 ? script.length : end
      fill(code, i, next, ' ')
      fill(text, i, next, ' ')
      i = next
    } else {
      i++
    }
  }
  return { code: code.join(''), text: text.join('') }
}

function fill(chars: string[], from: number, to: number, filler: string): void {
  for (let i = from; i < Math.min(to, chars.length); i++) chars[i] = filler
}

function addHits(instruction: Instruction, model: DockerfileModel): Hit[] {
  const { sources, destination } = copyArguments(instruction, model.escape)
  return installerHits([...sources, destination ?? ''].join(' '))
}

function copyHits(instruction: Instruction, model: DockerfileModel): Hit[] {
  const [source] = instruction.sources
  if (!source) return []
  const prefix = copyArguments(instruction, model.escape).sources.find(isCondaPath)
  if (prefix === undefined) return []
  const from = source.kind === 'stage' ? stageLabel(model.stages[source.stage]) : `\`${source.text}\``
  const what = `copies the conda prefix \`${prefix}\` from ${from}`
  return [source.kind === 'stage' ? { kind: 'copy', what, fromStage: source.stage } : { kind: 'copy', what }]
}

function pathHits(instruction: Instruction): Hit[] {
  return instruction.properties
    .filter(
      ({ name, value }) => (name === 'PATH' || name === 'LD_LIBRARY_PATH') && (value ?? '').split(':').some(isCondaPath)
    )
    .map(({ name, value }) => ({ kind: 'path', what: `puts a conda prefix on ${name} (\`${name}=${value}\`)` }))
}

function runtimeHits(instruction: Instruction): Hit[] {
  const command = instruction.json ? instruction.json.join(' ') : instruction.args
  return RUNTIME_ACTIVATION.test(command)
    ? [{ kind: 'runtime', what: `starts through conda (${quoteCommand(command)})` }]
    : []
}

/**
 * A path inside a conda installation: `/opt/conda/...`, `/root/miniconda3`, `$CONDA_DIR/bin`, `/bin/micromamba`,
 * `C:\Miniconda3`.
 */
function isCondaPath(path: string): boolean {
  return path.split(/[/\\]/).some((part) => CONDA_DIRECTORY.test(part) || CONDA_VARIABLE.test(part))
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
