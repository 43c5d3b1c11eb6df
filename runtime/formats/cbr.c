/* cbr.c - compressed block rows of int8 weights (layout in spx_formats.h).
 *
 * The encoder stores every 8 x 8-channel block that holds a non-zero weight;
 * the mask a pass chose is therefore carried by the zeros it wrote into the
 * dense weights. The reader checks every field before it trusts it: counts
 * are bounded by the buffer length before any multiplication, so garbage
 * gives a reason, never an out-of-bounds read.
 *
 * Freestanding C99: no allocation, no stdio. */
#include "runtime/formats/spx_formats.h"
#include "runtime/formats/formats_internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "runtime/kernels/kernels_internal.h"

#define B SPX_FMT_CBR_BLOCK
#define MAX_BYTES 0xffffffffu

static int dims_ok(const spx_fmt_cbr_dims_t *d) {
  return d && d->rows > 0 && d->cols > 0 && d->kh > 0 && d->kw > 0 &&
         d->groups > 0 && d->rows % d->groups == 0;
}

spx_rt_status_t spx_fmt_cbr_grid(const spx_fmt_cbr_dims_t *dims,
                                      uint32_t *out_block_rows,
                                      uint32_t *out_block_cols) {
  uint64_t r;
  uint32_t c;
  if (out_block_rows) *out_block_rows = 0;
  if (out_block_cols) *out_block_cols = 0;
  if (!dims_ok(dims)) return SPX_RT_ERR_ARG;
  r = (uint64_t)dims->groups * spx_fmt_cbr_blocks_for(dims->rows / dims->groups);
  c = spx_fmt_cbr_blocks_for(dims->cols);
  if (r > MAX_BYTES / 4 || c > 0xffffu) return SPX_RT_ERR_ARG;
  if (out_block_rows) *out_block_rows = (uint32_t)r;
  if (out_block_cols) *out_block_cols = c;
  return SPX_RT_OK;
}

size_t spx_fmt_cbr_dense_count(const spx_fmt_cbr_dims_t *dims) {
  if (!dims_ok(dims)) return 0;
  return (size_t)dims->rows * dims->cols * dims->kh * dims->kw;
}

size_t spx_fmt_cbr_mask_bytes(uint32_t block_rows, uint32_t block_cols) {
  return ((size_t)block_rows * block_cols + 7) / 8;
}

size_t spx_fmt_cbr_dense_index(const spx_fmt_cbr_dims_t *d, uint32_t o,
                               uint32_t i, uint32_t ky, uint32_t kx) {
  return (((size_t)o * d->cols + i) * d->kh + ky) * d->kw + kx;
}

void spx_fmt_cbr_block_row_span(const spx_fmt_cbr_dims_t *d, uint32_t r,
                                uint32_t *out_first, uint32_t *out_count) {
  uint32_t per = d->rows / d->groups, rpg = spx_fmt_cbr_blocks_for(per);
  uint32_t g = r / rpg, local = (r % rpg) * B;
  *out_first = g * per + local;
  *out_count = per - local < B ? per - local : B;
}

void spx_fmt_cbr_block_col_span(const spx_fmt_cbr_dims_t *d, uint32_t c,
                                uint32_t *out_first, uint32_t *out_count) {
  *out_first = c * B;
  *out_count = d->cols - c * B < B ? d->cols - c * B : B;
}

/* Does block (r, c) of the dense weights hold a non-zero weight? */
static int block_nonzero(const spx_fmt_cbr_dims_t *d, const int8_t *w,
                         uint32_t r, uint32_t c) {
  uint32_t o0, no, i0, ni, o;
  size_t cell = (size_t)d->kh * d->kw, t;
  spx_fmt_cbr_block_row_span(d, r, &o0, &no);
  spx_fmt_cbr_block_col_span(d, c, &i0, &ni);
  for (o = o0; o < o0 + no; ++o) {
    const int8_t *p = w + spx_fmt_cbr_dense_index(d, o, i0, 0, 0);
    for (t = 0; t < (size_t)ni * cell; ++t)
      if (p[t]) return 1;
  }
  return 0;
}

spx_rt_status_t spx_fmt_cbr_mask_from_dense(const spx_fmt_cbr_dims_t *dims,
                                                 const int8_t *weights,
                                                 uint8_t *mask, size_t mask_size,
                                                 uint32_t *out_nnz) {
  uint32_t R, C, r, c, nnz = 0;
  size_t k;
  if (out_nnz) *out_nnz = 0;
  if (!weights || !mask || spx_fmt_cbr_grid(dims, &R, &C) != SPX_RT_OK)
    return SPX_RT_ERR_ARG;
  if (mask_size < spx_fmt_cbr_mask_bytes(R, C)) return SPX_RT_ERR_BUFFER;
  for (k = 0; k < spx_fmt_cbr_mask_bytes(R, C); ++k) mask[k] = 0;
  for (r = 0; r < R; ++r)
    for (c = 0; c < C; ++c)
      if (block_nonzero(dims, weights, r, c)) {
        spx_fmt_cbr_mask_set(mask, C, r, c, 1);
        nnz++;
      }
  if (out_nnz) *out_nnz = nnz;
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_cbr_mask_apply(const spx_fmt_cbr_dims_t *dims,
                                            const uint8_t *mask,
                                            int8_t *weights) {
  uint32_t R, C, r, c, o0, no, i0, ni, o;
  size_t cell, t;
  if (!weights || !mask || spx_fmt_cbr_grid(dims, &R, &C) != SPX_RT_OK)
    return SPX_RT_ERR_ARG;
  cell = (size_t)dims->kh * dims->kw;
  for (r = 0; r < R; ++r) {
    spx_fmt_cbr_block_row_span(dims, r, &o0, &no);
    for (c = 0; c < C; ++c) {
      if (spx_fmt_cbr_mask_get(mask, C, r, c)) continue;
      spx_fmt_cbr_block_col_span(dims, c, &i0, &ni);
      for (o = o0; o < o0 + no; ++o) {
        int8_t *p = weights + spx_fmt_cbr_dense_index(dims, o, i0, 0, 0);
        for (t = 0; t < (size_t)ni * cell; ++t) p[t] = 0;
      }
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_cbr_mask_from_view(const spx_fmt_cbr_view_t *v,
                                                uint8_t *mask, size_t mask_size) {
  uint32_t r, k;
  size_t i;
  if (!v || !mask) return SPX_RT_ERR_ARG;
  if (mask_size < spx_fmt_cbr_mask_bytes(v->block_rows, v->block_cols))
    return SPX_RT_ERR_BUFFER;
  for (i = 0; i < spx_fmt_cbr_mask_bytes(v->block_rows, v->block_cols); ++i)
    mask[i] = 0;
  for (r = 0; r < v->block_rows; ++r)
    for (k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); ++k)
      spx_fmt_cbr_mask_set(mask, v->block_cols, r, spx_fmt_cbr_col(v, k), 1);
  return SPX_RT_OK;
}

/* data_offset and total size for nnz stored blocks; 0 on overflow. */
static uint64_t layout(const spx_fmt_cbr_dims_t *d, uint32_t R, uint32_t nnz,
                       uint64_t *out_data_offset) {
  uint64_t off = SPX_FMT_CBR_HEADER_BYTES + 4 * ((uint64_t)R + 1) + 2 * (uint64_t)nnz;
  uint64_t total;
  off = (off + 15) & ~(uint64_t)15;
  total = off + (uint64_t)nnz * 64u * d->kh * d->kw;
  if (out_data_offset) *out_data_offset = off;
  return total > MAX_BYTES ? 0 : total;
}

size_t spx_fmt_cbr_encoded_size_nnz(const spx_fmt_cbr_dims_t *dims,
                                    uint32_t nnz) {
  uint32_t R, C;
  if (spx_fmt_cbr_grid(dims, &R, &C) != SPX_RT_OK) return 0;
  if ((uint64_t)nnz > (uint64_t)R * C) return 0;
  return (size_t)layout(dims, R, nnz, NULL);
}

size_t spx_fmt_cbr_encoded_size(const spx_fmt_cbr_dims_t *dims,
                                const int8_t *weights) {
  uint32_t R, C, r, c, nnz = 0;
  if (!weights || spx_fmt_cbr_grid(dims, &R, &C) != SPX_RT_OK) return 0;
  for (r = 0; r < R; ++r)
    for (c = 0; c < C; ++c) nnz += (uint32_t)block_nonzero(dims, weights, r, c);
  return spx_fmt_cbr_encoded_size_nnz(dims, nnz);
}

/* Copies block (r, c) of the dense weights into dst ([8][kh][kw][8]),
 * padded rows and columns zero. */
static void pack_block(const spx_fmt_cbr_dims_t *d, const int8_t *w,
                       uint32_t r, uint32_t c, int8_t *dst) {
  uint32_t o0, no, i0, ni, oo, ii, ky, kx;
  size_t n = (size_t)64 * d->kh * d->kw, t;
  spx_fmt_cbr_block_row_span(d, r, &o0, &no);
  spx_fmt_cbr_block_col_span(d, c, &i0, &ni);
  for (t = 0; t < n; ++t) dst[t] = 0;
  for (oo = 0; oo < no; ++oo)
    for (ii = 0; ii < ni; ++ii)
      for (ky = 0; ky < d->kh; ++ky)
        for (kx = 0; kx < d->kw; ++kx)
          dst[(((size_t)oo * d->kh + ky) * d->kw + kx) * B + ii] =
              w[spx_fmt_cbr_dense_index(d, o0 + oo, i0 + ii, ky, kx)];
}

spx_rt_status_t spx_fmt_cbr_encode(const spx_fmt_cbr_dims_t *dims,
                                        const int8_t *weights, uint8_t *out,
                                        size_t out_size, size_t *out_len) {
  uint32_t R, C, r, c, k = 0;
  uint64_t data_off, total;
  size_t need, t, block_bytes;
  if (out_len) *out_len = 0;
  if (!weights || !out || spx_fmt_cbr_grid(dims, &R, &C) != SPX_RT_OK)
    return SPX_RT_ERR_ARG;
  block_bytes = (size_t)64 * dims->kh * dims->kw;
  {
    uint32_t nnz = 0;
    for (r = 0; r < R; ++r)
      for (c = 0; c < C; ++c) nnz += (uint32_t)block_nonzero(dims, weights, r, c);
    total = layout(dims, R, nnz, &data_off);
    if (!total) return SPX_RT_ERR_ARG;
    need = (size_t)total;
    if (out_size < need) return SPX_RT_ERR_BUFFER;
    for (t = 0; t < need; ++t) out[t] = 0;
    out[0] = 'S';
    out[1] = 'X';
    out[2] = 'C';
    out[3] = 'B';
    wr16(out + 4, SPX_FMT_CBR_VERSION);
    wr16(out + 6, SPX_FMT_CBR_HEADER_BYTES);
    wr32(out + 8, dims->rows);
    wr32(out + 12, dims->cols);
    wr16(out + 16, dims->kh);
    wr16(out + 18, dims->kw);
    wr32(out + 20, dims->groups);
    out[24] = B;
    out[25] = B;
    wr16(out + 26, 0);
    wr32(out + 28, R);
    wr32(out + 32, C);
    wr32(out + 36, nnz);
    wr32(out + 40, (uint32_t)data_off);
    wr32(out + 44, (uint32_t)total);
  }
  {
    uint8_t *row_ptr = out + SPX_FMT_CBR_HEADER_BYTES;
    uint8_t *col_idx = row_ptr + 4 * ((size_t)R + 1);
    int8_t *data = (int8_t *)(out + data_off);
    for (r = 0; r < R; ++r) {
      wr32(row_ptr + 4 * (size_t)r, k);
      for (c = 0; c < C; ++c) {
        if (!block_nonzero(dims, weights, r, c)) continue;
        wr16(col_idx + 2 * (size_t)k, c);
        pack_block(dims, weights, r, c, data + (size_t)k * block_bytes);
        k++;
      }
    }
    wr32(row_ptr + 4 * (size_t)R, k);
  }
  if (out_len) *out_len = need;
  return SPX_RT_OK;
}

#define FAIL(...) return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, __VA_ARGS__)

/* order 1: spx_fmt_cbr_open; 0: the kernels' open (cbr_open_desc), which
 * checks of the column indices only that they are inside the grid (enough
 * never to read out of bounds; their order is validate's, at load). */
static spx_rt_status_t cbr_open_impl(const void *bytes, size_t len,
                                     const spx_fmt_cbr_dims_t *expected,
                                     spx_fmt_cbr_view_t *out_view, spx_rt_error_t *err,
                                     int order) {
  const uint8_t *p = (const uint8_t *)bytes;
  spx_fmt_cbr_view_t v;
  uint32_t R, C, r, k, prev, nnz, data_off, total;
  uint64_t want_off, want_total;
  size_t t;
  spx_rt_error_clear(err);
  if (out_view) {
    unsigned char *z = (unsigned char *)out_view;
    for (t = 0; t < sizeof *out_view; ++t) z[t] = 0;
  }
  if (!p) {
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no CBR bytes (NULL)");
  }
  if (len < SPX_FMT_CBR_HEADER_BYTES) FAIL("CBR encoding shorter than its 48-byte header");
  if (p[0] != 'S' || p[1] != 'X' || p[2] != 'C' || p[3] != 'B')
    FAIL("bad CBR magic (want \"SXCB\")");
  if (rd16(p + 4) != SPX_FMT_CBR_VERSION) FAIL("unsupported CBR version (want 1)");
  if (rd16(p + 6) != SPX_FMT_CBR_HEADER_BYTES) FAIL("CBR header_bytes is not 48");
  v.dims.rows = spx_fmt_cbr_u32_(p + 8);
  v.dims.cols = spx_fmt_cbr_u32_(p + 12);
  v.dims.kh = (uint16_t)rd16(p + 16);
  v.dims.kw = (uint16_t)rd16(p + 18);
  v.dims.groups = spx_fmt_cbr_u32_(p + 20);
  if (p[24] != B || p[25] != B) FAIL("CBR block size is not 8x8");
  if (rd16(p + 26) != 0) FAIL("CBR flags are not 0");
  if (spx_fmt_cbr_grid(&v.dims, &R, &C) != SPX_RT_OK)
    FAIL("CBR dimensions unusable (zero, or groups do not divide rows)");
  if (expected &&
      (expected->rows != v.dims.rows || expected->cols != v.dims.cols ||
       expected->kh != v.dims.kh || expected->kw != v.dims.kw ||
       expected->groups != v.dims.groups))
    FAIL("CBR dimensions differ from the layer's weights");
  if (spx_fmt_cbr_u32_(p + 28) != R || spx_fmt_cbr_u32_(p + 32) != C)
    FAIL("CBR block grid does not match its dimensions");
  nnz = spx_fmt_cbr_u32_(p + 36);
  if ((uint64_t)nnz > (uint64_t)R * C) FAIL("CBR stores more blocks than the grid has");
  data_off = spx_fmt_cbr_u32_(p + 40);
  total = spx_fmt_cbr_u32_(p + 44);
  want_total = layout(&v.dims, R, nnz, &want_off);
  if (!want_total) FAIL("CBR encoding would exceed 4 GiB");
  if (data_off != want_off) FAIL("CBR data_offset does not follow the index");
  if (total != want_total) FAIL("CBR total_bytes does not match the block count");
  if (len != total) FAIL("CBR total_bytes differs from the buffer size");
  v.block_rows = R;
  v.block_cols = C;
  v.rows_per_group = R / v.dims.groups;
  v.nnz = nnz;
  v.block_bytes = 64u * v.dims.kh * v.dims.kw;
  v.row_ptr = p + SPX_FMT_CBR_HEADER_BYTES;
  v.col_idx = v.row_ptr + 4 * ((size_t)R + 1);
  v.data = (const int8_t *)(p + data_off);
  v.total_bytes = total;
  if (spx_fmt_cbr_row_begin(&v, 0) != 0) FAIL("CBR row_ptr[0] is not 0");
  if (spx_fmt_cbr_row_end(&v, R - 1) != nnz) FAIL("CBR row_ptr[R] is not the block count");
  prev = 0;
  for (r = 0; r < R; ++r) {
    uint32_t b = spx_fmt_cbr_row_begin(&v, r), e = spx_fmt_cbr_row_end(&v, r);
    if (b != prev || e < b || e > nnz) FAIL("CBR row_ptr is not non-decreasing within the block count (block row %u)",
           (unsigned)r);
    if (order) {
      for (k = b; k < e; ++k) {
        uint32_t c = spx_fmt_cbr_col(&v, k);
        if (c >= C)
          FAIL("CBR column index %u out of the grid (block row %u, %u block columns)",
               (unsigned)c, (unsigned)r, (unsigned)C);
        if (k > b && c <= spx_fmt_cbr_col(&v, k - 1))
          FAIL("CBR column indices not strictly increasing in block row %u", (unsigned)r);
      }
    }
    prev = e;
  }
  if (!order) { /* the kernels' check: every column index inside the grid */
    uint32_t maxc = 0;
    k = 0;
#if defined(__SSE2__)
    { /* 8 little-endian u16 at a time (x86), unsigned max via the sign flip */
      const __m128i flip = _mm_set1_epi16((short)0x8000);
      __m128i mx = _mm_set1_epi16((short)0x8000);
      int16_t lanes[8];
      int i;
      for (; k + 8 <= nnz; k += 8)
        mx = _mm_max_epi16(mx, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(
                                                 v.col_idx + 2 * (size_t)k)), flip));
      _mm_storeu_si128((__m128i *)(void *)lanes, _mm_xor_si128(mx, flip));
      for (i = 0; i < 8; ++i) maxc = (uint16_t)lanes[i] > maxc ? (uint16_t)lanes[i] : maxc;
    }
#endif
    for (; k < nnz; ++k) {
      const uint32_t c = (uint32_t)v.col_idx[2 * (size_t)k] | ((uint32_t)v.col_idx[2 * (size_t)k + 1] << 8);
      maxc = c > maxc ? c : maxc;
    }
    if (nnz && maxc >= C)
      FAIL("CBR column index %u out of the grid (%u block columns)", (unsigned)maxc, (unsigned)C);
  }
  if (out_view) *out_view = v;
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_cbr_open(const void *bytes, size_t len,
                                      const spx_fmt_cbr_dims_t *expected,
                                      spx_fmt_cbr_view_t *out_view,
                                      spx_rt_error_t *err) {
  return cbr_open_impl(bytes, len, expected, out_view, err, 1);
}

spx_rt_status_t spx_fmt_cbr_validate(const void *bytes, size_t len,
                                          const spx_fmt_cbr_dims_t *expected,
                                          spx_rt_error_t *err) {
  spx_fmt_cbr_view_t v;
  const uint8_t *p = (const uint8_t *)bytes;
  size_t t, idx_end;
  uint32_t r, k;
  spx_rt_status_t st = spx_fmt_cbr_open(bytes, len, expected, &v, err);
  if (st != SPX_RT_OK) return st;
  idx_end = SPX_FMT_CBR_HEADER_BYTES + 4 * ((size_t)v.block_rows + 1) + 2 * (size_t)v.nnz;
  for (t = idx_end; t < (size_t)(v.data - (const int8_t *)bytes); ++t)
    if (p[t]) FAIL("CBR padding before the block data is not zero");
  for (r = 0; r < v.block_rows; ++r) {
    uint32_t o0, no;
    spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
      uint32_t i0, ni, oo, ii;
      size_t taps = (size_t)v.dims.kh * v.dims.kw, tp;
      const int8_t *blk = spx_fmt_cbr_block(&v, k);
      spx_fmt_cbr_block_col_span(&v.dims, spx_fmt_cbr_col(&v, k), &i0, &ni);
      for (oo = 0; oo < B; ++oo)
        for (tp = 0; tp < taps; ++tp)
          for (ii = 0; ii < B; ++ii)
            if ((oo >= no || ii >= ni) && blk[((size_t)oo * taps + tp) * B + ii])
              FAIL("CBR padded rows/columns of an edge block are not zero (block row %u, "
                   "block column %u)", (unsigned)r, (unsigned)spx_fmt_cbr_col(&v, k));
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_cbr_decode(const void *bytes, size_t len,
                                        const spx_fmt_cbr_dims_t *expected,
                                        int8_t *weights, size_t dense_count,
                                        spx_rt_error_t *err) {
  spx_fmt_cbr_view_t v;
  uint32_t r, k;
  size_t t;
  spx_rt_status_t st;
  spx_rt_error_clear(err);
  if (!weights) {
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no output buffer (NULL)");
  }
  st = spx_fmt_cbr_validate(bytes, len, expected, err);
  if (st != SPX_RT_OK) return st;
  spx_fmt_cbr_open(bytes, len, expected, &v, NULL);
  if (dense_count < spx_fmt_cbr_dense_count(&v.dims)) {
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "dense buffer smaller than the weights");
  }
  for (t = 0; t < spx_fmt_cbr_dense_count(&v.dims); ++t) weights[t] = 0;
  for (r = 0; r < v.block_rows; ++r) {
    uint32_t o0, no;
    spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
      uint32_t i0, ni, oo, ii, ky, kx;
      const int8_t *blk = spx_fmt_cbr_block(&v, k);
      spx_fmt_cbr_block_col_span(&v.dims, spx_fmt_cbr_col(&v, k), &i0, &ni);
      for (oo = 0; oo < no; ++oo)
        for (ii = 0; ii < ni; ++ii)
          for (ky = 0; ky < v.dims.kh; ++ky)
            for (kx = 0; kx < v.dims.kw; ++kx)
              weights[spx_fmt_cbr_dense_index(&v.dims, o0 + oo, i0 + ii, ky, kx)] =
                  blk[(((size_t)oo * v.dims.kh + ky) * v.dims.kw + kx) * B + ii];
    }
  }
  return SPX_RT_OK;
}

/* ---- descriptor ------------------------------------------------------------ */

static spx_rt_status_t cbr_validate_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                             spx_rt_error_t *err) {
  return spx_fmt_cbr_validate(bytes, len, dims, err);
}

/* Decodes into the int8 prefix of out, then widens in place from the end
 * (element i's int16 occupies bytes 2i, 2i+1 >= i: nothing unread is
 * overwritten). */
static spx_rt_status_t cbr_decode_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                           int16_t *out, size_t count, spx_rt_error_t *err) {
  size_t n = spx_fmt_dims_count(dims), i;
  const int8_t *q = (const int8_t *)(void *)out;
  if (!out || !n || count < n) {
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  }
  spx_rt_status_t st = spx_fmt_cbr_decode(bytes, len, dims, (int8_t *)(void *)out, n, err);
  if (st != SPX_RT_OK) return st;
  for (i = n; i-- > 0;) out[i] = q[i];
  return SPX_RT_OK;
}

/* ---- kernels: stored blocks against im2col columns [C][kh][kw][8] ------- */

/* Columns are laid out like a block row (chan_block 8): each output row of a
 * stored block is one contiguous dot product of 8 * kh * kw bytes with the
 * column segment of its block column; blocks that are not stored are
 * skipped. Padded channels of the last block column hold z_in in a conv
 * column and are covered by the row sums too, so they add (z_in - z_in) * w
 * = 0 whatever the weight. Ragged columns (dense layers, kh = kw = 1) are
 * the input rows: the last block column has only its real lanes. */

static spx_rt_status_t open_as(const spx_fmt_desc_t *desc, const void *bytes, size_t len,
                               const spx_fmt_dims_t *dims, spx_fmt_weights_t *out,
                               spx_rt_error_t *err) {
  spx_fmt_cbr_view_t v;
  spx_rt_status_t st = cbr_open_impl(bytes, len, dims, &v, err, 0);
  if (st != SPX_RT_OK) return st;
  if (out) {
    out->desc = desc;
    out->dims = *dims;
    out->bytes = bytes;
    out->len = len;
    out->view.cbr = v;
    out->state = NULL;
  }
  return SPX_RT_OK;
}

static spx_rt_status_t cbr_open_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                     spx_fmt_weights_t *out, spx_rt_error_t *err) {
  return open_as(&spx_fmt_desc_CBR, bytes, len, dims, out, err);
}

/* The same for spx_fmt_desc_CBR_FAST. */
static spx_rt_status_t cbr_open_fast(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                     spx_fmt_weights_t *out, spx_rt_error_t *err) {
  return open_as(&spx_fmt_desc_CBR_FAST, bytes, len, dims, out, err);
}

static size_t cbr_scratch(const spx_fmt_dims_t *dims) {
  (void)dims;
  return 0;
}

/* Lanes of block column c a dot product covers. */
static uint32_t seg_lanes(const spx_fmt_cbr_view_t *v, uint32_t c, int ragged, size_t seg) {
  uint32_t i0, ni;
  if (!ragged) return (uint32_t)seg;
  spx_fmt_cbr_block_col_span(&v->dims, c, &i0, &ni);
  return ni;
}

static void cbr_row_sums(const spx_fmt_weights_t *w, int ragged, int32_t *sums) {
  const spx_fmt_cbr_view_t *v = &w->view.cbr;
  const size_t seg = (size_t)B * v->dims.kh * v->dims.kw;
  uint32_t r, k, oo;
  for (r = 0; r < v->dims.rows; ++r) sums[r] = 0;
  for (r = 0; r < v->block_rows; ++r) {
    uint32_t o0, no;
    spx_fmt_cbr_block_row_span(&v->dims, r, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); ++k) {
      uint32_t n = seg_lanes(v, spx_fmt_cbr_col(v, k), ragged, seg);
      for (oo = 0; oo < no; ++oo)
        sums[o0 + oo] += spx_k_sum_s8(spx_fmt_cbr_block(v, k) + oo * seg, n);
    }
  }
}

static void cbr_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                    const spx_fmt_cols_t *cols, int32_t *acc) {
  const spx_fmt_cbr_view_t *v = &w->view.cbr;
  const size_t taps = (size_t)v->dims.kh * v->dims.kw, seg = (size_t)B * taps;
  const size_t cs = cols->stride;
  const uint32_t count = cols->count, cout_g = v->dims.rows / v->dims.groups;
  const uint32_t g = r0 / cout_g;
  uint32_t r = g * v->rows_per_group + (r0 - g * cout_g) / B;
  for (; r < v->block_rows; ++r) {
    uint32_t o0, no, k, oo, j;
    spx_fmt_cbr_block_row_span(&v->dims, r, &o0, &no);
    if (o0 >= r1) break;
    if (taps == 1) {
      /* one tap (dense, 1x1 conv): per column, 8 accumulators over the
       * stored blocks, each column value used for a whole block column */
      for (j = 0; j < count; ++j) {
        const int8_t *xj = cols->s8 + (size_t)j * cs;
        int32_t a8[B] = {0};
        for (k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); ++k) {
          const int8_t *blk = spx_fmt_cbr_block(v, k);
          uint32_t c = spx_fmt_cbr_col(v, k), ii, n = seg_lanes(v, c, cols->ragged, seg);
          const int8_t *x = xj + (size_t)c * B;
          for (ii = 0; ii < n; ++ii) {
            const int32_t xv = x[ii];
            for (oo = 0; oo < B; ++oo) a8[oo] += xv * blk[oo * B + ii];
          }
        }
        for (oo = 0; oo < no; ++oo) acc[(size_t)(o0 + oo - r0) * SPX_FMT_TILE + j] = a8[oo];
      }
      continue;
    }
    for (oo = 0; oo < no; ++oo)
      for (j = 0; j < SPX_FMT_TILE; ++j) acc[(size_t)(o0 + oo - r0) * SPX_FMT_TILE + j] = 0;
    for (k = spx_fmt_cbr_row_begin(v, r); k < spx_fmt_cbr_row_end(v, r); ++k) {
      const int8_t *blk = spx_fmt_cbr_block(v, k);
      const uint32_t c = spx_fmt_cbr_col(v, k), n = seg_lanes(v, c, cols->ragged, seg);
      const int8_t *cseg = cols->s8 + (size_t)c * seg;
      for (oo = 0; oo < no; ++oo) {
        const int8_t *wr = blk + oo * seg;
        int32_t *a = acc + (size_t)(o0 + oo - r0) * SPX_FMT_TILE;
        for (j = 0; j < count; j += 4) {
          int32_t a4[4];
          uint32_t m = count - j < 4 ? count - j : 4;
          /* columns past the tile end reuse column j; their sums land in
           * acc columns >= count (any value) */
          const int8_t *b0 = cseg + (size_t)j * cs;
          spx_k_dot_s8_1x4(wr, b0, m > 1 ? b0 + cs : b0, m > 2 ? b0 + 2 * cs : b0,
                           m > 3 ? b0 + 3 * cs : b0, n, a4);
          a[j] += a4[0];
          a[j + 1] += a4[1];
          a[j + 2] += a4[2];
          a[j + 3] += a4[3];
        }
      }
    }
  }
}

/* Depthwise (K = 1): one block column, lane 0 of each tap; a row whose
 * block is not stored has zero taps. */
static uint32_t cbr_row_taps(const spx_fmt_weights_t *w, uint32_t i, int16_t *taps) {
  const spx_fmt_cbr_view_t *v = &w->view.cbr;
  const uint32_t ntaps = (uint32_t)v->dims.kh * v->dims.kw;
  uint32_t r, c, o0, no, t;
  spx_fmt_cbr_block_of(&v->dims, i, 0, &r, &c);
  spx_fmt_cbr_block_row_span(&v->dims, r, &o0, &no);
  if (spx_fmt_cbr_row_begin(v, r) == spx_fmt_cbr_row_end(v, r)) {
    for (t = 0; t < ntaps; ++t) taps[t] = 0;
  } else {
    const int8_t *row = spx_fmt_cbr_block(v, spx_fmt_cbr_row_begin(v, r)) +
                        (size_t)(i - o0) * B * ntaps;
    for (t = 0; t < ntaps; ++t) taps[t] = row[(size_t)t * B];
  }
  return i;
}

const spx_fmt_desc_t spx_fmt_desc_CBR = {
    SPX_FMT_CBR, "cbr", "8x8 weight blocks in compressed block rows (block sparsity)", 1, 128,
    cbr_validate_desc, cbr_decode_desc,
    /* needs_s8 */ 1, SPX_FMT_COLS_S8, /* chan_block */ B, /* plain_s8 */ 0,
    cbr_open_desc, cbr_scratch, NULL, cbr_row_sums, NULL, cbr_dot, cbr_row_taps,
    SPX_FMT_DATAPATH_INT8, /* decode_s8: its own block-sparse kernels skip the pruned
                              blocks, which dense int8 would multiply */ NULL,
    &spx_fmt_desc_CBR_FAST};

const spx_fmt_desc_t spx_fmt_desc_CBR_FAST = {
    SPX_FMT_CBR, "cbr", "8x8 weight blocks in compressed block rows (block sparsity)", 1, 128,
    NULL, NULL,
    /* needs_s8 */ 1, SPX_FMT_COLS_S8, /* chan_block */ B, /* plain_s8 */ 0,
    cbr_open_fast, NULL, NULL, cbr_row_sums, NULL, NULL, cbr_row_taps,
    SPX_FMT_DATAPATH_INT8, NULL, NULL};
