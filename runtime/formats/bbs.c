/* bbs.c - BBS bit-column groups: the two pruning methods on one group, and
 * the layer encoding (encode, open, validate, decode, accessors). The
 * format and the methods are documented in spx_formats.h ("BBS").
 *
 * Freestanding C99: no allocation, no stdio. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/formats_internal.h"

/* ---- small helpers ------------------------------------------------------ */

static int n_pruned_ok(unsigned n) { return n == 0 || n == 2 || n == 4; }
static int group_ok(unsigned g) { return g == 8 || g == 16 || g == 32; }

const char *spx_fmt_bbs_method_name(unsigned method) {
  switch (method) {
  case SPX_FMT_BBS_NONE: return "none";
  case SPX_FMT_BBS_ROUND_AVG: return "round_avg";
  case SPX_FMT_BBS_ZP_SHIFT: return "zp_shift";
  }
  return "?";
}

/* Column layout of a group from its method, N, param and constant: n_cols,
 * place values, sign column, offset (the bits are the caller's). The values
 * are assumed valid (the pruning functions) or clamped so that nothing
 * overflows (groups read from unchecked bytes). */
static void layout(spx_fmt_bbs_group_t *g) {
  unsigned j, k = 0;
  g->n_cols = (uint8_t)(8 - g->pruned);
  g->sign_column = 0;
  g->offset = 0;
  switch (g->method) {
  case SPX_FMT_BBS_ROUND_AVG: {
    unsigned d = g->param < g->pruned ? g->param : g->pruned;
    unsigned l = g->pruned - d;
    g->place[k++] = -(int32_t)(1u << (7 - d));
    for (j = d + 1; j <= 7 - l; ++j) g->place[k++] = (int32_t)(1u << (7 - j));
    g->offset = g->constant;
    break;
  }
  case SPX_FMT_BBS_ZP_SHIFT: {
    unsigned zs = g->param < g->pruned ? g->param : g->pruned;
    unsigned sh = g->pruned - zs;
    g->sign_column = 1;
    g->place[k++] = 0;
    for (j = zs + 1; j <= 7 - sh; ++j) g->place[k++] = (int32_t)(1u << (7 - j));
    g->offset = -(int32_t)g->constant;
    break;
  }
  default: /* NONE */
    g->place[k++] = -128;
    for (j = 1; j <= 7; ++j) g->place[k++] = (int32_t)(1u << (7 - j));
    break;
  }
}

/* Without branches on the bits (masks of 0 / -1 select the place values
 * and the sign): models are decoded once per load, millions of lanes. */
void spx_fmt_bbs_group_decode(const spx_fmt_bbs_group_t *g, int16_t *out) {
  unsigned i, j;
  const uint32_t neg = g->sign_column ? g->bits[0] : 0u;
  for (i = 0; i < g->lanes; ++i) {
    int32_t v = 0, s;
    for (j = g->sign_column; j < g->n_cols; ++j)
      v += g->place[j] & -(int32_t)((g->bits[j] >> i) & 1u);
    s = -(int32_t)((neg >> i) & 1u); /* -1: negate */
    v = (v ^ s) - s;
    out[i] = (int16_t)(v + g->offset);
  }
}

/* Column j of the group takes bit `bit` of each lane's value u[i]. */
static uint32_t column_of(const uint8_t *u, unsigned lanes, unsigned bit) {
  uint32_t c = 0;
  unsigned i;
  for (i = 0; i < lanes; ++i) c |= (uint32_t)((u[i] >> bit) & 1u) << i;
  return c;
}

static int prune_args_ok(const int8_t *w, unsigned lanes, unsigned n,
                         const spx_fmt_bbs_group_t *out) {
  return w && out && lanes >= 1 && lanes <= SPX_FMT_BBS_MAX_GROUP &&
         n_pruned_ok(n);
}

static uint32_t sq_error(const int8_t *w, const int16_t *d, unsigned lanes) {
  uint32_t e = 0;
  unsigned i;
  for (i = 0; i < lanes; ++i) {
    int32_t x = (int32_t)d[i] - w[i];
    e += (uint32_t)(x * x);
  }
  return e;
}

/* ---- rounded averaging -------------------------------------------------- */

spx_rt_status_t spx_fmt_bbs_prune_round_avg(const int8_t *w, unsigned lanes,
                                                 unsigned n_pruned,
                                                 spx_fmt_bbs_group_t *out,
                                                 uint32_t *out_sq_error) {
  uint8_t u[SPX_FMT_BBS_MAX_GROUP];
  int16_t d[SPX_FMT_BBS_MAX_GROUP];
  unsigned i, j, r = 0, dropped, low, mask, cst, k = 0;
  uint32_t sum = 0, q, rem;
  if (out) memset(out, 0, sizeof *out);
  if (out_sq_error) *out_sq_error = 0;
  if (!prune_args_ok(w, lanes, n_pruned, out)) return SPX_RT_ERR_ARG;
  for (i = 0; i < lanes; ++i) u[i] = (uint8_t)w[i]; /* two's complement */
  /* r: columns 1, 2, 3 (bits 6, 5, 4) equal to column 0 (bit 7) in every
   * weight, counted up to the first that is not. */
  for (j = 1; j <= 3; ++j) {
    int same = 1;
    for (i = 0; i < lanes && same; ++i)
      same = ((u[i] >> 7) & 1u) == ((u[i] >> (7 - j)) & 1u);
    if (!same) break;
    r++;
  }
  dropped = r < n_pruned ? r : n_pruned;
  low = n_pruned - dropped;
  mask = (1u << low) - 1u;
  for (i = 0; i < lanes; ++i) sum += u[i] & mask;
  /* C = round-half-to-even(sum / lanes) in integers */
  q = sum / lanes;
  rem = sum % lanes;
  if (2 * rem > lanes || (2 * rem == lanes && (q & 1u))) q++;
  cst = q; /* <= mask: the mean of values <= mask rounds to <= mask */
  for (i = 0; i < lanes; ++i) u[i] = (uint8_t)((u[i] & ~mask) | cst);

  out->method = SPX_FMT_BBS_ROUND_AVG;
  out->lanes = (uint8_t)lanes;
  out->pruned = (uint8_t)n_pruned;
  out->param = (uint8_t)r;
  out->constant = (int8_t)cst;
  layout(out);
  out->bits[k++] = column_of(u, lanes, 7);
  for (j = dropped + 1; j <= 7 - low; ++j) out->bits[k++] = column_of(u, lanes, 7 - j);
  if (out_sq_error) {
    spx_fmt_bbs_group_decode(out, d);
    *out_sq_error = sq_error(w, d, lanes);
  }
  return SPX_RT_OK;
}

/* ---- zero-point shifting ------------------------------------------------ */

/* Zero-point shifting of one candidate offset c: w' of lane i (rounded
 * magnitude, sign, minus c) for the group's N and its leading zero columns
 * z. */
static int32_t zp_shift_weight(int32_t w, int c, unsigned n_pruned, unsigned z,
                               uint8_t *out_mag, uint8_t *out_sgn) {
  int32_t v = w + c;
  if (v < -127) v = -127; /* -128 would become -127 in sign-magnitude */
  if (v > 127) v = 127;
  uint32_t m = (uint32_t)(v < 0 ? -v : v);
  if (z < n_pruned) {
    unsigned sh = n_pruned - z;
    uint32_t qmax = (1u << (7 - n_pruned)) - 1u;
    uint32_t q = m >> sh, rem = m & ((1u << sh) - 1u);
    if (rem > (1u << (sh - 1))) q++; /* nearest; a tie keeps the smaller */
    if (q > qmax) q = qmax;
    m = q << sh;
  }
  if (out_mag) *out_mag = (uint8_t)m;
  if (out_sgn) *out_sgn = v < 0;
  return (v < 0 ? -(int32_t)m : (int32_t)m) - c;
}

/* sum (w' - w)^2 over the lanes for offset c, magnitudes rounded to
 * multiples of 2^sh (sh = 0: not rounded): zp_shift_weight, in a loop a
 * compiler can vectorize. */
static uint32_t zp_shift_error(const int8_t *w, unsigned lanes, int c, unsigned sh,
                               unsigned n_pruned) {
  int32_t qmax = ((1 << (7 - n_pruned)) - 1) << sh, half = sh ? 1 << (sh - 1) : 0;
  int32_t mask = ~((1 << sh) - 1);
  uint32_t err = 0;
  for (unsigned i = 0; i < lanes; ++i) {
    int32_t v = (int32_t)w[i] + c;
    v = v < -127 ? -127 : v > 127 ? 127 : v;
    int32_t m = v < 0 ? -v : v;
    /* nearest multiple of 2^sh, a tie to the smaller: (m + half - 1) & mask */
    int32_t r = sh ? (m + half - 1) & mask : m;
    r = r > qmax && sh ? qmax : r;
    int32_t e = (v < 0 ? -r : r) - c - w[i];
    err += (uint32_t)(e * e);
  }
  return err;
}

spx_rt_status_t spx_fmt_bbs_prune_zp_shift(const int8_t *w, unsigned lanes,
                                                unsigned n_pruned,
                                                spx_fmt_bbs_group_t *out,
                                                uint32_t *out_sq_error) {
  uint8_t mag[SPX_FMT_BBS_MAX_GROUP], sgn[SPX_FMT_BBS_MAX_GROUP];
  unsigned i, j, k = 0, best_z = 0;
  int c, best_c = 0, lo = 127, hi = -128;
  uint32_t best_err = UINT32_MAX;
  if (out) memset(out, 0, sizeof *out);
  if (out_sq_error) *out_sq_error = 0;
  if (!prune_args_ok(w, lanes, n_pruned, out)) return SPX_RT_ERR_ARG;
  for (i = 0; i < lanes; ++i) {
    if (w[i] < lo) lo = w[i];
    if (w[i] > hi) hi = w[i];
  }
  for (c = -16; c <= 15; ++c) {
    /* z: leading magnitude columns (bits 6, 5, ...) zero in every weight,
     * i.e. in the largest magnitude, which an extreme weight has */
    int32_t vlo = lo + c < -127 ? -127 : lo + c, vhi = hi + c > 127 ? 127 : hi + c;
    uint32_t big = (uint32_t)(vlo < 0 ? -vlo : vlo), big2 = (uint32_t)(vhi < 0 ? -vhi : vhi);
    unsigned z;
    if (big2 > big) big = big2;
    for (z = 0; z < 7 && !((big >> (6 - z)) & 1u); ++z) {
    }
    /* w' = +-m - c need not fit int8 (up to 144 - 2^N, spx_formats.h):
     * every offset is a candidate, as in the method. Without rounding or
     * clipping, w' = w. */
    uint32_t err = 0;
    if (z < n_pruned || lo + c < -127 || hi + c > 127)
      err = zp_shift_error(w, lanes, c, z < n_pruned ? n_pruned - z : 0, n_pruned);
    if (err < best_err) { /* ties keep the earlier c */
      best_err = err;
      best_c = c;
      best_z = z;
    }
  }
  for (i = 0; i < lanes; ++i) zp_shift_weight(w[i], best_c, n_pruned, best_z, &mag[i], &sgn[i]);
  unsigned best_zs = best_z >= n_pruned ? n_pruned : best_z;
  out->method = SPX_FMT_BBS_ZP_SHIFT;
  out->lanes = (uint8_t)lanes;
  out->pruned = (uint8_t)n_pruned;
  out->param = (uint8_t)best_zs;
  out->constant = (int8_t)best_c;
  layout(out);
  out->bits[k++] = column_of(sgn, lanes, 0);
  for (j = best_zs + 1; j <= 7 - (n_pruned - best_zs); ++j)
    out->bits[k++] = column_of(mag, lanes, 7 - j);
  if (out_sq_error) *out_sq_error = best_err;
  return SPX_RT_OK;
}

static spx_rt_status_t prune_none(const int8_t *w, unsigned lanes,
                                       unsigned n_pruned,
                                       spx_fmt_bbs_group_t *out,
                                       uint32_t *out_sq_error) {
  uint8_t u[SPX_FMT_BBS_MAX_GROUP];
  unsigned i, j;
  if (out) memset(out, 0, sizeof *out);
  if (out_sq_error) *out_sq_error = 0;
  if (!prune_args_ok(w, lanes, n_pruned, out) || n_pruned != 0)
    return SPX_RT_ERR_ARG;
  for (i = 0; i < lanes; ++i) u[i] = (uint8_t)w[i];
  out->method = SPX_FMT_BBS_NONE;
  out->lanes = (uint8_t)lanes;
  layout(out);
  for (j = 0; j < 8; ++j) out->bits[j] = column_of(u, lanes, 7 - j);
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_bbs_prune(unsigned method, const int8_t *w,
                                       unsigned lanes, unsigned n_pruned,
                                       spx_fmt_bbs_group_t *out,
                                       uint32_t *out_sq_error) {
  switch (method) {
  case SPX_FMT_BBS_NONE: return prune_none(w, lanes, n_pruned, out, out_sq_error);
  case SPX_FMT_BBS_ROUND_AVG:
    return spx_fmt_bbs_prune_round_avg(w, lanes, n_pruned, out, out_sq_error);
  case SPX_FMT_BBS_ZP_SHIFT:
    return spx_fmt_bbs_prune_zp_shift(w, lanes, n_pruned, out, out_sq_error);
  }
  if (out) memset(out, 0, sizeof *out);
  if (out_sq_error) *out_sq_error = 0;
  return SPX_RT_ERR_ARG;
}

/* ---- layer geometry ----------------------------------------------------- */

static int dims_ok(const spx_fmt_bbs_dims_t *d) {
  return d && d->rows >= 1 && d->rows <= SPX_FMT_BBS_MAX_ROWS && d->cols >= 1 &&
         d->kh >= 1 && d->kw >= 1;
}

size_t spx_fmt_bbs_dense_count(const spx_fmt_bbs_dims_t *dims) {
  if (!dims) return 0;
  return (size_t)dims->rows * dims->cols * dims->kh * dims->kw;
}

static unsigned method_cols(unsigned method, unsigned n) {
  (void)method;
  return 8 - n;
}

/* Fills the geometry of a view from dims, G and the class table; returns 0
 * if the total size is unusable (> 4 GiB - 1). */
static int geometry(spx_fmt_bbs_view_t *v) {
  uint64_t taps = (uint64_t)v->dims.kh * v->dims.kw, off, total;
  unsigned c;
  v->group_eff = v->dims.cols < v->group ? (unsigned)v->dims.cols : v->group;
  v->groups_per_tap = (v->dims.cols + v->group_eff - 1) / v->group_eff;
  v->col_bytes = (v->group_eff + 7) / 8;
  off = ((uint64_t)SPX_FMT_BBS_HEADER_BYTES + 2u * v->dims.rows + 15u) & ~(uint64_t)15u;
  total = off;
  v->cls[0].first_row = 0;
  v->cls[1].first_row = v->cls[0].rows;
  for (c = 0; c < 2; ++c) {
    uint64_t rb;
    v->cls[c].n_cols = (uint8_t)method_cols(v->cls[c].method, v->cls[c].n_pruned);
    v->cls[c].group_bytes = 1 + (size_t)v->cls[c].n_cols * v->col_bytes;
    rb = taps * v->groups_per_tap * v->cls[c].group_bytes;
    if (rb > 0xffffffffu) return 0;
    v->cls[c].row_bytes = (size_t)rb;
    v->cls[c].offset = (size_t)total;
    total += rb * v->cls[c].rows;
    if (total > 0xffffffffu) return 0;
  }
  v->total_bytes = (size_t)total;
  return 1;
}

static int config_ok(const spx_fmt_bbs_config_t *c) {
  if (!c || !group_ok(c->group) || !n_pruned_ok(c->n_pruned)) return 0;
  if (c->method == SPX_FMT_BBS_NONE) return c->n_pruned == 0;
  return c->method == SPX_FMT_BBS_ROUND_AVG || c->method == SPX_FMT_BBS_ZP_SHIFT;
}

static int plan(const spx_fmt_bbs_dims_t *dims, const spx_fmt_bbs_config_t *config,
                spx_fmt_bbs_view_t *v) {
  uint32_t o, n1 = 0;
  memset(v, 0, sizeof *v);
  if (!dims_ok(dims) || !config_ok(config)) return 0;
  if (config->class_of)
    for (o = 0; o < dims->rows; ++o) {
      if (config->class_of[o] > 1) return 0;
      n1 += config->class_of[o];
    }
  v->dims = *dims;
  v->group = config->group;
  v->cls[0].method = (uint8_t)config->method;
  v->cls[0].n_pruned = (uint8_t)config->n_pruned;
  v->cls[0].rows = dims->rows - n1;
  v->cls[1].method = SPX_FMT_BBS_NONE;
  v->cls[1].n_pruned = 0;
  v->cls[1].rows = n1;
  return geometry(v);
}

size_t spx_fmt_bbs_encoded_size(const spx_fmt_bbs_dims_t *dims,
                                const spx_fmt_bbs_config_t *config) {
  spx_fmt_bbs_view_t v;
  return plan(dims, config, &v) ? v.total_bytes : 0;
}

static void write_record(uint8_t *rec, const spx_fmt_bbs_group_t *g,
                         unsigned col_bytes) {
  unsigned j, b;
  rec[0] = (uint8_t)((g->param << 5) | ((uint8_t)g->constant & 0x1fu));
  for (j = 0; j < g->n_cols; ++j)
    for (b = 0; b < col_bytes; ++b)
      rec[1 + j * col_bytes + b] = (uint8_t)(g->bits[j] >> (8 * b));
}

spx_rt_status_t spx_fmt_bbs_encode(const spx_fmt_bbs_dims_t *dims,
                                        const spx_fmt_bbs_config_t *config,
                                        const int8_t *weights, uint8_t *out,
                                        size_t out_size, size_t *out_len) {
  spx_fmt_bbs_view_t v;
  uint32_t o, p[2], t, g, taps;
  unsigned c;
  if (out_len) *out_len = 0;
  if (!weights || !out || !plan(dims, config, &v)) return SPX_RT_ERR_ARG;
  if (out_size < v.total_bytes) return SPX_RT_ERR_BUFFER;
  memset(out, 0, v.total_bytes);
  memcpy(out, SPX_FMT_BBS_MAGIC, 4);
  wr16(out + 4, SPX_FMT_BBS_VERSION);
  wr16(out + 6, SPX_FMT_BBS_HEADER_BYTES);
  wr32(out + 8, dims->rows);
  wr32(out + 12, dims->cols);
  wr16(out + 16, dims->kh);
  wr16(out + 18, dims->kw);
  out[20] = (uint8_t)v.group;
  out[21] = (uint8_t)v.group_eff;
  for (c = 0; c < 2; ++c) {
    out[24 + 8 * c] = v.cls[c].method;
    out[25 + 8 * c] = v.cls[c].n_pruned;
    wr32(out + 28 + 8 * c, v.cls[c].rows);
  }
  wr32(out + 40, (uint32_t)v.cls[0].offset);
  wr32(out + 44, (uint32_t)v.total_bytes);
  v.bytes = out;
  v.order = out + SPX_FMT_BBS_HEADER_BYTES;
  /* order: class 0 rows, then class 1, ascending within each */
  p[0] = 0;
  p[1] = v.cls[1].first_row;
  for (o = 0; o < dims->rows; ++o) {
    c = config->class_of ? config->class_of[o] : 0;
    wr16(out + SPX_FMT_BBS_HEADER_BYTES + 2 * (size_t)p[c]++, o);
  }
  taps = (uint32_t)dims->kh * dims->kw;
  for (o = 0; o < dims->rows; ++o) {
    uint32_t row = spx_fmt_bbs_row_channel(&v, o);
    c = spx_fmt_bbs_row_class(&v, o);
    for (t = 0; t < taps; ++t) {
      for (g = 0; g < v.groups_per_tap; ++g) {
        int8_t lane_w[SPX_FMT_BBS_MAX_GROUP];
        spx_fmt_bbs_group_t grp;
        unsigned lanes = spx_fmt_bbs_group_lanes(&v, g), i;
        for (i = 0; i < lanes; ++i) {
          size_t ci = (size_t)g * v.group_eff + i;
          lane_w[i] = weights[((size_t)row * dims->cols + ci) * taps + t];
        }
        if (spx_fmt_bbs_prune(v.cls[c].method, lane_w, lanes, v.cls[c].n_pruned,
                              &grp, NULL) != SPX_RT_OK)
          return SPX_RT_ERR_ARG;
        write_record((uint8_t *)spx_fmt_bbs_record(&v, o, t, g), &grp, v.col_bytes);
      }
    }
  }
  if (out_len) *out_len = v.total_bytes;
  return SPX_RT_OK;
}

/* ---- open, validate, decode -------------------------------------------- */

#define BAD(...) return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, __VA_ARGS__)

static int class_ok(unsigned method, unsigned n) {
  if (!n_pruned_ok(n)) return 0;
  if (method == SPX_FMT_BBS_NONE) return n == 0;
  return method == SPX_FMT_BBS_ROUND_AVG || method == SPX_FMT_BBS_ZP_SHIFT;
}

spx_rt_status_t spx_fmt_bbs_open(const void *bytes, size_t len,
                                      const spx_fmt_bbs_dims_t *expected,
                                      spx_fmt_bbs_view_t *out_view,
                                      spx_rt_error_t *err) {
  const uint8_t *b = bytes;
  spx_fmt_bbs_view_t v;
  uint32_t p, prev[2], seen[2];
  unsigned c;
  spx_rt_error_clear(err);
  if (out_view) memset(out_view, 0, sizeof *out_view);
  if (!bytes || !out_view) {
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no encoding");
  }
  memset(&v, 0, sizeof v);
  if (len < SPX_FMT_BBS_HEADER_BYTES) BAD("BBS encoding shorter than its header");
  if (memcmp(b, SPX_FMT_BBS_MAGIC, 4) != 0) BAD("bad BBS magic");
  if (rd16(b + 4) != SPX_FMT_BBS_VERSION) BAD("unsupported BBS version");
  if (rd16(b + 6) != SPX_FMT_BBS_HEADER_BYTES) BAD("bad BBS header size");
  v.dims.rows = rd32(b + 8);
  v.dims.cols = rd32(b + 12);
  v.dims.kh = (uint16_t)rd16(b + 16);
  v.dims.kw = (uint16_t)rd16(b + 18);
  if (!dims_ok(&v.dims)) BAD("BBS dimensions out of range");
  if (expected && (expected->rows != v.dims.rows || expected->cols != v.dims.cols ||
                   expected->kh != v.dims.kh || expected->kw != v.dims.kw))
    BAD("BBS dimensions do not match the layer");
  v.group = b[20];
  if (!group_ok(v.group)) BAD("BBS group size is not 8, 16 or 32");
  if (rd16(b + 22) != 0) BAD("BBS flags not 0");
  for (c = 0; c < 2; ++c) {
    v.cls[c].method = b[24 + 8 * c];
    v.cls[c].n_pruned = b[25 + 8 * c];
    if (!class_ok(v.cls[c].method, v.cls[c].n_pruned)) BAD("bad BBS class method or N");
    if (rd16(b + 26 + 8 * c) != 0) BAD("BBS reserved bytes not 0");
    v.cls[c].rows = rd32(b + 28 + 8 * c);
  }
  if (v.cls[0].rows > v.dims.rows || v.cls[1].rows != v.dims.rows - v.cls[0].rows)
    BAD("BBS class rows do not add up to the rows");
  if (!geometry(&v)) BAD("BBS encoding too large");
  if (b[21] != v.group_eff) BAD("BBS effective group size is not min(G, cols)");
  if (rd32(b + 40) != v.cls[0].offset) BAD("bad BBS data offset");
  if (rd32(b + 44) != v.total_bytes) BAD("BBS total size does not match its dimensions");
  if (len != v.total_bytes) BAD("BBS encoding size does not match its header");
  v.bytes = b;
  v.order = b + SPX_FMT_BBS_HEADER_BYTES;
  /* order: ascending within each class and the classes disjoint, so that
   * it is a permutation: merge the two runs. */
  seen[0] = seen[1] = 0;
  prev[0] = prev[1] = 0;
  for (p = 0; p < v.dims.rows; ++p) {
    uint32_t ch = spx_fmt_bbs_row_channel(&v, p);
    c = spx_fmt_bbs_row_class(&v, p);
    if (ch >= v.dims.rows) BAD("BBS channel order out of range");
    if (seen[c] && ch <= prev[c]) BAD("BBS channel order not ascending within a class");
    seen[c] = 1;
    prev[c] = ch;
  }
  {
    uint32_t i = 0, j = v.cls[1].first_row;
    while (i < v.cls[1].first_row && j < v.dims.rows) {
      uint32_t a = spx_fmt_bbs_row_channel(&v, i), d = spx_fmt_bbs_row_channel(&v, j);
      if (a == d) BAD("BBS channel order is not a permutation");
      if (a < d) i++; else j++;
    }
  }
  *out_view = v;
  return SPX_RT_OK;
}

/* The fields of a group of class c with `lanes` lanes that its header
 * byte gives (method, N, param, constant and the layout), no bits. */
static void group_header(const spx_fmt_bbs_view_t *v, unsigned c, unsigned lanes, uint8_t hdr,
                         spx_fmt_bbs_group_t *out) {
  memset(out, 0, sizeof *out);
  out->method = v->cls[c].method;
  out->pruned = v->cls[c].n_pruned;
  out->lanes = (uint8_t)lanes;
  out->param = (uint8_t)(hdr >> 5);
  if (out->method == SPX_FMT_BBS_ZP_SHIFT)
    out->constant = (int8_t)((int)(hdr & 0x1fu) - ((hdr & 0x10u) ? 32 : 0));
  else
    out->constant = (int8_t)(hdr & 0x1fu);
  layout(out);
}

void spx_fmt_bbs_group_get(const spx_fmt_bbs_view_t *v, uint32_t p, uint32_t t,
                           uint32_t g, spx_fmt_bbs_group_t *out) {
  const uint8_t *rec = spx_fmt_bbs_record(v, p, t, g);
  unsigned j, b;
  group_header(v, spx_fmt_bbs_row_class(v, p), spx_fmt_bbs_group_lanes(v, g), rec[0], out);
  for (j = 0; j < out->n_cols; ++j) {
    uint32_t x = 0;
    for (b = 0; b < v->col_bytes; ++b)
      x |= (uint32_t)rec[1 + j * v->col_bytes + b] << (8 * b);
    out->bits[j] = x;
  }
}

/* Whether a group read from bytes is one the encoder can produce. */
static const char *group_problem(const spx_fmt_bbs_group_t *g) {
  uint32_t lane_mask = g->lanes >= 32 ? 0xffffffffu : ((1u << g->lanes) - 1u);
  int32_t lo, hi, least = 0, most = 0;
  unsigned j;
  for (j = 0; j < g->n_cols; ++j)
    if (g->bits[j] & ~lane_mask) return "BBS column bits set beyond the group's lanes";
  switch (g->method) {
  case SPX_FMT_BBS_NONE:
    if (g->param || g->constant) return "BBS group header not 0 for method none";
    break;
  case SPX_FMT_BBS_ROUND_AVG: {
    unsigned d0 = g->param < g->pruned ? g->param : g->pruned;
    if (g->param > 3) return "BBS round_avg run r above 3";
    if ((unsigned)g->constant >= (1u << (g->pruned - d0)))
      return "BBS round_avg constant C does not fit the replaced columns";
    break;
  }
  case SPX_FMT_BBS_ZP_SHIFT:
    if (g->param > g->pruned) return "BBS zp_shift z above N";
    break;
  }
  /* Every weight the group's columns can stand for, whatever its bits, lies
   * in [least, most]; that must be within its method's weight range (so
   * this bounds the bits it has too, in O(columns) instead of O(lanes *
   * columns)). */
  spx_fmt_bbs_weight_range(g->method, g->pruned, &lo, &hi);
  for (j = g->sign_column; j < g->n_cols; ++j) {
    if (g->place[j] < 0) least += g->place[j];
    else most += g->place[j];
  }
  if (g->sign_column) least = -most;
  if (least + g->offset < lo || most + g->offset > hi)
    return "BBS group can decode outside its method's weight range";
  return 0;
}

/* Byte i of spread[b] is bit i of b (a constant table: 2 KiB). */
#define SPREAD1(b)                                                                       \
  ((uint64_t)((b) & 1) | (uint64_t)((b) >> 1 & 1) << 8 | (uint64_t)((b) >> 2 & 1) << 16 | \
   (uint64_t)((b) >> 3 & 1) << 24 | (uint64_t)((b) >> 4 & 1) << 32 |                     \
   (uint64_t)((b) >> 5 & 1) << 40 | (uint64_t)((b) >> 6 & 1) << 48 |                     \
   (uint64_t)((b) >> 7 & 1) << 56)
#define SPREAD4(b) SPREAD1(b), SPREAD1((b) + 1), SPREAD1((b) + 2), SPREAD1((b) + 3)
#define SPREAD16(b) SPREAD4(b), SPREAD4((b) + 4), SPREAD4((b) + 8), SPREAD4((b) + 12)
#define SPREAD64(b) SPREAD16(b), SPREAD16((b) + 16), SPREAD16((b) + 32), SPREAD16((b) + 48)
static const uint64_t spread[256] = {SPREAD64(0), SPREAD64(64), SPREAD64(128), SPREAD64(192)};

/* The distinct layouts of accepted headers a layer can have: a class's
 * param takes at most 5 values (zp_shift zs <= N <= 4; round_avg r <= 3;
 * none 0) and class 1 is none. */
#define WALK_LAYOUTS 6

/* What walk_groups knows of the group headers of a layer, filled as they
 * are met (a layer has few distinct ones): per class and header byte,
 * whether group_problem accepts it (it depends on the header alone once the
 * bits beyond the lanes are 0, as they are in a group whose lanes fill its
 * column bytes), and per class and param of an accepted header a table of
 * the weight (before the offset) of each lane code, the lane's bits of the
 * kept columns (column j at bit j): the sum of the place values of its
 * ones, negated by a sign column. */
typedef struct walk_memo {
  uint8_t header[2][256]; /* 0 not met, 1 accepted, 2 refused */
  uint8_t slot[2][8];     /* 1 + the table of (class, param), 0 none yet */
  unsigned n_slots;
  int16_t weight[WALK_LAYOUTS][256];
  /* for decode_s8: the bit of a weight's byte each kept column j >= 1
   * sets (its place value 2^shift), and column 0's bits: a sign (0), or
   * the byte of its negative place value (-2^(7-d): the bits 7 - d .. 7 of
   * an int8 that column 0's one sets) */
  uint8_t shift[WALK_LAYOUTS][8];
  uint8_t col0[WALK_LAYOUTS];
} walk_memo_t;

static void memo_header(walk_memo_t *m, const spx_fmt_bbs_view_t *v, unsigned c, uint8_t hdr) {
  spx_fmt_bbs_group_t grp;
  memset(&grp, 0, sizeof grp); /* group_header fills it; gcc cannot see that */
  group_header(v, c, v->group_eff, hdr, &grp);
  m->header[c][hdr] = group_problem(&grp) ? 2 : 1;
  if (m->header[c][hdr] == 1 && !m->slot[c][grp.param] && m->n_slots < WALK_LAYOUTS) {
    int16_t *w = m->weight[m->n_slots];
    const unsigned nc = grp.n_cols < 8 ? grp.n_cols : 8;
    unsigned code, j;
    for (j = 1; j < nc; ++j) { /* powers of two (layout) */
      uint8_t sh = 0;
      while ((1 << sh) < grp.place[j]) ++sh;
      m->shift[m->n_slots][j] = sh;
    }
    m->col0[m->n_slots] = (uint8_t)grp.place[0];
    m->slot[c][grp.param] = (uint8_t)++m->n_slots;
    for (code = 0; code < (1u << nc); ++code) {
      int32_t x = 0;
      for (j = grp.sign_column; j < nc; ++j)
        if ((code >> j) & 1u) x += grp.place[j];
      if (grp.sign_column && (code & 1u)) x = -x;
      w[code] = (int16_t)x;
    }
  }
}

/* The codes of lanes 8h .. 8h + 7 of a group record (byte i: lane 8h +
 * i). */
static inline uint64_t lane_codes(const uint8_t *rec, unsigned nbytes, unsigned n_cols,
                                  unsigned h) {
  uint64_t code = 0;
  unsigned j;
  for (j = 0; j < n_cols; ++j) code |= spread[rec[1 + j * nbytes + h]] << j;
  return code;
}

/* The effective weights of an accepted group whose lanes fill its column
 * bytes (8 per byte), as spx_fmt_bbs_group_decode gives them: each lane's
 * code gathered for 8 lanes at once in the bytes of a 64-bit word, then
 * looked up (walk_memo_t) and offset. */
static void decode_full(const int16_t *weight, const uint8_t *rec, unsigned nbytes,
                        unsigned n_cols, int32_t offset, int16_t *d) {
  unsigned h, i;
  for (h = 0; h < nbytes; ++h) {
    const uint64_t code = lane_codes(rec, nbytes, n_cols, h);
    for (i = 0; i < 8; ++i)
      d[8 * h + i] = (int16_t)(weight[(code >> (8 * i)) & 0xffu] + offset);
  }
}

/* decode_full straight to int8 weights, lane i at out[i * stride]; 1 if a
 * weight left int8 (the caller redoes the group through int16), else 0.
 * Eight lanes at a time in the bytes of a 64-bit word, no table lookups:
 * the kept magnitude columns' bits where their place values put them (the
 * columns are consecutive powers of two below 128). round_avg and none:
 * column 0's one sets the bits of its negative place value (two's
 * complement: the sign bit repeated d times) and C fills the L low bits the
 * kept columns leave 0, so each byte is the int8 weight. zp_shift: the
 * magnitude negated in the bytes whose sign bit is 1, then c subtracted,
 * byte by byte with the signed overflow (a weight beyond int8) detected. */
#define B8(x) ((uint64_t)(x) * 0x0101010101010101ull)
static inline int decode_s8(const walk_memo_t *m, unsigned k, const uint8_t *rec,
                            unsigned nbytes, unsigned n_cols, int is_zp, uint8_t hdr,
                            int8_t *out, size_t stride) {
  const uint64_t hi = B8(0x80);
  const uint64_t cst = B8(hdr & 0x1fu) | (is_zp && (hdr & 0x10u) ? B8(0xe0) : 0); /* C or c */
  uint64_t spill = 0;
  unsigned h, j, i;
  for (h = 0; h < nbytes; ++h, out += 8 * stride) {
    const uint64_t s0 = spread[rec[1 + h]];
    uint64_t x = 0;
    for (j = 1; j < n_cols; ++j) x |= spread[rec[1 + j * nbytes + h]] << m->shift[k][j];
    if (is_zp) {
      const uint64_t v0 = x ^ (s0 * 0xffu), v = ((v0 & ~hi) + s0) ^ (v0 & hi); /* +-m */
      x = ((v | hi) - (cst & ~hi)) ^ ((v ^ ~cst) & hi);                        /* - c */
      spill |= (v ^ cst) & (v ^ x) & hi;
    } else {
      x |= s0 * m->col0[k] | cst;
    }
    for (i = 0; i < 8; ++i) out[i * stride] = (int8_t)(uint8_t)(x >> (8 * i));
  }
  return spill != 0;
}
static int decode_full_s8(const walk_memo_t *m, unsigned k, const uint8_t *rec,
                          unsigned nbytes, unsigned n_cols, int is_zp, uint8_t hdr, int8_t *out,
                          size_t stride) {
  switch (n_cols) { /* constants for the compiler: 8 - N, N = 0, 2, 4 */
  case 8: return decode_s8(m, k, rec, nbytes, 8, is_zp, hdr, out, stride);
  case 6: return decode_s8(m, k, rec, nbytes, 6, is_zp, hdr, out, stride);
  case 4: return decode_s8(m, k, rec, nbytes, 4, is_zp, hdr, out, stride);
  }
  return decode_s8(m, k, rec, nbytes, n_cols, is_zp, hdr, out, stride);
}

/* Walks every group of an opened view in OIHW order: checks it (as
 * validate does) and writes its effective weights to out16, or to out8
 * truncated to int8 (excess NULL) or clamped, with excess(ctx, index,
 * w' - clamped) for each weight beyond (either or both outputs may be
 * NULL). *fits (if not NULL) gets 0 if a weight leaves [-128, 127]. Stops
 * at the first bad group. A group whose lanes fill its column bytes (all
 * but a ragged last group of a tap, or groups of fewer than 8 input
 * channels) is checked by its header byte (walk_memo_t) and decoded by
 * decode_full(_s8); the others, and any group refused, go through
 * group_get, group_problem and spx_fmt_bbs_group_decode, which name the
 * problem. */
static spx_rt_status_t walk_groups(const spx_fmt_bbs_view_t *v, int16_t *out16, int8_t *out8,
                                   int *fits, void (*excess)(void *, size_t, int32_t),
                                   void *ctx, spx_rt_error_t *err) {
  const uint32_t taps = (uint32_t)v->dims.kh * v->dims.kw, ng = v->groups_per_tap;
  const unsigned nbytes = v->col_bytes, ge = v->group_eff;
  /* the lanes of groups 0 .. ng - 2 and of the last one; whether they fill
   * their column bytes */
  const unsigned last_lanes = spx_fmt_bbs_group_lanes(v, ng - 1);
  const int full = ge == 8 * nbytes, last_full = last_lanes == 8 * nbytes;
  const int decode = out16 || out8 || fits;
  uint32_t p, t, g;
  walk_memo_t memo;
  memset(memo.header, 0, sizeof memo.header);
  memset(memo.slot, 0, sizeof memo.slot);
  memo.n_slots = 0;
  for (p = 0; p < v->dims.rows; ++p) {
    uint32_t o = spx_fmt_bbs_row_channel(v, p);
    const unsigned c = spx_fmt_bbs_row_class(v, p);
    const unsigned method = v->cls[c].method, n_cols = v->cls[c].n_cols;
    const size_t gb = v->cls[c].group_bytes;
    const uint8_t *rec = spx_fmt_bbs_record(v, p, 0, 0); /* then every group of the row */
    const uint8_t *const accepted = memo.header[c];
    for (t = 0; t < taps; ++t) {
      size_t at = (size_t)o * v->dims.cols * taps + t; /* lane 0 of group g */
      for (g = 0; g < ng; ++g, rec += gb, at += (size_t)ge * taps) {
        int16_t d[SPX_FMT_BBS_MAX_GROUP];
        const uint8_t hdr = rec[0];
        const unsigned lanes = g + 1 < ng ? ge : last_lanes;
        unsigned i;
        int beyond = 0; /* a weight outside [-128, 127] */
        if (!accepted[hdr]) memo_header(&memo, v, c, hdr);
        if ((g + 1 < ng ? full : last_full) && accepted[hdr] == 1 && memo.slot[c][hdr >> 5]) {
          const unsigned k = memo.slot[c][hdr >> 5] - 1u;
          int32_t offset = 0;
          if (!decode) continue;
          if (method == SPX_FMT_BBS_ZP_SHIFT)
            offset = -((int32_t)(hdr & 0x1fu) - ((hdr & 0x10u) ? 32 : 0));
          else if (method == SPX_FMT_BBS_ROUND_AVG)
            offset = (int32_t)(hdr & 0x1fu);
          if (out8 && !out16 &&
              !decode_full_s8(&memo, k, rec, nbytes, n_cols, method == SPX_FMT_BBS_ZP_SHIFT, hdr,
                              out8 + at, taps))
            continue;
          decode_full(memo.weight[k], rec, nbytes, n_cols, offset, d);
        } else {
          spx_fmt_bbs_group_t grp;
          const char *why;
          spx_fmt_bbs_group_get(v, p, t, g, &grp);
          if ((why = group_problem(&grp)) != 0)
            BAD("%s (output channel %u, tap %u, group %u)", why, (unsigned)p, (unsigned)t,
                (unsigned)g);
          if (!decode) continue;
          spx_fmt_bbs_group_decode(&grp, d);
        }
        for (i = 0; i < lanes; ++i) beyond |= (uint16_t)(d[i] + 128) > 255u;
        if (out16)
          for (i = 0; i < lanes; ++i) out16[at + (size_t)i * taps] = d[i];
        if (!beyond) {
          if (out8)
            for (i = 0; i < lanes; ++i) out8[at + (size_t)i * taps] = (int8_t)d[i];
          continue;
        }
        if (fits) *fits = 0;
        for (i = 0; out8 && i < lanes; ++i) {
          const size_t ai = at + (size_t)i * taps;
          if (excess && (d[i] < -128 || d[i] > 127)) {
            int16_t cl = d[i] < -128 ? -128 : 127;
            out8[ai] = (int8_t)cl;
            excess(ctx, ai, (int32_t)d[i] - cl);
          } else {
            out8[ai] = (int8_t)d[i];
          }
        }
      }
    }
  }
  return SPX_RT_OK;
}

/* Opens, checks the padding and the size of the caller's buffer (out: NULL
 * for validate only). */
static spx_rt_status_t open_checked(const void *bytes, size_t len,
                                    const spx_fmt_bbs_dims_t *expected, int decode,
                                    const void *out, size_t dense_count,
                                    spx_fmt_bbs_view_t *v, spx_rt_error_t *err) {
  spx_rt_status_t st;
  size_t i;
  if (decode && !out) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no output buffer");
  st = spx_fmt_bbs_open(bytes, len, expected, v, err);
  if (st != SPX_RT_OK) return st;
  for (i = SPX_FMT_BBS_HEADER_BYTES + 2 * (size_t)v->dims.rows; i < v->cls[0].offset; ++i)
    if (v->bytes[i]) BAD("BBS padding not 0");
  if (decode && dense_count < spx_fmt_bbs_dense_count(&v->dims))
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_bbs_validate(const void *bytes, size_t len,
                                          const spx_fmt_bbs_dims_t *expected,
                                          spx_rt_error_t *err) {
  spx_fmt_bbs_view_t v;
  memset(&v, 0, sizeof v); /* open fills it; gcc cannot see that */
  spx_rt_status_t st = open_checked(bytes, len, expected, 0, NULL, 0, &v, err);
  return st != SPX_RT_OK ? st : walk_groups(&v, NULL, NULL, NULL, NULL, NULL, err);
}

spx_rt_status_t spx_fmt_bbs_decode(const void *bytes, size_t len,
                                        const spx_fmt_bbs_dims_t *expected,
                                        int8_t *weights, size_t dense_count,
                                        spx_rt_error_t *err) {
  spx_fmt_bbs_view_t v;
  memset(&v, 0, sizeof v); /* open fills it; gcc cannot see that */
  int fits = 1;
  spx_rt_status_t st = open_checked(bytes, len, expected, 1, weights, dense_count, &v, err);
  if (st == SPX_RT_OK) st = walk_groups(&v, NULL, NULL, &fits, NULL, NULL, err);
  if (st != SPX_RT_OK) return st;
  if (!fits)
    return spx_rt_error_set(err, SPX_RT_ERR_RANGE, "BBS effective weights leave int8 (zp_shift); decode to int16");
  return walk_groups(&v, NULL, weights, NULL, NULL, NULL, err);
}

/* ---- descriptor ------------------------------------------------------------ */

static spx_rt_status_t bbs_validate_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                             spx_rt_error_t *err) {
  spx_fmt_bbs_dims_t d = {dims->rows, dims->cols, dims->kh, dims->kw};
  return spx_fmt_bbs_validate(bytes, len, &d, err);
}

static spx_rt_status_t bbs_decode_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                           int16_t *out, size_t count, spx_rt_error_t *err) {
  spx_fmt_bbs_dims_t d = {dims->rows, dims->cols, dims->kh, dims->kw};
  spx_fmt_bbs_view_t v;
  memset(&v, 0, sizeof v); /* open fills it; gcc cannot see that */
  spx_rt_status_t st = open_checked(bytes, len, &d, 1, out, count, &v, err);
  return st != SPX_RT_OK ? st : walk_groups(&v, out, NULL, NULL, NULL, NULL, err);
}

/* ---- kernels: bit columns against centered im2col columns -------------- */

/* A tile of columns is a = x - z_in (int16, 0 at padding cells), one row of
 * SPX_FMT_TILE values per (tap, input channel), plus (cols_ready) the sum of
 * a over every half group (8 lanes) for each column. Each group of an
 * encoded row then adds to the accumulators, per kept column j with place
 * value P_j:
 *     P_j * sum over halves h of   sum_{lanes with bit 1} s_i a_i     (ones)
 *                              or  S_h - sum_{lanes with bit 0} s_i a_i (zeros)
 * the direction chosen per half as the hardware does (2 * ones > lanes ->
 * zeros), S_h = sum over the half of s_i a_i (s_i the sign column of a
 * zp_shift group, else +1; for zp_shift S_h itself comes from the sign
 * column, processed the same way), plus offset * sum of a over the group
 * (C for round_avg, -c for zp_shift). Every term is an exact int32 sum of
 * the same products as sum_i w'_i a_i, whatever the effective weights w'
 * (place values and offsets are int32: zero-point-shifted w' - c may leave
 * int8), so acc = sum w' (x - z_in) exactly. Group headers are not
 * range-checked here (validate does that once, at load): an ill-formed one
 * computes some value, never reads out of bounds.
 * Scratch: row_of u32[rows] (encoded row of each output channel), then the
 * half sums int32[K][SPX_FMT_TILE] (half groups per column <= K). */

typedef struct bbs_geom {
  uint32_t taps, cols, ng, hb; /* kh*kw, I, groups per tap, halves/group */
  unsigned ge;
} bbs_geom_t;

/* acc[j] = sum over the encoded row p of w' * a for pixels j < count. */
static void row_dot(const spx_fmt_bbs_view_t *v, const bbs_geom_t *gm, uint32_t p,
                    const int16_t *col, const int32_t *hsum, int32_t *acc) {
  uint32_t t, g;
  int j;
  for (j = 0; j < SPX_FMT_TILE; ++j) acc[j] = 0;
  for (t = 0; t < gm->taps; ++t) {
    for (g = 0; g < gm->ng; ++g) {
      spx_fmt_bbs_group_t grp;
      const int16_t *a0 = col + ((size_t)t * gm->cols + (size_t)g * gm->ge) * SPX_FMT_TILE;
      const int32_t *hs = hsum + ((size_t)t * gm->ng + g) * gm->hb * SPX_FMT_TILE;
      int32_t sas[4][SPX_FMT_TILE], cs[SPX_FMT_TILE];
      unsigned nh, h, c, l;
      spx_fmt_bbs_group_get(v, p, t, g, &grp);
      nh = spx_fmt_bbs_halves(grp.lanes);
      /* offset * sum(a) */
      if (grp.offset)
        for (h = 0; h < nh; ++h)
          for (j = 0; j < SPX_FMT_TILE; ++j) acc[j] += grp.offset * hs[h * SPX_FMT_TILE + j];
      /* zp_shift: S_h = sum s_i a_i = sum a - 2 sum_{sign 1} a, the sign
       * column processed on its ones or zeros */
      for (h = 0; h < nh; ++h) {
        const int32_t *hh = hs + h * SPX_FMT_TILE;
        if (!grp.sign_column) {
          for (j = 0; j < SPX_FMT_TILE; ++j) sas[h][j] = hh[j];
          continue;
        }
        {
          unsigned bits = spx_fmt_bbs_half_bits(&grp, 0, h);
          unsigned n = spx_fmt_bbs_half_lanes(grp.lanes, h);
          unsigned zeros = spx_fmt_bbs_direction(&grp, 0, h);
          unsigned sel = zeros ? (~bits & ((1u << n) - 1u)) : bits;
          int32_t neg[SPX_FMT_TILE]; /* sum_{sign 1} a */
          for (j = 0; j < SPX_FMT_TILE; ++j) neg[j] = zeros ? hh[j] : 0;
          for (l = 0; l < n; ++l) {
            const int16_t *al = a0 + (size_t)(8 * h + l) * SPX_FMT_TILE;
            if (!((sel >> l) & 1u)) continue;
            if (zeros)
              for (j = 0; j < SPX_FMT_TILE; ++j) neg[j] -= al[j];
            else
              for (j = 0; j < SPX_FMT_TILE; ++j) neg[j] += al[j];
          }
          for (j = 0; j < SPX_FMT_TILE; ++j) sas[h][j] = hh[j] - 2 * neg[j];
        }
      }
      for (c = grp.sign_column; c < grp.n_cols; ++c) {
        for (j = 0; j < SPX_FMT_TILE; ++j) cs[j] = 0;
        for (h = 0; h < nh; ++h) {
          unsigned bits = spx_fmt_bbs_half_bits(&grp, c, h);
          unsigned n = spx_fmt_bbs_half_lanes(grp.lanes, h);
          unsigned zeros = spx_fmt_bbs_direction(&grp, c, h);
          unsigned sel = zeros ? (~bits & ((1u << n) - 1u)) : bits;
          unsigned signs = grp.sign_column ? spx_fmt_bbs_half_bits(&grp, 0, h) : 0;
          if (zeros)
            for (j = 0; j < SPX_FMT_TILE; ++j) cs[j] += sas[h][j];
          for (l = 0; l < n; ++l) {
            const int16_t *al = a0 + (size_t)(8 * h + l) * SPX_FMT_TILE;
            /* + s_i a_i for a one, - s_i a_i for a zero taken off S_h */
            int sub = (int)zeros ^ (int)((signs >> l) & 1u);
            if (!((sel >> l) & 1u)) continue;
            if (sub)
              for (j = 0; j < SPX_FMT_TILE; ++j) cs[j] -= al[j];
            else
              for (j = 0; j < SPX_FMT_TILE; ++j) cs[j] += al[j];
          }
        }
        for (j = 0; j < SPX_FMT_TILE; ++j) acc[j] += grp.place[c] * cs[j];
      }
    }
  }
}

/* Sums of a over every half group of every tap, per pixel. */
static void half_sums(const bbs_geom_t *gm, const int16_t *col, int32_t *hsum) {
  uint32_t t, g, h;
  int j;
  for (t = 0; t < gm->taps; ++t)
    for (g = 0; g < gm->ng; ++g) {
      uint32_t c0 = g * gm->ge;
      uint32_t lanes = gm->cols - c0 < gm->ge ? gm->cols - c0 : gm->ge;
      for (h = 0; h < gm->hb; ++h) {
        int32_t *out = hsum + (((size_t)t * gm->ng + g) * gm->hb + h) * SPX_FMT_TILE;
        uint32_t l, l1 = 8 * h + 8 < lanes ? 8 * h + 8 : lanes;
        for (j = 0; j < SPX_FMT_TILE; ++j) out[j] = 0;
        for (l = 8 * h; l < l1; ++l) {
          const int16_t *al = col + ((size_t)t * gm->cols + c0 + l) * SPX_FMT_TILE;
          for (j = 0; j < SPX_FMT_TILE; ++j) out[j] += al[j];
        }
      }
    }
}

static void geom_of(const spx_fmt_bbs_view_t *v, bbs_geom_t *gm) {
  gm->taps = (uint32_t)v->dims.kh * v->dims.kw;
  gm->cols = v->dims.cols;
  gm->ge = v->group_eff;
  gm->ng = v->groups_per_tap;
  gm->hb = (v->group_eff + 7) / 8;
}

/* Encoded row of each output channel. */
static void rows_of(const spx_fmt_bbs_view_t *v, uint32_t *row_of) {
  uint32_t p;
  for (p = 0; p < v->dims.rows; ++p) row_of[spx_fmt_bbs_row_channel(v, p)] = p;
}

static spx_rt_status_t bbs_open_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                         spx_fmt_weights_t *out, spx_rt_error_t *err) {
  spx_fmt_bbs_dims_t d = {dims->rows, dims->cols, dims->kh, dims->kw};
  spx_fmt_bbs_view_t v;
  spx_rt_status_t st = spx_fmt_bbs_open(bytes, len, &d, &v, err);
  if (st != SPX_RT_OK) return st;
  if (out) {
    out->desc = &spx_fmt_desc_BBS;
    out->dims = *dims;
    out->bytes = bytes;
    out->len = len;
    out->view.bbs = v;
    out->state = NULL;
  }
  return SPX_RT_OK;
}

static size_t bbs_scratch(const spx_fmt_dims_t *dims) {
  size_t k = (size_t)dims->cols * dims->kh * dims->kw;
  return (size_t)dims->rows * sizeof(uint32_t) + k * SPX_FMT_TILE * sizeof(int32_t);
}

static void bbs_begin(spx_fmt_weights_t *w, void *scratch) {
  w->state = scratch;
  rows_of(&w->view.bbs, (uint32_t *)scratch);
}

static int32_t *bbs_hsum(const spx_fmt_weights_t *w) {
  return (int32_t *)w->state + w->dims.rows;
}

static void bbs_cols_ready(const spx_fmt_weights_t *w, const spx_fmt_cols_t *cols) {
  bbs_geom_t gm;
  geom_of(&w->view.bbs, &gm);
  half_sums(&gm, cols->s16, bbs_hsum(w));
}

static void bbs_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                    const spx_fmt_cols_t *cols, int32_t *acc) {
  const uint32_t *row_of = (const uint32_t *)w->state;
  const int32_t *hsum = bbs_hsum(w);
  bbs_geom_t gm;
  uint32_t r;
  geom_of(&w->view.bbs, &gm);
  for (r = r0; r < r1; ++r)
    row_dot(&w->view.bbs, &gm, row_of[r], cols->s16, hsum,
            acc + (size_t)(r - r0) * SPX_FMT_TILE);
}

/* Depthwise (K = 1): one group of one lane per tap of encoded row i. */
static uint32_t bbs_row_taps(const spx_fmt_weights_t *w, uint32_t i, int16_t *taps) {
  const spx_fmt_bbs_view_t *v = &w->view.bbs;
  const uint32_t ntaps = (uint32_t)v->dims.kh * v->dims.kw;
  uint32_t t;
  for (t = 0; t < ntaps; ++t) {
    spx_fmt_bbs_group_t grp;
    int16_t d[SPX_FMT_BBS_MAX_GROUP];
    spx_fmt_bbs_group_get(v, i, t, 0, &grp);
    spx_fmt_bbs_group_decode(&grp, d);
    taps[t] = d[0];
  }
  return spx_fmt_bbs_row_channel(v, i);
}

/* Decoded once (the descriptor's decode_s8): row_dot above adds, per group,
 * offset * sum_i a_i + sum over kept columns j of place[j] * sum_{bit(j, i)
 * = 1} s_i a_i (the zeros direction is S_h - sum_{bit 0} s_i a_i, the same
 * sum), i.e. sum_i a_i * (s_i * sum_j place[j] bit(j, i) + offset): the
 * effective weight spx_fmt_bbs_group_decode gives, which walk_groups writes
 * at the group's OIHW places (encoded row p -> output channel order[p], as
 * bbs_begin's row_of). Every group is checked as validate does. A
 * zero-point-shifted weight beyond int8 (+-m - c up to 144) is written
 * clamped and its excess reported (the caller adds excess * a). */
static spx_rt_status_t bbs_decode_s8(const spx_fmt_weights_t *w, int8_t *out, size_t count,
                                     void (*excess)(void *, size_t, int32_t), void *ctx,
                                     spx_rt_error_t *err) {
  int fits = 1;
  spx_rt_status_t st;
  if (!out || count < spx_fmt_dims_count(&w->dims))
    return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "output buffer smaller than the weights");
  st = walk_groups(&w->view.bbs, NULL, out, &fits, excess, ctx, err);
  if (st != SPX_RT_OK) return st;
  if (!fits && !excess)
    return spx_rt_error_set(err, SPX_RT_ERR_RANGE,
                            "BBS effective weights leave int8 (zp_shift)");
  return SPX_RT_OK;
}

const spx_fmt_desc_t spx_fmt_desc_BBS = {
    SPX_FMT_BBS, "bbs", "bit-column groups of int8 weights (bi-directional bit sparsity)", 0, 143,
    bbs_validate_desc, bbs_decode_desc,
    /* needs_s8 */ 1, SPX_FMT_COLS_S16, /* chan_block */ 0, /* plain_s8 */ 0,
    bbs_open_desc, bbs_scratch, bbs_begin, NULL, bbs_cols_ready, bbs_dot, bbs_row_taps,
    SPX_FMT_DATAPATH_INT8, bbs_decode_s8, /* kernel_half */ NULL};
