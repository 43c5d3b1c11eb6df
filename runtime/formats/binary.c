/* binary.c - binary weights w = alpha[r] * b[r][i], b in {-1, +1}: the
 * layer encoding (encode, open, validate, decode), the flip rule of
 * weight columns, and the cpu kernels. The format is documented in
 * spx_formats.h ("BINARY").
 *
 * Freestanding C99: no allocation, no stdio. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/formats_internal.h"
#include "runtime/kernels/kernels_internal.h"

/* ---- small helpers ------------------------------------------------------ */

static unsigned popcount8(uint32_t x) {
#if defined(__GNUC__)
  return (unsigned)__builtin_popcount(x & 0xffu);
#else
  unsigned c = 0;
  for (x &= 0xffu; x; x &= x - 1) ++c;
  return c;
#endif
}

static int dims_ok(const spx_fmt_dims_t *d) {
  return d && d->rows >= 1 && d->cols >= 1 && d->kh >= 1 && d->kw >= 1 && d->groups >= 1 &&
         d->rows % d->groups == 0;
}

/* row_len, row_bytes and the total of dims; 0 if unusable or 4 GiB or more. */
static size_t geometry(const spx_fmt_dims_t *d, uint32_t *row_len, uint32_t *row_bytes) {
  uint64_t len, rb, total;
  if (!dims_ok(d)) return 0;
  len = (uint64_t)d->cols * d->kh * d->kw; /* < 2^64: 2^32 * 2^32 */
  if (len > 0xffffffffu) return 0;
  rb = (len + 7) / 8;
  total = SPX_FMT_BINARY_HEADER_BYTES + 4ull * d->rows + ((uint64_t)d->rows + 7) / 8 +
          (uint64_t)d->rows * rb;
  if (total > 0xffffffffu) return 0;
  if (row_len) *row_len = (uint32_t)len;
  if (row_bytes) *row_bytes = (uint32_t)rb;
  return (size_t)total;
}

/* An f32 as its bits, and whether those are a finite number > 0 (positive
 * subnormals included): sign 0, exponent not all ones, not +0. */
static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static int alpha_ok(uint32_t bits) {
  return !(bits >> 31) && ((bits >> 23) & 0xffu) != 0xffu && bits != 0;
}

/* Cells of row r stored as +1 (padding bits not counted): 8 bytes at a
 * time, then byte by byte. */
static uint32_t stored_ones(const uint8_t *row, uint32_t row_len) {
  uint32_t full = row_len / 8, i = 0, n = 0;
#if defined(__GNUC__)
  for (; i + 8 <= full; i += 8) {
    uint64_t x;
    memcpy(&x, row + i, 8);
    n += (uint32_t)__builtin_popcountll(x);
  }
#endif
  for (; i < full; ++i) n += popcount8(row[i]);
  if (row_len % 8) n += popcount8(row[full] & ((1u << (row_len % 8)) - 1u));
  return n;
}

size_t spx_fmt_binary_encoded_size(const spx_fmt_dims_t *dims) {
  return geometry(dims, NULL, NULL);
}

float spx_fmt_binary_alpha(const spx_fmt_binary_view_t *v, uint32_t r) {
  uint32_t u = rd32(v->alpha + 4 * (size_t)r);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* ---- encode --------------------------------------------------------------- */

double spx_fmt_binary_binarize(const double *w, size_t n, int8_t *b, size_t *ones) {
  double sum = 0;
  size_t i, pos = 0;
  for (i = 0; i < n; ++i) {
    sum += w[i] < 0 ? -w[i] : w[i];
    b[i] = (int8_t)(w[i] >= 0 ? 1 : -1);
    pos += b[i] > 0;
  }
  if (ones) *ones = pos;
  return n ? sum / (double)n : 0;
}

spx_rt_status_t spx_fmt_binary_encode(const spx_fmt_dims_t *dims, const int8_t *b,
                                      const float *alpha, int flip_weights, unsigned subvector,
                                      void *out, size_t cap, spx_rt_error_t *err) {
  uint8_t *o = (uint8_t *)out, *flips, *signs;
  uint32_t row_len = 0, row_bytes = 0, r, i;
  size_t total;
  spx_rt_error_clear(err);
  if (!dims || !b || !alpha || !out)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "binary encode: no dims, weights, alpha or "
                                                 "output (NULL)");
  total = geometry(dims, &row_len, &row_bytes);
  if (!total)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                            "binary dims %u x %u x %u x %u, groups %u: a dimension is 0, "
                            "groups does not divide rows or the encoding would be 4 GiB or more",
                            (unsigned)dims->rows, (unsigned)dims->cols, (unsigned)dims->kh,
                            (unsigned)dims->kw, (unsigned)dims->groups);
  if (subvector > 0xffffu)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                            "binary subvector %u does not fit its 16-bit field", subvector);
  /* the inputs first (then the buffer's size: a caller may check its
   * weights with cap 0): nothing is written for bad ones */
  for (r = 0; r < dims->rows; ++r) {
    if (!alpha_ok(f32_bits(alpha[r])))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                              "binary alpha of output channel %u (bits 0x%08x) is not a "
                              "finite number > 0", (unsigned)r, (unsigned)f32_bits(alpha[r]));
    for (i = 0; i < row_len; ++i) {
      int8_t x = b[(size_t)r * row_len + i];
      if (x != 1 && x != -1)
        return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                                "binary weight %d of output channel %u, index %u is not -1 or "
                                "+1", (int)x, (unsigned)r, (unsigned)i);
    }
  }
  if (cap < total)
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER,
                            "binary encoding needs %zu bytes, the buffer holds %zu", total, cap);
  memset(o, 0, total);
  memcpy(o, SPX_FMT_BINARY_MAGIC, 4);
  wr16(o + 4, SPX_FMT_BINARY_VERSION);
  wr16(o + 6, SPX_FMT_BINARY_HEADER_BYTES);
  wr32(o + 8, dims->rows);
  wr32(o + 12, dims->cols);
  wr16(o + 16, dims->kh);
  wr16(o + 18, dims->kw);
  wr32(o + 20, dims->groups);
  wr16(o + 24, subvector);
  wr16(o + 26, (flip_weights ? SPX_FMT_BINARY_WFLIP : 0u) |
                   (subvector ? SPX_FMT_BINARY_AFLIP : 0u));
  wr32(o + 28, (uint32_t)total);
  flips = o + SPX_FMT_BINARY_HEADER_BYTES + 4 * (size_t)dims->rows;
  signs = flips + ((size_t)dims->rows + 7) / 8;
  for (r = 0; r < dims->rows; ++r) {
    const int8_t *br = b + (size_t)r * row_len;
    uint8_t *sr = signs + (size_t)r * row_bytes;
    uint32_t ones = 0;
    int flip;
    wr32(o + SPX_FMT_BINARY_HEADER_BYTES + 4 * (size_t)r, f32_bits(alpha[r]));
    for (i = 0; i < row_len; ++i) ones += br[i] > 0;
    flip = flip_weights && spx_fmt_binary_flip_rule(ones, row_len);
    if (flip) flips[r / 8] = (uint8_t)(flips[r / 8] | (1u << (r % 8)));
    for (i = 0; i < row_len; ++i)
      if ((br[i] > 0) != flip) sr[i / 8] = (uint8_t)(sr[i / 8] | (1u << (i % 8)));
  }
  return SPX_RT_OK;
}

/* ---- open (the full check), validate, decode ------------------------------ */

#define BAD(...) return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, __VA_ARGS__)

/* The structural check, O(1): header fields, dims, flags, sizes; fills *v.
 * Enough for the kernels never to read out of bounds. */
static spx_rt_status_t open_header(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                   spx_fmt_binary_view_t *out, spx_rt_error_t *err) {
  const uint8_t *b = (const uint8_t *)bytes;
  spx_fmt_binary_view_t v;
  uint32_t flags;
  size_t total;
  spx_rt_error_clear(err);
  memset(out, 0, sizeof *out);
  memset(&v, 0, sizeof v);
  if (!bytes) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no binary weights (NULL)");
  if (len < SPX_FMT_BINARY_HEADER_BYTES)
    BAD("binary encoding of %zu bytes is shorter than its %d-byte header", len,
        SPX_FMT_BINARY_HEADER_BYTES);
  if (memcmp(b, SPX_FMT_BINARY_MAGIC, 4) != 0) BAD("binary magic is not \"SXBN\"");
  if (rd16(b + 4) != SPX_FMT_BINARY_VERSION)
    BAD("binary version %u is not %d", (unsigned)rd16(b + 4), SPX_FMT_BINARY_VERSION);
  if (rd16(b + 6) != SPX_FMT_BINARY_HEADER_BYTES)
    BAD("binary header_bytes %u is not %d", (unsigned)rd16(b + 6), SPX_FMT_BINARY_HEADER_BYTES);
  v.dims.rows = rd32(b + 8);
  v.dims.cols = rd32(b + 12);
  v.dims.kh = (uint16_t)rd16(b + 16);
  v.dims.kw = (uint16_t)rd16(b + 18);
  v.dims.groups = rd32(b + 20);
  if (!dims_ok(&v.dims))
    BAD("binary dims %u x %u x %u x %u, groups %u: a dimension is 0 or groups does not "
        "divide rows", (unsigned)v.dims.rows, (unsigned)v.dims.cols, (unsigned)v.dims.kh,
        (unsigned)v.dims.kw, (unsigned)v.dims.groups);
  if (dims && (dims->rows != v.dims.rows || dims->cols != v.dims.cols ||
               dims->kh != v.dims.kh || dims->kw != v.dims.kw || dims->groups != v.dims.groups))
    BAD("binary dims %u x %u x %u x %u, groups %u differ from the layer's %u x %u x %u x %u, "
        "groups %u", (unsigned)v.dims.rows, (unsigned)v.dims.cols, (unsigned)v.dims.kh,
        (unsigned)v.dims.kw, (unsigned)v.dims.groups, (unsigned)dims->rows,
        (unsigned)dims->cols, (unsigned)dims->kh, (unsigned)dims->kw, (unsigned)dims->groups);
  total = geometry(&v.dims, &v.row_len, &v.row_bytes);
  if (!total) BAD("binary encoding would be 4 GiB or more");
  v.subvector = (uint16_t)rd16(b + 24);
  flags = rd16(b + 26);
  v.flags = (uint16_t)flags;
  if (flags & ~(uint32_t)(SPX_FMT_BINARY_WFLIP | SPX_FMT_BINARY_AFLIP))
    BAD("binary flags 0x%x have bits other than WFLIP (0x1) and AFLIP (0x2)", (unsigned)flags);
  if (!(flags & SPX_FMT_BINARY_AFLIP) != !v.subvector)
    BAD("binary flag AFLIP is %s but subvector is %u (AFLIP is set iff subvector != 0)",
        (flags & SPX_FMT_BINARY_AFLIP) ? "set" : "clear", (unsigned)v.subvector);
  if (rd32(b + 28) != total)
    BAD("binary total_bytes %u is not %zu, the size of the dims' weights",
        (unsigned)rd32(b + 28), total);
  if (len != total) BAD("binary encoding is %zu bytes, its header says %zu", len, total);
  v.alpha = b + SPX_FMT_BINARY_HEADER_BYTES;
  v.flips = v.alpha + 4 * (size_t)v.dims.rows;
  v.signs = v.flips + (v.dims.rows + 7) / 8;
  *out = v;
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_binary_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                    spx_fmt_binary_view_t *out, spx_rt_error_t *err) {
  spx_fmt_binary_view_t v;
  uint32_t r, flip_bytes;
  spx_rt_status_t st = open_header(bytes, len, dims, &v, err);
  const uint32_t flags = v.flags;
  if (out) memset(out, 0, sizeof *out);
  if (st != SPX_RT_OK) return st;
  flip_bytes = (v.dims.rows + 7) / 8;
  for (r = 0; r < v.dims.rows; ++r)
    if (!alpha_ok(rd32(v.alpha + 4 * (size_t)r)))
      BAD("binary alpha of output channel %u (bits 0x%08x) is not a finite number > 0",
          (unsigned)r, (unsigned)rd32(v.alpha + 4 * (size_t)r));
  if ((v.dims.rows % 8) && (v.flips[flip_bytes - 1] >> (v.dims.rows % 8)))
    BAD("binary padding bits after the last flip bit are not 0");
  for (r = 0; r < v.dims.rows; ++r) {
    const uint8_t *row = v.signs + (size_t)r * v.row_bytes;
    const int flipped = spx_fmt_binary_flipped(&v, r);
    uint32_t ones, orig;
    if ((v.row_len % 8) && (row[v.row_bytes - 1] >> (v.row_len % 8)))
      BAD("binary padding bits of output channel %u (after its %u weights) are not 0",
          (unsigned)r, (unsigned)v.row_len);
    if (!(flags & SPX_FMT_BINARY_WFLIP)) {
      if (flipped) BAD("binary output channel %u is flipped but flag WFLIP is clear", (unsigned)r);
      continue;
    }
    ones = stored_ones(row, v.row_len);
    orig = flipped ? v.row_len - ones : ones;
    if (flipped != spx_fmt_binary_flip_rule(orig, v.row_len))
      BAD("binary output channel %u has flip bit %d, but %u of its %u weights are +1 (the flip "
          "rule stores a channel negated iff more than half are +1)", (unsigned)r, flipped,
          (unsigned)orig, (unsigned)v.row_len);
  }
  if (out) *out = v;
  return SPX_RT_OK;
}

static spx_rt_status_t binary_validate(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                       spx_rt_error_t *err) {
  return spx_fmt_binary_open(bytes, len, dims, NULL, err);
}

/* Effective weight b[r][i] of an opened view: stored bit XOR flip bit is 1
 * for +1. */
static int effective(const spx_fmt_binary_view_t *v, uint32_t r, uint32_t i) {
  return (spx_fmt_binary_stored(v, r, i) ^ spx_fmt_binary_flipped(v, r)) ? 1 : -1;
}

static spx_rt_status_t binary_decode(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                     int16_t *out, size_t count, spx_rt_error_t *err) {
  spx_fmt_binary_view_t v;
  spx_rt_status_t st;
  uint32_t r, i;
  if (!out) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no output buffer (NULL)");
  st = spx_fmt_binary_open(bytes, len, dims, &v, err);
  if (st != SPX_RT_OK) return st;
  if (count < (size_t)v.dims.rows * v.row_len)
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  for (r = 0; r < v.dims.rows; ++r)
    for (i = 0; i < v.row_len; ++i)
      out[(size_t)r * v.row_len + i] = (int16_t)effective(&v, r, i);
  return SPX_RT_OK;
}

/* ---- kernels: rows of +-1 against int8 im2col columns [K][kh][kw] ------- */

/* The driver's SPX_FMT_COLS_S8 path (chan_block 1: a column is the OIHW
 * order of a row, dense layers' input rows as they are): acc = sum b * x,
 * plus bias - z_in * sum b (row_sums). Each dot call unpacks the bits of
 * its rows once (8 weights per byte through a table of 256 x 8 int8 +-1
 * that begin builds in the scratch; a flipped row reads its bytes
 * complemented) into int8 rows, then runs the dense int8 inner product on
 * them against the whole tile: the unpacking is once per rows x tile, not
 * per multiply. Exact int32 arithmetic, as dense int8 on the decoded
 * weights.
 * Scratch: [table, 2048 bytes][SPX_FMT_ROW_CHUNK rows of 8 * row_bytes]. */
#define UNPACK_TABLE_BYTES 2048u

static size_t row_stride(const spx_fmt_dims_t *d) {
  uint32_t row_bytes = 0;
  geometry(d, NULL, &row_bytes);
  return (size_t)row_bytes * 8;
}

static size_t binary_scratch(const spx_fmt_dims_t *dims) {
  return UNPACK_TABLE_BYTES + (size_t)SPX_FMT_ROW_CHUNK * row_stride(dims);
}

/* The kernels' per-run open: the structural check only (validate, at load,
 * checks the rest; the kernels ignore padding bits and alpha, and any flip
 * bits compute some value without reading out of bounds). */
static spx_rt_status_t binary_open_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                        spx_fmt_weights_t *out, spx_rt_error_t *err) {
  spx_fmt_binary_view_t v;
  spx_rt_status_t st = open_header(bytes, len, dims, &v, err);
  if (st != SPX_RT_OK) return st;
  if (out) {
    out->desc = &spx_fmt_desc_BINARY;
    out->dims = v.dims;
    out->bytes = bytes;
    out->len = len;
    out->view.binary = v;
    out->state = NULL;
  }
  return SPX_RT_OK;
}

static void binary_begin(spx_fmt_weights_t *w, void *scratch) {
  int8_t *t = (int8_t *)scratch;
  uint32_t x, k;
  w->state = scratch;
  for (x = 0; x < 256; ++x)
    for (k = 0; k < 8; ++k) t[8 * x + k] = (int8_t)(((x >> k) & 1u) ? 1 : -1);
}

static void binary_row_sums(const spx_fmt_weights_t *w, int ragged, int32_t *sums) {
  const spx_fmt_binary_view_t *v = &w->view.binary;
  uint32_t r;
  (void)ragged;
  for (r = 0; r < v->dims.rows; ++r) {
    uint32_t ones = stored_ones(v->signs + (size_t)r * v->row_bytes, v->row_len);
    if (spx_fmt_binary_flipped(v, r)) ones = v->row_len - ones;
    sums[r] = 2 * (int32_t)ones - (int32_t)v->row_len;
  }
}

/* Rows r0 .. r1 - 1 (at most SPX_FMT_ROW_CHUNK) as int8 +-1 into rows,
 * stride 8 * row_bytes. */
static void unpack_rows(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1, int8_t *rows) {
  const spx_fmt_binary_view_t *v = &w->view.binary;
  const int8_t *t = (const int8_t *)w->state;
  const uint32_t rb = v->row_bytes;
  uint32_t r, k;
  for (r = r0; r < r1; ++r) {
    const uint8_t *src = v->signs + (size_t)r * rb;
    const uint32_t m = spx_fmt_binary_flipped(v, r) ? 0xffu : 0u;
    int8_t *dst = rows + (size_t)(r - r0) * rb * 8;
    for (k = 0; k < rb; ++k) memcpy(dst + 8 * (size_t)k, t + 8 * (size_t)(src[k] ^ m), 8);
  }
}

/* As dense int8's dot (dense.c) over the unpacked rows: one column, four
 * rows at a time against it; several, per row four columns at a time. Rows
 * / columns past the end reuse the first one; their results are dropped. */
static void binary_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                       const spx_fmt_cols_t *cols, int32_t *acc) {
  const size_t k = w->view.binary.row_len, ks = (size_t)w->view.binary.row_bytes * 8;
  const size_t cs = cols->stride;
  const uint32_t count = cols->count;
  int8_t *rows = (int8_t *)w->state + UNPACK_TABLE_BYTES;
  uint32_t c0, c1, r, j, t;
  for (c0 = r0; c0 < r1; c0 = c1) {
    c1 = r1 - c0 < SPX_FMT_ROW_CHUNK ? r1 : c0 + SPX_FMT_ROW_CHUNK;
    unpack_rows(w, c0, c1, rows);
    if (count == 1) {
      for (r = c0; r < c1; r += 4) {
        uint32_t m = c1 - r < 4 ? c1 - r : 4;
        const int8_t *w0 = rows + (size_t)(r - c0) * ks;
        int32_t a4[4];
        spx_k_dot_s8_1x4(cols->s8, w0, m > 1 ? w0 + ks : w0, m > 2 ? w0 + 2 * ks : w0,
                         m > 3 ? w0 + 3 * ks : w0, k, a4);
        for (t = 0; t < m; ++t) acc[(size_t)(r - r0 + t) * SPX_FMT_TILE] = a4[t];
      }
      continue;
    }
    for (r = c0; r < c1; ++r) {
      const int8_t *wr = rows + (size_t)(r - c0) * ks;
      int32_t *a = acc + (size_t)(r - r0) * SPX_FMT_TILE;
      for (j = 0; j < count; j += 4) {
        uint32_t m = count - j < 4 ? count - j : 4;
        const int8_t *b0 = cols->s8 + (size_t)j * cs;
        spx_k_dot_s8_1x4(wr, b0, m > 1 ? b0 + cs : b0, m > 2 ? b0 + 2 * cs : b0,
                         m > 3 ? b0 + 3 * cs : b0, k, a + j);
      }
    }
  }
}

/* Depthwise (cols = 1): the kh * kw weights of row i. */
static uint32_t binary_row_taps(const spx_fmt_weights_t *w, uint32_t i, int16_t *taps) {
  const spx_fmt_binary_view_t *v = &w->view.binary;
  uint32_t t;
  for (t = 0; t < v->row_len; ++t) taps[t] = (int16_t)effective(v, i, t);
  return i;
}

/* Decoded once (the descriptor's decode_s8): binary_dot multiplies x by the
 * rows unpack_rows makes, +1 where the stored bit XOR the row's flip bit is
 * 1, else -1 (effective()), and binary_row_sums is their sum; alpha is not
 * in the accumulator (the requantization multiplier carries it). The dense
 * int8 path computes sum w x + bias - z_in sum w on the same +-1. */
static spx_rt_status_t binary_decode_s8(const spx_fmt_weights_t *w, int8_t *out, size_t count,
                                        void (*excess)(void *, size_t, int32_t), void *ctx,
                                        spx_rt_error_t *err) {
  (void)excess; /* every weight is -1 or +1 */
  (void)ctx;
  const spx_fmt_binary_view_t *v = &w->view.binary;
  uint32_t r, i;
  if (!out || count < (size_t)v->dims.rows * v->row_len)
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  for (r = 0; r < v->dims.rows; ++r)
    for (i = 0; i < v->row_len; ++i)
      out[(size_t)r * v->row_len + i] = (int8_t)effective(v, r, i);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_fmt_desc_t spx_fmt_desc_BINARY = {
    SPX_FMT_BINARY, "binary",
    "binary weights alpha * {-1, +1} per output channel, 1 bit per weight, column flips", 1, 1,
    binary_validate, binary_decode,
    /* needs_s8 */ 1, SPX_FMT_COLS_S8, /* chan_block */ 1, /* plain_s8 */ 0,
    binary_open_desc, binary_scratch, binary_begin, binary_row_sums, NULL, binary_dot,
    binary_row_taps, SPX_FMT_DATAPATH_INT8, binary_decode_s8, /* kernel_half */ NULL};
