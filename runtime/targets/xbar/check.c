/* runtime/targets/xbar/check.c - the stream description of the xbar
 * target: its opcodes (opcodes.h) and the loader's rules for its commands.
 * Both opcodes carry a layer, so the cpu.layer rules run first; then the
 * xbar rules for xbar.mvm: a conv2d/dense with +-1 int8 inputs (scale 1,
 * zero point 0) and binary weights (fully validated), the machine
 * description blob and the tiling (the target kit's checks), the read
 * sub-vector, and tiles that fit an array. */
#include "runtime/targets/xbar/xbar.h"
#include "runtime/stream/cs_internal.h"

static spx_rt_status_t check_command(struct cs_vctx *v, uint32_t i,
                                     const struct spx_cs_command *cmd,
                                     const spx_cs_opcode_info_t *info) {
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const char *opn = spx_cs_opcode_info(cmd->opcode)->name;
  const char *op = spx_cs_cpu_op_name(l->op);
  const spx_cs_xbar_mvm_t *mvm = &SPX_CS_U(*cmd, xbar_mvm);
  spx_cs_tensor_t in, out;
  spx_cs_blob_t wb;
  int64_t mv[SPX_XBAR_MDESC_COUNT];
  spx_xbar_mdesc_t md;
  spx_xbar_geom_t g;
  spx_xbar_tiling_t t;
  spx_fmt_binary_view_t w;
  spx_rt_error_t why;
  uint32_t read;
  spx_rt_status_t rc = cs_check_cpu_layer(v, i, cmd, info);
  if (rc != SPX_RT_OK) return rc;
  if (cmd->opcode == SPX_CS_OP_XBAR_HOST) return SPX_RT_OK;
  if (l->op != SPX_CS_CPU_OP_CONV2D && l->op != SPX_CS_CPU_OP_DENSE)
    return cs_bad(v, "command %u (%s): field 'op': the arrays run conv2d and dense, not %s",
                  (unsigned)i, opn, op);
  cs_get_tensor(v, l->in0, &in);
  cs_get_tensor(v, l->out, &out);
  if (in.dtype != SPX_CS_DTYPE_INT8 || in.scale != 1.0f || in.zero_point != 0)
    return cs_bad(v, "command %u (%s): field 'in0': the arrays take +-1 inputs (int8, scale 1, "
                  "zero point 0)", (unsigned)i, opn);
  if (out.dtype != SPX_CS_DTYPE_INT8)
    return cs_bad(v, "command %u (%s): field 'out': the arrays' output stage writes int8, got "
                  "%s", (unsigned)i, opn, spx_cs_dtype_name(out.dtype));
  if ((rc = spx_tk_check_mdesc(v, i, opn, mvm->mdesc, &spx_target_xbar_mdesc, mv)) != SPX_RT_OK)
    return rc;
  spx_xbar_mdesc_from_values(mv, &md);
  if (spx_xbar_geom_init(&g, l, &in, &out))
    return cs_bad(v, "command %u (%s): field 'op': bad %s geometry for the arrays (groups must "
                  "be 1)", (unsigned)i, opn, op);
  cs_get_blob(v, l->weights, &wb);
  if (spx_xbar_weights_open(&w, &g, wb.encoding, wb.data, wb.length, &why))
    return cs_bad(v, "command %u (%s): field 'weights': blob%u: %s", (unsigned)i, opn,
                  (unsigned)l->weights, why.message);
  read = spx_xbar_read_rows(&md, &w);
  if (mvm->read_rows != read)
    return cs_bad(v, "command %u (%s): field 'read_rows': %u, but %s gives %u", (unsigned)i, opn,
                  (unsigned)mvm->read_rows,
                  (w.flags & SPX_FMT_BINARY_AFLIP) ? "the weights' activation sub-vector"
                                                   : "the machine description's read_rows",
                  (unsigned)read);
  if (read > (uint32_t)md.rows)
    return cs_bad(v, "command %u (%s): field 'read_rows': a read of %u rows does not fit the "
                  "%d array rows", (unsigned)i, opn, (unsigned)read, (int)md.rows);
  t.tile_m = mvm->tile_m;
  t.tile_k = mvm->tile_k;
  t.tile_p = mvm->tile_p;
  t.tiles = cmd->iterations;
  if ((rc = spx_tk_check_tiles(v, i, opn, &g, &t, (uint32_t)md.cols, "array columns", read)) != SPX_RT_OK)
    return rc;
  if (t.tile_m > (uint32_t)md.cols || t.tile_k > (uint32_t)md.rows)
    return cs_bad(v, "command %u (%s): field 'tile_k': a tile of %u x %u does not fit a %d x %d "
                  "array", (unsigned)i, opn, (unsigned)t.tile_k, (unsigned)t.tile_m,
                  (int)md.rows, (int)md.cols);
  if (t.tile_p != g.p)
    return cs_bad(v, "command %u (%s): field 'tile_p': %u, but every tile reads all %llu output "
                  "pixels", (unsigned)i, opn, (unsigned)t.tile_p, (unsigned long long)g.p);
  return SPX_RT_OK;
}

SPX_CS_DEFINE_OPCODE_TABLE(SPX_CS_OPCODES_XBAR, xbar_opcodes)

const spx_cs_target_stream_t spx_target_xbar_stream = {
    xbar_opcodes, sizeof xbar_opcodes / sizeof xbar_opcodes[0], check_command};
