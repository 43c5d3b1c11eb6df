/* kit.h - the target kit: what every PE-array target (bitserial, lpa, and the
 * next one) needs and none of them owns. A target keeps its own PE, cost
 * model, opcodes and messages; it takes from here
 *   - the machine-description blob codec: values in the order of the
 *     target's registry table (runtime/spx_targets.h), stored as int32
 *     little-endian, hashed with FNV-1a 64 for the stream header;
 *   - the machine description a stream runs on (its first PE command's blob,
 *     else the table's defaults);
 *   - the geometry of a conv2d/dense cpu.layer-shaped command;
 *   - the loader checks every PE opcode of the bs.pe/lpa.pe shape repeats
 *     (the mdesc blob, the tile bounds and count): kit/check.c;
 *   - the Chrome trace writer (JSON events loadable in Perfetto) and the
 *     PE-array trace layout: a track per PE row, "dram" and "layer" tracks.
 * Freestanding C like the rest of runtime/: no allocation, no stdio; the
 * caller owns all memory. docs/extending.md, "Adding a target", says which
 * pieces a new target uses. */
#ifndef SPX_TARGET_KIT_H
#define SPX_TARGET_KIT_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/spx_status.h"
#include "runtime/spx_targets.h"
#include "runtime/stream/spx_stream.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spx_rt_device;

/* ==== Machine description blob ============================================
 * `v` holds one value per field of table `t`, in table order (the shape of
 * spx_mdesc_check and of the compiler's p->mdesc). */

/* Bytes of the blob of a table with `count` fields. */
#define SPX_TK_MDESC_BYTES(count) (4u * (unsigned)(count))

/* v[i] = the table's default of field i. */
void spx_tk_mdesc_defaults(const spx_mdesc_table_t *t, int64_t *v);
/* The blob: (uint32_t)v[i] little-endian at 4 * i; out holds
 * SPX_TK_MDESC_BYTES(t->count) bytes. */
void spx_tk_mdesc_encode(const spx_mdesc_table_t *t, const int64_t *v, uint8_t *out);
/* Reads a blob back. 0; or -1 with *err (may be NULL) saying why: no data
 * or not SPX_TK_MDESC_BYTES(t->count) bytes (v untouched), or a value
 * spx_mdesc_check refuses (v holds the values read, int32 each). */
int spx_tk_mdesc_decode(const spx_mdesc_table_t *t, const uint8_t *data, size_t size,
                        int64_t *v, spx_rt_error_t *err);
/* FNV-1a 64 of the encoded blob: the stream header's mdesc hash. */
uint64_t spx_tk_mdesc_hash(const spx_mdesc_table_t *t, const int64_t *v);

/* The blob id a command's machine description is in: the target's PE
 * opcode's `mdesc` field, SPX_CS_NONE for commands that carry none. */
typedef uint16_t (*spx_tk_mdesc_blob_fn)(const spx_cs_command_t *c);
/* The machine description a stream runs on: the blob of its first command
 * that carries one (mdesc_of), decoded; the table's defaults if there is
 * none or it does not decode. */
void spx_tk_stream_mdesc(const spx_cs_stream_t *s, const spx_mdesc_table_t *t,
                         spx_tk_mdesc_blob_fn mdesc_of, int64_t *v);

/* ==== Layer geometry ====================================================== */

/* A conv2d or dense layer as a PE array sees it, from its tensors. The
 * members are a macro too, so a target's geometry can extend it and keep
 * plain member names: union { spx_tk_geom_t kit; struct {
 * SPX_TK_GEOM_MEMBERS }; } (see spx_sim_bs_geom_t). */
#define SPX_TK_GEOM_MEMBERS                                                   \
  uint32_t n, cin, h, w;  /* input (dense: n, cin = K, h = w = 1) */          \
  uint32_t cout, oh, ow;  /* output */                                        \
  uint32_t kh, kw, sh, sw, dh, dw, groups;                                    \
  uint32_t pad[4];        /* top, left, bottom, right (dense: 0) */           \
  uint32_t cin_g, cout_g; /* per conv group */                                \
  uint64_t k;             /* reduction length cin_g * kh * kw */              \
  uint64_t p;             /* output pixels n * oh * ow */

typedef struct spx_tk_geom {
  SPX_TK_GEOM_MEMBERS
} spx_tk_geom_t;

/* Geometry of a cpu.layer-shaped command over its input and output tensor
 * records: 0, or -1 if it is not a conv2d with rank-4 tensors nor a dense
 * with rank-2 ones, or groups, kh or kw is 0, or groups does not divide
 * cin. Nothing else is checked (a target adds its own rules); dtypes are
 * not looked at. */
int spx_tk_geom_init(spx_tk_geom_t *g, const spx_cs_cpu_layer_t *l, const spx_cs_tensor_t *in,
                     const spx_cs_tensor_t *out);

/* A layer a PE-array target runs on its host unit (pools, add, quantize,
 * softmax, copy, ...): *work its elements - output elements x window for
 * pools, else input plus output elements; 0 for a flatten/reshape in place,
 * a view - and the bytes it moves, its inputs (*in_bytes) and, unless it is
 * a view, its output (*out_bytes). tensors[0..3] are the inputs, [4] the
 * output. The target turns them into cycles at its own rates. */
void spx_tk_host_work(const spx_cs_cpu_layer_t *l, const spx_cs_tensor_t *const tensors[5],
                      uint64_t *work, uint64_t *in_bytes, uint64_t *out_bytes);

/* A PE layer's tiles (the PE opcode's tile_m, tile_k, tile_p fields and its
 * iterations): tile_m output channels x tile_p output pixels x tile_k
 * reduction elements, tiles = ceil(M/tile_m) * ceil(P/tile_p) *
 * ceil(K/tile_k). */
typedef struct spx_tk_tiling {
  uint32_t tile_m, tile_k, tile_p;
  uint32_t tiles;
} spx_tk_tiling_t;

/* ==== Loader checks (kit/check.c) =========================================
 * For a target's check_command (runtime/stream/cs_internal.h), on a PE
 * command `i` whose opcode is called `opn`; SPX_RT_OK or cs_bad's status
 * with "command I (OPN): field 'F': ..." as the loader's message. */
struct cs_vctx;

/* Field 'mdesc': blob `blob` is present, a dense int32 blob of the table's
 * size, and decodes (spx_tk_mdesc_decode) into values[0 .. t->count). */
spx_rt_status_t spx_tk_check_mdesc(struct cs_vctx *v, uint32_t i, const char *opn,
                                   uint16_t blob, const spx_mdesc_table_t *t, int64_t *values);
/* Fields 'tile_m', 'tile_k', 'tile_p', 'iterations' of tiling `t` over
 * geometry g: tile_m in [1, cout] and a multiple of `rows` (or all
 * channels; the error names them `rows_name`: "PE rows", "array columns");
 * tile_k in [1, k] and, if k_group is not 0, a multiple of it
 * (or all of k); tile_p in [1, p]; tiles = the tile count. */
spx_rt_status_t spx_tk_check_tiles(struct cs_vctx *v, uint32_t i, const char *opn,
                                   const spx_tk_geom_t *g, const spx_tk_tiling_t *t,
                                   uint32_t rows, const char *rows_name, uint32_t k_group);

/* ==== Simulator devices (kit/sim.c) ========================================
 * What every PE-array simulator checks when it prepares a model. */

/* The stream is of `device`'s target, and its inputs are f32 or int8. */
spx_rt_status_t spx_tk_sim_check_stream(const struct spx_rt_device *device,
                                        const spx_cs_stream_t *s, spx_rt_error_t *error);
/* Command i's machine description hashes to the stream header's. */
spx_rt_status_t spx_tk_sim_check_hash(const spx_cs_stream_t *s, uint32_t i, const char *name,
                                      uint64_t hash, spx_rt_error_t *error);

/* ==== Chrome trace ========================================================
 * JSON written piece by piece through a spx_cs_write_fn; the first failed
 * write stops the rest and is remembered. */

typedef struct spx_tk_trace {
  spx_cs_write_fn write;
  void *ctx;
  int failed; /* a write failed: nothing more is written */
  int first;  /* no event written yet (the next one takes no comma) */
} spx_tk_trace_t;

void spx_tk_trace_init(spx_tk_trace_t *t, spx_cs_write_fn write, void *ctx);
/* Formats (spx_rt_vformat, at most 511 bytes) and writes. */
void spx_tk_trace_printf(spx_tk_trace_t *t, const char *fmt, ...) SPX_RT_PRINTF_(2, 3);

/* Nanoseconds of `cycles` at `mhz`: cycles * 1000 / mhz, rounded down. */
static inline uint64_t spx_tk_cycles_ns(uint64_t cycles, uint32_t mhz) {
  return cycles * 1000u / (uint64_t)mhz;
}

/* A complete ("X") event on pid 1, track `tid`; ts/dur in ns, printed as
 * us with 3 decimals; `args` a JSON object, or "" for none. */
void spx_tk_trace_event(spx_tk_trace_t *t, const char *name, uint32_t tid, uint64_t ts_ns,
                        uint64_t dur_ns, const char *args);

/* The PE-array layout. Tracks: "<track> r" (tid r, r < SPX_TK_TRACE_ROWS;
 * track "PE row" on the PE arrays, "array" on xbar), "dram" (tid 1000),
 * "layer" (tid 1001). */
#define SPX_TK_TRACE_ROWS 1024u
#define SPX_TK_TRACE_TID_DRAM 1000u
#define SPX_TK_TRACE_TID_LAYER 1001u
/* Opens the JSON object and names the tracks of `rows` units. */
void spx_tk_trace_array_begin(spx_tk_trace_t *t, uint32_t rows, const char *track);
/* One layer starting at cycle `now` at `mhz`: a slice of `latency` cycles
 * on the layer track (with `args`), one of `dram` cycles on the dram track
 * if not 0, and per PE row r < nrows a slice of rows_busy[r] cycles if not
 * 0 (rows_busy NULL: a layer off the array). */
void spx_tk_trace_array_layer(spx_tk_trace_t *t, const char *name, uint64_t now, uint32_t mhz,
                              uint64_t latency, uint64_t dram, const uint64_t *rows_busy,
                              uint32_t nrows, const char *args);
/* Closes the JSON object: SPX_RT_OK, or SPX_RT_ERR_ARG "trace write failed"
 * in *error if a write failed. */
spx_rt_status_t spx_tk_trace_end(spx_tk_trace_t *t, spx_rt_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGET_KIT_H */
