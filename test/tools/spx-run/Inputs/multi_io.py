#!/usr/bin/python3
"""Inputs and numpy references (written from the ops' definitions) for
spx-run on models with several inputs and outputs (multi-io.test).

usage: multi_io.py spx DIR    DIR/two.spx (inputs a, b [1, 2, 3]; outputs
                              s = a + b, c = concat(a, s) on axis 2, r =
                              relu(b)), a.npy and b.npy (5 samples), wrong
                              ones (b3.npy: 3 samples; b4.npy: 4 elements a
                              sample), refs s/c/r.ref.npy, labels.npy (argmax
                              of s per sample)
       multi_io.py onnx DIR   DIR/multi.onnx built with onnx.helper (inputs
                              X, Y [N, 2, 3]; outputs, in this order: C =
                              Concat(X, Y, axis=1), S = Add(X, Y), G =
                              Sigmoid(S)), x.npy and y.npy (4 samples), refs
                              C/S/G.ref.npy
       multi_io.py check GOT.npy REF.npy...   pairs: "REF: ok" when the
                              shapes are equal and the values within rtol
                              1e-5, atol 1e-6, else "REF: MISMATCH ..."
"""
import os
import sys

import numpy as np

SPX = """network two {
  input a : f32[1, 2, 3]
  input b : f32[1, 2, 3]
  s = add(a, b)
  c = concat(a, s, axis=2)
  r = relu(b)
  output s, c
  output r
}
"""


def spx(d):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((5, 2, 3)).astype(np.float32)
    b = rng.standard_normal((5, 2, 3)).astype(np.float32)
    with open(os.path.join(d, "two.spx"), "w") as f:
        f.write(SPX)
    np.save(os.path.join(d, "a.npy"), a)
    np.save(os.path.join(d, "b.npy"), b)
    np.save(os.path.join(d, "b3.npy"), b[:3])
    np.save(os.path.join(d, "b4.npy"), np.zeros((5, 4), np.float32))
    s = a + b
    np.save(os.path.join(d, "s.ref.npy"), s)
    np.save(os.path.join(d, "c.ref.npy"), np.concatenate([a, s], axis=2))
    np.save(os.path.join(d, "r.ref.npy"), np.maximum(b, 0))
    np.save(os.path.join(d, "labels.npy"), s.reshape(5, -1).argmax(axis=1).astype(np.int32))


def onnx_model(d):
    import onnx
    from onnx import TensorProto, helper
    shape = ["N", 2, 3]
    vi = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)  # noqa: E731
    nodes = [helper.make_node("Add", ["X", "Y"], ["S"]),
             helper.make_node("Sigmoid", ["S"], ["G"]),
             helper.make_node("Concat", ["X", "Y"], ["C"], axis=1)]
    g = helper.make_graph(nodes, "multi", [vi("X", shape), vi("Y", shape)],
                          [vi("C", ["N", 4, 3]), vi("S", shape), vi("G", shape)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "multi.onnx"))
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    y = rng.standard_normal((4, 2, 3)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "y.npy"), y)
    s = x + y
    np.save(os.path.join(d, "C.ref.npy"), np.concatenate([x, y], axis=1))
    np.save(os.path.join(d, "S.ref.npy"), s)
    np.save(os.path.join(d, "G.ref.npy"), (1 / (1 + np.exp(-s.astype(np.float64)))).astype(np.float32))


def check(pairs):
    for got, ref in zip(pairs[::2], pairs[1::2]):
        g, r = np.load(got), np.load(ref)
        name = os.path.basename(ref)
        if g.dtype != np.float32 or g.shape != r.shape:
            print("%s: MISMATCH %s %s, expected %s" % (name, g.dtype, g.shape, r.shape))
        elif not np.allclose(g, r, rtol=1e-5, atol=1e-6):
            print("%s: MISMATCH max abs error %g" % (name, float(np.max(np.abs(g - r)))))
        else:
            print("%s: ok" % name)


if __name__ == "__main__":
    {"spx": lambda: spx(sys.argv[2]), "onnx": lambda: onnx_model(sys.argv[2]),
     "check": lambda: check(sys.argv[2:])}[sys.argv[1]]()
