"""Checks spx-run's int8 outputs of a digits model against the float model.

usage: check_digits.py mlp|cnn OUT.npy

OUT.npy is what `spx-run --output` wrote for the whole test set. Checks, with
examples/digits/reference.py (numpy float64) as the independent reference:
  - shape [360, 10], float32;
  - accuracy within 1 point of the float accuracy in accuracy.json;
  - logits close to the float logits: rms error <= 1% and max error <= 10%
    of the largest float logit magnitude, argmax agreement >= 98%.
Prints the figures; exit status 1 on a failed check.
"""
import json
import os
import sys

import numpy as np

EX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                  "..", "examples", "digits")
sys.path.insert(0, EX)
import reference  # noqa: E402


def main():
    kind, out_path = sys.argv[1], sys.argv[2]
    x = np.load(os.path.join(EX, "data", "test_x.npy"))
    y = np.load(os.path.join(EX, "data", "test_y.npy"))
    want = json.load(open(os.path.join(EX, "accuracy.json")))[kind]["accuracy"]
    ref = reference.mlp_forward(x) if kind == "mlp" else reference.cnn_forward(x)
    out = np.load(out_path)
    ok = True
    if out.shape != ref.shape or out.dtype != np.float32:
        print("FAIL: output %s %s, want %s float32" % (out.shape, out.dtype, ref.shape))
        return 1
    acc = float((out.argmax(1) == y).mean())
    mag = float(np.abs(ref).max())
    rms = float(np.sqrt(((out - ref) ** 2).mean()))
    mx = float(np.abs(out - ref).max())
    agree = float((out.argmax(1) == ref.argmax(1)).mean())
    print("%s int8 accuracy %.4f float %.4f" % (kind, acc, want))
    print("%s rms/mag %.4f max/mag %.4f argmax agreement %.4f" % (kind, rms / mag, mx / mag, agree))
    if abs(acc - want) > 0.01:
        print("FAIL: accuracy %.4f is more than 1 point from float %.4f" % (acc, want))
        ok = False
    if rms > 0.01 * mag or mx > 0.10 * mag or agree < 0.98:
        print("FAIL: int8 logits too far from the float reference")
        ok = False
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
