"""Compares `spx-quant --codebook SPEC` with posit_ref.py for every code.

usage: check_codebook.py SPX_QUANT SPEC...   (prints one line per SPEC)"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posit_ref  # noqa: E402


def main():
    tool, specs = sys.argv[1], sys.argv[2:]
    bad = 0
    for spec in specs:
        got = subprocess.run([tool, "--codebook", spec], check=True, capture_output=True,
                             text=True).stdout.splitlines()
        want = posit_ref.codebook_lines(posit_ref.parse_spec(spec))
        diff = [i for i in range(max(len(got), len(want)))
                if i >= len(got) or i >= len(want) or got[i] != want[i]]
        if diff:
            bad += 1
            i = diff[0]
            print("%s: %d of %d codes differ, first: got %r, want %r" % (
                spec, len(diff), len(want), got[i] if i < len(got) else None,
                want[i] if i < len(want) else None))
        else:
            print("%s: %d codes ok" % (spec, len(want)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
