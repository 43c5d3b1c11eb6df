#!/bin/sh
# lpa_figures.sh - cycles of LP layers on the LP PE array (target lpa)
# against an int8 MAC array of the same PE count and buffers, from the
# reports spxc writes (the cost model the simulator also uses; docs/targets.md
# "lpa").
#   bench/lpa_figures.sh BUILD_DIR [OUT_DIR]
# Per model and setting one line: whole-network latency on the LP array and
# on the int8 array with their ratio (int8 / lpa: above 1, the LP array is
# faster), the same for the PE layers alone and for their compute cycles,
# the LP layers, the PE layers that are DRAM-bound on the LP array, and for
# the digits models the test-set accuracy (spx-run on the simulator).
# Settings: lp8 = quantize * : lp(n=8, es=1, rs=4, sf=2); lp4 = quantize * :
# lp(n=4, es=0, rs=3, sf=1, act=lp(n=4, es=0, rs=3, sf=0)); int8 = no LP
# layer (the array's int8 mode: ratio 1 by definition).
# About 30 s (ResNet-18 compiles three times): not part of the test suite.
set -eu
build=${1:?usage: lpa_figures.sh BUILD_DIR [OUT_DIR]}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
src=$(cd "$(dirname "$0")/.." && pwd)
spxc=$build/bin/spxc
run=$build/bin/spx-run
py=/usr/bin/python3
data=$src/examples/digits/data
printf '%-9s %-5s %12s %12s %6s %12s %6s %12s %12s %6s %5s %7s %8s\n' model set lpa int8 x \
  pe_lpa x pe_comp_lpa pe_comp_int8 x lp dram_pe accuracy
for m in examples/digits/mlp.spx examples/digits/cnn.spx examples/synthetic/resnet18.spx; do
  name=$(basename "$m" .spx)
  for s in int8 lp8 lp4; do
    dir=$out/$name-$s
    case $s in
      int8) set -- ;;
      lp8) set -- "--set=quantize * : lp(n=8, es=1, rs=4, sf=2)" ;;
      lp4) set -- "--set=quantize * : lp(n=4, es=0, rs=3, sf=1, act=lp(n=4, es=0, rs=3, sf=0))" ;;
    esac
    "$spxc" "$src/$m" --target=lpa "$@" -o "$dir" >/dev/null
    acc=-
    case $name in
      mlp|cnn)
        x=$data/test_x.npy
        [ "$name" = mlp ] && x=$data/test_x_flat.npy
        acc=$("$run" "$dir"/*.spxbin --input "$x" --labels "$data/test_y.npy" | sed -n 's/^accuracy: \([0-9.]*\).*/\1/p') ;;
    esac
    "$py" - "$dir"/*.report.json "$name" "$s" "$acc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["lpa"]
pe = [l for l in r["layers"] if l["lpa"]["unit"] == "pe"]
lp = sum(1 for l in pe if l["lpa"]["mode"] == "lp")
dram = sum(1 for l in pe if l["lpa"]["bound"] == "dram")
lat, pel, pec = t["latency_cycles"], t["pe_latency_cycles"], t["pe_compute_cycles"]
print("%-9s %-5s %12d %12d %6.3f %12d %6.3f %12d %12d %6.3f %2d/%-2d %3d/%-3d %8s" % (
    sys.argv[2], sys.argv[3], lat["lpa"], lat["int8"], t["ratio"], pel["lpa"], t["pe_ratio"],
    pec["lpa"], pec["int8"], t["pe_compute_ratio"], lp, len(pe), dram, len(pe), sys.argv[4]))
PY
  done
done
echo "reports in $out"
