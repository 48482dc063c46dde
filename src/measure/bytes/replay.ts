/**
 * The layers applied in order, as overlayfs stacks them: which regular files the image keeps (and the layer that wrote
 * each), and the bytes later layers hid, per writing and hiding layer. Each hidden byte is counted once.
 */
import type { FilesystemEntry } from '../image-archive.js'
import type { LayerFiles } from './layer-files.js'

export interface KeptFile {
  path: string
  size: number
  layer: number
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

export interface Replay {
  kept: KeptFile[]
  removals: Removal[]
  /** Whether the image has this path (a file or a directory). */
  has: (path: string) => boolean
  /** Every path the image has, with regular files' sizes and symbolic links' targets. */
  filesystem: () => FilesystemEntry[]
}

/**
 * Each path in one flat map, under the archive's own string, to a number holding its size and the layer that wrote it
 * (an entry allocates little); the children of each directory are indexed so that a whiteout finds what it hides
 * without scanning every path.
 */
export function replayLayers(layers: LayerFiles[]): Replay {
  const files = new Map<string, number>()
  const links = new Map<string, string>()
  const children = new Map<string, string[]>()
  const removals = new Map<string, Removal>()
  const record = (path: string, file: number, remover: number, how: 'deleted' | 'overwritten' | 'rewritten'): void => {
    const writer = layerOf(file)
    const key = `${writer}>${remover}`
    const dir = parentOf(path)
    let removal = removals.get(key)
    if (removal) removal.commonDir = commonDirOf(removal.commonDir, dir)
    else {
      removal = { writer, remover, deletedBytes: 0, overwrittenBytes: 0, rewrittenBytes: 0, commonDir: dir }
      removals.set(key, removal)
    }
    removal[`${how}Bytes`] += sizeOf(file)
  }
  /** Removes what lies under `dir` (and `dir` itself unless `keepSelf`); a path listed twice is removed once. */
  const hideTree = (dir: string, remover: number, how: 'deleted' | 'overwritten', keepSelf: boolean): void => {
    lastSiblings = undefined
    const pending = [dir]
    for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
      const file = files.get(path)
      if (file !== undefined && !(keepSelf && path === dir)) {
        if (sizeOf(file) > 0) record(path, file, remover, how)
        files.delete(path)
        links.delete(path)
      }
      for (const child of children.get(path) ?? []) pending.push(child)
      children.delete(path)
    }
  }
  // A layer lists a directory's entries together: the last parent's list is kept at hand.
  let lastParent = ''
  let lastSiblings: string[] | undefined
  /** Indexes a new path under its parent, and the parent under its own when no entry listed it. */
  const link = (path: string): void => {
    const slash = path.lastIndexOf('/')
    if (lastSiblings && slash === lastParent.length && path.startsWith(lastParent)) return void lastSiblings.push(path)
    for (let child = path; child; child = parentOf(child)) {
      const parent = parentOf(child)
      let siblings = children.get(parent)
      const found = !!siblings
      if (siblings) siblings.push(child)
      else children.set(parent, (siblings = [child]))
      if (child === path) {
        lastParent = parent
        lastSiblings = siblings
      }
      if (found || files.has(parent)) return
    }
  }
  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) hideTree(dir, index, 'deleted', true)
    for (const path of layer.whiteouts) hideTree(path, index, 'deleted', false)
    for (const { name, size, link: target } of layer.entries) {
      if (target !== undefined) links.set(name, target)
      else if (links.size) links.delete(name)
      const old = files.get(name)
      if (old === undefined) link(name)
      else if (sizeOf(old) > 0) record(name, old, index, sizeOf(old) === size ? 'rewritten' : 'overwritten')
      // A directory listed again keeps its content; a file or a symbolic link in its place hides it.
      if ((size > 0 || target !== undefined) && children.has(name)) hideTree(name, index, 'overwritten', true)
      files.set(name, size * LAYER_SLOTS + index)
    }
  })
  const kept: KeptFile[] = []
  files.forEach((file, path) => {
    if (sizeOf(file) > 0) kept.push({ path, size: sizeOf(file), layer: layerOf(file) })
  })
  return {
    kept,
    removals: [...removals.values()],
    has: (path) => files.has(path) || children.has(path),
    filesystem: () => {
      const entries: FilesystemEntry[] = []
      files.forEach((file, name) => {
        const target = links.get(name)
        entries.push(target === undefined ? { name, size: sizeOf(file) } : { name, size: sizeOf(file), link: target })
      })
      return entries
    }
  }
}

/** More layers than any image has (Docker stops at 127); a file of up to 137 GB still fits in a safe integer. */
const LAYER_SLOTS = 2 ** 16
const sizeOf = (file: number): number => Math.floor(file / LAYER_SLOTS)
const layerOf = (file: number): number => file % LAYER_SLOTS

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
