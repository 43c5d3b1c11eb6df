/* spx-stream-fuzz: unit and robustness tests of runtime/stream, meant to run
 * under ASan/UBSan (SPX_SANITIZE=ON). The loader must never read outside the
 * buffer or crash, whatever the bytes:
 *   - every truncation of a valid stream is rejected;
 *   - every single-bit flip is rejected by the crc, and, with the crc
 *     recomputed, either rejected with a message or accepted and then
 *     disassembled and walked without fault;
 *   - random multi-byte mutations (crc recomputed) and random garbage behind
 *     a plausible header, likewise.
 * Plus: crc32 and formatter vectors, the opcode table's layout, encoder
 * round trip, too-small output buffers, the write-callback path.
 * Prints "fuzz: N checks ok" and exits 0, or names the first failure. */
#include "test/runtime/stream/sample.h"
#include "runtime/stream/cs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static unsigned long checks;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    checks++;                                                                 \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);\
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
      if (++failures > 20) exit(1);                                           \
    }                                                                         \
  } while (0)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static int sink(void *ctx, const void *data, size_t size) {
  size_t *n = ctx;
  const volatile unsigned char *p = data; /* touch every byte */
  for (size_t i = 0; i < size; i++) (void)p[i];
  *n += size;
  return 0;
}

/* Loads a copy of `data` in an exact-size heap buffer (so ASan sees any
 * overread); if it loads, disassembles and walks every record. Returns the
 * load code; the message must be non-empty on failure. */
static int try_load(const unsigned char *data, size_t size) {
  unsigned char *copy = malloc(size ? size : 1);
  if (size) memcpy(copy, data, size);
  spx_cs_stream_t s;
  spx_rt_error_t st;
  int rc = spx_cs_stream_load(copy, size, &s, &st);
  if (rc) {
    CHECK(st.message[0] != 0, "empty message for code %d", rc);
    CHECK((int)st.status == rc, "status code %d != return %d", (int)st.status, rc);
  } else {
    size_t n = 0;
    CHECK(spx_cs_stream_disassemble(&s, sink, &n, &st) == SPX_RT_OK, "%s",
          st.message);
    for (uint32_t i = 0; i < s.command_count + 1; i++) {
      spx_cs_command_t c;
      spx_cs_stream_command(&s, i, &c);
    }
    for (uint32_t i = 0; i < s.blob_count + 1; i++) {
      spx_cs_blob_t b;
      spx_cs_stream_blob(&s, i, &b);
    }
  }
  free(copy);
  return rc;
}

/* CRC-32 from its definition, one bit at a time (reflected polynomial
 * 0xedb88320, register preset and final value inverted): the reference for
 * the runtime's table-driven one. */
static uint32_t crc32_bitwise(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void test_crc_and_format(void) {
  CHECK(spx_cs_crc32(0, "123456789", 9) == 0xcbf43926u, "crc32 vector");
  CHECK(spx_cs_crc32(spx_cs_crc32(0, "1234", 4), "56789", 5) == 0xcbf43926u,
        "crc32 incremental");
  /* The 16-byte steps (cs_common.c) against the bit-wise crc: every length
   * up to 100 at every alignment mod 16, split anywhere, and a long run. */
  {
    static unsigned char buf[70000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)rnd();
    for (size_t a = 0; a < 16; a++)
      for (size_t n = 0; n <= 100; n++) {
        uint32_t want = crc32_bitwise(0, buf + a, n);
        CHECK(spx_cs_crc32(0, buf + a, n) == want, "crc32 of %zu bytes at +%zu", n, a);
        for (size_t k = 0; k <= n; k += 7)
          CHECK(spx_cs_crc32(spx_cs_crc32(0, buf + a, k), buf + a + k, n - k) == want,
                "crc32 of %zu bytes at +%zu split at %zu", n, a, k);
      }
    CHECK(spx_cs_crc32(0x12345678u, buf + 3, sizeof buf - 3) ==
              crc32_bitwise(0x12345678u, buf + 3, sizeof buf - 3),
          "crc32 of %zu bytes", sizeof buf - 3);
    /* the crc of a concatenation from its parts' (the loader's blobs) */
    for (size_t k = 0; k < 300; k++) {
      size_t a = rnd() % 5000, n1 = k < 20 ? k : rnd() % 30000, n2 = k < 40 ? k % 20 : rnd() % 30000;
      uint32_t c1 = crc32_bitwise(0, buf + a, n1), c2 = crc32_bitwise(0, buf + a + n1, n2);
      CHECK(spx_cs_crc32_combine(c1, c2, n2) == crc32_bitwise(0, buf + a, n1 + n2),
            "crc32_combine of %zu and %zu bytes", n1, n2);
    }
  }
  char buf[64];
  struct { const char *want; double v; } g[] = {
      {"0.0078125", 0.0078125}, {"0.5", 0.5},    {"1", 1.0},
      {"123457", 123456.7},     {"1.5e+06", 1.5e6}, {"-2.25", -2.25},
      {"1e-05", 1e-5},          {"0", 0.0},      {"3.40282e+38", 3.4028234e38}};
  for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
    spx_rt_format(buf, sizeof buf, "%g", g[i].v);
    CHECK(!strcmp(buf, g[i].want), "%%g of %.9g: got '%s', want '%s'", g[i].v,
          buf, g[i].want);
  }
  spx_rt_format(buf, sizeof buf, "[%5u|%-4d|%08x|%.3s|%lld|%zu|%%]", 42u, -7,
                0xbeefu, "abcdef", -9000000000ll, (size_t)77);
  CHECK(!strcmp(buf, "[   42|-7  |0000beef|abc|-9000000000|77|%]"), "got '%s'",
        buf);
  CHECK(spx_rt_format(buf, 4, "hello") == 5 && !strcmp(buf, "hel"),
        "truncation: '%s'", buf);
}

/* Every target's opcodes: in its range, found by the lookup, fields inside
 * the record and disjoint. */
static void test_target_opcodes(unsigned id, const spx_cs_target_stream_t *ts) {
  const char *tn = spx_cs_target_name(id);
  uint32_t n = ts->opcode_count;
  const spx_cs_opcode_info_t *t = ts->opcodes;
  unsigned lo = 0, hi = 0;
  switch (id) {
#define X(E, name, code, l0, h0, ...) case code: lo = l0; hi = h0; break;
    SPX_CS_TARGETS(X)
#undef X
  }
  CHECK(n > 0, "target %s has no opcodes", tn);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t used = 0;
    CHECK(spx_cs_opcode_info(t[i].opcode) == &t[i], "lookup %s", t[i].name);
    CHECK(t[i].opcode >= lo && t[i].opcode <= hi, "%s outside target %s's range",
          t[i].name, tn);
    CHECK(t[i].field_count > 0, "%s has no fields", t[i].name);
    for (uint32_t k = 0; k < t[i].field_count; k++) {
      const spx_cs_field_info_t *f = &t[i].fields[k];
      unsigned sz = spx_cs_field_kind_size(f->kind);
      CHECK(f->offset >= 12 && f->offset + sz <= SPX_CS_COMMAND_RECORD,
            "%s.%s outside the payload", t[i].name, f->name);
      CHECK(f->offset % sz == 0, "%s.%s misaligned", t[i].name, f->name);
      for (unsigned b = 0; b < sz; b++) {
        CHECK(!(used >> (f->offset + b) & 1), "%s.%s overlaps", t[i].name,
              f->name);
        used |= (uint64_t)1 << (f->offset + b);
      }
    }
  }
}

static void test_tables(void) {
  for (unsigned id = 0; id < SPX_CS_TARGET_COUNT_; id++) {
    const spx_cs_target_stream_t *ts = spx_cs_target_stream(id);
    if (ts) test_target_opcodes(id, ts);
  }
  CHECK(spx_cs_opcode_info(0) == NULL, "opcode 0 must be invalid");
}

static unsigned char *encode_sample(spx_test_sample_t *s, size_t *size) {
  spx_rt_error_t st;
  CHECK(spx_cs_image_measure(&s->image, size, &st) == SPX_RT_OK, "%s",
        st.message);
  unsigned char *p = malloc(*size);
  CHECK(spx_cs_image_encode(&s->image, p, *size, size, &st) == SPX_RT_OK, "%s",
        st.message);
  return p;
}

typedef struct membuf {
  unsigned char *p;
  size_t len, cap;
} membuf_t;

static int to_mem(void *ctx, const void *data, size_t size) {
  membuf_t *m = ctx;
  if (m->len + size > m->cap) return 1;
  memcpy(m->p + m->len, data, size);
  m->len += size;
  return 0;
}

static void test_encoder(const unsigned char *good, size_t size,
                         spx_test_sample_t *s) {
  spx_rt_error_t st;
  /* Too-small buffers: refused, nothing written past cap (ASan). */
  for (size_t cap = 0; cap < size; cap += 1 + cap / 4) {
    unsigned char *p = malloc(cap ? cap : 1);
    size_t got;
    CHECK(spx_cs_image_encode(&s->image, p, cap, &got, &st) ==
              SPX_RT_ERR_BUFFER && got == size, "cap %zu", cap);
    free(p);
  }
  /* Callback path gives the same bytes. */
  membuf_t m = {malloc(size), 0, size};
  CHECK(spx_cs_image_write(&s->image, to_mem, &m, &st) == SPX_RT_OK, "%s",
        st.message);
  CHECK(m.len == size && !memcmp(m.p, good, size), "write != encode");
  m.len = 0;
  m.cap = size / 2;
  CHECK(spx_cs_image_write(&s->image, to_mem, &m, &st) == SPX_RT_ERR_ABORTED,
        "failing callback");
  free(m.p);

  /* Round trip: decode everything, re-encode, same bytes. */
  spx_cs_stream_t ld;
  CHECK(spx_cs_stream_load(good, size, &ld, &st) == SPX_RT_OK, "%s", st.message);
  static spx_cs_tensor_t t[8];
  static spx_cs_blob_t b[8];
  static spx_cs_command_t c[7];
  uint16_t in[1], out[1];
  CHECK(ld.tensor_count == 8 && ld.blob_count == 8 && ld.command_count == 7,
        "counts");
  for (uint32_t i = 0; i < 8; i++) spx_cs_stream_tensor(&ld, i, &t[i]);
  for (uint32_t i = 0; i < 8; i++) spx_cs_stream_blob(&ld, i, &b[i]);
  for (uint32_t i = 0; i < 7; i++) spx_cs_stream_command(&ld, i, &c[i]);
  in[0] = spx_cs_stream_input(&ld, 0);
  out[0] = spx_cs_stream_output(&ld, 0);
  CHECK(spx_cs_stream_input(&ld, 1) == SPX_CS_NONE, "input 1");
  spx_cs_image_t im = {ld.target, ld.mdesc_hash, ld.workspace_size, t, 8, in, 1,
                       out, 1, b, 8, c, 7};
  size_t n2;
  unsigned char *again = malloc(size);
  CHECK(spx_cs_image_encode(&im, again, size, &n2, &st) == SPX_RT_OK, "%s",
        st.message);
  CHECK(n2 == size && !memcmp(again, good, size), "round trip differs");
  free(again);

  /* The encoder applies the loader's rules to its input. */
  s->commands[1].u.cpu_layer.sh = 2;
  CHECK(spx_cs_image_measure(&s->image, &n2, &st) == SPX_RT_ERR_FORMAT &&
            strstr(st.message, "command 1 (cpu.layer): field 'out'"),
        "encoder accepted a bad shape: %s", st.message);
  s->commands[1].u.cpu_layer.sh = 1;
  s->tensors[3].name = "bad\nname";
  CHECK(spx_cs_image_measure(&s->image, &n2, &st) == SPX_RT_ERR_FORMAT,
        "encoder accepted a control character");
  s->tensors[3].name = "pool1";
}

static void test_robustness(const unsigned char *good, size_t size) {
  unsigned char *p = malloc(size);
  CHECK(try_load(good, size) == SPX_RT_OK, "the sample must load");
  /* A byte of blob i changed, the header resealed: refused naming blob i
   * and the crc of its bytes (the loader takes the blobs' crcs in its pass
   * over the file for the header's). */
  {
    spx_cs_stream_t s;
    spx_rt_error_t st;
    CHECK(spx_cs_stream_load(good, size, &s, &st) == SPX_RT_OK, "%s", st.message);
    for (uint32_t i = 0; i < s.blob_count; i++) {
      spx_cs_blob_t b;
      char want[64];
      spx_cs_stream_blob(&s, i, &b);
      if (!b.length) continue;
      memcpy(p, good, size);
      p[(size_t)(b.data - good) + b.length / 2] ^= 0x5a;
      spx_cs_stream_seal(p, size, NULL);
      snprintf(want, sizeof want, "computed 0x%08x",
               (unsigned)crc32_bitwise(0, p + (b.data - good), b.length));
      CHECK(spx_cs_stream_load(p, size, &s, &st) == SPX_RT_ERR_DATA_LOSS &&
                !strncmp(st.message, "blob ", 5) && (uint32_t)atoi(st.message + 5) == i &&
                strstr(st.message, want),
            "blob %u changed: %s", (unsigned)i, st.message);
      spx_cs_stream_load(good, size, &s, &st);
    }
  }
  /* Every truncation. */
  for (size_t n = 0; n < size; n++)
    CHECK(try_load(good, n) != SPX_RT_OK, "truncated at %zu accepted", n);
  CHECK(try_load(NULL, 0) != SPX_RT_OK, "NULL accepted");
  /* Every single-bit flip: the crc (or magic/version/size) catches it; with
   * the crc recomputed the loader must still not fault. */
  unsigned long accepted = 0;
  for (size_t i = 0; i < size; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(p, good, size);
      p[i] ^= (unsigned char)(1u << bit);
      if (i < SPX_CS_CRC_OFFSET || i >= SPX_CS_CRC_OFFSET + 4)
        CHECK(try_load(p, size) != SPX_RT_OK, "flip %zu.%d accepted", i, bit);
      spx_cs_stream_seal(p, size, NULL);
      if (try_load(p, size) == SPX_RT_OK) accepted++;
    }
  }
  /* Flips in blob data or in names still load (resealed blob crc aside):
   * they must be rare, not the rule. */
  CHECK(accepted < size * 8 / 2, "%lu of %zu resealed flips accepted",
        accepted, size * 8);
  /* Random multi-byte mutations, resealed. */
  for (int it = 0; it < 20000; it++) {
    memcpy(p, good, size);
    int k = 1 + (int)(rnd() % 8);
    for (int j = 0; j < k; j++) {
      size_t at = SPX_CS_CRC_START + rnd() % (size - SPX_CS_CRC_START);
      switch (rnd() % 4) {
      case 0: p[at] = (unsigned char)rnd(); break;
      case 1: p[at] = 0xff; break;
      case 2: p[at] = 0; break;
      default: p[at] ^= (unsigned char)(1u << (rnd() % 8)); break;
      }
    }
    spx_cs_stream_seal(p, size, NULL);
    try_load(p, size);
  }
  free(p);
  /* Random garbage, raw and behind a plausible header. */
  for (int it = 0; it < 5000; it++) {
    size_t n = rnd() % 4096;
    unsigned char *g = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) g[i] = (unsigned char)rnd();
    try_load(g, n);
    if (n >= SPX_CS_HEADER_SIZE) {
      memcpy(g, "SPXB\1\0\0\0", 8);
      g[12] = (unsigned char)n, g[13] = (unsigned char)(n >> 8);
      g[14] = g[15] = 0;
      g[16] = SPX_CS_HEADER_SIZE, g[17] = 0, g[18] = g[19] = 0;
      for (int s = 0; s < 5; s++) { /* small plausible sections */
        uint32_t off = 96 + 8 * (rnd() % ((n - 96) / 8 + 1));
        uint32_t sz = rnd() % 256;
        for (int b = 0; b < 4; b++) {
          g[32 + 8 * s + b] = (unsigned char)(off >> (8 * b));
          g[36 + 8 * s + b] = (unsigned char)(sz >> (8 * b));
        }
      }
      memset(g + 72, 0, 24);
      spx_cs_stream_seal(g, n, NULL);
      try_load(g, n);
    }
    free(g);
  }
}

int main(void) {
  test_crc_and_format();
  test_tables();
  static spx_test_sample_t s;
  spx_test_sample_init(&s);
  size_t size;
  unsigned char *good = encode_sample(&s, &size);
  test_encoder(good, size, &s);
  test_robustness(good, size);
  free(good);
  if (failures) {
    fprintf(stderr, "fuzz: %d of %lu checks failed\n", failures, checks);
    return 1;
  }
  printf("fuzz: %lu checks ok\n", checks);
  return 0;
}
