/* ir.c - helpers over the MLIR C API for the spx dialect. */
#include "ir/spx_ir.h"

#include <stdlib.h>
#include <string.h>

#include <mlir-c/Dialect/Func.h>
#include <mlir-c/Dialect/IRDL.h>
#include <mlir-c/Dialect/Quant.h>
#include <mlir-c/Dialect/SparseTensor.h>

MlirContext spx_ir_context_create(void) {
  MlirContext ctx = mlirContextCreateWithThreading(false);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__func__(), ctx);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__quant__(), ctx);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__sparse_tensor__(), ctx);
  mlirDialectHandleLoadDialect(mlirGetDialectHandle__irdl__(), ctx);
  MlirModule defs = mlirModuleCreateParse(ctx, spx_ir_str(spx_ir_dialect_source()));
  bool ok = !mlirModuleIsNull(defs) &&
            mlirLogicalResultIsSuccess(mlirLoadIRDLDialects(defs));
  if (!mlirModuleIsNull(defs)) mlirModuleDestroy(defs);
  if (!ok) {
    fprintf(stderr, "spxc: internal error: the embedded spx dialect did not load\n");
    mlirContextDestroy(ctx);
    return (MlirContext){NULL};
  }
  return ctx;
}


bool spx_ir_str_is(MlirStringRef s, const char *literal) {
  size_t n = strlen(literal);
  return s.length == n && memcmp(s.data, literal, n) == 0;
}

bool spx_ir_attr_number(MlirAttribute a, double *out) {
  if (mlirAttributeIsNull(a)) return false;
  if (mlirAttributeIsAFloat(a)) {
    *out = mlirFloatAttrGetValueDouble(a);
    return true;
  }
  if (mlirAttributeIsAInteger(a)) {
    *out = (double)mlirIntegerAttrGetValueInt(a);
    return true;
  }
  return false;
}

bool spx_ir_attr_int(MlirAttribute a, int64_t *out) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a)) return false;
  *out = mlirIntegerAttrGetValueInt(a);
  return true;
}

MlirNamedAttribute spx_ir_named(MlirContext ctx, const char *key, MlirAttribute value) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, spx_ir_str(key)), value);
}

MlirAttribute spx_ir_i64_attr(MlirContext ctx, int64_t v) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), v);
}

MlirAttribute spx_ir_f64_attr(MlirContext ctx, double v) {
  return mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), v);
}

MlirAttribute spx_ir_str_attr(MlirContext ctx, const char *s) {
  return mlirStringAttrGet(ctx, spx_ir_str(s));
}

bool spx_ir_is_op(MlirOperation op, const char *spx_name) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  size_t len = strlen(spx_name);
  return n.length == 4 + len && memcmp(n.data, "spx.", 4) == 0 &&
         memcmp(n.data + 4, spx_name, len) == 0;
}

static MlirAttribute get_attr(MlirOperation op, const char *attr) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str(attr));
  SPX_ASSERT(!mlirAttributeIsNull(a));
  return a;
}

MlirStringRef spx_ir_layer_name(MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str("name"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a)) return spx_ir_str("");
  return mlirStringAttrGetValue(a);
}

int64_t spx_ir_get_i64(MlirOperation op, const char *attr) {
  MlirAttribute a = get_attr(op, attr);
  SPX_ASSERT(mlirAttributeIsAInteger(a));
  return mlirIntegerAttrGetValueInt(a);
}

double spx_ir_get_f64(MlirOperation op, const char *attr) {
  MlirAttribute a = get_attr(op, attr);
  SPX_ASSERT(mlirAttributeIsAFloat(a));
  return mlirFloatAttrGetValueDouble(a);
}

MlirStringRef spx_ir_get_str(MlirOperation op, const char *attr) {
  MlirAttribute a = get_attr(op, attr);
  SPX_ASSERT(mlirAttributeIsAString(a));
  return mlirStringAttrGetValue(a);
}

int spx_ir_get_i64_array(MlirOperation op, const char *attr, int64_t *out, int n) {
  MlirAttribute a = get_attr(op, attr);
  SPX_ASSERT(mlirAttributeIsADenseI64Array(a));
  int size = (int)mlirDenseArrayGetNumElements(a);
  for (int i = 0; i < size && i < n; i++) out[i] = mlirDenseI64ArrayGetElement(a, i);
  return size;
}

static void set_attr(MlirOperation op, const char *attr, MlirAttribute value) {
  mlirOperationSetAttributeByName(op, spx_ir_str(attr), value);
}

void spx_ir_set_str(MlirOperation op, const char *attr, const char *value) {
  set_attr(op, attr, spx_ir_str_attr(mlirOperationGetContext(op), value));
}

void spx_ir_set_i64(MlirOperation op, const char *attr, int64_t value) {
  set_attr(op, attr, spx_ir_i64_attr(mlirOperationGetContext(op), value));
}

void spx_ir_set_f64(MlirOperation op, const char *attr, double value) {
  set_attr(op, attr, spx_ir_f64_attr(mlirOperationGetContext(op), value));
}

void spx_ir_set_i64_array(MlirOperation op, const char *attr, const int64_t *v, int n) {
  set_attr(op, attr, mlirDenseI64ArrayGet(mlirOperationGetContext(op), n, v));
}

MlirType spx_ir_wbuf_type(MlirContext ctx, const spx_wbuf_t *buf) {
  MlirType elt;
  switch (buf->dtype) {
  case SPX_DT_F32: elt = mlirF32TypeGet(ctx); break;
  case SPX_DT_I8: elt = mlirIntegerTypeGet(ctx, 8); break;
  case SPX_DT_I32: elt = mlirIntegerTypeGet(ctx, 32); break;
  case SPX_DT_U8: elt = mlirIntegerTypeUnsignedGet(ctx, 8); break;
  default: SPX_UNREACHABLE("bad dtype");
  }
  return mlirRankedTensorTypeGet(buf->rank, buf->dims, elt, mlirAttributeGetNull());
}

MlirAttribute spx_ir_wbuf_attr(MlirContext ctx, const spx_wbuf_t *buf) {
  return mlirUnmanagedDenseResourceElementsAttrGet(
      spx_ir_wbuf_type(ctx, buf), spx_ir_str(buf->name), buf->data, buf->nbytes,
      SPX_WEIGHT_ALIGN, /*dataIsMutable=*/false, NULL, NULL);
}

/* The C API has no getter for a dense resource's key, so read it back from
 * the attribute's printed form "dense_resource<KEY> : tensor<...>". KEY is
 * printed bare when it is an identifier (our names are) and quoted otherwise. */
typedef struct {
  char *buf; /* malloc'ed, grown to fit: a fixed buffer cut long layer
                names, and the key or location was lost */
  size_t len, cap;
} print_buf_t;

static void print_to_buf(MlirStringRef s, void *user) {
  print_buf_t *p = user;
  if (p->len + s.length + 1 > p->cap) {
    size_t cap = p->cap ? p->cap : 256;
    while (cap < p->len + s.length + 1) cap *= 2;
    char *grown = realloc(p->buf, cap);
    SPX_ASSERT(grown);
    p->buf = grown;
    p->cap = cap;
  }
  memcpy(p->buf + p->len, s.data, s.length);
  p->len += s.length;
  p->buf[p->len] = '\0';
}

spx_wbuf_t *spx_ir_get_wbuf(MlirOperation op, const char *attr,
                            const spx_wstore_t *store) {
  return spx_ir_wbuf_of(mlirOperationGetAttributeByName(op, spx_ir_str(attr)), store);
}

spx_wbuf_t *spx_ir_wbuf_of(MlirAttribute a, const spx_wstore_t *store) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseResourceElements(a)) return NULL;
  print_buf_t p = {NULL, 0, 0};
  mlirAttributePrint(a, print_to_buf, &p);
  static const char prefix[] = "dense_resource<";
  spx_wbuf_t *found = NULL;
  if (p.buf && strncmp(p.buf, prefix, sizeof prefix - 1) == 0) {
    char *key = p.buf + sizeof prefix - 1;
    char *end = strchr(key, '>');
    if (end) {
      *end = '\0';
      if (key[0] == '"' && end > key + 1 && end[-1] == '"') {
        key++;
        end[-1] = '\0';
      }
      found = spx_wstore_find(store, key);
    }
  }
  free(p.buf);
  return found;
}

/* Locations are read back from their printed form, loc("name"("f":1:2)), for
 * the same reason as resource keys: the C API has no getters for them. The
 * file is the quoted string just before the first '":<digits>' (a call site
 * or fused location gives its first position). */
spx_loc_t spx_ir_location(MlirLocation location, spx_arena_t *arena) {
  spx_loc_t loc = {NULL, 0, 0};
  print_buf_t p = {NULL, 0, 0};
  mlirLocationPrint(location, print_to_buf, &p);
  char *colon = p.buf;
  while (colon && (colon = strstr(colon, "\":")) && !(colon[2] >= '0' && colon[2] <= '9'))
    colon++;
  if (colon) {
    char *start = colon;
    while (start > p.buf && !(start[-1] == '"' && (start - 1 == p.buf || start[-2] != '\\')))
      start--;
    int line = 0, col = 0;
    if (start != p.buf && sscanf(colon + 2, "%d:%d", &line, &col) == 2) {
      loc.file = spx_arena_strndup(arena, start, (size_t)(colon - start));
      loc.line = line;
      loc.col = col;
    }
  }
  free(p.buf);
  return loc;
}

spx_loc_t spx_ir_loc(MlirOperation op, spx_arena_t *arena) {
  return spx_ir_location(mlirOperationGetLocation(op), arena);
}

bool spx_ir_tensor_quant(MlirType tensor, double *out_scale, int64_t *out_zp) {
  MlirType elt = mlirShapedTypeGetElementType(tensor);
  if (!mlirTypeIsAUniformQuantizedType(elt)) return false;
  if (out_scale) *out_scale = mlirUniformQuantizedTypeGetScale(elt);
  if (out_zp) *out_zp = mlirUniformQuantizedTypeGetZeroPoint(elt);
  return true;
}

static MlirType with_element(MlirType tensor, MlirType elt) {
  int64_t d[SPX_MAX_RANK];
  int rank = spx_ir_shape(tensor, d);
  return mlirRankedTensorTypeGet(rank, d, elt, mlirAttributeGetNull());
}

MlirType spx_ir_tensor_quantized(MlirType tensor, double scale, int64_t zp) {
  MlirContext ctx = mlirTypeGetContext(tensor);
  MlirType elt = mlirUniformQuantizedTypeGet(
      mlirQuantizedTypeGetSignedFlag(), mlirIntegerTypeGet(ctx, 8), mlirF32TypeGet(ctx),
      scale, zp, -128, 127);
  return with_element(tensor, elt);
}

MlirType spx_ir_tensor_f32(MlirType tensor) {
  return with_element(tensor, mlirF32TypeGet(mlirTypeGetContext(tensor)));
}

int spx_ir_shape(MlirType type, int64_t out[SPX_MAX_RANK]) {
  SPX_ASSERT(mlirTypeIsARankedTensor(type));
  int rank = (int)mlirShapedTypeGetRank(type);
  SPX_ASSERT(rank <= SPX_MAX_RANK);
  for (int i = 0; i < rank; i++) out[i] = mlirShapedTypeGetDimSize(type, i);
  return rank;
}

typedef struct {
  const char *name;
  size_t count, cap;
  MlirOperation *ops;
} collect_t;

static MlirWalkResult collect_one(MlirOperation op, void *user) {
  collect_t *c = user;
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  bool match = c->name ? spx_ir_is_op(op, c->name)
                       : (n.length > 4 && memcmp(n.data, "spx.", 4) == 0);
  if (match) {
    if (c->count == c->cap) {
      c->cap = c->cap ? 2 * c->cap : 64;
      c->ops = realloc(c->ops, c->cap * sizeof *c->ops);
      SPX_ASSERT(c->ops);
    }
    c->ops[c->count++] = op;
  }
  return MlirWalkResultAdvance;
}

size_t spx_ir_collect(MlirOperation root, const char *name, MlirOperation **out_ops) {
  collect_t c = {.name = name};
  *out_ops = NULL;
  mlirOperationWalk(root, collect_one, &c, MlirWalkPreOrder);
  *out_ops = c.ops;
  return c.count;
}

static void print_to_file(MlirStringRef s, void *user) {
  fwrite(s.data, 1, s.length, (FILE *)user);
}

void spx_ir_print(MlirOperation op, FILE *out, bool debug_info, bool elide_weights) {
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  if (debug_info) mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
  if (elide_weights) mlirOpPrintingFlagsElideLargeResourceString(flags, 64);
  mlirOperationPrintWithFlags(op, flags, print_to_file, out);
  mlirOpPrintingFlagsDestroy(flags);
  fputc('\n', out);
}
