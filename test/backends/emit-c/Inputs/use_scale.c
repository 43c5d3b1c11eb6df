/* Uses the quantization macros of scale2.h, so that they must be C. */
#include "scale2.h"

float scale2_in_scale(void);
float scale2_in_scale(void) {
  return SCALE2_X_QUANTIZE_SCALE * (float)SCALE2_X_QUANTIZE_ZERO_POINT +
         SCALE2_FC_DEQUANTIZE_SCALE;
}
