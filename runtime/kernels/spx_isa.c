/* spx_isa.c - which instruction-set path the int8 conv2d/dense kernels take
 * (spx_kernels.h, "Instruction-set paths"): the CPU's features, read once,
 * and SPX_ISA. */
#include <stdlib.h>
#include <string.h>

#include "runtime/kernels/kernels_internal.h"

static int g_isa = -1; /* -1: not chosen yet */

int spx_rt_kernels_isa_supported(spx_rt_isa_t isa) {
  switch (isa) {
  case SPX_RT_ISA_C:
    return 1;
#if SPX_K_X86
  case SPX_RT_ISA_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  case SPX_RT_ISA_AVX512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
#endif
  default:
    return 0;
  }
}

const char *spx_rt_kernels_isa_name(spx_rt_isa_t isa) {
  switch (isa) {
  case SPX_RT_ISA_C: return "c";
  case SPX_RT_ISA_AVX2: return "avx2";
  case SPX_RT_ISA_AVX512: return "avx512";
  default: return "?";
  }
}

spx_rt_isa_t spx_rt_kernels_isa(void) {
  if (g_isa < 0) {
    const char *e = getenv("SPX_ISA");
    int want = SPX_RT_ISA_COUNT - 1, i;
    for (i = 0; e && i < SPX_RT_ISA_COUNT; ++i)
      if (!strcmp(e, spx_rt_kernels_isa_name((spx_rt_isa_t)i))) want = i;
    while (want > 0 && !spx_rt_kernels_isa_supported((spx_rt_isa_t)want)) --want;
    g_isa = want;
  }
  return (spx_rt_isa_t)g_isa;
}

spx_rt_status_t spx_rt_kernels_set_isa(spx_rt_isa_t isa) {
  /* unsigned: an enum may be an unsigned char (arm-none-eabi's short enums) */
  if ((unsigned)isa >= (unsigned)SPX_RT_ISA_COUNT || !spx_rt_kernels_isa_supported(isa))
    return SPX_RT_ERR_ARG;
  g_isa = (int)isa;
  return SPX_RT_OK;
}
