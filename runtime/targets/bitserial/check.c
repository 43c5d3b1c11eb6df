/* runtime/targets/bitserial/check.c - the stream description of the
 * bitserial target: its opcodes (opcodes.h) and the loader's rules for its
 * commands. Both opcodes carry a layer, so the cpu.layer rules run first;
 * then the bitserial rules: which layers run
 * where, the machine description blob, and the tiling - counts, alignment
 * to the PE array (those and the blob with the target kit's checks), and
 * that every tile fits its SRAM. */
#include "runtime/targets/bitserial/bitserial.h"
#include "runtime/stream/cs_internal.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

static spx_rt_status_t check_command(struct cs_vctx *v, uint32_t i,
                                     const struct spx_cs_command *cmd,
                                     const spx_cs_opcode_info_t *info) {
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const char *opn = spx_cs_opcode_info(cmd->opcode)->name;
  const char *op = spx_cs_cpu_op_name(l->op);
  int on_pe = l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE;
  const spx_cs_bs_pe_t *pe = &SPX_CS_U(*cmd, bs_pe);
  spx_cs_tensor_t in, out;
  spx_cs_blob_t wb;
  int64_t mv[SPX_SIM_BS_MDESC_COUNT];
  spx_sim_bs_mdesc_t md;
  spx_sim_bs_geom_t g;
  spx_sim_bs_tiling_t t;
  uint64_t wpm, wbytes, ibytes;
  spx_rt_status_t rc = cs_check_cpu_layer(v, i, cmd, info);
  if (rc != SPX_RT_OK) return rc;
  if (cmd->opcode == SPX_CS_OP_BS_HOST) {
    if (on_pe)
      return cs_bad(v, "command %u (%s): field 'op': %s runs on the PE array "
                 "(bs.pe), not on the host", (unsigned)i, opn, op);
    return SPX_RT_OK;
  }
  if (!on_pe)
    return cs_bad(v, "command %u (%s): field 'op': the PE array runs conv2d and "
               "dense, not %s", (unsigned)i, opn, op);
  cs_get_tensor(v, l->in0, &in);
  cs_get_tensor(v, l->out, &out);
  if (in.dtype != SPX_CS_DTYPE_INT8)
    return cs_bad(v, "command %u (%s): field 'in0': the PE array takes int8, got %s",
               (unsigned)i, opn, spx_cs_dtype_name(in.dtype));
  if ((rc = spx_tk_check_mdesc(v, i, opn, pe->mdesc, &spx_target_bitserial_mdesc, mv)) !=
      SPX_RT_OK)
    return rc;
  spx_sim_bs_mdesc_from_values(mv, &md);
  cs_get_blob(v, l->weights, &wb);
  {
    const char *refused = "";
    if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_BITSERIAL),
                                  wb.encoding, &refused) != SPX_TARGET_NATIVE)
      return cs_bad(v, "command %u (%s): field 'weights': the PE array does not "
                 "read %s weights: %s", (unsigned)i, opn,
                 spx_cs_encoding_name(wb.encoding), refused);
  }
  if (spx_sim_bs_geom_init(&g, l, &in, &out, &md))
    return cs_bad(v, "command %u (%s): field 'op': bad %s geometry", (unsigned)i,
               opn, op);
  {
    spx_sim_bs_weights_t w;
    spx_rt_error_t werr;
    if (spx_sim_bs_weights_open(&w, &g, &md, wb.encoding, wb.data, wb.length, &werr))
      return cs_bad(v, "command %u (%s): field 'weights': blob%u: %s", (unsigned)i,
                 opn, (unsigned)l->weights, werr.message);
  }
  t.tile_m = pe->tile_m;
  t.tile_k = pe->tile_k;
  t.tile_p = pe->tile_p;
  t.tiles = cmd->iterations;
  if ((rc = spx_tk_check_tiles(v, i, opn, &g.kit, &t, (uint32_t)md.rows, "PE rows", g.gsize)) !=
      SPX_RT_OK)
    return rc;
  wpm = ceil_div(wb.length, g.cout);
  wbytes = spx_sim_bs_tile_wbytes(&g, &t, wpm);
  ibytes = spx_sim_bs_tile_ibytes(&g, &t);
  if (wbytes > (uint64_t)md.wsram_kb * 512u)
    return cs_bad(v, "command %u (%s): field 'tile_m': a weight tile of %llu bytes "
               "exceeds half the weight SRAM (%llu bytes)", (unsigned)i, opn,
               (unsigned long long)wbytes, (unsigned long long)md.wsram_kb * 512u);
  if (ibytes > (uint64_t)md.isram_kb * 512u)
    return cs_bad(v, "command %u (%s): field 'tile_p': an input tile of %llu bytes "
               "exceeds half the input SRAM (%llu bytes)", (unsigned)i, opn,
               (unsigned long long)ibytes, (unsigned long long)md.isram_kb * 512u);
  return SPX_RT_OK;
}

SPX_CS_DEFINE_OPCODE_TABLE(SPX_CS_OPCODES_BITSERIAL, bitserial_opcodes)

const spx_cs_target_stream_t spx_target_bitserial_stream = {
    bitserial_opcodes, sizeof bitserial_opcodes / sizeof bitserial_opcodes[0], check_command};
