import { describe, expect, it } from '@jest/globals'
import { whereBytesGo } from '../../src/report/explain.js'
import { builtVariant, report } from '../support/reports.js'

describe('where the bytes go', () => {
  const directories = [
    { path: '/usr/lib/gcc', bytes: 80_000_000, writer: { line: 2, keyword: 'RUN' } },
    { path: '/opt/app', bytes: 30_000_000, writer: { line: 0, keyword: 'COPY', layer: 4, text: 'COPY . /opt/app' } },
    { path: '/usr/share/doc', bytes: 2_000_000 }
  ]
  const text = whereBytesGo(
    report([builtVariant('api', { sizeBytes: 200_000_000, image: { contents: { packages: [], directories } } })])
  )

  it('names the Dockerfile line, the layer of an image measured without one, or the base image', () => {
    expect(text).toContain('`/usr/lib/gcc` 80.0 MB (line `2`)')
    expect(text).toContain('`/opt/app` 30.0 MB (layer 4)')
    expect(text).toContain('`/usr/share/doc` 2.00 MB (the base image)')
  })
})
