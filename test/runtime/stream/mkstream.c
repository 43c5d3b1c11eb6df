/* spx-mkstream: writes a small valid .spxbin built through the builder API
 * (test/runtime/stream/sample.c), or a deliberately broken variant of it, so
 * that the loader's messages can be tested before the compiler emits
 * streams.
 *
 *   spx-mkstream [--corrupt=KIND] [--truncate=N] -o OUT
 *   spx-mkstream --int8-sum=softmax|global_avgpool:N -o OUT
 *
 * --int8-sum writes a stream of one int8 softmax or global_avgpool summing
 * N values (spx_test_sample_sum_init, then the axis or the shapes patched),
 * without loading it.
 *
 * Every KIND except crc, bad-magic and bad-version patches the encoded bytes
 * and then recomputes the header crc32, so the loader gets past the crc and
 * reports the targeted problem. */
#include "test/runtime/stream/sample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
  unsigned char *p;
  size_t size;
  spx_cs_stream_t s;
} ctx_t;

static unsigned char *sec(ctx_t *c, unsigned id) {
  return c->p + c->s.sections[id].offset;
}
static unsigned char *tensor(ctx_t *c, unsigned i) {
  return sec(c, SPX_CS_SECTION_TENSORS) + SPX_CS_TENSORS_HEADER + 64 * i;
}
static unsigned char *blob(ctx_t *c, unsigned i) {
  return sec(c, SPX_CS_SECTION_BLOBS) + SPX_CS_BLOBS_HEADER + 32 * i;
}
static unsigned char *cmd(ctx_t *c, unsigned i) {
  return sec(c, SPX_CS_SECTION_COMMANDS) + SPX_CS_COMMANDS_HEADER + 64 * i;
}
static void w16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static void w32(unsigned char *p, unsigned long v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static unsigned long r32(const unsigned char *p) {
  return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
         (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}
/* Byte offset of a cpu.layer field in the record, from the opcode table. */
static unsigned field(const char *name) {
  const spx_cs_opcode_info_t *info = spx_cs_opcode_info(SPX_CS_OP_CPU_LAYER);
  for (uint32_t k = 0; k < info->field_count; k++)
    if (!strcmp(info->fields[k].name, name)) return info->fields[k].offset;
  fprintf(stderr, "spx-mkstream: no field %s\n", name);
  exit(2);
}

/* Returns 1 if the crc must be recomputed afterwards, 0 if not, -1 if the
 * kind is unknown. */
static int corrupt(ctx_t *c, const char *kind) {
  unsigned char *p = c->p;
  if (!strcmp(kind, "crc")) { cmd(c, 1)[field("kh")] ^= 0x40; return 0; }
  if (!strcmp(kind, "bad-magic")) { p[0] = 'X'; return 0; }
  if (!strcmp(kind, "bad-version")) { w16(p + 4, 2); return 0; }
  if (!strcmp(kind, "bad-target")) { w16(p + 18, 9); return 1; }
  if (!strcmp(kind, "header-flags")) { p[20] = 1; return 1; }
  if (!strcmp(kind, "target-mismatch")) { w16(p + 18, SPX_CS_TARGET_AIE); return 1; }
  if (!strcmp(kind, "section-oob")) {
    w32(p + 36 + 8 * SPX_CS_SECTION_WEIGHTS, 0x100000);
    return 1;
  }
  if (!strcmp(kind, "section-overlap")) {
    w32(p + 32 + 8 * SPX_CS_SECTION_BLOBS, c->s.sections[SPX_CS_SECTION_TENSORS].offset + 8);
    return 1;
  }
  if (!strcmp(kind, "bad-dtype")) { tensor(c, 1)[4] = 9; return 1; }
  if (!strcmp(kind, "bad-rank")) { tensor(c, 2)[5] = 7; return 1; }
  if (!strcmp(kind, "bad-scale")) { w32(tensor(c, 2) + 32, 0x7fc00000ul); return 1; }
  if (!strcmp(kind, "ws-oob")) { w32(tensor(c, 7) + 40, c->s.workspace_size); return 1; }
  if (!strcmp(kind, "ws-overlap")) { w32(tensor(c, 2) + 40, 256); return 1; }
  if (!strcmp(kind, "blob-oob")) {
    w32(blob(c, 4) + 12, c->s.sections[SPX_CS_SECTION_WEIGHTS].size);
    return 1;
  }
  if (!strcmp(kind, "blob-align")) { w32(blob(c, 1) + 8, r32(blob(c, 1) + 8) + 4); return 1; }
  if (!strcmp(kind, "blob-crc")) { sec(c, SPX_CS_SECTION_WEIGHTS)[5] ^= 1; return 1; }
  if (!strcmp(kind, "bad-opcode")) { cmd(c, 2)[0] = 0x7f; return 1; }
  if (!strcmp(kind, "zero-iter")) { w32(cmd(c, 0) + 4, 0); return 1; }
  if (!strcmp(kind, "bad-string")) { w32(cmd(c, 3) + 8, 0xffff); return 1; }
  if (!strcmp(kind, "tensor-oob")) { w16(cmd(c, 1) + field("in0"), 99); return 1; }
  if (!strcmp(kind, "blob-ref-oob")) { w16(cmd(c, 1) + field("weights"), 42); return 1; }
  if (!strcmp(kind, "bad-act")) { cmd(c, 1)[field("act")] = 17; return 1; }
  if (!strcmp(kind, "shape")) { cmd(c, 1)[field("sh")] = 2; return 1; }
  if (!strcmp(kind, "unused-field")) { w16(cmd(c, 2) + field("groups"), 3); return 1; }
  if (!strcmp(kind, "missing-weights")) { w16(cmd(c, 4) + field("weights"), 0xffff); return 1; }
  if (!strcmp(kind, "weights-count")) { w16(cmd(c, 4) + field("weights"), 0); return 1; }
  if (!strcmp(kind, "dtype-mismatch")) { w16(cmd(c, 5) + field("in0"), 6); w16(cmd(c, 5) + field("out"), 7); return 1; }
  if (!strcmp(kind, "reserved")) { cmd(c, 6)[60] = 1; return 1; }
  if (!strcmp(kind, "record-size")) { w16(sec(c, SPX_CS_SECTION_COMMANDS) + 4, 32); return 1; }
  if (!strcmp(kind, "io-oob")) {
    unsigned char *io = tensor(c, c->s.tensor_count);
    w16(io + 2 * c->s.input_count, 200);
    return 1;
  }
  return -1;
}

/* spx_test_sample_sum_init's stream, made to sum n values: the softmax
 * along the last axis of [1, 1, 1, n]; the global_avgpool over
 * [1, 1, 1, n] into [1, 1, 1, 1]. */
static void make_long_sum(ctx_t *c, unsigned op, uint32_t n) {
  if (op == SPX_CS_CPU_OP_SOFTMAX) {
    cmd(c, 1)[field("axis")] = 3;
    return;
  }
  for (unsigned t = 0; t < 4; t++) {
    unsigned char *r = tensor(c, t);
    unsigned esize = t == 0 || t == 3 ? 4 : 1;
    uint32_t count = t < 2 ? n : 1;
    w32(r + 8 + 4, 1);
    w32(r + 8 + 12, count);
    w32(r + 44, count * esize);
  }
}

static void usage(FILE *f) {
  fprintf(f, "usage: spx-mkstream [--corrupt=KIND] [--truncate=N] -o OUT\n"
             "       spx-mkstream --int8-sum=softmax|global_avgpool:N -o OUT\n"
             "KIND: crc bad-magic bad-version bad-target header-flags\n"
             "  target-mismatch section-oob section-overlap bad-dtype bad-rank\n"
             "  bad-scale ws-oob ws-overlap blob-oob blob-align blob-crc\n"
             "  bad-opcode zero-iter bad-string tensor-oob blob-ref-oob bad-act\n"
             "  shape unused-field missing-weights weights-count dtype-mismatch\n"
             "  reserved record-size io-oob\n");
}

int main(int argc, char **argv) {
  const char *out = NULL, *kind = NULL, *sum = NULL;
  long truncate = -1;
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--corrupt=", 10)) kind = argv[i] + 10;
    else if (!strncmp(argv[i], "--int8-sum=", 11)) sum = argv[i] + 11;
    else if (!strncmp(argv[i], "--truncate=", 11)) truncate = atol(argv[i] + 11);
    else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
    else if (!strcmp(argv[i], "--help")) { usage(stdout); return 0; }
    else { usage(stderr); return 2; }
  }
  if (!out) { usage(stderr); return 2; }

  static spx_test_sample_t sample;
  unsigned sum_op = 0;
  uint32_t sum_n = 0;
  if (sum) {
    const char *colon = strchr(sum, ':');
    sum_op = !strncmp(sum, "softmax:", 8)          ? SPX_CS_CPU_OP_SOFTMAX
             : !strncmp(sum, "global_avgpool:", 15) ? SPX_CS_CPU_OP_GLOBAL_AVGPOOL
                                                    : 0;
    sum_n = colon ? (uint32_t)atol(colon + 1) : 0;
    if (!sum_op || sum_n == 0 || sum_n > (1u << 26)) {
      usage(stderr);
      return 2;
    }
    spx_test_sample_sum_init(&sample, sum_op, sum_n);
  } else {
    spx_test_sample_init(&sample);
  }
  spx_rt_error_t st;
  size_t size;
  if (spx_cs_image_measure(&sample.image, &size, &st)) {
    fprintf(stderr, "spx-mkstream: %s\n", st.message);
    return 1;
  }
  ctx_t c;
  c.p = malloc(size);
  c.size = size;
  if (!c.p || spx_cs_image_encode(&sample.image, c.p, size, &size, &st) ||
      spx_cs_stream_load(c.p, size, &c.s, &st)) {
    fprintf(stderr, "spx-mkstream: %s\n", c.p ? st.message : "out of memory");
    return 1;
  }
  if (sum) {
    make_long_sum(&c, sum_op, sum_n);
    spx_cs_stream_seal(c.p, size, NULL);
  }
  if (kind) {
    int reseal = corrupt(&c, kind);
    if (reseal < 0) {
      fprintf(stderr, "spx-mkstream: unknown corruption '%s'\n", kind);
      return 2;
    }
    if (reseal) spx_cs_stream_seal(c.p, size, NULL);
  }
  if (truncate >= 0 && (size_t)truncate < size) size = (size_t)truncate;
  FILE *f = fopen(out, "wb");
  if (!f || fwrite(c.p, 1, size, f) != size || fclose(f)) {
    fprintf(stderr, "spx-mkstream: cannot write %s\n", out);
    return 1;
  }
  free(c.p);
  return 0;
}
