"""Weights of test/passes/bbs.spx: d1 [20, 24] whose rows 7 and 13 have the
largest magnitudes (so the largest quantization scales: the two outliers at
outliers=0.1), c1 [24, 3, 3, 3], d2 [10, 20]. Seeded. Usage: make_weights.py DIR"""
import sys

import numpy as np

rng = np.random.default_rng(7)
d = sys.argv[1]
d1 = rng.uniform(-1.0, 1.0, (20, 24)).astype(np.float32)
d1[7] *= 5.0
d1[13] *= 4.0
np.save(d + "/d1.npy", d1)
np.save(d + "/c1.npy", rng.uniform(-1.0, 1.0, (24, 3, 3, 3)).astype(np.float32))
np.save(d + "/d2.npy", rng.uniform(-1.0, 1.0, (10, 20)).astype(np.float32))
