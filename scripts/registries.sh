#!/usr/bin/env bash
# Runs two real registries (Debian's docker-registry, the Distribution registry 2.8) on loopback, for the tests and the
# demo: pulls through a Docker Hub mirror, multi-platform indexes and a registry that wants a login.
#   mirror   127.0.0.1:5100, no auth. Every engine the scripts start uses it as its Docker Hub mirror
#            ("registry-mirrors"). It holds library/debian:bookworm-slim as a two-platform index (linux/amd64: the
#            debootstrap image of scripts/debian-rootfs.sh; linux/arm64: a stub), multi/base:1 (index: the busybox test
#            image for amd64, a stub for arm64) and labelled stand-ins for the bases of examples/Dockerfile.conda:
#            library/python:3.12 (the Debian image) and continuumio/miniconda3:24.7.1-0 (Debian with a shell-script
#            conda that knows `create`, `clean` and `run`).
#   private  127.0.0.1:5101, htpasswd (bcrypt) auth for the user slimcheck; holds private/base:1 (the same index as
#            multi/base:1). The password is made at the first start and kept in a root-only file; no script prints it.
#   bash scripts/registries.sh start   starts both if needed (again when their configuration changed), pushes what
#                                      they lack, then prints the variables below, one NAME=VALUE a line
#   bash scripts/registries.sh stop
#   bash scripts/registries.sh env     prints the variables when both answer
# Usage in a test script: while read -r line; do export "$line"; done <<<"$(bash scripts/registries.sh start)"
#
# Images are pushed with curl through the registry API (no engine needed, so the registries can start before the
# engines that use them); the indexes are made by `docker buildx imagetools create` (Debian's docker-buildx:
# /usr/libexec/docker/cli-plugins, else the copy `scripts/engines.sh buildx` unpacks). Root on Debian installs
# docker-registry, apache2-utils, curl, debootstrap and busybox-static with apt-get when they are missing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=busybox-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/busybox-rootfs.sh"
# shellcheck source-path=SCRIPTDIR source=processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"
# shellcheck source-path=SCRIPTDIR source=debian-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-rootfs.sh"
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'registries: %s\n' "$*" >&2; }
die() { printf 'registries: error: %s\n' "$*" >&2; exit 1; }

DATA=${SLIMCHECK_REGISTRIES_DATA:-/var/lib/slimcheck/registries}
LOGS=${SLIMCHECK_REGISTRIES_LOGS:-/tmp}
RUN=/run/slimcheck
START_TIMEOUT=30
STOP_TIMEOUT=15
MIRROR=127.0.0.1:5100
PRIVATE=127.0.0.1:5101
PRIVATE_USER=slimcheck
PASSWORD_FILE=$DATA/private.password
PRIVATE_BASE=$PRIVATE/private/base:1
INDEX_BASE=$MIRROR/multi/base:1
# Raised when what is pushed changes: a registry seeded by an older version is seeded again.
SEED_VERSION=1
# The images' creation time, fixed (like their layers' file times) so that a registry seeded again holds the same digests.
CREATED=2024-08-01T00:00:00Z
DESCRIPTION=org.opencontainers.image.description
BINARY=/usr/bin/docker-registry
ACCEPT='application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
NAMES=(mirror private)

# The registry NAME: address, files and configuration.
registry_spec() {
  NAME=$1
  case $NAME in
    mirror) ADDR=$MIRROR ;;
    private) ADDR=$PRIVATE ;;
    *) die "unknown registry '$NAME'" ;;
  esac
  URL=http://$ADDR
  DIR=$DATA/$NAME
  CONFIG=$DIR/config.yml
  HTPASSWD=$DIR/htpasswd
  PIDFILE=$RUN/registry-$NAME.pid
  LOG=$LOGS/slimcheck-registry-$NAME.log
  STAMP=$DIR/seeded
}

need_root() { [ "$(id -u)" = 0 ] || die "'registries.sh $1' needs root (the registries, their packages and $DATA are root's)"; }

# Holds an exclusive lock on FILE on fd 9 for the rest of the script; the registries must not inherit it (9>&-).
take_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  timeout 600 flock 9 || die "timed out waiting for the lock $1"
}

install_packages() {
  local missing=() entry
  for entry in "$@"; do # COMMAND:PACKAGE
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
  done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing ${missing[*]}: install these Debian packages (root on Debian installs them itself)"
  fi
  log "installing ${missing[*]} with apt-get"
  # DPkg::Lock::Timeout: another apt-get (another provisioning script) may hold the lock for a while.
  local apt=(apt-get install -y -qq -o DPkg::Lock::Timeout=300)
  if ! DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" "${missing[@]}" >/tmp/slimcheck-apt.log 2>&1; then
    timeout 300 apt-get update -qq -o DPkg::Lock::Timeout=300 >>/tmp/slimcheck-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" "${missing[@]}" >>/tmp/slimcheck-apt.log 2>&1 \
      || die "apt-get install ${missing[*]} failed; see /tmp/slimcheck-apt.log"
  fi
}

# The HTTP status of GET /v2/ (200 for the mirror, 401 for the private registry), 000 when nothing answers.
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/v2/" || true; }

answers() {
  case $NAME:$(status_of) in mirror:200 | private:401) return 0 ;; *) return 1 ;; esac
}

# The configuration the registry NAME runs with: loopback only, its own storage, bcrypt htpasswd for the private one.
render_config() {
  cat <<EOF
# Written by scripts/registries.sh start; changes here are overwritten (and the registry restarted).
version: 0.1
log:
  level: info
  fields:
    service: slimcheck-registry-$NAME
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  if [ "$NAME" = private ]; then
    cat <<EOF
auth:
  htpasswd:
    realm: slimcheck-private
    path: $HTPASSWD
EOF
  fi
}

# The private registry's password (made once, never printed: it only ever flows through files and pipes) and its
# bcrypt htpasswd entry.
ensure_password() {
  mkdir -p "$DATA"
  if [ ! -s "$PASSWORD_FILE" ]; then
    (umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 32 >"$PASSWORD_FILE.tmp")
    mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
    rm -f "$DATA/private/htpasswd"
    log "made a password for $PRIVATE_USER on $PRIVATE in $PASSWORD_FILE (root only)"
  fi
  chown root:root "$PASSWORD_FILE"
  chmod 600 "$PASSWORD_FILE"
}

ensure_htpasswd() {
  if [ -s "$HTPASSWD" ] && htpasswd -v -i "$HTPASSWD" "$PRIVATE_USER" <"$PASSWORD_FILE" >/dev/null 2>&1; then
    return 0
  fi
  (umask 077 && htpasswd -c -i -B "$HTPASSWD.tmp" "$PRIVATE_USER" <"$PASSWORD_FILE" >/dev/null 2>&1) \
    || die "htpasswd could not write $HTPASSWD"
  mv "$HTPASSWD.tmp" "$HTPASSWD"
  RESTART=true # the registry reads the file at start
}

launch() {
  mkdir -p "$RUN" "$DIR/storage" "$(dirname "$LOG")"
  log "starting the $NAME registry on $ADDR (log: $LOG)"
  printf '\n=== %s registries.sh start %s\n' "$(date -u +%FT%TZ)" "$NAME" >>"$LOG"
  nohup "$BINARY" serve "$CONFIG" </dev/null >>"$LOG" 2>&1 9>&- &
  local pid=$! deadline=$((SECONDS + START_TIMEOUT))
  echo "$pid" >"$PIDFILE"
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 15 "$LOG" >&2
      die "the $NAME registry exited during start (is $ADDR taken?)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 15 "$LOG" >&2
      die "the $NAME registry did not answer on $URL/v2/ within $START_TIMEOUT s (pid $pid is left running; 'stop' ends it)"
    fi
    sleep 0.2
  done
}

# Starts the registry NAME, or restarts it when its configuration or password changed.
start_registry() {
  registry_spec "$1"
  RESTART=false
  mkdir -p "$DIR"
  if [ "$NAME" = private ]; then ensure_htpasswd; fi
  if [ "$(render_config)" != "$(cat "$CONFIG" 2>/dev/null)" ]; then
    render_config >"$CONFIG"
    RESTART=true
  fi
  local pid
  if pid=$(live_pid "$PIDFILE" "$CONFIG"); then
    if ! $RESTART && answers; then return 0; fi
    log "restarting the $NAME registry (pid $pid): its configuration changed or it does not answer"
    end_process "$pid" "the $NAME registry"
  elif answers; then
    die "something else answers on $ADDR; stop it, or free the port"
  fi
  launch
}

# --- pushing, through the registry API ---

# curl for the registry being seeded (the private one through a config file that holds its login).
reg_curl() { curl -sS --max-time 600 "${CURL_AUTH[@]}" "$@"; }

has_manifest() { reg_curl -f -o /dev/null -I -H "Accept: $ACCEPT" "$URL/v2/$1/manifests/$2" 2>/dev/null; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# push_blob REPO FILE: uploads FILE as a blob of REPO unless REPO has it; prints its digest.
push_blob() {
  local repo=$1 file=$2 digest location separator
  digest=sha256:$(sha256_of "$file")
  if reg_curl -f -o /dev/null -I "$URL/v2/$repo/blobs/$digest" 2>/dev/null; then
    printf '%s\n' "$digest"
    return 0
  fi
  location=$(reg_curl -f -X POST -D - -o /dev/null "$URL/v2/$repo/blobs/uploads/" | tr -d '\r' \
    | sed -n 's/^[Ll]ocation: //p') || die "$NAME registry: could not start an upload to $repo"
  [ -n "$location" ] || die "$NAME registry: no upload location for $repo"
  case $location in http*) ;; *) location=$URL$location ;; esac
  case $location in *\?*) separator='&' ;; *) separator='?' ;; esac
  reg_curl -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --upload-file "$file" \
    "$location${separator}digest=$digest" || die "$NAME registry: uploading $(basename "$file") to $repo failed"
  printf '%s\n' "$digest"
}

# A layer made once per run in WORK: NAME.tar.gz (what is pushed) and NAME.diff (the uncompressed tar's digest).
make_layer() {
  local name=$1 tarball=$2
  [ -s "$WORK/$name.tar.gz" ] && return 0
  printf 'sha256:%s' "$(sha256_of "$tarball")" >"$WORK/$name.diff"
  if command -v pigz >/dev/null 2>&1; then
    pigz -n -6 -c "$tarball" >"$WORK/$name.tar.gz"
  else
    gzip -n -6 -c "$tarball" >"$WORK/$name.tar.gz"
  fi
}

# push_image REPO ARCH CONFIG LAYER...: pushes an image of the prepared LAYERs whose container configuration is the
# JSON object CONFIG; its manifest goes in by digest only (the indexes name it), which is printed.
push_image() {
  local repo=$1 arch=$2 body=$3 variant=''
  shift 3
  local created=$CREATED diffs='' history='' layers='' name digest size manifest config
  [ "$arch" = arm64 ] && variant=',"variant":"v8"'
  for name in "$@"; do
    digest=$(push_blob "$repo" "$WORK/$name.tar.gz")
    size=$(stat -c %s "$WORK/$name.tar.gz")
    diffs+="${diffs:+,}\"$(cat "$WORK/$name.diff")\""
    history+="${history:+,}{\"created\":\"$created\",\"created_by\":\"slimcheck scripts/registries.sh: layer $name\"}"
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":$size,\"digest\":\"$digest\"}"
  done
  config=$WORK/config-${repo//\//-}-$arch.json
  manifest=$WORK/manifest-${repo//\//-}-$arch.json
  printf '{"architecture":"%s"%s,"os":"linux","created":"%s","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "$arch" "$variant" "$created" "$body" "$diffs" "$history" >"$config"
  digest=$(push_blob "$repo" "$config")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[%s]}' \
    "$(stat -c %s "$config")" "$digest" "$layers" >"$manifest"
  digest=sha256:$(sha256_of "$manifest")
  reg_curl -f -o /dev/null -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
    --data-binary @"$manifest" "$URL/v2/$repo/manifests/$digest" || die "$NAME registry: pushing the $arch manifest of $repo failed"
  printf '%s\n' "$digest"
}

# push_tag REPO TAG DIGEST: tags a pushed manifest (a single-platform image).
push_tag() {
  local manifest=$WORK/tag.json
  reg_curl -f -o "$manifest" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$URL/v2/$1/manifests/$3" || die "$NAME registry: reading $1@$3 failed"
  reg_curl -f -o /dev/null -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
    --data-binary @"$manifest" "$URL/v2/$1/manifests/$2" || die "$NAME registry: tagging $1:$2 failed"
}

# push_index REPO TAG DIGEST...: the index of the pushed manifests, made by buildx from the registry's copies.
push_index() {
  local repo=$1 tag=$2 sources=() digest
  shift 2
  for digest in "$@"; do sources+=("$ADDR/$repo@$digest"); done
  DOCKER_CONFIG=$WORK/docker-config timeout 300 docker buildx imagetools create --tag "$ADDR/$repo:$tag" \
    "${sources[@]}" >"$WORK/imagetools.log" 2>&1 \
    || { tail -n 5 "$WORK/imagetools.log" >&2; die "docker buildx imagetools create $ADDR/$repo:$tag failed"; }
}

# A DOCKER_CONFIG of this run's own with the buildx plugin and, for the private registry, its login (written from
# the password file through a pipe, so the password is never on a command line; the directory goes with WORK).
docker_config() {
  local config=$WORK/docker-config plugin=/usr/libexec/docker/cli-plugins/docker-buildx
  mkdir -p "$config/cli-plugins"
  if [ ! -x "$plugin" ]; then
    plugin=$(bash "$SCRIPTS/engines.sh" buildx | sed -n 's/^DOCKER_CONFIG=//p')/cli-plugins/docker-buildx
    [ -x "$plugin" ] || die "no docker-buildx plugin; install Debian's docker-buildx"
  fi
  ln -sf "$plugin" "$config/cli-plugins/docker-buildx"
  {
    printf '{"auths":{"%s":{"auth":"' "$PRIVATE"
    { printf '%s:' "$PRIVATE_USER" && cat "$PASSWORD_FILE"; } | base64 -w0
    printf '"}}}\n'
  } >"$config/config.json"
  {
    printf 'user = "%s:' "$PRIVATE_USER"
    cat "$PASSWORD_FILE"
    printf '"\n'
  } >"$WORK/private.curlrc"
}

# The layers every seed draws on.
stub_layer() {
  local root=$WORK/stub-root
  mkdir -p "$root"
  echo 'slimcheck test stand-in: a stub for a second platform, never run (no emulation needed).' >"$root/SLIMCHECK-STUB"
  tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$WORK/stub.tar" .
  make_layer stub "$WORK/stub.tar"
}

busybox_layer() {
  [ -s "$BUSYBOX_ROOTFS" ] || install_packages busybox:busybox-static
  busybox_rootfs || die "could not write the busybox root filesystem $BUSYBOX_ROOTFS"
  make_layer busybox "$BUSYBOX_ROOTFS"
}

debian_layer() {
  local tarball
  tarball=$(debian_rootfs_path bookworm)
  if [ ! -s "$tarball" ]; then
    install_packages debootstrap:debootstrap
    log "building the Debian bookworm root filesystem with debootstrap --variant=minbase (a few minutes, once)"
    debian_rootfs bookworm || die "debootstrap bookworm failed; see /tmp/slimcheck-debootstrap.log"
  fi
  make_layer debian "$tarball"
}

# The conda of the continuumio/miniconda3 stand-in: enough of conda for examples/Dockerfile.conda and the tests.
conda_layer() {
  local root=$WORK/conda-root
  mkdir -p "$root/opt/conda/bin" "$root/opt/conda/conda-meta" "$root/opt/conda/pkgs" "$root/opt/conda/envs"
  cat >"$root/opt/conda/bin/conda" <<'CONDA'
#!/bin/sh
# conda, as far as slimcheck's tests need it: a test stand-in (not conda) in the image continuumio/miniconda3 that
# slimcheck's test registry serves. It knows:
#   conda create [-y] (-p PREFIX | -n NAME) SPEC...  a prefix with bin/python (/usr/bin/python3 or a stub),
#                                                      conda-meta/*.json per SPEC and some MB of files
#   conda clean ...                                    nothing to clean
#   conda run (-p PREFIX | -n NAME) [--no-capture-output] COMMAND...
#   conda --version | info
set -eu
root=/opt/conda
command=${1:-}
[ $# = 0 ] || shift
[ "$command" != clean ] || exit 0 # nothing to clean
prefix=$root
specs=
while [ $# -gt 0 ]; do
  case $1 in
    -p | --prefix) prefix=$2; shift 2 ;;
    -n | --name) prefix=$root/envs/$2; shift 2 ;;
    -y | --yes | -q | --quiet | --no-capture-output | --live-stream) shift ;;
    --) shift; break ;;
    -*) echo "conda (slimcheck test stand-in): option $1 ignored" >&2; shift ;;
    *) [ "$command" = run ] && break; specs="$specs $1"; shift ;;
  esac
done
case $command in
  --version | -V) echo "conda 24.7.1 (slimcheck test stand-in)" ;;
  info) echo "slimcheck test stand-in for conda 24.7.1; base environment: $root" ;;
  create)
    [ "$prefix" != "$root" ] || { echo "conda create: give -p PREFIX or -n NAME" >&2; exit 2; }
    mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/conda-meta"
    if [ -x /usr/bin/python3 ]; then
      ln -sf /usr/bin/python3 "$prefix/bin/python"
    else
      printf '#!/bin/sh\necho "python: slimcheck test stand-in, no interpreter in this image" >&2\nexit 127\n' >"$prefix/bin/python"
      chmod 755 "$prefix/bin/python"
    fi
    ln -sf python "$prefix/bin/python3"
    for spec in $specs; do
      name=${spec%%[=<>!]*}
      version=${spec#"$name"}
      version=${version#"${version%%[0-9]*}"}
      printf '{"name":"%s","version":"%s","build":"slimcheck_stand_in","channel":"slimcheck-test","files":["lib/lib%s-stand-in.so"]}\n' \
        "$name" "${version:-0}" "$name" >"$prefix/conda-meta/$name-${version:-0}-slimcheck_stand_in.json"
      head -c 4194304 /dev/urandom >"$prefix/lib/lib$name-stand-in.so"
    done
    echo "==> $(date -u +%FT%TZ) <==" >>"$prefix/conda-meta/history"
    echo "# cmd: conda create -p $prefix$specs" >>"$prefix/conda-meta/history"
    echo "created $prefix (slimcheck test stand-in)"
    ;;
  run)
    [ $# -gt 0 ] || { echo "conda run: give a command" >&2; exit 2; }
    PATH=$prefix/bin:$PATH CONDA_PREFIX=$prefix exec "$@"
    ;;
  *) echo "conda (slimcheck test stand-in): '$command' is not supported" >&2; exit 2 ;;
esac
CONDA
  chmod 755 "$root/opt/conda/bin/conda"
  echo '{"name":"conda","version":"24.7.1","build":"slimcheck_stand_in","channel":"slimcheck-test","files":["bin/conda"]}' \
    >"$root/opt/conda/conda-meta/conda-24.7.1-slimcheck_stand_in.json"
  printf '==> 2024-08-01 00:00:00 <==\n# slimcheck test stand-in for miniconda3 24.7.1-0\n' >"$root/opt/conda/conda-meta/history"
  tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$WORK/conda.tar" .
  make_layer conda "$WORK/conda.tar"
}

# Container configurations (the "config" object of an image's configuration).
DEBIAN_PATH='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
debian_config() {
  printf '{"Env":[%s],"Cmd":["bash"],"Labels":{"%s":"slimcheck test stand-in for %s: Debian bookworm from debootstrap --variant=minbase"}}' \
    "$DEBIAN_PATH" "$DESCRIPTION" "$1"
}
busybox_config() {
  printf '{"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{"%s":"slimcheck test stand-in %s: busybox-static (scripts/busybox-rootfs.sh)"}}' \
    "$DESCRIPTION" "$1"
}
stub_config() {
  printf '{"Cmd":["/SLIMCHECK-STUB"],"Labels":{"%s":"slimcheck test stand-in %s: a stub for linux/arm64, never run"}}' \
    "$DESCRIPTION" "$1"
}
conda_config() {
  printf '{"Env":["PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","LC_ALL=C.UTF-8"],"Cmd":["/bin/bash"],"Labels":{"%s":"slimcheck test stand-in for continuumio/miniconda3:24.7.1-0: Debian bookworm with a shell-script conda (create, clean, run), not conda"}}' \
    "$DESCRIPTION"
}

# seed_multi REPO TAG: the two-platform busybox/stub index.
seed_multi() {
  local repo=$1 tag=$2 amd64 arm64
  busybox_layer
  stub_layer
  amd64=$(push_image "$repo" amd64 "$(busybox_config "$ADDR/$repo:$tag")" busybox)
  arm64=$(push_image "$repo" arm64 "$(stub_config "$ADDR/$repo:$tag")" stub)
  push_index "$repo" "$tag" "$amd64" "$arm64"
}

seed_mirror() {
  local amd64 arm64
  if ! has_manifest library/debian bookworm-slim; then
    debian_layer
    stub_layer
    amd64=$(push_image library/debian amd64 "$(debian_config debian:bookworm-slim)" debian)
    arm64=$(push_image library/debian arm64 "$(stub_config debian:bookworm-slim)" stub)
    push_index library/debian bookworm-slim "$amd64" "$arm64"
  fi
  if ! has_manifest library/python 3.12; then
    debian_layer
    push_tag library/python 3.12 "$(push_image library/python amd64 "$(debian_config python:3.12)" debian)"
  fi
  if ! has_manifest continuumio/miniconda3 24.7.1-0; then
    debian_layer
    conda_layer
    push_tag continuumio/miniconda3 24.7.1-0 "$(push_image continuumio/miniconda3 amd64 "$(conda_config)" debian conda)"
  fi
  has_manifest multi/base 1 || seed_multi multi/base 1
}

seed_private() {
  has_manifest private/base 1 || seed_multi private/base 1
}

# Pushes what the registry NAME lacks (everything, when an older version of this script seeded it).
seed() {
  registry_spec "$1"
  CURL_AUTH=()
  [ "$NAME" = private ] && CURL_AUTH=(-K "$WORK/private.curlrc")
  if [ "$(cat "$STAMP" 2>/dev/null)" != "$SEED_VERSION" ]; then
    [ -e "$STAMP" ] && log "the $NAME registry was seeded by an older scripts/registries.sh; pushing again"
    rm -rf "$DIR/storage/docker/registry/v2/repositories"
  fi
  local started=$SECONDS
  "seed_$NAME"
  echo "$SEED_VERSION" >"$STAMP"
  [ "$SECONDS" -gt "$started" ] && log "the $NAME registry holds its images ($((SECONDS - started)) s)"
  return 0
}

print_env() {
  printf '%s\n' \
    "SLIMCHECK_MIRROR=$MIRROR" \
    "SLIMCHECK_PRIVATE_REGISTRY=$PRIVATE" \
    "SLIMCHECK_PRIVATE_USER=$PRIVATE_USER" \
    "SLIMCHECK_PRIVATE_PASSWORD_FILE=$PASSWORD_FILE" \
    "SLIMCHECK_PRIVATE_BASE=$PRIVATE_BASE" \
    "SLIMCHECK_INDEX_BASE=$INDEX_BASE"
}

# Everything is up and seeded by this version: nothing to do (and no root needed).
all_ready() {
  local name
  for name in "${NAMES[@]}"; do
    registry_spec "$name"
    answers || return 1
    [ "$(render_config)" = "$(cat "$CONFIG" 2>/dev/null)" ] || return 1
    [ "$(cat "$STAMP" 2>/dev/null)" = "$SEED_VERSION" ] || return 1
  done
}

cmd_start() {
  if [ "$(id -u)" != 0 ] && all_ready; then print_env; return 0; fi
  need_root start
  take_lock "$RUN/registries.lock"
  install_packages docker-registry:docker-registry htpasswd:apache2-utils curl:curl
  [ -x "$BINARY" ] || die "$BINARY is missing (Debian package docker-registry)"
  command -v docker >/dev/null 2>&1 || install_packages docker:docker.io
  ensure_password
  local name
  for name in "${NAMES[@]}"; do start_registry "$name"; done
  WORK=$(mktemp -d /var/tmp/slimcheck-registries.XXXXXX)
  # shellcheck disable=SC2064 # WORK is fixed now
  trap "rm -rf '$WORK'" EXIT
  local seeded=true
  for name in "${NAMES[@]}"; do
    registry_spec "$name"
    [ "$(cat "$STAMP" 2>/dev/null)" = "$SEED_VERSION" ] || seeded=false
  done
  if ! $seeded || ! quick_check; then
    docker_config
    for name in "${NAMES[@]}"; do seed "$name"; done
  fi
  print_env
}

# Every image there (a registry whose storage went away answers, but empty).
quick_check() {
  registry_spec mirror
  CURL_AUTH=()
  has_manifest library/debian bookworm-slim && has_manifest continuumio/miniconda3 24.7.1-0 && has_manifest multi/base 1 \
    && has_manifest library/python 3.12 || return 1
  registry_spec private
  [ -s "$WORK/private.curlrc" ] || docker_config
  CURL_AUTH=(-K "$WORK/private.curlrc")
  has_manifest private/base 1
}

cmd_stop() {
  need_root stop
  take_lock "$RUN/registries.lock"
  local name pid
  for name in "${NAMES[@]}"; do
    registry_spec "$name"
    if pid=$(live_pid "$PIDFILE" "$CONFIG"); then
      log "stopping the $name registry (pid $pid)"
      end_process "$pid" "the $name registry"
    else
      log "the $name registry is not running"
    fi
    rm -f "$PIDFILE"
  done
}

cmd_env() {
  local name
  for name in "${NAMES[@]}"; do
    registry_spec "$name"
    answers || die "the $name registry does not answer on $ADDR; run 'registries.sh start'"
  done
  print_env
}

case ${1:-} in
  start | stop | env)
    [ $# = 1 ] || die "usage: $0 $1"
    "cmd_$1"
    ;;
  *) die "usage: $0 start | stop | env" ;;
esac
