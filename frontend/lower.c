/* lower.c - checked network -> MLIR module in the spx dialect.
 *
 * One func.func named after the network; its arguments are the `input`
 * layers in definition order and it returns the `output` layers. Each layer
 * becomes one spx op with loc("<layer>"("file":line:col)). The compile block
 * becomes discardable attributes: spx.target and spx.quantize on the module,
 * spx.sparsify and spx.precision on the layers it names (`sparsify *` on
 * every conv2d and dense not left in f32). */
#include "frontend/spx_fe.h"

#include <stdlib.h>
#include <string.h>

/* A zeroed array of n elements (at least one), freed by the caller. */
static void *array_of(int n, size_t size) {
  void *p = calloc(n > 0 ? (size_t)n : 1, size);
  SPX_ASSERT(p);
  return p;
}

typedef struct lower {
  MlirContext ctx;
  const spx_fe_network_t *net;
  spx_wstore_t *store;
  MlirValue *values; /* per layer */
} lower_t;

static MlirAttribute i64_array(MlirContext ctx, const int64_t *v, int n) {
  return mlirDenseI64ArrayGet(ctx, n, v);
}

static MlirType tensor_type(MlirContext ctx, const spx_shape_t *s) {
  return mlirRankedTensorTypeGet(s->rank, s->dim, mlirF32TypeGet(ctx),
                                 mlirAttributeGetNull());
}

static MlirLocation layer_loc(MlirContext ctx, const spx_fe_layer_t *l) {
  MlirLocation file = mlirLocationFileLineColGet(
      ctx, spx_ir_str(l->loc.file ? l->loc.file : "<unknown>"),
      (unsigned)l->loc.line, (unsigned)l->loc.col);
  return mlirLocationNameGet(ctx, spx_ir_str(l->name), file);
}

/* One option value: i64, f64, string, array<i64: a, b> for dims, and an
 * array attribute for a list. */
static MlirAttribute option_attr(MlirContext ctx, const spx_fe_option_t *o) {
  switch (o->kind) {
  case SPX_OPT_INT: return spx_ir_i64_attr(ctx, o->i);
  case SPX_OPT_FLOAT: return spx_ir_f64_attr(ctx, o->f);
  case SPX_OPT_STRING:
  case SPX_OPT_IDENT: return mlirStringAttrGet(ctx, spx_ir_str(o->s));
  case SPX_OPT_DIMS: {
    int64_t d[2] = {o->i, o->i2};
    return i64_array(ctx, d, 2);
  }
  case SPX_OPT_LIST: {
    MlirAttribute *items = calloc((size_t)(o->n_items ? o->n_items : 1), sizeof *items);
    SPX_ASSERT(items);
    for (int i = 0; i < o->n_items; i++) items[i] = option_attr(ctx, &o->items[i]);
    MlirAttribute list = mlirArrayAttrGet(ctx, o->n_items, items);
    free(items);
    return list;
  }
  }
  SPX_UNREACHABLE("bad option kind");
  return mlirAttributeGetNull();
}

/* A compile-block spec as a dictionary: {kind = "block", arg0 = array<i64:
 * 8, 8>, density = 5.0e-01 : f64}. Positional options are arg0, arg1, ... */
static MlirAttribute spec_attr(MlirContext ctx, const spx_fe_spec_t *spec) {
  int n = spec->n_options + 1;
  MlirNamedAttribute *attrs = calloc((size_t)n, sizeof *attrs);
  SPX_ASSERT(attrs);
  attrs[0] = spx_ir_named(ctx, "kind", mlirStringAttrGet(ctx, spx_ir_str(spec->name)));
  for (int i = 0, positional = 0; i < spec->n_options; i++) {
    const spx_fe_option_t *o = &spec->options[i];
    char key[32];
    const char *k = o->key;
    if (!k) {
      snprintf(key, sizeof key, "arg%d", positional++);
      k = key;
    }
    attrs[i + 1] = spx_ir_named(ctx, k, option_attr(ctx, o));
  }
  MlirAttribute dict = mlirDictionaryAttrGet(ctx, n, attrs);
  free(attrs);
  return dict;
}

static const spx_wbuf_t *zero_bias(lower_t *lw, const spx_fe_layer_t *l) {
  /* The whole name, however long the layer's (a cut one could be
   * another layer's). */
  size_t n = strlen(l->name) + sizeof ".bias";
  char *name = malloc(n);
  SPX_ASSERT(name);
  snprintf(name, n, "%s.bias", l->name);
  spx_wbuf_t *b = spx_wstore_find(lw->store, name);
  if (!b) b = spx_wstore_add(lw->store, name, SPX_DT_F32, 1, &l->units);
  free(name);
  SPX_ASSERT(b);
  return b;
}

/* Whether sparsify kind `name` acts on binary layers (the vocabulary's
 * flags, from passes.def). */
static bool kind_is_binary(const spx_fe_vocab_t *vocab, const char *name) {
  if (!vocab || !vocab->sparsify_kinds || !vocab->sparsify_binary) return false;
  for (int i = 0; i < vocab->n_sparsify_kinds; i++)
    if (strcmp(vocab->sparsify_kinds[i], name) == 0) return vocab->sparsify_binary[i] != 0;
  return false;
}

static MlirOperation build_layer(lower_t *lw, int index) {
  MlirContext ctx = lw->ctx;
  const spx_fe_layer_t *l = &lw->net->layers[index];
  char opname[64];
  snprintf(opname, sizeof opname, "spx.%s", spx_op_name(l->op));
  MlirOperationState st = mlirOperationStateGet(spx_ir_str(opname), layer_loc(ctx, l));

  MlirValue *operands = array_of(l->n_inputs, sizeof *operands);
  for (int i = 0; i < l->n_inputs; i++) operands[i] = lw->values[l->inputs[i]];
  mlirOperationStateAddOperands(&st, l->n_inputs, operands); /* copies them */
  free(operands);
  MlirType result = tensor_type(ctx, &l->shape);
  mlirOperationStateAddResults(&st, 1, &result);

  MlirNamedAttribute attrs[16];
  int n = 0;
  attrs[n++] = spx_ir_named(ctx, "name", mlirStringAttrGet(ctx, spx_ir_str(l->name)));
  MlirAttribute none = mlirStringAttrGet(ctx, spx_ir_str(spx_ir_act_name(SPX_RT_ACT_NONE)));
  switch (l->op) {
  case SPX_OP_CONV2D:
  case SPX_OP_DENSE: {
    const spx_wbuf_t *bias = l->weights[SPX_ROLE_BIAS];
    if (!bias) bias = zero_bias(lw, l);
    attrs[n++] = spx_ir_named(ctx, "weight", spx_ir_wbuf_attr(ctx, l->weights[SPX_ROLE_WEIGHT]));
    attrs[n++] = spx_ir_named(ctx, "bias", spx_ir_wbuf_attr(ctx, bias));
    attrs[n++] = spx_ir_named(ctx, "act", none);
    if (l->op == SPX_OP_CONV2D) {
      attrs[n++] = spx_ir_named(ctx, "stride", i64_array(ctx, l->stride, 2));
      attrs[n++] = spx_ir_named(ctx, "pad", i64_array(ctx, l->pad, 4));
      attrs[n++] = spx_ir_named(ctx, "dilation", i64_array(ctx, l->dilation, 2));
      attrs[n++] = spx_ir_named(ctx, "groups",
                         spx_ir_i64_attr(ctx, l->groups));
    }
    break;
  }
  case SPX_OP_MAXPOOL:
  case SPX_OP_AVGPOOL:
    attrs[n++] = spx_ir_named(ctx, "kernel", i64_array(ctx, l->kernel, 2));
    attrs[n++] = spx_ir_named(ctx, "stride", i64_array(ctx, l->stride, 2));
    attrs[n++] = spx_ir_named(ctx, "pad", i64_array(ctx, l->pad, 4));
    break;
  case SPX_OP_CONCAT: {
    /* One segment per possible input: 1 where present (spx.irdl.mlir). */
    int32_t segments[SPX_IR_CONCAT_MAX_INPUTS];
    for (int i = 0; i < SPX_IR_CONCAT_MAX_INPUTS; i++) segments[i] = i < l->n_inputs;
    attrs[n++] = spx_ir_named(ctx, "operand_segment_sizes",
                              mlirDenseI32ArrayGet(ctx, SPX_IR_CONCAT_MAX_INPUTS, segments));
    attrs[n++] = spx_ir_named(ctx, "axis", spx_ir_i64_attr(ctx, l->axis));
    break;
  }
  case SPX_OP_SOFTMAX:
    attrs[n++] = spx_ir_named(ctx, "axis", spx_ir_i64_attr(ctx, l->axis));
    break;
  case SPX_OP_BATCHNORM:
    for (int r = SPX_ROLE_GAMMA; r <= SPX_ROLE_VAR; r++)
      attrs[n++] = spx_ir_named(ctx, spx_role_name((spx_role_t)r),
                         spx_ir_wbuf_attr(ctx, l->weights[r]));
    attrs[n++] = spx_ir_named(ctx, "eps", mlirFloatAttrDoubleGet(ctx, mlirF32TypeGet(ctx), l->eps));
    break;
  default:
    break;
  }

  const spx_fe_layer_cfg_t *cfg = lw->net->compile.layers ? &lw->net->compile.layers[index] : NULL;
  const spx_fe_spec_t *sparsify = NULL;
  if (cfg && cfg->sparsify.name)
    sparsify = &cfg->sparsify;
  else if (lw->net->compile.sparsify_all.name &&
           (l->op == SPX_OP_CONV2D || l->op == SPX_OP_DENSE) &&
           !(cfg && cfg->precision == SPX_PREC_F32) &&
           spx_fe_layer_binary(lw->net, index) ==
               kind_is_binary(lw->net->vocab, lw->net->compile.sparsify_all.name))
    /* `sparsify *`: every int8 conv2d/dense, or for a kind that acts on
     * binary layers (binsparx) every binary one */
    sparsify = &lw->net->compile.sparsify_all;
  if (sparsify) {
    attrs[n++] = spx_ir_named(ctx, "spx.sparsify", spec_attr(ctx, sparsify));
    /* Where it was asked for, for the passes' errors and warnings about the
     * request (spx_pass_request_loc), and whether by `sparsify *`. */
    const spx_loc_t *sl = &sparsify->loc;
    if (sl->file && sl->line > 0)
      attrs[n++] = spx_ir_named(
          ctx, "spx.sparsify_loc",
          mlirLocationGetAttribute(mlirLocationFileLineColGet(
              ctx, spx_ir_str(sl->file), (unsigned)sl->line, (unsigned)(sl->col > 0 ? sl->col : 1))));
    if (sparsify == &lw->net->compile.sparsify_all)
      attrs[n++] = spx_ir_named(ctx, "spx.sparsify_all", mlirUnitAttrGet(ctx));
  }
  /* quantize LAYER : lp(...), or quantize * : lp(...) on every conv2d/dense
   * that no quantize LAYER statement names. */
  const spx_fe_lp_t *lp = NULL;
  if (cfg && cfg->lp.set)
    lp = &cfg->lp;
  else if (lw->net->compile.lp_all.set && (l->op == SPX_OP_CONV2D || l->op == SPX_OP_DENSE) &&
           !(cfg && cfg->precision != SPX_PREC_DEFAULT) && !spx_fe_layer_binary(lw->net, index))
    lp = &lw->net->compile.lp_all;
  if (lp && lp->search) {
    MlirNamedAttribute e[5] = {
        spx_ir_named(ctx, "bits", mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), lp->bits)),
        spx_ir_named(ctx, "population", spx_ir_i64_attr(ctx, lp->population)),
        spx_ir_named(ctx, "generations", spx_ir_i64_attr(ctx, lp->generations)),
        spx_ir_named(ctx, "seed", spx_ir_i64_attr(ctx, lp->seed)),
        spx_ir_named(ctx, "samples", spx_ir_i64_attr(ctx, lp->samples)),
    };
    attrs[n++] = spx_ir_named(ctx, "spx.lpq", mlirDictionaryAttrGet(ctx, 5, e));
  } else if (lp) {
    static const char *const keys[8] = {"n", "es", "rs", "sf", "act_n", "act_es", "act_rs", "act_sf"};
    MlirNamedAttribute e[8];
    for (int i = 0; i < 8; i++)
      e[i] = spx_ir_named(ctx, keys[i], spx_ir_i64_attr(ctx, i < 4 ? lp->w[i] : lp->a[i - 4]));
    attrs[n++] = spx_ir_named(ctx, "spx.lp", mlirDictionaryAttrGet(ctx, 8, e));
  }
  if (cfg && cfg->precision != SPX_PREC_DEFAULT)
    attrs[n++] = spx_ir_named(ctx, "spx.precision",
                       mlirStringAttrGet(ctx, spx_ir_str(spx_fe_precision_name(cfg->precision))));
  else if (spx_fe_layer_binary(lw->net, index)) /* the binarize pass's request */
    attrs[n++] = spx_ir_named(ctx, "spx.precision", mlirStringAttrGet(ctx, spx_ir_str("binary")));
  SPX_ASSERT(n <= 16);
  mlirOperationStateAddAttributes(&st, n, attrs);
  return mlirOperationCreate(&st);
}

static MlirAttribute name_dict(MlirContext ctx, const char *name) {
  MlirNamedAttribute a = spx_ir_named(ctx, "spx.name", mlirStringAttrGet(ctx, spx_ir_str(name)));
  return mlirDictionaryAttrGet(ctx, 1, &a);
}

static const char *basename_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

MlirModule spx_fe_lower(const spx_fe_network_t *net, MlirContext ctx,
                        spx_wstore_t *store) {
  lower_t lw = {.ctx = ctx, .net = net, .store = store};
  lw.values = calloc((size_t)net->n_layers, sizeof *lw.values);
  SPX_ASSERT(lw.values);

  MlirLocation file_loc = mlirLocationFileLineColGet(ctx, spx_ir_str(net->file), 1, 1);
  /* The module is the network: it is located at the network's name, where
   * errors about the network as a whole (e.g. its C names) point. (Errors
   * about the file use the module's file, without the line.) */
  MlirModule module = mlirModuleCreateEmpty(mlirLocationFileLineColGet(
      ctx, spx_ir_str(net->file), (unsigned)net->name_loc.line, (unsigned)net->name_loc.col));
  MlirOperation mop = mlirModuleGetOperation(module);
  spx_ir_set_str(mop, "spx.network", net->name);
  spx_ir_set_str(mop, "spx.source", basename_of(net->file));
  spx_fe_spec_t cpu = {.name = "cpu"};
  mlirOperationSetAttributeByName(
      mop, spx_ir_str("spx.target"),
      spec_attr(ctx, net->compile.target.name ? &net->compile.target : &cpu));
  /* Where the target was named, for the backends' errors about it. */
  const spx_loc_t *tl = &net->compile.target.loc;
  if (net->compile.target.name && tl->file && tl->line > 0)
    mlirOperationSetAttributeByName(
        mop, spx_ir_str("spx.target_loc"),
        mlirLocationGetAttribute(
            mlirLocationFileLineColGet(ctx, spx_ir_str(tl->file), (unsigned)tl->line,
                                       (unsigned)(tl->col > 0 ? tl->col : 1))));
  if (net->compile.precision == SPX_PREC_INT8) {
    spx_fe_spec_t q = net->compile.quantize;
    q.name = spx_fe_precision_name(SPX_PREC_INT8);
    mlirOperationSetAttributeByName(mop, spx_ir_str("spx.quantize"), spec_attr(ctx, &q));
    /* Where it was asked for, for the quantize pass's warnings. */
    if (q.loc.file && q.loc.line > 0)
      mlirOperationSetAttributeByName(
          mop, spx_ir_str("spx.quantize_loc"),
          mlirLocationGetAttribute(mlirLocationFileLineColGet(
              ctx, spx_ir_str(q.loc.file), (unsigned)q.loc.line,
              (unsigned)(q.loc.col > 0 ? q.loc.col : 1))));
  }

  /* Signature: inputs in definition order, outputs in `output` order. */
  int n_in = 0, n_out = net->n_outputs;
  for (int i = 0; i < net->n_layers; i++) n_in += net->layers[i].op == SPX_OP_INPUT;
  MlirType *in_types = array_of(n_in, sizeof *in_types);
  MlirType *out_types = array_of(n_out, sizeof *out_types);
  MlirLocation *in_locs = array_of(n_in, sizeof *in_locs);
  MlirAttribute *arg_names = array_of(n_in, sizeof *arg_names);
  MlirAttribute *res_names = array_of(n_out, sizeof *res_names);
  MlirValue *results = array_of(n_out, sizeof *results);
  for (int i = 0, a = 0; i < net->n_layers; i++)
    if (net->layers[i].op == SPX_OP_INPUT) {
      in_types[a] = tensor_type(ctx, &net->layers[i].shape);
      in_locs[a] = layer_loc(ctx, &net->layers[i]);
      arg_names[a++] = name_dict(ctx, net->layers[i].name);
    }
  for (int i = 0; i < net->n_outputs; i++)
    out_types[i] = tensor_type(ctx, &net->layers[net->outputs[i]].shape);
  MlirType fn_type = mlirFunctionTypeGet(ctx, n_in, in_types, net->n_outputs, out_types);

  MlirRegion body = mlirRegionCreate();
  MlirBlock entry = mlirBlockCreate(n_in, in_types, in_locs);
  mlirRegionAppendOwnedBlock(body, entry);
  MlirOperationState fst = mlirOperationStateGet(spx_ir_str("func.func"), file_loc);
  /* Argument and result names: {spx.name = "<layer>"} each. */
  for (int i = 0; i < net->n_outputs; i++)
    res_names[i] = name_dict(ctx, net->layers[net->outputs[i]].name);
  MlirNamedAttribute fattrs[4] = {
      spx_ir_named(ctx, "sym_name", mlirStringAttrGet(ctx, spx_ir_str(net->name))),
      spx_ir_named(ctx, "function_type", mlirTypeAttrGet(fn_type)),
      spx_ir_named(ctx, "arg_attrs", mlirArrayAttrGet(ctx, n_in, arg_names)),
      spx_ir_named(ctx, "res_attrs", mlirArrayAttrGet(ctx, net->n_outputs, res_names)),
  };
  mlirOperationStateAddAttributes(&fst, 4, fattrs);
  mlirOperationStateAddOwnedRegions(&fst, 1, &body);
  MlirOperation fn = mlirOperationCreate(&fst);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), fn);

  for (int i = 0, arg = 0; i < net->n_layers; i++) {
    if (net->layers[i].op == SPX_OP_INPUT) {
      lw.values[i] = mlirBlockGetArgument(entry, arg++);
      continue;
    }
    MlirOperation op = build_layer(&lw, i);
    mlirBlockAppendOwnedOperation(entry, op);
    lw.values[i] = mlirOperationGetResult(op, 0);
  }

  for (int i = 0; i < net->n_outputs; i++) results[i] = lw.values[net->outputs[i]];
  MlirOperationState rst = mlirOperationStateGet(spx_ir_str("func.return"), file_loc);
  mlirOperationStateAddOperands(&rst, net->n_outputs, results);
  mlirBlockAppendOwnedOperation(entry, mlirOperationCreate(&rst));

  free(lw.values);
  free(in_types);
  free(out_types);
  free(in_locs);
  free(arg_names);
  free(res_names);
  free(results);
  return module;
}
