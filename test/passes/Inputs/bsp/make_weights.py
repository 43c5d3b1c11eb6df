"""Writes the hand-made weights of block-sparsify.spx into DIR (argv[1]).
Every 8x8 block (x taps) of a layer is filled with one constant, so its L2
score is |v| * sqrt(real weights in the block) and the expected mask can be
worked out by hand (see block-sparsify.spx).  Layouts: conv OIHW, dense
[out, in], float32."""
import sys

import numpy as np

out = sys.argv[1]


def blocks(shape, values):
    """Weights of `shape` whose block (r, c) is values[r][c] everywhere."""
    v = np.asarray(values, np.float64)
    e = np.repeat(np.repeat(v, 8, axis=0), 8, axis=1)[:shape[0], :shape[1]]
    e = e.reshape(e.shape + (1,) * (len(shape) - 2)) * np.ones(shape)
    return e.astype(np.float32)


rng = np.random.default_rng(1)
w = {
    # first layer, 3 input channels
    "c1": rng.uniform(-1, 1, (12, 3, 1, 1)),
    # 12 -> 12: 2x2 grid of padded blocks with 64, 32, 32, 16 real weights
    "c2": blocks((12, 12, 1, 1), [[1, 1], [1, 1]]),
    "c3": rng.uniform(-1, 1, (3, 12, 1, 1)),
    # 3 input channels, not the first layer
    "c4": rng.uniform(-1, 1, (8, 3, 3, 3)),
    # 8 -> 32: grid 4x1, every block is the last of its row
    "d0": rng.uniform(-1, 1, (32, 8)),
    # 32 -> 16: grid 2x4, scores 1..8 row-major
    "d1": blocks((16, 32), [[1, 2, 3, 4], [5, 6, 7, 8]]),
    # 16 -> 32: grid 4x2, column 0 lowest
    "d2": blocks((32, 16), [[1, 5], [2, 6], [3, 7], [4, 8]]),
    # 32 -> 16: already block-sparse at density 0.5
    "d3": blocks((16, 32), [[1, 0, 2, 0], [0, 3, 0, 4]]),
}
for name, a in w.items():
    np.save(f"{out}/{name}.npy", np.asarray(a, np.float32))
