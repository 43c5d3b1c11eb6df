"""Checks spx-run's --labels accuracy (printed and in --report) against
numpy: top-1 accuracy, the argmax of each output row against its label
(ties: the first maximum, as numpy's argmax and spx-run's definition).

usage: accuracy_check.py OUT.npy LABELS.npy REPORT.json PRINTED.txt"""
import json
import sys

import numpy as np

out = np.load(sys.argv[1])
labels = np.load(sys.argv[2]).astype(np.int64)
report = json.load(open(sys.argv[3]))
printed = open(sys.argv[4]).read()

n = out.shape[0]
correct = int((out.reshape(n, -1).argmax(axis=1) == labels).sum())
want = correct / n
bad = []
if report.get("correct") != correct:
    bad.append("report correct %r, numpy %d" % (report.get("correct"), correct))
if not isinstance(report.get("accuracy"), float) or abs(report["accuracy"] - want) > 5e-7:
    bad.append("report accuracy %r, numpy %.6f" % (report.get("accuracy"), want))
if report.get("samples") != n:
    bad.append("report samples %r, numpy %d" % (report.get("samples"), n))
line = "accuracy: %.4f (%d/%d)" % (want, correct, n)
if line not in printed:
    bad.append("printed %r, numpy %r" % (printed.strip(), line))
for b in bad:
    print("MISMATCH:", b)
print("accuracy %d/%d %s" % (correct, n, "ok" if not bad else "BAD"))
sys.exit(1 if bad else 0)
