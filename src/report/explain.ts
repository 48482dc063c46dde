/**
 * Why a variant's size is what it is: what the pull request changed inside its image (packages, directories, the line
 * that wrote them, one fix from the byte findings), and where every variant's bytes go. Pure.
 */
import { humanBytes, signedBytes } from '../format.js'
import { code, message } from './markdown.js'
import { locationText } from './index.js'
import { variantOf, type Sides } from './variant-table.js'
import type {
  DirectoryBytes,
  DirectoryChange,
  FactInstruction,
  Finding,
  PackageChange,
  PackageChangeGroup,
  Report,
  VariantComparison,
  VariantReport
} from '../types.js'

const PACKAGES_NAMED = 5
const DIRECTORIES_NAMED = 3
const INSTRUCTION_WIDTH = 60

/** The changed variant whose size moved most, if any moved. */
export function largestChange(comparison: { variants: VariantComparison[] }): VariantComparison | undefined {
  return comparison.variants
    .filter((variant) => variant.kind === 'changed' && variant.size && variant.size.delta !== 0)
    .reduce<VariantComparison | undefined>(
      (largest, variant) =>
        !largest || Math.abs(variant.size!.delta) > Math.abs(largest.size!.delta) ? variant : largest,
      undefined
    )
}

/** System packages go unlabelled; the others say whose they are. */
const ECOSYSTEM: Record<PackageChange['manager'], string> = {
  dpkg: '',
  apk: '',
  python: ' (Python)',
  conda: ' (conda)'
}

/**
 * `curl` +0.5 MB, `numpy` (Python) +38 MB, …: each package with its installed bytes, and where it is installed when
 * the same name is listed twice (a Python upgrade moves every package to a new site-packages).
 */
function packageList(group: PackageChangeGroup, withVersions: boolean, twice: Set<string>): string {
  const named = group.largest.slice(0, PACKAGES_NAMED).map((change: PackageChange) => {
    const version =
      withVersions && change.before && change.after ? ` ${code(`${change.before} → ${change.after}`)}` : ''
    const where = change.prefix && twice.has(change.name) ? ` in ${code(change.prefix)}` : ''
    return `${code(change.name)}${ECOSYSTEM[change.manager]}${where}${version} ${signedBytes(change.delta)}`
  })
  const more = group.count - named.length
  return `${named.join(', ')}${more > 0 ? `, and ${more} more` : ''}`
}

function packageLines(packages: NonNullable<VariantComparison['contents']>['packages']): string[] {
  if (!packages) return []
  const listed = [packages.added, packages.removed, packages.changed].flatMap((group) =>
    group.largest.slice(0, PACKAGES_NAMED).map((change) => change.name)
  )
  const twice = new Set(listed.filter((name, index) => listed.indexOf(name) !== index))
  const line = (label: string, group: PackageChangeGroup, withVersions = false): string =>
    group.count
      ? `- ${label} ${group.count} package${group.count > 1 ? 's' : ''}, ${signedBytes(group.delta)} installed: ${packageList(group, withVersions, twice)}`
      : ''
  return [
    line('Added', packages.added),
    line('Removed', packages.removed),
    line('Changed version of', packages.changed, true)
  ].filter(Boolean)
}

function lineText(writer: FactInstruction | undefined, dockerfile: string, blobBase: string | undefined): string {
  if (!writer) return 'the base image'
  if (writer.layer !== undefined && !writer.line) return `layer ${writer.layer}`
  return `line ${locationText({ file: dockerfile, line: writer.line }, blobBase, String(writer.line))}`
}

/** The line that wrote most of a directory: the base image, which the pull request did not change, is not named. */
function grownAt(item: DirectoryChange, dockerfile: string, blobBase: string | undefined): string {
  return item.writer ? ` (${lineText(item.writer, dockerfile, blobBase)})` : ''
}

/** The byte findings that count in an image, each once, largest first. */
function byteFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings
    .filter((finding) => finding.evidence === 'image' && finding.bytes && !finding.suppressed)
    .filter((finding) => {
      const key = [finding.rule, finding.lines ?? finding.line, finding.message].join('\u0000')
      return !seen.has(key) && !!seen.add(key)
    })
    .sort((a, b) => b.bytes! - a.bytes!)
}

function shortened(text: string): string {
  return text.length > INSTRUCTION_WIDTH ? `${text.slice(0, INSTRUCTION_WIDTH - 1)}…` : text
}

/** What the pull request changed in the largest change's image, unfolded under the table. */
export function changeExplanation(variant: VariantComparison, sides: Sides, blobBase: string | undefined): string {
  const head = variantOf(sides.head, variant.name)
  const dockerfile = head?.dockerfile ?? ''
  const size = variant.size!
  const lines: string[] = []
  const layer = variant.layers?.changes[0]
  if (layer?.line && layer.after > 0)
    lines.push(
      `- Line ${locationText({ file: dockerfile, line: layer.line }, blobBase, String(layer.line))}: ${code(shortened(layer.instruction))} ${signedBytes(layer.delta)}`
    )
  lines.push(...packageLines(variant.contents?.packages))
  const directories = (variant.contents?.directories ?? []).slice(0, DIRECTORIES_NAMED)
  if (directories.length)
    lines.push(
      `- ${size.delta > 0 ? 'Grew' : 'Changed'} most: ${directories
        .map((item) => `${code(item.path)} ${signedBytes(item.delta)}${grownAt(item, dockerfile, blobBase)}`)
        .join(', ')}`
    )
  const [suggestion] = [...byteFindings(variant.findings.added), ...byteFindings(head?.findings ?? [])]
  if (suggestion) lines.push(`- 💡 ${message(suggestion.fix)}`)
  const verb = size.delta > 0 ? 'grew' : 'shrank'
  return `### Why ${code(variant.name)} ${verb} ${signedBytes(size.delta)}\n\n${lines.join('\n')}`
}

function largestDirectories(directories: DirectoryBytes[], dockerfile: string, blobBase: string | undefined): string {
  return directories
    .slice(0, DIRECTORIES_NAMED)
    .map((item) => `${code(item.path)} ${humanBytes(item.bytes)} (${lineText(item.writer, dockerfile, blobBase)})`)
    .join(', ')
}

function bytesLine(report: VariantReport, blobBase: string | undefined): string {
  const image = report.image!
  const own = image.layers.filter((layer) => layer.instruction).reduce((sum, layer) => sum + layer.sizeBytes, 0)
  const parts = [
    `${humanBytes(image.sizeBytes - own)} from the base image, ${humanBytes(own)} from the Dockerfile's own lines`
  ]
  const directories = image.contents?.directories ?? []
  if (directories.length) parts.push(`largest: ${largestDirectories(directories, report.dockerfile, blobBase)}`)
  const findings = byteFindings(report.findings)
  const saving = findings.reduce((sum, finding) => sum + finding.bytes!, 0)
  if (saving)
    parts.push(
      `could be about ${humanBytes(saving)} smaller (${findings.length} byte finding${findings.length > 1 ? 's' : ''})`
    )
  return `- ${code(report.name)} ${humanBytes(image.sizeBytes)}: ${parts.join('; ')}.`
}

/** Every built variant of the head: the base image's bytes against the Dockerfile's own, and what could go. */
export function whereBytesGo(head: Report, blobBase?: string): string {
  const lines = head.variants.filter((report) => report.image).map((report) => bytesLine(report, blobBase))
  return lines.length ? `<details><summary>Where the bytes go</summary>\n\n${lines.join('\n')}\n\n</details>` : ''
}
