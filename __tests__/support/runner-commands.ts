/**
 * The workflow commands a GitHub Actions runner would execute in a step's output, modelled on the runner: a line
 * ends at LF, CR or CRLF; `::name …::data` counts after leading whitespace; the legacy `##[name …]data` counts
 * anywhere in a line; `::stop-commands::TOKEN` suspends both until `::TOKEN::` (or `##[TOKEN]`).
 */
export function runnerCommands(output: string): string[] {
  const executed: string[] = []
  let stoppedUntil: string | undefined
  for (const line of output.split(/\r\n|\r|\n/)) {
    const modern = /^::([^\s:]+)[^:]*::(.*)$/.exec(line.trimStart())
    const legacy = /##\[([^\s\]]+)[^\]]*\](.*)$/.exec(line)
    const command = modern ?? legacy
    if (!command) continue
    const [, name, data] = command
    if (stoppedUntil !== undefined) {
      if (name === stoppedUntil) stoppedUntil = undefined
      continue
    }
    if (name === 'stop-commands') stoppedUntil = data
    else executed.push(line)
  }
  return executed
}
