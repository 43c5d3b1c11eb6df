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

/* ==== BBS: bi-directional bit-level sparsity (formats/bbs.c) ============ */

#ifdef __cplusplus
}
#endif

#endif /* SPX_FORMATS_H */
