/* runtime/targets/aie/opcodes.h - the aie target's opcodes, in the form of
 * spx_stream.h's SPX_CS_OPCODES_CPU: X(ENUM, member, code, "text", FIELDS,
 * once, doc), codes in the aie range of the registry (runtime/spx_targets.h).
 *
 * An aie stream (docs/targets.md, section "aie") is:
 *   command 0   aie.config: the machine description (rows x cols compute
 *               tiles, memories, rates); the header's mdesc_hash is
 *               spx_sim_aie_mdesc_hash() of it (runtime/sim/aie).
 *   per layer   aie.layer (declares layer L = 0, 1, ... with its cpu.layer
 *               fields; mode 0 = computed by the array commands that
 *               follow, mode 1 = run on the host), then its data movement,
 *               compute and lock commands, all carrying `layer` = L.
 * Places: `row` 0..rows-1 and `col` 0..cols-1 name a compute tile (64 KB
 * data memory); row 0xff names the memory tile of column `col` (512 KB).
 * Tile and memory-tile fields are byte addresses in that memory.
 * Iterations: the commands of ONE tile that are consecutive in the stream
 * and have the same `iterations` n > 1 form a loop body, run n times
 * interleaved (iteration 0 of each command in order, then iteration 1, ...);
 * a command with iterations 1 runs once in order. Iteration k of a tile
 * command uses buffer buf0 when k is even and buf1 when odd (ping-pong; the
 * same address twice means single buffering) and memory-tile address
 * mt_addr + k * mt_stride. aie.load / aie.write (DDR side) move `length`
 * bytes per iteration from/to DDR offset + k * stride.
 * Locks: 16 counting semaphores per tile (and per memory tile), all 0 at the
 * start of each layer and required to be 0 again at its end; lock_rel adds
 * `value`, lock_acq waits until the lock holds >= value and subtracts it.
 * The loader executes every tile's lock operations symbolically in stream
 * order and rejects a stream in which an acquire can never be satisfied
 * (deadlock) or a layer ends with a lock not 0 (unbalanced).
 * aie.comp iterates over row bands (outer), column bands, then input-
 * channel chunks (inner): iterations = ceil(rows / band) *
 * ceil(cols / wband) * ceil(cin / kc).
 * Commands with `period` p > 1 act only on iterations k with (k+1) % p == 0
 * (the output of a loop that accumulates p input-channel chunks). */
#ifndef SPX_CS_OPCODES_AIE_H
#define SPX_CS_OPCODES_AIE_H

#include "runtime/stream/spx_stream.h"

/* Memory-tile row in the `row` field; lock count per tile. */
#define SPX_CS_AIE_MEMTILE 0xffu
#define SPX_CS_AIE_LOCKS 16u
#define SPX_CS_AIE_MAX_ROWS 8u
#define SPX_CS_AIE_MAX_COLS 8u

#define SPX_CS_FIELDS_AIE_CONFIG(F, A)                                        \
  F(A, rows, 12, U8, "compute tile rows (1..8)")                              \
  F(A, cols, 13, U8, "columns: compute tiles and one memory tile each (1..8)")\
  F(A, banks, 14, U8, "data memory banks per tile")                           \
  F(A, ddr_channels, 15, U8, "DDR read channels into the memory tiles")       \
  F(A, tile_mem, 16, U32, "bytes of data memory per compute tile")            \
  F(A, memtile_mem, 20, U32, "bytes per memory tile")                         \
  F(A, macs_per_cycle, 24, U32, "int8 MACs per cycle per tile")               \
  F(A, freq_mhz, 28, U32, "clock in MHz")                                     \
  F(A, ddr_read_mbps, 32, U32, "DDR -> memory tile MB/s per channel")         \
  F(A, ddr_write_mbps, 36, U32, "memory tile -> DDR MB/s")                    \
  F(A, core_mbps, 40, U32, "memory tile <-> compute tile MB/s per tile")      \
  F(A, host_ops_per_cycle, 44, U32, "host-stage elementwise ops per cycle")

#define SPX_CS_FIELDS_AIE_LAYER(F, A)                                         \
  SPX_CS_FIELDS_CPU_LAYER(F, A)                                               \
  F(A, layer, 46, U16, "layer index: 0, 1, ... in stream order")              \
  F(A, mode, 48, U8, "0 = array (commands follow), 1 = host stage")

/* DDR <-> memory tile. */
#define SPX_CS_FIELDS_AIE_DDR(F, A)                                           \
  F(A, layer, 12, U16, "layer index")                                         \
  F(A, col, 14, U8, "memory tile column (load: first of the mask)")           \
  F(A, cols, 15, U8, "load: bit mask of memory tiles fed by one DDR read")    \
  F(A, tensor, 16, TENSOR, "DDR object: a tensor (workspace) ...")            \
  F(A, blob, 18, BLOB, "... or a weights blob (exactly one of the two)")      \
  F(A, offset, 20, U32, "byte offset into the tensor or blob")                \
  F(A, length, 24, U32, "bytes per iteration")                                \
  F(A, stride, 28, U32, "DDR offset advance per iteration")                   \
  F(A, mt_addr, 32, U32, "memory-tile address")                               \
  F(A, mt_stride, 36, U32, "memory-tile address advance per iteration")

/* Memory tile <-> compute tile. */
#define SPX_CS_FIELDS_AIE_MOVE(F, A)                                          \
  F(A, layer, 12, U16, "layer index")                                         \
  F(A, row, 14, U8, "compute tile row")                                       \
  F(A, col, 15, U8, "compute tile column (and its memory tile)")              \
  F(A, mt_addr, 16, U32, "memory-tile address")                               \
  F(A, mt_stride, 20, U32, "memory-tile address advance per iteration")       \
  F(A, length, 24, U32, "bytes per iteration")                                \
  F(A, buf0, 28, U16, "tile address, even iterations")                        \
  F(A, buf1, 30, U16, "tile address, odd iterations")                         \
  F(A, period, 32, U16, "acts every period-th iteration (>= 1)")

#define SPX_CS_FIELDS_AIE_COMP(F, A)                                          \
  F(A, layer, 12, U16, "layer index (its aie.layer gives op and tensors)")    \
  F(A, row, 14, U8, "compute tile row")                                       \
  F(A, col, 15, U8, "compute tile column")                                    \
  F(A, oc0, 16, U16, "output channels [oc0, oc1)")                            \
  F(A, oc1, 18, U16, "")                                                      \
  F(A, oh0, 20, U16, "output rows [oh0, oh1) (dense: batch rows)")            \
  F(A, oh1, 22, U16, "")                                                      \
  F(A, ow0, 24, U16, "output columns [ow0, ow1)")                             \
  F(A, ow1, 26, U16, "")                                                      \
  F(A, band, 28, U16, "output rows per iteration")                            \
  F(A, kc, 30, U16, "input channels per iteration (< cin: accumulate)")       \
  F(A, in0, 32, U16, "input window buffers (ping-pong)")                      \
  F(A, in1, 34, U16, "")                                                      \
  F(A, w0, 36, U16, "weight buffers (ping-pong; equal = stationary)")         \
  F(A, w1, 38, U16, "")                                                       \
  F(A, out0, 40, U16, "output buffers (ping-pong)")                           \
  F(A, out1, 42, U16, "")                                                     \
  F(A, acc, 44, U16, "int32 accumulator (0xffff: none, kc = cin)")         \
  F(A, wband, 46, U16, "output columns per iteration")

#define SPX_CS_FIELDS_AIE_LOCK(F, A)                                          \
  F(A, layer, 12, U16, "layer index")                                         \
  F(A, row, 14, U8, "compute tile row, or 0xff: memory tile")                 \
  F(A, col, 15, U8, "column")                                                 \
  F(A, lock, 16, U8, "lock id (0..15)")                                       \
  F(A, value, 17, U8, "amount (>= 1)")                                        \
  F(A, period, 18, U16, "acts every period-th iteration (>= 1)")

#define SPX_CS_OPCODES_AIE(X)                                                 \
  X(AIE_LOAD, aie_load, 0x30, "aie.load", SPX_CS_FIELDS_AIE_DDR, 0,              \
    "DDR tensor/blob -> memory tile(s) (a mask broadcasts one read)")         \
  X(AIE_LOADW, aie_loadw, 0x31, "aie.loadw", SPX_CS_FIELDS_AIE_MOVE, 0,          \
    "memory tile -> compute tile: a weight sub-volume")                       \
  X(AIE_LOADFM, aie_loadfm, 0x32, "aie.loadfm", SPX_CS_FIELDS_AIE_MOVE, 0,       \
    "memory tile -> compute tile: an input feature-map window")               \
  X(AIE_COMP, aie_comp, 0x33, "aie.comp", SPX_CS_FIELDS_AIE_COMP, 0,             \
    "compute an output sub-volume of the layer on one tile")                  \
  X(AIE_WRITEFM, aie_writefm, 0x34, "aie.writefm", SPX_CS_FIELDS_AIE_MOVE, 0,    \
    "compute tile -> memory tile: an output sub-volume")                      \
  X(AIE_WRITE, aie_write, 0x35, "aie.write", SPX_CS_FIELDS_AIE_DDR, 0,           \
    "memory tile -> DDR tensor")                                              \
  X(AIE_LOCK_ACQ, aie_lock_acq, 0x36, "aie.lock_acq", SPX_CS_FIELDS_AIE_LOCK, 0, \
    "wait until a lock holds >= value, subtract value")                       \
  X(AIE_LOCK_REL, aie_lock_rel, 0x37, "aie.lock_rel", SPX_CS_FIELDS_AIE_LOCK, 0, \
    "add value to a lock")                                                    \
  X(AIE_LAYER, aie_layer, 0x38, "aie.layer",  SPX_CS_FIELDS_AIE_LAYER, 1,        \
    "declare a layer (cpu.layer fields); mode 1 runs it on the host")         \
  X(AIE_CONFIG, aie_config, 0x39, "aie.config", SPX_CS_FIELDS_AIE_CONFIG, 1,     \
    "machine description; must be command 0, hashed into the header")

SPX_CS_DECLARE_OPCODES(SPX_CS_OPCODES_AIE)

#endif
