/* spx_bbs.c - int8 conv2d and dense that run BBS-encoded weights directly
 * (runtime/formats spx_formats.h, "BBS"), bit-exact with spx_rt_conv2d_s8 /
 * spx_rt_dense_s8 on the decoded weights.
 *
 * A tile of output pixels (conv) or batch rows (dense) is laid out in the
 * caller's scratch as a = x - z_in (int16, 0 at padding cells), one row of
 * TILE values per (tap, input channel), plus the sum of a over every half
 * group (8 lanes) for each pixel. Each group of an encoded row then adds to
 * the accumulators, per kept column j with place value P_j:
 *     P_j * sum over halves h of   sum_{lanes with bit 1} s_i a_i     (ones)
 *                              or  S_h - sum_{lanes with bit 0} s_i a_i (zeros)
 * the direction chosen per half as the hardware does (2 * ones > lanes ->
 * zeros), S_h = sum over the half of s_i a_i (s_i the sign column of a
 * zp_shift group, else +1; for zp_shift S_h itself comes from the sign
 * column, processed the same way), plus offset * sum of a over the group
 * (C for round_avg, -c for zp_shift). Every term is an exact int32 sum of
 * the same products as sum_i w'_i (x_i - z_in), so
 *     acc = bias + sum w' (x - z_in) = sum x w' - z_in sum w' + bias
 * exactly as the dense kernels compute it, then the same requantization. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h"

#define TILE 16

typedef struct bbs_geom {
  uint32_t taps, cols, ng, hb; /* kh*kw, I, groups per tap, halves/group */
  unsigned ge;
} bbs_geom_t;

/* acc[j] = sum over the encoded row p of w' * a for pixels j < count. */
static void row_dot(const spx_fmt_bbs_view_t *v, const bbs_geom_t *gm, uint32_t p,
                    const int16_t *col, const int32_t *hsum, int32_t *acc) {
  uint32_t t, g;
  int j;
  for (j = 0; j < TILE; ++j) acc[j] = 0;
  for (t = 0; t < gm->taps; ++t) {
    for (g = 0; g < gm->ng; ++g) {
      spx_fmt_bbs_group_t grp;
      const int16_t *a0 = col + ((size_t)t * gm->cols + (size_t)g * gm->ge) * TILE;
      const int32_t *hs = hsum + ((size_t)t * gm->ng + g) * gm->hb * TILE;
      int32_t sas[4][TILE], cs[TILE];
      unsigned nh, h, c, l;
      spx_fmt_bbs_group_get(v, p, t, g, &grp);
      nh = spx_fmt_bbs_halves(grp.lanes);
      /* offset * sum(a) */
      if (grp.offset)
        for (h = 0; h < nh; ++h)
          for (j = 0; j < TILE; ++j) acc[j] += grp.offset * hs[h * TILE + j];
      /* zp_shift: S_h = sum s_i a_i = sum a - 2 sum_{sign 1} a, the sign
       * column processed on its ones or zeros */
      for (h = 0; h < nh; ++h) {
        const int32_t *hh = hs + h * TILE;
        if (!grp.sign_column) {
          for (j = 0; j < TILE; ++j) sas[h][j] = hh[j];
          continue;
        }
        {
          unsigned bits = spx_fmt_bbs_half_bits(&grp, 0, h);
          unsigned n = spx_fmt_bbs_half_lanes(grp.lanes, h);
          unsigned zeros = spx_fmt_bbs_direction(&grp, 0, h);
          unsigned sel = zeros ? (~bits & ((1u << n) - 1u)) : bits;
          int32_t neg[TILE]; /* sum_{sign 1} a */
          for (j = 0; j < TILE; ++j) neg[j] = zeros ? hh[j] : 0;
          for (l = 0; l < n; ++l) {
            const int16_t *al = a0 + (size_t)(8 * h + l) * TILE;
            if (!((sel >> l) & 1u)) continue;
            if (zeros)
              for (j = 0; j < TILE; ++j) neg[j] -= al[j];
            else
              for (j = 0; j < TILE; ++j) neg[j] += al[j];
          }
          for (j = 0; j < TILE; ++j) sas[h][j] = hh[j] - 2 * neg[j];
        }
      }
      for (c = grp.sign_column; c < grp.n_cols; ++c) {
        for (j = 0; j < TILE; ++j) cs[j] = 0;
        for (h = 0; h < nh; ++h) {
          unsigned bits = spx_fmt_bbs_half_bits(&grp, c, h);
          unsigned n = spx_fmt_bbs_half_lanes(grp.lanes, h);
          unsigned zeros = spx_fmt_bbs_direction(&grp, c, h);
          unsigned sel = zeros ? (~bits & ((1u << n) - 1u)) : bits;
          unsigned signs = grp.sign_column ? spx_fmt_bbs_half_bits(&grp, 0, h) : 0;
          if (zeros)
            for (j = 0; j < TILE; ++j) cs[j] += sas[h][j];
          for (l = 0; l < n; ++l) {
            const int16_t *al = a0 + (size_t)(8 * h + l) * TILE;
            /* + s_i a_i for a one, - s_i a_i for a zero taken off S_h */
            int sub = (int)zeros ^ (int)((signs >> l) & 1u);
            if (!((sel >> l) & 1u)) continue;
            if (sub)
              for (j = 0; j < TILE; ++j) cs[j] -= al[j];
            else
              for (j = 0; j < TILE; ++j) cs[j] += al[j];
          }
        }
        for (j = 0; j < TILE; ++j) acc[j] += grp.place[c] * cs[j];
      }
    }
  }
}

/* Sums of a over every half group of every tap, per pixel. */
static void half_sums(const bbs_geom_t *gm, const int16_t *col, int32_t *hsum) {
  uint32_t t, g, h;
  int j;
  for (t = 0; t < gm->taps; ++t)
    for (g = 0; g < gm->ng; ++g) {
      uint32_t c0 = g * gm->ge;
      uint32_t lanes = gm->cols - c0 < gm->ge ? gm->cols - c0 : gm->ge;
      for (h = 0; h < gm->hb; ++h) {
        int32_t *out = hsum + (((size_t)t * gm->ng + g) * gm->hb + h) * TILE;
        uint32_t l, l1 = 8 * h + 8 < lanes ? 8 * h + 8 : lanes;
        for (j = 0; j < TILE; ++j) out[j] = 0;
        for (l = 8 * h; l < l1; ++l) {
          const int16_t *al = col + ((size_t)t * gm->cols + c0 + l) * TILE;
          for (j = 0; j < TILE; ++j) out[j] += al[j];
        }
      }
    }
}

static void geom_of(const spx_fmt_bbs_view_t *v, bbs_geom_t *gm) {
  gm->taps = (uint32_t)v->dims.kh * v->dims.kw;
  gm->cols = v->dims.cols;
  gm->ge = v->group_eff;
  gm->ng = v->groups_per_tap;
  gm->hb = (v->group_eff + 7) / 8;
}

/* Encoded row of each output channel. */
static void rows_of(const spx_fmt_bbs_view_t *v, uint32_t *row_of) {
  uint32_t p;
  for (p = 0; p < v->dims.rows; ++p) row_of[spx_fmt_bbs_row_channel(v, p)] = p;
}

/* scratch: row_of u32[rows], col int16[K][TILE], hsum int32[K][TILE]
 * (half groups per pixel <= K, see spx_formats.h). */
static size_t bbs_scratch(size_t rows, size_t k) {
  return rows * sizeof(uint32_t) + k * TILE * sizeof(int16_t) +
         k * TILE * sizeof(int32_t);
}

/* ---- conv2d ------------------------------------------------------------ */

size_t spx_rt_conv2d_s8_bbs_get_buffer_size(const spx_rt_conv2d_params_t *p) {
  int32_t oh, ow;
  if (!p || spx_rt_conv2d_out_dims(p, &oh, &ow) != SPX_RT_OK) return 0;
  return bbs_scratch((size_t)p->c_out,
                     (size_t)(p->c_in / p->groups) * (size_t)p->kh * (size_t)p->kw);
}

spx_rt_status_t spx_rt_conv2d_s8_bbs(const spx_rt_conv2d_params_t *p,
                                     const spx_rt_requant_pc_t *q,
                                     const int8_t *input, const void *weights,
                                     size_t weights_size, const int32_t *bias,
                                     int8_t *output, void *scratch,
                                     size_t scratch_size) {
  int32_t oh, ow, n, g, oc, p0, j;
  int32_t cin_g, cout_g;
  size_t k, plane;
  spx_fmt_bbs_dims_t dims;
  spx_fmt_bbs_view_t v;
  bbs_geom_t gm;
  uint32_t *row_of;
  int16_t *col;
  int32_t *hsum;
  spx_rt_status_t st;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  st = spx_rt_conv2d_out_dims(p, &oh, &ow);
  if (st != SPX_RT_OK) return st;
  if (!scratch || scratch_size < spx_rt_conv2d_s8_bbs_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  cin_g = p->c_in / p->groups;
  cout_g = p->c_out / p->groups;
  if (p->c_out > SPX_FMT_BBS_MAX_ROWS || p->kh > 65535 || p->kw > 65535)
    return SPX_RT_ERR_SHAPE;
  dims.rows = (uint32_t)p->c_out;
  dims.cols = (uint32_t)cin_g;
  dims.kh = (uint16_t)p->kh;
  dims.kw = (uint16_t)p->kw;
  if (spx_fmt_bbs_open(weights, weights_size, &dims, &v, NULL) != SPX_FMT_BBS_OK)
    return SPX_RT_ERR_ARG;
  geom_of(&v, &gm);
  k = (size_t)cin_g * gm.taps;
  plane = (size_t)oh * (size_t)ow;
  row_of = (uint32_t *)scratch;
  col = (int16_t *)(row_of + p->c_out);
  hsum = (int32_t *)(col + k * TILE);
  rows_of(&v, row_of);
  for (n = 0; n < p->n; ++n) {
    for (g = 0; g < p->groups; ++g) {
      const int8_t *in_g = input + ((size_t)n * (size_t)p->c_in +
                                    (size_t)g * (size_t)cin_g) *
                                       (size_t)p->h * (size_t)p->w;
      for (p0 = 0; p0 < (int32_t)plane; p0 += TILE) {
        int32_t count = (int32_t)plane - p0, ky, kx, ci;
        if (count > TILE) count = TILE;
        /* col[(tap * I + ci) * TILE + j] = x - z_in, 0 at padding and for
         * pixels past the tile's end */
        for (ky = 0; ky < p->kh; ++ky)
          for (kx = 0; kx < p->kw; ++kx)
            for (ci = 0; ci < cin_g; ++ci) {
              int16_t *row = col + ((size_t)(ky * p->kw + kx) * (size_t)cin_g +
                                    (size_t)ci) * TILE;
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
                row[j] = (int16_t)(plane_in[(size_t)iy * (size_t)p->w + (size_t)ix] -
                                   q->in_zero_point);
              }
            }
        half_sums(&gm, col, hsum);
        for (oc = g * cout_g; oc < (g + 1) * cout_g; ++oc) {
          int32_t acc[TILE];
          const int32_t b = bias ? bias[oc] : 0, mult = q->multiplier[oc];
          const int shift = (int)q->shift[oc];
          int8_t *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * plane +
                        (size_t)p0;
          row_dot(&v, &gm, row_of[oc], col, hsum, acc);
          for (j = 0; j < count; ++j)
            out[j] = spx_k_clamp_s8(q->out_zero_point + spx_k_mbqm(acc[j] + b, mult, shift),
                                    q->act_min, q->act_max);
        }
      }
    }
  }
  return SPX_RT_OK;
}

/* ---- dense -------------------------------------------------------------- */

size_t spx_rt_dense_s8_bbs_get_buffer_size(const spx_rt_dense_params_t *p) {
  if (!p || p->n <= 0 || p->features <= 0 || p->units <= 0) return 0;
  return bbs_scratch((size_t)p->units, (size_t)p->features);
}

spx_rt_status_t spx_rt_dense_s8_bbs(const spx_rt_dense_params_t *p,
                                    const spx_rt_requant_pc_t *q,
                                    const int8_t *input, const void *weights,
                                    size_t weights_size, const int32_t *bias,
                                    int8_t *output, void *scratch,
                                    size_t scratch_size) {
  int32_t n0, u, j, f;
  size_t nf;
  spx_fmt_bbs_dims_t dims;
  spx_fmt_bbs_view_t v;
  bbs_geom_t gm;
  uint32_t *row_of;
  int16_t *col;
  int32_t *hsum;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  if (p->n <= 0 || p->features <= 0 || p->units <= 0) return SPX_RT_ERR_SHAPE;
  if (!scratch || scratch_size < spx_rt_dense_s8_bbs_get_buffer_size(p))
    return SPX_RT_ERR_BUFFER;
  if (p->units > SPX_FMT_BBS_MAX_ROWS) return SPX_RT_ERR_SHAPE;
  dims.rows = (uint32_t)p->units;
  dims.cols = (uint32_t)p->features;
  dims.kh = 1;
  dims.kw = 1;
  if (spx_fmt_bbs_open(weights, weights_size, &dims, &v, NULL) != SPX_FMT_BBS_OK)
    return SPX_RT_ERR_ARG;
  geom_of(&v, &gm);
  nf = (size_t)p->features;
  row_of = (uint32_t *)scratch;
  col = (int16_t *)(row_of + p->units);
  hsum = (int32_t *)(col + nf * TILE);
  rows_of(&v, row_of);
  for (n0 = 0; n0 < p->n; n0 += TILE) {
    int32_t count = p->n - n0 < TILE ? p->n - n0 : TILE;
    for (f = 0; f < p->features; ++f)
      for (j = 0; j < TILE; ++j)
        col[(size_t)f * TILE + (size_t)j] =
            j < count ? (int16_t)(input[(size_t)(n0 + j) * nf + (size_t)f] - q->in_zero_point)
                      : 0;
    half_sums(&gm, col, hsum);
    for (u = 0; u < p->units; ++u) {
      int32_t acc[TILE];
      const int32_t b = bias ? bias[u] : 0;
      row_dot(&v, &gm, row_of[u], col, hsum, acc);
      for (j = 0; j < count; ++j)
        output[(size_t)(n0 + j) * (size_t)p->units + (size_t)u] = spx_k_clamp_s8(
            q->out_zero_point + spx_k_mbqm(acc[j] + b, q->multiplier[u], (int)q->shift[u]),
            q->act_min, q->act_max);
    }
  }
  return SPX_RT_OK;
}
