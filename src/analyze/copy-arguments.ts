/** The paths of a COPY or ADD as BuildKit reads them. Pure. */
import type { Instruction } from './dockerfile.js'

export interface CopyArguments {
  /** Every argument but the last, heredocs left out. */
  sources: string[]
  destination?: string
}

/**
 * The sources and destination of a COPY or ADD. Each word loses its quotes and escapes, as BuildKit's word expansion
 * removes them in both forms: `COPY "app" /x` reads `app`, and so does `COPY ["'app'", "/x"]`.
 */
export function copyArguments(instruction: Instruction, escape: string): CopyArguments {
  const words = instruction.json ?? instruction.args.split(/\s+/).filter(Boolean)
  const sources = words
    .slice(0, -1)
    .filter((word) => !word.startsWith('<<'))
    .map((word) => unquoted(word, escape))
  const destination = words.at(-1)
  return destination === undefined ? { sources } : { sources, destination: unquoted(destination, escape) }
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
