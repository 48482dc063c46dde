/**
 * What an image holds, for explaining its size: the installed packages (the system's, Python's and conda's) and the
 * largest directories.
 */
import path from 'node:path'
import type { DirectoryBytes, ImageContents, ImagePackage, PackageManager } from '../../types.js'
import { installerPathOf, type LanguagePackage } from './language-packages.js'
import type { LayerFiles } from './layer-files.js'
import { DPKG_STATUS } from './package-db.js'
import type { KeptEntries, Replay } from './replay.js'
import type { InstalledPackage } from './toolchain.js'

const PACKAGE_SOURCES: PackageManager[] = ['dpkg', 'apk', 'python', 'conda']
/** `usr/lib/x86_64-linux-gnu`, `usr/local/lib`, `opt/app/node_modules`: deep enough to name what grew. */
const DIRECTORY_DEPTH = 3
/** Directories kept per image, largest first: enough to compare two images, small in the report. */
const DIRECTORIES_KEPT = 200

export function contentsOf(layers: LayerFiles[], replay: Replay, installed: InstalledPackage[]): ImageContents {
  const packages: ImagePackage[] = [
    ...installed.map(({ database, name, version, bytes }): ImagePackage => ({
      manager: database === DPKG_STATUS ? 'dpkg' : 'apk',
      name,
      version,
      bytes
    })),
    ...languagePackages(layers, replay)
  ]
  const all = directories(layers, replay.kept)
  const omitted = all[DIRECTORIES_KEPT]?.bytes
  return {
    packages,
    packageSources: PACKAGE_SOURCES,
    directories: all.slice(0, DIRECTORIES_KEPT),
    ...(omitted !== undefined ? { directoriesOmittedBelow: omitted } : {})
  }
}

/** Kept bytes per directory, largest first, each with the layer that wrote most of them. */
function directories(layers: LayerFiles[], kept: KeptEntries[]): DirectoryBytes[] {
  const byDirectory = new Map<string, number[]>()
  for (const { dir, layer, bytes } of kept) {
    if (bytes === 0) continue
    const path = directoryOf(dir)
    let byLayer = byDirectory.get(path)
    if (!byLayer) byDirectory.set(path, (byLayer = []))
    byLayer[layer] = (byLayer[layer] ?? 0) + bytes
  }
  return [...byDirectory]
    .map(([path, byLayer]): DirectoryBytes => {
      let most = 0
      let bytes = 0
      byLayer.forEach((layerBytes, layer) => {
        bytes += layerBytes
        if (layerBytes > (byLayer[most] ?? 0)) most = layer
      })
      const writer = layers[most]?.instruction
      return { path: `/${path}`, bytes, ...(writer ? { writer } : {}) }
    })
    .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path))
}

/** The directory cut at `DIRECTORY_DEPTH`: `usr/lib/x86_64-linux-gnu` for any directory below it. */
function directoryOf(dir: string): string {
  let end = dir.length
  for (let depth = 0, slash = -1; depth < DIRECTORY_DEPTH; depth++) {
    slash = dir.indexOf('/', slash + 1)
    if (slash < 0) return dir
    end = slash
  }
  return dir.slice(0, end)
}

/**
 * The Python and conda packages whose metadata the image still holds, as the last layer to write it left it. A wheel
 * counts as Python's when a Python installer installed it (its INSTALLER, other than conda's): conda's Python
 * libraries are listed as conda's, and Debian's or Alpine's, which ship no INSTALLER, as their system packages.
 */
function languagePackages(layers: LayerFiles[], { has, entry }: Replay): ImagePackage[] {
  const latest = new Map<string, LanguagePackage | null>()
  const installers = new Map<string, string>()
  for (const layer of layers) {
    for (const [path, item] of Object.entries(layer.languagePackages)) latest.set(path, item)
    for (const [path, installer] of Object.entries(layer.installers)) installers.set(path, installer)
  }
  const installedByPython = (recordPath: string): boolean => {
    const installer = installerPathOf(recordPath)
    return has(installer) && !!installers.get(installer) && installers.get(installer) !== 'conda'
  }
  const sizeInImage = (item: LanguagePackage, file: string): number => {
    const resolved = path.posix.normalize(item.prefix ? `${item.prefix}/${file}` : file).replace(/^(\.\/|\/)+/, '')
    return entry(resolved)?.size ?? 0
  }
  return [...latest]
    .filter(([metadata, item]) => item && has(metadata) && (item.manager === 'conda' || installedByPython(metadata)))
    .map(([, item]) => ({
      manager: item!.manager,
      name: item!.name,
      version: item!.version,
      bytes: item!.unsized.reduce((sum, file) => sum + sizeInImage(item!, file), item!.bytes),
      prefix: `/${item!.prefix}`
    }))
}
