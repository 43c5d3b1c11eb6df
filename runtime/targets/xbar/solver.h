/* solver.h - the resistive network of one crossbar array and its exact
 * solution (solver.c). docs/targets.md, "xbar", draws the network.
 *
 * R rows x C columns. Row wire i is driven from its left end (column 0)
 * through the driver resistance r_drv from a source of V_i volts (V_read on
 * a driven row, 0 V on an undriven one: the same driver holds it low); its
 * right end is open. Column wire j sinks at its bottom end (row R-1) through
 * the sink resistance r_sink into 0 V; the current through r_sink is the
 * column's sensed current I_j. Every wire has r_wire between neighbouring
 * cells. The cell of (i, j) connects row node (i, j) to column node (i, j)
 * with conductance g_on (a conducting cell: stored +1) or g_off.
 *
 * Kirchhoff's current law at the 2RC nodes is a linear system in the node
 * voltages whose right-hand side is linear in the drive voltages, so the
 * column currents are I = T V with T (C x R) the transfer matrix: T[j][i]
 * is I_j per volt on row i with every other row at 0 V. The cells do not
 * change while a layer runs, so a simulator solves T once per tile.
 *
 * Method: block Gauss-Seidel over lines. A sweep solves every row wire
 * exactly (a tridiagonal system, Thomas algorithm; the column voltages
 * fixed), then every column wire (the row voltages fixed). The system is
 * symmetric positive definite (a connected resistive network grounded
 * through the drivers and sinks), so the sweeps converge. They stop when no
 * node voltage moved by more than tol (volts per volt of drive) in a sweep
 * (or after a fixed number of sweeps: the fast model, `sweeps`).
 * T has R columns, one solve each (a unit drive on one row).
 *
 * Freestanding like the rest of runtime/: the caller gives the scratch. */
#ifndef SPX_TARGET_XBAR_SOLVER_H
#define SPX_TARGET_XBAR_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spx_xbar_net {
  uint32_t rows, cols;
  double g_on, g_off;    /* siemens */
  double r_wire;         /* ohms per cell segment, > 0 */
  double r_drv, r_sink;  /* ohms, > 0 */
  /* 0: sweep until converged (the exact solution, to the tolerance below);
   * k > 0: the fast model - exactly k sweeps from the start (row nodes at
   * their drive, column nodes at 0 V), converged or not. */
  uint32_t sweeps;
} spx_xbar_net_t;

/* Convergence: the largest node-voltage change of a sweep, per volt of the
 * largest drive. The line updates are over-relaxed by OMEGA (line SOR;
 * converges for 0 < OMEGA < 2 on this symmetric positive definite system;
 * 1.2 took the fewest sweeps on random 64x64 and 128x128 arrays). */
#define SPX_XBAR_SOLVER_TOL 1e-12
#define SPX_XBAR_SOLVER_MAX_SWEEPS 100000u
#define SPX_XBAR_SOLVER_OMEGA 1.2





/* Bytes of scratch spx_xbar_transfer needs (8-byte aligned). */
size_t spx_xbar_solver_scratch(uint32_t rows, uint32_t cols);

/* The transfer matrix of `net` with cells `on` (rows x cols, row-major, 1 =
 * conducting): T[j * rows + i] = amperes at column j's sink per volt on
 * row i. *sweeps (if not NULL) gets the most sweeps one solve took. 0, or
 * -1 if a solve did not converge in SPX_XBAR_SOLVER_MAX_SWEEPS (never with
 * net->sweeps set). */
int spx_xbar_transfer(const spx_xbar_net_t *net, const uint8_t *on, double *T, void *scratch,
                      uint32_t *sweeps);

/* Column currents of one drive (volts per row, `rows` values) solved
 * directly (the same sweeps, the actual drive): out[j], `cols` values. */
int spx_xbar_solve(const spx_xbar_net_t *net, const uint8_t *on, const double *drive,
                   double *out, void *scratch, uint32_t *sweeps);

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGET_XBAR_SOLVER_H */
