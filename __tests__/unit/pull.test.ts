import { describe, expect, it } from '@jest/globals'
import { PullError, refusalOf, withTag } from '../../src/engine/pull.js'

describe('withTag', () => {
  it.each([
    ['python', 'python:latest'],
    ['127.0.0.1:5101/private/base', '127.0.0.1:5101/private/base:latest'],
    ['127.0.0.1:5101/private/base:1', '127.0.0.1:5101/private/base:1'],
    ['python:3.12', 'python:3.12'],
    [`python@sha256:${'a'.repeat(64)}`, `python@sha256:${'a'.repeat(64)}`],
    [`localhost:5000/app@sha256:${'b'.repeat(64)}`, `localhost:5000/app@sha256:${'b'.repeat(64)}`]
  ])('%s is pulled as %s, never as every tag', (reference, pulled) => {
    expect(withTag(reference)).toBe(pulled)
  })
})

describe('refusalOf', () => {
  it.each([
    // Docker 28, classic store, htpasswd registry without a login
    ['Head "http://127.0.0.1:5101/v2/private/base/manifests/1": no basic auth credentials', undefined, 'unauthorized'],
    // containerd store
    [
      'failed to resolve reference "127.0.0.1:5101/private/base:1": unexpected status from HEAD request: 401 Unauthorized',
      undefined,
      'unauthorized'
    ],
    [
      "pull access denied for nosuch/image, repository does not exist or may require 'docker login'",
      404,
      'unauthorized'
    ],
    ['denied: requested access to the resource is denied', undefined, 'unauthorized'],
    [
      'manifest for 127.0.0.1:5100/library/debian:nosuch not found: manifest unknown: manifest unknown',
      404,
      'not-found'
    ],
    ['no matching manifest for linux/s390x in the manifest list entries', undefined, 'not-found'],
    ['toomanyrequests: You have reached your pull rate limit.', undefined, 'rate-limited'],
    ['Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', undefined, 'failed']
  ])('%s → %s', (answer, status, refusal) => {
    expect(refusalOf(answer, status)).toBe(refusal)
  })

  it('names the image, the advice and the answer', () => {
    const error = new PullError('127.0.0.1:5101/private/base:1', 'unauthorized', 'no basic auth credentials')
    expect(error.message).toBe(
      'could not pull `127.0.0.1:5101/private/base:1`: the registry refused access (401/403); log in with ' +
        'docker/login-action before slimcheck, or check the credentials (the engine said: no basic auth credentials)'
    )
    expect(new PullError('python:3.12', 'rate-limited', 'toomanyrequests').message).toMatch(
      /Docker Hub's pull limit was reached \(429\); a login \(docker\/login-action\) raises it/
    )
    expect(new PullError('python:nosuch', 'not-found', 'manifest unknown').message).toMatch(/no such image or tag/)
  })
})
