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
 * The exact solve (solver.c): block elimination over the array's rows - a
 * direct method. Each row wire is eliminated into its columns' nodes (a
 * tridiagonal solve), then the rows are eliminated from the top down to the
 * sinks with dense C x C Schur complements, carrying every drive's
 * right-hand side at once. Cost about R (C^3 + C^2 D) for D drives, memory
 * 2 C^2 + 2 C D doubles; exact up to rounding.
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
} spx_xbar_net_t;

/* Bytes of scratch spx_xbar_transfer needs (8-byte aligned). */
size_t spx_xbar_solver_scratch(uint32_t rows, uint32_t cols);

/* The transfer matrix of `net` with cells `on` (rows x cols, row-major, 1 =
 * conducting) for drives on rows 0 .. drives-1: T[j * drives + i] =
 * amperes at column j's sink per volt on row i (every other row at 0 V).
 * 0, or -1 if drives is 0 or more than rows. */
int spx_xbar_transfer(const spx_xbar_net_t *net, const uint8_t *on, uint32_t drives, double *T,
                      void *scratch);

/* Column currents of one drive (volts per row, `rows` values) solved
 * directly (the same elimination, the actual drive): out[j], `cols`
 * values. */
void spx_xbar_solve(const spx_xbar_net_t *net, const uint8_t *on, const double *drive,
                    double *out, void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGET_XBAR_SOLVER_H */
