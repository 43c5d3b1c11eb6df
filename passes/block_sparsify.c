/* block_sparsify.c - 8x8 weight block sparsity (arXiv 2407.09453, D'Alberto
 * et al., arXiv 2407.09453) on int8 conv2d/dense, encoded as CBR
 * (runtime/formats/spx_formats.h).
 *
 * Acts on the int8 conv2d/dense ops whose spx.sparsify has kind "block":
 *   sparsify LAYER : block(8x8, density=0.5, score=l2, first=0)
 * Options (all optional; the block size, positional, must be 8x8):
 *   density  fraction of blocks kept, in (0, 1]; default 0.5. The pass keeps
 *            ceil(density * blocks) blocks (never fewer than asked).
 *   score    l2 (default) | l1 | variance: the block score, computed on the
 *            dequantized weights (int8 * spx.wscale of the output channel)
 *            over the block's real (unpadded) weights.
 *   first    1 to sparsify the network's first conv2d/dense and layers with
 *            3 or fewer input channels too; default 0 keeps them dense.
 *   tol      already-sparse tolerance, in [0, 1); default 0.05 (below).
 * The block grid is that of CBR: 8 output x 8 input channels (x kh x kw),
 * per group, edge blocks padded. Depthwise layers (1 input channel per group)
 * stay dense: their grid has one block column, so no block could go.
 *
 * Pruning: blocks are visited in ascending score (ties: lower block-row-major
 * index first); a block is zeroed unless it is the last kept block of its
 * block row or of its block column (within its group), so no output or
 * input channel is ever pruned whole; visiting stops when enough blocks are
 * zeroed or the candidates run out (then the kept density is above the
 * request, e.g. a layer whose grid is a single block column).
 * Already block-sparse weights (some all-zero blocks, and block density <=
 * density + tol, e.g. a model fine-tuned with a block mask) are encoded as
 * they are, without pruning further.
 *
 * If no block can be zeroed (e.g. a 16x8 conv: two block rows of one block
 * each), the layer stays dense and its stats say so (kept_dense).
 * Results on the op: "weight" = the pruned int8 weights (new buffer
 * "<layer>.qweight.bsp"; unchanged if already sparse), spx.encoding = "cbr",
 * spx.encoded = "<layer>.cbr" (the CBR bytes, ui8), and
 *   spx.stats = {technique = "block", block = "8x8", density = kept blocks /
 *                blocks, blocks_kept, blocks_total, already_sparse = 0|1,
 *                score, encoded_bytes (CBR with its index), dense_int8_bytes (the int8 weights)}.
 * A layer kept dense gets spx.stats = {technique = "block", kept_dense =
 * "first layer" | "3 or fewer input channels" | "depthwise", density,
 * blocks_kept, blocks_total} and no encoding. */
#include "passes/spx_pass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"

typedef enum score_kind { SCORE_L2, SCORE_L1, SCORE_VARIANCE } score_kind_t;
static const char *const score_names[] = {"l2", "l1", "variance"};

typedef struct bsp_opts {
  double density;
  score_kind_t score;
  bool first;
  double tol;
} bsp_opts_t;

/* Reads and checks the block(...) options; reports at the layer. */
static int parse_opts(spx_pass_env_t *env, MlirOperation op, MlirAttribute spec,
                      bsp_opts_t *o) {
  o->density = 0.5;
  o->score = SCORE_L2;
  o->first = false;
  o->tol = 0.05;
  intptr_t n = mlirDictionaryAttrGetNumElements(spec);
  for (intptr_t i = 0; i < n; i++) {
    MlirNamedAttribute na = mlirDictionaryAttrGetElement(spec, i);
    MlirStringRef key = mlirIdentifierStr(na.name);
    MlirAttribute v = na.attribute;
    double d;
    if (spx_ir_str_is(key, "kind")) continue;
    if (spx_ir_str_is(key, "arg0")) {
      if (!mlirAttributeIsADenseI64Array(v) || mlirDenseArrayGetNumElements(v) != 2 ||
          mlirDenseI64ArrayGetElement(v, 0) != 8 || mlirDenseI64ArrayGetElement(v, 1) != 8) {
        spx_pass_request_error(env, op, "block sparsity supports 8x8 blocks only");
        return -1;
      }
    } else if (spx_ir_str_is(key, "density")) {
      if (!spx_ir_attr_number(v, &d) || !(d > 0.0 && d <= 1.0)) {
        spx_pass_request_error(env, op, "block density must be a number in (0, 1]");
        return -1;
      }
      o->density = d;
    } else if (spx_ir_str_is(key, "tol")) {
      if (!spx_ir_attr_number(v, &d) || !(d >= 0.0 && d < 1.0)) {
        spx_pass_request_error(env, op, "block tol must be a number in [0, 1)");
        return -1;
      }
      o->tol = d;
    } else if (spx_ir_str_is(key, "score")) {
      MlirStringRef s = mlirAttributeIsAString(v) ? mlirStringAttrGetValue(v) : spx_ir_str("");
      int k = 0;
      while (k < 3 && !spx_ir_str_is(s, score_names[k])) k++;
      if (k == 3) {
        spx_pass_request_error(env, op, "block score must be l2, l1 or variance");
        return -1;
      }
      o->score = (score_kind_t)k;
    } else if (spx_ir_str_is(key, "first")) {
      if (!mlirAttributeIsAInteger(v) || (mlirIntegerAttrGetValueInt(v) != 0 &&
                                          mlirIntegerAttrGetValueInt(v) != 1)) {
        spx_pass_request_error(env, op, "block first must be 0 or 1");
        return -1;
      }
      o->first = mlirIntegerAttrGetValueInt(v) == 1;
    } else {
      spx_pass_request_error(env, op, "unknown block sparsity option '%.*s' (density, score, first, tol)",
                     (int)key.length, key.data);
      return -1;
    }
  }
  return 0;
}


typedef struct cand {
  double score;
  uint32_t index; /* r * C + c */
} cand_t;

static int cand_cmp(const void *a, const void *b) {
  const cand_t *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Score of block (r, c) on the dequantized weights. */
static double block_score(const spx_fmt_cbr_dims_t *d, const int8_t *w,
                          const float *wscale, uint32_t r, uint32_t c,
                          score_kind_t kind) {
  uint32_t o0, no, i0, ni;
  size_t cell = (size_t)d->kh * d->kw;
  double s1 = 0, s2 = 0, sa = 0, dev = 0;
  spx_fmt_cbr_block_row_span(d, r, &o0, &no);
  spx_fmt_cbr_block_col_span(d, c, &i0, &ni);
  for (uint32_t o = o0; o < o0 + no; o++) {
    const int8_t *p = w + spx_fmt_cbr_dense_index(d, o, i0, 0, 0);
    for (size_t t = 0; t < (size_t)ni * cell; t++) {
      double v = (double)p[t] * wscale[o];
      s1 += v;
      s2 += v * v;
      sa += fabs(v);
    }
  }
  double count = (double)no * ni * (double)cell, mean = s1 / count;
  switch (kind) {
  case SCORE_L2: return sqrt(s2);
  case SCORE_L1: return sa;
  case SCORE_VARIANCE: /* two passes: population variance */
    for (uint32_t o = o0; o < o0 + no; o++) {
      const int8_t *p = w + spx_fmt_cbr_dense_index(d, o, i0, 0, 0);
      for (size_t t = 0; t < (size_t)ni * cell; t++) {
        double e = (double)p[t] * wscale[o] - mean;
        dev += e * e;
      }
    }
    return dev / count;
  }
  return 0;
}

/* Chooses the mask: ascending scores, never the last block of a row or a
 * column. mask starts with every non-zero block set. */
static uint32_t prune_mask(const spx_fmt_cbr_dims_t *d, const int8_t *w,
                           const float *wscale, score_kind_t kind, uint32_t R,
                           uint32_t C, uint32_t keep, uint8_t *mask) {
  uint32_t total = R * C, kept = 0;
  uint32_t rows_per_group = R / d->groups;
  cand_t *cands = malloc(sizeof *cands * total);
  uint32_t *row_kept = calloc(R, sizeof *row_kept);
  uint32_t *col_kept = calloc((size_t)d->groups * C, sizeof *col_kept);
  SPX_ASSERT(cands && row_kept && col_kept);
  for (uint32_t r = 0; r < R; r++)
    for (uint32_t c = 0; c < C; c++) {
      uint32_t k = r * C + c;
      cands[k].index = k;
      cands[k].score = block_score(d, w, wscale, r, c, kind);
      if (spx_fmt_cbr_mask_get(mask, C, r, c)) {
        row_kept[r]++;
        col_kept[(r / rows_per_group) * C + c]++;
        kept++;
      }
    }
  qsort(cands, total, sizeof *cands, cand_cmp);
  for (uint32_t i = 0; i < total && kept > keep; i++) {
    uint32_t r = cands[i].index / C, c = cands[i].index % C;
    uint32_t *ck = &col_kept[(r / rows_per_group) * C + c];
    if (!spx_fmt_cbr_mask_get(mask, C, r, c)) continue; /* already zero */
    if (row_kept[r] <= 1 || *ck <= 1) continue;         /* no channel pruning */
    spx_fmt_cbr_mask_set(mask, C, r, c, 0);
    row_kept[r]--;
    (*ck)--;
    kept--;
  }
  free(cands);
  free(row_kept);
  free(col_kept);
  return kept;
}

static void set_stats(MlirOperation op, MlirNamedAttribute *a, int n) {
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"), mlirDictionaryAttrGet(ctx, n, a));
}

static int sparsify(spx_pass_env_t *env, MlirOperation op, bool is_first) {
  MlirAttribute spec = mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify"));
  if (mlirAttributeIsNull(spec) || !mlirAttributeIsADictionary(spec)) return 0;
  MlirAttribute kind = mlirDictionaryAttrGetElementByName(spec, spx_ir_str("kind"));
  if (mlirAttributeIsNull(kind) || !mlirAttributeIsAString(kind) ||
      !spx_ir_str_is(mlirStringAttrGetValue(kind), spx_pass_sparsify_kind_of(SPX_PASS_ID_block_sparsify)))
    return 0;
  bsp_opts_t o;
  if (parse_opts(env, op, spec, &o)) return -1;

  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  spx_wbuf_t *ws = spx_ir_get_wbuf(op, "spx.wscale", env->store);
  if (!w || !ws || w->dtype != SPX_DT_I8 || ws->dtype != SPX_DT_F32) {
    spx_pass_error(env, op, "block sparsity needs int8 weights (quantize int8, and not 'quantize LAYER : f32')");
    return -1;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  bool conv = spx_ir_is_op(op, "conv2d");
  spx_fmt_cbr_dims_t d;
  uint32_t groups = conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1;
  d.rows = (uint32_t)w->dims[0];
  d.cols = (uint32_t)w->dims[1];
  d.kh = conv ? (uint16_t)w->dims[2] : 1;
  d.kw = conv ? (uint16_t)w->dims[3] : 1;
  d.groups = groups;
  uint32_t R, C;
  if (spx_fmt_cbr_grid(&d, &R, &C) != SPX_RT_OK) {
    spx_pass_error(env, op, "weights too large for the CBR block grid");
    return -1;
  }
  uint32_t total = R * C, nnz0 = 0;
  size_t mask_bytes = spx_fmt_cbr_mask_bytes(R, C);
  uint8_t *mask = malloc(mask_bytes ? mask_bytes : 1);
  SPX_ASSERT(mask);
  spx_fmt_cbr_mask_from_dense(&d, w->data, mask, mask_bytes, &nnz0);

  const char *kept_dense = NULL;
  uint32_t in_channels = d.cols * groups;
  if (d.cols == 1 && groups > 1)
    kept_dense = "depthwise";
  else if (!o.first && is_first)
    kept_dense = "first layer";
  else if (!o.first && in_channels <= 3)
    kept_dense = "3 or fewer input channels";
  if (kept_dense) {
    /* `sparsify *` leaves these by design; a statement naming the layer
     * asked for it. */
    if (spx_pass_request_named(op)) {
      MlirStringRef nm = spx_ir_layer_name(op);
      spx_pass_request_warning(env, op, "layer '%.*s' is kept dense, not block-sparse: %s%s",
                               (int)nm.length, nm.data, kept_dense,
                               strcmp(kept_dense, "depthwise") ? " (first=1 sparsifies it)" : "");
    }
    MlirNamedAttribute a[] = {
        spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "block")),
        spx_ir_named(ctx, "kept_dense", spx_ir_str_attr(ctx, kept_dense)),
        spx_ir_named(ctx, "density", spx_ir_f64_attr(ctx, (double)nnz0 / total)),
        spx_ir_named(ctx, "blocks_kept", spx_ir_i64_attr(ctx, nnz0)),
        spx_ir_named(ctx, "blocks_total", spx_ir_i64_attr(ctx, total)),
    };
    set_stats(op, a, (int)(sizeof a / sizeof a[0]));
    free(mask);
    return 0;
  }

  uint32_t keep = (uint32_t)ceil(o.density * total - 1e-9);
  if (keep < 1) keep = 1;
  bool already = nnz0 < total && (double)nnz0 / total <= o.density + o.tol;
  uint32_t kept = nnz0;
  spx_wbuf_t *wout = w;
  if (!already) {
    kept = prune_mask(&d, w->data, ws->data, o.score, R, C, keep, mask);
    if (kept < nnz0) {
      wout = spx_pass_add_weight(env, op, "qweight.bsp", SPX_DT_I8, w->rank, w->dims);
      if (!wout) {
        free(mask);
        return -1;
      }
      memcpy(wout->data, w->data, w->nbytes);
      spx_fmt_cbr_mask_apply(&d, mask, wout->data);
    }
  }
  free(mask);
  if (kept == nnz0 && !already) {
    /* nothing could go (e.g. one block column): stay dense, no encoding */
    MlirStringRef nm = spx_ir_layer_name(op);
    spx_pass_request_warning(env, op, "layer '%.*s' is kept dense, not block-sparse: no block "
                             "can be zeroed without emptying a block row or column",
                             (int)nm.length, nm.data);
    MlirNamedAttribute a[] = {
        spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "block")),
        spx_ir_named(ctx, "kept_dense", spx_ir_str_attr(ctx, "no block can be zeroed without emptying a block row or column")),
        spx_ir_named(ctx, "density", spx_ir_f64_attr(ctx, (double)nnz0 / total)),
        spx_ir_named(ctx, "blocks_kept", spx_ir_i64_attr(ctx, nnz0)),
        spx_ir_named(ctx, "blocks_total", spx_ir_i64_attr(ctx, total)),
    };
    set_stats(op, a, (int)(sizeof a / sizeof a[0]));
    return 0;
  }

  int64_t enc_len = (int64_t)spx_fmt_cbr_encoded_size(&d, wout->data);
  if (enc_len <= 0) {
    spx_pass_error(env, op, "weights too large for a CBR encoding");
    return -1;
  }
  spx_wbuf_t *enc = spx_pass_add_weight(env, op, "cbr", SPX_DT_U8, 1, &enc_len);
  if (!enc) return -1;
  size_t written = 0;
  spx_rt_status_t est = spx_fmt_cbr_encode(&d, wout->data, enc->data, enc->nbytes, &written);
  SPX_ASSERT(est == SPX_RT_OK && written == (size_t)enc_len);

  if (wout != w)
    mlirOperationSetAttributeByName(op, spx_ir_str("weight"), spx_ir_wbuf_attr(ctx, wout));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "cbr"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "block")),
      spx_ir_named(ctx, "block", spx_ir_str_attr(ctx, "8x8")),
      spx_ir_named(ctx, "density", spx_ir_f64_attr(ctx, (double)kept / total)),
      spx_ir_named(ctx, "blocks_kept", spx_ir_i64_attr(ctx, kept)),
      spx_ir_named(ctx, "blocks_total", spx_ir_i64_attr(ctx, total)),
      spx_ir_named(ctx, "already_sparse", spx_ir_i64_attr(ctx, already ? 1 : 0)),
      spx_ir_named(ctx, "score", spx_ir_str_attr(ctx, score_names[o.score])),
      spx_ir_named(ctx, "encoded_bytes", spx_ir_i64_attr(ctx, enc_len)),
      spx_ir_named(ctx, "dense_int8_bytes", spx_ir_i64_attr(ctx, (int64_t)w->nbytes)),
  };
  set_stats(op, a, (int)(sizeof a / sizeof a[0]));
  return 0;
}

int spx_pass_block_sparsify(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  bool seen_layer = false;
  for (size_t i = 0; i < n; i++) {
    if (!spx_ir_is_op(ops[i], "conv2d") && !spx_ir_is_op(ops[i], "dense")) continue;
    if (sparsify(env, ops[i], !seen_layer)) rc = -1;
    seen_layer = true;
  }
  free(ops);
  return rc;
}
