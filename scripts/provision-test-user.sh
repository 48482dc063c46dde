#!/usr/bin/env bash
# The unprivileged user that __tests__/integration/permissions.test.ts runs slimcheck as, the way a runner's user runs
# it: not root, but a member of the group that owns each Docker engine's socket (dockerd --group, `docker` unless told
# otherwise). Idempotent; needs root. Prints the user's name (SLIMCHECK_TEST_USER, default slimcheck-test).
set -euo pipefail

NAME=${SLIMCHECK_TEST_USER:-slimcheck-test}

if [ "$(id -u)" != 0 ]; then
  echo "provision: only root can create the test user $NAME; the permission tests are skipped without it" >&2
  exit 1
fi

sockets=()
for socket in /var/run/docker.sock /run/slimcheck/*.sock; do
  if [ -S "$socket" ]; then sockets+=("$socket"); fi
done
if [[ "${DOCKER_HOST:-}" == unix://* ]] && [ -S "${DOCKER_HOST#unix://}" ]; then sockets+=("${DOCKER_HOST#unix://}"); fi
if [ ${#sockets[@]} = 0 ]; then
  echo "provision: no Docker socket (/var/run/docker.sock, /run/slimcheck/*.sock or DOCKER_HOST); start an engine first (scripts/provision-engine.sh)" >&2
  exit 1
fi

groups=()
for socket in "${sockets[@]}"; do
  gid=$(stat -c %g "$socket")
  group=$(getent group "$gid" | cut -d: -f1)
  if [ "$gid" = 0 ] || [ -z "$group" ]; then
    echo "provision: $socket belongs to group ${group:-$gid}, which the test user must not join; start that dockerd with --group docker" >&2
    exit 1
  fi
  groups+=("$group")
done

if ! id -u "$NAME" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$NAME"
  echo "provision: created the user $NAME" >&2
fi
for group in $(printf '%s\n' "${groups[@]}" | sort -u); do
  if ! id -nG "$NAME" | tr ' ' '\n' | grep -qx "$group"; then
    usermod --append --groups "$group" "$NAME"
    echo "provision: added $NAME to the group $group" >&2
  fi
done
echo "$NAME"
