/* kernel_harness.c - spx-kernel-harness: runs one libspxrt kernel on .npy
 * inputs and writes its output as .npy, for the numpy reference scripts in
 * test/runtime/kernels/.
 *
 *   spx-kernel-harness KERNEL DIR [key=value ...]
 *
 * Inputs are read from DIR by fixed names (x.npy, w.npy, b.npy, ...), the
 * output is written to DIR/out.npy. Values are integers, floats or
 * comma-separated lists ("pad=1,0,1,0"). Scales are given as floats and
 * turned into multipliers by the library's own set-up functions
 * (spx_rt_quantize_multiplier & co.), so the scripts check those too.
 *
 * KERNEL     inputs              keys
 * conv2d_f32 x w [b]             stride pad dilation groups act
 * conv2d_s8  x w [b] sw          + in_scale in_zp out_scale out_zp
 * dense_f32  x w [b]             act
 * dense_s8   x w [b] sw          act in_scale in_zp out_scale out_zp
 * conv2d_ternary x w.tern [b] sw  as conv2d_s8; dense_ternary x w.tern [b] sw
 *                                as dense_s8: w.tern holds the encoded
 *                                ternary weights (raw bytes, dims from its
 *                                header), validated as a loader does, run
 *                                through spx_rt_{conv2d,dense}_s8_fmt with
 *                                the "ternary" descriptor of the format
 *                                table (found by name); sw
 *                                is alpha, the per-channel weight scale
 * relu_f32 relu6_f32 sigmoid_f32 x
 * relu_s8 relu6_s8 requantize_s8 x   in_scale in_zp out_scale out_zp
 * sigmoid_s8 x                   in_scale in_zp
 * maxpool_{f32,s8} avgpool_{f32,s8} x   size stride pad
 * global_avgpool_f32 x; global_avgpool_s8 x   in_scale in_zp out_scale out_zp
 * add_f32    a b                 act
 * add_s8     a b                 act a_scale a_zp b_scale b_zp out_scale out_zp
 * concat_f32 x0 .. x{count-1}    count axis
 * concat_s8  x0 ..               count axis out_scale out_zp in_scale in_zp
 *                                (lists; requant=0 for a plain copy)
 * reshape    x                   shape
 * softmax_f32 x; softmax_s8 x    in_scale in_zp (beta=1)
 * batchnorm_f32 x gamma beta mean var   eps
 * channel_affine_f32 x scale shift   inplace (x rank >= 2, channels at dim 1;
 *                                    inplace=1 runs with output == input)
 * batchnorm_s8 x mul off sm      in_scale in_zp out_scale out_zp act
 * qmult      (DIR/reals.txt, one double a line) -> out.npy int32 [n, 2]
 * mbqm       x mult shift (int32) -> out.npy int32
 *
 * Exit status 0 on success, 1 on any error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"
#include "support/spx_support.h"

#define MAX_ARGS 32
#define MAX_LIST 16
#define GUARD 64

static const char *g_dir;
static int g_nargs;
static char *g_keys[MAX_ARGS];
static char *g_vals[MAX_ARGS];

static void die(const char *msg, const char *what) {
  fprintf(stderr, "spx-kernel-harness: error: %s%s%s\n", msg, what ? ": " : "",
          what ? what : "");
  exit(1);
}

static const char *arg_str(const char *key) {
  int i;
  for (i = 0; i < g_nargs; ++i)
    if (strcmp(g_keys[i], key) == 0) return g_vals[i];
  return NULL;
}

/* Parses a comma-separated list of up to MAX_LIST doubles; returns its length. */
static int arg_list(const char *key, double *out, int required) {
  const char *s = arg_str(key);
  int n = 0;
  if (!s) {
    if (required) die("missing argument", key);
    return 0;
  }
  while (*s && n < MAX_LIST) {
    char *end;
    out[n++] = strtod(s, &end);
    if (end == s) die("bad number in argument", key);
    s = end;
    if (*s == ',') ++s;
    else if (*s) die("bad list in argument", key);
  }
  return n;
}

static double arg_num(const char *key, double def, int required) {
  double v[MAX_LIST];
  if (arg_list(key, v, required) == 0) return def;
  return v[0];
}

static int arg_int(const char *key, int def) { return (int)arg_num(key, def, 0); }
static int arg_req_int(const char *key) { return (int)arg_num(key, 0, 1); }

/* Fills out[0..n) from a list argument of exactly n values, or a single
 * value repeated; `def` when absent. */
static void arg_ints(const char *key, int32_t *out, int n, int32_t def) {
  double v[MAX_LIST];
  int k = arg_list(key, v, 0), i;
  for (i = 0; i < n; ++i) {
    if (k == 0) out[i] = def;
    else if (k == 1) out[i] = (int32_t)v[0];
    else if (k == n) out[i] = (int32_t)v[i];
    else die("wrong number of values in argument", key);
  }
}

static spx_rt_quant_t arg_quant(const char *scale_key, const char *zp_key) {
  spx_rt_quant_t q;
  q.scale = (float)arg_num(scale_key, 0, 1);
  q.zero_point = arg_req_int(zp_key);
  return q;
}

static spx_rt_act_t arg_act(void) {
  const char *s = arg_str("act");
  if (!s || strcmp(s, "none") == 0) return SPX_RT_ACT_NONE;
  if (strcmp(s, "relu") == 0) return SPX_RT_ACT_RELU;
  if (strcmp(s, "relu6") == 0) return SPX_RT_ACT_RELU6;
  die("unknown activation", s);
  return SPX_RT_ACT_NONE;
}

static char *path_of(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s.npy", g_dir, name);
  return buf;
}

/* Loads DIR/name.npy; if `optional` and the file is missing, returns 0. */
static int load(const char *name, spx_dtype_t dtype, spx_npy_t *npy, int optional) {
  char err[256];
  const char *path = path_of(name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (optional) return 0;
    die("cannot open input", path);
  }
  fclose(f);
  if (spx_npy_read(path, npy, err, sizeof err) != 0) die(err, path);
  if (npy->dtype != dtype) die("unexpected dtype in", path);
  return 1;
}

/* Reads DIR/name (no extension) whole; *len gets its size. */
static unsigned char *load_raw(const char *name, size_t *len) {
  char path[4096];
  unsigned char *buf;
  long size = 0;
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", g_dir, name);
  f = fopen(path, "rb");
  if (!f) die("cannot open input", path);
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
    die("cannot size input", path);
  buf = malloc((size_t)size + 1);
  if (!buf) die("out of memory", NULL);
  if (fread(buf, 1, (size_t)size, f) != (size_t)size) die("cannot read input", path);
  fclose(f);
  *len = (size_t)size;
  return buf;
}

/* The encoded ternary weights DIR/w.tern, checked in full as a loader
 * does (spx_fmt_ternary_validate, on the dims its header gives), with their
 * dims in *dims. */
static unsigned char *load_ternary(size_t *len, spx_fmt_dims_t *dims) {
  spx_rt_error_t err;
  spx_fmt_ternary_view_t v;
  unsigned char *bytes = load_raw("w.tern", len);
  if (spx_fmt_ternary_open(bytes, *len, NULL, &v, &err) != SPX_RT_OK ||
      spx_fmt_ternary_validate(bytes, *len, &v.dims, &err) != SPX_RT_OK)
    die("bad ternary weights", err.message);
  *dims = v.dims;
  return bytes;
}

static void save(spx_dtype_t dtype, int rank, const int64_t *dims, const void *data) {
  if (spx_npy_write(path_of("out"), dtype, rank, dims, data) != 0)
    die("cannot write", path_of("out"));
}

static void check(spx_rt_status_t st) {
  if (st != SPX_RT_OK) die("kernel failed", spx_rt_status_name(st));
}

/* Scratch with guard bytes on both sides; check_scratch verifies them. */
static unsigned char *scratch_alloc(size_t size) {
  unsigned char *p = malloc(size + 2 * GUARD);
  if (!p) die("out of memory", NULL);
  memset(p, 0xA5, size + 2 * GUARD);
  return p;
}

static void scratch_check(unsigned char *p, size_t size) {
  size_t i;
  for (i = 0; i < GUARD; ++i)
    if (p[i] != 0xA5 || p[GUARD + size + i] != 0xA5)
      die("kernel wrote outside its scratch buffer", NULL);
  free(p);
}

/* Per-channel multipliers of in_scale * s[c] / out_scale. */
static void per_channel(const spx_npy_t *s, float in_scale, float out_scale,
                        int32_t *mult, int32_t *shift) {
  size_t c;
  const float *sv = s->data;
  for (c = 0; c < s->count; ++c) {
    int sh;
    spx_rt_quantize_multiplier((double)in_scale * (double)sv[c] / (double)out_scale,
                               &mult[c], &sh);
    shift[c] = sh;
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory", NULL);
  return p;
}

static void run_conv2d(int s8) {
  spx_npy_t x, w, b, sw;
  spx_rt_conv2d_params_t p;
  int has_b, i;
  int32_t oh, ow;
  int64_t dims[4];
  size_t count;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  load("w", s8 ? SPX_DT_I8 : SPX_DT_F32, &w, 0);
  has_b = load("b", s8 ? SPX_DT_I32 : SPX_DT_F32, &b, 1);
  if (x.rank != 4 || w.rank != 4) die("conv2d wants rank-4 x and w", NULL);
  memset(&p, 0, sizeof p);
  p.n = (int32_t)x.dims[0];
  p.c_in = (int32_t)x.dims[1];
  p.h = (int32_t)x.dims[2];
  p.w = (int32_t)x.dims[3];
  p.c_out = (int32_t)w.dims[0];
  p.kh = (int32_t)w.dims[2];
  p.kw = (int32_t)w.dims[3];
  arg_ints("stride", p.stride, 2, 1);
  arg_ints("pad", p.pad, 4, 0);
  arg_ints("dilation", p.dilation, 2, 1);
  p.groups = arg_int("groups", 1);
  p.act = arg_act();
  if (w.dims[1] * p.groups != p.c_in) die("w.shape[1] * groups != c_in", NULL);
  check(spx_rt_conv2d_out_dims(&p, &oh, &ow));
  dims[0] = p.n;
  dims[1] = p.c_out;
  dims[2] = oh;
  dims[3] = ow;
  count = (size_t)p.n * (size_t)p.c_out * (size_t)oh * (size_t)ow;
  if (!s8) {
    float *out = xmalloc(count * sizeof(float));
    check(spx_rt_conv2d_f32(&p, x.data, w.data, has_b ? b.data : NULL, out));
    save(SPX_DT_F32, 4, dims, out);
    free(out);
  } else {
    spx_rt_requant_pc_t q;
    spx_rt_quant_t qin = arg_quant("in_scale", "in_zp");
    spx_rt_quant_t qout = arg_quant("out_scale", "out_zp");
    int32_t *mult = xmalloc((size_t)p.c_out * sizeof(int32_t));
    int32_t *shift = xmalloc((size_t)p.c_out * sizeof(int32_t));
    int8_t *out = xmalloc(count);
    size_t ss = spx_rt_conv2d_s8_get_buffer_size(&p);
    unsigned char *scratch = scratch_alloc(ss);
    load("sw", SPX_DT_F32, &sw, 0);
    if ((int32_t)sw.count != p.c_out) die("sw must have c_out entries", NULL);
    per_channel(&sw, qin.scale, qout.scale, mult, shift);
    q.in_zero_point = qin.zero_point;
    q.out_zero_point = qout.zero_point;
    q.multiplier = mult;
    q.shift = shift;
    spx_rt_act_range_s8(p.act, qout, &q.act_min, &q.act_max);
    /* a too small scratch must be refused */
    if (ss > 0 && spx_rt_conv2d_s8(&p, &q, x.data, w.data, NULL, out,
                                   scratch + GUARD, ss - 1) != SPX_RT_ERR_BUFFER)
      die("conv2d_s8 accepted a too small scratch buffer", NULL);
    check(spx_rt_conv2d_s8(&p, &q, x.data, w.data, has_b ? b.data : NULL, out,
                           scratch + GUARD, ss));
    scratch_check(scratch, ss);
    save(SPX_DT_I8, 4, dims, out);
    free(out);
    free(mult);
    free(shift);
    spx_npy_free(&sw);
  }
  (void)i;
  spx_npy_free(&x);
  spx_npy_free(&w);
  if (has_b) spx_npy_free(&b);
}

static void run_dense(int s8) {
  spx_npy_t x, w, b, sw;
  spx_rt_dense_params_t p;
  int has_b;
  int64_t dims[2];
  size_t count;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  load("w", s8 ? SPX_DT_I8 : SPX_DT_F32, &w, 0);
  has_b = load("b", s8 ? SPX_DT_I32 : SPX_DT_F32, &b, 1);
  if (x.rank != 2 || w.rank != 2 || x.dims[1] != w.dims[1])
    die("dense wants x [n, F] and w [units, F]", NULL);
  p.n = (int32_t)x.dims[0];
  p.features = (int32_t)x.dims[1];
  p.units = (int32_t)w.dims[0];
  p.act = arg_act();
  dims[0] = p.n;
  dims[1] = p.units;
  count = (size_t)p.n * (size_t)p.units;
  if (!s8) {
    float *out = xmalloc(count * sizeof(float));
    check(spx_rt_dense_f32(&p, x.data, w.data, has_b ? b.data : NULL, out));
    save(SPX_DT_F32, 2, dims, out);
    free(out);
  } else {
    spx_rt_requant_pc_t q;
    spx_rt_quant_t qin = arg_quant("in_scale", "in_zp");
    spx_rt_quant_t qout = arg_quant("out_scale", "out_zp");
    int32_t *mult = xmalloc((size_t)p.units * sizeof(int32_t));
    int32_t *shift = xmalloc((size_t)p.units * sizeof(int32_t));
    int8_t *out = xmalloc(count);
    size_t ss = spx_rt_dense_s8_get_buffer_size(&p);
    unsigned char *scratch = scratch_alloc(ss);
    load("sw", SPX_DT_F32, &sw, 0);
    if ((int32_t)sw.count != p.units) die("sw must have units entries", NULL);
    per_channel(&sw, qin.scale, qout.scale, mult, shift);
    q.in_zero_point = qin.zero_point;
    q.out_zero_point = qout.zero_point;
    q.multiplier = mult;
    q.shift = shift;
    spx_rt_act_range_s8(p.act, qout, &q.act_min, &q.act_max);
    check(spx_rt_dense_s8(&p, &q, x.data, w.data, has_b ? b.data : NULL, out,
                          scratch + GUARD, ss));
    scratch_check(scratch, ss);
    save(SPX_DT_I8, 2, dims, out);
    free(out);
    free(mult);
    free(shift);
    spx_npy_free(&sw);
  }
  spx_npy_free(&x);
  spx_npy_free(&w);
  if (has_b) spx_npy_free(&b);
}

/* Per-channel requantization of a ternary layer from sw (alpha, `count`
 * entries) and the in/out quantization arguments; mult and shift are
 * count-long. */
static void ternary_quant(int32_t count, spx_rt_act_t act, int32_t *mult, int32_t *shift,
                          spx_rt_requant_pc_t *q) {
  spx_npy_t sw;
  spx_rt_quant_t qin = arg_quant("in_scale", "in_zp");
  spx_rt_quant_t qout = arg_quant("out_scale", "out_zp");
  load("sw", SPX_DT_F32, &sw, 0);
  if ((int32_t)sw.count != count) die("sw must have one entry per output channel", NULL);
  per_channel(&sw, qin.scale, qout.scale, mult, shift);
  spx_npy_free(&sw);
  q->in_zero_point = qin.zero_point;
  q->out_zero_point = qout.zero_point;
  q->multiplier = mult;
  q->shift = shift;
  spx_rt_act_range_s8(act, qout, &q->act_min, &q->act_max);
}

static const spx_fmt_desc_t *ternary_desc(void) {
  const spx_fmt_desc_t *d = spx_fmt_find_name("ternary");
  if (!d) die("no \"ternary\" in the format table", NULL);
  return d;
}

static void run_conv2d_ternary(void) {
  spx_npy_t x, b;
  spx_fmt_dims_t d;
  spx_rt_conv2d_params_t p;
  spx_rt_requant_pc_t q;
  size_t len, count, ss;
  unsigned char *w, *scratch;
  int32_t oh, ow, *mult, *shift;
  int64_t dims[4];
  int8_t *out;
  int has_b;
  load("x", SPX_DT_I8, &x, 0);
  has_b = load("b", SPX_DT_I32, &b, 1);
  w = load_ternary(&len, &d);
  if (x.rank != 4) die("conv2d wants rank-4 x", NULL);
  memset(&p, 0, sizeof p);
  p.n = (int32_t)x.dims[0];
  p.c_in = (int32_t)x.dims[1];
  p.h = (int32_t)x.dims[2];
  p.w = (int32_t)x.dims[3];
  p.c_out = (int32_t)d.rows;
  p.kh = d.kh;
  p.kw = d.kw;
  arg_ints("stride", p.stride, 2, 1);
  arg_ints("pad", p.pad, 4, 0);
  arg_ints("dilation", p.dilation, 2, 1);
  p.groups = arg_int("groups", 1);
  p.act = arg_act();
  if ((int32_t)d.cols * p.groups != p.c_in || (int32_t)d.groups != p.groups)
    die("the ternary header's cols * groups != c_in or its groups differ", NULL);
  if (has_b && (int32_t)b.count != p.c_out) die("b must have c_out entries", NULL);
  check(spx_rt_conv2d_out_dims(&p, &oh, &ow));
  dims[0] = p.n;
  dims[1] = p.c_out;
  dims[2] = oh;
  dims[3] = ow;
  count = (size_t)p.n * (size_t)p.c_out * (size_t)oh * (size_t)ow;
  mult = xmalloc((size_t)p.c_out * sizeof(int32_t));
  shift = xmalloc((size_t)p.c_out * sizeof(int32_t));
  ternary_quant(p.c_out, p.act, mult, shift, &q);
  out = xmalloc(count);
  ss = spx_rt_conv2d_s8_fmt_get_buffer_size(ternary_desc(), &p);
  if (ss == 0) die("ternary conv2d wants no scratch", NULL);
  scratch = scratch_alloc(ss);
  /* a too small scratch and a truncated encoding must be refused */
  if (spx_rt_conv2d_s8_fmt(ternary_desc(), &p, &q, x.data, w, len, NULL, out, scratch + GUARD,
                           ss - 1) != SPX_RT_ERR_BUFFER)
    die("ternary conv2d accepted a too small scratch buffer", NULL);
  if (spx_rt_conv2d_s8_fmt(ternary_desc(), &p, &q, x.data, w, len - 1, NULL, out,
                           scratch + GUARD, ss) == SPX_RT_OK)
    die("ternary conv2d accepted a truncated encoding", NULL);
  check(spx_rt_conv2d_s8_fmt(ternary_desc(), &p, &q, x.data, w, len, has_b ? b.data : NULL,
                             out, scratch + GUARD, ss));
  scratch_check(scratch, ss);
  save(SPX_DT_I8, 4, dims, out);
  free(out);
  free(mult);
  free(shift);
  free(w);
  spx_npy_free(&x);
  if (has_b) spx_npy_free(&b);
}

static void run_dense_ternary(void) {
  spx_npy_t x, b;
  spx_fmt_dims_t d;
  spx_rt_dense_params_t p;
  spx_rt_requant_pc_t q;
  size_t len, count, ss;
  unsigned char *w, *scratch;
  int32_t *mult, *shift;
  int64_t dims[2];
  int8_t *out;
  int has_b;
  load("x", SPX_DT_I8, &x, 0);
  has_b = load("b", SPX_DT_I32, &b, 1);
  w = load_ternary(&len, &d);
  if (x.rank != 2 || (int64_t)d.cols != x.dims[1] || d.kh != 1 || d.kw != 1 || d.groups != 1)
    die("dense wants x [n, F] and ternary weights [units, F] (1 x 1, one group)", NULL);
  p.n = (int32_t)x.dims[0];
  p.features = (int32_t)x.dims[1];
  p.units = (int32_t)d.rows;
  p.act = arg_act();
  if (has_b && (int32_t)b.count != p.units) die("b must have units entries", NULL);
  dims[0] = p.n;
  dims[1] = p.units;
  count = (size_t)p.n * (size_t)p.units;
  mult = xmalloc((size_t)p.units * sizeof(int32_t));
  shift = xmalloc((size_t)p.units * sizeof(int32_t));
  ternary_quant(p.units, p.act, mult, shift, &q);
  out = xmalloc(count);
  ss = spx_rt_dense_s8_fmt_get_buffer_size(ternary_desc(), &p);
  if (ss == 0) die("ternary dense wants no scratch", NULL);
  scratch = scratch_alloc(ss);
  if (spx_rt_dense_s8_fmt(ternary_desc(), &p, &q, x.data, w, len, NULL, out, scratch + GUARD,
                          ss - 1) != SPX_RT_ERR_BUFFER)
    die("ternary dense accepted a too small scratch buffer", NULL);
  if (spx_rt_dense_s8_fmt(ternary_desc(), &p, &q, x.data, w, len - 1, NULL, out,
                          scratch + GUARD, ss) == SPX_RT_OK)
    die("ternary dense accepted a truncated encoding", NULL);
  check(spx_rt_dense_s8_fmt(ternary_desc(), &p, &q, x.data, w, len, has_b ? b.data : NULL,
                            out, scratch + GUARD, ss));
  scratch_check(scratch, ss);
  save(SPX_DT_I8, 2, dims, out);
  free(out);
  free(mult);
  free(shift);
  free(w);
  spx_npy_free(&x);
  if (has_b) spx_npy_free(&b);
}

static void run_unary(const char *k) {
  spx_npy_t x;
  int s8 = strstr(k, "_s8") != NULL;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  if (!s8) {
    float *out = xmalloc(x.count * sizeof(float));
    if (strcmp(k, "relu_f32") == 0) check(spx_rt_relu_f32(x.count, x.data, out));
    else if (strcmp(k, "relu6_f32") == 0) check(spx_rt_relu6_f32(x.count, x.data, out));
    else check(spx_rt_sigmoid_f32(x.count, x.data, out));
    save(SPX_DT_F32, x.rank, x.dims, out);
    free(out);
  } else {
    int8_t *out = xmalloc(x.count);
    if (strcmp(k, "sigmoid_s8") == 0) {
      spx_rt_sigmoid_s8_params_t sp;
      spx_rt_sigmoid_s8_init(&sp, arg_quant("in_scale", "in_zp"));
      check(spx_rt_sigmoid_s8(x.count, &sp, x.data, out));
    } else {
      spx_rt_requant_t rq;
      spx_rt_act_t act = strcmp(k, "relu_s8") == 0    ? SPX_RT_ACT_RELU
                         : strcmp(k, "relu6_s8") == 0 ? SPX_RT_ACT_RELU6
                                                      : arg_act();
      spx_rt_requant_init(&rq, arg_quant("in_scale", "in_zp"),
                          arg_quant("out_scale", "out_zp"), act);
      if (act == SPX_RT_ACT_RELU && strcmp(k, "relu_s8") == 0)
        check(spx_rt_relu_s8(x.count, &rq, x.data, out));
      else if (strcmp(k, "relu6_s8") == 0)
        check(spx_rt_relu6_s8(x.count, &rq, x.data, out));
      else
        check(spx_rt_requantize_s8(x.count, &rq, x.data, out));
    }
    save(SPX_DT_I8, x.rank, x.dims, out);
    free(out);
  }
  spx_npy_free(&x);
}

static void run_pool(const char *k) {
  spx_npy_t x;
  spx_rt_pool_params_t p;
  int s8 = strstr(k, "_s8") != NULL;
  int32_t oh, ow, kern[2];
  int64_t dims[4];
  size_t count;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  if (x.rank != 4) die("pool wants rank-4 x", NULL);
  p.n = (int32_t)x.dims[0];
  p.c = (int32_t)x.dims[1];
  p.h = (int32_t)x.dims[2];
  p.w = (int32_t)x.dims[3];
  arg_ints("size", kern, 2, 2);
  p.kh = kern[0];
  p.kw = kern[1];
  arg_ints("stride", p.stride, 2, 1);
  arg_ints("pad", p.pad, 4, 0);
  check(spx_rt_pool_out_dims(&p, &oh, &ow));
  dims[0] = p.n;
  dims[1] = p.c;
  dims[2] = oh;
  dims[3] = ow;
  count = (size_t)p.n * (size_t)p.c * (size_t)oh * (size_t)ow;
  if (!s8) {
    float *out = xmalloc(count * sizeof(float));
    if (strncmp(k, "max", 3) == 0) check(spx_rt_maxpool_f32(&p, x.data, out));
    else check(spx_rt_avgpool_f32(&p, x.data, out));
    save(SPX_DT_F32, 4, dims, out);
    free(out);
  } else {
    int8_t *out = xmalloc(count);
    if (strncmp(k, "max", 3) == 0) check(spx_rt_maxpool_s8(&p, x.data, out));
    else check(spx_rt_avgpool_s8(&p, x.data, out));
    save(SPX_DT_I8, 4, dims, out);
    free(out);
  }
  spx_npy_free(&x);
}

static void run_global_avgpool(int s8) {
  spx_npy_t x;
  int64_t dims[4];
  int32_t n, c, hw;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  if (x.rank != 4) die("global_avgpool wants rank-4 x", NULL);
  n = (int32_t)x.dims[0];
  c = (int32_t)x.dims[1];
  hw = (int32_t)(x.dims[2] * x.dims[3]);
  dims[0] = n;
  dims[1] = c;
  dims[2] = 1;
  dims[3] = 1;
  if (!s8) {
    float *out = xmalloc((size_t)n * (size_t)c * sizeof(float));
    check(spx_rt_global_avgpool_f32(n, c, hw, x.data, out));
    save(SPX_DT_F32, 4, dims, out);
    free(out);
  } else {
    spx_rt_requant_t rq;
    int8_t *out = xmalloc((size_t)n * (size_t)c);
    spx_rt_global_avgpool_s8_init(&rq, hw, arg_quant("in_scale", "in_zp"),
                                  arg_quant("out_scale", "out_zp"));
    check(spx_rt_global_avgpool_s8(n, c, hw, &rq, x.data, out));
    save(SPX_DT_I8, 4, dims, out);
    free(out);
  }
  spx_npy_free(&x);
}

static void run_add(int s8) {
  spx_npy_t a, b;
  load("a", s8 ? SPX_DT_I8 : SPX_DT_F32, &a, 0);
  load("b", s8 ? SPX_DT_I8 : SPX_DT_F32, &b, 0);
  if (a.count != b.count) die("add wants inputs of one size", NULL);
  if (!s8) {
    float *out = xmalloc(a.count * sizeof(float));
    check(spx_rt_add_f32(a.count, a.data, b.data, arg_act(), out));
    save(SPX_DT_F32, a.rank, a.dims, out);
    free(out);
  } else {
    spx_rt_add_s8_params_t p;
    int8_t *out = xmalloc(a.count);
    spx_rt_add_s8_init(&p, arg_quant("a_scale", "a_zp"), arg_quant("b_scale", "b_zp"),
                       arg_quant("out_scale", "out_zp"), arg_act());
    check(spx_rt_add_s8(a.count, &p, a.data, b.data, out));
    save(SPX_DT_I8, a.rank, a.dims, out);
    free(out);
  }
  spx_npy_free(&a);
  spx_npy_free(&b);
}

static void run_concat(int s8) {
  spx_npy_t xs[MAX_LIST];
  const void *ptrs[MAX_LIST];
  int32_t axis_dims[MAX_LIST];
  spx_rt_concat_params_t p;
  int64_t dims[6];
  int count = arg_req_int("count"), i, d;
  size_t total = 0;
  if (count < 1 || count > MAX_LIST) die("bad count", NULL);
  memset(&p, 0, sizeof p);
  p.axis = arg_req_int("axis");
  p.count = count;
  p.axis_dims = axis_dims;
  for (i = 0; i < count; ++i) {
    char name[16];
    snprintf(name, sizeof name, "x%d", i);
    load(name, s8 ? SPX_DT_I8 : SPX_DT_F32, &xs[i], 0);
    ptrs[i] = xs[i].data;
    if (i == 0) {
      p.rank = xs[0].rank;
      if (p.rank > 6) die("rank > 6", NULL);
      for (d = 0; d < p.rank; ++d) p.dims[d] = (int32_t)xs[0].dims[d];
    }
    if (xs[i].rank != p.rank || p.axis < 0 || p.axis >= p.rank)
      die("concat inputs of different rank or bad axis", NULL);
    axis_dims[i] = (int32_t)xs[i].dims[p.axis];
    total += xs[i].count;
  }
  p.dims[p.axis] = 0;
  for (i = 0; i < count; ++i) p.dims[p.axis] += axis_dims[i];
  for (d = 0; d < p.rank; ++d) dims[d] = p.dims[d];
  if (!s8) {
    float *out = xmalloc(total * sizeof(float));
    check(spx_rt_concat_f32(&p, (const float *const *)ptrs, out));
    save(SPX_DT_F32, p.rank, dims, out);
    free(out);
  } else {
    spx_rt_requant_t rq[MAX_LIST];
    double sc[MAX_LIST], zp[MAX_LIST];
    int8_t *out = xmalloc(total);
    if (arg_int("requant", 1)) {
      spx_rt_quant_t qout = arg_quant("out_scale", "out_zp");
      if (arg_list("in_scale", sc, 1) != count || arg_list("in_zp", zp, 1) != count)
        die("in_scale and in_zp need count values", NULL);
      for (i = 0; i < count; ++i) {
        spx_rt_quant_t qi;
        qi.scale = (float)sc[i];
        qi.zero_point = (int32_t)zp[i];
        spx_rt_requant_init(&rq[i], qi, qout, SPX_RT_ACT_NONE);
      }
      check(spx_rt_concat_s8(&p, rq, (const int8_t *const *)ptrs, out));
    } else {
      check(spx_rt_concat_s8(&p, NULL, (const int8_t *const *)ptrs, out));
    }
    save(SPX_DT_I8, p.rank, dims, out);
    free(out);
  }
  for (i = 0; i < count; ++i) spx_npy_free(&xs[i]);
}

static void run_reshape(void) {
  char err[256];
  spx_npy_t x;
  double v[MAX_LIST];
  int64_t dims[SPX_MAX_RANK];
  int rank = arg_list("shape", v, 1), i;
  int64_t prod = 1;
  void *out;
  if (spx_npy_read(path_of("x"), &x, err, sizeof err) != 0) die(err, path_of("x"));
  if (rank > SPX_MAX_RANK) die("rank too large", NULL);
  for (i = 0; i < rank; ++i) {
    dims[i] = (int64_t)v[i];
    prod *= dims[i];
  }
  if ((size_t)prod != x.count) die("reshape changes the element count", NULL);
  out = xmalloc(x.count * spx_dtype_size(x.dtype));
  check(spx_rt_reshape(x.count * spx_dtype_size(x.dtype), x.data, out));
  save(x.dtype, rank, dims, out);
  free(out);
  spx_npy_free(&x);
}

static void run_softmax(int s8) {
  spx_npy_t x;
  int32_t depth, outer;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  depth = (int32_t)x.dims[x.rank - 1];
  outer = (int32_t)(x.count / (size_t)depth);
  if (!s8) {
    float *out = xmalloc(x.count * sizeof(float));
    check(spx_rt_softmax_f32(outer, depth, x.data, out));
    save(SPX_DT_F32, x.rank, x.dims, out);
    free(out);
  } else {
    spx_rt_softmax_s8_params_t p;
    int8_t *out = xmalloc(x.count);
    spx_rt_softmax_s8_init(&p, arg_quant("in_scale", "in_zp"), arg_num("beta", 1.0, 0));
    check(spx_rt_softmax_s8(outer, depth, &p, x.data, out));
    save(SPX_DT_I8, x.rank, x.dims, out);
    free(out);
  }
  spx_npy_free(&x);
}

static void run_batchnorm(int s8) {
  spx_npy_t x;
  int32_t n, c, hw;
  load("x", s8 ? SPX_DT_I8 : SPX_DT_F32, &x, 0);
  if (x.rank != 4) die("batchnorm wants rank-4 x", NULL);
  n = (int32_t)x.dims[0];
  c = (int32_t)x.dims[1];
  hw = (int32_t)(x.dims[2] * x.dims[3]);
  if (!s8) {
    spx_npy_t g, b, m, v;
    float *out = xmalloc(x.count * sizeof(float));
    load("gamma", SPX_DT_F32, &g, 0);
    load("beta", SPX_DT_F32, &b, 0);
    load("mean", SPX_DT_F32, &m, 0);
    load("var", SPX_DT_F32, &v, 0);
    check(spx_rt_batchnorm_f32(n, c, hw, g.data, b.data, m.data, v.data,
                               (float)arg_num("eps", 1e-5, 0), x.data, out));
    save(SPX_DT_F32, 4, x.dims, out);
    free(out);
    spx_npy_free(&g);
    spx_npy_free(&b);
    spx_npy_free(&m);
    spx_npy_free(&v);
  } else {
    spx_npy_t mul, off, sm;
    spx_rt_requant_pc_t q;
    spx_rt_quant_t qin = arg_quant("in_scale", "in_zp");
    spx_rt_quant_t qout = arg_quant("out_scale", "out_zp");
    int32_t *mult = xmalloc((size_t)c * sizeof(int32_t));
    int32_t *shift = xmalloc((size_t)c * sizeof(int32_t));
    int8_t *out = xmalloc(x.count);
    load("mul", SPX_DT_I32, &mul, 0);
    load("off", SPX_DT_I32, &off, 0);
    load("sm", SPX_DT_F32, &sm, 0);
    per_channel(&sm, qin.scale, qout.scale, mult, shift);
    q.in_zero_point = qin.zero_point;
    q.out_zero_point = qout.zero_point;
    q.multiplier = mult;
    q.shift = shift;
    spx_rt_act_range_s8(arg_act(), qout, &q.act_min, &q.act_max);
    check(spx_rt_batchnorm_s8(n, c, hw, &q, mul.data, off.data, x.data, out));
    save(SPX_DT_I8, 4, x.dims, out);
    free(out);
    free(mult);
    free(shift);
    spx_npy_free(&mul);
    spx_npy_free(&off);
    spx_npy_free(&sm);
  }
  spx_npy_free(&x);
}

static void run_qmult(void) {
  char path[4096];
  FILE *f;
  double v;
  int32_t *out = NULL;
  size_t n = 0, cap = 0;
  int64_t dims[2];
  snprintf(path, sizeof path, "%s/reals.txt", g_dir);
  f = fopen(path, "r");
  if (!f) die("cannot open", path);
  while (fscanf(f, "%lf", &v) == 1) {
    int32_t m;
    int sh;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      out = realloc(out, cap * 2 * sizeof(int32_t));
      if (!out) die("out of memory", NULL);
    }
    spx_rt_quantize_multiplier(v, &m, &sh);
    out[2 * n] = m;
    out[2 * n + 1] = sh;
    ++n;
  }
  fclose(f);
  dims[0] = (int64_t)n;
  dims[1] = 2;
  save(SPX_DT_I32, 2, dims, out);
  free(out);
}

static void run_mbqm(void) {
  spx_npy_t x, m, s;
  int32_t *out;
  size_t i;
  load("x", SPX_DT_I32, &x, 0);
  load("mult", SPX_DT_I32, &m, 0);
  load("shift", SPX_DT_I32, &s, 0);
  if (m.count != x.count || s.count != x.count) die("x, mult, shift differ in size", NULL);
  out = xmalloc(x.count * sizeof(int32_t));
  for (i = 0; i < x.count; ++i)
    out[i] = spx_rt_mbqm(((int32_t *)x.data)[i], ((int32_t *)m.data)[i],
                         ((int32_t *)s.data)[i]);
  save(SPX_DT_I32, x.rank, x.dims, out);
  free(out);
  spx_npy_free(&x);
  spx_npy_free(&m);
  spx_npy_free(&s);
}

static void run_channel_affine(void) {
  spx_npy_t x, sc, sh;
  int64_t inner = 1;
  int d;
  float *out;
  load("x", SPX_DT_F32, &x, 0);
  load("scale", SPX_DT_F32, &sc, 0);
  load("shift", SPX_DT_F32, &sh, 0);
  if (x.rank < 2) die("channel_affine wants x of rank >= 2", NULL);
  for (d = 2; d < x.rank; ++d) inner *= x.dims[d];
  if (arg_int("inplace", 0)) {
    out = x.data;
  } else {
    out = xmalloc(x.count * sizeof(float));
  }
  check(spx_rt_channel_affine_f32((int32_t)x.dims[0], (int32_t)x.dims[1], (int32_t)inner,
                                  sc.data, sh.data, x.data, out));
  save(SPX_DT_F32, x.rank, x.dims, out);
  if (out != x.data) free(out);
  spx_npy_free(&x);
  spx_npy_free(&sc);
  spx_npy_free(&sh);
}

int main(int argc, char **argv) {
  const char *k;
  int i;
  if (argc < 3) {
    fprintf(stderr, "usage: spx-kernel-harness KERNEL DIR [key=value ...]\n");
    return 1;
  }
  k = argv[1];
  g_dir = argv[2];
  for (i = 3; i < argc; ++i) {
    char *eq = strchr(argv[i], '=');
    if (!eq || g_nargs == MAX_ARGS) die("bad argument", argv[i]);
    *eq = '\0';
    g_keys[g_nargs] = argv[i];
    g_vals[g_nargs++] = eq + 1;
  }
  if (strcmp(k, "conv2d_f32") == 0) run_conv2d(0);
  else if (strcmp(k, "conv2d_s8") == 0) run_conv2d(1);
  else if (strcmp(k, "dense_f32") == 0) run_dense(0);
  else if (strcmp(k, "dense_s8") == 0) run_dense(1);
  else if (strcmp(k, "conv2d_ternary") == 0) run_conv2d_ternary();
  else if (strcmp(k, "dense_ternary") == 0) run_dense_ternary();
  else if (strcmp(k, "relu_f32") == 0 || strcmp(k, "relu6_f32") == 0 ||
           strcmp(k, "sigmoid_f32") == 0 || strcmp(k, "relu_s8") == 0 ||
           strcmp(k, "relu6_s8") == 0 || strcmp(k, "requantize_s8") == 0 ||
           strcmp(k, "sigmoid_s8") == 0)
    run_unary(k);
  else if (strcmp(k, "maxpool_f32") == 0 || strcmp(k, "maxpool_s8") == 0 ||
           strcmp(k, "avgpool_f32") == 0 || strcmp(k, "avgpool_s8") == 0)
    run_pool(k);
  else if (strcmp(k, "global_avgpool_f32") == 0) run_global_avgpool(0);
  else if (strcmp(k, "global_avgpool_s8") == 0) run_global_avgpool(1);
  else if (strcmp(k, "add_f32") == 0) run_add(0);
  else if (strcmp(k, "add_s8") == 0) run_add(1);
  else if (strcmp(k, "concat_f32") == 0) run_concat(0);
  else if (strcmp(k, "concat_s8") == 0) run_concat(1);
  else if (strcmp(k, "reshape") == 0) run_reshape();
  else if (strcmp(k, "softmax_f32") == 0) run_softmax(0);
  else if (strcmp(k, "softmax_s8") == 0) run_softmax(1);
  else if (strcmp(k, "batchnorm_f32") == 0) run_batchnorm(0);
  else if (strcmp(k, "batchnorm_s8") == 0) run_batchnorm(1);
  else if (strcmp(k, "channel_affine_f32") == 0) run_channel_affine();
  else if (strcmp(k, "qmult") == 0) run_qmult();
  else if (strcmp(k, "mbqm") == 0) run_mbqm();
  else die("unknown kernel", k);
  return 0;
}
