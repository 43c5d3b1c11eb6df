/* numspec.c - number format specs: "lp(n=8, es=1, rs=4, sf=2)" to an
 * spx_numfmt_t, with located errors (spx_numspec.h). */
#include "support/spx_numspec.h"

#include <ctype.h>
#include <string.h>

const char *spx_numspec_names(void) {
  static char buf[128];
  if (!buf[0]) {
    unsigned n, i;
    const spx_numfmt_desc_t *const *t = spx_numfmt_table(&n);
    size_t len = 0;
    for (i = 0; i < n; ++i)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                              i == 0 ? "" : i + 1 == n ? " or " : ", ", t[i]->name);
  }
  return buf;
}

static const char *param_list(const spx_numfmt_desc_t *d, char *buf, size_t cap) {
  size_t len = 0;
  unsigned i;
  buf[0] = '\0';
  for (i = 0; i < d->n_params && len < cap; ++i)
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", d->params[i].name);
  return buf;
}

int spx_numspec_bind(const char *name, size_t name_len, spx_loc_t name_loc,
                     const spx_numspec_opt_t *opts, int n_opts, spx_diag_t *diag,
                     spx_numfmt_t *out) {
  const spx_numfmt_desc_t *d = spx_numfmt_find_name(name, name_len);
  int32_t values[SPX_NUMFMT_MAX_PARAMS] = {0};
  int seen[SPX_NUMFMT_MAX_PARAMS] = {0};
  char list[96], word[64];
  int errors = 0, i;
  unsigned p;
  spx_rt_error_t err;

  if (!d) {
    unsigned n, k;
    const spx_numfmt_desc_t *const *t = spx_numfmt_table(&n);
    const char *names[SPX_NUMFMT_COUNT_];
    const char *hint;
    snprintf(word, sizeof word, "%.*s", (int)(name_len < 60 ? name_len : 60), name);
    for (k = 0; k < n && k < SPX_NUMFMT_COUNT_; ++k) names[k] = t[k]->name;
    hint = spx_diag_suggest(word, names, (int)k);
    if (hint)
      spx_diag_error(diag, name_loc,
                     "unknown number format '%s'; did you mean '%s'? (expected %s)", word,
                     hint, spx_numspec_names());
    else
      spx_diag_error(diag, name_loc, "unknown number format '%s' (expected %s)", word,
                     spx_numspec_names());
    return -1;
  }
  for (i = 0; i < n_opts; ++i) {
    int k = spx_numfmt_param_index(d, opts[i].key, opts[i].key_len);
    snprintf(word, sizeof word, "%.*s", (int)(opts[i].key_len < 60 ? opts[i].key_len : 60),
             opts[i].key);
    if (k < 0) {
      const char *names[SPX_NUMFMT_MAX_PARAMS];
      const char *hint;
      if (d->n_params == 0) {
        spx_diag_error(diag, opts[i].key_loc, "%s has no parameters", d->name);
        ++errors;
        continue;
      }
      for (p = 0; p < d->n_params; ++p) names[p] = d->params[p].name;
      hint = spx_diag_suggest(word, names, (int)d->n_params);
      if (hint)
        spx_diag_error(diag, opts[i].key_loc,
                       "%s has no parameter '%s'; did you mean '%s'? (expected %s)", d->name,
                       word, hint, param_list(d, list, sizeof list));
      else
        spx_diag_error(diag, opts[i].key_loc, "%s has no parameter '%s' (expected %s)",
                       d->name, word, param_list(d, list, sizeof list));
      ++errors;
      continue;
    }
    if (seen[k]++) {
      spx_diag_error(diag, opts[i].key_loc, "duplicate parameter '%s' of %s", word, d->name);
      ++errors;
      continue;
    }
    if (opts[i].value < d->params[k].min || opts[i].value > d->params[k].max) {
      spx_diag_error(diag, opts[i].value_loc, "%s parameter %s=%lld is out of range (%ld..%ld)",
                     d->name, d->params[k].name, (long long)opts[i].value,
                     (long)d->params[k].min, (long)d->params[k].max);
      ++errors;
      continue;
    }
    values[k] = (int32_t)opts[i].value;
  }
  for (p = 0; p < d->n_params; ++p)
    if (!seen[p]) {
      spx_diag_error(diag, name_loc, "%s needs parameter '%s' (%s, %ld..%ld)", d->name,
                     d->params[p].name, d->params[p].doc, (long)d->params[p].min,
                     (long)d->params[p].max);
      ++errors;
    }
  if (errors) return -1;
  if (spx_numfmt_init(out, d, values, &err) != SPX_RT_OK) {
    /* A limit between parameters (lp: rs <= n - 1): at the later one's
     * value when it is named in the message, else at the name. */
    spx_loc_t at = name_loc;
    for (i = 0; i < n_opts; ++i) {
      char key[40];
      snprintf(key, sizeof key, " %.*s=", (int)(opts[i].key_len < 30 ? opts[i].key_len : 30),
               opts[i].key);
      if (strstr(err.message, key)) at = opts[i].value_loc;
    }
    spx_diag_error(diag, at, "%s", err.message);
    return -1;
  }
  return 0;
}

/* ---- the text parser ---------------------------------------------------- */

typedef struct lexer {
  const char *text, *p;
  spx_loc_t at;
} lexer_t;

static void skip_ws(lexer_t *l) {
  while (*l->p == ' ' || *l->p == '\t') l->p++;
}

static spx_loc_t loc_of(const lexer_t *l, const char *p) {
  spx_loc_t loc = l->at;
  loc.col += (int)(p - l->text);
  return loc;
}

static int is_ident_start(char c) {
  return isalpha((unsigned char)c) || c == '_';
}
static int is_ident(char c) {
  return isalnum((unsigned char)c) || c == '_';
}

/* What is at p, for "expected X, found Y". */
static const char *found(const char *p, char *buf, size_t cap) {
  if (!*p) return "the end";
  snprintf(buf, cap, "'%c'", *p);
  return buf;
}

int spx_numspec_parse(const char *text, spx_loc_t at, spx_diag_t *diag, spx_numfmt_t *out) {
  lexer_t l = {text, text, at};
  spx_numspec_opt_t opts[16];
  int n_opts = 0;
  const char *name;
  size_t name_len;
  char fbuf[8];

  skip_ws(&l);
  if (!is_ident_start(*l.p)) {
    spx_diag_error(diag, loc_of(&l, l.p), "expected a number format (%s), found %s",
                   spx_numspec_names(), found(l.p, fbuf, sizeof fbuf));
    return -1;
  }
  name = l.p;
  while (is_ident(*l.p)) l.p++;
  name_len = (size_t)(l.p - name);
  skip_ws(&l);
  if (*l.p == '(') {
    l.p++;
    skip_ws(&l);
    if (*l.p == ')') {
      l.p++;
    } else {
      for (;;) {
        spx_numspec_opt_t o;
        int neg = 0;
        uint64_t v = 0;
        const char *digits;
        skip_ws(&l);
        if (!is_ident_start(*l.p)) {
          spx_diag_error(diag, loc_of(&l, l.p), "expected a parameter name, found %s",
                         found(l.p, fbuf, sizeof fbuf));
          return -1;
        }
        o.key = l.p;
        o.key_loc = loc_of(&l, l.p);
        while (is_ident(*l.p)) l.p++;
        o.key_len = (size_t)(l.p - o.key);
        skip_ws(&l);
        if (*l.p != '=') {
          spx_diag_error(diag, loc_of(&l, l.p), "expected '=' after '%.*s', found %s",
                         (int)o.key_len, o.key, found(l.p, fbuf, sizeof fbuf));
          return -1;
        }
        l.p++;
        skip_ws(&l);
        o.value_loc = loc_of(&l, l.p);
        if (*l.p == '-' || *l.p == '+') neg = *l.p++ == '-';
        digits = l.p;
        while (*l.p >= '0' && *l.p <= '9') {
          if (v < 1000000000) v = v * 10 + (uint64_t)(*l.p - '0');
          l.p++;
        }
        if (l.p == digits || is_ident(*l.p) || *l.p == '.') {
          spx_diag_error(diag, o.value_loc, "expected an integer value for '%.*s'",
                         (int)o.key_len, o.key);
          return -1;
        }
        o.value = neg ? -(int64_t)v : (int64_t)v;
        if (n_opts == (int)(sizeof opts / sizeof opts[0])) {
          spx_diag_error(diag, o.key_loc, "too many parameters");
          return -1;
        }
        opts[n_opts++] = o;
        skip_ws(&l);
        if (*l.p == ',') {
          l.p++;
          continue;
        }
        if (*l.p == ')') {
          l.p++;
          break;
        }
        spx_diag_error(diag, loc_of(&l, l.p), "expected ',' or ')', found %s",
                       found(l.p, fbuf, sizeof fbuf));
        return -1;
      }
    }
    skip_ws(&l);
  }
  if (*l.p) {
    spx_diag_error(diag, loc_of(&l, l.p), "unexpected %s after the number format",
                   found(l.p, fbuf, sizeof fbuf));
    return -1;
  }
  return spx_numspec_bind(name, name_len, loc_of(&l, name), opts, n_opts, diag, out);
}
