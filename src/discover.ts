/** Stage 2: find the Dockerfile variants to build, from the workspace tree or from explicit declarations. */
import fs from 'node:fs'
import path from 'node:path'
import { minimatch } from 'minimatch'
import { InputError, type Settings, type VariantSpec } from './config.js'
import type { Logger } from './log.js'
import type { Variant } from './types.js'
import { leadsOutThroughLink } from './workspace-path.js'

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules'])

export function isDockerfileName(basename: string): boolean {
  if (basename.endsWith('.dockerignore')) return false
  return basename === 'Dockerfile' || basename.startsWith('Dockerfile.') || /\.dockerfile$/i.test(basename)
}

/**
 * `Dockerfile.slim` → `slim`, `docker/api/Dockerfile` → `docker/api`, `web.Dockerfile` → `web`, a root `Dockerfile` →
 * `default`.
 */
export function variantNameFor(dockerfile: string): string {
  const dir = path.posix.dirname(dockerfile)
  const base = path.posix.basename(dockerfile)
  const suffix =
    base === 'Dockerfile'
      ? ''
      : base.startsWith('Dockerfile.')
        ? base.slice('Dockerfile.'.length)
        : base.replace(/\.dockerfile$/i, '')
  const parts = [dir === '.' ? '' : dir, suffix].filter(Boolean)
  return parts.length > 0 ? parts.join('/') : 'default'
}

/**
 * Discovery's warnings (two Dockerfiles for one name, a directory it cannot read) go to `logger`. `previous` maps
 * Dockerfiles to the names the baseline gave them: where two files want one name, the one that had it keeps it.
 */
export function discoverVariants(
  settings: Settings,
  logger?: Pick<Logger, 'warning'>,
  previous: ReadonlyMap<string, string> = new Map()
): Variant[] {
  const warn = (message: string): void => logger?.warning(message)
  if (settings.variants?.length === 0) throw new InputError(noVariantsDeclared(settings))
  const variants = settings.variants
    ? declaredVariants(settings.variants, settings)
    : scanWorkspace(settings, warn, previous)
  if (variants.length === 0) {
    throw new InputError(
      `no Dockerfile found in ${settings.workspace} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile; skipped .git, node_modules` +
        (settings.exclude.length ? ` and exclude: ${settings.exclude.join(', ')}` : '') +
        ')'
    )
  }
  return variants
}

/** An empty list of declared variants is no request to scan: it names nothing to build. */
function noVariantsDeclared(settings: Settings): string {
  return settings.configFile === undefined
    ? 'variants: the list is empty, so there is nothing to build; list the Dockerfiles to build, or leave the input empty to build every Dockerfile found'
    : `config-file: ${settings.configFile} declares no variants, so there is nothing to build; list them under variants:, or delete the file to build every Dockerfile found`
}

/**
 * Every discovered Dockerfile becomes a variant. Two that map to one name (`Dockerfile.api` and `api/Dockerfile`)
 * are both built: the one the baseline gave that name keeps it, else the first by path; the others are named by their
 * paths. A pull request that adds a Dockerfile so never takes an existing variant's name, and one that deletes the
 * name's holder leaves the other with its path name, so each is compared with itself.
 */
function scanWorkspace(
  settings: Settings,
  warn: (message: string) => void,
  previous: ReadonlyMap<string, string>
): Variant[] {
  const dockerfiles = findDockerfiles(settings.workspace, settings.exclude, warn)
  const holders = new Map<string, string>()
  for (const dockerfile of dockerfiles) {
    const wanted = variantNameFor(dockerfile)
    const holder = holders.get(wanted)
    if (holder === undefined || (previous.get(dockerfile) === wanted && previous.get(holder) !== wanted))
      holders.set(wanted, dockerfile)
  }
  const claimed = new Map<string, string>()
  return dockerfiles.map((dockerfile) => {
    const wanted = variantNameFor(dockerfile)
    const kept = previous.get(dockerfile)
    const takesWanted = holders.get(wanted) === dockerfile && !claimed.has(wanted)
    let name = wanted
    if (takesWanted && kept !== undefined && isPathName(kept, dockerfile) && !claimed.has(kept)) {
      name = kept
      warn(
        `${dockerfile} keeps the name '${kept}' the baseline gave it, so that it is compared with itself; the push ` +
          `run after the merge names it '${wanted}'`
      )
    } else if (!takesWanted) {
      name = dockerfile
      for (let count = 2; claimed.has(name); count++) name = `${dockerfile}#${count}`
      warn(
        `${claimed.get(wanted) ?? holders.get(wanted)} and ${dockerfile} would both be variant '${wanted}'; ` +
          `${dockerfile} is built as variant '${name}'. Rename one of them, or declare the variants with their names`
      )
    }
    claimed.set(name, dockerfile)
    return {
      name,
      dockerfile,
      context: path.posix.dirname(dockerfile),
      buildArgs: { ...settings.buildArgs },
      platform: settings.platform
    }
  })
}

/** A name discovery gave `dockerfile` by its path, as another Dockerfile had the name it wanted. */
function isPathName(name: string, dockerfile: string): boolean {
  return name === dockerfile || (/^#\d+$/.test(name.slice(dockerfile.length)) && name.startsWith(dockerfile))
}

/**
 * Whether scanning finds two Dockerfiles that want one variant name (declared variants have theirs); false where the
 * working directory cannot be read, which discovery then reports.
 */
export function scanFindsSharedName(settings: Settings): boolean {
  if (settings.variants) return false
  try {
    const names = findDockerfiles(settings.workspace, settings.exclude, () => undefined).map(variantNameFor)
    return new Set(names).size < names.length
  } catch (error) {
    if (error instanceof InputError) return false
    throw error
  }
}

/**
 * The names an earlier report gave Dockerfiles by what they want: who held a shared name. Its path names are left
 * out, so that a name whose holder was deleted goes to the Dockerfile that wants it.
 */
export function heldNames<T extends Pick<Variant, 'dockerfile' | 'name'>>(variants: T[]): T[] {
  return variants.filter((variant) => variant.name === variantNameFor(variant.dockerfile))
}

/**
 * Workspace-relative POSIX paths of every Dockerfile, sorted. A symbolic link named like a Dockerfile counts, as
 * `docker build -f` reads through it, and so does a broken one, which then fails as its variant; symbolic links to
 * directories are not followed. A directory that cannot be read is skipped with a warning.
 */
export function findDockerfiles(workspace: string, exclude: string[], warn: (message: string) => void): string[] {
  const found: string[] = []
  const excluded = (relative: string): boolean =>
    exclude.some(
      (pattern) => minimatch(relative, pattern, { dot: true }) || minimatch(relative, `${pattern}/**`, { dot: true })
    )
  const walk = (relativeDir: string): void => {
    for (const entry of readDirectory(workspace, relativeDir, warn)) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name
      if (excluded(relative)) continue
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) walk(relative)
      else if (
        isDockerfileName(entry.name) &&
        (entry.isFile() || (entry.isSymbolicLink() && !linksToDirectory(path.join(workspace, relative))))
      )
        found.push(relative)
    }
  }
  walk('')
  return found.sort()
}

function readDirectory(workspace: string, relativeDir: string, warn: (message: string) => void): fs.Dirent[] {
  try {
    return fs.readdirSync(path.join(workspace, relativeDir), { withFileTypes: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    if (!relativeDir) throw new InputError(`cannot look for Dockerfiles in ${workspace} (${code})`)
    warn(`cannot look for Dockerfiles in ${relativeDir} (${code}); exclude it, or make it readable to this user`)
    return []
  }
}

/** False for a broken link (its target missing, or a loop): that Dockerfile is reported as its variant's problem. */
function linksToDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory()
  } catch {
    return false
  }
}

/** Declared variants; two with one name are an error naming both declarations. */
function declaredVariants(specs: VariantSpec[], settings: Settings): Variant[] {
  const origins = new Map<string, string>()
  return specs.map((spec) => {
    const variant = fromSpec(spec, settings)
    const earlier = origins.get(variant.name)
    if (earlier !== undefined)
      throw new InputError(
        `${earlier} and ${spec.origin} both declare a variant named '${variant.name}'; give each a distinct 'name'`
      )
    origins.set(variant.name, spec.origin)
    return variant
  })
}

function fromSpec(spec: VariantSpec, settings: Settings): Variant {
  const dockerfile = insideWorkspace(spec.dockerfile, settings.workspace, `${spec.origin}: dockerfile`)
  const context =
    spec.context === undefined
      ? path.posix.dirname(dockerfile)
      : insideWorkspace(spec.context, settings.workspace, `${spec.origin}: context`)
  const name = spec.name ?? variantNameFor(dockerfile) + (spec.target ? `:${spec.target}` : '')
  return {
    name,
    dockerfile,
    context,
    target: spec.target,
    buildArgs: { ...settings.buildArgs, ...spec.buildArgs },
    ...(spec.committed && Object.keys(spec.buildArgs).length ? { committedArgs: Object.keys(spec.buildArgs) } : {}),
    platform: spec.platform ?? settings.platform,
    ...(spec.ignore ? { ignore: spec.ignore } : {})
  }
}

function insideWorkspace(given: string, workspace: string, label: string): string {
  const absolute = path.resolve(workspace, given)
  const relative = path.relative(workspace, absolute)
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new InputError(`${label} '${given}' is outside the working directory ${workspace}`)
  if (leadsOutThroughLink(workspace, relative))
    throw new InputError(`${label} '${given}' leads outside the working directory ${workspace} through a symbolic link`)
  return relative === '' ? '.' : relative.split(path.sep).join('/')
}
