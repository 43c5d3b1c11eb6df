#!/bin/sh
# bbs_figures.sh BUILD_DIR - BBS figures on the digits models (BBS, arXiv 2409.05227):
# int8 test accuracy through spx-run (the BBS kernels run the encodings) for
# plain int8 and for round_avg / zp_shift at N = 2 and 4 (G = 16, outliers
# 0.05), and the weight size ratio = int8 bytes / BBS bytes summed over the
# layers' spx.stats in the report. Then the size ratio on the synthetic
# examples (zp_shift N = 2 and round_avg N = 4; no accuracy: random weights).
set -e
B=${1:?usage: bbs_figures.sh BUILD_DIR}/bin
EX=$(cd "$(dirname "$0")/../examples" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ratio() {
  /usr/bin/python3 -c "import json,sys
r=json.load(open(sys.argv[1]))
d=e=0
for l in r['layers']:
  s=l.get('stats')
  if s and s.get('technique')=='bbs': d+=s['dense_bytes']; e+=s['encoded_bytes']
print('%.3f' % (d/e) if e else '-')" "$1"
}
printf '%-6s %-10s %2s %9s %11s\n' model method N accuracy size_ratio
for m in mlp cnn; do
  x=$EX/digits/data/test_x.npy
  [ $m = mlp ] && x=$EX/digits/data/test_x_flat.npy
  "$B/spxc" "$EX/digits/$m.spx" --emit=spxbin -o "$T/int8"
  acc=$("$B/spx-run" "$T/int8/digits_$m.spxbin" --input "$x" --labels "$EX/digits/data/test_y.npy" | sed -n 's/accuracy: \([0-9.]*\).*/\1/p')
  printf '%-6s %-10s %2s %9s %11s\n' $m int8 - "$acc" 1.000
  for meth in round_avg zp_shift; do
    for n in 2 4; do
      d=$T/$m.$meth.$n
      "$B/spxc" "$EX/digits/$m.spx" --emit=spxbin,report -o "$d" \
        --set="sparsify * : bbs(group=16, prune=$meth, columns=$n)"
      acc=$("$B/spx-run" "$d/digits_$m.spxbin" --input "$x" --labels "$EX/digits/data/test_y.npy" | sed -n 's/accuracy: \([0-9.]*\).*/\1/p')
      printf '%-6s %-10s %2s %9s %11s\n' $m $meth $n "$acc" "$(ratio "$d/digits_$m.report.json")"
    done
  done
done
printf '\n%-13s %-10s %2s %11s\n' model method N size_ratio
for f in "$EX"/synthetic/*.spx; do
  n=$(basename "$f" .spx)
  for cfg in "zp_shift 2" "round_avg 4"; do
    set -- $cfg
    "$B/spxc" "$f" --emit=report -o "$T/s" --set="sparsify * : bbs(group=16, prune=$1, columns=$2)"
    printf '%-13s %-10s %2s %11s\n' "$n" "$1" "$2" "$(ratio "$T/s/$n.report.json")"
  done
done
