import { describe, expect, it } from '@jest/globals'
import protobuf from 'protobufjs'
import { BuildTrace } from '../../src/engine/trace.js'

interface VertexFields {
  digest: string
  name?: string
  cached?: boolean
  started?: number
  completed?: number
  error?: string
}

/** A StatusResponse written field by field with the numbers of moby/buildkit's control.proto. */
function status(parts: {
  vertexes?: VertexFields[]
  logs?: Array<{ vertex: string; msg: Buffer }>
  warnings?: string[]
}): string {
  const writer = protobuf.Writer.create()
  const timestamp = (field: number, seconds: number): void => {
    writer.uint32((field << 3) | 2).fork()
    writer.uint32((1 << 3) | 0).int64(Math.floor(seconds))
    writer.uint32((2 << 3) | 0).int32(Math.round((seconds % 1) * 1e9))
    writer.ldelim()
  }
  for (const vertex of parts.vertexes ?? []) {
    writer.uint32((1 << 3) | 2).fork()
    writer.uint32((1 << 3) | 2).string(vertex.digest)
    if (vertex.name) writer.uint32((3 << 3) | 2).string(vertex.name)
    if (vertex.cached) writer.uint32((4 << 3) | 0).bool(true)
    if (vertex.started !== undefined) timestamp(5, vertex.started)
    if (vertex.completed !== undefined) timestamp(6, vertex.completed)
    if (vertex.error) writer.uint32((7 << 3) | 2).string(vertex.error)
    writer.ldelim()
  }
  for (const log of parts.logs ?? []) {
    writer.uint32((3 << 3) | 2).fork()
    writer.uint32((1 << 3) | 2).string(log.vertex)
    writer.uint32((3 << 3) | 0).int64(1)
    writer.uint32((4 << 3) | 2).bytes(log.msg)
    writer.ldelim()
  }
  for (const warning of parts.warnings ?? []) {
    writer.uint32((4 << 3) | 2).fork()
    writer.uint32((1 << 3) | 2).string('sha256:w')
    writer.uint32((3 << 3) | 2).bytes(Buffer.from(warning))
    writer.ldelim()
  }
  return Buffer.from(writer.finish()).toString('base64')
}

describe('the BuildKit trace', () => {
  it('prints steps, their output and their end like plain progress, and times every step', () => {
    const lines: string[] = []
    const trace = new BuildTrace((line) => lines.push(line))
    trace.add(
      status({ vertexes: [{ digest: 'sha256:a', name: '[1/2] FROM docker.io/library/busybox', cached: true }] })
    )
    trace.add(status({ vertexes: [{ digest: 'sha256:b', name: '[2/2] RUN make', started: 100.25 }] }))
    trace.add(status({ logs: [{ vertex: 'sha256:b', msg: Buffer.from('compiling\nlinking') }] }))
    trace.add(status({ logs: [{ vertex: 'sha256:b', msg: Buffer.from(' done\n') }] }))
    trace.add(status({ vertexes: [{ digest: 'sha256:b', started: 100.25, completed: 102.75 }] }))
    trace.add(status({ warnings: ['FromAsCasing: as and FROM do not match'] }))
    expect(lines).toEqual([
      '#1 [1/2] FROM docker.io/library/busybox',
      '#1 CACHED',
      '#2 [2/2] RUN make',
      '#2 compiling',
      '#2 linking done',
      '#2 DONE 2.5s',
      'WARNING: FromAsCasing: as and FROM do not match'
    ])
    expect(trace.steps()).toEqual([
      { name: '[1/2] FROM docker.io/library/busybox', cached: true },
      { name: '[2/2] RUN make', cached: false, seconds: 2.5 }
    ])
  })

  it('keeps a character whole that arrives split over two messages', () => {
    const lines: string[] = []
    const trace = new BuildTrace((line) => lines.push(line))
    const text = Buffer.from('größe ✓\n')
    trace.add(status({ vertexes: [{ digest: 'sha256:c', name: '[1/1] RUN echo', started: 1 }] }))
    trace.add(status({ logs: [{ vertex: 'sha256:c', msg: text.subarray(0, 3) }] }))
    trace.add(status({ logs: [{ vertex: 'sha256:c', msg: text.subarray(3) }] }))
    expect(lines).toContain('#1 größe ✓')
  })

  it('reports a failed step and writes out an unterminated last line', () => {
    const lines: string[] = []
    const trace = new BuildTrace((line) => lines.push(line))
    trace.add(status({ vertexes: [{ digest: 'sha256:d', name: '[2/2] RUN exit 3', started: 5 }] }))
    trace.add(status({ logs: [{ vertex: 'sha256:d', msg: Buffer.from('about to fail') }] }))
    trace.add(status({ vertexes: [{ digest: 'sha256:d', started: 5, completed: 6, error: 'exit code: 3' }] }))
    trace.flush()
    expect(lines).toEqual(['#1 [2/2] RUN exit 3', '#1 ERROR: exit code: 3', '#1 about to fail'])
    expect(trace.steps()).toEqual([{ name: '[2/2] RUN exit 3', cached: false, seconds: 1, error: 'exit code: 3' }])
  })
})
