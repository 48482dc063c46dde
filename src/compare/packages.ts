/** The packages a pull request added, removed and changed in an image, from both sides' package databases. Pure. */
import type { ImagePackage, PackageChange, PackageChangeGroup, ContentsChange } from '../types.js'

/** Packages named per group, largest first; the counts and totals cover all of them. */
const PACKAGES_NAMED = 10

export function diffPackages(before: ImagePackage[], after: ImagePackage[]): ContentsChange['packages'] {
  if (!before.length && !after.length) return undefined
  const key = (item: ImagePackage): string => [item.manager, item.prefix ?? '', item.name].join('\u0000')
  const was = new Map(before.map((item) => [key(item), item]))
  const now = new Map(after.map((item) => [key(item), item]))
  const added: PackageChange[] = []
  const removed: PackageChange[] = []
  const changed: PackageChange[] = []
  for (const [id, item] of now) {
    const old = was.get(id)
    const common = identity(item)
    if (!old) added.push({ ...common, after: item.version, delta: item.bytes })
    else if (old.version !== item.version)
      changed.push({ ...common, before: old.version, after: item.version, delta: item.bytes - old.bytes })
  }
  for (const [id, item] of was)
    if (!now.has(id)) removed.push({ ...identity(item), before: item.version, delta: -item.bytes })
  return { added: group(added), removed: group(removed), changed: group(changed) }
}

function identity(item: ImagePackage): Pick<PackageChange, 'manager' | 'name' | 'prefix'> {
  return { manager: item.manager, name: item.name, ...(item.prefix !== undefined ? { prefix: item.prefix } : {}) }
}

function group(changes: PackageChange[]): PackageChangeGroup {
  const largest = [...changes].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.name.localeCompare(b.name))
  return {
    count: changes.length,
    delta: changes.reduce((sum, change) => sum + change.delta, 0),
    largest: largest.slice(0, PACKAGES_NAMED)
  }
}
