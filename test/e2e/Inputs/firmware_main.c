/* A firmware-style program around a generated model: no files, no stdio;
 * the input is a constant image (FIRMWARE_INPUT, a brace list of the
 * model's input floats), the scores land in a global the debugger (or a
 * host test) reads. With -DFIRMWARE_SEMIHOST the scores are also printed
 * through newlib (semihosting or an OS), as C99 hex floats. */
#include <stdint.h>
#include MODEL_HEADER
#include "firmware_input.h"
#ifdef FIRMWARE_SEMIHOST
#include <stdio.h>
#endif

static const float input[IN_SIZE] = FIRMWARE_INPUT;
float scores[OUT_SIZE];
static _Alignas(16) unsigned char workspace[WS_SIZE];

int main(void) {
  int rc = MODEL_RUN(input, scores, workspace);
#ifdef FIRMWARE_SEMIHOST
  int k;
  for (k = 0; k < OUT_SIZE; k++) printf("%a\n", (double)scores[k]);
#endif
  return rc;
}
