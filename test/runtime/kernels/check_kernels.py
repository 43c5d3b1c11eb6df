#!/usr/bin/python3
"""check_kernels.py - checks libspxrt kernels (through spx-kernel-harness)
against the numpy references of spxref.py.

  check_kernels.py --op conv2d [--case NAME|all] [--harness EXE] [--work DIR]

The ops conv2d_ternary and dense_ternary check the ternary int8 kernels
(spx_rt_{conv2d,dense}_s8_ternary and the "ternary" format descriptor):
random weights in {-1, 0, +1} with at most K non-zeros per group of N input
channels, encoded by ../formats/ternary_ref.py (the format written from its
definition, independent of the C), against the int8 reference on those
weights with alpha as the per-channel weight scale, bit for bit.

For every case of an op: the f32 kernel against float64 numpy within float
tolerance; the int8 kernel against the integer reference, bit for bit; and the
int8 output, dequantized, against the f32 kernel run on the dequantized
inputs (within one output quantization step). Prints one line per check and
the largest error; exits non-zero on the first mismatch.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "formats"))
import spxref as R  # noqa: E402
import ternary_ref as T  # noqa: E402

H = None
FAILS = []


def report(name, ok, msg):
    print("%s %s: %s" % ("PASS" if ok else "FAIL", name, msg))
    if not ok:
        FAILS.append(name)


def check_f32(name, got, want, rtol=1e-4, atol=1e-5):
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return report(name, False, "shape %s, expected %s" % (got.shape, want.shape))
    err = np.abs(got.astype(np.float64) - want)
    tol = atol + rtol * np.abs(want).max(initial=0.0)
    report(name, bool(err.max(initial=0.0) <= tol),
           "max abs error %.3g (tolerance %.3g)" % (err.max(initial=0.0), tol))


def check_exact(name, got, want):
    want = np.asarray(want)
    if got.shape != want.shape:
        return report(name, False, "shape %s, expected %s" % (got.shape, want.shape))
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    bad = int((diff != 0).sum())
    msg = "%d of %d differ, max abs diff %d" % (bad, diff.size, diff.max(initial=0))
    if bad:
        idx = np.argwhere(diff != 0)[0]
        msg += "; first at %s: got %d, expected %d" % (
            tuple(int(i) for i in idx), got[tuple(idx)], want[tuple(idx)])
    report(name, bad == 0, msg)


def check_close_q(name, q, scale, zp, f, lo, hi, steps=1.0):
    """Dequantized int8 output q against float f clipped to [lo, hi] codes.
    One step is the bound of the TFLite requantization: rounding to the
    output grid (1/2) plus the double rounding of SRDHM followed by
    RoundingDivideByPOT (up to 1/2 * 2^shift)."""
    deq = R.dequantize(q, scale, zp)
    ref = np.clip(np.asarray(f, dtype=np.float64), (lo - zp) * scale, (hi - zp) * scale)
    e = np.abs(deq - ref)
    err = e.max(initial=0.0)
    msg = "max error %.3g = %.2f output steps (allowed %.2f)" % (err, err / scale, steps)
    ok = bool(err <= steps * scale * 1.0001 + 1e-6)
    if not ok:
        i = np.unravel_index(np.argmax(e), e.shape)
        msg += "; at %s: code %d, float %.6g = code %.3f" % (
            tuple(int(v) for v in i), q[i], ref[i], zp + ref[i] / scale)
    report(name, ok, msg)


def rng_for(case):
    return np.random.default_rng(abs(hash(case)) % (1 << 32) if False else
                                 sum(map(ord, case)) * 7919)


# ---- conv2d ----------------------------------------------------------------

CONV_CASES = {
    # name: (n, cin, h, w, cout, kh, kw, stride, pad, dilation, groups, act, bias)
    "basic3x3": (1, 3, 8, 8, 8, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "none", True),
    "stride2_asympad": (1, 5, 9, 11, 6, 3, 3, (2, 2), (0, 1, 2, 1), (1, 1), 1, "relu", True),
    "stride_hw": (2, 4, 10, 7, 5, 3, 2, (3, 1), (1, 0, 1, 1), (1, 1), 1, "none", False),
    "dilation": (1, 6, 12, 12, 7, 3, 3, (1, 1), (2, 2, 2, 2), (2, 2), 1, "relu6", True),
    "dilation_hw": (1, 3, 11, 9, 4, 2, 3, (2, 1), (1, 2, 0, 1), (3, 2), 1, "none", True),
    "groups": (1, 6, 7, 7, 10, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 2, "relu", True),
    "groups3_stride2": (2, 9, 9, 8, 12, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 3, "none", True),
    "depthwise": (1, 7, 9, 9, 7, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 7, "relu6", True),
    "depthwise_s2": (2, 13, 10, 9, 13, 3, 3, (2, 2), (0, 1, 1, 0), (1, 1), 13, "none", True),
    "depthwise_mult2": (1, 5, 8, 8, 10, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 5, "relu", True),
    "depthwise_dil": (1, 4, 9, 10, 4, 3, 3, (1, 2), (2, 2, 2, 2), (2, 2), 4, "none", False),
    "pointwise": (1, 13, 7, 5, 19, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1, "none", True),
    "pointwise_s2": (3, 16, 8, 8, 24, 1, 1, (2, 2), (0, 0, 0, 0), (1, 1), 1, "relu", True),
    "batch3": (3, 3, 6, 6, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "none", True),
    "kernel_gt_input": (1, 2, 3, 3, 3, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1), 1, "none", True),
    "rect1x7": (1, 4, 9, 12, 6, 1, 7, (1, 1), (0, 3, 0, 3), (1, 1), 1, "none", True),
    "wide_k": (1, 64, 9, 9, 33, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu", True),
    "digits": (2, 1, 8, 8, 8, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu", True),
}


def conv_case(name, zp_bias=None):
    n, cin, h, w, cout, kh, kw, stride, pad, dil, groups, act, has_b = CONV_CASES[name]
    rng = rng_for(name)
    x = rng.normal(0.3, 1.0, (n, cin, h, w)).astype(np.float32)
    wf = (rng.normal(0, 1, (cout, cin // groups, kh, kw)) /
          np.sqrt(cin // groups * kh * kw)).astype(np.float32)
    bf = rng.normal(0, 0.5, cout).astype(np.float32) if has_b else None
    args = dict(stride=list(stride), pad=list(pad), dilation=list(dil), groups=groups, act=act)
    inputs = {"x": x, "w": wf}
    if has_b:
        inputs["b"] = bf
    got = H.run("conv2d_f32", inputs, **args)
    ref = R.act_f(R.conv2d(x, wf, bf, stride, pad, dil, groups, np.float64), act)
    check_f32("conv2d_f32/" + name, got, ref)

    # int8: quantize inputs, weights (per channel) and bias
    in_scale, in_zp = R.choose_quant(x.min(), x.max())
    if zp_bias is not None:
        in_zp = zp_bias
    xq = R.quantize(x, in_scale, in_zp)
    wq, sw = R.quantize_weights(wf)
    bq = (np.round(bf / (np.float64(in_scale) * sw)).astype(np.int32) if has_b else None)
    raw = R.conv2d(x, wf, bf, stride, pad, dil, groups, np.float64)
    out_scale, out_zp = R.choose_quant(raw.min(), raw.max())
    qargs = dict(args, in_scale=in_scale, in_zp=in_zp, out_scale=out_scale, out_zp=out_zp)
    qin = {"x": xq, "w": wq, "sw": sw}
    if has_b:
        qin["b"] = bq
    got_q = H.run("conv2d_s8", qin, **qargs)
    acc = R.conv2d(xq.astype(np.int64) - in_zp, wq, bq, stride, pad, dil, groups, np.int64)
    mult, shift = zip(*[R.quantize_multiplier(R.f32(in_scale) * float(s) / R.f32(out_scale))
                        for s in sw])
    lo, hi = R.act_range(act, out_scale, out_zp)
    want = np.clip(out_zp + R.mbqm(acc, np.array(mult).reshape(1, -1, 1, 1),
                                   np.array(shift).reshape(1, -1, 1, 1)), lo, hi)
    check_exact("conv2d_s8/" + name, got_q, want)

    # dequantized int8 vs f32 on the dequantized operands
    xd = R.dequantize(xq, in_scale, in_zp).astype(np.float32)
    wd = (wq.astype(np.float64) * sw.reshape(-1, 1, 1, 1)).astype(np.float32)
    dq = {"x": xd, "w": wd}
    if has_b:
        dq["b"] = (bq * (np.float64(in_scale) * sw)).astype(np.float32)
    fd = H.run("conv2d_f32", dq, **args)
    check_close_q("conv2d_s8~f32/" + name, got_q, out_scale, out_zp, fd, lo, hi)


# ---- dense -----------------------------------------------------------------

DENSE_CASES = {
    "basic": (1, 64, 10, "none", True),
    "batch": (5, 37, 13, "relu", True),
    "odd_units": (2, 7, 3, "relu6", False),
    "wide": (1, 2048, 33, "none", True),
}


def dense_case(name):
    n, f, u, act, has_b = DENSE_CASES[name]
    rng = rng_for(name)
    x = rng.normal(-0.2, 1.0, (n, f)).astype(np.float32)
    wf = (rng.normal(0, 1, (u, f)) / np.sqrt(f)).astype(np.float32)
    bf = rng.normal(0, 0.5, u).astype(np.float32) if has_b else None
    inputs = {"x": x, "w": wf}
    if has_b:
        inputs["b"] = bf
    got = H.run("dense_f32", inputs, act=act)
    raw = x.astype(np.float64) @ wf.astype(np.float64).T + (bf if has_b else 0)
    check_f32("dense_f32/" + name, got, R.act_f(raw, act))

    in_scale, in_zp = R.choose_quant(x.min(), x.max())
    xq = R.quantize(x, in_scale, in_zp)
    wq, sw = R.quantize_weights(wf)
    bq = np.round(bf / (np.float64(in_scale) * sw)).astype(np.int32) if has_b else None
    out_scale, out_zp = R.choose_quant(raw.min(), raw.max())
    qin = {"x": xq, "w": wq, "sw": sw}
    if has_b:
        qin["b"] = bq
    got_q = H.run("dense_s8", qin, act=act, in_scale=in_scale, in_zp=in_zp,
                  out_scale=out_scale, out_zp=out_zp)
    acc = (xq.astype(np.int64) - in_zp) @ wq.astype(np.int64).T + (bq if has_b else 0)
    mult, shift = zip(*[R.quantize_multiplier(R.f32(in_scale) * float(s) / R.f32(out_scale))
                        for s in sw])
    lo, hi = R.act_range(act, out_scale, out_zp)
    want = np.clip(out_zp + R.mbqm(acc, np.array(mult), np.array(shift)), lo, hi)
    check_exact("dense_s8/" + name, got_q, want)
    xd = R.dequantize(xq, in_scale, in_zp).astype(np.float32)
    wd = (wq * sw.reshape(-1, 1).astype(np.float64)).astype(np.float32)
    dq = {"x": xd, "w": wd}
    if has_b:
        dq["b"] = (bq * (np.float64(in_scale) * sw)).astype(np.float32)
    fd = H.run("dense_f32", dq, act=act)
    check_close_q("dense_s8~f32/" + name, got_q, out_scale, out_zp, fd, lo, hi)


# ---- ternary conv2d / dense ------------------------------------------------
# Weights w3 in {-1, 0, +1} with at most K non-zeros in every group of N
# consecutive input channels (ragged last groups where N does not divide
# them) and a per-channel scale alpha: the float layer is w3 * alpha, the
# int8 layer the int8 one with weights w3 and weight scale alpha (alpha folds
# into the requantization multiplier). The bytes come from ternary_ref's
# encoder; the harness validates them as a loader does and runs both the
# entry point and the format table's descriptor (which must agree).

TERNARY_GEOMS = dict(CONV_CASES)
TERNARY_GEOMS.update({
    # I = 37: ragged last groups for every N used here
    "cin37": (2, 37, 6, 6, 9, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu", True),
    # groups 2, I = 20
    "cin40_g2": (1, 40, 7, 7, 6, 3, 3, (2, 2), (1, 0, 1, 0), (1, 1), 2, "none", True),
    # 18 output pixels (a tile of 16, then one of 2 that the activation
    # tables take: 72 rows per conv group), I = 21 (ragged), groups 2
    "lut_tail_g2": (1, 42, 3, 6, 144, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 2, "relu", True),
})

# name: (geometry, N, K, options); options: "zero_row" (output channel 0 all
# zero), "layer_alpha" (one alpha for the layer)
TERNARY_CONV_CASES = {
    "basic3x3-n8k2": ("basic3x3", 8, 2, ""),
    "stride2_asympad-n16k16": ("stride2_asympad", 16, 16, ""),
    "stride_hw-n4k1": ("stride_hw", 4, 1, ""),
    "dilation-n5k3": ("dilation", 5, 3, ""),
    "dilation_hw-n8k2": ("dilation_hw", 8, 2, "layer_alpha"),
    "groups-n5k3": ("groups", 5, 3, ""),
    "groups3_stride2-n4k1": ("groups3_stride2", 4, 1, ""),
    "depthwise-n8k2": ("depthwise", 8, 2, ""),
    "depthwise_s2-n16k16": ("depthwise_s2", 16, 16, ""),
    "depthwise_mult2-n4k1": ("depthwise_mult2", 4, 1, ""),
    "depthwise_dil-n5k3": ("depthwise_dil", 5, 3, ""),
    "pointwise-n5k3": ("pointwise", 5, 3, ""),
    "pointwise_s2-n8k2": ("pointwise_s2", 8, 2, "zero_row"),
    "batch3-n4k1": ("batch3", 4, 1, ""),
    "kernel_gt_input-n16k16": ("kernel_gt_input", 16, 16, ""),
    "rect1x7-n8k2": ("rect1x7", 8, 2, ""),
    "wide_k-n8k2": ("wide_k", 8, 2, "zero_row"),
    "wide_k-n16k16": ("wide_k", 16, 16, ""),
    "wide_k-n4k1": ("wide_k", 4, 1, ""),
    "digits-n8k2": ("digits", 8, 2, ""),
    "cin37-n8k2": ("cin37", 8, 2, ""),
    "cin37-n16k16": ("cin37", 16, 16, "layer_alpha"),
    "cin37-n5k3": ("cin37", 5, 3, "zero_row"),
    "cin40_g2-n16k4": ("cin40_g2", 16, 4, ""),
    "lut_tail_g2-n8k2": ("lut_tail_g2", 8, 2, "zero_row"),
}

# name: (n, features, units, act, bias, N, K, options)
TERNARY_DENSE_CASES = {
    "basic-n8k2": (1, 64, 10, "none", True, 8, 2, ""),
    "batch-n4k1": (5, 37, 13, "relu", True, 4, 1, ""),
    "odd_units-n5k3": (2, 7, 3, "relu6", False, 5, 3, ""),
    "wide-n16k16": (1, 2048, 33, "none", True, 16, 16, "zero_row"),
    "wide-n8k2": (1, 2048, 33, "relu", True, 8, 2, ""),
    "ragged-n16k16": (3, 45, 17, "relu", True, 16, 16, ""),
    "ragged-n8k2": (4, 100, 20, "none", True, 8, 2, "layer_alpha"),
    "unranked-n16k4": (2, 300, 12, "none", True, 16, 4, ""),
    "single-n5k3": (1, 23, 40, "relu", True, 5, 3, "zero_row"),
    "batch19-n8k2": (19, 50, 7, "relu6", True, 8, 2, ""),
    "batch17-n4k1": (17, 9, 35, "none", False, 4, 1, ""),
    # the activation tables (spx_fmt_ternary_lut_columns: 1, 4, 8 columns)
    "lut_b1-n8k2": (1, 300, 40, "relu", True, 8, 2, "zero_row"),
    "lut_b3-n4k1": (3, 45, 40, "none", True, 4, 1, ""),
    "lut_b7-n8k2": (7, 300, 130, "relu6", True, 8, 2, ""),
}

TERNARY_SEEN = {"cases": 0, "books": set(), "ragged": 0, "bytes": 0, "int8_bytes": 0}


def ternary_weights(rng, rows, cols, kh, kw, groups, n, k, opts):
    """w3 int8 OIHW in {-1, 0, 1}, alpha float32 [rows], the encoding."""
    dims = (rows, cols, kh, kw, groups)
    w3 = T.random_weights(rng, dims, n, k)
    if "zero_row" in opts:
        w3[0] = 0
    if "layer_alpha" in opts:
        alpha = np.full(rows, rng.uniform(0.05, 0.3), np.float32)
    else:
        alpha = rng.uniform(0.02, 0.4, rows).astype(np.float32)
    enc, codes, book = T.encode(w3, dims, n, k)
    # the draw respects the format: values, and at most K per group
    assert set(np.unique(w3)) <= {-1, 0, 1}
    for g0 in range(0, cols, n):
        assert (w3[:, g0:g0 + n] != 0).sum(axis=1).max(initial=0) <= k
    TERNARY_SEEN["cases"] += 1
    TERNARY_SEEN["books"].add((n, k))
    TERNARY_SEEN["ragged"] += cols % n != 0
    TERNARY_SEEN["bytes"] += len(enc)
    TERNARY_SEEN["int8_bytes"] += w3.size
    return w3, alpha, enc


def ternary_requant(acc, in_scale, alpha, out_scale, out_zp, act, shape):
    mult, shift = zip(*[R.quantize_multiplier(R.f32(in_scale) * float(a) / R.f32(out_scale))
                        for a in alpha])
    lo, hi = R.act_range(act, out_scale, out_zp)
    want = np.clip(out_zp + R.mbqm(acc, np.array(mult).reshape(shape),
                                   np.array(shift).reshape(shape)), lo, hi)
    return want, lo, hi


def conv_ternary_case(name):
    geom, nn, kk, opts = TERNARY_CONV_CASES[name]
    n, cin, h, w, cout, kh, kw, stride, pad, dil, groups, act, has_b = TERNARY_GEOMS[geom]
    rng = rng_for("ternary/" + name)
    x = rng.normal(0.3, 1.0, (n, cin, h, w)).astype(np.float32)
    w3, alpha, enc = ternary_weights(rng, cout, cin // groups, kh, kw, groups, nn, kk, opts)
    wf = w3.astype(np.float64) * alpha.astype(np.float64).reshape(-1, 1, 1, 1)
    bf = rng.normal(0, 0.5, cout).astype(np.float32) if has_b else None
    in_scale, in_zp = R.choose_quant(x.min(), x.max())
    xq = R.quantize(x, in_scale, in_zp)
    bq = (np.round(bf / (np.float64(in_scale) * alpha)).astype(np.int32) if has_b else None)
    raw = R.conv2d(x, wf, bf, stride, pad, dil, groups, np.float64)
    out_scale, out_zp = R.choose_quant(raw.min(), raw.max())
    args = dict(stride=list(stride), pad=list(pad), dilation=list(dil), groups=groups, act=act,
                in_scale=in_scale, in_zp=in_zp, out_scale=out_scale, out_zp=out_zp)
    qin = {"x": xq, "w.tern": enc, "sw": alpha}
    if has_b:
        qin["b"] = bq
    got = H.run("conv2d_ternary", qin, **args)
    acc = R.conv2d(xq.astype(np.int64) - in_zp, w3, bq, stride, pad, dil, groups, np.int64)
    want, lo, hi = ternary_requant(acc, in_scale, alpha, out_scale, out_zp, act, (1, -1, 1, 1))
    check_exact("conv2d_ternary/" + name, got, want)
    # dequantized against float64 on the dequantized operands
    xd = R.dequantize(xq, in_scale, in_zp)
    bd = bq * (np.float64(in_scale) * alpha) if has_b else None
    fd = R.act_f(R.conv2d(xd, wf, bd, stride, pad, dil, groups, np.float64), act)
    check_close_q("conv2d_ternary~f32/" + name, got, out_scale, out_zp, fd, lo, hi)


def dense_ternary_case(name):
    n, f, u, act, has_b, nn, kk, opts = TERNARY_DENSE_CASES[name]
    rng = rng_for("ternary/" + name)
    x = rng.normal(-0.2, 1.0, (n, f)).astype(np.float32)
    w3, alpha, enc = ternary_weights(rng, u, f, 1, 1, 1, nn, kk, opts)
    w3 = w3.reshape(u, f)
    wf = w3.astype(np.float64) * alpha.astype(np.float64).reshape(-1, 1)
    bf = rng.normal(0, 0.5, u).astype(np.float32) if has_b else None
    in_scale, in_zp = R.choose_quant(x.min(), x.max())
    xq = R.quantize(x, in_scale, in_zp)
    bq = np.round(bf / (np.float64(in_scale) * alpha)).astype(np.int32) if has_b else None
    raw = x.astype(np.float64) @ wf.T + (bf if has_b else 0)
    out_scale, out_zp = R.choose_quant(raw.min(), raw.max())
    qin = {"x": xq, "w.tern": enc, "sw": alpha}
    if has_b:
        qin["b"] = bq
    got = H.run("dense_ternary", qin, act=act, in_scale=in_scale, in_zp=in_zp,
                out_scale=out_scale, out_zp=out_zp)
    acc = (xq.astype(np.int64) - in_zp) @ w3.astype(np.int64).T + (bq if has_b else 0)
    want, lo, hi = ternary_requant(acc, in_scale, alpha, out_scale, out_zp, act, (1, -1))
    check_exact("dense_ternary/" + name, got, want)
    xd = R.dequantize(xq, in_scale, in_zp)
    fd = R.act_f(xd @ wf.T + (bq * (np.float64(in_scale) * alpha) if has_b else 0), act)
    check_close_q("dense_ternary~f32/" + name, got, out_scale, out_zp, fd, lo, hi)


def ternary_summary(op):
    s = TERNARY_SEEN
    print("%s: %d cases, books %s, %d with ragged groups; %d encoded bytes for %d int8 "
          "weights" % (op, s["cases"], " ".join("(%d,%d)" % b for b in sorted(s["books"])),
                       s["ragged"], s["bytes"], s["int8_bytes"]))


# ---- elementwise -----------------------------------------------------------

# shapes: small, and above 1024 elements (the int8 kernels' per-byte tables)
UNARY_CASES = {"unary": (2, 3, 5, 7), "unary_tables": (2, 8, 9, 10)}
ADD_CASES = {"add": (2, 5, 6, 3), "add_tables": (1, 16, 12, 12)}


def unary_case(name):
    rng = rng_for(name)
    x = rng.normal(0.5, 4.0, UNARY_CASES[name]).astype(np.float32)
    x.flat[:4] = [0.0, 6.0, -30.0, 30.0]
    check_f32("relu_f32", H.run("relu_f32", {"x": x}), np.maximum(x, 0), 0, 0)
    check_f32("relu6_f32", H.run("relu6_f32", {"x": x}), np.clip(x, 0, 6), 0, 0)
    sig = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    check_f32("sigmoid_f32", H.run("sigmoid_f32", {"x": x}), sig, 0, 1e-6)

    in_scale, in_zp = R.choose_quant(x.min(), x.max())
    xq = R.quantize(x, in_scale, in_zp)
    xd = R.dequantize(xq, in_scale, in_zp)
    for kernel, act, fn in (("relu_s8", "relu", lambda v: np.maximum(v, 0)),
                            ("relu6_s8", "relu6", lambda v: np.clip(v, 0, 6)),
                            ("requantize_s8", "none", lambda v: v)):
        for out_scale, out_zp in ((in_scale, in_zp), R.choose_quant(0, 7.5), (0.05, -3)):
            out_scale = R.f32(out_scale)
            got = H.run(kernel, {"x": xq}, in_scale=in_scale, in_zp=in_zp,
                        out_scale=out_scale, out_zp=out_zp, act=act)
            m, s = R.quantize_multiplier(R.f32(in_scale) / out_scale)
            lo, hi = R.act_range(act, out_scale, out_zp)
            want = np.clip(out_zp + R.mbqm(xq.astype(np.int64) - in_zp, m, s), lo, hi)
            tag = "%s/out_scale=%.3g" % (kernel, out_scale)
            check_exact(tag, got, want)
            check_close_q(tag + "~f32", got, out_scale, out_zp, fn(xd), lo, hi, 1.0)

    for in_zp2 in (in_zp, -128, 100):
        got = H.run("sigmoid_s8", {"x": xq}, in_scale=in_scale, in_zp=in_zp2)
        check_exact("sigmoid_s8/zp=%d" % in_zp2, got, R.sigmoid_s8(xq, in_scale, in_zp2))
        sd = 1.0 / (1.0 + np.exp(-R.dequantize(xq, in_scale, in_zp2)))
        check_close_q("sigmoid_s8~f32/zp=%d" % in_zp2, got, 1.0 / 256, -128, sd, -128, 127, 1.0)


def add_case(name):
    rng = rng_for(name)
    a = rng.normal(0, 2.0, ADD_CASES[name]).astype(np.float32)
    b = rng.normal(1, 0.5, ADD_CASES[name]).astype(np.float32)
    for act in ("none", "relu", "relu6"):
        check_f32("add_f32/" + act, H.run("add_f32", {"a": a, "b": b}, act=act),
                  R.act_f(a.astype(np.float64) + b, act), 0, 1e-6)
    sa, za = R.choose_quant(a.min(), a.max())
    sb, zb = R.choose_quant(b.min(), b.max())
    so, zo = R.choose_quant((a + b).min(), (a + b).max())
    aq, bq = R.quantize(a, sa, za), R.quantize(b, sb, zb)
    for act in ("none", "relu", "relu6"):
        got = H.run("add_s8", {"a": aq, "b": bq}, act=act, a_scale=sa, a_zp=za,
                    b_scale=sb, b_zp=zb, out_scale=so, out_zp=zo)
        tm = 2.0 * max(R.f32(sa), R.f32(sb))
        ma, sha = R.quantize_multiplier(R.f32(sa) / tm)
        mb, shb = R.quantize_multiplier(R.f32(sb) / tm)
        mo, sho = R.quantize_multiplier(tm / (float(1 << 20) * R.f32(so)))
        va = R.mbqm((aq.astype(np.int64) - za) << 20, ma, sha)
        vb = R.mbqm((bq.astype(np.int64) - zb) << 20, mb, shb)
        lo, hi = R.act_range(act, so, zo)
        want = np.clip(zo + R.mbqm(va + vb, mo, sho), lo, hi)
        check_exact("add_s8/" + act, got, want)
        fd = R.act_f(R.dequantize(aq, sa, za) + R.dequantize(bq, sb, zb), act)
        check_close_q("add_s8~f32/" + act, got, so, zo, fd, lo, hi, 1.0)


# ---- pools -----------------------------------------------------------------

POOL_CASES = {
    "k2s2": ((1, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0)),
    "k3s2_pad": ((2, 5, 9, 10), (3, 3), (2, 2), (1, 1, 1, 1)),
    "k3s1_asym": ((1, 4, 7, 6), (3, 2), (1, 2), (2, 0, 1, 1)),
    "odd_floor": ((1, 2, 7, 7), (2, 2), (2, 2), (0, 0, 0, 0)),
    # rows wider than the int8 maxpool's 256-byte span (several spans a row),
    # and a kernel wider than it (the direct loop)
    "wide_s1": ((1, 2, 5, 300), (3, 3), (1, 1), (1, 1, 1, 1)),
    "wide_s2": ((1, 2, 6, 601), (3, 3), (2, 2), (1, 1, 1, 1)),
    "kw260": ((1, 1, 2, 270), (1, 260), (1, 5), (0, 2, 0, 1)),
    # a stride past 2 (the strided pick's general loop), and a row narrower
    # than the kernel (no output without clipping)
    "k3s3": ((1, 2, 9, 40), (3, 3), (3, 3), (1, 1, 1, 1)),
    "w1": ((1, 2, 3, 1), (3, 3), (1, 1), (1, 1, 1, 1)),
}


def pool_case(name):
    shape, k, stride, pad = POOL_CASES[name]
    rng = rng_for(name)
    x = rng.normal(-0.5, 2.0, shape).astype(np.float32)
    args = dict(size=list(k), stride=list(stride), pad=list(pad))
    for kind in ("max", "avg"):
        got = H.run(kind + "pool_f32", {"x": x}, **args)
        check_f32("%spool_f32/%s" % (kind, name), got,
                  R.pool(x, k, stride, pad, kind, np.float64), 1e-6, 1e-6)
        s, z = R.choose_quant(x.min(), x.max())
        xq = R.quantize(x, s, z)
        got = H.run(kind + "pool_s8", {"x": xq}, **args)
        check_exact("%spool_s8/%s" % (kind, name), got, R.pool(xq, k, stride, pad, kind, np.int8))
        fd = R.pool(R.dequantize(xq, s, z), k, stride, pad, kind, np.float64)
        check_close_q("%spool_s8~f32/%s" % (kind, name), got, s, z, fd, -128, 127, 0.5)


def global_avgpool_case(name):
    rng = rng_for(name)
    for shape in ((1, 16, 7, 7), (3, 5, 3, 4), (1, 2, 1, 1)):
        x = rng.normal(0.7, 1.5, shape).astype(np.float32)
        check_f32("global_avgpool_f32/%s" % (shape,), H.run("global_avgpool_f32", {"x": x}),
                  x.astype(np.float64).mean(axis=(2, 3), keepdims=True), 1e-5, 1e-6)
        si, zi = R.choose_quant(x.min(), x.max())
        xq = R.quantize(x, si, zi)
        m = R.dequantize(xq, si, zi).mean(axis=(2, 3), keepdims=True)
        so, zo = R.choose_quant(m.min(), m.max())
        got = H.run("global_avgpool_s8", {"x": xq}, in_scale=si, in_zp=zi,
                    out_scale=so, out_zp=zo)
        hw = shape[2] * shape[3]
        mult, sh = R.quantize_multiplier(R.f32(si) / (R.f32(so) * float(hw)))
        acc = (xq.astype(np.int64) - zi).sum(axis=(2, 3), keepdims=True)
        check_exact("global_avgpool_s8/%s" % (shape,), got,
                    np.clip(zo + R.mbqm(acc, mult, sh), -128, 127))
        check_close_q("global_avgpool_s8~f32/%s" % (shape,), got, so, zo, m, -128, 127, 1.0)


# ---- concat, reshape -------------------------------------------------------

def concat_case(name):
    rng = rng_for(name)
    base = (2, 3, 4, 5)
    for axis in range(4):
        sizes = (1, 3, 2)
        xs = []
        for i, sz in enumerate(sizes):
            shp = list(base)
            shp[axis] = sz
            xs.append(rng.normal(i, 1.0 + i, shp).astype(np.float32))
        ins = {"x%d" % i: x for i, x in enumerate(xs)}
        got = H.run("concat_f32", ins, count=3, axis=axis)
        ref = np.concatenate(xs, axis=axis)
        check_f32("concat_f32/axis=%d" % axis, got, ref, 0, 0)
        qs = [R.choose_quant(x.min(), x.max()) for x in xs]
        xq = [R.quantize(x, s, z) for x, (s, z) in zip(xs, qs)]
        so, zo = R.choose_quant(ref.min(), ref.max())
        got = H.run("concat_s8", {"x%d" % i: x for i, x in enumerate(xq)}, count=3, axis=axis,
                    out_scale=so, out_zp=zo, in_scale=[s for s, _ in qs],
                    in_zp=[z for _, z in qs])
        parts = []
        for x, (s, z) in zip(xq, qs):
            m, sh = R.quantize_multiplier(R.f32(s) / R.f32(so))
            parts.append(np.clip(zo + R.mbqm(x.astype(np.int64) - z, m, sh), -128, 127))
        check_exact("concat_s8/axis=%d" % axis, got, np.concatenate(parts, axis=axis))
        fd = np.concatenate([R.dequantize(x, s, z) for x, (s, z) in zip(xq, qs)], axis=axis)
        check_close_q("concat_s8~f32/axis=%d" % axis, got, so, zo, fd, -128, 127, 1.0)
        got = H.run("concat_s8", {"x%d" % i: x for i, x in enumerate(xq)}, count=3,
                    axis=axis, requant=0)
        check_exact("concat_s8/copy/axis=%d" % axis, got, np.concatenate(xq, axis=axis))


def reshape_case(name):
    rng = rng_for(name)
    x = rng.normal(0, 1, (2, 3, 4, 5)).astype(np.float32)
    got = H.run("reshape", {"x": x}, shape=[2, 60])
    check_f32("flatten_f32", got, x.reshape(2, 60), 0, 0)
    xq = R.quantize(x, 0.02, 3)
    check_exact("reshape_s8", H.run("reshape", {"x": xq}, shape=[6, 4, 5]), xq.reshape(6, 4, 5))


# ---- softmax, batchnorm ----------------------------------------------------

def softmax_case(name):
    rng = rng_for(name)
    # (2, 1000) and (1, 4095) at a small spread: rows whose exponentials sum
    # to 512 or more, where the final rounding shift is 32 or more (it was
    # an undefined int32 shift, and the outputs came out near 1.0).
    for shape, spread in (((3, 10), 3.0), ((2, 4, 7), 1.0), ((1, 1000), 2.0), ((5, 1), 1.0),
                          ((4, 16), 30.0), ((2, 1000), 0.05), ((1, 4095), 0.05)):
        x = rng.normal(0, spread, shape).astype(np.float32)
        e = np.exp(x - x.max(axis=-1, keepdims=True).astype(np.float64))
        ref = e / e.sum(axis=-1, keepdims=True)
        check_f32("softmax_f32/%s" % (shape,), H.run("softmax_f32", {"x": x}), ref, 0, 1e-6)
        s, z = R.choose_quant(x.min(), x.max())
        xq = R.quantize(x, s, z)
        got = H.run("softmax_s8", {"x": xq}, in_scale=s, in_zp=z)
        check_exact("softmax_s8/%s" % (shape,), got, R.softmax_s8(xq, s))
        xd = R.dequantize(xq, s, z)
        e = np.exp(xd - xd.max(axis=-1, keepdims=True))
        check_close_q("softmax_s8~f32/%s" % (shape,), got, 1.0 / 256, -128,
                      e / e.sum(axis=-1, keepdims=True), -128, 127, 1.0)


def batchnorm_case(name):
    rng = rng_for(name)
    n, c, h, w = 2, 6, 5, 4
    x = rng.normal(0.5, 2.0, (n, c, h, w)).astype(np.float32)
    g = rng.uniform(0.5, 2.0, c).astype(np.float32)
    b = rng.normal(0, 1, c).astype(np.float32)
    m = rng.normal(0, 1, c).astype(np.float32)
    v = rng.uniform(0.1, 3.0, c).astype(np.float32)
    got = H.run("batchnorm_f32", {"x": x, "gamma": g, "beta": b, "mean": m, "var": v}, eps=1e-3)
    k = g.astype(np.float64) / np.sqrt(v.astype(np.float64) + 1e-3)
    ref = (x - m.reshape(1, -1, 1, 1)) * k.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)
    check_f32("batchnorm_f32", got, ref, 1e-5, 1e-5)
    # int8 as a per-channel affine: x * k + d with k quantized like weights
    si, zi = R.choose_quant(x.min(), x.max())
    xq = R.quantize(x, si, zi)
    d = b - m * k
    sm = (np.abs(k) / 127.0).astype(np.float32)
    mul = np.clip(np.round(k / sm), -127, 127).astype(np.int32)
    off = np.round(d / (np.float64(si) * sm)).astype(np.int32)
    so, zo = R.choose_quant(ref.min(), ref.max())
    for act in ("none", "relu"):
        got = H.run("batchnorm_s8", {"x": xq, "mul": mul, "off": off, "sm": sm},
                    in_scale=si, in_zp=zi, out_scale=so, out_zp=zo, act=act)
        acc = (xq.astype(np.int64) - zi) * mul.reshape(1, -1, 1, 1) + off.reshape(1, -1, 1, 1)
        mult, sh = zip(*[R.quantize_multiplier(R.f32(si) * float(s) / R.f32(so)) for s in sm])
        lo, hi = R.act_range(act, so, zo)
        want = np.clip(zo + R.mbqm(acc, np.array(mult).reshape(1, -1, 1, 1),
                                   np.array(sh).reshape(1, -1, 1, 1)), lo, hi)
        check_exact("batchnorm_s8/" + act, got, want)
        fd = R.act_f(R.dequantize(xq, si, zi) * (mul * sm).reshape(1, -1, 1, 1) +
                     (off * np.float64(si) * sm).reshape(1, -1, 1, 1), act)
        check_close_q("batchnorm_s8~f32/" + act, got, so, zo, fd, lo, hi, 1.0)
    # the cpu target's unfolded batchnorm: the same batchnorm as a per-channel
    # scale/shift computed like the compiler does (float32), any rank >= 2
    k32 = (g / np.sqrt(v + np.float32(1e-3))).astype(np.float32)
    d32 = (b - m * k32).astype(np.float32)
    for inplace in (0, 1):
        got = H.run("channel_affine_f32", {"x": x, "scale": k32, "shift": d32}, inplace=inplace)
        check_f32("channel_affine_f32/bn%s" % ("/inplace" if inplace else ""), got, ref, 1e-5, 1e-5)
    for shape in ((3, 7), (2, 7, 3), (1, 7, 2, 3, 2)):
        xa = rng.normal(0, 1.5, shape).astype(np.float32)
        sc = rng.normal(0, 2.0, 7).astype(np.float32)
        sh = rng.normal(0, 1.0, 7).astype(np.float32)
        bshape = (1, 7) + (1,) * (len(shape) - 2)
        want = xa.astype(np.float64) * sc.reshape(bshape) + sh.reshape(bshape)
        got = H.run("channel_affine_f32", {"x": xa, "scale": sc, "shift": sh})
        check_f32("channel_affine_f32/%s" % (shape,), got, want, 1e-6, 1e-6)


# ---- requantization arithmetic ---------------------------------------------

def requant_case(name):
    rng = rng_for(name)
    reals = [0.0, 1e-12, 2.0 ** -32, 2.0 ** -31, 0.5, 1.0, 1.5, 0.999999999, 2.0 ** 31,
             0.0003, 0.75, 3.14159, 1e10] + list(rng.uniform(1e-5, 4.0, 200))
    txt = "".join("%r\n" % r for r in reals)
    got = H.run("qmult", {"reals.txt": txt})
    want = np.array([R.quantize_multiplier(r) for r in reals], dtype=np.int64)
    check_exact("quantize_multiplier", got, want)
    # mbqm on edge values: ties, negatives, saturation, shifts in [-31, 30]
    xs = [0, 1, -1, 2, -2, 3, -3, 127, -128, 1 << 20, -(1 << 20), R.INT32_MAX, R.INT32_MIN,
          12345678, -12345678]
    ms = [1 << 30, R.INT32_MAX, R.INT32_MIN, 1, 1518500250, 1073741824 + 1]
    shs = [-31, -20, -8, -1, 0, 1, 4]
    x, m, s = np.meshgrid(xs, ms, shs, indexing="ij")
    x = np.concatenate([x.ravel(), rng.integers(-(1 << 24), 1 << 24, 2000)])
    m = np.concatenate([m.ravel(), rng.integers(1 << 30, (1 << 31) - 1, 2000)])
    s = np.concatenate([s.ravel(), rng.integers(-20, 3, 2000)])
    got = H.run("mbqm", {"x": x.astype(np.int32), "mult": m.astype(np.int32),
                         "shift": s.astype(np.int32)})
    check_exact("mbqm", got, R.mbqm(x, m, s))
    # against exact rational rounding where no saturation happens: the result
    # is within one unit of x * m * 2^(s - 31)
    ok = (np.abs(x) < (1 << 24)) & (s <= 0)
    exact = x[ok].astype(np.float64) * m[ok].astype(np.float64) * np.exp2(s[ok] - 31.0)
    err = np.abs(got[ok] - exact).max()
    report("mbqm~real", bool(err <= 1.0), "max deviation from the real product %.3f" % err)


OPS = {
    "conv2d": (conv_case, CONV_CASES),
    "dense": (dense_case, DENSE_CASES),
    "conv2d_ternary": (conv_ternary_case, TERNARY_CONV_CASES),
    "dense_ternary": (dense_ternary_case, TERNARY_DENSE_CASES),
    "elementwise": (unary_case, UNARY_CASES),
    "add": (add_case, ADD_CASES),
    "pool": (pool_case, POOL_CASES),
    "global_avgpool": (global_avgpool_case, {"gap": 0}),
    "concat": (concat_case, {"concat": 0}),
    "reshape": (reshape_case, {"reshape": 0}),
    "softmax": (softmax_case, {"softmax": 0}),
    "batchnorm": (batchnorm_case, {"batchnorm": 0}),
    "requant": (requant_case, {"requant": 0}),
}


def main():
    global H
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", required=True, choices=sorted(OPS))
    ap.add_argument("--case", default="all")
    ap.add_argument("--harness", default="spx-kernel-harness")
    ap.add_argument("--work", default=None, help="scratch directory (default: ./kernel-check)")
    a = ap.parse_args()
    H = R.Harness(a.harness, a.work or os.path.join(os.getcwd(), "kernel-check-" + a.op))
    fn, cases = OPS[a.op]
    names = sorted(cases) if a.case == "all" else a.case.split(",")
    for c in names:
        if c not in cases:
            raise SystemExit("unknown case %r for %s; have: %s" % (c, a.op, ", ".join(sorted(cases))))
        fn(c)
    if a.op.endswith("_ternary"):
        ternary_summary(a.op)
    if FAILS:
        print("%d check(s) failed: %s" % (len(FAILS), ", ".join(FAILS)))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
