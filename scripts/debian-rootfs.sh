# shellcheck shell=bash
# The Debian base slimcheck's examples and tests use when Docker Hub is out of reach: `debootstrap --variant=minbase`
# of a suite, written once to a tarball that scripts/provision-engine.sh imports as debian:<suite>-slim and
# scripts/registries.sh pushes to the mirror as library/debian:<suite>-slim.
# Sourced; the caller installs debootstrap (a Debian package) before debian_rootfs needs it.

DEBIAN_ROOTFS_CACHE=${SLIMCHECK_ROOTFS_CACHE:-/var/cache/slimcheck}

# The tarball of SUITE's root filesystem.
debian_rootfs_path() { printf '%s/%s-minbase.tar\n' "$DEBIAN_ROOTFS_CACHE" "$1"; }

# Writes the tarball of SUITE unless it is there already (needs root and deb.debian.org); the log of a failed
# debootstrap stays in /tmp/slimcheck-debootstrap.log.
debian_rootfs() {
  local suite=$1 tarball root
  tarball=$(debian_rootfs_path "$suite")
  [ -s "$tarball" ] && return 0
  mkdir -p "$DEBIAN_ROOTFS_CACHE" || return 1
  root=$(mktemp -d /tmp/slimcheck-rootfs.XXXXXX) || return 1
  if ! timeout 1200 debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian \
    >/tmp/slimcheck-debootstrap.log 2>&1; then
    rm -rf "$root"
    return 1
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  # Written beside the cache and renamed into it: a second script writing at the same time never sees half a tarball.
  if ! tar -C "$root" -cf "$tarball.$$.tmp" . || ! mv "$tarball.$$.tmp" "$tarball"; then
    rm -rf "$root" "$tarball.$$.tmp"
    return 1
  fi
  rm -rf "$root"
}
