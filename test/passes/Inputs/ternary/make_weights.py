"""Weights of test/passes/ternary.spx. Seeded. Usage: make_weights.py DIR
  c0 [8, 3, 3, 3], c1 [12, 8, 3, 3] already ternary: channel o is
  {-a_o, 0, +a_o} with a_o = 0.25 + o / 16 (exact in binary) and at most 2
  non-zeros per group of 8 (so (8, 2) encodes it exactly: alpha = a_o, mse 0),
  dw [12, 1, 3, 3] depthwise, d1 [16, 12] random with a bias (12 features: a
  group of 8 and a ragged one of 4), d2 [10, 16] random."""
import sys

import numpy as np

rng = np.random.default_rng(11)
d = sys.argv[1]
np.save(d + "/c0.npy", rng.uniform(-1.0, 1.0, (8, 3, 3, 3)).astype(np.float32))
c1 = np.zeros((12, 8, 3, 3), np.float32)
for o in range(12):
    a = 0.25 + o / 16.0
    for ky in range(3):
        for kx in range(3):
            nz = rng.integers(0, 3)
            at = rng.choice(8, nz, replace=False)
            c1[o, at, ky, kx] = a * rng.choice([-1.0, 1.0], nz)
np.save(d + "/c1.npy", c1)
np.save(d + "/dw.npy", rng.uniform(-1.0, 1.0, (12, 1, 3, 3)).astype(np.float32))
np.save(d + "/d1.npy", rng.uniform(-1.0, 1.0, (16, 12)).astype(np.float32))
np.save(d + "/d1_b.npy", rng.uniform(-0.5, 0.5, (16,)).astype(np.float32))
np.save(d + "/d2.npy", rng.uniform(-1.0, 1.0, (10, 16)).astype(np.float32))
