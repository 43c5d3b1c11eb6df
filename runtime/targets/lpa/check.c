/* runtime/targets/lpa/check.c - the stream description of the lpa target:
 * its opcodes (opcodes.h) and the loader's rules for its commands. Both
 * opcodes carry a layer, so the cpu.layer rules run first; then the lpa
 * rules: which layers run where, the machine description blob, the weights
 * (LP codes, fully validated, or dense int8), the PE mode, and the tiling -
 * bounds, alignment to the PE rows, the tile count, and that every tile fits
 * half of its buffer. */
#include "runtime/targets/lpa/lpa.h"
#include "runtime/stream/cs_internal.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

static spx_rt_status_t check_command(struct cs_vctx *v, uint32_t i,
                                     const struct spx_cs_command *cmd,
                                     const spx_cs_opcode_info_t *info) {
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const char *opn = spx_cs_opcode_info(cmd->opcode)->name;
  const char *op = spx_cs_cpu_op_name(l->op);
  int on_pe = l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE;
  const spx_cs_lpa_pe_t *pe = &SPX_CS_U(*cmd, lpa_pe);
  spx_cs_tensor_t in, out;
  spx_cs_blob_t mb, wb;
  spx_lpa_mdesc_t md;
  spx_lpa_geom_t g;
  spx_lpa_tiling_t t;
  spx_lpa_weights_t w;
  spx_rt_error_t why;
  uint64_t wpm, mt, pt, kt, wbytes, ibytes, obytes;
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
  if (pe->mdesc == SPX_CS_NONE)
    return cs_bad(v, "command %u (%s): field 'mdesc': missing machine description", (unsigned)i,
                  opn);
  cs_get_blob(v, pe->mdesc, &mb);
  if (mb.dtype != SPX_CS_DTYPE_INT32 || mb.encoding != SPX_CS_ENC_DENSE ||
      mb.length != SPX_LPA_MDESC_BYTES)
    return cs_bad(v, "command %u (%s): field 'mdesc': blob%u is not a %u-byte int32 machine "
                  "description", (unsigned)i, opn, (unsigned)pe->mdesc, SPX_LPA_MDESC_BYTES);
  if (spx_lpa_mdesc_decode(mb.data, mb.length, &md)) {
    spx_lpa_mdesc_check(&md, &why);
    return cs_bad(v, "command %u (%s): field 'mdesc': blob%u: %s", (unsigned)i, opn,
                  (unsigned)pe->mdesc, mb.data ? why.message : "no data");
  }
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
  if (pe->tile_m == 0 || pe->tile_m > g.cout ||
      (pe->tile_m % (uint32_t)md.rows && pe->tile_m != g.cout))
    return cs_bad(v, "command %u (%s): field 'tile_m': %u must be in [1, %u] and a multiple of "
                  "the %d PE rows (or all channels)", (unsigned)i, opn, (unsigned)pe->tile_m,
                  (unsigned)g.cout, (int)md.rows);
  if (pe->tile_k == 0 || pe->tile_k > g.k)
    return cs_bad(v, "command %u (%s): field 'tile_k': %u must be in [1, %llu]", (unsigned)i,
                  opn, (unsigned)pe->tile_k, (unsigned long long)g.k);
  if (pe->tile_p == 0 || pe->tile_p > g.p)
    return cs_bad(v, "command %u (%s): field 'tile_p': %u must be in [1, %llu]", (unsigned)i,
                  opn, (unsigned)pe->tile_p, (unsigned long long)g.p);
  mt = ceil_div(g.cout, pe->tile_m);
  pt = ceil_div(g.p, pe->tile_p);
  kt = ceil_div(g.k, pe->tile_k);
  if (cmd->iterations != mt * pt * kt)
    return cs_bad(v, "command %u (%s): field 'iterations': %u, but the tiling has %llu x %llu x "
                  "%llu = %llu tiles", (unsigned)i, opn, (unsigned)cmd->iterations,
                  (unsigned long long)mt, (unsigned long long)pt, (unsigned long long)kt,
                  (unsigned long long)(mt * pt * kt));
  t.tile_m = pe->tile_m;
  t.tile_k = pe->tile_k;
  t.tile_p = pe->tile_p;
  t.tiles = cmd->iterations;
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
