/* spx-quant: what a number format does to an array, before compiling a
 * network with it.
 *
 *   spx-quant --codebook SPEC
 *   spx-quant SPEC IN.npy -o OUT.npy [--codes CODES.npy]
 *
 * SPEC is a number format as written in a .spx file: a scalar format, int8,
 * posit(n=8, es=0), lp(n=8, es=1, rs=4, sf=2) (runtime/formats/
 * spx_numfmt.h, support/spx_numspec.h), or the structured sparse ternary
 * weights of `sparsify LAYER : ternary(n=8, k=2, scale=channel)`
 * (support/spx_ternary_project.h, runtime/formats/spx_formats.h), or the
 * binary weights of `quantize LAYER : binary` (runtime/formats/
 * spx_formats.h, "BINARY").
 *
 * Scalar formats: --codebook prints every code in code order, "0x40<TAB>1"
 * (hex code of the code's width, value with %.17g, NaR as nan). Quantizing
 * reads an f32 or f64 .npy, writes the decoded values (same dtype and shape)
 * and the codes (uint8 up to 8 bits, uint16 above), and prints the MSE,
 * SQNR and maximum absolute error.
 *
 * ternary: --codebook prints every pattern of the (n, k) book in code
 * order, "0x11<TAB>1 1 0 0" (the code, then lanes 0 .. n-1 as -1, 0 or 1).
 * Quantizing projects a weight array, rank 2 [out, in] or rank 4 [out, in,
 * kh, kw], as the ternary pass does (the same code), writes alpha * t (same
 * dtype and shape) and t as int8, and prints the errors and the format's
 * facts (sparsity, alpha, code and encoded bits).
 *
 * binary: --codebook prints the two values ("0x0<TAB>-1", "0x1<TAB>1", the
 * stored bit and its value). Quantizing binarizes a weight array (rank 2 or
 * 4) as the binarize pass does: alpha_r = mean |w| of output channel r (in
 * double, rounded once to f32), b = +1 where w >= 0, else -1; writes
 * alpha * b (same dtype and shape) and b as int8, and prints the errors, the
 * alphas, the binary encoding's size and the channels the flip rule would
 * store negated.
 *
 * Outputs are written all or nothing. Exit status: 0, 1 for bad input (a
 * bad SPEC as a located "<command line>:1:COL: error: ..."; "spx-quant:
 * FILE: error: ..."), 2 for a usage error. docs/number-formats.md has the
 * formats and the rules. */
#define _GNU_SOURCE /* getopt_long */

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/spx_numfmt.h"
#include "support/spx_numspec.h"
#include "support/spx_support.h"
#include "support/spx_ternary_project.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "spx-quant";
/* Where the figures of a quantization go: stdout, or stderr when stdout
 * holds an output file (-o - or --codes -). */
static FILE *info_out;

#define error(...) spx_file_error(prog, __VA_ARGS__)

static const char usage_text[] =
    "usage: spx-quant --codebook SPEC\n"
    "       spx-quant SPEC IN.npy -o OUT.npy [--codes CODES.npy]\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: error: ", prog);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s(try '%s --help')\n", usage_text, prog);
  return 2;
}

static void help(void) {
  unsigned n, i, k;
  const spx_numfmt_desc_t *const *t = spx_numfmt_table(&n);
  printf("%s"
         "Shows what a number format does: its code book, or an array quantized\n"
         "with it.\n"
         "\n"
         "  --codebook SPEC      print every code in code order, one per line: the\n"
         "                       code in hex, a tab, then its value (%%.17g; NaR as\n"
         "                       nan); ternary: the pattern, lanes 0 .. n-1 as -1, 0\n"
         "                       or 1 separated by spaces (0x00<TAB>0 0 0 0);\n"
         "                       binary: 0x0<TAB>-1, 0x1<TAB>1\n"
         "  SPEC IN.npy          quantize an f32 or f64 array: encode every value,\n"
         "                       decode it back, print MSE, SQNR (dB), the largest\n"
         "                       absolute error and the count of NaR codes;\n"
         "                       ternary, binary: project a weight array (below)\n"
         "  -o, --output OUT.npy the decoded values, same dtype and shape (ternary:\n"
         "                       alpha * t; binary: alpha * b); '-': standard output\n"
         "                       (the figures then go to standard error)\n"
         "  --codes CODES.npy    the codes: uint8 (<= 8 bits) or uint16; ternary: t\n"
         "                       as int8 (-1, 0, 1); binary: b as int8 (-1, 1); same\n"
         "                       shape\n"
         "  -h, --help           this text\n"
         "  -V, --version        the spx-quant version\n"
         "IN.npy '-' reads standard input; options take their value as '--opt VALUE'\n"
         "or '--opt=VALUE'.\n"
         "\n"
         "SPEC is written as in a .spx file, NAME or NAME(KEY=VALUE, ...):\n",
         usage_text);
  for (i = 0; i < n; ++i) {
    printf("  %-6s %s\n", t[i]->name, t[i]->summary);
    for (k = 0; k < t[i]->n_params; ++k)
      printf("         %-3s %ld..%ld: %s\n", t[i]->params[k].name, (long)t[i]->params[k].min,
             (long)t[i]->params[k].max, t[i]->params[k].doc);
  }
  printf("  ternary structured sparse ternary weights, alpha * t with t in {-1, 0, 1},\n"
         "         as `sparsify LAYER : ternary(...)`; options named and optional:\n"
         "         n     %d..%d (default %d): lanes per group (input channels)\n"
         "         k     1..n (default %d): non-zero weights per group at most\n"
         "         scale channel (default): one alpha per output channel; layer:\n"
         "               one alpha for the array\n"
         "         first, last 0 or 1: accepted as in a .spx file; no effect here\n",
         SPX_FMT_TERNARY_MIN_N, SPX_FMT_TERNARY_MAX_N, SPX_TERNARY_DEFAULT_N,
         SPX_TERNARY_DEFAULT_K);
  printf("  binary binary weights, alpha * b with b in {-1, +1}, alpha = mean |w| per\n"
         "         output channel, as `quantize LAYER : binary`; no options\n");
  printf("\n"
         "Non-finite inputs become NaR with posit and lp (counted, left out of the\n"
         "errors); int8, ternary and binary refuse them. int8 uses one symmetric scale\n"
         "max|x|/127 for the whole array.\n"
         "\n"
         "ternary takes a weight array as the compiler lays it out, rank 2 [out, in]\n"
         "(dense) or rank 4 [out, in, kh, kw] (conv2d, OIHW); groups are n\n"
         "consecutive input channels at a fixed output channel and tap. It runs the\n"
         "ternary pass's projection and prints, besides the errors, the sparsity\n"
         "(zero fraction), alpha's range, the code bits per group and the size of\n"
         "the compiler's encoding of the array (bits per weight, header included).\n"
         "binary takes the same arrays and binarizes each output channel as the\n"
         "binarize pass does (sign(0) = +1; a channel of zeros is an error); it\n"
         "prints alpha's range, the binary encoding's size and how many channels\n"
         "have more +1 than -1 (those `sparsify LAYER : binsparx` stores negated).\n"
         "\n"
         "Outputs are written all or nothing. Exit status: 0; 1 for bad input (a\n"
         "bad SPEC is reported at its column of the '<command line>'); 2 for a\n"
         "usage error. See docs/number-formats.md.\n");
}

/* spx_npy_read_f64, or "-": standard input. */
static int read_input(const char *path, spx_npy_t *a, int *is_f64, char *err, size_t errlen) {
  unsigned char *buf = NULL;
  size_t len = 0, cap = 0, got;
  int rc;
  if (strcmp(path, "-") != 0) return spx_npy_read_f64(path, a, is_f64, err, errlen);
  memset(a, 0, sizeof *a);
  do {
    if (len == cap) {
      unsigned char *grown = realloc(buf, cap = cap ? 2 * cap : 65536);
      if (!grown) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -1;
      }
      buf = grown;
    }
    len += got = fread(buf + len, 1, cap - len, stdin);
  } while (got > 0);
  if (ferror(stdin)) {
    snprintf(err, errlen, "cannot read: %s", strerror(errno));
    free(buf);
    return -1;
  }
  rc = spx_npy_parse_f64(buf, len, a, is_f64, err, errlen);
  free(buf);
  return rc;
}

typedef struct run {
  const char *in, *out, *codes_path;
  int in_stdin; /* IN.npy was '-': read standard input, named "<stdin>" */
  int ternary; /* 1: tern, else fmt */
  int binary;  /* 1: binary, else fmt */
  spx_numfmt_t fmt;
  spx_ternary_opts_t tern;
} run_t;

/* "int8, posit, lp, ternary or binary": every format spx-quant takes. */
static const char *format_names(void) {
  static char buf[128];
  if (!buf[0]) {
    unsigned n, i;
    const spx_numfmt_desc_t *const *t = spx_numfmt_table(&n);
    size_t len = 0;
    for (i = 0; i < n && len < sizeof buf; ++i)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s, ", t[i]->name);
    if (len < sizeof buf) {
      size_t at = len >= 2 ? len - 2 : 0; /* over the last ", " */
      snprintf(buf + at, sizeof buf - at, ", ternary or binary");
    }
  }
  return buf;
}

/* The format name at the start of spec: [*name, *name + *len). */
static void spec_name(const char *spec, const char **name, size_t *len) {
  const char *p = spec;
  while (*p == ' ' || *p == '\t') p++;
  *name = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
         *p == '_')
    p++;
  *len = (size_t)(p - *name);
}

static int parse_spec(const char *spec, run_t *r) {
  static const char file[] = "<command line>";
  spx_diag_t *diag = spx_diag_create(stderr);
  spx_loc_t at = {file, 1, 1};
  const char *name;
  size_t len;
  int rc;
  if (!diag) return error(file, "out of memory");
  if (strchr(spec, '\n')) {
    spx_diag_destroy(diag);
    return error(file, "SPEC is one line");
  }
  spx_diag_add_source(diag, file, spec, strlen(spec));
  spec_name(spec, &name, &len);
  r->ternary = len == 7 && memcmp(name, "ternary", 7) == 0;
  r->binary = len == 6 && memcmp(name, "binary", 6) == 0;
  if (r->ternary) {
    rc = spx_ternary_spec_parse(spec, at, diag, &r->tern);
  } else if (r->binary) {
    const char *p = name + len;
    while (*p == ' ' || *p == '\t') p++;
    rc = 0;
    if (*p) {
      at.col += (int)(p - spec);
      spx_diag_error(diag, at, "binary takes no options (alpha is mean |w| per output "
                     "channel): write 'binary'");
      rc = -1;
    }
  } else if (!len || (*name >= '0' && *name <= '9')) {
    char fbuf[8];
    at.col += (int)(name - spec);
    if (*name) snprintf(fbuf, sizeof fbuf, "'%c'", *name);
    spx_diag_error(diag, at, "expected a number format (%s), found %s", format_names(),
                   *name ? fbuf : "the end");
    rc = -1;
  } else if (!spx_numfmt_find_name(name, len)) {
    /* spx_numspec_parse would say the same without ternary */
    unsigned nt, k;
    const spx_numfmt_desc_t *const *t = spx_numfmt_table(&nt);
    const char *names[SPX_NUMFMT_COUNT_ + 2], *hint;
    char word[64];
    for (k = 0; k < nt && k < SPX_NUMFMT_COUNT_; ++k) names[k] = t[k]->name;
    names[k++] = "ternary";
    names[k++] = "binary";
    snprintf(word, sizeof word, "%.*s", (int)(len < 60 ? len : 60), name);
    hint = spx_diag_suggest(word, names, (int)k);
    at.col += (int)(name - spec);
    if (hint)
      spx_diag_error(diag, at, "unknown number format '%s'; did you mean '%s'? (expected %s)",
                     word, hint, format_names());
    else
      spx_diag_error(diag, at, "unknown number format '%s' (expected %s)", word,
                     format_names());
    rc = -1;
  } else {
    rc = spx_numspec_parse(spec, at, diag, &r->fmt);
  }
  spx_diag_destroy(diag);
  return rc == 0 ? 0 : 1;
}

/* The (n, k) book in code order: "0x11<TAB>1 1 0 0", lane 0 first. */
static int codebook_ternary(const spx_ternary_opts_t *o) {
  uint32_t c, patterns = spx_fmt_ternary_patterns(o->n, o->k);
  int width = (int)(spx_fmt_ternary_code_bits(o->n, o->k) + 3) / 4;
  for (c = 0; c < patterns; ++c) {
    uint32_t pos, neg;
    unsigned l;
    if (spx_fmt_ternary_code_to_masks(o->n, o->k, c, &pos, &neg) != SPX_RT_OK)
      return error("<stdout>", "code 0x%x of the (%u, %u) book does not decode", (unsigned)c,
                   o->n, o->k);
    printf("0x%0*x\t", width, (unsigned)c);
    for (l = 0; l < o->n; ++l)
      printf("%s%s", l ? " " : "", !((pos >> l) & 1u) ? "0" : ((neg >> l) & 1u) ? "-1" : "1");
    printf("\n");
  }
  if (fflush(stdout) != 0 || ferror(stdout)) return error("<stdout>", "write error");
  return 0;
}

/* The two stored bits of the binary format and their values. */
static int codebook_binary(void) {
  printf("0x0\t-1\n0x1\t1\n");
  if (fflush(stdout) != 0 || ferror(stdout)) return error("<stdout>", "write error");
  return 0;
}

static int codebook(const spx_numfmt_t *f) {
  uint32_t c, codes = spx_numfmt_codes(f);
  int width = (int)(f->bits + 3) / 4;
  for (c = 0; c < codes; ++c) {
    double v = spx_numfmt_decode(f, c);
    if (isnan(v)) printf("0x%0*x\tnan\n", width, (unsigned)c);
    else printf("0x%0*x\t%.17g\n", width, (unsigned)c, v);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) return error("<stdout>", "write error");
  return 0;
}

/* "[1, 2]": the index of element i of an array of these dims. */
static void index_text(const spx_npy_t *a, size_t i, char *buf, size_t cap) {
  size_t idx[SPX_MAX_RANK], len = 0;
  int d;
  for (d = a->rank - 1; d >= 0; --d) {
    size_t n = (size_t)a->dims[d];
    idx[d] = n ? i % n : 0;
    i = n ? i / n : 0;
  }
  len += (size_t)snprintf(buf, cap, "[");
  for (d = 0; d < a->rank && len < cap; ++d)
    len += (size_t)snprintf(buf + len, cap - len, "%s%zu", d ? ", " : "", idx[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

static void dims_text(const spx_npy_t *a, char *buf, size_t cap) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  int d;
  for (d = 0; d < a->rank && len < cap; ++d)
    len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? ", " : "",
                            (long long)a->dims[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

/* The errors of the decoded values against the input, over the finite
 * inputs. */
typedef struct errors {
  size_t n;
  double err2, sig2, max;
} errors_t;

static void errors_add(errors_t *e, double x, double q) {
  double d = fabs(x - q);
  e->n++;
  e->err2 += d * d;
  e->sig2 += x * x;
  if (d > e->max) e->max = d;
}

static void errors_print(const errors_t *e) {
  fprintf(info_out, "mse: %.9g\n", e->err2 / (double)e->n);
  if (e->err2 == 0) fprintf(info_out, "sqnr: inf dB\n");
  else fprintf(info_out, "sqnr: %.4f dB\n", 10.0 * log10(e->sig2 / e->err2));
  fprintf(info_out, "max abs error: %.9g\n", e->max);
}

/* Reports the first non-finite element (a format that needs finite values);
 * 0 if there is none. */
static int refuse_nonfinite(const run_t *r, const spx_npy_t *a, const char *format) {
  const double *x = a->data;
  size_t i;
  for (i = 0; i < a->count; ++i)
    if (!isfinite(x[i])) {
      char idx[128];
      index_text(a, i, idx, sizeof idx);
      return error(r->in, "element %zu (index %s) is %s: %s needs finite values", i, idx,
                   isnan(x[i]) ? "nan" : x[i] > 0 ? "inf" : "-inf", format);
    }
  return 0;
}

/* Writes the decoded values (the input's dtype and shape) and, if asked,
 * the codes (numpy descr `descr`, `size` bytes each), all or nothing. */
static int write_outputs(const run_t *r, const spx_npy_t *a, int is_f64, const void *vals,
                         const char *descr, size_t size, const void *codes) {
  spx_outset_t *set = spx_outset_create();
  FILE *fp;
  int rc = 1;
  if (!set) return error(r->out, "out of memory");
  fp = spx_outset_open(set, r->out);
  if (!fp || (is_f64 ? spx_npy_fwrite_descr(fp, "<f8", 8, a->rank, a->dims, vals)
                     : spx_npy_fwrite_descr(fp, "<f4", 4, a->rank, a->dims, vals)) != 0) {
    error(r->out, "%s", fp ? strerror(errno) : spx_outset_error(set));
    goto out;
  }
  if (r->codes_path) {
    fp = spx_outset_open(set, r->codes_path);
    if (!fp || spx_npy_fwrite_descr(fp, descr, size, a->rank, a->dims, codes) != 0) {
      error(r->codes_path, "%s", fp ? strerror(errno) : spx_outset_error(set));
      goto out;
    }
  }
  if (spx_outset_commit(set) != 0) {
    const char *p = spx_outset_failed_path(set);
    error(p ? p : r->out, "%s", spx_outset_error(set));
    goto out;
  }
  rc = 0;
out:
  spx_outset_destroy(set);
  return rc;
}

static int quantize(run_t *r) {
  spx_npy_t a;
  char err[256], spec[96], dims[128];
  int is_f64 = 0, rc = 1;
  size_t i, n_nar = 0;
  double *x;
  errors_t e = {0, 0, 0, 0};
  void *vals = NULL, *codes = NULL;
  uint32_t *table_code = NULL;
  double *table_value = NULL, *table_lower = NULL;
  spx_numfmt_rounder_t rounder;
  spx_rt_error_t rerr;
  int wide = r->fmt.bits > 8;

  if (read_input(r->in_stdin ? "-" : r->in, &a, &is_f64, err, sizeof err) != 0)
    return error(r->in, "%s", err);
  x = a.data;
  if (r->fmt.desc->kind == SPX_NUMFMT_INT8 && refuse_nonfinite(r, &a, "int8")) goto out;
  spx_numfmt_fit(&r->fmt, x, a.count);

  vals = malloc(a.count ? a.count * (is_f64 ? 8 : 4) : 1);
  codes = malloc(a.count ? a.count * (wide ? 2 : 1) : 1);
  /* finite values through the rounding table (the encoder's results, by
   * binary search), the others through the encoder */
  table_code = malloc(sizeof *table_code * spx_numfmt_codes(&r->fmt));
  table_value = malloc(sizeof *table_value * spx_numfmt_codes(&r->fmt));
  table_lower = malloc(sizeof *table_lower * spx_numfmt_codes(&r->fmt));
  if (!vals || !codes || !table_code || !table_value || !table_lower) {
    error(r->in, "out of memory for %zu values", a.count);
    goto out;
  }
  if (spx_numfmt_rounder_init(&rounder, &r->fmt, table_code, table_value, table_lower, &rerr) !=
      SPX_RT_OK) {
    error(r->in, "%s", rerr.message);
    goto out;
  }
  for (i = 0; i < a.count; ++i) {
    uint32_t c = isfinite(x[i]) ? rounder.code[spx_numfmt_round_index(&rounder, x[i])]
                                : spx_numfmt_encode(&r->fmt, x[i]);
    double q;
    if (wide) ((uint16_t *)codes)[i] = (uint16_t)c;
    else ((uint8_t *)codes)[i] = (uint8_t)c;
    if (is_f64) {
      q = spx_numfmt_decode(&r->fmt, c);
      ((double *)vals)[i] = q;
    } else {
      float qf;
      if (r->fmt.desc->kind == SPX_NUMFMT_INT8) /* as spx_fmt_dense_s8_decode */
        qf = (float)(int8_t)(uint8_t)c * (float)r->fmt.scale;
      else
        qf = (float)spx_numfmt_decode(&r->fmt, c);
      ((float *)vals)[i] = qf;
      q = qf;
    }
    if (spx_numfmt_is_nar(&r->fmt, c)) {
      ++n_nar;
    } else if (isfinite(x[i])) {
      errors_add(&e, x[i], q);
    }
  }
  if (write_outputs(r, &a, is_f64, vals, wide ? "<u2" : "|u1", wide ? 2 : 1, codes)) goto out;

  spx_numfmt_spec(&r->fmt, spec, sizeof spec);
  dims_text(&a, dims, sizeof dims);
  fprintf(info_out, "format: %s, %u-bit codes\n", spec, r->fmt.bits);
  if (r->fmt.desc->needs_fit) fprintf(info_out, "scale: %.9g\n", r->fmt.scale);
  fprintf(info_out, "values: %zu, %s %s\n", a.count, is_f64 ? "f64" : "f32", dims);
  if (r->fmt.desc->has_nar) {
    if (n_nar)
      fprintf(info_out, "nar: %zu (non-finite inputs; the errors below are over the %zu finite values)\n",
             n_nar, e.n);
    else
      fprintf(info_out, "nar: 0\n");
  }
  if (e.n) {
    errors_print(&e);
  } else {
    fprintf(info_out, "no finite values: no errors to report\n");
  }
  if (fflush(info_out) != 0 || ferror(info_out)) {
    error("<stdout>", "write error");
    goto out;
  }
  rc = 0;
out:
  free(vals);
  free(codes);
  free(table_code);
  free(table_value);
  free(table_lower);
  spx_npy_free(&a);
  return rc;
}

/* A weight array projected onto the ternary format (the pass's projection,
 * support/ternary_project.c): alpha * t and t, and the format's facts. */
static int quantize_ternary(run_t *r) {
  const spx_ternary_opts_t *o = &r->tern;
  spx_npy_t a;
  char err[256], dims[128];
  int is_f64 = 0, rc = 1, rounds;
  size_t i, per, zeros = 0, enc_bytes = 0;
  double *x, *alpha = NULL, a_min = INFINITY, a_max = 0;
  errors_t e = {0, 0, 0, 0};
  int8_t *t = NULL, *t_next = NULL;
  void *vals = NULL;
  spx_ternary_geom_t g;
  uint32_t b = spx_fmt_ternary_code_bits(o->n, o->k);

  if (read_input(r->in_stdin ? "-" : r->in, &a, &is_f64, err, sizeof err) != 0)
    return error(r->in, "%s", err);
  x = a.data;
  dims_text(&a, dims, sizeof dims);
  if (a.rank != 2 && a.rank != 4) {
    error(r->in, "ternary needs a weight array of rank 2, [out, in] (dense), or rank 4, "
          "[out, in, kh, kw] (conv2d, OIHW); this one is rank %d %s", a.rank, dims);
    goto out;
  }
  if (a.count == 0) {
    error(r->in, "the weight array %s is empty", dims);
    goto out;
  }
  for (i = 0; i < (size_t)a.rank; ++i)
    if (a.dims[i] > (int64_t)UINT32_MAX) {
      error(r->in, "dimension %zu of %s is more than %u", i, dims, (unsigned)UINT32_MAX);
      goto out;
    }
  if (refuse_nonfinite(r, &a, "ternary")) goto out;
  spx_ternary_geom_init(&g, (uint32_t)a.dims[0], (uint32_t)a.dims[1],
                        a.rank == 4 ? (uint32_t)(a.dims[2] * a.dims[3]) : 1, o->n, o->k);
  per = a.count / g.rows;
  if (a.rank == 2 || (a.dims[2] <= UINT16_MAX && a.dims[3] <= UINT16_MAX)) {
    spx_fmt_dims_t d = {g.rows, g.cols, a.rank == 4 ? (uint16_t)a.dims[2] : 1,
                        a.rank == 4 ? (uint16_t)a.dims[3] : 1, 1};
    enc_bytes = spx_fmt_ternary_encoded_size(&d, o->n, o->k);
  }

  vals = malloc(a.count * (is_f64 ? 8 : 4));
  t = malloc(a.count);
  t_next = malloc(a.count);
  alpha = malloc(sizeof *alpha * g.rows);
  if (!vals || !t || !t_next || !alpha) {
    error(r->in, "out of memory for %zu values", a.count);
    goto out;
  }
  rounds = spx_ternary_project_all(&g, x, o->per_layer, t, t_next, alpha);
  for (i = 0; i < a.count; ++i) {
    double al = alpha[i / per], q;
    if (is_f64) {
      q = al * t[i];
      ((double *)vals)[i] = q;
    } else {
      float qf = (float)al * (float)t[i]; /* as the pass records alpha: f32 */
      ((float *)vals)[i] = qf;
      q = qf;
    }
    errors_add(&e, x[i], q);
    zeros += t[i] == 0;
  }
  for (i = 0; i < g.rows; ++i) {
    if (alpha[i] < a_min) a_min = alpha[i];
    if (alpha[i] > a_max) a_max = alpha[i];
  }

  if (write_outputs(r, &a, is_f64, vals, "|i1", 1, t)) goto out;

  fprintf(info_out, "format: ternary(n=%u, k=%u, scale=%s)\n", o->n, o->k,
         o->per_layer ? "layer" : "channel");
  fprintf(info_out, "values: %zu, %s %s\n", a.count, is_f64 ? "f64" : "f32", dims);
  fprintf(info_out, "groups: %llu of up to %u weights (%u per output channel and tap",
         (unsigned long long)g.rows * g.taps * g.ng, o->n, (unsigned)g.ng);
  if (g.cols % o->n) fprintf(info_out, "; the last one %u", (unsigned)(g.cols % o->n));
  fprintf(info_out, ")\n");
  fprintf(info_out, "code: %u bits per group (%u patterns)\n", (unsigned)b,
         (unsigned)spx_fmt_ternary_patterns(o->n, o->k));
  if (enc_bytes)
    fprintf(info_out, "encoded: %zu bytes with its %d-byte header: %.6g bits per weight, %.6g without "
           "the header\n",
           enc_bytes, SPX_FMT_TERNARY_HEADER_BYTES, 8.0 * (double)enc_bytes / (double)a.count,
           (double)b * (double)g.ng * g.taps * g.rows / (double)a.count);
  else
    fprintf(info_out, "encoded: none (beyond the ternary encoding: kh or kw above 65535, or 4 GiB)\n");
  fprintf(info_out, "sparsity: %.9g (%zu of %zu weights are 0)\n", (double)zeros / (double)a.count, zeros,
         a.count);
  if (o->per_layer) fprintf(info_out, "alpha: %.9g (one for the array)\n", a_min);
  else fprintf(info_out, "alpha: min %.9g, max %.9g (%u output channels)\n", a_min, a_max,
              (unsigned)g.rows);
  fprintf(info_out, "rounds: %d\n", rounds);
  errors_print(&e);
  if (fflush(info_out) != 0 || ferror(info_out)) {
    error("<stdout>", "write error");
    goto out;
  }
  rc = 0;
out:
  free(vals);
  free(t);
  free(t_next);
  free(alpha);
  spx_npy_free(&a);
  return rc;
}

/* A weight array binarized as the binarize pass does (passes/binarize.c):
 * alpha * b and b, and the binary format's facts. */
static int quantize_binary(run_t *r) {
  spx_npy_t a;
  char err[256], dims[128];
  int is_f64 = 0, rc = 1;
  size_t i, per, rows, enc_bytes = 0, flips = 0, ones = 0;
  double *x, *alpha = NULL, a_min = INFINITY, a_max = 0;
  errors_t e = {0, 0, 0, 0};
  int8_t *b = NULL;
  void *vals = NULL;

  if (read_input(r->in_stdin ? "-" : r->in, &a, &is_f64, err, sizeof err) != 0)
    return error(r->in, "%s", err);
  x = a.data;
  dims_text(&a, dims, sizeof dims);
  if (a.rank != 2 && a.rank != 4) {
    error(r->in, "binary needs a weight array of rank 2, [out, in] (dense), or rank 4, "
          "[out, in, kh, kw] (conv2d, OIHW); this one is rank %d %s", a.rank, dims);
    goto out;
  }
  if (a.count == 0) {
    error(r->in, "the weight array %s is empty", dims);
    goto out;
  }
  for (i = 0; i < (size_t)a.rank; ++i)
    if (a.dims[i] > (int64_t)UINT32_MAX) {
      error(r->in, "dimension %zu of %s is more than %u", i, dims, (unsigned)UINT32_MAX);
      goto out;
    }
  if (refuse_nonfinite(r, &a, "binary")) goto out;
  rows = (size_t)a.dims[0];
  per = a.count / rows;
  if (a.rank == 2 || (a.dims[2] <= UINT16_MAX && a.dims[3] <= UINT16_MAX)) {
    spx_fmt_dims_t d = {(uint32_t)rows, (uint32_t)a.dims[1],
                        a.rank == 4 ? (uint16_t)a.dims[2] : 1,
                        a.rank == 4 ? (uint16_t)a.dims[3] : 1, 1};
    enc_bytes = spx_fmt_binary_encoded_size(&d);
  }
  vals = malloc(a.count * (is_f64 ? 8 : 4));
  b = malloc(a.count);
  alpha = malloc(sizeof *alpha * rows);
  if (!vals || !b || !alpha) {
    error(r->in, "out of memory for %zu values", a.count);
    goto out;
  }
  for (i = 0; i < rows; ++i) {
    /* alpha in double from the values, as the pass does from its f32
     * weights; f32 inputs: rounded once to f32 */
    size_t row_ones = 0;
    double sum = spx_fmt_binary_binarize(x + i * per, per, b + i * per, &row_ones);
    if (!(sum > 0) || !isfinite(sum)) {
      error(r->in, "output channel %zu has %s weights, so alpha = mean |w| is %s", i,
            sum > 0 ? "non-finite" : "only zero", sum > 0 ? "not finite" : "0");
      goto out;
    }
    alpha[i] = is_f64 ? sum : (double)(float)sum;
    ones += row_ones;
    flips += (size_t)spx_fmt_binary_flip_rule((uint32_t)row_ones, (uint32_t)per);
    if (alpha[i] < a_min) a_min = alpha[i];
    if (alpha[i] > a_max) a_max = alpha[i];
  }
  for (i = 0; i < a.count; ++i) {
    double q;
    if (is_f64) {
      q = alpha[i / per] * b[i];
      ((double *)vals)[i] = q;
    } else {
      float qf = (float)alpha[i / per] * (float)b[i];
      ((float *)vals)[i] = qf;
      q = qf;
    }
    errors_add(&e, x[i], q);
  }

  if (write_outputs(r, &a, is_f64, vals, "|i1", 1, b)) goto out;

  fprintf(info_out, "format: binary\n");
  fprintf(info_out, "values: %zu, %s %s\n", a.count, is_f64 ? "f64" : "f32", dims);
  if (enc_bytes)
    fprintf(info_out, "encoded: %zu bytes with its %d-byte header: %.6g bits per weight, %.6g with "
           "alpha and flip bits but without the header\n",
           enc_bytes, SPX_FMT_BINARY_HEADER_BYTES, 8.0 * (double)enc_bytes / (double)a.count,
           8.0 * (double)(enc_bytes - SPX_FMT_BINARY_HEADER_BYTES) / (double)a.count);
  else
    fprintf(info_out, "encoded: none (beyond the binary encoding: kh or kw above 65535, or 4 GiB)\n");
  fprintf(info_out, "ones: %zu of %zu weights are +1\n", ones, a.count);
  fprintf(info_out, "flips: %zu of %zu output channels have more +1 than -1 (stored negated with "
         "binsparx weights=on)\n", flips, rows);
  fprintf(info_out, "alpha: min %.9g, max %.9g (%zu output channels)\n", a_min, a_max, rows);
  errors_print(&e);
  if (fflush(info_out) != 0 || ferror(info_out)) {
    error("<stdout>", "write error");
    goto out;
  }
  rc = 0;
out:
  free(vals);
  free(b);
  free(alpha);
  spx_npy_free(&a);
  return rc;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"codebook", required_argument, NULL, 'c'},
      {"output", required_argument, NULL, 'o'},
      {"codes", required_argument, NULL, 'C'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  const char *book = NULL, *spec = NULL;
  run_t r;
  int opt, i;

  memset(&r, 0, sizeof r);
  info_out = stdout;
  opterr = 0; /* our own messages */
  while ((opt = getopt_long(argc, argv, ":o:hV", longopts, NULL)) != -1) {
    const char **slot = NULL, *name = NULL;
    switch (opt) {
    case 'h': help(); return 0;
    case 'V': printf("spx-quant %s\n", SPX_VERSION); return 0;
    case 'c': slot = &book, name = "--codebook"; break;
    case 'o': slot = &r.out, name = "--output"; break;
    case 'C': slot = &r.codes_path, name = "--codes"; break;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      {
        char buf[3];
        return usage_error("unknown option '%s'", spx_bad_option(optopt, argv[optind - 1], buf));
      }
    }
    if (*slot) return usage_error("option '%s' given twice", name);
    if (!*optarg) return usage_error("option '%s' needs a value", name);
    *slot = optarg;
  }
  for (i = optind; i < argc; ++i) {
    const char *a = argv[i];
    if (!spec && !book) spec = a;
    else if (!r.in && !book) r.in = a;
    else return usage_error("unexpected argument '%s'", a);
  }
  if (book) {
    if (spec || r.out || r.codes_path)
      return usage_error("--codebook takes a SPEC and nothing else%s", "");
    if (parse_spec(book, &r)) return 1;
    return r.ternary ? codebook_ternary(&r.tern) : r.binary ? codebook_binary() : codebook(&r.fmt);
  }
  if (!spec) return usage_error("no SPEC%s", "");
  if (!r.in) return usage_error("no input file (IN.npy)%s", "");
  if (!r.out) return usage_error("no output file (-o OUT.npy)%s", "");
  if (r.codes_path && !strcmp(r.out, "-") && !strcmp(r.codes_path, "-"))
    return usage_error("-o and --codes cannot both be '-' (standard output)%s", "");
  if (!strcmp(r.in, "-")) r.in_stdin = 1, r.in = "<stdin>";
  /* Standard output holds a file: the figures go to stderr. */
  if (!strcmp(r.out, "-") || (r.codes_path && !strcmp(r.codes_path, "-"))) info_out = stderr;
  if (parse_spec(spec, &r)) return 1;
  spx_outfile_handle_signals();
  return r.ternary ? quantize_ternary(&r) : r.binary ? quantize_binary(&r) : quantize(&r);
}
