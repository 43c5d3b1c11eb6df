/* spx_elementwise.c - relu, relu6, sigmoid, sign, add and requantize. */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

spx_rt_status_t spx_rt_relu_f32(size_t count, const float *input, float *output) {
  size_t i;
  if (!input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) output[i] = input[i] > 0.0f ? input[i] : 0.0f;
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_relu6_f32(size_t count, const float *input, float *output) {
  size_t i;
  if (!input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    float v = input[i] > 0.0f ? input[i] : 0.0f;
    output[i] = v < 6.0f ? v : 6.0f;
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_sigmoid_f32(size_t count, const float *input, float *output) {
  size_t i;
  if (!input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    float x = input[i];
    /* the two forms avoid overflow of expf for large |x| */
    if (x >= 0.0f) {
      output[i] = 1.0f / (1.0f + expf(-x));
    } else {
      float e = expf(x);
      output[i] = e / (1.0f + e);
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_sign_f32(size_t count, const float *input, float *output) {
  size_t i;
  if (!input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) output[i] = input[i] >= 0.0f ? 1.0f : -1.0f;
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_sign_s8(size_t count, int32_t in_zero_point, const int8_t *input,
                               int8_t *output) {
  size_t i;
  if (!input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) output[i] = (int8_t)((int32_t)input[i] >= in_zero_point ? 1 : -1);
  return SPX_RT_OK;
}

/* Elementwise int8 maps are functions of the input bytes: above a few
 * hundred elements their values are made once per byte (256 of them) and
 * each element is a lookup, the same bytes as computing each. A size build
 * (-Os: firmware, small stacks) computes each element. */
#define SPX_K_BYTE_TABLES (!SPX_K_SIZE_BUILD)

static int8_t requant_one(int32_t x, const spx_rt_requant_t *rq) {
  int32_t v = spx_k_mbqm(x - rq->in_zero_point, rq->multiplier, (int)rq->shift);
  return spx_k_clamp_s8(rq->out_zero_point + v, rq->act_min, rq->act_max);
}

spx_rt_status_t spx_rt_requantize_s8(size_t count, const spx_rt_requant_t *rq,
                                     const int8_t *input, int8_t *output) {
  size_t i;
  if (!rq || !input || !output) return SPX_RT_ERR_ARG;
  if (SPX_K_BYTE_TABLES && count > 1024) {
    int8_t t[256];
    int32_t x;
    for (x = -128; x < 128; ++x) t[(uint8_t)x] = requant_one(x, rq);
    for (i = 0; i < count; ++i) output[i] = t[(uint8_t)input[i]];
    return SPX_RT_OK;
  }
  for (i = 0; i < count; ++i) output[i] = requant_one(input[i], rq);
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_relu_s8(size_t count, const spx_rt_requant_t *rq,
                               const int8_t *input, int8_t *output) {
  return spx_rt_requantize_s8(count, rq, input, output);
}

spx_rt_status_t spx_rt_relu6_s8(size_t count, const spx_rt_requant_t *rq,
                                const int8_t *input, int8_t *output) {
  return spx_rt_requantize_s8(count, rq, input, output);
}

spx_rt_status_t spx_rt_sigmoid_s8(size_t count,
                                  const spx_rt_sigmoid_s8_params_t *p,
                                  const int8_t *input, int8_t *output) {
  size_t i;
  if (!p || !input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    int32_t x = (int32_t)input[i] - p->in_zero_point;
    if (x <= -p->input_range_radius) {
      output[i] = -128;
    } else if (x >= p->input_range_radius) {
      output[i] = 127;
    } else {
      int32_t x_q4 = spx_k_mbqm(x, p->input_multiplier, (int)p->input_left_shift);
      int32_t y_q0 = spx_k_logistic(x_q4, 4);
      int32_t y = spx_k_rdbypot(y_q0, 31 - 8) - 128;
      output[i] = spx_k_clamp_s8(y, -128, 127);
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_add_f32(size_t count, const float *a, const float *b,
                               spx_rt_act_t act, float *output) {
  size_t i;
  if (!a || !b || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) output[i] = spx_k_act_f32(a[i] + b[i], act);
  return SPX_RT_OK;
}

/* An operand of an int8 add scaled to the common scale, and the sum's
 * output byte. */
static int32_t add_side(int32_t x, int32_t zp, int32_t left_shift, int32_t mult,
                        int32_t shift) {
  return spx_k_mbqm((x - zp) * (1 << left_shift), mult, (int)shift);
}

static int8_t add_out(int32_t sum, const spx_rt_add_s8_params_t *p) {
  int32_t r = spx_k_mbqm(sum, p->out_multiplier, (int)p->out_shift);
  return spx_k_clamp_s8(p->out_zero_point + r, p->act_min, p->act_max);
}

spx_rt_status_t spx_rt_add_s8(size_t count, const spx_rt_add_s8_params_t *p,
                              const int8_t *a, const int8_t *b, int8_t *output) {
  size_t i;
  if (!p || !a || !b || !output) return SPX_RT_ERR_ARG;
  if (SPX_K_BYTE_TABLES && count > 1024) { /* each operand's scaling once per byte */
    int32_t ta[256], tb[256], x;
    for (x = -128; x < 128; ++x) {
      ta[(uint8_t)x] = add_side(x, p->a_zero_point, p->left_shift, p->a_multiplier, p->a_shift);
      tb[(uint8_t)x] = add_side(x, p->b_zero_point, p->left_shift, p->b_multiplier, p->b_shift);
    }
    for (i = 0; i < count; ++i)
      output[i] = add_out(ta[(uint8_t)a[i]] + tb[(uint8_t)b[i]], p);
    return SPX_RT_OK;
  }
  for (i = 0; i < count; ++i)
    output[i] = add_out(add_side(a[i], p->a_zero_point, p->left_shift, p->a_multiplier,
                                 p->a_shift) +
                            add_side(b[i], p->b_zero_point, p->left_shift, p->b_multiplier,
                                     p->b_shift),
                        p);
  return SPX_RT_OK;
}
