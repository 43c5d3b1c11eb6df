/* lp.c - LP layers: `quantize LAYER : lp(n=, es=, rs=, sf=, act=lp(...))`
 * (and `quantize * : lp(...)`) put a conv2d/dense of the int8 network on
 * the LP integer datapath (docs/numerics.md, "LP layers"; the encoding:
 * runtime/formats/spx_formats.h, "LP").
 *
 * Acts on the conv2d/dense ops the frontend marked with spx.lp = {n, es,
 * rs, sf, act_n, act_es, act_rs, act_sf}, after the quantize pass: the
 * layer's input and output stay int8 tensors of the int8 pipeline
 * (boundaries below), its weights become LP codes.
 *   weights     code = encode_w(w) of the f32 weights (the ones quantize
 *               read; the dequantized int8 weights if they are not in the
 *               store), rounding in the log domain, saturating;
 *   act_table   for each int8 input value x: encode_a(s_in * (x - z_in))
 *               (in double): the layer's input re-encoded to LP codes;
 *   A           the int64 accumulator's fraction bits: the largest A with
 *               K terms below 2^(Imax + 1 + A) each plus the bias within
 *               2^62 (Imax the integer part of the largest product of a
 *               weight code present and a table code), capped at 62; an
 *               error at the layer if that is below 0;
 *   bias        round(b * 2^A), half away from zero, int64, in the encoding
 *               (the layer's int32 bias is set to 0 and not used);
 *   multiplier  per channel, QuantizeMultiplier(1 / s_out): the output is
 *               z_out + round(acc * 2^-A / s_out), clamped (the int8 output
 *               of the next layer's format; an LP layer after it re-encodes
 *               it through its own table).
 * Results on the op: spx.encoding = "lp", spx.encoded = "<layer>.lp" (ui8),
 * the int32 bias zeroed, spx.multiplier/spx.shift rewritten, and
 *   spx.stats = {technique = "lp", weight_format, act_format (specs),
 *     acc_frac, weight_mse, weight_sqnr_db (float weights against the
 *     decoded codes), zero_weights, bits_per_weight (8 * encoded bytes /
 *     weights), encoded_bytes, float_weights}.
 * Errors (at the layer): no `quantize int8`, a layer kept in f32, an LP
 * layer that is also sparsified, a range too wide for the accumulator, an
 * output scale whose reciprocal has no Q31 form. */
#include "passes/spx_pass.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/spx_numfmt.h"
#include "runtime/kernels/spx_kernels.h"

static int format_of(spx_pass_env_t *env, MlirOperation op, MlirAttribute spec, const char *const *keys,
                     spx_numfmt_t *f) {
  int32_t v[4];
  spx_rt_error_t err;
  for (int i = 0; i < 4; i++) {
    int64_t x;
    MlirAttribute a = mlirDictionaryAttrGetElementByName(spec, spx_ir_str(keys[i]));
    if (mlirAttributeIsNull(a) || !spx_ir_attr_int(a, &x)) {
      spx_pass_error(env, op, "spx.lp has no integer '%s'", keys[i]);
      return -1;
    }
    v[i] = (int32_t)x;
  }
  if (spx_numfmt_init(f, &spx_numfmt_desc_LP, v, &err) != SPX_RT_OK) {
    spx_pass_error(env, op, "%s", err.message);
    return -1;
  }
  return 0;
}

static int apply(spx_pass_env_t *env, MlirModule module, MlirOperation op) {
  MlirAttribute spec = mlirOperationGetAttributeByName(op, spx_ir_str("spx.lp"));
  if (mlirAttributeIsNull(spec) || !mlirAttributeIsADictionary(spec)) return 0;
  MlirStringRef lname = spx_ir_layer_name(op);
  static const char *const wkeys[4] = {"n", "es", "rs", "sf"};
  static const char *const akeys[4] = {"act_n", "act_es", "act_rs", "act_sf"};
  spx_numfmt_t wf, af;
  if (format_of(env, op, spec, wkeys, &wf) || format_of(env, op, spec, akeys, &af)) return -1;
  if (mlirAttributeIsNull(mlirOperationGetAttributeByName(mlirModuleGetOperation(module),
                                                          spx_ir_str("spx.quantize")))) {
    spx_pass_error(env, op, "layer '%.*s': quantize : lp(...) needs 'quantize int8' (an LP "
                   "layer takes and gives the int8 activations of the network)",
                   (int)lname.length, lname.data);
    return -1;
  }
  if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify")))) {
    spx_pass_error(env, op, "layer '%.*s' is both sparsified and quantized to lp(...): its "
                   "weights are one or the other", (int)lname.length, lname.data);
    return -1;
  }
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  spx_wbuf_t *ws = spx_ir_get_wbuf(op, "spx.wscale", env->store);
  spx_wbuf_t *qb = spx_ir_get_wbuf(op, "bias", env->store);
  spx_wbuf_t *mult = spx_ir_get_wbuf(op, "spx.multiplier", env->store);
  spx_wbuf_t *shift = spx_ir_get_wbuf(op, "spx.shift", env->store);
  double s_in = 0, s_out = 0;
  int64_t zp_in = 0;
  if (!w || !ws || !qb || !mult || !shift || w->dtype != SPX_DT_I8 || qb->dtype != SPX_DT_I32 ||
      !spx_ir_tensor_quant(mlirValueGetType(mlirOperationGetOperand(op, 0)), &s_in, &zp_in) ||
      !spx_ir_tensor_quant(mlirValueGetType(mlirOperationGetResult(op, 0)), &s_out, NULL)) {
    spx_pass_error(env, op, "layer '%.*s': lp(...) needs a layer of the int8 network (not "
                   "'quantize LAYER : f32')", (int)lname.length, lname.data);
    return -1;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  bool conv = spx_ir_is_op(op, "conv2d");
  spx_fmt_dims_t d = {(uint32_t)w->dims[0], (uint32_t)w->dims[1],
                      conv ? (uint16_t)w->dims[2] : 1, conv ? (uint16_t)w->dims[3] : 1,
                      conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1};
  size_t count = w->count, per = count / d.rows;
  int64_t enc_len = (int64_t)spx_fmt_lp_encoded_size(&d, wf.n);
  if (enc_len <= 0) {
    spx_pass_error(env, op, "weights too large for an lp encoding (4 GiB or more)");
    return -1;
  }
  const float *wfl = spx_pass_float_weights(env, op, "weight", count);
  const float *bfl = spx_pass_float_weights(env, op, "bias", d.rows);
  const float *scale0 = ws->data;
  const int32_t *qb0 = qb->data;
  uint16_t *codes = malloc(sizeof *codes * count);
  int64_t *bias = malloc(sizeof *bias * d.rows);
  double *bf = malloc(sizeof *bf * d.rows);
  uint16_t table[256];
  SPX_ASSERT(codes && bias && bf);
  unsigned Fw = spx_lp_log_frac_bits(&wf), Fa = spx_lp_log_frac_bits(&af);
  unsigned F = Fw > Fa ? Fw : Fa;
  int64_t max_lw = INT64_MIN, max_la = INT64_MIN;
  double sq = 0, sig = 0;
  size_t zeros = 0;
  for (size_t i = 0; i < count; i++) {
    double x = wfl ? (double)wfl[i] : (double)((const int8_t *)w->data)[i] * scale0[i / per];
    uint32_t c = spx_numfmt_encode(&wf, x);
    double y = spx_numfmt_decode(&wf, c);
    codes[i] = (uint16_t)c;
    sq += (x - y) * (x - y);
    sig += x * x;
    zeros += c == 0;
    int32_t L = spx_lp_log_code(&wf, c);
    if (L != SPX_LP_LOG_ZERO && L != SPX_LP_LOG_NAR) {
      int64_t l = (int64_t)L * ((int64_t)1 << (F - Fw));
      if (l > max_lw) max_lw = l;
    }
  }
  for (int x = -128; x < 128; x++) {
    uint32_t c = spx_numfmt_encode(&af, s_in * (double)(x - zp_in));
    table[x + 128] = (uint16_t)c;
    int32_t L = spx_lp_log_code(&af, c);
    if (L != SPX_LP_LOG_ZERO && L != SPX_LP_LOG_NAR) {
      int64_t l = (int64_t)L * ((int64_t)1 << (F - Fa));
      if (l > max_la) max_la = l;
    }
  }
  double bmax = 0;
  for (uint32_t c = 0; c < d.rows; c++) {
    bf[c] = bfl ? (double)bfl[c] : (double)qb0[c] * s_in * scale0[c];
    if (fabs(bf[c]) > bmax) bmax = fabs(bf[c]);
  }
  /* A: K terms < 2^(Imax + 1 + A) and |bias| * 2^A, together within 2^62 */
  int A = SPX_FMT_LP_MAX_ACC_FRAC;
  if (max_lw != INT64_MIN && max_la != INT64_MIN) {
    int64_t P = max_lw + max_la;
    int64_t Imax = P >= 0 ? P >> F : -((-P + ((int64_t)1 << F) - 1) >> F);
    int kbits = 0;
    while (((uint64_t)1 << kbits) < (uint64_t)per + 1) kbits++;
    int64_t a = 61 - (Imax + 1) - kbits;
    if (a < A) A = a < -1000 ? -1000 : (int)a;
  }
  if (bmax > 0) {
    int e;
    frexp(bmax, &e); /* bmax < 2^e */
    if (60 - e < A) A = 60 - e;
  }
  if (A < 0) {
    spx_pass_error(env, op, "layer '%.*s': the range of lp weights times lp activations (and "
                   "the bias) is too wide for the LP datapath's int64 accumulator",
                   (int)lname.length, lname.data);
    free(codes); free(bias); free(bf);
    return -1;
  }
  for (uint32_t c = 0; c < d.rows; c++) bias[c] = (int64_t)round(ldexp(bf[c], A));
  int32_t M;
  int sh;
  spx_rt_quantize_multiplier(1.0 / s_out, &M, &sh);
  if (sh > 30 || sh < -31 || M < (1 << 30)) {
    spx_pass_error(env, op, "layer '%.*s': output scale %g has no Q31 reciprocal",
                   (int)lname.length, lname.data, s_out);
    free(codes); free(bias); free(bf);
    return -1;
  }
  spx_wbuf_t *enc = spx_pass_add_weight(env, op, "lp", SPX_DT_U8, 1, &enc_len);
  if (!enc) {
    free(codes); free(bias); free(bf);
    return -1;
  }
  spx_fmt_lp_params_t p = {(uint8_t)wf.n, (uint8_t)wf.es, (uint8_t)wf.rs, (int8_t)wf.sf,
                           (uint8_t)af.n, (uint8_t)af.es, (uint8_t)af.rs, (int8_t)af.sf,
                           (uint8_t)A};
  spx_rt_error_t err;
  size_t written = 0;
  spx_rt_status_t st = spx_fmt_lp_encode(&d, &p, table, bias, codes, enc->data, enc->nbytes,
                                         &written, &err);
  free(codes); free(bias); free(bf);
  if (st != SPX_RT_OK) {
    spx_pass_error(env, op, "lp encoding: %s", err.message);
    return -1;
  }
  int32_t *bq = qb->data, *m = mult->data, *shv = shift->data;
  for (uint32_t c = 0; c < d.rows; c++) {
    bq[c] = 0;
    m[c] = M;
    shv[c] = sh;
  }
  char wspec[64], aspec[64];
  spx_numfmt_spec(&wf, wspec, sizeof wspec);
  spx_numfmt_spec(&af, aspec, sizeof aspec);
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "lp"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  double mse = sq / (double)count;
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "lp")),
      spx_ir_named(ctx, "weight_format", spx_ir_str_attr(ctx, wspec)),
      spx_ir_named(ctx, "act_format", spx_ir_str_attr(ctx, aspec)),
      spx_ir_named(ctx, "acc_frac", spx_ir_i64_attr(ctx, A)),
      spx_ir_named(ctx, "weight_mse", spx_ir_f64_attr(ctx, mse)),
      spx_ir_named(ctx, "weight_sqnr_db",
                   spx_ir_f64_attr(ctx, sq > 0 ? 10.0 * log10(sig / sq) : 999.0)),
      spx_ir_named(ctx, "zero_weights", spx_ir_i64_attr(ctx, (int64_t)zeros)),
      spx_ir_named(ctx, "bits_per_weight",
                   spx_ir_f64_attr(ctx, 8.0 * (double)enc->nbytes / (double)count)),
      spx_ir_named(ctx, "encoded_bytes", spx_ir_i64_attr(ctx, enc_len)),
      spx_ir_named(ctx, "float_weights", spx_ir_str_attr(ctx, wfl ? "f32" : "dequantized int8")),
      /* the LPQ search's figures, when it chose the formats */
      spx_ir_named(ctx, "lpq", mlirOperationGetAttributeByName(op, spx_ir_str("spx.lpq_result"))),
  };
  intptr_t n_stats = (intptr_t)(sizeof a / sizeof a[0]);
  if (mlirAttributeIsNull(a[n_stats - 1].attribute)) n_stats--;
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"), mlirDictionaryAttrGet(ctx, n_stats, a));
  return 0;
}

int spx_pass_lp(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if ((spx_ir_is_op(ops[i], "conv2d") || spx_ir_is_op(ops[i], "dense")) &&
        apply(env, mlirModuleFromOperation(module), ops[i]))
      rc = -1;
  free(ops);
  return rc;
}
