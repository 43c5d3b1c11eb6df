"""Checks fold-batchnorm numerically: numpy forward of the original layers
(conv/dense then batchnorm) against the same layers with the folded weights
spxc wrote with --dump-weights. Usage: check_bnfold.py INPUTS DUMPDIR"""
import sys
import numpy as np

src, dump = sys.argv[1], sys.argv[2]
load = lambda d, n: np.load(f"{d}/{n}.npy").astype(np.float64)


def conv2d(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y + b[None, :, None, None]


def bn(y, g, be, m, v, eps):
    shape = (1, -1) + (1,) * (y.ndim - 2)
    return (y - m.reshape(shape)) / np.sqrt(v.reshape(shape) + eps) * g.reshape(shape) + be.reshape(shape)


rng = np.random.default_rng(1)
x = rng.normal(size=(2, 3, 6, 6))
ref = bn(conv2d(x, load(src, "conv_w"), load(src, "conv_b"), 2, 1),
         load(src, "gamma"), load(src, "beta"), load(src, "mean"), load(src, "var"), 1e-3)
got = conv2d(x, load(dump, "conv.weight.bnfold"), load(dump, "conv.bias.bnfold"), 2, 1)
err = np.abs(ref - got).max()
assert err < 1e-5 * max(1.0, np.abs(ref).max()), f"conv fold error {err}"
print(f"conv+batchnorm max abs error {err:.3g} ok")

f = rng.normal(size=(2, 36))
w = load(src, "fc_w")
ref = bn(f @ w.T, load(src, "gamma2"), load(src, "beta2"), load(src, "mean2"), load(src, "var2"), 1e-5)
got = f @ load(dump, "fc.weight.bnfold").T + load(dump, "fc.bias.bnfold")
err = np.abs(ref - got).max()
assert err < 1e-5 * max(1.0, np.abs(ref).max()), f"dense fold error {err}"
print(f"dense+batchnorm max abs error {err:.3g} ok")
