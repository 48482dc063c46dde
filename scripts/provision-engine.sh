#!/usr/bin/env bash
# Makes a Docker engine and the base images slimcheck's examples and tests use available.
#   1. an engine that already answers (DOCKER_HOST, else the default socket) is used as it is;
#   2. else, as root on Debian/Ubuntu, docker.io is installed if needed and dockerd started, with the registry
#      mirror of scripts/registries.sh (127.0.0.1:5100) as its Docker Hub mirror; a dockerd this script started
#      earlier without it is restarted with it when the mirror answers and no container runs;
#   3. else it stops with a message saying what is missing.
# Base images are pulled (for the dockerd started here: through the mirror, when scripts/registries.sh started it
# first); when no registry answers they are built locally (debian:bookworm-slim with debootstrap,
# slimcheck/busybox:test from busybox-static).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=busybox-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/busybox-rootfs.sh"
# shellcheck source-path=SCRIPTDIR source=debian-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"

log() { printf 'provision: %s\n' "$*" >&2; }
die() { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

DOCKERD_LOG=${SLIMCHECK_DOCKERD_LOG:-/tmp/slimcheck-dockerd.log}
MIRROR_URL=http://127.0.0.1:5100
DOCKERD_PIDFILE=/var/run/docker.pid
STOP_TIMEOUT=30

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker_cli() {
  command -v docker >/dev/null 2>&1 && return 0
  install_debian_packages docker.io
}

install_debian_packages() {
  [ "$(id -u)" = 0 ] || die "need the Debian packages '$*' but not running as root; install them, or start a Docker engine and set DOCKER_HOST"
  command -v apt-get >/dev/null 2>&1 || die "need '$*' but apt-get is not available; start a Docker engine and set DOCKER_HOST"
  log "installing $* with apt-get"
  # DPkg::Lock::Timeout: another apt-get (another provisioning script) may hold the lock for a while.
  local apt=(apt-get install -y -qq -o DPkg::Lock::Timeout=300)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" "$@" >/tmp/slimcheck-apt.log 2>&1; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 >>/tmp/slimcheck-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" "$@" >>/tmp/slimcheck-apt.log 2>&1 \
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
  log "starting dockerd with the registry mirror $MIRROR_URL (log: $DOCKERD_LOG)"
  # It outlives the caller, whose TMPDIR may go. The mirror is harmless while it is down: pulls then go to Docker Hub.
  TMPDIR=/tmp nohup dockerd --registry-mirror "$MIRROR_URL" >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && return 0
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
}

mirror_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$MIRROR_URL/v2/" 2>/dev/null)" = 200 ]; }

engine_has_mirror() {
  timeout 10 docker info --format '{{range .RegistryConfig.Mirrors}}{{.}} {{end}}' 2>/dev/null | grep -qF "$MIRROR_URL"
}

# The pid of the default engine's dockerd if this script started it: run as `dockerd` alone (an older version of this
# script) or as start_engine runs it. A dockerd started any other way (systemd, the user) is never restarted.
own_dockerd_pid() {
  local pid
  pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null) || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  case $(tr '\0' ' ' <"/proc/$pid/cmdline") in
    "dockerd " | "dockerd --registry-mirror $MIRROR_URL ") printf '%s\n' "$pid" ;;
    *) return 1 ;;
  esac
}

# A dockerd this script started before the registry mirror existed is restarted with it, unless containers run there.
restart_without_mirror() {
  [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ] || return 0
  engine_has_mirror && return 0
  mirror_answers || return 0
  local pid deadline=$((SECONDS + STOP_TIMEOUT))
  pid=$(own_dockerd_pid) || return 0
  if [ -n "$(timeout 10 docker ps -q 2>/dev/null)" ]; then
    log "dockerd (pid $pid) runs without the registry mirror $MIRROR_URL but has running containers, so it is left as it is"
    return 0
  fi
  log "restarting dockerd (pid $pid) with the registry mirror $MIRROR_URL"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "dockerd (pid $pid) did not stop within $STOP_TIMEOUT s"
    sleep 0.5
  done
  start_engine
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

try_pull() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

# The root filesystem scripts/registries.sh pushes to the mirror, imported (scripts/debian-rootfs.sh).
build_debian_slim() {
  local tag=$1 suite=$2 tarball
  tarball=$(debian_rootfs_path "$suite")
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || install_debian_packages debootstrap
    log "building $tag locally with debootstrap --variant=minbase $suite (no registry answered)"
    debian_rootfs "$suite" || die "debootstrap $suite failed; see /tmp/slimcheck-debootstrap.log"
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
  restart_without_mirror
else
  start_engine
fi
ensure_image debian:bookworm-slim build_debian_slim bookworm
ensure_image slimcheck/busybox:test build_busybox
log "ready: engine $(docker version --format '{{.Server.Version}}'), base images debian:bookworm-slim slimcheck/busybox:test"
