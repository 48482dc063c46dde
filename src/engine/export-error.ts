/**
 * An image export (`GET /images/{id}/get`) that fails after the engine sent its 200 goes on with the error as JSON
 * (`{"errorDetail":{"message":…}}`) instead of the rest of the archive. This guard turns that into an error with
 * the engine's message, so a cut archive is never read as a whole one.
 */
import { Transform, type TransformCallback } from 'node:stream'

const MARKER = Buffer.from('{"errorDetail":')
/** What follows a marker is held this long at most: a layer's file may contain the marker's text too. */
const HOLD_LIMIT = 64 * 1024

export class ExportError extends Error {
  constructor(engineMessage: string) {
    super(`the engine failed the image export after it began: ${engineMessage}`)
    this.name = 'ExportError'
  }
}

/** The length of the longest end of `chunk` that begins the marker. */
function partialMarkerAtEnd(chunk: Buffer): number {
  for (let length = Math.min(MARKER.length - 1, chunk.length); length > 0; length--) {
    if (chunk.subarray(chunk.length - length).equals(MARKER.subarray(0, length))) return length
  }
  return 0
}

function engineError(held: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(held.toString('utf8').trim()) as { errorDetail?: { message?: string }; error?: string }
    return parsed.errorDetail ? (parsed.errorDetail.message ?? parsed.error ?? 'unknown error') : undefined
  } catch {
    return undefined
  }
}

export function exportErrorGuard(): Transform {
  let held: Buffer | undefined
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const data = held ? Buffer.concat([held, chunk]) : chunk
      held = undefined
      // The last marker: an earlier one may be a layer file's text, released once it outgrew the hold.
      const at = data.lastIndexOf(MARKER)
      if (at >= 0 && data.length - at <= HOLD_LIMIT) {
        held = data.subarray(at)
        callback(null, data.subarray(0, at))
        return
      }
      const partial = at >= 0 ? 0 : partialMarkerAtEnd(data)
      if (partial) held = data.subarray(data.length - partial)
      callback(null, data.subarray(0, data.length - partial))
    },
    flush(callback: TransformCallback) {
      if (!held) return callback()
      const message = engineError(held)
      if (message !== undefined) return callback(new ExportError(message))
      callback(null, held)
    }
  })
}
