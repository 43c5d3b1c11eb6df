"""binary_ref.py - an independent numpy reference of the binary weight format,
written from its definition (the layout drawn in runtime/formats/spx_formats.h,
"BINARY", and the flip rule "flip iff strictly more +1 than -1; a tie is not
flipped"): the bytes are packed and unpacked here. Nothing here calls the C
code except through spx-binary-test, whose output it checks.

  binary_ref.py layers TOOL TMPDIR
      random +-1 layers (row lengths that are and are not multiples of 8,
      conv groups, several taps, rows that are ties) encoded here and by
      `TOOL encode`, with and without weight flips and with sub-vectors 0 and
      16 (the bytes must be equal), decoded by `TOOL decode` from the bytes
      made here, and corrupted here (each header field, flags against the
      flip bits and the sub-vector, alpha 0 / negative / NaN / inf, padding
      bits, a row breaking the flip rule, total_bytes): `TOOL validate` must
      accept the good ones and refuse each corruption with its reason.
  binary_ref.py colsum TOOL TMPDIR
      spx_fmt_binary_column_sum (`TOOL colsum`) against sum b * a by brute
      force: random original weights b and inputs a in {-1, +1}, a column
      flip and an activation flip, the stored bits s = (b * colsign > 0) and
      driven bits d = (a * actsign > 0) from which c, p, q are counted;
      n = 1, all rows driven, none driven, all cells conducting, none.
"""
import os
import subprocess
import sys

import numpy as np

HEADER = 32


def flip_rule(ones, n):
    return 2 * ones > n


def encode(b, alpha, groups, flip, sub):
    """b int8 +-1 [rows, cols, kh, kw], alpha f32 [rows] -> the bytes."""
    rows, cols, kh, kw = b.shape
    row_len = cols * kh * kw
    row_bytes = -(-row_len // 8)
    flat = b.reshape(rows, row_len)
    flips = np.zeros(rows, bool)
    signs = bytearray(rows * row_bytes)
    for r in range(rows):
        ones = int((flat[r] > 0).sum())
        flips[r] = bool(flip) and flip_rule(ones, row_len)
        stored = (flat[r] > 0) != flips[r]
        for i in range(row_len):
            if stored[i]:
                signs[r * row_bytes + i // 8] |= 1 << (i % 8)
    fbytes = bytearray(-(-rows // 8))
    for r in range(rows):
        if flips[r]:
            fbytes[r // 8] |= 1 << (r % 8)
    total = HEADER + 4 * rows + len(fbytes) + len(signs)
    flags = (1 if flip else 0) | (2 if sub else 0)
    head = b"SXBN" + (1).to_bytes(2, "little") + HEADER.to_bytes(2, "little")
    head += rows.to_bytes(4, "little") + cols.to_bytes(4, "little")
    head += kh.to_bytes(2, "little") + kw.to_bytes(2, "little") + groups.to_bytes(4, "little")
    head += sub.to_bytes(2, "little") + flags.to_bytes(2, "little") + total.to_bytes(4, "little")
    out = head + np.asarray(alpha, "<f4").tobytes() + bytes(fbytes) + bytes(signs)
    assert len(out) == total
    return out, flips


def run(tool, *args):
    return subprocess.run([tool] + [str(a) for a in args], capture_output=True, text=True)


def check_layers(tool, tmp):
    rng = np.random.default_rng(11)
    cases = [  # rows, cols, kh, kw, groups
        (8, 16, 3, 3, 1), (5, 13, 1, 1, 1), (6, 10, 3, 3, 2), (10, 784, 1, 1, 1),
        (3, 11, 2, 3, 1), (9, 1, 3, 3, 9), (1, 1, 1, 1, 1), (17, 4, 1, 1, 1),
    ]
    bad = encoded = refused = 0
    for ci, (rows, cols, kh, kw, groups) in enumerate(cases):
        dims = (rows, cols, kh, kw, groups)
        row_len = cols * kh * kw
        # rows leaning to +1 or to -1, and exact ties where row_len is even
        p = rng.uniform(0.05, 0.95, rows)
        b = np.where(rng.random((rows, row_len)) < p[:, None], 1, -1).astype(np.int8)
        if row_len % 2 == 0:
            b[0] = np.array([1, -1] * (row_len // 2), np.int8)
        b = b.reshape(rows, cols, kh, kw)
        alpha = rng.uniform(0.01, 3.0, rows).astype(np.float32)
        wpath, apath, epath, opath = (os.path.join(tmp, "c%d.%s" % (ci, e))
                                      for e in ("w", "a", "enc", "out"))
        b.tofile(wpath)
        alpha.tofile(apath)
        for flip, sub in ((0, 0), (1, 0), (1, 16), (0, 3)):
            enc, flips = encode(b, alpha, groups, flip, sub)
            r = run(tool, "encode", *dims, flip, sub, wpath, apath, opath)
            if r.returncode or open(opath, "rb").read() != enc:
                print("FAIL case %d flip %d sub %d: the C encoding differs from the "
                      "reference's %s" % (ci, flip, sub, r.stdout))
                bad += 1
            with open(epath, "wb") as f:
                f.write(enc)
            r = run(tool, "decode", *dims, epath, opath)
            back = np.fromfile(opath, np.int8).reshape(b.shape) if not r.returncode else None
            if back is None or not np.array_equal(back, b):
                print("FAIL case %d flip %d: the C decoding differs from the weights" % (ci, flip))
                bad += 1
            r = run(tool, "validate", *dims, epath)
            if r.stdout.strip() != "ok":
                print("FAIL case %d: validate refuses the reference encoding: %s" % (ci, r.stdout))
                bad += 1
            encoded += 1
            if flip and row_len % 2 == 0 and flips[0]:
                print("FAIL case %d: the reference flipped a tie" % ci)
                bad += 1
        # corruptions of the flipped encoding with sub-vector 16
        enc, flips = encode(b, alpha, groups, 1, 16)
        fl = HEADER + 4 * rows
        sg = fl + -(-rows // 8)
        rb = -(-row_len // 8)

        def put(at, data):
            x = bytearray(enc)
            x[at:at + len(data)] = data
            return bytes(x)

        def xor(at, mask):
            x = bytearray(enc)
            x[at] ^= mask
            return bytes(x)

        r0 = int(rng.integers(rows))
        muts = [
            (put(0, b"SXBM"), "magic"),
            (put(4, (2).to_bytes(2, "little")), "version 2"),
            (put(6, (40).to_bytes(2, "little")), "header_bytes 40"),
            (put(26, (7).to_bytes(2, "little")), "flags 0x7"),
            (put(26, (1).to_bytes(2, "little")), "AFLIP is clear but subvector is 16"),
            (put(24, (0).to_bytes(2, "little")), "AFLIP is set but subvector is 0"),
            (put(28, (len(enc) + 8).to_bytes(4, "little")), "total_bytes %d" % (len(enc) + 8)),
            (put(HEADER + 4 * r0, np.float32(0).tobytes()),
             "alpha of output channel %d (bits 0x00000000)" % r0),
            (put(HEADER + 4 * r0, np.float32(-1.5).tobytes()),
             "alpha of output channel %d (bits 0xbfc00000)" % r0),
            (put(HEADER + 4 * r0, np.array([0x7fc00000], "<u4").tobytes()),
             "alpha of output channel %d (bits 0x7fc00000)" % r0),
            (put(HEADER + 4 * r0, np.float32(np.inf).tobytes()),
             "alpha of output channel %d (bits 0x7f800000)" % r0),
        ]
        if flips.any():
            first = int(np.argmax(flips))
            muts.append((put(26, (2).to_bytes(2, "little")),
                         "output channel %d is flipped but flag WFLIP is clear" % first))
        if rows % 8:
            muts.append((xor(sg - 1, 0x80), "padding bits after the last flip bit"))
        if row_len % 8:
            muts.append((xor(sg + r0 * rb + rb - 1, 0x80),
                         "padding bits of output channel %d (after its %d weights)" %
                         (r0, row_len)))
        # a row breaking the flip rule: stored with every cell +1 (more +1
        # than -1 whatever its flip bit), unless row_len is 1 and ... still
        # 1 of 1 is more than half
        allp = bytearray(enc)
        for i in range(row_len):
            allp[sg + r0 * rb + i // 8] |= 1 << (i % 8)
        orig = 0 if flips[r0] else row_len
        muts.append((bytes(allp), "output channel %d has flip bit %d, but %d of its %d weights "
                     "are +1" % (r0, int(flips[r0]), orig, row_len)))
        for data, why in muts:
            with open(epath, "wb") as f:
                f.write(data)
            out = run(tool, "validate", *dims, epath).stdout.strip()
            if why not in out:
                print("FAIL case %d: %r, want %r" % (ci, out, why))
                bad += 1
            refused += 1
    print("layers: %d encodings equal byte for byte, decoded and valid, %d corruptions "
          "refused with their reason" % (encoded, refused))
    return bad


def check_colsum(tool, tmp):
    rng = np.random.default_rng(5)
    lines, want = [], []
    ns = [1, 1, 2, 3, 7, 8, 16, 33, 64, 128, 255, 1000]
    for n in ns:
        for rep in range(12):
            b = rng.choice([-1, 1], n)
            a = rng.choice([-1, 1], n)
            if rep == 1:
                a = np.ones(n, int)   # every row driven (when not flipped)
            if rep == 2:
                a = -np.ones(n, int)  # none driven
            if rep == 3:
                b = np.ones(n, int)   # every cell conducting (when not flipped)
            if rep == 4:
                b = -np.ones(n, int)
            cf, af = int(rng.integers(2)), int(rng.integers(2))
            if rep < 5:
                cf = af = 0
            s = (b * (-1 if cf else 1)) > 0
            d = (a * (-1 if af else 1)) > 0
            c, p, q = int((s & d).sum()), int(s.sum()), int(d.sum())
            lines.append("%d %d %d %d %d %d" % (c, p, q, n, cf, af))
            want.append(int((b * a).sum()))
    path = os.path.join(tmp, "colsum.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    got = run(tool, "colsum", path).stdout.split()
    bad = 0
    if len(got) != len(want):
        print("FAIL colsum: %d results for %d cases" % (len(got), len(want)))
        return 1
    for line, g, w in zip(lines, got, want):
        if int(g) != w:
            print("FAIL colsum %s: %s, want %d" % (line, g, w))
            bad += 1
    driven = sum(1 for l in lines if l.split()[2] == l.split()[3])
    none = sum(1 for l in lines if l.split()[2] == "0")
    print("colsum: %d reads equal sum b*a (n = 1 .. 1000; %d all driven, %d none driven)" %
          (len(want), driven, none))
    return bad


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "layers":
        return 1 if check_layers(sys.argv[2], sys.argv[3]) else 0
    if len(sys.argv) == 4 and sys.argv[1] == "colsum":
        return 1 if check_colsum(sys.argv[2], sys.argv[3]) else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
