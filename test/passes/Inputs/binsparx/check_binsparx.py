"""check_binsparx.py - the binsparx stats of a compiled binary model against an
independent numpy count from the model's .npy files.

  check_binsparx.py REPORT.json DIR [--weights on|off] [--subvector N]
                    LAYER=WEIGHTS.npy:GAMMA.npy ...

For each LAYER (a binary conv2d/dense whose batchnorm, with gamma GAMMA.npy,
folds into it), the effective binary weights are, from the definitions
(passes/binarize.c, fold-batchnorm, docs/number-formats.md "Binary"):
  b[r, i] = (w[r, i] >= 0 ? +1 : -1) * (gamma[r] > 0 ? +1 : -1)
(binarize keeps sign(w), sign(0) = +1; batchnorm's per-channel scale
gamma / sqrt(var + eps) multiplies a whole row, a negative one flips it).
With weight flips a row is flipped iff it has strictly more +1 than -1 (a
tie is not). The report's spx.stats must say: columns = rows, weight_bits =
rows * row_len, flip_bits = rows, flipped_columns (0 with --weights off),
conducting_before = the +1 weights, conducting_after = the stored +1 cells
after the flips, subvector and activations as asked.
"""
import json
import os
import sys

import numpy as np


def main():
    args = sys.argv[1:]
    report, base = args[0], args[1]
    weights, sub = True, 16
    specs = []
    i = 2
    while i < len(args):
        if args[i] == "--weights":
            weights = args[i + 1] == "on"
            i += 2
        elif args[i] == "--subvector":
            sub = int(args[i + 1])
            i += 2
        else:
            specs.append(args[i])
            i += 1
    layers = {l["name"]: l for l in json.load(open(report))["layers"]}
    bad = 0
    for spec in specs:
        name, files = spec.split("=")
        wf, gf = files.split(":")
        w = np.load(os.path.join(base, wf))
        gamma = np.load(os.path.join(base, gf))
        rows = w.shape[0]
        b = np.where(w.reshape(rows, -1) >= 0, 1, -1) * np.where(gamma > 0, 1, -1)[:, None]
        row_len = b.shape[1]
        ones = (b > 0).sum(axis=1)
        flip = (2 * ones > row_len) if weights else np.zeros(rows, bool)
        after = np.where(flip, row_len - ones, ones)
        want = {
            "technique": "binsparx", "columns": rows, "weight_bits": rows * row_len,
            "flip_bits": rows, "flipped_columns": int(flip.sum()),
            "conducting_before": int(ones.sum()), "conducting_after": int(after.sum()),
            "subvector": sub, "activations": "on" if sub else "off",
        }
        got = layers.get(name, {}).get("stats", {})
        for k, v in want.items():
            if got.get(k) != v:
                print("FAIL %s: %s = %r, want %r" % (name, k, got.get(k), v))
                bad += 1
        ties = int((2 * ones == row_len).sum())
        print("%s: %d columns of %d, %d flipped (%d ties kept), conducting %d -> %d" %
              (name, rows, row_len, want["flipped_columns"], ties, want["conducting_before"],
               want["conducting_after"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
