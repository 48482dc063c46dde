/** A finding that a `# slimcheck ignore=` comment or the variant's `ignore` list accepts: kept, marked suppressed. */
import { RULE_IDS, type Finding, type RuleId, type RuleIgnore, type Suppression } from '../types.js'

/** A parse error stops the build, so accepting it would change nothing. */
export const SUPPRESSIBLE_RULES: readonly RuleId[] = RULE_IDS.filter((rule) => rule !== 'parse-error')

/** The rules a `# slimcheck ignore=` comment suppresses, on the lines of the instruction below it. */
export interface CommentSuppression {
  rules: RuleId[]
  reason?: string
  first: number
  last: number
}

export interface Suppressions {
  comments: CommentSuppression[]
  ignore: RuleIgnore[]
}

/** The finding marked with what suppresses it, the comment on its instruction before the config; else as it is. */
export function suppress(finding: Finding, { comments, ignore }: Suppressions): Finding {
  const suppression = commentOn(finding, comments) ?? fromConfig(finding, ignore)
  return suppression ? { ...finding, suppressed: suppression } : finding
}

function commentOn(finding: Finding, comments: CommentSuppression[]): Suppression | undefined {
  const comment = comments.find(
    (item) => item.rules.includes(finding.rule) && finding.line >= item.first && finding.line <= item.last
  )
  return comment && withReason('comment', comment.reason)
}

function fromConfig(finding: Finding, ignore: RuleIgnore[]): Suppression | undefined {
  const entry = ignore.find((item) => item.rule === finding.rule)
  return entry && withReason('config', entry.reason)
}

function withReason(by: Suppression['by'], reason: string | undefined): Suppression {
  return reason ? { by, reason } : { by }
}
