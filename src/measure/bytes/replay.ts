/**
 * The layers applied in order, as overlayfs stacks them: which entries the image keeps (and the layer that wrote each),
 * and the bytes later layers hid, per writing and hiding layer. Each hidden byte is counted once.
 */
import type { FilesystemEntry } from '../image-archive.js'
import type { LayerFiles } from './layer-files.js'

/** Entries of one directory that one layer wrote and the image keeps (directories and links among them, size 0). */
export interface KeptEntries {
  dir: string
  layer: number
  entries: FilesystemEntry[]
  /** The regular files' bytes. */
  bytes: number
}

export interface Removal {
  writer: number
  remover: number
  deletedBytes: number
  overwrittenBytes: number
  /** Overwritten by a file of the same size: its owner or mode changed, most likely (content is not compared). */
  rewrittenBytes: number
  /** The deepest directory holding every hidden file ('' for the root). */
  commonDir: string
}

/** The image's final filesystem. */
export interface ImageFiles {
  /** Every entry the image has, by directory and writing layer. */
  kept: KeptEntries[]
  /** The entry the image has at this path, as its layer listed it. */
  entry: (path: string) => FilesystemEntry | undefined
  /** Whether the image has this path: an entry, or a directory a layer wrote into (listed or not) and still there. */
  has: (path: string) => boolean
}

export interface Replay extends ImageFiles {
  removals: Removal[]
}

type Hiding = 'deleted' | 'overwritten' | 'rewritten'

interface Slot {
  entry: FilesystemEntry
  layer: number
}

/** The entries one layer wrote into one directory, in name order. */
interface Written {
  layer: number
  entries: FilesystemEntry[]
}

/**
 * A directory's entries. Each layer's stay in the list it wrote (`written`), at no lookup per file, and the lists are
 * merged in name order when needed, for what a later layer's entries replaced. An entry out of name order (which may
 * repeat a name), or the deletion of one entry, indexes them by path (`byPath`), and the directory is followed path by
 * path from then on.
 */
interface Directory {
  path: string
  written: Written[]
  /** Whether a list in `written` may hold a name a lower one holds. */
  overlaps: boolean
  byPath?: Map<string, Slot>
  /** Child directories that hold entries. */
  subdirs: Set<string>
}

export function replayLayers(layers: LayerFiles[]): Replay {
  const dirs = new Map<string, Directory>()
  const removals = new Map<number, Removal>()
  const record = (writer: number, remover: number, how: Hiding, bytes: number, dir: string): void => {
    if (bytes <= 0) return
    const key = writer * MAX_LAYERS + remover
    let removal = removals.get(key)
    if (removal) removal.commonDir = commonDirOf(removal.commonDir, dir)
    else {
      removal = { writer, remover, deletedBytes: 0, overwrittenBytes: 0, rewrittenBytes: 0, commonDir: dir }
      removals.set(key, removal)
    }
    removal[`${how}Bytes`] += bytes
  }
  const directory = (path: string): Directory => {
    let dir = dirs.get(path)
    if (!dir) {
      dir = { path, written: [], overlaps: false, subdirs: new Set() }
      dirs.set(path, dir)
      if (path) directory(parentOf(path)).subdirs.add(path)
    }
    return dir
  }
  /** Drops from each list what a higher one replaced, lists being in layer order and each in name order. */
  const settle = (dir: Directory): void => {
    if (!dir.overlaps) return
    const { written } = dir
    for (let lower = 0; lower < written.length - 1; lower++) {
      for (let upper = lower + 1; upper < written.length && written[lower].entries.length; upper++)
        written[lower].entries = unreplaced(written[lower], written[upper], dir.path)
    }
    dir.written = written.filter(({ entries }) => entries.length)
    dir.overlaps = false
  }
  const unreplaced = (lower: Written, upper: Written, path: string): FilesystemEntry[] => {
    const kept: FilesystemEntry[] = []
    const above = upper.entries
    let overwritten = 0
    let rewritten = 0
    let next = 0
    for (const entry of lower.entries) {
      while (next < above.length && above[next].name < entry.name) next++
      if (next === above.length || above[next].name !== entry.name) kept.push(entry)
      else if (above[next].size === entry.size) rewritten += entry.size
      else overwritten += entry.size
    }
    record(lower.layer, upper.layer, 'overwritten', overwritten, path)
    record(lower.layer, upper.layer, 'rewritten', rewritten, path)
    return kept
  }
  const indexed = (dir: Directory): Map<string, Slot> => {
    if (!dir.byPath) {
      settle(dir)
      const byPath = new Map<string, Slot>()
      for (const { layer, entries } of dir.written)
        for (const entry of entries) byPath.set(entry.name, { entry, layer })
      dir.byPath = byPath
      dir.written = []
    }
    return dir.byPath
  }
  /** Hides everything under the directory, which stays (empty). */
  const empty = (dir: Directory, remover: number, how: Hiding): void => {
    settle(dir)
    for (const { layer, entries } of dir.written) record(layer, remover, how, bytesOf(entries), dir.path)
    dir.byPath?.forEach(({ entry, layer }) => record(layer, remover, how, entry.size, dir.path))
    for (const path of dir.subdirs) {
      empty(dirs.get(path)!, remover, how)
      dirs.delete(path)
    }
    dir.written = []
    dir.byPath = undefined
    dir.subdirs.clear()
  }
  const hideSubtree = (parent: Directory, path: string, remover: number, how: Hiding): void => {
    const dir = dirs.get(path)
    if (!dir) return
    empty(dir, remover, how)
    dirs.delete(path)
    parent.subdirs.delete(path)
  }

  layers.forEach((layer, index) => {
    for (const path of layer.opaqueDirs) {
      const dir = dirs.get(path)
      if (dir) empty(dir, index, 'deleted')
    }
    for (const path of layer.whiteouts) {
      const parent = dirs.get(parentOf(path))
      if (!parent) continue
      const slots = indexed(parent)
      const old = slots.get(path)
      if (old) record(old.layer, index, 'deleted', old.entry.size, parent.path)
      slots.delete(path)
      hideSubtree(parent, path, index, 'deleted')
    }
    // A layer lists a directory's entries together: the directory of the last entry is kept at hand.
    let dir: Directory | undefined
    let written: FilesystemEntry[] | undefined
    for (const entry of layer.entries) {
      const { name } = entry
      const slash = name.lastIndexOf('/')
      if (!dir || Math.max(slash, 0) !== dir.path.length || !name.startsWith(dir.path)) {
        dir = directory(slash < 0 ? '' : name.slice(0, slash))
        written = undefined
        if (!dir.byPath) {
          const last = dir.written.at(-1)
          if (last?.layer === index) written = last.entries
          else {
            dir.overlaps ||= !!last
            dir.written.push({ layer: index, entries: (written = []) })
          }
        }
      }
      // A directory listed again keeps its content; a file or a symbolic link in its place hides it.
      if ((entry.size > 0 || entry.link !== undefined) && dir.subdirs.size) hideSubtree(dir, name, index, 'overwritten')
      if (written) {
        // Archives list a directory's entries in name order: one out of order may repeat a name.
        const previous = written.at(-1)
        if (!previous || previous.name < name) {
          written.push(entry)
          continue
        }
        written = undefined
      }
      const slots = indexed(dir)
      const old = slots.get(name)
      if (old) {
        record(old.layer, index, old.entry.size === entry.size ? 'rewritten' : 'overwritten', old.entry.size, dir.path)
        old.entry = entry
        old.layer = index
      } else slots.set(name, { entry, layer: index })
    }
  })

  const kept: KeptEntries[] = []
  dirs.forEach((dir) => {
    settle(dir)
    for (const { layer, entries } of dir.written) kept.push({ dir: dir.path, layer, entries, bytes: bytesOf(entries) })
    if (!dir.byPath) return
    const byLayer = new Map<number, FilesystemEntry[]>()
    dir.byPath.forEach(({ entry, layer }) => {
      const entries = byLayer.get(layer)
      if (entries) entries.push(entry)
      else byLayer.set(layer, [entry])
    })
    byLayer.forEach((entries, layer) => kept.push({ dir: dir.path, layer, entries, bytes: bytesOf(entries) }))
  })
  const entry = (path: string): FilesystemEntry | undefined => {
    const dir = dirs.get(parentOf(path))
    return dir && indexed(dir).get(path)?.entry
  }
  return {
    kept,
    removals: [...removals.values()],
    entry,
    has: (path) => dirs.has(path) || entry(path) !== undefined
  }
}

/** More layers than any image has (Docker stops at 127). */
const MAX_LAYERS = 2 ** 16

function bytesOf(entries: FilesystemEntry[]): number {
  let bytes = 0
  for (const entry of entries) bytes += entry.size
  return bytes
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

/** The deepest directory holding both directories. */
export function commonDirOf(a: string, b: string): string {
  const length = Math.min(a.length, b.length)
  let same = 0
  while (same < length && a.charCodeAt(same) === b.charCodeAt(same)) same++
  if (same === a.length && (same === b.length || b[same] === '/')) return a
  if (same === b.length && a[same] === '/') return b
  return a.slice(0, Math.max(0, a.lastIndexOf('/', same - 1)))
}
