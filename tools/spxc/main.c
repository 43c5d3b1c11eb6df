/* spxc - the SPX compiler driver.
 *
 * Reads a .spx network, checks it, builds the spx MLIR module, runs the pass
 * pipeline and emits what --emit asks for. The pipeline reads as straight
 * calls: load -> override -> lower -> passes -> emit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
};

typedef struct options {
  const char *input;
  const char *output; /* -o: directory; a file for --emit=mlir alone */
  unsigned emit;
  bool emit_given;
  bool syntax_only;
  bool print_ir_after_all;
  bool timing;
  bool debug_info;
  bool elide_weights;
  const char *dump_weights;
  int n_passes; /* -1: default pipeline */
  spx_pass_id_t passes[64];
  int n_overrides;
  const char *overrides[64]; /* compile statements, in command-line order */
  bool override_is_target_opt[64]; /* overrides[i] is a --target-opt KEY=VALUE */
} options_t;

static void usage(FILE *out) {
  fputs(
      "usage: spxc FILE.spx [options]\n"
      "       spxc FILE.mlir [options]   (spx IR as text, e.g. a pass test)\n"
      "\n"
      "Compiles a network description to the spx MLIR dialect and runs the\n"
      "SPX pass pipeline on it.\n"
      "\n"
      "Output:\n"
      "  -o DIR                 output directory (default: .; created if missing)\n"
      "  --emit=KIND[,KIND]     what to write (default: c,spxbin,report):\n"
      "                           c       DIR/NAME.h and DIR/NAME.c, C99 over libspxrt\n"
      "                           spxbin  DIR/NAME.spxbin, the runtime's command stream\n"
      "                           report  DIR/NAME.report.json, per-layer figures\n"
      "                           mlir    the module after the pipeline, to stdout\n"
      "                                   (or to the file -o names, when alone)\n"
      "  --syntax-only          parse and check the network, then stop\n"
      "  --mlir-print-debuginfo print locations with --emit=mlir\n"
      "  --mlir-elide-weights   leave weight values out of --emit=mlir (the IR\n"
      "                         still parses; useful for large networks)\n"
      "  --dump-weights=DIR     write every weight the module references as DIR/NAME.npy\n"
      "\n"
      "Passes:\n"
      "  --passes=a,b,c         run these passes instead of the default pipeline\n"
      "                         (--passes= runs none)\n"
      "  --list-passes          list the passes, in default pipeline order\n"
      "  --print-ir-after-all   print the module to stderr after each pass\n"
      "  --timing               print the time of each phase and pass to stderr\n"
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
      "  --help                 show this help\n"
      "  --version              show the version\n",
      out);
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("spxc: error: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n(run 'spxc --help' for usage)\n", stderr);
  return 1;
}

static const char *flag_value(const char *arg, const char *flag) {
  size_t n = strlen(flag);
  if (strncmp(arg, flag, n) == 0 && arg[n] == '=') return arg + n + 1;
  return NULL;
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
               {"report", EMIT_REPORT}, {"all", EMIT_PRODUCT}, {"none", 0}};
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  o->emit = 0;
  o->emit_given = true;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, tok) != 0) k++;
    if (k == sizeof kinds / sizeof kinds[0])
      return usage_error("unknown --emit kind '%s' (expected c, spxbin, report, mlir, all or none)", tok);
    o->emit |= kinds[k].bits;
  }
  return 0;
}

static int add_override(options_t *o, spx_arena_t *arena, const char *stmt) {
  if (o->n_overrides == 64) return usage_error("too many overrides at '%s'", stmt);
  o->overrides[o->n_overrides++] = spx_arena_strdup(arena, stmt);
  return 0;
}

/* Returns 0 to go on, 1 on a usage error, -1 when the run is complete
 * (--help, --version, --list-passes, --list-targets). */
static int parse_args(int argc, char **argv, options_t *o, spx_arena_t *arena) {
  o->n_passes = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return -1;
    } else if (strcmp(a, "--version") == 0) {
      printf("spxc %s (MLIR 19)\n", SPX_VERSION);
      return -1;
    } else if (strcmp(a, "--list-targets") == 0) {
      spx_backend_targets_list(stdout);
      return -1;
    } else if (strcmp(a, "--list-passes") == 0) {
      for (int p = 0; p < SPX_PASS_COUNT_; p++)
        printf("  %-20s %s\n", spx_pass_name((spx_pass_id_t)p),
               spx_pass_description((spx_pass_id_t)p));
      return -1;
    } else if ((v = flag_value(a, "--emit"))) {
      if (parse_emit(o, v)) return 1;
    } else if (strcmp(a, "-o") == 0) {
      if (++i == argc) return usage_error("%s needs a file name", a);
      o->output = argv[i];
    } else if (strcmp(a, "--syntax-only") == 0) {
      o->syntax_only = true;
    } else if (strcmp(a, "--mlir-print-debuginfo") == 0) {
      o->debug_info = true;
    } else if (strcmp(a, "--mlir-elide-weights") == 0) {
      o->elide_weights = true;
    } else if ((v = flag_value(a, "--dump-weights"))) {
      o->dump_weights = v;
    } else if ((v = flag_value(a, "--passes"))) {
      if (parse_passes(o, v)) return 1;
    } else if (strcmp(a, "--print-ir-after-all") == 0) {
      o->print_ir_after_all = true;
    } else if (strcmp(a, "--timing") == 0) {
      o->timing = true;
    } else if ((v = flag_value(a, "--target"))) {
      if (add_override(o, arena, spx_arena_printf(arena, "target %s", v))) return 1;
    } else if ((v = flag_value(a, "--quantize"))) {
      if (add_override(o, arena, spx_arena_printf(arena, "quantize %s", v))) return 1;
    } else if ((v = flag_value(a, "--sparsify"))) {
      const char *colon = strchr(v, ':');
      if (!colon) return usage_error("--sparsify expects LAYER:SPEC, got '%s'", v);
      if (add_override(o, arena, spx_arena_printf(arena, "sparsify %.*s : %s",
                                                  (int)(colon - v), v, colon + 1)))
        return 1;
    } else if ((v = flag_value(a, "--target-opt")) || strcmp(a, "--target-opt") == 0) {
      if (!v && ++i == argc) return usage_error("%s needs KEY=VALUE", a);
      if (add_override(o, arena, v ? v : argv[i])) return 1;
      o->override_is_target_opt[o->n_overrides - 1] = true;
    } else if ((v = flag_value(a, "--set"))) {
      if (add_override(o, arena, v)) return 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else if (o->input) {
      return usage_error("more than one input file ('%s')", a);
    } else {
      o->input = a;
    }
  }
  if (!o->input) return usage_error("%s", "no input file");
  if (!o->emit_given) o->emit = EMIT_PRODUCT;
  return 0;
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

/* Writes every store buffer that an spx op references, once, in op order. */
static int dump_weights(MlirModule module, spx_wstore_t *store, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "spxc: error: cannot create '%s': %s\n", dir, strerror(errno));
    return -1;
  }
  MlirOperation *ops;
  size_t n = spx_ir_collect(mlirModuleGetOperation(module), NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    for (intptr_t a = 0; a < mlirOperationGetNumAttributes(ops[i]); a++) {
      MlirNamedAttribute na = mlirOperationGetAttribute(ops[i], a);
      MlirStringRef key = mlirIdentifierStr(na.name);
      char attr[64];
      snprintf(attr, sizeof attr, "%.*s", (int)key.length, key.data);
      spx_wbuf_t *b = spx_ir_get_wbuf(ops[i], attr, store);
      if (!b) continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s.npy", dir, b->name);
      if (spx_npy_write(path, b->dtype, b->rank, b->dims, b->data) != 0) {
        fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
        rc = -1;
        break;
      }
    }
  }
  free(ops);
  return rc;
}

static int emit_mlir(const options_t *o, MlirModule module) {
  /* With other outputs, -o is their directory and the MLIR goes to stdout. */
  if (!o->output || (o->emit & EMIT_PRODUCT)) {
    spx_ir_print(mlirModuleGetOperation(module), stdout, o->debug_info, o->elide_weights);
    return fflush(stdout) == 0 ? 0 : -1;
  }
  spx_outfile_t f;
  if (spx_outfile_open(&f, o->output) != 0) {
    fprintf(stderr, "spxc: error: cannot write '%s': %s\n", o->output, strerror(errno));
    return -1;
  }
  spx_ir_print(mlirModuleGetOperation(module), f.fp, o->debug_info, o->elide_weights);
  if (spx_outfile_commit(&f) != 0) {
    fprintf(stderr, "spxc: error: cannot write '%s': %s\n", o->output, strerror(errno));
    return -1;
  }
  return 0;
}

/* NAME.h/.c, NAME.spxbin and NAME.report.json in the output directory, all
 * or none: each is written under a temporary name, and they are renamed into
 * place only when every one was written. */
enum { OUT_H, OUT_C, OUT_SPXBIN, OUT_REPORT, OUT_COUNT };

/* The folders make_output_dir created, deepest last, so that a failed
 * compile removes what it made (and nothing else). */
typedef struct made_dirs {
  char *path[64];
  int n;
} made_dirs_t;

/* mkdir -p: creates `dir` and its missing parents, recording each. */
static int make_output_dir(const char *dir, spx_arena_t *arena, made_dirs_t *made) {
  char *buf = spx_arena_strdup(arena, dir);
  size_t len = strlen(buf);
  struct stat st;
  for (size_t i = 1; i <= len; i++) {
    if (i < len && buf[i] != '/') continue;
    char keep = buf[i];
    buf[i] = '\0';
    if (stat(buf, &st) != 0) {
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "spxc: error: cannot create output directory '%s': %s\n", buf,
                strerror(errno));
        buf[i] = keep;
        return -1;
      }
      if (made->n < (int)(sizeof made->path / sizeof made->path[0]))
        made->path[made->n++] = spx_arena_strdup(arena, buf);
    }
    buf[i] = keep;
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "spxc: error: output path '%s' is not a directory\n", dir);
    return -1;
  }
  return 0;
}

static void remove_made_dirs(const made_dirs_t *made) {
  for (int i = made->n - 1; i >= 0; i--) rmdir(made->path[i]); /* empty ones only */
}

static int emit_outputs(const options_t *o, const char *dir, MlirModule module,
                        spx_wstore_t *store, spx_arena_t *arena, spx_diag_t *diag);

static int emit_product(const options_t *o, MlirModule module, spx_wstore_t *store,
                        spx_arena_t *arena, spx_diag_t *diag) {
  const char *dir = o->output ? o->output : ".";
  made_dirs_t made = {{0}, 0};
  int rc = make_output_dir(dir, arena, &made);
  if (rc == 0) rc = emit_outputs(o, dir, module, store, arena, diag);
  if (rc != 0) remove_made_dirs(&made);
  return rc;
}

static int emit_outputs(const options_t *o, const char *dir, MlirModule module,
                        spx_wstore_t *store, spx_arena_t *arena, spx_diag_t *diag) {
  spx_program_t *p;
  if (spx_backend_program_build(module, store, arena, diag, &p) != 0) return -1;

  static const char *const ext[OUT_COUNT] = {"h", "c", "spxbin", "report.json"};
  const bool wanted[OUT_COUNT] = {o->emit & EMIT_C, o->emit & EMIT_C, o->emit & EMIT_SPXBIN,
                                  o->emit & EMIT_REPORT};
  spx_outfile_t files[OUT_COUNT] = {{0}};
  int rc = 0;
  for (int i = 0; i < OUT_COUNT && rc == 0; i++) {
    if (!wanted[i]) continue;
    const char *path = spx_arena_printf(arena, "%s/%s.%s", dir, p->name, ext[i]);
    if (spx_outfile_open(&files[i], path) != 0) {
      fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
      rc = -1;
    }
  }
  if (rc == 0 && wanted[OUT_C]) rc = spx_backend_emit_c(p, files[OUT_H].fp, files[OUT_C].fp);
  if (rc == 0 && wanted[OUT_SPXBIN]) rc = spx_backend_emit_spxbin(p, files[OUT_SPXBIN].fp);
  if (rc == 0 && wanted[OUT_REPORT]) rc = spx_backend_emit_report(p, files[OUT_REPORT].fp);
  for (int i = 0; i < OUT_COUNT && rc == 0; i++)
    if (files[i].fp && (fflush(files[i].fp) != 0 || ferror(files[i].fp))) {
      fprintf(stderr, "spxc: error: cannot write '%s': %s\n", files[i].path, strerror(errno));
      rc = -1;
    }
  for (int i = 0; i < OUT_COUNT; i++) {
    if (!files[i].fp) continue;
    if (rc != 0) {
      spx_outfile_abort(&files[i]);
    } else {
      char *path = spx_arena_strdup(arena, files[i].path);
      if (spx_outfile_commit(&files[i]) != 0) {
        fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
        rc = -1;
      }
    }
  }
  return rc;
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

static int compile(const options_t *o, spx_arena_t *arena, spx_diag_t *diag,
                   spx_wstore_t *store) {
  double t = now();
  MlirContext ctx;
  MlirModule module;
  int rc = 0;
  if (is_mlir_input(o->input)) {
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
    if (spx_fe_load(o->input, &vocab, arena, store, diag, &net) != 0) return 1;
    for (int i = 0; i < o->n_overrides; i++) {
      if (o->override_is_target_opt[i])
        spx_fe_set_target_option(net, o->overrides[i], arena, diag);
      else
        spx_fe_override(net, o->overrides[i], arena, diag);
    }
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

  if (rc == 0 && (o->emit & EMIT_MLIR) && emit_mlir(o, module) != 0) rc = 1;
  if (rc == 0 && (o->emit & EMIT_PRODUCT) && emit_product(o, module, store, arena, diag) != 0)
    rc = 1;
  if (rc == 0 && o->dump_weights && dump_weights(module, store, o->dump_weights) != 0) rc = 1;
  phase(o, &t, "emit");

  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return rc;
}

int main(int argc, char **argv) {
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
  rc = compile(&o, arena, diag, store);
  /* The store outlives every MLIR context that referenced its buffers. */
  spx_wstore_destroy(store);
  spx_diag_destroy(diag);
  spx_arena_destroy(arena);
  return rc;
}
