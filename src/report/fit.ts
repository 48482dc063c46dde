/** Fitting a comment into GitHub's limit: sections give way least useful first, shortening before they go. Pure. */

export interface Section {
  /** Renderings from fullest to shortest, e.g. a log section with whole tails, then short ones. */
  levels: string[]
  /** The order in which sections give way (1 first); 0: never dropped. */
  priority: number
}

/** How a limit counts: GitHub counts a comment's characters, and a job summary's UTF-8 bytes. */
export type Measure = (text: string) => number
export const characters: Measure = (text) => text.length
export const utf8Bytes: Measure = (text) => Buffer.byteLength(text, 'utf8')

export function section(text: string, priority = 0): Section {
  return { levels: [text], priority }
}

function join(texts: string[]): string {
  return `${texts.filter(Boolean).join('\n\n')}\n`
}

/**
 * Keeps every section at its fullest while it fits; else, by priority, takes each section down its levels and then
 * out, until the body fits. What is left too long is cut by whole lines, with open `<pre>`/`<details>` closed.
 */
export function fitSections(sections: Section[], limit: number, notice: string, measure = characters): string {
  const chosen = sections.map(() => 0)
  const texts = (): string[] => sections.map((item, index) => item.levels[chosen[index]] ?? '')
  let body = join(texts())
  if (measure(body) <= limit) return body
  const shortened = (): string => `${join(texts())}\n${notice}\n`
  const priorities = [...new Set(sections.map((item) => item.priority).filter((priority) => priority > 0))].sort(
    (a, b) => a - b
  )
  for (const priority of priorities) {
    const members = sections.flatMap((item, index) => (item.priority === priority ? [index] : []))
    const deepest = Math.max(...members.map((index) => sections[index].levels.length))
    for (let level = 1; level <= deepest; level++) {
      for (const index of members) chosen[index] = Math.min(level, sections[index].levels.length)
      body = shortened()
      if (measure(body) <= limit) return body
    }
  }
  return cutToFit(texts(), limit, `\n${notice}\n`, measure)
}

/**
 * The long sections (tables, lists, logs) cut by whole lines to equal shares of the room left; short ones stay whole.
 */
function cutToFit(texts: string[], limit: number, notice: string, measure: Measure): string {
  const parts = texts.filter(Boolean)
  const sizes = parts.map(measure)
  const kept = new Map<number, string>()
  let room = limit - measure(notice) - 1 - 2 * (parts.length - 1)
  const shortestFirst = [...parts.keys()].sort((a, b) => sizes[a] - sizes[b])
  shortestFirst.forEach((index, position) => {
    const share = Math.floor(room / (shortestFirst.length - position))
    const text = sizes[index] <= share ? parts[index] : wholeLines(parts[index], share, measure)
    room -= measure(text)
    kept.set(index, text)
  })
  return join(parts.map((_, index) => kept.get(index)!)) + notice
}

/**
 * A long run of whole lines of `text` that fits in `max` with the `<pre>` and `<details>` it opened closed again,
 * found by halving over the line ends (the closing tags can make it stop a line or two short of the longest).
 */
function wholeLines(text: string, max: number, measure: Measure): string {
  const ends = [...text.matchAll(/\n/g)].map((match) => match.index).filter((end) => end > 0)
  const fits = (position: number): boolean => measure(closeOpenTags(text.slice(0, ends[position]))) <= max
  let low = -1
  let high = ends.length
  while (high - low > 1) {
    const middle = (low + high) >> 1
    if (fits(middle)) low = middle
    else high = middle
  }
  return low < 0 ? '' : closeOpenTags(text.slice(0, ends[low]))
}

/**
 * Our `<pre>` and `<details>` open a line and their closing tags end one; untrusted text never starts a line and is
 * HTML-escaped inside `<pre>`, so only our own markup matches.
 */
function closeOpenTags(text: string): string {
  const count = (pattern: RegExp): number => (text.match(pattern) ?? []).length
  const pre = count(/^<pre>/gm) > count(/<\/pre>$/gm) ? '</pre>' : ''
  const details = Math.max(0, count(/^<details>/gm) - count(/^<\/details>$/gm))
  return `${text}${pre}${'\n\n</details>'.repeat(details)}`
}
