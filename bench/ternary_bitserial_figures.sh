#!/bin/sh
# ternary_bitserial_figures.sh - cycles of structured sparse ternary weights
# (sparsify * : ternary(n=8, k=2)) against plain int8 on the bitserial target,
# from the reports spxc writes (the cost model the simulator also uses).
#   bench/ternary_bitserial_figures.sh BUILD_DIR [OUT_DIR]
# Per model and setting one line: whole-network latency, PE-layer latency
# and PE compute cycles of the bitserial PE array (the report's "bbs"
# design), each with its ratio int8 / setting, the ternary layers, and the
# PE layers that are DRAM-bound. (Belongs with bench/bitserial_figures.sh.)
set -eu
build=${1:?usage: ternary_bitserial_figures.sh BUILD_DIR [OUT_DIR]}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
src=$(cd "$(dirname "$0")/.." && pwd)
spxc=$build/bin/spxc
py=/usr/bin/python3
printf '%-9s %-16s %12s %6s %12s %6s %12s %6s %6s %6s\n' model setting latency x pe_latency \
  x pe_compute x ternary dram_pe
for m in examples/synthetic/resnet18.spx examples/synthetic/vgg9.spx \
         examples/digits/cnn.spx; do
  name=$(basename "$m" .spx)
  for s in int8 ternary ternary-all; do
    dir=$out/$name-$s
    case $s in
      int8) set -- ;;
      ternary) set -- "--set=sparsify * : ternary(n=8, k=2)" ;;
      ternary-all) set -- "--set=sparsify * : ternary(n=8, k=2, first=1, last=1)" ;;
    esac
    "$spxc" "$src/$m" --target=bitserial "$@" -o "$dir" >/dev/null
    "$py" - "$out/$name-int8"/*.report.json "$dir"/*.report.json "$name" "$s" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
ta, tb = a["bitserial"], b["bitserial"]
pe_a = sum(l["bitserial"]["compute_cycles"]["bbs"] for l in a["layers"] if l["bitserial"]["unit"] == "pe")
pe_b = sum(l["bitserial"]["compute_cycles"]["bbs"] for l in b["layers"] if l["bitserial"]["unit"] == "pe")
pe = [l for l in b["layers"] if l["bitserial"]["unit"] == "pe"]
tern = sum(1 for l in pe if l.get("encoding") == "ternary")
dram = sum(1 for l in pe if l["bitserial"]["bound"] == "dram")
la, lb = ta["latency_cycles"]["bbs"], tb["latency_cycles"]["bbs"]
pa, pb = ta["pe_latency_cycles"]["bbs"], tb["pe_latency_cycles"]["bbs"]
print("%-9s %-16s %12d %6.2f %12d %6.2f %12d %6.2f %3d/%-2d %3d/%-2d" % (
    sys.argv[3], sys.argv[4], lb, la / lb, pb, pa / pb, pe_b, pe_a / pe_b,
    tern, len(pe), dram, len(pe)))
PY
  done
done
echo "reports in $out"
