#!/usr/bin/env bash
# The main job on the bundled examples/: provisions an engine and base images, builds every variant
# for real, and prints the Markdown the pull request would get. The JSON report lands in examples/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/provision-engine.sh
status=0
node bin/slimcheck.js run --dir examples --format markdown "$@" || status=$?
echo "slimcheck exited with $status (1 means a finding in fail-on or a failed build: see above)" >&2
