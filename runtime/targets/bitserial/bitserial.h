/* spx_sim_bitserial.h - the bit-serial (BitVert-style) accelerator: its
 * machine description, the cost model shared by the compiler and the
 * simulator, and the simulator device.
 *
 * ==== Machine description ==================================================
 * One table (SPX_SIM_BS_MDESC) is the definition: the compiler reads target
 * options of the same names (`target bitserial(rows=16)`, `spxc
 * --target=bitserial --target-opt...`), stores the values in the stream as an
 * int32 blob "bitserial.mdesc" in table order, and puts their hash
 * (spx_sim_bs_mdesc_hash) in the stream header; the simulator reads the blob
 * back, so a stream always runs on the machine it was compiled for.
 *
 * ==== Array and dataflow ===================================================
 * rows x cols PEs. Every PE holds one accumulator and a `lanes`-wide
 * bit-column unit split in two halves of lanes/2: each cycle it takes one
 * bit column of one weight group (the bits of one significance of `lanes`
 * weights along the input channels) and the group's `lanes` activations,
 * and adds sum(b_i * a_i) per half - or sum(a) - sum((1 - b_i) * a_i) when
 * the half has more ones than lanes/4 (bi-directional: <= lanes/4 effectual
 * bits per half, so a (lanes/4 + 1):1 mux per adder input).
 * Output channels map to PE rows (a row holds one channel; the weight group
 * is broadcast along the row), output pixels to PE columns (the activations
 * are broadcast down the column). All PEs run in lockstep: a group step of a
 * row block lasts as long as its slowest row, which is why the BBS format
 * orders channels by precision class (one class per row block).
 *
 * ==== Cycles (per row block of `rows` channels, per column pass of `cols`
 * output pixels, summed over the K groups) ==================================
 *   bbs       kept bit columns of the group (8 for dense int8 weights), plus
 *             const_cycles when the group has a constant term (rounded
 *             averaging adds C * sum(a), zero-point shifting subtracts
 *             c * sum(a); sum(a) is formed once per group by the column's
 *             adder tree, the product by the PE's shifter in const_cycles).
 *             Ternary weights: 1 per group step (below). The design is
 *             "bbs" whatever the stream's weights are (dense int8, BBS or
 *             ternary): this PE array running them; the baselines run the
 *             same weights as dense int8.
 *   stripes   8 per group: every bit column, no skipping.
 *   zskip     unidirectional zero-bit skipping without BBS: each lane walks
 *             the one bits of its own weight's magnitude (sign-magnitude);
 *             a group takes as long as its busiest lane (at least 1 cycle).
 *   bitpar    bit-parallel int8 at iso-area: bp_lanes 8x8 MACs per PE per
 *             cycle, ceil(group size / bp_lanes) per group.
 * Ternary weights (SPX_FMT_TERNARY, groups of N lanes with at most K
 * non-zeros in {-1, +1}): a group is one mask column (its non-zero lanes)
 * and one sign column. The PE change this assumes: the row's weight path
 * decodes each b-bit code with the format's code book
 * (spx_fmt_ternary_code_to_masks) into both columns at once, and the sign
 * column is latched next to the mask column and drives the conditional
 * negation at the adder inputs (the one BBS's sign-magnitude lanes use);
 * it is not streamed through the column port, so a group step costs ONE
 * cycle: the mask column's ones (or, per half, its zeros) added or
 * subtracted by their sign bits. A PE step packs q = floor(lanes / N)
 * consecutive ternary groups of a tap side by side (lanes 16, N = 8: two
 * groups, one per half), i.e. q * N input channels (fewer at a tap's end);
 * N > lanes cannot be mapped and is refused (spx_sim_bs_weights_open).
 * DRAM: dram_bits per cycle; weights as stored (BBS: the encoded blob;
 * baselines: dense int8), inputs and outputs int8. Layer latency =
 * max(compute, DRAM) (double-buffered tiles; each tile is sized to half of
 * its SRAM). Host layers: ceil(work / host_lanes) cycles, work = output
 * elements times the window size for pools, else input+output elements;
 * their DRAM traffic is their tensors; the same on every design.
 */
#ifndef SPX_SIM_BITSERIAL_H
#define SPX_SIM_BITSERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/device/spx_device.h"
#include "runtime/targets/kit/kit.h"
#include "runtime/targets/bitserial/opcodes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Set bits of x: a bit column's ones, in the simulator and its cost model. */
static inline unsigned spx_sim_bs_popcount32(uint32_t x) {
  unsigned n = 0;
  while (x) {
    x &= x - 1;
    ++n;
  }
  return n;
}

/* The machine description, in the registry's shape (runtime/spx_targets.h):
 * X(member, "option", default, min, max, doc), in blob order. Defaults from
 * BitVert (MICRO 2024) and its authors' simulator. lanes must also be
 * even. */
#define SPX_SIM_BS_MDESC(X)                                                   \
  X(rows, "rows", 32, 1, 1024, "PE rows (output channels in parallel)")      \
  X(cols, "cols", 16, 1, 1024, "PE columns (output pixels in parallel)")     \
  X(lanes, "lanes", 16, 2, 32, "bit-column width of a PE = BBS group size, even") \
  X(wsram_kb, "wsram_kb", 288, 1, 65536, "weight SRAM, KiB")                 \
  X(isram_kb, "isram_kb", 256, 1, 65536, "input SRAM, KiB")                  \
  X(dram_bits, "dram_bits", 128, 8, 4096, "DRAM bits per cycle (64-bit DDR, 2/cycle)") \
  X(clock_mhz, "clock_mhz", 1000, 1, 10000, "clock, MHz (latency in us)")    \
  X(const_cycles, "const_cycles", 1, 0, 8, "cycles per group with a constant term") \
  X(bp_lanes, "bp_lanes", 2, 1, 32, "bit-parallel baseline: int8 MACs per PE per cycle") \
  X(host_lanes, "host_lanes", 16, 1, 4096, "host steps: elements per cycle")

typedef struct spx_sim_bs_mdesc {
#define SPX_SIM_BS_X_(m, opt, def, lo, hi, doc) int32_t m;
  SPX_SIM_BS_MDESC(SPX_SIM_BS_X_)
#undef SPX_SIM_BS_X_
} spx_sim_bs_mdesc_t;

enum {
#define SPX_SIM_BS_X_(m, opt, def, lo, hi, doc) SPX_SIM_BS_MDESC_I_##m,
  SPX_SIM_BS_MDESC(SPX_SIM_BS_X_)
#undef SPX_SIM_BS_X_
  SPX_SIM_BS_MDESC_COUNT
};

void spx_sim_bs_mdesc_init_default(spx_sim_bs_mdesc_t *md);
/* The values in table order (the shape of spx_mdesc_check, of the
 * compiler's p->mdesc and of the kit's blob functions), and back. */
void spx_sim_bs_mdesc_to_values(const spx_sim_bs_mdesc_t *md, int64_t *v);
void spx_sim_bs_mdesc_from_values(const int64_t *v, spx_sim_bs_mdesc_t *md);
/* Value `index` (table order) as a pointer into md. */
int32_t *spx_sim_bs_mdesc_at(spx_sim_bs_mdesc_t *md, unsigned index);
/* spx_mdesc_check of it (ranges, lanes even): SPX_RT_OK, or what is wrong
 * in *err. */
spx_rt_status_t spx_sim_bs_mdesc_check(const spx_sim_bs_mdesc_t *md, spx_rt_error_t *err);
/* The blob: SPX_SIM_BS_MDESC_COUNT int32 little-endian. */
#define SPX_SIM_BS_MDESC_BYTES (4u * SPX_SIM_BS_MDESC_COUNT)
void spx_sim_bs_mdesc_encode(const spx_sim_bs_mdesc_t *md,
                             uint8_t out[SPX_SIM_BS_MDESC_BYTES]);
/* 0 on success, -1 if the size is wrong or a value is out of range (out
 * untouched). */
int spx_sim_bs_mdesc_decode(const uint8_t *data, size_t size,
                            spx_sim_bs_mdesc_t *out);
/* FNV-1a 64 of the encoded blob: the stream header's mdesc hash. */
uint64_t spx_sim_bs_mdesc_hash(const spx_sim_bs_mdesc_t *md);

/* ==== Weight groups ========================================================
 * Every format is seen through one view of a group (the weights of one
 * output channel at one kernel tap, `n` consecutive input channels):
 *   dot = sum_c colw[c] * sum_i bit(c, i) * (neg_i ? -a_i : a_i)
 *         + const_mul * sum_i a_i
 * Dense int8 (two's complement): 8 columns, colw = -128, 64, .., 1.
 * Ternary: 1 column, colw = 1, bits = the non-zero lanes, neg = the -1
 * lanes (the sign column, which steers the adders rather than being a
 * column of its own), q = lanes / N codes side by side.
 * The effective weight of lane i is
 *   (neg_i ? -1 : 1) * sum_c colw[c] * bit(c, i) + const_mul. */
typedef struct spx_sim_bs_group {
  uint8_t n;         /* lanes used (<= 32) */
  uint8_t ncols;     /* kept bit columns (0..8) */
  uint32_t neg;      /* lanes whose activation is negated (sign-magnitude) */
  uint32_t bits[8];  /* column c: bit i = lane i */
  int32_t colw[8];   /* value of a one in column c */
  int32_t const_mul; /* times sum(a) */
} spx_sim_bs_group_t;

/* Geometry of a PE layer (conv2d or dense), from its tensors: the kit's
 * (spx_tk_geom_t, as member `kit` or by its member names), and the weight
 * groups. */
typedef struct spx_sim_bs_geom {
  union {
    spx_tk_geom_t kit;
    struct {
      SPX_TK_GEOM_MEMBERS
    };
  };
  uint32_t gsize;   /* lanes per weight group: min(lanes, cin_g) */
  uint32_t kgroups; /* groups per output channel: kh * kw * ceil(cin_g / gsize) */
} spx_sim_bs_geom_t;

/* A layer's weights: dense int8 OIHW / [M][K], a BBS encoding (its
 * opened view; rows in the format's channel order, one class per block) or
 * a ternary encoding (rows in channel order). */
typedef struct spx_sim_bs_weights {
  const spx_sim_bs_geom_t *g;
  uint16_t encoding; /* SPX_CS_ENC_DENSE (int8), SPX_FMT_BBS, SPX_FMT_TERNARY */
  const uint8_t *data;
  uint32_t size;
  spx_fmt_bbs_view_t bbs;         /* SPX_FMT_BBS */
  spx_fmt_ternary_view_t ternary; /* SPX_FMT_TERNARY */
  uint32_t tern_per_step;         /* ternary groups per PE step, lanes / N */
} spx_sim_bs_weights_t;

/* Opens a layer's weights over geometry g. For BBS, checks the encoding
 * against the layer (spx_fmt_bbs_validate) and sets g's group size and
 * groups per channel from it (Ge, kh * kw * ng); its G must not exceed the
 * PE width (md lanes). For ternary, checks the encoding
 * (spx_fmt_ternary_validate; N must not exceed md lanes) and sets g's
 * group size to a PE step, min(q * N, cin_g) with q = lanes / N ternary
 * groups per step, and groups per channel to kh * kw * ceil(ng / q). 0, or
 * a negative status with *err saying why. */
int spx_sim_bs_weights_open(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                            const spx_sim_bs_mdesc_t *md, uint16_t encoding,
                            const uint8_t *data, uint32_t size,
                            spx_rt_error_t *err);
/* The same for weights that passed it before (the simulator's initialize
 * and runs, after its loader's check): the structural checks only, O(rows),
 * not every byte. */
int spx_sim_bs_weights_reopen(spx_sim_bs_weights_t *w, spx_sim_bs_geom_t *g,
                              const spx_sim_bs_mdesc_t *md, uint16_t encoding,
                              const uint8_t *data, uint32_t size, spx_rt_error_t *err);
/* Group `kg` of array row `r` (kg in [0, kgroups): tap-major,
 * kg = (ky * kw + kx) * ceil(cin_g / gsize) + channel block). Array rows are
 * output channels in the weights' order (spx_sim_bs_channel_at). 0 or -1. */
int spx_sim_bs_group_get(const spx_sim_bs_weights_t *w, uint32_t r,
                         uint32_t kg, spx_sim_bs_group_t *out);
/* The output channel of array row `r`: identity for dense and ternary
 * weights, the format's order for BBS. */
uint32_t spx_sim_bs_channel_at(const spx_sim_bs_weights_t *w, uint32_t r);

/* ==== Costs ================================================================ */

/* X(ENUM, member, "name"): the designs costed side by side. */
#define SPX_SIM_BS_DESIGNS(X)                                                 \
  X(BBS, bbs, "bbs")                                                          \
  X(STRIPES, stripes, "stripes")                                              \
  X(ZSKIP, zskip, "zskip")                                                    \
  X(BITPAR, bitpar, "bitpar")

enum {
#define SPX_SIM_BS_X_(E, m, s) SPX_SIM_BS_##E,
  SPX_SIM_BS_DESIGNS(SPX_SIM_BS_X_)
#undef SPX_SIM_BS_X_
  SPX_SIM_BS_DESIGN_COUNT
};
const char *spx_sim_bs_design_name(unsigned design);

typedef spx_tk_tiling_t spx_sim_bs_tiling_t;

typedef struct spx_sim_bs_cost {
  uint64_t compute[SPX_SIM_BS_DESIGN_COUNT]; /* cycles */
  uint64_t dram_bytes[SPX_SIM_BS_DESIGN_COUNT];
  uint64_t dram[SPX_SIM_BS_DESIGN_COUNT];    /* cycles */
  uint64_t latency[SPX_SIM_BS_DESIGN_COUNT]; /* max(compute, dram) */
  uint64_t weight_bytes[SPX_SIM_BS_DESIGN_COUNT]; /* as stored */
  uint64_t input_bytes, output_bytes; /* moved, per pass over the layer */
  uint64_t groups;    /* weight groups (cout * kgroups) */
  uint64_t bbs_cols;  /* sum of kept columns over groups */
  uint64_t const_groups;
  uint64_t row_blocks, col_passes;
  uint64_t rows_busy[1024]; /* per PE row: bbs cycles its own groups took */
  uint32_t nrows;
} spx_sim_bs_cost_t;

/* Geometry of an int8 conv2d/dense cpu.layer-shaped command over its tensor
 * records (spx_tk_geom_init, then the groups for md's lanes); -1 if it is
 * neither. */
int spx_sim_bs_geom_init(spx_sim_bs_geom_t *g, const spx_cs_cpu_layer_t *l,
                         const spx_cs_tensor_t *in, const spx_cs_tensor_t *out,
                         const spx_sim_bs_mdesc_t *md);
/* Chooses the tiles: the largest weight tile (whole row blocks, whole K if
 * it fits) in half the weight SRAM, the largest input tile (whole output
 * rows) in half the input SRAM. wbytes_per_m = stored weight bytes of one
 * output channel (ceil). */
void spx_sim_bs_plan(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_geom_t *g,
                     uint64_t wbytes_per_m, spx_sim_bs_tiling_t *out);
/* Bytes of weight and input SRAM a tile occupies (the loader's fit check). */
uint64_t spx_sim_bs_tile_wbytes(const spx_sim_bs_geom_t *g,
                                const spx_sim_bs_tiling_t *t,
                                uint64_t wbytes_per_m);
uint64_t spx_sim_bs_tile_ibytes(const spx_sim_bs_geom_t *g,
                                const spx_sim_bs_tiling_t *t);
/* The full cost of a PE layer on every design. -1 if a group cannot be
 * read (corrupt encoded weights). */
int spx_sim_bs_pe_cost(const spx_sim_bs_mdesc_t *md,
                       const spx_sim_bs_weights_t *w,
                       const spx_sim_bs_tiling_t *t, spx_sim_bs_cost_t *out);
/* The same for the bbs design alone (what a simulated run reports): its
 * compute, dram and latency cycles, dram and weight bytes, rows_busy and
 * the layer's counts (groups, bbs_cols, const_groups, row_blocks,
 * col_passes, nrows, input and output bytes) equal spx_sim_bs_pe_cost's;
 * the other designs' figures are 0. Reads a BBS layer's group headers
 * only (and a dense layer's nothing), where the other designs' cycles need
 * every weight (zero skipping). */
int spx_sim_bs_pe_cost_bbs(const spx_sim_bs_mdesc_t *md, const spx_sim_bs_weights_t *w,
                           const spx_sim_bs_tiling_t *t, spx_sim_bs_cost_t *out);
/* Cost of a host layer (cpu.layer-shaped) over its tensor records. */
void spx_sim_bs_host_cost(const spx_sim_bs_mdesc_t *md,
                          const spx_cs_cpu_layer_t *l,
                          const spx_cs_tensor_t *const tensors[5],
                          spx_sim_bs_cost_t *out);

/* ==== The simulator ========================================================
 * spx_sim_bitserial_device ("sim", target bitserial) implements
 * spx_rt_device_t: functional, bit-exact with the cpu device for the same
 * weights. bs.pe layers are computed group by group, bit column by bit
 * column, each half on its ones or its zeros as the hardware does; bs.host
 * layers through spx_rt_layer_run. Costs do not depend on activations, so
 * they are computed from the stream alone: */

/* Per-command costs of a loaded bitserial stream, into costs[0 ..
 * command_count) (caller memory; cap entries). SPX_RT_OK or an error naming
 * the command. */
spx_rt_status_t spx_sim_bitserial_cost(const spx_cs_stream_t *s,
                                       spx_sim_bs_cost_t *costs, uint32_t cap,
                                       spx_rt_error_t *error);

/* Writes Chrome trace events (JSON, loadable in Perfetto) of one inference:
 * one track per PE row (pid 1, tid = row) with a slice per PE layer lasting
 * the row's busy cycles, a "dram" track (tid 1000) and a "layer" track
 * (tid 1001) with each layer's latency; 1 cycle = 1000/clock_mhz ns, ts in
 * us. Uses `scratch` (>= sizeof(spx_sim_bs_cost_t)). */
spx_rt_status_t spx_sim_bitserial_write_trace(const spx_cs_stream_t *s,
                                              spx_cs_write_fn write, void *ctx,
                                              spx_sim_bs_cost_t *scratch,
                                              spx_rt_error_t *error);

extern const spx_rt_device_t spx_sim_bitserial_device;

#ifdef __cplusplus
}
#endif

#endif /* SPX_SIM_BITSERIAL_H */
