/**
 * What an image holds, for explaining its size: the installed packages (the system's, Python's and conda's) and the
 * largest directories.
 */
import path from 'node:path'
import type { DirectoryBytes, ImageContents, ImagePackage, PackageManager } from '../../types.js'
import { installerPathOf, type LanguagePackage } from './language-packages.js'
import type { LayerFiles } from './layer-files.js'
import { DPKG_STATUS } from './package-db.js'
import type { KeptFile } from './replay.js'
import type { InstalledPackage } from './toolchain.js'

const PACKAGE_SOURCES: PackageManager[] = ['dpkg', 'apk', 'python', 'conda']
/** `usr/lib/x86_64-linux-gnu`, `usr/local/lib`, `opt/app/node_modules`: deep enough to name what grew. */
const DIRECTORY_DEPTH = 3
/** Directories kept per image, largest first: enough to compare two images, small in the report. */
const DIRECTORIES_KEPT = 200

export function contentsOf(
  layers: LayerFiles[],
  kept: KeptFile[],
  has: (path: string) => boolean,
  installed: InstalledPackage[]
): ImageContents {
  const packages: ImagePackage[] = [
    ...installed.map(({ database, name, version, bytes }): ImagePackage => ({
      manager: database === DPKG_STATUS ? 'dpkg' : 'apk',
      name,
      version,
      bytes
    })),
    ...languagePackages(layers, kept, has)
  ]
  const all = directories(layers, kept)
  const omitted = all[DIRECTORIES_KEPT]?.bytes
  return {
    packages,
    packageSources: PACKAGE_SOURCES,
    directories: all.slice(0, DIRECTORIES_KEPT),
    ...(omitted !== undefined ? { directoriesOmittedBelow: omitted } : {})
  }
}

/** Kept bytes per directory, largest first, each with the layer that wrote most of them. */
function directories(layers: LayerFiles[], kept: KeptFile[]): DirectoryBytes[] {
  const byDirectory = new Map<string, number[]>()
  for (const file of kept) {
    const path = directoryOf(file.path)
    let byLayer = byDirectory.get(path)
    if (!byLayer) byDirectory.set(path, (byLayer = []))
    byLayer[file.layer] = (byLayer[file.layer] ?? 0) + file.size
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

/** The file's directory, cut at `DIRECTORY_DEPTH`: `usr/lib/x86_64-linux-gnu` for any file below it. */
function directoryOf(file: string): string {
  let end = -1
  for (let depth = 0; depth < DIRECTORY_DEPTH; depth++) {
    const slash = file.indexOf('/', end + 1)
    if (slash < 0) break
    end = slash
  }
  return end < 0 ? '' : file.slice(0, end)
}

/**
 * The Python and conda packages whose metadata the image still holds, as the last layer to write it left it. A wheel
 * counts as Python's when a Python installer installed it (its INSTALLER, other than conda's): conda's Python
 * libraries are listed as conda's, and Debian's or Alpine's, which ship no INSTALLER, as their system packages.
 */
function languagePackages(layers: LayerFiles[], kept: KeptFile[], has: (path: string) => boolean): ImagePackage[] {
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
  let keptSizes: Map<string, number> | undefined
  const sizeInImage = (item: LanguagePackage, file: string): number => {
    keptSizes ??= new Map(kept.map((entry) => [entry.path, entry.size]))
    const resolved = path.posix.normalize(item.prefix ? `${item.prefix}/${file}` : file).replace(/^(\.\/|\/)+/, '')
    return keptSizes.get(resolved) ?? 0
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
