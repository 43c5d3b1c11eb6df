/* ternary.c - structured sparse ternary weights on int8 conv2d/dense: a
 * post-training projection of the float weights onto the (N, K) code book,
 * encoded in the ternary format (runtime/formats/spx_formats.h, "TERNARY").
 *
 * Acts on the int8 conv2d/dense ops whose spx.sparsify has kind "ternary":
 *   sparsify LAYER : ternary(n=8, k=2, scale=channel, first=0, last=0)
 * Options (all named and optional; defined once, with their messages, in
 * support/spx_ternary_project.h):
 *   n      N, lanes per group along the input channels, 2 .. 16 (default 8);
 *          a ragged last group keeps the rest of the channels.
 *   k      K, non-zero weights per group at most, 1 .. n (default 2).
 *   scale  channel (default): one alpha per output channel; layer: one
 *          alpha for the whole layer.
 *   first  1 makes the network's first conv2d/dense ternary too; by default
 *          it stays int8 (it sees the raw input, where one sign per weight
 *          costs the most accuracy).
 *   last   1 makes the network's last conv2d/dense ternary too; by default
 *          it stays int8 (the logits).
 * Depthwise layers (one input channel per conv group) stay int8: each of
 * their groups would hold a single weight, so a code would cost b bits per
 * weight with no sparsity to skip.
 * A layer kept int8 gets spx.stats = {technique = "ternary", kept_int8 =
 * the reason} and no encoding.
 *
 * Projection (support/ternary_project.c, spx_ternary_project_all; spx-quant
 * runs the same code on an array), per scale unit U: one output channel, or
 * the layer. The float weights w (the f32 weights the quantize pass read; the layer's
 * dequantized int8 weights if they are not in the weight store) are
 * approximated by alpha * t, t in {-1, 0, 1} with at most K non-zeros per
 * group, minimizing E = sum_U (w - alpha t)^2:
 *   - supports S (per group, the lanes with t != 0; t = sign(w) there):
 *     start with the K largest |w| of each group, zeros left out;
 *   - alpha for given supports: alpha = sum_S |w| / |S| (the least-squares
 *     solution; 0 when S is empty);
 *   - supports for a given alpha: a lane lowers E by alpha (2|w| - alpha)
 *     when it is in S, so each group takes its K largest |w| among those
 *     with |w| > alpha / 2 - fewer than K where that lowers the error;
 *   - alternate the two until E stops decreasing (at most 50 rounds; each
 *     step cannot increase E). Ties between equal magnitudes go to the
 *     lower lane. Weights already ternary ({-a, 0, +a} per unit, at most K
 *     non-zeros per group) come out exactly: alpha = a, E = 0.
 * alpha becomes the layer's int8 weight scale (spx.wscale, per channel; the
 * same value in every channel for scale=layer), the int8 weights are t,
 * and the int32 bias and the requantization multiplier are recomputed as
 * the quantize pass does for a weight scale: bias = round(b / (s_in *
 * alpha)), multiplier = s_in * alpha / s_out. As quantize does, alpha is
 * raised where needed so that |bias| <= 2^30 (a channel whose supports are
 * all empty gets 1, or that bound).
 *
 * Results on the op: "weight" = the ternary int8 weights (new buffer
 * "<layer>.qweight.ternary"), spx.wscale, bias, spx.multiplier and
 * spx.shift rewritten for alpha, spx.encoding = "ternary", spx.encoded =
 * "<layer>.ternary" (ui8), and
 *   spx.stats = {technique = "ternary", n, k, scale, code_bits (b),
 *     patterns (P), bits_per_weight = 8 * encoded bytes / weights,
 *     sparsity = zero weights / weights, alpha_min, alpha_max,
 *     mse = mean (alpha t - w)^2 over the weights (float units),
 *     iterations (the most rounds a unit took),
 *     compression_f32 = 4 * weights / (encoded bytes + 4 * alphas),
 *     compression_int8 = (weights + 4 * channels) / (encoded bytes + 4 *
 *       alphas) (int8 weights and their f32 scales against codes and
 *       alphas; alphas = channels, or 1 for scale=layer),
 *     float_weights = "f32" | "dequantized int8", encoded_bytes,
 *     dense_int8_bytes}.
 * Errors (at the layer): unknown or out-of-range options, k > n, ternary on
 * a layer that is not int8. */
#include "passes/spx_pass.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"
#include "support/spx_ternary_project.h"

/* Reads and checks the ternary(...) options (support/spx_ternary_project.h:
 * their one definition, shared with spx-quant); reports at the layer. */
static int parse_opts(spx_pass_env_t *env, MlirOperation op, MlirAttribute spec,
                      spx_ternary_opts_t *o) {
  char msg[160];
  spx_ternary_opts_init(o);
  intptr_t n = mlirDictionaryAttrGetNumElements(spec);
  for (intptr_t i = 0; i < n; i++) {
    MlirNamedAttribute na = mlirDictionaryAttrGetElement(spec, i);
    MlirStringRef key = mlirIdentifierStr(na.name);
    MlirAttribute v = na.attribute;
    spx_ternary_val_t val = {SPX_TERNARY_VAL_OTHER, 0, NULL, 0};
    if (spx_ir_str_is(key, "kind")) continue;
    if (spx_ir_attr_int(v, &val.i)) {
      val.kind = SPX_TERNARY_VAL_INT;
    } else if (mlirAttributeIsAString(v)) {
      MlirStringRef s = mlirStringAttrGetValue(v);
      val.kind = SPX_TERNARY_VAL_WORD;
      val.s = s.data;
      val.len = s.length;
    }
    if (spx_ternary_opt_set(o, key.data, key.length, &val, msg, sizeof msg) !=
        SPX_TERNARY_OPT_OK) {
      spx_pass_request_error(env, op, "%s", msg);
      return -1;
    }
  }
  if (spx_ternary_opts_check(o, msg, sizeof msg)) {
    spx_pass_request_error(env, op, "%s", msg);
    return -1;
  }
  return 0;
}

static void set_stats(MlirOperation op, MlirNamedAttribute *a, int n) {
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"), mlirDictionaryAttrGet(ctx, n, a));
}

static int apply(spx_pass_env_t *env, MlirOperation op, bool is_first, bool is_last) {
  MlirAttribute spec = mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify"));
  if (mlirAttributeIsNull(spec) || !mlirAttributeIsADictionary(spec)) return 0;
  MlirAttribute kind = mlirDictionaryAttrGetElementByName(spec, spx_ir_str("kind"));
  if (mlirAttributeIsNull(kind) || !mlirAttributeIsAString(kind) ||
      !spx_ir_str_is(mlirStringAttrGetValue(kind), spx_pass_sparsify_kind_of(SPX_PASS_ID_ternary)))
    return 0;
  spx_ternary_opts_t o;
  if (parse_opts(env, op, spec, &o)) return -1;
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  spx_wbuf_t *ws = spx_ir_get_wbuf(op, "spx.wscale", env->store);
  spx_wbuf_t *qb = spx_ir_get_wbuf(op, "bias", env->store);
  spx_wbuf_t *mult = spx_ir_get_wbuf(op, "spx.multiplier", env->store);
  spx_wbuf_t *shift = spx_ir_get_wbuf(op, "spx.shift", env->store);
  double s_in = 0, s_out = 0;
  if (!w || !ws || !qb || !mult || !shift || w->dtype != SPX_DT_I8 || ws->dtype != SPX_DT_F32 ||
      qb->dtype != SPX_DT_I32 ||
      !spx_ir_tensor_quant(mlirValueGetType(mlirOperationGetOperand(op, 0)), &s_in, NULL) ||
      !spx_ir_tensor_quant(mlirValueGetType(mlirOperationGetResult(op, 0)), &s_out, NULL)) {
    spx_pass_error(env, op, "ternary needs int8 weights (quantize int8, and not 'quantize "
                            "LAYER : f32'): alpha is the int8 weight scale");
    return -1;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  bool conv = spx_ir_is_op(op, "conv2d");
  uint32_t groups = conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1;
  spx_ternary_geom_t g;
  spx_ternary_geom_init(&g, (uint32_t)w->dims[0], (uint32_t)w->dims[1],
                        conv ? (uint32_t)(w->dims[2] * w->dims[3]) : 1, o.n, o.k);
  const char *kept = NULL;
  if (conv && g.cols == 1 && groups > 1)
    kept = "depthwise: a group would hold one weight, a code per weight with no sparsity";
  else if (is_first && !o.first)
    kept = "the network's first conv2d/dense (first=1 makes it ternary)";
  else if (is_last && !o.last)
    kept = "the network's last conv2d/dense (last=1 makes it ternary)";
  if (kept) {
    /* `sparsify *` leaves these by design; a statement naming the layer
     * asked for it. */
    if (spx_pass_request_named(op)) {
      MlirStringRef nm = spx_ir_layer_name(op);
      spx_pass_request_warning(env, op, "layer '%.*s' is kept int8, not ternary: %s",
                               (int)nm.length, nm.data, kept);
    }
    MlirNamedAttribute a[] = {
        spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "ternary")),
        spx_ir_named(ctx, "kept_int8", spx_ir_str_attr(ctx, kept)),
    };
    set_stats(op, a, (int)(sizeof a / sizeof a[0]));
    return 0;
  }
  spx_fmt_dims_t d = {g.rows, g.cols, conv ? (uint16_t)w->dims[2] : 1,
                      conv ? (uint16_t)w->dims[3] : 1, groups};
  int64_t enc_len = (int64_t)spx_fmt_ternary_encoded_size(&d, o.n, o.k);
  if (enc_len <= 0) {
    spx_pass_error(env, op, "weights too large for a ternary encoding (4 GiB or more)");
    return -1;
  }

  /* the float weights and bias */
  size_t count = w->count, per = count / g.rows;
  const float *wf = spx_pass_float_weights(env, op, "weight", count);
  const float *bf = spx_pass_float_weights(env, op, "bias", g.rows);
  const float *scale0 = ws->data;
  const int32_t *qb0 = qb->data;
  double *wd = malloc(sizeof *wd * count);
  double *bias = malloc(sizeof *bias * g.rows);
  double *alpha = malloc(sizeof *alpha * g.rows);
  int8_t *t = malloc(count), *t_next = malloc(count);
  SPX_ASSERT(wd && bias && alpha && t && t_next);
  for (size_t i = 0; i < count; i++)
    wd[i] = wf ? (double)wf[i] : (double)((const int8_t *)w->data)[i] * scale0[i / per];
  for (uint32_t c = 0; c < g.rows; c++)
    bias[c] = bf ? (double)bf[c] : (double)qb0[c] * s_in * scale0[c];

  int rounds = spx_ternary_project_all(&g, wd, o.per_layer, t, t_next, alpha);
  /* The bias bound of the quantize pass: |bias| <= 2^30, less when the
   * layer sums more than about 2^15 products. */
  double bias_max = spx_pass_int8_bias_max(per, spx_fmt_acc_term(&spx_fmt_desc_TERNARY));
  double raise = 0;
  for (uint32_t c = 0; c < g.rows; c++) {
    double m = fabs(bias[c]) / (s_in * bias_max) * (1.0 + 0x1p-20);
    if (o.per_layer) {
      if (m > raise) raise = m;
    } else {
      if (alpha[c] < m) alpha[c] = m;
      if (alpha[c] > 0 && alpha[c] < FLT_MIN) alpha[c] = FLT_MIN;
      if (alpha[c] == 0) alpha[c] = 1.0;
    }
  }
  if (o.per_layer) {
    double a = alpha[0] < raise ? raise : alpha[0];
    if (a > 0 && a < FLT_MIN) a = FLT_MIN;
    if (a == 0) a = 1.0;
    for (uint32_t c = 0; c < g.rows; c++) alpha[c] = a;
  }
  for (uint32_t c = 0; c < g.rows; c++) {
    if (!(alpha[c] <= FLT_MAX)) {
      MlirStringRef name = spx_ir_layer_name(op);
      spx_pass_error(env, op, "layer '%.*s': bias %g of channel %u is too large for its int8 "
                     "input scale %g (alpha would overflow f32)", (int)name.length, name.data,
                     bias[c], (unsigned)c, s_in);
      free(wd); free(bias); free(alpha); free(t); free(t_next);
      return -1;
    }
  }

  /* buffers: ternary int8 weights and the encoding */
  spx_wbuf_t *tw = spx_pass_add_weight(env, op, "qweight.ternary", SPX_DT_I8, w->rank, w->dims);
  spx_wbuf_t *enc = tw ? spx_pass_add_weight(env, op, "ternary", SPX_DT_U8, 1, &enc_len) : NULL;
  if (!tw || !enc) {
    free(wd); free(bias); free(alpha); free(t); free(t_next);
    return -1;
  }
  memcpy(tw->data, t, count);
  size_t written = 0;
  spx_rt_status_t st = spx_fmt_ternary_encode(&d, o.n, o.k, t, enc->data, enc->nbytes, &written);
  SPX_ASSERT(st == SPX_RT_OK && written == (size_t)enc_len);

  /* alpha is the weight scale: bias and multiplier as quantize makes them */
  float *scale = ws->data;
  int32_t *bq = qb->data, *m = mult->data, *sh = shift->data;
  double a_min = INFINITY, a_max = 0, sq = 0;
  size_t zeros = 0;
  for (uint32_t c = 0; c < g.rows; c++) {
    scale[c] = (float)alpha[c];
    double s_w = scale[c]; /* as recorded */
    spx_pass_int8_channel(bias[c], s_in, s_w, s_out,
                          spx_ir_op_act(op) == SPX_RT_ACT_SIGN, &bq[c],
                          &m[c], &sh[c]);
    if (s_w < a_min) a_min = s_w;
    if (s_w > a_max) a_max = s_w;
    for (size_t i = (size_t)c * per; i < (size_t)(c + 1) * per; i++) {
      double e = s_w * t[i] - wd[i];
      sq += e * e;
      zeros += t[i] == 0;
    }
  }
  free(wd); free(bias); free(alpha); free(t); free(t_next);

  double alphas = o.per_layer ? 1.0 : (double)g.rows;
  double stored = (double)enc->nbytes + 4.0 * alphas;
  mlirOperationSetAttributeByName(op, spx_ir_str("weight"), spx_ir_wbuf_attr(ctx, tw));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "ternary"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "ternary")),
      spx_ir_named(ctx, "n", spx_ir_i64_attr(ctx, o.n)),
      spx_ir_named(ctx, "k", spx_ir_i64_attr(ctx, o.k)),
      spx_ir_named(ctx, "scale", spx_ir_str_attr(ctx, o.per_layer ? "layer" : "channel")),
      spx_ir_named(ctx, "code_bits", spx_ir_i64_attr(ctx, spx_fmt_ternary_code_bits(o.n, o.k))),
      spx_ir_named(ctx, "patterns", spx_ir_i64_attr(ctx, spx_fmt_ternary_patterns(o.n, o.k))),
      spx_ir_named(ctx, "bits_per_weight",
                   spx_ir_f64_attr(ctx, 8.0 * (double)enc->nbytes / (double)count)),
      spx_ir_named(ctx, "sparsity", spx_ir_f64_attr(ctx, (double)zeros / (double)count)),
      spx_ir_named(ctx, "alpha_min", spx_ir_f64_attr(ctx, a_min)),
      spx_ir_named(ctx, "alpha_max", spx_ir_f64_attr(ctx, a_max)),
      spx_ir_named(ctx, "mse", spx_ir_f64_attr(ctx, sq / (double)count)),
      spx_ir_named(ctx, "iterations", spx_ir_i64_attr(ctx, rounds)),
      spx_ir_named(ctx, "compression_f32", spx_ir_f64_attr(ctx, 4.0 * (double)count / stored)),
      spx_ir_named(ctx, "compression_int8",
                   spx_ir_f64_attr(ctx, ((double)count + 4.0 * g.rows) / stored)),
      spx_ir_named(ctx, "float_weights", spx_ir_str_attr(ctx, wf ? "f32" : "dequantized int8")),
      spx_ir_named(ctx, "encoded_bytes", spx_ir_i64_attr(ctx, enc_len)),
      spx_ir_named(ctx, "dense_int8_bytes", spx_ir_i64_attr(ctx, (int64_t)w->nbytes)),
  };
  set_stats(op, a, (int)(sizeof a / sizeof a[0]));
  return 0;
}

int spx_pass_ternary(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  size_t first = n, last = n;
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if (spx_ir_is_op(ops[i], "conv2d") || spx_ir_is_op(ops[i], "dense")) {
      if (first == n) first = i;
      last = i;
    }
  for (size_t i = 0; i < n; i++)
    if ((spx_ir_is_op(ops[i], "conv2d") || spx_ir_is_op(ops[i], "dense")) &&
        apply(env, ops[i], i == first, i == last))
      rc = -1;
  free(ops);
  return rc;
}
