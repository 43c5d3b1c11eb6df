/* spx_conv.c - conv2d output size and the f32 reference conv2d (the int8
 * conv2d of every weight format is spx_matmul_s8.c).
 *
 * f32 uses direct loops that accumulate whole output rows: for each tap,
 * out[oy][ox] += w * in[iy][ix] over the range of ox whose ix is inside the
 * image, so inner loops have no branches and, at stride 1, run over
 * contiguous memory. */
#include "runtime/kernels/kernels_internal.h"

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
            spx_k_valid_range(xoff, p->stride[1], p->w, ow, &lo, &hi);
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
