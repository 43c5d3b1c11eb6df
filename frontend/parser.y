/* parser.y - the .spx grammar (pure, reentrant bison; see docs/language.md).
 *
 * Statements end at a newline. A statement that does not parse is reported
 * and skipped up to the end of its line (the `error NL` rules), so one run
 * reports every syntax error of the file. Two start tokens select what is
 * parsed: a whole file, or one compile-block statement (spx_fe_override).
 */
%code requires {
#include "frontend/ast.h"
#ifndef SPX_YYSCAN_T
#define SPX_YYSCAN_T
typedef void *yyscan_t;
#endif
}

%code provides {
int spx_yylex(SPX_YYSTYPE *yylval, SPX_YYLTYPE *yylloc, yyscan_t scanner);
}

%code {
#include <string.h>

static void spx_yyerror(SPX_YYLTYPE *loc, yyscan_t scanner,
                        spx_parse_state_t *ps, const char *msg);

#define LOC(l) spx_fe_mkloc(ps->file, (l).first_line, (l).first_column)

static ast_value_t *new_value(spx_parse_state_t *ps, ast_kind_t kind,
                              SPX_YYLTYPE l) {
  ast_value_t *v = spx_arena_alloc(ps->arena, sizeof *v);
  v->kind = kind;
  v->loc = LOC(l);
  return v;
}

static ast_arg_t *new_arg(spx_parse_state_t *ps, const char *key,
                          SPX_YYLTYPE kl, ast_value_t *value) {
  ast_arg_t *a = spx_arena_alloc(ps->arena, sizeof *a);
  a->key = key;
  a->key_loc = key ? LOC(kl) : value->loc;
  a->value = value;
  return a;
}

static ast_stmt_t *new_stmt(spx_parse_state_t *ps, ast_stmt_kind_t kind,
                            SPX_YYLTYPE l) {
  ast_stmt_t *s = spx_arena_alloc(ps->arena, sizeof *s);
  s->kind = kind;
  s->loc = LOC(l);
  return s;
}

static ast_block_t *new_block(spx_parse_state_t *ps, SPX_YYLTYPE kl,
                              const char *name, SPX_YYLTYPE nl,
                              ast_stmt_t *stmts) {
  ast_block_t *b = spx_arena_alloc(ps->arena, sizeof *b);
  b->loc = LOC(kl);
  b->name = name;
  b->name_loc = LOC(nl);
  b->stmts = stmts;
  return b;
}

static ast_arglist_t args_add(ast_arglist_t l, ast_arg_t *a) {
  if (l.tail) l.tail->next = a;
  else l.head = a;
  l.tail = a;
  l.n++;
  return l;
}

static ast_vlist_t vals_add(ast_vlist_t l, ast_value_t *v) {
  if (l.tail) l.tail->next = v;
  else l.head = v;
  l.tail = v;
  l.n++;
  return l;
}

static ast_stmtlist_t stmts_add(ast_stmtlist_t l, ast_stmt_t *s) {
  if (!s) return l;
  if (l.tail) l.tail->next = s;
  else l.head = s;
  l.tail = s;
  return l;
}

static ast_value_t *make_list(spx_parse_state_t *ps, SPX_YYLTYPE l,
                              ast_vlist_t items) {
  ast_value_t *v = new_value(ps, AST_LIST, l);
  v->items = items.head;
  v->n_items = items.n;
  return v;
}

static ast_value_t *make_call(spx_parse_state_t *ps, const char *name,
                              SPX_YYLTYPE l, ast_arglist_t args) {
  ast_value_t *v = new_value(ps, AST_CALL, l);
  v->s = name;
  v->args = args.head;
  v->n_args = args.n;
  return v;
}
}

%define api.pure full
%define api.prefix {spx_yy}
%define parse.error custom
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {spx_parse_state_t *ps}

%union {
  const char *str;
  int64_t i;
  double f;
  struct { int64_t a, b; } dims;
  ast_value_t *val;
  ast_arg_t *arg;
  ast_arglist_t args;
  ast_vlist_t vals;
  ast_stmt_t *stmt;
  ast_stmtlist_t stmts;
  ast_block_t *block;
}

%token START_FILE START_STMT
%token YYEOF 0 "end of file"
%token NETWORK "network" COMPILE "compile" INPUT "input" OUTPUT "output"
%token QUANTIZE "quantize" SPARSIFY "sparsify" TARGET "target"
%token <str> IDENT "identifier"
%token <str> STRING "string"
%token <i> INT "integer"
%token <f> FLOAT "number"
%token <dims> DIMS "dimensions"
%token NL "end of line"

%type <str> ident
%type <val> value call spec
%type <arg> arg opt
%type <args> args opts
%type <vals> vals idents
%type <stmt> nstmt cstmt
%type <stmts> nstmts cstmts
%type <block> network_block compile_block

%%

top:
  START_FILE file
| START_STMT override
;

file:
  nls network_block nls                       { ps->network = $2; }
| nls network_block nls compile_block nls     { ps->network = $2; ps->compile = $4; }
;

override:
  cstmt nls                                   { ps->stmt = $1; }
;

nls:
  %empty
| nls NL
;

/* Keywords double as names where a name is expected. */
ident:
  IDENT
| NETWORK    { $$ = "network"; }
| COMPILE    { $$ = "compile"; }
| INPUT      { $$ = "input"; }
| OUTPUT     { $$ = "output"; }
| QUANTIZE   { $$ = "quantize"; }
| SPARSIFY   { $$ = "sparsify"; }
| TARGET     { $$ = "target"; }
;

/* ---- network block ---- */

network_block:
  NETWORK ident nls '{' nstmts '}'            { $$ = new_block(ps, @1, $2, @2, $5.head); }
| NETWORK ident nls '{' nstmts nstmt '}'      { $$ = new_block(ps, @1, $2, @2, stmts_add($5, $6).head); }
;

nstmts:
  %empty                                      { $$.head = $$.tail = NULL; }
| nstmts NL                                   { $$ = $1; }
| nstmts nstmt NL                             { $$ = stmts_add($1, $2); }
| nstmts error NL                             { $$ = $1; yyerrok; }
;

nstmt:
  INPUT ident ':' ident '[' nls vals ']' {
      $$ = new_stmt(ps, ST_INPUT, @1);
      $$->name = $2; $$->name_loc = LOC(@2);
      $$->prec = $4; $$->prec_loc = LOC(@4);
      $$->value = make_list(ps, @5, $7);
    }
| ident '=' call {
      $$ = new_stmt(ps, ST_LAYER, @1);
      $$->name = $1; $$->name_loc = LOC(@1);
      $$->value = $3;
    }
| OUTPUT idents {
      $$ = new_stmt(ps, ST_OUTPUT, @1);
      $$->value = make_list(ps, @2, $2);
    }
;

idents:
  ident                                       { $$.head = $$.tail = NULL; $$.n = 0;
                                                ast_value_t *v = new_value(ps, AST_IDENT, @1); v->s = $1;
                                                $$ = vals_add($$, v); }
| idents ',' nls ident                        { ast_value_t *v = new_value(ps, AST_IDENT, @4); v->s = $4;
                                                $$ = vals_add($1, v); }
;

call:
  ident '(' nls ')'                           { ast_arglist_t e = {NULL, NULL, 0}; $$ = make_call(ps, $1, @1, e); }
| ident '(' nls args ')'                      { $$ = make_call(ps, $1, @1, $4); }
;

args:
  arg                                         { ast_arglist_t e = {NULL, NULL, 0}; $$ = args_add(e, $1); }
| args ',' nls arg                            { $$ = args_add($1, $4); }
;

arg:
  value                                       { $$ = new_arg(ps, NULL, @1, $1); }
| ident '=' value                             { $$ = new_arg(ps, $1, @1, $3); }
;

value:
  INT                                         { $$ = new_value(ps, AST_INT, @1); $$->i = $1; $$->f = (double)$1; }
| FLOAT                                       { $$ = new_value(ps, AST_FLOAT, @1); $$->f = $1; }
| STRING                                      { $$ = new_value(ps, AST_STRING, @1); $$->s = $1; }
| DIMS                                        { $$ = new_value(ps, AST_DIMS, @1); $$->i = $1.a; $$->i2 = $1.b; }
| ident                                       { $$ = new_value(ps, AST_IDENT, @1); $$->s = $1; }
| '[' nls ']'                                 { ast_vlist_t e = {NULL, NULL, 0}; $$ = make_list(ps, @1, e); }
| '[' nls vals ']'                            { $$ = make_list(ps, @1, $3); }
| call
;

vals:
  value                                       { ast_vlist_t e = {NULL, NULL, 0}; $$ = vals_add(e, $1); }
| vals ',' nls value                          { $$ = vals_add($1, $4); }
;

/* ---- compile block ---- */

compile_block:
  COMPILE ident nls '{' cstmts '}'            { $$ = new_block(ps, @1, $2, @2, $5.head); }
| COMPILE ident nls '{' cstmts cstmt '}'      { $$ = new_block(ps, @1, $2, @2, stmts_add($5, $6).head); }
;

cstmts:
  %empty                                      { $$.head = $$.tail = NULL; }
| cstmts NL                                   { $$ = $1; }
| cstmts cstmt NL                             { $$ = stmts_add($1, $2); }
| cstmts error NL                             { $$ = $1; yyerrok; }
;

cstmt:
  QUANTIZE ident opts {
      $$ = new_stmt(ps, ST_QUANT_ALL, @1);
      $$->prec = $2; $$->prec_loc = LOC(@2);
      $$->args = $3.head;
    }
| QUANTIZE ident ':' spec {
      $$ = new_stmt(ps, ST_QUANT_LAYER, @1);
      $$->name = $2; $$->name_loc = LOC(@2);
      $$->prec = $4->s; $$->prec_loc = $4->loc;
      $$->value = $4;
    }
| QUANTIZE '*' ':' spec {
      $$ = new_stmt(ps, ST_QUANT_LAYER, @1);
      $$->name_loc = LOC(@2);
      $$->prec = $4->s; $$->prec_loc = $4->loc;
      $$->value = $4;
    }
| SPARSIFY ident ':' spec {
      $$ = new_stmt(ps, ST_SPARSIFY, @1);
      $$->name = $2; $$->name_loc = LOC(@2);
      $$->value = $4;
    }
| SPARSIFY '*' ':' spec {
      $$ = new_stmt(ps, ST_SPARSIFY, @1);
      $$->name_loc = LOC(@2);
      $$->value = $4;
    }
| TARGET spec {
      $$ = new_stmt(ps, ST_TARGET, @1);
      $$->value = $2;
    }
;

opts:
  %empty                                      { $$.head = $$.tail = NULL; $$.n = 0; }
| opts opt                                    { $$ = args_add($1, $2); }
| opts ',' opt                                { $$ = args_add($1, $3); }
;

opt:
  ident '=' value                             { $$ = new_arg(ps, $1, @1, $3); }
;

spec:
  ident                                       { $$ = new_value(ps, AST_IDENT, @1); $$->s = $1; }
| call
;

%%

static void spx_yyerror(SPX_YYLTYPE *loc, yyscan_t scanner,
                        spx_parse_state_t *ps, const char *msg) {
  (void)scanner;
  spx_diag_error(ps->diag, LOC(*loc), "%s", msg);
  ps->errors++;
}

static const char *const keywords[] = {"network", "compile", "input", "output",
                                       "quantize", "sparsify", "target"};

static int is_keyword(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
    if (strlen(keywords[i]) == len && memcmp(keywords[i], name, len) == 0)
      return 1;
  return 0;
}

/* A token kind as users read it: 'network', ',', identifier. */
static void append_symbol(char *buf, size_t n, yysymbol_kind_t k) {
  const char *name = yysymbol_name(k);
  size_t len = strlen(name), used = strlen(buf);
  int quote;
  if (len >= 2 && name[0] == '"') {
    name++;
    len -= 2;
  }
  quote = is_keyword(name, len);
  snprintf(buf + used, n - used, "%s%.*s%s", quote ? "'" : "", (int)len, name,
           quote ? "'" : "");
}

/* "syntax error, unexpected identifier 'foo', expecting ',' or ')'".
 * Keywords are left out of the expected list when an identifier is
 * expected (they are identifiers there); the list is given only when
 * short. A syntax error on a line that already has a lexical error is
 * counted but not shown: it is almost always a consequence. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
                                 spx_parse_state_t *ps) {
  yysymbol_kind_t expected[YYNTOKENS], shown[YYNTOKENS];
  yysymbol_kind_t tok = yypcontext_token(ctx);
  const SPX_YYLTYPE *l = yypcontext_location(ctx);
  char msg[512] = "syntax error";
  int n, n_shown = 0, want_ident = 0;
  (void)scanner;
  ps->errors++;
  if (ps->lex_error_line == l->first_line) return 0;
  if (tok != YYSYMBOL_YYEMPTY) {
    size_t used;
    strcat(msg, ", unexpected ");
    append_symbol(msg, sizeof msg, tok);
    used = strlen(msg);
    /* Quote the text of identifiers, numbers and strings. */
    if ((tok == YYSYMBOL_IDENT || tok == YYSYMBOL_INT ||
         tok == YYSYMBOL_FLOAT || tok == YYSYMBOL_DIMS ||
         tok == YYSYMBOL_STRING) &&
        l->first_line == l->last_line && l->last_column >= l->first_column) {
      /* The diagnostics' line index: no rescan of the file per error. */
      size_t line_len;
      const char *p = spx_diag_source_line(ps->diag, ps->file, l->first_line, &line_len);
      size_t off = (size_t)(l->first_column - 1);
      size_t tl = (size_t)(l->last_column - l->first_column + 1);
      if (p && off + tl <= line_len && tl <= 40) {
        if (tok == YYSYMBOL_STRING)
          snprintf(msg + used, sizeof msg - used, " %.*s", (int)tl, p + off);
        else
          snprintf(msg + used, sizeof msg - used, " '%.*s'", (int)tl, p + off);
      }
    }
  }
  n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
  for (int i = 0; i < n; i++)
    if (expected[i] == YYSYMBOL_IDENT) want_ident = 1;
  for (int i = 0; i < n; i++) {
    const char *name = yysymbol_name(expected[i]);
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '"') {
      name++;
      len -= 2;
    }
    if (want_ident && is_keyword(name, len)) continue;
    shown[n_shown++] = expected[i];
  }
  if (n_shown > 0 && n_shown <= 5) {
    for (int i = 0; i < n_shown; i++) {
      strcat(msg, i == 0 ? ", expecting " : i == n_shown - 1 ? " or " : ", ");
      append_symbol(msg, sizeof msg, shown[i]);
    }
  }
  spx_diag_error(ps->diag, LOC(*l), "%s", msg);
  return 0;
}

int spx_yylex_init_extra(spx_parse_state_t *extra, yyscan_t *scanner);
int spx_yylex_destroy(yyscan_t scanner);
void *spx_yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);

int spx_fe_parse(spx_parse_state_t *ps, spx_parse_mode_t mode) {
  yyscan_t scanner;
  int rc;
  if (ps->len > (size_t)INT32_MAX) {
    spx_diag_error(ps->diag, spx_fe_mkloc(ps->file, 0, 0), "file is too large");
    return -1;
  }
  if (ps->first_line < 1) ps->first_line = 1;
  ps->line = ps->first_line;
  ps->col = 1;
  ps->start_token = mode == SPX_PARSE_FILE ? START_FILE : START_STMT;
  if (spx_yylex_init_extra(ps, &scanner) != 0) {
    spx_diag_error(ps->diag, spx_fe_mkloc(ps->file, 0, 0), "out of memory");
    return -1;
  }
  spx_yy_scan_bytes(ps->text, (int)ps->len, scanner);
  rc = spx_yyparse(scanner, ps);
  spx_yylex_destroy(scanner);
  if (rc != 0 && ps->errors == 0) ps->errors++; /* memory exhausted */
  if (spx_diag_stopped(ps->diag) && ps->errors == 0) ps->errors++;
  return ps->errors == 0 ? 0 : -1;
}
