/* mlir.c - libFuzzer harness: the .mlir reader spxc uses for spx IR input.
 *
 * As tools/spxc/main.c does for a FILE.mlir: the buffer (NUL-terminated) is
 * parsed with mlirOperationCreateParse in a context with the spx dialect,
 * must be a builtin.module, and is verified with mlirOperationVerify; a
 * module that verifies then goes through the verify-shapes pass (spx's own
 * checks of the spx ops, which reads no weight data). MLIR diagnostics and
 * pass errors go to /dev/null (SPX_FUZZ_VERBOSE=1: stderr). One context is
 * reused across inputs (see fuzz_common.h). */
#define SPX_FUZZ_WITH_MLIR
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/spx_ir.h"
#include "passes/spx_pass.h"
#include "support/spx_support.h"
#include "test/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = '\0';
  MlirContext ctx = spx_fuzz_context_begin(1);
  MlirOperation op = mlirOperationCreateParse(ctx, (MlirStringRef){text, size},
                                              spx_ir_str("fuzz.mlir"));
  free(text);
  if (!mlirOperationIsNull(op)) {
    if (spx_ir_str_is(mlirIdentifierStr(mlirOperationGetName(op)), "builtin.module") &&
        mlirOperationVerify(op)) {
      spx_arena_t *arena = spx_arena_create();
      spx_diag_t *diag = spx_diag_create(spx_fuzz_sink());
      spx_wstore_t *store = spx_wstore_create();
      if (!arena || !diag || !store) abort();
      spx_pass_env_t env = {.store = store, .diag = diag, .arena = arena};
      const spx_pass_id_t passes[] = {SPX_PASS_ID_verify_shapes};
      spx_pipeline_opts_t opts = {0};
      spx_pipeline_run(mlirModuleFromOperation(op), passes, 1, &env, &opts);
      spx_wstore_destroy(store);
      spx_diag_destroy(diag);
      spx_arena_destroy(arena);
    }
    mlirOperationDestroy(op);
  }
  spx_fuzz_context_end();
  return 0;
}
