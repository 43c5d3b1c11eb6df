/* spx-numfmt-test: the parts of runtime/formats/spx_numfmt.h that
 * spx-quant does not print, for the lit tests beside it.
 *   spx-numfmt-test exp2 G       2^(j / 2^G) for every j < 2^G: "%a DIR"
 *                                (DIR: sign of exact minus result)
 *   spx-numfmt-test logtable SPEC  "0xCODE K E FB F LOG" per code (LOG:
 *                                the fixed-point log-domain exponent, or
 *                                zero / nar), after "F=<frac bits>" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_numfmt.h"
#include "support/spx_numspec.h"

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "exp2") == 0) {
    unsigned g = (unsigned)atoi(argv[2]);
    uint32_t j;
    for (j = 0; j < (uint32_t)1 << g; ++j) {
      int dir;
      double v = spx_lp_exp2_frac(j, g, &dir);
      printf("%a %d\n", v, dir);
    }
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "logtable") == 0) {
    spx_loc_t at = {"<arg>", 1, 1};
    spx_diag_t *diag = spx_diag_create(stderr);
    spx_numfmt_t f;
    static int32_t table[1 << 16];
    spx_rt_error_t err;
    uint32_t c;
    if (spx_numspec_parse(argv[2], at, diag, &f) != 0) return 1;
    spx_diag_destroy(diag);
    if (spx_lp_log_table(&f, table, sizeof table / sizeof table[0], &err) != SPX_RT_OK) {
      printf("error: %s\n", err.message);
      return 1;
    }
    printf("F=%u\n", spx_lp_log_frac_bits(&f));
    for (c = 0; c < spx_numfmt_codes(&f); ++c) {
      spx_numfmt_fields_t x;
      spx_numfmt_fields(&f, c, &x);
      if (table[c] == SPX_LP_LOG_ZERO) printf("0x%x zero\n", (unsigned)c);
      else if (table[c] == SPX_LP_LOG_NAR) printf("0x%x nar\n", (unsigned)c);
      else
        printf("0x%x %d %u %u %u %ld\n", (unsigned)c, x.k, x.e, x.frac_len, x.frac,
               (long)table[c]);
    }
    return 0;
  }
  fprintf(stderr, "usage: spx-numfmt-test exp2 G | logtable SPEC\n");
  return 2;
}
