/* spx_softmax.c - softmax along the last axis: f32 reference and int8 in
 * gemmlowp fixed point (TFLite reference_ops::Softmax for int8 output). */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

spx_rt_status_t spx_rt_softmax_f32(int32_t outer, int32_t depth,
                                   const float *input, float *output) {
  int32_t i, c;
  if (!input || !output) return SPX_RT_ERR_ARG;
  if (outer <= 0 || depth <= 0) return SPX_RT_ERR_SHAPE;
  for (i = 0; i < outer; ++i) {
    const float *x = input + (size_t)i * (size_t)depth;
    float *y = output + (size_t)i * (size_t)depth;
    float m = x[0], s = 0.0f;
    for (c = 1; c < depth; ++c)
      if (x[c] > m) m = x[c];
    for (c = 0; c < depth; ++c) {
      y[c] = expf(x[c] - m);
      s += y[c];
    }
    for (c = 0; c < depth; ++c) y[c] /= s;
  }
  return SPX_RT_OK;
}

/* integer bits of the scaled input differences and of the sum of exps */
#define SCALED_DIFF_BITS 5
#define ACCUM_BITS 12

static int32_t scaled_diff(int32_t diff, const spx_rt_softmax_s8_params_t *p) {
  return spx_k_mbqm(diff, p->input_multiplier, (int)p->input_left_shift);
}

spx_rt_status_t spx_rt_softmax_s8(int32_t outer, int32_t depth,
                                  const spx_rt_softmax_s8_params_t *p,
                                  const int8_t *input, int8_t *output) {
  int32_t i, c;
  if (!p || !input || !output) return SPX_RT_ERR_ARG;
  if (outer <= 0 || depth <= 0) return SPX_RT_ERR_SHAPE;
  if (depth > SPX_CS_SOFTMAX_S8_MAX_DEPTH) return SPX_RT_ERR_RANGE;
  for (i = 0; i < outer; ++i) {
    const int8_t *x = input + (size_t)i * (size_t)depth;
    int8_t *y = output + (size_t)i * (size_t)depth;
    int32_t max_in_row = -128, sum_of_exps = 0, shifted_scale;
    int num_bits_over_unit;
    for (c = 0; c < depth; ++c)
      if (x[c] > max_in_row) max_in_row = x[c];
    for (c = 0; c < depth; ++c) {
      int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= p->diff_min) {
        int32_t e = spx_k_exp_on_negative_values(scaled_diff(diff, p),
                                                 SCALED_DIFF_BITS);
        sum_of_exps += spx_k_rdbypot(e, ACCUM_BITS); /* Rescale<12> */
      }
    }
    shifted_scale = spx_k_get_reciprocal(sum_of_exps, ACCUM_BITS,
                                         &num_bits_over_unit);
    /* read x[c] again before writing y[c]: in place works */
    for (c = 0; c < depth; ++c) {
      int32_t diff = (int32_t)x[c] - max_in_row;
      if (diff >= p->diff_min) {
        int32_t e = spx_k_exp_on_negative_values(scaled_diff(diff, p),
                                                 SCALED_DIFF_BITS);
        int32_t unsat = spx_k_rdbypot_wide(spx_k_srdhm(shifted_scale, e),
                                           num_bits_over_unit + 31 - 8);
        y[c] = spx_k_clamp_s8(unsat - 128, -128, 127);
      } else {
        y[c] = -128;
      }
    }
  }
  return SPX_RT_OK;
}
