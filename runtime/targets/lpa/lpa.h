/* lpa.h - the LP PE-array accelerator (target lpa): its machine
 * description, the cost model shared by the compiler and the simulator, and
 * the simulator device. docs/targets.md, "lpa", says the same in prose.
 *
 * ==== Machine description ==================================================
 * One table (SPX_LPA_MDESC) is the definition: the compiler reads target
 * options of the same names (`target lpa(rows=8)`, `spxc --target='lpa(...)'`,
 * `--target-opt`), stores the values in the stream as an int32 blob
 * "lpa.mdesc" in table order, and puts their hash (spx_lpa_mdesc_hash) in the
 * stream header; the simulator reads the blob back, so a stream always runs
 * on the machine it was compiled for.
 *
 * ==== PE and dataflow ======================================================
 * rows x cols PEs, output-stationary: PE (r, c) owns one output element
 * (output channel m0 + r of the row block, output pixel p0 + c of the column
 * pass) and runs its whole K reduction; the weight of a step is broadcast
 * along the row, the activation down the column. A row block never spans
 * two conv groups (its rows must see the same activations).
 *   LP layer (weights SPX_FMT_LP): a product is the sum of the two codes'
 *     log-domain exponents, turned linear by the 2^fraction table and a
 *     shift, and added into the int64 accumulator with A fraction bits -
 *     the arithmetic of runtime/kernels/spx_lp.c, in the same order. Int8
 *     activations enter the array through the layer's 256-entry activation
 *     table (one lookup per column per step, at the array edge).
 *     Per cycle a PE takes ONE pair of codes, or TWO when the weight format
 *     and the activation format both have n <= 4 (two narrow log adders and
 *     table reads in the width of one 8-bit one); the two terms are added
 *     in order.
 *   int8 layer (dense int8 weights, e.g. first/last layers kept int8, or
 *     CBR/ternary decoded by spxc): the same array in int8 mode, one int8
 *     MAC per PE per cycle, int32 accumulation - exactly the baseline below.
 *   Requantization to int8 at the array's output (per channel multiplier and
 *     shift) is pipelined with the next pass and not counted.
 *
 * ==== Cycles ===============================================================
 * A tile (tile_m channels x tile_p pixels x tile_k reduction) takes
 *   blocks(tile_m) * ceil(tile_p / cols) * ceil(tile_k / pairs)
 * cycles, blocks = row blocks of `rows` channels (per conv group); a layer
 * is the sum over its tiles. DRAM: dram_bytes per cycle; weights packed at
 * n bits per code (LP) or 8 (int8), plus per channel the requantization
 * (and for LP the int64 bias and the activation table); read once when K is
 * not split (tile_k = K), else once per pixel tile; inputs (int8) once when
 * one tile covers the layer, else per tile; outputs (int8) once. Layer
 * latency = max(compute, DRAM) (double-buffered tiles: each is sized to half
 * of its buffer). Host layers: ceil(work / host_lanes) cycles, work =
 * output elements times the window for pools, else input+output elements;
 * DRAM traffic of their tensors.
 *
 * ==== The int8 baseline ====================================================
 * Per layer, the cycles the same layer takes on an int8 MAC array with the
 * same PE count and buffers: one int8 MAC per PE per cycle, int8 weights
 * (1 byte each, int32 bias, multiplier, shift per channel), tiled by the
 * same planner for its own weight bytes. For an int8 layer the two are the
 * same; host layers cost the same on both.
 */
#ifndef SPX_TARGET_LPA_H
#define SPX_TARGET_LPA_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/device/spx_device.h"
#include "runtime/targets/kit/kit.h"
#include "runtime/targets/lpa/opcodes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The machine description, in the registry's shape (runtime/spx_targets.h):
 * X(member, "option", default, min, max, doc), in blob order. */
#define SPX_LPA_MDESC(X)                                                      \
  X(rows, "rows", 16, 1, 1024, "PE rows (output channels in parallel)")      \
  X(cols, "cols", 16, 1, 1024, "PE columns (output pixels in parallel)")     \
  X(wbuf_kb, "wbuf_kb", 128, 1, 65536, "weight buffer, KiB")                 \
  X(abuf_kb, "abuf_kb", 128, 1, 65536, "activation (input) buffer, KiB")     \
  X(obuf_kb, "obuf_kb", 32, 1, 65536, "output buffer, KiB")                  \
  X(dram_bytes, "dram_bytes", 16, 1, 512, "DRAM bytes per cycle")            \
  X(clock_mhz, "clock_mhz", 1000, 1, 10000, "clock, MHz (latency in us)")    \
  X(host_lanes, "host_lanes", 16, 1, 4096, "host steps: elements per cycle")

typedef struct spx_lpa_mdesc {
#define SPX_LPA_X_(m, opt, def, lo, hi, doc) int32_t m;
  SPX_LPA_MDESC(SPX_LPA_X_)
#undef SPX_LPA_X_
} spx_lpa_mdesc_t;

enum {
#define SPX_LPA_X_(m, opt, def, lo, hi, doc) SPX_LPA_MDESC_I_##m,
  SPX_LPA_MDESC(SPX_LPA_X_)
#undef SPX_LPA_X_
  SPX_LPA_MDESC_COUNT
};

void spx_lpa_mdesc_init_default(spx_lpa_mdesc_t *md);
/* The values in table order (the shape of spx_mdesc_check, of the
 * compiler's p->mdesc and of the kit's blob functions), and back. */
void spx_lpa_mdesc_to_values(const spx_lpa_mdesc_t *md, int64_t *v);
void spx_lpa_mdesc_from_values(const int64_t *v, spx_lpa_mdesc_t *md);
/* Value `index` (table order) as a pointer into md (NULL past the end). */
int32_t *spx_lpa_mdesc_at(spx_lpa_mdesc_t *md, unsigned index);
/* spx_mdesc_check of it: SPX_RT_OK, or what is wrong in *err. */
spx_rt_status_t spx_lpa_mdesc_check(const spx_lpa_mdesc_t *md, spx_rt_error_t *err);
/* The blob: SPX_LPA_MDESC_COUNT int32 little-endian. */
#define SPX_LPA_MDESC_BYTES (4u * SPX_LPA_MDESC_COUNT)
void spx_lpa_mdesc_encode(const spx_lpa_mdesc_t *md, uint8_t out[SPX_LPA_MDESC_BYTES]);
/* 0 on success, -1 if the size is wrong or a value is out of range (out
 * untouched). */
int spx_lpa_mdesc_decode(const uint8_t *data, size_t size, spx_lpa_mdesc_t *out);
/* FNV-1a 64 of the encoded blob: the stream header's mdesc hash. */
uint64_t spx_lpa_mdesc_hash(const spx_lpa_mdesc_t *md);

/* ==== Layers =============================================================== */

/* Geometry of a PE layer (conv2d or dense), from its tensors: the kit's. */
typedef spx_tk_geom_t spx_lpa_geom_t;

/* Geometry of a conv2d/dense cpu.layer-shaped command over its tensor
 * records (spx_tk_geom_init); -1 if it is neither or the shapes do not fit
 * together (also: a count is 0, or groups does not divide cout). */
int spx_lpa_geom_init(spx_lpa_geom_t *g, const spx_cs_cpu_layer_t *l,
                      const spx_cs_tensor_t *in, const spx_cs_tensor_t *out);

/* What the PE array needs to know of a layer's weights. */
typedef struct spx_lpa_weights {
  uint16_t encoding;    /* SPX_FMT_LP or SPX_CS_ENC_DENSE (int8) */
  uint8_t w_bits;       /* bits per stored weight: LP n, or 8 */
  uint8_t a_bits;       /* bits per activation operand: LP n, or 8 */
  uint8_t pairs;        /* products per PE per cycle (1 or 2) */
  spx_fmt_lp_params_t lp; /* SPX_FMT_LP: the formats and A */
} spx_lpa_weights_t;

/* Checks a layer's weights blob against geometry g and the target's format
 * matrix: LP (spx_fmt_lp_validate, the full check) or dense int8 (cout * k
 * bytes). 0, or -1 with *err saying why. */
int spx_lpa_weights_open(spx_lpa_weights_t *w, const spx_lpa_geom_t *g, uint16_t encoding,
                         uint16_t dtype, const uint8_t *data, uint32_t size,
                         spx_rt_error_t *err);
/* "lp(n=8, es=1, rs=4, sf=2)" of the weights (which = 0) or the
 * activations (1); "int8" for int8 weights. */
void spx_lpa_format_text(const spx_lpa_weights_t *w, int which, char *buf, size_t cap);

/* ==== Costs ================================================================ */

/* X(ENUM, member, "name"): the designs costed side by side. */
#define SPX_LPA_DESIGNS(X)                                                    \
  X(LPA, lpa, "lpa")                                                          \
  X(INT8, int8, "int8")

enum {
#define SPX_LPA_X_(E, m, s) SPX_LPA_##E,
  SPX_LPA_DESIGNS(SPX_LPA_X_)
#undef SPX_LPA_X_
  SPX_LPA_DESIGN_COUNT
};
const char *spx_lpa_design_name(unsigned design);

typedef spx_tk_tiling_t spx_lpa_tiling_t;

/* Stored bytes of one output channel's weights at `bits` per weight. */
uint64_t spx_lpa_weight_bytes_per_m(const spx_lpa_geom_t *g, unsigned bits);
/* Chooses the tiles: the largest weight tile (whole row blocks, whole K if
 * it fits) in half the weight buffer, then the largest pixel tile (whole
 * output rows when one fits) whose input fits half the activation buffer
 * and whose int8 outputs (tile_m x tile_p) fit half the output buffer. */
void spx_lpa_plan(const spx_lpa_mdesc_t *md, const spx_lpa_geom_t *g, uint64_t wbytes_per_m,
                  spx_lpa_tiling_t *out);
/* Buffer bytes a tile occupies (the loader's fit checks). */
uint64_t spx_lpa_tile_wbytes(const spx_lpa_geom_t *g, const spx_lpa_tiling_t *t,
                             uint64_t wbytes_per_m);
uint64_t spx_lpa_tile_ibytes(const spx_lpa_geom_t *g, const spx_lpa_tiling_t *t);
uint64_t spx_lpa_tile_obytes(const spx_lpa_tiling_t *t);

typedef struct spx_lpa_cost {
  uint64_t compute[SPX_LPA_DESIGN_COUNT];    /* cycles */
  uint64_t dram_bytes[SPX_LPA_DESIGN_COUNT];
  uint64_t dram[SPX_LPA_DESIGN_COUNT];       /* cycles */
  uint64_t latency[SPX_LPA_DESIGN_COUNT];    /* max(compute, dram) */
  uint64_t weight_bytes[SPX_LPA_DESIGN_COUNT]; /* per pass, with per-channel data */
  spx_lpa_tiling_t tiling[SPX_LPA_DESIGN_COUNT];
  uint64_t input_bytes, output_bytes; /* moved (lpa design) */
  uint64_t macs;                      /* products: cout * k * p */
  uint64_t row_blocks, col_passes, k_steps; /* lpa design, summed over tiles */
  uint32_t pairs;
  uint32_t nrows;
  uint64_t rows_busy[1024]; /* per PE row: lpa compute cycles it was busy */
} spx_lpa_cost_t;

/* The full cost of a PE layer with tiling t on both designs (the int8
 * design plans its own tiles). */
void spx_lpa_pe_cost(const spx_lpa_mdesc_t *md, const spx_lpa_geom_t *g,
                     const spx_lpa_weights_t *w, const spx_lpa_tiling_t *t,
                     spx_lpa_cost_t *out);
/* Cost of a host layer (cpu.layer-shaped) over its tensor records. */
void spx_lpa_host_cost(const spx_lpa_mdesc_t *md, const spx_cs_cpu_layer_t *l,
                       const spx_cs_tensor_t *const tensors[5], spx_lpa_cost_t *out);

/* ==== The simulator ========================================================
 * spx_sim_lpa_device ("sim", target lpa) implements spx_rt_device_t:
 * functional and bit-exact with the cpu device - every layer runs through
 * spx_rt_layer_run, i.e. the LP kernels of runtime/kernels/spx_lp.c and the
 * int8 driver; the tiles partition the layer's outputs and keep each
 * output's reduction in order, so one pass over the layer gives the values
 * of all `iterations` tiles. Costs do not depend on activations, so they are
 * computed from the stream alone: */

/* Per-command costs of a loaded lpa stream, into costs[0 .. command_count)
 * (caller memory; cap entries). SPX_RT_OK or an error naming the command. */
spx_rt_status_t spx_sim_lpa_cost(const spx_cs_stream_t *s, spx_lpa_cost_t *costs, uint32_t cap,
                                 spx_rt_error_t *error);

/* Writes Chrome trace events (JSON, loadable in Perfetto) of one inference:
 * one track per PE row (pid 1, tid = row) with a slice per PE layer lasting
 * the row's busy cycles, a "dram" track (tid 1000) and a "layer" track (tid
 * 1001) with each layer's latency (its args carry the int8 array's
 * cycles); 1 cycle = 1000/clock_mhz ns, ts in us. Uses `scratch` (>=
 * sizeof(spx_lpa_cost_t)). */
spx_rt_status_t spx_sim_lpa_write_trace(const spx_cs_stream_t *s, spx_cs_write_fn write,
                                        void *ctx, spx_lpa_cost_t *scratch,
                                        spx_rt_error_t *error);

extern const spx_rt_device_t spx_sim_lpa_device;

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGET_LPA_H */
