#!/usr/bin/env bash
# kernels_instructions.sh BENCH [ROW...] - instructions per call of each int8
# conv2d/dense kernel (dense int8, CBR, BBS, ternary) for the layers of
# spx-bench-kernels, counted by callgrind. Unlike wall-clock time, the counts
# repeat exactly on a loaded machine, so two builds (before/after a change)
# can be compared row by row. Prints: row format iterations instr/call hash
# (the hash of the output, equal when two builds compute the same thing).
#   bash bench/kernels_instructions.sh build/bin/spx-bench-kernels
set -euo pipefail
bin=${1:?usage: kernels_instructions.sh BENCH [ROW...]}
shift
rows=${*:-0 1 2 3 4 5 6 7 8 9 10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for row in $rows; do
  case $row in 7|10) it=200 ;; 6|8) it=4 ;; *) it=1 ;; esac
  if [ "$row" -ge 8 ]; then fn=spx_rt_dense_s8; else fn=spx_rt_conv2d_s8; fi
  for f in s8 cbr bbs tern; do
    case $f in s8) entry=$fn ;; *) entry=${fn}_fmt ;; esac # encoded formats: the descriptor path
    valgrind --tool=callgrind --toggle-collect="$entry" --callgrind-out-file="$tmp/cg" \
      "$bin" --one "$row" "$f" "$it" >"$tmp/out" 2>"$tmp/err"
    ir=$(grep -o "Collected : [0-9]*" "$tmp/err" | awk '{print $3}')
    hash=$(grep -o "output hash [0-9a-f]*" "$tmp/out" | awk '{print $3}')
    echo "$row $f $it $ir $hash" | awk '{printf "%s %s %s %.0f %s\n", $1, $2, $3, $4 / $3, $5}'
  done
done
