#!/usr/bin/env bash
# The main job on the bundled examples/, as on a pull request: provisions an engine and base images, makes a
# throwaway git repository of examples/ with a `main` branch and a `pr` branch that changes one variant
# (the multi-stage runtime gains curl), builds both sides for real (interleaved), and prints the comment
# the pull request would get. The JSON report lands in the throwaway repository.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/provision-engine.sh

repo=$(mktemp -d /tmp/slimcheck-demo.XXXXXX)
cp -R examples/. "$repo"
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=demo -c user.email=demo@example.com add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "examples"
git -C "$repo" checkout -q -b pr
sed -i 's/install -y --no-install-recommends python3 \\/install -y --no-install-recommends python3 curl \\/' "$repo/Dockerfile.multistage"
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -q -am "multistage: add curl to the runtime"

status=0
node bin/slimcheck.js run --dir "$repo" --base main --format markdown "$@" || status=$?
echo "slimcheck exited with $status: 0 when the pull request brings no new violation (the conda variant's findings and" \
  "failed build are already on main), 1 when it does" >&2
