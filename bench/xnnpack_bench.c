/* xnnpack_bench.c - spx-bench-xnnpack: the int8 conv2d / dense kernels of
 * libspxrt against XNNPACK's (Debian's libxnnpack-dev) on the same layer
 * shapes, single thread, printing GMAC/s (of the dense layer's MACs) of:
 *   ours    spx_rt_conv2d_s8_packed / spx_rt_dense_s8_packed (dense int8
 *           weights, NCHW), on the weights packed once beforehand where the
 *           layer takes a packing (as a prepared model runs; XNNPACK packs
 *           its weights when the operator is created, not timed either)
 *   xnnpack xnn_*_qc8 convolution (per-channel weight scales, as ours) and
 *           xnn_fully_connected_nc_qs8 (this XNNPACK has no qc8 fully
 *           connected operator), NHWC, no thread pool
 *   cbr     ours with the CBR format at 50% block density (every other 8x8
 *           block zeroed, checkerboard; depthwise, and conv1's 3 input
 *           channels (one block column): every other block row), with its
 *           row sums made beforehand where the layer takes them (as a
 *           prepared model runs)
 *   half    ours on the same layer with half the MACs: half the input
 *           channels (for the layers pruned by block rows, half the output
 *           channels)
 * and the ratios ours / xnnpack, cbr / ours and half / ours. Half / ours is
 * what halving the MACs gives our dense path; skipping half the blocks can
 * do about as well, not much better: the requantization, the input rewrite
 * and the stores of every output stay. The layers: ResNet / MobileNet
 * shapes, stride 1, and four strided ones (ResNet's 7x7/2 conv1, a 3x3/2 and
 * a 1x1/2 downsampling conv, MobileNet's 3x3/2 depthwise). Each layer in its own
 * library's layout (ours NCHW, XNNPACK NHWC) with random data; the outputs
 * are not compared (the kernels' tests check ours bit for bit). Not a test.
 *
 *   spx-bench-xnnpack [min_seconds_per_measurement [layer]]   (default 0.5)
 * layer: only the layers whose name contains it (e.g. "1x1", "depthwise").
 * A layer's four variants are timed interleaved (time_together): rounds
 * of one batch of calls each, so that the machine's load falls on all of
 * them alike and the ratios compare calls made in the same seconds; each
 * figure is its fastest batch's mean, in thread CPU time.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xnnpack.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"

typedef struct layer {
  const char *name;
  int dense;                      /* 1: fully connected, n x c_in -> c_out */
  int32_t c_in, h, w, c_out, k, pad, groups, stride;
} layer_t;

static const layer_t k_layers[] = {
    {"conv 3x3 56x56x64->64", 0, 64, 56, 56, 64, 3, 1, 1, 1},
    {"conv 3x3 14x14x256->256", 0, 256, 14, 14, 256, 3, 1, 1, 1},
    {"conv 1x1 56x56x64->256", 0, 64, 56, 56, 256, 1, 0, 1, 1},
    /* ResNet-50's deeper 1x1 convs: 256 and 1024 input channels (MACs per
     * output against the requantization each output costs) */
    {"conv 1x1 14x14x256->1024", 0, 256, 14, 14, 1024, 1, 0, 1, 1},
    {"conv 1x1 14x14x1024->256", 0, 1024, 14, 14, 256, 1, 0, 1, 1},
    {"fc 2048->1000 batch 1", 1, 2048, 1, 1, 1000, 1, 0, 1, 1},
    {"depthwise 3x3 28x28x256", 0, 256, 28, 28, 256, 3, 1, 256, 1},
    /* strided: ResNet's conv1 and its downsampling convs */
    {"conv 7x7/2 224x224x3->64", 0, 3, 224, 224, 64, 7, 3, 1, 2},
    {"conv 3x3/2 56x56x64->128", 0, 64, 56, 56, 128, 3, 1, 1, 2},
    {"conv 1x1/2 56x56x256->512", 0, 256, 56, 56, 512, 1, 0, 1, 2},
    /* MobileNet's strided depthwise */
    {"depthwise 3x3/2 56x56x128", 0, 128, 56, 56, 128, 3, 1, 128, 2},
};

/* This thread's CPU time: on a shared machine, time the thread spends
 * descheduled is not counted (every library runs in the calling thread). */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill_s8(int8_t *p, size_t n, unsigned seed) {
  size_t i;
  for (i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    p[i] = (int8_t)((int)((seed >> 16) % 255u) - 127);
  }
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "spx-bench-xnnpack: out of memory\n");
    exit(1);
  }
  return p;
}

static void die(const char *what) {
  fprintf(stderr, "spx-bench-xnnpack: %s failed\n", what);
  exit(1);
}

/* Zeroes every other 8x8 block (checkerboard) of OIHW weights [m][k][taps]. */
static void prune_blocks(int8_t *w, size_t m, size_t k, size_t taps) {
  size_t o, i, t;
  for (o = 0; o < m; ++o)
    for (i = 0; i < k; ++i)
      if (((o / 8) + (i / 8)) % 2)
        for (t = 0; t < taps; ++t) w[(o * k + i) * taps + t] = 0;
}

/* A variant of a layer to time: `run(ctx)` makes one call. */
typedef struct runner {
  void (*run)(void *ctx);
  void *ctx;
  double best; /* seconds per call: the fastest batch's mean */
} runner_t;

#define ROUNDS 7

/* Seconds per call of each of the n runners: after one warm-up call each,
 * ROUNDS rounds in which every runner makes one batch of calls of
 * min_s / ROUNDS seconds; a runner's figure is its fastest batch's mean
 * (the machine is shared: the least disturbed batch is the most
 * repeatable figure, and interleaving the runners puts a burst of load
 * on all of them rather than on one). */
static void time_together(runner_t *r, int n, double min_s) {
  int i, b;
  for (i = 0; i < n; ++i) {
    r[i].run(r[i].ctx);
    r[i].best = 1e30;
  }
  for (b = 0; b < ROUNDS; ++b)
    for (i = 0; i < n; ++i) {
      const double t0 = now();
      double t;
      long iters = 0;
      do {
        r[i].run(r[i].ctx);
        ++iters;
        t = now() - t0;
      } while (t < min_s / ROUNDS);
      if (t / (double)iters < r[i].best) r[i].best = t / (double)iters;
    }
}

/* A layer's parameters and random data, in our layout. */
typedef struct data {
  spx_rt_conv2d_params_t p;
  spx_rt_dense_params_t dp;
  spx_rt_requant_pc_t q;
  int32_t oh, ow;
  size_t nin, nw, nout;
  int8_t *in, *w, *out;
  int32_t *bias, *mult, *shift;
  float *kscale;
} data_t;

static void data_make(const layer_t *s, data_t *d) {
  const int32_t cin_g = s->c_in / s->groups;
  const size_t taps = (size_t)s->k * (size_t)s->k;
  int32_t c;
  memset(d, 0, sizeof *d);
  d->oh = d->ow = 1;
  if (s->dense) {
    d->dp.n = 1;
    d->dp.features = s->c_in;
    d->dp.units = s->c_out;
    d->dp.act = SPX_RT_ACT_NONE;
  } else {
    d->p.n = 1;
    d->p.c_in = s->c_in;
    d->p.h = s->h;
    d->p.w = s->w;
    d->p.c_out = s->c_out;
    d->p.kh = d->p.kw = s->k;
    d->p.stride[0] = d->p.stride[1] = s->stride;
    d->p.dilation[0] = d->p.dilation[1] = 1;
    d->p.pad[0] = d->p.pad[1] = d->p.pad[2] = d->p.pad[3] = s->pad;
    d->p.groups = s->groups;
    d->p.act = SPX_RT_ACT_RELU;
    if (spx_rt_conv2d_out_dims(&d->p, &d->oh, &d->ow) != SPX_RT_OK) die("conv2d_out_dims");
  }
  d->nin = (size_t)s->c_in * (size_t)s->h * (size_t)s->w;
  d->nw = (size_t)s->c_out * (size_t)cin_g * taps;
  d->nout = (size_t)s->c_out * (size_t)d->oh * (size_t)d->ow;
  d->in = xcalloc(d->nin, 1);
  d->w = xcalloc(d->nw, 1);
  d->out = xcalloc(d->nout, 1);
  d->bias = xcalloc((size_t)s->c_out, sizeof *d->bias);
  d->mult = xcalloc((size_t)s->c_out, sizeof *d->mult);
  d->shift = xcalloc((size_t)s->c_out, sizeof *d->shift);
  d->kscale = xcalloc((size_t)s->c_out, sizeof *d->kscale);
  fill_s8(d->in, d->nin, 1);
  fill_s8(d->w, d->nw, 2);
  for (c = 0; c < s->c_out; ++c) {
    int sh;
    d->kscale[c] = 0.01f;
    spx_rt_quantize_multiplier(0.5 * 0.01 / 1.0, &d->mult[c], &sh);
    d->shift[c] = sh;
    d->bias[c] = 100 * c;
  }
  d->q.in_zero_point = -3;
  d->q.out_zero_point = -128;
  d->q.multiplier = d->mult;
  d->q.shift = d->shift;
  d->q.act_min = -128;
  d->q.act_max = 127;
}

static void data_free(data_t *d) {
  free(d->in); free(d->w); free(d->out); free(d->bias); free(d->mult); free(d->shift);
  free(d->kscale);
}

/* Ours on dense int8 weights, packed beforehand; or (cbr set) on the
 * CBR encoding wc of lc bytes. */
typedef struct ours {
  const layer_t *s;
  data_t *d;
  void *pk, *scratch;
  size_t ss;
  const uint8_t *wc;
  size_t lc;
} ours_t;

static void run_ours(void *ctx) {
  ours_t *o = (ours_t *)ctx;
  data_t *d = o->d;
  if (o->s->dense)
    spx_rt_dense_s8_packed(&d->dp, &d->q, d->in, d->w, o->pk, NULL, d->bias, d->out,
                           o->scratch, o->ss);
  else
    spx_rt_conv2d_s8_packed(&d->p, &d->q, d->in, d->w, o->pk, NULL, d->bias, d->out,
                            o->scratch, o->ss);
}

static void run_cbr(void *ctx) {
  ours_t *o = (ours_t *)ctx;
  data_t *d = o->d;
  if (o->s->dense)
    spx_rt_dense_s8_fmt_packed(&spx_fmt_desc_CBR, &d->dp, &d->q, d->in, o->wc, o->lc, o->pk,
                               d->bias, d->out, o->scratch, o->ss);
  else
    spx_rt_conv2d_s8_fmt_packed(&spx_fmt_desc_CBR, &d->p, &d->q, d->in, o->wc, o->lc, o->pk,
                                d->bias, d->out, o->scratch, o->ss);
}

static void ours_init(ours_t *o, const layer_t *s, data_t *d) {
  size_t ps;
  memset(o, 0, sizeof *o);
  o->s = s;
  o->d = d;
  if (s->dense) {
    ps = spx_rt_dense_s8_packed_size(&d->dp);
    o->pk = ps ? xcalloc(ps, 1) : NULL;
    if (o->pk && spx_rt_dense_s8_pack(&d->dp, d->w, o->pk, ps) != SPX_RT_OK)
      die("dense_s8_pack");
    o->ss = spx_rt_dense_s8_packed_get_buffer_size(&d->dp);
  } else {
    ps = spx_rt_conv2d_s8_packed_size(&d->p);
    o->pk = ps ? xcalloc(ps, 1) : NULL;
    if (o->pk && spx_rt_conv2d_s8_pack(&d->p, d->w, o->pk, ps) != SPX_RT_OK)
      die("conv2d_s8_pack");
    o->ss = spx_rt_conv2d_s8_packed_get_buffer_size(&d->p, 0);
  }
  o->scratch = xcalloc(o->ss, 1);
}

static void cbr_init(ours_t *o, const layer_t *s, data_t *d, const uint8_t *wc, size_t lc) {
  size_t ps;
  memset(o, 0, sizeof *o);
  o->s = s;
  o->d = d;
  o->wc = wc;
  o->lc = lc;
  o->ss = s->dense ? spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &d->dp)
                   : spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &d->p);
  o->scratch = xcalloc(o->ss, 1);
  ps = s->dense ? spx_rt_dense_s8_fmt_packed_size(&spx_fmt_desc_CBR, &d->dp)
                : spx_rt_conv2d_s8_fmt_packed_size(&spx_fmt_desc_CBR, &d->p);
  if (ps) {
    o->pk = xcalloc(ps, 1);
    if ((s->dense ? spx_rt_dense_s8_fmt_pack(&spx_fmt_desc_CBR, &d->dp, wc, lc, o->pk, ps)
                  : spx_rt_conv2d_s8_fmt_pack(&spx_fmt_desc_CBR, &d->p, wc, lc, o->pk, ps)) !=
        SPX_RT_OK)
      die("cbr pack");
  }
}

static void ours_free(ours_t *o) {
  free(o->scratch);
  free(o->pk);
}

static void run_xnn(void *ctx) { xnn_run_operator((xnn_operator_t)ctx, NULL); }

int main(int argc, char **argv) {
  double min_s = argc > 1 ? atof(argv[1]) : 0.5;
  const char *only = argc > 2 ? argv[2] : NULL;
  size_t li;
  if (min_s <= 0) min_s = 0.5;
  if (xnn_initialize(NULL) != xnn_status_success) die("xnn_initialize");
  printf("int8 kernels, single thread; GMAC/s of the dense layer's MACs; ours: %s path\n",
         spx_rt_kernels_isa_name(spx_rt_kernels_isa()));
  printf("%-26s %8s %10s %10s %8s %10s %9s %9s\n", "layer", "MMAC", "ours", "xnnpack",
         "ours/x", "cbr 50%", "cbr/ours", "half/ours");
  for (li = 0; li < sizeof k_layers / sizeof k_layers[0]; ++li) {
    const layer_t *s = &k_layers[li];
    const int32_t cin_g = s->c_in / s->groups, cout_g = s->c_out / s->groups;
    const size_t taps = (size_t)s->k * (size_t)s->k;
    const int by_rows = cin_g <= 8; /* one block column: prune_blocks takes block rows */
    layer_t half = *s;
    size_t lc;
    uint8_t *wc;
    int8_t *wp;
    double macs;
    spx_fmt_cbr_dims_t cd;
    xnn_operator_t op = NULL;
    data_t d, dh;
    ours_t o_ours, o_half, o_cbr;
    runner_t r[4];
    if (only && !strstr(s->name, only)) continue;
    data_make(s, &d);
    macs = (double)d.nout * (double)cin_g * (double)taps;

    /* ours, dense */
    ours_init(&o_ours, s, &d);
    /* ours with half the MACs */
    if (by_rows) { /* half the output channels (depthwise: and groups) */
      half.c_out /= 2;
      if (s->groups > 1) half.c_in /= 2, half.groups /= 2;
    } else {
      half.c_in /= 2;
    }
    data_make(&half, &dh);
    ours_init(&o_half, &half, &dh);

    /* XNNPACK (its own weight layout and NHWC; random weights all the same) */
    if (s->dense) {
      if (xnn_create_fully_connected_nc_qs8((size_t)s->c_in, (size_t)s->c_out,
                                            (size_t)s->c_in, (size_t)s->c_out, -3, 0.5f,
                                            0.01f, d.w, d.bias, -128, 1.0f, -128, 127, 0,
                                            &op) != xnn_status_success)
        die("xnn_create_fully_connected_nc_qs8");
      if (xnn_setup_fully_connected_nc_qs8(op, 1, d.in, d.out, NULL) != xnn_status_success)
        die("xnn_setup_fully_connected_nc_qs8");
    } else {
      if (xnn_create_convolution2d_nhwc_qc8(
              (uint32_t)s->pad, (uint32_t)s->pad, (uint32_t)s->pad, (uint32_t)s->pad,
              (uint32_t)s->k, (uint32_t)s->k, (uint32_t)s->stride, (uint32_t)s->stride, 1, 1,
              (uint32_t)s->groups,
              (size_t)cin_g, (size_t)cout_g, (size_t)s->c_in, (size_t)s->c_out, -3, 0.5f,
              d.kscale, d.w, d.bias, -128, 1.0f, -128, 127, 0, &op) != xnn_status_success)
        die("xnn_create_convolution2d_nhwc_qc8");
      if (xnn_setup_convolution2d_nhwc_qc8(op, 1, (size_t)s->h, (size_t)s->w, d.in, d.out,
                                           NULL) != xnn_status_success)
        die("xnn_setup_convolution2d_nhwc_qc8");
    }

    /* ours, CBR at 50% block density: a pruned copy of the weights */
    wp = xcalloc(d.nw, 1);
    memcpy(wp, d.w, d.nw);
    prune_blocks(wp, (size_t)s->c_out, (size_t)cin_g, taps);
    cd.rows = (uint32_t)s->c_out;
    cd.cols = (uint32_t)cin_g;
    cd.kh = cd.kw = (uint16_t)s->k;
    cd.groups = (uint32_t)s->groups;
    lc = spx_fmt_cbr_encoded_size(&cd, wp);
    wc = xcalloc(lc, 1);
    if (spx_fmt_cbr_encode(&cd, wp, wc, lc, &lc) != SPX_RT_OK) die("spx_fmt_cbr_encode");
    cbr_init(&o_cbr, s, &d, wc, lc);

    r[0].run = run_ours, r[0].ctx = &o_ours;
    r[1].run = run_xnn, r[1].ctx = op;
    r[2].run = run_cbr, r[2].ctx = &o_cbr;
    r[3].run = run_ours, r[3].ctx = &o_half;
    time_together(r, 4, min_s);

    printf("%-26s %8.1f %10.2f %10.2f %8.2f %10.2f %9.2f %9.2f\n", s->name, macs / 1e6,
           macs / r[0].best / 1e9, macs / r[1].best / 1e9, r[1].best / r[0].best,
           macs / r[2].best / 1e9, r[0].best / r[2].best, r[0].best / r[3].best);
    xnn_delete_operator(op);
    ours_free(&o_ours);
    ours_free(&o_half);
    ours_free(&o_cbr);
    free(wc);
    free(wp);
    data_free(&d);
    data_free(&dh);
  }
  xnn_deinitialize();
  return 0;
}
