/* aie_trace.c - Chrome trace events (JSON, loadable in Perfetto) of an aie
 * stream's timing model: one track per compute tile ("tile (r,c)"), one for
 * DDR transfers, one for host stages, one with the layers. Timestamps are
 * microseconds at the machine description's clock. The last event is an
 * instant "totals" event whose args give the total cycles and time. */
#include "runtime/targets/aie/aie.h"

#include <string.h>

typedef struct tctx {
  spx_tk_trace_t tw; /* the kit's writer (runtime/targets/kit/kit.h) */
  uint32_t freq, cols;
  uint64_t end;
  uint32_t layer;
  uint64_t layer_start;
  const char *layer_name;
} tctx_t;

/* cycles -> "123.456" microseconds (3 decimals, exact integer math). */
static void us(char *buf, size_t cap, uint64_t cycles, uint32_t freq) {
  uint64_t ns1000 = spx_tk_cycles_ns(cycles, freq); /* nanoseconds */
  spx_rt_format(buf, cap, "%llu.%03u", (unsigned long long)(ns1000 / 1000),
                (unsigned)(ns1000 % 1000));
}

static uint32_t tid_of(const tctx_t *t, const spx_sim_aie_event_t *e) {
  if (e->track == SPX_SIM_AIE_TRACK_DDR) return 1;
  if (e->track == SPX_SIM_AIE_TRACK_HOST) return 2;
  return 10 + (uint32_t)e->row * t->cols + e->col;
}

static void json_name(tctx_t *t, const char *s) {
  char buf[128];
  size_t k = 0;
  for (; *s && k + 2 < sizeof buf; s++)
    if (*s != '"' && *s != '\\') buf[k++] = *s;
  buf[k] = 0;
  spx_tk_trace_printf(&t->tw, "%s", buf);
}

static void on_event(void *user, const spx_sim_aie_event_t *e) {
  tctx_t *t = (tctx_t *)user;
  char ts[32], dur[32];
  us(ts, sizeof ts, e->start, t->freq);
  us(dur, sizeof dur, e->duration, t->freq);
  spx_tk_trace_printf(&t->tw, ",\n{\"ph\": \"X\", \"pid\": 1, \"tid\": %u, \"ts\": %s, "
                      "\"dur\": %s, \"name\": \"", (unsigned)tid_of(t, e), ts, dur);
  json_name(t, e->name);
  spx_tk_trace_printf(&t->tw, ": %s\", \"args\": {\"layer\": %u, \"cycles\": %llu}}", e->what,
      (unsigned)e->layer, (unsigned long long)e->duration);
  if (e->start + e->duration > t->end) t->end = e->start + e->duration;
}

static void src_get(const void *ctx, uint32_t i, spx_cs_command_t *o) {
  spx_cs_stream_command((const spx_cs_stream_t *)ctx, i, o);
}
static const int8_t *src_blob(const void *ctx, uint16_t id, uint16_t *enc) {
  spx_cs_blob_t b;
  spx_cs_stream_blob((const spx_cs_stream_t *)ctx, id, &b);
  *enc = b.encoding;
  return (const int8_t *)b.data;
}
static uint32_t src_blob_size(const void *ctx, uint16_t id) {
  spx_cs_blob_t b;
  spx_cs_stream_blob((const spx_cs_stream_t *)ctx, id, &b);
  return b.length;
}
static uint32_t src_tensor_bytes(const void *ctx, uint16_t id) {
  spx_cs_tensor_t tt;
  spx_cs_stream_tensor((const spx_cs_stream_t *)ctx, id, &tt);
  return tt.ws_size;
}
static const spx_cs_tensor_t *src_tensor(const void *ctx, uint16_t id,
                                         spx_cs_tensor_t *scratch) {
  spx_cs_stream_tensor((const spx_cs_stream_t *)ctx, id, scratch);
  return scratch;
}

int spx_sim_aie_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                            void *ctx, spx_rt_error_t *error) {
  tctx_t t;
  memset(&t, 0, sizeof t);
  spx_tk_trace_init(&t.tw, write, ctx);
  spx_sim_aie_source_t src = {s, s->command_count, src_get, src_blob,
                              src_tensor_bytes, src_blob_size, src_tensor, NULL, NULL};
  spx_aie_mdesc_t m;
  spx_cs_command_t c0;
  spx_cs_stream_command(s, 0, &c0);
  if (s->target != SPX_CS_TARGET_AIE || c0.opcode != SPX_CS_OP_AIE_CONFIG) {
    if (error) {
      error->status = SPX_RT_ERR_ARG;
      error->command = SPX_RT_NO_COMMAND;
      spx_rt_format(error->message, sizeof error->message,
                    "not an aie stream");
    }
    return -1;
  }
  spx_aie_mdesc_from_config(&SPX_CS_U(c0, aie_config), &m);
  t.freq = m.freq_mhz;
  t.cols = m.cols;
  spx_tk_trace_printf(&t.tw, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n"
          "{\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": "
          "{\"name\": \"aie %ux%u\"}}", (unsigned)m.rows, (unsigned)m.cols);
  spx_tk_trace_printf(&t.tw, ",\n{\"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"name\": "
                             "\"thread_name\", \"args\": {\"name\": \"DDR\"}}");
  spx_tk_trace_printf(&t.tw, ",\n{\"ph\": \"M\", \"pid\": 1, \"tid\": 2, \"name\": "
                             "\"thread_name\", \"args\": {\"name\": \"host\"}}");
  for (uint32_t r = 0; r < m.rows; r++)
    for (uint32_t c = 0; c < m.cols; c++)
      spx_tk_trace_printf(&t.tw, ",\n{\"ph\": \"M\", \"pid\": 1, \"tid\": %u, \"name\": "
              "\"thread_name\", \"args\": {\"name\": \"tile (%u,%u)\"}}",
          (unsigned)(10 + r * m.cols + c), (unsigned)r, (unsigned)c);
  uint32_t nl = 0;
  const char *why = spx_sim_aie_time(&src, NULL, NULL, 0, &nl, on_event, &t);
  if (why) {
    if (error) {
      error->status = SPX_RT_ERR_ARG;
      error->command = SPX_RT_NO_COMMAND;
      spx_rt_format(error->message, sizeof error->message, "%s", why);
    }
    return -1;
  }
  char ts[32];
  us(ts, sizeof ts, t.end, t.freq);
  spx_tk_trace_printf(&t.tw, ",\n{\"ph\": \"i\", \"pid\": 1, \"tid\": 1, \"s\": \"g\", \"ts\": %s, "
          "\"name\": \"totals\", \"args\": {\"cycles\": %llu, \"layers\": %u, "
          "\"time_us\": %s}}\n]}\n", ts, (unsigned long long)t.end,
      (unsigned)nl, ts);
  if (t.tw.failed && error) {
    error->status = SPX_RT_ERR_ARG;
    error->command = SPX_RT_NO_COMMAND;
    spx_rt_format(error->message, sizeof error->message, "write failed");
  }
  return t.tw.failed ? -1 : 0;
}
