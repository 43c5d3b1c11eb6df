/* emit_c.c - NAME.h and NAME.c: portable C99 that runs the program through
 * libspxrt with a static memory plan (docs/generated-c.md).
 *
 * The .c file holds, per layer and in execution order, its weights as
 * aligned static const unions initialized by string literals of their bytes
 * (exact; see emit_array), or with --weights=blob their offsets in the image
 * NAME.weights.bin that NAME.weights.S links in, its output tensor
 * and its spx_rt_layer_t descriptor, each under a comment naming the layer's
 * line in the .spx file; then STEM_run, which copies the inputs into the
 * workspace, runs every layer with the entry point of spx_direct.h for its
 * kind, dtype and weight format (the kernels and parameters of
 * spx_rt_layer_run, which the cpu device uses, so both give identical bits;
 * spxc checks each layer here, check_layers, so that a product links only
 * the kernels its layers call) and copies the outputs out.
 * No allocation, no globals that change. STEM is the network's name, after
 * spxc --c-prefix when given; STEM_run and STEM_workspace_size are the only
 * external symbols, and every macro of NAME.h starts with STEM upper-cased.
 *
 * For an accelerator target (aie, bitserial, lpa) the .c file embeds the .spxbin
 * instead and STEM_run runs it on the runtime's device for that target (its
 * simulator): the same stream spx-run executes, so again identical bits. */
#include "backends/spx_backend.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/device/spx_device.h"
#include "runtime/device/spx_direct.h"
#include "runtime/formats/spx_formats.h"

typedef struct names {
  const char **slot; /* open addressing; the strings live in the arena */
  size_t mask;
} names_t;

typedef struct cgen {
  const spx_program_t *p;
  spx_arena_t *arena;
  const char *prefix;       /* --c-prefix, or NULL */
  const char *stem;         /* prefix + network name: STEM_run, ... */
  const char *macro;        /* the stem upper-cased: STEM_H, STEM_WORKSPACE_SIZE */
  names_t reserved;         /* words no generated identifier may be */
  names_t taken;            /* identifiers of NAME.c and NAME.h so far */
  const char **tensor_sym;  /* per tensor */
  bool *tensor_used;        /* per tensor: some layer reads or writes it */
  const char **blob_sym;    /* per blob: its array */
  const char **layer_sym;   /* per layer */
  const char **in_param;    /* per input: its parameter of STEM_run */
  const char **out_param;   /* per output */
  const char **in_macro;    /* per input: NAME in STEM_INPUT_NAME_SIZE */
  const char **out_macro;   /* per output: NAME in STEM_OUTPUT_NAME_SIZE */
  const char **quant_macro; /* per layer: NAME in STEM_NAME_SCALE, or NULL */
  uint32_t *blob_offset;    /* --weights=blob: per blob, its offset in NAME.weights.bin */
  uint32_t weights_size;    /* --weights=blob: bytes of NAME.weights.bin */
  uint32_t weights_crc;     /* --weights=blob: its CRC-32 */
  uint8_t *s8_kernel;       /* per layer: spx_rt_direct_s8_kernel (int8 conv2d/dense) */
} cgen_t;

/* ---- C names -------------------------------------------------------------
 *
 * Every identifier of NAME.c and NAME.h comes from a name of the network
 * through one mapping, deterministic and injective (docs/generated-c.md):
 *   1. every byte outside [A-Za-z0-9_] becomes '_';
 *   2. the kind's prefix is put in front: tensor_, layer_, out_ (outputs);
 *      weights and inputs have none, unless the name is not usable as is
 *      (empty, starts with a digit, or reserved: see c_reserved), when they
 *      get blob_ and in_;
 *   3. a name already taken gets the first free suffix of _2, _3, ...
 * Names are taken in a fixed order: the header's macros and functions, then
 * tensors, weights and layers in program order, then the parameters of
 * STEM_run (inputs, then outputs), which also avoid everything at file
 * scope and the function's locals. The header's macros upper-case the name
 * (steps 1 and 3 within each family: inputs, outputs, quantization points). */

/* Keywords of C (C89 to C23, and GNU's asm) and C++, the identifiers and
 * object-like macros of the C standard headers (and of glibc's <string.h>
 * in its GNU mode) that no pattern of std_pattern covers, macros gcc and
 * clang predefine on Linux in GNU modes, and the names the generated code
 * itself uses. Identifiers starting with '_' are reserved by rule. */
static const char *const c_reserved_words[] = {
    /* C */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "alignas", "alignof", "bool", "constexpr",
    "false", "nullptr", "static_assert", "thread_local", "true", "typeof", "typeof_unqual", "asm",
    /* C++ */
    "and", "and_eq", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t", "class",
    "compl", "concept", "consteval", "constinit", "const_cast", "co_await", "co_return",
    "co_yield", "decltype", "delete", "dynamic_cast", "explicit", "export", "friend", "mutable",
    "namespace", "new", "noexcept", "not", "not_eq", "operator", "or", "or_eq", "private",
    "protected", "public", "reinterpret_cast", "requires", "static_cast", "template", "this",
    "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
    /* <stddef.h>, <stdarg.h>, <stdint.h> beyond the patterns */
    "NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t", "nullptr_t", "unreachable",
    "va_list", "va_start", "va_arg", "va_end", "va_copy", "PTRDIFF_MIN", "PTRDIFF_MAX",
    "PTRDIFF_WIDTH", "SIZE_MAX", "SIZE_WIDTH", "WCHAR_MIN", "WCHAR_MAX", "WCHAR_WIDTH",
    "WINT_MIN", "WINT_MAX", "WINT_WIDTH",
    /* <string.h> (C23, then glibc's GNU and POSIX additions) */
    "memcpy", "memccpy", "memmove", "strcpy", "strncpy", "strdup", "strndup", "strcat",
    "strncat", "memcmp", "strcmp", "strcoll", "strncmp", "strxfrm", "memchr", "strchr",
    "strcspn", "strpbrk", "strrchr", "strspn", "strstr", "strtok", "memset", "memset_explicit",
    "strerror", "strlen", "strnlen", "stpcpy", "stpncpy", "strtok_r", "strerror_r", "strsignal",
    "strcasecmp", "strncasecmp", "index", "rindex", "bcopy", "bzero", "bcmp", "ffs", "ffsl",
    "ffsll", "explicit_bzero", "strsep", "mempcpy", "memrchr", "rawmemchr", "strchrnul",
    "strcasestr", "memmem", "strverscmp", "strfry", "memfrob", "basename", "strlcpy", "strlcat",
    "locale_t",
    /* object-like macros of other standard headers a product may include
       before NAME.h */
    "EOF", "BUFSIZ", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "TMP_MAX", "SEEK_SET", "SEEK_CUR",
    "SEEK_END", "stdin", "stdout", "stderr", "EXIT_SUCCESS", "EXIT_FAILURE", "RAND_MAX",
    "MB_CUR_MAX", "MB_LEN_MAX", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "I",
    "complex", "imaginary", "noreturn", "errno", "assert", "math_errhandling", "CLOCKS_PER_SEC",
    "WEOF", "ONCE_FLAG_INIT", "CHAR_BIT", "CHAR_MIN", "CHAR_MAX", "SCHAR_MIN", "SCHAR_MAX",
    "UCHAR_MAX", "SHRT_MIN", "SHRT_MAX", "USHRT_MAX", "LONG_MIN", "LONG_MAX", "ULONG_MAX",
    "LLONG_MIN", "LLONG_MAX", "ULLONG_MAX", "DECIMAL_DIG",
    /* predefined in GNU modes; the entry point */
    "linux", "unix", "i386", "main",
    /* the generated code's own names (locals of STEM_run, file-scope arrays) */
    "layers", "stream", "stream_bytes", "ws", "i", "st", "inputs", "outputs", "model",
    "workspace", "weights", "weight_offsets", "layer",
};

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(char c) { return is_upper(c) || is_lower(c) || is_digit(c) || c == '_'; }

static bool starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* libspxrt's namespace: spx and spx_... in any case (macros are
 * upper-cased, so Spx_x would give SPX_X_H). */
static bool runtime_name(const char *s) {
  static const char spx[] = "spx";
  for (int i = 0; i < 3; i++)
    if ((s[i] | 0x20) != spx[i]) return false;
  return s[3] == '\0' || s[3] == '_';
}

/* Names the C standard reserves for its headers' typedefs and macros (C11
 * 7.31, future library directions) that a header the product includes may
 * define: int8_t, INT8_MAX, UINT32_C, EDOM, FE_INEXACT, FP_NAN, LC_ALL,
 * SIGINT, SIG_DFL, FLT_MAX, DBL_EPSILON, LDBL_DIG, PRId32, SCNx8,
 * TIME_UTC, ATOMIC_VAR_INIT, MATH_ERRNO. */
static bool std_pattern(const char *s) {
  if ((starts_with(s, "int") || starts_with(s, "uint")) && ends_with(s, "_t")) return true;
  if ((starts_with(s, "INT") || starts_with(s, "UINT")) &&
      (ends_with(s, "_MAX") || ends_with(s, "_MIN") || ends_with(s, "_C") ||
       ends_with(s, "_WIDTH")))
    return true;
  if (s[0] == 'E' && (is_digit(s[1]) || is_upper(s[1]))) return true;
  static const char *const upper_after[] = {"FE_",  "FP_",   "LC_",   "SIG",     "SIG_",
                                            "FLT_", "DBL_",  "LDBL_", "TIME_",   "ATOMIC_",
                                            "MATH_"};
  for (size_t k = 0; k < sizeof upper_after / sizeof upper_after[0]; k++)
    if (starts_with(s, upper_after[k]) && is_upper(s[strlen(upper_after[k])])) return true;
  if ((starts_with(s, "PRI") || starts_with(s, "SCN")) && (is_lower(s[3]) || s[3] == 'X'))
    return true;
  return false;
}

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

/* A set for at most n names. */
static void names_init(names_t *set, spx_arena_t *arena, size_t n) {
  size_t cap = 64;
  while (cap < 2 * n + 64) cap *= 2;
  set->slot = spx_arena_alloc(arena, cap * sizeof *set->slot);
  set->mask = cap - 1;
}

static bool names_has(const names_t *set, const char *name) {
  for (size_t i = name_hash(name) & set->mask; set->slot[i]; i = (i + 1) & set->mask)
    if (strcmp(set->slot[i], name) == 0) return true;
  return false;
}

static void names_add(names_t *set, const char *name) {
  size_t i = name_hash(name) & set->mask;
  for (; set->slot[i]; i = (i + 1) & set->mask)
    if (strcmp(set->slot[i], name) == 0) return;
  set->slot[i] = name;
}

/* Whether `s` (made of [A-Za-z0-9_]) is no identifier the generated code
 * may declare: empty, a leading digit or '_', a reserved word or pattern,
 * libspxrt's namespace. */
static bool c_reserved(const cgen_t *g, const char *s) {
  return !(is_upper(s[0]) || is_lower(s[0])) || names_has(&g->reserved, s) || runtime_name(s) ||
         std_pattern(s);
}

/* prefix + name, every byte outside [A-Za-z0-9_] replaced by '_'. */
static char *ident(spx_arena_t *arena, const char *prefix, const char *name) {
  char *s = spx_arena_printf(arena, "%s%s", prefix, name);
  for (char *c = s; *c; c++)
    if (!is_ident_char(*c)) *c = '_';
  return s;
}

static char *upper(spx_arena_t *arena, const char *name) {
  char *s = ident(arena, "", name);
  for (char *c = s; *c; c++)
    if (is_lower(*c)) *c = (char)(*c - 'a' + 'A');
  return s;
}

/* The first of base, base_2, base_3, ... not in `set`, added to it. */
static const char *take(cgen_t *g, names_t *set, const char *base) {
  const char *s = base;
  for (int n = 2; names_has(set, s); n++) s = spx_arena_printf(g->arena, "%s_%d", base, n);
  names_add(set, s);
  return s;
}

/* The identifier of `name`, a thing of one kind: kind + name mangled; when
 * that is reserved, fallback + name (fallback is then never reserved, nor
 * is any suffixed form of it); then the first free suffix in g->taken. */
static const char *claim(cgen_t *g, const char *kind, const char *fallback, const char *name) {
  const char *base = ident(g->arena, kind, name);
  if (c_reserved(g, base)) base = ident(g->arena, fallback, name);
  SPX_ASSERT(!c_reserved(g, base));
  const char *s = base;
  for (int n = 2; names_has(&g->taken, s) || c_reserved(g, s); n++)
    s = spx_arena_printf(g->arena, "%s_%d", base, n);
  names_add(&g->taken, s);
  return s;
}

/* Text for a C comment: printable ASCII without the sequences that end or
 * nest a comment or make a trigraph; anything else becomes '_'. */
static const char *ctext(const cgen_t *g, const char *s) {
  bool clean = true;
  for (const char *c = s; *c && clean; c++)
    clean = *c >= ' ' && *c <= '~' && *c != '\\' && *c != '?' && !(c[0] == '*' && c[1] == '/') &&
            !(c[0] == '/' && c[1] == '*');
  if (clean) return s;
  char *t = spx_arena_strdup(g->arena, s);
  for (char *c = t; *c; c++)
    if (!(*c >= ' ' && *c <= '~') || *c == '\\' || *c == '?' || *c == '*' || *c == '/') *c = '_';
  return t;
}

static const char *c_type(uint8_t dtype) {
  switch (dtype) {
  case SPX_CS_DTYPE_F32: return "float";
  case SPX_CS_DTYPE_INT8: return "int8_t";
  case SPX_CS_DTYPE_INT32: return "int32_t";
  default: return "uint8_t";
  }
}

static uint32_t f32_bits(float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  return u;
}

static bool f32_finite(float v) { return (f32_bits(v) & 0x7f800000u) != 0x7f800000u; }

/* A finite float as a C99 literal that reads back bit for bit: 0.0f, -0.0f
 * or a hex float. Non-finite values have no such literal; none reaches
 * the C (spxc refuses non-finite weights where they are read, and the
 * stream requires finite tensor scales). */
static void print_float(FILE *f, float v) {
  SPX_ASSERT(f32_finite(v));
  if (v == 0) fputs(f32_bits(v) >> 31 ? "-0.0f" : "0.0f", f);
  else fprintf(f, "%af", (double)v);
}

/* A finite float as a decimal literal for a header macro: %.9g reads back
 * exactly, but may print no '.' or exponent ("2"), and "2f" is no literal. */
static void print_float_decimal(FILE *f, float v) {
  SPX_ASSERT(f32_finite(v));
  char buf[64];
  snprintf(buf, sizeof buf, "%.9g", (double)v);
  fprintf(f, "%s%sf", buf, strpbrk(buf, ".e") ? "" : ".0");
}

/* ---- weight literals ------------------------------------------------------
 *
 * Weights are most of a generated file, so their literals are formatted by
 * hand into a buffer written in large blocks, not by one fprintf each. */

typedef struct litbuf {
  FILE *f;
  size_t len;
  char buf[1 << 16];
} litbuf_t;

static void lit_flush(litbuf_t *b) {
  if (b->len) fwrite(b->buf, 1, b->len, b->f);
  b->len = 0;
}

/* Room for n more bytes (n is small: one literal and its separator). */
static char *lit_reserve(litbuf_t *b, size_t n) {
  if (b->len + n > sizeof b->buf) lit_flush(b);
  return b->buf + b->len;
}

static void lit_puts(litbuf_t *b, const char *s) {
  size_t n = strlen(s);
  memcpy(lit_reserve(b, n), s, n);
  b->len += n;
}

static const char lit_hex[] = "0123456789abcdef";

/* Bytes as the lines of one string literal: "\xhh" for every byte (so no
 * escape runs into the next character), WEIGHT_LINE_BYTES bytes a line, the
 * lines concatenated. gcc and clang read a string literal as one token, many
 * times faster and in far less memory than an initializer of one number per
 * element. */
#define WEIGHT_LINE_BYTES 1024u

static void lit_bytes(litbuf_t *b, const uint8_t *data, size_t n) {
  if (n == 0) lit_puts(b, "\n  \"\"");
  for (size_t i = 0; i < n; i++) {
    if (i % WEIGHT_LINE_BYTES == 0) lit_puts(b, i ? "\"\n  \"" : "\n  \"");
    char *o = lit_reserve(b, 4);
    o[0] = '\\';
    o[1] = 'x';
    o[2] = lit_hex[data[i] >> 4];
    o[3] = lit_hex[data[i] & 15];
    b->len += 4;
  }
  if (n) lit_puts(b, "\"");
}

/* A weight: a union of the bytes, initialized by a string literal of them
 * as a little-endian target stores them (the stream's blobs are
 * little-endian; NAME.c stops with #error on a big-endian target), and `v`, the elements of the
 * weight's type, which the layer points at. C99 6.5.2.3 (footnote 82 of
 * TC3) and C11 6.2.6.1: the value of a union member other than the one last
 * stored is the stored bytes reinterpreted in the member's type; `v` is an
 * object of that type, so reading it through `const float *` or `const
 * int32_t *` is an access of an object of its own type, as strict aliasing
 * requires (a plain byte array read through a float pointer would not be).
 * The byte array holds one more byte than the data, the literal's
 * terminating '\0', so that no compiler warns of an unterminated string. */
static void emit_array(const cgen_t *g, FILE *f, uint16_t id) {
  const spx_cs_blob_t *b = &g->p->image.blobs[id];
  const char *sym = g->blob_sym[id];
  unsigned size = spx_cs_dtype_size(b->dtype);
  uint32_t n = b->length / size;
  fprintf(f, "/* %s: %s[%u] */\nstatic const union {\n  unsigned char b[%u];\n  %s v[%u];\n} %s SPX_ALIGNED = {",
          ctext(g, b->name), spx_cs_dtype_name(b->dtype), n, b->length + 1, c_type(b->dtype),
          n ? n : 1, sym);
  litbuf_t *lb = malloc(sizeof *lb);
  if (!lb) SPX_UNREACHABLE("out of memory");
  lb->f = f;
  lb->len = 0;
  lit_bytes(lb, b->data, b->length);
  lit_flush(lb);
  free(lb);
  fputs("};\n", f);
}

static void emit_tensor(FILE *f, const char *sym, const spx_cs_tensor_t *t) {
  fprintf(f, "static const spx_rt_tensor_t %s = {%u, %u, {", sym, t->dtype, t->rank);
  for (int i = 0; i < 6; i++) fprintf(f, i ? ", %u" : "%u", i < t->rank ? t->dims[i] : 0);
  fputs("}, ", f);
  print_float(f, t->scale);
  fprintf(f, ", %d, %u};\n", (int)t->zero_point, t->ws_offset);
}

static const char *blob_ref(const cgen_t *g, uint16_t id) {
  return id == SPX_CS_NONE || g->blob_offset ? "0" : spx_arena_printf(g->arena, "%s.v", g->blob_sym[id]);
}

static void emit_layer(const cgen_t *g, FILE *f, uint32_t i, const char *sym) {
  const spx_cs_command_t *cmd = &g->p->layer_commands[i];
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
  fprintf(f, "static const spx_rt_layer_t %s = {\n  %u, %u, %u, %d,\n  {", sym, l->op, l->act,
          l->n_in, l->axis);
  for (int k = 0; k < 4; k++)
    fprintf(f, "%s%s%s", k ? ", " : "", k < l->n_in ? "&" : "", k < l->n_in ? g->tensor_sym[ins[k]] : "0");
  fprintf(f, "}, &%s,\n  %s, %s, %s, %s,\n", g->tensor_sym[l->out], blob_ref(g, l->weights),
          blob_ref(g, l->bias), blob_ref(g, l->mult), blob_ref(g, l->shift));
  uint16_t enc = l->weights == SPX_CS_NONE ? 0 : g->p->image.blobs[l->weights].encoding;
  uint32_t wsize = l->weights == SPX_CS_NONE ? 0 : g->p->image.blobs[l->weights].length;
  uint32_t nmult = l->mult == SPX_CS_NONE ? 0 : g->p->image.blobs[l->mult].length / 4;
  fprintf(f, "  %u, {%u, %u}, {%u, %u}, {%u, %u}, {%u, %u, %u, %u}, %u, %u, %u};\n", l->groups,
          l->kh, l->kw, l->sh, l->sw, l->dh, l->dw, l->pad_t, l->pad_l, l->pad_b, l->pad_r, enc,
          wsize, nmult);
}

static size_t tensor_elements(const spx_cs_tensor_t *t) {
  size_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

/* Layer i of the program as the runtime sees it (tensors in store). */
static void program_layer(const spx_program_t *p, uint32_t i, spx_rt_layer_t *layer,
                          spx_rt_tensor_t store[5]) {
  const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
  const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
  const spx_cs_tensor_t *records[5] = {0};
  for (int k = 0; k < l->n_in && k < 4; k++) records[k] = &p->image.tensors[ins[k]];
  records[4] = &p->image.tensors[l->out];
  const uint16_t ids[4] = {l->weights, l->bias, l->mult, l->shift};
  const spx_cs_blob_t *blobs[4] = {0};
  for (int k = 0; k < 4; k++)
    if (ids[k] != SPX_CS_NONE) blobs[k] = &p->image.blobs[ids[k]];
  spx_rt_layer_init(layer, store, l, records, blobs);
}

/* Scratch of the largest layer, asked of the runtime itself. */
static size_t max_scratch(const spx_program_t *p) {
  size_t max = 0;
  for (uint32_t i = 0; i < p->layer_count; i++) {
    spx_rt_layer_t layer;
    spx_rt_tensor_t store[5];
    program_layer(p, i, &layer, store);
    size_t s = spx_rt_layer_scratch_size(&layer);
    if (s > max) max = s;
  }
  return (max + 15) / 16 * 16;
}

/* Every layer as NAME.c holds it, checked as the cpu device checks a model
 * it prepares (spx_rt_layer_validate: shapes, quantization, the weights'
 * format, every byte of encoded weights): NAME.c calls the kernels directly
 * (spx_direct.h), which check nothing. spxc's own streams pass; a failure is
 * an internal error. */
static int check_layers(cgen_t *g) {
  const spx_program_t *p = g->p;
  g->s8_kernel = spx_arena_alloc(g->arena, p->layer_count + 1);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    spx_rt_layer_t layer;
    spx_rt_tensor_t store[5];
    spx_rt_error_t err;
    program_layer(p, i, &layer, store);
    if (spx_rt_layer_validate(&layer, &err) != SPX_RT_OK) {
      spx_diag_error(p->diag, p->loc, "internal error: layer '%s' cannot run on the cpu: %s",
                     p->layer_commands[i].name, err.message);
      return -1;
    }
    const spx_fmt_desc_t *fmt = spx_fmt_find(layer.weights_encoding);
    if ((l->op == SPX_CS_CPU_OP_CONV2D || l->op == SPX_CS_CPU_OP_DENSE) && fmt &&
        layer.in[0]->dtype == SPX_RT_INT8 && fmt->datapath == SPX_FMT_DATAPATH_INT8)
      g->s8_kernel[i] = (uint8_t)spx_rt_direct_s8_kernel(fmt, &layer);
  }
  return 0;
}

/* The parameters of STEM_run: inputs, then outputs, named after the
 * network's input and output layers. */
static void emit_params(const cgen_t *g, FILE *f) {
  for (uint32_t k = 0; k < g->p->image.input_count; k++)
    fprintf(f, "const float *%s, ", g->in_param[k]);
  for (uint32_t k = 0; k < g->p->image.output_count; k++)
    fprintf(f, "float *%s, ", g->out_param[k]);
}

/* The first line of a generated file: what it is and where it came from. */
static void emit_banner(const cgen_t *g, FILE *f, const char *ext) {
  const spx_program_t *p = g->p;
  fprintf(f, "/* %s.%s - generated by spxc from %s (network %s, target %s", ctext(g, p->name), ext,
          ctext(g, p->source), ctext(g, p->name), p->target);
  if (g->prefix) fprintf(f, ", --c-prefix=%s", g->prefix);
  fputs(").\n", f);
  if (p->spxc_version)
    fprintf(f, " * spxc %s; command-line options: %s.\n", ctext(g, p->spxc_version),
            p->options && p->options[0] ? ctext(g, p->options) : "none");
  fputs(" * The generated code is yours to use under any terms; it links libspxrt (MIT).\n", f);
}

static void emit_header(const cgen_t *g, FILE *f, size_t ws, size_t scratch, bool embedded) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  const char *guard = g->macro, *stem = g->stem;
  emit_banner(g, f, "h");
  fputs(" * Do not edit: regenerate with spxc. */\n", f);
  fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n", guard, guard);
  fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  if (embedded)
    fprintf(f, "/* Bytes of workspace %s_run needs (what the %s device asks for).\n"
               " * The workspace must be 16-byte aligned. */\n#define %s_WORKSPACE_SIZE %zuu\n\n",
            stem, p->target, guard, ws);
  else
    fprintf(f, "/* Bytes of workspace %s_run needs: the static memory plan (%zu) plus\n"
               " * kernel scratch (%zu). The workspace must be 16-byte aligned. */\n"
               "#define %s_WORKSPACE_SIZE %zuu\n\n",
            stem, ws, scratch, guard, ws + scratch);
  for (int io = 0; io < 2; io++) {
    uint32_t n = io ? img->output_count : img->input_count;
    for (uint32_t k = 0; k < n; k++) {
      const spx_cs_tensor_t *t = &img->tensors[io ? img->outputs[k] : img->inputs[k]];
      const char *name = io ? p->output_names[k] : p->input_names[k];
      const char *u = io ? g->out_macro[k] : g->in_macro[k];
      fprintf(f, "/* %s %u, \"%s\": f32 [", io ? "Output" : "Input", k, ctext(g, name));
      for (int d = 0; d < t->rank; d++) fprintf(f, d ? ", %u" : "%u", t->dims[d]);
      fprintf(f, "] */\n#define %s_%s_%s_SIZE %zuu\n", guard, io ? "OUTPUT" : "INPUT", u,
              tensor_elements(t));
      for (int d = 0; d < t->rank; d++)
        fprintf(f, "#define %s_%s_%s_DIM%d %uu\n", guard, io ? "OUTPUT" : "INPUT", u, d, t->dims[d]);
    }
  }
  /* Quantization at the int8 boundaries: the quantize of each input and the
   * dequantize of each output. */
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const spx_cs_tensor_t *t = NULL;
    if (l->op == SPX_CS_CPU_OP_QUANTIZE) t = &img->tensors[l->out];
    if (l->op == SPX_CS_CPU_OP_DEQUANTIZE) t = &img->tensors[l->in0];
    if (!t) continue;
    const char *u = g->quant_macro[i];
    fprintf(f, "\n/* int8 quantization at %s: real = scale * (q - zero_point) */\n",
            ctext(g, p->layer_commands[i].name));
    fprintf(f, "#define %s_%s_SCALE ", guard, u);
    print_float_decimal(f, t->scale);
    fprintf(f, "\n#define %s_%s_ZERO_POINT (%d)\n", guard, u, (int)t->zero_point);
  }
  fprintf(f, "\n/* The workspace size, as %s_WORKSPACE_SIZE. */\nsize_t %s_workspace_size(void);\n",
          guard, stem);
  if (g->blob_offset) {
    fprintf(f, "\n/* The weights image %s.weights.bin (spxc --weights=blob): its bytes and\n"
               " * CRC-32 (IEEE 802.3, as zlib's crc32). */\n"
               "#define %s_WEIGHTS_SIZE %uu\n#define %s_WEIGHTS_CRC32 0x%08xu\n",
            ctext(g, p->name), guard, g->weights_size, guard, g->weights_crc);
    fprintf(f, "\n/* Checks a weights image, e.g. one in flash: 0 when `weights` is 16-byte\n"
               " * aligned, `size` is %s_WEIGHTS_SIZE and the bytes' CRC-32 is\n"
               " * %s_WEIGHTS_CRC32; else SPX_RT_ERR_ARG (-1), or SPX_RT_ERR_DATA_LOSS (-5)\n"
               " * on a CRC mismatch. */\nint %s_weights_check(const void *weights, size_t size);\n",
            guard, guard, stem);
    fprintf(f, "\n/* %s_run with the weights image at `weights` (16-byte aligned; check it\n"
               " * once with %s_weights_check). */\nint %s_run_weights(const void *weights, ",
            stem, stem, stem);
    emit_params(g, f);
    fputs("void *workspace);\n", f);
  }
  fprintf(f, "\n/* Runs the network: inputs and outputs are f32 in the shapes above;\n"
             " * workspace is %s_workspace_size() bytes, 16-byte aligned, owned by\n"
             " * the caller. Returns 0, or a negative spx_rt_status_t. */\nint %s_run(",
          stem, stem);
  emit_params(g, f);
  fprintf(f, "void *workspace);\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_H */\n", guard);
}

static bool layer_has_blob(const spx_cs_cpu_layer_t *l) {
  return l->weights != SPX_CS_NONE || l->bias != SPX_CS_NONE || l->mult != SPX_CS_NONE ||
         l->shift != SPX_CS_NONE;
}

/* The entry point of spx_direct.h that runs layer l, by its kind, its
 * input's dtype and its weights' format (int8 conv2d/dense of the int8
 * datapath: *fmt_arg is the format's descriptor, their first argument,
 * "&spx_fmt_desc_CBR, "; else ""). */
static const char *direct_call(const cgen_t *g, uint32_t i, const char **fmt_arg) {
  const spx_cs_cpu_layer_t *l = &g->p->layer_commands[i].u.cpu_layer;
  static const char *const fmt_enum[SPX_FMT_COUNT_] = {
#define SPX_FMT_X_(E, code, text) [code] = #E,
      SPX_FMT_ENCODINGS(SPX_FMT_X_)
#undef SPX_FMT_X_
  };
  const char *op = spx_cs_cpu_op_name(l->op);
  bool s8 = g->p->image.tensors[l->in0].dtype == SPX_CS_DTYPE_INT8;
  *fmt_arg = "";
  switch (l->op) {
  case SPX_CS_CPU_OP_COPY:
  case SPX_CS_CPU_OP_QUANTIZE:
  case SPX_CS_CPU_OP_DEQUANTIZE:
    return spx_arena_printf(g->arena, "spx_rt_direct_%s", op);
  case SPX_CS_CPU_OP_CONV2D:
  case SPX_CS_CPU_OP_DENSE: {
    if (!s8) break;
    const spx_fmt_desc_t *fmt = spx_fmt_find(g->p->image.blobs[l->weights].encoding);
    SPX_ASSERT(fmt && fmt->code < SPX_FMT_COUNT_); /* validated: emit_checks */
    if (fmt->datapath == SPX_FMT_DATAPATH_LP)
      return spx_arena_printf(g->arena, "spx_rt_direct_%s_lp", op);
    /* the fast kernels take the format's kernel half (spx_formats.h) */
    *fmt_arg = spx_arena_printf(g->arena, "&spx_fmt_desc_%s%s, ", fmt_enum[fmt->code],
                                g->s8_kernel[i] && fmt->kernel_half ? "_FAST" : "");
    static const char *const kernel[] = {"", "_fast", "_fast_dw"};
    return spx_arena_printf(g->arena, "spx_rt_direct_%s_s8%s", op, kernel[g->s8_kernel[i]]);
  }
  default:
    break;
  }
  return spx_arena_printf(g->arena, "spx_rt_direct_%s_%s", op, s8 ? "s8" : "f32");
}

/* --weights=blob: STEM_weights_check, and STEM_run over the image that
 * NAME.weights.S links in (unless MACRO_WEIGHTS_EXTERNAL is defined, for a
 * product that only has the image at run time, e.g. in flash). */
static void emit_weights_api(const cgen_t *g, FILE *f) {
  const char *s = g->stem, *m = g->macro;
  fprintf(f, "\nint %s_weights_check(const void *weights, size_t size) {\n"
             "  if (!weights || (uintptr_t)weights %% 16 || size != %s_WEIGHTS_SIZE)\n"
             "    return (int)SPX_RT_ERR_ARG;\n"
             "  if (spx_cs_crc32(0, weights, size) != %s_WEIGHTS_CRC32) return (int)SPX_RT_ERR_DATA_LOSS;\n"
             "  return 0;\n}\n",
          s, m, m);
  fprintf(f, "\n#ifndef %s_WEIGHTS_EXTERNAL\n"
             "/* The image NAME.weights.S links in. */\nextern const unsigned char %s_weights[];\n\n"
             "int %s_run(", m, s, s);
  emit_params(g, f);
  fprintf(f, "void *workspace) {\n  return %s_run_weights(%s_weights, ", s, s);
  for (uint32_t k = 0; k < g->p->image.input_count; k++) fprintf(f, "%s, ", g->in_param[k]);
  for (uint32_t k = 0; k < g->p->image.output_count; k++) fprintf(f, "%s, ", g->out_param[k]);
  fputs("workspace);\n}\n#endif\n", f);
}

static void emit_source(const cgen_t *g, FILE *f, size_t ws, size_t scratch) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  emit_banner(g, f, "c");
  fputs(" * Do not edit: regenerate with spxc. Links libspxrt only. */\n", f);
  fprintf(f, "#include \"%s.h\"\n\n#include <stdint.h>\n#include <string.h>\n\n"
             "#include <spx/device/spx_direct.h>\n\n"
             "#if defined(__GNUC__)\n#define SPX_ALIGNED __attribute__((aligned(16)))\n"
             "#else\n#define SPX_ALIGNED\n#endif\n\n"
             "/* The weights are %s of their little-endian bytes%s. */\n"
             "#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__\n"
             "#error \"this generated C holds little-endian weights\"\n#endif\n",
          p->name, g->blob_offset ? "an image" : "string literals",
          g->blob_offset ? ", NAME.weights.bin" : ", one literal longer than C99's minimum of\n * 4095 characters");
  if (!g->blob_offset)
    fputs("#if defined(__GNUC__)\n#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n"
          "#endif\n",
          f);
  fputs("\n", f);
  /* An input no layer reads (or a network of no layers) has no record: an
   * unused static would be a warning. */
  fputs("/* Inputs. */\n", f);
  for (uint32_t k = 0; k < img->input_count; k++)
    if (g->tensor_used[img->inputs[k]])
      emit_tensor(f, g->tensor_sym[img->inputs[k]], &img->tensors[img->inputs[k]]);
  char *emitted = spx_arena_alloc(g->arena, img->blob_count + 1);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_command_t *cmd = &p->layer_commands[i];
    const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
    const spx_layer_info_t *info = &p->layers[i];
    fprintf(f, "\n/* ---- %s: %s, %s:%d", ctext(g, cmd->name), ctext(g, info->op),
            ctext(g, p->source), info->line);
    if (info->fused[0]) fprintf(f, " (with %s)", ctext(g, info->fused));
    fputs(" ---- */\n", f);
    const uint16_t blobs[4] = {l->weights, l->bias, l->mult, l->shift};
    for (int k = 0; k < 4; k++)
      if (blobs[k] != SPX_CS_NONE && !emitted[blobs[k]]) {
        if (g->blob_offset)
          fprintf(f, "/* %s: %s[%u] at offset %u of the weights */\n", ctext(g, img->blobs[blobs[k]].name),
                  spx_cs_dtype_name(img->blobs[blobs[k]].dtype),
                  img->blobs[blobs[k]].length / spx_cs_dtype_size(img->blobs[blobs[k]].dtype),
                  g->blob_offset[blobs[k]]);
        else
          emit_array(g, f, blobs[k]);
        emitted[blobs[k]] = 1;
      }
    emit_tensor(f, g->tensor_sym[l->out], &img->tensors[l->out]);
    emit_layer(g, f, i, g->layer_sym[i]);
  }
  if (g->blob_offset) emit_weights_api(g, f);
  fprintf(f, "\nsize_t %s_workspace_size(void) { return %s_WORKSPACE_SIZE; }\n\nint %s_run%s(",
          g->stem, g->macro, g->stem, g->blob_offset ? "_weights" : "");
  if (g->blob_offset) fputs("const void *weights, ", f);
  emit_params(g, f);
  fputs("void *workspace) {\n  uint8_t *ws = (uint8_t *)workspace;\n", f);
  bool any_blob = false;
  for (uint32_t i = 0; i < p->layer_count; i++)
    any_blob |= layer_has_blob(&p->layer_commands[i].u.cpu_layer);
  if (p->layer_count) fputs("  spx_rt_status_t st;\n", f);
  if (g->blob_offset && any_blob) fputs("  spx_rt_layer_t layer;\n", f);
  if (g->blob_offset)
    fputs("  if (!weights || (uintptr_t)weights % 16) return (int)SPX_RT_ERR_ARG;\n", f);
  if (p->layer_count) fputs("  if (!ws || (uintptr_t)ws % 4) return (int)SPX_RT_ERR_ARG;\n", f);
  for (uint32_t k = 0; k < img->input_count; k++) {
    const spx_cs_tensor_t *t = &img->tensors[img->inputs[k]];
    fprintf(f, "  memcpy(ws + %u, %s, %zu);\n", t->ws_offset, g->in_param[k],
            tensor_elements(t) * 4);
  }
  /* Per layer, the entry point of its kind (spx_direct.h). */
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const char *arg = spx_arena_printf(g->arena, "&%s", g->layer_sym[i]);
    if (g->blob_offset && layer_has_blob(l)) {
      const uint16_t ids[4] = {l->weights, l->bias, l->mult, l->shift};
      static const char *const field[4] = {"weights", "bias", "multiplier", "shift"};
      fprintf(f, "  layer = %s;\n", g->layer_sym[i]);
      for (int k = 0; k < 4; k++)
        if (ids[k] != SPX_CS_NONE)
          fprintf(f, "  layer.%s = %s((const unsigned char *)weights + %u);\n", field[k],
                  k < 2 ? "" : "(const int32_t *)(const void *)", g->blob_offset[ids[k]]);
      arg = "&layer";
    }
    const char *fmt_arg, *fn = direct_call(g, i, &fmt_arg);
    fprintf(f, "  st = %s(%s%s, ws, ws + %zu, %zu);\n  if (st != SPX_RT_OK) return (int)st;\n",
            fn, fmt_arg, arg, ws, scratch);
  }
  for (uint32_t k = 0; k < img->output_count; k++) {
    const spx_cs_tensor_t *t = &img->tensors[img->outputs[k]];
    fprintf(f, "  memcpy(%s, ws + %u, %zu);\n", g->out_param[k], t->ws_offset,
            tensor_elements(t) * 4);
  }
  fputs("  return 0;\n}\n", f);
}

/* ---- accelerator targets: the stream embedded, run by the target's device */

static void emit_embedded_source(const cgen_t *g, FILE *f, const spx_backend_stream_t *e) {
  const spx_program_t *p = g->p;
  const spx_cs_stream_t *v = &e->view;
  emit_banner(g, f, "c");
  fprintf(f, " * Do not edit: regenerate with spxc. Links libspxrt only: the command\n"
             " * stream below runs on the runtime's %s device (its simulator). */\n",
          p->target);
  fprintf(f, "#include \"%s.h\"\n\n#include <stdint.h>\n\n"
             "#include <spx/device/spx_device.h>\n\n"
             "#if defined(__GNUC__)\n#define SPX_ALIGNED __attribute__((aligned(64)))\n"
             "#else\n#define SPX_ALIGNED\n#endif\n\n"
             "/* The stream is a string literal longer than C99's minimum of 4095\n"
             " * characters. */\n"
             "#if defined(__GNUC__)\n#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n"
             "#endif\n\n",
          p->name);
  fputs("/* The .spxbin of this network (spx-objdump prints it as text). Layers:\n", f);
  for (uint32_t i = 0; i < p->layer_count; i++)
    if (p->layers[i].line)
      fprintf(f, " *   %-20s %-14s %s:%d\n", ctext(g, p->layer_commands[i].name),
              ctext(g, p->layers[i].op), ctext(g, p->source), p->layers[i].line);
  /* One string literal, as the weights of the cpu target (emit_array); one
   * byte more for its terminating '\0'. */
  fprintf(f, " */\nstatic const uint8_t stream_bytes[%zu] SPX_ALIGNED = {", e->size + 1);
  litbuf_t *lb = malloc(sizeof *lb);
  if (!lb) SPX_UNREACHABLE("out of memory");
  lb->f = f;
  lb->len = 0;
  lit_bytes(lb, e->bytes, e->size);
  lit_flush(lb);
  free(lb);
  fputs("};\n\n", f);
  fputs("/* The stream as spx_cs_stream_load validated it when spxc wrote this file. */\n", f);
  fprintf(f, "static const spx_cs_stream_t stream = {\n  stream_bytes, %uu, %u, %u, %u, 0x%016llxull, 0x%08xu,\n  {",
          v->size, v->version_major, v->version_minor, v->target, (unsigned long long)v->mdesc_hash,
          v->crc32);
  for (int i = 0; i < SPX_CS_SECTION_MAX; i++)
    fprintf(f, "%s{%uu, %uu}", i ? ", " : "", v->sections[i].offset, v->sections[i].size);
  fprintf(f, "},\n  %uu, %uu, %uu, %uu, %uu, %uu};\n\n", v->workspace_size, v->tensor_count,
          v->input_count, v->output_count, v->blob_count, v->command_count);
  fprintf(f, "size_t %s_workspace_size(void) { return %s_WORKSPACE_SIZE; }\n\nint %s_run(", g->stem,
          g->macro, g->stem);
  emit_params(g, f);
  fputs("void *workspace) {\n", f);
  fputs("  const float *inputs[] = {", f);
  for (uint32_t k = 0; k < p->image.input_count; k++)
    fprintf(f, "%s%s", k ? ", " : "", g->in_param[k]);
  fputs("};\n  float *outputs[] = {", f);
  for (uint32_t k = 0; k < p->image.output_count; k++)
    fprintf(f, "%s%s", k ? ", " : "", g->out_param[k]);
  fprintf(f, "};\n  spx_rt_model_t model;\n  spx_rt_status_t st = spx_rt_model_initialize(\n"
             "      spx_rt_device_for_target(0, %u), &stream, &model, 0);\n"
             "  if (st != SPX_RT_OK) return (int)st;\n"
             "  return (int)spx_rt_model_run(&model, inputs, outputs, workspace,\n"
             "                               %s_WORKSPACE_SIZE, 0, 0);\n}\n",
          p->image.target, g->macro);
}

/* ---- the stem and the names ------------------------------------------- */

/* Headers a file named after the network must not shadow: with the output
 * folder on the include path (as a product's build has it), <stdint.h> in
 * NAME.c or libspxrt's headers would find NAME.h. The C standard's headers
 * and those glibc's pull in by name. Compared ignoring case (macOS). */
static const char *const std_headers[] = {
    "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes", "iso646", "limits",
    "locale", "math", "setjmp", "signal", "stdalign", "stdarg", "stdatomic", "stdbit", "stdbool",
    "stdckdint", "stddef", "stdint", "stdio", "stdlib", "stdnoreturn", "string", "tgmath",
    "threads", "time", "uchar", "wchar", "wctype", "features", "features-time64", "stdc-predef",
    "strings", "alloca", "endian"};

static char lower(char c) { return is_upper(c) ? (char)(c - 'A' + 'a') : c; }

static bool same_nocase(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower(*a) != lower(*b)) return false;
  return *a == *b;
}

const char *spx_backend_c_prefix_problem(const char *prefix) {
  if (!(is_upper(prefix[0]) || is_lower(prefix[0]) || prefix[0] == '_'))
    return "is not a C identifier";
  for (const char *c = prefix; *c; c++)
    if (!is_ident_char(*c)) return "is not a C identifier";
  if (prefix[0] == '_') return "starts with '_', which C reserves for the implementation";
  if (runtime_name(prefix)) return "is in libspxrt's namespace (spx_*, SPX_*)";
  return NULL;
}

/* Checks the network's name as the files' name and, with the prefix, as
 * the stem of its C symbols; reports at the name why not. */
static int check_stem(cgen_t *g) {
  const spx_program_t *p = g->p;
  const char *name = p->name;
  bool file_ok = is_upper(name[0]) || is_lower(name[0]) || is_digit(name[0]) || name[0] == '_';
  for (const char *c = name; *c && file_ok; c++)
    file_ok = is_ident_char(*c) || *c == '-' || *c == '.' || *c == '+';
  if (!file_ok) {
    spx_diag_error(p->diag, p->name_loc,
                   "network name '%s' cannot name the C files (NAME.h, NAME.c): use letters, "
                   "digits and '_'",
                   ctext(g, name));
    return -1;
  }
  for (size_t k = 0; k < sizeof std_headers / sizeof std_headers[0]; k++)
    if (same_nocase(name, std_headers[k])) {
      spx_diag_error(p->diag, p->name_loc,
                     "network name '%s' would write %s.h, which hides the C standard header "
                     "<%s.h> when the output folder is on the include path; rename the network",
                     name, name, std_headers[k]);
      return -1;
    }
  const char *stem = g->stem;
  const char *why = NULL;
  if (!(is_upper(stem[0]) || is_lower(stem[0])) && stem[0] != '_')
    why = "which are not C identifiers";
  else if (stem[0] == '_')
    why = "which C reserves for the implementation (names starting with '_')";
  else if (runtime_name(stem))
    why = "which are in libspxrt's namespace (spx_*, SPX_*)";
  if (!why) return 0;
  if (g->prefix)
    spx_diag_error(p->diag, p->name_loc,
                   "--c-prefix=%s and network name '%s' give the C symbols %s_run and %s_H, %s",
                   g->prefix, name, stem, g->macro, why);
  else
    spx_diag_error(p->diag, p->name_loc,
                   "network name '%s' gives the C symbols %s_run and %s_H, %s; rename the "
                   "network or give spxc --c-prefix=PREFIX",
                   name, stem, g->macro, why);
  return -1;
}

/* Names every identifier (see "C names" above), in a fixed order. */
static void name_all(cgen_t *g) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  spx_arena_t *arena = g->arena;
  size_t n_reserved = sizeof c_reserved_words / sizeof c_reserved_words[0];
  names_init(&g->reserved, arena, n_reserved);
  for (size_t k = 0; k < n_reserved; k++) names_add(&g->reserved, c_reserved_words[k]);
  size_t n_names = 8 + img->tensor_count + img->blob_count + 3 * (size_t)p->layer_count +
                   (size_t)(img->input_count + img->output_count) * 9;
  names_init(&g->taken, arena, n_names);

  /* The header's macros, per family, and its functions. */
  names_t family;
  g->in_macro = spx_arena_alloc(arena, (img->input_count + 1) * sizeof *g->in_macro);
  g->out_macro = spx_arena_alloc(arena, (img->output_count + 1) * sizeof *g->out_macro);
  g->quant_macro = spx_arena_alloc(arena, (p->layer_count + 1) * sizeof *g->quant_macro);
  names_init(&family, arena, img->input_count);
  for (uint32_t k = 0; k < img->input_count; k++)
    g->in_macro[k] = take(g, &family, upper(arena, p->input_names[k]));
  names_init(&family, arena, img->output_count);
  for (uint32_t k = 0; k < img->output_count; k++)
    g->out_macro[k] = take(g, &family, upper(arena, p->output_names[k]));
  names_init(&family, arena, p->layer_count);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    uint8_t op = p->layer_commands[i].u.cpu_layer.op;
    if (op == SPX_CS_CPU_OP_QUANTIZE || op == SPX_CS_CPU_OP_DEQUANTIZE)
      g->quant_macro[i] = take(g, &family, upper(arena, p->layer_commands[i].name));
  }
  const char *m = g->macro;
  names_add(&g->taken, spx_arena_printf(arena, "%s_H", m));
  names_add(&g->taken, spx_arena_printf(arena, "%s_WORKSPACE_SIZE", m));
  names_add(&g->taken, spx_arena_printf(arena, "%s_run", g->stem));
  names_add(&g->taken, spx_arena_printf(arena, "%s_workspace_size", g->stem));
  /* --weights=blob's names, taken in both modes so that both name alike. */
  names_add(&g->taken, spx_arena_printf(arena, "%s_weights", g->stem));
  names_add(&g->taken, spx_arena_printf(arena, "%s_weights_check", g->stem));
  names_add(&g->taken, spx_arena_printf(arena, "%s_run_weights", g->stem));
  names_add(&g->taken, spx_arena_printf(arena, "%s_WEIGHTS_SIZE", m));
  names_add(&g->taken, spx_arena_printf(arena, "%s_WEIGHTS_CRC32", m));
  names_add(&g->taken, spx_arena_printf(arena, "%s_WEIGHTS_EXTERNAL", m));
  for (int io = 0; io < 2; io++) {
    uint32_t n = io ? img->output_count : img->input_count;
    for (uint32_t k = 0; k < n; k++) {
      const char *fam = io ? "OUTPUT" : "INPUT", *u = io ? g->out_macro[k] : g->in_macro[k];
      int rank = img->tensors[io ? img->outputs[k] : img->inputs[k]].rank;
      names_add(&g->taken, spx_arena_printf(arena, "%s_%s_%s_SIZE", m, fam, u));
      for (int d = 0; d < rank; d++)
        names_add(&g->taken, spx_arena_printf(arena, "%s_%s_%s_DIM%d", m, fam, u, d));
    }
  }
  for (uint32_t i = 0; i < p->layer_count; i++)
    if (g->quant_macro[i]) {
      names_add(&g->taken, spx_arena_printf(arena, "%s_%s_SCALE", m, g->quant_macro[i]));
      names_add(&g->taken, spx_arena_printf(arena, "%s_%s_ZERO_POINT", m, g->quant_macro[i]));
    }

  /* File scope: tensors (names need not be unique: an output and its
   * producer), weights, layers. */
  g->tensor_sym = spx_arena_alloc(arena, (img->tensor_count + 1) * sizeof *g->tensor_sym);
  g->tensor_used = spx_arena_alloc(arena, (img->tensor_count + 1) * sizeof *g->tensor_used);
  for (uint32_t i = 0; i < img->tensor_count; i++)
    g->tensor_sym[i] = claim(g, "tensor_", "tensor_", img->tensors[i].name);
  g->blob_sym = spx_arena_alloc(arena, (img->blob_count + 1) * sizeof *g->blob_sym);
  for (uint32_t i = 0; i < img->blob_count; i++)
    g->blob_sym[i] = claim(g, "", "blob_", img->blobs[i].name);
  g->layer_sym = spx_arena_alloc(arena, (p->layer_count + 1) * sizeof *g->layer_sym);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    g->layer_sym[i] = claim(g, "layer_", "layer_", p->layer_commands[i].name);
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
    for (int k = 0; k < l->n_in && k < 4; k++) g->tensor_used[ins[k]] = true;
    g->tensor_used[l->out] = true;
  }

  /* The parameters of STEM_run: they also avoid every file-scope name
   * (taken above) and the function's locals (reserved words). */
  g->in_param = spx_arena_alloc(arena, (img->input_count + 1) * sizeof *g->in_param);
  g->out_param = spx_arena_alloc(arena, (img->output_count + 1) * sizeof *g->out_param);
  for (uint32_t k = 0; k < img->input_count; k++)
    g->in_param[k] = claim(g, "", "in_", p->input_names[k]);
  for (uint32_t k = 0; k < img->output_count; k++)
    g->out_param[k] = claim(g, "out_", "out_", p->output_names[k]);
}

int spx_backend_memory(const spx_program_t *p, spx_backend_memory_t *out) {
  memset(out, 0, sizeof *out);
  out->activations = (p->image.workspace_size + 15) / 16 * 16;
  if (p->image.target == SPX_CS_TARGET_CPU) {
    out->scratch = max_scratch(p);
    out->workspace = out->activations + out->scratch;
    return 0;
  }
  spx_backend_stream_t e;
  int rc = spx_backend_stream_prepare(p, &e);
  if (rc == 0) out->workspace = e.workspace;
  spx_backend_stream_release(&e);
  return rc;
}

/* --weights=blob: lays the blobs out in the order NAME.c first uses them,
 * each at a multiple of 16 bytes (zero padding), and writes the image. */
static void layout_weights(cgen_t *g, FILE *bin) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  g->blob_offset = spx_arena_alloc(g->arena, (img->blob_count + 1) * sizeof *g->blob_offset);
  char *placed = spx_arena_alloc(g->arena, img->blob_count + 1);
  static const uint8_t zeros[16];
  uint32_t at = 0, crc = 0;
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const uint16_t ids[4] = {l->weights, l->bias, l->mult, l->shift};
    for (int k = 0; k < 4; k++) {
      if (ids[k] == SPX_CS_NONE || placed[ids[k]]) continue;
      placed[ids[k]] = 1;
      const spx_cs_blob_t *b = &img->blobs[ids[k]];
      uint32_t pad = (16 - at % 16) % 16;
      fwrite(zeros, 1, pad, bin);
      crc = spx_cs_crc32(crc, zeros, pad);
      at += pad;
      g->blob_offset[ids[k]] = at;
      fwrite(b->data, 1, b->length, bin);
      crc = spx_cs_crc32(crc, b->data, b->length);
      at += b->length;
    }
  }
  g->weights_size = at;
  g->weights_crc = crc;
}

/* NAME.weights.S: the image in a read-only ELF section, 16-byte aligned. */
static void emit_weights_asm(const cgen_t *g, FILE *f) {
  const spx_program_t *p = g->p;
  fprintf(f, "/* %s.weights.S - generated by spxc from %s (network %s, --weights=blob).\n"
             " * Do not edit. Assemble with the folder of %s.weights.bin on the\n"
             " * assembler's include path (-Wa,-I,DIR) or from that folder. */\n",
          ctext(g, p->name), ctext(g, p->source), ctext(g, p->name), ctext(g, p->name));
  fprintf(f, "\t.section .rodata.%s_weights,\"a\",%%progbits\n\t.balign 16\n"
             "\t.globl %s_weights\n\t.type %s_weights, %%object\n\t.size %s_weights, %u\n"
             "%s_weights:\n\t.incbin \"%s.weights.bin\"\n"
             "\t.section .note.GNU-stack,\"\",%%progbits\n",
          g->stem, g->stem, g->stem, g->stem, g->weights_size, g->stem, p->name);
}

int spx_backend_emit_c(const spx_program_t *p, const char *c_prefix, FILE *header, FILE *source,
                       FILE *weights_bin, FILE *weights_asm) {
  spx_arena_t *arena = spx_arena_create();
  cgen_t g = {.p = p, .arena = arena, .prefix = c_prefix};
  const spx_cs_image_t *img = &p->image;
  g.stem = ident(arena, c_prefix ? c_prefix : "", p->name);
  g.macro = upper(arena, g.stem);
  int rc = check_stem(&g);
  /* The stream holds every tensor scale finite (spx_cs_stream_load); no C99
   * literal would give another. */
  for (uint32_t i = 0; i < img->tensor_count && rc == 0; i++)
    if (!f32_finite(img->tensors[i].scale)) {
      spx_diag_error(p->diag, p->loc, "internal error: tensor '%s' has a non-finite scale",
                     img->tensors[i].name);
      rc = -1;
    }
  if (rc == 0) name_all(&g);
  if (rc == 0 && weights_bin && img->target != SPX_CS_TARGET_CPU) {
    spx_diag_error(p->diag, p->loc,
                   "--weights=blob is for the cpu target; the %s target's weights are in its "
                   "stream, embedded in NAME.c",
                   p->target);
    rc = -1;
  }
  if (rc == 0 && img->target == SPX_CS_TARGET_CPU) {
    spx_backend_memory_t mem; /* the report's figures too */
    rc = check_layers(&g);
    if (rc == 0) rc = spx_backend_memory(p, &mem);
    if (rc == 0 && weights_bin) {
      layout_weights(&g, weights_bin);
      emit_weights_asm(&g, weights_asm);
    }
    if (rc == 0) {
      emit_header(&g, header, mem.activations, mem.scratch, false);
      emit_source(&g, source, mem.activations, mem.scratch);
    }
  } else if (rc == 0) {
    spx_backend_stream_t e;
    rc = spx_backend_stream_prepare(p, &e);
    if (rc == 0) {
      emit_header(&g, header, e.workspace, 0, true);
      emit_embedded_source(&g, source, &e);
    }
    spx_backend_stream_release(&e);
  }
  spx_arena_destroy(arena);
  return rc;
}
