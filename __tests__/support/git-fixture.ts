import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface FixtureRepo {
  /** The repository the commits were made in, with `pr` checked out (a developer's clone, for the command line). */
  work: string
  /** A bare repository playing `origin`. */
  origin: string
  mainSha: string
  prSha: string
  /** A shallow clone at `ref`, as actions/checkout leaves it: only that commit, `origin` set. */
  checkout(ref: 'main' | 'pr'): string
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Mona',
      GIT_AUTHOR_EMAIL: 'mona@example.com',
      GIT_COMMITTER_NAME: 'Mona',
      GIT_COMMITTER_EMAIL: 'mona@example.com'
    }
  }).trim()
}

function writeFiles(dir: string, files: Record<string, string | null>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    if (content === null) fs.rmSync(file, { force: true })
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, content)
    }
  }
}

/**
 * A repository whose `main` holds `mainFiles` and whose `pr` branch changes them by `prChanges` (null deletes a file).
 */
export function createFixtureRepo(
  mainFiles: Record<string, string>,
  prChanges: Record<string, string | null>
): FixtureRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-repo-'))
  const work = path.join(root, 'work')
  const origin = path.join(root, 'origin.git')
  fs.mkdirSync(work)
  git(work, ['init', '-q', '-b', 'main'])
  writeFiles(work, mainFiles)
  git(work, ['add', '-A'])
  git(work, ['commit', '-q', '-m', 'main'])
  const mainSha = git(work, ['rev-parse', 'HEAD'])
  git(work, ['checkout', '-q', '-b', 'pr'])
  writeFiles(work, prChanges)
  git(work, ['add', '-A'])
  git(work, ['commit', '-q', '--allow-empty', '-m', 'pr'])
  const prSha = git(work, ['rev-parse', 'HEAD'])
  git(root, ['clone', '-q', '--bare', work, origin])
  return {
    work,
    origin,
    mainSha,
    prSha,
    checkout(ref) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `slimcheck-checkout-${ref}-`))
      git(dir, ['clone', '-q', '--depth=1', '--branch', ref, `file://${origin}`, '.'])
      return dir
    }
  }
}
