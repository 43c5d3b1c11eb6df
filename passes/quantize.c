/* quantize.c - int8 quantization by the numeric contract (docs/numerics.md):
 *   - conv2d/dense weights int8 symmetric per output channel (the dense
 *     int8 format of runtime/formats: s_w[c] = max|w[c]| / 127, here raised
 *     where needed so that |bias| <= 2^30), bias int32 at scale
 *     s_in * s_w[c], and a Q31
 *     multiplier + shift per channel for s_in * s_w[c] / s_out;
 *   - activations int8 per tensor, !quant.uniform<i8:f32, s:zp>, from ranges
 *     calibrated by running the f32 network on sample inputs (min/max or a
 *     percentile) or from a declared range;
 *   - sign outputs (the op, or a conv2d/dense with the fused sign) at scale
 *     1, zero point 0 (+-1 exactly); such a layer's int32 bias is
 *     floor(b / (s_in * s_w[c])), not rounded: the sign of acc + bias is
 *     then the sign of the real pre-activation computed from the int8
 *     products (acc is an integer, so acc + b' >= 0 iff acc + floor(b') >= 0);
 *   - sigmoid and softmax outputs at scale 1/256, zero point -128; pooling,
 *     flatten and reshape keep their input's quantization;
 *   - layers left in f32 (quantize LAYER : f32, or ops without an int8
 *     kernel such as an unfolded batchnorm) get spx.dequantize before and
 *     spx.quantize after them; the function keeps f32 inputs and outputs.
 * Runs only when the module has spx.quantize (quantize int8 in the file). */
#include "passes/spx_pass.h"

#include <float.h>
#include <math.h>
#include <mlir-c/Rewrite.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"

enum { HIST_BINS = 2048 };

typedef struct value_info {
  MlirValue value;
  bool int8;        /* produced in int8 */
  bool needs_quant; /* consumed in int8 somewhere */
  double lo, hi;    /* calibrated range */
  bool nonfinite;   /* calibration saw a NaN or an infinity */
  double *hist;     /* percentile calibration */
  double scale;
  int64_t zp;
  MlirValue as_int8, as_f32; /* converted copies, once made */
} value_info_t;

typedef struct quantizer {
  spx_pass_env_t *env;
  MlirModule module;
  MlirAttribute opts;
  MlirOperation fn;
  MlirBlock entry;
  size_t n_ops;
  MlirOperation *ops; /* spx ops in order */
  size_t n_values;
  value_info_t *values; /* arguments, then one per op */
  spx_ptrmap_t index;   /* value -> its place in values */
  bool percentile_pass;
  char arg_name[32]; /* value_name of an unnamed argument */
} quantizer_t;

static value_info_t *info(quantizer_t *q, MlirValue v) {
  size_t i;
  if (spx_ptrmap_get(&q->index, v.ptr, &i)) return &q->values[i];
  SPX_UNREACHABLE("value not tracked");
  return NULL;
}

static bool op_is_int8(MlirOperation op) {
  spx_ir_op_t kind = spx_ir_op_kind(op);
  if (kind == SPX_IR_OP_BATCHNORM || kind == SPX_IR_OP_QUANTIZE || kind == SPX_IR_OP_DEQUANTIZE)
    return false;
  MlirAttribute p = mlirOperationGetAttributeByName(op, spx_ir_str("spx.precision"));
  if (!mlirAttributeIsNull(p) && mlirAttributeIsAString(p)) {
    MlirStringRef s = mlirStringAttrGetValue(p);
    if (spx_ir_str_is(s, spx_dtype_name(SPX_DT_F32))) return false;
  }
  return true;
}

/* A conv2d/dense with the fused sign (fuse-activations). */
static bool fused_sign(MlirOperation op) {
  spx_ir_op_t kind = spx_ir_op_kind(op);
  return (kind == SPX_IR_OP_CONV2D || kind == SPX_IR_OP_DENSE) &&
         spx_ir_op_act(op) == SPX_RT_ACT_SIGN;
}

static MlirAttribute opt(quantizer_t *q, const char *key) {
  return mlirDictionaryAttrGetElementByName(q->opts, spx_ir_str(key));
}

/* Errors about the quantize statement as a whole: reported at the file. */
static void module_error(quantizer_t *q, const char *fmt, ...) SPX_PRINTF(2, 3);
static void module_error(quantizer_t *q, const char *fmt, ...) {
  spx_loc_t loc = spx_ir_loc(mlirModuleGetOperation(q->module), q->env->arena);
  loc.line = 0; /* the file as a whole (the module is located at the network name) */
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(q->env->diag, SPX_SEV_ERROR, loc, fmt, ap);
  va_end(ap);
}

/* ---- calibration ------------------------------------------------------ */

/* Where `quantize int8 ...` is written (spx.quantize_loc), else the file:
 * warnings about what it asked for point there. */
static spx_loc_t quantize_loc(quantizer_t *q) {
  MlirOperation mop = mlirModuleGetOperation(q->module);
  MlirAttribute a = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.quantize_loc"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsALocation(a)) {
    spx_loc_t l = spx_ir_location(mlirLocationFromAttribute(a), q->env->arena);
    if (l.file && l.line > 0) return l;
  }
  spx_loc_t loc = spx_ir_loc(mop, q->env->arena);
  loc.line = 0;
  return loc;
}

/* Degenerate calibration data: the whole tensor constant (e.g. all
 * zeros), or, for an NCHW input, a channel constant over every sample.
 * The ranges it gives say nothing of real inputs: a warning. */
static void check_calibration_data(quantizer_t *q, const char *path, const float *x,
                                   size_t samples, size_t per_sample) {
  size_t n = samples * per_sample;
  if (!n) return;
  float lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    lo = fminf(lo, x[i]);
    hi = fmaxf(hi, x[i]);
  }
  if (lo == hi) {
    spx_diag_warning(q->env->diag, quantize_loc(q),
                     "calibration data '%s' is constant (every element is %g): the int8 ranges "
                     "calibrated from it are degenerate", path, (double)lo);
    return;
  }
  int64_t d[SPX_MAX_RANK];
  int rank = spx_ir_shape(mlirValueGetType(mlirBlockGetArgument(q->entry, 0)), d);
  if (rank != 4 || d[1] < 2) return;
  size_t channels = (size_t)d[1], plane = per_sample / channels;
  for (size_t c = 0; c < channels; c++) {
    float v = x[c * plane];
    bool constant = true;
    for (size_t s = 0; s < samples && constant; s++)
      for (size_t i = 0; i < plane && constant; i++)
        constant = x[s * per_sample + c * plane + i] == v;
    if (constant)
      spx_diag_warning(q->env->diag, quantize_loc(q),
                       "calibration data '%s': channel %zu of the input is constant (%g) in "
                       "every sample", path, c, (double)v);
  }
}

static void observe(value_info_t *vi, const float *x, size_t n, bool hist) {
  if (!hist) {
    for (size_t i = 0; i < n; i++) {
      if (!isfinite(x[i])) vi->nonfinite = true;
      if (x[i] < vi->lo) vi->lo = x[i];
      if (x[i] > vi->hi) vi->hi = x[i];
    }
    return;
  }
  double width = (vi->hi - vi->lo) / HIST_BINS;
  for (size_t i = 0; i < n; i++) {
    long b = width > 0 ? (long)((x[i] - vi->lo) / width) : 0;
    if (b < 0) b = 0;
    if (b >= HIST_BINS) b = HIST_BINS - 1;
    vi->hist[b] += 1;
  }
}

static void observer(void *user, MlirOperation op, const float *x, size_t n) {
  quantizer_t *q = user;
  observe(info(q, mlirOperationGetResult(op, 0)), x, n, q->percentile_pass);
}

/* Narrows [lo, hi] to the p-th percentile at both ends. */
static void apply_percentile(value_info_t *vi, double p) {
  double total = 0;
  for (int b = 0; b < HIST_BINS; b++) total += vi->hist[b];
  if (total == 0) return;
  double width = (vi->hi - vi->lo) / HIST_BINS, cut = total * (100.0 - p) / 100.0;
  double acc = 0, lo = vi->lo, hi = vi->hi;
  for (int b = 0; b < HIST_BINS; b++)
    if ((acc += vi->hist[b]) > cut) {
      lo = vi->lo + b * width;
      break;
    }
  acc = 0;
  for (int b = HIST_BINS - 1; b >= 0; b--)
    if ((acc += vi->hist[b]) > cut) {
      hi = vi->lo + (b + 1) * width;
      break;
    }
  vi->lo = lo;
  vi->hi = hi;
}

int spx_pass_calibration_load(const char *path, MlirBlock entry, spx_npy_t *npy,
                              size_t *per_sample, char *why, size_t cap) {
  char err[256];
  int64_t d[SPX_MAX_RANK];
  if (mlirBlockGetNumArguments(entry) != 1) {
    snprintf(why, cap, "%s", "calibration needs a network with exactly one input");
    return -1;
  }
  if (spx_npy_read(path, npy, err, sizeof err) != 0) {
    snprintf(why, cap, "calibration data '%s': %s", path, err);
    return -1;
  }
  int rank = spx_ir_shape(mlirValueGetType(mlirBlockGetArgument(entry, 0)), d);
  *per_sample = 1;
  for (int i = 0; i < rank; i++) *per_sample *= (size_t)d[i];
  if (npy->dtype != SPX_DT_F32 || npy->count == 0 || npy->count % *per_sample != 0) {
    spx_npy_free(npy);
    snprintf(why, cap, "calibration data '%s' is not float samples of the input's shape", path);
    return -1;
  }
  for (size_t i = 0; i < npy->count; i++) {
    float v = ((const float *)npy->data)[i];
    if (!isfinite(v)) {
      snprintf(why, cap, "calibration data '%s' holds %s at element %zu (sample %zu); it must "
               "be finite f32 numbers", path, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf", i,
               i / *per_sample);
      spx_npy_free(npy);
      return -1;
    }
  }
  return 0;
}

static int calibrate(quantizer_t *q, const char *path, bool percentile, double p) {
  spx_npy_t npy;
  char why[4096 + 256];
  size_t per_sample;
  if (spx_pass_calibration_load(path, q->entry, &npy, &per_sample, why, sizeof why) != 0) {
    module_error(q, "%s", why);
    return -1;
  }
  value_info_t *arg = &q->values[0];
  size_t samples = npy.count / per_sample;
  check_calibration_data(q, path, (const float *)npy.data, samples, per_sample);
  int64_t out_d[SPX_MAX_RANK];
  MlirOperation ret = mlirBlockGetTerminator(q->entry);
  intptr_t n_out = mlirOperationGetNumOperands(ret);
  float **outs = calloc((size_t)n_out + 1, sizeof *outs);
  SPX_ASSERT(outs);
  for (intptr_t i = 0; i < n_out; i++) {
    int r = spx_ir_shape(mlirValueGetType(mlirOperationGetOperand(ret, i)), out_d);
    size_t n = 1;
    for (int k = 0; k < r; k++) n *= (size_t)out_d[k];
    outs[i] = calloc(n, sizeof(float));
    SPX_ASSERT(outs[i]);
  }
  int rc = 0;
  for (int pass = 0; pass < (percentile ? 2 : 1) && rc == 0; pass++) {
    q->percentile_pass = pass == 1;
    if (q->percentile_pass)
      for (size_t i = 0; i < q->n_values; i++) {
        q->values[i].hist = calloc(HIST_BINS, sizeof(double));
        SPX_ASSERT(q->values[i].hist);
      }
    for (size_t s = 0; s < samples && rc == 0; s++) {
      const float *in = (const float *)npy.data + s * per_sample;
      observe(arg, in, per_sample, q->percentile_pass);
      spx_eval_hooks_t hooks = {.user = q, .observe = observer};
      rc = spx_eval_f32(q->module, q->env, &in, outs, &hooks);
    }
    /* After the min/max pass, before any histogram is binned by them. */
    for (size_t i = 0; i < q->n_values && rc == 0 && pass == 0; i++)
      if (q->values[i].nonfinite && mlirValueIsAOpResult(q->values[i].value)) {
        MlirOperation op = mlirOpResultGetOwner(q->values[i].value);
        MlirStringRef name = spx_ir_layer_name(op);
        spx_pass_error(q->env, op, "layer '%.*s' computes NaN or infinite values on the "
                       "calibration data: its int8 range is undefined", (int)name.length,
                       name.data);
        rc = -1;
      }
  }
  if (percentile)
    for (size_t i = 0; i < q->n_values; i++) {
      if (rc == 0) apply_percentile(&q->values[i], p);
      free(q->values[i].hist);
      q->values[i].hist = NULL;
    }
  for (intptr_t i = 0; i < n_out; i++) free(outs[i]);
  free(outs);
  spx_npy_free(&npy);
  return rc;
}

/* Asymmetric int8 parameters for a real range, which must contain 0. */
static void choose_params(value_info_t *vi) {
  double lo = vi->lo < 0 ? vi->lo : 0, hi = vi->hi > 0 ? vi->hi : 0;
  if (hi - lo < 1e-8) hi = lo + 1e-8;
  vi->scale = (hi - lo) / 255.0;
  double zp = round(-128.0 - lo / vi->scale);
  vi->zp = zp < -128 ? -128 : zp > 127 ? 127 : (int64_t)zp;
}

/* ---- weights ---------------------------------------------------------- */

double spx_pass_int8_bias_max(size_t products, uint64_t term) {
  double bias_max = 1073741824.0;
  if (products <= 0x7fffffffu / term && (double)(0x7fffffffu - term * products) < bias_max)
    bias_max = (double)(0x7fffffffu - term * products);
  return bias_max;
}

void spx_pass_int8_channel(double bias, double s_in, double s_w, double s_out, bool sign,
                           int32_t *bias_q, int32_t *mult, int32_t *shift) {
  double b = sign ? floor(bias / (s_in * s_w)) : round(bias / (s_in * s_w));
  *bias_q = b < INT32_MIN ? INT32_MIN : b > INT32_MAX ? INT32_MAX : (int32_t)b;
  int shift_c;
  spx_rt_quantize_multiplier(s_in * s_w / s_out, mult, &shift_c);
  *shift = shift_c;
}

spx_wbuf_t *spx_pass_float_weights_buf(spx_pass_env_t *env, MlirOperation op, const char *role) {
  MlirStringRef layer = spx_ir_layer_name(op);
  if (!layer.length) return NULL;
  spx_wbuf_t *b = spx_wstore_find(
      env->store, spx_arena_printf(env->arena, "%.*s.%s.bnfold", (int)layer.length, layer.data, role));
  return b ? b
           : spx_wstore_find(env->store, spx_arena_printf(env->arena, "%.*s.%s",
                                                          (int)layer.length, layer.data, role));
}

const float *spx_pass_float_weights(spx_pass_env_t *env, MlirOperation op, const char *role,
                                    size_t count) {
  spx_wbuf_t *b = spx_pass_float_weights_buf(env, op, role);
  return b && b->dtype == SPX_DT_F32 && b->count == count ? b->data : NULL;
}

static void set_weights(MlirOperation op, spx_wbuf_t *qw, spx_wbuf_t *qb, spx_wbuf_t *ws,
                        spx_wbuf_t *mult, spx_wbuf_t *shift) {
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, spx_ir_str("weight"), spx_ir_wbuf_attr(ctx, qw));
  mlirOperationSetAttributeByName(op, spx_ir_str("bias"), spx_ir_wbuf_attr(ctx, qb));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.wscale"), spx_ir_wbuf_attr(ctx, ws));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.multiplier"), spx_ir_wbuf_attr(ctx, mult));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.shift"), spx_ir_wbuf_attr(ctx, shift));
}

/* The binary format of a binary layer's int8 +-1 weights and alpha (the
 * weight scales): "<layer>.binary", spx.encoding = "binary", without flips
 * (`sparsify LAYER : binsparx(...)` chooses them, passes/binsparx.c), and
 * spx.stats = {technique = "binary", dense_bytes (int8), encoded_bytes}. */
static int encode_binary(spx_pass_env_t *env, MlirOperation op, const spx_wbuf_t *qw,
                         const float *alpha) {
  bool conv = spx_ir_is_op(op, "conv2d");
  spx_fmt_dims_t d = {(uint32_t)qw->dims[0], (uint32_t)qw->dims[1],
                      conv ? (uint16_t)qw->dims[2] : 1, conv ? (uint16_t)qw->dims[3] : 1,
                      conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1};
  int64_t len = (int64_t)spx_fmt_binary_encoded_size(&d);
  spx_wbuf_t *enc = len > 0 ? spx_pass_add_weight(env, op, "binary", SPX_DT_U8, 1, &len) : NULL;
  if (!enc) {
    if (len <= 0) spx_pass_error(env, op, "weights too large for the binary format");
    return -1;
  }
  spx_rt_error_t err;
  if (spx_fmt_binary_encode(&d, qw->data, alpha, 0, 0, enc->data, enc->nbytes, &err) !=
      SPX_RT_OK) {
    spx_pass_error(env, op, "cannot encode the binary weights: %s", err.message);
    return -1;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "binary"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "binary")),
      spx_ir_named(ctx, "dense_bytes", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64),
                                                          (int64_t)qw->nbytes)),
      spx_ir_named(ctx, "encoded_bytes",
                   mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), len))};
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"),
                                  mlirDictionaryAttrGet(ctx, 3, a));
  return 0;
}

/* A binary layer (spx.binary, rows +-alpha_r after binarize and
 * fold-batchnorm): int8 weights b = sign(w) in {-1, +1}, weight scale
 * alpha_r = |w| of the row exactly (every |w| of a row must be equal), on
 * +-1 inputs (scale 1, zero point 0), so the accumulator is sum b * a
 * exactly. The int32 bias is bounded by spx_pass_int8_bias_max like every
 * layer's (past it, acc + bias has the bias's sign for every input: the
 * products add at most their count in magnitude). */
static int binary_weights(quantizer_t *q, MlirOperation op, spx_wbuf_t *w, spx_wbuf_t *b,
                          double s_in, double s_out) {
  MlirStringRef lname = spx_ir_layer_name(op);
  value_info_t *in = info(q, mlirOperationGetOperand(op, 0));
  if (s_in != 1.0 || in->zp != 0) {
    spx_pass_error(q->env, op, "binary layer '%.*s' needs an int8 input of scale 1, zero point "
                   "0 (the +-1 output of a sign), got scale %g, zero point %lld",
                   (int)lname.length, lname.data, s_in, (long long)in->zp);
    return -1;
  }
  int64_t channels = w->dims[0];
  size_t per = w->count / (size_t)channels;
  const float *wf = w->data, *bf = b->data;
  for (int64_t c = 0; c < channels; c++) {
    float a = fabsf(wf[(size_t)c * per]);
    for (size_t i = 0; i < per; i++)
      if (fabsf(wf[(size_t)c * per + i]) != a || !(a > 0.0f)) {
        spx_pass_error(q->env, op, "binary layer '%.*s': output channel %lld is not +-alpha "
                       "with one alpha > 0 (weight %zu is %g, the first %g)", (int)lname.length,
                       lname.data, (long long)c, i, (double)wf[(size_t)c * per + i],
                       (double)wf[(size_t)c * per]);
        return -1;
      }
  }
  spx_wbuf_t *qw = spx_pass_add_weight(q->env, op, "qweight", SPX_DT_I8, w->rank, w->dims);
  spx_wbuf_t *qb = spx_pass_add_weight(q->env, op, "qbias", SPX_DT_I32, 1, &channels);
  spx_wbuf_t *ws = spx_pass_add_weight(q->env, op, "wscale", SPX_DT_F32, 1, &channels);
  spx_wbuf_t *mult = spx_pass_add_weight(q->env, op, "multiplier", SPX_DT_I32, 1, &channels);
  spx_wbuf_t *shift = spx_pass_add_weight(q->env, op, "shift", SPX_DT_I32, 1, &channels);
  if (!qw || !qb || !ws || !mult || !shift) return -1;
  int8_t *wq = qw->data;
  float *scales = ws->data;
  int32_t *bq = qb->data, *m = mult->data, *sh = shift->data;
  unsigned nf = 0;
  const spx_fmt_desc_t *const *fmts = spx_fmt_table(&nf);
  uint64_t term = SPX_FMT_ACC_TERM_S8;
  for (unsigned f = 0; f < nf; f++)
    if (spx_fmt_acc_term(fmts[f]) > term) term = spx_fmt_acc_term(fmts[f]);
  double bias_max = floor(spx_pass_int8_bias_max(per, term));
  for (int64_t c = 0; c < channels; c++) {
    scales[c] = fabsf(wf[(size_t)c * per]);
    for (size_t i = 0; i < per; i++) wq[(size_t)c * per + i] = wf[(size_t)c * per + i] > 0 ? 1 : -1;
    spx_pass_int8_channel(bf[c], 1.0, scales[c], s_out, fused_sign(op), &bq[c], &m[c], &sh[c]);
    if (bq[c] > bias_max) bq[c] = (int32_t)bias_max;
    if (bq[c] < -bias_max) bq[c] = (int32_t)-bias_max;
  }
  set_weights(op, qw, qb, ws, mult, shift);
  return encode_binary(q->env, op, qw, scales);
}

static int quantize_weights(quantizer_t *q, MlirOperation op, double s_in, double s_out) {
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", q->env->store);
  spx_wbuf_t *b = spx_ir_get_wbuf(op, "bias", q->env->store);
  if (!w || !b || w->dtype != SPX_DT_F32 || b->dtype != SPX_DT_F32) {
    spx_pass_error(q->env, op, "weights are not f32 buffers of the weight store");
    return -1;
  }
  int64_t channels = w->dims[0];
  size_t per = w->count / (size_t)channels;
  MlirStringRef lname = spx_ir_layer_name(op);
  const float *wf = w->data;
  for (size_t i = 0; i < w->count + (size_t)channels; i++) {
    float v = i < w->count ? wf[i] : ((const float *)b->data)[i - w->count];
    if (!isfinite(v)) {
      spx_pass_error(q->env, op, "layer '%.*s' has a non-finite %s (%s)", (int)lname.length,
                     lname.data, i < w->count ? "weight" : "bias", isnan(v) ? "NaN" : "inf");
      return -1;
    }
  }
  bool binary =
      !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.binary")));
  if (binary) return binary_weights(q, op, w, b, s_in, s_out);
  spx_wbuf_t *qw = spx_pass_add_weight(q->env, op, "qweight", SPX_DT_I8, w->rank, w->dims);
  spx_wbuf_t *qb = spx_pass_add_weight(q->env, op, "qbias", SPX_DT_I32, 1, &channels);
  spx_wbuf_t *ws = spx_pass_add_weight(q->env, op, "wscale", SPX_DT_F32, 1, &channels);
  spx_wbuf_t *mult = spx_pass_add_weight(q->env, op, "multiplier", SPX_DT_I32, 1, &channels);
  spx_wbuf_t *shift = spx_pass_add_weight(q->env, op, "shift", SPX_DT_I32, 1, &channels);
  if (!qw || !qb || !ws || !mult || !shift) return -1;
  const float *bf = b->data;
  int32_t *bq = qb->data, *m = mult->data, *sh = shift->data;
  float *scales = ws->data;
  /* The weight scale also bounds the int32 bias to 2^30 (less when the
   * layer sums more than about 2^15 products: the stream's bound, |bias| <=
   * 2^31 - 1 - term * products, spx_fmt_acc_term), so bias plus the accumulated
   * products cannot overflow: a channel with negligible weights but a real
   * bias (a dead unit) keeps its bias and rounds its weights to 0 instead of
   * saturating the bias. A layer of more than 65535 products has no bound
   * (the backends refuse it). */
  /* The weights' format is chosen after quantization: take the largest
   * term of any format (BBS's 255 * 143). */
  unsigned nf = 0;
  const spx_fmt_desc_t *const *fmts = spx_fmt_table(&nf);
  uint64_t term = SPX_FMT_ACC_TERM_S8;
  for (unsigned f = 0; f < nf; f++)
    if (spx_fmt_acc_term(fmts[f]) > term) term = spx_fmt_acc_term(fmts[f]);
  double bias_max = spx_pass_int8_bias_max(per, term);
  double *min_scale = calloc((size_t)channels, sizeof *min_scale);
  SPX_ASSERT(min_scale);
  /* (1 + 2^-20) covers the rounding of the recorded scale to float. A
   * channel whose weights are all below 127 * FLT_MIN gets the smallest
   * normal f32 scale, so that its recorded scale is not 0. */
  for (int64_t c = 0; c < channels; c++) {
    double amax = 0;
    for (size_t i = 0; i < per; i++) amax = fmax(amax, fabs(wf[(size_t)c * per + i]));
    min_scale[c] = fabs(bf[c]) / (s_in * bias_max) * (1.0 + 0x1p-20);
    if (amax > 0 && min_scale[c] < FLT_MIN) min_scale[c] = FLT_MIN;
    if (!(min_scale[c] <= FLT_MAX)) {
      spx_pass_error(q->env, op, "layer '%.*s': bias %g of channel %lld is too large for its "
                     "int8 input scale %g (its weight scale would overflow f32)",
                     (int)lname.length, lname.data, (double)bf[c], (long long)c, s_in);
      free(min_scale);
      return -1;
    }
  }
  spx_fmt_dense_s8_encode(w->data, (uint32_t)channels, per, min_scale, qw->data, scales);
  free(min_scale);
  for (int64_t c = 0; c < channels; c++) /* scales as recorded: bias and multiplier agree */
    spx_pass_int8_channel(bf[c], s_in, scales[c], s_out, fused_sign(op), &bq[c], &m[c], &sh[c]);
  set_weights(op, qw, qb, ws, mult, shift);
  return 0;
}

/* ---- boundaries -------------------------------------------------------- */

/* The layer (or input) name of a value, whole; a hand-written module (spxc
 * FILE.mlir) may leave arguments unnamed: "argN", in q->arg_name. */
static MlirStringRef value_name(quantizer_t *q, MlirValue v) {
  if (mlirValueIsAOpResult(v)) return spx_ir_layer_name(mlirOpResultGetOwner(v));
  intptr_t k = mlirBlockArgumentGetArgNumber(v);
  MlirAttribute args = mlirOperationGetAttributeByName(q->fn, spx_ir_str("arg_attrs"));
  MlirAttribute d = mlirAttributeIsNull(args) ? args : mlirArrayAttrGetElement(args, k);
  MlirAttribute name = mlirAttributeIsNull(d) ? d
                       : mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.name"));
  if (!mlirAttributeIsNull(name)) return mlirStringAttrGetValue(name);
  snprintf(q->arg_name, sizeof q->arg_name, "arg%lld", (long long)k);
  return spx_ir_str(q->arg_name);
}

/* The value converted to int8 (quantize) or to f32 (dequantize), created once
 * right after its definition and shared by every consumer. */
static MlirValue converted(quantizer_t *q, MlirRewriterBase rw, value_info_t *vi, bool to_int8) {
  MlirValue *slot = to_int8 ? &vi->as_int8 : &vi->as_f32;
  if (!mlirValueIsNull(*slot)) return *slot;
  MlirStringRef base = value_name(q, vi->value);
  const char *name = spx_arena_printf(q->env->arena, "%.*s.%s", (int)base.length, base.data,
                                      to_int8 ? "quantize" : "dequantize");
  MlirType t = mlirValueGetType(vi->value);
  MlirType rt = to_int8 ? spx_ir_tensor_quantized(t, vi->scale, vi->zp) : spx_ir_tensor_f32(t);
  MlirLocation loc = mlirValueIsAOpResult(vi->value)
                         ? mlirOperationGetLocation(mlirOpResultGetOwner(vi->value))
                         : mlirOperationGetLocation(q->fn);
  MlirOperationState st = mlirOperationStateGet(
      spx_ir_str(to_int8 ? "spx.quantize" : "spx.dequantize"), loc);
  mlirOperationStateAddOperands(&st, 1, &vi->value);
  mlirOperationStateAddResults(&st, 1, &rt);
  MlirContext ctx = mlirModuleGetContext(q->module);
  MlirNamedAttribute a = mlirNamedAttributeGet(mlirIdentifierGet(ctx, spx_ir_str("name")),
                                               mlirStringAttrGet(ctx, spx_ir_str(name)));
  mlirOperationStateAddAttributes(&st, 1, &a);
  MlirOperation op = mlirOperationCreate(&st);
  if (mlirValueIsAOpResult(vi->value)) {
    mlirRewriterBaseSetInsertionPointAfterValue(rw, vi->value);
  } else {
    /* After any conversions already made for earlier arguments. */
    MlirOperation first = mlirBlockGetFirstOperation(q->entry);
    mlirRewriterBaseSetInsertionPointBefore(rw, first);
  }
  mlirRewriterBaseInsert(rw, op);
  *slot = mlirOperationGetResult(op, 0);
  return *slot;
}

static int rewrite(quantizer_t *q) {
  MlirRewriterBase rw = mlirIRRewriterCreateFromOp(mlirModuleGetOperation(q->module));
  int rc = 0;
  /* Result types and weights first: conversions read the final types. */
  for (size_t i = 0; i < q->n_ops && rc == 0; i++) {
    MlirOperation op = q->ops[i];
    value_info_t *out = info(q, mlirOperationGetResult(op, 0));
    if (!out->int8) continue;
    spx_ir_op_t kind = spx_ir_op_kind(op);
    if (kind == SPX_IR_OP_CONV2D || kind == SPX_IR_OP_DENSE) {
      value_info_t *in = info(q, mlirOperationGetOperand(op, 0));
      rc = quantize_weights(q, op, in->scale, out->scale);
    }
    mlirValueSetType(out->value, spx_ir_tensor_quantized(mlirValueGetType(out->value),
                                                         out->scale, out->zp));
  }
  /* Then every operand whose precision differs from its consumer's. */
  MlirOperation ret = mlirBlockGetTerminator(q->entry);
  for (size_t i = 0; i <= q->n_ops && rc == 0; i++) {
    MlirOperation op = i < q->n_ops ? q->ops[i] : ret;
    bool want_int8 = i < q->n_ops && info(q, mlirOperationGetResult(op, 0))->int8;
    for (intptr_t k = 0; k < mlirOperationGetNumOperands(op); k++) {
      value_info_t *vi = info(q, mlirOperationGetOperand(op, k));
      if (vi->int8 != want_int8)
        mlirOperationSetOperand(op, k, converted(q, rw, vi, want_int8));
    }
  }
  mlirIRRewriterDestroy(rw);
  return rc;
}

/* ---- the pass ---------------------------------------------------------- */

static MlirOperation function_of(MlirModule module) {
  for (MlirOperation op = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
       !mlirOperationIsNull(op); op = mlirOperationGetNextInBlock(op))
    if (mlirOperationGetNumRegions(op) == 1) return op;
  SPX_UNREACHABLE("module without a function");
  return (MlirOperation){NULL};
}

static int assign_params(quantizer_t *q) {
  MlirAttribute range = opt(q, "range");
  bool declared = !mlirAttributeIsNull(range);
  double lo = 0, hi = 0;
  if (declared) {
    if (!mlirAttributeIsAArray(range) || mlirArrayAttrGetNumElements(range) != 2 ||
        !spx_ir_attr_number(mlirArrayAttrGetElement(range, 0), &lo) ||
        !spx_ir_attr_number(mlirArrayAttrGetElement(range, 1), &hi) || !(lo < hi)) {
      module_error(q, "%s", "quantize: range must be [lo, hi] with lo < hi");
      return -1;
    }
    if (!(fabs(lo) <= FLT_MAX && fabs(hi) <= FLT_MAX)) {
      module_error(q, "quantize: range [%g, %g] is beyond f32 (magnitudes at most %g)", lo, hi,
                   (double)FLT_MAX);
      return -1;
    }
    for (size_t i = 0; i < q->n_values; i++) {
      q->values[i].lo = lo;
      q->values[i].hi = hi;
    }
  }
  for (size_t i = 0; i < q->n_values; i++) choose_params(&q->values[i]);
  /* Ops whose int8 kernels fix or inherit the output quantization. */
  for (size_t i = 0; i < q->n_ops; i++) {
    MlirOperation op = q->ops[i];
    value_info_t *out = info(q, mlirOperationGetResult(op, 0));
    spx_ir_op_t kind = spx_ir_op_kind(op);
    if (kind == SPX_IR_OP_SIGMOID || kind == SPX_IR_OP_SOFTMAX) {
      out->scale = 1.0 / 256.0;
      out->zp = -128;
    } else if (kind == SPX_IR_OP_SIGN || fused_sign(op)) {
      out->scale = 1.0; /* +-1 exactly */
      out->zp = 0;
    } else if (kind == SPX_IR_OP_MAXPOOL || kind == SPX_IR_OP_AVGPOOL || kind == SPX_IR_OP_FLATTEN ||
               kind == SPX_IR_OP_RESHAPE) {
      value_info_t *in = info(q, mlirOperationGetOperand(op, 0));
      out->scale = in->scale;
      out->zp = in->zp;
    }
  }
  return 0;
}

int spx_pass_quantize(MlirOperation module_op, spx_pass_env_t *env) {
  quantizer_t q = {.env = env, .module = mlirModuleFromOperation(module_op)};
  q.opts = mlirOperationGetAttributeByName(module_op, spx_ir_str("spx.quantize"));
  if (mlirAttributeIsNull(q.opts)) return 0;
  q.fn = function_of(q.module);
  q.entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(q.fn, 0));
  q.n_ops = spx_ir_collect(q.fn, NULL, &q.ops);
  for (size_t i = 0; i < q.n_ops; i++)
    if (spx_ir_tensor_quant(mlirValueGetType(mlirOperationGetResult(q.ops[i], 0)), NULL, NULL)) {
      free(q.ops);
      return 0; /* already quantized */
    }

  intptr_t n_args = mlirBlockGetNumArguments(q.entry);
  q.n_values = (size_t)n_args + q.n_ops;
  q.values = calloc(q.n_values, sizeof *q.values);
  SPX_ASSERT(q.values);
  for (intptr_t a = 0; a < n_args; a++)
    q.values[a].value = mlirBlockGetArgument(q.entry, a);
  for (size_t i = 0; i < q.n_ops; i++) {
    value_info_t *vi = &q.values[(size_t)n_args + i];
    vi->value = mlirOperationGetResult(q.ops[i], 0);
    vi->int8 = op_is_int8(q.ops[i]);
  }
  for (size_t i = 0; i < q.n_values; i++)
    if (q.values[i].value.ptr) SPX_ASSERT(spx_ptrmap_put(&q.index, q.values[i].value.ptr, i) == 0);
  for (size_t i = 0; i < q.n_values; i++) {
    q.values[i].lo = INFINITY;
    q.values[i].hi = -INFINITY;
  }

  int rc = 0;
  MlirAttribute cal = opt(&q, "calibrate");
  MlirAttribute method = opt(&q, "method");
  bool percentile = false;
  double p = 99.99;
  if (!mlirAttributeIsNull(method)) {
    MlirStringRef m = mlirAttributeIsAString(method) ? mlirStringAttrGetValue(method) : spx_ir_str("?");
    if (spx_ir_str_is(m, "percentile")) percentile = true;
    else if (!spx_ir_str_is(m, "minmax")) {
      module_error(&q, "%s", "quantize: method must be minmax or percentile");
      rc = -1;
    }
  }
  MlirAttribute pa = opt(&q, "percentile");
  if (!mlirAttributeIsNull(pa)) {
    percentile = true;
    if (!spx_ir_attr_number(pa, &p) || !(p > 50 && p <= 100)) {
      module_error(&q, "%s", "quantize: percentile must be in (50, 100]");
      rc = -1;
    }
  }
  if (rc == 0 && !mlirAttributeIsNull(cal)) {
    if (!mlirAttributeIsAString(cal)) {
      module_error(&q, "%s", "quantize: calibrate must be a file name");
      rc = -1;
    } else {
      char path[4096];
      MlirStringRef s = mlirStringAttrGetValue(cal);
      snprintf(path, sizeof path, "%.*s", (int)s.length, s.data);
      rc = calibrate(&q, path, percentile, p);
    }
  } else if (rc == 0 && mlirAttributeIsNull(opt(&q, "range"))) {
    module_error(&q, "%s", "quantize int8 needs calibrate=\"FILE.npy\" or range=[lo, hi]");
    rc = -1;
  }
  if (rc == 0) rc = assign_params(&q);
  if (rc == 0) rc = rewrite(&q);
  free(q.values);
  spx_ptrmap_free(&q.index);
  free(q.ops);
  return rc;
}
