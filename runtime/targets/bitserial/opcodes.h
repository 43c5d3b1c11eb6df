/* runtime/targets/bitserial/opcodes.h - the bitserial target's opcodes, in
 * the form of spx_stream.h's SPX_CS_OPCODES_CPU: X(ENUM, member, code,
 * "text", FIELDS, once, doc), codes in the bitserial range of the registry
 * (runtime/spx_targets.h).
 *
 * One command per layer (a command never spans layers, a layer is never
 * split over commands), so command i of a bitserial stream is layer i of the
 * program and of the report. Both opcodes start with the cpu.layer fields at
 * the same offsets (bytes 12..45: op, act, tensors, blobs, window), so the
 * structs share their initial members with spx_cs_cpu_layer_t and the cpu
 * layer checks and spx_rt_layer_init apply to them unchanged.
 *
 *   bs.pe    an int8 conv2d or dense on the 32x16 bit-serial PE array.
 *            iterations = number of tiles = ceil(M / tile_m) *
 *            ceil(P / tile_p) * ceil(K / tile_k) (M output channels,
 *            P = N*OH*OW output pixels, K = Cin/groups*kh*kw reduction
 *            length); loop order m, p, k (runtime/sim/bitserial). The
 *            weights blob is dense int8, BBS-encoded (SPX_FMT_BBS) or
 *            ternary-encoded (SPX_FMT_TERNARY);
 *            `mdesc` is the machine-description blob the tiles were sized
 *            for (the stream header's mdesc hash is its hash).
 *   bs.host  any other layer (pool, add, quantize, softmax, copy, ...): a
 *            host step run with the cpu kernels, costed by the simulator's
 *            host model (mdesc host_lanes, DRAM traffic of its tensors).
 */
#ifndef SPX_CS_OPCODES_BITSERIAL_H
#define SPX_CS_OPCODES_BITSERIAL_H

#include "runtime/stream/spx_stream.h"

#define SPX_CS_FIELDS_BS_PE(F, A)                                             \
  SPX_CS_FIELDS_CPU_LAYER(F, A)                                               \
  F(A, tile_m, 46, U16, "output channels per weight tile")                   \
  F(A, tile_k, 48, U32, "reduction elements per weight tile (whole groups)") \
  F(A, tile_p, 52, U32, "output pixels per input tile")                      \
  F(A, mdesc, 56, BLOB, "machine description blob (int32 array)")

#define SPX_CS_OPCODES_BITSERIAL(X)                                           \
  X(BS_PE, bs_pe, 0x60, "bs.pe", SPX_CS_FIELDS_BS_PE, 0,                         \
    "int8 conv2d/dense on the PE array, iterations = tiles (m, p, k order)")  \
  X(BS_HOST, bs_host, 0x61, "bs.host", SPX_CS_FIELDS_CPU_LAYER, 1,               \
    "a non-PE layer on the host with the cpu kernels")

SPX_CS_DECLARE_OPCODES(SPX_CS_OPCODES_BITSERIAL)

#endif
