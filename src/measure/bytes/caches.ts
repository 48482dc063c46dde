/** Package-manager caches and language caches left in the image, and version-control directories copied into it. */
import type { ByteRuleId } from '../../types.js'
import type { KeptEntries } from './replay.js'

interface PathKind {
  rule: ByteRuleId
  kind: string
  /** The directory the kind is found under, from the start of the path. */
  root: RegExp
}

/** Each pattern's match is the directory reported; the first that matches a file takes it. */
const PATH_KINDS: PathKind[] = [
  { rule: 'package-cache', kind: 'apt lists', root: /^var\/lib\/apt\/lists(?=\/)/ },
  { rule: 'package-cache', kind: 'apt cache', root: /^var\/cache\/apt(?=\/)/ },
  { rule: 'package-cache', kind: 'apk cache', root: /^var\/cache\/apk(?=\/)/ },
  { rule: 'package-cache', kind: 'dnf cache', root: /^var\/cache\/dnf(?=\/)/ },
  { rule: 'package-cache', kind: 'yum cache', root: /^var\/cache\/yum(?=\/)/ },
  { rule: 'package-cache', kind: 'zypper cache', root: /^var\/cache\/zypp(?=\/)/ },
  { rule: 'package-cache', kind: 'pacman cache', root: /^var\/cache\/pacman\/pkg(?=\/)/ },
  { rule: 'language-cache', kind: 'pip cache', root: /^(?:.*?\/)?\.cache\/pip(?=\/)/ },
  { rule: 'language-cache', kind: 'uv cache', root: /^(?:.*?\/)?\.cache\/uv(?=\/)/ },
  { rule: 'language-cache', kind: 'npm cache', root: /^(?:.*?\/)?\.npm\/_cacache(?=\/)/ },
  { rule: 'language-cache', kind: 'yarn cache', root: /^(?:.*?\/)?(?:\.cache\/yarn|\.yarn\/berry\/cache)(?=\/)/ },
  { rule: 'language-cache', kind: 'go build cache', root: /^(?:.*?\/)?\.cache\/go-build(?=\/)/ },
  { rule: 'language-cache', kind: 'conda package cache', root: /^(?:.*?\/)?\.conda\/pkgs(?=\/)/ },
  { rule: 'vcs-in-image', kind: '.git', root: /^(?:.*?\/)?\.git(?=\/)/ },
  { rule: 'vcs-in-image', kind: '.hg', root: /^(?:.*?\/)?\.hg(?=\/)/ },
  { rule: 'vcs-in-image', kind: '.svn', root: /^(?:.*?\/)?\.svn(?=\/)/ }
]

/** A quick test every pattern's match passes, so that most files are tested once. */
const CANDIDATE = /^var\/(lib\/apt|cache)\/|\.cache\/|\.npm\/|\.yarn\/|\/pkgs\/|\.conda\/|(^|\/)\.(git|hg|svn)\//

/** A conda environment's package cache: `<prefix>/pkgs` beside `<prefix>/conda-meta`. */
const CONDA_PKGS = /^(?:(.*?)\/)?pkgs(?=\/)/

export interface PathGroup {
  rule: ByteRuleId
  kind: string
  path: string
  layer: number
  bytes: number
}

/** The kept files of each kind, grouped by directory and by the layer that wrote them. */
export function pathGroups(kept: KeptEntries[], has: (path: string) => boolean): PathGroup[] {
  const groups = new Map<string, PathGroup>()
  const condaPrefixes = new Map<string, boolean>()
  const isCondaPrefix = (prefix: string): boolean => {
    let known = condaPrefixes.get(prefix)
    if (known === undefined) condaPrefixes.set(prefix, (known = has(prefix ? `${prefix}/conda-meta` : 'conda-meta')))
    return known
  }
  // Every kind is a directory and all it holds: the directory of a file decides, and `dir/` stands for its files.
  for (const { dir, layer, bytes } of kept) {
    if (bytes === 0 || !CANDIDATE.test(`${dir}/`)) continue
    const found = classify(`${dir}/`, isCondaPrefix)
    if (!found) continue
    const key = [found.kind, found.path, layer].join('\u0000')
    const group = groups.get(key) ?? { ...found, layer, bytes: 0 }
    group.bytes += bytes
    groups.set(key, group)
  }
  return [...groups.values()]
}

function classify(
  path: string,
  isCondaPrefix: (prefix: string) => boolean
): { rule: ByteRuleId; kind: string; path: string } | undefined {
  for (const { rule, kind, root } of PATH_KINDS) {
    const match = root.exec(path)
    if (match) return { rule, kind, path: match[0] }
  }
  const conda = CONDA_PKGS.exec(path)
  if (conda && isCondaPrefix(conda[1] ?? ''))
    return { rule: 'language-cache', kind: 'conda package cache', path: conda[0] }
  return undefined
}
