/* spx-ternary-test: unit checks of the ternary format (runtime/formats/
 * ternary.c) and of its kernels. Usage:
 *   spx-ternary-test hand      hand-worked codes of the (8, 2) book, sizes
 *   spx-ternary-test book N K [STEP]
 *                              every STEP-th code (default 1) of the (N, K)
 *                              book as "code pos neg" (masks in hex), then
 *                              the last code; checks masks_to_code inverts
 *                              it (for ternary_ref.py)
 *   spx-ternary-test encode N K ROWS COLS KH KW GROUPS IN.raw OUT.bin
 *   spx-ternary-test decode N K ROWS COLS KH KW GROUPS IN.bin OUT.raw
 *   spx-ternary-test validate ROWS COLS KH KW GROUPS IN.bin
 *                              the library on files (int8 OIHW raw weights,
 *                              encodings); validate prints "ok" or the
 *                              validator's message (for ternary_ref.py)
 *   spx-ternary-test reject    one corruption per header field and per code
 *                              check: prints the validator's reason for each
 *   spx-ternary-test fuzz      every truncation and every single-bit flip of
 *                              sample encodings: no crash (ASan/UBSan build),
 *                              a flip is rejected or decodes
 *   spx-ternary-test kernels   conv2d and dense through the ternary
 *                              descriptor bit-exact against the dense int8
 *                              kernels on the decoded weights, for table
 *                              books and unranked ones (up to (16, 16))
 *   spx-ternary-test lut       the activation-table path (batch 1 to 8 of
 *                              dense layers, conv tiles of 1 to 8 columns,
 *                              ragged last groups, conv groups) bit-exact
 *                              with dense int8, the cases where it falls
 *                              back ((16, 16), too few rows, 9+ columns),
 *                              and on ill-formed codes (past the book, on a
 *                              missing lane) equal to the decoding path
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

/* Random ternary weights with at most k non-zeros per group of n lanes. */
static void random_ternary(const spx_fmt_dims_t *d, unsigned n, unsigned k, int8_t *w) {
  size_t taps = (size_t)d->kh * d->kw, o, t, i0, i;
  for (o = 0; o < d->rows; o++)
    for (t = 0; t < taps; t++)
      for (i0 = 0; i0 < d->cols; i0 += n) {
        unsigned lanes = d->cols - i0 < n ? (unsigned)(d->cols - i0) : n, nz = 0;
        unsigned want = rnd() % (k + 1);
        for (i = 0; i < lanes; i++) w[(o * d->cols + i0 + i) * taps + t] = 0;
        while (nz < want && nz < lanes) {
          unsigned l = rnd() % lanes;
          int8_t *p = &w[(o * d->cols + i0 + l) * taps + t];
          if (*p) continue;
          *p = rnd() & 1 ? 1 : -1;
          nz++;
        }
      }
}

static uint8_t *encode(const spx_fmt_dims_t *d, unsigned n, unsigned k, const int8_t *w,
                       size_t *len) {
  uint8_t *out;
  *len = spx_fmt_ternary_encoded_size(d, n, k);
  out = malloc(*len ? *len : 1);
  if (!out || spx_fmt_ternary_encode(d, n, k, w, out, *len, len) != SPX_RT_OK) {
    printf("FAIL: encode\n");
    exit(1);
  }
  return out;
}

/* ---- hand-worked codes -------------------------------------------------- */

static int hand(void) {
  static const struct {
    uint32_t code, pos, neg;
  } k_cases[] = {
      {0, 0x00, 0x00},   /* all zero */
      {1, 0x01, 0x00},   /* +1 at lane 0 */
      {2, 0x01, 0x01},   /* -1 at lane 0 */
      {3, 0x02, 0x00},   /* +1 at lane 1 */
      {16, 0x80, 0x80},  /* -1 at lane 7: the last one-non-zero code */
      {17, 0x03, 0x00},  /* +1 +1 at lanes 0, 1: the first two-non-zero code */
      {18, 0x03, 0x01},  /* s = 1: the sign of lane 0 (p1) is bit 0 */
      {19, 0x03, 0x02},  /* s = 2: lane 1 negative */
      {21, 0x05, 0x00},  /* support (0, 2): rank 1 */
      {128, 0xc0, 0xc0}, /* -1 -1 at lanes 6, 7: the last code */
  };
  size_t i;
  uint32_t pos, neg, code;
  int8_t w[16], back[16];
  spx_fmt_dims_t d = mkdims(2, 8, 1, 1, 1);
  uint8_t *bytes;
  size_t len;
  CHECK(spx_fmt_ternary_patterns(8, 2) == 129, "P(8,2) = %u", spx_fmt_ternary_patterns(8, 2));
  CHECK(spx_fmt_ternary_code_bits(8, 2) == 8, "b(8,2)");
  CHECK(spx_fmt_ternary_patterns(16, 16) == 43046721u, "P(16,16) = 3^16");
  CHECK(spx_fmt_ternary_code_bits(16, 16) == 26, "b(16,16)");
  CHECK(spx_fmt_ternary_patterns(2, 1) == 5 && spx_fmt_ternary_code_bits(2, 1) == 3, "(2,1)");
  CHECK(spx_fmt_ternary_patterns(1, 1) == 0 && spx_fmt_ternary_patterns(17, 1) == 0 &&
            spx_fmt_ternary_patterns(8, 0) == 0 && spx_fmt_ternary_patterns(8, 9) == 0,
        "out-of-range parameters have no book");
  for (i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
    CHECK(spx_fmt_ternary_code_to_masks(8, 2, k_cases[i].code, &pos, &neg) == SPX_RT_OK &&
              pos == k_cases[i].pos && neg == k_cases[i].neg,
          "(8,2) code %u -> %02x %02x", k_cases[i].code, pos, neg);
    CHECK(spx_fmt_ternary_masks_to_code(8, 2, k_cases[i].pos, k_cases[i].neg, &code) ==
                  SPX_RT_OK && code == k_cases[i].code,
          "(8,2) masks -> code %u", code);
  }
  CHECK(spx_fmt_ternary_code_to_masks(8, 2, 129, &pos, &neg) == SPX_RT_ERR_ARG && !pos && !neg,
        "code 129 is past the (8,2) book");
  CHECK(spx_fmt_ternary_masks_to_code(8, 2, 0x07, 0, &code) == SPX_RT_ERR_ARG,
        "three non-zeros do not fit (8,2)");
  CHECK(spx_fmt_ternary_masks_to_code(8, 2, 0x100, 0, &code) == SPX_RT_ERR_ARG, "lane 8");
  CHECK(spx_fmt_ternary_masks_to_code(8, 2, 0x01, 0x02, &code) == SPX_RT_ERR_ARG,
        "a sign without its position");
  /* the encoding of two rows: codes 17 and 128, header as drawn */
  memset(w, 0, sizeof w);
  w[0] = w[1] = 1;
  w[14] = w[15] = -1;
  bytes = encode(&d, 8, 2, w, &len);
  CHECK(len == 34 && !memcmp(bytes, "SXTN", 4) && bytes[6] == 32 && bytes[24] == 8 &&
            bytes[25] == 2 && bytes[26] == 8 && bytes[28] == 34 && bytes[32] == 17 &&
            bytes[33] == 128,
        "two-row encoding");
  CHECK(spx_fmt_ternary_decode(bytes, len, &d, back, 16, NULL) == SPX_RT_OK &&
            !memcmp(w, back, 16),
        "two-row decode");
  w[2] = 1; /* three non-zeros */
  CHECK(spx_fmt_ternary_encode(&d, 8, 2, w, bytes, len, NULL) == SPX_RT_ERR_ARG,
        "encode refuses three non-zeros in a group");
  w[1] = 0;
  w[2] = 2;
  CHECK(spx_fmt_ternary_encode(&d, 8, 2, w, bytes, len, NULL) == SPX_RT_ERR_ARG,
        "encode refuses a weight of 2");
  free(bytes);
  printf("hand: (8,2) codes and a two-row encoding\n");
  return failures;
}

static int book(unsigned n, unsigned k, uint32_t step) {
  uint32_t p = spx_fmt_ternary_patterns(n, k), c, pos, neg, back;
  if (!p || !step) {
    printf("FAIL: no book (%u, %u)\n", n, k);
    return 1;
  }
  printf("P %u b %u\n", p, spx_fmt_ternary_code_bits(n, k));
  for (c = 0; c < p; c = (p - 1 - c > step || c == p - 1) ? c + step : p - 1) {
    CHECK(spx_fmt_ternary_code_to_masks(n, k, c, &pos, &neg) == SPX_RT_OK, "code %u", c);
    CHECK(spx_fmt_ternary_masks_to_code(n, k, pos, neg, &back) == SPX_RT_OK && back == c,
          "code %u back %u", c, back);
    printf("%u %x %x\n", c, pos, neg);
    if (c == p - 1) break;
  }
  CHECK(spx_fmt_ternary_code_to_masks(n, k, p, &pos, &neg) == SPX_RT_ERR_ARG, "code P");
  return failures;
}

/* ---- files (for ternary_ref.py) ----------------------------------------- */

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
  unsigned n = (unsigned)atoi(a[0]), k = (unsigned)atoi(a[1]);
  spx_fmt_dims_t d = dims_of(a + 2);
  size_t len, wl;
  int8_t *w = read_file(a[7], &wl);
  uint8_t *out;
  spx_rt_status_t st;
  int rc;
  if (!w || wl != spx_fmt_dims_count(&d)) {
    free(w);
    return printf("FAIL: weights file\n"), 1;
  }
  len = spx_fmt_ternary_encoded_size(&d, n, k);
  out = malloc(len ? len : 1);
  st = spx_fmt_ternary_encode(&d, n, k, w, out, len, &len);
  rc = st != SPX_RT_OK ? (printf("encode: %s\n", spx_rt_status_name(st)), 1)
                       : write_file(a[8], out, len);
  free(w);
  free(out);
  return rc;
}

static int file_decode(char **a) {
  spx_fmt_dims_t d = dims_of(a + 2);
  size_t len, n = spx_fmt_dims_count(&d);
  uint8_t *b = read_file(a[7], &len);
  int8_t *w = malloc(n ? n : 1);
  spx_rt_error_t err;
  int rc;
  if (!b || spx_fmt_ternary_decode(b, len, &d, w, n, &err) != SPX_RT_OK)
    rc = (printf("decode: %s\n", b ? err.message : "no file"), 1);
  else
    rc = write_file(a[8], w, n);
  free(b);
  free(w);
  return rc;
}

static int file_validate(char **a) {
  spx_fmt_dims_t d = dims_of(a);
  size_t len;
  uint8_t *b = read_file(a[5], &len);
  spx_rt_error_t err;
  if (!b) return printf("no file\n"), 1;
  if (spx_fmt_ternary_validate(b, len, &d, &err) == SPX_RT_OK)
    printf("ok\n");
  else
    printf("%s\n", err.message);
  free(b);
  return 0;
}

/* ---- rejections --------------------------------------------------------- */

/* ORs code value x into code number i of a stream of b-bit codes. */
static void or_code(uint8_t *data, unsigned i, unsigned b, uint32_t x) {
  unsigned q = i * b, t;
  for (t = 0; t < b; t++, q++)
    if ((x >> t) & 1u) data[q / 8] = (uint8_t)(data[q / 8] | (1u << (q % 8)));
}

static void show(const char *what, const uint8_t *b, size_t len, const spx_fmt_dims_t *d) {
  spx_rt_error_t err;
  spx_rt_status_t st = spx_fmt_ternary_validate(b, len, d, &err);
  CHECK(st != SPX_RT_OK && err.message[0], "%s accepted", what);
  printf("%s: %s\n", what, err.message);
}

static int reject(void) {
  /* (4, 4): P = 81, b = 7 (codes 81..127 invalid); 6 input channels: a
   * full group and a ragged one of 2 lanes; 3 rows, 1x2 taps */
  spx_fmt_dims_t d = mkdims(3, 6, 1, 2, 1);
  size_t n = spx_fmt_dims_count(&d), len;
  int8_t *w = malloc(n);
  uint8_t *b, *c;
  spx_rt_error_t err;
  memset(w, 0, n);
  w[0] = 1;
  b = encode(&d, 4, 4, w, &len);
  c = malloc(len);
  printf("sample: %zu bytes, %u codes of %u bits\n", len, (unsigned)(3 * 2 * 2), 7u);
#define MUT(what, stmt)                                                       \
  do {                                                                        \
    memcpy(c, b, len);                                                        \
    stmt;                                                                     \
    show(what, c, len, &d);                                                   \
  } while (0)
  MUT("magic", c[0] = 'X');
  MUT("version", c[4] = 2);
  MUT("header_bytes", c[6] = 48);
  MUT("rows 0", memset(c + 8, 0, 4));
  MUT("groups 2", c[20] = 2);
  MUT("N 17", c[24] = 17);
  MUT("K 5", c[25] = 5);
  MUT("K 0", c[25] = 0);
  MUT("code width", c[26] = 8);
  MUT("flags", c[27] = 1);
  MUT("total_bytes", c[28] = (uint8_t)(c[28] + 1));
  show("truncated", b, len - 1, &d);
  {
    spx_fmt_dims_t e = mkdims(3, 7, 1, 2, 1);
    show("expected 3x7x1x2", b, len, &e);
  }
  /* code 5 (output channel 1, tap 0, group 1, the ragged one) := 81 */
  MUT("code past the end", or_code(c + 32, 5, 7, 81));
  /* code 5 := 5, +1 at lane 2: the ragged group has lanes 0 and 1 */
  MUT("missing lane", or_code(c + 32, 5, 7, 5));
  /* code 9 (output channel 2, tap 0, group 1) := 80 = -1 -1 -1 -1 */
  MUT("missing lanes, channel 2", or_code(c + 32, 9, 7, 80));
  /* 12 codes * 7 bits = 84 bits: bits 84..87 of the last byte are padding */
  MUT("padding", c[len - 1] = (uint8_t)(c[len - 1] | 0x80));
  CHECK(spx_fmt_ternary_validate(NULL, 0, &d, &err) == SPX_RT_ERR_ARG, "NULL");
  printf("NULL: %s\n", err.message);
  free(w);
  free(b);
  free(c);
  return failures;
}

/* ---- fuzz --------------------------------------------------------------- */

static int fuzz(void) {
  static const struct {
    uint32_t rows, cols;
    uint16_t kh, kw;
    uint32_t groups;
    unsigned n, k;
  } k_cases[] = {{3, 6, 1, 2, 1, 4, 4}, {4, 11, 3, 1, 2, 8, 2}, {2, 20, 1, 1, 1, 16, 16},
                 {2, 9, 2, 2, 1, 5, 3}};
  size_t ci, tried = 0;
  for (ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++) {
    spx_fmt_dims_t d = mkdims(k_cases[ci].rows, k_cases[ci].cols, k_cases[ci].kh,
                              k_cases[ci].kw, k_cases[ci].groups);
    size_t n = spx_fmt_dims_count(&d), len, cut, bit;
    int8_t *w = malloc(n), *back = malloc(n);
    uint8_t *b, *c;
    random_ternary(&d, k_cases[ci].n, k_cases[ci].k, w);
    b = encode(&d, k_cases[ci].n, k_cases[ci].k, w, &len);
    for (cut = 0; cut < len; cut++, tried++) {
      c = malloc(cut ? cut : 1);
      memcpy(c, b, cut);
      CHECK(spx_fmt_ternary_validate(c, cut, &d, NULL) != SPX_RT_OK, "cut %zu accepted", cut);
      CHECK(spx_fmt_ternary_open(c, cut, NULL, &(spx_fmt_ternary_view_t){0}, NULL) != SPX_RT_OK,
            "open of cut %zu", cut);
      free(c);
    }
    c = malloc(len);
    for (bit = 0; bit < 8 * len; bit++, tried++) {
      spx_fmt_weights_t fw;
      memcpy(c, b, len);
      c[bit / 8] = (uint8_t)(c[bit / 8] ^ (1u << (bit % 8)));
      if (spx_fmt_ternary_validate(c, len, NULL, NULL) == SPX_RT_OK) {
        spx_fmt_ternary_view_t v;
        CHECK(spx_fmt_ternary_open(c, len, NULL, &v, NULL) == SPX_RT_OK, "open after validate");
        CHECK(spx_fmt_ternary_decode(c, len, &v.dims, back, n, NULL) == SPX_RT_OK ||
                  spx_fmt_dims_count(&v.dims) > n,
              "decode after validate");
      }
      /* the kernels' structural check: open on the layer's dims, then a
       * dense call on whatever it let through */
      if (d.kh == 1 && d.kw == 1 && d.groups == 1 &&
          spx_fmt_desc_TERNARY.open(c, len, &d, &fw, NULL) == SPX_RT_OK) {
        spx_rt_dense_params_t dp = {3, (int32_t)d.cols, (int32_t)d.rows, SPX_RT_ACT_NONE};
        size_t s = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &dp);
        void *scratch = malloc(s);
        int8_t in[64] = {0}, out[64];
        int32_t mult[32], shift[32];
        spx_rt_requant_pc_t q = {0, 0, mult, shift, -128, 127};
        size_t r;
        for (r = 0; r < d.rows; r++) {
          mult[r] = 1 << 30;
          shift[r] = 0;
        }
        CHECK(spx_rt_dense_s8_fmt(&spx_fmt_desc_TERNARY, &dp, &q, in, c, len, NULL, out,
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

static void requant(uint32_t rows, int32_t *mult, int32_t *shift, spx_rt_requant_pc_t *q) {
  uint32_t c;
  for (c = 0; c < rows; c++) {
    int sh;
    spx_rt_quantize_multiplier(0.01 + 0.003 * (c % 7), &mult[c], &sh);
    shift[c] = sh;
  }
  q->in_zero_point = 5;
  q->out_zero_point = -4;
  q->multiplier = mult;
  q->shift = shift;
  q->act_min = -128;
  q->act_max = 127;
}

static int kernels(void) {
  static const struct {
    uint32_t c_out, c_in;
    int32_t k, groups, stride, pad;
    unsigned n, k_nz;
  } k_cases[] = {
      {16, 16, 3, 1, 1, 1, 8, 2},  {12, 21, 3, 1, 2, 0, 8, 2},  {8, 8, 1, 1, 1, 0, 4, 4},
      {9, 37, 3, 1, 1, 1, 16, 1},  {10, 13, 2, 1, 1, 1, 5, 3},  {8, 40, 3, 1, 1, 1, 16, 16},
      {6, 19, 1, 1, 1, 0, 12, 5},  {12, 24, 3, 3, 1, 1, 8, 2},  {8, 8, 3, 8, 1, 1, 8, 2},
      {33, 20, 3, 1, 1, 1, 10, 4}, {40, 70, 1, 1, 1, 0, 16, 3}, {7, 3, 3, 1, 1, 1, 8, 8},
  };
  size_t ci, conv = 0, dense = 0;
  for (ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++) {
    spx_rt_conv2d_params_t p;
    spx_rt_requant_pc_t q;
    spx_fmt_dims_t d;
    int32_t oh, ow, mult[64], shift[64], bias[64];
    size_t n, nin, nout, len, s0, s1, i;
    int8_t *w, *in, *o0, *o1;
    uint8_t *bytes;
    void *sc0, *sc1;
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
    random_ternary(&d, k_cases[ci].n, k_cases[ci].k_nz, w);
    bytes = encode(&d, k_cases[ci].n, k_cases[ci].k_nz, w, &len);
    requant(d.rows, mult, shift, &q);
    for (i = 0; i < d.rows; i++) bias[i] = (int32_t)(rnd() % 801) - 400;
    spx_rt_conv2d_out_dims(&p, &oh, &ow);
    nin = (size_t)p.n * p.c_in * p.h * p.w;
    nout = (size_t)p.n * p.c_out * oh * ow;
    in = malloc(nin);
    o0 = malloc(nout);
    o1 = malloc(nout);
    for (i = 0; i < nin; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
    s0 = spx_rt_conv2d_s8_get_buffer_size(&p);
    s1 = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &p);
    sc0 = malloc(s0);
    sc1 = malloc(s1);
    CHECK(spx_rt_conv2d_s8(&p, &q, in, w, bias, o0, sc0, s0) == SPX_RT_OK &&
              spx_rt_conv2d_s8_fmt(&spx_fmt_desc_TERNARY, &p, &q, in, bytes, len, bias, o1,
                                   sc1, s1) == SPX_RT_OK &&
              !memcmp(o0, o1, nout),
          "conv case %zu (N %u, K %u) differs from dense int8", ci, k_cases[ci].n,
          k_cases[ci].k_nz);
    conv++;
    free(sc0);
    free(sc1);
    if (p.kh == 1 && p.groups == 1) {
      spx_rt_dense_params_t dp = {17, p.c_in, p.c_out, SPX_RT_ACT_NONE};
      int8_t *din = malloc((size_t)17 * p.c_in), *d0 = malloc((size_t)17 * p.c_out),
             *d1 = malloc((size_t)17 * p.c_out);
      for (i = 0; i < (size_t)17 * p.c_in; i++) din[i] = (int8_t)((int)(rnd() % 256) - 128);
      s0 = spx_rt_dense_s8_get_buffer_size(&dp);
      s1 = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &dp);
      sc0 = malloc(s0);
      sc1 = malloc(s1);
      CHECK(spx_rt_dense_s8(&dp, &q, din, w, bias, d0, sc0, s0) == SPX_RT_OK &&
                spx_rt_dense_s8_fmt(&spx_fmt_desc_TERNARY, &dp, &q, din, bytes, len, bias, d1,
                                    sc1, s1) == SPX_RT_OK &&
                !memcmp(d0, d1, (size_t)17 * p.c_out),
            "dense case %zu differs from dense int8", ci);
      dense++;
      free(sc0);
      free(sc1);
      free(din);
      free(d0);
      free(d1);
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

/* ---- the activation-table path ----------------------------------------- */

/* Dense through the ternary descriptor, batch nb; 1 if the call succeeded. */
static int tern_dense(int32_t nb, int32_t f, int32_t u, const spx_rt_requant_pc_t *q,
                      const int8_t *in, const uint8_t *bytes, size_t len, const int32_t *bias,
                      int8_t *out) {
  spx_rt_dense_params_t dp = {nb, f, u, SPX_RT_ACT_NONE};
  size_t s = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &dp);
  void *scratch = malloc(s);
  int ok = spx_rt_dense_s8_fmt(&spx_fmt_desc_TERNARY, &dp, q, in, bytes, len, bias, out,
                               scratch, s) == SPX_RT_OK;
  free(scratch);
  return ok;
}

static int lut(void) {
  /* dense: features, units, batch, N, K; want = columns of the tables (0:
   * the decoding path) for the last tile */
  static const struct {
    int32_t f, u, nb;
    unsigned n, k;
    uint32_t want;
  } k_dense[] = {
      {300, 40, 1, 8, 2, 1},    {300, 70, 2, 8, 2, 4},   {300, 70, 3, 8, 2, 4},
      {300, 70, 4, 8, 2, 4},    {300, 130, 5, 8, 2, 8},  {300, 130, 8, 8, 2, 8},
      {2048, 200, 1, 8, 2, 1},  {45, 40, 3, 4, 1, 4},    {52, 90, 3, 5, 3, 4},
      {23, 64, 17, 4, 4, 1},    {37, 33, 1, 16, 1, 1},   {64, 40, 2, 2, 2, 4},
      {40, 70, 1, 16, 16, 0},   {300, 20, 1, 8, 2, 0},   {300, 60, 3, 8, 2, 0},
      {300, 130, 9, 8, 2, 0},   {100, 200, 1, 16, 2, 0},
  };
  /* conv: c_out, c_in, h, w, k, groups, N, K, want (last tile's columns) */
  static const struct {
    int32_t c_out, c_in, h, w, k, groups;
    unsigned n, k_nz;
    uint32_t want;
  } k_conv[] = {
      {72, 20, 3, 6, 3, 1, 8, 2, 4},   /* 18 pixels: a tile of 16, one of 2 */
      {144, 16, 3, 6, 3, 2, 8, 2, 4},  /* conv groups of 72 rows */
      {40, 13, 1, 17, 3, 1, 8, 2, 1},  /* 17 pixels: a tail of 1 */
      {140, 70, 4, 6, 1, 1, 8, 2, 8},  /* 24 pixels: a tail of 8, 1x1 */
      {40, 13, 1, 17, 3, 1, 16, 16, 0}, /* (16, 16): decoded */
      {140, 20, 4, 6, 1, 1, 8, 2, 0},   /* one group's tables (4128 bytes) exceed
                                           the scratch's tile (1280): decoded */
  };
  size_t ci, dense = 0, conv = 0, taken = 0, ill = 0;
  for (ci = 0; ci < sizeof k_dense / sizeof k_dense[0]; ci++) {
    const int32_t f = k_dense[ci].f, u = k_dense[ci].u, nb = k_dense[ci].nb;
    spx_fmt_dims_t d = mkdims((uint32_t)u, (uint32_t)f, 1, 1, 1);
    spx_rt_dense_params_t dp = {nb, f, u, SPX_RT_ACT_NONE};
    spx_rt_requant_pc_t q;
    int32_t mult[256], shift[256], bias[256];
    const size_t m = nb > 16 ? (size_t)nb : 16; /* input rows */
    int8_t *w = malloc((size_t)u * f), *in = malloc(m * f);
    int8_t *o0 = malloc(m * u), *o1 = malloc(m * u);
    uint8_t *bytes;
    size_t len, s0, i;
    void *sc0;
    uint32_t got = spx_fmt_ternary_lut_columns(&d, k_dense[ci].n, k_dense[ci].k,
                                               (uint32_t)(nb % 16 ? nb % 16 : 16));
    CHECK(got == k_dense[ci].want, "dense case %zu: tables of %u columns, want %u", ci, got,
          k_dense[ci].want);
    taken += got != 0;
    random_ternary(&d, k_dense[ci].n, k_dense[ci].k, w);
    bytes = encode(&d, k_dense[ci].n, k_dense[ci].k, w, &len);
    requant(d.rows, mult, shift, &q);
    for (i = 0; i < d.rows; i++) bias[i] = (int32_t)(rnd() % 801) - 400;
    for (i = 0; i < m * f; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
    s0 = spx_rt_dense_s8_get_buffer_size(&dp);
    sc0 = malloc(s0);
    CHECK(spx_rt_dense_s8(&dp, &q, in, w, bias, o0, sc0, s0) == SPX_RT_OK &&
              tern_dense(nb, f, u, &q, in, bytes, len, bias, o1) &&
              !memcmp(o0, o1, (size_t)nb * u),
          "dense case %zu (%d -> %d, batch %d, N %u, K %u) differs from dense int8", ci, f, u,
          nb, k_dense[ci].n, k_dense[ci].k);
    dense++;
    /* ill-formed codes (random code bits: past the book, on the missing
     * lanes of the ragged last group): the tables compute what decoding
     * does, a tile of 16 columns (the decoding path) against batch nb */
    if (got && nb < 16) {
      size_t c;
      for (c = SPX_FMT_TERNARY_HEADER_BYTES; c < len; c++) bytes[c] = (uint8_t)rnd();
      CHECK(tern_dense(16, f, u, &q, in, bytes, len, bias, o0) &&
                tern_dense(nb, f, u, &q, in, bytes, len, bias, o1) &&
                !memcmp(o0, o1, (size_t)nb * u),
            "dense case %zu: ill-formed codes differ between tables and decoding", ci);
      ill++;
    }
    free(sc0);
    free(bytes);
    free(w);
    free(in);
    free(o0);
    free(o1);
  }
  for (ci = 0; ci < sizeof k_conv / sizeof k_conv[0]; ci++) {
    spx_rt_conv2d_params_t p;
    spx_rt_requant_pc_t q;
    spx_fmt_dims_t d;
    int32_t oh, ow, mult[256], shift[256], bias[256];
    size_t n, nin, nout, len, s0, s1, i;
    int8_t *w, *in, *o0, *o1;
    uint8_t *bytes;
    void *sc0, *sc1;
    uint32_t got;
    memset(&p, 0, sizeof p);
    p.n = 2;
    p.c_in = k_conv[ci].c_in;
    p.h = k_conv[ci].h;
    p.w = k_conv[ci].w;
    p.c_out = k_conv[ci].c_out;
    p.kh = p.kw = k_conv[ci].k;
    p.stride[0] = p.stride[1] = 1;
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = k_conv[ci].k / 2;
    p.dilation[0] = p.dilation[1] = 1;
    p.groups = k_conv[ci].groups;
    p.act = SPX_RT_ACT_RELU;
    d = mkdims((uint32_t)p.c_out, (uint32_t)(p.c_in / p.groups), (uint16_t)p.kh,
               (uint16_t)p.kw, (uint32_t)p.groups);
    spx_rt_conv2d_out_dims(&p, &oh, &ow);
    got = spx_fmt_ternary_lut_columns(&d, k_conv[ci].n, k_conv[ci].k_nz,
                                      (uint32_t)((oh * ow) % 16));
    CHECK(got == k_conv[ci].want, "conv case %zu: tables of %u columns, want %u", ci, got,
          k_conv[ci].want);
    CHECK(spx_fmt_ternary_lut_columns(&d, k_conv[ci].n, k_conv[ci].k_nz, 16) == 0,
          "conv case %zu: a full tile takes the tables", ci);
    taken += got != 0;
    n = spx_fmt_dims_count(&d);
    w = malloc(n);
    random_ternary(&d, k_conv[ci].n, k_conv[ci].k_nz, w);
    bytes = encode(&d, k_conv[ci].n, k_conv[ci].k_nz, w, &len);
    requant(d.rows, mult, shift, &q);
    for (i = 0; i < d.rows; i++) bias[i] = (int32_t)(rnd() % 801) - 400;
    nin = (size_t)p.n * p.c_in * p.h * p.w;
    nout = (size_t)p.n * p.c_out * oh * ow;
    in = malloc(nin);
    o0 = malloc(nout);
    o1 = malloc(nout);
    for (i = 0; i < nin; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
    s0 = spx_rt_conv2d_s8_get_buffer_size(&p);
    s1 = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &p);
    sc0 = malloc(s0);
    sc1 = malloc(s1);
    CHECK(spx_rt_conv2d_s8(&p, &q, in, w, bias, o0, sc0, s0) == SPX_RT_OK &&
              spx_rt_conv2d_s8_fmt(&spx_fmt_desc_TERNARY, &p, &q, in, bytes, len, bias, o1,
                                   sc1, s1) == SPX_RT_OK &&
              !memcmp(o0, o1, nout),
          "conv case %zu (N %u, K %u) differs from dense int8", ci, k_conv[ci].n,
          k_conv[ci].k_nz);
    conv++;
    free(sc0);
    free(sc1);
    free(bytes);
    free(w);
    free(in);
    free(o0);
    free(o1);
  }
  printf("lut: %zu dense and %zu conv2d cases bit-exact with dense int8, %zu through the "
         "tables; %zu with ill-formed codes equal to decoding\n",
         dense, conv, taken, ill);
  return failures;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "hand")) return hand() ? 1 : 0;
  if (!strcmp(cmd, "book") && (argc == 4 || argc == 5))
    return book((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
                argc == 5 ? (uint32_t)atol(argv[4]) : 1)
               ? 1
               : 0;
  if (!strcmp(cmd, "encode") && argc == 11) return file_encode(argv + 2);
  if (!strcmp(cmd, "decode") && argc == 11) return file_decode(argv + 2);
  if (!strcmp(cmd, "validate") && argc == 8) return file_validate(argv + 2);
  if (!strcmp(cmd, "reject")) return reject() ? 1 : 0;
  if (!strcmp(cmd, "fuzz")) return fuzz() ? 1 : 0;
  if (!strcmp(cmd, "kernels")) return kernels() ? 1 : 0;
  if (!strcmp(cmd, "lut")) return lut() ? 1 : 0;
  fprintf(stderr, "usage: spx-ternary-test hand|book N K [STEP]|encode ...|decode ...|"
                  "validate ...|reject|fuzz|kernels|lut\n");
  return 2;
}
