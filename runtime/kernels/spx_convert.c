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
  if (!input || !output || !scale_ok(q.scale) || q.zero_point < -128 ||
      q.zero_point > 127)
    return SPX_RT_ERR_ARG;
  /* zp + roundf(v) (halves away from zero), clamped; NaN: the real value 0.
   * Written without roundf (a libm call per element was a sixth of an int8
   * ResNet-18's input layer; gcc 12 -O3 still keeps this loop scalar under
   * the default -ftrapping-math): beyond +-1024 the clamp decides either
   * way (|zp| <= 128), and inside, the int32 conversion truncates and
   * v - trunc(v) is exact. */
  for (i = 0; i < count; ++i) {
    float v = input[i] / q.scale, t;
    int32_t k;
    v = v == v ? v : 0.0f;
    v = v < -1024.0f ? -1024.0f : v > 1024.0f ? 1024.0f : v;
    k = (int32_t)v;
    t = v - (float)k;
    k += (int32_t)(t >= 0.5f) - (int32_t)(t <= -0.5f);
    k += q.zero_point;
    output[i] = (int8_t)(k < -128 ? -128 : k > 127 ? 127 : k);
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
