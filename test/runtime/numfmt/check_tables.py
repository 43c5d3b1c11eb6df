"""Checks spx-numfmt-test against posit_ref.py.

  check_tables.py exp2 TOOL G       every 2^(j / 2^G): the nearest double
                                    and the side of it the exact value is on
  check_tables.py logtable TOOL SPEC...  the fixed-point log table of LP"""
import os
import subprocess
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posit_ref as ref  # noqa: E402


def run(*args):
    return subprocess.run(list(args), check=True, capture_output=True,
                          text=True).stdout.splitlines()


def main():
    mode, tool = sys.argv[1], sys.argv[2]
    bad = 0
    if mode == "exp2":
        g = int(sys.argv[3])
        lines = run(tool, "exp2", str(g))
        for j, line in enumerate(lines):
            hexv, d = line.split()
            v = ref.Val(log=Fraction(j, 1 << g))
            want = ref.to_double(v)
            want_dir = 0 if j == 0 else ref.direction(v)
            if float.fromhex(hexv) != want or int(d) != want_dir:
                bad += 1
                if bad < 5:
                    print("j=%d: got %s %s, want %s %d" % (j, hexv, d, want.hex(), want_dir))
        print("exp2 g=%d: %d of %d differ" % (g, bad, len(lines)))
    else:
        for spec in sys.argv[3:]:
            fmt = ref.parse_spec(spec)
            lines = run(tool, "logtable", spec)
            want = ref.log_table(fmt)
            F = max(0, fmt.n - 1 - min(2, fmt.rs) - fmt.es)
            errs = 0 if lines[0] == "F=%d" % F else 1
            for c, line in enumerate(lines[1:]):
                w = want[c]
                last = line.split()[-1]
                if (w in (ref.ZERO, ref.NAR) and last != w) or (
                        w not in (ref.ZERO, ref.NAR) and last != str(w)):
                    errs += 1
            bad += errs
            print("%s: log table F=%d, %d of %d differ" % (spec, F, errs, len(want)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
