#!/usr/bin/env bash
# ESLint and Prettier side by side (each is single-threaded); fails if either finds anything.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# The cache skips files unchanged since they last passed here. A fresh clone (CI) lints everything; locally, a type
# change can hide a finding in an unchanged file until `rm -rf node_modules/.cache/eslint`.
npx eslint --cache --cache-strategy content --cache-location node_modules/.cache/eslint/ . &
eslint=$!
npx prettier --check --log-level warn .
prettier=$?
wait "$eslint"
eslint=$?
[ "$prettier" = 0 ] && [ "$eslint" = 0 ]
