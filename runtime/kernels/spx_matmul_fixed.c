/* spx_matmul_fixed.c - the int8 conv2d/dense driver with the instruction-set
 * path fixed at compile time (kernels_fixed.h): spx_rt_conv2d_s8_fmt_fixed,
 * spx_rt_dense_s8_fmt_fixed, for generated C. */
#include "runtime/kernels/kernels_fixed.h"

#include "runtime/kernels/spx_matmul_s8.c"
