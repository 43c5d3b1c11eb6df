/* spx-binary-test: unit checks of the binary format (runtime/formats/
 * binary.c) and of its kernels. Usage:
 *   spx-binary-test hand      a hand-worked encoding (bytes as drawn in
 *                             spx_formats.h), the flip rule's tie, hand
 *                             cases of spx_fmt_binary_column_sum
 *   spx-binary-test encode ROWS COLS KH KW GROUPS FLIP SUBVECTOR IN.raw
 *                             ALPHA.f32 OUT.bin
 *   spx-binary-test decode ROWS COLS KH KW GROUPS IN.bin OUT.raw
 *   spx-binary-test validate ROWS COLS KH KW GROUPS IN.bin
 *                             the library on files (int8 +-1 OIHW raw
 *                             weights, f32 alpha, encodings); validate
 *                             prints "ok" or the validator's message
 *   spx-binary-test colsum IN.txt
 *                             spx_fmt_binary_column_sum of each line
 *                             "c p q n col_flip act_flip", one result a
 *                             line (for binary_ref.py)
 *   spx-binary-test reject    one corruption per header field and per data
 *                             check: prints the validator's reason for each
 *   spx-binary-test fuzz      every truncation and every single-bit flip of
 *                             sample encodings: no crash (ASan/UBSan build),
 *                             a flip is rejected or decodes
 *   spx-binary-test kernels   conv2d (groups, depthwise, strides, padding)
 *                             and dense (batch 1 to 17) through the binary
 *                             descriptor bit-exact against the dense int8
 *                             kernels on the decoded weights, with and
 *                             without weight flips
 * Each prints one line per check group and "FAIL ..." lines on mismatch;
 * exit status 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"

static int failures;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                             \
      printf(__VA_ARGS__);                                                    \
      printf("\n");                                                           \
      failures++;                                                             \
    }                                                                         \
  } while (0)

/* xorshift64*: deterministic across platforms */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static spx_fmt_dims_t mkdims(uint32_t rows, uint32_t cols, uint16_t kh, uint16_t kw,
                             uint32_t groups) {
  spx_fmt_dims_t d;
  d.rows = rows;
  d.cols = cols;
  d.kh = kh;
  d.kw = kw;
  d.groups = groups;
  return d;
}

/* Random +-1 weights; row r leans to +1 with probability (r % 5) / 4, so
 * that some rows are mostly +1 (flipped), some mostly -1. */
static void random_pm1(const spx_fmt_dims_t *d, int8_t *w) {
  size_t len = spx_fmt_dims_count(d) / d->rows, r, i;
  for (r = 0; r < d->rows; r++)
    for (i = 0; i < len; i++) w[r * len + i] = (int8_t)(rnd() % 4 < r % 5 ? 1 : -1);
}

static uint8_t *encode(const spx_fmt_dims_t *d, const int8_t *w, int flip, unsigned sub,
                       size_t *len) {
  float *alpha = malloc(d->rows * sizeof *alpha);
  uint8_t *out;
  uint32_t r;
  spx_rt_error_t err;
  for (r = 0; r < d->rows; r++) alpha[r] = 0.25f + 0.125f * (float)(r % 7);
  *len = spx_fmt_binary_encoded_size(d);
  out = malloc(*len ? *len : 1);
  if (!out || spx_fmt_binary_encode(d, w, alpha, flip, sub, out, *len, &err) != SPX_RT_OK) {
    printf("FAIL: encode: %s\n", err.message);
    exit(1);
  }
  free(alpha);
  return out;
}

/* ---- hand-worked -------------------------------------------------------- */

static int hand(void) {
  /* 2 rows x 5: row 0 = + + + - + (4 of 5 +1: flipped), row 1 = + - + - -
   * (2 of 5: kept); alpha 1.0, 0.5 */
  static const int8_t w[10] = {1, 1, 1, -1, 1, 1, -1, 1, -1, -1};
  static const uint8_t want[] = {
      'S', 'X', 'B', 'N', 1, 0, 32, 0,  /* magic, version, header_bytes */
      2, 0, 0, 0, 5, 0, 0, 0,           /* rows 2, cols 5 */
      1, 0, 1, 0, 1, 0, 0, 0,           /* kh, kw, groups */
      16, 0, 3, 0, 43, 0, 0, 0,         /* subvector 16, flags 3, total 43 */
      0x00, 0x00, 0x80, 0x3f,           /* alpha[0] = 1.0f */
      0x00, 0x00, 0x00, 0x3f,           /* alpha[1] = 0.5f */
      0x01,                             /* flip bits: row 0 */
      0x08,                             /* row 0 stored - - - + -: bit 3 */
      0x05};                            /* row 1 stored + - + - -: bits 0, 2 */
  static const float alpha[2] = {1.0f, 0.5f};
  spx_fmt_dims_t d = mkdims(2, 5, 1, 1, 1);
  uint8_t out[64];
  int16_t back[10];
  spx_fmt_binary_view_t v;
  spx_rt_error_t err;
  int8_t bad[10];
  unsigned i;
  CHECK(spx_fmt_binary_encoded_size(&d) == sizeof want, "size %zu",
        spx_fmt_binary_encoded_size(&d));
  CHECK(spx_fmt_binary_encode(&d, w, alpha, 1, 16, out, sizeof out, &err) == SPX_RT_OK &&
            !memcmp(out, want, sizeof want),
        "the hand-worked encoding");
  CHECK(spx_fmt_binary_open(out, sizeof want, &d, &v, &err) == SPX_RT_OK && v.row_len == 5 &&
            v.row_bytes == 1 && v.subvector == 16 && v.flags == 3 &&
            spx_fmt_binary_flipped(&v, 0) && !spx_fmt_binary_flipped(&v, 1) &&
            spx_fmt_binary_stored(&v, 0, 3) && !spx_fmt_binary_stored(&v, 0, 0) &&
            spx_fmt_binary_alpha(&v, 1) == 0.5f,
        "open of the hand-worked encoding: %s", err.message);
  CHECK(spx_fmt_desc_BINARY.decode(out, sizeof want, &d, back, 10, &err) == SPX_RT_OK,
        "decode: %s", err.message);
  for (i = 0; i < 10; i++) CHECK(back[i] == w[i], "decoded weight %u", i);
  /* without flips: both rows as they are, flags 0 */
  CHECK(spx_fmt_binary_encode(&d, w, alpha, 0, 0, out, sizeof out, &err) == SPX_RT_OK &&
            out[24] == 0 && out[26] == 0 && out[40] == 0 && out[41] == 0x17 &&
            out[42] == 0x05,
        "the unflipped encoding");
  /* the flip rule: strictly more +1 than -1; a tie is not flipped */
  CHECK(!spx_fmt_binary_flip_rule(2, 4) && spx_fmt_binary_flip_rule(3, 4) &&
            !spx_fmt_binary_flip_rule(1, 3) && spx_fmt_binary_flip_rule(2, 3) &&
            !spx_fmt_binary_flip_rule(0, 1) && spx_fmt_binary_flip_rule(1, 1) &&
            !spx_fmt_binary_flip_rule(0, 0),
        "the flip rule");
  {
    /* a tie row (+ + - -) stays as it is under flips */
    static const int8_t tie[4] = {1, 1, -1, -1};
    spx_fmt_dims_t d4 = mkdims(1, 4, 1, 1, 1);
    CHECK(spx_fmt_binary_encode(&d4, tie, alpha, 1, 0, out, sizeof out, &err) == SPX_RT_OK &&
              out[26] == 1 && out[36] == 0 && out[37] == 0x03,
          "a tie is not flipped");
  }
  /* column sums by hand. n = 4 rows, b = + - + -, a = + + - -: sum b a =
   * 1 - 1 - 1 + 1 = 0. Unflipped: stored = b (s 1010), driven = a (d 1100):
   * p = 2, q = 2, c = 1 -> 4 - 4 - 4 + 4 = 0. */
  CHECK(spx_fmt_binary_column_sum(1, 2, 2, 4, 0, 0) == 0, "colsum 0");
  /* b = + + + -, a = + + + +: sum 2. Column flipped: stored - - - +
   * (p = 1); a as is: q = 4, c = 1: (4 - 2 - 8 + 4) * -1 = 2. */
  CHECK(spx_fmt_binary_column_sum(1, 1, 4, 4, 1, 0) == 2, "colsum flipped column");
  /* same with the inputs flipped too: driven none (q = 0, c = 0):
   * (0 - 2 - 0 + 4) * -1 * -1 = 2. */
  CHECK(spx_fmt_binary_column_sum(0, 1, 0, 4, 1, 1) == 2, "colsum both flipped");
  /* n = 1: b = -, a = +: -1. s = 0, d = 1: (0 - 0 - 2 + 1) = -1 */
  CHECK(spx_fmt_binary_column_sum(0, 0, 1, 1, 0, 0) == -1, "colsum n = 1");
  /* all driven on an all-+1 column of 8: 32 - 16 - 16 + 8 = 8 */
  CHECK(spx_fmt_binary_column_sum(8, 8, 8, 8, 0, 0) == 8, "colsum all");
  /* none driven, none stored, 8 rows: all products (-1)(-1) = +1: 8 */
  CHECK(spx_fmt_binary_column_sum(0, 0, 0, 8, 0, 0) == 8, "colsum none");
  /* encoder refusals */
  memcpy(bad, w, sizeof bad);
  bad[7] = 0;
  CHECK(spx_fmt_binary_encode(&d, bad, alpha, 1, 0, out, sizeof out, &err) == SPX_RT_ERR_ARG &&
            strstr(err.message, "output channel 1, index 2"),
        "encode refuses a 0 weight: %s", err.message);
  {
    float a2[2] = {1.0f, 0.0f};
    CHECK(spx_fmt_binary_encode(&d, w, a2, 1, 0, out, sizeof out, &err) == SPX_RT_ERR_ARG &&
              strstr(err.message, "alpha of output channel 1"),
          "encode refuses alpha 0: %s", err.message);
  }
  CHECK(spx_fmt_binary_encode(&d, w, alpha, 1, 0, out, 42, &err) == SPX_RT_ERR_BUFFER,
        "encode refuses a short buffer");
  CHECK(spx_fmt_binary_encode(&d, w, alpha, 1, 65536, out, sizeof out, &err) == SPX_RT_ERR_ARG,
        "encode refuses subvector 65536");
  printf("hand: a two-row encoding as drawn, the flip rule, column sums\n");
  return failures;
}

/* ---- files (for binary_ref.py) ------------------------------------------ */

static void *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *b;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc(n > 0 ? (size_t)n : 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(b);
    return NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return b;
}

static int write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(p, 1, n, f) == n;
  if (f) fclose(f);
  return ok ? 0 : 1;
}

static spx_fmt_dims_t dims_of(char **a) {
  return mkdims((uint32_t)atol(a[0]), (uint32_t)atol(a[1]), (uint16_t)atol(a[2]),
                (uint16_t)atol(a[3]), (uint32_t)atol(a[4]));
}

static int file_encode(char **a) {
  spx_fmt_dims_t d = dims_of(a);
  int flip = atoi(a[5]);
  unsigned sub = (unsigned)atol(a[6]);
  size_t len, wl, al;
  int8_t *w = read_file(a[7], &wl);
  float *alpha = read_file(a[8], &al);
  uint8_t *out;
  spx_rt_error_t err;
  int rc;
  if (!w || !alpha || wl != spx_fmt_dims_count(&d) || al != 4 * (size_t)d.rows) {
    free(w);
    free(alpha);
    return printf("FAIL: weights or alpha file\n"), 1;
  }
  len = spx_fmt_binary_encoded_size(&d);
  out = malloc(len ? len : 1);
  rc = spx_fmt_binary_encode(&d, w, alpha, flip, sub, out, len, &err) != SPX_RT_OK
           ? (printf("encode: %s\n", err.message), 1)
           : write_file(a[9], out, len);
  free(w);
  free(alpha);
  free(out);
  return rc;
}

static int file_decode(char **a) {
  spx_fmt_dims_t d = dims_of(a);
  size_t len, n = spx_fmt_dims_count(&d), i;
  uint8_t *b = read_file(a[5], &len);
  int16_t *w = malloc((n ? n : 1) * sizeof *w);
  int8_t *w8 = malloc(n ? n : 1);
  spx_rt_error_t err;
  int rc;
  if (!b || spx_fmt_desc_BINARY.decode(b, len, &d, w, n, &err) != SPX_RT_OK) {
    rc = (printf("decode: %s\n", b ? err.message : "no file"), 1);
  } else {
    for (i = 0; i < n; i++) w8[i] = (int8_t)w[i];
    rc = write_file(a[6], w8, n);
  }
  free(b);
  free(w);
  free(w8);
  return rc;
}

static int file_validate(char **a) {
  spx_fmt_dims_t d = dims_of(a);
  size_t len;
  uint8_t *b = read_file(a[5], &len);
  spx_rt_error_t err;
  if (!b) return printf("no file\n"), 1;
  if (spx_fmt_desc_BINARY.validate(b, len, &d, &err) == SPX_RT_OK)
    printf("ok\n");
  else
    printf("%s\n", err.message);
  free(b);
  return 0;
}

static int file_colsum(const char *path) {
  FILE *f = fopen(path, "r");
  unsigned long c, p, q, n;
  int cf, af;
  if (!f) return printf("no file\n"), 1;
  while (fscanf(f, "%lu %lu %lu %lu %d %d", &c, &p, &q, &n, &cf, &af) == 6)
    printf("%ld\n", (long)spx_fmt_binary_column_sum((uint32_t)c, (uint32_t)p, (uint32_t)q,
                                                    (uint32_t)n, cf, af));
  fclose(f);
  return 0;
}

/* ---- rejections --------------------------------------------------------- */

static void show(const char *what, const uint8_t *b, size_t len, const spx_fmt_dims_t *d) {
  spx_rt_error_t err;
  spx_rt_status_t st = spx_fmt_binary_open(b, len, d, NULL, &err);
  CHECK(st != SPX_RT_OK && err.message[0], "%s accepted", what);
  CHECK(spx_fmt_desc_BINARY.validate(b, len, d, NULL) == st &&
            spx_fmt_desc_BINARY.open(b, len, d, NULL, NULL) == st,
        "%s: validate and open agree", what);
  printf("%s: %s\n", what, err.message);
}

static int reject(void) {
  /* 3 rows x 6 x 1 x 2 taps: row_len 12, row_bytes 2 (4 padding bits); rows
   * 0 and 2 mostly +1 (flipped), row 1 mostly -1 */
  static const int8_t w[36] = {1, 1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1,
                               -1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1,
                               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1};
  static const float alpha[3] = {0.5f, 2.0f, 1.0f};
  spx_fmt_dims_t d = mkdims(3, 6, 1, 2, 1), d7 = mkdims(3, 7, 1, 2, 1);
  uint8_t b[64], c[64];
  size_t len = spx_fmt_binary_encoded_size(&d);
  const size_t fl = 32 + 12, sg = fl + 1; /* the flip bits, the sign bits */
  spx_rt_error_t err;
  CHECK(len == 32 + 12 + 1 + 6, "size %zu", len);
  CHECK(spx_fmt_binary_encode(&d, w, alpha, 1, 8, b, sizeof b, &err) == SPX_RT_OK, "encode");
  CHECK(spx_fmt_binary_open(b, len, &d, NULL, &err) == SPX_RT_OK && b[fl] == 0x05,
        "the sample is valid, rows 0 and 2 flipped");
  printf("sample: %zu bytes, flips 0x%02x\n", len, (unsigned)b[fl]);
#define MUT(what, stmt)                                                       \
  do {                                                                        \
    memcpy(c, b, len);                                                        \
    stmt;                                                                     \
    show(what, c, len, &d);                                                   \
  } while (0)
  MUT("magic", c[3] = 'X');
  MUT("version", c[4] = 2);
  MUT("header_bytes", c[6] = 48);
  MUT("rows 0", c[8] = 0);
  MUT("groups 2", c[20] = 2);
  MUT("flags 4", c[26] |= 4);
  MUT("AFLIP without subvector", (c[24] = 0, c[25] = 0));
  MUT("subvector without AFLIP", c[26] &= (uint8_t)~2u);
  MUT("flip bits without WFLIP", c[26] &= (uint8_t)~1u);
  MUT("total_bytes", c[28] = (uint8_t)(len + 1));
  MUT("alpha 0", memset(c + 32 + 4, 0, 4));
  MUT("alpha -1", (c[32 + 8] = 0, c[33 + 8] = 0, c[34 + 8] = 0x80, c[35 + 8] = 0xbf));
  MUT("alpha NaN", (c[32] = 1, c[33] = 0, c[34] = 0xc0, c[35] = 0x7f));
  MUT("alpha inf", (c[32] = 0, c[33] = 0, c[34] = 0x80, c[35] = 0x7f));
  MUT("flip padding", c[fl] |= 0x08);
  MUT("sign padding", c[sg + 2 * 1 + 1] |= 0x10);
  /* with WFLIP no stored row has more +1 than -1 cells (a flipped row's
   * weights had more +1, a kept row's at most half) */
  MUT("flip rule, kept row of 12 +1", (c[sg + 2] = 0xff, c[sg + 3] = 0x0f));
  MUT("flip rule, flipped row of 7 +1", (c[sg] = 0x7f, c[sg + 1] = 0));
  memcpy(c, b, len);
  show("truncated", c, len - 1, &d);
  show("expected 3x7x1x2", b, len, &d7);
  show("NULL", NULL, 0, &d);
  {
    /* a tie row stored flipped: 6 of 12 */
    static const int8_t tw[12] = {1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1};
    spx_fmt_dims_t dt = mkdims(1, 12, 1, 1, 1);
    size_t tl = spx_fmt_binary_encoded_size(&dt);
    CHECK(spx_fmt_binary_encode(&dt, tw, alpha, 1, 0, c, sizeof c, &err) == SPX_RT_OK &&
              c[36] == 0,
          "tie encode");
    c[36] = 1;
    c[37] ^= 0xff;
    c[38] ^= 0x0f;
    show("flip rule, tie flipped", c, tl, &dt);
  }
#undef MUT
  return failures;
}

/* ---- fuzz --------------------------------------------------------------- */

static int fuzz(void) {
  static const struct {
    uint32_t rows, cols;
    uint16_t kh, kw;
    uint32_t groups;
    int flip;
    unsigned sub;
  } k_cases[] = {{3, 6, 1, 2, 1, 1, 8}, {4, 11, 3, 1, 2, 1, 0}, {9, 20, 1, 1, 1, 0, 0},
                 {2, 9, 2, 2, 1, 1, 16}};
  size_t ci, tried = 0;
  for (ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++) {
    spx_fmt_dims_t d = mkdims(k_cases[ci].rows, k_cases[ci].cols, k_cases[ci].kh,
                              k_cases[ci].kw, k_cases[ci].groups);
    size_t n = spx_fmt_dims_count(&d), len, cut, bit;
    int8_t *w = malloc(n);
    int16_t *back = malloc(n * sizeof *back);
    uint8_t *b, *c;
    random_pm1(&d, w);
    b = encode(&d, w, k_cases[ci].flip, k_cases[ci].sub, &len);
    for (cut = 0; cut < len; cut++, tried++) {
      c = malloc(cut ? cut : 1);
      memcpy(c, b, cut);
      CHECK(spx_fmt_binary_open(c, cut, NULL, NULL, NULL) != SPX_RT_OK, "cut %zu accepted", cut);
      free(c);
    }
    c = malloc(len);
    for (bit = 0; bit < 8 * len; bit++, tried++) {
      spx_fmt_binary_view_t v;
      spx_fmt_weights_t fw;
      memcpy(c, b, len);
      c[bit / 8] = (uint8_t)(c[bit / 8] ^ (1u << (bit % 8)));
      if (spx_fmt_binary_open(c, len, NULL, &v, NULL) == SPX_RT_OK)
        CHECK(spx_fmt_dims_count(&v.dims) > n ||
                  spx_fmt_desc_BINARY.decode(c, len, &v.dims, back, n, NULL) == SPX_RT_OK,
              "decode after open");
      if (d.kh == 1 && d.kw == 1 && d.groups == 1 &&
          spx_fmt_desc_BINARY.open(c, len, &d, &fw, NULL) == SPX_RT_OK) {
        spx_rt_dense_params_t dp = {3, (int32_t)d.cols, (int32_t)d.rows, SPX_RT_ACT_NONE};
        size_t s = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BINARY, &dp);
        void *scratch = malloc(s);
        int8_t in[64] = {0}, out[64];
        int32_t mult[32], shift[32];
        spx_rt_requant_pc_t q = {0, 0, mult, shift, -128, 127};
        size_t r;
        for (r = 0; r < d.rows; r++) {
          mult[r] = 1 << 30;
          shift[r] = 0;
        }
        CHECK(spx_rt_dense_s8_fmt(&spx_fmt_desc_BINARY, &dp, &q, in, c, len, NULL, out,
                                  scratch, s) == SPX_RT_OK,
              "dense on an opened flip");
        free(scratch);
      }
    }
    free(c);
    free(b);
    free(w);
    free(back);
  }
  printf("fuzz: %zu corrupted encodings, no crash\n", tried);
  return failures;
}

/* ---- kernels against dense int8 ---------------------------------------- */

static void requant(uint32_t rows, int32_t *mult, int32_t *shift, spx_rt_requant_pc_t *q,
                    int32_t zin) {
  uint32_t c;
  for (c = 0; c < rows; c++) {
    int sh;
    spx_rt_quantize_multiplier(0.01 + 0.003 * (c % 7), &mult[c], &sh);
    shift[c] = sh;
  }
  q->in_zero_point = zin;
  q->out_zero_point = -4;
  q->multiplier = mult;
  q->shift = shift;
  q->act_min = -128;
  q->act_max = 127;
}

/* A binary layer's inputs are +-1 (zero point 0); the kernels take any
 * int8, so half the cases use random int8 and a zero point. */
static void fill_input(int8_t *in, size_t n, int pm1) {
  size_t i;
  for (i = 0; i < n; i++)
    in[i] = pm1 ? (int8_t)(rnd() & 1 ? 1 : -1) : (int8_t)((int)(rnd() % 256) - 128);
}

static int kernels(void) {
  static const struct {
    uint32_t c_out, c_in;
    int32_t k, groups, stride, pad;
  } k_cases[] = {
      {16, 16, 3, 1, 1, 1}, {12, 21, 3, 1, 2, 0}, {8, 8, 1, 1, 1, 0},  {9, 37, 3, 1, 1, 1},
      {10, 13, 2, 1, 1, 1}, {40, 64, 3, 1, 1, 1}, {6, 19, 1, 1, 1, 0}, {12, 24, 3, 3, 1, 1},
      {8, 8, 3, 8, 1, 1},   {33, 20, 3, 1, 1, 1}, {70, 100, 1, 1, 1, 0}, {7, 3, 3, 1, 1, 1},
  };
  size_t ci, conv = 0, dense = 0;
  int flip;
  for (ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++)
    for (flip = 0; flip < 2; flip++) {
      spx_rt_conv2d_params_t p;
      spx_rt_requant_pc_t q;
      spx_fmt_dims_t d;
      int32_t oh, ow, mult[128], shift[128], bias[128];
      size_t n, nin, nout, len, s0, s1, i;
      int8_t *w, *in, *o0, *o1;
      uint8_t *bytes;
      void *sc0, *sc1;
      const int pm1 = (ci + (size_t)flip) % 2 == 0;
      memset(&p, 0, sizeof p);
      p.n = 2;
      p.c_in = (int32_t)k_cases[ci].c_in;
      p.h = 9;
      p.w = 7;
      p.c_out = (int32_t)k_cases[ci].c_out;
      p.kh = p.kw = k_cases[ci].k;
      p.stride[0] = p.stride[1] = k_cases[ci].stride;
      p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = k_cases[ci].pad;
      p.dilation[0] = p.dilation[1] = 1;
      p.groups = k_cases[ci].groups;
      p.act = SPX_RT_ACT_RELU;
      d = mkdims((uint32_t)p.c_out, (uint32_t)(p.c_in / p.groups), (uint16_t)p.kh,
                 (uint16_t)p.kw, (uint32_t)p.groups);
      n = spx_fmt_dims_count(&d);
      w = malloc(n);
      random_pm1(&d, w);
      bytes = encode(&d, w, flip, flip ? 16 : 0, &len);
      requant(d.rows, mult, shift, &q, pm1 ? 0 : 5);
      for (i = 0; i < d.rows; i++) bias[i] = (int32_t)(rnd() % 801) - 400;
      spx_rt_conv2d_out_dims(&p, &oh, &ow);
      nin = (size_t)p.n * p.c_in * p.h * p.w;
      nout = (size_t)p.n * p.c_out * oh * ow;
      in = malloc(nin);
      o0 = malloc(nout);
      o1 = malloc(nout);
      fill_input(in, nin, pm1);
      s0 = spx_rt_conv2d_s8_get_buffer_size(&p);
      s1 = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_BINARY, &p);
      sc0 = malloc(s0);
      sc1 = malloc(s1);
      CHECK(spx_rt_conv2d_s8(&p, &q, in, w, bias, o0, sc0, s0) == SPX_RT_OK &&
                spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BINARY, &p, &q, in, bytes, len, bias, o1,
                                     sc1, s1) == SPX_RT_OK &&
                !memcmp(o0, o1, nout),
            "conv case %zu (flips %d) differs from dense int8", ci, flip);
      conv++;
      free(sc0);
      free(sc1);
      if (p.kh == 1 && p.groups == 1) {
        static const int32_t batches[] = {1, 4, 17};
        size_t bi;
        for (bi = 0; bi < 3; bi++) {
          const int32_t nb = batches[bi];
          spx_rt_dense_params_t dp = {nb, p.c_in, p.c_out, SPX_RT_ACT_NONE};
          int8_t *din = malloc((size_t)nb * p.c_in), *d0 = malloc((size_t)nb * p.c_out),
                 *d1 = malloc((size_t)nb * p.c_out);
          fill_input(din, (size_t)nb * p.c_in, pm1);
          s0 = spx_rt_dense_s8_get_buffer_size(&dp);
          s1 = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BINARY, &dp);
          sc0 = malloc(s0);
          sc1 = malloc(s1);
          CHECK(spx_rt_dense_s8(&dp, &q, din, w, bias, d0, sc0, s0) == SPX_RT_OK &&
                    spx_rt_dense_s8_fmt(&spx_fmt_desc_BINARY, &dp, &q, din, bytes, len, bias,
                                        d1, sc1, s1) == SPX_RT_OK &&
                    !memcmp(d0, d1, (size_t)nb * p.c_out),
                "dense case %zu batch %d (flips %d) differs from dense int8", ci, nb, flip);
          dense++;
          free(sc0);
          free(sc1);
          free(din);
          free(d0);
          free(d1);
        }
      }
      free(bytes);
      free(w);
      free(in);
      free(o0);
      free(o1);
    }
  printf("kernels: %zu conv2d and %zu dense cases bit-exact with dense int8\n", conv, dense);
  return failures;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "hand")) return hand() ? 1 : 0;
  if (!strcmp(cmd, "encode") && argc == 12) return file_encode(argv + 2);
  if (!strcmp(cmd, "decode") && argc == 9) return file_decode(argv + 2);
  if (!strcmp(cmd, "validate") && argc == 8) return file_validate(argv + 2);
  if (!strcmp(cmd, "colsum") && argc == 3) return file_colsum(argv[2]);
  if (!strcmp(cmd, "reject")) return reject() ? 1 : 0;
  if (!strcmp(cmd, "fuzz")) return fuzz() ? 1 : 0;
  if (!strcmp(cmd, "kernels")) return kernels() ? 1 : 0;
  fprintf(stderr, "usage: spx-binary-test hand|encode|decode|validate|colsum|reject|fuzz|"
                  "kernels ...\n");
  return 2;
}
