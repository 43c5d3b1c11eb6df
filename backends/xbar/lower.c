/* lower.c - the xbar target: turns the program's cpu.layer commands into
 * the crossbar target's stream (runtime/targets/xbar/opcodes.h).
 *
 * Command i stays layer i. A binary layer becomes one xbar.mvm on the
 * arrays: a conv2d/dense (groups 1) with +-1 int8 inputs (scale 1, zero
 * point 0) whose weights are in the `binary` format (the quantize pass
 * writes it for `quantize LAYER : binary`; binsparx adds flips). Its tiles
 * come from
 * spx_xbar_plan: array-sized weight tiles, rows read sub-vector by
 * sub-vector, partial sums added digitally. Every other layer becomes one
 * xbar.host, run digitally with the cpu kernels. The machine description is
 * the int32 blob "xbar.mdesc"; the header carries its hash. The report gets
 * per layer and in total the cycles, bytes, tiles, arrays used and the
 * conducting cells stored (the same cost functions the simulator uses). */
#include <string.h>

#include "backends/target_kit.h"
#include "runtime/targets/xbar/xbar.h"

/* +-1 inputs: int8 at scale 1, zero point 0 (the output of sign). */
static int pm1_input(const spx_cs_tensor_t *t) {
  return t->dtype == SPX_CS_DTYPE_INT8 && t->scale == 1.0f && t->zero_point == 0;
}

int spx_target_xbar_lower(spx_program_t *p, spx_arena_t *arena, spx_diag_t *diag) {
  spx_xbar_mdesc_t md;
  spx_xbar_mdesc_from_values(p->mdesc, &md);
  spx_cs_image_t *img = &p->image;
  uint32_t n = img->command_count;
  spx_tk_lowering_t lw;
  spx_tk_lower_begin(&lw, p, arena, "xbar.mdesc", &spx_target_xbar_mdesc);
  uint16_t mdesc_id = lw.mdesc_id;
  spx_cs_blob_t *blobs = lw.blobs; /* the program's (copied) and the mdesc */

  uint64_t tot_lat = 0, tot_compute = 0, tot_dram = 0, stored_on = 0, cells = 0;
  unsigned mvm_layers = 0;
  int errors = 0;
  spx_xbar_cost_t c;
  for (uint32_t i = 0; i < n; i++) {
    spx_tk_layer_t L;
    spx_tk_lower_layer(&lw, i, &L);
    const spx_cs_cpu_layer_t *l = L.l;
    spx_cs_command_t *dst = L.dst;
    const spx_cs_tensor_t *const *t = L.t;
    spx_xbar_geom_t g;
    const spx_cs_blob_t *wb = l->weights != SPX_CS_NONE ? &blobs[l->weights] : NULL;
    int on_arrays = (l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE) && wb &&
                    wb->encoding == SPX_FMT_BINARY && pm1_input(t[0]) &&
                    t[4]->dtype == SPX_CS_DTYPE_INT8 && !spx_xbar_geom_init(&g, l, t[0], t[4]);
    char *js;
    if (on_arrays) {
      spx_fmt_binary_view_t w;
      spx_rt_error_t why;
      spx_xbar_tiling_t tl;
      if (spx_xbar_weights_open(&w, &g, wb->encoding, wb->data, wb->length, &why)) {
        spx_diag_error(diag, L.loc, "target xbar: layer '%s': %s", L.src->name, why.message);
        errors++;
        continue;
      }
      uint32_t read = spx_xbar_read_rows(&md, &w);
      if (spx_xbar_plan(&md, &g, read, &tl)) {
        spx_diag_error(diag, L.loc, "target xbar: layer '%s': a read of %u rows (the weights' "
                       "activation sub-vector) does not fit the %d array rows (option rows)",
                       L.src->name, (unsigned)read, (int)md.rows);
        errors++;
        continue;
      }
      dst->opcode = SPX_CS_OP_XBAR_MVM;
      dst->iterations = tl.tiles;
      SPX_CS_U(*dst, xbar_mvm).tile_m = (uint16_t)tl.tile_m;
      SPX_CS_U(*dst, xbar_mvm).tile_k = tl.tile_k;
      SPX_CS_U(*dst, xbar_mvm).tile_p = tl.tile_p;
      SPX_CS_U(*dst, xbar_mvm).mdesc = mdesc_id;
      SPX_CS_U(*dst, xbar_mvm).read_rows = (uint16_t)read;
      spx_xbar_mvm_cost(&md, &g, &w, &tl, read, &c);
      mvm_layers++;
      stored_on += c.stored_on;
      cells += c.cells;
      js = spx_arena_printf(arena,
                            "{\"unit\": \"arrays\", \"tiles\": {\"m\": %u, \"k\": %u, \"p\": %u, "
                            "\"count\": %u}, \"read_rows\": %u, \"arrays_used\": %u, "
                            "\"weight_flips\": %s, \"activation_flips\": %s, \"cells\": %llu, "
                            "\"stored_conducting\": %llu, \"flip_bits\": %u, \"weight_bits\": "
                            "%llu, \"reads\": %llu, \"write_cycles\": %llu, ",
                            tl.tile_m, tl.tile_k, tl.tile_p, tl.tiles, (unsigned)read,
                            c.arrays_used, (w.flags & SPX_FMT_BINARY_WFLIP) ? "true" : "false",
                            (w.flags & SPX_FMT_BINARY_AFLIP) ? "true" : "false",
                            (unsigned long long)c.cells, (unsigned long long)c.stored_on,
                            (unsigned)g.cout, (unsigned long long)c.cells,
                            (unsigned long long)c.reads, (unsigned long long)c.writes);
    } else {
      dst->opcode = SPX_CS_OP_XBAR_HOST;
      spx_xbar_host_cost(&md, l, t, &c);
      js = spx_arena_printf(arena, "{\"unit\": \"host\", ");
    }
    tot_lat += c.latency;
    tot_compute += c.compute + c.writes;
    tot_dram += c.dram;
    p->layers[i].target_json =
        spx_arena_printf(arena, "%s\"compute_cycles\": %llu, \"dram_bytes\": %llu, "
                         "\"dram_cycles\": %llu, \"latency_cycles\": %llu, \"latency_us\": %.3f}",
                         js, (unsigned long long)(c.compute + c.writes),
                         (unsigned long long)c.dram_bytes, (unsigned long long)c.dram,
                         (unsigned long long)c.latency,
                         (double)c.latency / (double)md.clock_mhz);
  }
  if (errors) return -1;

  char *tj = spx_tk_json_machine(&lw);
  p->target_json = spx_arena_printf(
      arena,
      "%s}, \"mdesc_hash\": \"0x%016llx\", \"commands\": \"one per layer: xbar.mvm (binary "
      "conv2d, dense; iterations = tiles) or xbar.host\", \"mvm_layers\": %u, \"cells\": %llu, "
      "\"stored_conducting\": %llu, \"compute_cycles\": %llu, \"dram_cycles\": %llu, "
      "\"latency_cycles\": %llu, \"latency_us\": %.3f}",
      tj, (unsigned long long)spx_xbar_mdesc_hash(&md), mvm_layers, (unsigned long long)cells,
      (unsigned long long)stored_on, (unsigned long long)tot_compute,
      (unsigned long long)tot_dram, (unsigned long long)tot_lat,
      (double)tot_lat / (double)md.clock_mhz);

  spx_tk_lower_end(&lw, SPX_CS_TARGET_XBAR);
  return 0;
}
