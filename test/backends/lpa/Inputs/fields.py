# Prints selected fields of an lpa report as lines for FileCheck:
#   python3 fields.py REPORT.json
import json, sys

r = json.load(open(sys.argv[1]))
for l in r["layers"]:
    b = l["lpa"]
    print("layer", l["name"], l["op"], b["unit"])
    if b["unit"] == "pe":
        t, t8 = b["tiles"], b["int8_tiles"]
        print("  mode %s w=%s a=%s pairs=%d macs=%d" % (b["mode"], b["weight_format"],
                                                       b["act_format"], b["pairs"], b["macs"]))
        print("  tiles m=%d k=%d p=%d count=%d int8 m=%d k=%d p=%d count=%d" %
              (t["m"], t["k"], t["p"], t["count"], t8["m"], t8["k"], t8["p"], t8["count"]))
        print("  blocks=%d passes=%d k_steps=%d" % (b["row_blocks"], b["col_passes"],
                                                    b["k_steps"]))
    for key in ("compute_cycles", "dram_bytes", "dram_cycles", "latency_cycles"):
        print("  %s %s" % (key, " ".join("%s=%d" % kv for kv in b[key].items())))
    print("  bound %s ratio %.4f" % (b["bound"], b["ratio"]))
t = r["lpa"]
print("total latency %s" % " ".join("%s=%d" % kv for kv in t["latency_cycles"].items()))
print("total pe_compute %s" % " ".join("%s=%d" % kv for kv in t["pe_compute_cycles"].items()))
print("total ratio %.4f pe_ratio %.4f pe_compute_ratio %.4f" % (t["ratio"], t["pe_ratio"],
                                                                t["pe_compute_ratio"]))
print("machine %s" % " ".join("%s=%d" % kv for kv in t["machine"].items()))
