#!/usr/bin/env bash
# Debian packages the tests need (headless Chromium for browser tests). Skipped when present.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
  echo "warning: /usr/bin/chromium missing; install it with: sudo apt-get install chromium" >&2
fi
