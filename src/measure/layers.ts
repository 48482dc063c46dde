/** Image history entries paired with the Dockerfile instructions that made them, and build steps with their lines. */
import type { InstructionRef, StageSummary } from '../analyze/index.js'
import type { Layer } from '../types.js'

export interface HistoryLayer {
  createdBy: string
  sizeBytes: number
}

/**
 * The Dockerfile keyword a history entry came from: BuildKit writes `RUN |1 A=b /bin/sh -c …`, `COPY … # buildkit`,
 * `ENV …`; the classic builder `/bin/sh -c #(nop)  ENV …` or `/bin/sh -c …` for RUN.
 */
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
export function mapLayers(history: HistoryLayer[], instructions: InstructionRef[]): Layer[] {
  const candidates = instructions.filter((instruction) => instruction.keyword !== 'FROM')
  let cursor = candidates.length - 1
  const layers: Layer[] = []
  for (let index = history.length - 1; index >= 0; index--) {
    const entry = history[index]
    const keyword = historyKeyword(entry.createdBy)
    let matched: InstructionRef | undefined
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

const STEP_NAME = /^\[(?:(\S+) )?\d+\/\d+\] ([A-Z]+)\b\s*(.*)$/
const normalized = (text: string): string => text.replace(/\s+/g, ' ').trim()

/**
 * The Dockerfile line a BuildKit step comes from. Steps are named `[stage 2/4] RUN …` (the stage is left out when
 * there is only one): the step pairs with that stage's instruction of the same keyword and text, else with the
 * first such instruction not taken yet. `taken` carries the lines already paired, across the steps of one build.
 */
export function stepLine(name: string, stages: StageSummary[], taken: Set<number>): number | undefined {
  const match = STEP_NAME.exec(name)
  if (!match) return undefined
  const [, label, keyword, rest] = match
  const stage =
    label === undefined
      ? stages.length === 1
        ? stages[0]
        : undefined
      : (stages.find((candidate) => candidate.name?.toLowerCase() === label.toLowerCase()) ??
        stages[Number(/^stage-(\d+)$/.exec(label)?.[1] ?? NaN)])
  const candidates = (stage ? [stage] : stages).flatMap((item) => item.instructions)
  const open = candidates.filter((instruction) => instruction.keyword === keyword && !taken.has(instruction.line))
  const text = normalized(`${keyword} ${rest}`)
  const found = open.find((instruction) => normalized(instruction.text) === text) ?? open[0]
  if (found) taken.add(found.line)
  return found?.line
}
