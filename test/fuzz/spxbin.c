/* spxbin.c - libFuzzer harness: a .spxbin command stream through the runtime.
 *
 * The buffer is copied to 64-byte aligned memory (as a file read into malloc
 * memory would be) and its checksums are fixed up first - total_size set to
 * the buffer size, every blob's crc32 recomputed where its record lies in
 * the blobs section and its bytes in the weights section, then the header
 * crc32 (spx_cs_stream_seal) - or almost every mutation would only exercise
 * the crc check. Then it is loaded with spx_cs_stream_load. A stream that loads
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

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The container layout of spx_stream.h: a 96-byte header whose section
 * table starts at 32; blob records of 32 bytes after an 8-byte count. */
static void fix_checksums(uint8_t *b, size_t size) {
  if (size < 96 || size > UINT32_MAX || memcmp(b, SPX_CS_MAGIC, 4) != 0) return;
  wr32(b + 12, (uint32_t)size);
  uint32_t bo = rd32(b + 32 + 8 * SPX_CS_SECTION_BLOBS), bs = rd32(b + 36 + 8 * SPX_CS_SECTION_BLOBS);
  uint32_t wo = rd32(b + 32 + 8 * SPX_CS_SECTION_WEIGHTS), ws = rd32(b + 36 + 8 * SPX_CS_SECTION_WEIGHTS);
  if (bo <= size && bs <= size - bo && bs >= 8 && wo <= size && ws <= size - wo) {
    uint32_t n = rd32(b + bo);
    for (uint32_t i = 0; i < n && 8 + 32 * (uint64_t)(i + 1) <= bs; i++) {
      uint8_t *rec = b + bo + 8 + 32 * i;
      uint32_t off = rd32(rec + 8), len = rd32(rec + 12);
      if (off <= ws && len <= ws - off) wr32(rec + 16, spx_cs_crc32(0, b + wo + off, len));
    }
  }
  spx_rt_error_t st;
  spx_cs_stream_seal(b, size, &st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Exactly `size` bytes, so that ASan sees any read past the end. */
  void *mem = NULL;
  if (posix_memalign(&mem, 64, size ? size : 1) != 0) abort();
  uint8_t *copy = mem;
  if (size) memcpy(copy, data, size);
  fix_checksums(copy, size);
  spx_cs_stream_t s;
  spx_rt_error_t st;
  if (spx_cs_stream_load(copy, size, &s, &st) == SPX_RT_OK) {
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
