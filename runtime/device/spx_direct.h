/* spx_direct.h - one entry point per layer kind, for generated C.
 *
 * spx_rt_layer_run (spx_device.h) takes any layer: it checks it, finds its
 * weights' format in the registry (spx_fmt_find) and dispatches, so a
 * program that calls it links every kernel and every format. Generated C
 * for the cpu target knows each layer's kind, dtype and weight format when
 * spxc writes it, and spxc checks every layer then (spx_rt_layer_validate
 * on the layer as NAME.c holds it, weights included); so NAME.c calls, per
 * layer, the entry point below for that kind, and a product linking with
 * -Wl,--gc-sections keeps only the kernels and the formats its model uses.
 *
 * Each function runs a layer that spx_rt_layer_validate accepts, exactly as
 * spx_rt_layer_run does (the same kernels with the same parameters: the
 * same bits), without checking it again: a layer it would refuse is
 * undefined behaviour. ws is the workspace (4-byte aligned at least),
 * scratch the kernel scratch of spx_rt_layer_scratch_size(l) bytes or more
 * (4-byte aligned); most kinds need none. The int8 conv2d and dense of the
 * int8 datapath take their weights' format descriptor (&spx_fmt_desc_DENSE,
 * &spx_fmt_desc_CBR, ...: spx_formats.h) and run the int8 driver with its
 * instruction-set path fixed when libspxrt was compiled (runtime/kernels/
 * kernels_fixed.h: AVX-512 VNNI or AVX2 when the compiler targets them,
 * else portable C), not chosen at run time.
 *
 * spxc names them from the layer (backends/emit_c.c, direct_call):
 * spx_rt_direct_<op>_<s8|f32> with <op> the text of SPX_CS_CPU_OPS, except
 * copy, quantize, dequantize (no suffix) and the int8 conv2d/dense (below);
 * a new op needs its entry point here. */
#ifndef SPX_DIRECT_H
#define SPX_DIRECT_H

#include "spx_device.h"
#include "../formats/spx_formats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct spx_fmt_desc;

#define SPX_RT_DIRECT_ARGS const spx_rt_layer_t *l, uint8_t *ws, void *scratch, size_t scratch_size

/* conv2d and dense: int8 over a format of the int8 datapath, LP weights,
 * f32 (a fused sigmoid included). */
spx_rt_status_t spx_rt_direct_conv2d_s8(const struct spx_fmt_desc *fmt, SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_dense_s8(const struct spx_fmt_desc *fmt, SPX_RT_DIRECT_ARGS);
/* The same layers straight on the register-blocked kernels of the dense
 * int8 and CBR formats (the driver's fast paths), for the layers
 * spx_rt_direct_s8_kernel names: stride-1 conv2d (_fast), depthwise
 * (_fast_dw), dense (_fast); a program that calls only these does not link
 * the driver's loops for the other layers and formats. */
spx_rt_status_t spx_rt_direct_conv2d_s8_fast(const struct spx_fmt_desc *fmt, SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_conv2d_s8_fast_dw(const struct spx_fmt_desc *fmt,
                                                SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_dense_s8_fast(const struct spx_fmt_desc *fmt, SPX_RT_DIRECT_ARGS);
/* Which of them runs an int8 conv2d/dense (one spx_rt_layer_validate
 * accepts) with weights of format fmt: spxc asks when it writes NAME.c. */
typedef enum spx_rt_direct_kernel {
  SPX_RT_DIRECT_DRIVER = 0, /* spx_rt_direct_conv2d_s8 / spx_rt_direct_dense_s8 */
  SPX_RT_DIRECT_FAST = 1,   /* spx_rt_direct_conv2d_s8_fast / spx_rt_direct_dense_s8_fast */
  SPX_RT_DIRECT_FAST_DW = 2 /* spx_rt_direct_conv2d_s8_fast_dw */
} spx_rt_direct_kernel_t;
spx_rt_direct_kernel_t spx_rt_direct_s8_kernel(const struct spx_fmt_desc *fmt,
                                               const spx_rt_layer_t *l);
spx_rt_status_t spx_rt_direct_conv2d_lp(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_dense_lp(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_conv2d_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_dense_f32(SPX_RT_DIRECT_ARGS);
/* The other kinds, int8 (_s8) or f32 (_f32). */
spx_rt_status_t spx_rt_direct_relu_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_relu_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_relu6_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_relu6_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_sigmoid_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_sigmoid_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_sign_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_sign_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_maxpool_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_maxpool_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_avgpool_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_avgpool_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_global_avgpool_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_global_avgpool_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_add_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_add_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_concat_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_concat_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_softmax_s8(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_softmax_f32(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_batchnorm_f32(SPX_RT_DIRECT_ARGS);
/* copy (flatten, reshape), quantize (f32 -> int8), dequantize (int8 -> f32) */
spx_rt_status_t spx_rt_direct_copy(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_quantize(SPX_RT_DIRECT_ARGS);
spx_rt_status_t spx_rt_direct_dequantize(SPX_RT_DIRECT_ARGS);

#ifdef __cplusplus
}
#endif

#endif /* SPX_DIRECT_H */
