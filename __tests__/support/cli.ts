import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const BIN = path.resolve('bin/slimcheck.js')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** The bundled CLI (`bin/slimcheck.js` → dist/cli), run with this Node.js as a user runs it. */
export async function slimcheck(
  args: string[],
  cwd = process.cwd(),
  env: Record<string, string> = {}
): Promise<CliRun> {
  try {
    // As in a terminal, even when these tests run inside a workflow (there, text would be wrapped for the runner).
    const environment = { ...process.env, GITHUB_ACTIONS: '', ...env }
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: environment,
      maxBuffer: 32 * 1024 * 1024
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}
