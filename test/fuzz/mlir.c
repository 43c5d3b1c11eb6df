/* mlir.c - libFuzzer harness: spxc's path for a FILE.mlir, from the text to
 * the backend.
 *
 * As tools/spxc/main.c does: spx_ir_read_input parses the buffer in a
 * context with the spx dialect and runs the entry check (ir/check.c); a
 * module that passes it goes through the default pass pipeline and, if that
 * succeeds, is lowered to a program (spx_backend_program_build) whose
 * .spxbin, C and report are written to /dev/null. Diagnostics go to
 * /dev/null (SPX_FUZZ_VERBOSE=1: stderr). One context is reused across
 * inputs (see fuzz_common.h). */
#define SPX_FUZZ_WITH_MLIR
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/spx_backend.h"
#include "ir/spx_ir.h"
#include "passes/spx_pass.h"
#include "support/spx_support.h"
#include "test/fuzz/fuzz_common.h"

static void emit(MlirModule module, spx_wstore_t *store, spx_arena_t *arena, spx_diag_t *diag) {
  spx_program_t *p;
  if (spx_backend_program_build(module, store, arena, diag, &p) != 0) return;
  FILE *sink = fopen("/dev/null", "w");
  if (!sink) abort();
  spx_backend_emit_spxbin(p, sink);
  spx_backend_emit_c(p, NULL, sink, sink, NULL, NULL);
  spx_backend_emit_report(p, sink);
  spx_backend_program_release(p);
  fclose(sink);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = '\0';
  MlirContext ctx = spx_fuzz_context_begin(1);
  spx_arena_t *arena = spx_arena_create();
  spx_diag_t *diag = spx_diag_create(spx_fuzz_sink());
  spx_wstore_t *store = spx_wstore_create();
  if (!arena || !diag || !store) abort();
  MlirModule module = spx_ir_read_input(ctx, "fuzz.mlir", text, size, diag, arena);
  free(text);
  if (!mlirModuleIsNull(module)) {
    spx_pass_env_t env = {.store = store, .diag = diag, .arena = arena};
    spx_pass_id_t passes[SPX_PASS_COUNT_];
    int n = spx_pipeline_default(passes, SPX_PASS_COUNT_);
    spx_pipeline_opts_t opts = {0};
    if (spx_pipeline_run(module, passes, n, &env, &opts) == 0) emit(module, store, arena, diag);
    mlirModuleDestroy(module);
  }
  spx_wstore_destroy(store);
  spx_diag_destroy(diag);
  spx_arena_destroy(arena);
  spx_fuzz_context_end();
  return 0;
}
