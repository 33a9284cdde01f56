#!/usr/bin/env bash
# Debian packages the tests need: Java 17+ (the Spark engine) and headless Chromium (browser tests).
# Each is skipped when present.
set -euo pipefail
if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "warning: Java 17+ missing (Spark engine); install it with: sudo apt-get install openjdk-17-jre-headless" >&2
  fi
fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
  echo "warning: /usr/bin/chromium missing; install it with: sudo apt-get install chromium" >&2
fi
