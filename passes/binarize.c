/* binarize.c - binary layers (`quantize LAYER : binary`, `quantize * :
 * binary`; the frontend marks them spx.precision = "binary"): each such
 * conv2d/dense gets the unit attribute spx.binary and its weights become
 *   W'[r, i] = alpha_r * sign(W[r, i]),  alpha_r = mean_i |W[r, i]|
 * (r an output channel, i every weight of its row; sign(0) = +1; alpha in
 * double from the f32 weights, rounded once to f32), the new buffer
 * "<layer>.weight.binary". The layer's input must be +-1: the output of a
 * sign, possibly through maxpool, flatten and reshape (checked again here,
 * for IR read from a .mlir file; the frontend locates it at the statement).
 * A row whose weights are all 0 (alpha 0) is an error at the layer.
 *
 * Runs before fold-batchnorm, which keeps the rows +-alpha' (batchnorm's
 * per-channel scale multiplies a whole row; a negative scale flips its
 * signs), and before quantize, which stores b = sign(W') as int8 with the
 * per-channel weight scale alpha' (docs/numerics.md, "Binary layers"). A
 * layer that already carries spx.binary is binarized again, which leaves
 * +-alpha rows as they are. */
#include "passes/spx_pass.h"
#include "runtime/formats/spx_formats.h"

#include <math.h>
#include <stdlib.h>

static bool marked(MlirOperation op) {
  if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.binary"))))
    return true;
  MlirAttribute p = mlirOperationGetAttributeByName(op, spx_ir_str("spx.precision"));
  return !mlirAttributeIsNull(p) && mlirAttributeIsAString(p) &&
         spx_ir_str_is(mlirStringAttrGetValue(p), "binary");
}

/* The value is +-1: a sign's output (or a conv2d/dense with the fused
 * sign), through maxpool, flatten and reshape. */
static bool pm1(MlirValue v) {
  while (mlirValueIsAOpResult(v)) {
    MlirOperation p = mlirOpResultGetOwner(v);
    spx_ir_op_t k = spx_ir_op_kind(p);
    if (k == SPX_IR_OP_SIGN) return true;
    if ((k == SPX_IR_OP_CONV2D || k == SPX_IR_OP_DENSE) &&
        spx_ir_op_act(p) == SPX_RT_ACT_SIGN)
      return true;
    if (k != SPX_IR_OP_MAXPOOL && k != SPX_IR_OP_FLATTEN && k != SPX_IR_OP_RESHAPE) return false;
    v = mlirOperationGetOperand(p, 0);
  }
  return false;
}

static int binarize(spx_pass_env_t *env, MlirOperation op) {
  MlirStringRef name = spx_ir_layer_name(op);
  if (!pm1(mlirOperationGetOperand(op, 0))) {
    spx_pass_error(env, op, "binary layer '%.*s' needs inputs of +-1 (the output of a sign, "
                   "possibly through maxpool, flatten or reshape); put sign() before it",
                   (int)name.length, name.data);
    return -1;
  }
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  if (!w || w->dtype != SPX_DT_F32) {
    spx_pass_error(env, op, "binary layer '%.*s': its weights are not f32 buffers of the "
                   "weight store", (int)name.length, name.data);
    return -1;
  }
  int64_t rows = w->dims[0];
  size_t per = w->count / (size_t)rows;
  const float *wf = w->data;
  /* The format's rule (spx_fmt_binary_binarize) on each row, widened to
   * double; alpha rounded once to f32. */
  double *row = malloc((per ? per : 1) * sizeof *row);
  int8_t *sign = malloc(w->count ? w->count : 1);
  float *alpha = malloc((size_t)rows * sizeof *alpha);
  SPX_ASSERT(row && sign && alpha);
  int rc = 0;
  for (int64_t r = 0; r < rows && rc == 0; r++) {
    for (size_t i = 0; i < per; i++) row[i] = wf[(size_t)r * per + i];
    double a = spx_fmt_binary_binarize(row, per, sign + (size_t)r * per, NULL);
    if (!(a > 0) || !isfinite(a)) {
      spx_pass_error(env, op, "binary layer '%.*s': output channel %lld has %s weights, so "
                     "alpha = mean |w| is %s", (int)name.length, name.data, (long long)r,
                     a > 0 ? "non-finite" : "only zero", a > 0 ? "not finite" : "0");
      rc = -1;
    }
    alpha[r] = (float)a;
  }
  spx_wbuf_t *b = rc ? NULL
                     : spx_pass_add_weight(env, op, "weight.binary", SPX_DT_F32, w->rank, w->dims);
  if (b) {
    float *bo = b->data;
    for (size_t i = 0; i < w->count; i++) bo[i] = sign[i] > 0 ? alpha[i / per] : -alpha[i / per];
  }
  free(row);
  free(sign);
  free(alpha);
  if (!b) return -1;
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, spx_ir_str("weight"), spx_ir_wbuf_attr(ctx, b));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.binary"), mlirUnitAttrGet(ctx));
  return 0;
}

int spx_pass_binarize(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    spx_ir_op_t k = spx_ir_op_kind(ops[i]);
    if (!marked(ops[i])) continue;
    if (k != SPX_IR_OP_CONV2D && k != SPX_IR_OP_DENSE) {
      MlirStringRef name = spx_ir_layer_name(ops[i]);
      spx_pass_error(env, ops[i], "layer '%.*s' is marked binary but is no conv2d or dense",
                     (int)name.length, name.data);
      rc = -1;
      continue;
    }
    if (binarize(env, ops[i])) rc = -1;
  }
  free(ops);
  return rc;
}
