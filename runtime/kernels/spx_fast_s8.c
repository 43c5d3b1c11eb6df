/* spx_fast_s8.c - register-blocked int8 conv2d / dense for the dense int8
 * and CBR weight formats, one micro-kernel per instruction-set path
 * (portable C, AVX2, AVX-512 VNNI; spx_isa.c picks one at run time, or
 * kernels_fixed.h at compile time for generated C). The driver
 * (spx_matmul_s8.c) sends the layers these kernels take here and every
 * other one to the formats' dot.
 *
 * Conv2d, stride 1 (any padding, dilation, groups except depthwise): the
 * input of one conv group is rewritten once per call as X4, its channels in
 * quads, [cq][hp][wp][4] bytes with hp x wp the padded image (padding cells
 * and the channels past the group's hold z_in). Strides up to
 * SPX_K_MAX_STRIDE: X4 holds, per channel quad, the phase images of the
 * padded image that some tap reads (conv_plan), and wp below is a phase
 * image's width. An output pixel (oy, ox)
 * is the virtual pixel v = oy * wp + ox, and the 4 input values of channel
 * quad cq at tap (ky, kx) for v are the 4 bytes at X4 + cq * plane4 +
 * (v + ky * dh * wp + kx * dw) * 4: consecutive virtual pixels are
 * consecutive in X4, for every tap, so a tile of NR virtual pixels is one
 * contiguous 4 NR-byte load per (channel quad, tap) and no im2col is made
 * (virtual pixels with ox >= ow are computed and dropped). The weights
 * are 4-byte quads of the same (channel quad, tap): the dense format's are
 * repacked per call as [oc][cq][ky][kx][4] (channels past the group's: 0;
 * or once, spx_k_fast_conv_pack, for a prepared model);
 * CBR's blocks already are ([8 rows][tap][8 channels]: two quads per tap).
 * The micro-kernel keeps MR = 8 output channels x NR = 32 pixels of int32
 * accumulators in registers, broadcasts a weight quad and multiplies it
 * with the pixels' quads (no horizontal sums); CBR calls it with the
 * stored blocks of a block row only (a block row without any: a constant
 * plane per channel, no tiles); layers of <= 4 input channels (conv1) copy
 * out the blocks' first quads (the second is padding) and run those.
 *
 * Arithmetic, exact in int32 as the formats' dot: acc = bias + sum w *
 * (x - z_in) = sum w * x' + c0, c0 = bias - (z_in + o) * sum w where x' = x
 * + o is what X4 holds: o = 0 for C and AVX2 (signed bytes; AVX2 widens
 * them to int16 and uses vpmaddwd), o = 128 for AVX-512 VNNI (vpdpbusd
 * multiplies unsigned by signed bytes: x' = x ^ 0x80 = x + 128 in 0..255).
 * Products and sums are those of the formats' dot, regrouped; int32 sums do
 * not depend on their order (wrapping, the layer's bound keeps the total in
 * range), so every path gives the same accumulators, and the requantization
 * (spx_k_out_s8, vectorized for AVX-512 with the same integer steps) the same
 * bytes.
 *
 * Dense (fully connected) layers: per batch row, rows of weights against the
 * input row: AVX-512 VNNI 8 rows at a time with the row sums in the same
 * pass (x' = x + 128), AVX2 and C on x - z_in in int16. CBR: per block row,
 * its stored 8x8 blocks against the input's 8-byte segments.
 *
 * Depthwise conv2d (any stride, up to 64 taps): per channel, over a padded
 * byte plane of x + 128; see its section at the end. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

#if SPX_K_X86
#include <immintrin.h>
#define T_AVX2 __attribute__((target("avx2")))
#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
/* An empty asm that takes 8 vector registers and gives them back, at the
 * end of a loop body: the loop-carried accumulators then stay in one
 * register each. gcc 12 otherwise copied the AVX-512 CBR 1x1 tile's
 * accumulators from register to register (and four to the stack) on
 * every block, and summed the AVX2 tile's quads before adding them to its
 * accumulators, spilling some. Costs no instruction. */
#define PIN8(a, b, c, d, e, f, g, h)                                          \
  __asm__("" : "+v"(a), "+v"(b), "+v"(c), "+v"(d), "+v"(e), "+v"(f), "+v"(g), "+v"(h))
#endif

#define MR 8
#define NR 32
#define SPX_K_MAX_STRIDE 8 /* strides the fast conv takes (phase images) */

static size_t up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static inline int32_t ld32(const int8_t *p) { /* unused where no SIMD path is built */
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* ---- micro-kernels: acc[r * NR + j] = sum over blocks i, quads q < nq of
 * the 4 weights at w[i] + min(r, mr - 1) * wstride + 4 q times the 4 bytes
 * of pixel j at b + boff[i][q] + 4 j. ---------------------------------------- */

typedef void (*ukr_fn)(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk,
                       uint32_t nq, size_t wstride, const uint8_t *b, uint32_t mr,
                       int32_t *acc);

static void ukr_c(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk,
                  uint32_t nq, size_t wstride, const uint8_t *b, uint32_t mr, int32_t *acc) {
  uint32_t i, q, r, j;
  for (r = 0; r < MR * NR; ++r) acc[r] = 0;
  for (i = 0; i < nblk; ++i)
    for (r = 0; r < mr; ++r) {
      const int8_t *wr = w[i] + (size_t)r * wstride;
      int32_t *a = acc + (size_t)r * NR;
      for (q = 0; q < nq; ++q) {
        const int8_t *x = (const int8_t *)(b + boff[i][q]);
        const int32_t w0 = wr[4 * q], w1 = wr[4 * q + 1], w2 = wr[4 * q + 2],
                      w3 = wr[4 * q + 3];
        for (j = 0; j < NR; ++j)
          a[j] += w0 * x[4 * j] + w1 * x[4 * j + 1] + w2 * x[4 * j + 2] + w3 * x[4 * j + 3];
      }
    }
}


/* ---- requantization of n accumulators (+ c) into o -------------------- */

/* The sign correction below (subtract 2^31 where P < 0) only changes
 * outputs that the clamp takes to act_min when act_min >= z_out (a fused
 * ReLU): where P < 0 both Y and the uncorrected floor((P + 2^(30+e)) /
 * 2^(31+e)) are <= 0 (P + 2^(30+e) < 2^(31+e)), so both plus z_out are <=
 * act_min. */
static inline int rq_needs_corr(const spx_rt_requant_pc_t *q) {
  return q->act_min < q->out_zero_point;
}

/* The act range lies in [-128, 127]: a fused tile then clamps the narrowed
 * bytes, 32 outputs an instruction, instead of 16 int32 lanes (vpmovsdb's
 * saturation and the clamp commute: both are monotone, and saturating
 * first loses nothing inside the int8 range) */
static inline int rq_clamp8(const spx_rt_requant_pc_t *q) {
  return q->act_min >= -128 && q->act_max <= 127 && q->act_min <= q->act_max;
}

/* The int64 added to the products (P'' = v * mult + add, e = -shift >= 0):
 * the rounding terms, and z_out 2^(31+e) where 1 <= e <= 22 (folded: no
 * int64 overflow there, below). */
static inline int rq_folds_zp(int e) { return e >= 1 && e <= 22; }
static int64_t rq_add(int e, const spx_rt_requant_pc_t *q) {
  int64_t add = ((int64_t)1 << 30) + (e ? (int64_t)1 << (30 + e) : 0);
  if (rq_folds_zp(e)) add += (int64_t)q->out_zero_point * ((int64_t)1 << (31 + e));
  return add;
}

/* Each output channel's constants for rq32f, made once per call (a conv's
 * tiles call tile_out once per 8 channels x 32 pixels: the per-row set-up
 * and its branches cost as much as a row's arithmetic). fast: z_out folded
 * and mult != INT32_MIN (rq32f, AVX2 rq8_hi); other channels take
 * requant_avx512 / requant_avx2. */
typedef struct rq_chan {
  int64_t mult, add;
  int32_t c, sh1;  /* c0, e - 1 */
  int32_t fast, pad_;
} rq_chan_t;

static void rq_chan_init(rq_chan_t *r, int32_t c, int32_t mult, int shift,
                         const spx_rt_requant_pc_t *q) {
  memset(r, 0, sizeof *r);
  r->c = c;
  r->mult = mult;
  r->fast = shift <= 0 && rq_folds_zp(-shift) && mult != INT32_MIN;
  if (r->fast) {
    r->add = rq_add(-shift, q);
    r->sh1 = -shift - 1;
  }
}

/* The 8 channels of a tile are all fast (rq32f's, rq8_hi's) */
static int rq_fast8(const rq_chan_t *r) {
  int i;
  for (i = 0; i < MR; ++i)
    if (!r[i].fast) return 0;
  return 1;
}

typedef void (*requant_fn)(const int32_t *a, uint32_t n, int32_t c, int32_t mult, int shift,
                           const spx_rt_requant_pc_t *q, int8_t *o);

static void requant_c(const int32_t *a, uint32_t n, int32_t c, int32_t mult, int shift,
                      const spx_rt_requant_pc_t *q, int8_t *o) {
  uint32_t j;
  for (j = 0; j < n; ++j)
    o[j] = spx_k_out_s8((int32_t)((uint32_t)a[j] + (uint32_t)c), q->out_zero_point, mult,
                        shift, q->act_min, q->act_max);
}

#if SPX_K_X86
/* spx_k_out_s8, vectorized with the same integer steps. Two identities make
 * it short, both exact for every int32 x and int64 ab = v * mult:
 *   srdhm: (ab + nudge) / 2^31 truncated toward zero, nudge = 2^30 for
 *     ab >= 0 and 1 - 2^30 below, equals X = floor(P / 2^31), P = ab +
 *     2^30 (for ab < 0, trunc((ab + 1 - 2^30) / 2^31) = ceil(...) =
 *     floor((ab + 1 - 2^30 + 2^31 - 1) / 2^31));
 *   rdbypot(X, e), e >= 1, X / 2^e rounded half away from zero, equals
 *     floor((X + 2^(e-1) - [X < 0]) / 2^e) (its threshold test: a remainder
 *     above 2^(e-1) - 1, or above 2^(e-1) when X < 0); with X = floor(P /
 *     2^31) and [X < 0] = [P < 0], nested floors give
 *     Y = floor((P + 2^(30+e) - [P < 0] 2^31) / 2^(31+e)),
 *   one add, one compare and one shift in int64 (no overflow: |ab| <= 2^62).
 * Shift <= 0 (the usual case): 16 lanes, products of the even and odd int32
 * lanes (vpmuldq) in int64; shift > 0: the saturating left shift in 8 int64
 * lanes; the last lanes masked. The fused sign (act_min > act_max) and
 * mult = INT32_MIN (srdhm's saturating case) go to requant_c. */
typedef struct rq_common { /* the layer's */
  __m512i neg, cmp, zp, lo, hi, pick;
  __m256i lo8, hi8; /* act_min, act_max as bytes (rq_clamp8) */
} rq_common_t;
typedef struct rq_row { /* an output channel's */
  __m512i mult, add, c;
  __m128i sh; /* 31 + e */
  int corr;   /* e >= 1: subtract 2^31 where P < 0 */
  int addc;   /* c != 0 */
  int addzp;  /* z_out not folded into add */
} rq_row_t;

T_AVX512 static inline rq_common_t rq_common(const spx_rt_requant_pc_t *q) {
  rq_common_t k;
  k.neg = _mm512_set1_epi64((int64_t)1 << 31);
  k.cmp = _mm512_set1_epi64(-((int64_t)1 << 30)); /* P < 0 <=> ab < -2^30 */
  k.zp = _mm512_set1_epi32(q->out_zero_point);
  k.lo = _mm512_set1_epi32(q->act_min);
  k.hi = _mm512_set1_epi32(q->act_max);
  k.lo8 = _mm256_set1_epi8((char)(q->act_min < -128 ? -128 : q->act_min > 127 ? 127 : q->act_min));
  k.hi8 = _mm256_set1_epi8((char)(q->act_max < -128 ? -128 : q->act_max > 127 ? 127 : q->act_max));
  /* int32 lane i: even i from the even products, odd i from the odd ones */
  k.pick = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  return k;
}

/* e >= 1 also folds z_out in: floor((P' + z 2^(31+e)) / 2^(31+e)) = Y + z,
 * no int64 overflow for e <= 22 (|ab| <= 2^62), and Y + z never wraps in
 * int32 there (|Y| <= 2^30 + 1). */
T_AVX512 static inline rq_row_t rq_setup(int32_t c, int32_t mult, int shift,
                                         const spx_rt_requant_pc_t *q) {
  rq_row_t r;
  const int e = -shift; /* shift <= 0 */
  r.addzp = !rq_folds_zp(e);
  r.mult = _mm512_set1_epi64(mult);
  r.add = _mm512_set1_epi64(rq_add(e, q));
  r.c = _mm512_set1_epi32(c);
  r.sh = _mm_cvtsi32_si128(31 + e);
  r.corr = e > 0 && rq_needs_corr(q);
  r.addc = c != 0;
  return r;
}

/* P'' of the even (e) and odd (d) int32 lanes of v, in int64: v * mult +
 * add, less 2^31 where P < 0 when corr. */
T_AVX512 static inline void rq_p(const rq_common_t *k, __m512i v, __m512i mult, __m512i add,
                                 int corr, __m512i *e, __m512i *d) {
  __m512i pe = _mm512_mul_epi32(v, mult);                        /* even lanes */
  __m512i pd = _mm512_mul_epi32(_mm512_srli_epi64(v, 32), mult); /* odd lanes */
  if (corr) {
    const __mmask8 me = _mm512_cmplt_epi64_mask(pe, k->cmp);
    const __mmask8 md = _mm512_cmplt_epi64_mask(pd, k->cmp);
    pe = _mm512_add_epi64(pe, add);
    pd = _mm512_add_epi64(pd, add);
    *e = _mm512_mask_sub_epi64(pe, me, pe, k->neg);
    *d = _mm512_mask_sub_epi64(pd, md, pd, k->neg);
  } else {
    *e = _mm512_add_epi64(pe, add);
    *d = _mm512_add_epi64(pd, add);
  }
}

/* A row of 32 accumulators (a0, a1, c included) of a fast channel (rq_chan_t) to 32 int8
 * outputs, fewer steps than rq16: with e >= 1 the low 32 bits of Y = P'' >> (31 +
 * e) are the high half of P'' shifted right by e - 1 (floor(floor(P'' /
 * 2^32) / 2^(e-1)) = floor(P'' / 2^(31+e)), and Y fits in int32), so the
 * even products' high halves move into the odd products' even lanes (one
 * shuffle) and one 32-bit shift serves 16 lanes. corr: the sign correction
 * (rq_needs_corr); sat: no int32 clamp here (tile_clamp: the act range is
 * vpmovsdb's saturation, or row_out clamps the bytes). Callers pass
 * constants. */
T_AVX512 static inline __m256i rq32f(const rq_common_t *k, const rq_chan_t *r, __m512i a0,
                                     __m512i a1, int corr, int sat) {
  const __m512i mult = _mm512_set1_epi64(r->mult), add = _mm512_set1_epi64(r->add);
  const __m128i sh = _mm_cvtsi32_si128(r->sh1);
  __m128i o[2];
  int h;
  for (h = 0; h < 2; ++h) {
    const __m512i v = h ? a1 : a0;
    __m512i e, d, y;
    rq_p(k, v, mult, add, corr, &e, &d);
    y = _mm512_sra_epi32(_mm512_mask_shuffle_epi32(d, 0x5555, e, _MM_PERM_CDAB), sh);
    if (!sat) y = _mm512_min_epi32(_mm512_max_epi32(y, k->lo), k->hi);
    o[h] = _mm512_cvtsepi32_epi8(y);
  }
  return _mm256_inserti128_si256(_mm256_castsi128_si256(o[0]), o[1], 1);
}


/* 16 accumulators (+ c) to 16 int32 outputs clamped to [act_min,
 * act_max], shift <= 0 (the depthwise kernel packs four such at a time). */
T_AVX512 static inline __m512i rq16_i32(const rq_common_t *k, const rq_row_t *r, __m512i v) {
  __m512i e, d;
  if (r->addc) v = _mm512_add_epi32(v, r->c);
  rq_p(k, v, r->mult, r->add, r->corr, &e, &d);
  e = _mm512_sra_epi64(e, r->sh);
  d = _mm512_sra_epi64(d, r->sh);
  /* the low halves, back to 16 int32 lanes in order */
  e = _mm512_permutex2var_epi32(e, k->pick, d);
  if (r->addzp) e = _mm512_add_epi32(e, k->zp); /* int32 wrap as in C */
  return _mm512_min_epi32(_mm512_max_epi32(e, k->lo), k->hi);
}

/* 16 accumulators (+ c) to 16 int8 outputs, shift <= 0. */
T_AVX512 static inline __m128i rq16(const rq_common_t *k, const rq_row_t *r, __m512i v) {
  return _mm512_cvtepi32_epi8(rq16_i32(k, r, v));
}

T_AVX512 static void requant_avx512(const int32_t *a, uint32_t n, int32_t c, int32_t mult,
                                    int shift, const spx_rt_requant_pc_t *q, int8_t *o) {
  uint32_t j;
  if (q->act_min > q->act_max || mult == INT32_MIN) {
    requant_c(a, n, c, mult, shift, q, o);
    return;
  }
  if (shift > 0) {
    const __m512i k30 = _mm512_set1_epi64((int64_t)1 << 30), vmult = _mm512_set1_epi64(mult);
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX);
    const __m512i vlo = _mm512_set1_epi64(q->act_min), vhi = _mm512_set1_epi64(q->act_max);
    const __m512i vzp = _mm512_set1_epi64(q->out_zero_point);
    const __m256i vc = _mm256_set1_epi32(c);
    for (j = 0; j < n; j += 8) {
      const __mmask8 m = n - j >= 8 ? 0xff : (__mmask8)((1u << (n - j)) - 1);
      __m512i v = _mm512_cvtepi32_epi64(
          _mm256_add_epi32(_mm256_maskz_loadu_epi32(m, (const void *)(a + j)), vc));
      v = _mm512_slli_epi64(v, (unsigned)shift);
      v = _mm512_min_epi64(_mm512_max_epi64(v, lo32), hi32);
      v = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, vmult), k30), 31);
      v = _mm512_add_epi32(v, vzp); /* int32 wrap as in C, then clamp */
      v = _mm512_cvtepi32_epi64(_mm512_cvtepi64_epi32(v));
      v = _mm512_min_epi64(_mm512_max_epi64(v, vlo), vhi);
      _mm_mask_storeu_epi8((void *)(o + j), (__mmask16)m, _mm512_cvtepi64_epi8(v));
    }
    return;
  }
  {
    const rq_common_t kc = rq_common(q);
    const rq_row_t r = rq_setup(c, mult, shift, q);
    for (j = 0; j < n; j += 16) {
      const __mmask16 m = n - j >= 16 ? 0xffff : (__mmask16)((1u << (n - j)) - 1);
      _mm_mask_storeu_epi8((void *)(o + j), m,
                           rq16(&kc, &r, _mm512_maskz_loadu_epi32(m, (const void *)(a + j))));
    }
  }
}
#endif

/* Rows of a virtual plane: out[oy * ow + ox] from acc[oy * wp + ox]. */
typedef void (*requant_rows_fn)(const int32_t *acc, int32_t wp, int32_t oh, int32_t ow,
                                int32_t mult, int shift, const spx_rt_requant_pc_t *q,
                                int8_t *out);

static void requant_rows_c(const int32_t *acc, int32_t wp, int32_t oh, int32_t ow,
                           int32_t mult, int shift, const spx_rt_requant_pc_t *q, int8_t *out) {
  int32_t oy;
  for (oy = 0; oy < oh; ++oy)
    requant_c(acc + (size_t)oy * (size_t)wp, (uint32_t)ow, 0, mult, shift, q,
              out + (size_t)oy * (size_t)ow);
}

#if SPX_K_X86
T_AVX512 static void requant_rows_avx512(const int32_t *acc, int32_t wp, int32_t oh,
                                         int32_t ow, int32_t mult, int shift,
                                         const spx_rt_requant_pc_t *q, int8_t *out) {
  rq_row_t r;
  rq_common_t kc;
  int32_t oy, x;
  if (q->act_min > q->act_max || mult == INT32_MIN || shift > 0) {
    for (oy = 0; oy < oh; ++oy)
      requant_avx512(acc + (size_t)oy * (size_t)wp, (uint32_t)ow, 0, mult, shift, q,
                     out + (size_t)oy * (size_t)ow);
    return;
  }
  r = rq_setup(0, mult, shift, q);
  kc = rq_common(q);
  for (oy = 0; oy < oh; ++oy) {
    const int32_t *a = acc + (size_t)oy * (size_t)wp;
    int8_t *o = out + (size_t)oy * (size_t)ow;
    for (x = 0; x < ow; x += 16) {
      const __mmask16 m = ow - x >= 16 ? 0xffff : (__mmask16)((1u << (ow - x)) - 1);
      _mm_mask_storeu_epi8((void *)(o + x), m,
                           rq16(&kc, &r, _mm512_maskz_loadu_epi32(m, (const void *)(a + x))));
    }
  }
}
#endif

/* ---- a tile's output: rows oc .. oc + mr - 1 of acc (NR virtual pixels
 * each) requantized, the real pixels stored: segment s is acc columns
 * j[s] .. j[s] + len[s] - 1, going to out + row * plane + off[s]. */
typedef struct tile_segs {
  uint32_t n;
  uint32_t j[NR], len[NR];
  size_t off[NR];
  uint32_t mask[NR];     /* the segment's bits j[s] .. j[s] + len[s] - 1 */
  const struct rq_chan *rqt; /* each channel's rq32f set-up (AVX-512), or NULL */
} tile_segs_t;

typedef void (*tile_out_fn)(const int32_t *acc, uint32_t oc, uint32_t mr, const int32_t *c0,
                            const spx_rt_requant_pc_t *q, const tile_segs_t *sg,
                            int8_t *out, size_t plane);

/* A row's NR bytes ob (tile columns) to its output plane o, segment by
 * segment. */
static void segs_copy(const tile_segs_t *sg, const int8_t *ob, int8_t *o) {
  uint32_t s;
  for (s = 0; s < sg->n; ++s) memcpy(o + sg->off[s], ob + sg->j[s], sg->len[s]);
}

static void tile_out_generic(requant_fn rq, const int32_t *acc, uint32_t oc, uint32_t mr,
                             const int32_t *c0, const spx_rt_requant_pc_t *q,
                             const tile_segs_t *sg, int8_t *out, size_t plane) {
  int8_t ob[NR];
  uint32_t r;
  for (r = 0; r < mr; ++r) {
    const uint32_t c = oc + r;
    rq(acc + (size_t)r * NR, NR, c0[c], q->multiplier[c], (int)q->shift[c], q, ob);
    segs_copy(sg, ob, out + (size_t)c * plane);
  }
}

static void tile_out_c(const int32_t *acc, uint32_t oc, uint32_t mr, const int32_t *c0,
                       const spx_rt_requant_pc_t *q, const tile_segs_t *sg, int8_t *out,
                       size_t plane) {
  tile_out_generic(requant_c, acc, oc, mr, c0, q, sg, out, plane);
}

#if SPX_K_X86
/* How a fused tile's rows are finished: corr, the sign correction
 * (rq_needs_corr); sat: rq32f does not clamp (the act range is [-128, 127],
 * vpmovsdb's saturation, or is clamped on the bytes: rq_clamp8); lo8, hi8:
 * the bytes' clamps that are not the saturation's. */
typedef struct tile_clamp {
  int corr, sat, lo8, hi8;
} tile_clamp_t;

static tile_clamp_t tile_clamp(const spx_rt_requant_pc_t *q) {
  tile_clamp_t c;
  c.corr = rq_needs_corr(q);
  c.sat = rq_clamp8(q);
  c.lo8 = c.sat && q->act_min > -128;
  c.hi8 = c.sat && q->act_max < 127;
  return c;
}

/* A fast channel's row of 32 accumulators (a0, a1) to its output plane o:
 * rq32f, then one store (whole: one run of NR pixels) or one masked store
 * per segment, the register placed so that column j lands on its pixel and
 * the bytes outside the segment masked off (never written). */
T_AVX512 static inline void row_out(const rq_common_t *kc, const rq_chan_t *rc, __m512i a0,
                                    __m512i a1, const tile_clamp_t *cl, int whole,
                                    const tile_segs_t *sg, uintptr_t o) {
  __m256i v;
  uint32_t s;
  if (cl->corr)
    v = cl->sat ? rq32f(kc, rc, a0, a1, 1, 1) : rq32f(kc, rc, a0, a1, 1, 0);
  else
    v = cl->sat ? rq32f(kc, rc, a0, a1, 0, 1) : rq32f(kc, rc, a0, a1, 0, 0);
  if (cl->lo8) v = _mm256_max_epi8(v, kc->lo8);
  if (cl->hi8) v = _mm256_min_epi8(v, kc->hi8);
  if (whole) {
    _mm256_storeu_si256((__m256i *)(o + sg->off[0]), v);
    return;
  }
  for (s = 0; s < sg->n; ++s)
    _mm256_mask_storeu_epi8((void *)(o + sg->off[s] - sg->j[s]), (__mmask32)sg->mask[s], v);
}

/* Each row's 32 outputs in one register (row_out); channels that are not
 * fast through requant_avx512. */
T_AVX512 static void tile_out_avx512(const int32_t *acc, uint32_t oc, uint32_t mr,
                                     const int32_t *c0, const spx_rt_requant_pc_t *q,
                                     const tile_segs_t *sg, int8_t *out, size_t plane) {
  const tile_clamp_t cl = tile_clamp(q);
  const int whole = sg->n == 1 && sg->len[0] == NR; /* one unmasked store */
  uint32_t r;
  rq_common_t kc;
  if (q->act_min > q->act_max) {
    tile_out_generic(requant_c, acc, oc, mr, c0, q, sg, out, plane);
    return;
  }
  kc = rq_common(q);
  (void)c0; /* in sg->rqt, which fast_conv sets on this path */
  for (r = 0; r < mr; ++r) {
    const rq_chan_t *rc = sg->rqt + oc + r;
    const uintptr_t o = (uintptr_t)(out + (size_t)(oc + r) * plane);
    const int32_t *a = acc + (size_t)r * NR;
    if (!rc->fast) {
      int8_t ob[NR];
      requant_avx512(a, NR, rc->c, q->multiplier[oc + r], (int)q->shift[oc + r], q, ob);
      segs_copy(sg, ob, (int8_t *)o);
      continue;
    }
    row_out(&kc, rc, _mm512_add_epi32(_mm512_loadu_si512((const void *)a), _mm512_set1_epi32(rc->c)),
            _mm512_add_epi32(_mm512_loadu_si512((const void *)(a + 16)), _mm512_set1_epi32(rc->c)),
            &cl, whole, sg, o);
  }
}
#endif

/* ---- the AVX-512 micro-kernels ---------------------------------------------
 * A tile's end: its accumulators stored to acc (tile_out requantizes them),
 * or, fused (tile_fuse_t: a tile of 8 fast channels), each row requantized
 * in registers and stored as bytes (row_out, as tile_out_avx512 does),
 * without the round trip through acc and tile_out's per-row set-up: 1x1
 * convs ran 15-25% faster (spx-bench-xnnpack). */
#if SPX_K_X86
typedef struct tile_fuse {
  const rq_common_t *kc;
  const rq_chan_t *rq;     /* the tile's 8 channels */
  const tile_segs_t *sg;   /* its real pixels */
  uintptr_t o;             /* row 0's output plane; row r at o + r * plane */
  size_t plane;
  tile_clamp_t cl;
  int whole;               /* one run of NR pixels (one store) */
} tile_fuse_t;

#define TILE_ROW(k)                                                           \
  do {                                                                        \
    if (FUSE) {                                                               \
      row_out(fz->kc, fz->rq + k, a##k##0, a##k##1, &fz->cl, fz->whole, fz->sg,           \
              fz->o + (size_t)k * fz->plane);                                 \
    } else {                                                                  \
      _mm512_storeu_si512((void *)(acc + k * NR), a##k##0);                   \
      _mm512_storeu_si512((void *)(acc + k * NR + 16), a##k##1);              \
    }                                                                         \
  } while (0)
/* The accumulators start at 0, or fused at each row's c (rq32f takes the
 * sums with c included: one broadcast a row instead of an add per 16
 * outputs; int32 sums do not depend on their order) */
#define TILE_INIT_ROW(k)                                                      \
  do {                                                                        \
    a##k##0 = FUSE ? _mm512_set1_epi32(fz->rq[k].c) : _mm512_setzero_si512(); \
    a##k##1 = a##k##0;                                                        \
  } while (0)
#define TILE_INIT()                                                           \
  do {                                                                        \
    TILE_INIT_ROW(0);                                                         \
    TILE_INIT_ROW(1);                                                         \
    TILE_INIT_ROW(2);                                                         \
    TILE_INIT_ROW(3);                                                         \
    TILE_INIT_ROW(4);                                                         \
    TILE_INIT_ROW(5);                                                         \
    TILE_INIT_ROW(6);                                                         \
    TILE_INIT_ROW(7);                                                         \
  } while (0)
#define TILE_END()                                                            \
  do {                                                                        \
    TILE_ROW(0);                                                              \
    TILE_ROW(1);                                                              \
    TILE_ROW(2);                                                              \
    TILE_ROW(3);                                                              \
    TILE_ROW(4);                                                              \
    TILE_ROW(5);                                                              \
    TILE_ROW(6);                                                              \
    TILE_ROW(7);                                                              \
  } while (0)

/* Unsigned x' = x + 128 times signed weights, 8 rows x 32 pixels in 16
 * zmm accumulators; the weight quad is a broadcast memory operand. */
#define VNNI_ROW(k)                                                           \
  do {                                                                        \
    const __m512i v_ = _mm512_set1_epi32(ld32(w##k + 4 * q));                 \
    a##k##0 = _mm512_dpbusd_epi32(a##k##0, x0, v_);                           \
    a##k##1 = _mm512_dpbusd_epi32(a##k##1, x1, v_);                           \
  } while (0)

T_AVX512 static inline __attribute__((always_inline)) void
ukr_avx512_body(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk, uint32_t nq,
                size_t wstride, const uint8_t *b, uint32_t mr, int32_t *acc,
                const tile_fuse_t *fz, const int FUSE) {
  __m512i a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71;
  size_t off[MR];
  uint32_t i, q, r;
  TILE_INIT();
  for (r = 0; r < MR; ++r) off[r] = (size_t)(r < mr ? r : mr - 1) * wstride;
  for (i = 0; i < nblk; ++i) {
    const int8_t *w0 = w[i] + off[0], *w1 = w[i] + off[1], *w2 = w[i] + off[2],
                 *w3 = w[i] + off[3], *w4 = w[i] + off[4], *w5 = w[i] + off[5],
                 *w6 = w[i] + off[6], *w7 = w[i] + off[7];
    const int32_t *bo = boff[i];
    for (q = 0; q < nq; ++q) {
      const uint8_t *x = b + bo[q];
      const __m512i x0 = _mm512_loadu_si512((const void *)x);
      const __m512i x1 = _mm512_loadu_si512((const void *)(x + 64));
      VNNI_ROW(0);
      VNNI_ROW(1);
      VNNI_ROW(2);
      VNNI_ROW(3);
      VNNI_ROW(4);
      VNNI_ROW(5);
      VNNI_ROW(6);
      VNNI_ROW(7);
    }
  }
  TILE_END();
}
#undef VNNI_ROW

/* CBR blocks of 1x1 convs and 8 real rows: two quads per block, the 8 rows
 * 8 bytes apart (constant offsets, no per-block row pointers). */
#define CBR1_ROW(k, h)                                                        \
  do {                                                                        \
    const __m512i v_ = _mm512_set1_epi32(ld32(blk + 8 * k + 4 * h));          \
    a##k##0 = _mm512_dpbusd_epi32(a##k##0, x0, v_);                           \
    a##k##1 = _mm512_dpbusd_epi32(a##k##1, x1, v_);                           \
  } while (0)

T_AVX512 static inline __attribute__((always_inline)) void
ukr_avx512_cbr1_body(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk,
                     const uint8_t *b, int32_t *acc, const tile_fuse_t *fz, const int FUSE) {
  __m512i a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71;
  uint32_t i;
  TILE_INIT();
  for (i = 0; i < nblk; ++i) {
    const int8_t *blk = w[i];
    uint32_t h;
    for (h = 0; h < 2; ++h) { /* the block's two quads */
      const uint8_t *x = b + boff[i][h];
      const __m512i x0 = _mm512_loadu_si512((const void *)x);
      const __m512i x1 = _mm512_loadu_si512((const void *)(x + 64));
      CBR1_ROW(0, h);
      CBR1_ROW(1, h);
      CBR1_ROW(2, h);
      CBR1_ROW(3, h);
      CBR1_ROW(4, h);
      CBR1_ROW(5, h);
      CBR1_ROW(6, h);
      CBR1_ROW(7, h);
    }
    PIN8(a00, a01, a10, a11, a20, a21, a30, a31);
    PIN8(a40, a41, a50, a51, a60, a61, a70, a71);
  }
  TILE_END();
}
#undef CBR1_ROW

#undef TILE_END
#undef TILE_ROW
#undef TILE_INIT
#undef TILE_INIT_ROW

T_AVX512 static void ukr_avx512(const int8_t *const *w, const int32_t *const *boff,
                                uint32_t nblk, uint32_t nq, size_t wstride, const uint8_t *b,
                                uint32_t mr, int32_t *acc) {
  ukr_avx512_body(w, boff, nblk, nq, wstride, b, mr, acc, NULL, 0);
}

T_AVX512 static void ukr_avx512_cbr1(const int8_t *const *w, const int32_t *const *boff,
                                     uint32_t nblk, const uint8_t *b, int32_t *acc) {
  ukr_avx512_cbr1_body(w, boff, nblk, b, acc, NULL, 0);
}

/* A tile of 8 fast channels (rq, from row oc; o: row oc's output plane),
 * its real pixels in sg: ukr (cbr1: ukr_cbr1) with the rows requantized as
 * they leave the registers, as tile_out_avx512 would. */
T_AVX512 static void tile_fused(const int8_t *const *w, const int32_t *const *boff,
                                uint32_t nblk, uint32_t nq, size_t wstride, const uint8_t *b,
                                int cbr1, const rq_chan_t *rq, const spx_rt_requant_pc_t *q,
                                const tile_segs_t *sg, int8_t *o, size_t plane) {
  const rq_common_t kc = rq_common(q);
  tile_fuse_t fz;
  fz.kc = &kc;
  fz.rq = rq;
  fz.sg = sg;
  fz.o = (uintptr_t)o;
  fz.plane = plane;
  fz.cl = tile_clamp(q);
  fz.whole = sg->n == 1 && sg->len[0] == NR;
  if (cbr1)
    ukr_avx512_cbr1_body(w, boff, nblk, b, NULL, &fz, 1);
  else
    ukr_avx512_body(w, boff, nblk, nq, wstride, b, MR, NULL, &fz, 1);
}
#endif

#if SPX_K_X86
/* The same steps on AVX2, 8 outputs per step (shift <= 0; others, the fused
 * sign and mult = INT32_MIN: requant_c). AVX2 has no 64-bit arithmetic
 * shift, but only the low 32 bits of Y = P'' >> (31 + e) are kept: for
 * e >= 1 they are the high half of P'' shifted by e - 1 (a 32-bit
 * arithmetic shift), for e = 0 the low half of a logical 64-bit shift by 31
 * (the bits shifted in land above bit 32). */
typedef struct rq8_common { /* the layer's */
  __m256i cmp, neg, zp, lo, hi;
  int corr; /* e >= 1: subtract 2^31 where P < 0 (rq_needs_corr) */
  int sat;  /* the act range is [-128, 127], which the packs' saturation is */
} rq8_common_t;

typedef struct rq8 { /* a channel's constants (shift <= 0) */
  rq8_common_t k;
  __m256i mult, add;
  __m256i sh; /* e - 1 in every lane */
  int e;
} rq8_t;

T_AVX2 static inline rq8_common_t rq8_common(const spx_rt_requant_pc_t *q) {
  rq8_common_t k;
  k.cmp = _mm256_set1_epi64x(-((int64_t)1 << 30)); /* P < 0 <=> ab < -2^30 */
  k.neg = _mm256_set1_epi64x((int64_t)1 << 31);
  k.zp = _mm256_set1_epi32(q->out_zero_point);
  k.lo = _mm256_set1_epi32(q->act_min);
  k.hi = _mm256_set1_epi32(q->act_max);
  k.corr = rq_needs_corr(q);
  k.sat = q->act_min == -128 && q->act_max == 127;
  return k;
}

T_AVX2 static inline rq8_t rq8_setup(int32_t mult, int shift, const spx_rt_requant_pc_t *q) {
  rq8_t r;
  r.k = rq8_common(q);
  r.e = -shift;
  r.mult = _mm256_set1_epi64x(mult);
  r.add = _mm256_set1_epi64x(((int64_t)1 << 30) + (r.e > 0 ? (int64_t)1 << (30 + r.e) : 0));
  r.sh = _mm256_set1_epi32(r.e > 0 ? r.e - 1 : 0);
  return r;
}

/* y clamped to [act_min, act_max] */
T_AVX2 static inline __m256i rq8_clamp(const rq8_common_t *k, __m256i y) {
  return _mm256_min_epi32(_mm256_max_epi32(y, k->lo), k->hi);
}

/* 8 int32 outputs in range to their 8 bytes (the low half), in order. */
T_AVX2 static inline __m128i bytes8_avx2(__m256i y) {
  y = _mm256_packs_epi16(_mm256_packs_epi32(y, y), y); /* bytes 0-3 of each half */
  return _mm_unpacklo_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
}

/* 16 int32 outputs (y0: 0-7, y1: 8-15; saturated to int8) to 16 bytes in
 * order: after the packs, dwords 0 1 4 5 hold outputs 0-3 8-11 4-7 12-15. */
T_AVX2 static inline __m128i bytes16_avx2(__m256i y0, __m256i y1) {
  const __m256i p = _mm256_packs_epi32(y0, y1);
  return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
      _mm256_packs_epi16(p, p), _mm256_setr_epi32(0, 4, 1, 5, 2, 3, 6, 7)));
}

/* The e >= 1 steps on 8 int32 values v: the low 32 bits of P'' >> (31 + e)
 * (add = the rounding terms, and z_out 2^(31+e) where folded), in order.
 * The even int32 lanes take mult_e, add_e (int64) and a shift of sh_e's odd
 * lanes; the odd ones mult_o's even lanes, add_o and sh_o's odd lanes (one
 * channel: the same constants for both; per-channel: each lane its own). */
T_AVX2 static inline __m256i rq8_hi(const rq8_common_t *k, __m256i v, __m256i mult_e,
                                    __m256i mult_o, __m256i add_e, __m256i add_o, __m256i sh_e,
                                    __m256i sh_o) {
  __m256i ev = _mm256_mul_epi32(v, mult_e);                        /* even lanes */
  __m256i od = _mm256_mul_epi32(_mm256_srli_epi64(v, 32), mult_o); /* odd lanes */
  if (k->corr) {
    ev = _mm256_sub_epi64(_mm256_add_epi64(ev, add_e),
                          _mm256_and_si256(_mm256_cmpgt_epi64(k->cmp, ev), k->neg));
    od = _mm256_sub_epi64(_mm256_add_epi64(od, add_o),
                          _mm256_and_si256(_mm256_cmpgt_epi64(k->cmp, od), k->neg));
  } else {
    ev = _mm256_add_epi64(ev, add_e);
    od = _mm256_add_epi64(od, add_o);
  }
  ev = _mm256_srli_epi64(_mm256_srav_epi32(ev, sh_e), 32); /* high halves, down */
  od = _mm256_srav_epi32(od, sh_o);                        /* high halves, in place */
  return _mm256_blend_epi32(ev, od, 0xaa);
}

/* 8 int32 values v (with c added) to 8 outputs in [act_min, act_max], in
 * int32 lanes. */
T_AVX2 static inline __m256i rq8(const rq8_t *r, __m256i v) {
  __m256i y;
  if (r->e > 0) {
    y = rq8_hi(&r->k, v, r->mult, r->mult, r->add, r->add, r->sh, r->sh);
  } else {
    const __m256i ev = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(v, r->mult), r->add), 31);
    const __m256i od = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), r->mult), r->add);
    y = _mm256_blend_epi32(ev, _mm256_slli_epi64(_mm256_srli_epi64(od, 31), 32), 0xaa);
  }
  return rq8_clamp(&r->k, _mm256_add_epi32(y, r->k.zp)); /* int32 wrap as in C */
}

T_AVX2 static void requant_avx2(const int32_t *a, uint32_t n, int32_t c, int32_t mult,
                                int shift, const spx_rt_requant_pc_t *q, int8_t *o) {
  const __m256i vc = _mm256_set1_epi32(c);
  rq8_t r;
  uint32_t j;
  if (q->act_min > q->act_max || mult == INT32_MIN || shift > 0) {
    requant_c(a, n, c, mult, shift, q, o);
    return;
  }
  r = rq8_setup(mult, shift, q);
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256i y = rq8(&r, _mm256_add_epi32(
                                  _mm256_loadu_si256((const __m256i *)(const void *)(a + j)), vc));
    _mm_storel_epi64((__m128i *)(void *)(o + j), bytes8_avx2(y));
  }
  if (j < n) requant_c(a + j, n - j, c, mult, shift, q, o + j);
}

static void tile_out_avx2(const int32_t *acc, uint32_t oc, uint32_t mr, const int32_t *c0,
                          const spx_rt_requant_pc_t *q, const tile_segs_t *sg, int8_t *out,
                          size_t plane) {
  tile_out_generic(requant_avx2, acc, oc, mr, c0, q, sg, out, plane);
}

static void requant_rows_avx2(const int32_t *acc, int32_t wp, int32_t oh, int32_t ow,
                              int32_t mult, int shift, const spx_rt_requant_pc_t *q,
                              int8_t *out) {
  int32_t oy;
  for (oy = 0; oy < oh; ++oy)
    requant_avx2(acc + (size_t)oy * (size_t)wp, (uint32_t)ow, 0, mult, shift, q,
                 out + (size_t)oy * (size_t)ow);
}

/* ---- the AVX2 micro-kernel ---------------------------------------------
 * A tile's end: its accumulators stored to acc (tile_out_avx2 requantizes
 * them) or, fused (a tile of 8 fast channels, tile_fused_avx2), each row's
 * 16 pixels requantized in registers (rq8_hi, z_out folded as rq32f does)
 * and stored as bytes: to the output when the tile is one run of NR
 * pixels, else to the tile's bytes, stored segment by segment after. */
typedef struct tile_fuse2 {
  const rq_chan_t *rq;   /* the tile's 8 channels */
  const tile_segs_t *sg; /* its real pixels */
  uintptr_t o;           /* row 0's output plane; row r at o + r * plane */
  size_t plane;
  int8_t *ob;            /* not whole: the tile's bytes [MR][NR] */
  rq8_common_t k;
  int whole;
} tile_fuse2_t;

/* Row r's pixels h .. h + 15 (lo, hi: 8 accumulators each, in order). */
T_AVX2 static inline __attribute__((always_inline)) void
row16_avx2(const tile_fuse2_t *fz, uint32_t r, uint32_t h, __m256i lo, __m256i hi) {
  const rq_chan_t *rc = fz->rq + r;
  const __m256i mult = _mm256_set1_epi64x(rc->mult), add = _mm256_set1_epi64x(rc->add);
  const __m256i c = _mm256_set1_epi32(rc->c);
  const __m256i sh = _mm256_set1_epi32(rc->sh1);
  __m256i y0 = rq8_hi(&fz->k, _mm256_add_epi32(lo, c), mult, mult, add, add, sh, sh);
  __m256i y1 = rq8_hi(&fz->k, _mm256_add_epi32(hi, c), mult, mult, add, add, sh, sh);
  if (!fz->k.sat) {
    y0 = rq8_clamp(&fz->k, y0);
    y1 = rq8_clamp(&fz->k, y1);
  }
  _mm_storeu_si128((__m128i *)(void *)(fz->whole ? fz->o + (size_t)r * fz->plane + fz->sg->off[0] + h
                                                 : (uintptr_t)(fz->ob + (size_t)r * NR + h)),
                   bytes16_avx2(y0, y1));
}

/* Signed bytes widened to int16; vpmaddwd sums pairs: lane 2p / 2p + 1 of
 * a 4-pixel register hold pixel p's two halves, added at the end. Two rows
 * x 16 pixels per pass. */
T_AVX2 static inline __attribute__((always_inline)) void
ukr_avx2_body(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk, uint32_t nq,
              size_t wstride, const uint8_t *b, uint32_t mr, int32_t *acc,
              const tile_fuse2_t *fz, const int FUSE, const uint32_t NQ) {
  uint32_t r, h, i, q;
  if (NQ) nq = NQ; /* a constant: the quad loop unrolled (CBR 1x1 blocks: 2) */
  for (r = 0; r < MR; r += 2) {
    const size_t o0 = (size_t)(r < mr ? r : mr - 1) * wstride;
    const size_t o1 = (size_t)(r + 1 < mr ? r + 1 : mr - 1) * wstride;
    for (h = 0; h < NR; h += 16) {
      __m256i a00 = _mm256_setzero_si256(), a01 = a00, a02 = a00, a03 = a00;
      __m256i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
      for (i = 0; i < nblk; ++i) {
        const int8_t *w0 = w[i] + o0, *w1 = w[i] + o1;
        const int32_t *bo = boff[i];
        for (q = 0; q < nq; ++q) {
          const uint8_t *x = b + bo[q] + 4 * h;
          const __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)x));
          const __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(x + 16)));
          const __m256i x2 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(x + 32)));
          const __m256i x3 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(x + 48)));
          /* the row's 4 weights as int16, in every 8-byte group */
          const __m256i v0 = _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(ld32(w0 + 4 * q))));
          const __m256i v1 = _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(ld32(w1 + 4 * q))));
          a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(x0, v0));
          a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(x1, v0));
          a02 = _mm256_add_epi32(a02, _mm256_madd_epi16(x2, v0));
          a03 = _mm256_add_epi32(a03, _mm256_madd_epi16(x3, v0));
          a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(x0, v1));
          a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(x1, v1));
          a12 = _mm256_add_epi32(a12, _mm256_madd_epi16(x2, v1));
          a13 = _mm256_add_epi32(a13, _mm256_madd_epi16(x3, v1));
          /* unrolled (NQ): the accumulators complete after each quad */
          if (NQ) PIN8(a00, a01, a02, a03, a10, a11, a12, a13);
        }
      }
      {
        /* hadd within lanes gives pixels [0 1 4 5 | 2 3 6 7]: reorder */
        const __m256i s00 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a00, a01), 0xd8);
        const __m256i s01 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a02, a03), 0xd8);
        const __m256i s10 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a10, a11), 0xd8);
        const __m256i s11 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a12, a13), 0xd8);
        if (FUSE) {
          row16_avx2(fz, r, h, s00, s01);
          row16_avx2(fz, r + 1, h, s10, s11);
        } else {
          _mm256_storeu_si256((__m256i *)(void *)(acc + (size_t)r * NR + h), s00);
          _mm256_storeu_si256((__m256i *)(void *)(acc + (size_t)r * NR + h + 8), s01);
          _mm256_storeu_si256((__m256i *)(void *)(acc + (size_t)(r + 1) * NR + h), s10);
          _mm256_storeu_si256((__m256i *)(void *)(acc + (size_t)(r + 1) * NR + h + 8), s11);
        }
      }
    }
  }
}

T_AVX2 static void ukr_avx2(const int8_t *const *w, const int32_t *const *boff,
                            uint32_t nblk, uint32_t nq, size_t wstride, const uint8_t *b,
                            uint32_t mr, int32_t *acc) {
  ukr_avx2_body(w, boff, nblk, nq, wstride, b, mr, acc, NULL, 0, 0);
}

T_AVX2 static void ukr_avx2_cbr1(const int8_t *const *w, const int32_t *const *boff,
                                 uint32_t nblk, const uint8_t *b, int32_t *acc) {
  ukr_avx2_body(w, boff, nblk, 2, 8, b, MR, acc, NULL, 0, 2);
}

/* tile_fused on AVX2 (cbr1: CBR 1x1 blocks, 2 quads each). */
T_AVX2 static void tile_fused_avx2(const int8_t *const *w, const int32_t *const *boff,
                                   uint32_t nblk, uint32_t nq, size_t wstride,
                                   const uint8_t *b, int cbr1, const rq_chan_t *rq,
                                   const spx_rt_requant_pc_t *q, const tile_segs_t *sg,
                                   int8_t *o, size_t plane) {
  int8_t ob[MR * NR];
  tile_fuse2_t fz;
  uint32_t r;
  fz.rq = rq;
  fz.sg = sg;
  fz.o = (uintptr_t)o;
  fz.plane = plane;
  fz.ob = ob;
  fz.k = rq8_common(q);
  fz.whole = sg->n == 1 && sg->len[0] == NR;
  if (cbr1)
    ukr_avx2_body(w, boff, nblk, 2, 8, b, MR, NULL, &fz, 1, 2);
  else
    ukr_avx2_body(w, boff, nblk, nq, wstride, b, MR, NULL, &fz, 1, 0);
  if (!fz.whole)
    for (r = 0; r < MR; ++r) segs_copy(sg, ob + (size_t)r * NR, o + (size_t)r * plane);
}
#endif


/* 4 rows of n bytes interleaved: o[4 j + i] = r_i[j] ^ x. */
static inline void interleave4_row(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                   const int8_t *r3, int32_t n, uint8_t x, uint8_t *o) {
  int32_t j = 0;
#if defined(__SSE2__)
  const __m128i vx = _mm_set1_epi8((char)x);
  for (; j + 16 <= n; j += 16) {
    const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(r0 + j));
    const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(r1 + j));
    const __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(r2 + j));
    const __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(r3 + j));
    const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
    const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
    uint8_t *d0 = o + 4 * j;
    _mm_storeu_si128((__m128i *)(void *)d0, _mm_xor_si128(_mm_unpacklo_epi16(ab0, cd0), vx));
    _mm_storeu_si128((__m128i *)(void *)(d0 + 16), _mm_xor_si128(_mm_unpackhi_epi16(ab0, cd0), vx));
    _mm_storeu_si128((__m128i *)(void *)(d0 + 32), _mm_xor_si128(_mm_unpacklo_epi16(ab1, cd1), vx));
    _mm_storeu_si128((__m128i *)(void *)(d0 + 48), _mm_xor_si128(_mm_unpackhi_epi16(ab1, cd1), vx));
  }
#endif
  for (; j < n; ++j) {
    o[4 * j] = (uint8_t)((uint8_t)r0[j] ^ x);
    o[4 * j + 1] = (uint8_t)((uint8_t)r1[j] ^ x);
    o[4 * j + 2] = (uint8_t)((uint8_t)r2[j] ^ x);
    o[4 * j + 3] = (uint8_t)((uint8_t)r3[j] ^ x);
  }
}

#if SPX_K_X86
/* interleave4, 64 pixels a step: the byte and word unpacks work within
 * 16-byte lanes, so result m's lane k holds pixels 16 k + 4 m .. + 3; a
 * 4x4 transpose of 16-byte lanes (two rounds of vshufi64x2) puts pixels
 * 16 k .. 16 k + 15 in output register k. The last 1..63 pixels 16 a step,
 * the last 1..15 in masked loads and stores. */
T_AVX512 static inline __attribute__((always_inline)) void
interleave4_avx512_row(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3,
                       int32_t n, uint8_t x, uint8_t *o) {
  const __m128i vx = _mm_set1_epi8((char)x);
  const __m512i vx5 = _mm512_set1_epi8((char)x);
  int32_t j;
  for (j = 0; j + 64 <= n; j += 64) {
    const __m512i a = _mm512_loadu_si512((const void *)(r0 + j));
    const __m512i b = _mm512_loadu_si512((const void *)(r1 + j));
    const __m512i c = _mm512_loadu_si512((const void *)(r2 + j));
    const __m512i d = _mm512_loadu_si512((const void *)(r3 + j));
    const __m512i ab0 = _mm512_unpacklo_epi8(a, b), ab1 = _mm512_unpackhi_epi8(a, b);
    const __m512i cd0 = _mm512_unpacklo_epi8(c, d), cd1 = _mm512_unpackhi_epi8(c, d);
    const __m512i m0 = _mm512_unpacklo_epi16(ab0, cd0), m1 = _mm512_unpackhi_epi16(ab0, cd0);
    const __m512i m2 = _mm512_unpacklo_epi16(ab1, cd1), m3 = _mm512_unpackhi_epi16(ab1, cd1);
    /* t01 = [m0.0, m0.1, m1.0, m1.1], t23 = [m2.0, m2.1, m3.0, m3.1], ... */
    const __m512i t01 = _mm512_shuffle_i64x2(m0, m1, 0x44), t23 = _mm512_shuffle_i64x2(m2, m3, 0x44);
    const __m512i u01 = _mm512_shuffle_i64x2(m0, m1, 0xee), u23 = _mm512_shuffle_i64x2(m2, m3, 0xee);
    uint8_t *d0 = o + 4 * (size_t)j;
    _mm512_storeu_si512((void *)d0, _mm512_xor_si512(_mm512_shuffle_i64x2(t01, t23, 0x88), vx5));
    _mm512_storeu_si512((void *)(d0 + 64), _mm512_xor_si512(_mm512_shuffle_i64x2(t01, t23, 0xdd), vx5));
    _mm512_storeu_si512((void *)(d0 + 128), _mm512_xor_si512(_mm512_shuffle_i64x2(u01, u23, 0x88), vx5));
    _mm512_storeu_si512((void *)(d0 + 192), _mm512_xor_si512(_mm512_shuffle_i64x2(u01, u23, 0xdd), vx5));
  }
  for (; j < n; j += 16) {
    const int32_t left = n - j;
    const __mmask16 m = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
    const __m128i a = _mm_maskz_loadu_epi8(m, (const void *)(r0 + j));
    const __m128i b = _mm_maskz_loadu_epi8(m, (const void *)(r1 + j));
    const __m128i c = _mm_maskz_loadu_epi8(m, (const void *)(r2 + j));
    const __m128i d = _mm_maskz_loadu_epi8(m, (const void *)(r3 + j));
    const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
    const __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
    uint8_t *d0 = o + 4 * j;
    if (left >= 16) {
      _mm_storeu_si128((__m128i *)(void *)d0, _mm_xor_si128(_mm_unpacklo_epi16(ab0, cd0), vx));
      _mm_storeu_si128((__m128i *)(void *)(d0 + 16), _mm_xor_si128(_mm_unpackhi_epi16(ab0, cd0), vx));
      _mm_storeu_si128((__m128i *)(void *)(d0 + 32), _mm_xor_si128(_mm_unpacklo_epi16(ab1, cd1), vx));
      _mm_storeu_si128((__m128i *)(void *)(d0 + 48), _mm_xor_si128(_mm_unpackhi_epi16(ab1, cd1), vx));
    } else { /* 4 left bytes per pixel: byte masks of the four 16-byte pieces */
      const uint64_t bytes = (uint64_t)4 * (uint64_t)left;
      const uint64_t mm = bytes >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bytes) - 1);
      _mm_mask_storeu_epi8((void *)d0, (__mmask16)(mm & 0xffff),
                           _mm_xor_si128(_mm_unpacklo_epi16(ab0, cd0), vx));
      _mm_mask_storeu_epi8((void *)(d0 + 16), (__mmask16)((mm >> 16) & 0xffff),
                           _mm_xor_si128(_mm_unpackhi_epi16(ab0, cd0), vx));
      _mm_mask_storeu_epi8((void *)(d0 + 32), (__mmask16)((mm >> 32) & 0xffff),
                           _mm_xor_si128(_mm_unpacklo_epi16(ab1, cd1), vx));
      _mm_mask_storeu_epi8((void *)(d0 + 48), (__mmask16)((mm >> 48) & 0xffff),
                           _mm_xor_si128(_mm_unpackhi_epi16(ab1, cd1), vx));
    }
  }
}
#endif

/* The row kernel (fn##_row: n pixels of the four planes' rows) on `rows`
 * rows, each plane's row `is` bytes after its last (is = 0: the same row
 * again), each output row `os` bytes after the last: build_x4 makes one
 * call for a phase image's rows inside the input, not one per row (the
 * 3x3/2 conv's rows are 28 pixels). */
typedef void (*interleave_fn)(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                              const int8_t *r3, size_t is, int32_t rows, int32_t n, uint8_t x,
                              uint8_t *o, size_t os);

#define ROWS_OF(T, fn)                                                        \
  T static void fn(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3, \
                   size_t is, int32_t rows, int32_t n, uint8_t x, uint8_t *o, size_t os) { \
    int32_t y;                                                                \
    for (y = 0; y < rows; ++y, r0 += is, r1 += is, r2 += is, r3 += is, o += os) \
      fn##_row(r0, r1, r2, r3, n, x, o);                                      \
  }
ROWS_OF(, interleave4)
#if SPX_K_X86
ROWS_OF(T_AVX512, interleave4_avx512)
#endif

#if SPX_K_X86
/* Stride 2 on AVX2: o[4 j + i] = r_i[2 j] ^ x, j < n, 16 pixels a step:
 * each row's 32 bytes, their even bytes to the low half of each 16-byte
 * lane (vpshufb), the four rows interleaved (vpunpcklbw, vpunpck{l,h}wd)
 * and the two lanes' pixels put in order (vperm2i128). Nothing is read
 * past r_i[2 (n - 1)]: the last step ends at pixel n - 1, overlapping the
 * one before, and reads from one byte earlier (the wanted bytes odd); rows
 * of at most 16 pixels go byte by byte. */
T_AVX2 static inline __attribute__((always_inline)) void
gather2_avx2_row(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3,
                 int32_t n, uint8_t x, uint8_t *o) {
  const int8_t *r[4];
  const __m256i even = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1,
                                        -1, 0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1,
                                        -1, -1);
  const __m256i odd = _mm256_setr_epi8(1, 3, 5, 7, 9, 11, 13, 15, -1, -1, -1, -1, -1, -1, -1,
                                       -1, 1, 3, 5, 7, 9, 11, 13, 15, -1, -1, -1, -1, -1, -1,
                                       -1, -1);
  const __m256i vx = _mm256_set1_epi8((char)x);
  int32_t j, i;
  r[0] = r0;
  r[1] = r1;
  r[2] = r2;
  r[3] = r3;
  if (n <= 16) {
    for (j = 0; j < n; ++j)
      for (i = 0; i < 4; ++i) o[4 * j + i] = (uint8_t)((uint8_t)r[i][2 * j] ^ x);
    return;
  }
  for (j = 0; j < n; j += 16) {
    const int last = j > n - 17; /* pixels n - 16 .. n - 1 */
    const int32_t p0 = last ? n - 16 : j;
    const size_t b = last ? 2 * (size_t)p0 - 1 : 2 * (size_t)p0;
    const __m256i pick = last ? odd : even;
    const __m256i e0 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(r0 + b)), pick);
    const __m256i e1 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(r1 + b)), pick);
    const __m256i e2 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(r2 + b)), pick);
    const __m256i e3 = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(r3 + b)), pick);
    const __m256i ab = _mm256_unpacklo_epi8(e0, e1), cd = _mm256_unpacklo_epi8(e2, e3);
    /* lane k of lo: pixels 8 k .. 8 k + 3, of hi: 8 k + 4 .. 8 k + 7 */
    const __m256i lo = _mm256_unpacklo_epi16(ab, cd), hi = _mm256_unpackhi_epi16(ab, cd);
    uint8_t *d = o + 4 * (size_t)p0;
    _mm256_storeu_si256((__m256i *)(void *)d,
                        _mm256_xor_si256(_mm256_permute2x128_si256(lo, hi, 0x20), vx));
    _mm256_storeu_si256((__m256i *)(void *)(d + 32),
                        _mm256_xor_si256(_mm256_permute2x128_si256(lo, hi, 0x31), vx));
    if (last) break;
  }
}
ROWS_OF(T_AVX2, gather2_avx2)
#endif

#if SPX_K_X86
/* Stride 2: o[4 j + i] = r_i[2 j] ^ x, j < n. Per 16 pixels: each row's 32
 * bytes (masked: nothing read past r_i[2 (n - 1)]), two rows a register;
 * the even bytes to the low half of each 16-byte lane (vpshufb); the four
 * rows' dwords of pixels 4k .. 4k + 3 into lane k (vpermt2d); a 4x4 byte
 * transpose in each lane (vpshufb); a masked store of 4 bytes a pixel. */
T_AVX512 static inline __attribute__((always_inline)) void
gather2_avx512_row(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3,
                   int32_t n, uint8_t x, uint8_t *o) {
  const __m512i even = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1));
  const __m512i tr = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
  const __m512i pick = _mm512_setr_epi32(0, 8, 16, 24, 1, 9, 17, 25, 4, 12, 20, 28, 5, 13, 21, 29);
  const __m512i vx = _mm512_set1_epi8((char)x);
  int32_t j;
  for (j = 0; j < n; j += 16) {
    const int32_t c = n - j < 16 ? n - j : 16;
    const __mmask32 lm = (__mmask32)((1u << (2 * c - 1)) - 1); /* 2 c - 1 <= 31 bytes */
    const __mmask64 sm = c == 16 ? ~(__mmask64)0 : (((__mmask64)1 << (4 * c)) - 1);
    const size_t b = 2 * (size_t)j;
    const __m512i z01 = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(lm, (const void *)(r0 + b))),
        _mm256_maskz_loadu_epi8(lm, (const void *)(r1 + b)), 1);
    const __m512i z23 = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(lm, (const void *)(r2 + b))),
        _mm256_maskz_loadu_epi8(lm, (const void *)(r3 + b)), 1);
    const __m512i q = _mm512_permutex2var_epi32(_mm512_shuffle_epi8(z01, even), pick,
                                                _mm512_shuffle_epi8(z23, even));
    _mm512_mask_storeu_epi8((void *)(o + 4 * (size_t)j), sm,
                            _mm512_xor_si512(_mm512_shuffle_epi8(q, tr), vx));
  }
}
ROWS_OF(T_AVX512, gather2_avx512)
#endif


/* A tile of 8 fast channels (rq_chan_t) run and requantized in one go
 * (tile_fused, tile_fused_avx2). */
typedef void (*tile_fused_fn)(const int8_t *const *w, const int32_t *const *boff,
                              uint32_t nblk, uint32_t nq, size_t wstride, const uint8_t *b,
                              int cbr1, const struct rq_chan *rq, const spx_rt_requant_pc_t *q,
                              const tile_segs_t *sg, int8_t *o, size_t plane);

typedef struct isa_kit {
  ukr_fn ukr;
  /* CBR, 1x1, 8 rows (NULL: ukr) */
  void (*ukr_cbr1)(const int8_t *const *w, const int32_t *const *boff, uint32_t nblk,
                   const uint8_t *b, int32_t *acc);
  requant_fn requant;
  requant_rows_fn requant_rows;
  tile_out_fn tile_out;
  tile_fused_fn fused; /* or NULL */
  interleave_fn interleave;
  interleave_fn gather2; /* interleave of every other byte (stride 2), or NULL */
  uint8_t offset; /* o: 128 (x' = x ^ 0x80) or 0 */
} isa_kit_t;

static isa_kit_t kit(void) {
  isa_kit_t k;
  k.ukr = ukr_c;
  k.ukr_cbr1 = NULL;
  k.requant = requant_c;
  k.requant_rows = requant_rows_c;
  k.tile_out = tile_out_c;
  k.fused = NULL;
  k.interleave = interleave4;
  k.gather2 = NULL;
  k.offset = 0;
#if SPX_K_X86
  switch (SPX_K_ISA()) {
  case SPX_RT_ISA_AVX512:
    k.ukr = ukr_avx512;
    k.ukr_cbr1 = ukr_avx512_cbr1;
    k.requant = requant_avx512;
    k.tile_out = tile_out_avx512;
    k.fused = tile_fused;
    k.requant_rows = requant_rows_avx512;
    k.interleave = interleave4_avx512;
    k.gather2 = gather2_avx512;
    k.offset = 128;
    break;
  case SPX_RT_ISA_AVX2:
    k.ukr = ukr_avx2;
    k.ukr_cbr1 = ukr_avx2_cbr1;
    k.requant = requant_avx2;
    k.requant_rows = requant_rows_avx2;
    k.tile_out = tile_out_avx2;
    k.fused = tile_fused_avx2;
    k.gather2 = gather2_avx2;
    break;
  default:
    break;
  }
#endif
  return k;
}

/* ---- conv2d ------------------------------------------------------------- */

typedef struct conv_plan {
  int cbr;                 /* 0: dense int8 array, 1: CBR, 2: CBR of <= 4 input channels */
  uint32_t taps, cq;       /* kh * kw; channel quads of X4 (CBR: 2 per block col) */
  int32_t sh, sw;          /* stride */
  int32_t hp, wp;          /* padded image */
  int32_t hq, wq, nv;      /* a phase image; virtual pixels (oy * wq + ox) */
  uint32_t nph;            /* phase images kept (the phases some tap reads) */
  int32_t ph[SPX_K_MAX_STRIDE * SPX_K_MAX_STRIDE]; /* (py, px) -> kept index, or -1 */
  size_t phase4, plane4, x4_bytes; /* bytes of a phase image, of one X4 channel quad, of X4 */
  size_t kp;               /* dense: bytes of a repacked weight row */
  uint32_t nbr, nblk_max;  /* CBR: block rows, stored blocks at most */
  size_t off_c0, off_w, off_tbl, off_ptr, off_x4, off_zrow, off_tmp, off_rq, total;
} conv_plan_t;

/* The X4 offset, in pixels, of tap t from a virtual pixel (phase image and
 * the tap's place in it). */
static size_t tap_pixels(const spx_rt_conv2d_params_t *p, const conv_plan_t *pl, uint32_t t) {
  const int32_t ry = ((int32_t)t / p->kw) * p->dilation[0];
  const int32_t rx = ((int32_t)t % p->kw) * p->dilation[1];
  const int32_t k = pl->ph[(ry % pl->sh) * pl->sw + rx % pl->sw];
  return (size_t)k * (pl->phase4 / 4) + (size_t)(ry / pl->sh) * (size_t)pl->wq +
         (size_t)(rx / pl->sw);
}

/* The plan of a conv the fast path takes, or 0.
 * Stride (sh, sw): output pixel (oy, ox), tap (ky, kx) reads padded pixel
 * (oy sh + ky dh, ox sw + kx dw), i.e. pixel (oy + ky dh / sh, ox + kx dw /
 * sw) of phase image (ky dh % sh, kx dw % sw), the padded image's pixels
 * (yq sh + py, xq sw + px), hq x wq = ceil(hp / sh) x ceil(wp / sw) (cells
 * past the padded image: z_in). So every tap is again one offset from the
 * virtual pixel v = oy wq + ox, and stride 1 is the single phase image
 * hp x wp. Only the phases some tap reads are built (1x1 / 2: one). */
static int conv_plan(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p, int32_t oh,
                     int32_t ow, conv_plan_t *pl) {
  const int32_t cin_g = p->c_in / p->groups;
  uint32_t nblkcols = 0, t;
  size_t tapmax = 0, last, ntbl, nptr;
  int32_t ky, kx, i;
  memset(pl, 0, sizeof *pl);
  if (f->code == SPX_FMT_DENSE)
    pl->cbr = 0;
  else if (f->code == SPX_FMT_CBR)
    pl->cbr = 1;
  else
    return 0;
  if (cin_g == 1 || p->stride[0] > SPX_K_MAX_STRIDE || p->stride[1] > SPX_K_MAX_STRIDE)
    return 0;
  pl->sh = p->stride[0];
  pl->sw = p->stride[1];
  pl->taps = (uint32_t)p->kh * (uint32_t)p->kw;
  if (pl->cbr && cin_g <= 4) {
    /* one block column whose second quad is padding: the blocks' first
     * quads are copied out per call, [8 rows][tap][4] (half the work) */
    pl->cbr = 2;
    nblkcols = 1;
    pl->cq = 1;
    pl->nbr = (uint32_t)p->groups * (((uint32_t)(p->c_out / p->groups) + 7) / 8);
    pl->nblk_max = pl->nbr;
  } else if (pl->cbr) {
    nblkcols = (uint32_t)(cin_g + 7) / 8;
    pl->cq = 2 * nblkcols;
    pl->nbr = (uint32_t)p->groups * (((uint32_t)(p->c_out / p->groups) + 7) / 8);
    pl->nblk_max = pl->nbr * nblkcols;
  } else {
    pl->cq = (uint32_t)(cin_g + 3) / 4;
  }
  pl->hp = p->h + p->pad[0] + p->pad[2];
  pl->wp = p->w + p->pad[1] + p->pad[3];
  pl->hq = (pl->hp + pl->sh - 1) / pl->sh;
  pl->wq = (pl->wp + pl->sw - 1) / pl->sw;
  for (i = 0; i < pl->sh * pl->sw; ++i) pl->ph[i] = -1;
  for (ky = 0; ky < p->kh; ++ky)
    for (kx = 0; kx < p->kw; ++kx) {
      const int32_t k = ((ky * p->dilation[0]) % pl->sh) * pl->sw + (kx * p->dilation[1]) % pl->sw;
      if (pl->ph[k] < 0) pl->ph[k] = 0;
    }
  for (i = 0; i < pl->sh * pl->sw; ++i) /* kept phases in (py, px) order */
    if (pl->ph[i] >= 0) pl->ph[i] = (int32_t)pl->nph++;
  pl->nv = (oh - 1) * pl->wq + ow;
  /* 64-byte aligned phase images: a whole tile's 4 NR bytes of a channel
   * quad are then two aligned lines, not three with line-split loads */
  pl->phase4 = up((size_t)pl->hq * (size_t)pl->wq * 4, 64);
  pl->plane4 = pl->nph * pl->phase4;
  for (t = 0; t < pl->taps; ++t) {
    const size_t o = tap_pixels(p, pl, t);
    if (o > tapmax) tapmax = o;
  }
  /* the last byte a tile reads: last plane, last tile's last pixel, tapmax */
  last = (size_t)(pl->cq - 1) * pl->plane4 + (up((size_t)pl->nv, NR) - 1 + tapmax) * 4 + 4;
  pl->x4_bytes = up(last > pl->cq * pl->plane4 ? last : pl->cq * pl->plane4, 64);
  if (pl->x4_bytes > (size_t)INT32_MAX) return 0;
  pl->kp = (size_t)pl->cq * pl->taps * 4;
  ntbl = pl->cbr == 1 ? (size_t)nblkcols * 2 * pl->taps : (size_t)pl->cq * pl->taps;
  nptr = pl->cbr ? (size_t)nblkcols + 2 * (size_t)pl->nblk_max : 2;
  /* [c0 int32[rows]][dense: weights rows x kp][tbl int32][ptr: CBR: the
   * offset table of each block col [C], then per stored block its weights
   * [nnz] and its offset table [nnz]][X4][zero row][4 gathered rows,
   * stride > 1][rq_chan_t[rows]]; every piece 64-byte aligned from a 64-aligned base */
  pl->off_c0 = 0;
  pl->off_w = up((size_t)p->c_out * 4, 64);
  pl->off_tbl = pl->off_w + (pl->cbr == 1   ? 0
                             : pl->cbr == 2 ? up((size_t)pl->nblk_max * 32 * pl->taps, 64)
                                            : up((size_t)p->c_out * pl->kp, 64));
  pl->off_ptr = pl->off_tbl + up(ntbl * 4, 64);
  pl->off_x4 = pl->off_ptr + up(nptr * sizeof(void *), 64);
  pl->off_zrow = pl->off_x4 + pl->x4_bytes;
  pl->off_tmp = pl->off_zrow + up((size_t)p->w, 64);
  pl->off_rq = pl->off_tmp + (pl->sw > 1 ? 4 * up((size_t)pl->wq, 64) : 0);
  pl->total = pl->off_rq + up((size_t)p->c_out * sizeof(rq_chan_t), 64) +
              64; /* + 64: aligning the base */
  return 1;
}

size_t spx_k_fast_conv_size(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p,
                            int32_t oh, int32_t ow) {
  conv_plan_t pl;
  return conv_plan(f, p, oh, ow, &pl) ? pl.total : 0;
}

/* X4 of one conv group (in_g: its first channel plane), phase by phase:
 * row yq of phase (py, px) is padded row yq sh + py, its pixels padded
 * columns xq sw + px; with stride sw > 1 the input pixels of a row are
 * gathered into tmp (4 rows of wq bytes) first. */
static void build_x4(const spx_rt_conv2d_params_t *p, const conv_plan_t *pl,
                     const int8_t *in_g, int32_t cin_g, int8_t zin, uint8_t xo,
                     const int8_t *zrow, interleave_fn il, interleave_fn g2, int8_t *tmp,
                     uint8_t *x4) {
  const size_t hw = (size_t)p->h * (size_t)p->w;
  const uint32_t zq = (uint32_t)(uint8_t)((uint8_t)zin ^ xo) * 0x01010101u;
  const int32_t sh = pl->sh, sw = pl->sw;
  uint32_t cq;
  int32_t yq, i, py, px;
  for (cq = 0; cq < pl->cq; ++cq) {
    const int8_t *pl4[4];
    for (i = 0; i < 4; ++i) {
      int32_t c = (int32_t)cq * 4 + i;
      pl4[i] = c < cin_g ? in_g + (size_t)c * hw : NULL;
    }
    for (py = 0; py < sh; ++py)
      for (px = 0; px < sw; ++px) {
        const int32_t k = pl->ph[py * sw + px];
        /* the phase's columns inside the input: xq in [x0, x1) */
        const int32_t x0 = px >= p->pad[1] ? 0 : (p->pad[1] - px + sw - 1) / sw;
        int32_t x1 = (p->pad[1] + p->w - px + sw - 1) / sw;
        uint8_t *dst;
        if (k < 0) continue;
        if (x1 > pl->wq) x1 = pl->wq;
        dst = x4 + (size_t)cq * pl->plane4 + (size_t)k * pl->phase4;
        for (yq = 0; yq < pl->hq; ++yq) {
          const int32_t iy = yq * sh + py - p->pad[0];
          uint8_t *row = dst + (size_t)yq * (size_t)pl->wq * 4;
          int32_t x;
          if (iy < 0 || iy >= p->h || x0 >= x1) {
            for (x = 0; x < pl->wq; ++x) memcpy(row + 4 * x, &zq, 4);
            continue;
          }
          {
            const size_t ro = (size_t)iy * (size_t)p->w;
            const int32_t ix0 = x0 * sw + px - p->pad[1];
            int32_t cnt = x1 - x0, rows = 1, y;
            if (sh == 1 && sw == 1 && pl->wq == p->w && pl4[3]) {
              /* no column padding: the input rows are as contiguous in X4
               * as in the planes, one call for all of them (a 1x1 conv's
               * 14-pixel rows cost more in calls and masked tails than in
               * bytes); iy = 0 here */
              cnt = (int32_t)hw;
              yq += p->h - 1;
            } else if (!SPX_K_SIZE_BUILD && pl4[3] && (sw == 1 || (sw == 2 && g2))) {
              /* this row and the next ones inside the input, one call (not
               * in a build for size) */
              int32_t last = (p->h - 1 + p->pad[0] - py) / sh;
              if (last > pl->hq - 1) last = pl->hq - 1;
              rows = last - yq + 1;
            }
            for (y = 0; y < rows; ++y) { /* the rows' padding columns */
              uint8_t *r = row + (size_t)y * (size_t)pl->wq * 4;
              for (x = 0; x < x0; ++x) memcpy(r + 4 * x, &zq, 4);
              for (x = x1; x < pl->wq; ++x) memcpy(r + 4 * x, &zq, 4);
            }
            if (sw == 1 || (sw == 2 && g2)) { /* zrow: p->w >= 2 cnt - 1 bytes */
              (sw == 1 ? il : g2)(pl4[0] ? pl4[0] + ro + ix0 : zrow,
                                  pl4[1] ? pl4[1] + ro + ix0 : zrow,
                                  pl4[2] ? pl4[2] + ro + ix0 : zrow,
                                  pl4[3] ? pl4[3] + ro + ix0 : zrow,
                                  (size_t)sh * (size_t)p->w, rows, cnt, xo,
                                  row + 4 * (size_t)x0, (size_t)pl->wq * 4);
            } else {
              const size_t ts = up((size_t)pl->wq, 64);
              int32_t j;
              for (i = 0; i < 4; ++i) {
                int8_t *tr = tmp + (size_t)i * ts;
                if (!pl4[i]) {
                  memset(tr, zin, (size_t)cnt);
                  continue;
                }
                {
                  const int8_t *s = pl4[i] + ro + ix0;
                  j = 0;
#if defined(__SSE2__)
                  if (sw == 2) { /* the even bytes of 32, inside the row */
                    const __m128i lo = _mm_set1_epi16(0xff);
                    /* j + 16 <= cnt with the 32 bytes inside the row; then
                     * the last 16 (overlapping): the 32 bytes from s + 2 j,
                     * or, when they would pass the row's end, from one
                     * byte earlier (the wanted ones odd) */
                    for (; j + 16 <= cnt && ix0 + 2 * (j + 16) <= p->w; j += 16) {
                      const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * j));
                      const __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * j + 16));
                      _mm_storeu_si128((__m128i *)(void *)(tr + j),
                                       _mm_packus_epi16(_mm_and_si128(a, lo), _mm_and_si128(c, lo)));
                    }
                    if (j < cnt && cnt >= 16) {
                      const int32_t jt = cnt - 16;
                      if (ix0 + 2 * cnt <= p->w) {
                        const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * jt));
                        const __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * jt + 16));
                        _mm_storeu_si128((__m128i *)(void *)(tr + jt),
                                         _mm_packus_epi16(_mm_and_si128(a, lo), _mm_and_si128(c, lo)));
                        j = cnt;
                      } else if (ix0 + 2 * jt >= 1) { /* reads s[2 jt - 1 .. 2 cnt - 2] */
                        const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * jt - 1));
                        const __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * jt + 15));
                        _mm_storeu_si128((__m128i *)(void *)(tr + jt),
                                         _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(c, 8)));
                        j = cnt;
                      }
                    }
                  }
#endif
                  for (; j < cnt; ++j) tr[j] = s[(size_t)j * (size_t)sw];
                }
              }
              il(tmp, tmp + ts, tmp + 2 * ts, tmp + 3 * ts, 0, 1, cnt, xo, row + 4 * (size_t)x0, 0);
            }
            yq += rows - 1;
          }
        }
      }
  }
}

/* The dense format's weights (OIHW int8 at src) in the micro-kernel's
 * layout [oc][cq][tap][4] at dst (c_out * pl->kp bytes), channels past the
 * group's 0: per call (spx_k_fast_conv) or once (spx_k_fast_conv_pack). */
static void pack_dense(const spx_rt_conv2d_params_t *p, const conv_plan_t *pl,
                       const int8_t *src, uint8_t *dst) {
  const int32_t cin_g = p->c_in / p->groups;
  const size_t kin = (size_t)cin_g * pl->taps;
  uint32_t r, t, cq;
  int32_t n;
  for (r = 0; r < (uint32_t)p->c_out; ++r) {
    const int8_t *sr = src + (size_t)r * kin;
    uint8_t *dr = dst + (size_t)r * pl->kp;
    if (pl->taps == 1) { /* 1x1: the quads are the row itself */
      memcpy(dr, sr, kin);
      memset(dr + kin, 0, pl->kp - kin);
      continue;
    }
    for (cq = 0; cq < pl->cq; ++cq) {
      const int8_t *s0 = sr + (size_t)cq * 4 * pl->taps;
      if ((int32_t)cq * 4 + 4 <= cin_g) {
        interleave4(s0, s0 + pl->taps, s0 + 2 * pl->taps, s0 + 3 * pl->taps, 0, 1,
                    (int32_t)pl->taps, 0, dr + (size_t)cq * pl->taps * 4, 0);
      } else {
        uint8_t *dq = dr + (size_t)cq * pl->taps * 4;
        memset(dq, 0, (size_t)pl->taps * 4);
        for (n = (int32_t)cq * 4; n < cin_g; ++n)
          for (t = 0; t < pl->taps; ++t)
            dq[t * 4 + (uint32_t)(n % 4)] = (uint8_t)s0[(size_t)(n % 4) * pl->taps + t];
      }
    }
  }
}

/* The packing: the weights as pack_dense lays them out, [c_out][kp], then
 * each row's weight sum, int32[c_out] (kp is a multiple of 4), which the
 * kernel otherwise makes on every call. */
size_t spx_k_fast_conv_packed_size(const spx_rt_conv2d_params_t *p, int32_t oh, int32_t ow) {
  conv_plan_t pl;
  return conv_plan(&spx_fmt_desc_DENSE, p, oh, ow, &pl) ? (size_t)p->c_out * (pl.kp + 4) : 0;
}

void spx_k_fast_conv_pack(const spx_rt_conv2d_params_t *p, int32_t oh, int32_t ow,
                          const int8_t *weights, void *packed) {
  conv_plan_t pl;
  const size_t kin = (size_t)(p->c_in / p->groups) * (size_t)p->kh * (size_t)p->kw;
  int32_t r;
  if (!conv_plan(&spx_fmt_desc_DENSE, p, oh, ow, &pl)) return;
  pack_dense(p, &pl, weights, packed);
  for (r = 0; r < p->c_out; ++r) {
    const int32_t sum = spx_k_sum_s8(weights + (size_t)r * kin, kin);
    memcpy((uint8_t *)packed + (size_t)p->c_out * pl.kp + 4 * (size_t)r, &sum, 4);
  }
}

static spx_rt_status_t fast_conv(const spx_fmt_weights_t *w, const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                 const int8_t *input, const int32_t *bias, int8_t *output,
                                 void *scratch, const uint8_t *packed,
                                 const spx_rt_s8_residual_t *res);

/* sum of n int8 (n a multiple of 8): psadbw of x ^ 0x80 = x + 128 */
static int32_t sum_s8x8(const int8_t *p, uint32_t n) {
  uint32_t e = 0;
  int32_t sum = 0;
#if defined(__SSE2__)
  const __m128i flip = _mm_set1_epi8((char)0x80), zero = _mm_setzero_si128();
  __m128i a = zero;
  for (; e + 16 <= n; e += 16)
    a = _mm_add_epi64(a, _mm_sad_epu8(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + e)), flip), zero));
  if (e < n) {
    a = _mm_add_epi64(a, _mm_sad_epu8(_mm_xor_si128(_mm_loadl_epi64((const __m128i *)(const void *)(p + e)), flip), zero));
    a = _mm_sub_epi64(a, _mm_set_epi64x(0, 8 * 128)); /* the 8 zero bytes above: 0 ^ 0x80 */
    e += 8;
  }
  sum = (int32_t)(_mm_cvtsi128_si32(a) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(a, a))) -
        (int32_t)(128 * e);
#endif
  for (; e < n; ++e) sum += p[e];
  return sum;
}

spx_rt_status_t spx_k_fast_conv(const spx_fmt_weights_t *w, const spx_rt_conv2d_params_t *p,
                                const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                const int8_t *input, const int32_t *bias, int8_t *output,
                                void *scratch) {
  return fast_conv(w, p, q, oh, ow, input, bias, output, scratch, NULL, NULL);
}

spx_rt_status_t spx_k_fast_conv_packed(const spx_fmt_weights_t *w,
                                       const spx_rt_conv2d_params_t *p,
                                       const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                       const int8_t *input, const int32_t *bias,
                                       int8_t *output, void *scratch, const void *packed,
                                       const spx_rt_s8_residual_t *residual) {
  return fast_conv(w, p, q, oh, ow, input, bias, output, scratch, (const uint8_t *)packed,
                   residual);
}

/* acc[r * NR + j] += residual weight * x' of pixel j, rows oc .. oc + mr -
 * 1: the X4 byte of the weight's (channel quad, tap) quad that the micro-
 * kernel multiplies by it (x' = x + o: unsigned bytes when o = 128). */
static void add_residual(const spx_rt_s8_residual_t *res, uint32_t oc, uint32_t mr,
                         uint32_t taps, const int32_t *tbl, const uint8_t *b, uint8_t xo,
                         int32_t *acc) {
  uint32_t r, e, j;
  for (r = 0; r < mr; ++r)
    for (e = res->row_ptr[oc + r]; e < res->row_ptr[oc + r + 1]; ++e) {
      const uint32_t c = res->index[e] / taps, t = res->index[e] % taps;
      const uint8_t *x = b + tbl[(c / 4) * taps + t] + c % 4;
      const int32_t v = res->value[e];
      int32_t *a = acc + (size_t)r * NR;
      if (xo)
        for (j = 0; j < NR; ++j) a[j] += v * (int32_t)x[4 * j];
      else
        for (j = 0; j < NR; ++j) a[j] += v * (int32_t)(int8_t)x[4 * j];
    }
}

static spx_rt_status_t fast_conv(const spx_fmt_weights_t *w, const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                                 const int8_t *input, const int32_t *bias, int8_t *output,
                                 void *scratch, const uint8_t *packed,
                                 const spx_rt_s8_residual_t *res) {
  const isa_kit_t k = kit();
  conv_plan_t pl;
  const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
  const size_t plane = (size_t)oh * (size_t)ow;
  const int32_t zin = q->in_zero_point;
  uint8_t *base = (uint8_t *)scratch + ((64 - ((uintptr_t)scratch & 63)) & 63);
  int32_t *c0 = (int32_t *)(void *)(base);
  int32_t *tbl;
  const int32_t **ctbl = NULL, **bptr = NULL;
  const int8_t **wptr = NULL;
  const spx_fmt_cbr_view_t *cv = &w->view.cbr;
  uint8_t *x4;
  int8_t *zrow;
  uint32_t r, t, cq;
  int32_t n, g, v0;
  int32_t acc[MR * NR];
  int fuse;
  tile_segs_t sg;
  (void)conv_plan(w->desc, p, oh, ow, &pl);
  tbl = (int32_t *)(void *)(base + pl.off_tbl);
  x4 = base + pl.off_x4;
  zrow = (int8_t *)(base + pl.off_zrow);
  memset(zrow, zin, (size_t)p->w);
  /* c0 = bias - (z_in + o) * sum w (wrapping: the total is in range);
   * CBR: the sums of its blocks' rows here (the format's row_sums goes row
   * by row through spx_k_sum_s8, 8 taps x 8 bytes a call), or its packing's
   * (made once); packed dense weights: the packing's; with a residual: the
   * exact weights' sums, made once */
  if (res) {
    memcpy(c0, res->row_sums, (size_t)p->c_out * sizeof *c0);
  } else if (pl.cbr && packed) { /* CBR's packing: its row sums */
    memcpy(c0, packed, (size_t)p->c_out * sizeof *c0);
  } else if (packed) { /* the dense packing's, after its weights */
    memcpy(c0, packed + (size_t)p->c_out * pl.kp, (size_t)p->c_out * sizeof *c0);
  } else if (pl.cbr) {
    const uint32_t rb = 8 * pl.taps;
    uint32_t br, kk, oo;
    for (br = 0; br < cv->block_rows; ++br) {
      uint32_t o0, no;
      int32_t s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      spx_fmt_cbr_block_row_span(&cv->dims, br, &o0, &no);
      for (kk = spx_fmt_cbr_row_begin(cv, br); kk < spx_fmt_cbr_row_end(cv, br); ++kk) {
        const int8_t *blk = spx_fmt_cbr_block(cv, kk);
        for (oo = 0; oo < 8; ++oo) s8[oo] += sum_s8x8(blk + oo * rb, rb);
      }
      for (oo = 0; oo < no; ++oo) c0[o0 + oo] = s8[oo];
    }
  } else {
    w->desc->row_sums(w, 0, c0);
  }
  for (r = 0; r < (uint32_t)p->c_out; ++r)
    c0[r] = (int32_t)((uint32_t)(bias ? bias[r] : 0) -
                      (uint32_t)(zin + k.offset) * (uint32_t)c0[r]);
  sg.rqt = NULL;
  if (k.fused) { /* the fused tiles' and the AVX-512 path's tile_out */
    rq_chan_t *rqt = (rq_chan_t *)(void *)(base + pl.off_rq);
    for (r = 0; r < (uint32_t)p->c_out; ++r)
      rq_chan_init(rqt + r, c0[r], q->multiplier[r], (int)q->shift[r], q);
    sg.rqt = rqt;
  }
  /* the X4 byte offset of each weight quad, relative to the tile's pixel */
  for (t = 0; t < pl.taps; ++t) {
    const int32_t to = (int32_t)tap_pixels(p, &pl, t) * 4;
    if (pl.cbr == 1)
      for (cq = 0; cq < pl.cq; ++cq)
        tbl[((cq / 2) * pl.taps + t) * 2 + cq % 2] = (int32_t)(cq * pl.plane4) + to;
    else
      for (cq = 0; cq < pl.cq; ++cq) tbl[cq * pl.taps + t] = (int32_t)(cq * pl.plane4) + to;
  }
  if (!pl.cbr) { /* [oc][cq][tap][4], channels past the group's 0 */
    if (!packed) pack_dense(p, &pl, (const int8_t *)w->bytes, base + pl.off_w);
  } else { /* per stored block: its weights and its block col's offset table */
    ctbl = (const int32_t **)(void *)(base + pl.off_ptr);
    wptr = (const int8_t **)(void *)(ctbl + cv->block_cols);
    bptr = (const int32_t **)(void *)(wptr + pl.nblk_max);
    for (r = 0; r < cv->block_cols; ++r) ctbl[r] = tbl + (size_t)r * 2 * pl.taps;
    for (r = 0; r < cv->nnz && r < pl.nblk_max; ++r) {
      wptr[r] = spx_fmt_cbr_block(cv, r);
      bptr[r] = ctbl[spx_fmt_cbr_col(cv, r)];
    }
    if (pl.cbr == 2) { /* the first quad of each (row, tap) */
      int8_t *dst = (int8_t *)(base + pl.off_w);
      const size_t rows = (size_t)8 * pl.taps;
      size_t e;
      for (r = 0; r < cv->nnz && r < pl.nblk_max; ++r) {
        int8_t *d = dst + (size_t)r * 4 * rows;
        for (e = 0; e < rows; ++e) memcpy(d + 4 * e, wptr[r] + 8 * e, 4);
        wptr[r] = d;
      }
    }
  }
  for (n = 0; n < p->n; ++n) {
    for (g = 0; g < p->groups; ++g) {
      const int8_t *in_g = input + ((size_t)n * (size_t)p->c_in + (size_t)g * (size_t)cin_g) *
                                       (size_t)p->h * (size_t)p->w;
      int8_t *out_n = output + (size_t)n * (size_t)p->c_out * plane;
      if (pl.cbr) { /* a block row without stored blocks: acc = c0, one byte */
        uint32_t br, oc = (uint32_t)(g * cout_g);
        for (br = (uint32_t)g * cv->rows_per_group; br < (uint32_t)(g + 1) * cv->rows_per_group;
             ++br, oc += MR)
          if (spx_fmt_cbr_row_begin(cv, br) == spx_fmt_cbr_row_end(cv, br))
            for (r = oc; r < oc + MR && r < (uint32_t)((g + 1) * cout_g); ++r)
              memset(out_n + (size_t)r * plane,
                     spx_k_out_s8(c0[r] /* = bias: sum w = 0 */, q->out_zero_point,
                                  q->multiplier[r], (int)q->shift[r], q->act_min, q->act_max),
                     plane);
      }
      build_x4(p, &pl, in_g, cin_g, (int8_t)zin, k.offset, zrow, k.interleave, k.gather2,
               (int8_t *)(base + pl.off_tmp), x4);
      for (v0 = 0; v0 < pl.nv; v0 += NR) {
        const uint8_t *b = x4 + (size_t)v0 * 4;
        /* the tile's real pixels, in runs along output rows */
        {
          const int32_t cnt = pl.nv - v0 < NR ? pl.nv - v0 : NR;
          int32_t j = 0;
          sg.n = 0;
          while (j < cnt) {
            const int32_t v = v0 + j, oy = v / pl.wq, ox = v % pl.wq;
            int32_t len = ow - ox;
            if (len <= 0) { /* dropped virtual pixels up to the row's end */
              j += pl.wq - ox;
              continue;
            }
            if (len > cnt - j) len = cnt - j;
            if (sg.n && sg.off[sg.n - 1] + sg.len[sg.n - 1] == (size_t)oy * (size_t)ow +
                                                                  (size_t)ox &&
                sg.j[sg.n - 1] + sg.len[sg.n - 1] == (uint32_t)j) {
              /* continues the last run (rows without dropped pixels) */
              sg.len[sg.n - 1] += (uint32_t)len;
              sg.mask[sg.n - 1] |= (len >= 32 ? 0xffffffffu : ((1u << len) - 1)) << j;
              j += len;
              continue;
            }
            sg.j[sg.n] = (uint32_t)j;
            sg.len[sg.n] = (uint32_t)len;
            sg.mask[sg.n] = (len >= 32 ? 0xffffffffu : ((1u << len) - 1)) << j;
            sg.off[sg.n++] = (size_t)oy * (size_t)ow + (size_t)ox;
            j += len;
          }
        }
        /* the tile's rows requantized in the micro-kernel (k.fused), for 8
         * fast channels */
        fuse = k.fused && q->act_min <= q->act_max;
        if (pl.cbr) {
          const uint32_t br0 = (uint32_t)g * cv->rows_per_group;
          uint32_t br, oc = (uint32_t)(g * cout_g);
          for (br = br0; br < br0 + cv->rows_per_group; ++br) {
            const uint32_t kb = spx_fmt_cbr_row_begin(cv, br);
            const uint32_t nblk = spx_fmt_cbr_row_end(cv, br) - kb;
            const uint32_t mr = (uint32_t)(g + 1) * (uint32_t)cout_g - oc < MR
                                    ? (uint32_t)(g + 1) * (uint32_t)cout_g - oc
                                    : MR;
            if (!nblk) { /* constant planes, written before the tiles */
              oc += mr;
              continue;
            }
            if (fuse && mr == MR && rq_fast8(sg.rqt + oc)) {
              if (pl.cbr == 2)
                k.fused(wptr + kb, bptr + kb, nblk, pl.taps, (size_t)4 * pl.taps, b, 0,
                        sg.rqt + oc, q, &sg, out_n + (size_t)oc * plane, plane);
              else
                k.fused(wptr + kb, bptr + kb, nblk, 2 * pl.taps, (size_t)8 * pl.taps, b,
                        pl.taps == 1, sg.rqt + oc, q, &sg, out_n + (size_t)oc * plane, plane);
              oc += mr;
              continue;
            }
            if (pl.cbr == 2)
              k.ukr(wptr + kb, bptr + kb, nblk, pl.taps, (size_t)4 * pl.taps, b, mr, acc);
            else if (k.ukr_cbr1 && pl.taps == 1 && mr == MR)
              k.ukr_cbr1(wptr + kb, bptr + kb, nblk, b, acc);
            else
              k.ukr(wptr + kb, bptr + kb, nblk, 2 * pl.taps, (size_t)8 * pl.taps, b, mr, acc);
            k.tile_out(acc, oc, mr, c0, q, &sg, out_n, plane);
            oc += mr;
          }
        } else {
          const int8_t *wd;
          const int32_t *bd = tbl;
          uint32_t o0 = (uint32_t)(g * cout_g), o1 = (uint32_t)((g + 1) * cout_g);
          while (o0 < o1) {
            const uint32_t mr = o1 - o0 < MR ? o1 - o0 : MR;
            wd = (const int8_t *)(packed ? packed : base + pl.off_w) + (size_t)o0 * pl.kp;
            /* (a residual is added between the micro-kernel and the
             * output: rows with entries of one take tile_out) */
            if (fuse && mr == MR && rq_fast8(sg.rqt + o0) &&
                (!res || res->row_ptr[o0] == res->row_ptr[o0 + MR])) {
              k.fused(&wd, &bd, 1, pl.cq * pl.taps, pl.kp, b, 0, sg.rqt + o0, q, &sg,
                      out_n + (size_t)o0 * plane, plane);
              o0 += mr;
              continue;
            }
            k.ukr(&wd, &bd, 1, pl.cq * pl.taps, pl.kp, b, mr, acc);
            if (res) add_residual(res, o0, mr, pl.taps, tbl, b, k.offset, acc);
            k.tile_out(acc, o0, mr, c0, q, &sg, out_n, plane);
            o0 += mr;
          }
        }
      }
    }
  }
  return SPX_RT_OK;
}

/* Per-channel requantization of a row of outputs: o[u] = spx_k_out_s8(a[u])
 * with channel u's multiplier and shift (dense layers: one output row). */
typedef void (*requant_pc_fn)(const int32_t *a, uint32_t n, const spx_rt_requant_pc_t *q,
                              int8_t *o);

static void requant_pc_c(const int32_t *a, uint32_t n, const spx_rt_requant_pc_t *q,
                         int8_t *o) {
  uint32_t u;
  for (u = 0; u < n; ++u)
    o[u] = spx_k_out_s8(a[u], q->out_zero_point, q->multiplier[u], (int)q->shift[u],
                        q->act_min, q->act_max);
}

#if SPX_K_X86
/* requant_avx512's steps on 8 int64 lanes with per-lane multipliers and
 * shifts (left = max(shift, 0), right = max(-shift, 0); right = 0 leaves
 * the srdhm result as it is). Groups with mult = INT32_MIN, and the fused
 * sign, go to requant_pc_c. */
T_AVX512 static void requant_pc_avx512(const int32_t *a, uint32_t n,
                                       const spx_rt_requant_pc_t *q, int8_t *o) {
  const __m512i k30 = _mm512_set1_epi64((int64_t)1 << 30), zero = _mm512_setzero_si512();
  const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX);
  const __m512i vlo = _mm512_set1_epi64(q->act_min), vhi = _mm512_set1_epi64(q->act_max);
  const __m512i vzp = _mm512_set1_epi64(q->out_zero_point), one = _mm512_set1_epi64(1);
  const __m256i imin = _mm256_set1_epi32(INT32_MIN);
  uint32_t j;
  if (q->act_min > q->act_max) {
    requant_pc_c(a, n, q, o);
    return;
  }
  for (j = 0; j < n; j += 8) {
    const __mmask8 m = n - j >= 8 ? 0xff : (__mmask8)((1u << (n - j)) - 1);
    const __m256i mult32 = _mm256_maskz_loadu_epi32(m, (const void *)(q->multiplier + j));
    const __m512i sh = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, (const void *)(q->shift + j)));
    const __m512i left = _mm512_max_epi64(sh, zero), right = _mm512_max_epi64(_mm512_sub_epi64(zero, sh), zero);
    const __mmask8 rpos = _mm512_cmpgt_epi64_mask(right, zero);
    __m512i v, x;
    if (_mm256_cmpeq_epi32_mask(mult32, imin) & m) {
      spx_rt_requant_pc_t qq = *q;
      qq.multiplier += j;
      qq.shift += j;
      requant_pc_c(a + j, n - j < 8 ? n - j : 8, &qq, o + j);
      continue;
    }
    v = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, (const void *)(a + j)));
    v = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(v, left), lo32), hi32);
    x = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, _mm512_cvtepi32_epi64(mult32)), k30), 31);
    /* rdbypot where right > 0: (x + 2^(right-1) - (x < 0)) >> right */
    x = _mm512_mask_srav_epi64(
        x, rpos,
        _mm512_add_epi64(_mm512_add_epi64(x, _mm512_srli_epi64(_mm512_sllv_epi64(one, right), 1)),
                         _mm512_srai_epi64(x, 63)),
        right);
    x = _mm512_add_epi32(x, vzp); /* int32 wrap as in C, then clamp */
    x = _mm512_cvtepi32_epi64(_mm512_cvtepi64_epi32(x));
    x = _mm512_min_epi64(_mm512_max_epi64(x, vlo), vhi);
    _mm_mask_storeu_epi8((void *)(o + j), (__mmask16)m, _mm512_cvtepi64_epi8(x));
  }
}
#endif

#if SPX_K_X86
/* Per-channel requantization on AVX2, 8 channels a step through rq8_hi
 * with each lane's multiplier and shift, where all 8 are rq_chan_t's fast
 * case (shift in [-22, -1], mult != INT32_MIN: z_out folded into add =
 * 2^30 + (1 + 2 z_out) 2^(30+e)); other steps, the last n % 8 channels and
 * the fused sign go to requant_pc_c. */
T_AVX2 static void requant_pc_avx2(const int32_t *a, uint32_t n, const spx_rt_requant_pc_t *q,
                                   int8_t *o) {
  const rq8_common_t k = rq8_common(q);
  const __m256i k30 = _mm256_set1_epi64x((int64_t)1 << 30);
  const __m256i zk = _mm256_set1_epi64x(1 + 2 * (int64_t)q->out_zero_point);
  const __m256i one = _mm256_set1_epi32(1), k22 = _mm256_set1_epi32(22);
  const __m256i imin = _mm256_set1_epi32(INT32_MIN), low32 = _mm256_set1_epi64x(0xffffffff);
  spx_rt_requant_pc_t qq = *q;
  uint32_t j = 0;
  if (q->act_min <= q->act_max)
    for (; j + 8 <= n; j += 8) {
      const __m256i mult = _mm256_loadu_si256((const __m256i *)(const void *)(q->multiplier + j));
      const __m256i e = _mm256_sub_epi32(
          _mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(const void *)(q->shift + j)));
      const __m256i bad = _mm256_or_si256(
          _mm256_or_si256(_mm256_cmpgt_epi32(one, e), _mm256_cmpgt_epi32(e, k22)),
          _mm256_cmpeq_epi32(mult, imin));
      const __m256i e30 = _mm256_add_epi32(e, _mm256_set1_epi32(30));
      const __m256i em1 = _mm256_sub_epi32(e, one);
      __m256i y;
      if (!_mm256_testz_si256(bad, bad)) {
        qq.multiplier = q->multiplier + j;
        qq.shift = q->shift + j;
        requant_pc_c(a + j, 8, &qq, o + j);
        continue;
      }
      y = rq8_hi(&k, _mm256_loadu_si256((const __m256i *)(const void *)(a + j)), mult,
                 _mm256_srli_epi64(mult, 32),
                 _mm256_add_epi64(_mm256_sllv_epi64(zk, _mm256_and_si256(e30, low32)), k30),
                 _mm256_add_epi64(_mm256_sllv_epi64(zk, _mm256_srli_epi64(e30, 32)), k30),
                 _mm256_shuffle_epi32(em1, 0xa0) /* even lanes' counts in the odd lanes */,
                 em1);
      _mm_storel_epi64((__m128i *)(void *)(o + j), bytes8_avx2(rq8_clamp(&k, y)));
    }
  if (j < n) {
    qq.multiplier = q->multiplier + j;
    qq.shift = q->shift + j;
    requant_pc_c(a + j, n - j, &qq, o + j);
  }
}
#endif

/* ---- dense (fully connected) -------------------------------------------- */

/* acc[u] = sum_f w[u][f] * (x[f] - z_in), u < units, for one input row.
 * xs: x - z_in as int16 (C, AVX2) or x + 128 as bytes (AVX-512), padded
 * with 0 / z_in + 128 (see dense_prep). */
typedef void (*gemv_fn)(const int8_t *w, uint32_t units, uint32_t f, const void *xs,
                        int32_t zin, int32_t *acc);

static void gemv_c(const int8_t *w, uint32_t units, uint32_t f, const void *xs, int32_t zin,
                   int32_t *acc) {
  const int16_t *x = (const int16_t *)xs;
  uint32_t u, i;
  (void)zin;
  for (u = 0; u < units; ++u) {
    const int8_t *wr = w + (size_t)u * f;
    int32_t a = 0;
    for (i = 0; i < f; ++i) a += wr[i] * x[i];
    acc[u] = a;
  }
}

#if SPX_K_X86
T_AVX2 static int32_t hsum256(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/* Four rows at a time, 16 features per step (vpmaddwd of int16 x - z_in
 * and widened weights), the last f % 16 features in scalar code. */
T_AVX2 static void gemv_avx2(const int8_t *w, uint32_t units, uint32_t f, const void *xs,
                             int32_t zin, int32_t *acc) {
  const int16_t *x = (const int16_t *)xs;
  const uint32_t f16 = f & ~15u;
  uint32_t u, i, t;
  (void)zin;
  for (u = 0; u < units; u += 4) {
    const int8_t *wr[4];
    __m256i a[4];
    for (t = 0; t < 4; ++t) {
      wr[t] = w + (size_t)(u + t < units ? u + t : units - 1) * f;
      a[t] = _mm256_setzero_si256();
    }
    for (i = 0; i < f16; i += 16) {
      const __m256i xv = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
      for (t = 0; t < 4; ++t)
        a[t] = _mm256_add_epi32(
            a[t], _mm256_madd_epi16(xv, _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                            (const __m128i *)(const void *)(wr[t] + i)))));
    }
    for (t = 0; t < 4 && u + t < units; ++t) {
      int32_t s = hsum256(a[t]);
      for (i = f16; i < f; ++i) s += wr[t][i] * x[i];
      acc[u + t] = s;
    }
  }
}

/* The 8 sums of a0..a7's lanes, in that order: pairwise unpacks and
 * 128-bit lane shuffles (24 operations where 8 separate reductions take
 * about 64). */
T_AVX512 static __m256i hsum512x8(__m512i a0, __m512i a1, __m512i a2, __m512i a3, __m512i a4,
                                  __m512i a5, __m512i a6, __m512i a7) {
  /* per 128-bit lane: [x0 + x2, y0 + y2, x1 + x3, y1 + y3] of the pair x, y */
  const __m512i p01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  const __m512i p23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
  const __m512i p45 = _mm512_add_epi32(_mm512_unpacklo_epi32(a4, a5), _mm512_unpackhi_epi32(a4, a5));
  const __m512i p67 = _mm512_add_epi32(_mm512_unpacklo_epi32(a6, a7), _mm512_unpackhi_epi32(a6, a7));
  /* per 128-bit lane: rows 0-3 (q0) and 4-7 (q1), each that lane's sum */
  const __m512i q0 = _mm512_add_epi32(_mm512_unpacklo_epi64(p01, p23), _mm512_unpackhi_epi64(p01, p23));
  const __m512i q1 = _mm512_add_epi32(_mm512_unpacklo_epi64(p45, p67), _mm512_unpackhi_epi64(p45, p67));
  /* lanes [q0.0 + q0.2, q0.1 + q0.3, q1.0 + q1.2, q1.1 + q1.3] */
  const __m512i r = _mm512_add_epi32(_mm512_shuffle_i32x4(q0, q1, 0x44), _mm512_shuffle_i32x4(q0, q1, 0xee));
  /* lanes [rows 0-3, rows 4-7, ...] */
  const __m512i t = _mm512_add_epi32(_mm512_shuffle_i32x4(r, r, 0x08), _mm512_shuffle_i32x4(r, r, 0x0d));
  return _mm512_castsi512_si256(t);
}

/* The row sums (from u) of hsum512x8 stored to acc, the rows past units
 * masked off. */
T_AVX512 static void store_rows8(int32_t *acc, uint32_t u, uint32_t units, __m256i sums) {
  if (units - u >= 8)
    _mm256_storeu_si256((__m256i *)(void *)(acc + u), sums);
  else
    _mm256_mask_storeu_epi32(acc + u, (__mmask8)((1u << (units - u)) - 1), sums);
}


/* Eight rows at a time, 64 features per step: vpdpbusd of x + 128 with the
 * weights and of 1 with the weights (the row sums) in the same pass; the
 * last step's weights are a masked load (0 past f). */
T_AVX512 static void gemv_avx512(const int8_t *w, uint32_t units, uint32_t f, const void *xs,
                                 int32_t zin, int32_t *acc) {
  const uint8_t *x = (const uint8_t *)xs;
  const __m512i ones = _mm512_set1_epi8(1);
  const uint32_t ff = f & ~63u;
  const __mmask64 tail = f & 63 ? (((__mmask64)1 << (f & 63)) - 1) : 0;
  uint32_t u, i, t;
  for (u = 0; u < units; u += 8) {
    const int8_t *wr[8];
    __m512i a[8], s[8];
    for (t = 0; t < 8; ++t) {
      wr[t] = w + (size_t)(u + t < units ? u + t : units - 1) * f;
      a[t] = s[t] = _mm512_setzero_si512();
    }
    for (i = 0; i < ff; i += 64) {
      const __m512i xv = _mm512_loadu_si512((const void *)(x + i));
      if (u + 16 <= units) /* the next 8 rows, at the same offset */
        for (t = 0; t < 8; ++t) _mm_prefetch((const char *)(wr[t] + 8 * (size_t)f + i), _MM_HINT_T0);
      for (t = 0; t < 8; ++t) {
        const __m512i wv = _mm512_loadu_si512((const void *)(wr[t] + i));
        a[t] = _mm512_dpbusd_epi32(a[t], xv, wv);
        s[t] = _mm512_dpbusd_epi32(s[t], ones, wv);
      }
    }
    if (tail) {
      const __m512i xv = _mm512_loadu_si512((const void *)(x + ff));
      for (t = 0; t < 8; ++t) {
        const __m512i wv = _mm512_maskz_loadu_epi8(tail, (const void *)(wr[t] + ff));
        a[t] = _mm512_dpbusd_epi32(a[t], xv, wv);
        s[t] = _mm512_dpbusd_epi32(s[t], ones, wv);
      }
    }
    store_rows8(acc, u, units,
                _mm256_sub_epi32(hsum512x8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]),
                                 _mm256_mullo_epi32(_mm256_set1_epi32(zin + 128),
                                                    hsum512x8(s[0], s[1], s[2], s[3], s[4],
                                                              s[5], s[6], s[7]))));
  }
}
#endif

/* CBR: acc[o] for every output row o (a row of a block row without stored
 * blocks: 0), xs padded to block_cols * 8 as for gemv. sums: the rows'
 * weight sums (CBR's packing), or NULL: made here where the path needs them
 * (the AVX-512 one, for its z_in + 128 correction). */
typedef void (*cbr_gemv_fn)(const spx_fmt_cbr_view_t *v, const void *xs, int32_t zin,
                            const int32_t *sums, int32_t *acc);

static void cbr_gemv_c(const spx_fmt_cbr_view_t *v, const void *xs, int32_t zin,
                       const int32_t *sums, int32_t *acc) {
  const int16_t *x = (const int16_t *)xs;
  uint32_t br, k, oo, ii;
  (void)zin;
  (void)sums;
  for (br = 0; br < v->block_rows; ++br) {
    uint32_t o0, no;
    int32_t a8[8] = {0};
    spx_fmt_cbr_block_row_span(&v->dims, br, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(v, br); k < spx_fmt_cbr_row_end(v, br); ++k) {
      const int8_t *blk = spx_fmt_cbr_block(v, k);
      const int16_t *xc = x + (size_t)spx_fmt_cbr_col(v, k) * 8;
      for (oo = 0; oo < 8; ++oo)
        for (ii = 0; ii < 8; ++ii) a8[oo] += blk[oo * 8 + ii] * xc[ii];
    }
    for (oo = 0; oo < no; ++oo) acc[o0 + oo] = a8[oo];
  }
}

#if SPX_K_X86
/* A block is 64 bytes, two rows per 16; x's 8 int16 in both halves. */
T_AVX2 static void cbr_gemv_avx2(const spx_fmt_cbr_view_t *v, const void *xs, int32_t zin,
                                 const int32_t *sums, int32_t *acc) {
  const int16_t *x = (const int16_t *)xs;
  uint32_t br, k, i, oo;
  (void)zin;
  (void)sums;
  for (br = 0; br < v->block_rows; ++br) {
    uint32_t o0, no;
    int32_t lanes[32];
    __m256i a[4];
    spx_fmt_cbr_block_row_span(&v->dims, br, &o0, &no);
    for (i = 0; i < 4; ++i) a[i] = _mm256_setzero_si256();
    for (k = spx_fmt_cbr_row_begin(v, br); k < spx_fmt_cbr_row_end(v, br); ++k) {
      const int8_t *blk = spx_fmt_cbr_block(v, k);
      const __m256i xv = _mm256_broadcastsi128_si256(_mm_loadu_si128(
          (const __m128i *)(const void *)(x + (size_t)spx_fmt_cbr_col(v, k) * 8)));
      for (i = 0; i < 4; ++i)
        a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(xv, _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                                            (const __m128i *)(const void *)(blk + 16 * i)))));
    }
    for (i = 0; i < 4; ++i) _mm256_storeu_si256((__m256i *)(void *)(lanes + 8 * i), a[i]);
    for (oo = 0; oo < no; ++oo) {
      const int32_t *l = lanes + 4 * oo;
      acc[o0 + oo] = l[0] + l[1] + l[2] + l[3];
    }
  }
}

/* vpdpbusd of the block (64 bytes: lane 2 oo + h is row oo's half h) with
 * the 8 bytes x + 128 of its column in every qword, and of 1 (row sums);
 * four blocks at a time into separate accumulators (vpdpbusd's latency).
 * A dense layer's blocks are 64 bytes (kh = kw = 1): one pointer walks
 * them, one the little-endian u16 column indices (x86), so that a block is
 * a load of its column, a broadcast and two vpdpbusd on memory (indexing
 * through the view's accessors made an imul and two byte loads per block,
 * and the kernel a third slower). */
#define CBR_STEP(i)                                                           \
  do {                                                                        \
    uint16_t c_;                                                              \
    int64_t x8_;                                                              \
    const __m512i wv_ = _mm512_loadu_si512((const void *)(blk + 64 * (i)));   \
    memcpy(&c_, ci + 2 * (i), 2);                                             \
    memcpy(&x8_, x + 8 * (size_t)c_, 8);                                      \
    a##i = _mm512_dpbusd_epi32(a##i, _mm512_set1_epi64(x8_), wv_);            \
    if (!SUMS) s##i = _mm512_dpbusd_epi32(s##i, ones, wv_);                   \
  } while (0)

/* SUMS: the row sums are given (a constant: the loop without the second
 * vpdpbusd, 10% of the kernel) */
T_AVX512 static inline __attribute__((always_inline)) void
cbr_gemv_body(const spx_fmt_cbr_view_t *v, const uint8_t *x, int32_t zin, const int32_t *sums,
              int32_t *acc, const int SUMS) {
  const __m512i ones = _mm512_set1_epi8(1);
  const uint32_t units = v->dims.rows, nbr = v->block_rows;
  const int8_t *blk = v->data;
  const uint8_t *ci = v->col_idx;
  uint32_t br, k, oo, kend = spx_fmt_cbr_row_begin(v, 0);
  for (br = 0; br < nbr; ++br) {
    const uint32_t o0 = 8 * br, no = units - o0 < 8 ? units - o0 : 8;
    int32_t la[16], ls[16];
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    __m512i s0 = a0, s1 = a0, s2 = a0, s3 = a0;
    k = kend;
    kend = spx_fmt_cbr_row_end(v, br);
    for (; k + 4 <= kend; k += 4, blk += 256, ci += 8) {
      _mm_prefetch((const char *)blk + 1024, _MM_HINT_T0);
      _mm_prefetch((const char *)blk + 1088, _MM_HINT_T0);
      _mm_prefetch((const char *)blk + 1152, _MM_HINT_T0);
      _mm_prefetch((const char *)blk + 1216, _MM_HINT_T0);
      CBR_STEP(0);
      CBR_STEP(1);
      CBR_STEP(2);
      CBR_STEP(3);
    }
    for (; k < kend; ++k, blk += 64, ci += 2) CBR_STEP(0);
    a0 = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    _mm512_storeu_si512((void *)la, a0);
    if (SUMS) {
      for (oo = 0; oo < no; ++oo)
        acc[o0 + oo] = (int32_t)((uint32_t)(la[2 * oo] + la[2 * oo + 1]) -
                                 (uint32_t)(zin + 128) * (uint32_t)sums[o0 + oo]);
    } else {
      s0 = _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));
      _mm512_storeu_si512((void *)ls, s0);
      for (oo = 0; oo < no; ++oo)
        acc[o0 + oo] = (int32_t)((uint32_t)(la[2 * oo] + la[2 * oo + 1]) -
                                 (uint32_t)(zin + 128) * (uint32_t)(ls[2 * oo] + ls[2 * oo + 1]));
    }
  }
}

T_AVX512 static void cbr_gemv_avx512(const spx_fmt_cbr_view_t *v, const void *xs, int32_t zin,
                                     const int32_t *sums, int32_t *acc) {
  if (sums)
    cbr_gemv_body(v, (const uint8_t *)xs, zin, sums, acc, 1);
  else
    cbr_gemv_body(v, (const uint8_t *)xs, zin, NULL, acc, 0);
}
#undef CBR_STEP
#endif

/* ---- dense weights packed once -------------------------------------------
 * For the AVX-512 path: [the row sums, int32[up(units, 8)], 64 bytes
 * aligned][per 8 rows, per 64 features: the 8 rows' 64 bytes], features
 * past f and rows past units 0. gemv then reads one stream, and the row
 * sums (the z_in + 128 correction) are not made on every call. The other
 * paths run the weights as they are and take no packing. */
static size_t dense_pack_head(uint32_t units) { return up((size_t)up(units, 8) * 4, 64); }

size_t spx_k_fast_dense_packed_size(const spx_rt_dense_params_t *p) {
  if (SPX_K_ISA() != SPX_RT_ISA_AVX512) return 0;
  return dense_pack_head((uint32_t)p->units) +
         up((size_t)p->units, 8) * up((size_t)p->features, 64);
}

void spx_k_fast_dense_pack(const spx_rt_dense_params_t *p, const int8_t *w, void *packed) {
  const size_t f = (size_t)p->features, f64 = up(f, 64), units = (size_t)p->units;
  int32_t *rs = (int32_t *)packed;
  int8_t *d = (int8_t *)packed + dense_pack_head((uint32_t)units);
  size_t u, c, t, i;
  memset(packed, 0, spx_k_fast_dense_packed_size(p));
  for (u = 0; u < units; ++u) {
    const int8_t *wr = w + u * f;
    int32_t sum = 0;
    for (i = 0; i < f; ++i) sum += wr[i];
    rs[u] = sum;
  }
  for (u = 0; u < units; u += 8)
    for (c = 0; c < f64; c += 64, d += 512)
      for (t = 0; t < 8 && u + t < units; ++t)
        memcpy(d + 64 * t, w + (u + t) * f + c, f - c < 64 ? f - c : 64);
}

#if SPX_K_X86
/* Per 8 rows one stream of 512 bytes per 64 features; every line of it is
 * prefetched 8 KiB ahead (the weights come from L3 or memory: a layer's are
 * read once per call; prefetching 2 of the 8 lines 2 KiB ahead left
 * fc 2048->1000 at two thirds of the bandwidth it now gets). */
#define PK_ROW(t) a##t = _mm512_dpbusd_epi32(a##t, xv, _mm512_loadu_si512((const void *)(wp + 64 * t)))
T_AVX512 static void gemv_packed_avx512(const void *packed, uint32_t units, uint32_t f,
                                        const void *xs, int32_t zin, int32_t *acc) {
  const uint8_t *x = (const uint8_t *)xs;
  const int32_t *rs = (const int32_t *)packed;
  const int8_t *wp = (const int8_t *)packed + dense_pack_head(units);
  const uint32_t nf = (uint32_t)(up(f, 64) / 64);
  const __m256i zk = _mm256_set1_epi32(zin + 128);
  uint32_t u, c, t;
  for (u = 0; u < units; u += 8) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
            a6 = a0, a7 = a0;
    __m256i sums;
    for (c = 0; c < nf; ++c, wp += 512) {
      const __m512i xv = _mm512_loadu_si512((const void *)(x + 64 * (size_t)c));
      for (t = 0; t < 8; ++t) _mm_prefetch((const char *)(wp + 8192 + 64 * t), _MM_HINT_T0);
      PK_ROW(0);
      PK_ROW(1);
      PK_ROW(2);
      PK_ROW(3);
      PK_ROW(4);
      PK_ROW(5);
      PK_ROW(6);
      PK_ROW(7);
      PIN8(a0, a1, a2, a3, a4, a5, a6, a7);
    }
    /* rs holds up(units, 8) sums (dense_pack_head): a whole load */
    sums = _mm256_sub_epi32(hsum512x8(a0, a1, a2, a3, a4, a5, a6, a7),
                            _mm256_mullo_epi32(zk, _mm256_loadu_si256((const __m256i *)(const void *)(rs + u))));
    store_rows8(acc, u, units, sums);
  }
}
#undef PK_ROW
#endif

/* Scratch: [x' padded: 2 * up(f + 8, 64) bytes][acc int32[units]], from a
 * 64-aligned base. */
size_t spx_k_fast_dense_size(const spx_fmt_desc_t *f, const spx_rt_dense_params_t *p) {
  if (f->code != SPX_FMT_DENSE && f->code != SPX_FMT_CBR) return 0;
  return 64 + 2 * up((size_t)p->features + 8, 64) + up((size_t)p->units * 4, 64);
}

spx_rt_status_t spx_k_fast_dense(const spx_fmt_weights_t *w, const spx_rt_dense_params_t *p,
                                 const spx_rt_requant_pc_t *q, const int8_t *input,
                                 const int32_t *bias, int8_t *output, void *scratch,
                                 const void *packed, const spx_rt_s8_residual_t *res) {
  const spx_rt_isa_t isa = SPX_K_ISA();
  const int vnni = isa == SPX_RT_ISA_AVX512;
  const int cbr = w->desc->code == SPX_FMT_CBR;
  const uint32_t f = (uint32_t)p->features, units = (uint32_t)p->units;
  const size_t xlen = up((size_t)f + 8, 64); /* >= block_cols * 8 */
  const int32_t zin = q->in_zero_point;
  uint8_t *base = (uint8_t *)scratch + ((64 - ((uintptr_t)scratch & 63)) & 63);
  int32_t *acc = (int32_t *)(void *)(base + 2 * xlen);
  gemv_fn gemv = gemv_c;
  cbr_gemv_fn cgemv = cbr_gemv_c;
  requant_pc_fn requant_pc = requant_pc_c;
  int32_t n;
  uint32_t i, u;
#if SPX_K_X86
  if (isa == SPX_RT_ISA_AVX512) {
    gemv = gemv_avx512;
    cgemv = cbr_gemv_avx512;
    requant_pc = requant_pc_avx512;
  } else if (isa == SPX_RT_ISA_AVX2) {
    gemv = gemv_avx2;
    cgemv = cbr_gemv_avx2;
    requant_pc = requant_pc_avx2;
  }
#endif
  for (n = 0; n < p->n; ++n) {
    const int8_t *x = input + (size_t)n * f;
    if (vnni) {
      for (i = 0; i < f; ++i) base[i] = (uint8_t)((uint8_t)x[i] ^ 0x80);
      memset(base + f, (uint8_t)((uint8_t)zin ^ 0x80), xlen - f);
    } else {
      int16_t *xs = (int16_t *)(void *)base;
      for (i = 0; i < f; ++i) xs[i] = (int16_t)(x[i] - zin);
      for (; i < xlen; ++i) xs[i] = 0;
    }
    if (cbr) {
      memset(acc, 0, (size_t)units * 4);
      cgemv(&w->view.cbr, base, zin, (const int32_t *)packed, acc);
#if SPX_K_X86
    } else if (packed && vnni) {
      gemv_packed_avx512(packed, units, f, base, zin, acc);
#endif
    } else {
      gemv((const int8_t *)w->bytes, units, f, base, zin, acc);
    }
    if (res) /* the exact weights' rest: acc += sum residual * (x - z_in) */
      for (u = 0; u < units; ++u) {
        uint32_t e;
        int32_t sum = 0;
        for (e = res->row_ptr[u]; e < res->row_ptr[u + 1]; ++e)
          sum += (int32_t)res->value[e] * ((int32_t)x[res->index[e]] - zin);
        acc[u] = (int32_t)((uint32_t)acc[u] + (uint32_t)sum);
      }
    if (bias)
      for (u = 0; u < units; ++u) acc[u] = (int32_t)((uint32_t)acc[u] + (uint32_t)bias[u]);
    requant_pc(acc, units, q, output + (size_t)n * units);
  }
  return SPX_RT_OK;
}

/* ---- int8 add ------------------------------------------------------------
 * spx_rt_add_s8's arithmetic, 16 elements a step: each operand (x - z)
 * << left_shift scaled by its multiplier, the sum requantized, all with
 * rq16_i32 (mbqm exactly, shift <= 0: the operands' with z_out 0 and no
 * clamp, whose sign correction is then always on; the sum's with the
 * layer's z_out and clamp). The parameters it does not take (a shift > 0,
 * a multiplier INT32_MIN, the fused sign's act_min > act_max, zero points
 * outside int8 or a left shift beyond 23, where (x - z) 2^ls may leave
 * int32) stay with spx_rt_add_s8. */
#if SPX_K_X86
/* The add's two requantization stages as the tile code's parameters: the
 * operands' (z_out 0, the int32 range: no clamp) and the sum's. */
static void add_stages(const spx_rt_add_s8_params_t *p, spx_rt_requant_pc_t *qs,
                       spx_rt_requant_pc_t *qo) {
  memset(qs, 0, sizeof *qs);
  qs->act_min = INT32_MIN;
  qs->act_max = INT32_MAX;
  memset(qo, 0, sizeof *qo);
  qo->out_zero_point = p->out_zero_point;
  qo->act_min = p->act_min;
  qo->act_max = p->act_max;
}

T_AVX512 static void add_avx512(size_t count, const spx_rt_add_s8_params_t *p,
                                const int8_t *a, const int8_t *b, int8_t *o) {
  spx_rt_requant_pc_t qs, qo;
  rq_common_t ks, ko;
  rq_row_t ra, rb, ro;
  __m512i za, zb;
  __m128i ls;
  size_t i;
  add_stages(p, &qs, &qo);
  ks = rq_common(&qs);
  ko = rq_common(&qo);
  ra = rq_setup(0, p->a_multiplier, (int)p->a_shift, &qs);
  rb = rq_setup(0, p->b_multiplier, (int)p->b_shift, &qs);
  ro = rq_setup(0, p->out_multiplier, (int)p->out_shift, &qo);
  za = _mm512_set1_epi32(p->a_zero_point);
  zb = _mm512_set1_epi32(p->b_zero_point);
  ls = _mm_cvtsi32_si128(p->left_shift);
  for (i = 0; i < count; i += 16) {
    const __mmask16 m = count - i >= 16 ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (count - i)) - 1);
    const __m512i xa = _mm512_sll_epi32(
        _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a + i)), za), ls);
    const __m512i xb = _mm512_sll_epi32(
        _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i)), zb), ls);
    const __m512i sum = _mm512_add_epi32(rq16_i32(&ks, &ra, xa), rq16_i32(&ks, &rb, xb));
    _mm_mask_storeu_epi8(o + i, m, _mm512_cvtepi32_epi8(rq16_i32(&ko, &ro, sum)));
  }
}
#endif

#if SPX_K_X86
/* The same on AVX2, 8 elements a step through rq8 (the operands' with z_out
 * 0 and the int32 range as their clamp, a no-op); the last 1..7 through a
 * zero-padded copy of 8. */
T_AVX2 static void add_avx2(size_t count, const spx_rt_add_s8_params_t *p, const int8_t *a,
                            const int8_t *b, int8_t *o) {
  spx_rt_requant_pc_t qs, qo;
  rq8_t ra, rb, ro;
  __m256i za, zb;
  __m128i ls;
  size_t i;
  add_stages(p, &qs, &qo);
  ra = rq8_setup(p->a_multiplier, (int)p->a_shift, &qs);
  rb = rq8_setup(p->b_multiplier, (int)p->b_shift, &qs);
  ro = rq8_setup(p->out_multiplier, (int)p->out_shift, &qo);
  za = _mm256_set1_epi32(p->a_zero_point);
  zb = _mm256_set1_epi32(p->b_zero_point);
  ls = _mm_cvtsi32_si128(p->left_shift);
  for (i = 0; i < count; i += 8) {
    int8_t ta[8] = {0}, tb[8] = {0}, to[8];
    const size_t left = count - i < 8 ? count - i : 8;
    const int8_t *pa = a + i, *pb = b + i;
    __m256i xa, xb;
    if (left < 8) {
      memcpy(ta, pa, left);
      memcpy(tb, pb, left);
      pa = ta;
      pb = tb;
    }
    xa = _mm256_sll_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)pa)), za), ls);
    xb = _mm256_sll_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)pb)), zb), ls);
    _mm_storel_epi64((__m128i *)(void *)(left < 8 ? to : o + i),
                     bytes8_avx2(rq8(&ro, _mm256_add_epi32(rq8(&ra, xa), rq8(&rb, xb)))));
    if (left < 8) memcpy(o + i, to, left);
  }
}
#endif

int spx_k_fast_add_s8(size_t count, const spx_rt_add_s8_params_t *p, const int8_t *a,
                      const int8_t *b, int8_t *output) {
#if SPX_K_X86
  const int32_t za = p->a_zero_point, zb = p->b_zero_point;
  const spx_rt_isa_t isa = SPX_K_ISA();
  if ((isa == SPX_RT_ISA_AVX512 || isa == SPX_RT_ISA_AVX2) && p->a_shift <= 0 &&
      p->b_shift <= 0 && p->out_shift <= 0 && p->out_shift >= -31 && p->a_shift >= -31 &&
      p->b_shift >= -31 && p->a_multiplier != INT32_MIN && p->b_multiplier != INT32_MIN &&
      p->out_multiplier != INT32_MIN && p->act_min <= p->act_max && p->left_shift >= 0 &&
      p->left_shift <= 23 && za >= -128 && za <= 127 && zb >= -128 && zb <= 127) {
    if (isa == SPX_RT_ISA_AVX512)
      add_avx512(count, p, a, b, output);
    else
      add_avx2(count, p, a, b, output);
    return 1;
  }
#else
  (void)count, (void)p, (void)a, (void)b, (void)output;
#endif
  return 0;
}

/* ---- int8 requantization of a tensor (relu, relu6) ------------------------
 * spx_rt_requantize_s8's bytes, clamp(z_out + mbqm(x - z_in, M, s)), 16
 * elements a step: the left shift max(s, 0) first (|x - z_in| <= 255 and s
 * <= 23 keep it exact in int32, where mbqm's saturating shift changes
 * nothing), then rq16_i32 with shift min(s, 0). */
#if SPX_K_X86
/* A tensor requantization's output stage as the tile code's parameters. */
static spx_rt_requant_pc_t requant_stage(const spx_rt_requant_t *rq) {
  spx_rt_requant_pc_t q;
  memset(&q, 0, sizeof q);
  q.out_zero_point = rq->out_zero_point;
  q.act_min = rq->act_min;
  q.act_max = rq->act_max;
  return q;
}

T_AVX512 static void requant_s8_avx512(size_t count, const spx_rt_requant_t *rq,
                                       const int8_t *in, int8_t *o) {
  spx_rt_requant_pc_t q;
  rq_common_t k;
  rq_row_t r;
  __m512i zin;
  __m128i ls;
  size_t i;
  q = requant_stage(rq);
  k = rq_common(&q);
  r = rq_setup(0, rq->multiplier, rq->shift < 0 ? (int)rq->shift : 0, &q);
  zin = _mm512_set1_epi32(rq->in_zero_point);
  ls = _mm_cvtsi32_si128(rq->shift > 0 ? (int)rq->shift : 0);
  for (i = 0; i < count; i += 16) {
    const __mmask16 m = count - i >= 16 ? (__mmask16)0xffff
                                        : (__mmask16)((1u << (count - i)) - 1);
    const __m512i x = _mm512_sll_epi32(
        _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, in + i)), zin), ls);
    _mm_mask_storeu_epi8(o + i, m, _mm512_cvtepi32_epi8(rq16_i32(&k, &r, x)));
  }
}
#endif

#if SPX_K_X86
/* The same on AVX2, 8 elements a step through rq8; the last 1..7 through a
 * copy of 8. */
T_AVX2 static void requant_s8_avx2(size_t count, const spx_rt_requant_t *rq, const int8_t *in,
                                   int8_t *o) {
  spx_rt_requant_pc_t q;
  rq8_t r;
  __m256i zin;
  __m128i ls;
  size_t i;
  q = requant_stage(rq);
  r = rq8_setup(rq->multiplier, rq->shift < 0 ? (int)rq->shift : 0, &q);
  zin = _mm256_set1_epi32(rq->in_zero_point);
  ls = _mm_cvtsi32_si128(rq->shift > 0 ? (int)rq->shift : 0);
  for (i = 0; i < count; i += 8) {
    int8_t t[8] = {0}, to[8];
    const size_t left = count - i < 8 ? count - i : 8;
    const int8_t *px = in + i;
    if (left < 8) {
      memcpy(t, px, left);
      px = t;
    }
    _mm_storel_epi64((__m128i *)(void *)(left < 8 ? to : o + i),
                     bytes8_avx2(rq8(&r, _mm256_sll_epi32(_mm256_sub_epi32(_mm256_cvtepi8_epi32(
                                                                _mm_loadl_epi64((const __m128i *)(const void *)px)), zin),
                                                            ls))));
    if (left < 8) memcpy(o + i, to, left);
  }
}
#endif

int spx_k_fast_requant_s8(size_t count, const spx_rt_requant_t *rq, const int8_t *input,
                          int8_t *output) {
#if SPX_K_X86
  const spx_rt_isa_t isa = SPX_K_ISA();
  if ((isa == SPX_RT_ISA_AVX512 || isa == SPX_RT_ISA_AVX2) && rq->shift >= -31 &&
      rq->shift <= 23 && rq->multiplier != INT32_MIN && rq->act_min <= rq->act_max &&
      rq->in_zero_point >= -128 && rq->in_zero_point <= 127) {
    if (isa == SPX_RT_ISA_AVX512)
      requant_s8_avx512(count, rq, input, output);
    else
      requant_s8_avx2(count, rq, input, output);
    return 1;
  }
#else
  (void)count, (void)rq, (void)input, (void)output;
#endif
  return 0;
}

/* ---- depthwise conv2d ----------------------------------------------------
 * Per channel, its input plane as bytes x' = x ^ 0x80 = x + 128 (0..255)
 * with the padding cells at z_in + 128 (as the conv above, z_in is an int8
 * value), so that acc = bias + sum_t w_t (x - z_in) = c0 + sum_t w_t x',
 * c0 = bias - (z_in + 128) sum_t w_t (a padding cell adds w (z_in + 128) -
 * w (z_in + 128) = 0), exact in wrapping int32 as the formats' dot.
 * Strides (sh, sw): the padded image's rows go to sh phase images (padded
 * row py + sh yq is row yq of image py), each `pitch` = wp rounded up to a
 * multiple of sw bytes wide, so that output pixel (oy, ox), the virtual
 * pixel v = oy * vq + ox (vq = pitch / sw), reads at tap (ky, kx) byte
 * sw v + ((ky dh) / sh) pitch + kx dw of image (ky dh) % sh: one offset per
 * tap for every pixel, as the conv's phase images (virtual pixels with
 * ox >= ow are computed and dropped; stride 1: one image, v = oy * wp + ox).
 *
 * AVX-512 VNNI (sw 1, 2 or 4, every tap of the channel in int8): a kernel
 * row's taps in quads (quad i: the taps whose kx dw is byte 4 i .. 4 i + 3
 * of the row, at that byte of a weight dword, the others 0). A 64-byte load
 * at byte b holds in its dword m the bytes b + 4 m .. b + 4 m + 3, the quad
 * of virtual pixel (b + 4 m) / sw: G = 4 / sw loads at b, b + sw, .., one
 * vpdpbusd per quad each, make a block of 16 G consecutive virtual pixels
 * (load j: pixels j, j + G, j + 2 G, ..) with no shuffle and no int16 plane.
 * The block is requantized in registers (rq16_i32: rq16's steps, without
 * its narrowing), packed to bytes with saturation (exact: the values are
 * clamped to int8 already) and put back in pixel order by one in-lane byte
 * shuffle, stored to a row of virtual pixels, whose output pixels are
 * copied out afterwards. The other cases (shift > 0, mult = INT32_MIN, the
 * fused sign): the accumulators scattered in order and requant_rows.
 * AVX2 (sw 1 or 2): the same with pairs of taps, vpmaddwd on the bytes
 * widened to int16 (dw_pairs_body), the virtual pixels requantized in one
 * run and copied out. C, and the channels the SIMD blocks do not take (taps
 * beyond int8 on AVX-512, other strides): per tap one run over all the
 * virtual pixels (compiled for each path: the compiler vectorizes stride
 * 1), then requant_rows.
 *
 * The channels are software-pipelined through two sets of images and two
 * rows of virtual pixels: the next channel's plane (a guess: the next input
 * channel) is written before this channel's blocks run, and the previous
 * channel's bytes are copied out after them, so that no load waits for the
 * stores just before it (a load spanning several stores is not forwarded). */

typedef struct dw_plan {
  int32_t sh, sw, hq, pitch, vq, nv;
  size_t img;     /* bytes of one phase image */
  size_t istride; /* from one image to the next: img + 64 (a row's last
                   * 64-byte store may run past the image) */
  uint8_t border; /* z_in + 128, the padding cells (set by the kernel) */
  size_t nxb;     /* bytes of a set of images, with the slack the last block reads */
  size_t nvb;     /* virtual pixels of the blocks, up(nv, DW_BLOCK) */
  size_t off_xb[2], off_acc, off_vout[2], total;
} dw_plan_t;

#define DW_BLOCK 64 /* virtual pixels of the VNNI path's largest block (sw 1) */
#define DW_MAXTAPS 64

static int dw_plan(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p, int32_t oh,
                   int32_t ow, dw_plan_t *pl) {
  int32_t hp, wp;
  size_t maxoff, reach;
  memset(pl, 0, sizeof *pl);
  if (p->c_in / p->groups != 1) return 0;
  if (!(f->plain_s8 && f->chan_block <= 1) && !f->row_taps) return 0;
  if ((size_t)p->kh * (size_t)p->kw > DW_MAXTAPS) return 0; /* kernels' tap arrays */
  pl->sh = p->stride[0];
  pl->sw = p->stride[1];
  hp = p->h + p->pad[0] + p->pad[2];
  wp = p->w + p->pad[1] + p->pad[3];
  pl->pitch = (int32_t)up((size_t)wp, (size_t)pl->sw);
  pl->vq = pl->pitch / pl->sw;
  pl->hq = (hp + pl->sh - 1) / pl->sh;
  pl->nv = (oh - 1) * pl->vq + ow;
  pl->nvb = up((size_t)pl->nv, DW_BLOCK);
  pl->img = (size_t)pl->hq * (size_t)pl->pitch;
  maxoff = (size_t)((p->kh - 1) * p->dilation[0] / pl->sh) * (size_t)pl->pitch +
           (size_t)(p->kw - 1) * (size_t)p->dilation[1];
  /* the furthest byte a VNNI block reads past its image's start: the last
   * block's v0 <= nvb - 16 G, a quad's offset <= maxoff, its G loads at
   * + sw j < 4, 64 bytes each; the other loops read inside the images */
  reach = (size_t)pl->sw * pl->nvb + maxoff + 64;
  if (reach < pl->img + 64) reach = pl->img + 64;
  pl->istride = pl->img + 64;
  pl->nxb = up((size_t)(pl->sh - 1) * pl->istride + reach, 64);
  if (pl->nxb > (size_t)INT32_MAX / 4 || pl->nvb > (size_t)INT32_MAX / 16) return 0;
  /* [images][images][int32 accumulators nvb][bytes nvb][bytes nvb], each
   * from a 64-aligned base */
  pl->off_xb[0] = 0;
  pl->off_xb[1] = pl->nxb;
  pl->off_acc = 2 * pl->nxb;
  pl->off_vout[0] = pl->off_acc + pl->nvb * 4;
  pl->off_vout[1] = pl->off_vout[0] + pl->nvb;
  pl->total = pl->off_vout[1] + pl->nvb + 64;
  return 1;
}

size_t spx_k_fast_dw_size(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p,
                          int32_t oh, int32_t ow) {
  dw_plan_t pl;
  return dw_plan(f, p, oh, ow, &pl) ? pl.total : 0;
}

/* One channel's taps as the loops read them: tap t (ky kw + kx) weight tw[t]
 * at byte toff[t] (from the images' start, for virtual pixel 0); the quads
 * (one per kernel row and 4-byte group of kx dw that has taps) weight dword
 * qw[i] at byte qoff[i], tap t at byte tsh[t] of quad tq[t]; the pairs
 * (AVX2: the same with 2-byte groups, int16 weights) pw, poff, tp, tpsh.
 * The offsets are the layer's (made once per call), the weights the
 * channel's. */
typedef struct dw_chan {
  int32_t nt, nq, np;
  int32_t wide; /* a tap beyond int8 (a format's row_taps): no quads */
  int32_t tw[DW_MAXTAPS], qw[DW_MAXTAPS], pw[DW_MAXTAPS];
  size_t toff[DW_MAXTAPS], qoff[DW_MAXTAPS], poff[DW_MAXTAPS];
  uint8_t tq[DW_MAXTAPS], tsh[DW_MAXTAPS], tp[DW_MAXTAPS], tpsh[DW_MAXTAPS];
} dw_chan_t;

#if defined(__GNUC__)
#define DW_ALWAYS static inline __attribute__((always_inline))
#else
#define DW_ALWAYS static inline
#endif

/* A channel's plane into a set of images (their padding and slack stay). */
typedef void (*dw_fill_fn)(const dw_plan_t *pl, const spx_rt_conv2d_params_t *p,
                           const int8_t *in, uint8_t *xb);
/* A channel's output: to out (returns 0) or as virtual rows of bytes to
 * vout, for dw_copy_fn (returns 1). */
typedef int (*dw_run_fn)(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch,
                         int32_t c0, int32_t oh, int32_t ow, int32_t mult, int shift,
                         const spx_rt_requant_pc_t *q, int32_t *acc, uint8_t *vout,
                         int8_t *out);
typedef void (*dw_copy_fn)(const dw_plan_t *pl, const uint8_t *vout, int32_t oh, int32_t ow,
                           int8_t *out);

DW_ALWAYS void dw_fill_body(const dw_plan_t *pl, const spx_rt_conv2d_params_t *p,
                            const int8_t *in, uint8_t *xb) {
  const int32_t h = p->h, w = p->w, sh = pl->sh;
  int32_t x, y, py = p->pad[0] % sh, yq = p->pad[0] / sh;
  for (y = 0; y < h; ++y) {
    uint8_t *restrict d =
        xb + (size_t)py * pl->istride + (size_t)yq * (size_t)pl->pitch + (size_t)p->pad[1];
    const uint8_t *restrict s = (const uint8_t *)in + (size_t)y * (size_t)w;
    for (x = 0; x < w; ++x) d[x] = (uint8_t)(s[x] ^ 0x80u);
    if (++py == sh) { /* the next padded row: the next image's, or the first's next */
      py = 0;
      ++yq;
    }
  }
}

static void dw_fill_c(const dw_plan_t *pl, const spx_rt_conv2d_params_t *p, const int8_t *in,
                      uint8_t *xb) {
  dw_fill_body(pl, p, in, xb);
}

/* The virtual plane, acc[v] = c0 + sum_t tw[t] x'[sw v + toff[t]] (wrapping),
 * one run over it per tap, then requantized row by row. */
DW_ALWAYS void dw_plane_body(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch,
                             int32_t c0, int32_t oh, int32_t ow, requant_rows_fn rq,
                             int32_t mult, int shift, const spx_rt_requant_pc_t *q,
                             uint32_t *acc, int8_t *out) {
  const size_t sw = (size_t)pl->sw;
  const int32_t nv = pl->nv;
  int32_t v, t;
  for (v = 0; v < nv; ++v) acc[v] = (uint32_t)c0;
  for (t = 0; t < ch->nt; ++t) {
    /* restrict: bytes may alias anything, the compiler would not
     * vectorize the accumulation otherwise */
    uint32_t *restrict a = acc;
    const uint8_t *restrict r = xb + ch->toff[t];
    const int32_t wv = ch->tw[t];
    if (!wv) continue; /* pruned taps */
    if (sw == 1 && wv >= -128 && wv <= 128) {
      /* |w x'| <= 128 * 255 < 2^15: a 16-bit product (which SSE2 has) */
      const int16_t w16 = (int16_t)wv;
      for (v = 0; v < nv; ++v) a[v] += (uint32_t)(int32_t)(int16_t)(w16 * (int16_t)r[v]);
    } else if (sw == 1) {
      for (v = 0; v < nv; ++v) a[v] += (uint32_t)(wv * (int32_t)r[v]);
    } else {
      for (v = 0; v < nv; ++v) a[v] += (uint32_t)(wv * (int32_t)r[(size_t)v * sw]);
    }
  }
  rq((const int32_t *)(const void *)acc, pl->vq, oh, ow, mult, shift, q, out);
}

static int dw_run_c(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch, int32_t c0,
                    int32_t oh, int32_t ow, int32_t mult, int shift,
                    const spx_rt_requant_pc_t *q, int32_t *acc, uint8_t *vout, int8_t *out) {
  (void)vout;
  dw_plane_body(pl, xb, ch, c0, oh, ow, requant_rows_c, mult, shift, q, (uint32_t *)(void *)acc,
                out);
  return 0;
}

#if SPX_K_X86
/* AVX2, sw 1 or 2: the taps in pairs, as the VNNI blocks' quads (16 bytes
 * at byte b widened to int16 hold in dword m the pair of virtual pixel
 * (b + 2 m) / sw), vpmaddwd on int16 weights (every row_taps tap fits);
 * blocks of 16 virtual pixels in two accumulators: sw 1, loads at s and
 * s + 1 (a0: the even pixels, a1: the odd ones); sw 2, at s and s + 16
 * (a0: pixels 0-7, a1: 8-15). rr: requantized in registers, the bytes to
 * vout; NULL: the accumulators to acc (virtual pixels, in order). */
T_AVX2 DW_ALWAYS void dw_pairs_body(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch,
                                    int32_t c0, const int SW, const rq8_t *rr, int32_t *acc,
                                    uint8_t *vout) {
  const int32_t nv = pl->nv, np = ch->np;
  const size_t second = SW == 1 ? 1 : 16; /* the second load's bytes from the first */
  const __m256i vc = _mm256_set1_epi32(c0);
  /* sw 1, after the packs: lane bytes 0-7 hold pixels 0 2 4 6 1 3 5 7 (of the lane's 8) */
  const __m256i order = _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,
                                         0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
  int32_t v0, i;
  for (v0 = 0; v0 < nv; v0 += 16) {
    const uint8_t *const xv = xb + (size_t)SW * (size_t)v0;
    __m256i a0 = vc, a1 = vc;
    for (i = 0; i < np; ++i) {
      const uint8_t *s = xv + ch->poff[i];
      const __m256i wv = _mm256_set1_epi32(ch->pw[i]);
      a0 = _mm256_add_epi32(
          a0, _mm256_madd_epi16(
                  _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)s)), wv));
      a1 = _mm256_add_epi32(
          a1, _mm256_madd_epi16(_mm256_cvtepu8_epi16(
                                    _mm_loadu_si128((const __m128i *)(const void *)(s + second))),
                                wv));
    }
    if (rr && SW == 2) { /* a0, a1: pixels 0-7, 8-15 */
      _mm_storeu_si128((__m128i *)(void *)(vout + v0), bytes16_avx2(rq8(rr, a0), rq8(rr, a1)));
    } else if (rr) { /* the outputs are per channel: requantized in any order, then put in order */
      const __m256i p = _mm256_packs_epi32(rq8(rr, a0), rq8(rr, a1));
      const __m256i b = _mm256_packs_epi16(p, p); /* lane k: its 8 bytes of p, twice */
      _mm_storeu_si128((__m128i *)(void *)(vout + v0),
                       _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_shuffle_epi8(b, order), 0x08)));
    } else if (SW == 1) { /* pixel 2 m + j from lane m of a_j */
      const __m256i lo = _mm256_unpacklo_epi32(a0, a1), hi = _mm256_unpackhi_epi32(a0, a1);
      _mm256_storeu_si256((__m256i *)(void *)(acc + v0), _mm256_permute2x128_si256(lo, hi, 0x20));
      _mm256_storeu_si256((__m256i *)(void *)(acc + v0 + 8),
                          _mm256_permute2x128_si256(lo, hi, 0x31));
    } else {
      _mm256_storeu_si256((__m256i *)(void *)(acc + v0), a0);
      _mm256_storeu_si256((__m256i *)(void *)(acc + v0 + 8), a1);
    }
  }
}

/* The rows in 32-byte pieces, as dw_fill_avx512 does in 64-byte ones: a
 * row's last piece is one store, its bytes past the row the padding value;
 * a last piece whose load would pass the channel's plane is read from a
 * copy. */
T_AVX2 static void dw_fill_avx2(const dw_plan_t *pl, const spx_rt_conv2d_params_t *p,
                                const int8_t *in, uint8_t *xb) {
  const __m256i flip = _mm256_set1_epi8((char)0x80), border = _mm256_set1_epi8((char)pl->border);
  const int32_t h = p->h, w = p->w, sh = pl->sh, full = w & ~31;
  const size_t istride = pl->istride, pitch = pl->pitch;
  const uint8_t *s = (const uint8_t *)in;
  const size_t hw = (size_t)h * (size_t)w;
  /* byte j of the last piece is the row's when j < w % 32 */
  const __m256i keep = _mm256_cmpgt_epi8(
      _mm256_set1_epi8((char)(w % 32)),
      _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                       21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31));
  size_t at = 0; /* s - in */
  int32_t x, y, py = p->pad[0] % sh;
  uint8_t *row = xb + (size_t)py * istride + (size_t)(p->pad[0] / sh) * pitch + (size_t)p->pad[1];
  for (y = 0; y < h; ++y, s += w, at += (size_t)w) {
    for (x = 0; x < full; x += 32)
      _mm256_storeu_si256((__m256i *)(void *)(row + x),
                          _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(s + x)),
                                           flip));
    if (x < w) {
      __m256i v;
      if (at + (size_t)x + 32 <= hw) { /* a whole load inside the plane */
        v = _mm256_loadu_si256((const __m256i *)(const void *)(s + x));
      } else {
        uint8_t t[32];
        memset(t, 0, sizeof t);
        memcpy(t, s + x, (size_t)(w - x));
        v = _mm256_loadu_si256((const __m256i *)(const void *)t);
      }
      _mm256_storeu_si256((__m256i *)(void *)(row + x),
                          _mm256_blendv_epi8(border, _mm256_xor_si256(v, flip), keep));
    }
    /* the next padded row: the next image's, or the first image's next */
    if (++py < sh) {
      row += istride;
    } else {
      py = 0;
      row = row + pitch - (size_t)(sh - 1) * istride;
    }
  }
}

T_AVX2 static int dw_run_avx2(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch,
                              int32_t c0, int32_t oh, int32_t ow, int32_t mult, int shift,
                              const spx_rt_requant_pc_t *q, int32_t *acc, uint8_t *vout,
                              int8_t *out) {
  const int fast = !(q->act_min > q->act_max || mult == INT32_MIN || shift > 0);
  const rq8_t rr = rq8_setup(fast ? mult : 0, fast ? shift : 0, q);
  if (pl->sw != 1 && pl->sw != 2) {
    dw_plane_body(pl, xb, ch, c0, oh, ow, requant_rows_avx2, mult, shift, q,
                  (uint32_t *)(void *)acc, out);
    return 0;
  }
  if (pl->sw == 1)
    dw_pairs_body(pl, xb, ch, c0, 1, fast ? &rr : NULL, acc, vout);
  else
    dw_pairs_body(pl, xb, ch, c0, 2, fast ? &rr : NULL, acc, vout);
  /* others: the virtual pixels in one run (requant_avx2 does 8 at a time,
   * the rest one by one: per row, that would be most of a short row) */
  if (!fast) requant_avx2(acc, (uint32_t)pl->nv, 0, mult, shift, q, (int8_t *)vout);
  return 1;
}

/* Output row y from vout + y vq, top down, in 32-byte pieces: a row's last
 * piece is one store when that stays inside the channel's plane (the
 * bytes past the row are the next rows', written after it). */
T_AVX2 static void dw_copy_avx2(const dw_plan_t *pl, const uint8_t *vout, int32_t oh,
                                int32_t ow, int8_t *out) {
  const size_t plane = (size_t)oh * (size_t)ow, vq = (size_t)pl->vq;
  size_t at = 0; /* the row's first byte in out */
  int32_t x, y;
  for (y = 0; y < oh; ++y, at += (size_t)ow) {
    const uint8_t *s = vout + (size_t)y * vq;
    uint8_t *d = (uint8_t *)out + at;
    for (x = 0; x + 32 <= ow; x += 32)
      _mm256_storeu_si256((__m256i *)(void *)(d + x),
                          _mm256_loadu_si256((const __m256i *)(const void *)(s + x)));
    if (x < ow) {
      if (at + (size_t)x + 32 <= plane)
        _mm256_storeu_si256((__m256i *)(void *)(d + x),
                            _mm256_loadu_si256((const __m256i *)(const void *)(s + x)));
      else
        memcpy(d + x, s + x, (size_t)(ow - x));
    }
  }
}

/* Each row's last bytes in one 64-byte store (masked stores are slow): the
 * bytes past the row get the padding value, which is what they hold (the
 * row's right and the next row's left padding, the padding rows below) or
 * what the next row written overwrites (images are written row by row, top
 * down; past an image's last row, the gap before the next image). Loads
 * past the channel's plane are masked. */
T_AVX512 static void dw_fill_avx512(const dw_plan_t *pl, const spx_rt_conv2d_params_t *p,
                                    const int8_t *in, uint8_t *xb) {
  const __m512i flip = _mm512_set1_epi8((char)0x80), border = _mm512_set1_epi8((char)pl->border);
  const int32_t h = p->h, w = p->w, sh = pl->sh, full = w & ~63;
  const size_t istride = pl->istride, pitch = pl->pitch;
  const uint8_t *s = (const uint8_t *)in;
  const size_t hw = (size_t)h * (size_t)w;
  const __mmask64 m = (__mmask64)(((uint64_t)1 << (w % 64)) - 1); /* the last piece */
  size_t at = 0; /* s - in */
  int32_t x, y, py = p->pad[0] % sh;
  uint8_t *row = xb + (size_t)py * istride + (size_t)(p->pad[0] / sh) * pitch + (size_t)p->pad[1];
  for (y = 0; y < h; ++y, s += w, at += (size_t)w) {
    for (x = 0; x < full; x += 64)
      _mm512_storeu_si512((void *)(row + x),
                          _mm512_xor_si512(_mm512_loadu_si512((const void *)(s + x)), flip));
    if (x < w) {
      const __m512i v = at + (size_t)x + 64 <= hw /* a whole load inside the plane */
                            ? _mm512_loadu_si512((const void *)(s + x))
                            : _mm512_maskz_loadu_epi8(m, (const void *)(s + x));
      _mm512_storeu_si512((void *)(row + x), _mm512_mask_blend_epi8(m, border, _mm512_xor_si512(v, flip)));
    }
    /* the next padded row: the next image's, or the first image's next */
    if (++py < sh) {
      row += istride;
    } else {
      py = 0;
      row = row + pitch - (size_t)(sh - 1) * istride;
    }
  }
}

/* Output row y from vout + y vq, top down: a row's last piece is one
 * 64-byte store when that stays inside the channel's plane (the bytes past
 * the row are the next rows', written after it), else masked. */
T_AVX512 static void dw_copy_avx512(const dw_plan_t *pl, const uint8_t *vout, int32_t oh,
                                    int32_t ow, int8_t *out) {
  const size_t plane = (size_t)oh * (size_t)ow, vq = (size_t)pl->vq;
  const int32_t full = ow & ~63;
  const __mmask64 m = (__mmask64)(((uint64_t)1 << (ow % 64)) - 1);
  size_t at = 0; /* the row's first byte in out */
  int32_t x, y;
  for (y = 0; y < oh; ++y, at += (size_t)ow) {
    const uint8_t *s = vout + (size_t)y * vq;
    uint8_t *d = (uint8_t *)out + at;
    for (x = 0; x < full; x += 64)
      _mm512_storeu_si512((void *)(d + x), _mm512_loadu_si512((const void *)(s + x)));
    if (x < ow) {
      const __m512i v = _mm512_maskz_loadu_epi8(m, (const void *)(s + x));
      if (at + (size_t)x + 64 <= plane)
        _mm512_storeu_si512((void *)(d + x), v);
      else
        _mm512_mask_storeu_epi8((void *)(d + x), m, v);
    }
  }
}

/* The VNNI blocks of one channel, G = 4 / sw loads per quad, NQ quads (0:
 * ch->nq, read per block; else in registers); rr: requantize in registers
 * with it, the bytes to vout; NULL: the accumulators to acc (virtual
 * pixels, in order). */
T_AVX512 DW_ALWAYS void dw_vnni_body(const dw_plan_t *pl, const uint8_t *xb,
                                     const dw_chan_t *ch, int32_t c0, const int G, const int NQ,
                                     const rq_common_t *kc, const rq_row_t *rr, int32_t *acc,
                                     uint8_t *vout) {
  const int32_t nb = 16 * G, nv = pl->nv;
  const size_t sw = (size_t)pl->sw;
  const __m512i vc = _mm512_set1_epi32(c0);
  const __m512i sidx = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(G));
  /* in-lane byte order of the packed G = 4 block: lane byte 4 k + j from
   * byte 4 j + k (accumulator j's pixel 4 k + j of the lane) */
  const __m512i order = _mm512_set4_epi32(0x0f0b0703, 0x0e0a0602, 0x0d090501, 0x0c080400);
  /* G = 2: lane byte 2 k + j from byte 4 j + k */
  const __m512i order2 = _mm512_set4_epi32(0x07030602, 0x05010400, 0x07030602, 0x05010400);
  const __m512i lanes2 = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);
  __m512i wq[4];
  size_t qoff[4];
  int32_t v0, i;
  for (i = 0; i < NQ; ++i) {
    wq[i] = _mm512_set1_epi32(ch->qw[i]);
    qoff[i] = ch->qoff[i];
  }
  for (v0 = 0; v0 < nv; v0 += nb) {
    const uint8_t *const xv = xb + sw * (size_t)v0;
    __m512i a0 = vc, a1 = vc, a2 = vc, a3 = vc;
    for (i = 0; i < (NQ ? NQ : ch->nq); ++i) {
      const uint8_t *s = xv + (NQ ? qoff[i] : ch->qoff[i]);
      const __m512i wv = NQ ? wq[i] : _mm512_set1_epi32(ch->qw[i]);
      a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)s), wv);
      if (G > 1) a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512((const void *)(s + sw)), wv);
      if (G > 2) {
        a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512((const void *)(s + 2 * sw)), wv);
        a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512((const void *)(s + 3 * sw)), wv);
      }
    }
    if (rr && G == 4) {
      /* per 128-bit lane: packs keep the lane's 4 pixels of each
       * accumulator in turn, the shuffle puts them in order */
      const __m512i p01 = _mm512_packs_epi32(rq16_i32(kc, rr, a0), rq16_i32(kc, rr, a1));
      const __m512i p23 = _mm512_packs_epi32(rq16_i32(kc, rr, a2), rq16_i32(kc, rr, a3));
      _mm512_storeu_si512((void *)(vout + v0),
                          _mm512_shuffle_epi8(_mm512_packs_epi16(p01, p23), order));
    } else if (rr && G == 2) {
      /* per lane: the 4 pixels of each accumulator in bytes 0-7 (twice),
       * in order after the shuffle; then the lanes' low halves together */
      const __m512i p01 = _mm512_packs_epi32(rq16_i32(kc, rr, a0), rq16_i32(kc, rr, a1));
      const __m512i b = _mm512_shuffle_epi8(_mm512_packs_epi16(p01, p01), order2);
      _mm256_storeu_si256((__m256i *)(void *)(vout + v0),
                          _mm512_castsi512_si256(_mm512_permutexvar_epi64(lanes2, b)));
    } else if (rr) {
      _mm_storeu_si128((__m128i *)(void *)(vout + v0), _mm512_cvtepi32_epi8(rq16_i32(kc, rr, a0)));
    } else {
      _mm512_i32scatter_epi32((void *)(acc + v0), sidx, a0, 4);
      if (G > 1) _mm512_i32scatter_epi32((void *)(acc + v0 + 1), sidx, a1, 4);
      if (G > 2) {
        _mm512_i32scatter_epi32((void *)(acc + v0 + 2), sidx, a2, 4);
        _mm512_i32scatter_epi32((void *)(acc + v0 + 3), sidx, a3, 4);
      }
    }
  }
}

T_AVX512 static int dw_run_avx512(const dw_plan_t *pl, const uint8_t *xb, const dw_chan_t *ch,
                                  int32_t c0, int32_t oh, int32_t ow, int32_t mult, int shift,
                                  const spx_rt_requant_pc_t *q, int32_t *acc, uint8_t *vout,
                                  int8_t *out) {
  const int sw = pl->sw;
  const int fast = !(q->act_min > q->act_max || mult == INT32_MIN || shift > 0);
  const rq_common_t kc = rq_common(q);
  const rq_row_t rr = rq_setup(0, fast ? mult : 0, fast ? shift : 0, q);
  const rq_row_t *r = fast ? &rr : NULL;
  if (ch->wide || (sw != 1 && sw != 2 && sw != 4)) {
    dw_plane_body(pl, xb, ch, c0, oh, ow, requant_rows_avx512, mult, shift, q,
                  (uint32_t *)(void *)acc, out);
    return 0;
  }
  if (sw == 1 && ch->nq == 3) /* 3x3 */
    dw_vnni_body(pl, xb, ch, c0, 4, 3, &kc, r, acc, vout);
  else if (sw == 1)
    dw_vnni_body(pl, xb, ch, c0, 4, 0, &kc, r, acc, vout);
  else if (sw == 2 && ch->nq == 3)
    dw_vnni_body(pl, xb, ch, c0, 2, 3, &kc, r, acc, vout);
  else if (sw == 2)
    dw_vnni_body(pl, xb, ch, c0, 2, 0, &kc, r, acc, vout);
  else
    dw_vnni_body(pl, xb, ch, c0, 1, 0, &kc, r, acc, vout);
  if (fast) return 1;
  requant_rows_avx512(acc, pl->vq, oh, ow, mult, shift, q, out);
  return 0;
}
#endif

/* A depthwise CBR layer's row i: its block row (the format's mapping,
 * inline), and whether that stores no block (the row's taps are all 0). */
static inline uint32_t dw_cbr_brow(const spx_fmt_cbr_view_t *cv, uint32_t i) {
  uint32_t r, c;
  spx_fmt_cbr_block_of(&cv->dims, i, 0, &r, &c);
  return r;
}

static inline int dw_cbr_empty(const spx_fmt_cbr_view_t *cv, uint32_t i) {
  const uint32_t br = dw_cbr_brow(cv, i);
  return spx_fmt_cbr_row_begin(cv, br) == spx_fmt_cbr_row_end(cv, br);
}

spx_rt_status_t spx_k_fast_dw(const spx_fmt_weights_t *w, const spx_rt_conv2d_params_t *p,
                              const spx_rt_requant_pc_t *q, int32_t oh, int32_t ow,
                              const int8_t *input, const int32_t *bias, int8_t *output,
                              void *scratch) {
  const int plain = w->desc->plain_s8 && w->desc->chan_block <= 1;
  const int cbr = w->desc->code == SPX_FMT_CBR;
  const int32_t cout_g = p->c_out / p->groups, ntaps = p->kh * p->kw;
  const int32_t zin = q->in_zero_point, dh = p->dilation[0], dw = p->dilation[1];
  const size_t hw = (size_t)p->h * (size_t)p->w, plane = (size_t)oh * (size_t)ow;
  const int8_t *const in_end = input + (size_t)p->n * (size_t)p->c_in * hw;
  uint8_t *base = (uint8_t *)scratch + ((64 - ((uintptr_t)scratch & 63)) & 63);
  const int8_t *have[2] = {NULL, NULL}; /* the plane each set of images holds */
  int8_t *pending = NULL; /* the previous channel's output, its bytes in vout[pv] */
  int16_t taps16[DW_MAXTAPS];
  int32_t taps[DW_MAXTAPS];
  dw_chan_t ch;
  dw_plan_t pl;
  uint8_t *xb[2], *vout[2];
  int32_t *acc, n, t;
  uint32_t i;
  int pv = 0, groups = 0; /* the path's tap groups: 4 quads, 2 pairs, 0 none */
  dw_fill_fn fill = dw_fill_c;
  dw_run_fn run = dw_run_c;
  dw_copy_fn copy = NULL;
#if SPX_K_X86
  if (SPX_K_ISA() == SPX_RT_ISA_AVX512) {
    fill = dw_fill_avx512;
    run = dw_run_avx512;
    copy = dw_copy_avx512;
    groups = 4;
  } else if (SPX_K_ISA() == SPX_RT_ISA_AVX2) {
    fill = dw_fill_avx2;
    run = dw_run_avx2;
    copy = dw_copy_avx2;
    groups = 2;
  }
#endif
  (void)dw_plan(w->desc, p, oh, ow, &pl);
  pl.border = (uint8_t)(zin + 128);
  for (t = 0; t < 2; ++t) {
    xb[t] = base + pl.off_xb[t];
    vout[t] = base + pl.off_vout[t];
  }
  acc = (int32_t *)(void *)(base + pl.off_acc);
  /* padding and slack: z_in + 128 */
  memset(base, pl.border, 2 * pl.nxb);
  /* the taps' and quads' offsets (kernel row ky: quad j holds the taps with
   * kx dw in 4 j .. 4 j + 3) */
  ch.nt = ntaps;
  ch.nq = ch.np = 0;
  for (t = 0; t < ntaps; ++t) {
    const int32_t ky = t / p->kw, at = (t % p->kw) * dw;
    const size_t row =
        (size_t)((ky * dh) % pl.sh) * pl.istride + (size_t)((ky * dh) / pl.sh) * (size_t)pl.pitch;
    const size_t qo = row + (size_t)(at & ~3), po = row + (size_t)(at & ~1);
    ch.toff[t] = row + (size_t)at;
    if (!ch.nq || ch.qoff[ch.nq - 1] != qo) ch.qoff[ch.nq++] = qo;
    ch.tq[t] = (uint8_t)(ch.nq - 1);
    ch.tsh[t] = (uint8_t)(8 * (at & 3));
    if (!ch.np || ch.poff[ch.np - 1] != po) ch.poff[ch.np++] = po;
    ch.tp[t] = (uint8_t)(ch.np - 1);
    ch.tpsh[t] = (uint8_t)(16 * (at & 1));
  }
  for (n = 0; n < p->n; ++n)
    for (i = 0; i < w->dims.rows; ++i) {
      uint32_t oc, sum = 0, any = 0, qcur = 0, pcur = 0;
      const int8_t *in, *next;
      int8_t *out;
      int32_t b, mult, shift;
      int xi;
      if (plain) {
        oc = i;
        for (t = 0; t < ntaps; ++t)
          taps[t] = ((const int8_t *)w->bytes)[(size_t)oc * (size_t)ntaps + (size_t)t];
      } else if (cbr) { /* cbr_row_taps inline: lane 0 of the row in its block */
        const spx_fmt_cbr_view_t *cv = &w->view.cbr;
        const uint32_t per = cv->dims.rows / cv->dims.groups, local = per == 1 ? 0 : i % per;
        const uint32_t br = dw_cbr_brow(cv, i), kb = spx_fmt_cbr_row_begin(cv, br);
        oc = i;
        if (kb == spx_fmt_cbr_row_end(cv, br)) { /* a pruned block row: acc = bias */
          out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * plane;
          memset(out, spx_k_out_s8(bias ? bias[oc] : 0, q->out_zero_point, q->multiplier[oc],
                                   (int)q->shift[oc], q->act_min, q->act_max),
                 plane);
          continue;
        } else {
          const int8_t *row = spx_fmt_cbr_block(cv, kb) + (size_t)(local % 8) * 8 * (size_t)ntaps;
          for (t = 0; t < ntaps; ++t) taps[t] = row[(size_t)t * 8];
        }
      } else {
        oc = w->desc->row_taps(w, i, taps16);
        for (t = 0; t < ntaps; ++t) taps[t] = taps16[t];
      }
      in = input + ((size_t)n * (size_t)p->c_in + (size_t)(oc / (uint32_t)cout_g)) * hw;
      out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * plane;
      b = bias ? bias[oc] : 0;
      mult = q->multiplier[oc];
      shift = (int)q->shift[oc];
      ch.wide = 0;
      for (t = 0; t < ntaps; ++t) { /* the weights */
        const int32_t wv = taps[t];
        sum += (uint32_t)wv;
        any |= (uint32_t)wv;
        ch.wide |= wv < -128 || wv > 127;
        ch.tw[t] = wv;
      }
      if (groups == 4) /* the quads' dwords */
        for (t = 0; t < ntaps; ++t) {
          qcur |= (uint32_t)(uint8_t)taps[t] << ch.tsh[t];
          if (t + 1 == ntaps || ch.tq[t + 1] != ch.tq[t]) {
            ch.qw[ch.tq[t]] = (int32_t)qcur;
            qcur = 0;
          }
        }
      else if (groups == 2) /* the pairs' */
        for (t = 0; t < ntaps; ++t) {
          pcur |= (uint32_t)(uint16_t)taps[t] << ch.tpsh[t];
          if (t + 1 == ntaps || ch.tp[t + 1] != ch.tp[t]) {
            ch.pw[ch.tp[t]] = (int32_t)pcur;
            pcur = 0;
          }
        }
      if (!any) { /* no taps (a pruned channel): acc = bias everywhere */
        memset(out, spx_k_out_s8(b, q->out_zero_point, mult, shift, q->act_min, q->act_max),
               plane);
        continue;
      }
      /* this channel's plane (made while the previous channel ran, unless
       * the guess was wrong), then the next one's into the other images */
      xi = have[0] == in ? 0 : have[1] == in ? 1 : -1;
      if (xi < 0) {
        xi = 0;
        fill(&pl, p, in, xb[0]);
        have[0] = in;
      }
      next = in + hw;
      if (cbr && !SPX_K_SIZE_BUILD) { /* the next row with stored blocks (an
                                        * empty one takes no plane) */
        uint32_t i2 = i + 1;
        while (i2 < w->dims.rows && dw_cbr_empty(&w->view.cbr, i2)) ++i2;
        next = input + ((size_t)n * (size_t)p->c_in + (size_t)(i2 / (uint32_t)cout_g)) * hw;
      }
      if (next < in_end && have[!xi] != next) {
        fill(&pl, p, next, xb[!xi]);
        have[!xi] = next;
      }
      if (run(&pl, xb[xi], &ch, (int32_t)((uint32_t)b - (uint32_t)(zin + 128) * sum), oh, ow,
              mult, shift, q, acc, vout[!pv], out)) {
        if (pending) copy(&pl, vout[pv], oh, ow, pending);
        pending = out;
        pv = !pv;
      }
    }
  if (pending) copy(&pl, vout[pv], oh, ow, pending);
  return SPX_RT_OK;
}
