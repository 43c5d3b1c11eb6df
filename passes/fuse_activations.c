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
  if (!spx_ir_is_op(p, "conv2d") && !spx_ir_is_op(p, "dense")) return false;
  MlirStringRef cur = spx_ir_get_str(p, "act");
  if (!spx_ir_str_is(cur, "none")) return false;
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
    const char *kind = spx_ir_is_op(ops[i], "relu")    ? "relu"
                       : spx_ir_is_op(ops[i], "relu6") ? "relu6"
                                                       : NULL;
    MlirOperation producer;
    if (!kind || !fusable(ops[i], &producer)) continue;
    MlirContext ctx = mlirOperationGetContext(producer);
    mlirRewriterBaseStartOpModification(rw, producer);
    spx_ir_set_str(producer, "act", kind);
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
