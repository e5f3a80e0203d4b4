#!/usr/bin/env bash
# System packages the bench app's tests need: Debian's chromium for the SVG screenshot test.
# Idempotent: installs only what is missing. Called from .ci/run.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-system-deps: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-system-deps: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
/usr/bin/chromium --version
