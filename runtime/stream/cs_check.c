/* cs_check.c - the rules for tensors, blobs and commands, applied to decoded
 * records. The loader runs them on a buffer, the encoder on its input image,
 * so both accept exactly the same programs. */
#include "runtime/stream/cs_internal.h"

/* ---- shared by the target checkers (cs_internal.h) ---------------------- */

spx_rt_status_t cs_bad(cs_vctx_t *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_rt_error_vset(v->status, SPX_RT_ERR_FORMAT, SPX_RT_NO_COMMAND, fmt, ap);
  va_end(ap);
  return SPX_RT_ERR_FORMAT;
}

uint32_t cs_command_count(const cs_vctx_t *v) {
  return v->image ? v->image->command_count : v->stream->command_count;
}

void cs_get_command(const cs_vctx_t *v, uint32_t i, spx_cs_command_t *c) {
  if (v->image) {
    if (i < v->image->command_count) *c = v->image->commands[i];
    else cs_zero(c, sizeof *c);
  } else {
    spx_cs_stream_command(v->stream, i, c);
  }
}

uint8_t cs_command_opcode(const cs_vctx_t *v, uint32_t i) {
  if (v->image) return i < v->image->command_count ? v->image->commands[i].opcode : 0;
  return spx_cs_stream_opcode(v->stream, i);
}

void cs_get_tensor(const cs_vctx_t *v, uint32_t id, spx_cs_tensor_t *t) {
  if (v->image) {
    if (id < v->image->tensor_count) *t = v->image->tensors[id];
    else cs_zero(t, sizeof *t);
  } else {
    spx_cs_stream_tensor(v->stream, id, t);
  }
}

void cs_get_blob(const cs_vctx_t *v, uint32_t id, spx_cs_blob_t *b) {
  if (v->image) {
    if (id < v->image->blob_count) *b = v->image->blobs[id];
    else cs_zero(b, sizeof *b);
  } else {
    spx_cs_stream_blob(v->stream, id, b);
  }
}

/* "[1,4,8,8]" */
static void fmt_dims(char *buf, size_t cap, unsigned rank, const uint32_t *d) {
  cs_buf_t b = {buf, cap, 0};
  cs_buf_printf(&b, "[");
  for (unsigned i = 0; i < rank && i < SPX_CS_MAX_RANK; i++)
    cs_buf_printf(&b, "%s%u", i ? "," : "", (unsigned)d[i]);
  cs_buf_printf(&b, "]");
}

/* Element count, saturated at 2^40 (far beyond any valid u32 size). */
static uint64_t elem_count(unsigned rank, const uint32_t *d) {
  uint64_t n = 1;
  for (unsigned i = 0; i < rank && i < SPX_CS_MAX_RANK; i++) {
    n *= d[i];
    if (n > ((uint64_t)1 << 40)) return (uint64_t)1 << 40;
  }
  return n;
}

static const char *tname(const spx_cs_tensor_t *t) {
  return t->name ? t->name : "";
}

/* ---- tensors ---------------------------------------------------------------- */

spx_rt_status_t cs_check_tensor(cs_vctx_t *v, uint32_t i, const spx_cs_tensor_t *t) {
  char who[96];
  spx_rt_format(who, sizeof who, "tensor %u%s%s%s", (unsigned)i,
                *tname(t) ? " (" : "", tname(t), *tname(t) ? ")" : "");
  if (t->dtype != SPX_CS_DTYPE_F32 && t->dtype != SPX_CS_DTYPE_INT8 &&
      t->dtype != SPX_CS_DTYPE_INT32)
    return cs_bad(v, "%s: field 'dtype': %s %u", who,
               t->dtype == SPX_CS_DTYPE_U8 ? "u8 is for blobs only, got"
                                           : "unknown dtype",
               (unsigned)t->dtype);
  if (t->rank > SPX_CS_MAX_RANK)
    return cs_bad(v, "%s: field 'rank': %u exceeds the maximum %d", who,
               (unsigned)t->rank, SPX_CS_MAX_RANK);
  for (unsigned d = 0; d < SPX_CS_MAX_RANK; d++) {
    if (d < t->rank && t->dims[d] == 0)
      return cs_bad(v, "%s: field 'dims': dimension %u is 0", who, d);
    if (d >= t->rank && t->dims[d] != 0)
      return cs_bad(v, "%s: field 'dims': dimension %u is beyond rank %u but %u, "
                 "not 0", who, d, (unsigned)t->rank, (unsigned)t->dims[d]);
  }
  unsigned esize = spx_cs_dtype_size(t->dtype);
  uint64_t bytes = elem_count(t->rank, t->dims) * esize;
  if (bytes != t->ws_size) {
    char shape[80];
    fmt_dims(shape, sizeof shape, t->rank, t->dims);
    return cs_bad(v, "%s: field 'ws_size': %u bytes, but %s %s needs %llu", who,
               (unsigned)t->ws_size, spx_cs_dtype_name(t->dtype), shape,
               (unsigned long long)bytes);
  }
  if (t->ws_offset % esize)
    return cs_bad(v, "%s: field 'ws_offset': %u is not aligned to %u", who,
               (unsigned)t->ws_offset, esize);
  if ((uint64_t)t->ws_offset + t->ws_size > v->workspace_size)
    return cs_bad(v, "%s: field 'ws_offset': range [%u, +%u) exceeds the "
               "workspace (size %u)", who, (unsigned)t->ws_offset,
               (unsigned)t->ws_size, (unsigned)v->workspace_size);
  if (t->dtype == SPX_CS_DTYPE_INT8) {
    /* NaN fails both comparisons; inf fails the second. */
    if (!(t->scale > 0.0f) || !(t->scale <= 3.4028234663852886e38f))
      return cs_bad(v, "%s: field 'scale': must be finite and > 0 for int8, got "
                 "%g", who, (double)t->scale);
    if (t->zero_point < -128 || t->zero_point > 127)
      return cs_bad(v, "%s: field 'zero_point': %d is outside [-128, 127]", who,
                 (int)t->zero_point);
  } else {
    if (cs_f32_bits(t->scale) != 0)
      return cs_bad(v, "%s: field 'scale': must be 0 for %s tensors, got %g", who,
                 spx_cs_dtype_name(t->dtype), (double)t->scale);
    if (t->zero_point != 0)
      return cs_bad(v, "%s: field 'zero_point': must be 0 for %s tensors, got %d",
                 who, spx_cs_dtype_name(t->dtype), (int)t->zero_point);
  }
  return SPX_RT_OK;
}

spx_rt_status_t cs_check_io(cs_vctx_t *v, const char *what, uint32_t count,
                          const uint8_t *raw, const uint16_t *ids) {
  if (count == 0) return cs_bad(v, "tensors: no %ss", what);
  for (uint32_t k = 0; k < count; k++) {
    uint32_t id = raw ? cs_rd16(raw + 2 * k) : ids[k];
    if (id >= v->tensor_count)
      return cs_bad(v, "tensors: %s %u: tensor %%%u out of range (%u tensors)",
                 what, (unsigned)k, (unsigned)id, (unsigned)v->tensor_count);
    for (uint32_t j = 0; j < k; j++) {
      uint32_t jd = raw ? cs_rd16(raw + 2 * j) : ids[j];
      if (jd == id)
        return cs_bad(v, "tensors: %s %u: tensor %%%u is listed twice", what,
                   (unsigned)k, (unsigned)id);
    }
  }
  return SPX_RT_OK;
}

/* ---- blobs ------------------------------------------------------------------ */

spx_rt_status_t cs_check_blob(cs_vctx_t *v, uint32_t i, const spx_cs_blob_t *b) {
  char who[96];
  const char *n = b->name ? b->name : "";
  spx_rt_format(who, sizeof who, "blob %u%s%s%s", (unsigned)i, *n ? " (" : "",
                n, *n ? ")" : "");
  unsigned esize = spx_cs_dtype_size(b->dtype);
  if (!esize)
    return cs_bad(v, "%s: field 'dtype': unknown dtype %u", who,
               (unsigned)b->dtype);
  if (!spx_cs_encoding_name(b->encoding))
    return cs_bad(v, "%s: field 'encoding': unknown encoding %u", who,
               (unsigned)b->encoding);
  if (b->offset % SPX_CS_BLOB_ALIGN)
    return cs_bad(v, "%s: field 'offset': %u is not %u-byte aligned", who,
               (unsigned)b->offset, SPX_CS_BLOB_ALIGN);
  if (b->length == 0) return cs_bad(v, "%s: field 'length': must be > 0", who);
  if ((uint64_t)b->offset + b->length > v->weights_size)
    return cs_bad(v, "%s: field 'length': blob [%u, +%u) exceeds the weights "
               "section (size %u)", who, (unsigned)b->offset,
               (unsigned)b->length, (unsigned)v->weights_size);
  if (b->encoding == SPX_CS_ENC_DENSE && b->length % esize)
    return cs_bad(v, "%s: field 'length': %u is not a multiple of the %s "
               "element size %u", who, (unsigned)b->length,
               spx_cs_dtype_name(b->dtype), esize);
  return SPX_RT_OK;
}

/* ---- commands --------------------------------------------------------------- */

typedef struct op_desc {
  unsigned min_in, max_in, params;
} op_desc_t;

static op_desc_t cpu_op_desc(unsigned op) {
  switch (op) {
#define X(E, code, text, lo, hi, p, doc) case code: return (op_desc_t){lo, hi, p};
    SPX_CS_CPU_OPS(X)
#undef X
  }
  return (op_desc_t){0, 0, 0};
}

/* The parameter group of a cpu.layer field; 0 = always used. */
static unsigned cpu_field_group(const spx_cs_field_info_t *f) {
#define AT(m) (f->member == offsetof(spx_cs_cpu_layer_t, m))
  if (AT(weights) || AT(bias)) return SPX_CS_P_WEIGHTS;
  if (AT(mult) || AT(shift)) return SPX_CS_P_REQUANT;
  if (AT(groups) || AT(dh) || AT(dw)) return SPX_CS_P_DILATE;
  if (AT(axis)) return SPX_CS_P_AXIS;
  if (AT(kh) || AT(kw) || AT(sh) || AT(sw) || AT(pad_t) || AT(pad_l) ||
      AT(pad_b) || AT(pad_r))
    return SPX_CS_P_WINDOW;
  return 0;
#undef AT
}

typedef struct layer_ctx {
  cs_vctx_t *v;
  char who[48]; /* "command 3 (cpu.layer)" */
  const char *opname;
  const spx_cs_cpu_layer_t *l;
} layer_ctx_t;

static const char *in_name(unsigned k) {
  static const char *const names[SPX_CS_CPU_MAX_INPUTS] = {"in0", "in1", "in2",
                                                           "in3"};
  return k < SPX_CS_CPU_MAX_INPUTS ? names[k] : "in?";
}

static spx_rt_status_t shape_mismatch(layer_ctx_t *c, const char *field,
                                    const spx_cs_tensor_t *t, unsigned rank,
                                    const uint32_t *want) {
  char got[80], exp[80];
  fmt_dims(got, sizeof got, t->rank, t->dims);
  fmt_dims(exp, sizeof exp, rank, want);
  return cs_bad(c->v, "%s: field '%s': shape %s does not match %s result %s",
             c->who, field, got, c->opname, exp);
}

static bool same_shape(const spx_cs_tensor_t *a, const spx_cs_tensor_t *b) {
  if (a->rank != b->rank) return false;
  for (unsigned d = 0; d < a->rank && d < SPX_CS_MAX_RANK; d++)
    if (a->dims[d] != b->dims[d]) return false;
  return true;
}

static spx_rt_status_t need_rank(layer_ctx_t *c, const char *field,
                               const spx_cs_tensor_t *t, unsigned rank) {
  if (t->rank == rank) return SPX_RT_OK;
  return cs_bad(c->v, "%s: field '%s': %s needs a rank-%u tensor, got rank %u",
             c->who, field, c->opname, rank, (unsigned)t->rank);
}

/* A blob ref: dtype `dt`, and `count` elements when count != 0 (dense). */
static spx_rt_status_t check_blob_ref(layer_ctx_t *c, const char *field,
                                    uint32_t id, unsigned dt, uint64_t count,
                                    uint64_t alt_count) {
  spx_cs_blob_t b;
  cs_get_blob(c->v, id, &b);
  if (b.encoding != SPX_CS_ENC_DENSE) {
    if (b.dtype != SPX_CS_DTYPE_U8)
      return cs_bad(c->v, "%s: field '%s': encoded blob%u must have dtype u8",
                 c->who, field, (unsigned)id);
    return SPX_RT_OK; /* the format's decoder checks the encoded content */
  }
  if (b.dtype != dt)
    return cs_bad(c->v, "%s: field '%s': blob%u is %s, %s needs %s", c->who,
               field, (unsigned)id, spx_cs_dtype_name(b.dtype), c->opname,
               spx_cs_dtype_name(dt));
  uint64_t n = b.length / spx_cs_dtype_size(dt);
  if (count && n != count && n != alt_count) {
    if (alt_count)
      return cs_bad(c->v, "%s: field '%s': blob%u has %llu elements, %s needs "
                 "%llu or %llu", c->who, field, (unsigned)id,
                 (unsigned long long)n, c->opname,
                 (unsigned long long)count, (unsigned long long)alt_count);
    return cs_bad(c->v, "%s: field '%s': blob%u has %llu elements, %s needs %llu",
               c->who, field, (unsigned)id, (unsigned long long)n, c->opname,
               (unsigned long long)count);
  }
  return SPX_RT_OK;
}

/* The values of the mult and shift blobs (their dtypes and counts were
 * checked): what spx_rt_quantize_multiplier produces, the range the kernels'
 * requantization (spx_rt_mbqm) is defined on. */
static spx_rt_status_t check_requant_values(layer_ctx_t *c) {
  spx_cs_blob_t m, s;
  cs_get_blob(c->v, c->l->mult, &m);
  cs_get_blob(c->v, c->l->shift, &s);
  if (!m.data || !s.data) return SPX_RT_OK; /* sizes only (no bytes yet) */
  for (uint32_t k = 0; k < m.length / 4; k++) {
    int32_t mv = (int32_t)cs_rd32(m.data + 4 * (size_t)k);
    if (mv != 0 && mv < SPX_CS_REQUANT_MULT_MIN)
      return cs_bad(c->v, "%s: field 'mult': blob%u[%u] = %d is not a Q31 "
                 "multiplier (0 or in [%d, %d])", c->who, (unsigned)c->l->mult,
                 (unsigned)k, (int)mv, (int)SPX_CS_REQUANT_MULT_MIN,
                 (int)SPX_CS_REQUANT_MULT_MAX);
  }
  for (uint32_t k = 0; k < s.length / 4; k++) {
    int32_t sv = (int32_t)cs_rd32(s.data + 4 * (size_t)k);
    if (sv < SPX_CS_REQUANT_SHIFT_MIN || sv > SPX_CS_REQUANT_SHIFT_MAX)
      return cs_bad(c->v, "%s: field 'shift': blob%u[%u] = %d is outside the "
                 "requant shift range [%d, %d]", c->who, (unsigned)c->l->shift,
                 (unsigned)k, (int)sv, SPX_CS_REQUANT_SHIFT_MIN,
                 SPX_CS_REQUANT_SHIFT_MAX);
  }
  return SPX_RT_OK;
}

/* An int8 conv2d/dense accumulates bias + K products (x - z_in) * w in
 * int32: every partial sum must fit, whatever the input. */
static spx_rt_status_t check_accumulator(layer_ctx_t *c, uint64_t k) {
  const uint64_t limit = 0x7fffffffu;
  spx_cs_blob_t w;
  cs_get_blob(c->v, c->l->weights, &w);
  /* One product's bound depends on the weights' format (BBS reaches 143). */
  uint64_t term = spx_fmt_acc_term(spx_fmt_find(w.encoding));
  uint64_t dot = k * term;
  if (dot > limit)
    return cs_bad(c->v, "%s: field 'weights': %llu products per output may "
               "overflow the int32 accumulator (at most %llu)", c->who,
               (unsigned long long)k, (unsigned long long)(limit / term));
  if (c->l->bias == SPX_CS_NONE) return SPX_RT_OK;
  spx_cs_blob_t b;
  cs_get_blob(c->v, c->l->bias, &b);
  if (!b.data) return SPX_RT_OK;
  for (uint32_t j = 0; j < b.length / 4; j++) {
    int32_t bv = (int32_t)cs_rd32(b.data + 4 * (size_t)j);
    uint64_t mag = bv < 0 ? (uint64_t)(-(int64_t)bv) : (uint64_t)bv;
    if (mag + dot > limit)
      return cs_bad(c->v, "%s: field 'bias': blob%u[%u] = %d plus %llu "
                 "products may overflow the int32 accumulator (|bias| <= "
                 "%llu)", c->who, (unsigned)c->l->bias, (unsigned)j, (int)bv,
                 (unsigned long long)k, (unsigned long long)(limit - dot));
  }
  return SPX_RT_OK;
}

/* Weights, bias and requant blobs of conv2d/dense. */
static spx_rt_status_t check_params(layer_ctx_t *c, unsigned dt, uint64_t wcount,
                                  uint32_t cout) {
  const spx_cs_cpu_layer_t *l = c->l;
  spx_rt_status_t rc;
  if (l->weights == SPX_CS_NONE)
    return cs_bad(c->v, "%s: field 'weights': %s needs weights", c->who,
               c->opname);
  if ((rc = check_blob_ref(c, "weights", l->weights, dt, wcount, 0))) return rc;
  bool q = dt == SPX_CS_DTYPE_INT8;
  if (l->bias != SPX_CS_NONE &&
      (rc = check_blob_ref(c, "bias", l->bias,
                           q ? SPX_CS_DTYPE_INT32 : SPX_CS_DTYPE_F32, cout, 0)))
    return rc;
  if (!q) {
    if (l->mult != SPX_CS_NONE)
      return cs_bad(c->v, "%s: field 'mult': f32 %s takes no requant blob",
                 c->who, c->opname);
    if (l->shift != SPX_CS_NONE)
      return cs_bad(c->v, "%s: field 'shift': f32 %s takes no requant blob",
                 c->who, c->opname);
    return SPX_RT_OK;
  }
  if (l->mult == SPX_CS_NONE)
    return cs_bad(c->v, "%s: field 'mult': int8 %s needs requant multipliers",
               c->who, c->opname);
  if (l->shift == SPX_CS_NONE)
    return cs_bad(c->v, "%s: field 'shift': int8 %s needs requant shifts",
               c->who, c->opname);
  if ((rc = check_blob_ref(c, "mult", l->mult, SPX_CS_DTYPE_INT32, cout, 1)))
    return rc;
  spx_cs_blob_t m;
  cs_get_blob(c->v, l->mult, &m);
  if ((rc = check_blob_ref(c, "shift", l->shift, SPX_CS_DTYPE_INT32, m.length / 4,
                           0)) ||
      (rc = check_requant_values(c)))
    return rc;
  return check_accumulator(c, wcount / (cout ? cout : 1));
}

/* Output size of a window over `in` elements; 0 if the window does not fit. */
static uint32_t window_out(uint32_t in, unsigned pad0, unsigned pad1,
                           unsigned k, unsigned s, unsigned d) {
  uint64_t padded = (uint64_t)in + pad0 + pad1;
  uint64_t eff = (uint64_t)d * (k - 1) + 1;
  if (padded < eff) return 0;
  return (uint32_t)((padded - eff) / s + 1);
}

static spx_rt_status_t check_window(layer_ctx_t *c, bool dilated) {
  const spx_cs_cpu_layer_t *l = c->l;
  struct { const char *n; unsigned v; } f[] = {
      {"kh", l->kh}, {"kw", l->kw}, {"sh", l->sh}, {"sw", l->sw},
      {"dh", dilated ? l->dh : 1u}, {"dw", dilated ? l->dw : 1u},
      {"groups", dilated ? l->groups : 1u}};
  for (unsigned k = 0; k < sizeof f / sizeof f[0]; k++)
    if (f[k].v == 0)
      return cs_bad(c->v, "%s: field '%s': must be >= 1 for %s", c->who, f[k].n,
                 c->opname);
  return SPX_RT_OK;
}

spx_rt_status_t cs_check_cpu_layer(cs_vctx_t *v, uint32_t i,
                                     const spx_cs_command_t *cmd,
                                     const spx_cs_opcode_info_t *info) {
  layer_ctx_t c;
  c.v = v;
  c.l = &cmd->u.cpu_layer;
  spx_rt_format(c.who, sizeof c.who, "command %u (%s)", (unsigned)i,
                info->name);
  const spx_cs_cpu_layer_t *l = c.l;
  c.opname = spx_cs_cpu_op_name(l->op);
  op_desc_t od = cpu_op_desc(l->op);
  spx_rt_status_t rc;

  /* Fields the op does not use are 0 (ids: none). */
  for (uint32_t k = 0; k < info->field_count; k++) {
    const spx_cs_field_info_t *f = &info->fields[k];
    unsigned g = cpu_field_group(f);
    if (!g || (od.params & g)) continue;
    int64_t val = cs_field_get(cmd, f), want = 0;
    if (f->kind == SPX_CS_FK_BLOB || f->kind == SPX_CS_FK_TENSOR)
      want = SPX_CS_NONE;
    if (val != want)
      return cs_bad(v, "%s: field '%s': must be %s for %s, got %lld", c.who,
                 f->name, want ? "none" : "0", c.opname, (long long)val);
  }

  /* Inputs and output. */
  if (l->n_in < od.min_in || l->n_in > od.max_in) {
    if (od.min_in == od.max_in)
      return cs_bad(v, "%s: field 'n_in': %s takes %u input%s, got %u", c.who,
                 c.opname, od.min_in, od.min_in == 1 ? "" : "s",
                 (unsigned)l->n_in);
    return cs_bad(v, "%s: field 'n_in': %s takes %u to %u inputs, got %u", c.who,
               c.opname, od.min_in, od.max_in, (unsigned)l->n_in);
  }
  const uint16_t ins[SPX_CS_CPU_MAX_INPUTS] = {l->in0, l->in1, l->in2, l->in3};
  for (unsigned k = 0; k < SPX_CS_CPU_MAX_INPUTS; k++) {
    if (k < l->n_in && ins[k] == SPX_CS_NONE)
      return cs_bad(v, "%s: field '%s': missing input (n_in = %u)", c.who,
                 in_name(k), (unsigned)l->n_in);
    if (k >= l->n_in && ins[k] != SPX_CS_NONE)
      return cs_bad(v, "%s: field '%s': must be none (n_in = %u)", c.who,
                 in_name(k), (unsigned)l->n_in);
  }
  if (l->out == SPX_CS_NONE)
    return cs_bad(v, "%s: field 'out': missing output", c.who);

  spx_cs_tensor_t in[SPX_CS_CPU_MAX_INPUTS], out;
  /* n_in <= SPX_CS_CPU_MAX_INPUTS was checked above; the bound is repeated
   * so that gcc -O3 can see it (-Warray-bounds). */
  for (unsigned k = 0; k < l->n_in && k < SPX_CS_CPU_MAX_INPUTS; k++)
    cs_get_tensor(v, ins[k], &in[k]);
  cs_get_tensor(v, l->out, &out);

  /* Dtypes. */
  unsigned dt = in[0].dtype;
  if (l->op == SPX_CS_CPU_OP_QUANTIZE || l->op == SPX_CS_CPU_OP_DEQUANTIZE) {
    bool qz = l->op == SPX_CS_CPU_OP_QUANTIZE;
    unsigned want_in = qz ? SPX_CS_DTYPE_F32 : SPX_CS_DTYPE_INT8;
    unsigned want_out = qz ? SPX_CS_DTYPE_INT8 : SPX_CS_DTYPE_F32;
    if (in[0].dtype != want_in)
      return cs_bad(v, "%s: field 'in0': %s takes %s, got %s", c.who,
                 c.opname, spx_cs_dtype_name(want_in),
                 spx_cs_dtype_name(in[0].dtype));
    if (out.dtype != want_out)
      return cs_bad(v, "%s: field 'out': %s produces %s, got %s", c.who,
                 c.opname, spx_cs_dtype_name(want_out),
                 spx_cs_dtype_name(out.dtype));
  } else {
    if (dt != SPX_CS_DTYPE_F32 && dt != SPX_CS_DTYPE_INT8)
      return cs_bad(v, "%s: field 'in0': %s takes f32 or int8, got %s", c.who,
                 c.opname, spx_cs_dtype_name(dt));
    for (unsigned k = 1; k < l->n_in; k++)
      if (in[k].dtype != dt)
        return cs_bad(v, "%s: field '%s': dtype %s differs from in0's %s", c.who,
                   in_name(k), spx_cs_dtype_name(in[k].dtype),
                   spx_cs_dtype_name(dt));
    if (out.dtype != dt)
      return cs_bad(v, "%s: field 'out': dtype %s differs from in0's %s", c.who,
                 spx_cs_dtype_name(out.dtype), spx_cs_dtype_name(dt));
  }
  if (l->act != SPX_CS_ACT_NONE && l->op != SPX_CS_CPU_OP_CONV2D &&
      l->op != SPX_CS_CPU_OP_DENSE && l->op != SPX_CS_CPU_OP_ADD)
    return cs_bad(v, "%s: field 'act': %s cannot be fused into %s", c.who,
               spx_cs_act_name(l->act), c.opname);
  if (l->act == SPX_CS_ACT_SIGN && l->op == SPX_CS_CPU_OP_ADD)
    return cs_bad(v, "%s: field 'act': sign fuses into conv2d and dense only", c.who);
  /* sign (the op, or fused) gives int8 +-1 at scale 1, zero point 0. */
  if ((l->act == SPX_CS_ACT_SIGN || l->op == SPX_CS_CPU_OP_SIGN) &&
      dt == SPX_CS_DTYPE_INT8 && (out.scale != 1.0f || out.zero_point != 0))
    return cs_bad(v, "%s: field 'out': an int8 sign output has scale 1 and zero point 0, "
               "got scale %g, zero point %d", c.who, (double)out.scale,
               (int)out.zero_point);

  /* Shapes and parameters. */
  uint32_t want[SPX_CS_MAX_RANK] = {0};
  switch (l->op) {
  case SPX_CS_CPU_OP_CONV2D: {
    if ((rc = need_rank(&c, "in0", &in[0], 4)) ||
        (rc = need_rank(&c, "out", &out, 4)) || (rc = check_window(&c, true)))
      return rc;
    uint32_t cin = in[0].dims[1], cout = out.dims[1];
    if (cin % l->groups)
      return cs_bad(v, "%s: field 'groups': %u does not divide the %u input "
                 "channels", c.who, (unsigned)l->groups, (unsigned)cin);
    if (cout % l->groups)
      return cs_bad(v, "%s: field 'groups': %u does not divide the %u output "
                 "channels", c.who, (unsigned)l->groups, (unsigned)cout);
    want[0] = in[0].dims[0];
    want[1] = cout;
    want[2] = window_out(in[0].dims[2], l->pad_t, l->pad_b, l->kh, l->sh, l->dh);
    want[3] = window_out(in[0].dims[3], l->pad_l, l->pad_r, l->kw, l->sw, l->dw);
    if (!want[2] || !want[3] || out.dims[0] != want[0] ||
        out.dims[2] != want[2] || out.dims[3] != want[3])
      return shape_mismatch(&c, "out", &out, 4, want);
    if ((rc = check_params(&c, dt,
                           (uint64_t)cout * (cin / l->groups) * l->kh * l->kw,
                           cout)))
      return rc;
    break;
  }
  case SPX_CS_CPU_OP_DENSE: {
    if ((rc = need_rank(&c, "in0", &in[0], 2)) ||
        (rc = need_rank(&c, "out", &out, 2)))
      return rc;
    want[0] = in[0].dims[0];
    want[1] = out.dims[1];
    if (out.dims[0] != want[0]) return shape_mismatch(&c, "out", &out, 2, want);
    if ((rc = check_params(&c, dt, (uint64_t)out.dims[1] * in[0].dims[1],
                           out.dims[1])))
      return rc;
    break;
  }
  case SPX_CS_CPU_OP_MAXPOOL:
  case SPX_CS_CPU_OP_AVGPOOL:
    if ((rc = need_rank(&c, "in0", &in[0], 4)) ||
        (rc = need_rank(&c, "out", &out, 4)) || (rc = check_window(&c, false)))
      return rc;
    want[0] = in[0].dims[0];
    want[1] = in[0].dims[1];
    want[2] = window_out(in[0].dims[2], l->pad_t, l->pad_b, l->kh, l->sh, 1);
    want[3] = window_out(in[0].dims[3], l->pad_l, l->pad_r, l->kw, l->sw, 1);
    if (!want[2] || !want[3] || !same_shape(&out, &(spx_cs_tensor_t){
        .rank = 4, .dims = {want[0], want[1], want[2], want[3]}}))
      return shape_mismatch(&c, "out", &out, 4, want);
    break;
  case SPX_CS_CPU_OP_GLOBAL_AVGPOOL:
    if ((rc = need_rank(&c, "in0", &in[0], 4))) return rc;
    want[0] = in[0].dims[0];
    want[1] = in[0].dims[1];
    want[2] = want[3] = 1;
    if (!same_shape(&out, &(spx_cs_tensor_t){
        .rank = 4, .dims = {want[0], want[1], 1, 1}}))
      return shape_mismatch(&c, "out", &out, 4, want);
    if (dt == SPX_CS_DTYPE_INT8 &&
        (uint64_t)in[0].dims[2] * in[0].dims[3] > SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW)
      return cs_bad(v, "%s: field 'in0': an int8 global_avgpool sums %llu values per channel, "
                 "at most %u fit its int32 sum", c.who,
                 (unsigned long long)in[0].dims[2] * in[0].dims[3],
                 (unsigned)SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW);
    break;
  case SPX_CS_CPU_OP_ADD:
    if (!same_shape(&in[1], &in[0]))
      return shape_mismatch(&c, "in1", &in[1], in[0].rank, in[0].dims);
    if (!same_shape(&out, &in[0]))
      return shape_mismatch(&c, "out", &out, in[0].rank, in[0].dims);
    if ((l->mult == SPX_CS_NONE) != (l->shift == SPX_CS_NONE))
      return cs_bad(v, "%s: field '%s': mult and shift come together", c.who,
                 l->mult == SPX_CS_NONE ? "mult" : "shift");
    if (l->mult != SPX_CS_NONE) {
      if (dt != SPX_CS_DTYPE_INT8)
        return cs_bad(v, "%s: field 'mult': f32 add takes no requant blob", c.who);
      if ((rc = check_blob_ref(&c, "mult", l->mult, SPX_CS_DTYPE_INT32, 3, 0)) ||
          (rc = check_blob_ref(&c, "shift", l->shift, SPX_CS_DTYPE_INT32, 3, 0)) ||
          (rc = check_requant_values(&c)))
        return rc;
    }
    break;
  case SPX_CS_CPU_OP_CONCAT: {
    int axis = l->axis < 0 ? l->axis + out.rank : l->axis;
    if (axis < 0 || axis >= (int)out.rank)
      return cs_bad(v, "%s: field 'axis': %d is out of range for rank %u", c.who,
                 (int)l->axis, (unsigned)out.rank);
    uint64_t sum = 0;
    for (unsigned k = 0; k < l->n_in; k++) {
      bool ok = in[k].rank == out.rank;
      for (unsigned d = 0; ok && d < out.rank; d++)
        if ((int)d != axis && in[k].dims[d] != out.dims[d]) ok = false;
      if (!ok) {
        char got[80], o[80];
        fmt_dims(got, sizeof got, in[k].rank, in[k].dims);
        fmt_dims(o, sizeof o, out.rank, out.dims);
        return cs_bad(v, "%s: field '%s': shape %s does not fit output %s on "
                   "axis %d", c.who, in_name(k), got, o, axis);
      }
      sum += in[k].dims[axis];
    }
    if (sum != out.dims[axis]) {
      for (unsigned d = 0; d < out.rank; d++) want[d] = out.dims[d];
      want[axis] = (uint32_t)sum;
      return shape_mismatch(&c, "out", &out, out.rank, want);
    }
    break;
  }
  case SPX_CS_CPU_OP_BATCHNORM: {
    if (dt != SPX_CS_DTYPE_F32)
      return cs_bad(v, "%s: field 'in0': %s takes f32 only (a quantized "
                 "network dequantizes around it), got %s", c.who, c.opname,
                 spx_cs_dtype_name(dt));
    if (in[0].rank < 2)
      return cs_bad(v, "%s: field 'in0': %s needs rank >= 2 (channels at "
                 "dim 1), got rank %u", c.who, c.opname, (unsigned)in[0].rank);
    if (!same_shape(&out, &in[0]))
      return shape_mismatch(&c, "out", &out, in[0].rank, in[0].dims);
    /* weights = scale [C], bias = shift [C]: both dense f32, both required. */
    const char *fields[2] = {"weights", "bias"};
    const uint16_t ids[2] = {l->weights, l->bias};
    for (unsigned k = 0; k < 2; k++) {
      spx_cs_blob_t b;
      if (ids[k] == SPX_CS_NONE)
        return cs_bad(v, "%s: field '%s': %s needs a per-channel %s blob",
                   c.who, fields[k], c.opname, k ? "shift" : "scale");
      cs_get_blob(v, ids[k], &b);
      if (b.encoding != SPX_CS_ENC_DENSE)
        return cs_bad(v, "%s: field '%s': blob%u must be dense for %s", c.who,
                   fields[k], (unsigned)ids[k], c.opname);
      if ((rc = check_blob_ref(&c, fields[k], ids[k], SPX_CS_DTYPE_F32,
                               in[0].dims[1], 0)))
        return rc;
    }
    break;
  }
  case SPX_CS_CPU_OP_COPY:
    if (elem_count(out.rank, out.dims) != elem_count(in[0].rank, in[0].dims))
      return cs_bad(v, "%s: field 'out': %llu elements, in0 has %llu", c.who,
                 (unsigned long long)elem_count(out.rank, out.dims),
                 (unsigned long long)elem_count(in[0].rank, in[0].dims));
    break;
  case SPX_CS_CPU_OP_SOFTMAX: {
    int axis = l->axis < 0 ? l->axis + in[0].rank : l->axis;
    if (axis < 0 || axis >= (int)in[0].rank)
      return cs_bad(v, "%s: field 'axis': %d is out of range for rank %u", c.who,
                 (int)l->axis, (unsigned)in[0].rank);
    if (dt == SPX_CS_DTYPE_INT8 && in[0].dims[axis] > SPX_CS_SOFTMAX_S8_MAX_DEPTH)
      return cs_bad(v, "%s: field 'axis': an int8 softmax over %u values, at most %u fit its "
                 "int32 sum", c.who, (unsigned)in[0].dims[axis],
                 (unsigned)SPX_CS_SOFTMAX_S8_MAX_DEPTH);
  }
    /* fall through */
  default: /* elementwise */
    if (!same_shape(&out, &in[0]))
      return shape_mismatch(&c, "out", &out, in[0].rank, in[0].dims);
    break;
  }

  /* Workspace: the output may only alias an input in place, elementwise. */
  bool in_place_ok = l->op == SPX_CS_CPU_OP_RELU ||
                     l->op == SPX_CS_CPU_OP_RELU6 ||
                     l->op == SPX_CS_CPU_OP_SIGMOID ||
                     l->op == SPX_CS_CPU_OP_SIGN ||
                     l->op == SPX_CS_CPU_OP_COPY ||
                     l->op == SPX_CS_CPU_OP_BATCHNORM;
  for (unsigned k = 0; k < l->n_in; k++) {
    uint64_t a0 = out.ws_offset, a1 = a0 + out.ws_size;
    uint64_t b0 = in[k].ws_offset, b1 = b0 + in[k].ws_size;
    if (a0 < b1 && b0 < a1 && !(in_place_ok && a0 == b0 && a1 == b1))
      return cs_bad(v, "%s: field 'out': workspace [%u, +%u) overlaps %s's "
                 "[%u, +%u)", c.who, (unsigned)out.ws_offset,
                 (unsigned)out.ws_size, in_name(k), (unsigned)in[k].ws_offset,
                 (unsigned)in[k].ws_size);
  }
  return SPX_RT_OK;
}

spx_rt_status_t cs_check_command(cs_vctx_t *v, uint32_t i,
                               const spx_cs_command_t *cmd) {
  const spx_cs_opcode_info_t *info = spx_cs_opcode_info(cmd->opcode);
  if (!info)
    return cs_bad(v, "command %u: field 'opcode': unknown opcode 0x%02x",
               (unsigned)i, (unsigned)cmd->opcode);
  char who[48];
  spx_rt_format(who, sizeof who, "command %u (%s)", (unsigned)i, info->name);
  unsigned lo = 0, hi = 0;
  switch (v->target) {
#define X(E, name, code, l0, h0, ...) case code: lo = l0; hi = h0; break;
    SPX_CS_TARGETS(X)
#undef X
  }
  if (cmd->opcode < lo || cmd->opcode > hi)
    return cs_bad(v, "%s: field 'opcode': not allowed in a stream for target %s", who,
               spx_cs_target_name(v->target) ? spx_cs_target_name(v->target)
                                              : "?");
  if (cmd->flags)
    return cs_bad(v, "%s: field 'flags': must be 0, got 0x%02x", who,
               (unsigned)cmd->flags);
  if (cmd->iterations == 0)
    return cs_bad(v, "%s: field 'iterations': must be > 0", who);
  if (info->once && cmd->iterations != 1)
    return cs_bad(v, "%s: field 'iterations': %u, but %s runs once (must be 1)",
               who, (unsigned)cmd->iterations, info->name);
  for (uint32_t k = 0; k < info->field_count; k++) {
    const spx_cs_field_info_t *f = &info->fields[k];
    int64_t val = cs_field_get(cmd, f);
    switch (f->kind) {
    case SPX_CS_FK_TENSOR:
      if (val != SPX_CS_NONE && val >= v->tensor_count)
        return cs_bad(v, "%s: field '%s': tensor %%%u out of range (%u tensors)",
                   who, f->name, (unsigned)val, (unsigned)v->tensor_count);
      break;
    case SPX_CS_FK_BLOB:
      if (val != SPX_CS_NONE && val >= v->blob_count)
        return cs_bad(v, "%s: field '%s': blob%u out of range (%u blobs)", who,
                   f->name, (unsigned)val, (unsigned)v->blob_count);
      break;
    case SPX_CS_FK_CPU_OP:
      if (!spx_cs_cpu_op_name((unsigned)val))
        return cs_bad(v, "%s: field '%s': unknown layer kind %u", who, f->name,
                   (unsigned)val);
      break;
    case SPX_CS_FK_ACT:
      if (!spx_cs_act_name((unsigned)val))
        return cs_bad(v, "%s: field '%s': unknown activation %u", who, f->name,
                   (unsigned)val);
      break;
    default: break;
    }
  }
  const spx_cs_target_stream_t *ts = spx_cs_target_stream(v->target);
  return ts && ts->check ? ts->check(v, i, cmd, info) : SPX_RT_OK;
}

/* ---- the cpu target's stream: cpu.layer ------------------------------------- */

SPX_CS_DEFINE_OPCODE_TABLE(SPX_CS_OPCODES_CPU, cpu_opcodes)

const spx_cs_target_stream_t spx_target_cpu_stream = {
    cpu_opcodes, sizeof cpu_opcodes / sizeof cpu_opcodes[0], cs_check_cpu_layer};

