"""Checks that NAME.report.json states the memory NAME.h does:
workspace_bytes == NAME_WORKSPACE_SIZE, and for a cpu network the header
comment's memory plan and scratch == activation_bytes and scratch_bytes.
Prints the figures; exits 1 on a mismatch."""
import json
import re
import sys

header, report = sys.argv[1], sys.argv[2]
h = open(header).read()
r = json.load(open(report))
ws = re.search(r"#define \w+_WORKSPACE_SIZE (\d+)u", h)
if not ws:
    sys.exit("no _WORKSPACE_SIZE in " + header)
ws = int(ws.group(1))
bad = []
if r["workspace_bytes"] != ws:
    bad.append("workspace_bytes %d != WORKSPACE_SIZE %d" % (r["workspace_bytes"], ws))
parts = re.search(r"static memory plan \((\d+)\) plus\s*\n \* kernel scratch \((\d+)\)", h)
if parts:
    plan, scratch = int(parts.group(1)), int(parts.group(2))
    if r["activation_bytes"] != plan:
        bad.append("activation_bytes %d != plan %d" % (r["activation_bytes"], plan))
    if r["scratch_bytes"] != scratch:
        bad.append("scratch_bytes %d != scratch %d" % (r["scratch_bytes"], scratch))
    if plan + scratch != ws:
        bad.append("plan %d + scratch %d != WORKSPACE_SIZE %d" % (plan, scratch, ws))
if r["activation_bytes"] % 16 or r["activation_bytes"] > ws:
    bad.append("activation_bytes %d: not 16-aligned or above the workspace" % r["activation_bytes"])
print("workspace %d activations %d scratch %d" % (ws, r["activation_bytes"], r["scratch_bytes"]))
for b in bad:
    print("MISMATCH: " + b)
sys.exit(1 if bad else 0)
