/**
 * Registry credentials as the Docker CLI has them: `config.json` in `$DOCKER_CONFIG` or `~/.docker`, with its `auths`,
 * `credsStore` and `credHelpers`. A credential helper is run as docker/cli runs it (`docker-credential-NAME get`, the
 * server address on stdin), within a time limit. No value read here is ever printed or put in an error message.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** What the Engine API and the Docker CLI call an AuthConfig, as it travels in `X-Registry-Auth`. */
export interface AuthConfig {
  username?: string
  password?: string
  identitytoken?: string
  registrytoken?: string
  serveraddress: string
}

export interface RegistryCredentials {
  /**
   * Credentials for a registry host as BuildKit names it (registry-1.docker.io, ghcr.io, 127.0.0.1:5101); undefined
   * when none.
   */
  forHost(host: string): Promise<AuthConfig | undefined>
  /**
   * The `X-Registry-Auth` header value (the JSON AuthConfig in padded base64url, as docker/cli encodes it) for an image
   * reference such as `127.0.0.1:5101/private/base:1`, `python:3.12` or `ghcr.io/a/b@sha256:…`; undefined when none.
   */
  headerFor(reference: string): Promise<string | undefined>
}

/**
 * A config file that cannot be used, or a credential helper that failed; the message names the file, or the helper
 * and the host.
 */
export class RegistryCredentialsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RegistryCredentialsError'
  }
}

/** Docker Hub's key in config.json and the address its credential helpers are asked for. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'
/** The one name this module gives Docker Hub, whichever of its names a caller uses. */
const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_NAMES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'])
/** A helper's user name that marks its secret as an identity token. */
const TOKEN_USERNAME = '<token>'
/** What a helper prints (and exits 1) when it holds nothing for the address. */
const NOT_FOUND = 'credentials not found in native keychain'
const HELPER_SECONDS = 30
const HELPER_OUTPUT_BYTES = 1024 * 1024

type Credentials = Omit<AuthConfig, 'serveraddress'>

interface ConfigFile {
  /** By key as written in the file, in the file's order. */
  auths: Map<string, Credentials>
  credsStore?: string
  credHelpers: Map<string, string>
}

/**
 * Reads `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`, now: throws `RegistryCredentialsError` when it
 * exists but cannot be used. Credential helpers run on first use, once per registry.
 */
export function loadRegistryCredentials(
  env: NodeJS.ProcessEnv = process.env,
  { helperSeconds = HELPER_SECONDS }: { helperSeconds?: number } = {}
): RegistryCredentials {
  const configDir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker')
  const config = readConfigFile(path.join(configDir, 'config.json'))
  const cache = new Map<string, Promise<AuthConfig | undefined>>()
  const forHost = (host: string): Promise<AuthConfig | undefined> => {
    const registry = registryHost(host)
    let found = cache.get(registry)
    if (!found) {
      found = lookUp(config, registry, env, helperSeconds)
      cache.set(registry, found)
    }
    return found
  }
  return {
    forHost,
    async headerFor(reference) {
      const auth = await forHost(referenceHost(reference))
      return auth && encodeAuthConfig(auth)
    }
  }
}

/** `host`, `https://host`, `http://host/v2/`… → `host[:port]`, lower case; every name of Docker Hub → `docker.io`. */
function registryHost(address: string): string {
  const host = address
    .replace(/^[a-z]+:\/\//i, '')
    .split('/', 1)[0]
    .toLowerCase()
  return DOCKER_HUB_NAMES.has(host) ? DOCKER_HUB : host
}

/**
 * The registry of an image reference, by the Docker CLI's rule: a first component without `.` or `:` (other than
 * `localhost`, or one with capitals) is on Docker Hub.
 */
export function referenceHost(reference: string): string {
  const slash = reference.indexOf('/')
  const first = slash < 0 ? '' : reference.slice(0, slash)
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()
  return isHost ? registryHost(first) : DOCKER_HUB
}

/** The JSON in padded base64url: what the engine decodes (`base64.URLEncoding`). */
function encodeAuthConfig(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(auth), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')
}

function readConfigFile(file: string): ConfigFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { auths: new Map(), credHelpers: new Map() }
    throw new RegistryCredentialsError(`cannot read the Docker config file ${file}: ${(error as Error).message}`)
  }
  const invalid = (why: string) => new RegistryCredentialsError(`the Docker config file ${file} is not valid: ${why}`)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw invalid('it is not JSON')
  }
  if (!isObject(raw)) throw invalid('it is not a JSON object')
  const { auths = {}, credsStore, credHelpers = {} } = raw
  if (!isObject(auths)) throw invalid('"auths" is not an object')
  if (credsStore !== undefined && typeof credsStore !== 'string') throw invalid('"credsStore" is not a string')
  if (!isObject(credHelpers) || Object.values(credHelpers).some((helper) => typeof helper !== 'string')) {
    throw invalid('"credHelpers" is not an object of helper names')
  }
  const entries = Object.entries(auths).map(([key, entry]): [string, Credentials] => {
    const credentials = isObject(entry) ? parseAuthEntry(entry) : undefined
    if (!credentials) throw invalid(`the "auths" entry for ${JSON.stringify(key)} is not valid`)
    return [key, credentials]
  })
  return {
    auths: new Map(entries),
    credsStore: credsStore || undefined,
    credHelpers: new Map(Object.entries(credHelpers as Record<string, string>).filter(([, helper]) => helper))
  }
}

/** An `auths` entry's fields; undefined when one has the wrong type or `auth` is not base64 of `user:password`. */
function parseAuthEntry(entry: Record<string, unknown>): Credentials | undefined {
  const fields = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const
  if (fields.some((field) => entry[field] !== undefined && typeof entry[field] !== 'string')) return undefined
  const { auth, ...credentials } = entry as Partial<Record<(typeof fields)[number], string>>
  if (!auth) return credentials
  const decoded = Buffer.from(auth, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 1) return undefined
  return { ...credentials, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

async function lookUp(
  config: ConfigFile,
  registry: string,
  env: NodeJS.ProcessEnv,
  helperSeconds: number
): Promise<AuthConfig | undefined> {
  const helper = [...config.credHelpers].find(([key]) => registryHost(key) === registry)?.[1] ?? config.credsStore
  if (helper) {
    const serverAddress = registry === DOCKER_HUB ? DOCKER_HUB_KEY : registry
    return askHelper(helper, serverAddress, registry, env, helperSeconds)
  }
  const exactKey = registry === DOCKER_HUB ? DOCKER_HUB_KEY : registry
  const key = config.auths.has(exactKey)
    ? exactKey
    : [...config.auths.keys()].find((candidate) => registryHost(candidate) === registry)
  return key === undefined ? undefined : authConfig(key, config.auths.get(key) ?? {})
}

/** Only the fields that hold something; undefined when none does. */
function authConfig(serveraddress: string, credentials: Credentials): AuthConfig | undefined {
  const present = Object.entries(credentials).filter(([, value]) => value)
  return present.length ? { ...Object.fromEntries(present), serveraddress } : undefined
}

async function askHelper(
  helper: string,
  serverAddress: string,
  registry: string,
  env: NodeJS.ProcessEnv,
  helperSeconds: number
): Promise<AuthConfig | undefined> {
  const program = `docker-credential-${helper}`
  const failed = (why: string) =>
    new RegistryCredentialsError(`the credential helper ${program} gave no credentials for ${registry}: ${why}`)
  let result: HelperResult
  try {
    result = await runHelper(program, serverAddress, env, helperSeconds)
  } catch (error) {
    throw failed((error as Error).message)
  }
  if (result.exitCode !== 0) {
    if (result.output.trim() === NOT_FOUND) return undefined
    throw failed(result.signal ? `it was ended by ${result.signal}` : `it exited with status ${result.exitCode}`)
  }
  let answer: unknown
  try {
    answer = JSON.parse(result.output)
  } catch {
    throw failed('its answer is not JSON')
  }
  if (!isObject(answer) || typeof answer.Username !== 'string' || typeof answer.Secret !== 'string') {
    throw failed('its answer has no Username and Secret')
  }
  return authConfig(
    serverAddress,
    answer.Username === TOKEN_USERNAME
      ? { identitytoken: answer.Secret }
      : { username: answer.Username, password: answer.Secret }
  )
}

interface HelperResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  output: string
}

/** Runs `PROGRAM get` with `input` on stdin; rejects at the time limit or when the answer grows too large. */
function runHelper(program: string, input: string, env: NodeJS.ProcessEnv, seconds: number): Promise<HelperResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'ignore'] })
    const chunks: Buffer[] = []
    let size = 0
    // Rejects without waiting for the pipes to close: a helper's own children may hold them open.
    const stop = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      child.stdout.destroy()
      reject(new Error(why))
    }
    const timer = setTimeout(() => stop(`it did not answer within ${seconds} s`), seconds * 1000)
    child.on('error', (error: NodeJS.ErrnoException) =>
      stop(error.code === 'ENOENT' ? 'it is not on PATH' : `it could not be started (${error.code ?? error.message})`)
    )
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > HELPER_OUTPUT_BYTES) stop(`its answer is larger than ${HELPER_OUTPUT_BYTES} bytes`)
      else chunks.push(chunk)
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({ exitCode, signal, output: Buffer.concat(chunks).toString('utf8') })
    })
    // A helper may exit without reading its input; the exit status tells what happened.
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
