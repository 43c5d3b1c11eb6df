/* spx_lp.c - conv2d and dense on the LP integer datapath (docs/numerics.md,
 * "LP layers"; weights: runtime/formats/spx_formats.h, "LP").
 *
 * Per output element, in the order of the weights (OIHW: input channel,
 * then ky, then kx; padding cells skipped):
 *   a = act_table[x + 128] (the int8 input's LP code), w = the weight code;
 *   zero or NaR on either side: nothing (NaR never occurs in a valid
 *   encoding: the encoder saturates, the table is of finite values);
 *   P = La(a) + Lw(w), the log-domain exponents with F = max(Fa, Fw)
 *   fraction bits (spx_lp_log_code, shifted to F); I = floor(P / 2^F),
 *   j = P mod 2^F;
 *   term = T[j] * 2^(I + A - 30) with T[j] = round(2^(j / 2^F) * 2^30):
 *   a left shift, or a right shift rounding half up (0 from 32 places on),
 *   saturated at 2^62;
 *   acc (int64, starting at the bias) += +-term, saturated to +-2^62;
 * then out = clamp(z_out + sign(acc) * ((|acc| * M + 2^(R-1)) >> R),
 * act_min, act_max) with R = 31 - shift + A, (M, shift) the layer's
 * requantization of 1 / s_out.
 *
 * Scratch (4-byte aligned): int32 T[2^F], the 256 activation operands and
 * one operand per weight, each (L << 1 | sign), INT32_MIN for zero/NaR. */
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/spx_numfmt.h"
#include "runtime/kernels/kernels_internal.h"

#define NONE INT32_MIN
#define SAT ((int64_t)1 << 62)
#define OFFSET ((int32_t)1 << 28) /* a multiple of 2^F: floor division */

static size_t scratch_bytes(const spx_fmt_lp_view_t *v, unsigned F) {
  return ((size_t)1 << F) * 4u + 256u * 4u + spx_fmt_dims_count(&v->dims) * 4u;
}

static unsigned common_frac(const spx_numfmt_t *wf, const spx_numfmt_t *af) {
  unsigned fw = spx_lp_log_frac_bits(wf), fa = spx_lp_log_frac_bits(af);
  return fw > fa ? fw : fa;
}

size_t spx_rt_lp_buffer_size(const void *weights, size_t weights_size,
                             const spx_fmt_dims_t *dims) {
  spx_fmt_lp_view_t v;
  spx_numfmt_t wf, af;
  if (spx_fmt_lp_open(weights, weights_size, dims, &v, NULL) != SPX_RT_OK ||
      spx_fmt_lp_formats(&v.p, &wf, &af, NULL) != SPX_RT_OK)
    return 0;
  return scratch_bytes(&v, common_frac(&wf, &af));
}

int32_t spx_rt_lp_exp2_entry(uint32_t j, unsigned F) {
  int dir = 0;
  double v = spx_lp_exp2_frac(j, F, &dir) * 1073741824.0; /* exact scaling */
  double t = (double)(int64_t)v, frac = v - t;
  if (frac > 0.5 || (frac == 0.5 && dir > 0)) t += 1.0;
  return (int32_t)t;
}

static int32_t operand(const spx_numfmt_t *f, uint32_t code, unsigned F) {
  int32_t L = spx_lp_log_code(f, code);
  if (L == SPX_LP_LOG_ZERO || L == SPX_LP_LOG_NAR) return NONE;
  L *= (int32_t)1 << (F - spx_lp_log_frac_bits(f));
  return (int32_t)((uint32_t)L << 1) | (int32_t)((code >> (f->n - 1)) & 1u);
}

/* sign(acc) * round_half_away(|acc| * M / 2^R), saturated to +-2^31. */
static int64_t scale_out(int64_t acc, int32_t M, unsigned R) {
  uint64_t u = acc < 0 ? (uint64_t)(-acc) : (uint64_t)acc, hi, lo, a, q;
  if (R >= 95) return 0; /* |acc| * M < 2^93 */
  a = (u & 0xffffffffu) * (uint64_t)M;
  hi = (u >> 32) * (uint64_t)M + (a >> 32);
  lo = a & 0xffffffffu;
  /* + 2^(R - 1) */
  if (R - 1 >= 32) hi += (uint64_t)1 << (R - 33);
  else {
    lo += (uint64_t)1 << (R - 1);
    hi += lo >> 32;
    lo &= 0xffffffffu;
  }
  if (R >= 32) q = R - 32 >= 64 ? 0 : hi >> (R - 32);
  else if (hi >> 30) q = (uint64_t)1 << 31;
  else q = (hi << (32 - R)) | (lo >> R);
  if (q > ((uint64_t)1 << 31)) q = (uint64_t)1 << 31;
  return acc < 0 ? -(int64_t)q : (int64_t)q;
}

spx_rt_status_t spx_rt_conv2d_lp(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                                 const int8_t *input, const void *weights, size_t weights_size,
                                 int8_t *output, void *scratch, size_t scratch_size) {
  spx_fmt_dims_t d;
  spx_fmt_lp_view_t v;
  spx_numfmt_t wf, af;
  int32_t oh, ow, n, oc, ic, ky, kx, oy, ox, cin_g, cout_g, *T, *ap, *wp;
  unsigned F, A;
  size_t count, i, per;
  spx_rt_status_t st;
  if (!p || !q || !input || !weights || !output || !q->multiplier || !q->shift)
    return SPX_RT_ERR_ARG;
  if ((st = spx_rt_conv2d_out_dims(p, &oh, &ow)) != SPX_RT_OK) return st;
  if (p->kh > 0xffff || p->kw > 0xffff) return SPX_RT_ERR_SHAPE;
  d.rows = (uint32_t)p->c_out;
  d.cols = (uint32_t)(p->c_in / p->groups);
  d.kh = (uint16_t)p->kh;
  d.kw = (uint16_t)p->kw;
  d.groups = (uint32_t)p->groups;
  if (spx_fmt_lp_open(weights, weights_size, &d, &v, NULL) != SPX_RT_OK ||
      spx_fmt_lp_formats(&v.p, &wf, &af, NULL) != SPX_RT_OK)
    return SPX_RT_ERR_ARG;
  F = common_frac(&wf, &af);
  A = v.p.acc_frac;
  if (!scratch || ((uintptr_t)scratch & 3u) || scratch_size < scratch_bytes(&v, F))
    return SPX_RT_ERR_BUFFER;
  T = (int32_t *)scratch;
  ap = T + ((size_t)1 << F);
  wp = ap + 256;
  for (i = 0; i < ((size_t)1 << F); i++) T[i] = spx_rt_lp_exp2_entry((uint32_t)i, F);
  for (i = 0; i < 256; i++) ap[i] = operand(&af, spx_fmt_lp_act_code(&v, (int)i - 128), F);
  count = spx_fmt_dims_count(&d);
  per = count / d.rows;
  for (i = 0; i < count; i++) wp[i] = operand(&wf, spx_fmt_lp_code_at(&v, i), F);
  for (oc = 0; oc < p->c_out; ++oc) {
    int32_t sh = q->shift[oc];
    if (sh > 30 || 31 - sh + (int32_t)A > 31 + 62 + 32) return SPX_RT_ERR_ARG;
  }
  cin_g = p->c_in / p->groups;
  cout_g = p->c_out / p->groups;
  for (n = 0; n < p->n; ++n)
    for (oc = 0; oc < p->c_out; ++oc) {
      const int32_t g = oc / cout_g;
      const int32_t *wrow = wp + (size_t)oc * per;
      const int64_t bias = spx_fmt_lp_bias_at(&v, (uint32_t)oc);
      const unsigned R = (unsigned)(31 - q->shift[oc] + (int32_t)A);
      int8_t *out = output + ((size_t)n * (size_t)p->c_out + (size_t)oc) * (size_t)oh * (size_t)ow;
      for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox) {
          int64_t acc = bias < -SAT ? -SAT : bias > SAT ? SAT : bias;
          int64_t r;
          for (ic = 0; ic < cin_g; ++ic) {
            const int8_t *plane = input + ((size_t)n * (size_t)p->c_in + (size_t)(g * cin_g + ic)) *
                                              (size_t)p->h * (size_t)p->w;
            for (ky = 0; ky < p->kh; ++ky) {
              int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
              if (iy < 0 || iy >= p->h) continue;
              for (kx = 0; kx < p->kw; ++kx) {
                int32_t ix = ox * p->stride[1] + kx * p->dilation[1] - p->pad[1];
                int32_t a, w, P, I, s;
                uint32_t u;
                int64_t term;
                if (ix < 0 || ix >= p->w) continue;
                a = ap[plane[(size_t)iy * (size_t)p->w + (size_t)ix] + 128];
                w = wrow[((size_t)ic * (size_t)p->kh + (size_t)ky) * (size_t)p->kw + (size_t)kx];
                if (a == NONE || w == NONE) continue;
                P = (a >> 1) + (w >> 1); /* arithmetic shift: (L << 1) >> 1 = L */
                u = (uint32_t)(P + OFFSET);
                I = (int32_t)(u >> F) - (OFFSET >> F);
                s = I + (int32_t)A - SPX_FMT_LP_EXP_BITS;
                {
                  const int64_t t = T[u & (((uint32_t)1 << F) - 1u)];
                  if (s >= 0) term = s > 31 ? SAT : t << s;
                  else if (s <= -32) term = 0;
                  else term = (t + ((int64_t)1 << (-s - 1))) >> -s;
                }
                if (term > SAT) term = SAT;
                /* acc + -term, saturated to +-2^62 (compared first: the sum
                 * of two 2^62 would overflow) */
                if ((a ^ w) & 1)
                  acc = acc < term - SAT ? -SAT : acc - term;
                else
                  acc = acc > SAT - term ? SAT : acc + term;
              }
            }
          }
          r = q->out_zero_point + scale_out(acc, q->multiplier[oc], R);
          out[(size_t)oy * (size_t)ow + (size_t)ox] =
              (int8_t)(r < q->act_min ? q->act_min : r > q->act_max ? q->act_max : r);
        }
    }
  return SPX_RT_OK;
}

/* Dense is the 1x1 conv of [N][F] as [N][F][1][1]. */
static void dense_as_conv(const spx_rt_dense_params_t *p, spx_rt_conv2d_params_t *c) {
  memset(c, 0, sizeof *c);
  c->n = p->n;
  c->c_in = p->features;
  c->h = c->w = 1;
  c->c_out = p->units;
  c->kh = c->kw = 1;
  c->stride[0] = c->stride[1] = 1;
  c->dilation[0] = c->dilation[1] = 1;
  c->groups = 1;
  c->act = p->act;
}

spx_rt_status_t spx_rt_dense_lp(const spx_rt_dense_params_t *p, const spx_rt_requant_pc_t *q,
                                const int8_t *input, const void *weights, size_t weights_size,
                                int8_t *output, void *scratch, size_t scratch_size) {
  spx_rt_conv2d_params_t c;
  if (!p || p->n <= 0 || p->features <= 0 || p->units <= 0) return SPX_RT_ERR_ARG;
  dense_as_conv(p, &c);
  return spx_rt_conv2d_lp(&c, q, input, weights, weights_size, output, scratch, scratch_size);
}
