#!/usr/bin/env bash
# Debian's headless Chromium, for the report screenshot test. Best effort: the test skips
# with a reason when Chromium is missing.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing chromium (Debian) for the report screenshot test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: chromium could not be installed; the screenshot test will skip"
else
  echo "note: chromium not installed and not root; the screenshot test will skip"
fi
exit 0
