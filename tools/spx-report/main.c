/* spx-report: compile reports (spxc's NAME.report.json) and run reports
 * (spx-run --report FILE.json) compared side by side, as one
 * self-contained HTML page, CSV or a plain text table.
 *
 *   spx-report [OPTIONS] REPORT.json... [-o OUT]
 *
 * Every compile report is a column; a run report joins the column of the
 * compile report of the model it ran (its "model" NAME.spxbin names
 * NAME.report.json next to it), else it is a column of its own. Layers are
 * matched by name across columns. docs/report.md describes the figures.
 *
 * Exit status: 0; 1 for a bad input file ("FILE:LINE:COL: error: ..." for
 * malformed JSON or a report field of the wrong kind, "spx-report: FILE:
 * error: ..." for a file that cannot be read or written); 2 for a usage
 * error. The output is written all or nothing. */
#define _GNU_SOURCE /* getopt_long, realpath */

#include "report.h"
#include "support/spx_support.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SPX_VERSION
#define SPX_VERSION "unknown"
#endif

static const char *prog = "spx-report";

static const char usage_text[] =
    "usage: spx-report [OPTIONS] REPORT.json... [-o OUT]\n";

static void help(void) {
  printf("%s"
         "Compares compile reports (spxc's NAME.report.json) and run reports\n"
         "(spx-run --report FILE.json) side by side, per layer (matched by name)\n"
         "and in total: weight bytes, bits per weight, the sparsity figures of the\n"
         "weight scheme, cycles, utilisation and bound (simulator runs), wall time,\n"
         "error against float (when a run report has it), speedup and compression\n"
         "against a baseline.\n"
         "\n"
         "Each compile report is a column; a run report joins the column of the\n"
         "compile report of the model it ran (NAME.spxbin -> NAME.report.json in\n"
         "the same folder), else it is a column of its own.\n"
         "\n"
         "  REPORT.json '-'       read that report from standard input\n"
         "  -o, --output FILE     write to FILE ('-': standard output, the default)\n"
         "  -f, --format FORMAT   html (one self-contained page), csv (one row per\n"
         "                        column and layer, then the totals) or text (tables\n"
         "                        for a terminal); default: text on standard\n"
         "                        output, else by FILE's extension (.csv: csv,\n"
         "                        .txt: text, anything else: html)\n"
         "  -b, --baseline N      speedup and compression against column N (1 is\n"
         "                        the first, the default)\n"
         "  -l, --label TEXT      the next column's name (repeat for the columns in\n"
         "                        order; default: TARGET SCHEME, e.g. 'aie block')\n"
         "  -t, --title TEXT      the page's title (default: 'SPX report: NETWORK')\n"
         "      --no-pair         every file a column of its own\n"
         "  -h, --help            this text\n"
         "  -V, --version         the version\n"
         "\n"
         "Options take their value as '--opt VALUE' or '--opt=VALUE'. Exit status:\n"
         "0; 1 for a bad input file (malformed JSON is reported at its\n"
         "FILE:LINE:COL); 2 for a usage error. See docs/report.md.\n",
         usage_text);
}

static int usage_error(const char *fmt, ...) SPX_PRINTF(1, 2);
static int usage_error(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: error: ", prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s(try '%s --help')\n", usage_text, prog);
  return 2;
}

/* ---- input files ------------------------------------------------------- */

typedef struct input {
  const char *path;
  spx_json_t *json;
  int is_run;
  int pair; /* run: index of its compile report, or -1; compile: its run or -1 */
} input_t;

/* A located error in a report: "FILE:LINE:COL: error: message". */
static int located(const char *path, const spx_json_t *at, const char *fmt, ...)
    SPX_PRINTF(3, 4);
static int located(const char *path, const spx_json_t *at, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d:%d: error: ", path, at ? at->line : 1, at ? at->col : 1);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

/* Reads `path` whole ("-": standard input). */
static int read_file(const char *path, char **text, size_t *len) {
  const int is_stdin = !strcmp(path, "-");
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0, cap = 0;
  if (!f) return spx_file_error(prog, path, "cannot read: %s", strerror(errno));
  for (;;) {
    size_t got;
    if (n == cap) {
      char *b;
      cap = cap ? cap * 2 : 65536;
      b = realloc(buf, cap);
      if (!b) {
        free(buf);
        if (!is_stdin) fclose(f);
        return spx_file_error(prog, path, "out of memory");
      }
      buf = b;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    int e = errno;
    free(buf);
    if (!is_stdin) fclose(f);
    return spx_file_error(prog, path, "cannot read: %s", e ? strerror(e) : "read error");
  }
  if (!is_stdin) fclose(f);
  *text = buf;
  *len = n;
  return 0;
}

/* Reads and parses one report and tells its kind. */
static int load_input(input_t *in) {
  char *text = NULL;
  size_t len = 0;
  spx_json_error_t err;
  int bad = read_file(in->path, &text, &len);
  if (!strcmp(in->path, "-")) in->path = "<stdin>"; /* in messages and the output */
  if (bad) return 1;
  in->json = spx_json_parse(text ? text : "", len, &err);
  free(text);
  if (!in->json) {
    fprintf(stderr, "%s:%d:%d: error: %s\n", in->path, err.line, err.col, err.message);
    return 1;
  }
  return 0;
}

/* ---- typed access with located errors ------------------------------------ */

typedef struct ctx {
  const char *path;
  int failed;
} ctx_t;

static const spx_json_t *member(ctx_t *c, const spx_json_t *obj, const char *key,
                                spx_json_kind_t kind, int required) {
  const spx_json_t *v = spx_json_get(obj, key);
  if (!v) {
    if (required && !c->failed) {
      c->failed = 1;
      located(c->path, obj, "this object has no \"%s\"", key);
    }
    return NULL;
  }
  if (v->kind != kind) {
    if (kind == SPX_JSON_NUMBER && v->kind == SPX_JSON_NULL && !required) return NULL;
    if (!c->failed) {
      c->failed = 1;
      located(c->path, v, "\"%s\" is %s, expected %s", key, spx_json_kind_name(v->kind),
              spx_json_kind_name(kind));
    }
    return NULL;
  }
  return v;
}

static opt_t num(ctx_t *c, const spx_json_t *obj, const char *key) {
  opt_t o = {0, 0};
  const spx_json_t *v = member(c, obj, key, SPX_JSON_NUMBER, 0);
  if (v) o.has = 1, o.v = v->number;
  return o;
}

static const char *str(ctx_t *c, const spx_json_t *obj, const char *key) {
  const spx_json_t *v = member(c, obj, key, SPX_JSON_STRING, 0);
  return v ? v->string : NULL;
}

/* A compile report: an object with "layers" and "totals"; a run report: an
 * object with "layers" and "model". */
static int classify(input_t *in) {
  const spx_json_t *j = in->json;
  if (j->kind != SPX_JSON_OBJECT)
    return located(in->path, j, "a report is an object, not %s", spx_json_kind_name(j->kind));
  if (!spx_json_get(j, "layers"))
    return located(in->path, j, "not a report: no \"layers\" (expected spxc's "
                                "NAME.report.json or spx-run's --report file)");
  if (spx_json_get(j, "model")) in->is_run = 1;
  else if (spx_json_get(j, "totals") || spx_json_get(j, "network")) in->is_run = 0;
  else
    return located(in->path, j, "not a report: neither \"network\"/\"totals\" (compile "
                                "report) nor \"model\" (run report)");
  return 0;
}

/* ---- layers --------------------------------------------------------------- */

static int layer_index(report_t *r, const char *name) {
  int i;
  for (i = 0; i < r->n_layers; ++i)
    if (!strcmp(r->layers[i], name)) return i;
  return -1;
}

/* Adds the layer names of one report, each new name after the previous name
 * of the same report. */
static int merge_layers(report_t *r, ctx_t *c, const spx_json_t *layers) {
  size_t i;
  int prev = -1;
  for (i = 0; i < layers->len; ++i) {
    const spx_json_t *l = layers->items[i];
    const char *name;
    int at;
    if (l->kind != SPX_JSON_OBJECT)
      return located(c->path, l, "a layer is an object, not %s", spx_json_kind_name(l->kind));
    name = str(c, l, "name");
    if (c->failed) return 1;
    if (!name) {
      member(c, l, "name", SPX_JSON_STRING, 1);
      return 1;
    }
    if (!name[0]) continue; /* run reports: commands outside a layer */
    at = layer_index(r, name);
    if (at < 0) {
      char **nl = realloc(r->layers, (size_t)(r->n_layers + 1) * sizeof *nl);
      char *copy = strdup(name);
      if (!nl || !copy) {
        free(copy);
        if (nl) r->layers = nl;
        return spx_file_error(prog, c->path, "out of memory");
      }
      r->layers = nl;
      at = prev + 1;
      memmove(r->layers + at + 1, r->layers + at,
              (size_t)(r->n_layers - at) * sizeof *r->layers);
      r->layers[at] = copy;
      r->n_layers++;
    }
    prev = at;
  }
  return 0;
}

static void set_sparsity(cell_t *cell, ctx_t *c, const spx_json_t *stats) {
  const char *t = str(c, stats, "technique");
  cell->technique = t;
  if (!t) return;
  /* a layer the pass left as it was: say so, keep its figures if any */
  if (spx_json_get(stats, "kept_dense"))
    snprintf(cell->sparsity, sizeof cell->sparsity, "kept dense");
  else if (spx_json_get(stats, "kept_int8"))
    snprintf(cell->sparsity, sizeof cell->sparsity, "kept int8");
  if (!strcmp(t, "block")) {
    opt_t kept = num(c, stats, "blocks_kept"), total = num(c, stats, "blocks_total");
    cell->density = num(c, stats, "density");
    if (cell->density.has && kept.has && total.has)
      snprintf(cell->sparsity, sizeof cell->sparsity, "density %.4g (%.0f/%.0f blocks%s)",
               cell->density.v, kept.v, total.v, cell->sparsity[0] ? ", kept dense" : "");
  } else if (!strcmp(t, "bbs")) {
    opt_t pruned = num(c, stats, "columns_pruned");
    cell->bit_sparsity = num(c, stats, "bit_sparsity_after");
    if (cell->bit_sparsity.has)
      snprintf(cell->sparsity, sizeof cell->sparsity, "bit sparsity %.3f, %.0f cols pruned",
               cell->bit_sparsity.v, pruned.has ? pruned.v : 0.0);
  } else if (!strcmp(t, "ternary")) {
    cell->zero_fraction = num(c, stats, "sparsity");
    if (cell->zero_fraction.has)
      snprintf(cell->sparsity, sizeof cell->sparsity, "zeros %.1f%%",
               100.0 * cell->zero_fraction.v);
  } else if (!strcmp(t, "binsparx")) {
    opt_t cols = num(c, stats, "columns");
    cell->flipped_columns = num(c, stats, "flipped_columns");
    if (cell->flipped_columns.has && cols.has)
      snprintf(cell->sparsity, sizeof cell->sparsity, "flips %.0f/%.0f cols",
               cell->flipped_columns.v, cols.v);
  } else if (!strcmp(t, "lp")) {
    opt_t zeros = num(c, stats, "zero_weights");
    cell->weight_sqnr_db = num(c, stats, "weight_sqnr_db");
    if (cell->weight_sqnr_db.has)
      snprintf(cell->sparsity, sizeof cell->sparsity, "weight SQNR %.1f dB, %.0f zeros",
               cell->weight_sqnr_db.v, zeros.has ? zeros.v : 0.0);
  } else if (!cell->sparsity[0]) {
    /* a scheme this tool does not know: its name and a density if any */
    opt_t d = num(c, stats, "density");
    if (d.has) snprintf(cell->sparsity, sizeof cell->sparsity, "%.40s density %.4g", t, d.v);
    else snprintf(cell->sparsity, sizeof cell->sparsity, "%.60s", t);
  }
}

static int fill_compile(report_t *r, column_t *col, const char *path) {
  ctx_t c = {path, 0};
  const spx_json_t *j = col->compile, *layers, *totals;
  size_t i;
  layers = member(&c, j, "layers", SPX_JSON_ARRAY, 1);
  if (!layers) return 1;
  col->network = str(&c, j, "network");
  col->target = str(&c, j, "target");
  for (i = 0; i < layers->len && !c.failed; ++i) {
    const spx_json_t *l = layers->items[i], *stats;
    const char *name = str(&c, l, "name");
    int at = name ? layer_index(r, name) : -1;
    cell_t *cell;
    if (at < 0) continue;
    cell = &col->cells[at];
    cell->present = 1;
    cell->op = str(&c, l, "op");
    cell->encoding = str(&c, l, "encoding");
    cell->macs = num(&c, l, "macs");
    cell->params = num(&c, l, "params");
    cell->weight_bytes = num(&c, l, "encoded_weight_bytes");
    if (cell->weight_bytes.has && cell->params.has && cell->params.v > 0) {
      cell->bits_per_weight.has = 1;
      cell->bits_per_weight.v = cell->weight_bytes.v * 8.0 / cell->params.v;
    }
    stats = member(&c, l, "stats", SPX_JSON_OBJECT, 0);
    if (stats) set_sparsity(cell, &c, stats);
  }
  totals = member(&c, j, "totals", SPX_JSON_OBJECT, 0);
  if (totals) {
    col->macs = num(&c, totals, "macs");
    col->params = num(&c, totals, "params");
    col->weight_bytes = num(&c, totals, "encoded_weight_bytes");
    col->dense_weight_bytes = num(&c, totals, "dense_weight_bytes");
  }
  return c.failed;
}

static void add(opt_t *o, opt_t v) {
  if (!v.has) return;
  o->has = 1;
  o->v += v.v;
}

static int fill_run(report_t *r, column_t *col, const char *path) {
  ctx_t c = {path, 0};
  const spx_json_t *j = col->run, *layers;
  size_t i;
  int *seen = calloc((size_t)r->n_layers + 1, sizeof *seen);
  if (!seen) return spx_file_error(prog, path, "out of memory");
  layers = member(&c, j, "layers", SPX_JSON_ARRAY, 1);
  col->device = str(&c, j, "device");
  col->samples = num(&c, j, "samples");
  col->accuracy = num(&c, j, "accuracy");
  for (i = 0; layers && i < layers->len && !c.failed; ++i) {
    const spx_json_t *l = layers->items[i];
    const char *name = str(&c, l, "name");
    int at = name && name[0] ? layer_index(r, name) : -1;
    opt_t cycles = num(&c, l, "cycles"), util = num(&c, l, "utilization");
    opt_t mean = num(&c, l, "mean_us");
    opt_t sqnr = num(&c, l, "sqnr_db"), maxerr = num(&c, l, "max_abs_error");
    const char *bound = str(&c, l, "bound"), *unit = str(&c, l, "unit");
    const char *op = str(&c, l, "op");
    cell_t *cell;
    if (at < 0) continue;
    cell = &col->cells[at];
    cell->present = 1;
    if (!cell->op) cell->op = op;
    /* a layer's commands (aie: loads, locks, ...) add their time; the
     * layer's own entry has its cycles, bound and utilisation */
    add(&cell->time_us, mean);
    add(&cell->cycles, cycles);
    if (util.has && !cell->utilization.has) cell->utilization = util;
    if (bound && !cell->bound) cell->bound = bound;
    if (unit && !cell->unit) cell->unit = unit;
    if (sqnr.has && !cell->sqnr_db.has) cell->sqnr_db = sqnr;
    if (maxerr.has && !cell->max_abs_error.has) cell->max_abs_error = maxerr;
    seen[at] = 1;
  }
  free(seen);
  if (!c.failed) {
    opt_t cyc = num(&c, j, "cycles"), total_ms = num(&c, j, "total_ms");
    if (cyc.has) col->cycles = cyc;
    if (total_ms.has && col->samples.has && col->samples.v > 0) {
      col->time_us.has = 1;
      col->time_us.v = total_ms.v * 1000.0 / col->samples.v;
    }
  }
  return c.failed;
}

/* Totals a report did not give, from its layers; the derived figures. */
static void totals(report_t *r, column_t *col) {
  int i;
  double util_cycles = 0, layer_cycles = 0;
  int any_util = 0;
  opt_t wb = {0, 0}, params = {0, 0}, cyc = {0, 0}, t = {0, 0};
  const char *bounds[32];
  double bound_cycles[32];
  int n_bounds = 0, k;
  for (i = 0; i < r->n_layers; ++i) {
    cell_t *cell = &col->cells[i];
    add(&wb, cell->weight_bytes);
    add(&params, cell->params);
    add(&cyc, cell->cycles);
    add(&t, cell->time_us);
    if (cell->cycles.has) {
      layer_cycles += cell->cycles.v;
      if (cell->utilization.has) util_cycles += cell->utilization.v * cell->cycles.v, any_util = 1;
      if (cell->bound) {
        for (k = 0; k < n_bounds; ++k)
          if (!strcmp(bounds[k], cell->bound)) break;
        if (k == n_bounds && n_bounds < 32) bounds[n_bounds] = cell->bound,
                                            bound_cycles[n_bounds++] = 0;
        if (k < 32) bound_cycles[k] += cell->cycles.v;
      }
    }
  }
  if (!col->weight_bytes.has) col->weight_bytes = wb;
  if (!col->params.has) col->params = params;
  if (!col->cycles.has) col->cycles = cyc;
  if (!col->time_us.has) col->time_us = t;
  if (col->weight_bytes.has && col->params.has && col->params.v > 0) {
    col->bits_per_weight.has = 1;
    col->bits_per_weight.v = col->weight_bytes.v * 8.0 / col->params.v;
  }
  if (col->weight_bytes.has && col->dense_weight_bytes.has && col->weight_bytes.v > 0) {
    col->compression_f32.has = 1;
    col->compression_f32.v = col->dense_weight_bytes.v / col->weight_bytes.v;
  }
  if (any_util && layer_cycles > 0) {
    col->utilization.has = 1;
    col->utilization.v = util_cycles / layer_cycles;
  }
  if (n_bounds && layer_cycles > 0) {
    int best = 0;
    for (k = 1; k < n_bounds; ++k)
      if (bound_cycles[k] > bound_cycles[best]) best = k;
    col->bound = bounds[best];
    col->bound_share.has = 1;
    col->bound_share.v = bound_cycles[best] / layer_cycles;
  }
}

static void against_baseline(report_t *r) {
  const column_t *b = &r->cols[r->baseline];
  int i;
  for (i = 0; i < r->n_cols; ++i) {
    column_t *col = &r->cols[i];
    if (b->cycles.has && col->cycles.has && col->cycles.v > 0) {
      col->speedup.has = 1;
      col->speedup.v = b->cycles.v / col->cycles.v;
    } else if (!b->cycles.has && !col->cycles.has && b->time_us.has && col->time_us.has &&
               col->time_us.v > 0 && b->device && col->device && !strcmp(b->device, "cpu") &&
               !strcmp(col->device, "cpu")) {
      col->speedup.has = 1;
      col->speedup.v = b->time_us.v / col->time_us.v;
      col->speedup_wall = 1;
    }
    if (b->weight_bytes.has && col->weight_bytes.has && col->weight_bytes.v > 0) {
      col->compression.has = 1;
      col->compression.v = b->weight_bytes.v / col->weight_bytes.v;
    }
  }
}

/* "TARGET SCHEME": the techniques of the stats, else "int8"/"f32". */
static void default_label(report_t *r, column_t *col) {
  char tech[96] = "";
  size_t len = 0;
  int i;
  for (i = 0; i < r->n_layers; ++i) {
    const char *t = col->cells[i].technique;
    if (t && !strstr(tech, t) && len + strlen(t) + 2 < sizeof tech)
      len += (size_t)snprintf(tech + len, sizeof tech - len, "%s%s", len ? "+" : "", t);
  }
  if (!len && col->compile) {
    int dense = 0, f32 = 0;
    for (i = 0; i < r->n_layers; ++i) {
      const char *e = col->cells[i].encoding;
      if (e && !strcmp(e, "dense")) dense = 1;
      if (e && !strcmp(e, "f32")) f32 = 1;
    }
    snprintf(tech, sizeof tech, "%s", dense ? "int8" : f32 ? "f32" : "");
  }
  if (col->compile)
    snprintf(col->label, sizeof col->label, "%.40s%s%.80s", col->target ? col->target : "?",
             tech[0] ? " " : "", tech);
  else
    snprintf(col->label, sizeof col->label, "run on %.60s", col->device ? col->device : "?");
}

/* Whether run report `run` ran the model of compile report `comp`. */
static int runs_model(const input_t *run, const input_t *comp) {
  const spx_json_t *m = spx_json_get(run->json, "model");
  size_t n;
  char *cand, a[PATH_MAX], b[PATH_MAX];
  int same;
  if (!m || m->kind != SPX_JSON_STRING) return 0;
  n = strlen(m->string);
  if (n < 7 || strcmp(m->string + n - 7, ".spxbin")) return 0;
  cand = malloc(n + 16);
  if (!cand) return 0;
  memcpy(cand, m->string, n - 7);
  strcpy(cand + n - 7, ".report.json");
  if (realpath(cand, a) && realpath(comp->path, b)) same = !strcmp(a, b);
  else same = !strcmp(cand, comp->path);
  free(cand);
  return same;
}

typedef struct options {
  const char *output, *format, *title;
  const char **labels;
  int n_labels;
  long baseline; /* 1-based; 0: not given */
  int no_pair;
} options_t;

static int run(int argc, char **argv, const char **labels);

/* The labels' array lives as long as the run, whichever way it ends. */
int main(int argc, char **argv) {
  const char **labels = calloc((size_t)argc + 1, sizeof *labels);
  if (!labels) return spx_file_error(prog, "<memory>", "out of memory");
  int rc = run(argc, argv, labels);
  free(labels);
  return rc;
}

static int run(int argc, char **argv, const char **labels) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
      {"baseline", required_argument, NULL, 'b'}, {"label", required_argument, NULL, 'l'},
      {"title", required_argument, NULL, 't'}, {"no-pair", no_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  options_t o;
  input_t *in;
  report_t r;
  int n_in, i, opt, rc = 0;
  int (*writer)(FILE *, void *);
  memset(&o, 0, sizeof o);
  memset(&r, 0, sizeof r);
  o.labels = labels;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":o:f:b:l:t:hV", longopts, NULL)) != -1) {
    switch (opt) {
    case 'o': o.output = optarg; break;
    case 'f': o.format = optarg; break;
    case 't': o.title = optarg; break;
    case 'l': o.labels[o.n_labels++] = optarg; break;
    case 'P': o.no_pair = 1; break;
    case 'b': {
      char *end;
      errno = 0;
      o.baseline = strtol(optarg, &end, 10);
      if (!optarg[0] || *end || errno || o.baseline < 1)
        return usage_error("--baseline takes a column number, 1 or more, not '%s'", optarg);
      break;
    }
    case 'h': help(); return 0;
    case 'V': printf("spx-report %s\n", SPX_VERSION); return 0;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      if (optopt) return usage_error("unknown option '-%c'", optopt);
      return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  n_in = argc - optind;
  if (n_in < 1) return usage_error("no report given");
  if (!o.format) {
    const char *out = o.output && strcmp(o.output, "-") ? o.output : NULL;
    size_t n = out ? strlen(out) : 0;
    if (!out) o.format = "text";
    else if (n >= 4 && !strcmp(out + n - 4, ".csv")) o.format = "csv";
    else if (n >= 4 && !strcmp(out + n - 4, ".txt")) o.format = "text";
    else o.format = "html";
  }
  if (!strcmp(o.format, "html")) writer = spx_report_html;
  else if (!strcmp(o.format, "csv")) writer = spx_report_csv;
  else if (!strcmp(o.format, "text")) writer = spx_report_text;
  else return usage_error("--format is html, csv or text, not '%s'", o.format);

  for (i = 0; i < n_in; ++i)
    for (int k = 0; k < i; ++k)
      if (!strcmp(argv[optind + i], "-") && !strcmp(argv[optind + k], "-"))
        return usage_error("'-' (standard input) is given twice");
  in = calloc((size_t)n_in, sizeof *in);
  if (!in) return spx_file_error(prog, "<memory>", "out of memory");
  for (i = 0; i < n_in; ++i) {
    in[i].path = argv[optind + i];
    in[i].pair = -1;
    if (load_input(&in[i]) || classify(&in[i])) {
      rc = 1;
      goto done;
    }
  }
  /* pair each run report with the first unpaired compile report of its model */
  for (i = 0; i < n_in && !o.no_pair; ++i) {
    int k;
    if (!in[i].is_run) continue;
    for (k = 0; k < n_in; ++k)
      if (!in[k].is_run && in[k].pair < 0 && runs_model(&in[i], &in[k])) {
        in[i].pair = k;
        in[k].pair = i;
        break;
      }
  }
  r.cols = calloc((size_t)n_in, sizeof *r.cols);
  if (!r.cols) {
    rc = spx_file_error(prog, "<memory>", "out of memory");
    goto done;
  }
  for (i = 0; i < n_in; ++i) {
    column_t *col;
    if (in[i].is_run && in[i].pair >= 0) continue;
    col = &r.cols[r.n_cols++];
    if (in[i].is_run) {
      col->run_path = in[i].path, col->run = in[i].json;
    } else {
      col->compile_path = in[i].path, col->compile = in[i].json;
      if (in[i].pair >= 0) col->run_path = in[in[i].pair].path, col->run = in[in[i].pair].json;
    }
  }
  if (o.n_labels > r.n_cols) {
    rc = usage_error("%d labels for %d column%s", o.n_labels, r.n_cols, r.n_cols == 1 ? "" : "s");
    goto done;
  }
  if (o.baseline > r.n_cols) {
    rc = usage_error("--baseline=%ld, but there %s %d column%s", o.baseline,
                     r.n_cols == 1 ? "is" : "are", r.n_cols, r.n_cols == 1 ? "" : "s");
    goto done;
  }
  r.baseline = o.baseline ? (int)o.baseline - 1 : 0;
  /* layers: the union of every report's names, in order */
  for (i = 0; i < r.n_cols; ++i) {
    column_t *col = &r.cols[i];
    ctx_t c = {NULL, 0};
    const spx_json_t *layers;
    if (col->compile) {
      c.path = col->compile_path;
      layers = member(&c, col->compile, "layers", SPX_JSON_ARRAY, 1);
      if (!layers || merge_layers(&r, &c, layers)) {
        rc = 1;
        goto done;
      }
    }
    if (col->run) {
      c.path = col->run_path;
      layers = member(&c, col->run, "layers", SPX_JSON_ARRAY, 1);
      if (!layers || merge_layers(&r, &c, layers)) {
        rc = 1;
        goto done;
      }
    }
  }
  for (i = 0; i < r.n_cols; ++i) {
    column_t *col = &r.cols[i];
    col->cells = calloc((size_t)r.n_layers + 1, sizeof *col->cells);
    if (!col->cells) {
      rc = spx_file_error(prog, "<memory>", "out of memory");
      goto done;
    }
    if ((col->compile && fill_compile(&r, col, col->compile_path)) ||
        (col->run && fill_run(&r, col, col->run_path))) {
      rc = 1;
      goto done;
    }
    totals(&r, col);
    if (i < o.n_labels) snprintf(col->label, sizeof col->label, "%s", o.labels[i]);
    else default_label(&r, col);
  }
  against_baseline(&r);
  r.title = o.title;

  if (!o.output || !strcmp(o.output, "-")) {
    if (writer(stdout, &r) || fflush(stdout) || ferror(stdout))
      rc = spx_file_error(prog, "<stdout>", "write error");
  } else {
    spx_outfile_handle_signals();
    if (spx_outfile_write(o.output, writer, &r))
      rc = spx_file_error(prog, o.output, "cannot write: %s", strerror(errno));
  }
done:
  for (i = 0; i < n_in; ++i) spx_json_free(in[i].json);
  for (i = 0; i < r.n_cols; ++i) free(r.cols[i].cells);
  for (i = 0; i < r.n_layers; ++i) free(r.layers[i]);
  free(r.layers);
  free(r.cols);
  free(in);
  return rc;
}
