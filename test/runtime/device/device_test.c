/* spx-device-test: checks of runtime/device (layer_run.c, cpu.c) and the
 * quantize/dequantize kernels.
 *
 *   spx-device-test                 run every check; prints one line per
 *                                   group and "N checks, 0 failed"
 *   spx-device-test --write DIR     also writes DIR/sample.spxbin (the int8
 *                                   CNN of check_model) for the spx-run tests
 *
 * Layer checks compare spx_rt_layer_run with the kernels called directly on
 * separate buffers with parameters built here by hand; the model check runs
 * a stream made with the spx_cs_image builder on the cpu device and
 * compares it bit for bit with the same chain of direct kernel calls. The
 * convert kernels are checked against hand-computed values. */
#include "runtime/device/spx_device.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/runtime/test_util.h"

static void fill_f32(float *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (float)((int)(rnd() % 2001) - 1000) / 250.0f;
}

/* Workspace for layer checks: 64 KB, 16-aligned. */
static _Alignas(16) uint8_t ws[1 << 16];
static _Alignas(16) uint8_t scratch[1 << 16];

static spx_rt_tensor_t tensor(uint8_t dt, unsigned rank, const uint32_t *dims,
                              float scale, int32_t zp, uint32_t offset) {
  spx_rt_tensor_t t;
  memset(&t, 0, sizeof t);
  t.dtype = dt;
  t.rank = (uint8_t)rank;
  for (unsigned d = 0; d < rank; d++) t.dims[d] = dims[d];
  t.scale = scale;
  t.zero_point = zp;
  t.offset = offset;
  return t;
}

static spx_rt_quant_t qz(float s, int32_t z) {
  spx_rt_quant_t q = {s, z};
  return q;
}

static spx_rt_status_t run(const spx_rt_layer_t *l) {
  return spx_rt_layer_run(l, ws, scratch, sizeof scratch);
}

static void expect_reject(const spx_rt_layer_t *l, spx_rt_status_t want,
                          const char *what) {
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  spx_rt_status_t st = spx_rt_layer_check(l, &why);
  check(st == want && why.message[0], "%s: check gives %d (%s), want %d", what,
        (int)st, why.message, (int)want);
  check(run(l) == want, "%s: run does not give %d", what, (int)want);
  printf("reject %s: %s\n", what, why.message);
}

/* ---- layers ---------------------------------------------------------------- */

static void check_conv(void) {
  /* int8 conv 3 -> 4, 5x5, 3x3 pad 1, relu, per-channel requant. */
  static int8_t x[3 * 25], w[4 * 3 * 9], ref[4 * 25];
  static int32_t b[4], m[4], sh[4];
  uint32_t din[4] = {1, 3, 5, 5}, dout[4] = {1, 4, 5, 5};
  spx_rt_tensor_t tin = tensor(SPX_RT_INT8, 4, din, 0.05f, -3, 0);
  spx_rt_tensor_t tout = tensor(SPX_RT_INT8, 4, dout, 0.1f, 5, 1024);
  fill_s8(x, sizeof x);
  fill_w8(w, sizeof w);
  for (int c = 0; c < 4; c++) {
    int s;
    b[c] = (int32_t)(rnd() % 2000) - 1000;
    spx_rt_quantize_multiplier(0.05 * (0.01 + 0.002 * c) / 0.1, &m[c], &s);
    sh[c] = s;
  }
  memcpy(ws, x, sizeof x);
  spx_rt_layer_t l;
  memset(&l, 0, sizeof l);
  l.op = SPX_RT_OP_CONV2D;
  l.act = 1;
  l.n_in = 1;
  l.in[0] = &tin;
  l.out = &tout;
  l.weights = w;
  l.bias = b;
  l.multiplier = m;
  l.shift = sh;
  l.groups = 1;
  l.kernel[0] = l.kernel[1] = 3;
  l.stride[0] = l.stride[1] = 1;
  l.dilation[0] = l.dilation[1] = 1;
  l.pad[0] = l.pad[1] = l.pad[2] = l.pad[3] = 1;
  check(run(&l) == SPX_RT_OK, "conv2d s8 runs");

  spx_rt_conv2d_params_t p = {1, 3, 5, 5, 4, 3, 3, {1, 1}, {1, 1, 1, 1},
                              {1, 1}, 1, SPX_RT_ACT_NONE};
  spx_rt_requant_pc_t q = {-3, 5, m, sh, 5, 127}; /* relu: [zp, 127] */
  static uint8_t scr[4096];
  check(spx_rt_conv2d_s8_get_buffer_size(&p) == spx_rt_layer_scratch_size(&l),
        "conv2d s8 scratch size");
  check(spx_rt_conv2d_s8(&p, &q, x, w, b, ref, scr, sizeof scr) == SPX_RT_OK,
        "conv2d s8 direct");
  check(!memcmp(ws + 1024, ref, sizeof ref), "conv2d s8 matches the kernel");

  /* Too little scratch. */
  check(spx_rt_layer_run(&l, ws, scratch, spx_rt_layer_scratch_size(&l) - 1) ==
            SPX_RT_ERR_BUFFER, "conv2d s8 short scratch");

  /* Depthwise int8, stride 2, relu6. */
  {
    static int8_t wd[3 * 9], refd[3 * 9];
    uint32_t dd[4] = {1, 3, 3, 3};
    spx_rt_tensor_t td = tensor(SPX_RT_INT8, 4, dd, 0.02f, -10, 2048);
    spx_rt_layer_t ld = l;
    fill_w8(wd, sizeof wd);
    ld.act = 2;
    ld.out = &td;
    ld.weights = wd;
    ld.groups = 3;
    ld.stride[0] = ld.stride[1] = 2;
    check(run(&ld) == SPX_RT_OK, "depthwise s8 runs");
    spx_rt_conv2d_params_t pd = p;
    pd.c_out = 3;
    pd.groups = 3;
    pd.stride[0] = pd.stride[1] = 2;
    spx_rt_requant_pc_t qd = {-3, -10, m, sh, 0, 0};
    spx_rt_act_range_s8(SPX_RT_ACT_RELU6, qz(0.02f, -10), &qd.act_min, &qd.act_max);
    check(spx_rt_conv2d_s8(&pd, &qd, x, wd, b, refd, scr, sizeof scr) == SPX_RT_OK,
          "depthwise direct");
    check(!memcmp(ws + 2048, refd, sizeof refd), "depthwise s8 matches the kernel");
  }

  /* f32 conv with fused sigmoid = conv f32, then sigmoid f32. */
  {
    static float xf[3 * 25], wf[4 * 3 * 9], bf[4], reff[4 * 25];
    spx_rt_tensor_t fin = tensor(SPX_RT_F32, 4, din, 0, 0, 0);
    spx_rt_tensor_t fout = tensor(SPX_RT_F32, 4, dout, 0, 0, 4096);
    spx_rt_layer_t lf = l;
    fill_f32(xf, 75);
    fill_f32(wf, 108);
    fill_f32(bf, 4);
    memcpy(ws, xf, sizeof xf);
    lf.in[0] = &fin;
    lf.out = &fout;
    lf.weights = wf;
    lf.bias = bf;
    lf.multiplier = NULL;
    lf.shift = NULL;
    lf.act = 3;
    check(run(&lf) == SPX_RT_OK, "conv2d f32 + sigmoid runs");
    check(spx_rt_layer_scratch_size(&lf) == 0, "conv2d f32 needs no scratch");
    check(spx_rt_conv2d_f32(&p, xf, wf, bf, reff) == SPX_RT_OK &&
              spx_rt_sigmoid_f32(100, reff, reff) == SPX_RT_OK,
          "conv f32 direct");
    check(!memcmp(ws + 4096, reff, sizeof reff), "conv2d f32 + sigmoid matches");

    /* Rejections. */
    spx_rt_layer_t bad = l;
    bad.act = 3;
    expect_reject(&bad, SPX_RT_ERR_ARG, "int8 conv2d with fused sigmoid");
    bad = l;
    bad.weights = NULL;
    expect_reject(&bad, SPX_RT_ERR_ARG, "conv2d without weights");
    bad = l;
    bad.multiplier = NULL;
    expect_reject(&bad, SPX_RT_ERR_ARG, "int8 conv2d without multipliers");
    bad = l;
    bad.out = &fout;
    expect_reject(&bad, SPX_RT_ERR_ARG, "conv2d int8 in, f32 out");
    bad = l;
    bad.stride[0] = 2;
    expect_reject(&bad, SPX_RT_ERR_SHAPE, "conv2d output shape");
    bad = l;
    bad.groups = 2;
    expect_reject(&bad, SPX_RT_ERR_SHAPE, "conv2d groups");
    bad = l;
    bad.weights_encoding = 1;
    expect_reject(&bad, SPX_RT_ERR_FORMAT, "conv2d encoded weights");
    bad = l;
    bad.multiplier_count = 2; /* neither 1 nor one per output channel */
    expect_reject(&bad, SPX_RT_ERR_ARG, "conv2d multiplier count");
  }
  printf("conv2d: ok\n");
}

static void check_dense_and_elementwise(void) {
  static int8_t x[2 * 16], w[6 * 16], ref[2 * 6];
  static int32_t b[6], m[6], sh[6];
  uint32_t din[2] = {2, 16}, dout[2] = {2, 6};
  spx_rt_tensor_t tin = tensor(SPX_RT_INT8, 2, din, 0.03f, 7, 0);
  spx_rt_tensor_t tout = tensor(SPX_RT_INT8, 2, dout, 0.2f, -20, 256);
  fill_s8(x, sizeof x);
  fill_w8(w, sizeof w);
  for (int c = 0; c < 6; c++) {
    int s;
    b[c] = (int32_t)(rnd() % 4000) - 2000;
    spx_rt_quantize_multiplier(0.03 * 0.01 / 0.2 * (1 + c), &m[c], &s);
    sh[c] = s;
  }
  memcpy(ws, x, sizeof x);
  spx_rt_layer_t l;
  memset(&l, 0, sizeof l);
  l.op = SPX_RT_OP_DENSE;
  l.n_in = 1;
  l.in[0] = &tin;
  l.out = &tout;
  l.weights = w;
  l.bias = b;
  l.multiplier = m;
  l.shift = sh;
  check(run(&l) == SPX_RT_OK, "dense s8 runs");
  spx_rt_dense_params_t p = {2, 16, 6, SPX_RT_ACT_NONE};
  spx_rt_requant_pc_t q = {7, -20, m, sh, -128, 127};
  static uint8_t scr[256];
  check(spx_rt_layer_scratch_size(&l) == spx_rt_dense_s8_get_buffer_size(&p),
        "dense scratch size");
  check(spx_rt_dense_s8(&p, &q, x, w, b, ref, scr, sizeof scr) == SPX_RT_OK,
        "dense direct");
  check(!memcmp(ws + 256, ref, sizeof ref), "dense s8 matches the kernel");

  /* dense f32 + relu */
  {
    static float xf[32], wf[96], reff[12];
    spx_rt_tensor_t fin = tensor(SPX_RT_F32, 2, din, 0, 0, 512);
    spx_rt_tensor_t fout = tensor(SPX_RT_F32, 2, dout, 0, 0, 768);
    spx_rt_layer_t lf = l;
    fill_f32(xf, 32);
    fill_f32(wf, 96);
    memcpy(ws + 512, xf, sizeof xf);
    lf.in[0] = &fin;
    lf.out = &fout;
    lf.weights = wf;
    lf.bias = NULL;
    lf.multiplier = lf.shift = NULL;
    lf.act = 1;
    spx_rt_dense_params_t pf = {2, 16, 6, SPX_RT_ACT_RELU};
    check(run(&lf) == SPX_RT_OK, "dense f32 runs");
    check(spx_rt_dense_f32(&pf, xf, wf, NULL, reff) == SPX_RT_OK, "dense f32 direct");
    check(!memcmp(ws + 768, reff, sizeof reff), "dense f32 + relu matches");
  }

  /* int8 relu / relu6 with a change of quantization, in place and not. */
  {
    static int8_t r[32];
    uint32_t d1[1] = {32};
    spx_rt_tensor_t a = tensor(SPX_RT_INT8, 1, d1, 0.05f, 3, 1024);
    spx_rt_tensor_t o = tensor(SPX_RT_INT8, 1, d1, 0.04f, -100, 1100);
    spx_rt_requant_t rq;
    spx_rt_layer_t lr;
    memset(&lr, 0, sizeof lr);
    fill_s8(r, 32);
    memcpy(ws + 1024, r, 32);
    lr.op = SPX_RT_OP_RELU6;
    lr.n_in = 1;
    lr.in[0] = &a;
    lr.out = &o;
    check(run(&lr) == SPX_RT_OK, "relu6 s8 runs");
    spx_rt_requant_init(&rq, qz(0.05f, 3), qz(0.04f, -100), SPX_RT_ACT_RELU6);
    spx_rt_relu6_s8(32, &rq, r, r);
    check(!memcmp(ws + 1100, r, 32), "relu6 s8 matches the kernel");
    /* sigmoid int8: output must be 1/256, -128 */
    expect_reject(&(spx_rt_layer_t){.op = SPX_RT_OP_SIGMOID, .n_in = 1,
                                     .in = {&a}, .out = &o},
                  SPX_RT_ERR_ARG, "int8 sigmoid output quantization");
    spx_rt_tensor_t so = tensor(SPX_RT_INT8, 1, d1, 1.0f / 256, -128, 1200);
    spx_rt_sigmoid_s8_params_t sp;
    lr.op = SPX_RT_OP_SIGMOID;
    lr.out = &so;
    check(run(&lr) == SPX_RT_OK, "sigmoid s8 runs");
    fill_s8(r, 32);
    memcpy(r, ws + 1024, 32);
    spx_rt_sigmoid_s8_init(&sp, qz(0.05f, 3));
    spx_rt_sigmoid_s8(32, &sp, r, r);
    check(!memcmp(ws + 1200, r, 32), "sigmoid s8 matches the kernel");
    /* relu with a fused act is rejected */
    lr.op = SPX_RT_OP_RELU;
    lr.act = 1;
    lr.out = &o;
    expect_reject(&lr, SPX_RT_ERR_ARG, "fused act on relu");
    lr.act = 0;
    lr.n_in = 2;
    expect_reject(&lr, SPX_RT_ERR_ARG, "relu with two inputs");
  }
  printf("dense and elementwise: ok\n");
}

static void check_pool_add_concat_softmax(void) {
  static int8_t x[2 * 3 * 6 * 6], ref[512];
  uint32_t din[4] = {2, 3, 6, 6}, dpool[4] = {2, 3, 3, 3}, dg[4] = {2, 3, 1, 1};
  spx_rt_tensor_t tin = tensor(SPX_RT_INT8, 4, din, 0.1f, 4, 0);
  spx_rt_tensor_t tp = tensor(SPX_RT_INT8, 4, dpool, 0.1f, 4, 512);
  spx_rt_tensor_t tbad = tensor(SPX_RT_INT8, 4, dpool, 0.1f, 5, 512);
  spx_rt_tensor_t tg = tensor(SPX_RT_INT8, 4, dg, 0.03f, -2, 640);
  spx_rt_layer_t l;
  fill_s8(x, sizeof x);
  memcpy(ws, x, sizeof x);
  memset(&l, 0, sizeof l);
  l.op = SPX_RT_OP_MAXPOOL;
  l.n_in = 1;
  l.in[0] = &tin;
  l.out = &tp;
  l.kernel[0] = l.kernel[1] = 3;
  l.stride[0] = l.stride[1] = 2;
  l.pad[2] = l.pad[3] = 1;
  check(run(&l) == SPX_RT_OK, "maxpool s8 runs");
  spx_rt_pool_params_t pp = {2, 3, 6, 6, 3, 3, {2, 2}, {0, 0, 1, 1}};
  spx_rt_maxpool_s8(&pp, x, ref);
  check(!memcmp(ws + 512, ref, 54), "maxpool s8 matches the kernel");
  l.op = SPX_RT_OP_AVGPOOL;
  check(run(&l) == SPX_RT_OK, "avgpool s8 runs");
  spx_rt_avgpool_s8(&pp, x, ref);
  check(!memcmp(ws + 512, ref, 54), "avgpool s8 matches the kernel");
  l.out = &tbad;
  expect_reject(&l, SPX_RT_ERR_ARG, "int8 pool with different quantization");

  l.op = SPX_RT_OP_GLOBAL_AVGPOOL;
  l.out = &tg;
  memset(l.kernel, 0, sizeof l.kernel);
  memset(l.stride, 0, sizeof l.stride);
  memset(l.pad, 0, sizeof l.pad);
  check(run(&l) == SPX_RT_OK, "global_avgpool s8 runs");
  {
    spx_rt_requant_t rq;
    spx_rt_global_avgpool_s8_init(&rq, 36, qz(0.1f, 4), qz(0.03f, -2));
    spx_rt_global_avgpool_s8(2, 3, 36, &rq, x, ref);
    check(!memcmp(ws + 640, ref, 6), "global_avgpool s8 matches the kernel");
  }

  /* add int8 with relu */
  {
    uint32_t d[2] = {4, 9};
    spx_rt_tensor_t a = tensor(SPX_RT_INT8, 2, d, 0.1f, 4, 0);
    spx_rt_tensor_t b = tensor(SPX_RT_INT8, 2, d, 0.07f, -9, 36);
    spx_rt_tensor_t o = tensor(SPX_RT_INT8, 2, d, 0.15f, -30, 1024);
    spx_rt_add_s8_params_t ap;
    spx_rt_layer_t la;
    memset(&la, 0, sizeof la);
    la.op = SPX_RT_OP_ADD;
    la.act = 1;
    la.n_in = 2;
    la.in[0] = &a;
    la.in[1] = &b;
    la.out = &o;
    check(run(&la) == SPX_RT_OK, "add s8 runs");
    spx_rt_add_s8_init(&ap, qz(0.1f, 4), qz(0.07f, -9), qz(0.15f, -30), SPX_RT_ACT_RELU);
    spx_rt_add_s8(36, &ap, x, x + 36, ref);
    check(!memcmp(ws + 1024, ref, 36), "add s8 matches the kernel");
  }

  /* concat int8 of three inputs on axis 1, one with another quantization */
  {
    uint32_t d0[2] = {2, 3}, d1[2] = {2, 5}, d2[2] = {2, 1}, dout[2] = {2, 9};
    spx_rt_tensor_t i0 = tensor(SPX_RT_INT8, 2, d0, 0.1f, 4, 0);
    spx_rt_tensor_t i1 = tensor(SPX_RT_INT8, 2, d1, 0.2f, 0, 16);
    spx_rt_tensor_t i2 = tensor(SPX_RT_INT8, 2, d2, 0.1f, 4, 32);
    spx_rt_tensor_t o = tensor(SPX_RT_INT8, 2, dout, 0.1f, 4, 1024);
    spx_rt_requant_t rq[3];
    int32_t ad[3] = {3, 5, 1};
    const int8_t *ins[3];
    static int8_t copy[48];
    spx_rt_concat_params_t cp = {2, {2, 9}, 1, 3, ad};
    spx_rt_layer_t lc;
    memset(&lc, 0, sizeof lc);
    lc.op = SPX_RT_OP_CONCAT;
    lc.n_in = 3;
    lc.axis = -1;
    lc.in[0] = &i0;
    lc.in[1] = &i1;
    lc.in[2] = &i2;
    lc.out = &o;
    check(run(&lc) == SPX_RT_OK, "concat s8 runs");
    memcpy(copy, ws, sizeof copy);
    ins[0] = copy;
    ins[1] = copy + 16;
    ins[2] = copy + 32;
    spx_rt_requant_init(&rq[0], qz(0.1f, 4), qz(0.1f, 4), SPX_RT_ACT_NONE);
    spx_rt_requant_init(&rq[1], qz(0.2f, 0), qz(0.1f, 4), SPX_RT_ACT_NONE);
    spx_rt_requant_init(&rq[2], qz(0.1f, 4), qz(0.1f, 4), SPX_RT_ACT_NONE);
    spx_rt_concat_s8(&cp, rq, ins, ref);
    check(!memcmp(ws + 1024, ref, 18), "concat s8 matches the kernel");
    /* wrong sum on the axis */
    d2[1] = 2;
    spx_rt_tensor_t i2b = tensor(SPX_RT_INT8, 2, d2, 0.1f, 4, 32);
    lc.in[2] = &i2b;
    expect_reject(&lc, SPX_RT_ERR_SHAPE, "concat sizes on the axis");
  }

  /* softmax int8 and f32; axis must be the last */
  {
    uint32_t d[2] = {3, 10};
    spx_rt_tensor_t a = tensor(SPX_RT_INT8, 2, d, 0.12f, 1, 0);
    spx_rt_tensor_t o = tensor(SPX_RT_INT8, 2, d, 1.0f / 256, -128, 1024);
    spx_rt_tensor_t fa = tensor(SPX_RT_F32, 2, d, 0, 0, 2048);
    spx_rt_tensor_t fo = tensor(SPX_RT_F32, 2, d, 0, 0, 4096);
    spx_rt_softmax_s8_params_t sp;
    static float xf[30], reff[30];
    spx_rt_layer_t ls;
    memcpy(ws, x, 30);
    memset(&ls, 0, sizeof ls);
    ls.op = SPX_RT_OP_SOFTMAX;
    ls.n_in = 1;
    ls.axis = -1;
    ls.in[0] = &a;
    ls.out = &o;
    check(run(&ls) == SPX_RT_OK, "softmax s8 runs");
    spx_rt_softmax_s8_init(&sp, qz(0.12f, 1), 1.0);
    spx_rt_softmax_s8(3, 10, &sp, x, ref);
    check(!memcmp(ws + 1024, ref, 30), "softmax s8 matches the kernel");
    ls.axis = 0;
    expect_reject(&ls, SPX_RT_ERR_ARG, "softmax on axis 0");
    ls.axis = 1;
    ls.in[0] = &fa;
    ls.out = &fo;
    fill_f32(xf, 30);
    memcpy(ws + 2048, xf, sizeof xf);
    check(run(&ls) == SPX_RT_OK, "softmax f32 runs");
    spx_rt_softmax_f32(3, 10, xf, reff);
    check(!memcmp(ws + 4096, reff, sizeof reff), "softmax f32 matches the kernel");
    /* copy: f32 [3,10] -> [30] */
    uint32_t dflat[1] = {30};
    spx_rt_tensor_t fl = tensor(SPX_RT_F32, 1, dflat, 0, 0, 8192);
    ls.op = SPX_RT_OP_COPY;
    ls.axis = 0;
    ls.out = &fl;
    check(run(&ls) == SPX_RT_OK && !memcmp(ws + 8192, xf, sizeof xf),
          "copy moves the bytes");
    dflat[0] = 29;
    spx_rt_tensor_t fl2 = tensor(SPX_RT_F32, 1, dflat, 0, 0, 8192);
    ls.out = &fl2;
    expect_reject(&ls, SPX_RT_ERR_SHAPE, "copy with a different element count");
  }
  check(run(NULL) == SPX_RT_ERR_ARG, "NULL layer");
  check(spx_rt_layer_scratch_size(NULL) == 0, "NULL layer scratch");
  printf("pool, add, concat, softmax, copy: ok\n");
}

static void check_convert(void) {
  /* scale 0.5, zero point 3: x / 0.5 rounded half away from zero, + 3 */
  const float x[8] = {0.25f, -0.25f, 100.0f, -100.0f, NAN, 0.74f, -0.76f, 0.0f};
  const int8_t want[8] = {4, 2, 127, -128, 3, 4, 1, 3};
  int8_t q[8];
  float back[8];
  uint32_t d[1] = {8};
  check(spx_rt_quantize_f32_s8(8, qz(0.5f, 3), x, q) == SPX_RT_OK, "quantize runs");
  for (int i = 0; i < 8; i++)
    check(q[i] == want[i], "quantize[%d] = %d, want %d", i, q[i], want[i]);
  check(spx_rt_dequantize_s8_f32(8, qz(0.5f, 3), want, back) == SPX_RT_OK,
        "dequantize runs");
  const float wantf[8] = {0.5f, -0.5f, 62.0f, -65.5f, 0.0f, 0.5f, -1.0f, 0.0f};
  for (int i = 0; i < 8; i++)
    check(back[i] == wantf[i], "dequantize[%d] = %g, want %g", i, back[i], wantf[i]);
  check(spx_rt_quantize_f32_s8(8, qz(0.0f, 0), x, q) == SPX_RT_ERR_ARG,
        "quantize with scale 0");
  { /* against the definition: clamp(zp + roundf(x / scale)), NaN -> zp; the
     * halves and their neighbours, huge values, infinities, denormals */
    static float xs[4096];
    static int8_t got[4096];
    const float scales[4] = {1.0f, 0.5f, 1.0f / 255, 3.0e-3f};
    const int32_t zps[4] = {0, -128, 127, 3};
    uint32_t rs = 7;
    size_t n = 0, i;
    int bad = 0;
    for (i = 0; i < 600; i++) { /* k + 0.5 and one ulp either side */
      const float h = (float)((int)i - 300) + 0.5f;
      xs[n++] = h;
      xs[n++] = nextafterf(h, 1e30f);
      xs[n++] = nextafterf(h, -1e30f);
    }
    {
      const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f, 1e-40f,
                               -1e-40f, 1023.5f, -1023.5f, 1024.5f, -1024.5f, 8388607.5f,
                               16777216.0f, -16777217.0f, 127.5f, -128.5f, 0.49999997f,
                               -0.49999997f};
      for (i = 0; i < sizeof special / sizeof special[0]; i++) xs[n++] = special[i];
    }
    while (n < 4096) { /* random bit patterns */
      uint32_t b;
      float f;
      rs = rs * 1103515245u + 12345u;
      b = rs ^ (rs >> 7) * 2654435761u;
      memcpy(&f, &b, 4);
      xs[n++] = f;
    }
    for (int c = 0; c < 4; c++) {
      check(spx_rt_quantize_f32_s8(n, qz(scales[c], zps[c]), xs, got) == SPX_RT_OK,
            "quantize sweep runs");
      for (i = 0; i < n && !bad; i++) {
        const float v = xs[i] / scales[c];
        float r = v != v ? (float)zps[c] : roundf(v) + (float)zps[c];
        if (r < -128.0f) r = -128.0f;
        if (r > 127.0f) r = 127.0f;
        if (got[i] != (int8_t)r) {
          check(0, "quantize(%a / %g, zp %d) = %d, want %d", (double)xs[i], (double)scales[c],
                zps[c], got[i], (int)r);
          bad = 1;
        }
      }
    }
  }
  check(spx_rt_dequantize_s8_f32(8, qz(-1.0f, 0), want, back) == SPX_RT_ERR_ARG,
        "dequantize with a negative scale");
  /* Through layers: QUANTIZE uses the output's quantization, DEQUANTIZE the
   * input's. */
  spx_rt_tensor_t tf = tensor(SPX_RT_F32, 1, d, 0, 0, 0);
  spx_rt_tensor_t tq = tensor(SPX_RT_INT8, 1, d, 0.5f, 3, 64);
  spx_rt_tensor_t tb = tensor(SPX_RT_F32, 1, d, 0, 0, 128);
  spx_rt_layer_t l;
  memset(&l, 0, sizeof l);
  memcpy(ws, x, sizeof x);
  l.op = SPX_RT_OP_QUANTIZE;
  l.n_in = 1;
  l.in[0] = &tf;
  l.out = &tq;
  check(run(&l) == SPX_RT_OK && !memcmp(ws + 64, want, 8), "quantize layer");
  l.op = SPX_RT_OP_DEQUANTIZE;
  l.in[0] = &tq;
  l.out = &tb;
  check(run(&l) == SPX_RT_OK && !memcmp(ws + 128, wantf, sizeof wantf),
        "dequantize layer");
  l.in[0] = &tf;
  expect_reject(&l, SPX_RT_ERR_ARG, "dequantize from f32");
  printf("quantize, dequantize: ok\n");
}

/* batchnorm: f32 scale/shift per channel (dim 1) of a rank-3 tensor, against
 * the expression itself; in place; f32 only. */
static void check_batchnorm(void) {
  uint32_t d[3] = {2, 3, 5}, d1[1] = {30};
  float x[30], want[30];
  const float scale[3] = {0.5f, -2.0f, 1.25f}, shift[3] = {1.0f, 0.0f, -0.75f};
  fill_f32(x, 30);
  for (int i = 0; i < 30; i++) want[i] = x[i] * scale[(i / 5) % 3] + shift[(i / 5) % 3];
  spx_rt_tensor_t ti = tensor(SPX_RT_F32, 3, d, 0, 0, 0);
  spx_rt_tensor_t to = tensor(SPX_RT_F32, 3, d, 0, 0, 256);
  spx_rt_tensor_t tq = tensor(SPX_RT_INT8, 3, d, 0.5f, 0, 512);
  spx_rt_tensor_t tq2 = tensor(SPX_RT_INT8, 3, d, 0.5f, 0, 576);
  spx_rt_tensor_t t1 = tensor(SPX_RT_F32, 1, d1, 0, 0, 0);
  spx_rt_tensor_t t1o = tensor(SPX_RT_F32, 1, d1, 0, 0, 256);
  spx_rt_layer_t l;
  memset(&l, 0, sizeof l);
  l.op = SPX_RT_OP_BATCHNORM;
  l.n_in = 1;
  l.in[0] = &ti;
  l.out = &to;
  l.weights = scale;
  l.bias = shift;
  memcpy(ws, x, sizeof x);
  check(run(&l) == SPX_RT_OK && !memcmp(ws + 256, want, sizeof want),
        "batchnorm layer = x * scale[c] + shift[c]");
  l.out = &ti; /* in place */
  check(run(&l) == SPX_RT_OK && !memcmp(ws, want, sizeof want), "batchnorm in place");
  l.out = &to;
  l.weights_size = 3 * sizeof(float);
  check(spx_rt_layer_check(&l, NULL) == SPX_RT_OK, "batchnorm with its scale size");
  l.weights_size = 2 * sizeof(float);
  expect_reject(&l, SPX_RT_ERR_ARG, "batchnorm scale size");
  l.weights_size = 0;
  l.bias = NULL;
  expect_reject(&l, SPX_RT_ERR_ARG, "batchnorm without shift");
  l.bias = shift;
  l.act = SPX_CS_ACT_RELU;
  expect_reject(&l, SPX_RT_ERR_ARG, "batchnorm with a fused relu");
  l.act = SPX_CS_ACT_NONE;
  l.in[0] = &tq;
  l.out = &tq2;
  expect_reject(&l, SPX_RT_ERR_ARG, "int8 batchnorm");
  l.in[0] = &t1;
  l.out = &t1o;
  expect_reject(&l, SPX_RT_ERR_SHAPE, "rank-1 batchnorm");
  printf("batchnorm: ok\n");
}

/* ---- a whole model on the cpu device ---------------------------------------- */

/* The int8 CNN: quantize, conv2d 1->4 3x3 pad 1 + relu, maxpool 2, copy
 * (flatten), dense 64->10 with ONE requant multiplier (broadcast by the
 * device), dequantize, softmax (f32). Workspace reused as the memory plan
 * would. */
typedef struct sample {
  spx_cs_tensor_t t[8];
  uint16_t in[1], out[1];
  spx_cs_blob_t b[8];
  spx_cs_command_t c[7];
  int8_t cw[36], fw[640];
  int32_t cb[4], cm[4], cs[4], fb[10], fm[1], fs[1];
  spx_cs_image_t image;
} sample_t;

static spx_cs_tensor_t rec(const char *name, uint8_t dt, unsigned rank,
                           const uint32_t *dims, float scale, int32_t zp,
                           uint32_t off) {
  spx_cs_tensor_t t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.dtype = dt;
  t.rank = (uint8_t)rank;
  t.ws_size = spx_cs_dtype_size(dt);
  for (unsigned d = 0; d < rank; d++) {
    t.dims[d] = dims[d];
    t.ws_size *= dims[d];
  }
  t.scale = scale;
  t.zero_point = zp;
  t.ws_offset = off;
  return t;
}

static spx_cs_blob_t blob(const char *name, uint8_t dt, const void *p, uint32_t len) {
  spx_cs_blob_t b;
  memset(&b, 0, sizeof b);
  b.name = name;
  b.dtype = dt;
  b.data = p;
  b.length = len;
  return b;
}

static void sample_init(sample_t *s) {
  uint32_t dx[4] = {1, 1, 8, 8}, dc[4] = {1, 4, 8, 8}, dp[4] = {1, 4, 4, 4},
           df[2] = {1, 64}, dy[2] = {1, 10};
  memset(s, 0, sizeof *s);
  fill_w8(s->cw, 36);
  fill_w8(s->fw, 640);
  for (int c = 0; c < 4; c++) {
    int sh;
    s->cb[c] = (int32_t)(rnd() % 400) - 100;
    spx_rt_quantize_multiplier((1.0 / 255) * (0.01 + 0.003 * c) / 0.05, &s->cm[c], &sh);
    s->cs[c] = sh;
  }
  for (int c = 0; c < 10; c++) s->fb[c] = (int32_t)(rnd() % 2000) - 1000;
  {
    int sh;
    spx_rt_quantize_multiplier(0.05 * 0.01 / 0.25, &s->fm[0], &sh);
    s->fs[0] = sh;
  }
  s->t[0] = rec("image", SPX_CS_DTYPE_F32, 4, dx, 0, 0, 0);
  s->t[1] = rec("image.q", SPX_CS_DTYPE_INT8, 4, dx, 1.0f / 255, -128, 256);
  s->t[2] = rec("conv1", SPX_CS_DTYPE_INT8, 4, dc, 0.05f, -128, 320);
  s->t[3] = rec("pool1", SPX_CS_DTYPE_INT8, 4, dp, 0.05f, -128, 0);
  s->t[4] = rec("flat", SPX_CS_DTYPE_INT8, 2, df, 0.05f, -128, 64);
  s->t[5] = rec("fc1", SPX_CS_DTYPE_INT8, 2, dy, 0.25f, 3, 128);
  s->t[6] = rec("fc1.f", SPX_CS_DTYPE_F32, 2, dy, 0, 0, 144);
  s->t[7] = rec("prob", SPX_CS_DTYPE_F32, 2, dy, 0, 0, 192);
  s->in[0] = 0;
  s->out[0] = 7;
  s->b[0] = blob("conv1.weights", SPX_CS_DTYPE_INT8, s->cw, sizeof s->cw);
  s->b[1] = blob("conv1.bias", SPX_CS_DTYPE_INT32, s->cb, sizeof s->cb);
  s->b[2] = blob("conv1.mult", SPX_CS_DTYPE_INT32, s->cm, sizeof s->cm);
  s->b[3] = blob("conv1.shift", SPX_CS_DTYPE_INT32, s->cs, sizeof s->cs);
  s->b[4] = blob("fc1.weights", SPX_CS_DTYPE_INT8, s->fw, sizeof s->fw);
  s->b[5] = blob("fc1.bias", SPX_CS_DTYPE_INT32, s->fb, sizeof s->fb);
  s->b[6] = blob("fc1.mult", SPX_CS_DTYPE_INT32, s->fm, sizeof s->fm);
  s->b[7] = blob("fc1.shift", SPX_CS_DTYPE_INT32, s->fs, sizeof s->fs);

  spx_cs_command_t *c = s->c;
  spx_cs_command_init_cpu_layer(&c[0], SPX_CS_CPU_OP_QUANTIZE, "image.q");
  c[0].u.cpu_layer.n_in = 1;
  c[0].u.cpu_layer.in0 = 0;
  c[0].u.cpu_layer.out = 1;
  spx_cs_command_init_cpu_layer(&c[1], SPX_CS_CPU_OP_CONV2D, "conv1");
  spx_cs_cpu_layer_t *cv = &c[1].u.cpu_layer;
  cv->n_in = 1;
  cv->in0 = 1;
  cv->out = 2;
  cv->act = SPX_CS_ACT_RELU;
  cv->weights = 0;
  cv->bias = 1;
  cv->mult = 2;
  cv->shift = 3;
  cv->groups = 1;
  cv->kh = cv->kw = 3;
  cv->sh = cv->sw = 1;
  cv->dh = cv->dw = 1;
  cv->pad_t = cv->pad_l = cv->pad_b = cv->pad_r = 1;
  spx_cs_command_init_cpu_layer(&c[2], SPX_CS_CPU_OP_MAXPOOL, "pool1");
  spx_cs_cpu_layer_t *mp = &c[2].u.cpu_layer;
  mp->n_in = 1;
  mp->in0 = 2;
  mp->out = 3;
  mp->kh = mp->kw = 2;
  mp->sh = mp->sw = 2;
  spx_cs_command_init_cpu_layer(&c[3], SPX_CS_CPU_OP_COPY, "flatten");
  c[3].u.cpu_layer.n_in = 1;
  c[3].u.cpu_layer.in0 = 3;
  c[3].u.cpu_layer.out = 4;
  spx_cs_command_init_cpu_layer(&c[4], SPX_CS_CPU_OP_DENSE, "fc1");
  spx_cs_cpu_layer_t *fc = &c[4].u.cpu_layer;
  fc->n_in = 1;
  fc->in0 = 4;
  fc->out = 5;
  fc->weights = 4;
  fc->bias = 5;
  fc->mult = 6;
  fc->shift = 7;
  spx_cs_command_init_cpu_layer(&c[5], SPX_CS_CPU_OP_DEQUANTIZE, "fc1.f");
  c[5].u.cpu_layer.n_in = 1;
  c[5].u.cpu_layer.in0 = 5;
  c[5].u.cpu_layer.out = 6;
  spx_cs_command_init_cpu_layer(&c[6], SPX_CS_CPU_OP_SOFTMAX, "prob");
  c[6].u.cpu_layer.n_in = 1;
  c[6].u.cpu_layer.axis = -1;
  c[6].u.cpu_layer.in0 = 6;
  c[6].u.cpu_layer.out = 7;

  s->image.target = SPX_CS_TARGET_CPU;
  s->image.workspace_size = 1344; /* conv1 ends at 320 + 256 = 576; round up */
  s->image.tensors = s->t;
  s->image.tensor_count = 8;
  s->image.inputs = s->in;
  s->image.input_count = 1;
  s->image.outputs = s->out;
  s->image.output_count = 1;
  s->image.blobs = s->b;
  s->image.blob_count = 8;
  s->image.commands = s->c;
  s->image.command_count = 7;
}

/* The same network by direct kernel calls. */
static void sample_reference(const sample_t *s, const float *x, float *prob) {
  static int8_t q[64], conv[256], pool[64], fc[10];
  static uint8_t scr[8192];
  float f[10];
  int32_t fm[10], fs[10];
  spx_rt_quantize_f32_s8(64, qz(1.0f / 255, -128), x, q);
  spx_rt_conv2d_params_t cp = {1, 1, 8, 8, 4, 3, 3, {1, 1}, {1, 1, 1, 1},
                               {1, 1}, 1, SPX_RT_ACT_NONE};
  spx_rt_requant_pc_t cq = {-128, -128, s->cm, s->cs, -128, 127};
  spx_rt_act_range_s8(SPX_RT_ACT_RELU, qz(0.05f, -128), &cq.act_min, &cq.act_max);
  spx_rt_conv2d_s8(&cp, &cq, q, s->cw, s->cb, conv, scr, sizeof scr);
  spx_rt_pool_params_t pp = {1, 4, 8, 8, 2, 2, {2, 2}, {0, 0, 0, 0}};
  spx_rt_maxpool_s8(&pp, conv, pool);
  for (int i = 0; i < 10; i++) {
    fm[i] = s->fm[0];
    fs[i] = s->fs[0];
  }
  spx_rt_dense_params_t dp = {1, 64, 10, SPX_RT_ACT_NONE};
  spx_rt_requant_pc_t dq = {-128, 3, fm, fs, -128, 127};
  spx_rt_dense_s8(&dp, &dq, pool, s->fw, s->fb, fc, scr, sizeof scr);
  spx_rt_dequantize_s8_f32(10, qz(0.25f, 3), fc, f);
  spx_rt_softmax_f32(1, 10, f, prob);
}

typedef struct hook_log {
  char text[512];
  size_t len;
} hook_log_t;

static void log_before(void *user, uint32_t i, const char *name) {
  hook_log_t *h = user;
  h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len,
                             "[%u %s", (unsigned)i, name);
}
static void log_after(void *user, uint32_t i, const char *name,
                      spx_rt_status_t st) {
  hook_log_t *h = user;
  (void)i;
  (void)name;
  h->len += (size_t)snprintf(h->text + h->len, sizeof h->text - h->len,
                             " %d]", (int)st);
}

static _Alignas(64) uint8_t stream_buf[1 << 14];
static _Alignas(16) uint8_t model_ws[1 << 14];

static int check_model(const char *write_dir) {
  static sample_t s;
  size_t size = 0;
  spx_rt_error_t cst;
  spx_cs_stream_t st;
  spx_rt_model_t m;
  spx_rt_error_t err;
  sample_init(&s);
  if (spx_cs_image_encode(&s.image, stream_buf, sizeof stream_buf, &size, &cst)) {
    fprintf(stderr, "FAIL: encode: %s\n", cst.message);
    return 1;
  }
  check(spx_cs_stream_load(stream_buf, size, &st, &cst) == SPX_RT_OK,
        "load: %s", cst.message);
  check(spx_rt_model_initialize(&spx_rt_device_cpu, &st, &m, &err) == SPX_RT_OK,
        "initialize: %s", err.message);
  /* scratch: 4-channel conv im2col or dense, plus 10-channel broadcast */
  {
    spx_rt_conv2d_params_t cp = {1, 1, 8, 8, 4, 3, 3, {1, 1}, {1, 1, 1, 1},
                                 {1, 1}, 1, SPX_RT_ACT_NONE};
    spx_rt_dense_params_t dp = {1, 64, 10, SPX_RT_ACT_NONE};
    size_t conv = spx_rt_conv2d_s8_get_buffer_size(&cp);
    size_t dense = 80 + spx_rt_dense_s8_get_buffer_size(&dp); /* 10 x (mult, shift) */
    size_t need = conv > dense ? conv : dense;
    need = (need + 15) & ~(size_t)15;
    check(spx_rt_model_workspace_size(&m) == 1344 + need,
          "workspace size %zu, want %zu", spx_rt_model_workspace_size(&m),
          (size_t)1344 + need);
  }
  check(spx_rt_model_input_count(&m, 0) == 64 && spx_rt_model_output_count(&m, 0) == 10 &&
            spx_rt_model_input_count(&m, 1) == 0,
        "model input/output counts");

  float x[64], got[10], want[10];
  int same = 1;
  hook_log_t log;
  spx_rt_run_hooks_t hooks = {&log, log_before, log_after, NULL, NULL};
  for (int sample = 0; sample < 20; sample++) {
    const float *ins[1] = {x};
    float *outs[1] = {got};
    for (int i = 0; i < 64; i++) x[i] = (float)(rnd() % 17) / 16.0f;
    memset(model_ws, 0xa5, sizeof model_ws); /* no reliance on zeroed memory */
    memset(&log, 0, sizeof log);
    if (spx_rt_model_run(&m, ins, outs, model_ws, sizeof model_ws, &hooks, &err)) {
      check(0, "run: %s", err.message);
      break;
    }
    sample_reference(&s, x, want);
    if (memcmp(got, want, sizeof got)) same = 0;
  }
  check(same, "cpu device output equals the direct kernel chain, bit for bit");
  printf("hooks: %s\n", log.text);

  /* Errors. */
  {
    const float *ins[1] = {x};
    float *outs[1] = {got};
    spx_cs_stream_t other = st;
    check(spx_rt_model_run(&m, ins, outs, model_ws,
                           spx_rt_model_workspace_size(&m) - 16, NULL, &err) ==
              SPX_RT_ERR_BUFFER, "short workspace");
    printf("short workspace: %s\n", err.message);
    check(spx_rt_model_run(&m, ins, outs, model_ws + 4, sizeof model_ws - 4,
                           NULL, &err) == SPX_RT_ERR_ARG, "unaligned workspace");
    printf("unaligned workspace: %s\n", err.message);
    check(spx_rt_model_run(&m, NULL, outs, model_ws, sizeof model_ws, NULL,
                           &err) == SPX_RT_ERR_ARG, "NULL inputs");
    other.target = SPX_CS_TARGET_AIE;
    check(spx_rt_model_initialize(&spx_rt_device_cpu, &other, &m, &err) ==
              SPX_RT_ERR_ARG && m.device == NULL, "aie stream on the cpu device");
    printf("aie stream: %s\n", err.message);
    check(spx_rt_model_initialize(NULL, &st, &m, &err) == SPX_RT_ERR_ARG,
          "NULL device");
    check(spx_rt_model_run(&m, ins, outs, model_ws, sizeof model_ws, NULL,
                           &err) == SPX_RT_ERR_ARG, "run an uninitialized model");
    check(spx_rt_device_find("cpu") == &spx_rt_device_cpu &&
              spx_rt_device_find("aie") == NULL, "device_find");
  }

  if (write_dir) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/sample.spxbin", write_dir);
    f = fopen(path, "wb");
    if (!f || fwrite(stream_buf, 1, size, f) != size || fclose(f)) {
      fprintf(stderr, "spx-device-test: cannot write %s\n", path);
      return 1;
    }
  }

  /* A stream the loader accepts but the device does not: int8 sigmoid whose
   * output is not quantized with 1/256, -128. */
  {
    sample_t s2;
    spx_cs_command_t cmds[2];
    spx_cs_tensor_t t3[3];
    uint16_t o3[1] = {2};
    uint32_t dx[4] = {1, 1, 8, 8};
    sample_init(&s2);
    t3[0] = s2.t[0];
    t3[1] = s2.t[1];
    t3[2] = rec("sig", SPX_CS_DTYPE_INT8, 4, dx, 0.5f, 0, 512);
    cmds[0] = s2.c[0];
    spx_cs_command_init_cpu_layer(&cmds[1], SPX_CS_CPU_OP_SIGMOID, "sig");
    cmds[1].u.cpu_layer.n_in = 1;
    cmds[1].u.cpu_layer.in0 = 1;
    cmds[1].u.cpu_layer.out = 2;
    s2.image.tensors = t3;
    s2.image.tensor_count = 3;
    s2.image.outputs = o3;
    s2.image.blob_count = 0;
    s2.image.commands = cmds;
    s2.image.command_count = 2;
    check(spx_cs_image_encode(&s2.image, stream_buf, sizeof stream_buf, &size,
                              &cst) == SPX_RT_OK, "encode sigmoid: %s", cst.message);
    check(spx_cs_stream_load(stream_buf, size, &st, &cst) == SPX_RT_OK,
          "load sigmoid: %s", cst.message);
    check(spx_rt_model_initialize(&spx_rt_device_cpu, &st, &m, &err) ==
              SPX_RT_ERR_ARG && err.command == 1, "sigmoid stream rejected");
    printf("bad sigmoid stream: %s\n", err.message);
    if (write_dir) {
      char path[4096];
      FILE *f;
      snprintf(path, sizeof path, "%s/bad_sigmoid.spxbin", write_dir);
      f = fopen(path, "wb");
      if (!f || fwrite(stream_buf, 1, size, f) != size || fclose(f)) {
        fprintf(stderr, "spx-device-test: cannot write %s\n", path);
        return 1;
      }
    }
  }
  printf("cpu model: ok\n");
  return 0;
}

int main(int argc, char **argv) {
  const char *write_dir = NULL;
  if (argc == 3 && !strcmp(argv[1], "--write")) {
    write_dir = argv[2];
  } else if (argc != 1) {
    fprintf(stderr, "usage: spx-device-test [--write DIR]\n");
    return 1;
  }
  check_conv();
  check_dense_and_elementwise();
  check_pool_add_concat_softmax();
  check_convert();
  check_batchnorm();
  if (check_model(write_dir)) failures++;
  return check_summary();
}
