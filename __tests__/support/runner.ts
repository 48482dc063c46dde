import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface ActionRun {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Workflow commands the action printed: `::error file=…,line=…::message`. */
  annotations: Array<{ level: string; properties: Record<string, string>; message: string }>
}

export interface ActionRunOptions {
  workspace: string
  inputs?: Record<string, string>
  eventName?: string
  event?: unknown
  env?: Record<string, string>
  timeoutMs?: number
}

const DIST = path.resolve('dist/index.js')
/** The Node.js the runner uses for `runs.using: node24`, provided by scripts/provision-runner-node.sh. */
export function runnerNode(): string {
  const node = process.env.SLIMCHECK_RUNNER_NODE
  if (!node)
    throw new Error('SLIMCHECK_RUNNER_NODE is not set: run the tests with npm test, which provisions Node.js 24')
  return node
}

/** Runs the bundled action the way the runner does: `node dist/index.js` with INPUT_*, GITHUB_* and file commands. */
export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-runner-'))
  const files = {
    output: path.join(home, 'output'),
    summary: path.join(home, 'summary'),
    event: path.join(home, 'event.json'),
    env: path.join(home, 'env')
  }
  for (const file of [files.output, files.summary, files.env]) fs.writeFileSync(file, '')
  fs.writeFileSync(files.event, JSON.stringify(options.event ?? {}))
  const inputs = Object.fromEntries(
    Object.entries(options.inputs ?? {}).map(([name, value]) => [
      `INPUT_${name.replace(/ /g, '_').toUpperCase()}`,
      value
    ])
  )
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? home,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1658821493',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'slimcheck',
    RUNNER_TEMP: home,
    ...inputs,
    ...options.env
  }
  const child = spawn(runnerNode(), [DIST], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)))
  clearTimeout(timer)
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseFileCommand(fs.readFileSync(files.output, 'utf8')),
    summary: fs.readFileSync(files.summary, 'utf8'),
    annotations: parseAnnotations(stdout)
  }
}

/** Parses `name<<DELIMITER\nvalue\nDELIMITER` blocks as written by @actions/core. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[index])
    if (!match) continue
    const body: string[] = []
    for (index++; index < lines.length && lines[index] !== match[2]; index++) body.push(lines[index])
    values[match[1]] = body.join('\n')
  }
  return values
}

function unescapeProperty(text: string): string {
  return text.replace(/%2C/g, ',').replace(/%3A/g, ':').replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
}

/** Reads annotations as the runner does, honouring `::stop-commands::TOKEN` … `::TOKEN::`. */
export function parseAnnotations(stdout: string): ActionRun['annotations'] {
  const annotations: ActionRun['annotations'] = []
  let stoppedUntil: string | undefined
  for (const line of stdout.split('\n')) {
    if (stoppedUntil) {
      if (line === stoppedUntil) stoppedUntil = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) {
      stoppedUntil = `::${stop[1]}::`
      continue
    }
    const match = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!match) continue
    const properties = Object.fromEntries(
      (match[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const [key, ...rest] = pair.split('=')
          return [key, unescapeProperty(rest.join('='))]
        })
    )
    annotations.push({ level: match[1], properties, message: unescapeProperty(match[3]) })
  }
  return annotations
}
