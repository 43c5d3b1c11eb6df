#!/usr/bin/python3
"""Train the digits examples (numpy only) and write their weights and data.

    /usr/bin/python3 examples/digits/train.py           # train, write files
    /usr/bin/python3 examples/digits/train.py --check   # re-verify committed files
    /usr/bin/python3 examples/digits/train.py --block-sparse
        # fine-tune the committed mlp/cnn with a fixed 50% 8x8 block mask
    /usr/bin/python3 examples/digits/train.py --ternary
        # fine-tune the committed mlp/cnn to (8,2) structured sparse ternary
    /usr/bin/python3 examples/digits/train.py --binary
        # train the binary mlp_bin/cnn_bin from scratch (about 3.5 min)

Data: the UCI "optical recognition of handwritten digits" 8x8 set as shipped by
Debian's python3-sklearn (sklearn/datasets/data/digits.csv.gz: 1797 rows of 64
pixels 0..16 and a label).  Training needs that file; --check and the tests
only use the committed .npy files.

Deterministic: fixed seed, single-threaded BLAS, fixed stratified split
(36 test images per class = 360 test, 1437 train), inputs scaled pixel/16.

Models (layouts: conv OIHW float32, dense [out, in] float32, bias [out]):
  mlp: dense 64->32, relu, dense 32->10
  cnn: conv 1->8 3x3 pad1, relu, maxpool2, conv 8->16 3x3 pad1, relu, maxpool2,
       flatten (NCHW order, 64), dense 64->10
Hand-written forward/backward (im2col), Adam, softmax cross-entropy.

Outputs (relative to this folder):
  data/test_x.npy       float32 [360,1,8,8]   test images, pixel/16
  data/test_x_flat.npy  float32 [360,64]      same, flattened (MLP input)
  data/test_y.npy       int32   [360]         labels
  data/calib.npy        float32 [64,1,8,8]    calibration images (training set)
  data/calib_flat.npy   float32 [64,64]       same, flattened (MLP calibration)
  mlp/fc1_w.npy [32,64] fc1_b [32] fc2_w [10,32] fc2_b [10]
  cnn/conv1_w [8,1,3,3] conv1_b [8] conv2_w [16,8,3,3] conv2_b [16]
      fc1_w [10,64] fc1_b [10]
  accuracy.json, ACCURACY.md   float test accuracy measured with reference.py

Block-sparse variants (--block-sparse; D'Alberto et al., arXiv 2407.09453): starting from the
committed mlp/ and cnn/ weights, a one-shot 8x8 block mask per layer (blocks
of 8 output x 8 input channels, x 3x3 taps for conv; channel counts padded
to 8 with zeros), scored by L2 norm, keeping ceil(50%) of the blocks; the
first layer stays dense; blocks are dropped in ascending score order but
never the last one of a block row or column (no channel pruning), the rule
of passes/block_sparsify.c.  Then BSP_HP fine-tuning with the mask applied
after every Adam step.  With these small layers only mlp fc2 [10,32] (2x4
blocks) and cnn fc1 [10,64] (2x8 blocks) lose blocks: cnn conv2 [16,8,3,3]
has one block column, so every block is the last of its row.
  mlp_bsp/*.npy, cnn_bsp/*.npy   same names and shapes as mlp/, cnn/
  accuracy.json keys mlp_bsp, cnn_bsp; rows in ACCURACY.md

Structured sparse ternary variants (--ternary; the format of the compiler's
`sparsify ... : ternary(n=8, k=2)`): starting from the committed mlp/ and cnn/
weights, the ternary layers (TERN_LAYERS: mlp fc1, cnn conv2; the others are
fine-tuned as float and stay int8 when compiled) are fine-tuned to weights
alpha x {-1, 0, +1}, alpha per output channel, with at most k = 2 non-zeros in
every group of n = 8 consecutive input channels at a fixed (output channel,
ky, kx) (the ragged last group of a tap too).  The forward pass uses the
projection of the latent float weights (ternary_project, the compiler's:
per group the k largest |w|, fewer where |w| < alpha / 2, alpha = mean |w|
kept in the channel, support and alpha alternated `iters` times), after
normalising each output channel to zero mean / unit std (scaled back by the
std, so alpha keeps the layer's scale); straight-through estimator: the
gradient of the projected weight updates the latent one.  Gradual pruning:
the non-zeros allowed per group fall from n to k, cubic, over the first
`ramp` epochs (TERN_HP).  The exported weights are exactly float32 alpha x
{-1, 0, +1}: the projection maps them onto themselves (--check verifies it),
so the compiler encodes them with MSE 0.
  mlp_tern/*.npy, cnn_tern/*.npy   same names and shapes as mlp/, cnn/
  accuracy.json keys mlp_tern, cnn_tern (posttrain_accuracy: the projection
  applied to mlp/, cnn/ without fine-tuning); rows in ACCURACY.md

Binary models (--binary; weights and activations in {-1, +1}, for crossbar
compute-in-memory arrays): trained from scratch, not from mlp/, cnn/.  The
semantics (reference.py: mlp_bin_forward, cnn_bin_forward) are the compiler's:
sign(x) = +1 where x >= 0 else -1; a binary layer (conv2d or dense, no bias)
computes with alpha_o x sign(W[o]), alpha_o = mean |W[o]| over output channel
o (float64 from the float32 latent W), on the +-1 output of a sign (conv pads
with 0); batchnorm gamma (x - mean) / sqrt(var + 1e-5) + beta with running
statistics; first and last layers are float (with bias; int8 when compiled).
  mlp_bin: dense 64->128 (fc1), bn1, sign, dense 128->128 (fc2, binary), bn2,
           sign, dense 128->10 (fc3)
  cnn_bin: conv 1->16 3x3 pad1 (conv1), bn1, sign, conv 16->32 3x3 pad1
           (conv2, binary), bn2, maxpool2, sign, conv 32->32 3x3 pad1 (conv3,
           binary), bn3, maxpool2, sign, flatten (NCHW, 128), dense 128->10
           (fc1).  maxpool sits before sign; sign is monotonic, so pooling
           after it would give the same +-1 values.
  (fc1's / conv1's bias is redundant before bn1, kept so that the float
  layers have the usual layout; it stays ~0.)
Training (BIN_HP): straight-through estimator, sign's gradient 1 where
|x| <= 1 else 0; the gradient of alpha x sign(W) is passed unchanged to the
latent W (own learning rate lr_bin, no weight decay), which is clipped to
[-1, 1] after every step; Adam, cosine learning rate, softmax cross-entropy;
batchnorm with batch statistics (biased variance) while training, running
statistics updated with momentum bn_momentum (unbiased batch variance,
PyTorch's convention); then (recalibrate) every batchnorm's mean and biased
variance recomputed in one batch-statistics pass over the whole training set
through the final float32 weights (each batchnorm's input normalised by the
statistics recorded for the layers before it; these are the committed
statistics, so the momentum only matters while training).  The
full-precision twin (same architecture and training, relu for sign, W for
alpha x sign(W); weights not committed) gives the comparison accuracy.
  mlp_bin/ fc1_w [128,64] fc1_b [128] fc2_w [128,128] (latent) fc3_w [10,128]
           fc3_b [10]; bn1_*, bn2_* [128]
  cnn_bin/ conv1_w [16,1,3,3] conv1_b [16] conv2_w [32,16,3,3] (latent)
           conv3_w [32,32,3,3] (latent) fc1_w [10,128] fc1_b [10];
           bn1_* [16], bn2_*, bn3_* [32]
  (bn<i>_* = bn<i>_gamma, _beta, _mean, _var, float32.)  The binary layers'
  files hold the latent float weights: the compiler computes sign and alpha.
  accuracy.json keys mlp_bin, cnn_bin (full_precision_accuracy: the twin),
  bin_hyperparameters; rows in ACCURACY.md.  --check verifies dtype/shape,
  alpha > 0 in every output channel of a binary layer, and the accuracy.
"""
import os
import sys

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import gzip  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference  # noqa: E402

DATA_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
SEED = 20240901
TEST_PER_CLASS = 36
N_CALIB = 64
HP = {
    "mlp": dict(epochs=60, batch=32, lr=3e-3, weight_decay=1e-4),
    "cnn": dict(epochs=40, batch=32, lr=3e-3, weight_decay=1e-4),
}
BSP_HP = dict(epochs=20, batch=32, lr=2e-3, weight_decay=1e-4, density=0.5)
FIRST_LAYER = {"mlp": "fc1_w", "cnn": "conv1_w"}
TERN_HP = dict(epochs=80, ramp=20, batch=32, lr=2e-3, weight_decay=1e-4, n=8, k=2, iters=3)
TERN_LAYERS = {"mlp": ("fc1_w",), "cnn": ("conv2_w",)}
BIN_HP = {
    "mlp_bin": dict(hidden=128, epochs=100, batch=32, lr=3e-3, lr_bin=3e-3, weight_decay=1e-4,
                    bn_momentum=0.1, recalibrate=True),
    "cnn_bin": dict(hidden=(16, 32, 32), epochs=60, batch=32, lr=3e-3, lr_bin=3e-3,
                    weight_decay=1e-4, bn_momentum=0.1, recalibrate=True),
}


# ------------------------------------------------------------------ data
def load_digits(path):
    with gzip.open(path, "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
    assert raw.shape == (1797, 65), raw.shape
    x = (raw[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = raw[:, 64].astype(np.int32)
    return x, y


def split(y, rng):
    test = []
    for c in range(10):
        idx = np.flatnonzero(y == c)
        test.extend(rng.permutation(idx)[:TEST_PER_CLASS])
    test = np.sort(np.array(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


# ------------------------------------------------------------------ layers
def im2col3(x):
    """x [N,C,H,W] -> cols [N*H*W, C*9] for a 3x3 stride-1 pad-1 conv."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + w]
                     for i in range(3) for j in range(3)], axis=-1)
    return cols.transpose(0, 2, 3, 1, 4).reshape(n * h * w, c * 9)


def col2im3(dcols, shape):
    n, c, h, w = shape
    d = dcols.reshape(n, h, w, c, 9).transpose(0, 3, 1, 2, 4)
    dxp = np.zeros((n, c, h + 2, w + 2), dcols.dtype)
    k = 0
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + w] += d[..., k]
            k += 1
    return dxp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, b):
    n, c, h, wd = x.shape
    f = w.shape[0]
    cols = im2col3(x)
    y = cols @ w.reshape(f, -1).T + b
    return y.reshape(n, h, wd, f).transpose(0, 3, 1, 2), cols


def conv_bwd(dy, cols, w, xshape, need_dx):
    f = w.shape[0]
    dyc = dy.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (dyc.T @ cols).reshape(w.shape)
    db = dyc.sum(0)
    dx = col2im3(dyc @ w.reshape(f, -1), xshape) if need_dx else None
    return dx, dw, db


def pool_fwd(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    r = r.reshape(n, c, h // 2, w // 2, 4)
    arg = r.argmax(-1)
    return np.take_along_axis(r, arg[..., None], -1)[..., 0], arg


def pool_bwd(dy, arg, xshape):
    n, c, h, w = xshape
    d = np.zeros((n, c, h // 2, w // 2, 4), dy.dtype)
    np.put_along_axis(d, arg[..., None], dy[..., None], -1)
    d = d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return d.reshape(xshape)


def softmax_xent(logits, y):
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y] + 1e-12).mean()
    d = p
    d[np.arange(n), y] -= 1.0
    return loss, d / n


# ------------------------------------------------------------------ models
def he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float64)


def init(kind, rng):
    if kind == "mlp":
        return {"fc1_w": he(rng, (32, 64), 64), "fc1_b": np.zeros(32),
                "fc2_w": he(rng, (10, 32), 32), "fc2_b": np.zeros(10)}
    return {"conv1_w": he(rng, (8, 1, 3, 3), 9), "conv1_b": np.zeros(8),
            "conv2_w": he(rng, (16, 8, 3, 3), 72), "conv2_b": np.zeros(16),
            "fc1_w": he(rng, (10, 64), 64), "fc1_b": np.zeros(10)}


def mlp_step(p, x, y):
    x = x.reshape(len(x), -1)
    h1 = x @ p["fc1_w"].T + p["fc1_b"]
    a1 = np.maximum(h1, 0)
    out = a1 @ p["fc2_w"].T + p["fc2_b"]
    loss, d = softmax_xent(out, y)
    g = {"fc2_w": d.T @ a1, "fc2_b": d.sum(0)}
    da = (d @ p["fc2_w"]) * (h1 > 0)
    g["fc1_w"] = da.T @ x
    g["fc1_b"] = da.sum(0)
    return loss, g


def cnn_step(p, x, y):
    c1, cols1 = conv_fwd(x, p["conv1_w"], p["conv1_b"])
    r1 = np.maximum(c1, 0)
    q1, arg1 = pool_fwd(r1)
    c2, cols2 = conv_fwd(q1, p["conv2_w"], p["conv2_b"])
    r2 = np.maximum(c2, 0)
    q2, arg2 = pool_fwd(r2)
    f = q2.reshape(len(x), -1)
    out = f @ p["fc1_w"].T + p["fc1_b"]
    loss, d = softmax_xent(out, y)
    g = {"fc1_w": d.T @ f, "fc1_b": d.sum(0)}
    df = (d @ p["fc1_w"]).reshape(q2.shape)
    dr2 = pool_bwd(df, arg2, r2.shape) * (c2 > 0)
    dq1, g["conv2_w"], g["conv2_b"] = conv_bwd(dr2, cols2, p["conv2_w"],
                                               q1.shape, True)
    dr1 = pool_bwd(dq1, arg1, r1.shape) * (c1 > 0)
    _, g["conv1_w"], g["conv1_b"] = conv_bwd(dr1, cols1, p["conv1_w"],
                                             x.shape, False)
    return loss, g


def train(kind, x, y, rng, start=None, masks=None, hp=None, proj=None):
    """Adam from init (or from the weights `start`); masks (name -> 0/1
    array) are applied to the weights after every step; proj (name ->
    f(latent, epoch)) gives the weight the forward pass uses instead of the
    latent one, whose gradient updates the latent weight unchanged
    (straight-through estimator)."""
    hp = HP[kind] if hp is None else hp
    p = init(kind, rng) if start is None else {
        k: np.array(v, dtype=np.float64) for k, v in start.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step_fn = mlp_step if kind == "mlp" else cnn_step
    x = x.astype(np.float64)
    t = 0
    for ep in range(hp["epochs"]):
        lr = hp["lr"] * 0.5 * (1 + np.cos(np.pi * ep / hp["epochs"]))  # cosine
        order = rng.permutation(len(x))
        tot = 0.0
        for s in range(0, len(x), hp["batch"]):
            idx = order[s:s + hp["batch"]]
            q = p if not proj else {
                k: (proj[k](val, ep) if k in proj else val) for k, val in p.items()}
            loss, g = step_fn(q, x[idx], y[idx])
            tot += loss * len(idx)
            t += 1
            for k in p:
                gk = g[k] + (hp["weight_decay"] * p[k] if k.endswith("_w") else 0)
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                p[k] -= lr * mh / (np.sqrt(vh) + eps)
                if masks and k in masks:
                    p[k] *= masks[k]
        if ep % 10 == 9 or ep == hp["epochs"] - 1:
            print(f"  {kind} epoch {ep + 1:3d}  loss {tot / len(x):.4f}")
    return {k: np.ascontiguousarray(val, dtype=np.float32) for k, val in p.items()}


# ------------------------------------------------------------------ io
def save(rel, arr):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(arr))


def measure(kind, x, y, weights=None):
    pred = np.argmax(reference.forward(kind, x, weights), axis=1)
    correct = int((pred == y).sum())
    return {"correct": correct, "total": int(len(y)),
            "accuracy": round(correct / len(y), 6)}


def write_accuracy(acc):
    with open(os.path.join(HERE, "accuracy.json"), "w") as f:
        json.dump(acc, f, indent=2, sort_keys=True)
        f.write("\n")
    lines = [
        "# Digits examples: float test accuracy",
        "",
        "Measured by `train.py` with `reference.py` (float64 forward pass of the",
        "committed float32 weights) on `data/test_x.npy` / `data/test_y.npy`.",
        "Re-verify without training: `/usr/bin/python3 examples/digits/train.py --check`.",
        "",
        "| model | test accuracy | correct / total |",
        "|-------|---------------|-----------------|",
    ]
    for k in ("mlp", "cnn"):
        a = acc[k]
        lines.append(f"| {k} | {100 * a['accuracy']:.2f}% | {a['correct']} / {a['total']} |")
    lines += ["", f"Seed {acc['seed']}; hyper-parameters in `accuracy.json`.", ""]
    if "mlp_bsp" in acc:
        lines += [
            "## Block-sparse (8x8 blocks, 50% target, first layer dense)",
            "",
            "`train.py --block-sparse`: one-shot L2 block mask on the weights above,",
            "then fine-tuning with the mask fixed (hyper-parameters `bsp_hyperparameters`",
            "in `accuracy.json`). Density is the fraction of 8x8 blocks kept in each",
            "pruned layer; the others are dense.",
            "",
            "| model | float test accuracy | correct / total | dense model | pruned layers: blocks kept |",
            "|-------|---------------------|-----------------|-------------|----------------------------|",
        ]
        for k in ("mlp", "cnn"):
            a, d = acc[k + "_bsp"], acc[k]
            layers = ", ".join(f"{n} {v['kept']}/{v['total']}"
                               for n, v in sorted(a["blocks"].items()) if v["kept"] < v["total"])
            lines.append(f"| {k}_bsp | {100 * a['accuracy']:.2f}% | {a['correct']} / {a['total']} "
                         f"| {100 * d['accuracy']:.2f}% | {layers} |")
        lines += ["", "One-shot mask before fine-tuning: "
                  + ", ".join(f"{k}_bsp {100 * acc[k + '_bsp']['oneshot_accuracy']:.2f}%"
                              for k in ("mlp", "cnn")) + ".", ""]
    if "mlp_tern" in acc:
        hp = acc["tern_hyperparameters"]
        lines += [
            f"## Structured sparse ternary ((N, K) = ({hp['n']}, {hp['k']}))",
            "",
            "`train.py --ternary`: fine-tuning of the weights above to ternary weights",
            f"(alpha x {{-1, 0, +1}}, alpha per output channel, at most {hp['k']} non-zeros in",
            f"every {hp['n']} consecutive input channels at a fixed output channel and tap) in",
            "the ternary layers; the others are fine-tuned as float (int8 when compiled).",
            "Straight-through estimator on latent float weights, normalised per output",
            "channel (zero mean, unit std) before the projection of the compiler's",
            f"ternary pass; non-zeros per group allowed {hp['n']} down to {hp['k']} (cubic, over",
            f"{hp['ramp']} of {hp['epochs']} epochs; hyper-parameters `tern_hyperparameters` in",
            "`accuracy.json`). Post-training: the same projection applied to the float",
            "model's layers without fine-tuning.",
            "",
            "| model | float test accuracy | correct / total | float model | post-training ternary | ternary layers: non-zero weights |",
            "|-------|---------------------|-----------------|-------------|-----------------------|----------------------------------|",
        ]
        for k in ("mlp", "cnn"):
            a, d = acc[k + "_tern"], acc[k]
            layers = ", ".join(f"{n} {v['nonzero']}/{v['weights']}"
                               for n, v in sorted(a["layers"].items()))
            lines.append(f"| {k}_tern | {100 * a['accuracy']:.2f}% | {a['correct']} / {a['total']} "
                         f"| {100 * d['accuracy']:.2f}% | {100 * a['posttrain_accuracy']:.2f}% | {layers} |")
        lines.append("")
    if "mlp_bin" in acc:
        mom = acc["bin_hyperparameters"]["mlp_bin"]["bn_momentum"]
        lines += [
            "## Binary (weights and activations in {-1, +1})",
            "",
            "`train.py --binary`: separate models trained from scratch (not fine-tuned from",
            "the weights above). Binary layers (no bias) use alpha x sign(W), alpha = mean |W|",
            "per output channel, on the +-1 output of a sign (sign(0) = +1); a batchnorm",
            "(eps 1e-5, running statistics) follows every binary and first layer; the first",
            "and last layers are float (int8 when compiled).",
            "mlp_bin: dense 64->128, bn1, sign, dense 128->128 (binary), bn2, sign, dense 128->10.",
            "cnn_bin: conv 1->16, bn1, sign, conv 16->32 (binary), bn2, maxpool 2, sign,",
            "conv 32->32 (binary), bn3, maxpool 2, sign, flatten (128), dense 128->10 (3x3 pad 1).",
            "Straight-through estimator (sign: gradient 1 where |x| <= 1; alpha x sign(W):",
            "gradient passed to the latent W, clipped to [-1, 1] after every Adam step),",
            f"batch statistics while training (running statistics momentum {mom}), then every",
            "batchnorm's statistics recomputed over the whole training set; hyper-parameters",
            "`bin_hyperparameters` in `accuracy.json`. Full-precision twin: the same",
            "architecture and training with relu for sign and W for alpha x sign(W) (its",
            "weights are not committed).",
            "",
            "| model | float test accuracy | correct / total | train accuracy | full-precision twin | binary layers: weights |",
            "|-------|---------------------|-----------------|----------------|---------------------|------------------------|",
        ]
        for k in ("mlp_bin", "cnn_bin"):
            a = acc[k]
            layers = ", ".join(f"{n} {v['weights']}" for n, v in sorted(a["binary_layers"].items()))
            lines.append(f"| {k} | {100 * a['accuracy']:.2f}% | {a['correct']} / {a['total']} "
                         f"| {100 * a['train_accuracy']:.2f}% | {100 * a['full_precision_accuracy']:.2f}% "
                         f"| {layers} |")
        lines.append("")
    with open(os.path.join(HERE, "ACCURACY.md"), "w") as f:
        f.write("\n".join(lines))


EXPECTED = {
    "data/test_x.npy": (np.float32, (360, 1, 8, 8)),
    "data/test_x_flat.npy": (np.float32, (360, 64)),
    "data/test_y.npy": (np.int32, (360,)),
    "data/calib.npy": (np.float32, (N_CALIB, 1, 8, 8)),
    "data/calib_flat.npy": (np.float32, (N_CALIB, 64)),
    "mlp/fc1_w.npy": (np.float32, (32, 64)), "mlp/fc1_b.npy": (np.float32, (32,)),
    "mlp/fc2_w.npy": (np.float32, (10, 32)), "mlp/fc2_b.npy": (np.float32, (10,)),
    "cnn/conv1_w.npy": (np.float32, (8, 1, 3, 3)), "cnn/conv1_b.npy": (np.float32, (8,)),
    "cnn/conv2_w.npy": (np.float32, (16, 8, 3, 3)), "cnn/conv2_b.npy": (np.float32, (16,)),
    "cnn/fc1_w.npy": (np.float32, (10, 64)), "cnn/fc1_b.npy": (np.float32, (10,)),
}


EXPECTED_BIN = {f"mlp_bin/{n}.npy": (np.float32, s) for n, s in (
    ("fc1_w", (128, 64)), ("fc1_b", (128,)), ("fc2_w", (128, 128)),
    ("fc3_w", (10, 128)), ("fc3_b", (10,)))}
EXPECTED_BIN.update({f"mlp_bin/bn{i}_{f}.npy": (np.float32, (128,))
                     for i in (1, 2) for f in reference.BN_FIELDS})
EXPECTED_BIN.update({f"cnn_bin/{n}.npy": (np.float32, s) for n, s in (
    ("conv1_w", (16, 1, 3, 3)), ("conv1_b", (16,)), ("conv2_w", (32, 16, 3, 3)),
    ("conv3_w", (32, 32, 3, 3)), ("fc1_w", (10, 128)), ("fc1_b", (10,)))})
EXPECTED_BIN.update({f"cnn_bin/bn{i}_{f}.npy": (np.float32, (c,))
                     for i, c in ((1, 16), (2, 32), (3, 32)) for f in reference.BN_FIELDS})


def block_grid(w):
    """[rows, cols] of 8x8 blocks of a weight (OIHW or [M][K]), padded."""
    return -(-w.shape[0] // 8), -(-w.shape[1] // 8)


def block_norms(w):
    """L2 norm of every 8x8 block (x taps), zero padding -> [R, C]."""
    r, c = block_grid(w)
    pad = np.zeros((r * 8, c * 8) + w.shape[2:], np.float64)
    pad[:w.shape[0], :w.shape[1]] = w
    pad = pad.reshape(r, 8, c, 8, -1)
    return np.sqrt((pad ** 2).sum(axis=(1, 3, 4)))


def block_mask(w, density):
    """One-shot mask: ascending L2 (ties: block-row-major index), keep
    ceil(density * blocks), never drop the last block of a row or column.
    Returns the [R, C] 0/1 block mask."""
    norms = block_norms(w)
    r, c = norms.shape
    keep = max(1, int(np.ceil(density * r * c - 1e-9)))
    m = np.ones((r, c), np.int64)
    for i in sorted(range(r * c), key=lambda i: (norms.flat[i], i)):
        if m.sum() <= keep:
            break
        br, bc = divmod(i, c)
        if m[br].sum() <= 1 or m[:, bc].sum() <= 1:
            continue
        m[br, bc] = 0
    return m


def expand_mask(m, shape):
    """Block mask [R, C] -> element mask of a weight's shape."""
    e = np.repeat(np.repeat(m, 8, axis=0), 8, axis=1)[:shape[0], :shape[1]]
    return e.reshape(e.shape + (1,) * (len(shape) - 2)) * np.ones(shape)


def block_sparse(x, y, tr, te):
    with open(os.path.join(HERE, "accuracy.json")) as f:
        acc = json.load(f)
    acc["bsp_hyperparameters"] = BSP_HP
    for kind in ("mlp", "cnn"):
        dense_w = reference.load(kind)
        masks, blocks = {}, {}
        for name, w in dense_w.items():
            if not name.endswith("_w"):
                continue
            if name == FIRST_LAYER[kind]:
                m = np.ones(block_grid(w), np.int64)
            else:
                m = block_mask(w, BSP_HP["density"])
            masks[name] = expand_mask(m, w.shape)
            blocks[name[:-2]] = {"kept": int(m.sum()), "total": int(m.size)}
        oneshot = {k: (v * masks[k] if k in masks else v) for k, v in dense_w.items()}
        xs = x if kind == "cnn" else x.reshape(len(x), 64)
        p = train(kind, x[tr], y[tr], np.random.default_rng([SEED, 7, ord(kind[0])]),
                  start=oneshot, masks=masks, hp=BSP_HP)
        for k in masks:
            p[k] = np.ascontiguousarray(p[k] * masks[k], dtype=np.float32)
        for name, arr in p.items():
            save(f"{kind}_bsp/{name}.npy", arr)
        a = measure(kind, xs[te], y[te], p)
        a["train_accuracy"] = measure(kind, xs[tr], y[tr], p)["accuracy"]
        a["oneshot_accuracy"] = measure(kind, xs[te], y[te], oneshot)["accuracy"]
        a["blocks"] = blocks
        acc[kind + "_bsp"] = a
        print(f"{kind}_bsp: test accuracy {100 * a['accuracy']:.2f}% ({a['correct']}/{a['total']}), "
              f"one-shot {100 * a['oneshot_accuracy']:.2f}%, blocks {blocks}")
    write_accuracy(acc)
    return check()


def tern_groups(w, n):
    """Weight (OIHW or [O, I]) -> [O, taps, ng, n]: the sub-vectors of n
    consecutive input channels at a fixed (output channel, ky, kx); the
    ragged last group of a tap is padded with zero lanes."""
    o, i = w.shape[:2]
    taps = int(np.prod(w.shape[2:], dtype=np.int64))
    ng = -(-i // n)
    g = np.zeros((o, taps, ng * n), np.float64)
    g[:, :, :i] = np.asarray(w, np.float64).reshape(o, i, taps).transpose(0, 2, 1)
    return g.reshape(o, taps, ng, n)


def tern_ungroup(g, shape):
    """Inverse of tern_groups (drops the padding lanes)."""
    o, i = shape[:2]
    t = g.reshape(o, g.shape[1], -1)[:, :, :i]
    return t.transpose(0, 2, 1).reshape(shape)


def ternary_project(w, n, k, iters=None):
    """Nearest (n, k) structured sparse ternary weight, the projection of the
    compiler's ternary pass: per group keep the k largest |w| (ties: lower
    lane first; fewer where dropping one lowers the squared error for the
    channel's alpha, i.e. |w| < alpha / 2), alpha = mean |w| over the kept
    weights of the output channel; support and alpha alternate `iters` times.
    Returns (alpha [O] float64, t int8 in {-1, 0, 1} of w's shape)."""
    iters = TERN_HP["iters"] if iters is None else iters
    a = np.abs(tern_groups(w, n))
    order = np.argsort(-a, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), a.shape), axis=-1)
    top = (rank < k) & (a > 0)

    def mean_kept(keep):
        cnt = keep.sum(axis=(1, 2, 3))
        return np.where(cnt > 0, (a * keep).sum(axis=(1, 2, 3)) / np.maximum(cnt, 1), 0.0)

    keep = top
    alpha = mean_kept(keep)
    for _ in range(iters):
        keep = top & (a >= alpha[:, None, None, None] / 2)
        alpha = mean_kept(keep)
    t = tern_ungroup(keep.astype(np.float64), w.shape) * np.sign(np.asarray(w, np.float64))
    return alpha, t.astype(np.int8)


def ternary_weight(alpha, t):
    """alpha [O] x t -> float32 weight, exactly alpha * {-1, 0, +1}."""
    a = np.asarray(alpha, np.float32).reshape((-1,) + (1,) * (t.ndim - 1))
    return np.ascontiguousarray(t.astype(np.float32) * a, dtype=np.float32)


def ternary_normalised(w, n, k):
    """Forward weight of a latent weight while fine-tuning: each output
    channel normalised to zero mean / unit std, projected, scaled back by
    the channel's std (so alpha keeps the layer's scale)."""
    w = np.asarray(w, np.float64)
    flat = w.reshape(len(w), -1)
    mu = flat.mean(1)
    sd = np.maximum(flat.std(1), 1e-12)
    shape = (-1,) + (1,) * (w.ndim - 1)
    alpha, t = ternary_project((w - mu.reshape(shape)) / sd.reshape(shape), n, k)
    return sd, alpha, t


def tern_schedule(ep):
    """Non-zeros allowed per group in epoch ep: cubic from n down to k over
    the first `ramp` epochs, then k."""
    n, k, ramp = TERN_HP["n"], TERN_HP["k"], TERN_HP["ramp"]
    f = max(0.0, 1.0 - ep / ramp)
    return k + int(round((n - k) * f ** 3))


def ternary_check(w, n, k):
    """(ok, message) for a committed ternary weight: every group at most k
    non-zeros, the non-zeros of a channel all +-alpha, and the projection
    maps it onto itself (so the compiler encodes it with MSE 0)."""
    nz = (tern_groups(w, n) != 0).sum(-1).max()
    flat = np.abs(w.reshape(len(w), -1))
    per_ch = [np.unique(r[r != 0]) for r in flat]
    alpha, t = ternary_project(w, n, k)
    same = np.array_equal(ternary_weight(alpha, t), w)
    ok = nz <= k and all(len(u) <= 1 for u in per_ch) and same
    return ok, (f"max {nz} non-zeros per group of {n}, "
                f"{max(len(u) for u in per_ch)} magnitude(s) per channel, "
                f"projection {'exact' if same else 'CHANGES it'}")


def ternary(x, y, tr, te):
    with open(os.path.join(HERE, "accuracy.json")) as f:
        acc = json.load(f)
    acc["tern_hyperparameters"] = TERN_HP
    n, k = TERN_HP["n"], TERN_HP["k"]
    for kind in ("mlp", "cnn"):
        dense_w = reference.load(kind)
        names = TERN_LAYERS[kind]
        xs = x if kind == "cnn" else x.reshape(len(x), 64)
        post = dict(dense_w)
        for name in names:
            post[name] = ternary_weight(*ternary_project(dense_w[name], n, k))

        def fwd(w, ep):
            sd, alpha, t = ternary_normalised(w, n, tern_schedule(ep))
            return (sd * alpha).reshape((-1,) + (1,) * (w.ndim - 1)) * t

        p = train(kind, x[tr], y[tr], np.random.default_rng([SEED, 11, ord(kind[0])]),
                  start=dense_w, hp=TERN_HP, proj={name: fwd for name in names})
        layers = {}
        for name in names:
            sd, alpha, t = ternary_normalised(p[name], n, k)
            p[name] = ternary_weight(sd * alpha, t)
            layers[name[:-2]] = {"nonzero": int((t != 0).sum()), "weights": int(t.size)}
        for name, arr in p.items():
            save(f"{kind}_tern/{name}.npy", arr)
        a = measure(kind, xs[te], y[te], p)
        a["train_accuracy"] = measure(kind, xs[tr], y[tr], p)["accuracy"]
        a["posttrain_accuracy"] = measure(kind, xs[te], y[te], post)["accuracy"]
        a["layers"] = layers
        acc[kind + "_tern"] = a
        print(f"{kind}_tern: test accuracy {100 * a['accuracy']:.2f}% ({a['correct']}/{a['total']}), "
              f"post-training {100 * a['posttrain_accuracy']:.2f}%, non-zeros {layers}")
    write_accuracy(acc)
    return check()


# ------------------------------------------------------------------ binary
def bn_fwd(x, gamma, beta, run=None, momentum=0.0):
    """Training batchnorm over every axis but 1 (batch statistics, biased
    variance); updates the running statistics run = [mean, var] in place:
    run = (1 - momentum) run + momentum batch with the unbiased batch
    variance (PyTorch's convention); momentum None: run = the batch's mean
    and biased variance (recalibration over the whole training set)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(axes)
    var = x.var(axes)
    cnt = x.size // x.shape[1]
    if run is not None and momentum is None:
        run[0], run[1] = mu, var
    elif run is not None and momentum:
        run[0] = (1 - momentum) * run[0] + momentum * mu
        run[1] = (1 - momentum) * run[1] + momentum * var * cnt / max(cnt - 1, 1)
    inv = 1.0 / np.sqrt(var + reference.BN_EPS)
    xhat = (x - mu.reshape(shape)) * inv.reshape(shape)
    return gamma.reshape(shape) * xhat + beta.reshape(shape), (xhat, inv, gamma, axes, shape, cnt)


def bn_bwd(dy, cache):
    xhat, inv, gamma, axes, shape, cnt = cache
    dgamma = (dy * xhat).sum(axes)
    dbeta = dy.sum(axes)
    dxhat = dy * gamma.reshape(shape)
    dx = (inv.reshape(shape) / cnt) * (cnt * dxhat - dxhat.sum(axes).reshape(shape)
                                       - xhat * (dxhat * xhat).sum(axes).reshape(shape))
    return dx, dgamma, dbeta


def bin_act(z, fp):
    """Forward activation and its straight-through derivative: sign with
    d/dz = 1 where |z| <= 1 (binary), or relu (the full-precision twin)."""
    if fp:
        return np.maximum(z, 0.0), (z > 0).astype(z.dtype)
    return reference.sign(z), (np.abs(z) <= 1).astype(z.dtype)


def bin_weight(w, fp):
    """Forward weight of a binary layer: alpha x sign(W) (reference.binarize),
    or W itself for the full-precision twin."""
    return w if fp else reference.binarize(w)


def bin_init(kind, rng):
    """Float layers: He normal, zero bias; binary layers' latent weights:
    He normal (their scale only matters relative to the learning rate and the
    [-1, 1] clip: alpha is absorbed by the batchnorm that follows); batchnorm
    gamma 1, beta 0, running mean 0, var 1."""
    def bn(name, c):
        return {f"{name}_gamma": np.ones(c), f"{name}_beta": np.zeros(c),
                f"{name}_mean": np.zeros(c), f"{name}_var": np.ones(c)}
    h = BIN_HP[kind]["hidden"]
    if kind == "mlp_bin":
        p = {"fc1_w": he(rng, (h, 64), 64), "fc1_b": np.zeros(h),
             "fc2_w": he(rng, (h, h), h),
             "fc3_w": he(rng, (10, h), h), "fc3_b": np.zeros(10)}
        p.update(bn("bn1", h))
        p.update(bn("bn2", h))
        return p
    c1, c2, c3 = h
    p = {"conv1_w": he(rng, (c1, 1, 3, 3), 9), "conv1_b": np.zeros(c1),
         "conv2_w": he(rng, (c2, c1, 3, 3), c1 * 9),
         "conv3_w": he(rng, (c3, c2, 3, 3), c2 * 9),
         "fc1_w": he(rng, (10, c3 * 4), c3 * 4), "fc1_b": np.zeros(10)}
    for i, c in enumerate(h):
        p.update(bn(f"bn{i + 1}", c))
    return p


def bin_bn(p, name, x, momentum):
    run = [p[name + "_mean"], p[name + "_var"]]
    z, cache = bn_fwd(x, p[name + "_gamma"], p[name + "_beta"], run, momentum)
    p[name + "_mean"], p[name + "_var"] = run
    return z, cache


def mlp_bin_step(p, x, y, fp=False, momentum=0.0):
    """One training step of mlp_bin (batch statistics; running statistics
    updated in p with `momentum`): (loss, gradients of the trained params)."""
    x = x.reshape(len(x), -1)
    wb2 = bin_weight(p["fc2_w"], fp)
    z1, bc1 = bin_bn(p, "bn1", x @ p["fc1_w"].T + p["fc1_b"], momentum)
    s1, ds1 = bin_act(z1, fp)
    z2, bc2 = bin_bn(p, "bn2", s1 @ wb2.T, momentum)
    s2, ds2 = bin_act(z2, fp)
    out = s2 @ p["fc3_w"].T + p["fc3_b"]
    loss, d = softmax_xent(out, y)
    g = {"fc3_w": d.T @ s2, "fc3_b": d.sum(0)}
    dh2, g["bn2_gamma"], g["bn2_beta"] = bn_bwd((d @ p["fc3_w"]) * ds2, bc2)
    g["fc2_w"] = dh2.T @ s1                    # straight through alpha x sign
    dh1, g["bn1_gamma"], g["bn1_beta"] = bn_bwd((dh2 @ wb2) * ds1, bc1)
    g["fc1_w"] = dh1.T @ x
    g["fc1_b"] = dh1.sum(0)
    return loss, g


def cnn_bin_step(p, x, y, fp=False, momentum=0.0):
    """One training step of cnn_bin, as mlp_bin_step."""
    n = len(x)
    wb2, wb3 = bin_weight(p["conv2_w"], fp), bin_weight(p["conv3_w"], fp)
    c1, cols1 = conv_fwd(x, p["conv1_w"], p["conv1_b"])
    z1, bc1 = bin_bn(p, "bn1", c1, momentum)
    s1, ds1 = bin_act(z1, fp)
    c2, cols2 = conv_fwd(s1, wb2, 0.0)
    z2, bc2 = bin_bn(p, "bn2", c2, momentum)
    q2, arg2 = pool_fwd(z2)
    s2, ds2 = bin_act(q2, fp)
    c3, cols3 = conv_fwd(s2, wb3, 0.0)
    z3, bc3 = bin_bn(p, "bn3", c3, momentum)
    q3, arg3 = pool_fwd(z3)
    s3, ds3 = bin_act(q3, fp)
    f = s3.reshape(n, -1)
    out = f @ p["fc1_w"].T + p["fc1_b"]
    loss, d = softmax_xent(out, y)
    g = {"fc1_w": d.T @ f, "fc1_b": d.sum(0)}
    dq3 = (d @ p["fc1_w"]).reshape(q3.shape) * ds3
    dc3, g["bn3_gamma"], g["bn3_beta"] = bn_bwd(pool_bwd(dq3, arg3, z3.shape), bc3)
    dq2, g["conv3_w"], _ = conv_bwd(dc3, cols3, wb3, s2.shape, True)
    dc2, g["bn2_gamma"], g["bn2_beta"] = bn_bwd(pool_bwd(dq2 * ds2, arg2, z2.shape), bc2)
    ds1x, g["conv2_w"], _ = conv_bwd(dc2, cols2, wb2, s1.shape, True)
    dc1, g["bn1_gamma"], g["bn1_beta"] = bn_bwd(ds1x * ds1, bc1)
    _, g["conv1_w"], g["conv1_b"] = conv_bwd(dc1, cols1, p["conv1_w"], x.shape, False)
    return loss, g


def train_bin(kind, x, y, rng, fp=False):
    """Adam (cosine learning rate) on a binary model, or with fp=True on its
    full-precision twin (relu for sign, W for alpha x sign(W)).  Latent
    weights of binary layers: own learning rate lr_bin, no weight decay,
    clipped to [-1, 1] after every step.  Running statistics: momentum
    during training, then (recalibrate) replaced by the statistics of the
    whole training set through the final float32 weights."""
    hp = BIN_HP[kind]
    step_fn = mlp_bin_step if kind == "mlp_bin" else cnn_bin_step
    binary = {n + "_w" for n in reference.BINARY_LAYERS[kind]}
    p = bin_init(kind, rng)
    trained = [k for k in p if not (k.endswith("_mean") or k.endswith("_var"))]
    m = {k: np.zeros_like(p[k]) for k in trained}
    v = {k: np.zeros_like(p[k]) for k in trained}
    b1, b2, eps = 0.9, 0.999, 1e-8
    x = x.astype(np.float64)
    t = 0
    for ep in range(hp["epochs"]):
        cos = 0.5 * (1 + np.cos(np.pi * ep / hp["epochs"]))
        order = rng.permutation(len(x))
        tot = 0.0
        for s in range(0, len(x), hp["batch"]):
            idx = order[s:s + hp["batch"]]
            if len(idx) < 2:
                continue  # batch statistics need two samples
            loss, g = step_fn(p, x[idx], y[idx], fp, hp["bn_momentum"])
            tot += loss * len(idx)
            t += 1
            for k in trained:
                bin_w = k in binary and not fp
                gk = g[k] + (hp["weight_decay"] * p[k] if k.endswith("_w") and not bin_w else 0)
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                p[k] -= (hp["lr_bin"] if bin_w else hp["lr"]) * cos * mh / (np.sqrt(vh) + eps)
                if bin_w:
                    np.clip(p[k], -1.0, 1.0, out=p[k])
        if ep % 10 == 9 or ep == hp["epochs"] - 1:
            print(f"  {kind}{' (full precision)' if fp else ''} epoch {ep + 1:3d}  loss {tot / len(x):.4f}")
    p = {k: np.asarray(val, np.float32).astype(np.float64) for k, val in p.items()}
    if hp["recalibrate"]:
        # One pass over the whole training set with batch statistics: every
        # batchnorm gets the (biased) statistics of its input over all
        # training images, given the final weights and the layers before it.
        # The forward pass normalises with exactly these statistics.
        step_fn(p, x, y, fp, None)
    return {k: np.ascontiguousarray(val, dtype=np.float32) for k, val in p.items()}


def bin_twin_forward(kind, x, p):
    """Inference forward pass of the full-precision twin of a binary model:
    reference.py's binary model with relu for sign and W for alpha x sign(W)
    (the same running-statistics batchnorm)."""
    relu, bn = reference.relu, reference.batchnorm
    if kind == "mlp_bin":
        h = reference.flatten(np.asarray(x, np.float64))
        h = relu(bn(reference.dense(h, p["fc1_w"], p["fc1_b"]), p, "bn1"))
        h = relu(bn(reference.dense(h, p["fc2_w"]), p, "bn2"))
        return reference.dense(h, p["fc3_w"], p["fc3_b"])
    conv, pool = reference.conv2d, reference.maxpool
    h = np.asarray(x, np.float64).reshape(-1, 1, 8, 8)
    h = relu(bn(conv(h, p["conv1_w"], p["conv1_b"], pad=1), p, "bn1"))
    h = relu(pool(bn(conv(h, p["conv2_w"], pad=1), p, "bn2"), 2))
    h = relu(pool(bn(conv(h, p["conv3_w"], pad=1), p, "bn3"), 2))
    return reference.dense(reference.flatten(h), p["fc1_w"], p["fc1_b"])


def binary(x, y, tr, te):
    with open(os.path.join(HERE, "accuracy.json")) as f:
        acc = json.load(f)
    acc["bin_hyperparameters"] = BIN_HP
    for kind in ("mlp_bin", "cnn_bin"):
        xs = x if kind == "cnn_bin" else x.reshape(len(x), 64)
        p = train_bin(kind, x[tr], y[tr], np.random.default_rng([SEED, 13, ord(kind[0])]))
        for name, arr in p.items():
            save(f"{kind}/{name}.npy", arr)
        a = measure(kind, xs[te], y[te], p)
        a["train_accuracy"] = measure(kind, xs[tr], y[tr], p)["accuracy"]
        twin = train_bin(kind, x[tr], y[tr], np.random.default_rng([SEED, 17, ord(kind[0])]), fp=True)
        pred = np.argmax(bin_twin_forward(kind, xs[te], twin), axis=1)
        a["full_precision_accuracy"] = round(float(np.mean(pred == y[te])), 6)
        a["binary_layers"] = {n: {"weights": int(p[n + "_w"].size), "channels": int(len(p[n + "_w"]))}
                              for n in reference.BINARY_LAYERS[kind]}
        acc[kind] = a
        print(f"{kind}: test accuracy {100 * a['accuracy']:.2f}% ({a['correct']}/{a['total']}), "
              f"train {100 * a['train_accuracy']:.2f}%, "
              f"full-precision twin {100 * a['full_precision_accuracy']:.2f}%")
    write_accuracy(acc)
    return check()


def check_binary(k, rec, x, y):
    """--check of a binary model: every file's dtype/shape, finite values,
    batchnorm var >= 0, every binary layer's alpha > 0 in every output
    channel, and reference.py reproduces the recorded accuracy."""
    w = {}
    for n in reference.FILES[k]:
        rel = f"{k}/{n}.npy"
        arr = np.load(os.path.join(HERE, rel))
        dt, shape = EXPECTED_BIN[rel]
        if arr.dtype != dt or arr.shape != shape or not arr.flags.c_contiguous:
            print(f"FAIL {rel}: {arr.dtype} {arr.shape}, want {np.dtype(dt)} {shape}")
            return False
        if not np.all(np.isfinite(arr)):
            print(f"FAIL {rel}: non-finite values")
            return False
        if n.endswith("_var") and np.any(arr < 0):
            print(f"FAIL {rel}: negative variance")
            return False
        w[n] = arr
    ok = True
    for n in reference.BINARY_LAYERS[k]:
        alpha = reference.binary_alpha(w[n + "_w"])
        pos = int((alpha > 0).sum())
        good = pos == len(alpha) and rec["binary_layers"][n]["weights"] == w[n + "_w"].size
        ok &= good
        print(f"{'ok' if good else 'FAIL'} {k} {n}: binary {list(w[n + '_w'].shape)}, "
              f"alpha > 0 in {pos}/{len(alpha)} output channels")
    got = measure(k, x, y, w)
    status = "ok" if got["correct"] == rec["correct"] else "FAIL"
    print(f"{status} {k}: {got['correct']}/{got['total']} = "
          f"{100 * got['accuracy']:.2f}% (recorded {rec['correct']})")
    return ok and status == "ok"


def check():
    ok = True
    for rel, (dt, shape) in EXPECTED.items():
        a = np.load(os.path.join(HERE, rel))
        if a.dtype != dt or a.shape != shape or not a.flags.c_contiguous:
            print(f"FAIL {rel}: {a.dtype} {a.shape}, want {np.dtype(dt)} {shape}")
            ok = False
        elif a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            print(f"FAIL {rel}: non-finite values")
            ok = False
    if not ok:
        return 1
    x = np.load(os.path.join(HERE, "data/test_x.npy"))
    xf = np.load(os.path.join(HERE, "data/test_x_flat.npy"))
    y = np.load(os.path.join(HERE, "data/test_y.npy"))
    if not np.array_equal(x.reshape(len(x), -1), xf):
        print("FAIL test_x_flat.npy differs from test_x.npy")
        ok = False
    with open(os.path.join(HERE, "accuracy.json")) as f:
        want = json.load(f)
    for k in ("mlp", "cnn"):
        got = measure(k, xf if k == "mlp" else x, y)
        status = "ok" if got["correct"] == want[k]["correct"] else "FAIL"
        ok &= status == "ok"
        print(f"{status} {k}: {got['correct']}/{got['total']} = "
              f"{100 * got['accuracy']:.2f}% (recorded {want[k]['correct']})")
    for k in ("mlp", "cnn"):
        if k + "_bsp" not in want:
            continue
        w = {
            n: np.load(os.path.join(HERE, f"{k}_bsp", n + ".npy"))
            for n in (reference.MLP_FILES if k == "mlp" else reference.CNN_FILES)}
        for n, arr in w.items():
            dt, shape = EXPECTED[f"{k}/{n}.npy"]
            if arr.dtype != dt or arr.shape != shape:
                print(f"FAIL {k}_bsp/{n}.npy: {arr.dtype} {arr.shape}")
                ok = False
        for n, b in want[k + "_bsp"]["blocks"].items():
            kept = int((block_norms(w[n + "_w"]) > 0).sum())
            status = "ok" if kept <= b["kept"] else "FAIL"
            ok &= status == "ok"
            print(f"{status} {k}_bsp {n}: {kept}/{b['total']} non-zero 8x8 blocks (mask {b['kept']})")
        got = measure(k, xf if k == "mlp" else x, y, w)
        status = "ok" if got["correct"] == want[k + "_bsp"]["correct"] else "FAIL"
        ok &= status == "ok"
        print(f"{status} {k}_bsp: {got['correct']}/{got['total']} = "
              f"{100 * got['accuracy']:.2f}% (recorded {want[k + '_bsp']['correct']})")
    for k in ("mlp", "cnn"):
        if k + "_tern" not in want:
            continue
        rec, hp = want[k + "_tern"], want["tern_hyperparameters"]
        names = reference.MLP_FILES if k == "mlp" else reference.CNN_FILES
        w = {n: np.load(os.path.join(HERE, f"{k}_tern", n + ".npy")) for n in names}
        bad = False
        for n, arr in w.items():
            dt, shape = EXPECTED[f"{k}/{n}.npy"]
            if arr.dtype != dt or arr.shape != shape or not arr.flags.c_contiguous:
                print(f"FAIL {k}_tern/{n}.npy: {arr.dtype} {arr.shape}")
                bad = True
            elif not np.all(np.isfinite(arr)):
                print(f"FAIL {k}_tern/{n}.npy: non-finite values")
                bad = True
        if bad:
            ok = False
            continue
        for n, lay in sorted(rec["layers"].items()):
            good, msg = ternary_check(w[n + "_w"], hp["n"], hp["k"])
            nz = int((w[n + "_w"] != 0).sum())
            good &= nz == lay["nonzero"] and w[n + "_w"].size == lay["weights"]
            ok &= good
            print(f"{'ok' if good else 'FAIL'} {k}_tern {n}: {nz}/{w[n + '_w'].size} non-zero "
                  f"(recorded {lay['nonzero']}), {msg}")
        got = measure(k, xf if k == "mlp" else x, y, w)
        status = "ok" if got["correct"] == rec["correct"] else "FAIL"
        ok &= status == "ok"
        print(f"{status} {k}_tern: {got['correct']}/{got['total']} = "
              f"{100 * got['accuracy']:.2f}% (recorded {rec['correct']})")
        post = reference.load(k)
        for n in rec["layers"]:
            post[n + "_w"] = ternary_weight(*ternary_project(post[n + "_w"], hp["n"], hp["k"], hp["iters"]))
        got = measure(k, xf if k == "mlp" else x, y, post)
        status = "ok" if got["accuracy"] == rec["posttrain_accuracy"] else "FAIL"
        ok &= status == "ok"
        print(f"{status} {k}_tern post-training (no fine-tuning): {got['correct']}/{got['total']} = "
              f"{100 * got['accuracy']:.2f}% (recorded {100 * rec['posttrain_accuracy']:.2f}%)")
    for k in ("mlp_bin", "cnn_bin"):
        if k not in want:
            continue
        ok &= check_binary(k, want[k], xf if k == "mlp_bin" else x, y)
    return 0 if ok else 1


def main(argv):
    if "--check" in argv:
        return check()
    if not os.path.exists(DATA_CSV):
        print(f"error: {DATA_CSV} not found (apt-get install python3-sklearn)",
              file=sys.stderr)
        return 1
    x, y = load_digits(DATA_CSV)
    rng = np.random.default_rng(SEED)
    tr, te = split(y, rng)
    calib = rng.permutation(tr)[:N_CALIB]
    calib.sort()
    print(f"train {len(tr)}  test {len(te)}  calib {len(calib)}")
    save("data/test_x.npy", x[te])
    save("data/test_x_flat.npy", x[te].reshape(len(te), 64))
    save("data/test_y.npy", y[te])
    save("data/calib.npy", x[calib])
    save("data/calib_flat.npy", x[calib].reshape(len(calib), 64))
    if "--block-sparse" in argv:
        return block_sparse(x, y, tr, te)
    if "--ternary" in argv:
        return ternary(x, y, tr, te)
    if "--binary" in argv:
        return binary(x, y, tr, te)
    acc = {"seed": SEED, "split": {"train": int(len(tr)), "test": int(len(te))},
           "hyperparameters": HP}
    old = os.path.join(HERE, "accuracy.json")
    if os.path.exists(old):  # keep the results of --block-sparse, --ternary, --binary
        with open(old) as f:
            acc.update({k: v for k, v in json.load(f).items()
                        if "bsp" in k or "tern" in k or "bin" in k})
    for kind in ("mlp", "cnn"):
        p = train(kind, x[tr], y[tr], np.random.default_rng([SEED, len(kind), ord(kind[0])]))
        for name, arr in p.items():
            save(f"{kind}/{name}.npy", arr)
        acc[kind] = measure(kind, x[te], y[te])
        acc[kind]["train_accuracy"] = measure(kind, x[tr], y[tr])["accuracy"]
        print(f"{kind}: test accuracy {100 * acc[kind]['accuracy']:.2f}% "
              f"({acc[kind]['correct']}/{acc[kind]['total']}), "
              f"train {100 * acc[kind]['train_accuracy']:.2f}%")
    write_accuracy(acc)
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
