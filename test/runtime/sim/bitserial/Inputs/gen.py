# Writes DIR/calib.npy and DIR/x.npy (random inputs of shape [N, *SHAPE]):
#   gen.py DIR N D0 D1 ...
import os, sys
import numpy as np
d, n, shape = sys.argv[1], int(sys.argv[2]), [int(a) for a in sys.argv[3:]]
rng = np.random.default_rng(7)
np.save(os.path.join(d, "calib.npy"), rng.uniform(-1, 1, [16] + shape).astype(np.float32))
np.save(os.path.join(d, "x.npy"), rng.uniform(-1.2, 1.2, [n] + shape).astype(np.float32))
