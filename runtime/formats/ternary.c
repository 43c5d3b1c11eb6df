/* ternary.c - structured sparse ternary weights: the code book, the layer
 * encoding (encode, open, validate, decode) and the kernels. The format is
 * documented in spx_formats.h ("TERNARY").
 *
 * Freestanding C99: no allocation, no stdio. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/formats_internal.h"

/* ---- small helpers ------------------------------------------------------ */

static unsigned popcount32(uint32_t x) {
  unsigned c = 0;
  for (; x; x &= x - 1) ++c;
  return c;
}

/* Index of the lowest set bit of x != 0. */
static inline unsigned lowest_bit(uint32_t x) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctz(x);
#else
  unsigned i = 0;
  while (!((x >> i) & 1u)) ++i;
  return i;
#endif
}

/* ---- the code book ------------------------------------------------------ */

/* C(n, r), 0 <= n, r <= 16 (0 for r > n). */
static const uint16_t k_binom[17][17] = {
    {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 3, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 4, 6, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 5, 10, 10, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 6, 15, 20, 15, 6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 7, 21, 35, 35, 21, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 8, 28, 56, 70, 56, 28, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 9, 36, 84, 126, 126, 84, 36, 9, 1, 0, 0, 0, 0, 0, 0, 0},
    {1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1, 0, 0, 0, 0, 0, 0},
    {1, 11, 55, 165, 330, 462, 462, 330, 165, 55, 11, 1, 0, 0, 0, 0, 0},
    {1, 12, 66, 220, 495, 792, 924, 792, 495, 220, 66, 12, 1, 0, 0, 0, 0},
    {1, 13, 78, 286, 715, 1287, 1716, 1716, 1287, 715, 286, 78, 13, 1, 0, 0, 0},
    {1, 14, 91, 364, 1001, 2002, 3003, 3432, 3003, 2002, 1001, 364, 91, 14, 1, 0, 0},
    {1, 15, 105, 455, 1365, 3003, 5005, 6435, 6435, 5005, 3003, 1365, 455, 105, 15, 1, 0},
    {1, 16, 120, 560, 1820, 4368, 8008, 11440, 12870, 11440, 8008, 4368, 1820, 560, 120, 16,
     1}};

static int params_ok(unsigned n, unsigned k) {
  return n >= SPX_FMT_TERNARY_MIN_N && n <= SPX_FMT_TERNARY_MAX_N && k >= 1 && k <= n;
}

uint32_t spx_fmt_ternary_patterns(unsigned n, unsigned k) {
  uint32_t p = 0;
  unsigned j;
  if (!params_ok(n, k)) return 0;
  for (j = 0; j <= k; ++j) p += (uint32_t)k_binom[n][j] << j;
  return p;
}

unsigned spx_fmt_ternary_code_bits(unsigned n, unsigned k) {
  uint32_t p = spx_fmt_ternary_patterns(n, k);
  unsigned b = 0;
  if (!p) return 0;
  while (b < 32 && ((uint64_t)1 << b) < p) ++b;
  return b;
}

/* The unranking, for valid (n, k) and code < P. */
static void unrank(unsigned n, uint32_t code, uint32_t *pos, uint32_t *neg) {
  unsigned j = 0, t, p = 0;
  uint32_t r, s, ps = 0, ns = 0;
  while (code >= ((uint32_t)k_binom[n][j] << j)) {
    code -= (uint32_t)k_binom[n][j] << j;
    ++j;
  }
  s = code & ((1u << j) - 1u);
  r = code >> j;
  for (t = 0; t < j; ++t) {
    /* C(n - p - 1, j - t - 1) supports have p as their next position */
    for (;; ++p) {
      uint32_t c = k_binom[n - p - 1][j - t - 1];
      if (r < c) break;
      r -= c;
    }
    ps |= 1u << p;
    if ((s >> t) & 1u) ns |= 1u << p;
    ++p;
  }
  *pos = ps;
  *neg = ns;
}

spx_rt_status_t spx_fmt_ternary_code_to_masks(unsigned n, unsigned k, uint32_t code,
                                              uint32_t *pos, uint32_t *neg) {
  uint32_t ps = 0, ns = 0;
  spx_rt_status_t st = SPX_RT_ERR_ARG;
  if (params_ok(n, k) && code < spx_fmt_ternary_patterns(n, k)) {
    unrank(n, code, &ps, &ns);
    st = SPX_RT_OK;
  }
  if (pos) *pos = ps;
  if (neg) *neg = ns;
  return st;
}

spx_rt_status_t spx_fmt_ternary_masks_to_code(unsigned n, unsigned k, uint32_t pos,
                                              uint32_t neg, uint32_t *code) {
  unsigned j, i, t = 0, q = 0, p;
  uint32_t c = 0, r = 0, s = 0;
  if (code) *code = 0;
  if (!params_ok(n, k) || (n < 32 && (pos >> n)) || (neg & ~pos)) return SPX_RT_ERR_ARG;
  j = popcount32(pos);
  if (j > k) return SPX_RT_ERR_ARG;
  for (i = 0; i < j; ++i) c += (uint32_t)k_binom[n][i] << i;
  for (p = 0; p < n; ++p) {
    if (!((pos >> p) & 1u)) continue;
    for (; q < p; ++q) r += k_binom[n - q - 1][j - t - 1];
    if ((neg >> p) & 1u) s |= 1u << t;
    q = p + 1;
    ++t;
  }
  if (code) *code = c + (r << j) + s;
  return SPX_RT_OK;
}

/* The whole book in code order into table[0 .. P-1], entries pos | neg <<
 * 16: supports generated in lexicographic order, signs innermost. */
static void build_table(unsigned n, unsigned k, uint32_t *table) {
  unsigned j, t, sel[SPX_FMT_TERNARY_MAX_N];
  uint32_t c = 0;
  for (j = 0; j <= k; ++j) {
    for (t = 0; t < j; ++t) sel[t] = t;
    for (;;) {
      uint32_t pos = 0, s;
      for (t = 0; t < j; ++t) pos |= 1u << sel[t];
      for (s = 0; s < (1u << j); ++s) {
        uint32_t neg = 0;
        for (t = 0; t < j; ++t)
          if ((s >> t) & 1u) neg |= 1u << sel[t];
        table[c++] = pos | (neg << 16);
      }
      /* next support: the rightmost position that can still move */
      t = j;
      while (t > 0 && sel[t - 1] == n - j + t - 1) --t;
      if (t == 0) break;
      ++sel[t - 1];
      for (; t < j; ++t) sel[t] = sel[t - 1] + 1;
    }
  }
}

/* ---- layer geometry ----------------------------------------------------- */

static int dims_ok(const spx_fmt_dims_t *d) {
  return d && d->rows >= 1 && d->cols >= 1 && d->kh >= 1 && d->kw >= 1 && d->groups >= 1 &&
         d->rows % d->groups == 0;
}

/* Fills the geometry of a view from its dims, n and k; 0 if unusable. */
static int geometry(spx_fmt_ternary_view_t *v) {
  uint64_t bits, total;
  if (!dims_ok(&v->dims) || !params_ok(v->n, v->k)) return 0;
  v->patterns = spx_fmt_ternary_patterns(v->n, v->k);
  v->code_bits = spx_fmt_ternary_code_bits(v->n, v->k);
  v->groups_per_tap = (v->dims.cols + v->n - 1) / v->n;
  v->last_lanes = v->dims.cols - (v->groups_per_tap - 1) * v->n;
  v->codes = (uint64_t)v->dims.rows * v->dims.kh * v->dims.kw * v->groups_per_tap;
  bits = v->codes * v->code_bits; /* < 2^32 * 2^16 * 2^31 * 26: no overflow */
  if (v->codes > ((uint64_t)1 << 36)) return 0;
  total = SPX_FMT_TERNARY_HEADER_BYTES + (bits + 7) / 8;
  if (total > 0xffffffffu) return 0;
  v->total_bytes = (size_t)total;
  return 1;
}

size_t spx_fmt_ternary_encoded_size(const spx_fmt_dims_t *dims, unsigned n, unsigned k) {
  spx_fmt_ternary_view_t v;
  memset(&v, 0, sizeof v);
  if (!dims) return 0;
  v.dims = *dims;
  v.n = n;
  v.k = k;
  return geometry(&v) ? v.total_bytes : 0;
}

/* Lanes of group g of a tap, and their mask. */
static unsigned group_lanes(const spx_fmt_ternary_view_t *v, uint32_t g) {
  return g + 1 == v->groups_per_tap ? v->last_lanes : v->n;
}
static uint32_t lane_mask(unsigned lanes) { return (uint32_t)((1ul << lanes) - 1ul); }

uint32_t spx_fmt_ternary_code_at(const spx_fmt_ternary_view_t *v, uint64_t c) {
  uint64_t q = c * v->code_bits, x = 0;
  size_t byte = (size_t)(q >> 3), end = v->total_bytes - SPX_FMT_TERNARY_HEADER_BYTES;
  unsigned sh = (unsigned)(q & 7u), i;
  for (i = 0; i < 5 && byte + i < end; ++i) x |= (uint64_t)v->data[byte + i] << (8 * i);
  return (uint32_t)((x >> sh) & (((uint64_t)1 << v->code_bits) - 1u));
}

static void put_code(uint8_t *data, uint64_t c, unsigned bits, uint32_t code) {
  uint64_t q = c * bits;
  unsigned i;
  for (i = 0; i < bits; ++i, ++q)
    if ((code >> i) & 1u) data[q >> 3] = (uint8_t)(data[q >> 3] | (1u << (q & 7u)));
}

spx_rt_status_t spx_fmt_ternary_encode(const spx_fmt_dims_t *dims, unsigned n, unsigned k,
                                       const int8_t *weights, uint8_t *out,
                                       size_t out_size, size_t *out_len) {
  spx_fmt_ternary_view_t v;
  uint32_t o, t, g, taps;
  uint64_t c = 0;
  if (out_len) *out_len = 0;
  memset(&v, 0, sizeof v);
  if (!dims || !weights || !out) return SPX_RT_ERR_ARG;
  v.dims = *dims;
  v.n = n;
  v.k = k;
  if (!geometry(&v)) return SPX_RT_ERR_ARG;
  if (out_size < v.total_bytes) return SPX_RT_ERR_BUFFER;
  memset(out, 0, v.total_bytes);
  memcpy(out, SPX_FMT_TERNARY_MAGIC, 4);
  wr16(out + 4, SPX_FMT_TERNARY_VERSION);
  wr16(out + 6, SPX_FMT_TERNARY_HEADER_BYTES);
  wr32(out + 8, dims->rows);
  wr32(out + 12, dims->cols);
  wr16(out + 16, dims->kh);
  wr16(out + 18, dims->kw);
  wr32(out + 20, dims->groups);
  out[24] = (uint8_t)n;
  out[25] = (uint8_t)k;
  out[26] = (uint8_t)v.code_bits;
  wr32(out + 28, (uint32_t)v.total_bytes);
  taps = (uint32_t)dims->kh * dims->kw;
  for (o = 0; o < dims->rows; ++o)
    for (t = 0; t < taps; ++t)
      for (g = 0; g < v.groups_per_tap; ++g, ++c) {
        unsigned lanes = group_lanes(&v, g), i;
        uint32_t pos = 0, neg = 0, code;
        for (i = 0; i < lanes; ++i) {
          int8_t w = weights[((size_t)o * dims->cols + (size_t)g * n + i) * taps + t];
          if (w < -1 || w > 1) return SPX_RT_ERR_ARG;
          if (w) pos |= 1u << i;
          if (w < 0) neg |= 1u << i;
        }
        if (spx_fmt_ternary_masks_to_code(n, k, pos, neg, &code) != SPX_RT_OK)
          return SPX_RT_ERR_ARG; /* more than k non-zeros */
        put_code(out + SPX_FMT_TERNARY_HEADER_BYTES, c, v.code_bits, code);
      }
  if (out_len) *out_len = v.total_bytes;
  return SPX_RT_OK;
}

/* ---- open, validate, decode -------------------------------------------- */

#define BAD(...) return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, __VA_ARGS__)

spx_rt_status_t spx_fmt_ternary_open(const void *bytes, size_t len,
                                     const spx_fmt_dims_t *expected,
                                     spx_fmt_ternary_view_t *out_view,
                                     spx_rt_error_t *err) {
  const uint8_t *b = (const uint8_t *)bytes;
  spx_fmt_ternary_view_t v;
  spx_rt_error_clear(err);
  if (out_view) memset(out_view, 0, sizeof *out_view);
  memset(&v, 0, sizeof v);
  if (!bytes) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no ternary weights (NULL)");
  if (len < SPX_FMT_TERNARY_HEADER_BYTES)
    BAD("ternary encoding of %zu bytes is shorter than its %d-byte header", len,
        SPX_FMT_TERNARY_HEADER_BYTES);
  if (memcmp(b, SPX_FMT_TERNARY_MAGIC, 4) != 0) BAD("ternary magic is not \"SXTN\"");
  if (rd16(b + 4) != SPX_FMT_TERNARY_VERSION)
    BAD("ternary version %u is not %d", (unsigned)rd16(b + 4), SPX_FMT_TERNARY_VERSION);
  if (rd16(b + 6) != SPX_FMT_TERNARY_HEADER_BYTES)
    BAD("ternary header_bytes %u is not %d", (unsigned)rd16(b + 6), SPX_FMT_TERNARY_HEADER_BYTES);
  v.dims.rows = rd32(b + 8);
  v.dims.cols = rd32(b + 12);
  v.dims.kh = (uint16_t)rd16(b + 16);
  v.dims.kw = (uint16_t)rd16(b + 18);
  v.dims.groups = rd32(b + 20);
  v.n = b[24];
  v.k = b[25];
  if (!dims_ok(&v.dims))
    BAD("ternary dims %u x %u x %u x %u, groups %u: a dimension is 0 or groups does not "
        "divide rows", (unsigned)v.dims.rows, (unsigned)v.dims.cols, (unsigned)v.dims.kh,
        (unsigned)v.dims.kw, (unsigned)v.dims.groups);
  if (expected &&
      (expected->rows != v.dims.rows || expected->cols != v.dims.cols ||
       expected->kh != v.dims.kh || expected->kw != v.dims.kw ||
       expected->groups != v.dims.groups))
    BAD("ternary dims %u x %u x %u x %u, groups %u differ from the layer's %u x %u x %u x %u, "
        "groups %u", (unsigned)v.dims.rows, (unsigned)v.dims.cols, (unsigned)v.dims.kh,
        (unsigned)v.dims.kw, (unsigned)v.dims.groups, (unsigned)expected->rows,
        (unsigned)expected->cols, (unsigned)expected->kh, (unsigned)expected->kw,
        (unsigned)expected->groups);
  if (!params_ok(v.n, v.k))
    BAD("ternary group size N = %u and non-zeros K = %u are outside 2 <= N <= 16, 1 <= K <= N",
        v.n, v.k);
  if (b[26] != spx_fmt_ternary_code_bits(v.n, v.k))
    BAD("ternary code width %u is not %u, ceil(log2(P)) for N = %u, K = %u", (unsigned)b[26],
        spx_fmt_ternary_code_bits(v.n, v.k), v.n, v.k);
  if (b[27]) BAD("ternary flags %u are not 0", (unsigned)b[27]);
  if (!geometry(&v)) BAD("ternary encoding would be 4 GiB or more");
  if (rd32(b + 28) != v.total_bytes)
    BAD("ternary total_bytes %u is not %zu, the size of the dims' codes",
        (unsigned)rd32(b + 28), v.total_bytes);
  if (len != v.total_bytes)
    BAD("ternary encoding is %zu bytes, its header says %zu", len, v.total_bytes);
  v.data = b + SPX_FMT_TERNARY_HEADER_BYTES;
  if (out_view) *out_view = v;
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_ternary_validate(const void *bytes, size_t len,
                                         const spx_fmt_dims_t *expected,
                                         spx_rt_error_t *err) {
  spx_fmt_ternary_view_t v;
  spx_rt_status_t st = spx_fmt_ternary_open(bytes, len, expected, &v, err);
  uint32_t o, t, g, taps;
  uint64_t c = 0, used;
  size_t last;
  if (st != SPX_RT_OK) return st;
  taps = (uint32_t)v.dims.kh * v.dims.kw;
  for (o = 0; o < v.dims.rows; ++o)
    for (t = 0; t < taps; ++t)
      for (g = 0; g < v.groups_per_tap; ++g, ++c) {
        uint32_t code = spx_fmt_ternary_code_at(&v, c), pos, neg;
        unsigned lanes = group_lanes(&v, g);
        if (code >= v.patterns)
          BAD("ternary code %u is past the end of the (%u, %u) code book (P = %u): output "
              "channel %u, tap %u (ky %u, kx %u), group %u", (unsigned)code, v.n, v.k,
              (unsigned)v.patterns, (unsigned)o, (unsigned)t, (unsigned)(t / v.dims.kw),
              (unsigned)(t % v.dims.kw), (unsigned)g);
        unrank(v.n, code, &pos, &neg);
        if (pos & ~lane_mask(lanes))
          BAD("ternary code %u uses lane %u of a ragged group of %u lanes: output channel %u, "
              "tap %u (ky %u, kx %u), group %u", (unsigned)code,
              lowest_bit(pos & ~lane_mask(lanes)), lanes, (unsigned)o, (unsigned)t,
              (unsigned)(t / v.dims.kw), (unsigned)(t % v.dims.kw), (unsigned)g);
      }
  used = v.codes * v.code_bits;
  last = v.total_bytes - SPX_FMT_TERNARY_HEADER_BYTES;
  if ((used & 7u) && last && (v.data[last - 1] >> (used & 7u)))
    BAD("ternary padding bits after the last code are not 0");
  return SPX_RT_OK;
}

/* Effective weights of an opened view into out8 (int8) or out16 (int16). */
static void decode_view(const spx_fmt_ternary_view_t *v, int8_t *out8, int16_t *out16) {
  uint32_t o, t, g, taps = (uint32_t)v->dims.kh * v->dims.kw;
  uint64_t c = 0;
  for (o = 0; o < v->dims.rows; ++o)
    for (t = 0; t < taps; ++t)
      for (g = 0; g < v->groups_per_tap; ++g, ++c) {
        uint32_t pos, neg;
        unsigned i, lanes = group_lanes(v, g);
        unrank(v->n, spx_fmt_ternary_code_at(v, c), &pos, &neg);
        for (i = 0; i < lanes; ++i) {
          size_t at = ((size_t)o * v->dims.cols + (size_t)g * v->n + i) * taps + t;
          int w = ((pos >> i) & 1u) ? (((neg >> i) & 1u) ? -1 : 1) : 0;
          if (out8) out8[at] = (int8_t)w;
          if (out16) out16[at] = (int16_t)w;
        }
      }
}

static spx_rt_status_t open_for_decode(const void *bytes, size_t len,
                                       const spx_fmt_dims_t *expected, const void *out,
                                       size_t count, spx_fmt_ternary_view_t *v,
                                       spx_rt_error_t *err) {
  spx_rt_status_t st;
  if (!out) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no output buffer (NULL)");
  st = spx_fmt_ternary_validate(bytes, len, expected, err);
  if (st != SPX_RT_OK) return st;
  spx_fmt_ternary_open(bytes, len, expected, v, NULL);
  if (count < spx_fmt_dims_count(&v->dims))
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_ternary_decode(const void *bytes, size_t len,
                                       const spx_fmt_dims_t *expected,
                                       int8_t *weights, size_t dense_count,
                                       spx_rt_error_t *err) {
  spx_fmt_ternary_view_t v;
  spx_rt_status_t st = open_for_decode(bytes, len, expected, weights, dense_count, &v, err);
  if (st != SPX_RT_OK) return st;
  decode_view(&v, weights, NULL);
  return SPX_RT_OK;
}

/* ---- descriptor ------------------------------------------------------------ */

static spx_rt_status_t ternary_validate_desc(const void *bytes, size_t len,
                                             const spx_fmt_dims_t *dims, spx_rt_error_t *err) {
  return spx_fmt_ternary_validate(bytes, len, dims, err);
}

static spx_rt_status_t ternary_decode_desc(const void *bytes, size_t len,
                                           const spx_fmt_dims_t *dims, int16_t *out,
                                           size_t count, spx_rt_error_t *err) {
  spx_fmt_ternary_view_t v;
  spx_rt_status_t st = open_for_decode(bytes, len, dims, out, count, &v, err);
  if (st != SPX_RT_OK) return st;
  decode_view(&v, NULL, out);
  return SPX_RT_OK;
}

/* ---- kernels: codes against centered im2col columns --------------------- */

/* A tile of columns is a = x - z_in (int16, 0 at padding cells, widened to
 * int32 once per tile by cols_ready), one row of SPX_FMT_TILE values per
 * (tap, input channel), [ky][kx][ci] - the order of the codes. Each code of a row is decoded to its (positions, signs) masks
 * and, per non-zero lane l, the row's accumulators get +a[l] or -a[l] (the
 * sign applied as (a ^ m) - m, m = 0 or -1: no multiplies, no branch on
 * the sign). The whole product is sum w * a with w in {-1, 0, 1}, exact in
 * int32, so no row sums are needed.
 * Decoding: with P <= SPX_FMT_TERNARY_TABLE_MAX through a table of the
 * whole book (pos | neg << 16) that begin builds in the scratch once per
 * run; larger books by unranking each code. Codes are not range-checked
 * here (validate does that once, at load): a code past the book's end reads
 * as 0 and a lane past a ragged group is masked off, so an ill-formed
 * encoding computes some value but never reads out of bounds. */

/* Activation tables (one to 8 columns): a code costs a look-up and an add
 * instead of a decode and K adds. For each group gg of N input channels of
 * a tap (gg = t * groups_per_tap + g, the order of a row's codes), T_gg[c] =
 * sum over the code c's support of +-a (0 for c = 0), for every code c of
 * the book; a row's accumulator is then sum_gg T_gg[code(row, gg)]. The
 * entries of the codes of one non-zero (leaf[], found in the book's table)
 * are +-a of their lane (0 for a lane a ragged group does not have); every
 * other code's entry is the sum of its lanes' leaf entries (one add for
 * K = 2), its lanes from the same table, so the book's order is the table's.
 * The tables are [c][gg][cp] over a block of groups, cp = 1, 4 or 8
 * columns (a tile's count rounded up; the columns past count are 0), so a
 * build is vector adds across the block and a look-up is one int32 (cp = 1)
 * or one or two vectors of 4. A block's tables fill at most
 * SPX_TERN_LUT_BLOCK_BYTES (L1-sized; measured no slower than 64 KiB and
 * faster than 128 KiB on the fc layer) and the int32 region of the scratch;
 * blocks are of equal size, and every row of the conv group does its
 * look-ups of a block into int32 accumulators, which dot then copies out
 * (the first dot call of a conv group on a tile computes all its rows).
 * Taken when it pays (lut_plan): P <= SPX_TERN_LUT_MAX_P and enough rows
 * per conv group for the build to be amortized. Bit-exact with the decoding
 * path: the same int32 sum of +-a, codes past the book read as 0 (entry 0),
 * lanes past a ragged group as 0. */
#ifndef SPX_TERN_LUT_COLS
#define SPX_TERN_LUT_COLS 8u /* 1, 4 or 8 */
#endif
#ifndef SPX_TERN_LUT_BLOCK_BYTES
#define SPX_TERN_LUT_BLOCK_BYTES 32768u
#endif
#ifndef SPX_TERN_LUT_MAX_P
#define SPX_TERN_LUT_MAX_P 256u
#endif
#define LUT_NONE 0xffffffffu

/* Scratch: the state below; then the int32 region, [kh * kw * I]
 * [SPX_FMT_TILE]: the tile of columns widened to int32 (cols_ready; the
 * inner loop is then a plain int32 add of 16 lanes, which compilers
 * vectorize without the int16 sign extension baseline x86-64 (SSE2) lacks),
 * or a block of activation tables; then the tables' accumulators, [rows /
 * groups][SPX_TERN_LUT_COLS]. */
typedef struct tern_state {
  uint32_t tabled;    /* 1: table holds the book (0: unrank) */
  uint32_t lut;       /* 1: the layer may take the activation tables */
  uint32_t lut_tile;  /* 1: the current tile does (cols_ready) */
  uint32_t lut_group; /* conv group whose rows lut_acc holds, or LUT_NONE */
  uint32_t lut_cols;  /* cp, columns per table entry */
  uint32_t lut_block; /* groups per block */
  uint32_t table[SPX_FMT_TERNARY_TABLE_MAX]; /* pos | neg << 16 */
  uint32_t leaf[2 * SPX_FMT_TERNARY_MAX_N];  /* code of lane l, sign s: [2l + s] */
} tern_state_t;

static size_t region_words(const spx_fmt_dims_t *dims) {
  return (size_t)dims->cols * dims->kh * dims->kw * SPX_FMT_TILE;
}

static size_t ternary_scratch(const spx_fmt_dims_t *dims) {
  return sizeof(tern_state_t) +
         (region_words(dims) + (size_t)(dims->rows / dims->groups) * SPX_TERN_LUT_COLS) *
             sizeof(int32_t);
}

static int32_t *region_of(const spx_fmt_weights_t *w) {
  return (int32_t *)(void *)((uint8_t *)w->state + sizeof(tern_state_t));
}

static spx_rt_status_t ternary_open_desc(const void *bytes, size_t len,
                                         const spx_fmt_dims_t *dims, spx_fmt_weights_t *out,
                                         spx_rt_error_t *err) {
  spx_fmt_ternary_view_t v;
  spx_rt_status_t st = spx_fmt_ternary_open(bytes, len, dims, &v, err);
  if (st != SPX_RT_OK) return st;
  if (out) {
    out->desc = &spx_fmt_desc_TERNARY;
    out->dims = *dims;
    out->bytes = bytes;
    out->len = len;
    out->view.ternary = v;
    out->state = NULL;
  }
  return SPX_RT_OK;
}

/* The codes of one non-zero, from the book's table: leaf[2 l + s] is lane
 * l with sign s (1 = negative); 0 if one is missing (then no tables). */
static int find_leaves(const spx_fmt_ternary_view_t *v, tern_state_t *s) {
  uint32_t c, found = 0;
  for (c = 1; c < v->patterns; ++c) {
    const uint32_t pos = s->table[c] & 0xffffu, neg = s->table[c] >> 16;
    if (pos & (pos - 1u)) continue;
    s->leaf[2 * lowest_bit(pos) + (neg ? 1u : 0u)] = c;
    ++found;
  }
  return found == 2u * v->n;
}

static int lut_plan(const spx_fmt_dims_t *d, unsigned n, unsigned k, uint32_t P, uint32_t count,
                    uint32_t *cp_out, uint32_t *block_out);

static void ternary_begin(spx_fmt_weights_t *w, void *scratch) {
  const spx_fmt_ternary_view_t *v = &w->view.ternary;
  tern_state_t *s = (tern_state_t *)scratch;
  w->state = scratch;
  s->tabled = v->patterns <= SPX_FMT_TERNARY_TABLE_MAX;
  s->lut = 0;
  s->lut_tile = 0;
  s->lut_group = LUT_NONE;
  if (!s->tabled) return;
  build_table(v->n, v->k, s->table);
  /* one column is the least a tile can ask: no tables for it, none at all */
  s->lut = lut_plan(&w->dims, v->n, v->k, v->patterns, 1, &s->lut_cols, &s->lut_block) &&
           find_leaves(v, s);
}

/* Reads b-bit codes LSB first from a byte stream, never past its end. */
typedef struct bit_reader {
  const uint8_t *p, *end;
  uint64_t buf;
  unsigned have;
} bit_reader_t;

static inline void br_fill(bit_reader_t *r) {
  while (r->have <= 56 && r->p < r->end) {
    r->buf |= (uint64_t)*r->p++ << r->have;
    r->have += 8;
  }
}

static inline void br_start(bit_reader_t *r, const spx_fmt_ternary_view_t *v, uint64_t bit) {
  r->p = v->data + (size_t)(bit >> 3);
  r->end = v->data + (v->total_bytes - SPX_FMT_TERNARY_HEADER_BYTES);
  r->buf = 0;
  r->have = 0;
  br_fill(r);
  r->buf >>= bit & 7u;
  r->have = r->have >= (bit & 7u) ? r->have - (unsigned)(bit & 7u) : 0;
}

static inline uint32_t br_get(bit_reader_t *r, unsigned bits, uint64_t mask) {
  uint32_t c;
  if (r->have < bits) br_fill(r);
  c = (uint32_t)(r->buf & mask);
  r->buf >>= bits;
  r->have = r->have >= bits ? r->have - bits : 0;
  return c;
}

/* acc[j] += +-a[j] over the lanes of pos (sign from neg), j < TILE: with
 * GNU C vectors (gcc and clang; 4 x 4 int32 accumulators in registers,
 * which gcc's auto-vectorizer did not manage from the plain loop: it kept
 * 16 scalar accumulators on the stack), else the plain loop. */
#if defined(__GNUC__) && SPX_FMT_TILE == 16
typedef int32_t tern_v4_t __attribute__((vector_size(16)));
typedef struct tern_acc {
  tern_v4_t v0, v1, v2, v3; /* separate members: kept in registers */
} tern_acc_t;
static inline void acc_zero(tern_acc_t *acc) {
  const tern_v4_t z = {0, 0, 0, 0};
  acc->v0 = acc->v1 = acc->v2 = acc->v3 = z;
}
static inline void acc_store(const tern_acc_t *acc, int32_t *out) {
  memcpy(out, &acc->v0, 16);
  memcpy(out + 4, &acc->v1, 16);
  memcpy(out + 8, &acc->v2, 16);
  memcpy(out + 12, &acc->v3, 16);
}
static inline void add_lanes(uint32_t pos, uint32_t neg, const int32_t *a0, tern_acc_t *acc) {
  tern_v4_t v0 = acc->v0, v1 = acc->v1, v2 = acc->v2, v3 = acc->v3;
  while (pos) {
    const unsigned l = lowest_bit(pos);
    const int32_t *a = a0 + (size_t)l * SPX_FMT_TILE;
    const int32_t mi = -(int32_t)((neg >> l) & 1u);
    const tern_v4_t m = {mi, mi, mi, mi};
    tern_v4_t x0, x1, x2, x3;
    pos &= pos - 1u;
    memcpy(&x0, a, 16);
    memcpy(&x1, a + 4, 16);
    memcpy(&x2, a + 8, 16);
    memcpy(&x3, a + 12, 16);
    v0 += (x0 ^ m) - m;
    v1 += (x1 ^ m) - m;
    v2 += (x2 ^ m) - m;
    v3 += (x3 ^ m) - m;
  }
  acc->v0 = v0;
  acc->v1 = v1;
  acc->v2 = v2;
  acc->v3 = v3;
}
#else
typedef struct tern_acc {
  int32_t v[SPX_FMT_TILE];
} tern_acc_t;
static inline void acc_zero(tern_acc_t *acc) {
  int j;
  for (j = 0; j < SPX_FMT_TILE; ++j) acc->v[j] = 0;
}
static inline void acc_store(const tern_acc_t *acc, int32_t *out) {
  memcpy(out, acc->v, sizeof acc->v);
}
static inline void add_lanes(uint32_t pos, uint32_t neg, const int32_t *a0, tern_acc_t *acc) {
  while (pos) {
    const unsigned l = lowest_bit(pos);
    const int32_t *a = a0 + (size_t)l * SPX_FMT_TILE;
    const int32_t m = -(int32_t)((neg >> l) & 1u);
    int j;
    pos &= pos - 1u;
    for (j = 0; j < SPX_FMT_TILE; ++j) acc->v[j] += (a[j] ^ m) - m;
  }
}
#endif

/* The same for one column (dense layers of batch 1): acc[0] only. */
static inline int32_t add_lanes1(uint32_t pos, uint32_t neg, const int32_t *a0) {
  int32_t s = 0;
  while (pos) {
    const unsigned l = lowest_bit(pos);
    const int32_t m = -(int32_t)((neg >> l) & 1u);
    pos &= pos - 1u;
    s += (a0[(size_t)l * SPX_FMT_TILE] ^ m) - m;
  }
  return s;
}

/* ---- activation tables --------------------------------------------------- */

/* The tables of groups gb .. gb + nb - 1 of the tile into T, [c][bi][cp]
 * (entry stride W = nb * cp per code). */
static void lut_build(const spx_fmt_ternary_view_t *v, const tern_state_t *s,
                      const int16_t *s16, uint32_t gb, uint32_t nb, uint32_t cp, int32_t *T) {
  const uint32_t ng = v->groups_per_tap, P = v->patterns, W = nb * cp, n = v->n;
  uint32_t t = gb / ng, g = gb % ng, bi, c, i;
  for (i = 0; i < W; ++i) T[i] = 0;
  for (bi = 0; bi < nb; ++bi) {
    const unsigned lanes = group_lanes(v, g);
    const int16_t *a = s16 + ((size_t)t * v->dims.cols + (size_t)g * n) * SPX_FMT_TILE;
    unsigned l, j;
    for (l = 0; l < n; ++l) {
      int32_t *tp = T + (size_t)s->leaf[2 * l] * W + (size_t)bi * cp;
      int32_t *tn = T + (size_t)s->leaf[2 * l + 1] * W + (size_t)bi * cp;
      for (j = 0; j < cp; ++j) {
        const int32_t x = l < lanes ? a[(size_t)l * SPX_FMT_TILE + j] : 0;
        tp[j] = x;
        tn[j] = -x;
      }
    }
    if (++g == ng) {
      g = 0;
      ++t;
    }
  }
  for (c = 1; c < P; ++c) {
    uint32_t pos = s->table[c] & 0xffffu;
    const uint32_t neg = s->table[c] >> 16;
    int32_t *tc = T + (size_t)c * W;
    const int32_t *ta, *tb;
    unsigned l;
    if (!(pos & (pos - 1u))) continue; /* one non-zero: done above */
    l = lowest_bit(pos);
    pos &= pos - 1u;
    ta = T + (size_t)s->leaf[2 * l + ((neg >> l) & 1u)] * W;
    l = lowest_bit(pos);
    pos &= pos - 1u;
    tb = T + (size_t)s->leaf[2 * l + ((neg >> l) & 1u)] * W;
    for (i = 0; i < W; ++i) tc[i] = ta[i] + tb[i];
    while (pos) {
      l = lowest_bit(pos);
      pos &= pos - 1u;
      ta = T + (size_t)s->leaf[2 * l + ((neg >> l) & 1u)] * W;
      for (i = 0; i < W; ++i) tc[i] += ta[i];
    }
  }
}

/* The table row of a code: a code past the book reads as 0. */
static inline uint32_t lut_code(uint32_t code, uint32_t P) { return code < P ? code : 0; }

/* One row's look-ups of a block: ar[j] += sum_bi T[code_bi][bi][j], j < cp,
 * codes from q (8-bit codes) or the bit reader. Inlined with a constant cp:
 * 1 (a scalar sum), 4 or 8 (one or two vectors of 4 int32). */
#if defined(__GNUC__)
#define LUT_INLINE static inline __attribute__((always_inline))
#else
#define LUT_INLINE static inline
#endif
LUT_INLINE void lut_row(const int32_t *T, uint32_t W, uint32_t nb, uint32_t P, const uint8_t *q,
                        bit_reader_t *br, unsigned bits, uint64_t mask, const uint32_t cp,
                        int32_t *ar) {
  uint32_t bi;
#if defined(__GNUC__) && SPX_FMT_TILE == 16
  if (cp >= 4) {
    tern_v4_t s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0}, x;
    int32_t o[4];
    unsigned j;
    for (bi = 0; bi < nb; ++bi) {
      const int32_t *e =
          T + (size_t)lut_code(q ? q[bi] : br_get(br, bits, mask), P) * W + (size_t)bi * cp;
      memcpy(&x, e, 16);
      s0 += x;
      if (cp == 8) {
        memcpy(&x, e + 4, 16);
        s1 += x;
      }
    }
    memcpy(o, &s0, 16);
    for (j = 0; j < 4; ++j) ar[j] += o[j];
    if (cp == 8) {
      memcpy(o, &s1, 16);
      for (j = 0; j < 4; ++j) ar[4 + j] += o[j];
    }
    return;
  }
#endif
  if (cp == 1) {
    int32_t sum = 0;
    for (bi = 0; bi < nb; ++bi)
      sum += T[(size_t)lut_code(q ? q[bi] : br_get(br, bits, mask), P) * W + bi];
    ar[0] += sum;
    return;
  }
  for (bi = 0; bi < nb; ++bi) {
    const int32_t *e =
        T + (size_t)lut_code(q ? q[bi] : br_get(br, bits, mask), P) * W + (size_t)bi * cp;
    uint32_t j;
    for (j = 0; j < cp; ++j) ar[j] += e[j];
  }
}

/* Accumulators of rows ra .. rb - 1 (one conv group) over all groups: the
 * tables block by block, then every row's look-ups of the block. */
static void lut_rows(const spx_fmt_weights_t *w, const int16_t *s16, uint32_t ra, uint32_t rb) {
  const spx_fmt_ternary_view_t *v = &w->view.ternary;
  const tern_state_t *s = (const tern_state_t *)w->state;
  int32_t *T = region_of(w);
  int32_t *A = T + region_words(&w->dims);
  const uint32_t G = (uint32_t)v->dims.kh * v->dims.kw * v->groups_per_tap, P = v->patterns;
  const uint32_t cp = s->lut_cols, B = s->lut_block;
  const unsigned bits = v->code_bits;
  const uint64_t mask = ((uint64_t)1 << bits) - 1u;
  uint32_t gb, r, i;
  for (i = 0; i < (rb - ra) * cp; ++i) A[i] = 0;
  for (gb = 0; gb < G; gb += B) {
    const uint32_t nb = G - gb < B ? G - gb : B, W = nb * cp;
    lut_build(v, s, s16, gb, nb, cp, T);
    for (r = ra; r < rb; ++r) {
      const uint64_t c0 = (uint64_t)r * G + gb;
      int32_t *ar = A + (size_t)(r - ra) * cp;
      if (bits == 8) {
        const uint8_t *q = v->data + (size_t)c0;
        if (cp == 1)
          lut_row(T, W, nb, P, q, NULL, 8, 0xff, 1, ar);
        else if (cp == 4)
          lut_row(T, W, nb, P, q, NULL, 8, 0xff, 4, ar);
        else
          lut_row(T, W, nb, P, q, NULL, 8, 0xff, 8, ar);
      } else {
        bit_reader_t br;
        br_start(&br, v, c0 * bits);
        if (cp == 1)
          lut_row(T, W, nb, P, NULL, &br, bits, mask, 1, ar);
        else if (cp == 4)
          lut_row(T, W, nb, P, NULL, &br, bits, mask, 4, ar);
        else
          lut_row(T, W, nb, P, NULL, &br, bits, mask, 8, ar);
      }
    }
  }
}

/* The activation tables' plan for a tile of `count` columns of a layer:
 * *cp columns per entry and *block groups per block, 0 if the tile takes
 * the decoding path. Tables when they pay: P <= SPX_TERN_LUT_MAX_P, count
 * <= SPX_TERN_LUT_COLS and, with m = 1, 2, 4 for cp = 1, 4, 8, at least 16 m
 * rows per conv group and 2 K rows >= m P (measured, docs/numerics.md: a
 * block's tables cost about m P adds per group, each row's look-up saves
 * about K lane adds per group over decoding); and one group's tables fit
 * the scratch's int32 region. */
static int lut_plan(const spx_fmt_dims_t *d, unsigned n, unsigned k, uint32_t P, uint32_t count,
                    uint32_t *cp_out, uint32_t *block_out) {
  const uint32_t rpg = d->rows / d->groups, cp = count == 1 ? 1 : count <= 4 ? 4 : 8;
  const uint64_t m = cp == 1 ? 1 : cp == 4 ? 2 : 4;
  const size_t words = region_words(d), per_group = (size_t)P * cp * sizeof(int32_t);
  const size_t budget = words * sizeof(int32_t) < SPX_TERN_LUT_BLOCK_BYTES
                            ? words * sizeof(int32_t)
                            : SPX_TERN_LUT_BLOCK_BYTES;
  const uint32_t G = (uint32_t)d->kh * d->kw * ((d->cols + n - 1) / n);
  size_t most, blocks;
  if (P > SPX_TERN_LUT_MAX_P || count < 1 || count > SPX_TERN_LUT_COLS || rpg < 16 * m ||
      2ull * k * rpg < m * P || budget < per_group)
    return 0;
  /* blocks of equal size (no short last block: a pass over the rows each) */
  most = budget / per_group;
  blocks = (G + most - 1) / most;
  *cp_out = cp;
  *block_out = (uint32_t)((G + blocks - 1) / blocks);
  return 1;
}

uint32_t spx_fmt_ternary_lut_columns(const spx_fmt_dims_t *dims, unsigned n, unsigned k,
                                     uint32_t count) {
  uint32_t cp = 0, block;
  if (!dims_ok(dims) || !params_ok(n, k)) return 0;
  return lut_plan(dims, n, k, spx_fmt_ternary_patterns(n, k), count, &cp, &block) ? cp : 0;
}

/* The tile widened to int32 (columns past count: 0 already in s16), or the
 * activation tables' plan for it. */
static void ternary_cols_ready(const spx_fmt_weights_t *w, const spx_fmt_cols_t *cols) {
  const spx_fmt_ternary_view_t *v = &w->view.ternary;
  tern_state_t *s = (tern_state_t *)w->state;
  int32_t *t32 = region_of(w);
  const size_t n = region_words(&w->dims);
  size_t i;
  s->lut_group = LUT_NONE;
  s->lut_tile = s->lut && lut_plan(&w->dims, v->n, v->k, v->patterns, cols->count,
                                   &s->lut_cols, &s->lut_block);
  if (s->lut_tile) return;
  if (cols->count == 1) {
    for (i = 0; i < n; i += SPX_FMT_TILE) t32[i] = cols->s16[i];
    return;
  }
  for (i = 0; i < n; ++i) t32[i] = cols->s16[i];
}

/* The tables' accumulators of rows r0 .. r1 - 1 (computed for the whole
 * conv group by its first call on the tile). */
static void lut_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                    const spx_fmt_cols_t *cols, int32_t *acc) {
  tern_state_t *s = (tern_state_t *)w->state;
  const uint32_t rpg = w->dims.rows / w->dims.groups, gi = r0 / rpg, cp = s->lut_cols;
  const int32_t *A = region_of(w) + region_words(&w->dims);
  uint32_t r, j;
  if (s->lut_group != gi) {
    lut_rows(w, cols->s16, gi * rpg, (gi + 1) * rpg);
    s->lut_group = gi;
  }
  for (r = r0; r < r1; ++r)
    for (j = 0; j < cp; ++j)
      acc[(size_t)(r - r0) * SPX_FMT_TILE + j] = A[(size_t)(r - gi * rpg) * cp + j];
}

static void ternary_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                        const spx_fmt_cols_t *cols, int32_t *acc) {
  const spx_fmt_ternary_view_t *v = &w->view.ternary;
  const tern_state_t *st = (const tern_state_t *)w->state;
  const uint32_t *table = st->tabled ? st->table : NULL;
  const int32_t *t32 = region_of(w);
  const uint32_t taps = (uint32_t)v->dims.kh * v->dims.kw, ng = v->groups_per_tap;
  const unsigned bits = v->code_bits, n = v->n;
  const uint64_t mask = ((uint64_t)1 << bits) - 1u, per_row = (uint64_t)taps * ng;
  const uint32_t full = lane_mask(n), last = lane_mask(v->last_lanes), P = v->patterns;
  const size_t tap_stride = (size_t)v->dims.cols * SPX_FMT_TILE;
  const int one = cols->count == 1; /* the other columns may hold anything */
  uint32_t r;
  if (st->lut_tile) {
    lut_dot(w, r0, r1, cols, acc);
    return;
  }
  for (r = r0; r < r1; ++r) {
    tern_acc_t a16;
    int32_t one_acc = 0;
    bit_reader_t br;
    uint32_t t, g;
    acc_zero(&a16);
    br_start(&br, v, (uint64_t)r * per_row * bits);
    for (t = 0; t < taps; ++t) {
      const int32_t *at = t32 + (size_t)t * tap_stride;
      for (g = 0; g < ng; ++g) {
        uint32_t code = br_get(&br, bits, mask), e, pos, neg;
        if (code >= P) code = 0;
        if (table) {
          e = table[code];
          pos = e & 0xffffu;
          neg = e >> 16;
        } else {
          unrank(n, code, &pos, &neg);
        }
        pos &= g + 1 == ng ? last : full;
        if (one)
          one_acc += add_lanes1(pos, neg, at + (size_t)g * n * SPX_FMT_TILE);
        else
          add_lanes(pos, neg, at + (size_t)g * n * SPX_FMT_TILE, &a16);
      }
    }
    if (one)
      acc[(size_t)(r - r0) * SPX_FMT_TILE] = one_acc;
    else
      acc_store(&a16, acc + (size_t)(r - r0) * SPX_FMT_TILE);
  }
}

/* Depthwise (I = 1): lane 0 of the one group of each tap of row i. */
static uint32_t ternary_row_taps(const spx_fmt_weights_t *w, uint32_t i, int16_t *taps) {
  const spx_fmt_ternary_view_t *v = &w->view.ternary;
  const uint32_t ntaps = (uint32_t)v->dims.kh * v->dims.kw;
  uint32_t t;
  for (t = 0; t < ntaps; ++t) {
    uint32_t code = spx_fmt_ternary_code_at(v, (uint64_t)i * ntaps * v->groups_per_tap + t *
                                                   (uint64_t)v->groups_per_tap),
             pos = 0, neg = 0;
    if (code < v->patterns) unrank(v->n, code, &pos, &neg);
    taps[t] = (int16_t)((pos & 1u) ? ((neg & 1u) ? -1 : 1) : 0);
  }
  return i;
}

/* Decoded once (the descriptor's decode_s8): ternary_dot (and lut_dot,
 * whose tables hold the same sums) adds +a or -a for each lane of a code's
 * positions mask (the ragged last group's masked to its lanes), -a where
 * the signs mask has the lane: the weight +1 / -1 / 0 decode_view writes
 * for the code, at the same (output channel, input channel, tap). Codes
 * past the book are refused by validate (the bytes passed it) and read as
 * 0 by both. */
static spx_rt_status_t ternary_decode_s8(const spx_fmt_weights_t *w, int8_t *out, size_t count,
                                         void (*excess)(void *, size_t, int32_t), void *ctx,
                                         spx_rt_error_t *err) {
  (void)excess; /* every weight is -1, 0 or +1 */
  (void)ctx;
  if (!out || count < spx_fmt_dims_count(&w->dims))
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  decode_view(&w->view.ternary, out, NULL);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_fmt_desc_t spx_fmt_desc_TERNARY = {
    SPX_FMT_TERNARY, "ternary",
    "structured sparse ternary weights (at most K non-zeros in {-1, +1} per N lanes)", 1, 1,
    ternary_validate_desc, ternary_decode_desc,
    /* needs_s8 */ 1, SPX_FMT_COLS_S16, /* chan_block */ 0, /* plain_s8 */ 0,
    ternary_open_desc, ternary_scratch, ternary_begin, NULL, ternary_cols_ready, ternary_dot,
    ternary_row_taps, SPX_FMT_DATAPATH_INT8, ternary_decode_s8, /* kernel_half */ NULL};
