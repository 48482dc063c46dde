/**
 * GitHub's renderer, for tests: Markdown through cmark-gfm (GitHub's Markdown library) with the extensions GitHub
 * turns on, and what a reader then sees: the text, the links, the elements.
 */
import { execFileSync } from 'node:child_process'

export function renderGfm(markdown: string): string {
  try {
    return execFileSync(
      'cmark-gfm',
      ['--unsafe', '-e', 'table', '-e', 'strikethrough', '-e', 'autolink', '-e', 'tagfilter'],
      { input: markdown, maxBuffer: 256 * 1024 * 1024 }
    ).toString()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('cmark-gfm is missing: apt-get install cmark-gfm (GitHub’s Markdown library)', { cause: error })
    throw error
  }
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X')) return String.fromCodePoint(parseInt(body.slice(2), 16))
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)))
    return named[body] ?? entity
  })
}

/** The text a reader sees: tags dropped, entities decoded. */
export function visibleText(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''))
}

/** The text outside `<code>` and `<pre>`, where GitHub links mentions, issues, commits and URLs. */
export function textOutsideCode(html: string): string {
  return visibleText(html.replace(/<pre[\s>][\s\S]*?<\/pre>/g, ' ').replace(/<code>[\s\S]*?<\/code>/g, ' '))
}

export function links(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]*)"/g)].map((match) => decodeEntities(match[1]))
}

/** The elements the HTML has, by tag name. */
export function elements(html: string): Set<string> {
  return new Set([...html.matchAll(/<([a-z][a-z0-9]*)[\s>/]/g)].map((match) => match[1]))
}

/** Backslash escapes a reader would see: a backslash before ASCII punctuation in the rendered text. */
export function visibleEscapes(text: string): string[] {
  return text.match(/\\[!-/:-@[-`{-~]/g) ?? []
}
