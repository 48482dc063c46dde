#!/usr/bin/env bash
# All tests: provisions a Docker engine and the base images first (scripts/provision-engine.sh),
# then runs unit, integration (real builds) and end-to-end (bundled dist/) tests with jest.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent lint
bash scripts/provision-engine.sh

# Every temporary workspace, clone and worktree the tests make goes here, and is removed afterwards.
TMPDIR=$(mktemp -d /tmp/slimcheck-tests.XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
results="$TMPDIR/jest-results.json"
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1) }
' "$results" || status=1
exit "$status"
