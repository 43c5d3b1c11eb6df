/* lower.c - the aie target: cpu.layer commands -> an aie command stream
 * (runtime/targets/aie/opcodes.h), tiled for the machine description of
 * runtime/targets/aie/aie.h, and the model's figures for the report.
 *
 * Mapping (the block-sparsity paper, arXiv 2407.09453: "split across columns by output width first
 * (each core computes different COUT, streaming over H), then by COUT, and
 * by CIN only as a last resort"), as read here:
 *   1. the columns of the array split the output WIDTH (column c computes
 *      output columns [c*W/cols, (c+1)*W/cols)) when W >= cols; otherwise
 *      (dense layers, W < cols) the columns split COUT;
 *   2. the cores of a column split that column's COUT range in 8-channel
 *      blocks; each core streams over the output rows H in bands;
 *   3. per core, the largest COUT sub-range (multiple of 8) whose weights,
 *      ping-pong input window and ping-pong output fit the tile memory is
 *      computed per pass (weights stationary for the pass); if even 8 COUT
 *      do not fit, CIN is split into chunks (multiples of 8) with an int32
 *      accumulator and weights streamed with the input (the last resort).
 *   4. the band height is the largest that still fits.
 * Memory tile (per column, per layer, a fixed three-region heuristic): the
 * weights of one pass for the column's cores, the column's input window and
 * its output. If the three fit in the memory tile, the input is read from
 * DDR once per layer; otherwise it spills: streamed from DDR again for every
 * COUT pass. Weights go DDR -> memory tile once per pass (a broadcast read
 * feeds every column when columns split the width).
 * Block sparsity: CBR weights (and dense weights with all-zero 8x8 blocks)
 * move only their non-zero blocks (loadw / load lengths) and compute only
 * them (the model's effective MACs).
 * Ternary weights move as codes (load / loadw lengths, memory-tile and tile
 * weight buffers sized by the codes); each core reserves the top of its
 * memory for the decode buffer and code table (runtime/targets/aie/aie.h).
 * Other layers (pools, add, quantize, ...; grouped conv; f32) run as host
 * stages (aie.layer mode 1); the model costs the int8 element-wise ones
 * (add, relu, pools) as array work, and keeps an activation that only the
 * next layer reads in the memory tiles (runtime/targets/aie/model.c).
 * Commands map to layers through their `layer` field (= the index of the
 * cpu.layer command, = p->layers index) and their name (= the layer name). */
#include "backends/spx_backend.h"
#include "runtime/targets/aie/aie.h"

#include <stdlib.h>
#include <string.h>

typedef struct cmds {
  spx_cs_command_t *v;
  size_t n, cap;
} cmds_t;

static spx_cs_command_t *push(cmds_t *c, uint8_t opcode, const char *name,
                              uint32_t iterations) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 1024;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
    SPX_ASSERT(c->v);
  }
  spx_cs_command_t *x = &c->v[c->n++];
  memset(x, 0, sizeof *x);
  x->opcode = opcode;
  x->name = name;
  x->iterations = iterations;
  return x;
}

static uint32_t cdiv(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }

typedef struct geom {
  uint32_t cin, cout, oh, ow, ih, iw, kh, kw, sh, sw, dh, dw, khw;
  /* ternary weights: N, bits per code, P (tern_n 0: int8 weights) */
  uint32_t tern_n, tern_bits, tern_p;
} geom_t;

static uint32_t in_span(uint32_t n_out, uint32_t k, uint32_t s, uint32_t d) {
  return (n_out - 1) * s + (k - 1) * d + 1;
}

/* Bytes of a tile weight buffer of cp output channels x kc input channels:
 * int8, or the ternary codes (the core decodes them, aie.h). */
static uint64_t wbuf_bytes(const geom_t *g, uint32_t cp, uint32_t kc) {
  if (g->tern_n) return spx_aie_ternary_code_bytes(g->tern_n, g->tern_bits, cp, kc, g->khw);
  return (uint64_t)cp * kc * g->khw;
}

/* Tile memory needed by a (cout cp, cin chunk kc, band b, width wc) tiling. */
static uint64_t tile_need(const geom_t *g, uint32_t cp, uint32_t kc, uint32_t b,
                          uint32_t wc) {
  uint64_t in_b = (uint64_t)kc * in_span(b, g->kh, g->sh, g->dh) *
                  in_span(wc, g->kw, g->sw, g->dw);
  uint64_t w_b = wbuf_bytes(g, cp, kc);
  uint64_t out_b = (uint64_t)cp * b * wc;
  int split = kc < g->cin;
  /* ternary: the decode buffer and code table at the top of tile memory */
  uint64_t dec = g->tern_n ? spx_aie_ternary_decode_bytes(g->tern_n, g->tern_p, cp, kc, g->khw)
                           : 0;
  return (split ? 2 : 1) * w_b + 2 * in_b + 2 * out_b + (split ? out_b * 4 : 0) + dec;
}

typedef struct plan {
  int width_split;
  uint32_t cp, kc, band, wband, passes_max;
  int spill;
} plan_t;

/* Non-zero-block weight bytes of [oc0, oc1) x all cin (what moves). */
typedef struct wview {
  const int8_t *dense;
  spx_fmt_cbr_view_t cbr;
  int is_cbr;
  spx_fmt_ternary_view_t tern;
  int is_tern;
  uint32_t cin, khw;
} wview_t;

static uint64_t packed_bytes(const wview_t *w, uint32_t oc0, uint32_t oc1) {
  if (w->is_cbr) return spx_aie_cbr_block_macs(&w->cbr, oc0, oc1);
  if (w->is_tern) return spx_aie_ternary_slice_bytes(&w->tern, oc0, oc1);
  return spx_aie_block_macs(w->dense, w->cin, w->khw, oc0, oc1, 0, w->cin);
}

typedef struct lctx {
  spx_program_t *p;
  spx_arena_t *arena;
  spx_aie_mdesc_t m;
  cmds_t out;
  plan_t *plans;
  uint64_t *mt_peak;
} lctx_t;

static void lock(lctx_t *c, int acq, uint16_t layer, const char *name,
                 uint8_t row, uint8_t col, uint8_t id, uint8_t value,
                 uint32_t n, uint16_t period) {
  spx_cs_command_t *x = push(&c->out, acq ? SPX_CS_OP_AIE_LOCK_ACQ : SPX_CS_OP_AIE_LOCK_REL,
                             name, n);
  SPX_CS_U(*x, aie_lock_acq) = (spx_cs_aie_lock_acq_t){layer, row, col, id, value, period};
}

static void move(lctx_t *c, uint8_t opcode, uint16_t layer, const char *name,
                 uint8_t row, uint8_t col, uint32_t mt_addr, uint32_t length,
                 uint16_t buf0, uint16_t buf1, uint32_t n, uint16_t period) {
  spx_cs_command_t *x = push(&c->out, opcode, name, n);
  SPX_CS_U(*x, aie_loadw) = (spx_cs_aie_loadw_t){layer, row, col, mt_addr, 0, length,
                                        buf0, buf1, period};
}

static void ddr(lctx_t *c, uint8_t opcode, uint16_t layer, const char *name,
                uint8_t col, uint8_t cols, uint16_t tensor, uint16_t blob,
                uint32_t length, uint32_t mt_addr, uint32_t n) {
  if (!length) return;
  spx_cs_command_t *x = push(&c->out, opcode, name, n);
  SPX_CS_U(*x, aie_load) = (spx_cs_aie_load_t){layer, col, cols, tensor, blob, 0,
                                      length, 0, mt_addr, 0};
}

enum { L_IN_EMPTY = 0, L_IN_FULL = 1, L_OUT_EMPTY = 2, L_OUT_FULL = 3 };

/* Lowers one array layer; returns 0, or -1 if it cannot be tiled. */
static int lower_array(lctx_t *c, uint16_t li, const spx_cs_command_t *cl) {
  const spx_cs_cpu_layer_t *l = &cl->u.cpu_layer;
  const spx_cs_image_t *img = &c->p->image;
  const spx_cs_tensor_t *in = &img->tensors[l->in0], *out = &img->tensors[l->out];
  const spx_cs_blob_t *wblob = &img->blobs[l->weights];
  const char *name = cl->name;
  geom_t g;
  if (l->op == SPX_CS_CPU_OP_DENSE)
    g = (geom_t){in->dims[1], out->dims[1], out->dims[0], 1, in->dims[0], 1,
                 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
  else
    g = (geom_t){in->dims[1], out->dims[1], out->dims[2], out->dims[3],
                 in->dims[2], in->dims[3], l->kh, l->kw, l->sh, l->sw, l->dh,
                 l->dw, (uint32_t)l->kh * l->kw, 0, 0, 0};
  wview_t wv;
  memset(&wv, 0, sizeof wv);
  wv.dense = (const int8_t *)wblob->data;
  wv.cin = g.cin;
  wv.khw = g.khw;
  if (wblob->encoding == SPX_CS_ENC_CBR) {
    if (spx_fmt_cbr_open(wblob->data, wblob->length, NULL, &wv.cbr, NULL) != SPX_RT_OK ||
        wv.cbr.dims.groups != 1)
      return -1;
    wv.is_cbr = 1;
  }
  if (wblob->encoding == SPX_CS_ENC_TERNARY) {
    if (spx_fmt_ternary_open(wblob->data, wblob->length, NULL, &wv.tern, NULL) != SPX_RT_OK ||
        wv.tern.dims.groups != 1)
      return -1;
    wv.is_tern = 1;
    g.tern_n = wv.tern.n;
    g.tern_bits = wv.tern.code_bits;
    g.tern_p = wv.tern.patterns;
  }
  const spx_aie_mdesc_t *m = &c->m;
  plan_t *pl = &c->plans[li];
  pl->width_split = g.ow >= m->cols;
  uint32_t ncol = m->cols, nrow = m->rows;
  uint32_t cblocks = cdiv(g.cout, 8);
  uint64_t mt_peak = 0;
  /* Per column: its width range and COUT range. */
  for (uint32_t pass_max = 0, col = 0; col < ncol; col++) {
    uint32_t w0 = 0, w1 = g.ow, ca = 0, cb = g.cout;
    if (pl->width_split) {
      w0 = col * g.ow / ncol;
      w1 = (col + 1) * g.ow / ncol;
    } else {
      uint32_t bpc = cdiv(cblocks, ncol); /* blocks per column, first first */
      ca = umin(g.cout, col * bpc * 8);
      cb = umin(g.cout, (col + 1) * bpc * 8);
    }
    if (w0 >= w1 || ca >= cb) continue;
    uint32_t wc = w1 - w0, colblocks = cdiv(cb - ca, 8);
    /* Tiling of one core: the widest COUT range of any row. */
    uint32_t cc_max = umin(cb - ca, cdiv(colblocks, nrow) * 8);
    uint32_t cp = cc_max, kc = g.cin, band = 1, wb = wc;
    while (tile_need(&g, cp, kc, 1, wb) > m->tile_mem && cp > 8) cp = cp > 16 ? cp - 8 : 8;
    while (tile_need(&g, cp, kc, 1, wb) > m->tile_mem && wb > 1) wb = cdiv(wb, 2);
    if (tile_need(&g, cp, kc, 1, wb) > m->tile_mem) {
      wb = wc;
      kc = g.cin / 8 * 8;
      while (kc > 8 && tile_need(&g, cp, kc, 1, wb) > m->tile_mem) kc -= 8;
      while (tile_need(&g, cp, kc, 1, wb) > m->tile_mem && wb > 1) wb = cdiv(wb, 2);
      if (kc == 0 || tile_need(&g, cp, kc, 1, wb) > m->tile_mem) return -1;
    }
    while (band < g.oh && tile_need(&g, cp, kc, band + 1, wb) <= m->tile_mem) band++;
    uint32_t nb = cdiv(g.oh, band), nk = cdiv(g.cin, kc), nw = cdiv(wc, wb);
    uint32_t n = nb * nw * nk, passes = cdiv(cc_max, cp);
    if (passes > pass_max) pass_max = passes;
    pl->cp = cp;
    pl->kc = kc;
    pl->band = band;
    pl->wband = wb;
    pl->passes_max = pass_max;
    /* Memory tile regions: weights of a pass (all rows), input window,
     * output. */
    uint32_t icols0 = w0 * g.sw > l->pad_l ? w0 * g.sw - l->pad_l : 0;
    uint32_t icols1 = umin(g.iw, (w1 - 1) * g.sw + (g.kw - 1) * g.dw + 1 > l->pad_l
                                     ? (w1 - 1) * g.sw + (g.kw - 1) * g.dw + 1 - l->pad_l : 0);
    uint32_t icols = icols1 > icols0 ? icols1 - icols0 : 1;
    uint64_t in_mt = (uint64_t)g.cin * g.ih * icols;
    uint64_t out_mt = (uint64_t)(cb - ca) * g.oh * wc;
    /* The output drains to DDR as it is produced: a ping-pong region of one
     * pass's band for all rows of the column. */
    uint64_t band_out = (uint64_t)umin(cb - ca, nrow * cp) * umin(band, g.oh) * wc;
    uint64_t w_mt = (uint64_t)nrow * wbuf_bytes(&g, cp, kc);
    int spill = w_mt + in_mt + 2 * band_out > m->memtile_mem;
    uint64_t band_in = (uint64_t)g.cin * umin(g.ih, in_span(band, g.kh, g.sh, g.dh)) * icols;
    if (spill) pl->spill = 1;
    uint32_t mt_w = 0;
    uint32_t mt_in = (uint32_t)w_mt;
    uint64_t in_region = spill ? 2 * band_in : in_mt;
    uint32_t mt_out = (uint32_t)(mt_in + in_region);
    uint64_t out_region = 2 * band_out;
    if (mt_out + out_region > m->memtile_mem || in_region > UINT32_MAX) return -1;
    if (mt_out + out_region > mt_peak) mt_peak = mt_out + out_region;

    /* DDR -> memory tile: the input (once, or per pass and band when it
     * spills; a broadcast when the columns split COUT and share it). */
    int bcast_in = !pl->width_split;
    if (!bcast_in || col == 0) {
      uint8_t mask = (uint8_t)(bcast_in ? (1u << ncol) - 1 : 1u << col);
      if (!spill)
        ddr(c, SPX_CS_OP_AIE_LOAD, li, name, (uint8_t)col, mask, l->in0, SPX_CS_NONE,
            (uint32_t)umin((uint32_t)in_mt, in->ws_size), mt_in, 1);
      else
        ddr(c, SPX_CS_OP_AIE_LOAD, li, name, (uint8_t)col, mask, l->in0, SPX_CS_NONE,
            (uint32_t)umin((uint32_t)band_in, in->ws_size), mt_in, nb * passes);
    }
    for (uint32_t pass = 0; pass < passes; pass++) {
      /* Weights of this pass for the column's rows: one DDR read (shared by
       * all columns when they split the width: sent by column 0). */
      uint64_t wpass = 0;
      for (uint32_t row = 0; row < nrow; row++) {
        uint32_t r0 = ca + umin(cb - ca, row * cdiv(colblocks, nrow) * 8);
        uint32_t r1 = ca + umin(cb - ca, (row + 1) * cdiv(colblocks, nrow) * 8);
        uint32_t o0 = r0 + pass * cp, o1 = umin(r1, o0 + cp);
        if (o0 < o1) wpass += packed_bytes(&wv, o0, o1);
      }
      if (!pl->width_split || col == 0) {
        uint8_t mask = (uint8_t)(pl->width_split ? (1u << ncol) - 1 : 1u << col);
        /* kc < cin: the pass's weights stream in nk chunks, again for
         * every row band (they do not stay in the memory tile). */
        uint32_t reps = kc < g.cin ? nb * nk : 1;
        uint32_t wl = (uint32_t)((wpass + (kc < g.cin ? nk : 1) - 1) / (kc < g.cin ? nk : 1));
        ddr(c, SPX_CS_OP_AIE_LOAD, li, name, (uint8_t)col, mask, SPX_CS_NONE,
            l->weights, umin(wl ? wl : 1, wblob->length), mt_w, reps);
      }
      for (uint32_t row = 0; row < nrow; row++) {
        uint32_t r0 = ca + umin(cb - ca, row * cdiv(colblocks, nrow) * 8);
        uint32_t r1 = ca + umin(cb - ca, (row + 1) * cdiv(colblocks, nrow) * 8);
        uint32_t o0 = r0 + pass * cp, o1 = umin(r1, o0 + cp);
        if (o0 >= o1) continue;
        uint8_t R = (uint8_t)row, C = (uint8_t)col;
        uint32_t cpp = o1 - o0;
        uint32_t in_b = kc * in_span(umin(band, g.oh), g.kh, g.sh, g.dh) *
                        in_span(wb, g.kw, g.sw, g.dw);
        uint32_t w_b = (uint32_t)wbuf_bytes(&g, cp, kc), out_b = cpp * umin(band, g.oh) * wb;
        int split = kc < g.cin;
        uint16_t a_w0 = 0, a_w1 = (uint16_t)(split ? w_b : 0);
        uint32_t a_in0 = (split ? 2 : 1) * w_b, a_in1 = a_in0 + in_b;
        uint32_t a_out0 = a_in1 + in_b, a_out1 = a_out0 + out_b;
        uint32_t a_acc = a_out1 + out_b;
        uint64_t wbytes = packed_bytes(&wv, o0, o1);
        uint32_t wlen = (uint32_t)(split ? (wbytes + nk - 1) / nk : wbytes);
        if (!wlen) wlen = 1; /* an all-zero slice still sends its mask */
        /* prologue: ping-pong buffers free; stationary weights */
        lock(c, 0, li, name, R, C, L_IN_EMPTY, 2, 1, 1);
        lock(c, 0, li, name, R, C, L_OUT_EMPTY, 2, 1, 1);
        if (!split)
          move(c, SPX_CS_OP_AIE_LOADW, li, name, R, C, mt_w, wlen, a_w0, a_w0, 1, 1);
        /* body */
        lock(c, 1, li, name, R, C, L_IN_EMPTY, 1, n, 1);
        if (split)
          move(c, SPX_CS_OP_AIE_LOADW, li, name, R, C, mt_w, wlen, a_w0, a_w1, n, 1);
        move(c, SPX_CS_OP_AIE_LOADFM, li, name, R, C, mt_in, in_b, (uint16_t)a_in0,
             (uint16_t)a_in1, n, 1);
        lock(c, 0, li, name, R, C, L_IN_FULL, 1, n, 1);
        lock(c, 1, li, name, R, C, L_IN_FULL, 1, n, 1);
        lock(c, 1, li, name, R, C, L_OUT_EMPTY, 1, n, (uint16_t)nk);
        spx_cs_command_t *x = push(&c->out, SPX_CS_OP_AIE_COMP, name, n);
        SPX_CS_U(*x, aie_comp) = (spx_cs_aie_comp_t){
            li, R, C, (uint16_t)o0, (uint16_t)o1, 0, (uint16_t)g.oh,
            (uint16_t)w0, (uint16_t)w1, (uint16_t)band, (uint16_t)kc,
            (uint16_t)a_in0, (uint16_t)a_in1, a_w0, a_w1, (uint16_t)a_out0,
            (uint16_t)a_out1, (uint16_t)(split ? a_acc : 0xffff), (uint16_t)wb};
        lock(c, 0, li, name, R, C, L_IN_EMPTY, 1, n, 1);
        lock(c, 0, li, name, R, C, L_OUT_FULL, 1, n, (uint16_t)nk);
        lock(c, 1, li, name, R, C, L_OUT_FULL, 1, n, (uint16_t)nk);
        move(c, SPX_CS_OP_AIE_WRITEFM, li, name, R, C, mt_out, out_b,
             (uint16_t)a_out0, (uint16_t)a_out1, n, (uint16_t)nk);
        lock(c, 0, li, name, R, C, L_OUT_EMPTY, 1, n, (uint16_t)nk);
        /* epilogue */
        lock(c, 1, li, name, R, C, L_IN_EMPTY, 2, 1, 1);
        lock(c, 1, li, name, R, C, L_OUT_EMPTY, 2, 1, 1);
      }
    }
    /* memory tile -> DDR: the column's output, band by band. */
    uint32_t nwr = nb * passes;
    ddr(c, SPX_CS_OP_AIE_WRITE, li, name, (uint8_t)col, (uint8_t)(1u << col),
        l->out, SPX_CS_NONE, (uint32_t)umin((uint32_t)((out_mt + nwr - 1) / nwr), out->ws_size),
        mt_out, nwr);
  }
  c->mt_peak[li] = mt_peak;
  return 0;
}

/* 1 if the layer runs on the array; else 0 and, for a conv2d/dense, *why
 * says why not (for the warning about a weight scheme left to the host). */
static int array_ok(const spx_program_t *p, const spx_cs_cpu_layer_t *l, const char **why,
                    spx_arena_t *arena) {
  const spx_cs_image_t *img = &p->image;
  *why = NULL;
  if (l->op != SPX_CS_CPU_OP_CONV2D && l->op != SPX_CS_CPU_OP_DENSE) return 0;
  const spx_cs_tensor_t *in = &img->tensors[l->in0];
  if (in->dtype != SPX_CS_DTYPE_INT8) return *why = "its input is not int8", 0;
  if (l->op == SPX_CS_CPU_OP_CONV2D && l->groups != 1)
    return *why = "a grouped convolution", 0;
  if (l->op == SPX_CS_CPU_OP_CONV2D && in->dims[0] != 1) return *why = "a batch above 1", 0;
  if (l->op == SPX_CS_CPU_OP_CONV2D) {
    /* Where a pad reaches past the (dilated) kernel, some output rows or
     * columns read only padding, and a sub-volume of them would have an
     * empty input window, which a core's kernel refuses: the host runs it. */
    unsigned span_h = (unsigned)(l->kh - 1) * l->dh + 1, span_w = (unsigned)(l->kw - 1) * l->dw + 1;
    if (l->pad_t >= span_h || l->pad_b >= span_h || l->pad_l >= span_w || l->pad_r >= span_w)
      return *why = "a pad reaches past the kernel", 0;
  }
  const spx_cs_blob_t *wb = &img->blobs[l->weights];
  if (spx_target_format_support(spx_target_find(SPX_CS_TARGET_AIE), wb->encoding, NULL) !=
      SPX_TARGET_NATIVE)
    return 0;
  if (wb->encoding == SPX_CS_ENC_TERNARY) {
    /* A core decodes codes through a table of the code book in its memory
     * (aie.h); larger books stay on the host. */
    spx_fmt_ternary_view_t tv;
    if (spx_fmt_ternary_open(wb->data, wb->length, NULL, &tv, NULL) != SPX_RT_OK)
      return *why = "its ternary weights do not open", 0;
    if (tv.patterns > SPX_AIE_TERN_TABLE_MAX)
      return *why = spx_arena_printf(arena, "its ternary code book (n=%u, k=%u) has %u patterns, "
                                     "more than the %u of a core's decode table",
                                     (unsigned)tv.n, (unsigned)tv.k, (unsigned)tv.patterns,
                                     (unsigned)SPX_AIE_TERN_TABLE_MAX),
             0;
  }
  const spx_cs_tensor_t *out = &img->tensors[l->out];
  for (unsigned d = 0; d < out->rank; d++)
    if (out->dims[d] > 65535) return *why = "an output dimension is above 65535", 0;
  return 1;
}

/* ---- the timing model over the image (the simulator's own code) ------------ */

static void img_get(const void *ctx, uint32_t i, spx_cs_command_t *out) {
  *out = ((const spx_cs_image_t *)ctx)->commands[i];
}
static const int8_t *img_blob(const void *ctx, uint16_t id, uint16_t *enc) {
  const spx_cs_blob_t *b = &((const spx_cs_image_t *)ctx)->blobs[id];
  *enc = b->encoding;
  return (const int8_t *)b->data;
}
static uint32_t img_tensor_bytes(const void *ctx, uint16_t id) {
  return ((const spx_cs_image_t *)ctx)->tensors[id].ws_size;
}
static uint32_t img_blob_size(const void *ctx, uint16_t id) {
  return ((const spx_cs_image_t *)ctx)->blobs[id].length;
}
static const spx_cs_tensor_t *img_tensor(const void *ctx, uint16_t id,
                                         spx_cs_tensor_t *scratch) {
  (void)scratch;
  return &((const spx_cs_image_t *)ctx)->tensors[id];
}

int spx_target_aie_lower(spx_program_t *p, spx_arena_t *arena, spx_diag_t *diag) {
  lctx_t c;
  memset(&c, 0, sizeof c);
  c.p = p;
  c.arena = arena;
  spx_aie_mdesc_from_values(p->mdesc, &c.m);
  uint32_t nl = p->image.command_count;
  c.plans = calloc(nl + 1, sizeof *c.plans);
  c.mt_peak = calloc(nl + 1, sizeof *c.mt_peak);
  SPX_ASSERT(c.plans && c.mt_peak);
  spx_cs_command_t *cfg = push(&c.out, SPX_CS_OP_AIE_CONFIG, "", 1);
  spx_aie_mdesc_to_config(&c.m, &SPX_CS_U(*cfg, aie_config));
  uint8_t *host = calloc(nl + 1, 1);
  for (uint32_t i = 0; i < nl; i++) {
    const spx_cs_command_t *cl = &p->image.commands[i];
    const spx_cs_cpu_layer_t *l = &cl->u.cpu_layer;
    size_t at = c.out.n;
    spx_cs_command_t *d = push(&c.out, SPX_CS_OP_AIE_LAYER, cl->name, 1);
#define CP(A, name, off, kind, doc) SPX_CS_U(*d, aie_layer).name = l->name;
    SPX_CS_FIELDS_CPU_LAYER(CP, ~)
#undef CP
    SPX_CS_U(*d, aie_layer).layer = (uint16_t)i;
    const char *why;
    int arr = array_ok(p, l, &why, arena);
    if (arr && lower_array(&c, (uint16_t)i, cl) != 0) {
      c.out.n = at + 1; /* drop what was emitted: host stage instead */
      arr = 0;
      why = "it does not tile into the cores' memory";
    }
    /* A weight scheme for the array (block sparsity, ternary codes) on a
     * layer the host runs: it saves weight bytes, no array cycles. */
    const uint16_t enc = why && l->weights != SPX_CS_NONE ? p->image.blobs[l->weights].encoding
                                                          : SPX_CS_ENC_DENSE;
    if (!arr && (enc == SPX_CS_ENC_CBR || enc == SPX_CS_ENC_TERNARY))
      spx_diag_warning(diag, (spx_loc_t){p->loc.file, p->layers[i].line, 0},
                       "layer '%s' has %s weights, but target aie runs it on the host, not on "
                       "the array: %s", cl->name, spx_cs_encoding_name(enc), why);
    SPX_CS_U(c.out.v[at], aie_layer).mode = arr ? 0 : 1;
    host[i] = !arr;
  }
  spx_cs_image_t *img = &p->image;
  img->target = SPX_CS_TARGET_AIE;
  img->mdesc_hash = spx_aie_mdesc_hash(&c.m);
  spx_cs_command_t *cmds = spx_arena_alloc(arena, c.out.n * sizeof *cmds);
  memcpy(cmds, c.out.v, c.out.n * sizeof *cmds);
  free(c.out.v);
  img->commands = cmds;
  img->command_count = (uint32_t)c.out.n;

  /* The model's figures, by the simulator's own timing code. */
  spx_sim_aie_layer_stats_t *st = calloc(nl + 1, sizeof *st);
  SPX_ASSERT(st);
  spx_sim_aie_source_t src = {img, img->command_count, img_get, img_blob,
                              img_tensor_bytes, img_blob_size, img_tensor, NULL, NULL};
  uint32_t got = 0;
  const char *why = spx_sim_aie_time(&src, NULL, st, nl, &got, NULL, NULL);
  SPX_ASSERT(!why && got == nl);
  uint64_t wdr = 0, wmt = 0;
  uint64_t tot = 0, tot_dense = 0, dr = 0, dw = 0, mt = 0, tm = 0, eff = 0, macs = 0,
           host_cycles = 0;
  double freq = c.m.freq_mhz;
  uint32_t ntiles = c.m.rows * c.m.cols;
  for (uint32_t i = 0; i < nl; i++) {
    const spx_sim_aie_layer_stats_t *s = &st[i];
    const plan_t *pl = &c.plans[i];
    double util = s->cycles ? (double)s->effective_macs /
                                  ((double)c.m.macs_per_cycle * ntiles * (double)s->cycles)
                            : 0.0;
    if (s->host) {
      p->layers[i].target_json = spx_arena_printf(
          arena, "{\"mode\": \"%s\", \"cycles\": %llu, \"compute_cycles\": %llu, "
                 "\"ddr_read_cycles\": %llu, \"ddr_write_cycles\": %llu, "
                 "\"ddr_read_bytes\": %llu, \"ddr_write_bytes\": %llu, "
                 "\"onchip_bytes\": %llu, \"time_us\": %.3f}",
          s->eltwise ? "eltwise" : "host",
          (unsigned long long)s->cycles, (unsigned long long)s->compute_cycles,
          (unsigned long long)s->ddr_read_cycles, (unsigned long long)s->ddr_write_cycles,
          (unsigned long long)s->ddr_read_bytes, (unsigned long long)s->ddr_write_bytes,
          (unsigned long long)s->onchip_bytes, (double)s->cycles / freq);
      if (!s->eltwise) host_cycles += s->cycles;
    } else {
      p->layers[i].target_json = spx_arena_printf(
          arena,
          "{\"mode\": \"array\", \"commands\": %u, \"cycles\": %llu, \"array_cycles\": %llu, "
          "\"compute_cycles\": %llu, \"load_cycles\": %llu, \"store_cycles\": %llu, "
          "\"ddr_read_cycles\": %llu, \"ddr_write_cycles\": %llu, "
          "\"ddr_read_bytes\": %llu, \"ddr_write_bytes\": %llu, \"onchip_bytes\": %llu, "
          "\"memtile_to_tile_bytes\": %llu, \"tile_to_memtile_bytes\": %llu, "
          "\"memtile_peak_bytes\": %llu, \"macs\": %llu, \"effective_macs\": %llu, "
          "\"weight_ddr_bytes\": %llu, \"weight_memtile_to_tile_bytes\": %llu, %s"
          "\"tiles_used\": %u, \"utilisation\": %.4f, \"tile_busy\": %.4f, "
          "\"tiling\": {\"split\": \"%s\", \"cout_per_pass\": %u, \"cin_chunk\": %u, "
          "\"band_rows\": %u, \"band_cols\": %u, \"passes\": %u, \"memtile\": \"%s\"}, \"time_us\": %.3f}",
          s->command_count, (unsigned long long)s->cycles,
          (unsigned long long)s->array_cycles, (unsigned long long)s->compute_cycles,
          (unsigned long long)s->load_cycles, (unsigned long long)s->store_cycles,
          (unsigned long long)s->ddr_read_cycles, (unsigned long long)s->ddr_write_cycles,
          (unsigned long long)s->ddr_read_bytes, (unsigned long long)s->ddr_write_bytes,
          (unsigned long long)s->onchip_bytes,
          (unsigned long long)s->mt_to_tile_bytes, (unsigned long long)s->tile_to_mt_bytes,
          (unsigned long long)c.mt_peak[i], (unsigned long long)s->macs,
          (unsigned long long)s->effective_macs, (unsigned long long)s->weight_ddr_bytes,
          (unsigned long long)s->weight_mt_to_tile_bytes,
          s->ternary ? spx_arena_printf(arena, "\"ternary_decode_cycles\": %llu, ",
                                        (unsigned long long)s->decode_cycles)
                     : "",
          s->tiles_used, util,
          s->tiles_used && s->array_cycles
              ? (double)s->busy_sum / ((double)s->tiles_used * (double)s->array_cycles)
              : 0.0,
          pl->width_split ? "width/cout" : "cout/cout", pl->cp, pl->kc, pl->band,
          pl->wband, pl->passes_max, pl->spill ? "spill" : "resident", (double)s->cycles / freq);
    }
    tot += s->cycles;
    dr += s->ddr_read_bytes;
    dw += s->ddr_write_bytes;
    mt += s->mt_to_tile_bytes;
    tm += s->tile_to_mt_bytes;
    eff += s->effective_macs;
    macs += s->macs;
    wdr += s->weight_ddr_bytes;
    wmt += s->weight_mt_to_tile_bytes;
    (void)tot_dense;
  }
  p->target_json = spx_arena_printf(
      arena,
      "{\"rows\": %u, \"cols\": %u, \"mdesc_hash\": \"0x%016llx\", \"freq_mhz\": %u, "
      "\"cycles\": %llu, \"time_ms\": %.4f, \"host_cycles\": %llu, "
      "\"ddr_read_bytes\": %llu, \"ddr_write_bytes\": %llu, "
      "\"memtile_to_tile_bytes\": %llu, \"tile_to_memtile_bytes\": %llu, "
      "\"weight_ddr_bytes\": %llu, \"weight_memtile_to_tile_bytes\": %llu, "
      "\"macs\": %llu, \"effective_macs\": %llu, \"utilisation\": %.4f, \"commands\": %u}",
      c.m.rows, c.m.cols, (unsigned long long)img->mdesc_hash, c.m.freq_mhz,
      (unsigned long long)tot, (double)tot / (freq * 1000.0),
      (unsigned long long)host_cycles, (unsigned long long)dr, (unsigned long long)dw,
      (unsigned long long)mt, (unsigned long long)tm, (unsigned long long)wdr,
      (unsigned long long)wmt, (unsigned long long)macs,
      (unsigned long long)eff,
      tot ? (double)eff / ((double)c.m.macs_per_cycle * ntiles * (double)tot) : 0.0,
      img->command_count);
  free(st);
  free(host);
  free(c.plans);
  free(c.mt_peak);
  return 0;
}
