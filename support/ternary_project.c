/* ternary_project.c - the structured sparse ternary projection and its
 * options (spx_ternary_project.h), for the ternary pass and spx-quant. */
#include "support/spx_ternary_project.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"

/* ---- options ------------------------------------------------------------ */

void spx_ternary_opts_init(spx_ternary_opts_t *o) {
  o->n = SPX_TERNARY_DEFAULT_N;
  o->k = SPX_TERNARY_DEFAULT_K;
  o->per_layer = false;
  o->first = o->last = false;
}

static bool key_is(const char *key, size_t len, const char *name) {
  return len == strlen(name) && memcmp(key, name, len) == 0;
}

static bool word_is(const spx_ternary_val_t *v, const char *name) {
  return v->kind == SPX_TERNARY_VAL_WORD && key_is(v->s, v->len, name);
}

static spx_ternary_opt_status_t fail(spx_ternary_opt_status_t st, char *msg, size_t cap,
                                     const char *fmt, ...) SPX_PRINTF(4, 5);
static spx_ternary_opt_status_t fail(spx_ternary_opt_status_t st, char *msg, size_t cap,
                                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (cap) vsnprintf(msg, cap, fmt, ap);
  va_end(ap);
  return st;
}

spx_ternary_opt_status_t spx_ternary_opt_set(spx_ternary_opts_t *o, const char *key,
                                             size_t key_len, const spx_ternary_val_t *v,
                                             char *msg, size_t cap) {
  bool is_int = v->kind == SPX_TERNARY_VAL_INT;
  if (key_is(key, key_len, "n")) {
    if (!is_int || v->i < SPX_FMT_TERNARY_MIN_N || v->i > SPX_FMT_TERNARY_MAX_N)
      return fail(SPX_TERNARY_OPT_BAD_VALUE, msg, cap,
                  "ternary n (lanes per group) must be an integer in %d .. %d",
                  SPX_FMT_TERNARY_MIN_N, SPX_FMT_TERNARY_MAX_N);
    o->n = (unsigned)v->i;
  } else if (key_is(key, key_len, "k")) {
    /* k <= n is spx_ternary_opts_check's, once n is known */
    if (!is_int || v->i < 1 || v->i > SPX_FMT_TERNARY_MAX_N)
      return fail(SPX_TERNARY_OPT_BAD_VALUE, msg, cap,
                  "ternary k (non-zero weights per group) must be an integer in 1 .. n");
    o->k = (unsigned)v->i;
  } else if (key_is(key, key_len, "scale")) {
    if (word_is(v, "channel")) o->per_layer = false;
    else if (word_is(v, "layer")) o->per_layer = true;
    else
      return fail(SPX_TERNARY_OPT_BAD_VALUE, msg, cap, "ternary scale must be channel or layer");
  } else if (key_is(key, key_len, "first") || key_is(key, key_len, "last")) {
    bool *flag = key[0] == 'f' ? &o->first : &o->last;
    if (!is_int || (v->i != 0 && v->i != 1))
      return fail(SPX_TERNARY_OPT_BAD_VALUE, msg, cap, "ternary %s must be 0 or 1",
                  key[0] == 'f' ? "first" : "last");
    *flag = v->i == 1;
  } else if (key_len > 3 && memcmp(key, "arg", 3) == 0) {
    return fail(SPX_TERNARY_OPT_BAD_KEY, msg, cap,
                "ternary options are named: n=, k=, scale=, first=, last=");
  } else {
    return fail(SPX_TERNARY_OPT_BAD_KEY, msg, cap,
                "unknown ternary option '%.*s' (n, k, scale, first, last)",
                (int)(key_len < 64 ? key_len : 64), key);
  }
  return SPX_TERNARY_OPT_OK;
}

int spx_ternary_opts_check(const spx_ternary_opts_t *o, char *msg, size_t cap) {
  if (o->k > o->n) {
    fail(SPX_TERNARY_OPT_BAD_VALUE, msg, cap,
         "ternary k = %u is more than n = %u: a group of %u lanes has at most %u non-zero "
         "weights", o->k, o->n, o->n, o->n);
    return -1;
  }
  return 0;
}

/* ---- projection ---------------------------------------------------------- */

void spx_ternary_geom_init(spx_ternary_geom_t *g, uint32_t rows, uint32_t cols, uint32_t taps,
                           unsigned n, unsigned k) {
  g->rows = rows;
  g->cols = cols;
  g->taps = taps;
  g->n = n;
  g->k = k;
  g->ng = (cols + n - 1) / n;
}

static unsigned lanes_of(const spx_ternary_geom_t *g, uint32_t grp) {
  uint32_t rest = g->cols - grp * g->n;
  return rest < g->n ? (unsigned)rest : g->n;
}

/* Supports for a given threshold (|w| > thr, thr < 0: every non-zero) and
 * alpha's numerator and denominator: t[] for channels [o0, o1). */
static void choose(const spx_ternary_geom_t *g, const double *w, uint32_t o0, uint32_t o1,
                   double thr, int8_t *t, double *sum, double *count) {
  *sum = 0;
  *count = 0;
  for (uint32_t o = o0; o < o1; o++)
    for (uint32_t tap = 0; tap < g->taps; tap++)
      for (uint32_t grp = 0; grp < g->ng; grp++) {
        unsigned lanes = lanes_of(g, grp), pick[SPX_FMT_TERNARY_MAX_N], np = 0;
        size_t at[SPX_FMT_TERNARY_MAX_N];
        for (unsigned l = 0; l < lanes; l++) {
          at[l] = ((size_t)o * g->cols + (size_t)grp * g->n + l) * g->taps + tap;
          t[at[l]] = 0;
        }
        /* the K largest |w| above thr, ties to the lower lane (insertion
         * into a list kept in descending order) */
        for (unsigned l = 0; l < lanes; l++) {
          double a = fabs(w[at[l]]);
          if (!(a > thr) || a == 0) continue;
          unsigned p = np < g->k ? np++ : g->k;
          while (p > 0 && fabs(w[at[pick[p - 1]]]) < a) {
            if (p < g->k) pick[p] = pick[p - 1];
            p--;
          }
          if (p < g->k) pick[p] = l;
        }
        for (unsigned p = 0; p < np; p++) {
          double x = w[at[pick[p]]];
          t[at[pick[p]]] = x < 0 ? -1 : 1;
          *sum += fabs(x);
          *count += 1;
        }
      }
}

static double sq_error(const spx_ternary_geom_t *g, const double *w, const int8_t *t,
                       uint32_t o0, uint32_t o1, double alpha) {
  size_t per = (size_t)g->cols * g->taps;
  double e = 0;
  for (size_t i = (size_t)o0 * per; i < (size_t)o1 * per; i++) {
    double d = w[i] - alpha * t[i];
    e += d * d;
  }
  return e;
}

int spx_ternary_project(const spx_ternary_geom_t *g, const double *w, uint32_t o0, uint32_t o1,
                        int8_t *t, int8_t *t_next, double *out_alpha) {
  size_t per = (size_t)g->cols * g->taps;
  double sum, count, alpha, err;
  int rounds = 0;
  choose(g, w, o0, o1, -1.0, t, &sum, &count);
  alpha = count > 0 ? sum / count : 0;
  err = sq_error(g, w, t, o0, o1, alpha);
  while (rounds < SPX_TERNARY_MAX_ROUNDS && alpha > 0) {
    double a2, e2;
    choose(g, w, o0, o1, alpha / 2, t_next, &sum, &count);
    a2 = count > 0 ? sum / count : 0;
    e2 = sq_error(g, w, t_next, o0, o1, a2);
    rounds++;
    if (!(e2 < err)) break;
    memcpy(t + (size_t)o0 * per, t_next + (size_t)o0 * per, (size_t)(o1 - o0) * per);
    alpha = a2;
    err = e2;
  }
  *out_alpha = alpha;
  return rounds;
}

int spx_ternary_project_all(const spx_ternary_geom_t *g, const double *w, bool per_layer,
                            int8_t *t, int8_t *t_next, double *alpha) {
  int rounds = 0;
  if (per_layer) {
    double a;
    rounds = spx_ternary_project(g, w, 0, g->rows, t, t_next, &a);
    for (uint32_t c = 0; c < g->rows; c++) alpha[c] = a;
  } else {
    for (uint32_t c = 0; c < g->rows; c++) {
      int r = spx_ternary_project(g, w, c, c + 1, t, t_next, &alpha[c]);
      if (r > rounds) rounds = r;
    }
  }
  return rounds;
}

/* ---- the text of a spec ------------------------------------------------- */

static bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
static bool ends_value(char c) {
  return !c || c == ' ' || c == '\t' || c == ',' || c == '(' || c == ')' || c == '=';
}

static spx_loc_t col_of(spx_loc_t at, const char *text, const char *p) {
  at.col += (int)(p - text);
  return at;
}

static const char *found_text(const char *p, char *buf, size_t cap) {
  if (!*p) return "the end";
  snprintf(buf, cap, "'%c'", *p);
  return buf;
}

/* One value token, s[0 .. len): an integer, a word or anything else. */
static void classify(const char *s, size_t len, spx_ternary_val_t *v) {
  size_t i = 0;
  uint64_t x = 0;
  bool neg = false;
  v->kind = SPX_TERNARY_VAL_OTHER;
  v->i = 0;
  v->s = s;
  v->len = len;
  if (len && is_ident_start(s[0])) {
    for (i = 1; i < len && is_ident(s[i]); i++) {}
    if (i == len) v->kind = SPX_TERNARY_VAL_WORD;
    return;
  }
  if (len && (s[0] == '-' || s[0] == '+')) neg = s[i++] == '-';
  if (i == len) return;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return;
    if (x < 1000000000) x = x * 10 + (uint64_t)(s[i] - '0');
  }
  v->kind = SPX_TERNARY_VAL_INT;
  v->i = neg ? -(int64_t)x : (int64_t)x;
}

int spx_ternary_spec_parse(const char *text, spx_loc_t at, spx_diag_t *diag,
                           spx_ternary_opts_t *out) {
  static const char *const keys[] = {"n", "k", "scale", "first", "last"};
  spx_loc_t value_loc[5];
  bool seen[5] = {false, false, false, false, false};
  const char *p = text, *name;
  char msg[160], fbuf[8];
  int errors = 0;

  spx_ternary_opts_init(out);
  while (*p == ' ' || *p == '\t') p++;
  name = p;
  while (is_ident(*p)) p++;
  if (!key_is(name, (size_t)(p - name), "ternary")) {
    spx_diag_error(diag, col_of(at, text, name), "expected 'ternary'");
    return -1;
  }
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '(') {
    p++;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == ')') p++;
    else
      for (;;) {
        const char *key = NULL, *v0;
        size_t key_len = 0;
        spx_ternary_val_t val;
        while (*p == ' ' || *p == '\t') p++;
        if (is_ident_start(*p)) { /* a key, or a word given positionally */
          const char *q = p;
          while (is_ident(*q)) q++;
          const char *r = q;
          while (*r == ' ' || *r == '\t') r++;
          if (*r == '=') {
            key = p;
            key_len = (size_t)(q - p);
            p = r + 1;
            while (*p == ' ' || *p == '\t') p++;
          }
        }
        v0 = p;
        while (!ends_value(*p)) p++;
        if (p == v0) {
          if (key)
            spx_diag_error(diag, col_of(at, text, p), "expected a value for '%.*s', found %s",
                           (int)key_len, key, found_text(p, fbuf, sizeof fbuf));
          else
            spx_diag_error(diag, col_of(at, text, p), "expected an option (n=, k=, scale=), "
                           "found %s", found_text(p, fbuf, sizeof fbuf));
          return -1;
        }
        classify(v0, (size_t)(p - v0), &val);
        if (!key) {
          /* a positional option, as the pass sees it ("arg0"): refused */
          spx_ternary_opt_set(out, "arg0", 4, &val, msg, sizeof msg);
          spx_diag_error(diag, col_of(at, text, v0), "%s", msg);
          ++errors;
        } else {
          unsigned i;
          for (i = 0; i < 5 && !key_is(key, key_len, keys[i]); i++) {}
          if (i < 5 && seen[i]) {
            spx_diag_error(diag, col_of(at, text, key), "duplicate ternary option '%s'",
                           keys[i]);
            ++errors;
          } else {
            spx_ternary_opt_status_t st =
                spx_ternary_opt_set(out, key, key_len, &val, msg, sizeof msg);
            if (st != SPX_TERNARY_OPT_OK) {
              spx_diag_error(diag, col_of(at, text, st == SPX_TERNARY_OPT_BAD_KEY ? key : v0),
                             "%s", msg);
              ++errors;
            } else {
              seen[i] = true;
              value_loc[i] = col_of(at, text, v0);
            }
          }
        }
        while (*p == ' ' || *p == '\t') p++;
        if (*p == ',') {
          p++;
          continue;
        }
        if (*p == ')') {
          p++;
          break;
        }
        spx_diag_error(diag, col_of(at, text, p), "expected ',' or ')', found %s",
                       found_text(p, fbuf, sizeof fbuf));
        return -1;
      }
    while (*p == ' ' || *p == '\t') p++;
  }
  if (*p) {
    spx_diag_error(diag, col_of(at, text, p), "unexpected %s after the number format",
                   found_text(p, fbuf, sizeof fbuf));
    return -1;
  }
  if (errors) return -1;
  if (spx_ternary_opts_check(out, msg, sizeof msg)) {
    /* at k's value, else n's, else the name */
    spx_loc_t loc = seen[1] ? value_loc[1] : seen[0] ? value_loc[0] : col_of(at, text, name);
    spx_diag_error(diag, loc, "%s", msg);
    return -1;
  }
  return 0;
}
