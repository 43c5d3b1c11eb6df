/* json.c - the strict JSON reader of json.h: recursive descent with an
 * explicit depth limit, every read checked against the end of the text. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *p, *end;
  const char *line_start;
  int line;
  spx_json_error_t *err;
  int failed;
} parser_t;

static int col_of(const parser_t *ps, const char *at) {
  return (int)(at - ps->line_start) + 1;
}

static void fail_at(parser_t *ps, const char *at, const char *msg) {
  if (ps->failed) return;
  ps->failed = 1;
  ps->err->line = ps->line;
  ps->err->col = col_of(ps, at);
  snprintf(ps->err->message, sizeof ps->err->message, "%s", msg);
}

/* "unexpected 'x'" / "unexpected end of file" / "unexpected byte 0x01". */
static void fail_unexpected(parser_t *ps, const char *what) {
  char msg[128];
  if (ps->p >= ps->end)
    snprintf(msg, sizeof msg, "unexpected end of file, expected %s", what);
  else if ((unsigned char)*ps->p >= 0x21 && (unsigned char)*ps->p < 0x7f)
    snprintf(msg, sizeof msg, "unexpected '%c', expected %s", *ps->p, what);
  else
    snprintf(msg, sizeof msg, "unexpected byte 0x%02x, expected %s", (unsigned char)*ps->p,
             what);
  fail_at(ps, ps->p, msg);
}

static void skip_ws(parser_t *ps) {
  while (ps->p < ps->end) {
    char c = *ps->p;
    if (c == '\n') {
      ps->p++;
      ps->line++;
      ps->line_start = ps->p;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ps->p++;
    } else {
      break;
    }
  }
}

static spx_json_t *new_value(parser_t *ps, spx_json_kind_t kind, const char *at) {
  spx_json_t *v = calloc(1, sizeof *v);
  if (!v) {
    fail_at(ps, at, "out of memory");
    return NULL;
  }
  v->kind = kind;
  v->line = ps->line;
  v->col = col_of(ps, at);
  return v;
}

void spx_json_free(spx_json_t *v) {
  size_t i;
  if (!v) return;
  for (i = 0; i < v->len && (v->kind == SPX_JSON_ARRAY || v->kind == SPX_JSON_OBJECT); ++i) {
    spx_json_free(v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->string);
  free(v);
}

/* A growable byte buffer for strings. */
typedef struct buf {
  char *data;
  size_t len, cap;
} buf_t;

static int buf_put(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 32;
    char *d;
    while (cap < b->len + n + 1) cap *= 2;
    d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; ++i) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

/* Length of the valid UTF-8 sequence at p (not ASCII), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  size_t n, i;
  unsigned cp;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) n = 2, cp = p[0] & 0x1fu;
  else if (p[0] >= 0xe0 && p[0] <= 0xef) n = 3, cp = p[0] & 0x0fu;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4) n = 4, cp = p[0] & 0x07u;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (i = 1; i < n; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

static void put_utf8(buf_t *b, unsigned cp, int *oom) {
  char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
    u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
  else
    u[0] = (char)(0xf0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
  if (buf_put(b, u, n)) *oom = 1;
}

/* At '"': the decoded string, or NULL after an error. */
static char *parse_string(parser_t *ps, size_t *out_len) {
  buf_t b = {NULL, 0, 0};
  int oom = 0;
  const char *open = ps->p;
  ps->p++;
  if (buf_put(&b, "", 0)) oom = 1;
  for (;;) {
    const char *run = ps->p;
    while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
           (unsigned char)*ps->p >= 0x20 && (unsigned char)*ps->p < 0x80)
      ps->p++;
    if (!oom && buf_put(&b, run, (size_t)(ps->p - run))) oom = 1;
    if (ps->p >= ps->end) {
      fail_at(ps, open, "unterminated string");
      break;
    }
    if (*ps->p == '"') {
      ps->p++;
      break;
    }
    if ((unsigned char)*ps->p < 0x20) {
      fail_at(ps, ps->p, *ps->p == '\n' ? "unterminated string (a newline in a string is "
                                          "written \\n)"
                                        : "control character in a string (write it as "
                                          "\\uXXXX)");
      break;
    }
    if ((unsigned char)*ps->p >= 0x80) {
      size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
      if (!n) {
        fail_at(ps, ps->p, "invalid UTF-8 in a string");
        break;
      }
      if (!oom && buf_put(&b, ps->p, n)) oom = 1;
      ps->p += n;
      continue;
    }
    /* backslash */
    {
      const char *esc = ps->p;
      char c;
      if (ps->end - ps->p < 2) {
        fail_at(ps, open, "unterminated string");
        break;
      }
      c = ps->p[1];
      ps->p += 2;
      if (c == 'u') {
        unsigned cp, lo;
        if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) {
          fail_at(ps, esc, "invalid \\u escape (four hex digits)");
          break;
        }
        ps->p += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          fail_at(ps, esc, "lone low surrogate in a \\u escape");
          break;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
              hex4(ps->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
            fail_at(ps, esc, "high surrogate not followed by a low surrogate");
            break;
          }
          ps->p += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (!oom) put_utf8(&b, cp, &oom);
      } else {
        const char *rep = NULL;
        switch (c) {
        case '"': rep = "\""; break;
        case '\\': rep = "\\"; break;
        case '/': rep = "/"; break;
        case 'b': rep = "\b"; break;
        case 'f': rep = "\f"; break;
        case 'n': rep = "\n"; break;
        case 'r': rep = "\r"; break;
        case 't': rep = "\t"; break;
        default: break;
        }
        if (!rep) {
          fail_at(ps, esc, "invalid escape in a string");
          break;
        }
        if (!oom && buf_put(&b, rep, 1)) oom = 1;
      }
    }
  }
  if (!ps->failed && oom) fail_at(ps, open, "out of memory");
  if (ps->failed) {
    free(b.data);
    return NULL;
  }
  *out_len = b.len;
  return b.data;
}

static spx_json_t *parse_number(parser_t *ps) {
  const char *start = ps->p, *q = ps->p;
  char tmp[400];
  char *endp;
  spx_json_t *v;
  double d;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') {
    ps->p = q;
    fail_unexpected(ps, "a digit");
    return NULL;
  }
  if (*q == '0') {
    q++;
    if (q < ps->end && *q >= '0' && *q <= '9') {
      fail_at(ps, start, "leading zero in a number");
      return NULL;
    }
  } else {
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && *q == '.') {
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') {
      ps->p = q;
      fail_unexpected(ps, "a digit after '.'");
      return NULL;
    }
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') {
      ps->p = q;
      fail_unexpected(ps, "a digit in the exponent");
      return NULL;
    }
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if ((size_t)(q - start) >= sizeof tmp) {
    fail_at(ps, start, "number too long");
    return NULL;
  }
  memcpy(tmp, start, (size_t)(q - start));
  tmp[q - start] = 0;
  errno = 0;
  d = strtod(tmp, &endp);
  if (*endp || !isfinite(d) || (errno == ERANGE && fabs(d) > 1.0)) {
    fail_at(ps, start, "number out of range");
    return NULL;
  }
  v = new_value(ps, SPX_JSON_NUMBER, start);
  if (!v) return NULL;
  v->number = d;
  ps->p = q;
  return v;
}

static int match_word(parser_t *ps, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n)) return 0;
  ps->p += n;
  return 1;
}

static int push_item(parser_t *ps, spx_json_t *v, spx_json_t *item, char *key, size_t *cap,
                     const char *at) {
  if (v->len == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    spx_json_t **items = realloc(v->items, nc * sizeof *items);
    if (items) v->items = items;
    if (items && v->kind == SPX_JSON_OBJECT) {
      char **keys = realloc(v->keys, nc * sizeof *keys);
      if (keys) v->keys = keys;
      else items = NULL;
    }
    if (!items) {
      fail_at(ps, at, "out of memory");
      spx_json_free(item);
      free(key);
      return -1;
    }
    *cap = nc;
  }
  v->items[v->len] = item;
  if (v->kind == SPX_JSON_OBJECT) v->keys[v->len] = key;
  v->len++;
  return 0;
}

static spx_json_t *parse_value(parser_t *ps, int depth);

static spx_json_t *parse_container(parser_t *ps, int depth, int object) {
  const char *open = ps->p;
  spx_json_t *v = new_value(ps, object ? SPX_JSON_OBJECT : SPX_JSON_ARRAY, open);
  size_t cap = 0;
  char close = object ? '}' : ']';
  if (!v) return NULL;
  if (depth >= SPX_JSON_MAX_DEPTH) {
    fail_at(ps, open, "nesting too deep");
    spx_json_free(v);
    return NULL;
  }
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return v;
  }
  for (;;) {
    char *key = NULL;
    spx_json_t *item;
    const char *at;
    skip_ws(ps);
    at = ps->p;
    if (object) {
      size_t klen, i;
      if (ps->p >= ps->end || *ps->p != '"') {
        fail_unexpected(ps, "a string (an object's key)");
        break;
      }
      key = parse_string(ps, &klen);
      if (!key) break;
      for (i = 0; i < v->len; ++i)
        if (!strcmp(v->keys[i], key)) break;
      if (i < v->len) {
        char msg[160];
        snprintf(msg, sizeof msg, "duplicate key \"%.100s\"", key);
        fail_at(ps, at, msg);
        free(key);
        break;
      }
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(key);
        fail_unexpected(ps, "':'");
        break;
      }
      ps->p++;
      skip_ws(ps);
    }
    item = parse_value(ps, depth + 1);
    if (!item) {
      free(key);
      break;
    }
    if (push_item(ps, v, item, key, &cap, at)) break;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == close) {
        fail_at(ps, ps->p, object ? "trailing comma in an object" : "trailing comma in an array");
        break;
      }
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      return v;
    }
    fail_unexpected(ps, object ? "',' or '}'" : "',' or ']'");
    break;
  }
  spx_json_free(v);
  return NULL;
}

static spx_json_t *parse_value(parser_t *ps, int depth) {
  const char *at;
  spx_json_t *v;
  skip_ws(ps);
  at = ps->p;
  if (ps->p >= ps->end) {
    fail_unexpected(ps, "a value");
    return NULL;
  }
  switch (*ps->p) {
  case '{': return parse_container(ps, depth, 1);
  case '[': return parse_container(ps, depth, 0);
  case '"': {
    size_t len;
    char *s = parse_string(ps, &len);
    if (!s) return NULL;
    v = new_value(ps, SPX_JSON_STRING, at);
    if (!v) {
      free(s);
      return NULL;
    }
    /* the position of the opening quote, on the line it was on */
    v->string = s;
    v->len = len;
    return v;
  }
  case 't':
  case 'f':
  case 'n':
    if (match_word(ps, "true") || match_word(ps, "false")) {
      v = new_value(ps, SPX_JSON_BOOL, at);
      if (v) v->boolean = *at == 't';
      return v;
    }
    if (match_word(ps, "null")) return new_value(ps, SPX_JSON_NULL, at);
    break;
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps);
    break;
  }
  fail_unexpected(ps, "a value");
  return NULL;
}

spx_json_t *spx_json_parse(const char *text, size_t len, spx_json_error_t *err) {
  parser_t ps;
  spx_json_t *v;
  ps.p = text;
  ps.end = text + len;
  ps.line_start = text;
  ps.line = 1;
  ps.err = err;
  ps.failed = 0;
  err->line = 1;
  err->col = 1;
  err->message[0] = 0;
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
    fail_at(&ps, text, "byte order mark at the start of the file (JSON has none)");
    return NULL;
  }
  v = parse_value(&ps, 0);
  if (!v) return NULL;
  skip_ws(&ps);
  if (ps.p < ps.end) {
    fail_unexpected(&ps, "the end of the file after the value");
    spx_json_free(v);
    return NULL;
  }
  return v;
}

const spx_json_t *spx_json_get(const spx_json_t *v, const char *key) {
  size_t i;
  if (!v || v->kind != SPX_JSON_OBJECT) return NULL;
  for (i = 0; i < v->len; ++i)
    if (!strcmp(v->keys[i], key)) return v->items[i];
  return NULL;
}

const char *spx_json_kind_name(spx_json_kind_t kind) {
  switch (kind) {
  case SPX_JSON_NULL: return "null";
  case SPX_JSON_BOOL: return "true or false";
  case SPX_JSON_NUMBER: return "a number";
  case SPX_JSON_STRING: return "a string";
  case SPX_JSON_ARRAY: return "an array";
  case SPX_JSON_OBJECT: return "an object";
  }
  return "a value";
}
