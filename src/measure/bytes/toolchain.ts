/** The packages the image's package databases list as installed, and which of them only a build needs. */
import { installedPackages, PACKAGE_DATABASES } from './package-db.js'
import type { LayerFiles } from './layer-files.js'

/**
 * Packages only a build needs: compilers (any version, Debian's per-architecture ones too), `-dev` packages (headers
 * and static libraries), and the tools that drive a build. Runtime libraries (libgcc-s1, libstdc++6) are not.
 */
const TOOLCHAIN = [
  /^(gcc|g\+\+|cpp|gfortran|clang|llvm)(-\d+(\.\d+)*)?(-[a-z0-9_-]+-linux-gnu\w*)?$/,
  /-dev$/,
  /-dev-bin$/,
  /^(build-essential|build-base|binutils|make|cmake|ninja-build|autoconf|automake|libtool|pkg-config|pkgconf)$/,
  /^(binutils-[a-z0-9_-]+-linux-gnu\w*|libc6-dev|libc-dev|musl-dev|linux-libc-dev|linux-headers|fortify-headers)$/
]

export function isToolchainPackage(name: string): boolean {
  return TOOLCHAIN.some((pattern) => pattern.test(name))
}

export interface InstalledPackage {
  /** The database that lists it: dpkg's status or apk's installed. */
  database: string
  name: string
  version: string
  bytes: number
  /** The first layer of those whose database has listed it ever since. */
  layer: number
}

/** The packages in the image's last package databases, each with the layer that installed it. */
export function installedInImage(layers: LayerFiles[]): InstalledPackage[] {
  const found: InstalledPackage[] = []
  for (const database of PACKAGE_DATABASES) {
    let current = new Map<string, InstalledPackage>()
    layers.forEach((layer, index) => {
      const text = layer.packageDatabases[database]
      if (text !== undefined) {
        const next = new Map<string, InstalledPackage>()
        for (const [name, record] of installedPackages(database, text))
          next.set(name, { database, name, ...record, layer: current.get(name)?.layer ?? index })
        current = next
      } else if (hides(layer, database)) current = new Map()
    })
    found.push(...current.values())
  }
  return found
}

function hides(layer: LayerFiles, path: string): boolean {
  const under = (dir: string): boolean => path === dir || path.startsWith(`${dir}/`)
  return layer.whiteouts.some(under) || layer.opaqueDirs.some((dir) => path.startsWith(`${dir}/`))
}
