/* eval.c - runs an f32 spx function on the CPU. The quantize pass uses it to
 * calibrate activation ranges. Every op runs as the runtime runs it: its
 * kernel-level description (spx_ir_layer_params) through spx_rt_layer_run,
 * the same dispatcher as the cpu device and generated C. Each value gets its
 * own place in one workspace. Only f32 IR can be evaluated (before
 * quantization). The LPQ search evaluates the same network with its
 * conv2d/dense weights and inputs rounded to candidate formats (hooks). */
#include "passes/spx_pass.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/kernels/spx_kernels.h"

typedef struct slot {
  MlirValue value;
  spx_rt_tensor_t tensor;
} slot_t;

typedef struct evaluator {
  spx_pass_env_t *env;
  size_t n;
  slot_t *slots; /* arguments, then one per op result */
  uint8_t *ws;
  const spx_eval_hooks_t *hooks;
  uint32_t copy_offset; /* the input hook's copy of a conv2d/dense input */
  spx_ptrmap_t index;    /* value -> slot, for the first `indexed` slots */
  size_t indexed;
} evaluator_t;

static const spx_rt_tensor_t *tensor_of(evaluator_t *ev, MlirValue v) {
  for (; ev->indexed < ev->n; ev->indexed++)
    SPX_ASSERT(spx_ptrmap_put(&ev->index, ev->slots[ev->indexed].value.ptr, ev->indexed) == 0);
  size_t i;
  if (spx_ptrmap_get(&ev->index, v.ptr, &i)) return &ev->slots[i].tensor;
  SPX_UNREACHABLE("operand evaluated before its producer");
  return NULL;
}

static size_t bytes_of(const spx_rt_tensor_t *t) {
  size_t n = sizeof(float);
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

/* Places every argument and op result in the workspace, 16-byte aligned.
 * Returns -1 for IR that is not f32 (unreported), -2 after reporting at
 * `fn` a workspace the evaluator cannot place or allocate. */
static int plan(evaluator_t *ev, MlirBlock entry, MlirOperation fn) {
  size_t cap = (size_t)mlirBlockGetNumArguments(entry), offset = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    cap += (size_t)mlirOperationGetNumResults(op);
  ev->slots = calloc(cap + 1, sizeof *ev->slots);
  SPX_ASSERT(ev->slots);
  for (intptr_t a = 0; a < mlirBlockGetNumArguments(entry); a++)
    ev->slots[ev->n++].value = mlirBlockGetArgument(entry, a);
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (mlirOperationGetNumResults(op) == 1) ev->slots[ev->n++].value = mlirOperationGetResult(op, 0);
  for (size_t i = 0; i < ev->n; i++) {
    spx_rt_tensor_t *t = &ev->slots[i].tensor;
    int64_t d[SPX_MAX_RANK];
    MlirType type = mlirValueGetType(ev->slots[i].value);
    if (spx_ir_tensor_quant(type, NULL, NULL)) return -1; /* not f32 IR */
    t->dtype = SPX_RT_F32;
    t->rank = (uint8_t)spx_ir_shape(type, d);
    /* Offsets are u32 (spx_rt_tensor_t): every value has its own place,
     * so the sum of all of them must stay below 4 GiB. */
    uint64_t bytes = sizeof(float);
    for (int k = 0; k < t->rank && bytes <= UINT32_MAX; k++) {
      if (d[k] < 0 || d[k] > UINT32_MAX || (d[k] && bytes > UINT32_MAX / (uint64_t)d[k]))
        bytes = UINT64_MAX;
      else
        bytes *= (uint64_t)d[k];
      t->dims[k] = (uint32_t)d[k];
    }
    if (bytes > UINT32_MAX || offset > UINT32_MAX - SPX_RT_ALIGN16(bytes)) {
      spx_pass_error(ev->env, fn, "calibration needs more than 4 GiB for the network's "
                     "activations (the f32 evaluator keeps every one of them, with u32 offsets)");
      return -2;
    }
    t->offset = (uint32_t)offset;
    offset += SPX_RT_ALIGN16(bytes_of(t));
  }
  if (ev->hooks && ev->hooks->input) {
    size_t copy = 0;
    for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op))
      if (spx_ir_is_op(op, "conv2d") || spx_ir_is_op(op, "dense")) {
        size_t b = bytes_of(tensor_of(ev, mlirOperationGetOperand(op, 0)));
        if (b > copy) copy = b;
      }
    if (offset > UINT32_MAX - SPX_RT_ALIGN16(copy)) {
      spx_pass_error(ev->env, fn, "evaluating the network needs more than 4 GiB for its "
                     "activations (the f32 evaluator keeps every one of them, with u32 offsets)");
      return -2;
    }
    ev->copy_offset = (uint32_t)offset;
    offset += SPX_RT_ALIGN16(copy);
  }
  ev->ws = aligned_alloc(16, offset ? offset : 16);
  if (!ev->ws) {
    spx_pass_error(ev->env, fn, "cannot allocate %zu bytes for the network's activations "
                   "(calibration)", offset);
    return -2;
  }
  return 0;
}

/* An f32 weight of the store, or NULL (the layer check then refuses it). */
static const float *weight(evaluator_t *ev, MlirOperation op, const char *role) {
  spx_wbuf_t *b = spx_ir_get_wbuf(op, role, ev->env->store);
  return b && b->dtype == SPX_DT_F32 ? b->data : NULL;
}

static int eval_op(evaluator_t *ev, MlirOperation op) {
  spx_rt_layer_t l;
  char unfit[160];
  if (spx_ir_layer_unfit(op, unfit, sizeof unfit)) {
    MlirStringRef name = spx_ir_layer_name(op);
    spx_pass_error(ev->env, op, "cannot evaluate layer '%.*s' in f32: %s", (int)name.length,
                   name.data, unfit);
    return -1;
  }
  if (!spx_ir_layer_params(op, &l)) {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    spx_pass_error(ev->env, op, "cannot evaluate '%.*s' in f32", (int)name.length, name.data);
    return -1;
  }
  for (unsigned k = 0; k < l.n_in && k < 4; k++)
    l.in[k] = tensor_of(ev, mlirOperationGetOperand(op, (intptr_t)k));
  l.out = tensor_of(ev, mlirOperationGetResult(op, 0));
  float *affine = NULL;
  spx_rt_tensor_t copy;
  if (l.op == SPX_RT_OP_CONV2D || l.op == SPX_RT_OP_DENSE) {
    const spx_eval_hooks_t *h = ev->hooks;
    l.weights = weight(ev, op, "weight");
    l.bias = weight(ev, op, "bias");
    if (h && h->weights && l.weights) {
      const float *w = h->weights(h->user, op, spx_ir_get_wbuf(op, "weight", ev->env->store)->count);
      if (w) l.weights = w;
    }
    if (h && h->input) {
      copy = *l.in[0];
      copy.offset = ev->copy_offset;
      memcpy(ev->ws + copy.offset, ev->ws + l.in[0]->offset, bytes_of(&copy));
      h->input(h->user, op, (float *)(ev->ws + copy.offset), bytes_of(&copy) / sizeof(float));
      l.in[0] = &copy;
    }
  } else if (l.op == SPX_RT_OP_BATCHNORM) {
    /* A batchnorm runs as its per-channel affine, as on the device. */
    int32_t c = (int32_t)l.out->dims[1];
    const float *g = weight(ev, op, "gamma"), *b = weight(ev, op, "beta"),
                *m = weight(ev, op, "mean"), *v = weight(ev, op, "var");
    if (g && b && m && v) {
      affine = malloc(2 * (size_t)c * sizeof *affine);
      SPX_ASSERT(affine);
      spx_rt_batchnorm_affine(c, g, b, m, v, (float)spx_ir_get_f64(op, "eps"), affine,
                              affine + c);
      l.weights = affine;
      l.bias = affine + c;
    }
  }
  spx_rt_status_t st = spx_rt_layer_run(&l, ev->ws, NULL, 0);
  free(affine);
  if (st != SPX_RT_OK) {
    spx_rt_error_t why;
    spx_rt_error_clear(&why);
    spx_rt_layer_check(&l, &why);
    spx_pass_error(ev->env, op, "cannot evaluate in f32: %s%s%s", spx_rt_status_name(st),
                   why.message[0] ? ": " : "", why.message);
    return -1;
  }
  return 0;
}

static MlirOperation first_func(MlirModule module) {
  for (MlirOperation op = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
       !mlirOperationIsNull(op); op = mlirOperationGetNextInBlock(op))
    if (spx_ir_str_is(mlirIdentifierStr(mlirOperationGetName(op)), "func.func")) return op;
  return (MlirOperation){NULL};
}

int spx_eval_f32(MlirModule module, spx_pass_env_t *env, const float *const *inputs,
                 float *const *outputs, const spx_eval_hooks_t *hooks) {
  MlirOperation fn = first_func(module);
  SPX_ASSERT(!mlirOperationIsNull(fn));
  MlirBlock entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  evaluator_t ev = {.env = env, .hooks = hooks};
  int rc = plan(&ev, entry, fn);
  if (rc == -1) spx_pass_error(env, fn, "only f32 IR can be evaluated");
  if (rc == 0) {
    for (intptr_t i = 0; i < mlirBlockGetNumArguments(entry); i++) {
      const spx_rt_tensor_t *t = &ev.slots[i].tensor;
      memcpy(ev.ws + t->offset, inputs[i], bytes_of(t));
    }
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op) && rc == 0;
       op = mlirOperationGetNextInBlock(op)) {
    if (mlirOperationGetNumResults(op) == 0) { /* func.return */
      for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++) {
        const spx_rt_tensor_t *t = tensor_of(&ev, mlirOperationGetOperand(op, i));
        memcpy(outputs[i], ev.ws + t->offset, bytes_of(t));
      }
      continue;
    }
    rc = eval_op(&ev, op);
    if (rc == 0 && hooks && hooks->observe) {
      const spx_rt_tensor_t *t = tensor_of(&ev, mlirOperationGetResult(op, 0));
      hooks->observe(hooks->user, op, (const float *)(ev.ws + t->offset),
                     bytes_of(t) / sizeof(float));
    }
  }
  free(ev.ws);
  free(ev.slots);
  spx_ptrmap_free(&ev.index);
  return rc ? -1 : 0;
}
