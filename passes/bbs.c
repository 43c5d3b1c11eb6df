/* bbs.c - bi-directional bit-level sparsity (Chen et al., arXiv 2409.05227,
 * BitVert) on int8 conv2d/dense, encoded as BBS bit-column groups
 * (runtime/formats/spx_formats.h, "BBS").
 *
 * Acts on the int8 conv2d/dense ops whose spx.sparsify has kind "bbs":
 *   sparsify LAYER : bbs(group=16, prune=round_avg, columns=2, outliers=0.05)
 * Options (all named and optional):
 *   group     G, lanes per group along the input channels: 8, 16 (default)
 *             or 32; a layer with fewer input channels per group uses them
 *             all (Ge = min(G, I)), a ragged last group keeps the rest.
 *   prune     round_avg (default) | zp_shift | none: the binary pruning
 *             method (spx_formats.h gives both definitions).
 *   columns   N, bit columns pruned per group: 0, 2 (default) or 4; with
 *             prune=none it must be 0 (the default then).
 *   outliers  fraction of output channels kept at all 8 columns (method
 *             none), in [0, 1]; default 0.05. The channels with the largest
 *             quantization scale (spx.wscale) are outliers: floor(fraction *
 *             channels + 0.5) of them, ties to the lower channel index
 *             (so 0 for fewer than 10 channels at 0.05).
 * Depthwise layers are encoded too (groups of one lane: larger than int8,
 * see size_ratio).
 *
 * Results on the op: spx.encoding = "bbs", spx.encoded = "<layer>.bbs" (ui8),
 * the weights every target runs (program.c takes spx.encoded for an encoded
 * op). "weight" stays the int8 weights the encoding was pruned from: the
 * effective weights the BBS hardware multiplies by are the encoding's
 * decoding (spx_fmt_desc_BBS.decode, int16), and zero-point shifting can
 * take them beyond int8 (128 for a weight of 127; the format allows
 * [-(143 - 2^N), 144 - 2^N], spx_formats.h), so no
 * int8 buffer can hold them. And
 *   spx.stats = {technique = "bbs", group (G), group_lanes (Ge), method,
 *     columns_pruned (N), outlier_channels,
 *     columns_kept_per_class = [8 - N, 8] (pruned channels, outliers),
 *     bit_sparsity_before = 1 - ones / (8 * weights) of the int8 weights
 *       (two's complement, a one is an effectual bit),
 *     bit_sparsity_after = 1 - effectual / (8 * weights), effectual =
 *       sum over every kept column and half group of min(ones, zeros),
 *     max_effectual_per_half (<= 4 by construction),
 *     effective_bits_per_weight = 8 * encoded bytes / weights (all of the
 *       encoding: group headers, class table, channel order),
 *     size_ratio = int8 bytes / encoded bytes,
 *     mse = mean (w' - w)^2 over all weights, w' the effective weights
 *       (int16 decoding) and w the int8 weights, in int8 units,
 *     encoded_bytes, dense_bytes}.
 * Errors (at the layer): unknown or out-of-range options, bbs on a layer
 * that is not int8. */
#include "passes/spx_pass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"

typedef struct bbs_opts {
  unsigned group;
  unsigned method;
  unsigned columns;
  double outliers;
} bbs_opts_t;

/* Reads and checks the bbs(...) options; reports at the layer. */
static int parse_opts(spx_pass_env_t *env, MlirOperation op, MlirAttribute spec,
                      bbs_opts_t *o) {
  bool have_columns = false;
  o->group = 16;
  o->method = SPX_FMT_BBS_ROUND_AVG;
  o->columns = 2;
  o->outliers = 0.05;
  intptr_t n = mlirDictionaryAttrGetNumElements(spec);
  for (intptr_t i = 0; i < n; i++) {
    MlirNamedAttribute na = mlirDictionaryAttrGetElement(spec, i);
    MlirStringRef key = mlirIdentifierStr(na.name);
    MlirAttribute v = na.attribute;
    int64_t k;
    double d;
    if (spx_ir_str_is(key, "kind")) continue;
    if (spx_ir_str_is(key, "group")) {
      if (!spx_ir_attr_int(v, &k) || (k != 8 && k != 16 && k != 32)) {
        spx_pass_request_error(env, op, "bbs group must be 8, 16 or 32");
        return -1;
      }
      o->group = (unsigned)k;
    } else if (spx_ir_str_is(key, "columns")) {
      if (!spx_ir_attr_int(v, &k) || (k != 0 && k != 2 && k != 4)) {
        spx_pass_request_error(env, op, "bbs columns (bit columns pruned per group) must be 0, 2 or 4");
        return -1;
      }
      o->columns = (unsigned)k;
      have_columns = true;
    } else if (spx_ir_str_is(key, "prune")) {
      MlirStringRef s = mlirAttributeIsAString(v) ? mlirStringAttrGetValue(v) : spx_ir_str("");
      if (spx_ir_str_is(s, "round_avg")) {
        o->method = SPX_FMT_BBS_ROUND_AVG;
      } else if (spx_ir_str_is(s, "zp_shift")) {
        o->method = SPX_FMT_BBS_ZP_SHIFT;
      } else if (spx_ir_str_is(s, "none")) {
        o->method = SPX_FMT_BBS_NONE;
      } else {
        spx_pass_request_error(env, op, "bbs prune must be round_avg, zp_shift or none");
        return -1;
      }
    } else if (spx_ir_str_is(key, "outliers")) {
      if (!spx_ir_attr_number(v, &d) || !(d >= 0.0 && d <= 1.0)) {
        spx_pass_request_error(env, op, "bbs outliers must be a fraction in [0, 1]");
        return -1;
      }
      o->outliers = d;
    } else if (key.length > 3 && memcmp(key.data, "arg", 3) == 0) {
      spx_pass_request_error(env, op, "bbs options are named: group=, prune=, columns=, outliers=");
      return -1;
    } else {
      spx_pass_request_error(env, op, "unknown bbs option '%.*s' (group, prune, columns, outliers)",
                     (int)key.length, key.data);
      return -1;
    }
  }
  if (o->method == SPX_FMT_BBS_NONE) {
    if (have_columns && o->columns != 0) {
      spx_pass_request_error(env, op, "bbs prune=none prunes no columns: columns must be 0");
      return -1;
    }
    o->columns = 0;
  }
  return 0;
}


/* Outlier channels: the n with the largest scale, ties to the lower index. */
static const float *sort_scales;
static int by_scale_desc(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  if (sort_scales[x] != sort_scales[y]) return sort_scales[x] > sort_scales[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static uint32_t mark_outliers(const float *scale, uint32_t rows, double fraction,
                              uint8_t *class_of) {
  uint32_t n = (uint32_t)floor(fraction * rows + 0.5), i;
  uint32_t *idx = malloc(sizeof *idx * rows);
  SPX_ASSERT(idx);
  if (n > rows) n = rows;
  for (i = 0; i < rows; i++) idx[i] = i;
  sort_scales = scale;
  qsort(idx, rows, sizeof *idx, by_scale_desc);
  memset(class_of, 0, rows);
  for (i = 0; i < n; i++) class_of[idx[i]] = 1;
  free(idx);
  return n;
}

static int apply(spx_pass_env_t *env, MlirOperation op) {
  MlirAttribute spec = mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify"));
  if (mlirAttributeIsNull(spec) || !mlirAttributeIsADictionary(spec)) return 0;
  MlirAttribute kind = mlirDictionaryAttrGetElementByName(spec, spx_ir_str("kind"));
  if (mlirAttributeIsNull(kind) || !mlirAttributeIsAString(kind) ||
      !spx_ir_str_is(mlirStringAttrGetValue(kind), spx_pass_sparsify_kind_of(SPX_PASS_ID_bbs)))
    return 0;
  bbs_opts_t o;
  if (parse_opts(env, op, spec, &o)) return -1;
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  spx_wbuf_t *ws = spx_ir_get_wbuf(op, "spx.wscale", env->store);
  if (!w || !ws || w->dtype != SPX_DT_I8 || ws->dtype != SPX_DT_F32) {
    spx_pass_error(env, op, "bbs needs int8 weights (quantize int8, and not 'quantize LAYER : f32')");
    return -1;
  }
  bool conv = spx_ir_is_op(op, "conv2d");
  spx_fmt_bbs_dims_t d;
  if (w->dims[0] > SPX_FMT_BBS_MAX_ROWS || (conv && (w->dims[2] > 65535 || w->dims[3] > 65535))) {
    spx_pass_error(env, op, "bbs supports at most 65535 output channels");
    return -1;
  }
  d.rows = (uint32_t)w->dims[0];
  d.cols = (uint32_t)w->dims[1];
  d.kh = conv ? (uint16_t)w->dims[2] : 1;
  d.kw = conv ? (uint16_t)w->dims[3] : 1;
  uint8_t *class_of = malloc(d.rows);
  SPX_ASSERT(class_of);
  uint32_t n_out = o.method == SPX_FMT_BBS_NONE
                       ? (memset(class_of, 0, d.rows), 0u)
                       : mark_outliers(ws->data, d.rows, o.outliers, class_of);
  spx_fmt_bbs_config_t cfg = {o.group, o.method, o.columns, class_of};
  int64_t enc_len = (int64_t)spx_fmt_bbs_encoded_size(&d, &cfg);
  if (enc_len <= 0) {
    free(class_of);
    spx_pass_error(env, op, "weights too large for a BBS encoding");
    return -1;
  }
  spx_wbuf_t *enc = spx_pass_add_weight(env, op, "bbs", SPX_DT_U8, 1, &enc_len);
  if (!enc) {
    free(class_of);
    return -1;
  }
  size_t written = 0;
  spx_rt_status_t st = spx_fmt_bbs_encode(&d, &cfg, w->data, enc->data, enc->nbytes, &written);
  SPX_ASSERT(st == SPX_RT_OK && written == (size_t)enc_len);
  free(class_of);
  /* The effective weights, int16: zp_shift ones may leave int8. */
  spx_fmt_dims_t fd = {d.rows, d.cols, d.kh, d.kw, conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1};
  int16_t *w1 = malloc(sizeof *w1 * (w->count ? w->count : 1));
  SPX_ASSERT(w1);
  SPX_ASSERT(spx_fmt_desc_BBS.decode(enc->data, enc->nbytes, &fd, w1, w->count, NULL) == SPX_RT_OK);

  /* statistics */
  const int8_t *w0 = w->data;
  uint64_t ones = 0, effectual = 0;
  double sq = 0;
  unsigned max_eff = 0;
  for (size_t i = 0; i < w->count; i++) {
    double e = (double)w1[i] - w0[i];
    ones += spx_fmt_bbs_popcount8_((uint8_t)w0[i]);
    sq += e * e;
  }
  free(w1);
  spx_fmt_bbs_view_t v;
  SPX_ASSERT(spx_fmt_bbs_open(enc->data, enc->nbytes, &d, &v, NULL) == SPX_RT_OK);
  uint32_t taps = (uint32_t)d.kh * d.kw;
  for (uint32_t p = 0; p < d.rows; p++)
    for (uint32_t t = 0; t < taps; t++)
      for (uint32_t g = 0; g < v.groups_per_tap; g++) {
        spx_fmt_bbs_group_t grp;
        spx_fmt_bbs_group_get(&v, p, t, g, &grp);
        for (unsigned j = 0; j < grp.n_cols; j++)
          for (unsigned h = 0; h < spx_fmt_bbs_halves(grp.lanes); h++) {
            unsigned e = spx_fmt_bbs_effectual(&grp, j, h);
            effectual += e;
            if (e > max_eff) max_eff = e;
          }
      }
  double bits = 8.0 * (double)w->count;
  MlirContext ctx = mlirOperationGetContext(op);
  MlirAttribute kept[2] = {spx_ir_i64_attr(ctx, 8 - (int64_t)o.columns), spx_ir_i64_attr(ctx, 8)};
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "bbs")),
      spx_ir_named(ctx, "group", spx_ir_i64_attr(ctx, o.group)),
      spx_ir_named(ctx, "group_lanes", spx_ir_i64_attr(ctx, v.group_eff)),
      spx_ir_named(ctx, "method", spx_ir_str_attr(ctx, spx_fmt_bbs_method_name(o.method))),
      spx_ir_named(ctx, "columns_pruned", spx_ir_i64_attr(ctx, o.columns)),
      spx_ir_named(ctx, "outlier_channels", spx_ir_i64_attr(ctx, n_out)),
      spx_ir_named(ctx, "columns_kept_per_class", mlirArrayAttrGet(ctx, 2, kept)),
      spx_ir_named(ctx, "bit_sparsity_before", spx_ir_f64_attr(ctx, 1.0 - (double)ones / bits)),
      spx_ir_named(ctx, "bit_sparsity_after", spx_ir_f64_attr(ctx, 1.0 - (double)effectual / bits)),
      spx_ir_named(ctx, "max_effectual_per_half", spx_ir_i64_attr(ctx, max_eff)),
      spx_ir_named(ctx, "effective_bits_per_weight", spx_ir_f64_attr(ctx, 8.0 * (double)enc->nbytes / (double)w->count)),
      spx_ir_named(ctx, "size_ratio", spx_ir_f64_attr(ctx, (double)w->nbytes / (double)enc->nbytes)),
      spx_ir_named(ctx, "mse", spx_ir_f64_attr(ctx, sq / (double)w->count)),
      spx_ir_named(ctx, "encoded_bytes", spx_ir_i64_attr(ctx, (int64_t)enc->nbytes)),
      spx_ir_named(ctx, "dense_bytes", spx_ir_i64_attr(ctx, (int64_t)w->nbytes)),
  };
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "bbs"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"),
                                  mlirDictionaryAttrGet(ctx, (intptr_t)(sizeof a / sizeof a[0]), a));
  return 0;
}

int spx_pass_bbs(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if ((spx_ir_is_op(ops[i], "conv2d") || spx_ir_is_op(ops[i], "dense")) && apply(env, ops[i]))
      rc = -1;
  free(ops);
  return rc;
}
