/* sim.c - the LP array simulator device: runs a loaded lpa stream
 * functionally (every layer through spx_rt_layer_run: the LP kernels of
 * runtime/kernels/spx_lp.c and the int8 driver, so the outputs are the cpu
 * device's bit for bit), and costs it (cost.c) for reports and traces. No
 * allocation: the model lives in caller memory, every run uses the caller's
 * workspace. */
#include <string.h>

#include "runtime/targets/lpa/lpa.h"

/* ---- one decoded layer ------------------------------------------------------ */

typedef struct layer {
  spx_cs_command_t cmd;
  const spx_cs_cpu_layer_t *l; /* the cpu.layer view of either opcode */
  spx_rt_layer_decoded_t d;    /* records, blobs and the cpu kernels' layer */
  /* lpa.pe */
  spx_lpa_mdesc_t md;
  spx_lpa_geom_t g;
  spx_lpa_weights_t w;
  spx_lpa_tiling_t t;
} layer_t;

static const char *lname(const layer_t *L) {
  return L->cmd.name && L->cmd.name[0] ? L->cmd.name : "unnamed";
}

/* Decodes command i; on failure *err says what is wrong. */
static int decode(const spx_cs_stream_t *s, uint32_t i, layer_t *L, spx_rt_error_t *err) {
  memset(L, 0, sizeof *L);
  spx_cs_stream_command(s, i, &L->cmd);
  if (L->cmd.opcode != SPX_CS_OP_LPA_PE && L->cmd.opcode != SPX_CS_OP_LPA_HOST)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "opcode is not run by the lpa simulator"), -1;
  /* Both opcodes begin with the cpu.layer members (opcodes.h). */
  L->l = &L->cmd.u.cpu_layer;
  if (spx_rt_layer_decode(s, L->l, &L->d, err) != SPX_RT_OK) return -1;
  if (L->cmd.opcode == SPX_CS_OP_LPA_PE) {
    spx_cs_blob_t mb;
    const spx_cs_lpa_pe_t *pe = &SPX_CS_U(L->cmd, lpa_pe);
    spx_cs_stream_blob(s, pe->mdesc, &mb);
    if (spx_lpa_mdesc_decode(mb.data, mb.length, &L->md))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "bad machine description blob"), -1;
    if (spx_lpa_geom_init(&L->g, L->l, &L->d.rec[0], &L->d.rec[4]))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "not a conv2d or dense"), -1;
    if (!L->d.blobp[0] || !L->d.blobp[2] || !L->d.blobp[3])
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "missing weights or requant blobs"), -1;
    if (spx_lpa_weights_open(&L->w, &L->g, L->d.blobs[0].encoding, L->d.blobs[0].dtype,
                             L->d.blobs[0].data, L->d.blobs[0].length, err))
      return -1;
    L->t.tile_m = pe->tile_m;
    L->t.tile_k = pe->tile_k;
    L->t.tile_p = pe->tile_p;
    L->t.tiles = L->cmd.iterations;
  }
  spx_rt_error_clear(err);
  return 0;
}

/* ---- device ----------------------------------------------------------------- */

static spx_rt_status_t sim_initialize(const spx_rt_device_t *device, const spx_cs_stream_t *s,
                                      spx_rt_model_t *m, spx_rt_error_t *error) {
  size_t max_scratch = 0;
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
    if (L.cmd.opcode == SPX_CS_OP_LPA_PE &&
        (bad = spx_tk_sim_check_hash(s, i, lname(&L), spx_lpa_mdesc_hash(&L.md), error)) != SPX_RT_OK)
      return bad;
    if (spx_rt_layer_validate(&L.d.layer, &e) != SPX_RT_OK)
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    need = SPX_RT_ALIGN16(spx_rt_layer_scratch_size(&L.d.layer));
    if (need > max_scratch) max_scratch = need;
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  return SPX_RT_OK;
}

static void stream_mdesc(const spx_cs_stream_t *s, spx_lpa_mdesc_t *md);

/* The cycles a layer took on the lpa design (the simulated machine), as the
 * run hooks want them: per PE row busy cycles for an lpa.pe layer. */
static void report_cycles(const spx_rt_run_hooks_t *hooks, uint32_t i, const layer_t *L,
                          const spx_lpa_mdesc_t *md) {
  spx_lpa_cost_t c;
  spx_rt_cycles_t r;
  uint32_t k;
  memset(&r, 0, sizeof r);
  r.unit = "host";
  if (L->cmd.opcode == SPX_CS_OP_LPA_PE) {
    spx_lpa_pe_cost(&L->md, &L->g, &L->w, &L->t, &c);
    r.unit = "pe row";
    r.units = c.nrows;
    for (k = 0; k < c.nrows && k < 1024; ++k) r.busy += c.rows_busy[k];
  } else {
    spx_lpa_host_cost(md, L->l, L->d.recp, &c);
  }
  r.cycles = c.latency[SPX_LPA_LPA];
  r.compute_cycles = c.compute[SPX_LPA_LPA];
  r.memory_cycles = c.dram[SPX_LPA_LPA];
  r.bound = r.compute_cycles >= r.memory_cycles ? "compute" : "dram";
  hooks->cycles(hooks->user, i, &r);
}

static spx_rt_status_t sim_run(const spx_rt_model_t *m, const float *const *inputs,
                               float *const *outputs, void *workspace, size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace, *scratch;
  uint32_t i, it;
  layer_t L;
  spx_lpa_mdesc_t md;
  spx_rt_status_t staged;
  spx_rt_error_clear(error);
  staged = spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (staged != SPX_RT_OK) return staged;
  scratch = ws + m->scratch_offset;
  if (hooks && hooks->cycles) stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    spx_rt_status_t st = SPX_RT_OK;
    if (decode(s, i, &L, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    if (hooks && hooks->before) hooks->before(hooks->user, i, L.cmd.name ? L.cmd.name : "");
    if (L.cmd.opcode == SPX_CS_OP_LPA_PE) {
      /* The tiles partition the layer's outputs and a PE keeps its
       * accumulator over the k tiles in order, so the layer computed whole
       * by the cpu kernels gives the values of all `iterations` tiles. */
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
  return spx_sim_lpa_write_trace(s, write, ctx, (spx_lpa_cost_t *)scratch, error);
}

/* layer_opcodes: both opcodes' values come from the cpu kernels, with the weights
 * spx_rt_model_prepare prepared. */
const spx_rt_device_t spx_sim_lpa_device = {"sim",   SPX_CS_TARGET_LPA,      sim_initialize,
                                            sim_run, sizeof(spx_lpa_cost_t), sim_write_trace, NULL,
                                            {SPX_CS_OP_LPA_PE, SPX_CS_OP_LPA_HOST}, 0};

/* ---- costs and traces ------------------------------------------------------- */

static spx_rt_status_t layer_cost(const spx_cs_stream_t *s, uint32_t i, layer_t *L,
                                  spx_lpa_cost_t *c, spx_lpa_mdesc_t *md, spx_rt_error_t *error) {
  spx_rt_error_t e;
  if (decode(s, i, L, &e))
    return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                               lname(L), e.message);
  if (L->cmd.opcode == SPX_CS_OP_LPA_PE) {
    *md = L->md;
    spx_lpa_pe_cost(&L->md, &L->g, &L->w, &L->t, c);
  } else {
    spx_lpa_host_cost(md, L->l, L->d.recp, c);
  }
  return SPX_RT_OK;
}

static uint16_t pe_mdesc(const spx_cs_command_t *c) {
  return c->opcode == SPX_CS_OP_LPA_PE ? SPX_CS_U(*c, lpa_pe).mdesc : SPX_CS_NONE;
}

/* The machine description of a stream: its first lpa.pe's, else defaults. */
static void stream_mdesc(const spx_cs_stream_t *s, spx_lpa_mdesc_t *md) {
  int64_t v[SPX_LPA_MDESC_COUNT];
  spx_tk_stream_mdesc(s, &spx_target_lpa_mdesc, pe_mdesc, v);
  spx_lpa_mdesc_from_values(v, md);
}

spx_rt_status_t spx_sim_lpa_cost(const spx_cs_stream_t *s, spx_lpa_cost_t *costs, uint32_t cap,
                                 spx_rt_error_t *error) {
  spx_lpa_mdesc_t md;
  layer_t L;
  uint32_t i;
  spx_rt_status_t st;
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_LPA)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not an lpa stream");
  if (cap < s->command_count)
    return spx_rt_error_set(error, SPX_RT_ERR_BUFFER,
                            "room for %u costs, the stream has %u commands", (unsigned)cap,
                            (unsigned)s->command_count);
  stream_mdesc(s, &md);
  for (i = 0; i < s->command_count; ++i)
    if ((st = layer_cost(s, i, &L, &costs[i], &md, error)) != SPX_RT_OK) return st;
  return SPX_RT_OK;
}

spx_rt_status_t spx_sim_lpa_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                        void *ctx, spx_lpa_cost_t *c, spx_rt_error_t *error) {
  spx_lpa_mdesc_t md;
  layer_t L;
  spx_tk_trace_t t;
  uint64_t now = 0; /* cycles */
  uint32_t i;
  spx_rt_status_t st;
  spx_tk_trace_init(&t, write, ctx);
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_LPA)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not an lpa stream");
  stream_mdesc(s, &md);
  spx_tk_trace_array_begin(&t, (uint32_t)md.rows, "PE row");
  for (i = 0; i < s->command_count; ++i) {
    char args[320];
    if ((st = layer_cost(s, i, &L, c, &md, error)) != SPX_RT_OK) return st;
    spx_rt_format(args, sizeof args,
                  "{\"op\": \"%s\", \"mode\": \"%s\", \"compute_cycles\": %llu, "
                  "\"dram_cycles\": %llu, \"dram_bytes\": %llu, \"int8_latency_cycles\": %llu}",
                  spx_cs_cpu_op_name(L.l->op) ? spx_cs_cpu_op_name(L.l->op) : "?",
                  L.cmd.opcode != SPX_CS_OP_LPA_PE ? "host"
                  : L.w.encoding == SPX_FMT_LP      ? "lp"
                                                    : "int8",
                  (unsigned long long)c->compute[SPX_LPA_LPA],
                  (unsigned long long)c->dram[SPX_LPA_LPA],
                  (unsigned long long)c->dram_bytes[SPX_LPA_LPA],
                  (unsigned long long)c->latency[SPX_LPA_INT8]);
    spx_tk_trace_array_layer(&t, L.cmd.name ? L.cmd.name : "", now, (uint32_t)md.clock_mhz,
                             c->latency[SPX_LPA_LPA], c->dram[SPX_LPA_LPA],
                             L.cmd.opcode == SPX_CS_OP_LPA_PE ? c->rows_busy : NULL, c->nrows,
                             args);
    now += c->latency[SPX_LPA_LPA];
  }
  return spx_tk_trace_end(&t, error);
}
