/* cost.c - geometry, weights, tiling and cycle counts of the crossbar
 * target (the model is documented in xbar.h and docs/targets.md, "xbar").
 * The compiler calls these to plan and report, the simulator and the
 * loader to check and count: one model. */
#include <string.h>

#include "runtime/targets/xbar/xbar.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : 0; }

int spx_xbar_geom_init(spx_xbar_geom_t *g, const spx_cs_cpu_layer_t *l,
                       const spx_cs_tensor_t *in, const spx_cs_tensor_t *out) {
  if (spx_tk_geom_init(g, l, in, out)) return -1;
  if (g->groups != 1 || !g->cin || !g->cout || !g->sh || !g->sw || !g->n || !g->oh || !g->ow ||
      g->k > 0xffffffffu)
    return -1;
  return 0;
}

int spx_xbar_weights_open(spx_fmt_binary_view_t *v, const spx_xbar_geom_t *g,
                          uint16_t encoding, const uint8_t *data, uint32_t size,
                          spx_rt_error_t *err) {
  spx_fmt_dims_t d;
  if (encoding != SPX_FMT_BINARY)
    return spx_rt_error_set(err, SPX_RT_ERR_UNSUPPORTED, "%s weights: the arrays hold binary "
                            "weights (the `binary` format)", spx_fmt_find(encoding)
                            ? spx_fmt_find(encoding)->name : "unknown"), -1;
  if (g->kh > 0xffff || g->kw > 0xffff)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "kernel too large"), -1;
  d.rows = g->cout;
  d.cols = g->cin_g;
  d.kh = (uint16_t)g->kh;
  d.kw = (uint16_t)g->kw;
  d.groups = g->groups;
  if (!data || spx_fmt_binary_open(data, size, &d, v, err) != SPX_RT_OK) return -1;
  spx_rt_error_clear(err);
  return 0;
}

uint32_t spx_xbar_read_rows(const spx_xbar_mdesc_t *md, const spx_fmt_binary_view_t *v) {
  return (v->flags & SPX_FMT_BINARY_AFLIP) && v->subvector ? v->subvector
                                                            : (uint32_t)md->read_rows;
}

int spx_xbar_plan(const spx_xbar_mdesc_t *md, const spx_xbar_geom_t *g, uint32_t read,
                  spx_xbar_tiling_t *out) {
  uint64_t k = read ? (uint64_t)md->rows / read * read : 0;
  if (!k) return -1;
  out->tile_m = (uint32_t)((uint64_t)md->cols < g->cout ? (uint64_t)md->cols : g->cout);
  out->tile_k = (uint32_t)(k < g->k ? k : g->k);
  out->tile_p = (uint32_t)g->p;
  out->tiles = (uint32_t)(ceil_div(g->cout, out->tile_m) * ceil_div(g->k, out->tile_k));
  return 0;
}

void spx_xbar_mvm_cost(const spx_xbar_mdesc_t *md, const spx_xbar_geom_t *g,
                       const spx_fmt_binary_view_t *v, const spx_xbar_tiling_t *t,
                       uint32_t read, spx_xbar_cost_t *out) {
  uint64_t tk = ceil_div(g->k, t->tile_k), tm = ceil_div(g->cout, t->tile_m);
  uint64_t tiles = tk * tm, arrays = (uint64_t)md->arrays, a, tile, most = 0, wmost = 0;
  uint64_t reads_px = 0;
  uint32_t r, i;
  memset(out, 0, sizeof *out);
  /* Tile `tile` = (m block tile / tk, k block tile % tk) goes to array
   * tile % arrays. */
  for (a = 0; a < arrays && a < tiles; ++a) {
    uint64_t sum = 0, wr = 0, n = 0;
    for (tile = a; tile < tiles; tile += arrays) {
      uint64_t k0 = (tile % tk) * t->tile_k;
      uint64_t klen = g->k - k0 < t->tile_k ? g->k - k0 : t->tile_k;
      sum += ceil_div(klen, read);
      if (n++) wr += klen;
    }
    reads_px += sum;
    if (sum > most) most = sum;
    if (wr > wmost) wmost = wr;
  }
  out->tiles = (uint32_t)tiles;
  out->arrays_used = (uint32_t)(tiles < arrays ? tiles : arrays);
  out->reads = reads_px * g->p;
  out->compute = most * g->p;
  out->writes = wmost;
  out->weight_bytes = spx_fmt_binary_encoded_size(&v->dims);
  out->dram_bytes = out->weight_bytes + (uint64_t)g->n * g->cin * g->h * g->w +
                    (uint64_t)g->cout * g->p;
  out->dram = ceil_div(out->dram_bytes, (uint64_t)md->dram_bytes);
  out->latency = out->compute + out->writes > out->dram ? out->compute + out->writes : out->dram;
  out->cells = (uint64_t)g->cout * g->k;
  for (r = 0; r < v->dims.rows; ++r)
    for (i = 0; i < v->row_len; ++i) out->stored_on += (uint64_t)spx_fmt_binary_stored(v, r, i);
}

void spx_xbar_host_cost(const spx_xbar_mdesc_t *md, const spx_cs_cpu_layer_t *l,
                        const spx_cs_tensor_t *const tensors[5], spx_xbar_cost_t *out) {
  uint64_t work, in_b, out_b;
  memset(out, 0, sizeof *out);
  spx_tk_host_work(l, tensors, &work, &in_b, &out_b);
  out->compute = ceil_div(work, (uint64_t)md->host_lanes);
  out->dram_bytes = in_b + out_b;
  out->dram = ceil_div(out->dram_bytes, (uint64_t)md->dram_bytes);
  out->latency = out->compute > out->dram ? out->compute : out->dram;
}
