/** The image conda check: conda prefixes, conda commands on PATH and conda variables in a built image's filesystem. */
import path from 'node:path'
import type { CondaMarkers } from '../types.js'
import type { FilesystemEntry, ImageConfig } from './image-archive.js'

const CONDA_COMMANDS = ['conda', 'mamba', 'micromamba']

/** The markers in an image whose filesystem and config were read from its archive (no container is started). */
export function condaMarkersOf(filesystem: FilesystemEntry[], config: ImageConfig): CondaMarkers {
  const env = config.config?.Env ?? []
  const envNames = env.map((item) => item.split('=')[0]).filter((name) => /^(CONDA|MAMBA)_/.test(name))
  const pathDirs = (env.find((item) => item.startsWith('PATH='))?.slice(5) ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => dir.replace(/^\/+|\/+$/g, ''))
  return condaMarkersIn(filesystem, pathDirs, envNames)
}

/** A PATH directory that is a symbolic link (`/opt/env` → `/opt/conda/bin`) stands for its target too. */
function resolvePathDirs(entries: FilesystemEntry[], pathDirs: string[]): string[] {
  const links = new Map(entries.filter((entry) => entry.link).map((entry) => [entry.name, entry.link!]))
  return pathDirs.flatMap((dir) => {
    const target = links.get(dir)
    if (!target) return [dir]
    const resolved = target.startsWith('/') ? target.slice(1) : path.posix.join(path.posix.dirname(dir), target)
    return [dir, path.posix.normalize(resolved).replace(/\/+$/, '')]
  })
}

export function condaMarkersIn(entries: FilesystemEntry[], pathDirs: string[], envNames: string[]): CondaMarkers {
  const searched = resolvePathDirs(entries, pathDirs)
  const prefixes = entries
    .filter((entry) => /(^|\/)conda-meta$/.test(entry.name))
    .map((entry) => entry.name.replace(/\/?conda-meta$/, ''))
    .filter(
      (prefix, index, all) =>
        !all.some((other, otherIndex) => otherIndex !== index && other !== prefix && prefix.startsWith(`${other}/`))
    )
  const commandsOnPath = entries
    .filter(
      (entry) =>
        CONDA_COMMANDS.includes(path.posix.basename(entry.name)) && searched.includes(path.posix.dirname(entry.name))
    )
    .map((entry) => `/${entry.name}`)
  return {
    prefixes: prefixes.map((prefix) => ({
      path: `/${prefix}`,
      sizeBytes: entries
        .filter((entry) => prefix === '' || entry.name.startsWith(`${prefix}/`))
        .reduce((sum, entry) => sum + entry.size, 0)
    })),
    commandsOnPath: [...new Set(commandsOnPath)].sort(),
    envNames: [...new Set(envNames)].sort()
  }
}
