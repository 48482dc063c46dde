/**
 * Markdown pieces for text that came from a repository or a build log, each escaped for the context it lands in:
 * code spans and `<pre>` (verbatim, never a link, a mention or markup), HTML blocks (`<summary>`), and inline
 * Markdown (only the backslash escapes it needs). Untrusted text is never placed where a line or block starts.
 */
import { printable } from '../untrusted.js'

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char])
}

/** One line of printable text: line breaks become spaces. */
export function oneLine(text: string): string {
  return printable(text).replace(/[\n\u2028\u2029]/g, ' ')
}

/** Inline code, verbatim: a fence longer than any run of backticks inside, padded where CommonMark would strip. */
export function code(text: string): string {
  const content = oneLine(text)
  if (!content) return '` `'
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = /^`|`$/.test(content) || /^ .*[^ ].* $/.test(content) ? ' ' : ''
  return `${fence}${pad}${content}${pad}${fence}`
}

/** Inline code in a pipe-table cell, where GFM splits cells at `|` before code spans are read: `\|` keeps it. */
export function cellCode(text: string): string {
  return code(text).replace(/\|/g, '\\|')
}

/** Inline code inside an HTML block (`<summary>`), where Markdown is not parsed. */
export function htmlCode(text: string): string {
  return `<code>${escapeHtml(oneLine(text))}</code>`
}

/** A word GitHub would turn into a link, a mention, an issue or commit reference, or an emoji. */
const LINKED_WORD = /@|:\/\/|www\.|#\d|^gh-\d|:[a-z0-9_+-]+:|^(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,}$/i

/**
 * Prose that may carry untrusted words (a run problem, a baseline note, a finding message outside its backticks):
 * words GitHub would link or mention go in code, and only the characters that could start markup are escaped.
 */
export function inline(text: string, options: { cell?: boolean } = {}): string {
  return oneLine(text)
    .split(/(\s+)/)
    .map((word) => {
      if (!word.trim()) return word
      const [, bare, trailing] = /^(.*?)([.,;:!?)\]]*)$/.exec(word)!
      if (LINKED_WORD.test(bare) || LINKED_WORD.test(word))
        return `${options.cell ? cellCode(bare) : code(bare)}${escapeProse(trailing)}`
      return escapeProse(word)
    })
    .join('')
}

function escapeProse(word: string): string {
  return word
    .replace(/[\\`*[<~|$]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
}

/**
 * A finding message: our prose with untrusted fragments in backticks. Each fragment becomes inline code, the prose
 * between is escaped, so a stray backtick in a fragment only changes how it looks, never what it does.
 */
export function message(text: string, options: { cell?: boolean } = {}): string {
  return text
    .split(/`([^`\n]*)`/)
    .map((piece, index) => {
      if (index % 2 === 0) return inline(piece, options)
      return options.cell ? cellCode(piece) : code(piece)
    })
    .reduce(
      // Two code spans that touch would read as one run of backticks, and the spans after them would pair anew.
      (joined, piece) => (joined.endsWith('`') && piece.startsWith('`') ? `${joined} ${piece}` : joined + piece),
      ''
    )
}

/** Untrusted lines (a build log) verbatim: HTML-escaped inside `<pre>`, an HTML block Markdown does not parse. */
export function preformatted(lines: string[]): string {
  return `<pre>${lines.map((line) => escapeHtml(printable(line))).join('\n')}</pre>`
}

/** A pipe table; every cell must already be escaped for a cell (`cellCode`, `inline(…, { cell: true })`). */
export function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const rule = header.map((_, index) => (align?.[index] === 'r' ? '---:' : '---'))
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}
