/* lower.c - the bitserial target: turns the program's cpu.layer commands into
 * the bit-serial command stream (runtime/targets/bitserial/opcodes.h).
 *
 * Command i stays layer i: an int8 conv2d/dense becomes one bs.pe whose
 * iterations are its tiles (tile_m output channels x tile_p output pixels x
 * tile_k reduction elements, chosen by spx_sim_bs_plan to fit half of each
 * SRAM); every other layer becomes one bs.host. The machine description
 * (defaults of runtime/sim/bitserial, overridden by the target's options)
 * is added as the int32 blob "bitserial.mdesc"; the header carries its hash.
 * The report gets, per layer, the cycles of BBS and of each baseline design
 * (the same cost functions the simulator uses) and, per program, totals and
 * speedups. Weights stay as the program has them: dense int8, or BBS and
 * ternary encodings, which the PE array runs natively (a ternary layer's
 * report also says N, K and the ternary groups per PE step). */
#include <string.h>

#include "backends/target_kit.h"
#include "runtime/targets/bitserial/bitserial.h"

static void cost_json(spx_arena_t *arena, char **s, const char *key, const uint64_t v[]) {
  spx_tk_json_designs(arena, s, key, v, SPX_SIM_BS_DESIGN_COUNT, spx_sim_bs_design_name);
}

static void speedup_json(spx_arena_t *arena, char **s, const char *key, const uint64_t lat[]) {
  *s = spx_arena_printf(arena, "%s\"%s\": {", *s, key);
  for (unsigned d = 1; d < SPX_SIM_BS_DESIGN_COUNT; d++)
    *s = spx_arena_printf(arena, "%s%s\"%s\": %.4f", *s, d > 1 ? ", " : "",
                          spx_sim_bs_design_name(d),
                          lat[SPX_SIM_BS_BBS] ? (double)lat[d] / (double)lat[SPX_SIM_BS_BBS] : 1.0);
  *s = spx_arena_printf(arena, "%s}", *s);
}

int spx_target_bitserial_lower(spx_program_t *p, spx_arena_t *arena, spx_diag_t *diag) {
  spx_sim_bs_mdesc_t md;
  spx_sim_bs_mdesc_from_values(p->mdesc, &md);
  spx_cs_image_t *img = &p->image;
  uint32_t n = img->command_count;

  /* The machine-description blob, after the program's blobs. */
  spx_tk_lowering_t lw;
  spx_tk_lower_begin(&lw, p, arena, "bitserial.mdesc", &spx_target_bitserial_mdesc);
  uint16_t mdesc_id = lw.mdesc_id;

  uint64_t tot_lat[SPX_SIM_BS_DESIGN_COUNT] = {0}, pe_lat[SPX_SIM_BS_DESIGN_COUNT] = {0};
  uint64_t tot_compute[SPX_SIM_BS_DESIGN_COUNT] = {0}, tot_dram[SPX_SIM_BS_DESIGN_COUNT] = {0};
  uint64_t groups = 0, cols = 0;
  int errors = 0;
  spx_sim_bs_cost_t *c = spx_arena_alloc(arena, sizeof *c);
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
      spx_sim_bs_geom_t g;
      const spx_cs_blob_t *wb = &img->blobs[l->weights];
      if (t[0]->dtype != SPX_CS_DTYPE_INT8 ||
          (wb->encoding == SPX_CS_ENC_DENSE && wb->dtype != SPX_CS_DTYPE_INT8)) {
        spx_diag_error(diag, loc, "target bitserial: layer '%s' is not int8; the PE array "
                       "needs quantized weights and activations (add 'quantize int8')", src->name);
        errors++;
        continue;
      }
      const char *refused = "";
      if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_BITSERIAL), wb->encoding,
                                    &refused) != SPX_TARGET_NATIVE) {
        /* program.c decoded or refused it already; a blob here is a bug. */
        spx_diag_error(diag, loc, "target bitserial: layer '%s' has %s weights: %s", src->name,
                       spx_cs_encoding_name(wb->encoding), refused);
        errors++;
        continue;
      }
      SPX_ASSERT(spx_sim_bs_geom_init(&g, l, t[0], t[4], &md) == 0);
      spx_sim_bs_weights_t w;
      spx_rt_error_t why;
      if (spx_sim_bs_weights_open(&w, &g, &md, wb->encoding, wb->data, wb->length, &why)) {
        spx_diag_error(diag, loc, "target bitserial: layer '%s': %s", src->name, why.message);
        errors++;
        continue;
      }
      spx_sim_bs_tiling_t tl;
      uint64_t wpm = (wb->length + g.cout - 1) / g.cout;
      spx_sim_bs_plan(&md, &g, wpm, &tl);
      /* The plan's smallest tiles may still not fit (a tall kernel, a wide
       * input row): what the loader would refuse is an error here. */
      uint64_t half_w = (uint64_t)md.wsram_kb * 512u, half_i = (uint64_t)md.isram_kb * 512u;
      uint64_t wbytes = spx_sim_bs_tile_wbytes(&g, &tl, wpm);
      uint64_t ibytes = spx_sim_bs_tile_ibytes(&g, &tl);
      if (wbytes > half_w || ibytes > half_i) {
        bool w_big = wbytes > half_w;
        spx_diag_error(diag, loc, "target bitserial: layer '%s': its smallest %s tile takes %llu "
                       "bytes, more than half the %s SRAM (%llu bytes; option %s)", src->name,
                       w_big ? "weight" : "input", (unsigned long long)(w_big ? wbytes : ibytes),
                       w_big ? "weight" : "input", (unsigned long long)(w_big ? half_w : half_i),
                       w_big ? "wsram_kb" : "isram_kb");
        errors++;
        continue;
      }
      dst->opcode = SPX_CS_OP_BS_PE;
      dst->iterations = tl.tiles;
      SPX_CS_U(*dst, bs_pe).tile_m = (uint16_t)tl.tile_m;
      SPX_CS_U(*dst, bs_pe).tile_k = tl.tile_k;
      SPX_CS_U(*dst, bs_pe).tile_p = tl.tile_p;
      SPX_CS_U(*dst, bs_pe).mdesc = mdesc_id;
      if (spx_sim_bs_pe_cost(&md, &w, &tl, c)) {
        spx_diag_error(diag, loc, "target bitserial: layer '%s': unreadable weights", src->name);
        errors++;
        continue;
      }
      js = spx_arena_printf(arena,
                            "{\"unit\": \"pe\", \"tiles\": {\"m\": %u, \"k\": %u, \"p\": %u, "
                            "\"count\": %u}, \"groups\": %llu, \"group_size\": %u, "
                            "\"avg_kept_columns\": %.4f, \"const_groups\": %llu, "
                            "\"row_blocks\": %llu, \"col_passes\": %llu, ",
                            tl.tile_m, tl.tile_k, tl.tile_p, tl.tiles,
                            (unsigned long long)c->groups, g.gsize,
                            c->groups ? (double)c->bbs_cols / (double)c->groups : 0.0,
                            (unsigned long long)c->const_groups,
                            (unsigned long long)c->row_blocks, (unsigned long long)c->col_passes);
      if (w.encoding == SPX_FMT_TERNARY)
        js = spx_arena_printf(arena, "%s\"ternary\": {\"n\": %u, \"k\": %u, "
                              "\"groups_per_step\": %u}, ", js, w.ternary.n, w.ternary.k,
                              w.tern_per_step);
      groups += c->groups;
      cols += c->bbs_cols;
      for (unsigned d = 0; d < SPX_SIM_BS_DESIGN_COUNT; d++) pe_lat[d] += c->latency[d];
    } else {
      dst->opcode = SPX_CS_OP_BS_HOST;
      spx_sim_bs_host_cost(&md, l, t, c);
      js = spx_arena_printf(arena, "{\"unit\": \"host\", ");
    }
    for (unsigned d = 0; d < SPX_SIM_BS_DESIGN_COUNT; d++) {
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
    js = spx_arena_printf(arena, "%s, \"bound\": \"%s\", \"latency_us\": %.3f, ", js,
                          c->compute[0] >= c->dram[0] ? "compute" : "dram",
                          (double)c->latency[0] / (double)md.clock_mhz);
    speedup_json(arena, &js, "speedup", c->latency);
    p->layers[i].target_json = spx_arena_printf(arena, "%s}", js);
  }
  if (errors) return -1;

  char *tj = spx_tk_json_machine(&lw);
  tj = spx_arena_printf(arena,
                        "%s}, \"mdesc_hash\": \"0x%016llx\", \"commands\": \"one per layer: "
                        "bs.pe (conv2d, dense; iterations = tiles) or bs.host\", "
                        "\"groups\": %llu, \"avg_kept_columns\": %.4f, ",
                        tj, (unsigned long long)spx_sim_bs_mdesc_hash(&md),
                        (unsigned long long)groups, groups ? (double)cols / (double)groups : 0.0);
  cost_json(arena, &tj, "compute_cycles", tot_compute);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "dram_cycles", tot_dram);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "latency_cycles", tot_lat);
  tj = spx_arena_printf(arena, "%s, ", tj);
  cost_json(arena, &tj, "pe_latency_cycles", pe_lat);
  tj = spx_arena_printf(arena, "%s, \"latency_us\": %.3f, ", tj,
                        (double)tot_lat[0] / (double)md.clock_mhz);
  speedup_json(arena, &tj, "speedup", tot_lat);
  tj = spx_arena_printf(arena, "%s, ", tj);
  speedup_json(arena, &tj, "pe_speedup", pe_lat);
  p->target_json = spx_arena_printf(arena, "%s}", tj);

  spx_tk_lower_end(&lw, SPX_CS_TARGET_BITSERIAL);
  return 0;
}
