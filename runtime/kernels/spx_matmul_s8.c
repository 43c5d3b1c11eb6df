/* spx_matmul_s8.c - int8 conv2d and dense, one driver for every weight
 * format (runtime/formats/spx_formats.h, "Kernels").
 *
 * The driver does what every format shares: argument checks, the output
 * size (spx_rt_conv2d_out_dims), the format's structural check (desc->open),
 * tiles of SPX_FMT_TILE columns (conv: im2col of output pixels of one conv
 * group, in the layout the format asks for; dense: batch rows), the
 * constant part of each accumulator, per-channel requantization and the
 * activation clamp:
 *   SPX_FMT_COLS_S8   acc = dot(w, x) + (bias - z_in * sum w), the constant
 *                     computed once per call (desc->row_sums) into scratch;
 *   SPX_FMT_COLS_S16  acc = dot(w, x - z_in) + bias;
 *   out = clamp(z_out + mbqm(acc, M[c], shift[c]), act_min, act_max)
 * (the fused sign, act_min > act_max: out = acc >= 0 ? +1 : -1;
 * spx_k_out_s8).
 * The format's only part is the inner product (desc->dot) of up to
 * SPX_FMT_ROW_CHUNK output rows with a whole tile, so the indirect call is
 * made once per rows x tile, never in an inner loop. Integer sums do not
 * depend on their order, so every format is bit-identical with dense int8 on
 * its decoded weights.
 * Depthwise conv (one input channel per group) over a plain int8 array,
 * or a format that gives its rows' taps (desc->row_taps), runs direct loops
 * over all channels instead of im2col and one dot call per channel.
 *
 * The dense int8 and CBR formats have register-blocked kernels besides
 * (spx_fast_s8.c, one path per instruction set): after the checks and the
 * format's open, conv2d with strides up to 8, depthwise conv2d (any
 * stride, kernels of up to 64 taps; also the row_taps formats') and every
 * dense layer of those formats go there, with the scratch they ask for;
 * the rest (larger depthwise kernels, the other formats) runs the loops
 * below.
 * Scratch, 4-byte aligned: [c0 int32[rows], S8 only][the format's
 * scratch][the column tile]; plain int8 depthwise: one int32 output row;
 * row_taps depthwise: [int16 taps][int32 accumulators] in the same bytes
 * as the im2col layout. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

#define TILE SPX_FMT_TILE

static int has_kernel(const spx_fmt_desc_t *f) {
  return f && f->open && f->dot && f->scratch_size &&
         (f->cols_kind == SPX_FMT_COLS_S16 ||
          (f->cols_kind == SPX_FMT_COLS_S8 && f->row_sums));
}

static size_t align4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Offsets of the format's scratch and the column tile; returns the total. */
static size_t scratch_layout(const spx_fmt_desc_t *f, const spx_fmt_dims_t *d,
                             size_t col_bytes, size_t *fmt_off, size_t *col_off) {
  size_t c0 = f->cols_kind == SPX_FMT_COLS_S8 ? (size_t)d->rows * sizeof(int32_t) : 0;
  *fmt_off = c0;
  *col_off = c0 + align4(f->scratch_size(d));
  return *col_off + col_bytes;
}

/* Bytes of one tile of columns of col_len elements. */
static size_t tile_bytes(const spx_fmt_desc_t *f, size_t col_len) {
  return (size_t)TILE * col_len *
         (f->cols_kind == SPX_FMT_COLS_S16 ? sizeof(int16_t) : sizeof(int8_t));
}

/* Per-run set-up: the format's, then the constant part of each
 * accumulator (S8: bias - z_in * sum w; S16: none, bias is used as is). */
static const int32_t *start(spx_fmt_weights_t *w, const spx_rt_requant_pc_t *q,
                            const int32_t *bias, int ragged, uint8_t *scratch,
                            size_t fmt_off) {
  int32_t *c0 = (int32_t *)(void *)scratch;
  uint32_t r;
  if (w->desc->begin) w->desc->begin(w, scratch + fmt_off);
  if (w->desc->cols_kind != SPX_FMT_COLS_S8) return NULL;
  w->desc->row_sums(w, ragged, c0);
  for (r = 0; r < w->dims.rows; ++r)
    c0[r] = (bias ? bias[r] : 0) - q->in_zero_point * c0[r];
  return c0;
}

/* out[j * col_stride] = requantized a[j] + c, j < count; inlined with the
 * callers' constant col_stride 1 (conv) so that the store is contiguous. */
static inline void requant_row(const spx_rt_requant_pc_t *q, const int32_t *a,
                               uint32_t count, int32_t c, int32_t mult, int shift,
                               int8_t *o, size_t col_stride) {
  uint32_t j;
  for (j = 0; j < count; ++j)
    o[(size_t)j * col_stride] =
        spx_k_out_s8(a[j] + c, q->out_zero_point, mult, shift, q->act_min, q->act_max);
}

/* Output rows [r_first, r_end) of one tile: the format's inner product in
 * chunks of rows, then requantization. Row r, column j goes to
 * out[r * row_stride + j * col_stride]. */
static void rows_out(const spx_fmt_weights_t *w, const spx_rt_requant_pc_t *q,
                     const int32_t *c0, const int32_t *bias,
                     const spx_fmt_cols_t *cols, uint32_t r_first, uint32_t r_end,
                     int8_t *out, size_t row_stride, size_t col_stride) {
  int32_t acc[SPX_FMT_ROW_CHUNK * TILE];
  const uint32_t count = cols->count;
  uint32_t r0, r;
  for (r0 = r_first; r0 < r_end; r0 += SPX_FMT_ROW_CHUNK) {
    uint32_t r1 = r_end - r0 < SPX_FMT_ROW_CHUNK ? r_end : r0 + SPX_FMT_ROW_CHUNK;
    w->desc->dot(w, r0, r1, cols, acc);
    for (r = r0; r < r1; ++r) {
      const int32_t *a = acc + (size_t)(r - r0) * TILE;
      const int32_t c = c0 ? c0[r] : bias ? bias[r] : 0;
      int8_t *o = out + (size_t)r * row_stride;
      if (col_stride == 1)
        requant_row(q, a, count, c, q->multiplier[r], (int)q->shift[r], o, 1);
      else
        requant_row(q, a, count, c, q->multiplier[r], (int)q->shift[r], o, col_stride);
    }
  }
}

/* ---- conv2d ------------------------------------------------------------- */

/* Depthwise conv (one input channel per group): direct loops over the
 * input planes, acc = bias + sum over taps of w * (x - z_in), no im2col.
 * The taps of a row are the int8 array itself (plain_s8) or the format's
 * row_taps; acc holds `cap` output pixels of one output row (a row is done
 * in chunks of cap), taps16 the kh * kw taps of row_taps. */
#define DW_RANGES 16 /* kernel widths whose column ranges are kept */

/* Inlined into the two callers below, with plain and cap constant for the
 * plain int8 array (cap = ow). */
#if defined(__GNUC__)
#define DW_INLINE static inline __attribute__((always_inline))
#else
#define DW_INLINE static inline
#endif

DW_INLINE void depthwise_loops(const spx_fmt_weights_t *w,
                               const spx_rt_conv2d_params_t *p,
                               const spx_rt_requant_pc_t *q, int32_t oh,
                               int32_t ow, const int8_t *input,
                               const int32_t *bias, int8_t *output, int plain,
                               int16_t *taps16, int32_t *acc, int32_t cap) {
  const int32_t cout_g = p->c_out / p->groups;
  const int32_t zin = q->in_zero_point;
  const size_t ntaps = (size_t)p->kh * (size_t)p->kw;
  int32_t n, oy, ky, kx, ox, x0, rlo[DW_RANGES], rhi[DW_RANGES];
  uint32_t i;
  /* the output columns each kx reads inside the input (same for every row) */
  for (kx = 0; kx < p->kw && kx < DW_RANGES; ++kx)
    spx_k_valid_range(kx * p->dilation[1] - p->pad[1], p->stride[1], p->w, ow, &rlo[kx],
                      &rhi[kx]);
  for (n = 0; n < p->n; ++n) {
    for (i = 0; i < w->dims.rows; ++i) {
      const uint32_t oc = plain ? i : w->desc->row_taps(w, i, taps16);
      const int8_t *in = input + ((size_t)n * (size_t)p->c_in +
                                  (size_t)(oc / (uint32_t)cout_g)) *
                                     (size_t)p->h * (size_t)p->w;
      const int8_t *wk8 = plain ? (const int8_t *)w->bytes + (size_t)oc * ntaps : NULL;
      int8_t *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) *
                                 (size_t)oh * (size_t)ow;
      const int32_t b = bias ? bias[oc] : 0;
      const int32_t mult = q->multiplier[oc];
      const int shift = (int)q->shift[oc];
      for (oy = 0; oy < oh; ++oy) {
        for (x0 = 0; x0 < ow; x0 += cap) {
          const int32_t x1 = ow - x0 < cap ? ow : x0 + cap;
          for (ox = 0; ox < x1 - x0; ++ox) acc[ox] = b; /* acc[ox - x0] */
          for (ky = 0; ky < p->kh; ++ky) {
            int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
            const int8_t *row;
            if (iy < 0 || iy >= p->h) continue; /* padding: x - z_in = 0 */
            row = in + (size_t)iy * (size_t)p->w;
            for (kx = 0; kx < p->kw; ++kx) {
              const int32_t t = ky * p->kw + kx;
              const int32_t wv = plain ? wk8[t] : taps16[t];
              int32_t xoff = kx * p->dilation[1] - p->pad[1];
              int32_t lo, hi;
              if (!wv) continue;
              if (kx < DW_RANGES) {
                lo = rlo[kx];
                hi = rhi[kx];
              } else {
                spx_k_valid_range(xoff, p->stride[1], p->w, ow, &lo, &hi);
              }
              if (cap < ow) { /* this chunk's part */
                if (lo < x0) lo = x0;
                if (hi > x1) hi = x1;
              }
              if (lo >= hi) continue;
              if (p->stride[1] == 1) {
                const int8_t *r = row + lo + xoff; /* in bounds: lo + xoff >= 0 */
                int32_t *a = acc + (lo - x0);
                int32_t len = hi - lo, k = 0, j;
                /* blocks of 16 so that gcc vectorizes at -O2 */
                for (; k + 16 <= len; k += 16)
                  for (j = 0; j < 16; ++j) a[k + j] += wv * ((int32_t)r[k + j] - zin);
                for (; k < len; ++k) a[k] += wv * ((int32_t)r[k] - zin);
              } else {
                for (ox = lo; ox < hi; ++ox)
                  acc[ox - x0] += wv * ((int32_t)row[ox * p->stride[1] + xoff] - zin);
              }
            }
          }
          for (ox = x0; ox < x1; ++ox)
            out[(size_t)oy * (size_t)ow + (size_t)ox] = spx_k_out_s8(
                acc[ox - x0], q->out_zero_point, mult, shift, q->act_min, q->act_max);
        }
      }
    }
  }
}

static void conv2d_s8_depthwise(const spx_fmt_weights_t *w,
                                const spx_rt_conv2d_params_t *p,
                                const spx_rt_requant_pc_t *q, int32_t oh,
                                int32_t ow, const int8_t *input,
                                const int32_t *bias, int8_t *output,
                                int16_t *taps16, int32_t *acc, int32_t cap) {
  if (w->desc->plain_s8)
    depthwise_loops(w, p, q, oh, ow, input, bias, output, 1, NULL, acc, ow);
  else
    depthwise_loops(w, p, q, oh, ow, input, bias, output, 0, taps16, acc, cap);
}

/* im2col of `count` output pixels starting at pixel index p0 of one group:
 * col[j * k + (ic * kh + ky) * kw + kx], padding filled with z_in. */
static void im2col_s8(const spx_rt_conv2d_params_t *p, int32_t ow,
                      const int8_t *in_g, int32_t cin_g, int32_t p0,
                      int32_t count, int8_t zin, int8_t *col) {
  const size_t k = (size_t)cin_g * (size_t)p->kh * (size_t)p->kw;
  const size_t hw = (size_t)p->h * (size_t)p->w;
  int32_t j, ic, ky, kx;
  for (j = 0; j < count; ++j) {
    int32_t oy = (p0 + j) / ow, ox = (p0 + j) % ow;
    int32_t iy0 = oy * p->stride[0] - p->pad[0];
    int32_t ix0 = ox * p->stride[1] - p->pad[1];
    int8_t *c = col + (size_t)j * k;
    int inside = iy0 >= 0 && ix0 >= 0 &&
                 iy0 + (p->kh - 1) * p->dilation[0] < p->h &&
                 ix0 + (p->kw - 1) * p->dilation[1] < p->w;
    for (ic = 0; ic < cin_g; ++ic) {
      const int8_t *plane = in_g + (size_t)ic * hw;
      for (ky = 0; ky < p->kh; ++ky) {
        int32_t iy = iy0 + ky * p->dilation[0];
        if (inside) {
          const int8_t *row = plane + (size_t)iy * (size_t)p->w;
          if (p->dilation[1] == 1) {
            memcpy(c, row + ix0, (size_t)p->kw);
            c += p->kw;
          } else {
            for (kx = 0; kx < p->kw; ++kx) *c++ = row[ix0 + kx * p->dilation[1]];
          }
          continue;
        }
        for (kx = 0; kx < p->kw; ++kx) {
          int32_t ix = ix0 + kx * p->dilation[1];
          *c++ = (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w)
                     ? zin
                     : plane[(size_t)iy * (size_t)p->w + (size_t)ix];
        }
      }
    }
  }
}

/* im2col in blocks of cb channels: col[j * kp + ((c * kh + ky) * kw + kx) *
 * cb + ii] = in[c * cb + ii][iy][ix]; padding cells and the channels past
 * cin_g hold z_in. */
static inline void im2col_blocks(const spx_rt_conv2d_params_t *p, int32_t ow,
                          const int8_t *in_g, int32_t cin_g, int32_t p0,
                          int32_t count, int8_t zin, int32_t cb, int8_t *col,
                          size_t kp) {
  const size_t hw = (size_t)p->h * (size_t)p->w;
  const int32_t nbc = (cin_g + cb - 1) / cb;
  int32_t j, c, ky, kx, ii;
  for (j = 0; j < count; ++j) {
    int32_t oy = (p0 + j) / ow, ox = (p0 + j) % ow;
    int32_t iy0 = oy * p->stride[0] - p->pad[0];
    int32_t ix0 = ox * p->stride[1] - p->pad[1];
    int8_t *dst = col + (size_t)j * kp;
    for (c = 0; c < nbc; ++c) {
      int32_t nch = cin_g - c * cb < cb ? cin_g - c * cb : cb;
      for (ky = 0; ky < p->kh; ++ky) {
        int32_t iy = iy0 + ky * p->dilation[0];
        for (kx = 0; kx < p->kw; ++kx) {
          int32_t ix = ix0 + kx * p->dilation[1];
          int inside = iy >= 0 && iy < p->h && ix >= 0 && ix < p->w;
          const int8_t *src = in_g + (size_t)c * (size_t)cb * hw +
                              (inside ? (size_t)iy * (size_t)p->w + (size_t)ix : 0);
          for (ii = 0; ii < cb; ++ii)
            *dst++ = (inside && ii < nch) ? src[(size_t)ii * hw] : zin;
        }
      }
    }
  }
}

/* The same with cb = 8 (CBR's) known to the compiler: its inner loop
 * unrolls. */
static void im2col_blocks8(const spx_rt_conv2d_params_t *p, int32_t ow,
                           const int8_t *in_g, int32_t cin_g, int32_t p0,
                           int32_t count, int8_t zin, int8_t *col, size_t kp) {
  im2col_blocks(p, ow, in_g, cin_g, p0, count, zin, 8, col, kp);
}

/* Centered im2col, column innermost: col[(tap * cin_g + ci) * TILE + j] =
 * x - z_in, 0 at padding cells and for columns past count. */
static void im2col_s16(const spx_rt_conv2d_params_t *p, int32_t ow,
                       const int8_t *in_g, int32_t cin_g, int32_t p0,
                       int32_t count, int32_t zin, int16_t *col) {
  int32_t ky, kx, ci, j;
  for (ky = 0; ky < p->kh; ++ky)
    for (kx = 0; kx < p->kw; ++kx)
      for (ci = 0; ci < cin_g; ++ci) {
        int16_t *row = col + ((size_t)(ky * p->kw + kx) * (size_t)cin_g + (size_t)ci) * TILE;
        const int8_t *plane_in = in_g + (size_t)ci * (size_t)p->h * (size_t)p->w;
        for (j = 0; j < TILE; ++j) {
          int32_t pix = p0 + j, oy, ox, iy, ix;
          row[j] = 0;
          if (j >= count) continue;
          oy = pix / ow;
          ox = pix % ow;
          iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
          ix = ox * p->stride[1] + kx * p->dilation[1] - p->pad[1];
          if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) continue;
          row[j] = (int16_t)(plane_in[(size_t)iy * (size_t)p->w + (size_t)ix] - zin);
        }
      }
}

/* The weight tensor of a conv2d as the formats see it (p already checked by
 * spx_rt_conv2d_out_dims); 0 if kh or kw do not fit. */
static int conv_dims(const spx_rt_conv2d_params_t *p, spx_fmt_dims_t *d) {
  if (p->kh > 0xffff || p->kw > 0xffff) return 0;
  d->rows = (uint32_t)p->c_out;
  d->cols = (uint32_t)(p->c_in / p->groups);
  d->kh = (uint16_t)p->kh;
  d->kw = (uint16_t)p->kw;
  d->groups = (uint32_t)p->groups;
  return 1;
}

static int depthwise(const spx_rt_conv2d_params_t *p) {
  return p->c_in / p->groups == 1;
}

/* Scratch: plain_s8 depthwise, one int32 output row; otherwise the im2col
 * layout, which the direct depthwise loops of a row_taps format reuse (it
 * always has room for the taps and 8 or more accumulators: see dw_cap). */
static size_t conv_scratch(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p,
                           const spx_fmt_dims_t *d, int32_t oh, int32_t ow, size_t *fmt_off,
                           size_t *col_off) {
  size_t fast = spx_k_fast_dw_size(f, p, oh, ow);
  if (fast) return fast;
  if (f->plain_s8 && depthwise(p)) {
    *fmt_off = *col_off = 0;
    return (size_t)ow * sizeof(int32_t);
  }
  fast = spx_k_fast_conv_size(f, p, oh, ow);
  if (fast) return fast;
  return scratch_layout(f, d, tile_bytes(f, spx_fmt_col_len(f, d)), fmt_off, col_off);
}

/* Direct depthwise in `need` bytes of scratch: [int16 taps, row_taps
 * formats][int32 accumulators]; returns the accumulators' count (0: run
 * im2col instead). */
static int32_t dw_cap(const spx_fmt_desc_t *f, const spx_rt_conv2d_params_t *p,
                      int32_t ow, size_t need, size_t *taps_bytes) {
  size_t cap;
  *taps_bytes = 0;
  if (!depthwise(p) || (!f->plain_s8 && !f->row_taps)) return 0;
  if (!f->plain_s8) *taps_bytes = align4((size_t)p->kh * (size_t)p->kw * sizeof(int16_t));
  if (need < *taps_bytes + sizeof(int32_t)) return 0;
  cap = (need - *taps_bytes) / sizeof(int32_t);
  return cap < (size_t)ow ? (int32_t)cap : ow;
}

size_t spx_rt_conv2d_s8_fmt_get_buffer_size(const spx_fmt_desc_t *fmt,
                                            const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  spx_fmt_dims_t d;
  size_t fo, co;
  if (!p || !has_kernel(fmt) || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK ||
      !conv_dims(p, &d))
    return 0;
  return conv_scratch(fmt, p, &d, oh, ow, &fo, &co);
}

static spx_rt_status_t conv2d_s8(const spx_fmt_desc_t *fmt, const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q, const int8_t *input,
                                 const void *weights, size_t weights_size,
                                 const int32_t *bias, int8_t *output, void *scratch,
                                 size_t scratch_size, const void *packed,
                                 const spx_rt_s8_residual_t *res);

/* ---- decoded int8 weights with a residual --------------------------------- */

/* Weights w8 + residual (spx_rt_s8_residual_t) as a kernel descriptor of
 * the driver (not a stream format: no code, no encoding): its "bytes" are
 * an s8res_t; dense int8's dot on w8 plus the residual's few products;
 * row sums of the exact weights; depthwise taps w8 + residual. The
 * register-blocked stride-1 conv takes the residual itself
 * (spx_k_fast_conv_packed). */
typedef struct s8res {
  const int8_t *w8;
  const spx_rt_s8_residual_t *res;
} s8res_t;

static const s8res_t *s8res_of(const spx_fmt_weights_t *w) {
  return (const s8res_t *)w->bytes;
}

static spx_rt_status_t s8res_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                  spx_fmt_weights_t *out, spx_rt_error_t *err);

static size_t s8res_scratch(const spx_fmt_dims_t *dims) {
  (void)dims;
  return 0;
}

static void s8res_row_sums(const spx_fmt_weights_t *w, int ragged, int32_t *sums) {
  (void)ragged;
  memcpy(sums, s8res_of(w)->res->row_sums, (size_t)w->dims.rows * sizeof *sums);
}

static void s8res_dot(const spx_fmt_weights_t *w, uint32_t r0, uint32_t r1,
                      const spx_fmt_cols_t *cols, int32_t *acc) {
  const s8res_t *s = s8res_of(w);
  spx_fmt_weights_t w8 = *w;
  uint32_t r, e, j;
  w8.desc = &spx_fmt_desc_DENSE;
  w8.bytes = s->w8;
  w8.len = 0;
  spx_fmt_desc_DENSE.dot(&w8, r0, r1, cols, acc);
  for (r = r0; r < r1; ++r)
    for (e = s->res->row_ptr[r]; e < s->res->row_ptr[r + 1]; ++e) {
      const int8_t *x = cols->s8 + s->res->index[e];
      const int32_t v = s->res->value[e];
      int32_t *a = acc + (size_t)(r - r0) * TILE;
      for (j = 0; j < cols->count; ++j) a[j] += v * (int32_t)x[(size_t)j * cols->stride];
    }
}

static uint32_t s8res_row_taps(const spx_fmt_weights_t *w, uint32_t i, int16_t *taps) {
  const s8res_t *s = s8res_of(w);
  const uint32_t n = (uint32_t)w->dims.kh * w->dims.kw;
  uint32_t t, e;
  for (t = 0; t < n; ++t) taps[t] = s->w8[(size_t)i * n + t];
  for (e = s->res->row_ptr[i]; e < s->res->row_ptr[i + 1]; ++e)
    taps[s->res->index[e]] = (int16_t)(taps[s->res->index[e]] + s->res->value[e]);
  return i;
}

static const spx_fmt_desc_t s8res_desc = {
    0xffff, "decoded int8 + residual", "dense int8 weights with a sparse residual", 0, 144,
    NULL, NULL,
    /* needs_s8 */ 1, SPX_FMT_COLS_S8, /* chan_block */ 1, /* plain_s8 */ 0,
    s8res_open, s8res_scratch, NULL, s8res_row_sums, NULL, s8res_dot, s8res_row_taps,
    SPX_FMT_DATAPATH_INT8, NULL, NULL};

static spx_rt_status_t s8res_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                  spx_fmt_weights_t *out, spx_rt_error_t *err) {
  (void)err;
  if (len != sizeof(s8res_t)) return SPX_RT_ERR_ARG;
  if (out) {
    memset(out, 0, sizeof *out);
    out->desc = &s8res_desc;
    out->dims = *dims;
    out->bytes = bytes;
    out->len = len;
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_conv2d_s8_fmt(const spx_fmt_desc_t *fmt,
                                     const spx_rt_conv2d_params_t *p,
                                     const spx_rt_requant_pc_t *q,
                                     const int8_t *input, const void *weights,
                                     size_t weights_size, const int32_t *bias,
                                     int8_t *output, void *scratch,
                                     size_t scratch_size) {
  return conv2d_s8(fmt, p, q, input, weights, weights_size, bias, output, scratch,
                   scratch_size, NULL, NULL);
}

size_t spx_rt_conv2d_s8_packed_size(const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  if (!p || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK) return 0;
  return spx_k_fast_conv_packed_size(p, oh, ow);
}

spx_rt_status_t spx_rt_conv2d_s8_pack(const spx_rt_conv2d_params_t *p, const int8_t *weights,
                                      void *packed, size_t packed_size) {
  int32_t oh, ow;
  size_t need = spx_rt_conv2d_s8_packed_size(p);
  if (!need || !weights || !packed) return SPX_RT_ERR_ARG;
  if (packed_size < need) return SPX_RT_ERR_BUFFER;
  (void)spx_rt_conv2d_out_dims(p, &oh, &ow);
  spx_k_fast_conv_pack(p, oh, ow, weights, packed);
  return SPX_RT_OK;
}

/* The register-blocked stride-1 conv takes the residual itself; every
 * other layer with one runs the residual descriptor. */
size_t spx_rt_conv2d_s8_packed_get_buffer_size(const spx_rt_conv2d_params_t *p, int residual) {
  if (!residual || spx_rt_conv2d_s8_packed_size(p))
    return spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_DENSE, p);
  return spx_rt_conv2d_s8_fmt_get_buffer_size(&s8res_desc, p);
}

spx_rt_status_t spx_rt_conv2d_s8_packed(const spx_rt_conv2d_params_t *p,
                                        const spx_rt_requant_pc_t *q, const int8_t *input,
                                        const int8_t *weights, const void *packed,
                                        const spx_rt_s8_residual_t *residual,
                                        const int32_t *bias, int8_t *output, void *scratch,
                                        size_t scratch_size) {
  s8res_t s;
  if (!residual || spx_rt_conv2d_s8_packed_size(p))
    return conv2d_s8(&spx_fmt_desc_DENSE, p, q, input, weights, 0, bias, output, scratch,
                     scratch_size, packed, residual);
  if (!weights) return SPX_RT_ERR_ARG;
  s.w8 = weights;
  s.res = residual;
  return conv2d_s8(&s8res_desc, p, q, input, &s, sizeof s, bias, output, scratch,
                   scratch_size, NULL, NULL);
}

static spx_rt_status_t conv2d_s8(const spx_fmt_desc_t *fmt, const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q, const int8_t *input,
                                 const void *weights, size_t weights_size,
                                 const int32_t *bias, int8_t *output, void *scratch,
                                 size_t scratch_size, const void *packed,
                                 const spx_rt_s8_residual_t *res) {
  int32_t oh, ow, n, g, p0, cin_g, cout_g, cap;
  spx_fmt_dims_t d;
  spx_fmt_weights_t w;
  spx_fmt_cols_t cols;
  size_t fmt_off, col_off, col_len, plane, need, taps_bytes;
  const int32_t *c0;
  uint8_t *col;
  spx_rt_status_t st;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift ||
      !has_kernel(fmt))
    return SPX_RT_ERR_ARG;
  st = spx_rt_conv2d_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  if (!conv_dims(p, &d)) return SPX_RT_ERR_SHAPE;
  if (fmt->open(weights, weights_size, &d, &w, NULL)) return SPX_RT_ERR_ARG;
  need = conv_scratch(fmt, p, &d, oh, ow, &fmt_off, &col_off);
  if (!scratch || scratch_size < need) return SPX_RT_ERR_BUFFER;
  if (spx_k_fast_conv_size(fmt, p, oh, ow))
    return packed || res ? spx_k_fast_conv_packed(&w, p, q, oh, ow, input, bias, output,
                                                  scratch, packed, res)
                         : spx_k_fast_conv(&w, p, q, oh, ow, input, bias, output, scratch);
  if (spx_k_fast_dw_size(fmt, p, oh, ow))
    return spx_k_fast_dw(&w, p, q, oh, ow, input, bias, output, scratch);
  cap = dw_cap(fmt, p, ow, need, &taps_bytes);
  if (cap > 0) {
    conv2d_s8_depthwise(&w, p, q, oh, ow, input, bias, output, (int16_t *)scratch,
                        (int32_t *)(void *)((uint8_t *)scratch + taps_bytes), cap);
    return SPX_RT_OK;
  }
  cin_g = p->c_in / p->groups;
  cout_g = p->c_out / p->groups;
  col_len = spx_fmt_col_len(fmt, &d);
  plane = (size_t)oh * (size_t)ow;
  c0 = start(&w, q, bias, 0, (uint8_t *)scratch, fmt_off);
  col = (uint8_t *)scratch + col_off;
  memset(&cols, 0, sizeof cols);
  cols.stride = col_len;
  cols.s8 = (const int8_t *)col;
  cols.s16 = (const int16_t *)(const void *)col;
  for (n = 0; n < p->n; ++n) {
    for (g = 0; g < p->groups; ++g) {
      const int8_t *in_g = input + ((size_t)n * (size_t)p->c_in +
                                    (size_t)g * (size_t)cin_g) *
                                       (size_t)p->h * (size_t)p->w;
      for (p0 = 0; p0 < (int32_t)plane; p0 += TILE) {
        int32_t count = (int32_t)plane - p0;
        if (count > TILE) count = TILE;
        if (fmt->cols_kind == SPX_FMT_COLS_S16)
          im2col_s16(p, ow, in_g, cin_g, p0, count, q->in_zero_point, (int16_t *)(void *)col);
        else if (fmt->chan_block <= 1)
          im2col_s8(p, ow, in_g, cin_g, p0, count, (int8_t)q->in_zero_point, (int8_t *)col);
        else if (fmt->chan_block == 8)
          im2col_blocks8(p, ow, in_g, cin_g, p0, count, (int8_t)q->in_zero_point,
                         (int8_t *)col, col_len);
        else
          im2col_blocks(p, ow, in_g, cin_g, p0, count, (int8_t)q->in_zero_point,
                        fmt->chan_block, (int8_t *)col, col_len);
        cols.count = (uint32_t)count;
        if (fmt->cols_ready) fmt->cols_ready(&w, &cols);
        rows_out(&w, q, c0, bias, &cols, (uint32_t)(g * cout_g), (uint32_t)((g + 1) * cout_g),
                 output + (size_t)n * (size_t)p->c_out * plane + (size_t)p0, plane, 1);
      }
    }
  }
  return SPX_RT_OK;
}

/* ---- dense -------------------------------------------------------------- */

/* Dense layers: the columns are batch rows. S8 formats read the input rows
 * in place (ragged: no padded channels); S16 ones get a centered copy. */
static int dense_dims(const spx_rt_dense_params_t *p, spx_fmt_dims_t *d) {
  if (p->n <= 0 || p->features <= 0 || p->units <= 0) return 0;
  d->rows = (uint32_t)p->units;
  d->cols = (uint32_t)p->features;
  d->kh = d->kw = 1;
  d->groups = 1;
  return 1;
}

static size_t dense_scratch(const spx_fmt_desc_t *f, const spx_rt_dense_params_t *p,
                            const spx_fmt_dims_t *d, size_t *fmt_off, size_t *col_off) {
  size_t fast = spx_k_fast_dense_size(f, p), col_bytes = f->cols_kind == SPX_FMT_COLS_S16 ? tile_bytes(f, d->cols) : 0;
  *fmt_off = *col_off = 0;
  if (fast) return fast;
  return scratch_layout(f, d, col_bytes, fmt_off, col_off);
}

size_t spx_rt_dense_s8_fmt_get_buffer_size(const spx_fmt_desc_t *fmt,
                                           const spx_rt_dense_params_t *p) {
  spx_fmt_dims_t d;
  size_t fo, co;
  if (!p || !has_kernel(fmt) || !dense_dims(p, &d)) return 0;
  return dense_scratch(fmt, p, &d, &fo, &co);
}

static spx_rt_status_t dense_s8(const spx_fmt_desc_t *fmt, const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q, const int8_t *input,
                                const void *weights, size_t weights_size, const int32_t *bias,
                                int8_t *output, void *scratch, size_t scratch_size,
                                const void *packed, const spx_rt_s8_residual_t *res);

spx_rt_status_t spx_rt_dense_s8_fmt(const spx_fmt_desc_t *fmt,
                                    const spx_rt_dense_params_t *p,
                                    const spx_rt_requant_pc_t *q,
                                    const int8_t *input, const void *weights,
                                    size_t weights_size, const int32_t *bias,
                                    int8_t *output, void *scratch,
                                    size_t scratch_size) {
  return dense_s8(fmt, p, q, input, weights, weights_size, bias, output, scratch, scratch_size,
                  NULL, NULL);
}

/* The fast dense path takes the packing and the residual; the plain int8
 * array always runs it (spx_k_fast_dense_size). */
static spx_rt_status_t dense_s8(const spx_fmt_desc_t *fmt, const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q, const int8_t *input,
                                const void *weights, size_t weights_size, const int32_t *bias,
                                int8_t *output, void *scratch, size_t scratch_size,
                                const void *packed, const spx_rt_s8_residual_t *res) {
  spx_fmt_dims_t d;
  spx_fmt_weights_t w;
  spx_fmt_cols_t cols;
  size_t fmt_off, col_off, nf;
  const int32_t *c0;
  int16_t *col;
  int32_t n0, f, j;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift ||
      !has_kernel(fmt))
    return SPX_RT_ERR_ARG;
  if (!dense_dims(p, &d)) return SPX_RT_ERR_SHAPE;
  if (fmt->open(weights, weights_size, &d, &w, NULL)) return SPX_RT_ERR_ARG;
  if (!scratch || scratch_size < dense_scratch(fmt, p, &d, &fmt_off, &col_off))
    return SPX_RT_ERR_BUFFER;
  if (spx_k_fast_dense_size(fmt, p))
    return spx_k_fast_dense(&w, p, q, input, bias, output, scratch, packed, res);
  if (packed || res) return SPX_RT_ERR_ARG;
  nf = (size_t)p->features;
  c0 = start(&w, q, bias, 1, (uint8_t *)scratch, fmt_off);
  col = (int16_t *)(void *)((uint8_t *)scratch + col_off);
  memset(&cols, 0, sizeof cols);
  cols.ragged = 1;
  cols.stride = nf;
  cols.s16 = col;
  for (n0 = 0; n0 < p->n; n0 += TILE) {
    int32_t count = p->n - n0 < TILE ? p->n - n0 : TILE;
    cols.count = (uint32_t)count;
    cols.s8 = input + (size_t)n0 * nf;
    if (fmt->cols_kind == SPX_FMT_COLS_S16)
      for (f = 0; f < p->features; ++f)
        for (j = 0; j < TILE; ++j)
          col[(size_t)f * TILE + (size_t)j] =
              j < count ? (int16_t)(input[(size_t)(n0 + j) * nf + (size_t)f] - q->in_zero_point)
                        : 0;
    if (fmt->cols_ready) fmt->cols_ready(&w, &cols);
    rows_out(&w, q, c0, bias, &cols, 0, (uint32_t)p->units,
             output + (size_t)n0 * (size_t)p->units, 1, (size_t)p->units);
  }
  return SPX_RT_OK;
}

size_t spx_rt_dense_s8_packed_size(const spx_rt_dense_params_t *p) {
  spx_fmt_dims_t d;
  if (!p || !dense_dims(p, &d)) return 0;
  return spx_k_fast_dense_packed_size(p);
}

spx_rt_status_t spx_rt_dense_s8_pack(const spx_rt_dense_params_t *p, const int8_t *weights,
                                     void *packed, size_t packed_size) {
  size_t need = spx_rt_dense_s8_packed_size(p);
  if (!need || !weights || !packed) return SPX_RT_ERR_ARG;
  if (packed_size < need) return SPX_RT_ERR_BUFFER;
  spx_k_fast_dense_pack(p, weights, packed);
  return SPX_RT_OK;
}

size_t spx_rt_dense_s8_packed_get_buffer_size(const spx_rt_dense_params_t *p) {
  return spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_DENSE, p);
}

spx_rt_status_t spx_rt_dense_s8_packed(const spx_rt_dense_params_t *p,
                                       const spx_rt_requant_pc_t *q, const int8_t *input,
                                       const int8_t *weights, const void *packed,
                                       const spx_rt_s8_residual_t *residual,
                                       const int32_t *bias, int8_t *output, void *scratch,
                                       size_t scratch_size) {
  return dense_s8(&spx_fmt_desc_DENSE, p, q, input, weights, 0, bias, output, scratch,
                  scratch_size, packed, residual);
}

/* ---- encoded weights' packing: the row sums --------------------------------
 * A format the register-blocked kernels run from its own bytes (CBR: not
 * the plain array, which has its packing above) otherwise sums each row's
 * weights on every call. */
static size_t fmt_sums_size(const spx_fmt_desc_t *fmt, size_t fast, int32_t rows) {
  return fast && !fmt->plain_s8 && fmt->row_sums ? (size_t)rows * sizeof(int32_t) : 0;
}

static spx_rt_status_t fmt_pack_sums(const spx_fmt_desc_t *fmt, const spx_fmt_dims_t *d,
                                     const void *weights, size_t weights_size, void *packed,
                                     size_t packed_size, size_t need) {
  spx_fmt_weights_t w;
  if (!need || !weights || !packed || ((uintptr_t)packed & 3u)) return SPX_RT_ERR_ARG;
  if (packed_size < need) return SPX_RT_ERR_BUFFER;
  if (fmt->open(weights, weights_size, d, &w, NULL)) return SPX_RT_ERR_ARG;
  fmt->row_sums(&w, 0, (int32_t *)packed);
  return SPX_RT_OK;
}

size_t spx_rt_conv2d_s8_fmt_packed_size(const spx_fmt_desc_t *fmt,
                                        const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  spx_fmt_dims_t d;
  if (!fmt || !p || !conv_dims(p, &d) || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK)
    return 0;
  return fmt_sums_size(fmt, spx_k_fast_conv_size(fmt, p, oh, ow), p->c_out);
}

spx_rt_status_t spx_rt_conv2d_s8_fmt_pack(const spx_fmt_desc_t *fmt,
                                          const spx_rt_conv2d_params_t *p,
                                          const void *weights, size_t weights_size,
                                          void *packed, size_t packed_size) {
  spx_fmt_dims_t d;
  const size_t need = spx_rt_conv2d_s8_fmt_packed_size(fmt, p);
  if (!need || !conv_dims(p, &d)) return SPX_RT_ERR_ARG;
  return fmt_pack_sums(fmt, &d, weights, weights_size, packed, packed_size, need);
}

spx_rt_status_t spx_rt_conv2d_s8_fmt_packed(const spx_fmt_desc_t *fmt,
                                            const spx_rt_conv2d_params_t *p,
                                            const spx_rt_requant_pc_t *q,
                                            const int8_t *input, const void *weights,
                                            size_t weights_size, const void *packed,
                                            const int32_t *bias, int8_t *output,
                                            void *scratch, size_t scratch_size) {
  if (packed && !spx_rt_conv2d_s8_fmt_packed_size(fmt, p)) return SPX_RT_ERR_ARG;
  return conv2d_s8(fmt, p, q, input, weights, weights_size, bias, output, scratch,
                   scratch_size, packed, NULL);
}

size_t spx_rt_dense_s8_fmt_packed_size(const spx_fmt_desc_t *fmt,
                                       const spx_rt_dense_params_t *p) {
  spx_fmt_dims_t d;
  if (!fmt || !p || !dense_dims(p, &d)) return 0;
  return fmt_sums_size(fmt, spx_k_fast_dense_size(fmt, p), p->units);
}

spx_rt_status_t spx_rt_dense_s8_fmt_pack(const spx_fmt_desc_t *fmt,
                                         const spx_rt_dense_params_t *p, const void *weights,
                                         size_t weights_size, void *packed,
                                         size_t packed_size) {
  spx_fmt_dims_t d;
  const size_t need = spx_rt_dense_s8_fmt_packed_size(fmt, p);
  if (!need || !dense_dims(p, &d)) return SPX_RT_ERR_ARG;
  return fmt_pack_sums(fmt, &d, weights, weights_size, packed, packed_size, need);
}

spx_rt_status_t spx_rt_dense_s8_fmt_packed(const spx_fmt_desc_t *fmt,
                                           const spx_rt_dense_params_t *p,
                                           const spx_rt_requant_pc_t *q, const int8_t *input,
                                           const void *weights, size_t weights_size,
                                           const void *packed, const int32_t *bias,
                                           int8_t *output, void *scratch,
                                           size_t scratch_size) {
  if (packed && !spx_rt_dense_s8_fmt_packed_size(fmt, p)) return SPX_RT_ERR_ARG;
  return dense_s8(fmt, p, q, input, weights, weights_size, bias, output, scratch,
                  scratch_size, packed, NULL);
}

/* ---- the entry points of each format ------------------------------------ */

size_t spx_rt_conv2d_s8_get_buffer_size(const spx_rt_conv2d_params_t *p) {
  return spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_DENSE, p);
}
spx_rt_status_t spx_rt_conv2d_s8(const spx_rt_conv2d_params_t *p,
                                 const spx_rt_requant_pc_t *q,
                                 const int8_t *input, const int8_t *weights,
                                 const int32_t *bias, int8_t *output,
                                 void *scratch, size_t scratch_size) {
  return spx_rt_conv2d_s8_fmt(&spx_fmt_desc_DENSE, p, q, input, weights, 0, bias,
                              output, scratch, scratch_size);
}
size_t spx_rt_dense_s8_get_buffer_size(const spx_rt_dense_params_t *p) {
  return spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_DENSE, p);
}
spx_rt_status_t spx_rt_dense_s8(const spx_rt_dense_params_t *p,
                                const spx_rt_requant_pc_t *q,
                                const int8_t *input, const int8_t *weights,
                                const int32_t *bias, int8_t *output,
                                void *scratch, size_t scratch_size) {
  return spx_rt_dense_s8_fmt(&spx_fmt_desc_DENSE, p, q, input, weights, 0, bias,
                             output, scratch, scratch_size);
}
