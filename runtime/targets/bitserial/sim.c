/* bs_sim.c - the bit-serial simulator device: runs a loaded bitserial
 * stream functionally (bs.pe layers bit column by bit column, bs.host layers
 * with the cpu kernels), and costs it (bs_cost.c) for reports and traces.
 * No allocation: the model lives in caller memory, every run uses the
 * caller's workspace. */
#include <string.h>

#include "runtime/targets/bitserial/bitserial.h"




/* ---- one decoded layer ------------------------------------------------------ */

typedef struct layer {
  spx_cs_command_t cmd;
  const spx_cs_cpu_layer_t *l; /* the cpu.layer view of either opcode */
  spx_rt_layer_decoded_t d; /* records, blobs and the cpu kernels' layer */
  /* bs.pe */
  spx_sim_bs_mdesc_t md;
  spx_sim_bs_geom_t g;
  spx_sim_bs_weights_t w;
  spx_sim_bs_tiling_t t;
} layer_t;

static const char *lname(const layer_t *L) {
  return L->cmd.name && L->cmd.name[0] ? L->cmd.name : "unnamed";
}

/* Decodes command i; on failure *why says what is wrong. full: check every
 * byte of encoded weights (traces of a stream nothing checked); initialize
 * and runs reopen them: the loader checked every byte of a bs.pe layer's
 * weights (check.c, spx_sim_bs_weights_open: the format's validate). */
static int decode(const spx_cs_stream_t *s, uint32_t i, layer_t *L, int full,
                  spx_rt_error_t *err) {
  memset(L, 0, sizeof *L);
  spx_cs_stream_command(s, i, &L->cmd);
  if (L->cmd.opcode != SPX_CS_OP_BS_PE && L->cmd.opcode != SPX_CS_OP_BS_HOST) {
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "opcode is not run by the bitserial simulator");
  }
  /* Both opcodes begin with the cpu.layer members (opcodes_bitserial.h). */
  L->l = &L->cmd.u.cpu_layer;
  if (spx_rt_layer_decode(s, L->l, &L->d, err) != SPX_RT_OK) return -1;
  if (L->cmd.opcode == SPX_CS_OP_BS_PE) {
    spx_cs_blob_t mb;
    const spx_cs_bs_pe_t *pe = &SPX_CS_U(L->cmd, bs_pe);
    spx_cs_stream_blob(s, pe->mdesc, &mb);
    if (spx_sim_bs_mdesc_decode(mb.data, mb.length, &L->md)) {
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "bad machine description blob");
    }
    if (spx_sim_bs_geom_init(&L->g, L->l, &L->d.rec[0], &L->d.rec[4], &L->md)) {
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "not an int8 conv2d or dense");
    }
    if (!L->d.blobp[0] || !L->d.blobp[2] || !L->d.blobp[3]) {
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "missing weights or requant blobs");
    }
    if ((full ? spx_sim_bs_weights_open : spx_sim_bs_weights_reopen)(
            &L->w, &L->g, &L->md, L->d.blobs[0].encoding, L->d.blobs[0].data,
            L->d.blobs[0].length, err))
      return -1;
    L->t.tile_m = pe->tile_m;
    L->t.tile_k = pe->tile_k;
    L->t.tile_p = pe->tile_p;
    L->t.tiles = L->cmd.iterations;
  }
  spx_rt_error_clear(err);
  return 0;
}

/* ---- the bit-serial dot product --------------------------------------------- */

/* One group against its activations a[0..n), as the PE computes it: per bit
 * column and half, the ones or (when they are the majority) the zeros. */
static int32_t group_dot(const spx_sim_bs_group_t *gr, const int32_t *a,
                         unsigned half) {
  int32_t ap[32], sum_a = 0, half_sum[32] = {0}, acc = 0;
  unsigned i, c, h, nh = (gr->n + half - 1) / half;
  for (i = 0; i < gr->n; ++i) {
    ap[i] = (gr->neg >> i & 1u) ? -a[i] : a[i];
    sum_a += a[i];
    half_sum[i / half] += ap[i];
  }
  for (c = 0; c < gr->ncols; ++c) {
    for (h = 0; h < nh; ++h) {
      unsigned lo = h * half, hi = lo + half < gr->n ? lo + half : gr->n;
      uint32_t mask = 0, bits;
      int32_t psum = 0;
      mask = (hi - lo >= 32 ? 0xffffffffu : (((uint32_t)1 << (hi - lo)) - 1u)) << lo;
      bits = gr->bits[c] & mask;
      if (2 * spx_sim_bs_popcount32(bits) > hi - lo) {
        /* more ones than zeros: sum(a) - sum over the zeros */
        uint32_t zeros = ~bits & mask;
        for (i = lo; i < hi; ++i)
          if (zeros >> i & 1u) psum += ap[i];
        psum = half_sum[h] - psum;
      } else {
        for (i = lo; i < hi; ++i)
          if (bits >> i & 1u) psum += ap[i];
      }
      acc += gr->colw[c] * psum;
    }
  }
  return acc + gr->const_mul * sum_a;
}

static spx_rt_status_t run_pe(const layer_t *L, uint8_t *ws, int32_t *a,
                              size_t a_cap) {
  const spx_sim_bs_geom_t *g = &L->g;
  const int8_t *in = (const int8_t *)(ws + L->d.rec[0].ws_offset);
  int8_t *out = (int8_t *)(ws + L->d.rec[4].ws_offset);
  const int32_t *bias = L->d.blobp[1] ? (const int32_t *)L->d.blobs[1].data : NULL;
  const int32_t *mult = (const int32_t *)L->d.blobs[2].data;
  const int32_t *shift = (const int32_t *)L->d.blobs[3].data;
  uint32_t nmult = L->d.blobs[2].length / 4;
  int32_t zin = L->d.rec[0].zero_point, zout = L->d.rec[4].zero_point;
  int32_t lo, hi;
  uint32_t cblocks = (g->cin_g + g->gsize - 1) / g->gsize;
  uint32_t cout_g = g->cout / g->groups;
  uint32_t n, oy, ox, grp, kg, r;
  spx_rt_quant_t oq;
  unsigned half = (unsigned)L->md.lanes / 2;
  oq.scale = L->d.rec[4].scale;
  oq.zero_point = zout;
  spx_rt_act_range_s8((spx_rt_act_t)L->l->act, oq, &lo, &hi);
  if ((size_t)g->groups * g->kgroups * g->gsize > a_cap) return SPX_RT_ERR_BUFFER;
  for (n = 0; n < g->n; ++n)
    for (oy = 0; oy < g->oh; ++oy)
      for (ox = 0; ox < g->ow; ++ox) {
        /* The activation vectors of every conv group in group order (tap,
         * channel block, lane), a = x - z_in, 0 in the padding. */
        for (grp = 0; grp < g->groups; ++grp)
          for (kg = 0; kg < g->kgroups; ++kg) {
            uint32_t tap = kg / cblocks, cb = kg % cblocks;
            uint32_t ky = tap / g->kw, kx = tap % g->kw, i;
            int64_t iy = (int64_t)oy * g->sh + (int64_t)ky * g->dh - g->pad[0];
            int64_t ix = (int64_t)ox * g->sw + (int64_t)kx * g->dw - g->pad[1];
            int inside = iy >= 0 && iy < g->h && ix >= 0 && ix < g->w;
            for (i = 0; i < g->gsize; ++i) {
              uint32_t c = cb * g->gsize + i;
              int32_t v = 0;
              if (c < g->cin_g && inside) {
                size_t idx = (((size_t)n * g->cin + grp * g->cin_g + c) * g->h +
                              (size_t)iy) * g->w + (size_t)ix;
                v = (int32_t)in[idx] - zin;
              }
              a[((size_t)grp * g->kgroups + kg) * g->gsize + i] = v;
            }
          }
        /* Array rows in the weights' channel order. */
        for (r = 0; r < g->cout; ++r) {
          uint32_t m = spx_sim_bs_channel_at(&L->w, r);
          const int32_t *ag = a + (size_t)(m / cout_g) * g->kgroups * g->gsize;
          int32_t acc, v;
          uint32_t q = nmult == g->cout ? m : 0;
          if (m >= g->cout) return SPX_RT_ERR_ARG;
          acc = bias ? bias[m] : 0;
          for (kg = 0; kg < g->kgroups; ++kg) {
            spx_sim_bs_group_t gr;
            if (spx_sim_bs_group_get(&L->w, r, kg, &gr)) return SPX_RT_ERR_ARG;
            acc += group_dot(&gr, ag + (size_t)kg * g->gsize, half);
          }
          v = zout + spx_rt_mbqm(acc, mult[q], shift[q]);
          v = v < lo ? lo : v > hi ? hi : v;
          out[(((size_t)n * g->cout + m) * g->oh + oy) * g->ow + ox] = (int8_t)v;
        }
      }
  return SPX_RT_OK;
}

/* ---- device ----------------------------------------------------------------- */

/* The larger of the datapath model's activation vectors and the cpu
 * kernels' scratch: a PE layer runs on either. */
static size_t layer_scratch(const layer_t *L) {
  size_t cpu = SPX_RT_ALIGN16(spx_rt_layer_scratch_size(&L->d.layer));
  size_t pe = L->cmd.opcode == SPX_CS_OP_BS_PE
                  ? SPX_RT_ALIGN16((size_t)L->g.groups * L->g.kgroups * L->g.gsize *
                                   sizeof(int32_t))
                  : 0;
  return pe > cpu ? pe : cpu;
}

static spx_rt_status_t sim_initialize(const spx_rt_device_t *device,
                                      const spx_cs_stream_t *s,
                                      spx_rt_model_t *m,
                                      spx_rt_error_t *error) {
  size_t max_scratch = 0;
  uint32_t i;
  layer_t L;
  memset(m, 0, sizeof *m);
  spx_rt_error_clear(error);
  spx_rt_status_t bad = spx_tk_sim_check_stream(device, s, error);
  if (bad != SPX_RT_OK) return bad;
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    if (decode(s, i, &L, 0, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                  lname(&L), e.message);
    if (L.cmd.opcode == SPX_CS_OP_BS_PE) {
      spx_sim_bs_group_t gr;
      if ((bad = spx_tk_sim_check_hash(s, i, lname(&L), spx_sim_bs_mdesc_hash(&L.md), error)) !=
          SPX_RT_OK)
        return bad;
      if (spx_sim_bs_group_get(&L.w, L.g.cout - 1, L.g.kgroups - 1, &gr))
        return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i,
                    "command %u (%s): field 'weights': %s weights of %u bytes "
                    "cannot be read as %u x %u groups", (unsigned)i, lname(&L),
                    spx_cs_encoding_name(L.w.encoding), (unsigned)L.w.size,
                    (unsigned)L.g.cout, (unsigned)L.g.kgroups);
    }
    /* shapes and quantization; a bs.pe layer's weights the loader checked
     * byte by byte (decode above), a bs.host layer has none */
    if ((L.cmd.opcode == SPX_CS_OP_BS_PE ? spx_rt_layer_check : spx_rt_layer_validate)(
            &L.d.layer, &e) != SPX_RT_OK)
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                  lname(&L), e.message);
    if (layer_scratch(&L) > max_scratch) max_scratch = layer_scratch(&L);
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  return SPX_RT_OK;
}

static void stream_mdesc(const spx_cs_stream_t *s, spx_sim_bs_mdesc_t *md);

/* The cycles a layer took on the bbs design (the simulated machine), as the
 * run hooks want them: per PE row busy cycles for a bs.pe layer. */
static void report_cycles(const spx_rt_run_hooks_t *hooks, uint32_t i, const layer_t *L,
                          const spx_sim_bs_mdesc_t *md) {
  spx_sim_bs_cost_t c;
  spx_rt_cycles_t r;
  uint32_t k;
  memset(&r, 0, sizeof r);
  r.unit = "host";
  if (L->cmd.opcode == SPX_CS_OP_BS_PE) {
    if (spx_sim_bs_pe_cost_bbs(&L->md, &L->w, &L->t, &c)) return;
    r.unit = "pe row";
    r.units = c.nrows;
    for (k = 0; k < c.nrows && k < 1024; ++k) r.busy += c.rows_busy[k];
  } else {
    spx_sim_bs_host_cost(md, L->l, L->d.recp, &c);
  }
  r.cycles = c.latency[SPX_SIM_BS_BBS];
  r.compute_cycles = c.compute[SPX_SIM_BS_BBS];
  r.memory_cycles = c.dram[SPX_SIM_BS_BBS];
  r.bound = r.compute_cycles >= r.memory_cycles ? "compute" : "dram";
  hooks->cycles(hooks->user, i, &r);
}

static spx_rt_status_t sim_run(const spx_rt_model_t *m,
                               const float *const *inputs,
                               float *const *outputs, void *workspace,
                               size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks,
                               spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace, *scratch;
  uint32_t i, it;
  layer_t L;
  spx_sim_bs_mdesc_t md;
  spx_rt_error_clear(error);
  spx_rt_status_t staged =
      spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (staged != SPX_RT_OK) return staged;
  scratch = ws + m->scratch_offset;
  if (hooks && hooks->cycles) stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    spx_rt_status_t st = SPX_RT_OK;
    if (decode(s, i, &L, 0, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                  lname(&L), e.message);
    if (hooks && hooks->before) hooks->before(hooks->user, i, L.cmd.name ? L.cmd.name : "");
    if (L.cmd.opcode == SPX_CS_OP_BS_PE) {
      /* The tiles partition the layer; computing it whole gives the same
       * values (int32 accumulation is exact), so one pass stands for all
       * `iterations` tiles: by default through the cpu kernels (the format's
       * descriptor computes the same int32 sums), with the datapath model
       * bit column by bit column when asked. */
      if (m->flags & SPX_RT_MODEL_DATAPATH)
        st = run_pe(&L, ws, (int32_t *)(void *)scratch, m->scratch_size / 4);
      else
        st = spx_rt_layer_run_prepared(&L.d.layer, spx_rt_model_prepared(m, i), ws, scratch,
                                       m->scratch_size);
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

static spx_rt_status_t sim_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                       void *ctx, void *scratch, spx_rt_error_t *error) {
  return spx_sim_bitserial_write_trace(s, write, ctx, (spx_sim_bs_cost_t *)scratch, error);
}

/* layer_opcodes: both opcodes' values come from the cpu kernels (bs.pe: unless
 * --datapath), with the weights spx_rt_model_prepare decoded. */
const spx_rt_device_t spx_sim_bitserial_device = {
    "sim",   SPX_CS_TARGET_BITSERIAL,   sim_initialize,
    sim_run, sizeof(spx_sim_bs_cost_t), sim_write_trace, NULL, {SPX_CS_OP_BS_PE, SPX_CS_OP_BS_HOST}, 0};

/* ---- costs and traces ------------------------------------------------------- */

static spx_rt_status_t layer_cost(const spx_cs_stream_t *s, uint32_t i,
                                  layer_t *L, spx_sim_bs_cost_t *c,
                                  spx_sim_bs_mdesc_t *md,
                                  spx_rt_error_t *error) {
  spx_rt_error_t e;
  if (decode(s, i, L, 1, &e))
    return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                lname(L), e.message);
  if (L->cmd.opcode == SPX_CS_OP_BS_PE) {
    *md = L->md;
    if (spx_sim_bs_pe_cost(&L->md, &L->w, &L->t, c))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): unreadable weights",
                  (unsigned)i, lname(L));
  } else {
    spx_sim_bs_host_cost(md, L->l, L->d.recp, c);
  }
  return SPX_RT_OK;
}

static uint16_t pe_mdesc(const spx_cs_command_t *c) {
  return c->opcode == SPX_CS_OP_BS_PE ? SPX_CS_U(*c, bs_pe).mdesc : SPX_CS_NONE;
}

/* The machine description of a stream: its first bs.pe's, else defaults. */
static void stream_mdesc(const spx_cs_stream_t *s, spx_sim_bs_mdesc_t *md) {
  int64_t v[SPX_SIM_BS_MDESC_COUNT];
  spx_tk_stream_mdesc(s, &spx_target_bitserial_mdesc, pe_mdesc, v);
  spx_sim_bs_mdesc_from_values(v, md);
}

spx_rt_status_t spx_sim_bitserial_cost(const spx_cs_stream_t *s,
                                       spx_sim_bs_cost_t *costs, uint32_t cap,
                                       spx_rt_error_t *error) {
  spx_sim_bs_mdesc_t md;
  layer_t L;
  uint32_t i;
  spx_rt_status_t st;
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_BITSERIAL)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not a bitserial stream");
  if (cap < s->command_count)
    return spx_rt_error_set(error, SPX_RT_ERR_BUFFER, "room for %u costs, the stream has %u commands", (unsigned)cap,
                (unsigned)s->command_count);
  stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i)
    if ((st = layer_cost(s, i, &L, &costs[i], &md, error)) != SPX_RT_OK) return st;
  return SPX_RT_OK;
}

spx_rt_status_t spx_sim_bitserial_write_trace(const spx_cs_stream_t *s,
                                              spx_cs_write_fn write, void *ctx,
                                              spx_sim_bs_cost_t *c,
                                              spx_rt_error_t *error) {
  spx_sim_bs_mdesc_t md;
  layer_t L;
  spx_tk_trace_t t;
  uint64_t now = 0; /* cycles */
  uint32_t i;
  spx_rt_status_t st;
  spx_tk_trace_init(&t, write, ctx);
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_BITSERIAL)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not a bitserial stream");
  stream_mdesc(s, &md);
  spx_tk_trace_array_begin(&t, (uint32_t)md.rows, "PE row");
  for (i = 0; i < s->command_count; ++i) {
    char args[256];
    if ((st = layer_cost(s, i, &L, c, &md, error)) != SPX_RT_OK) return st;
    spx_rt_format(args, sizeof args,
                  "{\"op\": \"%s\", \"compute_cycles\": %llu, \"dram_cycles\": "
                  "%llu, \"dram_bytes\": %llu}",
                  spx_cs_cpu_op_name(L.l->op) ? spx_cs_cpu_op_name(L.l->op) : "?",
                  (unsigned long long)c->compute[SPX_SIM_BS_BBS],
                  (unsigned long long)c->dram[SPX_SIM_BS_BBS],
                  (unsigned long long)c->dram_bytes[SPX_SIM_BS_BBS]);
    spx_tk_trace_array_layer(&t, L.cmd.name ? L.cmd.name : "", now, (uint32_t)md.clock_mhz,
                             c->latency[SPX_SIM_BS_BBS], c->dram[SPX_SIM_BS_BBS],
                             L.cmd.opcode == SPX_CS_OP_BS_PE ? c->rows_busy : NULL, c->nrows,
                             args);
    now += c->latency[SPX_SIM_BS_BBS];
  }
  return spx_tk_trace_end(&t, error);
}
