/**
 * Python and conda packages, from the metadata each installer leaves beside what it installed: a wheel's
 * `<name>-<version>.dist-info/RECORD` in a `site-packages` or `dist-packages` directory (every file, with its size
 * where it was known at install time) and its `INSTALLER` (which tool installed it), and conda's
 * `conda-meta/<name>-<version>-<build>.json` (`paths_data`, every file with its size; `files` alone before conda 4.3).
 */

/** A RECORD or conda-meta file larger than this is not read (PyTorch's, among the largest, are a few MiB). */
export const LANGUAGE_METADATA_LIMIT = 32 * 1024 * 1024

const DIST_INFO_RECORD = /^((?:.*\/)?(?:site|dist)-packages)\/([^/]+)\.dist-info\/RECORD$/
const DIST_INFO_INSTALLER = /^(?:.*\/)?(?:site|dist)-packages\/[^/]+\.dist-info\/INSTALLER$/
/** An INSTALLER file names a tool (`pip`, `uv`, `conda`): anything longer is not one. */
export const INSTALLER_LIMIT = 1024
const CONDA_META = /^(?:(.*)\/)?conda-meta\/([^/]+)\.json$/
/** Sizes beyond a petabyte are not a file's: such a record is not believed. */
const LARGEST_FILE = 2 ** 50

export interface LanguagePackage {
  manager: 'python' | 'conda'
  name: string
  version: string
  /** The site-packages directory or the conda environment it is installed in, without the leading slash. */
  prefix: string
  /** The installed bytes its metadata states. */
  bytes: number
  /** Prefix-relative files listed without a size (compiled `.pyc`, old conda): the image's own sizes count for them. */
  unsized: string[]
}

/** Whether the path is a package metadata file: tested on every path of every layer, so the quick test comes first. */
export function isLanguageMetadata(path: string): boolean {
  return (path.endsWith('/RECORD') || path.endsWith('.json')) && (DIST_INFO_RECORD.test(path) || CONDA_META.test(path))
}

/**
 * Whether the path is a wheel's INSTALLER: the Python installers (pip, uv, poetry) write it, and conda writes `conda`;
 * Debian's and Alpine's packages of Python libraries, which their own databases list, ship none.
 */
export function isInstallerFile(path: string): boolean {
  return path.endsWith('/INSTALLER') && DIST_INFO_INSTALLER.test(path)
}

/** The INSTALLER beside a RECORD. */
export function installerPathOf(recordPath: string): string {
  return `${recordPath.slice(0, -'RECORD'.length)}INSTALLER`
}

/** The package a metadata file describes; undefined when it is not one slimcheck can read. */
export function languagePackageOf(path: string, text: string): LanguagePackage | undefined {
  const record = DIST_INFO_RECORD.exec(path)
  if (record) return wheelPackage(record[1], record[2], text)
  const meta = CONDA_META.exec(path)
  if (meta) return condaPackage(meta[1] ?? '', text)
  return undefined
}

/** A size as metadata states it: a whole number of bytes a file can have. */
function sizeOf(value: unknown): number | undefined {
  const size = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && size < LARGEST_FILE ? size : undefined
}

/**
 * A dist-info directory is `<name>-<version>` with any `-` in the name written as `_`; RECORD is CSV, `path,hash,size`,
 * where only the path may be quoted (and hold commas).
 */
function wheelPackage(prefix: string, directory: string, text: string): LanguagePackage | undefined {
  const dash = directory.indexOf('-')
  if (dash <= 0) return undefined
  let bytes = 0
  const unsized: string[] = []
  for (const line of text.split('\n')) {
    const sizeAt = line.lastIndexOf(',')
    const hashAt = line.lastIndexOf(',', sizeAt - 1)
    if (hashAt <= 0) continue
    const size = sizeOf(line.slice(sizeAt + 1).trim())
    if (size !== undefined) bytes += size
    else
      unsized.push(
        line
          .slice(0, hashAt)
          .replace(/^"(.*)"$/, '$1')
          .replace(/""/g, '"')
      )
  }
  const name = directory.slice(0, dash)
  return { manager: 'python', name, version: directory.slice(dash + 1), prefix, bytes, unsized }
}

function condaPackage(prefix: string, text: string): LanguagePackage | undefined {
  let meta: unknown
  try {
    meta = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(meta) || typeof meta.name !== 'string' || typeof meta.version !== 'string') return undefined
  const common = { manager: 'conda' as const, name: meta.name, version: meta.version, prefix }
  const paths = isObject(meta.paths_data) && Array.isArray(meta.paths_data.paths) ? meta.paths_data.paths : undefined
  if (paths) {
    let bytes = 0
    const unsized: string[] = []
    for (const item of paths as unknown[]) {
      if (!isObject(item)) continue
      const size = sizeOf(item.size_in_bytes)
      if (size !== undefined) bytes += size
      else if (typeof item._path === 'string') unsized.push(item._path)
    }
    return { ...common, bytes, unsized }
  }
  const files = Array.isArray(meta.files) ? meta.files.filter((file): file is string => typeof file === 'string') : []
  return { ...common, bytes: 0, unsized: files }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
