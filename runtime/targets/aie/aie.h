/* spx_sim_aie.h - the aie target: machine description, performance model
 * and the simulator of aie command streams (runtime/targets/aie/opcodes.h).
 *
 * One definition for the compiler (backends/aie/, which tiles against the
 * machine description and prints the model's figures in the report) and the
 * simulator (which executes a stream functionally - outputs bit-exact with
 * the cpu device - and counts cycles with the same model).
 *
 * Performance model (arXiv 2407.09453; docs/targets.md "aie"):
 *   - a transfer of B bytes at R MB/s takes ceil(B * freq_mhz / R) cycles;
 *   - compute takes ceil(effective MACs / macs_per_cycle) cycles, where the
 *     effective MACs skip 8 (cout) x 8 (cin) x kh x kw weight blocks that are
 *     all zero; ternary weights count every MAC plus the decoding of their
 *     codes (SPX_AIE_TERN_CODES_PER_CYCLE, below);
 *   - per tile, a loop body of n > 1 iterations costs max(l, c, s) * n, with
 *     l, c, s the per-iteration load (memory tile -> tile), compute and store
 *     cycles (totals over the body divided by n, rounded up); commands that
 *     run once cost l + c + s (in sequence);
 *   - tiles run in parallel: the array time of a layer is the slowest tile;
 *   - DDR transfers (aie.load at ddr_channels x ddr_read_mbps, aie.write at
 *     ddr_write_mbps) are summed, not overlapped: layer cycles =
 *     ddr read + array + ddr write;
 *   - a host-stage layer costs its DDR read of inputs + DDR write of its
 *     output + (output elements x window) / host_ops_per_cycle.
 *
 * Freestanding C99/C11: no allocation, no stdio. */
#ifndef SPX_SIM_AIE_H
#define SPX_SIM_AIE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/device/spx_device.h"
#include "runtime/targets/kit/kit.h"
#include "runtime/targets/aie/opcodes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The machine description, in the registry's shape (runtime/spx_targets.h):
 * X(member, "option", default, min, max, doc), in aie.config order. The
 * defaults are AMD AIE2's numbers from the paper. Rows and columns are at
 * most 8 (the config's u8 fields and the stream's tile places), tile
 * addresses are 16-bit. */
#define SPX_AIE_MDESC(X)                                                      \
  X(rows, "rows", 4, 1, SPX_CS_AIE_MAX_ROWS, "compute tile rows")             \
  X(cols, "cols", 4, 1, SPX_CS_AIE_MAX_COLS,                                  \
    "columns (compute tiles + one memory tile each)")                         \
  X(banks, "banks", 8, 1, 255, "data memory banks per compute tile")          \
  X(ddr_channels, "ddr_channels", 2, 1, 255, "DDR read channels")             \
  X(tile_mem, "tile_mem", 65536, 1024, 65536,                                 \
    "bytes of data memory per compute tile")                                  \
  X(memtile_mem, "memtile_mem", 524288, 1024, 0xffffffff,                     \
    "bytes per memory tile")                                                  \
  X(macs_per_cycle, "macs", 256, 1, 0xffffffff, "int8 MACs per cycle per tile") \
  X(freq_mhz, "freq_mhz", 1000, 1, 0xffffffff, "clock (MHz)")                 \
  X(ddr_read_mbps, "ddr_read_mbps", 4000, 1, 0xffffffff,                      \
    "DDR read MB/s per channel")                                              \
  X(ddr_write_mbps, "ddr_write_mbps", 8000, 1, 0xffffffff, "DDR write MB/s")  \
  X(core_mbps, "core_mbps", 4000, 1, 0xffffffff,                              \
    "memory tile <-> compute tile MB/s")                                      \
  X(host_ops_per_cycle, "host_ops", 16, 1, 0xffffffff,                        \
    "host-stage element ops per cycle")

typedef struct spx_aie_mdesc {
#define SPX_AIE_X_(m, opt, def, lo, hi, doc) uint32_t m;
  SPX_AIE_MDESC(SPX_AIE_X_)
#undef SPX_AIE_X_
} spx_aie_mdesc_t;

/* The defaults. */
void spx_aie_mdesc_default(spx_aie_mdesc_t *out);
/* From / to the values of spx_target_aie_mdesc's fields, in table order. */
void spx_aie_mdesc_from_values(const int64_t *v, spx_aie_mdesc_t *out);
void spx_aie_mdesc_to_values(const spx_aie_mdesc_t *m, int64_t *v);
/* spx_mdesc_check of it: SPX_RT_OK, or what is out of range in *err. */
spx_rt_status_t spx_aie_mdesc_check(const spx_aie_mdesc_t *m, spx_rt_error_t *err);
/* FNV-1a 64 over the fields in table order, each as u32 little-endian: the
 * .spxbin header's mdesc_hash. */
uint64_t spx_aie_mdesc_hash(const spx_aie_mdesc_t *m);
/* From/to the aie.config command. */
void spx_aie_mdesc_from_config(const spx_cs_aie_config_t *c,
                               spx_aie_mdesc_t *out);
void spx_aie_mdesc_to_config(const spx_aie_mdesc_t *m,
                             spx_cs_aie_config_t *out);

/* Where a tile command acts: row << 8 | col (row SPX_CS_AIE_MEMTILE for a
 * memory tile's lock), or -1 for commands not bound to one tile. */
int spx_aie_command_place(const spx_cs_command_t *c);

/* Cycles to move `bytes` at `mbps`. */
uint64_t spx_aie_xfer_cycles(const spx_aie_mdesc_t *m, uint64_t bytes,
                             uint64_t mbps);

/* Effective MACs of one output pixel of a conv2d/dense output-channel range
 * [oc0, oc1) over input channels [ic0, ic1): dense int8 weights (OIHW /
 * [M][K]) with cin input channels and kh x kw windows; 8x8 channel blocks
 * (aligned to multiples of 8) whose weights are all 0 are skipped. */
uint64_t spx_aie_block_macs(const int8_t *weights, uint32_t cin, uint32_t khw,
                            uint32_t oc0, uint32_t oc1, uint32_t ic0,
                            uint32_t ic1);

/* The same over a CBR encoding (groups 1): only stored blocks count. */
uint64_t spx_aie_cbr_block_macs(const spx_fmt_cbr_view_t *v, uint32_t oc0,
                                uint32_t oc1);

/* ---- ternary weights (docs/targets.md, aie: "Ternary weights") ----------
 * They move encoded: DDR -> memory tile -> tile carry the codes (b bits per
 * group of N input channels; 1 bit per weight for (8, 2)). The core keeps
 * the codes of its pass in its weight buffer and expands them, 8 output
 * channels at a time, into int8 {-1, 0, 1} in a decode buffer through a
 * table of the code book (P entries of N int8 lanes, built from
 * spx_fmt_ternary_code_to_masks), then runs its int8 MACs on the decoded
 * block at the dense rate. The decode buffer and the table sit at the top
 * of tile memory, [tile_mem - spx_aie_ternary_decode_bytes, tile_mem),
 * outside every buffer the stream names. Decoding costs one table lookup
 * per code; the two 256-bit load ports of an AIE-ML core do two lookups per
 * cycle, so SPX_AIE_TERN_CODES_PER_CYCLE; every iteration of a comp decodes
 * the codes of its input-channel chunk once, and the decode does not overlap
 * the MACs. */
#define SPX_AIE_TERN_CODES_PER_CYCLE 2u

/* Codes of oc output channels x kc input channels x khw taps at N = n:
 * oc * khw * ceil(kc / n). */
uint64_t spx_aie_ternary_codes(unsigned n, uint32_t oc, uint32_t kc, uint32_t khw);
/* Bytes of those codes at b = bits bits each (ceil(codes * b / 8)): the
 * tile weight buffer (aie.comp w0 / w1) of a ternary comp. */
uint64_t spx_aie_ternary_code_bytes(unsigned n, unsigned bits, uint32_t oc, uint32_t kc,
                                    uint32_t khw);
/* Bytes a ternary comp reserves at the top of tile memory: the decode buffer
 * of min(oc, 8) x kc x khw int8 and the table of P x n int8. */
uint64_t spx_aie_ternary_decode_bytes(unsigned n, uint32_t patterns, uint32_t oc, uint32_t kc,
                                      uint32_t khw);
/* Bytes of the code stream that hold the codes of rows [oc0, oc1) (what a
 * DDR or memory-tile weight transfer of that slice moves). */
uint64_t spx_aie_ternary_slice_bytes(const spx_fmt_ternary_view_t *v, uint32_t oc0,
                                     uint32_t oc1);
/* Ternary layers whose code table has more than this many entries are not
 * tabled by a core: they run as host stages. */
#define SPX_AIE_TERN_TABLE_MAX SPX_FMT_TERNARY_TABLE_MAX

/* ==== timing model over a command list ================================= */

/* Figures of one layer (one aie.layer and the commands that follow it). */
/* Element operations per cycle per compute tile of an array-costed
 * element-wise stage: the AIE2 vector unit is 512 bits (64 int8 lanes); an
 * int8 add with requantization widens to 16 bits, so 32 lanes. */
#define SPX_AIE_VEC_OPS 32u

typedef struct spx_sim_aie_layer_stats {
  uint32_t first_command, command_count;
  uint8_t host;            /* 1: host stage (aie.layer mode 1) */
  uint8_t eltwise;         /* host stage costed as array work (element-wise
                              int8 add/relu/pools, SPX_AIE_VEC_OPS) */
  uint64_t onchip_bytes;   /* activation bytes a DDR write or read would have
                              moved that stay in the memory tiles */
  uint64_t cycles;         /* ddr_read + array + ddr_write (or host total) */
  uint64_t ddr_read_cycles, ddr_write_cycles, array_cycles;
  uint64_t load_cycles, compute_cycles, store_cycles; /* of the slowest tile,
                                                         unoverlapped sums */
  uint64_t ddr_read_bytes, ddr_write_bytes;
  uint64_t mt_to_tile_bytes, tile_to_mt_bytes;
  uint64_t macs, effective_macs; /* array: effective skips zero blocks */
  uint64_t weight_ddr_bytes;       /* of ddr_read_bytes: weight blobs */
  uint64_t weight_mt_to_tile_bytes; /* of mt_to_tile_bytes: aie.loadw */
  uint64_t decode_cycles;          /* ternary: code decoding (in compute) */
  uint8_t ternary;                 /* the layer's weights are ternary */
  uint32_t tiles_used;
  uint64_t busy_sum; /* sum over used tiles of their busy cycles */
} spx_sim_aie_layer_stats_t;

/* One event for traces: what a tile (or DDR, or the host) did, in cycles
 * from the start of the run. Events of a layer come in command order. */
typedef enum spx_sim_aie_track {
  SPX_SIM_AIE_TRACK_TILE = 0, /* row, col */
  SPX_SIM_AIE_TRACK_DDR = 1,
  SPX_SIM_AIE_TRACK_HOST = 2
} spx_sim_aie_track_t;

typedef struct spx_sim_aie_event {
  uint8_t track; /* spx_sim_aie_track_t */
  uint8_t row, col;
  uint32_t layer;
  const char *name; /* layer name */
  const char *what; /* "load", "compute", "store", "ddr read", ... */
  uint64_t start, duration;
} spx_sim_aie_event_t;

typedef void (*spx_sim_aie_event_fn)(void *user, const spx_sim_aie_event_t *e);

/* Reads the stream's commands (through get), checks the aie structure and
 * returns per-layer figures. get(ctx, i, out) decodes command i; blob(ctx,
 * id) gives the bytes of a dense weights blob (NULL: count every MAC);
 * stats has room for max_layers. *out_layers gets the layer count. Returns
 * NULL, or a static reason. */
typedef void (*spx_sim_aie_get_fn)(const void *ctx, uint32_t i,
                                   spx_cs_command_t *out);
typedef const int8_t *(*spx_sim_aie_blob_fn)(const void *ctx, uint16_t id,
                                             uint16_t *out_encoding);
typedef uint32_t (*spx_sim_aie_tensor_bytes_fn)(const void *ctx, uint16_t id);

typedef struct spx_sim_aie_source {
  const void *ctx;
  uint32_t command_count;
  spx_sim_aie_get_fn get;
  spx_sim_aie_blob_fn blob;
  spx_sim_aie_tensor_bytes_fn tensor_bytes;
  uint32_t (*blob_size)(const void *ctx, uint16_t id);
  const spx_cs_tensor_t *(*tensor)(const void *ctx, uint16_t id,
                                   spx_cs_tensor_t *scratch);
  /* Optional: each layer's figures as it is finished (the device's run
   * hooks); NULL leaves them to `stats`. */
  void (*on_layer)(void *user, const spx_sim_aie_layer_stats_t *st);
  void *on_layer_user;
} spx_sim_aie_source_t;

const char *spx_sim_aie_time(const spx_sim_aie_source_t *src,
                             spx_aie_mdesc_t *out_mdesc,
                             spx_sim_aie_layer_stats_t *stats,
                             uint32_t max_layers, uint32_t *out_layers,
                             spx_sim_aie_event_fn event, void *user);

/* ==== the simulator as a device ========================================== */

/* Runs an aie stream: spx_rt_device_t for spx_rt_model_initialize/run. The
 * workspace holds the activations (the compiler's memory plan), then the
 * simulator's scratch (input windows, output sub-volumes, decoded CBR
 * weight slices, kernel scratch). */
extern const spx_rt_device_t spx_sim_aie_device;

/* Totals of the last run of a model are not kept in the model (it is a
 * view); spx_sim_aie_run is the same run with figures and events. stats
 * (may be NULL) has room for max_layers. */
spx_rt_status_t spx_sim_aie_run(const spx_rt_model_t *model,
                                const float *const *inputs,
                                float *const *outputs, void *workspace,
                                size_t workspace_size,
                                spx_sim_aie_layer_stats_t *stats,
                                uint32_t max_layers, uint32_t *out_layers,
                                spx_sim_aie_event_fn event, void *user,
                                spx_rt_error_t *error);

/* Writes the timing model's events of stream `s` as Chrome trace JSON
 * (Perfetto): one track per tile, plus DDR, host; a final "totals" event.
 * Returns 0, or -1 with *error set. */
int spx_sim_aie_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                            void *ctx, spx_rt_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* SPX_SIM_AIE_H */
