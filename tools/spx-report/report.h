/* report.h - spx-report's model: columns (one compiled model each: a
 * compile report, a run report, or both) and layers matched by name.
 * main.c reads the JSON into it; out.c writes it as text, CSV or HTML. */
#ifndef SPX_REPORT_REPORT_H
#define SPX_REPORT_REPORT_H

#include <stdio.h>

#include "json.h"

/* Optional number: has == 0 means absent (shown empty). */
typedef struct opt {
  int has;
  double v;
} opt_t;

/* One layer of one column. */
typedef struct cell {
  int present;
  const char *op;        /* compile report's op, else the run report's */
  const char *encoding;  /* "dense", "cbr", ... or NULL */
  const char *technique; /* stats.technique or NULL */
  opt_t macs, params, weight_bytes, bits_per_weight;
  /* from the compile report's stats, by technique */
  char sparsity[96];     /* a short text, "" when the scheme gives none */
  opt_t density;         /* block: kept blocks / blocks */
  opt_t bit_sparsity;    /* bbs: zero bits after pruning */
  opt_t zero_fraction;   /* ternary: zero weights / weights */
  opt_t flipped_columns; /* binsparx: columns stored negated */
  opt_t weight_sqnr_db;  /* lp: the weights' SQNR */
  /* from the run report */
  opt_t cycles, utilization, time_us, sqnr_db, max_abs_error;
  const char *bound, *unit;
} cell_t;

typedef struct column {
  const char *compile_path, *run_path; /* as given; NULL when absent */
  spx_json_t *compile, *run;
  char label[128];
  const char *network, *target, *device;
  opt_t samples, accuracy;
  cell_t *cells; /* [n_layers] */
  /* totals */
  opt_t macs, params, weight_bytes, dense_weight_bytes, bits_per_weight;
  opt_t compression_f32;
  opt_t cycles, time_us, utilization;
  const char *bound;   /* the bound of most cycles */
  opt_t bound_share;   /* its share of the cycles */
  opt_t speedup;       /* vs the baseline: cycles, or wall time (cpu) */
  int speedup_wall;    /* 1: speedup is of wall time on the cpu device */
  opt_t compression;   /* vs the baseline: weight bytes */
} column_t;

typedef struct report {
  column_t *cols;
  int n_cols;
  char **layers; /* names, in merged order */
  int n_layers;
  int baseline; /* 0-based column */
  const char *title;
} report_t;

/* out.c */
int spx_report_text(FILE *f, void *report);
int spx_report_csv(FILE *f, void *report);
int spx_report_html(FILE *f, void *report);

/* Numbers as every output writes them (the tests recompute these). */
void spx_report_fmt(char *buf, size_t size, const char *metric, opt_t v);

#endif
