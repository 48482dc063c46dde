/**
 * Builds from registries as on a runner: a private base behind htpasswd, reached with the Docker CLI's credentials
 * (a login's `auths`, or a credential helper), pulled before any build is timed. The registries come from
 * scripts/registries.sh; their password is read from its file and must appear in nothing slimcheck writes.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { compareReports } from '../../src/compare/index.js'
import { parseSettings } from '../../src/config.js'
import { loadRegistryCredentials } from '../../src/engine/credentials.js'
import { createEngine, type Engine } from '../../src/engine/index.js'
import { runPipeline, runPipelines } from '../../src/pipeline.js'
import { outcomeOf } from '../../src/publish/index.js'
import type { Report, VariantReport } from '../../src/types.js'
import { recordingLogger } from '../support/logger.js'
import { makeWorkspace } from '../support/workspace.js'

const registry = process.env.SLIMCHECK_PRIVATE_REGISTRY
const privateBase = process.env.SLIMCHECK_PRIVATE_BASE
const user = process.env.SLIMCHECK_PRIVATE_USER
const passwordFile = process.env.SLIMCHECK_PRIVATE_PASSWORD_FILE
const mirror = process.env.SLIMCHECK_MIRROR
const available = Boolean(registry && privateBase && user && passwordFile && mirror)
if (!available)
  console.warn('private-registry tests skipped: start the registries with `bash scripts/registries.sh start`')
const describeWithRegistries = available ? describe : describe.skip

let password = ''
const configs: string[] = []

/** A DOCKER_CONFIG directory holding `config`, as docker/login-action leaves one. */
function dockerConfig(config: unknown): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-docker-config-'))
  configs.push(dir)
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 })
  return { ...process.env, DOCKER_CONFIG: dir }
}

function loggedIn(secret = password): NodeJS.ProcessEnv {
  return dockerConfig({ auths: { [registry!]: { auth: Buffer.from(`${user}:${secret}`).toString('base64') } } })
}

/** A credential helper, `docker-credential-slimchecktest`, answering for the private registry from a file. */
function withHelper(): NodeJS.ProcessEnv {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-helper-'))
  configs.push(bin)
  const helper = path.join(bin, 'docker-credential-slimchecktest')
  fs.writeFileSync(
    helper,
    [
      '#!/bin/sh',
      '[ "$1" = get ] || exit 1',
      'read -r server',
      `[ "$server" = "${registry}" ] || { echo "credentials not found in native keychain"; exit 1; }`,
      `printf '{"ServerURL":"%s","Username":"${user}","Secret":"%s"}' "$server" "$(cat "$SLIMCHECK_HELPER_SECRET")"`,
      ''
    ].join('\n'),
    { mode: 0o755 }
  )
  const env = dockerConfig({ credHelpers: { [registry!]: 'slimchecktest' } })
  return { ...env, PATH: `${bin}:${process.env.PATH}`, SLIMCHECK_HELPER_SECRET: passwordFile }
}

function engineWith(env: NodeJS.ProcessEnv): Engine {
  return createEngine({}, { credentials: loadRegistryCredentials(env) })
}

const DOCKERFILE = (base: string): string => `FROM ${base}\nRUN dd if=/dev/zero of=/blob bs=1024 count=64\n`

async function runWith(env: NodeJS.ProcessEnv, files: Record<string, string>, cache: 'cold' | 'warm' = 'cold') {
  const logger = recordingLogger()
  const report = await runPipeline({
    settings: parseSettings({ cache }, makeWorkspace(files)),
    engine: engineWith(env),
    logger,
    version: 'test'
  })
  return { report, logger }
}

/** Neither the password nor its base64 forms appear in what slimcheck wrote or logged. */
function expectNoPassword(report: Report, lines: string[]): void {
  const written = JSON.stringify(report) + lines.join('\n')
  for (const form of [
    password,
    Buffer.from(`${user}:${password}`).toString('base64'),
    Buffer.from(password).toString('base64')
  ])
    expect(written).not.toContain(form)
}

const only = (report: Report): VariantReport => report.variants[0]

/** What the registry says the linux/amd64 image's compressed layers weigh. */
async function amd64LayerBytes(reference: string): Promise<number> {
  const [, host, repository, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(reference)!
  const headers = {
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    Accept: 'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json'
  }
  const manifest = async (ref: string, accept = headers.Accept): Promise<unknown> => {
    const response = await fetch(`http://${host}/v2/${repository}/manifests/${ref}`, {
      headers: { ...headers, Accept: accept }
    })
    return (await response.json()) as unknown
  }
  const index = (await manifest(tag)) as { manifests: Array<{ digest: string; platform: { architecture: string } }> }
  const amd64 = index.manifests.find((entry) => entry.platform.architecture === 'amd64')!
  const image = (await manifest(amd64.digest, 'application/vnd.docker.distribution.manifest.v2+json')) as {
    layers: Array<{ size: number }>
  }
  return image.layers.reduce((sum, layer) => sum + layer.size, 0)
}

/** The private base must not be on the engine, so that every run pulls it. */
async function removeLocalCopies(): Promise<void> {
  const engine = createEngine()
  await engine.removeImage(privateBase!)
}

beforeAll(() => {
  if (available) password = fs.readFileSync(passwordFile!, 'utf8').trim()
})

afterAll(() => {
  for (const dir of configs) fs.rmSync(dir, { recursive: true, force: true })
})

describeWithRegistries('a private base image', () => {
  it('builds after a login, with the pull recorded apart from the build time', async () => {
    await removeLocalCopies()
    const { report, logger } = await runWith(loggedIn(), { Dockerfile: DOCKERFILE(privateBase!) })
    expect(only(report).failure).toBeUndefined()
    expect(only(report).status).toBe('built')
    expect(report.pulls).toEqual([
      expect.objectContaining({ image: privateBase, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) })
    ])
    // The layers the engine did not have yet: none when another image brought the same busybox layer.
    expect([0, await amd64LayerBytes(privateBase!)]).toContain(report.pulls![0].bytes)
    const pulled = logger.lines.findIndex((line) => line.startsWith(`group: Pull ${privateBase}`))
    const built = logger.lines.findIndex((line) => line.startsWith('group: Build '))
    expect(pulled).toBeGreaterThanOrEqual(0)
    expect(pulled).toBeLessThan(built)
    expectNoPassword(report, logger.lines)
    // Cold mode removes what it pulled: the base is gone from the engine again.
    expect(await createEngine().hasImage(privateBase!)).toBe(false)
  })

  it('builds with the credentials a credential helper serves', async () => {
    const { report, logger } = await runWith(withHelper(), { Dockerfile: DOCKERFILE(privateBase!) })
    expect(only(report).failure).toBeUndefined()
    expect(only(report).status).toBe('built')
    expectNoPassword(report, logger.lines)
  })

  it('fails the variant with the registry named and the login advice, without a login', async () => {
    const { report, logger } = await runWith(dockerConfig({}), {
      Dockerfile: DOCKERFILE(privateBase!),
      'Dockerfile.open': 'FROM slimcheck/busybox:test\nRUN true\n'
    })
    const failed = report.variants.find((variant) => variant.name !== 'open')!
    expect(failed.status).toBe('failed')
    expect(failed.failure!.message).toContain(`could not pull \`${privateBase}\``)
    expect(failed.failure!.message).toContain('log in with docker/login-action')
    // One refused pull costs its variant only.
    expect(report.variants.find((variant) => variant.name === 'open')!.status).toBe('built')
    expectNoPassword(report, logger.lines)
  })

  it('fails the variant with the login advice for a wrong password, which it never prints', async () => {
    const wrong = `wrong-${password.slice(0, 4)}-Secret`
    const { report, logger } = await runWith(loggedIn(wrong), { Dockerfile: DOCKERFILE(privateBase!) })
    expect(only(report).status).toBe('failed')
    expect(only(report).failure!.message).toContain('log in with docker/login-action')
    expect(JSON.stringify(report) + logger.lines.join('\n')).not.toContain(wrong)
    expectNoPassword(report, logger.lines)
  })

  it('is fingerprinted through its registry digest with the credentials, and not without', async () => {
    await removeLocalCopies()
    const digest = await engineWith(loggedIn()).imageIdentity(privateBase!)
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await engineWith(dockerConfig({})).imageIdentity(privateBase!)).toBeUndefined()
    const { report } = await runWith(loggedIn(), { Dockerfile: DOCKERFILE(privateBase!) })
    expect(only(report).fingerprint?.digest).toMatch(/^sha256:/)
  })

  it('names the missing tag when the pull fails on one side only', async () => {
    const missing = privateBase!.replace(/:[^:/]+$/, ':no-such-tag')
    const env = loggedIn()
    const logger = recordingLogger()
    const base = makeWorkspace({ Dockerfile: DOCKERFILE(missing) })
    const head = makeWorkspace({ Dockerfile: DOCKERFILE(privateBase!) })
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({ cache: 'cold' }, base) },
        { label: 'head', settings: parseSettings({ cache: 'cold' }, head) }
      ],
      engine: engineWith(env),
      logger,
      version: 'test',
      runs: 1
    })
    expect(only(headReport).status).toBe('built')
    expect(only(baseReport).status).toBe('failed')
    expect(only(baseReport).failure!.message).toContain(`could not pull \`${missing}\`: no such image or tag`)
  })
})

describe('a registry that does not answer on either side', () => {
  it('leaves the variant not measured on both sides, which fails the check instead of counting as inherited', async () => {
    const files = { Dockerfile: DOCKERFILE('127.0.0.1:9/nowhere/base:1') }
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({}, makeWorkspace(files)) },
        { label: 'head', settings: parseSettings({}, makeWorkspace(files)) }
      ],
      engine: createEngine(),
      logger: recordingLogger(),
      version: 'test',
      runs: 1
    })
    expect(only(baseReport).failure).toMatchObject({ kind: 'unmeasured' })
    expect(only(headReport).failure!.message).toContain('could not pull `127.0.0.1:9/nowhere/base:1`')
    const comparison = compareReports(baseReport, headReport, { source: 'build' }, parseSettings({}, '.').policy)
    expect(comparison.violations).toEqual([expect.objectContaining({ limit: 'not-measured', variant: 'default' })])
    expect(comparison.inherited).toEqual([])
    expect(outcomeOf(comparison)).toMatchObject({ passed: false, result: 'not-checked' })
  })
})

describeWithRegistries('a base named through a build-arg', () => {
  it('is pulled, and its reference is recorded and logged with the value redacted', async () => {
    const image = `${mirror}/multi/base:1`
    await createEngine().removeImage(image)
    const logger = recordingLogger()
    const report = await runPipeline({
      settings: parseSettings(
        { 'build-args': `REGISTRY=${mirror}` },
        makeWorkspace({ Dockerfile: 'ARG REGISTRY\nFROM ${REGISTRY}/multi/base:1\nRUN true\n' })
      ),
      engine: createEngine(),
      logger,
      version: 'test'
    })
    expect(only(report).status).toBe('built')
    expect(report.pulls).toEqual([expect.objectContaining({ image: '***/multi/base:1' })])
    expect(JSON.stringify(report) + logger.lines.join('\n')).not.toContain(mirror!)
  })
})

describeWithRegistries('a base pulled from a registry', () => {
  it('is pulled before timing, so the first side to build it does not pay for the download', async () => {
    const image = `${mirror}/library/debian:bookworm-slim`
    await createEngine().removeImage(image)
    const logger = recordingLogger()
    const files = (extra: string) => ({ Dockerfile: `FROM ${image}\nRUN head -c 1000 /dev/zero > /blob${extra}\n` })
    const [baseReport, headReport] = await runPipelines({
      sides: [
        { label: 'base', settings: parseSettings({ cache: 'cold' }, makeWorkspace(files(''))) },
        { label: 'head', settings: parseSettings({ cache: 'cold' }, makeWorkspace(files(' && true'))) }
      ],
      engine: createEngine(),
      logger,
      version: 'test',
      runs: 1
    })
    const [pull] = headReport.pulls!
    expect(pull).toMatchObject({ image })
    expect(baseReport.pulls).toEqual(headReport.pulls)
    const baseSeconds = only(baseReport).build!.seconds
    const headSeconds = only(headReport).build!.seconds
    // Without the pull first, the base side's build took the download with it (4.6 s against 0.3 s on Docker 28).
    expect(Math.abs(baseSeconds - headSeconds)).toBeLessThan(Math.max(1.5, 2 * Math.min(baseSeconds, headSeconds)))
    expect(only(baseReport).build!.method).toContain('pulled before it, and the pull is not timed')
  })
})
