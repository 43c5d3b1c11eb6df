/* sema.c - semantic analysis: AST -> checked spx_fe_network_t.
 *
 * One pass over the statements in order. For each layer: resolve the op,
 * its inputs (nested calls become layers "<parent>.<op>" defined just
 * before their parent), check arity and keyword arguments (names, types,
 * ranges), load its weights (.npy or random(...)) and infer its output
 * shape. A layer whose inputs are in error is checked as far as possible
 * without shapes, and is itself marked in error, so that one mistake is
 * reported once and not again by every layer downstream.
 */
#include "frontend/ast.h"
#include "support/spx_numspec.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
/* The random initializer must give the same bits everywhere: no fused
 * multiply-add (GCC does not contract in ISO C mode). */
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- op arguments ---------------------------------------------------- */

typedef enum argtype {
  A_INT,    /* integer */
  A_PAIR,   /* integer | [h, w] | HxW */
  A_PAD,    /* integer | [h, w] | [t, l, b, r] */
  A_FLOAT,  /* number */
  A_WEIGHT, /* "file.npy" | random(...) */
  A_SHAPE,  /* [d, ...] */
} argtype_t;

typedef struct keyspec {
  const char *key;
  argtype_t type;
  int role; /* A_WEIGHT: spx_role_t */
} keyspec_t;

enum { MAX_KEYS = 8 };

typedef struct sema sema_t;
typedef int (*check_fn_t)(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                          const ast_arg_t **kw, const spx_shape_t *in);

typedef struct opspec {
  check_fn_t check; /* NULL for input */
  keyspec_t keys[MAX_KEYS];
} opspec_t;

/* ---- state ------------------------------------------------------------ */

typedef struct name_entry {
  const char *name;
  spx_loc_t loc; /* first definition */
  int layer;     /* index once defined, else -1 */
} name_entry_t;

struct sema {
  spx_arena_t *arena;
  spx_diag_t *diag;
  spx_wstore_t *store;
  const char *dir; /* prefix for relative weight paths; "" for the cwd */
  const spx_fe_memfile_t *mem; /* weight files held in memory (an import) */
  int n_mem;
  /* mem by path: open addressing, power-of-two size (a scan per weight
   * argument made imports with thousands of weights quadratic). */
  const spx_fe_memfile_t **mem_tab;
  size_t mem_cap;
  spx_fe_layer_t *layers;
  unsigned char *ok; /* per layer: no error, shape known */
  int n, cap;
  name_entry_t *names; /* open addressing, power-of-two size */
  size_t names_cap;
  const char *current; /* name of the statement being checked */
};

#define ERR(s, loc, ...) spx_diag_error((s)->diag, loc, __VA_ARGS__)
#define NOTE(s, loc, ...) spx_diag_note((s)->diag, loc, __VA_ARGS__)

static const spx_fe_memfile_t **mem_slot(const sema_t *s, const char *path) {
  size_t mask = s->mem_cap - 1, i = (size_t)spx_hash_str(path) & mask;
  while (s->mem_tab[i] && strcmp(s->mem_tab[i]->path, path) != 0) i = (i + 1) & mask;
  return &s->mem_tab[i];
}

/* The in-memory weight file of that path, or NULL. */
static const spx_fe_memfile_t *mem_find(const sema_t *s, const char *path) {
  return s->mem_cap ? *mem_slot(s, path) : NULL;
}

static name_entry_t *name_slot(sema_t *s, const char *name) {
  size_t mask = s->names_cap - 1, i = (size_t)spx_hash_str(name) & mask;
  while (s->names[i].name && strcmp(s->names[i].name, name) != 0)
    i = (i + 1) & mask;
  return &s->names[i];
}

/* "[1, 16, 4, 4]" in the arena. */
static const char *shape_str(sema_t *s, int rank, const int64_t *dims) {
  char buf[SPX_MAX_RANK * 24 + 4];
  size_t n = 0;
  buf[n++] = '[';
  for (int i = 0; i < rank; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", i ? ", " : "",
                          (long long)dims[i]);
  snprintf(buf + n, sizeof buf - n, "]");
  return spx_arena_strdup(s->arena, buf);
}
#define SHAPE(s, sh) shape_str(s, (sh)->rank, (sh)->dim)

static const char *kind_str(sema_t *s, const ast_value_t *v) {
  switch (v->kind) {
  case AST_INT: return "an integer";
  case AST_FLOAT: return "a number";
  case AST_STRING: return "a string";
  case AST_IDENT: return spx_arena_printf(s->arena, "identifier '%s'", v->s);
  case AST_DIMS: return "dimensions";
  case AST_LIST: return "a list";
  case AST_CALL: return spx_arena_printf(s->arena, "a call to '%s'", v->s);
  }
  return "a value";
}

/* ---- argument values ----------------------------------------------------- */

static int check_range(sema_t *s, const char *op, const char *key, int64_t v,
                       int64_t min, int64_t max, spx_loc_t loc) {
  if (v > max) {
    ERR(s, loc, "%s of %s must be at most %lld, got %lld", key, op, (long long)max,
        (long long)v);
    return -1;
  }
  if (v >= min) return 0;
  if (min == 0)
    ERR(s, loc, "%s of %s must not be negative, got %lld", key, op, (long long)v);
  else if (min == 1)
    ERR(s, loc, "%s of %s must be positive, got %lld", key, op, (long long)v);
  else
    ERR(s, loc, "%s of %s must be at least %lld, got %lld", key, op,
        (long long)min, (long long)v);
  return -1;
}

static int get_int(sema_t *s, const char *op, const ast_arg_t *a, int64_t min,
                   int64_t max, int64_t *out) {
  if (a->value->kind != AST_INT) {
    ERR(s, a->value->loc, "argument '%s' of %s expects an integer, got %s",
        a->key, op, kind_str(s, a->value));
    return -1;
  }
  *out = a->value->i;
  return check_range(s, op, a->key, *out, min, max, a->value->loc);
}

/* A window argument (kernel, size, stride, pad, dilation): integer |
 * [h, w] | HxW (A_PAIR); also [t, l, b, r] for A_PAD, giving out[4]. Each
 * value in [min, SPX_FE_WINDOW_MAX]. */
static int get_ints(sema_t *s, const char *op, const ast_arg_t *a, int pad,
                    int64_t min, int64_t *out) {
  const ast_value_t *v = a->value;
  int rc = 0;
  if (v->kind == AST_INT) {
    for (int i = 0; i < (pad ? 4 : 2); i++) out[i] = v->i;
    return check_range(s, op, a->key, v->i, min, SPX_FE_WINDOW_MAX, v->loc);
  }
  if (v->kind == AST_DIMS && !pad) {
    out[0] = v->i;
    out[1] = v->i2;
    rc |= check_range(s, op, a->key, v->i, min, SPX_FE_WINDOW_MAX, v->loc);
    rc |= check_range(s, op, a->key, v->i2, min, SPX_FE_WINDOW_MAX, v->loc);
    return rc;
  }
  if (v->kind == AST_LIST && (v->n_items == 2 || (pad && v->n_items == 4))) {
    int64_t t[4];
    int i = 0;
    for (const ast_value_t *it = v->items; it; it = it->next, i++) {
      if (it->kind != AST_INT) goto bad;
      t[i] = it->i;
    }
    i = 0;
    for (const ast_value_t *it = v->items; it; it = it->next, i++)
      rc |= check_range(s, op, a->key, t[i], min, SPX_FE_WINDOW_MAX, it->loc);
    if (v->n_items == 2) {
      out[0] = t[0];
      out[1] = t[1];
      if (pad) {
        out[2] = t[0];
        out[3] = t[1];
      }
    } else {
      memcpy(out, t, sizeof t);
    }
    return rc;
  }
bad:
  if (pad)
    ERR(s, v->loc,
        "argument '%s' of %s expects an integer, [h, w] or [top, left, "
        "bottom, right], got %s",
        a->key, op, kind_str(s, v));
  else
    ERR(s, v->loc, "argument '%s' of %s expects an integer or [h, w], got %s",
        a->key, op, kind_str(s, v));
  return -1;
}

static int get_float(sema_t *s, const char *op, const ast_arg_t *a,
                     double *out) {
  if (a->value->kind != AST_INT && a->value->kind != AST_FLOAT) {
    ERR(s, a->value->loc, "argument '%s' of %s expects a number, got %s",
        a->key, op, kind_str(s, a->value));
    return -1;
  }
  *out = a->value->f;
  return 0;
}

/* ---- weights ------------------------------------------------------------ */

typedef struct wsrc {
  const ast_arg_t *arg; /* NULL: not given */
  int is_random;
  uint64_t seed;
  int normal;
  double scale;
  spx_loc_t scale_loc; /* where scale= was given (line 0: not given) */
  int loaded; /* npy holds the file */
  int borrowed; /* npy is an in-memory file's (spx_fe_memfile_t): not freed */
  spx_npy_t npy;
} wsrc_t;

/* The index of the first NaN or infinity of x[0..n), or n. */
static size_t first_nonfinite(const float *x, size_t n) {
  size_t i = 0;
  while (i < n && isfinite(x[i])) i++;
  return i;
}

/* "NaN", "inf" or "-inf", the same on every libc. */
static const char *nonfinite_name(float v) {
  return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf";
}

static const char *resolve_path(sema_t *s, const char *p) {
  if (p[0] == '/' || !s->dir || !s->dir[0]) return p;
  return spx_arena_printf(s->arena, "%s%s", s->dir, p);
}

/* Parses random(seed=N, dist=uniform|normal, scale=S). */
static int parse_random(sema_t *s, const ast_value_t *call, wsrc_t *w) {
  const ast_arg_t *seen[3] = {NULL, NULL, NULL};
  static const char *const keys[3] = {"seed", "dist", "scale"};
  int rc = 0;
  w->is_random = 1;
  w->scale = 1.0;
  for (const ast_arg_t *a = call->args; a; a = a->next) {
    int k;
    if (!a->key) {
      ERR(s, a->value->loc,
          "random takes only keyword arguments (seed=, dist=, scale=)");
      rc = -1;
      continue;
    }
    for (k = 0; k < 3 && strcmp(keys[k], a->key) != 0; k++) {
    }
    if (k == 3) {
      ERR(s, a->key_loc,
          "unknown argument '%s' for random (expected seed, dist or scale)",
          a->key);
      rc = -1;
      continue;
    }
    if (seen[k]) {
      ERR(s, a->key_loc, "duplicate argument '%s'", a->key);
      NOTE(s, seen[k]->key_loc, "previous '%s' is here", a->key);
      rc = -1;
      continue;
    }
    seen[k] = a;
    if (k == 0) {
      if (a->value->kind != AST_INT) {
        ERR(s, a->value->loc, "argument 'seed' of random expects an integer, got %s",
            kind_str(s, a->value));
        rc = -1;
      } else {
        w->seed = (uint64_t)a->value->i;
      }
    } else if (k == 1) {
      if (a->value->kind == AST_IDENT && strcmp(a->value->s, "uniform") == 0) {
        w->normal = 0;
      } else if (a->value->kind == AST_IDENT && strcmp(a->value->s, "normal") == 0) {
        w->normal = 1;
      } else {
        ERR(s, a->value->loc,
            "argument 'dist' of random expects uniform or normal, got %s",
            kind_str(s, a->value));
        rc = -1;
      }
    } else {
      w->scale_loc = a->value->loc;
      if (get_float(s, "random", a, &w->scale) != 0) {
        rc = -1;
      } else if (!(w->scale >= 0.0) || !isfinite(w->scale)) {
        ERR(s, a->value->loc, "scale of random must not be negative");
        rc = -1;
      }
    }
  }
  return rc;
}

/* The weight argument `a` (may be NULL): parses random(...) or loads the
 * .npy file. */
static int weight_source(sema_t *s, const char *op, const ast_arg_t *a,
                         wsrc_t *w) {
  memset(w, 0, sizeof *w);
  w->arg = a;
  if (!a) return 0;
  if (a->value->kind == AST_STRING) {
    char err[256];
    const char *path = resolve_path(s, a->value->s);
    const spx_fe_memfile_t *m = mem_find(s, a->value->s);
    if (m) {
      w->npy = m->npy;
      w->borrowed = 1;
    } else if (spx_npy_read(path, &w->npy, err, sizeof err) != 0) {
      ERR(s, a->value->loc, "cannot load '%s': %s", a->value->s, err);
      return -1;
    }
    w->loaded = 1;
    if (w->npy.dtype != SPX_DT_F32 && w->npy.dtype != SPX_DT_I8) {
      ERR(s, a->value->loc,
          "'%s' holds %s data; weights must be float32, float64 or int8",
          a->value->s, spx_dtype_name(w->npy.dtype));
      return -1;
    }
    if (w->npy.count > (size_t)SPX_FE_ELEMENTS_MAX) {
      ERR(s, a->value->loc, "'%s' has shape %s: more than the %lld elements a tensor may hold",
          a->value->s, shape_str(s, w->npy.rank, w->npy.dims), (long long)SPX_FE_ELEMENTS_MAX);
      return -1;
    }
    if (w->npy.dtype == SPX_DT_F32) {
      size_t i = first_nonfinite(w->npy.data, w->npy.count);
      if (i < w->npy.count) {
        ERR(s, a->value->loc,
            "'%s' holds %s at element %zu; weights must be finite f32 numbers", a->value->s,
            nonfinite_name(((const float *)w->npy.data)[i]), i);
        return -1;
      }
    }
    return 0;
  }
  if (a->value->kind == AST_CALL) {
    if (strcmp(a->value->s, "random") != 0) {
      ERR(s, a->value->loc, "unknown initializer '%s'; expected random(...)",
          a->value->s);
      return -1;
    }
    return parse_random(s, a->value, w);
  }
  ERR(s, a->value->loc,
      "argument '%s' of %s expects a .npy file name or random(...), got %s",
      a->key, op, kind_str(s, a->value));
  return -1;
}

static void wsrc_free(wsrc_t *w) {
  if (w->loaded && !w->borrowed) spx_npy_free(&w->npy);
  w->loaded = 0;
}

/* What a weight argument denotes, for messages: the file name as written. */
static const char *wname(const wsrc_t *w) { return w->arg->value->s; }

/* Checks a loaded .npy against the expected shape; -1 in `want` matches
 * anything. */
static int check_wshape(sema_t *s, const wsrc_t *w, int rank,
                        const int64_t *want, const char *what,
                        const char *layout) {
  int ok = w->npy.rank == rank;
  for (int i = 0; ok && i < rank; i++)
    if (want[i] >= 0 && w->npy.dims[i] != want[i]) ok = 0;
  if (ok) return 0;
  if (w->npy.rank != rank) {
    ERR(s, w->arg->value->loc, "%s '%s' has shape %s; expected rank %d %s",
        what, wname(w), shape_str(s, w->npy.rank, w->npy.dims), rank, layout);
    return -1;
  }
  {
    char buf[SPX_MAX_RANK * 24 + 4];
    size_t n = 0;
    buf[n++] = '[';
    for (int i = 0; i < rank; i++) {
      if (want[i] >= 0)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", i ? ", " : "",
                              (long long)want[i]);
      else
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s_", i ? ", " : "");
    }
    snprintf(buf + n, sizeof buf - n, "]");
    ERR(s, w->arg->value->loc, "%s '%s' has shape %s; expected %s", what,
        wname(w), shape_str(s, w->npy.rank, w->npy.dims), buf);
  }
  return -1;
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Fills `out` deterministically: uniform on [c - h, c + h) with 24-bit
 * resolution, or (normal) c + sigma * Irwin-Hall(12 x 16-bit uniforms),
 * where sigma = h / sqrt(3) gives the same variance. Only integer
 * arithmetic and one rounding per value, so the bits are the same on every
 * machine. */
static void fill_random(float *out, size_t n, uint64_t state, int normal,
                        double c, double h) {
  if (!normal) {
    const double k = h * (1.0 / 16777216.0); /* h * 2^-24 */
    for (size_t i = 0; i < n; i++) {
      int64_t u = (int64_t)(splitmix64(&state) >> 40); /* [0, 2^24) */
      double t = (double)(2 * u - 16777216) * k;         /* [-h, h) */
      out[i] = (float)(c + t);
    }
  } else {
    const double k = h / sqrt(3.0) * (1.0 / 131072.0); /* sigma * 2^-17 */
    for (size_t i = 0; i < n; i++) {
      int64_t sum = 0;
      for (int j = 0; j < 3; j++) {
        uint64_t z = splitmix64(&state);
        sum += (int64_t)(z & 0xffff) + (int64_t)(z >> 16 & 0xffff) +
               (int64_t)(z >> 32 & 0xffff) + (int64_t)(z >> 48);
      }
      /* mean 12 * 65535 / 2, std ~ 65536 */
      double t = (double)(2 * sum - 12 * 65535) * k;
      out[i] = (float)(c + t);
    }
  }
}

/* Adds "<layer>.<role>" to the store with `dims` and fills it from w.
 * fan_in is for the weight role. */
static int store_weight(sema_t *s, const spx_fe_layer_t *L, spx_role_t role,
                        const wsrc_t *w, int rank, const int64_t *dims,
                        int64_t fan_in, spx_wbuf_t **out) {
  const char *name =
      spx_arena_printf(s->arena, "%s.%s", L->name, spx_role_name(role));
  spx_wbuf_t *b = spx_wstore_add(s->store, name, SPX_DT_F32, rank, dims);
  float *d;
  *out = NULL;
  if (!b) {
    ERR(s, w->arg->value->loc,
        spx_wstore_find(s->store, name) ? "weight buffer '%s' already exists"
                                        : "out of memory for weights '%s'",
        name);
    return -1;
  }
  d = b->data;
  if (w->loaded) {
    if (w->npy.dtype == SPX_DT_F32) {
      memcpy(d, w->npy.data, b->count * sizeof(float));
    } else {
      const int8_t *src = w->npy.data;
      for (size_t i = 0; i < b->count; i++) d[i] = (float)src[i];
    }
  } else {
    double c = 0.0, h;
    uint64_t seed = w->seed, state;
    switch (role) {
    case SPX_ROLE_WEIGHT:
      /* He: uniform limit sqrt(6 / fan_in) = sqrt(3) * sqrt(2 / fan_in). */
      h = sqrt(6.0 / (double)(fan_in > 0 ? fan_in : 1));
      break;
    case SPX_ROLE_GAMMA: c = 1.0; h = 0.2; break;
    case SPX_ROLE_VAR: c = 1.0; h = 0.5; break;
    default: h = 0.1; break; /* bias, beta, mean */
    }
    h *= w->scale;
    state = splitmix64(&seed) ^ spx_hash_str(name);
    fill_random(d, b->count, state, w->normal, c, h);
    if (role == SPX_ROLE_VAR)
      for (size_t i = 0; i < b->count; i++)
        if (!(d[i] >= 1e-3f)) d[i] = 1e-3f;
    if (first_nonfinite(d, b->count) < b->count) {
      ERR(s, w->scale_loc.line ? w->scale_loc : w->arg->value->loc,
          "scale %g of random makes weights '%s' overflow f32", w->scale, name);
      return -1;
    }
  }
  *out = b;
  return 0;
}

/* ---- layers --------------------------------------------------------------- */

static int new_layer(sema_t *s, const char *name, spx_op_t op, spx_loc_t loc) {
  int i = s->n++;
  SPX_ASSERT(i < s->cap);
  s->layers[i].name = name;
  s->layers[i].op = op;
  s->layers[i].loc = loc;
  return i;
}

static int same_shape(const spx_shape_t *a, const spx_shape_t *b) {
  if (a->rank != b->rank) return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->dim[i] != b->dim[i]) return 0;
  return 1;
}

/* The element count of dims[0..rank), or SPX_FE_ELEMENTS_MAX + 1 when it
 * is above the limit (computed without overflow; every dim is >= 1). */
static int64_t elements_of(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 1) return 0;
    if (dims[i] > SPX_FE_ELEMENTS_MAX / n) return SPX_FE_ELEMENTS_MAX + 1;
    n *= dims[i];
  }
  return n;
}

/* Reports `what` (e.g. "the output of concat") when its shape holds more
 * elements than a tensor may. */
static int check_elements(sema_t *s, const char *what, int rank, const int64_t *dims,
                          spx_loc_t loc) {
  if (elements_of(rank, dims) <= SPX_FE_ELEMENTS_MAX) return 0;
  ERR(s, loc, "%s has shape %s: more than the %lld elements a tensor may hold", what,
      shape_str(s, rank, dims), (long long)SPX_FE_ELEMENTS_MAX);
  return -1;
}

/* Resolves a layer reference by name. Returns the layer index, or -1 after
 * reporting. */
static int resolve_ref(sema_t *s, const ast_value_t *v) {
  name_entry_t *e = name_slot(s, v->s);
  if (!e->name) {
    ERR(s, v->loc, "unknown layer '%s'", v->s);
    return -1;
  }
  if (e->layer < 0) {
    if (s->current && strcmp(s->current, v->s) == 0) {
      ERR(s, v->loc, "layer '%s' uses itself as an input", v->s);
    } else {
      ERR(s, v->loc, "layer '%s' is used before its definition", v->s);
      NOTE(s, e->loc, "'%s' is defined here", v->s);
    }
    return -1;
  }
  return e->layer;
}

/* Output spatial size of a window op, or -1 when the window does not fit. */
static int64_t window_out(int64_t in, int64_t p0, int64_t p1, int64_t k,
                          int64_t dil, int64_t stride) {
  int64_t span = dil * (k - 1) + 1, padded = in + p0 + p1;
  if (padded < span) return -1;
  return (padded - span) / stride + 1;
}

static int check_window(sema_t *s, spx_fe_layer_t *L, const spx_shape_t *in,
                        spx_loc_t loc) {
  int64_t ho = window_out(in->dim[2], L->pad[0], L->pad[2], L->kernel[0],
                          L->dilation[0], L->stride[0]);
  int64_t wo = window_out(in->dim[3], L->pad[1], L->pad[3], L->kernel[1],
                          L->dilation[1], L->stride[1]);
  if (ho < 1 || wo < 1) {
    int64_t kh = L->dilation[0] * (L->kernel[0] - 1) + 1;
    int64_t kw = L->dilation[1] * (L->kernel[1] - 1) + 1;
    ERR(s, loc,
        "%s window %lldx%lld%s is larger than the padded input %lldx%lld",
        spx_op_name(L->op), (long long)kh, (long long)kw,
        (L->dilation[0] > 1 || L->dilation[1] > 1) ? " (dilated)" : "",
        (long long)(in->dim[2] + L->pad[0] + L->pad[2]),
        (long long)(in->dim[3] + L->pad[1] + L->pad[3]));
    return -1;
  }
  L->shape.rank = 4;
  L->shape.dim[0] = in->dim[0];
  L->shape.dim[1] = in->dim[1];
  L->shape.dim[2] = ho;
  L->shape.dim[3] = wo;
  return 0;
}

static int need_rank4(sema_t *s, const char *op, const spx_shape_t *in,
                      spx_loc_t loc) {
  if (in->rank == 4) return 0;
  ERR(s, loc, "%s expects a rank-4 NCHW input, got shape %s", op,
      SHAPE(s, in));
  return -1;
}

static int norm_axis(sema_t *s, const char *op, const ast_arg_t *a, int64_t axis,
                     int rank, int *out, spx_loc_t loc) {
  if (axis < -rank || axis >= rank) {
    ERR(s, a ? a->value->loc : loc, "axis %lld of %s is out of range for rank-%d input",
        (long long)axis, op, rank);
    return -1;
  }
  *out = (int)(axis < 0 ? axis + rank : axis);
  return 0;
}

/* ---- op handlers ------------------------------------------------------------ */

/* An op's own checks: arguments, weights and the output shape. kw[k] is the
 * argument given for the op's key k (op_specs), or NULL; `in` is the shape
 * of input 0, NULL when an input is in error (shapes are then not looked
 * at). Returns 0, or -1 after reporting. */

enum { K_WEIGHTS, K_BIAS, K_FILTERS, K_KERNEL, K_STRIDE, K_PAD, K_DILATION, K_GROUPS };
/* conv2d: weights (file or random with filters and kernel), bias, window; NCHW in and out. */
static int check_conv2d(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                        const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  wsrc_t w, b;
  int64_t filters = 0, groups = 1;
  int have_kernel = 0;
  L->stride[0] = L->stride[1] = 1;
  L->dilation[0] = L->dilation[1] = 1;
  if (kw[K_FILTERS]) rc |= get_int(s, op, kw[K_FILTERS], 1, SPX_FE_SIZE_MAX, &filters);
  if (kw[K_KERNEL]) {
    rc |= get_ints(s, op, kw[K_KERNEL], 0, 1, L->kernel);
    have_kernel = 1;
  }
  if (kw[K_STRIDE]) rc |= get_ints(s, op, kw[K_STRIDE], 0, 1, L->stride);
  if (kw[K_PAD]) rc |= get_ints(s, op, kw[K_PAD], 1, 0, L->pad);
  if (kw[K_DILATION]) rc |= get_ints(s, op, kw[K_DILATION], 0, 1, L->dilation);
  if (kw[K_GROUPS]) rc |= get_int(s, op, kw[K_GROUPS], 1, SPX_FE_GROUPS_MAX, &groups);
  L->groups = groups;
  rc |= weight_source(s, op, kw[K_WEIGHTS], &w);
  rc |= weight_source(s, op, kw[K_BIAS], &b);
  if (!kw[K_WEIGHTS]) {
    ERR(s, call->loc, "conv2d requires 'weights'");
    rc = -1;
  } else if (w.is_random && (!kw[K_FILTERS] || !have_kernel)) {
    ERR(s, kw[K_WEIGHTS]->value->loc,
        "conv2d with random weights needs '%s'",
        !kw[K_FILTERS] ? "filters" : "kernel");
    rc = -1;
  }
  if (rc == 0 && w.loaded) {
    /* The file decides filters and kernel; given values must agree. */
    int64_t want[4] = {kw[K_FILTERS] ? filters : -1, -1,
                       have_kernel ? L->kernel[0] : -1,
                       have_kernel ? L->kernel[1] : -1};
    if (check_wshape(s, &w, 4, want, "weights", "[filters, C_in/groups, kh, kw]") != 0) {
      rc = -1;
    } else {
      filters = w.npy.dims[0];
      L->kernel[0] = w.npy.dims[2];
      L->kernel[1] = w.npy.dims[3];
      if (filters < 1 || L->kernel[0] < 1 || L->kernel[1] < 1) {
        ERR(s, kw[K_WEIGHTS]->value->loc, "weights '%s' has an empty shape %s",
            wname(&w), shape_str(s, 4, w.npy.dims));
        rc = -1;
      }
    }
  }
  L->units = filters;
  if (rc == 0 && in) {
    int64_t cin;
    if (need_rank4(s, op, in, call->loc) != 0) {
      rc = -1;
      goto conv_done;
    }
    cin = in->dim[1];
    if (cin % groups != 0) {
      ERR(s, kw[K_GROUPS]->value->loc,
          "groups=%lld does not divide the %lld input channels",
          (long long)groups, (long long)cin);
      rc = -1;
    } else if (filters % groups != 0) {
      ERR(s, kw[K_GROUPS]->value->loc,
          "groups=%lld does not divide the %lld filters", (long long)groups,
          (long long)filters);
      rc = -1;
    }
    if (rc == 0 && w.loaded && w.npy.dims[1] != cin / groups) {
      ERR(s, kw[K_WEIGHTS]->value->loc,
          "weights '%s' has %lld input channels per group (shape %s); the "
          "input %s with groups=%lld needs %lld",
          wname(&w), (long long)w.npy.dims[1], shape_str(s, 4, w.npy.dims),
          SHAPE(s, in), (long long)groups, (long long)(cin / groups));
      rc = -1;
    }
    if (rc == 0 && b.loaded) {
      int64_t want[1] = {filters};
      rc |= check_wshape(s, &b, 1, want, "bias", "[filters]");
    }
    if (rc == 0) rc = check_window(s, L, in, call->loc);
    if (rc == 0) {
      int64_t wd[4] = {filters, cin / groups, L->kernel[0], L->kernel[1]};
      rc = check_elements(s, "the weight tensor of conv2d", 4, wd, kw[K_WEIGHTS]->value->loc);
    }
    if (rc == 0) {
      int64_t wd[4] = {filters, cin / groups, L->kernel[0], L->kernel[1]};
      L->shape.dim[1] = filters;
      rc |= store_weight(s, L, SPX_ROLE_WEIGHT, &w, 4, wd,
                         cin / groups * L->kernel[0] * L->kernel[1],
                         &L->weights[SPX_ROLE_WEIGHT]);
      if (kw[K_BIAS])
        rc |= store_weight(s, L, SPX_ROLE_BIAS, &b, 1, wd, 0,
                           &L->weights[SPX_ROLE_BIAS]);
    }
  }
 conv_done:
  wsrc_free(&w);
  wsrc_free(&b);
  return rc;
}

enum { KD_WEIGHTS, KD_BIAS, KD_UNITS };
/* dense: weights [units, in_features], bias; a rank-2 input. */
static int check_dense(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                       const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  wsrc_t w, b;
  int64_t units = 0;
  if (kw[KD_UNITS]) rc |= get_int(s, op, kw[KD_UNITS], 1, SPX_FE_SIZE_MAX, &units);
  rc |= weight_source(s, op, kw[KD_WEIGHTS], &w);
  rc |= weight_source(s, op, kw[KD_BIAS], &b);
  if (!kw[KD_WEIGHTS]) {
    ERR(s, call->loc, "dense requires 'weights'");
    rc = -1;
  } else if (w.is_random && !kw[KD_UNITS]) {
    ERR(s, kw[KD_WEIGHTS]->value->loc, "dense with random weights needs 'units'");
    rc = -1;
  }
  if (rc == 0 && w.loaded) {
    int64_t want[2] = {kw[KD_UNITS] ? units : -1, -1};
    if (check_wshape(s, &w, 2, want, "weights", "[units, in_features]") != 0) rc = -1;
    else units = w.npy.dims[0];
    if (rc == 0 && units < 1) {
      ERR(s, kw[KD_WEIGHTS]->value->loc, "weights '%s' has an empty shape %s",
          wname(&w), shape_str(s, 2, w.npy.dims));
      rc = -1;
    }
  }
  L->units = units;
  if (rc == 0 && in) {
    if (in->rank != 2) {
      ERR(s, call->loc,
          "dense expects a rank-2 [N, F] input, got shape %s%s", SHAPE(s, in),
          in->rank > 2 ? "; flatten it first: dense(flatten(x), ...)" : "");
      rc = -1;
    } else if (w.loaded && w.npy.dims[1] != in->dim[1]) {
      ERR(s, kw[KD_WEIGHTS]->value->loc,
          "weights '%s' has shape %s; the input %s has %lld features, so "
          "expected [%lld, %lld]",
          wname(&w), shape_str(s, 2, w.npy.dims), SHAPE(s, in),
          (long long)in->dim[1], (long long)units, (long long)in->dim[1]);
      rc = -1;
    }
    if (rc == 0 && b.loaded) {
      int64_t want[1] = {units};
      rc |= check_wshape(s, &b, 1, want, "bias", "[units]");
    }
    if (rc == 0) {
      int64_t wd[2] = {units, in->dim[1]};
      rc = check_elements(s, "the weight tensor of dense", 2, wd, kw[KD_WEIGHTS]->value->loc);
    }
    if (rc == 0) {
      int64_t wd[2] = {units, in->dim[1]};
      L->shape.rank = 2;
      L->shape.dim[0] = in->dim[0];
      L->shape.dim[1] = units;
      rc |= store_weight(s, L, SPX_ROLE_WEIGHT, &w, 2, wd, in->dim[1],
                         &L->weights[SPX_ROLE_WEIGHT]);
      if (kw[KD_BIAS])
        rc |= store_weight(s, L, SPX_ROLE_BIAS, &b, 1, wd, 0,
                           &L->weights[SPX_ROLE_BIAS]);
    }
  }
  wsrc_free(&w);
  wsrc_free(&b);
  return rc;
}

/* relu, relu6, sigmoid, sign: the output has the input's shape. */
static int check_elementwise(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                             const ast_arg_t **kw, const spx_shape_t *in) {
  if (in) L->shape = *in;
  return 0;
}

enum { KP_SIZE, KP_STRIDE, KP_PAD };
/* maxpool, avgpool: size, stride (default: size), pad smaller than the window. */
static int check_pool(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                      const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  L->dilation[0] = L->dilation[1] = 1;
  if (!kw[KP_SIZE]) {
    ERR(s, call->loc, "%s requires 'size'", op);
    rc = -1;
  } else {
    rc |= get_ints(s, op, kw[KP_SIZE], 0, 1, L->kernel);
  }
  L->stride[0] = L->kernel[0];
  L->stride[1] = L->kernel[1];
  if (kw[KP_STRIDE]) rc |= get_ints(s, op, kw[KP_STRIDE], 0, 1, L->stride);
  if (kw[KP_PAD]) {
    rc |= get_ints(s, op, kw[KP_PAD], 1, 0, L->pad);
    if (rc == 0)
      for (int i = 0; i < 4; i++)
        if (L->pad[i] >= L->kernel[i & 1]) {
          ERR(s, kw[KP_PAD]->value->loc,
              "pad %lld of %s must be smaller than the window size %lld",
              (long long)L->pad[i], op, (long long)L->kernel[i & 1]);
          rc = -1;
          break;
        }
  }
  if (rc == 0 && in) {
    rc = need_rank4(s, op, in, call->loc);
    if (rc == 0) rc = check_window(s, L, in, call->loc);
  }
  return rc;
}

/* global_avgpool: [N, C, H, W] -> [N, C, 1, 1]. */
static int check_global_avgpool(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                                const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  if (in && need_rank4(s, op, in, call->loc) == 0) {
    L->shape = *in;
    L->shape.dim[2] = L->shape.dim[3] = 1;
  } else if (in) {
    rc = -1;
  }
  return rc;
}

/* add: two inputs of the same shape. */
static int check_add(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                     const ast_arg_t **kw, const spx_shape_t *in) {
  int rc = 0;
  if (in) {
    const spx_shape_t *b = &s->layers[L->inputs[1]].shape;
    if (!same_shape(in, b)) {
      ERR(s, call->loc, "add inputs have different shapes %s and %s",
          SHAPE(s, in), SHAPE(s, b));
      rc = -1;
    } else {
      L->shape = *in;
    }
  }
  return rc;
}

/* concat: shapes equal except along axis (default 1). */
static int check_concat(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                        const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  int64_t axis = 1;
  if (kw[0]) rc |= get_int(s, op, kw[0], INT64_MIN, INT64_MAX, &axis);
  if (rc == 0 && in) {
    rc = norm_axis(s, op, kw[0], axis, in->rank, &L->axis, call->loc);
    if (rc == 0) {
      L->shape = *in;
      for (int i = 1; i < L->n_inputs && rc == 0; i++) {
        const spx_shape_t *o = &s->layers[L->inputs[i]].shape;
        int match = o->rank == in->rank;
        for (int d = 0; match && d < in->rank; d++)
          if (d != L->axis && o->dim[d] != in->dim[d]) match = 0;
        if (!match) {
          ERR(s, call->loc,
              "concat input %d has shape %s, which does not match %s "
              "except along axis %d",
              i + 1, SHAPE(s, o), SHAPE(s, in), L->axis);
          rc = -1;
        } else {
          L->shape.dim[L->axis] += o->dim[L->axis];
        }
      }
    }
  }
  return rc;
}

/* flatten: [N, ...] -> [N, product of the rest]. */
static int check_flatten(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                         const ast_arg_t **kw, const spx_shape_t *in) {
  int rc = 0;
  if (in) {
    if (in->rank < 2) {
      ERR(s, call->loc, "flatten expects an input of rank 2 or more, got shape %s",
          SHAPE(s, in));
      rc = -1;
    } else {
      L->shape.rank = 2;
      L->shape.dim[0] = in->dim[0];
      L->shape.dim[1] = 1;
      for (int i = 1; i < in->rank; i++) L->shape.dim[1] *= in->dim[i];
    }
  }
  return rc;
}

/* reshape: shape with at most one -1, same element count. */
static int check_reshape(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                         const ast_arg_t **kw, const spx_shape_t *in) {
  int rc = 0;
  const ast_arg_t *a = kw[0];
  int64_t known = 1;
  int infer = -1, r = 0;
  if (!a) {
    ERR(s, call->loc, "reshape requires 'shape'");
    rc = -1;
    return rc;
  }
  if (a->value->kind != AST_LIST || a->value->n_items < 1 ||
      a->value->n_items > SPX_MAX_RANK) {
    if (a->value->kind == AST_LIST)
      ERR(s, a->value->loc, "shape of reshape must have 1 to %d dimensions, got %d",
          SPX_MAX_RANK, a->value->n_items);
    else
      ERR(s, a->value->loc, "argument 'shape' of reshape expects a list of integers, got %s",
          kind_str(s, a->value));
    rc = -1;
    return rc;
  }
  for (const ast_value_t *it = a->value->items; it; it = it->next, r++) {
    if (it->kind != AST_INT) {
      ERR(s, it->loc, "argument 'shape' of reshape expects a list of integers, got %s",
          kind_str(s, it));
      rc = -1;
    } else if (it->i == -1) {
      if (infer >= 0) {
        ERR(s, it->loc, "only one dimension of reshape can be -1");
        rc = -1;
      }
      infer = r;
    } else if (it->i < 1) {
      ERR(s, it->loc, "dimensions of reshape must be positive or -1, got %lld",
          (long long)it->i);
      rc = -1;
    } else if (it->i > SPX_FE_SIZE_MAX) {
      ERR(s, it->loc, "dimensions of reshape must be at most %lld, got %lld",
          (long long)SPX_FE_SIZE_MAX, (long long)it->i);
      rc = -1;
    } else if (known > SPX_FE_ELEMENTS_MAX / it->i) {
      known = SPX_FE_ELEMENTS_MAX + 1; /* reported below */
    } else {
      known *= it->i;
    }
    L->reshape.dim[r] = it->i;
  }
  L->reshape.rank = r;
  if (rc == 0 && known > SPX_FE_ELEMENTS_MAX) {
    ERR(s, a->value->loc, "shape of reshape has more than the %lld elements a tensor may hold",
        (long long)SPX_FE_ELEMENTS_MAX);
    rc = -1;
  }
  if (rc == 0 && in) {
    int64_t count = 1;
    for (int i = 0; i < in->rank; i++) count *= in->dim[i];
    if (infer >= 0) {
      if (count % known != 0) {
        ERR(s, a->value->loc,
            "cannot reshape %s (%lld elements) to %s: %lld is not a "
            "multiple of %lld",
            SHAPE(s, in), (long long)count, SHAPE(s, &L->reshape),
            (long long)count, (long long)known);
        rc = -1;
      } else {
        L->reshape.dim[infer] = count / known;
      }
    } else if (known != count) {
      ERR(s, a->value->loc,
          "cannot reshape %s (%lld elements) to %s (%lld elements)",
          SHAPE(s, in), (long long)count, SHAPE(s, &L->reshape),
          (long long)known);
      rc = -1;
    }
    if (rc == 0) L->shape = L->reshape;
  }
  return rc;
}

/* softmax: along axis (default -1). */
static int check_softmax(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                         const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  int64_t axis = -1;
  if (kw[0]) rc |= get_int(s, op, kw[0], INT64_MIN, INT64_MAX, &axis);
  if (rc == 0 && in) {
    rc = norm_axis(s, op, kw[0], axis, in->rank, &L->axis, call->loc);
    if (rc == 0) L->shape = *in;
  }
  return rc;
}

enum { KB_GAMMA, KB_BETA, KB_MEAN, KB_VAR, KB_EPS };

/* A batchnorm runs as scale = gamma / sqrt(var + eps), shift = beta - mean *
 * scale per channel (spx_rt_batchnorm_affine, folded or not): var must not be
 * negative, and both must be finite in f32. */
static int check_bn_values(sema_t *s, const spx_fe_layer_t *L, const wsrc_t *var,
                           spx_loc_t loc) {
  const float *g = L->weights[SPX_ROLE_GAMMA]->data, *b = L->weights[SPX_ROLE_BETA]->data;
  const float *m = L->weights[SPX_ROLE_MEAN]->data, *v = L->weights[SPX_ROLE_VAR]->data;
  size_t n = L->weights[SPX_ROLE_VAR]->count;
  for (size_t c = 0; c < n; c++) {
    float k, shift;
    if (!(v[c] >= 0.0f)) {
      ERR(s, var->arg->value->loc, "var '%s' holds a negative variance (%g) at element %zu",
          wname(var), (double)v[c], c);
      return -1;
    }
    k = g[c] / sqrtf(v[c] + L->eps);
    shift = b[c] - m[c] * k;
    if (!isfinite(k) || !isfinite(shift)) {
      ERR(s, loc,
          "batchnorm channel %zu: %s overflows f32 (gamma %g, beta %g, mean %g, var %g, eps %g)",
          c, isfinite(k) ? "the shift beta - mean * scale" : "the scale gamma / sqrt(var + eps)",
          (double)g[c], (double)b[c], (double)m[c], (double)v[c], (double)L->eps);
      return -1;
    }
  }
  return 0;
}
static spx_role_t bn_role(int r) { return (spx_role_t)(SPX_ROLE_GAMMA + r); }
static const char *bn_key(int r) { return spx_role_name(bn_role(r)); }
/* batchnorm: gamma, beta, mean, var [channels] at axis 1, eps > 0. Key r
 * (KB_GAMMA + r) is the weight of role SPX_ROLE_GAMMA + r, named after it. */
static int check_batchnorm(sema_t *s, spx_fe_layer_t *L, const ast_value_t *call,
                           const ast_arg_t **kw, const spx_shape_t *in) {
  const char *op = spx_op_name(L->op);
  int rc = 0;
  wsrc_t w[4];
  double eps = 1e-5;
  if (kw[KB_EPS]) {
    rc |= get_float(s, op, kw[KB_EPS], &eps);
    if (rc == 0 && !(eps > 0.0)) {
      ERR(s, kw[KB_EPS]->value->loc, "eps of batchnorm must be positive");
      rc = -1;
    } else if (rc == 0 && !((float)eps > 0.0f && isfinite((float)eps))) {
      ERR(s, kw[KB_EPS]->value->loc, "eps of batchnorm must be a positive f32 number; %g %s",
          eps, (float)eps > 0.0f ? "overflows f32" : "rounds to 0 in f32");
      rc = -1;
    }
  }
  L->eps = (float)eps;
  for (int r = 0; r < 4; r++) {
    if (!kw[r]) {
      ERR(s, call->loc, "batchnorm requires '%s'", bn_key(r));
      rc = -1;
    }
    rc |= weight_source(s, op, kw[r], &w[r]);
  }
  if (rc == 0 && in) {
    if (in->rank < 2) {
      ERR(s, call->loc, "batchnorm expects an input of rank 2 or more (channels at axis 1), got shape %s",
          SHAPE(s, in));
      rc = -1;
    }
    for (int r = 0; r < 4 && rc == 0; r++)
      if (w[r].loaded) {
        int64_t want[1] = {in->dim[1]};
        rc |= check_wshape(s, &w[r], 1, want,
                           bn_key(r),
                           "[channels]");
      }
    if (rc == 0) {
      int64_t c = in->dim[1];
      L->shape = *in;
      for (int r = 0; r < 4; r++)
        rc |= store_weight(s, L, bn_role(r), &w[r], 1, &c, 0, &L->weights[bn_role(r)]);
      if (rc == 0) rc = check_bn_values(s, L, &w[KB_VAR], call->loc);
    }
  }
  for (int r = 0; r < 4; r++) wsrc_free(&w[r]);
  return rc;
}

/* ---- the ops --------------------------------------------------------------- */

/* Each op's keyword arguments and its handler; the inputs it takes come
 * from ir/spx_ir.h's SPX_IR_OPS. A new op is its SPX_IR_OPS line, a line
 * here and a handler above. */
static const opspec_t op_specs[SPX_OP_COUNT_] = {
    [SPX_OP_CONV2D] = {check_conv2d,
                       {{"weights", A_WEIGHT, SPX_ROLE_WEIGHT},
                        {"bias", A_WEIGHT, SPX_ROLE_BIAS},
                        {"filters", A_INT, 0},
                        {"kernel", A_PAIR, 0},
                        {"stride", A_PAIR, 0},
                        {"pad", A_PAD, 0},
                        {"dilation", A_PAIR, 0},
                        {"groups", A_INT, 0}}},
    [SPX_OP_DENSE] = {check_dense,
                      {{"weights", A_WEIGHT, SPX_ROLE_WEIGHT},
                       {"bias", A_WEIGHT, SPX_ROLE_BIAS},
                       {"units", A_INT, 0}}},
    [SPX_OP_RELU] = {check_elementwise, {{NULL, A_INT, 0}}},
    [SPX_OP_RELU6] = {check_elementwise, {{NULL, A_INT, 0}}},
    [SPX_OP_SIGMOID] = {check_elementwise, {{NULL, A_INT, 0}}},
    [SPX_OP_SIGN] = {check_elementwise, {{NULL, A_INT, 0}}},
    [SPX_OP_MAXPOOL] = {check_pool, {{"size", A_PAIR, 0}, {"stride", A_PAIR, 0}, {"pad", A_PAD, 0}}},
    [SPX_OP_AVGPOOL] = {check_pool, {{"size", A_PAIR, 0}, {"stride", A_PAIR, 0}, {"pad", A_PAD, 0}}},
    [SPX_OP_GLOBAL_AVGPOOL] = {check_global_avgpool, {{NULL, A_INT, 0}}},
    [SPX_OP_ADD] = {check_add, {{NULL, A_INT, 0}}},
    [SPX_OP_CONCAT] = {check_concat, {{"axis", A_INT, 0}}},
    [SPX_OP_FLATTEN] = {check_flatten, {{NULL, A_INT, 0}}},
    [SPX_OP_RESHAPE] = {check_reshape, {{"shape", A_SHAPE, 0}}},
    [SPX_OP_SOFTMAX] = {check_softmax, {{"axis", A_INT, 0}}},
    [SPX_OP_BATCHNORM] = {check_batchnorm,
                          {{"gamma", A_WEIGHT, SPX_ROLE_GAMMA},
                           {"beta", A_WEIGHT, SPX_ROLE_BETA},
                           {"mean", A_WEIGHT, SPX_ROLE_MEAN},
                           {"var", A_WEIGHT, SPX_ROLE_VAR},
                           {"eps", A_FLOAT, 0}}},
};

/* The op a .spx file calls `name`, or -1 (input is an op too, which
 * check_call turns away). */
static int op_lookup(const char *name) {
  spx_ir_op_t k;
  if (strcmp(name, "input") == 0) return SPX_OP_INPUT;
  k = spx_ir_op_lookup(name);
  if (k == SPX_IR_OP_COUNT_ || !spx_ir_op_info(k)->source) return -1;
  return (int)k + 1;
}

/* A call used as a layer: creates it (and its nested calls before it).
 * Returns the layer index, or -1 if no layer could be made. */
static int check_call(sema_t *s, const ast_value_t *call, const char *name,
                      spx_loc_t loc) {
  int opi = op_lookup(call->s), e0 = spx_diag_error_count(s->diag);
  const opspec_t *spec;
  const ast_arg_t *kw[MAX_KEYS] = {NULL};
  int n_pos = 0, inputs_ok = 1, idx, nested_count[SPX_OP_COUNT_] = {0};
  int min_in, max_in;
  int *inputs;
  const ast_arg_t *first_kw = NULL;
  const char *op;

  if (opi < 0 || opi == SPX_OP_INPUT) {
    if (opi == SPX_OP_INPUT)
      ERR(s, call->loc,
          "'input' is not an op; declare inputs with 'input NAME : f32[...]'");
    else if (strcmp(call->s, "random") == 0)
      ERR(s, call->loc, "random(...) is a weight initializer, not an op");
    else
      ERR(s, call->loc, "unknown op '%s'", call->s);
    /* Still check the nested calls' own problems? No: without the op we
     * cannot tell inputs from garbage; stop here. */
    return -1;
  }
  spec = &op_specs[opi];
  SPX_ASSERT(spec->check); /* every op a .spx may call has a handler */
  op = spx_op_name((spx_op_t)opi);
  min_in = spx_ir_op_info(spx_op_ir((spx_op_t)opi))->min_in;
  max_in = spx_ir_op_info(spx_op_ir((spx_op_t)opi))->max_in;
  inputs = spx_arena_alloc(s->arena, sizeof(int) * (size_t)(call->n_args + 1));

  /* Inputs (positional), creating nested layers first. */
  for (const ast_arg_t *a = call->args; a; a = a->next) {
    const ast_value_t *v = a->value;
    int in = -1;
    if (a->key) {
      if (!first_kw) first_kw = a;
      continue;
    }
    if (first_kw) {
      /* Reported, then taken as the input it was meant to be. */
      ERR(s, v->loc, "input after keyword argument '%s'; inputs come first",
          first_kw->key);
      inputs_ok = 0;
    }
    if (v->kind == AST_IDENT) {
      in = resolve_ref(s, v);
    } else if (v->kind == AST_CALL) {
      int nop = op_lookup(v->s);
      const char *nname;
      if (nop >= 0 && nested_count[nop]++ > 0)
        nname = spx_arena_printf(s->arena, "%s.%s_%d", name, v->s,
                                 nested_count[nop]);
      else
        nname = spx_arena_printf(s->arena, "%s.%s", name, v->s);
      in = check_call(s, v, nname, v->loc);
    } else {
      ERR(s, v->loc,
          "input %d of %s must be a layer name or an op call, got %s",
          n_pos + 1, op, kind_str(s, v));
    }
    if (in < 0 || !s->ok[in]) inputs_ok = 0;
    inputs[n_pos++] = in;
  }
  if (n_pos < min_in || (max_in >= 0 && n_pos > max_in)) {
    if (max_in < 0)
      ERR(s, call->loc, "%s expects at least %d inputs, got %d", op,
          min_in, n_pos);
    else if (max_in > min_in)
      ERR(s, call->loc, "%s expects %d to %d inputs, got %d", op, min_in,
          max_in, n_pos);
    else
      ERR(s, call->loc, "%s expects %d input%s, got %d", op, min_in,
          min_in == 1 ? "" : "s", n_pos);
    inputs_ok = 0;
  }

  /* Keyword arguments: known, not repeated. */
  for (const ast_arg_t *a = call->args; a; a = a->next) {
    int k;
    if (!a->key) continue;
    for (k = 0; k < MAX_KEYS && spec->keys[k].key &&
                strcmp(spec->keys[k].key, a->key) != 0;
         k++) {
    }
    if (k == MAX_KEYS || !spec->keys[k].key) {
      if (!spec->keys[0].key)
        ERR(s, a->key_loc, "unknown argument '%s': %s takes no arguments", a->key, op);
      else
        ERR(s, a->key_loc, "unknown argument '%s' for %s", a->key, op);
      continue;
    }
    if (kw[k]) {
      ERR(s, a->key_loc, "duplicate argument '%s'", a->key);
      NOTE(s, kw[k]->key_loc, "previous '%s' is here", a->key);
      continue;
    }
    kw[k] = a;
  }

  idx = new_layer(s, name, (spx_op_t)opi, loc);
  s->layers[idx].n_inputs = n_pos;
  s->layers[idx].inputs = inputs;
  if (spec->check(s, &s->layers[idx], call, kw,
                  inputs_ok && n_pos > 0 ? &s->layers[inputs[0]].shape : NULL) == 0 &&
      inputs_ok &&
      spx_diag_error_count(s->diag) == e0 &&
      check_elements(s, spx_arena_printf(s->arena, "the output of %s", op),
                     s->layers[idx].shape.rank, s->layers[idx].shape.dim, call->loc) == 0)
    s->ok[idx] = 1;
  return idx;
}

/* ---- statements ------------------------------------------------------------- */

static void check_input(sema_t *s, const ast_stmt_t *st) {
  int idx = new_layer(s, st->name, SPX_OP_INPUT, st->name_loc), e0;
  spx_fe_layer_t *L = &s->layers[idx];
  const ast_value_t *dims = st->value;
  int r = 0;
  e0 = spx_diag_error_count(s->diag);
  name_slot(s, st->name)->layer = idx;
  if (strcmp(st->prec, spx_dtype_name(SPX_DT_F32)) != 0)
    ERR(s, st->prec_loc, "unsupported input type '%s'; inputs are f32", st->prec);
  if (dims->n_items < 1 || dims->n_items > SPX_MAX_RANK) {
    ERR(s, dims->loc, "input rank must be between 1 and %d, got %d",
        SPX_MAX_RANK, dims->n_items);
  } else {
    for (const ast_value_t *it = dims->items; it; it = it->next, r++) {
      if (it->kind != AST_INT)
        ERR(s, it->loc, "input dimensions must be integers, got %s", kind_str(s, it));
      else if (it->i < 1)
        ERR(s, it->loc, "input dimensions must be positive, got %lld", (long long)it->i);
      else if (it->i > SPX_FE_SIZE_MAX)
        ERR(s, it->loc, "input dimensions must be at most %lld, got %lld",
            (long long)SPX_FE_SIZE_MAX, (long long)it->i);
      else
        L->shape.dim[r] = it->i;
    }
    L->shape.rank = r;
    if (spx_diag_error_count(s->diag) == e0)
      check_elements(s, spx_arena_printf(s->arena, "input '%s'", st->name), r, L->shape.dim,
                     dims->loc);
  }
  if (spx_diag_error_count(s->diag) == e0) s->ok[idx] = 1;
}

static int count_calls(const ast_value_t *v) {
  int n = 0;
  if (v->kind == AST_CALL) {
    n = 1;
    for (const ast_arg_t *a = v->args; a; a = a->next)
      if (!a->key) n += count_calls(a->value);
  }
  return n;
}

/* Converts an option value. Lists hold scalars only. */
static int convert_option(spx_arena_t *arena, spx_diag_t *diag, const char *dir,
                          const ast_value_t *v, const char *key,
                          spx_fe_option_t *o) {
  o->key = key;
  o->loc = v->loc;
  switch (v->kind) {
  case AST_INT: o->kind = SPX_OPT_INT; o->i = v->i; o->f = (double)v->i; return 0;
  case AST_FLOAT: o->kind = SPX_OPT_FLOAT; o->f = v->f; return 0;
  case AST_IDENT: o->kind = SPX_OPT_IDENT; o->s = v->s; return 0;
  case AST_DIMS: o->kind = SPX_OPT_DIMS; o->i = v->i; o->i2 = v->i2; return 0;
  case AST_STRING: {
    size_t n = strlen(v->s);
    o->kind = SPX_OPT_STRING;
    o->s = v->s;
    if (dir && dir[0] && v->s[0] != '/' && n >= 4 && strcmp(v->s + n - 4, ".npy") == 0)
      o->s = spx_arena_printf(arena, "%s%s", dir, v->s);
    return 0;
  }
  case AST_LIST: {
    spx_fe_option_t *items;
    int i = 0, rc = 0;
    items = spx_arena_alloc(arena, sizeof *items * (size_t)(v->n_items + 1));
    for (const ast_value_t *it = v->items; it; it = it->next, i++) {
      if (it->kind == AST_LIST || it->kind == AST_CALL) {
        spx_diag_error(diag, it->loc, "option lists may hold only numbers, strings and names");
        rc = -1;
        continue;
      }
      rc |= convert_option(arena, diag, dir, it, NULL, &items[i]);
    }
    o->kind = SPX_OPT_LIST;
    o->n_items = v->n_items;
    o->items = items;
    return rc;
  }
  case AST_CALL:
    spx_diag_error(diag, v->loc, "option '%s' cannot be a call", key ? key : "value");
    return -1;
  }
  return -1;
}

/* IDENT or IDENT(options) -> spec. Positional options are allowed only
 * when allow_pos. */
static int convert_spec(spx_arena_t *arena, spx_diag_t *diag, const char *dir,
                        const ast_value_t *v, const ast_arg_t *args,
                        int n_args, int allow_pos, const char *what,
                        spx_fe_spec_t *out) {
  spx_fe_option_t *opts;
  int i = 0, rc = 0;
  memset(out, 0, sizeof *out);
  out->name = v->s;
  out->loc = v->loc;
  if (v->kind == AST_CALL) {
    args = v->args;
    n_args = v->n_args;
  }
  opts = spx_arena_alloc(arena, sizeof *opts * (size_t)(n_args + 1));
  for (const ast_arg_t *a = args; a; a = a->next) {
    if (!a->key && !allow_pos) {
      spx_diag_error(diag, a->value->loc, "%s options must be written key=value", what);
      rc = -1;
      continue;
    }
    if (a->key)
      for (const ast_arg_t *b = args; b != a; b = b->next)
        if (b->key && strcmp(b->key, a->key) == 0) {
          spx_diag_error(diag, a->key_loc, "duplicate option '%s'", a->key);
          spx_diag_note(diag, b->key_loc, "previous '%s' is here", a->key);
          rc = -1;
          break;
        }
    rc |= convert_option(arena, diag, dir, a->value, a->key, &opts[i]);
    if (a->key) opts[i].loc = a->key_loc;
    i++;
  }
  out->n_options = i;
  out->options = opts;
  return rc;
}

static int precision_of(spx_diag_t *diag, const char *p, spx_loc_t loc,
                        spx_fe_precision_t *out) {
  if (strcmp(p, spx_fe_precision_name(SPX_PREC_INT8)) == 0) *out = SPX_PREC_INT8;
  else if (strcmp(p, spx_fe_precision_name(SPX_PREC_F32)) == 0) *out = SPX_PREC_F32;
  else {
    spx_diag_error(diag, loc, "unknown precision '%s'; expected int8 or f32", p);
    return -1;
  }
  return 0;
}

/* The kind a sparsify statement names (v->s, an IDENT or a CALL) must be one
 * the compiler implements. */
static int check_sparsify_kind(const spx_fe_vocab_t *vocab, spx_arena_t *arena,
                               spx_diag_t *diag, const ast_value_t *v) {
  const char *const *kinds = vocab ? vocab->sparsify_kinds : NULL;
  int n = kinds ? vocab->n_sparsify_kinds : 0;
  const char *list = "", *near;
  for (int i = 0; i < n; i++)
    if (strcmp(kinds[i], v->s) == 0) return 0;
  if (!kinds) return 0;
  for (int i = 0; i < n; i++)
    list = spx_arena_printf(arena, "%s%s%s", list,
                            i == 0 ? "" : i == n - 1 ? " or " : ", ", kinds[i]);
  near = spx_diag_suggest(v->s, kinds, n);
  if (near)
    spx_diag_error(diag, v->loc, "unknown sparsify kind '%s'; did you mean '%s'? (expected %s)",
                   v->s, near, list);
  else
    spx_diag_error(diag, v->loc, "unknown sparsify kind '%s'; expected %s", v->s, list);
  return -1;
}

/* `lp(n=8, es=1, rs=4, sf=2)` or with `act=lp(...)`: bound by the shared
 * spec parser (support/numspec.c), errors at the argument. */
static int lp_bind(spx_arena_t *arena, spx_diag_t *diag, const ast_value_t *v, int32_t out[4],
                   const ast_value_t **act) {
  spx_numspec_opt_t *opts = spx_arena_alloc(arena, sizeof *opts * (size_t)(v->n_args + 1));
  spx_numfmt_t f;
  int n = 0, rc = 0;
  if (act) *act = NULL;
  for (const ast_arg_t *a = v->args; a; a = a->next) {
    if (!a->key) {
      spx_diag_error(diag, a->value->loc, "%s parameters are named: n=, es=, rs=, sf=", v->s);
      rc = -1;
      continue;
    }
    if (act && strcmp(a->key, "act") == 0) {
      if (a->value->kind != AST_CALL && a->value->kind != AST_IDENT) {
        spx_diag_error(diag, a->value->loc, "act must be a format, e.g. act=lp(n=8, es=1, rs=4, "
                       "sf=2)");
        rc = -1;
      } else {
        *act = a->value;
      }
      continue;
    }
    if (a->value->kind != AST_INT) {
      spx_diag_error(diag, a->value->loc, "%s parameter '%s' must be an integer", v->s, a->key);
      rc = -1;
      continue;
    }
    opts[n].key = a->key;
    opts[n].key_len = strlen(a->key);
    opts[n].key_loc = a->key_loc;
    opts[n].value = a->value->i;
    opts[n].value_loc = a->value->loc;
    n++;
  }
  if (rc != 0) return -1;
  if (spx_numspec_bind(v->s, strlen(v->s), v->loc, opts, n, diag, &f) != 0) return -1;
  if (f.desc->kind != SPX_NUMFMT_LP) {
    spx_diag_error(diag, v->loc, "quantize LAYER takes int8, f32 or lp(...), not %s "
                   "(the LP datapath is for LP codes)", v->s);
    return -1;
  }
  for (int i = 0; i < 4; i++) out[i] = f.p[i];
  return 0;
}

static int lp_spec(spx_arena_t *arena, spx_diag_t *diag, const ast_value_t *v, spx_fe_lp_t *out) {
  const ast_value_t *act = NULL;
  memset(out, 0, sizeof *out);
  if (lp_bind(arena, diag, v, out->w, &act) != 0) return -1;
  if (act) {
    if (lp_bind(arena, diag, act, out->a, NULL) != 0) return -1;
  } else {
    for (int i = 0; i < 4; i++) out->a[i] = out->w[i];
  }
  out->set = 1;
  out->loc = v->loc;
  return 0;
}

/* `lpq(bits=B, population=P, generations=G, seed=S, samples=N)`: the LPQ
 * search's options (docs/numerics.md, "LPQ"), each checked at its value. */
static int lpq_spec(spx_diag_t *diag, const ast_value_t *v, spx_fe_lp_t *out) {
  static const struct {
    const char *key;
    int64_t min, max, def;
  } ints[] = {{"population", 4, 512, 20}, {"generations", 0, 1000, 15},
              {"seed", 0, INT32_MAX, 1}, {"samples", 1, 65536, 16}};
  int32_t *dst[4] = {&out->population, &out->generations, &out->seed, &out->samples};
  int rc = 0, have_bits = 0;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < 4; i++) *dst[i] = (int32_t)ints[i].def;
  for (const ast_arg_t *a = v->kind == AST_CALL ? v->args : NULL; a; a = a->next) {
    int k = -1;
    if (!a->key) {
      spx_diag_error(diag, a->value->loc, "lpq options are named: bits=, population=, "
                     "generations=, seed=, samples=");
      rc = -1;
      continue;
    }
    for (const ast_arg_t *b = v->args; b != a; b = b->next)
      if (b->key && strcmp(b->key, a->key) == 0) {
        spx_diag_error(diag, a->key_loc, "duplicate option '%s'", a->key);
        rc = -1;
      }
    if (strcmp(a->key, "bits") == 0) {
      double b = a->value->kind == AST_INT ? (double)a->value->i : a->value->f;
      if ((a->value->kind != AST_INT && a->value->kind != AST_FLOAT) || !(b >= 3 && b <= 8)) {
        spx_diag_error(diag, a->value->loc, "lpq bits (the average bits per weight and per "
                       "activation) must be a number in 3 .. 8");
        rc = -1;
      }
      out->bits = b;
      have_bits = 1;
      continue;
    }
    for (int i = 0; i < 4; i++)
      if (strcmp(a->key, ints[i].key) == 0) k = i;
    if (k < 0) {
      spx_diag_error(diag, a->key_loc, "unknown lpq option '%s' (bits, population, generations, "
                     "seed, samples)", a->key);
      rc = -1;
    } else if (a->value->kind != AST_INT || a->value->i < ints[k].min ||
               a->value->i > ints[k].max) {
      spx_diag_error(diag, a->value->loc, "lpq %s must be an integer in %lld .. %lld",
                     ints[k].key, (long long)ints[k].min, (long long)ints[k].max);
      rc = -1;
    } else {
      *dst[k] = (int32_t)a->value->i;
    }
  }
  if (rc == 0 && !have_bits) {
    spx_diag_error(diag, v->loc, "lpq needs bits=B, the average bits per weight and per "
                   "activation (3 .. 8)");
    rc = -1;
  }
  out->set = 1;
  out->search = 1;
  out->loc = v->loc;
  return rc;
}

/* Every lpq(...) of a network is one search with one set of options. */
static int lpq_same(spx_fe_compile_t *c, spx_diag_t *diag, const spx_fe_lp_t *lp) {
  if (!c->lpq.set) {
    c->lpq = *lp;
    return 0;
  }
  if (c->lpq.bits == lp->bits && c->lpq.population == lp->population &&
      c->lpq.generations == lp->generations && c->lpq.seed == lp->seed &&
      c->lpq.samples == lp->samples)
    return 0;
  spx_diag_error(diag, lp->loc, "lpq options differ from an earlier lpq(...): one search "
                 "chooses the formats of every lpq layer, with one budget");
  spx_diag_note(diag, c->lpq.loc, "the earlier lpq(...) is here");
  return -1;
}

int spx_fe_sema_compile_stmt(spx_fe_network_t *net, const ast_stmt_t *st,
                             const char *dir, spx_arena_t *arena,
                             spx_diag_t *diag) {
  spx_fe_compile_t *c = &net->compile;
  switch (st->kind) {
  case ST_QUANT_ALL: {
    spx_fe_precision_t p;
    spx_fe_spec_t spec;
    ast_value_t name;
    int n = 0;
    if (precision_of(diag, st->prec, st->prec_loc, &p) != 0) return -1;
    for (const ast_arg_t *a = st->args; a; a = a->next) n++;
    memset(&name, 0, sizeof name);
    name.kind = AST_IDENT;
    name.s = st->prec;
    name.loc = st->prec_loc;
    if (convert_spec(arena, diag, dir, &name, st->args, n, 0, "quantize", &spec) != 0)
      return -1;
    /* The quantize pass checks its options; what it cannot locate is here:
     * a range is of f32 activations, so its ends must be f32 numbers (an
     * end beyond, e.g. 1e308, would give an infinite int8 scale). */
    for (int i = 0; i < spec.n_options; i++) {
      const spx_fe_option_t *o = &spec.options[i];
      if (!o->key || strcmp(o->key, "range") != 0 || o->kind != SPX_OPT_LIST) continue;
      for (int k = 0; k < o->n_items; k++) {
        const spx_fe_option_t *e = &o->items[k];
        if ((e->kind == SPX_OPT_INT || e->kind == SPX_OPT_FLOAT) && !(fabs(e->f) <= FLT_MAX)) {
          spx_diag_error(diag, e->loc, "range of quantize must be within f32 (magnitude at "
                         "most %g), got %g", (double)FLT_MAX, e->f);
          return -1;
        }
      }
    }
    c->precision = p;
    c->quantize = spec;
    return 0;
  }
  case ST_QUANT_LAYER: {
    int li = -1;
    spx_fe_precision_t p;
    int rc = 0;
    const ast_value_t *v = st->value;
    if (st->name) {
      li = spx_fe_find_layer(net, st->name);
      if (li < 0) {
        spx_diag_error(diag, st->name_loc, "quantize names unknown layer '%s'", st->name);
        rc = -1;
      }
    }
    if (v && v->kind != AST_CALL && strcmp(v->s, "binary") == 0) {
      if (rc == 0 && li >= 0) {
        const spx_fe_layer_t *L = &net->layers[li];
        if (L->op != SPX_OP_CONV2D && L->op != SPX_OP_DENSE) {
          spx_diag_error(diag, st->name_loc, "quantize %s : binary needs a conv2d or dense "
                         "layer; '%s' is %s", st->name, st->name, spx_op_name(L->op));
          rc = -1;
        } else if (!spx_fe_input_pm1(net, li)) {
          const spx_fe_layer_t *I = &net->layers[L->inputs[0]];
          spx_diag_error(diag, st->name_loc, "quantize %s : binary needs inputs of +-1, but "
                         "the input of '%s' is '%s' (%s), not the output of a sign; put "
                         "sign() before it", st->name, st->name, I->name, spx_op_name(I->op));
          rc = -1;
        }
      }
      if (rc != 0) return -1;
      if (li >= 0) {
        c->layers[li].binary = 1;
        c->layers[li].binary_loc = v->loc;
        c->layers[li].lp.set = 0;
        c->layers[li].precision = SPX_PREC_DEFAULT;
      } else {
        c->binary_all = 1;
        c->binary_all_loc = v->loc;
      }
      return 0;
    }
    if (v && (v->kind == AST_CALL || strcmp(v->s, "lp") == 0 || strcmp(v->s, "lpq") == 0)) {
      spx_fe_lp_t lp;
      if (strcmp(v->s, "lpq") == 0) {
        rc |= lpq_spec(diag, v, &lp);
        if (rc == 0) rc |= lpq_same(c, diag, &lp);
      } else {
        rc |= lp_spec(arena, diag, v, &lp);
      }
      if (rc == 0 && li >= 0) {
        const spx_fe_layer_t *L = &net->layers[li];
        if (L->op != SPX_OP_CONV2D && L->op != SPX_OP_DENSE) {
          spx_diag_error(diag, st->name_loc, "quantize %s : %s(...) needs a conv2d or dense "
                         "layer; '%s' is %s", st->name, v->s, st->name, spx_op_name(L->op));
          rc = -1;
        }
      }
      if (rc != 0) return -1;
      if (li >= 0) {
        c->layers[li].lp = lp;
        c->layers[li].binary = 0;
        c->layers[li].precision = SPX_PREC_DEFAULT;
      } else {
        c->lp_all = lp;
      }
      return 0;
    }
    if (!st->name) {
      spx_diag_error(diag, st->prec_loc, "quantize * takes binary, lp(...) or lpq(...); the network's "
                     "precision is 'quantize int8' or the default f32");
      return -1;
    }
    rc |= precision_of(diag, st->prec, st->prec_loc, &p);
    if (rc == 0) {
      c->layers[li].precision = p;
      c->layers[li].lp.set = 0;
      c->layers[li].binary = 0;
    }
    return rc;
  }
  case ST_SPARSIFY: {
    spx_fe_spec_t spec;
    int li = -1, rc = 0;
    if (st->name) {
      li = spx_fe_find_layer(net, st->name);
      if (li < 0) {
        spx_diag_error(diag, st->name_loc, "sparsify names unknown layer '%s'", st->name);
        rc = -1;
      }
    }
    rc |= check_sparsify_kind(net->vocab, arena, diag, st->value);
    rc |= convert_spec(arena, diag, dir, st->value, NULL, 0, 1, "sparsify", &spec);
    if (rc != 0) return -1;
    if (st->name) c->layers[li].sparsify = spec;
    else c->sparsify_all = spec;
    return 0;
  }
  case ST_TARGET: {
    spx_fe_spec_t spec;
    if (convert_spec(arena, diag, dir, st->value, NULL, 0, 0, "target", &spec) != 0)
      return -1;
    c->target = spec;
    return 0;
  }
  case ST_INPUT:
  case ST_LAYER:
  case ST_OUTPUT:
    break;
  }
  SPX_UNREACHABLE("not a compile statement");
  return -1;
}

/* ---- binary layers ----------------------------------------------------- */

int spx_fe_input_pm1(const spx_fe_network_t *net, int layer) {
  const spx_fe_layer_t *L = &net->layers[layer];
  if (L->n_inputs < 1) return 0;
  int j = L->inputs[0];
  /* maxpool, flatten and reshape keep +-1 values +-1 */
  while (net->layers[j].n_inputs >= 1 &&
         (net->layers[j].op == SPX_OP_MAXPOOL || net->layers[j].op == SPX_OP_FLATTEN ||
          net->layers[j].op == SPX_OP_RESHAPE))
    j = net->layers[j].inputs[0];
  return net->layers[j].op == SPX_OP_SIGN;
}

int spx_fe_layer_binary(const spx_fe_network_t *net, int layer) {
  const spx_fe_layer_cfg_t *cfg = net->compile.layers ? &net->compile.layers[layer] : NULL;
  const spx_fe_layer_t *L = &net->layers[layer];
  if (cfg && cfg->binary) return 1;
  if (!net->compile.binary_all || (L->op != SPX_OP_CONV2D && L->op != SPX_OP_DENSE)) return 0;
  if (cfg && (cfg->precision != SPX_PREC_DEFAULT || cfg->lp.set)) return 0;
  int first = -1, last = -1;
  for (int i = 0; i < net->n_layers; i++)
    if (net->layers[i].op == SPX_OP_CONV2D || net->layers[i].op == SPX_OP_DENSE) {
      if (first < 0) first = i;
      last = i;
    }
  return layer != first && layer != last && spx_fe_input_pm1(net, layer);
}

int spx_fe_check_binary(const spx_fe_network_t *net, spx_diag_t *diag) {
  const spx_fe_compile_t *c = &net->compile;
  int rc = 0, lp_reported = 0;
  for (int i = 0; i < net->n_layers; i++) {
    if (!spx_fe_layer_binary(net, i)) continue;
    const spx_fe_layer_cfg_t *cfg = c->layers ? &c->layers[i] : NULL;
    const char *name = net->layers[i].name;
    spx_loc_t bloc = cfg && cfg->binary ? cfg->binary_loc : c->binary_all_loc;
    if (!(cfg && cfg->binary) && c->lp_all.set && !lp_reported) {
      spx_diag_error(diag, c->binary_all_loc, "quantize * : binary and quantize * : %s(...) "
                     "both select layer '%s': a layer is binary or LP, not both (name one "
                     "with quantize LAYER)", c->lp_all.search ? "lpq" : "lp", name);
      spx_diag_note(diag, c->lp_all.loc, "the %s(...) is here", c->lp_all.search ? "lpq" : "lp");
      lp_reported = 1;
      rc = -1;
    }
    if (cfg && cfg->sparsify.name && strcmp(cfg->sparsify.name, "none") != 0 &&
        strcmp(cfg->sparsify.name, "binsparx") != 0) {
      spx_diag_error(diag, cfg->sparsify.loc, "layer '%s' is binary: its weights are +-1 "
                     "(times alpha) and cannot be sparsified with %s (binary layers take "
                     "binsparx or none)", name, cfg->sparsify.name);
      spx_diag_note(diag, bloc, "'%s' is made binary here", name);
      rc = -1;
    }
  }
  return rc;
}

int spx_fe_sema(const spx_parse_state_t *ps, const char *path, const char *dir,
                const spx_fe_vocab_t *vocab, spx_arena_t *arena, spx_wstore_t *store, spx_diag_t *diag,
                spx_fe_network_t **out_net) {
  sema_t s;
  spx_fe_network_t *net;
  const ast_block_t *nb = ps->network;
  int e0 = spx_diag_error_count(diag), n_out = 0, have_input = 0, have_output = 0;
  int *outputs;

  *out_net = NULL;
  memset(&s, 0, sizeof s);
  s.arena = arena;
  s.diag = diag;
  s.store = store;
  s.dir = dir;
  s.mem = ps->mem;
  s.n_mem = ps->n_mem;
  if (s.n_mem > 0) {
    s.mem_cap = 16;
    while (s.mem_cap < (size_t)s.n_mem * 2) s.mem_cap *= 2;
    s.mem_tab = spx_arena_alloc(arena, s.mem_cap * sizeof *s.mem_tab);
    for (int i = 0; i < s.n_mem; i++) {
      const spx_fe_memfile_t **slot = mem_slot(&s, s.mem[i].path);
      if (!*slot) *slot = &s.mem[i]; /* a repeated path: the first, as a scan finds */
    }
  }

  /* Capacity: every input, layer and nested call; names: a power of two at
   * least twice the number of statements. */
  {
    int n_stmts = 0;
    for (const ast_stmt_t *st = nb->stmts; st; st = st->next) {
      n_stmts++;
      if (st->kind == ST_INPUT) s.cap++;
      else if (st->kind == ST_LAYER) s.cap += count_calls(st->value);
      else if (st->kind == ST_OUTPUT) n_out += st->value->n_items;
    }
    s.layers = spx_arena_alloc(arena, sizeof *s.layers * (size_t)(s.cap + 1));
    s.ok = spx_arena_alloc(arena, (size_t)(s.cap + 1));
    s.names_cap = 16;
    while (s.names_cap < (size_t)n_stmts * 2) s.names_cap *= 2;
    s.names = spx_arena_alloc(arena, sizeof *s.names * s.names_cap);
  }
  outputs = spx_arena_alloc(arena, sizeof(int) * (size_t)(n_out + 1));
  n_out = 0;

  /* Names first, so that a use before the definition can say so. */
  for (const ast_stmt_t *st = nb->stmts; st; st = st->next) {
    name_entry_t *e;
    if (st->kind != ST_INPUT && st->kind != ST_LAYER) continue;
    e = name_slot(&s, st->name);
    if (e->name) {
      ERR(&s, st->name_loc, "duplicate layer name '%s'", st->name);
      NOTE(&s, e->loc, "'%s' is first defined here", st->name);
      continue;
    }
    e->name = st->name;
    e->loc = st->name_loc;
    e->layer = -1;
  }

  for (const ast_stmt_t *st = nb->stmts; st; st = st->next) {
    name_entry_t *e =
        (st->kind == ST_INPUT || st->kind == ST_LAYER) ? name_slot(&s, st->name) : NULL;
    if (e && (e->layer >= 0 || e->loc.line != st->name_loc.line ||
              e->loc.col != st->name_loc.col))
      continue; /* a duplicate, reported above */
    switch (st->kind) {
    case ST_INPUT:
      have_input = 1;
      check_input(&s, st);
      break;
    case ST_LAYER: {
      int idx;
      s.current = st->name;
      idx = check_call(&s, st->value, st->name, st->name_loc);
      s.current = NULL;
      /* A failed op lookup leaves no layer; keep the name defined anyway
       * (as an errored input) so that its uses are not reported again. */
      if (idx < 0) {
        idx = new_layer(&s, st->name, SPX_OP_INPUT, st->name_loc);
        s.ok[idx] = 0;
      }
      e->layer = idx;
      break;
    }
    case ST_OUTPUT:
      have_output = 1;
      for (const ast_value_t *v = st->value->items; v; v = v->next) {
        name_entry_t *o = name_slot(&s, v->s);
        int dup = 0;
        if (!o->name || o->layer < 0) {
          ERR(&s, v->loc, o->name ? "output '%s' is used before its definition"
                                  : "output names unknown layer '%s'",
              v->s);
          continue;
        }
        for (int i = 0; i < n_out; i++)
          if (outputs[i] == o->layer) dup = 1;
        if (dup) {
          ERR(&s, v->loc, "layer '%s' is already an output", v->s);
          continue;
        }
        outputs[n_out++] = o->layer;
      }
      break;
    default:
      SPX_UNREACHABLE("compile statement in a network block");
    }
  }
  if (!have_input)
    ERR(&s, nb->name_loc,
        "network '%s' has no input; declare one with 'input NAME : f32[...]'",
        nb->name);
  if (!have_output)
    ERR(&s, nb->name_loc, "network '%s' has no output; add 'output NAME'",
        nb->name);

  net = spx_arena_alloc(arena, sizeof *net);
  net->name = nb->name;
  net->name_loc = nb->name_loc;
  net->file = path;
  net->n_layers = s.n;
  net->layers = s.layers;
  spx_fe_index_layers(net, arena);
  net->n_outputs = n_out;
  net->outputs = outputs;
  net->vocab = vocab;
  net->compile.precision = SPX_PREC_F32;
  net->compile.layers =
      spx_arena_alloc(arena, sizeof *net->compile.layers * (size_t)(s.n + 1));

  if (ps->compile) {
    const ast_block_t *cb = ps->compile;
    if (strcmp(cb->name, nb->name) != 0) {
      ERR(&s, cb->name_loc, "compile block names '%s', but the network is '%s'",
          cb->name, nb->name);
      NOTE(&s, nb->name_loc, "network '%s' is defined here", nb->name);
    }
    for (const ast_stmt_t *st = cb->stmts; st; st = st->next)
      spx_fe_sema_compile_stmt(net, st, dir, arena, diag);
  }

  if (spx_diag_error_count(diag) != e0) return -1;
  *out_net = net;
  return 0;
}
