/* dense.c - int8 weights, symmetric per output channel: the encoding every
 * conv2d/dense gets from the quantize pass (spx_formats.h, "Dense int8"). */
#include "runtime/formats/spx_formats.h"

static double magnitude(double x) { return x < 0 ? -x : x; }

/* Round half away from zero, without libm. |x| is bounded by 127.5 here. */
static double round_away(double x) {
  double a = magnitude(x) + 0.5;
  double t = (double)(long long)a;
  return x < 0 ? -t : t;
}

void spx_fmt_dense_s8_encode(const float *weights, uint32_t rows, size_t row_len,
                             const double *min_scale, int8_t *out_q, float *out_scale) {
  uint32_t r;
  size_t i;
  for (r = 0; r < rows; r++) {
    const float *w = weights + (size_t)r * row_len;
    int8_t *q = out_q + (size_t)r * row_len;
    double amax = 0, s;
    for (i = 0; i < row_len; i++)
      if (magnitude(w[i]) > amax) amax = magnitude(w[i]);
    s = amax / 127.0;
    if (min_scale && min_scale[r] > s) s = min_scale[r];
    if (s == 0) s = 1.0;
    out_scale[r] = (float)s;
    for (i = 0; i < row_len; i++) {
      double v = round_away((double)w[i] / s);
      q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
  }
}

void spx_fmt_dense_s8_decode(const int8_t *q, const float *scale, uint32_t rows,
                             size_t row_len, float *out_weights) {
  uint32_t r;
  size_t i;
  for (r = 0; r < rows; r++)
    for (i = 0; i < row_len; i++)
      out_weights[(size_t)r * row_len + i] = (float)q[(size_t)r * row_len + i] * scale[r];
}

/* ---- descriptor ------------------------------------------------------------ */

static int set_reason(const char **reason, const char *why) {
  if (reason) *reason = why;
  return *why ? -1 : 0;
}

static int dense_validate(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                          const char **reason) {
  size_t n = spx_fmt_dims_count(dims);
  if (!bytes || !n) return set_reason(reason, "no weights or unusable dimensions");
  if (len != n) return set_reason(reason, "dense int8 weights are not rows*cols*kh*kw bytes");
  return set_reason(reason, "");
}

static int dense_decode(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                        int16_t *out, size_t count, const char **reason) {
  const int8_t *q = (const int8_t *)bytes;
  size_t i, n = spx_fmt_dims_count(dims);
  if (dense_validate(bytes, len, dims, reason)) return -1;
  if (!out || count < n) return set_reason(reason, "output buffer smaller than the weights");
  for (i = 0; i < n; i++) out[i] = q[i];
  return set_reason(reason, "");
}

const spx_fmt_desc_t spx_fmt_desc_DENSE = {
    SPX_FMT_DENSE, "dense", "plain array: f32, or int8 symmetric per output channel", 1,
    dense_validate, dense_decode};
