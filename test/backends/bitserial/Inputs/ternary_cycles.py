# Compares the bitserial report of a network with ternary weights against
# the same network in plain int8 (same target options):
#   python3 ternary_cycles.py INT8.report.json TERNARY.report.json
# Per PE layer: its encoding, the bbs compute cycles of both, their ratio,
# and whether the ternary layer's group steps are the int8 layer's (so the
# ratio is 8 kept columns to 1 mask column); then the network's totals and
# whether the ternary network takes fewer cycles. Ratios, not timings.
import json, sys

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
for la, lb in zip(a["layers"], b["layers"]):
    ba, bb = la["bitserial"], lb["bitserial"]
    if ba["unit"] != "pe":
        continue
    ca, cb = ba["compute_cycles"]["bbs"], bb["compute_cycles"]["bbs"]
    print("%s %s cycles int8=%d this=%d ratio=%.3f same_groups=%s" % (
        lb["name"], lb.get("encoding", "dense"), ca, cb, ca / cb,
        "yes" if ba["groups"] == bb["groups"] else "no"))
ta, tb = a["bitserial"], b["bitserial"]
for key in ("compute_cycles", "pe_latency_cycles", "latency_cycles"):
    x, y = ta[key]["bbs"], tb[key]["bbs"]
    print("total %s ratio=%.3f fewer=%s" % (key, x / y, "yes" if y < x else "no"))
