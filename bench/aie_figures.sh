#!/bin/sh
# bench/aie_figures.sh [BUILD_DIR] - simulated times of the aie target next
# to the block-sparsity paper's estimates (arXiv 2407.09453): ResNet-50 on a
# 4x4 array and VGG-16 on 2x2, dense and 50% 8x8 block sparse (the
# block-sparsify pass, first layer left dense). Each model is compiled with
# spxc --target=aie, run once on the simulator (spx-run --device=sim, one
# random input image) and the total comes from the trace's "totals" event
# (the same model spxc's timing uses). Prints a table; writes the traces
# under $TMPDIR/aie_figures (open them in Perfetto).
set -eu
B=${1:-build-aie}/bin
E=$(dirname "$0")/../examples/synthetic
W=${TMPDIR:-/tmp}/aie_figures
rm -rf "$W" && mkdir -p "$W"
/usr/bin/python3 -c "import numpy as np; np.save('$W/x.npy', np.random.RandomState(0).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32))"
total() {
  /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['traceEvents'][-1]['args']['cycles'])" "$1"
}
run() { # name net target sparsify
  if [ -n "$4" ]; then
    "$B/spxc" "$E/$2.spx" "--target=$3" "--sparsify=$4" --emit=spxbin -o "$W/$1"
  else
    "$B/spxc" "$E/$2.spx" "--target=$3" --emit=spxbin -o "$W/$1"
  fi
  "$B/spx-run" "$W/$1/$2.spxbin" --input "$W/x.npy" --device=sim --trace "$W/$1.trace.json" \
    >/dev/null
  total "$W/$1.trace.json"
}
SP='*:block(8x8, density=0.5)'
r50d=$(run r50d resnet50 'aie(rows=4, cols=4)' '')
r50s=$(run r50s resnet50 'aie(rows=4, cols=4)' "$SP")
vggd=$(run vggd vgg16 'aie(rows=2, cols=2)' '')
vggs=$(run vggs vgg16 'aie(rows=2, cols=2)' "$SP")
/usr/bin/python3 - "$r50d" "$r50s" "$vggd" "$vggs" <<'PY'
import sys
r50d, r50s, vggd, vggs = (int(a) for a in sys.argv[1:5])
ms = lambda c: c / 1e6  # cycles at 1 GHz -> ms
print("%-22s %10s %10s %8s   %s" % ("model (array)", "dense ms", "50% ms", "speedup", "paper (dense -> 50%)"))
print("%-22s %10.2f %10.2f %7.2fx   10.77 -> 7.06 ms (1.53x)" % ("ResNet-50 (4x4)", ms(r50d), ms(r50s), r50d / r50s))
print("%-22s %10.2f %10.2f %7.2fx   44.8 -> 26.1 ms (1.72x)" % ("VGG-16 (2x2)", ms(vggd), ms(vggs), vggd / vggs))
PY
