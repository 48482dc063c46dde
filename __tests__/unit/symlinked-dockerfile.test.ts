import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import tar from 'tar-stream'
import { buildContext, ContextError, EXTERNAL_DOCKERFILE, packContext } from '../../src/measure/context.js'
import { makeWorkspace } from '../support/workspace.js'

interface ArchiveEntry {
  type: string
  content: string
  linkname?: string
}

/** The context archive as the engine unpacks it: each entry's type, content and link target. */
async function unpacked(
  contextDir: string,
  dockerfile: string
): Promise<{ dockerfile: string; entries: Map<string, ArchiveEntry> }> {
  const context = buildContext(contextDir, dockerfile)
  const entries = new Map<string, ArchiveEntry>()
  const extract = tar.extract()
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk) => chunks.push(chunk as Buffer))
    stream.on('end', () => {
      entries.set(header.name, {
        type: header.type ?? 'file',
        content: Buffer.concat(chunks).toString('utf8'),
        ...(header.linkname ? { linkname: header.linkname } : {})
      })
      next()
    })
  })
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve)
    extract.on('error', reject)
  })
  packContext(context.entries).pipe(extract)
  await done
  return { dockerfile: context.dockerfile, entries }
}

describe('a symlinked Dockerfile', () => {
  const text = 'FROM scratch\nCOPY app.py /app.py\n'

  it('travels as a regular file with the content of its target, wherever the target is', async () => {
    const dir = makeWorkspace({ 'shared/base.Dockerfile': text, 'svc/app.py': 'print(1)\n' })
    fs.symlinkSync('../shared/base.Dockerfile', path.join(dir, 'svc/Dockerfile'))
    fs.symlinkSync('app.py', path.join(dir, 'svc/main.py'))
    const { dockerfile, entries } = await unpacked(path.join(dir, 'svc'), 'Dockerfile')
    expect(dockerfile).toBe('Dockerfile')
    expect(entries.get('Dockerfile')).toEqual({ type: 'file', content: text })
    expect(entries.get('main.py')).toEqual({ type: 'symlink', content: '', linkname: 'app.py' })
  })

  it('outside the context travels as its target’s content too', async () => {
    const dir = makeWorkspace({ 'docker/real.Dockerfile': text, 'app/app.py': 'print(1)\n' })
    fs.symlinkSync('real.Dockerfile', path.join(dir, 'docker/Dockerfile.app'))
    const { dockerfile, entries } = await unpacked(path.join(dir, 'app'), '../docker/Dockerfile.app')
    expect(dockerfile).toBe(EXTERNAL_DOCKERFILE)
    expect(entries.get(EXTERNAL_DOCKERFILE)).toEqual({ type: 'file', content: text })
  })

  it('that is broken cannot be sent, and the error names it', () => {
    const dir = makeWorkspace({ 'app.py': 'print(1)\n' })
    fs.symlinkSync('gone.Dockerfile', path.join(dir, 'Dockerfile'))
    expect(() => buildContext(dir, 'Dockerfile')).toThrow(ContextError)
    expect(() => buildContext(dir, 'Dockerfile')).toThrow('cannot read Dockerfile in the build context (ENOENT)')
  })
})
