#!/usr/bin/env bash
# fuzz.sh - coverage-guided fuzzing of SPX with libFuzzer (clang).
#
#   scripts/fuzz.sh [options] [SECONDS] [NAME...]
#
# Builds a clang fuzz build in build-fuzz/ (every library instrumented with
# -fsanitize=fuzzer-no-link,address,undefined; the harnesses of test/fuzz/)
# and runs each harness NAME (default: all of frontend mlir npy spxbin onnx) for
# SECONDS (default 60) on its seed corpus test/fuzz/corpus/NAME with the
# dictionary test/fuzz/NAME.dict. New corpus items go to the scratch folder
# build-fuzz/corpus/NAME (the repository's corpus is only read), crashes,
# timeouts and OOMs to build-fuzz/crashes/NAME/. libFuzzer runs in fork mode
# and keeps going after a crash, so one run can find several.
# Prints per harness the executions, libFuzzer's cov/ft figures and the
# number of crashes; exits 1 if any harness crashed (or timed out / ran out
# of memory). Run it at low priority on a shared machine:
#   nice -n 19 bash scripts/fuzz.sh 480 frontend
#
# Options:
#   --save-corpus   write new corpus items into test/fuzz/corpus/NAME (do
#                   `-merge=1` by hand first if the scratch corpus is large)
#   --smoke         only replay each seed corpus once (-runs=0), no fuzzing
#   --jobs=N        libFuzzer fork jobs per harness (default 1)
# Environment: SPX_FUZZ_BUILD (default build-fuzz), CC/CXX (default clang).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SPX_FUZZ_BUILD:-$root/build-fuzz}
all=(frontend mlir npy spxbin onnx)
save=0 smoke=0 jobs=1 seconds=60 names=()
for a in "$@"; do
  case $a in
    --save-corpus) save=1 ;;
    --smoke) smoke=1 ;;
    --jobs=*) jobs=${a#--jobs=} ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$a'" >&2; exit 2 ;;
    *) if [[ $a =~ ^[0-9]+$ && ${#names[@]} -eq 0 ]]; then seconds=$a; else names+=("$a"); fi ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for n in "${names[@]}"; do
  [[ " ${all[*]} " == *" $n "* ]] || { echo "fuzz.sh: unknown harness '$n' (${all[*]})" >&2; exit 2; }
done

# Longest input per harness: .spx and .mlir text, .npy headers plus a little
# data, .spxbin streams of tiny networks.
declare -A max_len=([frontend]=4096 [mlir]=8192 [npy]=1024 [spxbin]=16384)

# -O1 -g without NDEBUG: assertions stay on. The harness flags are added by
# test/fuzz/CMakeLists.txt; SPX_SANITIZE adds ASan/UBSan to the libraries.
# Two builds may configure at once (two harnesses in parallel): a lock.
mkdir -p "$build"
(
  flock 9
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" \
      -DSPX_FUZZ=ON -DSPX_SANITIZE=ON -DSPX_WERROR=OFF >"$build/configure.log" 2>&1 ||
      { cat "$build/configure.log" >&2; rm -f "$build/build.ninja"; exit 2; }
  fi
  targets=()
  for n in "${names[@]}"; do targets+=("spx-fuzz-$n"); done
  mkdir -p "$build/logs"
  if ! ninja -C "$build" -j2 "${targets[@]}" >"$build/logs/build.log" 2>&1; then
    grep -v '^\[' "$build/logs/build.log" | tail -40 >&2
    echo "fuzz.sh: the fuzz build failed (log: $build/logs/build.log)" >&2
    exit 2
  fi
) 9>"$build/.lock"

# UBSan reports with a stack, so that crashes can be told apart by it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
summary=()
for n in "${names[@]}"; do
  bin=$build/bin/spx-fuzz-$n
  seeds=$root/test/fuzz/corpus/$n
  dict=$root/test/fuzz/$n.dict
  crashes=$build/crashes/$n
  log=$build/logs/$n.log
  # The frontend harness makes its private temporary directory under TMPDIR;
  # keep any left by a crashed process inside build-fuzz.
  tmp=$build/tmp/$n
  mkdir -p "$crashes" "$build/logs" "$tmp"
  if [ $smoke = 1 ]; then
    if TMPDIR=$tmp "$bin" -runs=0 -detect_leaks=0 "$seeds" >"$log" 2>&1; then
      summary+=("$n: smoke ok ($(ls "$seeds" | wc -l) seeds)")
    else
      summary+=("$n: smoke FAILED (see $log)")
      status=1
    fi
    continue
  fi
  if [ $save = 1 ]; then out=$seeds; else out=$build/corpus/$n; fi
  mkdir -p "$out"
  before=$(ls "$crashes" | wc -l)
  echo "fuzz.sh: $n for ${seconds}s (log: $log)"
  set +e
  TMPDIR=$tmp "$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -max_len="${max_len[$n]}" -timeout=10 -rss_limit_mb=2048 \
    -detect_leaks=0 -dict="$dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
    "$out" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  rm -rf "$tmp"
  # Fork mode's progress lines: "#EXECS: cov: C ft: F corp: ... crash: ..."
  last=$(grep -E '^#[0-9]+:? +(cov|INITED|NEW|REDUCE|pulse|DONE)' "$log" | grep 'cov:' | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  found=$(( $(ls "$crashes" | wc -l) - before ))
  summary+=("$n: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, $found new crash/timeout/oom files in $crashes (libFuzzer exit $rc)")
  if [ "$found" -gt 0 ] || { [ "$rc" -ne 0 ] && [ -z "$last" ]; }; then status=1; fi
done
printf '%s\n' "${summary[@]}"
exit $status
