#!/usr/bin/python3
"""The crossbar network solver (runtime/targets/xbar/solver.c) on random
arrays: the exact (direct) solve's time, and the k-sweep fast model's error
against it.

    /usr/bin/python3 bench/xbar_solver.py BUILD_DIR [SIZES] [SWEEPS] [R_WIRE]

SIZES (default 64,128,256): square R x R arrays, cells on with probability
1/2 (seeded); SWEEPS (default 1,2,5,10,20): the fast model's k; R_WIRE
(ohms, default 1). The other parameters are the xbar defaults (8T-SRAM:
r_on 20 kOhm, r_off 7 GOhm; r_drv = r_sink = 10 Ohm). Every row driven.
Per size: the exact solve's wall time (spx-xbar-test transfer, process
included), then per k its time and the error of T:
  max err  = max |T_k - T| / max |T|
  mean err = mean over conducting cells of |T_k - T| / T (the entries the
             reads' currents are made of)."""
import os
import subprocess
import sys
import time

import numpy as np


def run(tool, R, cells, r_wire, sweeps):
    env = dict(os.environ)
    env.pop("SPX_XBAR_DRIVES", None)
    if sweeps:
        env["SPX_XBAR_SWEEPS"] = str(sweeps)
    else:
        env.pop("SPX_XBAR_SWEEPS", None)
    t0 = time.perf_counter()
    out = subprocess.run([tool, "transfer", str(R), str(R), "20000", "7e9", repr(r_wire), "10",
                          "10", cells], env=env, check=True, capture_output=True,
                         text=True).stdout.split("\n")
    dt = time.perf_counter() - t0
    T = np.array([[float(x) for x in line.split("=")[1].split()]
                  for line in out if line.startswith("T[")])
    return T, dt


def main():
    build = sys.argv[1]
    sizes = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "64,128,256").split(",")]
    ks = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "1,2,5,10,20").split(",")]
    r_wire = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    tool = os.path.join(build, "bin", "spx-xbar-test")
    rng = np.random.default_rng(1)
    print("| array | r_wire | solve | time (s) | max err | mean err |")
    print("|---|---|---|---|---|---|")
    for R in sizes:
        on = rng.random((R, R)) < 0.5
        cells = "".join("1" if x else "0" for x in on.reshape(-1))
        T, dt = run(tool, R, cells, r_wire, 0)
        print("| %dx%d | %g | exact | %.2f | - | - |" % (R, R, r_wire, dt), flush=True)
        mask = on.T  # T[j, i]: column j, row i; cell (i, j)
        for k in ks:
            Tk, dk = run(tool, R, cells, r_wire, k)
            d = np.abs(Tk - T)
            print("| %dx%d | %g | %d sweeps | %.2f | %.2e | %.2e |" %
                  (R, R, r_wire, k, dk, d.max() / np.abs(T).max(), np.mean(d[mask] / T[mask])),
                  flush=True)


main()
