/* spx_support.h - host-side support shared by the compiler and the tools.
 *
 * Nothing here knows MLIR. The pieces:
 *   - SPX_ASSERT / SPX_UNREACHABLE: internal invariant failures (abort with
 *     __FILE__:__LINE__), never used for user errors;
 *   - spx_arena_t: a bump allocator, one per compilation;
 *   - spx_diag_t: user-facing diagnostics "file:line:col: error: message",
 *     followed by the source line and a caret;
 *   - spx_wstore_t: the weight store, which owns every weight buffer the IR
 *     references by dense resource name "<layer>.<role>";
 *   - spx_npy_*: .npy reading (float32, float64, int8, int32; little-endian;
 *     C order) and writing;
 *   - spx_file_data_t: a whole input file in memory (mapped where it can be);
 *   - spx_outset_t: output files written all or nothing.
 */
#ifndef SPX_SUPPORT_H
#define SPX_SUPPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/stream/spx_stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- invariants ------------------------------------------------------- */

void spx_fatal_internal(const char *file, int line, const char *what);

#define SPX_ASSERT(cond)                                                      \
  do {                                                                        \
    if (!(cond)) spx_fatal_internal(__FILE__, __LINE__, #cond);               \
  } while (0)
#define SPX_UNREACHABLE(what) spx_fatal_internal(__FILE__, __LINE__, what)

#if defined(__GNUC__)
#define SPX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SPX_PRINTF(f, a)
#endif

/* ---- arena ------------------------------------------------------------ */

typedef struct spx_arena spx_arena_t;

spx_arena_t *spx_arena_create(void);
void spx_arena_destroy(spx_arena_t *arena);
/* Zeroed, 16-byte aligned memory that lives until the arena is destroyed. */
void *spx_arena_alloc(spx_arena_t *arena, size_t size);
char *spx_arena_strdup(spx_arena_t *arena, const char *s);
char *spx_arena_strndup(spx_arena_t *arena, const char *s, size_t n);
char *spx_arena_printf(spx_arena_t *arena, const char *fmt, ...) SPX_PRINTF(2, 3);

/* ---- source locations and diagnostics ---------------------------------- */

/* A position in a source file. `file` is the name as the user gave it (never
 * made absolute, so output does not depend on the working directory).
 * line and col are 1-based; line 0 means "no position". */
typedef struct spx_loc {
  const char *file;
  int line;
  int col;
} spx_loc_t;

typedef enum spx_severity {
  SPX_SEV_ERROR,
  SPX_SEV_WARNING,
  SPX_SEV_NOTE,
} spx_severity_t;

typedef struct spx_diag spx_diag_t;

/* Diagnostics go to `out` (stderr in the tools) as they are reported. */
spx_diag_t *spx_diag_create(FILE *out);
void spx_diag_destroy(spx_diag_t *diag);
/* Registers the text of a source file so that messages can quote its lines.
 * The text is copied. */
void spx_diag_add_source(spx_diag_t *diag, const char *file, const char *text,
                         size_t len);
void spx_diag_report(spx_diag_t *diag, spx_severity_t sev, spx_loc_t loc,
                     const char *fmt, ...) SPX_PRINTF(4, 5);
void spx_diag_vreport(spx_diag_t *diag, spx_severity_t sev, spx_loc_t loc,
                      const char *fmt, va_list ap);
#define spx_diag_error(d, loc, ...) spx_diag_report(d, SPX_SEV_ERROR, loc, __VA_ARGS__)
#define spx_diag_warning(d, loc, ...) spx_diag_report(d, SPX_SEV_WARNING, loc, __VA_ARGS__)
#define spx_diag_note(d, loc, ...) spx_diag_report(d, SPX_SEV_NOTE, loc, __VA_ARGS__)
/* Every error counts, shown or not. */
int spx_diag_error_count(const spx_diag_t *diag);
/* Warnings shown as warnings so far (not those --fatal-warnings made
 * errors: spx_diag_error_count counts those). */
int spx_diag_warning_count(const spx_diag_t *diag);
/* As gcc's -Werror (spxc --fatal-warnings): every later warning is
 * reported as "error: ... [--fatal-warnings]" and counted as an error. */
void spx_diag_set_fatal_warnings(spx_diag_t *diag, int on);
/* Shows at most `limit` errors (0, the default: no limit). The first error
 * past the limit is replaced by one line "note: too many errors emitted,
 * stopping now (HINT)" (HINT may be NULL); after it nothing more is shown,
 * and spx_diag_stopped returns 1 so that callers stop looking for errors. */
void spx_diag_set_error_limit(spx_diag_t *diag, int limit, const char *hint);
int spx_diag_stopped(const spx_diag_t *diag);
/* Line `line` (1-based) of a registered source, without its '\n', or NULL
 * (len 0) if there is no such line. O(1) after the first call. */
const char *spx_diag_source_line(spx_diag_t *diag, const char *file, int line,
                                 size_t *len);
/* For "did you mean ...?": the candidate closest to `word` by edit distance
 * (the first of equals), if it is a near miss (at most 2 edits, and fewer
 * than half the candidate's length); else NULL. */
const char *spx_diag_suggest(const char *word, const char *const *candidates, int n);

/* A tool's error about a file, without a location inside it:
 * "PROG: FILE: error: message" on stderr. Returns 1 (the exit status). */
int spx_file_error(const char *prog, const char *file, const char *fmt, ...) SPX_PRINTF(3, 4);

/* ---- hashing ---------------------------------------------------------- */

/* 64-bit FNV-1a of a NUL-terminated string: name tables (weight store,
 * frontend names) and the seed of random(...) weights, so its values are
 * part of the output and must not change. */
static inline uint64_t spx_hash_str(const char *s) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3u;
  return h;
}

/* A map from pointers to indices (open addressing, grows as it fills): the
 * position of an MLIR value, a buffer, ... in a pass's own arrays, in O(1)
 * where a scan of the arrays made large networks quadratic. Iteration order
 * is never used, so outputs do not depend on addresses. */
typedef struct spx_ptrmap {
  const void **keys; /* NULL: empty slot */
  size_t *vals;
  size_t cap, count;
} spx_ptrmap_t;

#define SPX_PTRMAP_INIT {NULL, NULL, 0, 0}
/* Sets key (not NULL) to val, replacing an earlier value. -1: out of memory. */
int spx_ptrmap_put(spx_ptrmap_t *m, const void *key, size_t val);
/* True and *val when key is in the map. */
bool spx_ptrmap_get(const spx_ptrmap_t *m, const void *key, size_t *val);
void spx_ptrmap_free(spx_ptrmap_t *m);

/* ---- weight store ------------------------------------------------------ */

#define SPX_MAX_RANK 6
/* Every buffer in the store is aligned to this many bytes. */
#define SPX_WEIGHT_ALIGN 64

/* Element types of weight buffers: runtime/stream's SPX_CS_DTYPES, with
 * the stream's codes (U8: raw bytes of an encoded format). SPX_DT_I8 and
 * SPX_DT_I32 are other names of its INT8 and INT32. */
typedef enum spx_dtype {
#define SPX_DT_X_(E, code, text, size) SPX_DT_##E = code,
  SPX_CS_DTYPES(SPX_DT_X_)
#undef SPX_DT_X_
  SPX_DT_I8 = SPX_DT_INT8,
  SPX_DT_I32 = SPX_DT_INT32
} spx_dtype_t;

/* Bytes per element, and the table's name ("f32", "int8", ...). */
size_t spx_dtype_size(spx_dtype_t dt);
const char *spx_dtype_name(spx_dtype_t dt);

typedef struct spx_wbuf {
  const char *name; /* "<layer>.<role>", unique in the store */
  spx_dtype_t dtype;
  int rank;
  int64_t dims[SPX_MAX_RANK];
  size_t count;  /* number of elements */
  size_t nbytes; /* count * spx_dtype_size(dtype) */
  void *data;    /* SPX_WEIGHT_ALIGN-aligned, zero-initialised, owned;
                    NULL once released */
  size_t index;  /* position in insertion order (spx_wstore_at) */
} spx_wbuf_t;

typedef struct spx_wstore spx_wstore_t;

spx_wstore_t *spx_wstore_create(void);
void spx_wstore_destroy(spx_wstore_t *store);
/* Adds a zero-filled buffer. Returns NULL (and adds nothing) if the name is
 * already taken or memory runs out. The returned pointer and its data stay
 * valid until the store is destroyed. */
spx_wbuf_t *spx_wstore_add(spx_wstore_t *store, const char *name,
                           spx_dtype_t dtype, int rank, const int64_t *dims);
/* The buffer called `name`, or NULL (also once it is released). */
spx_wbuf_t *spx_wstore_find(const spx_wstore_t *store, const char *name);
/* Frees a buffer's data when nothing will read it again (the pass pipeline
 * releases the buffers no op references after each pass). Its name stays
 * taken; find no longer returns it. */
void spx_wstore_release(spx_wstore_t *store, spx_wbuf_t *buf);
/* Buffers in insertion order (deterministic), released ones included. */
size_t spx_wstore_count(const spx_wstore_t *store);
spx_wbuf_t *spx_wstore_at(const spx_wstore_t *store, size_t index);

/* ---- files a compile read (spxc --depfile) --------------------------------
 * Every file read through spx_npy_read / spx_npy_read_f64 (weights,
 * calibration data) is noted, once, in the order first read; spxc notes its
 * input too and lists them all in the depfile it writes. */
void spx_inputs_note(const char *path);
size_t spx_inputs_count(void);
const char *spx_inputs_get(size_t index);

/* ---- .npy files ---------------------------------------------------------- */

typedef struct spx_npy {
  spx_dtype_t dtype; /* F32, I8 or I32 after loading; see below */
  int rank;
  int64_t dims[SPX_MAX_RANK];
  size_t count;
  void *data; /* malloc'ed; free with spx_npy_free */
} spx_npy_t;

/* Reads a .npy file (format 1.0/2.0/3.0; '<f4', '<f8', '|i1', '<i4'; C order).
 * float64 data is converted to float32 (dtype F32). On failure returns -1 and
 * writes a one-line reason, without file name, into err (e.g. "unsupported
 * dtype '<f2'", "array is in Fortran order", "file is truncated: expected
 * 256 bytes of data, found 100"). */
int spx_npy_read(const char *path, spx_npy_t *out_npy, char *err, size_t errlen);
/* Reads a float array ('<f4' or '<f8') as doubles, exactly: data is
 * double[count] (dtype stays F32, "a float array"); *out_is_f64 (if not
 * NULL) tells which the file held. Other dtypes are refused. */
int spx_npy_read_f64(const char *path, spx_npy_t *out_npy, int *out_is_f64, char *err,
                     size_t errlen);
/* The same from a buffer in memory. */
int spx_npy_parse(const void *bytes, size_t len, spx_npy_t *out_npy, char *err,
                  size_t errlen);
/* spx_npy_read_f64 from a buffer in memory. */
int spx_npy_parse_f64(const void *bytes, size_t len, spx_npy_t *out_npy, int *out_is_f64,
                      char *err, size_t errlen);
void spx_npy_free(spx_npy_t *npy);
/* Writes a version 1.0 .npy (F32 as '<f4', I8 as '|i1', I32 as '<i4', U8 as
 * '|u1'), atomically (spx_outfile_write: the old file or the new one, never
 * half of one). Returns 0 or -1 with errno set. */
int spx_npy_write(const char *path, spx_dtype_t dtype, int rank,
                  const int64_t *dims, const void *data);
/* The same to a stream (e.g. one of an spx_outset_t). 0 or -1 with errno. */
int spx_npy_fwrite(FILE *f, spx_dtype_t dtype, int rank, const int64_t *dims,
                   const void *data);
/* Any numpy dtype by its descr ("<f8", "<u2", ...) of elem bytes (1..8),
 * data as it is in memory (little-endian host). 0 or -1 with errno. */
int spx_npy_fwrite_descr(FILE *f, const char *descr, size_t elem, int rank,
                         const int64_t *dims, const void *data);

/* ---- input files ----------------------------------------------------------
 * A whole file in memory, read-only, 64-byte aligned (filedata.c): a
 * regular file mapped with its pages populated, anything else ("-":
 * standard input, pipes) read. */
typedef struct spx_file_data {
  const unsigned char *data;
  size_t size;
  int mapped; /* 1: mmap'd, else malloc'd */
} spx_file_data_t;

/* Reads path ("-": standard input), at most max bytes. Returns 0, or 1 with
 * a one-line reason in err, without the file name ("cannot open: ...",
 * "cannot read: Is a directory", "file of N bytes is too large"). */
int spx_file_data_read(const char *path, size_t max, spx_file_data_t *out, char *err,
                       size_t errcap);
void spx_file_data_free(spx_file_data_t *f);

/* ---- command lines ------------------------------------------------------ */

/* The option getopt_long refused, as the user wrote it: "-x" (in buf) for a
 * short option (opt: the optopt it set), else the argument itself (arg:
 * argv[optind - 1]). */
static inline const char *spx_bad_option(int opt, const char *arg, char buf[3]) {
  if (!opt) return arg;
  buf[0] = '-';
  buf[1] = (char)opt;
  buf[2] = '\0';
  return buf;
}

/* ---- output files ------------------------------------------------------ */

/* A set of output files written all or nothing (outfile.c). Each file is
 * written to a temporary next to its path (PATH.tmp.XXXXXX);
 * spx_outset_commit renames them all into place, and if one rename fails it
 * puts back what the others replaced (kept meanwhile as PATH.old.XXXXXX), so
 * the paths hold either every new file or every old one. Destroying a set
 * that was not committed removes its temporaries and the folders that
 * spx_outset_mkdirs created. After spx_outfile_handle_signals, a SIGHUP,
 * SIGINT, SIGQUIT, SIGTERM, SIGPIPE or SIGXFSZ does the same for every live
 * set before the process dies of it; a signal during a commit waits for
 * its end. (Only a SIGKILL can leave temporaries behind.) A path that is a
 * device or a FIFO (/dev/null, /dev/stdout) is written in place instead:
 * renaming over it would replace it with a regular file.
 * The path "-" is standard output: written to an anonymous temporary and
 * copied out at the commit, before any rename (if that copy fails, nothing
 * is renamed); a failed run writes nothing there. Binary-safe.
 *
 * Hidden test hooks, read at commit: SPX_TEST_RAISE_BEFORE_COMMIT=SIG
 * raises SIG (HUP, INT, QUIT, TERM or PIPE) once every temporary is
 * written, before any rename; SPX_TEST_RAISE_IN_COMMIT=SIG after the first
 * rename. Either way the handler is installed for SIG first. */
typedef struct spx_outset spx_outset_t;

/* Installs the handlers for the signals above that are not ignored. */
void spx_outfile_handle_signals(void);
spx_outset_t *spx_outset_create(void); /* NULL: out of memory */
/* Creates `dir` and its missing parents (mkdir -p), recording those it
 * made. 0, or -1 with errno and spx_outset_error. */
int spx_outset_mkdirs(spx_outset_t *set, const char *dir);
/* A stream to write `path`'s new content to. The set owns it: close it with
 * spx_outset_close (to have fewer open at once) or leave it to the commit.
 * NULL, with errno and spx_outset_error, on failure. (A path opened twice:
 * the last one wins, and a failed commit still puts back the old file.) */
FILE *spx_outset_open(spx_outset_t *set, const char *path);
int spx_outset_close(spx_outset_t *set, FILE *fp); /* 0, or -1: write error */
/* Closes every stream, checking for write errors, then renames every file
 * into place. 0, or -1 with errno and spx_outset_error (nothing renamed). */
int spx_outset_commit(spx_outset_t *set);
/* Removes what was not committed, and frees the set. NULL is a no-op. */
void spx_outset_destroy(spx_outset_t *set);
/* The last failure as "cannot write 'PATH': REASON" (or "cannot create
 * output directory 'DIR': REASON", "output path 'DIR' is not a
 * directory"), and its path alone. */
const char *spx_outset_error(const spx_outset_t *set);
const char *spx_outset_failed_path(const spx_outset_t *set);
/* One file through a set of one: `emit` writes it (returns 0, or nonzero
 * with errno). 0, or -1 with errno. */
int spx_outfile_write(const char *path, int (*emit)(FILE *f, void *user), void *user);

#ifdef __cplusplus
}
#endif

#endif /* SPX_SUPPORT_H */
