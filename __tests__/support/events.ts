import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{
  name: string
  examples: Array<Record<string, unknown>>
}>

interface RepositoryPayload {
  full_name: string
  name: string
  owner: { login: string }
  default_branch: string
}

interface PullRequestPayload {
  number: number
  pull_request: {
    number: number
    base: { sha: string; ref: string; repo: RepositoryPayload }
    head: { sha: string; ref: string; repo: RepositoryPayload }
  }
  repository: RepositoryPayload
}

interface PushPayload {
  ref: string
  after: string
  repository: RepositoryPayload
}

/** A copy of one of GitHub's example payloads, typed by the fields the tests change. */
function example<T>(name: string, action?: string): T {
  const found = examples
    .find((item) => item.name === name)
    ?.examples.find((item) => action === undefined || item.action === action)
  if (!found) throw new Error(`no ${name}${action ? `.${action}` : ''} example in @octokit/webhooks-examples`)
  return structuredClone(found) as T
}

export const REPOSITORY = { owner: 'octo-org', repo: 'octo-repo' }

function adaptRepository(repository: RepositoryPayload, fullName = `${REPOSITORY.owner}/${REPOSITORY.repo}`): void {
  const [owner, name] = fullName.split('/')
  repository.full_name = fullName
  repository.name = name
  repository.owner.login = owner
  repository.default_branch = 'main'
}

/** GitHub's own `pull_request.opened` example payload, pointed at the fixture's commits. */
export function pullRequestEvent(options: {
  number: number
  baseSha: string
  headSha: string
  fork?: boolean
}): PullRequestPayload {
  const payload = example<PullRequestPayload>('pull_request', 'opened')
  payload.number = options.number
  const pr = payload.pull_request
  pr.number = options.number
  pr.base.sha = options.baseSha
  pr.base.ref = 'main'
  adaptRepository(pr.base.repo)
  pr.head.sha = options.headSha
  pr.head.ref = 'pr'
  adaptRepository(pr.head.repo, options.fork ? `forker/${REPOSITORY.repo}` : undefined)
  adaptRepository(payload.repository)
  return payload
}

/** GitHub's own `push` example payload, as a push of `sha` to main. */
export function pushEvent(sha: string): PushPayload {
  const payload = example<PushPayload>('push')
  payload.ref = 'refs/heads/main'
  payload.after = sha
  adaptRepository(payload.repository)
  return payload
}
