import { describe, expect, it } from '@jest/globals'
import { diffDirectories } from '../../src/compare/directories.js'
import { diffPackages } from '../../src/compare/packages.js'
import type { ImageContents, ImagePackage } from '../../src/types.js'

const dpkg = (name: string, version: string, bytes: number): ImagePackage => ({ manager: 'dpkg', name, version, bytes })

describe('packages', () => {
  it('lists what was added, removed and changed in version, largest first, with their installed bytes', () => {
    const changes = diffPackages(
      { packages: [dpkg('python3', '3.11.2', 500), dpkg('wget', '1.21', 900), dpkg('bash', '5.2', 7000)] },
      {
        packages: [
          dpkg('python3', '3.11.4', 650),
          dpkg('curl', '7.88', 500),
          dpkg('libcurl4', '7.88', 900),
          dpkg('bash', '5.2', 7000)
        ]
      }
    )
    expect(changes).toEqual({
      added: {
        count: 2,
        delta: 1400,
        largest: [
          { manager: 'dpkg', name: 'libcurl4', after: '7.88', delta: 900 },
          { manager: 'dpkg', name: 'curl', after: '7.88', delta: 500 }
        ]
      },
      removed: { count: 1, delta: -900, largest: [{ manager: 'dpkg', name: 'wget', before: '1.21', delta: -900 }] },
      changed: {
        count: 1,
        delta: 150,
        largest: [{ manager: 'dpkg', name: 'python3', before: '3.11.2', after: '3.11.4', delta: 150 }]
      }
    })
  })

  it('tells a dpkg package from an apk one of the same name, and says nothing without databases', () => {
    const changes = diffPackages(
      { packages: [dpkg('zlib', '1', 10)] },
      { packages: [{ manager: 'apk', name: 'zlib', version: '1', bytes: 10 }] }
    )
    expect([changes?.added.count, changes?.removed.count]).toEqual([1, 1])
    expect(diffPackages({ packages: [] }, { packages: [] })).toBeUndefined()
  })
})

describe('directories', () => {
  const contents = (directories: Record<string, number>, omittedBelow?: number): ImageContents => ({
    packages: [],
    directories: Object.entries(directories).map(([path, bytes]) => ({
      path,
      bytes,
      writer: { line: 11, keyword: 'RUN' }
    })),
    ...(omittedBelow !== undefined ? { directoriesOmittedBelow: omittedBelow } : {})
  })

  it('pairs directories by path, largest change first, a new one from nothing', () => {
    const changes = diffDirectories(
      contents({ '/usr/lib': 100, '/usr/share/doc': 50, '/etc': 5 }),
      contents({ '/usr/lib': 400, '/usr/share/doc': 50, '/opt/app': 30 })
    )
    expect(changes.map(({ path, before, after, delta }) => [path, before, after, delta])).toEqual([
      ['/usr/lib', 100, 400, 300],
      ['/opt/app', 0, 30, 30],
      ['/etc', 5, 0, -5]
    ])
    expect(changes[0].writer).toEqual({ line: 11, keyword: 'RUN' })
  })

  it('counts a directory a side left out at that side’s bound, so crossing it is no change', () => {
    const changes = diffDirectories(contents({ '/big': 1000 }, 20), contents({ '/big': 1000, '/small': 20 }))
    expect(changes).toEqual([])
  })
})
