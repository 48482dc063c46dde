import { describe, expect, it, jest } from '@jest/globals'
import { imageTagFor, median, sharedFilesFor } from '../../src/measure/build.js'
import { explainBuildError } from '../../src/engine/buildkit.js'
import { apiAtLeast, contextMustBeFetched, imageStoreOf, unpackedSizeForPlatform } from '../../src/engine/index.js'
import { replayLayers, type ImageFiles } from '../../src/measure/bytes/replay.js'
import type { FilesystemEntry } from '../../src/measure/image-archive.js'
import { condaMarkersIn } from '../../src/measure/image-conda.js'
import { historyKeyword, mapLayers, stepLine } from '../../src/measure/layers.js'
import { layerFiles } from '../support/layer-files.js'
import { redactorFor, secretFragments, secretValues } from '../../src/redact.js'

describe('history keywords', () => {
  it.each([
    ['RUN |1 TOKEN=x /bin/sh -c echo hi # buildkit', 'RUN'],
    ['RUN /bin/sh -c apt-get update # buildkit', 'RUN'],
    ['COPY app/ . # buildkit', 'COPY'],
    ['ENV FOO=bar', 'ENV'],
    ['CMD ["sh"]', 'CMD'],
    ['/bin/sh -c #(nop)  CMD ["bash"]', 'CMD'],
    ['/bin/sh -c apt-get update', 'RUN'],
    ['', undefined]
  ])('%p → %p', (createdBy, keyword) => {
    expect(historyKeyword(createdBy)).toBe(keyword)
  })
})

describe('mapLayers', () => {
  it('pairs the newest history entries with the production chain and leaves the base image unmatched', () => {
    const history = [
      { createdBy: '', sizeBytes: 80_000_000 },
      { createdBy: '/bin/sh -c #(nop)  CMD ["bash"]', sizeBytes: 0 },
      { createdBy: 'RUN /bin/sh -c apt-get install python3 # buildkit', sizeBytes: 30_000_000 },
      { createdBy: 'WORKDIR /app', sizeBytes: 0 },
      { createdBy: 'COPY app/ . # buildkit', sizeBytes: 1_000 },
      { createdBy: 'CMD ["python3"]', sizeBytes: 0 }
    ]
    const instructions = [
      { line: 1, keyword: 'FROM', text: 'FROM debian:bookworm-slim' },
      { line: 2, keyword: 'RUN', text: 'RUN apt-get install python3' },
      { line: 3, keyword: 'ARG', text: 'ARG X' },
      { line: 4, keyword: 'WORKDIR', text: 'WORKDIR /app' },
      { line: 5, keyword: 'COPY', text: 'COPY app/ .' },
      { line: 6, keyword: 'CMD', text: 'CMD ["python3"]' }
    ]
    expect(mapLayers(history, instructions).map((layer) => layer.instruction?.line)).toEqual([
      undefined,
      undefined,
      2,
      4,
      5,
      6
    ])
  })
})

describe('build output', () => {
  it('redacts every NAME=value of a build-arg, and bare values of three or more characters', () => {
    const redact = redactorFor({ TOKEN: 'hunter2', SHORT: 'ab', BASE: 'slim' })
    expect(redact('RUN |3 TOKEN=hunter2 SHORT=ab BASE=slim /bin/sh -c echo hunter2 ab')).toBe(
      'RUN |3 TOKEN=*** SHORT=*** BASE=*** /bin/sh -c echo *** ab'
    )
    expect(redact('OTHER=ab SHORT=abc')).toBe('OTHER=ab SHORT=abc')
    expect(redactorFor({})('unchanged')).toBe('unchanged')
  })

  it('redacts each line of a multi-line value, its JSON form, and secrets', () => {
    const redact = redactorFor({ ML: 'part1-AAA\npart2-BBB' }, { token: 'ghp_abc123' })
    expect(redact('part1-AAA')).toBe('***')
    expect(redact('#7 0.2 part2-BBB')).toBe('#7 0.2 ***')
    expect(redact('error: "part1-AAA\\npart2-BBB" is bad')).toBe('error: "***" is bad')
    expect(redact('curl -H "Authorization: ghp_abc123"')).toBe('curl -H "Authorization: ***"')
    expect(secretFragments('a\nbcd\n\n')).toEqual(expect.arrayContaining(['a\nbcd\n\n', 'bcd', 'a\\nbcd\\n\\n']))
  })

  it('redacts the frontend image that BUILDKIT_SYNTAX names with its first word, where messages name it alone', () => {
    const redact = redactorFor({ BUILDKIT_SYNTAX: 'acme/private-frontend:3 opt=1' })
    expect(redact('the frontend `acme/private-frontend:3` that BUILDKIT_SYNTAX names')).toBe(
      'the frontend `***` that BUILDKIT_SYNTAX names'
    )
    expect(redact('failed to resolve docker.io/acme/private-frontend:3')).toBe('failed to resolve docker.io/***')
    expect(redactorFor({ OTHER: 'acme/private-frontend:3 opt=1' })('acme/private-frontend:3')).toBe(
      'acme/private-frontend:3'
    )
    expect(redactorFor({ BUILDKIT_SYNTAX: 'ab opt=1' })('--build-arg BUILDKIT_SYNTAX=ab')).toBe(
      '--build-arg BUILDKIT_SYNTAX=***'
    )
    // The workflow log masks the same pieces.
    expect(secretValues({ BUILDKIT_SYNTAX: 'acme/f:3 opt=1', TOKEN: 'x1' }, { id: 's3cret' })).toEqual([
      'acme/f:3 opt=1',
      'acme/f:3',
      'x1',
      's3cret'
    ])
  })

  it('makes valid image tags from any variant name, specific to the side, the run and the build', () => {
    const tag = (name: string, side: string, build = 1): string =>
      imageTagFor({ name, dockerfile: 'x', context: '.', buildArgs: {} }, side, build)
    const runId = /:head-([0-9a-f]{8})-1$/.exec(tag('api', 'head'))![1]
    expect(tag('docker/API:Runtime', 'base', 2)).toBe(`slimcheck/docker/api-runtime:base-${runId}-2`)
    expect(tag('--', 'head')).toBe(`slimcheck/variant:head-${runId}-1`)
    expect(tag('docs/<b>evil|name</b>', 'head')).toBe(`slimcheck/docs/b-evil-name/b:head-${runId}-1`)
  })

  it('gives another run (another process, its own copy of the module) other image names', async () => {
    const variant = { name: 'api', dockerfile: 'x', context: '.', buildArgs: {} }
    jest.resetModules()
    const another = await import('../../src/measure/build.js')
    expect(another.imageTagFor(variant, 'head', 1)).not.toBe(imageTagFor(variant, 'head', 1))
  })

  it('takes the median', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
})

describe('image store', () => {
  it('detects the containerd image store from DriverStatus', () => {
    expect(imageStoreOf({ DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] })).toBe('containerd')
    expect(imageStoreOf({ DriverStatus: [['Backing Filesystem', 'extfs']] })).toBe('overlay2')
  })

  // The containerd store cannot be started on every machine; this is the documented shape of GET
  // /images/json?manifests=1.
  it('reads the unpacked size of the built platform from the manifest summaries', () => {
    const manifests = [
      { Kind: 'attestation' },
      { Kind: 'image', ImageData: { Platform: { os: 'linux', architecture: 'arm64' }, Size: { Unpacked: 5 } } },
      { Kind: 'image', ImageData: { Platform: { os: 'linux', architecture: 'amd64' }, Size: { Unpacked: 7 } } }
    ]
    expect(unpackedSizeForPlatform(manifests, 'linux', 'amd64', 99)).toMatchObject({
      sizeBytes: 7,
      source: expect.stringContaining('Unpacked for linux/amd64')
    })
    expect(unpackedSizeForPlatform([], 'linux', 'amd64', 99)).toMatchObject({
      sizeBytes: 99,
      source: expect.stringContaining('compressed content')
    })
  })

  it('knows which engines must fetch the build context (moby/moby#47717)', () => {
    expect(contextMustBeFetched({ version: '26.1.5+dfsg1', store: 'containerd' })).toBe(true)
    expect(contextMustBeFetched({ version: '27.4.1', store: 'containerd' })).toBe(true)
    expect(contextMustBeFetched({ version: '27.5.0', store: 'containerd' })).toBe(false)
    expect(contextMustBeFetched({ version: '28.5.2', store: 'containerd' })).toBe(false)
    expect(contextMustBeFetched({ version: '26.1.5', store: 'overlay2' })).toBe(false)
    expect(contextMustBeFetched({ version: '23.0.1', store: 'containerd' })).toBe(false)
  })

  it('names the engine, the store and the way out when BuildKit cannot read the context', () => {
    const error =
      'failed to read downloaded context: failed to load cache key: Get "http://build-context-x": no such host'
    const served = explainBuildError(error, { version: '26.1.5', fetchesContext: true })
    expect(served).toMatch(/^Docker 26\.1\.5 with the containerd image store cannot read the build context/)
    expect(served).toContain('moby/moby#47717')
    expect(served).toContain('an engine in a VM, such as Docker Desktop, cannot reach it')
    expect(served).toContain('Use Docker 27.5 or later, or the classic image store')
    expect(served).toContain(error)
    const refused =
      'failed to read downloaded context: failed to load cache key: Get "http://127.0.0.1:41234/3f9c/context.tar": ' +
      'dial tcp 127.0.0.1:41234: connect: connection refused'
    expect(explainBuildError(refused, { version: '26.1.5', fetchesContext: true })).toContain('moby/moby#47717')
    expect(explainBuildError(error, { version: '28.5.2', fetchesContext: false })).toBe(error)
    expect(explainBuildError('exit code: 3', { version: '26.1.5', fetchesContext: true })).toBe('exit code: 3')
  })

  it("leaves the engine's words alone when the context could not be read for a reason of its own", () => {
    // As Docker 28.5 with the containerd store says it when its disk is full.
    const full =
      'failed to read downloaded context: failed to load cache key: failed to prepare  as ivsvge0wwinwe3hk4sqkbw5um: ' +
      'failed to create prepare snapshot dir: failed to create temp dir: mkdir /var/lib/docker/containerd/daemon/' +
      'io.containerd.snapshotter.v1.overlayfs/snapshots/new-4196381807: no space left on device'
    for (const engine of [
      { version: '28.5.2', fetchesContext: false },
      { version: '26.1.5', fetchesContext: true }
    ]) {
      expect(explainBuildError(full, engine)).toBe(full)
    }
  })

  it('compares API versions', () => {
    expect(apiAtLeast('1.51', '1.48')).toBe(true)
    expect(apiAtLeast('1.48', '1.48')).toBe(true)
    expect(apiAtLeast('1.45', '1.48')).toBe(false)
    expect(apiAtLeast('2.0', '1.48')).toBe(true)
  })
})

describe('build steps', () => {
  const stages = [
    {
      name: 'builder',
      line: 1,
      base: 'debian:bookworm-slim',
      instructions: [
        { line: 1, keyword: 'FROM', text: 'FROM debian:bookworm-slim AS builder' },
        { line: 2, keyword: 'RUN', text: 'RUN make' },
        { line: 3, keyword: 'RUN', text: 'RUN   make   install' }
      ]
    },
    {
      line: 4,
      base: 'debian:bookworm-slim',
      instructions: [
        { line: 4, keyword: 'FROM', text: 'FROM debian:bookworm-slim' },
        { line: 5, keyword: 'COPY', text: 'COPY --from=builder /out /out' },
        { line: 6, keyword: 'RUN', text: 'RUN make' }
      ]
    }
  ]

  it('pairs steps with the lines of their stage by keyword and text', () => {
    const taken = new Set<number>()
    expect(stepLine('[builder 3/3] RUN make install', stages, taken)).toBe(3)
    expect(stepLine('[builder 2/3] RUN make', stages, taken)).toBe(2)
    expect(stepLine('[stage-1 2/3] COPY --from=builder /out /out', stages, taken)).toBe(5)
    expect(stepLine('[stage-1 3/3] RUN make', stages, taken)).toBe(6)
    expect(stepLine('[stage-1 1/3] FROM docker.io/library/debian:bookworm-slim', stages, taken)).toBe(4)
    expect(stepLine('[internal] load build definition from Dockerfile', stages, taken)).toBeUndefined()
    expect(stepLine('exporting to image', stages, taken)).toBeUndefined()
  })

  it('takes the one stage when BuildKit names none', () => {
    expect(stepLine('[2/3] RUN make', [stages[1]], new Set())).toBe(6)
  })
})

describe('what the base side borrows from the head checkout', () => {
  const shared = { root: '/tmp/base', from: '/work/head', paths: ['.git', 'out', 'api/gen.txt', 'tools'] }

  it('maps repository paths onto each context', () => {
    expect(sharedFilesFor(shared, '/tmp/base')).toEqual({
      dir: '/work/head',
      roots: ['.git', 'out', 'api/gen.txt', 'tools']
    })
    expect(sharedFilesFor(shared, '/tmp/base/api')).toEqual({ dir: '/work/head/api', roots: ['gen.txt'] })
    expect(sharedFilesFor(shared, '/tmp/base/tools/img')).toEqual({ dir: '/work/head/tools/img', roots: [''] })
    expect(sharedFilesFor(shared, '/tmp/base/web')).toBeUndefined()
    expect(sharedFilesFor(undefined, '/tmp/base')).toBeUndefined()
  })
})

describe('conda markers', () => {
  const filesOf = (entries: FilesystemEntry[]): ImageFiles => replayLayers([layerFiles(entries)])

  it('finds prefixes by conda-meta, sums their bytes, and finds conda commands on PATH', () => {
    const entries = [
      { name: 'opt/conda', size: 0 },
      { name: 'opt/conda/conda-meta', size: 0 },
      { name: 'opt/conda/conda-meta/history', size: 10 },
      { name: 'opt/conda/bin/conda', size: 100 },
      { name: 'opt/conda/envs/app/conda-meta', size: 0 },
      { name: 'opt/conda/envs/app/lib/libpython.so', size: 1000 },
      { name: 'usr/bin/python3', size: 5000 },
      { name: 'usr/local/bin/micromamba', size: 7 }
    ]
    expect(condaMarkersIn(filesOf(entries), ['opt/conda/bin', 'usr/bin'], ['CONDA_DIR'])).toEqual({
      prefixes: [{ path: '/opt/conda', sizeBytes: 1110 }],
      commandsOnPath: ['/opt/conda/bin/conda'],
      envNames: ['CONDA_DIR']
    })
    expect(condaMarkersIn(filesOf([{ name: 'usr/bin/python3', size: 1 }]), ['usr/bin'], [])).toEqual({
      prefixes: [],
      commandsOnPath: [],
      envNames: []
    })
  })

  it('follows a PATH directory that is a symbolic link', () => {
    const entries = [
      { name: 'opt/env', size: 0, link: '/opt/conda/bin' },
      { name: 'opt/conda/bin/mamba', size: 5 },
      { name: 'usr/local/app', size: 0, link: '../../opt/conda/bin' }
    ]
    expect(condaMarkersIn(filesOf(entries), ['opt/env'], []).commandsOnPath).toEqual(['/opt/conda/bin/mamba'])
    expect(condaMarkersIn(filesOf(entries), ['usr/local/app'], []).commandsOnPath).toEqual(['/opt/conda/bin/mamba'])
  })
})
