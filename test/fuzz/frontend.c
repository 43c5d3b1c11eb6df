/* frontend.c - libFuzzer harness: a .spx buffer through the whole frontend.
 *
 * The input is written to a file in a private temporary directory (made
 * under $TMPDIR at start-up, removed at exit; the file is removed as soon as
 * it has been read) and goes through spx_fe_load (lex, parse, semantic
 * checks, weights) and, when that succeeds, spx_fe_lower to the spx MLIR
 * dialect in a fresh context, then MLIR verification - as spxc does before
 * its passes. Diagnostics go to /dev/null (SPX_FUZZ_VERBOSE=1: stderr).
 * Weight files named by the input do not exist (relative paths resolve into
 * the empty temporary directory): those are ordinary errors.
 *
 * A network the frontend accepted must lower to IR that verifies: if it does
 * not, the harness aborts, so such inputs are reported as crashes. */
#define _POSIX_C_SOURCE 200809L
#define SPX_FUZZ_WITH_MLIR
#define SPX_FUZZ_WITH_INPUT_FILE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/spx_fe.h"
#include "passes/spx_pass.h"
#include "support/spx_support.h"
#include "test/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  spx_fuzz_input_file_init("frontend", "spx");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *file_path = spx_fuzz_input_file_write(data, size);
  spx_arena_t *arena = spx_arena_create();
  spx_diag_t *diag = spx_diag_create(spx_fuzz_sink());
  spx_wstore_t *store = spx_wstore_create();
  if (!arena || !diag || !store) abort();

  spx_fe_network_t *net = NULL;
  spx_fe_vocab_t vocab = {0};
  vocab.sparsify_kinds = spx_pass_sparsify_kinds(&vocab.n_sparsify_kinds);
  vocab.sparsify_binary = spx_pass_sparsify_binary();
  int rc = spx_fe_load(file_path, &vocab, arena, store, diag, &net);
  unlink(file_path);
  if (rc == 0 && net && spx_diag_error_count(diag) == 0) {
    MlirContext ctx = spx_fuzz_context_begin(0);
    MlirModule module = spx_fe_lower(net, ctx, store);
    if (mlirModuleIsNull(module)) {
      fputs("spx-fuzz-frontend: spx_fe_lower returned no module for a checked network\n",
            stderr);
      abort();
    }
    if (!mlirOperationVerify(mlirModuleGetOperation(module))) {
      fputs("spx-fuzz-frontend: the lowered module does not verify\n", stderr);
      abort();
    }
    mlirModuleDestroy(module);
    spx_fuzz_context_end(); /* before the store: the module used its buffers */
  }
  spx_wstore_destroy(store);
  spx_diag_destroy(diag);
  spx_arena_destroy(arena);
  return 0;
}
