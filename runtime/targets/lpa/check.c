/* runtime/targets/lpa/check.c - the stream description of the lpa target:
 * its opcodes (opcodes.h) and the loader's rules for its commands. Both
 * opcodes carry a layer, so the cpu.layer rules run first; then the lpa
 * rules: which layers run where, the machine description blob, the weights
 * (LP codes, fully validated, or dense int8), the PE mode, and the tiling -
 * bounds, alignment to the PE rows, the tile count (those two and the blob
 * with the target kit's checks), and that every tile fits half of its
 * buffer. */
#include "runtime/targets/lpa/lpa.h"
#include "runtime/stream/cs_internal.h"

static spx_rt_status_t check_command(struct cs_vctx *v, uint32_t i,
                                     const struct spx_cs_command *cmd,
                                     const spx_cs_opcode_info_t *info) {
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const char *opn = spx_cs_opcode_info(cmd->opcode)->name;
  const char *op = spx_cs_cpu_op_name(l->op);
  int on_pe = l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE;
  const spx_cs_lpa_pe_t *pe = &SPX_CS_U(*cmd, lpa_pe);
  spx_cs_tensor_t in, out;
  spx_cs_blob_t wb;
  int64_t mv[SPX_LPA_MDESC_COUNT];
  spx_lpa_mdesc_t md;
  spx_lpa_geom_t g;
  spx_lpa_tiling_t t;
  spx_lpa_weights_t w;
  spx_rt_error_t why;
  uint64_t wpm, wbytes, ibytes, obytes;
  spx_rt_status_t rc = cs_check_cpu_layer(v, i, cmd, info);
  if (rc != SPX_RT_OK) return rc;
  if (cmd->opcode == SPX_CS_OP_LPA_HOST) {
    if (on_pe)
      return cs_bad(v, "command %u (%s): field 'op': %s runs on the PE array (lpa.pe), not on "
                    "the host", (unsigned)i, opn, op);
    return SPX_RT_OK;
  }
  if (!on_pe)
    return cs_bad(v, "command %u (%s): field 'op': the PE array runs conv2d and dense, not %s",
                  (unsigned)i, opn, op);
  cs_get_tensor(v, l->in0, &in);
  cs_get_tensor(v, l->out, &out);
  if (in.dtype != SPX_CS_DTYPE_INT8)
    return cs_bad(v, "command %u (%s): field 'in0': the PE array takes int8, got %s",
                  (unsigned)i, opn, spx_cs_dtype_name(in.dtype));
  if (out.dtype != SPX_CS_DTYPE_INT8)
    return cs_bad(v, "command %u (%s): field 'out': the PE array writes int8, got %s",
                  (unsigned)i, opn, spx_cs_dtype_name(out.dtype));
  if ((rc = spx_tk_check_mdesc(v, i, opn, pe->mdesc, &spx_target_lpa_mdesc, mv)) != SPX_RT_OK)
    return rc;
  spx_lpa_mdesc_from_values(mv, &md);
  if (spx_lpa_geom_init(&g, l, &in, &out))
    return cs_bad(v, "command %u (%s): field 'op': bad %s geometry", (unsigned)i, opn, op);
  cs_get_blob(v, l->weights, &wb);
  if (spx_lpa_weights_open(&w, &g, wb.encoding, wb.dtype, wb.data, wb.length, &why))
    return cs_bad(v, "command %u (%s): field 'weights': blob%u: %s", (unsigned)i, opn,
                  (unsigned)l->weights, why.message);
  if (pe->pairs != w.pairs)
    return cs_bad(v, "command %u (%s): field 'pairs': %u, but %s weights with %s activations "
                  "take %u product%s per PE cycle", (unsigned)i, opn, (unsigned)pe->pairs,
                  w.encoding == SPX_FMT_LP ? "LP" : "int8",
                  w.encoding == SPX_FMT_LP ? "LP" : "int8", (unsigned)w.pairs,
                  w.pairs == 1 ? "" : "s");
  t.tile_m = pe->tile_m;
  t.tile_k = pe->tile_k;
  t.tile_p = pe->tile_p;
  t.tiles = cmd->iterations;
  if ((rc = spx_tk_check_tiles(v, i, opn, &g, &t, (uint32_t)md.rows, "PE rows", 0)) != SPX_RT_OK) return rc;
  wpm = spx_lpa_weight_bytes_per_m(&g, w.w_bits);
  wbytes = spx_lpa_tile_wbytes(&g, &t, wpm);
  ibytes = spx_lpa_tile_ibytes(&g, &t);
  obytes = spx_lpa_tile_obytes(&t);
  if (wbytes > (uint64_t)md.wbuf_kb * 512u)
    return cs_bad(v, "command %u (%s): field 'tile_m': a weight tile of %llu bytes exceeds half "
                  "the weight buffer (%llu bytes)", (unsigned)i, opn, (unsigned long long)wbytes,
                  (unsigned long long)md.wbuf_kb * 512u);
  if (ibytes > (uint64_t)md.abuf_kb * 512u)
    return cs_bad(v, "command %u (%s): field 'tile_p': an input tile of %llu bytes exceeds half "
                  "the activation buffer (%llu bytes)", (unsigned)i, opn,
                  (unsigned long long)ibytes, (unsigned long long)md.abuf_kb * 512u);
  if (obytes > (uint64_t)md.obuf_kb * 512u)
    return cs_bad(v, "command %u (%s): field 'tile_p': an output tile of %llu bytes exceeds half "
                  "the output buffer (%llu bytes)", (unsigned)i, opn,
                  (unsigned long long)obytes, (unsigned long long)md.obuf_kb * 512u);
  return SPX_RT_OK;
}

SPX_CS_DEFINE_OPCODE_TABLE(SPX_CS_OPCODES_LPA, lpa_opcodes)

const spx_cs_target_stream_t spx_target_lpa_stream = {
    lpa_opcodes, sizeof lpa_opcodes / sizeof lpa_opcodes[0], check_command};
