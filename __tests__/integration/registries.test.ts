import fs from 'node:fs'
import { afterAll, describe, expect, it } from '@jest/globals'
import { createEngine } from '../../src/engine/index.js'

/**
 * The registries of scripts/registries.sh, which scripts/test.sh starts before the engines and whose SLIMCHECK_*
 * variables it exports: the engines' Docker Hub mirror and a private registry behind a login.
 */
const mirror = process.env.SLIMCHECK_MIRROR
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
]
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
]
const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ')

interface Index {
  mediaType?: string
  manifests?: { digest: string; platform?: { os: string; architecture: string } }[]
}

/** `host/repository:tag` as the registry API's parts. */
function parts(reference: string): { host: string; repository: string; tag: string } {
  const match = /^([^/]+)\/(.+):([^:/]+)$/.exec(reference)
  if (!match) throw new Error(`not host/repository:tag: ${reference}`)
  return { host: match[1], repository: match[2], tag: match[3] }
}

async function manifest(reference: string, authorization?: string): Promise<Response> {
  const { host, repository, tag } = parts(reference)
  const headers: Record<string, string> = { Accept: ACCEPT }
  if (authorization) headers.Authorization = authorization
  return fetch(`http://${host}/v2/${repository}/manifests/${tag}`, { headers })
}

/** The platforms an index lists, as `os/architecture`. */
async function platformsOf(response: Response): Promise<string[]> {
  expect(response.status).toBe(200)
  expect(INDEX_TYPES).toContain(response.headers.get('content-type'))
  const index = (await response.json()) as Index
  return (index.manifests ?? []).map((entry) => `${entry.platform?.os}/${entry.platform?.architecture}`).sort()
}

/** Basic credentials from the password file; the password stays in this header and is never printed. */
function privateLogin(): string {
  const password = fs.readFileSync(process.env.SLIMCHECK_PRIVATE_PASSWORD_FILE ?? '', 'utf8').trim()
  return `Basic ${Buffer.from(`${process.env.SLIMCHECK_PRIVATE_USER}:${password}`).toString('base64')}`
}

const suite = mirror ? describe : describe.skip

suite(
  `the test registries (${mirror ? `mirror ${mirror}` : 'skipped: SLIMCHECK_MIRROR is unset; bash scripts/registries.sh start prints the variables'})`,
  () => {
    const engine = createEngine()
    const pulled: string[] = []

    afterAll(async () => {
      for (const reference of pulled) await engine.removeImage(reference).catch(() => undefined)
    })

    it('the mirror serves debian:bookworm-slim as a two-platform index', async () => {
      expect(await platformsOf(await manifest(`${mirror}/library/debian:bookworm-slim`))).toEqual([
        'linux/amd64',
        'linux/arm64'
      ])
    })

    it('the engine pulls linux/amd64 from the two-platform index base', async () => {
      const reference = process.env.SLIMCHECK_INDEX_BASE!
      expect(await platformsOf(await manifest(reference))).toEqual(['linux/amd64', 'linux/arm64'])
      const digest = (await manifest(reference)).headers.get('docker-content-digest')
      pulled.push(reference)
      const result = await engine.pullImage(reference, 'linux/amd64', 60)
      expect(result.digest ?? digest).toBe(digest)
      expect(await engine.hasImage(reference)).toBe(true)
    })

    it('the private registry wants a login, and takes the one in the password file', async () => {
      const registry = process.env.SLIMCHECK_PRIVATE_REGISTRY
      const anonymous = await fetch(`http://${registry}/v2/`)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect((await manifest(process.env.SLIMCHECK_PRIVATE_BASE!)).status).toBe(401)

      const login = privateLogin()
      expect((await fetch(`http://${registry}/v2/`, { headers: { Authorization: login } })).status).toBe(200)
      expect(await platformsOf(await manifest(process.env.SLIMCHECK_PRIVATE_BASE!, login))).toEqual([
        'linux/amd64',
        'linux/arm64'
      ])
    })
  }
)
