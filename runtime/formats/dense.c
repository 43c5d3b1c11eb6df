/* dense.c - int8 weights, symmetric per output channel: the encoding every
 * conv2d/dense gets from the quantize pass (spx_formats.h, "Dense int8"). */
#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

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

static spx_rt_status_t dense_validate(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                          spx_rt_error_t *err) {
  size_t n = spx_fmt_dims_count(dims);
  if (!bytes || !n) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no weights or unusable dimensions");
  if (len != n) return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "dense int8 weights are %zu bytes, not rows*cols*kh*kw = %zu", len, n);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

static spx_rt_status_t dense_decode(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                        int16_t *out, size_t count, spx_rt_error_t *err) {
  const int8_t *q = (const int8_t *)bytes;
  size_t i, n = spx_fmt_dims_count(dims);
  spx_rt_status_t st = dense_validate(bytes, len, dims, err);
  if (st != SPX_RT_OK) return st;
  if (!out || count < n) return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  for (i = 0; i < n; i++) out[i] = q[i];
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

/* ---- kernels: rows of the int8 array against im2col columns [K][kh][kw] -- */

/* Structural check: the array is there. len 0 means the caller does not
 * know the size (generated C tables, hand-built layers); any other len must
 * be the full array. */
static spx_rt_status_t open_as(const spx_fmt_desc_t *desc, const void *bytes, size_t len,
                               const spx_fmt_dims_t *dims, spx_fmt_weights_t *out,
                               spx_rt_error_t *err) {
  size_t n = spx_fmt_dims_count(dims);
  if (!bytes || !n) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no weights or unusable dimensions");
  if (len && len != n)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "dense int8 weights are %zu bytes, not rows*cols*kh*kw = %zu", len, n);
  if (out) {
    out->desc = desc;
    out->dims = *dims;
    out->bytes = bytes;
    out->len = len;
    out->state = NULL;
  }
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

static spx_rt_status_t dense_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                  spx_fmt_weights_t *out, spx_rt_error_t *err) {
  return open_as(&spx_fmt_desc_DENSE, bytes, len, dims, out, err);
}

/* The same for spx_fmt_desc_DENSE_FAST (its weights name it, not the full
 * descriptor, which would bring the rest in). */
static spx_rt_status_t dense_open_fast(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                       spx_fmt_weights_t *out, spx_rt_error_t *err) {
  return open_as(&spx_fmt_desc_DENSE_FAST, bytes, len, dims, out, err);
}

static size_t dense_scratch(const spx_fmt_dims_t *dims) {
  (void)dims;
  return 0;
}

static size_t row_len(const spx_fmt_weights_t *w) {
  return (size_t)w->dims.cols * w->dims.kh * w->dims.kw;
}

static void dense_row_sums(const spx_fmt_weights_t *w, int ragged, int32_t *sums) {
  const int8_t *q = (const int8_t *)w->bytes;
  size_t k = row_len(w);
  uint32_t r;
  (void)ragged;
  for (r = 0; r < w->dims.rows; ++r) sums[r] = spx_k_sum_s8(q + (size_t)r * k, k);
}

/* One column: four rows at a time against it. Several: per row, four
 * columns at a time. Rows / columns past the end reuse the first one; their
 * results are dropped. */
static void dense_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                      const spx_fmt_cols_t *cols, int32_t *acc) {
  const int8_t *q = (const int8_t *)w->bytes;
  const size_t k = row_len(w), cs = cols->stride;
  const uint32_t count = cols->count;
  uint32_t r, j, t;
  if (count == 1) {
    for (r = r0; r < r1; r += 4) {
      uint32_t m = r1 - r < 4 ? r1 - r : 4;
      const int8_t *w0 = q + (size_t)r * k;
      int32_t a4[4];
      spx_k_dot_s8_1x4(cols->s8, w0, m > 1 ? w0 + k : w0, m > 2 ? w0 + 2 * k : w0,
                       m > 3 ? w0 + 3 * k : w0, k, a4);
      for (t = 0; t < m; ++t) acc[(size_t)(r - r0 + t) * SPX_FMT_TILE] = a4[t];
    }
    return;
  }
  if (count == SPX_FMT_TILE) { /* a whole tile: no column past the end */
    for (r = r0; r < r1; ++r) {
      const int8_t *wr = q + (size_t)r * k;
      int32_t *a = acc + (size_t)(r - r0) * SPX_FMT_TILE;
      for (j = 0; j < SPX_FMT_TILE; j += 4) {
        const int8_t *b0 = cols->s8 + (size_t)j * cs;
        spx_k_dot_s8_1x4(wr, b0, b0 + cs, b0 + 2 * cs, b0 + 3 * cs, k, a + j);
      }
    }
    return;
  }
  for (r = r0; r < r1; ++r) {
    const int8_t *wr = q + (size_t)r * k;
    int32_t *a = acc + (size_t)(r - r0) * SPX_FMT_TILE;
    for (j = 0; j < count; j += 4) {
      uint32_t m = count - j < 4 ? count - j : 4;
      const int8_t *b0 = cols->s8 + (size_t)j * cs;
      spx_k_dot_s8_1x4(wr, b0, m > 1 ? b0 + cs : b0, m > 2 ? b0 + 2 * cs : b0,
                       m > 3 ? b0 + 3 * cs : b0, k, a + j);
    }
  }
}

const spx_fmt_desc_t spx_fmt_desc_DENSE = {
    SPX_FMT_DENSE, "dense", "plain array: f32, or int8 symmetric per output channel", 1, 128,
    dense_validate, dense_decode,
    /* needs_s8 */ 0, SPX_FMT_COLS_S8, /* chan_block */ 1, /* plain_s8 */ 1,
    dense_open, dense_scratch, NULL, dense_row_sums, NULL, dense_dot, NULL,
    SPX_FMT_DATAPATH_INT8, /* decode_s8: the bytes are the int8 array */ NULL,
    &spx_fmt_desc_DENSE_FAST};

const spx_fmt_desc_t spx_fmt_desc_DENSE_FAST = {
    SPX_FMT_DENSE, "dense", "plain array: f32, or int8 symmetric per output channel", 1, 128,
    NULL, NULL,
    /* needs_s8 */ 0, SPX_FMT_COLS_S8, /* chan_block */ 1, /* plain_s8 */ 1,
    dense_open_fast, NULL, NULL, dense_row_sums, NULL, NULL, NULL,
    SPX_FMT_DATAPATH_INT8, NULL, NULL};
