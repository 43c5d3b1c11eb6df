#!/usr/bin/python3
"""Accuracy of the digits MLP and CNN with every conv2d/dense's weights and
input rounded to a number format, the rest in float64: what a format does
to the network before any datapath exists for it (e.g. a standard posit,
which the LP datapath does not run).

    /usr/bin/python3 bench/fakequant_digits.py BUILD_DIR SPEC [SPEC...]

Each SPEC is an spx-quant spec ('posit(n=8, es=1)', 'lp(n=8, es=1, rs=4,
sf=2)', int8 - one scale per tensor); the rounding is spx-quant's
(docs/number-formats.md), run on each tensor as a whole. Layers:
examples/digits/reference.py. Prints one line per spec and model."""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "examples", "digits"))
import reference as ref  # noqa: E402


def rounder(quant, spec, tmp):
    def r(x):
        src, dst = os.path.join(tmp, "x.npy"), os.path.join(tmp, "q.npy")
        np.save(src, np.asarray(x, np.float64))
        subprocess.run([quant, spec, src, "-o", dst], check=True, stdout=subprocess.DEVNULL)
        return np.load(dst)
    return r


def mlp(p, x, q):
    h = ref.relu(ref.dense(q(x), q(p["fc1_w"]), p["fc1_b"]))
    return ref.dense(q(h), q(p["fc2_w"]), p["fc2_b"])


def cnn(p, x, q):
    h = ref.maxpool(ref.relu(ref.conv2d(q(x), q(p["conv1_w"]), p["conv1_b"], pad=1)))
    h = ref.maxpool(ref.relu(ref.conv2d(q(h), q(p["conv2_w"]), p["conv2_b"], pad=1)))
    return ref.dense(q(ref.flatten(h)), q(p["fc1_w"]), p["fc1_b"])


def main():
    build, specs = sys.argv[1], sys.argv[2:]
    quant = os.path.join(build, "bin", "spx-quant")
    data = os.path.join(ROOT, "examples", "digits", "data")
    y = np.load(os.path.join(data, "test_y.npy"))
    xs = {"mlp": np.load(os.path.join(data, "test_x_flat.npy")),
          "cnn": np.load(os.path.join(data, "test_x.npy"))}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            for kind, fwd in (("mlp", mlp), ("cnn", cnn)):
                logits = fwd(ref.load(kind), xs[kind], rounder(quant, spec, tmp))
                ok = int((logits.argmax(1) == y).sum())
                print(f"{spec:<28} {kind}: {ok / len(y):.4f} ({ok}/{len(y)})")


main()
