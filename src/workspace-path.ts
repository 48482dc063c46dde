/** Whether a path the repository names leaves the working directory through a symbolic link. */
import fs from 'node:fs'
import path from 'node:path'

/** Whether a path, relative to a directory as `path.relative` gives it, lies outside that directory. */
export const outside = (relative: string): boolean =>
  relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)

/**
 * True when `relative`, inside `workspace` by name, leads out of it once symbolic links are followed. A path outside
 * by name (one a user names on the command line) and one that does not exist (reported where it is read) are not.
 */
export function leadsOutThroughLink(workspace: string, relative: string): boolean {
  if (outside(path.relative(workspace, path.resolve(workspace, relative)))) return false
  let real: string
  try {
    real = fs.realpathSync(path.resolve(workspace, relative))
  } catch {
    return false
  }
  return outside(path.relative(fs.realpathSync(workspace), real))
}
