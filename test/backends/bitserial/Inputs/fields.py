# Prints selected fields of a report as "layer key design value" lines for
# FileCheck: python3 fields.py REPORT.json
import json, sys

r = json.load(open(sys.argv[1]))
for l in r["layers"]:
    b = l["bitserial"]
    print("layer", l["name"], l["op"], b["unit"])
    if "tiles" in b:
        t = b["tiles"]
        print("  tiles m=%d k=%d p=%d count=%d groups=%d group_size=%d passes=%d blocks=%d"
              % (t["m"], t["k"], t["p"], t["count"], b["groups"], b["group_size"],
                 b["col_passes"], b["row_blocks"]))
    for key in ("compute_cycles", "dram_bytes", "dram_cycles", "latency_cycles"):
        print("  %s %s" % (key, " ".join("%s=%d" % kv for kv in b[key].items())))
    print("  bound %s speedup %s" % (b["bound"], " ".join("%s=%.4f" % kv for kv in b["speedup"].items())))
t = r["bitserial"]
print("total latency %s" % " ".join("%s=%d" % kv for kv in t["latency_cycles"].items()))
print("total speedup %s" % " ".join("%s=%.4f" % kv for kv in t["speedup"].items()))
print("machine %s" % " ".join("%s=%d" % kv for kv in t["machine"].items()))
