/** A layer as the byte replay reads it: the entries, and what else it hides or holds when the test says so. */
import type { LayerFiles } from '../../src/measure/bytes/layer-files.js'
import type { FilesystemEntry } from '../../src/measure/image-archive.js'

export function layerFiles(entries: FilesystemEntry[], rest: Partial<LayerFiles> = {}): LayerFiles {
  return {
    entries,
    whiteouts: [],
    opaqueDirs: [],
    compressionRatio: 1,
    packageDatabases: {},
    languagePackages: {},
    installers: {},
    ...rest
  }
}
