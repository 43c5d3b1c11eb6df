/* spx-cbr-test: unit checks of the CBR format (runtime/formats/cbr.c) and of
 * the CBR kernels (runtime/formats/cbr.c's inner product, run by
 * runtime/kernels/spx_matmul_s8.c). Usage:
 *   spx-cbr-test roundtrip   encode -> validate -> decode == input, masks,
 *                            sizes, on random block-sparse weights of many
 *                            shapes (padding, groups, depthwise, dense)
 *   spx-cbr-test reject      one corruption per header/index field: prints
 *                            the validator's reason for each
 *   spx-cbr-test fuzz        every truncation and every single-bit flip of
 *                            sample encodings: no crash, and a flip either
 *                            is rejected or decodes to weights of the same
 *                            dims (run under ASan/UBSan in the sanitizer
 *                            build)
 *   spx-cbr-test kernels     spx_rt_{conv2d,dense}_s8_fmt with spx_fmt_desc_CBR
 *                            bit-exact against spx_rt_conv2d_s8 /
 *                            spx_rt_dense_s8 on the same (pruned) weights,
 *                            random layers incl. odd shapes
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
static int32_t rnd_range(int32_t lo, int32_t hi) { /* [lo, hi] */
  return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static spx_fmt_cbr_dims_t mkdims(uint32_t rows, uint32_t cols, uint16_t kh,
                                 uint16_t kw, uint32_t groups) {
  spx_fmt_cbr_dims_t d;
  d.rows = rows;
  d.cols = cols;
  d.kh = kh;
  d.kw = kw;
  d.groups = groups;
  return d;
}

/* Random int8 weights in [-127, 127] with about `keep_pct` % of the blocks
 * kept (the others zeroed through a random mask); a few kept blocks get
 * extra zeros so that sparsity inside a block is exercised too. */
static void random_weights(const spx_fmt_cbr_dims_t *d, int keep_pct, int8_t *w) {
  uint32_t R, C, r, c;
  size_t n = spx_fmt_cbr_dense_count(d), i;
  uint8_t mask[4096];
  spx_fmt_cbr_grid(d, &R, &C);
  for (i = 0; i < n; ++i) {
    w[i] = (int8_t)rnd_range(-127, 127);
    if (rnd() % 7 == 0) w[i] = 0;
  }
  memset(mask, 0, sizeof mask);
  for (r = 0; r < R; ++r)
    for (c = 0; c < C; ++c)
      spx_fmt_cbr_mask_set(mask, C, r, c, (int)(rnd() % 100) < keep_pct);
  spx_fmt_cbr_mask_apply(d, mask, w);
}

static const spx_fmt_cbr_dims_t *shapes(size_t *count) {
  static spx_fmt_cbr_dims_t s[16];
  size_t n = 0;
  s[n++] = mkdims(8, 8, 1, 1, 1);     /* one dense block */
  s[n++] = mkdims(32, 64, 1, 1, 1);   /* digits mlp fc1 */
  s[n++] = mkdims(10, 32, 1, 1, 1);   /* digits fc2: padded rows */
  s[n++] = mkdims(10, 64, 1, 1, 1);   /* digits cnn fc1 */
  s[n++] = mkdims(13, 27, 1, 1, 1);   /* odd both ways */
  s[n++] = mkdims(16, 8, 3, 3, 1);    /* digits cnn conv2 */
  s[n++] = mkdims(8, 3, 3, 3, 1);     /* 3 input channels */
  s[n++] = mkdims(12, 12, 3, 3, 1);   /* 12 channels: padded both ways */
  s[n++] = mkdims(24, 20, 1, 3, 1);   /* non-square kernel */
  s[n++] = mkdims(20, 6, 3, 3, 2);    /* groups = 2: 10 rows per group */
  s[n++] = mkdims(16, 1, 3, 3, 16);   /* depthwise */
  s[n++] = mkdims(40, 17, 5, 5, 1);   /* larger */
  *count = n;
  return s;
}

/* ---- roundtrip ------------------------------------------------------------ */

static int roundtrip(void) {
  size_t ns, si, rep;
  const spx_fmt_cbr_dims_t *s = shapes(&ns);
  size_t checked = 0;
  for (si = 0; si < ns; ++si) {
    for (rep = 0; rep < 6; ++rep) {
      const spx_fmt_cbr_dims_t *d = &s[si];
      size_t n = spx_fmt_cbr_dense_count(d), len = 0, size;
      int keep = rep == 0 ? 100 : rep == 1 ? 0 : (int)(rnd() % 100);
      int8_t *w = malloc(n), *back = malloc(n);
      uint8_t *enc, m1[4096], m2[4096];
      uint32_t R, C, nnz = 0;
      spx_fmt_cbr_view_t v;
      spx_rt_error_t why;
  spx_rt_error_clear(&why);
      random_weights(d, keep, w);
      spx_fmt_cbr_grid(d, &R, &C);
      CHECK(spx_fmt_cbr_mask_from_dense(d, w, m1, sizeof m1, &nnz) == SPX_RT_OK,
            "mask_from_dense");
      size = spx_fmt_cbr_encoded_size(d, w);
      CHECK(size == spx_fmt_cbr_encoded_size_nnz(d, nnz), "size vs nnz");
      CHECK(size == ((48 + 4 * (R + 1) + 2 * nnz + 15) / 16) * 16 +
                        (size_t)nnz * 64 * d->kh * d->kw,
            "documented size formula");
      enc = malloc(size + 1);
      CHECK(spx_fmt_cbr_encode(d, w, enc, size - 1, &len) == SPX_RT_ERR_BUFFER,
            "short buffer rejected");
      CHECK(spx_fmt_cbr_encode(d, w, enc, size, &len) == SPX_RT_OK && len == size,
            "encode");
      CHECK(spx_fmt_cbr_validate(enc, len, d, &why) == SPX_RT_OK, "validate: %s", why.message);
      CHECK(spx_fmt_cbr_open(enc, len, d, &v, &why) == SPX_RT_OK, "open: %s", why.message);
      CHECK(v.nnz == nnz && v.block_rows == R && v.block_cols == C, "view counts");
      CHECK(spx_fmt_cbr_mask_from_view(&v, m2, sizeof m2) == SPX_RT_OK &&
                memcmp(m1, m2, spx_fmt_cbr_mask_bytes(R, C)) == 0,
            "mask of view == mask of dense");
      memset(back, 0x55, n);
      CHECK(spx_fmt_cbr_decode(enc, len, d, back, n, &why) == SPX_RT_OK, "decode: %s", why.message);
      CHECK(memcmp(w, back, n) == 0, "decode(encode(w)) == w for %ux%ux%ux%u g%u",
            d->rows, d->cols, d->kh, d->kw, d->groups);
      /* accessors: block data agrees with the dense weights */
      {
        uint32_t r, k;
        for (r = 0; r < R; ++r)
          for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
            uint32_t o0, no, i0, ni, c = spx_fmt_cbr_col(&v, k);
            const int8_t *b = spx_fmt_cbr_block(&v, k);
            spx_fmt_cbr_block_row_span(d, r, &o0, &no);
            spx_fmt_cbr_block_col_span(d, c, &i0, &ni);
            CHECK(b[0] == w[spx_fmt_cbr_dense_index(d, o0, i0, 0, 0)], "block[0]");
            CHECK(b[((size_t)(no - 1) * d->kh * d->kw + (size_t)d->kh * d->kw - 1) * 8 + ni - 1] ==
                      w[spx_fmt_cbr_dense_index(d, o0 + no - 1, i0 + ni - 1, d->kh - 1u, d->kw - 1u)],
                  "block[last]");
          }
      }
      /* wrong expected dims */
      {
        spx_fmt_cbr_dims_t e = *d;
        e.kh = (uint16_t)(e.kh + 1);
        CHECK(spx_fmt_cbr_validate(enc, len, &e, &why) == SPX_RT_ERR_FORMAT,
              "expected dims mismatch rejected");
      }
      checked++;
      free(enc);
      free(w);
      free(back);
    }
  }
  printf("roundtrip: %zu encodings of %zu shapes decoded to their weights\n", checked, ns);
  return failures ? 1 : 0;
}

/* ---- reject ----------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static int reject(void) {
  /* 12 x 12 x 3 x 3: R = C = 2; keep blocks (0,0), (0,1), (1,1) */
  spx_fmt_cbr_dims_t d = mkdims(12, 12, 3, 3, 1);
  size_t n = spx_fmt_cbr_dense_count(&d), len, size;
  int8_t *w = malloc(n);
  uint8_t mask[1] = {0}, *enc, *bad;
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  int k;
  random_weights(&d, 100, w);
  for (size_t i = 0; i < n; ++i)
    if (!w[i]) w[i] = 1;
  spx_fmt_cbr_mask_set(mask, 2, 0, 0, 1);
  spx_fmt_cbr_mask_set(mask, 2, 0, 1, 1);
  spx_fmt_cbr_mask_set(mask, 2, 1, 1, 1);
  spx_fmt_cbr_mask_apply(&d, mask, w);
  size = spx_fmt_cbr_encoded_size(&d, w);
  enc = malloc(size);
  bad = malloc(size);
  spx_fmt_cbr_encode(&d, w, enc, size, &len);
  printf("sample: %zu bytes, nnz %u\n", len, 3u);
  /* data_offset = round16(48 + 12 + 6) = 80; block 0 at 80, 1 at 656,
   * 2 at 1232 (576 bytes each) */
  for (k = 0; k < 17; ++k) {
    const char *what = "";
    size_t blen = len;
    memcpy(bad, enc, len);
    switch (k) {
    case 0: what = "magic"; bad[0] = 'X'; break;
    case 1: what = "version"; bad[4] = 2; break;
    case 2: what = "header_bytes"; bad[6] = 64; break;
    case 3: what = "rows 0"; put32(bad + 8, 0); break;
    case 4: what = "groups 5"; put32(bad + 20, 5); break;
    case 5: what = "block 4x8"; bad[24] = 4; break;
    case 6: what = "flags"; bad[26] = 1; break;
    case 7: what = "block_cols"; put32(bad + 32, 3); break;
    case 8: what = "nnz 5"; put32(bad + 36, 5); break;
    case 9: what = "data_offset"; put32(bad + 40, 96); break;
    case 10: what = "total_bytes"; put32(bad + 44, (uint32_t)len + 1); break;
    case 11: what = "truncated"; blen = len - 1; break;
    case 12: what = "row_ptr[1] > nnz"; put32(bad + 52, 9); break;
    case 13: what = "col_idx out of grid"; bad[48 + 12 + 2] = 2; break;
    case 14: what = "col_idx order"; bad[48 + 12] = 1; bad[48 + 12 + 2] = 0; break;
    case 15: what = "index padding"; bad[70] = 1; break;
    case 16: /* block 1 is (0, 1): its columns 4..7 are padding */
      what = "padded lane";
      bad[80 + 576 + 7] = 1;
      break;
    }
    spx_rt_error_clear(&why);
    CHECK(spx_fmt_cbr_validate(bad, blen, &d, &why) != SPX_RT_OK, "%s accepted", what);
    printf("%s: %s\n", what, why.message);
  }
  {
    spx_fmt_cbr_dims_t e = mkdims(12, 12, 1, 1, 1);
    CHECK(spx_fmt_cbr_validate(enc, len, &e, &why) != SPX_RT_OK, "dims accepted");
    printf("expected 12x12x1x1: %s\n", why.message);
    CHECK(spx_fmt_cbr_validate(NULL, 0, NULL, &why) == SPX_RT_ERR_ARG, "NULL");
    printf("NULL: %s\n", why.message);
    CHECK(spx_fmt_cbr_validate(enc, len, NULL, &why) == SPX_RT_OK, "any dims");
  }
  free(w);
  free(enc);
  free(bad);
  return failures ? 1 : 0;
}

/* ---- fuzz ------------------------------------------------------------------ */

static int fuzz(void) {
  size_t ns, si, cut, bit, rejected = 0, accepted = 0, cases = 0;
  const spx_fmt_cbr_dims_t *s = shapes(&ns);
  for (si = 0; si < ns; si += 2) {
    const spx_fmt_cbr_dims_t *d = &s[si];
    size_t n = spx_fmt_cbr_dense_count(d), len, size;
    int8_t *w = malloc(n), *back = malloc(n);
    uint8_t *enc;
    random_weights(d, 50, w);
    size = spx_fmt_cbr_encoded_size(d, w);
    enc = malloc(size);
    spx_fmt_cbr_encode(d, w, enc, size, &len);
    for (cut = 0; cut < len; ++cut) {
      /* a copy of exactly `cut` bytes, so ASan sees any over-read */
      uint8_t *t = malloc(cut ? cut : 1);
      memcpy(t, enc, cut);
      CHECK(spx_fmt_cbr_validate(t, cut, NULL, NULL) != SPX_RT_OK, "truncation to %zu accepted", cut);
      free(t);
      cases++;
    }
    for (bit = 0; bit < len * 8; ++bit) {
      uint8_t *t = malloc(len);
      spx_rt_error_t why;
  spx_rt_error_clear(&why);
      memcpy(t, enc, len);
      t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      if (spx_fmt_cbr_decode(t, len, NULL, back, n, &why) == SPX_RT_OK) {
        spx_fmt_cbr_view_t v;
        accepted++;
        CHECK(spx_fmt_cbr_open(t, len, NULL, &v, NULL) == SPX_RT_OK &&
                  spx_fmt_cbr_dense_count(&v.dims) <= n,
              "flipped bit %zu accepted with larger dims", bit);
      } else {
        rejected++;
        CHECK(why.message[0], "rejection without a reason");
      }
      free(t);
      cases++;
    }
    free(w);
    free(back);
    free(enc);
  }
  printf("fuzz: %zu corrupted encodings, no crash; %zu bit flips rejected, %zu decoded (data bits)\n",
         cases, rejected, accepted);
  return failures ? 1 : 0;
}

/* ---- kernels --------------------------------------------------------------- */

static void random_requant(int32_t channels, int32_t *mult, int32_t *shift,
                           spx_rt_requant_pc_t *q, spx_rt_quant_t *outq) {
  int32_t c;
  for (c = 0; c < channels; ++c) {
    int s;
    spx_rt_quantize_multiplier(0.0005 + (rnd() % 1000) * 2e-5, &mult[c], &s);
    shift[c] = s;
  }
  q->in_zero_point = rnd_range(-128, 127);
  q->out_zero_point = rnd_range(-128, 127);
  q->multiplier = mult;
  q->shift = shift;
  outq->scale = 0.05f;
  outq->zero_point = q->out_zero_point;
  spx_rt_act_range_s8((spx_rt_act_t)(rnd() % 3), *outq, &q->act_min, &q->act_max);
}

/* The packing's row sums against the dense weights' rows summed here. */
static void check_sums(const uint8_t *packed, size_t size, const int8_t *w, uint32_t rows,
                       size_t per_row) {
  uint32_t r;
  size_t i;
  CHECK(size == (size_t)rows * 4, "packing of %zu bytes for %u rows", size, (unsigned)rows);
  for (r = 0; r < rows && size == (size_t)rows * 4; ++r) {
    int32_t want = 0, got;
    for (i = 0; i < per_row; ++i) want += w[(size_t)r * per_row + i];
    memcpy(&got, packed + 4 * (size_t)r, 4);
    CHECK(got == want, "packed row sum %u: %d, want %d", (unsigned)r, got, want);
  }
}

/* A conv layer on its packing (_fmt_packed, the prepared path): the bytes
 * of the dense kernel (y0). 1 if the layer takes a packing. */
static int check_packed_conv(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                             const int8_t *x, const int8_t *w, const uint8_t *enc, size_t len,
                             const int32_t *bias, const int8_t *y0, size_t ny, void *sc,
                             size_t ss) {
  const size_t size = spx_rt_conv2d_s8_fmt_packed_size(&spx_fmt_desc_CBR, p);
  uint8_t *pk;
  int8_t *y;
  if (!size) {
    CHECK(spx_rt_conv2d_s8_fmt_pack(&spx_fmt_desc_CBR, p, enc, len, sc, ss) == SPX_RT_ERR_ARG,
          "a packing made for a layer that takes none");
    return 0;
  }
  pk = malloc(size);
  y = malloc(ny);
  CHECK(spx_rt_conv2d_s8_fmt_pack(&spx_fmt_desc_CBR, p, enc, len, pk, size - 1) ==
            SPX_RT_ERR_BUFFER,
        "conv packing into too few bytes");
  CHECK(spx_rt_conv2d_s8_fmt_pack(&spx_fmt_desc_CBR, p, enc, len - 1, pk, size) ==
            SPX_RT_ERR_ARG,
        "conv packing of bytes of the wrong size");
  CHECK(spx_rt_conv2d_s8_fmt_pack(&spx_fmt_desc_CBR, p, enc, len, pk, size) == SPX_RT_OK,
        "conv packing");
  check_sums(pk, size, w, (uint32_t)p->c_out,
             (size_t)(p->c_in / p->groups) * (size_t)p->kh * (size_t)p->kw);
  memset(y, 0x5a, ny);
  CHECK(spx_rt_conv2d_s8_fmt_packed(&spx_fmt_desc_CBR, p, q, x, enc, len, pk, bias, y, sc, ss) ==
            SPX_RT_OK,
        "conv cbr packed");
  CHECK(memcmp(y0, y, ny) == 0, "conv2d cbr on its packing != dense: c%d->%d k%dx%d g%d",
        p->c_in, p->c_out, p->kh, p->kw, p->groups);
  free(pk);
  free(y);
  return 1;
}

static int check_packed_dense(const spx_rt_dense_params_t *dp, const spx_rt_requant_pc_t *q,
                              const int8_t *x, const int8_t *w, const uint8_t *enc, size_t len,
                              const int32_t *bias, const int8_t *z0, void *sc, size_t ss) {
  const size_t size = spx_rt_dense_s8_fmt_packed_size(&spx_fmt_desc_CBR, dp);
  const size_t nz = (size_t)dp->n * (size_t)dp->units;
  uint8_t *pk;
  int8_t *z;
  CHECK(size, "dense CBR layer without a packing");
  CHECK(!spx_rt_dense_s8_fmt_packed_size(&spx_fmt_desc_DENSE, dp),
        "a row-sum packing for the plain array");
  if (!size) return 0;
  pk = malloc(size);
  z = malloc(nz);
  CHECK(spx_rt_dense_s8_fmt_pack(&spx_fmt_desc_CBR, dp, enc, len, pk, size) == SPX_RT_OK,
        "dense packing");
  check_sums(pk, size, w, (uint32_t)dp->units, (size_t)dp->features);
  memset(z, 0x5a, nz);
  CHECK(spx_rt_dense_s8_fmt_packed(&spx_fmt_desc_CBR, dp, q, x, enc, len, pk, bias, z, sc, ss) ==
            SPX_RT_OK,
        "dense cbr packed");
  CHECK(memcmp(z0, z, nz) == 0, "dense cbr on its packing != dense: n%d %d->%d", dp->n,
        dp->features, dp->units);
  free(pk);
  free(z);
  return 1;
}

static int kernels(void) {
  int iter, conv_cases = 0, dense_cases = 0, conv_packed = 0, dense_packed = 0;
  for (iter = 0; iter < 200; ++iter) {
    spx_rt_conv2d_params_t p;
    spx_rt_requant_pc_t q;
    spx_rt_quant_t outq;
    spx_fmt_cbr_dims_t d;
    int32_t oh, ow, *bias, *mult, *shift;
    int8_t *x, *w, *y0, *y1;
    uint8_t *enc;
    size_t nx, nw, ny, len, s0, s1;
    void *sc0, *sc1;
    const int32_t cins[] = {1, 3, 8, 12, 13, 16, 20, 33};
    const int32_t couts[] = {1, 5, 8, 10, 16, 17, 24};
    memset(&p, 0, sizeof p);
    p.n = rnd_range(1, 2);
    p.groups = 1;
    p.c_in = cins[rnd() % 8];
    p.c_out = couts[rnd() % 7];
    if (iter % 10 == 7) { /* grouped */
      p.groups = 2;
      p.c_in = 2 * rnd_range(1, 10);
      p.c_out = 2 * rnd_range(1, 12);
    } else if (iter % 10 == 9) { /* depthwise */
      p.c_in = p.c_out = p.groups = rnd_range(1, 12);
    }
    p.h = rnd_range(1, 9);
    p.w = rnd_range(1, 9);
    p.kh = rnd_range(1, 3);
    p.kw = rnd_range(1, 3);
    p.stride[0] = rnd_range(1, 2);
    p.stride[1] = rnd_range(1, 2);
    p.dilation[0] = rnd_range(1, 2);
    p.dilation[1] = rnd_range(1, 2);
    p.pad[0] = rnd_range(0, 2);
    p.pad[1] = rnd_range(0, 2);
    p.pad[2] = rnd_range(0, 2);
    p.pad[3] = rnd_range(0, 2);
    if (iter % 50 == 49) { /* depthwise, rows wider than the accumulators the
                              kernel's scratch holds (done in chunks) */
      p.c_in = p.c_out = p.groups = rnd_range(1, 3);
      p.kh = p.h = 1;
      p.pad[0] = p.pad[2] = 0;
      p.w = rnd_range(100, 140);
    }
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) continue;
    d = mkdims((uint32_t)p.c_out, (uint32_t)(p.c_in / p.groups), (uint16_t)p.kh,
               (uint16_t)p.kw, (uint32_t)p.groups);
    nx = (size_t)p.n * p.c_in * p.h * p.w;
    nw = spx_fmt_cbr_dense_count(&d);
    ny = (size_t)p.n * p.c_out * oh * ow;
    x = malloc(nx);
    w = malloc(nw);
    y0 = malloc(ny);
    y1 = malloc(ny);
    bias = malloc(sizeof(int32_t) * (size_t)p.c_out);
    mult = malloc(sizeof(int32_t) * (size_t)p.c_out);
    shift = malloc(sizeof(int32_t) * (size_t)p.c_out);
    for (size_t i = 0; i < nx; ++i) x[i] = (int8_t)rnd_range(-128, 127);
    for (int32_t c = 0; c < p.c_out; ++c) bias[c] = rnd_range(-20000, 20000);
    random_weights(&d, iter % 5 == 0 ? 0 : (int)(rnd() % 100), w);
    random_requant(p.c_out, mult, shift, &q, &outq);
    len = spx_fmt_cbr_encoded_size(&d, w);
    enc = malloc(len);
    spx_fmt_cbr_encode(&d, w, enc, len, &len);
    s0 = spx_rt_conv2d_s8_get_buffer_size(&p);
    s1 = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &p);
    sc0 = malloc(s0 ? s0 : 4);
    sc1 = malloc(s1);
    CHECK(spx_rt_conv2d_s8(&p, &q, x, w, iter % 3 ? bias : NULL, y0, sc0, s0) == SPX_RT_OK, "conv dense");
    memset(y1, 0x5a, ny);
    CHECK(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_CBR, &p, &q, x, enc, len, iter % 3 ? bias : NULL, y1, sc1, s1) == SPX_RT_OK,
          "conv cbr");
    CHECK(memcmp(y0, y1, ny) == 0,
          "conv2d cbr != dense: n%d c%d->%d %dx%d k%dx%d s%d,%d d%d,%d g%d", p.n, p.c_in,
          p.c_out, p.h, p.w, p.kh, p.kw, p.stride[0], p.stride[1], p.dilation[0],
          p.dilation[1], p.groups);
    if (check_packed_conv(&p, &q, x, w, enc, len, iter % 3 ? bias : NULL, y0, ny, sc1, s1))
      conv_packed++;
    CHECK(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_CBR, &p, &q, x, enc, len - 1, bias, y1, sc1, s1) == SPX_RT_ERR_ARG,
          "conv cbr wrong size accepted");
    CHECK(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_CBR, &p, &q, x, enc, len, bias, y1, sc1, s1 - 1) == SPX_RT_ERR_BUFFER,
          "conv cbr small scratch accepted");
    conv_cases++;
    free(enc);
    free(sc0);
    free(sc1);

    /* dense with the conv's flattened weights: [c_out][c_in/g * kh * kw] */
    {
      spx_rt_dense_params_t dp;
      spx_fmt_cbr_dims_t dd;
      int8_t *xd, *z0, *z1;
      memset(&dp, 0, sizeof dp);
      dp.n = rnd_range(1, 3);
      dp.units = p.c_out;
      dp.features = (int32_t)(nw / (size_t)p.c_out);
      dd = mkdims((uint32_t)dp.units, (uint32_t)dp.features, 1, 1, 1);
      random_weights(&dd, (int)(rnd() % 100), w);
      xd = malloc((size_t)dp.n * dp.features);
      z0 = malloc((size_t)dp.n * dp.units);
      z1 = malloc((size_t)dp.n * dp.units);
      for (int32_t i = 0; i < dp.n * dp.features; ++i) xd[i] = (int8_t)rnd_range(-128, 127);
      len = spx_fmt_cbr_encoded_size(&dd, w);
      enc = malloc(len);
      spx_fmt_cbr_encode(&dd, w, enc, len, &len);
      s0 = spx_rt_dense_s8_get_buffer_size(&dp);
      s1 = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &dp);
      sc0 = malloc(s0);
      sc1 = malloc(s1);
      CHECK(spx_rt_dense_s8(&dp, &q, xd, w, bias, z0, sc0, s0) == SPX_RT_OK, "dense");
      memset(z1, 0x5a, (size_t)dp.n * dp.units);
      CHECK(spx_rt_dense_s8_fmt(&spx_fmt_desc_CBR, &dp, &q, xd, enc, len, bias, z1, sc1, s1) == SPX_RT_OK, "dense cbr");
      CHECK(memcmp(z0, z1, (size_t)dp.n * dp.units) == 0, "dense cbr != dense: n%d %d->%d",
            dp.n, dp.features, dp.units);
      if (check_packed_dense(&dp, &q, xd, w, enc, len, bias, z0, sc1, s1)) dense_packed++;
      dense_cases++;
      free(xd);
      free(z0);
      free(z1);
      free(enc);
      free(sc0);
      free(sc1);
    }
    free(x);
    free(w);
    free(y0);
    free(y1);
    free(bias);
    free(mult);
    free(shift);
  }
  printf("kernels: %d conv2d and %d dense layers bit-exact with the dense int8 kernels\n",
         conv_cases, dense_cases);
  printf("kernels: %d conv2d and %d dense layers also on their packing\n", conv_packed,
         dense_packed);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "roundtrip") == 0) return roundtrip();
  if (argc == 2 && strcmp(argv[1], "reject") == 0) return reject();
  if (argc == 2 && strcmp(argv[1], "fuzz") == 0) return fuzz();
  if (argc == 2 && strcmp(argv[1], "kernels") == 0) return kernels();
  fprintf(stderr, "usage: spx-cbr-test roundtrip|reject|fuzz|kernels\n");
  return 2;
}
