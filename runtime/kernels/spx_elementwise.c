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

spx_rt_status_t spx_rt_requantize_s8(size_t count, const spx_rt_requant_t *rq,
                                     const int8_t *input, int8_t *output) {
  size_t i;
  if (!rq || !input || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    int32_t v = spx_k_mbqm((int32_t)input[i] - rq->in_zero_point, rq->multiplier,
                           (int)rq->shift);
    output[i] = spx_k_clamp_s8(rq->out_zero_point + v, rq->act_min, rq->act_max);
  }
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

spx_rt_status_t spx_rt_add_s8(size_t count, const spx_rt_add_s8_params_t *p,
                              const int8_t *a, const int8_t *b, int8_t *output) {
  size_t i;
  if (!p || !a || !b || !output) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    int32_t av = ((int32_t)a[i] - p->a_zero_point) * (1 << p->left_shift);
    int32_t bv = ((int32_t)b[i] - p->b_zero_point) * (1 << p->left_shift);
    int32_t sa = spx_k_mbqm(av, p->a_multiplier, (int)p->a_shift);
    int32_t sb = spx_k_mbqm(bv, p->b_multiplier, (int)p->b_shift);
    int32_t r = spx_k_mbqm(sa + sb, p->out_multiplier, (int)p->out_shift);
    output[i] = spx_k_clamp_s8(p->out_zero_point + r, p->act_min, p->act_max);
  }
  return SPX_RT_OK;
}
