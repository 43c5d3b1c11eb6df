# Writes the hand-checked layers of cycles.test into DIR: a dense 32 -> 20
# and a 3x3 conv 4 -> 8 over 5x6 (pad 1), each in int8, LP8 and LP4
# (weights and activations n = 4). Cycles do not depend on the values,
# only on the shapes, formats and machine.
import os, sys
import numpy as np

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(7)
np.save(os.path.join(d, "wd.npy"), rng.uniform(-1, 1, (20, 32)).astype(np.float32))
np.save(os.path.join(d, "wc.npy"), rng.uniform(-0.5, 0.5, (8, 4, 3, 3)).astype(np.float32))
np.save(os.path.join(d, "calib_d.npy"), rng.uniform(-1, 1, (8, 32)).astype(np.float32))
np.save(os.path.join(d, "calib_c.npy"), rng.uniform(-1, 1, (8, 4, 5, 6)).astype(np.float32))
LP = {"int8": "", "lp8": "  quantize * : lp(n=8, es=1, rs=4, sf=2)\n",
      "lp4": "  quantize * : lp(n=4, es=0, rs=3, sf=1, act=lp(n=4, es=0, rs=3, sf=0))\n"}
for kind, q in LP.items():
    open(os.path.join(d, "dense_%s.spx" % kind), "w").write("""network hand_dense {
  input x : f32[1, 32]
  d = dense(x, weights="wd.npy", units=20)
  output d
}
compile hand_dense {
  quantize int8 calibrate="calib_d.npy"
%s  target lpa
}
""" % q)
    open(os.path.join(d, "conv_%s.spx" % kind), "w").write("""network hand_conv {
  input x : f32[1, 4, 5, 6]
  c = conv2d(x, weights="wc.npy", kernel=3, pad=1)
  output c
}
compile hand_conv {
  quantize int8 calibrate="calib_c.npy"
%s  target lpa
}
""" % q)
