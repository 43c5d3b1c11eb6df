/* xbar.h - the crossbar compute-in-memory target (xbar): binary layers on
 * resistive crossbar arrays, everything else on a digital host. Its machine
 * description, tiling and cost model (cost.c, shared by the compiler and the
 * simulator), and the simulator device (sim.c) with its IR-drop model
 * (solver.h). docs/targets.md, "xbar", says the same in prose with the
 * sources of the default values.
 *
 * ==== Arrays ===============================================================
 * `arrays` arrays of rows x cols cells. A binary layer (weights in the
 * `binary` format, runtime/formats/spx_formats.h "BINARY"; inputs +-1) puts
 * its weight matrix on the arrays: output channel r (a format "row") is an
 * array COLUMN, reduction index i (i < K = cin * kh * kw) an array ROW; the
 * cell holds the STORED bit (1: conducting). Tiles: tile_m <= cols output
 * channels x tile_k <= rows reduction rows, tile_k a whole number of read
 * sub-vectors (below); tiles = ceil(M / tile_m) * ceil(K / tile_k)
 * (tile_p = P: every output pixel passes every tile). Partial sums of the K
 * tiles are added digitally, then bias and the layer's output stage (the
 * int8 requantization or the fused sign) as on the cpu.
 *
 * A read drives the rows of one sub-vector of n = read rows (the format's
 * activation sub-vector N when it has activation flips, else mdesc
 * read_rows): a row whose input is +1 is driven (V_read), -1 is not; a
 * padding tap (input 0) is not part of the read (n, p exclude it). Each
 * column senses c = driven rows with a conducting cell, and the digital side
 * knows p (conducting cells in those rows of the column) and q (driven
 * rows), so spx_fmt_binary_column_sum gives the read's exact part of
 * sum b * a, undoing the column's flip and the sub-vector's activation flip
 * (flipped when spx_fmt_binary_flip_rule says so of its +1 count: then its
 * -1 rows are driven).
 *   mode ideal:    c is exact: bit-exact with the cpu device.
 *   mode nonideal: the column currents of the drive through the tile's
 *                  resistive network (solver.h; transfer matrix solved once
 *                  per tile), digitised by an adc_bits ADC whose full scale
 *                  is n conducting driven cells with no IR drop, converted
 *                  back to c = round((I / V - q g_off) / (g_on - g_off)),
 *                  clamped to [0, min(p, q)]. Deterministic.
 * Counted per layer: reads, driven rows, conducting cells on driven rows
 * (sum of c: the cells that carry current, what the flips reduce).
 *
 * ==== Cycles ===============================================================
 * A read takes one cycle per array (its columns sensed in parallel, one ADC
 * per column); a layer's tiles are spread round-robin over the arrays, each
 * array reads its tiles for every output pixel: compute = P * max over
 * arrays of its reads per pixel. When a layer has more tiles than arrays,
 * each array is rewritten for its tiles after the first: tile_k cycles each
 * (one array row per cycle). DRAM (dram_bytes per cycle): the layer's
 * encoded weights once, int8 inputs and outputs once; latency = max(compute
 * + writes, dram). Host layers: ceil(work / host_lanes) cycles (the kit's
 * spx_tk_host_work), DRAM traffic of their tensors.
 */
#ifndef SPX_TARGET_XBAR_H
#define SPX_TARGET_XBAR_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/device/spx_device.h"
#include "runtime/targets/kit/kit.h"
#include "runtime/targets/xbar/opcodes.h"
#include "runtime/targets/xbar/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cell types (mdesc cell). */
#define SPX_XBAR_CELL_SRAM8T 0
#define SPX_XBAR_CELL_RRAM1T1R 1
/* Modes (mdesc mode). */
#define SPX_XBAR_MODE_IDEAL 0
#define SPX_XBAR_MODE_NONIDEAL 1

/* The machine description, in the registry's shape (runtime/spx_targets.h):
 * X(member, "option", default, min, max, doc), in blob order. Defaults and
 * their sources: docs/targets.md, "xbar". */
#define SPX_XBAR_MDESC(X)                                                     \
  X(rows, "rows", 64, 2, 1024, "array rows (inputs: reduction elements)")    \
  X(cols, "cols", 64, 1, 1024, "array columns (output channels)")            \
  X(arrays, "arrays", 16, 1, 65536, "arrays")                                \
  X(cell, "cell", 0, 0, 1, "cell type: 0 8T-SRAM, 1 1T-1R RRAM")            \
  X(r_on_ohm, "r_on_ohm", 0, 0, 1000000000,                                  \
    "conducting cell, ohms (0: the cell type's)")                            \
  X(r_off_kohm, "r_off_kohm", 0, 0, 2000000000,                              \
    "non-conducting cell, kilohms (0: the cell type's)")                     \
  X(r_wire_mohm, "r_wire_mohm", 1000, 1, 1000000000,                        \
    "wire resistance per cell segment, milliohms")                           \
  X(r_drv_mohm, "r_drv_mohm", 10000, 1, 1000000000,                         \
    "row driver resistance, milliohms")                                      \
  X(r_sink_mohm, "r_sink_mohm", 10000, 1, 1000000000,                       \
    "column sink (sense) resistance, milliohms")                             \
  X(adc_bits, "adc_bits", 6, 1, 16, "column ADC bits")                       \
  X(read_rows, "read_rows", 16, 1, 1024,                                     \
    "rows driven per read (sub-vector) without activation flips")           \
  X(mode, "mode", 0, 0, 1, "0 ideal, 1 nonideal (IR drop, ADC)")             \
  X(clock_mhz, "clock_mhz", 200, 1, 10000, "clock, MHz (one read a cycle)")  \
  X(dram_bytes, "dram_bytes", 16, 1, 512, "DRAM bytes per cycle")            \
  X(host_lanes, "host_lanes", 16, 1, 4096, "host steps: elements per cycle")

typedef struct spx_xbar_mdesc {
#define SPX_XBAR_X_(m, opt, def, lo, hi, doc) int32_t m;
  SPX_XBAR_MDESC(SPX_XBAR_X_)
#undef SPX_XBAR_X_
} spx_xbar_mdesc_t;

enum {
#define SPX_XBAR_X_(m, opt, def, lo, hi, doc) SPX_XBAR_MDESC_I_##m,
  SPX_XBAR_MDESC(SPX_XBAR_X_)
#undef SPX_XBAR_X_
  SPX_XBAR_MDESC_COUNT
};

void spx_xbar_mdesc_init_default(spx_xbar_mdesc_t *md);
void spx_xbar_mdesc_to_values(const spx_xbar_mdesc_t *md, int64_t *v);
void spx_xbar_mdesc_from_values(const int64_t *v, spx_xbar_mdesc_t *md);
uint64_t spx_xbar_mdesc_hash(const spx_xbar_mdesc_t *md);
/* 0 on success, -1 if the size is wrong or a value is out of range. */
int spx_xbar_mdesc_decode(const uint8_t *data, size_t size, spx_xbar_mdesc_t *out);
/* The network parameters of the description: its cell type's on/off
 * resistances unless r_on_ohm / r_off_kohm set them, the wire, driver and
 * sink resistances in ohms; rows x cols of one array. */
void spx_xbar_net_of(const spx_xbar_mdesc_t *md, spx_xbar_net_t *net);

/* ==== Layers =============================================================== */

typedef spx_tk_geom_t spx_xbar_geom_t;

/* The kit's geometry plus the rules of the arrays: groups 1, every count
 * used as a divisor non-zero. -1 if not. */
int spx_xbar_geom_init(spx_xbar_geom_t *g, const spx_cs_cpu_layer_t *l,
                       const spx_cs_tensor_t *in, const spx_cs_tensor_t *out);

/* Opens a binary layer's weights against geometry g (spx_fmt_binary_open,
 * the full check); -1 with *err saying why. */
int spx_xbar_weights_open(spx_fmt_binary_view_t *v, const spx_xbar_geom_t *g,
                          uint16_t encoding, const uint8_t *data, uint32_t size,
                          spx_rt_error_t *err);

/* Rows a read drives: the format's sub-vector with activation flips, else
 * the description's read_rows. */
uint32_t spx_xbar_read_rows(const spx_xbar_mdesc_t *md, const spx_fmt_binary_view_t *v);

typedef spx_tk_tiling_t spx_xbar_tiling_t;

/* The tiles of a binary layer: tile_m = min(cols, M), tile_k = min(K, the
 * whole sub-vectors of `read` rows that fit the array's rows), tile_p = P.
 * -1 if not even one sub-vector fits (read > rows). */
int spx_xbar_plan(const spx_xbar_mdesc_t *md, const spx_xbar_geom_t *g, uint32_t read,
                  spx_xbar_tiling_t *out);

typedef struct spx_xbar_cost {
  uint64_t compute, writes, dram, dram_bytes, latency; /* cycles, bytes */
  uint64_t reads;        /* array reads (all arrays, all pixels) */
  uint64_t weight_bytes; /* encoded weights */
  uint64_t stored_on;    /* conducting cells stored (the static measure) */
  uint64_t cells;        /* cells holding weights: M * K */
  uint32_t tiles, arrays_used;
} spx_xbar_cost_t;

/* Cost of a binary layer with tiling t, `read` rows a read, weights v. */
void spx_xbar_mvm_cost(const spx_xbar_mdesc_t *md, const spx_xbar_geom_t *g,
                       const spx_fmt_binary_view_t *v, const spx_xbar_tiling_t *t,
                       uint32_t read, spx_xbar_cost_t *out);
/* Cost of a host layer over its tensor records. */
void spx_xbar_host_cost(const spx_xbar_mdesc_t *md, const spx_cs_cpu_layer_t *l,
                        const spx_cs_tensor_t *const tensors[5], spx_xbar_cost_t *out);

/* ==== The simulator ========================================================
 * spx_sim_xbar_device ("sim", target xbar): xbar.host layers through the cpu
 * kernels; xbar.mvm layers read by read as above. The workspace after the
 * cpu layout holds the simulator's state: a header, per xbar.mvm layer its
 * counters, and in nonideal mode the tiles' transfer matrices. The first
 * run on a workspace whose header does not match the model (magic, stream
 * bytes and the FNV-1a hash of the matrices) solves the networks and zeroes
 * the counters; later runs reuse them and add to the counters. */

/* Counters of one layer, summed over the runs since the state was built. */
typedef struct spx_xbar_counts {
  uint64_t runs, reads, driven, conducting, act_flips;
} spx_xbar_counts_t;

/* Counters of command i (an xbar.mvm; zero for others) of a model run with
 * workspace ws on the xbar device. -1 if the workspace holds no state of
 * this model. */
int spx_sim_xbar_counts(const spx_rt_model_t *m, const void *ws, uint32_t i,
                        spx_xbar_counts_t *out);

/* Per-command costs of a loaded xbar stream into costs[0 .. command_count). */
spx_rt_status_t spx_sim_xbar_cost(const spx_cs_stream_t *s, spx_xbar_cost_t *costs, uint32_t cap,
                                  spx_rt_error_t *error);

extern const spx_rt_device_t spx_sim_xbar_device;

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGET_XBAR_H */
