/* spx_fast_fixed.c - the register-blocked int8 kernels with the
 * instruction-set path fixed at compile time (kernels_fixed.h). */
#include "runtime/kernels/kernels_fixed.h"

#include "runtime/kernels/spx_fast_s8.c"
