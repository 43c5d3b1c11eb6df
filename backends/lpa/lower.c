/* lower.c - the lpa target: turns the program's cpu.layer commands into the
 * LP array's command stream (runtime/targets/lpa/opcodes.h).
 *
 * Command i stays layer i: a conv2d/dense with LP weights (the LP datapath)
 * or dense int8 weights (the array's int8 mode) becomes one lpa.pe whose
 * iterations are its tiles (tile_m output channels x tile_p output pixels x
 * tile_k reduction elements, output-stationary, chosen by spx_lpa_plan to
 * fit half of each buffer); every other layer becomes one lpa.host, as on
 * the bitserial target. The machine description (SPX_LPA_MDESC defaults,
 * overridden by the target's options) is added as the int32 blob
 * "lpa.mdesc"; the header carries its hash. The report gets, per layer and
 * in total, the cycles on the LP array and on an int8 MAC array of the same
 * PE count and buffers (the same cost functions the simulator uses), and
 * their ratio. */
#include <string.h>

#include "backends/target_kit.h"
#include "runtime/targets/lpa/lpa.h"

static void cost_json(spx_arena_t *arena, char **s, const char *key, const uint64_t v[]) {
  spx_tk_json_designs(arena, s, key, v, SPX_LPA_DESIGN_COUNT, spx_lpa_design_name);
}

/* int8 latency / lpa latency: above 1 when the LP array is faster. */
static double ratio(const uint64_t lat[]) {
  return lat[SPX_LPA_LPA] ? (double)lat[SPX_LPA_INT8] / (double)lat[SPX_LPA_LPA] : 1.0;
}

int spx_target_lpa_lower(spx_program_t *p, spx_arena_t *arena, spx_diag_t *diag) {
  spx_lpa_mdesc_t md;
  spx_lpa_mdesc_from_values(p->mdesc, &md);
  spx_cs_image_t *img = &p->image;
  uint32_t n = img->command_count;

  /* The machine-description blob, after the program's blobs. */
  spx_tk_lowering_t lw;
  spx_tk_lower_begin(&lw, p, arena, "lpa.mdesc", &spx_target_lpa_mdesc);
  uint16_t mdesc_id = lw.mdesc_id;

  uint64_t tot_lat[SPX_LPA_DESIGN_COUNT] = {0}, pe_lat[SPX_LPA_DESIGN_COUNT] = {0};
  uint64_t tot_compute[SPX_LPA_DESIGN_COUNT] = {0}, tot_dram[SPX_LPA_DESIGN_COUNT] = {0};
  uint64_t pe_compute[SPX_LPA_DESIGN_COUNT] = {0};
  uint64_t macs = 0;
  unsigned lp_layers = 0, int8_layers = 0;
  int errors = 0;
  spx_lpa_cost_t *c = spx_arena_alloc(arena, sizeof *c);
  for (uint32_t i = 0; i < n; i++) {
    spx_tk_layer_t L;
    spx_tk_lower_layer(&lw, i, &L);
    const spx_cs_command_t *src = L.src;
    const spx_cs_cpu_layer_t *l = L.l;
    spx_cs_command_t *dst = L.dst;
    const spx_cs_tensor_t *const *t = L.t;
    char *js = "{";
    spx_loc_t loc = L.loc;
    if (l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE) {
      spx_lpa_geom_t g;
      const spx_cs_blob_t *wb = &img->blobs[l->weights];
      if (t[0]->dtype != SPX_CS_DTYPE_INT8 || t[4]->dtype != SPX_CS_DTYPE_INT8 ||
          (wb->encoding == SPX_CS_ENC_DENSE && wb->dtype != SPX_CS_DTYPE_INT8)) {
        spx_diag_error(diag, loc, "target lpa: layer '%s' is not int8 or LP; the PE array needs "
                       "quantized weights and activations (add 'quantize int8', and 'quantize "
                       "LAYER : lp(...)' for the LP datapath)", src->name);
        errors++;
        continue;
      }
      if (spx_lpa_geom_init(&g, l, t[0], t[4])) {
        spx_diag_error(diag, loc, "target lpa: layer '%s': unusable %s geometry", src->name,
                       spx_cs_cpu_op_name(l->op));
        errors++;
        continue;
      }
      spx_lpa_weights_t w;
      spx_rt_error_t why;
      /* program.c decoded or refused what the array does not read. */
      if (spx_lpa_weights_open(&w, &g, wb->encoding, wb->dtype, wb->data, wb->length, &why)) {
        spx_diag_error(diag, loc, "target lpa: layer '%s': %s", src->name, why.message);
        errors++;
        continue;
      }
      spx_lpa_tiling_t tl;
      uint64_t wpm = spx_lpa_weight_bytes_per_m(&g, w.w_bits);
      spx_lpa_plan(&md, &g, wpm, &tl);
      /* The plan's smallest tiles may still not fit (a tall kernel, a wide
       * input row, a tiny output buffer): what the loader would refuse is an
       * error here. */
      uint64_t half[3] = {(uint64_t)md.wbuf_kb * 512u, (uint64_t)md.abuf_kb * 512u,
                          (uint64_t)md.obuf_kb * 512u};
      uint64_t need[3] = {spx_lpa_tile_wbytes(&g, &tl, wpm), spx_lpa_tile_ibytes(&g, &tl),
                          spx_lpa_tile_obytes(&tl)};
      static const char *const what[3] = {"weight", "input", "output"};
      static const char *const buf[3] = {"weight", "activation", "output"};
      static const char *const opt[3] = {"wbuf_kb", "abuf_kb", "obuf_kb"};
      int bad = -1;
      for (int k = 0; k < 3 && bad < 0; k++)
        if (need[k] > half[k]) bad = k;
      if (bad >= 0) {
        spx_diag_error(diag, loc, "target lpa: layer '%s': its smallest %s tile takes %llu bytes, "
                       "more than half the %s buffer (%llu bytes; option %s)", src->name,
                       what[bad], (unsigned long long)need[bad], buf[bad],
                       (unsigned long long)half[bad], opt[bad]);
        errors++;
        continue;
      }
      dst->opcode = SPX_CS_OP_LPA_PE;
      dst->iterations = tl.tiles;
      SPX_CS_U(*dst, lpa_pe).tile_m = (uint16_t)tl.tile_m;
      SPX_CS_U(*dst, lpa_pe).tile_k = tl.tile_k;
      SPX_CS_U(*dst, lpa_pe).tile_p = tl.tile_p;
      SPX_CS_U(*dst, lpa_pe).mdesc = mdesc_id;
      SPX_CS_U(*dst, lpa_pe).pairs = w.pairs;
      spx_lpa_pe_cost(&md, &g, &w, &tl, c);
      char wf[64], af[64];
      spx_lpa_format_text(&w, 0, wf, sizeof wf);
      spx_lpa_format_text(&w, 1, af, sizeof af);
      const spx_lpa_tiling_t *t8 = &c->tiling[SPX_LPA_INT8];
      js = spx_arena_printf(arena,
                            "{\"unit\": \"pe\", \"mode\": \"%s\", \"weight_format\": \"%s\", "
                            "\"act_format\": \"%s\", \"pairs\": %u, \"macs\": %llu, "
                            "\"tiles\": {\"m\": %u, \"k\": %u, \"p\": %u, \"count\": %u}, "
                            "\"int8_tiles\": {\"m\": %u, \"k\": %u, \"p\": %u, \"count\": %u}, "
                            "\"row_blocks\": %llu, \"col_passes\": %llu, \"k_steps\": %llu, ",
                            w.encoding == SPX_FMT_LP ? "lp" : "int8", wf, af, (unsigned)w.pairs,
                            (unsigned long long)c->macs, tl.tile_m, tl.tile_k, tl.tile_p,
                            tl.tiles, t8->tile_m, t8->tile_k, t8->tile_p, t8->tiles,
                            (unsigned long long)c->row_blocks, (unsigned long long)c->col_passes,
                            (unsigned long long)c->k_steps);
      if (w.encoding == SPX_FMT_LP) lp_layers++;
      else int8_layers++;
      macs += c->macs;
      for (unsigned d = 0; d < SPX_LPA_DESIGN_COUNT; d++) {
        pe_lat[d] += c->latency[d];
        pe_compute[d] += c->compute[d];
      }
    } else {
      dst->opcode = SPX_CS_OP_LPA_HOST;
      spx_lpa_host_cost(&md, l, t, c);
      js = spx_arena_printf(arena, "{\"unit\": \"host\", ");
    }
    for (unsigned d = 0; d < SPX_LPA_DESIGN_COUNT; d++) {
      tot_lat[d] += c->latency[d];
      tot_compute[d] += c->compute[d];
      tot_dram[d] += c->dram[d];
    }
    cost_json(arena, &js, "compute_cycles", c->compute);
    js = spx_arena_printf(arena, "%s, ", js);
    cost_json(arena, &js, "dram_bytes", c->dram_bytes);
    js = spx_arena_printf(arena, "%s, ", js);
    cost_json(arena, &js, "dram_cycles", c->dram);
    js = spx_arena_printf(arena, "%s, ", js);
    cost_json(arena, &js, "latency_cycles", c->latency);
    js = spx_arena_printf(arena, "%s, \"bound\": \"%s\", \"latency_us\": %.3f, \"ratio\": %.4f}",
                          js, c->compute[SPX_LPA_LPA] >= c->dram[SPX_LPA_LPA] ? "compute" : "dram",
                          (double)c->latency[SPX_LPA_LPA] / (double)md.clock_mhz,
                          ratio(c->latency));
    p->layers[i].target_json = js;
  }
  if (errors) return -1;

  char *tj = spx_tk_json_machine(&lw);
  tj = spx_arena_printf(arena,
                        "%s}, \"mdesc_hash\": \"0x%016llx\", \"commands\": \"one per layer: "
                        "lpa.pe (conv2d, dense; iterations = tiles) or lpa.host\", "
                        "\"lp_layers\": %u, \"int8_layers\": %u, \"macs\": %llu, ",
                        tj, (unsigned long long)spx_lpa_mdesc_hash(&md), lp_layers, int8_layers,
                        (unsigned long long)macs);
  cost_json(arena, &tj, "compute_cycles", tot_compute);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "dram_cycles", tot_dram);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "latency_cycles", tot_lat);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "pe_compute_cycles", pe_compute);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "pe_latency_cycles", pe_lat);
  tj = spx_arena_printf(arena, "%s, \"latency_us\": %.3f, \"ratio\": %.4f, \"pe_ratio\": %.4f, "
                        "\"pe_compute_ratio\": %.4f}",
                        tj, (double)tot_lat[SPX_LPA_LPA] / (double)md.clock_mhz, ratio(tot_lat),
                        ratio(pe_lat), ratio(pe_compute));
  p->target_json = tj;

  spx_tk_lower_end(&lw, SPX_CS_TARGET_LPA);
  return 0;
}
