"""Random encode cases: spx-quant against posit_ref.py, exactly.

usage: check_encode.py SPX_QUANT TMPDIR SEED SPEC...

For each SPEC: log-uniform magnitudes across and beyond the range (both
signs), every code's value (a sample of them for 16-bit formats), the
rounding midpoints between neighbouring codes (the value of the (n+1)-bit
code u.1, as the nearest double) and the doubles just below and above them,
tiny and huge values, +-0, NaN and +-inf. They go through spx-quant as an
f64 array, and rounded to f32 as an f32 array; the codes (--codes) must be
the reference's, and the values the decoded codes (f32: rounded to f32).
Needs numpy (for .npy files)."""
import math
import os
import random
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posit_ref as ref  # noqa: E402


def cases(fmt, rng):
    n = fmt.n
    top = (1 << (n - 1)) - 1
    xs = []
    maxpos = ref.to_double(ref.magnitude(fmt, top)[1])
    minpos = ref.to_double(ref.magnitude(fmt, 1)[1])
    lo, hi = math.log2(minpos) - 8, math.log2(maxpos) + 8
    big = n > 10  # fewer cases: the exact reference is slow on 16-bit LP
    for _ in range(300 if big else 1500):
        xs.append(rng.choice((-1, 1)) * 2.0 ** rng.uniform(lo, hi))
    codes = range(1, top + 1) if n <= 10 else rng.sample(range(1, top + 1), 60)
    wider = fmt.wider()
    for c in codes:
        xs.append(ref.to_double(ref.magnitude(fmt, c)[1]))
        if c < top:
            mid = ref.to_double(ref.magnitude(wider, (c << 1) | 1)[1])
            s = rng.choice((-1, 1))
            xs += [s * mid, s * math.nextafter(mid, 0), s * math.nextafter(mid, math.inf)]
    xs += [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, -1e-300, 1e300, -1.7e308,
           minpos, -maxpos, minpos / 2, maxpos * 2, math.nextafter(minpos, 0),
           math.nextafter(maxpos, math.inf)]
    return xs


def run(tool, spec, xs, dtype, tmp):
    with np.errstate(over="ignore"):
        a = np.array(xs, dtype=dtype)  # f32: huge values become inf
    inp, out, cod = (os.path.join(tmp, "%s.npy" % w) for w in ("in", "out", "codes"))
    np.save(inp, a)
    subprocess.run([tool, spec, inp, "-o", out, "--codes", cod], check=True,
                   capture_output=True)
    return a, np.load(out), np.load(cod)


def main():
    tool, tmp, seed, specs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    os.makedirs(tmp, exist_ok=True)
    rng = random.Random(seed)
    bad = 0
    for spec in specs:
        fmt = ref.parse_spec(spec)
        xs = cases(fmt, rng)
        for dtype in (np.float64, np.float32):
            a, vals, codes = run(tool, spec, xs, dtype, tmp)
            want_dt = np.uint8 if fmt.n <= 8 else np.uint16
            errs = []
            if codes.dtype != want_dt or vals.dtype != a.dtype or vals.shape != a.shape:
                errs.append("dtype/shape: codes %s values %s %s" % (codes.dtype, vals.dtype,
                                                                    vals.shape))
            else:
                for i, x in enumerate(a.tolist()):
                    want = ref.encode(fmt, x)
                    if int(codes[i]) != want:
                        errs.append("x=%r (%s): code 0x%x, want 0x%x" % (
                            x, x.hex() if math.isfinite(x) else x, int(codes[i]), want))
                        continue
                    v = ref.decode(fmt, want)
                    v = float(np.float32(v)) if dtype == np.float32 else v
                    got = float(vals[i])
                    if not (got == v or (math.isnan(got) and math.isnan(v))):
                        errs.append("x=%r: value %r, want %r" % (x, got, v))
            name = "f64" if dtype == np.float64 else "f32"
            if errs:
                bad += 1
                print("%s %s: %d of %d differ, first: %s" % (spec, name, len(errs), len(xs),
                                                           errs[0]))
            else:
                print("%s %s: %d values ok" % (spec, name, len(xs)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
