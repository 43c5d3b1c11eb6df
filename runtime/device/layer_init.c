/* layer_init.c - a cpu.layer command, resolved into an spx_rt_layer_t. */
#include "runtime/device/spx_device.h"

static void tensor_from_record(spx_rt_tensor_t *t, const spx_cs_tensor_t *r) {
  t->dtype = r->dtype;
  t->rank = r->rank;
  for (int i = 0; i < 6; i++) t->dims[i] = i < r->rank ? r->dims[i] : 0;
  t->scale = r->scale;
  t->zero_point = r->zero_point;
  t->offset = r->ws_offset;
}

void spx_rt_layer_init(spx_rt_layer_t *layer, spx_rt_tensor_t tensor_store[5],
                       const spx_cs_cpu_layer_t *cmd,
                       const spx_cs_tensor_t *const tensors[5],
                       const spx_cs_blob_t *const blobs[4]) {
  spx_rt_layer_t l = {0};
  l.op = cmd->op;
  l.act = cmd->act;
  l.n_in = cmd->n_in;
  l.axis = cmd->axis;
  for (int k = 0; k < 4 && k < cmd->n_in; k++) {
    tensor_from_record(&tensor_store[k], tensors[k]);
    l.in[k] = &tensor_store[k];
  }
  tensor_from_record(&tensor_store[4], tensors[4]);
  l.out = &tensor_store[4];
  const void *data[4] = {0};
  for (int k = 0; k < 4; k++)
    if (blobs[k]) data[k] = blobs[k]->data;
  l.weights = data[0];
  l.bias = data[1];
  l.multiplier = (const int32_t *)data[2];
  l.shift = (const int32_t *)data[3];
  if (blobs[2]) l.multiplier_count = blobs[2]->length / (uint32_t)sizeof(int32_t);
  if (blobs[0]) {
    l.weights_encoding = blobs[0]->encoding;
    l.weights_size = blobs[0]->length;
  }
  l.groups = cmd->groups;
  l.kernel[0] = cmd->kh;
  l.kernel[1] = cmd->kw;
  l.stride[0] = cmd->sh;
  l.stride[1] = cmd->sw;
  l.dilation[0] = cmd->dh;
  l.dilation[1] = cmd->dw;
  l.pad[0] = cmd->pad_t;
  l.pad[1] = cmd->pad_l;
  l.pad[2] = cmd->pad_b;
  l.pad[3] = cmd->pad_r;
  *layer = l;
}
