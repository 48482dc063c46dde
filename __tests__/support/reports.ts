import { parseFailOn, type Policy } from '../../src/config.js'
import {
  SCHEMA_VERSION,
  type BuildMeasurement,
  type Finding,
  type ImageMeasurement,
  type Layer,
  type Report,
  type VariantReport
} from '../../src/types.js'

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    rule: 'shared-tag',
    severity: 'warning',
    file: 'Dockerfile',
    line: 1,
    message: '`python:3.12` uses a shared tag',
    fix: 'Pin `python:3.12.7-slim-bookworm`.',
    evidence: 'static',
    ...overrides
  }
}

/** A variant built and measured: one layer of `sizeBytes`, one build of 10 s, in the directory of its name. */
export function builtVariant(
  name: string,
  {
    sizeBytes = 1000,
    findings = [],
    image: overrides = {}
  }: {
    sizeBytes?: number
    findings?: Finding[]
    image?: Partial<ImageMeasurement>
  } = {}
): VariantReport {
  return {
    name,
    dockerfile: `${name}/Dockerfile`,
    context: name,
    buildArgNames: [],
    status: 'built',
    findings,
    image: image(sizeBytes, [{ sizeBytes, createdBy: 'base' }], overrides),
    build: build([10])
  }
}

export function report(variants: VariantReport[], problems: string[] = []): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: '0.1.0' },
    createdAt: '2025-01-01T00:00:00Z',
    problems,
    variants
  }
}

/** No limits, nothing in fail-on and no noise threshold, unless overridden. */
export function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    failOn: parseFailOn('none'),
    failOnInherited: false,
    sizeMetric: 'uncompressed',
    sizeNoise: { bytes: 0 },
    maxSize: [],
    ...overrides
  }
}

/** An image as the classic store measures it; compressed to 40% unless given. */
export function image(sizeBytes: number, layers: Layer[], overrides: Partial<ImageMeasurement> = {}): ImageMeasurement {
  return {
    id: `sha256:${'0'.repeat(64)}`,
    sizeBytes,
    sizeSource: 'Size from GET /images/{id}/json (overlay2 store)',
    compressedBytes: Math.round(sizeBytes * 0.4),
    compressedSource: 'the gzip-compressed layer blobs, as a push would send them',
    engineReported: { sizeBytes, source: 'Size from GET /images/{id}/json' },
    store: 'overlay2',
    platform: 'linux/amd64',
    layers,
    byteFacts: [],
    ...overrides
  }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function build(samples: number[], overrides: Partial<BuildMeasurement> = {}): BuildMeasurement {
  return {
    seconds: median(samples),
    samples,
    cache: 'cold',
    method: 'wall clock from sending the build context to the end of the build stream',
    ...overrides
  }
}
