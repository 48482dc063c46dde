/** Keeps build-arg and secret values out of everything slimcheck prints or writes: logs, findings, reports. */
import type { Variant } from './types.js'

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Shorter fragments would mangle ordinary log text; those values are still hidden wherever `NAME=` precedes them. */
const MIN_FRAGMENT = 3

/**
 * The pieces of a value that can show up on their own: the value, each of its lines (logs come line by line), and
 * the value as JSON writes it (error messages quote with `\n` escapes).
 */
export function secretFragments(value: string): string[] {
  const fragments = [value, ...value.split(/\r?\n|\r/), JSON.stringify(value).slice(1, -1)]
  return [...new Set(fragments.filter((fragment) => fragment.trim().length >= MIN_FRAGMENT))]
}

/** The part of a build-arg's value that messages name on its own: the frontend image, BUILDKIT_SYNTAX's first word. */
function namedAlone(name: string, value: string): string[] {
  return name === 'BUILDKIT_SYNTAX' ? value.trim().split(/\s+/).slice(0, 1).filter(Boolean) : []
}

/** Every value to keep secret: the build-args' (with the parts messages name alone) and the secrets'. */
export function secretValues(buildArgs: Record<string, string>, secrets: Record<string, string> = {}): string[] {
  const args = Object.entries(buildArgs).flatMap(([name, value]) => [value, ...namedAlone(name, value)])
  return [...args, ...Object.values(secrets)]
}

/** The build-args whose values may be secret: all but those the committed config file sets. */
export function sensitiveArgs(variant: Pick<Variant, 'buildArgs' | 'committedArgs'>): Record<string, string> {
  const committed = new Set(variant.committedArgs ?? [])
  return Object.fromEntries(Object.entries(variant.buildArgs).filter(([name]) => !committed.has(name)))
}

/**
 * Replaces values with `***`: every `NAME=value` of a build-arg whatever the value's length (image history records
 * them so), and every fragment of every value anywhere (see `secretFragments`).
 */
export function redactorFor(
  buildArgs: Record<string, string>,
  secrets: Record<string, string> = {}
): (text: string) => string {
  const entries = Object.entries(buildArgs).filter(([, value]) => value.length > 0)
  const fragments = secretValues(buildArgs, secrets)
    .flatMap(secretFragments)
    .sort((a, b) => b.length - a.length)
  if (entries.length === 0 && fragments.length === 0) return (text) => text
  const assigned = secretValues(Object.fromEntries(entries))
  const assignments = entries.length
    ? new RegExp(
        `\\b(${entries.map(([name]) => escapeRegExp(name)).join('|')})=(?:${assigned
          .map(escapeRegExp)
          .join('|')})(?=\\s|$)`,
        'g'
      )
    : undefined
  const bare = fragments.length ? new RegExp(fragments.map(escapeRegExp).join('|'), 'g') : undefined
  return (text) => {
    const withoutAssignments = assignments ? text.replace(assignments, '$1=***') : text
    return bare ? withoutAssignments.replace(bare, '***') : withoutAssignments
  }
}
