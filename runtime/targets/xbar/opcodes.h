/* runtime/targets/xbar/opcodes.h - the xbar target's opcodes, in the form
 * of spx_stream.h's SPX_CS_OPCODES_CPU: X(ENUM, member, code, "text",
 * FIELDS, once, doc), codes in the xbar range of the registry
 * (runtime/spx_targets.h).
 *
 * One command per layer, so command i of an xbar stream is layer i of the
 * program and of the report. Both opcodes start with the cpu.layer fields
 * at the same offsets (bytes 12..45), so the cpu layer checks and
 * spx_rt_layer_init apply to them unchanged; xbar.mvm then has tile_m,
 * tile_k, tile_p and mdesc at the target kit's offsets (kit/check.c,
 * test/runtime/sim/Inputs/patch.py).
 *
 *   xbar.mvm   a binary conv2d or dense (weights in the `binary` format,
 *              int8 +-1 inputs) on the crossbar arrays (xbar.h): tiles of
 *              tile_m <= cols output channels (array columns) x tile_k <=
 *              rows reduction elements (array rows, whole read sub-vectors
 *              of `read_rows`), tile_p = P output pixels; iterations = the
 *              tiles, ceil(M / tile_m) * ceil(K / tile_k). read_rows: rows
 *              a read drives (the format's sub-vector N when it has
 *              activation flips, else the description's read_rows).
 *   xbar.host  any other layer, run digitally with the cpu kernels, costed
 *              by the host model (mdesc host_lanes, DRAM traffic).
 */
#ifndef SPX_CS_OPCODES_XBAR_H
#define SPX_CS_OPCODES_XBAR_H

#include "runtime/stream/spx_stream.h"

#define SPX_CS_FIELDS_XBAR_MVM(F, A)                                          \
  SPX_CS_FIELDS_CPU_LAYER(F, A)                                               \
  F(A, tile_m, 46, U16, "output channels per tile (array columns used)")      \
  F(A, tile_k, 48, U32, "reduction elements per tile (array rows used)")      \
  F(A, tile_p, 52, U32, "output pixels per tile (all of them)")               \
  F(A, mdesc, 56, BLOB, "machine description blob (int32 array)")            \
  F(A, read_rows, 58, U16, "rows driven per read (sub-vector)")

#define SPX_CS_OPCODES_XBAR(X)                                                \
  X(XBAR_MVM, xbar_mvm, 0x90, "xbar.mvm", SPX_CS_FIELDS_XBAR_MVM, 0,          \
    "binary conv2d/dense on the crossbar arrays, iterations = tiles")         \
  X(XBAR_HOST, xbar_host, 0x91, "xbar.host", SPX_CS_FIELDS_CPU_LAYER, 1,      \
    "a layer run digitally on the host with the cpu kernels")

SPX_CS_DECLARE_OPCODES(SPX_CS_OPCODES_XBAR)

#endif
