/**
 * Rules `shared-tag` and `floating-tag`: every external image the Dockerfile pulls should name a tag that stays put.
 */

import type { Finding } from '../../types.js'
import type { DockerfileModel, ImageSource } from '../dockerfile.js'
import { displayName, type ImageRef } from '../image-ref.js'
import { sharedTagAdvice, type SharedTagAdvice } from '../shared-tags.js'

type ImageReference = Extract<ImageSource, { kind: 'image' }>

/** Why the reference counts as shared, as a clause. */
function reason(advice: SharedTagAdvice, image: string, tagged: boolean): string {
  switch (advice.why) {
    case 'listed':
      return `\`${advice.tag}\` is a shared tag of the official \`${image}\` image`
    case 'untagged':
      return `with no tag it means \`${image}:latest\`, a shared tag of the official \`${image}\` image`
    case 'inferred':
      return `\`${advice.tag}\` is a bare version of the official \`${image}\` image, which is published as a shared tag`
    case 'retired': {
      const subject = tagged ? `\`${advice.tag}\`` : `with no tag it means \`${image}:latest\`, which`
      return `${subject} was a shared tag of the official \`${image}\` image in its last listing (${advice.lastListed}) and is no longer maintained`
    }
  }
}

const RISK = {
  current:
    'A shared tag is published for several OS variants and floats to new releases, so rebuilding the same commit can change the OS, the size and the libraries without a diff.',
  retired: 'A shared tag is published for several OS variants, and this one no longer gets updates or security fixes.'
}

export function tagFindings(model: DockerfileModel, file: string): Finding[] {
  return imageReferences(model).flatMap(({ line, source }) => tagFinding(source, file, line) ?? [])
}

/**
 * Every stage base and `COPY --from`/`RUN --mount=from` source that names an image. References still holding an
 * unresolved `$VAR` cannot be judged and are left out, as are `scratch` and stages.
 */
function imageReferences(model: DockerfileModel): { line: number; source: ImageReference }[] {
  const references = model.stages.flatMap((stage) => [
    { line: stage.line, source: stage.base },
    ...stage.instructions.flatMap((instruction) =>
      instruction.sources.map((source) => ({ line: instruction.line, source }))
    )
  ])
  return references.flatMap(({ line, source }) => (source.kind === 'image' ? [{ line, source }] : []))
}

function tagFinding(source: ImageReference, file: string, line: number): Finding | undefined {
  const { ref } = source
  if (ref.digest) return undefined
  const advice = sharedTagAdvice(ref)
  if (advice)
    return { rule: 'shared-tag', severity: 'warning', file, line, ...sharedTag(source, advice), evidence: 'static' }
  if (ref.tag === undefined || ref.tag === 'latest')
    return { rule: 'floating-tag', severity: 'warning', file, line, ...floatingTag(source), evidence: 'static' }
  return undefined
}

function sharedTag(source: ImageReference, advice: SharedTagAdvice): { message: string; fix: string } {
  const { ref } = source
  const image = displayName(untagged(ref))
  const why = reason(advice, image, ref.tag !== undefined)
  const retired = advice.why === 'retired'
  const alternatives = advice.alternatives.slice(0, 3).map((tag) => displayName({ ...untagged(ref), tag }))
  const instead =
    alternatives.length > 0 ? ` Simple tags to use instead: ${orList(alternatives.map((name) => `\`${name}\``))}.` : ''
  const message = `${subject(source)} uses a shared tag: ${why}. ${retired ? RISK.retired : RISK.current}${instead}`
  const fix =
    alternatives.length > 0
      ? `Pin a simple tag such as ${orList(alternatives.map((name) => `\`${name}\``))}, and add its digest (\`${alternatives[0]}@sha256:…\`) so rebuilds are reproducible.`
      : `${retired ? 'Move to a maintained' : 'Pin a'} simple tag that names both the version and the OS variant, and add its digest (\`${image}:<tag>@sha256:…\`) so rebuilds are reproducible.`
  return { message, fix }
}

function floatingTag(source: ImageReference): { message: string; fix: string } {
  const name = displayName(untagged(source.ref))
  const what = source.ref.tag === undefined ? 'has no tag, so it pulls `latest`, which' : 'uses `latest`, which'
  return {
    message: `${subject(source)} ${what} moves whenever the publisher pushes: builds are not reproducible and can change or break without a change here.`,
    fix: `Pin a version tag and its digest, e.g. \`${name}:<version>@sha256:…\`.`
  }
}

/** The reference as written, with what it resolves to when ARGs were substituted. */
function subject(source: ImageReference): string {
  return source.written === source.text ? `\`${source.text}\`` : `\`${source.written}\` (\`${source.text}\`)`
}

function orList(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : items.join('')
}

function untagged(ref: ImageRef): ImageRef {
  return { ...ref, tag: undefined, digest: undefined }
}
