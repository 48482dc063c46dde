/** Where progress goes: the Actions log (groups, annotations) or a terminal. */
import { randomUUID } from 'node:crypto'
import * as core from '@actions/core'
import type { Finding } from './types.js'
import { printable } from './untrusted.js'

export interface Logger {
  info(message: string): void
  /** One line a measured variant: always shown, in the Actions log and on a terminal alike. */
  progress(line: string): void
  warning(message: string): void
  group<T>(title: string, body: () => Promise<T>): Promise<T>
  /** Runs `body`, whose output is untrusted text (build logs), so that none of it is taken as a workflow command. */
  untrusted<T>(body: () => Promise<T>): Promise<T>
  /** Marks a value that must never appear in output. */
  secret(value: string): void
  annotate(finding: Finding): void
}

export const actionsLogger: Logger = {
  info: (message) => core.info(message),
  progress(line) {
    // It quotes a variant's name and a build's error, both untrusted: no part of it may be taken as a command.
    const token = randomUUID()
    core.info(`::stop-commands::${token}`)
    core.info(line)
    core.info(`::${token}::`)
  },
  warning: (message) => core.warning(message),
  group: (title, body) => core.group(title, body),
  async untrusted(body) {
    const token = randomUUID()
    core.info(`::stop-commands::${token}`)
    try {
      return await body()
    } finally {
      core.info(`::${token}::`)
    }
  },
  secret: (value) => core.setSecret(value),
  annotate(finding) {
    const properties = {
      title: `slimcheck ${finding.rule}`,
      file: finding.file,
      startLine: finding.line > 0 ? finding.line : undefined
    }
    const text = `${finding.message} Fix: ${finding.fix}`
    if (finding.severity === 'error') core.error(text, properties)
    else if (finding.severity === 'warning') core.warning(text, properties)
    else core.notice(text, properties)
  }
}

/** Progress on stderr so stdout carries only the requested report. */
export function terminalLogger(stream: NodeJS.WritableStream = process.stderr, verbose = false): Logger {
  return {
    info: (message) => {
      if (verbose) stream.write(`${printable(message)}\n`)
    },
    progress: (line) => stream.write(`${printable(line)}\n`),
    warning: (message) => stream.write(`warning: ${printable(message)}\n`),
    async group(title, body) {
      if (verbose) stream.write(`${printable(title)}\n`)
      return body()
    },
    untrusted: (body) => body(),
    secret: () => undefined,
    annotate: () => undefined
  }
}
