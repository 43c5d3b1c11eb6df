#!/bin/sh
# lpq_figures.sh - what the LPQ search (quantize * : lpq(bits=B), docs/
# numerics.md "LPQ") chooses on ResNet-18 and MobileNet-v1 (seeded random
# weights, random calibration inputs), from the reports spxc writes.
#   bench/lpq_figures.sh BUILD_DIR [OUT_DIR] [BITS] [SEARCH_OPTIONS]
# SEARCH_OPTIONS default to "population=8, generations=6, samples=1" (one
# f32 evaluation of ResNet-18 takes about a second here; the defaults of
# lpq(...) would evaluate 20 x 16 candidates). Per network: one line per
# searched layer (weight and activation formats, weights, the layer's own
# error), then the average bits, the weights' size at n bits per code and as
# the lp encoding stores them (codes packed at n bits, plus each layer's
# activation table and int64 biases), the int8 size, and the search's time
# (spxc --timing, pass lpq), and the cycles of the network on the lpa target
# (compiled for it) against the int8 array of the same size.
set -eu
build=${1:?usage: lpq_figures.sh BUILD_DIR [OUT_DIR] [BITS] [SEARCH_OPTIONS]}
out=${2:-$(mktemp -d)}
bits=${3:-6}
opts=${4:-population=8, generations=6, samples=1}
mkdir -p "$out"
src=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
"$py" -c "import numpy as np; np.save('$out/calib.npy', np.random.default_rng(1).standard_normal((4, 3, 224, 224)).astype(np.float32))"
for name in resnet18 mobilenet_v1; do
  "$build/bin/spxc" "$src/examples/synthetic/$name.spx" --timing --target=lpa \
    "--quantize=int8 calibrate=\"$out/calib.npy\"" \
    "--set=quantize * : lpq(bits=$bits, $opts)" -o "$out/$name" 2> "$out/$name.timing"
  "$py" - "$out/$name/$name.report.json" "$out/$name.timing" "$name" "$bits" "$opts" <<'PY'
import json, re, sys
rep, timing, name, bits, opts = sys.argv[1:6]
report = json.load(open(rep))
layers = [l for l in report["layers"] if l.get("encoding") == "lp"]
print(f"## {name}: lpq(bits={bits}, {opts})")
print(f"{'layer':<24} {'weights':>9} {'weight format':<26} {'activation format':<26} {'error':>9}")
wbits = size_n = size_enc = size_i8 = 0
for l in layers:
    s = l["stats"]
    n = int(re.search(r"n=(\d+)", s["weight_format"]).group(1))
    print(f"{l['name']:<24} {l['params']:>9} {s['weight_format']:<26} {s['act_format']:<26} "
          f"{s['lpq']['layer_error']:>9.3g}")
    size_n += n * l["params"] / 8
    size_enc += s["encoded_bytes"]
    size_i8 += l["params"]
lpq = layers[0]["stats"]["lpq"]
secs = re.search(r"([0-9.]+) s  pass lpq", open(timing).read()).group(1)
print(f"average bits: weights {lpq['weight_bits']:.3f}, activations {lpq['act_bits']:.3f} "
      f"(per multiply-accumulate)")
print(f"loss {lpq['loss']:.4g} (global {lpq['global_error']:.4g}, local {lpq['local_error']:.4g}), "
      f"{lpq['evaluations']} candidates evaluated")
print(f"weights: {size_n / 1e6:.2f} MB at n bits per code, {size_enc / 1e6:.2f} MB as encoded "
      f"(lp encoding), int8 {size_i8 / 1e6:.2f} MB")
print(f"search time: {secs} s (spxc --timing, pass lpq)")
t = report["lpa"]
print(f"lpa: {t['latency_cycles']['lpa']} cycles, int8 array {t['latency_cycles']['int8']} "
      f"(x{t['ratio']}); PE compute {t['pe_compute_cycles']['lpa']} vs "
      f"{t['pe_compute_cycles']['int8']} (x{t['pe_compute_ratio']})")
print()
PY
done
