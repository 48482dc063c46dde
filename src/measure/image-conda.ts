/** The image conda check: conda prefixes, conda commands on PATH and conda variables in a built image's filesystem. */
import path from 'node:path'
import type { CondaMarkers } from '../types.js'
import type { ImageConfig } from './image-archive.js'
import type { ImageFiles } from './bytes/replay.js'

const CONDA_COMMANDS = ['conda', 'mamba', 'micromamba']

/** The markers in an image whose filesystem and config were read from its archive (no container is started). */
export function condaMarkersOf(files: ImageFiles, config: ImageConfig): CondaMarkers {
  const env = config.config?.Env ?? []
  const envNames = env.map((item) => item.split('=')[0]).filter((name) => /^(CONDA|MAMBA)_/.test(name))
  const pathDirs = (env.find((item) => item.startsWith('PATH='))?.slice(5) ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => dir.replace(/^\/+|\/+$/g, ''))
  return condaMarkersIn(files, pathDirs, envNames)
}

/** A PATH directory that is a symbolic link (`/opt/env` → `/opt/conda/bin`) stands for its target too. */
function resolvePathDirs(files: ImageFiles, pathDirs: string[]): string[] {
  return pathDirs.flatMap((dir) => {
    const target = files.entry(dir)?.link
    if (!target) return [dir]
    const resolved = target.startsWith('/') ? target.slice(1) : path.posix.join(path.posix.dirname(dir), target)
    return [dir, path.posix.normalize(resolved).replace(/\/+$/, '')]
  })
}

export function condaMarkersIn(files: ImageFiles, pathDirs: string[], envNames: string[]): CondaMarkers {
  const found: string[] = []
  for (const { entries } of files.kept)
    for (const { name } of entries) if (name.endsWith(CONDA_META) && isBaseName(name, CONDA_META)) found.push(name)
  const prefixes = found
    .sort()
    .map((name) => name.slice(0, Math.max(0, name.length - CONDA_META.length - 1)))
    .filter(
      (prefix, index, all) =>
        !all.some((other, otherIndex) => otherIndex !== index && other !== prefix && prefix.startsWith(`${other}/`))
    )
  const commandsOnPath = resolvePathDirs(files, pathDirs).flatMap((dir) =>
    CONDA_COMMANDS.map((command) => (dir ? `${dir}/${command}` : command)).filter((name) => files.entry(name))
  )
  return {
    prefixes: prefixes.map((prefix) => ({
      path: `/${prefix}`,
      sizeBytes: files.kept
        .filter(({ dir }) => prefix === '' || dir === prefix || dir.startsWith(`${prefix}/`))
        .reduce((sum, { bytes }) => sum + bytes, 0)
    })),
    commandsOnPath: [...new Set(commandsOnPath.map((name) => `/${name}`))].sort(),
    envNames: [...new Set(envNames)].sort()
  }
}

const CONDA_META = 'conda-meta'

/** Whether the path's last component is `name` (which the path ends with). */
function isBaseName(path: string, name: string): boolean {
  return path.length === name.length || path[path.length - name.length - 1] === '/'
}
