# Summarises a bitserial trace against its report: trace_summary.py T R
import collections, json, sys
t = json.load(open(sys.argv[1]))["traceEvents"]
r = json.load(open(sys.argv[2]))
clock = r["bitserial"]["machine"]["clock_mhz"]
names = {e["tid"]: e["args"]["name"] for e in t if e["ph"] == "M"}
tids = sorted(names)
print("tracks %d: %s .. %s, %s, %s" % (len(tids), names[tids[0]], names[tids[-3]],
                                       names[tids[-2]], names[tids[-1]]))
layers = [e for e in t if e["ph"] == "X" and e["tid"] == 1001]
want = [l["bitserial"]["latency_cycles"]["bbs"] for l in r["layers"]]
got = [round(e["dur"] * clock) for e in layers]
print("layer slices %d, layer cycles equal the report's: %s" % (len(layers), "yes" if got == want else "no %s %s" % (got, want)))
rows = collections.OrderedDict()
for e in t:
    if e["ph"] == "X" and e["tid"] < 1000:
        rows[e["name"]] = rows.get(e["name"], 0) + 1
print("PE row slices by layer: %s" % " ".join("%s=%d" % kv for kv in rows.items()))
