"""Independent check of the LPQ search on the digits MLP (fc1 -> relu ->
fc2): from the formats the compiler's report says LPQ chose, recompute with
numpy and the exact LP reference (test/runtime/numfmt/posit_ref.py) the
search's loss as docs/numerics.md ("LPQ") defines it, and check the budget.

    mlp_loss.py REPORT.json EXAMPLES_DIGITS_DIR SAMPLES BITS

Loss, on the first SAMPLES calibration samples: every searched layer's
weights and input rounded to its LP formats, the rest in float;
global = sum |y - y_f|^2 / sum |y_f|^2 over the network output (fc2),
local = mean over the layers of the same ratio for each layer's output,
loss = global + local. Budget: weight bits averaged over weights, activation
bits over multiply-accumulates, each <= BITS."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "runtime", "numfmt"))
import posit_ref  # noqa: E402

report, digits, samples, bits = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
layers = {l["name"]: l for l in json.load(open(report))["layers"] if "stats" in l}


def fmt(spec):
    return posit_ref.parse_spec(spec)


def rounder(f):
    cache = {}

    def r(x):
        x = float(x)
        if x not in cache:
            cache[x] = posit_ref.decode(f, posit_ref.encode(f, x))
        return cache[x]
    return np.vectorize(r, otypes=[np.float64])


def load(name):
    return np.load(os.path.join(digits, name)).astype(np.float64)


x = np.load(os.path.join(digits, "data", "calib_flat.npy"))[:samples].astype(np.float64)
w1, b1, w2, b2 = (load("mlp/fc1_w.npy"), load("mlp/fc1_b.npy"), load("mlp/fc2_w.npy"),
                  load("mlp/fc2_b.npy"))
fw = {k: fmt(layers[k]["stats"]["weight_format"]) for k in ("fc1", "fc2")}
fa = {k: fmt(layers[k]["stats"]["act_format"]) for k in ("fc1", "fc2")}

o1f = np.maximum(x @ w1.T + b1, 0)
o2f = o1f @ w2.T + b2
o1q = np.maximum(rounder(fa["fc1"])(x) @ rounder(fw["fc1"])(w1).T + b1, 0)
o2q = rounder(fa["fc2"])(o1q) @ rounder(fw["fc2"])(w2).T + b2


def ratio(q, f):
    return float(((q - f) ** 2).sum() / (f ** 2).sum())


local = {"fc1": ratio(o1q, o1f), "fc2": ratio(o2q, o2f)}
glob = ratio(o2q, o2f)
mine = {"global_error": glob, "local_error": (local["fc1"] + local["fc2"]) / 2}
mine["loss"] = mine["global_error"] + mine["local_error"]
ok = True
for name, l in layers.items():
    got = l["stats"]["lpq"]
    want = dict(mine, layer_error=local[name])
    for k, v in want.items():
        good = abs(got[k] - v) <= 1e-3 * abs(v) + 1e-9
        ok &= good
        print(f"{'ok' if good else 'FAIL'} {name} {k}: report {got[k]:.6g}, reference {v:.6g}")
wbits = (fw["fc1"].n * w1.size + fw["fc2"].n * w2.size) / (w1.size + w2.size)
abits = (fa["fc1"].n * w1.size + fa["fc2"].n * w2.size) / (w1.size + w2.size)
for what, v in (("weight", wbits), ("activation", abits)):
    good = v <= bits + 1e-9
    ok &= good
    print(f"{'ok' if good else 'FAIL'} average {what} bits {v:.4g} <= {bits:g}")
    key = "weight_bits" if what == "weight" else "act_bits"
    for name, l in layers.items():
        same = abs(l["stats"]["lpq"][key] - v) < 1e-4
        ok &= same
        if not same:
            print(f"FAIL {name} report {key} {l['stats']['lpq'][key]} != {v}")
sys.exit(0 if ok else 1)
