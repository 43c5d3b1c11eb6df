/* spx_concat.c - concat (f32 copy, int8 copy or requantization), reshape and
 * flatten (row-major copies). */
#include <string.h>

#include "runtime/kernels/kernels_internal.h"

/* Checks p and computes outer (product of dims before axis) and inner
 * (product after axis) sizes. */
static spx_rt_status_t concat_sizes(const spx_rt_concat_params_t *p,
                                    size_t *outer, size_t *inner) {
  int32_t i, sum = 0;
  if (!p || !p->axis_dims || p->count <= 0) return SPX_RT_ERR_ARG;
  if (p->rank < 1 || p->rank > 6 || p->axis < 0 || p->axis >= p->rank)
    return SPX_RT_ERR_SHAPE;
  *outer = 1;
  *inner = 1;
  for (i = 0; i < p->rank; ++i) {
    if (p->dims[i] <= 0) return SPX_RT_ERR_SHAPE;
    if (i < p->axis) *outer *= (size_t)p->dims[i];
    if (i > p->axis) *inner *= (size_t)p->dims[i];
  }
  for (i = 0; i < p->count; ++i) {
    if (p->axis_dims[i] < 0) return SPX_RT_ERR_SHAPE;
    sum += p->axis_dims[i];
  }
  return sum == p->dims[p->axis] ? SPX_RT_OK : SPX_RT_ERR_SHAPE;
}

spx_rt_status_t spx_rt_concat_f32(const spx_rt_concat_params_t *p,
                                  const float *const *inputs, float *output) {
  size_t outer, inner, o;
  int32_t i;
  spx_rt_status_t st;
  if (!inputs || !output) return SPX_RT_ERR_ARG;
  st = concat_sizes(p, &outer, &inner);
  if (st != SPX_RT_OK) return st;
  for (o = 0; o < outer; ++o) {
    float *dst = output + o * (size_t)p->dims[p->axis] * inner;
    for (i = 0; i < p->count; ++i) {
      size_t len = (size_t)p->axis_dims[i] * inner;
      if (!inputs[i]) return SPX_RT_ERR_ARG;
      memcpy(dst, inputs[i] + o * len, len * sizeof(float));
      dst += len;
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_concat_s8(const spx_rt_concat_params_t *p,
                                 const spx_rt_requant_t *rq,
                                 const int8_t *const *inputs, int8_t *output) {
  size_t outer, inner, o;
  int32_t i;
  spx_rt_status_t st;
  if (!inputs || !output) return SPX_RT_ERR_ARG;
  st = concat_sizes(p, &outer, &inner);
  if (st != SPX_RT_OK) return st;
  for (o = 0; o < outer; ++o) {
    int8_t *dst = output + o * (size_t)p->dims[p->axis] * inner;
    for (i = 0; i < p->count; ++i) {
      size_t len = (size_t)p->axis_dims[i] * inner;
      if (!inputs[i]) return SPX_RT_ERR_ARG;
      if (rq)
        spx_rt_requantize_s8(len, &rq[i], inputs[i] + o * len, dst);
      else
        memcpy(dst, inputs[i] + o * len, len);
      dst += len;
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_reshape(size_t nbytes, const void *input, void *output) {
  if (!input || !output) return SPX_RT_ERR_ARG;
  if (input != output) memmove(output, input, nbytes);
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_flatten(size_t nbytes, const void *input, void *output) {
  return spx_rt_reshape(nbytes, input, output);
}
