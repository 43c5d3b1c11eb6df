/* layer.c - an spx op as the runtime's kernels see it: the one place that
 * reads an op's kind, fused activation and window into an spx_rt_layer_t.
 * The backend turns that into a cpu.layer command; the f32 evaluator runs
 * it with spx_rt_layer_run. */
#include "ir/spx_ir.h"

#include <string.h>

static const struct {
  const char *name;
  uint8_t op;
} kinds[] = {
    {"conv2d", SPX_RT_OP_CONV2D},   {"dense", SPX_RT_OP_DENSE},
    {"relu", SPX_RT_OP_RELU},       {"relu6", SPX_RT_OP_RELU6},
    {"sigmoid", SPX_RT_OP_SIGMOID}, {"maxpool", SPX_RT_OP_MAXPOOL},
    {"avgpool", SPX_RT_OP_AVGPOOL}, {"global_avgpool", SPX_RT_OP_GLOBAL_AVGPOOL},
    {"add", SPX_RT_OP_ADD},         {"concat", SPX_RT_OP_CONCAT},
    {"flatten", SPX_RT_OP_COPY},    {"reshape", SPX_RT_OP_COPY},
    {"softmax", SPX_RT_OP_SOFTMAX}, {"quantize", SPX_RT_OP_QUANTIZE},
    {"dequantize", SPX_RT_OP_DEQUANTIZE}, {"batchnorm", SPX_RT_OP_BATCHNORM},
};

static void window(MlirOperation op, const char *kernel_attr, spx_rt_layer_t *l) {
  int64_t k[2] = {0, 0}, st[2], pad[4];
  if (kernel_attr) spx_ir_get_i64_array(op, kernel_attr, k, 2);
  spx_ir_get_i64_array(op, "stride", st, 2);
  spx_ir_get_i64_array(op, "pad", pad, 4);
  for (int i = 0; i < 2; i++) {
    if (kernel_attr) l->kernel[i] = (uint8_t)k[i];
    l->stride[i] = (uint8_t)st[i];
  }
  for (int i = 0; i < 4; i++) l->pad[i] = (uint8_t)pad[i];
}

bool spx_ir_layer_params(MlirOperation op, spx_rt_layer_t *out) {
  memset(out, 0, sizeof *out);
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  if (full.length < 4 || memcmp(full.data, "spx.", 4) != 0) return false;
  MlirStringRef name = {full.data + 4, full.length - 4};
  size_t k = 0;
  while (k < sizeof kinds / sizeof kinds[0] && !spx_ir_str_is(name, kinds[k].name)) k++;
  if (k == sizeof kinds / sizeof kinds[0]) return false;
  out->op = kinds[k].op;
  out->n_in = (uint8_t)mlirOperationGetNumOperands(op);
  if (out->op == SPX_RT_OP_CONV2D || out->op == SPX_RT_OP_DENSE) {
    MlirStringRef act = spx_ir_get_str(op, "act");
    out->act = spx_ir_str_is(act, "relu")    ? SPX_RT_ACT_RELU
               : spx_ir_str_is(act, "relu6") ? SPX_RT_ACT_RELU6
                                             : SPX_RT_ACT_NONE;
  }
  if (out->op == SPX_RT_OP_CONV2D) {
    int64_t w[SPX_MAX_RANK], dil[2];
    spx_ir_shape(mlirAttributeGetType(mlirOperationGetAttributeByName(op, spx_ir_str("weight"))), w);
    window(op, NULL, out);
    out->kernel[0] = (uint8_t)w[2];
    out->kernel[1] = (uint8_t)w[3];
    spx_ir_get_i64_array(op, "dilation", dil, 2);
    out->dilation[0] = (uint8_t)dil[0];
    out->dilation[1] = (uint8_t)dil[1];
    out->groups = (uint16_t)spx_ir_get_i64(op, "groups");
  }
  if (out->op == SPX_RT_OP_MAXPOOL || out->op == SPX_RT_OP_AVGPOOL) window(op, "kernel", out);
  if (out->op == SPX_RT_OP_CONCAT || out->op == SPX_RT_OP_SOFTMAX)
    out->axis = (int8_t)spx_ir_get_i64(op, "axis");
  return true;
}
