/* emit_report.c - NAME.report.json: per layer the op, shapes, MACs, weight
 * bytes (dense f32 and as stored) and quantization; then totals. Numbers are
 * printed with fixed formats so the file is byte-identical run to run. */
#include "backends/spx_backend.h"


static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void json_tensor(FILE *f, const spx_cs_tensor_t *t) {
  fputs("{\"name\": ", f);
  json_string(f, t->name);
  fprintf(f, ", \"dtype\": \"%s\", \"shape\": [", spx_cs_dtype_name(t->dtype));
  for (int i = 0; i < t->rank; i++) fprintf(f, i ? ", %u" : "%u", t->dims[i]);
  fputc(']', f);
  if (t->dtype == SPX_CS_DTYPE_INT8)
    fprintf(f, ", \"scale\": %.9g, \"zero_point\": %d", (double)t->scale, (int)t->zero_point);
  fputc('}', f);
}

static void write_report(const spx_program_t *p, const spx_backend_memory_t *mem, FILE *f) {
  const spx_cs_image_t *img = &p->image;
  uint64_t macs = 0, params = 0, dense = 0, stored = 0;
  fputs("{\n  \"network\": ", f);
  json_string(f, p->name);
  fputs(",\n  \"source\": ", f);
  json_string(f, p->source);
  if (p->spxc_version) {
    fputs(",\n  \"spxc\": ", f);
    json_string(f, p->spxc_version);
    fputs(",\n  \"options\": ", f);
    json_string(f, p->options ? p->options : "");
  }
  /* The figures of NAME.h (spx_backend_memory): NAME_WORKSPACE_SIZE and
   * its parts. */
  fprintf(f, ",\n  \"target\": \"%s\",\n  \"workspace_bytes\": %zu,\n"
             "  \"activation_bytes\": %zu,\n  \"scratch_bytes\": %zu,\n  \"layers\": [\n",
          p->target, mem->workspace, mem->activations, mem->scratch);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const spx_layer_info_t *info = &p->layers[i];
    fputs("    {\"name\": ", f);
    json_string(f, p->layer_commands[i].name);
    fputs(", \"op\": ", f);
    json_string(f, info->op);
    fprintf(f, ", \"line\": %d", info->line);
    if (info->fused[0]) {
      fputs(", \"fused\": ", f);
      json_string(f, info->fused);
    }
    fputs(",\n     \"inputs\": [", f);
    const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
    for (int k = 0; k < l->n_in; k++) {
      if (k) fputs(", ", f);
      json_tensor(f, &img->tensors[ins[k]]);
    }
    fputs("],\n     \"output\": ", f);
    json_tensor(f, &img->tensors[l->out]);
    if (info->stats_json) fprintf(f, ",\n     \"stats\": %s", info->stats_json);
    if (info->target_json) fprintf(f, ",\n     \"%s\": %s", p->target, info->target_json);
    fprintf(f, ",\n     \"macs\": %llu, \"params\": %llu, \"dense_weight_bytes\": %llu, "
               "\"encoded_weight_bytes\": %llu, \"encoding\": \"%s\"}%s\n",
            (unsigned long long)info->macs, (unsigned long long)info->params,
            (unsigned long long)info->dense_bytes, (unsigned long long)info->weight_bytes,
            l->weights == SPX_CS_NONE ? "none" : spx_cs_encoding_name(img->blobs[l->weights].encoding),
            i + 1 < p->layer_count ? "," : "");
    macs += info->macs;
    params += info->params;
    dense += info->dense_bytes;
    stored += info->weight_bytes;
  }
  fprintf(f, "  ],\n  \"totals\": {\"layers\": %u, \"macs\": %llu, \"params\": %llu, "
             "\"dense_weight_bytes\": %llu, \"encoded_weight_bytes\": %llu, "
             "\"compression\": %.4f}\n",
          p->layer_count, (unsigned long long)macs, (unsigned long long)params,
          (unsigned long long)dense, (unsigned long long)stored,
          stored ? (double)dense / (double)stored : 0.0);
  if (p->target_json) fprintf(f, "  ,\"%s\": %s\n", p->target, p->target_json);
  fputs("}\n", f);
}

int spx_backend_emit_report(const spx_program_t *p, FILE *out) {
  spx_backend_memory_t mem;
  if (spx_backend_memory(p, &mem) != 0) return -1;
  write_report(p, &mem, out);
  return 0;
}
