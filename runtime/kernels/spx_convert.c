/* spx_convert.c - quantize (f32 -> int8) and dequantize (int8 -> f32), the
 * conversions at the float edges of an int8 network. The arithmetic is the
 * one documented in spx_kernels.h, in float, so that every user (cpu device,
 * generated C, simulators) gets the same bytes. */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

#if defined(__SSE2__) && !SPX_K_SIZE_BUILD
#include <emmintrin.h>
#define SPX_QUANT_SSE2 1
#else
#define SPX_QUANT_SSE2 0
#endif

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
  i = 0;
#if SPX_QUANT_SSE2
  { /* the same steps, 16 elements a step: IEEE division, compares, the
     * truncating conversion and the saturating packs (the clamp) give the
     * scalar loop's bytes, about 3x faster */
    const __m128 s = _mm_set1_ps(q.scale), lo = _mm_set1_ps(-1024.0f), hi = _mm_set1_ps(1024.0f);
    const __m128 half = _mm_set1_ps(0.5f), mhalf = _mm_set1_ps(-0.5f);
    const __m128i zp = _mm_set1_epi32(q.zero_point);
    __m128i k[4];
    int j;
    for (; i + 16 <= count; i += 16) {
      for (j = 0; j < 4; ++j) {
        __m128 v = _mm_div_ps(_mm_loadu_ps(input + i + 4 * (size_t)j), s), t;
        __m128i kj;
        v = _mm_and_ps(v, _mm_cmpord_ps(v, v)); /* NaN: 0 */
        v = _mm_max_ps(_mm_min_ps(v, hi), lo);
        kj = _mm_cvttps_epi32(v);
        t = _mm_sub_ps(v, _mm_cvtepi32_ps(kj));
        /* compare masks are -1: k - [t >= 0.5] + [t <= -0.5] */
        kj = _mm_sub_epi32(kj, _mm_castps_si128(_mm_cmpge_ps(t, half)));
        kj = _mm_add_epi32(kj, _mm_castps_si128(_mm_cmple_ps(t, mhalf)));
        k[j] = _mm_add_epi32(kj, zp);
      }
      _mm_storeu_si128((__m128i *)(void *)(output + i),
                       _mm_packs_epi16(_mm_packs_epi32(k[0], k[1]), _mm_packs_epi32(k[2], k[3])));
    }
  }
#endif
  for (; i < count; ++i) {
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
