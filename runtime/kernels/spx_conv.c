/* spx_conv.c - conv2d, f32 reference and int8.
 *
 * f32 and int8 depthwise (one input channel per group) use direct loops that
 * accumulate whole output rows: for each tap, out[oy][ox] += w * in[iy][ix]
 * over the range of ox whose ix is inside the image, so inner loops have no
 * branches and, at stride 1, run over contiguous memory.
 * The general int8 path builds im2col columns for a tile of output pixels in
 * the caller's scratch (padding cells hold z_in) and computes dot products of
 * weight rows (OIHW rows are contiguous) with four columns at a time;
 * acc = sum x * w - z_in * sum w + bias. */
#include <string.h>

#include "runtime/kernels/kernels_internal.h"

/* Output pixels per im2col tile (a multiple of 4). */
#define SPX_CONV_TILE 16

static int conv_params_ok(const spx_rt_conv2d_params_t *p) {
  return p->n > 0 && p->c_in > 0 && p->h > 0 && p->w > 0 && p->c_out > 0 &&
         p->kh > 0 && p->kw > 0 && p->stride[0] > 0 && p->stride[1] > 0 &&
         p->dilation[0] > 0 && p->dilation[1] > 0 && p->pad[0] >= 0 &&
         p->pad[1] >= 0 && p->pad[2] >= 0 && p->pad[3] >= 0 && p->groups > 0 &&
         p->c_in % p->groups == 0 && p->c_out % p->groups == 0;
}

spx_rt_status_t spx_rt_conv2d_out_dims(const spx_rt_conv2d_params_t *p,
                                       int32_t *out_h, int32_t *out_w) {
  int32_t eh, ew;
  if (!p || !out_h || !out_w) return SPX_RT_ERR_ARG;
  *out_h = 0;
  *out_w = 0;
  if (!conv_params_ok(p)) return SPX_RT_ERR_SHAPE;
  eh = p->h + p->pad[0] + p->pad[2] - p->dilation[0] * (p->kh - 1);
  ew = p->w + p->pad[1] + p->pad[3] - p->dilation[1] * (p->kw - 1);
  if (eh <= 0 || ew <= 0) return SPX_RT_ERR_SHAPE;
  *out_h = (eh - 1) / p->stride[0] + 1;
  *out_w = (ew - 1) / p->stride[1] + 1;
  return SPX_RT_OK;
}

/* Range [lo, hi) of output columns whose input column ox*s + off lies in
 * [0, w). */
static void valid_range(int32_t off, int32_t s, int32_t w, int32_t out_w,
                        int32_t *lo, int32_t *hi) {
  int32_t a = 0, b;
  if (off < 0) a = (-off + s - 1) / s;
  /* largest ox with ox*s + off <= w - 1 */
  if (w - 1 - off < 0) {
    b = 0;
  } else {
    b = (w - 1 - off) / s + 1;
  }
  if (b > out_w) b = out_w;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

spx_rt_status_t spx_rt_conv2d_f32(const spx_rt_conv2d_params_t *p,
                                  const float *input, const float *weights,
                                  const float *bias, float *output) {
  int32_t oh, ow, n, oc, ic, ky, kx, oy, ox;
  int32_t cin_g, cout_g;
  size_t plane;
  spx_rt_status_t st;
  if (!p || !input || !weights || !output) return SPX_RT_ERR_ARG;
  st = spx_rt_conv2d_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  cin_g = p->c_in / p->groups;
  cout_g = p->c_out / p->groups;
  plane = (size_t)oh * (size_t)ow;
  for (n = 0; n < p->n; ++n) {
    for (oc = 0; oc < p->c_out; ++oc) {
      float *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * plane;
      int32_t g = oc / cout_g;
      float b = bias ? bias[oc] : 0.0f;
      size_t i;
      for (i = 0; i < plane; ++i) out[i] = b;
      for (ic = 0; ic < cin_g; ++ic) {
        const float *in = input + ((size_t)n * (size_t)p->c_in +
                                   (size_t)(g * cin_g + ic)) *
                                      (size_t)p->h * (size_t)p->w;
        const float *wk = weights + (((size_t)oc * (size_t)cin_g + (size_t)ic) *
                                     (size_t)p->kh * (size_t)p->kw);
        for (ky = 0; ky < p->kh; ++ky) {
          for (kx = 0; kx < p->kw; ++kx) {
            float wv = wk[ky * p->kw + kx];
            int32_t xoff = kx * p->dilation[1] - p->pad[1];
            int32_t lo, hi;
            valid_range(xoff, p->stride[1], p->w, ow, &lo, &hi);
            for (oy = 0; oy < oh; ++oy) {
              int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
              const float *row;
              float *orow;
              if (iy < 0 || iy >= p->h) continue;
              row = in + (size_t)iy * (size_t)p->w;
              orow = out + (size_t)oy * (size_t)ow;
              if (p->stride[1] == 1) {
                for (ox = lo; ox < hi; ++ox) orow[ox] += wv * row[ox + xoff];
              } else {
                for (ox = lo; ox < hi; ++ox)
                  orow[ox] += wv * row[ox * p->stride[1] + xoff];
              }
            }
          }
        }
      }
      if (p->act != SPX_RT_ACT_NONE)
        for (i = 0; i < plane; ++i) out[i] = spx_k_act_f32(out[i], p->act);
    }
  }
  return SPX_RT_OK;
}

size_t spx_rt_conv2d_s8_get_buffer_size(const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  size_t k;
  if (!p || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK) return 0;
  if (p->c_in / p->groups == 1) /* depthwise: one int32 output row */
    return (size_t)ow * sizeof(int32_t);
  k = (size_t)(p->c_in / p->groups) * (size_t)p->kh * (size_t)p->kw;
  return (size_t)p->c_out * sizeof(int32_t) + (size_t)SPX_CONV_TILE * k;
}

static spx_rt_status_t conv2d_s8_depthwise(const spx_rt_conv2d_params_t *p,
                                           const spx_rt_requant_pc_t *q,
                                           int32_t oh, int32_t ow,
                                           const int8_t *input,
                                           const int8_t *weights,
                                           const int32_t *bias, int8_t *output,
                                           int32_t *acc) {
  const int32_t cout_g = p->c_out / p->groups;
  const int32_t zin = q->in_zero_point;
  int32_t n, oc, oy, ky, kx, ox;
  for (n = 0; n < p->n; ++n) {
    for (oc = 0; oc < p->c_out; ++oc) {
      const int8_t *in = input + ((size_t)n * (size_t)p->c_in +
                                  (size_t)(oc / cout_g)) *
                                     (size_t)p->h * (size_t)p->w;
      const int8_t *wk = weights + (size_t)oc * (size_t)p->kh * (size_t)p->kw;
      int8_t *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) *
                                 (size_t)oh * (size_t)ow;
      const int32_t b = bias ? bias[oc] : 0;
      const int32_t mult = q->multiplier[oc];
      const int shift = (int)q->shift[oc];
      for (oy = 0; oy < oh; ++oy) {
        for (ox = 0; ox < ow; ++ox) acc[ox] = b;
        for (ky = 0; ky < p->kh; ++ky) {
          int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
          const int8_t *row;
          if (iy < 0 || iy >= p->h) continue; /* padding: x - z_in = 0 */
          row = in + (size_t)iy * (size_t)p->w;
          for (kx = 0; kx < p->kw; ++kx) {
            int32_t wv = wk[ky * p->kw + kx];
            int32_t xoff = kx * p->dilation[1] - p->pad[1];
            int32_t lo, hi;
            valid_range(xoff, p->stride[1], p->w, ow, &lo, &hi);
            if (p->stride[1] == 1) {
              const int8_t *r = row + lo + xoff; /* in bounds: lo + xoff >= 0 */
              int32_t *a = acc + lo;
              int32_t len = hi - lo, i = 0, j;
              /* blocks of 16 so that gcc vectorizes at -O2 */
              for (; i + 16 <= len; i += 16)
                for (j = 0; j < 16; ++j) a[i + j] += wv * ((int32_t)r[i + j] - zin);
              for (; i < len; ++i) a[i] += wv * ((int32_t)r[i] - zin);
            } else {
              for (ox = lo; ox < hi; ++ox)
                acc[ox] += wv * ((int32_t)row[ox * p->stride[1] + xoff] - zin);
            }
          }
        }
        for (ox = 0; ox < ow; ++ox)
          out[(size_t)oy * (size_t)ow + (size_t)ox] = spx_k_clamp_s8(
              q->out_zero_point + spx_k_mbqm(acc[ox], mult, shift), q->act_min,
              q->act_max);
      }
    }
  }
  return SPX_RT_OK;
}

/* im2col of `count` output pixels starting at pixel index p0 of one group:
 * col[j * k + (ic * kh + ky) * kw + kx], padding filled with z_in. */
static void im2col_s8(const spx_rt_conv2d_params_t *p, int32_t ow,
                      const int8_t *in_g, int32_t cin_g, int32_t p0,
                      int32_t count, int8_t zin, int8_t *col) {
  const size_t k = (size_t)cin_g * (size_t)p->kh * (size_t)p->kw;
  const size_t hw = (size_t)p->h * (size_t)p->w;
  int32_t j, ic, ky, kx;
  for (j = 0; j < count; ++j) {
    int32_t oy = (p0 + j) / ow, ox = (p0 + j) % ow;
    int32_t iy0 = oy * p->stride[0] - p->pad[0];
    int32_t ix0 = ox * p->stride[1] - p->pad[1];
    int8_t *c = col + (size_t)j * k;
    int inside = iy0 >= 0 && ix0 >= 0 &&
                 iy0 + (p->kh - 1) * p->dilation[0] < p->h &&
                 ix0 + (p->kw - 1) * p->dilation[1] < p->w;
    for (ic = 0; ic < cin_g; ++ic) {
      const int8_t *plane = in_g + (size_t)ic * hw;
      for (ky = 0; ky < p->kh; ++ky) {
        int32_t iy = iy0 + ky * p->dilation[0];
        if (inside) {
          const int8_t *row = plane + (size_t)iy * (size_t)p->w;
          if (p->dilation[1] == 1) {
            memcpy(c, row + ix0, (size_t)p->kw);
            c += p->kw;
          } else {
            for (kx = 0; kx < p->kw; ++kx) *c++ = row[ix0 + kx * p->dilation[1]];
          }
          continue;
        }
        for (kx = 0; kx < p->kw; ++kx) {
          int32_t ix = ix0 + kx * p->dilation[1];
          *c++ = (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w)
                     ? zin
                     : plane[(size_t)iy * (size_t)p->w + (size_t)ix];
        }
      }
    }
  }
}

spx_rt_status_t spx_rt_conv2d_s8(const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q,
                                 const int8_t *input, const int8_t *weights,
                                 const int32_t *bias, int8_t *output,
                                 void *scratch, size_t scratch_size) {
  int32_t oh, ow, n, g, oc, p0, j;
  int32_t cin_g, cout_g;
  size_t k, plane;
  int32_t *wsum;
  int8_t *col;
  spx_rt_status_t st;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  st = spx_rt_conv2d_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  if (!scratch || scratch_size < spx_rt_conv2d_s8_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  cin_g = p->c_in / p->groups;
  cout_g = p->c_out / p->groups;
  if (cin_g == 1)
    return conv2d_s8_depthwise(p, q, oh, ow, input, weights, bias, output,
                               (int32_t *)scratch);

  k = (size_t)cin_g * (size_t)p->kh * (size_t)p->kw;
  plane = (size_t)oh * (size_t)ow;
  wsum = (int32_t *)scratch;
  col = (int8_t *)(wsum + p->c_out);
  for (oc = 0; oc < p->c_out; ++oc) {
    int32_t s = spx_k_sum_s8(weights + (size_t)oc * k, k);
    /* bias - z_in * sum(w): the constant part of every accumulator */
    wsum[oc] = (bias ? bias[oc] : 0) - q->in_zero_point * s;
  }
  for (n = 0; n < p->n; ++n) {
    for (g = 0; g < p->groups; ++g) {
      const int8_t *in_g = input + ((size_t)n * (size_t)p->c_in +
                                    (size_t)g * (size_t)cin_g) *
                                       (size_t)p->h * (size_t)p->w;
      for (p0 = 0; p0 < (int32_t)plane; p0 += SPX_CONV_TILE) {
        int32_t count = (int32_t)plane - p0;
        if (count > SPX_CONV_TILE) count = SPX_CONV_TILE;
        im2col_s8(p, ow, in_g, cin_g, p0, count, (int8_t)q->in_zero_point, col);
        for (oc = g * cout_g; oc < (g + 1) * cout_g; ++oc) {
          const int8_t *wr = weights + (size_t)oc * k;
          const int32_t c0 = wsum[oc], mult = q->multiplier[oc];
          const int shift = (int)q->shift[oc];
          int8_t *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * plane +
                        (size_t)p0;
          for (j = 0; j < count; j += 4) {
            int32_t acc[4];
            int32_t m = count - j < 4 ? count - j : 4, t;
            /* rows past the tile end reuse row j; their results are dropped */
            const int8_t *b0 = col + (size_t)j * k;
            spx_k_dot_s8_1x4(wr, b0, m > 1 ? b0 + k : b0, m > 2 ? b0 + 2 * k : b0,
                    m > 3 ? b0 + 3 * k : b0, k, acc);
            for (t = 0; t < m; ++t)
              out[j + t] = spx_k_clamp_s8(
                  q->out_zero_point + spx_k_mbqm(acc[t] + c0, mult, shift),
                  q->act_min, q->act_max);
          }
        }
      }
    }
  }
  return SPX_RT_OK;
}
