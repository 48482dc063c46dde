import { parseFailOn, type Policy } from '../../src/config.js'
import { SCHEMA_VERSION, type Finding, type Report, type VariantReport } from '../../src/types.js'

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

export function report(variants: VariantReport[], problems: string[] = []): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'slimcheck', version: '0.1.0' },
    createdAt: '2025-01-01T00:00:00Z',
    problems,
    variants
  }
}

/** No limits and nothing in fail-on, unless overridden. */
export function policy(overrides: Partial<Policy> = {}): Policy {
  return { failOn: parseFailOn('none'), maxSize: [], ...overrides }
}
