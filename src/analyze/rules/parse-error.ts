/** Rule `parse-error`: problems that stop the engine from building the Dockerfile. */

import type { Finding } from '../../types.js'
import type { ParseProblem } from '../dockerfile.js'

export function parseErrorFindings(problems: ParseProblem[], file: string): Finding[] {
  return problems.map(({ line, message, fix }) => ({
    rule: 'parse-error',
    severity: 'error',
    file,
    line,
    message,
    fix,
    evidence: 'static'
  }))
}
