#!/usr/bin/env bash
# A local apt repository for the tests that install a real compiler in a build, whose builds have no network: gcc and
# libc6-dev with their whole dependency closure (no recommends) for Debian bookworm amd64, the suite of
# debian:bookworm-slim (scripts/debian-rootfs.sh), as .deb files beside a flat Packages index.
#   bash scripts/apt-repo.sh   builds it once (root on Debian, reaching deb.debian.org), then prints
#                              SLIMCHECK_APT_REPO=DIR (the directory of the .deb files and Packages)
# Each build is a directory of its own, $CACHE/apt-repo.<hash of what it is built from>, never changed once made;
# $CACHE/apt-repo is a symbolic link to the current one, switched by a rename, and DIR is where it points, so a later
# build never changes the files under a test that is reading them. The build before the current one is kept until the
# next build: a test still copying from it (readers take no lock) is not cut short.
# A build reads it from a copy in its context, e.g. bind-mounted at /srv/apt with
#   echo 'deb [trusted=yes] file:/srv/apt ./' >/etc/apt/sources.list.d/local.list
# It is built again when the package list, suite or architecture change, or when the Debian root filesystem (whose
# libc6 the repository's libc6-dev must match) was made after it. The packages are resolved and downloaded through a
# private apt directory (the suite's main component alone, as debootstrap fetches it, and an empty dpkg status, so the
# closure does not depend on what this machine has installed); the system's apt configuration is left alone.
# Elsewhere a repository built earlier is used as it is; without one it stops with a message.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=debian-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"
# shellcheck source-path=SCRIPTDIR source=private-apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"

log() { printf 'apt-repo: %s\n' "$*" >&2; }
die() { printf 'apt-repo: error: %s\n' "$*" >&2; exit 1; }

CACHE=${SLIMCHECK_APT_REPO_CACHE:-/var/cache/slimcheck}
REPO=$CACHE/apt-repo
SUITE=bookworm
ARCH=amd64
PACKAGES=(gcc libc6-dev)
KEY_FILE=.slimcheck-key

# The time limits, in seconds, of the steps a build waits on.
T_INSTALL=900 # apt-get install apt-utils: tried twice at most
T_UPDATE=300  # apt-get update: the system's (before the second try) and the private directory's
T_DEPENDS=120 # apt-cache depends
T_DOWNLOAD=900
T_INDEX=300
# A run that finds another building waits for it as long as that build can take: every limit, and a margin for the
# steps without one (moving and removing directories).
LOCK_WAIT=$((2 * T_INSTALL + 2 * T_UPDATE + T_DEPENDS + T_DOWNLOAD + T_INDEX + 120))

# What the repository is built from; a repository with another key is built again.
key() {
  local rootfs made=none
  rootfs=$(debian_rootfs_path "$SUITE")
  [ -s "$rootfs" ] && made=$(stat -c %Y "$rootfs")
  printf 'suite=%s arch=%s packages=%s rootfs=%s\n' "$SUITE" "$ARCH" "${PACKAGES[*]}" "$made"
}

# Whether DIR (the current repository by default) is whole, and whether it is built from today's inputs.
complete() { [ -s "${1:-$REPO}/Packages" ] && [ -f "${1:-$REPO}/$KEY_FILE" ]; }
current() { complete "${1:-}" && [ "$(key)" = "$(cat "${1:-$REPO}/$KEY_FILE")" ]; }

# The build's own directory, not the link: what it holds stays the same while a test reads it.
print_env() { printf 'SLIMCHECK_APT_REPO=%s\n' "$(readlink -f "$REPO")"; }

# The process id the holder of the lock FILE wrote in it.
holder() { local pid; pid=$(cat "$1" 2>/dev/null) || true; printf '%s' "${pid:-unknown}"; }

# Holds an exclusive lock on FILE on fd 9 for the rest of the script, and writes the holder's process id in it.
take_lock() {
  local lock=$1 status=0
  mkdir -p "$(dirname "$lock")"
  exec 9>>"$lock"
  if ! flock -n 9; then
    log "another run (process $(holder "$lock")) is building the repository; waiting for it, ${LOCK_WAIT}s at most"
    timeout "$LOCK_WAIT" flock 9 || status=$?
    if [ "$status" = 124 ]; then
      die "waited ${LOCK_WAIT}s for $lock, as long as a build can take (the sum of its time limits), and process" \
        "$(holder "$lock") still holds it: it is stuck; end it (find the holder with 'fuser -v $lock') and run again"
    fi
    [ "$status" = 0 ] || die "could not lock $lock (flock exited with $status)"
  fi
  printf '%s\n' "$$" >"$lock"
}

# The index maker: apt-ftparchive (apt-utils) or dpkg-scanpackages (dpkg-dev), apt-utils installed when neither is.
ensure_indexer() {
  if command -v apt-ftparchive >/dev/null 2>&1 || command -v dpkg-scanpackages >/dev/null 2>&1; then return 0; fi
  log "installing apt-utils with apt-get"
  local apt=(apt-get install -y -qq -o DPkg::Lock::Timeout=300 apt-utils)
  if ! DEBIAN_FRONTEND=noninteractive timeout "$T_INSTALL" "${apt[@]}" >/tmp/slimcheck-apt.log 2>&1; then
    timeout "$T_UPDATE" apt-get update -qq -o DPkg::Lock::Timeout=300 >>/tmp/slimcheck-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive timeout "$T_INSTALL" "${apt[@]}" >>/tmp/slimcheck-apt.log 2>&1 \
      || die "apt-get install apt-utils failed; see /tmp/slimcheck-apt.log"
  fi
}

write_index() {
  if command -v apt-ftparchive >/dev/null 2>&1; then
    (cd "$1" && timeout "$T_INDEX" apt-ftparchive packages .) >"$1/Packages" || die "apt-ftparchive packages failed"
  else
    (cd "$1" && timeout "$T_INDEX" dpkg-scanpackages --multiversion . /dev/null 2>/dev/null) >"$1/Packages" \
      || die "dpkg-scanpackages failed"
  fi
}

# Points $REPO at the build VERSION with a rename, then removes every other build but the one it pointed at before
# (kept until the next switch, for a test still copying from it) and what failed runs left behind.
switch_to() {
  local version=$1 previous='' item link
  if [ -L "$REPO" ]; then
    previous=$(readlink -f "$REPO")
  elif [ -d "$REPO" ]; then
    # The single directory of an earlier layout: moved aside once, kept like a previous build.
    previous=$CACHE/apt-repo.unversioned
    rm -rf "$previous"
    mv -T "$REPO" "$previous"
  fi
  link=$(mktemp -u "$CACHE/apt-repo.link.XXXXXX")
  ln -s "$(basename "$version")" "$link"
  mv -T "$link" "$REPO"
  for item in "$CACHE"/apt-repo.*; do
    case $item in "$CACHE/apt-repo.lock" | "$version" | "$previous") continue ;; esac
    rm -rf "$item"
  done
}

build() {
  local version work apt names count
  version=$CACHE/apt-repo.$(key | sha256sum | cut -c1-16)
  # Built from the same inputs before (the link since moved on): used again as it is.
  if current "$version"; then
    log "using $version, built before from the same inputs"
    switch_to "$version"
    return 0
  fi
  [ -s /usr/share/keyrings/debian-archive-keyring.gpg ] \
    || die "/usr/share/keyrings/debian-archive-keyring.gpg is missing (package debian-archive-keyring)"
  ensure_indexer
  work=$(mktemp -d "$CACHE/apt-repo.build.XXXXXX")
  # shellcheck disable=SC2064 # work is fixed now
  trap "rm -rf '$work'" EXIT
  apt=$work/apt
  mkdir -p "$work/repo"
  private_apt_dir "$apt" "$SUITE" "$ARCH"
  log "building the apt repository of ${PACKAGES[*]} ($SUITE $ARCH) with their dependencies in $version (once)"
  timeout "$T_UPDATE" apt-get "${APT_OPTS[@]}" update >"$work/update.log" 2>&1 \
    || { tail -n 5 "$work/update.log" >&2; die "apt-get update for $SUITE failed"; }
  # Every package name of the closure; virtual packages (<name>) have no file of their own.
  names=$(timeout "$T_DEPENDS" apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "${PACKAGES[@]}" | grep -E '^[a-z0-9]' | sort -u) \
    || die "apt-cache depends ${PACKAGES[*]} failed"
  # shellcheck disable=SC2086 # one name a word
  (cd "$work/repo" && timeout "$T_DOWNLOAD" apt-get "${APT_OPTS[@]}" download $names) >"$work/download.log" 2>&1 \
    || { tail -n 5 "$work/download.log" >&2; die "apt-get download of the closure of ${PACKAGES[*]} failed"; }
  write_index "$work/repo"
  count=$(grep -c '^Package: ' "$work/repo/Packages") || true
  [ "$count" = "$(wc -w <<<"$names")" ] || die "the index lists $count packages, not the $(wc -w <<<"$names") downloaded"
  key >"$work/repo/$KEY_FILE"
  chmod -R a+rX "$work/repo"
  rm -rf "$version" # an incomplete build of the same inputs, which no test can be using
  mv -T "$work/repo" "$version"
  switch_to "$version"
  log "$version holds $count packages ($(du -sh "$version" | cut -f1)); $REPO points at it"
}

[ $# = 0 ] || die "usage: $0 (no arguments)"
if current; then print_env; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  if complete; then
    log "$REPO was built from other inputs ($(cat "$REPO/$KEY_FILE")); using it as it is (only root on Debian rebuilds it)"
    print_env
    exit 0
  fi
  die "no apt repository in $REPO, and only root on Debian can build one (with apt-get from deb.debian.org); run 'sudo bash scripts/apt-repo.sh'"
fi
take_lock "$CACHE/apt-repo.lock"
current || build
print_env
