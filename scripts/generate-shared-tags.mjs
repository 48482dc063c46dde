// Generates src/analyze/shared-tags.json from Docker's official-images library definitions.
//
// Usage: node scripts/generate-shared-tags.mjs [libraryDir] [outputFile]
//   libraryDir  defaults to ../shared/official-images/library (relative to the repository root);
//               SOURCE.md next to it names the snapshot commit and date
//   outputFile  defaults to src/analyze/shared-tags.json
//
// Output, for every image with at least one SharedTags entry:
//   shared: each shared tag -> up to 3 simple Linux tags to use instead, best first
//   simple: the simple tags that look like plain versions or `latest`, the only ones the
//           classifier could otherwise mistake for unlisted (inferred) shared tags
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MAX_ALTERNATIVES = 3
const VERSION_ONLY = /^(v?\d+(\.\d+)*|latest)$/
const WINDOWS_TAG = /windowsservercore|nanoserver/

function parseBlocks(text) {
  const blocks = []
  let fields = {}
  let last
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(fields).length) blocks.push(fields)
      fields = {}
      last = undefined
    } else if (line.startsWith('#')) {
      continue
    } else if (/^\s/.test(line) && last) {
      fields[last] += ' ' + line.trim()
    } else {
      const colon = line.indexOf(':')
      last = line.slice(0, colon).trim()
      fields[last] = line.slice(colon + 1).trim()
    }
  }
  if (Object.keys(fields).length) blocks.push(fields)
  return blocks
}

function list(value) {
  return value
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : []
}

/** Entries of one library file; entries without their own Architectures inherit the file's. */
function parseEntries(text) {
  const blocks = parseBlocks(text)
  const globals = blocks.find((block) => !('Tags' in block)) ?? {}
  return blocks
    .filter((block) => 'Tags' in block)
    .map((block) => {
      const architectures = list(block.Architectures ?? globals.Architectures)
      return {
        tags: list(block.Tags),
        sharedTags: list(block.SharedTags),
        windows: architectures.length > 0 && architectures.every((arch) => arch.startsWith('windows-'))
      }
    })
}

function isLinuxTag(tag) {
  return !WINDOWS_TAG.test(tag)
}

/**
 * The versions listed beside `latest` (`3.14.7`, `3.14`, `3`): a tag is a variant of `latest` when its entry also lists
 * it under one of them.
 */
function latestStems(own) {
  return own ? own.sharedTags.filter((tag) => tag !== 'latest' && VERSION_ONLY.test(tag)) : []
}

/**
 * The simple tags of an entry that name a variant of the shared tag, each with that variant: `3.12-slim-bookworm` is
 * `slim-bookworm` of `3.12`.
 */
function variantsIn(entry, shared, stems) {
  const tags = entry.tags.filter(isLinuxTag)
  if (shared !== 'latest') {
    return tags
      .filter((tag) => tag.startsWith(shared + '-'))
      .map((tag) => ({ tag, variant: tag.slice(shared.length + 1) }))
  }
  return tags
    .filter((tag) => stems.some((stem) => tags.includes(`${stem}-${tag}`)))
    .map((tag) => ({ tag, variant: tag }))
}

/**
 * Variants that add no further version (`trixie` before `7.3.23-trixie`) come first, and Alpine (musl, rarely a drop-in
 * swap) last; otherwise definition order.
 */
function byPreference(variants) {
  const penalty = ({ variant }) => (/^\d/.test(variant) ? 2 : 0) + (variant.includes('alpine') ? 1 : 0)
  return [...variants].sort((a, b) => penalty(a) - penalty(b)).map(({ tag }) => tag)
}

/**
 * Ranks simple Linux tags to recommend for a shared tag: slim Debian variants of the same version,
 * then the variant the shared tag resolves to on Linux, then other variants of the same version,
 * then the remaining tags of the entry it resolves to.
 */
function alternativesFor(shared, entries) {
  const linux = entries.filter((entry) => !entry.windows)
  const own = linux.find((entry) => entry.sharedTags.includes(shared))
  const stems = latestStems(own)
  const siblings = linux.flatMap((entry) => variantsIn(entry, shared, stems))
  const ranked = [
    ...byPreference(siblings.filter(({ variant }) => /^slim-[a-z]+$/.test(variant))),
    ...(own ? byPreference(variantsIn(own, shared, stems)) : []),
    ...byPreference(siblings),
    ...(own ? own.tags.filter(isLinuxTag) : [])
  ]
  return [...new Set(ranked)].slice(0, MAX_ALTERNATIVES)
}

function byCodeUnit(a, b) {
  return a < b ? -1 : a > b ? 1 : 0
}

function imageData(entries) {
  const sharedTags = [...new Set(entries.flatMap((entry) => entry.sharedTags))].sort(byCodeUnit)
  if (sharedTags.length === 0) return undefined
  // Integer-like keys (`8`, `21`) still serialise first, in numeric order, as JavaScript orders object keys.
  const shared = {}
  for (const tag of sharedTags) shared[tag] = alternativesFor(tag, entries)
  const simple = [...new Set(entries.flatMap((entry) => entry.tags))]
    .filter((tag) => VERSION_ONLY.test(tag))
    .sort(byCodeUnit)
  return { shared, simple }
}

function readSnapshot(libraryDir) {
  const source = readFileSync(join(libraryDir, '..', 'SOURCE.md'), 'utf8')
  const commit = /\b[0-9a-f]{40}\b/.exec(source)?.[0]
  const date = /\b\d{4}-\d{2}-\d{2}\b/.exec(source)?.[0]
  if (!commit || !date) throw new Error(`SOURCE.md next to ${libraryDir} names no commit and date`)
  return { commit, date }
}

/** JSON with two-space indentation, but each array of tags on one line. */
function format(data) {
  const text = JSON.stringify(data, null, 2).replace(
    /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
    (_, items) => '[' + items.split(/,\n\s*/).join(', ') + ']'
  )
  return text + '\n'
}

function generate(libraryDir) {
  const images = {}
  for (const name of readdirSync(libraryDir).sort(byCodeUnit)) {
    const data = imageData(parseEntries(readFileSync(join(libraryDir, name), 'utf8')))
    if (data) images[name] = data
  }
  return { snapshot: readSnapshot(libraryDir), images }
}

const libraryDir = resolve(process.argv[2] ?? join(REPO_ROOT, '..', 'shared', 'official-images', 'library'))
const outputFile = resolve(process.argv[3] ?? join(REPO_ROOT, 'src', 'analyze', 'shared-tags.json'))
writeFileSync(outputFile, format(generate(libraryDir)))
