"""Checks spx-run --dump-activations and --compare-f32 from their definitions.

  check_activations.py dump DIR COMPILE_REPORT OUT.npy N
    prints the dump's file names (sorted); checks that the last layer's dump
    equals the first N rows of spx-run --output, and that every NAME.int8.npy
    dequantized with its layer's scale/zero point from the compile report
    (real = scale * (q - zero_point), in float32) equals NAME.npy.
  check_activations.py compare QDIR FDIR RUN_REPORT
    from the dumps of every sample of the int8 model (QDIR) and of the float
    model (FDIR): per layer name present in both, SQNR = 10 log10(sum ref^2 /
    sum (x - ref)^2) and max |x - ref|, checked against the run report's
    "sqnr_db" and "max_abs_error"."""
import json
import os
import sys

import numpy as np


def safe(name):
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


def dump(d, report, out, n):
    files = sorted(os.listdir(d))
    for f in files:
        print("file", f)
    layers = json.load(open(report))["layers"]
    ok = True
    last = safe(layers[-1]["name"])
    y = np.load(out)[:n]
    got = np.load(os.path.join(d, last + ".npy"))
    if got.shape != y.shape or not np.array_equal(got, y):
        print("last layer %s differs from --output" % last)
        ok = False
    checked = 0
    for l in layers:
        o = l.get("output", {})
        if o.get("dtype") != "int8":
            continue
        base = os.path.join(d, safe(l["name"]))
        q = np.load(base + ".int8.npy")
        f = np.load(base + ".npy")
        assert q.dtype == np.int8 and f.dtype == np.float32 and q.shape[0] == n
        deq = np.float32(o["scale"]) * (q.astype(np.float32) - np.float32(o["zero_point"]))
        if not np.array_equal(deq, f):
            print("%s: dequantized int8 dump differs from the f32 dump" % l["name"])
            ok = False
        checked += 1
    print("int8 layers checked:", checked)
    print("OK" if ok and checked else "FAIL")


def compare(qdir, fdir, run_report):
    layers = json.load(open(run_report))["layers"]
    ok = True
    n = 0
    for l in layers:
        name = safe(l["name"])
        qf, ff = os.path.join(qdir, name + ".npy"), os.path.join(fdir, name + ".npy")
        if not os.path.exists(ff):
            if "sqnr_db" in l or "max_abs_error" in l:
                print("%s: figures for a layer not in the float model" % l["name"])
                ok = False
            continue
        x = np.load(qf).astype(np.float64)
        r = np.load(ff).astype(np.float64)
        e = x - r
        sqnr = 10 * np.log10(np.sum(r * r) / np.sum(e * e))
        mx = np.max(np.abs(e))
        print("%s sqnr %.2f max %.6g" % (l["name"], sqnr, mx))
        if abs(l.get("sqnr_db", -1e9) - sqnr) > 1e-3 or abs(l["max_abs_error"] - mx) > 1e-6 * max(1, mx):
            print("%s: report has %r %r" % (l["name"], l.get("sqnr_db"), l.get("max_abs_error")))
            ok = False
        n += 1
    print("layers compared:", n)
    print("OK" if ok and n else "FAIL")


if sys.argv[1] == "dump":
    dump(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
else:
    compare(sys.argv[2], sys.argv[3], sys.argv[4])
