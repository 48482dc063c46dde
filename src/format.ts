/** Sizes, changes and durations as people read them: shared by the comparison, the findings and the reports. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB']

function unitOf(bytes: number): number {
  let unit = 0
  for (let value = Math.abs(bytes); value >= 1000 && unit < UNITS.length - 1; value /= 1000) unit++
  return unit
}

function inUnit(bytes: number, unit: number, digits: number): string {
  const negative = bytes < 0 ? '-' : ''
  return `${negative}${(Math.abs(bytes) / 1000 ** unit).toFixed(unit === 0 ? 0 : digits)} ${UNITS[unit]}`
}

/** Three significant digits in decimal units, as the docker CLI prints them: 755000000 → `755 MB`. */
export function humanBytes(bytes: number): string {
  const unit = unitOf(bytes)
  const value = Math.abs(bytes) / 1000 ** unit
  return inUnit(bytes, unit, value >= 100 ? 0 : value >= 10 ? 1 : 2)
}

/**
 * Before and after in one unit, with digits enough that the change shows: 1,130,100,000 → 1,135,410,000 is
 * `1.1301 GB → 1.1354 GB`, not `1.13 GB → 1.14 GB`. Past six digits the exact bytes are clearer.
 */
export function humanBytesPair(before: number, after: number): [string, string] {
  if (before === after) return [humanBytes(before), humanBytes(after)]
  const unit = unitOf(Math.max(Math.abs(before), Math.abs(after)))
  const change = Math.abs(after - before) / 1000 ** unit
  const needed = Math.ceil(-Math.log10(change))
  const value = Math.max(Math.abs(before), Math.abs(after)) / 1000 ** unit
  const digits = Math.max(value >= 100 ? 0 : value >= 10 ? 1 : 2, needed)
  if (digits > 6) return [`${before} B`, `${after} B`]
  return [inUnit(before, unit, digits), inUnit(after, unit, digits)]
}

/** `+5.31 MB`, `-120 kB`, `0 B`. */
export function signedBytes(bytes: number): string {
  return bytes > 0 ? `+${humanBytes(bytes)}` : humanBytes(bytes)
}

/** `+3.6%`, `-0.47%`, `+0.003%`: below one percent as many decimals as it takes not to read as 0. */
export function signedPercent(percent: number): string {
  const size = Math.abs(percent)
  const text = size >= 1 || size === 0 ? percent.toFixed(1) : size >= 0.01 ? percent.toFixed(2) : percent.toPrecision(1)
  return percent > 0 ? `+${text}%` : `${text}%`
}

export function humanSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}
