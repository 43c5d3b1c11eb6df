/* spx_kernels.h - CPU kernels of libspxrt: f32 reference and int8.
 *
 * Used by generated C, by the CPU device and as the bit-exact reference for
 * every accelerator simulator. The kernels never allocate: a kernel that
 * needs scratch memory has a spx_rt_<op>_<dtype>_get_buffer_size() query and
 * takes a caller-provided buffer (CMSIS-NN style). This header is C99: it is
 * included by generated code compiled with -std=c99 -pedantic.
 *
 * Layouts: activations NCHW (dense: [N, F]); conv weights OIHW with
 * I = C_in / groups; dense weights [units, F]; all row-major, contiguous.
 *
 * int8 numeric contract (docs/numerics.md):
 *   - weights int8 symmetric per output channel, in [-127, 127], zero point 0;
 *   - activations int8 asymmetric per tensor (scale s, zero point z);
 *   - bias int32 with scale s_in * s_w[c], zero point 0;
 *   - acc = bias[c] + sum (x - z_in) * w, in int32;
 *   - out = clamp(z_out + spx_rt_mbqm(acc, M[c], shift[c]), act_min, act_max)
 *     where M is a Q31 multiplier and shift a power of two exponent
 *     (real multiplier = M * 2^(shift - 31)), computed by
 *     spx_rt_quantize_multiplier() from s_in * s_w[c] / s_out. The fused
 *     activation is folded into [act_min, act_max] (spx_rt_act_range_s8).
 * Padding cells of conv and pools hold the real value 0 (= z_in).
 */
#ifndef SPX_KERNELS_H
#define SPX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "../stream/spx_stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status, activation, quantization ---------------------------------- */

/* Fused activations: the values of runtime/stream's SPX_CS_ACTS. */
typedef enum spx_rt_act {
#define SPX_RT_ACT_X_(E, code, text) SPX_RT_ACT_##E = code,
  SPX_CS_ACTS(SPX_RT_ACT_X_)
#undef SPX_RT_ACT_X_
} spx_rt_act_t;

/* Per-tensor quantization of an int8 activation: real = scale * (q - zp). */
typedef struct spx_rt_quant {
  float scale;
  int32_t zero_point;
} spx_rt_quant_t;

/* Splits a real multiplier (>= 0) into a Q31 multiplier and a shift so that
 * real ~= mult * 2^(shift - 31), frexp-based like TFLite QuantizeMultiplier.
 * real == 0 or tiny (shift < -31) gives mult = 0, shift = 0. */
void spx_rt_quantize_multiplier(double real, int32_t *out_mult, int *out_shift);

/* gemmlowp SaturatingRoundingDoublingHighMul: round((a * b) / 2^31),
 * half away from zero, saturating INT32_MIN * INT32_MIN to INT32_MAX. */
int32_t spx_rt_srdhm(int32_t a, int32_t b);
/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero;
 * 0 <= exponent <= 31. */
int32_t spx_rt_rdbypot(int32_t x, int exponent);
/* TFLite MultiplyByQuantizedMultiplier: a positive shift is a left shift of
 * x before spx_rt_srdhm (saturated to int32 here instead of wrapping), a
 * negative one a spx_rt_rdbypot after it. */
int32_t spx_rt_mbqm(int32_t x, int32_t mult, int shift);

/* Folds a fused activation into the int8 output range of a tensor quantized
 * with `out`: NONE -> [-128, 127], RELU -> [zp, 127],
 * RELU6 -> [zp, min(127, zp + round(6 / scale))]; SIGN -> the empty range
 * [1, -1], which the conv2d/dense output stage reads as the sign: out = +1
 * where the int32 pre-activation acc (products with their zero-point
 * correction, plus bias) is >= 0, else -1, with no requantization (the
 * output has scale 1, zero point 0). Only conv2d and dense take it. */
void spx_rt_act_range_s8(spx_rt_act_t act, spx_rt_quant_t out,
                         int32_t *out_min, int32_t *out_max);

/* Output stage of an int8 kernel with per-channel requantization
 * (conv2d, dense): multiplier/shift have one entry per output channel. */
typedef struct spx_rt_requant_pc {
  int32_t in_zero_point;
  int32_t out_zero_point;
  const int32_t *multiplier; /* [channels], Q31 */
  const int32_t *shift;      /* [channels] */
  int32_t act_min;           /* clamp, activation folded in */
  int32_t act_max;
} spx_rt_requant_pc_t;

/* Per-tensor requantization of one int8 tensor into another:
 * out = clamp(out_zp + mbqm(x - in_zp, multiplier, shift), act_min, act_max).
 * The identity is multiplier = 1 << 30, shift = 1. */
typedef struct spx_rt_requant {
  int32_t in_zero_point;
  int32_t out_zero_point;
  int32_t multiplier;
  int32_t shift;
  int32_t act_min;
  int32_t act_max;
} spx_rt_requant_t;

/* Fills a spx_rt_requant_t that maps quantization `in` to `out` with the
 * activation `act` folded into the clamp. */
void spx_rt_requant_init(spx_rt_requant_t *rq, spx_rt_quant_t in,
                         spx_rt_quant_t out, spx_rt_act_t act);

/* ---- conv2d ------------------------------------------------------------- */

typedef struct spx_rt_conv2d_params {
  int32_t n, c_in, h, w;   /* input NCHW */
  int32_t c_out, kh, kw;   /* weights [c_out, c_in / groups, kh, kw] */
  int32_t stride[2];       /* h, w; >= 1 */
  int32_t pad[4];          /* top, left, bottom, right; >= 0 */
  int32_t dilation[2];     /* h, w; >= 1 */
  int32_t groups;          /* divides c_in and c_out; c_in = depthwise */
  spx_rt_act_t act;        /* f32 only; int8 folds it into act_min/max */
} spx_rt_conv2d_params_t;

/* Output height and width of a conv2d; SPX_RT_ERR_SHAPE if not positive or
 * the parameters are inconsistent. */
spx_rt_status_t spx_rt_conv2d_out_dims(const spx_rt_conv2d_params_t *p,
                                       int32_t *out_h, int32_t *out_w);
/* f32 conv2d with optional bias (NULL) and fused activation. */
spx_rt_status_t spx_rt_conv2d_f32(const spx_rt_conv2d_params_t *p,
                                  const float *input, const float *weights,
                                  const float *bias, float *output);
/* Bytes of scratch spx_rt_conv2d_s8 needs for these parameters. int8
 * conv2d and dense are spx_matmul_s8.c's driver over the plain int8 array
 * (the dense format); see "int8 conv2d / dense over any weight format". */
size_t spx_rt_conv2d_s8_get_buffer_size(const spx_rt_conv2d_params_t *p);
/* int8 conv2d; bias int32 [c_out] or NULL; scratch of at least
 * spx_rt_conv2d_s8_get_buffer_size(p) bytes, 4-byte aligned. */
spx_rt_status_t spx_rt_conv2d_s8(const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q,
                                 const int8_t *input, const int8_t *weights,
                                 const int32_t *bias, int8_t *output,
                                 void *scratch, size_t scratch_size);

/* ---- dense -------------------------------------------------------------- */

typedef struct spx_rt_dense_params {
  int32_t n;          /* batch */
  int32_t features;   /* F: input [n, F], weights [units, F] */
  int32_t units;      /* output [n, units] */
  spx_rt_act_t act;   /* f32 only */
} spx_rt_dense_params_t;

/* f32 dense: out = act(x W^T + bias); bias may be NULL. */
spx_rt_status_t spx_rt_dense_f32(const spx_rt_dense_params_t *p,
                                 const float *input, const float *weights,
                                 const float *bias, float *output);
/* Bytes of scratch spx_rt_dense_s8 needs (units * 4). */
size_t spx_rt_dense_s8_get_buffer_size(const spx_rt_dense_params_t *p);
/* int8 dense, per-unit requantization; bias int32 [units] or NULL; scratch
 * of spx_rt_dense_s8_get_buffer_size(p) bytes, 4-byte aligned. */
spx_rt_status_t spx_rt_dense_s8(const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q,
                                const int8_t *input, const int8_t *weights,
                                const int32_t *bias, int8_t *output,
                                void *scratch, size_t scratch_size);

/* ---- elementwise activations ------------------------------------------ */

/* sign: out[i] = +1 where x >= 0, else -1 (sign(0) = +1, NaN -> -1); in
 * place allowed. int8: +1 where q >= in_zero_point (real x >= 0), else -1,
 * the output at scale 1, zero point 0. */
spx_rt_status_t spx_rt_sign_f32(size_t count, const float *input, float *output);
spx_rt_status_t spx_rt_sign_s8(size_t count, int32_t in_zero_point, const int8_t *input,
                               int8_t *output);

/* out[i] = max(x, 0), count elements; in place allowed (output == input). */
spx_rt_status_t spx_rt_relu_f32(size_t count, const float *input, float *output);
/* out[i] = min(max(x, 0), 6); in place allowed. */
spx_rt_status_t spx_rt_relu6_f32(size_t count, const float *input, float *output);
/* out[i] = 1 / (1 + exp(-x)); in place allowed. */
spx_rt_status_t spx_rt_sigmoid_f32(size_t count, const float *input, float *output);
/* Per-tensor requantization with clamp (spx_rt_requant_t); in place allowed.
 * relu and relu6 in int8 are this with act folded in (spx_rt_requant_init). */
spx_rt_status_t spx_rt_requantize_s8(size_t count, const spx_rt_requant_t *rq,
                                     const int8_t *input, int8_t *output);
/* int8 relu: spx_rt_requantize_s8 with rq built for RELU. */
spx_rt_status_t spx_rt_relu_s8(size_t count, const spx_rt_requant_t *rq,
                               const int8_t *input, int8_t *output);
/* int8 relu6: spx_rt_requantize_s8 with rq built for RELU6. */
spx_rt_status_t spx_rt_relu6_s8(size_t count, const spx_rt_requant_t *rq,
                                const int8_t *input, int8_t *output);

/* int8 sigmoid parameters (fixed point, TFLite reference_integer_ops::
 * Logistic): the output is always quantized with scale 1/256, zero point
 * -128. Fill with spx_rt_sigmoid_s8_init from the input quantization. */
typedef struct spx_rt_sigmoid_s8_params {
  int32_t in_zero_point;
  int32_t input_range_radius; /* |x - zp| at or beyond: saturate */
  int32_t input_multiplier;   /* x - zp -> Q4.27 */
  int32_t input_left_shift;
} spx_rt_sigmoid_s8_params_t;

void spx_rt_sigmoid_s8_init(spx_rt_sigmoid_s8_params_t *p, spx_rt_quant_t in);
/* int8 sigmoid in integer arithmetic only (bit-exact everywhere). */
spx_rt_status_t spx_rt_sigmoid_s8(size_t count,
                                  const spx_rt_sigmoid_s8_params_t *p,
                                  const int8_t *input, int8_t *output);

/* ---- pooling ------------------------------------------------------------ */

typedef struct spx_rt_pool_params {
  int32_t n, c, h, w;   /* input NCHW */
  int32_t kh, kw;       /* window */
  int32_t stride[2];    /* h, w */
  int32_t pad[4];       /* top, left, bottom, right */
} spx_rt_pool_params_t;

/* Output height and width of a pool (floor mode); SPX_RT_ERR_SHAPE if not
 * positive. A window made only of padding is not allowed (SHAPE error). */
spx_rt_status_t spx_rt_pool_out_dims(const spx_rt_pool_params_t *p,
                                     int32_t *out_h, int32_t *out_w);
/* Max pooling; padding cells are ignored. */
spx_rt_status_t spx_rt_maxpool_f32(const spx_rt_pool_params_t *p,
                                   const float *input, float *output);
/* Max pooling in int8; input and output share quantization. */
spx_rt_status_t spx_rt_maxpool_s8(const spx_rt_pool_params_t *p,
                                  const int8_t *input, int8_t *output);
/* Average pooling; padding cells are excluded from the count. */
spx_rt_status_t spx_rt_avgpool_f32(const spx_rt_pool_params_t *p,
                                   const float *input, float *output);
/* int8 average pooling, input and output share quantization: the sum of
 * the valid cells divided by their count, rounded half away from zero. */
spx_rt_status_t spx_rt_avgpool_s8(const spx_rt_pool_params_t *p,
                                  const int8_t *input, int8_t *output);
/* Global average pooling [n, c, h, w] -> [n, c, 1, 1]. */
spx_rt_status_t spx_rt_global_avgpool_f32(int32_t n, int32_t c, int32_t hw,
                                          const float *input, float *output);
/* int8 global average pooling: acc = sum (x - z_in) over hw cells, then
 * out = clamp(z_out + mbqm(acc, rq->multiplier, rq->shift)), where the
 * multiplier encodes s_in / (s_out * hw) (spx_rt_global_avgpool_s8_init).
 * |acc| <= 255 * hw in int32: hw is at most SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW
 * (SPX_RT_ERR_RANGE beyond). */
spx_rt_status_t spx_rt_global_avgpool_s8(int32_t n, int32_t c, int32_t hw,
                                         const spx_rt_requant_t *rq,
                                         const int8_t *input, int8_t *output);
/* Fills rq for spx_rt_global_avgpool_s8 over hw cells. */
void spx_rt_global_avgpool_s8_init(spx_rt_requant_t *rq, int32_t hw,
                                   spx_rt_quant_t in, spx_rt_quant_t out);

/* ---- add, concat, copy -------------------------------------------------- */

/* out = act(a + b), count elements; in place allowed. */
spx_rt_status_t spx_rt_add_f32(size_t count, const float *a, const float *b,
                               spx_rt_act_t act, float *output);

/* int8 add with different quantizations (TFLite reference_integer_ops::Add):
 * both inputs are shifted left by left_shift (20), rescaled to a common
 * scale 2 * max(s_a, s_b), summed, and requantized to the output. */
typedef struct spx_rt_add_s8_params {
  int32_t a_zero_point, b_zero_point, out_zero_point;
  int32_t left_shift;
  int32_t a_multiplier, a_shift;
  int32_t b_multiplier, b_shift;
  int32_t out_multiplier, out_shift;
  int32_t act_min, act_max;
} spx_rt_add_s8_params_t;

void spx_rt_add_s8_init(spx_rt_add_s8_params_t *p, spx_rt_quant_t a,
                        spx_rt_quant_t b, spx_rt_quant_t out, spx_rt_act_t act);
spx_rt_status_t spx_rt_add_s8(size_t count, const spx_rt_add_s8_params_t *p,
                              const int8_t *a, const int8_t *b, int8_t *output);

/* Concatenation of `count` tensors of the same rank along `axis`. The shape
 * of input i is dims with dims[axis] replaced by axis_dims[i]. f32 copies;
 * int8 requantizes input i with rq[i] (NULL = all inputs already share the
 * output quantization: plain copy). */
typedef struct spx_rt_concat_params {
  int32_t rank;              /* 1..6 */
  int32_t dims[6];           /* shape of the output */
  int32_t axis;              /* 0 <= axis < rank */
  int32_t count;             /* number of inputs */
  const int32_t *axis_dims;  /* [count]; sum == dims[axis] */
} spx_rt_concat_params_t;

spx_rt_status_t spx_rt_concat_f32(const spx_rt_concat_params_t *p,
                                  const float *const *inputs, float *output);
spx_rt_status_t spx_rt_concat_s8(const spx_rt_concat_params_t *p,
                                 const spx_rt_requant_t *rq,
                                 const int8_t *const *inputs, int8_t *output);

/* flatten and reshape: a row-major copy of nbytes (no-op if output == input). */
spx_rt_status_t spx_rt_reshape(size_t nbytes, const void *input, void *output);
spx_rt_status_t spx_rt_flatten(size_t nbytes, const void *input, void *output);

/* ---- softmax ------------------------------------------------------------ */

/* Softmax along the last axis: rows of `depth` elements, `outer` rows.
 * Max-subtracted, f32 expf; in place allowed. */
spx_rt_status_t spx_rt_softmax_f32(int32_t outer, int32_t depth,
                                   const float *input, float *output);

/* int8 softmax (TFLite reference Softmax for int8, gemmlowp fixed point):
 * output quantized with scale 1/256, zero point -128. Integer arithmetic only,
 * bit-exact everywhere. Fill with spx_rt_softmax_s8_init(beta = 1).
 * A row adds one Q12.19 exponential per value (at most 2^19 each) in int32,
 * so depth is at most SPX_CS_SOFTMAX_S8_MAX_DEPTH (SPX_RT_ERR_RANGE beyond). */
typedef struct spx_rt_softmax_s8_params {
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
} spx_rt_softmax_s8_params_t;

void spx_rt_softmax_s8_init(spx_rt_softmax_s8_params_t *p, spx_rt_quant_t in,
                            double beta);
spx_rt_status_t spx_rt_softmax_s8(int32_t outer, int32_t depth,
                                  const spx_rt_softmax_s8_params_t *p,
                                  const int8_t *input, int8_t *output);

/* ---- batchnorm ---------------------------------------------------------- */

/* Inference batch norm over NCHW: out = (x - mean[c]) / sqrt(var[c] + eps)
 * * gamma[c] + beta[c]. The compiler folds it into conv; this is the f32
 * reference. In place allowed. */
spx_rt_status_t spx_rt_batchnorm_f32(int32_t n, int32_t c, int32_t hw,
                                     const float *gamma, const float *beta,
                                     const float *mean, const float *var,
                                     float eps, const float *input,
                                     float *output);
/* The per-channel affine a batchnorm is, the one rule the compiler folds
 * and lowers batchnorms with: scale[c] = gamma[c] / sqrtf(var[c] + eps),
 * shift[c] = beta[c] - mean[c] * scale[c], in float. */
void spx_rt_batchnorm_affine(int32_t c, const float *gamma, const float *beta,
                             const float *mean, const float *var, float eps,
                             float *scale, float *shift);
/* Per-channel affine over [n][c][inner]: out = in * scale[c] + shift[c], in
 * float (the cpu target's unfolded batchnorm: scale = gamma / sqrtf(var +
 * eps), shift = beta - mean * scale). In place allowed. */
spx_rt_status_t spx_rt_channel_affine_f32(int32_t n, int32_t c, int32_t inner,
                                          const float *scale, const float *shift,
                                          const float *input, float *output);
/* int8 batch norm as a per-channel affine requantization (a depthwise 1x1
 * conv): acc = (x - z_in) * mul[c] + offset[c], out = clamp(z_out +
 * mbqm(acc, M[c], shift[c]), act_min, act_max). mul is int8-range like conv
 * weights, offset int32 with scale s_in * s_mul[c]. In place allowed. */
spx_rt_status_t spx_rt_batchnorm_s8(int32_t n, int32_t c, int32_t hw,
                                    const spx_rt_requant_pc_t *q,
                                    const int32_t *mul, const int32_t *offset,
                                    const int8_t *input, int8_t *output);

/* ---- quantize, dequantize (spx_convert.c) ------------------------------- */

/* f32 -> int8 with the output's quantization q, per element, in float:
 *   v = x / q.scale                      (float division, not x * (1/scale))
 *   r = roundf(v)                        (half away from zero)
 *   out = clamp(r + (float)q.zero_point, -128, 127), converted to int8
 * NaN gives zero_point (real 0); +-inf saturate. q.scale must be finite and
 * > 0 (SPX_RT_ERR_ARG otherwise). */
spx_rt_status_t spx_rt_quantize_f32_s8(size_t count, spx_rt_quant_t q,
                                       const float *input, int8_t *output);
/* int8 -> f32 with the input's quantization q:
 *   real = q.scale * (float)(x - q.zero_point)   (int32 difference, float
 *   product). q.scale must be finite and > 0. */
spx_rt_status_t spx_rt_dequantize_s8_f32(size_t count, spx_rt_quant_t q,
                                         const int8_t *input, float *output);

/* ---- int8 conv2d / dense over any weight format (spx_matmul_s8.c) ----- */

/* One driver runs the int8 conv2d and dense of every weight format of
 * runtime/formats (spx_formats.h: a descriptor, spx_fmt_desc_t, found with
 * spx_fmt_find(encoding)): argument checks, output size, im2col tiles in
 * the layout the format asks for, zero points, bias, per-channel
 * requantization and the activation clamp are the driver's; the format
 * supplies only its structural check (desc->open: a mismatch with p or a
 * malformed encoding gives SPX_RT_ERR_ARG) and the inner product of its
 * weight rows with a tile of columns. The results are bit-identical with
 * spx_rt_conv2d_s8 / spx_rt_dense_s8 on the decoded weights (same
 * acc = sum x * w - z_in * sum w + bias, same requantization). The full
 * check of the bytes (desc->validate) is the caller's, once, at load: a
 * structurally sound but ill-formed encoding computes some value, never
 * reads out of bounds. weights_size 0 is accepted only by the plain dense
 * format (size not known). Weights dims: rows = c_out / units, cols =
 * c_in / groups / features, kh, kw, groups. Scratch: the
 * _get_buffer_size() bytes (0: no kernel or bad parameters), 4-byte
 * aligned. spx_rt_conv2d_s8 and spx_rt_dense_s8 are these with the dense
 * format; every encoded format runs through them with its descriptor
 * (&spx_fmt_desc_CBR, spx_fmt_find(code), ...): there is no entry point per
 * format. */
struct spx_fmt_desc;
size_t spx_rt_conv2d_s8_fmt_get_buffer_size(const struct spx_fmt_desc *fmt,
                                            const spx_rt_conv2d_params_t *p);
spx_rt_status_t spx_rt_conv2d_s8_fmt(const struct spx_fmt_desc *fmt,
                                     const spx_rt_conv2d_params_t *p,
                                     const spx_rt_requant_pc_t *q,
                                     const int8_t *input, const void *weights,
                                     size_t weights_size, const int32_t *bias,
                                     int8_t *output, void *scratch,
                                     size_t scratch_size);
/* Decoded weights for a caller that runs a layer many times (a prepared
 * model, runtime/device): dense int8 OIHW weights w8, optionally with a
 * sparse residual, so that the layer's exact weights are w8 + residual
 * (weights beyond int8: BBS zero-point shifting gives up to 144; w8 holds
 * them clamped, the residual the rest). The accumulator is
 * sum (w8 + residual) * (x - z_in) + bias, as the format's own dot. */
typedef struct spx_rt_s8_residual {
  const int32_t *row_sums; /* [rows]: sum of each row's exact weights */
  const uint32_t *row_ptr; /* [rows + 1]: row r's entries row_ptr[r] .. */
  const uint32_t *index;   /* [nnz]: index in the row, OIHW order */
  const int8_t *value;     /* [nnz]: exact weight - w8 */
} spx_rt_s8_residual_t;

/* Weights packed once: the stride-1 conv's register-blocked kernel
 * otherwise repacks them on every call, and the dense layer's AVX-512 path
 * reads them as one stream with their row sums made once. _packed_size:
 * the bytes of the packing, 0 when the layer does not take one (p invalid,
 * or a layer or instruction-set path that kernel does not run: a strided or
 * depthwise conv, a dense layer off AVX-512); _pack: writes it (packed_size
 * >= that; SPX_RT_ERR_ARG when 0). spx_rt_conv2d_s8_packed =
 * spx_rt_conv2d_s8 and spx_rt_dense_s8_packed = spx_rt_dense_s8 (same
 * bytes out) on weights w8, their packing for the same p (NULL: none) and
 * a residual (NULL: none), with _packed_get_buffer_size bytes of scratch. */
size_t spx_rt_conv2d_s8_packed_size(const spx_rt_conv2d_params_t *p);
spx_rt_status_t spx_rt_conv2d_s8_pack(const spx_rt_conv2d_params_t *p, const int8_t *weights,
                                      void *packed, size_t packed_size);
size_t spx_rt_conv2d_s8_packed_get_buffer_size(const spx_rt_conv2d_params_t *p, int residual);
spx_rt_status_t spx_rt_conv2d_s8_packed(const spx_rt_conv2d_params_t *p,
                                        const spx_rt_requant_pc_t *q, const int8_t *input,
                                        const int8_t *weights, const void *packed,
                                        const spx_rt_s8_residual_t *residual,
                                        const int32_t *bias, int8_t *output, void *scratch,
                                        size_t scratch_size);
size_t spx_rt_dense_s8_packed_size(const spx_rt_dense_params_t *p);
spx_rt_status_t spx_rt_dense_s8_pack(const spx_rt_dense_params_t *p, const int8_t *weights,
                                     void *packed, size_t packed_size);
size_t spx_rt_dense_s8_packed_get_buffer_size(const spx_rt_dense_params_t *p);
spx_rt_status_t spx_rt_dense_s8_packed(const spx_rt_dense_params_t *p,
                                       const spx_rt_requant_pc_t *q, const int8_t *input,
                                       const int8_t *weights, const void *packed,
                                       const spx_rt_s8_residual_t *residual,
                                       const int32_t *bias, int8_t *output, void *scratch,
                                       size_t scratch_size);
size_t spx_rt_dense_s8_fmt_get_buffer_size(const struct spx_fmt_desc *fmt,
                                           const spx_rt_dense_params_t *p);
spx_rt_status_t spx_rt_dense_s8_fmt(const struct spx_fmt_desc *fmt,
                                    const spx_rt_dense_params_t *p,
                                    const spx_rt_requant_pc_t *q,
                                    const int8_t *input, const void *weights,
                                    size_t weights_size, const int32_t *bias,
                                    int8_t *output, void *scratch,
                                    size_t scratch_size);

/* Encoded weights that the register-blocked kernels run from their own
 * bytes (CBR) have those kernels sum each output row's weights on every
 * call; a caller that runs a layer many times makes the sums once.
 * _fmt_packed_size: the bytes of that packing (0: the format or the layer
 * takes none: the plain array has the packing above, a depthwise conv
 * needs no sums); _fmt_pack: makes it from the
 * layer's weights (opened as _fmt opens them; packed 4-byte aligned);
 * _fmt_packed: = _fmt, the same bytes out, with the packing made from the
 * same weights for the same p (NULL: none), scratch as _fmt's. */
size_t spx_rt_conv2d_s8_fmt_packed_size(const struct spx_fmt_desc *fmt,
                                        const spx_rt_conv2d_params_t *p);
spx_rt_status_t spx_rt_conv2d_s8_fmt_pack(const struct spx_fmt_desc *fmt,
                                          const spx_rt_conv2d_params_t *p,
                                          const void *weights, size_t weights_size,
                                          void *packed, size_t packed_size);
spx_rt_status_t spx_rt_conv2d_s8_fmt_packed(const struct spx_fmt_desc *fmt,
                                            const spx_rt_conv2d_params_t *p,
                                            const spx_rt_requant_pc_t *q,
                                            const int8_t *input, const void *weights,
                                            size_t weights_size, const void *packed,
                                            const int32_t *bias, int8_t *output,
                                            void *scratch, size_t scratch_size);
size_t spx_rt_dense_s8_fmt_packed_size(const struct spx_fmt_desc *fmt,
                                       const spx_rt_dense_params_t *p);
spx_rt_status_t spx_rt_dense_s8_fmt_pack(const struct spx_fmt_desc *fmt,
                                         const spx_rt_dense_params_t *p, const void *weights,
                                         size_t weights_size, void *packed,
                                         size_t packed_size);
spx_rt_status_t spx_rt_dense_s8_fmt_packed(const struct spx_fmt_desc *fmt,
                                           const spx_rt_dense_params_t *p,
                                           const spx_rt_requant_pc_t *q, const int8_t *input,
                                           const void *weights, size_t weights_size,
                                           const void *packed, const int32_t *bias,
                                           int8_t *output, void *scratch,
                                           size_t scratch_size);

/* Instruction-set paths of the int8 conv2d/dense kernels (spx_fast_s8.c).
 * Every path computes the same int32 accumulators and the same outputs, bit
 * for bit; they differ only in speed. The path is chosen once, at the first
 * int8 conv2d/dense: the environment variable SPX_ISA (c, avx2 or avx512)
 * if the CPU has that path, else the best path the CPU has (avx512: AVX-512
 * F/BW/DQ/VL and VNNI; avx2: AVX2; c: portable C, every machine). An
 * unknown SPX_ISA value, or a path the CPU lacks, falls back to the best
 * path below it. */
typedef enum spx_rt_isa {
  SPX_RT_ISA_C = 0,
  SPX_RT_ISA_AVX2 = 1,
  SPX_RT_ISA_AVX512 = 2
} spx_rt_isa_t;
#define SPX_RT_ISA_COUNT 3
/* The path in use (chosen on the first call, as above). */
spx_rt_isa_t spx_rt_kernels_isa(void);
/* 1 if this CPU (and build) can run path `isa`. */
int spx_rt_kernels_isa_supported(spx_rt_isa_t isa);
/* Forces path `isa` (tests, benchmarks); SPX_RT_ERR_ARG if the CPU lacks
 * it. Not thread-safe against kernels running at the same time. */
spx_rt_status_t spx_rt_kernels_set_isa(spx_rt_isa_t isa);
/* "c", "avx2", "avx512" ("?" for other values). */
const char *spx_rt_kernels_isa_name(spx_rt_isa_t isa);

/* LP weights (runtime/formats "LP"): conv2d and dense on the LP integer
 * datapath (spx_lp.c; docs/numerics.md, "LP layers"). The int8 input goes
 * through the encoding's activation table, products are sums of log-domain
 * exponents, accumulation is in int64 with the encoding's A fraction bits,
 * and the output is z_out + round(acc * 2^-A / s_out), q->multiplier[c] /
 * q->shift[c] being the Q31 form of 1 / s_out. The int32 bias of the layer
 * is not used (the encoding holds the bias). Scratch:
 * spx_rt_lp_buffer_size bytes (0: the weights do not open), 4-byte aligned. */
struct spx_fmt_dims;
size_t spx_rt_lp_buffer_size(const void *weights, size_t weights_size,
                             const struct spx_fmt_dims *dims);
spx_rt_status_t spx_rt_conv2d_lp(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                                 const int8_t *input, const void *weights, size_t weights_size,
                                 int8_t *output, void *scratch, size_t scratch_size);
spx_rt_status_t spx_rt_dense_lp(const spx_rt_dense_params_t *p, const spx_rt_requant_pc_t *q,
                                const int8_t *input, const void *weights, size_t weights_size,
                                int8_t *output, void *scratch, size_t scratch_size);
/* T[j] = round(2^(j / 2^F) * 2^30), the exp2 table of the datapath. */
int32_t spx_rt_lp_exp2_entry(uint32_t j, unsigned F);

#ifdef __cplusplus
}
#endif

#endif /* SPX_KERNELS_H */
