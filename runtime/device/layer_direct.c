/* layer_direct.c - spx_direct.h: one entry point per layer kind, for
 * generated C. Each builds the kernel parameters from the layer exactly as
 * spx_rt_layer_run's prepare() does (layer_run.c) and calls the same kernel,
 * without the checks (spxc made them when it wrote the C), so a program
 * links only the kernels its layers call. The int8 conv2d/dense go to the
 * driver of kernels_fixed.h (instruction-set path fixed at compile time).
 *
 * C99; no allocation. */
#include "runtime/kernels/kernels_fixed.h" /* first: it renames the driver */

#include <string.h>

#include "runtime/device/layer_params.h"
#include "runtime/device/spx_direct.h"
#include "runtime/formats/spx_formats.h"

#define MAX_IN 4
#define IN(k, T) ((T *)(void *)(ws + l->in[k]->offset))
#define OUT(T) ((T *)(void *)(ws + l->out->offset))
#define UNUSED_SCRATCH() ((void)scratch, (void)scratch_size)

static spx_rt_quant_t quant_of(const spx_rt_tensor_t *t) {
  spx_rt_quant_t q;
  q.scale = t->scale;
  q.zero_point = t->zero_point;
  return q;
}

/* The kernel's fused activation (a fused sigmoid, f32 only, runs after the
 * kernel: post_sigmoid). */
static spx_rt_act_t act_of(const spx_rt_layer_t *l) {
  switch (l->act) {
  case 1: return SPX_RT_ACT_RELU;
  case 2: return SPX_RT_ACT_RELU6;
  case 4: return SPX_RT_ACT_SIGN;
  default: return SPX_RT_ACT_NONE;
  }
}

static spx_rt_status_t post_sigmoid(const spx_rt_layer_t *l, uint8_t *ws, spx_rt_status_t st) {
  if (st == SPX_RT_OK && l->act == 3)
    st = spx_rt_sigmoid_f32(spx_rt_tensor_elems(l->out), OUT(float), OUT(float));
  return st;
}

static void conv_params(const spx_rt_layer_t *l, spx_rt_conv2d_params_t *p) {
  spx_rt_layer_conv_params(l, act_of(l), p);
}

static void dense_params(const spx_rt_layer_t *l, spx_rt_dense_params_t *p) {
  spx_rt_layer_dense_params(l, act_of(l), p);
}

/* The int8 output stage (layer_params.h). */
static void requant_pc(const spx_rt_layer_t *l, uint32_t channels, spx_rt_requant_pc_t *q,
                       void **scratch, size_t *scratch_size) {
  spx_rt_layer_requant_pc(l, channels, quant_of(l->in[0]), quant_of(l->out), act_of(l), q,
                          scratch, scratch_size);
}

/* ---- conv2d, dense ------------------------------------------------------ */

spx_rt_status_t spx_rt_direct_conv2d_s8(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS) {
  spx_rt_conv2d_params_t p;
  spx_rt_requant_pc_t q;
  conv_params(l, &p);
  requant_pc(l, (uint32_t)p.c_out, &q, &scratch, &scratch_size);
  return spx_rt_conv2d_s8_fmt(fmt, &p, &q, IN(0, const int8_t), l->weights, l->weights_size,
                              (const int32_t *)l->bias, OUT(int8_t), scratch, scratch_size);
}

spx_rt_status_t spx_rt_direct_dense_s8(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS) {
  spx_rt_dense_params_t p;
  spx_rt_requant_pc_t q;
  dense_params(l, &p);
  requant_pc(l, (uint32_t)p.units, &q, &scratch, &scratch_size);
  return spx_rt_dense_s8_fmt(fmt, &p, &q, IN(0, const int8_t), l->weights, l->weights_size,
                             (const int32_t *)l->bias, OUT(int8_t), scratch, scratch_size);
}

/* The register-blocked kernels straight away (the driver's fast paths, with
 * the driver's open: the same call, the same bits), for the layers
 * spx_rt_direct_s8_kernel names. */
static int open_weights(const spx_fmt_desc_t *fmt, const spx_rt_layer_t *l, uint32_t rows,
                        uint32_t cols, uint32_t kh, uint32_t kw, uint32_t groups,
                        spx_fmt_weights_t *w) {
  spx_fmt_dims_t d;
  d.rows = rows;
  d.cols = cols;
  d.kh = (uint16_t)kh;
  d.kw = (uint16_t)kw;
  d.groups = groups;
  return fmt->open(l->weights, l->weights_size, &d, w, NULL) == SPX_RT_OK;
}

/* kernel: spx_k_fast_conv or spx_k_fast_dw, named by the entry point that
 * calls this, so that a program without depthwise layers does not link the
 * depthwise kernel (and the other way round). */
typedef spx_rt_status_t (*fast_conv_fn)(const spx_fmt_weights_t *,
                                        const spx_rt_conv2d_params_t *,
                                        const spx_rt_requant_pc_t *, int32_t, int32_t,
                                        const int8_t *, const int32_t *, int8_t *, void *);

static spx_rt_status_t conv_fast(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS,
                                 fast_conv_fn kernel) {
  spx_rt_conv2d_params_t p;
  spx_rt_requant_pc_t q;
  spx_fmt_weights_t w;
  conv_params(l, &p);
  requant_pc(l, (uint32_t)p.c_out, &q, &scratch, &scratch_size);
  if (!open_weights(fmt, l, (uint32_t)p.c_out, (uint32_t)(p.c_in / p.groups), (uint32_t)p.kh,
                    (uint32_t)p.kw, (uint32_t)p.groups, &w))
    return SPX_RT_ERR_ARG;
  return kernel(
      &w, &p, &q, (int32_t)l->out->dims[2], (int32_t)l->out->dims[3], IN(0, const int8_t),
      (const int32_t *)l->bias, OUT(int8_t), scratch);
}

spx_rt_status_t spx_rt_direct_conv2d_s8_fast(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS) {
  return conv_fast(fmt, l, ws, scratch, scratch_size, spx_k_fast_conv);
}

spx_rt_status_t spx_rt_direct_conv2d_s8_fast_dw(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS) {
  return conv_fast(fmt, l, ws, scratch, scratch_size, spx_k_fast_dw);
}

spx_rt_status_t spx_rt_direct_dense_s8_fast(const spx_fmt_desc_t *fmt, SPX_RT_DIRECT_ARGS) {
  spx_rt_dense_params_t p;
  spx_rt_requant_pc_t q;
  spx_fmt_weights_t w;
  dense_params(l, &p);
  requant_pc(l, (uint32_t)p.units, &q, &scratch, &scratch_size);
  if (!open_weights(fmt, l, (uint32_t)p.units, (uint32_t)p.features, 1, 1, 1, &w))
    return SPX_RT_ERR_ARG;
  return spx_k_fast_dense(&w, &p, &q, IN(0, const int8_t), (const int32_t *)l->bias,
                          OUT(int8_t), scratch, NULL, NULL);
}

spx_rt_direct_kernel_t spx_rt_direct_s8_kernel(const spx_fmt_desc_t *fmt, const spx_rt_layer_t *l) {
  if (l->op == SPX_RT_OP_DENSE) {
    spx_rt_dense_params_t p;
    dense_params(l, &p);
    return spx_k_fast_dense_size(fmt, &p) ? SPX_RT_DIRECT_FAST : SPX_RT_DIRECT_DRIVER;
  } else {
    spx_rt_conv2d_params_t p;
    int32_t oh = (int32_t)l->out->dims[2], ow = (int32_t)l->out->dims[3];
    conv_params(l, &p);
    if (spx_k_fast_conv_size(fmt, &p, oh, ow)) return SPX_RT_DIRECT_FAST;
    if (spx_k_fast_dw_size(fmt, &p, oh, ow)) return SPX_RT_DIRECT_FAST_DW;
    return SPX_RT_DIRECT_DRIVER;
  }
}

spx_rt_status_t spx_rt_direct_conv2d_lp(SPX_RT_DIRECT_ARGS) {
  spx_rt_conv2d_params_t p;
  spx_rt_requant_pc_t q;
  conv_params(l, &p);
  requant_pc(l, (uint32_t)p.c_out, &q, &scratch, &scratch_size);
  return spx_rt_conv2d_lp(&p, &q, IN(0, const int8_t), l->weights, l->weights_size,
                          OUT(int8_t), scratch, scratch_size);
}

spx_rt_status_t spx_rt_direct_dense_lp(SPX_RT_DIRECT_ARGS) {
  spx_rt_dense_params_t p;
  spx_rt_requant_pc_t q;
  dense_params(l, &p);
  requant_pc(l, (uint32_t)p.units, &q, &scratch, &scratch_size);
  return spx_rt_dense_lp(&p, &q, IN(0, const int8_t), l->weights, l->weights_size,
                         OUT(int8_t), scratch, scratch_size);
}

spx_rt_status_t spx_rt_direct_conv2d_f32(SPX_RT_DIRECT_ARGS) {
  spx_rt_conv2d_params_t p;
  UNUSED_SCRATCH();
  conv_params(l, &p);
  return post_sigmoid(l, ws,
                      spx_rt_conv2d_f32(&p, IN(0, const float), (const float *)l->weights,
                                        (const float *)l->bias, OUT(float)));
}

spx_rt_status_t spx_rt_direct_dense_f32(SPX_RT_DIRECT_ARGS) {
  spx_rt_dense_params_t p;
  UNUSED_SCRATCH();
  dense_params(l, &p);
  return post_sigmoid(l, ws,
                      spx_rt_dense_f32(&p, IN(0, const float), (const float *)l->weights,
                                       (const float *)l->bias, OUT(float)));
}

/* ---- elementwise -------------------------------------------------------- */

static spx_rt_status_t relu_s8(const spx_rt_layer_t *l, uint8_t *ws, spx_rt_act_t act) {
  spx_rt_requant_t rq;
  spx_rt_requant_init(&rq, quant_of(l->in[0]), quant_of(l->out), act);
  if (spx_k_fast_requant_s8(spx_rt_tensor_elems(l->in[0]), &rq, IN(0, const int8_t), OUT(int8_t)))
    return SPX_RT_OK;
  return act == SPX_RT_ACT_RELU6
             ? spx_rt_relu6_s8(spx_rt_tensor_elems(l->in[0]), &rq, IN(0, const int8_t), OUT(int8_t))
             : spx_rt_relu_s8(spx_rt_tensor_elems(l->in[0]), &rq, IN(0, const int8_t), OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_relu_s8(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return relu_s8(l, ws, SPX_RT_ACT_RELU);
}

spx_rt_status_t spx_rt_direct_relu6_s8(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return relu_s8(l, ws, SPX_RT_ACT_RELU6);
}

spx_rt_status_t spx_rt_direct_relu_f32(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_relu_f32(spx_rt_tensor_elems(l->in[0]), IN(0, const float), OUT(float));
}

spx_rt_status_t spx_rt_direct_relu6_f32(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_relu6_f32(spx_rt_tensor_elems(l->in[0]), IN(0, const float), OUT(float));
}

spx_rt_status_t spx_rt_direct_sigmoid_s8(SPX_RT_DIRECT_ARGS) {
  spx_rt_sigmoid_s8_params_t p;
  UNUSED_SCRATCH();
  spx_rt_sigmoid_s8_init(&p, quant_of(l->in[0]));
  return spx_rt_sigmoid_s8(spx_rt_tensor_elems(l->in[0]), &p, IN(0, const int8_t), OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_sigmoid_f32(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_sigmoid_f32(spx_rt_tensor_elems(l->in[0]), IN(0, const float), OUT(float));
}

spx_rt_status_t spx_rt_direct_sign_s8(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_sign_s8(spx_rt_tensor_elems(l->in[0]), l->in[0]->zero_point, IN(0, const int8_t),
                        OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_sign_f32(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_sign_f32(spx_rt_tensor_elems(l->in[0]), IN(0, const float), OUT(float));
}

/* ---- pooling ------------------------------------------------------------ */

/* A pool kernel on the layer's window and its one input. */
#define DIRECT_POOL(KIND, T, ET)                                              \
  spx_rt_status_t spx_rt_direct_##KIND##_##T(SPX_RT_DIRECT_ARGS) {            \
    spx_rt_pool_params_t p;                                                   \
    UNUSED_SCRATCH();                                                         \
    spx_rt_layer_pool_params(l, &p);                                          \
    return spx_rt_##KIND##_##T(&p, IN(0, const ET), OUT(ET));                 \
  }
DIRECT_POOL(maxpool, s8, int8_t)
DIRECT_POOL(maxpool, f32, float)
DIRECT_POOL(avgpool, s8, int8_t)
DIRECT_POOL(avgpool, f32, float)
#undef DIRECT_POOL

spx_rt_status_t spx_rt_direct_global_avgpool_s8(SPX_RT_DIRECT_ARGS) {
  const spx_rt_tensor_t *in = l->in[0];
  const int32_t hw = (int32_t)(in->dims[2] * in->dims[3]);
  spx_rt_requant_t rq;
  UNUSED_SCRATCH();
  spx_rt_global_avgpool_s8_init(&rq, hw, quant_of(in), quant_of(l->out));
  return spx_rt_global_avgpool_s8((int32_t)in->dims[0], (int32_t)in->dims[1], hw, &rq,
                                  IN(0, const int8_t), OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_global_avgpool_f32(SPX_RT_DIRECT_ARGS) {
  const spx_rt_tensor_t *in = l->in[0];
  UNUSED_SCRATCH();
  return spx_rt_global_avgpool_f32((int32_t)in->dims[0], (int32_t)in->dims[1],
                                   (int32_t)(in->dims[2] * in->dims[3]), IN(0, const float),
                                   OUT(float));
}

/* ---- add, concat -------------------------------------------------------- */

spx_rt_status_t spx_rt_direct_add_s8(SPX_RT_DIRECT_ARGS) {
  spx_rt_add_s8_params_t p;
  UNUSED_SCRATCH();
  spx_rt_layer_add_s8_params(l, quant_of(l->in[0]), quant_of(l->in[1]), quant_of(l->out),
                             act_of(l), &p);
  if (spx_k_fast_add_s8(spx_rt_tensor_elems(l->in[0]), &p, IN(0, const int8_t),
                        IN(1, const int8_t), OUT(int8_t)))
    return SPX_RT_OK;
  return spx_rt_add_s8(spx_rt_tensor_elems(l->in[0]), &p, IN(0, const int8_t), IN(1, const int8_t),
                       OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_add_f32(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return post_sigmoid(l, ws,
                      spx_rt_add_f32(spx_rt_tensor_elems(l->in[0]), IN(0, const float),
                                     IN(1, const float), act_of(l), OUT(float)));
}

static void concat_params(const spx_rt_layer_t *l, spx_rt_concat_params_t *p,
                          int32_t axis_dims[MAX_IN]) {
  const spx_rt_tensor_t *out = l->out;
  int axis = l->axis < 0 ? l->axis + (int)out->rank : l->axis;
  unsigned k, d;
  memset(p, 0, sizeof *p);
  p->rank = out->rank;
  for (d = 0; d < out->rank; ++d) p->dims[d] = (int32_t)out->dims[d];
  p->axis = axis;
  p->count = l->n_in;
  for (k = 0; k < l->n_in; ++k) axis_dims[k] = (int32_t)l->in[k]->dims[axis];
  p->axis_dims = axis_dims;
}

spx_rt_status_t spx_rt_direct_concat_s8(SPX_RT_DIRECT_ARGS) {
  spx_rt_concat_params_t p;
  int32_t axis_dims[MAX_IN];
  spx_rt_requant_t rq[MAX_IN];
  const int8_t *ins[MAX_IN];
  int requant = 0;
  unsigned k;
  UNUSED_SCRATCH();
  concat_params(l, &p, axis_dims);
  for (k = 0; k < l->n_in; ++k) {
    ins[k] = IN(k, const int8_t);
    spx_rt_requant_init(&rq[k], quant_of(l->in[k]), quant_of(l->out), SPX_RT_ACT_NONE);
    if (l->in[k]->scale != l->out->scale || l->in[k]->zero_point != l->out->zero_point)
      requant = 1;
  }
  return spx_rt_concat_s8(&p, requant ? rq : NULL, ins, OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_concat_f32(SPX_RT_DIRECT_ARGS) {
  spx_rt_concat_params_t p;
  int32_t axis_dims[MAX_IN];
  const float *ins[MAX_IN];
  unsigned k;
  UNUSED_SCRATCH();
  concat_params(l, &p, axis_dims);
  for (k = 0; k < l->n_in; ++k) ins[k] = IN(k, const float);
  return spx_rt_concat_f32(&p, ins, OUT(float));
}

/* ---- softmax, batchnorm, copy, quantize, dequantize --------------------- */

spx_rt_status_t spx_rt_direct_softmax_s8(SPX_RT_DIRECT_ARGS) {
  const int32_t depth = (int32_t)l->in[0]->dims[l->in[0]->rank - 1];
  spx_rt_softmax_s8_params_t p;
  UNUSED_SCRATCH();
  spx_rt_softmax_s8_init(&p, quant_of(l->in[0]), 1.0);
  return spx_rt_softmax_s8((int32_t)(spx_rt_tensor_elems(l->in[0]) / (size_t)depth), depth, &p,
                           IN(0, const int8_t), OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_softmax_f32(SPX_RT_DIRECT_ARGS) {
  const int32_t depth = (int32_t)l->in[0]->dims[l->in[0]->rank - 1];
  UNUSED_SCRATCH();
  return spx_rt_softmax_f32((int32_t)(spx_rt_tensor_elems(l->in[0]) / (size_t)depth), depth,
                            IN(0, const float), OUT(float));
}

spx_rt_status_t spx_rt_direct_batchnorm_f32(SPX_RT_DIRECT_ARGS) {
  const spx_rt_tensor_t *in = l->in[0];
  UNUSED_SCRATCH();
  return spx_rt_channel_affine_f32(
      (int32_t)in->dims[0], (int32_t)in->dims[1],
      (int32_t)(spx_rt_tensor_elems(in) / ((size_t)in->dims[0] * in->dims[1])),
      (const float *)l->weights, (const float *)l->bias, IN(0, const float), OUT(float));
}

spx_rt_status_t spx_rt_direct_copy(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_reshape(spx_rt_tensor_elems(l->in[0]) * (l->in[0]->dtype == SPX_RT_INT8 ? 1u : 4u),
                        IN(0, const void), OUT(void));
}

spx_rt_status_t spx_rt_direct_quantize(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_quantize_f32_s8(spx_rt_tensor_elems(l->in[0]), quant_of(l->out), IN(0, const float),
                                OUT(int8_t));
}

spx_rt_status_t spx_rt_direct_dequantize(SPX_RT_DIRECT_ARGS) {
  UNUSED_SCRATCH();
  return spx_rt_dequantize_s8_f32(spx_rt_tensor_elems(l->in[0]), quant_of(l->in[0]),
                                  IN(0, const int8_t), OUT(float));
}
