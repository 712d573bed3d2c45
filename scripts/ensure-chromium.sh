#!/usr/bin/env bash
# Make sure Debian's headless-capable `chromium` is on the controller: the
# audit scenario renders the report with it (screenshot, DOM text).
# Idempotent: does nothing when `chromium` is already on PATH. Installs with
# apt when root on a Debian-family host; otherwise says what to do and exits 0
# (the screenshot test then skips, naming this reason).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: chromium is missing and cannot be installed here (needs root and apt);" \
    "install Debian's chromium package for the audit screenshot test" >&2
  exit 0
fi
echo ">> installing chromium (headless browser for the audit report test)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >/dev/null; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends chromium >/dev/null
fi
