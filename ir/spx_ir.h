/* spx_ir.h - typed access to the spx dialect from C.
 *
 * The dialect itself is defined once, in ir/spx.irdl.mlir, which is embedded
 * into the binary and loaded by spx_ir_context_create(). This header gives
 * the rest of the compiler small helpers over the MLIR C API: building ops,
 * reading their attributes, and bridging weight attributes to the weight
 * store (spx_support.h) that owns the buffers.
 */
#ifndef SPX_IR_H
#define SPX_IR_H

#include <stdbool.h>

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <mlir-c/IR.h>

#include "runtime/device/spx_device.h"
#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ops of the spx dialect, in one list; ir/spx.irdl.mlir defines each
 * (test/ir/ops-match-irdl.test checks that the two name the same ops).
 *   X(ENUM, "name", min operands, max operands, runtime layer kind, source)
 * The runtime layer kind is the SPX_RT_OP_<kind> (runtime/stream's
 * SPX_CS_CPU_OPS) that runs the op; source is 1 for the ops a .spx file may
 * call (the frontend's ops), 0 for those only passes create. */
#define SPX_IR_CONCAT_MAX_INPUTS 16 /* concat's operand segments */
#define SPX_IR_OPS(X)                                                         \
  X(CONV2D, "conv2d", 1, 1, CONV2D, 1)                                        \
  X(DENSE, "dense", 1, 1, DENSE, 1)                                           \
  X(RELU, "relu", 1, 1, RELU, 1)                                              \
  X(RELU6, "relu6", 1, 1, RELU6, 1)                                           \
  X(SIGMOID, "sigmoid", 1, 1, SIGMOID, 1)                                     \
  X(SIGN, "sign", 1, 1, SIGN, 1)                                              \
  X(MAXPOOL, "maxpool", 1, 1, MAXPOOL, 1)                                     \
  X(AVGPOOL, "avgpool", 1, 1, AVGPOOL, 1)                                     \
  X(GLOBAL_AVGPOOL, "global_avgpool", 1, 1, GLOBAL_AVGPOOL, 1)                \
  X(ADD, "add", 2, 2, ADD, 1)                                                 \
  X(CONCAT, "concat", 2, SPX_IR_CONCAT_MAX_INPUTS, CONCAT, 1)                 \
  X(FLATTEN, "flatten", 1, 1, COPY, 1)                                        \
  X(RESHAPE, "reshape", 1, 1, COPY, 1)                                        \
  X(SOFTMAX, "softmax", 1, 1, SOFTMAX, 1)                                     \
  X(BATCHNORM, "batchnorm", 1, 1, BATCHNORM, 1)                               \
  X(QUANTIZE, "quantize", 1, 1, QUANTIZE, 0)                                  \
  X(DEQUANTIZE, "dequantize", 1, 1, DEQUANTIZE, 0)

typedef enum spx_ir_op {
#define X(e, name, min_in, max_in, rt, source) SPX_IR_OP_##e,
  SPX_IR_OPS(X)
#undef X
  SPX_IR_OP_COUNT_
} spx_ir_op_t;

typedef struct spx_ir_op_info {
  const char *name; /* without "spx." */
  int min_in, max_in;
  uint8_t rt_op; /* SPX_RT_OP_* */
  bool source;
} spx_ir_op_info_t;

/* The row of SPX_IR_OPS for `op` (< SPX_IR_OP_COUNT_). */
const spx_ir_op_info_t *spx_ir_op_info(spx_ir_op_t op);
/* The op called `name` (without "spx."), or SPX_IR_OP_COUNT_. */
spx_ir_op_t spx_ir_op_lookup(const char *name);
/* The kind of an operation, or SPX_IR_OP_COUNT_ if it is no spx op. */
spx_ir_op_t spx_ir_op_kind(MlirOperation op);

/* Fused activations: an op's "act" attribute holds one of the names of
 * runtime/stream's SPX_CS_ACTS, whose values are the SPX_RT_ACT_*. */
const char *spx_ir_act_name(spx_rt_act_t act);
/* The activation an "act" value names; SPX_RT_ACT_NONE for any other. */
spx_rt_act_t spx_ir_act_of(MlirStringRef name);
/* An op's fused activation: its "act" attribute (conv2d and dense always
 * have one; an add has one once fuse-activations gave it one), else
 * SPX_RT_ACT_NONE. */
spx_rt_act_t spx_ir_op_act(MlirOperation op);

/* A single-threaded context (deterministic output) with func, quant,
 * sparse_tensor and the spx dialect loaded. Returns a null context if the
 * embedded dialect fails to load (an internal error, reported to stderr). */
MlirContext spx_ir_context_create(void);

/* The text of ir/spx.irdl.mlir as embedded at build time. */
const char *spx_ir_dialect_source(void);

static inline MlirStringRef spx_ir_str(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

/* Small comparisons and conversions. */
bool spx_ir_str_is(MlirStringRef s, const char *literal);
/* An integer or float attribute's value as a double. */
bool spx_ir_attr_number(MlirAttribute a, double *out);
/* An integer attribute's value. */
bool spx_ir_attr_int(MlirAttribute a, int64_t *out);

/* Attribute constructors: key = value, i64, f64, string. */
MlirNamedAttribute spx_ir_named(MlirContext ctx, const char *key, MlirAttribute value);
MlirAttribute spx_ir_i64_attr(MlirContext ctx, int64_t v);
MlirAttribute spx_ir_f64_attr(MlirContext ctx, double v);
MlirAttribute spx_ir_str_attr(MlirContext ctx, const char *s);

/* "spx.<op>" helpers. */
bool spx_ir_is_op(MlirOperation op, const char *spx_name); /* e.g. "conv2d" */
/* The layer name attribute ("name"), or "" if absent. Borrowed. */
MlirStringRef spx_ir_layer_name(MlirOperation op);

/* Attribute access; these assert the attribute exists with the right kind,
 * which the dialect verifier guarantees for spx ops. */
int64_t spx_ir_get_i64(MlirOperation op, const char *attr);
double spx_ir_get_f64(MlirOperation op, const char *attr);
MlirStringRef spx_ir_get_str(MlirOperation op, const char *attr);
/* Copies a dense i64 array attribute into out (at most n); returns its size. */
int spx_ir_get_i64_array(MlirOperation op, const char *attr, int64_t *out, int n);

void spx_ir_set_str(MlirOperation op, const char *attr, const char *value);
void spx_ir_set_i64(MlirOperation op, const char *attr, int64_t value);
void spx_ir_set_f64(MlirOperation op, const char *attr, double value);
void spx_ir_set_i64_array(MlirOperation op, const char *attr, const int64_t *v, int n);

/* The ranked tensor type of a store buffer (f32, i8, i32 or ui8 elements). */
MlirType spx_ir_wbuf_type(MlirContext ctx, const spx_wbuf_t *buf);
/* A dense_resource attribute named after the buffer, referencing its data
 * without copying (the store outlives the context). */
MlirAttribute spx_ir_wbuf_attr(MlirContext ctx, const spx_wbuf_t *buf);
/* The store buffer behind a weight attribute of `op` (e.g. "weight"), or NULL
 * if the attribute is absent or not one of the store's resources. */
spx_wbuf_t *spx_ir_get_wbuf(MlirOperation op, const char *attr,
                            const spx_wstore_t *store);
/* The same for an attribute (NULL if it is not a store resource). */
spx_wbuf_t *spx_ir_wbuf_of(MlirAttribute attr, const spx_wstore_t *store);

/* int8 activations: tensor<...x!quant.uniform<i8:f32, scale:zp>>.
 * spx_ir_tensor_quant returns true (and the parameters) when the element
 * type of a ranked tensor type is uniform quantized. */
bool spx_ir_tensor_quant(MlirType tensor, double *out_scale, int64_t *out_zp);
MlirType spx_ir_tensor_quantized(MlirType tensor, double scale, int64_t zp);
MlirType spx_ir_tensor_f32(MlirType tensor);

/* Shape of a ranked tensor value/type. Returns rank; dims into out. */
int spx_ir_shape(MlirType type, int64_t out[SPX_MAX_RANK]);

/* Collects every op nested in `root` (pre-order, deterministic) whose name is
 * "spx.<name>" (name NULL: every spx op). Returns the count; *out_ops is
 * malloc'ed (free it). Passes collect first, then rewrite. */
size_t spx_ir_collect(MlirOperation root, const char *name, MlirOperation **out_ops);

/* An spx op as the runtime's kernels see it (layer.c): kind, fused act,
 * input count, axis, window, dilation and groups of an spx_rt_layer_t; its
 * tensors and weights are the caller's to fill in. False for an op no
 * kernel runs. */
bool spx_ir_layer_params(MlirOperation op, spx_rt_layer_t *out);
/* Whether the op's window, dilation, groups and axis fit the fields of an
 * spx_rt_layer_t (and so of the cpu.layer record every target's stream is
 * built from, and of the f32 evaluator): kernel, stride and dilation in
 * [1, 255], pad in [0, 255], groups in [1, 65535], axis in [-128, 127].
 * NULL if they do; else a message in buf naming the first that does not,
 * e.g. "pad 300 is more than 255, the most a runtime layer (cpu.layer)
 * takes". Check it before spx_ir_layer_params, which truncates. */
const char *spx_ir_layer_unfit(MlirOperation op, char *buf, size_t cap);

/* The source position of an op, from its loc("<layer>"("file":line:col)).
 * The file name is copied into `arena`. line 0 if the op has none (and file
 * NULL if the location names no file). */
spx_loc_t spx_ir_loc(MlirOperation op, spx_arena_t *arena);
spx_loc_t spx_ir_location(MlirLocation loc, spx_arena_t *arena);

/* ---- spx IR from outside the compiler (check.c) ----
 * Routes the context's MLIR diagnostics (parser, verifier) to `diag`, each at
 * its file:line:col, or at `fallback_file` when it has none. Detach with
 * mlirContextDetachDiagnosticHandler. */
MlirDiagnosticHandlerID spx_ir_diag_attach(MlirContext ctx, spx_diag_t *diag,
                                           spx_arena_t *arena, const char *fallback_file);
/* Parses `text` (len bytes, the contents of `path`) as spx IR and runs the
 * entry check on it. Every problem is a located error in `diag`; returns a
 * null module after any. */
MlirModule spx_ir_read_input(MlirContext ctx, const char *path, const char *text, size_t len,
                             spx_diag_t *diag, spx_arena_t *arena);
/* The entry check: everything the passes and backends assume of a module
 * beyond what MLIR's verifier checks (one function with a body, its
 * arguments and results static f32 tensors of rank 1 to SPX_MAX_RANK, only
 * spx ops, each op's attribute kinds, lengths and ranges, names, precisions,
 * a recorded memory plan in bounds). Reports each breach at its op and
 * returns -1 after any. */
int spx_ir_check_input(MlirOperation module, const char *path, spx_diag_t *diag,
                       spx_arena_t *arena);
/* The attribute rules of the entry check for one spx op: its own
 * attributes present, of the right kind, length and range, and the spx.*
 * ones passes record well-formed when present. False with the reason in
 * `why` (n bytes). */
bool spx_ir_op_attrs_ok(MlirOperation op, char *why, size_t n);

/* Printing to a FILE*: with debug_info, locations; with elide_weights, the
 * dialect_resources section leaves out weights larger than 64 bytes (the
 * IR still parses and verifies; it only lacks their values). */
void spx_ir_print(MlirOperation op, FILE *out, bool debug_info, bool elide_weights);

#ifdef __cplusplus
}
#endif

#endif /* SPX_IR_H */
