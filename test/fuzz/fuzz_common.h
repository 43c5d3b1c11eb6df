/* fuzz_common.h - shared pieces of the libFuzzer harnesses (the .c files of test/fuzz).
 *
 * A sink FILE for diagnostics (so a fuzzing run does not flood stderr) and an
 * MLIR context with the spx dialect whose diagnostics go nowhere. Creating a
 * context parses the embedded dialect, which costs more than most inputs, so
 * a harness may reuse one context (spx_fuzz_context(1)), recreated every
 * SPX_FUZZ_CTX_REUSE inputs to bound the memory that uniqued attributes and
 * types accumulate. SPX_FUZZ_FRESH_CONTEXT=1 in the environment forces a new
 * context per input (slower, but no state carried between inputs). */
#ifndef SPX_FUZZ_COMMON_H
#define SPX_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef SPX_FUZZ_WITH_MLIR
#include <mlir-c/Diagnostics.h>

#include "ir/spx_ir.h"
#endif

#define SPX_FUZZ_CTX_REUSE 256

#ifdef SPX_FUZZ_WITH_INPUT_FILE
#include <string.h>
#include <unistd.h>

/* Harnesses whose code under test reads a file: the input goes to
 * $TMPDIR/spx-fuzz-NAME.XXXXXX/input.EXT, removed at exit. */
static char spx_fuzz_dir_[4096];
static char spx_fuzz_file_[4200];

static void spx_fuzz_remove_dir_(void) {
  unlink(spx_fuzz_file_);
  rmdir(spx_fuzz_dir_);
}

static void spx_fuzz_input_file_init(const char *name, const char *ext) {
  const char *tmp = getenv("TMPDIR");
  snprintf(spx_fuzz_dir_, sizeof spx_fuzz_dir_, "%s/spx-fuzz-%s.XXXXXX",
           tmp && *tmp ? tmp : "/tmp", name);
  if (!mkdtemp(spx_fuzz_dir_)) {
    fprintf(stderr, "spx-fuzz-%s: mkdtemp: ", name);
    perror(NULL);
    exit(1);
  }
  snprintf(spx_fuzz_file_, sizeof spx_fuzz_file_, "%s/input.%s", spx_fuzz_dir_, ext);
  atexit(spx_fuzz_remove_dir_);
}

/* Writes the input to the file; returns its path. */
static const char *spx_fuzz_input_file_write(const uint8_t *data, size_t size) {
  FILE *f = fopen(spx_fuzz_file_, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    perror("spx-fuzz: cannot write the input file");
    abort();
  }
  return spx_fuzz_file_;
}
#endif

/* Where diagnostics go: /dev/null, or stderr with SPX_FUZZ_VERBOSE=1. */
static FILE *spx_fuzz_sink(void) {
  static FILE *sink;
  if (!sink) {
    const char *v = getenv("SPX_FUZZ_VERBOSE");
    sink = v && *v == '1' ? stderr : fopen("/dev/null", "w");
    if (!sink) sink = stderr;
  }
  return sink;
}

#ifdef SPX_FUZZ_WITH_MLIR
static MlirLogicalResult spx_fuzz_mlir_diag(MlirDiagnostic d, void *user) {
  (void)user;
  if (spx_fuzz_sink() != stderr) return mlirLogicalResultSuccess();
  (void)d;
  return mlirLogicalResultFailure(); /* verbose: let MLIR print it */
}

static MlirContext spx_fuzz_ctx_;
static int spx_fuzz_ctx_keep_;

/* The context for this input. With `reuse` (and no SPX_FUZZ_FRESH_CONTEXT=1)
 * the previous input's context, else a new one; spx_fuzz_context_end() after
 * the input destroys it unless it is kept. */
static MlirContext spx_fuzz_context_begin(int reuse) {
  static unsigned uses;
  const char *v = getenv("SPX_FUZZ_FRESH_CONTEXT");
  spx_fuzz_ctx_keep_ = reuse && !(v && *v == '1');
  if (!mlirContextIsNull(spx_fuzz_ctx_) && ++uses >= SPX_FUZZ_CTX_REUSE) {
    mlirContextDestroy(spx_fuzz_ctx_);
    spx_fuzz_ctx_ = (MlirContext){NULL};
  }
  if (mlirContextIsNull(spx_fuzz_ctx_)) {
    uses = 0;
    spx_fuzz_ctx_ = spx_ir_context_create();
    if (mlirContextIsNull(spx_fuzz_ctx_)) abort(); /* the embedded dialect must load */
    mlirContextAttachDiagnosticHandler(spx_fuzz_ctx_, spx_fuzz_mlir_diag, NULL, NULL);
  }
  return spx_fuzz_ctx_;
}

static void spx_fuzz_context_end(void) {
  if (spx_fuzz_ctx_keep_ || mlirContextIsNull(spx_fuzz_ctx_)) return;
  mlirContextDestroy(spx_fuzz_ctx_);
  spx_fuzz_ctx_ = (MlirContext){NULL};
}
#endif

#endif /* SPX_FUZZ_COMMON_H */
