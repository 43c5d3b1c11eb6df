/* aie_sim.c - the aie simulator as a device (spx_sim_aie.h).
 *
 * Functional part: host layers run through spx_rt_layer_init/run like the
 * cpu device; each aie.comp computes its output sub-volume with the
 * runtime's own int8 kernels: spx_rt_conv2d_s8 on the input window the
 * sub-volume reads (rows and columns clipped to the tensor, the clipped part
 * turned into padding) with the output-channel slice of weights, bias and
 * requant multipliers; spx_rt_dense_s8 on the unit slice. CBR slices are
 * decoded to dense int8 first; ternary slices are expanded to int8 {-1, 0,
 * 1} through the format's code book (spx_fmt_ternary_code_to_masks), as
 * the cores do (aie.h). Splitting input
 * channels (kc < cin) accumulates exact int32 partial sums, so the result
 * equals the kernel over all input channels, which is what is computed.
 * Dense int8 layers (the usual case) are computed once, whole, with the
 * cpu kernels into scratch before their comps (what every comp's window
 * computes is exactly that layer's output over its sub-volume), and each
 * comp copies its sub-volume out: an output no comp covers stays unwritten,
 * as when comps compute, and the layer's weights are packed and its input
 * rewritten once instead of once per comp.
 * Data movement commands are validated by the loader and costed by the
 * model (aie_model.c); they do not copy bytes: a comp reads its window from
 * the workspace tensors.
 * Timing: spx_sim_aie_time over the stream. */
#include "runtime/targets/aie/aie.h"

#include <string.h>



/* ---- stream as a timing source -------------------------------------------- */

static void src_get(const void *ctx, uint32_t i, spx_cs_command_t *out) {
  spx_cs_stream_command((const spx_cs_stream_t *)ctx, i, out);
}
static const int8_t *src_blob(const void *ctx, uint16_t id, uint16_t *enc) {
  spx_cs_blob_t b;
  spx_cs_stream_blob((const spx_cs_stream_t *)ctx, id, &b);
  *enc = b.encoding;
  return (const int8_t *)b.data;
}
static uint32_t src_tensor_bytes(const void *ctx, uint16_t id) {
  spx_cs_tensor_t t;
  spx_cs_stream_tensor((const spx_cs_stream_t *)ctx, id, &t);
  return t.ws_size;
}
static uint32_t src_blob_size(const void *ctx, uint16_t id) {
  spx_cs_blob_t b;
  spx_cs_stream_blob((const spx_cs_stream_t *)ctx, id, &b);
  return b.length;
}
static const spx_cs_tensor_t *src_tensor(const void *ctx, uint16_t id,
                                         spx_cs_tensor_t *scratch) {
  spx_cs_stream_tensor((const spx_cs_stream_t *)ctx, id, scratch);
  return scratch;
}

static spx_sim_aie_source_t stream_source(const spx_cs_stream_t *s) {
  spx_sim_aie_source_t src;
  src.ctx = s;
  src.command_count = s->command_count;
  src.get = src_get;
  src.blob = src_blob;
  src.tensor_bytes = src_tensor_bytes;
  src.tensor = src_tensor;
  src.blob_size = src_blob_size;
  src.on_layer = NULL;
  src.on_layer_user = NULL;
  return src;
}

/* ---- one layer's resolved description ------------------------------------ */

typedef struct layer {
  spx_cs_command_t cmd;     /* the aie.layer */
  spx_cs_cpu_layer_t cpu;   /* its cpu.layer fields */
  spx_rt_layer_decoded_t d; /* records, blobs and the host stage's layer */
  int is_cbr;
  spx_fmt_cbr_view_t cbr;
  int is_tern;
  spx_fmt_ternary_view_t tern;
} layer_t;

static spx_rt_status_t layer_decode(const spx_cs_stream_t *s,
                                    const spx_cs_command_t *c, layer_t *L,
                                    spx_rt_error_t *err) {
  memset(L, 0, sizeof *L);
  L->cmd = *c;
#define CP(A, name, off, kind, doc) L->cpu.name = SPX_CS_U(*c, aie_layer).name;
  SPX_CS_FIELDS_CPU_LAYER(CP, ~)
#undef CP
  spx_rt_status_t st = spx_rt_layer_decode(s, &L->cpu, &L->d, err);
  if (st != SPX_RT_OK) return st;
  for (unsigned k = 0; k < 4; k++) {
    const spx_cs_blob_t *b = L->d.blobp[k];
    if (!b || b->encoding == SPX_CS_ENC_DENSE) continue;
    /* The registry says which encoded weights the target runs; of those
     * the array moves CBR blocks as they are (comp_run). */
    const char *why = "";
    if (k != 0)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "only the weights blob may be encoded");
    if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_AIE), b->encoding, &why) !=
        SPX_TARGET_NATIVE)
      return spx_rt_error_set(err, SPX_RT_ERR_UNSUPPORTED, "%s weights: %s",
                              spx_cs_encoding_name(b->encoding), why);
    L->is_cbr = b->encoding == SPX_CS_ENC_CBR;
    if (L->is_cbr) {
      spx_rt_status_t st2 = spx_fmt_cbr_open(b->data, b->length, NULL, &L->cbr, err);
      if (st2 != SPX_RT_OK) return st2;
    }
    L->is_tern = b->encoding == SPX_CS_ENC_TERNARY;
    if (L->is_tern) {
      spx_rt_status_t st2 = spx_fmt_ternary_open(b->data, b->length, NULL, &L->tern, err);
      if (st2 != SPX_RT_OK) return st2;
    }
  }
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

/* Conv geometry of a comp: its input window and the kernel's parameters. */
typedef struct comp_geom {
  spx_rt_conv2d_params_t p;
  int32_t r0, c0;   /* first input row/column read (clipped) */
  size_t in_bytes, out_bytes;
} comp_geom_t;

static void comp_geom(const layer_t *L, const spx_cs_aie_comp_t *q,
                      comp_geom_t *g) {
  const spx_cs_cpu_layer_t *l = &L->cpu;
  const spx_cs_tensor_t *in = &L->d.rec[0];
  int32_t H = (int32_t)in->dims[2], W = (int32_t)in->dims[3];
  int32_t rs = (int32_t)q->oh0 * l->sh - l->pad_t;
  int32_t re = ((int32_t)q->oh1 - 1) * l->sh - l->pad_t + (l->kh - 1) * l->dh + 1;
  int32_t cs = (int32_t)q->ow0 * l->sw - l->pad_l;
  int32_t ce = ((int32_t)q->ow1 - 1) * l->sw - l->pad_l + (l->kw - 1) * l->dw + 1;
  memset(g, 0, sizeof *g);
  g->p.pad[0] = rs < 0 ? -rs : 0;
  g->p.pad[2] = re > H ? re - H : 0;
  g->p.pad[1] = cs < 0 ? -cs : 0;
  g->p.pad[3] = ce > W ? ce - W : 0;
  g->r0 = rs < 0 ? 0 : rs;
  g->c0 = cs < 0 ? 0 : cs;
  int32_t r1 = re > H ? H : re, c1 = ce > W ? W : ce;
  g->p.n = 1;
  g->p.c_in = (int32_t)in->dims[1];
  g->p.h = r1 > g->r0 ? r1 - g->r0 : 0;
  g->p.w = c1 > g->c0 ? c1 - g->c0 : 0;
  g->p.c_out = q->oc1 - q->oc0;
  g->p.kh = l->kh;
  g->p.kw = l->kw;
  g->p.stride[0] = l->sh;
  g->p.stride[1] = l->sw;
  g->p.dilation[0] = l->dh;
  g->p.dilation[1] = l->dw;
  g->p.groups = 1;
  g->p.act = SPX_RT_ACT_NONE;
  g->in_bytes = SPX_RT_ALIGN16((size_t)g->p.c_in * g->p.h * g->p.w);
  g->out_bytes = SPX_RT_ALIGN16((size_t)g->p.c_out * (q->oh1 - q->oh0) * (q->ow1 - q->ow0));
}

static size_t comp_scratch(const layer_t *L, const spx_cs_aie_comp_t *q) {
  size_t oc = (size_t)(q->oc1 - q->oc0);
  size_t req = SPX_RT_ALIGN16(oc * 8);
  if ((L->is_cbr || L->is_tern) && L->cpu.op == SPX_CS_CPU_OP_DENSE)
    req += SPX_RT_ALIGN16(oc * L->d.rec[0].dims[1]);
  else if (L->is_cbr || L->is_tern)
    req += SPX_RT_ALIGN16(oc * L->d.rec[0].dims[1] * L->cpu.kh * L->cpu.kw);
  if (L->cpu.op == SPX_CS_CPU_OP_DENSE) {
    spx_rt_dense_params_t dp = {(int32_t)(q->oh1 - q->oh0),
                                (int32_t)L->d.rec[0].dims[1], (int32_t)oc,
                                SPX_RT_ACT_NONE};
    return req + SPX_RT_ALIGN16(oc * (q->oh1 - q->oh0)) +
           SPX_RT_ALIGN16(spx_rt_dense_s8_get_buffer_size(&dp));
  }
  comp_geom_t g;
  comp_geom(L, q, &g);
  return req + g.in_bytes + g.out_bytes +
         SPX_RT_ALIGN16(spx_rt_conv2d_s8_get_buffer_size(&g.p));
}

/* Runs one comp on the workspace. */
static spx_rt_status_t comp_run(const layer_t *L, const spx_cs_aie_comp_t *q,
                                uint8_t *ws, uint8_t *scratch, size_t size) {
  const spx_rt_layer_t *rt = &L->d.layer;
  uint32_t oc = (uint32_t)(q->oc1 - q->oc0);
  int32_t *mult = (int32_t *)scratch, *shift = mult + oc;
  uint8_t *rest = scratch + SPX_RT_ALIGN16((size_t)oc * 8);
  const int8_t *wslice;
  {
    size_t cin = L->d.rec[0].dims[1];
    size_t khw = L->cpu.op == SPX_CS_CPU_OP_DENSE ? 1 : (size_t)L->cpu.kh * L->cpu.kw;
    if (L->is_cbr) {
      /* The CBR blocks of the slice's block rows, decoded into dense
       * [oc][cin][kh][kw] (missing blocks are zero). */
      int8_t *d = (int8_t *)rest;
      const spx_fmt_cbr_view_t *v = &L->cbr;
      memset(d, 0, (size_t)oc * cin * khw);
      for (uint32_t r = q->oc0 / 8; r * 8 < q->oc1 && r < v->block_rows; r++)
        for (uint32_t k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); k++) {
          const int8_t *blk = spx_fmt_cbr_block(v, k);
          uint32_t c0 = spx_fmt_cbr_col(v, k) * 8;
          for (uint32_t o = 0; o < 8; o++) {
            uint32_t og = r * 8 + o;
            if (og < q->oc0 || og >= q->oc1) continue;
            for (size_t t = 0; t < khw; t++)
              for (uint32_t i = 0; i < 8 && c0 + i < cin; i++)
                d[((size_t)(og - q->oc0) * cin + c0 + i) * khw + t] =
                    blk[((size_t)o * khw + t) * 8 + i];
          }
        }
      wslice = d;
      rest += SPX_RT_ALIGN16((size_t)oc * cin * khw);
    } else if (L->is_tern) {
      /* What the core does (aie.h): the slice's codes expanded to int8
       * {-1, 0, 1} through the format's code book, then int8 MACs. */
      int8_t *d = (int8_t *)rest;
      const spx_fmt_ternary_view_t *v = &L->tern;
      uint32_t ng = v->groups_per_tap;
      memset(d, 0, (size_t)oc * cin * khw);
      for (uint32_t o = 0; o < oc; o++)
        for (size_t t = 0; t < khw; t++)
          for (uint32_t gi = 0; gi < ng; gi++) {
            uint64_t ci = (((uint64_t)(q->oc0 + o) * khw) + t) * ng + gi;
            uint32_t pos, neg;
            if (spx_fmt_ternary_code_to_masks(v->n, v->k, spx_fmt_ternary_code_at(v, ci), &pos,
                                              &neg) != SPX_RT_OK)
              return SPX_RT_ERR_FORMAT;
            for (; pos; pos &= pos - 1) {
              uint32_t lane = 0;
              while (!(pos >> lane & 1u)) lane++;
              size_t ic = (size_t)gi * v->n + lane;
              if (ic < cin)
                d[((size_t)o * cin + ic) * khw + t] = (neg >> lane & 1u) ? -1 : 1;
            }
          }
      wslice = d;
      rest += SPX_RT_ALIGN16((size_t)oc * cin * khw);
    } else {
      wslice = (const int8_t *)rt->weights + (size_t)q->oc0 * cin * khw;
    }
  }
  for (uint32_t c = 0; c < oc; c++) {
    uint32_t src = L->d.layer.multiplier_count == 1 ? 0 : q->oc0 + c;
    mult[c] = rt->multiplier[src];
    shift[c] = rt->shift[src];
  }
  spx_rt_requant_pc_t rq;
  spx_rt_quant_t oq = {rt->out->scale, rt->out->zero_point};
  rq.in_zero_point = rt->in[0]->zero_point;
  rq.out_zero_point = rt->out->zero_point;
  rq.multiplier = mult;
  rq.shift = shift;
  spx_rt_act_range_s8((spx_rt_act_t)rt->act, oq, &rq.act_min, &rq.act_max);
  const int8_t *in = (const int8_t *)(ws + rt->in[0]->offset);
  int8_t *out = (int8_t *)(ws + rt->out->offset);
  const int32_t *bias = rt->bias ? (const int32_t *)rt->bias + q->oc0 : NULL;
  spx_rt_status_t st;
  if (L->cpu.op == SPX_CS_CPU_OP_DENSE) {
    uint32_t K = L->d.rec[0].dims[1], M = L->d.rec[4].dims[1];
    uint32_t rows = q->oh1 - q->oh0;
    spx_rt_dense_params_t dp = {(int32_t)rows, (int32_t)K, (int32_t)oc,
                                SPX_RT_ACT_NONE};
    int8_t *o = (int8_t *)rest;
    uint8_t *ks = rest + SPX_RT_ALIGN16((size_t)oc * rows);
    st = spx_rt_dense_s8(&dp, &rq, in + (size_t)q->oh0 * K,
                         wslice, bias,
                         o, ks, size - (size_t)(ks - scratch));
    if (st != SPX_RT_OK) return st;
    for (uint32_t r = 0; r < rows; r++)
      memcpy(out + (size_t)(q->oh0 + r) * M + q->oc0, o + (size_t)r * oc, oc);
    return SPX_RT_OK;
  }
  comp_geom_t g;
  comp_geom(L, q, &g);
  const spx_cs_tensor_t *ti = &L->d.rec[0], *to = &L->d.rec[4];
  uint32_t H = ti->dims[2], W = ti->dims[3], OH = to->dims[2], OW = to->dims[3];
  int8_t *win = (int8_t *)rest, *o = (int8_t *)(rest + g.in_bytes);
  uint8_t *ks = rest + g.in_bytes + g.out_bytes;
  for (int32_t c = 0; c < g.p.c_in; c++)
    for (int32_t r = 0; r < g.p.h; r++)
      memcpy(win + ((size_t)c * g.p.h + r) * g.p.w,
             in + ((size_t)c * H + (size_t)(g.r0 + r)) * W + g.c0, (size_t)g.p.w);
  st = spx_rt_conv2d_s8(&g.p, &rq, win, wslice, bias, o, ks, size - (size_t)(ks - scratch));
  if (st != SPX_RT_OK) return st;
  uint32_t rows = q->oh1 - q->oh0, cols = q->ow1 - q->ow0;
  for (uint32_t c = 0; c < oc; c++)
    for (uint32_t r = 0; r < rows; r++)
      memcpy(out + ((size_t)(q->oc0 + c) * OH + q->oh0 + r) * OW + q->ow0,
             o + ((size_t)c * rows + r) * cols, cols);
  return SPX_RT_OK;
}

/* Layers computed whole before their comps (see the top): array mode,
 * plain int8 weights. */
static int whole_layer(const layer_t *L) {
  return SPX_CS_U(L->cmd, aie_layer).mode != 1 && !L->is_cbr && !L->is_tern &&
         L->d.layer.out->dtype == SPX_RT_INT8 &&
         (L->d.layer.op == SPX_RT_OP_CONV2D || L->d.layer.op == SPX_RT_OP_DENSE);
}

static size_t whole_bytes(const layer_t *L) {
  const spx_rt_tensor_t *t = L->d.layer.out;
  size_t n = 1;
  for (unsigned k = 0; k < t->rank; ++k) n *= t->dims[k];
  return SPX_RT_ALIGN16(n);
}

/* The layer, whole, into scratch (its output tensor moved there), on its
 * prepared weights if the model has them (pw; spx_rt_model_prepare). */
static spx_rt_status_t whole_run(const layer_t *L, const spx_rt_prepared_weights_t *pw,
                                 uint8_t *ws, size_t scratch_offset, size_t scratch_size) {
  spx_rt_layer_t whole = L->d.layer;
  spx_rt_tensor_t to = *whole.out;
  const size_t ob = whole_bytes(L);
  to.offset = (uint32_t)scratch_offset;
  whole.out = &to;
  return spx_rt_layer_run_prepared(&whole, pw, ws, ws + scratch_offset + ob, scratch_size - ob);
}

/* A comp's sub-volume from the whole layer's output. */
static void comp_copy(const layer_t *L, const spx_cs_aie_comp_t *q, const int8_t *full,
                      uint8_t *ws) {
  const spx_cs_tensor_t *to = &L->d.rec[4];
  int8_t *out = (int8_t *)(ws + L->d.layer.out->offset);
  const uint32_t oc = (uint32_t)(q->oc1 - q->oc0);
  if (L->cpu.op == SPX_CS_CPU_OP_DENSE) {
    const uint32_t M = to->dims[1];
    for (uint32_t r = q->oh0; r < q->oh1; r++)
      memcpy(out + (size_t)r * M + q->oc0, full + (size_t)r * M + q->oc0, oc);
    return;
  }
  const uint32_t OH = to->dims[2], OW = to->dims[3], cols = q->ow1 - q->ow0;
  for (uint32_t c = q->oc0; c < q->oc1; c++)
    for (uint32_t r = q->oh0; r < q->oh1; r++) {
      const size_t at = ((size_t)c * OH + r) * OW + q->ow0;
      memcpy(out + at, full + at, cols);
    }
}

/* ---- the device ------------------------------------------------------------ */

static spx_rt_status_t sim_initialize(const spx_rt_device_t *device,
                                      const spx_cs_stream_t *s,
                                      spx_rt_model_t *m,
                                      spx_rt_error_t *error) {
  layer_t L;
  size_t max_scratch = 0;
  int have = 0;
  memset(m, 0, sizeof *m);
  if (s->target != device->target) {
    const char *t = spx_cs_target_name(s->target);
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "stream target is %s; the %s device runs %s streams only",
                t ? t : "unknown", device->name,
                spx_cs_target_name(device->target));
  }
  for (uint32_t i = 0; i < s->input_count + s->output_count; ++i) {
    int is_in = i < s->input_count;
    uint32_t k = is_in ? i : i - s->input_count;
    spx_cs_tensor_t t;
    spx_cs_stream_tensor(s, is_in ? spx_cs_stream_input(s, k)
                                  : spx_cs_stream_output(s, k), &t);
    if (t.dtype != SPX_CS_DTYPE_F32 && t.dtype != SPX_CS_DTYPE_INT8)
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "model %s %u must be an f32 or int8 tensor",
                  is_in ? "input" : "output", (unsigned)k);
  }
  for (uint32_t i = 0; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_rt_error_t e;
    spx_cs_stream_command(s, i, &c);
    if (c.opcode == SPX_CS_OP_AIE_LAYER) {
      spx_rt_status_t st = layer_decode(s, &c, &L, &e);
      if (st == SPX_RT_OK) st = spx_rt_layer_validate(&L.d.layer, &e);
      if (st != SPX_RT_OK)
        return spx_rt_error_set_at(error, st, i, "command %u (%s): %s", (unsigned)i, c.name,
                    e.message);
      have = 1;
      size_t need = spx_rt_layer_scratch_size(&L.d.layer);
      if (whole_layer(&L)) need += whole_bytes(&L);
      if (need > max_scratch) max_scratch = need;
    } else if (c.opcode == SPX_CS_OP_AIE_COMP && have && !whole_layer(&L)) {
      size_t need = comp_scratch(&L, &SPX_CS_U(c, aie_comp));
      if (need > max_scratch) max_scratch = need;
    }
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  return SPX_RT_OK;
}

/* spx_sim_aie_run with the device's run hooks: before/after around every
 * command, cycles per layer. */
static spx_rt_status_t run_hooked(
    const spx_rt_model_t *m, const float *const *inputs, float *const *outputs, void *workspace,
    size_t workspace_size, spx_sim_aie_layer_stats_t *stats, uint32_t max_layers,
    uint32_t *out_layers, spx_sim_aie_event_fn event, void *user,
    const spx_rt_run_hooks_t *hooks, spx_rt_error_t *error);
static void layer_cycles(void *user, const spx_sim_aie_layer_stats_t *st);

spx_rt_status_t spx_sim_aie_run(const spx_rt_model_t *m,
                                const float *const *inputs,
                                float *const *outputs, void *workspace,
                                size_t workspace_size,
                                spx_sim_aie_layer_stats_t *stats,
                                uint32_t max_layers, uint32_t *out_layers,
                                spx_sim_aie_event_fn event, void *user,
                                spx_rt_error_t *error) {
  return run_hooked(m, inputs, outputs, workspace, workspace_size, stats,
                                max_layers, out_layers, event, user, NULL, error);
}

static spx_rt_status_t run_hooked(
    const spx_rt_model_t *m, const float *const *inputs, float *const *outputs, void *workspace,
    size_t workspace_size, spx_sim_aie_layer_stats_t *stats, uint32_t max_layers,
    uint32_t *out_layers, spx_sim_aie_event_fn event, void *user,
    const spx_rt_run_hooks_t *hooks, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace;
  if (out_layers) *out_layers = 0;
  spx_rt_status_t staged =
      spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (staged != SPX_RT_OK) return staged;
  uint8_t *scratch = ws + m->scratch_offset;
  layer_t L;
  int have = 0;
  for (uint32_t i = 1; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_rt_error_t e;
    spx_rt_status_t st = SPX_RT_OK;
    spx_cs_stream_command(s, i, &c);
    e.message[0] = '\0';
    if (hooks && hooks->before) hooks->before(hooks->user, i, c.name ? c.name : "");
    if (c.opcode == SPX_CS_OP_AIE_LAYER) {
      st = layer_decode(s, &c, &L, &e);
      have = st == SPX_RT_OK;
      if (st == SPX_RT_OK && SPX_CS_U(c, aie_layer).mode == 1)
        st = spx_rt_layer_run_prepared(&L.d.layer, spx_rt_model_prepared(m, i), ws, scratch,
                                       m->scratch_size);
      else if (st == SPX_RT_OK && whole_layer(&L))
        st = whole_run(&L, spx_rt_model_prepared(m, i), ws, m->scratch_offset, m->scratch_size);
    } else if (c.opcode == SPX_CS_OP_AIE_COMP && have) {
      if (whole_layer(&L))
        comp_copy(&L, &SPX_CS_U(c, aie_comp), (const int8_t *)scratch, ws);
      else
        st = comp_run(&L, &SPX_CS_U(c, aie_comp), ws, scratch, m->scratch_size);
    }
    if (hooks && hooks->after) hooks->after(hooks->user, i, c.name ? c.name : "", st);
    if (st != SPX_RT_OK)
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s%s%s", (unsigned)i, c.name,
                  spx_rt_status_name(st), e.message[0] ? ": " : "", e.message);
  }
  spx_rt_status_t collected = spx_rt_model_collect_outputs(m, outputs, ws, error);
  if (collected != SPX_RT_OK) return collected;
  spx_sim_aie_source_t src = stream_source(s);
  if (hooks && hooks->cycles) {
    src.on_layer = layer_cycles;
    src.on_layer_user = (void *)hooks;
  }
  uint32_t nl = 0;
  const char *why = spx_sim_aie_time(&src, NULL, stats, max_layers, &nl, event,
                                     user);
  if (why)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "timing: %s", why);
  if (out_layers) *out_layers = nl;
  return SPX_RT_OK;
}

/* A layer's figures as the run hooks' cycles (per compute tile). */
static void layer_cycles(void *user, const spx_sim_aie_layer_stats_t *st) {
  const spx_rt_run_hooks_t *hooks = user;
  spx_rt_cycles_t c;
  c.cycles = st->cycles;
  c.compute_cycles = st->host ? st->cycles : st->array_cycles;
  c.memory_cycles = st->ddr_read_cycles + st->ddr_write_cycles;
  c.busy = st->busy_sum;
  c.units = st->host ? 0 : st->tiles_used;
  c.unit = st->host ? "host" : "tile";
  c.bound = st->host ? "host" : c.compute_cycles >= c.memory_cycles ? "compute" : "ddr";
  hooks->cycles(hooks->user, st->first_command, &c);
}

static spx_rt_status_t sim_run(const spx_rt_model_t *m,
                               const float *const *inputs,
                               float *const *outputs, void *workspace,
                               size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks,
                               spx_rt_error_t *error) {
  return run_hooked(m, inputs, outputs, workspace, workspace_size, NULL, 0, NULL,
                                NULL, NULL, hooks, error);
}

static spx_rt_status_t sim_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                       void *ctx, void *scratch, spx_rt_error_t *error) {
  (void)scratch;
  if (spx_sim_aie_write_trace(s, write, ctx, error) == 0) return SPX_RT_OK;
  return error && error->status != SPX_RT_OK ? error->status : SPX_RT_ERR_ARG;
}

const spx_rt_device_t spx_sim_aie_device = {"sim", SPX_CS_TARGET_AIE, sim_initialize,
                                            sim_run, 0, sim_write_trace, NULL,
                                            /* layer_opcodes: aie.layer, whose host stages
                                               and whole array layers run on the cpu
                                               kernels; dense int8 weights only (CBR and
                                               ternary comps run windows of the encoded
                                               weights, comp_run) */
                                            {SPX_CS_OP_AIE_LAYER, 0, 0, 0}, 1};
