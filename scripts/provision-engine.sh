#!/usr/bin/env bash
# Makes a Docker engine and the base images slimcheck's examples and tests use available.
#   1. an engine that already answers (DOCKER_HOST, else the default socket) is used as it is;
#   2. else, as root on Debian/Ubuntu, docker.io is installed if needed and dockerd started;
#   3. else it stops with a message saying what is missing.
# Base images are pulled; when no registry answers they are built locally
# (debian:bookworm-slim with debootstrap, slimcheck/busybox:test from busybox-static).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=busybox-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/busybox-rootfs.sh"

log() { printf 'provision: %s\n' "$*" >&2; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

DOCKERD_LOG=${SLIMCHECK_DOCKERD_LOG:-/tmp/slimcheck-dockerd.log}
ROOTFS_CACHE=${SLIMCHECK_ROOTFS_CACHE:-/var/cache/slimcheck}

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker_cli() {
  command -v docker >/dev/null 2>&1 && return 0
  install_debian_packages docker.io
}

install_debian_packages() {
  [ "$(id -u)" = 0 ] || die "need the Debian packages '$*' but not running as root; install them, or start a Docker engine and set DOCKER_HOST"
  command -v apt-get >/dev/null 2>&1 || die "need '$*' but apt-get is not available; start a Docker engine and set DOCKER_HOST"
  log "installing $* with apt-get"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/tmp/slimcheck-apt.log 2>&1; then
    apt-get update -qq >>/tmp/slimcheck-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>/tmp/slimcheck-apt.log 2>&1 \
      || die "apt-get install $* failed; see /tmp/slimcheck-apt.log"
  fi
}

start_engine() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST is set but no Docker engine answers there; start it or unset DOCKER_HOST"
  fi
  [ "$(id -u)" = 0 ] || die "no Docker engine answers on the default socket and this user cannot start one; start dockerd (or Docker Desktop) or set DOCKER_HOST"
  command -v dockerd >/dev/null 2>&1 || install_debian_packages docker.io
  command -v dockerd >/dev/null 2>&1 || die "dockerd is still missing after installing docker.io"
  log "starting dockerd (log: $DOCKERD_LOG)"
  TMPDIR=/tmp nohup dockerd >"$DOCKERD_LOG" 2>&1 & # it outlives the caller, whose TMPDIR may go
  for _ in $(seq 1 60); do
    engine_answers && return 0
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

try_pull() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

build_debian_slim() {
  local tag=$1 suite=$2
  command -v debootstrap >/dev/null 2>&1 || install_debian_packages debootstrap
  local tarball="$ROOTFS_CACHE/$suite-minbase.tar"
  if [ ! -s "$tarball" ]; then
    local root
    root=$(mktemp -d /tmp/slimcheck-rootfs.XXXXXX)
    log "building $tag locally with debootstrap --variant=minbase $suite (no registry answered)"
    debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >/tmp/slimcheck-debootstrap.log 2>&1 \
      || die "debootstrap $suite failed; see /tmp/slimcheck-debootstrap.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    mkdir -p "$ROOTFS_CACHE"
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  docker import -c 'CMD ["bash"]' "$tarball" "$tag" >/dev/null
}

# The image as scripts/busybox-rootfs.sh defines it, from the root filesystem every engine imports.
build_busybox() {
  local tag=$1
  [ -s "$BUSYBOX_ROOTFS" ] || [ -x /bin/busybox ] || install_debian_packages busybox-static
  busybox_rootfs || die "could not write the busybox root filesystem $BUSYBOX_ROOTFS"
  busybox_import "$tag" docker >/dev/null
}

ensure_image() {
  local tag=$1 builder=$2; shift 2
  image_present "$tag" && return 0
  if try_pull "$tag"; then log "pulled $tag"; return 0; fi
  "$builder" "$tag" "$@"
  log "built $tag locally"
}

ensure_docker_cli
if engine_answers; then
  log "using the Docker engine at ${DOCKER_HOST:-the default socket}"
else
  start_engine
fi
ensure_image debian:bookworm-slim build_debian_slim bookworm
ensure_image slimcheck/busybox:test build_busybox
log "ready: engine $(docker version --format '{{.Server.Version}}'), base images debian:bookworm-slim slimcheck/busybox:test"
