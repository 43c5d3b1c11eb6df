#!/bin/sh
# xbar figures: digits mlp_bin and cnn_bin accuracy on the xbar simulator,
# ideal and nonideal, over array sizes and wire resistances.
#   bench/xbar_figures.sh [BUILD_DIR]   (default: build)
# Prints one line per case: model, options, accuracy. The 256-row exact
# solve takes minutes per model.
set -e
B=${1:-build}/bin
cd "$(dirname "$0")/../examples/digits"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for m in mlp_bin cnn_bin; do
  case $m in mlp_bin) X=data/test_x_flat.npy ;; *) X=data/test_x.npy ;; esac
  "$B/spxc" $m.spx -o "$T/cpu" >/dev/null
  echo "$m cpu $("$B/spx-run" "$T/cpu/digits_$m.spxbin" --input $X --labels data/test_y.npy)"
  for rows in ${XBAR_ROWS:-64 128}; do
    for o in "mode=0" "mode=1,r_wire_mohm=100" "mode=1,r_wire_mohm=1000" "mode=1,r_wire_mohm=10000"; do
      "$B/spxc" $m.spx --target="xbar(rows=$rows,cols=$rows,$o)" -o "$T/x" >/dev/null
      echo "$m rows=$rows $o $("$B/spx-run" "$T/x/digits_$m.spxbin" --input $X --labels data/test_y.npy)"
    done
  done
done
