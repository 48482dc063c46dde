import { describe, expect, it } from '@jest/globals'
import { parseSettings, parseVariantsYaml } from '../../src/config.js'
import { discoverVariants } from '../../src/discover.js'
import { analyzeVariant, imageCondaFinding } from '../../src/measure/variants.js'
import { makeWorkspace } from '../support/workspace.js'

const CONFIG = [
  'variants:',
  '  - name: torch',
  '    dockerfile: Dockerfile',
  '    ignore:',
  '      - shared-tag',
  '      - rule: conda-in-production',
  '        reason: The PyTorch image is the usual exception',
  '  - dockerfile: Dockerfile'
].join('\n')

describe('a variant’s ignore list', () => {
  it('takes rule ids and { rule, reason } mappings', () => {
    expect(parseVariantsYaml(CONFIG, '.github/slimcheck.yml', true).map((spec) => spec.ignore)).toEqual([
      [{ rule: 'shared-tag' }, { rule: 'conda-in-production', reason: 'The PyTorch image is the usual exception' }],
      undefined
    ])
  })

  it.each([
    ['  ignore: shared-tag', 'input variants:2: variants[0].ignore must be a list of rule ids or { rule, reason }'],
    [
      '  ignore: [shared-tags]',
      "input variants:2: variants[0].ignore[0]: 'shared-tags' is not a rule; use one of conda-in-production, shared-tag, floating-tag"
    ],
    [
      '  ignore: [parse-error]',
      'input variants:2: variants[0].ignore[0]: parse-error cannot be ignored, as a Dockerfile slimcheck cannot parse is not built'
    ],
    [
      '  ignore:\n    - shared-tag\n    - rule: shared-tag',
      'input variants:4: variants[0].ignore names shared-tag twice'
    ],
    ['  ignore:\n    - reason: because', "input variants:3: variants[0].ignore[0] needs a 'rule'"],
    [
      '  ignore:\n    - rule: shared-tag\n      why: pinned',
      "input variants:4: variants[0].ignore[0] has unknown key 'why'; allowed: rule, reason"
    ],
    [
      '  ignore:\n    - rule: shared-tag\n      reason: [pinned]',
      'input variants:4: variants[0].ignore[0].reason must be a non-empty string'
    ],
    [
      '  ignore: [[shared-tag]]',
      'input variants:2: variants[0].ignore[0] must be a rule id or a { rule, reason } mapping'
    ]
  ])('refuses %p with a located message', (ignore, message) => {
    expect(() => parseVariantsYaml(`- dockerfile: Dockerfile\n${ignore}`, 'input variants', false)).toThrow(message)
  })

  it('suppresses the variant’s findings of its rules, static and from the image, and no other variant’s', () => {
    const dir = makeWorkspace({
      Dockerfile: 'FROM python:3.12\nRUN pip install conda\n',
      '.github/slimcheck.yml': CONFIG
    })
    const settings = parseSettings({}, dir)
    const [torch, other] = discoverVariants(settings).map((variant) => analyzeVariant(variant, settings))
    const reason = 'The PyTorch image is the usual exception'
    expect(torch.findings.map((finding) => [finding.rule, finding.suppressed])).toEqual([
      ['shared-tag', { by: 'config' }],
      ['conda-in-production', { by: 'config', reason }]
    ])
    expect(other.findings.every((finding) => finding.suppressed === undefined)).toBe(true)
    const markers = { prefixes: [{ path: '/opt/conda', sizeBytes: 1000 }], commandsOnPath: [], envNames: [] }
    expect(imageCondaFinding(torch, markers)?.suppressed).toEqual({ by: 'config', reason })
    expect(imageCondaFinding(other, markers)).not.toHaveProperty('suppressed')
  })
})

describe('a # slimcheck ignore= comment', () => {
  const analyzed = (dockerfile: string) => {
    const settings = parseSettings({}, makeWorkspace({ Dockerfile: dockerfile }))
    return analyzeVariant({ name: 'default', dockerfile: 'Dockerfile', context: '.', buildArgs: {} }, settings)
  }
  const markers = { prefixes: [], commandsOnPath: ['/opt/conda/bin/conda'], envNames: [] }

  it('on the production stage’s FROM suppresses the conda the image check finds', () => {
    const item = analyzed(
      'FROM debian:bookworm-slim AS build\n# slimcheck ignore=conda-in-production\nFROM debian:bookworm-slim\n'
    )
    expect(imageCondaFinding(item, markers)?.suppressed).toEqual({ by: 'comment' })
    expect(imageCondaFinding(analyzed('FROM debian:bookworm-slim\n'), markers)).not.toHaveProperty('suppressed')
  })

  it('that suppresses nothing is a warning, which does not stop the build', () => {
    const item = analyzed('# slimcheck ignore=shared-tags\nFROM debian:bookworm-slim\n')
    expect(item.findings).toMatchObject([{ rule: 'parse-error', severity: 'warning', line: 1 }])
    expect(item.blocker).toBeUndefined()
  })
})
