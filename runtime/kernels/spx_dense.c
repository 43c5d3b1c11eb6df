/* spx_dense.c - dense (fully connected), f32 reference and int8.
 * Weights [units, F] are row-major, so every output is a dot product of two
 * contiguous rows. int8: acc = sum x * w + (bias - z_in * sum w), the
 * constant part computed once per call into the caller's scratch; four units
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

#define LANES 16

void spx_k_dot_s8_1x4(const int8_t *a, const int8_t *b0, const int8_t *b1,
                      const int8_t *b2, const int8_t *b3, size_t k,
                      int32_t out[4]) {
  int32_t s0[LANES] = {0}, s1[LANES] = {0}, s2[LANES] = {0}, s3[LANES] = {0};
  int32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  size_t i = 0, j;
  for (; i + LANES <= k; i += LANES) {
    for (j = 0; j < LANES; ++j) {
      int32_t av = a[i + j];
      s0[j] += av * b0[i + j];
      s1[j] += av * b1[i + j];
      s2[j] += av * b2[i + j];
      s3[j] += av * b3[i + j];
    }
  }
  for (; i < k; ++i) {
    int32_t av = a[i];
    t0 += av * b0[i];
    t1 += av * b1[i];
    t2 += av * b2[i];
    t3 += av * b3[i];
  }
  for (j = 0; j < LANES; ++j) {
    t0 += s0[j];
    t1 += s1[j];
    t2 += s2[j];
    t3 += s3[j];
  }
  out[0] = t0;
  out[1] = t1;
  out[2] = t2;
  out[3] = t3;
}

int32_t spx_k_sum_s8(const int8_t *a, size_t k) {
  int32_t s[LANES] = {0}, t = 0;
  size_t i = 0, j;
  for (; i + LANES <= k; i += LANES)
    for (j = 0; j < LANES; ++j) s[j] += a[i + j];
  for (; i < k; ++i) t += a[i];
  for (j = 0; j < LANES; ++j) t += s[j];
  return t;
}

size_t spx_rt_dense_s8_get_buffer_size(const spx_rt_dense_params_t *p) {
  if (!p || !dense_params_ok(p)) return 0;
  return (size_t)p->units * sizeof(int32_t); /* bias - z_in * sum(w) per unit */
}

spx_rt_status_t spx_rt_dense_s8(const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q,
                                const int8_t *input, const int8_t *weights,
                                const int32_t *bias, int8_t *output,
                                void *scratch, size_t scratch_size) {
  int32_t n, u, t;
  size_t nf;
  int32_t *c0;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  if (!dense_params_ok(p)) return SPX_RT_ERR_SHAPE;
  if (!scratch || scratch_size < spx_rt_dense_s8_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  nf = (size_t)p->features;
  c0 = (int32_t *)scratch;
  for (u = 0; u < p->units; ++u)
    c0[u] = (bias ? bias[u] : 0) -
            q->in_zero_point * spx_k_sum_s8(weights + (size_t)u * nf, nf);
  for (n = 0; n < p->n; ++n) {
    const int8_t *x = input + (size_t)n * nf;
    int8_t *out = output + (size_t)n * (size_t)p->units;
    for (u = 0; u < p->units; u += 4) {
      int32_t m = p->units - u < 4 ? p->units - u : 4;
      /* rows past the end reuse row u; their results are dropped */
      const int8_t *w0 = weights + (size_t)u * nf;
      int32_t acc[4];
      spx_k_dot_s8_1x4(x, w0, m > 1 ? w0 + nf : w0, m > 2 ? w0 + 2 * nf : w0,
                       m > 3 ? w0 + 3 * nf : w0, nf, acc);
      for (t = 0; t < m; ++t)
        out[u + t] = spx_k_clamp_s8(
            q->out_zero_point + spx_k_mbqm(acc[t] + c0[u + t], q->multiplier[u + t],
                                           (int)q->shift[u + t]),
            q->act_min, q->act_max);
    }
  }
  return SPX_RT_OK;
}
