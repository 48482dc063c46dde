import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from '@jest/globals'
import type { ImageMeasurement } from '../../src/types.js'

/** A temporary directory holding the given files; Buffers and strings are written as they are. */
export function makeWorkspace(files: Record<string, string | Buffer>, prefix = 'slimcheck-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
  }
  return dir
}

/** The docker CLI, independent of dockerode, to check what slimcheck reports. */
export function dockerCli(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

export function inspectedSize(image: string): number {
  return Number(dockerCli(['image', 'inspect', '--format', '{{.Size}}', image]))
}

export function historyLength(image: string): number {
  return dockerCli(['image', 'history', '-q', '--no-trunc', image]).split('\n').length
}

/**
 * The base image every fast fixture builds on: busybox from Debian's busybox-static, imported by
 * scripts/provision-engine.sh.
 */
export const TEST_BASE = 'slimcheck/busybox:test'

/**
 * What a reported size must satisfy on any engine: the sum of its layers, and on the classic store exactly what
 * `docker image inspect` says.
 */
export function expectConsistentSize(image: ImageMeasurement): void {
  expect(image.sizeBytes).toBe(image.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0))
  if (image.store === 'overlay2') expect(image.sizeBytes).toBe(inspectedSize(image.id))
}
