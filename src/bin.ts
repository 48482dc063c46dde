/**
 * The `slimcheck` command. main() returns 0, 1 or 2 (passed, a policy violation, bad usage); an error it does not turn
 * into one of those (a bug, or the machine failing under it: a full disk, say) ends here with its own status, so that
 * no script reads it as a violation.
 */
import { parseArgs } from 'node:util'
import { main } from './cli.js'
import { term } from './report/text.js'

const UNEXPECTED_ERROR = 3

const argv = process.argv.slice(2)
const verbose = parseArgs({ args: argv, options: { verbose: { type: 'boolean' } }, strict: false }).values.verbose

/** Prints the error's message on one line, with --verbose its stack frames after it; returns the exit status. */
function unexpected(error: unknown): number {
  const message = `slimcheck: unexpected error: ${term(error instanceof Error ? error.message : String(error))}\n`
  // Only the frames: the stack's first lines repeat the message, which may span lines and carry untrusted text.
  const frames =
    verbose === true && error instanceof Error && error.stack
      ? error.stack.split('\n').filter((line) => /^\s+at /.test(line))
      : []
  process.stderr.write(`${message}${frames.map((line) => `${line}\n`).join('')}`)
  return UNEXPECTED_ERROR
}

// Errors outside main()'s promise: an 'error' event that nothing handles, such as EPIPE when the program reading the
// standard output has gone.
process.on('uncaughtException', (error) => process.exit(unexpected(error)))
process.exitCode = await main(argv).catch(unexpected)
