/* spx_batchnorm.c - inference batch normalization over NCHW channels, and
 * the per-channel affine a batchnorm folds to (what the cpu target runs). */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

spx_rt_status_t spx_rt_batchnorm_f32(int32_t n, int32_t c, int32_t hw,
                                     const float *gamma, const float *beta,
                                     const float *mean, const float *var,
                                     float eps, const float *input,
                                     float *output) {
  int32_t b, ch, i;
  if (!gamma || !beta || !mean || !var || !input || !output) return SPX_RT_ERR_ARG;
  if (n <= 0 || c <= 0 || hw <= 0) return SPX_RT_ERR_SHAPE;
  for (b = 0; b < n; ++b) {
    for (ch = 0; ch < c; ++ch) {
      size_t off = ((size_t)b * (size_t)c + (size_t)ch) * (size_t)hw;
      float k = gamma[ch] / sqrtf(var[ch] + eps);
      float d = beta[ch] - mean[ch] * k;
      for (i = 0; i < hw; ++i) output[off + (size_t)i] = input[off + (size_t)i] * k + d;
    }
  }
  return SPX_RT_OK;
}

void spx_rt_batchnorm_affine(int32_t c, const float *gamma, const float *beta,
                             const float *mean, const float *var, float eps,
                             float *scale, float *shift) {
  int32_t ch;
  for (ch = 0; ch < c; ++ch) {
    float k = gamma[ch] / sqrtf(var[ch] + eps);
    scale[ch] = k;
    shift[ch] = beta[ch] - mean[ch] * k;
  }
}

spx_rt_status_t spx_rt_channel_affine_f32(int32_t n, int32_t c, int32_t inner,
                                          const float *scale, const float *shift,
                                          const float *input, float *output) {
  int32_t b, ch, i;
  if (!scale || !shift || !input || !output) return SPX_RT_ERR_ARG;
  if (n <= 0 || c <= 0 || inner <= 0) return SPX_RT_ERR_SHAPE;
  for (b = 0; b < n; ++b) {
    for (ch = 0; ch < c; ++ch) {
      size_t off = ((size_t)b * (size_t)c + (size_t)ch) * (size_t)inner;
      float k = scale[ch], d = shift[ch];
      for (i = 0; i < inner; ++i) output[off + (size_t)i] = input[off + (size_t)i] * k + d;
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_batchnorm_s8(int32_t n, int32_t c, int32_t hw,
                                    const spx_rt_requant_pc_t *q,
                                    const int32_t *mul, const int32_t *offset,
                                    const int8_t *input, int8_t *output) {
  int32_t b, ch, i;
  if (!q || !q->multiplier || !q->shift || !mul || !offset || !input || !output)
    return SPX_RT_ERR_ARG;
  if (n <= 0 || c <= 0 || hw <= 0) return SPX_RT_ERR_SHAPE;
  for (b = 0; b < n; ++b) {
    for (ch = 0; ch < c; ++ch) {
      size_t off = ((size_t)b * (size_t)c + (size_t)ch) * (size_t)hw;
      int32_t m = mul[ch], o = offset[ch], mult = q->multiplier[ch];
      int shift = (int)q->shift[ch];
      for (i = 0; i < hw; ++i) {
        int32_t acc = ((int32_t)input[off + (size_t)i] - q->in_zero_point) * m + o;
        output[off + (size_t)i] =
            spx_k_out_s8(acc, q->out_zero_point, mult, shift, q->act_min, q->act_max);
      }
    }
  }
  return SPX_RT_OK;
}
