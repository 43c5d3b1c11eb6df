/* numfmt.c - the registry of scalar number formats (spx_numfmt.h): int8
 * with one symmetric scale, posit<n, es>, LP<n, es, rs, sf> (the codecs of
 * the last two are in posit.c). */
#include "runtime/formats/spx_numfmt.h"

#include <float.h>
#include <math.h>
#include <string.h>

double spx_numfmt_posit_decode_(const spx_numfmt_t *f, uint32_t code);
uint32_t spx_numfmt_posit_encode_(const spx_numfmt_t *f, double x);

/* ---- int8: q = clamp(round(x / scale), -127, 127), code = q mod 256 ------ */

static spx_rt_status_t int8_init(spx_numfmt_t *f, spx_rt_error_t *err) {
  f->bits = f->n = 8;
  f->es = f->rs = 0;
  f->sf = 0;
  f->log = 0;
  f->scale = 1.0;
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

/* Round half away from zero, as spx_fmt_dense_s8_encode. */
static double round_away(double v) {
  return v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
}

static uint32_t int8_encode(const spx_numfmt_t *f, double x) {
  double q;
  if (isnan(x)) return 0;
  q = round_away(x / f->scale);
  if (q < -127) q = -127;
  if (q > 127) q = 127;
  return (uint32_t)(int32_t)q & 0xffu;
}

static double int8_decode(const spx_numfmt_t *f, uint32_t code) {
  return (double)(int8_t)(uint8_t)code * f->scale;
}

const spx_numfmt_desc_t spx_numfmt_desc_INT8 = {
    SPX_NUMFMT_INT8, "int8",
    "int8, one symmetric scale max|x|/127 over the array, round half away from zero",
    0, {{0, 0, 0, 0}}, 1, 0, int8_init, int8_encode, int8_decode};

/* ---- posit<n, es> ---------------------------------------------------------- */

static spx_rt_status_t posit_init(spx_numfmt_t *f, spx_rt_error_t *err) {
  f->bits = f->n = (unsigned)f->p[0];
  f->es = (unsigned)f->p[1];
  f->rs = f->n - 1;
  f->sf = 0;
  f->log = 0;
  f->scale = 1.0;
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_numfmt_desc_t spx_numfmt_desc_POSIT = {
    SPX_NUMFMT_POSIT, "posit",
    "standard posit<n, es>: round to nearest, ties to even on the bit string",
    2,
    {{"n", 2, 16, "bits of a code"}, {"es", 0, 3, "exponent bits"}},
    0, 1, posit_init, spx_numfmt_posit_encode_, spx_numfmt_posit_decode_};

/* ---- LP<n, es, rs, sf> ----------------------------------------------------- */

static spx_rt_status_t lp_init(spx_numfmt_t *f, spx_rt_error_t *err) {
  f->bits = f->n = (unsigned)f->p[0];
  f->es = (unsigned)f->p[1];
  f->rs = (unsigned)f->p[2];
  f->sf = (int)f->p[3];
  f->log = 1;
  f->scale = 1.0;
  if (f->rs > f->n - 1)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                            "lp parameter rs=%u is out of range: at most n-1 = %u",
                            f->rs, f->n - 1);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_numfmt_desc_t spx_numfmt_desc_LP = {
    SPX_NUMFMT_LP, "lp",
    "logarithmic posit LP<n, es, rs, sf>: log2 fraction, regime run capped at rs, scaled by 2^-sf",
    4,
    {{"n", 2, 16, "bits of a code"},
     {"es", 0, 3, "exponent bits"},
     {"rs", 1, 15, "longest regime run (n-1: uncapped)"},
     {"sf", -16, 16, "scale factor: values are multiplied by 2^-sf"}},
    0, 1, lp_init, spx_numfmt_posit_encode_, spx_numfmt_posit_decode_};

/* ---- the table -------------------------------------------------------------- */

static const spx_numfmt_desc_t *const table[] = {
#define SPX_NUMFMT_X_(E, code, text) &spx_numfmt_desc_##E,
    SPX_NUMFMT_KINDS(SPX_NUMFMT_X_)
#undef SPX_NUMFMT_X_
};

#define TABLE_COUNT (sizeof table / sizeof table[0])

const spx_numfmt_desc_t *const *spx_numfmt_table(unsigned *out_count) {
  if (out_count) *out_count = (unsigned)TABLE_COUNT;
  return table;
}

static int same_n(const char *a, const char *name, size_t len) {
  size_t i;
  for (i = 0; i < len; ++i)
    if (a[i] != name[i] || !a[i]) return 0;
  return a[len] == '\0';
}

const spx_numfmt_desc_t *spx_numfmt_find_name(const char *name, size_t len) {
  unsigned i;
  if (!name) return NULL;
  for (i = 0; i < TABLE_COUNT; ++i)
    if (same_n(table[i]->name, name, len)) return table[i];
  return NULL;
}

int spx_numfmt_param_index(const spx_numfmt_desc_t *desc, const char *name, size_t len) {
  unsigned i;
  if (!desc || !name) return -1;
  for (i = 0; i < desc->n_params; ++i)
    if (same_n(desc->params[i].name, name, len)) return (int)i;
  return -1;
}

spx_rt_status_t spx_numfmt_init(spx_numfmt_t *f, const spx_numfmt_desc_t *desc,
                                const int32_t *values, spx_rt_error_t *err) {
  unsigned i;
  if (!f || !desc || (desc->n_params && !values))
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no format");
  f->desc = desc;
  for (i = 0; i < SPX_NUMFMT_MAX_PARAMS; ++i) f->p[i] = 0;
  for (i = 0; i < desc->n_params; ++i) {
    const spx_numfmt_param_t *p = &desc->params[i];
    if (values[i] < p->min || values[i] > p->max)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                              "%s parameter %s=%ld is out of range (%ld..%ld)", desc->name,
                              p->name, (long)values[i], (long)p->min, (long)p->max);
    f->p[i] = values[i];
  }
  return desc->init(f, err);
}

size_t spx_numfmt_spec(const spx_numfmt_t *f, char *buf, size_t cap) {
  size_t len, i;
  if (!f || !f->desc) return spx_rt_format(buf, cap, "?");
  len = spx_rt_format(buf, cap, "%s", f->desc->name);
  for (i = 0; i < f->desc->n_params; ++i)
    len += spx_rt_format(buf && len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
                         "%s%s=%ld", i ? ", " : "(", f->desc->params[i].name,
                         (long)f->p[i]);
  if (f->desc->n_params)
    len += spx_rt_format(buf && len < cap ? buf + len : NULL, len < cap ? cap - len : 0, ")");
  return len;
}

int spx_numfmt_is_nar(const spx_numfmt_t *f, uint32_t code) {
  return f && f->desc && f->desc->has_nar &&
         (code & (spx_numfmt_codes(f) - 1)) == (uint32_t)1 << (f->bits - 1);
}

void spx_numfmt_fit(spx_numfmt_t *f, const double *x, size_t count) {
  double amax = 0;
  size_t i;
  if (!f || !f->desc || !f->desc->needs_fit) return;
  for (i = 0; i < count; ++i) {
    double a = fabs(x[i]);
    if (a > amax && !isinf(a)) amax = a; /* NaN compares false */
  }
  f->scale = amax > 0 ? amax / 127.0 : 1.0;
}

uint32_t spx_numfmt_value_table(const spx_numfmt_t *f, double *out, size_t count) {
  uint32_t c, codes = spx_numfmt_codes(f);
  for (c = 0; c < codes && c < count; ++c) out[c] = spx_numfmt_decode(f, c);
  return codes;
}

/* Doubles as ordered integers: a < b iff key(a) < key(b) (+-0 are 0). */
static int64_t order_key(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return (b >> 63) ? -(int64_t)(b & ~((uint64_t)1 << 63)) : (int64_t)b;
}

static double from_key(int64_t k) {
  uint64_t b = k < 0 ? ((uint64_t)0 - (uint64_t)k) | ((uint64_t)1 << 63) : (uint64_t)k;
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

spx_rt_status_t spx_numfmt_rounder_init(spx_numfmt_rounder_t *r, const spx_numfmt_t *f,
                                        uint32_t *code, double *value, double *lower,
                                        spx_rt_error_t *err) {
  uint32_t codes = spx_numfmt_codes(f), half = codes / 2, i, n = 0;
  r->fmt = f;
  r->code = code;
  r->value = value;
  r->lower = lower;
  /* signed order: 2^(bits-1) (most negative) .. 2^bits - 1, then 0 .. */
  for (i = 0; i < codes; ++i) {
    uint32_t c = (i + half) & (codes - 1);
    double v = spx_numfmt_decode(f, c);
    if (spx_numfmt_is_nar(f, c) || !isfinite(v)) continue;
    if (n > 0 && !(v > value[n - 1]))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                              "code 0x%x does not order like its value: no rounding table",
                              (unsigned)c);
    code[n] = c;
    value[n++] = v;
  }
  r->count = n;
  /* lower[i]: the smallest double whose encoding's value is >= value[i],
   * by bisection over the ordered doubles [-DBL_MAX, DBL_MAX]. */
  for (i = 0; i < n; ++i) {
    int64_t lo = order_key(-DBL_MAX), hi = order_key(DBL_MAX);
    if (spx_numfmt_decode(f, spx_numfmt_encode(f, -DBL_MAX)) >= value[i]) {
      lower[i] = -INFINITY;
      continue;
    }
    if (!(spx_numfmt_decode(f, spx_numfmt_encode(f, DBL_MAX)) >= value[i])) {
      lower[i] = INFINITY; /* not reached from below */
      continue;
    }
    while ((uint64_t)hi - (uint64_t)lo > 1) {
      int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
      if (spx_numfmt_decode(f, spx_numfmt_encode(f, from_key(mid))) >= value[i]) hi = mid;
      else lo = mid;
    }
    lower[i] = from_key(hi);
  }
  return SPX_RT_OK;
}

uint32_t spx_numfmt_round_index(const spx_numfmt_rounder_t *r, double x) {
  /* the last i with lower[i] <= x */
  uint32_t lo = 0, hi = r->count;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (r->lower[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

spx_rt_status_t spx_numfmt_validate_codes(const spx_numfmt_t *f, const void *codes,
                                          size_t count, spx_rt_error_t *err) {
  size_t i;
  uint32_t limit;
  if (!f || !f->desc || (!codes && count))
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no format or no codes");
  limit = spx_numfmt_codes(f);
  if (f->bits > 8) {
    const uint16_t *c = codes;
    for (i = 0; i < count; ++i)
      if (c[i] >= limit)
        return spx_rt_error_set(err, SPX_RT_ERR_FORMAT,
                                "code %zu is 0x%x: %u-bit codes are below 0x%lx", i,
                                (unsigned)c[i], f->bits, (unsigned long)limit);
  } else {
    const uint8_t *c = codes;
    for (i = 0; i < count; ++i)
      if (c[i] >= limit)
        return spx_rt_error_set(err, SPX_RT_ERR_FORMAT,
                                "code %zu is 0x%x: %u-bit codes are below 0x%lx", i,
                                (unsigned)c[i], f->bits, (unsigned long)limit);
  }
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}
