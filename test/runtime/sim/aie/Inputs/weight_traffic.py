# weight_traffic.py TERNARY.report.json INT8.report.json: the aie weight
# traffic (DDR -> memory tile and memory tile -> tile bytes, from the
# reports' "aie" objects) of a ternary build against the int8 build of the
# same network, per array layer and in total. Prints one line per layer
# ("name: ddr R, memtile R" with R = int8 bytes / ternary bytes, or
# "int8" when the layer kept int8 weights) and the totals.
import json, sys
t, d = (json.load(open(p)) for p in sys.argv[1:3])
dl = {l["name"]: l for l in d["layers"]}
for l in t["layers"]:
    a = l.get("aie", {})
    if a.get("mode") != "array":
        continue
    b = dl[l["name"]]["aie"]
    if l.get("encoding") != "ternary":
        print("%s: int8" % l["name"])
        continue
    print("%s: ddr %.2f, memtile %.2f" % (l["name"],
          b["weight_ddr_bytes"] / a["weight_ddr_bytes"],
          b["weight_memtile_to_tile_bytes"] / a["weight_memtile_to_tile_bytes"]))
ta, da = t["aie"], d["aie"]
rd = da["weight_ddr_bytes"] / ta["weight_ddr_bytes"]
rm = da["weight_memtile_to_tile_bytes"] / ta["weight_memtile_to_tile_bytes"]
print("total: ddr %.2f, memtile %.2f" % (rd, rm))
print("total ddr at least 5x less: %s" % (rd >= 5.0))
print("total memtile at least 5x less: %s" % (rm >= 5.0))
