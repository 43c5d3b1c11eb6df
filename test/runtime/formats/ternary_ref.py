"""ternary_ref.py - an independent numpy reference of the ternary weight format,
written from its definition (the agreed design, and the layout drawn in
runtime/formats/spx_formats.h, "TERNARY"): the code book enumerated with
itertools.combinations, and the byte layout packed and unpacked here. Nothing
here calls the C code except through spx-ternary-test, whose output it checks.
test/runtime/kernels/check_kernels.py (--op conv2d_ternary, dense_ternary)
imports Book, encode and random_weights to make the ternary kernels' inputs.

  ternary_ref.py book TOOL
      every code of the (8, 2), (4, 4), (16, 1), (5, 3) and (2, 1) books and
      a sample of (16, 16) (3^16 codes, 26 bits), as `TOOL book N K [STEP]`
      prints them, against the book enumerated here.
  ternary_ref.py layers TOOL TMPDIR
      random ternary layers (ragged last groups, conv groups, several taps)
      encoded here and by `TOOL encode` (the bytes must be equal), decoded by
      `TOOL decode` from the bytes made here, and corrupted here (a code past
      the book's end, a code on a missing lane of a ragged group, a padding
      bit): `TOOL validate` must refuse each, naming the output channel, tap
      and group computed here.
"""
import itertools
import os
import subprocess
import sys

import numpy as np

HEADER = 32


class Book:
    """The (n, k) code book: by number of non-zeros j, supports in
    lexicographic order (itertools.combinations), signs s = sum sign_t << t
    innermost."""

    def __init__(self, n, k):
        self.n, self.k = n, k
        self.base = []
        self.supports = []
        self.index = []
        b = 0
        for j in range(k + 1):
            self.base.append(b)
            sup = list(itertools.combinations(range(n), j))
            self.supports.append(sup)
            self.index.append({s: i for i, s in enumerate(sup)})
            b += len(sup) << j
        self.P = b
        self.bits = (b - 1).bit_length()  # ceil(log2(P))

    def masks(self, code):
        """code -> (pos, neg) masks; None past the end."""
        if code >= self.P:
            return None
        for j in range(self.k, -1, -1):
            if code >= self.base[j]:
                rel = code - self.base[j]
                sup = self.supports[j][rel >> j]
                s = rel & ((1 << j) - 1)
                pos = sum(1 << p for p in sup)
                neg = sum(1 << p for t, p in enumerate(sup) if (s >> t) & 1)
                return pos, neg
        raise AssertionError

    def code(self, lanes):
        """lanes: values in {-1, 0, 1} -> code."""
        sup = tuple(i for i, v in enumerate(lanes) if v)
        j = len(sup)
        assert j <= self.k
        s = sum(1 << t for t, p in enumerate(sup) if lanes[p] < 0)
        return self.base[j] + (self.index[j][sup] << j) + s


def check_book(tool):
    cases = [(8, 2, 1), (4, 4, 1), (16, 1, 1), (5, 3, 1), (2, 1, 1), (16, 16, 9973)]
    bad = 0
    for n, k, step in cases:
        book = Book(n, k)
        out = subprocess.run([tool, "book", str(n), str(k), str(step)], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        head = out[0].split()
        if int(head[1]) != book.P or int(head[3]) != book.bits:
            print("FAIL (%d,%d): P %s b %s, want %d %d" % (n, k, head[1], head[3], book.P,
                                                          book.bits))
            bad += 1
        seen = 0
        want_codes = list(range(0, book.P, step))
        if want_codes[-1] != book.P - 1:
            want_codes.append(book.P - 1)
        got_codes = []
        for line in out[1:]:
            if not line:
                continue
            if line.startswith("FAIL"):
                print(line)
                bad += 1
                continue
            c, pos, neg = line.split()
            c, pos, neg = int(c), int(pos, 16), int(neg, 16)
            got_codes.append(c)
            if book.masks(c) != (pos, neg):
                print("FAIL (%d,%d) code %d: %x %x, want %s" % (n, k, c, pos, neg,
                                                               book.masks(c)))
                bad += 1
            seen += 1
        if got_codes != want_codes:
            print("FAIL (%d,%d): codes listed differ" % (n, k))
            bad += 1
        print("book (%d,%d): P = %d, b = %d, %d codes agree%s" %
              (n, k, book.P, book.bits, seen, "" if step == 1 else " (every %d-th)" % step))
    # hand-worked (8, 2) codes, from the definition
    b = Book(8, 2)
    hand = {0: (0, 0), 1: (1, 0), 2: (1, 1), 3: (2, 0), 17: (3, 0), 128: (0xc0, 0xc0)}
    for c, m in hand.items():
        if b.masks(c) != m:
            print("FAIL hand (8,2) code %d" % c)
            bad += 1
    return bad


def encode(w, dims, n, k):
    """w int8 OIHW [rows, cols, kh, kw] -> the encoding's bytes."""
    rows, cols, kh, kw, groups = dims
    book = Book(n, k)
    ng = -(-cols // n)
    codes = []
    for o in range(rows):
        for ky in range(kh):
            for kx in range(kw):
                for g in range(ng):
                    codes.append(book.code(list(w[o, g * n:(g + 1) * n, ky, kx])))
    bits = []
    for c in codes:
        bits += [(c >> t) & 1 for t in range(book.bits)]
    bits += [0] * (-len(bits) % 8)
    data = bytes(sum(bits[i + t] << t for t in range(8)) for i in range(0, len(bits), 8))
    total = HEADER + len(data)
    head = b"SXTN" + (1).to_bytes(2, "little") + HEADER.to_bytes(2, "little")
    head += rows.to_bytes(4, "little") + cols.to_bytes(4, "little")
    head += kh.to_bytes(2, "little") + kw.to_bytes(2, "little") + groups.to_bytes(4, "little")
    head += bytes([n, k, book.bits, 0]) + total.to_bytes(4, "little")
    return head + data, codes, book


def set_code(enc, i, bits, value):
    """A copy of enc with code i replaced by value."""
    b = bytearray(enc)
    for t in range(bits):
        q = (i * bits + t)
        byte, bit = HEADER + q // 8, q % 8
        b[byte] = (b[byte] & ~(1 << bit)) | (((value >> t) & 1) << bit)
    return bytes(b)


def random_weights(rng, dims, n, k):
    rows, cols, kh, kw, _ = dims
    w = np.zeros((rows, cols, kh, kw), np.int8)
    for o in range(rows):
        for ky in range(kh):
            for kx in range(kw):
                for g0 in range(0, cols, n):
                    lanes = min(n, cols - g0)
                    nz = rng.integers(0, min(k, lanes) + 1)
                    at = rng.choice(lanes, nz, replace=False)
                    w[o, g0 + at, ky, kx] = rng.choice([-1, 1], nz)
    return w


def run(tool, *args):
    return subprocess.run([tool] + [str(a) for a in args], capture_output=True, text=True)


def check_layers(tool, tmp):
    rng = np.random.default_rng(7)
    cases = [  # rows, cols, kh, kw, groups, n, k
        (8, 16, 3, 3, 1, 8, 2), (5, 13, 1, 1, 1, 8, 2), (6, 10, 3, 3, 2, 4, 4),
        (4, 20, 1, 1, 1, 16, 1), (3, 11, 2, 3, 1, 5, 3), (2, 37, 1, 1, 1, 16, 16),
        (7, 3, 3, 3, 1, 8, 2), (4, 9, 1, 2, 1, 2, 1), (10, 30, 1, 1, 1, 12, 5),
    ]
    bad = checked = refused = 0
    for ci, (rows, cols, kh, kw, groups, n, k) in enumerate(cases):
        dims = (rows, cols, kh, kw, groups)
        w = random_weights(rng, dims, n, k)
        enc, codes, book = encode(w, dims, n, k)
        wpath, epath, opath = (os.path.join(tmp, "c%d.%s" % (ci, e)) for e in ("w", "enc", "out"))
        w.tofile(wpath)
        r = run(tool, "encode", n, k, *dims, wpath, opath)
        if r.returncode or open(opath, "rb").read() != enc:
            print("FAIL case %d: the C encoding differs from the reference's" % ci)
            bad += 1
        with open(epath, "wb") as f:
            f.write(enc)
        r = run(tool, "decode", n, k, *dims, epath, opath)
        back = np.fromfile(opath, np.int8).reshape(w.shape) if not r.returncode else None
        if back is None or not np.array_equal(back, w):
            print("FAIL case %d: the C decoding differs from the weights" % ci)
            bad += 1
        r = run(tool, "validate", *dims, epath)
        if r.stdout.strip() != "ok":
            print("FAIL case %d: validate refuses the reference encoding: %s" % (ci, r.stdout))
            bad += 1
        checked += 1
        # corruptions, each at a random code; its location from the code number
        ng = -(-cols // n)
        ragged = cols % n

        def where(i):
            o, rest = divmod(i, kh * kw * ng)
            t, g = divmod(rest, ng)
            return "output channel %d, tap %d (ky %d, kx %d), group %d" % (o, t, t // kw,
                                                                          t % kw, g)

        bad_codes = []
        if book.P < (1 << book.bits):
            i = int(rng.integers(len(codes)))
            bad_codes.append((i, int(rng.integers(book.P, 1 << book.bits)), "past the end"))
        if ragged:
            lanes = ragged
            i = int(rng.integers(rows * kh * kw)) * ng + ng - 1
            # a code with its first non-zero on a missing lane
            lane = int(rng.integers(lanes, n))
            c = book.code([1 if x == lane else 0 for x in range(n)])
            bad_codes.append((i, c, "uses lane %d of a ragged group of %d lanes" % (lane, lanes)))
        for i, c, why in bad_codes:
            with open(epath, "wb") as f:
                f.write(set_code(enc, i, book.bits, c))
            out = run(tool, "validate", *dims, epath).stdout.strip()
            if why not in out or where(i) not in out:
                print("FAIL case %d: code %d := %d: %r, want %r and %r" % (ci, i, c, out, why,
                                                                           where(i)))
                bad += 1
            refused += 1
        used = len(codes) * book.bits
        if used % 8:
            b = bytearray(enc)
            b[-1] |= 0x80
            with open(epath, "wb") as f:
                f.write(bytes(b))
            out = run(tool, "validate", *dims, epath).stdout.strip()
            if "padding" not in out:
                print("FAIL case %d: a padding bit: %r" % (ci, out))
                bad += 1
            refused += 1
    print("layers: %d encodings equal byte for byte and decoded, %d corruptions refused "
          "with their location" % (checked, refused))
    return bad


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "book":
        return 1 if check_book(sys.argv[2]) else 0
    if len(sys.argv) == 4 and sys.argv[1] == "layers":
        return 1 if check_layers(sys.argv[2], sys.argv[3]) else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
