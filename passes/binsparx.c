/* binsparx.c - column flips of binary layers for crossbar arrays: the
 * binary weights re-encoded with weight flips and an activation sub-vector
 * size (runtime/formats/spx_formats.h, "BINARY"; docs/number-formats.md,
 * "Binary").
 *
 * Acts on the binary conv2d/dense ops (unit attribute spx.binary, int8
 * weights b in {-1, +1} with the weight scale alpha per output channel,
 * as `quantize LAYER : binary` makes them) whose spx.sparsify has kind
 * "binsparx":
 *   sparsify LAYER|* : binsparx(weights=on, activations=on, subvector=16)
 * Options (all named and optional):
 *   weights      on (default) | off: store each output channel (a crossbar
 *                column) negated when it has strictly more +1 than -1
 *                weights (the format's flip rule; a tie is not flipped), so
 *                that no stored column has more conducting (+1) cells than
 *                not.
 *   activations  on (default) | off: the crossbar applies the same rule to
 *                every sub-vector of `subvector` input rows at run time;
 *                the encoding records the sub-vector size (0: off).
 *   subvector    input rows per activation sub-vector, 1 .. 4096 (16);
 *                with activations=off it may not be given.
 * Flips change which cells conduct, not sum b * a: the int8 weights, the
 * scales and every output stay as they are.
 * `sparsify * : binsparx(...)` covers the binary layers only; naming a layer
 * that is not binary is an error.
 *
 * Results on the op: spx.encoding = "binary", spx.encoded = "<layer>.binsparx"
 * (ui8, spx_fmt_binary_encode of the int8 weights and alpha), and
 *   spx.stats = {technique = "binsparx", columns (output channels M),
 *     flipped_columns, weight_bits (M * row_len: one per weight),
 *     flip_bits (M: one per column, stored whether or not weights=on),
 *     conducting_before (stored +1 cells without weight flips: the +1
 *       weights), conducting_after (stored +1 cells after the flips),
 *     subvector (0 with activations=off), activations = "on" | "off"}.
 * Errors (at the layer): unknown options (with a did-you-mean), positional
 * options, bad values, binsparx on a layer that is not binary. */
#include "passes/spx_pass.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"

#define BINSPARX_MAX_SUBVECTOR 4096

typedef struct binsparx_opts {
  int weights, activations;
  unsigned subvector;
} binsparx_opts_t;

static const char *const k_options[] = {"weights", "activations", "subvector"};
#define N_OPTIONS ((int)(sizeof k_options / sizeof k_options[0]))

/* on / off into *out; 0 if v is neither. */
static int on_off(MlirAttribute v, int *out) {
  MlirStringRef s;
  if (!mlirAttributeIsAString(v)) return 0;
  s = mlirStringAttrGetValue(v);
  if (spx_ir_str_is(s, "on")) *out = 1;
  else if (spx_ir_str_is(s, "off")) *out = 0;
  else return 0;
  return 1;
}

/* Reads and checks the binsparx(...) options; reports at the layer. */
static int parse_opts(spx_pass_env_t *env, MlirOperation op, MlirAttribute spec,
                      binsparx_opts_t *o) {
  bool have_sub = false;
  o->weights = 1;
  o->activations = 1;
  o->subvector = 16;
  intptr_t n = mlirDictionaryAttrGetNumElements(spec);
  for (intptr_t i = 0; i < n; i++) {
    MlirNamedAttribute na = mlirDictionaryAttrGetElement(spec, i);
    MlirStringRef key = mlirIdentifierStr(na.name);
    MlirAttribute v = na.attribute;
    int64_t k;
    if (spx_ir_str_is(key, "kind")) continue;
    if (spx_ir_str_is(key, "weights")) {
      if (!on_off(v, &o->weights)) {
        spx_pass_request_error(env, op, "binsparx weights must be on or off");
        return -1;
      }
    } else if (spx_ir_str_is(key, "activations")) {
      if (!on_off(v, &o->activations)) {
        spx_pass_request_error(env, op, "binsparx activations must be on or off");
        return -1;
      }
    } else if (spx_ir_str_is(key, "subvector")) {
      if (!spx_ir_attr_int(v, &k) || k < 1 || k > BINSPARX_MAX_SUBVECTOR) {
        spx_pass_request_error(env, op, "binsparx subvector (input rows per activation sub-vector) "
                                "must be an integer in 1 .. %d", BINSPARX_MAX_SUBVECTOR);
        return -1;
      }
      o->subvector = (unsigned)k;
      have_sub = true;
    } else if (key.length > 3 && memcmp(key.data, "arg", 3) == 0) {
      spx_pass_request_error(env, op, "binsparx options are named: weights=, activations=, subvector=");
      return -1;
    } else {
      char word[64];
      size_t len = key.length < sizeof word - 1 ? key.length : sizeof word - 1;
      memcpy(word, key.data, len);
      word[len] = '\0';
      const char *near = spx_diag_suggest(word, k_options, N_OPTIONS);
      if (near)
        spx_pass_request_error(env, op, "unknown binsparx option '%.*s'; did you mean '%s'? (expected "
                       "weights, activations, subvector)", (int)key.length, key.data, near);
      else
        spx_pass_request_error(env, op, "unknown binsparx option '%.*s' (expected weights, "
                       "activations, subvector)", (int)key.length, key.data);
      return -1;
    }
  }
  if (!o->activations && have_sub) {
    spx_pass_request_error(env, op, "binsparx subvector is the activation sub-vector size: with "
                            "activations=off there are no sub-vectors (leave subvector out)");
    return -1;
  }
  if (!o->activations) o->subvector = 0;
  return 0;
}

static int apply(spx_pass_env_t *env, MlirOperation op) {
  MlirAttribute spec = mlirOperationGetAttributeByName(op, spx_ir_str("spx.sparsify"));
  if (mlirAttributeIsNull(spec) || !mlirAttributeIsADictionary(spec)) return 0;
  MlirAttribute kind = mlirDictionaryAttrGetElementByName(spec, spx_ir_str("kind"));
  if (mlirAttributeIsNull(kind) || !mlirAttributeIsAString(kind) ||
      !spx_ir_str_is(mlirStringAttrGetValue(kind),
                     spx_pass_sparsify_kind_of(SPX_PASS_ID_binsparx)))
    return 0;
  binsparx_opts_t o;
  if (parse_opts(env, op, spec, &o)) return -1;
  MlirStringRef name = spx_ir_layer_name(op);
  if (mlirAttributeIsNull(mlirOperationGetAttributeByName(op, spx_ir_str("spx.binary")))) {
    spx_pass_error(env, op, "layer '%.*s' is not binary; add `quantize %.*s : binary`",
                   (int)name.length, name.data, (int)name.length, name.data);
    return -1;
  }
  spx_wbuf_t *w = spx_ir_get_wbuf(op, "weight", env->store);
  spx_wbuf_t *ws = spx_ir_get_wbuf(op, "spx.wscale", env->store);
  bool conv = spx_ir_is_op(op, "conv2d");
  if (!w || !ws || w->dtype != SPX_DT_I8 || ws->dtype != SPX_DT_F32 ||
      ws->count != (size_t)w->dims[0] || (conv && (w->dims[2] > 65535 || w->dims[3] > 65535))) {
    spx_pass_error(env, op, "binsparx needs the int8 +-1 weights and per-channel scales of a "
                            "quantized binary layer ('%.*s' has none)",
                   (int)name.length, name.data);
    return -1;
  }
  spx_fmt_dims_t d = {(uint32_t)w->dims[0], (uint32_t)w->dims[1],
                      conv ? (uint16_t)w->dims[2] : 1, conv ? (uint16_t)w->dims[3] : 1,
                      conv ? (uint32_t)spx_ir_get_i64(op, "groups") : 1};
  int64_t enc_len = (int64_t)spx_fmt_binary_encoded_size(&d);
  if (enc_len <= 0) {
    spx_pass_error(env, op, "weights too large for a binary encoding (4 GiB or more)");
    return -1;
  }
  /* check first, so that nothing is added to the store on an error */
  spx_rt_error_t why;
  uint8_t probe;
  spx_rt_error_clear(&why);
  if (spx_fmt_binary_encode(&d, w->data, ws->data, o.weights, o.subvector, &probe, 0, &why) ==
      SPX_RT_ERR_ARG) {
    spx_pass_error(env, op, "layer '%.*s': %s", (int)name.length, name.data, why.message);
    return -1;
  }
  spx_wbuf_t *enc = spx_pass_add_weight(env, op, "binsparx", SPX_DT_U8, 1, &enc_len);
  if (!enc) return -1;
  spx_rt_status_t st = spx_fmt_binary_encode(&d, w->data, ws->data, o.weights, o.subvector,
                                             enc->data, enc->nbytes, &why);
  SPX_ASSERT(st == SPX_RT_OK);

  /* statistics, read back through the format's view */
  spx_fmt_binary_view_t v;
  SPX_ASSERT(spx_fmt_binary_open(enc->data, enc->nbytes, &d, &v, NULL) == SPX_RT_OK);
  const int8_t *b = w->data;
  uint64_t before = 0, after = 0;
  uint32_t flipped = 0;
  for (size_t i = 0; i < w->count; i++) before += b[i] > 0;
  for (uint32_t r = 0; r < d.rows; r++) {
    flipped += (uint32_t)spx_fmt_binary_flipped(&v, r);
    for (uint32_t i = 0; i < v.row_len; i++) after += (uint64_t)spx_fmt_binary_stored(&v, r, i);
  }
  MlirContext ctx = mlirOperationGetContext(op);
  MlirNamedAttribute a[] = {
      spx_ir_named(ctx, "technique", spx_ir_str_attr(ctx, "binsparx")),
      spx_ir_named(ctx, "columns", spx_ir_i64_attr(ctx, d.rows)),
      spx_ir_named(ctx, "flipped_columns", spx_ir_i64_attr(ctx, flipped)),
      spx_ir_named(ctx, "weight_bits", spx_ir_i64_attr(ctx, (int64_t)d.rows * v.row_len)),
      spx_ir_named(ctx, "flip_bits", spx_ir_i64_attr(ctx, d.rows)),
      spx_ir_named(ctx, "conducting_before", spx_ir_i64_attr(ctx, (int64_t)before)),
      spx_ir_named(ctx, "conducting_after", spx_ir_i64_attr(ctx, (int64_t)after)),
      spx_ir_named(ctx, "subvector", spx_ir_i64_attr(ctx, o.subvector)),
      spx_ir_named(ctx, "activations", spx_ir_str_attr(ctx, o.activations ? "on" : "off")),
  };
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoding"), spx_ir_str_attr(ctx, "binary"));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.encoded"), spx_ir_wbuf_attr(ctx, enc));
  mlirOperationSetAttributeByName(op, spx_ir_str("spx.stats"),
                                  mlirDictionaryAttrGet(ctx, (intptr_t)(sizeof a / sizeof a[0]), a));
  return 0;
}

int spx_pass_binsparx(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if ((spx_ir_is_op(ops[i], "conv2d") || spx_ir_is_op(ops[i], "dense")) && apply(env, ops[i]))
      rc = -1;
  free(ops);
  return rc;
}
