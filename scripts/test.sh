#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the normal build, then the
# ASan+UBSan build of the same suite. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

jobs=${SPX_JOBS:-2}
status=0
run_suite() { # name, build dir, extra cmake args...
  local name=$1 dir=$2; shift 2
  echo "== $name: configure and build ($dir)"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j"$jobs"
  echo "== $name: tests"
  (cd "$dir" && ctest -j"$jobs" --output-on-failure) || status=1
}

run_suite "release" build
run_suite "sanitizers (ASan+UBSan)" build-sanitize -DSPX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
exit $status
