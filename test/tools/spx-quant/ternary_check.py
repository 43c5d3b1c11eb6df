"""ternary_check.py - spx-quant's ternary results checked with numpy.

  ternary_check.py project W.npy Q.npy T.npy N K SCALE < spx-quant's stdout
      From the definition, without the projection's code: T is int8 with
      values -1, 0, 1 and W's shape; at most K non-zeros in every group of N
      consecutive input channels (axis 1) at a fixed output channel and tap;
      t = sign(w) where t != 0; per scale unit (output channel, or the whole
      array for SCALE=layer) alpha = mean |w| over the chosen supports
      (0 without any), and Q = alpha * T in W's dtype (up to the order of
      the sum, and f32 rounding); the reported mse, sparsity and alpha range equal numpy's.
      Then the supports equal those of the independent numpy projection of
      test/passes/Inputs/ternary/check_ternary.py (the pass's own check).
      Prints one line.
  ternary_check.py book N K < spx-quant --codebook 'ternary(n=N, k=K)'
      Every line "0x<code><TAB><N values>" against the book enumerated by
      test/runtime/formats/ternary_ref.py (itertools.combinations).
"""
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "passes", "Inputs", "ternary"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "runtime", "formats"))
import check_ternary  # noqa: E402
from ternary_ref import Book  # noqa: E402


def close(a, b, rel=1e-7):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def project(args):
    w_path, q_path, t_path, n, k, scale = args
    n, k = int(n), int(k)
    w0 = np.load(w_path)
    q = np.load(q_path)
    t = np.load(t_path)
    out = sys.stdin.read()
    if t.dtype != np.int8 or t.shape != w0.shape or q.dtype != w0.dtype or q.shape != w0.shape:
        fail("dtypes/shapes: w %s %s, q %s %s, t %s %s" % (w0.dtype, w0.shape, q.dtype, q.shape,
                                                           t.dtype, t.shape))
    if not np.isin(t, [-1, 0, 1]).all():
        fail("t has values other than -1, 0, 1")
    w = w0.astype(np.float64)
    w4 = w if w.ndim == 4 else w[:, :, None, None]
    t4 = (t if t.ndim == 4 else t[:, :, None, None]).astype(np.int64)
    rows, cols = w4.shape[:2]
    for g0 in range(0, cols, n):
        nz = (t4[:, g0:g0 + n] != 0).sum(axis=1)
        if nz.max() > k:
            fail("a group at input channel %d has %d non-zeros (k = %d)" % (g0, nz.max(), k))
    if (t4 != 0).any() and (np.sign(w4[t4 != 0]) != t4[t4 != 0]).any():
        fail("t is not sign(w) on its supports")
    units = [slice(o, o + 1) for o in range(rows)] if scale == "channel" else [slice(0, rows)]
    alpha = np.zeros(rows)
    for u in units:
        sel = t4[u] != 0
        alpha[u] = np.abs(w4[u][sel]).mean() if sel.any() else 0.0
    # q = alpha * t: exactly 0 off the supports; on them alpha up to the
    # order of the sum (and, for f32, alpha's rounding to f32)
    rel = 1e-6 if w0.dtype == np.float32 else 1e-12
    want_q = (alpha[:, None, None, None] * t4).reshape(q.shape)
    if (q[t == 0] != 0).any() or not np.allclose(q, want_q, rtol=rel, atol=0):
        fail("q is not alpha * t (max difference %g)" % np.abs(want_q - q).max())
    mse = float(((w - q.astype(np.float64)) ** 2).mean())
    facts = dict(re.findall(r"^([a-z ]+): (.*)$", out, re.M))
    got_mse = float(facts["mse"])
    if not close(got_mse, mse):
        fail("mse %r, numpy %r" % (got_mse, mse))
    sparsity = float((t == 0).mean())
    if not close(float(facts["sparsity"].split()[0]), sparsity):
        fail("sparsity %s, numpy %r" % (facts["sparsity"], sparsity))
    nums = [float(x) for x in re.findall(r"-?[0-9.]+(?:e[-+]?[0-9]+)?", facts["alpha"])]
    if not close(nums[0], alpha.min()) or (scale == "channel" and not close(nums[1], alpha.max())):
        fail("alpha %s, numpy min %r max %r" % (facts["alpha"], alpha.min(), alpha.max()))
    # the supports of the independent projection
    if scale == "channel":
        ref = np.concatenate([check_ternary.project(w4[o:o + 1], n, k)[0] for o in range(rows)])
    else:
        ref = check_ternary.project(w4, n, k)[0]
    if not np.array_equal(ref, t4):
        fail("t differs from check_ternary.py's projection at %d weights" % (ref != t4).sum())
    print("ok: %d weights, (%d, %d) %s, at most k per group, alpha = mean |w| on the supports "
          "(%.6g .. %.6g), mse %.9g as reported, t as check_ternary.py's projection"
          % (t.size, n, k, scale, alpha.min(), alpha.max(), mse))


def book(args):
    n, k = int(args[0]), int(args[1])
    b = Book(n, k)
    lines = sys.stdin.read().splitlines()
    if len(lines) != b.P:
        fail("%d lines, the (%d, %d) book has %d patterns" % (len(lines), n, k, b.P))
    width = (b.bits + 3) // 4
    for c, line in enumerate(lines):
        pos, neg = b.masks(c)
        vals = " ".join("0" if not (pos >> i) & 1 else "-1" if (neg >> i) & 1 else "1"
                        for i in range(n))
        want = "0x%0*x\t%s" % (width, c, vals)
        if line != want:
            fail("line %d: %r, want %r" % (c + 1, line, want))
    print("ok: the (%d, %d) book, %d codes of %d bits" % (n, k, b.P, b.bits))


if __name__ == "__main__":
    {"project": project, "book": book}[sys.argv[1]](sys.argv[2:])
