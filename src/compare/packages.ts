/** The packages a pull request added, removed and changed in an image, from both sides' package databases. Pure. */
import type {
  ContentsChange,
  ImageContents,
  ImagePackage,
  PackageChange,
  PackageChangeGroup,
  PackageManager
} from '../types.js'

/** Packages named per group, largest first; the counts and totals cover all of them. */
const PACKAGES_NAMED = 10

/** What a report from before Python and conda packages looked for. */
const EARLIER_SOURCES: PackageManager[] = ['dpkg', 'apk']

/**
 * Packages are compared where both sides looked for them: against a report that did not read Python or conda
 * packages, none of them counts as added. Python names compare in their normal form (`Jinja2` is `jinja2`).
 */
export function diffPackages(
  before: Pick<ImageContents, 'packages' | 'packageSources'>,
  after: Pick<ImageContents, 'packages' | 'packageSources'>
): ContentsChange['packages'] {
  const afterSources = after.packageSources ?? EARLIER_SOURCES
  const both = new Set((before.packageSources ?? EARLIER_SOURCES).filter((source) => afterSources.includes(source)))
  const [was, now] = [before.packages, after.packages].map(
    (items) => new Map(items.filter((item) => both.has(item.manager)).map((item) => [keyOf(item), item]))
  )
  if (!was.size && !now.size) return undefined
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

function keyOf(item: ImagePackage): string {
  // Python's packaging compares names in this form (PEP 503), and conda's names follow it.
  const name =
    item.manager === 'python' || item.manager === 'conda' ? item.name.toLowerCase().replace(/[-_.]+/g, '-') : item.name
  return [item.manager, item.prefix ?? '', name].join('\u0000')
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
