/* xbar_test.c - drives the crossbar network solver (runtime/targets/xbar/
 * solver.c) for the lit tests:
 *
 *   spx-xbar-test transfer R C R_ON R_OFF R_WIRE R_DRV R_SINK CELLS
 *       prints the transfer matrix, one line per column j:
 *       "T[j] = t_0 t_1 ..." (amperes per volt on row i, %.17g)
 *   spx-xbar-test solve R C R_ON R_OFF R_WIRE R_DRV R_SINK CELLS V_0,V_1,...
 *       prints the column currents of one drive: "I = i_0 i_1 ..."
 *
 * Resistances in ohms (R_OFF may be "inf": an open cell); CELLS is R*C
 * characters '0'/'1', row-major (1 = conducting).
 * SPX_XBAR_DRIVES=d gives transfer drives on rows 0 .. d-1 only (default:
 * every row). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/targets/xbar/solver.h"

static double num(const char *s) {
  char *end;
  double v;
  if (!strcmp(s, "inf")) return INFINITY;
  v = strtod(s, &end);
  if (*end || !(v > 0)) {
    fprintf(stderr, "spx-xbar-test: bad number '%s'\n", s);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  spx_xbar_net_t n;
  uint8_t *on;
  double *out, *drive = NULL;
  void *scratch;
  uint32_t i, j;
  int solve;
  size_t cells;
  if (argc < 10 || (strcmp(argv[1], "transfer") && strcmp(argv[1], "solve")) ||
      (!strcmp(argv[1], "solve") && argc != 11) || (!strcmp(argv[1], "transfer") && argc != 10)) {
    fprintf(stderr, "usage: spx-xbar-test transfer|solve R C R_ON R_OFF R_WIRE R_DRV R_SINK "
                    "CELLS [V0,V1,...]\n");
    return 1;
  }
  solve = !strcmp(argv[1], "solve");
  n.rows = (uint32_t)atoi(argv[2]);
  n.cols = (uint32_t)atoi(argv[3]);
  n.g_on = 1.0 / num(argv[4]);
  n.g_off = 1.0 / num(argv[5]);
  n.r_wire = num(argv[6]);
  n.r_drv = num(argv[7]);
  n.r_sink = num(argv[8]);
  cells = (size_t)n.rows * n.cols;
  if (!n.rows || !n.cols || strlen(argv[9]) != cells) {
    fprintf(stderr, "spx-xbar-test: CELLS must have R*C = %zu characters\n", cells);
    return 1;
  }
  on = malloc(cells);
  out = malloc(cells * sizeof *out);
  scratch = malloc(spx_xbar_solver_scratch(n.rows, n.cols));
  if (!on || !out || !scratch) return 1;
  for (i = 0; i < cells; ++i) on[i] = argv[9][i] == '1';
  if (solve) {
    char *p = argv[10];
    drive = malloc(n.rows * sizeof *drive);
    if (!drive) return 1;
    for (i = 0; i < n.rows; ++i) {
      drive[i] = strtod(p, &p);
      if (*p == ',') ++p;
    }
    spx_xbar_solve(&n, on, drive, out, scratch);
    printf("I =");
    for (j = 0; j < n.cols; ++j) printf(" %.17g", out[j]);
    printf("\n");
  } else {
    uint32_t d = getenv("SPX_XBAR_DRIVES") ? (uint32_t)atoi(getenv("SPX_XBAR_DRIVES")) : n.rows;
    if (spx_xbar_transfer(&n, on, d, out, scratch)) {
      printf("bad drives %u\n", (unsigned)d);
      return 1;
    }
    for (j = 0; j < n.cols; ++j) {
      printf("T[%u] =", (unsigned)j);
      for (i = 0; i < d; ++i) printf(" %.17g", out[(size_t)j * d + i]);
      printf("\n");
    }
  }
  free(on);
  free(out);
  free(drive);
  free(scratch);
  return 0;
}
