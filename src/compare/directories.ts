/** The directories whose bytes a pull request changed most in an image. Pure. */
import type { DirectoryChange, ImageContents } from '../types.js'

const DIRECTORIES_SHOWN = 5

/**
 * Directories pair by path. One a side did not list holds nothing there, or, when that side left small directories
 * out, at most their bound: counting it at the bound keeps a directory that only crossed the bound from showing as
 * grown, and understates a real change by less than the bound.
 */
export function diffDirectories(before: ImageContents, after: ImageContents): DirectoryChange[] {
  const was = new Map(before.directories.map((item) => [item.path, item]))
  const now = new Map(after.directories.map((item) => [item.path, item]))
  const paths = new Set([...was.keys(), ...now.keys()])
  return [...paths]
    .map((path): DirectoryChange => {
      const old = was.get(path)?.bytes ?? before.directoriesOmittedBelow ?? 0
      const current = now.get(path)
      const bytes = current?.bytes ?? after.directoriesOmittedBelow ?? 0
      return {
        path,
        before: old,
        after: bytes,
        delta: bytes - old,
        ...(current?.writer ? { writer: current.writer } : {})
      }
    })
    .filter((change) => change.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.path.localeCompare(b.path))
    .slice(0, DIRECTORIES_SHOWN)
}
