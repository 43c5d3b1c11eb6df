/* ast.h - private to the frontend: the syntax tree the parser builds and
 * sema.c checks. Every node lives in the compilation's arena; lists are
 * singly linked in source order. */
#ifndef SPX_FE_AST_H
#define SPX_FE_AST_H

#include "frontend/spx_fe.h"

typedef enum ast_kind {
  AST_INT,    /* i (f also set) */
  AST_FLOAT,  /* f */
  AST_STRING, /* s (escapes processed) */
  AST_IDENT,  /* s */
  AST_DIMS,   /* i x i2 */
  AST_LIST,   /* items */
  AST_CALL,   /* s(args); name_loc is the callee name */
} ast_kind_t;

typedef struct ast_value ast_value_t;
typedef struct ast_arg ast_arg_t;

struct ast_arg {
  const char *key; /* NULL for a positional argument */
  spx_loc_t key_loc;
  ast_value_t *value;
  ast_arg_t *next;
};

struct ast_value {
  ast_kind_t kind;
  spx_loc_t loc;
  int64_t i, i2;
  double f;
  const char *s;
  ast_value_t *items; /* LIST */
  int n_items;
  ast_arg_t *args; /* CALL */
  int n_args;
  ast_value_t *next; /* next item of an enclosing list */
};

typedef enum ast_stmt_kind {
  ST_INPUT,       /* input name : prec[items] */
  ST_LAYER,       /* name = value (a CALL) */
  ST_OUTPUT,      /* output items (IDENTs) */
  ST_QUANT_ALL,   /* quantize prec args... */
  ST_QUANT_LAYER, /* quantize name : prec, or : lp(...) (value); name NULL for * */
  ST_SPARSIFY,    /* sparsify name : value (IDENT or CALL); name NULL for * */
  ST_TARGET,      /* target value (IDENT or CALL) */
} ast_stmt_kind_t;

typedef struct ast_stmt ast_stmt_t;
struct ast_stmt {
  ast_stmt_kind_t kind;
  spx_loc_t loc; /* the statement's first token */
  const char *name;
  spx_loc_t name_loc;
  const char *prec; /* INPUT element type, QUANT_* precision */
  spx_loc_t prec_loc;
  ast_value_t *value; /* LAYER call, INPUT dims (a LIST), spec, OUTPUT list */
  ast_arg_t *args;    /* QUANT_ALL options */
  ast_stmt_t *next;
};

typedef struct ast_block {
  const char *name;
  spx_loc_t loc;      /* the keyword */
  spx_loc_t name_loc;
  ast_stmt_t *stmts;
} ast_block_t;

/* Lists under construction (head and tail), for the parser's semantic
 * values. */
typedef struct ast_arglist {
  ast_arg_t *head, *tail;
  int n;
} ast_arglist_t;
typedef struct ast_vlist {
  ast_value_t *head, *tail;
  int n;
} ast_vlist_t;
typedef struct ast_stmtlist {
  ast_stmt_t *head, *tail;
} ast_stmtlist_t;

/* Parser state, shared by the lexer (as its "extra") and the parser. */
typedef struct spx_parse_state {
  spx_arena_t *arena;
  spx_diag_t *diag;
  const char *file;  /* as the user gave it, or "<command line>" */
  const char *text;  /* the source, for quoting tokens in messages */
  size_t len;
  int start_token;   /* returned by the lexer first, then 0 */
  int line, col;     /* lexer position (1-based) */
  int first_line;    /* the text's first line (0: 1): an override's line of
                        "<command line>" */
  int prev_eol_col;  /* column of the last '\n' seen, for the EOF loc */
  int errors;        /* lexical and syntax errors */
  int lex_error_line; /* line of the last lexical error */
  /* Weight files held in memory (an imported model's, spx_fe_load_import):
   * a weight argument naming one of these paths exactly uses it. */
  const spx_fe_memfile_t *mem;
  int n_mem;
  /* Results. */
  ast_block_t *network;
  ast_block_t *compile;
  ast_stmt_t *stmt; /* the statement of an override */
} spx_parse_state_t;

typedef enum spx_parse_mode {
  SPX_PARSE_FILE,
  SPX_PARSE_STMT, /* one compile-block statement (spx_fe_override) */
} spx_parse_mode_t;

/* Lexes and parses `text` (len bytes, need not be NUL-terminated) into
 * ps->network / ps->compile or ps->stmt; reports lexical and syntax errors
 * to ps->diag. Returns ps->errors == 0 ? 0 : -1. (parser.y) */
int spx_fe_parse(spx_parse_state_t *ps, spx_parse_mode_t mode);

/* Semantic analysis of a parsed file (sema.c). `dir` is the directory of the
 * .spx file ("" for the cwd) to which weight paths are relative. */
int spx_fe_sema(const spx_parse_state_t *ps, const char *path, const char *dir,
                const spx_fe_vocab_t *vocab, spx_arena_t *arena, spx_wstore_t *store, spx_diag_t *diag,
                spx_fe_network_t **out_net);
/* Applies one parsed compile statement to net (sema.c). `dir` is NULL when
 * string paths are already relative to the cwd. */
int spx_fe_sema_compile_stmt(spx_fe_network_t *net, const ast_stmt_t *st,
                             const char *dir, spx_arena_t *arena,
                             spx_diag_t *diag);

static inline spx_loc_t spx_fe_mkloc(const char *file, int line, int col) {
  spx_loc_t l;
  l.file = file;
  l.line = line;
  l.col = col;
  return l;
}

#endif /* SPX_FE_AST_H */
