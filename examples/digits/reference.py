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

Binary models (mlp_bin/, cnn_bin/; `forward("mlp_bin", x)`, `mlp_bin_forward`,
`cnn_bin_forward`), the semantics the compiler implements:
  sign(x)      +1 where x >= 0, else -1 (0 maps to +1), elementwise
  binary layer (conv2d or dense, no bias): effective weight alpha_o x sign(W[o])
               with alpha_o = mean |W[o]| over all weights of output channel o,
               in float64 from the committed float32 latent weights W
               (binarize); its input is the output of a sign (+-1), conv pads
               with 0
  batchnorm    gamma x (x - mean) / sqrt(var + eps) + beta, eps = 1e-5, the
               committed running statistics (float32 [C])
The first and last layers are ordinary float layers (with bias).
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

MLP_FILES = ("fc1_w", "fc1_b", "fc2_w", "fc2_b")
CNN_FILES = ("conv1_w", "conv1_b", "conv2_w", "conv2_b", "fc1_w", "fc1_b")
BN_FIELDS = ("gamma", "beta", "mean", "var")
BN_EPS = 1e-5


def _bn_files(*names):
    return tuple(f"{n}_{f}" for n in names for f in BN_FIELDS)


MLP_BIN_FILES = ("fc1_w", "fc1_b", "fc2_w", "fc3_w", "fc3_b") + _bn_files("bn1", "bn2")
CNN_BIN_FILES = ("conv1_w", "conv1_b", "conv2_w", "conv3_w", "fc1_w", "fc1_b") \
    + _bn_files("bn1", "bn2", "bn3")
# The binary layers of each binary model (weights alpha x sign(W), no bias).
BINARY_LAYERS = {"mlp_bin": ("fc2",), "cnn_bin": ("conv2", "conv3")}
FILES = {"mlp": MLP_FILES, "cnn": CNN_FILES,
         "mlp_bin": MLP_BIN_FILES, "cnn_bin": CNN_BIN_FILES}


def load(kind, root=HERE):
    """Load the weights of 'mlp', 'cnn', 'mlp_bin' or 'cnn_bin' as a dict
    name -> float32 array."""
    return {n: np.load(os.path.join(root, kind, n + ".npy")) for n in FILES[kind]}


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


def sign(x):
    """+1 where x >= 0 (0 maps to +1), else -1."""
    return np.where(np.asarray(x) >= 0, 1.0, -1.0)


def binary_alpha(w):
    """alpha_o = mean |W[o]| over output channel o, float64 [O], computed
    from the (float32) latent weight."""
    w = np.asarray(w, np.float64)
    return np.abs(w).reshape(len(w), -1).mean(axis=1)


def binarize(w):
    """Effective weight of a binary layer: alpha_o x sign(W[o]), float64."""
    a = binary_alpha(w)
    return a.reshape((-1,) + (1,) * (np.ndim(w) - 1)) * sign(w)


def batchnorm(x, p, name, eps=BN_EPS):
    """Inference batchnorm over axis 1 with the committed statistics
    p[name + '_gamma' / '_beta' / '_mean' / '_var']."""
    shape = (1, -1) + (1,) * (np.ndim(x) - 2)
    g, b, m, v = (np.asarray(p[f"{name}_{f}"], np.float64).reshape(shape) for f in BN_FIELDS)
    return g * (np.asarray(x, np.float64) - m) / np.sqrt(v + eps) + b


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


def mlp_bin_forward(x, weights=None):
    """digits_mlp_bin: dense 64->128 (float), bn1, sign, dense 128->128
    (binary), bn2, sign, dense 128->10 (float).  x [N,64] or [N,1,8,8]."""
    p = weights if weights is not None else load("mlp_bin")
    h = flatten(np.asarray(x, np.float64))
    h = sign(batchnorm(dense(h, p["fc1_w"], p["fc1_b"]), p, "bn1"))
    h = sign(batchnorm(dense(h, binarize(p["fc2_w"])), p, "bn2"))
    return dense(h, p["fc3_w"], p["fc3_b"])


def cnn_bin_forward(x, weights=None):
    """digits_cnn_bin: conv 1->16 3x3 pad1 (float), bn1, sign, conv 16->32
    (binary), bn2, maxpool2, sign, conv 32->32 (binary), bn3, maxpool2, sign,
    flatten (NCHW, 128), dense 128->10 (float).  x [N,1,8,8] (or [N,64]).
    (maxpool before sign: sign is monotonic, so the order does not change
    the result.)"""
    p = weights if weights is not None else load("cnn_bin")
    h = np.asarray(x, np.float64).reshape(-1, 1, 8, 8)
    h = sign(batchnorm(conv2d(h, p["conv1_w"], p["conv1_b"], pad=1), p, "bn1"))
    h = sign(maxpool(batchnorm(conv2d(h, binarize(p["conv2_w"]), pad=1), p, "bn2"), 2))
    h = sign(maxpool(batchnorm(conv2d(h, binarize(p["conv3_w"]), pad=1), p, "bn3"), 2))
    return dense(flatten(h), p["fc1_w"], p["fc1_b"])


FORWARD = {"mlp": mlp_forward, "cnn": cnn_forward,
           "mlp_bin": mlp_bin_forward, "cnn_bin": cnn_bin_forward}


def forward(kind, x, weights=None):
    return FORWARD[kind](x, weights)


def accuracy(kind, x, y, weights=None):
    return float(np.mean(np.argmax(forward(kind, x, weights), axis=1) == y))
