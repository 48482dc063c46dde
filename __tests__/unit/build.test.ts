import { describe, expect, it } from '@jest/globals'
import { condaMarkersIn, historyKeyword, imageTagFor, mapLayers, median, redactorFor } from '../../src/build.js'
import { decodeBuildLines, imageStoreOf, unpackedSizeForPlatform } from '../../src/engine.js'

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
  it('decodes the base64 log lines dockerode leaves encoded and keeps the rest', () => {
    const encoded = Buffer.from('hello\nworld\n').toString('base64')
    const warning = Buffer.from('deprecated syntax').toString('base64')
    expect(
      decodeBuildLines(`[sha256:ab12c] RUN echo hi\n${encoded}\nWARNING: ${warning}\nERROR: failed to solve\n`)
    ).toEqual(['[sha256:ab12c] RUN echo hi', 'hello', 'world', 'WARNING: deprecated syntax', 'ERROR: failed to solve'])
  })

  it('redacts every NAME=value of a build-arg, and bare values of three or more characters', () => {
    const redact = redactorFor({ TOKEN: 'hunter2', SHORT: 'ab', BASE: 'slim' })
    expect(redact('RUN |3 TOKEN=hunter2 SHORT=ab BASE=slim /bin/sh -c echo hunter2 ab')).toBe(
      'RUN |3 TOKEN=*** SHORT=*** BASE=*** /bin/sh -c echo *** ab'
    )
    expect(redact('OTHER=ab SHORT=abc')).toBe('OTHER=ab SHORT=abc')
    expect(redactorFor({})('unchanged')).toBe('unchanged')
  })

  it('makes valid, side-specific image tags from any variant name', () => {
    expect(imageTagFor({ name: 'docker/API:Runtime', dockerfile: 'x', context: '.', buildArgs: {} }, 'base')).toBe(
      'slimcheck/docker/api-runtime:base'
    )
    expect(imageTagFor({ name: '--', dockerfile: 'x', context: '.', buildArgs: {} }, 'head')).toBe(
      'slimcheck/variant:head'
    )
    expect(imageTagFor({ name: 'docs/<b>evil|name</b>', dockerfile: 'x', context: '.', buildArgs: {} }, 'head')).toBe(
      'slimcheck/docs/b-evil-name/b:head'
    )
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

  // The containerd store cannot be started on every machine; this is the documented shape of GET /images/json?manifests=1.
  it('reads the unpacked size of the built platform from the manifest summaries', () => {
    const manifests = [
      { Kind: 'attestation' },
      { Kind: 'image', ImageData: { Platform: { os: 'linux', architecture: 'arm64' }, Size: { Unpacked: 5 } } },
      { Kind: 'image', ImageData: { Platform: { os: 'linux', architecture: 'amd64' }, Size: { Unpacked: 7 } } }
    ]
    expect(unpackedSizeForPlatform(manifests, 'linux', 'amd64', 99, 'linux/amd64')).toMatchObject({
      sizeBytes: 7,
      sizeSource: expect.stringContaining('Unpacked for linux/amd64')
    })
    expect(unpackedSizeForPlatform([], 'linux', 'amd64', 99, 'linux/amd64')).toMatchObject({
      sizeBytes: 99,
      sizeSource: expect.stringContaining('no per-platform unpacked size')
    })
  })
})

describe('conda markers', () => {
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
    expect(condaMarkersIn(entries, ['opt/conda/bin', 'usr/bin'], ['CONDA_DIR'])).toEqual({
      prefixes: [{ path: '/opt/conda', sizeBytes: 1110 }],
      commandsOnPath: ['/opt/conda/bin/conda'],
      envNames: ['CONDA_DIR']
    })
    expect(condaMarkersIn([{ name: 'usr/bin/python3', size: 1 }], ['usr/bin'], [])).toEqual({
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
    expect(condaMarkersIn(entries, ['opt/env'], []).commandsOnPath).toEqual(['/opt/conda/bin/mamba'])
    expect(condaMarkersIn(entries, ['usr/local/app'], []).commandsOnPath).toEqual(['/opt/conda/bin/mamba'])
  })
})
