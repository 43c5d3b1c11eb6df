/* sample.c - see sample.h. */
#include "test/runtime/stream/sample.h"

#include <stdbool.h>
#include <string.h>

static spx_cs_tensor_t tensor(const char *name, spx_cs_dtype_t dt,
                              unsigned rank, const uint32_t *dims, float scale,
                              int32_t zp, uint32_t ws_offset) {
  spx_cs_tensor_t t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.dtype = (uint8_t)dt;
  t.rank = (uint8_t)rank;
  uint32_t n = spx_cs_dtype_size(dt);
  for (unsigned d = 0; d < rank; d++) {
    t.dims[d] = dims[d];
    n *= dims[d];
  }
  t.scale = scale;
  t.zero_point = zp;
  t.ws_offset = ws_offset;
  t.ws_size = n;
  return t;
}

static spx_cs_blob_t blob(const char *name, spx_cs_dtype_t dt, const void *data,
                          uint32_t length) {
  spx_cs_blob_t b;
  memset(&b, 0, sizeof b);
  b.name = name;
  b.dtype = (uint8_t)dt;
  b.encoding = SPX_CS_ENC_DENSE;
  b.data = (const uint8_t *)data;
  b.length = length;
  return b;
}

void spx_test_sample_init(spx_test_sample_t *s) {
  memset(s, 0, sizeof *s);
  uint32_t seed = 12345;
  for (size_t i = 0; i < sizeof s->conv_w; i++) {
    seed = seed * 1103515245u + 12345u;
    s->conv_w[i] = (int8_t)((seed >> 16) % 255 - 127);
  }
  for (size_t i = 0; i < sizeof s->fc_w; i++) {
    seed = seed * 1103515245u + 12345u;
    s->fc_w[i] = (int8_t)((seed >> 16) % 255 - 127);
  }
  for (int i = 0; i < 4; i++) {
    s->conv_b[i] = 100 * i - 150;
    s->conv_m[i] = 1518500250 + i;
    s->conv_s[i] = -7;
  }
  for (int i = 0; i < 10; i++) s->fc_b[i] = 37 * i - 200;
  s->fc_m[0] = 1431655765;
  s->fc_s[0] = -9;

  static const uint32_t d_img[] = {1, 1, 8, 8}, d_conv[] = {1, 4, 8, 8},
                        d_pool[] = {1, 4, 4, 4}, d_flat[] = {1, 64},
                        d_fc[] = {1, 10};
  s->tensors[0] = tensor("image", SPX_CS_DTYPE_F32, 4, d_img, 0, 0, 0);
  s->tensors[1] = tensor("image.q", SPX_CS_DTYPE_INT8, 4, d_img, 0.0078125f, 0, 256);
  s->tensors[2] = tensor("conv1", SPX_CS_DTYPE_INT8, 4, d_conv, 0.0625f, -128, 320);
  s->tensors[3] = tensor("pool1", SPX_CS_DTYPE_INT8, 4, d_pool, 0.0625f, -128, 576);
  s->tensors[4] = tensor("flat", SPX_CS_DTYPE_INT8, 2, d_flat, 0.0625f, -128, 576);
  s->tensors[5] = tensor("fc1", SPX_CS_DTYPE_INT8, 2, d_fc, 0.125f, 3, 640);
  s->tensors[6] = tensor("fc1.f", SPX_CS_DTYPE_F32, 2, d_fc, 0, 0, 656);
  s->tensors[7] = tensor("prob", SPX_CS_DTYPE_F32, 2, d_fc, 0, 0, 696);
  s->inputs[0] = 0;
  s->outputs[0] = 7;

  s->blobs[0] = blob("conv1.weights", SPX_CS_DTYPE_INT8, s->conv_w, sizeof s->conv_w);
  s->blobs[1] = blob("conv1.bias", SPX_CS_DTYPE_INT32, s->conv_b, sizeof s->conv_b);
  s->blobs[2] = blob("conv1.mult", SPX_CS_DTYPE_INT32, s->conv_m, sizeof s->conv_m);
  s->blobs[3] = blob("conv1.shift", SPX_CS_DTYPE_INT32, s->conv_s, sizeof s->conv_s);
  s->blobs[4] = blob("fc1.weights", SPX_CS_DTYPE_INT8, s->fc_w, sizeof s->fc_w);
  s->blobs[5] = blob("fc1.bias", SPX_CS_DTYPE_INT32, s->fc_b, sizeof s->fc_b);
  s->blobs[6] = blob("fc1.mult", SPX_CS_DTYPE_INT32, s->fc_m, sizeof s->fc_m);
  s->blobs[7] = blob("fc1.shift", SPX_CS_DTYPE_INT32, s->fc_s, sizeof s->fc_s);
  /* The int32 arrays are host-endian; the stream is little-endian. The
   * sample is only ever built on little-endian hosts (x86-64, arm64). */

  spx_cs_command_t *c = s->commands;
  spx_cs_cpu_layer_t *l;
  spx_cs_command_init_cpu_layer(&c[0], SPX_CS_CPU_OP_QUANTIZE, "image.q");
  l = &c[0].u.cpu_layer;
  l->n_in = 1, l->in0 = 0, l->out = 1;

  spx_cs_command_init_cpu_layer(&c[1], SPX_CS_CPU_OP_CONV2D, "conv1");
  l = &c[1].u.cpu_layer;
  l->n_in = 1, l->in0 = 1, l->out = 2;
  l->weights = 0, l->bias = 1, l->mult = 2, l->shift = 3;
  l->kh = l->kw = 3, l->sh = l->sw = 1, l->dh = l->dw = 1, l->groups = 1;
  l->pad_t = l->pad_l = l->pad_b = l->pad_r = 1;
  l->act = SPX_CS_ACT_RELU;

  spx_cs_command_init_cpu_layer(&c[2], SPX_CS_CPU_OP_MAXPOOL, "pool1");
  l = &c[2].u.cpu_layer;
  l->n_in = 1, l->in0 = 2, l->out = 3;
  l->kh = l->kw = 2, l->sh = l->sw = 2;

  spx_cs_command_init_cpu_layer(&c[3], SPX_CS_CPU_OP_COPY, "flat");
  l = &c[3].u.cpu_layer;
  l->n_in = 1, l->in0 = 3, l->out = 4;

  spx_cs_command_init_cpu_layer(&c[4], SPX_CS_CPU_OP_DENSE, "fc1");
  l = &c[4].u.cpu_layer;
  l->n_in = 1, l->in0 = 4, l->out = 5;
  l->weights = 4, l->bias = 5, l->mult = 6, l->shift = 7;

  spx_cs_command_init_cpu_layer(&c[5], SPX_CS_CPU_OP_DEQUANTIZE, "fc1.f");
  l = &c[5].u.cpu_layer;
  l->n_in = 1, l->in0 = 5, l->out = 6;

  spx_cs_command_init_cpu_layer(&c[6], SPX_CS_CPU_OP_SOFTMAX, "prob");
  l = &c[6].u.cpu_layer;
  l->n_in = 1, l->in0 = 6, l->out = 7, l->axis = 1;

  spx_cs_image_t *im = &s->image;
  im->target = SPX_CS_TARGET_CPU;
  im->workspace_size = 736;
  im->tensors = s->tensors;
  im->tensor_count = 8;
  im->inputs = s->inputs;
  im->input_count = 1;
  im->outputs = s->outputs;
  im->output_count = 1;
  im->blobs = s->blobs;
  im->blob_count = 8;
  im->commands = s->commands;
  im->command_count = 7;
}

void spx_test_sample_sum_init(spx_test_sample_t *s, unsigned op, uint32_t n) {
  memset(s, 0, sizeof *s);
  bool softmax = op == SPX_CS_CPU_OP_SOFTMAX;
  const uint32_t d_gap[] = {1, n, 1, 1}, d_softmax[] = {1, 1, 1, n};
  const uint32_t *d = softmax ? d_softmax : d_gap;
  s->tensors[0] = tensor("x", SPX_CS_DTYPE_F32, 4, d, 0, 0, 0);
  s->tensors[1] = tensor("x.q", SPX_CS_DTYPE_INT8, 4, d, 0.0078125f, 0, 4 * n);
  if (softmax)
    s->tensors[2] = tensor("y", SPX_CS_DTYPE_INT8, 4, d, 1.0f / 256, -128, 5 * n);
  else
    s->tensors[2] = tensor("y", SPX_CS_DTYPE_INT8, 4, d, 0.0078125f, 0, 5 * n);
  s->tensors[3] = tensor("y.f", SPX_CS_DTYPE_F32, 4, d, 0, 0, (6 * n + 3) & ~3u);
  s->inputs[0] = 0;
  s->outputs[0] = 3;

  spx_cs_command_t *c = s->commands;
  spx_cs_command_init_cpu_layer(&c[0], SPX_CS_CPU_OP_QUANTIZE, "x.q");
  c[0].u.cpu_layer.n_in = 1, c[0].u.cpu_layer.in0 = 0, c[0].u.cpu_layer.out = 1;
  spx_cs_command_init_cpu_layer(&c[1], (spx_cs_cpu_op_t)op, "y");
  c[1].u.cpu_layer.n_in = 1, c[1].u.cpu_layer.in0 = 1, c[1].u.cpu_layer.out = 2;
  if (softmax) c[1].u.cpu_layer.axis = 2;
  spx_cs_command_init_cpu_layer(&c[2], SPX_CS_CPU_OP_DEQUANTIZE, "y.f");
  c[2].u.cpu_layer.n_in = 1, c[2].u.cpu_layer.in0 = 2, c[2].u.cpu_layer.out = 3;

  spx_cs_image_t *im = &s->image;
  im->target = SPX_CS_TARGET_CPU;
  im->workspace_size = s->tensors[3].ws_offset + 4 * n;
  im->tensors = s->tensors;
  im->tensor_count = 4;
  im->inputs = s->inputs;
  im->input_count = 1;
  im->outputs = s->outputs;
  im->output_count = 1;
  im->commands = s->commands;
  im->command_count = 3;
}
