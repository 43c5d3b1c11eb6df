/* spx_formats.h - every weight encoding, defined once.
 *
 * Each encoding has an encoder (the compiler links it to encode weights), a
 * decoder, and kernels or simulators that run it directly; all of them use
 * the definitions in this folder, so the compiler, the generated C and the
 * simulators share one contract. Encoded weights travel in .spxbin blobs of
 * dtype u8 whose `encoding` field is one of the codes below (0 is a plain
 * dense array: runtime/stream's SPX_CS_ENC_DENSE).
 *
 * Freestanding C99: no allocation (size queries + caller buffers), no stdio.
 */
#ifndef SPX_FORMATS_H
#define SPX_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "../spx_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, code, "text"): the encodings, one line each. Each is one file of
 * this folder exporting one descriptor, spx_fmt_desc_<text> (below):
 *   DENSE  a plain array: f32, or int8 symmetric per output channel (dense.c)
 *   CBR    8x8 weight blocks in compressed block rows (block sparsity, cbr.c)
 *   BBS    bit-column groups of int8 weights (bi-directional bit sparsity,
 *          bbs.c)
 *   TERNARY  structured sparse ternary weights: per group of N input
 *          channels at most K non-zero weights in {-1, +1} (x alpha, the
 *          channel's weight scale), one code book index per group
 *          (ternary.c)
 *   LP     logarithmic posit codes LP<n, es, rs, sf> for the weights, with
 *          the layer's activation format, int64 bias and the int8 -> LP
 *          activation table: the LP integer datapath (lp.c,
 *          docs/numerics.md "LP layers")
 *   BINARY weights alpha * {-1, +1} per output channel, 1 bit each, with
 *          per-column flip bits for crossbar arrays (binary.c) */
#define SPX_FMT_ENCODINGS(X)                                                  \
  X(DENSE, 0, "dense")                                                        \
  X(CBR, 1, "cbr")                                                            \
  X(BBS, 2, "bbs")                                                            \
  X(TERNARY, 3, "ternary")                                                    \
  X(LP, 4, "lp")                                                              \
  X(BINARY, 5, "binary")

typedef enum spx_fmt_encoding {
#define SPX_FMT_X_(E, code, text) SPX_FMT_##E = code,
  SPX_FMT_ENCODINGS(SPX_FMT_X_)
#undef SPX_FMT_X_
  SPX_FMT_COUNT_
} spx_fmt_encoding_t;

/* ==== Descriptors: what every format provides ============================ */

/* The weight tensor of a conv2d / dense as every format sees it: rows = M
 * output channels (conv: c_out; dense: units), cols = K input channels of
 * one conv group (conv: c_in / groups; dense: features), kh x kw taps per
 * (row, col) cell (dense: 1 x 1), groups conv groups (dense: 1; it divides
 * rows). Dense order is OIHW [rows][cols][kh][kw]. */
typedef struct spx_fmt_dims {
  uint32_t rows;
  uint32_t cols;
  uint16_t kh, kw;
  uint32_t groups;
} spx_fmt_dims_t;

/* rows * cols * kh * kw, or 0 if a dimension is 0 (or the product
 * overflows size_t). */
size_t spx_fmt_dims_count(const spx_fmt_dims_t *dims);

/* One weight format. Every function borrows the encoded bytes, never reads
 * past len, and returns SPX_RT_OK or an error code, with a message naming
 * what is wrong and where in *err (if not NULL; cleared on success). Dense int8 is the format of
 * code 0: its bytes are the int8 OIHW array itself.
 *   validate  the full check, O(len): every byte the encoder could produce,
 *             the tensor it stands for equal to *dims;
 *   decode    the reference weights the encoding stands for, as int16 in
 *             dense OIHW order (count >= spx_fmt_dims_count(dims)); checks
 *             all validate does (after an error out holds anything; it may
 *             check as it writes). int16 because a format's effective weights
 *             may leave int8 (BBS zero-point shifting reaches about +-143);
 *   decodes_to_s8  1 when every decoded weight of every valid encoding is
 *             in [-128, 127], so a target that runs dense int8 can take the
 *             format decoded to dense at compile time.
 * The kernel half of a descriptor (see "Kernels" at the end of this file)
 * is what the one int8 conv2d/dense driver of runtime/kernels calls:
 *   open      the structural check, O(rows + blocks), done on every run:
 *             enough for the inner product never to read out of bounds;
 *             fills an spx_fmt_weights_t (views into the bytes);
 *   scratch_size, begin, row_sums, cols_ready, dot: the format's scratch,
 *             its per-run set-up, and the inner product of weight rows with
 *             a tile of im2col columns;
 *   row_taps  the taps of one row of a depthwise layer.
 * A descriptor may leave the kernel half NULL (no cpu kernel yet).
 * runtime/device dispatches layers through this table; nothing else in the
 * runtime, the compiler or the simulators compares an encoding code with a
 * format's. */
struct spx_fmt_weights;
struct spx_fmt_cols;
typedef struct spx_fmt_desc {
  uint16_t code;       /* SPX_FMT_* */
  const char *name;    /* the "text" of SPX_FMT_ENCODINGS */
  const char *summary; /* one line, for --help and tables */
  uint8_t decodes_to_s8;
  /* The largest |w| of an effective weight of any valid encoding (int8:
   * 128; BBS zero-point shifting: 143, spx_fmt_bbs_weight_range): it
   * bounds one product of an int8 layer's accumulator (spx_fmt_acc_term). */
  uint16_t max_abs_weight;
  spx_rt_status_t (*validate)(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                  spx_rt_error_t *err);
  spx_rt_status_t (*decode)(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                int16_t *out, size_t count, spx_rt_error_t *err);
  /* ---- kernels (spx_fmt_weights_t, spx_fmt_cols_t below) ---- */
  uint8_t needs_s8;   /* 1: int8 layers only (0: f32 layers take the plain
                         array too) */
  uint8_t cols_kind;  /* spx_fmt_cols_kind_t: the im2col layout dot reads */
  uint8_t chan_block; /* SPX_FMT_COLS_S8: input channels per block */
  uint8_t plain_s8;   /* 1: the bytes are the int8 OIHW array itself (the
                         driver runs depthwise conv directly on it) */
  spx_rt_status_t (*open)(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
              struct spx_fmt_weights *out, spx_rt_error_t *err);
  /* Bytes of scratch the format needs per run (a multiple of 4). */
  size_t (*scratch_size)(const spx_fmt_dims_t *dims);
  /* Per-run set-up in the format's scratch (4-byte aligned); may be NULL. */
  void (*begin)(struct spx_fmt_weights *w, void *scratch);
  /* SPX_FMT_COLS_S8: sums[r] = sum of the weights row r's dot products
   * cover (the driver adds -z_in * sums[r] to the accumulators). */
  void (*row_sums)(const struct spx_fmt_weights *w, int ragged, int32_t *sums);
  /* Once per tile of columns, before the dot calls on it; may be NULL. */
  void (*cols_ready)(const struct spx_fmt_weights *w,
                     const struct spx_fmt_cols *cols);
  /* The inner product: acc[(r - r0) * SPX_FMT_TILE + j] = sum over the row
   * r's weights w and column j's values a of w * a, for output rows (output
   * channels) r0 <= r < r1 of one conv group and columns j < cols->count
   * (other j: any value). r0 - (first row of the group) is a multiple of
   * SPX_FMT_ROW_ALIGN. Exact int32 arithmetic. */
  void (*dot)(const struct spx_fmt_weights *w, uint32_t r0, uint32_t r1,
              const struct spx_fmt_cols *cols, int32_t *acc);
  /* Depthwise layers (cols = 1), for direct loops without im2col: the
   * kh * kw effective weights of the i-th stored row (0 <= i < rows) into
   * taps, OHW order; returns the row's output channel (each channel once).
   * May be NULL (the driver runs im2col and dot); plain_s8 formats need
   * none. */
  uint32_t (*row_taps)(const struct spx_fmt_weights *w, uint32_t i, int16_t *taps);
  /* SPX_FMT_DATAPATH_INT8: the int8 driver above (dot, requantization);
   * SPX_FMT_DATAPATH_LP: the layer runs on the LP integer datapath
   * (runtime/kernels/spx_lp.c, docs/numerics.md "LP layers"): no dot, no
   * int16 decode (decode refuses), open fills view.lp. */
  uint8_t datapath;
  /* Decoding once, when a device prepares a loaded model (runtime/device,
   * spx_rt_model_prepare): the layer's effective weights as dense int8 OIHW
   * ([rows][cols][kh][kw]), each exactly the value `dot` multiplies its
   * activation by, so that the dense int8 kernels on them (the register-
   * blocked ones included) compute the same int32 accumulators (integer
   * sums do not depend on their order) and so the same output bytes. w:
   * weights `open` filled, whose bytes passed `validate`; out: count >=
   * spx_fmt_dims_count(&w->dims) values, all written on success. An
   * effective weight w' outside [-128, 127] (BBS zero-point shifting: up
   * to 144) is written clamped, w8 = clamp(w', -128, 127), and reported by
   * excess(ctx, i, w' - w8) with i its OIHW index (any order, once each):
   * the caller adds those few products to the accumulators itself (the
   * runtime's residual, spx_rt_s8_residual_t); with excess NULL such a
   * weight is SPX_RT_ERR_RANGE instead.
   * NULL: the layer always runs on the format's own kernels (plain_s8: the
   * bytes are the array already; CBR: its own block-sparse fast kernels; LP:
   * no exact int8 weights, docs/numerics.md "LP layers"). */
  spx_rt_status_t (*decode_s8)(const struct spx_fmt_weights *w, int8_t *out, size_t count,
                               void (*excess)(void *ctx, size_t index, int32_t excess),
                               void *ctx, spx_rt_error_t *err);
  /* The format's kernel half, spx_fmt_desc_<E>_FAST, for formats the
   * register-blocked kernels run (below); NULL for the others (and for the
   * halves themselves). Generated C names it for its fast layers. */
  const struct spx_fmt_desc *kernel_half;
} spx_fmt_desc_t;

#define SPX_FMT_DATAPATH_INT8 0
#define SPX_FMT_DATAPATH_LP 1

#define SPX_FMT_X_(E, code, text) extern const spx_fmt_desc_t spx_fmt_desc_##E;
SPX_FMT_ENCODINGS(SPX_FMT_X_)
#undef SPX_FMT_X_

/* The formats the register-blocked kernels run (runtime/kernels/
 * spx_fast_s8.c), as those kernels read them: code, name, the layout flags,
 * open, row_sums and row_taps; validate, decode, dot and the driver's hooks
 * NULL. Generated C passes these to its fast layers (spx_direct.h), so
 * that a product does not link the format's validator, decoder and
 * per-format dot, which spxc ran or does not need. */
extern const spx_fmt_desc_t spx_fmt_desc_DENSE_FAST;
extern const spx_fmt_desc_t spx_fmt_desc_CBR_FAST;

/* The largest |(x - z_in) * w| one product of an int8 conv2d/dense with
 * weights of format `f` adds to its int32 accumulator, rounded up: 2^15 for
 * int8 weights (255 * 128 = 32640), 255 * max_abs_weight beyond. A layer of
 * K products needs K * term + |bias| <= 2^31 - 1. NULL: int8 weights. */
#define SPX_FMT_ACC_TERM_S8 32768u
uint32_t spx_fmt_acc_term(const struct spx_fmt_desc *f);

/* The descriptor of an encoding code, or NULL if there is none. */
const spx_fmt_desc_t *spx_fmt_find(unsigned code);
/* The descriptor called `name` ("cbr"), or NULL. */
const spx_fmt_desc_t *spx_fmt_find_name(const char *name);
/* Every descriptor, in code order; *out_count gets their number. */
const spx_fmt_desc_t *const *spx_fmt_table(unsigned *out_count);

/* ==== Dense int8: per-channel symmetric weights (formats/dense.c) ======== */

/* The int8 weights of every conv2d/dense (docs/numerics.md), as
 * the compiler makes them and every other format starts from: row r (an
 * output channel: rows x row_len weights, OIHW or [M][K] row-major) gets
 *   scale[r] = max(max_i |w[r][i]| / 127, min_scale[r])   (1 if that is 0)
 *   q[r][i]  = clamp(round(w[r][i] / scale[r]), -127, 127)
 * with round half away from zero, in double precision. min_scale (NULL: 0)
 * lets the compiler keep the int32 bias of a channel in range. Decoding is
 * w'[r][i] = q[r][i] * scale[r]. */
void spx_fmt_dense_s8_encode(const float *weights, uint32_t rows, size_t row_len,
                             const double *min_scale, int8_t *out_q, float *out_scale);
void spx_fmt_dense_s8_decode(const int8_t *q, const float *scale, uint32_t rows,
                             size_t row_len, float *out_weights);

/* ==== CBR: block-sparse weights (formats/cbr.c) ========================= */

/* Compressed block rows (BSR-like) of int8 conv2d / dense weights, for 8x8
 * weight block sparsity (D'Alberto et al., arXiv 2407.09453).
 *
 * The weights are a matrix of M = rows (conv: c_out; dense: units) by
 * K = cols (conv: c_in / groups; dense: features) cells, each cell the
 * kh x kw taps of one (output, input) channel pair (dense: kh = kw = 1). A
 * block is 8 rows x 8 cols of cells, i.e. 8 COUT x kh x kw x 8 CIN weights.
 * Groups: each group's c_out / groups rows form their own block rows over
 * the group's K = c_in / groups input channels, so the grid is
 *   block_rows R = groups * ceil(M / groups / 8),  block_cols C = ceil(K / 8)
 * and block row r covers group g = r / ceil(M/groups/8). Channel counts
 * that are not multiples of 8 are padded: the edge blocks' missing rows and
 * columns are stored as zeros (the decoder drops them). Depthwise conv
 * (K = 1) is representable, one block column, but nothing can be pruned
 * from it: passes/block_sparsify.c leaves depthwise layers dense.
 * The block mask Gamma is R x C: bit (r, c) is 1 when block (r, c) is
 * stored. Only stored blocks are kept; an all-zero block is never emitted by
 * the encoder (a decoder accepts one).
 *
 * Layout (all integers little-endian, read byte by byte; no alignment is
 * assumed of the caller's buffer):
 *
 *   offset  size
 *   +-------+------+-----------------------------------------------------+
 *   |     0 |    4 | magic "SXCB"                                        |
 *   |     4 |    2 | version (1)                                         |
 *   |     6 |    2 | header_bytes (48)                                   |
 *   |     8 |    4 | rows M (>= 1)                                       |
 *   |    12 |    4 | cols K (>= 1)                                       |
 *   |    16 |    2 | kh (>= 1)                                           |
 *   |    18 |    2 | kw (>= 1)                                           |
 *   |    20 |    4 | groups (>= 1, divides M)                            |
 *   |    24 |    1 | block height (8, rows)                              |
 *   |    25 |    1 | block width (8, cols)                               |
 *   |    26 |    2 | flags (0)                                           |
 *   |    28 |    4 | block_rows R                                        |
 *   |    32 |    4 | block_cols C (<= 65535)                             |
 *   |    36 |    4 | nnz: stored blocks                                  |
 *   |    40 |    4 | data_offset: 16-aligned start of the block data     |
 *   |    44 |    4 | total_bytes: the whole encoding (= the buffer size) |
 *   +-------+------+-----------------------------------------------------+
 *   |    48 | 4R+4 | row_ptr: u32[R + 1], row_ptr[0] = 0, non-decreasing,|
 *   |       |      |   row_ptr[R] = nnz; block row r holds stored blocks |
 *   |       |      |   row_ptr[r] .. row_ptr[r+1] - 1                    |
 *   |       | 2nnz | col_idx: u16[nnz], the block column of each stored  |
 *   |       |      |   block, strictly increasing inside a block row     |
 *   |       |      | zero padding up to data_offset                      |
 *   +-------+------+-----------------------------------------------------+
 *   | data_ | nnz* | the stored blocks, in the order of col_idx (block-  |
 *   | offset| 64*  |   row major). Inside a block: [8 rows][kh][kw][8    |
 *   |       | kh*kw|   cols] int8, i.e. row o of the block is the 8*kh*kw |
 *   |       |      |   weights of one output channel, tap-major with the |
 *   |       |      |   8 input channels innermost. Dense: an 8x8 row-    |
 *   |       |      |   major [out][in] matrix. Each (ky, kx) tap of a    |
 *   |       |      |   block row is an 8-byte vector per output channel, |
 *   |       |      |   so a CPU kernel dots a block row with an im2col   |
 *   |       |      |   column laid out [ky][kx][8 cin], and a block is   |
 *   |       |      |   one contiguous sub-volume of 64*kh*kw bytes for   |
 *   |       |      |   DMA (AIE LOADW).                                  |
 *   +-------+------+-----------------------------------------------------+
 *   total_bytes = data_offset + nnz * 64 * kh * kw,
 *   data_offset = round_up(48 + 4 * (R + 1) + 2 * nnz, 16).
 *
 * Dense weights are OIHW [M][K][kh][kw] (I = c_in / groups), or [M][K]. */

#define SPX_FMT_CBR_MAGIC "SXCB"
#define SPX_FMT_CBR_VERSION 1
#define SPX_FMT_CBR_HEADER_BYTES 48
#define SPX_FMT_CBR_BLOCK 8 /* block height and width, in channels */

/* The weight tensor a CBR encoding stands for: every format's
 * spx_fmt_dims_t. Dense layers: kh = kw = 1, groups = 1. Every field >= 1,
 * groups divides rows; block rows never straddle a group. */
typedef spx_fmt_dims_t spx_fmt_cbr_dims_t;

/* A checked encoding (spx_fmt_cbr_open): header fields plus pointers into
 * the caller's bytes. Borrowed; valid while the bytes are. */
typedef struct spx_fmt_cbr_view {
  spx_fmt_cbr_dims_t dims;
  uint32_t block_rows;      /* R */
  uint32_t block_cols;      /* C */
  uint32_t rows_per_group;  /* block rows of one group: ceil(M/groups/8) */
  uint32_t nnz;             /* stored blocks */
  uint32_t block_bytes;     /* 64 * kh * kw */
  const uint8_t *row_ptr;   /* u32 LE [R + 1] */
  const uint8_t *col_idx;   /* u16 LE [nnz] */
  const int8_t *data;       /* nnz blocks of block_bytes */
  size_t total_bytes;
} spx_fmt_cbr_view_t;

/* Block grid of a weight tensor: R and C as above. SPX_RT_ERR_ARG if a
 * dimension is 0, groups does not divide rows, or C > 65535. */
spx_rt_status_t spx_fmt_cbr_grid(const spx_fmt_cbr_dims_t *dims,
                                      uint32_t *out_block_rows,
                                      uint32_t *out_block_cols);
/* Number of dense int8 weights: rows * cols * kh * kw. */
size_t spx_fmt_cbr_dense_count(const spx_fmt_cbr_dims_t *dims);

/* ---- block mask Gamma: R x C bits, row-major, bit i = byte i/8, bit i%8
 * (LSB first); spx_fmt_cbr_mask_bytes(R, C) = ceil(R*C / 8) bytes. */
size_t spx_fmt_cbr_mask_bytes(uint32_t block_rows, uint32_t block_cols);
static inline int spx_fmt_cbr_mask_get(const uint8_t *mask, uint32_t block_cols,
                                       uint32_t r, uint32_t c) {
  size_t i = (size_t)r * block_cols + c;
  return (mask[i >> 3] >> (i & 7)) & 1;
}
static inline void spx_fmt_cbr_mask_set(uint8_t *mask, uint32_t block_cols,
                                        uint32_t r, uint32_t c, int on) {
  size_t i = (size_t)r * block_cols + c;
  if (on)
    mask[i >> 3] = (uint8_t)(mask[i >> 3] | (1u << (i & 7)));
  else
    mask[i >> 3] = (uint8_t)(mask[i >> 3] & ~(1u << (i & 7)));
}
/* Gamma of dense weights: bit set where the block has a non-zero weight.
 * mask holds mask_size >= spx_fmt_cbr_mask_bytes(R, C) bytes (cleared
 * first). *out_nnz (if not NULL) gets the number of non-zero blocks. */
spx_rt_status_t spx_fmt_cbr_mask_from_dense(const spx_fmt_cbr_dims_t *dims,
                                                 const int8_t *weights,
                                                 uint8_t *mask, size_t mask_size,
                                                 uint32_t *out_nnz);
/* Zeroes, in place, every block of weights whose mask bit is 0. */
spx_rt_status_t spx_fmt_cbr_mask_apply(const spx_fmt_cbr_dims_t *dims,
                                            const uint8_t *mask,
                                            int8_t *weights);
/* Gamma of an opened encoding (mask as for spx_fmt_cbr_mask_from_dense). */
spx_rt_status_t spx_fmt_cbr_mask_from_view(const spx_fmt_cbr_view_t *v,
                                                uint8_t *mask, size_t mask_size);
/* The dense weight index of row o, col i, tap (ky, kx) in OIHW order, and
 * the block (r, c) that holds it (encoders, tests, and the depthwise
 * kernel's row lookup per channel: inline, and no division when each group
 * has one row). */
size_t spx_fmt_cbr_dense_index(const spx_fmt_cbr_dims_t *dims, uint32_t o,
                               uint32_t i, uint32_t ky, uint32_t kx);
/* Blocks that n channels take (the last one padded). */
static inline uint32_t spx_fmt_cbr_blocks_for(uint32_t n) {
  return n / SPX_FMT_CBR_BLOCK + (n % SPX_FMT_CBR_BLOCK != 0);
}
static inline void spx_fmt_cbr_block_of(const spx_fmt_cbr_dims_t *dims, uint32_t o,
                                        uint32_t i, uint32_t *out_r, uint32_t *out_c) {
  uint32_t per;
  *out_c = i / SPX_FMT_CBR_BLOCK;
  if (dims->rows == dims->groups) { /* one row per group (depthwise) */
    *out_r = o;
    return;
  }
  per = dims->rows / dims->groups;
  *out_r = (o / per) * spx_fmt_cbr_blocks_for(per) + (o % per) / SPX_FMT_CBR_BLOCK;
}
/* First output channel of block row r and how many real (unpadded) rows it
 * has (1..8); first input channel of block column c and its real width. */
void spx_fmt_cbr_block_row_span(const spx_fmt_cbr_dims_t *dims, uint32_t r,
                                uint32_t *out_first, uint32_t *out_count);
void spx_fmt_cbr_block_col_span(const spx_fmt_cbr_dims_t *dims, uint32_t c,
                                uint32_t *out_first, uint32_t *out_count);

/* ---- encode, decode, validate -------------------------------------------- */

/* Bytes of the encoding of dense weights (the blocks with a non-zero weight
 * are stored); 0 if dims are unusable or the size exceeds 4 GiB - 1. */
size_t spx_fmt_cbr_encoded_size(const spx_fmt_cbr_dims_t *dims,
                                const int8_t *weights);
/* The same for a given number of stored blocks. */
size_t spx_fmt_cbr_encoded_size_nnz(const spx_fmt_cbr_dims_t *dims,
                                    uint32_t nnz);
/* Encodes dense int8 weights (OIHW or [M][K]); every block with a non-zero
 * weight is stored. out must hold spx_fmt_cbr_encoded_size() bytes;
 * *out_len (if not NULL) gets the bytes written. */
spx_rt_status_t spx_fmt_cbr_encode(const spx_fmt_cbr_dims_t *dims,
                                        const int8_t *weights, uint8_t *out,
                                        size_t out_size, size_t *out_len);
/* Structural check, O(R + nnz), and a view of the encoding: header values,
 * grid against the dims, row_ptr, col_idx, sizes. expected may be NULL
 * (accept any dims). *out_view is cleared first; *err (if not NULL) says
 * what is wrong and where. Never reads past len. */
spx_rt_status_t spx_fmt_cbr_open(const void *bytes, size_t len,
                                      const spx_fmt_cbr_dims_t *expected,
                                      spx_fmt_cbr_view_t *out_view,
                                      spx_rt_error_t *err);
/* Full check: spx_fmt_cbr_open plus every byte: the padding before the
 * block data and the padded rows/cols of edge blocks must be zero. O(len). */
spx_rt_status_t spx_fmt_cbr_validate(const void *bytes, size_t len,
                                          const spx_fmt_cbr_dims_t *expected,
                                          spx_rt_error_t *err);
/* Decodes into dense int8 weights (dense_count elements, all written:
 * missing blocks are zero). Runs spx_fmt_cbr_validate first. */
spx_rt_status_t spx_fmt_cbr_decode(const void *bytes, size_t len,
                                        const spx_fmt_cbr_dims_t *expected,
                                        int8_t *weights, size_t dense_count,
                                        spx_rt_error_t *err);

/* ---- accessors over an opened view (no checks: r < R, k < nnz) --------- */

/* Stored blocks of block row r are indices [begin, end). */
static inline uint32_t spx_fmt_cbr_u32_(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline uint32_t spx_fmt_cbr_row_begin(const spx_fmt_cbr_view_t *v,
                                             uint32_t r) {
  return spx_fmt_cbr_u32_(v->row_ptr + 4 * (size_t)r);
}
static inline uint32_t spx_fmt_cbr_row_end(const spx_fmt_cbr_view_t *v,
                                           uint32_t r) {
  return spx_fmt_cbr_u32_(v->row_ptr + 4 * ((size_t)r + 1));
}
/* Block column of stored block k. */
static inline uint32_t spx_fmt_cbr_col(const spx_fmt_cbr_view_t *v,
                                       uint32_t k) {
  return (uint32_t)v->col_idx[2 * (size_t)k] |
         ((uint32_t)v->col_idx[2 * (size_t)k + 1] << 8);
}
/* The block_bytes int8 weights of stored block k ([8][kh][kw][8]). */
static inline const int8_t *spx_fmt_cbr_block(const spx_fmt_cbr_view_t *v,
                                              uint32_t k) {
  return v->data + (size_t)k * v->block_bytes;
}

/* ==== BBS: bi-directional bit-level sparsity (formats/bbs.c) ============ */

/* Bit-column groups of int8 conv2d / dense weights for bi-directional
 * bit-level sparsity (Chen et al., arXiv 2409.05227, BitVert). Consumed by
 * passes/bbs.c (encoder), the CPU kernels (spx_rt_{conv2d,dense}_s8_fmt with this descriptor) and
 * the bit-serial simulator (per-group accessors below).
 *
 * Groups. Weights are OIHW [M][I][kh][kw] (I = c_in / groups) or [M][K]
 * (dense: I = K, kh = kw = 1). A group is Ge consecutive input channels at a
 * fixed (o, ky, kx): Ge = min(G, I), G in {8, 16, 32}. Each tap (o, ky, kx)
 * has ng = ceil(I / Ge) groups; lane i of group g is input channel
 * g * Ge + i. When Ge does not divide I the last group of every tap is
 * ragged: it has I - (ng - 1) * Ge lanes, and the pruning methods see only
 * those lanes (means, run lengths and errors over the real lanes).
 *
 * Bit columns. Column 0 is the most significant bit. A group stores its kept
 * columns, each as Ge bits (lane i = bit i % 8 of byte i / 8; the bits of
 * missing lanes of a ragged group are 0). A column is processed in halves of
 * 8 lanes (half h = lanes 8h .. 8h+7; G = 32 has four, a ragged half fewer
 * lanes). Each half is processed on its ones, or on its zeros when
 * 2 * popcount > lanes (popcount > 4 for 8 lanes), since
 *     sum_i b_i a_i = sum_i a_i - sum_i (1 - b_i) a_i,
 * so a half has at most 4 effectual bits (min(ones, zeros)). Directions are
 * not stored: they follow from the bits, as in the hardware.
 *
 * Methods (N = number of pruned columns: 0, 2 or 4; kept = 8 - N):
 *   NONE       plain two's complement, 8 columns (N = 0). Outlier channels.
 *   ROUND_AVG  rounded averaging. Two's complement. r = the run of columns
 *              1, 2, 3 (in order, stopping at the first that differs) equal
 *              to column 0 in every weight. d = min(r, N) of them are
 *              dropped (redundant sign extension) and the lowest L = N - d
 *              columns are replaced by C = round-half-to-even(mean over the
 *              group of the unsigned value of those L bits), 0 <= C < 2^L.
 *              Kept: column 0 with place value -2^(7-d), then columns
 *              d+1 .. 7-L with 2^(7-j). w' = w with its low L bits set to C
 *              (can be -128: w = -127, C = 0). Hardware adds C * sum(a).
 *   ZP_SHIFT   zero-point shifting. For c = -16 .. 15 in order: v = clip(w
 *              + c, -127, 127) in sign-magnitude (m = |v|, 7 magnitude
 *              columns 1..7), z = leading magnitude columns zero in every
 *              weight. If z >= N the group keeps v; else k = N - z and m
 *              becomes the nearest multiple of 2^k in {0, 2^k, ...,
 *              (2^(7-N) - 1) * 2^k}, ties to the smaller. w' = +-m - c. The
 *              c with the least sum (w' - w)^2 wins, ties to the earlier c.
 *              Every c is a candidate: nothing bounds w' to int8, and the
 *              best c can give w' = 128 or more (m rounds up: w = 127,
 *              c = -16, N = 4: v = 111 -> m = 112, w' = 128). The hardware
 *              never needs w' as an int8; effective weights lie in
 *              [-(143 - 2^N), 144 - 2^N] (spx_fmt_bbs_weight_range), and
 *              kernels, simulators and decoders take them as int16/int32.
 *              Stored: zs = min(z, N), c, the sign column (1 = negative,
 *              v < 0) and magnitude columns zs+1 .. 7-k, k = N - zs, with
 *              place values 2^(7-j). Hardware computes sum(+-m a) - c sum(a);
 *              the sign column is a column like the others (it selects the
 *              sign of each activation; sum_{s=1} a is taken on its ones or
 *              zeros), so cycles per group = kept columns for every method.
 *
 * Channel classes. Class 0 channels use the layer's method and N; class 1
 * channels (outliers, chosen by the compiler, e.g. largest quantization
 * scale) are NONE with all 8 columns. Encoded rows are ordered class 0 then
 * class 1, ascending output channel within a class, so a PE row sees one
 * class; order[] maps an encoded row to its output channel.
 *
 * Layout (integers little-endian, read byte by byte; no alignment is assumed
 * of the caller's buffer):
 *
 *   offset  size
 *   +-------+------+-----------------------------------------------------+
 *   |     0 |    4 | magic "SXBB"                                        |
 *   |     4 |    2 | version (1)                                         |
 *   |     6 |    2 | header_bytes (48)                                   |
 *   |     8 |    4 | rows M: output channels / units (1 .. 65535)        |
 *   |    12 |    4 | cols I: input channels per conv group / features    |
 *   |    16 |    2 | kh (>= 1)                                           |
 *   |    18 |    2 | kw (>= 1)                                           |
 *   |    20 |    1 | G: configured group size (8, 16 or 32)              |
 *   |    21 |    1 | Ge = min(G, I): lanes of a full group               |
 *   |    22 |    2 | flags (0)                                           |
 *   |    24 |    1 | class 0 method (spx_fmt_bbs_method_t)               |
 *   |    25 |    1 | class 0 N (0, 2, 4; NONE: 0)                        |
 *   |    26 |    2 | reserved (0)                                        |
 *   |    28 |    4 | class 0 rows                                        |
 *   |    32 |    4 | class 1: method, N, reserved (0) as for class 0     |
 *   |    36 |    4 | class 1 rows (class 0 rows + class 1 rows = M)      |
 *   |    40 |    4 | data_offset = round_up(48 + 2 * M, 16)              |
 *   |    44 |    4 | total_bytes: the whole encoding (= the buffer size) |
 *   +-------+------+-----------------------------------------------------+
 *   |    48 |   2M | order: u16[M], encoded row -> output channel; a     |
 *   |       |      |   permutation, ascending within each class          |
 *   |       |      | zero padding up to data_offset                      |
 *   +-------+------+-----------------------------------------------------+
 *   | data_ |      | rows in encoded order; a row = kh * kw * ng group   |
 *   | offset|      |   records, tap-major: (ky, kx, g)                   |
 *   |       |      | group record = 1 header byte + cols * B bytes,      |
 *   |       |      |   B = ceil(Ge / 8), columns most significant first  |
 *   +-------+------+-----------------------------------------------------+
 *   group header byte:  bit 7..5  param: ROUND_AVG r (0..3),
 *                                        ZP_SHIFT zs = min(z, N) (0..N),
 *                                        NONE 0
 *                       bit 4..0  const: ROUND_AVG C (unsigned, < 2^L),
 *                                        ZP_SHIFT c (5-bit two's complement),
 *                                        NONE 0
 *   effective weights:  NONE, ROUND_AVG two's complement, [-128, 127];
 *                       ZP_SHIFT sign column + magnitude columns zs+1 ..
 *                       7-(N-zs) (m <= 128 - 2^N) and c in [-16, 15]:
 *                       +-m - c in [-(143 - 2^N), 144 - 2^N], beyond int8
 *                       (N = 0: [-142, 143]; 2: [-139, 140]; 4: [-127, 128])
 *   total_bytes = data_offset + sum over classes of rows * kh * kw * ng *
 *                 (1 + (8 - N) * B).
 * Example: G = 16, ROUND_AVG N = 2, 16 channels: 13 bytes per 16 weights
 * (6.5 bits per weight); N = 4: 9 bytes (4.5 bits); outliers 17 bytes. */

#define SPX_FMT_BBS_MAGIC "SXBB"
#define SPX_FMT_BBS_VERSION 1
#define SPX_FMT_BBS_HEADER_BYTES 48
#define SPX_FMT_BBS_MAX_GROUP 32 /* lanes */
#define SPX_FMT_BBS_HALF 8       /* lanes per direction decision */
#define SPX_FMT_BBS_MAX_ROWS 65535

typedef enum spx_fmt_bbs_method {
  SPX_FMT_BBS_NONE = 0,
  SPX_FMT_BBS_ROUND_AVG = 1,
  SPX_FMT_BBS_ZP_SHIFT = 2
} spx_fmt_bbs_method_t;

/* "none", "round_avg", "zp_shift"; "?" for other values. */
const char *spx_fmt_bbs_method_name(unsigned method);

/* One group, pruned or read back from an encoding: the uniform view the
 * kernels and the simulator compute with. The effective weight of lane i:
 *     v = sum over columns j (not the sign column) of place[j] * bit(j, i)
 *     if (sign_column && bit(0, i)) v = -v
 *     w'[i] = v + offset
 * and the dot product with activations a:
 *     sum_i w'[i] a_i = sum_j place[j] * sum_i bit(j, i) s_i a_i
 *                       + offset * sum_i a_i,   s_i = sign ? -1 : 1.      */
typedef struct spx_fmt_bbs_group {
  uint8_t method;      /* spx_fmt_bbs_method_t */
  uint8_t lanes;       /* real lanes, 1 .. 32 */
  uint8_t pruned;      /* N */
  uint8_t n_cols;      /* kept columns, 8 - N */
  uint8_t param;       /* ROUND_AVG r, ZP_SHIFT zs, NONE 0 (header bits 7..5) */
  int8_t constant;     /* ROUND_AVG C, ZP_SHIFT c, NONE 0 */
  uint8_t sign_column; /* 1: column 0 holds signs (ZP_SHIFT) */
  uint8_t reserved;
  uint32_t bits[8];    /* kept columns, most significant first; bit i = lane i */
  int32_t place[8];    /* place value of a 1 in column j; the sign column 0 */
  int32_t offset;      /* added to every weight: C, -c, or 0 */
} spx_fmt_bbs_group_t;

/* ---- one group: the pruning methods (for the encoder and unit tests) ---- */

/* Prunes n_pruned (0, 2, 4) columns of the `lanes` (1..32) int8 weights w
 * with rounded averaging / zero-point shifting / nothing (NONE needs
 * n_pruned = 0). w should be in [-127, 127] (quantized weights); -128 is
 * accepted. *out is cleared first. *out_sq_error (if not NULL) gets
 * sum (w' - w)^2. */
spx_rt_status_t spx_fmt_bbs_prune_round_avg(const int8_t *w, unsigned lanes,
                                                 unsigned n_pruned,
                                                 spx_fmt_bbs_group_t *out,
                                                 uint32_t *out_sq_error);
spx_rt_status_t spx_fmt_bbs_prune_zp_shift(const int8_t *w, unsigned lanes,
                                                unsigned n_pruned,
                                                spx_fmt_bbs_group_t *out,
                                                uint32_t *out_sq_error);
spx_rt_status_t spx_fmt_bbs_prune(unsigned method, const int8_t *w,
                                       unsigned lanes, unsigned n_pruned,
                                       spx_fmt_bbs_group_t *out,
                                       uint32_t *out_sq_error);
/* The effective weights of a group's lanes (formula above), int16: zp_shift
 * weights may leave int8, and an ill-formed group read from garbage still
 * decodes without overflow. */
void spx_fmt_bbs_group_decode(const spx_fmt_bbs_group_t *g, int16_t *out);

/* [*lo, *hi]: every effective weight a group of `method` with N = n_pruned
 * can stand for, whatever its bits, param and constant (the bound is
 * attained). NONE and ROUND_AVG: two's complement columns, [-128, 127].
 * ZP_SHIFT: w' = +-m - c, m <= 2^(7-zs) - 2^(N-zs) (magnitude columns
 * zs+1 .. 7-(N-zs) all set), largest at zs = 0: 128 - 2^N; c in [-16, 15]:
 * [-(143 - 2^N), 144 - 2^N], i.e. N = 0 [-142, 143], N = 2 [-139, 140],
 * N = 4 [-127, 128]. */
static inline void spx_fmt_bbs_weight_range(unsigned method, unsigned n_pruned,
                                            int32_t *lo, int32_t *hi) {
  if (method == SPX_FMT_BBS_ZP_SHIFT && n_pruned <= 7) {
    *lo = -(143 - ((int32_t)1 << n_pruned));
    *hi = 144 - ((int32_t)1 << n_pruned);
  } else {
    *lo = -128;
    *hi = 127;
  }
}

/* Halves of a group of `lanes` lanes (ceil(lanes / 8)) and the lanes of
 * half h (8, or fewer in the last half). */
static inline unsigned spx_fmt_bbs_halves(unsigned lanes) {
  return (lanes + SPX_FMT_BBS_HALF - 1) / SPX_FMT_BBS_HALF;
}
static inline unsigned spx_fmt_bbs_half_lanes(unsigned lanes, unsigned h) {
  unsigned rest = lanes - h * SPX_FMT_BBS_HALF;
  return rest < SPX_FMT_BBS_HALF ? rest : SPX_FMT_BBS_HALF;
}
/* Bits of column j in half h (bit i = lane 8h + i). */
static inline unsigned spx_fmt_bbs_half_bits(const spx_fmt_bbs_group_t *g,
                                             unsigned j, unsigned h) {
  return (unsigned)(g->bits[j] >> (SPX_FMT_BBS_HALF * h)) & 0xffu;
}
static inline unsigned spx_fmt_bbs_popcount8_(unsigned x) {
  x = x - ((x >> 1) & 0x55u);
  x = (x & 0x33u) + ((x >> 2) & 0x33u);
  return (x + (x >> 4)) & 0x0fu;
}
/* Direction of column j, half h: 1 = process its zeros (2 * ones > lanes),
 * 0 = its ones. */
static inline unsigned spx_fmt_bbs_direction(const spx_fmt_bbs_group_t *g,
                                             unsigned j, unsigned h) {
  return 2 * spx_fmt_bbs_popcount8_(spx_fmt_bbs_half_bits(g, j, h)) >
         spx_fmt_bbs_half_lanes(g->lanes, h);
}
/* Effectual bits of column j, half h: min(ones, zeros) over its lanes
 * (<= 4; <= lanes / 2). */
static inline unsigned spx_fmt_bbs_effectual(const spx_fmt_bbs_group_t *g,
                                             unsigned j, unsigned h) {
  unsigned ones = spx_fmt_bbs_popcount8_(spx_fmt_bbs_half_bits(g, j, h));
  unsigned n = spx_fmt_bbs_half_lanes(g->lanes, h);
  return 2 * ones > n ? n - ones : ones;
}

/* ---- a layer: encode, open, validate, decode ----------------------------- */

/* The weight tensor an encoding stands for. Dense: kh = kw = 1. */
typedef struct spx_fmt_bbs_dims {
  uint32_t rows;   /* M: c_out (conv) or units (dense), 1 .. 65535 */
  uint32_t cols;   /* I: c_in / groups (conv) or features (dense), >= 1 */
  uint16_t kh, kw; /* >= 1 */
} spx_fmt_bbs_dims_t;

/* How to encode. class_of[o] is 0 (method/n_pruned) or 1 (outlier: NONE,
 * all 8 columns) per output channel; NULL = every channel class 0. */
typedef struct spx_fmt_bbs_config {
  unsigned group;     /* G: 8, 16 or 32 */
  unsigned method;    /* class 0 method */
  unsigned n_pruned;  /* class 0 N: 0, 2, 4 (NONE: 0) */
  const uint8_t *class_of;
} spx_fmt_bbs_config_t;

/* A checked encoding (spx_fmt_bbs_open): header values plus pointers into
 * the caller's bytes. Borrowed; valid while the bytes are. */
typedef struct spx_fmt_bbs_view {
  spx_fmt_bbs_dims_t dims;
  unsigned group;          /* G */
  unsigned group_eff;      /* Ge */
  uint32_t groups_per_tap; /* ng */
  unsigned col_bytes;      /* B */
  struct {
    uint8_t method, n_pruned, n_cols;
    uint32_t rows;         /* encoded rows of this class */
    uint32_t first_row;    /* class 0: 0; class 1: class 0 rows */
    size_t group_bytes;    /* 1 + n_cols * B */
    size_t row_bytes;      /* kh * kw * ng * group_bytes */
    size_t offset;         /* of its first row, from the start */
  } cls[2];
  const uint8_t *order;    /* u16 LE [M] */
  const uint8_t *bytes;    /* the whole encoding */
  size_t total_bytes;
} spx_fmt_bbs_view_t;

/* Number of dense int8 weights: rows * cols * kh * kw. */
size_t spx_fmt_bbs_dense_count(const spx_fmt_bbs_dims_t *dims);
/* Bytes of the encoding; 0 if dims or config are unusable or it would
 * exceed 4 GiB - 1. */
size_t spx_fmt_bbs_encoded_size(const spx_fmt_bbs_dims_t *dims,
                                const spx_fmt_bbs_config_t *config);
/* Prunes and encodes int8 weights (OIHW or [M][K]). out holds out_size >=
 * spx_fmt_bbs_encoded_size() bytes; *out_len (if not NULL) gets the bytes
 * written. Deterministic: same input, same bytes. */
spx_rt_status_t spx_fmt_bbs_encode(const spx_fmt_bbs_dims_t *dims,
                                        const spx_fmt_bbs_config_t *config,
                                        const int8_t *weights, uint8_t *out,
                                        size_t out_size, size_t *out_len);
/* Structural check, O(M), and a view: header values, class table, order
 * (a permutation, ascending per class), sizes. expected may be NULL (accept
 * any dims). *out_view is cleared first; *err (if not NULL) says what is
 * wrong and where. Never reads past len. Enough for the
 * kernels to run without reading out of bounds. */
spx_rt_status_t spx_fmt_bbs_open(const void *bytes, size_t len,
                                      const spx_fmt_bbs_dims_t *expected,
                                      spx_fmt_bbs_view_t *out_view,
                                      spx_rt_error_t *err);
/* Full check, O(len): spx_fmt_bbs_open plus every group record (param and
 * const in range for the method, missing lanes' bits 0, effective weights
 * in spx_fmt_bbs_weight_range: zp_shift ones may leave int8) and the
 * padding bytes 0. */
spx_rt_status_t spx_fmt_bbs_validate(const void *bytes, size_t len,
                                          const spx_fmt_bbs_dims_t *expected,
                                          spx_rt_error_t *err);
/* Decodes into the effective weights as int8 (dense_count elements, OIHW /
 * [M][K], original channel order). Runs spx_fmt_bbs_validate first. A valid
 * encoding with a weight outside [-128, 127] (zp_shift, see
 * spx_fmt_bbs_weight_range) is refused with SPX_RT_ERR_RANGE and
 * nothing written: spx_fmt_desc_BBS.decode gives every valid encoding, as
 * int16. */
spx_rt_status_t spx_fmt_bbs_decode(const void *bytes, size_t len,
                                        const spx_fmt_bbs_dims_t *expected,
                                        int8_t *weights, size_t dense_count,
                                        spx_rt_error_t *err);

/* ---- accessors over an opened view (no checks: row < M, etc.) ----------- */

/* Output channel of encoded row p, and its class. */
static inline uint32_t spx_fmt_bbs_row_channel(const spx_fmt_bbs_view_t *v,
                                               uint32_t p) {
  return (uint32_t)v->order[2 * (size_t)p] |
         ((uint32_t)v->order[2 * (size_t)p + 1] << 8);
}
static inline unsigned spx_fmt_bbs_row_class(const spx_fmt_bbs_view_t *v,
                                             uint32_t p) {
  return p >= v->cls[1].first_row;
}
/* Real lanes of group g of a tap (Ge, or fewer for the ragged last one). */
static inline unsigned spx_fmt_bbs_group_lanes(const spx_fmt_bbs_view_t *v,
                                               uint32_t g) {
  uint32_t rest = v->dims.cols - g * (uint32_t)v->group_eff;
  return rest < v->group_eff ? (unsigned)rest : v->group_eff;
}
/* The record of group g of tap t = ky * kw + kx in encoded row p. */
static inline const uint8_t *spx_fmt_bbs_record(const spx_fmt_bbs_view_t *v,
                                                uint32_t p, uint32_t t,
                                                uint32_t g) {
  unsigned c = spx_fmt_bbs_row_class(v, p);
  return v->bytes + v->cls[c].offset +
         (size_t)(p - v->cls[c].first_row) * v->cls[c].row_bytes +
         ((size_t)t * v->groups_per_tap + g) * v->cls[c].group_bytes;
}
/* Reads group g of tap t of encoded row p into the uniform view. Never
 * fails on an opened view; spx_fmt_bbs_validate tells whether the values
 * are ones the encoder can produce. */
void spx_fmt_bbs_group_get(const spx_fmt_bbs_view_t *v, uint32_t p, uint32_t t,
                           uint32_t g, spx_fmt_bbs_group_t *out);

/* ==== TERNARY: structured sparse ternary weights (formats/ternary.c) ==== */

/* Weights in {-1, 0, +1} x alpha, alpha the output channel's weight scale
 * (spx.wscale: per channel, or one value for the layer), with at most K
 * non-zero weights in every group of N consecutive input channels. In the
 * int8 pipeline the quantized weights are the signs themselves, int8
 * {-1, 0, 1}, and alpha folds into the requantization multiplier exactly as
 * an int8 weight scale does (the encoding stores no alpha): the inner
 * product is a sum of +-activations, no multiplies.
 *
 * Groups, as BBS's: weights are OIHW [M][I][kh][kw] (I = c_in / groups) or
 * [M][K] (dense: I = K, kh = kw = 1). A group is N consecutive input
 * channels at a fixed (o, ky, kx); each tap has ng = ceil(I / N) groups,
 * lane i of group g is input channel g * N + i. When N does not divide I
 * the last group of every tap is ragged: it has L = I - (ng - 1) * N lanes,
 * and a code using a lane >= L is invalid.
 *
 * Parameters: 2 <= N <= 16, 1 <= K <= N. The code book has
 *   P = sum_{j=0..K} C(N, j) * 2^j
 * patterns; a code is b = ceil(log2(P)) bits ((8, 2): P = 129, b = 8;
 * (16, 16): P = 3^16, b = 26).
 *
 * Code book order (spx_fmt_ternary_code_to_masks / _masks_to_code, the one
 * definition the encoder, decoder, kernels, generated C and simulators use):
 * by number of non-zeros j = 0 .. K; within j, the support (p1 < p2 < ...
 * < pj) in lexicographic order of that tuple; within a support, the sign
 * pattern s = sum_t sign_t << t (bit t the sign of p_{t+1}, 1 = negative),
 * ascending. So code = base(j) + rank(support) * 2^j + s, base(j) =
 * sum_{i<j} C(N, i) 2^i. Code 0 is the all-zero group; codes >= P are
 * invalid. (8, 2): 1 = +1 at lane 0, 2 = -1 at lane 0, 3 = +1 at lane 1,
 * ..., 16 = -1 at lane 7, 17 = +1 +1 at lanes 0, 1, 18 = -1 at lane 0 and
 * +1 at lane 1, ..., 128 = -1 -1 at lanes 6, 7.
 *
 * Layout (integers little-endian, read byte by byte; no alignment is
 * assumed of the caller's buffer):
 *
 *   offset  size
 *   +-------+------+-----------------------------------------------------+
 *   |     0 |    4 | magic "SXTN"                                        |
 *   |     4 |    2 | version (1)                                         |
 *   |     6 |    2 | header_bytes (32)                                   |
 *   |     8 |    4 | rows M: output channels / units (>= 1)              |
 *   |    12 |    4 | cols I: input channels per conv group / features    |
 *   |    16 |    2 | kh (>= 1)                                           |
 *   |    18 |    2 | kw (>= 1)                                           |
 *   |    20 |    4 | groups: conv groups (>= 1, divides M; dense 1)      |
 *   |    24 |    1 | N: lanes per group (2 .. 16)                        |
 *   |    25 |    1 | K: non-zeros per group at most (1 .. N)             |
 *   |    26 |    1 | b: bits per code, ceil(log2(P)) for (N, K)          |
 *   |    27 |    1 | flags (0)                                           |
 *   |    28 |    4 | total_bytes: the whole encoding (= the buffer size) |
 *   +-------+------+-----------------------------------------------------+
 *   |    32 |      | the codes, M * kh * kw * ng of b bits each, in the  |
 *   |       |      |   order [row][ky][kx][group], bit-packed LSB first: |
 *   |       |      |   code number c occupies stream bits c*b .. c*b +  |
 *   |       |      |   b - 1 (its least significant bit first), stream  |
 *   |       |      |   bit q is bit q % 8 of byte 32 + q / 8. Rows are  |
 *   |       |      |   not byte-aligned: the stream is continuous.       |
 *   |       |      | padding: the bits after the last code, up to the    |
 *   |       |      |   end of its byte, are 0 (0 .. 7 bits)              |
 *   +-------+------+-----------------------------------------------------+
 *   total_bytes = 32 + ceil(M * kh * kw * ng * b / 8)  (< 4 GiB).
 * Example: (8, 2), 64 input channels: 8 codes of 8 bits per 64 weights (1
 * bit per weight); the dense int8 weights take 8.
 *
 * Effective weights are int8 {-1, 0, 1}: the descriptor says decodes_to_s8
 * and max_abs_weight 1. */

#define SPX_FMT_TERNARY_MAGIC "SXTN"
#define SPX_FMT_TERNARY_VERSION 1
#define SPX_FMT_TERNARY_HEADER_BYTES 32
#define SPX_FMT_TERNARY_MIN_N 2
#define SPX_FMT_TERNARY_MAX_N 16
/* The kernels decode codes through a table of P entries (4 bytes each,
 * built once per run from the code book function into their scratch, which
 * the driver sizes from the layer's dims alone, so it always holds this
 * many) when P is at most this ((8, 1..3), (16, 1..2), N <= 6, ...); larger
 * books are decoded code by code by combinatorial unranking. */
#define SPX_FMT_TERNARY_TABLE_MAX 1024u

/* P for (n, k), or 0 if n, k are out of range. */
uint32_t spx_fmt_ternary_patterns(unsigned n, unsigned k);
/* b = ceil(log2(P)) for (n, k), or 0 if n, k are out of range. */
unsigned spx_fmt_ternary_code_bits(unsigned n, unsigned k);
/* The code book (order above). code -> *pos (bit i: lane i is non-zero)
 * and *neg (bit i: lane i is -1; a subset of *pos); SPX_RT_ERR_ARG (masks
 * 0) if n, k are out of range or code >= P. */
spx_rt_status_t spx_fmt_ternary_code_to_masks(unsigned n, unsigned k, uint32_t code,
                                              uint32_t *pos, uint32_t *neg);
/* The inverse: SPX_RT_ERR_ARG if n, k are out of range, pos has a bit at
 * n or above or more than k bits, or neg is not a subset of pos. */
spx_rt_status_t spx_fmt_ternary_masks_to_code(unsigned n, unsigned k, uint32_t pos,
                                              uint32_t neg, uint32_t *code);

/* A checked encoding (spx_fmt_ternary_open): header values plus a pointer
 * into the caller's bytes. Borrowed; valid while the bytes are. */
typedef struct spx_fmt_ternary_view {
  spx_fmt_dims_t dims;
  unsigned n, k;           /* N, K */
  unsigned code_bits;      /* b */
  uint32_t patterns;       /* P */
  uint32_t groups_per_tap; /* ng = ceil(I / N) */
  unsigned last_lanes;     /* L: lanes of the last group of a tap (N if full) */
  uint64_t codes;          /* M * kh * kw * ng */
  const uint8_t *data;     /* the code stream (header_bytes on) */
  size_t total_bytes;
} spx_fmt_ternary_view_t;

/* Bytes of the encoding of dims at (n, k); 0 if dims or (n, k) are
 * unusable (a dimension 0, groups not dividing rows) or the size would be
 * 4 GiB or more. */
size_t spx_fmt_ternary_encoded_size(const spx_fmt_dims_t *dims, unsigned n, unsigned k);
/* Encodes int8 weights (OIHW or [M][K]) whose values are all -1, 0 or 1
 * with at most k non-zeros in every group; anything else is SPX_RT_ERR_ARG
 * (nothing useful written). out holds out_size >= encoded_size bytes;
 * *out_len (if not NULL) gets the bytes written. */
spx_rt_status_t spx_fmt_ternary_encode(const spx_fmt_dims_t *dims, unsigned n, unsigned k,
                                       const int8_t *weights, uint8_t *out,
                                       size_t out_size, size_t *out_len);
/* Structural check, O(1): header fields, dims against expected (NULL:
 * any), (N, K, b) consistent, total_bytes = len = the size the dims give.
 * *out_view is cleared first. Never reads past len. Enough for the kernels
 * to run without reading out of bounds (they clamp what validate refuses). */
spx_rt_status_t spx_fmt_ternary_open(const void *bytes, size_t len,
                                     const spx_fmt_dims_t *expected,
                                     spx_fmt_ternary_view_t *out_view,
                                     spx_rt_error_t *err);
/* Full check, O(len): open, then every code < P, no code using a missing
 * lane of a ragged group, and the padding bits 0. Errors name the output
 * channel, the tap and the group. */
spx_rt_status_t spx_fmt_ternary_validate(const void *bytes, size_t len,
                                         const spx_fmt_dims_t *expected,
                                         spx_rt_error_t *err);
/* Decodes into int8 {-1, 0, 1} weights (dense_count >= M*I*kh*kw elements,
 * OIHW / [M][K]). Runs spx_fmt_ternary_validate first. */
spx_rt_status_t spx_fmt_ternary_decode(const void *bytes, size_t len,
                                       const spx_fmt_dims_t *expected,
                                       int8_t *weights, size_t dense_count,
                                       spx_rt_error_t *err);
/* Code number c (0 <= c < codes) of an opened view, b bits LSB first. */
uint32_t spx_fmt_ternary_code_at(const spx_fmt_ternary_view_t *v, uint64_t c);
/* The kernels' choice for a tile of `count` im2col columns (conv: output
 * pixels; dense: batch rows) of a layer of these dims in the (n, k) book:
 * 1, 4 or 8 when they sum per-group activation tables (one look-up per code;
 * small books, few columns, enough rows per conv group: ternary.c,
 * lut_plan), 0 when they decode each code. For tests and benchmarks. */
uint32_t spx_fmt_ternary_lut_columns(const spx_fmt_dims_t *dims, unsigned n, unsigned k,
                                     uint32_t count);

/* ==== LP: logarithmic posit weights (formats/lp.c) ======================== */

/* The weights of one conv2d/dense as codes of LP<n, es, rs, sf>
 * (runtime/formats/spx_numfmt.h, docs/number-formats.md), with everything
 * else the LP integer datapath of the layer needs (docs/numerics.md, "LP
 * layers"): the activations' LP format, the accumulator's fraction bits A,
 * the int8 -> LP table of the layer's input and the bias in the
 * accumulator's fixed point. Weights that were finite encode to finite
 * codes (the encoder saturates), so a valid encoding has no NaR weight.
 *
 * Layout (integers little-endian, read byte by byte):
 *
 *   offset  size
 *   +------+--------+----------------------------------------------------+
 *   |    0 |      4 | magic "SXLP"                                       |
 *   |    4 |      2 | version (1)                                        |
 *   |    6 |      2 | header_bytes (48)                                  |
 *   |    8 |      4 | rows M (>= 1)                                      |
 *   |   12 |      4 | cols K (>= 1)                                      |
 *   |   16 |      2 | kh (>= 1)                                          |
 *   |   18 |      2 | kw (>= 1)                                          |
 *   |   20 |      4 | groups (>= 1, divides M)                           |
 *   |   24 |      4 | weight format: n, es, rs (u8 each), sf (i8)        |
 *   |   28 |      4 | activation format: n, es, rs (u8 each), sf (i8)    |
 *   |   32 |      1 | A: fraction bits of the int64 accumulator, 0..62   |
 *   |   33 |      1 | code_bits: the weight format's n (2..16)           |
 *   |   34 |      2 | flags (0)                                          |
 *   |   36 |      4 | bias_offset (560)                                  |
 *   |   40 |      4 | codes_offset (560 + 8 M)                           |
 *   |   44 |      4 | total_bytes (codes_offset + ceil(n * count / 8))   |
 *   +------+--------+----------------------------------------------------+
 *   |   48 |    512 | act_table: u16[256], entry x + 128 = the activation |
 *   |      |        |   format's code of the int8 input value x (never   |
 *   |      |        |   NaR, below 2^n_act)                              |
 *   |  560 |    8 M | bias: i64 per output channel, real bias * 2^A      |
 *   | 560+ | n*cnt/8| weight codes, OIHW [M][K][kh][kw] (dense [M][K]),  |
 *   |  8 M |        |   n bits each, packed: code i is bits i*n .. i*n+n-1 |
 *   |      |        |   of the area read as one little-endian integer    |
 *   |      |        |   (bit b: bit b % 8 of byte b / 8); the bits after |
 *   |      |        |   the last code, up to the byte, are 0; each code  |
 *   |      |        |   below 2^n and never NaR                          |
 *   +------+--------+----------------------------------------------------+
 */
#define SPX_FMT_LP_MAGIC "SXLP"
#define SPX_FMT_LP_VERSION 2 /* 1: codes in whole bytes */
#define SPX_FMT_LP_HEADER_BYTES 48
#define SPX_FMT_LP_TABLE_BYTES 512
#define SPX_FMT_LP_MAX_ACC_FRAC 62
/* Fraction bits of the exp2 table (T[j] = round(2^(j / 2^F) * 2^30)). */
#define SPX_FMT_LP_EXP_BITS 30

struct spx_numfmt;
/* The parameters of an LP layer: the two formats (as spx_numfmt_t LP
 * formats) and A. */
typedef struct spx_fmt_lp_params {
  uint8_t w_n, w_es, w_rs;
  int8_t w_sf;
  uint8_t a_n, a_es, a_rs;
  int8_t a_sf;
  uint8_t acc_frac;
} spx_fmt_lp_params_t;

/* A checked encoding (spx_fmt_lp_open). */
typedef struct spx_fmt_lp_view {
  spx_fmt_dims_t dims;
  spx_fmt_lp_params_t p;
  unsigned code_bits;
  const uint8_t *act_table; /* u16 LE [256] */
  const uint8_t *bias;      /* i64 LE [rows] */
  const uint8_t *codes;     /* count codes of code_bits, packed */
  size_t total_bytes;
} spx_fmt_lp_view_t;

/* Bytes of the encoding; 0 if dims are unusable, n > 16 or the size
 * exceeds 4 GiB - 1. */
size_t spx_fmt_lp_encoded_size(const spx_fmt_dims_t *dims, unsigned w_n);
/* Writes the encoding: codes (count, uint16 values, OIHW), act_table (256
 * codes), bias (rows). Checks what validate checks. */
spx_rt_status_t spx_fmt_lp_encode(const spx_fmt_dims_t *dims, const spx_fmt_lp_params_t *p,
                                  const uint16_t *act_table, const int64_t *bias,
                                  const uint16_t *codes, uint8_t *out, size_t cap,
                                  size_t *out_len, spx_rt_error_t *err);
/* Structure (header, sizes, formats) against dims; fills *out_view. */
spx_rt_status_t spx_fmt_lp_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                spx_fmt_lp_view_t *out_view, spx_rt_error_t *err);
/* open, then every code: the activation table below 2^n_act and not NaR
 * ("act_table[x = -3] ..."), each weight code below 2^n and not NaR, naming
 * the output channel and the index in the channel. */
spx_rt_status_t spx_fmt_lp_validate(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                    spx_rt_error_t *err);
/* The i-th weight code, the bias of row r, the activation code of x. */
uint32_t spx_fmt_lp_code_at(const spx_fmt_lp_view_t *v, size_t i);
int64_t spx_fmt_lp_bias_at(const spx_fmt_lp_view_t *v, uint32_t r);
uint32_t spx_fmt_lp_act_code(const spx_fmt_lp_view_t *v, int x);
/* The formats of a view (LP spx_numfmt_t; SPX_RT_ERR_FORMAT if invalid). */
spx_rt_status_t spx_fmt_lp_formats(const spx_fmt_lp_params_t *p, struct spx_numfmt *w,
                                   struct spx_numfmt *a, spx_rt_error_t *err);

/* ==== BINARY: binary weights with column flips (formats/binary.c) ======== */

/* The weights of a binary conv2d / dense: w[r][i] = alpha[r] * b[r][i],
 * b in {-1, +1}, alpha[r] > 0 per output channel r (a "row" of
 * spx_fmt_dims_t; on a crossbar, a COLUMN of the array), i the dense OIHW
 * index inside the row, i < row_len = cols * kh * kw. The layer's inputs
 * are +-1 too (int8 +1 / -1, scale 1, zero point 0: the `sign` op). The
 * int8 datapath runs it as an int8 layer whose int8 weights are b and whose
 * per-channel weight scale is alpha: accumulator = sum_i b[r][i] * a[i],
 * exact.
 *
 * Column flips. A crossbar senses the cells that are driven and conduct;
 * storing a column negated (every cell of row r inverted, flip bit r set)
 * changes which cells conduct but not sum b * a, which the digital side
 * recovers by negating the column's result. The encoder stores a row
 * negated by THE FLIP RULE (spx_fmt_binary_flip_rule), the one rule for
 * weight columns and activation sub-vectors alike:
 *     flip iff strictly more +1 than -1 (2 * ones > n); a tie is not
 *     flipped,
 * so after flips no stored row has more +1 (conducting) cells than -1 ones.
 * Activation flips (subvector N != 0) apply the same rule at run time to
 * every sub-vector of N consecutive input rows (a hardware matter: the
 * encoding only records N and the flag).
 *
 * Layout (integers little-endian, read byte by byte; no alignment is
 * assumed of the caller's buffer):
 *
 *   offset  size
 *   +-------+------+-----------------------------------------------------+
 *   |     0 |    4 | magic "SXBN"                                        |
 *   |     4 |    2 | version (1)                                         |
 *   |     6 |    2 | header_bytes (32)                                   |
 *   |     8 |    4 | rows M: output channels / units (>= 1)              |
 *   |    12 |    4 | cols K: input channels per conv group / features    |
 *   |    16 |    2 | kh (>= 1)                                           |
 *   |    18 |    2 | kw (>= 1)                                           |
 *   |    20 |    4 | groups: conv groups (>= 1, divides M; dense 1)      |
 *   |    24 |    2 | subvector N: input rows per activation sub-vector   |
 *   |       |      |   (0: activation flips off)                         |
 *   |    26 |    2 | flags: bit 0 WFLIP (weight flips were chosen; clear:|
 *   |       |      |   every flip bit is 0), bit 1 AFLIP (activation     |
 *   |       |      |   flips on; set iff N != 0); other bits 0           |
 *   |    28 |    4 | total_bytes: the whole encoding (= the buffer size) |
 *   +-------+------+-----------------------------------------------------+
 *   |    32 |   4M | alpha: f32[M], each finite and > 0                  |
 *   +-------+------+-----------------------------------------------------+
 *   | 32+4M | ceil | flip bits: bit r (byte r / 8, bit r % 8, LSB first) |
 *   |       | (M/8)|   is 1 when row r is STORED NEGATED; with WFLIP set |
 *   |       |      |   exactly the rows the flip rule picks; the bits    |
 *   |       |      |   after bit M - 1 are 0                             |
 *   +-------+------+-----------------------------------------------------+
 *   |       | M *  | stored sign bits, row after row, each row starting  |
 *   |       | row_ |   on a byte: bit i of row r (byte r * row_bytes +   |
 *   |       | bytes|   i / 8, bit i % 8) is 1 when the STORED cell is +1 |
 *   |       |      |   (a conducting cell); row_bytes = ceil(row_len /   |
 *   |       |      |   8), the bits after the row's last are 0           |
 *   +-------+------+-----------------------------------------------------+
 *   total_bytes = 32 + 4 M + ceil(M / 8) + M * row_bytes  (< 4 GiB).
 * Effective weight b[r][i] = (stored bit ? +1 : -1) * (flip r ? -1 : +1).
 * Example: dense 10 x 784: 32 + 40 + 2 + 10 * 98 = 1054 bytes (the dense
 * int8 weights take 7840).
 *
 * Crossbar arithmetic. One read of n rows of one sub-vector on one column:
 *   p = stored +1 cells in those rows of the column (digital, known at
 *       compile time),
 *   q = driven rows: inputs as applied to the array, +1 drives a row (after
 *       an activation flip, if the sub-vector was flipped),
 *   c = rows that are driven AND hold a conducting cell (what the crossbar
 *       senses).
 * With stored bits s_i and driven bits d_i in {0, 1}, the stored weight is
 * 2 s_i - 1 and the applied input 2 d_i - 1, and
 *   (2 s - 1)(2 d - 1) = 4 s d - 2 s - 2 d + 1,
 * so, summed over the n rows, sum (stored weight * applied input) =
 * 4 c - 2 p - 2 q + n. The stored weight is the original b times -1 if the
 * column is flipped, the applied input the original a times -1 if the
 * sub-vector is, so the read's contribution to sum b * a with the ORIGINAL
 * weights and inputs is
 *   (4 c - 2 p - 2 q + n) * (col_flip ? -1 : 1) * (act_flip ? -1 : 1)
 * (spx_fmt_binary_column_sum; exact for n < 2^29).
 *
 * Effective weights are int8 {-1, +1}: the descriptor says decodes_to_s8
 * and max_abs_weight 1, and its cpu kernel runs them natively (bits
 * unpacked once per rows x tile of columns). */

#define SPX_FMT_BINARY_MAGIC "SXBN"
#define SPX_FMT_BINARY_VERSION 1
#define SPX_FMT_BINARY_HEADER_BYTES 32
#define SPX_FMT_BINARY_WFLIP 0x1u
#define SPX_FMT_BINARY_AFLIP 0x2u

/* A checked encoding (spx_fmt_binary_open): header values plus pointers
 * into the caller's bytes. Borrowed; valid while the bytes are. */
typedef struct spx_fmt_binary_view {
  spx_fmt_dims_t dims;
  uint32_t row_len, row_bytes; /* cols * kh * kw, ceil(row_len / 8) */
  uint16_t subvector, flags;
  const uint8_t *alpha;        /* 4 M bytes: f32 LE [M] */
  const uint8_t *flips;        /* ceil(M / 8) bytes */
  const uint8_t *signs;        /* M * row_bytes bytes */
} spx_fmt_binary_view_t;

/* Binarization, the one rule (the binarize pass and spx-quant binary): a
 * row of n weights w (double; f32 weights widen exactly) becomes b[i] = +1
 * where w[i] >= 0 (sign(0) = +1, NaN gives -1), else -1, scaled by the
 * returned alpha = mean |w| in double (the caller rounds it to its weights'
 * precision; 0 for a row of zeros, not finite if a weight is not). *ones
 * (if not NULL) gets the count of +1. */
double spx_fmt_binary_binarize(const double *w, size_t n, int8_t *b, size_t *ones);

/* Bytes of the encoding of dims; 0 if dims are unusable (a dimension 0,
 * groups not dividing rows) or the size would be 4 GiB or more. */
size_t spx_fmt_binary_encoded_size(const spx_fmt_dims_t *dims);
/* Encodes b (int8 -1 / +1, OIHW or [M][K]) with alpha[M] (finite, > 0) into
 * out (cap >= encoded_size bytes; exactly encoded_size are written). With
 * flip_weights, row r is stored negated iff spx_fmt_binary_flip_rule(ones,
 * row_len), ones = its count of +1 (flag WFLIP set); subvector 0 .. 65535
 * (non-zero: flag AFLIP). A weight other than +-1, a bad alpha or bad dims
 * are SPX_RT_ERR_ARG (checked before the buffer's size, so cap 0 checks
 * the inputs), a small buffer SPX_RT_ERR_BUFFER (nothing written), with
 * the reason (output channel, index) in *err. */
spx_rt_status_t spx_fmt_binary_encode(const spx_fmt_dims_t *dims, const int8_t *b,
                                      const float *alpha, int flip_weights, unsigned subvector,
                                      void *out, size_t cap, spx_rt_error_t *err);
/* The full check, O(len), and a view: header fields, dims against *dims
 * (NULL: any), flags against subvector, total_bytes = len, every alpha
 * finite and > 0, the padding bits 0, no flip bit without WFLIP and, with
 * it, the flip bits those of the flip rule. *out (if not NULL) is cleared
 * first. Never reads past len. The descriptor's validate (its open, done
 * on every run, checks the header and sizes only). */
spx_rt_status_t spx_fmt_binary_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                    spx_fmt_binary_view_t *out, spx_rt_error_t *err);
/* alpha[r] of an opened view. */
float spx_fmt_binary_alpha(const spx_fmt_binary_view_t *v, uint32_t r);
/* Stored bit of row r, index i (1: the stored cell is +1, conducting). */
static inline int spx_fmt_binary_stored(const spx_fmt_binary_view_t *v, uint32_t r,
                                        uint32_t i) {
  return (v->signs[(size_t)r * v->row_bytes + i / 8] >> (i % 8)) & 1;
}
/* Flip bit of row r (1: stored negated). */
static inline int spx_fmt_binary_flipped(const spx_fmt_binary_view_t *v, uint32_t r) {
  return (v->flips[r / 8] >> (r % 8)) & 1;
}
/* The one flip rule, for weight columns and activation sub-vectors alike:
 * flip iff strictly more +1 than -1 among n values of which `ones` are +1
 * (2 * ones > n); a tie is not flipped. */
static inline int spx_fmt_binary_flip_rule(uint32_t ones, uint32_t n) {
  return 2 * (uint64_t)ones > (uint64_t)n;
}
/* The exact arithmetic of one crossbar read (above): n rows of one
 * sub-vector on one column, p stored +1 cells, q driven rows, c driven rows
 * with a conducting cell; the contribution to sum b * a with the original
 * weights and inputs. */
static inline int32_t spx_fmt_binary_column_sum(uint32_t c, uint32_t p, uint32_t q, uint32_t n,
                                                int col_flip, int act_flip) {
  int64_t s = 4 * (int64_t)c - 2 * (int64_t)p - 2 * (int64_t)q + (int64_t)n;
  if (col_flip) s = -s;
  if (act_flip) s = -s;
  return (int32_t)s;
}

/* ==== Kernels: what the conv2d/dense driver needs of a format =========== */

/* The driver (runtime/kernels/spx_matmul_s8.c) does everything but the
 * inner product, once for every format (the dense int8 and CBR formats'
 * conv2d (strides up to 8) and dense layers run register-blocked kernels of their
 * own, runtime/kernels/spx_fast_s8.c, that read the same bytes): argument checks, output size, im2col
 * tiles of SPX_FMT_TILE columns (conv: output pixels; dense: batch rows) in
 * the layout the format asks for, the constant part of each accumulator
 * (bias, and -z_in * row sum for SPX_FMT_COLS_S8), per-channel
 * requantization and the activation clamp. A format provides the inner
 * product over its own encoding (descriptor fields above). */

#define SPX_FMT_TILE 16      /* columns per tile (a multiple of 4) */
#define SPX_FMT_ROW_CHUNK 32 /* rows per dot call (at most) */
#define SPX_FMT_ROW_ALIGN 8  /* dot calls start at multiples of this in a group */

typedef enum spx_fmt_cols_kind {
  /* int8 activations x as they are (padding cells and padded channels hold
   * z_in), one column after another: element e of column j at
   * s8[j * stride + e]. A column is [ceil(K / cb)][kh][kw][cb], cb =
   * chan_block input channels per block (cb = 1: OIHW order [K][kh][kw]);
   * channels past K up to a multiple of cb hold z_in. */
  SPX_FMT_COLS_S8 = 0,
  /* int16 centered activations a = x - z_in (0 at padding cells), column
   * innermost: element e = (ky * kw + kx) * K + ci of column j at
   * s16[e * SPX_FMT_TILE + j]; columns count .. SPX_FMT_TILE - 1 hold 0.
   * Needs no row sums: sum w * a is the whole product. */
  SPX_FMT_COLS_S16 = 1
} spx_fmt_cols_kind_t;

/* A tile of columns, as dot reads it. */
typedef struct spx_fmt_cols {
  uint32_t count;    /* columns 1 .. SPX_FMT_TILE */
  uint32_t ragged;   /* S8, dense layers: the columns are the input rows as
                        they are, K values with no padded channels (the last
                        channel block has only K % cb of them) */
  size_t stride;     /* S8: bytes from a column to the next */
  const int8_t *s8;  /* SPX_FMT_COLS_S8 */
  const int16_t *s16; /* SPX_FMT_COLS_S16 */
} spx_fmt_cols_t;

/* Opened weights (desc->open): the dims, the bytes, and views into them.
 * Borrowed; valid while the bytes are. */
typedef struct spx_fmt_weights {
  const spx_fmt_desc_t *desc;
  spx_fmt_dims_t dims;
  const void *bytes;
  size_t len;
  union {
    spx_fmt_cbr_view_t cbr;
    spx_fmt_bbs_view_t bbs;
    spx_fmt_ternary_view_t ternary;
    spx_fmt_lp_view_t lp;
    spx_fmt_binary_view_t binary;
  } view;
  void *state; /* the format's scratch, from begin */
} spx_fmt_weights_t;

/* Elements of one column in a format's layout (SPX_FMT_COLS_S8: padded to
 * whole channel blocks), 0 if dims are unusable. */
size_t spx_fmt_col_len(const spx_fmt_desc_t *desc, const spx_fmt_dims_t *dims);

#ifdef __cplusplus
}
#endif

#endif /* SPX_FORMATS_H */
