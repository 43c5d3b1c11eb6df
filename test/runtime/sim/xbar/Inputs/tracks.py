"""Summarises an xbar Chrome trace: its named tracks and, per layer, the
slices on the array tracks (tid < 1000). usage: tracks.py TRACE.json"""
import json
import sys

t = json.load(open(sys.argv[1]))["traceEvents"]
names = [e["args"]["name"] for e in t if e["ph"] == "M"]
print("tracks %d: %s .. %s, %s" % (len(names), names[0], names[-3], ", ".join(names[-2:])))
rows = {}
for e in t:
    if e["ph"] == "X" and e["tid"] < 1000:
        rows[e["name"]] = rows.get(e["name"], 0) + 1
print("array slices by layer: %s" % " ".join("%s=%d" % kv for kv in rows.items()))
