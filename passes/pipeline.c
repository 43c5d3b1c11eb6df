/* pipeline.c - the pass table, the one adapter from our C passes to MLIR
 * external passes, and the pipeline runner. */
#define _POSIX_C_SOURCE 200809L
#include "passes/spx_pass.h"

#include <mlir-c/Pass.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
  const char *name, *desc;
  int (*run)(MlirOperation, spx_pass_env_t *);
} table[SPX_PASS_COUNT_] = {
#define SPX_PASS(id, name, desc) {name, desc, spx_pass_##id},
#include "passes/passes.def"
#undef SPX_PASS
};

const char *spx_pass_name(spx_pass_id_t id) { return table[id].name; }
const char *spx_pass_description(spx_pass_id_t id) { return table[id].desc; }

int spx_pass_lookup(const char *name) {
  for (int i = 0; i < SPX_PASS_COUNT_; i++)
    if (strcmp(table[i].name, name) == 0) return i;
  return -1;
}

static const char *const sparsify_kinds[] = {
    "none",
#define SPX_SPARSIFY_KIND(kind, id, binary) kind,
#include "passes/passes.def"
};

static const unsigned char sparsify_binary[] = {
    0,
#define SPX_SPARSIFY_KIND(kind, id, binary) binary,
#include "passes/passes.def"
};

const char *const *spx_pass_sparsify_kinds(int *out_n) {
  *out_n = (int)(sizeof sparsify_kinds / sizeof sparsify_kinds[0]);
  return sparsify_kinds;
}

const unsigned char *spx_pass_sparsify_binary(void) { return sparsify_binary; }

const char *spx_pass_sparsify_kind_of(spx_pass_id_t id) {
#define SPX_SPARSIFY_KIND(kind, pass, binary) \
  if (id == SPX_PASS_ID_##pass) return kind;
#include "passes/passes.def"
  return NULL;
}

int spx_pipeline_default(spx_pass_id_t *out, int max) {
  int n = 0;
  for (int i = 0; i < SPX_PASS_COUNT_ && n < max; i++) out[n++] = (spx_pass_id_t)i;
  return n;
}

void spx_pass_error(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(env->diag, SPX_SEV_ERROR, spx_ir_loc(op, env->arena), fmt, ap);
  va_end(ap);
}

spx_loc_t spx_pass_request_loc(spx_pass_env_t *env, MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify_loc"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsALocation(a)) {
    spx_loc_t l = spx_ir_location(mlirLocationFromAttribute(a), env->arena);
    if (l.file && l.line > 0) return l;
  }
  return spx_ir_loc(op, env->arena);
}

bool spx_pass_request_named(MlirOperation op) {
  return mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify_all")));
}

void spx_pass_request_error(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(env->diag, SPX_SEV_ERROR, spx_pass_request_loc(env, op), fmt, ap);
  va_end(ap);
}

void spx_pass_request_warning(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(env->diag, SPX_SEV_WARNING, spx_pass_request_loc(env, op), fmt, ap);
  va_end(ap);
}

spx_wbuf_t *spx_pass_add_weight(spx_pass_env_t *env, MlirOperation op, const char *role,
                                spx_dtype_t dtype, int rank, const int64_t *dims) {
  MlirStringRef layer = spx_ir_layer_name(op);
  /* The whole name, however long the layer's (a truncated one could be
   * another layer's). */
  const char *name =
      spx_arena_printf(env->arena, "%.*s.%s", (int)layer.length, layer.data, role);
  spx_wbuf_t *b = spx_wstore_add(env->store, name, dtype, rank, dims);
  if (!b)
    spx_pass_error(env, op, "weight buffer '%s' exists already (the pass ran twice on this layer?)",
                   name);
  return b;
}

/* What the adapter hands MLIR as user data: which pass, and the
 * compilation's environment. Per-run state lives on the stack of the pass
 * function itself. */
typedef struct adapter {
  spx_pass_id_t id;
  spx_pass_env_t *env;
  double seconds;
  int failed;
  bool last; /* the pipeline's last pass: float weights are released too */
} adapter_t;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void adapter_construct(void *user) { (void)user; }
static void adapter_destruct(void *user) { (void)user; }
static void *adapter_clone(void *user) { return user; }

/* ---- releasing weights nothing reads any more ----------------------------
 *
 * Passes replace weights with new buffers (fold-batchnorm's folded f32, the
 * quantize pass's int8, a format pass's encoding); the store keeps every
 * buffer until the compilation ends, so without this a ResNet-50 would hold
 * its raw, folded and int8 weights together through emission. After each
 * pass the data of every buffer is freed that no op references and that is
 * not, while passes remain, a layer's float weights as passes look them up
 * by name (spx_pass_float_weights: "<layer>.<role>.bnfold", else
 * "<layer>.<role>"). */

static void mark_float_weights(spx_pass_env_t *env, MlirOperation op, uint8_t *keep) {
  static const char *const roles[] = {"weight", "bias"};
  for (int r = 0; r < 2; r++) {
    spx_wbuf_t *b = spx_pass_float_weights_buf(env, op, roles[r]);
    if (b) keep[b->index] = 1;
  }
}

static void release_unused(MlirOperation root, spx_pass_env_t *env, bool keep_float) {
  size_t count = spx_wstore_count(env->store);
  if (!count) return;
  uint8_t *keep = calloc(count, 1);
  SPX_ASSERT(keep);
  MlirOperation *ops;
  size_t n = spx_ir_collect(root, NULL, &ops);
  for (size_t i = 0; i < n; i++) {
    for (intptr_t a = 0; a < mlirOperationGetNumAttributes(ops[i]); a++) {
      spx_wbuf_t *b = spx_ir_wbuf_of(mlirOperationGetAttribute(ops[i], a).attribute, env->store);
      if (b) keep[b->index] = 1;
    }
    if (keep_float) mark_float_weights(env, ops[i], keep);
  }
  for (size_t i = 0; i < count; i++) {
    spx_wbuf_t *b = spx_wstore_at(env->store, i);
    if (!keep[i] && b->data) spx_wstore_release(env->store, b);
  }
  free(ops);
  free(keep);
}

static void adapter_run(MlirOperation op, MlirExternalPass pass, void *user) {
  adapter_t *a = user;
  double t0 = now();
  int rc = table[a->id].run(op, a->env);
  if (rc == 0) release_unused(op, a->env, !a->last);
  a->seconds += now() - t0;
  if (rc != 0) {
    a->failed = 1;
    mlirExternalPassSignalFailure(pass);
  }
}

int spx_pipeline_run(MlirModule module, const spx_pass_id_t *passes, int n,
                     spx_pass_env_t *env, const spx_pipeline_opts_t *opts) {
  MlirContext ctx = mlirModuleGetContext(module);
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  if (opts && opts->print_ir_after_all) mlirPassManagerEnableIRPrinting(pm);
  mlirPassManagerEnableVerifier(pm, true);
  adapter_t *adapters = calloc((size_t)(n ? n : 1), sizeof *adapters);
  SPX_ASSERT(adapters);
  for (int i = 0; i < n; i++) {
    adapters[i] = (adapter_t){.id = passes[i], .env = env, .last = i + 1 == n};
    MlirExternalPassCallbacks cb = {adapter_construct, adapter_destruct, NULL,
                                    adapter_clone, adapter_run};
    /* The TypeID must be unique per pass instance and 8-byte aligned. */
    MlirPass pass = mlirCreateExternalPass(
        mlirTypeIDCreate(&adapters[i]), spx_ir_str(table[passes[i]].name),
        spx_ir_str(table[passes[i]].name), spx_ir_str(table[passes[i]].desc),
        spx_ir_str("builtin.module"), 0, NULL, cb, &adapters[i]);
    mlirPassManagerAddOwnedPass(pm, pass);
  }
  MlirLogicalResult r = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
  int failed = mlirLogicalResultIsFailure(r);
  if (opts && opts->timing)
    for (int i = 0; i < n; i++)
      fprintf(stderr, "  %9.4f s  pass %s\n", adapters[i].seconds, table[passes[i]].name);
  mlirPassManagerDestroy(pm);
  free(adapters);
  return failed ? -1 : 0;
}
