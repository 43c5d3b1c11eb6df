"""bn_unfolded.py - weights, input and the numpy reference for
test/e2e/batchnorm-unfolded.test (the network of bn_unfolded.spx).

  bn_unfolded.py gen DIR             writes DIR/w/*.npy and DIR/x.npy
  bn_unfolded.py check DIR OUT.npy TOL
      compares spx-run's OUT.npy with an independent float64 forward pass
      of the network; TOL is an absolute tolerance, or "q:K" for K int8
      steps of range [-4, 4] (8 / 255 each)
  bn_unfolded.py patch IN.spxbin OUT.spxbin cmd:I:FIELD=V ...
      sets a cpu.layer field (act, in0, out, weights, bias) of command I
      and reseals the crc32, so the loader's semantic checks must catch it
"""
import os
import struct
import sys
import zlib

import numpy as np

N = 16  # samples
C_IN, C_MID, UNITS = 3, 4, 5


def gen(d):
    rng = np.random.default_rng(20240611)
    w = os.path.join(d, "w")
    os.makedirs(w, exist_ok=True)

    def save(name, a):
        np.save(os.path.join(w, name + ".npy"), np.asarray(a, dtype=np.float32))

    def bn(name, c):
        save(name + "_g", rng.uniform(0.5, 1.2, c))
        save(name + "_b", rng.normal(0, 0.2, c))
        save(name + "_m", rng.normal(0, 0.3, c))
        save(name + "_v", rng.uniform(0.8, 2.0, c))

    bn("xn", C_IN)
    save("c_w", rng.normal(0, 0.15, (C_MID, C_IN, 3, 3)))
    save("c_b", rng.normal(0, 0.1, C_MID))
    save("d_w", rng.normal(0, 0.15, (C_MID, C_IN, 3, 3)))
    bn("b", C_MID)
    bn("f", C_MID * 3 * 3)
    save("o_w", rng.normal(0, 0.25, (UNITS, C_MID * 3 * 3)))
    save("o_b", rng.normal(0, 0.1, UNITS))
    bn("on", UNITS)
    np.save(os.path.join(d, "x.npy"), rng.normal(0, 0.7, (N, 1, C_IN, 6, 6)).astype(np.float32))


def load(d, name):
    return np.load(os.path.join(d, "w", name + ".npy")).astype(np.float64)


def batchnorm(d, name, x, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    g, b, m, v = (load(d, name + s).reshape(shape) for s in ("_g", "_b", "_m", "_v"))
    return (x - m) / np.sqrt(v + eps) * g + b


def conv3x3_pad1(x, w, b=None):
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def forward(d, x, seen):
    """The network on x; `seen` collects every intermediate tensor."""
    def keep(a):
        seen.append(a)
        return a
    xn = keep(batchnorm(d, "xn", x, 1e-3))
    c = keep(conv3x3_pad1(xn, load(d, "c_w"), load(d, "c_b")))
    s = keep(c + keep(conv3x3_pad1(xn, load(d, "d_w"))))
    r = np.maximum(keep(batchnorm(d, "b", s)), 0.0)
    n, ch, h, w = r.shape
    p = r.reshape(n, ch, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    f = keep(batchnorm(d, "f", p.reshape(n, -1)))
    o = keep(f @ load(d, "o_w").T + load(d, "o_b"))
    return keep(batchnorm(d, "on", o))


def check(d, out_path, tol):
    x = np.load(os.path.join(d, "x.npy")).astype(np.float64)
    seen = []
    want = np.concatenate([forward(d, x[i], seen) for i in range(x.shape[0])])
    # int8 with range=[-4, 4] clips: keep the network inside that range
    peak = max(np.abs(a).max() for a in seen)
    got = np.load(out_path).astype(np.float64).reshape(want.shape)
    if tol.startswith("q:"):
        tol = float(tol[2:]) * 8.0 / 255.0
    tol = float(tol)
    err = np.abs(got - want).max()
    print("%d values, max abs error %.3g, tolerance %.3g: %s"
          % (want.size, err, tol, "ok" if err <= tol else "FAIL"))
    assert peak < 3.5, "the reference leaves the int8 range [-4, 4]: %.3f" % peak
    assert err <= tol


# cpu.layer fields: byte offset in the 64-byte command record, struct format
# (runtime/stream/spx_stream.h, SPX_CS_FIELDS_CPU_LAYER).
FIELDS = {"act": (13, "B"), "in0": (16, "<H"), "out": (24, "<H"),
          "weights": (26, "<H"), "bias": (28, "<H")}


def patch(src, dst, edits):
    b = bytearray(open(src, "rb").read())
    cmds_off = struct.unpack_from("<I", b, 32 + 8 * 4)[0]  # section 4: commands
    for edit in edits:
        _, i, rest = edit.split(":", 2)
        name, v = rest.split("=")
        off, fmt = FIELDS[name]
        struct.pack_into(fmt, b, cmds_off + 8 + 64 * int(i) + off, int(v, 0))
    struct.pack_into("<I", b, 8, zlib.crc32(bytes(b[12:])))
    open(dst, "wb").write(b)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif sys.argv[1] == "patch":
        patch(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
