/**
 * A variant's input fingerprint: a digest over everything its build can read. Equal fingerprints mean an identical
 * build, so the measurement of one serves the other (base and head alike, or a stored baseline carried forward).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { minimatch } from 'minimatch'
import { buildStages, parseDockerfile, productionStage } from '../analyze/dockerfile.js'
import type { BuildInputs } from '../analyze/inputs.js'
import type { BuildContext, ContextEntry } from './context.js'
import type { Fingerprint, Variant } from '../types.js'

export interface FingerprintRequest {
  variant: Variant
  /** The platform the build is for: the variant's, else the engine's own. */
  platform: string
  dockerfileText: string
  inputs: BuildInputs | undefined
  context: BuildContext
  secretNames: string[]
  /** An external image's identity (registry digest, else local image id), or undefined when none can be had. */
  resolveImage: (reference: string) => Promise<string | undefined>
  /**
   * A base image's ONBUILD triggers (its config's `OnBuild`, `[]` for none), which run in the build of every stage
   * that starts from it; undefined when they cannot be known (the engine does not hold the image).
   */
  imageOnBuild?: (reference: string) => Promise<string[] | undefined>
}

const FORMAT = 'slimcheck fingerprint 1'
const GLOB = /[*?[\]{}]/

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

function hashFile(file: string): string {
  const hash = createHash('sha256')
  const buffer = Buffer.alloc(1024 * 1024)
  const descriptor = fs.openSync(file, 'r')
  try {
    for (let read = fs.readSync(descriptor, buffer); read > 0; read = fs.readSync(descriptor, buffer)) {
      hash.update(buffer.subarray(0, read))
    }
  } finally {
    fs.closeSync(descriptor)
  }
  return hash.digest('hex')
}

/** An entry is read when it, or a directory above it, is a source (by name, or matched by a glob). */
export function readBySources(name: string, sources: string[]): boolean {
  for (let current = name; current !== '.'; current = path.posix.dirname(current)) {
    for (const source of sources) {
      if (current === source || (GLOB.test(source) && minimatch(current, source, { dot: true }))) return true
    }
  }
  return false
}

/** Where a symbolic link in the context leads, resolved inside it as BuildKit does (`..` stops at its root). */
function linkTarget(entry: ContextEntry): string {
  const target = fs.readlinkSync(entry.source)
  const from = target.startsWith('/') ? target : path.posix.join(path.posix.dirname(entry.name), target)
  return path.posix.normalize(`/${from}`).replace(/^\/+/, '')
}

/**
 * The entries a build reads: those its sources name, and what symbolic links among them, or on the way to them,
 * lead to (BuildKit copies a link's target, not the link).
 */
export function entriesRead(entries: ContextEntry[], sources: string[], always: Set<string>): ContextEntry[] {
  const links = entries.filter((entry) => entry.type === 'symlink')
  const followed = new Set<string>()
  const reach = [...sources]
  for (let grew = true; grew;) {
    grew = false
    for (const link of links) {
      if (followed.has(link.name)) continue
      const through = reach.filter((source) => source.startsWith(`${link.name}/`))
      if (!readBySources(link.name, reach) && !through.length) continue
      followed.add(link.name)
      const target = linkTarget(link)
      reach.push(target, ...through.map((source) => `${target}${source.slice(link.name.length)}`))
      grew = true
    }
  }
  return entries.filter((entry) => always.has(entry.name) || readBySources(entry.name, reach))
}

/** File modes and contents, never times: a fresh checkout and an old one of the same commit fingerprint alike. */
function entryLine(entry: ContextEntry): string {
  const stat = fs.lstatSync(entry.source)
  const mode = (stat.mode & 0o7777).toString(8)
  if (entry.type === 'directory') return `dir ${entry.name} ${mode}`
  if (entry.type === 'symlink') return `link ${entry.name} ${fs.readlinkSync(entry.source)}`
  return `file ${entry.name} ${mode} ${hashFile(entry.source)}`
}

/** The external images the built stages start from: theirs are the ONBUILD triggers the build runs. */
function baseImages(request: FingerprintRequest): string[] {
  const { variant } = request
  const model = parseDockerfile(request.dockerfileText, { buildArgs: variant.buildArgs, target: variant.target })
  const stages = buildStages(model, productionStage(model, variant.target))
  return [...new Set(stages.flatMap((stage) => (stage.base.kind === 'image' ? [stage.base.ref.raw] : [])))]
}

const READS_CONTEXT = /^\s*(COPY|ADD)\s|^\s*RUN\s.*--mount=/i
const READS_ELSEWHERE = /^\s*(COPY|ADD)\s.*--from=|^\s*ADD\s(.*\s)?((https?|git|ssh):\/\/|git@)/i

/**
 * Whether the bases' ONBUILD triggers read the context: the whole of it for a COPY, ADD or RUN --mount among them, as
 * for a base whose triggers cannot be known; nothing a fingerprint can follow for one that copies from an image or
 * fetches.
 */
async function onBuildReads(
  request: FingerprintRequest
): Promise<{ readsContext: boolean } | { unfingerprintable: string }> {
  let readsContext = false
  for (const base of request.imageOnBuild ? baseImages(request) : []) {
    const triggers = await request.imageOnBuild!(base)
    const elsewhere = triggers?.find((trigger) => READS_ELSEWHERE.test(trigger))
    if (elsewhere)
      return {
        unfingerprintable: `the base \`${base}\` has \`ONBUILD ${elsewhere.trim()}\`, which reads outside the context`
      }
    if (!triggers || triggers.some((trigger) => READS_CONTEXT.test(trigger))) readsContext = true
  }
  return { readsContext }
}

export async function fingerprintVariant(request: FingerprintRequest): Promise<Fingerprint> {
  const { variant, inputs, context } = request
  if (!inputs) return { unfingerprintable: 'the Dockerfile has nothing to build' }
  if (inputs.unfingerprintable) return { unfingerprintable: inputs.unfingerprintable }
  const onBuild = await onBuildReads(request)
  if ('unfingerprintable' in onBuild) return onBuild
  const always = new Set([context.dockerfile, '.dockerignore', `${context.dockerfile}.dockerignore`])
  const sources = onBuild.readsContext ? 'all' : inputs.contextSources
  const read = sources === 'all' ? context.entries : entriesRead(context.entries, sources, always)
  const lines = [
    FORMAT,
    `dockerfile ${sha256(request.dockerfileText)}`,
    `target ${variant.target ?? ''}`,
    `platform ${request.platform}`,
    ...Object.entries(variant.buildArgs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `arg ${name} ${sha256(`${name}=${value}`)}`),
    ...[...request.secretNames].sort().map((name) => `secret ${name}`)
  ]
  for (const image of inputs.images) {
    const identity = image.digest ?? (await request.resolveImage(image.raw))
    if (!identity)
      return { unfingerprintable: `the image \`${image.raw}\` could be resolved neither by a registry nor locally` }
    lines.push(`image ${image.raw} ${identity}`)
  }
  lines.push(...read.map(entryLine))
  return { digest: `sha256:${sha256(lines.join('\n'))}` }
}
