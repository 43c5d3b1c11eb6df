/* sim.c - the LP array simulator device: runs a loaded lpa stream
 * functionally (every layer through spx_rt_layer_run: the LP kernels of
 * runtime/kernels/spx_lp.c and the int8 driver, so the outputs are the cpu
 * device's bit for bit), and costs it (cost.c) for reports and traces. No
 * allocation: the model lives in caller memory, every run uses the caller's
 * workspace. */
#include <stdarg.h>
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
  if (s->target != device->target) {
    const char *t = spx_cs_target_name(s->target);
    return spx_rt_error_set(error, SPX_RT_ERR_ARG,
                            "stream target is %s; the %s device runs %s streams only",
                            t ? t : "unknown", device->name, spx_cs_target_name(device->target));
  }
  for (i = 0; i < s->input_count; ++i) {
    spx_cs_tensor_t t;
    spx_cs_stream_tensor(s, spx_cs_stream_input(s, i), &t);
    if (t.dtype != SPX_CS_DTYPE_F32 && t.dtype != SPX_CS_DTYPE_INT8)
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "input %u is neither f32 nor int8",
                              (unsigned)i);
  }
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    size_t need;
    if (decode(s, i, &L, &e))
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    if (L.cmd.opcode == SPX_CS_OP_LPA_PE && spx_lpa_mdesc_hash(&L.md) != s->mdesc_hash)
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i,
                                 "command %u (%s): field 'mdesc': machine description hash "
                                 "0x%016llx differs from the header's 0x%016llx",
                                 (unsigned)i, lname(&L),
                                 (unsigned long long)spx_lpa_mdesc_hash(&L.md),
                                 (unsigned long long)s->mdesc_hash);
    if (spx_rt_layer_validate(&L.d.layer, &e) != SPX_RT_OK)
      return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i, "command %u (%s): %s", (unsigned)i,
                                 lname(&L), e.message);
    need = SPX_RT_ALIGN16(spx_rt_layer_scratch_size(&L.d.layer));
    if (need > max_scratch) max_scratch = need;
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  return SPX_RT_OK;
}

static spx_rt_status_t sim_run(const spx_rt_model_t *m, const float *const *inputs,
                               float *const *outputs, void *workspace, size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace, *scratch;
  uint32_t i, it;
  layer_t L;
  spx_rt_status_t staged;
  spx_rt_error_clear(error);
  staged = spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (staged != SPX_RT_OK) return staged;
  scratch = ws + m->scratch_offset;
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
      st = spx_rt_layer_run(&L.d.layer, ws, scratch, m->scratch_size);
    } else {
      for (it = 0; it < L.cmd.iterations && st == SPX_RT_OK; ++it)
        st = spx_rt_layer_run(&L.d.layer, ws, scratch, m->scratch_size);
    }
    if (hooks && hooks->after) hooks->after(hooks->user, i, L.cmd.name ? L.cmd.name : "", st);
    if (st != SPX_RT_OK)
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s", (unsigned)i, lname(&L),
                                 spx_rt_status_name(st));
  }
  return spx_rt_model_collect_outputs(m, outputs, ws, error);
}

static spx_rt_status_t sim_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                       void *ctx, void *scratch, spx_rt_error_t *error) {
  return spx_sim_lpa_write_trace(s, write, ctx, (spx_lpa_cost_t *)scratch, error);
}

const spx_rt_device_t spx_sim_lpa_device = {"sim",   SPX_CS_TARGET_LPA,      sim_initialize,
                                            sim_run, sizeof(spx_lpa_cost_t), sim_write_trace};

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

/* The machine description of a stream: its first lpa.pe's, else defaults. */
static void stream_mdesc(const spx_cs_stream_t *s, spx_lpa_mdesc_t *md) {
  uint32_t i;
  spx_lpa_mdesc_init_default(md);
  for (i = 0; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_cs_blob_t b;
    spx_cs_stream_command(s, i, &c);
    if (c.opcode != SPX_CS_OP_LPA_PE) continue;
    spx_cs_stream_blob(s, SPX_CS_U(c, lpa_pe).mdesc, &b);
    if (spx_lpa_mdesc_decode(b.data, b.length, md)) spx_lpa_mdesc_init_default(md);
    return;
  }
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

typedef struct tw {
  spx_cs_write_fn write;
  void *ctx;
  int failed;
  int first;
} tw_t;

static void emit(tw_t *t, const char *fmt, ...) SPX_RT_PRINTF_(2, 3);
static void emit(tw_t *t, const char *fmt, ...) {
  char buf[512];
  size_t n;
  va_list ap;
  if (t->failed) return;
  va_start(ap, fmt);
  n = spx_rt_vformat(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= sizeof buf) n = sizeof buf - 1;
  if (t->write(t->ctx, buf, n)) t->failed = 1;
}

/* An event; ts/dur in ns printed as us with 3 decimals. */
static void event(tw_t *t, const char *name, uint32_t tid, uint64_t ts_ns, uint64_t dur_ns,
                  const char *args) {
  emit(t, "%s\n{\"name\": \"%s\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, "
          "\"ts\": %llu.%03u, \"dur\": %llu.%03u%s%s}",
       t->first ? "" : ",", name, (unsigned)tid, (unsigned long long)(ts_ns / 1000),
       (unsigned)(ts_ns % 1000), (unsigned long long)(dur_ns / 1000),
       (unsigned)(dur_ns % 1000), *args ? ", \"args\": " : "", args);
  t->first = 0;
}

spx_rt_status_t spx_sim_lpa_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                        void *ctx, spx_lpa_cost_t *c, spx_rt_error_t *error) {
  spx_lpa_mdesc_t md;
  layer_t L;
  tw_t t = {0, 0, 0, 1};
  uint64_t now = 0; /* cycles */
  uint32_t i, r;
  spx_rt_status_t st;
  t.write = write;
  t.ctx = ctx;
  spx_rt_error_clear(error);
  if (s->target != SPX_CS_TARGET_LPA)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "not an lpa stream");
  stream_mdesc(s, &md);
#define NS(cyc) ((cyc) * 1000u / (uint64_t)md.clock_mhz)
  emit(&t, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [");
  for (r = 0; r < (uint32_t)md.rows && r < 1024; ++r) {
    emit(&t, "%s\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, "
             "\"tid\": %u, \"args\": {\"name\": \"PE row %u\"}}",
         t.first ? "" : ",", (unsigned)r, (unsigned)r);
    t.first = 0;
  }
  emit(&t, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1000, "
           "\"args\": {\"name\": \"dram\"}},\n{\"name\": \"thread_name\", \"ph\": "
           "\"M\", \"pid\": 1, \"tid\": 1001, \"args\": {\"name\": \"layer\"}}");
  for (i = 0; i < s->command_count; ++i) {
    char args[320];
    const char *name;
    if ((st = layer_cost(s, i, &L, c, &md, error)) != SPX_RT_OK) return st;
    name = L.cmd.name ? L.cmd.name : "";
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
    event(&t, name, 1001, NS(now), NS(c->latency[SPX_LPA_LPA]), args);
    if (c->dram[SPX_LPA_LPA]) event(&t, name, 1000, NS(now), NS(c->dram[SPX_LPA_LPA]), "");
    if (L.cmd.opcode == SPX_CS_OP_LPA_PE)
      for (r = 0; r < c->nrows && r < 1024; ++r)
        if (c->rows_busy[r]) event(&t, name, r, NS(now), NS(c->rows_busy[r]), "");
    now += c->latency[SPX_LPA_LPA];
  }
#undef NS
  emit(&t, "\n]}\n");
  if (t.failed) return spx_rt_error_set(error, SPX_RT_ERR_ARG, "trace write failed");
  return SPX_RT_OK;
}
