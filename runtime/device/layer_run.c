/* layer_run.c - the one mapping from a layer (spx_rt_layer_t) to the kernels
 * of runtime/kernels. Generated C and the cpu device both come here, so they
 * are bit-identical by construction.
 *
 * Every entry point first runs prepare(): cheap checks of the layer (NULL
 * pointers, op and input count, dtypes, ranks, shapes against the op's
 * result, quantization that the int8 kernels require) that fill a plan with
 * the kernel parameters. A layer that fails gets a status (and, through
 * spx_rt_layer_check, a err), never a crash. What prepare() cannot check
 * is that offsets lie inside the caller's workspace: the loader checks that
 * for streams, the compiler for generated tables.
 *
 * C99 (generated code builds it with -std=c99 -pedantic); no allocation. */
#include <string.h>

#include "runtime/device/layer_params.h"
#include "runtime/device/spx_device.h"
#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

#define MAX_IN 4

/* Everything a layer's kernel call needs, worked out by prepare(). */
typedef struct plan {
  int is_s8;        /* int8 kernels (else f32); QUANTIZE/DEQUANTIZE: 0 */
  int post_sigmoid; /* f32: apply sigmoid to the output after the kernel */
  spx_rt_act_t act; /* the kernel's fused activation */
  size_t count;     /* elements of in[0] (elementwise ops, copy) */
  const spx_fmt_desc_t *fmt; /* conv2d/dense: the weights' format */
  spx_rt_quant_t inq[MAX_IN], outq;
  union {
    spx_rt_conv2d_params_t conv;
    spx_rt_dense_params_t dense;
    spx_rt_pool_params_t pool;
    struct { int32_t n, c, hw; } gap;
    struct { int32_t outer, depth; } softmax;
    struct { int32_t n, c, inner; } affine; /* batchnorm */
    struct {
      spx_rt_concat_params_t p;
      int32_t axis_dims[MAX_IN];
      int requant; /* some input's quantization differs from the output's */
    } concat;
  } u;
} plan_t;

static unsigned dtype_size(unsigned dt) {
  switch (dt) {
  case SPX_RT_F32: return 4;
  case SPX_RT_INT8: return 1;
  case SPX_RT_INT32: return 4;
  }
  return 0;
}

static int scale_ok(float s) { return s > 0.0f && s <= 3.402823466e38f; }

static spx_rt_quant_t quant_of(const spx_rt_tensor_t *t) {
  spx_rt_quant_t q;
  q.scale = t->scale;
  q.zero_point = t->zero_point;
  return q;
}

static int same_quant(spx_rt_quant_t a, spx_rt_quant_t b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

static int same_dims(const spx_rt_tensor_t *a, const spx_rt_tensor_t *b) {
  unsigned d;
  if (a->rank != b->rank) return 0;
  for (d = 0; d < a->rank; ++d)
    if (a->dims[d] != b->dims[d]) return 0;
  return 1;
}

#define FAIL(code, ...) return spx_rt_error_set(err, (code), __VA_ARGS__)

/* A tensor the layer reads or writes: known dtype, usable shape, int8
 * quantization valid. */
static spx_rt_status_t check_tensor(const spx_rt_tensor_t *t,
                                    spx_rt_error_t *err) {
  if (!dtype_size(t->dtype)) FAIL(SPX_RT_ERR_ARG, "tensor of unknown dtype");
  if (!spx_rt_tensor_elems(t)) FAIL(SPX_RT_ERR_SHAPE, "tensor rank or dimension out of range");
  if (t->offset % dtype_size(t->dtype))
    FAIL(SPX_RT_ERR_ARG, "tensor offset not aligned to its element size");
  if (t->dtype == SPX_RT_INT8 &&
      (!scale_ok(t->scale) || t->zero_point < -128 || t->zero_point > 127))
    FAIL(SPX_RT_ERR_ARG, "int8 tensor needs a finite scale > 0 and a zero point in [-128, 127]");
  return SPX_RT_OK;
}

static spx_rt_status_t prepare_conv(const spx_rt_layer_t *l, plan_t *pl,
                                    spx_rt_error_t *err) {
  const spx_rt_tensor_t *in = l->in[0], *out = l->out;
  spx_rt_conv2d_params_t *p = &pl->u.conv;
  int32_t oh, ow;
  if (in->rank != 4 || out->rank != 4)
    FAIL(SPX_RT_ERR_SHAPE, "conv2d needs rank-4 input and output");
  spx_rt_layer_conv_params(l, pl->act, p);
  if (!p->kh || !p->kw || !p->stride[0] || !p->stride[1] ||
      !p->dilation[0] || !p->dilation[1] || !p->groups)
    FAIL(SPX_RT_ERR_ARG, "conv2d kernel, stride, dilation and groups must be >= 1");
  if (p->c_in % p->groups || p->c_out % p->groups)
    FAIL(SPX_RT_ERR_SHAPE, "conv2d groups do not divide the channels");
  if (spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK)
    FAIL(SPX_RT_ERR_SHAPE, "conv2d window does not fit the input");
  if (out->dims[0] != in->dims[0] || (int32_t)out->dims[2] != oh ||
      (int32_t)out->dims[3] != ow)
    FAIL(SPX_RT_ERR_SHAPE, "conv2d output shape does not match the window");
  return SPX_RT_OK;
}

/* The weight tensor of a conv2d/dense as the formats see it: rows = output
 * channels, cols = input channels per group (or features), taps per cell. */
static spx_fmt_dims_t weight_dims(const spx_rt_layer_t *l, const plan_t *pl) {
  spx_fmt_dims_t d;
  if (l->op == SPX_RT_OP_CONV2D) {
    d.rows = (uint32_t)pl->u.conv.c_out;
    d.cols = (uint32_t)(pl->u.conv.c_in / pl->u.conv.groups);
    d.kh = (uint16_t)pl->u.conv.kh;
    d.kw = (uint16_t)pl->u.conv.kw;
    d.groups = (uint32_t)pl->u.conv.groups;
  } else {
    d.rows = (uint32_t)pl->u.dense.units;
    d.cols = (uint32_t)pl->u.dense.features;
    d.kh = d.kw = 1;
    d.groups = 1;
  }
  return d;
}

/* int8 weights against the layer's dimensions, through their format's
 * descriptor. `full` = every byte (desc->validate, O(len), once when a model
 * is prepared); otherwise the structure only (desc->open: O(block rows +
 * blocks) for CBR, O(rows) for BBS), enough for the kernels never to read
 * out of bounds. weights_size 0 means the size is not known (hand-built
 * layers): only a format whose open accepts that (the plain dense array)
 * passes, and only its structural check runs. f32 layers take the plain
 * array as it is. */
static spx_rt_status_t check_encoded(const spx_rt_layer_t *l, const plan_t *pl, int full,
                                     spx_rt_error_t *err) {
  spx_fmt_dims_t d;
  if (!pl->is_s8) return SPX_RT_OK;
  d = weight_dims(l, pl);
  return full && l->weights_size
             ? pl->fmt->validate(l->weights, l->weights_size, &d, err)
             : pl->fmt->open(l->weights, l->weights_size, &d, NULL, err);
}

static spx_rt_status_t prepare_pool(const spx_rt_layer_t *l, plan_t *pl,
                                    spx_rt_error_t *err) {
  const spx_rt_tensor_t *in = l->in[0], *out = l->out;
  spx_rt_pool_params_t *p = &pl->u.pool;
  int32_t oh, ow;
  if (in->rank != 4 || out->rank != 4)
    FAIL(SPX_RT_ERR_SHAPE, "pool needs rank-4 input and output");
  spx_rt_layer_pool_params(l, p);
  if (spx_rt_pool_out_dims(p, &oh, &ow) != SPX_RT_OK)
    FAIL(SPX_RT_ERR_SHAPE, "pool window does not fit the input (or is all padding)");
  if (out->dims[0] != in->dims[0] || out->dims[1] != in->dims[1] ||
      (int32_t)out->dims[2] != oh || (int32_t)out->dims[3] != ow)
    FAIL(SPX_RT_ERR_SHAPE, "pool output shape does not match the window");
  if (pl->is_s8 && !same_quant(pl->inq[0], pl->outq))
    FAIL(SPX_RT_ERR_ARG, "int8 pool needs equal input and output quantization");
  return SPX_RT_OK;
}

static spx_rt_status_t prepare_concat(const spx_rt_layer_t *l, plan_t *pl,
                                      spx_rt_error_t *err) {
  const spx_rt_tensor_t *out = l->out;
  spx_rt_concat_params_t *p = &pl->u.concat.p;
  int axis = l->axis < 0 ? l->axis + (int)out->rank : l->axis;
  unsigned k, d;
  uint64_t sum = 0;
  if (axis < 0 || axis >= (int)out->rank)
    FAIL(SPX_RT_ERR_SHAPE, "concat axis out of range");
  memset(p, 0, sizeof *p);
  p->rank = out->rank;
  for (d = 0; d < out->rank; ++d) p->dims[d] = (int32_t)out->dims[d];
  p->axis = axis;
  p->count = l->n_in;
  pl->u.concat.requant = 0;
  for (k = 0; k < l->n_in; ++k) {
    const spx_rt_tensor_t *in = l->in[k];
    if (in->rank != out->rank)
      FAIL(SPX_RT_ERR_SHAPE, "concat input rank differs from the output's");
    for (d = 0; d < out->rank; ++d)
      if ((int)d != axis && in->dims[d] != out->dims[d])
        FAIL(SPX_RT_ERR_SHAPE, "concat input shape does not fit the output");
    pl->u.concat.axis_dims[k] = (int32_t)in->dims[axis];
    sum += in->dims[axis];
    if (pl->is_s8 && !same_quant(pl->inq[k], pl->outq)) pl->u.concat.requant = 1;
  }
  if (sum != out->dims[axis])
    FAIL(SPX_RT_ERR_SHAPE, "concat inputs do not add up to the output on the axis");
  p->axis_dims = pl->u.concat.axis_dims;
  return SPX_RT_OK;
}

/* Softmax and int8 sigmoid produce scale 1/256, zero point -128. */
static int is_prob_quant(spx_rt_quant_t q) {
  return q.scale == 1.0f / 256.0f && q.zero_point == -128;
}

static spx_rt_status_t prepare(const spx_rt_layer_t *l, plan_t *pl,
                               spx_rt_error_t *err) {
  unsigned k, n_in_min = 1, n_in_max = 1;
  unsigned dt_in, dt_out;
  spx_rt_status_t st;
  spx_rt_error_clear(err);
  memset(pl, 0, sizeof *pl);
  if (!l) FAIL(SPX_RT_ERR_ARG, "layer is NULL");
  switch (l->op) {
  case SPX_RT_OP_ADD: n_in_min = n_in_max = 2; break;
  case SPX_RT_OP_CONCAT: n_in_min = 2; n_in_max = MAX_IN; break;
  default:
    if (l->op < SPX_RT_OP_CONV2D || l->op > SPX_RT_OP_SIGN)
      FAIL(SPX_RT_ERR_ARG, "unknown layer op");
  }
  if (l->n_in < n_in_min || l->n_in > n_in_max)
    FAIL(SPX_RT_ERR_ARG, "wrong number of inputs for the op");
  if (!l->out) FAIL(SPX_RT_ERR_ARG, "output tensor is NULL");
  if ((st = check_tensor(l->out, err)) != SPX_RT_OK) return st;
  for (k = 0; k < l->n_in; ++k) {
    if (!l->in[k]) FAIL(SPX_RT_ERR_ARG, "input tensor is NULL");
    if ((st = check_tensor(l->in[k], err)) != SPX_RT_OK) return st;
    pl->inq[k] = quant_of(l->in[k]);
  }
  pl->outq = quant_of(l->out);
  pl->count = spx_rt_tensor_elems(l->in[0]);

  /* Dtypes: in[0] selects the kernels; QUANTIZE/DEQUANTIZE convert. */
  dt_in = l->in[0]->dtype;
  dt_out = l->out->dtype;
  if (l->op == SPX_RT_OP_QUANTIZE) {
    if (dt_in != SPX_RT_F32 || dt_out != SPX_RT_INT8)
      FAIL(SPX_RT_ERR_ARG, "quantize converts f32 to int8");
  } else if (l->op == SPX_RT_OP_DEQUANTIZE) {
    if (dt_in != SPX_RT_INT8 || dt_out != SPX_RT_F32)
      FAIL(SPX_RT_ERR_ARG, "dequantize converts int8 to f32");
  } else {
    if (dt_in != SPX_RT_F32 && dt_in != SPX_RT_INT8)
      FAIL(SPX_RT_ERR_ARG, "layer input must be f32 or int8");
    for (k = 1; k < l->n_in; ++k)
      if (l->in[k]->dtype != dt_in)
        FAIL(SPX_RT_ERR_ARG, "layer inputs differ in dtype");
    if (dt_out != dt_in) FAIL(SPX_RT_ERR_ARG, "layer output dtype differs from the input's");
    pl->is_s8 = dt_in == SPX_RT_INT8;
  }

  /* Fused activation: conv2d, dense and add only. */
  switch (l->act) {
  case 0: pl->act = SPX_RT_ACT_NONE; break;
  case 1: pl->act = SPX_RT_ACT_RELU; break;
  case 2: pl->act = SPX_RT_ACT_RELU6; break;
  case 4: pl->act = SPX_RT_ACT_SIGN; break;
  case 3:
    if (pl->is_s8)
      FAIL(SPX_RT_ERR_ARG, "int8 layers cannot fuse sigmoid (use a sigmoid layer)");
    pl->act = SPX_RT_ACT_NONE;
    pl->post_sigmoid = 1;
    break;
  default: FAIL(SPX_RT_ERR_ARG, "unknown fused activation");
  }
  if (l->act && l->op != SPX_RT_OP_CONV2D && l->op != SPX_RT_OP_DENSE &&
      l->op != SPX_RT_OP_ADD)
    FAIL(SPX_RT_ERR_ARG, "only conv2d, dense and add take a fused activation");
  /* Sign: int8 +-1 at scale 1, zero point 0 (the op, or fused). */
  if (pl->act == SPX_RT_ACT_SIGN && l->op == SPX_RT_OP_ADD)
    FAIL(SPX_RT_ERR_ARG, "sign fuses into conv2d and dense only");
  if ((pl->act == SPX_RT_ACT_SIGN || l->op == SPX_RT_OP_SIGN) && pl->is_s8 &&
      (pl->outq.scale != 1.0f || pl->outq.zero_point != 0))
    FAIL(SPX_RT_ERR_ARG, "int8 sign output must be quantized with scale 1, zero point 0");

  switch (l->op) {
  case SPX_RT_OP_CONV2D:
  case SPX_RT_OP_DENSE:
    if (!l->weights) FAIL(SPX_RT_ERR_ARG, "conv2d/dense weights are NULL");
    pl->fmt = spx_fmt_find(l->weights_encoding);
    if (!pl->fmt)
      FAIL(SPX_RT_ERR_ARG, "weights encoding has no format descriptor (runtime/formats)");
    if (!pl->is_s8 && pl->fmt->needs_s8)
      FAIL(SPX_RT_ERR_ARG, "encoded weights need an int8 conv2d/dense (their format "
                           "runs int8 only)");
    if (pl->is_s8 && (!pl->fmt->open ||
                      (!pl->fmt->dot && pl->fmt->datapath != SPX_FMT_DATAPATH_LP)))
      FAIL(SPX_RT_ERR_ARG, "the weights' format has no cpu kernel yet (runtime/formats)");
    if (pl->is_s8 && pl->act == SPX_RT_ACT_SIGN && pl->fmt->datapath == SPX_FMT_DATAPATH_LP)
      FAIL(SPX_RT_ERR_ARG, "LP layers cannot fuse sign (use a sign layer)");
    if (pl->is_s8 && (!l->multiplier || !l->shift))
      FAIL(SPX_RT_ERR_ARG, "int8 conv2d/dense need requant multipliers and shifts");
    if (pl->is_s8 && l->multiplier_count > 1 && l->multiplier_count != l->out->dims[1])
      FAIL(SPX_RT_ERR_ARG, "requant multipliers are neither one per output channel nor one");
    if (l->op == SPX_RT_OP_CONV2D) {
      st = prepare_conv(l, pl, err);
      return st == SPX_RT_OK ? check_encoded(l, pl, 0, err) : st;
    }
    if (l->in[0]->rank != 2 || l->out->rank != 2)
      FAIL(SPX_RT_ERR_SHAPE, "dense needs rank-2 input and output");
    if (l->out->dims[0] != l->in[0]->dims[0])
      FAIL(SPX_RT_ERR_SHAPE, "dense output batch differs from the input's");
    spx_rt_layer_dense_params(l, pl->act, &pl->u.dense);
    return check_encoded(l, pl, 0, err);
  case SPX_RT_OP_RELU:
  case SPX_RT_OP_RELU6:
  case SPX_RT_OP_SIGMOID:
  case SPX_RT_OP_SIGN:
  case SPX_RT_OP_QUANTIZE:
  case SPX_RT_OP_DEQUANTIZE:
    if (!same_dims(l->in[0], l->out))
      FAIL(SPX_RT_ERR_SHAPE, "elementwise output shape differs from the input's");
    if (l->op == SPX_RT_OP_SIGMOID && pl->is_s8 && !is_prob_quant(pl->outq))
      FAIL(SPX_RT_ERR_ARG, "int8 sigmoid output must be quantized with scale 1/256, zero point -128");
    return SPX_RT_OK;
  case SPX_RT_OP_SOFTMAX: {
    const spx_rt_tensor_t *in = l->in[0];
    int axis = l->axis < 0 ? l->axis + (int)in->rank : l->axis;
    if (in->rank < 1 || axis != (int)in->rank - 1)
      FAIL(SPX_RT_ERR_ARG, "softmax runs along the last axis only");
    if (!same_dims(in, l->out))
      FAIL(SPX_RT_ERR_SHAPE, "softmax output shape differs from the input's");
    if (pl->is_s8 && !is_prob_quant(pl->outq))
      FAIL(SPX_RT_ERR_ARG, "int8 softmax output must be quantized with scale 1/256, zero point -128");
    pl->u.softmax.depth = (int32_t)in->dims[in->rank - 1];
    pl->u.softmax.outer = (int32_t)(pl->count / (size_t)pl->u.softmax.depth);
    return SPX_RT_OK;
  }
  case SPX_RT_OP_MAXPOOL:
  case SPX_RT_OP_AVGPOOL:
    return prepare_pool(l, pl, err);
  case SPX_RT_OP_GLOBAL_AVGPOOL: {
    const spx_rt_tensor_t *in = l->in[0], *out = l->out;
    if (in->rank != 4 || out->rank != 4 || out->dims[0] != in->dims[0] ||
        out->dims[1] != in->dims[1] || out->dims[2] != 1 || out->dims[3] != 1)
      FAIL(SPX_RT_ERR_SHAPE, "global_avgpool maps [N,C,H,W] to [N,C,1,1]");
    pl->u.gap.n = (int32_t)in->dims[0];
    pl->u.gap.c = (int32_t)in->dims[1];
    pl->u.gap.hw = (int32_t)(in->dims[2] * in->dims[3]); /* < 2^31: elem_count */
    return SPX_RT_OK;
  }
  case SPX_RT_OP_ADD:
    if (!same_dims(l->in[1], l->in[0]) || !same_dims(l->out, l->in[0]))
      FAIL(SPX_RT_ERR_SHAPE, "add needs equal input and output shapes");
    if ((l->multiplier == NULL) != (l->shift == NULL))
      FAIL(SPX_RT_ERR_ARG, "add multipliers and shifts come together");
    return SPX_RT_OK;
  case SPX_RT_OP_CONCAT:
    return prepare_concat(l, pl, err);
  case SPX_RT_OP_BATCHNORM: {
    const spx_rt_tensor_t *in = l->in[0];
    if (pl->is_s8)
      FAIL(SPX_RT_ERR_ARG, "batchnorm runs in f32 only (quantize keeps it in "
                           "f32 between a dequantize and a quantize)");
    if (in->rank < 2) FAIL(SPX_RT_ERR_SHAPE, "batchnorm needs rank >= 2 (channels at dim 1)");
    if (!same_dims(in, l->out))
      FAIL(SPX_RT_ERR_SHAPE, "batchnorm output shape differs from the input's");
    if (!l->weights || !l->bias)
      FAIL(SPX_RT_ERR_ARG, "batchnorm needs scale (weights) and shift (bias)");
    if (l->weights_encoding != 0)
      FAIL(SPX_RT_ERR_ARG, "batchnorm scale must be a dense f32 array");
    if (l->weights_size && l->weights_size != (size_t)in->dims[1] * sizeof(float))
      FAIL(SPX_RT_ERR_ARG, "batchnorm scale is not one f32 per channel");
    pl->u.affine.n = (int32_t)in->dims[0];
    pl->u.affine.c = (int32_t)in->dims[1];
    pl->u.affine.inner = (int32_t)(pl->count / ((size_t)in->dims[0] * in->dims[1]));
    return SPX_RT_OK;
  }
  case SPX_RT_OP_COPY:
    if (spx_rt_tensor_elems(l->out) != pl->count)
      FAIL(SPX_RT_ERR_SHAPE, "copy output element count differs from the input's");
    return SPX_RT_OK;
  }
  FAIL(SPX_RT_ERR_ARG, "unknown layer op");
}

#undef FAIL

spx_rt_status_t spx_rt_layer_check(const spx_rt_layer_t *layer, spx_rt_error_t *err) {
  plan_t pl;
  return prepare(layer, &pl, err);
}

spx_rt_status_t spx_rt_layer_validate(const spx_rt_layer_t *layer, spx_rt_error_t *err) {
  plan_t pl;
  spx_rt_status_t st = prepare(layer, &pl, err);
  if (st == SPX_RT_OK && (layer->op == SPX_RT_OP_CONV2D || layer->op == SPX_RT_OP_DENSE))
    st = check_encoded(layer, &pl, 1, err);
  return st;
}

/* Output channels of an int8 conv2d/dense whose single multiplier must be
 * broadcast (0: none to broadcast). */
static uint32_t broadcast_channels(const spx_rt_layer_t *l, const plan_t *pl) {
  uint32_t channels;
  if (!pl->is_s8 || l->multiplier_count != 1) return 0;
  if (l->op == SPX_RT_OP_CONV2D) channels = (uint32_t)pl->u.conv.c_out;
  else if (l->op == SPX_RT_OP_DENSE) channels = (uint32_t)pl->u.dense.units;
  else return 0;
  return channels > 1 ? channels : 0;
}

static size_t broadcast_bytes(uint32_t channels) {
  return SPX_RT_ALIGN16((size_t)channels * 2 * sizeof(int32_t));
}

static size_t kernel_scratch_of(const spx_rt_layer_t *l, const plan_t *pl) {
  if ((l->op == SPX_RT_OP_CONV2D || l->op == SPX_RT_OP_DENSE) &&
      pl->fmt->datapath == SPX_FMT_DATAPATH_LP) {
    spx_fmt_dims_t d = weight_dims(l, pl);
    return spx_rt_lp_buffer_size(l->weights, l->weights_size, &d);
  }
  if (l->op == SPX_RT_OP_CONV2D)
    return spx_rt_conv2d_s8_fmt_get_buffer_size(pl->fmt, &pl->u.conv);
  if (l->op == SPX_RT_OP_DENSE)
    return spx_rt_dense_s8_fmt_get_buffer_size(pl->fmt, &pl->u.dense);
  return 0;
}

static size_t scratch_of(const spx_rt_layer_t *l, const plan_t *pl) {
  if (!pl->is_s8) return 0;
  return broadcast_bytes(broadcast_channels(l, pl)) + kernel_scratch_of(l, pl);
}

size_t spx_rt_layer_scratch_size(const spx_rt_layer_t *layer) {
  plan_t pl;
  if (prepare(layer, &pl, NULL) != SPX_RT_OK) return 0;
  return scratch_of(layer, &pl);
}

/* int8 conv2d/dense output stage. One multiplier for every channel
 * (multiplier_count 1) is broadcast into the head of the scratch area, which
 * *scratch and *scratch_size then move past. */
static void requant_pc(const spx_rt_layer_t *l, const plan_t *pl,
                       spx_rt_requant_pc_t *q, void **scratch, size_t *scratch_size) {
  spx_rt_layer_requant_pc(l, broadcast_channels(l, pl), pl->inq[0], pl->outq, pl->act, q,
                          scratch, scratch_size);
}

/* ---- prepared weights (spx_device.h) -------------------------------------- */

/* The packing of encoded weights that the fast kernels run from their own
 * bytes (CBR: the row sums), 0 when the format or layer takes none. */
static size_t fmt_packed_size(const spx_rt_layer_t *l, const plan_t *pl) {
  return l->op == SPX_RT_OP_CONV2D ? spx_rt_conv2d_s8_fmt_packed_size(pl->fmt, &pl->u.conv)
                                   : spx_rt_dense_s8_fmt_packed_size(pl->fmt, &pl->u.dense);
}

/* The prepared int8 conv2d/dense of a layer: the int8 datapath, weights
 * that have dims (weights_size known, or the plain array), and either
 * dense int8 (the array, or decoded) or a packing of their own. */
static int preparable(const spx_rt_layer_t *l, const plan_t *pl) {
  return (l->op == SPX_RT_OP_CONV2D || l->op == SPX_RT_OP_DENSE) && pl->is_s8 &&
         pl->fmt->datapath == SPX_FMT_DATAPATH_INT8 &&
         (pl->fmt->plain_s8 || (l->weights_size && (pl->fmt->decode_s8 ||
                                                    fmt_packed_size(l, pl))));
}

/* Prepared weights that stay in their format: no dense int8 of them. */
static int keeps_format(const spx_rt_layer_t *l, const plan_t *pl) {
  return !pl->fmt->plain_s8 && !pl->fmt->decode_s8 && fmt_packed_size(l, pl);
}

/* Scratch of a run on prepared weights: the dense int8 path, or the
 * format's own kernel on its packing. */
static size_t dense_path_scratch(const spx_rt_layer_t *l, const plan_t *pl,
                                 const spx_rt_prepared_weights_t *pw) {
  const int res = pw->residual != NULL;
  if (!pw->s8) return scratch_of(l, pl); /* its format's kernel */
  return broadcast_bytes(broadcast_channels(l, pl)) +
         (l->op == SPX_RT_OP_CONV2D ? spx_rt_conv2d_s8_packed_get_buffer_size(&pl->u.conv, res)
                                    : spx_rt_dense_s8_packed_get_buffer_size(&pl->u.dense));
}

/* pw if it was made for this layer's weights and dims, else NULL. */
static const spx_rt_prepared_weights_t *prepared_for(const spx_rt_layer_t *l, const plan_t *pl,
                                                     const spx_rt_prepared_weights_t *pw) {
  spx_fmt_dims_t d;
  if (!pw || !(pw->s8 || pw->packed) || !preparable(l, pl) || pw->source != l->weights)
    return NULL;
  d = weight_dims(l, pl);
  if (pw->rows != d.rows || pw->cols != d.cols || pw->kh != d.kh || pw->kw != d.kw ||
      pw->groups != d.groups)
    return NULL;
  return pw;
}

/* Bytes of the decoded weights (0: the layer's own are the array), and of
 * the packing. */
static void prepared_parts(const spx_rt_layer_t *l, const plan_t *pl, size_t *dec,
                           size_t *packed) {
  spx_fmt_dims_t d = weight_dims(l, pl);
  if (keeps_format(l, pl)) {
    *dec = 0;
    *packed = fmt_packed_size(l, pl);
    return;
  }
  *dec = pl->fmt->plain_s8 ? 0 : spx_fmt_dims_count(&d);
  *packed = l->op == SPX_RT_OP_CONV2D ? spx_rt_conv2d_s8_packed_size(&pl->u.conv)
                                      : spx_rt_dense_s8_packed_size(&pl->u.dense);
}

size_t spx_rt_layer_prepared_size(const spx_rt_layer_t *layer) {
  plan_t pl;
  size_t dec, packed;
  if (prepare(layer, &pl, NULL) != SPX_RT_OK || !preparable(layer, &pl)) return 0;
  prepared_parts(layer, &pl, &dec, &packed);
  if (!dec && !packed) return 0;
  return SPX_RT_ALIGN16(dec) + SPX_RT_ALIGN16(packed);
}

spx_rt_status_t spx_rt_layer_prepare(const spx_rt_layer_t *layer, void *mem, size_t size,
                                     void (*excess)(void *ctx, size_t index, int32_t excess),
                                     void *ctx, spx_rt_prepared_weights_t *out,
                                     spx_rt_error_t *err) {
  plan_t pl;
  spx_fmt_dims_t d;
  spx_fmt_weights_t w;
  size_t dec, packed;
  uint8_t *m = (uint8_t *)mem;
  spx_rt_status_t st = prepare(layer, &pl, err);
  if (out) memset(out, 0, sizeof *out);
  if (st != SPX_RT_OK) return st;
  if (!out || !preparable(layer, &pl) || !mem || ((uintptr_t)mem & 15u))
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no weights to prepare, or no memory");
  prepared_parts(layer, &pl, &dec, &packed);
  if (size < SPX_RT_ALIGN16(dec) + SPX_RT_ALIGN16(packed))
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "memory for the prepared weights too small");
  d = weight_dims(layer, &pl);
  out->source = layer->weights;
  out->rows = d.rows;
  out->cols = d.cols;
  out->kh = d.kh;
  out->kw = d.kw;
  out->groups = d.groups;
  if (dec) {
    st = pl.fmt->open(layer->weights, layer->weights_size, &d, &w, err);
    if (st == SPX_RT_OK) st = pl.fmt->decode_s8(&w, (int8_t *)m, dec, excess, ctx, err);
    if (st != SPX_RT_OK) {
      memset(out, 0, sizeof *out);
      return st;
    }
    out->s8 = (const int8_t *)m;
  } else {
    out->s8 = (const int8_t *)layer->weights;
  }
  if (packed) {
    uint8_t *pk = m + SPX_RT_ALIGN16(dec);
    if (keeps_format(layer, &pl)) { /* its own kernel, on its packing */
      out->s8 = NULL;
      st = layer->op == SPX_RT_OP_CONV2D
               ? spx_rt_conv2d_s8_fmt_pack(pl.fmt, &pl.u.conv, layer->weights,
                                           layer->weights_size, pk, packed)
               : spx_rt_dense_s8_fmt_pack(pl.fmt, &pl.u.dense, layer->weights,
                                          layer->weights_size, pk, packed);
    } else {
      st = layer->op == SPX_RT_OP_CONV2D
               ? spx_rt_conv2d_s8_pack(&pl.u.conv, out->s8, pk, packed)
               : spx_rt_dense_s8_pack(&pl.u.dense, out->s8, pk, packed);
    }
    if (st != SPX_RT_OK) {
      memset(out, 0, sizeof *out);
      return spx_rt_error_set(err, st, "cannot pack the %s weights",
                              layer->op == SPX_RT_OP_CONV2D ? "conv2d" : "dense");
    }
    out->packed = pk;
    out->packed_size = packed;
  }
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

size_t spx_rt_layer_scratch_size_prepared(const spx_rt_layer_t *layer,
                                          const spx_rt_prepared_weights_t *prepared) {
  plan_t pl;
  size_t a, b;
  if (prepare(layer, &pl, NULL) != SPX_RT_OK) return 0;
  a = scratch_of(layer, &pl);
  if (!prepared_for(layer, &pl, prepared)) return a;
  b = dense_path_scratch(layer, &pl, prepared);
  return a > b ? a : b;
}

spx_rt_status_t spx_rt_layer_run(const spx_rt_layer_t *layer, uint8_t *workspace,
                                 void *scratch, size_t scratch_size) {
  return spx_rt_layer_run_prepared(layer, NULL, workspace, scratch, scratch_size);
}

spx_rt_status_t spx_rt_layer_run_prepared(const spx_rt_layer_t *layer,
                                          const spx_rt_prepared_weights_t *prepared,
                                          uint8_t *workspace, void *scratch,
                                          size_t scratch_size) {
  plan_t pl;
  const spx_rt_layer_t *l = layer;
  spx_rt_status_t st = prepare(layer, &pl, NULL);
  const spx_rt_prepared_weights_t *pw;
  void *in[MAX_IN];
  void *out;
  unsigned k;
  size_t need;
  if (st != SPX_RT_OK) return st;
  if (!workspace || ((uintptr_t)workspace & 3u)) return SPX_RT_ERR_ARG;
  pw = prepared_for(l, &pl, prepared);
  need = pw ? dense_path_scratch(l, &pl, pw) : 0;
  if (pw && (!scratch || scratch_size < need || ((uintptr_t)scratch & 3u)))
    pw = NULL; /* the dense path's scratch does not fit: per call */
  if (!pw) need = scratch_of(l, &pl);
  if (need && (!scratch || scratch_size < need || ((uintptr_t)scratch & 3u)))
    return SPX_RT_ERR_BUFFER;
  for (k = 0; k < l->n_in; ++k) in[k] = workspace + l->in[k]->offset;
  out = workspace + l->out->offset;

  switch (l->op) {
  case SPX_RT_OP_CONV2D:
    if (pl.is_s8) {
      spx_rt_requant_pc_t q;
      requant_pc(l, &pl, &q, &scratch, &scratch_size);
      if (pw && !pw->s8)
        return spx_rt_conv2d_s8_fmt_packed(pl.fmt, &pl.u.conv, &q, (const int8_t *)in[0],
                                           l->weights, l->weights_size, pw->packed,
                                           (const int32_t *)l->bias, (int8_t *)out, scratch,
                                           scratch_size);
      if (pw)
        return spx_rt_conv2d_s8_packed(
            &pl.u.conv, &q, (const int8_t *)in[0], pw->s8,
            pw->packed_size == spx_rt_conv2d_s8_packed_size(&pl.u.conv) ? pw->packed : NULL,
            pw->residual, (const int32_t *)l->bias, (int8_t *)out, scratch, scratch_size);
      if (pl.fmt->datapath == SPX_FMT_DATAPATH_LP)
        return spx_rt_conv2d_lp(&pl.u.conv, &q, (const int8_t *)in[0], l->weights,
                                l->weights_size, (int8_t *)out, scratch, scratch_size);
      return spx_rt_conv2d_s8_fmt(pl.fmt, &pl.u.conv, &q, (const int8_t *)in[0],
                                  l->weights, l->weights_size,
                                  (const int32_t *)l->bias, (int8_t *)out, scratch,
                                  scratch_size);
    }
    st = spx_rt_conv2d_f32(&pl.u.conv, (const float *)in[0],
                           (const float *)l->weights, (const float *)l->bias,
                           (float *)out);
    break;
  case SPX_RT_OP_DENSE:
    if (pl.is_s8) {
      spx_rt_requant_pc_t q;
      requant_pc(l, &pl, &q, &scratch, &scratch_size);
      if (pw && !pw->s8)
        return spx_rt_dense_s8_fmt_packed(pl.fmt, &pl.u.dense, &q, (const int8_t *)in[0],
                                          l->weights, l->weights_size, pw->packed,
                                          (const int32_t *)l->bias, (int8_t *)out, scratch,
                                          scratch_size);
      if (pw)
        return spx_rt_dense_s8_packed(
            &pl.u.dense, &q, (const int8_t *)in[0], pw->s8,
            pw->packed_size == spx_rt_dense_s8_packed_size(&pl.u.dense) ? pw->packed : NULL,
            pw->residual, (const int32_t *)l->bias, (int8_t *)out, scratch, scratch_size);
      if (pl.fmt->datapath == SPX_FMT_DATAPATH_LP)
        return spx_rt_dense_lp(&pl.u.dense, &q, (const int8_t *)in[0], l->weights,
                               l->weights_size, (int8_t *)out, scratch, scratch_size);
      return spx_rt_dense_s8_fmt(pl.fmt, &pl.u.dense, &q, (const int8_t *)in[0],
                                 l->weights, l->weights_size,
                                 (const int32_t *)l->bias, (int8_t *)out, scratch,
                                 scratch_size);
    }
    st = spx_rt_dense_f32(&pl.u.dense, (const float *)in[0],
                          (const float *)l->weights, (const float *)l->bias,
                          (float *)out);
    break;
  case SPX_RT_OP_RELU:
  case SPX_RT_OP_RELU6: {
    int relu6 = l->op == SPX_RT_OP_RELU6;
    if (pl.is_s8) {
      spx_rt_requant_t rq;
      spx_rt_requant_init(&rq, pl.inq[0], pl.outq,
                          relu6 ? SPX_RT_ACT_RELU6 : SPX_RT_ACT_RELU);
      if (spx_k_fast_requant_s8(pl.count, &rq, (const int8_t *)in[0], (int8_t *)out))
        return SPX_RT_OK;
      return relu6 ? spx_rt_relu6_s8(pl.count, &rq, (const int8_t *)in[0], (int8_t *)out)
                   : spx_rt_relu_s8(pl.count, &rq, (const int8_t *)in[0], (int8_t *)out);
    }
    return relu6 ? spx_rt_relu6_f32(pl.count, (const float *)in[0], (float *)out)
                 : spx_rt_relu_f32(pl.count, (const float *)in[0], (float *)out);
  }
  case SPX_RT_OP_SIGMOID:
    if (pl.is_s8) {
      spx_rt_sigmoid_s8_params_t p;
      spx_rt_sigmoid_s8_init(&p, pl.inq[0]);
      return spx_rt_sigmoid_s8(pl.count, &p, (const int8_t *)in[0], (int8_t *)out);
    }
    return spx_rt_sigmoid_f32(pl.count, (const float *)in[0], (float *)out);
  case SPX_RT_OP_SIGN:
    return pl.is_s8 ? spx_rt_sign_s8(pl.count, pl.inq[0].zero_point, (const int8_t *)in[0],
                                     (int8_t *)out)
                    : spx_rt_sign_f32(pl.count, (const float *)in[0], (float *)out);
  case SPX_RT_OP_MAXPOOL:
    return pl.is_s8 ? spx_rt_maxpool_s8(&pl.u.pool, (const int8_t *)in[0], (int8_t *)out)
                    : spx_rt_maxpool_f32(&pl.u.pool, (const float *)in[0], (float *)out);
  case SPX_RT_OP_AVGPOOL:
    return pl.is_s8 ? spx_rt_avgpool_s8(&pl.u.pool, (const int8_t *)in[0], (int8_t *)out)
                    : spx_rt_avgpool_f32(&pl.u.pool, (const float *)in[0], (float *)out);
  case SPX_RT_OP_GLOBAL_AVGPOOL:
    if (pl.is_s8) {
      spx_rt_requant_t rq;
      spx_rt_global_avgpool_s8_init(&rq, pl.u.gap.hw, pl.inq[0], pl.outq);
      return spx_rt_global_avgpool_s8(pl.u.gap.n, pl.u.gap.c, pl.u.gap.hw, &rq,
                                      (const int8_t *)in[0], (int8_t *)out);
    }
    return spx_rt_global_avgpool_f32(pl.u.gap.n, pl.u.gap.c, pl.u.gap.hw,
                                     (const float *)in[0], (float *)out);
  case SPX_RT_OP_ADD:
    if (pl.is_s8) {
      spx_rt_add_s8_params_t p;
      spx_rt_layer_add_s8_params(l, pl.inq[0], pl.inq[1], pl.outq, pl.act, &p);
      if (spx_k_fast_add_s8(pl.count, &p, (const int8_t *)in[0], (const int8_t *)in[1],
                            (int8_t *)out))
        return SPX_RT_OK;
      return spx_rt_add_s8(pl.count, &p, (const int8_t *)in[0],
                           (const int8_t *)in[1], (int8_t *)out);
    }
    st = spx_rt_add_f32(pl.count, (const float *)in[0], (const float *)in[1],
                        pl.act, (float *)out);
    break;
  case SPX_RT_OP_CONCAT:
    if (pl.is_s8) {
      spx_rt_requant_t rq[MAX_IN];
      const int8_t *ins[MAX_IN];
      for (k = 0; k < l->n_in; ++k) {
        ins[k] = (const int8_t *)in[k];
        spx_rt_requant_init(&rq[k], pl.inq[k], pl.outq, SPX_RT_ACT_NONE);
      }
      return spx_rt_concat_s8(&pl.u.concat.p, pl.u.concat.requant ? rq : NULL,
                              ins, (int8_t *)out);
    } else {
      const float *ins[MAX_IN];
      for (k = 0; k < l->n_in; ++k) ins[k] = (const float *)in[k];
      return spx_rt_concat_f32(&pl.u.concat.p, ins, (float *)out);
    }
  case SPX_RT_OP_COPY:
    return spx_rt_reshape(pl.count * dtype_size(l->in[0]->dtype), in[0], out);
  case SPX_RT_OP_SOFTMAX:
    if (pl.is_s8) {
      spx_rt_softmax_s8_params_t p;
      spx_rt_softmax_s8_init(&p, pl.inq[0], 1.0);
      return spx_rt_softmax_s8(pl.u.softmax.outer, pl.u.softmax.depth, &p,
                               (const int8_t *)in[0], (int8_t *)out);
    }
    return spx_rt_softmax_f32(pl.u.softmax.outer, pl.u.softmax.depth,
                              (const float *)in[0], (float *)out);
  case SPX_RT_OP_QUANTIZE:
    return spx_rt_quantize_f32_s8(pl.count, pl.outq, (const float *)in[0],
                                  (int8_t *)out);
  case SPX_RT_OP_DEQUANTIZE:
    return spx_rt_dequantize_s8_f32(pl.count, pl.inq[0], (const int8_t *)in[0],
                                    (float *)out);
  case SPX_RT_OP_BATCHNORM:
    return spx_rt_channel_affine_f32(pl.u.affine.n, pl.u.affine.c, pl.u.affine.inner,
                                     (const float *)l->weights, (const float *)l->bias,
                                     (const float *)in[0], (float *)out);
  default:
    return SPX_RT_ERR_ARG;
  }
  /* f32 conv2d, dense, add: a fused sigmoid runs on the output. */
  if (st == SPX_RT_OK && pl.post_sigmoid)
    st = spx_rt_sigmoid_f32(spx_rt_tensor_elems(l->out), (float *)out, (float *)out);
  return st;
}
