/* spx_numspec.h - number format specs as written in a .spx file or on a
 * command line: "int8", "posit(n=8, es=0)", "lp(n=8, es=1, rs=4, sf=2)".
 *
 * One parser for every tool: spx-quant's SPEC, and (later) spxc's
 * `quantize LAYER : lp(...)`. Errors are located diagnostics through
 * spx_diag (support/spx_support.h):
 *   unknown number format 'posti'; did you mean 'posit'? (expected int8, posit or lp)
 *   posit has no parameter 'ess'; did you mean 'es'? (expected n, es)
 *   posit needs parameter 'es' (exponent bits, 0..3)
 *   posit parameter n=17 is out of range (2..16)
 *   duplicate parameter 'n' of posit
 * The formats themselves: runtime/formats/spx_numfmt.h. */
#ifndef SPX_NUMSPEC_H
#define SPX_NUMSPEC_H

#include "runtime/formats/spx_numfmt.h"
#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One "key=value" of a spec, with where each half is. */
typedef struct spx_numspec_opt {
  const char *key;
  size_t key_len;
  spx_loc_t key_loc;
  int64_t value;
  spx_loc_t value_loc;
} spx_numspec_opt_t;

/* Binds a format name and its options, already split by a caller's own
 * parser (the frontend's), to a format: looks the name up (did-you-mean),
 * checks every option names a parameter once, that none is missing, and
 * their ranges. Reports every error it finds to diag; returns 0, or -1. */
int spx_numspec_bind(const char *name, size_t name_len, spx_loc_t name_loc,
                     const spx_numspec_opt_t *opts, int n_opts, spx_diag_t *diag,
                     spx_numfmt_t *out);

/* Parses and binds a whole spec, `text` (one line), whose first character
 * is at `at` (columns count bytes). 0, or -1 with errors reported. */
int spx_numspec_parse(const char *text, spx_loc_t at, spx_diag_t *diag, spx_numfmt_t *out);

/* "int8, posit or lp": the format names, for messages (static storage). */
const char *spx_numspec_names(void);

#ifdef __cplusplus
}
#endif

#endif /* SPX_NUMSPEC_H */
