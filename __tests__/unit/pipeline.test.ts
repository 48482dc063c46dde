import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../../src/config.js'
import { analyzeVariant } from '../../src/pipeline.js'
import { makeWorkspace } from '../support/workspace.js'

describe('analyzeVariant', () => {
  it('never lets a build-arg value into a finding, even where FROM resolves to it', () => {
    const dir = makeWorkspace({ Dockerfile: 'ARG BASE\nFROM ${BASE}\n' })
    const settings = parseSettings({}, dir)
    const analyzed = analyzeVariant({ name: 'default', dockerfile: 'Dockerfile', context: '.', buildArgs: { BASE: 'registry-token-s3cr3t/app' } }, settings)
    expect(analyzed.findings.length).toBeGreaterThan(0)
    expect(JSON.stringify(analyzed.findings)).not.toContain('s3cr3t')
    expect(JSON.stringify(analyzed.findings)).toContain('***')
  })

  it('blocks the build of a missing Dockerfile with a located parse-error', () => {
    const settings = parseSettings({}, makeWorkspace({}))
    const analyzed = analyzeVariant({ name: 'gone', dockerfile: 'gone/Dockerfile', context: 'gone', buildArgs: {} }, settings)
    expect(analyzed.blocker).toBe('gone/Dockerfile does not exist.')
    expect(analyzed.findings).toMatchObject([{ rule: 'parse-error', file: 'gone/Dockerfile', line: 0 }])
  })

  it('blocks the build of an unreadable Dockerfile and says why', () => {
    const settings = parseSettings({}, makeWorkspace({ 'odd/Dockerfile/placeholder': '' }))
    const analyzed = analyzeVariant({ name: 'odd', dockerfile: 'odd/Dockerfile', context: 'odd', buildArgs: {} }, settings)
    expect(analyzed.blocker).toMatch(/^odd\/Dockerfile cannot be read \(EISDIR/)
  })
})
