/* solver.c - the crossbar's resistive network (solver.h), solved exactly
 * by block elimination over the array's rows: a direct method, every drive
 * at once. */
#include <string.h>

#include "runtime/targets/xbar/solver.h"

size_t spx_xbar_solver_scratch(uint32_t rows, uint32_t cols) {
  /* Z and M (cols x cols), Y and G (cols x rows), a row line's factors and
   * one column of its inverse. */
  return (2u * (size_t)cols * cols + 2u * (size_t)cols * rows + 2u * cols) * sizeof(double);
}

/* The Thomas algorithm's factors of a line  -g x[k-1] + b[k] x[k] - g
 * x[k+1] = d[k], k < n: f[k] = 1 / (b[k] - g^2 f[k-1]). The lines are
 * diagonally dominant (strictly at the driven or sunk end), so no pivoting
 * is needed. */
static void factor(uint32_t n, double g, const double *b, size_t stride, double *f) {
  uint32_t k;
  double prev = 0;
  for (k = 0; k < n; ++k) {
    prev = 1.0 / (b[k * stride] - g * g * prev);
    f[k * stride] = prev;
  }
}

/* Solves the factored line (factor k at f[k * fs]) in place of d. */
static void substitute(uint32_t n, double g, const double *f, size_t fs, double *d) {
  uint32_t k;
  d[0] *= f[0];
  for (k = 1; k < n; ++k) d[k] = (d[k] + g * d[k - 1]) * f[k * fs];
  for (k = n - 1; k-- > 0;) d[k] += g * f[k * fs] * d[k + 1];
}

/* ---- the exact solve: block elimination over the array rows ---------------
 *
 * Unknowns per array row i: the row wire's node voltages u_i and the column
 * wires' nodes w_i (C each). Row i's own equations:
 *   A_i u_i - D_i w_i = gd v_i e_0
 *   -D_i u_i + B_i w_i - gw w_{i-1} - gw w_{i+1} = 0
 * with D_i = diag(cell conductances of row i), A_i the row wire (tridiagonal:
 * D_i, gw to each neighbour, gd at column 0) and B_i = D_i + gw per
 * neighbouring row + gs on the last row. Eliminating u_i (A_i is
 * tridiagonal) leaves S_i w_i - gw w_{i-1} - gw w_{i+1} = v_i h_i with
 * S_i = B_i - D_i A_i^-1 D_i (dense, symmetric positive definite) and
 * h_i = gd D_i A_i^-1 e_0. Eliminating the rows from the top:
 *   K_0 = S_0,  K_i = S_i - gw^2 K_{i-1}^-1,
 *   g_i = F_i + gw K_{i-1}^-1 g_{i-1},
 * and on the last row (the sinks) w_{R-1} = K_{R-1}^-1 g_{R-1}: no back
 * substitution is needed, as only the sink currents gs w_{R-1} are wanted.
 * For the transfer matrix F_i holds h_i in column i (a unit drive per
 * row, `drives` columns at once); for one drive vector, v_i h_i in its one
 * column. K is inverted in place (Gauss-Jordan; no pivoting: K is
 * symmetric positive definite). Cost per array row: C^3 for the inverse,
 * 2 C^2 x (drives so far) for the right-hand sides. */

/* In-place inverse of the symmetric positive definite n x n matrix a. */
static void spd_inverse(uint32_t n, double *a) {
  uint32_t k, i, j;
  for (k = 0; k < n; ++k) {
    double *ak = a + (size_t)k * n;
    double d = 1.0 / ak[k];
    ak[k] = 1.0;
    for (j = 0; j < n; ++j) ak[j] *= d;
    for (i = 0; i < n; ++i) {
      double *ai = a + (size_t)i * n, f;
      if (i == k) continue;
      f = ai[k];
      ai[k] = 0;
      for (j = 0; j < n; ++j) ai[j] -= f * ak[j];
    }
  }
}

/* Sink currents of `drives` right-hand sides: with drive == NULL a unit
 * drive on each of rows 0 .. drives-1 (out[j * drives + i]), else the one
 * drive vector (drives == 1, out[j]). */
static void exact(const spx_xbar_net_t *n, const uint8_t *on, uint32_t drives,
                  const double *drive, double *out, double *scratch) {
  const uint32_t R = n->rows, C = n->cols, K = drives;
  const double gw = 1.0 / n->r_wire, gd = 1.0 / n->r_drv, gs = 1.0 / n->r_sink;
  double *Z = scratch, *M = Z + (size_t)C * C, *Y = M + (size_t)C * C;
  double *G = Y + (size_t)C * K, *f = G + (size_t)C * K, *x = f + C;
  uint32_t i, j, l, c, prev, used = 0; /* used: columns of Y, G that are not 0 */
  for (i = 0; i < R; ++i) {
    const uint8_t *o = on + (size_t)i * C;
    const double bd = (i ? gw : 0) + (i + 1 < R ? gw : 0) + (i + 1 < R ? 0 : gs);
    uint32_t col = drive ? 0 : i; /* this row's drive column */
    double scale = drive ? drive[i] : 1.0;
    int driven = drive ? drive[i] != 0 : i < K;
    /* M = S_i - gw^2 Z (Z = K_{i-1}^-1). */
    for (j = 0; j < C; ++j) {
      double *m = M + (size_t)j * C;
      const double *z = Z + (size_t)j * C;
      if (i)
        for (l = 0; l < C; ++l) m[l] = -gw * gw * z[l];
      else
        for (l = 0; l < C; ++l) m[l] = 0;
      m[j] += (o[j] ? n->g_on : n->g_off) + bd;
    }
    /* G = F_i + gw Y (Y = K_{i-1}^-1 g_{i-1}); F_i (below): h_i in
     * column col. */
    prev = used;
    if (driven && col + 1 > used) used = col + 1;
    for (j = 0; j < C; ++j)
      for (c = 0; c < used; ++c) G[(size_t)j * K + c] = c < prev ? gw * Y[(size_t)j * K + c] : 0;
    /* - D A^-1 D, a column of A^-1 at a time (Thomas, factors f); column 0
     * gives h_i. */
    for (j = 0; j < C; ++j)
      f[j] = (o[j] ? n->g_on : n->g_off) + (j ? gw : 0) + (j + 1 < C ? gw : 0) + (j ? 0 : gd);
    factor(C, gw, f, 1, f);
    for (l = 0; l < C; ++l) {
      double dl = o[l] ? n->g_on : n->g_off;
      for (j = 0; j < C; ++j) x[j] = j == l;
      substitute(C, gw, f, 1, x);
      for (j = 0; j < C; ++j) M[(size_t)j * C + l] -= (o[j] ? n->g_on : n->g_off) * dl * x[j];
      if (l == 0 && driven)
        for (j = 0; j < C; ++j)
          G[(size_t)j * K + col] += scale * gd * (o[j] ? n->g_on : n->g_off) * x[j];
    }
    /* Z = K_i^-1, Y = Z G. */
    memcpy(Z, M, (size_t)C * C * sizeof *Z);
    spd_inverse(C, Z);
    for (j = 0; j < C; ++j) {
      double *y = Y + (size_t)j * K;
      const double *z = Z + (size_t)j * C;
      for (c = 0; c < used; ++c) y[c] = 0;
      for (l = 0; l < C; ++l) {
        const double zl = z[l], *g = G + (size_t)l * K;
        for (c = 0; c < used; ++c) y[c] += zl * g[c];
      }
    }
  }
  for (j = 0; j < C; ++j)
    for (c = 0; c < K; ++c) out[(size_t)j * K + c] = c < used ? gs * Y[(size_t)j * K + c] : 0;
}

void spx_xbar_solve(const spx_xbar_net_t *net, const uint8_t *on, const double *drive,
                    double *out, void *scratch) {
  exact(net, on, 1, drive, out, (double *)scratch);
}

int spx_xbar_transfer(const spx_xbar_net_t *net, const uint8_t *on, uint32_t drives, double *T,
                      void *scratch) {
  if (!drives || drives > net->rows) return -1;
  exact(net, on, drives, NULL, T, (double *)scratch);
  return 0;
}
