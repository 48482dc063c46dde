#!/usr/bin/env bash
# Debian packages the tests and scripts call: cmark-gfm (GitHub's Markdown library, for the renderer tests), and with
# --screenshots also chromium and fonts (scripts/render-comment.mjs). Installed with apt-get as root when missing;
# otherwise a message says what to install.
set -euo pipefail

packages=()
command -v cmark-gfm >/dev/null 2>&1 || packages+=(cmark-gfm)
if [ "${1:-}" = --screenshots ]; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || packages+=(fonts-noto-color-emoji)
  [ -d /usr/share/fonts/truetype/liberation ] || packages+=(fonts-liberation)
fi
[ ${#packages[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "provision: error: install the Debian packages ${packages[*]} (needs root and apt-get)" >&2
  exit 1
fi
echo "provision: installing ${packages[*]} with apt-get" >&2
if ! DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${packages[@]}" >/tmp/slimcheck-apt-tools.log 2>&1; then
  timeout 300 apt-get update -qq >>/tmp/slimcheck-apt-tools.log 2>&1 || true
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${packages[@]}" >>/tmp/slimcheck-apt-tools.log 2>&1 \
    || { echo "provision: error: apt-get install ${packages[*]} failed; see /tmp/slimcheck-apt-tools.log" >&2; exit 1; }
fi
