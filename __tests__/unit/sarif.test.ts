import fs from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from '@jest/globals'
import AjvDraft04 from 'ajv-draft-04'
import addFormatsModule from 'ajv-formats'
import { compareReports } from '../../src/compare/index.js'
import { renderSarif } from '../../src/report/sarif.js'
import { RULE_IDS } from '../../src/types.js'
import { build, finding, image, policy, report } from '../support/reports.js'
import { demoScenario, largeScenario } from '../support/scenarios.js'

/** The SARIF 2.1.0 JSON schema (draft-04) as Microsoft's SARIF SDK ships it. */
const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object

function validator() {
  // The schema's language pattern has a stray `]`, which only a non-unicode RegExp accepts.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
  addFormatsModule.default(ajv)
  return ajv.compile(schema)
}

const head = report([
  {
    name: 'api server',
    dockerfile: 'docker/api #1/Dockerfile',
    context: '.',
    buildArgNames: [],
    status: 'built',
    image: image(1_000, []),
    build: build([1]),
    findings: [
      finding({ file: 'docker/api #1/Dockerfile', line: 3 }),
      finding({
        file: 'docker/api #1/Dockerfile',
        rule: 'parse-error',
        severity: 'error',
        line: 0,
        message: 'cannot be read'
      }),
      finding({
        file: 'docker/api #1/Dockerfile',
        rule: 'conda-in-production',
        severity: 'info',
        line: 1,
        message: 'accepted'
      })
    ]
  }
])

describe('SARIF output', () => {
  const validate = validator()

  it.each([
    ['a report with findings', () => renderSarif(head, { version: '0.1.0', pathPrefix: 'services' })],
    ['the demo', () => renderSarif(demoScenario().head, { version: '0.1.0', comparison: demoScenario().comparison })],
    [
      'the large case',
      () => renderSarif(largeScenario().head, { version: '0.1.0', comparison: largeScenario().comparison })
    ],
    ['no findings', () => renderSarif(report([]), { version: '0.1.0' })]
  ])('is valid SARIF 2.1.0: %s', (_, make) => {
    const log = make()
    expect(validate(log) ? [] : validate.errors).toEqual([])
  })

  it('has a schema that rejects what is not SARIF', () => {
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false)
    expect(validate({ ...renderSarif(head, { version: '0.1.0' }), version: '2.0.0' })).toBe(false)
  })

  it('describes every rule, with a help link to its section of the README', () => {
    const readme = fs.readFileSync('README.md', 'utf8')
    const rules = renderSarif(head, { version: '0.1.0' }).runs[0].tool.driver.rules!
    expect(rules.map((rule) => rule.id)).toEqual([...RULE_IDS])
    for (const rule of rules) {
      expect(rule.helpUri).toBe(`https://github.com/slimcheck/slimcheck#rule-${rule.id}`)
      expect(readme).toContain(`<a id="rule-${rule.id}"></a>`)
      expect(rule.shortDescription?.text).toBeTruthy()
      expect(rule.help?.markdown).toContain(rule.helpUri)
    }
    expect(rules.find((rule) => rule.id === 'shared-tag')?.defaultConfiguration?.level).toBe('warning')
  })

  it('gives each result its rule, level, repository path and line', () => {
    const results = renderSarif(head, { version: '0.1.0', pathPrefix: 'services' }).runs[0].results!
    expect(
      results.map((result) => [
        result.ruleId,
        result.ruleIndex,
        result.level,
        result.locations?.[0].physicalLocation?.artifactLocation?.uri,
        result.locations?.[0].physicalLocation?.region?.startLine
      ])
    ).toEqual([
      ['shared-tag', 1, 'warning', 'services/docker/api%20%231/Dockerfile', 3],
      ['parse-error', 3, 'error', 'services/docker/api%20%231/Dockerfile', 1],
      ['conda-in-production', 0, 'note', 'services/docker/api%20%231/Dockerfile', 1]
    ])
    expect(results[0].properties).toMatchObject({ variant: 'api server', fix: finding().fix })
  })

  it('says which results the pull request brought, with fingerprints that survive a moved line', () => {
    const moved = report([
      {
        ...head.variants[0],
        findings: [finding({ file: 'docker/api #1/Dockerfile', line: 9 }), finding({ rule: 'floating-tag', line: 2 })]
      }
    ])
    const comparison = compareReports(head, moved, { source: 'build' }, policy())
    const results = renderSarif(moved, { version: '0.1.0', comparison }).runs[0].results!
    expect(results.map((result) => result.baselineState)).toEqual(['unchanged', 'new'])
    const before = renderSarif(head, { version: '0.1.0' }).runs[0].results![0]
    expect(results[0].partialFingerprints).toEqual(before.partialFingerprints)
    expect(renderSarif(head, { version: '0.1.0' }).runs[0].results![0]).not.toHaveProperty('baselineState')
  })
})
