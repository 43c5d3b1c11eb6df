#!/bin/sh
# bench/ternary_aie_figures.sh [BUILD_DIR] - the aie target with int8
# against structured sparse ternary weights (n=8, k=2; the default keeps the
# first and last conv2d/dense int8, "all" makes them ternary too) on
# ResNet-18 and VGG-9 (examples/synthetic, random weights) on the default
# 4x4 array: whole-network cycles, weight bytes DDR -> memory tile and
# memory tile -> tile, and where the time goes, from spxc's report (the
# simulator's timing code; `spx-run --device=sim --trace` gives the same
# totals). docs/targets.md quotes its output.
set -eu
B=${1:-build}/bin
E=$(dirname "$0")/../examples/synthetic
W=${TMPDIR:-/tmp}/aie_ternary_figures
rm -rf "$W" && mkdir -p "$W"
for net in resnet18 vgg9; do
  "$B/spxc" "$E/$net.spx" --target=aie --emit=report -o "$W/$net.int8"
  "$B/spxc" "$E/$net.spx" --target=aie --set='sparsify * : ternary(n=8, k=2)' \
    --emit=report -o "$W/$net.ternary" 2>/dev/null
  "$B/spxc" "$E/$net.spx" --target=aie \
    --set='sparsify * : ternary(n=8, k=2, first=1, last=1)' --emit=report \
    -o "$W/$net.all" 2>/dev/null
done
/usr/bin/python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
print("%-9s %-8s %9s %6s %11s %6s %11s %6s %9s %9s %9s %9s" % (
    "model", "weights", "cycles", "x", "w_ddr_B", "x", "w_mt_B", "x",
    "ddr_rd", "array", "compute", "decode"))
for net in ("resnet18", "vgg9"):
    base = None
    for v in ("int8", "ternary", "all"):
        r = json.load(open("%s/%s.%s/%s.report.json" % (w, net, v, net)))
        a = r["aie"]
        if base is None:
            base = a
        ddr = arr = comp = dec = 0
        for l in r["layers"]:
            x = l.get("aie", {})
            ddr += x.get("ddr_read_cycles", 0)
            if x.get("mode") == "array":
                arr += x["array_cycles"]
                comp += x["compute_cycles"]
                dec += x.get("ternary_decode_cycles", 0)
        print("%-9s %-8s %9d %6.2f %11d %6.2f %11d %6.2f %9d %9d %9d %9d" % (
            net, v, a["cycles"], base["cycles"] / a["cycles"],
            a["weight_ddr_bytes"], base["weight_ddr_bytes"] / a["weight_ddr_bytes"],
            a["weight_memtile_to_tile_bytes"],
            base["weight_memtile_to_tile_bytes"] / a["weight_memtile_to_tile_bytes"],
            ddr, arr, comp, dec))
PY
