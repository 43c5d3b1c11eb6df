/* bs_cost.c - weight groups, tiling and cycle counts of the bit-serial
 * target (the model is documented in spx_sim_bitserial.h). The compiler
 * calls these to plan and report, the simulator to count: one cost model. */
#include <string.h>

#include "runtime/targets/bitserial/bitserial.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

int spx_sim_bs_geom_init(spx_sim_bs_geom_t *g, const spx_cs_cpu_layer_t *l,
                         const spx_cs_tensor_t *in, const spx_cs_tensor_t *out,
                         const spx_sim_bs_mdesc_t *md) {
  uint32_t cblocks;
  memset(g, 0, sizeof *g);
  if (spx_tk_geom_init(&g->kit, l, in, out)) return -1;
  g->gsize = g->cin_g < (uint32_t)md->lanes ? g->cin_g : (uint32_t)md->lanes;
  cblocks = (uint32_t)ceil_div(g->cin_g, g->gsize);
  g->kgroups = g->kh * g->kw * cblocks;
  return 0;
}

/* ---- groups ----------------------------------------------------------------- */

static int weights_open(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                        const spx_sim_bs_mdesc_t *md, uint16_t encoding, const uint8_t *data,
                        uint32_t size, int full, spx_rt_error_t *err);

int spx_sim_bs_weights_open(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                            const spx_sim_bs_mdesc_t *md, uint16_t encoding,
                            const uint8_t *data, uint32_t size,
                            spx_rt_error_t *err) {
  return weights_open(w, g, md, encoding, data, size, 1, err);
}

int spx_sim_bs_weights_reopen(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                              const spx_sim_bs_mdesc_t *md, uint16_t encoding,
                              const uint8_t *data, uint32_t size, spx_rt_error_t *err) {
  return weights_open(w, g, md, encoding, data, size, 0, err);
}

/* full: the formats' validate (every byte) before their open. */
static int weights_open(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                        const spx_sim_bs_mdesc_t *md, uint16_t encoding, const uint8_t *data,
                        uint32_t size, int full, spx_rt_error_t *err) {
  memset(w, 0, sizeof *w);
  w->g = g;
  w->encoding = encoding;
  w->data = data;
  w->size = size;
  const char *why = "";
  if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_BITSERIAL), encoding, &why) !=
      SPX_TARGET_NATIVE)
    return spx_rt_error_set(err, SPX_RT_ERR_UNSUPPORTED, "%s weights: %s",
                            spx_fmt_find(encoding) ? spx_fmt_find(encoding)->name : "unknown",
                            why);
  spx_rt_error_clear(err);
  if (encoding == SPX_CS_ENC_DENSE) {
    if (!data || (uint64_t)g->cout * g->k != size) {
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "dense weights do not have cout * k int8 elements");
    }
    return 0;
  }
  if (encoding == SPX_FMT_BBS) {
    spx_fmt_bbs_dims_t d;
    d.rows = g->cout;
    d.cols = g->cin_g;
    d.kh = (uint16_t)g->kh;
    d.kw = (uint16_t)g->kw;
    if (!data || (full && spx_fmt_bbs_validate(data, size, &d, err) != SPX_RT_OK) ||
        spx_fmt_bbs_open(data, size, &d, &w->bbs, err) != SPX_RT_OK)
      return -1;
    if (w->bbs.group > (unsigned)md->lanes) {
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "bbs group size exceeds the PE width (machine lanes)");
    }
    g->gsize = w->bbs.group_eff;
    g->kgroups = g->kh * g->kw * w->bbs.groups_per_tap;
    return 0;
  }
  if (encoding == SPX_FMT_TERNARY) {
    spx_fmt_dims_t d;
    uint32_t q, step;
    d.rows = g->cout;
    d.cols = g->cin_g;
    d.kh = (uint16_t)g->kh;
    d.kw = (uint16_t)g->kw;
    d.groups = g->groups;
    if (!data || (full && spx_fmt_ternary_validate(data, size, &d, err) != SPX_RT_OK) ||
        spx_fmt_ternary_open(data, size, &d, &w->ternary, err) != SPX_RT_OK)
      return -1;
    /* A group's mask column must fit one PE step: its lanes are the PE's
     * bit-column lanes. */
    if (w->ternary.n > (unsigned)md->lanes)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                              "ternary groups of N = %u input channels do not fit the PE's "
                              "%d-lane bit column: a group's mask column is one PE step "
                              "(use ternary(n <= %d), or the target option lanes >= %u)",
                              w->ternary.n, (int)md->lanes, (int)md->lanes,
                              w->ternary.n + (w->ternary.n & 1u));
    q = (uint32_t)md->lanes / w->ternary.n;
    step = q * w->ternary.n;
    w->tern_per_step = q;
    g->gsize = g->cin_g < step ? g->cin_g : step;
    g->kgroups = g->kh * g->kw * (uint32_t)ceil_div(w->ternary.groups_per_tap, q);
    return 0;
  }
  return spx_rt_error_set(err, SPX_RT_ERR_ARG, "the target declares a format its PE array cannot read");
}

int spx_sim_bs_group_get(const spx_sim_bs_weights_t *w, uint32_t r,
                         uint32_t kg, spx_sim_bs_group_t *out) {
  const spx_sim_bs_geom_t *g = w->g;
  uint32_t cblocks = (uint32_t)ceil_div(g->cin_g, g->gsize);
  uint32_t tap = kg / cblocks, cb = kg % cblocks;
  uint32_t ky = tap / g->kw, kx = tap % g->kw;
  uint32_t c0 = cb * g->gsize, i, c;
  memset(out, 0, sizeof *out);
  if (r >= g->cout || kg >= g->kgroups) return -1;
  if (w->encoding == SPX_FMT_BBS) {
    spx_fmt_bbs_group_t b;
    spx_fmt_bbs_group_get(&w->bbs, r, tap, cb, &b);
    out->n = b.lanes;
    out->ncols = b.n_cols > 8 ? 8 : b.n_cols;
    for (c = 0; c < out->ncols; ++c) {
      out->bits[c] = b.bits[c];
      out->colw[c] = b.place[c]; /* the sign column's place is 0 */
    }
    if (b.sign_column) out->neg = b.bits[0];
    out->const_mul = b.offset;
    return 0;
  }
  if (w->encoding == SPX_FMT_TERNARY) {
    /* q = lanes / N codes side by side: ternary groups cb * q .. of the
     * tap, each decoded by the format's code book into its mask (the one
     * bit column) and its signs (the lanes the adders negate). */
    const spx_fmt_ternary_view_t *v = &w->ternary;
    uint32_t q = w->tern_per_step, ng = v->groups_per_tap, j;
    uint64_t code0 = ((uint64_t)r * g->kh * g->kw + tap) * ng;
    out->n = (uint8_t)(g->cin_g - c0 < g->gsize ? g->cin_g - c0 : g->gsize);
    out->ncols = 1;
    out->colw[0] = 1;
    for (j = 0; j < q && cb * q + j < ng; ++j) {
      uint32_t tg = cb * q + j, pos, neg;
      unsigned lanes = tg + 1 == ng ? v->last_lanes : v->n;
      if (spx_fmt_ternary_code_to_masks(v->n, v->k, spx_fmt_ternary_code_at(v, code0 + tg),
                                        &pos, &neg) != SPX_RT_OK ||
          (pos >> lanes))
        return -1;
      out->bits[0] |= pos << (j * v->n);
      out->neg |= neg << (j * v->n);
    }
    return 0;
  }
  if (w->encoding != SPX_CS_ENC_DENSE) return -1;
  if ((uint64_t)g->cout * g->k > w->size) return -1;
  out->n = (uint8_t)(g->cin_g - c0 < g->gsize ? g->cin_g - c0 : g->gsize);
  out->ncols = 8;
  for (c = 0; c < 8; ++c) out->colw[c] = c ? (int32_t)1 << (7 - c) : -128;
  for (i = 0; i < out->n; ++i) {
    size_t idx = (((size_t)r * g->cin_g + c0 + i) * g->kh + ky) * g->kw + kx;
    uint8_t v = w->data[idx];
    for (c = 0; c < 8; ++c)
      if (v >> (7 - c) & 1u) out->bits[c] |= (uint32_t)1 << i;
  }
  return 0;
}

uint32_t spx_sim_bs_channel_at(const spx_sim_bs_weights_t *w, uint32_t r) {
  if (w->encoding == SPX_FMT_BBS) return spx_fmt_bbs_row_channel(&w->bbs, r);
  return r;
}

static int32_t effective_weight(const spx_sim_bs_group_t *gr, unsigned i) {
  int32_t v = 0;
  unsigned c;
  for (c = 0; c < gr->ncols; ++c)
    if (gr->bits[c] >> i & 1u) v += gr->colw[c];
  if (gr->neg >> i & 1u) v = -v;
  return v + gr->const_mul;
}

/* popcount(|v|) of an int8 weight, for the zero-skipping design. */
static unsigned ones_of_abs(int32_t v) {
  return spx_sim_bs_popcount32((uint32_t)(v < 0 ? -v : v));
}

/* Cycles of one group on each design. */
static void group_cycles(const spx_sim_bs_mdesc_t *md,
                         const spx_sim_bs_group_t *gr, uint64_t cyc[]) {
  unsigned i, busiest = 0;
  cyc[SPX_SIM_BS_BBS] = gr->ncols + (gr->const_mul ? (unsigned)md->const_cycles : 0u);
  cyc[SPX_SIM_BS_STRIPES] = 8;
  for (i = 0; i < gr->n; ++i) {
    int32_t v = effective_weight(gr, i);
    unsigned ones = spx_sim_bs_popcount32((uint32_t)(v < 0 ? -v : v));
    if (ones > busiest) busiest = ones;
  }
  cyc[SPX_SIM_BS_ZSKIP] = busiest ? busiest : 1;
  cyc[SPX_SIM_BS_BITPAR] = ceil_div(gr->n, (uint64_t)md->bp_lanes);
}

/* ---- tiling ----------------------------------------------------------------- */

uint64_t spx_sim_bs_tile_wbytes(const spx_sim_bs_geom_t *g,
                                const spx_sim_bs_tiling_t *t,
                                uint64_t wbytes_per_m) {
  return (uint64_t)t->tile_m * ceil_div(wbytes_per_m * t->tile_k, g->k);
}

uint64_t spx_sim_bs_tile_ibytes(const spx_sim_bs_geom_t *g,
                                const spx_sim_bs_tiling_t *t) {
  uint64_t full;
  if (g->oh == 1 && g->ow == 1 && g->h == 1 && g->w == 1)
    return (uint64_t)t->tile_p * t->tile_k;
  if (t->tile_p >= g->p) {
    full = (uint64_t)g->n * g->cin * g->h * g->w;
  } else {
    uint64_t rows_out = ceil_div(t->tile_p, g->ow);
    uint64_t rows_in = (rows_out - 1) * g->sh + (uint64_t)(g->kh - 1) * g->dh + 1;
    if (rows_out > g->oh) rows_in = (uint64_t)g->h * ceil_div(rows_out, g->oh);
    else if (rows_in > g->h) rows_in = g->h;
    full = rows_in * g->w * g->cin;
  }
  return ceil_div(full * t->tile_k, g->k);
}

static void tiles_count(const spx_sim_bs_geom_t *g, spx_sim_bs_tiling_t *t) {
  t->tiles = (uint32_t)(ceil_div(g->cout, t->tile_m) * ceil_div(g->p, t->tile_p) *
                        ceil_div(g->k, t->tile_k));
}

void spx_sim_bs_plan(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_geom_t *g,
                     uint64_t wbytes_per_m, spx_sim_bs_tiling_t *out) {
  uint64_t half_w = (uint64_t)md->wsram_kb * 512u;
  uint64_t half_i = (uint64_t)md->isram_kb * 512u;
  uint64_t rows = (uint64_t)md->rows;
  uint64_t kg_bytes; /* stored bytes of one group of one channel */
  uint64_t lo, hi;
  if (rows > g->cout) rows = g->cout;
  if (!wbytes_per_m) wbytes_per_m = 1;
  out->tile_k = (uint32_t)g->k;
  if (rows * wbytes_per_m <= half_w) {
    uint64_t m = half_w / wbytes_per_m;
    m -= m % rows;
    out->tile_m = (uint32_t)(m > g->cout ? g->cout : m);
  } else {
    uint64_t kgs;
    out->tile_m = (uint32_t)rows;
    kg_bytes = ceil_div(wbytes_per_m, g->kgroups);
    kgs = half_w / (rows * kg_bytes);
    if (!kgs) kgs = 1;
    out->tile_k = (uint32_t)(kgs * g->gsize < g->k ? kgs * g->gsize : g->k);
  }
  /* Largest tile_p whose input tile fits half the input SRAM: whole output
   * rows when one row fits, else part of a row (binary search, monotone). */
  out->tile_p = (uint32_t)g->p;
  if (spx_sim_bs_tile_ibytes(g, out) > half_i) {
    lo = 1;
    hi = g->p;
    while (lo < hi) {
      uint64_t mid = (lo + hi + 1) / 2;
      out->tile_p = (uint32_t)mid;
      if (spx_sim_bs_tile_ibytes(g, out) <= half_i) lo = mid;
      else hi = mid - 1;
    }
    if (lo >= g->ow) lo -= lo % g->ow;
    out->tile_p = (uint32_t)lo;
  }
  tiles_count(g, out);
}

/* ---- costs ------------------------------------------------------------------ */

static uint64_t col_passes(const spx_sim_bs_geom_t *g, uint64_t tile_p,
                           uint64_t cols) {
  uint64_t full = g->p / tile_p, rem = g->p % tile_p;
  return full * ceil_div(tile_p, cols) + ceil_div(rem, cols);
}

/* DRAM bytes of one design given its stored weight bytes. */
static uint64_t dram_bytes(const spx_sim_bs_mdesc_t *md,
                           const spx_sim_bs_geom_t *g, uint64_t wtotal,
                           uint64_t extra, const spx_sim_bs_tiling_t *given,
                           uint64_t *out_in, uint64_t *out_out) {
  spx_sim_bs_tiling_t t;
  uint64_t wpm = ceil_div(wtotal, g->cout), in_total, bytes;
  uint64_t mt, pt, kt;
  if (given) t = *given;
  else spx_sim_bs_plan(md, g, wpm, &t);
  mt = ceil_div(g->cout, t.tile_m);
  pt = ceil_div(g->p, t.tile_p);
  kt = ceil_div(g->k, t.tile_k);
  bytes = (kt == 1 ? wtotal : wtotal * pt) + extra;
  if (pt == 1 && kt == 1) in_total = (uint64_t)g->n * g->cin * g->h * g->w;
  else in_total = spx_sim_bs_tile_ibytes(g, &t) * pt * kt * mt;
  *out_in = in_total;
  *out_out = (uint64_t)g->cout * g->p;
  return bytes + in_total + *out_out;
}

/* What the cost of a group of encoded weights needs: its cycles on each
 * design, its kept columns and whether it has a constant, as group_cycles
 * on spx_sim_bs_group_get's group computes them. BBS takes a shortcut with
 * the same results (a layer's weights are costed once per run, millions of
 * lanes): the effective weights from the format's own group decode (the
 * same sum of place values, sign and offset as effective_weight), then
 * zero skipping's max popcount(|w|). Dense weights: pe_cost's own loop
 * (dense_zskip). 0 or -1. */
static int group_cost(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_weights_t *w, uint32_t r,
                      uint32_t kg, uint64_t cyc[], unsigned *ncols, int *has_const) {
  const spx_sim_bs_geom_t *g = w->g;
  uint32_t cblocks, tap, cb, n, i;
  unsigned busiest = 0;
  if (w->encoding != SPX_FMT_BBS) {
    spx_sim_bs_group_t gr;
    if (spx_sim_bs_group_get(w, r, kg, &gr)) return -1;
    group_cycles(md, &gr, cyc);
    *ncols = gr.ncols;
    *has_const = gr.const_mul != 0;
    return 0;
  }
  if (r >= g->cout || kg >= g->kgroups) return -1;
  cblocks = (g->cin_g + g->gsize - 1) / g->gsize;
  tap = kg / cblocks;
  cb = kg % cblocks;
  {
    spx_fmt_bbs_group_t b;
    int16_t d[SPX_FMT_BBS_MAX_GROUP];
    spx_fmt_bbs_group_get(&w->bbs, r, tap, cb, &b);
    spx_fmt_bbs_group_decode(&b, d);
    n = b.lanes;
    for (i = 0; i < n; ++i) {
      unsigned ones = ones_of_abs(d[i]);
      if (ones > busiest) busiest = ones;
    }
    *ncols = b.n_cols > 8 ? 8 : b.n_cols;
    *has_const = b.offset != 0;
  }
  cyc[SPX_SIM_BS_BBS] = *ncols + (*has_const ? (unsigned)md->const_cycles : 0u);
  cyc[SPX_SIM_BS_STRIPES] = 8;
  cyc[SPX_SIM_BS_ZSKIP] = busiest ? busiest : 1;
  cyc[SPX_SIM_BS_BITPAR] = ceil_div(n, (uint64_t)md->bp_lanes);
  return 0;
}

/* A BBS layer's groups k0 .. k1 - 1 of array row r, for the bbs design
 * alone: whether each has a constant (its header's 5 low bits not 0: C,
 * or c), into has_const[kg - k0], read in the row's records in order. */
static void bbs_row_consts(const spx_sim_bs_weights_t *w, uint32_t r, uint32_t k0, uint32_t k1,
                           uint8_t *has_const) {
  const spx_fmt_bbs_view_t *v = &w->bbs;
  const size_t gb = v->cls[spx_fmt_bbs_row_class(v, r)].group_bytes;
  const uint8_t *rec = spx_fmt_bbs_record(v, r, 0, 0) + (size_t)k0 * gb; /* groups in kg order */
  uint32_t kg;
  for (kg = k0; kg < k1; ++kg, rec += gb) has_const[kg - k0] = (rec[0] & 0x1fu) != 0;
}

/* Dense int8 weights: the zero-skipping cycles of group kg of rows r0 ..
 * r1 - 1, max over the lanes of popcount(|w|) (1 for a group of zeros),
 * into zs[r - r0]; the other designs' cycles of a dense group are constants
 * (8 columns, no constant). */
static void dense_zskip(const spx_sim_bs_weights_t *w, uint32_t r0, uint32_t r1, uint32_t kg,
                        const uint8_t *ones, uint8_t *zs) {
  const spx_sim_bs_geom_t *g = w->g;
  const uint32_t cblocks = (g->cin_g + g->gsize - 1) / g->gsize;
  const uint32_t tap = kg / cblocks, c0 = (kg % cblocks) * g->gsize;
  const uint32_t n = g->cin_g - c0 < g->gsize ? g->cin_g - c0 : g->gsize;
  const size_t taps = (size_t)g->kh * g->kw, row = (size_t)g->cin_g * taps;
  const uint8_t *p = w->data + (size_t)c0 * taps + tap;
  uint32_t r, i;
  for (r = r0; r < r1; ++r) {
    const uint8_t *q = p + (size_t)r * row;
    unsigned busiest = 0;
    for (i = 0; i < n; ++i)
      if (ones[q[(size_t)i * taps]] > busiest) busiest = ones[q[(size_t)i * taps]];
    zs[r - r0] = (uint8_t)(busiest ? busiest : 1);
  }
}

/* The cost of a PE layer; bbs_only: the bbs design's alone (the others'
 * cycles need every weight: zero skipping's popcounts; the bbs design's
 * only the groups' kept columns and constants). */
static int pe_cost(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_weights_t *w,
                   const spx_sim_bs_tiling_t *t, int bbs_only, spx_sim_bs_cost_t *out) {
  const spx_sim_bs_geom_t *g = w->g;
  uint64_t rows = (uint64_t)md->rows, passes, r0, dense_w, extra, in_b, out_b;
  uint32_t kg, r;
  unsigned d;
  const int dense = w->encoding == SPX_CS_ENC_DENSE;
  const int bbs_headers = bbs_only && w->encoding == SPX_FMT_BBS;
  uint8_t ones[256], zs[1024], consts[16384];
  unsigned v;
  memset(out, 0, sizeof *out);
  if (dense && (uint64_t)g->cout * g->k > w->size) return -1;
  for (v = 0; v < 256; ++v) ones[v] = (uint8_t)ones_of_abs((int8_t)v); /* byte -> |int8| */
  passes = col_passes(g, t->tile_p, (uint64_t)md->cols);
  out->col_passes = passes;
  out->nrows = (uint32_t)(rows < g->cout ? rows : g->cout);
  for (r0 = 0; r0 < g->cout; r0 += rows) {
    uint64_t r1 = r0 + rows < g->cout ? r0 + rows : g->cout;
    /* bbs_headers: the constants of groups k0 .. k1 - 1 of the block's rows
     * read row by row (bbs_row_consts), as many as `consts` holds */
    const uint32_t kchunk = (uint32_t)(sizeof consts / (r1 - r0));
    uint32_t k0 = 0, k1 = 0;
    out->row_blocks++;
    for (kg = 0; kg < g->kgroups; ++kg) {
      uint64_t mx[SPX_SIM_BS_DESIGN_COUNT] = {0};
      uint32_t rz = (uint32_t)r0; /* dense: zs holds rows rz .. rz + 1023 */
      if (bbs_headers && kg == k1) {
        const spx_fmt_bbs_view_t *bv = &w->bbs;
        if (r1 > bv->dims.rows || g->kgroups > (uint32_t)bv->dims.kh * bv->dims.kw * bv->groups_per_tap)
          return -1;
        k0 = kg;
        k1 = g->kgroups - kg < kchunk ? g->kgroups : kg + kchunk;
        for (r = (uint32_t)r0; r < r1; ++r)
          bbs_row_consts(w, r, k0, k1, consts + (size_t)(r - r0) * (k1 - k0));
      }
      if (bbs_headers) {
        /* group_cost's kept columns and constant: the row's class, the
         * group's header (the class's method has a constant) */
        const spx_fmt_bbs_view_t *bv = &w->bbs;
        const uint8_t *z = consts + (kg - k0);
        const size_t zstride = k1 - k0;
        for (r = (uint32_t)r0; r < r1; ++r, z += zstride) {
          const unsigned cls = spx_fmt_bbs_row_class(bv, r);
          const unsigned ncols = 8u - bv->cls[cls].n_pruned > 8 ? 8 : 8u - bv->cls[cls].n_pruned;
          const int has_const = bv->cls[cls].method != SPX_FMT_BBS_NONE && *z;
          const uint64_t cyc = ncols + (has_const ? (unsigned)md->const_cycles : 0u);
          if (cyc > mx[SPX_SIM_BS_BBS]) mx[SPX_SIM_BS_BBS] = cyc;
          out->bbs_cols += ncols;
          out->const_groups += (unsigned)has_const;
          if (r - r0 < 1024) out->rows_busy[r - r0] += cyc * passes;
        }
        out->groups += r1 - r0;
        out->compute[SPX_SIM_BS_BBS] += mx[SPX_SIM_BS_BBS] * passes;
        continue;
      }
      for (r = (uint32_t)r0; r < r1; ++r) {
        uint64_t cyc[SPX_SIM_BS_DESIGN_COUNT] = {0};
        unsigned ncols;
        int has_const;
        if (dense) {
          uint32_t n;
          if (!bbs_only && (r == (uint32_t)r0 || r - rz >= 1024)) {
            rz = r;
            dense_zskip(w, r, (uint32_t)(r1 - r < 1024 ? r1 : r + 1024), kg, ones, zs);
          }
          n = g->cin_g - (kg % ((g->cin_g + g->gsize - 1) / g->gsize)) * g->gsize;
          if (n > g->gsize) n = g->gsize;
          ncols = 8;
          has_const = 0;
          cyc[SPX_SIM_BS_BBS] = 8;
          if (!bbs_only) {
            cyc[SPX_SIM_BS_STRIPES] = 8;
            cyc[SPX_SIM_BS_ZSKIP] = zs[r - rz];
            cyc[SPX_SIM_BS_BITPAR] = ceil_div(n, (uint64_t)md->bp_lanes);
          }
        } else if (group_cost(md, w, r, kg, cyc, &ncols, &has_const)) {
          return -1;
        }
        for (d = 0; d < SPX_SIM_BS_DESIGN_COUNT; ++d)
          if (cyc[d] > mx[d]) mx[d] = cyc[d];
        out->groups++;
        out->bbs_cols += ncols;
        if (has_const) out->const_groups++;
        if (r - r0 < 1024) out->rows_busy[r - r0] += cyc[SPX_SIM_BS_BBS] * passes;
      }
      for (d = 0; d < SPX_SIM_BS_DESIGN_COUNT; ++d) out->compute[d] += mx[d] * passes;
    }
  }
  dense_w = (uint64_t)g->cout * g->k;
  extra = (uint64_t)g->cout * 12u; /* int32 bias, multiplier, shift */
  for (d = 0; d < SPX_SIM_BS_DESIGN_COUNT; ++d) {
    int own = d == SPX_SIM_BS_BBS;
    if (bbs_only && !own) {
      out->compute[d] = 0;
      continue;
    }
    out->weight_bytes[d] = own ? w->size : dense_w;
    out->dram_bytes[d] = dram_bytes(md, g, out->weight_bytes[d], extra,
                                    own ? t : 0, &in_b, &out_b);
    if (own) {
      out->input_bytes = in_b;
      out->output_bytes = out_b;
    }
    out->dram[d] = ceil_div(out->dram_bytes[d] * 8u, (uint64_t)md->dram_bits);
    out->latency[d] = out->compute[d] > out->dram[d] ? out->compute[d] : out->dram[d];
  }
  return 0;
}

int spx_sim_bs_pe_cost(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_weights_t *w,
                       const spx_sim_bs_tiling_t *t, spx_sim_bs_cost_t *out) {
  return pe_cost(md, w, t, 0, out);
}

int spx_sim_bs_pe_cost_bbs(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_weights_t *w,
                           const spx_sim_bs_tiling_t *t, spx_sim_bs_cost_t *out) {
  return pe_cost(md, w, t, 1, out);
}

void spx_sim_bs_host_cost(const spx_sim_bs_mdesc_t *md,
                          const spx_cs_cpu_layer_t *l,
                          const spx_cs_tensor_t *const tensors[5],
                          spx_sim_bs_cost_t *out) {
  uint64_t work, cyc, dram;
  unsigned d;
  memset(out, 0, sizeof *out);
  spx_tk_host_work(l, tensors, &work, &out->input_bytes, &out->output_bytes);
  cyc = ceil_div(work, (uint64_t)md->host_lanes);
  dram = ceil_div((out->input_bytes + out->output_bytes) * 8u, (uint64_t)md->dram_bits);
  for (d = 0; d < SPX_SIM_BS_DESIGN_COUNT; ++d) {
    out->compute[d] = cyc;
    out->dram_bytes[d] = out->input_bytes + out->output_bytes;
    out->dram[d] = dram;
    out->latency[d] = cyc > dram ? cyc : dram;
  }
}
