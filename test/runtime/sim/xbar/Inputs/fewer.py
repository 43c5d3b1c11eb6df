"""Compares two xbar run reports (spx-run --report) of the same model: per
array layer, whether the second has fewer conducting cells on driven rows
(the partial-sum measure), the same number of reads and runs.

usage: fewer.py BASE.json FLIPS.json"""
import json
import sys

a = [l for l in json.load(open(sys.argv[1]))["target"]["layers"] if l["unit"] == "arrays"]
b = [l for l in json.load(open(sys.argv[2]))["target"]["layers"] if l["unit"] == "arrays"]
assert [l["index"] for l in a] == [l["index"] for l in b]
for x, y in zip(a, b):
    print("layer %d: runs %s, reads %s, conducting cells %s" % (
        x["index"], "same" if x["runs"] == y["runs"] else "differ",
        "same" if x["reads"] == y["reads"] else "differ",
        "fewer" if y["conducting_cells"] < x["conducting_cells"] else "NOT fewer"))
