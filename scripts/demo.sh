#!/usr/bin/env bash
# The main job on the bundled example: set up, build, compile the trained
# digits CNN (int8), run it on the test set and print its report.
# Usage: bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build -j"${SPX_JOBS:-2}" spxc spx-run spx-objdump

out=build/demo
rm -rf "$out" && mkdir -p "$out"
echo "== spxc examples/digits/cnn.spx -o $out"
build/bin/spxc examples/digits/cnn.spx -o "$out"
ls -l "$out"
echo "== spx-run on the 360 held-out digits"
build/bin/spx-run "$out/digits_cnn.spxbin" --input examples/digits/data/test_x.npy \
  --labels examples/digits/data/test_y.npy --output "$out/logits.npy"
echo "== report ($out/digits_cnn.report.json)"
/usr/bin/python3 - "$out/digits_cnn.report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['network']} on {r['target']}: {r['totals']['layers']} layers, "
      f"{r['totals']['macs']} MACs, weights {r['totals']['dense_weight_bytes']} B as f32 -> "
      f"{r['totals']['encoded_weight_bytes']} B stored, workspace {r['workspace_bytes']} B")
print(f"{'layer':16} {'op':12} {'output':22} {'MACs':>8} {'weight B':>9}")
for l in r["layers"]:
    out = l["output"]
    shape = "x".join(map(str, out["shape"]))
    print(f"{l['name']:16} {l['op']:12} {out['dtype'] + ' ' + shape:22} {l['macs']:>8} {l['encoded_weight_bytes']:>9}")
PY
