"""Independent check of the crossbar solver: builds the full nodal
conductance matrix of the network described in runtime/targets/xbar/solver.h
(2*R*C unknowns: row nodes, then column nodes), solves it with
np.linalg.solve for a unit drive on each row, and compares the column sink
currents with `spx-xbar-test transfer` on random arrays: square and
rectangular, every row driven or only the first half (SPX_XBAR_DRIVES, as
the simulator asks for a tile's rows).

usage: solver_ref.py SPX_XBAR_TEST CASES SEED
Prints one line per case and the worst relative error max|T - T_ref| /
max|T_ref|; exits 1 if it exceeds 1e-9."""
import os
import subprocess
import sys

import numpy as np


def reference(R, C, on, r_on, r_off, r_w, r_d, r_s):
    N = 2 * R * C
    G = np.zeros((N, N))
    row = lambda i, j: i * C + j
    col = lambda i, j: R * C + i * C + j

    def link(a, b, g):
        G[a, a] += g
        G[b, b] += g
        G[a, b] -= g
        G[b, a] -= g

    for i in range(R):
        for j in range(C):
            link(row(i, j), col(i, j), 1.0 / (r_on if on[i, j] else r_off))
            if j + 1 < C:
                link(row(i, j), row(i, j + 1), 1.0 / r_w)
            if i + 1 < R:
                link(col(i, j), col(i + 1, j), 1.0 / r_w)
    for i in range(R):  # drivers: to the source, a current term in b
        G[row(i, 0), row(i, 0)] += 1.0 / r_d
    for j in range(C):  # sinks to ground
        G[col(R - 1, j), col(R - 1, j)] += 1.0 / r_s
    T = np.zeros((C, R))
    for i in range(R):
        b = np.zeros(N)
        b[row(i, 0)] = 1.0 / r_d  # 1 V source through r_d
        v = np.linalg.solve(G, b)
        for j in range(C):
            T[j, i] = v[col(R - 1, j)] / r_s
    return T


def main():
    tool, cases, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for k in range(cases):
        R, C = [(16, 16), (12, 20), (20, 12)][k % 3]
        drives = R if k % 2 == 0 else R // 2
        on = rng.random((R, C)) < 0.5
        # From gentle to harsh wires (the solver's convergence slows as the
        # wires grow against the cells).
        r_on = float(rng.choice([5e3, 20e3, 100e3]))
        r_off = r_on * float(rng.choice([10.0, 100.0, 1e4]))
        r_w = float(rng.choice([0.5, 5.0, 50.0, 500.0]))
        r_d = float(rng.choice([10.0, 200.0, 2000.0]))
        r_s = float(rng.choice([10.0, 200.0, 2000.0]))
        cells = "".join("1" if x else "0" for x in on.reshape(-1))
        out = subprocess.run([tool, "transfer", str(R), str(C), repr(r_on), repr(r_off),
                              repr(r_w), repr(r_d), repr(r_s), cells],
                             env=dict(os.environ, SPX_XBAR_DRIVES=str(drives)),
                             check=True, capture_output=True, text=True).stdout.split("\n")
        T = np.array([[float(x) for x in line.split("=")[1].split()]
                      for line in out if line.startswith("T[")])
        ref = reference(R, C, on, r_on, r_off, r_w, r_d, r_s)[:, :drives]
        assert T.shape == ref.shape, (T.shape, ref.shape)
        err = float(np.max(np.abs(T - ref)) / np.max(np.abs(ref)))
        worst = max(worst, err)
        print("case %d: %dx%d, %d drives, r_on %g r_off %g r_wire %g r_drv %g r_sink %g: "
              "rel err %.1e" % (k, R, C, drives, r_on, r_off, r_w, r_d, r_s, err))
    print("%d cases, worst relative error %s 1e-9" % (cases, "<=" if worst <= 1e-9 else ">"))
    return 0 if worst <= 1e-9 else 1


sys.exit(main())
