/* npy.c - libFuzzer harness: spx_npy_parse (support/npy.c) on the buffer.
 *
 * A parse that succeeds must give a consistent array: count equal to the
 * product of dims and every byte of the data readable (ASan checks the
 * reads); the harness aborts otherwise. */
#include <stdint.h>
#include <stdlib.h>

#include "support/spx_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  spx_npy_t npy;
  char err[256];
  if (spx_npy_parse(data, size, &npy, err, sizeof err) != 0) return 0;
  if (npy.rank < 0 || npy.rank > SPX_MAX_RANK) abort();
  size_t count = 1;
  for (int i = 0; i < npy.rank; i++) {
    if (npy.dims[i] < 0) abort();
    count *= (size_t)npy.dims[i];
  }
  if (count != npy.count) abort();
  size_t nbytes = npy.count * spx_dtype_size(npy.dtype);
  volatile unsigned char sum = 0;
  for (size_t i = 0; i < nbytes; i++) sum ^= ((const unsigned char *)npy.data)[i];
  (void)sum;
  spx_npy_free(&npy);
  return 0;
}
