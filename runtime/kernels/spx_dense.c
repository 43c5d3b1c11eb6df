/* spx_dense.c - dense (fully connected) f32 reference, and the int8 dot
 * products every int8 inner product is made of (the int8 dense of every
 * weight format is spx_matmul_s8.c). Weights [units, F] are row-major, so
 * every output is a dot product of two contiguous rows. */
#include "runtime/kernels/kernels_internal.h"

static int dense_params_ok(const spx_rt_dense_params_t *p) {
  return p->n > 0 && p->features > 0 && p->units > 0;
}

spx_rt_status_t spx_rt_dense_f32(const spx_rt_dense_params_t *p,
                                 const float *input, const float *weights,
                                 const float *bias, float *output) {
  int32_t n, u;
  size_t f, nf;
  if (!p || !input || !weights || !output) return SPX_RT_ERR_ARG;
  if (!dense_params_ok(p)) return SPX_RT_ERR_SHAPE;
  nf = (size_t)p->features;
  for (n = 0; n < p->n; ++n) {
    const float *x = input + (size_t)n * nf;
    for (u = 0; u < p->units; ++u) {
      const float *w = weights + (size_t)u * nf;
      float acc = 0.0f;
      for (f = 0; f < nf; ++f) acc += x[f] * w[f];
      if (bias) acc += bias[u];
      output[(size_t)n * (size_t)p->units + (size_t)u] = spx_k_act_f32(acc, p->act);
    }
  }
  return SPX_RT_OK;
}

/* One plain loop of four int32 reductions: gcc -O3 vectorizes it (widening
 * multiply-adds) with fewer instructions than explicit int32 lanes, for
 * short rows (CBR's 8-lane segments) and long ones alike. */
void spx_k_dot_s8_1x4(const int8_t *a, const int8_t *b0, const int8_t *b1,
                      const int8_t *b2, const int8_t *b3, size_t k,
                      int32_t out[4]) {
  int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  size_t i;
  for (i = 0; i < k; ++i) {
    const int32_t av = a[i];
    t0 += av * b0[i];
    t1 += av * b1[i];
    t2 += av * b2[i];
    t3 += av * b3[i];
  }
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
}

/* In runs of at most 256 bytes summed in int16 (|sum| <= 256 * 128, exact),
 * which gcc vectorizes twice as wide as int32 sums. */
int32_t spx_k_sum_s8(const int8_t *a, size_t k) {
  int32_t t = 0;
  size_t i = 0;
  while (i < k) {
    const size_t n = k - i > 256 ? 256 : k - i;
    size_t m;
    int16_t s = 0;
    for (m = 0; m < n; ++m) s = (int16_t)(s + a[i + m]);
    t += s;
    i += n;
  }
  return t;
}
