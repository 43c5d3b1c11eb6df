#!/usr/bin/python3
"""Compiles every case of make_models.py ops (DIR/cases.txt) with spxc (cpu,
f32), runs it with spx-run and compares with the numpy reference.
usage: run_cases.py PATH/TO/spxc DIR [spxc options...]"""
import os
import subprocess
import sys

import numpy as np

spxc, d, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
run = os.path.join(os.path.dirname(spxc), "spx-run")
for c in open(os.path.join(d, "cases.txt")).read().split():
    out = os.path.join(d, "out_" + c)
    subprocess.run([spxc, os.path.join(d, c + ".onnx"), "--emit=spxbin", "-o", out] + extra, check=True)
    got = os.path.join(d, c + ".got.npy")
    subprocess.run([run, os.path.join(out, c + ".spxbin"), "--input", os.path.join(d, c + ".x.npy"),
                    "--output", got], check=True, stdout=subprocess.DEVNULL)
    g, w = np.load(got).ravel(), np.load(os.path.join(d, c + ".y.npy")).ravel()
    ok = g.size == w.size and np.allclose(g, w, rtol=1e-4, atol=1e-5)
    print("%s: %s" % (c, "ok" if ok else "MISMATCH"))
