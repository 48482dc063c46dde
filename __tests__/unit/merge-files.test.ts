import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { findReportFiles, readPartialReports } from '../../src/shards/files.js'
import type { VariantReport } from '../../src/types.js'
import { build, report } from '../support/reports.js'

const variant = (name: string): VariantReport => ({
  name,
  dockerfile: `${name}/Dockerfile`,
  context: name,
  buildArgNames: [],
  status: 'built',
  findings: [],
  build: build([3])
})

/** A downloaded-artifacts folder: `merge-multiple` flat files, one leg's own folder, and files that are not reports. */
function downloads(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-merge-files-'))
  const files: Record<string, string> = {
    'shards/slimcheck-shard-2.json': '{"schemaVersion":1}',
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
    const leg = report([variant('api')])
    fs.writeFileSync(path.join(dir, 'shards/slimcheck-shard-1.json'), JSON.stringify(leg))
    const files = findReportFiles('merge', ['shards/*.json'], dir)
    expect(readPartialReports(files, dir)).toEqual([
      { file: 'shards/slimcheck-shard-1.json', report: leg },
      { file: 'shards/slimcheck-shard-2.json', report: { schemaVersion: 1 } }
    ])
  })

  it('refuses a report with a field of the wrong type, naming the file and the field', () => {
    const dir = downloads()
    const leg = report([variant('api'), variant('web'), variant('docs')])
    const wrong = JSON.parse(JSON.stringify(leg)) as { variants: Array<{ build: { seconds: unknown } }> }
    wrong.variants[2].build.seconds = 'slow'
    fs.writeFileSync(path.join(dir, 'shards/slimcheck-shard-1.json'), JSON.stringify(wrong))
    expect(() => readPartialReports([path.join(dir, 'shards/slimcheck-shard-1.json')], dir)).toThrow(
      'shards/slimcheck-shard-1.json: variants[2].build.seconds: expected a number, got "slow"'
    )
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
