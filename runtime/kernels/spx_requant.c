/* spx_requant.c - quantized multipliers, requantization and the parameter
 * set-up of the int8 kernels (the host-side arithmetic the compiler uses). */
#include <math.h>

#include "runtime/kernels/kernels_internal.h"

void spx_rt_quantize_multiplier(double real, int32_t *out_mult, int *out_shift) {
  int shift = 0;
  double q;
  int64_t q_fixed;
  *out_mult = 0;
  *out_shift = 0;
  if (!(real > 0.0)) return; /* 0, negative or NaN */
  q = frexp(real, &shift);   /* real = q * 2^shift, q in [0.5, 1) */
  q_fixed = (int64_t)round(q * (double)((int64_t)1 << 31));
  if (q_fixed == ((int64_t)1 << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  if (shift > 30) {
    shift = 30;
    q_fixed = ((int64_t)1 << 31) - 1;
  }
  *out_mult = (int32_t)q_fixed;
  *out_shift = shift;
}

int32_t spx_rt_srdhm(int32_t a, int32_t b) { return spx_k_srdhm(a, b); }
int32_t spx_rt_rdbypot(int32_t x, int exponent) { return spx_k_rdbypot_wide(x, exponent); }
int32_t spx_rt_mbqm(int32_t x, int32_t mult, int shift) { return spx_k_mbqm(x, mult, shift); }

static int32_t quantize_real(double v, spx_rt_quant_t q) {
  double r = (double)q.zero_point + round(v / (double)q.scale);
  if (r < -128.0) return -128;
  if (r > 127.0) return 127;
  return (int32_t)r;
}

void spx_rt_act_range_s8(spx_rt_act_t act, spx_rt_quant_t out,
                         int32_t *out_min, int32_t *out_max) {
  int32_t lo = -128, hi = 127;
  if (act == SPX_RT_ACT_SIGN) { /* the empty range: the sign output stage */
    *out_min = 1;
    *out_max = -1;
    return;
  }
  if (act == SPX_RT_ACT_RELU || act == SPX_RT_ACT_RELU6) {
    int32_t z = quantize_real(0.0, out);
    if (z > lo) lo = z;
  }
  if (act == SPX_RT_ACT_RELU6) {
    int32_t six = quantize_real(6.0, out);
    if (six < hi) hi = six;
  }
  *out_min = lo;
  *out_max = hi;
}

void spx_rt_requant_init(spx_rt_requant_t *rq, spx_rt_quant_t in,
                         spx_rt_quant_t out, spx_rt_act_t act) {
  int shift;
  rq->in_zero_point = in.zero_point;
  rq->out_zero_point = out.zero_point;
  spx_rt_quantize_multiplier((double)in.scale / (double)out.scale,
                             &rq->multiplier, &shift);
  rq->shift = shift;
  spx_rt_act_range_s8(act, out, &rq->act_min, &rq->act_max);
}

void spx_rt_global_avgpool_s8_init(spx_rt_requant_t *rq, int32_t hw,
                                   spx_rt_quant_t in, spx_rt_quant_t out) {
  int shift;
  rq->in_zero_point = in.zero_point;
  rq->out_zero_point = out.zero_point;
  spx_rt_quantize_multiplier(
      (double)in.scale / ((double)out.scale * (double)(hw > 0 ? hw : 1)),
      &rq->multiplier, &shift);
  rq->shift = shift;
  rq->act_min = -128;
  rq->act_max = 127;
}

void spx_rt_add_s8_init(spx_rt_add_s8_params_t *p, spx_rt_quant_t a,
                        spx_rt_quant_t b, spx_rt_quant_t out, spx_rt_act_t act) {
  double sa = (double)a.scale, sb = (double)b.scale;
  double twice_max = 2.0 * (sa > sb ? sa : sb);
  int shift;
  p->a_zero_point = a.zero_point;
  p->b_zero_point = b.zero_point;
  p->out_zero_point = out.zero_point;
  p->left_shift = 20;
  spx_rt_quantize_multiplier(sa / twice_max, &p->a_multiplier, &shift);
  p->a_shift = shift;
  spx_rt_quantize_multiplier(sb / twice_max, &p->b_multiplier, &shift);
  p->b_shift = shift;
  spx_rt_quantize_multiplier(
      twice_max / ((double)((int64_t)1 << p->left_shift) * (double)out.scale),
      &p->out_multiplier, &shift);
  p->out_shift = shift;
  spx_rt_act_range_s8(act, out, &p->act_min, &p->act_max);
}

/* TFLite CalculateInputRadius(input_integer_bits, input_left_shift, 31). */
int32_t spx_k_calculate_input_radius(int input_integer_bits,
                                     int input_left_shift) {
  double max_input_rescaled =
      1.0 * (double)((1 << input_integer_bits) - 1) *
      (double)((int64_t)1 << (31 - input_integer_bits)) /
      (double)((int64_t)1 << input_left_shift);
  return (int32_t)floor(max_input_rescaled);
}

void spx_rt_sigmoid_s8_init(spx_rt_sigmoid_s8_params_t *p, spx_rt_quant_t in) {
  /* Input rescaled to Q4.27 (4 integer bits), as TFLite's int8 Logistic. */
  double real = (double)in.scale * (double)((int64_t)1 << (31 - 4));
  int shift;
  spx_rt_quantize_multiplier(real, &p->input_multiplier, &shift);
  if (shift < 0) { /* TFLite asserts shift >= 0; tiny scales: no rescale */
    shift = 0;
  }
  p->input_left_shift = shift;
  p->in_zero_point = in.zero_point;
  p->input_range_radius = spx_k_calculate_input_radius(4, shift);
}

void spx_rt_softmax_s8_init(spx_rt_softmax_s8_params_t *p, spx_rt_quant_t in,
                            double beta) {
  /* TFLite PreprocessSoftmaxScaling with 5 integer bits for the scaled diff. */
  double real = beta * (double)in.scale * (double)((int64_t)1 << (31 - 5));
  double cap = (double)(((int64_t)1 << 31) - 1);
  int shift;
  if (real > cap) real = cap;
  spx_rt_quantize_multiplier(real, &p->input_multiplier, &shift);
  if (shift < 0) shift = 0;
  p->input_left_shift = shift;
  p->diff_min = -spx_k_calculate_input_radius(5, shift);
}
