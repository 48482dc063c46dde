/** The build context as `docker build` sends it: a tar of the context directory filtered by its .dockerignore. */
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import dockerignoreModule from '@balena/dockerignore'
import tar from 'tar-stream'

export interface ContextEntry {
  /** Path inside the context, POSIX. */
  name: string
  type: 'file' | 'directory' | 'symlink'
  /** Where the content comes from when it is not `name` inside the context (a Dockerfile kept outside it). */
  source?: string
}

/** The name under which a Dockerfile from outside the context travels inside it. */
export const EXTERNAL_DOCKERFILE = '.slimcheck.Dockerfile'

/**
 * The context's entries and the Dockerfile's name inside it, bringing a Dockerfile from outside the context along.
 * The Engine API reads the Dockerfile from the uploaded context and does not drop it afterwards, so unlike with the
 * docker CLI, `COPY .` also copies it.
 */
export function contextWithDockerfile(
  contextDir: string,
  dockerfile: string
): { entries: ContextEntry[]; dockerfile: string } {
  const entries = contextEntries(contextDir, dockerfile)
  if (!dockerfile.startsWith('../')) return { entries, dockerfile }
  entries.push({ name: EXTERNAL_DOCKERFILE, type: 'file', source: path.resolve(contextDir, dockerfile) })
  return { entries, dockerfile: EXTERNAL_DOCKERFILE }
}

/**
 * The ignore file that applies: `<Dockerfile>.dockerignore` next to the Dockerfile when it exists, else the
 * context's `.dockerignore` (BuildKit's rule).
 */
export function ignoreFileFor(contextDir: string, dockerfile: string): string | undefined {
  const specific = path.join(contextDir, `${dockerfile}.dockerignore`)
  if (fs.existsSync(specific)) return specific
  const general = path.join(contextDir, '.dockerignore')
  return fs.existsSync(general) ? general : undefined
}

/**
 * What goes into the context, with Docker's semantics: patterns match paths relative to the context, a directory's
 * exclusion covers its contents unless a `!` pattern re-includes something inside it, and the Dockerfile and the
 * .dockerignore are always sent.
 */
export function contextEntries(contextDir: string, dockerfile: string): ContextEntry[] {
  const ignoreFile = ignoreFileFor(contextDir, dockerfile)
  const patterns = ignoreFile ? fs.readFileSync(ignoreFile, 'utf8').split(/\r?\n/) : []
  // The package is CommonJS whose typings declare a default export: under NodeNext that is `.default`.
  const matcher = dockerignoreModule.default({ ignorecase: false }).add(patterns)
  const mayReinclude = patterns.some((pattern) => pattern.trim().startsWith('!'))
  const always = new Set([dockerfile, '.dockerignore', `${dockerfile}.dockerignore`])
  const included: ContextEntry[] = []
  const walk = (relativeDir: string): void => {
    for (const entry of fs.readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true })) {
      const name = relativeDir ? `${relativeDir}/${entry.name}` : entry.name
      const ignored = !always.has(name) && matcher.ignores(name)
      if (entry.isDirectory()) {
        if (!ignored) included.push({ name, type: 'directory' })
        if (!ignored || mayReinclude) walk(name)
      } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
        included.push({ name, type: entry.isSymbolicLink() ? 'symlink' : 'file' })
      }
    }
  }
  walk('')
  return withParentDirectories(included)
}

/** A file re-included inside an excluded directory still needs that directory in the archive. */
function withParentDirectories(entries: ContextEntry[]): ContextEntry[] {
  const directories = new Set(entries.filter((entry) => entry.type === 'directory').map((entry) => entry.name))
  const parents: ContextEntry[] = []
  for (const entry of entries) {
    for (let parent = path.posix.dirname(entry.name); parent !== '.'; parent = path.posix.dirname(parent)) {
      if (directories.has(parent)) break
      directories.add(parent)
      parents.push({ name: parent, type: 'directory' })
    }
  }
  return [...parents, ...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** An uncompressed tar stream of the entries (the engine unpacks it; compressing would only cost build time). */
export function packContext(contextDir: string, entries: ContextEntry[]): Readable {
  const pack = tar.pack()
  const write = async (): Promise<void> => {
    for (const entry of entries) {
      const absolute = entry.source ?? path.join(contextDir, entry.name)
      const stat = fs.lstatSync(absolute)
      const header = { name: entry.name, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 }
      if (entry.type === 'directory') pack.entry({ ...header, type: 'directory' })
      else if (entry.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: fs.readlinkSync(absolute) })
      else {
        const sink = pack.entry({ ...header, type: 'file', size: stat.size })
        fs.createReadStream(absolute).pipe(sink)
        await finished(sink)
      }
    }
    pack.finalize()
  }
  write().catch((error: Error) => pack.destroy(error))
  return pack as unknown as Readable
}
