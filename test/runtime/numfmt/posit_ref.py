"""An independent reference for posit<n, es> and LP<n, es, rs, sf>, written
from the definitions in docs/number-formats.md with exact arithmetic
(fractions.Fraction; LP values are 2^t for a rational t, compared exactly
through integer powers). It shares no code with runtime/formats/posit.c:
codes are decoded as bit strings, and values are encoded by the standard's
rule - find the neighbouring codes u <= |x| < w by value, and compare |x|
with the value of the (n+1)-bit code u.1 (u with a 1 appended) - instead
of the C's bit-string writer with guard and sticky bits.

Standard library only (fractions, decimal, math)."""

import math
import re
from decimal import Decimal, getcontext
from fractions import Fraction


class Fmt:
    def __init__(self, kind, n, es, rs=None, sf=0):
        self.kind, self.n, self.es = kind, n, es
        self.rs = n - 1 if rs is None else rs
        self.sf = sf

    def wider(self):
        """The (n+1)-bit format whose code u.1 is the rounding midpoint:
        posit<n+1, es> (its regime uncapped), LP<n+1, es, rs, sf>."""
        if self.kind == "posit":
            return Fmt("posit", self.n + 1, self.es)
        return Fmt("lp", self.n + 1, self.es, self.rs, self.sf)


def parse_spec(spec):
    m = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", spec)
    kind, args = m.group(1), m.group(2) or ""
    kv = {}
    for part in filter(None, (p.strip() for p in args.split(","))):
        k, v = part.split("=")
        kv[k.strip()] = int(v)
    if kind == "posit":
        return Fmt("posit", kv["n"], kv["es"])
    assert kind == "lp"
    return Fmt("lp", kv["n"], kv["es"], kv["rs"], kv["sf"])


ZERO, NAR = "zero", "nar"


def fields(fmt, code):
    """(sign, k, e, f, fb) of a code, or ZERO / NAR, read as a string."""
    n = fmt.n
    code %= 1 << n
    if code == 0:
        return ZERO
    if code == 1 << (n - 1):
        return NAR
    sign = code >> (n - 1)
    if sign:
        code = (1 << n) - code
    body = format(code, "0%db" % n)[1:]
    r = body[0]
    m = 0
    while m < len(body) and m < fmt.rs and body[m] == r:
        m += 1
    i = m
    if m < fmt.rs and i < len(body):
        i += 1  # terminator
    k = m - 1 if r == "1" else -m
    ebits = body[i:i + fmt.es]
    e = int((ebits + "0" * (fmt.es - len(ebits))) or "0", 2)
    fbits = body[i + len(ebits):]
    f = int(fbits or "0", 2)
    return sign, k, e, f, len(fbits)


class Val:
    """An exact positive value: a Fraction (posit), or 2^t (LP, t a
    Fraction)."""

    def __init__(self, frac=None, log=None):
        self.frac, self.log = frac, log


def magnitude(fmt, code):
    """Val of |value(code)| for a finite non-zero code, and its sign."""
    sign, k, e, f, fb = fields(fmt, code)
    scale = (1 << fmt.es) * k + e
    if fmt.kind == "posit":
        return sign, Val(frac=Fraction(2) ** scale * (1 + Fraction(f, 1 << fb)))
    return sign, Val(log=Fraction(scale - fmt.sf) + Fraction(f, 1 << fb))


def log2_approx(q):
    """log2 of a positive Fraction, as a float, for any size."""
    a, b = q.numerator, q.denominator
    sa, sb = max(a.bit_length() - 60, 0), max(b.bit_length() - 60, 0)
    return math.log2(a >> sa) + sa - math.log2(b >> sb) - sb


def cmp_frac_pow2(x, t):
    """Sign of x - 2^t, exactly (x a positive Fraction, t a Fraction)."""
    d = log2_approx(x) - float(t)
    if abs(d) > 1e-9:
        return 1 if d > 0 else -1
    # x = a / b, t = p / q: compare a^q with 2^p * b^q.
    a, b, p, q = x.numerator, x.denominator, t.numerator, t.denominator
    lhs, rhs = a ** q, b ** q
    if p >= 0:
        rhs <<= p
    else:
        lhs <<= -p
    return (lhs > rhs) - (lhs < rhs)


def cmp_val(x, v):
    """Sign of x - v, x a positive Fraction, v a Val."""
    if v.frac is not None:
        return (x > v.frac) - (x < v.frac)
    return cmp_frac_pow2(x, v.log)


_exp2_cache = {}


def _exp2_frac(fr):
    """2^fr for a Fraction 0 <= fr < 1, to 60 digits, as a Fraction."""
    if fr not in _exp2_cache:
        getcontext().prec = 60
        dec = (Decimal(2).ln() * Decimal(fr.numerator) / Decimal(fr.denominator)).exp()
        _exp2_cache[fr] = Fraction(dec)
    return _exp2_cache[fr]


def to_double(v):
    """The nearest double to a Val (exact for posits; LP through a 60-digit
    decimal value, checked to be far from a tie between doubles)."""
    if v.frac is not None:
        return float(v.frac)
    t = v.log
    ip = math.floor(t)
    exact = _exp2_frac(t - ip) * Fraction(2) ** ip
    d = float(exact)
    # Check that the 60-digit value decides the rounding.
    lo, hi = math.nextafter(d, 0), math.nextafter(d, math.inf)
    for nb in (lo, hi):
        mid = (Fraction(d) + Fraction(nb)) / 2
        assert abs(exact - mid) > exact * Fraction(1, 10 ** 50), "too close to a tie"
    return d


def direction(v):
    """Sign of an LP value 2^t minus its nearest double, from the 60-digit
    value (checked to be decisive)."""
    t = v.log
    ip = math.floor(t)
    exact = _exp2_frac(t - ip) * Fraction(2) ** ip
    d = Fraction(to_double(v))
    if t == ip:
        return 0
    assert abs(exact - d) > exact * Fraction(1, 10 ** 50), "too close to a double"
    return 1 if exact > d else -1


def decode(fmt, code):
    fl = fields(fmt, code)
    if fl == ZERO:
        return 0.0
    if fl == NAR:
        return math.nan
    sign, v = magnitude(fmt, code)
    d = to_double(v)
    return -d if sign else d


def codebook_lines(fmt):
    width = (fmt.n + 3) // 4
    out = []
    for c in range(1 << fmt.n):
        v = decode(fmt, c)
        out.append("0x%0*x\t%s" % (width, c, "nan" if math.isnan(v) else "%.17g" % v))
    return out


def encode(fmt, x):
    """The code of a float x by the standard's rule (see the module doc)."""
    n = fmt.n
    if math.isnan(x) or math.isinf(x):
        return 1 << (n - 1)
    if x == 0:
        return 0
    a = Fraction(abs(x))
    top = (1 << (n - 1)) - 1  # maxpos
    # Largest positive code u with value(u) <= a (0: none).
    lo, hi = 0, top
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cmp_val(a, magnitude(fmt, mid)[1]) >= 0:
            lo = mid
        else:
            hi = mid - 1
    u = lo
    if u == 0:
        c = 1  # below minpos: minpos
    elif u == top or cmp_val(a, magnitude(fmt, u)[1]) == 0:
        c = u  # at or above maxpos, or exact
    else:
        w = u + 1
        s = cmp_val(a, magnitude(fmt.wider(), (u << 1) | 1)[1])
        c = u if s < 0 else w if s > 0 else (u if u % 2 == 0 else w)
    return (1 << n) - c if x < 0 else c


def log_table(fmt):
    """log2|value| * 2^F per code (F = max(0, n - 1 - min(2, rs) - es)),
    None for zero and NaR."""
    F = max(0, fmt.n - 1 - min(2, fmt.rs) - fmt.es)
    out = []
    for c in range(1 << fmt.n):
        fl = fields(fmt, c)
        if fl in (ZERO, NAR):
            out.append(fl)
            continue
        sign, k, e, f, fb = fl
        t = Fraction((1 << fmt.es) * k + e - fmt.sf) + Fraction(f, 1 << fb)
        out.append(int(t * (1 << F)))
    return out
