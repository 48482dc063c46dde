#!/usr/bin/env bash
# ESLint and Prettier side by side (each is single-threaded); fails if either finds anything.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
npx eslint . &
eslint=$!
npx prettier --check --log-level warn .
prettier=$?
wait "$eslint"
eslint=$?
[ "$prettier" = 0 ] && [ "$eslint" = 0 ]
