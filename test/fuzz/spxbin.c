/* spxbin.c - libFuzzer harness: a .spxbin command stream through the runtime.
 *
 * The buffer is copied to 64-byte aligned memory (as a file read into malloc
 * memory would be) and loaded with spx_cs_stream_load. A stream that loads
 * is disassembled (what spx-objdump prints; to a sink), then prepared with
 * spx_rt_model_initialize and run once with spx_rt_model_run on the stream's
 * own target's default device and on the cpu device (when that is another
 * device), inputs all zeros. Runs whose workspace would exceed 64 MiB are
 * skipped. Every step may refuse the stream; none may crash. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/device/spx_device.h"
#include "runtime/stream/spx_stream.h"

#define MAX_WORKSPACE ((size_t)64 << 20)

static int sink_write(void *ctx, const void *data, size_t size) {
  (void)data;
  *(size_t *)ctx += size;
  return 0;
}

static void run_on(const spx_rt_device_t *dev, const spx_cs_stream_t *s) {
  spx_rt_model_t m;
  spx_rt_error_t e;
  if (spx_rt_model_initialize(dev, s, &m, &e) != SPX_RT_OK) return;
  size_t ws_size = spx_rt_model_workspace_size(&m);
  if (ws_size > MAX_WORKSPACE) return;
  uint32_t n_in = s->input_count, n_out = s->output_count;
  size_t total = 0;
  for (uint32_t i = 0; i < n_in; i++) total += spx_rt_model_input_count(&m, i);
  for (uint32_t i = 0; i < n_out; i++) total += spx_rt_model_output_count(&m, i);
  if (total > MAX_WORKSPACE / sizeof(float)) return;
  float *io = calloc(total + 1, sizeof *io);
  const float **ins = calloc(n_in + 1, sizeof *ins);
  float **outs = calloc(n_out + 1, sizeof *outs);
  void *ws = NULL;
  if (posix_memalign(&ws, 16, ws_size ? ws_size : 16) != 0) abort();
  if (!io || !ins || !outs) abort();
  size_t at = 0;
  for (uint32_t i = 0; i < n_in; i++) {
    ins[i] = io + at;
    at += spx_rt_model_input_count(&m, i);
  }
  for (uint32_t i = 0; i < n_out; i++) {
    outs[i] = io + at;
    at += spx_rt_model_output_count(&m, i);
  }
  spx_rt_model_run(&m, ins, outs, ws, ws_size, NULL, &e);
  free(ws);
  free(outs);
  free(ins);
  free(io);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Exactly `size` bytes, so that ASan sees any read past the end. */
  void *mem = NULL;
  if (posix_memalign(&mem, 64, size ? size : 1) != 0) abort();
  uint8_t *copy = mem;
  if (size) memcpy(copy, data, size);
  spx_cs_stream_t s;
  spx_cs_status_t st;
  if (spx_cs_stream_load(copy, size, &s, &st) == SPX_CS_OK) {
    size_t printed = 0;
    spx_cs_stream_disassemble(&s, sink_write, &printed, &st);
    const spx_rt_device_t *own = spx_rt_device_for_target(NULL, s.target);
    const spx_rt_device_t *cpu = spx_rt_device_find("cpu");
    if (own) run_on(own, &s);
    if (cpu && cpu != own) run_on(cpu, &s);
  }
  free(copy);
  return 0;
}
