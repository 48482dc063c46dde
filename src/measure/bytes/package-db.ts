/** The installed packages a package database lists, with their installed sizes in bytes. */

export const DPKG_STATUS = 'var/lib/dpkg/status'
export const APK_INSTALLED = 'lib/apk/db/installed'
export const PACKAGE_DATABASES = [DPKG_STATUS, APK_INSTALLED]

/** A database larger than this is not read (a Debian image with thousands of packages has a few MiB). */
export const PACKAGE_DATABASE_LIMIT = 16 * 1024 * 1024

export interface PackageRecord {
  version: string
  /** Installed size in bytes, as the database states it. */
  bytes: number
}

export function installedPackages(path: string, text: string): Map<string, PackageRecord> {
  return path === DPKG_STATUS ? dpkgPackages(text) : apkPackages(text)
}

/** dpkg's status: stanzas of `Field: value`; `Installed-Size` is in KiB; removed packages keep a stanza. */
function dpkgPackages(text: string): Map<string, PackageRecord> {
  const packages = new Map<string, PackageRecord>()
  for (const stanza of text.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1]
    const installed = /^Status:.*\sinstalled\s*$/m.test(stanza)
    if (!name || !installed) continue
    packages.set(name, {
      version: /^Version:\s*(\S+)/m.exec(stanza)?.[1] ?? '',
      bytes: Number(/^Installed-Size:\s*(\d+)/m.exec(stanza)?.[1] ?? 0) * 1024
    })
  }
  return packages
}

/** apk's installed database: blocks of `X:value` lines; `P` the name, `V` the version, `I` the installed bytes. */
function apkPackages(text: string): Map<string, PackageRecord> {
  const packages = new Map<string, PackageRecord>()
  for (const block of text.split(/\n\s*\n/)) {
    const name = /^P:(\S+)/m.exec(block)?.[1]
    if (name)
      packages.set(name, {
        version: /^V:(\S+)/m.exec(block)?.[1] ?? '',
        bytes: Number(/^I:(\d+)/m.exec(block)?.[1] ?? 0)
      })
  }
  return packages
}
