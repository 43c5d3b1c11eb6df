#!/usr/bin/python3
"""The digits MLP and CNN, .spx and exported to ONNX (examples/onnx/make_models.py),
compiled alike (int8, the .spx's calibration data) for every target and run
on the 360 test images: prints "TARGET MODEL: SPX_ACCURACY / ONNX_ACCURACY".
usage: digits_targets.py PATH/TO/spxc EXAMPLES_DIR ONNX_DIR WORK_DIR"""
import os
import subprocess
import sys

spxc, ex, onnx_dir, work = sys.argv[1:5]
run = os.path.join(os.path.dirname(spxc), "spx-run")
data = os.path.join(ex, "digits", "data")
for t in ("cpu", "aie", "bitserial", "lpa", "xbar"):
    for n, x, calib in (("mlp", "test_x_flat.npy", "calib_flat.npy"), ("cnn", "test_x.npy", "calib.npy")):
        acc = []
        for kind, src, extra in (
                ("spx", os.path.join(ex, "digits", n + ".spx"), []),
                ("onnx", os.path.join(onnx_dir, "digits_%s.onnx" % n),
                 ["--quantize=int8 calibrate=\"%s\"" % os.path.join(data, calib)])):
            out = os.path.join(work, "%s-%s-%s" % (t, n, kind))
            subprocess.run([spxc, src, "--target=" + t, "--emit=spxbin", "-o", out] + extra,
                           check=True, stderr=subprocess.DEVNULL)
            r = subprocess.run([run, os.path.join(out, "digits_%s.spxbin" % n), "--input",
                                os.path.join(data, x), "--labels", os.path.join(data, "test_y.npy")],
                               check=True, capture_output=True, text=True)
            acc.append(next(l for l in r.stdout.splitlines() if l.startswith("accuracy")))
        print("%s %s: %s / %s" % (t, n, acc[0], acc[1]))
