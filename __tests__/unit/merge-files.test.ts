import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { findReportFiles, readPartialReports } from '../../src/shards/files.js'

/** A downloaded-artifacts folder: `merge-multiple` flat files, one leg's own folder, and files that are not reports. */
function downloads(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-merge-files-'))
  const files: Record<string, string> = {
    'shards/slimcheck-shard-2.json': '{"schemaVersion":2}',
    'shards/slimcheck-shard-1.json': '{"schemaVersion":2}',
    'shards/notes.txt': 'not a report',
    'shards/leg-3/slimcheck-report.json': '{"schemaVersion":2}',
    'other/slimcheck-report.json': '{"schemaVersion":2}'
  }
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

const relative = (dir: string, files: string[]): string[] => files.map((file) => path.relative(dir, file))

describe('findReportFiles', () => {
  it('expands globs relative to the workspace, in name order', () => {
    const dir = downloads()
    expect(relative(dir, findReportFiles('merge', ['shards/*.json'], dir))).toEqual([
      'shards/slimcheck-shard-1.json',
      'shards/slimcheck-shard-2.json'
    ])
    expect(relative(dir, findReportFiles('merge', ['shards/**/*.json'], dir))).toEqual([
      'shards/leg-3/slimcheck-report.json',
      'shards/slimcheck-shard-1.json',
      'shards/slimcheck-shard-2.json'
    ])
  })

  it('takes every .json file under a directory, and files as they are, each once', () => {
    const dir = downloads()
    expect(
      relative(dir, findReportFiles('merge', ['shards', 'shards/slimcheck-shard-1.json', 'other/*.json'], dir))
    ).toEqual([
      'shards/leg-3/slimcheck-report.json',
      'shards/slimcheck-shard-1.json',
      'shards/slimcheck-shard-2.json',
      'other/slimcheck-report.json'
    ])
    expect(findReportFiles('merge', [path.join(dir, 'other', '*.json')], '/')).toEqual([
      path.join(dir, 'other/slimcheck-report.json')
    ])
  })

  it('says when nothing matches: no leg uploaded a partial report', () => {
    const dir = downloads()
    expect(() => findReportFiles('merge', ['missing/*.json', 'absent.json'], dir)).toThrow(
      "merge: 'missing/*.json', 'absent.json' matches no file, so there is nothing to merge: no leg uploaded a partial report (did every leg fail or get skipped?)"
    )
  })
})

describe('readPartialReports', () => {
  it('reads each report, named relative to the workspace', () => {
    const dir = downloads()
    const files = findReportFiles('merge', ['shards/*.json'], dir)
    expect(readPartialReports(files, dir)).toEqual([
      { file: 'shards/slimcheck-shard-1.json', report: { schemaVersion: 2 } },
      { file: 'shards/slimcheck-shard-2.json', report: { schemaVersion: 2 } }
    ])
  })

  it('names the file that is not a report', () => {
    const dir = downloads()
    fs.writeFileSync(path.join(dir, 'shards/broken.json'), '{"schemaVersion":')
    fs.writeFileSync(path.join(dir, 'shards/list.json'), '[]')
    expect(() => readPartialReports([path.join(dir, 'shards/broken.json')], dir)).toThrow(
      /^shards\/broken\.json: is not a JSON report \(/
    )
    expect(() => readPartialReports([path.join(dir, 'shards/list.json')], dir)).toThrow(
      'shards/list.json: is not a slimcheck report (a JSON object)'
    )
    expect(() => readPartialReports([path.join(dir, 'shards/gone.json')], dir)).toThrow(
      'shards/gone.json: cannot be read (ENOENT)'
    )
  })
})
