#!/usr/bin/python3
"""Writes ONNX models with onnx.helper (Debian's python3-onnx), for spxc's
ONNX import (docs/onnx.md).

usage: make_models.py digits OUT    OUT/digits_mlp.onnx, OUT/digits_cnn.onnx:
                                    the trained digits networks of
                                    examples/digits (their .npy weights), as
                                    a PyTorch export would write them
       make_models.py resnet18 OUT  OUT/resnet18.onnx: ResNet-18's shape
                                    (ImageNet stem, 4 stages of 2 basic
                                    blocks, 1000 classes) with deterministic
                                    random weights and batch norms
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "digits")


def save(nodes, inits, x_shape, out_name, path, name):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch"] + x_shape[1:])
    y = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, name, [x], [y], inits)
    m = helper.make_model(g, producer_name="spx examples/onnx/make_models.py",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def w(path, name):
    return numpy_helper.from_array(np.load(os.path.join(DIGITS, path)).astype(np.float32), name)


def digits(out):
    # MLP: Gemm(transB=1) as torch.nn.Linear exports.
    nodes = [helper.make_node("Gemm", ["image", "fc1.w", "fc1.b"], ["fc1"], name="/fc1/Gemm", transB=1),
             helper.make_node("Relu", ["fc1"], ["act1"], name="/act1/Relu"),
             helper.make_node("Gemm", ["act1", "fc2.w", "fc2.b"], ["fc2"], name="/fc2/Gemm", transB=1)]
    inits = [w("mlp/fc1_w.npy", "fc1.w"), w("mlp/fc1_b.npy", "fc1.b"),
             w("mlp/fc2_w.npy", "fc2.w"), w("mlp/fc2_b.npy", "fc2.b")]
    save(nodes, inits, [1, 64], "fc2", os.path.join(out, "digits_mlp.onnx"), "digits_mlp")
    # CNN: Conv/Relu/MaxPool twice, Flatten, Gemm.
    nodes = [
        helper.make_node("Conv", ["image", "conv1.w", "conv1.b"], ["conv1"], name="/conv1/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["conv1"], ["act1"]),
        helper.make_node("MaxPool", ["act1"], ["pool1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "conv2.w", "conv2.b"], ["conv2"], name="/conv2/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["conv2"], ["act2"]),
        helper.make_node("MaxPool", ["act2"], ["pool2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool2"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc1.w", "fc1.b"], ["fc1"], name="/fc1/Gemm", transB=1)]
    inits = [w("cnn/conv1_w.npy", "conv1.w"), w("cnn/conv1_b.npy", "conv1.b"),
             w("cnn/conv2_w.npy", "conv2.w"), w("cnn/conv2_b.npy", "conv2.b"),
             w("cnn/fc1_w.npy", "fc1.w"), w("cnn/fc1_b.npy", "fc1.b")]
    save(nodes, inits, [1, 1, 8, 8], "fc1", os.path.join(out, "digits_cnn.onnx"), "digits_cnn")


def resnet18(out):
    rng = np.random.default_rng(18)
    nodes, inits = [], []

    def const(name, a):
        inits.append(numpy_helper.from_array(a.astype(np.float32), name))
        return name

    def conv_bn(x, name, cin, cout, k, s, relu):
        fan = cin * k * k
        wt = const(name + ".weight", rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / fan))
        p = k // 2
        nodes.append(helper.make_node("Conv", [x, wt], [name], name=name + "/Conv", kernel_shape=[k, k],
                                      strides=[s, s], pads=[p, p, p, p]))
        bn = [const(name + ".bn." + r, a) for r, a in (
            ("scale", rng.uniform(0.5, 1.0, cout)), ("bias", rng.uniform(-0.1, 0.1, cout)),
            ("mean", rng.uniform(-0.1, 0.1, cout)), ("var", rng.uniform(0.5, 1.5, cout)))]
        nodes.append(helper.make_node("BatchNormalization", [name] + bn, [name + "_bn"], epsilon=1e-5))
        if not relu:
            return name + "_bn"
        nodes.append(helper.make_node("Relu", [name + "_bn"], [name + "_relu"]))
        return name + "_relu"

    x = conv_bn("image", "conv1", 3, 64, 7, 2, True)
    nodes.append(helper.make_node("MaxPool", [x], ["maxpool"], kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    x, cin = "maxpool", 64
    for stage, cout in enumerate((64, 128, 256, 512), start=1):
        for blk in range(2):
            s = 2 if stage > 1 and blk == 0 else 1
            pre = "layer%d.%d" % (stage, blk)
            y = conv_bn(x, pre + ".conv1", cin, cout, 3, s, True)
            y = conv_bn(y, pre + ".conv2", cout, cout, 3, 1, False)
            short = conv_bn(x, pre + ".downsample", cin, cout, 1, s, False) if (s != 1 or cin != cout) else x
            nodes.append(helper.make_node("Add", [y, short], [pre + ".add"]))
            nodes.append(helper.make_node("Relu", [pre + ".add"], [pre + ".out"]))
            x, cin = pre + ".out", cout
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["avgpool"]))
    nodes.append(helper.make_node("Flatten", ["avgpool"], ["flatten"], axis=1))
    fc_w = const("fc.weight", rng.standard_normal((1000, 512)) * np.sqrt(1.0 / 512))
    fc_b = const("fc.bias", rng.uniform(-0.1, 0.1, 1000))
    nodes.append(helper.make_node("Gemm", ["flatten", fc_w, fc_b], ["logits"], transB=1))
    save(nodes, inits, [1, 3, 224, 224], "logits", os.path.join(out, "resnet18.onnx"), "resnet18")


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    {"digits": digits, "resnet18": resnet18}[kind](out)
