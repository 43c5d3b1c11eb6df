"""Writes three networks over the same random weights: one concatenating two
conv branches of different widths (4 and 6 channels), and one per branch;
with `check`, compares the concat output with the branches joined in numpy.
usage: concat_net.py make DIR QUANT | check DIR"""
import sys
import numpy as np

cmd, d = sys.argv[1], sys.argv[2]
if cmd == "make":
    quant = sys.argv[3] == "int8"
    np.save(f"{d}/x.npy", np.random.default_rng(5).uniform(-1, 1, (8, 2, 5, 5)).astype(np.float32))
    body = ("  input x : f32[1, 2, 5, 5]\n"
            "  a = conv2d(x, weights=random(seed=1), filters=4, kernel=3, pad=1)\n"
            "  b = conv2d(x, weights=random(seed=2), filters=6, kernel=1)\n")
    q = '\ncompile n {\n  quantize int8 range=[-3.0, 3.0]\n}\n' if quant else "\n"
    for name, out in [("cat", "  c = concat(a, b, axis=1)\n  output c\n"),
                      ("a", "  output a\n"), ("b", "  output b\n")]:
        open(f"{d}/{name}.spx", "w").write("network n {\n" + body + out + "}\n" + q)
else:
    c = np.load(f"{d}/cat.npy").reshape(8, 10, 5, 5)
    a = np.load(f"{d}/a.npy").reshape(8, 4, 5, 5)
    b = np.load(f"{d}/b.npy").reshape(8, 6, 5, 5)
    want = np.concatenate([a, b], axis=1)
    err = np.abs(c - want).max()
    print(f"concat of [8,4,5,5] and [8,6,5,5]: max difference {err:.3g}")
    assert err <= float(sys.argv[3]) if len(sys.argv) > 3 else err == 0, err
