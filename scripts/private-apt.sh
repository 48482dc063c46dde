# shellcheck shell=bash
# A private apt directory: its own sources (one Debian suite's main component), lists, cache and an empty dpkg status,
# so that apt-get and apt-cache read Debian's archive as a fresh system would, without touching the system's apt.
# Sourced by scripts/engines.sh and scripts/apt-repo.sh.

# Sets APT_OPTS to use the private apt directory DIR; ARCH, when given, is its only architecture.
private_apt_opts() {
  local dir=$1 arch=${2:-}
  APT_OPTS=(
    -q
    -o "Dir::State=$dir/state" -o "Dir::State::status=/dev/null" -o "Dir::Cache=$dir/cache"
    -o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$dir/sources.list.d"
    -o "Dir::Etc::preferences=/dev/null" -o "Dir::Etc::preferencesparts=$dir/preferences.d"
    -o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
    -o "Acquire::http::Timeout=30" -o "Acquire::Retries=2"
  )
  if [ -n "$arch" ]; then APT_OPTS+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch"); fi
}

# Makes the private apt directory DIR for Debian's SUITE and sets APT_OPTS to use it (ARCH as in private_apt_opts).
private_apt_dir() {
  local dir=$1 suite=$2 arch=${3:-}
  mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/sources.list.d" "$dir/preferences.d"
  cat >"$dir/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  private_apt_opts "$dir" "$arch"
}
