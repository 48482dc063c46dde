/**
 * Python and conda packages, from the metadata each installer leaves beside what it installed: a wheel's
 * `<name>-<version>.dist-info/RECORD` (every file with its size) and conda's `conda-meta/<name>-<version>-<build>.json`
 * (`paths_data`, every file with its size; `files` alone in conda before 4.3).
 */

/** A RECORD or conda-meta file larger than this is not read (PyTorch's, among the largest, are a few MiB). */
export const LANGUAGE_METADATA_LIMIT = 32 * 1024 * 1024

const DIST_INFO_RECORD = /^(?:(.*)\/)?([^/]+)\.dist-info\/RECORD$/
const CONDA_META = /^(?:(.*)\/)?conda-meta\/([^/]+)\.json$/

export interface LanguagePackage {
  manager: 'python' | 'conda'
  name: string
  version: string
  /** The site-packages directory or the conda environment it is installed in, without the leading slash. */
  prefix: string
  /** The installed bytes its metadata states; undefined when it lists files without sizes. */
  bytes?: number
  /** Prefix-relative files, when their sizes are not stated: the image's own sizes count for them. */
  files?: string[]
}

/** Whether the path is a package metadata file: tested on every path of every layer, so the quick test comes first. */
export function isLanguageMetadata(path: string): boolean {
  return (path.endsWith('/RECORD') || path.endsWith('.json')) && (DIST_INFO_RECORD.test(path) || CONDA_META.test(path))
}

/** The package a metadata file describes; undefined when it is not one slimcheck can read. */
export function languagePackageOf(path: string, text: string): LanguagePackage | undefined {
  const record = DIST_INFO_RECORD.exec(path)
  if (record) return wheelPackage(record[1] ?? '', record[2], text)
  const meta = CONDA_META.exec(path)
  if (meta) return condaPackage(meta[1] ?? '', text)
  return undefined
}

/** A dist-info directory is `<name>-<version>` with any `-` in the name written as `_`; RECORD is `path,hash,size`. */
function wheelPackage(prefix: string, directory: string, text: string): LanguagePackage | undefined {
  const dash = directory.indexOf('-')
  if (dash <= 0) return undefined
  let bytes = 0
  for (const line of text.split('\n')) {
    const size = line.slice(line.lastIndexOf(',') + 1).trim()
    if (/^\d+$/.test(size)) bytes += Number(size)
  }
  return { manager: 'python', name: directory.slice(0, dash), version: directory.slice(dash + 1), prefix, bytes }
}

interface CondaMeta {
  name?: unknown
  version?: unknown
  files?: unknown
  paths_data?: { paths?: Array<{ size_in_bytes?: unknown }> }
}

function condaPackage(prefix: string, text: string): LanguagePackage | undefined {
  let meta: CondaMeta
  try {
    meta = JSON.parse(text) as CondaMeta
  } catch {
    return undefined
  }
  if (typeof meta.name !== 'string' || typeof meta.version !== 'string') return undefined
  const common = { manager: 'conda' as const, name: meta.name, version: meta.version, prefix }
  const paths = meta.paths_data?.paths
  if (Array.isArray(paths))
    return {
      ...common,
      bytes: paths.reduce((sum, item) => sum + (typeof item.size_in_bytes === 'number' ? item.size_in_bytes : 0), 0)
    }
  const files = Array.isArray(meta.files) ? meta.files.filter((file): file is string => typeof file === 'string') : []
  return { ...common, files }
}
