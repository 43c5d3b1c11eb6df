"""spxref.py - independent numpy references for the libspxrt kernels.

The int8 references implement the integer rule of the numeric contract
(docs/numerics.md) from its definition: TFLite/gemmlowp SaturatingRoundingDoubling-
HighMul, RoundingDivideByPOT and MultiplyByQuantizedMultiplier, frexp-based
QuantizeMultiplier, and the gemmlowp fixed-point exp/logistic/reciprocal for
sigmoid and softmax. They are written separately from the C code (numpy int64
arrays and Python integers) and must agree with it bit for bit. The float
references compute in float64.
"""
import math
import os
import subprocess
import sys

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


# ---- quantized multipliers and rounding -----------------------------------

def c_round(v):
    """C round(): half away from zero, exact for doubles."""
    a = abs(v)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return int(math.copysign(r, v)) if r else 0


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier (with the shift clamps to [-31, 30])."""
    if not real > 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = c_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return q_fixed, shift


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int64 arrays holding int32 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    q = np.sign(s) * (np.abs(s) // (1 << 31))  # C division: toward zero
    return np.where((a == b) & (a == INT32_MIN), INT32_MAX, q).astype(np.int64)


def rdbypot(x, exponent):
    """RoundingDivideByPOT: round half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def mbqm(x, mult, shift):
    """MultiplyByQuantizedMultiplier; a left shift saturates to int32."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    v = np.clip(x * (np.int64(1) << left), INT32_MIN, INT32_MAX)
    return rdbypot(srdhm(v, mult), right)


def quantize_value(v, scale, zp):
    r = zp + c_round(v / float(scale))
    return max(-128, min(127, r))


def act_range(act, scale, zp):
    lo, hi = -128, 127
    if act in ("relu", "relu6"):
        lo = max(lo, quantize_value(0.0, scale, zp))
    if act == "relu6":
        hi = min(hi, quantize_value(6.0, scale, zp))
    return lo, hi


def f32(v):
    """The float32 value of v as a Python float (a double)."""
    return float(np.float32(v))


def requant_out(acc, mult, shift, zp, lo, hi, axis_shape=None):
    return np.clip(zp + mbqm(acc, mult, shift), lo, hi).astype(np.int8)


# ---- choosing quantization parameters --------------------------------------

def choose_quant(lo, hi):
    """Asymmetric int8 quantization covering [lo, hi] (and 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = f32((hi - lo) / 255.0) if hi > lo else 1.0
    zp = int(max(-128, min(127, round(-128 - lo / scale))))
    return scale, zp


def quantize(x, scale, zp):
    return np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)


def dequantize(q, scale, zp):
    return (q.astype(np.float64) - zp) * scale


def quantize_weights(w):
    """Symmetric per output channel (axis 0), values in [-127, 127]."""
    m = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    sw = np.where(m > 0, m / 127.0, 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (w.ndim - 1)
    wq = np.clip(np.round(w / sw.reshape(shape)), -127, 127).astype(np.int8)
    return wq, sw


# ---- float / integer references --------------------------------------------

def conv2d(x, w, b, stride, pad, dilation, groups, dtype):
    """Direct conv over zero-padded input; x already has its zero point
    removed for int8 (dtype int64), or is float (dtype float64)."""
    n, cin, h, wd = x.shape
    cout, cig, kh, kw = w.shape
    pt, pl, pb, pr = pad
    sh, sw = stride
    dh, dw = dilation
    xp = np.pad(x.astype(dtype), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, cout, oh, ow), dtype=dtype)
    cog = cout // groups
    wt = w.astype(dtype)
    for g in range(groups):
        xg = xp[:, g * cig:(g + 1) * cig]
        wg = wt[g * cog:(g + 1) * cog]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dh, kx * dw
                patch = xg[:, :, y0:y0 + sh * (oh - 1) + 1:sh,
                           x0:x0 + sw * (ow - 1) + 1:sw]
                out[:, g * cog:(g + 1) * cog] += np.einsum(
                    "ncij,oc->noij", patch, wg[:, :, ky, kx])
    if b is not None:
        out += b.astype(dtype).reshape(1, -1, 1, 1)
    return out


def act_f(v, act):
    if act == "relu":
        return np.maximum(v, 0)
    if act == "relu6":
        return np.clip(v, 0, 6)
    return v


def pool_windows(h, w, k, stride, pad):
    """Yields (oy, ox, y0, y1, x0, x1) windows clipped to the image."""
    kh, kw = k
    pt, pl, pb, pr = pad
    oh = (h + pt + pb - kh) // stride[0] + 1
    ow = (w + pl + pr - kw) // stride[1] + 1
    for oy in range(oh):
        for ox in range(ow):
            ys, xs = oy * stride[0] - pt, ox * stride[1] - pl
            yield oy, ox, max(ys, 0), min(ys + kh, h), max(xs, 0), min(xs + kw, w)


def pool(x, k, stride, pad, kind, dtype):
    n, c, h, w = x.shape
    wins = list(pool_windows(h, w, k, stride, pad))
    oh = wins[-1][0] + 1
    ow = wins[-1][1] + 1
    out = np.zeros((n, c, oh, ow), dtype=dtype)
    for oy, ox, y0, y1, x0, x1 in wins:
        win = x[:, :, y0:y1, x0:x1].astype(np.float64 if dtype != np.int8 else np.int64)
        if kind == "max":
            out[:, :, oy, ox] = win.max(axis=(2, 3))
        elif dtype == np.int8:
            s = win.sum(axis=(2, 3))
            cnt = (y1 - y0) * (x1 - x0)
            # (s + cnt/2) / cnt or (s - cnt/2) / cnt, C division toward zero
            num = np.where(s > 0, s + cnt // 2, s - cnt // 2)
            out[:, :, oy, ox] = np.sign(num) * (np.abs(num) // cnt)
        else:
            out[:, :, oy, ox] = win.mean(axis=(2, 3))
    return out


# ---- gemmlowp fixed point (Python integers, int32 semantics) ---------------

def _srdhm(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    s = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    q = abs(s) // (1 << 31)
    return q if s >= 0 else -q


def _rdbypot(x, e):
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


def _mbqm(x, m, shift):
    if shift > 0:
        v = max(INT32_MIN, min(INT32_MAX, x * (1 << shift)))
        return _srdhm(v, m)
    return _rdbypot(_srdhm(x, m), -shift)


def _mul_pot(x, e):
    if e > 0:
        t = (1 << (31 - e)) - 1
        if x > t:
            return INT32_MAX
        if x < -t:
            return INT32_MIN
        return x << e
    if e < 0:
        return _rdbypot(x, -e)
    return x


def _exp_m14_0(a):
    const_term, one_third = 1895147668, 715827883
    x = a + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_4 = _mul_pot(x4, -2)
    poly = _mul_pot(_srdhm(x4_4 + x3, one_third) + x2, -1)
    return const_term + _srdhm(const_term, x + poly)


def exp_on_negative_values(a, ibits):
    frac = 31 - ibits
    quarter = 1 << (frac - 2)
    amq = (a & (quarter - 1)) - quarter
    result = _exp_m14_0(_mul_pot(amq, ibits))
    rem = amq - a
    mults = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308,
             2: 39332535, 3: 720401, 4: 242}
    for e in range(-2, 5):
        if ibits > e and rem & (1 << (frac + e)):
            result = _srdhm(result, mults[e])
    if ibits > 5 and a < -(1 << (36 - ibits)):
        result = 0
    if a == 0:
        result = INT32_MAX
    return result


def one_over_one_plus_x(a):
    s = a + INT32_MAX
    half_den = (s + 1) // 2 if s >= 0 else -((-s + 1) // 2)
    x = 1515870810 + _srdhm(half_den, -1010580540)
    for _ in range(3):
        hx = _srdhm(half_den, x)
        x = x + _mul_pot(_srdhm(x, (1 << 29) - hx), 2)
    return _mul_pot(x >> 1, 2)


def logistic(a, ibits):
    if a == 0:
        return 1 << 30
    pos = one_over_one_plus_x(exp_on_negative_values(-abs(a), ibits))
    return pos if a > 0 else INT32_MAX - pos


def input_radius(ibits, left_shift):
    return int(math.floor(((1 << ibits) - 1) * (1 << (31 - ibits)) / (1 << left_shift)))


def sigmoid_s8(x, in_scale, in_zp):
    m, shift = quantize_multiplier(f32(in_scale) * (1 << 27))
    shift = max(shift, 0)
    radius = input_radius(4, shift)
    lut = {}
    for q in range(-128, 128):
        v = q - in_zp
        if v <= -radius:
            lut[q] = -128
        elif v >= radius:
            lut[q] = 127
        else:
            y = _rdbypot(logistic(_mbqm(v, m, shift), 4), 23) - 128
            lut[q] = max(-128, min(127, y))
    return np.vectorize(lambda q: lut[int(q)], otypes=[np.int8])(x)


def softmax_s8(x, in_scale, beta=1.0):
    m, shift = quantize_multiplier(min(beta * f32(in_scale) * (1 << 26), float(INT32_MAX)))
    shift = max(shift, 0)
    diff_min = -input_radius(5, shift)
    rows = x.reshape(-1, x.shape[-1]).astype(np.int64)
    out = np.zeros(rows.shape, dtype=np.int8)
    for i, row in enumerate(rows):
        mx = int(row.max())
        exps = []
        for v in row:
            d = int(v) - mx
            exps.append(exp_on_negative_values(_mbqm(d, m, shift), 5) if d >= diff_min else None)
        total = sum(_rdbypot(e, 12) for e in exps if e is not None)
        clz = 32 - total.bit_length()
        nbits = 12 - clz
        shifted = ((total << clz) - (1 << 31)) & 0xFFFFFFFF
        if shifted >= 1 << 31:
            shifted -= 1 << 32
        scale = one_over_one_plus_x(shifted)
        for c, e in enumerate(exps):
            if e is None:
                out[i, c] = -128
            else:
                u = _rdbypot(_srdhm(scale, e), nbits + 31 - 8) - 128
                out[i, c] = max(-128, min(127, u))
    return out.reshape(x.shape)


# ---- running the harness ---------------------------------------------------

class Harness:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.count = 0

    def run(self, kernel_name, inputs, **args):
        """Writes inputs as .npy (text for names ending in .txt, bytes as
        they are under their name), runs the harness, returns out.npy."""
        self.count += 1
        kernel = kernel_name
        d = os.path.join(self.workdir, "%s_%d" % (kernel, self.count))
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        for name, arr in inputs.items():
            if name.endswith(".txt"):
                with open(os.path.join(d, name), "w") as f:
                    f.write(arr)
            elif isinstance(arr, bytes):  # raw bytes, written as they are
                with open(os.path.join(d, name), "wb") as f:
                    f.write(arr)
            else:
                np.save(os.path.join(d, name + ".npy"), arr)
        argv = [self.exe, kernel, d]
        for k, v in args.items():
            if isinstance(v, (list, tuple)):
                v = ",".join(fmt(e) for e in v)
            else:
                v = fmt(v)
            argv.append("%s=%s" % (k, v))
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            raise SystemExit("FAIL: harness exited with %d: %s" % (r.returncode, " ".join(argv)))
        return np.load(os.path.join(d, "out.npy"))


def fmt(v):
    if isinstance(v, (float, np.floating)):
        return repr(float(v))  # exact round trip of the (float32) value
    return str(v)
