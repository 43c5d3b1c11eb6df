/* sample.h - a small valid CPU program built through the builder API, shared
 * by spx-mkstream and spx-stream-fuzz: an 8x8 digits-style int8 CNN
 * (quantize, conv2d+relu, maxpool, flatten, dense, dequantize, softmax). */
#ifndef SPX_TEST_STREAM_SAMPLE_H
#define SPX_TEST_STREAM_SAMPLE_H

#include "runtime/stream/spx_stream.h"

typedef struct spx_test_sample {
  spx_cs_tensor_t tensors[8];
  uint16_t inputs[1];
  uint16_t outputs[1];
  spx_cs_blob_t blobs[8];
  spx_cs_command_t commands[7];
  int8_t conv_w[4 * 1 * 3 * 3];
  int32_t conv_b[4], conv_m[4], conv_s[4];
  int8_t fc_w[10 * 64];
  int32_t fc_b[10], fc_m[1], fc_s[1];
  spx_cs_image_t image;
} spx_test_sample_t;

/* Fills *s (self-referential: do not copy it afterwards). */
void spx_test_sample_init(spx_test_sample_t *s);

/* A stream of one int8 layer that could sum n values: x f32 -> quantize ->
 * op -> dequantize, where op is SPX_CS_CPU_OP_SOFTMAX of [1, 1, 1, n] along
 * axis 2 or SPX_CS_CPU_OP_GLOBAL_AVGPOOL of [1, n, 1, 1], both summing 1
 * value as built (spx-mkstream --int8-sum patches the axis or the shapes so that
 * they sum n: the loader's limits on those sums, tested at and beyond them;
 * the compiler and the encoder refuse such layers). */
void spx_test_sample_sum_init(spx_test_sample_t *s, unsigned op, uint32_t n);

#endif
