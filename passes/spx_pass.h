/* spx_pass.h - the pass table and pipeline.
 *
 * Each pass is a C function over the module, wrapped as an MLIR external
 * pass by one adapter (pipeline.c) and listed once in passes.def, which also
 * feeds --list-passes and the --passes= parser. A pass that rewrites
 * collects ops first (spx_ir_collect), then rewrites with an IRRewriter;
 * it never mutates inside a walk. */
#ifndef SPX_PASS_H
#define SPX_PASS_H

#include <stdbool.h>

#include "ir/spx_ir.h"
#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What every pass may use. Borrowed; lives for the whole compilation. */
typedef struct spx_pass_env {
  spx_wstore_t *store;
  spx_diag_t *diag;
  spx_arena_t *arena;
} spx_pass_env_t;

typedef enum spx_pass_id {
#define SPX_PASS(id, name, desc) SPX_PASS_ID_##id,
#include "passes/passes.def"
#undef SPX_PASS
  SPX_PASS_COUNT_
} spx_pass_id_t;

/* Each returns 0, or -1 after reporting errors to env->diag. */
#define SPX_PASS(id, name, desc) \
  int spx_pass_##id(MlirOperation module, spx_pass_env_t *env);
#include "passes/passes.def"
#undef SPX_PASS

const char *spx_pass_name(spx_pass_id_t id);
const char *spx_pass_description(spx_pass_id_t id);
/* Looks a pass up by its --passes= name; returns -1 if unknown. */
int spx_pass_lookup(const char *name);

/* The kinds `sparsify LAYER : KIND(...)` may name: "none" (the layer stays
 * dense), then each kind a pass registers in passes.def. Sets *out_n. */
const char *const *spx_pass_sparsify_kinds(int *out_n);
/* Per kind of spx_pass_sparsify_kinds, in the same order: 1 when it acts on
 * binary layers (its SPX_SPARSIFY_KIND line). */
const unsigned char *spx_pass_sparsify_binary(void);
/* The sparsify kind pass `id` implements (its SPX_SPARSIFY_KIND line), or
 * NULL. */
const char *spx_pass_sparsify_kind_of(spx_pass_id_t id);

/* Adds "<layer>.<role>" (the op's layer) to the weight store, zero-filled.
 * If the name is taken (the pass already ran on this layer) reports an error
 * at the op and returns NULL. */
spx_wbuf_t *spx_pass_add_weight(spx_pass_env_t *env, MlirOperation op, const char *role,
                                spx_dtype_t dtype, int rank, const int64_t *dims);

/* The int8 numerics of a conv2d/dense (docs/numerics.md), defined in
 * quantize.c and shared with the passes that choose a layer's weight scales
 * again (ternary) or read its float weights (ternary, lp):
 *   spx_pass_int8_bias_max  the largest |int32 bias| of a layer of
 *       `products` products per output whose format's accumulator term is
 *       `term` (spx_fmt_acc_term): 2^30, less when bias plus products could
 *       overflow the int32 accumulator;
 *   spx_pass_int8_channel   one output channel's int32 bias, multiplier and
 *       shift for its weight scale s_w (as recorded, in f32); `sign`: the
 *       layer fuses sign, its bias is floor(bias / (s_in * s_w)) instead of
 *       rounded (the exact threshold: docs/numerics.md, "Binary layers");
 *   spx_pass_float_weights  the f32 buffer the quantize pass read for the
 *       layer's `role` ("weight", "bias": after batchnorm folding
 *       "<layer>.<role>.bnfold", else "<layer>.<role>"), if the store holds
 *       it with `count` elements; else NULL. */
double spx_pass_int8_bias_max(size_t products, uint64_t term);
void spx_pass_int8_channel(double bias, double s_in, double s_w, double s_out, bool sign,
                           int32_t *bias_q, int32_t *mult, int32_t *shift);
/* The store buffer spx_pass_float_weights looks at for `role` (the first of
 * the two names that exists, whatever its dtype and size), or NULL: the one
 * place the naming rule is written. */
spx_wbuf_t *spx_pass_float_weights_buf(spx_pass_env_t *env, MlirOperation op, const char *role);
const float *spx_pass_float_weights(spx_pass_env_t *env, MlirOperation op, const char *role,
                                    size_t count);

/* The calibration samples of `quantize int8 calibrate="PATH"` (quantize.c;
 * quantize and lpq read them): checks the network has one input, reads
 * PATH as f32 samples of its shape (*per_sample elements each), all
 * finite. Returns 0, or -1 with the message in why (nothing to free). */
int spx_pass_calibration_load(const char *path, MlirBlock entry, spx_npy_t *npy,
                              size_t *per_sample, char *why, size_t cap);

/* Reports an error at the op's source location ("file:line:col"). */
void spx_pass_error(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...)
    SPX_PRINTF(3, 4);

/* The request of a sparsify pass: where the `sparsify` statement that
 * asked for the op's spx.sparsify is (spx.sparsify_loc), else the op's own
 * location; whether it named the layer (not `sparsify *`). Errors and
 * warnings about the request (its options, a layer kept dense against it)
 * point at the statement. */
spx_loc_t spx_pass_request_loc(spx_pass_env_t *env, MlirOperation op);
bool spx_pass_request_named(MlirOperation op);
void spx_pass_request_error(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...)
    SPX_PRINTF(3, 4);
void spx_pass_request_warning(spx_pass_env_t *env, MlirOperation op, const char *fmt, ...)
    SPX_PRINTF(3, 4);

/* Evaluation of an f32 module (eval.c) with the runtime's f32 kernels.
 * inputs[i] and outputs[i] hold the function's arguments and results, each
 * a dense row-major f32 tensor of its type's shape. Hooks (each optional,
 * hooks itself may be NULL):
 *   observe  after each spx op, with its result;
 *   weights  before a conv2d/dense: f32 weights to use instead of the
 *            store's (count elements), or NULL for the store's;
 *   input    before a conv2d/dense: rewrites, in place, a copy of its input
 *            (count elements) that only this op reads.
 * Returns 0, or -1 after reporting an error (an op that cannot run in
 * f32). */
typedef struct spx_eval_hooks {
  void *user;
  void (*observe)(void *user, MlirOperation op, const float *result, size_t count);
  const float *(*weights)(void *user, MlirOperation op, size_t count);
  void (*input)(void *user, MlirOperation op, float *x, size_t count);
} spx_eval_hooks_t;
int spx_eval_f32(MlirModule module, spx_pass_env_t *env, const float *const *inputs,
                 float *const *outputs, const spx_eval_hooks_t *hooks);

typedef struct spx_pipeline_opts {
  bool print_ir_after_all; /* to stderr, after each pass */
  bool timing;             /* per-pass wall time to stderr */
} spx_pipeline_opts_t;

/* Runs `passes` (n ids) on the module, verifying the IR after each. Returns
 * 0, or -1 if a pass failed or the IR did not verify. */
int spx_pipeline_run(MlirModule module, const spx_pass_id_t *passes, int n,
                     spx_pass_env_t *env, const spx_pipeline_opts_t *opts);

/* The default pipeline: every pass in table order. */
int spx_pipeline_default(spx_pass_id_t *out, int max);

#ifdef __cplusplus
}
#endif

#endif /* SPX_PASS_H */
