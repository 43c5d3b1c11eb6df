/* layer.c - an spx op as the runtime's kernels see it: the one place that
 * reads an op's kind, fused activation and window into an spx_rt_layer_t.
 * The backend turns that into a cpu.layer command; the f32 evaluator runs
 * it with spx_rt_layer_run. */
#include "ir/spx_ir.h"

#include <stdio.h>
#include <string.h>

static const spx_ir_op_info_t ops[SPX_IR_OP_COUNT_] = {
#define X(e, name, min_in, max_in, rt, source) {name, min_in, max_in, SPX_RT_OP_##rt, source},
    SPX_IR_OPS(X)
#undef X
};

const spx_ir_op_info_t *spx_ir_op_info(spx_ir_op_t op) {
  SPX_ASSERT((unsigned)op < SPX_IR_OP_COUNT_);
  return &ops[op];
}

spx_ir_op_t spx_ir_op_lookup(const char *name) {
  int k = 0;
  while (k < SPX_IR_OP_COUNT_ && strcmp(ops[k].name, name) != 0) k++;
  return (spx_ir_op_t)k;
}

spx_ir_op_t spx_ir_op_kind(MlirOperation op) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  if (full.length < 4 || memcmp(full.data, "spx.", 4) != 0) return SPX_IR_OP_COUNT_;
  MlirStringRef name = {full.data + 4, full.length - 4};
  int k = 0;
  while (k < SPX_IR_OP_COUNT_ && !spx_ir_str_is(name, ops[k].name)) k++;
  return (spx_ir_op_t)k;
}

const char *spx_ir_act_name(spx_rt_act_t act) {
  switch (act) {
#define X(E, code, text) \
  case SPX_RT_ACT_##E: return text;
    SPX_CS_ACTS(X)
#undef X
  }
  SPX_UNREACHABLE("bad activation");
  return "";
}

spx_rt_act_t spx_ir_act_of(MlirStringRef name) {
#define X(E, code, text) \
  if (spx_ir_str_is(name, text)) return SPX_RT_ACT_##E;
  SPX_CS_ACTS(X)
#undef X
  return SPX_RT_ACT_NONE;
}

spx_rt_act_t spx_ir_op_act(MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str("act"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a)) return SPX_RT_ACT_NONE;
  return spx_ir_act_of(mlirStringAttrGetValue(a));
}

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
  spx_ir_op_t k = spx_ir_op_kind(op);
  if (k == SPX_IR_OP_COUNT_) return false;
  out->op = ops[k].rt_op;
  out->n_in = (uint8_t)mlirOperationGetNumOperands(op);
  out->act = (uint8_t)spx_ir_op_act(op);
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

/* One parameter against the width of its spx_rt_layer_t field. */
static const char *unfit(char *buf, size_t cap, const char *what, int64_t v, int64_t lo,
                         int64_t hi) {
  if (v >= lo && v <= hi) return NULL;
  snprintf(buf, cap, "%s %lld is %s %lld, the %s a runtime layer (cpu.layer) takes", what,
           (long long)v, v < lo ? "less than" : "more than", (long long)(v < lo ? lo : hi),
           v < lo ? "least" : "most");
  return buf;
}

const char *spx_ir_layer_unfit(MlirOperation op, char *buf, size_t cap) {
  spx_ir_op_t k = spx_ir_op_kind(op);
  if (k == SPX_IR_OP_COUNT_) return NULL;
  uint8_t rt = ops[k].rt_op;
  const char *why = NULL;
  int64_t v[4];
  if (rt == SPX_RT_OP_CONV2D) {
    int64_t w[SPX_MAX_RANK];
    spx_ir_shape(mlirAttributeGetType(mlirOperationGetAttributeByName(op, spx_ir_str("weight"))), w);
    for (int i = 0; i < 2 && !why; i++) why = unfit(buf, cap, "kernel", w[2 + i], 1, UINT8_MAX);
    spx_ir_get_i64_array(op, "dilation", v, 2);
    for (int i = 0; i < 2 && !why; i++) why = unfit(buf, cap, "dilation", v[i], 1, UINT8_MAX);
    if (!why) why = unfit(buf, cap, "groups", spx_ir_get_i64(op, "groups"), 1, UINT16_MAX);
  }
  if (rt == SPX_RT_OP_MAXPOOL || rt == SPX_RT_OP_AVGPOOL) {
    spx_ir_get_i64_array(op, "kernel", v, 2);
    for (int i = 0; i < 2 && !why; i++) why = unfit(buf, cap, "kernel", v[i], 1, UINT8_MAX);
  }
  if (rt == SPX_RT_OP_CONV2D || rt == SPX_RT_OP_MAXPOOL || rt == SPX_RT_OP_AVGPOOL) {
    spx_ir_get_i64_array(op, "stride", v, 2);
    for (int i = 0; i < 2 && !why; i++) why = unfit(buf, cap, "stride", v[i], 1, UINT8_MAX);
    spx_ir_get_i64_array(op, "pad", v, 4);
    for (int i = 0; i < 4 && !why; i++) why = unfit(buf, cap, "pad", v[i], 0, UINT8_MAX);
  }
  if (rt == SPX_RT_OP_CONCAT || rt == SPX_RT_OP_SOFTMAX)
    why = unfit(buf, cap, "axis", spx_ir_get_i64(op, "axis"), INT8_MIN, INT8_MAX);
  return why;
}
