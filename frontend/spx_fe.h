/* spx_fe.h - the frontend: .spx source -> checked network.
 *
 * spx_fe_load() lexes and parses a .spx file (flex + bison, pure and
 * reentrant, with locations), checks it (names, arity, attribute types and
 * ranges, shape inference, weight files), loads every weight into the weight
 * store and returns a spx_fe_network_t whose layers are in definition order
 * (which is a topological order: a layer may only use earlier layers).
 * Every problem is reported through spx_diag_t with a file:line:col; the
 * parser recovers and keeps going so that one run reports all errors.
 *
 * spx_fe_lower() (lower.c) turns a checked network into an MLIR module in the
 * spx dialect: the last step of the frontend.
 *
 * Conventions of the language (docs/language.md has the full grammar):
 *   activations NCHW; conv2d weights OIHW (O = filters, I = C_in / groups);
 *   dense weights [units, in_features]; dense input rank 2 [N, F].
 */
#ifndef SPX_FE_H
#define SPX_FE_H

#include "ir/spx_ir.h"
#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ops of the language: `input`, then the spx dialect's ops
 * (ir/spx_ir.h's SPX_IR_OPS) in their order; SPX_OP_<E> is
 * SPX_IR_OP_<E> + 1. A .spx file may call those whose `source` is 1. */
typedef enum spx_op {
  SPX_OP_INPUT,
#define X(e, name, min_in, max_in, rt, source) SPX_OP_##e,
  SPX_IR_OPS(X)
#undef X
  SPX_OP_COUNT_
} spx_op_t;

/* The spx dialect op of a frontend op other than input. */
static inline spx_ir_op_t spx_op_ir(spx_op_t op) { return (spx_ir_op_t)(op - 1); }

/* "input", or the dialect op's name ("spx.<name>"). */
const char *spx_op_name(spx_op_t op);

typedef struct spx_shape {
  int rank;
  int64_t dim[SPX_MAX_RANK];
} spx_shape_t;

/* The language's size limits (docs/language.md, "Limits"): every dimension
 * and every size argument (units, filters, kernel, stride, pad, dilation,
 * groups) is at most SPX_FE_SIZE_MAX, and every tensor, activation or
 * weight, holds at most SPX_FE_ELEMENTS_MAX elements. Its f32 bytes then fit
 * the u32 sizes of a .spxbin, the runtime's int32 element counts, and no
 * size arithmetic of the compiler (at most a product of two limits plus a
 * few sums) overflows an int64_t. */
#define SPX_FE_SIZE_MAX ((INT64_C(1) << 30) - 1)
#define SPX_FE_ELEMENTS_MAX ((INT64_C(1) << 30) - 1)
/* Windows (kernel, size, stride, pad, dilation) and conv groups are 8-bit
 * and 16-bit fields of the runtime's layer record, which every target's
 * stream is built from: checked at the argument. */
#define SPX_FE_WINDOW_MAX 255
#define SPX_FE_GROUPS_MAX 65535

/* Weight roles; the store name of a weight is "<layer>.<role>". */
#define SPX_FE_ROLES(X)                                                       \
  X(WEIGHT, "weight")                                                         \
  X(BIAS, "bias")                                                             \
  X(GAMMA, "gamma")                                                           \
  X(BETA, "beta")                                                             \
  X(MEAN, "mean")                                                             \
  X(VAR, "var")

typedef enum spx_role {
#define X(e, s) SPX_ROLE_##e,
  SPX_FE_ROLES(X)
#undef X
  SPX_ROLE_COUNT_
} spx_role_t;

const char *spx_role_name(spx_role_t role);

typedef struct spx_fe_layer {
  const char *name; /* user name, or "<parent>.<op>" for a nested call such
                       as dense(flatten(x)) -> "fc1.flatten" */
  spx_op_t op;
  spx_loc_t loc;    /* where the layer is defined (its name, or the nested
                       call) */
  int n_inputs;
  const int *inputs; /* indices of earlier layers */
  spx_shape_t shape; /* inferred output shape; f32 in the source model */

  /* Op parameters. Unused ones are 0. [0] is height, [1] is width. */
  int64_t kernel[2];   /* conv2d, maxpool, avgpool */
  int64_t stride[2];   /* conv2d, maxpool, avgpool (default 1 / kernel) */
  int64_t pad[4];      /* top, left, bottom, right */
  int64_t dilation[2]; /* conv2d (default 1) */
  int64_t groups;      /* conv2d (default 1; groups == C_in is depthwise) */
  int64_t units;       /* conv2d: filters (C_out); dense: units */
  int axis;            /* concat, softmax (normalised to >= 0) */
  float eps;           /* batchnorm (default 1e-5) */
  spx_shape_t reshape; /* reshape: the target shape (no -1 left) */

  /* Weights by role; NULL when the layer has none of that role. */
  spx_wbuf_t *weights[SPX_ROLE_COUNT_];
} spx_fe_layer_t;

/* A value in a compile statement option, kept generic: later passes validate
 * their own options and report errors at `loc`. */
typedef enum spx_fe_optkind {
  SPX_OPT_INT,
  SPX_OPT_FLOAT,
  SPX_OPT_STRING,
  SPX_OPT_IDENT,
  SPX_OPT_DIMS, /* 8x8 */
  SPX_OPT_LIST, /* [a, b, ...] of scalars: n_items, items */
} spx_fe_optkind_t;

typedef struct spx_fe_option {
  const char *key; /* NULL for a positional argument */
  spx_fe_optkind_t kind;
  int64_t i;       /* INT; DIMS: first */
  int64_t i2;      /* DIMS: second */
  double f;        /* FLOAT (INT also sets f) */
  const char *s;   /* STRING (already a path relative to the cwd if the key
                      names a file), IDENT */
  spx_loc_t loc;
  int n_items;                          /* LIST */
  const struct spx_fe_option *items;    /* LIST: key NULL, never a LIST */
} spx_fe_option_t;

/* `name(options)` or a bare `name`. */
typedef struct spx_fe_spec {
  const char *name; /* NULL when not given */
  int n_options;
  const spx_fe_option_t *options;
  spx_loc_t loc;
} spx_fe_spec_t;

typedef enum spx_fe_precision {
  SPX_PREC_DEFAULT, /* what the network-wide quantize says */
  SPX_PREC_F32,
  SPX_PREC_INT8,
} spx_fe_precision_t;

/* "f32" or "int8": the name of the precision's dtype (spx_dtype_name), as
 * written in the language and in spx.precision; NULL for DEFAULT. */
const char *spx_fe_precision_name(spx_fe_precision_t p);

/* `quantize LAYER : lp(n=.., es=.., rs=.., sf=.., act=lp(...))`: the LP
 * formats of the layer's weights and input activations (act defaults to
 * the weights' format). */
typedef struct spx_fe_lp {
  int set;
  int32_t w[4], a[4]; /* n, es, rs, sf, checked by spx_numspec_bind */
  spx_loc_t loc;      /* the lp(...) or lpq(...) */
  /* `quantize LAYER : lpq(bits=B, ...)`: the formats are searched (the lpq
   * pass), w and a are unset; the options, with their defaults: */
  int search;
  double bits;
  int32_t population, generations, seed, samples;
} spx_fe_lp_t;

typedef struct spx_fe_layer_cfg {
  spx_fe_precision_t precision; /* quantize LAYER : f32 | int8 */
  spx_fe_spec_t sparsify;       /* sparsify LAYER : spec; name NULL if unset */
  spx_fe_lp_t lp;               /* quantize LAYER : lp(...) */
  int binary;                   /* quantize LAYER : binary */
  spx_loc_t binary_loc;         /* that statement's `binary` */
} spx_fe_layer_cfg_t;

typedef struct spx_fe_compile {
  spx_fe_precision_t precision; /* quantize int8 -> INT8; default F32 */
  spx_fe_spec_t quantize;       /* the options of `quantize int8 k=v ...` */
  spx_fe_spec_t sparsify_all;   /* sparsify * : spec */
  spx_fe_lp_t lp_all;           /* quantize * : lp(...): every conv2d/dense */
  int binary_all;               /* quantize * : binary (spx_fe_layer_binary) */
  spx_loc_t binary_all_loc;
  spx_fe_lp_t lpq;              /* the first lpq(...): one search, so every
                                   other lpq(...) must have its options */
  spx_fe_spec_t target;         /* target NAME(options); name NULL -> cpu */
  spx_fe_layer_cfg_t *layers;   /* one per network layer, same index */
} spx_fe_compile_t;

/* What the compiler behind the frontend implements, handed in by its driver
 * (the frontend knows no passes): the language's open-ended names are
 * checked against it. Borrowed; it must outlive the network. */
typedef struct spx_fe_vocab {
  const char *const *sparsify_kinds; /* what `sparsify` may name; NULL: any */
  int n_sparsify_kinds;
  /* Per kind: 1 if it acts on binary layers, so `sparsify * : KIND` selects
   * the binary conv2d/dense (the others: the int8 ones). NULL: no kind does. */
  const unsigned char *sparsify_binary;
} spx_fe_vocab_t;

typedef struct spx_fe_network {
  const char *name;
  spx_loc_t name_loc; /* the name in `network NAME {` */
  const char *file; /* the .spx path as given */
  int n_layers;
  spx_fe_layer_t *layers;
  int n_outputs;
  const int *outputs; /* layer indices, in `output` order */
  spx_fe_compile_t compile;
  const spx_fe_vocab_t *vocab; /* as given to spx_fe_load; may be NULL */
  /* spx_fe_find_layer's hash index of layer names (open addressing, a
   * power-of-two size; each slot a layer index + 1, 0 for empty), so that
   * compile statements naming layers cost O(1) each; NULL: linear search. */
  int *layer_index;
  size_t layer_index_cap;
  /* The overrides applied so far (spx_fe_override), one a line: the text
   * of the "<command line>" source that errors quote, so that each quotes
   * its own override. */
  const char *cmdline;
  size_t cmdline_len;
  int cmdline_lines;
} spx_fe_network_t;

/* Parses and checks `path` ("-": standard input, named "<stdin>" in errors,
 * its weight paths relative to the working directory), loading weights into
 * `store`; names such as
 * sparsify kinds are checked against `vocab` (NULL: not checked), here and
 * in later overrides. All memory of the returned network lives in `arena`.
 * Returns 0 on success; on failure returns -1, has reported every error to
 * `diag` and sets *out_net = NULL. */
int spx_fe_load(const char *path, const spx_fe_vocab_t *vocab, spx_arena_t *arena,
                spx_wstore_t *store, spx_diag_t *diag, spx_fe_network_t **out_net);

/* Applies one compile-block statement given as text, e.g. from the command
 * line: "target aie(rows=2, cols=2)", "sparsify fc1 : block(8x8,
 * density=0.5)", "quantize int8 calibrate=\"x.npy\"". It overrides what the
 * file said. Errors are reported with file "<command line>", the n-th
 * override on line n (its own text quoted). Returns 0/-1. */
int spx_fe_override(spx_fe_network_t *net, const char *statement,
                    spx_arena_t *arena, spx_diag_t *diag);

/* Binary layers (`quantize LAYER : binary`, `quantize * : binary`;
 * docs/language.md). A layer's input is +-1 when it is the output of a
 * sign, possibly through maxpool, flatten and reshape (which keep +-1).
 * spx_fe_layer_binary: layer i is binary: named by `quantize LAYER :
 * binary`, or a conv2d/dense with a +-1 input that no other `quantize
 * LAYER` statement names and that is not the network's first or last
 * conv2d/dense, under `quantize * : binary`.
 * spx_fe_check_binary: after every statement (file and command line), the
 * errors of combinations: a binary layer that `quantize * : lp/lpq(...)`
 * also selects, or that `sparsify LAYER` sparsifies with another kind than
 * binsparx. Returns 0/-1. */
int spx_fe_input_pm1(const spx_fe_network_t *net, int layer);
int spx_fe_layer_binary(const spx_fe_network_t *net, int layer);
int spx_fe_check_binary(const spx_fe_network_t *net, spx_diag_t *diag);

/* Sets one option of the target, keeping the others and the target itself
 * (spxc --target-opt rows=2): "KEY=VALUE", parsed as in the language. An
 * option already there is replaced. Returns 0/-1 (errors at "<command
 * line>"). */
int spx_fe_set_target_option(spx_fe_network_t *net, const char *key_value,
                             spx_arena_t *arena, spx_diag_t *diag);

/* Builds the MLIR module of a checked network in `ctx` (which must have the
 * spx dialect loaded: spx_ir_context_create). conv2d and dense layers without
 * a bias get a zero "<layer>.bias" buffer in `store`. The module references
 * store buffers without copying them. */
MlirModule spx_fe_lower(const spx_fe_network_t *net, MlirContext ctx,
                        spx_wstore_t *store);

/* ---- ONNX import (onnx.c; docs/onnx.md) ----------------------------------
 *
 * An .onnx model is imported as the equivalent .spx text, whose weights are
 * held in memory as .npy "files", and that text goes through the parser and
 * sema like any .spx file: one set of checks, and `spxc --emit=spx` writes
 * exactly what was compiled. Errors the importer finds (an unsupported node,
 * a malformed file) are at "FILE.onnx: error: node K 'NAME' (OP): ...";
 * those sema finds are at FILE.onnx:LINE:COL of the equivalent .spx text,
 * whose quoted line ends with a comment naming the node. */
typedef struct spx_fe_memfile {
  const char *path; /* as written in the text, e.g. "weights/conv1.weight.npy" */
  spx_npy_t npy;    /* F32; data in the arena (never freed by the frontend) */
} spx_fe_memfile_t;

typedef struct spx_fe_import {
  const char *file;    /* the .onnx path as given */
  const char *name;    /* the network's name (from the file name) */
  const char *network; /* header comments and the network block */
  int n_files;
  const spx_fe_memfile_t *files;
} spx_fe_import_t;

/* 1 if `path` should be read as ONNX: it ends in ".onnx", or it is neither
 * .spx nor .mlir and starts with the byte of ModelProto's ir_version. */
int spx_fe_is_onnx(const char *path);
/* Reads an .onnx file. Reports every unsupported node (and every other
 * problem) at once; returns 0, or -1 with *out NULL. */
int spx_fe_onnx_import(const char *path, spx_arena_t *arena, spx_diag_t *diag,
                       spx_fe_import_t **out);
/* The .spx text of an import: its network block and a compile block that
 * holds the given compile statements (NULL/0: none), after commented hints. */
const char *spx_fe_import_text(const spx_fe_import_t *imp, const char *const *stmts, int n,
                               spx_arena_t *arena);
/* spx_fe_load for an import (with an empty compile block): the overrides
 * are then applied as for a .spx file. */
int spx_fe_load_import(const spx_fe_import_t *imp, const spx_fe_vocab_t *vocab,
                       spx_arena_t *arena, spx_wstore_t *store, spx_diag_t *diag,
                       spx_fe_network_t **out_net);

/* Index of the layer called `name`, or -1. */
int spx_fe_find_layer(const spx_fe_network_t *net, const char *name);
/* Builds net->layer_index (in the arena) once net->layers is final. */
void spx_fe_index_layers(spx_fe_network_t *net, spx_arena_t *arena);

#ifdef __cplusplus
}
#endif

#endif /* SPX_FE_H */
