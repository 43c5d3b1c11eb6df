/* cs_disasm.c - a loaded stream as text, one line per record. Tests check
 * this text, so keep it stable and deterministic. */
#include "runtime/stream/cs_internal.h"

static void ids(cs_buf_t *b, const char *key, const char *prefix,
                const uint16_t *v, unsigned n) {
  cs_buf_printf(b, " %s=", key);
  for (unsigned k = 0; k < n; k++)
    cs_buf_printf(b, "%s%s%u", k ? "," : "", prefix, (unsigned)v[k]);
}

static void blob_ref(cs_buf_t *b, const char *key, uint16_t id) {
  if (id != SPX_CS_NONE) cs_buf_printf(b, " %s=blob%u", key, (unsigned)id);
}

static void format_cpu_layer(cs_buf_t *b, const spx_cs_cpu_layer_t *l) {
  const char *op = spx_cs_cpu_op_name(l->op);
  cs_buf_printf(b, " %s", op ? op : "?");
  uint16_t in[SPX_CS_CPU_MAX_INPUTS] = {l->in0, l->in1, l->in2, l->in3};
  unsigned n = l->n_in <= SPX_CS_CPU_MAX_INPUTS ? l->n_in : SPX_CS_CPU_MAX_INPUTS;
  ids(b, "in", "%", in, n);
  ids(b, "out", "%", &l->out, 1);
  blob_ref(b, "w", l->weights);
  blob_ref(b, "b", l->bias);
  blob_ref(b, "mult", l->mult);
  blob_ref(b, "shift", l->shift);
  if (l->kh || l->kw || l->sh || l->sw) {
    cs_buf_printf(b, " k=%ux%u stride=%ux%u pad=%u,%u,%u,%u", l->kh, l->kw,
                  l->sh, l->sw, l->pad_t, l->pad_l, l->pad_b, l->pad_r);
  }
  if ((l->dh || l->dw) && (l->dh != 1 || l->dw != 1))
    cs_buf_printf(b, " dilation=%ux%u", l->dh, l->dw);
  if (l->groups > 1) cs_buf_printf(b, " groups=%u", l->groups);
  if (l->op == SPX_CS_CPU_OP_CONCAT || l->op == SPX_CS_CPU_OP_SOFTMAX || l->axis)
    cs_buf_printf(b, " axis=%d", l->axis);
  if (l->act != SPX_CS_ACT_NONE) {
    const char *a = spx_cs_act_name(l->act);
    cs_buf_printf(b, " act=%s", a ? a : "?");
  }
}

size_t spx_cs_command_format(const spx_cs_command_t *cmd, char *buf,
                             size_t cap) {
  cs_buf_t b = {buf, cap, 0};
  if (cap) buf[0] = '\0';
  if (!cmd) return 0;
  const spx_cs_opcode_info_t *info = spx_cs_opcode_info(cmd->opcode);
  if (!info) {
    cs_buf_printf(&b, "opcode 0x%02x", (unsigned)cmd->opcode);
  } else {
    cs_buf_printf(&b, "%s", info->name);
    switch (cmd->opcode) {
    case SPX_CS_OP_CPU_LAYER: format_cpu_layer(&b, &cmd->u.cpu_layer); break;
    default: /* any future opcode: every field as name=value */
      for (uint32_t k = 0; k < info->field_count; k++)
        cs_buf_printf(&b, " %s=%lld", info->fields[k].name,
                      (long long)cs_field_get(cmd, &info->fields[k]));
      break;
    }
  }
  cs_buf_printf(&b, " iter=%u", (unsigned)cmd->iterations);
  if (cmd->name && *cmd->name) cs_buf_printf(&b, "  # %s", cmd->name);
  return b.len;
}

typedef struct out {
  spx_cs_write_fn write;
  void *ctx;
  bool failed;
  char line[512];
} out_t;

static void line(out_t *o, const char *fmt, ...) SPX_RT_PRINTF_(2, 3);
static void line(out_t *o, const char *fmt, ...) {
  if (o->failed) return;
  va_list ap;
  va_start(ap, fmt);
  size_t n = spx_rt_vformat(o->line, sizeof o->line - 1, fmt, ap);
  va_end(ap);
  if (n > sizeof o->line - 2) n = sizeof o->line - 2;
  o->line[n++] = '\n';
  if (o->write(o->ctx, o->line, n)) o->failed = true;
}

static void shape(char *buf, size_t cap, const spx_cs_tensor_t *t) {
  cs_buf_t b = {buf, cap, 0};
  cs_buf_printf(&b, "[");
  for (unsigned d = 0; d < t->rank && d < SPX_CS_MAX_RANK; d++)
    cs_buf_printf(&b, "%s%u", d ? "," : "", (unsigned)t->dims[d]);
  cs_buf_printf(&b, "]");
}

spx_rt_status_t spx_cs_stream_disassemble(const spx_cs_stream_t *s,
                                        spx_cs_write_fn write, void *ctx,
                                        spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (!s || !s->data || !write)
    return spx_rt_error_set(status, SPX_RT_ERR_FORMAT,
                             "disassemble: NULL argument or stream not loaded");
  out_t o;
  o.write = write;
  o.ctx = ctx;
  o.failed = false;
  const char *tn = spx_cs_target_name(s->target);
  line(&o, "spxbin version %u.%u target %s mdesc 0x%016llx size %u crc32 0x%08x",
       s->version_major, s->version_minor, tn ? tn : "?",
       (unsigned long long)s->mdesc_hash, (unsigned)s->size,
       (unsigned)s->crc32);
  line(&o, "sections:");
  for (unsigned i = 0; i < SPX_CS_SECTION_COUNT_; i++)
    line(&o, "  %-9s offset %-7u size %u", spx_cs_section_name(i),
         (unsigned)s->sections[i].offset, (unsigned)s->sections[i].size);
  line(&o, "workspace: %u bytes", (unsigned)s->workspace_size);

  line(&o, "tensors: %u", (unsigned)s->tensor_count);
  for (uint32_t i = 0; i < s->tensor_count; i++) {
    spx_cs_tensor_t t;
    spx_cs_stream_tensor(s, i, &t);
    char sh[96], q[64] = "";
    shape(sh, sizeof sh, &t);
    if (t.dtype == SPX_CS_DTYPE_INT8)
      spx_rt_format(q, sizeof q, " scale=%g zp=%d", (double)t.scale,
                    (int)t.zero_point);
    line(&o, "  %%%u \"%s\" %s %s%s ws=[%u, +%u)", (unsigned)i, t.name,
         spx_cs_dtype_name(t.dtype), sh, q, (unsigned)t.ws_offset,
         (unsigned)t.ws_size);
  }
  char list[400];
  cs_buf_t b = {list, sizeof list, 0};
  for (uint32_t i = 0; i < s->input_count; i++)
    cs_buf_printf(&b, "%s%%%u", i ? "," : "", spx_cs_stream_input(s, i));
  line(&o, "inputs: %s", list);
  b.len = 0;
  for (uint32_t i = 0; i < s->output_count; i++)
    cs_buf_printf(&b, "%s%%%u", i ? "," : "", spx_cs_stream_output(s, i));
  line(&o, "outputs: %s", list);

  line(&o, "blobs: %u", (unsigned)s->blob_count);
  for (uint32_t i = 0; i < s->blob_count; i++) {
    spx_cs_blob_t bl;
    spx_cs_stream_blob(s, i, &bl);
    const char *dn = spx_cs_dtype_name(bl.dtype);
    const char *en = spx_cs_encoding_name(bl.encoding);
    line(&o, "  blob%u \"%s\" %s %s offset=%u length=%u crc32=0x%08x",
         (unsigned)i, bl.name, dn ? dn : "?", en ? en : "?",
         (unsigned)bl.offset, (unsigned)bl.length, (unsigned)bl.crc32);
  }

  line(&o, "commands: %u", (unsigned)s->command_count);
  for (uint32_t i = 0; i < s->command_count; i++) {
    spx_cs_command_t c;
    char text[400];
    spx_cs_stream_command(s, i, &c);
    spx_cs_command_format(&c, text, sizeof text);
    line(&o, "  %u: %s", (unsigned)i, text);
  }
  if (o.failed)
    return spx_rt_error_set(status, SPX_RT_ERR_ABORTED,
                             "disassemble: the write callback failed");
  return SPX_RT_OK;
}
