/* fold_batchnorm.c - folds a batchnorm into the conv2d or dense that feeds it,
 * with the batchnorm's affine (spx_rt_batchnorm_affine: scale[c] =
 * gamma[c] / sqrt(var[c] + eps), shift[c] = beta[c] - mean[c] * scale[c]):
 *   w'[c, ...] = w[c, ...] * scale[c]
 *   b'[c] = b[c] * scale[c] + shift[c]
 * Only when the producer has no fused activation and the batchnorm is its
 * only user. The new buffers are "<layer>.weight.bnfold" and
 * "<layer>.bias.bnfold"; the producer records the folded layer's name in
 * spx.folded. Batchnorms that cannot be folded stay as they are.
 *
 * A binary layer (spx.binary: rows +-alpha_r) stays binary: scale[c]
 * multiplies the whole row, so its weights are +-alpha_r * scale[c] (a
 * negative scale flips the row's signs; f32 products of +-alpha by one
 * number have one magnitude). A channel whose scale is 0 (gamma 0) or makes
 * alpha' 0 or infinite is an error at the batchnorm: its weights would no
 * longer be +-alpha' with alpha' > 0 (fold such a channel by hand: its
 * output is the constant sign of beta). */
#include "passes/spx_pass.h"
#include "runtime/kernels/spx_kernels.h"

#include <math.h>
#include <mlir-c/Rewrite.h>
#include <stdlib.h>
#include <string.h>

static bool foldable(MlirOperation bn, MlirOperation *out_producer) {
  MlirValue in = mlirOperationGetOperand(bn, 0);
  if (!mlirValueIsAOpResult(in)) return false;
  MlirOperation p = mlirOpResultGetOwner(in);
  spx_ir_op_t k = spx_ir_op_kind(p);
  if (k != SPX_IR_OP_CONV2D && k != SPX_IR_OP_DENSE) return false;
  if (spx_ir_op_act(p) != SPX_RT_ACT_NONE) return false;
  /* The batchnorm must be the producer's only user. */
  MlirOpOperand use = mlirValueGetFirstUse(in);
  if (mlirOpOperandIsNull(use) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(use)))
    return false;
  *out_producer = p;
  return true;
}

static int fold(spx_pass_env_t *env, MlirRewriterBase rw, MlirOperation bn,
                MlirOperation producer) {
  spx_wbuf_t *w = spx_ir_get_wbuf(producer, "weight", env->store);
  spx_wbuf_t *b = spx_ir_get_wbuf(producer, "bias", env->store);
  spx_wbuf_t *gamma = spx_ir_get_wbuf(bn, "gamma", env->store);
  spx_wbuf_t *beta = spx_ir_get_wbuf(bn, "beta", env->store);
  spx_wbuf_t *mean = spx_ir_get_wbuf(bn, "mean", env->store);
  spx_wbuf_t *var = spx_ir_get_wbuf(bn, "var", env->store);
  if (!w || !b || !gamma || !beta || !mean || !var || w->dtype != SPX_DT_F32) {
    spx_pass_error(env, bn, "cannot fold: weights are not f32 buffers of the weight store");
    return -1;
  }
  spx_wbuf_t *w2 = spx_pass_add_weight(env, producer, "weight.bnfold", SPX_DT_F32, w->rank, w->dims);
  spx_wbuf_t *b2 = spx_pass_add_weight(env, producer, "bias.bnfold", SPX_DT_F32, b->rank, b->dims);
  if (!w2 || !b2) return -1;
  float eps = (float)spx_ir_get_f64(bn, "eps");
  int64_t channels = w->dims[0];
  size_t per_channel = w->count / (size_t)channels;
  /* w' = w * scale, b' = b * scale + shift: the batchnorm's affine, applied
   * to the producer's output channels. */
  float *scale = calloc((size_t)channels, sizeof *scale);
  float *shift = calloc((size_t)channels, sizeof *shift);
  SPX_ASSERT(scale && shift);
  spx_rt_batchnorm_affine((int32_t)channels, gamma->data, beta->data, mean->data, var->data, eps,
                          scale, shift);
  const float *wf = w->data, *bf = b->data;
  float *wo = w2->data, *bo = b2->data;
  for (int64_t c = 0; c < channels; c++) {
    for (size_t i = 0; i < per_channel; i++)
      wo[(size_t)c * per_channel + i] = wf[(size_t)c * per_channel + i] * scale[c];
    bo[c] = bf[c] * scale[c] + shift[c];
  }
  free(scale);
  free(shift);
  if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(producer, spx_ir_str("spx.binary"))))
    for (int64_t c = 0; c < channels; c++) {
      float a = fabsf(wo[(size_t)c * per_channel]);
      if (a > 0.0f && isfinite(a)) continue;
      MlirStringRef pn = spx_ir_layer_name(producer), bn_n = spx_ir_layer_name(bn);
      spx_pass_error(env, bn, "folding batchnorm '%.*s' into binary layer '%.*s' makes channel "
                     "%lld's weights %s (alpha' = alpha * gamma / sqrt(var + eps)): a binary "
                     "channel needs alpha' > 0", (int)bn_n.length, bn_n.data, (int)pn.length,
                     pn.data, (long long)c, a > 0.0f ? "infinite" : "0");
      return -1;
    }

  MlirContext ctx = mlirOperationGetContext(producer);
  mlirRewriterBaseStartOpModification(rw, producer);
  mlirOperationSetAttributeByName(producer, spx_ir_str("weight"), spx_ir_wbuf_attr(ctx, w2));
  mlirOperationSetAttributeByName(producer, spx_ir_str("bias"), spx_ir_wbuf_attr(ctx, b2));
  MlirStringRef bn_name = spx_ir_layer_name(bn);
  mlirOperationSetAttributeByName(producer, spx_ir_str("spx.folded"),
                                  mlirStringAttrGet(ctx, bn_name));
  mlirRewriterBaseFinalizeOpModification(rw, producer);
  mlirRewriterBaseReplaceAllUsesWith(rw, mlirOperationGetResult(bn, 0),
                                     mlirOperationGetResult(producer, 0));
  mlirRewriterBaseEraseOp(rw, bn);
  return 0;
}

int spx_pass_fold_batchnorm(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *bns;
  size_t n = spx_ir_collect(module, "batchnorm", &bns);
  MlirRewriterBase rw = mlirIRRewriterCreateFromOp(module);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    MlirOperation producer;
    if (foldable(bns[i], &producer) && fold(env, rw, bns[i], producer)) rc = -1;
  }
  mlirIRRewriterDestroy(rw);
  free(bns);
  return rc;
}
