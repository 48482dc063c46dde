/**
 * Why a variant has no measurement: its Dockerfile failed (a step's command, a missing source, a syntax error), or
 * the machinery failed it (the engine, its disk, a registry, a time limit). Only the first can already be on the
 * baseline; the second says nothing about the Dockerfile and never counts as a pass. Pure.
 */
import type { TracedStep } from '../engine/trace.js'
import type { VariantFailure } from '../types.js'

/** The Dockerfile's own failures, as BuildKit words them. */
const DOCKERFILE_FAILURES = [
  /did not complete successfully: exit code: \d+/,
  /executor failed running \[.*\]: exit code: \d+/s,
  /failed to (?:calculate checksum of ref|compute cache key)\b.*\bnot found/s,
  /dockerfile parse error|failed to parse (?:dockerfile|stage name)|unknown instruction|unknown flag/i,
  /target stage "?[^"]*"? could not be found/i
]

/**
 * Failures of the engine, its disk, its network or a registry, whatever step they came up in: in the engine's error,
 * or in the failing command's own output (a RUN that ran out of disk or could not resolve a host exits non-zero).
 */
const MACHINERY_FAILURES =
  /no space left on device|disk quota exceeded|read-only file system|cannot allocate memory|out of memory|network bridge not found|failed to create endpoint|failed to set up (?:container )?network|failed to resolve source metadata|failed to (?:do request|authorize|fetch)|unexpected status|connection (?:reset|refused|timed out)|network is unreachable|temporary failure (?:in name resolution|resolving)|could not resolve host|broken pipe|i\/o timeout|transport is closing|context canceled|deadline exceeded|unexpected EOF/i

/** A command ended by a signal (128 + its number; 137 is SIGKILL, as the OOM killer sends): not its own exit. */
const KILLED = /exit code: (1[3-9]\d|2[0-5]\d)\b/

/** `[runtime 3/5] RUN make` → `[runtime] RUN make`: a line added above a step renumbers it, nothing more. */
export function stepIdentity(name: string): string {
  return name.replace(/^\[([^\]]*?)\s*\d+\/\d+\]/, (_, stage: string) => `[${stage}]`).replace(/\s+/g, ' ')
}

/**
 * A failed build classified: `build` with the failing step, or `unmeasured`. `logTail` is the end of the build's log,
 * where a failing command says why.
 */
export function buildFailureKind(
  error: string,
  steps: TracedStep[],
  logTail: string[] = []
): Pick<VariantFailure, 'kind' | 'step'> {
  const failing = steps.find((step) => step.error)
  const machinery = MACHINERY_FAILURES.test(error) || logTail.some((line) => MACHINERY_FAILURES.test(line))
  if (machinery || KILLED.test(error) || !DOCKERFILE_FAILURES.some((pattern) => pattern.test(error)))
    return { kind: 'unmeasured' }
  return { kind: 'build', ...(failing ? { step: stepIdentity(failing.name) } : {}) }
}

/** Vertex numbers and durations differ from run to run; the words of the failure do not. */
function errorIdentity(message: string): string {
  return message
    .replace(/#\d+\b/g, '#')
    .replace(/\b\d+(?:\.\d+)?m?s\b/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Both sides failed alike: the same Dockerfile step with the same error. A stored report of an earlier slimcheck
 * that did not classify its failures counts by its message alone.
 */
export function sameBuildFailure(base: VariantFailure, head: VariantFailure): boolean {
  if (head.kind !== 'build' || base.kind === 'unmeasured') return false
  if (base.kind === 'build' && (base.step ?? '') !== (head.step ?? '')) return false
  return errorIdentity(base.message) === errorIdentity(head.message)
}
