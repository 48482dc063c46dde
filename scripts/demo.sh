#!/usr/bin/env bash
# The main job on the bundled examples/, as on a pull request: provisions an engine and base images (as root on Debian,
# the registries of scripts/registries.sh first: the engine's Docker Hub mirror serves the conda example's bases as
# labelled stand-ins, so that variant builds without Docker Hub), makes a throwaway git repository of examples/ with a
# `main` branch and a `pr` branch that changes one variant (the multi-stage runtime gains curl), builds both sides for
# real (interleaved), and prints the comment the pull request would get. The JSON report lands in the throwaway
# repository.
#   npm run demo -- --update-docs   also writes the comment to docs/demo-comment.md and redraws docs/demo-comment.png,
#                                   which the README shows (needs chromium: scripts/provision-tools.sh --screenshots)
# Other arguments go to `slimcheck run`.
set -euo pipefail
cd "$(dirname "$0")/.."
update_docs=false
if [ "${1:-}" = --update-docs ]; then
  update_docs=true
  shift
  bash scripts/provision-tools.sh --screenshots
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  bash scripts/registries.sh start >/dev/null
else
  echo "demo: not root on Debian, so no test registries: the conda variant's bases come from Docker Hub or fail" >&2
fi
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
comment="$repo/comment.md"
node bin/slimcheck.js run --dir "$repo" --base main --format markdown --output "$comment" "$@" || status=$?
[ -f "$comment" ] && cat "$comment"
if $update_docs && [ "$status" != 0 ]; then
  echo "demo: docs/ left as they are: slimcheck exited with $status" >&2
elif $update_docs; then
  cp "$comment" docs/demo-comment.md
  node scripts/render-comment.mjs docs/demo-comment.md docs/demo-comment.png
  echo "demo: wrote docs/demo-comment.md and docs/demo-comment.png" >&2
fi
echo "slimcheck exited with $status: 0 when the pull request brings no new violation (the conda variant's findings are" \
  "already on main), 1 when it does" >&2
