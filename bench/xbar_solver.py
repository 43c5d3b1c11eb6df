#!/usr/bin/python3
"""Time of the crossbar network's exact solve (runtime/targets/xbar/
solver.c, block elimination) on random arrays.

    /usr/bin/python3 bench/xbar_solver.py BUILD_DIR [SIZES] [R_WIRE]

SIZES (default 64,128,256): square R x R arrays, cells on with probability
1/2 (seeded); R_WIRE ohms (default 1). The other parameters are the xbar
defaults (8T-SRAM: r_on 20 kOhm, r_off 7 GOhm; r_drv = r_sink = 10 Ohm).
Every row driven (the whole transfer matrix). Prints the wall time of
`spx-xbar-test transfer` (process and printing included).

The k-sweep line-SOR fast model this solve replaced was measured with an
earlier version of this script (git log bench/xbar_solver.py);
docs/targets.md, "xbar", has its numbers."""
import os
import subprocess
import sys
import time

import numpy as np


def main():
    build = sys.argv[1]
    sizes = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "64,128,256").split(",")]
    r_wire = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    tool = os.path.join(build, "bin", "spx-xbar-test")
    rng = np.random.default_rng(1)
    print("| array | r_wire (ohm) | exact solve (s) |")
    print("|---|---|---|")
    for R in sizes:
        on = rng.random((R, R)) < 0.5
        cells = "".join("1" if x else "0" for x in on.reshape(-1))
        t0 = time.perf_counter()
        subprocess.run([tool, "transfer", str(R), str(R), "20000", "7e9", repr(r_wire), "10",
                        "10", cells], check=True, capture_output=True)
        print("| %dx%d | %g | %.2f |" % (R, R, r_wire, time.perf_counter() - t0), flush=True)


main()
