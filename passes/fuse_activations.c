/* fuse_activations.c - fuses relu, relu6 and sign into the conv2d or dense
 * that feeds them, and relu and relu6 into an add (a residual block's
 * add -> relu), when the activation is the producer's only user and the
 * producer has no activation yet. The producer's "act" becomes "relu",
 * "relu6" or "sign" and it records the fused layer's name in spx.fused.
 * An int8 add then clamps its output to the activation's range, as a
 * conv2d does, and its output is quantized for the activation's range; the
 * cpu runtime has no sign output stage for an add, so a sign stays a
 * layer there.
 *
 * First, maxpool -> sign becomes sign -> maxpool (the sign takes the
 * maxpool's input, the maxpool the sign's output; names and locations stay
 * with their ops): sign is monotone (non-decreasing), so the max of the
 * signs is the sign of the max and the swap is exact, and a sign then
 * meets the conv2d/dense before the pool (conv, batchnorm, maxpool, sign in
 * a binary network). Only when the maxpool's only user is the sign.
 *
 * A sign is not fused into an LP layer (spx.lp / spx.lpq): the LP datapath
 * has no sign output stage; the sign stays a layer. */
#include "passes/spx_pass.h"

#include <mlir-c/Rewrite.h>
#include <stdlib.h>
#include <string.h>

static bool only_user(MlirValue v) {
  MlirOpOperand use = mlirValueGetFirstUse(v);
  return !mlirOpOperandIsNull(use) && mlirOpOperandIsNull(mlirOpOperandGetNextUse(use));
}

static bool has_attr(MlirOperation op, const char *name) {
  return !mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str(name)));
}

static bool fusable(MlirOperation act, spx_rt_act_t kind, MlirOperation *out_producer) {
  MlirValue in = mlirOperationGetOperand(act, 0);
  if (!mlirValueIsAOpResult(in)) return false;
  MlirOperation p = mlirOpResultGetOwner(in);
  spx_ir_op_t k = spx_ir_op_kind(p);
  bool takes = k == SPX_IR_OP_CONV2D || k == SPX_IR_OP_DENSE ||
               (k == SPX_IR_OP_ADD && kind != SPX_RT_ACT_SIGN); /* an add: no sign stage */
  if (!takes) return false;
  if (spx_ir_op_act(p) != SPX_RT_ACT_NONE) return false;
  if (kind == SPX_RT_ACT_SIGN && (has_attr(p, "spx.lp") || has_attr(p, "spx.lpq"))) return false;
  if (!only_user(in)) return false;
  *out_producer = p;
  return true;
}

/* maxpool -> sign into sign -> maxpool; returns true if swapped. */
static bool sign_before_pool(MlirRewriterBase rw, MlirOperation sign) {
  MlirValue in = mlirOperationGetOperand(sign, 0);
  if (!mlirValueIsAOpResult(in)) return false;
  MlirOperation pool = mlirOpResultGetOwner(in);
  if (spx_ir_op_kind(pool) != SPX_IR_OP_MAXPOOL || !only_user(in)) return false;
  MlirValue x = mlirOperationGetOperand(pool, 0);
  MlirValue s = mlirOperationGetResult(sign, 0), m = mlirOperationGetResult(pool, 0);
  /* Types: the sign now has the pool input's shape, the pool its own. */
  MlirType xt = mlirValueGetType(x), mt = mlirValueGetType(m);
  mlirRewriterBaseReplaceAllUsesWith(rw, s, m); /* the sign's users read the pool */
  mlirRewriterBaseStartOpModification(rw, sign);
  mlirOperationSetOperand(sign, 0, x);
  mlirValueSetType(s, xt);
  mlirRewriterBaseFinalizeOpModification(rw, sign);
  mlirRewriterBaseStartOpModification(rw, pool);
  mlirOperationSetOperand(pool, 0, s);
  mlirValueSetType(m, mt);
  mlirRewriterBaseFinalizeOpModification(rw, pool);
  mlirOperationMoveBefore(sign, pool);
  return true;
}

int spx_pass_fuse_activations(MlirOperation module, spx_pass_env_t *env) {
  (void)env;
  MlirOperation *ops;
  MlirRewriterBase rw = mlirIRRewriterCreateFromOp(module);
  size_t n = spx_ir_collect(module, "sign", &ops);
  /* A chain of pools before a sign moves the sign up one pool per round. */
  for (size_t i = 0; i < n; i++)
    while (sign_before_pool(rw, ops[i])) {
    }
  free(ops);
  n = spx_ir_collect(module, NULL, &ops);
  for (size_t i = 0; i < n; i++) {
    /* relu, relu6 and sign fold into a conv2d/dense, relu and relu6 into
     * an add (int8: relu and relu6 into its output range, sign into its
     * output stage); sigmoid stays a layer. */
    spx_ir_op_t k = spx_ir_op_kind(ops[i]);
    spx_rt_act_t act = k == SPX_IR_OP_RELU    ? SPX_RT_ACT_RELU
                       : k == SPX_IR_OP_RELU6 ? SPX_RT_ACT_RELU6
                       : k == SPX_IR_OP_SIGN  ? SPX_RT_ACT_SIGN
                                              : SPX_RT_ACT_NONE;
    MlirOperation producer;
    if (act == SPX_RT_ACT_NONE || !fusable(ops[i], act, &producer)) continue;
    MlirContext ctx = mlirOperationGetContext(producer);
    mlirRewriterBaseStartOpModification(rw, producer);
    spx_ir_set_str(producer, "act", spx_ir_act_name(act));
    mlirOperationSetAttributeByName(producer, spx_ir_str("spx.fused"),
                                    mlirStringAttrGet(ctx, spx_ir_layer_name(ops[i])));
    mlirRewriterBaseFinalizeOpModification(rw, producer);
    mlirRewriterBaseReplaceAllUsesWith(rw, mlirOperationGetResult(ops[i], 0),
                                       mlirOperationGetResult(producer, 0));
    mlirRewriterBaseEraseOp(rw, ops[i]);
  }
  mlirIRRewriterDestroy(rw);
  free(ops);
  return 0;
}
