import { describe, expect, it } from '@jest/globals'
import { displayName, officialImageName, parseImageRef } from '../src/analyze/image-ref.js'

describe('parseImageRef', () => {
  it.each([
    ['python', 'docker.io', 'library/python', undefined, undefined],
    ['python:3.12-slim', 'docker.io', 'library/python', '3.12-slim', undefined],
    ['library/python:3.12', 'docker.io', 'library/python', '3.12', undefined],
    ['docker.io/library/python:3.12', 'docker.io', 'library/python', '3.12', undefined],
    ['index.docker.io/continuumio/miniconda3:24.1', 'docker.io', 'continuumio/miniconda3', '24.1', undefined],
    ['localhost:5000/app:1', 'localhost:5000', 'app', '1', undefined],
    ['registry.example.com:5000/team/app', 'registry.example.com:5000', 'team/app', undefined, undefined],
    ['python@sha256:abcdef0123', 'docker.io', 'library/python', undefined, 'sha256:abcdef0123'],
    ['python:3.12@sha256:abcdef0123', 'docker.io', 'library/python', '3.12', 'sha256:abcdef0123']
  ])('%s', (raw, registry, repository, tag, digest) => {
    expect(parseImageRef(raw)).toEqual({ raw, registry, repository, tag, digest })
  })

  it.each(['', '$BASE', 'python:${TAG}', 'Python:3', 'py thon', 'python@notadigest'])('rejects %p', (raw) => {
    expect(parseImageRef(raw)).toBeUndefined()
  })

  it('names official images and displays without the implied prefix', () => {
    expect(officialImageName(parseImageRef('docker.io/library/golang:1.26')!)).toBe('golang')
    expect(officialImageName(parseImageRef('ghcr.io/library/golang:1.26')!)).toBeUndefined()
    expect(officialImageName(parseImageRef('mambaorg/micromamba')!)).toBeUndefined()
    expect(displayName(parseImageRef('docker.io/library/golang:1.26')!)).toBe('golang:1.26')
    expect(displayName(parseImageRef('ghcr.io/org/app:1')!)).toBe('ghcr.io/org/app:1')
  })
})
