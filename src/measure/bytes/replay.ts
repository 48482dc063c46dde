/**
 * The layers applied in order, as overlayfs stacks them: which regular files the image keeps (and the layer that wrote
 * each), and the bytes later layers hid, per writing and hiding layer. Each hidden byte is counted once.
 */
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
  /** The deepest directory holding every hidden file ('' for the root). */
  commonDir: string
}

export interface Replay {
  kept: KeptFile[]
  removals: Removal[]
  /** Whether the image has this path (a file or a directory). */
  has: (path: string) => boolean
}

interface Node {
  size: number
  layer: number
  children?: Map<string, Node>
}

export function replayLayers(layers: LayerFiles[]): Replay {
  const root: Node = { size: 0, layer: -1, children: new Map() }
  const removals = new Map<string, Removal>()
  const hide = (node: Node, path: string, remover: number, how: 'deleted' | 'overwritten'): void => {
    if (node.size > 0) {
      const key = `${node.layer}>${remover}`
      const removal = removals.get(key) ?? {
        writer: node.layer,
        remover,
        deletedBytes: 0,
        overwrittenBytes: 0,
        commonDir: parentOf(path)
      }
      if (how === 'deleted') removal.deletedBytes += node.size
      else removal.overwrittenBytes += node.size
      removal.commonDir = commonDirOf(removal.commonDir, parentOf(path))
      removals.set(key, removal)
    }
    for (const [name, child] of node.children ?? []) hide(child, `${path}/${name}`, remover, how)
  }
  const find = (path: string): Node | undefined => {
    let node: Node | undefined = root
    for (const part of path.split('/')) {
      if (!part) continue
      node = node.children?.get(part)
      if (!node) return undefined
    }
    return node
  }
  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) {
      const node = find(dir)
      for (const [name, child] of node?.children ?? []) hide(child, dir ? `${dir}/${name}` : name, index, 'deleted')
      node?.children?.clear()
    }
    for (const path of layer.whiteouts) {
      const parent = find(parentOf(path))
      const name = path.slice(path.lastIndexOf('/') + 1)
      const node = parent?.children?.get(name)
      if (!node) continue
      hide(node, path, index, 'deleted')
      parent!.children!.delete(name)
    }
    for (const entry of layer.entries) {
      let node = root
      const parts = entry.name.split('/').filter(Boolean)
      parts.forEach((part, depth) => {
        node.children ??= new Map()
        let child = node.children.get(part)
        if (depth === parts.length - 1) {
          // A directory listed again keeps its content; a file replacing a file (or a directory) hides the old one.
          if (child && (child.size > 0 || (entry.size > 0 && child.children?.size))) {
            hide(child, entry.name, index, 'overwritten')
            child = undefined
          }
          if (child) Object.assign(child, { size: entry.size, layer: index })
          else node.children.set(part, { size: entry.size, layer: index })
          return
        }
        if (!child) {
          child = { size: 0, layer: index }
          node.children.set(part, child)
        }
        node = child
      })
    }
  })
  return { kept: keptFiles(root), removals: [...removals.values()], has: (path) => find(path) !== undefined }
}

function keptFiles(root: Node): KeptFile[] {
  const kept: KeptFile[] = []
  const walk = (node: Node, path: string): void => {
    if (node.size > 0) kept.push({ path, size: node.size, layer: node.layer })
    for (const [name, child] of node.children ?? []) walk(child, path ? `${path}/${name}` : name)
  }
  walk(root, '')
  return kept
}

function parentOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
}

export function commonDirOf(a: string, b: string): string {
  const left = a.split('/')
  const right = b.split('/')
  let same = 0
  while (same < left.length && same < right.length && left[same] === right[same]) same++
  return left.slice(0, same).join('/')
}
