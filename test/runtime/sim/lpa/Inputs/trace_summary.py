# Summarises an lpa trace against its report: trace_summary.py T R
import json, sys

t = json.load(open(sys.argv[1]))["traceEvents"]
r = json.load(open(sys.argv[2]))
clock = r["lpa"]["machine"]["clock_mhz"]
names = [e["args"]["name"] for e in t if e["ph"] == "M"]
print("tracks %d: %s .. %s, %s" % (len(names), names[0], names[-3], ", ".join(names[-2:])))
layers = [e for e in t if e["ph"] == "X" and e["tid"] == 1001]
want = [l["lpa"]["latency_cycles"]["lpa"] for l in r["layers"]]
got = [round(e["dur"] * clock) for e in layers]
print("layer slices %d, layer cycles equal the report's: %s" % (len(layers),
      "yes" if got == want else "no: %s vs %s" % (got, want)))
want8 = [l["lpa"]["latency_cycles"]["int8"] for l in r["layers"]]
got8 = [e["args"]["int8_latency_cycles"] for e in layers]
print("int8 cycles equal the report's: %s" % ("yes" if got8 == want8 else
                                             "no: %s vs %s" % (got8, want8)))
print("modes: %s" % " ".join(e["args"]["mode"] for e in layers))
rows = {}
for e in t:
    if e["ph"] == "X" and e["tid"] < 1000:
        rows[e["name"]] = rows.get(e["name"], 0) + 1
print("PE row slices by layer: %s" % " ".join("%s=%d" % kv for kv in rows.items()))
