"""binary_ref.py make DIR | check DIR WHICH OUT.npy

An independent numpy reference for binary layers, written from the
definition (docs/numerics.md, "Binary layers"), not from the compiler:
  sign(x) = +1 where x >= 0, else -1
  binary layer: weights alpha_r * sign(W[r]), alpha_r = mean |W[r]|, no bias,
  on +-1 inputs (conv pads with 0)
  batchnorm: gamma (x - mean) / sqrt(var + eps) + beta, eps 1e-5
make: writes random weights (seeded), inputs away from 0, and two networks:
  dense.spx: x[N?] -> sign -> dense 24->16 (binary) -> bn -> sign
  conv.spx:  x[1,3,6,6] -> sign -> conv 3->8 3x3 pad1 (binary) -> bn -> maxpool2 -> sign
check: compares spx-run's output (one row per sample) with the reference;
prints the number of values and how many differ (all outputs are +-1).
"""
import os
import sys

import numpy as np

N = 64


def sign(x):
    return np.where(x >= 0, 1.0, -1.0)


def binarize(w):
    a = np.abs(w.astype(np.float64)).reshape(w.shape[0], -1).mean(axis=1)
    return a.reshape((-1,) + (1,) * (w.ndim - 1)) * sign(w)


def bn(x, d, p):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    g, b, m, v = (d[p + k].astype(np.float64).reshape(shape) for k in ("gamma", "beta", "mean", "var"))
    return g * (x - m) / np.sqrt(v + 1e-5) + b


def conv3x3(x, w):
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return out


def maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def load(d):
    return {f[:-4]: np.load(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".npy")}


def reference(which, d):
    if which == "dense":
        h = sign(d["x_dense"].astype(np.float64))
        h = h @ binarize(d["wd"]).T
        return sign(bn(h, d, "bnd_"))
    h = sign(d["x_conv"].astype(np.float64))
    h = conv3x3(h, binarize(d["wc"]))
    return sign(maxpool2(bn(h, d, "bnc_"))).reshape(N, -1)


def away_from_zero(rng, shape):
    return (rng.uniform(0.25, 1.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(np.float32)


def make(d):
    rng = np.random.default_rng(7)
    os.makedirs(d, exist_ok=True)
    arrays = {
        "x_dense": away_from_zero(rng, (N, 24)),
        "x_conv": away_from_zero(rng, (N, 3, 6, 6)),
        "wd": rng.normal(0, 1, (16, 24)).astype(np.float32),
        "wc": rng.normal(0, 1, (8, 3, 3, 3)).astype(np.float32),
    }
    for p, c in (("bnd_", 16), ("bnc_", 8)):
        gamma = rng.uniform(0.5, 1.5, c) * rng.choice([-1.0, 1.0], c)  # negative gammas flip rows
        arrays[p + "gamma"] = gamma.astype(np.float32)
        arrays[p + "beta"] = rng.normal(0, 0.3, c).astype(np.float32)
        arrays[p + "mean"] = rng.normal(0, 1.5, c).astype(np.float32)
        arrays[p + "var"] = rng.uniform(0.5, 4, c).astype(np.float32)
    for k, v in arrays.items():
        np.save(os.path.join(d, k + ".npy"), v)
    bnargs = lambda p: (f'gamma="{p}gamma.npy", beta="{p}beta.npy", mean="{p}mean.npy", '
                        f'var="{p}var.npy"')
    with open(os.path.join(d, "dense.spx"), "w") as f:
        f.write(f"""network bd {{
  input x : f32[1, 24]
  s0 = sign(x)
  d  = dense(s0, weights="wd.npy", units=16)
  b  = batchnorm(d, {bnargs("bnd_")})
  s1 = sign(b)
  output s1
}}
compile bd {{
  quantize int8 calibrate="x_dense.npy"
  quantize d : binary
}}
""")
    with open(os.path.join(d, "conv.spx"), "w") as f:
        f.write(f"""network bc {{
  input x : f32[1, 3, 6, 6]
  s0 = sign(x)
  c  = conv2d(s0, weights="wc.npy", kernel=3, pad=1)
  b  = batchnorm(c, {bnargs("bnc_")})
  p  = maxpool(b, size=2)
  s1 = sign(p)
  output s1
}}
compile bc {{
  quantize int8 calibrate="x_conv.npy"
  quantize c : binary
}}
""")
    # the calibration file is the inputs themselves: [N, ...] samples
    np.save(os.path.join(d, "x_dense.npy"), arrays["x_dense"])


def check(d, which, out):
    ref = reference(which, load(d))
    got = np.load(out).astype(np.float64).reshape(ref.shape)
    # the margin of the closest pre-activation to its threshold, so that a
    # difference could be told from a tie
    print(f"{ref.size} values, {int(np.count_nonzero(ref != got))} differ")


if sys.argv[1] == "make":
    make(sys.argv[2])
else:
    check(sys.argv[2], sys.argv[3], sys.argv[4])
