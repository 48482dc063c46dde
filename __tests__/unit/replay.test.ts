import { describe, expect, it } from '@jest/globals'
import type { LayerFiles } from '../../src/measure/bytes/layer-files.js'
import { replayLayers } from '../../src/measure/bytes/replay.js'
import type { FilesystemEntry } from '../../src/measure/image-archive.js'

/** Overlay stacking path by path, scanning every path per deletion: slow, and plain enough to be the reference. */
function referenceReplay(layers: LayerFiles[]): { kept: string[]; removals: string[] } {
  const files = new Map<string, { entry: FilesystemEntry; layer: number }>()
  const removed = new Map<string, Record<'deleted' | 'overwritten' | 'rewritten', number>>()
  const count = (
    writer: number,
    remover: number,
    how: 'deleted' | 'overwritten' | 'rewritten',
    bytes: number
  ): void => {
    if (bytes <= 0) return
    const key = `${writer}>${remover}`
    const totals = removed.get(key) ?? { deleted: 0, overwritten: 0, rewritten: 0 }
    totals[how] += bytes
    removed.set(key, totals)
  }
  const hide = (path: string, remover: number, how: 'deleted' | 'overwritten', keepSelf: boolean): void => {
    for (const [name, { entry, layer }] of [...files]) {
      if (name.startsWith(`${path}/`) || (name === path && !keepSelf)) {
        count(layer, remover, how, entry.size)
        files.delete(name)
      }
    }
  }
  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) hide(dir, index, 'deleted', true)
    for (const path of layer.whiteouts) hide(path, index, 'deleted', false)
    for (const entry of layer.entries) {
      const old = files.get(entry.name)
      if (old) count(old.layer, index, old.entry.size === entry.size ? 'rewritten' : 'overwritten', old.entry.size)
      if (entry.size > 0 || entry.link !== undefined) hide(entry.name, index, 'overwritten', true)
      files.set(entry.name, { entry, layer: index })
    }
  })
  return {
    kept: [...files].map(([name, { entry, layer }]) => `${name} ${entry.size} ${entry.link ?? '-'} ${layer}`).sort(),
    removals: [...removed].map(([key, totals]) => `${key} ${JSON.stringify(totals)}`).sort()
  }
}

/** Layers as an image archive lists them: no path both a directory and a file within a layer. */
function randomLayers(random: () => number): LayerFiles[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]
  const randomPath = (): string =>
    Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['a', 'b', 'c'])).join('/')
  return Array.from({ length: 1 + Math.floor(random() * 4) }, (_, index) => {
    const entries = new Map<string, FilesystemEntry>()
    const opaqueDirs = index > 0 && random() < 0.3 ? [randomPath()] : []
    for (const dir of opaqueDirs) entries.set(dir, { name: dir, size: 0 })
    for (let count = Math.floor(random() * 10); count > 0; count--) {
      const name = randomPath()
      const parts = name.split('/')
      const parents = parts.slice(1).map((_, depth) => parts.slice(0, depth + 1).join('/'))
      if (
        parents.some((parent) => entries.has(parent) && entries.get(parent)!.size + (entries.get(parent)!.link ? 1 : 0))
      )
        continue
      if (random() < 0.5)
        for (const parent of parents) if (!entries.has(parent)) entries.set(parent, { name: parent, size: 0 })
      const holdsOthers = [...entries.keys()].some((other) => other.startsWith(`${name}/`))
      const kind = holdsOthers ? 0 : random()
      entries.set(
        name,
        kind < 0.3
          ? { name, size: 0 }
          : kind < 0.4
            ? { name, size: 0, link: '/x' }
            : { name, size: 1 + Math.floor(random() * 3) }
      )
    }
    return {
      entries: [...entries.values()],
      whiteouts: index > 0 && random() < 0.5 ? [...new Set([randomPath(), randomPath()])] : [],
      opaqueDirs,
      compressionRatio: 1,
      packageDatabases: {},
      languagePackages: {},
      installers: {}
    }
  })
}

/** A fixed sequence of pseudo-random numbers, so that a failure replays. */
function seeded(seed: number): () => number {
  let state = seed
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

describe('the byte replay', () => {
  it('keeps and hides what overlay stacking path by path does, over 5,000 random layer stacks', () => {
    const random = seeded(19)
    for (let round = 0; round < 5000; round++) {
      const layers = randomLayers(random)
      const replay = replayLayers(layers)
      const kept = replay.kept
        .flatMap(({ layer, entries }) =>
          entries.map((entry) => `${entry.name} ${entry.size} ${entry.link ?? '-'} ${layer}`)
        )
        .sort()
      const removals = replay.removals
        .map(
          (removal) =>
            `${removal.writer}>${removal.remover} ${JSON.stringify({
              deleted: removal.deletedBytes,
              overwritten: removal.overwrittenBytes,
              rewritten: removal.rewrittenBytes
            })}`
        )
        .sort()
      expect({ round, kept, removals }).toEqual({ round, ...referenceReplay(layers) })
      for (const line of kept) expect(replay.entry(line.split(' ')[0])?.name).toBe(line.split(' ')[0])
    }
  })

  it('gives the entries and bytes it keeps per directory and writing layer, and finds paths', () => {
    const files = (count: number, dir: string, size: number): FilesystemEntry[] =>
      Array.from({ length: count }, (_, index) => ({ name: `${dir}/f${index}`, size }))
    const base = {
      whiteouts: [],
      opaqueDirs: [],
      compressionRatio: 1,
      packageDatabases: {},
      languagePackages: {},
      installers: {}
    }
    const replay = replayLayers([
      { ...base, entries: [{ name: 'usr', size: 0 }, ...files(3, 'usr', 10)] },
      { ...base, entries: [{ name: 'app', size: 0 }, ...files(1000, 'app', 2), ...files(2, 'usr', 5)] },
      { ...base, entries: [], whiteouts: ['usr/f0'] }
    ])
    expect(replay.kept.map(({ dir, layer, entries, bytes }) => [dir, layer, entries.length, bytes]).sort()).toEqual([
      ['', 0, 1, 0],
      ['', 1, 1, 0],
      ['app', 1, 1000, 2000],
      ['usr', 0, 1, 10],
      ['usr', 1, 1, 5]
    ])
    expect(replay.removals).toEqual([
      expect.objectContaining({ writer: 0, remover: 1, rewrittenBytes: 0, overwrittenBytes: 20, commonDir: 'usr' }),
      expect.objectContaining({ writer: 1, remover: 2, deletedBytes: 5, commonDir: 'usr' })
    ])
    expect([replay.has('app'), replay.has('app/f999'), replay.has('usr/f0'), replay.entry('usr/f2')?.size]).toEqual([
      true,
      true,
      false,
      10
    ])
  })
})
