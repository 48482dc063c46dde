import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { analyzeDockerfile } from '../../src/analyze/index.js'
import { buildContext } from '../../src/measure/context.js'
import { fingerprintVariant, readBySources } from '../../src/measure/fingerprint.js'
import type { Fingerprint, Variant } from '../../src/types.js'
import { makeWorkspace } from '../support/workspace.js'

const inputsOf = (text: string, target?: string, buildArgs: Record<string, string> = {}) =>
  analyzeDockerfile({ text, file: 'Dockerfile', target, buildArgs, allowedCondaImages: [] }).inputs

describe('what a build reads', () => {
  it('lists external images of the stages built and the context paths COPY, ADD and bind mounts read', () => {
    const inputs = inputsOf(
      [
        'FROM golang:1.26 AS build',
        'COPY go.mod go.sum ./',
        'COPY ["cmd/", "/src/cmd/"]',
        'RUN --mount=type=bind,source=internal,target=/src/internal --mount=type=cache,target=/root/.cache go build',
        'FROM alpine:3.20 AS unused',
        'COPY unused.txt /',
        'FROM gcr.io/distroless/static@sha256:abc123',
        'COPY --from=build /out/app /app',
        'COPY --from=busybox:1.36 /bin/sh /bin/sh',
        'ADD ./static/*.css /www/',
        'COPY <<EOF /etc/motd',
        'hello',
        'EOF'
      ].join('\n')
    )
    expect(inputs?.images.map((image) => image.raw)).toEqual([
      'golang:1.26',
      'gcr.io/distroless/static@sha256:abc123',
      'busybox:1.36'
    ])
    expect(inputs?.contextSources).toEqual(['cmd', 'go.mod', 'go.sum', 'internal', 'static/*.css'])
    expect(inputs?.unfingerprintable).toBeUndefined()
  })

  it('reads the whole context for `.`, a variable or a bind mount of the root', () => {
    expect(inputsOf('FROM scratch\nCOPY . /app\n')?.contextSources).toBe('all')
    expect(inputsOf('FROM scratch\nARG SRC=app\nCOPY $SRC /app\n')?.contextSources).toBe('all')
    expect(inputsOf('FROM busybox\nRUN --mount=type=bind,target=/ctx ls /ctx\n')?.contextSources).toBe('all')
  })

  it('cannot fingerprint what is fetched at build time', () => {
    expect(inputsOf('FROM scratch\nADD https://example.com/tool.tgz /tool.tgz\n')?.unfingerprintable).toBe(
      'ADD https://example.com/tool.tgz at Dockerfile:2 fetches it at build time'
    )
    expect(inputsOf('FROM scratch\nADD "https://example.com/tool.tgz" /tool.tgz\n')?.unfingerprintable).toBe(
      'ADD https://example.com/tool.tgz at Dockerfile:2 fetches it at build time'
    )
  })

  it('reads shell-form sources without their quotes and escapes, as BuildKit expands them', () => {
    expect(inputsOf(`FROM scratch\nCOPY "app" 'lib' conf\\.d /x/\n`)?.contextSources).toEqual(['app', 'conf.d', 'lib'])
    expect(inputsOf('FROM scratch\nCOPY "$SRC" /x/\n')?.contextSources).toBe('all')
  })

  it('keeps an escape character inside double quotes before other characters, drops one ending a word, and honours `# escape=`', () => {
    // Checked against BuildKit: each of these files is what the build copies.
    expect(inputsOf('FROM scratch\nCOPY "a\\b" "q\\"x" c\\ /x/\n')?.contextSources).toEqual(['a\\b', 'c', 'q"x'])
    expect(inputsOf('FROM scratch\nCOPY ["a\\\\b", "\'lib\'", "/x/"]\n')?.contextSources).toEqual(['ab', 'lib'])
    expect(inputsOf('# escape=`\nFROM scratch\nCOPY e\\f "a`"b" g`h /x/\n')?.contextSources).toEqual([
      'a"b',
      'e\\f',
      'gh'
    ])
  })

  it('counts the frontend image a `# syntax=` directive names, or BUILDKIT_SYNTAX, which wins, as BuildKit does', () => {
    const raws = (text: string, buildArgs: Record<string, string> = {}) =>
      inputsOf(text, undefined, buildArgs)?.images.map((image) => image.raw)
    expect(raws('# syntax=docker/dockerfile:1.7\nFROM busybox:1.36\n')).toEqual([
      'busybox:1.36',
      'docker/dockerfile:1.7'
    ])
    expect(raws('#syntax = ghcr.io/acme/frontend:2 --flag\nFROM scratch\n')).toEqual(['ghcr.io/acme/frontend:2'])
    expect(raws('# syntax=docker/dockerfile:1\nFROM scratch\n', { BUILDKIT_SYNTAX: 'acme/dockerfile:3 opt' })).toEqual([
      'acme/dockerfile:3'
    ])
    expect(raws('# a comment first\n# syntax=docker/dockerfile:1\nFROM scratch\n')).toEqual([])
    expect(inputsOf('# syntax=$FRONTEND\nFROM scratch\n')?.unfingerprintable).toBe(
      'the frontend `$FRONTEND` that `# syntax=` at Dockerfile:1 names is not an image reference'
    )
    expect(inputsOf('FROM scratch\n', undefined, { BUILDKIT_SYNTAX: 'Not A Ref' })?.unfingerprintable).toBe(
      'the frontend `Not` that BUILDKIT_SYNTAX names is not an image reference'
    )
  })

  it('matches context entries by path, by directory and by glob', () => {
    expect(readBySources('app/main.py', ['app'])).toBe(true)
    expect(readBySources('application.py', ['app'])).toBe(false)
    expect(readBySources('static/site.css', ['static/*.css'])).toBe(true)
    expect(readBySources('static/site.js', ['static/*.css'])).toBe(false)
    expect(readBySources('go.sum', ['go.mod'])).toBe(false)
  })
})

describe('the fingerprint', () => {
  const variant: Variant = { name: 'app', dockerfile: 'Dockerfile', context: '.', buildArgs: { TOKEN: 'hunter2' } }
  const dockerfile = 'FROM busybox:1.36\nCOPY app/ /app/\n'
  const fingerprint = async (
    dir: string,
    overrides: Partial<Variant> = {},
    text = dockerfile,
    resolve: (reference: string) => Promise<string | undefined> = () => Promise.resolve('sha256:base')
  ) =>
    fingerprintVariant({
      variant: { ...variant, ...overrides },
      platform: overrides.platform ?? 'linux/x86_64',
      dockerfileText: text,
      inputs: inputsOf(text),
      context: buildContext(dir, 'Dockerfile'),
      secretNames: [],
      resolveImage: resolve
    })
  const workspace = (files: Record<string, string> = {}): string =>
    makeWorkspace({ Dockerfile: dockerfile, 'app/main.py': 'print(1)\n', 'notes.txt': 'n', ...files })

  it('is the same for the same inputs in another checkout, whatever the file times', async () => {
    const one = workspace()
    const other = workspace()
    fs.utimesSync(path.join(other, 'app/main.py'), new Date(0), new Date(0))
    expect((await fingerprint(one)).digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((await fingerprint(one)).digest).toBe((await fingerprint(other)).digest)
  })

  it('changes with what the build reads, and not with what it does not', async () => {
    const base = (await fingerprint(workspace())).digest
    expect((await fingerprint(workspace({ 'notes.txt': 'changed' }))).digest).toBe(base)
    expect((await fingerprint(workspace({ 'app/main.py': 'print(2)\n' }))).digest).not.toBe(base)
    expect((await fingerprint(workspace(), { buildArgs: { TOKEN: 'other' } })).digest).not.toBe(base)
    expect((await fingerprint(workspace(), { target: 'x' })).digest).not.toBe(base)
    expect((await fingerprint(workspace(), {}, `${dockerfile}# comment\n`)).digest).not.toBe(base)
    const moved = (): Promise<string | undefined> => Promise.resolve('sha256:newer-base')
    expect((await fingerprint(workspace(), {}, dockerfile, moved)).digest).not.toBe(base)
  })

  it("changes with the frontend image's identity, and cannot be had when the frontend cannot be resolved", async () => {
    const text = `# syntax=docker/dockerfile:1\n${dockerfile}`
    const frontendAt = (identity: string | undefined) => (reference: string) =>
      Promise.resolve(reference === 'docker/dockerfile:1' ? identity : 'sha256:base')
    const before = await fingerprint(workspace(), {}, text, frontendAt('sha256:frontend-1'))
    expect(before.digest).toMatch(/^sha256:/)
    expect((await fingerprint(workspace(), {}, text, frontendAt('sha256:frontend-2'))).digest).not.toBe(before.digest)
    expect(await fingerprint(workspace(), {}, text, frontendAt(undefined))).toEqual({
      unfingerprintable: 'the image `docker/dockerfile:1` could be resolved neither by a registry nor locally'
    })
  })

  it('covers the names of the secrets a build is given, in any order', async () => {
    const withSecrets = async (secretNames: string[]) =>
      (
        await fingerprintVariant({
          variant,
          platform: 'linux/x86_64',
          dockerfileText: dockerfile,
          inputs: inputsOf(dockerfile),
          context: buildContext(workspace(), 'Dockerfile'),
          secretNames,
          resolveImage: () => Promise.resolve('sha256:base')
        })
      ).digest
    const none = await withSecrets([])
    const two = await withSecrets(['npmrc', 'pip-index'])
    expect(two).not.toBe(none)
    expect(await withSecrets(['pip-index', 'npmrc'])).toBe(two)
    expect(await withSecrets(['npmrc'])).not.toBe(two)
  })

  it('keeps build-arg values out, and says why when an image cannot be resolved', async () => {
    const result = await fingerprint(workspace())
    expect(JSON.stringify(result)).not.toContain('hunter2')
    expect(await fingerprint(workspace(), {}, dockerfile, () => Promise.resolve(undefined))).toEqual({
      unfingerprintable: 'the image `busybox:1.36` could be resolved neither by a registry nor locally'
    })
  })
})

describe('the files a fingerprint reads', () => {
  const digestOf = async (dir: string, text: string, platform = 'linux/x86_64'): Promise<string | undefined> =>
    (
      await fingerprintVariant({
        variant: { name: 'app', dockerfile: 'Dockerfile', context: '.', buildArgs: {} },
        platform,
        dockerfileText: text,
        inputs: inputsOf(text),
        context: buildContext(dir, 'Dockerfile'),
        secretNames: [],
        resolveImage: () => Promise.resolve('sha256:base')
      })
    ).digest

  it('follows a symbolic link a source names, or one on the way to it, to what it leads to', async () => {
    const text = 'FROM busybox:1.36\nCOPY config.yml /etc/\nCOPY current/app.py /app/\n'
    const workspace = (prod: string, app: string): string => {
      const dir = makeWorkspace({ Dockerfile: text, 'configs/prod.yml': prod, 'v2/app.py': app })
      fs.symlinkSync('configs/prod.yml', path.join(dir, 'config.yml'))
      fs.symlinkSync('v2', path.join(dir, 'current'))
      return dir
    }
    const base = await digestOf(workspace('a', 'print(1)'), text)
    expect(await digestOf(workspace('a', 'print(1)'), text)).toBe(base)
    expect(await digestOf(workspace('bbbbbbbb', 'print(1)'), text)).not.toBe(base)
    expect(await digestOf(workspace('a', 'print(2)'), text)).not.toBe(base)
  })

  it('resolves `..` inside the context, as BuildKit does', async () => {
    const text = 'FROM busybox:1.36\nCOPY ../config.json /\n'
    const base = await digestOf(makeWorkspace({ Dockerfile: text, 'config.json': '{}' }), text)
    expect(await digestOf(makeWorkspace({ Dockerfile: text, 'config.json': '{"a":1}' }), text)).not.toBe(base)
  })

  it('reads the files a COPY names beside a heredoc', () => {
    expect(inputsOf('FROM busybox\nCOPY <<EOF notes.txt /d/\nhello\nEOF\n')?.contextSources).toEqual(['notes.txt'])
  })

  it('tells platforms apart, the engine’s own included', async () => {
    const text = 'FROM busybox:1.36\n'
    const dir = makeWorkspace({ Dockerfile: text })
    expect(await digestOf(dir, text, 'linux/aarch64')).not.toBe(await digestOf(dir, text, 'linux/x86_64'))
  })
})

describe('a base image with ONBUILD triggers', () => {
  const text = 'FROM acme/onbuild-base:1\nCOPY app/ /app/\n'
  const digestWith = async (
    dir: string,
    onBuild: Record<string, string[] | undefined>,
    dockerfile = text
  ): Promise<Fingerprint> =>
    fingerprintVariant({
      variant: { name: 'app', dockerfile: 'Dockerfile', context: '.', buildArgs: {} },
      platform: 'linux/x86_64',
      dockerfileText: dockerfile,
      inputs: inputsOf(dockerfile),
      context: buildContext(dir, 'Dockerfile'),
      secretNames: [],
      resolveImage: () => Promise.resolve('sha256:base'),
      imageOnBuild: (reference) => Promise.resolve(onBuild[reference])
    })
  const workspace = (notes: string, dockerfile = text): string =>
    makeWorkspace({ Dockerfile: dockerfile, 'app/main.py': 'print(1)\n', 'notes.bin': notes })

  it.each([
    ['COPY . /app', ['COPY . /app']],
    ['ADD', ['RUN echo hi', 'add data.tgz /data']],
    ['RUN with a bind mount', ['RUN --mount=type=bind,target=/src make -C /src']],
    ['triggers that cannot be known', undefined]
  ])('reads the whole context for %s', async (_, triggers) => {
    const onBuild = { 'acme/onbuild-base:1': triggers }
    const before = await digestWith(workspace('x'), onBuild)
    expect((await digestWith(workspace('x'.repeat(5_000_000)), onBuild)).digest).not.toBe(before.digest)
  })

  it('reads only what the Dockerfile names when the triggers read no context, or belong to an image not built on', async () => {
    const unread = async (onBuild: Record<string, string[] | undefined>, dockerfile = text): Promise<void> =>
      expect((await digestWith(workspace('changed', dockerfile), onBuild, dockerfile)).digest).toBe(
        (await digestWith(workspace('x', dockerfile), onBuild, dockerfile)).digest
      )
    await unread({ 'acme/onbuild-base:1': [] })
    await unread({ 'acme/onbuild-base:1': ['RUN make', 'ENV A=1'] })
    const copiesFrom = 'FROM busybox:1.36\nCOPY --from=acme/onbuild-base:1 /x /x\nCOPY app/ /app/\n'
    await unread({ 'busybox:1.36': [], 'acme/onbuild-base:1': ['COPY . /app'] }, copiesFrom)
  })

  it('cannot be fingerprinted when a trigger reads from an image or fetches', async () => {
    for (const trigger of ['COPY --from=acme/tools:1 /bin/tool /bin/', 'ADD https://example.com/x.tgz /x']) {
      expect(await digestWith(workspace('x'), { 'acme/onbuild-base:1': [trigger] })).toEqual({
        unfingerprintable: `the base \`acme/onbuild-base:1\` has \`ONBUILD ${trigger}\`, which reads outside the context`
      })
    }
  })
})
