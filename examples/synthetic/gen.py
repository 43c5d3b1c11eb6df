#!/usr/bin/env python3
"""Generate the synthetic example networks (*.spx) of this folder.

    python3 examples/synthetic/gen.py           # (re)write every .spx here
    python3 examples/synthetic/gen.py --check   # exit 1 if a committed file is stale
    python3 examples/synthetic/gen.py --summary # print parameter / MAC counts

Plain python3, no third-party modules.  Output is deterministic (no dates,
no absolute paths).  The networks have real shapes and seeded random weights:
every initializer is random(seed=N) with N counting up from 1 in file order,
so each weight tensor of a file has its own seed (the frontend also mixes
"<layer>.<role>" into the seed).  Layer names follow torchvision's module names
with '.' replaced by '_' (layer1.0.conv1 -> layer1_0_conv1); no layer is named
like an op (relu, maxpool, ...) to keep the files unambiguous to read.  Dropout is omitted
(inference).  Each line carries the output shape as a comment.

Parameter counts use torchvision's convention: conv/dense weights and biases
plus batch-norm gamma and beta; batch-norm running mean/var are reported
separately ("bn stats"), as torchvision counts them as buffers.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUANT = "quantize int8 range=[-3.0, 3.0]"
OP_NAMES = {"input", "output", "network", "compile", "conv2d", "dense", "relu", "relu6",
            "sigmoid", "maxpool", "avgpool", "global_avgpool", "add", "concat", "flatten",
            "reshape", "softmax", "batchnorm", "random"}


class Net:
    def __init__(self, name, input_name, shape, header):
        self.name = name
        self.header = header.strip("\n").splitlines()
        self.lines = []          # (text, shape comment)
        self.shape = {input_name: tuple(shape)}
        self.input = input_name
        self.seed = 0
        self.params = 0
        self.bn_stats = 0
        self.macs = 0
        self.outputs = []

    # -- helpers
    def rnd(self):
        self.seed += 1
        return f"random(seed={self.seed})"

    def add_line(self, name, expr, shape, note=""):
        assert name not in self.shape and name not in OP_NAMES, name
        self.shape[name] = tuple(shape)
        comment = "[" + ", ".join(str(d) for d in shape) + "]"
        if note:
            comment += "  " + note
        self.lines.append((f"{name} = {expr}", comment))
        return name

    def comment(self, text):
        self.lines.append((None, text))

    @staticmethod
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    @staticmethod
    def out_dim(i, k, s, p):
        o = (i + 2 * p - k) // s + 1
        assert o >= 1, (i, k, s, p)
        return o

    # -- ops (arguments as the language sketch defines them)
    def conv(self, name, x, filters, kernel, stride=1, pad=0, groups=1, bias=False):
        n, c, h, w = self.shape[x]
        assert c % groups == 0 and filters % groups == 0, (name, c, filters, groups)
        ho, wo = self.out_dim(h, kernel, stride, pad), self.out_dim(w, kernel, stride, pad)
        args = [x, f"weights={self.rnd()}"]
        if bias:
            args.append(f"bias={self.rnd()}")
        args += [f"filters={filters}", f"kernel={kernel}", f"stride={stride}", f"pad={pad}"]
        if groups != 1:
            args.append(f"groups={groups}")
        self.params += filters * (c // groups) * kernel * kernel + (filters if bias else 0)
        self.macs += n * filters * ho * wo * (c // groups) * kernel * kernel
        return self.add_line(name, f"conv2d({', '.join(args)})", (n, filters, ho, wo))

    def bn(self, name, x):
        c = self.shape[x][1]
        self.params += 2 * c
        self.bn_stats += 2 * c
        expr = (f"batchnorm({x}, gamma={self.rnd()}, beta={self.rnd()}, "
                f"mean={self.rnd()}, var={self.rnd()})")
        return self.add_line(name, expr, self.shape[x])

    def act(self, name, x, op="relu"):
        return self.add_line(name, f"{op}({x})", self.shape[x])

    def pool(self, name, x, size, stride, pad=0, op="maxpool"):
        n, c, h, w = self.shape[x]
        args = [x, f"size={size}", f"stride={stride}"]
        if pad:
            args.append(f"pad={pad}")
        shape = (n, c, self.out_dim(h, size, stride, pad), self.out_dim(w, size, stride, pad))
        return self.add_line(name, f"{op}({', '.join(args)})", shape)

    def gap(self, name, x):
        n, c, _, _ = self.shape[x]
        return self.add_line(name, f"global_avgpool({x})", (n, c, 1, 1))

    def add(self, name, a, b):
        assert self.shape[a] == self.shape[b], (name, self.shape[a], self.shape[b])
        return self.add_line(name, f"add({a}, {b})", self.shape[a])

    def dense(self, name, x, units, bias=True):
        """dense over x; a rank-4 x is flattened by a nested flatten(x)."""
        s = self.shape[x]
        feat = 1
        for d in s[1:]:
            feat *= d
        src = x if len(s) == 2 else f"flatten({x})"
        args = [src, f"weights={self.rnd()}"]
        if bias:
            args.append(f"bias={self.rnd()}")
        args.append(f"units={units}")
        self.params += units * feat + (units if bias else 0)
        self.macs += s[0] * units * feat
        return self.add_line(name, f"dense({', '.join(args)})", (s[0], units))

    def output(self, *names):
        self.outputs.extend(names)

    # -- text
    def text(self):
        out = [f"# {l}" if l else "#" for l in self.header]
        out.append("# Generated by examples/synthetic/gen.py -- edit that script, not this file.")
        out.append(f"# Parameters: {self.params:,} (+ {self.bn_stats:,} batch-norm running "
                   f"mean/var values); MACs per image: {self.macs:,}.")
        out.append("")
        out.append(f"network {self.name} {{")
        dims = ", ".join(str(d) for d in self.shape[self.input])
        out.append(f"  input {self.input} : f32[{dims}]")
        width = min(96, max(len(t) for t, _ in self.lines if t is not None))
        for t, c in self.lines:
            if t is None:
                out.append("")
                out.append(f"  # {c}")
            else:
                out.append(f"  {t.ljust(width)}  # {c}")
        out.append(f"  output {', '.join(self.outputs)}")
        out.append("}")
        out.append("")
        out.append(f"compile {self.name} {{")
        out.append(f"  {QUANT}")
        out.append("  target cpu")
        out.append("}")
        return "\n".join(out) + "\n"


# ====================================================================== nets
def lenet5():
    n = Net("lenet5", "image", (1, 1, 32, 32), """
LeNet-5 (LeCun et al., "Gradient-based learning applied to document
recognition", Proc. IEEE 1998) on 1x32x32 inputs, in its common modern form:
C1/C3/C5 fully connected convolutions (not the paper's partial C3 table),
ReLU instead of scaled tanh, max pooling for the S2/S4 subsampling layers,
F6 = 84 units, output = 10 logits (no RBF layer).
""")
    x = n.conv("conv1", "image", 6, 5, bias=True)
    x = n.act("relu1", x)
    x = n.pool("pool1", x, 2, 2)
    x = n.conv("conv2", x, 16, 5, bias=True)
    x = n.act("relu2", x)
    x = n.pool("pool2", x, 2, 2)
    x = n.conv("conv3", x, 120, 5, bias=True)
    x = n.act("relu3", x)
    x = n.dense("fc1", x, 84)
    x = n.act("relu4", x)
    x = n.dense("fc2", x, 10)
    n.output(x)
    return n


def vgg9():
    n = Net("vgg9", "image", (1, 3, 32, 32), """
VGG-9 on CIFAR-10 shapes (1x3x32x32), the definition named "VGG-9" in Dong
et al., "Learning Accurate Low-Bit Deep Neural Networks with Stochastic
Quantization" (BMVC 2017, arXiv 1708.01001), a ternary/binary weight paper:
  (2 x 64C3) - MP2 - (2 x 128C3) - MP2 - (2 x 256C3) - MP2 - (2 x 512FC) - 10FC
3x3 convolutions with pad 1, each followed by batch norm and ReLU (batch norm
placement is our choice, as in common implementations). Boo & Sung
(arXiv 1707.03684) also report a "VGG-9"; its exact layer list was not checked.
""")
    x = "image"
    i = 0
    for stage, ch in enumerate((64, 128, 256), start=1):
        for _ in range(2):
            i += 1
            x = n.conv(f"conv{i}", x, ch, 3, pad=1)
            x = n.bn(f"bn{i}", x)
            x = n.act(f"act{i}", x)
        x = n.pool(f"pool{stage}", x, 2, 2)
    x = n.dense("fc1", x, 512)
    x = n.act("relu_fc1", x)
    x = n.dense("fc2", x, 512)
    x = n.act("relu_fc2", x)
    x = n.dense("fc3", x, 10)
    n.output(x)
    return n


def alexnet():
    n = Net("alexnet", "image", (1, 3, 224, 224), """
AlexNet, torchvision layout (torchvision.models.alexnet, after Krizhevsky,
"One weird trick...", arXiv 1404.5997): single tower, groups=1, no LRN.
The adaptive 6x6 average pool is the identity at 224x224 and is omitted;
dropout is omitted (inference).
""")
    cfg = [  # (filters, kernel, stride, pad, pool after)
        (64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False),
        (256, 3, 1, 1, False), (256, 3, 1, 1, True)]
    x = "image"
    p = 0
    for i, (f, k, s, pd, pool) in enumerate(cfg, start=1):
        x = n.conv(f"conv{i}", x, f, k, stride=s, pad=pd, bias=True)
        x = n.act(f"relu{i}", x)
        if pool:
            p += 1
            x = n.pool(f"pool{p}", x, 3, 2)
    assert n.shape[x] == (1, 256, 6, 6)
    x = n.dense("fc6", x, 4096)
    x = n.act("relu_fc6", x)
    x = n.dense("fc7", x, 4096)
    x = n.act("relu_fc7", x)
    x = n.dense("fc8", x, 1000)
    n.output(x)
    return n


def vgg16():
    n = Net("vgg16", "image", (1, 3, 224, 224), """
VGG-16 (Simonyan & Zisserman, arXiv 1409.1556, configuration D), torchvision
layout (torchvision.models.vgg16, no batch norm): 13 3x3 convolutions with
bias and pad 1, 5 max pools, fc 4096 - 4096 - 1000. The adaptive 7x7 average
pool is the identity at 224x224 and is omitted; dropout is omitted.
""")
    x = "image"
    i = 0
    for stage, (ch, reps) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for r in range(1, reps + 1):
            i += 1
            x = n.conv(f"conv{stage}_{r}", x, ch, 3, pad=1, bias=True)
            x = n.act(f"relu{stage}_{r}", x)
        x = n.pool(f"pool{stage}", x, 2, 2)
    assert i == 13 and n.shape[x] == (1, 512, 7, 7)
    x = n.dense("fc6", x, 4096)
    x = n.act("relu_fc6", x)
    x = n.dense("fc7", x, 4096)
    x = n.act("relu_fc7", x)
    x = n.dense("fc8", x, 1000)
    n.output(x)
    return n


def resnet_stem(n):
    x = n.conv("conv1", "image", 64, 7, stride=2, pad=3)
    x = n.bn("bn1", x)
    x = n.act("relu1", x)
    return n.pool("pool1", x, 3, 2, pad=1)


def resnet_head(n, x):
    x = n.gap("gap", x)
    x = n.dense("fc", x, 1000)
    n.output(x)


def basic_block(n, p, x, width, stride):
    """torchvision BasicBlock: 3x3(stride) bn relu 3x3 bn (+ downsample) add relu."""
    cin = n.shape[x][1]
    y = n.conv(f"{p}_conv1", x, width, 3, stride=stride, pad=1)
    y = n.bn(f"{p}_bn1", y)
    y = n.act(f"{p}_relu1", y)
    y = n.conv(f"{p}_conv2", y, width, 3, pad=1)
    y = n.bn(f"{p}_bn2", y)
    sc = x
    if stride != 1 or cin != width:
        sc = n.conv(f"{p}_downsample_0", x, width, 1, stride=stride)
        sc = n.bn(f"{p}_downsample_1", sc)
    y = n.add(f"{p}_add", y, sc)
    return n.act(f"{p}_relu2", y)


def bottleneck(n, p, x, width, stride):
    """torchvision Bottleneck (ResNet v1.5: stride on the 3x3 conv):
    1x1 bn relu, 3x3(stride) bn relu, 1x1(4*width) bn, (+ projection) add relu."""
    cin = n.shape[x][1]
    out = 4 * width
    y = n.conv(f"{p}_conv1", x, width, 1)
    y = n.bn(f"{p}_bn1", y)
    y = n.act(f"{p}_relu1", y)
    y = n.conv(f"{p}_conv2", y, width, 3, stride=stride, pad=1)
    y = n.bn(f"{p}_bn2", y)
    y = n.act(f"{p}_relu2", y)
    y = n.conv(f"{p}_conv3", y, out, 1)
    y = n.bn(f"{p}_bn3", y)
    sc = x
    if stride != 1 or cin != out:
        sc = n.conv(f"{p}_downsample_0", x, out, 1, stride=stride)
        sc = n.bn(f"{p}_downsample_1", sc)
    y = n.add(f"{p}_add", y, sc)
    return n.act(f"{p}_relu3", y)


def resnet(name, block, layers, header):
    n = Net(name, "image", (1, 3, 224, 224), header)
    x = resnet_stem(n)
    for li, (width, reps) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        n.comment(f"layer{li}: {reps} x {block.__name__}, width {width}")
        for b in range(reps):
            stride = 2 if (li > 1 and b == 0) else 1
            x = block(n, f"layer{li}_{b}", x, width, stride)
    resnet_head(n, x)
    return n


def resnet18():
    return resnet("resnet18", basic_block, (2, 2, 2, 2), """
ResNet-18 (He et al., arXiv 1512.03385), torchvision topology
(torchvision.models.resnet18): conv7x7/2 + bn + relu + maxpool3/2 pad 1,
4 stages of 2 BasicBlocks (64, 128, 256, 512), projection shortcut
(1x1 conv stride 2 + bn) where the shape changes, global average pool, fc 1000.
Convolutions have no bias (batch norm follows each of them).
""")


def resnet50():
    return resnet("resnet50", bottleneck, (3, 4, 6, 3), """
ResNet-50 (He et al., arXiv 1512.03385), torchvision topology
(torchvision.models.resnet50, "v1.5": the stride-2 sits on the 3x3 conv):
conv7x7/2 + bn + relu + maxpool3/2 pad 1, bottleneck stages of 3, 4, 6, 3
blocks (widths 64, 128, 256, 512, expansion 4), projection shortcuts (1x1 conv
+ bn) on the first block of each stage, global average pool, fc 1000.
Convolutions have no bias (batch norm follows each of them).
""")


def mobilenet_v1():
    n = Net("mobilenet_v1", "image", (1, 3, 224, 224), """
MobileNet-v1 1.0/224 (Howard et al., arXiv 1704.04861, Table 1): conv3x3/2 32,
then 13 depthwise-separable blocks (3x3 depthwise conv with groups=C, bn, relu6;
1x1 pointwise conv, bn, relu6), global average pool, fc 1000. ReLU6 and
symmetric pad 1 as in the TF-slim/Keras implementation (TF uses SAME padding,
asymmetric for stride 2; the output sizes are the same). Convolutions have no bias.
""")
    x = n.conv("conv0", "image", 32, 3, stride=2, pad=1)
    x = n.bn("bn0", x)
    x = n.act("relu0", x, "relu6")
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    for i, (out, stride) in enumerate(blocks, start=1):
        c = n.shape[x][1]
        n.comment(f"block {i}: depthwise 3x3/{stride} on {c} channels, pointwise {c} -> {out}")
        x = n.conv(f"dw{i}", x, c, 3, stride=stride, pad=1, groups=c)
        x = n.bn(f"dw{i}_bn", x)
        x = n.act(f"dw{i}_relu", x, "relu6")
        x = n.conv(f"pw{i}", x, out, 1)
        x = n.bn(f"pw{i}_bn", x)
        x = n.act(f"pw{i}_relu", x, "relu6")
    assert n.shape[x] == (1, 1024, 7, 7)
    x = n.gap("gap", x)
    x = n.dense("fc", x, 1000)
    n.output(x)
    return n


NETS = [lenet5, vgg9, alexnet, vgg16, resnet18, resnet50, mobilenet_v1]

# Reference parameter counts (torchvision's / the papers' figures).
EXPECTED_PARAMS = {
    "alexnet": 61100840,       # torchvision alexnet
    "vgg16": 138357544,        # torchvision vgg16
    "resnet18": 11689512,      # torchvision resnet18
    "resnet50": 25557032,      # torchvision resnet50
    "mobilenet_v1": 4231976,   # Keras MobileNet (alpha 1.0) trainable parameters
}


def main(argv):
    check = "--check" in argv
    summary = "--summary" in argv
    stale = []
    if summary:
        print(f"{'network':14} {'parameters':>13} {'bn stats':>10} {'MACs':>15}")
    for fn in NETS:
        n = fn()
        want = EXPECTED_PARAMS.get(n.name)
        assert want is None or n.params == want, (n.name, n.params, want)
        path = os.path.join(HERE, n.name + ".spx")
        text = n.text()
        if summary:
            print(f"{n.name:14} {n.params:13,} {n.bn_stats:10,} {n.macs:15,}")
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(n.name)
            except FileNotFoundError:
                stale.append(n.name)
        elif not summary:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
    if stale:
        print("stale (run examples/synthetic/gen.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
