import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface EngineProxy {
  /** `unix://…`: point DOCKER_HOST here. */
  host: string
  socketPath: string
  /** Build requests (`POST /build`) the engine received through the proxy so far. */
  builds(): number
  close(): Promise<void>
}

/** The engine's socket as DOCKER_HOST names it, else the default. */
export function engineSocket(): string {
  const host = process.env.DOCKER_HOST
  if (!host) return '/var/run/docker.sock'
  if (!host.startsWith('unix://')) throw new Error(`the engine proxy needs a unix socket, not DOCKER_HOST=${host}`)
  return host.slice('unix://'.length)
}

const BUILD_REQUEST = /^POST \/(?:v[\d.]+\/)?build\?/

/** Passes every connection through to the engine, counting build requests from the engine's side of the wire. */
export async function startEngineProxy(upstream = engineSocket()): Promise<EngineProxy> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slimcheck-proxy-')), 'engine.sock')
  let builds = 0
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const engine = net.connect(upstream)
    open.add(client).add(engine)
    // slimcheck sends each build on a connection of its own, so a build request is the start of a connection.
    client.once('data', (chunk: Buffer) => {
      if (BUILD_REQUEST.test(chunk.toString('latin1', 0, 64))) builds++
    })
    client.pipe(engine).pipe(client)
    const end = (): void => {
      client.destroy()
      engine.destroy()
      open.delete(client)
      open.delete(engine)
    }
    client.on('error', end)
    engine.on('error', end)
    client.on('close', end)
    engine.on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    host: `unix://${socketPath}`,
    socketPath,
    builds: () => builds,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}
