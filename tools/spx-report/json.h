/* json.h - a small strict JSON reader (RFC 8259) for spx-report.
 *
 * spx_json_parse reads a whole text into a tree of values, each with the
 * line and column (1-based, columns in bytes) where it starts, so that a
 * report whose content is wrong can be reported at the place. It refuses
 * anything RFC 8259 does not allow (comments, trailing commas, single
 * quotes, leading zeros, bare control characters in strings, invalid
 * escapes or UTF-8, lone surrogates, NaN/Infinity, numbers that overflow a
 * double, text after the value), duplicate keys in an object, and nesting
 * deeper than SPX_JSON_MAX_DEPTH; its first error is returned with its
 * position. It never reads past the text it is given and needs no NUL
 * terminator (fuzz-friendly). */
#ifndef SPX_REPORT_JSON_H
#define SPX_REPORT_JSON_H

#include <stddef.h>

#define SPX_JSON_MAX_DEPTH 200

typedef enum spx_json_kind {
  SPX_JSON_NULL,
  SPX_JSON_BOOL,
  SPX_JSON_NUMBER,
  SPX_JSON_STRING,
  SPX_JSON_ARRAY,
  SPX_JSON_OBJECT,
} spx_json_kind_t;

typedef struct spx_json spx_json_t;
struct spx_json {
  spx_json_kind_t kind;
  int line, col;
  int boolean;
  double number;
  char *string;   /* STRING: NUL-terminated UTF-8 (an embedded \u0000 ends it early) */
  size_t len;     /* STRING: bytes; ARRAY/OBJECT: members */
  spx_json_t **items; /* ARRAY: elements; OBJECT: values */
  char **keys;        /* OBJECT: keys, in file order */
};

typedef struct spx_json_error {
  int line, col;
  char message[160];
} spx_json_error_t;

/* The tree of text[0, len), or NULL with *err filled (out of memory is
 * reported as an error at 1:1). Free with spx_json_free. */
spx_json_t *spx_json_parse(const char *text, size_t len, spx_json_error_t *err);
void spx_json_free(spx_json_t *v);

/* The member `key` of an object, or NULL (also when v is not an object). */
const spx_json_t *spx_json_get(const spx_json_t *v, const char *key);
/* "null", "true or false", "a number", "a string", "an array", "an object". */
const char *spx_json_kind_name(spx_json_kind_t kind);

#endif
