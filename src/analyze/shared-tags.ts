import type { ImageRef } from './image-ref.js'

export interface SharedTagAdvice {
  /** The tag the reference uses (`latest` when it names none). */
  tag: string
  /** Why it counts as shared: listed under SharedTags in the snapshot, untagged, or inferred for a tag the snapshot does not know. */
  why: 'listed' | 'untagged' | 'inferred'
  /** Simple tags to pick instead, best first (may be empty). */
  alternatives: string[]
}

/** Placeholder until the generated snapshot lands. */
export function sharedTagAdvice(_ref: ImageRef): SharedTagAdvice | undefined {
  throw new Error('not implemented yet')
}
