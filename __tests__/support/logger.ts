import type { Logger } from '../../src/log.js'

/** A Logger that keeps every line, groups and warnings marked, for assertions. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => lines.push(message),
    progress: (line) => lines.push(`progress: ${line}`),
    warning: (message) => lines.push(`warning: ${message}`),
    group: async (title, body) => {
      lines.push(`group: ${title}`)
      return body()
    },
    untrusted: (body) => body(),
    secret: () => undefined,
    annotate: () => undefined
  }
}
