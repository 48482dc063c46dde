import { describe, expect, it } from '@jest/globals'
import type { LayerFiles } from '../../src/measure/bytes/layer-files.js'
import { commonDirOf, replayLayers } from '../../src/measure/bytes/replay.js'
import type { FilesystemEntry } from '../../src/measure/image-archive.js'
import { layerFiles } from '../support/layer-files.js'

type Hiding = 'deleted' | 'overwritten' | 'rewritten'

const parentOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')))
const ancestorsOf = (path: string): string[] => {
  const parts = path.split('/')
  return parts.slice(1).map((_, depth) => parts.slice(0, depth + 1).join('/'))
}
const isUnder = (path: string, dir: string): boolean => path.startsWith(`${dir}/`)

/** Overlay stacking path by path, scanning every path per deletion: slow, and plain enough to be the reference. */
function referenceReplay(layers: LayerFiles[]) {
  const files = new Map<string, { entry: FilesystemEntry; layer: number }>()
  /** Directories that entries imply, listed or not. */
  const implied = new Set<string>()
  const removed = new Map<string, Record<Hiding, number> & { commonDir: string }>()
  const count = (writer: number, remover: number, how: Hiding, bytes: number, path: string): void => {
    if (bytes <= 0) return
    const key = `${writer}>${remover}`
    const totals = removed.get(key) ?? { deleted: 0, overwritten: 0, rewritten: 0, commonDir: parentOf(path) }
    totals[how] += bytes
    totals.commonDir = commonDirOf(totals.commonDir, parentOf(path))
    removed.set(key, totals)
  }
  const hide = (path: string, remover: number, how: 'deleted' | 'overwritten', keepSelf: boolean): void => {
    for (const [name, { entry, layer }] of [...files]) {
      if (isUnder(name, path) || (name === path && !keepSelf)) {
        count(layer, remover, how, entry.size, name)
        files.delete(name)
      }
    }
    for (const dir of [...implied]) if (isUnder(dir, path) || (dir === path && !keepSelf)) implied.delete(dir)
  }
  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) hide(dir, index, 'deleted', true)
    for (const path of layer.whiteouts) hide(path, index, 'deleted', false)
    for (const entry of layer.entries) {
      const old = files.get(entry.name)
      if (old)
        count(old.layer, index, old.entry.size === entry.size ? 'rewritten' : 'overwritten', old.entry.size, entry.name)
      if (entry.size > 0 || entry.link !== undefined) hide(entry.name, index, 'overwritten', true)
      files.set(entry.name, { entry, layer: index })
      for (const dir of ['', ...ancestorsOf(entry.name)]) implied.add(dir)
    }
  })
  return {
    kept: [...files].map(([name, { entry, layer }]) => `${name} ${entry.size} ${entry.link ?? '-'} ${layer}`).sort(),
    removals: [...removed]
      .map(([key, { commonDir, ...totals }]) => `${key} ${JSON.stringify(totals)} in /${commonDir}`)
      .sort(),
    entry: (path: string) => files.get(path)?.entry,
    has: (path: string) => files.has(path) || implied.has(path)
  }
}

/**
 * Layers as an image archive lists them: no path both a directory and a file within a layer; in name order, as
 * Docker's and BuildKit's archives are, or in any order and with a name listed twice, as other tools may write them.
 */
function randomLayers(random: () => number): LayerFiles[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]
  const randomPath = (): string =>
    Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['a', 'b', 'c'])).join('/')
  const holdsNothing = (entry: FilesystemEntry | undefined): boolean =>
    !!entry && (entry.size > 0 || entry.link !== undefined)
  return Array.from({ length: 1 + Math.floor(random() * 4) }, (_, index) => {
    const entries: FilesystemEntry[] = []
    const listed = new Map<string, FilesystemEntry>()
    const add = (entry: FilesystemEntry): void => void (entries.push(entry), listed.set(entry.name, entry))
    const opaqueDirs = index > 0 && random() < 0.3 ? [randomPath()] : []
    for (const dir of opaqueDirs) add({ name: dir, size: 0 })
    for (let count = Math.floor(random() * 10); count > 0; count--) {
      const name = randomPath()
      if (ancestorsOf(name).some((parent) => holdsNothing(listed.get(parent)))) continue
      if (random() < 0.5)
        for (const parent of ancestorsOf(name)) if (!listed.has(parent)) add({ name: parent, size: 0 })
      const holdsOthers = [...listed.keys()].some((other) => isUnder(other, name))
      const before = listed.get(name)
      if (before && (holdsOthers || !holdsNothing(before))) continue
      const kind = holdsOthers ? 0 : random()
      if (kind < 0.3) add({ name, size: 0 })
      else if (kind < 0.4) add({ name, size: 0, link: '/x' })
      else add({ name, size: 1 + Math.floor(random() * 3) })
    }
    if (random() < 0.5) entries.sort((a, b) => (a.name < b.name ? -1 : 1))
    const whiteouts = index > 0 && random() < 0.5 ? [...new Set([randomPath(), randomPath()])] : []
    return layerFiles(entries, { whiteouts, opaqueDirs })
  })
}

/** Park and Miller's generator: a fixed sequence, so that a failure replays, and every product exact in a double. */
function seeded(seed: number): () => number {
  let state = seed
  return () => (state = (state * 48271) % 2147483647) / 2147483647
}

describe('the byte replay', () => {
  it('keeps, hides and finds what overlay stacking path by path does, over 5,000 random layer stacks', () => {
    const random = seeded(19)
    const stacks = new Set<string>()
    for (let round = 0; round < 5000; round++) {
      const layers = randomLayers(random)
      stacks.add(JSON.stringify(layers))
      const replay = replayLayers(layers)
      const reference = referenceReplay(layers)
      const kept = replay.kept
        .flatMap(({ layer, entries }) =>
          entries.map((item) => `${item.name} ${item.size} ${item.link ?? '-'} ${layer}`)
        )
        .sort()
      const removals = replay.removals
        .map(
          (removal) =>
            `${removal.writer}>${removal.remover} ${JSON.stringify({
              deleted: removal.deletedBytes,
              overwritten: removal.overwrittenBytes,
              rewritten: removal.rewrittenBytes
            })} in /${removal.commonDir}`
        )
        .sort()
      const paths = [
        ...new Set(layers.flatMap((layer) => layer.entries.flatMap((item) => [item.name, ...ancestorsOf(item.name)])))
      ]
      const found = (find: (path: string) => unknown): unknown[] => paths.map((path) => [path, find(path)])
      expect({ round, kept, removals, has: found(replay.has), entry: found(replay.entry) }).toEqual({
        round,
        kept: reference.kept,
        removals: reference.removals,
        has: found(reference.has),
        entry: found(reference.entry)
      })
    }
    expect(stacks.size).toBeGreaterThan(4500)
  })

  it('gives the entries and bytes it keeps per directory and writing layer, and finds paths', () => {
    const files = (count: number, dir: string, size: number): FilesystemEntry[] =>
      Array.from({ length: count }, (_, index) => ({ name: `${dir}/f${String(index).padStart(4, '0')}`, size }))
    const replay = replayLayers([
      layerFiles([{ name: 'usr', size: 0 }, ...files(3, 'usr', 10)]),
      layerFiles([{ name: 'app', size: 0 }, ...files(1000, 'app', 2), ...files(2, 'usr', 5)]),
      layerFiles([], { whiteouts: ['usr/f0000'] })
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
    expect([
      replay.has('app'),
      replay.has('app/f0999'),
      replay.has('usr/f0000'),
      replay.entry('usr/f0002')?.size
    ]).toEqual([true, true, false, 10])
  })

  it('counts a file a layer lists twice once, as the archive tool rewrote it, in a new directory too', () => {
    const replay = replayLayers([
      layerFiles([
        { name: 'opt/x', size: 5 },
        { name: 'opt/y', size: 1 },
        { name: 'opt/x', size: 5 }
      ])
    ])
    expect(replay.kept.map(({ dir, bytes }) => [dir, bytes])).toEqual([['opt', 6]])
    expect(replay.removals).toEqual([expect.objectContaining({ writer: 0, remover: 0, rewrittenBytes: 5 })])
  })
})
