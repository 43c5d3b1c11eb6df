/* layer_params.h - a layer's kernel parameters from its spx_rt_layer_t, the
 * one place both the checked path (layer_run.c, which then checks them) and
 * generated C's direct calls (layer_direct.c, checked by spxc) read them.
 * Internal to runtime/device (not installed). */
#ifndef SPX_RT_LAYER_PARAMS_H
#define SPX_RT_LAYER_PARAMS_H

#include <string.h>

#include "runtime/device/spx_device.h"

/* Elements of t; 0 if its rank or a dimension is unusable. Every dimension
 * must be in [1, INT32_MAX] and the count below 2^31 (the kernels' int32). */
static inline size_t spx_rt_tensor_elems(const spx_rt_tensor_t *t) {
  size_t n = 1;
  unsigned d;
  if (t->rank > 6) return 0;
  for (d = 0; d < t->rank; ++d) {
    if (t->dims[d] == 0 || t->dims[d] > 0x7fffffffu) return 0;
    n *= t->dims[d];
    if (n > 0x7fffffffu) return 0;
  }
  return n;
}

/* The NCHW input's dims and the layer's window (kernel, stride, padding),
 * the fields conv2d and pool parameters share. */
static inline void spx_rt_layer_window(const spx_rt_layer_t *l, int32_t *n, int32_t *c,
                                       int32_t *h, int32_t *w, int32_t *kh, int32_t *kw,
                                       int32_t stride[2], int32_t pad[4]) {
  const spx_rt_tensor_t *in = l->in[0];
  unsigned k;
  *n = (int32_t)in->dims[0];
  *c = (int32_t)in->dims[1];
  *h = (int32_t)in->dims[2];
  *w = (int32_t)in->dims[3];
  *kh = l->kernel[0];
  *kw = l->kernel[1];
  for (k = 0; k < 2; ++k) stride[k] = l->stride[k];
  for (k = 0; k < 4; ++k) pad[k] = l->pad[k];
}

static inline void spx_rt_layer_conv_params(const spx_rt_layer_t *l, spx_rt_act_t act,
                                            spx_rt_conv2d_params_t *p) {
  memset(p, 0, sizeof *p);
  spx_rt_layer_window(l, &p->n, &p->c_in, &p->h, &p->w, &p->kh, &p->kw, p->stride, p->pad);
  p->c_out = (int32_t)l->out->dims[1];
  p->dilation[0] = l->dilation[0];
  p->dilation[1] = l->dilation[1];
  p->groups = l->groups;
  p->act = act;
}

static inline void spx_rt_layer_dense_params(const spx_rt_layer_t *l, spx_rt_act_t act,
                                             spx_rt_dense_params_t *p) {
  memset(p, 0, sizeof *p);
  p->n = (int32_t)l->in[0]->dims[0];
  p->features = (int32_t)l->in[0]->dims[1];
  p->units = (int32_t)l->out->dims[1];
  p->act = act;
}

static inline void spx_rt_layer_pool_params(const spx_rt_layer_t *l, spx_rt_pool_params_t *p) {
  memset(p, 0, sizeof *p);
  spx_rt_layer_window(l, &p->n, &p->c, &p->h, &p->w, &p->kh, &p->kw, p->stride, p->pad);
}

/* An int8 add's parameters: from the operands' quantization, then the
 * compiler's own multipliers (a, b, out) when the layer carries them. */
static inline void spx_rt_layer_add_s8_params(const spx_rt_layer_t *l, spx_rt_quant_t a,
                                              spx_rt_quant_t b, spx_rt_quant_t out,
                                              spx_rt_act_t act, spx_rt_add_s8_params_t *p) {
  spx_rt_add_s8_init(p, a, b, out, act);
  if (l->multiplier) {
    p->a_multiplier = l->multiplier[0];
    p->a_shift = l->shift[0];
    p->b_multiplier = l->multiplier[1];
    p->b_shift = l->shift[1];
    p->out_multiplier = l->multiplier[2];
    p->out_shift = l->shift[2];
  }
}

/* An int8 conv2d/dense output stage over `channels` output channels. One
 * multiplier for every channel (multiplier_count 1) is broadcast into the
 * head of the scratch area, which *scratch and *scratch_size then move past
 * (SPX_RT_ALIGN16 of the channels' multipliers and shifts). */
static inline void spx_rt_layer_requant_pc(const spx_rt_layer_t *l, uint32_t channels,
                                           spx_rt_quant_t in, spx_rt_quant_t out,
                                           spx_rt_act_t act, spx_rt_requant_pc_t *q,
                                           void **scratch, size_t *scratch_size) {
  uint32_t n = l->multiplier_count == 1 && channels > 1 ? channels : 0, c;
  q->in_zero_point = in.zero_point;
  q->out_zero_point = out.zero_point;
  q->multiplier = l->multiplier;
  q->shift = l->shift;
  if (n) {
    int32_t *mult = (int32_t *)*scratch, *shift = mult + n;
    size_t bytes = SPX_RT_ALIGN16((size_t)n * 2 * sizeof(int32_t));
    for (c = 0; c < n; ++c) {
      mult[c] = l->multiplier[0];
      shift[c] = l->shift[0];
    }
    q->multiplier = mult;
    q->shift = shift;
    *scratch = (uint8_t *)*scratch + bytes;
    *scratch_size -= bytes;
  }
  spx_rt_act_range_s8(act, out, &q->act_min, &q->act_max);
}

#endif /* SPX_RT_LAYER_PARAMS_H */
