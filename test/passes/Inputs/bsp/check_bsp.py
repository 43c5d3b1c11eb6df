"""Checks block-sparsify's output in a compiled .spxbin, independently of the
compiler's C code. Reads the container by the layout documented in
runtime/stream/spx_stream.h and CBR by the one in
runtime/formats/spx_formats.h, then for each LAYER:
  - a CBR blob "<layer>.cbr" must decode to the int8 weights of the same
    layer compiled without sparsity (DENSE.spxbin, blob "<layer>.qweight")
    with whole 8x8 blocks zeroed, and nothing else changed;
  - no block row or column of a CBR layer may be empty;
  - prints the layer's block mask (1 = non-zero block), block rows separated
    by spaces, for FileCheck.
Usage: check_bsp.py SPARSE.spxbin DENSE.spxbin SHAPES LAYER...
SHAPES: comma-separated layer=OxIxHxW or layer=MxK (the weight shapes)."""
import struct
import sys

import numpy as np


def blobs(path):
    b = open(path, "rb").read()
    assert b[:4] == b"SPXB"
    sec = [struct.unpack_from("<II", b, 32 + 8 * i) for i in range(8)]
    strings = b[sec[0][0]:sec[0][0] + sec[0][1]]
    boff = sec[2][0]
    count = struct.unpack_from("<I", b, boff)[0]
    out = {}
    for i in range(count):
        name, dtype, _, enc, off, length = struct.unpack_from("<IBBHII", b, boff + 8 + 32 * i)
        n = strings[name:strings.index(b"\0", name)].decode()
        start = sec[3][0] + off
        out[n] = (enc, b[start:start + length])
    return out


def decode(b, shape):
    assert b[:4] == b"SXCB", b[:4]
    ver, hb, rows, cols, kh, kw, groups, bh, bw, flags, R, C, nnz, doff, total = \
        struct.unpack_from("<HHIIHHIBBHIIIII", b, 4)
    assert (ver, hb, bh, bw, flags) == (1, 48, 8, 8, 0)
    assert total == len(b)
    assert (rows, cols, kh, kw) == (shape[0], shape[1], *(shape[2:] or (1, 1)))
    row_ptr = struct.unpack_from(f"<{R + 1}I", b, 48)
    col_idx = struct.unpack_from(f"<{nnz}H", b, 48 + 4 * (R + 1))
    assert doff == (48 + 4 * (R + 1) + 2 * nnz + 15) // 16 * 16
    data = np.frombuffer(b, np.int8, offset=doff).reshape(nnz, 8, kh, kw, 8)
    per = rows // groups
    rpg = -(-per // 8)
    w = np.zeros((rows, cols, kh, kw), np.int8)
    for r in range(R):
        o0 = (r // rpg) * per + (r % rpg) * 8
        no = min(8, per - (r % rpg) * 8)
        for k in range(row_ptr[r], row_ptr[r + 1]):
            c = col_idx[k]
            ni = min(8, cols - c * 8)
            # block layout [8 out][kh][kw][8 in]
            w[o0:o0 + no, c * 8:c * 8 + ni] = data[k][:no, :, :, :ni].transpose(0, 3, 1, 2)
    return w.reshape(shape), nnz, R * C


def block_mask(w):
    """[R, C] non-zero 8x8 blocks (groups = 1)."""
    r, c = -(-w.shape[0] // 8), -(-w.shape[1] // 8)
    a = np.abs(w.reshape(w.shape[0], w.shape[1], -1)).sum(axis=2)
    m = np.zeros((r, c), np.int64)
    for i in range(r):
        for j in range(c):
            m[i, j] = int(a[8 * i:8 * i + 8, 8 * j:8 * j + 8].any())
    return m


sparse, dense = blobs(sys.argv[1]), blobs(sys.argv[2])
shapes = {k: tuple(int(v) for v in s.split("x"))
          for k, s in (item.split("=") for item in sys.argv[3].split(","))}
for layer in sys.argv[4:]:
    shape = shapes[layer]
    ref = np.frombuffer(dense[layer + ".qweight"][1], np.int8).reshape(shape)
    if layer + ".cbr" not in sparse:
        enc, raw = sparse[layer + ".qweight"]
        assert enc == 0 and raw == dense[layer + ".qweight"][1], f"{layer}: dense weights changed"
        m = block_mask(ref)
        print(f"{layer}: dense blocks " + " ".join("".join(map(str, row)) for row in m))
        continue
    enc, raw = sparse[layer + ".cbr"]
    assert enc == 1, enc  # SPX_FMT_CBR
    w, nnz, total = decode(raw, shape)
    m = block_mask(w)
    assert nnz == m.sum(), (nnz, m.sum())
    keep = np.repeat(np.repeat(m, 8, 0), 8, 1)[:shape[0], :shape[1]]
    keep = keep.reshape(keep.shape + (1,) * (len(shape) - 2))
    assert np.array_equal(w, ref * keep), f"{layer}: kept blocks differ from the dense int8 weights"
    assert m.any(axis=1).all(), f"{layer}: empty block row"
    assert m.any(axis=0).all(), f"{layer}: empty block column"
    print(f"{layer}: cbr {nnz}/{total} blocks " + " ".join("".join(map(str, row)) for row in m))
