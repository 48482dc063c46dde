import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseImageRef } from '../src/analyze/image-ref.js'
import { SHARED_TAGS_SNAPSHOT, sharedTagAdvice } from '../src/analyze/shared-tags.js'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The whole library, where a checkout of official-images sits beside the repository. */
const LIBRARY = join(REPO_ROOT, '..', 'shared', 'official-images', 'library')
/**
 * Three of its definitions and the shared-tag history of some images, from the same snapshot: the tests below run on
 * these everywhere.
 */
const PART_OF_LIBRARY = join(REPO_ROOT, '__tests__', 'fixtures', 'official-images', 'library')
const GENERATOR = join(REPO_ROOT, 'scripts', 'generate-shared-tags.mjs')
const COMMITTED = join(REPO_ROOT, 'src', 'analyze', 'shared-tags.json')

const HAS_LIBRARY = existsSync(LIBRARY)
const itWithLibrary = HAS_LIBRARY ? it : it.skip
const withLibrary = (title: string) =>
  HAS_LIBRARY ? title : `${title} (skipped: no official-images library at ${LIBRARY})`

function advise(raw: string) {
  const ref = parseImageRef(raw)
  if (!ref) throw new Error(`not a reference: ${raw}`)
  return sharedTagAdvice(ref)
}

function tagList(line: string): string[] {
  return line
    .slice(line.indexOf(':') + 1)
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean)
}

function libraryTags(library: string, file: string): { simple: string[]; shared: string[] } {
  const lines = readFileSync(join(library, file), 'utf8').split('\n')
  return {
    simple: lines.filter((line) => line.startsWith('Tags:')).flatMap(tagList),
    shared: lines.filter((line) => line.startsWith('SharedTags:')).flatMap(tagList)
  }
}

describe('sharedTagAdvice', () => {
  it.each([
    ['python:3.12', ['3.12-slim-trixie', '3.12-slim-bookworm', '3.12-trixie']],
    ['python:3.12.14', ['3.12.14-slim-trixie', '3.12.14-slim-bookworm', '3.12.14-trixie']],
    ['python:latest', ['slim-trixie', 'slim-bookworm', 'trixie']],
    ['golang:1.26', ['1.26-trixie', '1.26-bookworm', '1.26-alpine3.24']],
    ['eclipse-temurin:21', ['21-jdk-resolute', '21-resolute', '21-jdk-noble']],
    ['eclipse-temurin:21-jre', ['21-jre-resolute', '21-jre-noble', '21-jre-jammy']],
    ['hello-world:latest', ['linux']]
  ])('lists %s as shared and recommends simple tags', (raw, alternatives) => {
    expect(advise(raw)).toEqual({ tag: raw.split(':')[1], why: 'listed', alternatives })
  })

  it.each(['library/python:3.12', 'docker.io/library/python:3.12', 'index.docker.io/library/python:3.12'])(
    'recognises %s as the official image',
    (raw) => {
      expect(advise(raw)).toMatchObject({ tag: '3.12', why: 'listed' })
    }
  )

  it('treats an untagged official image as its shared latest tag', () => {
    expect(advise('python')).toEqual({
      tag: 'latest',
      why: 'untagged',
      alternatives: ['slim-trixie', 'slim-bookworm', 'trixie']
    })
    expect(advise('golang')).toMatchObject({ tag: 'latest', why: 'untagged' })
  })

  it('handles images whose shared tags span no Windows variants', () => {
    expect(advise('satosa:8')).toEqual({
      tag: '8',
      why: 'listed',
      alternatives: ['8-bookworm', '8-alpine3.22', '8-alpine']
    })
    expect(advise('satosa')).toMatchObject({ tag: 'latest', why: 'untagged' })
  })

  it('never recommends Windows tags, even for a Windows-only shared tag', () => {
    expect(advise('python:3.14-windowsservercore')).toEqual({
      tag: '3.14-windowsservercore',
      why: 'listed',
      alternatives: []
    })
  })

  it.each([
    'python:3.12-slim-bookworm',
    'python:3.12-slim',
    'python:slim',
    'python:3.14-windowsservercore-ltsc2022',
    'golang:1.26-alpine',
    'eclipse-temurin:21-jdk-noble',
    'docker:29',
    'docker:latest',
    'docker'
  ])('does not flag the simple tag %s', (raw) => {
    expect(advise(raw)).toBeUndefined()
  })

  it('infers that plain versions never listed are shared and points at the nearest listed version', () => {
    expect(advise('python:3.2')).toEqual({
      tag: '3.2',
      why: 'inferred',
      alternatives: ['3.10-slim-trixie', '3.10-slim-bookworm', '3.10-trixie']
    })
    expect(advise('python:3.9.99')).toMatchObject({
      why: 'inferred',
      alternatives: ['3.10.21-slim-trixie', '3.10.21-slim-bookworm', '3.10.21-trixie']
    })
    expect(advise('golang:1.99')).toMatchObject({
      why: 'inferred',
      alternatives: ['1.27-trixie', '1.27-bookworm', '1.27-alpine3.24']
    })
    expect(advise('python:v3.12')).toMatchObject({
      why: 'inferred',
      alternatives: ['3.12-slim-trixie', '3.12-slim-bookworm', '3.12-trixie']
    })
    expect(advise('python:3.9.18.1')).toMatchObject({
      why: 'inferred',
      alternatives: ['slim-trixie', 'slim-bookworm', 'trixie']
    })
  })

  it.each(['docker:28', 'hello-world:1', 'hola-mundo:1'])(
    'does not infer %s, of an image whose plain versions are not shared tags now',
    (raw) => {
      expect(advise(raw)).toBeUndefined()
    }
  )

  it('knows tags shared in their last listing that the snapshot no longer lists, and when that was', () => {
    expect(advise('openjdk:8-jdk')).toEqual({
      tag: '8-jdk',
      why: 'retired',
      lastListed: '2022-08-04',
      alternatives: []
    })
    expect(advise('python:3.6-windowsservercore')).toEqual({
      tag: '3.6-windowsservercore',
      why: 'retired',
      lastListed: '2019-07-08',
      alternatives: []
    })
    expect(advise('adoptopenjdk')).toEqual({
      tag: 'latest',
      why: 'retired',
      lastListed: '2021-05-10',
      alternatives: []
    })
  })

  it('points a retired tag at the nearest listed shared tag of the same form, else of its version', () => {
    expect(advise('python:3.9')).toEqual({
      tag: '3.9',
      why: 'retired',
      lastListed: '2025-10-31',
      alternatives: ['3.10-slim-trixie', '3.10-slim-bookworm', '3.10-trixie']
    })
    expect(advise('eclipse-temurin:11.0.16_8-jdk')).toMatchObject({
      why: 'retired',
      alternatives: ['11.0.32_9-jdk-resolute', '11.0.32_9-jdk-noble', '11.0.32_9-jdk-jammy']
    })
    expect(advise('caddy:2.0.0-rc.3')).toMatchObject({
      why: 'retired',
      alternatives: ['2.11.4-alpine', '2.11.4-builder-alpine', '2.11-alpine']
    })
  })

  it.each(['python:3.6-slim', 'openjdk:8-jdk-slim', 'openjdk:17-jre'])(
    'does not flag %s, which was not a shared tag in its last listing',
    (raw) => {
      expect(advise(raw)).toBeUndefined()
    }
  )

  it.each(['python:3.9-slim', 'python:3.9-alpine3.18', 'python:3.9-bookworm'])(
    'does not infer %s, which names a variant',
    (raw) => {
      expect(advise(raw)).toBeUndefined()
    }
  )

  it.each(['python:3.12@sha256:0123456789abcdef', 'python@sha256:0123456789abcdef'])(
    'does not flag digest-pinned %s',
    (raw) => {
      expect(advise(raw)).toBeUndefined()
    }
  )

  it.each([
    'ghcr.io/library/python:3.12',
    'myorg/python:3.12',
    'localhost:5000/python:3.12',
    'registry.example.com:5000/library/python'
  ])('does not flag %s, which is not a Docker Hub official image', (raw) => {
    expect(advise(raw)).toBeUndefined()
  })

  it.each(['scratch', 'scratch:latest', 'alpine', 'ubuntu:24.04', 'constructor:1'])(
    'does not flag %s, an image without shared tags',
    (raw) => {
      expect(advise(raw)).toBeUndefined()
    }
  )

  it('names the snapshot it was generated from', () => {
    expect(SHARED_TAGS_SNAPSHOT.commit).toMatch(/^[0-9a-f]{40}$/)
    expect(SHARED_TAGS_SNAPSHOT.date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })
})

/** Every tag the history lists as no longer listed is advised against as retired, with its date; the rest as listed. */
function historyMistakes(history: string): string[] {
  const rows = readFileSync(history, 'utf8').trimEnd().split('\n').slice(1)
  return rows.flatMap((row) => {
    const [image, tag, , date, stillListed] = row.split('\t')
    const advice = advise(`${image}:${tag}`)
    const expected = stillListed === 'yes' ? 'listed' : `retired on ${date}`
    const got = advice?.why === 'retired' ? `retired on ${advice.lastListed}` : advice?.why
    return got === expected ? [] : [`${image}:${tag} is ${got ?? 'not shared'}, not ${expected}`]
  })
}

/** What the generator writes for `library`. */
function generate(library: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'shared-tags-'))
  try {
    const output = join(dir, 'shared-tags.json')
    execFileSync(process.execPath, [GENERATOR, library, output])
    return readFileSync(output)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

type SharedTagsFile = { snapshot: unknown; images: Record<string, unknown> }

/** Every tag a library file lists as shared is advised against with simple Linux tags; no simple tag is. */
function classificationMistakes(library: string): string[] {
  const mistakes: string[] = []
  for (const image of readdirSync(library)) {
    const { simple, shared } = libraryTags(library, image)
    for (const tag of shared) {
      const advice = advise(`${image}:${tag}`)
      if (advice?.why !== 'listed') mistakes.push(`${image}:${tag} should be listed as shared`)
      const wrong = advice?.alternatives.filter(
        (alternative) => !simple.includes(alternative) || /windowsservercore|nanoserver/.test(alternative)
      )
      if (wrong?.length) mistakes.push(`${image}:${tag} recommends ${wrong.join(', ')}`)
    }
    for (const tag of simple) {
      if (advise(`${image}:${tag}`)) mistakes.push(`${image}:${tag} is simple`)
    }
  }
  return mistakes
}

describe('shared-tags.json against part of the official-images library', () => {
  it('holds what the generator makes of those definitions, for those images', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as SharedTagsFile
    const generated = JSON.parse(generate(PART_OF_LIBRARY).toString('utf8')) as SharedTagsFile
    expect(generated.snapshot).toEqual(committed.snapshot)
    expect(Object.keys(generated.images).sort()).toEqual(['caddy', 'hola-mundo', 'python'])
    for (const [image, entry] of Object.entries(generated.images)) expect(committed.images[image]).toEqual(entry)
  })

  it('refuses a shared-tag history from another snapshot than the library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'official-images-'))
    try {
      cpSync(join(PART_OF_LIBRARY, '..'), dir, { recursive: true })
      const history = join(dir, 'historical-shared-tags.tsv')
      writeFileSync(history, readFileSync(history, 'utf8').replace(/^(python\t3\.12\t.*\t)yes$/m, '$1no'))
      expect(() => generate(join(dir, 'library'))).toThrow(/disagree on whether python:3\.12 is listed/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('classifies every SharedTags tag there as shared and every simple tag as not', () => {
    expect(classificationMistakes(PART_OF_LIBRARY)).toEqual([])
  })

  it('classifies every tag of the shared-tag history there as listed or retired on the date of its last listing', () => {
    expect(historyMistakes(join(PART_OF_LIBRARY, '..', 'historical-shared-tags.tsv'))).toEqual([])
  })
})

describe('shared-tags.json against the official-images library', () => {
  itWithLibrary(withLibrary('equals what the generator produces now'), () => {
    expect(generate(LIBRARY).equals(readFileSync(COMMITTED))).toBe(true)
  })

  itWithLibrary(withLibrary('classifies every SharedTags tag as shared and every simple tag as not'), () => {
    expect(classificationMistakes(LIBRARY)).toEqual([])
  })

  itWithLibrary(
    withLibrary('classifies every tag of the shared-tag history as listed or retired on its last date'),
    () => {
      expect(historyMistakes(join(LIBRARY, '..', 'historical-shared-tags.tsv'))).toEqual([])
    }
  )
})
