#!/bin/sh
# bitserial_figures.sh - cycles and BBS speedups over the baselines (Stripes,
# zero-bit skipping, bit-parallel) on the synthetic and digits models, from
# the reports spxc writes for --target=bitserial.
#   bench/bitserial_figures.sh BUILD_DIR [OUT_DIR]
# For each model and each weight setting (dense int8; and, once the bbs pass
# is in spxc, round_avg / zp_shift with N = 2 and N = 4) it prints one line:
#   model setting latency_cycles(bbs) speedup_vs_{stripes,zskip,bitpar}
#   pe_speedup_vs_{...} avg_kept_columns
set -eu
build=${1:?usage: bitserial_figures.sh BUILD_DIR [OUT_DIR]}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
src=$(cd "$(dirname "$0")/.." && pwd)
spxc=$build/bin/spxc
py=/usr/bin/python3
settings="dense"
if "$spxc" --list-passes 2>/dev/null | grep -q '^ *bbs'; then
  settings="dense round_avg:2 round_avg:4 zp_shift:2 zp_shift:4"
fi
printf '%-12s %-12s %14s %8s %8s %8s | %8s %8s %8s %6s\n' model setting \
  bbs_cycles x_strp x_zskip x_bitpar pe_strp pe_zskip pe_bitpar cols
for m in examples/digits/mlp.spx examples/digits/cnn.spx \
         examples/synthetic/vgg16.spx examples/synthetic/resnet50.spx; do
  name=$(basename "$m" .spx)
  for s in $settings; do
    dir=$out/$name-$(echo "$s" | tr ':' '-')
    if [ "$s" = dense ]; then
      "$spxc" "$src/$m" --target=bitserial -o "$dir" >/dev/null
    else
      meth=${s%%:*}; n=${s##*:}
      "$spxc" "$src/$m" --target=bitserial \
        "--set=sparsify * : bbs(group=16, prune=$meth, columns=$n)" -o "$dir" >/dev/null
    fi
    "$py" - "$dir"/*.report.json "$name" "$s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["bitserial"]
s, p = r["speedup"], r["pe_speedup"]
print("%-12s %-12s %14d %8.3f %8.3f %8.3f | %8.3f %8.3f %8.3f %6.2f" % (
    sys.argv[2], sys.argv[3], r["latency_cycles"]["bbs"], s["stripes"], s["zskip"],
    s["bitpar"], p["stripes"], p["zskip"], p["bitpar"], r["avg_kept_columns"]))
PY
  done
done
echo "reports in $out"
