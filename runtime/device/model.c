/* model.c - what every device does around its own execution of a stream:
 * decoding a cpu.layer command, error records, and moving the model's inputs into the workspace and its
 * outputs out of it (quantizing and dequantizing int8 model tensors). */
#include <stdarg.h>
#include <string.h>

#include "runtime/device/spx_device.h"

spx_rt_status_t spx_rt_layer_decode(const spx_cs_stream_t *s, const spx_cs_cpu_layer_t *cmd,
                                    spx_rt_layer_decoded_t *out, spx_rt_error_t *err) {
  const uint16_t ids[4] = {cmd->in0, cmd->in1, cmd->in2, cmd->in3};
  const uint16_t bids[4] = {cmd->weights, cmd->bias, cmd->mult, cmd->shift};
  unsigned k;
  memset(out, 0, sizeof *out);
  for (k = 0; k < 4; ++k) {
    if (k < cmd->n_in && ids[k] != SPX_CS_NONE) spx_cs_stream_tensor(s, ids[k], &out->rec[k]);
    out->recp[k] = &out->rec[k];
  }
  if (cmd->out != SPX_CS_NONE) spx_cs_stream_tensor(s, cmd->out, &out->rec[4]);
  out->recp[4] = &out->rec[4];
  for (k = 0; k < 4; ++k) {
    spx_cs_blob_t *b = &out->blobs[k];
    if (bids[k] == SPX_CS_NONE) continue;
    spx_cs_stream_blob(s, bids[k], b);
    if (!b->data || !b->length)
      return spx_rt_error_set(err, SPX_RT_ERR_ARG, "blob%u out of range", (unsigned)bids[k]);
    if (spx_cs_dtype_size(b->dtype) > 1 && ((uintptr_t)b->data & 3u))
      return spx_rt_error_set(err, SPX_RT_ERR_ARG,
                              "blob%u is not 4-byte aligned in memory (load the stream "
                              "into aligned memory)", (unsigned)bids[k]);
    out->blobp[k] = b;
  }
  spx_rt_layer_init(&out->layer, out->store, cmd, out->recp, out->blobp);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_rt_prepared_weights_t *spx_rt_model_prepared(const spx_rt_model_t *m, uint32_t i) {
  return m && m->prepared && i < m->prepared->count ? m->prepared->at[i] : NULL;
}

void spx_rt_model_layout(spx_rt_model_t *m, const spx_rt_device_t *device,
                         const spx_cs_stream_t *stream, size_t max_scratch) {
  m->device = device;
  m->stream = *stream;
  m->scratch_offset = SPX_RT_ALIGN16((size_t)stream->workspace_size);
  m->scratch_size = SPX_RT_ALIGN16(max_scratch);
  m->workspace_size = m->scratch_offset + m->scratch_size;
}

spx_rt_status_t spx_rt_model_stage_inputs(const spx_rt_model_t *m, const float *const *inputs,
                                          float *const *outputs, void *workspace,
                                          size_t workspace_size, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace;
  uint32_t i;
  if (!ws || ((uintptr_t)ws & 15u))
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "workspace is NULL or not 16-byte aligned");
  if (workspace_size < m->workspace_size)
    return spx_rt_error_set(error, SPX_RT_ERR_BUFFER, "workspace of %zu bytes is smaller than the %zu the model needs",
                            workspace_size, m->workspace_size);
  if ((s->input_count && !inputs) || (s->output_count && !outputs))
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "inputs or outputs array is NULL");
  for (i = 0; i < s->output_count; ++i)
    if (!outputs[i])
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "output %u is NULL",
                              (unsigned)i);
  for (i = 0; i < s->input_count; ++i) {
    spx_cs_tensor_t t;
    spx_rt_quant_t q;
    if (!inputs[i])
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "input %u is NULL",
                              (unsigned)i);
    spx_cs_stream_tensor(s, spx_cs_stream_input(s, i), &t);
    q.scale = t.scale;
    q.zero_point = t.zero_point;
    if (t.dtype == SPX_CS_DTYPE_F32) {
      memcpy(ws + t.ws_offset, inputs[i], t.ws_size);
    } else if (spx_rt_quantize_f32_s8(t.ws_size, q, inputs[i], (int8_t *)(ws + t.ws_offset)) !=
               SPX_RT_OK) {
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "input %u: cannot quantize", (unsigned)i);
    }
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_rt_model_collect_outputs(const spx_rt_model_t *m, float *const *outputs,
                                             const void *workspace, spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  const uint8_t *ws = (const uint8_t *)workspace;
  uint32_t i;
  for (i = 0; i < s->output_count; ++i) {
    spx_cs_tensor_t t;
    spx_rt_quant_t q;
    spx_cs_stream_tensor(s, spx_cs_stream_output(s, i), &t);
    q.scale = t.scale;
    q.zero_point = t.zero_point;
    if (t.dtype == SPX_CS_DTYPE_F32) {
      memcpy(outputs[i], ws + t.ws_offset, t.ws_size);
    } else if (spx_rt_dequantize_s8_f32(t.ws_size, q, (const int8_t *)(ws + t.ws_offset),
                                        outputs[i]) != SPX_RT_OK) {
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "output %u: cannot dequantize", (unsigned)i);
    }
  }
  return SPX_RT_OK;
}
