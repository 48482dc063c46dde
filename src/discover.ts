/** Stage 2: find the Dockerfile variants to build, from the workspace tree or from explicit declarations. */
import fs from 'node:fs'
import path from 'node:path'
import { minimatch } from 'minimatch'
import { InputError, type Settings, type VariantSpec } from './config.js'
import type { Variant } from './types.js'

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules'])

export function isDockerfileName(basename: string): boolean {
  if (basename.endsWith('.dockerignore')) return false
  return basename === 'Dockerfile' || basename.startsWith('Dockerfile.') || /\.dockerfile$/i.test(basename)
}

/** `Dockerfile.slim` → `slim`, `docker/api/Dockerfile` → `docker/api`, `web.Dockerfile` → `web`, a root `Dockerfile` → `default`. */
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

export function discoverVariants(settings: Settings): Variant[] {
  const variants = settings.variants
    ? settings.variants.map((spec) => fromSpec(spec, settings))
    : scanWorkspace(settings)
  if (variants.length === 0) {
    throw new InputError(
      `no Dockerfile found in ${settings.workspace} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile; skipped .git, node_modules` +
        (settings.exclude.length ? ` and exclude: ${settings.exclude.join(', ')}` : '') +
        ')'
    )
  }
  assertUniqueNames(variants)
  return variants
}

function scanWorkspace(settings: Settings): Variant[] {
  return findDockerfiles(settings.workspace, settings.exclude).map((dockerfile) => ({
    name: variantNameFor(dockerfile),
    dockerfile,
    context: path.posix.dirname(dockerfile),
    buildArgs: { ...settings.buildArgs },
    platform: settings.platform
  }))
}

/** Workspace-relative POSIX paths of every Dockerfile, sorted. Symbolic links to directories are not followed. */
export function findDockerfiles(workspace: string, exclude: string[]): string[] {
  const found: string[] = []
  const excluded = (relative: string): boolean =>
    exclude.some(
      (pattern) => minimatch(relative, pattern, { dot: true }) || minimatch(relative, `${pattern}/**`, { dot: true })
    )
  const walk = (relativeDir: string): void => {
    const entries = fs.readdirSync(path.join(workspace, relativeDir), { withFileTypes: true })
    for (const entry of entries) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name
      if (excluded(relative)) continue
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) walk(relative)
      else if (entry.isFile() && isDockerfileName(entry.name)) found.push(relative)
    }
  }
  walk('')
  return found.sort()
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
    platform: spec.platform ?? settings.platform
  }
}

function insideWorkspace(given: string, workspace: string, label: string): string {
  const absolute = path.resolve(workspace, given)
  const relative = path.relative(workspace, absolute)
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new InputError(`${label} '${given}' is outside the working directory ${workspace}`)
  return relative === '' ? '.' : relative.split(path.sep).join('/')
}

function assertUniqueNames(variants: Variant[]): void {
  const seen = new Set<string>()
  for (const variant of variants) {
    if (seen.has(variant.name)) {
      throw new InputError(
        `two variants are named '${variant.name}'; give each a distinct 'name' in the variants declaration`
      )
    }
    seen.add(variant.name)
  }
}
