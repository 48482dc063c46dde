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
  /** Whether the image has this path: an entry, or a directory no layer listed that holds entries. */
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

/**
 * A directory's entries. While no entry of it has been replaced or deleted alone, they stay in the lists each layer
 * wrote (`written`), so that a directory no lower layer touched costs no lookup per file; the first entry replaced or
 * deleted alone indexes them by path (`byPath`).
 */
interface Directory {
  path: string
  written: { layer: number; entries: FilesystemEntry[] }[]
  byPath?: Map<string, Slot>
  /** Child directories that hold entries. */
  subdirs: Set<string>
  /** The layer from which on the directory holds nothing a lower layer wrote. */
  freshSince: number
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
  const directory = (path: string, layer: number): Directory => {
    let dir = dirs.get(path)
    if (!dir) {
      dir = { path, written: [], subdirs: new Set(), freshSince: layer }
      dirs.set(path, dir)
      if (path) directory(parentOf(path), layer).subdirs.add(path)
    }
    return dir
  }
  const indexed = (dir: Directory): Map<string, Slot> => {
    if (!dir.byPath) {
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
    for (const { layer, entries } of dir.written) record(layer, remover, how, bytesOf(entries), dir.path)
    dir.byPath?.forEach(({ entry, layer }) => record(layer, remover, how, entry.size, dir.path))
    for (const path of dir.subdirs) {
      empty(dirs.get(path)!, remover, how)
      dirs.delete(path)
    }
    dir.written = []
    dir.byPath = undefined
    dir.subdirs.clear()
    dir.freshSince = remover
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
        dir = directory(slash < 0 ? '' : name.slice(0, slash), index)
        written = undefined
        if (dir.freshSince === index && !dir.byPath) {
          const last = dir.written.at(-1)
          if (last?.layer === index) written = last.entries
          else dir.written.push({ layer: index, entries: (written = []) })
        }
      }
      if (written) {
        written.push(entry)
        continue
      }
      const slots = indexed(dir)
      const old = slots.get(name)
      if (old)
        record(old.layer, index, old.entry.size === entry.size ? 'rewritten' : 'overwritten', old.entry.size, dir.path)
      // A directory listed again keeps its content; a file or a symbolic link in its place hides it.
      if (entry.size > 0 || entry.link !== undefined) hideSubtree(dir, name, index, 'overwritten')
      slots.set(name, { entry, layer: index })
    }
  })

  const kept: KeptEntries[] = []
  dirs.forEach((dir) => {
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
