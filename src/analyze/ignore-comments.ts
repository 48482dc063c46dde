/**
 * `# slimcheck ignore=RULE[,RULE] [reason]`, as hadolint has `# hadolint ignore=DL3006`: on the line directly above an
 * instruction (or among the comment lines directly above it), it suppresses those rules' findings on the lines of that
 * instruction. A comment that would suppress nothing (a rule slimcheck does not have, no instruction below it) is a
 * warning at its line, so that a typo never goes unnoticed.
 */
import type { Dockerfile } from 'dockerfile-ast'
import type { Finding, RuleId } from '../types.js'
import { SUPPRESSIBLE_RULES, type CommentSuppression } from './suppress.js'

/** A `# slimcheck …` comment as the Dockerfile holds it, before its rules are checked. */
export interface IgnoreComment {
  /** 1-based line of the comment. */
  line: number
  /** What follows `slimcheck`. */
  text: string
  /** The 1-based lines of the instruction directly below: its continuation lines and heredoc bodies too. */
  instruction?: { first: number; last: number }
}

const SLIMCHECK_COMMENT = /^\s*#\s*slimcheck\s+(.*)$/i
/** What reads as meant for slimcheck rather than prose: `ignore…`, or a `key=value`. */
const DIRECTIVE_LIKE = /^(?:ignore\b|\S*=)/i
const IGNORE = /^ignore\s*=\s*([^\s,]+(?:\s*,\s*[^\s,]+)*)\s*(.*)$/i
const SYNTAX = '`# slimcheck ignore=RULE[,RULE]`, optionally followed by the reason'

/** The `# slimcheck …` comments of a Dockerfile, each with the instruction directly below it, if any. */
export function readIgnoreComments(dockerfile: Dockerfile, lines: string[]): IgnoreComment[] {
  // dockerfile-ast takes the comments at the top of the file for parser directives.
  const commentLines = new Set(
    [...dockerfile.getComments(), ...dockerfile.getDirectives()].map((comment) => comment.getRange().start.line)
  )
  const instructionEnds = new Map(
    dockerfile.getInstructions().map((node) => [node.getRange().start.line, node.getRange().end.line])
  )
  return [...commentLines]
    .sort((a, b) => a - b)
    .flatMap((index) => {
      const text = SLIMCHECK_COMMENT.exec(lines[index])?.[1].trim()
      if (!text || !DIRECTIVE_LIKE.test(text)) return []
      let below = index + 1
      while (commentLines.has(below)) below++
      const end = instructionEnds.get(below)
      return [
        { line: index + 1, text, ...(end === undefined ? {} : { instruction: { first: below + 1, last: end + 1 } }) }
      ]
    })
}

/** What the comments suppress, and a warning for each that would suppress less than it says. */
export function commentSuppressions(
  comments: IgnoreComment[],
  file: string
): { suppressions: CommentSuppression[]; warnings: Finding[] } {
  const suppressions: CommentSuppression[] = []
  const warnings: Finding[] = []
  const warn = (comment: IgnoreComment, message: string, fix: string): void => {
    warnings.push({
      rule: 'parse-error',
      severity: 'warning',
      file,
      line: comment.line,
      message,
      fix,
      evidence: 'static'
    })
  }
  for (const comment of comments) {
    const written = `\`# slimcheck ${comment.text}\``
    const match = IGNORE.exec(comment.text)
    if (!match) {
      warn(comment, `${written} is not a comment slimcheck reads, so it suppresses nothing.`, `Write ${SYNTAX}.`)
      continue
    }
    const named = [...new Set(match[1].split(/\s*,\s*/).map((rule) => rule.toLowerCase()))]
    const rules = named.filter((rule): rule is RuleId => (SUPPRESSIBLE_RULES as readonly string[]).includes(rule))
    const unknown = named.filter((rule) => !rules.includes(rule as RuleId))
    if (unknown.length)
      warn(
        comment,
        `${written} names ${unknown.map((rule) => `\`${rule}\``).join(', ')}, which slimcheck cannot suppress: ${unknown.length > 1 ? 'they suppress' : 'it suppresses'} nothing.`,
        `Name rules slimcheck suppresses: ${SUPPRESSIBLE_RULES.join(', ')} (a parse-error stops the build, so it cannot be accepted).`
      )
    if (!comment.instruction) {
      warn(
        comment,
        `${written} is not directly above an instruction, so it suppresses nothing.`,
        'Put it on the line directly above the instruction whose findings it accepts (other comment lines may come between, blank lines may not).'
      )
      continue
    }
    const reason = match[2].replace(/^[-–—:]+\s*/, '')
    if (rules.length) suppressions.push({ rules, ...(reason ? { reason } : {}), ...comment.instruction })
  }
  return { suppressions, warnings }
}
