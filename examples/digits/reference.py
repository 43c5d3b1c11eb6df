"""Float reference forward passes for the digits examples (numpy only).

Runs the committed weights (examples/digits/mlp/*.npy, cnn/*.npy) exactly as
mlp.spx / cnn.spx describe them and returns logits.  Tests use this as the
float model against which compiled (quantized / sparsified) results are
compared.  Arithmetic is float64 internally (order-independent to ~1e-12);
the result is returned as float64 [N, 10].

    import sys; sys.path.insert(0, "examples/digits")
    import reference
    x = numpy.load("examples/digits/data/test_x.npy")       # [N,1,8,8] f32
    logits = reference.cnn_forward(x)                       # [N,10]
    logits = reference.mlp_forward(x)                       # accepts [N,64] too

Layouts: conv weights OIHW, dense weights [out, in], biases [out].
flatten is NCHW row-major (C, then H, then W), like the .spx `flatten`.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

MLP_FILES = ("fc1_w", "fc1_b", "fc2_w", "fc2_b")
CNN_FILES = ("conv1_w", "conv1_b", "conv2_w", "conv2_b", "fc1_w", "fc1_b")


def load(kind, root=HERE):
    """Load the weights of 'mlp' or 'cnn' as a dict name -> float32 array."""
    names = MLP_FILES if kind == "mlp" else CNN_FILES
    return {n: np.load(os.path.join(root, kind, n + ".npy")) for n in names}


# ---------------------------------------------------------------- layers
def conv2d(x, w, b=None, stride=1, pad=0):
    """x [N,C,H,W], w OIHW [F,C,kh,kw] (groups=1) -> [N,F,Ho,Wo]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    f, c, kh, kw = w.shape
    assert x.shape[1] == c, (x.shape, w.shape)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]              # [N,C,Ho,Wo,kh,kw]
    y = np.einsum("nchwij,fcij->nfhw", win, w, optimize=True)
    if b is not None:
        y = y + np.asarray(b, np.float64)[None, :, None, None]
    return y


def maxpool(x, size=2, stride=None):
    """Max pool without padding, floor output size."""
    stride = size if stride is None else stride
    win = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return win[:, :, ::stride, ::stride].max(axis=(4, 5))


def dense(x, w, b=None):
    """x [N,F], w [units,F] -> [N,units]."""
    y = np.asarray(x, np.float64) @ np.asarray(w, np.float64).T
    if b is not None:
        y = y + np.asarray(b, np.float64)
    return y


def relu(x):
    return np.maximum(x, 0.0)


def flatten(x):
    return x.reshape(x.shape[0], -1)


# ---------------------------------------------------------------- models
def mlp_forward(x, weights=None):
    """digits_mlp: dense 64->32, relu, dense 32->10.  x [N,64] or [N,1,8,8]."""
    p = weights if weights is not None else load("mlp")
    h = flatten(np.asarray(x, np.float64))
    h = relu(dense(h, p["fc1_w"], p["fc1_b"]))
    return dense(h, p["fc2_w"], p["fc2_b"])


def cnn_forward(x, weights=None):
    """digits_cnn: conv3x3(8) relu maxpool2, conv3x3(16) relu maxpool2,
    flatten(64), dense 64->10.  x [N,1,8,8] (or [N,64])."""
    p = weights if weights is not None else load("cnn")
    h = np.asarray(x, np.float64).reshape(-1, 1, 8, 8)
    h = maxpool(relu(conv2d(h, p["conv1_w"], p["conv1_b"], pad=1)), 2)
    h = maxpool(relu(conv2d(h, p["conv2_w"], p["conv2_b"], pad=1)), 2)
    return dense(flatten(h), p["fc1_w"], p["fc1_b"])


def forward(kind, x, weights=None):
    return (mlp_forward if kind == "mlp" else cnn_forward)(x, weights)


def accuracy(kind, x, y, weights=None):
    return float(np.mean(np.argmax(forward(kind, x, weights), axis=1) == y))
