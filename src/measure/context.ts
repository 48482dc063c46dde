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
  /** The absolute path its content and metadata are read from. */
  source: string
}

export interface BuildContext {
  entries: ContextEntry[]
  /** The Dockerfile's path inside the context. */
  dockerfile: string
}

/**
 * Files another checkout lends to this context, in place of what this checkout has at those paths: the base side of
 * a comparison builds with the head checkout's untracked and ignored files and its `.git`, so both sides see the same.
 */
export interface SharedFiles {
  /** The other checkout's directory for this context. */
  dir: string
  /** Context-relative paths taken from `dir`; `''` lends the whole context. */
  roots: string[]
}

/** A file the context needs but cannot be read: the variant cannot be built, and the message names the file. */
export class ContextError extends Error {
  /** The system's error code (`EACCES`, `ELOOP`, …), when it gave one. */
  readonly code?: string
  constructor(relative: string, error: NodeJS.ErrnoException) {
    super(
      `cannot read ${relative} in the build context (${error.code ?? error.message}); make it readable to the user ` +
        'running slimcheck, or list it in .dockerignore'
    )
    this.name = 'ContextError'
    this.code = error.code
  }
}

/** The errors that say something about the repository's files, not about the machine reading them. */
const REPOSITORY_ERRORS = new Set(['EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'ENOENT', 'ENOTDIR'])

/** Whether a context error is the repository's (its files), which the baseline can share, or the machine's. */
export function isRepositoryError(error: ContextError): boolean {
  return error.code !== undefined && REPOSITORY_ERRORS.has(error.code)
}

/** The name under which a Dockerfile from outside the context travels inside it. */
export const EXTERNAL_DOCKERFILE = '.slimcheck.Dockerfile'

/**
 * The context's entries and the Dockerfile's name inside it, bringing a Dockerfile from outside the context along.
 * The Engine API reads the Dockerfile from the uploaded context and does not drop it afterwards, so unlike with the
 * docker CLI, `COPY .` also copies it.
 */
export function buildContext(
  contextDir: string,
  dockerfile: string,
  shared?: SharedFiles,
  /** Context-relative files left out whatever .dockerignore says: slimcheck's own report and SARIF. */
  leftOut: ReadonlySet<string> = new Set()
): BuildContext {
  const entries = contextEntries(contextDir, dockerfile, shared).filter((entry) => !leftOut.has(entry.name))
  if (!dockerfile.startsWith('../')) {
    const index = entries.findIndex((entry) => entry.name === dockerfile && entry.type === 'symlink')
    if (index >= 0) entries[index] = dockerfileContent(entries[index].name, entries[index].source, dockerfile)
    return { entries, dockerfile }
  }
  entries.push(dockerfileContent(EXTERNAL_DOCKERFILE, path.resolve(contextDir, dockerfile), dockerfile))
  return { entries, dockerfile: EXTERNAL_DOCKERFILE }
}

/**
 * The Dockerfile as a regular file: `docker build -f` reads a symbolic link through and sends the content, so the
 * context carries the file the link points to, wherever that is.
 */
function dockerfileContent(name: string, source: string, relative: string): ContextEntry {
  try {
    const target = fs.realpathSync(source)
    fs.accessSync(target, fs.constants.R_OK)
    return { name, type: 'file', source: target }
  } catch (error) {
    throw new ContextError(relative, error as NodeJS.ErrnoException)
  }
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

function readable(file: string, relative: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK)
  } catch (error) {
    throw new ContextError(relative, error as NodeJS.ErrnoException)
  }
}

function readDirectory(dir: string, relative: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    throw new ContextError(relative || '.', error as NodeJS.ErrnoException)
  }
}

function ignorePatterns(contextDir: string, dockerfile: string): string[] {
  const ignoreFile = ignoreFileFor(contextDir, dockerfile)
  if (!ignoreFile) return []
  try {
    return fs.readFileSync(ignoreFile, 'utf8').split(/\r?\n/)
  } catch (error) {
    throw new ContextError(path.relative(contextDir, ignoreFile), error as NodeJS.ErrnoException)
  }
}

function statOf(file: string, relative: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file, { throwIfNoEntry: false })
  } catch (error) {
    throw new ContextError(relative, error as NodeJS.ErrnoException)
  }
}

/**
 * What goes into the context, with Docker's semantics: patterns match paths relative to the context, a directory's
 * exclusion covers its contents unless a `!` pattern re-includes something inside it, and the Dockerfile and the
 * .dockerignore are always sent. Every file sent is checked to be readable first.
 */
export function contextEntries(contextDir: string, dockerfile: string, shared?: SharedFiles): ContextEntry[] {
  const patterns = ignorePatterns(contextDir, dockerfile)
  // The package is CommonJS whose typings declare a default export: under NodeNext that is `.default`.
  const matcher = dockerignoreModule.default({ ignorecase: false }).add(patterns)
  const mayReinclude = patterns.some((pattern) => pattern.trim().startsWith('!'))
  const always = new Set([dockerfile, '.dockerignore', `${dockerfile}.dockerignore`])
  const included = new Map<string, ContextEntry>()
  const walk = (root: string, relativeDir: string): void => {
    for (const entry of readDirectory(path.join(root, relativeDir), relativeDir)) {
      const name = relativeDir ? `${relativeDir}/${entry.name}` : entry.name
      const source = path.join(root, name)
      const ignored = !always.has(name) && matcher.ignores(name)
      if (entry.isDirectory()) {
        if (!ignored) included.set(name, { name, type: 'directory', source })
        if (!ignored || mayReinclude) walk(root, name)
      } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
        if (entry.isFile()) readable(source, name)
        included.set(name, { name, type: entry.isSymbolicLink() ? 'symlink' : 'file', source })
      }
    }
  }
  walk(contextDir, '')
  for (const root of shared?.roots ?? []) {
    for (const name of included.keys())
      if (root === '' || name === root || name.startsWith(`${root}/`)) included.delete(name)
    const source = path.join(shared!.dir, root)
    const stat = statOf(source, root)
    if (!stat) continue
    if (stat.isDirectory()) {
      if (root && !matcher.ignores(root)) included.set(root, { name: root, type: 'directory', source })
      if (!root || !matcher.ignores(root) || mayReinclude) walk(shared!.dir, root)
    } else if (!matcher.ignores(root) && (stat.isFile() || stat.isSymbolicLink())) {
      if (stat.isFile()) readable(source, root)
      included.set(root, { name: root, type: stat.isSymbolicLink() ? 'symlink' : 'file', source })
    }
  }
  return withParentDirectories([...included.values()])
}

/** A file re-included inside an excluded directory still needs that directory in the archive. */
function withParentDirectories(entries: ContextEntry[]): ContextEntry[] {
  const directories = new Set(entries.filter((entry) => entry.type === 'directory').map((entry) => entry.name))
  const parents: ContextEntry[] = []
  for (const entry of entries) {
    for (let parent = path.posix.dirname(entry.name); parent !== '.'; parent = path.posix.dirname(parent)) {
      if (directories.has(parent)) break
      directories.add(parent)
      parents.push({
        name: parent,
        type: 'directory',
        source: path.resolve(entry.source, path.relative(entry.name, parent))
      })
    }
  }
  return [...parents, ...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** An uncompressed tar stream of the entries (the engine unpacks it; compressing would only cost build time). */
export function packContext(entries: ContextEntry[]): Readable {
  const pack = tar.pack()
  const write = async (): Promise<void> => {
    for (const entry of entries) {
      const stat = fs.lstatSync(entry.source)
      const header = { name: entry.name, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 }
      if (entry.type === 'directory') pack.entry({ ...header, type: 'directory' })
      else if (entry.type === 'symlink')
        pack.entry({ ...header, type: 'symlink', linkname: fs.readlinkSync(entry.source) })
      else {
        const sink = pack.entry({ ...header, type: 'file', size: stat.size })
        fs.createReadStream(entry.source).pipe(sink)
        await finished(sink)
      }
    }
    pack.finalize()
  }
  write().catch((error: Error) => pack.destroy(error))
  return pack as unknown as Readable
}
