"""Checks that the compiler's spx ops (the SPX_IR_OPS table in ir/spx_ir.h)
and the ops ir/spx.irdl.mlir defines are the same set, and that each op's
operand counts in the table fit its irdl.operands: the same maximum, and a
minimum no lower than the IRDL one (the table may be stricter: concat needs
2 inputs, its IRDL definition only 1).

usage: ops_match_irdl.py SPX_IR_H IRDL_FILE
Prints one line per op ("op NAME operands MIN..MAX") and exits 1 with a
message for every difference."""
import re
import sys


def table_ops(header):
    text = open(header).read()
    m = re.search(r"#define SPX_IR_OPS\(X\)(.*?)\n\s*\n", text, re.S)
    if not m:
        sys.exit("no SPX_IR_OPS table in %s" % header)
    consts = dict(re.findall(r"#define (SPX_\w+) (\d+)", text))
    ops = {}
    for e, name, lo, hi in re.findall(
            r'X\((\w+), "(\w+)", (\w+), (\w+),', m.group(1)):
        ops[name] = (int(consts.get(lo, lo)), int(consts.get(hi, hi)))
    return ops


def irdl_ops(path):
    text = open(path).read()
    ops = {}
    for m in re.finditer(r"irdl\.operation @(\w+) \{(.*?)\n  \}", text, re.S):
        operands = re.search(r"irdl\.operands\((.*?)\)\n", m.group(2))
        items = [o.strip() for o in operands.group(1).split(",")] if operands else []
        items = [o for o in items if o]
        lo = sum(1 for o in items if not o.startswith(("optional", "variadic")))
        hi = len(items)
        ops[m.group(1)] = (lo, hi)
    return ops


def main():
    table, irdl = table_ops(sys.argv[1]), irdl_ops(sys.argv[2])
    errors = []
    for name in sorted(set(table) - set(irdl)):
        errors.append("op '%s' is in SPX_IR_OPS but not defined in the IRDL file" % name)
    for name in sorted(set(irdl) - set(table)):
        errors.append("op '%s' is defined in the IRDL file but not in SPX_IR_OPS" % name)
    for name in sorted(set(table) & set(irdl)):
        if table[name][1] != irdl[name][1] or table[name][0] < irdl[name][0]:
            errors.append("op '%s' takes %d..%d operands in SPX_IR_OPS, %d..%d in the IRDL file"
                          % ((name,) + table[name] + irdl[name]))
        print("op %s operands %d..%d" % ((name,) + table[name]))
    for e in errors:
        print("error: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
