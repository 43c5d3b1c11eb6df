/* kernels_bench.c - spx-bench-kernels: times the int8 conv2d and dense
 * kernels of libspxrt for every weight format (dense int8, CBR with half of
 * the 8x8 blocks pruned, BBS zp_shift G = 16 N = 2, ternary (8, 2): the
 * signs of the two largest weights of every 8 input channels) and the f32
 * reference on
 * ResNet-50, MobileNet and digits layer shapes, printing GMAC/s (of the
 * dense layer's MACs). Not a test.
 *
 *   spx-bench-kernels [min_seconds_per_layer]   (default 0.5)
 *   spx-bench-kernels --one LAYER FORMAT ITERS
 *
 * --one runs only layer LAYER (its row number in the table, from 0) in
 * FORMAT (s8, cbr, bbs, tern or f32) for exactly ITERS calls and no warm-up, for
 * instruction counts that do not depend on the machine's load:
 *   valgrind --tool=callgrind --toggle-collect=spx_rt_conv2d_s8_fmt \
 *     spx-bench-kernels --one 6 cbr 10
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"

typedef struct conv_shape {
  const char *name;
  int32_t c_in, h, w, c_out, k, stride, pad, groups;
} conv_shape_t;

static const conv_shape_t k_convs[] = {
    {"resnet50 conv 3x3 64->64 56x56", 64, 56, 56, 64, 3, 1, 1, 1},
    {"resnet50 conv 1x1 256->64 56x56", 256, 56, 56, 64, 1, 1, 0, 1},
    {"resnet50 conv 1x1 64->256 56x56", 64, 56, 56, 256, 1, 1, 0, 1},
    {"resnet50 conv 3x3 128->128 28x28", 128, 28, 28, 128, 3, 1, 1, 1},
    {"resnet50 conv 3x3 512->512 7x7", 512, 7, 7, 512, 3, 1, 1, 1},
    {"resnet50 conv1 7x7/2 3->64 224x224", 3, 224, 224, 64, 7, 2, 3, 1},
    {"mobilenet dw 3x3 256 28x28", 256, 28, 28, 256, 3, 1, 1, 256},
    {"digits conv 3x3 1->8 8x8", 1, 8, 8, 8, 3, 1, 1, 1},
};

typedef struct dense_shape {
  const char *name;
  int32_t n, f, u;
} dense_shape_t;

static const dense_shape_t k_denses[] = {
    {"resnet50 fc 2048->1000", 1, 2048, 1000},
    {"resnet50 fc 2048->1000 batch 8", 8, 2048, 1000},
    {"digits dense 64->10", 1, 64, 10},
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* FNV-1a of the output bytes (--one: compare runs of two builds). */
static unsigned long hash_s8(const int8_t *p, size_t n) {
  unsigned long h = 2166136261ul;
  size_t i;
  for (i = 0; i < n; ++i) h = ((h ^ (unsigned char)p[i]) * 16777619ul) & 0xfffffffful;
  return h;
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
    fprintf(stderr, "spx-bench-kernels: out of memory\n");
    exit(1);
  }
  return p;
}

/* Zeroes every other 8x8 block (checkerboard) of OIHW weights [m][k][taps]
 * so that the CBR encoding stores half of them. */
static void prune_blocks(int8_t *w, size_t m, size_t k, size_t taps) {
  size_t o, i, t;
  for (o = 0; o < m; ++o)
    for (i = 0; i < k; ++i)
      if (((o / 8) + (i / 8)) % 2)
        for (t = 0; t < taps; ++t) w[(o * k + i) * taps + t] = 0;
}

static uint8_t *encode_cbr(const int8_t *w, uint32_t m, uint32_t k, uint16_t kh,
                           uint16_t kw, uint32_t groups, size_t *len) {
  spx_fmt_cbr_dims_t d;
  uint8_t *out;
  d.rows = m;
  d.cols = k;
  d.kh = kh;
  d.kw = kw;
  d.groups = groups;
  *len = spx_fmt_cbr_encoded_size(&d, w);
  out = xcalloc(*len, 1);
  if (spx_fmt_cbr_encode(&d, w, out, *len, len) != SPX_RT_OK) exit(1);
  return out;
}

static uint8_t *encode_bbs(const int8_t *w, uint32_t m, uint32_t k, uint16_t kh,
                           uint16_t kw, size_t *len) {
  spx_fmt_bbs_dims_t d;
  spx_fmt_bbs_config_t c;
  uint8_t *out;
  d.rows = m;
  d.cols = k;
  d.kh = kh;
  d.kw = kw;
  c.group = 16;
  c.method = SPX_FMT_BBS_ZP_SHIFT;
  c.n_pruned = 2;
  c.class_of = NULL;
  *len = spx_fmt_bbs_encoded_size(&d, &c);
  out = xcalloc(*len, 1);
  if (spx_fmt_bbs_encode(&d, &c, w, out, *len, len) != SPX_RT_OK) exit(1);
  return out;
}

/* Ternary (8, 2) weights from int8 ones: per group of 8 input channels at a
 * tap, the signs of the two largest magnitudes (ties to the lower channel);
 * a group with fewer non-zeros (the blocks prune_blocks zeroed) gets +1 and
 * -1 at lanes of its own, so that every group has 2 of 8 non-zero (fewer
 * only in a group of fewer lanes). */
static uint8_t *encode_ternary(const int8_t *w, uint32_t m, uint32_t k, uint16_t kh,
                               uint16_t kw, uint32_t groups, size_t *len) {
  spx_fmt_dims_t d;
  size_t taps = (size_t)kh * kw, o, t, i0, i;
  int8_t *tw = xcalloc((size_t)m * k * taps, 1);
  uint8_t *out;
  d.rows = m;
  d.cols = k;
  d.kh = kh;
  d.kw = kw;
  d.groups = groups;
  for (o = 0; o < m; ++o)
    for (t = 0; t < taps; ++t)
      for (i0 = 0; i0 < k; i0 += 8) {
        size_t best[2] = {(size_t)-1, (size_t)-1};
        for (i = i0; i < k && i < i0 + 8; ++i) {
          size_t at = (o * k + i) * taps + t;
          int a = abs(w[at]);
          if (!a) continue;
          if (best[0] == (size_t)-1 || a > abs(w[best[0]])) {
            best[1] = best[0];
            best[0] = at;
          } else if (best[1] == (size_t)-1 || a > abs(w[best[1]])) {
            best[1] = at;
          }
        }
        for (i = 0; i < 2; ++i)
          if (best[i] != (size_t)-1) tw[best[i]] = w[best[i]] < 0 ? -1 : 1;
        {
          size_t lanes = k - i0 < 8 ? k - i0 : 8, l, nz = 0;
          for (l = 0; l < lanes; ++l) nz += tw[(o * k + i0 + l) * taps + t] != 0;
          for (l = (o + t) % lanes; nz < 2 && nz < lanes; l = (l + 1) % lanes) {
            int8_t *p = &tw[(o * k + i0 + l) * taps + t];
            if (*p) continue;
            *p = nz ? -1 : 1;
            ++nz;
          }
        }
      }
  *len = spx_fmt_ternary_encoded_size(&d, 8, 2);
  out = xcalloc(*len, 1);
  if (spx_fmt_ternary_encode(&d, 8, 2, tw, out, *len, len) != SPX_RT_OK) exit(1);
  free(tw);
  return out;
}

/* --one: the layer row and format to run, and the number of calls. */
static long g_layer = -1, g_iters = 0;
static const char *g_fmt = NULL;

/* Whether row `layer` in format `fmt` is to run. */
static int wanted(size_t layer, const char *fmt) {
  return g_layer < 0 || ((size_t)g_layer == layer && !strcmp(g_fmt, fmt));
}

/* Runs fn until min_s seconds have passed (--one: exactly g_iters times, no
 * warm-up); sets per_call to the seconds per call (0: not run). */
#define TIME_LOOP(row, fmt, min_s, call)                                      \
  do {                                                                        \
    double t0, t;                                                             \
    long iters = 0;                                                           \
    per_call = 0;                                                             \
    if (!wanted(row, fmt)) break;                                             \
    if (g_iters > 0) {                                                        \
      t0 = now();                                                             \
      for (; iters < g_iters; ++iters) call;                                  \
      per_call = (now() - t0) / (double)iters;                                \
      break;                                                                  \
    }                                                                         \
    call; /* warm-up */                                                       \
    t0 = now();                                                               \
    do {                                                                      \
      call;                                                                   \
      ++iters;                                                                \
      t = now() - t0;                                                         \
    } while (t < (min_s));                                                    \
    per_call = t / (double)iters;                                             \
  } while (0)

int main(int argc, char **argv) {
  double min_s = 0.5;
  size_t i;
  const size_t n_convs = sizeof k_convs / sizeof k_convs[0];
  if (argc > 1 && !strcmp(argv[1], "--one")) {
    if (argc != 5 || (strcmp(argv[3], "s8") && strcmp(argv[3], "cbr") &&
                      strcmp(argv[3], "bbs") && strcmp(argv[3], "tern") &&
                      strcmp(argv[3], "f32"))) {
      fprintf(stderr, "usage: spx-bench-kernels --one LAYER s8|cbr|bbs|tern|f32 ITERS\n");
      return 2;
    }
    g_layer = atol(argv[2]);
    g_fmt = argv[3];
    g_iters = atol(argv[4]) > 0 ? atol(argv[4]) : 1;
  } else if (argc > 1) {
    min_s = atof(argv[1]);
  }
  printf("%-38s %8s %9s %10s %10s %10s %10s %10s\n", "layer", "MMAC", "s8 ms",
         "s8 GMAC/s", "cbr", "bbs", "tern", "f32");
  for (i = 0; i < sizeof k_convs / sizeof k_convs[0]; ++i) {
    const conv_shape_t *s = &k_convs[i];
    spx_rt_conv2d_params_t p;
    spx_rt_requant_pc_t q;
    int32_t oh, ow, c;
    size_t nin, nw, nout, ss;
    int8_t *in, *w, *out;
    int32_t *bias, *mult, *shift;
    float *fin, *fw, *fout;
    void *scratch;
    double macs, per_call, s8_s, f32_s, cbr_s, bbs_s, tern_s;
    uint8_t *wc, *wb, *wt;
    size_t lc, lb, lt;
    if (g_layer >= 0 && (size_t)g_layer != i) continue;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c_in = s->c_in;
    p.h = s->h;
    p.w = s->w;
    p.c_out = s->c_out;
    p.kh = p.kw = s->k;
    p.stride[0] = p.stride[1] = s->stride;
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = s->pad;
    p.dilation[0] = p.dilation[1] = 1;
    p.groups = s->groups;
    p.act = SPX_RT_ACT_RELU;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) return 1;
    nin = (size_t)s->c_in * (size_t)s->h * (size_t)s->w;
    nw = (size_t)s->c_out * (size_t)(s->c_in / s->groups) * (size_t)s->k * (size_t)s->k;
    nout = (size_t)s->c_out * (size_t)oh * (size_t)ow;
    macs = (double)nout * (double)(s->c_in / s->groups) * s->k * s->k;
    in = xcalloc(nin, 1);
    w = xcalloc(nw, 1);
    out = xcalloc(nout, 1);
    bias = xcalloc((size_t)s->c_out, sizeof *bias);
    mult = xcalloc((size_t)s->c_out, sizeof *mult);
    shift = xcalloc((size_t)s->c_out, sizeof *shift);
    fill_s8(in, nin, 1);
    fill_s8(w, nw, 2);
    if (s->groups == 1)
      prune_blocks(w, (size_t)s->c_out, (size_t)s->c_in, (size_t)s->k * (size_t)s->k);
    for (c = 0; c < s->c_out; ++c) {
      int sh;
      spx_rt_quantize_multiplier(0.0007, &mult[c], &sh);
      shift[c] = sh;
      bias[c] = 100 * c;
    }
    q.in_zero_point = -3;
    q.out_zero_point = -128;
    q.multiplier = mult;
    q.shift = shift;
    q.act_min = -128;
    q.act_max = 127;
    ss = spx_rt_conv2d_s8_get_buffer_size(&p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(i, "s8", min_s, spx_rt_conv2d_s8(&p, &q, in, w, bias, out, scratch, ss));
    s8_s = per_call;
    free(scratch);
    wc = encode_cbr(w, (uint32_t)s->c_out, (uint32_t)(s->c_in / s->groups),
                    (uint16_t)s->k, (uint16_t)s->k, (uint32_t)s->groups, &lc);
    ss = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(i, "cbr", min_s, spx_rt_conv2d_s8_fmt(&spx_fmt_desc_CBR, &p, &q, in, wc, lc, bias, out, scratch, ss));
    cbr_s = per_call;
    free(scratch);
    wb = encode_bbs(w, (uint32_t)s->c_out, (uint32_t)(s->c_in / s->groups),
                    (uint16_t)s->k, (uint16_t)s->k, &lb);
    ss = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(i, "bbs", min_s, spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, wb, lb, bias, out, scratch, ss));
    bbs_s = per_call;
    free(scratch);
    wt = encode_ternary(w, (uint32_t)s->c_out, (uint32_t)(s->c_in / s->groups),
                        (uint16_t)s->k, (uint16_t)s->k, (uint32_t)s->groups, &lt);
    ss = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(i, "tern", min_s,
              spx_rt_conv2d_s8_fmt(&spx_fmt_desc_TERNARY, &p, &q, in, wt, lt, bias, out, scratch, ss));
    tern_s = per_call;
    free(wc);
    free(wb);
    free(wt);
    fin = xcalloc(nin, sizeof *fin);
    fw = xcalloc(nw, sizeof *fw);
    fout = xcalloc(nout, sizeof *fout);
    TIME_LOOP(i, "f32", min_s / 2, spx_rt_conv2d_f32(&p, fin, fw, NULL, fout));
    f32_s = per_call;
    if (g_layer >= 0)
      printf("%s %s: output hash %08lx\n", s->name, g_fmt, hash_s8(out, nout));
    printf("%-38s %8.1f %9.3f %10.3f %10.3f %10.3f %10.3f %10.3f\n", s->name, macs / 1e6,
           s8_s * 1e3, macs / s8_s / 1e9, macs / cbr_s / 1e9, macs / bbs_s / 1e9,
           macs / tern_s / 1e9, macs / f32_s / 1e9);
    free(in); free(w); free(out); free(bias); free(mult); free(shift);
    free(scratch); free(fin); free(fw); free(fout);
  }
  for (i = 0; i < sizeof k_denses / sizeof k_denses[0]; ++i) {
    const dense_shape_t *s = &k_denses[i];
    spx_rt_dense_params_t p;
    spx_rt_requant_pc_t q;
    int8_t *in, *w, *out;
    int32_t *bias, *mult, *shift, c;
    float *fin, *fw, *fout;
    void *scratch;
    size_t ss, lc, lb, lt;
    uint8_t *wc, *wb, *wt;
    double macs = (double)s->n * s->f * s->u, per_call, s8_s, f32_s, cbr_s, bbs_s, tern_s;
    if (g_layer >= 0 && (size_t)g_layer != n_convs + i) continue;
    p.n = s->n;
    p.features = s->f;
    p.units = s->u;
    p.act = SPX_RT_ACT_NONE;
    in = xcalloc((size_t)s->n * (size_t)s->f, 1);
    w = xcalloc((size_t)s->u * (size_t)s->f, 1);
    out = xcalloc((size_t)s->n * (size_t)s->u, 1);
    bias = xcalloc((size_t)s->u, sizeof *bias);
    mult = xcalloc((size_t)s->u, sizeof *mult);
    shift = xcalloc((size_t)s->u, sizeof *shift);
    fill_s8(in, (size_t)s->n * (size_t)s->f, 3);
    fill_s8(w, (size_t)s->u * (size_t)s->f, 4);
    prune_blocks(w, (size_t)s->u, (size_t)s->f, 1);
    for (c = 0; c < s->u; ++c) {
      int sh;
      spx_rt_quantize_multiplier(0.001, &mult[c], &sh);
      shift[c] = sh;
    }
    q.in_zero_point = 5;
    q.out_zero_point = 0;
    q.multiplier = mult;
    q.shift = shift;
    q.act_min = -128;
    q.act_max = 127;
    ss = spx_rt_dense_s8_get_buffer_size(&p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(n_convs + i, "s8", min_s, spx_rt_dense_s8(&p, &q, in, w, bias, out, scratch, ss));
    s8_s = per_call;
    free(scratch);
    wc = encode_cbr(w, (uint32_t)s->u, (uint32_t)s->f, 1, 1, 1, &lc);
    ss = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_CBR, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(n_convs + i, "cbr", min_s, spx_rt_dense_s8_fmt(&spx_fmt_desc_CBR, &p, &q, in, wc, lc, bias, out, scratch, ss));
    cbr_s = per_call;
    free(scratch);
    wb = encode_bbs(w, (uint32_t)s->u, (uint32_t)s->f, 1, 1, &lb);
    ss = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(n_convs + i, "bbs", min_s, spx_rt_dense_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, wb, lb, bias, out, scratch, ss));
    bbs_s = per_call;
    free(scratch);
    wt = encode_ternary(w, (uint32_t)s->u, (uint32_t)s->f, 1, 1, 1, &lt);
    ss = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_TERNARY, &p);
    scratch = xcalloc(ss, 1);
    TIME_LOOP(n_convs + i, "tern", min_s,
              spx_rt_dense_s8_fmt(&spx_fmt_desc_TERNARY, &p, &q, in, wt, lt, bias, out, scratch, ss));
    tern_s = per_call;
    free(wc);
    free(wb);
    free(wt);
    fin = xcalloc((size_t)s->n * (size_t)s->f, sizeof *fin);
    fw = xcalloc((size_t)s->u * (size_t)s->f, sizeof *fw);
    fout = xcalloc((size_t)s->n * (size_t)s->u, sizeof *fout);
    TIME_LOOP(n_convs + i, "f32", min_s / 2, spx_rt_dense_f32(&p, fin, fw, NULL, fout));
    f32_s = per_call;
    if (g_layer >= 0)
      printf("%s %s: output hash %08lx\n", s->name, g_fmt,
             hash_s8(out, (size_t)s->n * (size_t)s->u));
    printf("%-38s %8.1f %9.3f %10.3f %10.3f %10.3f %10.3f %10.3f\n", s->name, macs / 1e6,
           s8_s * 1e3, macs / s8_s / 1e9, macs / cbr_s / 1e9, macs / bbs_s / 1e9,
           macs / tern_s / 1e9, macs / f32_s / 1e9);
    free(in); free(w); free(out); free(bias); free(mult); free(shift);
    free(scratch); free(fin); free(fw); free(fout);
  }
  return 0;
}
