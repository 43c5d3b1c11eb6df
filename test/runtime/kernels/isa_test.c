/* spx-isa-test: the instruction-set paths of the int8 conv2d / dense kernels
 * (runtime/kernels/spx_fast_s8.c, spx_isa.c). Usage:
 *   spx-isa-test paths     every path the CPU has, forced in turn
 *                          (spx_rt_kernels_set_isa), on random layers with
 *                          dense int8 and CBR weights: each path's output
 *                          equal, bit for bit, to the portable C path's and
 *                          to a direct loop reference written here from the
 *                          definition (docs/numerics.md: acc = bias +
 *                          sum w * (x - z_in) in int64, then spx_rt_mbqm);
 *                          ragged shapes, padding, dilation, strides 1-3,
 *                          groups, depthwise (channel multiplier 1 or 2),
 *                          fixed ResNet-like strided and 1x1 shapes,
 *                          fixed depthwise shapes (strides 1-4, one per
 *                          axis, odd sizes, asymmetric padding, dilation,
 *                          wide kernels, ragged channel counts) and
 *                          depthwise taps beyond int8 (a residual),
 *                          batch, zero points at -128 and 127,
 *                          positive and negative shifts, the fused sign;
 *                          and the int8 add the cpu device and generated C
 *                          run (spx_k_fast_add_s8 where the path takes the
 *                          parameters, else spx_rt_add_s8) against the
 *                          definition (each operand's and the sum's mbqm);
 *                          and the int8 requantization of relu / relu6
 *                          (spx_k_fast_requant_s8, else
 *                          spx_rt_requantize_s8) against the definition
 *   spx-isa-test current   the path in use (SPX_ISA, or the best one)
 * Prints one line per path and "FAIL ..." lines on mismatch; exit 1 on any
 * failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/kernels_internal.h" /* spx_k_fast_add_s8, _requant_s8 */
#include "runtime/kernels/spx_kernels.h"

static int failures;

/* xorshift64*: deterministic */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}
static int32_t rr(int32_t lo, int32_t hi) { /* [lo, hi] */
  return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static void *xcalloc(size_t n, size_t s) {
  void *p = calloc(n ? n : 1, s ? s : 1);
  if (!p) {
    fprintf(stderr, "spx-isa-test: out of memory\n");
    exit(1);
  }
  return p;
}

static int32_t zero_point(void) {
  switch (rnd() % 4) {
  case 0: return -128;
  case 1: return 127;
  default: return rr(-128, 127);
  }
}

/* Requantization of a layer: random multipliers (now and then INT32_MIN or
 * tiny), shifts from -31 to +3, the
 * output range of a random activation (or the fused sign). */
typedef struct layer_q {
  spx_rt_requant_pc_t q;
  int32_t *mult, *shift, *bias;
} layer_q_t;

static void random_q(layer_q_t *l, int32_t channels, int32_t k) {
  int32_t c;
  l->mult = xcalloc((size_t)channels, sizeof(int32_t));
  l->shift = xcalloc((size_t)channels, sizeof(int32_t));
  l->bias = xcalloc((size_t)channels, sizeof(int32_t));
  for (c = 0; c < channels; ++c) {
    l->mult[c] = (int32_t)((1u << 30) + (rnd() & 0x3fffffffu));
    if (rnd() % 64 == 0) l->mult[c] = INT32_MIN; /* srdhm's saturating case */
    if (rnd() % 64 == 0) l->mult[c] = rr(0, 1000);
    l->shift[c] = rnd() % 8 == 0 ? rr(-31, -18) : rr(-12, 3) - (k > 64 ? 4 : 0);
    l->bias[c] = rr(-40000, 40000);
  }
  l->q.in_zero_point = zero_point();
  l->q.out_zero_point = zero_point();
  l->q.multiplier = l->mult;
  l->q.shift = l->shift;
  switch (rnd() % 5) {
  case 0: /* the fused sign */
    l->q.act_min = 1;
    l->q.act_max = -1;
    break;
  case 1: /* relu */
    l->q.act_min = l->q.out_zero_point;
    l->q.act_max = 127;
    break;
  case 2: /* a clamp inside the int8 range (relu6, hard tanh), min below or above z_out */
    l->q.act_min = rr(-128, l->q.out_zero_point < 120 ? l->q.out_zero_point + 4 : 123);
    l->q.act_max = rr(l->q.act_min, 126);
    break;
  default:
    l->q.act_min = -128;
    l->q.act_max = 127;
  }
}

static int8_t ref_out(int64_t acc, const spx_rt_requant_pc_t *q, int32_t c) {
  int32_t v;
  if (q->act_min > q->act_max) return (int8_t)(acc >= 0 ? 1 : -1);
  v = q->out_zero_point + spx_rt_mbqm((int32_t)acc, q->multiplier[c], (int)q->shift[c]);
  if (v < q->act_min) v = q->act_min;
  if (v > q->act_max) v = q->act_max;
  return (int8_t)v;
}

/* Direct conv2d from the definition. */
static void ref_conv(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                     const int8_t *in, const int32_t *w, const int32_t *bias, int32_t oh,
                     int32_t ow, int8_t *out) {
  const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
  int32_t n, oc, oy, ox, ic, ky, kx;
  for (n = 0; n < p->n; ++n)
    for (oc = 0; oc < p->c_out; ++oc)
      for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox) {
          int64_t acc = bias[oc];
          const int32_t g = oc / cout_g;
          for (ic = 0; ic < cin_g; ++ic)
            for (ky = 0; ky < p->kh; ++ky)
              for (kx = 0; kx < p->kw; ++kx) {
                const int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
                const int32_t ix = ox * p->stride[1] + kx * p->dilation[1] - p->pad[1];
                int32_t x;
                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) continue;
                x = in[(((size_t)n * (size_t)p->c_in + (size_t)(g * cin_g + ic)) *
                            (size_t)p->h + (size_t)iy) * (size_t)p->w + (size_t)ix];
                acc += (int64_t)w[(((size_t)oc * (size_t)cin_g + (size_t)ic) * (size_t)p->kh +
                                   (size_t)ky) * (size_t)p->kw + (size_t)kx] *
                       (x - q->in_zero_point);
              }
          out[(((size_t)n * (size_t)p->c_out + (size_t)oc) * (size_t)oh + (size_t)oy) *
                  (size_t)ow + (size_t)ox] = ref_out(acc, q, oc);
        }
}

/* Zeroes random 8x8 blocks (conv: 8 output x 8 input channels, all taps) of
 * OIHW weights, keeping about keep_pct percent. */
static void prune(int8_t *w, int32_t m, int32_t k, int32_t taps, int32_t groups,
                  int keep_pct) {
  const int32_t mg = m / groups;
  int32_t o, i, t;
  for (o = 0; o < m; ++o)
    for (i = 0; i < k; ++i) {
      /* block (group, row block, col block): a hash of it decides */
      uint32_t h = (uint32_t)((o / mg) * 7919 + ((o % mg) / 8) * 131 + (i / 8) * 17 + 1);
      h = (h * 2654435761u) >> 16;
      if ((int)(h % 100) >= keep_pct)
        for (t = 0; t < taps; ++t) w[((size_t)o * (size_t)k + (size_t)i) * (size_t)taps + (size_t)t] = 0;
    }
}

static int isas[SPX_RT_ISA_COUNT], n_isas;

/* Path k's status and output against the reference and the first path's
 * (kept when k = 0); 0 when the run failed. */
static int check_out(spx_rt_status_t st, const int8_t *out, const int8_t *ref, int8_t *first,
                     size_t nout, int k, const char *what) {
  size_t i;
  const char *isa = spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]);
  if (st != SPX_RT_OK) {
    printf("FAIL %s %s: status %d\n", what, isa, (int)st);
    failures++;
    return 0;
  }
  if (k == 0) memcpy(first, out, nout);
  for (i = 0; i < nout; ++i)
    if (out[i] != ref[i] || out[i] != first[i]) {
      printf("FAIL %s %s: output %zu is %d, reference %d, c path %d\n", what, isa, i, out[i],
             ref[i], first[i]);
      failures++;
      break;
    }
  return 1;
}

/* Runs the layer on every path, in `fmt` (dense int8 or CBR), and compares
 * with ref. */
static void run_conv(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                     const int8_t *in, const int8_t *w, const int32_t *bias, int32_t oh,
                     int32_t ow, int cbr, const char *what, int *checked) {
  const size_t nout = (size_t)p->n * (size_t)p->c_out * (size_t)oh * (size_t)ow;
  const size_t nw = (size_t)p->c_out * (size_t)(p->c_in / p->groups) * (size_t)p->kh * (size_t)p->kw;
  int8_t *ref = xcalloc(nout, 1), *out = xcalloc(nout, 1), *first = xcalloc(nout, 1);
  const spx_fmt_desc_t *f = cbr ? &spx_fmt_desc_CBR : &spx_fmt_desc_DENSE;
  const void *wb = w;
  uint8_t *enc = NULL;
  size_t wlen = 0, ss, i;
  void *scratch;
  int32_t *w32 = xcalloc(nw, sizeof *w32);
  int k;
  for (i = 0; i < nw; ++i) w32[i] = w[i];
  ref_conv(p, q, in, w32, bias, oh, ow, ref);
  free(w32);
  if (cbr) {
    spx_fmt_cbr_dims_t d;
    d.rows = (uint32_t)p->c_out;
    d.cols = (uint32_t)(p->c_in / p->groups);
    d.kh = (uint16_t)p->kh;
    d.kw = (uint16_t)p->kw;
    d.groups = (uint32_t)p->groups;
    wlen = spx_fmt_cbr_encoded_size(&d, w);
    enc = xcalloc(wlen, 1);
    if (spx_fmt_cbr_encode(&d, w, enc, wlen, &wlen) != SPX_RT_OK) {
      printf("FAIL %s: cbr encode\n", what);
      failures++;
      return;
    }
    wb = enc;
  }
  ss = spx_rt_conv2d_s8_fmt_get_buffer_size(f, p);
  /* an odd scratch address: the kernels may assume 4-byte alignment only */
  scratch = (uint8_t *)xcalloc(ss + 8, 1);
  for (k = 0; k < n_isas; ++k) {
    spx_rt_status_t st;
    spx_rt_kernels_set_isa((spx_rt_isa_t)isas[k]);
    memset(out, 0x5a, nout);
    st = spx_rt_conv2d_s8_fmt(f, p, q, in, wb, wlen, bias, out, (uint8_t *)scratch + 4, ss);
    if (!check_out(st, out, ref, first, nout, k, what)) continue;
  }
  ++*checked;
  free(scratch);
  free(enc);
  free(ref);
  free(out);
  free(first);
}

/* One conv layer (p set, out dims valid): random data, dense int8 then CBR
 * with a random share of its blocks pruned. */
static void conv_layer(const spx_rt_conv2d_params_t *pp, int32_t oh, int32_t ow, int *checked) {
  const spx_rt_conv2d_params_t p = *pp;
  const int32_t cin_g = p.c_in / p.groups, taps = p.kh * p.kw;
  layer_q_t l;
  size_t nin, nw, i;
  int8_t *in, *w;
  char what[160];
  random_q(&l, p.c_out, cin_g * taps);
  nin = (size_t)p.n * (size_t)p.c_in * (size_t)p.h * (size_t)p.w;
  nw = (size_t)p.c_out * (size_t)cin_g * (size_t)taps;
  in = xcalloc(nin, 1);
  w = xcalloc(nw, 1);
  for (i = 0; i < nin; ++i) in[i] = (int8_t)rr(-128, 127);
  for (i = 0; i < nw; ++i) w[i] = (int8_t)rr(-127, 127);
  snprintf(what, sizeof what,
           "conv n%d %dx%dx%d->%d g%d k%dx%d s%d,%d d%d,%d pad %d,%d,%d,%d zin %d zout %d",
           p.n, p.c_in, p.h, p.w, p.c_out, p.groups, p.kh, p.kw, p.stride[0], p.stride[1],
           p.dilation[0], p.dilation[1], p.pad[0], p.pad[1], p.pad[2], p.pad[3],
           l.q.in_zero_point, l.q.out_zero_point);
  run_conv(&p, &l.q, in, w, l.bias, oh, ow, 0, what, checked);
  prune(w, p.c_out, cin_g, taps, p.groups, rr(0, 100));
  run_conv(&p, &l.q, in, w, l.bias, oh, ow, 1, what, checked);
  free(in);
  free(w);
  free(l.mult);
  free(l.shift);
  free(l.bias);
}

static void conv_layers(int count, int *checked) {
  int it;
  for (it = 0; it < count; ++it) {
    spx_rt_conv2d_params_t p;
    int32_t oh, ow, cin_g;
    size_t i;
    memset(&p, 0, sizeof p);
    p.n = rr(1, 2);
    p.groups = rnd() % 4 == 0 ? rr(2, 3) : 1;
    cin_g = rr(1, 24);
    p.c_in = cin_g * p.groups;
    p.c_out = rr(1, 21) * p.groups;
    if (rnd() % 6 == 0) { /* depthwise, now and then with 2 outputs per channel */
      p.groups = p.c_in = rr(1, 20);
      p.c_out = p.c_in * (rnd() % 4 ? 1 : 2);
      cin_g = 1;
    }
    p.h = rr(1, 13);
    p.w = rr(1, 40);
    p.kh = rr(1, 4);
    p.kw = rr(1, 4);
    p.stride[0] = rnd() % 4 ? 1 : rr(2, 3);
    p.stride[1] = rnd() % 4 ? 1 : rr(2, 3);
    p.dilation[0] = rnd() % 5 ? 1 : 2;
    p.dilation[1] = rnd() % 5 ? 1 : 2;
    for (i = 0; i < 4; ++i) p.pad[i] = rr(0, 2);
    p.act = SPX_RT_ACT_NONE;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) {
      --it;
      continue;
    }
    (void)cin_g;
    conv_layer(&p, oh, ow, checked);
  }
}

/* Shapes the random ones rarely hit: the specializations (CBR 1x1 with
 * whole 8-row block rows, several tiles per row), the strided convs of
 * ResNet (7x7/2 conv1 on 3 channels, 3x3/2, 1x1/2), odd strides, a stride
 * with dilation, strides 4, 5 and 8 (the fast path's largest) and 9 (past
 * it), a 1x1/2 whose odd-width input ends the buffer, each on every path. */
static void fixed_conv_layers(int *checked) {
  /* c_in h w c_out k pad stride dilation groups */
  static const int32_t shapes[][9] = {
      {16, 9, 37, 16, 1, 0, 1, 1, 1},  {24, 5, 70, 32, 1, 0, 1, 1, 1},
      {3, 30, 29, 16, 7, 3, 2, 1, 1},  {20, 15, 17, 24, 3, 1, 2, 1, 1},
      {32, 14, 14, 40, 1, 0, 2, 1, 1}, {9, 11, 13, 8, 3, 0, 3, 1, 1},
      {12, 12, 19, 8, 3, 2, 2, 2, 1},  {16, 8, 9, 24, 3, 1, 2, 1, 2},
      {8, 7, 45, 16, 5, 2, 1, 1, 1},   {3, 31, 31, 8, 7, 3, 2, 1, 1},
      /* larger strides: some phases unread, 8x8/8 (64 phases), 9 (the
       * old loops) */
      {10, 17, 23, 8, 3, 1, 4, 1, 1},  {8, 20, 21, 16, 2, 0, 5, 1, 1},
      {6, 16, 16, 8, 8, 0, 8, 1, 1},   {5, 19, 19, 8, 3, 1, 9, 1, 1},
      /* stride 2 over an odd width ending the input buffer: the last
       * channel's last row is read up to its last byte, none past it (the
       * sanitizer build sees an over-read; 32 outputs, a multiple of the
       * AVX2 gather's 16) */
      {8, 3, 63, 8, 1, 0, 2, 1, 1},
  };
  size_t i;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
    const int32_t *s = shapes[i];
    spx_rt_conv2d_params_t p;
    int32_t oh, ow;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c_in = s[0];
    p.h = s[1];
    p.w = s[2];
    p.c_out = s[3];
    p.kh = p.kw = s[4];
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = s[5];
    p.stride[0] = p.stride[1] = s[6];
    p.dilation[0] = p.dilation[1] = s[7];
    p.groups = s[8];
    p.act = SPX_RT_ACT_NONE;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) {
      printf("FAIL fixed conv %zu: bad shape\n", i);
      failures++;
      continue;
    }
    conv_layer(&p, oh, ow, checked);
  }
}

/* Depthwise shapes (dense int8 and CBR, every path): strides 1, 2 (the
 * VNNI blocks' 2 loads per quad), 4 (1 load) and 3 (the row loops), one
 * stride per axis, odd sizes, asymmetric padding, dilation, kernels wider
 * than a quad (5x5, 7x7, 1x9), channel counts that are not multiples of 8
 * or 16, two outputs per channel, rows wider than 64 pixels (the
 * 64-byte row copies), a batch of 2, MobileNet's 3x3/2 and 3x3 shapes. */
static void fixed_dw_layers(int *checked) {
  /* c h w mult kh kw sh sw dh dw pad t l b r n */
  static const int32_t shapes[][16] = {
      {5, 9, 11, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
      {19, 17, 13, 1, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 1},
      {17, 15, 15, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2},
      {24, 30, 29, 1, 3, 3, 2, 2, 1, 1, 1, 0, 2, 1, 1},
      {3, 13, 21, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
      {7, 11, 23, 1, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 1},
      {6, 9, 33, 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1},
      {9, 12, 19, 1, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1},
      {4, 8, 9, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},
      {11, 10, 14, 1, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1},
      {11, 10, 14, 1, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1},
      {10, 21, 27, 1, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1},
      {10, 21, 26, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {13, 7, 150, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
      {13, 7, 150, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {16, 6, 70, 1, 1, 9, 1, 2, 1, 1, 0, 4, 0, 4, 1},
      {33, 28, 28, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1},
      {40, 14, 14, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {21, 1, 5, 1, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1, 1},
  };
  size_t i;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
    const int32_t *s = shapes[i];
    spx_rt_conv2d_params_t p;
    int32_t oh, ow;
    memset(&p, 0, sizeof p);
    p.c_in = p.groups = s[0];
    p.h = s[1];
    p.w = s[2];
    p.c_out = s[0] * s[3];
    p.kh = s[4];
    p.kw = s[5];
    p.stride[0] = s[6];
    p.stride[1] = s[7];
    p.dilation[0] = s[8];
    p.dilation[1] = s[9];
    p.pad[0] = s[10];
    p.pad[1] = s[11];
    p.pad[2] = s[12];
    p.pad[3] = s[13];
    p.n = s[14];
    p.act = SPX_RT_ACT_NONE;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) {
      printf("FAIL fixed depthwise %zu: bad shape\n", i);
      failures++;
      continue;
    }
    conv_layer(&p, oh, ow, checked); /* twice: other data and requantization */
    conv_layer(&p, oh, ow, checked);
  }
}

/* Depthwise weights beyond int8 (prepared BBS weights: int8 plus a sparse
 * residual, spx_rt_conv2d_s8_packed): taps up to +-144 run the row loops
 * on every path, the others the VNNI blocks; against the reference on the
 * exact weights. */
static void residual_dw_layers(int *checked) {
  /* c h w kh kw stride pad */
  static const int32_t shapes[][7] = {
      {9, 14, 15, 3, 3, 1, 1}, {12, 17, 16, 3, 3, 2, 1}, {5, 9, 30, 5, 5, 2, 2},
      {16, 20, 23, 3, 3, 1, 1}, {7, 11, 40, 7, 7, 1, 3},
  };
  size_t i;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
    const int32_t *s = shapes[i];
    const int32_t taps = s[3] * s[4];
    spx_rt_conv2d_params_t p;
    spx_rt_s8_residual_t res;
    layer_q_t l;
    int32_t oh, ow, c, t, k;
    size_t nin, nw, nout, ss, j;
    int8_t *in, *w8, *value, *ref, *out, *first;
    int32_t *wx, *sums;
    uint32_t *row_ptr, *index, nnz = 0;
    uint8_t *scratch;
    char what[120];
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c_in = p.c_out = p.groups = s[0];
    p.h = s[1];
    p.w = s[2];
    p.kh = s[3];
    p.kw = s[4];
    p.stride[0] = p.stride[1] = s[5];
    p.dilation[0] = p.dilation[1] = 1;
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = s[6];
    p.act = SPX_RT_ACT_NONE;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) {
      printf("FAIL residual depthwise %zu: bad shape\n", i);
      failures++;
      continue;
    }
    random_q(&l, p.c_out, taps);
    nin = (size_t)p.c_in * (size_t)p.h * (size_t)p.w;
    nw = (size_t)p.c_out * (size_t)taps;
    nout = (size_t)p.c_out * (size_t)oh * (size_t)ow;
    in = xcalloc(nin, 1);
    w8 = xcalloc(nw, 1);
    wx = xcalloc(nw, sizeof *wx);
    value = xcalloc(nw, 1);
    index = xcalloc(nw, sizeof *index);
    row_ptr = xcalloc((size_t)p.c_out + 1, sizeof *row_ptr);
    sums = xcalloc((size_t)p.c_out, sizeof *sums);
    ref = xcalloc(nout, 1);
    out = xcalloc(nout, 1);
    first = xcalloc(nout, 1);
    /* a quarter of the inputs at the ends (x + 128 = 0 or 255: the largest
     * products) */
    for (j = 0; j < nin; ++j) in[j] = (int8_t)(rnd() % 4 ? rr(-128, 127) : rnd() % 2 ? 127 : -128);
    /* every other channel has taps beyond int8: w8 clamped, the residual
     * the rest (as BBS's zero-point shifting) */
    for (c = 0; c < p.c_out; ++c) {
      row_ptr[c] = nnz;
      for (t = 0; t < taps; ++t) {
        const size_t e = (size_t)c * (size_t)taps + (size_t)t;
        int32_t x = rnd() % 8 ? rr(-128, 127) : rnd() % 2 ? -128 : 127; /* the ends too */
        if (c % 2 && rnd() % 3 == 0) x = rnd() % 2 ? rr(128, 144) : rr(-144, -129);
        wx[e] = x;
        w8[e] = (int8_t)(x > 127 ? 127 : x < -128 ? -128 : x);
        if (x != w8[e]) {
          index[nnz] = (uint32_t)t;
          value[nnz++] = (int8_t)(x - w8[e]);
        }
        sums[c] += x;
      }
    }
    row_ptr[p.c_out] = nnz;
    res.row_sums = sums;
    res.row_ptr = row_ptr;
    res.index = index;
    res.value = value;
    ref_conv(&p, &l.q, in, wx, l.bias, oh, ow, ref);
    snprintf(what, sizeof what, "residual depthwise %dx%dx%d k%dx%d s%d pad %d", p.c_in, p.h,
             p.w, p.kh, p.kw, p.stride[0], p.pad[0]);
    ss = spx_rt_conv2d_s8_packed_get_buffer_size(&p, 1);
    scratch = xcalloc(ss + 8, 1);
    for (k = 0; k < n_isas; ++k) {
      spx_rt_status_t st;
      spx_rt_kernels_set_isa((spx_rt_isa_t)isas[k]);
      memset(out, 0x5a, nout);
      st = spx_rt_conv2d_s8_packed(&p, &l.q, in, w8, NULL, &res, l.bias, out, scratch + 4, ss);
      if (st != SPX_RT_OK) {
        printf("FAIL %s %s: status %d\n", what,
               spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]), (int)st);
        failures++;
        continue;
      }
      if (k == 0) memcpy(first, out, nout);
      for (j = 0; j < nout; ++j)
        if (out[j] != ref[j] || out[j] != first[j]) {
          printf("FAIL %s %s: output %zu is %d, reference %d, c path %d\n", what,
                 spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]), j, out[j], ref[j], first[j]);
          failures++;
          break;
        }
    }
    ++*checked;
    free(scratch);
    free(in); free(w8); free(wx); free(value); free(index); free(row_ptr); free(sums);
    free(ref); free(out); free(first);
    free(l.mult); free(l.shift); free(l.bias);
  }
}

static void run_dense(const spx_rt_dense_params_t *p, const spx_rt_requant_pc_t *q,
                      const int8_t *in, const int8_t *w, const int32_t *bias, int cbr,
                      const char *what, int *checked) {
  const size_t nout = (size_t)p->n * (size_t)p->units;
  int8_t *ref = xcalloc(nout, 1), *out = xcalloc(nout, 1), *first = xcalloc(nout, 1);
  const spx_fmt_desc_t *f = cbr ? &spx_fmt_desc_CBR : &spx_fmt_desc_DENSE;
  const void *wb = w;
  uint8_t *enc = NULL;
  size_t wlen = 0, ss;
  void *scratch;
  int32_t n, u, k;
  for (n = 0; n < p->n; ++n)
    for (u = 0; u < p->units; ++u) {
      int64_t acc = bias[u];
      for (k = 0; k < p->features; ++k)
        acc += (int64_t)w[(size_t)u * (size_t)p->features + (size_t)k] *
               (in[(size_t)n * (size_t)p->features + (size_t)k] - q->in_zero_point);
      ref[(size_t)n * (size_t)p->units + (size_t)u] = ref_out(acc, q, u);
    }
  if (cbr) {
    spx_fmt_cbr_dims_t d;
    d.rows = (uint32_t)p->units;
    d.cols = (uint32_t)p->features;
    d.kh = d.kw = 1;
    d.groups = 1;
    wlen = spx_fmt_cbr_encoded_size(&d, w);
    enc = xcalloc(wlen, 1);
    if (spx_fmt_cbr_encode(&d, w, enc, wlen, &wlen) != SPX_RT_OK) {
      printf("FAIL %s: cbr encode\n", what);
      failures++;
      return;
    }
    wb = enc;
  }
  ss = spx_rt_dense_s8_fmt_get_buffer_size(f, p);
  scratch = xcalloc(ss + 8, 1);
  for (k = 0; k < n_isas; ++k) {
    spx_rt_status_t st;
    spx_rt_kernels_set_isa((spx_rt_isa_t)isas[k]);
    memset(out, 0x5a, nout);
    st = spx_rt_dense_s8_fmt(f, p, q, in, wb, wlen, bias, out, (uint8_t *)scratch + 4, ss);
    if (!check_out(st, out, ref, first, nout, k, what)) continue;
    if (!cbr) { /* the packing, where the path takes one: same bytes */
      const size_t ps = spx_rt_dense_s8_packed_size(p);
      void *pk = ps ? xcalloc(ps, 1) : NULL;
      memset(out, 0x5a, nout);
      if (pk && (spx_rt_dense_s8_pack(p, w, pk, ps) != SPX_RT_OK ||
                 spx_rt_dense_s8_packed(p, q, in, w, pk, NULL, bias, out,
                                        (uint8_t *)scratch + 4, ss) != SPX_RT_OK ||
                 memcmp(out, ref, nout))) {
        printf("FAIL %s %s: packed weights\n", what,
               spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]));
        failures++;
      }
      free(pk);
    }
  }
  ++*checked;
  free(scratch);
  free(enc);
  free(ref);
  free(out);
  free(first);
}

static void dense_layers(int count, int *checked) {
  int it;
  for (it = 0; it < count; ++it) {
    spx_rt_dense_params_t p;
    layer_q_t l;
    size_t i, nin, nw;
    int8_t *in, *w;
    char what[120];
    p.n = rr(1, 3);
    p.features = rnd() % 3 ? rr(1, 300) : rr(1, 20);
    p.units = rr(1, 70);
    p.act = SPX_RT_ACT_NONE;
    random_q(&l, p.units, p.features);
    nin = (size_t)p.n * (size_t)p.features;
    nw = (size_t)p.units * (size_t)p.features;
    in = xcalloc(nin, 1);
    w = xcalloc(nw, 1);
    for (i = 0; i < nin; ++i) in[i] = (int8_t)rr(-128, 127);
    for (i = 0; i < nw; ++i) w[i] = (int8_t)rr(-127, 127);
    snprintf(what, sizeof what, "dense n%d %d->%d zin %d zout %d", p.n, p.features, p.units,
             l.q.in_zero_point, l.q.out_zero_point);
    run_dense(&p, &l.q, in, w, l.bias, 0, what, checked);
    prune(w, p.units, p.features, 1, 1, rr(0, 100));
    run_dense(&p, &l.q, in, w, l.bias, 1, what, checked);
    free(in);
    free(w);
    free(l.mult);
    free(l.shift);
    free(l.bias);
  }
}

/* A random output range: relu (from z_out), a clamp inside the int8 range
 * (relu6-like), or the whole range. */
static void random_act(int32_t zout, int32_t *lo, int32_t *hi) {
  switch (rnd() % 3) {
  case 0:
    *lo = zout;
    *hi = 127;
    break;
  case 1:
    *lo = rr(-128, 100);
    *hi = rr(*lo, 127);
    break;
  default:
    *lo = -128;
    *hi = 127;
  }
}

/* One random int8 add layer on the current path against the definition:
 * out = clamp(z_out + mbqm(mbqm((a - z_a) 2^ls, M_a, s_a) + mbqm((b - z_b)
 * 2^ls, M_b, s_b), M_out, s_out)). Returns 1 if the path's own kernel took
 * it. */
static int add_layer(int it) {
  spx_rt_add_s8_params_t p;
  size_t n, i;
  int8_t *a, *b, *out;
  int fast, bad = 0;
  p.a_zero_point = zero_point();
  p.b_zero_point = zero_point();
  p.out_zero_point = zero_point();
  /* shifts that keep the operands' sum in int32, as spx_rt_add_s8_init's
   * do (|(x - z) 2^ls M 2^s / 2^31| < 255 2^(ls + s), twice < 2^31) */
  p.left_shift = rnd() % 8 ? 20 : rr(0, 23);
  p.a_multiplier = (int32_t)((1u << 30) + (rnd() & 0x3fffffffu));
  p.b_multiplier = (int32_t)((1u << 30) + (rnd() & 0x3fffffffu));
  p.out_multiplier = (int32_t)((1u << 30) + (rnd() & 0x3fffffffu));
  if (rnd() % 32 == 0) p.a_multiplier = INT32_MIN;
  if (rnd() % 32 == 0) p.out_multiplier = INT32_MIN;
  p.a_shift = rr(-8, 22 - p.left_shift < 0 ? 22 - p.left_shift : 0);
  p.b_shift = rr(-8, 22 - p.left_shift < 0 ? 22 - p.left_shift : 0);
  if (rnd() % 16 == 0) { /* a positive shift (spx_rt_add_s8's) */
    p.left_shift = rr(0, 16);
    p.a_shift = rr(1, 2);
  }
  p.out_shift = rnd() % 16 ? -p.left_shift + rr(-2, 2) : rr(-31, 1);
  if (p.out_shift > 0 && rnd() % 2) p.out_shift = 0;
  random_act(p.out_zero_point, &p.act_min, &p.act_max);
  n = it % 4 == 0 ? (size_t)rr(1024, 3000) : (size_t)rr(1, 70); /* both of spx_rt_add_s8's loops */
  a = xcalloc(n, 1);
  b = xcalloc(n, 1);
  out = xcalloc(n, 1);
  for (i = 0; i < n; ++i) {
    a[i] = (int8_t)rr(-128, 127);
    b[i] = (int8_t)rr(-128, 127);
  }
  if (it % 5 == 0) /* the extremes */
    for (i = 0; i < n; ++i) {
      a[i] = (int8_t)(i % 2 ? 127 : -128);
      b[i] = (int8_t)(i % 3 ? -128 : 127);
    }
  memset(out, 0x5a, n);
  fast = spx_k_fast_add_s8(n, &p, a, b, out);
  if (!fast && spx_rt_add_s8(n, &p, a, b, out) != SPX_RT_OK) {
    printf("FAIL add: spx_rt_add_s8 refused layer %d\n", it);
    failures++;
  }
  for (i = 0; i < n && !bad; ++i) {
    const int32_t sa = spx_rt_mbqm((a[i] - p.a_zero_point) * (1 << p.left_shift), p.a_multiplier,
                                   (int)p.a_shift);
    const int32_t sb = spx_rt_mbqm((b[i] - p.b_zero_point) * (1 << p.left_shift), p.b_multiplier,
                                   (int)p.b_shift);
    int32_t v = p.out_zero_point + spx_rt_mbqm(sa + sb, p.out_multiplier, (int)p.out_shift);
    if (v < p.act_min) v = p.act_min;
    if (v > p.act_max) v = p.act_max;
    if (out[i] != (int8_t)v) {
      printf("FAIL add path %s (%s kernel), layer %d: element %zu of %zu is %d, want %d "
             "(a %d b %d, z %d %d %d, ls %d, shifts %d %d %d, act [%d, %d])\n",
             spx_rt_kernels_isa_name(spx_rt_kernels_isa()), fast ? "its own" : "the C", it, i,
             n, out[i], v, a[i], b[i], p.a_zero_point, p.b_zero_point, p.out_zero_point,
             p.left_shift, p.a_shift, p.b_shift, p.out_shift, p.act_min, p.act_max);
      failures++;
      bad = 1;
    }
  }
  free(a);
  free(b);
  free(out);
  return fast;
}

/* One random int8 requantization (relu, relu6: spx_rt_requantize_s8) on
 * the current path against the definition: out = clamp(z_out + mbqm(x -
 * z_in, M, s)). Returns 1 if the path's own kernel took it. */
static int requant_layer(int it) {
  spx_rt_requant_t rq;
  size_t n, i;
  int8_t *x, *out;
  int fast, bad = 0;
  rq.in_zero_point = zero_point();
  rq.out_zero_point = zero_point();
  rq.multiplier = (int32_t)((1u << 30) + (rnd() & 0x3fffffffu));
  if (rnd() % 32 == 0) rq.multiplier = INT32_MIN;
  switch (rnd() % 4) { /* relu's usual ratios, then the whole range */
  case 0: rq.shift = rr(0, 3); break;
  case 1: rq.shift = rr(-3, 0); break;
  case 2: rq.shift = rr(-31, 30); break;
  default: rq.shift = rnd() % 2 ? 23 : 24;
  }
  random_act(rq.out_zero_point, &rq.act_min, &rq.act_max);
  n = it % 4 == 0 ? (size_t)rr(1025, 3000) : (size_t)rr(1, 70); /* both of its loops */
  x = xcalloc(n, 1);
  out = xcalloc(n, 1);
  for (i = 0; i < n; ++i) x[i] = (int8_t)(it % 5 == 0 ? (i % 2 ? 127 : -128) : rr(-128, 127));
  memset(out, 0x5a, n);
  fast = spx_k_fast_requant_s8(n, &rq, x, out);
  if (!fast && spx_rt_requantize_s8(n, &rq, x, out) != SPX_RT_OK) {
    printf("FAIL requant: spx_rt_requantize_s8 refused layer %d\n", it);
    failures++;
  }
  for (i = 0; i < n && !bad; ++i) {
    int32_t v = rq.out_zero_point + spx_rt_mbqm(x[i] - rq.in_zero_point, rq.multiplier,
                                                (int)rq.shift);
    if (v < rq.act_min) v = rq.act_min;
    if (v > rq.act_max) v = rq.act_max;
    if (out[i] != (int8_t)v) {
      printf("FAIL requant path %s (%s kernel), layer %d: element %zu of %zu is %d, want %d "
             "(x %d, z %d %d, M %d, shift %d, act [%d, %d])\n",
             spx_rt_kernels_isa_name(spx_rt_kernels_isa()), fast ? "its own" : "the C", it, i,
             n, out[i], v, x[i], rq.in_zero_point, rq.out_zero_point, rq.multiplier,
             (int)rq.shift, rq.act_min, rq.act_max);
      failures++;
      bad = 1;
    }
  }
  free(x);
  free(out);
  return fast;
}

int main(int argc, char **argv) {
  int k, convs = 0, denses = 0, adds = 0, adds_fast[SPX_RT_ISA_COUNT] = {0};
  int rqs = 0, rqs_fast[SPX_RT_ISA_COUNT] = {0};
  if (argc == 2 && !strcmp(argv[1], "current")) {
    printf("current path: %s\n", spx_rt_kernels_isa_name(spx_rt_kernels_isa()));
    return 0;
  }
  if (argc != 2 || strcmp(argv[1], "paths")) {
    fprintf(stderr, "usage: spx-isa-test paths|current\n");
    return 2;
  }
  for (k = 0; k < SPX_RT_ISA_COUNT; ++k)
    if (spx_rt_kernels_isa_supported((spx_rt_isa_t)k)) isas[n_isas++] = k;
  if (isas[0] != SPX_RT_ISA_C) {
    printf("FAIL the portable path is not supported\n");
    return 1;
  }
  if (spx_rt_kernels_set_isa((spx_rt_isa_t)SPX_RT_ISA_COUNT) != SPX_RT_ERR_ARG) {
    printf("FAIL set_isa accepted an unknown path\n");
    failures++;
  }
  conv_layers(300, &convs);
  fixed_conv_layers(&convs);
  fixed_dw_layers(&convs);
  residual_dw_layers(&convs);
  dense_layers(200, &denses);
  for (k = 0; k < n_isas; ++k) {
    uint64_t state = rng_state; /* the same layers on every path */
    int it;
    spx_rt_kernels_set_isa((spx_rt_isa_t)isas[k]);
    for (it = 0; it < 400; ++it) adds_fast[k] += add_layer(it);
    adds = it;
    for (it = 0; it < 400; ++it) rqs_fast[k] += requant_layer(it);
    rqs = it;
    if (k + 1 < n_isas) rng_state = state;
  }
  for (k = 0; k < n_isas; ++k)
    printf("path %s: %d conv2d and %d dense layers (dense int8, cbr) bit-exact with the c path "
           "and the reference\n",
           spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]), convs, denses);
  for (k = 0; k < n_isas; ++k)
    printf("path %s: %d int8 add layers bit-exact with the definition (%d on the path's own "
           "kernel)\n",
           spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]), adds, adds_fast[k]);
  for (k = 0; k < n_isas; ++k)
    printf("path %s: %d int8 requantizations bit-exact with the definition (%d on the path's "
           "own kernel)\n",
           spx_rt_kernels_isa_name((spx_rt_isa_t)isas[k]), rqs, rqs_fast[k]);
  return failures ? 1 : 0;
}
