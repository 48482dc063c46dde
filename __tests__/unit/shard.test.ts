import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parseSettings, parseShard } from '../../src/config.js'
import { buildSeconds, partialReport, shardSelection, splitVariants } from '../../src/shards/split.js'
import type { Report, VariantReport } from '../../src/types.js'
import { build, image, report } from '../support/reports.js'

function built(name: string, seconds?: number): VariantReport {
  return {
    name,
    dockerfile: `Dockerfile.${name}`,
    context: '.',
    buildArgNames: [],
    status: 'built',
    findings: [],
    image: image(1000, [{ sizeBytes: 1000, createdBy: 'RUN true' }]),
    ...(seconds === undefined ? {} : { build: build([seconds]) })
  }
}

const names = (count: number): string[] => Array.from({ length: count }, (_, index) => `v${index}`)

describe('parseShard', () => {
  it('reads I/N', () => {
    expect(parseShard('shard', '2/4')).toEqual({ index: 2, total: 4 })
    expect(parseShard('shard', ' 1 / 1 ')).toEqual({ index: 1, total: 1 })
  })

  it.each([
    ['5/4', "shard: '5/4' is not one of the 4 shards; number them 1 to 4"],
    ['0/4', "shard: '0/4' is not one of the 4 shards; number them 1 to 4"],
    ['1/0', "shard: '1/0' has 0 shards; use 1 to 256"],
    ['1/257', "shard: '1/257' has 257 shards; use 1 to 256"],
    ['2', "shard: '2' is not a shard; use I/N, e.g. 1/4 for the first of four legs"],
    ['one/two', "shard: 'one/two' is not a shard; use I/N, e.g. 1/4 for the first of four legs"],
    ['-1/4', "shard: '-1/4' is not a shard; use I/N, e.g. 1/4 for the first of four legs"]
  ])('rejects %s, naming the input', (value, message) => {
    expect(() => parseShard('shard', value)).toThrow(message)
  })

  it('is a setting of its own, and one that a merge step refuses', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-shard-'))
    expect(parseSettings({ shard: '3/8' }, dir)).toMatchObject({ shard: { index: 3, total: 8 }, merge: [] })
    expect(parseSettings({ merge: 'shards/*.json\nmore/a.json' }, dir)).toMatchObject({
      merge: ['shards/*.json', 'more/a.json']
    })
    expect(parseSettings({}, dir).shard).toBeUndefined()
    expect(() => parseSettings({ shard: '1/2', merge: 'shards/*.json' }, dir)).toThrow(
      /^shard: a merge step builds nothing/
    )
  })
})

describe('splitVariants', () => {
  it('gives every variant to exactly one leg', () => {
    const all = names(23)
    const legs = splitVariants(all, 4)
    expect(legs.flat().sort()).toEqual([...all].sort())
    expect(new Set(legs.flat()).size).toBe(all.length)
  })

  it('splits evenly by count without build times', () => {
    expect(splitVariants(names(10), 4).map((leg) => leg.length)).toEqual([3, 3, 2, 2])
    expect(splitVariants(['c', 'a', 'b', 'd'], 2)).toEqual([
      ['a', 'c'],
      ['b', 'd']
    ])
  })

  it('is the same split whatever order the names come in', () => {
    const seconds = new Map([
      ['a', 30],
      ['b', 30],
      ['c', 5],
      ['d', 12]
    ])
    const expected = splitVariants(['a', 'b', 'c', 'd', 'e'], 3, seconds)
    expect(splitVariants(['e', 'd', 'c', 'b', 'a'], 3, seconds)).toEqual(expected)
    expect(splitVariants(['c', 'e', 'a', 'd', 'b'], 3, seconds)).toEqual(expected)
  })

  it('puts the longest builds first, each on the leg with the least time so far', () => {
    const seconds = new Map([
      ['a', 10],
      ['b', 9],
      ['c', 8],
      ['d', 1],
      ['e', 1],
      ['f', 1]
    ])
    expect(splitVariants(['f', 'e', 'd', 'c', 'b', 'a'], 2, seconds)).toEqual([
      ['a', 'd', 'e', 'f'],
      ['b', 'c']
    ])
  })

  it('balances a heavy variant against many light ones', () => {
    const seconds = new Map([['huge', 100], ...names(10).map((name): [string, number] => [name, 10])])
    const [first, second] = splitVariants(['huge', ...names(10)], 2, seconds)
    expect(first).toEqual(['huge'])
    expect(second).toHaveLength(10)
  })

  it('breaks ties of equal times by name, in code-unit order', () => {
    const seconds = new Map([
      ['b', 5],
      ['B', 5],
      ['a', 5]
    ])
    expect(splitVariants(['a', 'b', 'B'], 3, seconds)).toEqual([['B'], ['a'], ['b']])
  })

  it('weighs a variant without a time as the mean of those with one', () => {
    const seconds = new Map([
      ['slow', 60],
      ['fast', 20]
    ])
    // new weighs 40: after slow (60) on leg 1 it goes to leg 2, and fast (20) joins it there (40 < 60).
    expect(splitVariants(['slow', 'fast', 'new'], 2, seconds)).toEqual([['slow'], ['new', 'fast']])
  })

  it('spreads variants that took no time by count', () => {
    const seconds = new Map(names(4).map((name): [string, number] => [name, 0]))
    expect(splitVariants(names(4), 2, seconds).map((leg) => leg.length)).toEqual([2, 2])
  })

  it('leaves legs empty when there are fewer variants than legs', () => {
    expect(splitVariants(['only'], 3)).toEqual([['only'], [], []])
  })
})

describe('buildSeconds', () => {
  it('takes each measured variant’s median build time', () => {
    const stored = report([built('a', 12.5), built('b'), { ...built('c'), build: build([3, 4, 8]) }])
    expect([...buildSeconds(stored)]).toEqual([
      ['a', 12.5],
      ['c', 4]
    ])
    expect(buildSeconds(undefined).size).toBe(0)
  })
})

describe('shardSelection', () => {
  const stored = report([built('api', 100), built('web', 10), built('worker', 10), built('gone', 10)])

  it('splits the sides’ names and the stored baseline’s by its build times', () => {
    const first = shardSelection({ index: 1, total: 2 }, stored)
    const second = shardSelection({ index: 2, total: 2 }, stored)
    const sides = ['web', 'api', 'worker', 'new']
    expect([...first.select(sides)]).toEqual(['api'])
    expect([...second.select(sides)].sort()).toEqual(['gone', 'new', 'web', 'worker'])
    expect(second.selected).toEqual(new Set(['web', 'worker', 'new', 'gone']))
    expect(first.info).toEqual({ index: 1, total: 2, variants: ['web', 'api', 'worker', 'new', 'gone'] })
  })

  it('splits evenly by name without a stored baseline', () => {
    const selection = shardSelection({ index: 2, total: 3 })
    expect([...selection.select(['c', 'b', 'a', 'd'])]).toEqual(['b'])
    expect(selection.info).toEqual({ index: 2, total: 3, variants: ['c', 'b', 'a', 'd'] })
  })
})

describe('partialReport', () => {
  it('says which shard it is and keeps only its own variants of the base side, as measured', () => {
    const selection = shardSelection({ index: 1, total: 2 })
    selection.select(['a', 'b', 'c'])
    const head = { ...report([built('a'), built('c')]), commit: 'head' }
    const comparison = { baseline: { source: 'artifact' as const }, variants: [], violations: [], inherited: [] }
    const storedBase: Report = {
      ...report([built('a'), built('b'), built('c')]),
      commit: 'base',
      comparison,
      shard: { index: 1, total: 1, variants: ['a', 'b', 'c'] }
    }
    const partial = partialReport(head, storedBase, comparison, selection)
    expect(partial.shard).toEqual({ index: 1, total: 2, variants: ['a', 'b', 'c'] })
    expect(partial.comparison).toBe(comparison)
    expect(partial.variants.map((variant) => variant.name)).toEqual(['a', 'c'])
    expect(partial.baseReport).toEqual({ ...report([built('a'), built('c')]), commit: 'base' })
    expect(partialReport(head, undefined, undefined, selection)).not.toHaveProperty('baseReport')
    expect(partialReport(head, undefined, undefined, selection)).not.toHaveProperty('comparison')
  })
})
