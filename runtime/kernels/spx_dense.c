/* spx_dense.c - dense (fully connected), f32 reference and int8.
 * Weights [units, F] are row-major, so every output is a dot product of two
 * contiguous rows. int8: acc = sum x * w - z_in * sum w + bias, four units
 * at a time so that each input element is loaded once per four units. */
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

size_t spx_rt_dense_s8_get_buffer_size(const spx_rt_dense_params_t *p) {
  (void)p;
  return 0;
}

spx_rt_status_t spx_rt_dense_s8(const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q,
                                const int8_t *input, const int8_t *weights,
                                const int32_t *bias, int8_t *output,
                                void *scratch, size_t scratch_size) {
  int32_t n, u, t;
  size_t f, nf;
  (void)scratch;
  (void)scratch_size;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  if (!dense_params_ok(p)) return SPX_RT_ERR_SHAPE;
  nf = (size_t)p->features;
  for (n = 0; n < p->n; ++n) {
    const int8_t *x = input + (size_t)n * nf;
    int8_t *out = output + (size_t)n * (size_t)p->units;
    for (u = 0; u < p->units; u += 4) {
      int32_t m = p->units - u < 4 ? p->units - u : 4;
      /* rows past the end reuse row u; their results are dropped */
      const int8_t *w0 = weights + (size_t)u * nf;
      const int8_t *w1 = m > 1 ? w0 + nf : w0;
      const int8_t *w2 = m > 2 ? w0 + 2 * nf : w0;
      const int8_t *w3 = m > 3 ? w0 + 3 * nf : w0;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int32_t acc[4], ws[4];
      for (f = 0; f < nf; ++f) {
        int32_t xv = x[f];
        a0 += xv * w0[f];
        a1 += xv * w1[f];
        a2 += xv * w2[f];
        a3 += xv * w3[f];
        s0 += w0[f];
        s1 += w1[f];
        s2 += w2[f];
        s3 += w3[f];
      }
      acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
      ws[0] = s0; ws[1] = s1; ws[2] = s2; ws[3] = s3;
      for (t = 0; t < m; ++t) {
        int32_t a = acc[t] - q->in_zero_point * ws[t] + (bias ? bias[u + t] : 0);
        out[u + t] = spx_k_clamp_s8(
            q->out_zero_point + spx_k_mbqm(a, q->multiplier[u + t], (int)q->shift[u + t]),
            q->act_min, q->act_max);
      }
    }
  }
  return SPX_RT_OK;
}
