/* xnnpack_bench.c - spx-bench-xnnpack: the int8 conv2d / dense kernels of
 * libspxrt against XNNPACK's (Debian's libxnnpack-dev) on the same layer
 * shapes, single thread, printing GMAC/s (of the dense layer's MACs) of:
 *   ours    spx_rt_conv2d_s8 / spx_rt_dense_s8 (dense int8 weights, NCHW)
 *   xnnpack xnn_*_qc8 convolution (per-channel weight scales, as ours) and
 *           xnn_fully_connected_nc_qs8 (this XNNPACK has no qc8 fully
 *           connected operator), NHWC, no thread pool
 *   cbr     ours with the CBR format at 50% block density (every other 8x8
 *           block zeroed, checkerboard; depthwise, and conv1's 3 input
 *           channels (one block column): every other block row)
 * and the ratios ours / xnnpack and cbr / ours. The layers: ResNet / MobileNet
 * shapes, stride 1, and four strided ones (ResNet's 7x7/2 conv1, a 3x3/2 and
 * a 1x1/2 downsampling conv, MobileNet's 3x3/2 depthwise). Each layer in its own
 * library's layout (ours NCHW, XNNPACK NHWC) with random data; the outputs
 * are not compared (the kernels' tests check ours bit for bit). Not a test.
 *
 *   spx-bench-xnnpack [min_seconds_per_measurement]   (default 0.5)
 * Each figure is the fastest of 5 batches of calls (TIME_LOOP), timed in
 * thread CPU time.
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

/* Seconds per call of `call`: after one warm-up call, 5 batches of calls
 * of min_s / 5 seconds each; the fastest batch's mean (the machine is
 * shared: the least disturbed batch is the most repeatable figure). */
#define TIME_LOOP(result, min_s, call)                                        \
  do {                                                                        \
    double t0_, t_, best_ = 1e30;                                             \
    int b_;                                                                   \
    call; /* warm-up */                                                       \
    for (b_ = 0; b_ < 5; ++b_) {                                              \
      long iters_ = 0;                                                        \
      t0_ = now();                                                            \
      do {                                                                    \
        call;                                                                 \
        ++iters_;                                                             \
        t_ = now() - t0_;                                                     \
      } while (t_ < (min_s) / 5);                                             \
      if (t_ / (double)iters_ < best_) best_ = t_ / (double)iters_;           \
    }                                                                         \
    (result) = best_;                                                         \
  } while (0)

int main(int argc, char **argv) {
  double min_s = argc > 1 ? atof(argv[1]) : 0.5;
  size_t li;
  if (min_s <= 0) min_s = 0.5;
  if (xnn_initialize(NULL) != xnn_status_success) die("xnn_initialize");
  printf("int8 kernels, single thread; GMAC/s of the dense layer's MACs; ours: %s path\n",
         spx_rt_kernels_isa_name(spx_rt_kernels_isa()));
  printf("%-26s %8s %10s %10s %8s %10s %9s\n", "layer", "MMAC", "ours", "xnnpack",
         "ours/x", "cbr 50%", "cbr/ours");
  for (li = 0; li < sizeof k_layers / sizeof k_layers[0]; ++li) {
    const layer_t *s = &k_layers[li];
    const int32_t cin_g = s->c_in / s->groups, cout_g = s->c_out / s->groups;
    const size_t taps = (size_t)s->k * (size_t)s->k;
    int32_t oh = 1, ow = 1, c;
    size_t nin, nw, nout, ss, lc;
    int8_t *in, *w, *out;
    int32_t *bias, *mult, *shift;
    float *kscale;
    uint8_t *wc;
    void *scratch;
    double macs, t_ours, t_xnn, t_cbr;
    spx_rt_requant_pc_t q;
    spx_fmt_cbr_dims_t cd;
    xnn_operator_t op = NULL;
    spx_rt_conv2d_params_t p;
    spx_rt_dense_params_t dp;
    memset(&p, 0, sizeof p);
    memset(&dp, 0, sizeof dp);
    if (s->dense) {
      dp.n = 1;
      dp.features = s->c_in;
      dp.units = s->c_out;
      dp.act = SPX_RT_ACT_NONE;
    } else {
      p.n = 1;
      p.c_in = s->c_in;
      p.h = s->h;
      p.w = s->w;
      p.c_out = s->c_out;
      p.kh = p.kw = s->k;
      p.stride[0] = p.stride[1] = s->stride;
      p.dilation[0] = p.dilation[1] = 1;
      p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = s->pad;
      p.groups = s->groups;
      p.act = SPX_RT_ACT_RELU;
      if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) die("conv2d_out_dims");
    }
    nin = (size_t)s->c_in * (size_t)s->h * (size_t)s->w;
    nw = (size_t)s->c_out * (size_t)cin_g * taps;
    nout = (size_t)s->c_out * (size_t)oh * (size_t)ow;
    macs = (double)nout * (double)cin_g * (double)taps;
    in = xcalloc(nin, 1);
    w = xcalloc(nw, 1);
    out = xcalloc(nout, 1);
    bias = xcalloc((size_t)s->c_out, sizeof *bias);
    mult = xcalloc((size_t)s->c_out, sizeof *mult);
    shift = xcalloc((size_t)s->c_out, sizeof *shift);
    kscale = xcalloc((size_t)s->c_out, sizeof *kscale);
    fill_s8(in, nin, 1);
    fill_s8(w, nw, 2);
    for (c = 0; c < s->c_out; ++c) {
      int sh;
      kscale[c] = 0.01f;
      spx_rt_quantize_multiplier(0.5 * 0.01 / 1.0, &mult[c], &sh);
      shift[c] = sh;
      bias[c] = 100 * c;
    }
    q.in_zero_point = -3;
    q.out_zero_point = -128;
    q.multiplier = mult;
    q.shift = shift;
    q.act_min = -128;
    q.act_max = 127;

    /* ours, dense int8 */
    if (s->dense) {
      ss = spx_rt_dense_s8_get_buffer_size(&dp);
      scratch = xcalloc(ss, 1);
      TIME_LOOP(t_ours, min_s, spx_rt_dense_s8(&dp, &q, in, w, bias, out, scratch, ss));
    } else {
      ss = spx_rt_conv2d_s8_get_buffer_size(&p);
      scratch = xcalloc(ss, 1);
      TIME_LOOP(t_ours, min_s, spx_rt_conv2d_s8(&p, &q, in, w, bias, out, scratch, ss));
    }
    free(scratch);

    /* XNNPACK (its own weight layout and NHWC; random weights all the same) */
    if (s->dense) {
      if (xnn_create_fully_connected_nc_qs8((size_t)s->c_in, (size_t)s->c_out,
                                            (size_t)s->c_in, (size_t)s->c_out, -3, 0.5f,
                                            0.01f, w, bias, -128, 1.0f, -128, 127, 0,
                                            &op) != xnn_status_success)
        die("xnn_create_fully_connected_nc_qs8");
      if (xnn_setup_fully_connected_nc_qs8(op, 1, in, out, NULL) != xnn_status_success)
        die("xnn_setup_fully_connected_nc_qs8");
    } else {
      if (xnn_create_convolution2d_nhwc_qc8(
              (uint32_t)s->pad, (uint32_t)s->pad, (uint32_t)s->pad, (uint32_t)s->pad,
              (uint32_t)s->k, (uint32_t)s->k, (uint32_t)s->stride, (uint32_t)s->stride, 1, 1,
              (uint32_t)s->groups,
              (size_t)cin_g, (size_t)cout_g, (size_t)s->c_in, (size_t)s->c_out, -3, 0.5f,
              kscale, w, bias, -128, 1.0f, -128, 127, 0, &op) != xnn_status_success)
        die("xnn_create_convolution2d_nhwc_qc8");
      if (xnn_setup_convolution2d_nhwc_qc8(op, 1, (size_t)s->h, (size_t)s->w, in, out,
                                           NULL) != xnn_status_success)
        die("xnn_setup_convolution2d_nhwc_qc8");
    }
    TIME_LOOP(t_xnn, min_s, xnn_run_operator(op, NULL));
    xnn_delete_operator(op);

    /* ours, CBR at 50% block density */
    prune_blocks(w, (size_t)s->c_out, (size_t)cin_g, taps);
    cd.rows = (uint32_t)s->c_out;
    cd.cols = (uint32_t)cin_g;
    cd.kh = cd.kw = (uint16_t)s->k;
    cd.groups = (uint32_t)s->groups;
    lc = spx_fmt_cbr_encoded_size(&cd, w);
    wc = xcalloc(lc, 1);
    if (spx_fmt_cbr_encode(&cd, w, wc, lc, &lc) != SPX_RT_OK) die("spx_fmt_cbr_encode");
    if (s->dense) {
      ss = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &dp);
      scratch = xcalloc(ss, 1);
      TIME_LOOP(t_cbr, min_s,
                spx_rt_dense_s8_fmt(&spx_fmt_desc_CBR, &dp, &q, in, wc, lc, bias, out,
                                    scratch, ss));
    } else {
      ss = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &p);
      scratch = xcalloc(ss, 1);
      TIME_LOOP(t_cbr, min_s,
                spx_rt_conv2d_s8_fmt(&spx_fmt_desc_CBR, &p, &q, in, wc, lc, bias, out,
                                     scratch, ss));
    }
    free(scratch);
    free(wc);

    printf("%-26s %8.1f %10.2f %10.2f %8.2f %10.2f %9.2f\n", s->name, macs / 1e6,
           macs / t_ours / 1e9, macs / t_xnn / 1e9, t_xnn / t_ours, macs / t_cbr / 1e9,
           t_ours / t_cbr);
    free(in); free(w); free(out); free(bias); free(mult); free(shift); free(kscale);
  }
  xnn_deinitialize();
  return 0;
}
