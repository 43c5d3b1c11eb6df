/* spx-lp-test: the LP weight encoding and the LP conv2d/dense kernels.
 *   spx-lp-test cases DIR   random layers (conv2d with padding, stride,
 *                           dilation, groups; dense), random codes, tables,
 *                           biases, A and requantization, run through
 *                           spx_rt_conv2d_lp / spx_rt_dense_lp; writes
 *                           DIR/caseK.{blob,in,out,txt} for lp_ref.py, which
 *                           recomputes the outputs from docs/numerics.md.
 *   spx-lp-test validate    encoder round trip and the validator's messages.
 * Deterministic (fixed seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/formats/spx_numfmt.h"
#include "runtime/kernels/spx_kernels.h"

static unsigned seed = 11;
static unsigned rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

static void fmt_init(spx_numfmt_t *f, int n, int es, int rs, int sf) {
  int32_t v[4] = {n, es, rs, sf};
  if (spx_numfmt_init(f, &spx_numfmt_desc_LP, v, NULL) != SPX_RT_OK) {
    printf("FAIL: format\n");
    exit(1);
  }
}

/* a random code of f that is not NaR; about 1 in 6 zero */
static uint16_t rcode(const spx_numfmt_t *f) {
  uint32_t c;
  if (rnd() % 6 == 0) return 0;
  do c = rnd() & ((1u << f->n) - 1); while (spx_numfmt_is_nar(f, c));
  return (uint16_t)c;
}

static void write_file(const char *dir, int k, const char *ext, const void *p, size_t n) {
  char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/case%d.%s", dir, k, ext);
  f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n) {
    printf("FAIL: write %s\n", path);
    exit(1);
  }
  fclose(f);
}

typedef struct kcase {
  int dense, n, c_in, h, w, c_out, kh, kw, stride, pad, dil, groups;
  int wf[4], af[4], A;
} kcase_t;

static const kcase_t cases[] = {
    {0, 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, {8, 1, 4, 2}, {8, 1, 4, 2}, 40},
    {0, 1, 4, 9, 9, 6, 3, 3, 2, 1, 1, 2, {8, 0, 7, 0}, {8, 2, 3, 4}, 30},
    {0, 1, 4, 8, 7, 4, 3, 2, 1, 2, 2, 4, {6, 2, 3, -1}, {10, 1, 5, 3}, 45},
    {0, 1, 2, 5, 5, 3, 1, 1, 1, 0, 1, 1, {12, 1, 6, 0}, {8, 1, 4, 2}, 62},
    {1, 3, 37, 1, 1, 9, 1, 1, 1, 0, 1, 1, {8, 1, 4, 2}, {8, 1, 4, 2}, 50},
    {1, 2, 16, 1, 1, 5, 1, 1, 1, 0, 1, 1, {5, 0, 1, 0}, {16, 2, 5, 4}, 20},
    {1, 2, 20, 1, 1, 4, 1, 1, 1, 0, 1, 1, {8, 3, 7, -16}, {8, 3, 7, -16}, 62},
};

static int run_cases(const char *dir) {
  for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
    const kcase_t *c = &cases[k];
    spx_numfmt_t wf, af;
    spx_rt_conv2d_params_t p;
    spx_rt_dense_params_t dp;
    spx_rt_requant_pc_t q;
    spx_fmt_dims_t d;
    spx_fmt_lp_params_t lp;
    int32_t oh, ow, mult[64], shift[64];
    uint16_t table[256], *codes;
    int64_t bias[64];
    size_t count, len, nin, nout, i, sc;
    uint8_t *blob;
    int8_t *in, *out;
    void *scratch;
    char txt[1024];
    spx_rt_error_t err;
    fmt_init(&wf, c->wf[0], c->wf[1], c->wf[2], c->wf[3]);
    fmt_init(&af, c->af[0], c->af[1], c->af[2], c->af[3]);
    memset(&p, 0, sizeof p);
    p.n = c->n; p.c_in = c->c_in; p.h = c->h; p.w = c->w; p.c_out = c->c_out;
    p.kh = c->kh; p.kw = c->kw; p.stride[0] = p.stride[1] = c->stride;
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = c->pad;
    p.dilation[0] = p.dilation[1] = c->dil; p.groups = c->groups;
    spx_rt_conv2d_out_dims(&p, &oh, &ow);
    d.rows = (uint32_t)c->c_out; d.cols = (uint32_t)(c->c_in / c->groups);
    d.kh = (uint16_t)c->kh; d.kw = (uint16_t)c->kw; d.groups = (uint32_t)c->groups;
    count = spx_fmt_dims_count(&d);
    codes = malloc(count * sizeof *codes);
    for (i = 0; i < count; i++) codes[i] = rcode(&wf);
    for (i = 0; i < 256; i++) table[i] = rcode(&af);
    for (i = 0; i < (size_t)c->c_out; i++) {
      int64_t b = (int64_t)(rnd() % 2000001) - 1000000;
      bias[i] = b * ((int64_t)1 << (c->A > 20 ? c->A - 20 : 0));
      spx_rt_quantize_multiplier(0.001 * (1 + rnd() % 5000), &mult[i], &oh);
      shift[i] = oh;
    }
    spx_rt_conv2d_out_dims(&p, &oh, &ow);
    lp.w_n = (uint8_t)c->wf[0]; lp.w_es = (uint8_t)c->wf[1]; lp.w_rs = (uint8_t)c->wf[2];
    lp.w_sf = (int8_t)c->wf[3];
    lp.a_n = (uint8_t)c->af[0]; lp.a_es = (uint8_t)c->af[1]; lp.a_rs = (uint8_t)c->af[2];
    lp.a_sf = (int8_t)c->af[3];
    lp.acc_frac = (uint8_t)c->A;
    len = spx_fmt_lp_encoded_size(&d, wf.n);
    blob = malloc(len);
    if (spx_fmt_lp_encode(&d, &lp, table, bias, codes, blob, len, &len, &err) != SPX_RT_OK) {
      printf("FAIL: encode: %s\n", err.message);
      return 1;
    }
    nin = (size_t)c->n * c->c_in * c->h * c->w;
    nout = (size_t)c->n * c->c_out * oh * ow;
    in = malloc(nin);
    out = malloc(nout);
    for (i = 0; i < nin; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
    q.in_zero_point = 0;
    q.out_zero_point = (int32_t)(rnd() % 21) - 10;
    q.multiplier = mult;
    q.shift = shift;
    q.act_min = k % 2 ? q.out_zero_point : -128;
    q.act_max = 127;
    sc = spx_rt_lp_buffer_size(blob, len, &d);
    scratch = malloc(sc);
    if (c->dense) {
      dp.n = c->n; dp.features = c->c_in; dp.units = c->c_out; dp.act = SPX_RT_ACT_NONE;
      if (spx_rt_dense_lp(&dp, &q, in, blob, len, out, scratch, sc) != SPX_RT_OK) {
        printf("FAIL: dense_lp\n");
        return 1;
      }
    } else if (spx_rt_conv2d_lp(&p, &q, in, blob, len, out, scratch, sc) != SPX_RT_OK) {
      printf("FAIL: conv2d_lp\n");
      return 1;
    }
    write_file(dir, k, "blob", blob, len);
    write_file(dir, k, "in", in, nin);
    write_file(dir, k, "out", out, nout);
    {
      char mbuf[256] = "", sbuf[256] = "";
      for (i = 0; i < (size_t)c->c_out; i++) {
        snprintf(mbuf + strlen(mbuf), sizeof mbuf - strlen(mbuf), "%s%d", i ? "," : "", (int)mult[i]);
        snprintf(sbuf + strlen(sbuf), sizeof sbuf - strlen(sbuf), "%s%d", i ? "," : "", (int)shift[i]);
      }
      snprintf(txt, sizeof txt, "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %s %s\n", c->n,
               c->c_in, c->h, c->w, c->c_out, c->kh, c->kw, c->stride, c->pad, c->dil,
               c->groups, (int)q.out_zero_point, (int)q.act_min, (int)q.act_max, (int)nout,
               mbuf, sbuf);
    }
    write_file(dir, k, "txt", txt, strlen(txt));
    free(codes); free(blob); free(in); free(out); free(scratch);
  }
  printf("%d cases written\n", (int)(sizeof cases / sizeof cases[0]));
  return 0;
}

static int run_validate(void) {
  spx_fmt_dims_t d = {3, 4, 1, 2, 1};
  spx_fmt_lp_params_t lp = {8, 1, 4, 2, 8, 1, 4, 2, 40};
  uint16_t table[256], codes[24];
  int64_t bias[3] = {1, -2, 3};
  uint8_t blob[1024];
  size_t len = 0, i;
  spx_rt_error_t err;
  for (i = 0; i < 256; i++) table[i] = (uint16_t)i;
  table[0] = 0; /* 0x80 (NaR) is at index 128 */
  table[128] = 0;
  for (i = 0; i < 24; i++) codes[i] = (uint16_t)(i * 7 + 1);
  if (spx_fmt_lp_encode(&d, &lp, table, bias, codes, blob, sizeof blob, &len, &err) != SPX_RT_OK) {
    printf("FAIL: encode: %s\n", err.message);
    return 1;
  }
  printf("encoded %zu bytes: ok\n", len);
  blob[560 + 24 + 13] = 0x80; /* channel 1, weight 5 */
  spx_fmt_lp_validate(blob, len, &d, &err);
  printf("nar weight: %s\n", err.message);
  blob[560 + 24 + 13] = 0x01;
  blob[48 + 2 * 130] = 0x80; /* act_table[x = 2] */
  spx_fmt_lp_validate(blob, len, &d, &err);
  printf("nar activation: %s\n", err.message);
  blob[48 + 2 * 130] = 0x01;
  blob[24] = 17;
  spx_fmt_lp_validate(blob, len, &d, &err);
  printf("bad n: %s\n", err.message);
  blob[24] = 8;
  spx_fmt_lp_validate(blob, len - 1, &d, &err);
  printf("cut: %s\n", err.message);
  d.rows = 4;
  spx_fmt_lp_validate(blob, len, &d, &err);
  printf("dims: %s\n", err.message);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "cases") == 0) return run_cases(argv[2]);
  if (argc == 2 && strcmp(argv[1], "validate") == 0) return run_validate();
  fprintf(stderr, "usage: spx-lp-test cases DIR | validate\n");
  return 2;
}
