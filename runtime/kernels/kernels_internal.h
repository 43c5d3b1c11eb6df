/* kernels_internal.h - private helpers shared by the kernel sources.
 *
 * The requantization primitives are static inline here so that inner loops
 * inline them; spx_requant.c exports the same arithmetic as spx_rt_srdhm,
 * spx_rt_rdbypot and spx_rt_mbqm. Arithmetic right shifts of negative
 * numbers are assumed (as in TFLite/gemmlowp; true for gcc and clang). */
#ifndef SPX_KERNELS_INTERNAL_H
#define SPX_KERNELS_INTERNAL_H

#include "runtime/kernels/spx_kernels.h"

/* 1 where the x86 paths (AVX2, AVX-512 VNNI) are compiled: gcc or clang on
 * x86-64, functions built with target attributes (no -march needed). */
#ifndef SPX_K_X86 /* kernels_fixed.h sets it from the compiler's macros */
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define SPX_K_X86 1
#else
#define SPX_K_X86 0
#endif
#endif
/* The path of the int8 kernels: chosen at run time (spx_isa.c), or fixed at
 * compile time (kernels_fixed.h). */
#ifndef SPX_K_ISA
#define SPX_K_ISA() spx_rt_kernels_isa()
#endif

static inline int32_t spx_k_srdhm(int32_t a, int32_t b) {
  int64_t ab, nudge;
  if (a == b && a == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  /* C division truncates toward zero, as in gemmlowp. */
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* Rounding divide by 2^exponent, 0 <= exponent <= 31 (requantization:
 * the stream's shifts are in [-31, 30]). */
static inline int32_t spx_k_rdbypot(int32_t x, int exponent) {
  int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* The same for any exponent >= 0 (int8 softmax, whose exponent grows with
 * the row's sum of exponentials). An int32 shift by 32 or more is
 * undefined, and x86 masked it: rows whose exponentials sum to 512 or more
 * came out near 1.0. Past 31, |x| / 2^exponent <= 1/2, so the result is 0,
 * or -1 for INT32_MIN / 2^32; the rounding is done in 64 bits. */
static inline int32_t spx_k_rdbypot_wide(int32_t x, int exponent) {
  if (exponent <= 31) return spx_k_rdbypot(x, exponent);
  int64_t mask64 = exponent > 62 ? INT64_MAX : ((int64_t)1 << exponent) - 1;
  int64_t rem = (int64_t)x & mask64, thr = (mask64 >> 1) + (x < 0 ? 1 : 0);
  return (int32_t)((x < 0 ? -1 : 0) + (rem > thr ? 1 : 0));
}

static inline int32_t spx_k_mbqm(int32_t x, int32_t mult, int shift) {
  if (shift > 0) {
    int64_t v = (int64_t)x * ((int64_t)1 << shift);
    if (v > INT32_MAX) v = INT32_MAX;
    if (v < INT32_MIN) v = INT32_MIN;
    return spx_k_srdhm((int32_t)v, mult);
  }
  return spx_k_rdbypot(spx_k_srdhm(x, mult), -shift);
}

static inline int8_t spx_k_clamp_s8(int32_t v, int32_t lo, int32_t hi) {
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int8_t)v;
}

/* The output stage of an int8 conv2d/dense channel: acc is the int32
 * pre-activation (the products, their zero-point correction and the bias).
 * An empty range lo > hi is the fused sign (spx_rt_act_range_s8 gives
 * [1, -1]): +1 where acc >= 0, else -1, without requantizing. */
static inline int8_t spx_k_out_s8(int32_t acc, int32_t zp, int32_t mult, int shift,
                                  int32_t lo, int32_t hi) {
  if (lo > hi) return (int8_t)(acc >= 0 ? lo : hi);
  return spx_k_clamp_s8(zp + spx_k_mbqm(acc, mult, shift), lo, hi);
}

static inline float spx_k_act_f32(float v, spx_rt_act_t act) {
  if (act == SPX_RT_ACT_NONE) return v;
  if (act == SPX_RT_ACT_SIGN) return v >= 0.0f ? 1.0f : -1.0f; /* NaN -> -1 */
  if (v < 0.0f) v = 0.0f;
  if (act == SPX_RT_ACT_RELU6 && v > 6.0f) v = 6.0f;
  return v;
}

/* Range [lo, hi) of output columns whose input column ox*s + off lies in
 * [0, w). */
static inline void spx_k_valid_range(int32_t off, int32_t s, int32_t w, int32_t out_w,
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

/* int8 dot products (spx_dense.c): out[j] = sum_i a[i] * bj[i], four rows
 * at a time; and sum_i a[i]. Written in blocks of 16 lanes so that compilers
 * vectorize them at -O2 (gcc's cheap cost model does not vectorize a loop
 * that needs a scalar epilogue). */
void spx_k_dot_s8_1x4(const int8_t *a, const int8_t *b0, const int8_t *b1,
                      const int8_t *b2, const int8_t *b3, size_t k,
                      int32_t out[4]);
int32_t spx_k_sum_s8(const int8_t *a, size_t k);

/* The register-blocked int8 conv2d / dense of the dense int8 and CBR
 * formats (spx_fast_s8.c), for spx_matmul_s8.c: the scratch bytes they
 * need, 0 for the layers they do not take (conv: strides up to 8, not depthwise;
 * depthwise: any stride, up to 64 taps, plain int8 or row_taps formats; other formats); and the kernels, on weights the driver opened and
 * scratch of that size (any alignment). */
struct spx_fmt_desc;
struct spx_fmt_weights;
size_t spx_k_fast_conv_size(const struct spx_fmt_desc *f, const spx_rt_conv2d_params_t *p,
                            int32_t oh, int32_t ow);
spx_rt_status_t spx_k_fast_conv(const struct spx_fmt_weights *w,
                                const spx_rt_conv2d_params_t *p,
                                const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                const int8_t *input, const int32_t *bias, int8_t *output,
                                void *scratch);
/* The dense format's stride-1 conv weights packed once (prepared models,
 * runtime/device) in the layout spx_k_fast_conv makes of them per call:
 * the bytes it takes (0: a layer spx_k_fast_conv does not take), the
 * packing (packed: that many bytes), and spx_k_fast_conv on them (w: the
 * dense int8 weights they were packed from, for the row sums) plus a
 * residual (NULL: none; its row sums replace w's). */
size_t spx_k_fast_conv_packed_size(const spx_rt_conv2d_params_t *p, int32_t oh, int32_t ow);
void spx_k_fast_conv_pack(const spx_rt_conv2d_params_t *p, int32_t oh, int32_t ow,
                          const int8_t *weights, void *packed);
spx_rt_status_t spx_k_fast_conv_packed(const struct spx_fmt_weights *w,
                                       const spx_rt_conv2d_params_t *p,
                                       const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                       const int8_t *input, const int32_t *bias,
                                       int8_t *output, void *scratch, const void *packed,
                                       const spx_rt_s8_residual_t *residual);
size_t spx_k_fast_dw_size(const struct spx_fmt_desc *f, const spx_rt_conv2d_params_t *p,
                          int32_t oh, int32_t ow);
spx_rt_status_t spx_k_fast_dw(const struct spx_fmt_weights *w, const spx_rt_conv2d_params_t *p,
                              const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                              const int8_t *input, const int32_t *bias, int8_t *output,
                              void *scratch);
size_t spx_k_fast_dense_size(const struct spx_fmt_desc *f, const spx_rt_dense_params_t *p);
spx_rt_status_t spx_k_fast_dense(const struct spx_fmt_weights *w,
                                 const spx_rt_dense_params_t *p,
                                 const spx_rt_requant_pc_t *q, const int8_t *input,
                                 const int32_t *bias, int8_t *output, void *scratch,
                                 const void *packed, const spx_rt_s8_residual_t *residual);
/* Dense weights packed once for the fast dense path (0 bytes: the current
 * instruction-set path takes none). */
size_t spx_k_fast_dense_packed_size(const spx_rt_dense_params_t *p);
void spx_k_fast_dense_pack(const spx_rt_dense_params_t *p, const int8_t *weights, void *packed);

/* int8 add on the instruction-set path (spx_fast_s8.c): spx_rt_add_s8's
 * bytes, 1 if it ran, 0 for a path or parameters it does not take (the
 * caller then runs spx_rt_add_s8). */
int spx_k_fast_add_s8(size_t count, const spx_rt_add_s8_params_t *p, const int8_t *a,
                      const int8_t *b, int8_t *output);

/* int8 requantization (relu, relu6) on the instruction-set path
 * (spx_fast_s8.c): spx_rt_requantize_s8's bytes, 1 if it ran, 0 where it
 * does not take the path or the parameters. */
int spx_k_fast_requant_s8(size_t count, const spx_rt_requant_t *rq, const int8_t *input,
                          int8_t *output);

/* A build for size (-Os: firmware): kernels keep their smallest form (no
 * per-byte tables, no separable pools). */
#if defined(__OPTIMIZE_SIZE__)
#define SPX_K_SIZE_BUILD 1
#else
#define SPX_K_SIZE_BUILD 0
#endif

/* gemmlowp fixed point helpers (spx_fixedpoint.c). */
int32_t spx_k_exp_on_negative_values(int32_t a, int integer_bits);
int32_t spx_k_one_over_one_plus_x_for_x_in_0_1(int32_t a);
int32_t spx_k_logistic(int32_t a, int integer_bits);
int32_t spx_k_get_reciprocal(int32_t x, int x_integer_digits,
                             int *num_bits_over_unit);
int32_t spx_k_calculate_input_radius(int input_integer_bits,
                                     int input_left_shift);

#endif /* SPX_KERNELS_INTERNAL_H */
