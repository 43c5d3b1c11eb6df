# Writes small hand-checkable networks for the aie tests into DIR:
#   dense.spx  dense 16 -> 8 (weights all nonzero, so no block is skipped)
#   conv.spx   conv2d 8 -> 8, 3x3, pad 1, on [1, 8, 32, 32]
#   sparse.spx the conv with its weight block (0..7 x 0..7) all zero but one
#              of two 8-channel output blocks: cout 16, block row 1 zero.
#   resid.spx  the conv, then add(conv, x) and relu (a residual block's tail)
import os, sys
import numpy as np
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
np.save(os.path.join(d, "dw.npy"), np.full((8, 16), 0.5, np.float32))
np.save(os.path.join(d, "db.npy"), np.zeros(8, np.float32))
np.save(os.path.join(d, "cw.npy"), np.full((8, 8, 3, 3), 0.25, np.float32))
np.save(os.path.join(d, "cb.npy"), np.zeros(8, np.float32))
sw = np.full((16, 8, 3, 3), 0.25, np.float32)
sw[8:] = 0.0
np.save(os.path.join(d, "sw.npy"), sw)
np.save(os.path.join(d, "sb.npy"), np.zeros(16, np.float32))
open(os.path.join(d, "dense.spx"), "w").write("""network hand_dense {
  input x : f32[1, 16]
  d = dense(x, weights="dw.npy", bias="db.npy")
  output d
}
compile hand_dense {
  quantize int8 range=[-3.0, 3.0]
  target aie(rows=1, cols=1)
}
""")
for name, w, b, tm in (("conv", "cw", "cb", 4096), ("sparse", "sw", "sb", 4096)):
    open(os.path.join(d, name + ".spx"), "w").write("""network hand_%s {
  input x : f32[1, 8, 32, 32]
  c = conv2d(x, weights="%s.npy", bias="%s.npy", stride=1, pad=1)
  output c
}
compile hand_%s {
  quantize int8 range=[-3.0, 3.0]
  target aie(rows=1, cols=1, tile_mem=%d)
}
""" % (name, w, b, name, tm))
open(os.path.join(d, "resid.spx"), "w").write("""network hand_resid {
  input x : f32[1, 8, 32, 32]
  c = conv2d(x, weights="cw.npy", bias="cb.npy", stride=1, pad=1)
  a = add(c, x)
  r = relu(a)
  output r
}
compile hand_resid {
  quantize int8 range=[-3.0, 3.0]
  target aie(rows=1, cols=1, tile_mem=4096)
}
""")
np.save(os.path.join(d, "x16.npy"), np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 16))
np.save(os.path.join(d, "x32.npy"), np.linspace(-1, 1, 8 * 32 * 32, dtype=np.float32).reshape(1, 8, 32, 32))
