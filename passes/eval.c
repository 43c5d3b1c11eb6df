/* eval.c - runs an f32 spx function on the CPU with the runtime's f32
 * reference kernels. The quantize pass uses it to calibrate activation
 * ranges; tests use it (spxc --eval) to check that rewrites keep the numbers.
 * Only f32 IR can be evaluated (before quantization). */
#include "passes/spx_pass.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/kernels/spx_kernels.h"

typedef struct slot {
  MlirValue value;
  float *data;
  size_t count;
} slot_t;

typedef struct evaluator {
  spx_pass_env_t *env;
  size_t n, cap;
  slot_t *slots;
} evaluator_t;

static float *find(evaluator_t *ev, MlirValue v, size_t *count) {
  for (size_t i = ev->n; i-- > 0;)
    if (mlirValueEqual(ev->slots[i].value, v)) {
      if (count) *count = ev->slots[i].count;
      return ev->slots[i].data;
    }
  SPX_UNREACHABLE("operand evaluated before its producer");
  return NULL;
}

static float *define(evaluator_t *ev, MlirValue v, size_t count) {
  if (ev->n == ev->cap) {
    ev->cap = ev->cap ? 2 * ev->cap : 64;
    ev->slots = realloc(ev->slots, ev->cap * sizeof *ev->slots);
    SPX_ASSERT(ev->slots);
  }
  float *data = calloc(count ? count : 1, sizeof *data);
  SPX_ASSERT(data);
  ev->slots[ev->n++] = (slot_t){v, data, count};
  return data;
}

static size_t elements(MlirType t) {
  int64_t d[SPX_MAX_RANK];
  int rank = spx_ir_shape(t, d);
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)d[i];
  return n;
}

static spx_rt_act_t act_of(MlirOperation op) {
  MlirStringRef a = spx_ir_get_str(op, "act");
  if (spx_ir_str_is(a, "relu")) return SPX_RT_ACT_RELU;
  if (spx_ir_str_is(a, "relu6")) return SPX_RT_ACT_RELU6;
  return SPX_RT_ACT_NONE;
}

static const float *weight(evaluator_t *ev, MlirOperation op, const char *role) {
  spx_wbuf_t *b = spx_ir_get_wbuf(op, role, ev->env->store);
  SPX_ASSERT(b && b->dtype == SPX_DT_F32);
  return b->data;
}

static void pool_params(MlirOperation op, const int64_t in[4], spx_rt_pool_params_t *p) {
  int64_t k[2], st[2], pad[4];
  spx_ir_get_i64_array(op, "kernel", k, 2);
  spx_ir_get_i64_array(op, "stride", st, 2);
  spx_ir_get_i64_array(op, "pad", pad, 4);
  *p = (spx_rt_pool_params_t){(int32_t)in[0], (int32_t)in[1], (int32_t)in[2], (int32_t)in[3],
                              (int32_t)k[0], (int32_t)k[1], {(int32_t)st[0], (int32_t)st[1]},
                              {(int32_t)pad[0], (int32_t)pad[1], (int32_t)pad[2], (int32_t)pad[3]}};
}

static int eval_op(evaluator_t *ev, MlirOperation op) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t count = elements(mlirValueGetType(res));
  int64_t in[SPX_MAX_RANK];
  int in_rank = spx_ir_shape(mlirValueGetType(mlirOperationGetOperand(op, 0)), in);
  size_t in_count;
  const float *x = find(ev, mlirOperationGetOperand(op, 0), &in_count);
  float *y = define(ev, res, count);
  spx_rt_status_t st = SPX_RT_OK;

  if (spx_ir_is_op(op, "conv2d")) {
    int64_t w[SPX_MAX_RANK], s[2], pad[4], dil[2];
    MlirAttribute wa = mlirOperationGetAttributeByName(op, spx_ir_str("weight"));
    spx_ir_shape(mlirAttributeGetType(wa), w);
    spx_ir_get_i64_array(op, "stride", s, 2);
    spx_ir_get_i64_array(op, "pad", pad, 4);
    spx_ir_get_i64_array(op, "dilation", dil, 2);
    spx_rt_conv2d_params_t p = {
        (int32_t)in[0], (int32_t)in[1], (int32_t)in[2], (int32_t)in[3],
        (int32_t)w[0], (int32_t)w[2], (int32_t)w[3],
        {(int32_t)s[0], (int32_t)s[1]},
        {(int32_t)pad[0], (int32_t)pad[1], (int32_t)pad[2], (int32_t)pad[3]},
        {(int32_t)dil[0], (int32_t)dil[1]},
        (int32_t)spx_ir_get_i64(op, "groups"), act_of(op)};
    st = spx_rt_conv2d_f32(&p, x, weight(ev, op, "weight"), weight(ev, op, "bias"), y);
  } else if (spx_ir_is_op(op, "dense")) {
    spx_rt_dense_params_t p = {(int32_t)in[0], (int32_t)in[1],
                               (int32_t)(count / (size_t)in[0]), act_of(op)};
    st = spx_rt_dense_f32(&p, x, weight(ev, op, "weight"), weight(ev, op, "bias"), y);
  } else if (spx_ir_is_op(op, "relu")) {
    st = spx_rt_relu_f32(count, x, y);
  } else if (spx_ir_is_op(op, "relu6")) {
    st = spx_rt_relu6_f32(count, x, y);
  } else if (spx_ir_is_op(op, "sigmoid")) {
    st = spx_rt_sigmoid_f32(count, x, y);
  } else if (spx_ir_is_op(op, "maxpool") || spx_ir_is_op(op, "avgpool")) {
    spx_rt_pool_params_t p;
    pool_params(op, in, &p);
    st = spx_ir_is_op(op, "maxpool") ? spx_rt_maxpool_f32(&p, x, y) : spx_rt_avgpool_f32(&p, x, y);
  } else if (spx_ir_is_op(op, "global_avgpool")) {
    st = spx_rt_global_avgpool_f32((int32_t)in[0], (int32_t)in[1], (int32_t)(in[2] * in[3]), x, y);
  } else if (spx_ir_is_op(op, "add")) {
    const float *b = find(ev, mlirOperationGetOperand(op, 1), NULL);
    st = spx_rt_add_f32(count, x, b, SPX_RT_ACT_NONE, y);
  } else if (spx_ir_is_op(op, "concat")) {
    int32_t n_in = (int32_t)mlirOperationGetNumOperands(op);
    int64_t out[SPX_MAX_RANK];
    int rank = spx_ir_shape(mlirValueGetType(res), out);
    int32_t axis = (int32_t)spx_ir_get_i64(op, "axis");
    const float **ins = calloc((size_t)n_in, sizeof *ins);
    int32_t *axis_dims = calloc((size_t)n_in, sizeof *axis_dims);
    SPX_ASSERT(ins && axis_dims);
    for (int32_t i = 0; i < n_in; i++) {
      int64_t d[SPX_MAX_RANK];
      spx_ir_shape(mlirValueGetType(mlirOperationGetOperand(op, i)), d);
      ins[i] = find(ev, mlirOperationGetOperand(op, i), NULL);
      axis_dims[i] = (int32_t)d[axis];
    }
    spx_rt_concat_params_t p = {.rank = rank, .axis = axis, .count = n_in, .axis_dims = axis_dims};
    for (int i = 0; i < rank; i++) p.dims[i] = (int32_t)out[i];
    st = spx_rt_concat_f32(&p, ins, y);
    free(ins);
    free(axis_dims);
  } else if (spx_ir_is_op(op, "flatten") || spx_ir_is_op(op, "reshape")) {
    st = spx_rt_reshape(count * sizeof(float), x, y);
  } else if (spx_ir_is_op(op, "softmax")) {
    if (spx_ir_get_i64(op, "axis") != in_rank - 1) {
      spx_pass_error(ev->env, op, "softmax is only supported along the last axis");
      return -1;
    }
    int32_t depth = (int32_t)in[in_rank - 1];
    st = spx_rt_softmax_f32((int32_t)(count / (size_t)depth), depth, x, y);
  } else if (spx_ir_is_op(op, "batchnorm")) {
    int32_t hw = (int32_t)(count / (size_t)(in[0] * in[1]));
    st = spx_rt_batchnorm_f32((int32_t)in[0], (int32_t)in[1], hw, weight(ev, op, "gamma"),
                              weight(ev, op, "beta"), weight(ev, op, "mean"),
                              weight(ev, op, "var"), (float)spx_ir_get_f64(op, "eps"), x, y);
  } else {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    spx_pass_error(ev->env, op, "cannot evaluate '%.*s' in f32", (int)name.length, name.data);
    return -1;
  }
  if (st != SPX_RT_OK) {
    spx_pass_error(ev->env, op, "f32 kernel failed: %s", spx_rt_status_name(st));
    return -1;
  }
  return 0;
}

static MlirOperation first_func(MlirModule module) {
  for (MlirOperation op = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
       !mlirOperationIsNull(op); op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
    if (n.length == 9 && memcmp(n.data, "func.func", 9) == 0) return op;
  }
  return (MlirOperation){NULL};
}

int spx_eval_f32(MlirModule module, spx_pass_env_t *env, const float *const *inputs,
                 float *const *outputs, spx_eval_observer_t observer, void *user) {
  MlirOperation fn = first_func(module);
  SPX_ASSERT(!mlirOperationIsNull(fn));
  MlirBlock entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  evaluator_t ev = {.env = env};
  int rc = 0;
  for (intptr_t i = 0; i < mlirBlockGetNumArguments(entry); i++) {
    MlirValue arg = mlirBlockGetArgument(entry, i);
    size_t n = elements(mlirValueGetType(arg));
    memcpy(define(&ev, arg, n), inputs[i], n * sizeof(float));
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op) && rc == 0;
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
    if (n.length == 11 && memcmp(n.data, "func.return", 11) == 0) {
      for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++) {
        size_t count;
        const float *v = find(&ev, mlirOperationGetOperand(op, i), &count);
        memcpy(outputs[i], v, count * sizeof(float));
      }
      continue;
    }
    rc = eval_op(&ev, op);
    if (rc == 0 && observer) {
      size_t count;
      const float *v = find(&ev, mlirOperationGetResult(op, 0), &count);
      observer(user, op, v, count);
    }
  }
  for (size_t i = 0; i < ev.n; i++) free(ev.slots[i].data);
  free(ev.slots);
  return rc;
}
