"""Checks a quantized conv's weights and bias against its f32 ones, with an
independent numpy implementation of the rule: per output channel
s = max|w| / 127, q = round(w / s) (half away from zero), and the int32 bias
round(b / (s_in * s)). Usage: check_quant.py F32DIR INT8DIR LAYER [S_IN]"""
import sys
import numpy as np

f32, int8, layer = sys.argv[1], sys.argv[2], sys.argv[3]
s_in = 6.0 / 255.0  # the declared range [-2, 4] of quantize.spx

def round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)

w = np.load(f"{f32}/{layer}.weight.npy").astype(np.float64)
b = np.load(f"{f32}/{layer}.bias.npy").astype(np.float64)
q = np.load(f"{int8}/{layer}.qweight.npy").astype(np.int64)
qb = np.load(f"{int8}/{layer}.qbias.npy").astype(np.int64)
s = np.load(f"{int8}/{layer}.wscale.npy").astype(np.float64)
c = w.shape[0]
want_s = np.abs(w.reshape(c, -1)).max(axis=1) / 127.0
assert np.allclose(s, want_s, rtol=1e-6), (s, want_s)
want_q = round_away(w / want_s.reshape(-1, *([1] * (w.ndim - 1))))
assert np.array_equal(q, want_q.astype(np.int64)), np.abs(q - want_q).max()
print(f"{layer}: {c} channels, q == round(w / scale) with scale = max|w| / 127")
want_b = round_away(b / (s_in * want_s))
assert np.abs(qb - want_b).max() <= 1, (qb, want_b)
print(f"{layer}: bias == round(b / (s_in * scale))")
