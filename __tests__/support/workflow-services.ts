/**
 * What a workflow's jobs talk to besides the engine, once per test file: the GitHub REST API stand-in and the Actions
 * artifact service.
 */
import { afterAll, beforeAll } from '@jest/globals'
import { startFakeResults, type FakeResults } from './actions-results.js'
import { REPOSITORY } from './events.js'
import { startFakeGitHub, type FakeGitHub } from './github-api.js'

export interface WorkflowServices {
  readonly github: FakeGitHub
  readonly results: FakeResults
  /** A job's runner variables: the API's address, the repository, and job `job` of workflow `slimcheck` at `ref`. */
  jobEnv(job: string, ref: string): Record<string, string>
}

/** Starts both services before the calling file's tests and stops them after its last. */
export function useWorkflowServices(): WorkflowServices {
  let github: FakeGitHub | undefined
  let results: FakeResults | undefined
  beforeAll(async () => {
    github = await startFakeGitHub()
    results = await startFakeResults()
  })
  afterAll(async () => {
    await github?.close()
    await results?.close()
  })
  const started = <T>(service: T | undefined): T => {
    if (!service) throw new Error('the workflow services start in beforeAll: use them inside a test')
    return service
  }
  return {
    get github() {
      return started(github)
    },
    get results() {
      return started(results)
    },
    jobEnv(job, ref) {
      const repository = `${REPOSITORY.owner}/${REPOSITORY.repo}`
      return {
        GITHUB_API_URL: started(github).url,
        GITHUB_REPOSITORY: repository,
        GITHUB_WORKFLOW: 'slimcheck',
        GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/slimcheck.yml@${ref}`,
        GITHUB_JOB: job
      }
    }
  }
}
