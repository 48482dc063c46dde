/** Whether a path the repository names stays inside the working directory once symbolic links are followed. */
import fs from 'node:fs'
import path from 'node:path'

/**
 * False when `relative` (inside `workspace` by name) leads out of it through a symbolic link; true when it stays
 * inside, or does not exist (its absence is reported where it is read).
 */
export function staysInside(workspace: string, relative: string): boolean {
  let real: string
  try {
    real = fs.realpathSync(path.resolve(workspace, relative))
  } catch {
    return true
  }
  const root = fs.realpathSync(workspace)
  const inside = path.relative(root, real)
  return !(inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside))
}
