#!/usr/bin/env bash
# The main job on the bundled example: set up, build, compile the trained
# digits CNN (int8, 8x8 block-sparse weights) for a 4x4 AIE-style array, run
# it on the array's simulator over the 360 held-out digits, print its report.
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build -j"${SPX_JOBS:-2}" spxc spx-run spx-objdump

out=build/demo
rm -rf "$out"
echo "== spxc examples/digits/cnn_bsp.spx --target=aie -o $out"
build/bin/spxc examples/digits/cnn_bsp.spx --target=aie -o "$out"
ls -l "$out"
echo "== spx-run (AIE simulator) on the 360 held-out digits"
build/bin/spx-run "$out/digits_cnn.spxbin" --input examples/digits/data/test_x.npy \
  --labels examples/digits/data/test_y.npy --output "$out/logits.npy" \
  --trace "$out/trace.json"
echo "   (Chrome trace of one inference: $out/trace.json, loadable in Perfetto)"
echo "== report ($out/digits_cnn.report.json)"
/usr/bin/python3 - "$out/digits_cnn.report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t, a = r["totals"], r.get("aie", {})
print(f"{r['network']} on {r['target']} {a.get('rows')}x{a.get('cols')}: {t['layers']} layers, "
      f"{t['macs']} MACs, weights {t['dense_weight_bytes']} B as f32 -> {t['encoded_weight_bytes']} B stored "
      f"({t['compression']:.2f}x)")
print(f"simulated: {a.get('cycles')} cycles at {a.get('freq_mhz')} MHz, "
      f"DDR read {a.get('ddr_read_bytes')} B, write {a.get('ddr_write_bytes')} B")
print(f"{'layer':16} {'op':12} {'output':20} {'MACs':>7} {'weight B':>9} {'density':>8} {'cycles':>7} {'mode':>6}")
for l in r["layers"]:
    out, s, x = l["output"], l.get("stats", {}), l.get("aie", {})
    shape = "x".join(map(str, out["shape"]))
    dens = f"{s['density']:.2f}" if "density" in s else "-"
    print(f"{l['name']:16} {l['op']:12} {out['dtype'] + ' ' + shape:20} {l['macs']:>7} "
          f"{l['encoded_weight_bytes']:>9} {dens:>8} {x.get('cycles', '-'):>7} {x.get('mode', '-'):>6}")
PY
