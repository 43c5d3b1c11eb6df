"""binary_check.py - spx-quant 'binary' against numpy, from the definition
(the binarize pass, docs/number-formats.md "Binary"): alpha_r = mean |w| of
output channel r (f32 inputs: rounded to f32), b = +1 where w >= 0, else -1;
OUT = alpha * b in the input's dtype, CODES = b as int8; the printed ones,
flips (channels with strictly more +1 than -1), alpha range, encoded size
(32 + 4 M + ceil(M / 8) + M * ceil(row_len / 8) bytes) and mse.

  binary_check.py TOOL TMPDIR
"""
import os
import subprocess
import sys

import numpy as np


def main():
    tool, tmp = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(3)
    shapes = [((10, 784), np.float32), ((32, 16, 3, 3), np.float32), ((7, 13), np.float64),
              ((5, 3, 2, 5), np.float64), ((1, 1), np.float32), ((16, 9), np.float32)]
    bad = 0
    for si, (shape, dt) in enumerate(shapes):
        w = rng.normal(0, 1, shape) + rng.normal(0, 0.5, (shape[0],) + (1,) * (len(shape) - 1))
        w = w.astype(dt)
        if si == 5:
            w[:, ::3] = 0  # zeros binarize to +1
        path = os.path.join(tmp, "w%d.npy" % si)
        out, codes = os.path.join(tmp, "o%d.npy" % si), os.path.join(tmp, "c%d.npy" % si)
        np.save(path, w)
        r = subprocess.run([tool, "binary", path, "-o", out, "--codes", codes],
                           capture_output=True, text=True)
        if r.returncode:
            print("FAIL %s: %s" % (shape, r.stderr))
            bad += 1
            continue
        rows = shape[0]
        flat = w.reshape(rows, -1).astype(np.float64)
        # the sum in double, element by element in row order (as the pass
        # sums; numpy's pairwise sum can differ in the last bit)
        alpha = np.array([sum(abs(float(v)) for v in row) / len(row) for row in flat])
        if dt == np.float32:
            alpha = alpha.astype(np.float32)
        b = np.where(flat >= 0, 1, -1).astype(np.int8)
        q = (alpha[:, None] * b.astype(alpha.dtype)).astype(dt).reshape(shape)
        got_q, got_b = np.load(out), np.load(codes)
        if got_q.dtype != dt or not np.array_equal(got_q, q):
            print("FAIL %s: alpha * b differs" % (shape,))
            bad += 1
        if got_b.dtype != np.int8 or not np.array_equal(got_b, b.reshape(shape)):
            print("FAIL %s: b differs" % (shape,))
            bad += 1
        ones = (b > 0).sum(axis=1)
        row_len = flat.shape[1]
        flips = int((2 * ones > row_len).sum())
        enc = 32 + 4 * rows + -(-rows // 8) + rows * -(-row_len // 8)
        mse = float(((flat - q.reshape(rows, -1).astype(np.float64)) ** 2).mean())
        lines = dict(l.split(": ", 1) for l in r.stdout.strip().split("\n"))
        want = {
            "ones": "%d of %d weights are +1" % (int(ones.sum()), w.size),
            "flips": "%d of %d output channels have more +1 than -1 (stored negated with "
                     "binsparx weights=on)" % (flips, rows),
        }
        for k, v in want.items():
            if lines.get(k) != v:
                print("FAIL %s: %s: %r, want %r" % (shape, k, lines.get(k), v))
                bad += 1
        if not lines.get("encoded", "").startswith("%d bytes" % enc):
            print("FAIL %s: encoded %r, want %d bytes" % (shape, lines.get("encoded"), enc))
            bad += 1
        if abs(float(lines["mse"]) - mse) > 1e-7 * max(mse, 1e-30):
            print("FAIL %s: mse %s, want %.9g" % (shape, lines["mse"], mse))
            bad += 1
        a_min, a_max = float(alpha.min()), float(alpha.max())
        got = lines.get("alpha", "")
        if not got.startswith("min %.9g, max %.9g" % (a_min, a_max)):
            print("FAIL %s: alpha %r, want min %.9g, max %.9g" % (shape, got, a_min, a_max))
            bad += 1
    print("binary: %d arrays agree with numpy" % len(shapes))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
