#!/usr/bin/env bash
# Compiles every example for every target (and the BBS variants for the
# bit-serial target) into OUT, one folder per case, keeping each case's exit
# status and diagnostics in OUT/CASE.log. Two such folders made by two builds
# are compared with `diff -r`: a refactoring must leave them byte-identical.
#
# Usage: bash scripts/compile-all.sh OUT [SPXC]
#   SPXC defaults to build/bin/spxc. OUT is emptied first. SPX_CASES=REGEX
#   (grep -E) keeps only the cases whose name matches, e.g. 'digits|lenet'.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: compile-all.sh OUT [SPXC]}
spxc=${2:-build/bin/spxc}
[[ "$spxc" == /* ]] || spxc="$PWD/$spxc"
rm -rf "$out"
mkdir -p "$out"

targets=(cpu aie bitserial lpa)
bbs=("bbs(group=16, prune=round_avg, columns=2)"
     "bbs(group=16, prune=zp_shift, columns=2)"
     "bbs(group=8, prune=zp_shift, columns=4)")

run_case() { # name, spx file, spxc options...
  local name=$1 file=$2; shift 2
  local rc=0
  if [ -n "${SPX_CASES:-}" ] && ! grep -Eq "$SPX_CASES" <<<"$name"; then return; fi
  "$spxc" "$file" -o "$out/$name" "$@" >"$out/$name.log" 2>&1 || rc=$?
  echo "exit $rc" >>"$out/$name.log"
  printf '%-40s exit %d\n' "$name" "$rc"
}

for file in examples/digits/*.spx examples/synthetic/*.spx; do
  base=$(basename "$file" .spx)
  for t in "${targets[@]}"; do
    run_case "$base-$t" "$file" --target="$t"
  done
  i=0
  for spec in "${bbs[@]}"; do
    run_case "$base-bitserial-bbs$i" "$file" --target=bitserial --set="sparsify * : $spec"
    i=$((i + 1))
  done
done
