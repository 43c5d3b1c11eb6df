#!/usr/bin/env bash
# Installs the Debian 12 packages SPX needs to build and test. Idempotent:
# when every package is present it installs nothing. Downloads nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build flex bison
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  clang libclang-rt-14-dev python3 python3-numpy pkg-config chromium
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev python3-onnx
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user  # test/e2e/aarch64-qemu.test
  libxnnpack-dev libpthreadpool-dev  # bench/xnnpack_bench.c only (optional)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
