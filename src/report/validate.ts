/**
 * A report read from a file (a stored baseline, a leg's partial report) checked field by field against the report's
 * schema before anything uses it, so that a wrong type is refused with its place instead of failing later. Pure.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv/dist/jtd.js'
import { REPORT_SCHEMA, type ReportDocument } from './schema.js'

let validator: ValidateFunction<ReportDocument> | undefined

/** Compiled on first use: most runs read no report. */
function validatorOfReports(): ValidateFunction<ReportDocument> {
  validator ??= new Ajv().compile<ReportDocument>(REPORT_SCHEMA)
  return validator
}

const EXPECTED: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  float64: 'a number'
}
const SHOWN_CHARACTERS = 60

/** `variants[2].build.seconds` for the JSON pointer `/variants/2/build/seconds`, with the values along it. */
function placeOf(document: unknown, pointer: string): { path: string; value: unknown } {
  let path = ''
  let value = document
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~')
    path += Array.isArray(value) ? `[${key}]` : path ? `.${key}` : key
    value = (value as Record<string, unknown> | undefined)?.[key]
  }
  return { path, value }
}

function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value)
  return text.length > SHOWN_CHARACTERS ? `${text.slice(0, SHOWN_CHARACTERS)}…` : text
}

function describe(error: ErrorObject, document: unknown): string {
  const { path, value } = placeOf(document, error.instancePath)
  const params = error.params as { type?: string; missingProperty?: string; allowedValues?: unknown[] }
  if (params.missingProperty) return `${path ? `${path}.` : ''}${params.missingProperty}: missing`
  const expected = params.allowedValues
    ? `one of ${params.allowedValues.map((allowed) => JSON.stringify(allowed)).join(', ')}`
    : (EXPECTED[params.type ?? ''] ?? error.message ?? 'something else')
  return `${path || 'the report'}: expected ${expected}, got ${shown(value)}`
}

/**
 * Why `document` is not a report of this schema, naming the first field that is wrong (`variants[2].build.seconds:
 * expected a number, got "slow"`); undefined when it is one.
 */
export function reportProblem(document: unknown): string | undefined {
  const validate = validatorOfReports()
  if (validate(document)) return undefined
  const [first] = validate.errors ?? []
  return first ? describe(first, document) : 'it does not match the report schema'
}
