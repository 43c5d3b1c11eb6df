/* Three variants of one network (variant.spx), each generated with its own
 * --c-prefix into its own folder, linked into one program: argv[1] holds N
 * samples of 16 floats; argv[2], argv[3], argv[4] receive the outputs of the
 * dense, bsp and aie variants. All three headers in one translation unit:
 * their guards and macros must not meet. */
#include <stdint.h>
#include <stdio.h>

#include "aie/tiny.h"
#include "bsp/tiny.h"
#include "dense/tiny.h"

#define MAX3(a, b, c) ((a) > (b) ? ((a) > (c) ? (a) : (c)) : ((b) > (c) ? (b) : (c)))
#define WS_SIZE MAX3(DENSE_TINY_WORKSPACE_SIZE, BSP_TINY_WORKSPACE_SIZE, AIE_TINY_WORKSPACE_SIZE)

typedef char same_input[DENSE_TINY_INPUT_X_SIZE == BSP_TINY_INPUT_X_SIZE &&
                                DENSE_TINY_INPUT_X_SIZE == AIE_TINY_INPUT_X_SIZE
                            ? 1
                            : -1];
typedef char same_output[DENSE_TINY_OUTPUT_FC2_SIZE == BSP_TINY_OUTPUT_FC2_SIZE &&
                                 DENSE_TINY_OUTPUT_FC2_SIZE == AIE_TINY_OUTPUT_FC2_SIZE
                             ? 1
                             : -1];

static float in[DENSE_TINY_INPUT_X_SIZE], out[DENSE_TINY_OUTPUT_FC2_SIZE];
static uint64_t workspace[WS_SIZE / 8 + 2]; /* 8-byte aligned, rounded up to 16 below */

int main(int argc, char **argv) {
  FILE *fi, *fo[3];
  long n = 0;
  int v;
  void *ws = (void *)(((uintptr_t)workspace + 15) & ~(uintptr_t)15);
  if (argc != 5) return 2;
  fi = fopen(argv[1], "rb");
  for (v = 0; v < 3; v++) fo[v] = fopen(argv[2 + v], "wb");
  if (!fi || !fo[0] || !fo[1] || !fo[2]) return 2;
  while (fread(in, sizeof in, 1, fi) == 1) {
    for (v = 0; v < 3; v++) {
      int rc = v == 0 ? dense_tiny_run(in, out, ws)
               : v == 1 ? bsp_tiny_run(in, out, ws)
                        : aie_tiny_run(in, out, ws);
      if (rc != 0) {
        fprintf(stderr, "sample %ld, variant %d: run returned %d\n", n, v, rc);
        return 1;
      }
      fwrite(out, sizeof out, 1, fo[v]);
    }
    n++;
  }
  fclose(fi);
  for (v = 0; v < 3; v++) fclose(fo[v]);
  printf("ran %ld samples, workspaces %lu %lu %lu\n", n, (unsigned long)dense_tiny_workspace_size(),
         (unsigned long)bsp_tiny_workspace_size(), (unsigned long)aie_tiny_workspace_size());
  return 0;
}
