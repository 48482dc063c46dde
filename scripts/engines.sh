#!/usr/bin/env bash
# Runs extra Docker engines side by side with the system one, so tests can run against several engine versions.
#   bash scripts/engines.sh start NAME   starts NAME if needed, then prints DOCKER_HOST=unix:///run/slimcheck/NAME.sock
#   bash scripts/engines.sh stop NAME
#   bash scripts/engines.sh list         the known names
#   bash scripts/engines.sh nat NAME     lets NAME's builds reach the network through the host (NAT for its bridge),
#                                        for benchmarks of the bundled examples, which fetch Debian packages; 'stop
#                                        NAME' removes the rules (IPv4 forwarding, which 'nat' turns on, stays on)
#   bash scripts/engines.sh buildx       prints a DOCKER_CONFIG whose CLI has Debian's buildx plugin (for benchmarks
#                                        against a plain `docker build`, which needs it for BuildKit)
# Usage in a test script: export "$(bash scripts/engines.sh start docker28-containerd)"
#
# Packages come from Debian's unstable / trixie suites through a private apt directory (the system's apt
# configuration is left alone), are unpacked with dpkg-deb under $SLIMCHECK_ENGINES_CACHE and kept there.
# Each engine has its own socket, data root, exec root, pidfile, managed containerd and bridge; runc is the
# system's /usr/sbin/runc (unstable's needs a newer glibc than Debian 12's). The engine at /var/run/docker.sock
# and /var/lib/docker is never touched. The engines' own iptables and ip6tables are off: the tests need no NAT or
# published ports, and only 'nat' adds rules (three, for the engine's bridge alone).
# Every engine's Docker Hub mirror is the registry scripts/registries.sh runs on 127.0.0.1:5100 (start it first; while
# it is down, pulls go to Docker Hub). 'start' restarts an engine that runs with an older daemon configuration.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=busybox-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/busybox-rootfs.sh"
# shellcheck source-path=SCRIPTDIR source=processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"
# shellcheck source-path=SCRIPTDIR source=private-apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"

log() { printf 'engines: %s\n' "$*" >&2; }
die() { printf 'engines: error: %s\n' "$*" >&2; exit 1; }

CACHE=${SLIMCHECK_ENGINES_CACHE:-/var/cache/slimcheck/engines}
DATA=${SLIMCHECK_ENGINES_DATA:-/var/lib/slimcheck/engines}
LOGS=${SLIMCHECK_ENGINES_LOGS:-/tmp}
RUN=/run/slimcheck
START_TIMEOUT=${SLIMCHECK_ENGINE_START_TIMEOUT:-60}
STOP_TIMEOUT=30
DOCKER=${DOCKER_CLI:-docker}
BASE_IMAGE=slimcheck/busybox:test
NAMES=(docker28-classic docker28-containerd docker26-containerd)
MIRROR_URL=http://127.0.0.1:5100
unset DOCKER_CONTEXT # -H below must win

# The engine NAME: its package bundle, image store and bridge. Packages are SUITE:PACKAGE:VERSION-PREFIX;
# a suite that moved past the prefix stops the download with a message instead of silently testing another engine.
engine_spec() {
  NAME=$1
  case $NAME in
    docker28-classic | docker28-containerd)
      BUNDLE=docker28
      PACKAGES=(unstable:docker.io:28.5. unstable:containerd:2.1. unstable:tini-static:0.19.)
      ;;
    docker26-containerd)
      # trixie's docker-init points at tini-static, which only unstable ships.
      BUNDLE=docker26
      PACKAGES=(trixie:docker.io:26.1. trixie:containerd:1.7. unstable:tini-static:0.19.)
      ;;
    *) die "unknown engine '$NAME'; known: ${NAMES[*]}" ;;
  esac
  case $NAME in
    docker28-classic) STORE=classic BRIDGE=sc-d28c BRIDGE_ADDR=10.213.28.1/24 ;;
    docker28-containerd) STORE=containerd BRIDGE=sc-d28ctr BRIDGE_ADDR=10.213.29.1/24 ;;
    docker26-containerd) STORE=containerd BRIDGE=sc-d26ctr BRIDGE_ADDR=10.213.26.1/24 ;;
  esac
  ROOT=$CACHE/$BUNDLE/root
  BINARIES=("usr/sbin/dockerd --version" "usr/bin/containerd --version")
  SOCK=$RUN/$NAME.sock
  HOST=unix://$SOCK
  PIDFILE=$RUN/$NAME.pid
  EXEC_ROOT=$RUN/$NAME
  DATA_ROOT=$DATA/$NAME
  CONFIG=$RUN/$NAME.json
  LOG=$LOGS/slimcheck-$NAME.log
}

need_root() { [ "$(id -u)" = 0 ] || die "'engines.sh $1' needs root"; }

answers() { timeout 10 "$DOCKER" -H "$HOST" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

show_log_tail() {
  [ -s "$LOG" ] || return 0
  printf 'engines: last lines of %s:\n' "$LOG" >&2
  tail -n 25 "$LOG" >&2
}

fail() { show_log_tail; die "$*"; }

# Holds an exclusive lock on FILE on fd 9 for the rest of the script; the daemons must not inherit it (9>&-).
take_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  timeout 600 flock 9 || die "timed out waiting for the lock $1"
}

apt_update() {
  local suite=$1 dir=$CACHE/apt/$1
  private_apt_dir "$dir" "$suite"
  timeout 300 apt-get "${APT_OPTS[@]}" update >"$dir/update.log" 2>&1 \
    || { tail -n 5 "$dir/update.log" >&2; die "apt-get update for $suite failed; see $dir/update.log"; }
}

# Downloads and unpacks the bundle's packages once and checks that each of BINARIES runs; $ROOT/.complete lists what is in it.
ensure_bundle() {
  [ -f "$ROOT/.complete" ] && return 0
  take_lock "$CACHE/fetch.lock" # one fetch at a time: bundles share the apt directories
  [ -f "$ROOT/.complete" ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get is needed to fetch the $BUNDLE packages"
  [ -s /usr/share/keyrings/debian-archive-keyring.gpg ] || die "/usr/share/keyrings/debian-archive-keyring.gpg is missing (package debian-archive-keyring)"
  log "fetching the $BUNDLE packages: ${PACKAGES[*]}"
  local debs=$CACHE/$BUNDLE/debs tmp=$CACHE/$BUNDLE/root.tmp entry suite pkg prefix deb version found updated=" "
  rm -rf "$debs" "$tmp"
  mkdir -p "$debs" "$tmp"
  for entry in "${PACKAGES[@]}"; do
    IFS=: read -r suite pkg prefix <<<"$entry"
    case $updated in *" $suite "*) ;; *) apt_update "$suite"; updated+="$suite " ;; esac
    private_apt_opts "$CACHE/apt/$suite"
    (cd "$debs" && timeout 600 apt-get "${APT_OPTS[@]}" download "$pkg") >"$debs/download.log" 2>&1 \
      || { tail -n 5 "$debs/download.log" >&2; die "apt-get download $pkg from $suite failed"; }
    found=("$debs/${pkg}_"*.deb)
    deb=${found[0]}
    version=$(dpkg-deb -f "$deb" Version)
    case $version in
      "$prefix"*) ;;
      *) die "$suite now has $pkg $version, not $prefix*; update PACKAGES for $NAME in scripts/engines.sh" ;;
    esac
    dpkg-deb -x "$deb" "$tmp"
    printf '%s %s %s\n' "$suite" "$pkg" "$version" >>"$tmp/.complete.tmp"
  done
  local check
  for check in "${BINARIES[@]}"; do # "PATH ARGUMENT": a command that must run
    "$tmp/${check%% *}" "${check#* }" >/dev/null 2>&1 || die "the unpacked ${check%% *} does not run on this system (glibc too old?)"
  done
  mv "$tmp/.complete.tmp" "$tmp/.complete"
  rm -rf "$ROOT" "$debs" "$CACHE/apt" # the lists are 40 MB; a later fetch refreshes them anyway
  mv "$tmp" "$ROOT"
  log "unpacked $BUNDLE into $ROOT: $(tr '\n' ';' <"$ROOT/.complete")"
}

# A bridge of the engine's own: a second engine can't share docker0, and with --bridge=none BuildKit's
# RUN steps fail with "network bridge not found" (only RUN --network=none works there).
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add name "$BRIDGE" type bridge || die "could not create the bridge $BRIDGE"
  fi
  if ! ip -4 addr show dev "$BRIDGE" | grep -qF "inet $BRIDGE_ADDR "; then
    ip addr add "$BRIDGE_ADDR" dev "$BRIDGE" || die "could not give $BRIDGE the address $BRIDGE_ADDR"
  fi
  ip link set "$BRIDGE" up
}

# The engine's daemon configuration: its image store and the registry mirror.
daemon_config() {
  local snapshotter=false
  [ "$STORE" = containerd ] && snapshotter=true
  printf '{"features":{"containerd-snapshotter":%s},"registry-mirrors":["%s"]}\n' "$snapshotter" "$MIRROR_URL"
}

config_current() { [ "$(daemon_config)" = "$(cat "$CONFIG" 2>/dev/null)" ]; }

launch_daemon() {
  mkdir -p "$RUN" "$EXEC_ROOT" "$DATA_ROOT" "$(dirname "$LOG")"
  daemon_config >"$CONFIG"
  log "starting $NAME (log: $LOG)"
  printf '\n=== %s engines.sh start %s\n' "$(date -u +%FT%TZ)" "$NAME" >>"$LOG"
  # PATH: the bundle's containerd, shim, docker-init and docker-proxy first, then the system's runc. TMPDIR: the
  # engine outlives the caller, so it must not keep a caller's temporary directory (the tests remove theirs), where
  # BuildKit writes layer diffs while exporting.
  TMPDIR=/tmp PATH=$ROOT/usr/bin:$ROOT/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin nohup "$ROOT/usr/sbin/dockerd" \
    --host "$HOST" --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
    --config-file "$CONFIG" --bridge "$BRIDGE" --iptables=false --ip6tables=false \
    </dev/null >>"$LOG" 2>&1 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    kill -0 "$pid" 2>/dev/null || fail "$NAME's dockerd exited during start"
    [ "$SECONDS" -lt "$deadline" ] || fail "$NAME did not answer on $SOCK within $START_TIMEOUT s (dockerd pid $pid is left running; 'stop $NAME' ends it)"
    sleep 0.5
  done
  # dockerd finds containerd through PATH, so a broken bundle would silently fall back to /usr/bin/containerd.
  local want got
  want=$("$ROOT/usr/bin/containerd" --version 2>/dev/null | awk '{print $3}') || want=missing
  got=$(timeout 10 "$DOCKER" -H "$HOST" version --format '{{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}')
  if [ "$got" != "$want" ]; then
    end_process "$pid" "$NAME's dockerd"
    fail "$NAME came up with containerd '$got', not the bundle's '$want'; check $ROOT/usr/bin (stopped it)"
  fi
}

# slimcheck/busybox:test as scripts/busybox-rootfs.sh defines it, from the root filesystem every engine imports.
ensure_base_image() {
  timeout 30 "$DOCKER" -H "$HOST" image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  if [ ! -s "$BUSYBOX_ROOTFS" ] && [ ! -x /bin/busybox ]; then
    log "installing busybox-static with apt-get"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq busybox-static >/tmp/slimcheck-apt.log 2>&1 \
      || die "apt-get install busybox-static failed; see /tmp/slimcheck-apt.log"
  fi
  busybox_rootfs || die "could not write the busybox root filesystem $BUSYBOX_ROOTFS"
  busybox_import "$BASE_IMAGE" timeout 120 "$DOCKER" -H "$HOST" >/dev/null \
    || fail "importing $BASE_IMAGE into $NAME failed"
  log "imported $BASE_IMAGE into $NAME"
}

cmd_start() {
  engine_spec "$1"
  command -v "$DOCKER" >/dev/null 2>&1 || die "the docker CLI is missing (it talks to every engine here)"
  if answers && ! config_current && [ "$(id -u)" != 0 ]; then
    log "$NAME runs with an older daemon configuration than $CONFIG's; 'start $NAME' as root restarts it"
  elif ! answers || ! config_current; then
    need_root "$CMD"
    [ -x /usr/sbin/runc ] || die "/usr/sbin/runc is missing; install Debian 12's runc (apt-get install runc)"
    ensure_bundle
    take_lock "$RUN/$NAME.lock"
    if answers && ! config_current; then
      log "restarting $NAME: it runs with an older daemon configuration"
      stop_daemon
    fi
    if ! answers; then
      local pid
      if pid=$(live_pid "$PIDFILE" "$SOCK"); then
        fail "$NAME's dockerd (pid $pid) runs but does not answer on $SOCK; run 'stop $NAME' and start again"
      fi
      ensure_bridge
      launch_daemon
    fi
  fi
  ensure_base_image
  printf 'DOCKER_HOST=%s\n' "$HOST"
}

# Ends the engine's dockerd (and a containerd a killed dockerd left); the caller holds the engine's lock.
stop_daemon() {
  local pid
  if pid=$(live_pid "$PIDFILE" "$SOCK"); then
    log "stopping $NAME (dockerd pid $pid)"
    end_process "$pid" "$NAME's dockerd"
  else
    log "$NAME is not running"
  fi
  # dockerd stops its containerd itself; one left by a killed dockerd is ended here.
  if pid=$(live_pid "$EXEC_ROOT/containerd/containerd.pid" "$EXEC_ROOT/containerd"); then
    end_process "$pid" "$NAME's containerd"
  fi
  rm -f "$PIDFILE" "$SOCK"
}

cmd_stop() {
  engine_spec "$1"
  need_root "$CMD"
  take_lock "$RUN/$NAME.lock"
  stop_daemon
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link del "$BRIDGE" || log "could not remove the bridge $BRIDGE"
  fi
  nat_undo
}

# The rules that let the bridge's containers reach the network: masquerading out of the host, forwarding both ways.
nat_rules() {
  printf '%s\n' \
    "-t nat POSTROUTING -s $BRIDGE_ADDR ! -o $BRIDGE -j MASQUERADE" \
    "-t filter FORWARD -i $BRIDGE ! -o $BRIDGE -j ACCEPT" \
    "-t filter FORWARD -o $BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
}

cmd_nat() {
  engine_spec "$1"
  need_root "$CMD"
  command -v iptables >/dev/null 2>&1 || die "iptables is missing (apt-get install iptables)"
  answers || die "$NAME is not running; start it first"
  take_lock "$RUN/$NAME.lock"
  sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || die "could not turn on IPv4 forwarding"
  local rule table chain spec
  while read -r rule; do
    read -r _ table chain spec <<<"$rule"
    # shellcheck disable=SC2086 # the rule's words are meant to split
    iptables -w 10 -t "$table" -C "$chain" $spec 2>/dev/null || iptables -w 10 -t "$table" -I "$chain" $spec \
      || die "could not add the rule '$rule'"
  done < <(nat_rules)
  log "$NAME's builds reach the network through the host ($BRIDGE_ADDR)"
}

nat_undo() {
  command -v iptables >/dev/null 2>&1 || return 0
  local rule table chain spec
  while read -r rule; do
    read -r _ table chain spec <<<"$rule"
    # shellcheck disable=SC2086 # the rule's words are meant to split
    while iptables -w 10 -t "$table" -D "$chain" $spec 2>/dev/null; do :; done
  done < <(nat_rules)
}

# Debian unstable's docker-buildx, unpacked like the engines, as a CLI plugin in a DOCKER_CONFIG of its own.
cmd_buildx() {
  NAME=buildx
  BUNDLE=buildx
  PACKAGES=(unstable:docker-buildx:0.)
  ROOT=$CACHE/$BUNDLE/root
  BINARIES=("usr/libexec/docker/cli-plugins/docker-buildx docker-cli-plugin-metadata")
  local config=$CACHE/buildx/config plugin
  if [ ! -x "$config/cli-plugins/docker-buildx" ]; then
    need_root "$CMD"
    ensure_bundle
    plugin=$ROOT/usr/libexec/docker/cli-plugins/docker-buildx
    mkdir -p "$config/cli-plugins"
    ln -sf "$plugin" "$config/cli-plugins/docker-buildx"
  fi
  printf 'DOCKER_CONFIG=%s\n' "$config"
}

# The command as given, for messages.
CMD=$*
case ${1:-} in
  start | stop | nat)
    [ $# = 2 ] || die "usage: $0 $1 NAME (one of: ${NAMES[*]})"
    "cmd_$1" "$2"
    ;;
  list) printf '%s\n' "${NAMES[@]}" ;;
  buildx) cmd_buildx ;;
  *) die "usage: $0 start NAME | stop NAME | nat NAME | list | buildx (names: ${NAMES[*]})" ;;
esac
