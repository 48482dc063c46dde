/** One layer of an image as the byte rules read it: what it wrote and hid, and which instruction made it. */
import type { FactInstruction } from '../../types.js'
import type { FilesystemEntry } from '../image-archive.js'
import type { LanguagePackage } from './language-packages.js'

export interface LayerFiles {
  /** The Dockerfile instruction that made the layer (without a Dockerfile: the layer); absent for the base's layers. */
  instruction?: FactInstruction
  /** Paths without the leading slash; `size` is a regular file's bytes, 0 for anything else. */
  entries: FilesystemEntry[]
  /** Paths the layer deletes from the layers below. */
  whiteouts: string[]
  /** Directories whose content in the layers below the layer hides. */
  opaqueDirs: string[]
  /** Compressed over uncompressed bytes: compressed estimates of the layer's files. */
  compressionRatio: number
  /** The package databases the layer writes (`var/lib/dpkg/status`, `lib/apk/db/installed`), by path. */
  packageDatabases: Record<string, string>
  /** The Python and conda packages whose metadata the layer writes, by path; null where it cannot be read. */
  languagePackages: Record<string, LanguagePackage | null>
  /** The wheels' INSTALLER files the layer writes (`pip`, `uv`, `conda`), by path. */
  installers: Record<string, string>
}
