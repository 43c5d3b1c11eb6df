/* cpu.c - the cpu device: runs a loaded cpu stream, one cpu.layer command at
 * a time, through spx_rt_layer_init and spx_rt_layer_run (layer_run.c), the
 * same path generated C takes. Also the generic model entry points, which
 * dispatch through the model's device, and the device table.
 *
 * No allocation: the model lives in caller memory and every run uses the
 * caller's workspace (spx_rt_model_workspace_size). Each command is decoded
 * from the stream bytes on every run, so a model is just a view, plus the
 * weights spx_rt_model_prepare (prepare.c) decoded and packed once, if the
 * caller prepared it. */
#include <string.h>

#include "runtime/device/spx_device.h"

/* ---- decoding one cpu.layer ------------------------------------------------ */

typedef struct decoded {
  spx_cs_command_t cmd;
  spx_rt_layer_decoded_t d;
} decoded_t;

/* "command 3 (conv1)" prefix pieces. */
static const char *cmd_name(const decoded_t *d) {
  return d->cmd.name && d->cmd.name[0] ? d->cmd.name : "unnamed";
}

/* Decodes command i into d->d.layer. On failure *why says what is wrong. */
static spx_rt_status_t decode(const spx_cs_stream_t *s, uint32_t i,
                              decoded_t *d, spx_rt_error_t *err) {
  memset(&d->cmd, 0, sizeof d->cmd);
  spx_cs_stream_command(s, i, &d->cmd);
  if (d->cmd.opcode != SPX_CS_OP_CPU_LAYER) {
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "opcode is not run by the cpu device");
  }
  return spx_rt_layer_decode(s, &d->cmd.u.cpu_layer, &d->d, err);
}

/* ---- the cpu device --------------------------------------------------------- */

static spx_rt_status_t io_tensor_ok(const spx_cs_stream_t *s, uint16_t id,
                                    spx_cs_tensor_t *t) {
  spx_cs_stream_tensor(s, id, t);
  return (t->dtype == SPX_CS_DTYPE_F32 || t->dtype == SPX_CS_DTYPE_INT8)
             ? SPX_RT_OK
             : SPX_RT_ERR_ARG;
}

static size_t tensor_elems(const spx_cs_tensor_t *t) {
  unsigned sz = spx_cs_dtype_size(t->dtype);
  return sz ? t->ws_size / sz : 0;
}

static spx_rt_status_t cpu_initialize(const spx_rt_device_t *device,
                                      const spx_cs_stream_t *s,
                                      spx_rt_model_t *m,
                                      spx_rt_error_t *error) {
  uint32_t i;
  size_t max_scratch = 0;
  decoded_t d;
  if (s->target != device->target) {
    const char *t = spx_cs_target_name(s->target);
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "stream target is %s; the %s device runs %s streams only",
                t ? t : "unknown", device->name,
                spx_cs_target_name(device->target));
  }
  for (i = 0; i < s->input_count + s->output_count; ++i) {
    int is_in = i < s->input_count;
    uint32_t k = is_in ? i : i - s->input_count;
    uint16_t id = is_in ? spx_cs_stream_input(s, k) : spx_cs_stream_output(s, k);
    spx_cs_tensor_t t;
    if (id == SPX_CS_NONE || io_tensor_ok(s, id, &t) != SPX_RT_OK)
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "model %s %u must be an f32 or int8 tensor",
                  is_in ? "input" : "output", (unsigned)k);
  }
  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    spx_rt_status_t st = decode(s, i, &d, &e);
    size_t need;
    if (st == SPX_RT_OK) st = spx_rt_layer_validate(&d.d.layer, &e);
    if (st != SPX_RT_OK)
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s: %s", (unsigned)i,
                  cmd_name(&d),
                  spx_cs_cpu_op_name(d.cmd.u.cpu_layer.op)
                      ? spx_cs_cpu_op_name(d.cmd.u.cpu_layer.op)
                      : "?",
                  e.message);
    need = spx_rt_layer_scratch_size(&d.d.layer);
    if (need > max_scratch) max_scratch = need;
  }
  spx_rt_model_layout(m, device, s, max_scratch);
  return SPX_RT_OK;
}

static spx_rt_status_t cpu_run(const spx_rt_model_t *m,
                               const float *const *inputs,
                               float *const *outputs, void *workspace,
                               size_t workspace_size,
                               const spx_rt_run_hooks_t *hooks,
                               spx_rt_error_t *error) {
  const spx_cs_stream_t *s = &m->stream;
  uint8_t *ws = (uint8_t *)workspace;
  uint8_t *scratch;
  uint32_t i, it;
  decoded_t d;
  spx_rt_status_t staged =
      spx_rt_model_stage_inputs(m, inputs, outputs, workspace, workspace_size, error);
  if (staged != SPX_RT_OK) return staged;
  scratch = ws + m->scratch_offset;

  for (i = 0; i < s->command_count; ++i) {
    spx_rt_error_t e;
    const char *name;
    spx_rt_status_t st = decode(s, i, &d, &e);
    name = d.cmd.name ? d.cmd.name : "";
    if (st != SPX_RT_OK)
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s", (unsigned)i,
                  cmd_name(&d), e.message);
    if (hooks && hooks->before) hooks->before(hooks->user, i, name);
    for (it = 0; it < d.cmd.iterations && st == SPX_RT_OK; ++it)
      st = spx_rt_layer_run_prepared(&d.d.layer, spx_rt_model_prepared(m, i), ws, scratch,
                                     m->scratch_size);
    if (hooks && hooks->after) hooks->after(hooks->user, i, name, st);
    if (st != SPX_RT_OK) {
      spx_rt_layer_check(&d.d.layer, &e);
      return spx_rt_error_set_at(error, st, i, "command %u (%s): %s: %s%s%s", (unsigned)i,
                  cmd_name(&d),
                  spx_cs_cpu_op_name(d.cmd.u.cpu_layer.op)
                      ? spx_cs_cpu_op_name(d.cmd.u.cpu_layer.op)
                      : "?",
                  spx_rt_status_name(st), e.message[0] ? ": " : "", e.message);
    }
    if (hooks && hooks->output)
      hooks->output(hooks->user, i, name, &d.d.rec[4], ws + d.d.rec[4].ws_offset);
  }

  return spx_rt_model_collect_outputs(m, outputs, ws, error);
}

/* The cpu has no machine description. */
const spx_mdesc_table_t spx_target_cpu_mdesc = {NULL, 0, NULL};

/* layer_opcodes: every command is a cpu.layer the cpu kernels run. */
const spx_rt_device_t spx_rt_device_cpu = {"cpu", SPX_CS_TARGET_CPU, cpu_initialize,
                                           cpu_run, 0, NULL, NULL, {SPX_CS_OP_CPU_LAYER}, 0};

/* ---- generic entry points ----------------------------------------------------- */

/* Every device: the default one of each target, in registry order. */
static const spx_rt_device_t *const devices[] = {
#define X(E, nm, id, lo, hi, low, device, ...) &device,
    SPX_TARGETS(X)
#undef X
};
#define DEVICE_COUNT (sizeof devices / sizeof devices[0])

const spx_rt_device_t *spx_rt_device_find(const char *name) {
  size_t i;
  if (!name) return NULL;
  for (i = 0; i < DEVICE_COUNT; ++i)
    if (!strcmp(devices[i]->name, name)) return devices[i];
  return NULL;
}

const spx_rt_device_t *spx_rt_device_for_target(const char *name, unsigned target) {
  size_t i;
  for (i = 0; i < DEVICE_COUNT; ++i)
    if (devices[i]->target == target && (!name || !strcmp(devices[i]->name, name)))
      return devices[i];
  return NULL;
}

/* The distinct names of the devices, in table order: filled on the first
 * call, names[0] last, with the same values every time. */
const char *const *spx_rt_device_names(void) {
  static const char *names[DEVICE_COUNT + 1];
  const char *found[DEVICE_COUNT + 1];
  size_t i, j, n = 0;
  if (names[0]) return names;
  for (i = 0; i < DEVICE_COUNT; ++i) {
    for (j = 0; j < n && strcmp(found[j], devices[i]->name); ++j) {
    }
    if (j == n) found[n++] = devices[i]->name;
  }
  while (n-- > 0) names[n] = found[n];
  return names;
}

spx_rt_status_t spx_rt_model_initialize(const spx_rt_device_t *device,
                                        const spx_cs_stream_t *stream,
                                        spx_rt_model_t *out_model,
                                        spx_rt_error_t *error) {
  spx_rt_error_clear(error);
  if (out_model) memset(out_model, 0, sizeof *out_model);
  if (!device || !device->initialize || !device->run || !stream || !out_model)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "device, stream or model is NULL");
  if (!stream->data)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "stream is not loaded");
  return device->initialize(device, stream, out_model, error);
}

size_t spx_rt_model_workspace_size(const spx_rt_model_t *model) {
  return model && model->device ? model->workspace_size : 0;
}

size_t spx_rt_model_input_count(const spx_rt_model_t *model, uint32_t index) {
  spx_cs_tensor_t t;
  if (!model || !model->device || index >= model->stream.input_count) return 0;
  spx_cs_stream_tensor(&model->stream, spx_cs_stream_input(&model->stream, index), &t);
  return tensor_elems(&t);
}

size_t spx_rt_model_output_count(const spx_rt_model_t *model, uint32_t index) {
  spx_cs_tensor_t t;
  if (!model || !model->device || index >= model->stream.output_count) return 0;
  spx_cs_stream_tensor(&model->stream, spx_cs_stream_output(&model->stream, index), &t);
  return tensor_elems(&t);
}

spx_rt_status_t spx_rt_model_run(const spx_rt_model_t *model,
                                 const float *const *inputs,
                                 float *const *outputs, void *workspace,
                                 size_t workspace_size,
                                 const spx_rt_run_hooks_t *hooks,
                                 spx_rt_error_t *error) {
  spx_rt_error_clear(error);
  if (!model || !model->device || !model->device->run)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "model is NULL or not initialized");
  return model->device->run(model, inputs, outputs, workspace, workspace_size,
                            hooks, error);
}
