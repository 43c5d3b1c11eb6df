/* spx_fixedpoint.c - the gemmlowp fixed-point transcendental functions that
 * the int8 sigmoid and softmax use (gemmlowp/fixedpoint/fixedpoint.h), on
 * raw int32 values. A FixedPoint<int32, I> holds value raw / 2^(31 - I).
 * Integer arithmetic only, so results are the same on every build. */
#include "runtime/kernels/kernels_internal.h"

/* Product of two fixed-point numbers: integer bits add up. */
static int32_t fp_mul(int32_t a, int32_t b) { return spx_k_srdhm(a, b); }

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent>. */
static int32_t fp_mul_pot(int32_t x, int exponent) {
  if (exponent > 0) {
    int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
  }
  if (exponent < 0) return spx_k_rdbypot(x, -exponent);
  return x;
}

/* Rescale from src to dst integer bits. */
static int32_t fp_rescale(int32_t x, int src_bits, int dst_bits) {
  return fp_mul_pot(x, src_bits - dst_bits);
}

/* exp(a) for a in [-1/4, 0), a and result with 0 integer bits. */
static int32_t exp_on_interval_m14_0(int32_t a) {
  const int32_t constant_term = 1895147668;   /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883;
  int32_t x = a + (1 << 28);                   /* a + 1/8 */
  int32_t x2 = fp_mul(x, x);
  int32_t x3 = fp_mul(x2, x);
  int32_t x4 = fp_mul(x2, x2);
  int32_t x4_over_4 = fp_mul_pot(x4, -2);
  int32_t poly = fp_mul_pot(fp_mul(x4_over_4 + x3, constant_1_over_3) + x2, -1);
  return constant_term + fp_mul(constant_term, x + poly);
}

int32_t spx_k_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t multipliers[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1) */
      290630308,  /* exp(-2) */
      39332535,   /* exp(-4) */
      720401,     /* exp(-8) */
      242         /* exp(-16) */
  };
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  int32_t result =
      exp_on_interval_m14_0(fp_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  int e;
  for (e = -2; e <= 4; ++e) {
    if (integer_bits > e) {
      int shift_amount = fractional_bits + e;
      if (remainder & (int32_t)((uint32_t)1 << shift_amount))
        result = fp_mul(result, multipliers[e + 2]);
    }
  }
  if (integer_bits > 5) {
    int32_t clamp = -((int32_t)1 << (36 - integer_bits)); /* -32.0 */
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX; /* One() with 0 integer bits */
  return result;
}

int32_t spx_k_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  /* Newton-Raphson on half the denominator, in Q2.29. */
  int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
  int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  const int32_t f2_one = (int32_t)1 << 29;
  int32_t x = constant_48_over_17 + fp_mul(half_denominator, constant_neg_32_over_17);
  int i;
  for (i = 0; i < 3; i++) {
    int32_t half_denominator_times_x = fp_mul(half_denominator, x);
    int32_t one_minus = f2_one - half_denominator_times_x;
    x = x + fp_rescale(fp_mul(x, one_minus), 4, 2);
  }
  /* ExactMulByPot<-1> then Rescale<0> from 2 integer bits. */
  return fp_rescale(x >> 1, 2, 0);
}

int32_t spx_k_logistic(int32_t a, int integer_bits) {
  int32_t abs_a, pos;
  if (a == 0) return (int32_t)1 << 30; /* 0.5 */
  abs_a = a > 0 ? a : -a;
  pos = spx_k_one_over_one_plus_x_for_x_in_0_1(
      spx_k_exp_on_negative_values(-abs_a, integer_bits));
  return a > 0 ? pos : INT32_MAX - pos;
}

static int count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

int32_t spx_k_get_reciprocal(int32_t x, int x_integer_digits,
                             int *num_bits_over_unit) {
  int headroom_plus_one = count_leading_zeros((uint32_t)x);
  uint32_t shifted;
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  shifted = ((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31);
  return spx_k_one_over_one_plus_x_for_x_in_0_1((int32_t)shifted);
}
