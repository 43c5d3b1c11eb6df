/* model.c - the aie machine description and the performance model over
 * a command list (aie.h). Shared by the compiler's report and the
 * simulator, so both print the same cycles. */
#include "runtime/targets/aie/aie.h"

#include <stdlib.h>
#include <string.h>

static const spx_mdesc_field_t mdesc_fields[] = {SPX_AIE_MDESC(SPX_MDESC_FIELD_)};

const spx_mdesc_table_t spx_target_aie_mdesc = {
    mdesc_fields, sizeof mdesc_fields / sizeof mdesc_fields[0], NULL};

void spx_aie_mdesc_default(spx_aie_mdesc_t *out) {
#define X(m, opt, def, lo, hi, doc) out->m = def;
  SPX_AIE_MDESC(X)
#undef X
}

void spx_aie_mdesc_from_values(const int64_t *v, spx_aie_mdesc_t *out) {
  unsigned i = 0;
#define X(m, opt, def, lo, hi, doc) out->m = (uint32_t)v[i++];
  SPX_AIE_MDESC(X)
#undef X
}

void spx_aie_mdesc_to_values(const spx_aie_mdesc_t *m, int64_t *v) {
  unsigned i = 0;
#define X(mm, opt, def, lo, hi, doc) v[i++] = m->mm;
  SPX_AIE_MDESC(X)
#undef X
}

spx_rt_status_t spx_aie_mdesc_check(const spx_aie_mdesc_t *m, spx_rt_error_t *err) {
  int64_t v[sizeof mdesc_fields / sizeof mdesc_fields[0]];
  spx_aie_mdesc_to_values(m, v);
  return spx_mdesc_check(&spx_target_aie_mdesc, v, err);
}

uint64_t spx_aie_mdesc_hash(const spx_aie_mdesc_t *m) {
  uint64_t h = 0xcbf29ce484222325ull;
  uint32_t v[] = {
#define X(mm, opt, def, lo, hi, doc) m->mm,
      SPX_AIE_MDESC(X)
#undef X
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    for (unsigned b = 0; b < 4; b++) {
      h ^= (v[i] >> (8 * b)) & 0xffu;
      h *= 0x100000001b3ull;
    }
  return h;
}

void spx_aie_mdesc_from_config(const spx_cs_aie_config_t *c,
                               spx_aie_mdesc_t *out) {
#define X(m, opt, def, lo, hi, doc) out->m = c->m;
  SPX_AIE_MDESC(X)
#undef X
}

void spx_aie_mdesc_to_config(const spx_aie_mdesc_t *m,
                             spx_cs_aie_config_t *out) {
#define X(mm, opt, def, lo, hi, doc) out->mm = m->mm;
  SPX_AIE_MDESC(X)
#undef X
}

uint64_t spx_aie_xfer_cycles(const spx_aie_mdesc_t *m, uint64_t bytes,
                             uint64_t mbps) {
  return mbps ? (bytes * m->freq_mhz + mbps - 1) / mbps : 0;
}

uint64_t spx_aie_block_macs(const int8_t *w, uint32_t cin, uint32_t khw,
                            uint32_t oc0, uint32_t oc1, uint32_t ic0,
                            uint32_t ic1) {
  uint64_t macs = 0;
  for (uint32_t b0 = oc0 - oc0 % 8; b0 < oc1; b0 += 8) {
    uint32_t o0 = b0 < oc0 ? oc0 : b0, o1 = b0 + 8 < oc1 ? b0 + 8 : oc1;
    for (uint32_t k0 = ic0 - ic0 % 8; k0 < ic1; k0 += 8) {
      uint32_t i0 = k0 < ic0 ? ic0 : k0, i1 = k0 + 8 < ic1 ? k0 + 8 : ic1;
      int nz = !w;
      for (uint32_t o = o0; o < o1 && !nz; o++) {
        const int8_t *row = w + ((size_t)o * cin + i0) * khw;
        for (size_t e = 0; e < (size_t)(i1 - i0) * khw; e++)
          if (row[e]) { nz = 1; break; }
      }
      if (nz) macs += (uint64_t)(o1 - o0) * (i1 - i0) * khw;
    }
  }
  return macs;
}

uint64_t spx_aie_cbr_block_macs(const spx_fmt_cbr_view_t *v, uint32_t oc0,
                                uint32_t oc1) {
  uint64_t n = 0;
  uint32_t K = v->dims.cols, khw = (uint32_t)v->dims.kh * v->dims.kw;
  for (uint32_t r = oc0 / 8; r * 8 < oc1 && r < v->block_rows; r++) {
    uint32_t lo = r * 8 < oc0 ? oc0 : r * 8, hi = r * 8 + 8 < oc1 ? r * 8 + 8 : oc1;
    for (uint32_t k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); k++) {
      uint32_t c0 = spx_fmt_cbr_col(v, k) * 8;
      n += (uint64_t)(hi - lo) * (K - c0 < 8 ? K - c0 : 8) * khw;
    }
  }
  return n;
}

uint64_t spx_aie_ternary_codes(unsigned n, uint32_t oc, uint32_t kc, uint32_t khw) {
  return n ? (uint64_t)oc * khw * ((kc + n - 1) / n) : 0;
}

uint64_t spx_aie_ternary_code_bytes(unsigned n, unsigned bits, uint32_t oc, uint32_t kc,
                                    uint32_t khw) {
  return (spx_aie_ternary_codes(n, oc, kc, khw) * bits + 7) / 8;
}

uint64_t spx_aie_ternary_decode_bytes(unsigned n, uint32_t patterns, uint32_t oc, uint32_t kc,
                                      uint32_t khw) {
  return (uint64_t)(oc < 8 ? oc : 8) * kc * khw + (uint64_t)patterns * n;
}

uint64_t spx_aie_ternary_slice_bytes(const spx_fmt_ternary_view_t *v, uint32_t oc0,
                                     uint32_t oc1) {
  uint64_t per_row = (uint64_t)v->dims.kh * v->dims.kw * v->groups_per_tap;
  uint64_t b0 = (uint64_t)oc0 * per_row * v->code_bits, b1 = (uint64_t)oc1 * per_row * v->code_bits;
  return oc1 > oc0 ? (b1 + 7) / 8 - b0 / 8 : 0;
}

/* ---- timing ----------------------------------------------------------------- */

typedef struct tile_acc {
  uint64_t busy;          /* cycles of the tile in this layer */
  uint64_t load, comp, store; /* unoverlapped sums (report) */
} tile_acc_t;

typedef struct seg {
  int tile; /* row << 8 | col, -1 = none */
  uint32_t n;
  uint64_t l, c, s; /* cycles over the whole body */
} seg_t;

static uint64_t cdiv(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

typedef struct timer {
  const spx_sim_aie_source_t *src;
  spx_aie_mdesc_t m;
  spx_sim_aie_event_fn event;
  void *user;
  uint64_t now; /* cycle at which the current layer started */
  uint32_t layer;
  const char *name;
  tile_acc_t tiles[SPX_CS_AIE_MAX_ROWS][SPX_CS_AIE_MAX_COLS];
  spx_sim_aie_layer_stats_t st;
  seg_t seg;
  /* the layer's geometry */
  spx_cs_aie_layer_t decl;
  const int8_t *weights;
  spx_fmt_cbr_view_t cbr;
  int is_cbr;
  spx_fmt_ternary_view_t tern;
  int is_tern;
  uint32_t cin, khw, pixels_per_row;
  /* activations that stay in the memory tiles (see plan_onchip) */
  const uint8_t *onchip;
  uint32_t n_onchip;
} timer_t_;

static int is_onchip(const timer_t_ *t, uint16_t id) {
  return id != SPX_CS_NONE && id < t->n_onchip && t->onchip[id];
}

static void emit(timer_t_ *t, uint8_t track, unsigned row, unsigned col,
                 const char *what, uint64_t start, uint64_t dur) {
  if (!t->event || !dur) return;
  spx_sim_aie_event_t e;
  e.track = track;
  e.row = (uint8_t)row;
  e.col = (uint8_t)col;
  e.layer = t->layer;
  e.name = t->name;
  e.what = what;
  e.start = start;
  e.duration = dur;
  t->event(t->user, &e);
}

static void close_seg(timer_t_ *t) {
  seg_t *g = &t->seg;
  if (g->tile < 0) return;
  unsigned r = (unsigned)g->tile >> 8, c = (unsigned)g->tile & 0xff;
  tile_acc_t *a = &t->tiles[r][c];
  uint64_t cost;
  if (g->n <= 1) {
    cost = g->l + g->c + g->s;
  } else {
    uint64_t l = cdiv(g->l, g->n), cc = cdiv(g->c, g->n), s = cdiv(g->s, g->n);
    uint64_t mx = l > cc ? l : cc;
    cost = (mx > s ? mx : s) * g->n;
  }
  uint64_t start = t->now + t->st.ddr_read_cycles + a->busy;
  if (g->n <= 1) {
    emit(t, SPX_SIM_AIE_TRACK_TILE, r, c, "load", start, g->l);
    emit(t, SPX_SIM_AIE_TRACK_TILE, r, c, "compute", start + g->l, g->c);
    emit(t, SPX_SIM_AIE_TRACK_TILE, r, c, "store", start + g->l + g->c, g->s);
  } else {
    emit(t, SPX_SIM_AIE_TRACK_TILE, r, c, "pipeline (load|compute|store)",
         start, cost);
  }
  a->busy += cost;
  a->load += g->l;
  a->comp += g->c;
  a->store += g->s;
  g->tile = -1;
}

static void finish_layer(timer_t_ *t, spx_sim_aie_layer_stats_t *out);

/* finish_layer, and the figures to the source's on_layer. */
static void finish_layer_to(const spx_sim_aie_source_t *src, timer_t_ *t,
                            spx_sim_aie_layer_stats_t *out) {
  spx_sim_aie_layer_stats_t one;
  if (!out && src->on_layer) out = &one;
  finish_layer(t, out);
  if (src->on_layer) src->on_layer(src->on_layer_user, out);
}

static void finish_layer(timer_t_ *t, spx_sim_aie_layer_stats_t *out) {
  close_seg(t);
  spx_sim_aie_layer_stats_t *st = &t->st;
  if (!st->host) {
    uint64_t worst = 0;
    for (unsigned r = 0; r < SPX_CS_AIE_MAX_ROWS; r++)
      for (unsigned c = 0; c < SPX_CS_AIE_MAX_COLS; c++) {
        tile_acc_t *a = &t->tiles[r][c];
        if (!a->busy) continue;
        st->tiles_used++;
        st->busy_sum += a->busy;
        if (a->busy > worst) {
          worst = a->busy;
          st->load_cycles = a->load;
          st->compute_cycles = a->comp;
          st->store_cycles = a->store;
        }
      }
    st->array_cycles = worst;
    st->cycles = st->ddr_read_cycles + worst + st->ddr_write_cycles;
    emit(t, SPX_SIM_AIE_TRACK_DDR, 0, 0, "ddr read", t->now,
         st->ddr_read_cycles);
    emit(t, SPX_SIM_AIE_TRACK_DDR, 0, 0, "ddr write",
         t->now + st->ddr_read_cycles + worst, st->ddr_write_cycles);
  }
  t->now += st->cycles;
  if (out) *out = *st;
}

static uint32_t tensor_bytes(const spx_sim_aie_source_t *s, uint16_t id) {
  return id == SPX_CS_NONE ? 0 : s->tensor_bytes(s->ctx, id);
}

/* An int8 element-wise host stage (add, relu, max/avg pool, global average
 * pool) that the model costs as array work. */
static int eltwise_layer(const spx_sim_aie_source_t *src,
                         const spx_cs_aie_layer_t *d) {
  if (d->mode != 1) return 0;
  if (d->op != SPX_CS_CPU_OP_ADD && d->op != SPX_CS_CPU_OP_RELU &&
      d->op != SPX_CS_CPU_OP_MAXPOOL && d->op != SPX_CS_CPU_OP_AVGPOOL &&
      d->op != SPX_CS_CPU_OP_GLOBAL_AVGPOOL)
    return 0;
  const uint16_t ids[5] = {d->out, d->in0, d->in1, d->in2, d->in3};
  for (unsigned k = 0; k < 5 && k < 1u + d->n_in; k++) {
    spx_cs_tensor_t tt;
    if (ids[k] == SPX_CS_NONE ||
        src->tensor(src->ctx, ids[k], &tt)->dtype != SPX_CS_DTYPE_INT8)
      return 0;
  }
  return 1;
}

/* Which activations stay in the memory tiles between layers (documented
 * in docs/targets.md, aie): a tensor written by an array layer (or an
 * array-costed element-wise stage) whose every reader is the next layer,
 * itself array work that reads it once (no spilled re-reads), and that
 * fits in half the memory tiles (cols x memtile_mem / 2; the other half is
 * left to the weights and bands of the two layers). Its aie.write and the
 * next layer's aie.load cost no DDR time. Returns a calloc'd flag per tensor
 * id (NULL if none), *n the size. */
static uint8_t *plan_onchip(const spx_sim_aie_source_t *src,
                            const spx_aie_mdesc_t *m, uint32_t *n) {
  uint32_t ids = 0;
  spx_cs_command_t c;
  for (uint32_t j = 1; j < src->command_count; j++) {
    src->get(src->ctx, j, &c);
    if (c.opcode != SPX_CS_OP_AIE_LAYER) continue;
    const spx_cs_aie_layer_t *d = &SPX_CS_U(c, aie_layer);
    const uint16_t io[5] = {d->out, d->in0, d->in1, d->in2, d->in3};
    for (unsigned k = 0; k < 5; k++)
      if (io[k] != SPX_CS_NONE && io[k] >= ids) ids = io[k] + 1u;
  }
  *n = 0;
  if (!ids) return NULL;
  /* per tensor: writer layer + 1 (0 none), state 0 unseen / 1 ok / 2 no */
  uint32_t *writer = calloc(ids, sizeof *writer);
  uint8_t *ok = calloc(ids, 1);
  if (!writer || !ok) {
    free(writer);
    free(ok);
    return NULL;
  }
  uint32_t layer = 0;
  int array_work = 0;
  for (uint32_t j = 1; j < src->command_count; j++) {
    src->get(src->ctx, j, &c);
    if (c.opcode == SPX_CS_OP_AIE_LOAD && SPX_CS_U(c, aie_load).tensor < ids &&
        c.iterations > 1)
      ok[SPX_CS_U(c, aie_load).tensor] = 2; /* re-read per pass: it spills */
    if (c.opcode != SPX_CS_OP_AIE_LAYER) continue;
    const spx_cs_aie_layer_t *d = &SPX_CS_U(c, aie_layer);
    layer++;
    array_work = d->mode == 0 || eltwise_layer(src, d);
    const uint16_t ins[4] = {d->in0, d->in1, d->in2, d->in3};
    for (unsigned k = 0; k < d->n_in && k < 4; k++) {
      uint16_t id = ins[k];
      if (id == SPX_CS_NONE || id >= ids || ok[id] == 2) continue;
      ok[id] = writer[id] && writer[id] + 1 == layer && array_work ? 1 : 2;
    }
    if (d->out != SPX_CS_NONE && d->out < ids) {
      spx_cs_tensor_t tt;
      const spx_cs_tensor_t *o = src->tensor(src->ctx, d->out, &tt);
      if (writer[d->out] || !array_work ||
          2ull * o->ws_size > (uint64_t)m->cols * m->memtile_mem)
        ok[d->out] = 2;
      writer[d->out] = layer;
    }
  }
  for (uint32_t i = 0; i < ids; i++) ok[i] = ok[i] == 1;
  free(writer);
  *n = ids;
  return ok;
}

static void start_layer(timer_t_ *t, const spx_cs_command_t *c, uint32_t j) {
  const spx_sim_aie_source_t *src = t->src;
  memset(&t->st, 0, sizeof t->st);
  memset(t->tiles, 0, sizeof t->tiles);
  t->seg.tile = -1;
  t->decl = SPX_CS_U(*c, aie_layer);
  t->layer = SPX_CS_U(*c, aie_layer).layer;
  t->name = c->name ? c->name : "";
  t->st.first_command = j;
  const spx_cs_aie_layer_t *d = &t->decl;
  spx_cs_tensor_t tin, tout;
  const spx_cs_tensor_t *in = src->tensor(src->ctx, d->in0, &tin);
  const spx_cs_tensor_t *out = src->tensor(src->ctx, d->out, &tout);
  uint64_t out_elems = out->ws_size / (spx_cs_dtype_size(out->dtype) ? spx_cs_dtype_size(out->dtype) : 1);
  t->weights = NULL;
  if (d->op == SPX_CS_CPU_OP_CONV2D || d->op == SPX_CS_CPU_OP_DENSE) {
    uint16_t enc = 0;
    t->is_cbr = 0;
    t->is_tern = 0;
    if (src->blob) t->weights = src->blob(src->ctx, d->weights, &enc);
    if (enc == SPX_CS_ENC_CBR && t->weights && src->blob_size &&
        spx_fmt_cbr_open(t->weights, src->blob_size(src->ctx, d->weights), NULL,
                         &t->cbr, NULL) == SPX_RT_OK &&
        t->cbr.dims.groups == 1)
      t->is_cbr = 1;
    /* Ternary: every MAC runs (the core expands the codes to int8), plus
     * the decoding of the codes (SPX_AIE_TERN_CODES_PER_CYCLE). */
    if (enc == SPX_CS_ENC_TERNARY && t->weights && src->blob_size &&
        spx_fmt_ternary_open(t->weights, src->blob_size(src->ctx, d->weights), NULL,
                             &t->tern, NULL) == SPX_RT_OK)
      t->is_tern = 1;
    t->st.ternary = (uint8_t)t->is_tern;
    if (enc != SPX_CS_ENC_DENSE) t->weights = NULL;
    if (d->op == SPX_CS_CPU_OP_DENSE) {
      t->cin = in->dims[1];
      t->khw = 1;
    } else {
      t->cin = in->dims[1] / (d->groups ? d->groups : 1);
      t->khw = (uint32_t)d->kh * d->kw;
    }
    t->st.macs = out_elems * t->cin * t->khw;
  }
  if (d->mode == 1) {
    /* Host stage: DDR in + DDR out + element ops (window per output).
     * Element-wise int8 stages are array work instead (eltwise_layer):
     * inputs that stay in the memory tiles are not read from DDR, an output
     * that stays there is not written. */
    spx_sim_aie_layer_stats_t *st = &t->st;
    const uint16_t ins[4] = {d->in0, d->in1, d->in2, d->in3};
    int elt = eltwise_layer(src, d);
    uint64_t in_bytes = 0;
    st->host = 1;
    st->eltwise = (uint8_t)elt;
    for (unsigned k = 0; k < d->n_in && k < 4; k++) {
      uint64_t b = tensor_bytes(src, ins[k]);
      in_bytes += b;
      if (elt && is_onchip(t, ins[k])) st->onchip_bytes += b;
      else st->ddr_read_bytes += b;
    }
    if (elt && is_onchip(t, d->out)) st->onchip_bytes += tensor_bytes(src, d->out);
    else st->ddr_write_bytes = tensor_bytes(src, d->out);
    uint64_t ops = out_elems;
    if (d->op == SPX_CS_CPU_OP_MAXPOOL || d->op == SPX_CS_CPU_OP_AVGPOOL)
      ops *= (uint64_t)d->kh * d->kw;
    else if (d->op == SPX_CS_CPU_OP_GLOBAL_AVGPOOL)
      ops = in->ws_size / (spx_cs_dtype_size(in->dtype) ? spx_cs_dtype_size(in->dtype) : 1);
    else if (d->op == SPX_CS_CPU_OP_CONV2D || d->op == SPX_CS_CPU_OP_DENSE)
      ops = st->macs;
    st->effective_macs = st->macs;
    st->ddr_read_cycles = spx_aie_xfer_cycles(
        &t->m, st->ddr_read_bytes, (uint64_t)t->m.ddr_read_mbps * t->m.ddr_channels);
    st->ddr_write_cycles = spx_aie_xfer_cycles(&t->m, st->ddr_write_bytes,
                                               t->m.ddr_write_mbps);
    if (!elt) {
      st->compute_cycles = cdiv(ops, t->m.host_ops_per_cycle);
      st->cycles = st->ddr_read_cycles + st->compute_cycles + st->ddr_write_cycles;
      emit(t, SPX_SIM_AIE_TRACK_HOST, 0, 0, "host", t->now, st->cycles);
      return;
    }
    /* Array work: every tile takes 1/tiles of the elements; its inputs
     * stream memory tile -> tile and its output back at core_mbps, the
     * vector unit does SPX_AIE_VEC_OPS ops per cycle; the tensor goes through
     * in bands, so the pipelined rule: max(load, compute, store). */
    uint64_t tiles = (uint64_t)t->m.rows * t->m.cols;
    uint64_t out_bytes = tensor_bytes(src, d->out);
    st->tiles_used = (uint32_t)tiles;
    st->mt_to_tile_bytes = in_bytes;
    st->tile_to_mt_bytes = out_bytes;
    st->load_cycles = spx_aie_xfer_cycles(&t->m, cdiv(in_bytes, tiles), t->m.core_mbps);
    st->compute_cycles = cdiv(ops, SPX_AIE_VEC_OPS * tiles);
    st->store_cycles = spx_aie_xfer_cycles(&t->m, cdiv(out_bytes, tiles), t->m.core_mbps);
    uint64_t a = st->load_cycles > st->compute_cycles ? st->load_cycles : st->compute_cycles;
    st->array_cycles = a > st->store_cycles ? a : st->store_cycles;
    st->busy_sum = st->array_cycles * tiles;
    st->cycles = st->ddr_read_cycles + st->array_cycles + st->ddr_write_cycles;
    emit(t, SPX_SIM_AIE_TRACK_DDR, 0, 0, "ddr read", t->now, st->ddr_read_cycles);
    emit(t, SPX_SIM_AIE_TRACK_HOST, 0, 0, "eltwise on the array",
         t->now + st->ddr_read_cycles, st->array_cycles);
    emit(t, SPX_SIM_AIE_TRACK_DDR, 0, 0, "ddr write",
         t->now + st->ddr_read_cycles + st->array_cycles, st->ddr_write_cycles);
  }
}

int spx_aie_command_place(const spx_cs_command_t *c) {
  switch (c->opcode) {
  case SPX_CS_OP_AIE_LOADW:
  case SPX_CS_OP_AIE_LOADFM:
  case SPX_CS_OP_AIE_WRITEFM: return SPX_CS_U(*c, aie_loadw).row << 8 | SPX_CS_U(*c, aie_loadw).col;
  case SPX_CS_OP_AIE_COMP: return SPX_CS_U(*c, aie_comp).row << 8 | SPX_CS_U(*c, aie_comp).col;
  case SPX_CS_OP_AIE_LOCK_ACQ:
  case SPX_CS_OP_AIE_LOCK_REL:
    return SPX_CS_U(*c, aie_lock_acq).row << 8 | SPX_CS_U(*c, aie_lock_acq).col;
  }
  return -1;
}

/* The compute tile a command occupies (row << 8 | col), or -1 (memory
 * tiles and DDR run beside the tiles). */
static int tile_of(const spx_cs_command_t *c) {
  int k = spx_aie_command_place(c);
  return k >= 0 && (unsigned)(k >> 8) == SPX_CS_AIE_MEMTILE ? -1 : k;
}

const char *spx_sim_aie_time(const spx_sim_aie_source_t *src,
                             spx_aie_mdesc_t *out_mdesc,
                             spx_sim_aie_layer_stats_t *stats,
                             uint32_t max_layers, uint32_t *out_layers,
                             spx_sim_aie_event_fn event, void *user) {
  timer_t_ tt; /* about 2.5 KB of per-tile sums */
  timer_t_ *t = &tt;
  memset(t, 0, sizeof *t);
  t->src = src;
  t->event = event;
  t->user = user;
  t->seg.tile = -1;
  *out_layers = 0;
  if (!src->command_count) return "no commands";
  spx_cs_command_t c;
  src->get(src->ctx, 0, &c);
  if (c.opcode != SPX_CS_OP_AIE_CONFIG) return "command 0 is not aie.config";
  spx_aie_mdesc_from_config(&SPX_CS_U(c, aie_config), &t->m);
  if (out_mdesc) *out_mdesc = t->m;
  uint8_t *onchip = plan_onchip(src, &t->m, &t->n_onchip);
  t->onchip = onchip;
  int in_layer = 0;
  uint32_t nl = 0;
  for (uint32_t j = 1; j < src->command_count; j++) {
    src->get(src->ctx, j, &c);
    if (c.opcode == SPX_CS_OP_AIE_LAYER) {
      if (in_layer) {
        t->st.command_count = j - t->st.first_command;
        finish_layer_to(src, t, nl < max_layers && stats ? &stats[nl] : NULL);
        nl++;
      }
      start_layer(t, &c, j);
      in_layer = 1;
      continue;
    }
    if (!in_layer) {
      free(onchip);
      return "command before the first aie.layer";
    }
    int tile = tile_of(&c);
    if (t->seg.tile >= 0 && (tile != t->seg.tile || c.iterations != t->seg.n ||
                             c.iterations == 1))
      close_seg(t);
    if (tile >= 0 && t->seg.tile < 0) {
      t->seg.tile = tile;
      t->seg.n = c.iterations;
      t->seg.l = t->seg.c = t->seg.s = 0;
    }
    spx_sim_aie_layer_stats_t *st = &t->st;
    uint64_t n = c.iterations;
    switch (c.opcode) {
    case SPX_CS_OP_AIE_LOAD: {
      uint64_t b = (uint64_t)SPX_CS_U(c, aie_load).length * n;
      if (is_onchip(t, SPX_CS_U(c, aie_load).tensor)) { /* already in the memory tiles */
        st->onchip_bytes += b;
        break;
      }
      st->ddr_read_bytes += b;
      if (SPX_CS_U(c, aie_load).blob != SPX_CS_NONE) st->weight_ddr_bytes += b;
      st->ddr_read_cycles += spx_aie_xfer_cycles(
          &t->m, b, (uint64_t)t->m.ddr_read_mbps * t->m.ddr_channels);
      break;
    }
    case SPX_CS_OP_AIE_WRITE: {
      uint64_t b = (uint64_t)SPX_CS_U(c, aie_write).length * n;
      if (is_onchip(t, SPX_CS_U(c, aie_write).tensor)) { /* stays for the next layer */
        st->onchip_bytes += b;
        break;
      }
      st->ddr_write_bytes += b;
      st->ddr_write_cycles += spx_aie_xfer_cycles(&t->m, b, t->m.ddr_write_mbps);
      break;
    }
    case SPX_CS_OP_AIE_LOADW:
    case SPX_CS_OP_AIE_LOADFM: {
      uint64_t b = (uint64_t)SPX_CS_U(c, aie_loadw).length * (n / SPX_CS_U(c, aie_loadw).period);
      st->mt_to_tile_bytes += b;
      if (c.opcode == SPX_CS_OP_AIE_LOADW) st->weight_mt_to_tile_bytes += b;
      t->seg.l += spx_aie_xfer_cycles(&t->m, b, t->m.core_mbps);
      break;
    }
    case SPX_CS_OP_AIE_WRITEFM: {
      uint64_t b = (uint64_t)SPX_CS_U(c, aie_writefm).length * (n / SPX_CS_U(c, aie_writefm).period);
      st->tile_to_mt_bytes += b;
      t->seg.s += spx_aie_xfer_cycles(&t->m, b, t->m.core_mbps);
      break;
    }
    case SPX_CS_OP_AIE_COMP: {
      const spx_cs_aie_comp_t *p = &SPX_CS_U(c, aie_comp);
      uint64_t pix = (uint64_t)(p->oh1 - p->oh0) * (p->ow1 - p->ow0);
      uint64_t eff = (t->is_cbr ? spx_aie_cbr_block_macs(&t->cbr, p->oc0, p->oc1)
                                : spx_aie_block_macs(t->weights, t->cin, t->khw,
                                                     p->oc0, p->oc1, 0, t->cin)) *
                     pix;
      st->effective_macs += eff;
      t->seg.c += cdiv(eff, t->m.macs_per_cycle);
      if (t->is_tern && p->kc) {
        /* Every iteration decodes the codes of its input-channel chunk:
         * iterations / nk row-and-column bands, each the slice's codes
         * over all input channels. */
        uint32_t nk = (t->cin + p->kc - 1) / p->kc;
        uint64_t codes = (c.iterations / (nk ? nk : 1)) *
                         spx_aie_ternary_codes(t->tern.n, (uint32_t)(p->oc1 - p->oc0),
                                               t->cin, t->khw);
        uint64_t dc = cdiv(codes, SPX_AIE_TERN_CODES_PER_CYCLE);
        st->decode_cycles += dc;
        t->seg.c += dc;
      }
      break;
    }
    default: break; /* locks cost nothing */
    }
  }
  if (in_layer) {
    t->st.command_count = src->command_count - t->st.first_command;
    finish_layer_to(src, t, nl < max_layers && stats ? &stats[nl] : NULL);
    nl++;
  }
  *out_layers = nl;
  free(onchip);
  return NULL;
}
