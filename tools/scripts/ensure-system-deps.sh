#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing: Debian's chromium (headless browser tests,
# and its SwiftShader Vulkan driver for WebGPU in Node). Idempotent; does nothing when everything is present.
# Without root or apt-get it only says what is missing (the tests that need it then fail with the same advice).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# the Vulkan loader Dawn (WebGPU in Node) opens; chromium's SwiftShader is the driver behind it
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || [ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] || missing+=(libvulkan1)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "nibble: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "nibble: missing system packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})" >&2
fi
