/* spx_pool.c - maxpool, avgpool and global average pooling, f32 and int8.
 * Padding cells never take part: max ignores them and the average divides by
 * the number of valid cells (count_include_pad = false). */
#include "runtime/kernels/kernels_internal.h"

spx_rt_status_t spx_rt_pool_out_dims(const spx_rt_pool_params_t *p,
                                     int32_t *out_h, int32_t *out_w) {
  int32_t eh, ew;
  if (!p || !out_h || !out_w) return SPX_RT_ERR_ARG;
  *out_h = 0;
  *out_w = 0;
  if (p->n <= 0 || p->c <= 0 || p->h <= 0 || p->w <= 0 || p->kh <= 0 ||
      p->kw <= 0 || p->stride[0] <= 0 || p->stride[1] <= 0 || p->pad[0] < 0 ||
      p->pad[1] < 0 || p->pad[2] < 0 || p->pad[3] < 0)
    return SPX_RT_ERR_SHAPE;
  /* a window made only of padding would have no value */
  if (p->pad[0] >= p->kh || p->pad[2] >= p->kh || p->pad[1] >= p->kw ||
      p->pad[3] >= p->kw)
    return SPX_RT_ERR_SHAPE;
  eh = p->h + p->pad[0] + p->pad[2] - p->kh;
  ew = p->w + p->pad[1] + p->pad[3] - p->kw;
  if (eh < 0 || ew < 0) return SPX_RT_ERR_SHAPE;
  *out_h = eh / p->stride[0] + 1;
  *out_w = ew / p->stride[1] + 1;
  return SPX_RT_OK;
}

/* Window of output (oy, ox) clipped to the image: rows [y0, y1), cols [x0, x1). */
static void pool_window(const spx_rt_pool_params_t *p, int32_t oy, int32_t ox,
                        int32_t *y0, int32_t *y1, int32_t *x0, int32_t *x1) {
  int32_t ys = oy * p->stride[0] - p->pad[0];
  int32_t xs = ox * p->stride[1] - p->pad[1];
  *y0 = ys < 0 ? 0 : ys;
  *x0 = xs < 0 ? 0 : xs;
  *y1 = ys + p->kh > p->h ? p->h : ys + p->kh;
  *x1 = xs + p->kw > p->w ? p->w : xs + p->kw;
}

/* One generic loop for the four pool kernels, instantiated by macro so that
 * each kernel stays a plain loop over its own element type. */
#define SPX_POOL_LOOP(T, INIT, STEP, FINISH)                                   \
  do {                                                                        \
    int32_t oh, ow, plane_i, oy, ox, y, x, y0, y1, x0, x1;                     \
    spx_rt_status_t st;                                                       \
    if (!p || !input || !output) return SPX_RT_ERR_ARG;                       \
    st = spx_rt_pool_out_dims(p, &oh, &ow);                                   \
    if (st != SPX_RT_OK) return st;                                           \
    for (plane_i = 0; plane_i < p->n * p->c; ++plane_i) {                     \
      const T *in = input + (size_t)plane_i * (size_t)p->h * (size_t)p->w;    \
      T *out = output + (size_t)plane_i * (size_t)oh * (size_t)ow;            \
      for (oy = 0; oy < oh; ++oy) {                                           \
        for (ox = 0; ox < ow; ++ox) {                                         \
          pool_window(p, oy, ox, &y0, &y1, &x0, &x1);                         \
          INIT;                                                               \
          for (y = y0; y < y1; ++y)                                           \
            for (x = x0; x < x1; ++x) {                                       \
              T v = in[(size_t)y * (size_t)p->w + (size_t)x];                 \
              STEP;                                                           \
            }                                                                 \
          out[(size_t)oy * (size_t)ow + (size_t)ox] = FINISH;                 \
        }                                                                     \
      }                                                                       \
    }                                                                         \
    return SPX_RT_OK;                                                         \
  } while (0)

spx_rt_status_t spx_rt_maxpool_f32(const spx_rt_pool_params_t *p,
                                   const float *input, float *output) {
  float m;
  SPX_POOL_LOOP(float, m = in[(size_t)y0 * (size_t)p->w + (size_t)x0],
                if (v > m) m = v, m);
}

static spx_rt_status_t maxpool_s8_direct(const spx_rt_pool_params_t *p,
                                         const int8_t *input, int8_t *output) {
  int8_t m;
  SPX_POOL_LOOP(int8_t, m = -128, if (v > m) m = v, m);
}

/* Separable: per output row, the max down the window's rows of a span of
 * input columns (MAXPOOL_SPAN bytes at most, a loop compilers vectorize),
 * then along the columns: the max of every kw consecutive columns of that
 * (kw passes, vectorized too), one per output. The same windows, so
 * the same bytes as the direct loop; kernels wider than the span, and size
 * builds, take the direct loop. */
#define MAXPOOL_SPAN 256
spx_rt_status_t spx_rt_maxpool_s8(const spx_rt_pool_params_t *p,
                                  const int8_t *input, int8_t *output) {
  int8_t t[MAXPOOL_SPAN], v[MAXPOOL_SPAN];
  int32_t oh, ow, plane_i, oy, ox, y, x, per;
  spx_rt_status_t st;
  if (!p || !input || !output) return SPX_RT_ERR_ARG;
  st = spx_rt_pool_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  if (SPX_K_SIZE_BUILD || p->kw > MAXPOOL_SPAN) return maxpool_s8_direct(p, input, output);
  per = (MAXPOOL_SPAN - p->kw) / p->stride[1] + 1; /* output columns a span serves */
  for (plane_i = 0; plane_i < p->n * p->c; ++plane_i) {
    const int8_t *in = input + (size_t)plane_i * (size_t)p->h * (size_t)p->w;
    int8_t *out = output + (size_t)plane_i * (size_t)oh * (size_t)ow;
    for (oy = 0; oy < oh; ++oy) {
      int32_t y0, y1, x0, x1, ox0;
      pool_window(p, oy, 0, &y0, &y1, &x0, &x1);
      for (ox0 = 0; ox0 < ow; ox0 += per) {
        const int32_t ox1 = ow - ox0 < per ? ow : ox0 + per;
        int32_t xa, xb, d;
        pool_window(p, oy, ox0, &d, &d, &xa, &d);
        pool_window(p, oy, ox1 - 1, &d, &d, &d, &xb);
        for (x = xa; x < xb; ++x) t[x - xa] = in[(size_t)y0 * (size_t)p->w + (size_t)x];
        for (y = y0 + 1; y < y1; ++y) {
          const int8_t *r = in + (size_t)y * (size_t)p->w;
          for (x = xa; x < xb; ++x) t[x - xa] = r[x] > t[x - xa] ? r[x] : t[x - xa];
        }
        /* v[j] = the max of t[j .. j + kw - 1], kw passes over the span
         * (loops compilers vectorize); an output whose window lies inside
         * the span unclipped is one v, the clipped ones (padding) go
         * through their window */
        {
          const int32_t n = xb - xa, kw = p->kw;
          int32_t j, k;
          for (j = 0; j + kw <= n; ++j) v[j] = t[j];
          for (k = 1; k < kw; ++k)
            for (j = 0; j + kw <= n; ++j) v[j] = t[j + k] > v[j] ? t[j + k] : v[j];
          /* the unclipped outputs [lo, hi): one v each, a loop without
           * branches (compilers vectorize strides 1 and 2, written out) */
          const int32_t s = p->stride[1], pad = p->pad[1];
          int32_t lo = (xa + pad + s - 1) / s, hi = xb - kw + pad < 0 ? 0 : (xb - kw + pad) / s + 1;
          int8_t *o = out + (size_t)oy * (size_t)ow;
          if (lo < ox0) lo = ox0;
          if (hi > ox1) hi = ox1;
          if (hi < lo) hi = lo;
          if (s == 1)
            for (ox = lo; ox < hi; ++ox) o[ox] = v[ox - pad - xa];
          else if (s == 2)
            for (ox = lo; ox < hi; ++ox) o[ox] = v[2 * ox - pad - xa];
          else
            for (ox = lo; ox < hi; ++ox) o[ox] = v[ox * s - pad - xa];
          for (ox = ox0; ox < ox1; ++ox) { /* the clipped ones, through their window */
            int8_t m = -128;
            if (ox == lo) ox = hi;
            if (ox >= ox1) break;
            pool_window(p, oy, ox, &d, &d, &x0, &x1);
            for (x = x0; x < x1; ++x) m = t[x - xa] > m ? t[x - xa] : m;
            o[ox] = m;
          }
        }
      }
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_avgpool_f32(const spx_rt_pool_params_t *p,
                                   const float *input, float *output) {
  float s;
  SPX_POOL_LOOP(float, s = 0.0f, s += v,
                s / (float)((y1 - y0) * (x1 - x0)));
}

/* Division rounded half away from zero (TFLite int8 AveragePool). */
static int32_t div_round(int32_t s, int32_t cnt) {
  return s > 0 ? (s + cnt / 2) / cnt : (s - cnt / 2) / cnt;
}

spx_rt_status_t spx_rt_avgpool_s8(const spx_rt_pool_params_t *p,
                                  const int8_t *input, int8_t *output) {
  int32_t s;
  SPX_POOL_LOOP(int8_t, s = 0, s += v,
                (int8_t)div_round(s, (y1 - y0) * (x1 - x0)));
}

spx_rt_status_t spx_rt_global_avgpool_f32(int32_t n, int32_t c, int32_t hw,
                                          const float *input, float *output) {
  int32_t i, j;
  if (!input || !output) return SPX_RT_ERR_ARG;
  if (n <= 0 || c <= 0 || hw <= 0) return SPX_RT_ERR_SHAPE;
  for (i = 0; i < n * c; ++i) {
    const float *in = input + (size_t)i * (size_t)hw;
    float s = 0.0f;
    for (j = 0; j < hw; ++j) s += in[j];
    output[i] = s / (float)hw;
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_global_avgpool_s8(int32_t n, int32_t c, int32_t hw,
                                         const spx_rt_requant_t *rq,
                                         const int8_t *input, int8_t *output) {
  int32_t i, j;
  if (!rq || !input || !output) return SPX_RT_ERR_ARG;
  if (n <= 0 || c <= 0 || hw <= 0) return SPX_RT_ERR_SHAPE;
  if (hw > SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW) return SPX_RT_ERR_RANGE;
  for (i = 0; i < n * c; ++i) {
    const int8_t *in = input + (size_t)i * (size_t)hw;
    int32_t s = 0;
    for (j = 0; j < hw; ++j) s += in[j];
    s -= rq->in_zero_point * hw;
    output[i] = spx_k_clamp_s8(
        rq->out_zero_point + spx_k_mbqm(s, rq->multiplier, (int)rq->shift),
        rq->act_min, rq->act_max);
  }
  return SPX_RT_OK;
}
