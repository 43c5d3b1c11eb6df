/* spx_cbr.c - int8 conv2d and dense over CBR block-sparse weights
 * (runtime/formats/spx_formats.h), skipping the blocks that are not stored.
 *
 * Same arithmetic as spx_rt_conv2d_s8 / spx_rt_dense_s8 on the decoded
 * weights: acc = sum x * w + (bias - z_in * sum w) in int32, then the same
 * per-channel requantization. Integer sums do not depend on their order,
 * so the results are bit-identical.
 *
 * conv2d: for a tile of output pixels of one group, im2col columns are laid
 * out like a block row, [block col][ky][kx][8 cin] (padding cells and the
 * padded channels of the last block column hold z_in), so each output row of
 * a stored block is one contiguous dot product of 8 * kh * kw bytes with the
 * column segment of its block column. Padded channels contribute
 * (z_in - z_in) * w = 0 whatever the weight, as sum w covers the same lanes.
 * dense: per block row, 8 accumulators over the stored blocks' columns. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

#define B SPX_FMT_CBR_BLOCK
/* Output pixels per im2col tile (a multiple of 4). */
#define CBR_TILE 16

static int open_for(const void *w, size_t size, uint32_t rows, uint32_t cols,
                    uint32_t kh, uint32_t kw, uint32_t groups,
                    spx_fmt_cbr_view_t *v) {
  spx_fmt_cbr_dims_t d;
  if (kh > 0xffffu || kw > 0xffffu) return 0;
  d.rows = rows;
  d.cols = cols;
  d.kh = (uint16_t)kh;
  d.kw = (uint16_t)kw;
  d.groups = groups;
  return spx_fmt_cbr_open(w, size, &d, v, NULL) == SPX_FMT_CBR_OK;
}

/* ---- conv2d --------------------------------------------------------------- */

size_t spx_rt_conv2d_s8_cbr_get_buffer_size(const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  size_t kp;
  if (!p || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK) return 0;
  kp = (size_t)((p->c_in / p->groups + B - 1) / B) * B * (size_t)p->kh *
       (size_t)p->kw;
  return (size_t)p->c_out * sizeof(int32_t) + (size_t)CBR_TILE * kp;
}

/* im2col of `count` output pixels from p0 of one group, in block-row layout:
 * col[j * kp + ((c * kh + ky) * kw + kx) * 8 + ii] = in[c*8 + ii][iy][ix]. */
static void im2col_cbr(const spx_rt_conv2d_params_t *p, int32_t ow,
                       const int8_t *in_g, int32_t cin_g, int32_t p0,
                       int32_t count, int8_t zin, int8_t *col, size_t kp) {
  const size_t hw = (size_t)p->h * (size_t)p->w;
  const int32_t nbc = (cin_g + B - 1) / B;
  int32_t j, c, ky, kx, ii;
  for (j = 0; j < count; ++j) {
    int32_t oy = (p0 + j) / ow, ox = (p0 + j) % ow;
    int32_t iy0 = oy * p->stride[0] - p->pad[0];
    int32_t ix0 = ox * p->stride[1] - p->pad[1];
    int8_t *dst = col + (size_t)j * kp;
    for (c = 0; c < nbc; ++c) {
      int32_t nch = cin_g - c * B < B ? cin_g - c * B : B;
      for (ky = 0; ky < p->kh; ++ky) {
        int32_t iy = iy0 + ky * p->dilation[0];
        for (kx = 0; kx < p->kw; ++kx) {
          int32_t ix = ix0 + kx * p->dilation[1];
          int inside = iy >= 0 && iy < p->h && ix >= 0 && ix < p->w;
          const int8_t *src = in_g + (size_t)c * B * hw +
                              (inside ? (size_t)iy * (size_t)p->w + (size_t)ix : 0);
          for (ii = 0; ii < B; ++ii)
            *dst++ = (inside && ii < nch) ? src[(size_t)ii * hw] : zin;
        }
      }
    }
  }
}

spx_rt_status_t spx_rt_conv2d_s8_cbr(const spx_rt_conv2d_params_t *p,
                                     const spx_rt_requant_pc_t *q,
                                     const int8_t *input, const void *weights,
                                     size_t weights_size, const int32_t *bias,
                                     int8_t *output, void *scratch,
                                     size_t scratch_size) {
  spx_fmt_cbr_view_t v;
  int32_t oh, ow, n, g, p0, j, t;
  int32_t cin_g;
  uint32_t r, k, oo;
  size_t kp, plane, seg;
  int32_t *wsum;
  int8_t *col;
  spx_rt_status_t st;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  st = spx_rt_conv2d_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  cin_g = p->c_in / p->groups;
  if (!open_for(weights, weights_size, (uint32_t)p->c_out, (uint32_t)cin_g,
                (uint32_t)p->kh, (uint32_t)p->kw, (uint32_t)p->groups, &v))
    return SPX_RT_ERR_ARG;
  if (!scratch || scratch_size < spx_rt_conv2d_s8_cbr_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  seg = (size_t)B * (size_t)p->kh * (size_t)p->kw; /* one block row of one output */
  kp = (size_t)v.block_cols * seg;
  plane = (size_t)oh * (size_t)ow;
  wsum = (int32_t *)scratch;
  col = (int8_t *)(wsum + p->c_out);

  /* bias - z_in * sum(w) over the stored blocks (padded lanes included) */
  for (j = 0; j < p->c_out; ++j) wsum[j] = bias ? bias[j] : 0;
  for (r = 0; r < v.block_rows; ++r) {
    uint32_t o0, no;
    spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k)
      for (oo = 0; oo < no; ++oo)
        wsum[o0 + oo] -= q->in_zero_point *
                         spx_k_sum_s8(spx_fmt_cbr_block(&v, k) + oo * seg, seg);
  }

  for (n = 0; n < p->n; ++n) {
    for (g = 0; g < p->groups; ++g) {
      const int8_t *in_g = input + ((size_t)n * (size_t)p->c_in +
                                    (size_t)g * (size_t)cin_g) *
                                       (size_t)p->h * (size_t)p->w;
      for (p0 = 0; p0 < (int32_t)plane; p0 += CBR_TILE) {
        int32_t count = (int32_t)plane - p0;
        if (count > CBR_TILE) count = CBR_TILE;
        im2col_cbr(p, ow, in_g, cin_g, p0, count, (int8_t)q->in_zero_point, col, kp);
        for (r = (uint32_t)g * v.rows_per_group; r < (uint32_t)(g + 1) * v.rows_per_group; ++r) {
          int32_t acc[B][CBR_TILE];
          uint32_t o0, no;
          spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
          memset(acc, 0, sizeof acc);
          for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
            const int8_t *blk = spx_fmt_cbr_block(&v, k);
            const int8_t *cseg = col + (size_t)spx_fmt_cbr_col(&v, k) * seg;
            for (oo = 0; oo < no; ++oo) {
              const int8_t *wr = blk + oo * seg;
              for (j = 0; j < count; j += 4) {
                int32_t a4[4];
                int32_t m = count - j < 4 ? count - j : 4;
                /* columns past the tile end reuse column j; dropped */
                const int8_t *b0 = cseg + (size_t)j * kp;
                spx_k_dot_s8_1x4(wr, b0, m > 1 ? b0 + kp : b0, m > 2 ? b0 + 2 * kp : b0,
                                 m > 3 ? b0 + 3 * kp : b0, seg, a4);
                for (t = 0; t < m; ++t) acc[oo][j + t] += a4[t];
              }
            }
          }
          for (oo = 0; oo < no; ++oo) {
            const uint32_t oc = o0 + oo;
            const int32_t c0 = wsum[oc], mult = q->multiplier[oc];
            const int shift = (int)q->shift[oc];
            int8_t *out = output + ((size_t)n * (size_t)p->c_out + oc) * plane + (size_t)p0;
            for (j = 0; j < count; ++j)
              out[j] = spx_k_clamp_s8(
                  q->out_zero_point + spx_k_mbqm(acc[oo][j] + c0, mult, shift),
                  q->act_min, q->act_max);
          }
        }
      }
    }
  }
  return SPX_RT_OK;
}

/* ---- dense ---------------------------------------------------------------- */

size_t spx_rt_dense_s8_cbr_get_buffer_size(const spx_rt_dense_params_t *p) {
  if (!p || p->n <= 0 || p->features <= 0 || p->units <= 0) return 0;
  return (size_t)p->units * sizeof(int32_t);
}

spx_rt_status_t spx_rt_dense_s8_cbr(const spx_rt_dense_params_t *p,
                                    const spx_rt_requant_pc_t *q,
                                    const int8_t *input, const void *weights,
                                    size_t weights_size, const int32_t *bias,
                                    int8_t *output, void *scratch,
                                    size_t scratch_size) {
  spx_fmt_cbr_view_t v;
  int32_t n, u;
  uint32_t r, k, oo, ii;
  size_t nf;
  int32_t *c0;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  if (p->n <= 0 || p->features <= 0 || p->units <= 0) return SPX_RT_ERR_SHAPE;
  if (!open_for(weights, weights_size, (uint32_t)p->units, (uint32_t)p->features,
                1, 1, 1, &v))
    return SPX_RT_ERR_ARG;
  if (!scratch || scratch_size < spx_rt_dense_s8_cbr_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  nf = (size_t)p->features;
  c0 = (int32_t *)scratch;
  /* bias - z_in * sum(w), over the real columns of the stored blocks */
  for (u = 0; u < p->units; ++u) c0[u] = bias ? bias[u] : 0;
  for (r = 0; r < v.block_rows; ++r) {
    uint32_t o0, no;
    spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
    for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
      uint32_t i0, ni;
      const int8_t *blk = spx_fmt_cbr_block(&v, k);
      spx_fmt_cbr_block_col_span(&v.dims, spx_fmt_cbr_col(&v, k), &i0, &ni);
      for (oo = 0; oo < no; ++oo)
        c0[o0 + oo] -= q->in_zero_point * spx_k_sum_s8(blk + oo * B, ni);
    }
  }
  for (n = 0; n < p->n; ++n) {
    const int8_t *x = input + (size_t)n * nf;
    int8_t *out = output + (size_t)n * (size_t)p->units;
    for (r = 0; r < v.block_rows; ++r) {
      int32_t acc[B] = {0};
      uint32_t o0, no;
      spx_fmt_cbr_block_row_span(&v.dims, r, &o0, &no);
      for (k = spx_fmt_cbr_row_begin(&v, r); k < spx_fmt_cbr_row_end(&v, r); ++k) {
        uint32_t i0, ni;
        const int8_t *blk = spx_fmt_cbr_block(&v, k);
        spx_fmt_cbr_block_col_span(&v.dims, spx_fmt_cbr_col(&v, k), &i0, &ni);
        for (ii = 0; ii < ni; ++ii) {
          const int32_t xv = x[i0 + ii];
          for (oo = 0; oo < B; ++oo) acc[oo] += xv * blk[oo * B + ii];
        }
      }
      for (oo = 0; oo < no; ++oo)
        out[o0 + oo] = spx_k_clamp_s8(
            q->out_zero_point + spx_k_mbqm(acc[oo] + c0[o0 + oo], q->multiplier[o0 + oo],
                                           (int)q->shift[o0 + oo]),
            q->act_min, q->act_max);
    }
  }
  return SPX_RT_OK;
}
