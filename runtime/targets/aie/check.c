/* runtime/targets/aie/check.c - the stream description of the aie target:
 * its opcodes (opcodes.h) and the loader's rules for aie streams.
 *
 * Generic field checks (ids in range, iterations > 0) ran in cs_check.c
 * before. The aie rules need the whole stream (the machine description of
 * command 0, the layer a command belongs to, lock states), so they run once,
 * when the last command is checked, over every command in order:
 *   - command 0 is aie.config, a usable machine description whose hash is
 *     the header's mdesc_hash; no other aie.config;
 *   - layers are declared in order and every other command names the layer
 *     declared last; an aie.layer passes the cpu.layer rules; host layers
 *     have no commands; array layers are int8 conv2d (groups 1) or dense;
 *   - every tile exists; every tile / memory-tile / DDR range lies inside its
 *     memory or object for every iteration; a comp's buffers fit and do not
 *     overlap; its iteration count matches its sub-volume; the comps of a
 *     layer cover its output exactly once;
 *   - locks, executed symbolically in stream order (loop bodies interleaved
 *     as opcodes_aie.h says): no acquire waits forever, and every lock is 0
 *     at the end of each layer.
 * The first violation is reported with its command index and field. */
#include "runtime/stream/cs_internal.h"
#include "runtime/targets/aie/aie.h"

static uint32_t blob_length(const cs_vctx_t *v, uint32_t id) {
  if (id >= v->blob_count) return 0;
  if (v->image) return v->image->blobs[id].length;
  spx_cs_blob_t b;
  spx_cs_stream_blob(v->stream, id, &b);
  return b.length;
}

/* Blob `id` (in range: the cpu.layer rules checked it). */
static void blob_get(const cs_vctx_t *v, uint32_t id, spx_cs_blob_t *out) {
  if (v->image) *out = v->image->blobs[id];
  else spx_cs_stream_blob(v->stream, id, out);
}

static uint64_t mdesc_hash_of(const cs_vctx_t *v) {
  return v->image ? v->image->mdesc_hash : v->stream->mdesc_hash;
}

static uint32_t ceil_div(uint32_t a, uint32_t b) { return b ? (a + b - 1) / b : 0; }

typedef struct walk {
  cs_vctx_t *v;
  spx_aie_mdesc_t m;
  char who[64];
  uint32_t index;
  int32_t layer; /* -1 before the first aie.layer */
  spx_cs_command_t decl;
  spx_cs_tensor_t in, out;
  spx_fmt_ternary_view_t tern; /* the array layer's ternary weights */
  int is_tern;
  uint32_t layer_first; /* command index of the aie.layer */
  uint64_t covered;     /* output elements covered by comps */
  /* lock state, indexed by lock_index(): (row 0..7 or 8 = memory tile,
   * col, lock); the rest is run_locks' scratch */
#define WALK_LOCKS ((SPX_CS_AIE_MAX_ROWS + 1) * SPX_CS_AIE_MAX_COLS * SPX_CS_AIE_LOCKS)
  int64_t locks[WALK_LOCKS];
  uint32_t last_rel[WALK_LOCKS];
  int64_t delta_1[WALK_LOCKS], delta_p[WALK_LOCKS], start[WALK_LOCKS], cur[WALK_LOCKS];
  uint32_t last_rel_j[WALK_LOCKS], seen[WALK_LOCKS];
} walk_t;

/* The tile fields of a command: row (or 0xff = memory tile when allowed). */
static spx_rt_status_t check_tile(walk_t *w, unsigned row, unsigned col,
                                int memtile_ok) {
  if (row == SPX_CS_AIE_MEMTILE && memtile_ok) {
    if (col >= w->m.cols)
      return cs_bad(w->v, "%s: field 'col': bad tile: memory tile column %u "
                 "(the array has %u columns)", w->who, col,
                 (unsigned)w->m.cols);
    return SPX_RT_OK;
  }
  if (row >= w->m.rows)
    return cs_bad(w->v, "%s: field 'row': bad tile: row %u (the array has %u "
               "rows)", w->who, row, (unsigned)w->m.rows);
  if (col >= w->m.cols)
    return cs_bad(w->v, "%s: field 'col': bad tile: column %u (the array has "
               "%u columns)", w->who, col, (unsigned)w->m.cols);
  return SPX_RT_OK;
}

/* [addr + k * stride, + length) inside [0, size) for k < n. */
static spx_rt_status_t check_range(walk_t *w, const char *field,
                                 const char *what, uint64_t addr,
                                 uint64_t stride, uint64_t length, uint32_t n,
                                 uint64_t size) {
  uint64_t end = addr + stride * (n - 1) + length;
  if (end > size)
    return cs_bad(w->v, "%s: field '%s': out of bounds: [%llu, +%llu) (last "
               "iteration) exceeds the %s (%llu bytes)", w->who, field,
               (unsigned long long)(addr + stride * (n - 1)),
               (unsigned long long)length, what, (unsigned long long)size);
  return SPX_RT_OK;
}

static spx_rt_status_t check_config(walk_t *w, const spx_cs_command_t *c) {
  spx_aie_mdesc_from_config(&SPX_CS_U(*c, aie_config), &w->m);
  spx_rt_error_t why;
  if (spx_aie_mdesc_check(&w->m, &why) != SPX_RT_OK)
    return cs_bad(w->v, "%s: %s", w->who, why.message);
  uint64_t h = spx_aie_mdesc_hash(&w->m);
  if (h != mdesc_hash_of(w->v))
    return cs_bad(w->v, "%s: the header's machine-description hash 0x%llx is "
               "not this configuration's 0x%llx", w->who,
               (unsigned long long)mdesc_hash_of(w->v), (unsigned long long)h);
  return SPX_RT_OK;
}

static spx_rt_status_t end_layer(walk_t *w) {
  if (w->layer < 0) return SPX_RT_OK;
  const spx_cs_aie_layer_t *d = &SPX_CS_U(w->decl, aie_layer);
  if (d->mode == 0) {
    uint64_t total = (uint64_t)w->out.ws_size;
    if (w->covered != total)
      return cs_bad(w->v, "command %u (aie.layer): layer %d: the comps compute "
                 "%llu of the %llu output elements", (unsigned)w->layer_first,
                 (int)w->layer, (unsigned long long)w->covered,
                 (unsigned long long)total);
  }
  for (unsigned r = 0; r <= SPX_CS_AIE_MAX_ROWS; r++)
    for (unsigned c = 0; c < SPX_CS_AIE_MAX_COLS; c++)
      for (unsigned k = 0; k < SPX_CS_AIE_LOCKS; k++)
        if (w->locks[(r * SPX_CS_AIE_MAX_COLS + c) * SPX_CS_AIE_LOCKS + k]) {
          uint32_t x = (r * SPX_CS_AIE_MAX_COLS + c) * SPX_CS_AIE_LOCKS + k;
          char tile[32];
          if (r == SPX_CS_AIE_MAX_ROWS)
            spx_rt_format(tile, sizeof tile, "memory tile %u", c);
          else
            spx_rt_format(tile, sizeof tile, "tile (%u,%u)", r, c);
          return cs_bad(w->v, "command %u (aie.lock_rel): field 'lock': "
                     "unbalanced locks: lock %u of %s holds %lld at the end of "
                     "layer %d", (unsigned)w->last_rel[x], k, tile,
                     (long long)w->locks[x], (int)w->layer);
        }
  return SPX_RT_OK;
}

static spx_rt_status_t check_layer_decl(walk_t *w, const spx_cs_command_t *c) {
  const spx_cs_aie_layer_t *d = &SPX_CS_U(*c, aie_layer);
  if ((int32_t)d->layer != w->layer + 1)
    return cs_bad(w->v, "%s: field 'layer': %u, expected %d (layers are declared "
               "in order)", w->who, (unsigned)d->layer, (int)(w->layer + 1));
  if (d->mode > 1)
    return cs_bad(w->v, "%s: field 'mode': %u is neither 0 (array) nor 1 (host)",
               w->who, (unsigned)d->mode);
  /* The cpu.layer rules, on a cpu.layer with the same fields. */
  spx_cs_command_t cl;
  cs_zero(&cl, sizeof cl);
  cl.opcode = SPX_CS_OP_CPU_LAYER;
  cl.iterations = 1;
  cl.name = c->name;
  const spx_cs_opcode_info_t *ci = spx_cs_opcode_info(SPX_CS_OP_CPU_LAYER);
  for (uint32_t k = 0; k < ci->field_count; k++)
    cs_field_set(&cl, &ci->fields[k], cs_field_get(c, &ci->fields[k]));
  cs_vctx_t v2 = *w->v;
  v2.target = SPX_CS_TARGET_CPU;
  spx_rt_status_t rc = cs_check_command(&v2, w->index, &cl);
  if (rc) {
    /* "command 5 (cpu.layer): ..." -> "command 5 (aie.layer): ..." */
    if (w->v->status) {
      char *m = w->v->status->message;
      for (size_t k = 0; m[k]; k++)
        if (m[k] == '(' && m[k + 1] == 'c' && m[k + 2] == 'p' &&
            m[k + 3] == 'u' && m[k + 4] == '.') {
          m[k + 1] = 'a';
          m[k + 2] = 'i';
          m[k + 3] = 'e';
          break;
        }
    }
    return rc;
  }
  const spx_cs_cpu_layer_t *l = &cl.u.cpu_layer;
  cs_get_tensor(w->v, l->in0, &w->in);
  cs_get_tensor(w->v, l->out, &w->out);
  if (d->mode == 0) {
    if ((l->op != SPX_CS_CPU_OP_CONV2D && l->op != SPX_CS_CPU_OP_DENSE) ||
        w->in.dtype != SPX_CS_DTYPE_INT8)
      return cs_bad(w->v, "%s: field 'mode': only int8 conv2d and dense run on "
                 "the array, not %s %s", w->who,
                 spx_cs_dtype_name(w->in.dtype),
                 spx_cs_cpu_op_name(l->op));
    if (l->op == SPX_CS_CPU_OP_CONV2D && (l->groups != 1 || w->in.dims[0] != 1))
      return cs_bad(w->v, "%s: field 'mode': the array runs conv2d with groups 1 "
                 "and batch 1", w->who);
  }
  w->is_tern = 0;
  if (d->mode == 0 && l->weights < w->v->blob_count) {
    spx_cs_blob_t b;
    blob_get(w->v, l->weights, &b);
    if (b.encoding == SPX_CS_ENC_TERNARY) {
      /* The cores size their weight buffers and decode region from the
       * codes' header (aie.h); the content is the format's to check. */
      spx_rt_error_t why;
      if (spx_fmt_ternary_open(b.data, b.length, NULL, &w->tern, &why) != SPX_RT_OK)
        return cs_bad(w->v, "%s: field 'weights': %s", w->who, why.message);
      if (w->tern.patterns > SPX_AIE_TERN_TABLE_MAX)
        return cs_bad(w->v, "%s: field 'weights': a ternary code book of %u patterns "
                   "does not fit a core's table (at most %u): run the layer on the host",
                   w->who, (unsigned)w->tern.patterns, (unsigned)SPX_AIE_TERN_TABLE_MAX);
      w->is_tern = 1;
    }
  }
  w->layer++;
  w->decl = *c;
  w->layer_first = w->index;
  w->covered = 0;
  return SPX_RT_OK;
}

/* Geometry of the declared layer as a conv: cin, cout, out h/w, kernel. */
typedef struct geom {
  uint32_t cin, cout, oh, ow, ih, iw, kh, kw, sh, sw, dh, dw;
} geom_t;

static geom_t layer_geom(const walk_t *w) {
  const spx_cs_aie_layer_t *d = &SPX_CS_U(w->decl, aie_layer);
  geom_t g;
  if (d->op == SPX_CS_CPU_OP_DENSE) {
    g = (geom_t){w->in.dims[1], w->out.dims[1], w->out.dims[0], 1,
                 w->in.dims[0], 1, 1, 1, 1, 1, 1, 1};
  } else {
    g = (geom_t){w->in.dims[1], w->out.dims[1], w->out.dims[2], w->out.dims[3],
                 w->in.dims[2], w->in.dims[3], d->kh, d->kw, d->sh, d->sw,
                 d->dh, d->dw};
  }
  return g;
}

typedef struct region {
  const char *field;
  uint32_t addr, size;
} region_t;

static spx_rt_status_t check_comp(walk_t *w, const spx_cs_command_t *c,
                                uint64_t *covered_ranges, uint32_t *ncov) {
  const spx_cs_aie_comp_t *p = &SPX_CS_U(*c, aie_comp);
  geom_t g = layer_geom(w);
  struct { const char *a, *b; uint32_t lo, hi, lim; } r[3] = {
      {"oc0", "oc1", p->oc0, p->oc1, g.cout},
      {"oh0", "oh1", p->oh0, p->oh1, g.oh},
      {"ow0", "ow1", p->ow0, p->ow1, g.ow}};
  for (unsigned k = 0; k < 3; k++)
    if (r[k].lo >= r[k].hi || r[k].hi > r[k].lim)
      return cs_bad(w->v, "%s: field '%s': range [%u, %u) is empty or exceeds "
                 "%u", w->who, r[k].lo >= r[k].hi ? r[k].a : r[k].b,
                 (unsigned)r[k].lo, (unsigned)r[k].hi, (unsigned)r[k].lim);
  if (p->band == 0) return cs_bad(w->v, "%s: field 'band': must be >= 1", w->who);
  if (p->wband == 0)
    return cs_bad(w->v, "%s: field 'wband': must be >= 1", w->who);
  if (p->kc == 0 || p->kc > g.cin)
    return cs_bad(w->v, "%s: field 'kc': %u is not in [1, %u]", w->who,
               (unsigned)p->kc, (unsigned)g.cin);
  uint32_t nb = ceil_div(p->oh1 - p->oh0, p->band), nk = ceil_div(g.cin, p->kc);
  uint32_t nw = ceil_div(p->ow1 - p->ow0, p->wband);
  if (c->iterations != nb * nw * nk)
    return cs_bad(w->v, "%s: field 'iterations': %u, but %u row bands x %u "
               "column bands x %u channel chunks need %u", w->who,
               (unsigned)c->iterations, (unsigned)nb, (unsigned)nw,
               (unsigned)nk, (unsigned)(nb * nw * nk));
  if ((nk > 1) != (p->acc != 0xffff))
    return cs_bad(w->v, "%s: field 'acc': %s", w->who,
               nk > 1 ? "splitting input channels needs an accumulator"
                      : "must be 0xffff (no accumulator) when kc = cin");
  uint32_t oc = p->oc1 - p->oc0, owc = p->ow1 - p->ow0;
  if (p->wband < owc) owc = p->wband;
  uint32_t band = p->band < p->oh1 - p->oh0 ? p->band : p->oh1 - p->oh0;
  uint32_t in_rows = (band - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  uint32_t in_cols = (owc - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  uint64_t in_b = (uint64_t)p->kc * in_rows * in_cols;
  uint64_t w_b = (uint64_t)oc * p->kc * g.kh * g.kw;
  uint64_t out_b = (uint64_t)oc * band * owc;
  /* Ternary: the weight buffers hold the codes; the decode buffer and the
   * code table take the top of tile memory, which no buffer may reach. */
  uint64_t mem = w->m.tile_mem;
  if (w->is_tern) {
    w_b = spx_aie_ternary_code_bytes(w->tern.n, w->tern.code_bits, oc, p->kc, g.kh * g.kw);
    uint64_t dec = spx_aie_ternary_decode_bytes(w->tern.n, w->tern.patterns, oc, p->kc,
                                                g.kh * g.kw);
    if (dec >= mem)
      return cs_bad(w->v, "%s: field 'kc': the ternary decode region (%llu bytes) does "
                 "not fit the tile memory (%llu bytes)", w->who, (unsigned long long)dec,
                 (unsigned long long)mem);
    mem -= dec;
  }
  region_t reg[7] = {{"in0", p->in0, (uint32_t)in_b}, {"in1", p->in1, (uint32_t)in_b},
                     {"w0", p->w0, (uint32_t)w_b},    {"w1", p->w1, (uint32_t)w_b},
                     {"out0", p->out0, (uint32_t)out_b}, {"out1", p->out1, (uint32_t)out_b},
                     {"acc", p->acc, (uint32_t)(out_b * 4)}};
  unsigned nreg = nk > 1 ? 7 : 6;
  spx_rt_status_t rc;
  for (unsigned k = 0; k < nreg; k++)
    if ((rc = check_range(w, reg[k].field,
                          w->is_tern ? "tile memory below the ternary decode region"
                                     : "tile memory",
                          reg[k].addr, 0,
                          k == 0 || k == 1 ? in_b : k < 4 ? w_b : k < 6 ? out_b : out_b * 4,
                          1, mem)))
      return rc;
  for (unsigned a = 0; a < nreg; a++)
    for (unsigned b = a + 1; b < nreg; b++) {
      if (reg[a].addr == reg[b].addr && (a / 2 == b / 2) && a < 6) continue;
      uint64_t a0 = reg[a].addr, a1 = a0 + (a < 2 ? in_b : a < 4 ? w_b : a < 6 ? out_b : out_b * 4);
      uint64_t b0 = reg[b].addr, b1 = b0 + (b < 2 ? in_b : b < 4 ? w_b : b < 6 ? out_b : out_b * 4);
      if (a0 < b1 && b0 < a1)
        return cs_bad(w->v, "%s: field '%s': buffer [%llu, %llu) overlaps '%s' "
                   "[%llu, %llu)", w->who, reg[b].field,
                   (unsigned long long)b0, (unsigned long long)b1,
                   reg[a].field, (unsigned long long)a0,
                   (unsigned long long)a1);
    }
  /* Exact cover: disjoint from the layer's earlier comps, and the volumes
   * add up to the output (checked at the end of the layer). Ranges packed
   * as 3 x (lo, hi) u16 pairs in one u64 each... kept as 3 u64. */
  uint32_t n = *ncov;
  for (uint32_t k = 0; k + 2 < n; k += 3) {
    int disjoint = 0;
    for (unsigned d = 0; d < 3; d++) {
      uint32_t lo = (uint32_t)(covered_ranges[k + d] >> 32);
      uint32_t hi = (uint32_t)covered_ranges[k + d];
      if (r[d].hi <= lo || hi <= r[d].lo) disjoint = 1;
    }
    if (!disjoint)
      return cs_bad(w->v, "%s: field 'oc0': sub-volume overlaps another comp of "
                 "layer %d", w->who, (int)w->layer);
  }
  if (n + 3 <= 3 * 1024) {
    for (unsigned d = 0; d < 3; d++)
      covered_ranges[n + d] = (uint64_t)r[d].lo << 32 | r[d].hi;
    *ncov = n + 3;
  }
  w->covered += (uint64_t)oc * (p->oh1 - p->oh0) * (p->ow1 - p->ow0);
  return SPX_RT_OK;
}

/* Lock state and arithmetic. Values are int64, saturated far beyond any
 * value (2^62) so that huge iteration counts cannot wrap a lock to 0. */
#define LOCK_SAT ((int64_t)1 << 62)

static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = a + b; /* |a|, |b| <= 2^62: no overflow */
  return r > LOCK_SAT ? LOCK_SAT : r < -LOCK_SAT ? -LOCK_SAT : r;
}

/* a + s * d, saturated. */
static int64_t sat_lin(int64_t a, uint64_t s, int64_t d) {
  uint64_t m = d < 0 ? (uint64_t)(-d) : (uint64_t)d;
  if (m && s > (uint64_t)LOCK_SAT / m) return sat_add(a, d < 0 ? -LOCK_SAT : LOCK_SAT);
  return sat_add(a, d < 0 ? -(int64_t)(s * m) : (int64_t)(s * m));
}

static uint32_t lock_index(const spx_cs_aie_lock_acq_t *l) {
  unsigned r = l->row == SPX_CS_AIE_MEMTILE ? SPX_CS_AIE_MAX_ROWS : l->row;
  return ((uint32_t)r * SPX_CS_AIE_MAX_COLS + l->col) * SPX_CS_AIE_LOCKS + l->lock;
}

static int is_lock_opcode(uint8_t op) {
  return op == SPX_CS_OP_AIE_LOCK_ACQ || op == SPX_CS_OP_AIE_LOCK_REL;
}

/* Command j decoded into *c if it is a lock op, else 0 (its opcode read
 * alone: the lock walks pass over a loop body several times, and most of
 * its commands are not locks; decoding every one was 12% of a one-image
 * aie ResNet-18 run). */
static int get_lock_op(walk_t *w, uint32_t j, spx_cs_command_t *c) {
  if (!is_lock_opcode(cs_command_opcode(w->v, j))) return 0;
  cs_get_command(w->v, j, c);
  return 1;
}

/* One iteration (number k, for the message) of the loop body [j0, j1) from
 * lock values start[] (indexed by lock_index): `full` = every lock op acts,
 * else only those of period 1. Returns the first acquire that cannot be
 * satisfied (reported when `report`), or OK. cur[] is scratch. */
static spx_rt_status_t lock_iteration(walk_t *w, uint32_t j0, uint32_t j1, int full,
                                    uint32_t k, const int64_t *start, int report) {
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (get_lock_op(w, j, &c)) w->cur[lock_index(&SPX_CS_U(c, aie_lock_acq))] = start[lock_index(&SPX_CS_U(c, aie_lock_acq))];
  }
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    const spx_cs_aie_lock_acq_t *l = &SPX_CS_U(c, aie_lock_acq);
    if (l->period > 1 && !full) continue;
    int64_t *lk = &w->cur[lock_index(l)];
    if (c.opcode == SPX_CS_OP_AIE_LOCK_REL) {
      *lk = sat_add(*lk, l->value);
    } else if (*lk < l->value) {
      unsigned r = l->row == SPX_CS_AIE_MEMTILE ? SPX_CS_AIE_MAX_ROWS : l->row;
      if (!report) return SPX_RT_ERR_FORMAT;
      return cs_bad(w->v, "command %u (aie.lock_acq): field 'lock': deadlock: "
                 "lock %u of %s%u%s%u%s holds %lld < %u in iteration %u and "
                 "no earlier command releases it", (unsigned)j,
                 (unsigned)l->lock, r == SPX_CS_AIE_MAX_ROWS ? "memory tile " : "tile (",
                 r == SPX_CS_AIE_MAX_ROWS ? (unsigned)l->col : (unsigned)l->row,
                 r == SPX_CS_AIE_MAX_ROWS ? "" : ",",
                 r == SPX_CS_AIE_MAX_ROWS ? 0u : (unsigned)l->col,
                 r == SPX_CS_AIE_MAX_ROWS ? "" : ")", (long long)*lk,
                 (unsigned)l->value, (unsigned)k);
    } else {
      *lk -= l->value;
    }
  }
  return SPX_RT_OK;
}

/* Lock values at the start of iteration t of super-period s (see run_locks):
 * locks + s * delta_p + t * delta_1, into w->start for the body's locks. */
static void lock_state_at(walk_t *w, uint32_t j0, uint32_t j1, uint64_t s, uint64_t t) {
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    uint32_t x = lock_index(&SPX_CS_U(c, aie_lock_acq));
    w->start[x] = sat_lin(sat_lin(w->locks[x], s, w->delta_p[x]), t, w->delta_1[x]);
  }
}

/* Does some iteration of super-period s fail? Only its first and last plain
 * iterations and its full one need a look: within a super-period, every
 * lock's value before each acquire is linear in the plain iteration. */
static int superperiod_fails(walk_t *w, uint32_t j0, uint32_t j1, uint32_t p, uint64_t s) {
  lock_state_at(w, j0, j1, s, 0);
  if (p > 1 && lock_iteration(w, j0, j1, 0, 0, w->start, 0)) return 1;
  if (p > 2) {
    lock_state_at(w, j0, j1, s, p - 2);
    if (lock_iteration(w, j0, j1, 0, 0, w->start, 0)) return 1;
  }
  lock_state_at(w, j0, j1, s, p - 1);
  return lock_iteration(w, j0, j1, 1, 0, w->start, 0) != SPX_RT_OK;
}

/* Runs the lock operations of commands [j0, j1) (one loop body of n
 * iterations, or single commands when n = 1) without stepping through the
 * iterations, so the check is linear in the stream's size. The body's lock
 * ops have period 1 or one common period p > 1 (dividing n): iterations
 * k = s * p + t, t < p - 1, run the period-1 ops ("plain"), t = p - 1 runs
 * all ("full"). Each lock changes by delta_1 per plain iteration and by
 * delta_p per super-period of p iterations, so the value before any acquire
 * is linear in s and in t: it is smallest at s = 0 or s = n/p - 1 and at
 * t = 0 or t = p - 2. Checking those iterations checks them all; on a
 * failure a binary search (the failing iterations form a suffix, given that
 * iteration 0 passes) finds the first one, which is reported exactly as a
 * step-by-step run would. */
static spx_rt_status_t run_locks(walk_t *w, uint32_t j0, uint32_t j1, uint32_t n) {
  uint32_t p = 1;
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    const spx_cs_aie_lock_acq_t *l = &SPX_CS_U(c, aie_lock_acq);
    uint32_t x = lock_index(l);
    w->delta_1[x] = w->delta_p[x] = 0;
    if (l->period <= 1) continue;
    if (p > 1 && l->period != p)
      return cs_bad(w->v, "command %u (%s): field 'period': %u, but lock "
                 "operations of the same loop body (from command %u) have "
                 "period %u: one period > 1 per loop body", (unsigned)j,
                 c.opcode == SPX_CS_OP_AIE_LOCK_ACQ ? "aie.lock_acq" : "aie.lock_rel",
                 (unsigned)l->period, (unsigned)j0, (unsigned)p);
    p = l->period;
  }
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    const spx_cs_aie_lock_acq_t *l = &SPX_CS_U(c, aie_lock_acq);
    uint32_t x = lock_index(l);
    int64_t d = c.opcode == SPX_CS_OP_AIE_LOCK_REL ? l->value : -(int64_t)l->value;
    if (l->period <= 1) w->delta_1[x] += d;
    else w->delta_p[x] += d;
    if (c.opcode == SPX_CS_OP_AIE_LOCK_REL) w->last_rel_j[x] = j;
  }
  /* delta_p: a super-period is p plain-iteration changes plus the period-p
   * ops (p = 1: the one iteration of all ops). */
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    uint32_t x = lock_index(&SPX_CS_U(c, aie_lock_acq));
    if (w->seen[x] == j0 + 1) continue; /* once per lock */
    w->seen[x] = j0 + 1;
    w->delta_p[x] = sat_lin(w->delta_p[x], p, w->delta_1[x]);
  }
  uint64_t sp = n / p; /* super-periods */
  if (superperiod_fails(w, j0, j1, p, 0) || superperiod_fails(w, j0, j1, p, sp - 1)) {
    uint64_t s = 0;
    if (!superperiod_fails(w, j0, j1, p, 0)) { /* first failing s in (0, sp) */
      uint64_t lo = 0, hi = sp - 1;
      while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (superperiod_fails(w, j0, j1, p, mid)) hi = mid;
        else lo = mid;
      }
      s = hi;
    }
    /* the first failing iteration t of super-period s */
    uint64_t t = p - 1;
    lock_state_at(w, j0, j1, s, 0);
    if (p > 1 && lock_iteration(w, j0, j1, 0, 0, w->start, 0)) {
      t = 0;
    } else if (p > 2) {
      lock_state_at(w, j0, j1, s, p - 2);
      if (lock_iteration(w, j0, j1, 0, 0, w->start, 0)) {
        uint64_t lo = 0, hi = p - 2;
        while (hi - lo > 1) {
          uint64_t mid = lo + (hi - lo) / 2;
          lock_state_at(w, j0, j1, s, mid);
          if (lock_iteration(w, j0, j1, 0, 0, w->start, 0)) hi = mid;
          else lo = mid;
        }
        t = hi;
      }
    }
    lock_state_at(w, j0, j1, s, t);
    spx_rt_status_t rc = lock_iteration(w, j0, j1, t == p - 1, (uint32_t)(s * p + t),
                                      w->start, 1);
    if (rc) return rc;
    return cs_bad(w->v, "command %u: internal error: lock check lost its "
               "failure", (unsigned)j0); /* CS_NEVER */
  }
  /* No acquire fails: the locks after all n iterations. */
  for (uint32_t j = j0; j < j1; j++) {
    spx_cs_command_t c;
    if (!get_lock_op(w, j, &c)) continue;
    uint32_t x = lock_index(&SPX_CS_U(c, aie_lock_acq));
    if (w->seen[x] == 0) continue; /* updated already */
    w->seen[x] = 0;
    w->locks[x] = sat_lin(w->locks[x], sp, w->delta_p[x]);
    w->last_rel[x] = w->last_rel_j[x];
  }
  return SPX_RT_OK;
}

static spx_rt_status_t check_all(cs_vctx_t *v) {
  walk_t wk; /* about 60 KB of lock tables, plus 24 KB of comp ranges: the
               * loader needs 84 KB of stack for an aie stream (generated C
               * for the aie target loads one: docs/generated-c.md) */
  uint64_t cover[3 * 1024];
  walk_t *w = &wk;
  cs_zero(w, sizeof *w);
  w->v = v;
  w->layer = -1;
  uint32_t n = cs_command_count(v), ncov = 0;
  spx_rt_status_t rc;
  /* Loop bodies: [seg_start, j) of one tile with iterations seg_n. */
  uint32_t seg_start = 0, seg_n = 0;
  int seg_tile = -1;
  for (uint32_t j = 0; j < n; j++) {
    spx_cs_command_t c;
    cs_get_command(v, j, &c);
    const spx_cs_opcode_info_t *info = spx_cs_opcode_info(c.opcode);
    w->index = j;
    spx_rt_format(w->who, sizeof w->who, "command %u (%s)", (unsigned)j,
                  info ? info->name : "?");
    if (j == 0) {
      if (c.opcode != SPX_CS_OP_AIE_CONFIG)
        return cs_bad(v, "%s: field 'opcode': an aie stream starts with "
                   "aie.config", w->who);
      if ((rc = check_config(w, &c))) return rc;
      continue;
    }
    if (c.opcode == SPX_CS_OP_AIE_CONFIG)
      return cs_bad(v, "%s: field 'opcode': aie.config must be command 0 only",
                 w->who);
    int key = spx_aie_command_place(&c);
    if (c.opcode == SPX_CS_OP_AIE_LAYER) {
      if (seg_tile >= 0 && (rc = run_locks(w, seg_start, j, seg_n))) return rc;
      seg_tile = -1;
      if ((rc = end_layer(w))) return rc;
      if ((rc = check_layer_decl(w, &c))) return rc;
      ncov = 0;
      continue;
    }
    if (w->layer < 0)
      return cs_bad(v, "%s: field 'layer': command before the first aie.layer",
                 w->who);
    uint16_t layer = SPX_CS_U(c, aie_comp).layer; /* offset 12 in every aie command */
    if (layer != (uint32_t)w->layer)
      return cs_bad(v, "%s: field 'layer': %u, but the last aie.layer declared "
                 "layer %d", w->who, (unsigned)layer, (int)w->layer);
    if (SPX_CS_U(w->decl, aie_layer).mode == 1)
      return cs_bad(v, "%s: field 'layer': layer %d runs on the host and takes "
                 "no array commands", w->who, (int)w->layer);
    uint32_t it = c.iterations;
    switch (c.opcode) {
    case SPX_CS_OP_AIE_LOAD:
    case SPX_CS_OP_AIE_WRITE: {
      const spx_cs_aie_load_t *d = &SPX_CS_U(c, aie_load);
      int is_load = c.opcode == SPX_CS_OP_AIE_LOAD;
      if (d->col >= w->m.cols)
        return cs_bad(v, "%s: field 'col': bad tile: memory tile column %u (the "
                   "array has %u columns)", w->who, (unsigned)d->col,
                   (unsigned)w->m.cols);
      if (!(d->cols >> d->col & 1) || (d->cols >> w->m.cols) ||
          (!is_load && d->cols != 1u << d->col))
        return cs_bad(v, "%s: field 'cols': mask 0x%02x must include column %u%s",
                   w->who, (unsigned)d->cols, (unsigned)d->col,
                   is_load ? " and name existing columns only" : " only");
      if ((d->tensor == SPX_CS_NONE) == (d->blob == SPX_CS_NONE) ||
          (!is_load && d->blob != SPX_CS_NONE))
        return cs_bad(v, "%s: field 'tensor': %s", w->who,
                   is_load ? "give exactly one of tensor and blob"
                           : "a write goes to a tensor");
      if (d->length == 0)
        return cs_bad(v, "%s: field 'length': must be > 0", w->who);
      uint64_t size;
      if (d->tensor != SPX_CS_NONE) {
        spx_cs_tensor_t t;
        cs_get_tensor(v, d->tensor, &t);
        size = t.ws_size;
      } else {
        size = blob_length(v, d->blob);
      }
      if ((rc = check_range(w, "offset", d->tensor != SPX_CS_NONE ? "tensor" : "blob",
                            d->offset, d->stride, d->length, it, size)) ||
          (rc = check_range(w, "mt_addr", "memory tile", d->mt_addr,
                            d->mt_stride, d->length, it, w->m.memtile_mem)))
        return rc;
      break;
    }
    case SPX_CS_OP_AIE_LOADW:
    case SPX_CS_OP_AIE_LOADFM:
    case SPX_CS_OP_AIE_WRITEFM: {
      const spx_cs_aie_loadw_t *d = &SPX_CS_U(c, aie_loadw);
      if ((rc = check_tile(w, d->row, d->col, 0))) return rc;
      if (d->length == 0)
        return cs_bad(v, "%s: field 'length': must be > 0", w->who);
      if (d->period == 0 || it % d->period)
        return cs_bad(v, "%s: field 'period': %u must be >= 1 and divide the %u "
                   "iterations", w->who, (unsigned)d->period, (unsigned)it);
      uint32_t acts = it / d->period;
      if ((rc = check_range(w, "mt_addr", "memory tile", d->mt_addr,
                            d->mt_stride, d->length, acts, w->m.memtile_mem)) ||
          (rc = check_range(w, "buf0", "tile memory", d->buf0, 0, d->length, 1,
                            w->m.tile_mem)) ||
          (rc = check_range(w, "buf1", "tile memory", d->buf1, 0, d->length, 1,
                            w->m.tile_mem)))
        return rc;
      break;
    }
    case SPX_CS_OP_AIE_COMP:
      if ((rc = check_tile(w, SPX_CS_U(c, aie_comp).row, SPX_CS_U(c, aie_comp).col, 0)) ||
          (rc = check_comp(w, &c, cover, &ncov)))
        return rc;
      break;
    case SPX_CS_OP_AIE_LOCK_ACQ:
    case SPX_CS_OP_AIE_LOCK_REL: {
      const spx_cs_aie_lock_acq_t *d = &SPX_CS_U(c, aie_lock_acq);
      if ((rc = check_tile(w, d->row, d->col, 1))) return rc;
      if (d->lock >= SPX_CS_AIE_LOCKS)
        return cs_bad(v, "%s: field 'lock': %u is not a lock (0..%u)", w->who,
                   (unsigned)d->lock, SPX_CS_AIE_LOCKS - 1);
      if (d->value == 0)
        return cs_bad(v, "%s: field 'value': must be >= 1", w->who);
      if (d->period == 0 || it % d->period)
        return cs_bad(v, "%s: field 'period': %u must be >= 1 and divide the %u "
                   "iterations", w->who, (unsigned)d->period, (unsigned)it);
      break;
    }
    }
    /* Close the current loop body when this command does not extend it
     * (after the command's own checks, so a bad field is named first). */
    if (seg_tile >= 0 && (key != seg_tile || c.iterations != seg_n ||
                          seg_n == 1)) {
      if ((rc = run_locks(w, seg_start, j, seg_n))) return rc;
      seg_tile = -1;
    }
    if (seg_tile < 0 && key >= 0) {
      seg_tile = key;
      seg_start = j;
      seg_n = it;
    } else if (key < 0 && seg_tile >= 0) {
      if ((rc = run_locks(w, seg_start, j, seg_n))) return rc;
      seg_tile = -1;
    }
  }
  if (seg_tile >= 0 && (rc = run_locks(w, seg_start, n, seg_n))) return rc;
  w->index = n;
  return end_layer(w);
}

static spx_rt_status_t check_command(struct cs_vctx *v, uint32_t index,
                                     const struct spx_cs_command *cmd,
                                     const spx_cs_opcode_info_t *info) {
  (void)cmd;
  (void)info;
  if (index + 1 != cs_command_count(v)) return SPX_RT_OK;
  return check_all(v);
}

SPX_CS_DEFINE_OPCODE_TABLE(SPX_CS_OPCODES_AIE, aie_opcodes)

const spx_cs_target_stream_t spx_target_aie_stream = {
    aie_opcodes, sizeof aie_opcodes / sizeof aie_opcodes[0], check_command};
