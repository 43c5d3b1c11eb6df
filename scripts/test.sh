#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the normal build, then the
# ASan+UBSan build of the same suite. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

jobs=${SPX_JOBS:-2}
status=0
passed=0
failed=0
run_suite() { # name, build dir, extra cmake args... (CTEST_ARGS: which tests)
  local name=$1 dir=$2; shift 2
  echo "== $name: configure and build ($dir)"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  if ! ninja -C "$dir" -j"$jobs"; then
    echo "== $name: build failed"
    status=1
    failed=$((failed + 1)) # the build counts as one failure in the total
    return
  fi
  echo "== $name: tests"
  local log="$dir/ctest.log"
  set +e
  (cd "$dir" && ctest -j"$jobs" --output-on-failure ${CTEST_ARGS:-}) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -eq 0 ] || status=1
  # "100% tests passed, 0 tests failed out of 84"
  local line total bad
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -1)
  if [ -z "$line" ]; then
    status=1
    return
  fi
  total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
  bad=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  [ "$bad" -eq 0 ] || status=1
}

# CI builds with -Werror; a user's plain build does not (SPX_WERROR is off by
# default). The suite runs in a gcc Release build and in an ASan+UBSan build;
# clang's Release build is built too, so that neither compiler's warnings at
# -O3 can come back unnoticed.
run_suite "release (gcc)" build -DCMAKE_BUILD_TYPE=Release -DSPX_WERROR=ON \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++
# The sanitizer build is a Debug build (assertions on) at -O1, as ASan's
# authors advise: about twice as fast as -O0, so the ImageNet-sized tests run
# there too.
run_suite "sanitizers (ASan+UBSan)" build-sanitize -DSPX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DSPX_WERROR=ON
# clang: the libFuzzer harnesses (test/fuzz) replay their seed corpora.
CTEST_ARGS="-L fuzz" run_suite "release (clang), fuzz smoke" build-clang \
  -DCMAKE_BUILD_TYPE=Release -DSPX_WERROR=ON -DSPX_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
echo
echo "total: $passed passed, $failed failed"
exit $status
