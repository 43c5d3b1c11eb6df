"""check_ternary.py - the ternary pass against an independent numpy
projection written from its rule (passes/ternary.c): per scale unit (channel
or layer) start with the K largest |w| of each group of N lanes (zeros left
out, ties to the lower lane), alpha = mean |w| over the supports, then
alternate supports (the K largest |w| > alpha / 2) and alpha while the squared
error decreases (at most 50 rounds).

  check_ternary.py SPXBIN REPORT DIR LAYER:N:K:SCALE[:BIAS] ...

For each layer: the "<LAYER>.ternary" blob of SPXBIN decoded here (the layout
of spx_formats.h, the book of test/runtime/formats/ternary_ref.py) equals the
projection of DIR/<LAYER>.npy; the report's stats (alpha_min, alpha_max, mse,
sparsity, bits_per_weight) agree; the int32 bias blob equals round(b / (s_in *
alpha)) for DIR/<BIAS>.npy (0 without one) and the multipliers stand for
s_in * alpha / s_out (s_in, s_out: the layer's int8 scales in the report).
Prints one line per layer."""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "runtime", "formats"))
from ternary_ref import Book  # noqa: E402

SECTIONS = ["strings", "tensors", "blobs", "weights", "commands"]


def read_blobs(path):
    data = open(path, "rb").read()
    secs = {}
    for i, name in enumerate(SECTIONS):
        secs[name] = struct.unpack_from("<II", data, 32 + 8 * i)
    s_off, s_size = secs["strings"]
    strings = data[s_off:s_off + s_size]
    b_off, _ = secs["blobs"]
    w_off, _ = secs["weights"]
    (count,) = struct.unpack_from("<I", data, b_off)
    blobs = {}
    for k in range(count):
        rec = b_off + 8 + 32 * k
        name_off, dtype, _, enc, off, length = struct.unpack_from("<IBBHII", data, rec)
        name = strings[name_off:strings.index(b"\0", name_off)].decode()
        blobs[name] = (enc, data[w_off + off:w_off + off + length])
    return blobs


def decode(b):
    assert b[:4] == b"SXTN"
    rows, cols, kh, kw, groups = struct.unpack_from("<IIHHI", b, 8)
    n, k, bits = b[24], b[25], b[26]
    book = Book(n, k)
    assert bits == book.bits and struct.unpack_from("<I", b, 28)[0] == len(b)
    stream = int.from_bytes(b[32:], "little")
    ng = -(-cols // n)
    w = np.zeros((rows, cols, kh, kw), np.int8)
    c = 0
    for o in range(rows):
        for ky in range(kh):
            for kx in range(kw):
                for g in range(ng):
                    code = (stream >> (c * bits)) & ((1 << bits) - 1)
                    pos, neg = book.masks(code)
                    for lane in range(n):
                        if (pos >> lane) & 1:
                            w[o, g * n + lane, ky, kx] = -1 if (neg >> lane) & 1 else 1
                    c += 1
    return w, n, k


def choose(w, n, k, thr):
    """w [units..., cols, kh, kw] float64 -> t."""
    t = np.zeros(w.shape, np.int8)
    cols = w.shape[-3]
    for idx in np.ndindex(*w.shape[:-3]):
        for ky in range(w.shape[-2]):
            for kx in range(w.shape[-1]):
                for g0 in range(0, cols, n):
                    v = w[idx + (slice(g0, g0 + n), ky, kx)]
                    a = np.abs(v)
                    order = sorted(range(len(v)), key=lambda i: (-a[i], i))
                    for i in [i for i in order if a[i] > thr and a[i] > 0][:k]:
                        t[idx + (g0 + i, ky, kx)] = 1 if v[i] > 0 else -1
    return t


def project(w, n, k):
    t = choose(w, n, k, -1.0)
    alpha = np.abs(w[t != 0]).mean() if (t != 0).any() else 0.0
    err = ((w - alpha * t) ** 2).sum()
    for _ in range(50):
        if alpha <= 0:
            break
        t2 = choose(w, n, k, alpha / 2)
        a2 = np.abs(w[t2 != 0]).mean() if (t2 != 0).any() else 0.0
        e2 = ((w - a2 * t2) ** 2).sum()
        if not e2 < err:
            break
        t, alpha, err = t2, a2, e2
    return t, alpha


def close(a, b, rel=1e-5):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def main():
    spxbin, report, d = sys.argv[1:4]
    blobs = read_blobs(spxbin)
    layers = {l["name"]: l for l in json.load(open(report))["layers"]}
    bad = 0
    for spec in sys.argv[4:]:
        parts = spec.split(":")
        name, n, k, scale = parts[0], int(parts[1]), int(parts[2]), parts[3]
        wf = np.load(os.path.join(d, name + ".npy")).astype(np.float64)
        if wf.ndim == 2:
            wf = wf[:, :, None, None]
        rows = wf.shape[0]
        if scale == "channel":
            res = [project(wf[o:o + 1], n, k) for o in range(rows)]
            t = np.concatenate([r[0] for r in res])
            alpha = np.array([r[1] for r in res])
        else:
            t, a = project(wf, n, k)
            alpha = np.full(rows, a)
        alpha32 = alpha.astype(np.float32).astype(np.float64)
        got, gn, gk = decode(blobs[name + ".ternary"][1])
        if (gn, gk) != (n, k) or not np.array_equal(got, t):
            print("FAIL %s: the encoded ternary weights differ from the projection" % name)
            bad += 1
        st = layers[name]["stats"]
        mse = float(((alpha32[:, None, None, None] * t - wf) ** 2).mean())
        want = {"alpha_min": alpha32.min(), "alpha_max": alpha32.max(), "mse": mse,
                "sparsity": float((t == 0).mean()),
                "bits_per_weight": 8.0 * len(blobs[name + ".ternary"][1]) / t.size}
        for key, v in want.items():
            if not close(st[key], v):
                print("FAIL %s: stats %s %r, want %r" % (name, key, st[key], v))
                bad += 1
        s_in = layers[name]["inputs"][0]["scale"]
        s_out = layers[name]["output"]["scale"]
        b = np.load(os.path.join(d, parts[4] + ".npy")) if len(parts) > 4 else np.zeros(rows)
        qb = np.frombuffer(blobs[name + ".qbias"][1], "<i4")
        want_b = np.round(b.astype(np.float64) / (s_in * alpha32))
        if np.abs(qb - want_b).max() > 1:
            print("FAIL %s: bias %s, want %s" % (name, qb, want_b))
            bad += 1
        m = np.frombuffer(blobs[name + ".multiplier"][1], "<i4").astype(np.float64)
        sh = np.frombuffer(blobs[name + ".shift"][1], "<i4").astype(np.float64)
        real = m * 2.0 ** (sh - 31)
        if not all(close(r, s_in * a / s_out, 1e-6) for r, a in zip(real, alpha32)):
            print("FAIL %s: multipliers %s, want %s" % (name, real, s_in * alpha32 / s_out))
            bad += 1
        print("%s: (%d, %d) %s, %d weights equal the projection, alpha %.6g .. %.6g, mse %.6g, "
              "bias and multipliers for alpha" % (name, n, k, scale, t.size, alpha32.min(),
                                                  alpha32.max(), mse))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
