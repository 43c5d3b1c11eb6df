/* fuse_activations.c - fuses relu and relu6 into the conv2d or dense that
 * feeds them, when the activation is the producer's only user and the
 * producer has no activation yet. The producer's "act" becomes "relu" or
 * "relu6" and it records the fused layer's name in spx.fused. */
#include "passes/spx_pass.h"

#include <mlir-c/Rewrite.h>
#include <stdlib.h>
#include <string.h>

static bool fusable(MlirOperation act, MlirOperation *out_producer) {
  MlirValue in = mlirOperationGetOperand(act, 0);
  if (!mlirValueIsAOpResult(in)) return false;
  MlirOperation p = mlirOpResultGetOwner(in);
  spx_ir_op_t k = spx_ir_op_kind(p);
  if (k != SPX_IR_OP_CONV2D && k != SPX_IR_OP_DENSE) return false;
  MlirStringRef cur = spx_ir_get_str(p, "act");
  if (spx_ir_act_of(cur) != SPX_RT_ACT_NONE) return false;
  MlirOpOperand use = mlirValueGetFirstUse(in);
  if (mlirOpOperandIsNull(use) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(use)))
    return false;
  *out_producer = p;
  return true;
}

int spx_pass_fuse_activations(MlirOperation module, spx_pass_env_t *env) {
  (void)env;
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  MlirRewriterBase rw = mlirIRRewriterCreateFromOp(module);
  for (size_t i = 0; i < n; i++) {
    /* relu and relu6 fold into a conv2d/dense (int8: into its output
     * range); sigmoid stays a layer. */
    spx_ir_op_t k = spx_ir_op_kind(ops[i]);
    spx_rt_act_t act = k == SPX_IR_OP_RELU    ? SPX_RT_ACT_RELU
                       : k == SPX_IR_OP_RELU6 ? SPX_RT_ACT_RELU6
                                              : SPX_RT_ACT_NONE;
    MlirOperation producer;
    if (act == SPX_RT_ACT_NONE || !fusable(ops[i], &producer)) continue;
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
