/* status.c - the runtime's status messages and its freestanding
 * formatter (spx_status.h). */
#include "runtime/spx_status.h"

#include <stdbool.h>

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* ---- formatter ----------------------------------------------------------- */

typedef struct fmt_out {
  char *buf;
  size_t cap;
  size_t len;
} fmt_out_t;

static void out_c(fmt_out_t *o, char c) {
  if (o->cap && o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void out_pad(fmt_out_t *o, char c, size_t n) {
  while (n--) out_c(o, c);
}

/* Emits digits (already in `d`, most significant first) with sign and
 * padding. */
static void out_field(fmt_out_t *o, const char *sign, const char *d, size_t n,
                      size_t width, bool left, bool zero) {
  size_t sl = str_len(sign), total = sl + n;
  size_t pad = width > total ? width - total : 0;
  if (!left && !zero) out_pad(o, ' ', pad);
  for (size_t i = 0; i < sl; i++) out_c(o, sign[i]);
  if (!left && zero) out_pad(o, '0', pad);
  for (size_t i = 0; i < n; i++) out_c(o, d[i]);
  if (left) out_pad(o, ' ', pad);
}

/* The digits of v in base `base` into tmp, most significant first; their
 * count. Written from the last digit back (the count known first), not
 * reversed in place: gcc 12 vectorizes such a reversal for AVX-512 and then
 * warns of 32-byte stores into the callers' small buffers
 * (-Wstringop-overflow, a false positive that -Werror builds refuse). */
static size_t utoa_digits(uint64_t v, unsigned base, bool upper, char *tmp) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  size_t n = 1, i;
  for (uint64_t t = v; t >= base; t /= base) n++;
  for (i = n; i-- > 0; v /= base) tmp[i] = digits[v % base];
  return n;
}

/* %g with 6 significant digits, computed with plain double arithmetic (no
 * libm); deterministic for a given input. */
static void out_g(fmt_out_t *o, double v, size_t width, bool left) {
  char d[32];
  size_t n = 0;
  const char *sign = "";
  if (v != v) {
    out_field(o, "", "nan", 3, width, left, false);
    return;
  }
  if (v < 0) {
    sign = "-";
    v = -v;
  }
  if (v > 1.7976931348623157e308) {
    out_field(o, sign, "inf", 3, width, left, false);
    return;
  }
  if (v == 0) {
    out_field(o, sign, "0", 1, width, left, false);
    return;
  }
  int e = 0;
  while (v >= 10.0) { v /= 10.0; e++; }
  while (v < 1.0) { v *= 10.0; e--; }
  uint64_t m = (uint64_t)(v * 100000.0 + 0.5); /* 6 digits */
  if (m >= 1000000u) { m /= 10; e++; }
  char md[8];
  size_t mn = utoa_digits(m, 10, false, md); /* 6 digits */
  size_t last = mn; /* strip trailing zeros */
  while (last > 1 && md[last - 1] == '0') last--;
  if (e >= -4 && e < 6) { /* as printf %g */
    if (e >= 0) {
      for (int i = 0; i <= e; i++) d[n++] = (size_t)i < last ? md[i] : '0';
      if ((size_t)e + 1 < last) {
        d[n++] = '.';
        for (size_t i = (size_t)e + 1; i < last; i++) d[n++] = md[i];
      }
    } else {
      d[n++] = '0';
      d[n++] = '.';
      for (int i = 0; i < -e - 1; i++) d[n++] = '0';
      for (size_t i = 0; i < last; i++) d[n++] = md[i];
    }
  } else {
    d[n++] = md[0];
    if (last > 1) {
      d[n++] = '.';
      for (size_t i = 1; i < last; i++) d[n++] = md[i];
    }
    d[n++] = 'e';
    d[n++] = e < 0 ? '-' : '+';
    unsigned ae = (unsigned)(e < 0 ? -e : e);
    if (ae < 10) d[n++] = '0';
    n += utoa_digits(ae, 10, false, d + n);
  }
  out_field(o, sign, d, n, width, left, false);
}

size_t spx_rt_vformat(char *buf, size_t cap, const char *fmt, va_list ap) {
  fmt_out_t o = {buf, cap, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      out_c(&o, *f);
      continue;
    }
    f++;
    bool left = false, zero = false;
    for (;; f++) {
      if (*f == '-') left = true;
      else if (*f == '0') zero = true;
      else break;
    }
    size_t width = 0;
    while (*f >= '0' && *f <= '9') width = width * 10 + (size_t)(*f++ - '0');
    size_t prec = (size_t)-1;
    if (*f == '.') {
      f++;
      prec = 0;
      if (*f == '*') {
        int p = va_arg(ap, int);
        prec = p < 0 ? 0 : (size_t)p;
        f++;
      } else {
        while (*f >= '0' && *f <= '9') prec = prec * 10 + (size_t)(*f++ - '0');
      }
    }
    int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
    if (*f == 'h') {
      f++;
      if (*f == 'h') f++;
    } else if (*f == 'l') {
      f++;
      lng = 1;
      if (*f == 'l') { f++; lng = 2; }
    } else if (*f == 'z') {
      f++;
      lng = 3;
    }
    char tmp[24];
    switch (*f) {
    case 'd':
    case 'i': {
      int64_t v = lng == 1 ? va_arg(ap, long)
                  : lng == 2 ? va_arg(ap, long long)
                  : lng == 3 ? (int64_t)va_arg(ap, size_t)
                             : va_arg(ap, int);
      uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      size_t n = utoa_digits(u, 10, false, tmp);
      out_field(&o, v < 0 ? "-" : "", tmp, n, width, left, zero && !left);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64_t u = lng == 1 ? va_arg(ap, unsigned long)
                   : lng == 2 ? va_arg(ap, unsigned long long)
                   : lng == 3 ? va_arg(ap, size_t)
                              : va_arg(ap, unsigned);
      size_t n = utoa_digits(u, *f == 'u' ? 10 : 16, *f == 'X', tmp);
      out_field(&o, "", tmp, n, width, left, zero && !left);
      break;
    }
    case 'c':
      tmp[0] = (char)va_arg(ap, int);
      out_field(&o, "", tmp, 1, width, left, false);
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      size_t n = 0;
      while (n < prec && s[n]) n++;
      out_field(&o, "", s, n, width, left, false);
      break;
    }
    case 'g':
    case 'f':
      out_g(&o, va_arg(ap, double), width, left);
      break;
    case '%':
      out_c(&o, '%');
      break;
    default: /* unknown conversion: print it literally; never read args */
      out_c(&o, '%');
      if (!*f) return o.len; /* "%" at the end */
      out_c(&o, *f);
      break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}

size_t spx_rt_format(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = spx_rt_vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

/* ---- status ---------------------------------------------------------------- */

const char *spx_rt_status_name(spx_rt_status_t status) {
  switch (status) {
#define X(E, v, name) case SPX_RT_##E: return name;
    SPX_RT_STATUSES(X)
#undef X
  }
  return "unknown status";
}

void spx_rt_error_clear(spx_rt_error_t *e) {
  if (!e) return;
  e->status = SPX_RT_OK;
  e->command = SPX_RT_NO_COMMAND;
  e->message[0] = '\0';
}

spx_rt_status_t spx_rt_error_vset(spx_rt_error_t *e, spx_rt_status_t st,
                                  uint32_t command, const char *fmt, va_list ap) {
  if (!e) return st;
  e->status = st;
  e->command = command;
  size_t n = spx_rt_vformat(e->message, sizeof e->message, fmt, ap);
  if (n >= sizeof e->message) { /* mark truncation */
    char *m = e->message + sizeof e->message - 4;
    m[0] = m[1] = m[2] = '.';
  }
  return st;
}

spx_rt_status_t spx_rt_error_set(spx_rt_error_t *e, spx_rt_status_t st,
                                 const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_rt_error_vset(e, st, SPX_RT_NO_COMMAND, fmt, ap);
  va_end(ap);
  return st;
}

spx_rt_status_t spx_rt_error_set_at(spx_rt_error_t *e, spx_rt_status_t st,
                                    uint32_t command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_rt_error_vset(e, st, command, fmt, ap);
  va_end(ap);
  return st;
}
