#!/usr/bin/env bash
# Installs what @nibble/backend-webgpu needs on a GPU-less Debian machine: a Vulkan loader (libvulkan1) and a Vulkan
# CPU driver. Dawn (the `webgpu` npm package) then finds an adapter through SwiftShader, the ICD that Debian's
# `chromium` package ships. Idempotent: installs nothing when both are present. Prints the ICD path on stdout (last line).
# Usage: bash tools/setup-webgpu.sh   then   export VK_ICD_FILENAMES="$(bash tools/setup-webgpu.sh | tail -1)"
set -euo pipefail

find_icd() {
  for p in /usr/lib/chromium/vk_swiftshader_icd.json /usr/lib/chromium-browser/vk_swiftshader_icd.json; do
    if [ -f "$p" ]; then echo "$p"; return 0; fi
  done
  if command -v dpkg >/dev/null 2>&1; then
    dpkg -L chromium 2>/dev/null | grep -m1 'vk_swiftshader_icd.json$' && return 0
  fi
  return 1
}

have_loader() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '
}

need=()
find_icd >/dev/null || need+=(chromium)
have_loader || need+=(libvulkan1)

if [ "${#need[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-webgpu: missing ${need[*]} and apt-get is not available; install a Vulkan loader and driver by hand" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup-webgpu: installing ${need[*]}" >&2
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

icd="$(find_icd)" || { echo "setup-webgpu: chromium is installed but its vk_swiftshader_icd.json was not found" >&2; exit 1; }
have_loader || { echo "setup-webgpu: libvulkan.so.1 still missing after install" >&2; exit 1; }
echo "$icd"
