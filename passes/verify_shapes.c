/* verify_shapes.c - checks that every spx op's result shape follows from its
 * operands and attributes. The frontend inferred these shapes; this pass
 * keeps later rewrites honest. */
#include "passes/spx_pass.h"

#include <stdlib.h>
#include <string.h>

typedef struct shape {
  int rank;
  int64_t d[SPX_MAX_RANK];
} shape_t;

static shape_t value_shape(MlirValue v) {
  shape_t s;
  s.rank = spx_ir_shape(mlirValueGetType(v), s.d);
  return s;
}

static shape_t attr_shape(MlirOperation op, const char *attr) {
  shape_t s;
  MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str(attr));
  SPX_ASSERT(!mlirAttributeIsNull(a));
  s.rank = spx_ir_shape(mlirAttributeGetType(a), s.d);
  return s;
}

/* Dimensions and integer attributes the shape rules take: anything above
 * is refused before any arithmetic, so that none of it overflows (the
 * backends refuse much less: every stream's dimensions are u32). */
#define VALUE_MAX INT64_C(0x7fffffff)

static bool dims_ok(const shape_t *s) {
  for (int i = 0; i < s->rank; i++)
    if (s->d[i] < 0 || s->d[i] > VALUE_MAX) return false;
  return true;
}

/* The product of dims [from, rank), saturated at INT64_MAX. */
static int64_t product(const shape_t *s, int from) {
  int64_t p = 1;
  for (int i = from; i < s->rank; i++) {
    if (s->d[i] != 0 && p > INT64_MAX / s->d[i]) return INT64_MAX;
    p *= s->d[i];
  }
  return p;
}

static bool same(const shape_t *a, const shape_t *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->d[i] != b->d[i]) return false;
  return true;
}

static void format(const shape_t *s, char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < s->rank && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)s->d[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

static int64_t pooled(int64_t in, int64_t pad_total, int64_t k, int64_t stride, int64_t dil) {
  return (in + pad_total - dil * (k - 1) - 1) / stride + 1;
}

#define FAIL(msg)                                                             \
  do {                                                                        \
    *why = msg;                                                               \
    return false;                                                             \
  } while (0)

#define VALUE_TOO_LARGE "a dimension or an integer attribute is out of range (at most 2147483647)"

/* Computes the expected result shape; returns false (with *why) if the
 * operands themselves are inconsistent. */
static bool expected_shape(MlirOperation op, shape_t *out, const char **why) {
  shape_t in = value_shape(mlirOperationGetOperand(op, 0));
  *out = in;
  *why = NULL;
  int64_t k[2], st[2], pad[4], dil[2] = {1, 1};
  spx_ir_op_t kind = spx_ir_op_kind(op);
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++) {
    shape_t s = value_shape(mlirOperationGetOperand(op, i));
    if (!dims_ok(&s)) FAIL(VALUE_TOO_LARGE);
  }
  {
    shape_t r = value_shape(mlirOperationGetResult(op, 0));
    if (!dims_ok(&r)) FAIL(VALUE_TOO_LARGE);
  }
  if (kind == SPX_IR_OP_CONV2D || kind == SPX_IR_OP_DENSE) {
    shape_t w = attr_shape(op, "weight"), b = attr_shape(op, "bias");
    if (!dims_ok(&w) || !dims_ok(&b)) FAIL(VALUE_TOO_LARGE);
  }
  if (kind == SPX_IR_OP_BATCHNORM)
    for (int i = 0; i < 4; i++) {
      static const char *const roles[] = {"gamma", "beta", "mean", "var"};
      shape_t p = attr_shape(op, roles[i]);
      if (!dims_ok(&p)) FAIL(VALUE_TOO_LARGE);
    }
  if (kind == SPX_IR_OP_CONV2D) {
    shape_t w = attr_shape(op, "weight"), b = attr_shape(op, "bias");
    int64_t g = spx_ir_get_i64(op, "groups");
    spx_ir_get_i64_array(op, "stride", st, 2);
    spx_ir_get_i64_array(op, "pad", pad, 4);
    spx_ir_get_i64_array(op, "dilation", dil, 2);
    if (in.rank != 4 || w.rank != 4) FAIL("conv2d needs rank-4 input and weight");
    if (g <= 0 || in.d[1] % g || w.d[0] % g || w.d[1] * g != in.d[1])
      FAIL("weight shape does not match input channels and groups");
    if (b.rank != 1 || b.d[0] != w.d[0]) FAIL("bias does not match filters");
    out->d[1] = w.d[0];
    out->d[2] = pooled(in.d[2], pad[0] + pad[2], w.d[2], st[0], dil[0]);
    out->d[3] = pooled(in.d[3], pad[1] + pad[3], w.d[3], st[1], dil[1]);
  } else if (kind == SPX_IR_OP_DENSE) {
    shape_t w = attr_shape(op, "weight"), b = attr_shape(op, "bias");
    if (in.rank != 2 || w.rank != 2 || w.d[1] != in.d[1])
      FAIL("weight shape does not match input features");
    if (b.rank != 1 || b.d[0] != w.d[0]) FAIL("bias does not match units");
    out->d[1] = w.d[0];
  } else if (kind == SPX_IR_OP_MAXPOOL || kind == SPX_IR_OP_AVGPOOL) {
    spx_ir_get_i64_array(op, "kernel", k, 2);
    spx_ir_get_i64_array(op, "stride", st, 2);
    spx_ir_get_i64_array(op, "pad", pad, 4);
    if (in.rank != 4) FAIL("pooling needs a rank-4 input");
    out->d[2] = pooled(in.d[2], pad[0] + pad[2], k[0], st[0], 1);
    out->d[3] = pooled(in.d[3], pad[1] + pad[3], k[1], st[1], 1);
  } else if (kind == SPX_IR_OP_GLOBAL_AVGPOOL) {
    if (in.rank != 4) FAIL("global_avgpool needs a rank-4 input");
    out->d[2] = out->d[3] = 1;
  } else if (kind == SPX_IR_OP_ADD) {
    shape_t b = value_shape(mlirOperationGetOperand(op, 1));
    if (!same(&in, &b)) FAIL("add operands differ in shape");
  } else if (kind == SPX_IR_OP_CONCAT) {
    int64_t axis = spx_ir_get_i64(op, "axis");
    if (axis < 0 || axis >= in.rank) FAIL("concat axis out of range");
    out->d[axis] = 0;
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++) {
      shape_t s = value_shape(mlirOperationGetOperand(op, i));
      if (s.rank != in.rank) FAIL("concat operands differ in rank");
      for (int j = 0; j < s.rank; j++)
        if (j != axis && s.d[j] != in.d[j])
          FAIL("concat operands differ outside the axis");
      out->d[axis] += s.d[axis];
    }
  } else if (kind == SPX_IR_OP_FLATTEN) {
    out->rank = 2;
    out->d[1] = product(&in, 1);
  } else if (kind == SPX_IR_OP_RESHAPE) {
    shape_t r = value_shape(mlirOperationGetResult(op, 0));
    if (product(&r, 0) != product(&in, 0)) FAIL("reshape changes the element count");
    *out = r;
  } else if (kind == SPX_IR_OP_BATCHNORM) {
    static const char *const roles[] = {"gamma", "beta", "mean", "var"};
    for (int i = 0; i < 4; i++) {
      shape_t p = attr_shape(op, roles[i]);
      if (in.rank < 2 || p.rank != 1 || p.d[0] != in.d[1])
        FAIL("batchnorm parameters do not match the channels");
    }
  }
  /* relu, relu6, sigmoid, softmax, quantize, dequantize keep the shape. */
  return true;
}

int spx_pass_verify_shapes(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    shape_t want, got = value_shape(mlirOperationGetResult(ops[i], 0));
    const char *why;
    char attrs_why[256];
    /* The attributes first: the accessors of ir/ assert their kinds. IRDL
     * checks only an attribute's base kind (any dense array, any integer),
     * so the element type, length and range are checked here (the rules of
     * the entry check, ir/check.c). */
    if (!spx_ir_op_attrs_ok(ops[i], attrs_why, sizeof attrs_why)) {
      spx_pass_error(env, ops[i], "%s", attrs_why);
      rc = -1;
    } else if (!expected_shape(ops[i], &want, &why)) {
      spx_pass_error(env, ops[i], "%s", why);
      rc = -1;
    } else if (!same(&want, &got)) {
      char a[128], b[128];
      format(&want, a, sizeof a);
      format(&got, b, sizeof b);
      spx_pass_error(env, ops[i], "result shape %s should be %s", b, a);
      rc = -1;
    }
  }
  free(ops);
  return rc;
}
