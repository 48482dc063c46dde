/**
 * Merging the partial reports of a sharded run into the report of the whole set, then comparing that again, so that
 * totals, violations and the verdict are those of every variant. A leg or a variant that is missing becomes a
 * run-level problem, which fails the check; partial reports that do not belong together are an error. Pure.
 */
import { compareReports } from '../compare/index.js'
import { InputError, type Policy } from '../config.js'
import { SCHEMA_VERSION, type BaselineInfo, type Comparison, type Report, type ShardInfo } from '../types.js'

/** A partial report and the file it was read from, which every error names. */
export interface PartialFile {
  file: string
  report: Report
}

export interface MergedRun {
  head: Report
  /** The legs' base sides together; absent when the legs compared with nothing. */
  base?: Report
  comparison: Comparison
}

type Leg = PartialFile & { shard: ShardInfo }

function shardText(leg: { shard: ShardInfo }): string {
  return `${leg.shard.index}/${leg.shard.total}`
}

function isShardInfo(value: unknown): value is ShardInfo {
  const shard = value as Partial<ShardInfo> | undefined
  return (
    Number.isInteger(shard?.index) &&
    Number.isInteger(shard?.total) &&
    Array.isArray(shard?.variants) &&
    shard.variants.every((name) => typeof name === 'string')
  )
}

function asLeg(partial: PartialFile): Leg {
  const { file, report } = partial
  // Read from a file: nothing is known about it before these checks.
  const schemaVersion: unknown = report.schemaVersion
  if (schemaVersion !== SCHEMA_VERSION)
    throw new InputError(
      `${file}: the report has schemaVersion ${String(schemaVersion)}; this slimcheck merges ${SCHEMA_VERSION}`
    )
  if (!isShardInfo(report.shard)) {
    const problems = report.problems?.length ? `; its problems: ${report.problems.join('; ')}` : ''
    throw new InputError(`${file} is not a partial report: it has no shard (the legs set shard: I/N)${problems}`)
  }
  return { ...partial, shard: report.shard }
}

/** Every leg must agree on `what`: otherwise an error that groups the files by what each says. */
function agree(legs: Leg[], what: string, valueOf: (leg: Leg) => string): void {
  const groups = new Map<string, string[]>()
  for (const leg of legs) groups.set(valueOf(leg), [...(groups.get(valueOf(leg)) ?? []), leg.file])
  if (groups.size < 2) return
  const listed = [...groups].map(([value, files]) => `${files.join(', ')}: ${value}`).join('; ')
  throw new InputError(`the partial reports are from different ${what} (${listed}); merge the legs of one run`)
}

function checkLegs(partials: PartialFile[]): Leg[] {
  if (!partials.length) throw new InputError('there are no partial reports to merge')
  const legs = partials.map(asLeg)
  agree(legs, 'slimcheck versions', (leg) => `slimcheck ${leg.report.tool.version}`)
  agree(legs, 'commits', (leg) => leg.report.commit ?? 'no commit recorded')
  agree(legs, 'shard totals', (leg) => `${leg.shard.total} shards`)
  const byIndex = new Map<number, Leg>()
  for (const leg of legs) {
    if (leg.shard.index < 1 || leg.shard.index > leg.shard.total)
      throw new InputError(`${leg.file}: shard ${shardText(leg)} is not one of ${leg.shard.total}`)
    const twin = byIndex.get(leg.shard.index)
    if (twin) throw new InputError(`${twin.file} and ${leg.file} are both shard ${shardText(leg)}`)
    byIndex.set(leg.shard.index, leg)
    const complete = new Set(leg.shard.variants)
    const strangers = namesOf(leg).filter((name) => !complete.has(name))
    if (strangers.length)
      throw new InputError(`${leg.file} reports variants its shard does not list: ${strangers.join(', ')}`)
  }
  return [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index)
}

function namesOf(leg: Leg): string[] {
  return [
    ...new Set([...leg.report.variants, ...(leg.report.baseReport?.variants ?? [])].map((variant) => variant.name))
  ]
}

/** Each distinct problem once, with the shards that had it unless every leg did. */
function legProblems(legs: Leg[], problemsOf: (leg: Leg) => string[]): string[] {
  const shardsWith = new Map<string, string[]>()
  for (const leg of legs)
    for (const problem of new Set(problemsOf(leg)))
      shardsWith.set(problem, [...(shardsWith.get(problem) ?? []), shardText(leg)])
  return [...shardsWith].map(([problem, shards]) =>
    shards.length === legs.length && legs.length === legs[0].shard.total
      ? problem
      : `${problem} (shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')})`
  )
}

/** Every variant some leg says the legs must cover, in the first leg's order. */
function completeList(legs: Leg[]): string[] {
  return [...new Set(legs.flatMap((leg) => leg.shard.variants))]
}

/**
 * What a merge cannot vouch for: legs that sent nothing, legs that disagree on the variants to cover (one whose
 * discovery failed, or that split by another baseline), and variants measured twice or not at all.
 */
function coverageProblems(legs: Leg[], variants: string[]): string[] {
  const { total } = legs[0].shard
  const present = new Set(legs.map((leg) => leg.shard.index))
  const problems = Array.from({ length: total }, (_, index) => index + 1)
    .filter((index) => !present.has(index))
    .map(
      (index) =>
        `shard ${index}/${total} is missing: no partial report of it was merged (its job failed, was cancelled or was skipped before it uploaded one)`
    )
  const lists = new Set(legs.map((leg) => leg.shard.variants.join(', ')))
  if (lists.size > 1)
    problems.push(
      `the shards disagree on the variants to cover (${legs.map((leg) => `shard ${shardText(leg)}: ${leg.shard.variants.join(', ') || 'none'}`).join('; ')}); all of them are checked`
    )
  const measuredBy = new Map<string, string[]>()
  for (const leg of legs)
    for (const name of namesOf(leg)) measuredBy.set(name, [...(measuredBy.get(name) ?? []), shardText(leg)])
  for (const [name, shards] of measuredBy)
    if (shards.length > 1)
      problems.push(
        `${name} was measured by shards ${shards.join(' and ')}, which split the variants differently; shard ${shards[0]}'s measurement is used`
      )
  const unmeasured = variants.filter((name) => !measuredBy.has(name))
  if (unmeasured.length)
    problems.push(
      `not measured by any shard: ${unmeasured.join(', ')} (${unmeasured.length} of ${variants.length} variants)`
    )
  return problems
}

function baselineText(info: BaselineInfo | undefined): string {
  if (!info) return 'no comparison'
  const run = info.runId ? ` run ${info.runId}` : ''
  return `${info.source}${run}${info.commit ? ` at ${info.commit.slice(0, 12)}` : ''}`
}

/**
 * The legs' common baseline; legs that compared with different ones are a problem, as one line cannot describe them.
 */
function commonBaseline(legs: Leg[], noBaseline: BaselineInfo): { baseline: BaselineInfo; problems: string[] } {
  const texts = legs.map((leg) => baselineText(leg.report.comparison?.baseline))
  const first = legs.find((leg) => leg.report.comparison)?.report.comparison?.baseline ?? noBaseline
  if (new Set(texts).size < 2) return { baseline: first, problems: [] }
  const each = legs.map((leg, index) => `shard ${shardText(leg)} with ${texts[index]}`).join(', ')
  return {
    baseline: first,
    problems: [`the shards compared with different baselines (${each}); run the workflow again so that they agree`]
  }
}

/** One side of the whole set: the legs' variants in the order of the complete list, each from the first leg with it. */
function mergeSide(reports: Report[], order: string[], problems: string[]): Report {
  const [first] = reports
  const byName = new Map<string, Report['variants'][number]>()
  for (const report of reports)
    for (const variant of report.variants) if (!byName.has(variant.name)) byName.set(variant.name, variant)
  const engine = reports.find((report) => report.engine)?.engine
  const pulls = reports.flatMap((report) => report.pulls ?? [])
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: first.tool,
    createdAt: reports.map((report) => report.createdAt).sort()[reports.length - 1],
    ...(first.commit ? { commit: first.commit } : {}),
    ...(engine ? { engine } : {}),
    problems,
    ...(pulls.length ? { pulls } : {}),
    variants: order.flatMap((name) => (byName.has(name) ? [byName.get(name)!] : []))
  }
}

/**
 * The whole set from its legs' partial reports, compared again under `policy`. `noBaseline` describes the comparison
 * when the legs compared with nothing (a push, or another event).
 */
export function mergeShards(partials: PartialFile[], policy: Policy, noBaseline: BaselineInfo): MergedRun {
  const legs = checkLegs(partials)
  const order = completeList(legs)
  const { baseline, problems: baselineProblems } = commonBaseline(legs, noBaseline)
  const head = mergeSide(
    legs.map((leg) => leg.report),
    order,
    [...coverageProblems(legs, order), ...baselineProblems, ...legProblems(legs, (leg) => leg.report.problems)]
  )
  const bases = legs.flatMap((leg) => (leg.report.baseReport ? [leg.report.baseReport] : []))
  const base = bases.length
    ? mergeSide(
        bases,
        order,
        legProblems(legs, (leg) => leg.report.baseReport?.problems ?? [])
      )
    : undefined
  return { head, ...(base ? { base } : {}), comparison: compareReports(base, head, baseline, policy) }
}
