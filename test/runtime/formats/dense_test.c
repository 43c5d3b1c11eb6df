/* spx-dense-test: the dense int8 weight format (runtime/formats/dense.c).
 * The encoder's rule is checked against numpy through the quantize pass
 * (test/passes/quantize.spx); here: decode(encode(w)) is within half a step
 * of w, the largest |q| of a row is 127, a row of zeros gets scale 1, and
 * min_scale raises a row's scale. Prints one line per check; exits 1 on the
 * first failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/formats/spx_formats.h"

enum { ROWS = 6, LEN = 37 };

static int fail(const char *what) {
  printf("FAIL: %s\n", what);
  return 1;
}

int main(void) {
  float w[ROWS * LEN], back[ROWS * LEN], scale[ROWS];
  int8_t q[ROWS * LEN];
  double min_scale[ROWS] = {0, 0, 0, 0, 0.5, 0};
  unsigned seed = 12345;
  for (int i = 0; i < ROWS * LEN; i++) {
    seed = seed * 1103515245u + 12345u;
    w[i] = ((float)((seed >> 8) & 0xffff) / 65535.0f - 0.5f) * (float)(1 + i / LEN);
  }
  for (int i = 0; i < LEN; i++) w[3 * LEN + i] = 0; /* an all-zero row */
  spx_fmt_dense_s8_encode(w, ROWS, LEN, min_scale, q, scale);
  spx_fmt_dense_s8_decode(q, scale, ROWS, LEN, back);
  for (int r = 0; r < ROWS; r++) {
    int qmax = 0;
    for (int i = 0; i < LEN; i++) {
      int a = abs(q[r * LEN + i]);
      if (a > qmax) qmax = a;
      if (fabsf(back[r * LEN + i] - w[r * LEN + i]) > scale[r] * 0.5f * (1 + 1e-6f))
        return fail("decode(encode(w)) within half a step");
    }
    if (r == 3 && (scale[r] != 1.0f || qmax != 0)) return fail("zero row: scale 1, q 0");
    if (r == 4 && (scale[r] != 0.5f || qmax == 127)) return fail("min_scale raises the scale");
    if (r != 3 && r != 4 && qmax != 127) return fail("largest |q| of a row is 127");
  }
  printf("dense int8: round trip within half a step, |q| max 127, zero row, min_scale: ok\n");
  return 0;
}
