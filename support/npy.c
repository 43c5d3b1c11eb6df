/* npy.c - reading and writing NumPy .npy files.
 *
 * Format (numpy/lib/format.py): the 6-byte magic "\x93NUMPY", a major and a
 * minor version byte, the header length (uint16 LE for version 1.x, uint32
 * LE for 2.x and 3.x), then the header: a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces and ended by '\n'; then the raw array data.
 *
 * We accept '<f4', '<f8' (converted to float32), '|i1' and '<i4', C order
 * only, rank <= SPX_MAX_RANK, and insist that the file holds exactly the
 * data the header announces. Every rejection comes with a one-line reason.
 * The host is assumed little-endian (as every supported target is).
 */
#include "support/spx_support.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    SPX_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* What the header says. */
typedef struct npy_header {
  spx_dtype_t dtype; /* in memory after loading */
  size_t file_elem;  /* bytes per element in the file (8 for '<f8') */
  int is_f64;
  int want_f64;      /* spx_npy_read_f64: keep floats as doubles */
  char descr[32];
  int rank;
  int64_t dims[SPX_MAX_RANK];
  size_t count;
  size_t data_bytes; /* bytes of data in the file */
} npy_header_t;

/* ---- header dict parsing ------------------------------------------------ */

typedef struct hparse {
  const char *p, *end;
} hparse_t;

static void skip_ws(hparse_t *h) {
  while (h->p < h->end &&
         (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
    h->p++;
}

static int accept(hparse_t *h, char c) {
  skip_ws(h);
  if (h->p < h->end && *h->p == c) {
    h->p++;
    return 1;
  }
  return 0;
}

/* A quoted Python string (no escapes needed for the values we accept). */
static int parse_str(hparse_t *h, char *buf, size_t buflen) {
  char q;
  size_t n = 0;
  skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return -1;
  q = *h->p++;
  while (h->p < h->end && *h->p != q) {
    if (*h->p == '\\' || *h->p == '\n') return -1;
    if (n + 1 < buflen) buf[n++] = *h->p;
    else return -1;
    h->p++;
  }
  if (h->p >= h->end) return -1;
  h->p++;
  buf[n] = '\0';
  return 0;
}

static int parse_word(hparse_t *h, const char *w) {
  size_t n = strlen(w);
  skip_ws(h);
  if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
    h->p += n;
    return 1;
  }
  return 0;
}

static int dtype_from_descr(const char *d, npy_header_t *hd, char *err,
                            size_t errlen) {
  hd->is_f64 = 0;
  snprintf(hd->descr, sizeof hd->descr, "%s", d);
  if (strcmp(d, "<f4") == 0) {
    hd->dtype = SPX_DT_F32;
    hd->file_elem = 4;
  } else if (strcmp(d, "<f8") == 0) {
    hd->dtype = SPX_DT_F32;
    hd->file_elem = 8;
    hd->is_f64 = 1;
  } else if (strcmp(d, "|i1") == 0 || strcmp(d, "<i1") == 0 ||
             strcmp(d, "i1") == 0) {
    hd->dtype = SPX_DT_I8;
    hd->file_elem = 1;
  } else if (strcmp(d, "<i4") == 0) {
    hd->dtype = SPX_DT_I32;
    hd->file_elem = 4;
  } else if (d[0] == '>' && (strcmp(d + 1, "f4") == 0 ||
                             strcmp(d + 1, "f8") == 0 ||
                             strcmp(d + 1, "i4") == 0)) {
    set_err(err, errlen, "big-endian dtype '%s' is not supported", d);
    return -1;
  } else {
    set_err(err, errlen,
            "unsupported dtype '%s' (expected '<f4', '<f8', '|i1' or '<i4')",
            d);
    return -1;
  }
  return 0;
}

static int parse_shape(hparse_t *h, npy_header_t *hd, char *err,
                       size_t errlen) {
  hd->rank = 0;
  if (!accept(h, '(')) {
    set_err(err, errlen, "malformed header: 'shape' is not a tuple");
    return -1;
  }
  for (;;) {
    uint64_t v = 0;
    int digits = 0;
    if (accept(h, ')')) break;
    skip_ws(h);
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
      unsigned d = (unsigned)(*h->p - '0');
      if (v > (UINT64_MAX - d) / 10 || v * 10 + d > (uint64_t)INT64_MAX) {
        set_err(err, errlen, "malformed header: dimension %d is too large",
                hd->rank);
        return -1;
      }
      v = v * 10 + d;
      h->p++;
      digits++;
    }
    if (h->p < h->end && *h->p == 'L') h->p++; /* Python 2 long */
    if (!digits) {
      set_err(err, errlen,
              "malformed header: 'shape' must be a tuple of non-negative "
              "integers");
      return -1;
    }
    if (hd->rank == SPX_MAX_RANK) {
      set_err(err, errlen, "array has more than %d dimensions", SPX_MAX_RANK);
      return -1;
    }
    hd->dims[hd->rank++] = (int64_t)v;
    if (accept(h, ',')) continue;
    if (accept(h, ')')) break;
    set_err(err, errlen, "malformed header: bad 'shape' tuple");
    return -1;
  }
  return 0;
}

/* Parses the header dict text. */
static int parse_dict(const char *text, size_t len, npy_header_t *hd,
                      char *err, size_t errlen) {
  hparse_t h = {text, text + len};
  int have_descr = 0, have_fortran = 0, have_shape = 0;
  char key[32], val[32];

  if (!accept(&h, '{')) {
    set_err(err, errlen, "malformed header: expected a '{' dictionary");
    return -1;
  }
  for (;;) {
    if (accept(&h, '}')) break;
    if (parse_str(&h, key, sizeof key) != 0) {
      set_err(err, errlen, "malformed header: expected a quoted key");
      return -1;
    }
    if (!accept(&h, ':')) {
      set_err(err, errlen, "malformed header: expected ':' after key '%s'",
              key);
      return -1;
    }
    if (strcmp(key, "descr") == 0) {
      if (have_descr++) goto dup;
      if (parse_str(&h, val, sizeof val) != 0) {
        set_err(err, errlen,
                "malformed header: 'descr' is not a simple dtype string "
                "(structured arrays are not supported)");
        return -1;
      }
      if (dtype_from_descr(val, hd, err, errlen) != 0) return -1;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (have_fortran++) goto dup;
      if (parse_word(&h, "True")) {
        set_err(err, errlen, "array is in Fortran order");
        return -1;
      }
      if (!parse_word(&h, "False")) {
        set_err(err, errlen,
                "malformed header: 'fortran_order' must be True or False");
        return -1;
      }
    } else if (strcmp(key, "shape") == 0) {
      if (have_shape++) goto dup;
      if (parse_shape(&h, hd, err, errlen) != 0) return -1;
    } else {
      set_err(err, errlen, "malformed header: unexpected key '%s'", key);
      return -1;
    }
    if (accept(&h, ',')) continue;
    if (accept(&h, '}')) break;
    set_err(err, errlen, "malformed header: expected ',' or '}' after '%s'",
            key);
    return -1;
  }
  skip_ws(&h);
  if (h.p != h.end) {
    set_err(err, errlen, "malformed header: unexpected text after the '}'");
    return -1;
  }
  if (!have_descr || !have_fortran || !have_shape) {
    set_err(err, errlen, "malformed header: missing key '%s'",
            !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    return -1;
  }
  return 0;
dup:
  set_err(err, errlen, "malformed header: duplicate key '%s'", key);
  return -1;
}

/* Checks the fixed preamble; on success *hdr_off and *hdr_len locate the dict.
 * `len` is how many bytes are available (the whole file when known). */
static int parse_preamble(const unsigned char *b, size_t len, size_t *hdr_off,
                          size_t *hdr_len, char *err, size_t errlen) {
  unsigned major;
  if (len < NPY_MAGIC_LEN || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
    set_err(err, errlen, "not a .npy file (bad magic string)");
    return -1;
  }
  if (len < 8) {
    set_err(err, errlen, "file is truncated in the format version");
    return -1;
  }
  major = b[6];
  if (major == 1) {
    if (len < 10) {
      set_err(err, errlen, "file is truncated in the header length");
      return -1;
    }
    *hdr_off = 10;
    *hdr_len = (size_t)b[8] | (size_t)b[9] << 8;
  } else if (major == 2 || major == 3) {
    if (len < 12) {
      set_err(err, errlen, "file is truncated in the header length");
      return -1;
    }
    *hdr_off = 12;
    *hdr_len = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
               (size_t)b[11] << 24;
  } else {
    set_err(err, errlen, "unsupported .npy format version %u.%u", major,
            (unsigned)b[7]);
    return -1;
  }
  if (b[7] != 0) {
    set_err(err, errlen, "unsupported .npy format version %u.%u", major,
            (unsigned)b[7]);
    return -1;
  }
  return 0;
}

/* Header text -> npy_header_t, with size and overflow checks. `text` must
 * hold hdr_len bytes. */
static int parse_header_text(const char *text, size_t hdr_len,
                             npy_header_t *hd, char *err, size_t errlen) {
  size_t count = 1;
  int i;
  if (hdr_len == 0 || text[hdr_len - 1] != '\n') {
    set_err(err, errlen, "malformed header: not terminated by a newline");
    return -1;
  }
  if (memchr(text, '\0', hdr_len)) {
    set_err(err, errlen, "malformed header: contains a NUL byte");
    return -1;
  }
  {
    int want = hd->want_f64;
    memset(hd, 0, sizeof *hd);
    hd->want_f64 = want;
  }
  if (parse_dict(text, hdr_len, hd, err, errlen) != 0) return -1;
  for (i = 0; i < hd->rank; i++) {
    uint64_t d = (uint64_t)hd->dims[i];
    if (d != 0 && count > SIZE_MAX / d) goto overflow;
    count *= (size_t)d;
  }
  if (count > SIZE_MAX / 8) goto overflow;
  hd->count = count;
  hd->data_bytes = count * hd->file_elem;
  return 0;
overflow:
  set_err(err, errlen, "array size overflows (shape too large)");
  return -1;
}

static int check_data_len(const npy_header_t *hd, size_t avail, char *err,
                          size_t errlen) {
  if (avail < hd->data_bytes) {
    set_err(err, errlen,
            "file is truncated: expected %zu bytes of data, found %zu",
            hd->data_bytes, avail);
    return -1;
  }
  if (avail > hd->data_bytes) {
    set_err(err, errlen,
            "file has %zu unexpected bytes after the %zu bytes of data",
            avail - hd->data_bytes, hd->data_bytes);
    return -1;
  }
  return 0;
}

static void fill_out(const npy_header_t *hd, spx_npy_t *out) {
  out->dtype = hd->dtype;
  out->rank = hd->rank;
  memcpy(out->dims, hd->dims, sizeof out->dims);
  out->count = hd->count;
}

/* Allocates the output array (at least 1 byte so that malloc(0) is never
 * ambiguous) and fills it from `src` (file bytes). */
static int store_data(const npy_header_t *hd, const void *src, spx_npy_t *out,
                      char *err, size_t errlen) {
  size_t out_bytes = hd->count * spx_dtype_size(hd->dtype);
  if (hd->want_f64) {
    /* Floats as doubles, exactly (spx_npy_read_f64). */
    const unsigned char *s = src;
    double *d;
    size_t i;
    if (hd->dtype != SPX_DT_F32) {
      set_err(err, errlen, "not a float array (dtype '%s'; expected '<f4' or '<f8')",
              hd->descr);
      return -1;
    }
    out_bytes = hd->count * 8;
    d = malloc(out_bytes ? out_bytes : 1);
    if (!d) {
      set_err(err, errlen, "out of memory reading %zu bytes", out_bytes);
      return -1;
    }
    for (i = 0; i < hd->count; i++) {
      if (hd->is_f64) {
        memcpy(&d[i], s + i * 8, 8);
      } else {
        float v;
        memcpy(&v, s + i * 4, 4);
        d[i] = v;
      }
    }
    fill_out(hd, out);
    out->data = d;
    return 0;
  }
  void *data = malloc(out_bytes ? out_bytes : 1);
  if (!data) {
    set_err(err, errlen, "out of memory reading %zu bytes", out_bytes);
    return -1;
  }
  if (hd->is_f64) {
    const unsigned char *s = src;
    float *d = data;
    size_t i;
    for (i = 0; i < hd->count; i++) {
      double v;
      memcpy(&v, s + i * 8, 8);
      d[i] = (float)v;
    }
  } else if (out_bytes) {
    memcpy(data, src, out_bytes);
  }
  fill_out(hd, out);
  out->data = data;
  return 0;
}

static int parse_mem(const void *bytes, size_t len, int want_f64, spx_npy_t *out_npy,
                     int *out_is_f64, char *err, size_t errlen) {
  const unsigned char *b = bytes;
  size_t hdr_off, hdr_len;
  npy_header_t hd;

  memset(out_npy, 0, sizeof *out_npy);
  hd.want_f64 = want_f64;
  if (parse_preamble(b, len, &hdr_off, &hdr_len, err, errlen) != 0) return -1;
  if (hdr_len > len - hdr_off) {
    set_err(err, errlen,
            "file is truncated: header length is %zu but only %zu bytes "
            "follow",
            hdr_len, len - hdr_off);
    return -1;
  }
  if (parse_header_text((const char *)b + hdr_off, hdr_len, &hd, err,
                        errlen) != 0)
    return -1;
  if (check_data_len(&hd, len - hdr_off - hdr_len, err, errlen) != 0)
    return -1;
  if (out_is_f64) *out_is_f64 = hd.is_f64;
  return store_data(&hd, b + hdr_off + hdr_len, out_npy, err, errlen);
}

int spx_npy_parse(const void *bytes, size_t len, spx_npy_t *out_npy, char *err,
                  size_t errlen) {
  return parse_mem(bytes, len, 0, out_npy, NULL, err, errlen);
}

int spx_npy_parse_f64(const void *bytes, size_t len, spx_npy_t *out_npy, int *out_is_f64,
                      char *err, size_t errlen) {
  return parse_mem(bytes, len, 1, out_npy, out_is_f64, err, errlen);
}

/* Opens path for reading and measures it; NULL after an error. */
static FILE *open_sized(const char *path, long *out_size, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    set_err(err, errlen, "cannot open file: %s", strerror(errno));
    return NULL;
  }
  /* a directory opens for reading; reading it fails (EISDIR) */
  if ((getc(f) == EOF && ferror(f)) || fseek(f, 0, SEEK_END) != 0 ||
      (*out_size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    set_err(err, errlen, "cannot read file: %s", strerror(errno));
    fclose(f);
    return NULL;
  }
  spx_inputs_note(path);
  return f;
}

int spx_npy_read_f64(const char *path, spx_npy_t *out_npy, int *out_is_f64, char *err,
                     size_t errlen) {
  long fsize;
  unsigned char *buf;
  int rc;

  memset(out_npy, 0, sizeof *out_npy);
  FILE *f = open_sized(path, &fsize, err, errlen);
  if (!f) return -1;
  buf = malloc(fsize ? (size_t)fsize : 1);
  if (!buf) {
    set_err(err, errlen, "out of memory reading %ld bytes", fsize);
    fclose(f);
    return -1;
  }
  if (fread(buf, 1, (size_t)fsize, f) != (size_t)fsize) {
    set_err(err, errlen, "cannot read file: %s",
            ferror(f) ? strerror(errno) : "unexpected end of file");
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  rc = parse_mem(buf, (size_t)fsize, 1, out_npy, out_is_f64, err, errlen);
  free(buf);
  return rc;
}

int spx_npy_read(const char *path, spx_npy_t *out_npy, char *err,
                 size_t errlen) {
  FILE *f;
  unsigned char pre[12];
  size_t got, hdr_off, hdr_len, avail;
  long fsize;
  char *text = NULL;
  void *raw = NULL;
  npy_header_t hd;
  int rc = -1;

  memset(&hd, 0, sizeof hd); /* want_f64 = 0: floats become f32 */
  memset(out_npy, 0, sizeof *out_npy);
  f = open_sized(path, &fsize, err, errlen);
  if (!f) return -1;
  got = fread(pre, 1, sizeof pre, f);
  if (parse_preamble(pre, got, &hdr_off, &hdr_len, err, errlen) != 0)
    goto out;
  if (hdr_len > (size_t)fsize - hdr_off) {
    set_err(err, errlen,
            "file is truncated: header length is %zu but only %zu bytes "
            "follow",
            hdr_len, (size_t)fsize - hdr_off);
    goto out;
  }
  text = malloc(hdr_len ? hdr_len : 1);
  if (!text || fseek(f, (long)hdr_off, SEEK_SET) != 0 ||
      fread(text, 1, hdr_len, f) != hdr_len) {
    set_err(err, errlen, "cannot read the header");
    goto out;
  }
  if (parse_header_text(text, hdr_len, &hd, err, errlen) != 0) goto out;
  avail = (size_t)fsize - hdr_off - hdr_len;
  if (check_data_len(&hd, avail, err, errlen) != 0) goto out;
  if (!hd.is_f64) {
    /* Read straight into the result buffer. */
    out_npy->data = malloc(hd.data_bytes ? hd.data_bytes : 1);
    if (!out_npy->data) {
      set_err(err, errlen, "out of memory reading %zu bytes", hd.data_bytes);
      goto out;
    }
    if (fread(out_npy->data, 1, hd.data_bytes, f) != hd.data_bytes) {
      set_err(err, errlen, "cannot read the data: %s",
              ferror(f) ? strerror(errno) : "unexpected end of file");
      free(out_npy->data);
      out_npy->data = NULL;
      goto out;
    }
    fill_out(&hd, out_npy);
  } else {
    raw = malloc(hd.data_bytes ? hd.data_bytes : 1);
    if (!raw) {
      set_err(err, errlen, "out of memory reading %zu bytes", hd.data_bytes);
      goto out;
    }
    if (fread(raw, 1, hd.data_bytes, f) != hd.data_bytes) {
      set_err(err, errlen, "cannot read the data: %s",
              ferror(f) ? strerror(errno) : "unexpected end of file");
      goto out;
    }
    if (store_data(&hd, raw, out_npy, err, errlen) != 0) goto out;
  }
  rc = 0;
out:
  free(text);
  free(raw);
  fclose(f);
  if (rc != 0) memset(out_npy, 0, sizeof *out_npy);
  return rc;
}

void spx_npy_free(spx_npy_t *npy) {
  if (!npy) return;
  free(npy->data);
  memset(npy, 0, sizeof *npy);
}

int spx_npy_fwrite(FILE *f, spx_dtype_t dtype, int rank, const int64_t *dims,
                   const void *data) {
  const char *descr;
  size_t elem;

  switch (dtype) {
  case SPX_DT_F32: descr = "<f4"; elem = 4; break;
  case SPX_DT_I8: descr = "|i1"; elem = 1; break;
  case SPX_DT_I32: descr = "<i4"; elem = 4; break;
  case SPX_DT_U8: descr = "|u1"; elem = 1; break; /* encoded weight formats */
  default: errno = EINVAL; return -1;
  }
  return spx_npy_fwrite_descr(f, descr, elem, rank, dims, data);
}

int spx_npy_fwrite_descr(FILE *f, const char *descr, size_t elem, int rank,
                         const int64_t *dims, const void *data) {
  char hdr[512];
  size_t n, total, count = 1;
  int i;

  if (!descr || strlen(descr) > 8 || elem == 0 || elem > 8) {
    errno = EINVAL;
    return -1;
  }
  if (rank < 0 || rank > SPX_MAX_RANK) {
    errno = EINVAL;
    return -1;
  }
  /* Magic, version 1.0, 2-byte length, then the dict. */
  memcpy(hdr, NPY_MAGIC, NPY_MAGIC_LEN);
  hdr[6] = 1;
  hdr[7] = 0;
  n = 10;
  n += (size_t)snprintf(hdr + n, sizeof hdr - n,
                        "{'descr': '%s', 'fortran_order': False, 'shape': (",
                        descr);
  for (i = 0; i < rank; i++) {
    if (dims[i] < 0) {
      errno = EINVAL;
      return -1;
    }
    n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%s%lld", i ? ", " : "",
                          (long long)dims[i]);
    if ((uint64_t)dims[i] != 0 && count > SIZE_MAX / 8 / (uint64_t)dims[i]) {
      errno = EOVERFLOW;
      return -1;
    }
    count *= (size_t)dims[i];
  }
  n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%s), }",
                        rank == 1 ? "," : "");
  /* Pad with spaces so that the data starts at a multiple of 64; the
   * header ends with '\n'. */
  total = (n + 1 + 63) / 64 * 64;
  SPX_ASSERT(total <= sizeof hdr);
  memset(hdr + n, ' ', total - n - 1);
  hdr[total - 1] = '\n';
  hdr[8] = (char)((total - 10) & 0xff);
  hdr[9] = (char)((total - 10) >> 8);

  errno = 0;
  if (fwrite(hdr, 1, total, f) != total ||
      (count && fwrite(data, elem, count, f) != count)) {
    if (!errno) errno = EIO;
    return -1;
  }
  return 0;
}

typedef struct npy_args {
  spx_dtype_t dtype;
  int rank;
  const int64_t *dims;
  const void *data;
} npy_args_t;

static int emit_npy(FILE *f, void *user) {
  const npy_args_t *a = user;
  return spx_npy_fwrite(f, a->dtype, a->rank, a->dims, a->data);
}

int spx_npy_write(const char *path, spx_dtype_t dtype, int rank,
                  const int64_t *dims, const void *data) {
  npy_args_t a = {dtype, rank, dims, data};
  return spx_outfile_write(path, emit_npy, &a);
}
