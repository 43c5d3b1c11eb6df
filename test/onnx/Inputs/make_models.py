#!/usr/bin/python3
"""Builds ONNX models with onnx.helper for the ONNX import's tests.

usage: make_models.py errors DIR   models spxc must refuse, and why
       make_models.py ops DIR      attribute combinations the node tests miss:
                                   NAME.onnx, NAME.x.npy (input), NAME.y.npy
                                   (expected, numpy from the ops' definitions)
       make_models.py big DIR N    DIR/big.onnx: a chain of N batch norms (4N
                                   initializers), to time the import of huge
                                   graphs (docs/onnx.md)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def save(model, path, opset=13):
    del model.opset_import[:]
    model.opset_import.extend([helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.checker.check_model(model) if all(o.type.tensor_type.HasField("shape") for o in model.graph.output) else None
    onnx.save(model, path)


def graph(nodes, inputs, outputs, inits=()):
    return helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(inits)))


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def errors(d):
    x = vi("x", [1, 3, 8, 8])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        helper.make_node("Tanh", ["a"], ["b"], name="my tanh"),
        helper.make_node("Relu", ["b"], ["c"], name="after"),  # uses a failed node: silent
        helper.make_node("LRN", ["a"], ["e"], name="lrn", size=3),
        helper.make_node("Clip", ["a"], ["f"], name="clip", min=-1.0, max=1.0),
        helper.make_node("Add", ["c", "e"], ["y"], name="add"),
    ]
    m = graph(nodes, [x], [vi("y", [1, 3, 8, 8]), vi("f", [1, 3, 8, 8])])
    save(m, os.path.join(d, "unsupported.onnx"), opset=10)
    with open(os.path.join(d, "garbage.onnx"), "wb") as f:
        f.write(bytes(range(7, 200)))
    good = graph([helper.make_node("Relu", ["x"], ["y"])], [x], [vi("y", [1, 3, 8, 8])])
    data = good.SerializeToString()
    with open(os.path.join(d, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) - 9])
    save(graph([helper.make_node("Relu", ["x"], ["y"])], [vi("x", [4, 3])], [vi("y", [4, 3])]),
         os.path.join(d, "batch4.onnx"))
    m = graph([helper.make_node("Relu", ["x"], ["y"])], [x], [vi("y", [1, 3, 8, 8])])
    m.opset_import.extend([helper.make_opsetid("", 18)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "opset18.onnx"))
    w = numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "w")
    save(graph([helper.make_node("Conv", ["x", "w"], ["y"], name="wide", pads=[300, 0, 0, 0])],
               [x], [vi("y", None)], [w]), os.path.join(d, "bigpad.onnx"))
    # Broadcasting two activations, a constant that would grow the shape, a
    # folded-only op on an activation, Gemm transA with two rows.
    i64 = lambda a, n: numpy_helper.from_array(np.array(a, np.int64), n)
    nodes = [
        helper.make_node("Add", ["x", "z"], ["a"], name="bcast"),
        helper.make_node("Add", ["x", "big"], ["b"], name="grow"),
        helper.make_node("Gather", ["x", "idx"], ["c"], name="gather"),
        helper.make_node("Reshape", ["x", "shp"], ["r"]),
        helper.make_node("Gemm", ["r", "B"], ["e"], name="gemm", transA=1),
    ]
    inits = [numpy_helper.from_array(np.ones((2, 3, 8, 8), np.float32), "big"), i64([0], "idx"),
             i64([96, 2], "shp"), numpy_helper.from_array(np.ones((96, 4), np.float32), "B")]
    save(graph(nodes, [x, vi("z", [1, 1, 8, 8])], [vi(n, None) for n in "abce"], inits),
         os.path.join(d, "more.onnx"))


# ---- numpy references, from the ops' definitions ------------------------------

def conv(x, w, b, stride, pads, dil, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + pads[0] + pads[2], wd + pads[1] + pads[3]), np.float64)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    ho = (xp.shape[2] - (dil[0] * (kh - 1) + 1)) // stride[0] + 1
    wo = (xp.shape[3] - (dil[1] * (kw - 1) + 1)) // stride[1] + 1
    y = np.zeros((n, m, ho, wo))
    mg = m // group
    for o in range(m):
        g = o // mg
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                y[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3)) + (b[o] if b is not None else 0)
    return y


def pool(x, k, s, pads, out, kind, include_pad=False):
    n, c, h, w = x.shape
    y = np.zeros((n, c, out[0], out[1]))
    for i in range(out[0]):
        for j in range(out[1]):
            r0, c0 = i * s[0] - pads[0], j * s[1] - pads[1]
            r1, c1 = r0 + k[0], c0 + k[1]
            win = x[:, :, max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                y[:, :, i, j] = win.sum(axis=(2, 3)) / win.shape[2] / win.shape[3]
    return y


def avgpool_incl(x, k, s, pads, out):
    """AveragePool count_include_pad=1: the cells of pads count, ceil_mode's
    extra ones do not (a window is clipped to the padded input)."""
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + pads[0] + pads[2], w + pads[1] + pads[3]), np.float64)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = x
    y = np.zeros((n, c, out[0], out[1]))
    for i in range(out[0]):
        for j in range(out[1]):
            win = xp[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            y[:, :, i, j] = win.sum(axis=(2, 3)) / (win.shape[2] * win.shape[3])
    return y


def ops(d):
    rng = np.random.default_rng(7)
    cases = []

    def add(name, model, x, y, opset=13):
        save(model, os.path.join(d, name + ".onnx"), opset)
        np.save(os.path.join(d, name + ".x.npy"), x.astype(np.float32).reshape(1, -1))
        np.save(os.path.join(d, name + ".y.npy"), np.asarray(y, np.float32).reshape(1, -1))
        cases.append(name)

    x = rng.standard_normal((1, 4, 9, 9)).astype(np.float32)
    # Depthwise conv, dilations, strides, asymmetric pads; weights in float_data.
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    wt = helper.make_tensor("w", F, w.shape, w.ravel().tolist())  # typed field
    bt = numpy_helper.from_array(b, "b")                           # raw_data
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=4, dilations=[2, 1],
                            strides=[2, 1], pads=[1, 0, 2, 1], kernel_shape=[3, 3])
    add("conv_dw", graph([node], [vi("x", ["batch", 4, 9, 9])], [vi("y", None)], [wt, bt]), x,
        conv(x, w, b, (2, 1), (1, 0, 2, 1), (2, 1), 4))
    # Grouped conv with SAME_LOWER and stride 2, f64 weights, no bias.
    w2 = rng.standard_normal((6, 2, 2, 2))
    w2t = helper.make_tensor("w", TensorProto.DOUBLE, w2.shape, w2.ravel().tolist())
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=2, strides=[2, 2], auto_pad="SAME_LOWER")
    # in 9, out 5, total pad (5-1)*2+2-9 = 1: SAME_LOWER puts it at the start.
    add("conv_same_lower", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)], [w2t]), x,
        conv(x, w2.astype(np.float32), None, (2, 2), (1, 1, 0, 0), (1, 1), 2), opset=11)
    # int8 initializer weights (values as they are), SAME_UPPER.
    w3 = rng.integers(-3, 4, (2, 4, 3, 3)).astype(np.int8)
    w3t = helper.make_tensor("w", TensorProto.INT8, w3.shape, w3.ravel().tolist())
    node = helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER")
    add("conv_int8", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)], [w3t]), x,
        conv(x, w3.astype(np.float64), None, (1, 1), (1, 1, 1, 1), (1, 1), 1))

    v = rng.standard_normal((1, 6)).astype(np.float32)
    # Gemm: transB, alpha, beta, C of shape [1, N].
    bm = rng.standard_normal((5, 6)).astype(np.float32)
    c = rng.standard_normal((1, 5)).astype(np.float32)
    node = helper.make_node("Gemm", ["v", "B", "C"], ["y"], transB=1, alpha=0.5, beta=-2.0)
    add("gemm", graph([node], [vi("v", [1, 6])], [vi("y", None)],
                      [numpy_helper.from_array(bm, "B"), numpy_helper.from_array(c, "C")]),
        v, 0.5 * v @ bm.T - 2.0 * c)
    # MatMul whose constant operand comes from a Constant node, then Clip as
    # relu6 with bounds from constant inputs (opset 11+).
    bk = (3 * rng.standard_normal((6, 7))).astype(np.float32)
    nodes = [helper.make_node("Constant", [], ["B"], value=numpy_helper.from_array(bk, "B")),
             helper.make_node("Constant", [], ["lo"], value_float=0.0),
             helper.make_node("Constant", [], ["hi"], value_float=6.0),
             helper.make_node("MatMul", ["v", "B"], ["m"]),
             helper.make_node("Clip", ["m", "lo", "hi"], ["y"])]
    add("matmul_relu6", graph(nodes, [vi("v", [1, 6])], [vi("y", None)]), v, np.clip(v @ bk, 0, 6))
    # Clip with attribute bounds (opset 6 style) in opset 10.
    nodes = [helper.make_node("MatMul", ["v", "B"], ["m"]),
             helper.make_node("Clip", ["m"], ["y"], min=0.0, max=6.0)]
    add("clip_attr", graph(nodes, [vi("v", [1, 6])], [vi("y", None)], [numpy_helper.from_array(bk, "B")]),
        v, np.clip(v @ bk, 0, 6), opset=10)

    # MaxPool ceil_mode with pads; AveragePool ceil_mode, count_include_pad=0.
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2],
                            pads=[1, 0, 0, 1], ceil_mode=1)
    # H: 9+1-3 = 7 -> ceil(7/2)+1 = 5; W: 9+1-2 = 8 -> 5.
    add("maxpool_ceil", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)]), x,
        pool(x, (3, 2), (2, 2), (1, 0), (5, 5), "max"))
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                            pads=[1, 1, 0, 0], ceil_mode=1, count_include_pad=0)
    # 9+1-2 = 8 -> ceil(8/2)+1 = 5.
    add("avgpool_ceil", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)]), x,
        pool(x, (2, 2), (2, 2), (1, 1), (5, 5), "avg"))

    # Softmax before opset 13 on rank 4 at axis 1: over C*H*W together.
    e = np.exp(x.reshape(1, -1) - x.max())
    add("softmax_old", graph([helper.make_node("Softmax", ["x"], ["y"])], [vi("x", [1, 4, 9, 9])],
                             [vi("y", None)]), x, e / e.sum(), opset=11)
    # BatchNormalization, then Reshape with 0 and -1, Identity, Dropout.
    sc, bb, mu, var = (rng.standard_normal(4).astype(np.float32) for _ in range(4))
    var = np.abs(var) + 0.1
    inits = [numpy_helper.from_array(a, n) for a, n in ((sc, "s"), (bb, "bb"), (mu, "mu"), (var, "var"))]
    inits.append(numpy_helper.from_array(np.array([0, -1, 9], np.int64), "shape"))
    nodes = [helper.make_node("BatchNormalization", ["x", "s", "bb", "mu", "var"], ["n"], epsilon=1e-3),
             helper.make_node("Identity", ["n"], ["i"]),
             helper.make_node("Dropout", ["i"], ["dd"]),
             helper.make_node("Reshape", ["dd", "shape"], ["y"])]
    bn = (x - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3) * sc[None, :, None, None] \
        + bb[None, :, None, None]
    add("bn_reshape", graph(nodes, [vi("x", [1, 4, 9, 9])], [vi("y", None)], inits), x, bn)
    # Two branches: Concat and Add, Flatten at axis 2 (a reshape), Sigmoid,
    # GlobalAveragePool.
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Sigmoid", ["x"], ["s"]),
             helper.make_node("Add", ["r", "s"], ["a"]),
             helper.make_node("Concat", ["a", "r"], ["c"], axis=-3),
             helper.make_node("GlobalAveragePool", ["c"], ["g"]),
             helper.make_node("Flatten", ["g"], ["y"], axis=2)]
    r = np.maximum(x, 0)
    s = 1 / (1 + np.exp(-x.astype(np.float64)))
    cc = np.concatenate([r + s, r], axis=1)
    add("branches", graph(nodes, [vi("x", [1, 4, 9, 9])], [vi("y", None)]), x, cc.mean(axis=(2, 3)))

    # Add of a constant bias: folded into the MatMul's (Keras/TF dense) and
    # the Conv's bias; a scalar first operand; a per-channel constant after a
    # layer it cannot fold into (a batchnorm); constants that vary along
    # other axes (a row batchnorm between reshapes).
    i64 = lambda a, n: numpy_helper.from_array(np.array(a, np.int64), n)
    f32 = lambda a, n: numpy_helper.from_array(np.asarray(a, np.float32), n)
    bv = rng.standard_normal(7).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["v", "B"], ["m"]),
             helper.make_node("Add", ["m", "bias"], ["y"])]
    add("dense_bias", graph(nodes, [vi("v", [1, 6])], [vi("y", None)], [f32(bk, "B"), f32(bv, "bias")]),
        v, v @ bk + bv)
    wc = rng.standard_normal((3, 4, 3, 3)).astype(np.float32)
    bc = rng.standard_normal(3).astype(np.float32)
    c1 = rng.standard_normal((1, 3, 1, 1)).astype(np.float32)
    c2 = rng.standard_normal((9,)).astype(np.float32)
    c3 = rng.standard_normal((3, 1, 1)).astype(np.float32)
    c4 = rng.standard_normal((1, 7, 1)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "wc", "bc"], ["cv"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["cv", "c1"], ["a1"]),        # folded
             helper.make_node("Add", ["half", "a1"], ["a2"]),      # scalar, first: batchnorm
             helper.make_node("Relu", ["a2"], ["r"]),
             helper.make_node("Add", ["r", "c2"], ["a3"]),         # along W: row batchnorm
             helper.make_node("Conv", ["x", "wc"], ["cv2"], strides=[1, 1]),
             helper.make_node("Add", ["cv2", "c3"], ["a4"]),       # cv2 used twice: batchnorm
             helper.make_node("Relu", ["cv2"], ["r2"]),
             helper.make_node("Add", ["a4", "r2"], ["a5"]),
             helper.make_node("Add", ["a5", "c4"], ["a6"]),        # [1, 7, 1] along H
             helper.make_node("Flatten", ["a3"], ["f3"]),
             helper.make_node("Flatten", ["a6"], ["f6"]),
             helper.make_node("Concat", ["f3", "f6"], ["y"], axis=1)]
    inits = [f32(wc, "wc"), f32(bc, "bc"), f32(c1, "c1"), f32(0.5, "half"), f32(c2, "c2"),
             f32(c3, "c3"), f32(c4, "c4")]
    cv = conv(x, wc, bc, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    a3 = np.maximum(0.5 + (cv + c1), 0) + c2
    cv2 = conv(x, wc, None, (1, 1), (0, 0, 0, 0), (1, 1), 1)
    a6 = (cv2 + c3) + np.maximum(cv2, 0) + c4
    add("add_const", graph(nodes, [vi("x", [1, 4, 9, 9])], [vi("y", None)], inits), x,
        np.concatenate([a3.reshape(1, -1), a6.reshape(1, -1)], axis=1))

    # AveragePool count_include_pad=1 with pads, with and without ceil_mode.
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                            pads=[1, 2, 0, 1], ceil_mode=1, count_include_pad=1)
    # H: 9+1-3 = 7 -> ceil(7/2)+1 = 5 (one extra row); W: 9+3-3 = 9 -> 6 (one extra column).
    add("avgpool_incl_ceil", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)]), x,
        avgpool_incl(x, (3, 3), (2, 2), (1, 2, 0, 1), (5, 6)))
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 3],
                            pads=[1, 1, 1, 1], count_include_pad=1)
    add("avgpool_incl", graph([node], [vi("x", [1, 4, 9, 9])], [vi("y", None)]), x,
        avgpool_incl(x, (2, 3), (1, 1), (1, 1, 1, 1), (10, 9)))

    # Gemm transA=1: A is [K, 1] (a reshape of the input), then transB, alpha.
    bt = rng.standard_normal((5, 6)).astype(np.float32)
    cb = rng.standard_normal(5).astype(np.float32)
    nodes = [helper.make_node("Reshape", ["v", "col"], ["a"]),
             helper.make_node("Gemm", ["a", "B", "C"], ["y"], transA=1, transB=1, alpha=0.5)]
    add("gemm_transA", graph(nodes, [vi("v", [1, 6])], [vi("y", None)],
                             [i64([6, 1], "col"), f32(bt, "B"), f32(cb, "C")]),
        v, 0.5 * v @ bt.T + cb)

    # x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather ->
    # Unsqueeze -> Concat -> Reshape, all folded; then Gemm (transB).
    wf = rng.standard_normal((5, 3 * 81)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "wc"], ["cv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["cv"], ["r"]),
             helper.make_node("Shape", ["r"], ["shp"]),
             helper.make_node("Constant", [], ["zero"], value=i64(0, "zero")),
             helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0),
             helper.make_node("Constant", [], ["ax0"], value=i64([0], "ax0")),
             helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
             helper.make_node("Constant", [], ["m1"], value=i64([-1], "m1")),
             helper.make_node("Concat", ["n1", "m1"], ["dims"], axis=0),
             helper.make_node("Reshape", ["r", "dims"], ["flat"]),
             helper.make_node("Gemm", ["flat", "wf"], ["y"], transB=1)]
    flat = np.maximum(conv(x, wc, None, (1, 1), (1, 1, 1, 1), (1, 1), 1), 0).reshape(1, -1)
    add("shape_chain", graph(nodes, [vi("x", ["batch", 4, 9, 9])], [vi("y", None)], [f32(wc, "wc"), f32(wf, "wf")]),
        x, flat @ wf.T)
    # Slice (inputs, INT64_MAX end, negative start, step), Cast both ways,
    # Squeeze/Unsqueeze with axes inputs, then MatMul + Add (Keras dense).
    nodes = [helper.make_node("Conv", ["x", "wc"], ["cv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["cv"], ["r"]),
             helper.make_node("Shape", ["r"], ["shp"]),
             helper.make_node("Slice", ["shp", "st", "en", "ax0", "step"], ["s"]),
             helper.make_node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT),
             helper.make_node("Cast", ["sf"], ["si"], to=TensorProto.INT64),
             helper.make_node("Squeeze", ["si", "ax0"], ["sq"]),
             helper.make_node("Unsqueeze", ["sq", "ax0"], ["n1"]),
             helper.make_node("Concat", ["n1", "m1"], ["dims"], axis=0),
             helper.make_node("Reshape", ["r", "dims"], ["flat"]),
             helper.make_node("MatMul", ["flat", "wt"], ["mm"]),
             helper.make_node("Add", ["mm", "bias"], ["y"])]
    inits = [f32(wc, "wc"), f32(wf.T, "wt"), f32(bv[:5], "bias"), i64([-4], "st"),
             i64([2 ** 63 - 1], "en"), i64([0], "ax0"), i64([4], "step"), i64([-1], "m1")]
    add("shape_slice", graph(nodes, [vi("x", [1, 4, 9, 9])], [vi("y", None)], inits), x,
        flat @ wf.T + bv[:5])
    # The same in opset 9: Slice, Squeeze and Unsqueeze take attributes.
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Shape", ["r"], ["shp"]),
             helper.make_node("Slice", ["shp"], ["s"], starts=[0], ends=[1]),
             helper.make_node("Squeeze", ["s"], ["sq"], axes=[0]),
             helper.make_node("Unsqueeze", ["sq"], ["n1"], axes=[0]),
             helper.make_node("Concat", ["n1", "m1"], ["dims"], axis=0),
             helper.make_node("Reshape", ["r", "dims"], ["y"])]
    add("shape_opset9", graph(nodes, [vi("x", [1, 4, 9, 9])], [vi("y", None)], [i64([-1], "m1")]), x,
        np.maximum(x, 0), opset=9)
    with open(os.path.join(d, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


def big(d, n):
    rng = np.random.default_rng(1)
    nodes, inits, prev = [], [], "x"
    for i in range(n):
        names = ["s%d" % i, "b%d" % i, "m%d" % i, "v%d" % i]
        vals = [rng.standard_normal(4).astype(np.float32) for _ in range(3)] + [np.ones(4, np.float32)]
        inits += [numpy_helper.from_array(a, nm) for a, nm in zip(vals, names)]
        nodes.append(helper.make_node("BatchNormalization", [prev] + names, ["y%d" % i]))
        prev = "y%d" % i
    save(graph(nodes, [vi("x", [1, 4])], [vi(prev, None)], inits), os.path.join(d, "big.onnx"))


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if kind == "big":
        big(out, int(sys.argv[3]))
    else:
        {"errors": errors, "ops": ops}[kind](out)
