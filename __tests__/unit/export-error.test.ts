import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from '@jest/globals'
import { exportErrorGuard, ExportError } from '../../src/engine/export-error.js'

/** Passes `chunks` through the guard and collects what comes out, or the error it ends with. */
async function guarded(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = []
  await pipeline(Readable.from(chunks), exportErrorGuard(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk)
  })
  return Buffer.concat(out)
}

const archive = Buffer.alloc(3 * 512, 7)
const engineError = Buffer.from(
  '{"errorDetail":{"message":"write /var/lib/docker/tmp: no space left on device"},"error":"write /var/lib/docker/tmp: no space left on device"}\r\n'
)

describe('exportErrorGuard', () => {
  it('passes an archive through unchanged, however it is cut', async () => {
    const text = Buffer.concat([archive, Buffer.from('file content {"errorDetail": is just text here'), archive])
    for (const size of [1, 5, 512, text.length]) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, index) =>
        text.subarray(index * size, (index + 1) * size)
      )
      expect((await guarded(chunks)).equals(text)).toBe(true)
    }
  })

  it("ends with the engine's message when the export fails after it began", async () => {
    for (const size of [1, 7, 4096]) {
      const text = Buffer.concat([archive, engineError])
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, index) =>
        text.subarray(index * size, (index + 1) * size)
      )
      const failure = guarded(chunks)
      await expect(failure).rejects.toBeInstanceOf(ExportError)
      await expect(failure).rejects.toThrow(
        'the engine failed the image export after it began: write /var/lib/docker/tmp: no space left on device'
      )
    }
  })

  it('lets a marker deep inside a large file through', async () => {
    const text = Buffer.concat([Buffer.from('{"errorDetail":'), Buffer.alloc(100 * 1024, 1)])
    expect((await guarded([text.subarray(0, 10), text.subarray(10)])).equals(text)).toBe(true)
  })
})
