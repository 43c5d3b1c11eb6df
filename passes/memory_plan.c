/* memory_plan.c - the static memory plan: every activation tensor (function
 * arguments and op results) gets an offset in one workspace, reused between
 * tensors whose lifetimes do not overlap. A tensor lives from its definition
 * to its last use (function results to the end). Placement is first fit in
 * definition order, each tensor 16-byte aligned. Records spx.ws_offset on
 * each op (and arg_attrs for arguments) and spx.workspace_size on the
 * module. Deterministic: no pointers or hashes decide anything. */
#include "passes/spx_pass.h"

#include <stdlib.h>
#include <limits.h>
#include <string.h>

enum { ALIGN = 16 };
/* The largest tensor the plan places: far above what any stream holds (the
 * backends refuse what does not fit theirs), small enough that no sum of
 * offsets and sizes of a plan can overflow. */
#define TENSOR_MAX ((size_t)1 << 40)

typedef struct live {
  MlirValue value;
  long def, last; /* op positions; arguments are defined at -1 */
  size_t bytes;
  size_t offset;
} live_t;

/* Bytes of a tensor type, or SIZE_MAX when above TENSOR_MAX. */
static size_t tensor_bytes(MlirType t) {
  int64_t d[SPX_MAX_RANK];
  int rank = spx_ir_shape(t, d);
  size_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (d[i] < 0 || (d[i] > 0 && n > TENSOR_MAX / (size_t)d[i])) return SIZE_MAX;
    n *= (size_t)d[i];
  }
  MlirType elt = mlirShapedTypeGetElementType(t);
  size_t size = 4; /* f32 */
  if (spx_ir_tensor_quant(t, NULL, NULL)) size = 1;
  else if (mlirTypeIsAInteger(elt)) size = (size_t)(mlirIntegerTypeGetWidth(elt) + 7) / 8;
  return n > TENSOR_MAX / size ? SIZE_MAX : n * size;
}

static size_t align_up(size_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static bool overlaps(const live_t *a, const live_t *b) {
  return a->def <= b->last && b->def <= a->last;
}

/* Lowest aligned offset where `v` fits beside every placed, overlapping
 * tensor: `active` lists the n placed ones still live when v is defined
 * (others cannot overlap it). The lowest offset free of conflicts, whatever
 * the order of the list: a conflict at offset x with p rules out every
 * offset from x up to p's end, where the search jumps. */
static size_t first_fit(const live_t *lives, const size_t *active, size_t n, const live_t *v) {
  size_t offset = 0;
  for (bool moved = true; moved;) {
    moved = false;
    for (size_t i = 0; i < n; i++) {
      const live_t *p = &lives[active[i]];
      if (!overlaps(p, v)) continue;
      if (offset < p->offset + p->bytes && p->offset < offset + v->bytes) {
        offset = align_up(p->offset + p->bytes);
        moved = true;
      }
    }
  }
  return offset;
}

static live_t *push(live_t *lives, size_t *n, size_t *cap, live_t v) {
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 64;
    lives = realloc(lives, *cap * sizeof *lives);
    SPX_ASSERT(lives);
  }
  lives[(*n)++] = v;
  return lives;
}

int spx_pass_memory_plan(MlirOperation module, spx_pass_env_t *env) {
  MlirModule m = mlirModuleFromOperation(module);
  MlirOperation fn = mlirBlockGetFirstOperation(mlirModuleGetBody(m));
  MlirBlock entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirContext ctx = mlirOperationGetContext(module);

  size_t cap = 0, n = 0;
  live_t *lives = NULL;
  spx_ptrmap_t index = SPX_PTRMAP_INIT; /* value -> its place in lives */
  intptr_t n_args = mlirBlockGetNumArguments(entry);
  for (intptr_t a = 0; a < n_args; a++) {
    MlirValue v = mlirBlockGetArgument(entry, a);
    SPX_ASSERT(spx_ptrmap_put(&index, v.ptr, n) == 0);
    lives = push(lives, &n, &cap, (live_t){v, -1, -1, tensor_bytes(mlirValueGetType(v)), 0});
  }
  long pos = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), pos++) {
    bool is_return = mlirOperationGetNumResults(op) == 0;
    for (intptr_t k = 0; k < mlirOperationGetNumOperands(op); k++) {
      MlirValue v = mlirOperationGetOperand(op, k);
      size_t i;
      if (spx_ptrmap_get(&index, v.ptr, &i)) lives[i].last = is_return ? LONG_MAX : pos;
    }
    if (is_return) continue;
    MlirValue r = mlirOperationGetResult(op, 0);
    SPX_ASSERT(spx_ptrmap_put(&index, r.ptr, n) == 0);
    lives = push(lives, &n, &cap, (live_t){r, pos, pos, tensor_bytes(mlirValueGetType(r)), 0});
  }

  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if (lives[i].bytes == SIZE_MAX) {
      MlirValue v = lives[i].value;
      MlirOperation at = mlirValueIsAOpResult(v) ? mlirOpResultGetOwner(v) : fn;
      spx_pass_error(env, at, "a tensor of more than %llu bytes (1 TiB) cannot be placed in the workspace",
                     (unsigned long long)TENSOR_MAX);
      rc = -1;
    }
  spx_ptrmap_free(&index);
  if (rc != 0) {
    free(lives);
    return rc;
  }
  /* Tensors in order of definition (arguments, then results in op order):
   * the ones placed so far whose last use is before this definition never
   * overlap it or anything later, so they leave the active list. */
  size_t workspace = 0, n_active = 0;
  size_t *active = malloc((n ? n : 1) * sizeof *active);
  SPX_ASSERT(active);
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    for (size_t j = 0; j < n_active; j++)
      if (lives[active[j]].last >= lives[i].def) active[k++] = active[j];
    n_active = k;
    lives[i].offset = first_fit(lives, active, n_active, &lives[i]);
    active[n_active++] = i;
    size_t end = align_up(lives[i].offset + lives[i].bytes);
    if (end > workspace) workspace = end;
  }
  free(active);

  /* Record the plan in the IR. */
  MlirType i64 = mlirIntegerTypeGet(ctx, 64);
  MlirAttribute *arg_attrs = calloc((size_t)n_args + 1, sizeof *arg_attrs);
  SPX_ASSERT(arg_attrs);
  MlirAttribute old = mlirOperationGetAttributeByName(fn, spx_ir_str("arg_attrs"));
  for (intptr_t a = 0; a < n_args; a++) {
    /* A hand-written module (spxc FILE.mlir) may have no arg_attrs. */
    MlirAttribute d = mlirAttributeIsNull(old) ? mlirDictionaryAttrGet(ctx, 0, NULL)
                                               : mlirArrayAttrGetElement(old, a);
    intptr_t nd = mlirDictionaryAttrGetNumElements(d);
    MlirNamedAttribute *items = calloc((size_t)nd + 1, sizeof *items);
    SPX_ASSERT(items);
    int k = 0;
    for (intptr_t j = 0; j < nd; j++) {
      MlirNamedAttribute e = mlirDictionaryAttrGetElement(d, j);
      MlirStringRef key = mlirIdentifierStr(e.name);
      if (!(key.length == 13 && memcmp(key.data, "spx.ws_offset", 13) == 0)) items[k++] = e;
    }
    items[k++] = mlirNamedAttributeGet(mlirIdentifierGet(ctx, spx_ir_str("spx.ws_offset")),
                                       mlirIntegerAttrGet(i64, (int64_t)lives[a].offset));
    arg_attrs[a] = mlirDictionaryAttrGet(ctx, k, items);
    free(items);
  }
  mlirOperationSetAttributeByName(fn, spx_ir_str("arg_attrs"),
                                  mlirArrayAttrGet(ctx, n_args, arg_attrs));
  free(arg_attrs);
  for (size_t i = (size_t)n_args; i < n; i++)
    spx_ir_set_i64(mlirOpResultGetOwner(lives[i].value), "spx.ws_offset", (int64_t)lives[i].offset);
  spx_ir_set_i64(module, "spx.workspace_size", (int64_t)workspace);
  free(lives);
  return 0;
}
