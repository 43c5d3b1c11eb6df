/* trace.c - the Chrome trace writer of the target kit (kit.h) and the
 * PE-array trace layout the bitserial and lpa simulators write. */
#include <stdarg.h>

#include "runtime/targets/kit/kit.h"

void spx_tk_trace_init(spx_tk_trace_t *t, spx_cs_write_fn write, void *ctx) {
  t->write = write;
  t->ctx = ctx;
  t->failed = 0;
  t->first = 1;
}

void spx_tk_trace_printf(spx_tk_trace_t *t, const char *fmt, ...) {
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

void spx_tk_trace_event(spx_tk_trace_t *t, const char *name, uint32_t tid, uint64_t ts_ns,
                        uint64_t dur_ns, const char *args) {
  spx_tk_trace_printf(t, "%s\n{\"name\": \"%s\", \"ph\": \"X\", \"pid\": 1, \"tid\": %u, "
                         "\"ts\": %llu.%03u, \"dur\": %llu.%03u%s%s}",
                      t->first ? "" : ",", name, (unsigned)tid,
                      (unsigned long long)(ts_ns / 1000), (unsigned)(ts_ns % 1000),
                      (unsigned long long)(dur_ns / 1000), (unsigned)(dur_ns % 1000),
                      *args ? ", \"args\": " : "", args);
  t->first = 0;
}

void spx_tk_trace_array_begin(spx_tk_trace_t *t, uint32_t rows, const char *track) {
  uint32_t r;
  spx_tk_trace_printf(t, "{\"displayTimeUnit\": \"ns\", \"traceEvents\": [");
  for (r = 0; r < rows && r < SPX_TK_TRACE_ROWS; ++r) {
    spx_tk_trace_printf(t, "%s\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, "
                           "\"tid\": %u, \"args\": {\"name\": \"%s %u\"}}",
                        t->first ? "" : ",", (unsigned)r, track, (unsigned)r);
    t->first = 0;
  }
  spx_tk_trace_printf(t, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %u, "
                         "\"args\": {\"name\": \"dram\"}},\n{\"name\": \"thread_name\", \"ph\": "
                         "\"M\", \"pid\": 1, \"tid\": %u, \"args\": {\"name\": \"layer\"}}",
                      SPX_TK_TRACE_TID_DRAM, SPX_TK_TRACE_TID_LAYER);
}

void spx_tk_trace_array_layer(spx_tk_trace_t *t, const char *name, uint64_t now, uint32_t mhz,
                              uint64_t latency, uint64_t dram, const uint64_t *rows_busy,
                              uint32_t nrows, const char *args) {
  uint32_t r;
  uint64_t ts = spx_tk_cycles_ns(now, mhz);
  spx_tk_trace_event(t, name, SPX_TK_TRACE_TID_LAYER, ts, spx_tk_cycles_ns(latency, mhz), args);
  if (dram) spx_tk_trace_event(t, name, SPX_TK_TRACE_TID_DRAM, ts, spx_tk_cycles_ns(dram, mhz), "");
  if (rows_busy)
    for (r = 0; r < nrows && r < SPX_TK_TRACE_ROWS; ++r)
      if (rows_busy[r]) spx_tk_trace_event(t, name, r, ts, spx_tk_cycles_ns(rows_busy[r], mhz), "");
}

spx_rt_status_t spx_tk_trace_end(spx_tk_trace_t *t, spx_rt_error_t *error) {
  spx_tk_trace_printf(t, "\n]}\n");
  if (t->failed) return spx_rt_error_set(error, SPX_RT_ERR_ARG, "trace write failed");
  return SPX_RT_OK;
}
