import { createRequire } from 'node:module'
import { describe, expect, it } from '@jest/globals'
import AjvDraft04 from 'ajv-draft-04'
import addFormatsModule from 'ajv-formats'
import { locationText, measuredWithoutDockerfile, renderReportMarkdown } from '../../src/report/index.js'
import { renderSarif } from '../../src/report/sarif.js'
import type { Finding, Layer, VariantReport } from '../../src/types.js'
import { build, finding, image, report } from '../support/reports.js'

const MB = 1_000_000
const BLOB = 'https://github.com/octo/app/blob/0123abcd'
const digest = (n: number): string => `sha256:${String(n).repeat(64)}`

/** An image as inspect measures it: history entries, those that made a layer with a diffId, none of a Dockerfile. */
const layers: Layer[] = [
  { sizeBytes: 8 * MB, createdBy: '/bin/sh -c #(nop) ADD file:0123456789ab in / ', diffId: digest(1) },
  { sizeBytes: 0, createdBy: '/bin/sh -c #(nop)  CMD ["bash"]' },
  {
    sizeBytes: 30 * MB,
    createdBy: 'RUN /bin/sh -c head -c 30000000 /dev/urandom > /tmp/x # buildkit',
    diffId: digest(2)
  },
  { sizeBytes: 0, createdBy: 'RUN /bin/sh -c rm /tmp/x # buildkit', diffId: digest(3) },
  { sizeBytes: 2 * MB, createdBy: 'COPY app /app # buildkit', diffId: digest(4) }
]

const dead = finding({
  rule: 'dead-bytes',
  file: 'my/app:1',
  line: 0,
  layer: 2,
  layers: [2, 3],
  bytes: 30 * MB,
  message: '30.0 MB under `/tmp` written at layer 2 and deleted at layer 3 are still shipped in layer 2.',
  fix: 'Remove them in the same RUN that writes them (layer 2).',
  evidence: 'image'
})
const cache = finding({ rule: 'package-cache', file: 'my/app:1', line: 0, layer: 1, evidence: 'image' })

/** A variant as `inspect` reports it: measured, never built. */
const inspected = (findings: Finding[] = [dead, cache]): VariantReport => ({
  name: 'my/app:1',
  dockerfile: 'my/app:1',
  context: '.',
  buildArgNames: [],
  status: 'built',
  findings,
  image: image(40 * MB, layers)
})

describe('an image inspected without a Dockerfile', () => {
  it('is told from a built variant by having been measured without a build', () => {
    expect(measuredWithoutDockerfile(inspected())).toBe(true)
    expect(measuredWithoutDockerfile({ ...inspected(), build: build([10]) })).toBe(false)
    expect(measuredWithoutDockerfile({ ...inspected(), status: 'failed', image: undefined })).toBe(false)
  })

  describe('in SARIF', () => {
    const log = renderSarif(report([inspected()]), { version: '0.1.0' })
    const [deadResult, cacheResult] = log.runs[0].results!

    it('has the writing layer as the logical location, and the hiding layer as a related location', () => {
      expect(deadResult.locations).toEqual([
        {
          physicalLocation: {
            artifactLocation: { uri: 'my/app%3A1', uriBaseId: '%SRCROOT%' },
            region: { startLine: 1 }
          },
          logicalLocations: [{ name: 'layer 2', fullyQualifiedName: 'my/app:1 layer 2', kind: 'layer' }]
        }
      ])
      expect(deadResult.relatedLocations).toEqual([
        {
          id: 1,
          physicalLocation: deadResult.locations![0].physicalLocation,
          logicalLocations: [{ name: 'layer 3', fullyQualifiedName: 'my/app:1 layer 3', kind: 'layer' }],
          message: { text: 'hidden at layer 3 (`RUN rm /tmp/x`)' }
        }
      ])
    })

    it('has no related location for a finding of one layer, nor for a finding of a Dockerfile line', () => {
      expect(cacheResult.locations![0].logicalLocations).toEqual([
        { name: 'layer 1', fullyQualifiedName: 'my/app:1 layer 1', kind: 'layer' }
      ])
      expect(cacheResult).not.toHaveProperty('relatedLocations')
      const built = { ...inspected([finding({ rule: 'dead-bytes', line: 4, lines: [4, 6] })]), build: build([10]) }
      const [lineResult] = renderSarif(report([built]), { version: '0.1.0' }).runs[0].results!
      expect(lineResult.locations![0]).not.toHaveProperty('logicalLocations')
      expect(lineResult).not.toHaveProperty('relatedLocations')
    })

    it('names the hiding layer by number alone when the report holds no image to name it by', () => {
      const unmeasured = { ...inspected(), image: undefined }
      const [result] = renderSarif(report([unmeasured]), { version: '0.1.0' }).runs[0].results!
      expect(result.relatedLocations![0].message).toEqual({ text: 'hidden at layer 3' })
    })

    it('is valid SARIF 2.1.0', () => {
      const schema = createRequire(import.meta.url)(
        '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'
      ) as object
      const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false })
      addFormatsModule.default(ajv)
      const validate = ajv.compile(schema)
      expect(validate(JSON.parse(JSON.stringify(log)))).toBe(true)
    })
  })

  describe('in Markdown', () => {
    it('names its largest layers by number and history, none as the base image', () => {
      const markdown = renderReportMarkdown(report([inspected()]))
      expect(markdown).toContain(
        'largest layers: 30.0 MB `layer 2 RUN head -c 30000000 /dev/urandom > /tmp/x`; 8.00 MB `layer 1 ADD file:0123456789ab in /`; 2.00 MB `layer 4 COPY app /app`'
      )
      expect(markdown).not.toContain('base image')
    })

    it('still names the layers no Dockerfile line made as the base image’s in a built variant', () => {
      const markdown = renderReportMarkdown(report([{ ...inspected([]), build: build([10]) }]))
      expect(markdown).toContain('largest layers: 30.0 MB `base image`; 8.00 MB `base image`; 2.00 MB `base image`')
    })

    it('links no layer to a file of the repository, as the image is none', () => {
      expect(locationText(dead, BLOB)).toBe('`my/app:1 layer 2`')
      expect(renderReportMarkdown(report([inspected()]), BLOB)).not.toContain(BLOB)
      expect(locationText(finding({ file: 'api/Dockerfile', line: 7 }), BLOB)).toBe(
        `[\`api/Dockerfile:7\`](${BLOB}/api/Dockerfile#L7)`
      )
    })
  })
})
