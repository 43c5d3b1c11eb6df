/* lp.c - LP-coded weights of one conv2d/dense (spx_formats.h, "LP"): the
 * layout, encoder, structural check, validator and the descriptor. The
 * arithmetic on the codes is runtime/kernels/spx_lp.c (docs/numerics.md,
 * "LP layers"). */
#include "runtime/formats/formats_internal.h"
#include "runtime/formats/spx_formats.h"
#include "runtime/formats/spx_numfmt.h"

#define OFF_TABLE SPX_FMT_LP_HEADER_BYTES
#define OFF_BIAS (OFF_TABLE + SPX_FMT_LP_TABLE_BYTES)

static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}
static void wr64(uint8_t *p, uint64_t v) {
  wr32(p, (uint32_t)v);
  wr32(p + 4, (uint32_t)(v >> 32));
}

size_t spx_fmt_lp_encoded_size(const spx_fmt_dims_t *dims, unsigned w_n) {
  size_t count = spx_fmt_dims_count(dims);
  uint64_t total;
  if (!count || w_n < 2 || w_n > 16) return 0;
  total = (uint64_t)OFF_BIAS + 8u * (uint64_t)dims->rows + ((uint64_t)count * w_n + 7u) / 8u;
  return total > 0xffffffffu ? 0 : (size_t)total;
}

spx_rt_status_t spx_fmt_lp_formats(const spx_fmt_lp_params_t *p, spx_numfmt_t *w,
                                   spx_numfmt_t *a, spx_rt_error_t *err) {
  int32_t wv[4], av[4];
  spx_rt_error_t e;
  wv[0] = p->w_n; wv[1] = p->w_es; wv[2] = p->w_rs; wv[3] = p->w_sf;
  av[0] = p->a_n; av[1] = p->a_es; av[2] = p->a_rs; av[3] = p->a_sf;
  if (spx_numfmt_init(w, &spx_numfmt_desc_LP, wv, &e) != SPX_RT_OK)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "weight format: %s", e.message);
  if (spx_numfmt_init(a, &spx_numfmt_desc_LP, av, &e) != SPX_RT_OK)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "activation format: %s", e.message);
  if (p->acc_frac > SPX_FMT_LP_MAX_ACC_FRAC)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "accumulator fraction bits %u beyond %u",
                            (unsigned)p->acc_frac, (unsigned)SPX_FMT_LP_MAX_ACC_FRAC);
  return SPX_RT_OK;
}

spx_rt_status_t spx_fmt_lp_encode(const spx_fmt_dims_t *dims, const spx_fmt_lp_params_t *p,
                                  const uint16_t *act_table, const int64_t *bias,
                                  const uint16_t *codes, uint8_t *out, size_t cap,
                                  size_t *out_len, spx_rt_error_t *err) {
  spx_numfmt_t wf, af;
  size_t len, count, i, codes_off;
  spx_rt_status_t st;
  if (!dims || !p || !act_table || !bias || !codes || !out)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "lp encode: NULL argument");
  if ((st = spx_fmt_lp_formats(p, &wf, &af, err)) != SPX_RT_OK) return st;
  len = spx_fmt_lp_encoded_size(dims, p->w_n);
  if (!len || !dims->groups || dims->rows % dims->groups)
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "lp encode: unusable dimensions");
  if (cap < len) return spx_rt_error_set(err, SPX_RT_ERR_BUFFER, "lp encode: %zu bytes needed", len);
  count = spx_fmt_dims_count(dims);
  codes_off = OFF_BIAS + 8u * (size_t)dims->rows;
  for (i = 0; i < len; i++) out[i] = 0;
  out[0] = 'S'; out[1] = 'X'; out[2] = 'L'; out[3] = 'P';
  wr16(out + 4, SPX_FMT_LP_VERSION);
  wr16(out + 6, SPX_FMT_LP_HEADER_BYTES);
  wr32(out + 8, dims->rows);
  wr32(out + 12, dims->cols);
  wr16(out + 16, dims->kh);
  wr16(out + 18, dims->kw);
  wr32(out + 20, dims->groups);
  out[24] = p->w_n; out[25] = p->w_es; out[26] = p->w_rs; out[27] = (uint8_t)p->w_sf;
  out[28] = p->a_n; out[29] = p->a_es; out[30] = p->a_rs; out[31] = (uint8_t)p->a_sf;
  out[32] = p->acc_frac;
  out[33] = p->w_n;
  wr32(out + 36, OFF_BIAS);
  wr32(out + 40, (uint32_t)codes_off);
  wr32(out + 44, (uint32_t)len);
  for (i = 0; i < 256; i++) wr16(out + OFF_TABLE + 2 * i, act_table[i]);
  for (i = 0; i < dims->rows; i++) wr64(out + OFF_BIAS + 8 * i, (uint64_t)bias[i]);
  for (i = 0; i < count; i++) { /* n bits each, little-endian bit order */
    uint64_t bit = (uint64_t)i * p->w_n;
    uint32_t c = (uint32_t)codes[i] & ((1u << p->w_n) - 1u);
    unsigned k;
    for (k = 0; k < p->w_n; k++)
      if (c >> k & 1u) out[codes_off + (size_t)((bit + k) >> 3)] |= (uint8_t)(1u << ((bit + k) & 7u));
  }
  if (out_len) *out_len = len;
  return spx_fmt_lp_validate(out, len, dims, err);
}

spx_rt_status_t spx_fmt_lp_open(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                spx_fmt_lp_view_t *v, spx_rt_error_t *err) {
  const uint8_t *b = (const uint8_t *)bytes;
  spx_fmt_lp_view_t tmp;
  spx_numfmt_t wf, af;
  spx_rt_status_t st;
  size_t want;
  if (!v) v = &tmp;
  if (!b || !dims) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no lp weights");
  if (len < OFF_BIAS)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: %zu bytes, shorter than the "
                            "header and activation table (%u)", len, (unsigned)OFF_BIAS);
  if (b[0] != 'S' || b[1] != 'X' || b[2] != 'L' || b[3] != 'P')
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: bad magic (not \"SXLP\")");
  if (rd16(b + 4) != SPX_FMT_LP_VERSION || rd16(b + 6) != SPX_FMT_LP_HEADER_BYTES)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: unknown version or header size");
  v->dims.rows = rd32(b + 8);
  v->dims.cols = rd32(b + 12);
  v->dims.kh = (uint16_t)rd16(b + 16);
  v->dims.kw = (uint16_t)rd16(b + 18);
  v->dims.groups = rd32(b + 20);
  if (v->dims.rows != dims->rows || v->dims.cols != dims->cols || v->dims.kh != dims->kh ||
      v->dims.kw != dims->kw || v->dims.groups != dims->groups)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: header dims %ux%ux%ux%u "
                            "(groups %u) differ from the layer's %ux%ux%ux%u (groups %u)",
                            (unsigned)v->dims.rows, (unsigned)v->dims.cols,
                            (unsigned)v->dims.kh, (unsigned)v->dims.kw,
                            (unsigned)v->dims.groups, (unsigned)dims->rows,
                            (unsigned)dims->cols, (unsigned)dims->kh, (unsigned)dims->kw,
                            (unsigned)dims->groups);
  v->p.w_n = b[24]; v->p.w_es = b[25]; v->p.w_rs = b[26]; v->p.w_sf = (int8_t)b[27];
  v->p.a_n = b[28]; v->p.a_es = b[29]; v->p.a_rs = b[30]; v->p.a_sf = (int8_t)b[31];
  v->p.acc_frac = b[32];
  if ((st = spx_fmt_lp_formats(&v->p, &wf, &af, err)) != SPX_RT_OK) return st;
  v->code_bits = b[33];
  want = spx_fmt_lp_encoded_size(&v->dims, v->p.w_n);
  if (v->code_bits != v->p.w_n || rd16(b + 34) != 0 ||
      rd32(b + 36) != OFF_BIAS || rd32(b + 40) != OFF_BIAS + 8u * v->dims.rows)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: code size, flags or offsets "
                            "differ from the layout");
  if (!want || rd32(b + 44) != want || len != want)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: %zu bytes (header says %u), "
                            "the layout needs %zu", len, (unsigned)rd32(b + 44), want);
  if (!v->dims.groups || v->dims.rows % v->dims.groups)
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: groups do not divide rows");
  v->act_table = b + OFF_TABLE;
  v->bias = b + OFF_BIAS;
  v->codes = b + OFF_BIAS + 8u * v->dims.rows;
  v->total_bytes = want;
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

uint32_t spx_fmt_lp_code_at(const spx_fmt_lp_view_t *v, size_t i) {
  uint64_t bit = (uint64_t)i * v->code_bits;
  const uint8_t *p = v->codes + (size_t)(bit >> 3);
  unsigned shift = (unsigned)(bit & 7u), have = 8u - shift;
  uint32_t c = (uint32_t)p[0] >> shift;
  for (size_t k = 1; have < v->code_bits; k++, have += 8) c |= (uint32_t)p[k] << have;
  return c & ((1u << v->code_bits) - 1u);
}
int64_t spx_fmt_lp_bias_at(const spx_fmt_lp_view_t *v, uint32_t r) {
  return (int64_t)rd64(v->bias + 8 * (size_t)r);
}
uint32_t spx_fmt_lp_act_code(const spx_fmt_lp_view_t *v, int x) {
  return rd16(v->act_table + 2 * (size_t)(x + 128));
}

spx_rt_status_t spx_fmt_lp_validate(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                    spx_rt_error_t *err) {
  spx_fmt_lp_view_t v;
  spx_numfmt_t wf, af;
  size_t count, per, i;
  int x;
  spx_rt_status_t st = spx_fmt_lp_open(bytes, len, dims, &v, err);
  if (st != SPX_RT_OK) return st;
  spx_fmt_lp_formats(&v.p, &wf, &af, NULL);
  for (x = -128; x < 128; x++) {
    uint32_t c = spx_fmt_lp_act_code(&v, x);
    if (c >= spx_numfmt_codes(&af) || spx_numfmt_is_nar(&af, c))
      return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: act_table[x = %d] = 0x%x is "
                              "%s of the activation format", x, (unsigned)c,
                              c >= spx_numfmt_codes(&af) ? "not a code" : "NaR");
  }
  count = spx_fmt_dims_count(&v.dims);
  per = count / v.dims.rows;
  for (i = 0; i < count; i++) {
    uint32_t c = spx_fmt_lp_code_at(&v, i);
    if (c >= spx_numfmt_codes(&wf) || spx_numfmt_is_nar(&wf, c))
      return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: output channel %zu, weight "
                              "%zu: code 0x%x is %s (the encoder never produces it)", i / per,
                              i % per, (unsigned)c,
                              c >= spx_numfmt_codes(&wf) ? "beyond the format's codes" : "NaR");
  }
  if (((uint64_t)count * v.code_bits) % 8u &&
      v.codes[((uint64_t)count * v.code_bits) / 8u] >> (((uint64_t)count * v.code_bits) % 8u))
    return spx_rt_error_set(err, SPX_RT_ERR_FORMAT, "lp weights: the bits after the last code "
                            "are not 0");
  return SPX_RT_OK;
}

/* ---- descriptor ----------------------------------------------------------- */

static spx_rt_status_t lp_decode_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                      int16_t *out, size_t count, spx_rt_error_t *err) {
  (void)bytes; (void)len; (void)dims; (void)out; (void)count;
  return spx_rt_error_set(err, SPX_RT_ERR_ARG, "lp weights are LP codes, not integers: they "
                          "do not decode to int16 (spx_numfmt_decode gives their values)");
}

static spx_rt_status_t lp_open_desc(const void *bytes, size_t len, const spx_fmt_dims_t *dims,
                                    spx_fmt_weights_t *out, spx_rt_error_t *err) {
  spx_fmt_lp_view_t v;
  spx_rt_status_t st = spx_fmt_lp_open(bytes, len, dims, &v, err);
  if (st != SPX_RT_OK || !out) return st;
  out->desc = &spx_fmt_desc_LP;
  out->dims = *dims;
  out->bytes = bytes;
  out->len = len;
  out->view.lp = v;
  out->state = NULL;
  return SPX_RT_OK;
}

static size_t lp_scratch(const spx_fmt_dims_t *dims) {
  (void)dims;
  return 0; /* the LP kernels size their own (spx_rt_lp_layer_buffer_size) */
}

const spx_fmt_desc_t spx_fmt_desc_LP = {
    SPX_FMT_LP, "lp",
    "logarithmic posit weight codes LP<n, es, rs, sf> on the LP integer datapath",
    /* decodes_to_s8 */ 0, /* max_abs_weight: the int8 stream limits */ 128,
    spx_fmt_lp_validate, lp_decode_desc,
    /* needs_s8 */ 1, SPX_FMT_COLS_S8, /* chan_block */ 0, /* plain_s8 */ 0,
    lp_open_desc, lp_scratch, NULL, NULL, NULL, NULL, NULL, SPX_FMT_DATAPATH_LP,
    /* decode_s8: none. A product is the exp2 table entry of L(a) + L(w),
       rounded and shifted per product, summed saturating in int64
       (docs/numerics.md "LP layers"): no integer weight w gives w * x for
       every activation, so no dense int8 path is exact */
    NULL, /* kernel_half */ NULL};
