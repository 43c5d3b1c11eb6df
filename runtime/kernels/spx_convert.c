/* spx_convert.c - quantize (f32 -> int8) and dequantize (int8 -> f32), the
 * conversions at the float edges of an int8 network. The arithmetic is the
 * one documented in spx_kernels.h, in float, so that every user (cpu device,
 * generated C, simulators) gets the same bytes. */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

static int scale_ok(float s) { return s > 0.0f && s <= 3.402823466e38f; }

spx_rt_status_t spx_rt_quantize_f32_s8(size_t count, spx_rt_quant_t q,
                                       const float *input, int8_t *output) {
  size_t i;
  const float zp = (float)q.zero_point;
  if (!input || !output || !scale_ok(q.scale) || q.zero_point < -128 ||
      q.zero_point > 127)
    return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i) {
    float v = input[i] / q.scale;
    float r;
    if (v != v) { /* NaN: the real value 0 */
      output[i] = (int8_t)q.zero_point;
      continue;
    }
    r = roundf(v) + zp; /* exact: |roundf(v)| < 2^24 whenever it matters */
    if (r < -128.0f) r = -128.0f;
    if (r > 127.0f) r = 127.0f;
    output[i] = (int8_t)(int32_t)r;
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_dequantize_s8_f32(size_t count, spx_rt_quant_t q,
                                         const int8_t *input, float *output) {
  size_t i;
  if (!input || !output || !scale_ok(q.scale)) return SPX_RT_ERR_ARG;
  for (i = 0; i < count; ++i)
    output[i] = q.scale * (float)((int32_t)input[i] - q.zero_point);
  return SPX_RT_OK;
}
