/* program.c - lowers the planned spx module to a program (spx_backend.h):
 * one tensor per function argument and op result, one blob per weight
 * buffer, one cpu.layer command per op. */
#include "backends/spx_backend.h"
#include "runtime/kernels/spx_kernels.h"

#include <stdlib.h>
#include <string.h>

typedef struct builder {
  MlirModule module;
  spx_wstore_t *store;
  spx_arena_t *arena;
  spx_diag_t *diag;
  MlirOperation fn;
  MlirBlock entry;
  /* In the arena, sized from the function: each op adds at most one tensor,
   * one command and four blobs; each argument one tensor. */
  size_t n_tensors, n_blobs, n_cmds;
  size_t cap_tensors, cap_blobs, cap_cmds;
  spx_cs_tensor_t *tensors;
  MlirValue *values;
  spx_ptrmap_t value_index; /* value -> its tensor */
  spx_ptrmap_t blob_index;  /* store buffer data -> its blob */
  spx_cs_blob_t *blobs;
  spx_cs_command_t *cmds;
  spx_layer_info_t *layers;
  const spx_target_desc_t *tdesc;  /* its registry entry; NULL if unknown */
  int errors;
  uint64_t weight_bytes; /* of every blob: the bulk of the .spxbin */
} builder_t;

static const char *str_of(spx_arena_t *arena, MlirStringRef s) {
  return spx_arena_strndup(arena, s.data, s.length);
}

static void op_error(builder_t *b, MlirOperation op, const char *msg) {
  spx_diag_error(b->diag, spx_ir_loc(op, b->arena), "%s", msg);
  b->errors++;
}

static uint16_t tensor_of(builder_t *b, MlirValue v) {
  size_t i;
  if (spx_ptrmap_get(&b->value_index, v.ptr, &i)) return (uint16_t)i;
  SPX_UNREACHABLE("tensor used before definition");
  return SPX_CS_NONE;
}

/* The most a .spxbin's u32 workspace_size can hold of the memory plan's
 * workspace, whose size is a multiple of 16. */
#define WORKSPACE_MAX (UINT32_MAX / 16u * 16u)

/* The tensor of value v (an op's result, or an argument of the function
 * `at`), reporting at `at` what a .spxbin tensor record cannot hold: a
 * dimension, or bytes, or a workspace place beyond its u32 fields. */
static uint16_t add_tensor(builder_t *b, MlirValue v, const char *name, int64_t ws_offset,
                           MlirOperation at) {
  SPX_ASSERT(b->n_tensors < b->cap_tensors);
  spx_cs_tensor_t *t = &b->tensors[b->n_tensors];
  MlirType type = mlirValueGetType(v);
  int64_t d[SPX_MAX_RANK];
  t->rank = (uint8_t)spx_ir_shape(type, d);
  uint64_t count = 1;
  bool fits = true;
  for (int i = 0; i < t->rank; i++) {
    fits = fits && d[i] >= 1 && d[i] <= UINT32_MAX && count <= UINT32_MAX / (uint64_t)d[i];
    if (fits) count *= (uint64_t)d[i];
    t->dims[i] = fits ? (uint32_t)d[i] : 0;
  }
  double scale;
  int64_t zp;
  if (spx_ir_tensor_quant(type, &scale, &zp)) {
    t->dtype = SPX_CS_DTYPE_INT8;
    t->scale = (float)scale;
    t->zero_point = (int32_t)zp;
  } else {
    t->dtype = SPX_CS_DTYPE_F32;
  }
  uint64_t bytes = count * spx_cs_dtype_size(t->dtype); /* count <= 2^32 - 1 */
  if (!fits || bytes > WORKSPACE_MAX || ws_offset < 0 ||
      (uint64_t)ws_offset > WORKSPACE_MAX - bytes) {
    char msg[320];
    const char *what = mlirOperationEqual(at, b->fn) ? "input" : "the output of layer";
    if (fits && bytes <= UINT32_MAX)
      snprintf(msg, sizeof msg, "%s '%s' needs workspace bytes [%lld, %llu), beyond the %u bytes "
               "a .spxbin workspace holds", what, name, (long long)ws_offset,
               (unsigned long long)ws_offset + (unsigned long long)bytes,
               (unsigned)WORKSPACE_MAX);
    else
      snprintf(msg, sizeof msg, "%s '%s' is too large for a .spxbin tensor: each dimension, "
               "and its bytes, must fit 32 bits", what, name);
    op_error(b, at, msg);
    memset(t->dims, 0, sizeof t->dims);
    bytes = 0;
    ws_offset = 0;
  }
  t->name = name;
  t->ws_offset = (uint32_t)ws_offset;
  t->ws_size = (uint32_t)bytes;
  b->values[b->n_tensors] = v;
  SPX_ASSERT(spx_ptrmap_put(&b->value_index, v.ptr, b->n_tensors) == 0);
  return (uint16_t)b->n_tensors++;
}

static const struct {
  const char *name;
  uint16_t code;
} encodings[] = {
#define X(E, code, text) {text, code},
    SPX_CS_ENCODINGS(X)
#undef X
};

/* The blob of a weight-store buffer (SPX_CS_NONE for NULL), added once. */
static uint16_t add_blob(builder_t *b, const spx_wbuf_t *w, uint16_t encoding) {
  if (!w) return SPX_CS_NONE;
  size_t i;
  if (spx_ptrmap_get(&b->blob_index, w->data, &i)) return (uint16_t)i;
  SPX_ASSERT(spx_ptrmap_put(&b->blob_index, w->data, b->n_blobs) == 0);
  SPX_ASSERT(b->n_blobs < b->cap_blobs);
  spx_cs_blob_t *blob = &b->blobs[b->n_blobs];
  blob->name = w->name;
  blob->dtype = encoding == SPX_CS_ENC_DENSE ? (uint8_t)w->dtype /* SPX_CS_DTYPES codes */
                                             : SPX_CS_DTYPE_U8;
  blob->encoding = encoding;
  blob->length = w->nbytes <= UINT32_MAX ? (uint32_t)w->nbytes : UINT32_MAX;
  b->weight_bytes += w->nbytes;
  blob->data = w->data;
  return (uint16_t)b->n_blobs++;
}

/* The encoding code of an op's encoded weights (spx.encoding = "<format>",
 * spx.encoded = its bytes, set by a format pass), SPX_CS_ENC_DENSE when the
 * weights are not encoded, or -1 after an error. */
static int weight_encoding(builder_t *b, MlirOperation op) {
  MlirAttribute enc = mlirOperationGetAttributeByName(op, spx_ir_str("spx.encoding"));
  if (mlirAttributeIsNull(enc)) return SPX_CS_ENC_DENSE;
  MlirStringRef name = mlirStringAttrGetValue(enc);
  size_t k = 0;
  while (k < sizeof encodings / sizeof encodings[0] &&
         !(strlen(encodings[k].name) == name.length &&
           memcmp(encodings[k].name, name.data, name.length) == 0))
    k++;
  if (k == sizeof encodings / sizeof encodings[0]) {
    op_error(b, op, "unknown weight encoding");
    return -1;
  }
  return encodings[k].code;
}

/* The blob of a weight attribute, added once; SPX_CS_NONE if absent. */
static uint16_t blob_of(builder_t *b, MlirOperation op, const char *attr) {
  return add_blob(b, spx_ir_get_wbuf(op, attr, b->store), SPX_CS_ENC_DENSE);
}

/* Decodes encoded weights to a new dense int8 blob named after the layer's
 * int8 weights; SPX_CS_NONE after an error. */
static uint16_t decoded_blob(builder_t *b, MlirOperation op, const spx_wbuf_t *enc,
                             uint16_t code, const spx_fmt_dims_t *dims) {
  const spx_fmt_desc_t *f = spx_fmt_find(code);
  size_t count = spx_fmt_dims_count(dims);
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  int16_t *wide = count ? malloc(count * sizeof *wide) : NULL;
  int8_t *out = spx_arena_alloc(b->arena, count + 1);
  if (!f || !wide || f->decode(enc->data, enc->nbytes, dims, wide, count, &why)) {
    char msg[320];
    snprintf(msg, sizeof msg, "cannot decode the %s weights: %s", f ? f->name : "?",
             why.message[0] ? why.message : "unusable dimensions");
    op_error(b, op, msg);
    free(wide);
    return SPX_CS_NONE;
  }
  for (size_t i = 0; i < count; i++) out[i] = (int8_t)wide[i]; /* decodes_to_s8 */
  free(wide);
  const spx_wbuf_t *dense = spx_ir_get_wbuf(op, "weight", b->store);
  SPX_ASSERT(b->n_blobs < b->cap_blobs);
  spx_cs_blob_t *blob = &b->blobs[b->n_blobs];
  blob->name = dense ? dense->name : enc->name;
  blob->dtype = SPX_CS_DTYPE_INT8;
  blob->encoding = SPX_CS_ENC_DENSE;
  blob->length = (uint32_t)count;
  b->weight_bytes += count;
  blob->data = (const uint8_t *)out;
  return (uint16_t)b->n_blobs++;
}

/* The weights blob of a conv2d/dense, as the target takes its format (the
 * registry's format x target matrix): the encoded bytes when it runs the
 * format natively, a dense int8 blob decoded here (with a warning) when it
 * takes it decoded, an error at the layer when it refuses it. */
static uint16_t weights_blob(builder_t *b, MlirOperation op, const spx_cs_cpu_layer_t *l,
                             const int64_t *w, int rank) {
  int code = weight_encoding(b, op);
  if (code < 0) return SPX_CS_NONE;
  const char *attr = code == SPX_CS_ENC_DENSE ? "weight" : "spx.encoded";
  if (!b->tdesc) return add_blob(b, spx_ir_get_wbuf(op, attr, b->store), (uint16_t)code);
  const char *why = "";
  spx_target_support_t how = spx_target_format_support(b->tdesc, (unsigned)code, &why);
  const char *layer = str_of(b->arena, spx_ir_layer_name(op));
  const char *fmt = spx_cs_encoding_name((unsigned)code);
  if (how == SPX_TARGET_REFUSED) {
    spx_diag_error(b->diag, spx_ir_loc(op, b->arena),
                   "layer '%s' has %s weights, which target %s refuses: %s", layer, fmt,
                   b->tdesc->name, why);
    b->errors++;
    return SPX_CS_NONE;
  }
  const spx_wbuf_t *wb = spx_ir_get_wbuf(op, attr, b->store);
  if (how == SPX_TARGET_NATIVE || !wb) return add_blob(b, wb, (uint16_t)code);
  spx_diag_warning(b->diag, spx_ir_loc(op, b->arena),
                   "layer '%s' has %s weights, which target %s takes decoded (%s): spxc "
                   "stores them as dense int8", layer, fmt, b->tdesc->name, why);
  spx_fmt_dims_t dims = {(uint32_t)w[0], rank > 1 ? (uint32_t)w[1] : 1,
                         rank > 2 ? (uint16_t)w[2] : 1, rank > 3 ? (uint16_t)w[3] : 1,
                         l->op == SPX_CS_CPU_OP_CONV2D && l->groups ? l->groups : 1};
  return decoded_blob(b, op, wb, (uint16_t)code, &dims);
}

static uint64_t blob_bytes(builder_t *b, uint16_t id) {
  return id == SPX_CS_NONE ? 0 : b->blobs[id].length;
}

static void fill_weights(builder_t *b, MlirOperation op, spx_cs_command_t *cmd,
                         spx_layer_info_t *info) {
  spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  /* IR read from a .mlir file references its own resources, which the
   * weight store does not hold. */
  bool encoded = !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.encoding")));
  if (!spx_ir_get_wbuf(op, "weight", b->store) || !spx_ir_get_wbuf(op, "bias", b->store) ||
      (encoded && !spx_ir_get_wbuf(op, "spx.encoded", b->store))) {
    spx_diag_error(b->diag, spx_ir_loc(op, b->arena),
                   "layer '%s' has no weight data in the weight store (spxc does not load the "
                   "weights of a .mlir input: it can only write MLIR from one)",
                   str_of(b->arena, spx_ir_layer_name(op)));
    b->errors++;
    return;
  }
  MlirAttribute wa = mlirOperationGetAttributeByName(op, spx_ir_str("weight"));
  int64_t w[SPX_MAX_RANK], out[SPX_MAX_RANK];
  int rank = spx_ir_shape(mlirAttributeGetType(wa), w);
  l->weights = weights_blob(b, op, l, w, rank);
  /* An int8 conv2d/dense accumulates its products in int32: the stream
   * takes at most 2^31 / term of them per output, the term depending on the
   * weights' format (spx_fmt_acc_term). */
  const spx_wbuf_t *wb = spx_ir_get_wbuf(op, "weight", b->store);
  const spx_fmt_desc_t *fmt =
      l->weights != SPX_CS_NONE ? spx_fmt_find(b->blobs[l->weights].encoding) : NULL;
  uint32_t term = spx_fmt_acc_term(fmt);
  uint64_t per_output = 1, acc_max = 0x7fffffffu / term;
  for (int i = 1; i < rank; i++) per_output *= (uint64_t)w[i];
  if (wb && wb->dtype == SPX_DT_I8 && per_output > acc_max) {
    const char *layer = str_of(b->arena, spx_ir_layer_name(op));
    spx_diag_error(b->diag, spx_ir_loc(op, b->arena),
                   "layer '%s' sums %llu products per output in int8; the int8 kernels' int32 "
                   "accumulator takes at most %llu%s%s%s (keep it in f32: quantize %s : f32)",
                   layer, (unsigned long long)per_output, (unsigned long long)acc_max,
                   term > SPX_FMT_ACC_TERM_S8 ? " with its " : "",
                   term > SPX_FMT_ACC_TERM_S8 ? fmt->name : "",
                   term > SPX_FMT_ACC_TERM_S8 ? " weights" : "", layer);
    b->errors++;
    return;
  }
  l->bias = blob_of(b, op, "bias");
  l->mult = blob_of(b, op, "spx.multiplier");
  l->shift = blob_of(b, op, "spx.shift");
  int out_rank = spx_ir_shape(mlirValueGetType(mlirOperationGetResult(op, 0)), out);
  uint64_t params = 1, out_elems = 1;
  for (int i = 0; i < rank; i++) params *= (uint64_t)w[i];
  for (int i = 0; i < out_rank; i++) out_elems *= (uint64_t)out[i];
  info->params = params;
  info->dense_bytes = params * 4;
  /* Each output element takes one MAC per weight of its output channel. */
  info->macs = out_elems * (params / (uint64_t)w[0]);
  info->weight_bytes = blob_bytes(b, l->weights) + blob_bytes(b, l->bias) +
                       blob_bytes(b, l->mult) + blob_bytes(b, l->shift);
}

/* "<layer>.<role>" in the weight store: a new f32 [C] buffer, or the one a
 * previous lowering of the same module added. NULL after an error. */
static spx_wbuf_t *bn_buffer(builder_t *b, MlirOperation op, const char *layer,
                             const char *role, int64_t channels) {
  /* The whole name: two long layer names cut to the same prefix shared
   * one buffer, and the second batchnorm's affine overwrote the first's. */
  const char *name = spx_arena_printf(b->arena, "%s.%s", layer, role);
  spx_wbuf_t *w = spx_wstore_find(b->store, name);
  if (!w) w = spx_wstore_add(b->store, name, SPX_DT_F32, 1, &channels);
  if (!w || w->dtype != SPX_DT_F32 || w->count != (size_t)channels) {
    char msg[320];
    snprintf(msg, sizeof msg, "cannot store the batchnorm %s as weight buffer '%s'", role, name);
    op_error(b, op, msg);
    return NULL;
  }
  return w;
}

/* An unfolded batchnorm runs as a per-channel affine in f32 (weights =
 * scale, bias = shift), from spx_rt_batchnorm_affine: the rule
 * fold-batchnorm folds with, so folded and unfolded layers agree. */
static void fill_batchnorm(builder_t *b, MlirOperation op, const char *layer,
                           spx_cs_command_t *cmd, spx_layer_info_t *info) {
  spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  spx_wbuf_t *gamma = spx_ir_get_wbuf(op, "gamma", b->store);
  spx_wbuf_t *beta = spx_ir_get_wbuf(op, "beta", b->store);
  spx_wbuf_t *mean = spx_ir_get_wbuf(op, "mean", b->store);
  spx_wbuf_t *var = spx_ir_get_wbuf(op, "var", b->store);
  int64_t in[SPX_MAX_RANK];
  int rank = spx_ir_shape(mlirValueGetType(mlirOperationGetOperand(op, 0)), in);
  if (!gamma || !beta || !mean || !var || rank < 2) {
    op_error(b, op, "batchnorm needs gamma, beta, mean and var in the weight store and an input of rank >= 2");
    return;
  }
  int64_t channels = in[1];
  const spx_wbuf_t *params[4] = {gamma, beta, mean, var};
  for (int k = 0; k < 4; k++)
    if (params[k]->dtype != SPX_DT_F32 || params[k]->count != (size_t)channels) {
      op_error(b, op, "batchnorm parameters must be f32 with one value per channel");
      return;
    }
  spx_wbuf_t *scale = bn_buffer(b, op, layer, "bnscale", channels);
  spx_wbuf_t *shift = bn_buffer(b, op, layer, "bnshift", channels);
  if (!scale || !shift) return;
  float eps = (float)spx_ir_get_f64(op, "eps");
  spx_rt_batchnorm_affine((int32_t)channels, gamma->data, beta->data, mean->data, var->data,
                          eps, scale->data, shift->data);
  l->weights = add_blob(b, scale, SPX_CS_ENC_DENSE);
  l->bias = add_blob(b, shift, SPX_CS_ENC_DENSE);
  info->params = 2 * (uint64_t)channels;
  info->dense_bytes = info->params * 4;
  info->weight_bytes = blob_bytes(b, l->weights) + blob_bytes(b, l->bias);
  info->macs = 0; /* no conv2d/dense work */
}

/* A dictionary of numbers, strings and arrays of them, as JSON. */
static char *json_of(spx_arena_t *arena, MlirAttribute a) {
  if (mlirAttributeIsADictionary(a)) {
    char *s = "{";
    for (intptr_t i = 0; i < mlirDictionaryAttrGetNumElements(a); i++) {
      MlirNamedAttribute e = mlirDictionaryAttrGetElement(a, i);
      MlirStringRef k = mlirIdentifierStr(e.name);
      s = spx_arena_printf(arena, "%s%s\"%.*s\": %s", s, i ? ", " : "", (int)k.length, k.data,
                           json_of(arena, e.attribute));
    }
    return spx_arena_printf(arena, "%s}", s);
  }
  if (mlirAttributeIsAArray(a)) {
    char *s = "[";
    for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(a); i++)
      s = spx_arena_printf(arena, "%s%s%s", s, i ? ", " : "",
                           json_of(arena, mlirArrayAttrGetElement(a, i)));
    return spx_arena_printf(arena, "%s]", s);
  }
  if (mlirAttributeIsAInteger(a))
    return spx_arena_printf(arena, "%lld", (long long)mlirIntegerAttrGetValueInt(a));
  if (mlirAttributeIsAFloat(a)) return spx_arena_printf(arena, "%.6g", mlirFloatAttrGetValueDouble(a));
  if (mlirAttributeIsAString(a)) {
    MlirStringRef v = mlirStringAttrGetValue(a);
    return spx_arena_printf(arena, "\"%.*s\"", (int)v.length, v.data);
  }
  if (mlirAttributeIsADenseI64Array(a)) {
    char *s = "[";
    for (intptr_t i = 0; i < mlirDenseArrayGetNumElements(a); i++)
      s = spx_arena_printf(arena, "%s%s%lld", s, i ? ", " : "", (long long)mlirDenseI64ArrayGetElement(a, i));
    return spx_arena_printf(arena, "%s]", s);
  }
  return "null";
}

/* The targets whose PE arrays run conv2d/dense with their own output stage
 * (requantize, clamp) and have none for the fused sign (SPX_CS_ACT_SIGN):
 * spxc refuses such a layer for them. The cpu runs it (runtime/kernels);
 * a target not named here either runs it or refuses it itself. */
static bool sign_refused(const char *target) {
  static const char *const refused[] = {"aie", "bitserial", "lpa"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    if (strcmp(target, refused[i]) == 0) return true;
  return false;
}

/* The cpu.layer fields of a layer's kind and window (runtime/device's op and
 * activation codes are runtime/stream's). */
static void set_kind_and_window(spx_cs_cpu_layer_t *l, const spx_rt_layer_t *k) {
  l->act = k->act;
  l->axis = k->axis;
  l->groups = k->groups;
  l->kh = k->kernel[0];
  l->kw = k->kernel[1];
  l->sh = k->stride[0];
  l->sw = k->stride[1];
  l->dh = k->dilation[0];
  l->dw = k->dilation[1];
  l->pad_t = k->pad[0];
  l->pad_l = k->pad[1];
  l->pad_b = k->pad[2];
  l->pad_r = k->pad[3];
}

/* A layer the target cannot run still defines its output, so the layers
 * after it are checked too and every refusal is reported. */
static void refuse_layer(builder_t *b, MlirOperation op) {
  add_tensor(b, mlirOperationGetResult(op, 0), str_of(b->arena, spx_ir_layer_name(op)),
             spx_ir_get_i64(op, "spx.ws_offset"), op);
}

/* The int8 kernels that sum a whole axis in int32 (runtime/kernels: softmax,
 * global_avgpool) take sums of a bounded length; reports the layer. */
static bool int8_sum_too_long(builder_t *b, MlirOperation op, spx_cs_cpu_op_t code,
                              const char *name) {
  if (code != SPX_CS_CPU_OP_SOFTMAX && code != SPX_CS_CPU_OP_GLOBAL_AVGPOOL) return false;
  MlirType in = mlirValueGetType(mlirOperationGetOperand(op, 0));
  if (!spx_ir_tensor_quant(in, NULL, NULL)) return false;
  int64_t d[SPX_MAX_RANK];
  int rank = spx_ir_shape(in, d);
  uint64_t n = 1, max = SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW;
  const char *what = "averages", *per = " per channel";
  if (code == SPX_CS_CPU_OP_SOFTMAX) {
    int64_t axis = spx_ir_get_i64(op, "axis");
    if (axis < 0) axis += rank;
    n = axis >= 0 && axis < rank ? (uint64_t)d[axis] : 0;
    max = SPX_CS_SOFTMAX_S8_MAX_DEPTH;
    what = "takes the softmax of";
    per = "";
  } else {
    for (int i = 2; i < rank; i++) n *= (uint64_t)d[i];
  }
  if (n <= max) return false;
  char msg[320];
  snprintf(msg, sizeof msg, "layer '%s' %s %llu values%s in int8; the int8 kernel's int32 sum "
           "takes at most %llu (keep it in f32: quantize %s : f32)", name, what,
           (unsigned long long)n, per, (unsigned long long)max, name);
  op_error(b, op, msg);
  return true;
}

static void add_command(builder_t *b, MlirOperation op) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  const char *opname = str_of(b->arena, (MlirStringRef){full.data + 4, full.length - 4});
  spx_rt_layer_t kind;
  char why[160];
  if (spx_ir_layer_unfit(op, why, sizeof why)) {
    char msg[320];
    snprintf(msg, sizeof msg, "layer '%s': %s", str_of(b->arena, spx_ir_layer_name(op)), why);
    op_error(b, op, msg);
    refuse_layer(b, op);
    return;
  }
  if (!spx_ir_layer_params(op, &kind)) {
    char msg[160];
    snprintf(msg, sizeof msg, "the cpu target cannot run '%s'", opname);
    op_error(b, op, msg);
    refuse_layer(b, op);
    return;
  }
  spx_cs_cpu_op_t code = (spx_cs_cpu_op_t)kind.op;
  intptr_t n_in = kind.n_in;
  if (n_in > SPX_CS_CPU_MAX_INPUTS) {
    op_error(b, op, "the cpu target takes at most 4 inputs per layer");
    refuse_layer(b, op);
    return;
  }
  const char *name = str_of(b->arena, spx_ir_layer_name(op));
  if (kind.act == SPX_RT_ACT_SIGN && b->tdesc && sign_refused(b->tdesc->name)) {
    char msg[320];
    snprintf(msg, sizeof msg, "layer '%s' fuses sign, which target %s does not run (its PE "
             "output stage requantizes and clamps; the fused sign needs the sign of the int32 "
             "pre-activation): compile it for cpu", name, b->tdesc->name);
    op_error(b, op, msg);
    refuse_layer(b, op);
    return;
  }
  if (int8_sum_too_long(b, op, code, name)) {
    refuse_layer(b, op);
    return;
  }
  SPX_ASSERT(b->n_cmds < b->cap_cmds);
  spx_cs_command_t *cmd = &b->cmds[b->n_cmds];
  spx_layer_info_t *info = &b->layers[b->n_cmds];
  spx_cs_command_init_cpu_layer(cmd, code, name);
  spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  set_kind_and_window(l, &kind);
  uint16_t *ins[SPX_CS_CPU_MAX_INPUTS] = {&l->in0, &l->in1, &l->in2, &l->in3};
  l->n_in = (uint8_t)n_in;
  for (intptr_t k = 0; k < n_in; k++) *ins[k] = tensor_of(b, mlirOperationGetOperand(op, k));

  info->op = opname;
  spx_loc_t loc = spx_ir_loc(op, b->arena);
  info->line = loc.line;
  MlirAttribute fused = mlirOperationGetAttributeByName(op, spx_ir_str("spx.fused"));
  MlirAttribute folded = mlirOperationGetAttributeByName(op, spx_ir_str("spx.folded"));
  info->fused = spx_arena_printf(
      b->arena, "%s%s%s",
      mlirAttributeIsNull(folded) ? "" : str_of(b->arena, mlirStringAttrGetValue(folded)),
      !mlirAttributeIsNull(folded) && !mlirAttributeIsNull(fused) ? "," : "",
      mlirAttributeIsNull(fused) ? "" : str_of(b->arena, mlirStringAttrGetValue(fused)));

  MlirAttribute stats = mlirOperationGetAttributeByName(op, spx_ir_str("spx.stats"));
  if (!mlirAttributeIsNull(stats) && mlirAttributeIsADictionary(stats))
    info->stats_json = json_of(b->arena, stats);
  if (code == SPX_CS_CPU_OP_CONV2D || code == SPX_CS_CPU_OP_DENSE) fill_weights(b, op, cmd, info);
  if (code == SPX_CS_CPU_OP_BATCHNORM) fill_batchnorm(b, op, name, cmd, info);
  MlirValue r = mlirOperationGetResult(op, 0);
  l->out = add_tensor(b, r, name, spx_ir_get_i64(op, "spx.ws_offset"), op);
  b->n_cmds++;
}

/* spx.target = {kind = "aie", rows = 2 : i64, ...} */
static void read_target(builder_t *b, MlirOperation mop, spx_program_t *p) {
  MlirAttribute t = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.target"));
  p->target = "cpu";
  p->target_loc = p->loc;
  MlirAttribute tl = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.target_loc"));
  if (!mlirAttributeIsNull(tl) && mlirAttributeIsALocation(tl)) {
    spx_loc_t l = spx_ir_location(mlirLocationFromAttribute(tl), b->arena);
    if (l.file && l.line > 0) p->target_loc = l;
  }
  if (mlirAttributeIsNull(t) || !mlirAttributeIsADictionary(t)) return;
  intptr_t n = mlirDictionaryAttrGetNumElements(t);
  spx_backend_option_t *opts = spx_arena_alloc(b->arena, (size_t)(n + 1) * sizeof *opts);
  int k = 0;
  for (intptr_t i = 0; i < n; i++) {
    MlirNamedAttribute e = mlirDictionaryAttrGetElement(t, i);
    const char *key = str_of(b->arena, mlirIdentifierStr(e.name));
    const char *str = NULL;
    double num = 0;
    if (mlirAttributeIsAString(e.attribute)) str = str_of(b->arena, mlirStringAttrGetValue(e.attribute));
    else if (mlirAttributeIsAInteger(e.attribute)) num = (double)mlirIntegerAttrGetValueInt(e.attribute);
    else if (mlirAttributeIsAFloat(e.attribute)) num = mlirFloatAttrGetValueDouble(e.attribute);
    else str = json_of(b->arena, e.attribute);
    if (strcmp(key, "kind") == 0) p->target = str ? str : "?";
    else opts[k++] = (spx_backend_option_t){key, str, num};
  }
  p->n_target_options = k;
  p->target_options = opts;
}

const spx_backend_option_t *spx_backend_target_option(const spx_program_t *p, const char *key) {
  for (int i = 0; i < p->n_target_options; i++)
    if (strcmp(p->target_options[i].key, key) == 0) return &p->target_options[i];
  return NULL;
}

static int lower_to_target(spx_program_t *p, builder_t *b, MlirOperation mop) {
  const spx_backend_target_t *t = spx_backend_target_find(p->target);
  if (t) {
    /* Every target's options are read and checked here, whether it lowers
     * or not (the cpu has none: any option is an error). */
    int64_t *mdesc = spx_arena_alloc(b->arena, (t->desc->mdesc->count + 1) * sizeof *mdesc);
    if (spx_backend_read_mdesc(p, mdesc, b->diag)) return -1;
    p->mdesc = mdesc;
    return t->lower ? t->lower(p, b->arena, b->diag) : 0;
  }
  (void)mop;
  spx_diag_error(b->diag, p->target_loc, "unknown target '%s' (known: %s)", p->target,
                 spx_backend_target_names());
  return -1;
}

/* The spx.name of input/output `i` (arg_attrs/res_attrs `all`); "" after
 * an error if it has none. */
static const char *io_name(builder_t *b, MlirAttribute all, intptr_t i, const char *what) {
  MlirAttribute d = mlirAttributeIsNull(all) ? all : mlirArrayAttrGetElement(all, i);
  MlirAttribute name = mlirAttributeIsNull(d) ? d
                       : mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.name"));
  if (!mlirAttributeIsNull(name) && mlirAttributeIsAString(name))
    return str_of(b->arena, mlirStringAttrGetValue(name));
  spx_diag_error(b->diag, spx_ir_loc(b->fn, b->arena),
                 "%s %lld of the network has no spx.name (C, .spxbin and reports name every "
                 "input and output)", what, (long long)i);
  b->errors++;
  return "";
}

int spx_backend_program_build(MlirModule module, spx_wstore_t *store, spx_arena_t *arena,
                              spx_diag_t *diag, spx_program_t **out_program) {
  *out_program = NULL;
  MlirOperation mop = mlirModuleGetOperation(module);
  spx_loc_t file_loc = spx_ir_loc(mop, arena);
  file_loc.line = 0;
  if (mlirAttributeIsNull(mlirOperationGetAttributeByName(mop, spx_ir_str("spx.workspace_size")))) {
    spx_diag_error(diag, file_loc, "writing C, .spxbin or a report needs the memory-plan pass "
                                   "(see --list-passes)");
    return -1;
  }
  /* A hand-written module (spxc FILE.mlir) may lack what the frontend
   * records; the entry check (ir/check.c) made sure what is there is
   * well-formed. */
  MlirAttribute net = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.network"));
  MlirAttribute src = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.source"));
  if (mlirAttributeIsNull(net) || !mlirAttributeIsAString(net) || mlirAttributeIsNull(src) ||
      !mlirAttributeIsAString(src)) {
    spx_diag_error(diag, file_loc, "writing C, .spxbin or a report needs the module's "
                                   "spx.network (the network's name) and spx.source");
    return -1;
  }
  builder_t *b = calloc(1, sizeof *b);
  SPX_ASSERT(b);
  b->module = module;
  b->store = store;
  b->arena = arena;
  b->diag = diag;
  b->fn = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
  b->entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(b->fn, 0));
  size_t n_ops = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(b->entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    n_ops++;
  b->cap_tensors = (size_t)mlirBlockGetNumArguments(b->entry) + n_ops;
  b->cap_cmds = n_ops;
  b->cap_blobs = 4 * n_ops;
  if (b->cap_tensors >= SPX_CS_MAX_TENSORS || b->cap_blobs >= SPX_CS_NONE) {
    spx_diag_error(diag, file_loc, "the network has %zu layers; a .spxbin holds at most %u "
                   "tensors and weight blobs", n_ops, (unsigned)SPX_CS_MAX_TENSORS - 1);
    free(b);
    return -1;
  }
  b->tensors = spx_arena_alloc(arena, (b->cap_tensors + 1) * sizeof *b->tensors);
  b->values = spx_arena_alloc(arena, (b->cap_tensors + 1) * sizeof *b->values);
  b->blobs = spx_arena_alloc(arena, (b->cap_blobs + 1) * sizeof *b->blobs);
  b->cmds = spx_arena_alloc(arena, (b->cap_cmds + 1) * sizeof *b->cmds);
  b->layers = spx_arena_alloc(arena, (b->cap_cmds + 1) * sizeof *b->layers);

  MlirAttribute arg_attrs = mlirOperationGetAttributeByName(b->fn, spx_ir_str("arg_attrs"));
  MlirAttribute res_attrs = mlirOperationGetAttributeByName(b->fn, spx_ir_str("res_attrs"));
  intptr_t n_args = mlirBlockGetNumArguments(b->entry);
  uint16_t *inputs = spx_arena_alloc(arena, (size_t)(n_args + 1) * sizeof *inputs);
  const char **input_names = spx_arena_alloc(arena, (size_t)(n_args + 1) * sizeof *input_names);
  for (intptr_t a = 0; a < n_args; a++) {
    const char *name = io_name(b, arg_attrs, a, "input");
    MlirAttribute d = mlirAttributeIsNull(arg_attrs) ? arg_attrs : mlirArrayAttrGetElement(arg_attrs, a);
    MlirAttribute off = mlirAttributeIsNull(d) ? d
                        : mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.ws_offset"));
    inputs[a] = add_tensor(b, mlirBlockGetArgument(b->entry, a), name,
                           mlirAttributeIsNull(off) ? 0 : mlirIntegerAttrGetValueInt(off), b->fn);
    input_names[a] = name;
  }
  /* The target first: which weight formats it takes decides the blobs. */
  spx_program_t *p = spx_arena_alloc(arena, sizeof *p);
  p->prepared = spx_arena_alloc(arena, sizeof *p->prepared);
  memset(p->prepared, 0, sizeof *p->prepared);
  p->diag = diag;
  p->loc = file_loc;
  p->name_loc = spx_ir_loc(mop, arena);
  if (!p->name_loc.file) p->name_loc = file_loc;
  read_target(b, mop, p);
  const spx_backend_target_t *target = spx_backend_target_find(p->target);
  b->tdesc = target ? target->desc : NULL;
  MlirOperation ret = mlirBlockGetTerminator(b->entry);
  for (MlirOperation op = mlirBlockGetFirstOperation(b->entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (!mlirOperationEqual(op, ret)) add_command(b, op);
  intptr_t n_out = mlirOperationGetNumOperands(ret);
  uint16_t *outputs = spx_arena_alloc(arena, (size_t)(n_out + 1) * sizeof *outputs);
  const char **output_names = spx_arena_alloc(arena, (size_t)(n_out + 1) * sizeof *output_names);
  for (intptr_t i = 0; i < n_out; i++) {
    outputs[i] = tensor_of(b, mlirOperationGetOperand(ret, i));
    output_names[i] = io_name(b, res_attrs, i, "output");
  }

  /* A .spxbin's sizes and offsets are u32: its weights (each blob 64-byte
   * aligned) must leave room for the rest. */
  uint64_t file_bytes = b->weight_bytes + 64 * (uint64_t)b->n_blobs +
                        64 * (uint64_t)(b->n_tensors + b->n_cmds + 64);
  if (!b->errors && file_bytes > UINT32_MAX) {
    spx_diag_error(diag, file_loc, "the network's weights take %llu bytes: more than a .spxbin "
                   "file (at most %u bytes) holds", (unsigned long long)b->weight_bytes,
                   (unsigned)UINT32_MAX);
    b->errors++;
  }
  int rc = b->errors ? -1 : 0;
  if (rc == 0) {
    p->name = str_of(arena, spx_ir_get_str(mop, "spx.network"));
    p->source = str_of(arena, spx_ir_get_str(mop, "spx.source"));
    p->input_names = input_names;
    p->output_names = output_names;
    spx_cs_image_t *img = &p->image;
    img->target = SPX_CS_TARGET_CPU;
    img->workspace_size = (uint32_t)spx_ir_get_i64(mop, "spx.workspace_size");
    img->tensors = b->tensors;
    img->tensor_count = (uint32_t)b->n_tensors;
    img->inputs = inputs;
    img->input_count = (uint32_t)n_args;
    img->outputs = outputs;
    img->output_count = (uint32_t)n_out;
    img->blobs = b->blobs;
    img->blob_count = (uint32_t)b->n_blobs;
    img->commands = b->cmds;
    img->command_count = (uint32_t)b->n_cmds;
    p->layers = b->layers;
    p->layer_count = img->command_count;
    p->layer_commands = img->commands;
    rc = lower_to_target(p, b, mop);
    if (rc == 0) *out_program = p;
  }
  spx_ptrmap_free(&b->value_index);
  spx_ptrmap_free(&b->blob_index);
  free(b);
  return rc;
}
