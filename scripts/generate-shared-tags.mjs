// Generates src/analyze/shared-tags.json from Docker's official-images library definitions and shared-tag history.
//
// Usage: node scripts/generate-shared-tags.mjs [libraryDir] [outputFile]
//   libraryDir  defaults to ../shared/official-images/library (relative to the repository root);
//               SOURCE.md next to it names the snapshot commit and date, and historical-shared-tags.tsv next to it
//               lists every tag whose newest listing in the library's history was under SharedTags
//   outputFile  defaults to src/analyze/shared-tags.json
//
// Output, for every image with a SharedTags entry now or a shared tag that is no longer listed:
//   shared:  each shared tag -> up to 3 simple Linux tags to use instead, best first
//   simple:  the simple tags that look like plain versions or `latest`, the only ones the
//            classifier could otherwise mistake for unlisted (inferred) shared tags
//   retired: the shared tags the library no longer lists, as pattern -> date of their last listing -> names;
//            `*` in a pattern stands for each name and `{a,b}` for either choice, so
//            "*{,-windowsservercore}": { "2019-02-26": "2.7.15 3.7.2" } holds 2.7.15, 2.7.15-windowsservercore,
//            3.7.2 and 3.7.2-windowsservercore, each last listed on 2019-02-26
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MAX_ALTERNATIVES = 3
const VERSION_ONLY = /^(v?\d+(\.\d+)*|latest)$/
const WINDOWS_TAG = /windowsservercore|nanoserver/
const HISTORY_COLUMNS = 'image\ttag\tnewest_listing_commit\tnewest_listing_date\tlisted_at_snapshot'

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

function imageData(entries, retired) {
  const sharedTags = [...new Set(entries.flatMap((entry) => entry.sharedTags))].sort(byCodeUnit)
  if (sharedTags.length === 0 && retired.length === 0) return undefined
  // Integer-like keys (`8`, `21`) still serialise first, in numeric order, as JavaScript orders object keys.
  const shared = {}
  for (const tag of sharedTags) shared[tag] = alternativesFor(tag, entries)
  const simple = [...new Set(entries.flatMap((entry) => entry.tags))]
    .filter((tag) => VERSION_ONLY.test(tag))
    .sort(byCodeUnit)
  return retired.length > 0 ? { shared, simple, retired: retiredPatterns(retired) } : { shared, simple }
}

/**
 * A tag cut where its variant starts: after its last word holding a digit, else after its first word.
 * `11.0.3_7-jdk-hotspot` is `11.0.3_7` and `-jdk-hotspot`; `latest-alpine` is `latest` and `-alpine`.
 */
function nameAndVariant(tag) {
  const words = tag.split('-')
  const last = words.findLastIndex((word) => /\d/.test(word))
  const cut = Math.max(last, 0) + 1
  return {
    name: words.slice(0, cut).join('-'),
    variant: words
      .slice(cut)
      .map((word) => '-' + word)
      .join('')
  }
}

function choice(items) {
  const sorted = [...items].sort(byCodeUnit)
  return sorted.length === 1 ? sorted[0] : `{${sorted.join(',')}}`
}

/**
 * The variants that follow a name, as a pattern: the last word of the longer ones is factored out when every variant
 * comes with the same last words (`*{,-jdk,-jre}{,-nanoserver,-windowsservercore}`), else they are listed.
 */
function variantPattern(variants) {
  const lastWords = new Set(variants.filter((variant) => variant.lastIndexOf('-') > 0).map(lastWord))
  const byStem = new Map()
  for (const variant of variants) {
    const last = lastWords.has(lastWord(variant)) ? lastWord(variant) : ''
    const stem = variant.slice(0, variant.length - last.length)
    byStem.set(stem, [...(byStem.get(stem) ?? []), last])
  }
  const endings = new Set([...byStem.values()].map((lasts) => choice(lasts)))
  return endings.size === 1 ? `*${choice(byStem.keys())}${[...endings][0]}` : `*${choice(variants)}`
}

function lastWord(variant) {
  const dash = variant.lastIndexOf('-')
  return dash < 0 ? '' : variant.slice(dash)
}

/** Retired tags `{ tag, date }` as pattern -> date -> names (see the top of this file). */
function retiredPatterns(retired) {
  const variants = new Map()
  for (const { tag, date } of retired) {
    const { name, variant } = nameAndVariant(tag)
    const key = `${date} ${name}`
    variants.set(key, [...(variants.get(key) ?? []), variant])
  }
  const names = new Map()
  for (const [key, list] of variants) {
    const pattern = variantPattern(list)
    names.set(pattern, [...(names.get(pattern) ?? []), key])
  }
  const patterns = {}
  for (const pattern of [...names.keys()].sort(byCodeUnit)) {
    const byDate = {}
    for (const key of names.get(pattern).sort(byCodeUnit)) {
      const [date, name] = key.split(' ')
      byDate[date] = byDate[date] ? `${byDate[date]} ${name}` : name
    }
    patterns[pattern] = byDate
  }
  return patterns
}

/**
 * The tags of historical-shared-tags.tsv the library no longer lists, by image. Throws when the file and the library
 * disagree on which tags are still listed, as they do when they come from different snapshots.
 */
function readRetired(libraryDir, listed) {
  const file = join(libraryDir, '..', 'historical-shared-tags.tsv')
  const [columns, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n')
  if (columns !== HISTORY_COLUMNS) throw new Error(`${file} does not start with the columns ${HISTORY_COLUMNS}`)
  const retired = new Map()
  for (const row of rows) {
    const [image, tag, , date, stillListed] = row.split('\t')
    if ((stillListed === 'yes') !== (listed.get(image)?.has(tag) ?? false)) {
      throw new Error(`${file} and ${libraryDir} disagree on whether ${image}:${tag} is listed`)
    }
    if (stillListed === 'no') retired.set(image, [...(retired.get(image) ?? []), { tag, date }])
  }
  return retired
}

function readSnapshot(libraryDir) {
  const source = readFileSync(join(libraryDir, '..', 'SOURCE.md'), 'utf8')
  const commit = /\b[0-9a-f]{40}\b/.exec(source)?.[0]
  const date = /\b\d{4}-\d{2}-\d{2}\b/.exec(source)?.[0]
  if (!commit || !date) throw new Error(`SOURCE.md next to ${libraryDir} names no commit and date`)
  return { commit, date }
}

/** JSON with two-space indentation, but each array of tags and each set of names by date on one line. */
function format(data) {
  const text = JSON.stringify(data, null, 2)
    .replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (_, items) => '[' + items.split(/,\n\s*/).join(', ') + ']')
    .replace(
      /\{\n\s*("\d{4}-\d{2}-\d{2}": "[^"]*"(?:,\n\s*"\d{4}-\d{2}-\d{2}": "[^"]*")*)\n\s*\}/g,
      (_, items) => '{ ' + items.split(/,\n\s*/).join(', ') + ' }'
    )
  return text + '\n'
}

function generate(libraryDir) {
  const library = new Map(
    readdirSync(libraryDir).map((name) => [name, parseEntries(readFileSync(join(libraryDir, name), 'utf8'))])
  )
  const listed = new Map(
    [...library].map(([name, entries]) => [
      name,
      new Set(entries.flatMap((entry) => [...entry.tags, ...entry.sharedTags]))
    ])
  )
  const retired = readRetired(libraryDir, listed)
  const images = {}
  for (const name of [...new Set([...library.keys(), ...retired.keys()])].sort(byCodeUnit)) {
    const data = imageData(library.get(name) ?? [], retired.get(name) ?? [])
    if (data) images[name] = data
  }
  return { snapshot: readSnapshot(libraryDir), images }
}

const libraryDir = resolve(process.argv[2] ?? join(REPO_ROOT, '..', 'shared', 'official-images', 'library'))
const outputFile = resolve(process.argv[3] ?? join(REPO_ROOT, 'src', 'analyze', 'shared-tags.json'))
writeFileSync(outputFile, format(generate(libraryDir)))
