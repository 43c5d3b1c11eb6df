"""gen.py nonfinite DIR | samples FILE.npy N F
nonfinite: writes DIR/w.npy and DIR/b.npy for nonfinite.spx: weights with
infinities, NaNs (signed, with payloads), -0.0, the smallest denormal and
the largest float; a finite bias with -0.0. samples: N deterministic
samples of F floats, shaped [N, 1, F]."""
import sys
import numpy as np

if sys.argv[1] == "nonfinite":
    bits = np.array([
        [0x3f800000, 0x7f800000, 0x00000000, 0x3f000000],  # 1, +inf, 0, 0.5
        [0x80000000, 0x80000000, 0x80000000, 0x80000000],  # -0.0 everywhere
        [0x7fc12345, 0x3f800000, 0x3f800000, 0x3f800000],  # +NaN, payload 0x412345
        [0x00000001, 0x7f7fffff, 0xff800000, 0x3f000000],  # denormal, max, -inf
        [0xffa00001, 0x40000000, 0xc0000000, 0x3e800000],  # -NaN (signalling payload)
    ], dtype="<u4")
    np.save(sys.argv[2] + "/w.npy", bits.view("<f4"))
    np.save(sys.argv[2] + "/b.npy", np.array([0.0, -0.0, 0.5, -2.0, 1e-45], dtype="<f4"))
else:
    n, f = int(sys.argv[3]), int(sys.argv[4])
    x = np.sin(np.arange(n * f, dtype=np.float64) * 0.7) * 2.0
    np.save(sys.argv[2], x.astype("<f4").reshape(n, 1, f))
