import type { Comparison, Report } from '../../src/types.js'

/**
 * What `actual` measured differently from `expected`: the variants, their status, uncompressed sizes, layers and
 * findings, and with a comparison each variant's kind and size change, the totals and the violations. Build times
 * and compressed sizes are left out: they differ from build to build (the layers' file times are compressed too).
 * Empty when a sharded run merged agrees with an unsharded run of the same commits.
 */
export function measurementDifferences(expected: Report, actual: Report): string[] {
  const differences: string[] = []
  const differ = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      differences.push(`${what}: expected ${JSON.stringify(a)}, got ${JSON.stringify(b)}`)
  }
  differ(
    'variants',
    expected.variants.map((variant) => variant.name),
    actual.variants.map((variant) => variant.name)
  )
  differ('problems', expected.problems, actual.problems)
  const measured = (report: Report, name: string) => {
    const variant = report.variants.find((item) => item.name === name)
    return {
      status: variant?.status,
      sizeBytes: variant?.image?.sizeBytes,
      layers: variant?.image?.layers.map((layer) => layer.sizeBytes),
      findings: variant?.findings.map((finding) => `${finding.rule}:${finding.file}:${finding.line}`)
    }
  }
  for (const { name } of expected.variants) differ(name, measured(expected, name), measured(actual, name))
  const compared = (comparison: Comparison | undefined) => ({
    baseline: comparison?.baseline.source,
    totalSize: comparison?.totalSize,
    variants: comparison?.variants.map((variant) => ({
      name: variant.name,
      kind: variant.kind,
      size: variant.size
    })),
    violations: comparison?.violations.map((violation) => violation.message),
    inherited: comparison?.inherited.map((violation) => violation.message)
  })
  differ('comparison', compared(expected.comparison), compared(actual.comparison))
  return differences
}
