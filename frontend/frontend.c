/* frontend.c - the frontend's entry points (spx_fe.h): load a .spx file,
 * apply command-line overrides, and the name tables. */
#include "frontend/ast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {
#define X(e, s) s,
    SPX_FE_ROLES(X)
#undef X
};

const char *spx_op_name(spx_op_t op) {
  if (op == SPX_OP_INPUT) return "input";
  return (unsigned)op < SPX_OP_COUNT_ ? spx_ir_op_info(spx_op_ir(op))->name : "?";
}

const char *spx_role_name(spx_role_t role) {
  return (unsigned)role < SPX_ROLE_COUNT_ ? role_names[role] : "?";
}

const char *spx_fe_precision_name(spx_fe_precision_t p) {
  switch (p) {
  case SPX_PREC_F32: return spx_dtype_name(SPX_DT_F32);
  case SPX_PREC_INT8: return spx_dtype_name(SPX_DT_INT8);
  case SPX_PREC_DEFAULT: break;
  }
  return NULL;
}

int spx_fe_find_layer(const spx_fe_network_t *net, const char *name) {
  if (net->layer_index) {
    size_t mask = net->layer_index_cap - 1, i = (size_t)spx_hash_str(name) & mask;
    for (; net->layer_index[i]; i = (i + 1) & mask)
      if (strcmp(net->layers[net->layer_index[i] - 1].name, name) == 0)
        return net->layer_index[i] - 1;
    return -1;
  }
  for (int i = 0; i < net->n_layers; i++)
    if (strcmp(net->layers[i].name, name) == 0) return i;
  return -1;
}

void spx_fe_index_layers(spx_fe_network_t *net, spx_arena_t *arena) {
  size_t cap = 16;
  while (cap < 2 * (size_t)net->n_layers) cap *= 2;
  int *index = spx_arena_alloc(arena, cap * sizeof *index);
  size_t mask = cap - 1;
  for (int l = 0; l < net->n_layers; l++) {
    size_t i = (size_t)spx_hash_str(net->layers[l].name) & mask;
    while (index[i] && strcmp(net->layers[index[i] - 1].name, net->layers[l].name) != 0)
      i = (i + 1) & mask;
    if (!index[i]) index[i] = l + 1; /* the first of equal names, as the linear search */
  }
  net->layer_index = index;
  net->layer_index_cap = cap;
}

/* Reads the whole file into the arena ("-": standard input). */
static char *read_file(const char *path, spx_arena_t *arena, size_t *out_len,
                       int *out_errno) {
  const int is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  char *buf = NULL;
  size_t cap = 0, len = 0;
  *out_len = 0;
  if (!f) {
    *out_errno = errno;
    return NULL;
  }
  for (;;) {
    size_t got;
    if (len == cap) {
      char *grown;
      cap = cap ? cap * 2 : 65536;
      grown = realloc(buf, cap);
      if (!grown) {
        *out_errno = ENOMEM;
        free(buf);
        if (!is_stdin) fclose(f);
        return NULL;
      }
      buf = grown;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    *out_errno = errno ? errno : EIO;
    free(buf);
    if (!is_stdin) fclose(f);
    return NULL;
  }
  if (!is_stdin) fclose(f);
  {
    char *text = spx_arena_strndup(arena, buf ? buf : "", len);
    free(buf);
    *out_len = len;
    return text;
  }
}

int spx_fe_load(const char *path, const spx_fe_vocab_t *vocab, spx_arena_t *arena,
                spx_wstore_t *store, spx_diag_t *diag, spx_fe_network_t **out_net) {
  spx_parse_state_t ps;
  const char *slash;
  char *dir;
  size_t len;
  int err = 0;
  char *text;

  *out_net = NULL;
  text = read_file(path, arena, &len, &err);
  /* Standard input: errors at "<stdin>:LINE:COL", weights relative to the
   * working directory (as the command line's paths). */
  if (strcmp(path, "-") == 0) path = "<stdin>";
  if (!text) {
    spx_diag_error(diag, spx_fe_mkloc(path, 0, 0), "cannot read '%s': %s", path,
                   strerror(err));
    return -1;
  }
  spx_diag_add_source(diag, path, text, len);

  memset(&ps, 0, sizeof ps);
  ps.arena = arena;
  ps.diag = diag;
  ps.file = spx_arena_strdup(arena, path);
  ps.text = text;
  ps.len = len;
  if (spx_fe_parse(&ps, SPX_PARSE_FILE) != 0) return -1;

  /* Weight paths are relative to the directory of the .spx file. */
  slash = strcmp(path, "<stdin>") == 0 ? NULL : strrchr(path, '/');
  dir = slash ? spx_arena_strndup(arena, path, (size_t)(slash - path) + 1)
              : spx_arena_strdup(arena, "");
  return spx_fe_sema(&ps, ps.file, dir, vocab, arena, store, diag, out_net);
}

int spx_fe_override(spx_fe_network_t *net, const char *statement,
                    spx_arena_t *arena, spx_diag_t *diag) {
  static const char file[] = "<command line>";
  spx_parse_state_t ps;
  size_t len = strlen(statement);

  /* "<command line>" holds every override so far, one a line (or more,
   * for a statement with a newline): this one starts on the next line. */
  int first_line = net->cmdline_lines + 1;
  const char *all = net->cmdline ? spx_arena_printf(arena, "%s\n%s", net->cmdline, statement)
                                 : spx_arena_strdup(arena, statement);
  net->cmdline = all;
  net->cmdline_len = strlen(all);
  net->cmdline_lines++;
  for (size_t i = 0; i < len; i++) net->cmdline_lines += statement[i] == '\n';
  spx_diag_add_source(diag, file, all, net->cmdline_len);
  memset(&ps, 0, sizeof ps);
  ps.first_line = first_line;
  ps.arena = arena;
  ps.diag = diag;
  ps.file = file;
  ps.text = spx_arena_strndup(arena, statement, len);
  ps.len = len;
  if (spx_fe_parse(&ps, SPX_PARSE_STMT) != 0) return -1;
  /* Paths on the command line are relative to the working directory. */
  return spx_fe_sema_compile_stmt(net, ps.stmt, NULL, arena, diag);
}

int spx_fe_set_target_option(spx_fe_network_t *net, const char *key_value,
                             spx_arena_t *arena, spx_diag_t *diag) {
  spx_fe_spec_t old = net->compile.target;
  const char *name = old.name ? old.name : "cpu";
  /* Parse "KEY=VALUE" with the language's own rules, as a one-option target
   * statement, then merge that option into the target as it was. */
  if (spx_fe_override(net, spx_arena_printf(arena, "target %s(%s)", name, key_value), arena,
                      diag) != 0)
    return -1;
  spx_fe_spec_t one = net->compile.target;
  if (one.n_options != 1 || !one.options[0].key) {
    net->compile.target = old;
    spx_diag_error(diag, one.loc, "--target-opt expects KEY=VALUE, got '%s'", key_value);
    return -1;
  }
  spx_fe_option_t *merged = spx_arena_alloc(arena, (size_t)(old.n_options + 1) * sizeof *merged);
  int n = 0;
  for (int i = 0; i < old.n_options; i++)
    if (!old.options[i].key || strcmp(old.options[i].key, one.options[0].key) != 0)
      merged[n++] = old.options[i];
  merged[n++] = one.options[0];
  net->compile.target.name = name;
  net->compile.target.options = merged;
  net->compile.target.n_options = n;
  if (old.name) net->compile.target.loc = old.loc;
  return 0;
}
