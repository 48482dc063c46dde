import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseStoredReport } from '../src/baseline.js'
import type { Report } from '../src/types.js'
import { startFakeResults, type FakeResults } from './support/actions-results.js'
import { build, image, report } from './support/reports.js'
import { unzipOf } from './support/zip.js'

const RUN = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a'
const JOB = 'ca395085-040a-526b-2ce8-bdc85f692774'
const TWIRP = 'twirp/github.actions.results.api.v1.ArtifactService'
/** The JSON report a push run stores as the baseline, as `writeReport` writes it. */
const STORED: Report = report([
  {
    name: 'app',
    dockerfile: 'Dockerfile',
    context: '.',
    buildArgNames: [],
    status: 'built',
    image: image(123456789, [{ sizeBytes: 123456789, createdBy: 'RUN /bin/sh -c make install' }]),
    build: build([42.5]),
    findings: []
  }
])
const REPORT = Buffer.from(`${JSON.stringify(STORED, null, 2)}\n`)

let fake: FakeResults
let dir: string
let savedEnv: NodeJS.ProcessEnv

beforeEach(async () => {
  fake = await startFakeResults({ runBackendId: RUN, jobBackendId: JOB })
  dir = mkdtempSync(join(tmpdir(), 'actions-results-'))
  savedEnv = { ...process.env }
  Object.assign(process.env, fake.env)
  // @actions/core logs every step to stdout as workflow commands
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

afterEach(async () => {
  jest.restoreAllMocks()
  process.env = savedEnv
  rmSync(dir, { recursive: true, force: true })
  await fake.close()
})

async function artifactClient() {
  const { DefaultArtifactClient } = await import('@actions/artifact')
  return new DefaultArtifactClient()
}

function writeReport(name = 'slimcheck-report.json', content: Buffer = REPORT): string {
  const file = join(dir, name)
  writeFileSync(file, content)
  return file
}

/** Runs an ES module script from the project root (so it resolves the installed packages) with exactly `env`. */
function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: process.cwd(), env },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr })
      }
    )
    child.stdin?.end()
  })
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

async function twirpCall(
  method: string,
  body: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${fake.url}${TWIRP}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fake.runtimeToken}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

function backendIds(name: string): Record<string, string> {
  return { workflow_run_backend_id: RUN, workflow_job_run_backend_id: JOB, name }
}

async function createUpload(name: string): Promise<string> {
  const created = await twirpCall('CreateArtifact', { ...backendIds(name), version: 7, mime_type: 'application/zip' })
  expect(created.status).toBe(200)
  return String(created.body.signed_upload_url)
}

describe('the runner environment', () => {
  it('carries a runtime token whose scope names the run and job', () => {
    const payload = JSON.parse(Buffer.from(fake.runtimeToken.split('.')[1], 'base64url').toString('utf8')) as {
      scp: string
    }
    expect(payload.scp.split(' ')).toContain(`Actions.Results:${RUN}:${JOB}`)
    expect(fake.env).toMatchObject({
      ACTIONS_RUNTIME_TOKEN: fake.runtimeToken,
      ACTIONS_RESULTS_URL: fake.url,
      GITHUB_SERVER_URL: 'https://github.com'
    })
    expect(new URL(fake.url).hostname).toBe('127.0.0.1')
  })
})

describe('uploads through @actions/artifact', () => {
  it('records the artifact with its name, ids, retention and the file bytes', async () => {
    const file = writeReport()
    const client = await artifactClient()
    const result = await client.uploadArtifact('slimcheck-report', [file], dir, { retentionDays: 30 })

    expect(fake.violations).toEqual([])
    expect(fake.artifacts).toHaveLength(1)
    const [artifact] = fake.artifacts
    expect(artifact).toMatchObject({
      id: result.id,
      name: 'slimcheck-report',
      workflowRunBackendId: RUN,
      workflowJobRunBackendId: JOB,
      mimeType: 'application/zip'
    })
    expect(Object.keys(artifact.files)).toEqual(['slimcheck-report.json'])
    expect(artifact.files['slimcheck-report.json'].equals(REPORT)).toBe(true)
    expect(artifact.size).toBe(artifact.zip.length)
    expect(result.size).toBe(artifact.zip.length)
    expect(artifact.digest).toBe(`sha256:${sha256(artifact.zip)}`)
    expect(result.digest).toBe(sha256(artifact.zip))
    const days = (Date.parse(artifact.expiresAt!) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThan(30.1)
  })

  it('reassembles an archive staged in several blocks in block-list order', async () => {
    // incompressible and larger than the client's 8 MiB chunk, so the upload takes two blocks
    const payload = randomBytes(9 * 1024 * 1024)
    const file = writeReport('layers.bin', payload)
    const client = await artifactClient()
    await client.uploadArtifact('layers', [file], dir)

    expect(fake.violations).toEqual([])
    expect(fake.artifacts[0].files['layers.bin'].equals(payload)).toBe(true)
  })

  it('keeps a raw upload (skipArchive) as the file itself', async () => {
    const file = writeReport()
    const client = await artifactClient()
    await client.uploadArtifact('ignored', [file], dir, { skipArchive: true })

    expect(fake.violations).toEqual([])
    expect(fake.artifacts[0]).toMatchObject({ name: 'slimcheck-report.json', mimeType: 'application/json' })
    expect(fake.artifacts[0].zip.equals(REPORT)).toBe(true)
    expect(fake.artifacts[0].files['slimcheck-report.json'].equals(REPORT)).toBe(true)
  })

  it('lists and downloads what was uploaded', async () => {
    const file = writeReport()
    const client = await artifactClient()
    const { id } = await client.uploadArtifact('slimcheck-report', [file], dir)
    if (id === undefined) throw new Error('the upload returned no artifact id')
    const { artifacts } = await client.listArtifacts()
    expect(artifacts).toEqual([expect.objectContaining({ id, name: 'slimcheck-report', size: fake.artifacts[0].size })])

    const target = join(dir, 'downloaded')
    await client.downloadArtifact(id, { path: target })
    const downloaded = readFileSync(join(target, 'slimcheck-report.json'))
    expect(downloaded.equals(REPORT)).toBe(true)
    expect(parseStoredReport(downloaded.toString('utf8'))).toEqual(STORED)
    expect(fake.violations).toEqual([])
  })

  it('refuses a second artifact of the same name on the run', async () => {
    const file = writeReport()
    const client = await artifactClient()
    await client.uploadArtifact('slimcheck-report', [file], dir)
    await expect(client.uploadArtifact('slimcheck-report', [file], dir)).rejects.toThrow(/409/)

    expect(fake.artifacts).toHaveLength(1)
    expect(fake.violations).toEqual([expect.stringMatching(/already exists/)])
  })

  it('needs nothing beyond its env in a child process', async () => {
    const file = writeReport()
    const script = [
      "import { DefaultArtifactClient } from '@actions/artifact'",
      `await new DefaultArtifactClient().uploadArtifact('slimcheck-report', [${JSON.stringify(file)}], ${JSON.stringify(dir)}, { retentionDays: 7 })`
    ].join('\n')
    const { code, stderr } = await runNode(script, { PATH: process.env.PATH ?? '', ...fake.env })

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(fake.violations).toEqual([])
    expect(fake.artifacts[0].files['slimcheck-report.json'].equals(REPORT)).toBe(true)
  })

  it('rejects a runtime token it did not issue', async () => {
    const [header, payload] = fake.runtimeToken.split('.')
    process.env.ACTIONS_RUNTIME_TOKEN = `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`
    const client = await artifactClient()
    await expect(client.uploadArtifact('slimcheck-report', [writeReport()], dir)).rejects.toThrow(/401/)

    expect(fake.artifacts).toEqual([])
    expect(fake.violations).toEqual([expect.stringMatching(/^CreateArtifact: Authorization header/)])
  })
})

describe('requests the real service refuses', () => {
  it('answers a call without an Authorization header with unauthenticated', async () => {
    const reply = await twirpCall('CreateArtifact', { ...backendIds('report'), version: 7 }, { authorization: '' })
    expect(reply).toEqual({ status: 401, body: expect.objectContaining({ code: 'unauthenticated' }) })
    expect(fake.violations).toEqual(['CreateArtifact: no Authorization header'])
  })

  it('answers unknown methods, wrong verbs and wrong content types with bad_route', async () => {
    expect((await twirpCall('UploadArtifact', {})).body.code).toBe('bad_route')
    expect((await twirpCall('CreateArtifact', {}, { 'content-type': 'text/plain' })).body.code).toBe('bad_route')
    const get = await fetch(`${fake.url}${TWIRP}/CreateArtifact`)
    expect(get.status).toBe(404)
    expect(fake.violations).toHaveLength(3)
  })

  it('answers malformed and mis-shaped bodies', async () => {
    expect(await twirpCall('CreateArtifact', '{')).toEqual({
      status: 400,
      body: expect.objectContaining({ code: 'malformed' })
    })
    const misShaped = await twirpCall('CreateArtifact', {
      workflow_run_backend_id: RUN,
      name: 5,
      version: 'seven',
      retention: 3
    })
    expect(misShaped).toEqual({ status: 400, body: expect.objectContaining({ code: 'invalid_argument' }) })
    expect(fake.violations).toEqual([
      expect.stringMatching(/^CreateArtifact: body is not JSON/),
      'CreateArtifact: unknown field "retention"',
      expect.stringMatching(
        /name must be a string.*version must be a 32-bit integer.*workflow_job_run_backend_id is required/
      )
    ])
  })

  it('refuses backend ids outside the token scope', async () => {
    const reply = await twirpCall('CreateArtifact', {
      ...backendIds('report'),
      workflow_run_backend_id: 'another-run',
      version: 7
    })
    expect(reply.status).toBe(403)
    expect(fake.violations).toEqual([expect.stringMatching(/outside the token's scope/)])
  })

  it('refuses uploads to a blob no CreateArtifact handed out, and bad signatures', async () => {
    const signed = new URL(await createUpload('report'))
    const unknown = new URL(signed.href.replace(/_upload\/\d+/, '_upload/1'))
    expect(
      (await fetch(unknown, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' })).status
    ).toBe(404)
    signed.searchParams.set('sig', 'wrong')
    expect((await fetch(signed, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' })).status).toBe(
      403
    )
    expect(fake.violations).toEqual([
      expect.stringMatching(/no CreateArtifact handed out/),
      expect.stringMatching(/signature does not match/)
    ])
  })

  it('refuses to finalize an unknown artifact, one never uploaded, or one of the wrong size', async () => {
    expect((await twirpCall('FinalizeArtifact', { ...backendIds('missing'), size: '10' })).status).toBe(404)
    const signed = await createUpload('report')
    expect((await twirpCall('FinalizeArtifact', { ...backendIds('report'), size: '10' })).status).toBe(412)
    const zip = Buffer.from('PK\u0005\u0006' + '\0'.repeat(18), 'latin1')
    const put = await fetch(signed, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: zip })
    expect(put.status).toBe(201)
    expect((await twirpCall('FinalizeArtifact', { ...backendIds('report'), size: '10' })).status).toBe(400)
    expect(fake.violations).toEqual([
      expect.stringMatching(/no artifact named "missing"/),
      expect.stringMatching(/no blob was committed/),
      expect.stringMatching(/size 10 does not match the 22 bytes/)
    ])
    const finalized = await twirpCall('FinalizeArtifact', { ...backendIds('report'), size: String(zip.length) })
    expect(finalized).toEqual({ status: 200, body: { ok: true, artifact_id: String(fake.artifacts[0].id) } })
    expect(unzipOf(fake.artifacts[0].zip)).toEqual({})
  })

  it('records a block list naming a block that was never staged', async () => {
    const signed = new URL(await createUpload('report'))
    signed.searchParams.set('comp', 'blocklist')
    const body = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList><Latest>AAAA</Latest></BlockList>'
    const reply = await fetch(signed, { method: 'PUT', body })
    expect(reply.status).toBe(400)
    expect(reply.headers.get('x-ms-error-code')).toBe('InvalidBlockList')
    expect(fake.violations).toEqual([expect.stringMatching(/block "AAAA" was never uploaded/)])
  })

  it('records requests outside the service', async () => {
    expect((await fetch(`${fake.url}_apis/pipelines/workflows/1/artifacts`)).status).toBe(404)
    expect(fake.violations).toEqual([expect.stringMatching(/not an endpoint of the results service/)])
  })
})
