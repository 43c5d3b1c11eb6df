/* spx-fmt-desc-test: the table of weight-format descriptors
 * (runtime/formats/formats.c) and the one int8 driver over them.
 *   - every code of SPX_FMT_ENCODINGS has a descriptor of the same name,
 *     found by code and by name, with a kernel (open, dot);
 *   - desc->decode agrees with the format's own decoder on random weights;
 *   - desc->validate rejects a corrupted encoding (desc->open too when the
 *     structure is hit);
 *   - conv2d and dense through each descriptor equal dense int8 on the
 *     decoded weights;
 *   - BBS computes exactly with an effective weight outside int8 (a
 *     zero-point-shifted group, w' = 140), where int8 weights would not;
 *   - desc->decode_s8 (the prepared models' decode): its int8 weights plus
 *     the excess it reports are the format's own decoded weights; BBS's
 *     beyond int8 too, and the dense int8 kernels with that residual
 *     (spx_rt_s8_residual_t) are exact on every conv2d path (register-
 *     blocked stride 1, packed or not; strided; depthwise) and dense,
 *     against a direct int64 reference.
 * Prints one line per check; exits 1 on the first failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"

static unsigned seed = 2024;

/* decode_s8's excess reports, into the int16 array they complete. */
typedef struct excess_sink {
  int16_t *w;
  size_t n, calls;
  int bad;
} excess_sink_t;
static void add_excess(void *ctx, size_t index, int32_t excess) {
  excess_sink_t *s = (excess_sink_t *)ctx;
  s->calls++;
  if (index >= s->n || excess == 0) {
    s->bad = 1;
    return;
  }
  s->w[index] = (int16_t)(s->w[index] + excess);
}
static unsigned rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

static int fail(const char *what) {
  printf("FAIL: %s\n", what);
  exit(1);
}

/* Random int8 weights in [-127, 127], about a third zero, with a zero 8x8
 * block now and then so that CBR skips some. */
static void fill_weights(int8_t *w, const spx_fmt_dims_t *d) {
  size_t taps = (size_t)d->kh * d->kw, o, i, t;
  for (o = 0; o < d->rows; o++)
    for (i = 0; i < d->cols; i++)
      for (t = 0; t < taps; t++) {
        size_t k = (o * d->cols + i) * taps + t;
        w[k] = rnd() % 3 == 0 ? 0 : (int8_t)((int)(rnd() % 255) - 127);
        if ((o / 8 + i / 8) % 3 == 1) w[k] = 0;
      }
}

/* Encodes w in format code; returns the bytes (malloc) and *len. */
static uint8_t *encode(unsigned code, const spx_fmt_dims_t *d, const int8_t *w, size_t *len) {
  size_t n = spx_fmt_dims_count(d);
  uint8_t *out;
  if (code == SPX_FMT_CBR) {
    spx_fmt_cbr_dims_t cd = {d->rows, d->cols, d->kh, d->kw, d->groups};
    *len = spx_fmt_cbr_encoded_size(&cd, w);
    out = malloc(*len);
    if (spx_fmt_cbr_encode(&cd, w, out, *len, len) != SPX_RT_OK) fail("cbr encode");
    return out;
  }
  if (code == SPX_FMT_BBS) {
    spx_fmt_bbs_dims_t bd = {d->rows, d->cols, d->kh, d->kw};
    spx_fmt_bbs_config_t c = {16, SPX_FMT_BBS_ZP_SHIFT, 2, NULL};
    *len = spx_fmt_bbs_encoded_size(&bd, &c);
    out = malloc(*len);
    if (spx_fmt_bbs_encode(&bd, &c, w, out, *len, len) != SPX_RT_OK) fail("bbs encode");
    return out;
  }
  if (code == SPX_FMT_TERNARY) {
    /* (8, 2): the signs of the two largest magnitudes of each group */
    int8_t *t = malloc(n);
    size_t taps = (size_t)d->kh * d->kw, o, i0, i, tp;
    for (o = 0; o < d->rows; o++)
      for (tp = 0; tp < taps; tp++)
        for (i0 = 0; i0 < d->cols; i0 += 8) {
          size_t a = (size_t)-1, b = (size_t)-1;
          for (i = i0; i < d->cols && i < i0 + 8; i++) {
            size_t at = (o * d->cols + i) * taps + tp;
            t[at] = 0;
            if (!w[at]) continue;
            if (a == (size_t)-1 || abs(w[at]) > abs(w[a])) {
              b = a;
              a = at;
            } else if (b == (size_t)-1 || abs(w[at]) > abs(w[b])) {
              b = at;
            }
          }
          if (a != (size_t)-1) t[a] = w[a] < 0 ? -1 : 1;
          if (b != (size_t)-1) t[b] = w[b] < 0 ? -1 : 1;
        }
    *len = spx_fmt_ternary_encoded_size(d, 8, 2);
    out = malloc(*len);
    if (spx_fmt_ternary_encode(d, 8, 2, t, out, *len, len) != SPX_RT_OK) fail("ternary encode");
    free(t);
    return out;
  }
  if (code == SPX_FMT_BINARY) {
    /* the signs (0 -> +1), alpha 1, weight flips and sub-vectors of 16 */
    int8_t *b = malloc(n);
    float *alpha = malloc(d->rows * sizeof *alpha);
    size_t i;
    for (i = 0; i < n; i++) b[i] = (int8_t)(w[i] < 0 ? -1 : 1);
    for (i = 0; i < d->rows; i++) alpha[i] = 1.0f;
    *len = spx_fmt_binary_encoded_size(d);
    out = malloc(*len);
    if (spx_fmt_binary_encode(d, b, alpha, 1, 16, out, *len, NULL) != SPX_RT_OK)
      fail("binary encode");
    free(b);
    free(alpha);
    return out;
  }
  *len = n;
  out = malloc(n);
  memcpy(out, w, n);
  return out;
}

/* The format's own decoder, into int8. */
/* Each format's own decoder, int16 (BBS zero-point shifting gives effective
 * weights outside int8, which its int8 decode refuses): BBS is read group
 * by group through its accessors. */
static int own_decode(unsigned code, const uint8_t *bytes, size_t len, const spx_fmt_dims_t *d,
                      int16_t *out) {
  size_t n = spx_fmt_dims_count(d);
  if (code == SPX_FMT_CBR) {
    spx_fmt_cbr_dims_t cd = {d->rows, d->cols, d->kh, d->kw, d->groups};
    int8_t *q = malloc(n);
    size_t i;
    int ok = q && spx_fmt_cbr_decode(bytes, len, &cd, q, n, NULL) == SPX_RT_OK;
    for (i = 0; ok && i < n; i++) out[i] = q[i];
    free(q);
    return ok;
  }
  if (code == SPX_FMT_BBS) {
    spx_fmt_bbs_dims_t bd = {d->rows, d->cols, d->kh, d->kw};
    spx_fmt_bbs_view_t v;
    uint32_t p, t, g, taps = (uint32_t)d->kh * d->kw;
    if (spx_fmt_bbs_open(bytes, len, &bd, &v, NULL) != SPX_RT_OK) return 0;
    for (p = 0; p < d->rows; p++)
      for (t = 0; t < taps; t++)
        for (g = 0; g < v.groups_per_tap; g++) {
          spx_fmt_bbs_group_t grp;
          int16_t e[SPX_FMT_BBS_MAX_GROUP];
          unsigned i;
          spx_fmt_bbs_group_get(&v, p, t, g, &grp);
          spx_fmt_bbs_group_decode(&grp, e);
          for (i = 0; i < grp.lanes; i++)
            out[((size_t)spx_fmt_bbs_row_channel(&v, p) * d->cols + g * v.group_eff + i) * taps +
                t] = e[i];
        }
    return 1;
  }
  if (code == SPX_FMT_TERNARY) {
    int8_t *q = malloc(n);
    size_t i;
    int ok = q && spx_fmt_ternary_decode(bytes, len, d, q, n, NULL) == SPX_RT_OK;
    for (i = 0; ok && i < n; i++) out[i] = q[i];
    free(q);
    return ok;
  }
  if (code == SPX_FMT_BINARY) {
    /* the view's accessors: stored sign times the row's flip */
    spx_fmt_binary_view_t v;
    uint32_t r, i;
    if (spx_fmt_binary_open(bytes, len, d, &v, NULL) != SPX_RT_OK) return 0;
    for (r = 0; r < d->rows; r++)
      for (i = 0; i < v.row_len; i++)
        out[(size_t)r * v.row_len + i] = (int16_t)((spx_fmt_binary_stored(&v, r, i) ? 1 : -1) *
                                                   (spx_fmt_binary_flipped(&v, r) ? -1 : 1));
    return 1;
  }
  {
    size_t i;
    for (i = 0; i < n; i++) out[i] = ((const int8_t *)bytes)[i];
  }
  return 1;
}

static void check_table(void) {
  unsigned count, i = 0;
  const spx_fmt_desc_t *const *t = spx_fmt_table(&count);
#define X_(E, C_, T_)                                                     \
  {                                                                           \
    const spx_fmt_desc_t *d = spx_fmt_find(C_);                             \
    if (!d || d->code != (C_) || strcmp(d->name, T_) || d != &spx_fmt_desc_##E) \
      fail("descriptor of ");                                            \
    if (spx_fmt_find_name(T_) != d || t[i] != d) fail("find by name "); \
    if (!d->open || (!d->dot && d->datapath == SPX_FMT_DATAPATH_INT8) ||      \
        !d->validate || !d->decode || !d->scratch_size)                       \
      fail("kernel half of ");                                           \
    ++i;                                                                      \
  }
  SPX_FMT_ENCODINGS(X_)
#undef X_
  if (i != count || spx_fmt_find(SPX_FMT_COUNT_) || spx_fmt_find_name("nope"))
    fail("table size / unknown codes");
  printf("table: %u formats, names and codes match SPX_FMT_ENCODINGS: ok\n", count);
}

static const spx_fmt_dims_t k_dims[] = {
    {16, 16, 1, 1, 1}, {12, 20, 3, 3, 1}, {24, 8, 3, 3, 2},
    {9, 37, 1, 1, 1},  {16, 5, 2, 3, 1},  {32, 33, 3, 3, 1},
};
#define N_DIMS (sizeof k_dims / sizeof k_dims[0])

/* decode_s8 of an encoding: its int8 weights, completed by the excess it
 * reports, are own (the format's decoder); without an excess function it
 * gives own itself when own fits int8, else SPX_RT_ERR_RANGE. 0 if so. */
static int decode_s8_ok(const spx_fmt_desc_t *desc, const uint8_t *bytes, size_t len,
                        const spx_fmt_dims_t *d, const int16_t *own, size_t n) {
  spx_fmt_weights_t ow;
  int8_t *w8 = malloc(n);
  int16_t *e = malloc(n * sizeof *e);
  excess_sink_t sink;
  size_t i, beyond = 0;
  int bad = 0;
  spx_rt_status_t st;
  if (desc->open(bytes, len, d, &ow, NULL)) fail("open for decode_s8");
  memset(w8, 0x55, n);
  memset(e, 0, n * sizeof *e); /* the excess, then + w8 */
  sink.w = e;
  sink.n = n;
  sink.calls = 0;
  sink.bad = 0;
  if (desc->decode_s8(&ow, w8, n, add_excess, &sink, NULL)) bad = 1;
  for (i = 0; i < n; i++) e[i] = (int16_t)(e[i] + w8[i]);
  for (i = 0; i < n; i++) {
    if (e[i] != own[i]) bad = 1;
    if (own[i] < -128 || own[i] > 127) beyond++;
  }
  if (sink.bad || sink.calls != beyond) bad = 1;
  st = desc->decode_s8(&ow, w8, n, NULL, NULL, NULL);
  if (beyond ? st != SPX_RT_ERR_RANGE : st != SPX_RT_OK) bad = 1;
  for (i = 0; !beyond && i < n; i++)
    if (w8[i] != own[i]) bad = 1;
  free(w8);
  free(e);
  return bad;
}

static void check_decode_and_validate(void) {
  unsigned count, f, k, rep;
  const spx_fmt_desc_t *const *t = spx_fmt_table(&count);
  for (f = 0; f < count; f++) {
    const spx_fmt_desc_t *desc = t[f];
    if (desc->datapath != SPX_FMT_DATAPATH_INT8) continue; /* LP: spx-lp-kernel-test */
    for (k = 0; k < N_DIMS; k++)
      for (rep = 0; rep < 3; rep++) {
        const spx_fmt_dims_t *d = &k_dims[k];
        size_t n = spx_fmt_dims_count(d), len, i;
        int8_t *w = malloc(n);
        int16_t *own = malloc(n * sizeof *own);
        int16_t *dec = malloc(n * sizeof *dec);
        uint8_t *bytes;
        spx_rt_error_t why;
  spx_rt_error_clear(&why);
        if (desc->code == SPX_FMT_BBS && d->groups != 1) {
          free(w); free(own); free(dec);
          continue; /* BBS weights have no conv groups of their own */
        }
        fill_weights(w, d);
        bytes = encode(desc->code, d, w, &len);
        if (desc->validate(bytes, len, d, &why) || why.message[0]) fail("validate of an encoding");
        if (desc->open(bytes, len, d, NULL, &why)) fail("open of an encoding");
        if (desc->decode(bytes, len, d, dec, n, &why)) fail("desc decode");
        if (!own_decode(desc->code, bytes, len, d, own)) fail("own decode");
        for (i = 0; i < n; i++)
          if (dec[i] != own[i]) fail("desc decode differs from the format's decoder");
        if (desc->decode_s8 && decode_s8_ok(desc, bytes, len, d, own, n))
          fail("decode_s8 + its excess differ from the format's decoder");
        /* corrupted: the first byte (a magic byte; dense: one byte short) */
        if (desc->code == SPX_FMT_DENSE) {
          if (!desc->validate(bytes, len - 1, d, &why) || !why.message[0])
            fail("validate accepts a short dense array");
        } else {
          bytes[0] ^= 0x40;
          if (!desc->validate(bytes, len, d, &why) || !why.message[0]) fail("validate accepts a bad magic");
          if (!desc->open(bytes, len, d, NULL, &why)) fail("open accepts a bad magic");
          bytes[0] ^= 0x40;
          if (!desc->validate(bytes, len - 1, d, &why)) fail("validate accepts a cut encoding");
        }
        free(bytes); free(w); free(own); free(dec);
      }
  }
  printf("decode agrees with each format's own decoder, validate rejects corruption: ok\n");
}

static void requant_init(spx_rt_requant_pc_t *q, int32_t *mult, int32_t *shift, uint32_t n) {
  uint32_t c;
  for (c = 0; c < n; c++) {
    int sh;
    spx_rt_quantize_multiplier(0.002 + 0.0005 * c, &mult[c], &sh);
    shift[c] = sh;
  }
  q->in_zero_point = -7;
  q->out_zero_point = 3;
  q->multiplier = mult;
  q->shift = shift;
  q->act_min = -128;
  q->act_max = 127;
}

/* conv2d and dense through every descriptor against dense int8 on the
 * decoded weights. */
static void check_driver(void) {
  unsigned count, f, k;
  const spx_fmt_desc_t *const *t = spx_fmt_table(&count);
  for (f = 0; f < count; f++)
    for (k = 0; k < N_DIMS; k++) {
      const spx_fmt_desc_t *desc = t[f];
      const spx_fmt_dims_t *d = &k_dims[k];
      spx_rt_conv2d_params_t p;
      if (desc->datapath != SPX_FMT_DATAPATH_INT8) continue; /* not int8 arithmetic */
      spx_rt_requant_pc_t q;
      size_t n = spx_fmt_dims_count(d), len, nin, nout, s0, s1, i;
      int8_t *w = malloc(n), *dec = malloc(n), *in, *o0, *o1;
      int32_t mult[64], shift[64], bias[64];
      uint8_t *bytes;
      void *sc0, *sc1;
      int32_t oh, ow;
      if (desc->code == SPX_FMT_BBS && d->groups != 1) { free(w); free(dec); continue; }
      fill_weights(w, d);
      bytes = encode(desc->code, d, w, &len);
      {
        /* The reference runs dense int8: a BBS case whose effective weights
         * leave int8 is covered by check_bbs_wide instead. */
        int16_t *wide = malloc(n * sizeof *wide);
        int fits = own_decode(desc->code, bytes, len, d, wide);
        for (i = 0; fits && i < n; i++) {
          fits = wide[i] >= -128 && wide[i] <= 127;
          dec[i] = (int8_t)wide[i];
        }
        free(wide);
        if (!fits) { free(bytes); free(w); free(dec); continue; }
      }
      memset(&p, 0, sizeof p);
      p.n = 2;
      p.c_in = (int32_t)(d->cols * d->groups);
      p.h = 7;
      p.w = 6;
      p.c_out = (int32_t)d->rows;
      p.kh = d->kh;
      p.kw = d->kw;
      p.stride[0] = p.stride[1] = 1;
      p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = 1;
      p.dilation[0] = p.dilation[1] = 1;
      p.groups = (int32_t)d->groups;
      requant_init(&q, mult, shift, d->rows);
      for (i = 0; i < d->rows; i++) bias[i] = (int32_t)(rnd() % 2001) - 1000;
      spx_rt_conv2d_out_dims(&p, &oh, &ow);
      nin = (size_t)p.n * p.c_in * p.h * p.w;
      nout = (size_t)p.n * p.c_out * oh * ow;
      in = malloc(nin);
      o0 = malloc(nout);
      o1 = malloc(nout);
      for (i = 0; i < nin; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
      s0 = spx_rt_conv2d_s8_get_buffer_size(&p);
      s1 = spx_rt_conv2d_s8_fmt_get_buffer_size(desc, &p);
      sc0 = malloc(s0);
      sc1 = malloc(s1);
      if (spx_rt_conv2d_s8(&p, &q, in, dec, bias, o0, sc0, s0) != SPX_RT_OK ||
          spx_rt_conv2d_s8_fmt(desc, &p, &q, in, bytes, len, bias, o1, sc1, s1) != SPX_RT_OK ||
          memcmp(o0, o1, nout))
        fail("conv2d through a descriptor differs from dense int8");
      free(sc0); free(sc1);
      if (d->kh == 1 && d->kw == 1 && d->groups == 1) {
        spx_rt_dense_params_t dp = {5, (int32_t)d->cols, (int32_t)d->rows, SPX_RT_ACT_NONE};
        s0 = spx_rt_dense_s8_get_buffer_size(&dp);
        s1 = spx_rt_dense_s8_fmt_get_buffer_size(desc, &dp);
        sc0 = malloc(s0);
        sc1 = malloc(s1);
        if (spx_rt_dense_s8(&dp, &q, in, dec, bias, o0, sc0, s0) != SPX_RT_OK ||
            spx_rt_dense_s8_fmt(desc, &dp, &q, in, bytes, len, bias, o1, sc1, s1) != SPX_RT_OK ||
            memcmp(o0, o1, (size_t)5 * d->rows))
          fail("dense through a descriptor differs from dense int8");
        free(sc0); free(sc1);
      }
      free(bytes); free(w); free(dec); free(in); free(o0); free(o1);
    }
  printf("conv2d and dense through every descriptor equal dense int8: ok\n");
}

/* A BBS dense layer whose group 0 of unit 0 is patched to c = -16, so its
 * lanes of magnitude 124 (127 rounded) have w' = 140. The kernel must equal the exact
 * reference on the int16 weights the group stands for. */
static void check_bbs_wide(void) {
  enum { F = 16, U = 2, N = 3 };
  spx_fmt_dims_t d = {U, F, 1, 1, 1};
  spx_fmt_bbs_dims_t bd = {U, F, 1, 1};
  spx_fmt_bbs_config_t c = {16, SPX_FMT_BBS_ZP_SHIFT, 2, NULL};
  spx_fmt_bbs_view_t v;
  spx_fmt_bbs_group_t g;
  spx_rt_dense_params_t dp = {N, F, U, SPX_RT_ACT_NONE};
  spx_rt_requant_pc_t q;
  int8_t w[U * F], in[N * F], out[N * U], ref[N * U], trunc[N * U];
  int16_t wd[U * F];
  int32_t mult[U], shift[U], bias[U] = {5, -9};
  uint8_t bytes[256];
  size_t len, i, s;
  void *sc;
  int wide = 0, u, n, r;
  for (i = 0; i < U * F; i++) w[i] = (int8_t)(i % 3 ? 127 : 40 - (int)i);
  if (spx_fmt_bbs_encode(&bd, &c, w, bytes, sizeof bytes, &len) != SPX_RT_OK)
    fail("bbs encode (wide)");
  if (spx_fmt_bbs_open(bytes, len, &bd, &v, NULL) != SPX_RT_OK) fail("bbs open (wide)");
  for (r = 0; r < U; r++) { /* patch the constant of every group: c = -16 */
    uint8_t *rec = (uint8_t *)(uintptr_t)spx_fmt_bbs_record(&v, (uint32_t)r, 0, 0);
    rec[0] = (uint8_t)((rec[0] & 0xe0u) | 0x10u);
  }
  for (r = 0; r < U; r++) {
    uint32_t o = spx_fmt_bbs_row_channel(&v, (uint32_t)r);
    spx_fmt_bbs_group_get(&v, (uint32_t)r, 0, 0, &g);
    spx_fmt_bbs_group_decode(&g, wd + o * F);
  }
  for (i = 0; i < U * F; i++)
    if (wd[i] > 127 || wd[i] < -128) wide = 1;
  if (!wide) fail("the patched group has no weight outside int8");
  if (decode_s8_ok(&spx_fmt_desc_BBS, bytes, len, &d, wd, U * F))
    fail("bbs decode_s8 + its excess differ from the group's weights");
  requant_init(&q, mult, shift, U);
  for (i = 0; i < N * F; i++) in[i] = (int8_t)((int)(rnd() % 256) - 128);
  for (n = 0; n < N; n++)
    for (u = 0; u < U; u++) {
      int64_t acc = bias[u], acc8 = bias[u];
      for (i = 0; i < F; i++) {
        int32_t a = in[n * F + i] - q.in_zero_point;
        acc += (int64_t)wd[u * F + i] * a;
        acc8 += (int64_t)(int8_t)wd[u * F + i] * a;
      }
      r = q.out_zero_point + spx_rt_mbqm((int32_t)acc, mult[u], (int)shift[u]);
      ref[n * U + u] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
      r = q.out_zero_point + spx_rt_mbqm((int32_t)acc8, mult[u], (int)shift[u]);
      trunc[n * U + u] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
    }
  if (!memcmp(ref, trunc, sizeof ref)) fail("int8-truncated weights would give the same outputs");
  s = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &dp);
  sc = malloc(s);
  if (spx_rt_dense_s8_fmt(&spx_fmt_desc_BBS, &dp, &q, in, bytes, len, bias, out, sc, s) !=
          SPX_RT_OK ||
      memcmp(out, ref, sizeof ref))
    fail("BBS with w' outside int8 differs from the exact reference");
  free(sc);
  (void)d;
  printf("bbs: exact with effective weights outside int8: ok\n");
}

/* ---- decoded weights with a residual (prepared models) -------------------- */

/* Exact weights w (int16, some beyond int8) as w8 = clamp(w) plus the
 * residual rows of what the clamping took off (the CSR arrays at the
 * caller's, rows x len). */
static void split_residual(const int16_t *w, uint32_t rows, size_t len, int8_t *w8,
                           int32_t *sums, uint32_t *row_ptr, uint32_t *index, int8_t *value,
                           spx_rt_s8_residual_t *res) {
  uint32_t r, k = 0;
  size_t i;
  row_ptr[0] = 0;
  for (r = 0; r < rows; r++) {
    sums[r] = 0;
    for (i = 0; i < len; i++) {
      int16_t v = w[r * len + i], c = v < -128 ? -128 : v > 127 ? 127 : v;
      w8[r * len + i] = (int8_t)c;
      sums[r] += v;
      if (v != c) {
        index[k] = (uint32_t)i;
        value[k++] = (int8_t)(v - c);
      }
    }
    row_ptr[r + 1] = k;
  }
  res->row_sums = sums;
  res->row_ptr = row_ptr;
  res->index = index;
  res->value = value;
}

static int8_t out_of(const spx_rt_requant_pc_t *q, uint32_t c, int64_t acc) {
  int32_t r = q->out_zero_point + spx_rt_mbqm((int32_t)acc, q->multiplier[c], (int)q->shift[c]);
  return (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
}

/* Direct int64 conv2d on the exact weights: the reference. */
static void ref_conv(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q, int32_t oh,
                     int32_t ow, const int8_t *x, const int16_t *w, const int32_t *bias,
                     int8_t *out) {
  const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
  int32_t n, o, y, xx, c, ky, kx;
  for (n = 0; n < p->n; n++)
    for (o = 0; o < p->c_out; o++)
      for (y = 0; y < oh; y++)
        for (xx = 0; xx < ow; xx++) {
          int64_t acc = bias[o];
          for (c = 0; c < cin_g; c++)
            for (ky = 0; ky < p->kh; ky++)
              for (kx = 0; kx < p->kw; kx++) {
                int32_t iy = y * p->stride[0] + ky * p->dilation[0] - p->pad[0];
                int32_t ix = xx * p->stride[1] + kx * p->dilation[1] - p->pad[1];
                int32_t ci = (o / cout_g) * cin_g + c;
                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) continue;
                acc += (int64_t)w[((o * cin_g + c) * p->kh + ky) * p->kw + kx] *
                       (x[((n * p->c_in + ci) * p->h + iy) * p->w + ix] - q->in_zero_point);
              }
          out[((n * p->c_out + o) * oh + y) * ow + xx] = out_of(q, (uint32_t)o, acc);
        }
}

/* Weights in [-143, 144], about one in eight beyond int8. */
static void wide_weights(int16_t *w, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    int v = (int)(rnd() % 255) - 127;
    if (rnd() % 8 == 0) v = rnd() % 2 ? 128 + (int)(rnd() % 17) : -128 - (int)(rnd() % 16);
    w[i] = (int16_t)v;
  }
}

static void check_residual(void) {
  /* n, c_in, h, w, c_out, kh, kw, stride, pad, groups */
  static const int32_t k_convs[][10] = {
      {2, 6, 7, 7, 10, 3, 3, 1, 1, 1},   /* register-blocked */
      {1, 8, 6, 5, 12, 3, 3, 1, 1, 2},   /* register-blocked, 2 groups */
      {1, 5, 4, 4, 9, 1, 1, 1, 0, 1},    /* 1x1 */
      {2, 6, 9, 8, 10, 3, 3, 2, 1, 1},   /* strided: the residual descriptor */
      {1, 6, 7, 7, 6, 3, 3, 1, 1, 6},    /* depthwise: row taps */
      {1, 6, 7, 7, 6, 3, 3, 2, 1, 6},    /* strided depthwise */
  };
  unsigned k;
  for (k = 0; k < sizeof k_convs / sizeof k_convs[0]; k++) {
    const int32_t *c = k_convs[k];
    spx_rt_conv2d_params_t p;
    spx_rt_requant_pc_t q;
    spx_rt_s8_residual_t res;
    int32_t oh, ow, mult[16], shift[16], bias[16], sums[16];
    size_t nw, nx, ny, i, len, s, ps;
    int16_t *w;
    int8_t *w8, *x, *ref, *out, *value;
    uint32_t *index, row_ptr[17];
    void *sc, *packed = NULL;
    int pass;
    memset(&p, 0, sizeof p);
    p.n = c[0]; p.c_in = c[1]; p.h = c[2]; p.w = c[3]; p.c_out = c[4];
    p.kh = c[5]; p.kw = c[6]; p.stride[0] = p.stride[1] = c[7];
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = c[8];
    p.dilation[0] = p.dilation[1] = 1;
    p.groups = c[9];
    p.act = SPX_RT_ACT_NONE;
    if (spx_rt_conv2d_out_dims(&p, &oh, &ow)) fail("residual conv dims");
    len = (size_t)(p.c_in / p.groups) * p.kh * p.kw;
    nw = (size_t)p.c_out * len;
    nx = (size_t)p.n * p.c_in * p.h * p.w;
    ny = (size_t)p.n * p.c_out * oh * ow;
    w = malloc(nw * sizeof *w); w8 = malloc(nw); index = malloc(nw * 4); value = malloc(nw);
    x = malloc(nx); ref = malloc(ny); out = malloc(ny);
    wide_weights(w, nw);
    for (i = 0; i < nx; i++) x[i] = (int8_t)((int)(rnd() % 256) - 128);
    for (i = 0; i < (size_t)p.c_out; i++) {
      int sh;
      spx_rt_quantize_multiplier(0.0001 + 0.00002 * (double)i, &mult[i], &sh);
      shift[i] = sh;
      bias[i] = (int32_t)(rnd() % 20001) - 10000;
    }
    q.in_zero_point = -9;
    q.out_zero_point = 4;
    q.multiplier = mult;
    q.shift = shift;
    q.act_min = -128;
    q.act_max = 127;
    split_residual(w, (uint32_t)p.c_out, len, w8, sums, row_ptr, index, value, &res);
    if (!row_ptr[p.c_out]) fail("no residual");
    ref_conv(&p, &q, oh, ow, x, w, bias, ref);
    ps = spx_rt_conv2d_s8_packed_size(&p);
    if (ps) {
      packed = malloc(ps);
      if (spx_rt_conv2d_s8_pack(&p, w8, packed, ps)) fail("pack");
    }
    s = spx_rt_conv2d_s8_packed_get_buffer_size(&p, 1);
    sc = malloc(s);
    for (pass = 0; pass < (ps ? 2 : 1); pass++) {
      memset(out, 0x5a, ny);
      if (spx_rt_conv2d_s8_packed(&p, &q, x, w8, pass ? packed : NULL, &res, bias, out, sc, s))
        fail("conv2d with a residual");
      if (memcmp(out, ref, ny)) fail("conv2d with a residual differs from the exact reference");
    }
    free(sc); free(packed); packed = NULL;
    free(w); free(w8); free(index); free(value); free(x); free(ref); free(out);
  }
  { /* dense */
    enum { N = 3, F = 37, U = 11 };
    spx_rt_dense_params_t dp = {N, F, U, SPX_RT_ACT_NONE};
    spx_rt_requant_pc_t q;
    spx_rt_s8_residual_t res;
    int16_t w[U * F];
    int8_t w8[U * F], x[N * F], ref[N * U], out[N * U], value[U * F];
    uint32_t index[U * F], row_ptr[U + 1];
    int32_t mult[U], shift[U], bias[U], sums[U];
    int n, u, f;
    size_t s, ps = 0;
    void *sc, *packed = NULL;
    int pass;
    wide_weights(w, U * F);
    for (f = 0; f < N * F; f++) x[f] = (int8_t)((int)(rnd() % 256) - 128);
    requant_init(&q, mult, shift, U);
    for (u = 0; u < U; u++) bias[u] = (int32_t)(rnd() % 2001) - 1000;
    split_residual(w, U, F, w8, sums, row_ptr, index, value, &res);
    for (n = 0; n < N; n++)
      for (u = 0; u < U; u++) {
        int64_t acc = bias[u];
        for (f = 0; f < F; f++) acc += (int64_t)w[u * F + f] * (x[n * F + f] - q.in_zero_point);
        ref[n * U + u] = out_of(&q, (uint32_t)u, acc);
      }
    ps = spx_rt_dense_s8_packed_size(&dp); /* AVX-512 path: the packing */
    if (ps) {
      packed = malloc(ps);
      if (spx_rt_dense_s8_pack(&dp, w8, packed, ps)) fail("pack dense");
    }
    s = spx_rt_dense_s8_packed_get_buffer_size(&dp);
    sc = malloc(s ? s : 1);
    for (pass = 0; pass < (ps ? 2 : 1); pass++) {
      memset(out, 0x5a, sizeof out);
      if (spx_rt_dense_s8_packed(&dp, &q, x, w8, pass ? packed : NULL, &res, bias, out, sc, s) ||
          memcmp(out, ref, sizeof ref))
        fail("dense with a residual differs from the exact reference");
    }
    free(sc); free(packed); packed = NULL;
  }
  printf("decode_s8 with its excess is the decoded weights; int8 kernels with a residual "
         "are exact: ok\n");
}

int main(void) {
  check_table();
  check_decode_and_validate();
  check_driver();
  check_bbs_wide();
  check_residual();
  return 0;
}
