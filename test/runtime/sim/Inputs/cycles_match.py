"""cycles_match.py TARGET COMPILE_REPORT RUN_REPORT: the cycles a simulator
counted in a run (spx-run --report) against the compile report's estimate for
the same stream: layer by layer (by name) and in total. Prints one line per
layer and 'match: N layers, C cycles' or exits 1 at the first difference."""
import json
import sys

target, compile_path, run_path = sys.argv[1:4]
design = {"bitserial": "bbs", "lpa": "lpa"}.get(target)
comp = json.load(open(compile_path))
run = json.load(open(run_path))

estimate = {}
for layer in comp["layers"]:
    t = layer.get(target)
    if t is None:
        continue
    if "cycles" in t:  # aie
        estimate[layer["name"]] = t["cycles"]
    elif isinstance(t["latency_cycles"], dict):  # bitserial, lpa: per design
        estimate[layer["name"]] = t["latency_cycles"][design]
    else:  # xbar
        estimate[layer["name"]] = t["latency_cycles"]

counted = {l["name"]: l["cycles"] for l in run["layers"] if "cycles" in l}
if set(counted) != set(estimate):
    print("layers differ: run %s, compile %s" % (sorted(counted), sorted(estimate)))
    sys.exit(1)
for name in sorted(estimate):
    if counted[name] != estimate[name]:
        print("%s: run %d cycles, compile report %d" % (name, counted[name], estimate[name]))
        sys.exit(1)
total = sum(estimate.values())
if run.get("cycles") != total:
    print("total: run %s, compile report %d" % (run.get("cycles"), total))
    sys.exit(1)
for l in run["layers"]:
    if "utilization" in l and not 0 < l["utilization"] <= 1:
        print("%s: utilization %s outside (0, 1]" % (l["name"], l["utilization"]))
        sys.exit(1)
print("match: %d layers, %d cycles" % (len(estimate), total))
