/** Safe Markdown pieces for text that came from a repository or a build log. */

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char])
}

/**
 * Escapes untrusted text for use inline in Markdown (also inside table cells): HTML is neutralised, Markdown
 * punctuation is backslash-escaped, line breaks become spaces and `@mentions` cannot ping anyone.
 */
export function escapeMarkdown(text: string): string {
  const markdownSafe = text.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_{}[\]()#+!|~$-]/g, '\\$&')
  return markdownSafe.replace(/[&<>"]/g, (char) => HTML_ENTITIES[char]).replace(/@/g, '@\u200b')
}

/**
 * A finding message: our prose with untrusted fragments in backticks. Each backtick span becomes `<code>`; every
 * piece is escaped, so a stray backtick in a fragment only changes how it looks, never what it does.
 */
export function escapeMessage(text: string): string {
  return text
    .split(/`([^`\n]*)`/)
    .map((piece, index) => (index % 2 ? `<code>${escapeMarkdown(piece)}</code>` : escapeMarkdown(piece)))
    .join('')
}

/** A block of untrusted lines (a build log) rendered verbatim: HTML-escaped inside `<pre>`, where Markdown is not parsed. */
export function preformatted(lines: string[]): string {
  return `<pre>${lines.map((line) => escapeHtml(line).replace(/@/g, '@\u200b')).join('\n')}</pre>`
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB']

/** Decimal units, as the docker CLI prints them: 755000000 → `755 MB`. */
export function humanBytes(bytes: number): string {
  const negative = bytes < 0
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${negative ? '-' : ''}${value.toFixed(digits)} ${UNITS[unit]}`
}

export function humanSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

export function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const rule = header.map((_, index) => (align?.[index] === 'r' ? '---:' : '---'))
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n')
}
