import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import { baseWorktree, type BaseWorktree } from '../../src/baseline.js'
import { parseSettings } from '../../src/config.js'
import { createFixtureRepo } from '../support/git-fixture.js'
import { recordingLogger } from '../support/logger.js'

const config = (count: string): string =>
  `variants:\n  - name: app\n    dockerfile: Dockerfile\n    build-args:\n      COUNT: '${count}'\n`

let opened: BaseWorktree | undefined
afterEach(async () => {
  await opened?.cleanup()
  opened = undefined
})

describe("the base side's config file", () => {
  const repo = createFixtureRepo(
    { Dockerfile: 'FROM scratch\n', 'ci/slimcheck.yml': config('16') },
    { 'ci/slimcheck.yml': config('64') }
  )

  it.each([
    ['relative', 'ci/slimcheck.yml'],
    ['absolute, inside the repository', path.join(repo.work, 'ci/slimcheck.yml')]
  ])('is the base commit’s copy when the path is %s', async (_kind, configFile) => {
    const settings = parseSettings({ 'config-file': configFile }, repo.work)
    expect(settings.variants?.[0].buildArgs).toEqual({ COUNT: '64' })
    opened = await baseWorktree(settings, repo.mainSha, recordingLogger())
    expect(opened.settings.variants?.[0].buildArgs).toEqual({ COUNT: '16' })
  })

  it.each([
    ['an absolute path', (file: string) => file],
    ['a relative path', (file: string) => path.relative(repo.work, file)]
  ])('is the same file on both sides when %s leads outside the repository', async (_kind, name) => {
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-config-')), 'slimcheck.yml')
    fs.writeFileSync(outside, config('32'))
    const settings = parseSettings({ 'config-file': name(outside) }, repo.work)
    expect(settings.variants?.[0].buildArgs).toEqual({ COUNT: '32' })
    opened = await baseWorktree(settings, repo.mainSha, recordingLogger())
    expect(opened.settings.variants?.[0].buildArgs).toEqual({ COUNT: '32' })
  })
})

describe('a pull request that deletes the config file', () => {
  const repo = createFixtureRepo(
    { Dockerfile: 'FROM scratch\n', '.github/slimcheck.yml': config('16') },
    { '.github/slimcheck.yml': null }
  )

  it('scans on its side, and the base still reads its own copy', async () => {
    const settings = parseSettings({}, repo.work)
    expect(settings.variants).toBeUndefined()
    opened = await baseWorktree(settings, repo.mainSha, recordingLogger())
    expect(opened.settings.variants?.[0].buildArgs).toEqual({ COUNT: '16' })
  })
})
