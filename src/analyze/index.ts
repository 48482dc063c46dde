/** The analyze stage: static findings for one Dockerfile variant, from its text alone. */

import type { Finding, RuleIgnore } from '../types.js'
import {
  findStage,
  parseDockerfile,
  productionStage,
  stageChain,
  type DockerfileModel,
  type Stage
} from './dockerfile.js'
import { commentSuppressions } from './ignore-comments.js'
import { buildInputs, type BuildInputs } from './inputs.js'
import { condaFindings, matchAllowedImage } from './rules/conda.js'
import { parseErrorFindings } from './rules/parse-error.js'
import { tagFindings } from './rules/tags.js'
import { suppress, type CommentSuppression } from './suppress.js'

export interface AnalyzeInput {
  text: string
  /** Workspace-relative path, used in findings. */
  file: string
  target?: string
  buildArgs: Record<string, string>
  allowedCondaImages: string[]
  /** The variant's `ignore` list: its findings of these rules are suppressed. */
  ignore?: RuleIgnore[]
}

export interface InstructionRef {
  line: number
  keyword: string
  /** The instruction on one line: keyword, flags and arguments (the header only for heredocs). */
  text: string
}

export interface StageSummary {
  name?: string
  line: number
  /** The base as written after ARG substitution: an image, a stage name or `scratch`. */
  base: string
  /** The stage's FROM and every instruction after it, in file order. */
  instructions: InstructionRef[]
}

export interface Analysis {
  /** Sorted by line, then rule; those a comment or the `ignore` list accepts are marked suppressed. */
  findings: Finding[]
  /** What the `# slimcheck ignore=` comments suppress, for the findings the built image adds. */
  suppressions: CommentSuppression[]
  /**
   * The FROM and the instructions of each stage in the production chain, base-most stage first, in file order, for
   * mapping image layers back to lines.
   */
  productionInstructions: InstructionRef[]
  /** Line of the production stage's FROM; 0 when there is none. */
  productionFromLine: number
  /** The allowed-conda-images entry the production chain's base matches: conda in that image is accepted. */
  condaAcceptedBy?: string
  stages: StageSummary[]
  /** What the build reads besides the Dockerfile; absent when there is nothing to build (no stage, no such target). */
  inputs?: BuildInputs
}

export function analyzeDockerfile(input: AnalyzeInput): Analysis {
  const model = parseDockerfile(input.text, { buildArgs: input.buildArgs, target: input.target })
  const { suppressions, warnings } = commentSuppressions(model.ignoreComments, input.file)
  const findings = [...parseErrorFindings(model.problems, input.file), ...warnings]
  const accepting = { comments: suppressions, ignore: input.ignore ?? [] }
  const marked = (all: Finding[]): Finding[] => all.sort(byLineThenRule).map((finding) => suppress(finding, accepting))
  if (model.stages.length === 0)
    return { findings: marked(findings), suppressions, productionInstructions: [], productionFromLine: 0, stages: [] }
  findings.push(...tagFindings(model, input.file))
  const production = hasTarget(model, input.target) ? productionStage(model, input.target) : undefined
  if (production)
    findings.push(
      ...condaFindings(model, production, { file: input.file, allowedCondaImages: input.allowedCondaImages })
    )
  return {
    findings: marked(findings),
    suppressions,
    productionInstructions: production ? chainInstructions(model, production) : [],
    productionFromLine: production?.line ?? 0,
    ...(production ? { inputs: buildInputs(model, production, input.file) } : {}),
    ...acceptedBy(model, production, input.allowedCondaImages),
    stages: model.stages.map((stage) => ({
      ...(stage.name === undefined ? {} : { name: stage.name }),
      line: stage.line,
      base: stage.base.text,
      instructions: [stage.from, ...stage.instructions].map(({ line, keyword, text }) => ({ line, keyword, text }))
    }))
  }
}

function acceptedBy(
  model: DockerfileModel,
  production: Stage | undefined,
  allowed: string[]
): { condaAcceptedBy?: string } {
  const root = production ? stageChain(model, production)[0] : undefined
  const entry = root?.base.kind === 'image' ? matchAllowedImage(root.base.ref, allowed) : undefined
  return entry === undefined ? {} : { condaAcceptedBy: entry }
}

function hasTarget(model: DockerfileModel, target: string | undefined): boolean {
  return target === undefined || findStage(model, target) !== undefined
}

function chainInstructions(model: DockerfileModel, production: Stage): InstructionRef[] {
  return stageChain(model, production).flatMap((stage) =>
    [stage.from, ...stage.instructions].map(({ line, keyword, text }) => ({ line, keyword, text }))
  )
}

function byLineThenRule(a: Finding, b: Finding): number {
  return a.line - b.line || a.rule.localeCompare(b.rule)
}
