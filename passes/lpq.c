/* lpq.c - LPQ: the LP formats of the layers marked `quantize LAYER :
 * lpq(bits=B, ...)` (or `quantize * : lpq(...)`), chosen by a genetic search
 * on the calibration data (docs/numerics.md, "LPQ").
 *
 * Runs on the f32 network, before quantize. Each marked conv2d/dense has
 * spx.lpq = {bits, population, generations, seed, samples} (the frontend
 * checked them and that every lpq(...) of the network has the same); the
 * pass replaces it with the spx.lp the lp pass applies (the formats found)
 * and spx.lpq_result = {loss, global_error, local_error, layer_error,
 * weight_bits, act_bits, evaluations}, which the lp pass puts in the
 * layer's stats.
 *
 * A candidate is, per searched layer, the weights' (n, es, rs, sf) and the
 * input activations' (n, es, rs, sf). Its loss, on the first `samples`
 * calibration samples, with every searched layer's weights and input
 * rounded to the candidate's formats (spx_numfmt rounding, exactly the
 * encoder's) and the rest in f32:
 *   global  sum |y - y_f|^2 / sum |y_f|^2 over the network's outputs;
 *   local   the mean over searched layers of sum |o - o_f|^2 / sum |o_f|^2,
 *           o the layer's output in the candidate network, o_f in the f32
 *           one;
 *   loss    global + local.
 * Budget: the weight bits averaged over the searched layers' weights, and
 * the activation bits averaged over their multiply-accumulates, are each at
 * most B (a candidate over budget is repaired: a random layer's n is
 * lowered by one until it fits). */
#include "passes/spx_pass.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/formats/spx_numfmt.h"

/* genes of one layer */
enum { G_WN, G_WES, G_WRS, G_WSF, G_AN, G_AES, G_ARS, G_ASF, GENES };
#define N_MIN 3
#define N_MAX 8
#define ES_MAX 2
#define SF_SPAN 3 /* sf = base + offset, |offset| <= SF_SPAN */
#define ELITE 2
#define TOURNAMENT 3
#define N_FMTS ((N_MAX - N_MIN + 1) * (ES_MAX + 1) * N_MAX * 33)

typedef struct rounding {
  spx_numfmt_t f;
  spx_numfmt_rounder_t r;
  uint32_t code[1 << N_MAX];
  double value[1 << N_MAX], lower[1 << N_MAX];
} rounding_t;

typedef struct layer {
  MlirOperation op;
  const float *w;
  size_t count, out_count;
  double macs;
  int w_base, a_base;    /* sf of value 1 at the data's rms */
  double a_sq, a_n;      /* the input's squares, on the f32 network */
  float *ref;            /* [samples][out_count], the f32 network's output */
  float *wq;             /* the candidate's rounded weights */
  const rounding_t *wq_fmt; /* the format wq holds (NULL: none yet) */
  const rounding_t *act; /* the candidate's input rounding */
  double err, sig;       /* the candidate's local error terms */
} layer_t;

typedef struct cand {
  int8_t *g;
  double loss, global, local;
} cand_t;

typedef struct search {
  spx_pass_env_t *env;
  MlirModule module;
  MlirOperation where; /* errors about the search as a whole */
  layer_t *layers;
  size_t L, genes;
  double bits;
  int population, generations;
  uint64_t rng;
  /* calibration */
  const float *in;
  size_t per_sample, samples, sample;
  intptr_t n_out;
  size_t *out_count;
  float **out, **ref_out; /* ref_out[o]: [samples][out_count[o]] */
  int reference;          /* 1: the f32 run that records the references */
  rounding_t **fmts;      /* [N_FMTS], built when first used */
  cand_t *seen;           /* every candidate evaluated, for reuse */
  size_t n_seen, cap_seen;
} search_t;

/* ---- random numbers: splitmix64 --------------------------------------- */

static uint64_t next(search_t *s) {
  uint64_t z = (s->rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static int uniform(search_t *s, int k) { return (int)(next(s) % (uint64_t)k); }

/* ---- formats ------------------------------------------------------------ */

static int clampi(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }

static void format_of(const search_t *s, const int8_t *g, size_t l, int act, int32_t out[4]) {
  const int8_t *h = g + l * GENES + (act ? G_AN : G_WN);
  int base = act ? s->layers[l].a_base : s->layers[l].w_base;
  out[0] = h[0];
  out[1] = h[1];
  out[2] = h[2];
  out[3] = clampi(base + h[3], -16, 16);
}

static const rounding_t *rounding(search_t *s, const int32_t p[4]) {
  size_t k = ((((size_t)(p[0] - N_MIN) * (ES_MAX + 1) + (size_t)p[1]) * N_MAX + (size_t)p[2]) *
              33) + (size_t)(p[3] + 16);
  SPX_ASSERT(k < N_FMTS);
  if (!s->fmts[k]) {
    rounding_t *r = malloc(sizeof *r);
    spx_rt_error_t err;
    SPX_ASSERT(r);
    SPX_ASSERT(spx_numfmt_init(&r->f, &spx_numfmt_desc_LP, p, &err) == SPX_RT_OK);
    SPX_ASSERT(spx_numfmt_rounder_init(&r->r, &r->f, r->code, r->value, r->lower, &err) ==
               SPX_RT_OK);
    s->fmts[k] = r;
  }
  return s->fmts[k];
}

static float round_to(const rounding_t *r, float x) {
  return (float)r->value[spx_numfmt_round_index(&r->r, (double)x)];
}

/* ---- candidates --------------------------------------------------------- */

static void average_bits(const search_t *s, const int8_t *g, double *w, double *a) {
  double wn = 0, wd = 0, an = 0, ad = 0;
  for (size_t l = 0; l < s->L; l++) {
    wn += (double)g[l * GENES + G_WN] * (double)s->layers[l].count;
    wd += (double)s->layers[l].count;
    an += (double)g[l * GENES + G_AN] * s->layers[l].macs;
    ad += s->layers[l].macs;
  }
  *w = wn / wd;
  *a = an / ad;
}

/* Clamps every gene to its range, then lowers random layers' n by one
 * until both averages are within the budget. */
static void repair(search_t *s, int8_t *g) {
  for (size_t l = 0; l < s->L; l++)
    for (int act = 0; act < 2; act++) {
      int8_t *h = g + l * GENES + (act ? G_AN : G_WN);
      h[0] = (int8_t)clampi(h[0], N_MIN, N_MAX);
      h[1] = (int8_t)clampi(h[1], 0, ES_MAX);
      h[2] = (int8_t)clampi(h[2], 1, h[0] - 1);
      h[3] = (int8_t)clampi(h[3], -SF_SPAN, SF_SPAN);
    }
  for (int act = 0; act < 2; act++) {
    int gene = act ? G_AN : G_WN;
    for (;;) {
      double w, a;
      int eligible = 0;
      average_bits(s, g, &w, &a);
      if ((act ? a : w) <= s->bits + 1e-9) break;
      for (size_t l = 0; l < s->L; l++) eligible += g[l * GENES + gene] > N_MIN;
      int pick = uniform(s, eligible);
      for (size_t l = 0; l < s->L; l++) {
        int8_t *h = g + l * GENES + gene;
        if (h[0] > N_MIN && pick-- == 0) {
          h[0]--;
          h[2] = (int8_t)clampi(h[2], 1, h[0] - 1);
          break;
        }
      }
    }
  }
}

static void uniform_candidate(const search_t *s, int8_t *g) {
  int n = clampi((int)floor(s->bits), N_MIN, N_MAX);
  for (size_t l = 0; l < s->L; l++)
    for (int act = 0; act < 2; act++) {
      int8_t *h = g + l * GENES + (act ? G_AN : G_WN);
      h[0] = (int8_t)n;
      h[1] = 1;
      h[2] = (int8_t)(n / 2);
      h[3] = 0;
    }
}

static void random_candidate(search_t *s, int8_t *g) {
  for (size_t l = 0; l < s->L; l++)
    for (int act = 0; act < 2; act++) {
      int8_t *h = g + l * GENES + (act ? G_AN : G_WN);
      h[0] = (int8_t)(N_MIN + uniform(s, N_MAX - N_MIN + 1));
      h[1] = (int8_t)uniform(s, ES_MAX + 1);
      h[2] = (int8_t)(1 + uniform(s, h[0] - 1));
      h[3] = (int8_t)(uniform(s, 2 * SF_SPAN + 1) - SF_SPAN);
    }
  repair(s, g);
}

/* The uniform candidate with, per layer and block, even odds of one gene
 * moved one step: neighbours of a good start, which a small population
 * on a large network would rarely reach from random candidates. */
static void mutant(search_t *s, int8_t *g) {
  for (size_t l = 0; l < s->L; l++)
    for (int act = 0; act < 2; act++)
      if (next(s) & 1) {
        int8_t *h = g + l * GENES + (act ? G_AN : G_WN) + uniform(s, GENES / 2);
        *h = (int8_t)(*h + (next(s) & 1 ? 1 : -1));
      }
  repair(s, g);
}

/* ---- evaluation ----------------------------------------------------------- */

static layer_t *layer_of(search_t *s, MlirOperation op) {
  for (size_t l = 0; l < s->L; l++)
    if (mlirOperationEqual(s->layers[l].op, op)) return &s->layers[l];
  return NULL;
}

static const float *hook_weights(void *user, MlirOperation op, size_t count) {
  search_t *s = user;
  layer_t *l = s->reference ? NULL : layer_of(s, op);
  (void)count;
  return l ? l->wq : NULL;
}

static void hook_input(void *user, MlirOperation op, float *x, size_t count) {
  search_t *s = user;
  layer_t *l = layer_of(s, op);
  if (!l) return;
  if (s->reference) {
    for (size_t i = 0; i < count; i++) l->a_sq += (double)x[i] * (double)x[i];
    l->a_n += (double)count;
    return;
  }
  for (size_t i = 0; i < count; i++) x[i] = round_to(l->act, x[i]);
}

static void hook_observe(void *user, MlirOperation op, const float *y, size_t count) {
  search_t *s = user;
  layer_t *l = layer_of(s, op);
  if (!l) return;
  float *ref = l->ref + s->sample * l->out_count;
  SPX_ASSERT(count == l->out_count);
  if (s->reference) {
    memcpy(ref, y, count * sizeof *y);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    double d = (double)y[i] - (double)ref[i];
    l->err += d * d;
    l->sig += (double)ref[i] * (double)ref[i];
  }
}

static double ratio(double err, double sig) { return sig > 0 ? err / sig : err; }

/* Runs the network on every sample; on the candidate g (NULL: the f32
 * reference run) sets its loss. */
static int run(search_t *s, cand_t *c) {
  spx_eval_hooks_t hooks = {s, hook_observe, hook_weights, hook_input};
  double gerr = 0, gsig = 0;
  s->reference = c == NULL;
  for (size_t l = 0; l < s->L && c; l++) {
    layer_t *L = &s->layers[l];
    int32_t p[4];
    format_of(s, c->g, l, 0, p);
    const rounding_t *r = rounding(s, p);
    if (L->wq_fmt != r) /* candidates in a row often share a layer's format */
      for (size_t i = 0; i < L->count; i++) L->wq[i] = round_to(r, L->w[i]);
    L->wq_fmt = r;
    format_of(s, c->g, l, 1, p);
    L->act = rounding(s, p);
    L->err = L->sig = 0;
  }
  for (s->sample = 0; s->sample < s->samples; s->sample++) {
    const float *in = s->in + s->sample * s->per_sample;
    if (spx_eval_f32(s->module, s->env, &in, s->out, &hooks) != 0) return -1;
    for (intptr_t o = 0; o < s->n_out; o++) {
      float *ref = s->ref_out[o] + s->sample * s->out_count[o];
      if (!c) {
        memcpy(ref, s->out[o], s->out_count[o] * sizeof(float));
        continue;
      }
      for (size_t i = 0; i < s->out_count[o]; i++) {
        double d = (double)s->out[o][i] - (double)ref[i];
        gerr += d * d;
        gsig += (double)ref[i] * (double)ref[i];
      }
    }
  }
  if (c) {
    double local = 0;
    for (size_t l = 0; l < s->L; l++) local += ratio(s->layers[l].err, s->layers[l].sig);
    c->global = ratio(gerr, gsig);
    c->local = local / (double)s->L;
    c->loss = c->global + c->local;
  }
  return 0;
}

/* The loss of g: from an earlier evaluation of the same candidate, or by
 * running it. */
static int evaluate(search_t *s, cand_t *c) {
  for (size_t i = 0; i < s->n_seen; i++)
    if (memcmp(s->seen[i].g, c->g, s->genes) == 0) {
      c->loss = s->seen[i].loss;
      c->global = s->seen[i].global;
      c->local = s->seen[i].local;
      return 0;
    }
  if (run(s, c) != 0) return -1;
  if (s->n_seen == s->cap_seen) {
    s->cap_seen = s->cap_seen ? 2 * s->cap_seen : 64;
    s->seen = realloc(s->seen, s->cap_seen * sizeof *s->seen);
    SPX_ASSERT(s->seen);
  }
  cand_t *k = &s->seen[s->n_seen++];
  *k = *c;
  k->g = malloc(s->genes);
  SPX_ASSERT(k->g);
  memcpy(k->g, c->g, s->genes);
  return 0;
}

/* Lower loss first; the lower index on a tie. */
static int better(const cand_t *pop, int a, int b) {
  return pop[a].loss < pop[b].loss || (pop[a].loss == pop[b].loss && a < b);
}

static int tournament(search_t *s, const cand_t *pop) {
  int best = uniform(s, s->population);
  for (int t = 1; t < TOURNAMENT; t++) {
    int c = uniform(s, s->population);
    if (better(pop, c, best)) best = c;
  }
  return best;
}

static void child_of(search_t *s, const int8_t *a, const int8_t *b, int8_t *g) {
  for (size_t l = 0; l < s->L; l++)
    for (int act = 0; act < 2; act++) {
      size_t at = l * GENES + (act ? G_AN : G_WN);
      memcpy(g + at, (next(s) & 1 ? b : a) + at, GENES / 2);
    }
  /* mutation: about two genes per child, each one step up or down */
  uint64_t per = s->L > 2 ? 2 : s->L;
  for (size_t l = 0; l < s->L; l++)
    if (next(s) % s->L < per) {
      int gene = uniform(s, GENES);
      g[l * GENES + (size_t)gene] = (int8_t)(g[l * GENES + (size_t)gene] + (next(s) & 1 ? 1 : -1));
    }
  repair(s, g);
}

static int search(search_t *s, cand_t *best) {
  int P = s->population;
  cand_t *pop = calloc((size_t)P, sizeof *pop), *nxt = calloc((size_t)P, sizeof *nxt);
  int8_t *genes = calloc(2 * (size_t)P, s->genes);
  int rc = 0;
  SPX_ASSERT(pop && nxt && genes);
  for (int i = 0; i < P; i++) {
    pop[i].g = genes + (size_t)i * s->genes;
    nxt[i].g = genes + (size_t)(P + i) * s->genes;
    if (i == 0 || i <= P / 2) uniform_candidate(s, pop[i].g);
    if (i > 0 && i <= P / 2) mutant(s, pop[i].g);
    else if (i > P / 2) random_candidate(s, pop[i].g);
  }
  for (int i = 0; i < P && rc == 0; i++) rc = evaluate(s, &pop[i]);
  for (int gen = 0; gen < s->generations && rc == 0; gen++) {
    int *order = malloc(sizeof *order * (size_t)P);
    SPX_ASSERT(order);
    for (int i = 0; i < P; i++) order[i] = i;
    for (int i = 1; i < P; i++) /* insertion sort: P is small */
      for (int j = i; j > 0 && better(pop, order[j], order[j - 1]); j--) {
        int t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    for (int i = 0; i < P; i++) {
      if (i < ELITE) {
        memcpy(nxt[i].g, pop[order[i]].g, s->genes);
      } else {
        int a = tournament(s, pop), b = tournament(s, pop);
        child_of(s, pop[a].g, pop[b].g, nxt[i].g);
      }
    }
    free(order);
    for (int i = 0; i < P && rc == 0; i++) rc = evaluate(s, &nxt[i]);
    cand_t *t = pop;
    pop = nxt;
    nxt = t;
  }
  if (rc == 0) {
    int b = 0;
    for (int i = 1; i < P; i++)
      if (better(pop, i, b)) b = i;
    memcpy(best->g, pop[b].g, s->genes);
    rc = run(s, best); /* fills the layers' local errors */
  }
  free(pop);
  free(nxt);
  free(genes);
  return rc;
}

/* ---- the pass ------------------------------------------------------------- */

static int base_sf(double sq, double n) {
  double rms = n > 0 ? sqrt(sq / n) : 0;
  return rms > 0 ? clampi((int)lround(-log2(rms)), -16, 16) : 0;
}

static size_t count_of(MlirValue v) {
  int64_t d[SPX_MAX_RANK];
  int r = spx_ir_shape(mlirValueGetType(v), d);
  size_t n = 1;
  for (int k = 0; k < r; k++) n *= (size_t)d[k];
  return n;
}

static int64_t opt_i64(MlirAttribute dict, const char *key) {
  int64_t v = 0;
  MlirAttribute a = mlirDictionaryAttrGetElementByName(dict, spx_ir_str(key));
  SPX_ASSERT(!mlirAttributeIsNull(a) && spx_ir_attr_int(a, &v));
  return v;
}

/* The calibration samples of `quantize int8 calibrate="..."`, or an error
 * at the first lpq layer. */
static int calibration(search_t *s, MlirBlock entry, spx_npy_t *npy) {
  MlirOperation mop = mlirModuleGetOperation(s->module);
  MlirAttribute q = mlirOperationGetAttributeByName(mop, spx_ir_str("spx.quantize"));
  MlirAttribute cal = mlirAttributeIsNull(q) ? q
                                             : mlirDictionaryAttrGetElementByName(
                                                   q, spx_ir_str("calibrate"));
  MlirStringRef lname = spx_ir_layer_name(s->where);
  char path[4096], why[4096 + 256];
  if (mlirAttributeIsNull(cal) || !mlirAttributeIsAString(cal)) {
    spx_pass_error(s->env, s->where, "layer '%.*s': lpq(...) searches on calibration data: it "
                   "needs 'quantize int8 calibrate=\"FILE.npy\"'", (int)lname.length, lname.data);
    return -1;
  }
  MlirStringRef p = mlirStringAttrGetValue(cal);
  snprintf(path, sizeof path, "%.*s", (int)p.length, p.data);
  if (spx_pass_calibration_load(path, entry, npy, &s->per_sample, why, sizeof why) != 0) {
    spx_pass_error(s->env, s->where, "lpq: %s", why);
    return -1;
  }
  return 0;
}

static void write_result(search_t *s, const cand_t *best) {
  double wb, ab;
  average_bits(s, best->g, &wb, &ab);
  for (size_t l = 0; l < s->L; l++) {
    MlirOperation op = s->layers[l].op;
    MlirContext ctx = mlirOperationGetContext(op);
    static const char *const keys[8] = {"n", "es", "rs", "sf", "act_n", "act_es", "act_rs",
                                        "act_sf"};
    int32_t p[8];
    MlirNamedAttribute e[8];
    format_of(s, best->g, l, 0, p);
    format_of(s, best->g, l, 1, p + 4);
    for (int i = 0; i < 8; i++) e[i] = spx_ir_named(ctx, keys[i], spx_ir_i64_attr(ctx, p[i]));
    mlirOperationSetAttributeByName(op, spx_ir_str("spx.lp"), mlirDictionaryAttrGet(ctx, 8, e));
    MlirNamedAttribute r[] = {
        spx_ir_named(ctx, "loss", spx_ir_f64_attr(ctx, best->loss)),
        spx_ir_named(ctx, "global_error", spx_ir_f64_attr(ctx, best->global)),
        spx_ir_named(ctx, "local_error", spx_ir_f64_attr(ctx, best->local)),
        spx_ir_named(ctx, "layer_error",
                     spx_ir_f64_attr(ctx, ratio(s->layers[l].err, s->layers[l].sig))),
        spx_ir_named(ctx, "weight_bits", spx_ir_f64_attr(ctx, wb)),
        spx_ir_named(ctx, "act_bits", spx_ir_f64_attr(ctx, ab)),
        spx_ir_named(ctx, "evaluations", spx_ir_i64_attr(ctx, (int64_t)s->n_seen)),
    };
    mlirOperationSetAttributeByName(op, spx_ir_str("spx.lpq_result"),
                                    mlirDictionaryAttrGet(ctx, (intptr_t)(sizeof r / sizeof r[0]), r));
    mlirOperationRemoveAttributeByName(op, spx_ir_str("spx.lpq"));
  }
}

int spx_pass_lpq(MlirOperation module, spx_pass_env_t *env) {
  MlirOperation *ops;
  size_t n = spx_ir_collect(module, NULL, &ops), L = 0;
  search_t s = {.env = env, .module = mlirModuleFromOperation(module)};
  int rc = 0;
  s.layers = calloc(n + 1, sizeof *s.layers);
  SPX_ASSERT(s.layers);
  for (size_t i = 0; i < n; i++) {
    MlirAttribute a = mlirOperationGetAttributeByName(ops[i], spx_ir_str("spx.lpq"));
    if (mlirAttributeIsNull(a)) continue;
    if (L == 0) {
      s.where = ops[i];
      s.bits = mlirFloatAttrGetValueDouble(
          mlirDictionaryAttrGetElementByName(a, spx_ir_str("bits")));
      s.population = (int)opt_i64(a, "population");
      s.generations = (int)opt_i64(a, "generations");
      s.rng = (uint64_t)opt_i64(a, "seed");
      s.samples = (size_t)opt_i64(a, "samples");
    }
    layer_t *l = &s.layers[L++];
    spx_wbuf_t *w = spx_ir_get_wbuf(ops[i], "weight", env->store);
    MlirStringRef name = spx_ir_layer_name(ops[i]);
    l->op = ops[i];
    if (!w || w->dtype != SPX_DT_F32) {
      spx_pass_error(env, ops[i], "layer '%.*s': lpq(...) needs the layer's f32 weights",
                     (int)name.length, name.data);
      rc = -1;
      continue;
    }
    l->w = w->data;
    l->count = w->count;
    l->out_count = count_of(mlirOperationGetResult(ops[i], 0));
    /* products: weights per output channel times output elements */
    l->macs = (double)l->count / (double)w->dims[0] * (double)l->out_count;
  }
  free(ops);
  s.L = L;
  s.genes = L * GENES;
  if (L == 0 || rc != 0) {
    free(s.layers);
    return rc;
  }
  MlirOperation fn = mlirOperationGetParentOperation(s.layers[0].op);
  MlirBlock entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  spx_npy_t npy;
  if (calibration(&s, entry, &npy) != 0) {
    free(s.layers);
    return -1;
  }
  s.in = npy.data;
  if (s.samples > npy.count / s.per_sample) s.samples = npy.count / s.per_sample;
  MlirOperation ret = mlirBlockGetTerminator(entry);
  s.n_out = mlirOperationGetNumOperands(ret);
  s.out_count = calloc((size_t)s.n_out + 1, sizeof *s.out_count);
  s.out = calloc((size_t)s.n_out + 1, sizeof *s.out);
  s.ref_out = calloc((size_t)s.n_out + 1, sizeof *s.ref_out);
  s.fmts = calloc(N_FMTS, sizeof *s.fmts);
  SPX_ASSERT(s.out_count && s.out && s.ref_out && s.fmts);
  for (intptr_t o = 0; o < s.n_out; o++) {
    s.out_count[o] = count_of(mlirOperationGetOperand(ret, o));
    s.out[o] = malloc(s.out_count[o] * sizeof(float));
    s.ref_out[o] = malloc(s.out_count[o] * s.samples * sizeof(float));
    SPX_ASSERT(s.out[o] && s.ref_out[o]);
  }
  for (size_t l = 0; l < L; l++) {
    s.layers[l].ref = malloc(s.layers[l].out_count * s.samples * sizeof(float));
    s.layers[l].wq = malloc(s.layers[l].count * sizeof(float));
    SPX_ASSERT(s.layers[l].ref && s.layers[l].wq);
  }
  rc = run(&s, NULL);
  for (size_t l = 0; l < L && rc == 0; l++) {
    layer_t *y = &s.layers[l];
    double sq = 0;
    for (size_t i = 0; i < y->count; i++) sq += (double)y->w[i] * (double)y->w[i];
    y->w_base = base_sf(sq, (double)y->count);
    y->a_base = base_sf(y->a_sq, y->a_n);
  }
  cand_t best = {.g = calloc(1, s.genes)};
  SPX_ASSERT(best.g);
  if (rc == 0) rc = search(&s, &best);
  if (rc == 0) write_result(&s, &best);
  free(best.g);
  for (size_t i = 0; i < s.n_seen; i++) free(s.seen[i].g);
  free(s.seen);
  for (size_t k = 0; k < N_FMTS; k++) free(s.fmts[k]);
  free(s.fmts);
  for (intptr_t o = 0; o < s.n_out; o++) {
    free(s.out[o]);
    free(s.ref_out[o]);
  }
  free(s.out);
  free(s.ref_out);
  free(s.out_count);
  for (size_t l = 0; l < L; l++) {
    free(s.layers[l].ref);
    free(s.layers[l].wq);
  }
  free(s.layers);
  spx_npy_free(&npy);
  return rc;
}
