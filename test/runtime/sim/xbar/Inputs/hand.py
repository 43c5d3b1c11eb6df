"""A hand-sized binary dense layer for the xbar simulator, checked from the
definitions (runtime/targets/xbar/xbar.h, "Arrays"; docs/targets.md, "xbar")
without the code under test.

  hand.py make DIR            writes DIR/hand.spx, its weights, the inputs
                              x.npy and calibration data
  hand.py check DIR OUT.npy REPORT.json ROWS COLS READ WFLIP AFLIP
                              compares the xbar run's outputs and counters
                              with numpy; prints them and "ok" or FAIL lines

The model: x f32[1, 8] -> sign -> dense, 5 output channels, weights +-1
(alpha 1, no bias). Array (ROWS x COLS, reads of READ rows): output channel
r is column r mod COLS of its m tile, reduction index i is row i mod tile_k
of its k tile. Per sample, per k tile, per sub-vector s of READ rows, per
m tile: one read; n = READ rows, ones = +1 inputs in s; the sub-vector is
flipped iff AFLIP and 2 ones > n (then its -1 rows are driven), q = driven
rows; a column's stored bit is b == +1, negated for the whole column iff
WFLIP and 2 (+1 weights of the column) > K; c = driven rows whose stored
bit is 1. Counters: reads, driven rows (q per read), conducting cells (sum
of c over the columns of the read), flipped sub-vectors (once per
sub-vector, not per m tile)."""
import json
import os
import sys

import numpy as np

M, K = 5, 8
# Columns (output channels) of +1 counts 6, 2, 4 (a tie), 7, 0.
W = np.array([[1, 1, 1, -1, 1, 1, -1, 1],
              [-1, 1, -1, -1, -1, 1, -1, -1],
              [1, -1, 1, -1, 1, -1, -1, 1],
              [1, 1, 1, 1, 1, 1, -1, 1],
              [-1, -1, -1, -1, -1, -1, -1, -1]], dtype=np.float32)
# Inputs (their signs matter): six samples with 0 .. 8 positive entries.
X = np.array([[0.5, 0.2, 0.9, 0.1, 0.3, 0.7, 0.4, 0.8],
              [-0.5, -0.2, -0.9, -0.1, -0.3, -0.7, -0.4, -0.8],
              [0.5, -0.2, 0.9, -0.1, 0.3, -0.7, 0.4, -0.8],
              [0.5, 0.2, 0.9, -0.1, -0.3, -0.7, 0.4, 0.8],
              [-0.5, 0.2, -0.9, -0.1, -0.3, 0.7, -0.4, -0.8],
              [0.5, 0.2, -0.9, -0.1, 0.3, 0.7, 0.4, -0.8]], dtype=np.float32)

SPX = """network hand {
  input x : f32[1, 8]
  s  = sign(x)
  fc = dense(s, weights="w.npy", units=5)
  output fc
}

compile hand {
  quantize int8 calibrate="calib.npy"
  quantize fc : binary
  target cpu
}
"""


def make(d):
    np.save(os.path.join(d, "w.npy"), W)
    np.save(os.path.join(d, "x.npy"), X)
    np.save(os.path.join(d, "calib.npy"), X)
    with open(os.path.join(d, "hand.spx"), "w") as f:
        f.write(SPX)


def check(out, report, R, C, n_read, wflip, aflip):
    fail = []
    a = np.where(X > 0, 1, -1)
    y = a @ W.T.astype(np.int64)  # sum b * a
    got = np.load(out).reshape(len(X), M)
    # int8 output: within half an output step of the exact sum.
    step = float(np.max(np.abs(got))) / 127 if np.max(np.abs(got)) else 1.0
    worst = float(np.max(np.abs(got - y)))
    print("sums %s" % " ".join(str(v) for v in y.reshape(-1)))
    print("outputs within %.3f of the sums (half a step %.3f): %s" %
          (worst, step / 2 + 1e-6, "yes" if worst <= step / 2 + 1e-6 else "no"))
    tile_m = min(C, M)
    tile_k = min(R // n_read * n_read, K)
    tm = -(-M // tile_m)
    stored = (W > 0)
    colflip = (2 * stored.sum(axis=1) > K) if wflip else np.zeros(M, bool)
    stored = stored ^ colflip[:, None]
    reads = driven = cond = flips = 0
    for s in a:
        for k0 in range(0, K, tile_k):
            for s0 in range(k0, min(k0 + tile_k, K), n_read):
                sub = s[s0:min(s0 + n_read, k0 + tile_k, K)]
                n = len(sub)
                ones = int((sub == 1).sum())
                af = bool(aflip and 2 * ones > n)
                d = (sub == -1) if af else (sub == 1)
                flips += af
                reads += tm
                driven += int(d.sum()) * tm
                cond += int((stored[:, s0:s0 + n] & d[None, :]).sum())
    rep = json.load(open(report))["target"]
    lay = [l for l in rep["layers"] if l["unit"] == "arrays"][0]
    for name, want in (("reads", reads), ("driven_rows", driven), ("conducting_cells", cond),
                       ("flipped_subvectors", flips), ("runs", len(X)),
                       ("stored_conducting", int(stored.sum())),
                       ("tiles", tm * -(-K // tile_k))):
        print("%s %d: %s" % (name, want, "ok" if lay[name] == want else
                             "FAIL (simulator: %d)" % lay[name]))
    print("column flips %s" % "".join("1" if f else "0" for f in colflip))


if sys.argv[1] == "make":
    make(sys.argv[2])
else:
    check(sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]),
          sys.argv[8] == "on", sys.argv[9] == "on")
