/* cost.c - geometry, weights, tiling and cycle counts of the LP array (the
 * model is documented in lpa.h and docs/targets.md, "lpa"). The compiler
 * calls these to plan and report, the simulator to count and trace: one
 * cost model. */
#include <string.h>

#include "runtime/targets/lpa/lpa.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

int spx_lpa_geom_init(spx_lpa_geom_t *g, const spx_cs_cpu_layer_t *l,
                      const spx_cs_tensor_t *in, const spx_cs_tensor_t *out) {
  if (spx_tk_geom_init(g, l, in, out)) return -1;
  /* A row block never spans two conv groups, and every count is used as a
   * divisor or a tile bound. */
  if (!g->cin || !g->cout || g->cout % g->groups || !g->sh || !g->sw || !g->n || !g->oh ||
      !g->ow)
    return -1;
  return 0;
}

/* ---- weights ---------------------------------------------------------------- */

int spx_lpa_weights_open(spx_lpa_weights_t *w, const spx_lpa_geom_t *g, uint16_t encoding,
                         uint16_t dtype, const uint8_t *data, uint32_t size,
                         spx_rt_error_t *err) {
  const char *why = "";
  memset(w, 0, sizeof *w);
  w->encoding = encoding;
  if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_LPA), encoding, &why) !=
      SPX_TARGET_NATIVE)
    return spx_rt_error_set(err, SPX_RT_ERR_UNSUPPORTED, "%s weights: %s",
                            spx_fmt_find(encoding) ? spx_fmt_find(encoding)->name : "unknown",
                            why),
           -1;
  if (encoding == SPX_CS_ENC_DENSE) {
    if (dtype != SPX_CS_DTYPE_INT8)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "dense weights are %s; the PE array's "
                              "int8 mode takes int8", spx_cs_dtype_name(dtype)
                              ? spx_cs_dtype_name(dtype) : "unknown"), -1;
    if (!data || (uint64_t)g->cout * g->k != size)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "dense weights have %u bytes, not cout * k "
                              "= %llu", (unsigned)size,
                              (unsigned long long)((uint64_t)g->cout * g->k)), -1;
    w->w_bits = w->a_bits = 8;
    w->pairs = 1;
    spx_rt_error_clear(err);
    return 0;
  }
  if (encoding == SPX_FMT_LP) {
    spx_fmt_dims_t d;
    spx_fmt_lp_view_t v;
    if (g->kh > 0xffff || g->kw > 0xffff)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "kernel too large"), -1;
    d.rows = g->cout;
    d.cols = g->cin_g;
    d.kh = (uint16_t)g->kh;
    d.kw = (uint16_t)g->kw;
    d.groups = g->groups;
    if (!data || spx_fmt_lp_validate(data, size, &d, err) != SPX_RT_OK ||
        spx_fmt_lp_open(data, size, &d, &v, err) != SPX_RT_OK)
      return -1;
    w->lp = v.p;
    w->w_bits = v.p.w_n;
    w->a_bits = v.p.a_n;
    w->pairs = v.p.w_n <= 4 && v.p.a_n <= 4 ? 2 : 1;
    spx_rt_error_clear(err);
    return 0;
  }
  return spx_rt_error_set(err, SPX_RT_ERR_ARG, "the target declares a format its PE array "
                          "cannot read"), -1;
}

void spx_lpa_format_text(const spx_lpa_weights_t *w, int which, char *buf, size_t cap) {
  if (w->encoding != SPX_FMT_LP) {
    spx_rt_format(buf, cap, "int8");
    return;
  }
  if (!which)
    spx_rt_format(buf, cap, "lp(n=%u, es=%u, rs=%u, sf=%d)", (unsigned)w->lp.w_n,
                  (unsigned)w->lp.w_es, (unsigned)w->lp.w_rs, (int)w->lp.w_sf);
  else
    spx_rt_format(buf, cap, "lp(n=%u, es=%u, rs=%u, sf=%d)", (unsigned)w->lp.a_n,
                  (unsigned)w->lp.a_es, (unsigned)w->lp.a_rs, (int)w->lp.a_sf);
}

/* ---- tiling ----------------------------------------------------------------- */

uint64_t spx_lpa_weight_bytes_per_m(const spx_lpa_geom_t *g, unsigned bits) {
  return ceil_div(g->k * bits, 8);
}

uint64_t spx_lpa_tile_wbytes(const spx_lpa_geom_t *g, const spx_lpa_tiling_t *t,
                             uint64_t wbytes_per_m) {
  return (uint64_t)t->tile_m * ceil_div(wbytes_per_m * t->tile_k, g->k);
}

uint64_t spx_lpa_tile_ibytes(const spx_lpa_geom_t *g, const spx_lpa_tiling_t *t) {
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

uint64_t spx_lpa_tile_obytes(const spx_lpa_tiling_t *t) {
  return (uint64_t)t->tile_m * t->tile_p;
}

void spx_lpa_plan(const spx_lpa_mdesc_t *md, const spx_lpa_geom_t *g, uint64_t wbytes_per_m,
                  spx_lpa_tiling_t *out) {
  uint64_t half_w = (uint64_t)md->wbuf_kb * 512u;
  uint64_t half_i = (uint64_t)md->abuf_kb * 512u;
  uint64_t half_o = (uint64_t)md->obuf_kb * 512u;
  uint64_t rows = (uint64_t)md->rows, pmax, lo, hi;
  if (rows > g->cout) rows = g->cout;
  if (!wbytes_per_m) wbytes_per_m = 1;
  out->tile_k = (uint32_t)g->k;
  if (rows * wbytes_per_m <= half_w) {
    uint64_t m = half_w / wbytes_per_m;
    if (m > 0xffff) m = 0xffff; /* the stream's tile_m is a u16 */
    m -= m % rows;
    out->tile_m = (uint32_t)(m > g->cout ? g->cout : m);
  } else {
    /* One row block; K split into the largest slices that fit:
     * rows * ceil(wbytes_per_m * tile_k / K) <= half_w. */
    uint64_t k = half_w / rows * g->k / wbytes_per_m;
    out->tile_m = (uint32_t)rows;
    out->tile_k = (uint32_t)(k < 1 ? 1 : k);
  }
  /* The int8 outputs of a tile fit half the output buffer: fewer channels
   * (whole row blocks) if even one pixel column of them does not. */
  if (out->tile_m > half_o && out->tile_m > rows) {
    uint64_t m = half_o - half_o % rows;
    out->tile_m = (uint32_t)(m < rows ? rows : m);
  }
  /* Largest tile_p whose input tile fits half the activation buffer and
   * whose outputs fit half the output buffer: whole output rows when one
   * row fits, else part of a row (binary search, monotone). */
  pmax = half_o / out->tile_m;
  if (pmax < 1) pmax = 1;
  if (pmax > g->p) pmax = g->p;
  out->tile_p = (uint32_t)pmax;
  if (spx_lpa_tile_ibytes(g, out) > half_i) {
    lo = 1;
    hi = pmax;
    while (lo < hi) {
      uint64_t mid = (lo + hi + 1) / 2;
      out->tile_p = (uint32_t)mid;
      if (spx_lpa_tile_ibytes(g, out) <= half_i) lo = mid;
      else hi = mid - 1;
    }
    out->tile_p = (uint32_t)lo;
  }
  if (out->tile_p < g->p && out->tile_p >= g->ow) out->tile_p -= out->tile_p % g->ow;
  out->tiles = (uint32_t)(ceil_div(g->cout, out->tile_m) * ceil_div(g->p, out->tile_p) *
                          ceil_div(g->k, out->tile_k));
}

/* ---- costs ------------------------------------------------------------------ */

/* Row blocks of output channels [m0, m1): a block never spans conv groups. */
static uint64_t row_blocks(const spx_lpa_geom_t *g, uint64_t rows, uint64_t m0, uint64_t m1,
                           uint64_t *busy, uint64_t per_block, uint32_t nrows) {
  uint64_t blocks = 0, grp;
  for (grp = m0 / g->cout_g; grp * g->cout_g < m1; ++grp) {
    uint64_t a = grp * g->cout_g > m0 ? grp * g->cout_g : m0;
    uint64_t b = (grp + 1) * g->cout_g < m1 ? (grp + 1) * g->cout_g : m1;
    uint64_t r0, r;
    for (r0 = a; r0 < b; r0 += rows) {
      uint64_t sz = b - r0 < rows ? b - r0 : rows;
      ++blocks;
      if (busy)
        for (r = 0; r < sz && r < nrows; ++r) busy[r] += per_block;
    }
  }
  return blocks;
}

/* Sum over the tiles of one dimension of ceil(tile / unit). */
static uint64_t steps(uint64_t total, uint64_t tile, uint64_t unit) {
  return total / tile * ceil_div(tile, unit) + ceil_div(total % tile, unit);
}

/* Compute cycles of one design with tiling t and `pairs` products per PE
 * cycle; fills the counters when `out` is given. */
static uint64_t compute_cycles(const spx_lpa_mdesc_t *md, const spx_lpa_geom_t *g,
                               const spx_lpa_tiling_t *t, unsigned pairs, spx_lpa_cost_t *out) {
  uint64_t rows = (uint64_t)md->rows, m0, blocks = 0;
  uint64_t passes = steps(g->p, t->tile_p, (uint64_t)md->cols);
  uint64_t ks = steps(g->k, t->tile_k, pairs);
  for (m0 = 0; m0 < g->cout; m0 += t->tile_m) {
    uint64_t m1 = m0 + t->tile_m < g->cout ? m0 + t->tile_m : g->cout;
    blocks += row_blocks(g, rows, m0, m1, out ? out->rows_busy : NULL, passes * ks,
                         out ? out->nrows : 0);
  }
  if (out) {
    out->row_blocks = blocks;
    out->col_passes = passes;
    out->k_steps = ks;
  }
  return blocks * passes * ks;
}

/* DRAM bytes of one design: weights `wtotal` (with their per-channel data),
 * inputs and outputs; *in_b gets the input bytes. */
static uint64_t dram_bytes(const spx_lpa_geom_t *g, const spx_lpa_tiling_t *t, uint64_t wtotal,
                           uint64_t *in_b) {
  uint64_t mt = ceil_div(g->cout, t->tile_m), pt = ceil_div(g->p, t->tile_p);
  uint64_t kt = ceil_div(g->k, t->tile_k);
  if (pt == 1 && kt == 1) *in_b = (uint64_t)g->n * g->cin * g->h * g->w;
  else *in_b = spx_lpa_tile_ibytes(g, t) * pt * kt * mt;
  return (kt == 1 ? wtotal : wtotal * pt) + *in_b + (uint64_t)g->cout * g->p;
}

void spx_lpa_pe_cost(const spx_lpa_mdesc_t *md, const spx_lpa_geom_t *g,
                     const spx_lpa_weights_t *w, const spx_lpa_tiling_t *t,
                     spx_lpa_cost_t *out) {
  uint64_t in_b, in8;
  unsigned d;
  int lp = w->encoding == SPX_FMT_LP;
  memset(out, 0, sizeof *out);
  out->pairs = w->pairs;
  out->nrows = (uint32_t)((uint64_t)md->rows < g->cout_g ? (uint64_t)md->rows : g->cout_g);
  out->macs = (uint64_t)g->cout * g->k * g->p;
  /* lpa: the stream's tiles, its codes; int8: its own plan, int8 bytes. */
  out->tiling[SPX_LPA_LPA] = *t;
  spx_lpa_plan(md, g, spx_lpa_weight_bytes_per_m(g, 8), &out->tiling[SPX_LPA_INT8]);
  out->compute[SPX_LPA_LPA] = compute_cycles(md, g, t, w->pairs, out);
  out->compute[SPX_LPA_INT8] = compute_cycles(md, g, &out->tiling[SPX_LPA_INT8], 1, NULL);
  /* Weights as the array stores them, plus per channel the requantization
   * (int32 multiplier and shift) and the bias (LP: int64 in the
   * accumulator's fixed point, and the 256-entry activation table). */
  out->weight_bytes[SPX_LPA_LPA] =
      g->cout * (spx_lpa_weight_bytes_per_m(g, w->w_bits) + (lp ? 16u : 12u)) +
      (lp ? 32u * w->a_bits : 0u);
  out->weight_bytes[SPX_LPA_INT8] = g->cout * (spx_lpa_weight_bytes_per_m(g, 8) + 12u);
  out->dram_bytes[SPX_LPA_LPA] = dram_bytes(g, t, out->weight_bytes[SPX_LPA_LPA], &in_b);
  out->dram_bytes[SPX_LPA_INT8] =
      dram_bytes(g, &out->tiling[SPX_LPA_INT8], out->weight_bytes[SPX_LPA_INT8], &in8);
  out->input_bytes = in_b;
  out->output_bytes = (uint64_t)g->cout * g->p;
  for (d = 0; d < SPX_LPA_DESIGN_COUNT; ++d) {
    out->dram[d] = ceil_div(out->dram_bytes[d], (uint64_t)md->dram_bytes);
    out->latency[d] = out->compute[d] > out->dram[d] ? out->compute[d] : out->dram[d];
  }
}

void spx_lpa_host_cost(const spx_lpa_mdesc_t *md, const spx_cs_cpu_layer_t *l,
                       const spx_cs_tensor_t *const tensors[5], spx_lpa_cost_t *out) {
  uint64_t work, cyc, dram;
  unsigned d;
  memset(out, 0, sizeof *out);
  spx_tk_host_work(l, tensors, &work, &out->input_bytes, &out->output_bytes);
  cyc = ceil_div(work, (uint64_t)md->host_lanes);
  dram = ceil_div(out->input_bytes + out->output_bytes, (uint64_t)md->dram_bytes);
  for (d = 0; d < SPX_LPA_DESIGN_COUNT; ++d) {
    out->compute[d] = cyc;
    out->dram_bytes[d] = out->input_bytes + out->output_bytes;
    out->dram[d] = dram;
    out->latency[d] = cyc > dram ? cyc : dram;
  }
}
