# Writes the hand-checked layers of cycles.test into DIR: weights chosen so
# the per-group cycle counts can be worked out by hand (see cycles.test).
# Per-channel symmetric quantization maps a channel whose largest |w| is 127
# to exactly these integers (scale 1).
import os, sys
import numpy as np

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
w = np.zeros((2, 32), np.float32)
w[0, 0] = 127          # ch0 group 0: one lane 127 (7 one bits), 15 zeros
w[0, 16:32] = 1        # ch0 group 1: sixteen 1s (1 bit each)
w[1, 16] = 127         # ch1 group 0: all zero
w[1, 17:32] = 3        # ch1 group 1: 127, then fifteen 3s (2 bits each)
np.save(os.path.join(d, "wd.npy"), w)
wc = np.zeros((1, 16, 1, 1), np.float32)
wc[0, 0] = 127         # one group: 127, fifteen 0s
np.save(os.path.join(d, "wc.npy"), wc)
rng = np.random.default_rng(1)
np.save(os.path.join(d, "calib_d.npy"), rng.uniform(-1, 1, (8, 32)).astype(np.float32))
np.save(os.path.join(d, "calib_c.npy"), rng.uniform(-1, 1, (8, 16, 4, 5)).astype(np.float32))
open(os.path.join(d, "dense.spx"), "w").write("""network hand_dense {
  input x : f32[1, 32]
  d = dense(x, weights="wd.npy", units=2)
  output d
}
compile hand_dense {
  quantize int8 calibrate="calib_d.npy"
  target bitserial
}
""")
open(os.path.join(d, "conv.spx"), "w").write("""network hand_conv {
  input x : f32[1, 16, 4, 5]
  c = conv2d(x, weights="wc.npy")
  output c
}
compile hand_conv {
  quantize int8 calibrate="calib_c.npy"
  target bitserial
}
""")
