/* spx-quant: what a number format does to an array, before compiling a
 * network with it.
 *
 *   spx-quant --codebook SPEC
 *   spx-quant SPEC IN.npy -o OUT.npy [--codes CODES.npy]
 *
 * SPEC is a scalar number format as written in a .spx file: int8,
 * posit(n=8, es=0), lp(n=8, es=1, rs=4, sf=2) (runtime/formats/
 * spx_numfmt.h, support/spx_numspec.h). --codebook prints every code in
 * code order, "0x40<TAB>1" (hex code of the code's width, value with %.17g,
 * NaR as nan). Quantizing reads an f32 or f64 .npy, writes the decoded
 * values (same dtype and shape) and the codes (uint8 up to 8 bits, uint16
 * above), all or nothing, and prints the MSE, SQNR and maximum absolute
 * error. Exit status: 0, 1 for bad input (a bad SPEC as a located
 * "<command line>:1:COL: error: ..."; "spx-quant: FILE: error: ..."), 2 for
 * a usage error. docs/number-formats.md has the formats and the rules. */
#define _POSIX_C_SOURCE 200809L

#include "runtime/formats/spx_numfmt.h"
#include "support/spx_numspec.h"
#include "support/spx_support.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "spx-quant";

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
         "Shows what a scalar number format does: its code book, or an array\n"
         "quantized with it.\n"
         "\n"
         "  --codebook SPEC      print every code in code order: the code in hex,\n"
         "                       a tab, its value (%%.17g; NaR as nan)\n"
         "  SPEC IN.npy          quantize an f32 or f64 array: encode every value,\n"
         "                       decode it back, print MSE, SQNR (dB), the largest\n"
         "                       absolute error and the count of NaR codes\n"
         "  -o, --output OUT.npy the decoded values, same dtype and shape\n"
         "  --codes CODES.npy    the codes: uint8 (<= 8 bits) or uint16\n"
         "  -h, --help           this text\n"
         "\n"
         "SPEC is written as in a .spx file, NAME or NAME(KEY=VALUE, ...):\n",
         usage_text);
  for (i = 0; i < n; ++i) {
    printf("  %-6s %s\n", t[i]->name, t[i]->summary);
    for (k = 0; k < t[i]->n_params; ++k)
      printf("         %-3s %ld..%ld: %s\n", t[i]->params[k].name, (long)t[i]->params[k].min,
             (long)t[i]->params[k].max, t[i]->params[k].doc);
  }
  printf("\n"
         "Non-finite inputs become NaR with posit and lp (counted, left out of the\n"
         "errors); int8 refuses them. int8 uses one symmetric scale max|x|/127 for\n"
         "the whole array. Outputs are written all or nothing. Exit status: 0; 1\n"
         "for bad input (a bad SPEC is reported at its column of the\n"
         "'<command line>'); 2 for a usage error. See docs/number-formats.md.\n");
}

static int parse_spec(const char *spec, spx_numfmt_t *f) {
  static const char file[] = "<command line>";
  spx_diag_t *diag = spx_diag_create(stderr);
  spx_loc_t at = {file, 1, 1};
  int rc;
  if (!diag) return error(file, "out of memory");
  if (strchr(spec, '\n')) {
    spx_diag_destroy(diag);
    return error(file, "SPEC is one line");
  }
  spx_diag_add_source(diag, file, spec, strlen(spec));
  rc = spx_numspec_parse(spec, at, diag, f);
  spx_diag_destroy(diag);
  return rc == 0 ? 0 : 1;
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

typedef struct run {
  const char *in, *out, *codes_path;
  spx_numfmt_t fmt;
} run_t;

static int quantize(run_t *r) {
  spx_npy_t a;
  char err[256], spec[96], dims[128];
  int is_f64 = 0, rc = 1;
  size_t i, n_finite = 0, n_nar = 0;
  double *x, sum_err2 = 0, sum_sig2 = 0, max_err = 0;
  void *vals = NULL, *codes = NULL;
  uint32_t *table_code = NULL;
  double *table_value = NULL, *table_lower = NULL;
  spx_numfmt_rounder_t rounder;
  spx_rt_error_t rerr;
  int wide = r->fmt.bits > 8;
  spx_outset_t *set = NULL;
  FILE *fp;

  if (spx_npy_read_f64(r->in, &a, &is_f64, err, sizeof err) != 0)
    return error(r->in, "%s", err);
  x = a.data;
  if (r->fmt.desc->kind == SPX_NUMFMT_INT8)
    for (i = 0; i < a.count; ++i)
      if (!isfinite(x[i])) {
        char idx[128];
        index_text(&a, i, idx, sizeof idx);
        error(r->in, "element %zu (index %s) is %s: int8 needs finite values", i, idx,
              isnan(x[i]) ? "nan" : x[i] > 0 ? "inf" : "-inf");
        goto out;
      }
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
      double d = fabs(x[i] - q);
      ++n_finite;
      sum_err2 += d * d;
      sum_sig2 += x[i] * x[i];
      if (d > max_err) max_err = d;
    }
  }

  set = spx_outset_create();
  if (!set) {
    error(r->out, "out of memory");
    goto out;
  }
  fp = spx_outset_open(set, r->out);
  if (!fp || (is_f64 ? spx_npy_fwrite_descr(fp, "<f8", 8, a.rank, a.dims, vals)
                     : spx_npy_fwrite_descr(fp, "<f4", 4, a.rank, a.dims, vals)) != 0) {
    error(r->out, "%s", fp ? strerror(errno) : spx_outset_error(set));
    goto out;
  }
  if (r->codes_path) {
    fp = spx_outset_open(set, r->codes_path);
    if (!fp || (wide ? spx_npy_fwrite_descr(fp, "<u2", 2, a.rank, a.dims, codes)
                     : spx_npy_fwrite_descr(fp, "|u1", 1, a.rank, a.dims, codes)) != 0) {
      error(r->codes_path, "%s", fp ? strerror(errno) : spx_outset_error(set));
      goto out;
    }
  }
  if (spx_outset_commit(set) != 0) {
    const char *p = spx_outset_failed_path(set);
    error(p ? p : r->out, "%s", spx_outset_error(set));
    goto out;
  }

  spx_numfmt_spec(&r->fmt, spec, sizeof spec);
  dims_text(&a, dims, sizeof dims);
  printf("format: %s, %u-bit codes\n", spec, r->fmt.bits);
  if (r->fmt.desc->needs_fit) printf("scale: %.9g\n", r->fmt.scale);
  printf("values: %zu, %s %s\n", a.count, is_f64 ? "f64" : "f32", dims);
  if (r->fmt.desc->has_nar) {
    if (n_nar)
      printf("nar: %zu (non-finite inputs; the errors below are over the %zu finite values)\n",
             n_nar, n_finite);
    else
      printf("nar: 0\n");
  }
  if (n_finite) {
    printf("mse: %.9g\n", sum_err2 / (double)n_finite);
    if (sum_err2 == 0) printf("sqnr: inf dB\n");
    else printf("sqnr: %.4f dB\n", 10.0 * log10(sum_sig2 / sum_err2));
    printf("max abs error: %.9g\n", max_err);
  } else {
    printf("no finite values: no errors to report\n");
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    error("<stdout>", "write error");
    goto out;
  }
  rc = 0;
out:
  spx_outset_destroy(set);
  free(vals);
  free(codes);
  free(table_code);
  free(table_value);
  free(table_lower);
  spx_npy_free(&a);
  return rc;
}

int main(int argc, char **argv) {
  const char *book = NULL, *spec = NULL;
  run_t r;
  int i;

  memset(&r, 0, sizeof r);
  for (i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char **slot = NULL;
    const char *name = NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help();
      return 0;
    }
    if (strcmp(a, "--codebook") == 0 || strncmp(a, "--codebook=", 11) == 0) {
      slot = &book;
      name = "--codebook";
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
               strncmp(a, "--output=", 9) == 0) {
      slot = &r.out;
      name = "--output";
    } else if (strcmp(a, "--codes") == 0 || strncmp(a, "--codes=", 8) == 0) {
      slot = &r.codes_path;
      name = "--codes";
    }
    if (slot) {
      const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
      if (*slot) return usage_error("option '%s' given twice", name);
      if (eq) *slot = eq + 1;
      else if (i + 1 < argc) *slot = argv[++i];
      else return usage_error("option '%s' needs a value", a);
      if (!**slot) return usage_error("option '%s' needs a value", name);
      continue;
    }
    if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
    if (!spec && !book) spec = a;
    else if (!r.in && !book) r.in = a;
    else return usage_error("unexpected argument '%s'", a);
  }
  if (book) {
    if (spec || r.out || r.codes_path)
      return usage_error("--codebook takes a SPEC and nothing else%s", "");
    if (parse_spec(book, &r.fmt)) return 1;
    return codebook(&r.fmt);
  }
  if (!spec) return usage_error("no SPEC%s", "");
  if (!r.in) return usage_error("no input file (IN.npy)%s", "");
  if (!r.out) return usage_error("no output file (-o OUT.npy)%s", "");
  if (parse_spec(spec, &r.fmt)) return 1;
  spx_outfile_handle_signals();
  return quantize(&r);
}
