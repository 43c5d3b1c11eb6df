/* spxc - the SPX compiler driver.
 *
 * Reads a .spx network, checks it, builds the spx MLIR module, runs the pass
 * pipeline and emits what --emit asks for. The pipeline reads as straight
 * calls: load -> override -> lower -> passes -> emit. */
#define _GNU_SOURCE /* getopt_long */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/spx_backend.h"
#include "frontend/spx_fe.h"
#include "ir/spx_ir.h"
#include "passes/spx_pass.h"
#include "support/spx_support.h"

#ifndef SPX_VERSION
#define SPX_VERSION "unknown"
#endif

/* What to write. Several may be combined: --emit=c,spxbin. */
enum {
  EMIT_MLIR = 1 << 0,
  EMIT_C = 1 << 1,
  EMIT_SPXBIN = 1 << 2,
  EMIT_REPORT = 1 << 3,
  EMIT_PRODUCT = EMIT_C | EMIT_SPXBIN | EMIT_REPORT,
  EMIT_SPX = 1 << 4, /* an .onnx input as .spx text and .npy weights */
};

typedef struct options {
  const char *input;
  const char *output; /* -o: directory; a file for --emit=mlir alone */
  unsigned emit;
  bool emit_given;
  const char *emit_text; /* the last --emit, as given */
  bool syntax_only;
  bool print_ir_after_all;
  bool timing;
  bool debug_info;
  bool elide_weights;
  const char *dump_weights;
  const char *depfile; /* --depfile: make-style rule of the files read */
  int error_limit; /* errors shown before stopping; 0: no limit */
  bool fatal_warnings; /* --fatal-warnings: warnings are errors */
  const char *c_prefix; /* --c-prefix: starts every C symbol and macro */
  bool weights_blob;    /* --weights=blob: NAME.weights.bin and .S, not arrays */
  const char *provenance; /* the options that shape the outputs, verbatim */
  int n_passes; /* -1: default pipeline */
  spx_pass_id_t passes[64];
  int n_overrides;
  const char *overrides[64]; /* compile statements, in command-line order */
  bool override_is_target_opt[64]; /* overrides[i] is a --target-opt KEY=VALUE */
} options_t;

static void usage(FILE *out) {
  fputs(
      "usage: spxc FILE.spx [options]     (FILE.spx '-': standard input)\n"
      "       spxc FILE.mlir [options]   (spx IR as text, e.g. a pass test)\n"
      "       spxc MODEL.onnx [options]  (an ONNX model; docs/onnx.md)\n"
      "\n"
      "Compiles a network description to the spx MLIR dialect and runs the\n"
      "SPX pass pipeline on it.\n"
      "\n"
      "Options take their value as '--opt VALUE' or '--opt=VALUE'. A .spx read\n"
      "from standard input is named <stdin> in messages; its weight and\n"
      "calibration paths are relative to the working directory.\n"
      "\n"
      "Output:\n"
      "  -o, --output DIR       output directory (default: .; created if missing,\n"
      "                         with its parents); '-': standard output, for one\n"
      "                         output (--emit=spxbin, report or mlir alone)\n"
      "  --emit=KIND[,KIND]     what to write (default: c,spxbin,report):\n"
      "                           c       DIR/NAME.h and DIR/NAME.c, C99 over libspxrt\n"
      "                           spxbin  DIR/NAME.spxbin, the runtime's command stream\n"
      "                           report  DIR/NAME.report.json, per-layer figures\n"
      "                           mlir    the module after the pipeline, to stdout\n"
      "                                   (or to the file -o names, when alone;\n"
      "                                   its folder created if missing)\n"
      "                           spx     (.onnx input) DIR/NAME.spx, the equivalent\n"
      "                                   network with the command line's compile\n"
      "                                   statements, and its weights DIR/weights/*.npy\n"
      "  --syntax-only          parse and check the network, then stop\n"
      "  --mlir-print-debuginfo print locations with --emit=mlir\n"
      "  --mlir-elide-weights   leave weight values out of --emit=mlir (the IR\n"
      "                         still parses; useful for large networks)\n"
      "  --dump-weights=DIR     write every weight the module references as DIR/NAME.npy\n"
      "                         (DIR created if missing)\n"
      "  --depfile=FILE         write FILE, a make/ninja rule: the first output\n"
      "                         depends on the input, every weight file and the\n"
      "                         calibration data read (for build systems)\n"
      "  Every file is written under a temporary name and all are renamed into\n"
      "  place together: a failed or interrupted compile leaves the previous\n"
      "  files, no temporary and no folder it created.\n"
      "  --c-prefix=PREFIX      start every symbol and macro of NAME.h/NAME.c with\n"
      "                         PREFIX (macros with it upper-cased): PREFIXNAME_run,\n"
      "                         PREFIXNAME_WORKSPACE_SIZE; lets variants of one network\n"
      "                         link into one product (see docs/generated-c.md)\n"
      "  --weights=c|blob       where generated C keeps the weights: c (default):\n"
      "                         static const arrays in NAME.c; blob: the image\n"
      "                         NAME.weights.bin, linked by NAME.weights.S (.incbin)\n"
      "                         or given at run time (cpu target; docs/generated-c.md)\n"
      "\n"
      "Passes:\n"
      "  --passes=a,b,c         run these passes instead of the default pipeline\n"
      "                         (--passes= runs none)\n"
      "  --list-passes          list the passes, in default pipeline order\n"
      "  --print-ir-after-all   print the module to stderr after each pass\n"
      "  --timing               print the time of each phase and pass to stderr\n"
      "\n"
      "Diagnostics:\n"
      "  --error-limit=N        stop after N errors (default: 20; 0: no limit),\n"
      "                         as clang's -ferror-limit\n"
      "  --fatal-warnings       treat warnings as errors (as gcc's -Werror): exit 1,\n"
      "                         nothing written. spxc warns where it does not do what\n"
      "                         was asked: a layer kept dense, degenerate calibration\n"
      "                         data, a setting without effect on the target\n"
      "\n"
      "Compile-block overrides (each wins over the file's compile block):\n"
      "  --target=SPEC          e.g. --target=cpu, --target='aie(rows=2, cols=2)'\n",
      out);
  fprintf(out, "                         targets: %s\n", spx_backend_target_names());
  fputs(
      "  --list-targets         list the targets: which weight formats each runs\n"
      "                         natively, takes decoded or refuses, and its options\n"
      "  --target-opt KEY=VALUE one option of the target, the others kept,\n"
      "                         e.g. --target-opt rows=2 (repeatable)\n"
      "  --quantize=SPEC        e.g. --quantize=int8, --quantize='int8 calibrate=\"x.npy\"'\n"
      "  --sparsify=LAYER:SPEC  e.g. --sparsify='fc1:block(8x8, density=0.5)'\n"
      "  --set=STATEMENT        any compile-block statement, e.g. --set='quantize fc1 : f32'\n"
      "\n"
      "  -h, --help             show this help\n"
      "  --version              show the version\n"
      "\n"
      "Exit status: 0; 1 for an error in the input (located FILE:LINE:COL: error:)\n"
      "or in writing the outputs; 2 for a usage error.\n",
      out);
}

/* Usage errors: exit status 2 (errors in the input: 1). */
static int usage_error(const char *fmt, const char *arg) {
  fputs("spxc: error: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n(run 'spxc --help' for usage)\n", stderr);
  return 2;
}

static int parse_passes(options_t *o, const char *list) {
  o->n_passes = 0;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    int id = spx_pass_lookup(tok);
    if (id < 0) return usage_error("unknown pass '%s' (see --list-passes)", tok);
    if (o->n_passes == 64) return usage_error("too many passes in '%s'", list);
    o->passes[o->n_passes++] = (spx_pass_id_t)id;
  }
  return 0;
}

static int parse_emit(options_t *o, const char *list) {
  static const struct {
    const char *name;
    unsigned bits;
  } kinds[] = {{"mlir", EMIT_MLIR},     {"c", EMIT_C},        {"spxbin", EMIT_SPXBIN},
               {"report", EMIT_REPORT}, {"all", EMIT_PRODUCT}, {"spx", EMIT_SPX},
               {"none", 0}};
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  o->emit = 0;
  o->emit_given = true;
  o->emit_text = list;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, tok) != 0) k++;
    if (k == sizeof kinds / sizeof kinds[0])
      return usage_error("unknown --emit kind '%s' (expected c, spxbin, report, mlir, spx, all or none)", tok);
    o->emit |= kinds[k].bits;
  }
  return 0;
}

static int add_override(options_t *o, spx_arena_t *arena, const char *stmt) {
  if (o->n_overrides == 64) return usage_error("too many overrides at '%s'", stmt);
  o->overrides[o->n_overrides++] = spx_arena_strdup(arena, stmt);
  return 0;
}

/* Notes an option that shapes the outputs, for their provenance comment. */
static void note_option(options_t *o, spx_arena_t *arena, const char *arg) {
  o->provenance = o->provenance ? spx_arena_printf(arena, "%s %s", o->provenance, arg)
                                : spx_arena_strdup(arena, arg);
}

/* -o - writes the one output to standard output; several outputs cannot
 * share it. 0, or 2 after a usage error. */
static int check_stdout(const options_t *o) {
  if (!o->output || strcmp(o->output, "-") != 0 || o->syntax_only) return 0;
  const char *why = NULL;
  unsigned single = o->emit & (EMIT_MLIR | EMIT_SPXBIN | EMIT_REPORT);
  char buf[512];
  if (!o->emit_given) {
    why = "the default outputs are several (NAME.h, NAME.c, NAME.spxbin, NAME.report.json)";
  } else if (o->emit & EMIT_SPX) {
    why = "--emit=spx writes a folder (NAME.spx and weights/)";
  } else if (o->emit & EMIT_C) {
    why = "--emit=c writes two files (NAME.h and NAME.c)";
  } else if (single & (single - 1)) {
    snprintf(buf, sizeof buf, "--emit=%s asks for several", o->emit_text);
    why = buf;
  }
  if (!why) return 0;
  fprintf(stderr,
          "spxc: error: -o - writes one output to standard output, but %s; ask for one with "
          "--emit=spxbin, --emit=report or --emit=mlir, or give -o DIR\n"
          "(run 'spxc --help' for usage)\n",
          why);
  return 2;
}

/* Long options without a short form. */
enum {
  OPT_HELP = 'h',
  OPT_OUTPUT = 'o',
  OPT_VERSION = 256,
  OPT_LIST_TARGETS,
  OPT_LIST_PASSES,
  OPT_EMIT,
  OPT_SYNTAX_ONLY,
  OPT_DEBUGINFO,
  OPT_ELIDE_WEIGHTS,
  OPT_DEPFILE,
  OPT_DUMP_WEIGHTS,
  OPT_ERROR_LIMIT,
  OPT_FATAL_WARNINGS,
  OPT_C_PREFIX,
  OPT_WEIGHTS,
  OPT_PASSES,
  OPT_PRINT_IR,
  OPT_TIMING,
  OPT_TARGET,
  OPT_QUANTIZE,
  OPT_SPARSIFY,
  OPT_TARGET_OPT,
  OPT_SET,
};

/* Returns 0 to go on, 2 on a usage error, -1 when the run is complete
 * (--help, --version, --list-passes, --list-targets). Every option with a
 * value takes it as '--opt VALUE' or '--opt=VALUE' (getopt_long). */
static int parse_args(int argc, char **argv, options_t *o, spx_arena_t *arena) {
  static const struct option longopts[] = {
      {"help", no_argument, NULL, OPT_HELP},
      {"version", no_argument, NULL, OPT_VERSION},
      {"list-targets", no_argument, NULL, OPT_LIST_TARGETS},
      {"list-passes", no_argument, NULL, OPT_LIST_PASSES},
      {"output", required_argument, NULL, OPT_OUTPUT},
      {"emit", required_argument, NULL, OPT_EMIT},
      {"syntax-only", no_argument, NULL, OPT_SYNTAX_ONLY},
      {"mlir-print-debuginfo", no_argument, NULL, OPT_DEBUGINFO},
      {"mlir-elide-weights", no_argument, NULL, OPT_ELIDE_WEIGHTS},
      {"depfile", required_argument, NULL, OPT_DEPFILE},
      {"dump-weights", required_argument, NULL, OPT_DUMP_WEIGHTS},
      {"error-limit", required_argument, NULL, OPT_ERROR_LIMIT},
      {"fatal-warnings", no_argument, NULL, OPT_FATAL_WARNINGS},
      {"c-prefix", required_argument, NULL, OPT_C_PREFIX},
      {"weights", required_argument, NULL, OPT_WEIGHTS},
      {"passes", required_argument, NULL, OPT_PASSES},
      {"print-ir-after-all", no_argument, NULL, OPT_PRINT_IR},
      {"timing", no_argument, NULL, OPT_TIMING},
      {"target", required_argument, NULL, OPT_TARGET},
      {"quantize", required_argument, NULL, OPT_QUANTIZE},
      {"sparsify", required_argument, NULL, OPT_SPARSIFY},
      {"target-opt", required_argument, NULL, OPT_TARGET_OPT},
      {"set", required_argument, NULL, OPT_SET},
      {NULL, 0, NULL, 0},
  };
  o->n_passes = -1;
  o->error_limit = 20;
  opterr = 0; /* our own messages */
  int opt, index = 0;
  while ((opt = getopt_long(argc, argv, ":ho:", longopts, &index)) != -1) {
    const char *v = optarg;
    /* The option as the provenance records it, whichever form was given. */
    const char *as_given =
        opt >= OPT_VERSION && v ? spx_arena_printf(arena, "--%s=%s", longopts[index].name, v) : NULL;
    switch (opt) {
    case OPT_HELP: usage(stdout); return -1;
    case OPT_VERSION: printf("spxc %s (MLIR 19)\n", SPX_VERSION); return -1;
    case OPT_LIST_TARGETS: spx_backend_targets_list(stdout); return -1;
    case OPT_LIST_PASSES:
      for (int p = 0; p < SPX_PASS_COUNT_; p++)
        printf("  %-20s %s\n", spx_pass_name((spx_pass_id_t)p),
               spx_pass_description((spx_pass_id_t)p));
      return -1;
    case OPT_EMIT:
      if (parse_emit(o, v)) return 2;
      break;
    case OPT_OUTPUT:
      if (!*v) return usage_error("%s needs a file name", "-o");
      o->output = v;
      break;
    case OPT_SYNTAX_ONLY: o->syntax_only = true; break;
    case OPT_DEBUGINFO: o->debug_info = true; break;
    case OPT_ELIDE_WEIGHTS: o->elide_weights = true; break;
    case OPT_DEPFILE:
      if (!*v) return usage_error("%s needs a file name", "--depfile");
      if (strcmp(v, "-") == 0)
        return usage_error("%s writes a file: '-' (standard output) is not one", "--depfile");
      o->depfile = v;
      break;
    case OPT_DUMP_WEIGHTS: o->dump_weights = v; break;
    case OPT_ERROR_LIMIT: {
      char *end;
      errno = 0;
      long n = strtol(v, &end, 10);
      if (end == v || *end || errno || n < 0 || n > 1000000000)
        return usage_error("--error-limit expects a number of errors (0: no limit), got '%s'", v);
      o->error_limit = (int)n;
      break;
    }
    case OPT_FATAL_WARNINGS: o->fatal_warnings = true; break;
    case OPT_C_PREFIX: {
      const char *why = spx_backend_c_prefix_problem(v);
      if (why) {
        fprintf(stderr, "spxc: error: --c-prefix '%s' %s\n(run 'spxc --help' for usage)\n", v,
                why);
        return 2;
      }
      o->c_prefix = v;
      note_option(o, arena, as_given);
      break;
    }
    case OPT_WEIGHTS:
      if (strcmp(v, "c") == 0) o->weights_blob = false;
      else if (strcmp(v, "blob") == 0) o->weights_blob = true;
      else return usage_error("--weights expects c or blob, got '%s'", v);
      note_option(o, arena, as_given);
      break;
    case OPT_PASSES:
      if (parse_passes(o, v)) return 2;
      note_option(o, arena, as_given);
      break;
    case OPT_PRINT_IR: o->print_ir_after_all = true; break;
    case OPT_TIMING: o->timing = true; break;
    case OPT_TARGET:
      if (add_override(o, arena, spx_arena_printf(arena, "target %s", v))) return 2;
      note_option(o, arena, as_given);
      break;
    case OPT_QUANTIZE:
      if (add_override(o, arena, spx_arena_printf(arena, "quantize %s", v))) return 2;
      note_option(o, arena, as_given);
      break;
    case OPT_SPARSIFY: {
      const char *colon = strchr(v, ':');
      if (!colon) return usage_error("--sparsify expects LAYER:SPEC, got '%s'", v);
      if (add_override(o, arena, spx_arena_printf(arena, "sparsify %.*s : %s",
                                                  (int)(colon - v), v, colon + 1)))
        return 2;
      note_option(o, arena, as_given);
      break;
    }
    case OPT_TARGET_OPT:
      if (add_override(o, arena, v)) return 2;
      o->override_is_target_opt[o->n_overrides - 1] = true;
      note_option(o, arena, as_given);
      break;
    case OPT_SET:
      if (add_override(o, arena, v)) return 2;
      note_option(o, arena, as_given);
      break;
    case ':':
      if (optopt == 'o') return usage_error("%s needs a file name", "-o");
      return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      {
        char buf[3];
        return usage_error("unknown option '%s'", spx_bad_option(optopt, argv[optind - 1], buf));
      }
    }
  }
  for (int i = optind; i < argc; i++) {
    if (o->input) return usage_error("more than one input file ('%s')", argv[i]);
    o->input = argv[i];
  }
  if (!o->input) return usage_error("%s", "no input file");
  if (!o->emit_given) o->emit = EMIT_PRODUCT;
  return check_stdout(o);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void phase(const options_t *o, double *t, const char *what) {
  double t1 = now();
  if (o->timing) fprintf(stderr, "  %9.4f s  %s\n", t1 - *t, what);
  *t = t1;
}

/* Every file a compile writes (NAME.h/.c/.spxbin/.report.json, the -o file
 * of --emit=mlir, the --dump-weights files) goes into one spx_outset_t:
 * written under temporary names, then committed together, so a failed or
 * interrupted compile leaves the previous outputs (and no temporary, and no
 * folder it created), and a successful one leaves only new ones. */

static int out_error(const spx_outset_t *set) {
  fprintf(stderr, "spxc: error: %s\n", spx_outset_error(set));
  return -1;
}

enum { OUT_H, OUT_C, OUT_WEIGHTS_BIN, OUT_WEIGHTS_S, OUT_SPXBIN, OUT_REPORT, OUT_COUNT };

/* The files the compile writes (but the depfile): the depfile's targets. */
static const char *dep_targets[OUT_COUNT + 1];
static int n_dep_targets;

static void dep_path(FILE *f, const char *path) {
  for (const char *c = path; *c; c++) {
    if (*c == ' ' || *c == '#') fputc('\\', f);
    if (*c == '$') fputc('$', f);
    fputc(*c, f);
  }
}

/* --depfile: "OUTPUTS...: INPUT WEIGHTS... CALIBRATION", one prerequisite
 * a line, as make and ninja read it; written with the other outputs. */
static int write_depfile(const options_t *o, spx_outset_t *set) {
  if (n_dep_targets == 0) {
    fputs("spxc: error: --depfile needs an output file (--emit=c, spxbin, report, or mlir "
          "with -o)\n",
          stderr);
    return -1;
  }
  FILE *f = spx_outset_open(set, o->depfile);
  if (!f) return out_error(set);
  for (int i = 0; i < n_dep_targets; i++) {
    if (i) fputs(" ", f);
    dep_path(f, dep_targets[i]);
  }
  fputs(":", f);
  for (size_t i = 0; i < spx_inputs_count(); i++) {
    fputs(" \\\n  ", f);
    dep_path(f, spx_inputs_get(i));
  }
  fputs("\n", f);
  return 0;
}

/* Every store buffer that an spx op references, once, in op order, as
 * DIR/NAME.npy (DIR created if missing). */
static int dump_weights(MlirModule module, spx_wstore_t *store, const char *dir,
                        spx_outset_t *set) {
  if (spx_outset_mkdirs(set, dir) != 0) return out_error(set);
  MlirOperation *ops;
  size_t n = spx_ir_collect(mlirModuleGetOperation(module), NULL, &ops);
  /* The buffers already written: a hash set of pointers (several ops may
   * reference one buffer). */
  size_t cap = 16;
  while (cap < 2 * spx_wstore_count(store)) cap *= 2;
  const spx_wbuf_t **done = calloc(cap, sizeof *done);
  int rc = done ? 0 : -1;
  if (!done) fputs("spxc: error: out of memory\n", stderr);
  for (size_t i = 0; i < n && rc == 0; i++) {
    for (intptr_t a = 0; a < mlirOperationGetNumAttributes(ops[i]) && rc == 0; a++) {
      MlirNamedAttribute na = mlirOperationGetAttribute(ops[i], a);
      MlirStringRef key = mlirIdentifierStr(na.name);
      char attr[64];
      snprintf(attr, sizeof attr, "%.*s", (int)key.length, key.data);
      spx_wbuf_t *b = spx_ir_get_wbuf(ops[i], attr, store);
      if (!b) continue;
      size_t h = (size_t)spx_hash_str(b->name) & (cap - 1);
      while (done[h] && done[h] != b) h = (h + 1) & (cap - 1);
      if (done[h]) continue; /* referenced again */
      done[h] = b;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s.npy", dir, b->name);
      FILE *f = spx_outset_open(set, path);
      if (!f) {
        rc = out_error(set);
      } else if (spx_npy_fwrite(f, b->dtype, b->rank, b->dims, b->data) != 0) {
        fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
        rc = -1;
      } else if (spx_outset_close(set, f) != 0) { /* not hundreds open at once */
        rc = out_error(set);
      }
    }
  }
  free((void *)done);
  free(ops);
  return rc;
}

static int emit_mlir(const options_t *o, MlirModule module, spx_outset_t *set) {
  /* With other outputs, -o is their directory and the MLIR goes to stdout;
   * so without -o, and with -o -. Standard output is one of the set's
   * files: written at the commit, after everything else succeeded. */
  if (!o->output || (o->emit & EMIT_PRODUCT) || strcmp(o->output, "-") == 0) {
    FILE *f = spx_outset_open(set, "-");
    if (!f) return out_error(set);
    spx_ir_print(mlirModuleGetOperation(module), f, o->debug_info, o->elide_weights);
    return 0;
  }
  /* -o FILE: its folder is created if missing, as -o DIR is. */
  const char *slash = strrchr(o->output, '/');
  if (slash && slash != o->output) {
    size_t n = (size_t)(slash - o->output);
    char *parent = malloc(n + 1);
    if (!parent) return -1;
    memcpy(parent, o->output, n);
    parent[n] = '\0';
    int rc = spx_outset_mkdirs(set, parent);
    free(parent);
    if (rc != 0) return out_error(set);
  }
  FILE *f = spx_outset_open(set, o->output);
  if (!f) return out_error(set);
  dep_targets[n_dep_targets++] = o->output;
  spx_ir_print(mlirModuleGetOperation(module), f, o->debug_info, o->elide_weights);
  return 0;
}

/* NAME.h/.c, NAME.spxbin and NAME.report.json in the output directory
 * (created if missing, with its parents). */

static int emit_outputs(const options_t *o, spx_program_t *p, spx_arena_t *arena,
                        spx_outset_t *set, const char *dir);

static int emit_product(const options_t *o, MlirModule module, spx_wstore_t *store,
                        spx_arena_t *arena, spx_diag_t *diag, spx_outset_t *set) {
  const char *dir = o->output ? o->output : ".";
  /* -o -: the one output (check_stdout) to standard output. */
  if (strcmp(dir, "-") != 0 && spx_outset_mkdirs(set, dir) != 0) return out_error(set);
  spx_program_t *p;
  if (spx_backend_program_build(module, store, arena, diag, &p) != 0) return -1;
  p->spxc_version = SPX_VERSION;
  p->options = o->provenance ? o->provenance : "";
  int rc = emit_outputs(o, p, arena, set, dir);
  spx_backend_program_release(p);
  return rc;
}

static int emit_outputs(const options_t *o, spx_program_t *p, spx_arena_t *arena,
                        spx_outset_t *set, const char *dir) {
  static const char *const ext[OUT_COUNT] = {"h",         "c",      "weights.bin",
                                             "weights.S", "spxbin", "report.json"};
  const bool blob = (o->emit & EMIT_C) && o->weights_blob;
  const bool wanted[OUT_COUNT] = {o->emit & EMIT_C, o->emit & EMIT_C, blob, blob,
                                  o->emit & EMIT_SPXBIN, o->emit & EMIT_REPORT};
  FILE *files[OUT_COUNT] = {NULL};
  for (int i = 0; i < OUT_COUNT; i++) {
    if (!wanted[i]) continue;
    const bool to_stdout = strcmp(dir, "-") == 0;
    const char *path = to_stdout ? "-" : spx_arena_printf(arena, "%s/%s.%s", dir, p->name, ext[i]);
    files[i] = spx_outset_open(set, path);
    if (!files[i]) return out_error(set);
    if (!to_stdout) dep_targets[n_dep_targets++] = path;
  }
  if (wanted[OUT_C] && spx_backend_emit_c(p, o->c_prefix, files[OUT_H], files[OUT_C],
                                          files[OUT_WEIGHTS_BIN], files[OUT_WEIGHTS_S]) != 0)
    return -1;
  if (wanted[OUT_SPXBIN] && spx_backend_emit_spxbin(p, files[OUT_SPXBIN]) != 0) return -1;
  if (wanted[OUT_REPORT] && spx_backend_emit_report(p, files[OUT_REPORT]) != 0) return -1;
  return 0;
}

/* --emit=spx: DIR/NAME.spx (the imported network, a compile block with the
 * command line's statements) and DIR/weights/LAYER.ROLE.npy. */
static int emit_spx(const options_t *o, const spx_fe_import_t *imp, spx_arena_t *arena,
                    spx_outset_t *set) {
  const char *dir = o->output ? o->output : ".";
  const char *stmts[64];
  int n = 0;
  for (int i = 0; i < o->n_overrides; i++)
    stmts[n++] = o->override_is_target_opt[i]
                     ? spx_arena_printf(arena, "# --target-opt %s: add it to the target's options",
                                        o->overrides[i])
                     : o->overrides[i];
  const char *text = spx_fe_import_text(imp, stmts, n, arena);
  if (spx_outset_mkdirs(set, spx_arena_printf(arena, "%s/weights", dir)) != 0)
    return out_error(set);
  FILE *f = spx_outset_open(set, spx_arena_printf(arena, "%s/%s.spx", dir, imp->name));
  if (!f) return out_error(set);
  if (fputs(text, f) == EOF || spx_outset_close(set, f) != 0) return out_error(set);
  for (int i = 0; i < imp->n_files; i++) {
    const spx_fe_memfile_t *w = &imp->files[i];
    const char *path = spx_arena_printf(arena, "%s/%s", dir, w->path);
    if (!(f = spx_outset_open(set, path))) return out_error(set);
    if (spx_npy_fwrite(f, w->npy.dtype, w->npy.rank, w->npy.dims, w->npy.data) != 0) {
      fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
      return -1;
    }
    if (spx_outset_close(set, f) != 0) return out_error(set);
  }
  return 0;
}

static bool is_mlir_input(const char *path) {
  size_t n = strlen(path);
  return n > 5 && strcmp(path + n - 5, ".mlir") == 0;
}

/* A .mlir input: spx IR as text, e.g. a pass's regression test. Its weights
 * are the file's own resources, not the weight store's, so only passes that
 * read no weight data (verify-shapes, fuse-activations, memory-plan) apply.
 * spx_ir_read_input runs the entry check (ir/check.c) on it, and compile()
 * verify-shapes: no pass sees IR that did not pass both. Every error is
 * located in the file. */
static MlirModule parse_mlir(const char *path, MlirContext ctx, spx_diag_t *diag,
                             spx_arena_t *arena) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "spxc: error: cannot read '%s': %s\n", path, strerror(errno));
    return (MlirModule){NULL};
  }
  size_t cap = 1 << 16, len = 0, got;
  char *text = malloc(cap);
  while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *grown = cap <= SIZE_MAX / 2 ? realloc(text, cap *= 2) : NULL;
      if (!grown) free(text);
      text = grown;
    }
  }
  int read_errno = ferror(f) ? errno : 0;
  fclose(f);
  if (!text || read_errno) {
    fprintf(stderr, "spxc: error: cannot read '%s': %s\n", path,
            strerror(text ? read_errno : ENOMEM));
    free(text);
    return (MlirModule){NULL};
  }
  text[len] = '\0';
  /* Errors quote their line (not for huge files: the diag keeps a copy). */
  if (len <= (64u << 20)) spx_diag_add_source(diag, path, text, len);
  MlirModule module = spx_ir_read_input(ctx, path, text, len, diag, arena);
  free(text);
  return module;
}

/* The target and its options as the file and the command line left them,
 * checked as the backend will (spx_backend_read_mdesc), on every run
 * (--syntax-only and --emit=mlir too), each error at the option. */
static void check_target(const spx_fe_network_t *net, spx_arena_t *arena, spx_diag_t *diag) {
  const spx_fe_spec_t *t = &net->compile.target;
  spx_program_t p = {.target = t->name ? t->name : "cpu", .target_loc = t->loc};
  const spx_backend_target_t *bt = spx_backend_target_find(p.target);
  if (!bt) {
    spx_diag_error(diag, t->loc, "unknown target '%s' (known: %s)", p.target,
                   spx_backend_target_names());
    return;
  }
  int n = t->n_options;
  spx_backend_option_t *opts = spx_arena_alloc(arena, (size_t)(n + 1) * sizeof *opts);
  spx_loc_t *locs = spx_arena_alloc(arena, (size_t)(n + 1) * sizeof *locs);
  for (int i = 0; i < n; i++) {
    const spx_fe_option_t *fo = &t->options[i];
    bool number = fo->kind == SPX_OPT_INT || fo->kind == SPX_OPT_FLOAT;
    opts[i] = (spx_backend_option_t){fo->key ? fo->key : "?", number ? NULL : fo->s ? fo->s : "",
                                     number ? fo->f : 0};
    locs[i] = fo->loc;
  }
  p.n_target_options = n;
  p.target_options = opts;
  p.target_option_locs = locs;
  int64_t *values = spx_arena_alloc(arena, (bt->desc->mdesc->count + 1) * sizeof *values);
  if (spx_backend_read_mdesc(&p, values, diag) == 0) spx_backend_warn_idle_options(&p, values, diag);
  /* Binary layers in a float network (no `quantize int8`) keep float
   * weights: a target that runs binary weights natively on an accelerator
   * (xbar's arrays) runs them on its host instead. */
  if (bt->desc->id != SPX_CS_TARGET_CPU &&
      spx_target_format_support(bt->desc, SPX_FMT_BINARY, NULL) == SPX_TARGET_NATIVE &&
      net->compile.precision != SPX_PREC_INT8) {
    for (int i = 0; i < net->n_layers; i++) {
      if (!spx_fe_layer_binary(net, i)) continue;
      const spx_fe_layer_cfg_t *c = &net->compile.layers[i];
      spx_diag_warning(diag, c->binary ? c->binary_loc : net->compile.binary_all_loc,
                       "layer '%s' is binary, but without 'quantize int8' it runs in float, and "
                       "target %s runs float layers on the host, not on the accelerator",
                       net->layers[i].name, p.target);
    }
  }
}

static int compile(const options_t *o, spx_arena_t *arena, spx_diag_t *diag,
                   spx_wstore_t *store) {
  double t = now();
  MlirContext ctx;
  MlirModule module;
  int rc = 0;
  const bool from_stdin = strcmp(o->input, "-") == 0; /* a .spx on standard input */
  if (!from_stdin) spx_inputs_note(o->input); /* the depfile's first prerequisite */
  if (!from_stdin && is_mlir_input(o->input)) {
    if (o->n_overrides) {
      fputs("spxc: error: compile-block overrides need a .spx input\n", stderr);
      return 1;
    }
    ctx = spx_ir_context_create();
    if (mlirContextIsNull(ctx)) return 1;
    /* MLIR's diagnostics about the file's IR (passes' verifier runs too)
     * as located errors, like spxc's own. */
    spx_ir_diag_attach(ctx, diag, arena, o->input);
    module = parse_mlir(o->input, ctx, diag, arena);
    if (mlirModuleIsNull(module)) {
      mlirContextDestroy(ctx);
      return 1;
    }
    /* Shapes too, whatever --passes says: the backend and the evaluator
     * trust them (as they trust the frontend's shape inference). */
    spx_pass_env_t check_env = {.store = store, .diag = diag, .arena = arena};
    if (spx_pass_verify_shapes(mlirModuleGetOperation(module), &check_env) != 0) {
      mlirModuleDestroy(module);
      mlirContextDestroy(ctx);
      return 1;
    }
    phase(o, &t, "parse MLIR");
    if (o->syntax_only) {
      mlirModuleDestroy(module);
      mlirContextDestroy(ctx);
      return 0;
    }
  } else {
    spx_fe_network_t *net = NULL;
    spx_fe_vocab_t vocab = {0};
    vocab.sparsify_kinds = spx_pass_sparsify_kinds(&vocab.n_sparsify_kinds);
    vocab.sparsify_binary = spx_pass_sparsify_binary();
    if (!from_stdin && spx_fe_is_onnx(o->input)) {
      spx_fe_import_t *imp;
      if (spx_fe_onnx_import(o->input, arena, diag, &imp) != 0) return 1;
      if (o->emit & EMIT_SPX) {
        spx_outset_t *set = spx_outset_create();
        int bad = !set || emit_spx(o, imp, arena, set) != 0;
        if (!set) fputs("spxc: error: out of memory\n", stderr);
        if (!bad && spx_outset_commit(set) != 0) bad = out_error(set);
        spx_outset_destroy(set);
        if (bad) return 1;
        if (!(o->emit & ~(unsigned)EMIT_SPX)) return 0;
      }
      if (spx_fe_load_import(imp, &vocab, arena, store, diag, &net) != 0) return 1;
    } else if (o->emit & EMIT_SPX) {
      fputs("spxc: error: --emit=spx needs an .onnx input\n", stderr);
      return 1;
    } else if (spx_fe_load(o->input, &vocab, arena, store, diag, &net) != 0) {
      return 1;
    }
    for (int i = 0; i < o->n_overrides; i++) {
      if (o->override_is_target_opt[i])
        spx_fe_set_target_option(net, o->overrides[i], arena, diag);
      else
        spx_fe_override(net, o->overrides[i], arena, diag);
    }
    if (!spx_diag_error_count(diag)) spx_fe_check_binary(net, diag);
    if (!spx_diag_error_count(diag)) check_target(net, arena, diag);
    if (spx_diag_error_count(diag)) return 1;
    phase(o, &t, "parse and check");
    if (o->syntax_only) return 0;
    ctx = spx_ir_context_create();
    if (mlirContextIsNull(ctx)) return 1;
    module = spx_fe_lower(net, ctx, store);
  }
  if (!mlirOperationVerify(mlirModuleGetOperation(module))) {
    fputs("spxc: error: the module does not verify\n", stderr);
    rc = 1;
  }
  phase(o, &t, "lower to MLIR");

  spx_pass_env_t env = {.store = store, .diag = diag, .arena = arena};
  spx_pipeline_opts_t popts = {.print_ir_after_all = o->print_ir_after_all,
                               .timing = o->timing};
  spx_pass_id_t defaults[SPX_PASS_COUNT_];
  const spx_pass_id_t *passes = o->passes;
  int n_passes = o->n_passes;
  if (n_passes < 0) {
    n_passes = spx_pipeline_default(defaults, SPX_PASS_COUNT_);
    passes = defaults;
  }
  if (rc == 0 && spx_pipeline_run(module, passes, n_passes, &env, &popts) != 0) rc = 1;
  phase(o, &t, "passes");

  spx_outset_t *set = spx_outset_create();
  if (!set) {
    fputs("spxc: error: out of memory\n", stderr);
    rc = 1;
  }
  if (rc == 0 && (o->emit & EMIT_MLIR) && emit_mlir(o, module, set) != 0) rc = 1;
  if (rc == 0 && (o->emit & EMIT_PRODUCT) &&
      emit_product(o, module, store, arena, diag, set) != 0)
    rc = 1;
  if (rc == 0 && o->dump_weights && dump_weights(module, store, o->dump_weights, set) != 0)
    rc = 1;
  /* A warning that --fatal-warnings made an error stops the compile too
   * (the passes and backends go on after a warning). */
  if (rc == 0 && spx_diag_error_count(diag)) rc = 1;
  if (rc == 0 && o->depfile && write_depfile(o, set) != 0) rc = 1;
  if (rc == 0 && spx_outset_commit(set) != 0) {
    out_error(set);
    rc = 1;
  }
  spx_outset_destroy(set); /* after a failure: removes the temporaries and new folders */
  phase(o, &t, "emit");

  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return rc;
}

int main(int argc, char **argv) {
  /* An interrupted compile removes its temporaries and new folders. */
  spx_outfile_handle_signals();
  spx_arena_t *arena = spx_arena_create();
  options_t o = {0};
  int rc = parse_args(argc, argv, &o, arena);
  if (rc != 0) {
    spx_arena_destroy(arena);
    return rc < 0 ? 0 : rc;
  }
  spx_diag_t *diag = spx_diag_create(stderr);
  spx_wstore_t *store = spx_wstore_create();
  if (!diag || !store) {
    fputs("spxc: error: out of memory\n", stderr);
    return 1;
  }
  spx_diag_set_error_limit(diag, o.error_limit, "--error-limit=0 shows them all");
  spx_diag_set_fatal_warnings(diag, o.fatal_warnings);
  rc = compile(&o, arena, diag, store);
  int nw = spx_diag_warning_count(diag);
  if (nw) fprintf(stderr, "%d warning%s generated.\n", nw, nw == 1 ? "" : "s");
  /* The store outlives every MLIR context that referenced its buffers. */
  spx_wstore_destroy(store);
  spx_diag_destroy(diag);
  spx_arena_destroy(arena);
  return rc;
}
