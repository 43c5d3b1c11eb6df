"""bbs_ref.py - an independent numpy re-implementation of BBS (arXiv 2409.05227
section 2): both binary pruning methods, written from the definitions, and a
decoder of the BBS byte layout written from its documentation in
runtime/formats/spx_formats.h. Nothing here calls the C code except through
the tools whose output it checks.

  bbs_ref.py hand
      hand-worked zp_shift groups whose best offset gives an effective
      weight of 128 (beyond int8), against the reference below.
  bbs_ref.py groups TOOL TMPDIR [COUNT]
      random int8 groups (all lane counts 1..32, random and quantized-like
      weights, extremes), pruned by `TOOL prune METHOD N` (spx-bbs-test) and
      here; effective weights, r/z, C/c, squared error and the stored
      column bits must agree exactly.
  bbs_ref.py spxbin BBS.spxbin PLAIN.spxbin METHOD N G OUTLIERS
      every BBS blob of BBS.spxbin (compiled with sparsify * : bbs(...))
      decoded here; checks per group, column and half of 8 that the
      effectual bits (min(ones, zeros)) are <= 4 and <= lanes/2 in every
      column; that the rows of class 0 equal the reference pruning of the
      plain int8 weights (the "<layer>.qweight" blob of PLAIN.spxbin,
      compiled without bbs) and the outlier rows equal them unchanged; and
      the number of outlier rows. PLAIN.spxbin "-": the bit checks and the
      outlier count only (for the ImageNet-sized examples).
  bbs_ref.py spxbin BBS.spxbin PLAIN.spxbin METHOD N G OUTLIERS REPORT.json
      the same, plus each layer's spx.stats in the report (bit sparsity
      before/after, mse, size ratio, bits per weight, bytes) against values
      computed here, and one line per layer naming its outlier rows.
"""
import os
import struct
import subprocess
import sys

import numpy as np

# ---- the methods, vectorized over groups [count, lanes] ---------------------


def _bits_of(values, positions):
    """Column masks: values [count, lanes] (non-negative ints), positions
    [count, cols] bit index per column -> [count, cols] masks, bit i = lane i."""
    count, lanes = values.shape
    lane_w = (np.int64(1) << np.arange(lanes, dtype=np.int64))
    b = (values[:, None, :] >> positions[:, :, None]) & 1  # [count, cols, lanes]
    return (b.astype(np.int64) * lane_w[None, None, :]).sum(axis=2)


def round_avg(w, n):
    """Rounded averaging. w int [count, lanes] in int8 range, n in {0,2,4}.
    Returns (w', r, C, sq_error, column bits [count, 8-n])."""
    w = w.astype(np.int64)
    count, lanes = w.shape
    u = w & 0xFF  # two's complement bits
    msb = (u >> 7) & 1
    r = np.zeros(count, np.int64)
    alive = np.ones(count, bool)
    for j in (1, 2, 3):  # columns 1, 2, 3 = bits 6, 5, 4, in order
        alive &= np.all(((u >> (7 - j)) & 1) == msb, axis=1)
        r += alive
    d = np.minimum(r, n)
    low = n - d
    mask = (np.int64(1) << low) - 1
    s = (u & mask[:, None]).sum(axis=1)
    q, rem = s // lanes, s % lanes
    up = (2 * rem > lanes) | ((2 * rem == lanes) & (q % 2 == 1))  # half to even
    c = q + up
    u2 = (u & ~mask[:, None]) | c[:, None]
    wp = np.where(u2 >= 128, u2 - 256, u2)
    err = ((wp - w) ** 2).sum(axis=1)
    cols = np.arange(8 - n, dtype=np.int64)
    pos = np.where(cols[None, :] == 0, 7, 7 - d[:, None] - cols[None, :])
    bits = _bits_of(u2, pos)
    return wp, r, c, err, bits


def zp_shift(w, n):
    """Zero-point shifting. Returns (w', zs = min(z, n), c, sq_error, column
    bits [count, 8-n]: sign column, then magnitude columns). Nothing bounds
    w' to int8: the best c can give 128 (see cmd_hand)."""
    w = w.astype(np.int64)
    count, lanes = w.shape
    best = None
    for c in range(-16, 16):
        v = np.clip(w + c, -127, 127)
        sign = (v < 0).astype(np.int64)
        m = np.abs(v)
        anyb = np.bitwise_or.reduce(m, axis=1)
        z = np.zeros(count, np.int64)
        run = np.ones(count, bool)
        for b in range(6, -1, -1):  # magnitude columns 1..7 = bits 6..0
            run &= ((anyb >> b) & 1) == 0
            z += run
        stays = z >= n
        k = np.where(stays, 0, n - z)
        qmax = (1 << (7 - n)) - 1
        q = m >> k[:, None]
        rem = m & ((np.int64(1) << k[:, None]) - 1)
        half = np.where(k > 0, np.int64(1) << np.maximum(k - 1, 0), 1 << 30)
        q = q + (rem > half[:, None])  # a tie keeps the smaller
        q = np.minimum(q, qmax)
        m2 = np.where(stays[:, None], m, q << k[:, None])
        wp = np.where(sign == 1, -m2, m2) - c
        err = ((wp - w) ** 2).sum(axis=1)  # every c is a candidate: w' may leave int8
        zs = np.where(stays, n, z)
        cand = (err, wp, zs, np.full(count, c), sign, m2)
        if best is None:
            best = cand
        else:
            better = cand[0] < best[0]  # strictly: ties keep the earlier c
            best = tuple(np.where(better[:, None] if x.ndim == 2 else better, x, y)
                         for x, y in zip(cand, best))
    err, wp, zs, cc, sign, m2 = best
    cols = np.arange(1, 8 - n, dtype=np.int64)
    pos = 7 - zs[:, None] - cols[None, :]
    bits = np.concatenate([_bits_of(sign, np.zeros((count, 1), np.int64)),
                           _bits_of(m2, pos)], axis=1)
    return wp, zs, cc, err, bits


def none_method(w, n):
    w = w.astype(np.int64)
    u = w & 0xFF
    pos = np.tile(np.arange(7, -1, -1, dtype=np.int64), (w.shape[0], 1))
    z = np.zeros(w.shape[0], np.int64)
    return w, z, z, z, _bits_of(u, pos)


METHODS = {"round_avg": round_avg, "zp_shift": zp_shift, "none": none_method}

# ---- groups: compare with the C pruning --------------------------------------


def random_groups(rng, count, lanes):
    kinds = rng.integers(0, 6, count)
    g = rng.integers(-127, 128, (count, lanes))
    small = rng.integers(-20, 21, (count, lanes))
    g = np.where((kinds == 1)[:, None], small, g)
    g = np.where((kinds == 2)[:, None], -np.abs(small) - 1, g)  # all negative
    g = np.where((kinds == 3)[:, None], rng.choice([-127, 127, 0, -1, 1], (count, lanes)), g)
    g = np.where((kinds == 4)[:, None], np.abs(small), g)
    top = rng.integers(96, 128, (count, lanes))  # near +127: zp_shift can give 128
    g = np.where((kinds == 5)[:, None], top, g)
    for i, v in enumerate((0, -127, 127, -1)[:count]):  # uniform groups
        g[i] = v
    return g.astype(np.int8)


def cmd_groups(tool, tmp, count):
    rng = np.random.default_rng(20240905)
    os.makedirs(tmp, exist_ok=True)
    total = beyond = 0
    for method in ("round_avg", "zp_shift"):
        for n in (0, 2, 4):
            for lanes in range(1, 33):
                g = random_groups(rng, count, lanes)
                src = os.path.join(tmp, "g.npy")
                out = os.path.join(tmp, "out")
                np.save(src, g)
                subprocess.run([tool, "prune", method, str(n), src, out], check=True)
                cw = np.load(out + ".w.npy").astype(np.int64)
                meta = np.load(out + ".meta.npy").astype(np.int64)
                wp, param, const, err, bits = METHODS[method](g, n)
                where = "%s N=%d lanes=%d" % (method, n, lanes)
                for name, a, b in (("weights", cw, wp), ("param", meta[:, 0], param),
                                   ("constant", meta[:, 1], const),
                                   ("squared error", meta[:, 2], err),
                                   ("column bits", meta[:, 3:3 + 8 - n] & 0xFFFFFFFF, bits)):
                    if not np.array_equal(a, b):
                        i = int(np.argwhere(np.any((a != b).reshape(count, -1), axis=1))[0][0])
                        sys.exit("MISMATCH %s %s: group %s: C %s, reference %s"
                                 % (where, name, g[i].tolist(), a[i].tolist(), b[i].tolist()))
                total += count
                beyond += int(np.any((wp < -128) | (wp > 127), axis=1).sum())
    print("groups: %d pruned groups agree (round_avg, zp_shift; N = 0, 2, 4; 1..32 lanes; "
          "%d with weights beyond int8)" % (total, beyond))


# ---- .spxbin: decode BBS blobs independently --------------------------------

SECTIONS = ["strings", "tensors", "blobs", "weights", "commands"]


def read_blobs(path):
    data = open(path, "rb").read()
    secs = {}
    for i, name in enumerate(SECTIONS):
        off, size = struct.unpack_from("<II", data, 32 + 8 * i)
        secs[name] = (off, size)
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
        blobs[name] = (dtype, enc, np.frombuffer(data, np.uint8, length, w_off + off))
    return blobs


def decode_bbs(b):
    """Decodes one BBS encoding (spx_formats.h layout). Returns (weights
    [rows, cols, taps], class per channel, worst effectual bits per half,
    worst effectual bits per column relative to lanes/2, group size)."""
    hdr = bytes(b[:48])
    assert hdr[:4] == b"SXBB", "magic"
    version, hbytes, rows, cols, kh, kw, G, ge, flags = struct.unpack_from("<HHIIHHBBH", hdr, 4)
    assert version == 1 and hbytes == 48 and flags == 0
    classes = [struct.unpack_from("<BBHI", hdr, 24 + 8 * c) for c in range(2)]
    data_off, total = struct.unpack_from("<II", hdr, 40)
    assert total == len(b), "total size"
    assert ge == min(G, cols)
    order = np.frombuffer(bytes(b[48:48 + 2 * rows]), "<u2").astype(np.int64)
    assert sorted(order.tolist()) == list(range(rows)), "order is a permutation"
    taps, ng, nb = kh * kw, -(-cols // ge), -(-ge // 8)
    out = np.zeros((rows, taps, ng * ge), np.int16)  # zp_shift may leave int8
    cls_of = np.zeros(rows, np.int64)
    worst_half = 0
    worst_col = -99
    lanes_of = np.full(ng, ge)
    lanes_of[-1] = cols - (ng - 1) * ge
    off, first = data_off, 0
    for ci, (method, n, _, nrows) in enumerate(classes):
        ncols = 8 - n
        gb = 1 + ncols * nb
        allrec = b[off:off + nrows * taps * ng * gb].reshape(nrows, taps, ng, gb)
        off += nrows * taps * ng * gb
        step = max(1, (1 << 18) // (taps * ng * ge))  # rows per chunk (memory)
        for r0 in range(0, nrows, step):
            worst_half, worst_col = _decode_rows(
                allrec[r0:r0 + step].astype(np.int64), method, n, ncols, nb, ge, lanes_of,
                out, order[first + r0:first + min(nrows, r0 + step)], worst_half, worst_col)
        cls_of[order[first:first + nrows]] = ci
        first += nrows
    assert off == len(b), "records fill the encoding"
    w = out[:, :, :cols].transpose(0, 2, 1)  # [rows, cols, taps]
    for ci, (method, n, _, _) in enumerate(classes):
        lo, hi = weight_range(method, n)
        wc = w[cls_of == ci]
        assert np.all((wc >= lo) & (wc <= hi)), "decodes within the method's range"
    return w, cls_of, worst_half, worst_col, G, classes


def weight_range(method, n):
    """Every effective weight a group can stand for, from the layout: none and
    round_avg are two's complement (int8); zp_shift is +-m - c with the sign
    column, magnitude columns zs+1 .. 7-(n-zs) (m <= 2^(7-zs) - 2^(n-zs) <=
    128 - 2^n) and c in [-16, 15]."""
    if method == 2:
        return -(128 - (1 << n)) - 15, (128 - (1 << n)) + 16
    return -128, 127


def _decode_rows(rec, method, n, ncols, nb, ge, lanes_of, out, chans, worst_half, worst_col):
    nrows, taps, ng, _ = rec.shape
    head = rec[..., 0]
    bits = np.unpackbits(rec[..., 1:].astype(np.uint8).reshape(nrows, taps, ng, ncols, nb),
                         axis=-1, bitorder="little")[..., :ge].astype(np.int64)
    # lanes beyond a ragged group's end must hold 0
    lane_idx = np.arange(ge)
    beyond = lane_idx[None, :] >= lanes_of[:, None]  # [ng, ge]
    assert not np.any(bits * beyond[None, None, :, None, :]), "bits beyond lanes"
    param, const = head >> 5, head & 31
    cidx = np.arange(ncols)[None, None, None, :]
    if method == 1:  # round_avg
        d = np.minimum(param, n)[..., None]
        place = np.where(cidx == 0, -(1 << (7 - d)), 1 << np.maximum(7 - d - cidx, 0))
        val = (bits * place[..., None]).sum(axis=3) + const[..., None]
    elif method == 2:  # zp_shift
        zs = np.minimum(param, n)[..., None]
        place = np.where(cidx == 0, 0, 1 << np.maximum(7 - zs - cidx, 0))
        mag = (bits * place[..., None]).sum(axis=3)
        c = np.where(const >= 16, const - 32, const)[..., None]
        val = np.where(bits[:, :, :, 0, :] == 1, -mag, mag) - c
    else:  # none
        place = np.array([-128, 64, 32, 16, 8, 4, 2, 1])[None, None, None, :]
        val = (bits * place[..., None]).sum(axis=3)
    # effectual bits per half of 8 lanes and per column
    eff_col = np.zeros(bits.shape[:4], np.int64)
    for h in range(nb):
        hb = bits[..., 8 * h:8 * h + 8]
        lanes_h = np.clip(lanes_of - 8 * h, 0, 8)[None, None, :, None]
        ones = hb.sum(axis=-1)
        eff = np.minimum(ones, lanes_h - ones)
        if eff.size:
            worst_half = max(worst_half, int(eff.max()))
        eff_col += eff
    if eff_col.size:
        worst_col = max(worst_col, int((2 * eff_col - lanes_of[None, None, :, None]).max()))
    out[chans] = val.reshape(nrows, taps, ng * ge)
    return worst_half, worst_col


def reference_layer(w0, method, n, G, cls_of):
    """Prunes plain int8 weights [rows, cols, taps] group by group."""
    rows, cols, taps = w0.shape
    ge = min(G, cols)
    out = w0.astype(np.int64).copy()
    grouped = w0.transpose(0, 2, 1)  # [rows, taps, cols]
    allsel = np.nonzero(cls_of == 0)[0]
    step = max(1, (1 << 18) // (taps * cols))
    for r0 in range(0, len(allsel), step):
        sel = allsel[r0:r0 + step]
        for c0 in range(0, cols, ge):
            lanes = min(ge, cols - c0)
            g = grouped[sel, :, c0:c0 + lanes].reshape(-1, lanes)
            wp = METHODS[method](g, n)[0]
            out[sel, c0:c0 + lanes, :] = wp.reshape(len(sel), taps, lanes).transpose(0, 2, 1)
    return out


def effectual_bits(b):
    """Sum over the encoding's groups, columns and halves of min(ones, zeros)."""
    total = 0
    hdr = bytes(b[:48])
    rows, cols, kh, kw, G, ge = struct.unpack_from("<IIHHBB", hdr, 8)
    classes = [struct.unpack_from("<BBHI", hdr, 24 + 8 * c) for c in range(2)]
    (off,) = struct.unpack_from("<I", hdr, 40)
    taps, ng, nb = kh * kw, -(-cols // ge), -(-ge // 8)
    lanes_of = np.full(ng, ge)
    lanes_of[-1] = cols - (ng - 1) * ge
    for method, n, _, nrows in classes:
        gb = 1 + (8 - n) * nb
        rec = b[off:off + nrows * taps * ng * gb].reshape(nrows, taps, ng, gb)
        off += nrows * taps * ng * gb
        bits = np.unpackbits(rec[..., 1:].reshape(nrows, taps, ng, 8 - n, nb), axis=-1,
                             bitorder="little")[..., :ge].astype(np.int64)
        for h in range(nb):
            lanes_h = np.clip(lanes_of - 8 * h, 0, 8)[None, None, :, None]
            ones = bits[..., 8 * h:8 * h + 8].sum(axis=-1)
            total += int(np.minimum(ones, lanes_h - ones).sum())
    return total


def check_stats(report, layer, w, b, plain, rows, cols, taps):
    """The pass's spx.stats in the report against figures computed here."""
    import json
    rep = json.load(open(report))
    st = [l for l in rep["layers"] if l["name"] == layer][0]["stats"]
    count = rows * cols * taps
    w0 = plain[layer + ".qweight"][2].view(np.int8).reshape(rows, cols, taps).astype(np.int64)
    ones = int(np.unpackbits(w0.astype(np.uint8).reshape(-1)).sum())
    mine = {
        "bit_sparsity_before": 1 - ones / (8 * count),
        "bit_sparsity_after": 1 - effectual_bits(b) / (8 * count),
        "mse": float(((w.astype(np.int64) - w0) ** 2).mean()),
        "size_ratio": count / len(b),
        "effective_bits_per_weight": 8 * len(b) / count,
    }
    for k, v in mine.items():
        if abs(st[k] - v) > 1e-5 * max(1.0, abs(v)):  # report prints %.6g
            sys.exit("%s: stats %s = %r, computed %r" % (layer, k, st[k], v))
    if st["encoded_bytes"] != len(b) or st["dense_bytes"] != count:
        sys.exit("%s: stats bytes" % layer)


def cmd_spxbin(bbs_path, plain_path, method, n, G, outliers, report=None, verbose=False):
    blobs = read_blobs(bbs_path)
    plain = None if plain_path == "-" else read_blobs(plain_path)
    layers = 0
    for name, (dtype, enc, b) in sorted(blobs.items()):
        if enc != 2:
            continue
        layer = name[:-len(".bbs")]
        w, cls_of, worst_half, worst_col, g, classes = decode_bbs(b)
        rows, cols, taps = w.shape
        if worst_half > 4:
            sys.exit("%s: %d effectual bits in a half of 8" % (layer, worst_half))
        if worst_col > 0:
            sys.exit("%s: a column has more effectual bits than lanes/2" % layer)
        if g != G or classes[0][0] != {"round_avg": 1, "zp_shift": 2, "none": 0}[method] \
                or classes[0][1] != n:
            sys.exit("%s: encoded with G=%d, method %d, N=%d" % (layer, g, classes[0][0], classes[0][1]))
        n_out = int(np.floor(outliers * rows + 0.5)) if method != "none" else 0
        if int(cls_of.sum()) != n_out:
            sys.exit("%s: %d outlier rows, expected %d" % (layer, int(cls_of.sum()), n_out))
        if report is not None:
            check_stats(report, layer, w, b, plain, rows, cols, taps)
        if verbose:
            print("%s: %d rows, outliers %s, effective weights in [%d, %d], %d beyond int8"
                  % (layer, rows, np.nonzero(cls_of)[0].tolist(), w.min(), w.max(),
                     int(((w < -128) | (w > 127)).sum())))
        if plain is None:
            layers += 1
            continue
        w0 = plain[layer + ".qweight"][2].view(np.int8).reshape(rows, cols, taps)
        ref = reference_layer(w0, method, n, G, cls_of)
        if not np.array_equal(w, ref):
            idx = np.argwhere(w != ref)[0]
            sys.exit("%s: decoded weight %s is %d, reference pruning gives %d"
                     % (layer, idx.tolist(), w[tuple(idx)], ref[tuple(idx)]))
        layers += 1
    if not layers:
        sys.exit("no BBS blobs in %s" % bbs_path)
    print("spxbin: %d BBS layers: <= 4 effectual bits per half of 8, <= lanes/2 per column%s"
          % (layers, ", decoded weights = reference pruning" if plain else ""))


# ---- hand-worked groups whose best offset leaves int8 -------------------------


def cmd_hand():
    """zp_shift groups near the top of the range, shifted down and rounded
    up, worked out by hand (the same cases as bbs_test.c):
      w = 127, 16, N = 4: 127 + c >= 111 >= 64 for every c, so z = 0 and
        k = 4 (multiples of 16 up to 7 * 16 = 112). c = -16 first: v = 111,
        0; 111 = 6*16 + 15, 15 > 8 -> 112; 0 -> 0: w' = 128, 16, error 1.
        Error 0 would need 127 + c = 112 (c = -15), but then 16 - 15 = 1
        -> 0, w' = 15: error 1 again, not smaller. Best c = -16, w' = 128.
      w = 127, 120, N = 2: z = 0, k = 2 (multiples of 4 up to 124). c = -16:
        v = 111 -> 112 (111 = 27*4 + 3, 3 > 2), 104 = 26*4: w' = 128, 120,
        error 1. Error 0 needs both 127 + c and 120 + c multiples of 4:
        impossible (127 and 120 differ mod 4). Best c = -16, w' = 128."""
    cases = [
        # (w, n, expected w', zs, c, error)
        ([127, 16], 4, [128, 16], 0, -16, 1),
        ([127, 120], 2, [128, 120], 0, -16, 1),
    ]
    for w, n, exp, zs, c, err in cases:
        wp, zz, cc, ee, _ = zp_shift(np.array([w], np.int64), n)
        got = (wp[0].tolist(), int(zz[0]), int(cc[0]), int(ee[0]))
        if got != (exp, zs, c, err):
            sys.exit("hand case %s N=%d: got %s, expected %s" % (w, n, got, (exp, zs, c, err)))
    print("hand: %d zp_shift groups whose best offset gives 128" % len(cases))


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "hand":
        cmd_hand()
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "groups":
        cmd_groups(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else 64)
    elif len(sys.argv) in (8, 9) and sys.argv[1] == "spxbin":
        cmd_spxbin(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]),
                   float(sys.argv[7]), sys.argv[8] if len(sys.argv) == 9 else None,
                   len(sys.argv) == 9)
    else:
        sys.exit(__doc__)
