/* check.c - spx IR that comes from outside the compiler (spxc FILE.mlir, the
 * mlir fuzz harness): reading it, and the entry check that runs on it before
 * any pass or backend sees it.
 *
 * MLIR's parser and verifier (with the IRDL definition, ir/spx.irdl.mlir)
 * check the syntax, op names, operand and result counts and the base kind of
 * each attribute (any dense array, any integer, any tensor). The passes and
 * the backends assume more: what the frontend guarantees of the IR it builds
 * and what the passes keep. spx_ir_check_input checks all of that once, so
 * that no assertion of ir/, passes/ or backends/ is reachable from a file;
 * each breach is an error at the offending op, function or module. */
#include "ir/spx_ir.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mlir-c/Dialect/Quant.h>

/* ---- MLIR diagnostics to spx_diag -------------------------------------- */

typedef struct route {
  spx_diag_t *diag;
  spx_arena_t *arena;
  const char *fallback; /* the file, for diagnostics with no file location */
} route_t;

typedef struct text_buf {
  char *data;
  size_t len, cap;
} text_buf_t;

/* Collects printed text, at most 4 KiB of it (a message quoting a huge op
 * is cut rather than copied whole). */
static void collect_text(MlirStringRef s, void *user) {
  text_buf_t *t = user;
  size_t room = t->cap - 1 - t->len;
  size_t n = s.length < room ? s.length : room;
  memcpy(t->data + t->len, s.data, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static void report_diagnostic(const route_t *r, MlirDiagnostic d) {
  char buf[4096];
  text_buf_t t = {buf, 0, sizeof buf};
  buf[0] = '\0';
  mlirDiagnosticPrint(d, collect_text, &t);
  /* The verifier's "see current operation: <the whole op>" notes repeat
   * what the error's location already points at. */
  if (strncmp(buf, "see current operation", 21) == 0) return;
  /* Which dialects the context has loaded: not the user's concern (the
   * error says which dialect the op is from). */
  if (strncmp(buf, "Registered dialects:", 20) == 0) return;
  spx_severity_t sev = SPX_SEV_NOTE;
  switch (mlirDiagnosticGetSeverity(d)) {
  case MlirDiagnosticError: sev = SPX_SEV_ERROR; break;
  case MlirDiagnosticWarning: sev = SPX_SEV_WARNING; break;
  default: break;
  }
  spx_loc_t loc = spx_ir_location(mlirDiagnosticGetLocation(d), r->arena);
  if (!loc.file) loc = (spx_loc_t){r->fallback, 0, 0};
  spx_diag_report(r->diag, sev, loc, "%s", buf);
  for (intptr_t i = 0; i < mlirDiagnosticGetNumNotes(d); i++)
    report_diagnostic(r, mlirDiagnosticGetNote(d, i));
}

static MlirLogicalResult route_diagnostic(MlirDiagnostic d, void *user) {
  report_diagnostic(user, d);
  return mlirLogicalResultSuccess();
}

MlirDiagnosticHandlerID spx_ir_diag_attach(MlirContext ctx, spx_diag_t *diag,
                                           spx_arena_t *arena, const char *fallback_file) {
  route_t *r = spx_arena_alloc(arena, sizeof *r);
  *r = (route_t){diag, arena, fallback_file};
  return mlirContextAttachDiagnosticHandler(ctx, route_diagnostic, r, NULL);
}

/* ---- the checker ------------------------------------------------------- */

/* At most this many elements in any tensor (so that an f32 tensor's bytes
 * fit the stream's 32-bit sizes with room to spare). */
#define MAX_ELEMENTS (INT64_C(1) << 30)

typedef struct checker {
  spx_diag_t *diag;
  spx_arena_t *arena;
  const char *path;
  MlirOperation module;
  int errors;
} checker_t;

/* The location of `op` as file:line:col; the file itself when the op has
 * none (loc(unknown), a bare name). */
static spx_loc_t op_loc(checker_t *c, MlirOperation op) {
  spx_loc_t loc = spx_ir_loc(op, c->arena);
  if (!loc.file) loc = (spx_loc_t){c->path, 0, 0};
  return loc;
}

static void error_at(checker_t *c, MlirOperation op, const char *fmt, ...) SPX_PRINTF(3, 4);
static void error_at(checker_t *c, MlirOperation op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(c->diag, SPX_SEV_ERROR, op_loc(c, op), fmt, ap);
  va_end(ap);
  c->errors++;
}

static const char *op_name(checker_t *c, MlirOperation op) {
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  return spx_arena_strndup(c->arena, n.data, n.length);
}

/* A type as MLIR prints it, cut at 200 characters. */
static const char *type_str(spx_arena_t *arena, MlirType t) {
  char buf[256];
  text_buf_t tb = {buf, 0, 201};
  buf[0] = '\0';
  mlirTypePrint(t, collect_text, &tb);
  return spx_arena_strdup(arena, buf);
}

/* Layer, argument and result names become C identifiers, weight buffer and
 * .npy file names and report keys: the frontend's identifiers, joined by
 * dots for nested layers. */
static bool is_name(MlirStringRef s) {
  if (s.length == 0) return false;
  for (size_t i = 0; i < s.length; i++) {
    char ch = s.data[i];
    bool alpha = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
    bool digit = ch >= '0' && ch <= '9';
    if (!(alpha || (i > 0 && (digit || ch == '.')))) return false;
  }
  return true;
}

/* The network name also names the output files and the generated C's
 * symbols: an identifier. */
static bool is_identifier(MlirStringRef s) {
  return is_name(s) && memchr(s.data, '.', s.length) == NULL;
}

/* Text copied into generated C comments and JSON strings: printable ASCII,
 * no quote, no backslash, no end of comment. */
static bool is_plain_text(MlirStringRef s) {
  for (size_t i = 0; i < s.length; i++) {
    char ch = s.data[i];
    if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') return false;
    if (ch == '*' && i + 1 < s.length && s.data[i + 1] == '/') return false;
  }
  return true;
}

/* Attribute values that the backend turns into JSON (spx.target options,
 * spx.stats): numbers, plain strings, and arrays and dictionaries of them,
 * not nested deeper than a few levels. */
static bool is_json_value(MlirAttribute a, int depth) {
  if (depth > 4) return false;
  if (mlirAttributeIsAInteger(a) || mlirAttributeIsAFloat(a)) return true;
  if (mlirAttributeIsAString(a)) return is_plain_text(mlirStringAttrGetValue(a));
  if (mlirAttributeIsADenseI64Array(a)) return true;
  if (mlirAttributeIsAArray(a)) {
    for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(a); i++)
      if (!is_json_value(mlirArrayAttrGetElement(a, i), depth + 1)) return false;
    return true;
  }
  if (mlirAttributeIsADictionary(a)) {
    for (intptr_t i = 0; i < mlirDictionaryAttrGetNumElements(a); i++) {
      MlirNamedAttribute e = mlirDictionaryAttrGetElement(a, i);
      if (!is_plain_text(mlirIdentifierStr(e.name)) ||
          !is_json_value(e.attribute, depth + 1))
        return false;
    }
    return true;
  }
  return false;
}

/* ---- tensor types ------------------------------------------------------ */

typedef enum elements {
  ELT_ACTIVATION, /* f32 or !quant.uniform<i8:f32, scale:zp> */
  ELT_F32,        /* function arguments and results */
  ELT_WEIGHT,     /* the weight store's dtypes: f32, i8, i32, ui8 */
} elements_t;

static bool is_int8_quant(MlirType elt) {
  if (!mlirTypeIsAUniformQuantizedType(elt)) return false;
  MlirType storage = mlirQuantizedTypeGetStorageType(elt);
  double scale = mlirUniformQuantizedTypeGetScale(elt);
  int64_t zp = mlirUniformQuantizedTypeGetZeroPoint(elt);
  return mlirTypeIsAInteger(storage) && mlirIntegerTypeGetWidth(storage) == 8 &&
         mlirQuantizedTypeIsSigned(elt) && mlirTypeIsAF32(mlirQuantizedTypeGetExpressedType(elt)) &&
         mlirQuantizedTypeGetStorageTypeMin(elt) == -128 &&
         mlirQuantizedTypeGetStorageTypeMax(elt) == 127 && isfinite(scale) && scale > 0 &&
         zp >= -128 && zp <= 127;
}

static bool element_ok(MlirType elt, elements_t kind) {
  if (mlirTypeIsAF32(elt)) return true;
  if (kind == ELT_ACTIVATION) return is_int8_quant(elt);
  if (kind == ELT_WEIGHT && mlirTypeIsAInteger(elt)) {
    unsigned w = mlirIntegerTypeGetWidth(elt);
    if (mlirIntegerTypeIsSignless(elt)) return w == 8 || w == 32;
    if (mlirIntegerTypeIsUnsigned(elt)) return w == 8;
  }
  return false;
}

/* NULL if `t` is a tensor the compiler can hold (ranked, static, every
 * dimension >= 1, rank 1 to SPX_MAX_RANK, at most MAX_ELEMENTS, `kind`
 * elements), else what is wrong with it (in the arena). */
static const char *tensor_problem(checker_t *c, MlirType t, elements_t kind) {
  if (!mlirTypeIsARankedTensor(t))
    return spx_arena_printf(c->arena, "type %s is not a ranked tensor", type_str(c->arena, t));
  int64_t rank = mlirShapedTypeGetRank(t);
  if (rank < 1 || rank > SPX_MAX_RANK)
    return spx_arena_printf(c->arena, "type %s has rank %lld (ranks 1 to %d are supported)",
                            type_str(c->arena, t), (long long)rank, SPX_MAX_RANK);
  int64_t count = 1;
  for (int64_t i = 0; i < rank; i++) {
    int64_t d = mlirShapedTypeGetDimSize(t, (intptr_t)i);
    if (mlirShapedTypeIsDynamicSize(d))
      return spx_arena_printf(c->arena, "type %s has a dynamic dimension (shapes must be static)",
                              type_str(c->arena, t));
    if (d < 1)
      return spx_arena_printf(c->arena, "type %s has an empty dimension (each must be >= 1)",
                              type_str(c->arena, t));
    if (d > MAX_ELEMENTS || (count *= d) > MAX_ELEMENTS)
      return spx_arena_printf(c->arena, "type %s has more than 2^30 elements",
                              type_str(c->arena, t));
  }
  MlirType elt = mlirShapedTypeGetElementType(t);
  if (!element_ok(elt, kind))
    return spx_arena_printf(
        c->arena, "type %s has element type %s (expected %s)", type_str(c->arena, t),
        type_str(c->arena, elt),
        kind == ELT_F32      ? "f32"
        : kind == ELT_WEIGHT ? "f32, i8, i32 or ui8"
                             : "f32 or !quant.uniform<i8:f32, scale:zero_point>");
  return NULL;
}

static int64_t tensor_bytes(MlirType t) {
  int64_t count = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); i++) count *= mlirShapedTypeGetDimSize(t, i);
  return count * (mlirTypeIsAF32(mlirShapedTypeGetElementType(t)) ? 4 : 1);
}

/* ---- op attributes ----------------------------------------------------- */

typedef enum attr_kind {
  A_NAME,     /* string, a layer name */
  A_ACT,      /* string, one of SPX_CS_ACTS */
  A_RESOURCE, /* dense_resource of a tensor of rank `len` (0: any) */
  A_INT,      /* integer in [min, max] */
  A_INTS,     /* array<i64> of `len` elements, each in [min, max] */
  A_AXIS,     /* integer in [0, rank of operand 0) */
  A_EPS,      /* float, finite, >= 0 */
  A_STRING,   /* string */
  A_DICT,     /* dictionary */
  A_STATS,    /* dictionary of JSON-able values */
  A_UNIT,     /* unit attribute */
} attr_kind_t;

#define ANY_OP SPX_IR_OP_COUNT_

typedef struct attr_rule {
  spx_ir_op_t op; /* ANY_OP: the discardable spx.* attributes */
  const char *name;
  attr_kind_t kind;
  int len;
  int64_t min, max;
  bool optional; /* checked when present (every ANY_OP rule), else required */
} attr_rule_t;

/* Windows, strides, pads and dilations are 8-bit fields of a layer
 * (spx_rt_layer_t), groups a 16-bit one. */
static const attr_rule_t attr_rules[] = {
    {SPX_IR_OP_CONV2D, "weight", A_RESOURCE, 4, 0, 0, false},
    {SPX_IR_OP_CONV2D, "bias", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_CONV2D, "stride", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_CONV2D, "pad", A_INTS, 4, 0, 255, false},
    {SPX_IR_OP_CONV2D, "dilation", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_CONV2D, "groups", A_INT, 0, 1, 65535, false},
    {SPX_IR_OP_CONV2D, "act", A_ACT, 0, 0, 0, false},
    {SPX_IR_OP_DENSE, "weight", A_RESOURCE, 2, 0, 0, false},
    {SPX_IR_OP_DENSE, "bias", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_DENSE, "act", A_ACT, 0, 0, 0, false},
    {SPX_IR_OP_ADD, "act", A_ACT, 0, 0, 0, true}, /* fuse-activations sets it */
    {SPX_IR_OP_MAXPOOL, "kernel", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_MAXPOOL, "stride", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_MAXPOOL, "pad", A_INTS, 4, 0, 255, false},
    {SPX_IR_OP_AVGPOOL, "kernel", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_AVGPOOL, "stride", A_INTS, 2, 1, 255, false},
    {SPX_IR_OP_AVGPOOL, "pad", A_INTS, 4, 0, 255, false},
    {SPX_IR_OP_CONCAT, "axis", A_AXIS, 0, 0, 0, false},
    {SPX_IR_OP_SOFTMAX, "axis", A_AXIS, 0, 0, 0, false},
    {SPX_IR_OP_BATCHNORM, "gamma", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_BATCHNORM, "beta", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_BATCHNORM, "mean", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_BATCHNORM, "var", A_RESOURCE, 1, 0, 0, false},
    {SPX_IR_OP_BATCHNORM, "eps", A_EPS, 0, 0, 0, false},
    /* What passes record, as they record it. */
    {ANY_OP, "spx.ws_offset", A_INT, 0, 0, UINT32_MAX, true},
    {ANY_OP, "spx.fused", A_NAME, 0, 0, 0, true},
    {ANY_OP, "spx.folded", A_NAME, 0, 0, 0, true},
    {ANY_OP, "spx.precision", A_STRING, 0, 0, 0, true},
    {ANY_OP, "spx.encoding", A_STRING, 0, 0, 0, true},
    {ANY_OP, "spx.encoded", A_RESOURCE, 0, 0, 0, true},
    {ANY_OP, "spx.wscale", A_RESOURCE, 0, 0, 0, true},
    {ANY_OP, "spx.multiplier", A_RESOURCE, 0, 0, 0, true},
    {ANY_OP, "spx.shift", A_RESOURCE, 0, 0, 0, true},
    {ANY_OP, "spx.sparsify", A_DICT, 0, 0, 0, true},
    {ANY_OP, "spx.stats", A_STATS, 0, 0, 0, true},
    {ANY_OP, "spx.binary", A_UNIT, 0, 0, 0, true},
};

/* A signless integer attribute of at most 64 bits (what the accessors of
 * ir/ read: mlirIntegerAttrGetValueInt is for signless and index types,
 * and an index type has no width to ask for). */
static bool int_value(MlirAttribute a, int64_t *out) {
  if (!mlirAttributeIsAInteger(a)) return false;
  MlirType t = mlirAttributeGetType(a);
  if (!mlirTypeIsAInteger(t) || !mlirIntegerTypeIsSignless(t) || mlirIntegerTypeGetWidth(t) > 64)
    return false;
  *out = mlirIntegerAttrGetValueInt(a);
  return true;
}

/* Checks one attribute against its rule; false with *why (in `why`). */
static bool attr_ok(MlirOperation op, const attr_rule_t *r, MlirAttribute a, char *why,
                    size_t n) {
  const char *nm = r->name;
  switch (r->kind) {
  case A_NAME:
    if (mlirAttributeIsAString(a) && is_name(mlirStringAttrGetValue(a))) return true;
    snprintf(why, n, "attribute '%s' must be a layer name (letters, digits, '_' and '.', "
                     "not starting with a digit or '.')", nm);
    return false;
  case A_ACT:
    if (mlirAttributeIsAString(a)) {
      MlirStringRef s = mlirStringAttrGetValue(a);
#define X(E, code, text) \
  if (spx_ir_str_is(s, text)) return true;
      SPX_CS_ACTS(X)
#undef X
    }
    snprintf(why, n, "attribute '%s' must be one of the activations", nm);
    {
      size_t used = strlen(why);
      const char *sep = " ";
#define X(E, code, text)                                                      \
  if (used < n) used += (size_t)snprintf(why + used, n - used, "%s\"%s\"", sep, text); \
  sep = ", ";
      SPX_CS_ACTS(X)
#undef X
    }
    return false;
  case A_RESOURCE: {
    MlirType t = mlirAttributeGetType(a);
    if (!mlirAttributeIsADenseResourceElements(a) || !mlirTypeIsARankedTensor(t) ||
        (r->len && mlirShapedTypeGetRank(t) != r->len)) {
      if (r->len)
        snprintf(why, n, "attribute '%s' must be a dense_resource of a rank-%d tensor", nm, r->len);
      else
        snprintf(why, n, "attribute '%s' must be a dense_resource of a tensor", nm);
      return false;
    }
    /* tensor_problem without a checker: its rules, its wording. */
    int64_t count = 1;
    for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); i++) {
      int64_t d = mlirShapedTypeGetDimSize(t, i);
      if (mlirShapedTypeIsDynamicSize(d) || d < 1 || d > MAX_ELEMENTS ||
          (count *= d) > MAX_ELEMENTS) {
        snprintf(why, n, "attribute '%s' must have a static shape, each dimension >= 1, "
                         "at most 2^30 elements", nm);
        return false;
      }
    }
    if (mlirShapedTypeGetRank(t) > SPX_MAX_RANK ||
        !element_ok(mlirShapedTypeGetElementType(t), ELT_WEIGHT)) {
      snprintf(why, n, "attribute '%s' must hold f32, i8, i32 or ui8 elements, rank <= %d", nm,
               SPX_MAX_RANK);
      return false;
    }
    if (spx_ir_op_kind(op) == SPX_IR_OP_CONV2D && strcmp(nm, "weight") == 0 &&
        (mlirShapedTypeGetDimSize(t, 2) > 255 || mlirShapedTypeGetDimSize(t, 3) > 255)) {
      snprintf(why, n, "conv2d kernel %lldx%lld is too large (at most 255x255)",
               (long long)mlirShapedTypeGetDimSize(t, 2), (long long)mlirShapedTypeGetDimSize(t, 3));
      return false;
    }
    return true;
  }
  case A_INT: {
    int64_t v;
    if (int_value(a, &v) && v >= r->min && v <= r->max) return true;
    snprintf(why, n, "attribute '%s' must be an integer in [%lld, %lld]", nm, (long long)r->min,
             (long long)r->max);
    return false;
  }
  case A_INTS: {
    bool ok = mlirAttributeIsADenseI64Array(a) && mlirDenseArrayGetNumElements(a) == r->len;
    for (int k = 0; ok && k < r->len; k++) {
      int64_t v = mlirDenseI64ArrayGetElement(a, k);
      ok = v >= r->min && v <= r->max;
    }
    if (!ok)
      snprintf(why, n, "attribute '%s' must be array<i64> of %d elements in [%lld, %lld]", nm,
               r->len, (long long)r->min, (long long)r->max);
    return ok;
  }
  case A_AXIS: {
    MlirType in = mlirValueGetType(mlirOperationGetOperand(op, 0));
    int64_t rank = mlirTypeIsARankedTensor(in) ? mlirShapedTypeGetRank(in) : 0;
    int64_t v;
    if (int_value(a, &v) && v >= 0 && v < rank) return true;
    snprintf(why, n, "attribute '%s' must be an integer in [0, %lld) (the input's rank)", nm,
             (long long)rank);
    return false;
  }
  case A_EPS:
    if (mlirAttributeIsAFloat(a)) {
      double v = mlirFloatAttrGetValueDouble(a);
      if (isfinite(v) && v >= 0) return true;
    }
    snprintf(why, n, "attribute '%s' must be a finite float >= 0", nm);
    return false;
  case A_STRING:
    if (mlirAttributeIsAString(a) && is_plain_text(mlirStringAttrGetValue(a))) return true;
    snprintf(why, n, "attribute '%s' must be a string of printable characters", nm);
    return false;
  case A_DICT:
    if (mlirAttributeIsADictionary(a)) return true;
    snprintf(why, n, "attribute '%s' must be a dictionary", nm);
    return false;
  case A_STATS:
    if (mlirAttributeIsADictionary(a) && is_json_value(a, 0)) return true;
    snprintf(why, n, "attribute '%s' must be a dictionary of numbers and plain strings", nm);
    return false;
  case A_UNIT:
    if (mlirAttributeIsAUnit(a)) return true;
    snprintf(why, n, "attribute '%s' must be a unit attribute", nm);
    return false;
  }
  return false;
}

bool spx_ir_op_attrs_ok(MlirOperation op, char *why, size_t n) {
  spx_ir_op_t kind = spx_ir_op_kind(op);
  MlirAttribute name = mlirOperationGetAttributeByName(op, spx_ir_str("name"));
  const attr_rule_t name_rule = {kind, "name", A_NAME, 0, 0, 0, false};
  if (mlirAttributeIsNull(name)) {
    snprintf(why, n, "attribute 'name' is missing");
    return false;
  }
  if (!attr_ok(op, &name_rule, name, why, n)) return false;
  for (size_t i = 0; i < sizeof attr_rules / sizeof attr_rules[0]; i++) {
    const attr_rule_t *r = &attr_rules[i];
    if (r->op != kind && r->op != ANY_OP) continue;
    MlirAttribute a = mlirOperationGetAttributeByName(op, spx_ir_str(r->name));
    if (mlirAttributeIsNull(a)) {
      if (r->optional) continue;
      snprintf(why, n, "attribute '%s' is missing", r->name);
      return false;
    }
    if (!attr_ok(op, r, a, why, n)) return false;
  }
  if (kind == SPX_IR_OP_ADD && spx_ir_op_act(op) == SPX_RT_ACT_SIGN) {
    snprintf(why, n, "an add has no sign output stage: attribute 'act' may not be \"sign\"");
    return false;
  }
  return true;
}

/* ---- the module -------------------------------------------------------- */

/* Module attributes: spx.network names the outputs, spx.source is quoted
 * in them, spx.target and spx.quantize are read as dictionaries,
 * spx.workspace_size as the plan's size. Absent ones are fine here (a pass
 * test needs none); the backend asks for what it needs. */
static void check_module_attrs(checker_t *c) {
  MlirOperation m = c->module;
  MlirAttribute a = mlirOperationGetAttributeByName(m, spx_ir_str("spx.network"));
  if (!mlirAttributeIsNull(a) && !(mlirAttributeIsAString(a) && is_identifier(mlirStringAttrGetValue(a))))
    error_at(c, m, "module attribute 'spx.network' must be an identifier (it names the outputs)");
  a = mlirOperationGetAttributeByName(m, spx_ir_str("spx.source"));
  if (!mlirAttributeIsNull(a) && !(mlirAttributeIsAString(a) && is_plain_text(mlirStringAttrGetValue(a))))
    error_at(c, m, "module attribute 'spx.source' must be a string of printable characters "
                   "(no quote, backslash or '*/')");
  a = mlirOperationGetAttributeByName(m, spx_ir_str("spx.target"));
  if (!mlirAttributeIsNull(a)) {
    MlirAttribute kind = mlirAttributeIsADictionary(a)
                             ? mlirDictionaryAttrGetElementByName(a, spx_ir_str("kind"))
                             : mlirAttributeGetNull();
    if (!mlirAttributeIsADictionary(a) || !is_json_value(a, 1) ||
        (!mlirAttributeIsNull(kind) &&
         !(mlirAttributeIsAString(kind) && is_identifier(mlirStringAttrGetValue(kind)))))
      error_at(c, m, "module attribute 'spx.target' must be a dictionary {kind = \"NAME\", "
                     "OPTION = value, ...} of numbers and plain strings");
  }
  a = mlirOperationGetAttributeByName(m, spx_ir_str("spx.quantize"));
  if (!mlirAttributeIsNull(a) && !mlirAttributeIsADictionary(a))
    error_at(c, m, "module attribute 'spx.quantize' must be a dictionary");
  a = mlirOperationGetAttributeByName(m, spx_ir_str("spx.workspace_size"));
  if (!mlirAttributeIsNull(a)) {
    const attr_rule_t rule = {ANY_OP, "spx.workspace_size", A_INT, 0, 0, UINT32_MAX, true};
    char why[200];
    if (!attr_ok(m, &rule, a, why, sizeof why)) error_at(c, m, "module %s", why);
  }
}

/* The one function: spx.name and spx.ws_offset of its arguments and
 * results, when present, and names unique among arguments and among
 * results (they become the parameters of the generated C function). */
static void check_io_attrs(checker_t *c, MlirOperation fn, const char *attr, const char *what,
                           intptr_t count) {
  MlirAttribute all = mlirOperationGetAttributeByName(fn, spx_ir_str(attr));
  if (mlirAttributeIsNull(all)) return;
  if (!mlirAttributeIsAArray(all) || mlirArrayAttrGetNumElements(all) != count) {
    error_at(c, fn, "function attribute '%s' must hold one dictionary per %s", attr, what);
    return;
  }
  for (intptr_t i = 0; i < count; i++) {
    MlirAttribute d = mlirArrayAttrGetElement(all, i);
    if (!mlirAttributeIsADictionary(d)) {
      error_at(c, fn, "function attribute '%s' must hold one dictionary per %s", attr, what);
      return;
    }
    MlirAttribute name = mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.name"));
    if (!mlirAttributeIsNull(name)) {
      if (!mlirAttributeIsAString(name) || !is_name(mlirStringAttrGetValue(name))) {
        error_at(c, fn, "the spx.name of %s %lld must be a name (letters, digits, '_' and '.', "
                        "not starting with a digit or '.')", what, (long long)i);
        continue;
      }
      MlirStringRef s = mlirStringAttrGetValue(name);
      for (intptr_t j = 0; j < i; j++) {
        MlirAttribute dj = mlirArrayAttrGetElement(all, j);
        MlirAttribute nj = mlirAttributeIsADictionary(dj)
                               ? mlirDictionaryAttrGetElementByName(dj, spx_ir_str("spx.name"))
                               : mlirAttributeGetNull();
        if (!mlirAttributeIsNull(nj) && mlirAttributeIsAString(nj) &&
            mlirStringRefEqual(mlirStringAttrGetValue(nj), s)) {
          error_at(c, fn, "%ss %lld and %lld are both named '%.*s'", what, (long long)j,
                   (long long)i, (int)s.length, s.data);
          break;
        }
      }
    }
    MlirAttribute off = mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.ws_offset"));
    if (!mlirAttributeIsNull(off)) {
      const attr_rule_t rule = {ANY_OP, "spx.ws_offset", A_INT, 0, 0, UINT32_MAX, true};
      char why[200];
      if (!attr_ok(fn, &rule, off, why, sizeof why))
        error_at(c, fn, "%s %lld: %s", what, (long long)i, why);
    }
  }
}

/* A value's workspace offset, when the plan is recorded (-1 if absent). */
static int64_t ws_offset_of(MlirOperation fn, MlirValue v) {
  MlirAttribute off;
  if (mlirValueIsAOpResult(v)) {
    off = mlirOperationGetAttributeByName(mlirOpResultGetOwner(v), spx_ir_str("spx.ws_offset"));
  } else {
    MlirAttribute all = mlirOperationGetAttributeByName(fn, spx_ir_str("arg_attrs"));
    if (mlirAttributeIsNull(all)) return -1;
    MlirAttribute d = mlirArrayAttrGetElement(all, mlirBlockArgumentGetArgNumber(v));
    off = mlirDictionaryAttrGetElementByName(d, spx_ir_str("spx.ws_offset"));
  }
  return mlirAttributeIsNull(off) ? -1 : mlirIntegerAttrGetValueInt(off);
}

typedef struct named_op {
  MlirStringRef name;
  size_t index;
} named_op_t;

static int named_op_cmp(const void *pa, const void *pb) {
  const named_op_t *a = pa, *b = pb;
  size_t n = a->name.length < b->name.length ? a->name.length : b->name.length;
  int r = memcmp(a->name.data, b->name.data, n);
  if (r == 0 && a->name.length != b->name.length) r = a->name.length < b->name.length ? -1 : 1;
  if (r == 0) r = a->index < b->index ? -1 : a->index > b->index;
  return r;
}

/* One spx op: its operand and result types, precisions and attributes. */
static void check_op(checker_t *c, MlirOperation op, spx_ir_op_t kind) {
  int before = c->errors;
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); i++) {
    const char *why = tensor_problem(c, mlirValueGetType(mlirOperationGetResult(op, i)),
                                     ELT_ACTIVATION);
    if (why) error_at(c, op, "result: %s", why);
  }
  if (c->errors != before) return;
  /* Operands are arguments or earlier results, checked already; whether
   * they are tensors at all is IRDL's check. Precision: an op computes in
   * the precision of its result, except the conversions. */
  bool out_q = mlirTypeIsAUniformQuantizedType(
      mlirShapedTypeGetElementType(mlirValueGetType(mlirOperationGetResult(op, 0))));
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++) {
    MlirType t = mlirValueGetType(mlirOperationGetOperand(op, i));
    if (!mlirTypeIsARankedTensor(t)) return; /* its definition was reported */
    bool in_q = mlirTypeIsAUniformQuantizedType(mlirShapedTypeGetElementType(t));
    bool want_in_q = kind == SPX_IR_OP_QUANTIZE ? false : kind == SPX_IR_OP_DEQUANTIZE ? true : out_q;
    if (in_q != want_in_q) {
      error_at(c, op, "operand %lld is %s but '%s' takes %s here", (long long)i,
               in_q ? "int8" : "f32", op_name(c, op), want_in_q ? "int8" : "f32");
      return;
    }
  }
  if ((kind == SPX_IR_OP_QUANTIZE && !out_q) || (kind == SPX_IR_OP_DEQUANTIZE && out_q)) {
    error_at(c, op, "the result of '%s' must be %s", op_name(c, op),
             kind == SPX_IR_OP_QUANTIZE ? "int8 (!quant.uniform<i8:f32, ...>)" : "f32");
    return;
  }
  char why[256];
  if (!spx_ir_op_attrs_ok(op, why, sizeof why)) error_at(c, op, "%s", why);
}

static void check_function(checker_t *c, MlirOperation fn) {
  if (mlirOperationGetNumRegions(fn) != 1) {
    error_at(c, fn, "the function must have a body");
    return;
  }
  MlirRegion body = mlirOperationGetRegion(fn, 0);
  MlirBlock entry = mlirRegionGetFirstBlock(body);
  if (mlirBlockIsNull(entry)) {
    error_at(c, fn, "the function is only declared: spx IR needs its body");
    return;
  }
  if (!mlirBlockIsNull(mlirBlockGetNextInRegion(entry))) {
    error_at(c, fn, "the function has more than one block (spx IR is one block of layers)");
    return;
  }
  intptr_t n_args = mlirBlockGetNumArguments(entry);
  MlirOperation ret = mlirBlockGetTerminator(entry);
  if (mlirOperationIsNull(ret) ||
      !spx_ir_str_is(mlirIdentifierStr(mlirOperationGetName(ret)), "func.return")) {
    error_at(c, fn, "the function must end with func.return");
    return;
  }
  intptr_t n_results = mlirOperationGetNumOperands(ret);
  if (n_args == 0) error_at(c, fn, "the function has no arguments (a network needs an input)");
  if (n_results == 0) error_at(c, ret, "the function returns nothing (a network needs an output)");
  int before = c->errors;
  for (intptr_t i = 0; i < n_args; i++) {
    const char *why = tensor_problem(c, mlirValueGetType(mlirBlockGetArgument(entry, i)), ELT_F32);
    if (why) error_at(c, fn, "argument %lld: %s", (long long)i, why);
  }
  check_io_attrs(c, fn, "arg_attrs", "argument", n_args);
  check_io_attrs(c, fn, "res_attrs", "result", n_results);
  bool args_ok = c->errors == before;

  /* The ops: spx ops, then the return. */
  size_t n_ops = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    n_ops++;
  named_op_t *names = calloc(n_ops + 1, sizeof *names);
  MlirOperation *ops = calloc(n_ops + 1, sizeof *ops);
  SPX_ASSERT(names && ops);
  size_t n_named = 0, i = 0;
  bool ops_ok = true;
  for (MlirOperation op = mlirBlockGetFirstOperation(entry); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), i++) {
    ops[i] = op;
    if (mlirOperationEqual(op, ret)) continue;
    spx_ir_op_t kind = spx_ir_op_kind(op);
    if (kind == SPX_IR_OP_COUNT_) {
      error_at(c, op, "'%s' is not an spx op: the function holds spx ops and its return only",
               op_name(c, op));
      ops_ok = false;
      continue;
    }
    int before_op = c->errors;
    check_op(c, op, kind);
    if (c->errors != before_op) {
      ops_ok = false;
      continue;
    }
    names[n_named++] = (named_op_t){spx_ir_layer_name(op), i};
  }
  /* The outputs, in the order of the file: after the ops. */
  for (intptr_t r = 0; r < n_results; r++) {
    MlirValue v = mlirOperationGetOperand(ret, r);
    MlirType t = mlirValueGetType(v);
    intptr_t j = 0;
    while (j < r && !mlirValueEqual(mlirOperationGetOperand(ret, j), v)) j++;
    if (j < r) {
      error_at(c, ret, "results %lld and %lld are the same value (each output of the network is "
                       "a tensor of its own)", (long long)j, (long long)r);
      continue;
    }
    /* Reported once, at the argument or op that defines it, if it is no
     * tensor at all. */
    if (!mlirTypeIsARankedTensor(t)) continue;
    if (!mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
      error_at(c, ret, "result %lld is %s: the network's outputs are f32", (long long)r,
               type_str(c->arena, t));
  }
  /* Layer names are unique (weight buffers and symbols are named after them). */
  qsort(names, n_named, sizeof *names, named_op_cmp);
  for (size_t k = 1; k < n_named; k++)
    if (mlirStringRefEqual(names[k].name, names[k - 1].name)) {
      spx_loc_t first = op_loc(c, ops[names[k - 1].index]);
      if (first.line > 0)
        error_at(c, ops[names[k].index], "layer name '%.*s' is used twice (first at %s:%d:%d)",
                 (int)names[k].name.length, names[k].name.data, first.file, first.line, first.col);
      else
        error_at(c, ops[names[k].index], "layer name '%.*s' is used twice",
                 (int)names[k].name.length, names[k].name.data);
      ops_ok = false;
    }
  free(names);

  /* A recorded memory plan must place every tensor inside the workspace. */
  MlirAttribute ws = mlirOperationGetAttributeByName(c->module, spx_ir_str("spx.workspace_size"));
  if (args_ok && ops_ok && c->errors == 0 && !mlirAttributeIsNull(ws)) {
    int64_t size = mlirIntegerAttrGetValueInt(ws);
    for (intptr_t a = 0; a < n_args; a++) {
      MlirValue v = mlirBlockGetArgument(entry, a);
      int64_t off = ws_offset_of(fn, v);
      if (off < 0 || off + tensor_bytes(mlirValueGetType(v)) > size) {
        error_at(c, fn, "argument %lld lies outside the workspace of %lld bytes (spx.ws_offset "
                        "missing or too large)", (long long)a, (long long)size);
        break;
      }
    }
    for (size_t k = 0; k < n_ops; k++) {
      if (mlirOperationEqual(ops[k], ret)) continue;
      MlirValue v = mlirOperationGetResult(ops[k], 0);
      int64_t off = ws_offset_of(fn, v);
      if (off < 0 || off + tensor_bytes(mlirValueGetType(v)) > size) {
        error_at(c, ops[k], "the result lies outside the workspace of %lld bytes (spx.ws_offset "
                            "missing or too large)", (long long)size);
        break;
      }
    }
  }
  free(ops);
}

int spx_ir_check_input(MlirOperation module, const char *path, spx_diag_t *diag,
                       spx_arena_t *arena) {
  checker_t c = {diag, arena, path, module, 0};
  if (!spx_ir_str_is(mlirIdentifierStr(mlirOperationGetName(module)), "builtin.module")) {
    error_at(&c, module, "expected a module of spx IR, found '%s'", op_name(&c, module));
    return -1;
  }
  check_module_attrs(&c);
  MlirBlock body = mlirModuleGetBody(mlirModuleFromOperation(module));
  MlirOperation fn = {NULL};
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!spx_ir_str_is(mlirIdentifierStr(mlirOperationGetName(op)), "func.func")) {
      error_at(&c, op, "'%s' cannot appear in the module: spx IR holds one func.func",
               op_name(&c, op));
    } else if (!mlirOperationIsNull(fn)) {
      error_at(&c, op, "a second function: spx IR holds exactly one (the network)");
    } else {
      fn = op;
    }
  }
  if (mlirOperationIsNull(fn)) {
    if (c.errors == 0) error_at(&c, module, "the module holds no function (spx IR holds one: the network)");
  } else if (c.errors == 0) {
    check_function(&c, fn);
  }
  return c.errors ? -1 : 0;
}

/* ---- reading ----------------------------------------------------------- */

/* MLIR's parser recurses once per nesting level of brackets, regions and
 * types, so deep nesting overflows the stack before it can report anything.
 * spx IR nests a handful of levels; this is far above that. */
#define MAX_NESTING 100

static spx_loc_t text_loc(const char *path, const char *text, const char *at) {
  int line = 1, col = 1;
  for (const char *p = text; p < at; p++) {
    if (*p == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return (spx_loc_t){path, line, col};
}

/* Checks what MLIR's parser cannot be handed: NUL bytes (its lexer stops at
 * the first one, silently dropping the rest) and nesting too deep for its
 * recursion. Comments and string literals do not count. */
static bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '.';
}

/* An `array<...>` attribute at text[i] whose element type is i1 (i01, ...)
 * or a type alias (which could be i1): spx IR has none, and MLIR 19 crashes
 * printing a boolean array (an op carrying one in a diagnostic is enough:
 * a fuzz finding). */
static bool bool_or_alias_array(const char *text, size_t len, size_t i) {
  if (len - i < 5 || memcmp(text + i, "array", 5) != 0 || (i > 0 && ident_char(text[i - 1])))
    return false;
  size_t j = i + 5;
  while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')) j++;
  if (j >= len || text[j] != '<') return false;
  for (j++; j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'); j++) {
  }
  if (j < len && text[j] == '!') return true;
  if (j + 1 >= len || text[j] != 'i' || !(text[j + 1] >= '0' && text[j + 1] <= '9')) return false;
  for (j++; j < len && text[j] == '0'; j++) {
  }
  return j < len && text[j] == '1' && !(j + 1 < len && ident_char(text[j + 1]));
}

static int check_text(const char *path, const char *text, size_t len, spx_diag_t *diag) {
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    spx_diag_error(diag, text_loc(path, text, nul),
                   "the file holds a NUL byte: spx IR is MLIR text");
    return -1;
  }
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    if (ch == '"') {
      /* MLIR's lexer ends a string at a line break or the end of the text
       * with an error token; inside a dialect_resources blob that error does
       * not stop the parser, and lexing goes on past the end of the buffer.
       * So an unterminated string is refused here, at its opening quote. */
      size_t open = i;
      for (i++; i < len && text[i] != '"' && text[i] != '\n' && text[i] != '\v' && text[i] != '\f'; i++)
        if (text[i] == '\\' && i + 1 < len && text[i + 1] != '\n') i++;
      if (i >= len || text[i] != '"') {
        spx_diag_error(diag, text_loc(path, text, text + open), "unterminated string literal (a string ends on its own line)");
        return -1;
      }
    } else if (ch == '/' && i + 1 < len && text[i + 1] == '/') {
      while (i < len && text[i] != '\n') i++;
    } else if (ch == 'a' && bool_or_alias_array(text, len, i)) {
      spx_diag_error(diag, text_loc(path, text, text + i),
                     "spx IR has no boolean arrays (array<i1: ...>) and names array element "
                     "types in full (no type alias)");
      return -1;
    } else if (ch == '(' || ch == '[' || ch == '{' || ch == '<') {
      if (++depth > MAX_NESTING) {
        spx_diag_error(diag, text_loc(path, text, text + i),
                       "brackets nested more than %d deep", MAX_NESTING);
        return -1;
      }
    } else if ((ch == ')' || ch == ']' || ch == '}' || (ch == '>' && !(i > 0 && text[i - 1] == '-'))) &&
               depth > 0) {
      depth--;
    }
  }
  return 0;
}

MlirModule spx_ir_read_input(MlirContext ctx, const char *path, const char *text, size_t len,
                             spx_diag_t *diag, spx_arena_t *arena) {
  if (check_text(path, text, len, diag) != 0) return (MlirModule){NULL};
  MlirDiagnosticHandlerID h = spx_ir_diag_attach(ctx, diag, arena, path);
  MlirOperation op = mlirOperationCreateParse(ctx, (MlirStringRef){text, len}, spx_ir_str(path));
  mlirContextDetachDiagnosticHandler(ctx, h);
  if (mlirOperationIsNull(op)) return (MlirModule){NULL};
  if (spx_ir_check_input(op, path, diag, arena) != 0) {
    mlirOperationDestroy(op);
    return (MlirModule){NULL};
  }
  return mlirModuleFromOperation(op);
}
