/**
 * An in-memory stand-in for GitHub's REST API. Every request is checked against GitHub's published
 * OpenAPI description (@octokit/openapi); anything the description does not allow is recorded in
 * `violations` and answered the way GitHub answers it, so a broken client fails loudly in tests.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { zipOf } from './zip.js'

// ---------------------------------------------------------------------------------------------
// The OpenAPI description: loaded once per process, validators compiled on first use

type JsonObject = Record<string, unknown>
interface Ref {
  $ref: string
}
interface Parameter {
  name: string
  in: string
  required?: boolean
  schema?: JsonObject
}
interface MediaType {
  schema?: JsonObject
}
interface RequestBody {
  required?: boolean
  content?: Record<string, MediaType>
}
interface ResponseObject {
  content?: Record<string, MediaType>
}
interface Operation {
  operationId: string
  parameters?: Array<Parameter | Ref>
  requestBody?: RequestBody | Ref
  responses?: Record<string, ResponseObject | Ref>
  externalDocs?: { url: string }
}
interface Description {
  paths: Record<string, Record<string, unknown>>
  components: JsonObject
}

interface Route {
  template: string
  regex: RegExp
  names: string[]
  specificity: number
  item: Record<string, unknown>
}

interface OperationInfo {
  operationId: string
  method: string
  template: string
  parameters: Parameter[]
  body?: { required: boolean; schema?: JsonObject }
  responses: Record<string, ResponseObject | Ref>
  docs: string
}

interface OpenApi {
  description: Description
  routes: Route[]
  ajv: Ajv
  validators: Map<string, ValidateFunction>
  operations: Map<string, OperationInfo>
}

const DESCRIPTION_ID = 'https://api.github.com/openapi.json'
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
let openApiCache: OpenApi | undefined

function openApi(): OpenApi {
  if (openApiCache) return openApiCache
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json')
  const description = JSON.parse(readFileSync(file, 'utf8')) as Description
  // GitHub's schemas carry vendor keywords (x-github, example, discriminator…): strict off tolerates them
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false })
  addFormatsModule.default(ajv)
  ajv.addSchema({ $id: DESCRIPTION_ID, components: description.components })
  const routes = Object.entries(description.paths).map(([template, item]) => compileRoute(template, item))
  openApiCache = { description, routes, ajv, validators: new Map(), operations: new Map() }
  return openApiCache
}

function compileRoute(template: string, item: Record<string, unknown>): Route {
  const names: string[] = []
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
  const pattern = escaped.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  const specificity = template.replace(/\{[^}]+\}/g, '').length
  return { template, regex: new RegExp(`^${pattern}$`), names, specificity, item }
}

function matchRoute(pathname: string): { route: Route; params: Record<string, string> } | undefined {
  let best: { route: Route; params: Record<string, string> } | undefined
  for (const route of openApi().routes) {
    const found = route.regex.exec(pathname)
    if (!found || (best && best.route.specificity >= route.specificity)) continue
    const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1])]))
    best = { route, params }
  }
  return best
}

function isRef(value: unknown): value is Ref {
  return typeof value === 'object' && value !== null && typeof (value as Ref).$ref === 'string'
}

function resolve<T>(value: T | Ref): T {
  if (!isRef(value)) return value
  const parts = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
  let node: unknown = openApi().description
  for (const part of parts) node = (node as JsonObject)[part]
  return resolve(node as T | Ref)
}

/** Copies an inline schema so that its local `#/components/...` references point into the shared description. */
function anchored(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anchored)
  if (typeof schema !== 'object' || schema === null) return schema
  if (isRef(schema) && schema.$ref.startsWith('#/')) return { $ref: DESCRIPTION_ID + schema.$ref }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, anchored(value)]))
}

function validatorFor(key: string, schema: JsonObject): ValidateFunction {
  const api = openApi()
  let validate = api.validators.get(key)
  if (!validate) {
    validate = api.ajv.compile(anchored(schema) as JsonObject)
    api.validators.set(key, validate)
  }
  return validate
}

function operationFor(route: Route, method: string): OperationInfo | undefined {
  const key = `${method} ${route.template}`
  const api = openApi()
  const known = api.operations.get(key)
  if (known) return known
  const operation = route.item[method.toLowerCase()] as Operation | undefined
  if (!operation || !METHODS.includes(method.toLowerCase())) return undefined
  const shared = ((route.item.parameters ?? []) as Array<Parameter | Ref>).map((p) => resolve(p))
  const own = (operation.parameters ?? []).map((p) => resolve(p))
  const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own]
  const requestBody = operation.requestBody ? resolve(operation.requestBody) : undefined
  const info: OperationInfo = {
    operationId: operation.operationId,
    method,
    template: route.template,
    parameters,
    body: requestBody && {
      required: requestBody.required === true,
      schema: requestBody.content?.['application/json']?.schema
    },
    responses: operation.responses ?? {},
    docs: operation.externalDocs?.url ?? 'https://docs.github.com/rest'
  }
  api.operations.set(key, info)
  return info
}

function responseSchema(op: OperationInfo, status: number): JsonObject | undefined {
  const response = op.responses[String(status)]
  return response ? resolve(response).content?.['application/json']?.schema : undefined
}

function describeError(error: ErrorObject): string {
  const detail = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : ''
  return `${error.instancePath || '/'} ${error.message ?? error.keyword}${detail}`
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map(describeError).join('; ')
}

// ---------------------------------------------------------------------------------------------
// Request checking

interface Checked {
  params: Record<string, unknown>
  query: Record<string, unknown>
  body: unknown
  problems: string[]
  reply?: Reply
}

function schemaTypes(schema: JsonObject | undefined): Set<string> {
  const types = new Set<string>()
  if (!schema) return types
  if (typeof schema.type === 'string') types.add(schema.type)
  if (Array.isArray(schema.type)) for (const t of schema.type) types.add(String(t))
  for (const key of ['oneOf', 'anyOf']) {
    for (const branch of (schema[key] ?? []) as JsonObject[]) for (const t of schemaTypes(branch)) types.add(t)
  }
  return types
}

/** Turns a path or query string into the JSON value its schema describes, when it looks like one. */
function coerce(raw: string, schema: JsonObject | undefined): unknown {
  const types = schemaTypes(schema)
  if (types.has('integer') && /^-?\d+$/.test(raw)) return Number(raw)
  if (types.has('number') && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw)
  if (types.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true'
  if (types.has('array')) return raw.split(',')
  return raw
}

function checkParameters(
  op: OperationInfo,
  rawPath: Record<string, string>,
  search: URLSearchParams,
  checked: Checked
): void {
  let pathInvalid = false
  for (const parameter of op.parameters) {
    if (parameter.in !== 'path' && parameter.in !== 'query') continue
    const raw = parameter.in === 'path' ? rawPath[parameter.name] : (search.get(parameter.name) ?? undefined)
    if (raw === undefined) {
      if (parameter.required) checked.problems.push(`missing required ${parameter.in} parameter "${parameter.name}"`)
      continue
    }
    const value = coerce(raw, parameter.schema)
    const target = parameter.in === 'path' ? checked.params : checked.query
    target[parameter.name] = value
    if (!parameter.schema) continue
    const validate = validatorFor(`${op.operationId} ${parameter.in} ${parameter.name}`, parameter.schema)
    if (!validate(value)) {
      checked.problems.push(
        `${parameter.in} parameter "${parameter.name}"=${JSON.stringify(raw)}: ${describeErrors(validate.errors)}`
      )
      if (parameter.in === 'path') pathInvalid = true
    }
  }
  if (checked.problems.length > 0)
    checked.reply = pathInvalid ? notFound(op.docs) : validationFailed(op.docs, checked.problems)
}

/** GitHub ignores query parameters it does not know, but a client sending one has a typo or a wrong idea. */
function unknownQueryParameters(op: OperationInfo, search: URLSearchParams): string[] {
  const known = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name))
  return [...new Set(search.keys())]
    .filter((name) => !known.has(name))
    .map((name) => `unknown query parameter "${name}"`)
}

function checkBody(op: OperationInfo, raw: string, checked: Checked): void {
  if (raw.trim() === '') {
    if (op.body?.required) {
      checked.problems.push('missing required JSON body')
      checked.reply = validationFailed(op.docs, checked.problems)
    }
    return
  }
  try {
    checked.body = JSON.parse(raw)
  } catch {
    checked.problems.push('body is not valid JSON')
    checked.reply = {
      status: 400,
      body: { message: 'Problems parsing JSON', documentation_url: op.docs, status: '400' }
    }
    return
  }
  if (!op.body) {
    checked.problems.push('operation takes no request body')
    return
  }
  if (!op.body.schema) return
  const validate = validatorFor(`${op.operationId} body`, op.body.schema)
  const problems = validate(checked.body) ? [] : [`body ${describeErrors(validate.errors)}`]
  problems.push(...undeclaredBodyKeys(op.body.schema, checked.body))
  if (problems.length > 0) {
    checked.problems.push(...problems)
    checked.reply = validationFailed(op.docs, problems)
  }
}

/** GitHub rejects keys it does not know ("is not a permitted key") even where the schema leaves them open. */
function undeclaredBodyKeys(schema: JsonObject, body: unknown): string[] {
  const resolved = resolve(schema as JsonObject | Ref)
  const properties = resolved.properties as JsonObject | undefined
  if (!properties || resolved.additionalProperties !== undefined) return []
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return []
  return Object.keys(body)
    .filter((key) => !(key in properties))
    .map((key) => `body key "${key}" is not a permitted key`)
}

function hasToken(header: string | undefined): boolean {
  return /^(token|bearer) \S+$/i.test(header ?? '')
}

// ---------------------------------------------------------------------------------------------
// Replies

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
  /** Sent without GitHub's x-ratelimit-* headers, as a proxy between the client and GitHub would answer. */
  withoutRateLimitHeaders?: boolean
}

function notFound(docs = 'https://docs.github.com/rest'): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: docs, status: '404' } }
}

function validationFailed(docs: string, problems: string[]): Reply {
  const errors = problems.map((message) => ({
    resource: 'Request',
    code: /missing/.test(message) ? 'missing_field' : 'invalid',
    message
  }))
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: docs, status: '422' } }
}

function requiresAuthentication(): Reply {
  return {
    status: 401,
    body: { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest', status: '401' }
  }
}

export type Fault =
  | 'forbidden'
  | 'not-found'
  | 'server-error'
  | 'bad-gateway'
  | 'secondary-rate-limit'
  | 'hour-long-secondary-rate-limit'
  | 'rate-limit'
  | 'too-many-requests'

/**
 * Faults of the connection rather than of the answer: `no-answer` accepts the request and never answers it;
 * `stalls-mid-body` sends the status, the headers and half of the real answer's body, then nothing more.
 */
export type Silence = 'no-answer' | 'stalls-mid-body'

function secondaryRateLimit(retryAfter: number, requestId: string): Reply {
  return {
    status: 403,
    headers: { 'retry-after': String(retryAfter) },
    body: {
      message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
      documentation_url:
        'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403'
    }
  }
}

function faultReply(fault: Fault, op: OperationInfo, requestId: string): Reply {
  switch (fault) {
    case 'forbidden':
      return {
        status: 403,
        headers: { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' },
        body: { message: 'Resource not accessible by integration', documentation_url: op.docs, status: '403' }
      }
    case 'not-found':
      return notFound(op.docs)
    case 'server-error':
      return { status: 500, body: { message: 'Server Error', documentation_url: op.docs, status: '500' } }
    case 'bad-gateway':
      return { status: 502, body: { message: 'Server Error' } }
    case 'secondary-rate-limit':
      return secondaryRateLimit(1, requestId)
    case 'hour-long-secondary-rate-limit':
      return secondaryRateLimit(3600, requestId)
    case 'too-many-requests':
      return { status: 429, body: { message: 'Too Many Requests' }, withoutRateLimitHeaders: true }
    case 'rate-limit':
      return {
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000)) },
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          status: '403'
        }
      }
  }
}

// ---------------------------------------------------------------------------------------------
// Resource shapes, built from GitHub's own examples where the objects are large

const EXAMPLE_API = 'https://api.github.com'

function example(name: string): JsonObject {
  const value = (openApi().description.components.examples as Record<string, { value: JsonObject }>)[name].value
  return structuredClone(value)
}

/** Rewrites every string in a value, e.g. to point an example's URLs at another repository. */
function retarget<T>(value: T, replacements: Array<[string, string]>): T {
  if (typeof value === 'string')
    return replacements.reduce((s, [from, to]) => s.split(from).join(to), value as string) as T
  if (Array.isArray(value)) return (value as unknown[]).map((v) => retarget(v, replacements)) as T
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, retarget(v, replacements)])) as T
}

function stableId(text: string): number {
  return (createHash('sha1').update(text).digest().readUInt32BE(0) % 90_000_000) + 1_000_000
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(`0:${id}`).toString('base64url')}`
}

function simpleUser(login: string, api: string): JsonObject {
  const bot = login.endsWith('[bot]')
  const id = login === 'github-actions[bot]' ? 41898282 : stableId(login)
  const url = `${api}/users/${encodeURIComponent(login)}`
  return {
    login,
    id,
    node_id: nodeId(bot ? 'BOT' : 'U', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: bot ? `https://github.com/apps/${login.slice(0, -'[bot]'.length)}` : `https://github.com/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: bot ? 'Bot' : 'User',
    user_view_type: 'public',
    site_admin: false
  }
}

interface RepoRecord {
  id: number
  owner: string
  name: string
  defaultBranch: string
  private: boolean
}

function fullName(repo: RepoRecord): string {
  return `${repo.owner}/${repo.name}`
}

function repoReplacements(repo: RepoRecord, api: string, exampleName: string): Array<[string, string]> {
  return [
    [EXAMPLE_API, api],
    [exampleName, fullName(repo)]
  ]
}

/** Overwrites the identity of an example repository object in place. */
function identify(target: JsonObject, repo: RepoRecord, api: string): JsonObject {
  Object.assign(target, {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: fullName(repo),
    owner: simpleUser(repo.owner, api),
    private: repo.private,
    fork: false
  })
  if ('visibility' in target) target.visibility = repo.private ? 'private' : 'public'
  return target
}

function fullRepository(repo: RepoRecord, api: string): JsonObject {
  const shaped = retarget(
    example('full-repository-default-response'),
    repoReplacements(repo, api, 'octocat/Hello-World')
  )
  delete shaped.parent
  delete shaped.source
  delete shaped.organization
  return identify(
    { ...shaped, default_branch: repo.defaultBranch, language: null, template_repository: null },
    repo,
    api
  )
}

interface CommentRecord {
  id: number
  repoKey: string
  issueNumber: number
  body: string
  login: string
  createdAt: string
  updatedAt: string
}

function issueComment(comment: CommentRecord, repo: RepoRecord, isPull: boolean, api: string): JsonObject {
  const base = `${api}/repos/${fullName(repo)}`
  const url = `${base}/issues/comments/${comment.id}`
  const bot = comment.login.endsWith('[bot]')
  return {
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url,
    html_url: `https://github.com/${fullName(repo)}/${isPull ? 'pull' : 'issues'}/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: simpleUser(comment.login, api),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${base}/issues/${comment.issueNumber}`,
    author_association: bot ? 'NONE' : 'MEMBER',
    performed_via_github_app: null,
    reactions: {
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0
    }
  }
}

export type RunStatus = 'completed' | 'in_progress' | 'queued' | 'requested' | 'waiting' | 'pending'
export type RunConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale'
const RUN_STATUSES = new Set<string>(['completed', 'in_progress', 'queued', 'requested', 'waiting', 'pending'])

export interface SeededRun {
  id: number
  workflowId: number
  workflow: string
  name: string
  runNumber: number
  branch: string
  headSha: string
  event: string
  status: RunStatus
  conclusion: RunConclusion | null
  actor: string
  createdAt: string
}

interface RunRecord extends SeededRun {
  repoKey: string
}

function workflowRun(run: RunRecord, repo: RepoRecord, api: string): JsonObject {
  const shaped = retarget(example('workflow-run'), [
    ...repoReplacements(repo, api, 'octo-org/octo-repo'),
    ['octocat/Hello-World', fullName(repo)]
  ])
  const runUrl = `${api}/repos/${fullName(repo)}/actions/runs/${run.id}`
  const headCommit = { ...(shaped.head_commit as JsonObject), id: run.headSha, timestamp: run.createdAt }
  return {
    ...shaped,
    id: run.id,
    name: run.name,
    node_id: nodeId('WFR', run.id),
    check_suite_id: run.id + 1,
    check_suite_node_id: nodeId('CS', run.id + 1),
    head_branch: run.branch,
    head_sha: run.headSha,
    path: `.github/workflows/${run.workflow}`,
    run_number: run.runNumber,
    event: run.event,
    display_title: `${run.name} on ${run.branch}`,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url: runUrl,
    html_url: `https://github.com/${fullName(repo)}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.createdAt,
    run_started_at: run.createdAt,
    actor: simpleUser(run.actor, api),
    triggering_actor: simpleUser(run.actor, api),
    run_attempt: 1,
    referenced_workflows: [],
    jobs_url: `${runUrl}/jobs`,
    logs_url: `${runUrl}/logs`,
    check_suite_url: `${api}/repos/${fullName(repo)}/check-suites/${run.id + 1}`,
    artifacts_url: `${runUrl}/artifacts`,
    cancel_url: `${runUrl}/cancel`,
    rerun_url: `${runUrl}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${api}/repos/${fullName(repo)}/actions/workflows/${run.workflowId}`,
    head_commit: headCommit,
    repository: identify(shaped.repository as JsonObject, repo, api),
    head_repository: identify(shaped.head_repository as JsonObject, repo, api)
  }
}

export interface SeededArtifact {
  id: number
  name: string
  runId?: number
  size: number
  url: string
}

interface ArtifactRecord {
  id: number
  repoKey: string
  name: string
  runId?: number
  zip: Buffer
  expired: boolean
  createdAt: string
}

function artifact(record: ArtifactRecord, run: RunRecord | undefined, repo: RepoRecord, api: string): JsonObject {
  const url = `${api}/repos/${fullName(repo)}/actions/artifacts/${record.id}`
  const expires = new Date(Date.parse(record.createdAt) + 90 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return {
    id: record.id,
    node_id: nodeId('MDg', record.id),
    name: record.name,
    size_in_bytes: record.zip.length,
    url,
    archive_download_url: `${url}/zip`,
    expired: record.expired,
    created_at: record.createdAt,
    expires_at: expires,
    updated_at: record.createdAt,
    digest: `sha256:${createHash('sha256').update(record.zip).digest('hex')}`,
    workflow_run: run
      ? {
          id: run.id,
          repository_id: repo.id,
          head_repository_id: repo.id,
          head_branch: run.branch,
          head_sha: run.headSha
        }
      : null
  }
}

export interface PullSeed {
  headRef: string
  headSha: string
  baseRef?: string
  headRepo?: string
  title?: string
  body?: string
  author?: string
}

interface PullRecord extends PullSeed {
  repoKey: string
  number: number
  createdAt: string
}

function pullRequest(pull: PullRecord, repo: RepoRecord, headRepo: RepoRecord, api: string): JsonObject {
  const number = String(pull.number)
  const shaped = retarget(example('pull-request'), [
    [EXAMPLE_API, api],
    ['octocat/Hello-World/pulls/1347', `${fullName(repo)}/pulls/${number}`],
    ['octocat/Hello-World/pull/1347', `${fullName(repo)}/pull/${number}`],
    ['octocat/Hello-World/issues/1347', `${fullName(repo)}/issues/${number}`],
    ['octocat/Hello-World', fullName(repo)]
  ])
  const head = shaped.head as JsonObject
  const base = shaped.base as JsonObject
  const baseSha = createHash('sha1')
    .update(`${fullName(repo)}@${pull.baseRef ?? repo.defaultBranch}`)
    .digest('hex')
  return {
    ...shaped,
    id: pull.number + 100_000_000,
    node_id: nodeId('PR', pull.number),
    number: pull.number,
    state: 'open',
    locked: false,
    active_lock_reason: null,
    title: pull.title ?? `Change ${number}`,
    body: pull.body ?? null,
    user: simpleUser(pull.author ?? headRepo.owner, api),
    labels: [],
    milestone: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    created_at: pull.createdAt,
    updated_at: pull.createdAt,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    merged: false,
    merged_by: null,
    statuses_url: `${api}/repos/${fullName(repo)}/statuses/${pull.headSha}`,
    head: {
      ...head,
      label: `${headRepo.owner}:${pull.headRef}`,
      ref: pull.headRef,
      sha: pull.headSha,
      user: simpleUser(headRepo.owner, api),
      repo: {
        ...retarget(head.repo as JsonObject, [[fullName(repo), fullName(headRepo)]]),
        ...identify({}, headRepo, api),
        fork: headRepo !== repo
      }
    },
    base: {
      ...base,
      label: `${repo.owner}:${pull.baseRef ?? repo.defaultBranch}`,
      ref: pull.baseRef ?? repo.defaultBranch,
      sha: baseSha,
      user: simpleUser(repo.owner, api),
      repo: identify(base.repo as JsonObject, repo, api)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// State and operations

interface Call {
  op: OperationInfo
  params: Record<string, unknown>
  query: Record<string, unknown>
  body: unknown
  url: URL
}

export interface CommentView {
  id: number
  body: string
  user: { login: string }
  created_at: string
  updated_at: string
}
export interface RunSeed {
  workflow?: string
  name?: string
  branch?: string
  headSha?: string
  event?: string
  status?: RunStatus
  conclusion?: RunConclusion | null
  actor?: string
  createdAt?: string | Date
}
export interface ArtifactSeed {
  name: string
  runId?: number
  /** The archive as served; or give `files` and it is zipped for you. */
  zip?: Buffer
  files?: Record<string, string | Buffer>
  expired?: boolean
  createdAt?: string | Date
}
export interface RepoSeed {
  defaultBranch?: string
  private?: boolean
}

function isoSeconds(time: number | string | Date): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function repoKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase()
}

class GitHubState {
  readonly repos = new Map<string, RepoRecord>()
  readonly comments: CommentRecord[] = []
  readonly runs: RunRecord[] = []
  readonly artifacts: ArtifactRecord[] = []
  readonly pulls = new Map<string, PullRecord>()
  readonly workflows = new Map<string, Map<string, number>>()
  private nextId = {
    repo: 500_000_001,
    comment: 2_000_000_001,
    run: 9_000_000_001,
    artifact: 3_000_000_001,
    workflow: 100_001
  }
  private lastTick = 0

  constructor(
    readonly api: string,
    readonly login: string
  ) {}

  /** Second-resolution timestamps that never repeat, so "newest first" is always well defined. */
  tick(): string {
    this.lastTick = Math.max(Math.floor(Date.now() / 1000) * 1000, this.lastTick + 1000)
    return isoSeconds(this.lastTick)
  }

  repo(owner: string, name: string, seed: RepoSeed = {}): RepoRecord {
    const key = repoKey(owner, name)
    let repo = this.repos.get(key)
    if (!repo) {
      repo = { id: this.nextId.repo++, owner, name, defaultBranch: 'main', private: false }
      this.repos.set(key, repo)
    }
    if (seed.defaultBranch !== undefined) repo.defaultBranch = seed.defaultBranch
    if (seed.private !== undefined) repo.private = seed.private
    return repo
  }

  repoFor(call: Call): RepoRecord {
    return this.repo(String(call.params.owner), String(call.params.repo))
  }

  addComment(owner: string, name: string, issueNumber: number, body: string, login: string): CommentRecord {
    const repo = this.repo(owner, name)
    const createdAt = this.tick()
    const comment = {
      id: this.nextId.comment++,
      repoKey: repoKey(repo.owner, repo.name),
      issueNumber,
      body,
      login,
      createdAt,
      updatedAt: createdAt
    }
    this.comments.push(comment)
    return comment
  }

  renderComment(comment: CommentRecord): JsonObject {
    const repo = this.repos.get(comment.repoKey)!
    return issueComment(comment, repo, this.pulls.has(`${comment.repoKey}#${comment.issueNumber}`), this.api)
  }

  findComment(call: Call): CommentRecord | undefined {
    const key = repoKey(String(call.params.owner), String(call.params.repo))
    return this.comments.find((c) => c.id === call.params.comment_id && c.repoKey === key)
  }

  workflowId(owner: string, name: string, file: string): number {
    const key = repoKey(owner, name)
    const files = this.workflows.get(key) ?? new Map<string, number>()
    this.workflows.set(key, files)
    if (!files.has(file)) files.set(file, this.nextId.workflow++)
    return files.get(file)!
  }

  addRun(owner: string, name: string, seed: RunSeed): RunRecord {
    const repo = this.repo(owner, name)
    const workflow = seed.workflow ?? 'slimcheck.yml'
    const workflowId = this.workflowId(owner, name, workflow)
    const status = seed.status ?? 'completed'
    const run: RunRecord = {
      repoKey: repoKey(repo.owner, repo.name),
      id: this.nextId.run++,
      workflowId,
      workflow,
      name: seed.name ?? workflow.replace(/\.ya?ml$/, ''),
      runNumber: this.runs.filter((r) => r.workflowId === workflowId).length + 1,
      branch: seed.branch ?? repo.defaultBranch,
      headSha: seed.headSha ?? randomBytes(20).toString('hex'),
      event: seed.event ?? 'push',
      status,
      conclusion: seed.conclusion !== undefined ? seed.conclusion : status === 'completed' ? 'success' : null,
      actor: seed.actor ?? repo.owner,
      createdAt: seed.createdAt !== undefined ? isoSeconds(seed.createdAt) : this.tick()
    }
    this.runs.push(run)
    return run
  }

  addArtifact(owner: string, name: string, seed: ArtifactSeed): ArtifactRecord {
    const repo = this.repo(owner, name)
    const key = repoKey(repo.owner, repo.name)
    if (seed.runId !== undefined && !this.runs.some((r) => r.id === seed.runId && r.repoKey === key)) {
      throw new Error(`seedArtifact: no workflow run ${seed.runId} in ${key}`)
    }
    const zip = seed.zip ?? zipOf(seed.files ?? {})
    const createdAt = seed.createdAt !== undefined ? isoSeconds(seed.createdAt) : this.tick()
    const record = {
      id: this.nextId.artifact++,
      repoKey: key,
      name: seed.name,
      runId: seed.runId,
      zip,
      expired: seed.expired ?? false,
      createdAt
    }
    this.artifacts.push(record)
    return record
  }

  renderArtifact(record: ArtifactRecord): JsonObject {
    const run = this.runs.find((r) => r.id === record.runId)
    return artifact(record, run, this.repos.get(record.repoKey)!, this.api)
  }
}

type Handler = (state: GitHubState, call: Call) => Reply

interface Page<T> {
  items: T[]
  link?: string
}

/** Slices a list the way GitHub does and builds the RFC 5988 Link header Octokit's paginate follows. */
function paginate<T>(items: T[], call: Call): Page<T> {
  const requested = Number(call.query.per_page ?? 30)
  const perPage = requested >= 1 ? Math.min(Math.floor(requested), 100) : 30
  const page = Math.max(1, Math.floor(Number(call.query.page ?? 1)) || 1)
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  const href = (n: number): string => {
    const url = new URL(call.url.href)
    url.searchParams.set('page', String(n))
    return `<${url.href}>`
  }
  const links: string[] = []
  if (page > 1) links.push(`${href(Math.min(page - 1, last))}; rel="prev"`)
  if (page < last) links.push(`${href(page + 1)}; rel="next"`, `${href(last)}; rel="last"`)
  if (page > 1) links.push(`${href(1)}; rel="first"`)
  return { items: slice, link: links.length > 0 ? links.join(', ') : undefined }
}

function pagedReply(page: Page<unknown>, body: unknown): Reply {
  return { status: 200, body, headers: page.link ? { link: page.link } : undefined }
}

function commentsOnIssue(state: GitHubState, call: Call): CommentRecord[] {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  const since = typeof call.query.since === 'string' ? Date.parse(call.query.since) : undefined
  const onIssue = state.comments.filter((c) => c.repoKey === key && c.issueNumber === call.params.issue_number)
  return since === undefined ? onIssue : onIssue.filter((c) => Date.parse(c.updatedAt) >= since)
}

function listComments(state: GitHubState, call: Call): Reply {
  state.repoFor(call)
  const page = paginate(commentsOnIssue(state, call), call)
  return pagedReply(
    page,
    page.items.map((c) => state.renderComment(c))
  )
}

function createComment(state: GitHubState, call: Call): Reply {
  const { owner, repo, issue_number: issueNumber } = call.params
  const text = (call.body as { body: string }).body
  const comment = state.addComment(String(owner), String(repo), Number(issueNumber), text, state.login)
  const rendered = state.renderComment(comment)
  return { status: 201, body: rendered, headers: { location: String(rendered.url) } }
}

function getComment(state: GitHubState, call: Call): Reply {
  const comment = state.findComment(call)
  return comment ? { status: 200, body: state.renderComment(comment) } : notFound(call.op.docs)
}

function updateComment(state: GitHubState, call: Call): Reply {
  const comment = state.findComment(call)
  if (!comment) return notFound(call.op.docs)
  comment.body = (call.body as { body: string }).body
  comment.updatedAt = state.tick()
  return { status: 200, body: state.renderComment(comment) }
}

function deleteComment(state: GitHubState, call: Call): Reply {
  const comment = state.findComment(call)
  if (!comment) return notFound(call.op.docs)
  state.comments.splice(state.comments.indexOf(comment), 1)
  return { status: 204 }
}

function runMatches(run: RunRecord, query: Record<string, unknown>): boolean {
  const { branch, event, status, head_sha: headSha, actor, check_suite_id: checkSuiteId } = query
  if (branch !== undefined && run.branch !== branch) return false
  if (event !== undefined && run.event !== event) return false
  if (headSha !== undefined && run.headSha !== headSha) return false
  if (actor !== undefined && run.actor !== actor) return false
  if (checkSuiteId !== undefined && run.id + 1 !== checkSuiteId) return false
  if (typeof status === 'string') return RUN_STATUSES.has(status) ? run.status === status : run.conclusion === status
  return true
}

function newestFirst<T extends { createdAt: string; id: number }>(a: T, b: T): number {
  return Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id
}

function runsReply(state: GitHubState, call: Call, runs: RunRecord[]): Reply {
  const repo = state.repoFor(call)
  const matching = runs.filter((r) => runMatches(r, call.query)).sort(newestFirst)
  const page = paginate(matching, call)
  return pagedReply(page, {
    total_count: matching.length,
    workflow_runs: page.items.map((r) => workflowRun(r, repo, state.api))
  })
}

function listRunsForRepo(state: GitHubState, call: Call): Reply {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  return runsReply(
    state,
    call,
    state.runs.filter((r) => r.repoKey === key)
  )
}

function listWorkflowRuns(state: GitHubState, call: Call): Reply {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  const files = state.workflows.get(key) ?? new Map<string, number>()
  const wanted = call.params.workflow_id
  const workflowId =
    typeof wanted === 'number' ? [...files.values()].find((id) => id === wanted) : files.get(String(wanted))
  if (workflowId === undefined) return notFound(call.op.docs)
  return runsReply(
    state,
    call,
    state.runs.filter((r) => r.repoKey === key && r.workflowId === workflowId)
  )
}

function getRun(state: GitHubState, call: Call): Reply {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  const run = state.runs.find((r) => r.repoKey === key && r.id === call.params.run_id)
  return run ? { status: 200, body: workflowRun(run, state.repoFor(call), state.api) } : notFound(call.op.docs)
}

function artifactsReply(state: GitHubState, call: Call, records: ArtifactRecord[]): Reply {
  const named = records.filter((a) => call.query.name === undefined || a.name === call.query.name)
  const sorted = named.sort(newestFirst)
  if (call.query.direction === 'asc') sorted.reverse()
  const page = paginate(sorted, call)
  return pagedReply(page, { total_count: sorted.length, artifacts: page.items.map((a) => state.renderArtifact(a)) })
}

function listRepoArtifacts(state: GitHubState, call: Call): Reply {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  state.repoFor(call)
  return artifactsReply(
    state,
    call,
    state.artifacts.filter((a) => a.repoKey === key)
  )
}

function listRunArtifacts(state: GitHubState, call: Call): Reply {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  state.repoFor(call)
  return artifactsReply(
    state,
    call,
    state.artifacts.filter((a) => a.repoKey === key && a.runId === call.params.run_id)
  )
}

function findArtifact(state: GitHubState, call: Call): ArtifactRecord | undefined {
  const key = repoKey(String(call.params.owner), String(call.params.repo))
  return state.artifacts.find((a) => a.repoKey === key && a.id === call.params.artifact_id)
}

function getArtifact(state: GitHubState, call: Call): Reply {
  const record = findArtifact(state, call)
  return record ? { status: 200, body: state.renderArtifact(record) } : notFound(call.op.docs)
}

function downloadArtifact(state: GitHubState, call: Call): Reply {
  const record = findArtifact(state, call)
  if (!record || call.params.archive_format !== 'zip') return notFound(call.op.docs)
  if (record.expired)
    return { status: 410, body: { message: 'Artifact has expired', documentation_url: call.op.docs, status: '410' } }
  const signature = createHash('sha256').update(`${record.id}`).digest('hex').slice(0, 16)
  return { status: 302, headers: { location: `${state.api}/_blob/${record.id}.zip?sig=${signature}` } }
}

function getRepo(state: GitHubState, call: Call): Reply {
  return { status: 200, body: fullRepository(state.repoFor(call), state.api) }
}

function getPull(state: GitHubState, call: Call): Reply {
  const repo = state.repoFor(call)
  const pull = state.pulls.get(`${repoKey(repo.owner, repo.name)}#${String(call.params.pull_number)}`)
  if (!pull) return notFound(call.op.docs)
  const headRepo = pull.headRepo ? state.repo(...(pull.headRepo.split('/') as [string, string])) : repo
  return { status: 200, body: pullRequest(pull, repo, headRepo, state.api) }
}

const HANDLERS: Record<string, Handler> = {
  'issues/list-comments': listComments,
  'issues/create-comment': createComment,
  'issues/get-comment': getComment,
  'issues/update-comment': updateComment,
  'issues/delete-comment': deleteComment,
  'actions/list-workflow-runs': listWorkflowRuns,
  'actions/list-workflow-runs-for-repo': listRunsForRepo,
  'actions/get-workflow-run': getRun,
  'actions/list-workflow-run-artifacts': listRunArtifacts,
  'actions/list-artifacts-for-repo': listRepoArtifacts,
  'actions/get-artifact': getArtifact,
  'actions/download-artifact': downloadArtifact,
  'repos/get': getRepo,
  'pulls/get': getPull
}

/** The operations this stand-in answers; any other documented operation is answered 404 and recorded. */
export const SUPPORTED_OPERATIONS = Object.keys(HANDLERS)

// ---------------------------------------------------------------------------------------------
// The server

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
  operationId: string
  headers: Record<string, string | undefined>
  /** 0 when the request was never answered (the `no-answer` fault). */
  status: number
}

export interface FaultMatch {
  method?: string
  operationId?: string
}

export interface FakeGitHubOptions {
  /** Validate every JSON response against the documented schema too; mismatches land in `violations`. */
  selfCheck?: boolean
  /** Who comments created through the API are attributed to. */
  login?: string
}

export interface FakeGitHub {
  url: string
  requests: RecordedRequest[]
  violations: string[]
  comments(owner: string, repo: string, issueNumber: number): CommentView[]
  seedRepo(owner: string, repo: string, seed: RepoSeed): void
  seedPull(owner: string, repo: string, pullNumber: number, seed: PullSeed): void
  seedComments(owner: string, repo: string, issueNumber: number, bodies: string[], login?: string): CommentView[]
  seedWorkflow(owner: string, repo: string, file: string): number
  seedWorkflowRuns(owner: string, repo: string, runs: RunSeed[]): SeededRun[]
  seedArtifact(owner: string, repo: string, seed: ArtifactSeed): SeededArtifact
  failNext(match: FaultMatch, response: Fault | Silence, times?: number): void
  close(): Promise<void>
}

interface PendingFault {
  match: FaultMatch
  response: Fault | Silence
  remaining: number
}

function takeFault(faults: PendingFault[], op: OperationInfo): Fault | Silence | undefined {
  const fault = faults.find(
    (f) =>
      (f.match.method === undefined || f.match.method.toUpperCase() === op.method) &&
      (f.match.operationId === undefined || f.match.operationId === op.operationId)
  )
  if (!fault) return undefined
  if (--fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1)
  return fault.response
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
    req.on('error', fail)
  })
}

function requestId(): string {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase()
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`
}

class RateLimit {
  private used = 0
  private readonly reset = Math.ceil(Date.now() / 1000) + 3600

  headers(): Record<string, string> {
    this.used++
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - this.used)),
      'x-ratelimit-reset': String(this.reset),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-resource': 'core'
    }
  }
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  const payload = reply.body === undefined ? undefined : JSON.stringify(reply.body)
  const all: Record<string, string> = { ...headers, 'x-github-media-type': 'github.v3; format=json', ...reply.headers }
  if (payload !== undefined) all['content-type'] = 'application/json; charset=utf-8'
  all['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload))
  res.writeHead(reply.status, all)
  res.end(payload)
}

/** The status, the headers and the first half of the body; the connection then stays open, silent. */
function sendHalf(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  const payload = Buffer.from(JSON.stringify(reply.body ?? {}))
  res.writeHead(reply.status, {
    ...headers,
    ...reply.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(payload.length)
  })
  res.write(payload.subarray(0, Math.floor(payload.length / 2)))
}

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]))
}

class FakeServer {
  readonly requests: RecordedRequest[] = []
  readonly violations: string[] = []
  readonly faults: PendingFault[] = []
  readonly rateLimit = new RateLimit()

  constructor(
    readonly state: GitHubState,
    readonly selfCheck: boolean
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.state.api)
    const raw = await readBody(req)
    if (url.pathname.startsWith('/_blob/')) return this.serveBlob(req, url, res)
    const method = (req.method ?? 'GET').toUpperCase()
    const id = requestId()
    const headers = {
      ...this.rateLimit.headers(),
      'x-github-request-id': id,
      'x-github-api-version-selected': '2022-11-28'
    }
    const where = `${method} ${url.pathname}${url.search}`
    const matched = matchRoute(url.pathname)
    const op = matched && operationFor(matched.route, method)
    if (!matched || !op) {
      this.violations.push(`${where}: no ${method} operation at this path in GitHub's REST API description`)
      return send(res, notFound(), headers)
    }
    const respond = (reply: Reply): void => {
      if (this.selfCheck) this.checkResponse(op, reply, where)
      const sent = reply.withoutRateLimitHeaders
        ? Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-ratelimit-')))
        : headers
      send(res, reply, sent)
    }
    if (!hasToken(req.headers.authorization)) {
      this.violations.push(`${where} (${op.operationId}): no "Authorization: token …" or "Bearer …" header`)
      return respond(requiresAuthentication())
    }
    const checked: Checked = { params: {}, query: {}, body: undefined, problems: [] }
    checkParameters(op, matched.params, url.searchParams, checked)
    if (!checked.reply) checkBody(op, raw, checked)
    const notes = [...checked.problems, ...unknownQueryParameters(op, url.searchParams)]
    for (const note of notes) this.violations.push(`${where} (${op.operationId}): ${note}`)
    if (checked.reply) return respond(checked.reply)
    const record = (status: number): void =>
      void this.requests.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: checked.body,
        operationId: op.operationId,
        headers: flatHeaders(req),
        status
      })
    const fault = takeFault(this.faults, op)
    // The connection stays open, unanswered, until the client gives up or close() ends it.
    if (fault === 'no-answer') return record(0)
    const call = { op, params: checked.params, query: checked.query, body: checked.body, url }
    const reply = fault && fault !== 'stalls-mid-body' ? faultReply(fault, op, id) : this.answer(op, call)
    record(reply.status)
    if (fault === 'stalls-mid-body') return sendHalf(res, reply, headers)
    respond(reply)
  }

  answer(op: OperationInfo, call: Call): Reply {
    const handler = HANDLERS[op.operationId]
    if (handler) return handler(this.state, call)
    this.violations.push(
      `${op.method} ${call.url.pathname} (${op.operationId}): operation is documented but this fake does not implement it`
    )
    return notFound(op.docs)
  }

  checkResponse(op: OperationInfo, reply: Reply, where: string): void {
    const schema = responseSchema(op, reply.status)
    if (!schema || reply.body === undefined) return
    const validate = validatorFor(`${op.operationId} response ${reply.status}`, schema)
    if (validate(reply.body)) return
    this.violations.push(
      `${where} (${op.operationId}): response ${reply.status} does not match its schema: ${describeErrors(validate.errors)}`
    )
  }

  serveBlob(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const id = Number(/^\/_blob\/(\d+)\.zip$/.exec(url.pathname)?.[1])
    const record = this.state.artifacts.find((a) => a.id === id)
    if (req.method !== 'GET' || !record) {
      res.writeHead(404, { 'content-type': 'application/xml' })
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>')
      return
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(record.zip.length) })
    res.end(record.zip)
  }
}

function commentView(comment: CommentRecord): CommentView {
  return {
    id: comment.id,
    body: comment.body,
    user: { login: comment.login },
    created_at: comment.createdAt,
    updated_at: comment.updatedAt
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  openApi()
  const server = createServer()
  await listen(server)
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const state = new GitHubState(url, options.login ?? 'github-actions[bot]')
  const fake = new FakeServer(state, options.selfCheck ?? false)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    fake.handle(req, res).catch((error: unknown) => {
      fake.violations.push(`${req.method} ${req.url}: the fake itself failed: ${String(error)}`)
      if (!res.headersSent) send(res, { status: 500, body: { message: 'Server Error' } }, {})
    })
  })
  return {
    url,
    requests: fake.requests,
    violations: fake.violations,
    comments: (owner, repo, issueNumber) =>
      state.comments
        .filter((c) => c.repoKey === repoKey(owner, repo) && c.issueNumber === issueNumber)
        .map(commentView),
    seedRepo: (owner, repo, seed) => void state.repo(owner, repo, seed),
    seedPull: (owner, repo, pullNumber, seed) => {
      const record = state.repo(owner, repo)
      const key = repoKey(record.owner, record.name)
      state.pulls.set(`${key}#${pullNumber}`, { ...seed, repoKey: key, number: pullNumber, createdAt: state.tick() })
    },
    seedComments: (owner, repo, issueNumber, bodies, login = 'github-actions[bot]') =>
      bodies.map((body) => commentView(state.addComment(owner, repo, issueNumber, body, login))),
    seedWorkflow: (owner, repo, file) => state.workflowId(owner, repo, file),
    seedWorkflowRuns: (owner, repo, runs) =>
      runs.map((seed) => {
        const { repoKey: _repoKey, ...run } = state.addRun(owner, repo, seed)
        return run
      }),
    seedArtifact: (owner, repo, seed) => {
      const record = state.addArtifact(owner, repo, seed)
      return {
        id: record.id,
        name: record.name,
        runId: record.runId,
        size: record.zip.length,
        url: String(state.renderArtifact(record).url)
      }
    },
    failNext: (match, response, times = 1) => void fake.faults.push({ match, response, remaining: times }),
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()))
        server.closeAllConnections()
      })
  }
}
