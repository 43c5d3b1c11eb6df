/* onnx.c - ONNX import (spx_fe.h, docs/onnx.md): an .onnx ModelProto, read
 * with protobuf-c (code generated at build time from Debian's onnx.proto),
 * becomes the equivalent .spx text plus its weights as in-memory .npy
 * files; spx_fe_load_import then parses and checks that text like a .spx
 * file. Each ONNX op is lowered exactly to the language's ops, or reported
 * as unsupported with the reason: no approximations. Every unsupported node
 * is reported, by index, name and op type, before giving up. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "frontend/ast.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPSET_MIN = 7, OPSET_MAX = 17 };
/* The largest .onnx read (protobuf-c unpacks from one buffer). */
#define ONNX_FILE_MAX ((size_t)1 << 31)

/* ---- values --------------------------------------------------------------- */

typedef enum vkind {
  V_POISON, /* produced by a node that was not imported: uses say nothing */
  V_LAYER,  /* an input or a layer of the .spx network */
  V_CONST,  /* an initializer or a Constant's output */
} vkind_t;

typedef struct value {
  const char *name;  /* the ONNX name */
  vkind_t kind;
  const char *ident; /* V_LAYER: its .spx name */
  spx_shape_t shape; /* V_LAYER, V_CONST */
  /* V_CONST: data as doubles (f32/f64/int8/int32/int64 all fit exactly
   * enough: int64 shapes are small), count elements. */
  double *data;
  size_t count;
  int is_int;
  /* V_LAYER of a conv2d/dense whose only consumer is an Add of a constant
   * that broadcasts per output channel: its bias (zeros if the node had
   * none), which that Add folds the constant into. */
  float *fold_bias;
} value_t;

typedef struct imp {
  spx_arena_t *arena;
  spx_diag_t *diag;
  const char *file;
  int opset;
  int errors;
  /* Values by ONNX name: open addressing, power-of-two size. */
  value_t **vals;
  size_t vcap, nvals;
  /* Uses of each ONNX name (node inputs and graph outputs) and the index
   * of its last consuming node: open addressing, power-of-two size. */
  const char **use_keys;
  int *use_count, *use_node;
  size_t ucap;
  const Onnx__GraphProto *graph;
  /* .spx names in use. */
  const char **idents;
  size_t icap, nidents;
  FILE *out; /* the network block, built in memory */
  spx_fe_memfile_t *files;
  int n_files, cap_files;
  /* The node being imported, for messages. */
  int node_index;
  const Onnx__NodeProto *node;
} imp_t;

static spx_loc_t file_loc(const imp_t *m) { return spx_fe_mkloc(m->file, 0, 0); }

/* Printable, one line: a name as it appears in a message or a comment. */
static const char *printable(imp_t *m, const char *s) {
  char *t = spx_arena_strdup(m->arena, s ? s : "");
  for (char *p = t; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  return t;
}

static const char *node_desc(imp_t *m) {
  return spx_arena_printf(m->arena, "node %d '%s' (%s)", m->node_index,
                          printable(m, m->node->name), printable(m, m->node->op_type));
}

/* An unsupported node or a bad one: at the file, naming the node. */
#define NODE_ERR(m, ...) node_err(m, spx_arena_printf((m)->arena, __VA_ARGS__))
static int node_err(imp_t *m, const char *msg) {
  spx_diag_error(m->diag, file_loc(m), "%s: %s", node_desc(m), msg);
  m->errors++;
  return -1;
}
#define FILE_ERR(m, ...)                                                      \
  do {                                                                        \
    spx_diag_error((m)->diag, file_loc(m), __VA_ARGS__);                      \
    (m)->errors++;                                                            \
  } while (0)

static size_t hash_slot(const char *const *keys, size_t cap, const char *name) {
  size_t i = (size_t)spx_hash_str(name) & (cap - 1);
  while (keys[i] && strcmp(keys[i], name) != 0) i = (i + 1) & (cap - 1);
  return i;
}

static value_t *find_value(imp_t *m, const char *name) {
  if (!name || !name[0]) return NULL;
  size_t i = (size_t)spx_hash_str(name) & (m->vcap - 1);
  for (; m->vals[i]; i = (i + 1) & (m->vcap - 1))
    if (strcmp(m->vals[i]->name, name) == 0) return m->vals[i];
  return NULL;
}

/* Defines (or redefines: ONNX names are SSA, a repeat is reported) name. */
static value_t *new_value(imp_t *m, const char *name, vkind_t kind) {
  if (2 * (m->nvals + 1) > m->vcap) {
    size_t cap = m->vcap * 2;
    value_t **v = spx_arena_alloc(m->arena, cap * sizeof *v);
    for (size_t i = 0; i < m->vcap; i++) {
      if (!m->vals[i]) continue;
      size_t j = (size_t)spx_hash_str(m->vals[i]->name) & (cap - 1);
      while (v[j]) j = (j + 1) & (cap - 1);
      v[j] = m->vals[i];
    }
    m->vals = v;
    m->vcap = cap;
  }
  size_t i = (size_t)spx_hash_str(name) & (m->vcap - 1);
  while (m->vals[i] && strcmp(m->vals[i]->name, name) != 0) i = (i + 1) & (m->vcap - 1);
  value_t *v = spx_arena_alloc(m->arena, sizeof *v);
  v->name = spx_arena_strdup(m->arena, name);
  v->kind = kind;
  if (!m->vals[i]) m->nvals++;
  m->vals[i] = v;
  return v;
}

/* A valid, unused .spx identifier for an ONNX name: every character
 * outside [A-Za-z0-9_] becomes '_', a leading digit (or nothing) gets "t_"
 * before it, and a name already taken gets "_2", "_3", ... after it.
 * Deterministic: names are taken in file order. */
static const char *make_ident(imp_t *m, const char *name) {
  size_t n = strlen(name);
  char *base = spx_arena_alloc(m->arena, n + 3);
  size_t k = 0;
  if (n == 0 || (name[0] >= '0' && name[0] <= '9')) {
    base[k++] = 't';
    base[k++] = '_';
  }
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    base[k++] = ok ? c : '_';
  }
  base[k] = '\0';
  if (2 * (m->nidents + 1) > m->icap) {
    size_t cap = m->icap * 2;
    const char **t = spx_arena_alloc(m->arena, cap * sizeof *t);
    for (size_t i = 0; i < m->icap; i++)
      if (m->idents[i]) t[hash_slot(t, cap, m->idents[i])] = m->idents[i];
    m->idents = t;
    m->icap = cap;
  }
  const char *id = base;
  for (int suffix = 2; m->idents[hash_slot(m->idents, m->icap, id)]; suffix++)
    id = spx_arena_printf(m->arena, "%s_%d", base, suffix);
  m->idents[hash_slot(m->idents, m->icap, id)] = id;
  m->nidents++;
  return id;
}

/* Counts one use of name by node `node` (-1: a graph output). */
static void count_use(imp_t *m, const char *name, int node) {
  if (!name || !name[0]) return;
  size_t i = hash_slot(m->use_keys, m->ucap, name);
  if (!m->use_keys[i]) m->use_keys[i] = name;
  m->use_count[i]++;
  m->use_node[i] = node;
}

/* Before the nodes are imported: how often each name is used, and by which
 * node last (so that a producer can tell whether its only consumer is an
 * Add it may fold into it). */
static void count_uses(imp_t *m, const Onnx__GraphProto *g) {
  size_t n = g->n_output;
  for (size_t i = 0; i < g->n_node; i++) n += g->node[i]->n_input;
  m->ucap = 64;
  while (m->ucap < 2 * n + 2) m->ucap *= 2;
  m->use_keys = spx_arena_alloc(m->arena, m->ucap * sizeof *m->use_keys);
  m->use_count = spx_arena_alloc(m->arena, m->ucap * sizeof *m->use_count);
  m->use_node = spx_arena_alloc(m->arena, m->ucap * sizeof *m->use_node);
  for (size_t i = 0; i < g->n_node; i++)
    for (size_t k = 0; k < g->node[i]->n_input; k++) count_use(m, g->node[i]->input[k], (int)i);
  for (size_t i = 0; i < g->n_output; i++) count_use(m, g->output[i]->name, -1);
}

/* The node that is the only use of name, or NULL (no use, several, or a
 * graph output). */
static const Onnx__NodeProto *only_consumer(const imp_t *m, const char *name) {
  if (!name || !name[0] || !m->ucap) return NULL;
  size_t i = hash_slot(m->use_keys, m->ucap, name);
  if (!m->use_keys[i] || m->use_count[i] != 1 || m->use_node[i] < 0) return NULL;
  return m->graph->node[m->use_node[i]];
}

/* ---- tensors ---------------------------------------------------------------- */

static int64_t shape_count(const spx_shape_t *s) {
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++) n *= s->dim[i];
  return n;
}

/* Elements of a shape, in double (no overflow), for size checks. */
static double shape_count_d(const spx_shape_t *s) {
  double n = 1;
  for (int i = 0; i < s->rank; i++) n *= (double)s->dim[i];
  return n;
}

static const char *shape_text(imp_t *m, const spx_shape_t *s) {
  char buf[SPX_MAX_RANK * 24 + 4];
  size_t k = 0;
  buf[k++] = '[';
  for (int i = 0; i < s->rank; i++)
    k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%lld", i ? ", " : "", (long long)s->dim[i]);
  snprintf(buf + k, sizeof buf - k, "]");
  return spx_arena_strdup(m->arena, buf);
}

static float rd_f32(const uint8_t *p) {
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint64_t rd_u64(const uint8_t *p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
  return u;
}

/* Reads a TensorProto into v (kind V_CONST). `what` names it in messages. */
static int read_tensor(imp_t *m, const Onnx__TensorProto *t, value_t *v, const char *what) {
  v->kind = V_CONST;
  if (t->n_dims > SPX_MAX_RANK) {
    FILE_ERR(m, "%s: rank %zu tensor; at most %d dimensions", what, t->n_dims, SPX_MAX_RANK);
    return -1;
  }
  v->shape.rank = (int)t->n_dims;
  size_t count = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || t->dims[i] > SPX_FE_SIZE_MAX ||
        (t->dims[i] && count > (size_t)SPX_FE_ELEMENTS_MAX / (size_t)t->dims[i])) {
      FILE_ERR(m, "%s: dimension %lld is out of range", what, (long long)t->dims[i]);
      return -1;
    }
    v->shape.dim[i] = t->dims[i];
    count *= (size_t)t->dims[i];
  }
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    FILE_ERR(m, "%s: external data is not supported (save the model with its weights inside)",
             what);
    return -1;
  }
  int dt = t->has_data_type ? t->data_type : 0;
  size_t elem;
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: elem = 4; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: elem = 8; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: elem = 1; v->is_int = 1; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: elem = 4; v->is_int = 1; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: elem = 8; v->is_int = 1; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: elem = 1; v->is_int = 1; break;
  default:
    FILE_ERR(m, "%s: data type %d is not supported (float, double, int8, int32, int64, bool)",
             what, dt);
    return -1;
  }
  v->count = count;
  v->data = spx_arena_alloc(m->arena, (count ? count : 1) * sizeof(double));
  if (t->has_raw_data) {
    if (t->raw_data.len != count * elem) {
      FILE_ERR(m, "%s: raw_data holds %zu bytes; shape %s needs %zu", what, t->raw_data.len,
               shape_text(m, &v->shape), count * elem);
      return -1;
    }
    const uint8_t *p = t->raw_data.data;
    for (size_t i = 0; i < count; i++, p += elem) {
      switch (dt) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: v->data[i] = rd_f32(p); break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        uint64_t u = rd_u64(p);
        double d;
        memcpy(&d, &u, 8);
        v->data[i] = d;
        break;
      }
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: v->data[i] = (int8_t)p[0]; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: v->data[i] = p[0] != 0; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        v->data[i] = (int32_t)u;
        break;
      }
      default: v->data[i] = (double)(int64_t)rd_u64(p); break;
      }
    }
    return 0;
  }
  size_t have;
  switch (dt) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = t->n_float_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = t->n_int64_data; break;
  default: have = t->n_int32_data; break; /* int8, int32, bool */
  }
  if (have != count) {
    FILE_ERR(m, "%s: holds %zu values; shape %s needs %zu", what, have,
             shape_text(m, &v->shape), count);
    return -1;
  }
  for (size_t i = 0; i < count; i++) {
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: v->data[i] = t->float_data[i]; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: v->data[i] = t->double_data[i]; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: v->data[i] = (double)t->int64_data[i]; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: v->data[i] = (int8_t)t->int32_data[i]; break;
    default: v->data[i] = t->int32_data[i]; break;
    }
  }
  return 0;
}

/* ---- attributes --------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const imp_t *m, const char *name) {
  for (size_t i = 0; i < m->node->n_attribute; i++)
    if (m->node->attribute[i]->name && strcmp(m->node->attribute[i]->name, name) == 0)
      return m->node->attribute[i];
  return NULL;
}

static int64_t attr_int(const imp_t *m, const char *name, int64_t dflt) {
  const Onnx__AttributeProto *a = attr(m, name);
  return a && a->has_i ? a->i : dflt;
}

static double attr_float(const imp_t *m, const char *name, double dflt) {
  const Onnx__AttributeProto *a = attr(m, name);
  return a && a->has_f ? a->f : dflt;
}

static const char *attr_string(imp_t *m, const char *name, const char *dflt) {
  const Onnx__AttributeProto *a = attr(m, name);
  if (!a || !a->has_s) return dflt;
  return spx_arena_strndup(m->arena, (const char *)a->s.data, a->s.len);
}

/* An ints attribute of exactly n values into out; -1 if it has another
 * length (reported); 0 if absent (out untouched) or read. */
static int attr_ints(imp_t *m, const char *name, int n, int64_t *out) {
  const Onnx__AttributeProto *a = attr(m, name);
  if (!a) return 0;
  if ((int)a->n_ints != n) {
    return NODE_ERR(m, "attribute '%s' has %zu values; expected %d (only 2-D %s is supported)",
                    name, a->n_ints, n, "spatial data");
  }
  for (int i = 0; i < n; i++) out[i] = a->ints[i];
  return 0;
}

/* Attributes the importer does not know make a node unsupported rather than
 * silently ignored. */
static int check_attrs(imp_t *m, const char *const *known) {
  int rc = 0;
  for (size_t i = 0; i < m->node->n_attribute; i++) {
    const char *a = m->node->attribute[i]->name ? m->node->attribute[i]->name : "";
    int ok = 0;
    for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, a) == 0;
    if (!ok) rc = NODE_ERR(m, "attribute '%s' is not supported", printable(m, a));
  }
  return rc;
}

/* ---- inputs of a node --------------------------------------------------------- */

static int n_in(const imp_t *m) {
  int n = (int)m->node->n_input;
  while (n > 0 && !m->node->input[n - 1][0]) n--; /* trailing "" are absent */
  return n;
}

/* Input k as a value; NULL if absent. A name never defined is an error;
 * a poisoned value makes the node silently skipped (*skip). */
static value_t *input(imp_t *m, int k, int *skip) {
  if (k >= (int)m->node->n_input || !m->node->input[k][0]) return NULL;
  value_t *v = find_value(m, m->node->input[k]);
  if (!v) {
    NODE_ERR(m, "input %d '%s' is not defined by an earlier node, an initializer or a graph input",
             k, printable(m, m->node->input[k]));
    *skip = 1;
    return NULL;
  }
  if (v->kind == V_POISON) *skip = 1;
  return v;
}

/* ---- output ------------------------------------------------------------------- */

static void emit_line_end(imp_t *m) {
  fprintf(m->out, "  # %s\n", node_desc(m));
}

/* A weight as an in-memory .npy: returns its path for the text. */
static const char *add_file(imp_t *m, const char *layer, const char *role, const float *data,
                            int rank, const int64_t *dims) {
  if (m->n_files == m->cap_files) {
    int cap = m->cap_files ? 2 * m->cap_files : 16;
    spx_fe_memfile_t *f = spx_arena_alloc(m->arena, (size_t)cap * sizeof *f);
    if (m->n_files) memcpy(f, m->files, (size_t)m->n_files * sizeof *f);
    m->files = f;
    m->cap_files = cap;
  }
  spx_fe_memfile_t *f = &m->files[m->n_files++];
  f->path = spx_arena_printf(m->arena, "weights/%s.%s.npy", layer, role);
  f->npy.dtype = SPX_DT_F32;
  f->npy.rank = rank;
  f->npy.count = 1;
  for (int i = 0; i < rank; i++) {
    f->npy.dims[i] = dims[i];
    f->npy.count *= (size_t)dims[i];
  }
  f->npy.data = (void *)data;
  return f->path;
}

static float *const_f32(imp_t *m, const value_t *v) {
  float *d = spx_arena_alloc(m->arena, (v->count ? v->count : 1) * sizeof *d);
  for (size_t i = 0; i < v->count; i++) d[i] = (float)v->data[i];
  return d;
}

/* Defines output 0 of the node as a new layer of the given shape; returns
 * its identifier. */
static const char *def_layer(imp_t *m, const spx_shape_t *shape) {
  value_t *v = new_value(m, m->node->output[0], V_LAYER);
  v->ident = make_ident(m, m->node->output[0]);
  v->shape = *shape;
  return v->ident;
}

static void alias(imp_t *m, const value_t *src) {
  value_t *v = new_value(m, m->node->output[0], src->kind);
  const char *name = v->name;
  *v = *src;
  v->name = name;
}

/* ---- ops ------------------------------------------------------------------------ */

static int emit_reshape(imp_t *m, const value_t *x, const spx_shape_t *s, const char *id);

static int need_layer(imp_t *m, const value_t *v, int k) {
  if (v && v->kind == V_CONST)
    return NODE_ERR(m, "input %d '%s' is a constant; spx layers compute on activations only "
                       "(constants are folded in shape computations only)", k,
                    printable(m, v->name));
  if (!v) return NODE_ERR(m, "input %d is missing", k);
  return 0;
}

static int need_const(imp_t *m, const value_t *v, int k, const char *what) {
  if (!v) return NODE_ERR(m, "input %d (%s) is missing", k, what);
  if (v->kind != V_CONST)
    return NODE_ERR(m, "input %d '%s' (%s) must be a constant (an initializer or a Constant)",
                    k, printable(m, v->name), what);
  return 0;
}

/* ---- constants that broadcast onto an activation ------------------------------ */

/* How a constant c broadcasts onto an activation of shape s (numpy rules:
 * aligned at the last axis) with a result of shape s: BC_NO if it does not
 * (a dimension neither 1 nor s's, or more dimensions than s); BC_CHANNEL if
 * it varies along axis 1 at most (one value per channel, or a scalar);
 * BC_FULL otherwise. */
enum { BC_NO, BC_CHANNEL, BC_FULL };
static int bcast_kind(const value_t *c, const spx_shape_t *s) {
  int r = s->rank, rc = c->shape.rank, kind = BC_CHANNEL;
  if (rc > r) return BC_NO;
  for (int i = 0; i < rc; i++) {
    int64_t d = c->shape.dim[rc - 1 - i];
    int axis = r - 1 - i;
    if (d != 1 && d != s->dim[axis]) return BC_NO;
    if (d != 1 && axis != 1) kind = BC_FULL;
  }
  return kind;
}

/* c broadcast onto s (bcast_kind not BC_NO): shape_count(s) values, in the
 * order of s. */
static double *bcast_expand(imp_t *m, const value_t *c, const spx_shape_t *s) {
  int64_t total = shape_count(s), idx[SPX_MAX_RANK] = {0};
  int r = s->rank, rc = c->shape.rank;
  double *out = spx_arena_alloc(m->arena, (size_t)(total ? total : 1) * sizeof *out);
  for (int64_t f = 0; f < total; f++) {
    int64_t ci = 0;
    for (int i = 0; i < rc; i++)
      ci = ci * c->shape.dim[i] + (c->shape.dim[i] == 1 ? 0 : idx[r - rc + i]);
    out[f] = c->data[ci];
    for (int i = r - 1; i >= 0 && ++idx[i] == s->dim[i]; i--) idx[i] = 0;
  }
  return out;
}

/* Whether the conv2d/dense that output 0 of the node becomes (shape s) takes
 * the constant of its only consumer: an Add of an already defined constant
 * that broadcasts per output channel onto it (a bias add, as exporters write
 * one for Keras/TF dense layers and for PyTorch biases). The Add then folds
 * that constant into the layer's bias instead of adding a layer. */
static int fold_target(imp_t *m, const spx_shape_t *s) {
  const char *out = m->node->output[0];
  const Onnx__NodeProto *add = only_consumer(m, out);
  if (!add || !add->op_type || strcmp(add->op_type, "Add") != 0 || add->n_input != 2 ||
      add->n_attribute != 0 || (add->domain && add->domain[0] && strcmp(add->domain, "ai.onnx") != 0))
    return 0;
  const value_t *c = find_value(m, strcmp(add->input[0], out) == 0 ? add->input[1] : add->input[0]);
  return s->rank >= 2 && c && c->kind == V_CONST && bcast_kind(c, s) == BC_CHANNEL;
}

static float *zeros_f32(imp_t *m, int64_t n) {
  return spx_arena_alloc(m->arena, (size_t)(n > 0 ? n : 1) * sizeof(float));
}

static int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/* Pads of a windowed op from auto_pad/pads: out[4] = top, left, bottom,
 * right. `eff` is the effective window ((k-1)*d+1). */
static int window_pads(imp_t *m, const spx_shape_t *in, const int64_t *eff, const int64_t *stride,
                       int64_t *pads) {
  const char *ap = attr_string(m, "auto_pad", "NOTSET");
  int64_t p[4] = {0, 0, 0, 0};
  if (attr_ints(m, "pads", 4, p) != 0) return -1;
  if (strcmp(ap, "NOTSET") == 0) {
    memcpy(pads, p, sizeof p);
  } else if (strcmp(ap, "VALID") == 0) {
    memset(pads, 0, 4 * sizeof *pads);
  } else if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
    for (int i = 0; i < 2; i++) {
      int64_t n = in->dim[2 + i], out = ceil_div(n, stride[i]);
      int64_t total = (out - 1) * stride[i] + eff[i] - n;
      if (total < 0) total = 0;
      int64_t small = total / 2, big = total - small;
      pads[i] = ap[5] == 'U' ? small : big;
      pads[2 + i] = ap[5] == 'U' ? big : small;
    }
  } else {
    return NODE_ERR(m, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                    printable(m, ap));
  }
  for (int i = 0; i < 4; i++)
    if (pads[i] < 0) return NODE_ERR(m, "negative pads are not supported");
  return 0;
}

static int need_rank4(imp_t *m, const value_t *x) {
  if (x->shape.rank != 4)
    return NODE_ERR(m, "input has shape %s; only 2-D spatial data [N, C, H, W] is supported",
                    shape_text(m, &x->shape));
  return 0;
}

static int op_conv(imp_t *m) {
  static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                      "strides", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip), *w = input(m, 1, &skip), *b = input(m, 2, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (need_layer(m, x, 0) || need_const(m, w, 1, "weights") || (b && need_const(m, b, 2, "bias")))
    return -1;
  if (need_rank4(m, x)) return -1;
  if (w->shape.rank != 4)
    return NODE_ERR(m, "weights have shape %s; expected [M, C/group, kH, kW]",
                    shape_text(m, &w->shape));
  int64_t dil[2] = {1, 1}, stride[2] = {1, 1}, k[2] = {w->shape.dim[2], w->shape.dim[3]};
  int64_t group = attr_int(m, "group", 1), pads[4], eff[2];
  if (attr_ints(m, "dilations", 2, dil) || attr_ints(m, "strides", 2, stride)) return -1;
  int64_t ks[2] = {k[0], k[1]};
  if (attr_ints(m, "kernel_shape", 2, ks)) return -1;
  if (ks[0] != k[0] || ks[1] != k[1])
    return NODE_ERR(m, "kernel_shape [%lld, %lld] disagrees with the weights' %s",
                    (long long)ks[0], (long long)ks[1], shape_text(m, &w->shape));
  for (int i = 0; i < 2; i++) {
    if (dil[i] < 1 || stride[i] < 1) return NODE_ERR(m, "dilations and strides must be >= 1");
    eff[i] = (k[i] - 1) * dil[i] + 1;
  }
  if (group < 1) return NODE_ERR(m, "group must be >= 1");
  if (window_pads(m, &x->shape, eff, stride, pads)) return -1;
  int64_t cout = w->shape.dim[0];
  if (b && (b->shape.rank != 1 || b->shape.dim[0] != cout))
    return NODE_ERR(m, "bias has shape %s; expected [%lld]", shape_text(m, &b->shape),
                    (long long)cout);
  spx_shape_t s = x->shape;
  s.dim[1] = cout;
  for (int i = 0; i < 2; i++) {
    int64_t span = x->shape.dim[2 + i] + pads[i] + pads[2 + i] - eff[i];
    if (span < 0) return NODE_ERR(m, "the window is larger than the padded input");
    s.dim[2 + i] = span / stride[i] + 1;
  }
  float *bias = b ? const_f32(m, b) : NULL;
  int fold = fold_target(m, &s);
  if (fold && !bias) bias = zeros_f32(m, cout);
  const char *id = def_layer(m, &s);
  if (fold) find_value(m, m->node->output[0])->fold_bias = bias;
  fprintf(m->out, "  %s = conv2d(%s, weights=\"%s\"", id, x->ident,
          add_file(m, id, "weight", const_f32(m, w), 4, w->shape.dim));
  if (bias) fprintf(m->out, ", bias=\"%s\"", add_file(m, id, "bias", bias, 1, &cout));
  fprintf(m->out, ", stride=[%lld, %lld], pad=[%lld, %lld, %lld, %lld], dilation=[%lld, %lld], groups=%lld)",
          (long long)stride[0], (long long)stride[1], (long long)pads[0], (long long)pads[1],
          (long long)pads[2], (long long)pads[3], (long long)dil[0], (long long)dil[1],
          (long long)group);
  emit_line_end(m);
  return 0;
}

/* dense(x, W [N, K], bias [N]) from Gemm or MatMul. */
static int emit_dense(imp_t *m, const value_t *x, const float *wt, int64_t n, int64_t k,
                      float *bias) {
  if (x->shape.rank != 2)
    return NODE_ERR(m, "input has shape %s; only a rank-2 [N, K] input is supported",
                    shape_text(m, &x->shape));
  if (x->shape.dim[1] != k)
    return NODE_ERR(m, "input has shape %s; the constant operand needs K = %lld",
                    shape_text(m, &x->shape), (long long)k);
  spx_shape_t s = x->shape;
  s.dim[1] = n;
  int fold = fold_target(m, &s);
  if (fold && !bias) bias = zeros_f32(m, n);
  const char *id = def_layer(m, &s);
  if (fold) find_value(m, m->node->output[0])->fold_bias = bias;
  int64_t wd[2] = {n, k};
  fprintf(m->out, "  %s = dense(%s, weights=\"%s\"", id, x->ident,
          add_file(m, id, "weight", wt, 2, wd));
  if (bias) fprintf(m->out, ", bias=\"%s\"", add_file(m, id, "bias", bias, 1, &n));
  fputc(')', m->out);
  emit_line_end(m);
  return 0;
}

static int op_gemm(imp_t *m) {
  static const char *const known[] = {"alpha", "beta", "transA", "transB", "broadcast", NULL};
  int skip = 0;
  value_t *a = input(m, 0, &skip), *b = input(m, 1, &skip), *c = input(m, 2, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (need_layer(m, a, 0) || need_const(m, b, 1, "B") || (c && need_const(m, c, 2, "C")))
    return -1;
  if (b->shape.rank != 2) return NODE_ERR(m, "B has shape %s; expected rank 2", shape_text(m, &b->shape));
  int ta = attr_int(m, "transA", 0) != 0, tb = attr_int(m, "transB", 0) != 0;
  double alpha = attr_float(m, "alpha", 1.0), beta = attr_float(m, "beta", 1.0);
  int64_t k = tb ? b->shape.dim[1] : b->shape.dim[0], n = tb ? b->shape.dim[0] : b->shape.dim[1];
  value_t at;
  if (ta) {
    /* A is [K, M]; A^T = [M, K] with M = 1 is A's K values as one row: a
     * reshape to [1, K] (the same order), then dense. */
    if (a->shape.rank != 2)
      return NODE_ERR(m, "A has shape %s; expected rank 2", shape_text(m, &a->shape));
    if (a->shape.dim[1] != 1)
      return NODE_ERR(m, "transA=1 with A of shape %s: A^T has %lld rows; only one is supported "
                         "(A of shape [K, 1]: spx runs one sample at a time)",
                      shape_text(m, &a->shape), (long long)a->shape.dim[1]);
    if (a->shape.dim[0] != k)
      return NODE_ERR(m, "transA=1 with A of shape %s: B (%s%s) needs K = %lld",
                      shape_text(m, &a->shape), shape_text(m, &b->shape), tb ? ", transB=1" : "",
                      (long long)k);
    memset(&at, 0, sizeof at);
    at.kind = V_LAYER;
    at.shape.rank = 2;
    at.shape.dim[0] = 1;
    at.shape.dim[1] = k;
    at.ident = make_ident(m, spx_arena_printf(m->arena, "%s_At", m->node->output[0]));
    emit_reshape(m, a, &at.shape, at.ident);
    a = &at;
  }
  float *w = spx_arena_alloc(m->arena, (size_t)(n * k > 0 ? n * k : 1) * sizeof *w);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < k; j++)
      w[i * k + j] = (float)(alpha * (tb ? b->data[i * k + j] : b->data[j * n + i]));
  float *bias = NULL;
  if (c) {
    /* C broadcasts to [M, N] with M = 1: [N], [1, N], [1], [] or [1, 1]. */
    int ok = c->count == 1 || (c->count == (size_t)n && c->shape.dim[c->shape.rank - 1] == n);
    if (!ok)
      return NODE_ERR(m, "C has shape %s; expected one bias per output ([%lld]) or a scalar",
                      shape_text(m, &c->shape), (long long)n);
    bias = spx_arena_alloc(m->arena, (size_t)(n ? n : 1) * sizeof *bias);
    for (int64_t i = 0; i < n; i++) bias[i] = (float)(beta * c->data[c->count == 1 ? 0 : i]);
  }
  return emit_dense(m, a, w, n, k, bias);
}

static int op_matmul(imp_t *m) {
  static const char *const known[] = {NULL};
  int skip = 0;
  value_t *a = input(m, 0, &skip), *b = input(m, 1, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (a && a->kind == V_CONST)
    return NODE_ERR(m, "a constant first operand is not supported (spx dense computes x * W^T "
                       "with the activation first)");
  if (need_layer(m, a, 0) || need_const(m, b, 1, "B")) return -1;
  if (b->shape.rank != 2) return NODE_ERR(m, "B has shape %s; expected rank 2", shape_text(m, &b->shape));
  int64_t k = b->shape.dim[0], n = b->shape.dim[1];
  float *w = spx_arena_alloc(m->arena, (size_t)(n * k > 0 ? n * k : 1) * sizeof *w);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < k; j++) w[i * k + j] = (float)b->data[j * n + i];
  float *bias = spx_arena_alloc(m->arena, (size_t)(n ? n : 1) * sizeof *bias); /* zeros */
  return emit_dense(m, a, w, n, k, bias);
}

/* relu, relu6, sigmoid, global_avgpool: one input, the op's name. */
static int emit_unary(imp_t *m, const char *op, const value_t *x, const spx_shape_t *s) {
  const char *id = def_layer(m, s);
  fprintf(m->out, "  %s = %s(%s)", id, op, x->ident);
  emit_line_end(m);
  return 0;
}

static int op_unary(imp_t *m, const char *op) {
  static const char *const known[] = {NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0)) return -1;
  return emit_unary(m, op, x, &x->shape);
}

static int op_clip(imp_t *m) {
  static const char *const known[] = {"min", "max", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip), *lo = input(m, 1, &skip), *hi = input(m, 2, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0)) return -1;
  double mn = -INFINITY, mx = INFINITY;
  if (m->opset < 11) {
    mn = attr_float(m, "min", -INFINITY);
    mx = attr_float(m, "max", INFINITY);
  } else {
    if (lo && need_const(m, lo, 1, "min")) return -1;
    if (hi && need_const(m, hi, 2, "max")) return -1;
    if ((lo && lo->count != 1) || (hi && hi->count != 1))
      return NODE_ERR(m, "min and max must be scalars");
    if (lo) mn = lo->data[0];
    if (hi) mx = hi->data[0];
  }
  if (mn == -INFINITY && mx == INFINITY) {
    alias(m, x); /* no bounds: the identity */
    return 0;
  }
  if (mn == 0.0 && mx == 6.0) return emit_unary(m, "relu6", x, &x->shape);
  if (mn == 0.0 && mx == INFINITY) return emit_unary(m, "relu", x, &x->shape);
  return NODE_ERR(m, "Clip(min=%g, max=%g) is not supported: spx has relu [0, inf) and relu6 "
                     "[0, 6] only", mn, mx);
}

static int op_pool(imp_t *m, int is_max) {
  static const char *const known[] = {"auto_pad", "ceil_mode", "count_include_pad", "dilations",
                                      "kernel_shape", "pads", "storage_order", "strides", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0) || need_rank4(m, x)) return -1;
  if (m->node->n_output > 1 && m->node->output[1][0])
    return NODE_ERR(m, "the Indices output is not supported");
  int64_t k[2] = {0, 0}, stride[2] = {1, 1}, dil[2] = {1, 1}, pads[4];
  if (!attr(m, "kernel_shape")) return NODE_ERR(m, "kernel_shape is required");
  if (attr_ints(m, "kernel_shape", 2, k) || attr_ints(m, "strides", 2, stride) ||
      attr_ints(m, "dilations", 2, dil))
    return -1;
  if (dil[0] != 1 || dil[1] != 1) return NODE_ERR(m, "dilations other than 1 are not supported");
  for (int i = 0; i < 2; i++)
    if (k[i] < 1 || stride[i] < 1) return NODE_ERR(m, "kernel_shape and strides must be >= 1");
  if (window_pads(m, &x->shape, k, stride, pads)) return -1;
  int64_t explicit_pads[4];
  memcpy(explicit_pads, pads, sizeof explicit_pads);
  int ceil_mode = attr_int(m, "ceil_mode", 0) != 0;
  int include_pad = !is_max && attr_int(m, "count_include_pad", 0) != 0;
  spx_shape_t s = x->shape;
  for (int i = 0; i < 2; i++) {
    int64_t span = x->shape.dim[2 + i] + pads[i] + pads[2 + i] - k[i];
    if (span < 0) return NODE_ERR(m, "the window is larger than the padded input");
    int64_t out = (ceil_mode ? ceil_div(span, stride[i]) : span / stride[i]) + 1;
    /* ceil_mode: a last window that starts past the input and the begin
     * padding (PyTorch drops it) is not supported; otherwise the extra end
     * padding that makes floor() give the ceil() size is exact (max: -inf;
     * avg: padding is not counted). */
    int64_t extra = (out - 1) * stride[i] + k[i] - (x->shape.dim[2 + i] + pads[i] + pads[2 + i]);
    if (extra > 0) {
      if ((out - 1) * stride[i] >= x->shape.dim[2 + i] + pads[i])
        return NODE_ERR(m, "ceil_mode=1 gives a last window that starts in the end padding; "
                           "not supported");
      pads[2 + i] += extra;
    }
    s.dim[2 + i] = out;
  }
  const char *src = x->ident;
  const int64_t *ep = explicit_pads;
  if (include_pad && (ep[0] || ep[1] || ep[2] || ep[3])) {
    /* count_include_pad=1: the cells of `pads` count, ceil_mode's extra end
     * cells do not (onnxruntime clips a window to the padded input). spx
     * avgpool does not count padding, so the input is first padded with
     * zeros by a 1x1 depthwise conv2d of weight 1 (x * 1 is exact), then
     * averaged with the ceil_mode extra only: the sum over the window's
     * cells in the padded input divided by their number, as ONNX. */
    int64_t ch = x->shape.dim[1], wd[4] = {ch, 1, 1, 1};
    float *one = spx_arena_alloc(m->arena, (size_t)ch * sizeof *one);
    for (int64_t i = 0; i < ch; i++) one[i] = 1.0f;
    const char *pid = make_ident(m, spx_arena_printf(m->arena, "%s_padded", m->node->output[0]));
    fprintf(m->out, "  %s = conv2d(%s, weights=\"%s\", stride=[1, 1], pad=[%lld, %lld, %lld, %lld], "
                    "dilation=[1, 1], groups=%lld)",
            pid, x->ident, add_file(m, pid, "weight", one, 4, wd), (long long)ep[0],
            (long long)ep[1], (long long)ep[2], (long long)ep[3], (long long)ch);
    emit_line_end(m);
    src = pid;
    for (int i = 0; i < 4; i++) pads[i] -= ep[i];
  }
  const char *id = def_layer(m, &s);
  fprintf(m->out, "  %s = %s(%s, size=[%lld, %lld], stride=[%lld, %lld], pad=[%lld, %lld, %lld, %lld])",
          id, is_max ? "maxpool" : "avgpool", src, (long long)k[0], (long long)k[1],
          (long long)stride[0], (long long)stride[1], (long long)pads[0], (long long)pads[1],
          (long long)pads[2], (long long)pads[3]);
  emit_line_end(m);
  return 0;
}

static int op_global_avgpool(imp_t *m) {
  static const char *const known[] = {NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0) || need_rank4(m, x)) return -1;
  spx_shape_t s = x->shape;
  s.dim[2] = s.dim[3] = 1;
  return emit_unary(m, "global_avgpool", x, &s);
}

/* id = x + beta per channel (axis 1, c channels) as a batchnorm with gamma
 * 1, mean 0, var 0.5 and eps 0.5: scale = 1 / sqrt(0.5 + 0.5) = 1 and shift
 * = beta - 0 * 1 = beta exactly in f32, so it computes x * 1 + beta, the one
 * f32 rounding of Add. */
static void emit_add_bn(imp_t *m, const char *id, const char *x, float *beta, int64_t c) {
  float *one = spx_arena_alloc(m->arena, (size_t)c * sizeof *one);
  float *half = spx_arena_alloc(m->arena, (size_t)c * sizeof *half);
  for (int64_t i = 0; i < c; i++) {
    one[i] = 1.0f;
    half[i] = 0.5f;
  }
  fprintf(m->out, "  %s = batchnorm(%s, gamma=\"%s\", beta=\"%s\"", id, x,
          add_file(m, id, "gamma", one, 1, &c), add_file(m, id, "beta", beta, 1, &c));
  fprintf(m->out, ", mean=\"%s\", var=\"%s\", eps=0.5)", add_file(m, id, "mean", zeros_f32(m, c), 1, &c),
          add_file(m, id, "var", half, 1, &c));
  emit_line_end(m);
}

/* x + a constant c that broadcasts onto it: folded into the bias of the
 * conv2d/dense x (fold_target); else a batchnorm per channel (c varies
 * along axis 1 at most); else x as one row [1, T], a batchnorm over its T
 * values, and a reshape back. */
static int add_const(imp_t *m, value_t *x, const value_t *c) {
  int kind = bcast_kind(c, &x->shape);
  if (kind == BC_NO)
    return NODE_ERR(m, "the constant '%s' of shape %s does not broadcast onto the activation's "
                       "shape %s (the result must keep the activation's shape)",
                    printable(m, c->name), shape_text(m, &c->shape), shape_text(m, &x->shape));
  if (shape_count_d(&x->shape) > (double)SPX_FE_ELEMENTS_MAX)
    return NODE_ERR(m, "the activation %s holds more than the %lld elements a tensor may hold",
                    shape_text(m, &x->shape), (long long)SPX_FE_ELEMENTS_MAX);
  int64_t total = shape_count(&x->shape);
  double *full = bcast_expand(m, c, &x->shape);
  if (kind == BC_CHANNEL && x->shape.rank >= 2) {
    int64_t ch = x->shape.dim[1], inner = total / x->shape.dim[0] / ch;
    if (x->fold_bias) {
      /* One f32 rounding of bias + c, where ONNX rounds (x + bias) + c. */
      for (int64_t i = 0; i < ch; i++)
        x->fold_bias[i] = (float)((double)x->fold_bias[i] + (double)(float)full[i * inner]);
      x->fold_bias = NULL;
      alias(m, x);
      fprintf(m->out, "  # %s: folded into the bias of %s\n", node_desc(m), x->ident);
      return 0;
    }
    float *beta = zeros_f32(m, ch);
    for (int64_t i = 0; i < ch; i++) beta[i] = (float)full[i * inner];
    emit_add_bn(m, def_layer(m, &x->shape), x->ident, beta, ch);
    return 0;
  }
  const char *out = m->node->output[0];
  value_t row;
  memset(&row, 0, sizeof row);
  row.kind = V_LAYER;
  row.shape.rank = 2;
  row.shape.dim[0] = 1;
  row.shape.dim[1] = total;
  const char *flat = make_ident(m, spx_arena_printf(m->arena, "%s_row", out));
  emit_reshape(m, x, &row.shape, flat);
  row.ident = make_ident(m, spx_arena_printf(m->arena, "%s_add", out));
  float *beta = zeros_f32(m, total);
  for (int64_t i = 0; i < total; i++) beta[i] = (float)full[i];
  emit_add_bn(m, row.ident, flat, beta, total);
  return emit_reshape(m, &row, &x->shape, NULL);
}

static int op_add(imp_t *m) {
  static const char *const known[] = {"axis", "broadcast", NULL};
  int skip = 0;
  value_t *a = input(m, 0, &skip), *b = input(m, 1, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (!a || !b) return NODE_ERR(m, "input %d is missing", a ? 1 : 0);
  if (a->kind == V_CONST && b->kind == V_CONST)
    return NODE_ERR(m, "both operands are constants; spx layers compute on activations only");
  if (a->kind == V_CONST) return add_const(m, b, a);
  if (b->kind == V_CONST) return add_const(m, a, b);
  int same = a->shape.rank == b->shape.rank;
  for (int i = 0; same && i < a->shape.rank; i++) same = a->shape.dim[i] == b->shape.dim[i];
  if (!same)
    return NODE_ERR(m, "shapes %s and %s differ; broadcasting two activations is not supported "
                       "(spx add takes equal shapes)",
                    shape_text(m, &a->shape), shape_text(m, &b->shape));
  const char *id = def_layer(m, &a->shape);
  fprintf(m->out, "  %s = add(%s, %s)", id, a->ident, b->ident);
  emit_line_end(m);
  return 0;
}

/* ---- constant folding (shape computations) ------------------------------------ */

/* Output 0 of the node as a new constant of shape s (zeros); NULL if it
 * would hold more than a tensor may (reported). */
static value_t *def_const(imp_t *m, const spx_shape_t *s, int is_int) {
  if (shape_count_d(s) > (double)SPX_FE_ELEMENTS_MAX) {
    NODE_ERR(m, "the result %s holds more than the %lld elements a tensor may hold",
             shape_text(m, s), (long long)SPX_FE_ELEMENTS_MAX);
    return NULL;
  }
  value_t *v = new_value(m, m->node->output[0], V_CONST);
  v->shape = *s;
  v->count = (size_t)shape_count(s);
  v->is_int = is_int;
  v->data = spx_arena_alloc(m->arena, (v->count ? v->count : 1) * sizeof *v->data);
  return v;
}

/* Input k of an op that is only folded: it must be a constant. */
static int need_fold(imp_t *m, const value_t *v, int k) {
  if (!v) return NODE_ERR(m, "input %d is missing", k);
  if (v->kind != V_CONST)
    return NODE_ERR(m, "input %d '%s' is an activation; %s is folded on constants only (shape "
                       "computations), spx has no such layer", k, printable(m, v->name),
                    printable(m, m->node->op_type));
  return 0;
}

/* Integer values of a constant (axes, indices, starts, ...): at most n. */
static int const_ints(imp_t *m, const value_t *v, const char *what, int64_t *out, int n) {
  if (v->shape.rank > 1 || (int)v->count > n)
    return NODE_ERR(m, "%s has shape %s; expected at most %d values", what,
                    shape_text(m, &v->shape), n);
  for (size_t i = 0; i < v->count; i++) {
    double q = v->data[i];
    if (q != floor(q)) return NODE_ERR(m, "%s holds %g; expected integers", what, q);
    /* Saturated (INT64_MAX, "to the end", is 2^63 as a double): the users
     * clamp to dimensions of at most 2^30. */
    out[i] = q > 0x1p62 ? (int64_t)1 << 62 : q < -0x1p62 ? -((int64_t)1 << 62) : (int64_t)q;
  }
  return (int)v->count;
}

/* An axis in [-r, r) as [0, r); -1 if out of range (reported). */
static int norm_axis(imp_t *m, int64_t axis, int r) {
  if (axis < -r || axis >= r)
    return NODE_ERR(m, "axis %lld is out of range for rank %d", (long long)axis, r);
  return (int)(axis < 0 ? axis + r : axis);
}

/* Shape: a constant int64 [rank] of any value's shape (an activation's
 * batch dimension is 1: spx runs one sample at a time); opset 15's start
 * and end. */
static int op_shape(imp_t *m) {
  static const char *const known[] = {"start", "end", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (!x) return NODE_ERR(m, "input 0 is missing");
  int64_t r = x->shape.rank, st = attr_int(m, "start", 0), en = attr_int(m, "end", r);
  if (st < 0) st += r;
  if (en < 0) en += r;
  st = st < 0 ? 0 : st > r ? r : st;
  en = en < st ? st : en > r ? r : en;
  spx_shape_t s = {.rank = 1, .dim = {en - st}};
  value_t *v = def_const(m, &s, 1);
  if (!v) return -1;
  for (int64_t i = st; i < en; i++) v->data[i - st] = (double)x->shape.dim[i];
  return 0;
}

static int op_gather(imp_t *m) {
  static const char *const known[] = {"axis", NULL};
  int skip = 0;
  value_t *d = input(m, 0, &skip), *ix = input(m, 1, &skip);
  if (check_attrs(m, known) != 0 || skip || need_fold(m, d, 0) || need_fold(m, ix, 1)) return -1;
  if (d->shape.rank < 1) return NODE_ERR(m, "data is a scalar; expected rank >= 1");
  int axis = norm_axis(m, attr_int(m, "axis", 0), d->shape.rank);
  if (axis < 0) return -1;
  if (d->shape.rank - 1 + ix->shape.rank > SPX_MAX_RANK)
    return NODE_ERR(m, "the result has more than %d dimensions", SPX_MAX_RANK);
  spx_shape_t s = {.rank = 0};
  for (int i = 0; i < axis; i++) s.dim[s.rank++] = d->shape.dim[i];
  for (int i = 0; i < ix->shape.rank; i++) s.dim[s.rank++] = ix->shape.dim[i];
  for (int i = axis + 1; i < d->shape.rank; i++) s.dim[s.rank++] = d->shape.dim[i];
  int64_t outer = 1, inner = 1, n = d->shape.dim[axis];
  for (int i = 0; i < axis; i++) outer *= d->shape.dim[i];
  for (int i = axis + 1; i < d->shape.rank; i++) inner *= d->shape.dim[i];
  for (size_t j = 0; j < ix->count; j++) {
    double q = ix->data[j];
    if (q != floor(q) || q < (double)-n || q >= (double)n)
      return NODE_ERR(m, "index %g is out of range for a dimension of %lld", q, (long long)n);
  }
  value_t *v = def_const(m, &s, d->is_int);
  if (!v) return -1;
  size_t k = 0;
  for (int64_t o = 0; o < outer; o++)
    for (size_t j = 0; j < ix->count; j++) {
      int64_t q = (int64_t)ix->data[j];
      if (q < 0) q += n;
      for (int64_t i = 0; i < inner; i++) v->data[k++] = d->data[(o * n + q) * inner + i];
    }
  return 0;
}

/* Unsqueeze and Squeeze: the same values in a new shape (of a constant: a
 * constant; of an activation: a reshape). Axes from the attribute before
 * opset 13, from a constant input since. */
static int op_squeeze(imp_t *m, int unsqueeze) {
  static const char *const known[] = {"axes", NULL};
  int skip = 0;
  value_t *d = input(m, 0, &skip), *ax = input(m, 1, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (!d) return NODE_ERR(m, "input 0 is missing");
  int64_t axes[SPX_MAX_RANK];
  int n_axes = -1;
  if (m->opset < 13) {
    const Onnx__AttributeProto *a = attr(m, "axes");
    if (a) {
      if (a->n_ints > SPX_MAX_RANK) return NODE_ERR(m, "more than %d axes", SPX_MAX_RANK);
      n_axes = (int)a->n_ints;
      for (int i = 0; i < n_axes; i++) axes[i] = a->ints[i];
    }
  } else if (ax) {
    if (need_fold(m, ax, 1)) return -1;
    if ((n_axes = const_ints(m, ax, "axes", axes, SPX_MAX_RANK)) < 0) return -1;
  }
  int r = d->shape.rank, ro = unsqueeze ? r + (n_axes > 0 ? n_axes : 0) : r;
  if (unsqueeze && n_axes < 0) return NODE_ERR(m, "axes are required");
  if (ro > SPX_MAX_RANK) return NODE_ERR(m, "the result has more than %d dimensions", SPX_MAX_RANK);
  unsigned char mark[SPX_MAX_RANK] = {0};
  for (int i = 0; i < n_axes; i++) {
    int a = norm_axis(m, axes[i], ro);
    if (a < 0) return -1;
    if (mark[a]) return NODE_ERR(m, "axis %lld is repeated", (long long)axes[i]);
    if (!unsqueeze && d->shape.dim[a] != 1)
      return NODE_ERR(m, "axis %d has size %lld; only size-1 axes are squeezed", a,
                      (long long)d->shape.dim[a]);
    mark[a] = 1;
  }
  spx_shape_t s = {.rank = 0};
  for (int i = 0, j = 0; i < ro; i++) {
    if (unsqueeze) {
      s.dim[s.rank++] = mark[i] ? 1 : d->shape.dim[j++];
    } else if (!(n_axes < 0 ? d->shape.dim[i] == 1 : mark[i])) {
      s.dim[s.rank++] = d->shape.dim[i];
    }
  }
  if (d->kind != V_CONST) {
    if (s.rank < 1) return NODE_ERR(m, "the result is a scalar; spx activations have rank >= 1");
    return emit_reshape(m, d, &s, NULL);
  }
  value_t *v = def_const(m, &s, d->is_int);
  if (!v) return -1;
  memcpy(v->data, d->data, d->count * sizeof *d->data);
  return 0;
}

/* Slice: starts/ends/axes attributes before opset 10, constant inputs
 * (starts, ends, axes, steps) since; clamped as ONNX defines. */
static int op_slice(imp_t *m) {
  static const char *const known[] = {"starts", "ends", "axes", NULL};
  int skip = 0;
  value_t *d = input(m, 0, &skip), *in[4] = {NULL, NULL, NULL, NULL};
  for (int i = 0; i < 4; i++) in[i] = input(m, 1 + i, &skip);
  if (check_attrs(m, known) != 0 || skip || need_fold(m, d, 0)) return -1;
  static const char *const what[4] = {"starts", "ends", "axes", "steps"};
  int64_t v4[4][SPX_MAX_RANK];
  int n4[4] = {-1, -1, -1, -1}, r = d->shape.rank;
  for (int i = 0; i < 4; i++) {
    if (m->opset < 10) {
      const Onnx__AttributeProto *a = i < 3 ? attr(m, what[i]) : NULL;
      if (!a) continue;
      if (a->n_ints > SPX_MAX_RANK) return NODE_ERR(m, "%s has more than %d values", what[i], SPX_MAX_RANK);
      n4[i] = (int)a->n_ints;
      for (int j = 0; j < n4[i]; j++) v4[i][j] = a->ints[j];
    } else if (in[i]) {
      if (need_fold(m, in[i], 1 + i)) return -1;
      if ((n4[i] = const_ints(m, in[i], what[i], v4[i], SPX_MAX_RANK)) < 0) return -1;
    }
  }
  if (n4[0] < 0 || n4[1] < 0 || n4[0] != n4[1]) return NODE_ERR(m, "starts and ends must have the same length");
  for (int i = 2; i < 4; i++)
    if (n4[i] >= 0 && n4[i] != n4[0])
      return NODE_ERR(m, "%s must have as many values as starts", what[i]);
  int64_t start[SPX_MAX_RANK], step[SPX_MAX_RANK];
  spx_shape_t s = d->shape;
  unsigned char mark[SPX_MAX_RANK] = {0};
  for (int i = 0; i < r; i++) {
    start[i] = 0;
    step[i] = 1;
  }
  for (int j = 0; j < n4[0]; j++) {
    int a = norm_axis(m, n4[2] >= 0 ? v4[2][j] : j, r);
    if (a < 0) return -1;
    if (mark[a]) return NODE_ERR(m, "axis %d is repeated", a);
    mark[a] = 1;
    int64_t dim = d->shape.dim[a], st = v4[0][j], en = v4[1][j], sp = n4[3] >= 0 ? v4[3][j] : 1;
    if (sp == 0) return NODE_ERR(m, "a step of 0");
    if (st < 0) st += dim;
    if (en < 0) en += dim;
    if (sp > 0) {
      st = st < 0 ? 0 : st > dim ? dim : st;
      en = en < 0 ? 0 : en > dim ? dim : en;
      s.dim[a] = en > st ? (en - st + sp - 1) / sp : 0;
    } else {
      st = st < 0 ? 0 : st > dim - 1 ? dim - 1 : st;
      en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
      s.dim[a] = st > en ? (st - en - sp - 1) / -sp : 0;
    }
    start[a] = st;
    step[a] = sp;
  }
  value_t *v = def_const(m, &s, d->is_int);
  if (!v) return -1;
  int64_t idx[SPX_MAX_RANK] = {0};
  for (size_t f = 0; f < v->count; f++) {
    int64_t di = 0;
    for (int i = 0; i < r; i++) di = di * d->shape.dim[i] + start[i] + idx[i] * step[i];
    v->data[f] = d->data[di];
    for (int i = r - 1; i >= 0 && ++idx[i] == s.dim[i]; i--) idx[i] = 0;
  }
  return 0;
}

/* Cast of a constant (to float: rounded to f32; to an integer type:
 * truncated toward zero; to bool: != 0); of an activation to float: the
 * activation itself. */
static int op_cast(imp_t *m) {
  static const char *const known[] = {"to", "saturate", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip) return -1;
  if (!x) return NODE_ERR(m, "input 0 is missing");
  int64_t to = attr_int(m, "to", 0);
  if (x->kind != V_CONST) {
    if (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      return NODE_ERR(m, "a cast of an activation to type %lld is not supported (spx activations "
                         "are float)", (long long)to);
    alias(m, x);
    return 0;
  }
  int is_int;
  switch (to) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: is_int = 0; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: is_int = 1; break;
  default:
    return NODE_ERR(m, "a cast to type %lld is not supported (float, double, integers, bool)",
                    (long long)to);
  }
  value_t *v = def_const(m, &x->shape, is_int);
  if (!v) return -1;
  for (size_t i = 0; i < x->count; i++) {
    double q = x->data[i];
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) q = (float)q;
    else if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) q = q != 0;
    else if (is_int) q = trunc(q);
    v->data[i] = q;
  }
  return 0;
}

/* Concat of constants only. */
static int fold_concat(imp_t *m, value_t *const *v, int n) {
  int r = v[0]->shape.rank;
  if (!attr(m, "axis") && m->opset >= 4) return NODE_ERR(m, "axis is required");
  int axis = norm_axis(m, attr_int(m, "axis", 1), r);
  if (axis < 0) return -1;
  spx_shape_t s = v[0]->shape;
  int is_int = v[0]->is_int;
  for (int i = 1; i < n; i++) {
    int ok = v[i]->shape.rank == r;
    for (int k = 0; ok && k < r; k++) ok = k == axis || v[i]->shape.dim[k] == s.dim[k];
    if (!ok)
      return NODE_ERR(m, "inputs of shapes %s and %s do not concatenate along axis %d",
                      shape_text(m, &v[0]->shape), shape_text(m, &v[i]->shape), axis);
    s.dim[axis] += v[i]->shape.dim[axis];
    is_int = is_int && v[i]->is_int;
  }
  value_t *out = def_const(m, &s, is_int);
  if (!out) return -1;
  int64_t outer = 1;
  for (int k = 0; k < axis; k++) outer *= s.dim[k];
  size_t f = 0;
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < n; i++) {
      size_t chunk = outer ? v[i]->count / (size_t)outer : 0;
      memcpy(out->data + f, v[i]->data + (size_t)o * chunk, chunk * sizeof *out->data);
      f += chunk;
    }
  return 0;
}

static int op_concat(imp_t *m) {
  static const char *const known[] = {"axis", NULL};
  int skip = 0, n = n_in(m);
  value_t *v[SPX_IR_CONCAT_MAX_INPUTS];
  if (check_attrs(m, known) != 0) return -1;
  if (n < 1 || n > SPX_IR_CONCAT_MAX_INPUTS)
    return NODE_ERR(m, "%d inputs; spx concat takes 2 to %d", n, SPX_IR_CONCAT_MAX_INPUTS);
  for (int i = 0; i < n; i++) v[i] = input(m, i, &skip);
  if (skip) return -1;
  int all_const = 1;
  for (int i = 0; i < n; i++) all_const = all_const && v[i] && v[i]->kind == V_CONST;
  if (all_const) return fold_concat(m, v, n);
  if (n < 2) return NODE_ERR(m, "%d inputs; spx concat takes 2 to %d", n, SPX_IR_CONCAT_MAX_INPUTS);
  for (int i = 0; i < n; i++)
    if (need_layer(m, v[i], i)) return -1;
  if (!attr(m, "axis") && m->opset >= 4) return NODE_ERR(m, "axis is required");
  int64_t axis = attr_int(m, "axis", 1), r = v[0]->shape.rank;
  if (axis < -r || axis >= r) return NODE_ERR(m, "axis %lld is out of range", (long long)axis);
  if (axis < 0) axis += r;
  spx_shape_t s = v[0]->shape;
  for (int i = 1; i < n; i++) {
    if (v[i]->shape.rank != r) return NODE_ERR(m, "inputs of different ranks");
    s.dim[axis] += v[i]->shape.dim[axis];
  }
  const char *id = def_layer(m, &s);
  fprintf(m->out, "  %s = concat(", id);
  for (int i = 0; i < n; i++) fprintf(m->out, "%s, ", v[i]->ident);
  fprintf(m->out, "axis=%lld)", (long long)axis);
  emit_line_end(m);
  return 0;
}

/* reshape of x to s (or an alias when the shape does not change). */
static int emit_reshape(imp_t *m, const value_t *x, const spx_shape_t *s, const char *id) {
  if (!id) id = def_layer(m, s);
  fprintf(m->out, "  %s = reshape(%s, shape=[", id, x->ident);
  for (int i = 0; i < s->rank; i++) fprintf(m->out, "%s%lld", i ? ", " : "", (long long)s->dim[i]);
  fputs("])", m->out);
  emit_line_end(m);
  return 0;
}

static int op_flatten(imp_t *m) {
  static const char *const known[] = {"axis", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0)) return -1;
  int64_t axis = attr_int(m, "axis", 1), r = x->shape.rank;
  if (axis < -r || axis > r) return NODE_ERR(m, "axis %lld is out of range", (long long)axis);
  if (axis < 0) axis += r;
  spx_shape_t s = {.rank = 2, .dim = {1, 1}};
  for (int i = 0; i < r; i++) s.dim[i < axis ? 0 : 1] *= x->shape.dim[i];
  if (axis == 1 && r >= 2) {
    const char *id = def_layer(m, &s);
    fprintf(m->out, "  %s = flatten(%s)", id, x->ident);
    emit_line_end(m);
    return 0;
  }
  return emit_reshape(m, x, &s, NULL);
}

static int op_reshape(imp_t *m) {
  static const char *const known[] = {"allowzero", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip), *sh = input(m, 1, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0) || need_const(m, sh, 1, "shape"))
    return -1;
  if (sh->shape.rank != 1 || sh->count < 1 || sh->count > SPX_MAX_RANK)
    return NODE_ERR(m, "shape has %zu entries; expected 1 to %d", sh->count, SPX_MAX_RANK);
  int allowzero = attr_int(m, "allowzero", 0) != 0;
  spx_shape_t s = {.rank = (int)sh->count};
  int infer = -1;
  int64_t known_count = 1, total = shape_count(&x->shape);
  for (int i = 0; i < s.rank; i++) {
    double d = sh->data[i];
    if (d == 0 && !allowzero) {
      if (i >= x->shape.rank) return NODE_ERR(m, "shape entry %d is 0 but the input has rank %d", i, x->shape.rank);
      s.dim[i] = x->shape.dim[i];
    } else if (d == -1 && infer < 0) {
      infer = i;
      continue;
    } else if (d < 1 || d > (double)SPX_FE_SIZE_MAX) {
      return NODE_ERR(m, "shape entry %d is %g; not supported", i, d);
    } else {
      s.dim[i] = (int64_t)d;
    }
    known_count *= s.dim[i];
  }
  if (infer >= 0) {
    if (known_count == 0 || total % known_count) return NODE_ERR(m, "cannot infer the -1 entry");
    s.dim[infer] = total / known_count;
  }
  if (shape_count(&s) != total)
    return NODE_ERR(m, "shape %s holds %lld elements; the input %s holds %lld",
                    shape_text(m, &s), (long long)shape_count(&s), shape_text(m, &x->shape),
                    (long long)total);
  return emit_reshape(m, x, &s, NULL);
}

static int op_softmax(imp_t *m) {
  static const char *const known[] = {"axis", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0)) return -1;
  int64_t r = x->shape.rank, axis = attr_int(m, "axis", m->opset < 13 ? 1 : -1);
  if (axis < -r || axis >= r) return NODE_ERR(m, "axis %lld is out of range", (long long)axis);
  if (axis < 0) axis += r;
  if (m->opset >= 13 && axis != r - 1)
    return NODE_ERR(m, "softmax along axis %lld of %s is not supported: spx runs softmax along "
                       "the last axis only", (long long)axis, shape_text(m, &x->shape));
  if (axis == r - 1) {
    const char *id = def_layer(m, &x->shape);
    fprintf(m->out, "  %s = softmax(%s, axis=%lld)", id, x->ident, (long long)axis);
    emit_line_end(m);
    return 0;
  }
  /* Before opset 13: over the input coerced to 2-D at axis, i.e. over all of
   * dims axis.. together: reshape, softmax on the last axis, reshape back. */
  spx_shape_t s2 = {.rank = 2, .dim = {1, 1}};
  for (int i = 0; i < r; i++) s2.dim[i < axis ? 0 : 1] *= x->shape.dim[i];
  const char *out_name = m->node->output[0];
  value_t flat = {.kind = V_LAYER, .shape = s2};
  flat.ident = make_ident(m, spx_arena_printf(m->arena, "%s_2d", out_name));
  emit_reshape(m, x, &s2, flat.ident);
  value_t sm = {.kind = V_LAYER, .shape = s2};
  sm.ident = make_ident(m, spx_arena_printf(m->arena, "%s_softmax", out_name));
  fprintf(m->out, "  %s = softmax(%s, axis=1)", sm.ident, flat.ident);
  emit_line_end(m);
  return emit_reshape(m, &sm, &x->shape, NULL);
}

static int op_batchnorm(imp_t *m) {
  static const char *const known[] = {"epsilon", "momentum", "spatial", "training_mode",
                                      "is_test", "consumed_inputs", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip), *c[4];
  static const char *const what[4] = {"scale", "B", "mean", "var"};
  static const char *const role[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) c[i] = input(m, 1 + i, &skip);
  if (check_attrs(m, known) != 0 || skip || need_layer(m, x, 0)) return -1;
  for (int i = 0; i < 4; i++)
    if (need_const(m, c[i], 1 + i, what[i])) return -1;
  if (attr_int(m, "training_mode", 0) != 0) return NODE_ERR(m, "training_mode=1 is not supported");
  if (attr_int(m, "spatial", 1) != 1) return NODE_ERR(m, "spatial=0 is not supported");
  for (size_t i = 1; i < m->node->n_output; i++)
    if (m->node->output[i][0])
      return NODE_ERR(m, "the training outputs (running mean and variance) are not supported");
  if (x->shape.rank < 2) return NODE_ERR(m, "input of rank %d; expected [N, C, ...]", x->shape.rank);
  int64_t ch = x->shape.dim[1];
  for (int i = 0; i < 4; i++)
    if (c[i]->count != (size_t)ch)
      return NODE_ERR(m, "%s has shape %s; expected [%lld]", what[i], shape_text(m, &c[i]->shape),
                      (long long)ch);
  const char *id = def_layer(m, &x->shape);
  fprintf(m->out, "  %s = batchnorm(%s", id, x->ident);
  for (int i = 0; i < 4; i++)
    fprintf(m->out, ", %s=\"%s\"", role[i], add_file(m, id, role[i], const_f32(m, c[i]), 1, &ch));
  fprintf(m->out, ", eps=%.9g)", (double)(float)attr_float(m, "epsilon", 1e-5));
  emit_line_end(m);
  return 0;
}

static int op_identity(imp_t *m, int dropout) {
  static const char *const known_id[] = {NULL};
  static const char *const known_do[] = {"ratio", "seed", "is_test", NULL};
  int skip = 0;
  value_t *x = input(m, 0, &skip);
  if (check_attrs(m, dropout ? known_do : known_id) != 0 || skip) return -1;
  if (!x) return NODE_ERR(m, "input 0 is missing");
  if (dropout) {
    value_t *train = input(m, 2, &skip);
    if (skip) return -1;
    if (train && (train->kind != V_CONST || train->count != 1 || train->data[0] != 0))
      return NODE_ERR(m, "training_mode must be absent or a constant false");
    if (m->node->n_output > 1 && m->node->output[1][0])
      return NODE_ERR(m, "the mask output is not supported");
  }
  alias(m, x);
  return 0;
}

static int op_constant(imp_t *m) {
  const Onnx__AttributeProto *a = m->node->n_attribute == 1 ? m->node->attribute[0] : NULL;
  if (!a || !a->name) return NODE_ERR(m, "expected exactly one attribute");
  value_t *v = new_value(m, m->node->output[0], V_CONST);
  const char *what = spx_arena_printf(m->arena, "%s", node_desc(m));
  if (strcmp(a->name, "value") == 0 && a->t) {
    if (read_tensor(m, a->t, v, what) != 0) {
      v->kind = V_POISON;
      return -1;
    }
    return 0;
  }
  int is_list = strcmp(a->name, "value_floats") == 0 || strcmp(a->name, "value_ints") == 0;
  int is_int = strcmp(a->name, "value_int") == 0 || strcmp(a->name, "value_ints") == 0;
  if (!is_list && !is_int && strcmp(a->name, "value_float") != 0) {
    v->kind = V_POISON;
    return NODE_ERR(m, "attribute '%s' is not supported (value, value_float(s), value_int(s))",
                    printable(m, a->name));
  }
  size_t n = is_list ? (is_int ? a->n_ints : a->n_floats) : 1;
  v->shape.rank = is_list ? 1 : 0;
  v->shape.dim[0] = (int64_t)n;
  v->count = n;
  v->is_int = is_int;
  v->data = spx_arena_alloc(m->arena, (n ? n : 1) * sizeof *v->data);
  for (size_t i = 0; i < n; i++)
    v->data[i] = is_list ? (is_int ? (double)a->ints[i] : a->floats[i]) : (is_int ? (double)a->i : a->f);
  return 0;
}

static int import_node(imp_t *m) {
  const char *op = m->node->op_type ? m->node->op_type : "";
  if (m->node->domain && m->node->domain[0] && strcmp(m->node->domain, "ai.onnx") != 0)
    return NODE_ERR(m, "domain '%s' is not supported (only the default ONNX domain)",
                    printable(m, m->node->domain));
  static const char *const ops[] = {"Conv", "Gemm", "MatMul", "Relu", "Sigmoid", "Clip",
                                    "MaxPool", "AveragePool", "GlobalAveragePool", "Add",
                                    "Concat", "Flatten", "Reshape", "Softmax",
                                    "BatchNormalization", "Identity", "Dropout", "Constant",
                                    "Shape", "Gather", "Unsqueeze", "Squeeze", "Slice", "Cast",
                                    NULL};
  int known = 0;
  for (const char *const *k = ops; *k && !known; k++) known = strcmp(*k, op) == 0;
  if (!known) return NODE_ERR(m, "op type '%s' is not supported", printable(m, op));
  if (m->node->n_output < 1 || !m->node->output[0][0]) return NODE_ERR(m, "has no output");
  if (strcmp(op, "Conv") == 0) return op_conv(m);
  if (strcmp(op, "Gemm") == 0) return op_gemm(m);
  if (strcmp(op, "MatMul") == 0) return op_matmul(m);
  if (strcmp(op, "Relu") == 0) return op_unary(m, "relu");
  if (strcmp(op, "Sigmoid") == 0) return op_unary(m, "sigmoid");
  if (strcmp(op, "Clip") == 0) return op_clip(m);
  if (strcmp(op, "MaxPool") == 0) return op_pool(m, 1);
  if (strcmp(op, "AveragePool") == 0) return op_pool(m, 0);
  if (strcmp(op, "GlobalAveragePool") == 0) return op_global_avgpool(m);
  if (strcmp(op, "Add") == 0) return op_add(m);
  if (strcmp(op, "Concat") == 0) return op_concat(m);
  if (strcmp(op, "Flatten") == 0) return op_flatten(m);
  if (strcmp(op, "Reshape") == 0) return op_reshape(m);
  if (strcmp(op, "Softmax") == 0) return op_softmax(m);
  if (strcmp(op, "BatchNormalization") == 0) return op_batchnorm(m);
  if (strcmp(op, "Identity") == 0) return op_identity(m, 0);
  if (strcmp(op, "Dropout") == 0) return op_identity(m, 1);
  if (strcmp(op, "Constant") == 0) return op_constant(m);
  if (strcmp(op, "Shape") == 0) return op_shape(m);
  if (strcmp(op, "Gather") == 0) return op_gather(m);
  if (strcmp(op, "Unsqueeze") == 0) return op_squeeze(m, 1);
  if (strcmp(op, "Squeeze") == 0) return op_squeeze(m, 0);
  if (strcmp(op, "Slice") == 0) return op_slice(m);
  if (strcmp(op, "Cast") == 0) return op_cast(m);
  return NODE_ERR(m, "op type '%s' is not supported", printable(m, op));
}

/* ---- the model -------------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *len, int *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = errno;
    return NULL;
  }
  size_t cap = 1 << 16, n = 0, got;
  unsigned char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *g = cap < ONNX_FILE_MAX ? realloc(buf, cap * 2) : NULL;
      if (!g) {
        free(buf);
        buf = NULL;
        *err = cap < ONNX_FILE_MAX ? ENOMEM : EFBIG;
        break;
      }
      buf = g;
      cap *= 2;
    }
  }
  if (buf && ferror(f)) {
    *err = errno ? errno : EIO;
    free(buf);
    buf = NULL;
  } else if (!buf && !*err) {
    *err = ENOMEM;
  }
  fclose(f);
  *len = n;
  return buf;
}

int spx_fe_is_onnx(const char *path) {
  size_t n = strlen(path);
  if (n > 5 && strcmp(path + n - 5, ".onnx") == 0) return 1;
  if ((n > 4 && strcmp(path + n - 4, ".spx") == 0) || (n > 5 && strcmp(path + n - 5, ".mlir") == 0))
    return 0;
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  int c = fgetc(f);
  fclose(f);
  return c == 0x08; /* field 1 (ir_version), varint */
}

/* The network's name: the file's base name without ".onnx", as an
 * identifier. */
static const char *net_name(imp_t *m, const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  size_t n = strlen(b);
  if (n > 5 && strcmp(b + n - 5, ".onnx") == 0) n -= 5;
  return make_ident(m, spx_arena_strndup(m->arena, b, n));
}

static int import_input(imp_t *m, const Onnx__ValueInfoProto *vi, int index) {
  const char *name = vi->name ? vi->name : "";
  const Onnx__TypeProto *t = vi->type;
  const char *pn = printable(m, name);
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type) {
    FILE_ERR(m, "graph input %d '%s' is not a tensor", index, pn);
    return -1;
  }
  const Onnx__TypeProto__Tensor *tt = t->tensor_type;
  if (!tt->has_elem_type || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    FILE_ERR(m, "graph input %d '%s' has element type %d; only float (1) is supported", index, pn,
             tt->has_elem_type ? tt->elem_type : 0);
    return -1;
  }
  if (!tt->shape || tt->shape->n_dim < 1 || tt->shape->n_dim > SPX_MAX_RANK) {
    FILE_ERR(m, "graph input %d '%s' needs a shape of rank 1 to %d", index, pn, SPX_MAX_RANK);
    return -1;
  }
  spx_shape_t s = {.rank = (int)tt->shape->n_dim};
  for (int i = 0; i < s.rank; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    int known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (i == 0 && (!known || d->dim_value == 1)) {
      s.dim[0] = 1; /* the batch: one sample at a time (symbolic: taken as 1) */
    } else if (i == 0) {
      FILE_ERR(m, "graph input %d '%s' has batch dimension %lld; it must be 1 or symbolic", index,
               pn, (long long)d->dim_value);
      return -1;
    } else if (!known || d->dim_value < 1) {
      FILE_ERR(m, "graph input %d '%s': dimension %d must be a positive number", index, pn, i);
      return -1;
    } else {
      s.dim[i] = d->dim_value;
    }
  }
  value_t *v = new_value(m, name, V_LAYER);
  v->ident = make_ident(m, name);
  v->shape = s;
  fprintf(m->out, "  input %s : f32%s  # graph input %d '%s'\n", v->ident, shape_text(m, &s),
          index, pn);
  return 0;
}

int spx_fe_onnx_import(const char *path, spx_arena_t *arena, spx_diag_t *diag,
                       spx_fe_import_t **out) {
  imp_t m0, *m = &m0;
  memset(m, 0, sizeof *m);
  *out = NULL;
  m->arena = arena;
  m->diag = diag;
  m->file = spx_arena_strdup(arena, path);
  m->vcap = m->icap = 64;
  m->vals = spx_arena_alloc(arena, m->vcap * sizeof *m->vals);
  m->idents = spx_arena_alloc(arena, m->icap * sizeof *m->idents);

  size_t len = 0;
  int err = 0;
  unsigned char *bytes = read_all(path, &len, &err);
  if (!bytes) {
    spx_diag_error(diag, file_loc(m), "cannot read '%s': %s", path, strerror(err));
    return -1;
  }
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, bytes);
  free(bytes);
  if (!model) {
    spx_diag_error(diag, file_loc(m), "not a valid ONNX model (the protobuf does not parse)");
    return -1;
  }
  if (!model->graph) {
    spx_diag_error(diag, file_loc(m), "the ONNX model has no graph");
    onnx__model_proto__free_unpacked(model, NULL);
    return -1;
  }
  m->opset = 0;
  for (size_t i = 0; i < model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = model->opset_import[i];
    if ((!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) && o->has_version)
      m->opset = (int)o->version;
  }
  if (m->opset < OPSET_MIN || m->opset > OPSET_MAX) {
    spx_diag_error(diag, file_loc(m), "ONNX opset %d is not supported (opsets %d to %d are)",
                   m->opset, OPSET_MIN, OPSET_MAX);
    onnx__model_proto__free_unpacked(model, NULL);
    return -1;
  }

  const Onnx__GraphProto *g = model->graph;
  char *text = NULL;
  size_t text_len = 0;
  m->out = open_memstream(&text, &text_len);
  if (!m->out) {
    spx_diag_error(diag, file_loc(m), "out of memory");
    onnx__model_proto__free_unpacked(model, NULL);
    return -1;
  }
  const char *name = net_name(m, path);
  fprintf(m->out, "# Imported from the ONNX model '%s' (opset %d%s%s) by spxc.\n",
          printable(m, path), m->opset, model->producer_name && model->producer_name[0] ? ", from " : "",
          model->producer_name ? printable(m, model->producer_name) : "");
  fprintf(m->out, "network %s {\n", name);

  for (size_t i = 0; i < g->n_initializer; i++) {
    const Onnx__TensorProto *t = g->initializer[i];
    const char *tn = t->name ? t->name : "";
    value_t *v = new_value(m, tn, V_CONST);
    if (read_tensor(m, t, v, spx_arena_printf(arena, "initializer '%s'", printable(m, tn))) != 0)
      v->kind = V_POISON;
  }
  m->graph = g;
  count_uses(m, g);
  int n_inputs = 0;
  for (size_t i = 0; i < g->n_input; i++) {
    const char *in = g->input[i]->name ? g->input[i]->name : "";
    if (find_value(m, in)) continue; /* an initializer (its default value) */
    n_inputs++;
    if (import_input(m, g->input[i], (int)i) != 0) new_value(m, in, V_POISON);
  }
  if (!n_inputs) FILE_ERR(m, "the graph has no input that is not an initializer");

  for (size_t i = 0; i < g->n_node; i++) {
    m->node_index = (int)i;
    m->node = g->node[i];
    /* A node that was not imported (or that uses one) poisons its
     * outputs: the nodes after it are still checked for support, but say
     * nothing more about it. */
    if (import_node(m) != 0)
      for (size_t k = 0; k < m->node->n_output; k++)
        if (m->node->output[k][0]) new_value(m, m->node->output[k], V_POISON);
  }

  int n_out = 0;
  fputs("  output", m->out);
  for (size_t i = 0; i < g->n_output; i++) {
    const char *on = g->output[i]->name ? g->output[i]->name : "";
    value_t *v = find_value(m, on);
    if (!v) {
      FILE_ERR(m, "graph output %zu '%s' is not computed by any node", i, printable(m, on));
    } else if (v->kind == V_CONST) {
      FILE_ERR(m, "graph output %zu '%s' is a constant; nothing to compute", i, printable(m, on));
    } else if (v->kind == V_LAYER) {
      fprintf(m->out, "%s %s", n_out ? "," : "", v->ident);
      n_out++;
    }
  }
  if (!g->n_output) FILE_ERR(m, "the graph has no output");
  fputs("\n}\n", m->out);
  fclose(m->out);
  onnx__model_proto__free_unpacked(model, NULL);
  if (!text) {
    spx_diag_error(diag, file_loc(m), "out of memory");
    return -1;
  }
  if (m->errors) {
    spx_diag_note(diag, file_loc(m), "%d error%s in the import; nothing was compiled "
                  "(docs/onnx.md lists what is supported)", m->errors, m->errors == 1 ? "" : "s");
    free(text);
    return -1;
  }
  spx_fe_import_t *imp = spx_arena_alloc(arena, sizeof *imp);
  imp->file = m->file;
  imp->name = name;
  imp->network = spx_arena_strndup(arena, text, text_len);
  free(text);
  imp->n_files = m->n_files;
  imp->files = m->files;
  *out = imp;
  return 0;
}

const char *spx_fe_import_text(const spx_fe_import_t *imp, const char *const *stmts, int n,
                               spx_arena_t *arena) {
  const char *t = spx_arena_printf(
      arena,
      "%s\ncompile %s {\n"
      "  # quantize int8 calibrate=\"calib.npy\"    # inputs, float32 [N, ...]\n"
      "  # sparsify * : block(8x8, density=0.5)\n"
      "  # target cpu\n",
      imp->network, imp->name);
  for (int i = 0; i < n; i++) t = spx_arena_printf(arena, "%s  %s\n", t, stmts[i]);
  return spx_arena_printf(arena, "%s}\n", t);
}

int spx_fe_load_import(const spx_fe_import_t *imp, const spx_fe_vocab_t *vocab,
                       spx_arena_t *arena, spx_wstore_t *store, spx_diag_t *diag,
                       spx_fe_network_t **out_net) {
  spx_parse_state_t ps;
  const char *text = spx_fe_import_text(imp, NULL, 0, arena);
  size_t len = strlen(text);
  *out_net = NULL;
  spx_diag_add_source(diag, imp->file, text, len);
  memset(&ps, 0, sizeof ps);
  ps.arena = arena;
  ps.diag = diag;
  ps.file = imp->file;
  ps.text = text;
  ps.len = len;
  ps.mem = imp->files;
  ps.n_mem = imp->n_files;
  if (spx_fe_parse(&ps, SPX_PARSE_FILE) != 0) return -1;
  return spx_fe_sema(&ps, ps.file, "", vocab, arena, store, diag, out_net);
}
