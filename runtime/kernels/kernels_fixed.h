/* kernels_fixed.h - the int8 conv2d/dense driver (spx_matmul_s8.c) and its
 * register-blocked kernels (spx_fast_s8.c) a second time, for generated C:
 * their instruction-set path fixed when libspxrt is compiled, from the
 * compiler's macros, instead of chosen at run time (spx_isa.c).
 *
 *   __AVX512VNNI__ (with AVX-512 F/BW/DQ/VL) on x86-64   the AVX-512 path
 *   __AVX2__ on x86-64                                   the AVX2 path
 *   otherwise (every other compiler and machine)         portable C99 only
 *
 * spx_matmul_fixed.c and spx_fast_fixed.c include the two sources after this
 * header, which renames their external symbols (_fixed) so that both
 * copies live in libspxrt: the cpu device and spx-run keep the run-time
 * choice (SPX_ISA, the CPU's features), generated C (spx_direct.h) links the
 * fixed copy only, without the CPU-feature probe or paths the build does not
 * target. Every path gives the same bits (spx_kernels.h, "Instruction-set
 * paths"). */
#ifndef SPX_KERNELS_FIXED_H
#define SPX_KERNELS_FIXED_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(__AVX2__)
#define SPX_K_X86 1
#else
#define SPX_K_X86 0
#endif
#if SPX_K_X86 && defined(__AVX512VNNI__) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__AVX512VL__)
#define SPX_K_ISA() SPX_RT_ISA_AVX512
#elif SPX_K_X86
#define SPX_K_ISA() SPX_RT_ISA_AVX2
#else
#define SPX_K_ISA() SPX_RT_ISA_C
#endif
/* spx_fast_s8.c's SSE2 interleave (x86-64's baseline, __SSE2__) needs these
 * when the AVX paths, which include <immintrin.h>, are not built. */
#if !SPX_K_X86 && defined(__SSE2__)
#include <emmintrin.h>
#endif

#define spx_rt_conv2d_s8_fmt_get_buffer_size spx_rt_conv2d_s8_fmt_get_buffer_size_fixed
#define spx_rt_conv2d_s8_fmt spx_rt_conv2d_s8_fmt_fixed
#define spx_rt_dense_s8_fmt_get_buffer_size spx_rt_dense_s8_fmt_get_buffer_size_fixed
#define spx_rt_dense_s8_fmt spx_rt_dense_s8_fmt_fixed
#define spx_rt_conv2d_s8_get_buffer_size spx_rt_conv2d_s8_get_buffer_size_fixed
#define spx_rt_conv2d_s8 spx_rt_conv2d_s8_fixed
#define spx_rt_dense_s8_get_buffer_size spx_rt_dense_s8_get_buffer_size_fixed
#define spx_rt_dense_s8 spx_rt_dense_s8_fixed
#define spx_k_fast_conv_size spx_k_fast_conv_size_fixed
#define spx_k_fast_conv spx_k_fast_conv_fixed
#define spx_k_fast_dw_size spx_k_fast_dw_size_fixed
#define spx_k_fast_dw spx_k_fast_dw_fixed
#define spx_k_fast_dense_size spx_k_fast_dense_size_fixed
#define spx_k_fast_dense spx_k_fast_dense_fixed
#define spx_rt_conv2d_s8_packed_size spx_rt_conv2d_s8_packed_size_fixed
#define spx_rt_conv2d_s8_pack spx_rt_conv2d_s8_pack_fixed
#define spx_rt_conv2d_s8_packed_get_buffer_size spx_rt_conv2d_s8_packed_get_buffer_size_fixed
#define spx_rt_conv2d_s8_packed spx_rt_conv2d_s8_packed_fixed
#define spx_rt_dense_s8_packed_size spx_rt_dense_s8_packed_size_fixed
#define spx_rt_dense_s8_pack spx_rt_dense_s8_pack_fixed
#define spx_rt_dense_s8_packed_get_buffer_size spx_rt_dense_s8_packed_get_buffer_size_fixed
#define spx_rt_dense_s8_packed spx_rt_dense_s8_packed_fixed
#define spx_rt_conv2d_s8_fmt_packed_size spx_rt_conv2d_s8_fmt_packed_size_fixed
#define spx_rt_conv2d_s8_fmt_pack spx_rt_conv2d_s8_fmt_pack_fixed
#define spx_rt_conv2d_s8_fmt_packed spx_rt_conv2d_s8_fmt_packed_fixed
#define spx_rt_dense_s8_fmt_packed_size spx_rt_dense_s8_fmt_packed_size_fixed
#define spx_rt_dense_s8_fmt_pack spx_rt_dense_s8_fmt_pack_fixed
#define spx_rt_dense_s8_fmt_packed spx_rt_dense_s8_fmt_packed_fixed
#define spx_k_fast_add_s8 spx_k_fast_add_s8_fixed
#define spx_k_fast_requant_s8 spx_k_fast_requant_s8_fixed
#define spx_k_fast_dense_packed_size spx_k_fast_dense_packed_size_fixed
#define spx_k_fast_dense_pack spx_k_fast_dense_pack_fixed
#define spx_k_fast_conv_packed_size spx_k_fast_conv_packed_size_fixed
#define spx_k_fast_conv_pack spx_k_fast_conv_pack_fixed
#define spx_k_fast_conv_packed spx_k_fast_conv_packed_fixed

#include "runtime/kernels/kernels_internal.h"

#endif /* SPX_KERNELS_FIXED_H */
