/* spx_ternary_project.h - the structured sparse ternary projection and its
 * options, shared by the compiler's ternary pass (passes/ternary.c) and
 * spx-quant (tools/spx-quant), with no MLIR.
 *
 * Options, as in `sparsify LAYER : ternary(n=8, k=2, scale=channel, first=0,
 * last=0)`: n 2 .. 16 (default 8), k 1 .. n (default 2), scale channel
 * (default) | layer, first and last 0 (default) | 1. One definition of the
 * names, ranges, defaults and messages (spx_ternary_opt_set); the pass reads
 * them from its attribute, spx-quant from a command-line spec
 * (spx_ternary_spec_parse).
 *
 * Projection: float weights w, [rows][cols][taps] (OIHW with taps = kh * kw;
 * [out][in] with taps = 1), onto alpha * t, t in {-1, 0, +1} with at most k
 * non-zeros in every group of n consecutive input channels at a fixed output
 * channel and tap (the last group of a tap ragged when n does not divide
 * cols), alpha per scale unit (an output channel, or all of them). The rule
 * (alternating supports and least-squares alpha) is written out in
 * passes/ternary.c and docs/numerics.md, "Ternary weights". */
#ifndef SPX_TERNARY_PROJECT_H
#define SPX_TERNARY_PROJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- options ----------------------------------------------------------- */

#define SPX_TERNARY_DEFAULT_N 8
#define SPX_TERNARY_DEFAULT_K 2
/* The most alternation rounds of one scale unit. */
#define SPX_TERNARY_MAX_ROUNDS 50

typedef struct spx_ternary_opts {
  unsigned n, k;  /* lanes per group, non-zeros per group at most */
  bool per_layer; /* scale=layer: one alpha for all output channels */
  bool first, last;
} spx_ternary_opts_t;

/* An option's value: an integer, a word (scale=layer), or anything else. */
typedef enum spx_ternary_val_kind {
  SPX_TERNARY_VAL_INT,
  SPX_TERNARY_VAL_WORD,
  SPX_TERNARY_VAL_OTHER,
} spx_ternary_val_kind_t;

typedef struct spx_ternary_val {
  spx_ternary_val_kind_t kind;
  int64_t i;     /* INT */
  const char *s; /* WORD: s[0 .. len) */
  size_t len;
} spx_ternary_val_t;

/* What is wrong with an option (spx_ternary_opt_set): nothing, its name
 * (unknown, or a positional option), or its value. */
typedef enum spx_ternary_opt_status {
  SPX_TERNARY_OPT_OK,
  SPX_TERNARY_OPT_BAD_KEY,
  SPX_TERNARY_OPT_BAD_VALUE,
} spx_ternary_opt_status_t;

/* The defaults: n 8, k 2, scale channel, first 0, last 0. */
void spx_ternary_opts_init(spx_ternary_opts_t *o);
/* Sets the option key[0 .. key_len) (a key "argN" is a positional option:
 * refused, options are named). On an error, the message ("ternary n (lanes
 * per group) must be an integer in 2 .. 16", ...) goes to msg (cap bytes)
 * and *o is unchanged. */
spx_ternary_opt_status_t spx_ternary_opt_set(spx_ternary_opts_t *o, const char *key,
                                             size_t key_len, const spx_ternary_val_t *v,
                                             char *msg, size_t cap);
/* After every option: k <= n. 0, or -1 with the message in msg. */
int spx_ternary_opts_check(const spx_ternary_opts_t *o, char *msg, size_t cap);

/* Parses and checks a whole spec written as in a .spx file, "ternary",
 * "ternary()" or "ternary(n=8, k=2, scale=layer)", whose first character
 * is at `at` (one line; columns count bytes). Errors are located
 * diagnostics: a bad value at the value, an unknown, duplicate or
 * positional option at it, k > n at the k value. 0, or -1 with the error
 * reported. */
int spx_ternary_spec_parse(const char *text, spx_loc_t at, spx_diag_t *diag,
                           spx_ternary_opts_t *out);

/* ---- projection -------------------------------------------------------- */

typedef struct spx_ternary_geom {
  uint32_t rows, cols, taps; /* output channels, input channels, kh * kw */
  uint32_t ng;               /* groups per tap: ceil(cols / n) */
  unsigned n, k;
} spx_ternary_geom_t;

/* rows, cols, taps >= 1; (n, k) checked options. */
void spx_ternary_geom_init(spx_ternary_geom_t *g, uint32_t rows, uint32_t cols, uint32_t taps,
                           unsigned n, unsigned k);

/* Projects channels [o0, o1) of w as one scale unit: t[] of those channels
 * and *alpha (0 when every support is empty). t_next is scratch of the
 * same size as t (rows * cols * taps). Returns the rounds taken. */
int spx_ternary_project(const spx_ternary_geom_t *g, const double *w, uint32_t o0, uint32_t o1,
                        int8_t *t, int8_t *t_next, double *alpha);

/* The whole array: one unit per channel, or the layer (per_layer); alpha[]
 * gets rows values (the same one in every channel for per_layer). Returns
 * the most rounds a unit took. */
int spx_ternary_project_all(const spx_ternary_geom_t *g, const double *w, bool per_layer,
                            int8_t *t, int8_t *t_next, double *alpha);

#ifdef __cplusplus
}
#endif

#endif /* SPX_TERNARY_PROJECT_H */
