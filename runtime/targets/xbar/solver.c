/* solver.c - the crossbar's resistive network (solver.h): block
 * Gauss-Seidel (over-relaxed) over row and column wires, each line solved
 * exactly by the Thomas algorithm with its factors computed once. */
#include "runtime/targets/xbar/solver.h"

size_t spx_xbar_solver_scratch(uint32_t rows, uint32_t cols) {
  size_t line = rows > cols ? rows : cols;
  /* u, w and the two lines' factors (rows x cols each), one line of
   * right-hand side, one drive vector. */
  return (4u * (size_t)rows * cols + line + rows) * sizeof(double);
}

static double absd(double x) { return x < 0 ? -x : x; }

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

/* The factors of every row line (fr, row-major like u) and column line (fc,
 * row-major too; a column is strided by cols). */
static void factor_all(const spx_xbar_net_t *n, const uint8_t *on, double *fr, double *fc) {
  const uint32_t R = n->rows, C = n->cols;
  const double gw = 1.0 / n->r_wire, gd = 1.0 / n->r_drv, gs = 1.0 / n->r_sink;
  uint32_t i, j;
  for (i = 0; i < R; ++i)
    for (j = 0; j < C; ++j) {
      double g = on[i * C + j] ? n->g_on : n->g_off;
      fr[i * C + j] = g + (j ? gw : 0) + (j + 1 < C ? gw : 0) + (j ? 0 : gd);
      fc[i * C + j] = g + (i ? gw : 0) + (i + 1 < R ? gw : 0) + (i + 1 < R ? 0 : gs);
    }
  for (i = 0; i < R; ++i) factor(C, gw, fr + (size_t)i * C, 1, fr + (size_t)i * C);
  for (j = 0; j < C; ++j) factor(R, gw, fc + j, C, fc + j);
}

/* One solve: node voltages u (rows), w (columns) for drive v, the lines
 * factored in fr, fc; x is a line of scratch. Returns the sweeps, or 0 if
 * it did not converge. */
static uint32_t solve(const spx_xbar_net_t *n, const uint8_t *on, const double *v, double *u,
                      double *w, const double *fr, const double *fc, double *x) {
  const uint32_t R = n->rows, C = n->cols;
  const double gw = 1.0 / n->r_wire, gd = 1.0 / n->r_drv;
  uint32_t i, j, sweep;
  double vmax = 0;
  for (i = 0; i < R; ++i) {
    if (absd(v[i]) > vmax) vmax = absd(v[i]);
    for (j = 0; j < C; ++j) {
      u[i * C + j] = v[i];
      w[i * C + j] = 0;
    }
  }
  if (vmax == 0) return 1; /* every node at 0 V */
  for (sweep = 1; sweep <= (n->sweeps ? n->sweeps : SPX_XBAR_SOLVER_MAX_SWEEPS); ++sweep) {
    double moved = 0;
    /* Row wires, column voltages fixed. */
    for (i = 0; i < R; ++i) {
      double *ur = u + (size_t)i * C;
      const double *wr = w + (size_t)i * C;
      const uint8_t *o = on + (size_t)i * C;
      for (j = 0; j < C; ++j) x[j] = (o[j] ? n->g_on : n->g_off) * wr[j];
      x[0] += gd * v[i];
      substitute(C, gw, fr + (size_t)i * C, 1, x);
      for (j = 0; j < C; ++j) {
        double d = x[j] - ur[j];
        if (absd(d) > moved) moved = absd(d);
        ur[j] += SPX_XBAR_SOLVER_OMEGA * d;
      }
    }
    /* Column wires, row voltages fixed. */
    for (j = 0; j < C; ++j) {
      for (i = 0; i < R; ++i) x[i] = (on[i * C + j] ? n->g_on : n->g_off) * u[i * C + j];
      substitute(R, gw, fc + j, C, x);
      for (i = 0; i < R; ++i) {
        double d = x[i] - w[i * C + j];
        if (absd(d) > moved) moved = absd(d);
        w[i * C + j] += SPX_XBAR_SOLVER_OMEGA * d;
      }
    }
    if (n->sweeps ? sweep == n->sweeps : moved <= SPX_XBAR_SOLVER_TOL * vmax) return sweep;
  }
  return 0;
}

int spx_xbar_solve(const spx_xbar_net_t *net, const uint8_t *on, const double *drive,
                   double *out, void *scratch, uint32_t *sweeps) {
  const uint32_t R = net->rows, C = net->cols;
  double *u = (double *)scratch, *w = u + (size_t)R * C, *fr = w + (size_t)R * C;
  double *fc = fr + (size_t)R * C, *x = fc + (size_t)R * C;
  uint32_t j, s;
  factor_all(net, on, fr, fc);
  s = solve(net, on, drive, u, w, fr, fc, x);
  if (sweeps) *sweeps = s;
  if (!s) return -1;
  for (j = 0; j < C; ++j) out[j] = w[(size_t)(R - 1) * C + j] / net->r_sink;
  return 0;
}

int spx_xbar_transfer(const spx_xbar_net_t *net, const uint8_t *on, double *T, void *scratch,
                      uint32_t *sweeps) {
  const uint32_t R = net->rows, C = net->cols;
  const size_t line = R > C ? R : C;
  double *u = (double *)scratch, *w = u + (size_t)R * C, *fr = w + (size_t)R * C;
  double *fc = fr + (size_t)R * C, *x = fc + (size_t)R * C, *drive = x + line;
  uint32_t i, j, most = 0;
  factor_all(net, on, fr, fc);
  for (j = 0; j < R; ++j) drive[j] = 0;
  for (i = 0; i < R; ++i) {
    uint32_t s;
    drive[i] = 1.0;
    s = solve(net, on, drive, u, w, fr, fc, x);
    drive[i] = 0;
    if (!s) return -1;
    if (s > most) most = s;
    for (j = 0; j < C; ++j) T[(size_t)j * R + i] = w[(size_t)(R - 1) * C + j] / net->r_sink;
  }
  if (sweeps) *sweeps = most;
  return 0;
}
