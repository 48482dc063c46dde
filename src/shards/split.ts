/**
 * Splitting the variants over the legs of a matrix so that every leg computes the same split: longest processing
 * time first over the stored baseline's build times, ties broken by name. Pure.
 */
import type { Comparison, Report, ShardInfo, ShardPosition } from '../types.js'

/** Code-unit order: the same on every machine, whatever its locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The build time a report measured for each variant: the weights of the split. */
export function buildSeconds(report: Report | undefined): Map<string, number> {
  const seconds = new Map<string, number>()
  for (const variant of report?.variants ?? []) {
    const measured = variant.build?.seconds
    if (measured !== undefined && Number.isFinite(measured) && measured >= 0) seconds.set(variant.name, measured)
  }
  return seconds
}

/**
 * Each leg's variant names, leg 1 first. Heaviest first, each variant goes to the leg with the least time so far
 * (then the fewest variants, then the lowest number). A variant without a measured time weighs the mean of those
 * with one; without any, all weigh the same and the legs get equal counts.
 */
export function splitVariants(
  names: readonly string[],
  total: number,
  seconds: ReadonlyMap<string, number> = new Map()
): string[][] {
  const unique = [...new Set(names)]
  const known = unique.flatMap((name) => (seconds.has(name) ? [seconds.get(name)!] : []))
  const typical = known.length ? known.reduce((sum, value) => sum + value, 0) / known.length : 1
  const weight = (name: string): number => seconds.get(name) ?? typical
  const legs = Array.from({ length: total }, () => ({ names: [] as string[], load: 0 }))
  for (const name of unique.sort((a, b) => weight(b) - weight(a) || byName(a, b))) {
    const lightest = legs.reduce((best, leg) =>
      leg.load < best.load || (leg.load === best.load && leg.names.length < best.names.length) ? leg : best
    )
    lightest.names.push(name)
    lightest.load += weight(name)
  }
  return legs.map((leg) => leg.names)
}

/** One leg's part of a sharded run, for `PipelineRun.select`. */
export interface ShardSelection {
  select(names: string[]): Set<string>
  /** This leg's variants; complete once `select` has run. */
  readonly selected: ReadonlySet<string>
  /** Which shard this is and every variant the legs together must report. */
  readonly info: ShardInfo
}

/**
 * The names the sides have, together with those of the stored baseline (so that a variant the pull request removed
 * is some leg's too), split by the stored baseline's build times.
 */
export function shardSelection(shard: ShardPosition, stored?: Report): ShardSelection {
  let all: string[] = []
  let selected = new Set<string>()
  return {
    select(names) {
      all = [...new Set([...names, ...(stored?.variants ?? []).map((variant) => variant.name)])]
      selected = new Set(splitVariants(all, shard.total, buildSeconds(stored))[shard.index - 1])
      return selected
    },
    get selected() {
      return selected
    },
    get info() {
      return { index: shard.index, total: shard.total, variants: all }
    }
  }
}

/** A report as measured, without what only a partial report or a comparison carries. */
function plain(report: Report): Report {
  const { comparison, shard, baseReport, ...rest } = report
  return rest
}

/**
 * One leg's partial report: its head, its comparison, which shard it is, and its base side restricted to its own
 * variants, so that the merge can compare the whole set again.
 */
export function partialReport(
  head: Report,
  base: Report | undefined,
  comparison: Comparison | undefined,
  selection: ShardSelection
): Report {
  const own = (report: Report): Report => ({
    ...plain(report),
    variants: report.variants.filter((variant) => selection.selected.has(variant.name))
  })
  return {
    ...own(head),
    ...(comparison ? { comparison } : {}),
    shard: selection.info,
    ...(base ? { baseReport: own(base) } : {})
  }
}
