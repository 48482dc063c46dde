#!/usr/bin/env bash
# All tests: lint, then the unit tests, then the real-engine tests (integration: real builds; e2e: the bundled dist/
# run as a runner runs it) once on every engine of the matrix.
#   - DOCKER_HOST set: that engine only (the matrix needs engines this script starts itself).
#   - else, as root on Debian: Debian 12's Docker 20.10 (classic store, scripts/provision-engine.sh) and Docker 28.5
#     with the classic and with the containerd image store (scripts/engines.sh), plus Docker 26.1 with the
#     containerd store for the test of its known build-context bug.
#   - else: the engine on the default socket.
# SLIMCHECK_ENGINES="default docker28-containerd" picks engines by name ("default" is the provisioned one).
# Before the engines, as root on Debian: the registries of scripts/registries.sh (the engines' Docker Hub mirror and a
# private registry); their SLIMCHECK_* variables go to the tests (elsewhere the tests that need them skip). Likewise
# the local apt repository of scripts/apt-repo.sh (SLIMCHECK_APT_REPO).
set -euo pipefail
cd "$(dirname "$0")/.."
JEST_ARGS=("$@") # e.g. npm test -- --testNamePattern=sizes

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent lint

if [ -n "${SLIMCHECK_ENGINES:-}" ]; then
  read -r -a engines <<<"$SLIMCHECK_ENGINES"
elif [ -n "${DOCKER_HOST:-}" ]; then
  echo "test: DOCKER_HOST is set, so the real-engine tests run against it alone; unset it to run the engine matrix" >&2
  engines=(default)
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  engines=(default docker28-classic docker28-containerd)
  export SLIMCHECK_DOCKER26_HOST=${SLIMCHECK_DOCKER26_HOST:-unset}
else
  echo "test: not root on Debian, so the real-engine tests run against the default engine alone" >&2
  engines=(default)
fi

bash scripts/provision-tools.sh
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  registries=$(bash scripts/registries.sh start)
elif ! registries=$(bash scripts/registries.sh env 2>/dev/null); then
  echo "test: not root on Debian and no registries running, so the registry tests skip" >&2
  registries=
fi
while read -r line; do [ -z "$line" ] || export "${line?}"; done <<<"$registries"
# The local apt repository the toolchain tests install gcc from (SLIMCHECK_APT_REPO); root on Debian builds it.
if apt_repo=$(bash scripts/apt-repo.sh); then
  export "${apt_repo?}"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  exit 1
else
  echo "test: no local apt repository, so the toolchain tests skip" >&2
fi
bash scripts/provision-engine.sh
SLIMCHECK_RUNNER_NODE=$(bash scripts/provision-runner-node.sh)
export SLIMCHECK_RUNNER_NODE
if [ "$(id -u)" = 0 ]; then SLIMCHECK_TEST_USER=$(bash scripts/provision-test-user.sh); export SLIMCHECK_TEST_USER; fi
if [ "${SLIMCHECK_DOCKER26_HOST:-}" = unset ]; then
  SLIMCHECK_DOCKER26_HOST=$(bash scripts/engines.sh start docker26-containerd | sed -n 's/^DOCKER_HOST=//p')
  export SLIMCHECK_DOCKER26_HOST
fi

# Every temporary workspace, clone and worktree the tests make goes here, and is removed afterwards.
TMPDIR=$(mktemp -d /tmp/slimcheck-tests.XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export NODE_OPTIONS=--experimental-vm-modules
status=0
results=()

run_jest() {
  local label=$1 file="$TMPDIR/jest-${1//[^a-z0-9]/-}.json"
  shift
  echo "test: $label" >&2
  npx jest --json --outputFile="$file" --passWithNoTests "$@" "${JEST_ARGS[@]}" || status=1
  results+=("$label=$file")
}

run_jest unit --selectProjects unit
for engine in "${engines[@]}"; do
  if [ "$engine" = default ]; then
    host=${DOCKER_HOST:-}
  else
    host=$(bash scripts/engines.sh start "$engine" | sed -n 's/^DOCKER_HOST=//p')
  fi
  # In band: the tests share the engine, and a build running beside another would skew both.
  DOCKER_HOST=$host SLIMCHECK_ENGINE_NAME=$engine run_jest "engine:$engine" --selectProjects engine --runInBand
done

# shellcheck disable=SC2016 # the script is JavaScript: its ${} are template literals
node -e '
  let total = 0, failed = 0
  for (const arg of process.argv.slice(1)) {
    const [label, file] = arg.split(/=(.*)/s)
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"))
    total += r.numTotalTests
    failed += r.numFailedTests
    console.log(`tests (${label}): ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))
  }
  if (total === 0) { console.error("no test ran"); process.exit(1) }
  process.exit(failed ? 1 : 0)
' "${results[@]}" || status=1
exit "$status"
