/* runtime/targets/lpa/opcodes.h - the lpa target's opcodes, in the form of
 * spx_stream.h's SPX_CS_OPCODES_CPU: X(ENUM, member, code, "text", FIELDS,
 * once, doc), codes in the lpa range of the registry (runtime/spx_targets.h).
 *
 * One command per layer (a command never spans layers, a layer is never
 * split over commands), so command i of an lpa stream is layer i of the
 * program and of the report. Both opcodes start with the cpu.layer fields at
 * the same offsets (bytes 12..45), so the structs share their initial
 * members with spx_cs_cpu_layer_t and the cpu layer checks and
 * spx_rt_layer_init apply to them unchanged.
 *
 *   lpa.pe    a conv2d or dense on the PE array (runtime/targets/lpa/lpa.h):
 *             LP weights (SPX_FMT_LP) on the LP datapath, or dense int8
 *             weights in the array's int8 mode. iterations = number of tiles
 *             = ceil(M / tile_m) * ceil(P / tile_p) * ceil(K / tile_k)
 *             (M output channels, P = N*OH*OW output pixels, K =
 *             Cin/groups*kh*kw reduction length); loop order m, p, k (k
 *             innermost: the accumulators stay in the PEs). `pairs` is the
 *             products a PE takes per cycle (2 only for LP layers whose
 *             weight and activation formats both have n <= 4; the loader
 *             checks it against the weights); `mdesc` is the
 *             machine-description blob the tiles were sized for (the stream
 *             header's mdesc hash is its hash).
 *   lpa.host  any other layer (pool, add, quantize, softmax, copy, ...): a
 *             host step run with the cpu kernels, costed by the host model
 *             (mdesc host_lanes, DRAM traffic of its tensors).
 */
#ifndef SPX_CS_OPCODES_LPA_H
#define SPX_CS_OPCODES_LPA_H

#include "runtime/stream/spx_stream.h"

#define SPX_CS_FIELDS_LPA_PE(F, A)                                            \
  SPX_CS_FIELDS_CPU_LAYER(F, A)                                               \
  F(A, tile_m, 46, U16, "output channels per tile")                           \
  F(A, tile_k, 48, U32, "reduction elements per tile")                        \
  F(A, tile_p, 52, U32, "output pixels per tile")                             \
  F(A, mdesc, 56, BLOB, "machine description blob (int32 array)")            \
  F(A, pairs, 58, U8, "products per PE per cycle: 1, or 2 (LP, both n <= 4)")

#define SPX_CS_OPCODES_LPA(X)                                                 \
  X(LPA_PE, lpa_pe, 0xb0, "lpa.pe", SPX_CS_FIELDS_LPA_PE, 0,                  \
    "LP or int8 conv2d/dense on the PE array, iterations = tiles (m, p, k)")  \
  X(LPA_HOST, lpa_host, 0xb1, "lpa.host", SPX_CS_FIELDS_CPU_LAYER, 1,         \
    "a non-PE layer on the host with the cpu kernels")

SPX_CS_DECLARE_OPCODES(SPX_CS_OPCODES_LPA)

#endif
