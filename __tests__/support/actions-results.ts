/**
 * An in-memory stand-in for the GitHub Actions results service that @actions/artifact v6 talks to: the
 * Twirp ArtifactService (CreateArtifact, FinalizeArtifact, ListArtifacts, GetSignedArtifactURL,
 * DeleteArtifact) and the Azure block blob endpoint behind the signed URLs it hands out. Requests the
 * real service would refuse are answered the way it answers them and recorded in `violations`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { unzipOf } from './zip.js'

export interface UploadedArtifact {
  id: number
  name: string
  workflowRunBackendId: string
  workflowJobRunBackendId: string
  /** Bytes committed to blob storage, as the client reported them in FinalizeArtifact. */
  size: number
  /** The blob as uploaded: a zip archive, or the raw file when uploaded with `skipArchive`. */
  zip: Buffer
  /** The archive's entries keyed by path (directories excluded); for a raw upload, the file under the artifact name. */
  files: Record<string, Buffer>
  mimeType?: string
  /** RFC 3339 expiry the client asked for (from `retentionDays`), if any. */
  expiresAt?: string
  /** `sha256:<hex>` as sent in FinalizeArtifact, if any. */
  digest?: string
  createdAt: string
}

export interface FakeResults {
  /** Value for ACTIONS_RESULTS_URL. */
  url: string
  /** Value for ACTIONS_RUNTIME_TOKEN: an unsigned JWT whose `scp` claim carries the run and job backend ids. */
  runtimeToken: string
  /** Every variable the artifact client reads, ready to spread into a child process environment. */
  env: Record<string, string>
  /** Finalized uploads, oldest first (deleted artifacts are removed). */
  artifacts: UploadedArtifact[]
  violations: string[]
  close(): Promise<void>
}

export interface FakeResultsOptions {
  runBackendId?: string
  jobBackendId?: string
}

const SERVICE = 'github.actions.results.api.v1.ArtifactService'
const TWIRP_PREFIX = `/twirp/${SERVICE}/`
const UPLOAD_PREFIX = '/_upload/'
const DOWNLOAD_PREFIX = '/_download/'
const STORAGE_VERSION = '2025-07-05'
// leaves room below for artifacts seeded into the fake REST API, so ids never collide
const FIRST_ARTIFACT_ID = 4_000_000_001

// ---------------------------------------------------------------------------------------------
// The runtime token

interface Scope {
  run: string
  job: string
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Shaped like the token a runner hands to a job, but unsigned (`alg: none`): the client only decodes it. */
function runtimeTokenFor(scope: Scope): string {
  const now = Math.floor(Date.now() / 1000)
  const orchestration = '00000000-0000-0000-0000-000000000000'
  const claims = {
    nameid: 'dddddddd-dddd-dddd-dddd-dddddddddddd',
    scp: [
      `Actions.GenericRead:${orchestration}`,
      `Actions.UploadArtifacts:${orchestration}/1:Build/Build/1`,
      `Actions.Results:${scope.run}:${scope.job}`
    ].join(' '),
    IdentityTypeClaim: 'System:ServiceIdentity',
    iss: 'vstoken.actions.githubusercontent.com',
    aud: 'vso:00000000-0000-0000-0000-000000000000',
    nbf: now - 60,
    exp: now + 6 * 3600
  }
  return `${base64UrlJson({ typ: 'JWT', alg: 'none' })}.${base64UrlJson(claims)}.`
}

// ---------------------------------------------------------------------------------------------
// Replies

interface Reply {
  status: number
  headers?: Record<string, string>
  body?: Buffer | string
}

type TwirpCode =
  | 'bad_route'
  | 'malformed'
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'

const TWIRP_STATUS: Record<TwirpCode, number> = {
  bad_route: 404,
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412
}

function json(status: number, body: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

function twirpError(code: TwirpCode, msg: string, meta?: Record<string, string>): Reply {
  return json(TWIRP_STATUS[code], meta ? { code, msg, meta } : { code, msg })
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function storageHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomUUID(), 'x-ms-version': STORAGE_VERSION, date: new Date().toUTCString() }
}

function storageError(status: number, code: string, message: string): Reply {
  const requestId = randomUUID()
  const detail = `${escapeXml(message)}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`
  return {
    status,
    headers: {
      ...storageHeaders(),
      'x-ms-request-id': requestId,
      'x-ms-error-code': code,
      'content-type': 'application/xml'
    },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${detail}</Message></Error>`
  }
}

// ---------------------------------------------------------------------------------------------
// Request messages, checked the way protojson decodes them (proto field names or their lowerCamel form)

type FieldKind = 'string' | 'int32' | 'int64' | 'timestamp' | 'StringValue' | 'Int64Value'
interface MessageSpec {
  fields: Record<string, FieldKind>
  required: string[]
}
type Message = Record<string, string | number | undefined>

const BACKEND_IDS: Record<string, FieldKind> = {
  workflow_run_backend_id: 'string',
  workflow_job_run_backend_id: 'string'
}
const NAMED: MessageSpec = {
  fields: { ...BACKEND_IDS, name: 'string' },
  required: ['workflow_run_backend_id', 'workflow_job_run_backend_id', 'name']
}

const REQUESTS: Record<string, MessageSpec> = {
  CreateArtifact: {
    fields: { ...NAMED.fields, expires_at: 'timestamp', version: 'int32', mime_type: 'StringValue' },
    required: [...NAMED.required, 'version']
  },
  FinalizeArtifact: { fields: { ...NAMED.fields, size: 'int64', hash: 'StringValue' }, required: NAMED.required },
  ListArtifacts: {
    fields: { ...BACKEND_IDS, name_filter: 'StringValue', id_filter: 'Int64Value' },
    required: ['workflow_run_backend_id', 'workflow_job_run_backend_id']
  },
  GetSignedArtifactURL: NAMED,
  DeleteArtifact: NAMED
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

function isInteger(value: unknown, bits: 32 | 64): boolean {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return false
  const limit = 2n ** BigInt(bits - 1)
  return BigInt(text) >= -limit && BigInt(text) < limit
}

function fieldProblem(kind: FieldKind, value: unknown): string | undefined {
  switch (kind) {
    case 'string':
    case 'StringValue':
      return typeof value === 'string' ? undefined : 'must be a string'
    case 'int32':
      return isInteger(value, 32) ? undefined : 'must be a 32-bit integer'
    case 'int64':
    case 'Int64Value':
      return isInteger(value, 64) ? undefined : 'must be a 64-bit integer (a decimal string in JSON)'
    case 'timestamp':
      return typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be an RFC 3339 timestamp'
  }
}

function protoName(key: string, spec: MessageSpec): string | undefined {
  if (key in spec.fields) return key
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  return snake in spec.fields ? snake : undefined
}

interface Decoded {
  message: Message
  problems: string[]
  ignored: string[]
}

function decodeMessage(spec: MessageSpec, body: unknown): Decoded {
  const decoded: Decoded = { message: {}, problems: [], ignored: [] }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    decoded.problems.push('request body must be a JSON object')
    return decoded
  }
  for (const [key, value] of Object.entries(body)) {
    const name = protoName(key, spec)
    if (!name) decoded.ignored.push(key)
    else if (value === null) continue
    else {
      const problem = fieldProblem(spec.fields[name], value)
      if (problem) decoded.problems.push(`${name} ${problem}`)
      else decoded.message[name] = typeof value === 'number' ? value : String(value)
    }
  }
  for (const name of spec.required) {
    const value = decoded.message[name]
    if (value === undefined || value === '' || value === 0) decoded.problems.push(`${name} is required`)
  }
  return decoded
}

// ---------------------------------------------------------------------------------------------
// State

interface UploadRecord {
  id: number
  name: string
  run: string
  job: string
  mimeType?: string
  expiresAt?: string
  uploadSig: string
  downloadSig: string
  blobName: string
  staged: Map<string, Buffer>
  committed: Map<string, Buffer>
  blob?: Buffer
  finalized?: UploadedArtifact
  deleted: boolean
}

class ResultsState {
  readonly artifacts: UploadedArtifact[] = []
  readonly violations: string[] = []
  readonly uploads = new Map<number, UploadRecord>()
  private nextId = FIRST_ARTIFACT_ID

  constructor(
    readonly url: string,
    readonly token: string,
    readonly scope: Scope
  ) {}

  violation(text: string): void {
    this.violations.push(text)
  }

  create(message: Message): UploadRecord {
    const id = this.nextId++
    const name = String(message.name)
    const record: UploadRecord = {
      id,
      name,
      run: String(message.workflow_run_backend_id),
      job: String(message.workflow_job_run_backend_id),
      mimeType: message.mime_type === undefined ? undefined : String(message.mime_type),
      expiresAt: message.expires_at === undefined ? undefined : String(message.expires_at),
      uploadSig: randomBytes(24).toString('base64'),
      downloadSig: randomBytes(24).toString('base64'),
      blobName: blobNameFor(name, message.mime_type),
      staged: new Map(),
      committed: new Map(),
      deleted: false
    }
    this.uploads.set(id, record)
    return record
  }

  /** The newest record of that name in the run that is not deleted. */
  named(run: string, name: string): UploadRecord | undefined {
    return [...this.uploads.values()].reverse().find((r) => r.run === run && r.name === name && !r.deleted)
  }

  signedUrl(prefix: string, record: UploadRecord, sig: string, permissions: string): string {
    const expiry = new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const query = new URLSearchParams({ sv: STORAGE_VERSION, sr: 'b', sp: permissions, se: expiry, sig })
    return `${this.url}${prefix.slice(1)}${record.id}/${encodeURIComponent(record.blobName)}?${query}`
  }
}

function blobNameFor(name: string, mimeType: unknown): string {
  return mimeType === undefined || mimeType === 'application/zip' ? `${name}.zip` : name
}

// ---------------------------------------------------------------------------------------------
// Twirp ArtifactService

type TwirpHandler = (state: ResultsState, message: Message) => Reply

function createArtifact(state: ResultsState, message: Message): Reply {
  const name = String(message.name)
  if (message.expires_at !== undefined && Date.parse(String(message.expires_at)) <= Date.now()) {
    state.violation(`CreateArtifact: expires_at ${message.expires_at} is not in the future`)
    return twirpError('invalid_argument', 'expires_at must be in the future')
  }
  const existing = state.named(String(message.workflow_run_backend_id), name)
  if (existing?.finalized) {
    state.violation(`CreateArtifact: an artifact named "${name}" already exists on the workflow run`)
    return twirpError('already_exists', 'an artifact with this name already exists on the workflow run')
  }
  // an unfinished upload of the same name is abandoned, as when a client retries from scratch
  if (existing) existing.deleted = true
  const record = state.create(message)
  return json(200, { ok: true, signed_upload_url: state.signedUrl(UPLOAD_PREFIX, record, record.uploadSig, 'cw') })
}

function finalizeProblem(record: UploadRecord, message: Message): string | undefined {
  const blob = record.blob
  if (!blob) return 'no blob was committed to the signed upload URL'
  const size = Number(message.size ?? 0)
  if (size !== blob.length) return `size ${size} does not match the ${blob.length} bytes committed`
  if (message.hash === undefined) return undefined
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
  return message.hash === digest ? undefined : `hash ${message.hash} does not match the committed blob (${digest})`
}

function filesOf(state: ResultsState, record: UploadRecord, blob: Buffer): Record<string, Buffer> {
  if (record.blobName !== `${record.name}.zip`) return { [record.name]: blob }
  try {
    return Object.fromEntries(Object.entries(unzipOf(blob)).filter(([path]) => !path.endsWith('/')))
  } catch (error) {
    state.violation(
      `FinalizeArtifact: the blob of "${record.name}" is not a readable zip archive: ${(error as Error).message}`
    )
    return {}
  }
}

function finalizeArtifact(state: ResultsState, message: Message): Reply {
  const name = String(message.name)
  const record = state.named(String(message.workflow_run_backend_id), name)
  if (!record) {
    state.violation(`FinalizeArtifact: no artifact named "${name}" was created on the workflow run`)
    return twirpError('not_found', 'artifact not found')
  }
  if (record.finalized) {
    state.violation(`FinalizeArtifact: "${name}" is already finalized`)
    return twirpError('failed_precondition', 'artifact is already finalized')
  }
  const problem = finalizeProblem(record, message)
  if (problem) {
    state.violation(`FinalizeArtifact: ${problem}`)
    return twirpError(record.blob ? 'invalid_argument' : 'failed_precondition', problem)
  }
  const blob = record.blob!
  const artifact: UploadedArtifact = {
    id: record.id,
    name,
    workflowRunBackendId: record.run,
    workflowJobRunBackendId: record.job,
    size: blob.length,
    zip: blob,
    files: filesOf(state, record, blob),
    mimeType: record.mimeType,
    expiresAt: record.expiresAt,
    digest: message.hash === undefined ? undefined : String(message.hash),
    createdAt: new Date().toISOString()
  }
  record.finalized = artifact
  state.artifacts.push(artifact)
  return json(200, { ok: true, artifact_id: String(record.id) })
}

function listArtifacts(state: ResultsState, message: Message): Reply {
  const listed = state.artifacts
    .filter((a) => a.workflowRunBackendId === message.workflow_run_backend_id)
    .filter((a) => message.name_filter === undefined || a.name === message.name_filter)
    .filter((a) => message.id_filter === undefined || String(a.id) === String(message.id_filter))
  const artifacts = listed.map((a) => ({
    workflow_run_backend_id: a.workflowRunBackendId,
    workflow_job_run_backend_id: a.workflowJobRunBackendId,
    database_id: String(a.id),
    name: a.name,
    size: String(a.size),
    created_at: a.createdAt,
    ...(a.digest ? { digest: a.digest } : {})
  }))
  return json(200, { artifacts })
}

function finalizedNamed(state: ResultsState, message: Message, method: string): UploadRecord | undefined {
  const record = state.named(String(message.workflow_run_backend_id), String(message.name))
  if (record?.finalized) return record
  state.violation(`${method}: no finalized artifact named "${message.name}" on the workflow run`)
  return undefined
}

function getSignedArtifactUrl(state: ResultsState, message: Message): Reply {
  const record = finalizedNamed(state, message, 'GetSignedArtifactURL')
  if (!record) return twirpError('not_found', 'artifact not found')
  return json(200, { signed_url: state.signedUrl(DOWNLOAD_PREFIX, record, record.downloadSig, 'r') })
}

function deleteArtifact(state: ResultsState, message: Message): Reply {
  const record = finalizedNamed(state, message, 'DeleteArtifact')
  if (!record) return twirpError('not_found', 'artifact not found')
  record.deleted = true
  state.artifacts.splice(state.artifacts.indexOf(record.finalized!), 1)
  return json(200, { ok: true, artifact_id: String(record.id) })
}

const TWIRP_HANDLERS: Record<string, TwirpHandler> = {
  CreateArtifact: createArtifact,
  FinalizeArtifact: finalizeArtifact,
  ListArtifacts: listArtifacts,
  GetSignedArtifactURL: getSignedArtifactUrl,
  DeleteArtifact: deleteArtifact
}

function checkAuthorization(state: ResultsState, header: string | undefined, method: string): Reply | undefined {
  if (!header) {
    state.violation(`${method}: no Authorization header`)
    return twirpError('unauthenticated', 'missing authorization header')
  }
  if (header !== `Bearer ${state.token}`) {
    state.violation(`${method}: Authorization header does not carry the runtime token`)
    return twirpError('unauthenticated', 'invalid token')
  }
  return undefined
}

function checkScope(state: ResultsState, message: Message, method: string): Reply | undefined {
  const { workflow_run_backend_id: run, workflow_job_run_backend_id: job } = message
  if (run === state.scope.run && job === state.scope.job) return undefined
  state.violation(
    `${method}: backend ids ${run}:${job} are outside the token's scope ${state.scope.run}:${state.scope.job}`
  )
  return twirpError('permission_denied', 'the token does not grant access to this workflow run')
}

function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

function twirp(state: ResultsState, req: IncomingMessage, path: string, raw: Buffer): Reply {
  const method = path.slice(TWIRP_PREFIX.length)
  const handler = Object.hasOwn(TWIRP_HANDLERS, method) ? TWIRP_HANDLERS[method] : undefined
  const route = `${req.method} ${path}`
  if (req.method !== 'POST') {
    state.violation(`${route}: Twirp only accepts POST`)
    return twirpError('bad_route', `unsupported method "${req.method}" (only POST is allowed)`, {
      twirp_invalid_route: route
    })
  }
  if (!handler) {
    state.violation(`${route}: no such ArtifactService method`)
    return twirpError('bad_route', `no handler for path "${path}"`, { twirp_invalid_route: route })
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (contentType !== 'application/json') {
    state.violation(`${method}: Content-Type "${contentType}" is not application/json`)
    return twirpError('bad_route', `unexpected Content-Type: "${contentType}"`, { twirp_invalid_route: route })
  }
  const unauthorized = checkAuthorization(state, req.headers.authorization, method)
  if (unauthorized) return unauthorized
  const parsed = parseJson(raw.toString('utf8'))
  if (parsed.error !== undefined) {
    state.violation(`${method}: body is not JSON (${parsed.error})`)
    return twirpError('malformed', `the json request could not be decoded: ${parsed.error}`)
  }
  const decoded = decodeMessage(REQUESTS[method], parsed.value)
  // protojson drops unknown fields silently, but a client sending one has the wrong idea of the message
  for (const key of decoded.ignored) state.violation(`${method}: unknown field "${key}"`)
  if (decoded.problems.length > 0) {
    state.violation(`${method}: ${decoded.problems.join('; ')}`)
    return twirpError('invalid_argument', decoded.problems.join('; '))
  }
  return checkScope(state, decoded.message, method) ?? handler(state, decoded.message)
}

// ---------------------------------------------------------------------------------------------
// Blob storage behind the signed URLs

interface BlobTarget {
  record?: UploadRecord
  sig: string | null
  query: URLSearchParams
}

function blobTarget(state: ResultsState, url: URL, prefix: string): BlobTarget {
  const [id] = url.pathname.slice(prefix.length).split('/')
  const record = /^\d+$/.test(id) ? state.uploads.get(Number(id)) : undefined
  return { record, sig: url.searchParams.get('sig'), query: url.searchParams }
}

function blockIdProblem(record: UploadRecord, id: string | null): string | undefined {
  if (!id) return 'blockid is missing'
  const decoded = Buffer.from(id, 'base64')
  if (decoded.toString('base64') !== id) return `blockid "${id}" is not valid base64`
  if (decoded.length > 64) return `blockid "${id}" is longer than 64 bytes`
  const other = [...record.staged.keys(), ...record.committed.keys()][0]
  if (other !== undefined && Buffer.from(other, 'base64').length !== decoded.length) {
    return `blockid "${id}" differs in length from the blob's other block ids`
  }
  return undefined
}

function putBlock(state: ResultsState, record: UploadRecord, query: URLSearchParams, body: Buffer): Reply {
  const id = query.get('blockid')
  const problem = blockIdProblem(record, id)
  if (problem) {
    state.violation(`Put Block: ${problem}`)
    return storageError(400, 'InvalidQueryParameterValue', problem)
  }
  record.staged.set(id!, body)
  return { status: 201, headers: { ...storageHeaders(), 'x-ms-request-server-encrypted': 'true' } }
}

function committedReply(record: UploadRecord): Reply {
  const etag = `"0x${createHash('md5').update(record.blob!).digest('hex').slice(0, 15).toUpperCase()}"`
  return {
    status: 201,
    headers: {
      ...storageHeaders(),
      etag,
      'last-modified': new Date().toUTCString(),
      'x-ms-request-server-encrypted': 'true'
    }
  }
}

function putBlockList(state: ResultsState, record: UploadRecord, body: Buffer): Reply {
  const xml = body.toString('utf8')
  if (!/<BlockList>[\s\S]*<\/BlockList>|<BlockList\s*\/>/.test(xml)) {
    state.violation('Put Block List: body is not a <BlockList> document')
    return storageError(400, 'InvalidXmlDocument', 'XML specified is not syntactically valid.')
  }
  const blocks: Buffer[] = []
  const committed = new Map<string, Buffer>()
  for (const [, kind, id] of xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)) {
    const staged = kind === 'Committed' ? undefined : record.staged.get(id)
    const block = staged ?? (kind === 'Uncommitted' ? undefined : record.committed.get(id))
    if (!block) {
      state.violation(`Put Block List: ${kind} block "${id}" was never uploaded`)
      return storageError(400, 'InvalidBlockList', 'The specified block list is invalid.')
    }
    blocks.push(block)
    committed.set(id, block)
  }
  record.committed = committed
  record.staged.clear()
  record.blob = Buffer.concat(blocks)
  return committedReply(record)
}

function putBlob(state: ResultsState, record: UploadRecord, req: IncomingMessage, body: Buffer): Reply {
  if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
    state.violation('Put Blob: x-ms-blob-type must be BlockBlob')
    return storageError(
      400,
      'MissingRequiredHeader',
      'An HTTP header that is mandatory for this request is not specified.'
    )
  }
  record.committed.clear()
  record.staged.clear()
  record.blob = body
  return committedReply(record)
}

function signatureProblem(target: BlobTarget, expected: string): Reply | undefined {
  if (target.sig === expected) return undefined
  return storageError(
    403,
    'AuthenticationFailed',
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.'
  )
}

function upload(state: ResultsState, req: IncomingMessage, url: URL, body: Buffer): Reply {
  const target = blobTarget(state, url, UPLOAD_PREFIX)
  const record = target.record
  if (!record) {
    state.violation(`${req.method} ${url.pathname}: upload to a blob no CreateArtifact handed out`)
    return storageError(404, 'ResourceNotFound', 'The specified resource does not exist.')
  }
  const forbidden = signatureProblem(target, record.uploadSig)
  if (forbidden) {
    state.violation(`${req.method} ${url.pathname}: signature does not match the signed upload URL`)
    return forbidden
  }
  if (record.finalized || record.deleted) {
    state.violation(`${req.method} ${url.pathname}: upload after the artifact was finalized or abandoned`)
    return storageError(403, 'AuthenticationFailed', 'Signed expiry time has passed.')
  }
  if (req.method !== 'PUT') {
    state.violation(`${req.method} ${url.pathname}: the signed upload URL only takes PUT`)
    return storageError(
      403,
      'AuthorizationPermissionMismatch',
      'This request is not authorized to perform this operation using this permission.'
    )
  }
  const comp = target.query.get('comp')
  if (comp === 'block') return putBlock(state, record, target.query, body)
  if (comp === 'blocklist') return putBlockList(state, record, body)
  if (comp === null) return putBlob(state, record, req, body)
  state.violation(`PUT ${url.pathname}: comp=${comp} is not an upload operation`)
  return storageError(
    400,
    'InvalidQueryParameterValue',
    `Value for one of the query parameters specified in the request URI is invalid: comp=${comp}`
  )
}

function download(state: ResultsState, req: IncomingMessage, url: URL): Reply {
  const target = blobTarget(state, url, DOWNLOAD_PREFIX)
  const record = target.record
  const artifact = record?.finalized
  if (!record || !artifact || record.deleted) {
    state.violation(`${req.method} ${url.pathname}: no such artifact blob`)
    return storageError(404, 'BlobNotFound', 'The specified blob does not exist.')
  }
  const forbidden = signatureProblem(target, record.downloadSig)
  if (forbidden || req.method !== 'GET') {
    state.violation(`${req.method} ${url.pathname}: not a signed GET of the artifact blob`)
    return (
      forbidden ??
      storageError(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.'
      )
    )
  }
  const headers = {
    ...storageHeaders(),
    'content-type': artifact.mimeType ?? 'application/zip',
    'x-ms-blob-type': 'BlockBlob'
  }
  return { status: 200, headers, body: artifact.zip }
}

// ---------------------------------------------------------------------------------------------
// Server

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** Blob storage answers in the service version the client asked for and echoes its request id. */
function echoStorageHeaders(req: IncomingMessage, reply: Reply): Reply {
  const echoed: Record<string, string> = {}
  const version = req.headers['x-ms-version']
  const clientRequestId = req.headers['x-ms-client-request-id']
  if (typeof version === 'string') echoed['x-ms-version'] = version
  if (typeof clientRequestId === 'string') echoed['x-ms-client-request-id'] = clientRequestId
  return { ...reply, headers: { ...reply.headers, ...echoed } }
}

function route(state: ResultsState, req: IncomingMessage, body: Buffer): Reply {
  const url = new URL(req.url ?? '/', state.url)
  if (url.pathname.startsWith(TWIRP_PREFIX) || url.pathname.startsWith('/twirp/'))
    return twirp(state, req, url.pathname, body)
  if (url.pathname.startsWith(UPLOAD_PREFIX)) return echoStorageHeaders(req, upload(state, req, url, body))
  if (url.pathname.startsWith(DOWNLOAD_PREFIX)) return echoStorageHeaders(req, download(state, req, url))
  state.violation(`${req.method} ${url.pathname}: not an endpoint of the results service`)
  return json(404, { code: 'bad_route', msg: `no handler for path "${url.pathname}"` })
}

function send(res: ServerResponse, reply: Reply): void {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body)
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) })
  res.end(body)
}

async function serve(state: ResultsState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    send(res, route(state, req, await readBody(req)))
  } catch (error) {
    state.violation(`${req.method} ${req.url}: the stand-in failed: ${(error as Error).stack ?? String(error)}`)
    if (!res.headersSent) send(res, json(500, { code: 'internal', msg: 'internal error' }))
  }
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo))
  })
}

export async function startFakeResults(options: FakeResultsOptions = {}): Promise<FakeResults> {
  const scope = { run: options.runBackendId ?? randomUUID(), job: options.jobBackendId ?? randomUUID() }
  const runtimeToken = runtimeTokenFor(scope)
  const server = createServer()
  const { port } = await listen(server)
  const url = `http://127.0.0.1:${port}/`
  const state = new ResultsState(url, runtimeToken, scope)
  server.on('request', (req, res) => void serve(state, req, res))
  return {
    url,
    runtimeToken,
    env: {
      ACTIONS_RUNTIME_TOKEN: runtimeToken,
      ACTIONS_RESULTS_URL: url,
      // the legacy pipelines service; anything still calling it shows up as a violation
      ACTIONS_RUNTIME_URL: url,
      // any other server makes the client refuse to upload (GitHub Enterprise Server is not supported)
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RETENTION_DAYS: '90'
    },
    artifacts: state.artifacts,
    violations: state.violations,
    close: () => closeServer(server)
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}
