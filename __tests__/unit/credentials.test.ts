import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  loadRegistryCredentials,
  referenceHost,
  RegistryCredentialsError,
  type RegistryCredentials
} from '../../src/engine/credentials.js'

const HELPERS = fileURLToPath(new URL('../fixtures/credential-helper', import.meta.url))
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64')

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A DOCKER_CONFIG directory holding `config` (written as is when a string), and an env that points at it. */
function dockerConfig(config?: object | string): { env: NodeJS.ProcessEnv; dir: string; log: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-docker-config-'))
  made.push(dir)
  if (config !== undefined) {
    fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  }
  const log = path.join(dir, 'helper.log')
  const env = {
    PATH: `${HELPERS}${path.delimiter}${process.env.PATH}`,
    DOCKER_CONFIG: dir,
    SLIMCHECK_TEST_HELPER_LOG: log
  }
  return { env, dir, log }
}

function helperCalls(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []
}

function decodeHeader(header: string | undefined): unknown {
  expect(header).toMatch(/^[A-Za-z0-9_-]+=*$/)
  return JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8'))
}

describe('auths in config.json', () => {
  const credentials = (): RegistryCredentials =>
    loadRegistryCredentials(
      dockerConfig({
        auths: {
          '127.0.0.1:5101': { auth: basic('alice', 'pa:ss') },
          'https://ghcr.io': { username: 'bob', password: 'bob-password' },
          'http://registry.example:5000/v2/': { auth: basic('carol', 'carol-password') },
          'https://index.docker.io/v1/': { auth: basic('dave', 'hub-password') },
          'token.example': { identitytoken: 'an-identity-token' },
          'placeholder.example': {}
        }
      }).env
    )

  it('decodes `auth` as user:password, splitting at the first colon', async () => {
    expect(await credentials().forHost('127.0.0.1:5101')).toEqual({
      username: 'alice',
      password: 'pa:ss',
      serveraddress: '127.0.0.1:5101'
    })
  })

  it('takes username and password, and identity tokens, as written', async () => {
    const all = credentials()
    expect(await all.forHost('ghcr.io')).toEqual({
      username: 'bob',
      password: 'bob-password',
      serveraddress: 'https://ghcr.io'
    })
    expect(await all.forHost('token.example')).toEqual({
      identitytoken: 'an-identity-token',
      serveraddress: 'token.example'
    })
  })

  it('matches keys with a scheme or a path by host and port', async () => {
    expect(await credentials().forHost('registry.example:5000')).toMatchObject({ username: 'carol' })
    expect(await credentials().forHost('registry.example')).toBeUndefined()
  })

  it('finds Docker Hub under https://index.docker.io/v1/ by every name of it', async () => {
    const all = credentials()
    for (const host of ['registry-1.docker.io', 'docker.io', 'index.docker.io']) {
      expect(await all.forHost(host)).toMatchObject({ username: 'dave', serveraddress: 'https://index.docker.io/v1/' })
    }
  })

  it('has nothing for an unknown host or an empty entry', async () => {
    expect(await credentials().forHost('quay.io')).toBeUndefined()
    expect(await credentials().forHost('placeholder.example')).toBeUndefined()
  })

  it('encodes X-Registry-Auth as padded base64url of the JSON AuthConfig, by the reference’s registry', async () => {
    const all = credentials()
    expect(decodeHeader(await all.headerFor('127.0.0.1:5101/private/base:1'))).toEqual({
      username: 'alice',
      password: 'pa:ss',
      serveraddress: '127.0.0.1:5101'
    })
    expect(decodeHeader(await all.headerFor('python:3.12'))).toMatchObject({ username: 'dave' })
    expect(decodeHeader(await all.headerFor('library/python'))).toMatchObject({ username: 'dave' })
    expect(decodeHeader(await all.headerFor(`ghcr.io/a/b@sha256:${'0'.repeat(64)}`))).toMatchObject({
      username: 'bob'
    })
    expect(await all.headerFor('quay.io/a/b:1')).toBeUndefined()
  })
})

describe('referenceHost', () => {
  it.each([
    ['python:3.12', 'docker.io'],
    ['python@sha256:abc', 'docker.io'],
    ['library/python', 'docker.io'],
    ['docker.io/library/python', 'docker.io'],
    ['index.docker.io/library/python', 'docker.io'],
    ['localhost/a', 'localhost'],
    ['localhost:5000/a:1', 'localhost:5000'],
    ['127.0.0.1:5101/private/base:1', '127.0.0.1:5101'],
    ['ghcr.io/a/b@sha256:abc', 'ghcr.io'],
    ['Registry/a', 'registry']
  ])('%s is on %s', (reference, host) => expect(referenceHost(reference)).toBe(host))
})

describe('credential helpers', () => {
  it('asks the host’s credHelpers entry, with the address on stdin, and reads user name and secret', async () => {
    const { env, log } = dockerConfig({
      auths: { '127.0.0.1:5101': { auth: basic('file-user', 'file-password') } },
      credHelpers: { '127.0.0.1:5101': 'slimchecktest' }
    })
    const credentials = loadRegistryCredentials(env)
    expect(await credentials.forHost('127.0.0.1:5101')).toEqual({
      username: 'helper-user',
      password: 'helper-password',
      serveraddress: '127.0.0.1:5101'
    })
    expect(helperCalls(log)).toEqual(['get 127.0.0.1:5101'])
  })

  it('asks once per host for the run', async () => {
    const { env, log } = dockerConfig({ credsStore: 'slimchecktest' })
    const credentials = loadRegistryCredentials(env)
    await Promise.all([credentials.forHost('127.0.0.1:5101'), credentials.forHost('127.0.0.1:5101')])
    await credentials.headerFor('127.0.0.1:5101/private/base:1')
    expect(helperCalls(log)).toEqual(['get 127.0.0.1:5101'])
  })

  it('asks credsStore for Docker Hub as https://index.docker.io/v1/ and takes <token> as an identity token', async () => {
    const { env, log } = dockerConfig({ credsStore: 'slimchecktest' })
    expect(await loadRegistryCredentials(env).forHost('registry-1.docker.io')).toEqual({
      identitytoken: 'hub-identity-token',
      serveraddress: 'https://index.docker.io/v1/'
    })
    expect(helperCalls(log)).toEqual(['get https://index.docker.io/v1/'])
  })

  it('prefers a credHelpers entry to credsStore, and the helper to auths', async () => {
    const { env, log } = dockerConfig({
      auths: { 'quay.io': { auth: basic('file-user', 'file-password') } },
      credsStore: 'missing-store',
      credHelpers: { 'https://quay.io': 'slimchecktest' }
    })
    expect(await loadRegistryCredentials(env).forHost('quay.io')).toBeUndefined()
    expect(helperCalls(log)).toEqual(['get quay.io'])
  })

  it('takes "credentials not found" as no credentials', async () => {
    const { env } = dockerConfig({ credsStore: 'slimchecktest' })
    expect(await loadRegistryCredentials(env).forHost('nothing.example')).toBeUndefined()
  })

  const failure = async (config: object, host: string, helperSeconds?: number): Promise<RegistryCredentialsError> => {
    const credentials = loadRegistryCredentials(dockerConfig(config).env, { helperSeconds })
    const error = await credentials.forHost(host).then(
      () => undefined,
      (caught: unknown) => caught
    )
    expect(error).toBeInstanceOf(RegistryCredentialsError)
    const message = (error as Error).message
    expect(message).toContain(host)
    expect(message).not.toContain('canary')
    return error as RegistryCredentialsError
  }

  it('names the helper and host, never its output, when it fails', async () => {
    const error = await failure({ credsStore: 'slimchecktest' }, 'fails.example')
    expect(error.message).toBe(
      'the credential helper docker-credential-slimchecktest gave no credentials for fails.example: it exited with status 3'
    )
    expect((await failure({ credsStore: 'slimchecktest' }, 'garbled.example')).message).toMatch(/is not JSON$/)
  })

  it('ends a helper that does not answer at the time limit', async () => {
    const started = Date.now()
    const error = await failure({ credsStore: 'slimchecktest' }, 'hangs.example', 1)
    expect(error.message).toMatch(/docker-credential-slimchecktest .* did not answer within 1 s$/)
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('ends a helper whose answer is too large', async () => {
    const error = await failure({ credsStore: 'slimchecktest' }, 'floods.example')
    expect(error.message).toMatch(/its answer is larger than \d+ bytes$/)
  })

  it('says when the helper is not on PATH', async () => {
    const error = await failure({ credHelpers: { 'ghcr.io': 'slimcheck-absent' } }, 'ghcr.io')
    expect(error.message).toBe(
      'the credential helper docker-credential-slimcheck-absent gave no credentials for ghcr.io: it is not on PATH'
    )
  })
})

describe('the config file', () => {
  it('means no credentials when it does not exist', async () => {
    const { env } = dockerConfig()
    expect(await loadRegistryCredentials(env).forHost('ghcr.io')).toBeUndefined()
  })

  it.each([
    ['{ not json', 'it is not JSON'],
    ['[]', 'it is not a JSON object'],
    ['{"auths": []}', '"auths" is not an object'],
    ['{"credsStore": 1}', '"credsStore" is not a string'],
    ['{"credHelpers": {"ghcr.io": 1}}', '"credHelpers" is not an object of helper names'],
    ['{"auths": {"ghcr.io": {"auth": "bm8tY29sb24="}}}', 'the "auths" entry for "ghcr.io" is not valid'],
    ['{"auths": {"ghcr.io": {"password": 7}}}', 'the "auths" entry for "ghcr.io" is not valid']
  ])('is refused, named, when invalid: %s', (text, why) => {
    const { env, dir } = dockerConfig(text)
    expect(() => loadRegistryCredentials(env)).toThrow(
      new RegistryCredentialsError(`the Docker config file ${path.join(dir, 'config.json')} is not valid: ${why}`)
    )
  })

  it('is refused, named, when unreadable', () => {
    const { env, dir } = dockerConfig()
    fs.mkdirSync(path.join(dir, 'config.json'))
    expect(() => loadRegistryCredentials(env)).toThrow(
      `cannot read the Docker config file ${path.join(dir, 'config.json')}: `
    )
  })

  it('is read from DOCKER_CONFIG before ~/.docker', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-home-'))
    made.push(home)
    fs.mkdirSync(path.join(home, '.docker'))
    const write = (dir: string, user: string) =>
      fs.writeFileSync(
        path.join(dir, 'config.json'),
        JSON.stringify({ auths: { 'ghcr.io': { auth: basic(user, 'password') } } })
      )
    write(path.join(home, '.docker'), 'from-home')
    const { env, dir } = dockerConfig()
    write(dir, 'from-docker-config')
    expect(await loadRegistryCredentials({ ...env, HOME: home }).forHost('ghcr.io')).toMatchObject({
      username: 'from-docker-config'
    })
    expect(await loadRegistryCredentials({ ...env, HOME: home, DOCKER_CONFIG: '' }).forHost('ghcr.io')).toMatchObject({
      username: 'from-home'
    })
  })
})
