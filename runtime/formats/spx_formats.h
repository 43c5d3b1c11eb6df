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

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, code, "text"): the encodings. One line each:
 *   CBR  8x8 weight blocks in compressed block rows (block sparsity, AIE)
 *   BBS  bit-column groups of int8 weights (bi-directional bit sparsity) */
#define SPX_FMT_ENCODINGS(X)                                                  \
  X(CBR, 1, "cbr")                                                            \
  X(BBS, 2, "bbs")

typedef enum spx_fmt_encoding {
  SPX_FMT_DENSE = 0,
#define SPX_FMT_X_(E, code, text) SPX_FMT_##E = code,
  SPX_FMT_ENCODINGS(SPX_FMT_X_)
#undef SPX_FMT_X_
} spx_fmt_encoding_t;

/* ==== CBR: block-sparse weights (formats/cbr.c) ========================= */

/* Compressed block rows (BSR-like) of int8 conv2d / dense weights, for 8x8
 * weight block sparsity (TECHNIQUES.md 1, D'Alberto et al.).
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

typedef enum spx_fmt_cbr_status {
  SPX_FMT_CBR_OK = 0,
  SPX_FMT_CBR_ERR_ARG = -1,    /* NULL pointer or unusable dimensions */
  SPX_FMT_CBR_ERR_FORMAT = -2, /* bytes are not a valid CBR encoding */
  SPX_FMT_CBR_ERR_BUFFER = -3  /* output buffer too small */
} spx_fmt_cbr_status_t;

/* The weight tensor a CBR encoding stands for. Dense layers: kh = kw = 1,
 * groups = 1. Every field >= 1, groups divides rows. */
typedef struct spx_fmt_cbr_dims {
  uint32_t rows;   /* M: c_out (conv) or units (dense) */
  uint32_t cols;   /* K: c_in / groups (conv) or features (dense) */
  uint16_t kh, kw; /* taps per cell */
  uint32_t groups; /* conv groups; block rows never straddle a group */
} spx_fmt_cbr_dims_t;

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

/* Block grid of a weight tensor: R and C as above. SPX_FMT_CBR_ERR_ARG if a
 * dimension is 0, groups does not divide rows, or C > 65535. */
spx_fmt_cbr_status_t spx_fmt_cbr_grid(const spx_fmt_cbr_dims_t *dims,
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
spx_fmt_cbr_status_t spx_fmt_cbr_mask_from_dense(const spx_fmt_cbr_dims_t *dims,
                                                 const int8_t *weights,
                                                 uint8_t *mask, size_t mask_size,
                                                 uint32_t *out_nnz);
/* Zeroes, in place, every block of weights whose mask bit is 0. */
spx_fmt_cbr_status_t spx_fmt_cbr_mask_apply(const spx_fmt_cbr_dims_t *dims,
                                            const uint8_t *mask,
                                            int8_t *weights);
/* Gamma of an opened encoding (mask as for spx_fmt_cbr_mask_from_dense). */
spx_fmt_cbr_status_t spx_fmt_cbr_mask_from_view(const spx_fmt_cbr_view_t *v,
                                                uint8_t *mask, size_t mask_size);
/* The dense weight index of row o, col i, tap (ky, kx) in OIHW order, and
 * the block (r, c) that holds it. Helpers for encoders and tests. */
size_t spx_fmt_cbr_dense_index(const spx_fmt_cbr_dims_t *dims, uint32_t o,
                               uint32_t i, uint32_t ky, uint32_t kx);
void spx_fmt_cbr_block_of(const spx_fmt_cbr_dims_t *dims, uint32_t o,
                          uint32_t i, uint32_t *out_r, uint32_t *out_c);
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
spx_fmt_cbr_status_t spx_fmt_cbr_encode(const spx_fmt_cbr_dims_t *dims,
                                        const int8_t *weights, uint8_t *out,
                                        size_t out_size, size_t *out_len);
/* Structural check, O(R + nnz), and a view of the encoding: header values,
 * grid against the dims, row_ptr, col_idx, sizes. expected may be NULL
 * (accept any dims). *out_view is cleared first; *out_reason (if not NULL)
 * gets a static one-line reason ("" when ok). Never reads past len. */
spx_fmt_cbr_status_t spx_fmt_cbr_open(const void *bytes, size_t len,
                                      const spx_fmt_cbr_dims_t *expected,
                                      spx_fmt_cbr_view_t *out_view,
                                      const char **out_reason);
/* Full check: spx_fmt_cbr_open plus every byte: the padding before the
 * block data and the padded rows/cols of edge blocks must be zero. O(len). */
spx_fmt_cbr_status_t spx_fmt_cbr_validate(const void *bytes, size_t len,
                                          const spx_fmt_cbr_dims_t *expected,
                                          const char **out_reason);
/* Decodes into dense int8 weights (dense_count elements, all written:
 * missing blocks are zero). Runs spx_fmt_cbr_validate first. */
spx_fmt_cbr_status_t spx_fmt_cbr_decode(const void *bytes, size_t len,
                                        const spx_fmt_cbr_dims_t *expected,
                                        int8_t *weights, size_t dense_count,
                                        const char **out_reason);

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

#ifdef __cplusplus
}
#endif

#endif /* SPX_FORMATS_H */
