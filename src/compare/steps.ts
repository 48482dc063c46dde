/** Which build steps got slower: the head's last build against the base's, step by step from BuildKit's trace. Pure. */
import { spreadMeasured, timeDelta } from './index.js'
import type { BuildMeasurement, BuildStep, VariantReport } from '../types.js'

export interface StepChange {
  /** The step without BuildKit's `[stage n/m]` prefix, which shifts when steps are added. */
  name: string
  line?: number
  /** Absent for a step the base did not have. */
  before?: number
  after: number
  delta: number
  /** Cached on the base side but built on the head side: the time is the cache's, not the change's. */
  cacheMissed: boolean
}

const STEP_MIN_SECONDS = 1
const STEP_MIN_PERCENT = 20
const TOP_STEP_CHANGES = 3

function stepName(step: BuildStep): string {
  return step.name.replace(/^\[[^\]]*\]\s*/, '').trim()
}

/** Head steps paired with base steps: by name in order, then an edited step with the one from the same line. */
function pairSteps(base: BuildStep[], head: BuildStep[]): Map<BuildStep, BuildStep> {
  const pairs = new Map<BuildStep, BuildStep>()
  const unpaired = new Set(base)
  for (const step of head) {
    const same = [...unpaired].find((candidate) => stepName(candidate) === stepName(step))
    if (same) {
      pairs.set(step, same)
      unpaired.delete(same)
    }
  }
  for (const step of head.filter((item) => !pairs.has(item) && item.line !== undefined)) {
    const sameLine = [...unpaired].find((candidate) => candidate.line === step.line)
    if (sameLine) {
      pairs.set(step, sameLine)
      unpaired.delete(sameLine)
    }
  }
  return pairs
}

/** The head built slower beyond the spread of both sides' builds: with one build a side the spread is unknown. */
function slowerBeyondSpread(base: BuildMeasurement, head: BuildMeasurement): boolean {
  const time = timeDelta(base.samples, head.samples, base.seconds, head.seconds)
  return spreadMeasured(time) && !time.noise && time.delta > 0
}

/**
 * The steps of the head's last build that took at least a second and a fifth longer than the same step on the base,
 * or that are new and took a second or more: slowest change first. None unless the whole build got slower beyond the
 * measured spread, as one build's step times vary as much as its total.
 */
export function slowerSteps(base: VariantReport | undefined, head: VariantReport | undefined): StepChange[] {
  const headSteps = head?.build?.steps
  if (!headSteps || !base?.build?.steps || !slowerBeyondSpread(base.build, head.build!)) return []
  const pairs = pairSteps(base.build.steps, headSteps)
  const changes: StepChange[] = []
  for (const step of headSteps) {
    const was = pairs.get(step)
    const change = step.seconds - (was?.seconds ?? 0)
    const slower = was
      ? change >= STEP_MIN_SECONDS && change >= (was.seconds * STEP_MIN_PERCENT) / 100
      : step.seconds >= STEP_MIN_SECONDS
    if (!slower) continue
    changes.push({
      name: stepName(step),
      ...(step.line === undefined ? {} : { line: step.line }),
      ...(was ? { before: was.seconds } : {}),
      after: step.seconds,
      delta: change,
      cacheMissed: !!was?.cached && !step.cached
    })
  }
  return changes.sort((a, b) => b.delta - a.delta).slice(0, TOP_STEP_CHANGES)
}
