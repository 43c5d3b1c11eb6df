"""Writes DIR/z.spx, its weights and DIR/calib.npy, DIR/x.npy: a conv2d and
a dense whose quantized weights sit near the top of the int8 range, so that
zero-point shifting (N = 4, G = 8) picks offsets that give effective weights
of 128 (beyond int8): each output channel's largest weight quantizes to 127,
the others to 95..127 (bbs-beyond-int8.test). Seeded. Usage: zp128.py DIR"""
import os
import sys

import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(128)


def near_top(shape):
    """Positive weights in [0.75, 1] with 1.0 in every output channel (row 0
    of the flattened channel): int8 values 95..127, at least one 127."""
    w = rng.uniform(0.75, 1.0, shape).astype(np.float32)
    flat = w.reshape(shape[0], -1)
    flat[:, 0] = 1.0
    # a few negative channels, mirrored: the best offsets give -128..
    flat[1::3] *= -1.0
    return flat.reshape(shape)


np.save(os.path.join(d, "c1.npy"), near_top((6, 8, 3, 3)))
np.save(os.path.join(d, "d1.npy"), near_top((5, 6 * 5 * 5)))
np.save(os.path.join(d, "calib.npy"), rng.uniform(-1, 1, (16, 8, 5, 5)).astype(np.float32))
np.save(os.path.join(d, "x.npy"), rng.uniform(-1.2, 1.2, (40, 8, 5, 5)).astype(np.float32))
with open(os.path.join(d, "z.spx"), "w") as f:
    f.write("""network z {
  input x : f32[1, 8, 5, 5]
  c1 = conv2d(x, weights="c1.npy", filters=6, kernel=3, pad=1)
  d1 = dense(flatten(c1), weights="d1.npy", units=5)
  output d1
}
compile z {
  quantize int8 calibrate="calib.npy"
  sparsify * : bbs(group=8, prune=zp_shift, columns=4, outliers=0)
}
""")
