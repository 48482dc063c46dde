/** Keeps build-arg and secret values out of everything slimcheck prints or writes: logs, findings, reports. */
import type { Variant } from './types.js'

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Shorter fragments would mangle ordinary log text; those values are still hidden wherever `NAME=` precedes them. */
const MIN_FRAGMENT = 3

/**
 * The pieces of a value that can show up on their own: the value, each of its lines (logs come line by line), the
 * value as JSON writes it (error messages quote with `\n` escapes), and each of these encoded (see `encodings`). Only
 * a piece long enough to redact on its own is encoded: an encoding of a short one would hide unrelated text.
 */
export function secretFragments(value: string): string[] {
  const pieces = [value, ...value.split(/\r?\n|\r/)].filter((piece) => piece.trim().length >= MIN_FRAGMENT)
  const fragments = [...pieces.flatMap((piece) => [piece, ...encodings(piece)]), JSON.stringify(value).slice(1, -1)]
  return [...new Set(fragments.filter((fragment) => fragment.trim().length >= MIN_FRAGMENT))]
}

/**
 * How a value travels in a URL (a build-arg in `ADD https://…/${TOKEN}` comes back percent-encoded in BuildKit's
 * messages) or a header: percent-encoded as encodeURIComponent and encodeURI do (with upper- and lower-case hex),
 * form-encoded (`+` for a space), and in base64 (standard and URL-safe, without the padding, which may be dropped).
 */
function encodings(value: string): string[] {
  const percent = [encodeURIComponent(value), encodeURI(value)]
  const form = [new URLSearchParams([['', value]]).toString().slice(1), percent[0].replace(/%20/g, '+')]
  const base64 = Buffer.from(value).toString('base64').replace(/=+$/, '')
  return [
    ...[...percent, ...form].flatMap((text) => [text, text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())]),
    base64,
    base64.replace(/\+/g, '-').replace(/\//g, '_')
  ]
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
