"""lp_ref.py - an independent model of the LP integer datapath, written from
docs/numerics.md ("LP layers") and docs/number-formats.md (the code fields),
with Python integers for every fixed-point quantity. It parses the lp weight
encoding from its documented layout (runtime/formats/spx_formats.h, "LP").

  lp_ref.py check DIR   recomputes every DIR/caseK.out of spx-lp-test from
                        caseK.{blob,in,txt} and prints the differing outputs
                        (0 for a bit-exact kernel).
"""
import os
import struct
import sys
from decimal import Decimal, getcontext

import numpy as np

getcontext().prec = 80


def frac_bits(n, es, rs):
    return max(0, n - 1 - min(2, rs) - es)


def log_of(code, n, es, rs, sf):
    """(sign, L) with L = log2|value| * 2^F (F = frac_bits), None for zero/NaR."""
    code &= (1 << n) - 1
    if code == 0 or code == 1 << (n - 1):
        return None
    sign = code >> (n - 1)
    mag = ((-code) & ((1 << n) - 1)) if sign else code
    bits = [(mag >> (n - 2 - i)) & 1 for i in range(n - 1)]  # after the sign
    first = bits[0]
    m = 0
    while m < len(bits) and bits[m] == first and m < rs:
        m += 1
    k = m - 1 if first == 1 else -m
    pos = m
    if m < rs and pos < len(bits):
        pos += 1  # terminator
    e = 0
    for i in range(es):
        e = e * 2 + (bits[pos] if pos < len(bits) else 0)
        pos += 1
    rest = bits[pos:] if pos < len(bits) else []
    fb = len(rest)
    f = 0
    for b in rest:
        f = f * 2 + b
    F = frac_bits(n, es, rs)
    return sign, ((2 ** es * k + e - sf) << F) + (f << (F - fb))


def exp2_table(F):
    out = []
    for j in range(1 << F):
        x = Decimal(2) ** (Decimal(j) / Decimal(1 << F)) * (1 << 30)
        out.append(int(x + Decimal("0.5")))  # never a tie for j > 0
    return out


SAT = 1 << 62


def model(blob, x, prm):
    hdr = struct.unpack_from("<4sHHIIHHI4B4BBBHIII", blob, 0)
    magic, _, _, rows, cols, kh, kw, groups = hdr[:8]
    assert magic == b"SXLP"
    wn, wes, wrs, wsf = hdr[8:12]
    an, aes, ars, asf = hdr[12:16]
    wsf = wsf - 256 if wsf > 127 else wsf
    asf = asf - 256 if asf > 127 else asf
    A, code_bits = hdr[16], hdr[17]
    assert code_bits == wn
    bias_off, codes_off = hdr[19], hdr[20]
    table = struct.unpack_from("<256H", blob, 48)
    bias = struct.unpack_from("<%dq" % rows, blob, bias_off)
    count = rows * cols * kh * kw
    # n bits per code, code i at bits i*n.. of the area as one little-endian
    # integer
    packed = int.from_bytes(blob[codes_off:codes_off + (count * wn + 7) // 8], "little")
    codes = [(packed >> (i * wn)) & ((1 << wn) - 1) for i in range(count)]
    Fw, Fa = frac_bits(wn, wes, wrs), frac_bits(an, aes, ars)
    F = max(Fw, Fa)
    T = exp2_table(F)
    (n, c_in, h, w, c_out, _, _, stride, pad, dil, g_, zp_out, amin, amax, _,
     mults, shifts) = prm
    oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    ow = (w + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    wl = []
    for c in codes:
        r = log_of(c, wn, wes, wrs, wsf)
        wl.append(None if r is None else (r[0], r[1] << (F - Fw)))
    al = []
    for i in range(256):
        r = log_of(table[i], an, aes, ars, asf)
        al.append(None if r is None else (r[0], r[1] << (F - Fa)))
    cin_g, cout_g = c_in // groups, c_out // groups
    x = x.reshape(n, c_in, h, w)
    out = np.zeros((n, c_out, oh, ow), dtype=np.int64)
    for b in range(n):
        for oc in range(c_out):
            g = oc // cout_g
            R = 31 - shifts[oc] + A
            for oy in range(oh):
                for ox in range(ow):
                    acc = max(-SAT, min(SAT, bias[oc]))
                    for ic in range(cin_g):
                        for ky in range(kh):
                            iy = oy * stride + ky * dil - pad
                            if iy < 0 or iy >= h:
                                continue
                            for kx in range(kw):
                                ix = ox * stride + kx * dil - pad
                                if ix < 0 or ix >= w:
                                    continue
                                a = al[int(x[b, g * cin_g + ic, iy, ix]) + 128]
                                wv = wl[((oc * cin_g + ic) * kh + ky) * kw + kx]
                                if a is None or wv is None:
                                    continue
                                P = a[1] + wv[1]
                                I, j = P >> F, P & ((1 << F) - 1)  # floor, mod
                                s = I + A - 30
                                if s >= 0:
                                    term = SAT if s > 31 else T[j] << s
                                elif s <= -32:
                                    term = 0
                                else:
                                    term = (T[j] + (1 << (-s - 1))) >> -s
                                term = min(term, SAT)
                                acc += -term if a[0] ^ wv[0] else term
                                acc = max(-SAT, min(SAT, acc))
                    qv = (abs(acc) * mults[oc] + (1 << (R - 1))) >> R
                    qv = min(qv, 1 << 31)
                    v = zp_out + (-qv if acc < 0 else qv)
                    out[b, oc, oy, ox] = max(amin, min(amax, v))
    return out


def check(d):
    total = bad = 0
    k = 0
    while os.path.exists(os.path.join(d, "case%d.txt" % k)):
        p = os.path.join(d, "case%d" % k)
        f = open(p + ".txt").read().split()
        prm = [int(v) for v in f[:15]] + [[int(v) for v in f[15].split(",")],
                                         [int(v) for v in f[16].split(",")]]
        blob = open(p + ".blob", "rb").read()
        x = np.fromfile(p + ".in", dtype=np.int8)
        got = np.fromfile(p + ".out", dtype=np.int8).astype(np.int64)
        want = model(blob, x, prm).reshape(-1)
        total += want.size
        bad += int(np.sum(want != got))
        k += 1
    print("%d cases, %d outputs, %d differ" % (k, total, bad))
    return 0 if bad == 0 and k > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    sys.exit(__doc__)
