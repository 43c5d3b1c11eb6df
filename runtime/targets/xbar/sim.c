/* sim.c - the crossbar simulator device (xbar.h): xbar.host layers through
 * the cpu kernels, xbar.mvm layers read by read on the arrays - ideal (exact
 * c: bit-exact with the cpu device) or nonideal (IR drop through the tiles'
 * transfer matrices, the column ADCs). No allocation: the state (counters,
 * transfer matrices) lives in the caller's workspace after the cpu layout.
 */
#include <stdarg.h>
#include <string.h>

#include "runtime/kernels/kernels_internal.h"
#include "runtime/targets/xbar/xbar.h"

/* ---- one decoded layer ------------------------------------------------------ */

typedef struct layer {
  spx_cs_command_t cmd;
  const spx_cs_cpu_layer_t *l;
  spx_rt_layer_decoded_t d;
  /* xbar.mvm */
  spx_xbar_mdesc_t md;
  spx_xbar_geom_t g;
  spx_fmt_binary_view_t w;
  spx_xbar_tiling_t t;
  uint32_t read;
} layer_t;

static const char *lname(const layer_t *L) {
  return L->cmd.name && L->cmd.name[0] ? L->cmd.name : "unnamed";
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

static int decode(const spx_cs_stream_t *s, uint32_t i, layer_t *L, spx_rt_error_t *err) {
  memset(L, 0, sizeof *L);
  spx_cs_stream_command(s, i, &L->cmd);
  if (L->cmd.opcode != SPX_CS_OP_XBAR_MVM && L->cmd.opcode != SPX_CS_OP_XBAR_HOST)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "opcode is not run by the xbar simulator"), -1;
  L->l = &L->cmd.u.cpu_layer;
  if (spx_rt_layer_decode(s, L->l, &L->d, err) != SPX_RT_OK) return -1;
  if (L->cmd.opcode == SPX_CS_OP_XBAR_MVM) {
    spx_cs_blob_t mb;
    const spx_cs_xbar_mvm_t *mvm = &SPX_CS_U(L->cmd, xbar_mvm);
    spx_cs_stream_blob(s, mvm->mdesc, &mb);
    if (spx_xbar_mdesc_decode(mb.data, mb.length, &L->md))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "bad machine description blob"), -1;
    if (spx_xbar_geom_init(&L->g, L->l, &L->d.rec[0], &L->d.rec[4]))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "not a conv2d or dense the arrays run"), -1;
    if (!L->d.blobp[0] || !L->d.blobp[2] || !L->d.blobp[3])
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "missing weights or requant blobs"), -1;
    if (spx_xbar_weights_open(&L->w, &L->g, L->d.blobs[0].encoding, L->d.blobs[0].data,
                              L->d.blobs[0].length, err))
      return -1;
    L->t.tile_m = mvm->tile_m;
    L->t.tile_k = mvm->tile_k;
    L->t.tile_p = mvm->tile_p;
    L->t.tiles = L->cmd.iterations;
    L->read = mvm->read_rows;
  }
  spx_rt_error_clear(err);
  return 0;
}

/* ---- the state in the workspace -------------------------------------------- */

#define STATE_MAGIC 0x5342415258535053ull /* "SPSXRABS" */

typedef struct state_header {
  uint64_t magic;
  const uint8_t *stream; /* the model's stream bytes */
  uint64_t stream_size, t_hash;
} state_header_t;

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Doubles of the transfer matrices of a layer's tiles (nonideal mode). */
static size_t t_doubles(const layer_t *L) {
  if (L->md.mode != SPX_XBAR_MODE_NONIDEAL) return 0;
  return (size_t)L->t.tile_m * L->t.tile_k * L->t.tiles;
}

static size_t state_offset(const spx_rt_model_t *m) {
  return align16(m->scratch_offset + m->scratch_size);
}

/* FNV-1a 64 over the matrices' 64-bit words. */
static uint64_t hash_words(const double *t, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  size_t k;
  for (k = 0; k < n; ++k) {
    uint64_t x;
    memcpy(&x, &t[k], sizeof x);
    h ^= x;
    h *= 0x100000001b3ull;
  }
  return h;
}

typedef struct state_view {
  state_header_t *hdr;
  spx_xbar_counts_t *counts; /* [command_count] */
  double *t;                 /* every mvm layer's matrices, in command order */
  size_t t_count;
} state_view_t;

static void state_view(const spx_rt_model_t *m, uint8_t *ws, size_t t_count, state_view_t *v) {
  uint8_t *p = ws + state_offset(m);
  v->hdr = (state_header_t *)(void *)p;
  v->counts = (spx_xbar_counts_t *)(void *)(p + align16(sizeof(state_header_t)));
  v->t = (double *)(void *)(p + align16(sizeof(state_header_t)) +
                            align16(m->stream.command_count * sizeof(spx_xbar_counts_t)));
  v->t_count = t_count;
}

/* ---- device ----------------------------------------------------------------- */

/* Scratch of an mvm layer's run: one im2col column (int8, K), the
 * accumulators (int32, M); building its matrices: the cells of one array
 * and the solver's scratch. */
static size_t mvm_scratch(const layer_t *L) {
  size_t run = align16((size_t)L->g.k) + align16((size_t)L->g.cout * 4);
  size_t build = 0;
  if (L->md.mode == SPX_XBAR_MODE_NONIDEAL)
    build = align16((size_t)L->md.rows * (size_t)L->md.cols) +
            spx_xbar_solver_scratch((uint32_t)L->md.rows, (uint32_t)L->md.cols) +
            (size_t)L->md.rows * (size_t)L->md.cols * sizeof(double);
  return run > build ? run : build;
}

static spx_rt_status_t sim_initialize(const spx_rt_device_t *device, const spx_cs_stream_t *s,
                                      spx_rt_model_t *m, spx_rt_error_t *error) {
  size_t max_scratch = 0, t_count = 0;
  uint32_t i;
  layer_t L;
  memset(m, 0, sizeof *m);
  spx_rt_error_clear(error);
  spx_rt_status_t bad = spx_tk_sim_check_stream(device, s, error);
  if (bad != SPX_RT_OK) return bad;
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    size_t need;
    if (decode(s, i, &L, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    if (L.cmd.opcode == SPX_CS_OP_XBAR_MVM &&
        (bad = spx_tk_sim_check_hash(s, i, lname(&L), spx_xbar_mdesc_hash(&L.md), error)) != SPX_RT_OK)
      return bad;
    if (spx_rt_layer_validate(&L.d.layer, &e) != SPX_RT_OK)
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    need = SPX_RT_ALIGN16(spx_rt_layer_scratch_size(&L.d.layer));
    if (L.cmd.opcode == SPX_CS_OP_XBAR_MVM) {
      size_t mv = mvm_scratch(&L);
      if (mv > need) need = mv;
      t_count += t_doubles(&L);
    }
    if (need > max_scratch) max_scratch = need;
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  m->workspace_size = state_offset(m) + align16(sizeof(state_header_t)) +
                      align16(s->command_count * sizeof(spx_xbar_counts_t)) +
                      t_count * sizeof(double);
  return SPX_RT_OK;
}

/* Builds the transfer matrices of layer L's tiles into t (tile after tile,
 * each tile_m x tile_k: t[(r - m0) * tile_k + (i - k0)]): the tile sits at
 * the array's first rows and columns, every other cell non-conducting. */
static int build_matrices(const layer_t *L, double *t, uint8_t *scratch) {
  spx_xbar_net_t net;
  const uint32_t R = (uint32_t)L->md.rows, C = (uint32_t)L->md.cols;
  const uint32_t tk = (uint32_t)ceil_div(L->g.k, L->t.tile_k);
  uint8_t *on = scratch;
  double *full = (double *)(void *)(scratch + align16((size_t)R * C));
  void *solver = full + (size_t)R * C;
  uint32_t tile;
  spx_xbar_net_of(&L->md, &net);
  for (tile = 0; tile < L->t.tiles; ++tile) {
    uint32_t m0 = tile / tk * L->t.tile_m, k0 = tile % tk * L->t.tile_k, r, i;
    double *tt = t + (size_t)tile * L->t.tile_m * L->t.tile_k;
    memset(on, 0, (size_t)R * C);
    for (r = m0; r < m0 + L->t.tile_m && r < L->g.cout; ++r)
      for (i = k0; i < k0 + L->t.tile_k && i < L->g.k; ++i)
        on[(size_t)(i - k0) * C + (r - m0)] = (uint8_t)spx_fmt_binary_stored(&L->w, r, i);
    /* Drives on the tile's rows only; full[j * tile_k + i]. */
    if (spx_xbar_transfer(&net, on, L->t.tile_k, full, solver)) return -1;
    memcpy(tt, full, (size_t)L->t.tile_m * L->t.tile_k * sizeof *tt);
  }
  return 0;
}

/* The state for this model: kept if the header matches, else rebuilt. */
static spx_rt_status_t state_ready(const spx_rt_model_t *m, uint8_t *ws, uint8_t *scratch,
                                   state_view_t *v, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  size_t t_count = 0, off = 0;
  uint32_t i;
  layer_t L;
  for (i = 0; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_cs_stream_command(s, i, &c);
    if (c.opcode != SPX_CS_OP_XBAR_MVM) continue;
    if (decode(s, i, &L, error)) return SPX_RT_ERR_ARG;
    t_count += t_doubles(&L);
  }
  state_view(m, ws, t_count, v);
  if (v->hdr->magic == STATE_MAGIC && v->hdr->stream == s->data &&
      v->hdr->stream_size == s->size && v->hdr->t_hash == hash_words(v->t, t_count))
    return SPX_RT_OK;
  memset(v->counts, 0, s->command_count * sizeof *v->counts);
  for (i = 0; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_cs_stream_command(s, i, &c);
    if (c.opcode != SPX_CS_OP_XBAR_MVM) continue;
    if (decode(s, i, &L, error)) return SPX_RT_ERR_ARG;
    if (!t_doubles(&L)) continue;
    if (build_matrices(&L, v->t + off, scratch))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): tile_k %u is more "
                                 "than the array rows", (unsigned)i, lname(&L),
                                 (unsigned)L.t.tile_k);
    off += t_doubles(&L);
  }
  v->hdr->magic = STATE_MAGIC;
  v->hdr->stream = s->data;
  v->hdr->stream_size = s->size;
  v->hdr->t_hash = hash_words(v->t, t_count);
  return SPX_RT_OK;
}

/* c as the nonideal array senses it: the column current per volt of drive
 * (the transfer matrix over the driven rows), digitised by the ADC (full
 * scale: n conducting driven cells with no IR drop), turned back into a
 * count with the nominal conductances, clamped to what p and q allow. */
static uint32_t sense(const spx_xbar_net_t *net, int bits, double current, uint32_t n,
                      uint32_t p, uint32_t q) {
  double fs = (double)n * net->g_on, levels = (double)((1u << bits) - 1), code, est;
  uint32_t hi = p < q ? p : q;
  if (n == 0) return 0;
  code = current / fs * levels + 0.5;
  code = code < 0 ? 0 : code > levels ? levels : (double)(uint64_t)code;
  est = (code * fs / levels - (double)q * net->g_off) / (net->g_on - net->g_off) + 0.5;
  if (est < 0) return 0;
  return (uint64_t)est > hi ? hi : (uint32_t)(uint64_t)est;
}

/* One xbar.mvm layer on the arrays. t: its matrices (nonideal). */
static spx_rt_status_t run_mvm(const layer_t *L, uint8_t *ws, uint8_t *scratch, const double *t,
                               spx_xbar_counts_t *cnt, spx_rt_error_t *error, uint32_t index) {
  const spx_xbar_geom_t *g = &L->g;
  const spx_rt_layer_t *ly = &L->d.layer;
  const int8_t *in = (const int8_t *)(ws + ly->in[0]->offset);
  int8_t *out = (int8_t *)(ws + ly->out->offset);
  int8_t *x = (int8_t *)scratch;
  int32_t *acc = (int32_t *)(void *)(scratch + align16((size_t)g->k));
  const int32_t *bias = (const int32_t *)ly->bias;
  const uint32_t tk = (uint32_t)ceil_div(g->k, L->t.tile_k);
  const uint32_t tm = (uint32_t)ceil_div(g->cout, L->t.tile_m);
  const int aflip = (L->w.flags & SPX_FMT_BINARY_AFLIP) != 0;
  const int nonideal = L->md.mode == SPX_XBAR_MODE_NONIDEAL;
  int32_t act_min, act_max;
  spx_xbar_net_t net;
  uint32_t n, oy, ox, r;
  spx_xbar_net_of(&L->md, &net);
  spx_rt_act_range_s8((spx_rt_act_t)ly->act, (spx_rt_quant_t){ly->out->scale,
                      ly->out->zero_point}, &act_min, &act_max);
  for (n = 0; n < g->n; ++n)
    for (oy = 0; oy < g->oh; ++oy)
      for (ox = 0; ox < g->ow; ++ox) {
        uint32_t i, a;
        /* The im2col column of this pixel, OIHW order within a row; 0 for
         * a padding tap. */
        for (i = 0; i < g->k; ++i) {
          uint32_t ci = i / (g->kh * g->kw), ky = i / g->kw % g->kh, kx = i % g->kw;
          int64_t iy = (int64_t)oy * g->sh - g->pad[0] + (int64_t)ky * g->dh;
          int64_t ix = (int64_t)ox * g->sw - g->pad[1] + (int64_t)kx * g->dw;
          int8_t val = 0;
          if (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w) {
            val = in[(((size_t)n * g->cin + ci) * g->h + (size_t)iy) * g->w + (size_t)ix];
            if (val != 1 && val != -1)
              return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, index,
                                         "command %u (%s): input %d is not +-1 (a binary "
                                         "layer's inputs come from sign)", (unsigned)index,
                                         lname(L), (int)val);
          }
          x[i] = val;
        }
        for (r = 0; r < g->cout; ++r) acc[r] = 0;
        for (a = 0; a < tk; ++a) {
          uint32_t k0 = a * L->t.tile_k;
          uint32_t k1 = k0 + L->t.tile_k < g->k ? k0 + L->t.tile_k : (uint32_t)g->k;
          uint32_t s0;
          for (s0 = k0; s0 < k1; s0 += L->read) {
            uint32_t s1 = s0 + L->read < k1 ? s0 + L->read : k1;
            uint32_t nn = 0, ones = 0, q, b;
            int af;
            for (i = s0; i < s1; ++i) {
              nn += x[i] != 0;
              ones += x[i] == 1;
            }
            if (!nn) continue; /* every tap is padding: no read */
            af = aflip && spx_fmt_binary_flip_rule(ones, nn);
            q = af ? nn - ones : ones;
            cnt->reads += tm;
            cnt->driven += (uint64_t)q * tm;
            cnt->act_flips += (uint64_t)af;
            for (b = 0; b < tm; ++b) {
              uint32_t m0 = b * L->t.tile_m;
              uint32_t m1 = m0 + L->t.tile_m < g->cout ? m0 + L->t.tile_m : (uint32_t)g->cout;
              const double *tt =
                  nonideal ? t + (size_t)(b * tk + a) * L->t.tile_m * L->t.tile_k : NULL;
              for (r = m0; r < m1; ++r) {
                uint32_t p = 0, c = 0, sensed;
                double cur = 0;
                for (i = s0; i < s1; ++i) {
                  int st, d;
                  if (!x[i]) continue;
                  st = spx_fmt_binary_stored(&L->w, r, i);
                  d = (x[i] == 1) != af; /* driven */
                  p += (uint32_t)st;
                  c += (uint32_t)(st & d);
                  if (tt && d) cur += tt[(size_t)(r - m0) * L->t.tile_k + (i - k0)];
                }
                cnt->conducting += c;
                sensed = tt ? sense(&net, L->md.adc_bits, cur, nn, p, q) : c;
                acc[r] += spx_fmt_binary_column_sum(sensed, p, q, nn,
                                                    spx_fmt_binary_flipped(&L->w, r), af);
              }
            }
          }
        }
        /* The output stage of the cpu's conv2d/dense (zero input point:
         * acc + bias), per channel. */
        for (r = 0; r < g->cout; ++r) {
          uint32_t qc = ly->multiplier_count == 1 ? 0 : r;
          int32_t v = acc[r] + (bias ? bias[r] : 0);
          size_t o = g->oh == 1 && g->ow == 1 && ly->out->rank == 2
                         ? (size_t)n * g->cout + r
                         : (((size_t)n * g->cout + r) * g->oh + oy) * g->ow + ox;
          out[o] = spx_k_out_s8(v, ly->out->zero_point, ly->multiplier[qc], (int)ly->shift[qc],
                                act_min, act_max);
        }
      }
  cnt->runs++;
  return SPX_RT_OK;
}

static void stream_mdesc(const spx_cs_stream_t *s, spx_xbar_mdesc_t *md);

/* The cycles a layer took, as the run hooks want them: for an xbar.mvm, the
 * arrays it used, each counted busy for the layer's compute cycles. */
static void report_cycles(const spx_rt_run_hooks_t *hooks, uint32_t i, const layer_t *L,
                          const spx_xbar_mdesc_t *md) {
  spx_xbar_cost_t c;
  spx_rt_cycles_t r;
  memset(&r, 0, sizeof r);
  r.unit = "host";
  if (L->cmd.opcode == SPX_CS_OP_XBAR_MVM) {
    spx_xbar_mvm_cost(&L->md, &L->g, &L->w, &L->t, L->read, &c);
    r.unit = "array";
    r.units = c.arrays_used;
    r.busy = c.compute * c.arrays_used;
  } else {
    spx_xbar_host_cost(md, L->l, L->d.recp, &c);
  }
  r.cycles = c.latency;
  r.compute_cycles = c.compute;
  r.memory_cycles = c.dram;
  r.bound = r.compute_cycles >= r.memory_cycles ? "compute" : "dram";
  hooks->cycles(hooks->user, i, &r);
}

static spx_rt_status_t sim_run(const spx_rt_model_t *m, const float *const *inputs,
                               float *const *outputs, void *workspace, size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace, *scratch;
  uint32_t i, it;
  size_t off = 0;
  layer_t L;
  state_view_t v;
  spx_xbar_mdesc_t md;
  spx_rt_status_t st;
  spx_rt_error_clear(error);
  st = spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (st != SPX_RT_OK) return st;
  if (workspace_size < m->workspace_size)
    return spx_rt_error_set(error, SPX_RT_ERR_BUFFER, "workspace of %zu bytes, the model needs "
                            "%zu", workspace_size, m->workspace_size);
  scratch = ws + m->scratch_offset;
  if ((st = state_ready(m, ws, scratch, &v, error)) != SPX_RT_OK) return st;
  if (hooks && hooks->cycles) stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    st = SPX_RT_OK;
    if (decode(s, i, &L, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    if (hooks && hooks->before) hooks->before(hooks->user, i, L.cmd.name ? L.cmd.name : "");
    if (L.cmd.opcode == SPX_CS_OP_XBAR_MVM) {
      st = run_mvm(&L, ws, scratch, v.t + off, &v.counts[i], error, i);
      off += t_doubles(&L);
      if (st != SPX_RT_OK) {
        if (hooks && hooks->after) hooks->after(hooks->user, i, L.cmd.name ? L.cmd.name : "", st);
        return st;
      }
    } else {
      for (it = 0; it < L.cmd.iterations && st == SPX_RT_OK; ++it)
        st = spx_rt_layer_run_prepared(&L.d.layer, spx_rt_model_prepared(m, i), ws, scratch,
                                       m->scratch_size);
    }
    if (hooks && hooks->after) hooks->after(hooks->user, i, L.cmd.name ? L.cmd.name : "", st);
    if (st != SPX_RT_OK)
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s", (unsigned)i, lname(&L),
                                 spx_rt_status_name(st));
    if (hooks && hooks->output)
      hooks->output(hooks->user, i, L.cmd.name ? L.cmd.name : "", &L.d.rec[4],
                    ws + L.d.rec[4].ws_offset);
    if (hooks && hooks->cycles) report_cycles(hooks, i, &L, &md);
  }
  return spx_rt_model_collect_outputs(m, outputs, ws, error);
}

int spx_sim_xbar_counts(const spx_rt_model_t *m, const void *ws, uint32_t i,
                        spx_xbar_counts_t *out) {
  state_view_t v;
  memset(out, 0, sizeof *out);
  if (m->device != &spx_sim_xbar_device || i >= m->stream.command_count) return -1;
  state_view(m, (uint8_t *)(uintptr_t)ws, 0, &v);
  if (v.hdr->magic != STATE_MAGIC || v.hdr->stream != m->stream.data) return -1;
  *out = v.counts[i];
  return 0;
}

/* ---- costs, report, trace ---------------------------------------------------- */

static spx_rt_status_t layer_cost(const spx_cs_stream_t *s, uint32_t i, layer_t *L,
                                  spx_xbar_cost_t *c, spx_xbar_mdesc_t *md,
                                  spx_rt_error_t *error) {
  spx_rt_error_t e;
  if (decode(s, i, L, &e))
    return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                               lname(L), e.message);
  if (L->cmd.opcode == SPX_CS_OP_XBAR_MVM) {
    *md = L->md;
    spx_xbar_mvm_cost(&L->md, &L->g, &L->w, &L->t, L->read, c);
  } else {
    spx_xbar_host_cost(md, L->l, L->d.recp, c);
  }
  return SPX_RT_OK;
}

static uint16_t mvm_mdesc(const spx_cs_command_t *c) {
  return c->opcode == SPX_CS_OP_XBAR_MVM ? SPX_CS_U(*c, xbar_mvm).mdesc : SPX_CS_NONE;
}

static void stream_mdesc(const spx_cs_stream_t *s, spx_xbar_mdesc_t *md) {
  int64_t v[SPX_XBAR_MDESC_COUNT];
  spx_tk_stream_mdesc(s, &spx_target_xbar_mdesc, mvm_mdesc, v);
  spx_xbar_mdesc_from_values(v, md);
}

spx_rt_status_t spx_sim_xbar_cost(const spx_cs_stream_t *s, spx_xbar_cost_t *costs, uint32_t cap,
                                  spx_rt_error_t *error) {
  spx_xbar_mdesc_t md;
  layer_t L;
  uint32_t i;
  spx_rt_status_t st;
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_XBAR)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not an xbar stream");
  if (cap < s->command_count)
    return spx_rt_error_set(error, SPX_RT_ERR_BUFFER,
                            "room for %u costs, the stream has %u commands", (unsigned)cap,
                            (unsigned)s->command_count);
  stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i)
    if ((st = layer_cost(s, i, &L, &costs[i], &md, error)) != SPX_RT_OK) return st;
  return SPX_RT_OK;
}

static void wprintf_(spx_cs_write_fn write, void *ctx, int *failed, const char *fmt, ...)
    SPX_RT_PRINTF_(4, 5);
static void wprintf_(spx_cs_write_fn write, void *ctx, int *failed, const char *fmt, ...) {
  char buf[512];
  size_t n;
  va_list ap;
  if (*failed) return;
  va_start(ap, fmt);
  n = spx_rt_vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= sizeof buf) n = sizeof buf - 1;
  if (write(ctx, buf, n)) *failed = 1;
}

/* The report's "target" object: per layer its cycles and bytes, and for the
 * arrays' layers the counters of the runs made with this workspace. */
/* Command i's counters summed over the workspaces that ran it. */
static void counts_sum(const spx_rt_model_t *m, const void *const *wss, unsigned n, uint32_t i,
                       spx_xbar_counts_t *out) {
  unsigned w;
  memset(out, 0, sizeof *out);
  for (w = 0; w < n; ++w) {
    spx_xbar_counts_t k;
    if (spx_sim_xbar_counts(m, wss[w], i, &k)) continue;
    out->runs += k.runs;
    out->reads += k.reads;
    out->driven += k.driven;
    out->conducting += k.conducting;
    out->act_flips += k.act_flips;
  }
}

static spx_rt_status_t sim_write_report(const spx_rt_model_t *m, const void *const *wss,
                                        unsigned n_ws, spx_cs_write_fn write, void *ctx,
                                        spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  spx_xbar_mdesc_t md;
  spx_xbar_cost_t c;
  layer_t L;
  uint32_t i;
  int failed = 0;
  uint64_t tot_lat = 0, tot_cond = 0, tot_driven = 0, tot_reads = 0, tot_stored = 0;
  spx_rt_status_t st;
  stream_mdesc(s, &md);
  wprintf_(write, ctx, &failed, "{\"mode\": \"%s\", \"rows\": %d, \"cols\": %d, \"arrays\": %d, "
           "\"layers\": [", md.mode == SPX_XBAR_MODE_NONIDEAL ? "nonideal" : "ideal",
           (int)md.rows, (int)md.cols, (int)md.arrays);
  for (i = 0; i < s->command_count; ++i) {
    spx_xbar_counts_t k;
    if ((st = layer_cost(s, i, &L, &c, &md, error)) != SPX_RT_OK) return st;
    tot_lat += c.latency;
    wprintf_(write, ctx, &failed, "%s\n      {\"index\": %u, \"unit\": \"%s\", \"latency_cycles\": "
             "%llu, \"dram_bytes\": %llu", i ? "," : "", (unsigned)i,
             L.cmd.opcode == SPX_CS_OP_XBAR_MVM ? "arrays" : "host",
             (unsigned long long)c.latency, (unsigned long long)c.dram_bytes);
    if (L.cmd.opcode == SPX_CS_OP_XBAR_MVM) {
      counts_sum(m, wss, n_ws, i, &k);
      tot_cond += k.conducting;
      tot_driven += k.driven;
      tot_reads += k.reads;
      tot_stored += c.stored_on;
      wprintf_(write, ctx, &failed, ", \"tiles\": %u, \"arrays_used\": %u, \"read_rows\": %u, "
               "\"cells\": %llu, \"stored_conducting\": %llu, \"weight_flips\": %s, "
               "\"activation_flips\": %s, \"runs\": %llu, \"reads\": %llu, \"driven_rows\": "
               "%llu, \"conducting_cells\": %llu, \"flipped_subvectors\": %llu",
               (unsigned)c.tiles, (unsigned)c.arrays_used, (unsigned)L.read,
               (unsigned long long)c.cells, (unsigned long long)c.stored_on,
               (L.w.flags & SPX_FMT_BINARY_WFLIP) ? "true" : "false",
               (L.w.flags & SPX_FMT_BINARY_AFLIP) ? "true" : "false",
               (unsigned long long)k.runs, (unsigned long long)k.reads,
               (unsigned long long)k.driven, (unsigned long long)k.conducting,
               (unsigned long long)k.act_flips);
    }
    wprintf_(write, ctx, &failed, "}");
  }
  wprintf_(write, ctx, &failed, "\n    ], \"latency_cycles\": %llu, \"stored_conducting\": %llu, "
           "\"reads\": %llu, \"driven_rows\": %llu, \"conducting_cells\": %llu}",
           (unsigned long long)tot_lat, (unsigned long long)tot_stored,
           (unsigned long long)tot_reads, (unsigned long long)tot_driven,
           (unsigned long long)tot_cond);
  if (failed) return spx_rt_error_set(error, SPX_RT_ERR_ARG, "report write failed");
  return SPX_RT_OK;
}

static spx_rt_status_t sim_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                       void *ctx, void *scratch, spx_rt_error_t *error) {
  spx_xbar_mdesc_t md;
  layer_t L;
  spx_tk_trace_t t;
  spx_xbar_cost_t *c = (spx_xbar_cost_t *)scratch;
  uint64_t now = 0;
  uint32_t i;
  spx_rt_status_t st;
  spx_tk_trace_init(&t, write, ctx);
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_XBAR)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not an xbar stream");
  stream_mdesc(s, &md);
  /* The kit's array layout: a track per array (its busy cycles). */
  spx_tk_trace_array_begin(&t, (uint32_t)md.arrays < 64u ? (uint32_t)md.arrays : 64u, "array");
  for (i = 0; i < s->command_count; ++i) {
    char args[256];
    uint64_t busy[64];
    uint32_t a, nb = 0;
    if ((st = layer_cost(s, i, &L, c, &md, error)) != SPX_RT_OK) return st;
    spx_rt_format(args, sizeof args,
                  "{\"op\": \"%s\", \"unit\": \"%s\", \"compute_cycles\": %llu, "
                  "\"write_cycles\": %llu, \"dram_cycles\": %llu, \"tiles\": %u}",
                  spx_cs_cpu_op_name(L.l->op) ? spx_cs_cpu_op_name(L.l->op) : "?",
                  L.cmd.opcode == SPX_CS_OP_XBAR_MVM ? "arrays" : "host",
                  (unsigned long long)c->compute, (unsigned long long)c->writes,
                  (unsigned long long)c->dram, (unsigned)c->tiles);
    if (L.cmd.opcode == SPX_CS_OP_XBAR_MVM) {
      nb = c->arrays_used < 64u ? c->arrays_used : 64u;
      for (a = 0; a < nb; ++a) busy[a] = c->compute + c->writes;
    }
    spx_tk_trace_array_layer(&t, L.cmd.name ? L.cmd.name : "", now, (uint32_t)md.clock_mhz,
                             c->latency, c->dram, nb ? busy : NULL, nb, args);
    now += c->latency;
  }
  return spx_tk_trace_end(&t, error);
}

/* layer_opcodes: xbar.host layers run on the cpu kernels, with the weights
 * spx_rt_model_prepare prepared; xbar.mvm layers on the array model. */
const spx_rt_device_t spx_sim_xbar_device = {"sim",   SPX_CS_TARGET_XBAR,      sim_initialize,
                                             sim_run, sizeof(spx_xbar_cost_t), sim_write_trace,
                                             sim_write_report, {SPX_CS_OP_XBAR_HOST}, 0};
