/**
 * BuildKit's progress, as the Engine API streams it: `moby.buildkit.trace` messages carry a base64 protobuf
 * `StatusResponse` (moby/buildkit api/services/control/control.proto). Decoded here into log lines and timed steps.
 */
import { StringDecoder } from 'node:string_decoder'
import protobuf from 'protobufjs'

/** The fields of BuildKit's StatusResponse that slimcheck reads, by their wire numbers. */
const STATUS_SCHEMA = {
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 }
      }
    },
    VertexLog: { fields: { vertex: { type: 'string', id: 1 }, msg: { type: 'bytes', id: 4 } } },
    VertexWarning: {
      fields: {
        vertex: { type: 'string', id: 1 },
        short: { type: 'bytes', id: 3 },
        detail: { rule: 'repeated', type: 'bytes', id: 4 }
      }
    },
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
        warnings: { rule: 'repeated', type: 'VertexWarning', id: 4 }
      }
    }
  }
}

const StatusResponse = protobuf.Root.fromJSON(STATUS_SCHEMA).lookupType('StatusResponse')

interface Timestamp {
  seconds: number
  nanos: number
}

interface StatusMessage {
  vertexes: Array<{
    digest: string
    name: string
    cached: boolean
    started?: Timestamp
    completed?: Timestamp
    error: string
  }>
  logs: Array<{ vertex: string; msg: Uint8Array }>
  warnings: Array<{ vertex: string; short: Uint8Array; detail: Uint8Array[] }>
}

export function decodeStatus(base64: string): StatusMessage {
  const message = StatusResponse.decode(Buffer.from(base64, 'base64'))
  return StatusResponse.toObject(message, { longs: Number, arrays: true, defaults: true }) as StatusMessage
}

/** One vertex of the build as BuildKit reported it, merged over every message that mentioned it. */
export interface TracedStep {
  name: string
  cached: boolean
  /** Seconds from start to completion; undefined until it completed. */
  seconds?: number
  error?: string
}

const seconds = (time: Timestamp): number => time.seconds + time.nanos / 1e9

interface VertexState {
  number: number
  name: string
  cached: boolean
  started?: number
  completed?: number
  error?: string
  announced: boolean
  decoder: StringDecoder
  partial: string
}

/**
 * Follows one build's trace messages: turns them into log lines in the style of `docker build --progress=plain`
 * (`#3 [2/4] RUN …`, `#3 0.512 output`, `#3 DONE 1.2s`) and keeps every step's timing. A vertex's output is decoded
 * as one UTF-8 stream, so a character split across messages stays whole.
 */
export class BuildTrace {
  private readonly vertices = new Map<string, VertexState>()

  constructor(private readonly onLine: (line: string) => void) {}

  add(base64: string): void {
    const status = decodeStatus(base64)
    for (const vertex of status.vertexes) this.updateVertex(vertex)
    for (const log of status.logs) this.addOutput(log.vertex, log.msg)
    for (const warning of status.warnings) {
      const detail = warning.detail.map((line) => Buffer.from(line).toString('utf8'))
      for (const line of [Buffer.from(warning.short).toString('utf8'), ...detail]) this.onLine(`WARNING: ${line}`)
    }
  }

  /** Every vertex in the order it appeared. */
  steps(): TracedStep[] {
    return [...this.vertices.values()].map((vertex) => ({
      name: vertex.name,
      cached: vertex.cached,
      ...(vertex.started !== undefined && vertex.completed !== undefined
        ? { seconds: Math.max(0, vertex.completed - vertex.started) }
        : {}),
      ...(vertex.error ? { error: vertex.error } : {})
    }))
  }

  /** Writes out what is left of unterminated output lines. */
  flush(): void {
    for (const vertex of this.vertices.values()) {
      const rest = vertex.partial + vertex.decoder.end()
      vertex.partial = ''
      if (rest) this.onLine(`#${vertex.number} ${rest}`)
    }
  }

  private state(digest: string, name = ''): VertexState {
    let vertex = this.vertices.get(digest)
    if (!vertex) {
      vertex = {
        number: this.vertices.size + 1,
        name,
        cached: false,
        announced: false,
        decoder: new StringDecoder('utf8'),
        partial: ''
      }
      this.vertices.set(digest, vertex)
    }
    return vertex
  }

  private updateVertex(update: StatusMessage['vertexes'][number]): void {
    const vertex = this.state(update.digest, update.name)
    if (update.name) vertex.name = update.name
    if (update.started) vertex.started = seconds(update.started)
    if (!vertex.announced && (vertex.started !== undefined || update.cached)) {
      vertex.announced = true
      this.onLine(`#${vertex.number} ${vertex.name}`)
    }
    if (update.cached && !vertex.cached) {
      vertex.cached = true
      this.onLine(`#${vertex.number} CACHED`)
    }
    if (update.error && !vertex.error) {
      vertex.error = update.error
      this.onLine(`#${vertex.number} ERROR: ${update.error}`)
    }
    if (update.completed && vertex.completed === undefined) {
      vertex.completed = seconds(update.completed)
      if (!vertex.cached && !vertex.error && vertex.started !== undefined) {
        this.onLine(`#${vertex.number} DONE ${(vertex.completed - vertex.started).toFixed(1)}s`)
      }
    }
  }

  private addOutput(digest: string, bytes: Uint8Array): void {
    const vertex = this.state(digest)
    const lines = (vertex.partial + vertex.decoder.write(Buffer.from(bytes))).split(/\r?\n/)
    vertex.partial = lines.pop() ?? ''
    for (const line of lines) this.onLine(`#${vertex.number} ${line}`)
  }
}
