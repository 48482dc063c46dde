/** Finding and reading the legs' partial reports: files, directories (every `.json` inside) or globs. */
import fs from 'node:fs'
import path from 'node:path'
import { Minimatch } from 'minimatch'
import { InputError } from '../config.js'
import type { PartialFile } from './merge.js'
import { reportProblem } from '../report/validate.js'
import { SCHEMA_VERSION, type Report } from '../types.js'

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return filesUnder(full)
      return entry.isFile() ? [full] : []
    })
}

function exists(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file)
  } catch {
    return undefined
  }
}

/** A glob is walked from its last directory without wildcards and matched against each file's absolute path. */
function expand(pattern: string, cwd: string): string[] {
  const absolute = path.resolve(cwd, pattern).split(path.sep).join('/')
  if (!new Minimatch(absolute).hasMagic()) {
    const stats = exists(absolute)
    if (stats?.isDirectory()) return filesUnder(absolute).filter((file) => file.endsWith('.json'))
    return stats ? [absolute] : []
  }
  const segments = absolute.split('/')
  const literal = segments.findIndex((segment) => new Minimatch(segment).hasMagic())
  const root = segments.slice(0, literal).join('/') || '/'
  if (!exists(root)?.isDirectory()) return []
  const matcher = new Minimatch(absolute)
  return filesUnder(root).filter((file) => matcher.match(file.split(path.sep).join('/')))
}

/** Every file the patterns name, once, in order; `name` is the input or argument they came from. */
export function findReportFiles(name: string, patterns: string[], cwd: string): string[] {
  const files = new Set<string>()
  for (const pattern of patterns) for (const file of expand(pattern, cwd)) files.add(file)
  if (!files.size)
    throw new InputError(
      `${name}: ${patterns.map((pattern) => `'${pattern}'`).join(', ')} matches no file, so there is nothing to merge: no leg uploaded a partial report (did every leg fail or get skipped?)`
    )
  return [...files]
}

/**
 * Reads each report, refusing one whose fields are not of their type; errors name the file (as given, relative to
 * `cwd` when inside it) and the field.
 */
export function readPartialReports(files: string[], cwd: string): PartialFile[] {
  return files.map((absolute) => {
    const relative = path.relative(cwd, absolute)
    const file = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute
    let text: string
    try {
      text = fs.readFileSync(absolute, 'utf8')
    } catch (error) {
      throw new InputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new InputError(`${file}: is not a JSON report (${(error as Error).message})`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new InputError(`${file}: is not a slimcheck report (a JSON object)`)
    // Another schema version is the merge's to name; one of this version must have every field of its type.
    const problem = (parsed as Partial<Report>).schemaVersion === SCHEMA_VERSION ? reportProblem(parsed) : undefined
    if (problem) throw new InputError(`${file}: ${problem}`)
    return { file, report: parsed as Report }
  })
}
