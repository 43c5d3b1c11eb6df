"""Compares a posit code book with the LP one of the same n, es (rs = n-1,
sf = 0): per code the same floor(log2|v|), and equal values where the posit
value is a power of two (fraction 0). Prints the counts; exits 1 if any
code disagrees."""
import math
import sys


def book(path):
    return [(int(c, 16), float(v)) for c, v in (l.split("\t") for l in open(path))]


p, l = book(sys.argv[1]), book(sys.argv[2])
assert [c for c, _ in p] == [c for c, _ in l]
scale = exact = bad = 0
for (c, pv), (_, lv) in zip(p, l):
    if pv == 0 or math.isnan(pv):
        bad += not (lv == pv or (math.isnan(lv) and math.isnan(pv)))
        continue
    same = math.floor(math.log2(abs(pv))) == math.floor(math.log2(abs(lv)))
    scale += same
    bad += not same
    if math.frexp(abs(pv))[0] == 0.5:  # a power of two: fraction 0
        exact += pv == lv
        bad += pv != lv
print("%d codes: same scale %d, same value at fraction 0: %d" % (len(p), scale, exact))
sys.exit(1 if bad else 0)
