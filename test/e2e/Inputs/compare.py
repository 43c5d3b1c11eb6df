"""compare.py tonpy IN.npy OUT.raw | same SPXRUN.npy GENERATED.raw
tonpy: writes the samples of a .npy as raw float32. same: checks that the
generated C's raw outputs are bit-identical to spx-run's .npy outputs."""
import sys
import numpy as np

if sys.argv[1] == "tonpy":
    np.load(sys.argv[2]).astype("<f4").tofile(sys.argv[3])
else:
    a = np.load(sys.argv[2]).astype("<f4").reshape(-1)
    b = np.fromfile(sys.argv[3], dtype="<f4")
    assert a.shape == b.shape, (a.shape, b.shape)
    diff = np.count_nonzero(a.view("<u4") != b.view("<u4"))
    print(f"{a.size} values, {diff} differ")
    assert diff == 0
