/* spx_numfmt.h - scalar number formats: int8, posit<n, es> and logarithmic
 * posits LP<n, es, rs, sf>, defined once.
 *
 * A number format maps one real value to one code of `bits` bits (codes 0 ..
 * 2^bits - 1) and back. Where spx_formats.h's weight formats describe whole
 * tensors (blocks, bit columns), these are the scalars inside them: spx-quant
 * uses them on any array, and the LP quantization pass, its search and the
 * LP datapath build on the same functions (codes <-> values, value tables,
 * and for LP the log-domain exponent of every code as a fixed-point integer).
 *
 * The formats, their parameters and exact rounding are documented in
 * docs/number-formats.md; the bit fields of a code:
 *
 *     posit<n, es>, and LP<n, es, rs, sf> (n bits, MSB first)
 *
 *     +---+----------------+-----+---------------+-------------------+
 *     | s | r r r ... r    | r'  | e1 ... e_es   | f1 f2 ... f_fb    |
 *     +---+----------------+-----+---------------+-------------------+
 *      sign  regime run of   term-  exponent       fraction: fb bits,
 *            m identical     inator (es bits;      whatever is left
 *            bits (LP: at    (opposite bits cut    (posit: linear,
 *            most rs)        bit)   off by the     1 + f; LP: a log2
 *                                   word's end     fraction, 2^f)
 *                                   are 0)
 *
 *   k = m - 1 for a run of ones, -m for a run of zeros. The terminator r'
 *   is absent when the run reaches the end of the word or (LP) when it has
 *   rs bits, so an LP regime is m + 1 bits for m < rs and rs bits for
 *   m = rs: k is in [-rs, rs - 1]. posit<n, es> is LP's regime rule with
 *   rs = n - 1.
 *   posit:  value = (-1)^s * 2^(2^es * k + e) * (1 + f / 2^fb)
 *   LP:     value = (-1)^s * 2^(2^es * k + e + f / 2^fb - sf)
 *   Both: code 0 is zero, 1 followed by zeros is NaR (not a real), and a
 *   negative value's code is the two's complement (mod 2^n) of its
 *   magnitude's code, so codes order like their values as n-bit signed
 *   integers.
 *
 * Freestanding C99 (libm: frexp, ldexp, log2, fma): no allocation, no stdio.
 */
#ifndef SPX_NUMFMT_H
#define SPX_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#include "../spx_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, code, "name"): the scalar number formats, one line each, each one
 * descriptor spx_numfmt_desc_<ENUM> (runtime/formats/numfmt.c). */
#define SPX_NUMFMT_KINDS(X)                                                   \
  X(INT8, 0, "int8")                                                          \
  X(POSIT, 1, "posit")                                                        \
  X(LP, 2, "lp")

typedef enum spx_numfmt_kind {
#define SPX_NUMFMT_X_(E, code, text) SPX_NUMFMT_##E = code,
  SPX_NUMFMT_KINDS(SPX_NUMFMT_X_)
#undef SPX_NUMFMT_X_
  SPX_NUMFMT_COUNT_
} spx_numfmt_kind_t;

#define SPX_NUMFMT_MAX_PARAMS 4
#define SPX_NUMFMT_MAX_BITS 16

/* One integer parameter of a format, as written in a spec: name=value with
 * min <= value <= max (cross-parameter limits are the descriptor's init). */
typedef struct spx_numfmt_param {
  const char *name;
  int32_t min, max;
  const char *doc; /* one line */
} spx_numfmt_param_t;

struct spx_numfmt_desc;

/* A format with its parameters: spx_numfmt_init fills it. */
typedef struct spx_numfmt {
  const struct spx_numfmt_desc *desc;
  int32_t p[SPX_NUMFMT_MAX_PARAMS]; /* in the order of desc->params */
  /* derived by init */
  unsigned bits;                    /* code width */
  unsigned n, es, rs;               /* posit: rs = n - 1; int8: n = 8 */
  int sf;                           /* LP scale factor; posit: 0 */
  unsigned log;                     /* 1: LP (log-domain fraction) */
  /* int8 only: the value of code 1, 1 after init; spx_numfmt_fit sets it
   * from the data (max|x| / 127). */
  double scale;
} spx_numfmt_t;

typedef struct spx_numfmt_desc {
  uint16_t kind;       /* SPX_NUMFMT_* */
  const char *name;    /* as in a spec: "posit" */
  const char *summary; /* one line, for --help */
  unsigned n_params;
  spx_numfmt_param_t params[SPX_NUMFMT_MAX_PARAMS];
  /* 1: encode needs a scale fitted to the data (spx_numfmt_fit) */
  uint8_t needs_fit;
  /* 1: the format has a NaR code (posit, LP: 1 followed by zeros) */
  uint8_t has_nar;
  /* Checks what the parameter ranges cannot (LP: rs <= n - 1) and fills
   * the derived fields. */
  spx_rt_status_t (*init)(spx_numfmt_t *f, spx_rt_error_t *err);
  /* value -> code (rounding: docs/number-formats.md); NaN and +-inf give
   * NaR where there is one (int8: NaN gives 0, +-inf +-127). */
  uint32_t (*encode)(const spx_numfmt_t *f, double x);
  /* code -> value; codes are taken mod 2^bits; NaR decodes to NaN. */
  double (*decode)(const spx_numfmt_t *f, uint32_t code);
} spx_numfmt_desc_t;

#define SPX_NUMFMT_X_(E, code, text) extern const spx_numfmt_desc_t spx_numfmt_desc_##E;
SPX_NUMFMT_KINDS(SPX_NUMFMT_X_)
#undef SPX_NUMFMT_X_

/* Every descriptor, in kind order; *out_count gets their number. */
const spx_numfmt_desc_t *const *spx_numfmt_table(unsigned *out_count);
/* The descriptor called `name` (len bytes, need not be NUL-terminated), or
 * NULL. */
const spx_numfmt_desc_t *spx_numfmt_find_name(const char *name, size_t len);
/* The index of parameter `name` (len bytes) of desc, or -1. */
int spx_numfmt_param_index(const spx_numfmt_desc_t *desc, const char *name, size_t len);

/* Fills *f from desc and its n_params values (in desc->params order):
 * range checks (message "posit parameter n=17 is out of range (2..16)"),
 * the descriptor's init, derived fields. */
spx_rt_status_t spx_numfmt_init(spx_numfmt_t *f, const spx_numfmt_desc_t *desc,
                                const int32_t *values, spx_rt_error_t *err);
/* The spec of f as written in a .spx file: "int8", "posit(n=8, es=0)",
 * "lp(n=8, es=1, rs=4, sf=2)". Returns the full length (spx_rt_format). */
size_t spx_numfmt_spec(const spx_numfmt_t *f, char *buf, size_t cap);

/* Number of codes, 2^bits. */
static inline uint32_t spx_numfmt_codes(const spx_numfmt_t *f) {
  return (uint32_t)1 << f->bits;
}
static inline uint32_t spx_numfmt_encode(const spx_numfmt_t *f, double x) {
  return f->desc->encode(f, x);
}
static inline double spx_numfmt_decode(const spx_numfmt_t *f, uint32_t code) {
  return f->desc->decode(f, code);
}
/* 1 if code is f's NaR. */
int spx_numfmt_is_nar(const spx_numfmt_t *f, uint32_t code);

/* Fits the data-dependent parameters to count values (int8: scale =
 * max|x| / 127 over the finite values, 1 if that is 0; others: nothing). */
void spx_numfmt_fit(spx_numfmt_t *f, const double *x, size_t count);

/* Every code's value, in code order: out[c] = decode(c) for c <
 * min(count, 2^bits). Returns 2^bits (SPX_RT_ERR_BUFFER-free: the caller
 * sizes out by spx_numfmt_codes). */
uint32_t spx_numfmt_value_table(const spx_numfmt_t *f, double *out, size_t count);

/* Rounding by table: decode(encode(x)) and encode(x) of a finite x by a
 * binary search over the format's thresholds instead of the encoder's
 * arithmetic (same results, bit for bit: each threshold is found with the
 * encoder itself). Needs an encoder that is monotonic in x and finite codes
 * whose values increase with the code read as a signed bits-wide integer
 * (int8, posit, LP). The caller owns the arrays, spx_numfmt_codes(f)
 * entries each. */
typedef struct spx_numfmt_rounder {
  const spx_numfmt_t *fmt;
  uint32_t count;  /* finite codes, in value order */
  uint32_t *code;  /* [count] */
  double *value;   /* [count], ascending */
  double *lower;   /* [count]: the smallest x encoding to code[i] or above;
                      -inf for the first code encode reaches */
} spx_numfmt_rounder_t;

/* Fills r for f (f must outlive r); SPX_RT_ERR_ARG if the values do not
 * increase with the signed code. About 64 encodes per code. */
spx_rt_status_t spx_numfmt_rounder_init(spx_numfmt_rounder_t *r, const spx_numfmt_t *f,
                                        uint32_t *code, double *value, double *lower,
                                        spx_rt_error_t *err);
/* The index i of code[] / value[] that x encodes to; x finite. */
uint32_t spx_numfmt_round_index(const spx_numfmt_rounder_t *r, double x);

/* Checks count codes stored as uint16 (f->bits > 8) or uint8: every code
 * below 2^bits. The message names the first bad index. */
spx_rt_status_t spx_numfmt_validate_codes(const spx_numfmt_t *f, const void *codes,
                                          size_t count, spx_rt_error_t *err);

/* ---- posit and LP fields ------------------------------------------------ */

typedef enum spx_numfmt_class {
  SPX_NUMFMT_ZERO = 0,
  SPX_NUMFMT_FINITE = 1,
  SPX_NUMFMT_NAR = 2
} spx_numfmt_class_t;

/* The fields of a posit or LP code (drawing above). For ZERO and NAR only
 * cls and sign are set. */
typedef struct spx_numfmt_fields {
  uint8_t cls;        /* spx_numfmt_class_t */
  uint8_t sign;
  int8_t k;           /* regime */
  uint8_t regime_len; /* bits of the regime, terminator included */
  uint8_t e;          /* exponent, cut-off bits as 0 */
  uint8_t exp_len;    /* exponent bits present in the code (<= es) */
  uint8_t frac_len;   /* fb */
  uint16_t frac;      /* f, fb bits */
} spx_numfmt_fields_t;

/* Fields of a code of a posit or LP format (SPX_RT_ERR_ARG for int8). */
spx_rt_status_t spx_numfmt_fields(const spx_numfmt_t *f, uint32_t code,
                                  spx_numfmt_fields_t *out);

/* ---- LP: the log domain, for the datapath -------------------------------- */

/* Fraction bits F of the fixed-point log-domain exponent: the largest fb of
 * any code, max(0, n - 1 - min(2, rs) - es). */
unsigned spx_lp_log_frac_bits(const spx_numfmt_t *f);

#define SPX_LP_LOG_ZERO INT32_MIN
#define SPX_LP_LOG_NAR (INT32_MIN + 1)

/* out[c] for every code c < min(count, 2^n): log2|value(c)| * 2^F, exact:
 * ((2^es * k + e - sf) << F) + (f << (F - fb)); SPX_LP_LOG_ZERO and
 * SPX_LP_LOG_NAR for zero and NaR. The sign is the code's top bit. LP
 * formats only (SPX_RT_ERR_ARG otherwise). */
spx_rt_status_t spx_lp_log_table(const spx_numfmt_t *f, int32_t *out, size_t count,
                                 spx_rt_error_t *err);

/* One entry of that table: the log-domain exponent of one code of an LP
 * format (f->log must be 1). */
int32_t spx_lp_log_code(const spx_numfmt_t *f, uint32_t code);

/* 2^(j / 2^g) for 0 <= j < 2^g, g <= 16, rounded to the nearest double
 * (the value of an LP fraction); *out_dir (if not NULL) gets the sign of
 * the exact value minus the result (0 only for j = 0). The one place LP
 * leaves the log domain: its decoder and encoder use it, and
 * test/runtime/numfmt checks it for every j of g = 16 against an
 * independent 60-digit computation. */
double spx_lp_exp2_frac(uint32_t j, unsigned g, int *out_dir);

#ifdef __cplusplus
}
#endif

#endif /* SPX_NUMFMT_H */
