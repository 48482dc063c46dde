/**
 * Serves one build context over HTTP on the loopback interface, for engines whose BuildKit cannot read a context
 * uploaded with the build request: Docker 24.0–27.4 with the containerd image store (moby/moby#47717, fixed in 27.5).
 * Those engines do fetch a `remote` URL, so the context is handed over that way instead.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface ServedContext {
  url: string
  close(): Promise<void>
}

/** `pack` is called for every request, so a refetch gets the whole context again. */
export async function serveContext(pack: () => Readable): Promise<ServedContext> {
  const token = randomBytes(16).toString('hex')
  const server = createServer((request, response) => {
    if (request.url !== `/${token}/context.tar` || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'Content-Type': 'application/x-tar' })
    if (request.method === 'HEAD') response.end()
    else pipeline(pack(), response).catch(() => response.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/${token}/context.tar`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
