/* posit.c - posit<n, es> and logarithmic posit LP<n, es, rs, sf> codes
 * (spx_numfmt.h; the rules in docs/number-formats.md).
 *
 * One core serves both: a code's fields are read the same way (LP caps the
 * regime run at rs; a posit is rs = n - 1), and a value is encoded by
 * writing its exact, infinitely long bit string (regime, exponent, then the
 * fraction: the bits of the linear fraction for a posit, of the log2
 * fraction for LP), keeping n - 1 bits after the sign plus a guard bit and
 * a sticky bit, and rounding to nearest, ties to even, on that integer.
 * Out of range: +-maxpos and +-minpos, never 0 or NaR.
 *
 * LP values need 2^(j / 2^g): spx_lp_exp2_frac computes it as a product of
 * double-double constants 2^(2^-i) (error below 2^-100, checked for every
 * j of g = 16 by test/runtime/numfmt), so the LP decoder gives the nearest
 * double and the encoder compares with the exact value's side of it. */
#include "runtime/formats/spx_numfmt.h"

#include <math.h>

/* ---- 2^(j / 2^g) -------------------------------------------------------- */

typedef struct dd {
  double hi, lo;
} dd_t;

/* 2^(2^-i) for i = 1..16, as hi + lo (hi the nearest double; from an
 * 80-digit decimal computation). */
static const dd_t exp2_pow[16] = {
    {0x1.6a09e667f3bcdp+0, -0x1.bdd3413b26456p-54}, /* 2^(2^-1) */
    {0x1.306fe0a31b715p+0, 0x1.6f46ad23182e4p-55},  /* 2^(2^-2) */
    {0x1.172b83c7d517bp+0, -0x1.19041b9d78a76p-55}, /* 2^(2^-3) */
    {0x1.0b5586cf9890fp+0, 0x1.8a62e4adc610bp-54},  /* 2^(2^-4) */
    {0x1.059b0d3158574p+0, 0x1.d73e2a475b465p-55},  /* 2^(2^-5) */
    {0x1.02c9a3e778061p+0, -0x1.19083535b085dp-56}, /* 2^(2^-6) */
    {0x1.0163da9fb3335p+0, 0x1.b61299ab8cdb7p-54},  /* 2^(2^-7) */
    {0x1.00b1afa5abcbfp+0, -0x1.4f6b2a7609f71p-55}, /* 2^(2^-8) */
    {0x1.0058c86da1c0ap+0, -0x1.5e00e62d6b30dp-56}, /* 2^(2^-9) */
    {0x1.002c605e2e8cfp+0, -0x1.d7c96f201bb2fp-55}, /* 2^(2^-10) */
    {0x1.00162f3904052p+0, -0x1.7b5d0d58ea8f4p-58}, /* 2^(2^-11) */
    {0x1.000b175effdc7p+0, 0x1.ae8e38c59c72ap-54},  /* 2^(2^-12) */
    {0x1.00058ba01fba0p+0, -0x1.a4a4d4cad39fep-54}, /* 2^(2^-13) */
    {0x1.0002c5cc37da9p+0, 0x1.247426170d232p-54},  /* 2^(2^-14) */
    {0x1.000162e525ee0p+0, 0x1.51d5115f56655p-54},  /* 2^(2^-15) */
    {0x1.0000b17255776p+0, -0x1.fdfcf3a05ada9p-55}, /* 2^(2^-16) */
};

/* a * b in double-double (Dekker's product with an exact fma). */
static dd_t dd_mul(dd_t a, dd_t b) {
  dd_t r;
  double p = a.hi * b.hi;
  double e = fma(a.hi, b.hi, -p);
  double s;
  e += a.hi * b.lo + a.lo * b.hi;
  s = p + e;
  r.hi = s;
  r.lo = e - (s - p);
  return r;
}

/* 2^(j / 2^g) as hi + lo, hi the nearest double (|lo| <= ulp/2). */
static dd_t exp2_dd(uint32_t j, unsigned g) {
  dd_t r = {1.0, 0.0};
  unsigned b;
  for (b = 0; b < g; ++b)
    if (j >> b & 1u) r = dd_mul(r, exp2_pow[g - b - 1]);
  return r;
}

double spx_lp_exp2_frac(uint32_t j, unsigned g, int *out_dir) {
  dd_t r;
  if (g > 16) g = 16;
  r = exp2_dd(j & (((uint32_t)1 << g) - 1), g);
  if (out_dir) *out_dir = r.lo > 0 ? 1 : r.lo < 0 ? -1 : 0;
  return r.hi;
}

/* x >= 2^(j / 2^g) exactly, for a double x in [1, 2). */
static int ge_exp2(double x, uint32_t j, unsigned g) {
  dd_t v;
  if (j == 0) return x >= 1.0;
  v = exp2_dd(j, g);
  return x > v.hi || (x == v.hi && v.lo <= 0);
}

/* ---- fields --------------------------------------------------------------- */

static uint32_t mask_n(const spx_numfmt_t *f) {
  return ((uint32_t)1 << f->n) - 1;
}
static uint32_t nar_code(const spx_numfmt_t *f) {
  return (uint32_t)1 << (f->n - 1);
}

/* Fields of a code whose class is FINITE (not 0, not NaR). */
static void read_fields(const spx_numfmt_t *f, uint32_t code, spx_numfmt_fields_t *o) {
  uint32_t m = mask_n(f);
  uint32_t u;
  int pos = (int)f->n - 2; /* next body bit */
  unsigned r, run = 0, rlen, rem, eb, e;
  code &= m;
  o->cls = SPX_NUMFMT_FINITE;
  o->sign = (uint8_t)(code >> (f->n - 1));
  u = o->sign ? (0u - code) & m : code;
  r = (u >> pos) & 1u;
  while (pos >= 0 && ((u >> pos) & 1u) == r && run < f->rs) {
    ++run;
    --pos;
  }
  rlen = run;
  if (run < f->rs && pos >= 0) { /* the terminator */
    --pos;
    ++rlen;
  }
  o->k = (int8_t)(r ? (int)run - 1 : -(int)run);
  o->regime_len = (uint8_t)rlen;
  rem = (unsigned)(pos + 1);
  eb = rem < f->es ? rem : f->es;
  e = eb ? (u >> (rem - eb)) & ((1u << eb) - 1) : 0;
  o->e = (uint8_t)(e << (f->es - eb));
  o->exp_len = (uint8_t)eb;
  rem -= eb;
  o->frac_len = (uint8_t)rem;
  o->frac = (uint16_t)(u & ((1u << rem) - 1));
}

spx_rt_status_t spx_numfmt_fields(const spx_numfmt_t *f, uint32_t code,
                                  spx_numfmt_fields_t *out) {
  if (!f || !out || f->desc->kind == SPX_NUMFMT_INT8) return SPX_RT_ERR_ARG;
  code &= mask_n(f);
  out->cls = SPX_NUMFMT_ZERO;
  out->sign = (uint8_t)(code >> (f->n - 1));
  out->k = 0;
  out->regime_len = out->e = out->exp_len = out->frac_len = 0;
  out->frac = 0;
  if (code == 0) return SPX_RT_OK;
  if (code == nar_code(f)) {
    out->cls = SPX_NUMFMT_NAR;
    return SPX_RT_OK;
  }
  read_fields(f, code, out);
  return SPX_RT_OK;
}

/* ---- decode --------------------------------------------------------------- */

static int scale_of(const spx_numfmt_t *f, const spx_numfmt_fields_t *x) {
  return (int)x->k * (1 << f->es) + (int)x->e - f->sf;
}

double spx_numfmt_posit_decode_(const spx_numfmt_t *f, uint32_t code);
double spx_numfmt_posit_decode_(const spx_numfmt_t *f, uint32_t code) {
  spx_numfmt_fields_t x;
  double v;
  code &= mask_n(f);
  if (code == 0) return 0.0;
  if (code == nar_code(f)) return NAN;
  read_fields(f, code, &x);
  if (f->log)
    v = ldexp(spx_lp_exp2_frac(x.frac, x.frac_len, NULL), scale_of(f, &x));
  else
    v = ldexp(1.0 + ldexp((double)x.frac, -(int)x.frac_len), scale_of(f, &x));
  return x.sign ? -v : v;
}

/* ---- encode --------------------------------------------------------------- */

/* The first `cap` bits of a bit string, MSB first, and whether any 1 bit
 * came after them. */
typedef struct bits {
  uint32_t acc;
  unsigned len, cap;
  unsigned sticky;
} bits_t;

static void push(bits_t *b, uint64_t v, unsigned count) {
  unsigned room = b->cap - b->len;
  if (count <= room) {
    b->acc = (uint32_t)((uint64_t)b->acc << count | v);
    b->len += count;
    return;
  }
  if (room) {
    b->acc = (uint32_t)((uint64_t)b->acc << room | v >> (count - room));
    b->len = b->cap;
  }
  if (v & ((((uint64_t)1) << (count - room)) - 1)) b->sticky = 1;
}

static uint32_t sign_code(const spx_numfmt_t *f, unsigned sign, uint32_t body) {
  return sign ? (0u - body) & mask_n(f) : body;
}

uint32_t spx_numfmt_posit_encode_(const spx_numfmt_t *f, double x);
uint32_t spx_numfmt_posit_encode_(const spx_numfmt_t *f, double x) {
  const uint32_t max_body = nar_code(f) - 1;
  unsigned sign, es = f->es;
  double a, mant;
  int ex;
  long l, k, e;
  bits_t b;
  uint32_t body;

  if (isnan(x) || isinf(x)) return nar_code(f);
  if (x == 0) return 0;
  sign = x < 0;
  a = fabs(x);
  mant = 2.0 * frexp(a, &ex); /* a = mant * 2^(ex - 1), mant in [1, 2) */
  l = (long)ex - 1 + f->sf;   /* floor(log2 a) + sf */
  k = l >= 0 ? l >> es : -((-l + (1L << es) - 1) >> es); /* floor(l / 2^es) */
  e = l - k * (1L << es);
  if (k > (long)f->rs - 1) return sign_code(f, sign, max_body);
  if (k < -(long)f->rs) return sign_code(f, sign, 1);

  b.acc = 0;
  b.len = 0;
  b.cap = f->n; /* n - 1 body bits and the guard bit */
  b.sticky = 0;
  if (k >= 0) {
    unsigned m = (unsigned)k + 1;
    push(&b, ((uint64_t)1 << m) - 1, m);
    if (m < f->rs) push(&b, 0, 1);
  } else {
    unsigned m = (unsigned)-k;
    push(&b, 0, m);
    if (m < f->rs) push(&b, 1, 1);
  }
  push(&b, (uint64_t)e, es);
  if (!f->log) {
    /* The 52 bits of the linear fraction mant - 1, exact. */
    push(&b, (uint64_t)ldexp(mant - 1.0, 52), 52);
  } else if (b.len < b.cap) {
    /* The first g bits of log2(mant) in [0, 1): J = floor(2^g log2 mant),
     * from an estimate made exact by comparisons with 2^(J / 2^g). The
     * rest is 0 only for mant = 1 (otherwise log2 mant is irrational). */
    unsigned g = b.cap - b.len;
    uint32_t top = (uint32_t)1 << g;
    double est = floor(ldexp(log2(mant), (int)g));
    uint32_t j = est < 0 ? 0 : est >= top ? top - 1 : (uint32_t)est;
    while (j > 0 && !ge_exp2(mant, j, g)) --j;
    while (j + 1 < top && ge_exp2(mant, j + 1, g)) ++j;
    push(&b, j, g);
    if (mant != 1.0) b.sticky = 1;
  } else if (mant != 1.0) {
    b.sticky = 1;
  }
  if (b.len < b.cap) b.acc <<= b.cap - b.len;

  body = b.acc >> 1;
  if ((b.acc & 1u) && (b.sticky || (body & 1u))) ++body;
  if (body == 0) body = 1;           /* never 0 from a non-zero value */
  if (body > max_body) body = max_body; /* never NaR from a finite one */
  return sign_code(f, sign, body);
}

/* ---- the log domain --------------------------------------------------------- */

unsigned spx_lp_log_frac_bits(const spx_numfmt_t *f) {
  int min_regime = f->rs < 2 ? (int)f->rs : 2;
  int fb = (int)f->n - 1 - min_regime - (int)f->es;
  return fb > 0 ? (unsigned)fb : 0;
}

int32_t spx_lp_log_code(const spx_numfmt_t *f, uint32_t code) {
  spx_numfmt_fields_t x;
  unsigned F = spx_lp_log_frac_bits(f);
  spx_numfmt_fields(f, code, &x);
  if (x.cls == SPX_NUMFMT_ZERO) return SPX_LP_LOG_ZERO;
  if (x.cls == SPX_NUMFMT_NAR) return SPX_LP_LOG_NAR;
  return (int32_t)(scale_of(f, &x) * ((int32_t)1 << F)) +
         (int32_t)((uint32_t)x.frac << (F - x.frac_len));
}

spx_rt_status_t spx_lp_log_table(const spx_numfmt_t *f, int32_t *out, size_t count,
                                 spx_rt_error_t *err) {
  uint32_t c, codes;
  if (!f || !f->log)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "log-domain tables are for lp formats");
  if (!out && count)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no output table");
  codes = (uint32_t)1 << f->n;
  for (c = 0; c < codes && c < count; ++c) out[c] = spx_lp_log_code(f, c);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}
