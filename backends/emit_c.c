/* emit_c.c - NAME.h and NAME.c: portable C99 that runs the program through
 * libspxrt with a static memory plan.
 *
 * The .c file holds, per layer and in execution order, its weights as
 * aligned static const arrays (exact: integers in hex, floats as C99 hex
 * floats), its output tensor and its spx_rt_layer_t descriptor, each under a
 * comment naming the layer's line in the .spx file; then NAME_run, which
 * copies the inputs into the workspace, runs every layer with
 * spx_rt_layer_run (the same dispatcher the cpu device uses, so both give
 * identical bits) and copies the outputs out. No allocation, no globals that
 * change.
 *
 * For an accelerator target (aie, bitserial) the .c file embeds the .spxbin
 * instead and NAME_run runs it on the runtime's device for that target (its
 * simulator): the same stream spx-run executes, so again identical bits. */
#include "backends/spx_backend.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/device/spx_device.h"

typedef struct cgen {
  const spx_program_t *p;
  spx_arena_t *arena;
  const char **tensor_sym; /* per tensor */
  const char **blob_sym;   /* per blob */
} cgen_t;

/* A C identifier from a layer or buffer name: [A-Za-z0-9_], not starting
 * with a digit. */
static char *ident(spx_arena_t *arena, const char *prefix, const char *name) {
  char *s = spx_arena_printf(arena, "%s%s", prefix, name);
  for (char *c = s; *c; c++)
    if (!isalnum((unsigned char)*c)) *c = '_';
  return s;
}

static char *upper(spx_arena_t *arena, const char *name) {
  char *s = ident(arena, "", name);
  for (char *c = s; *c; c++) *c = (char)toupper((unsigned char)*c);
  return s;
}

static const char *c_type(uint8_t dtype) {
  switch (dtype) {
  case SPX_CS_DTYPE_F32: return "float";
  case SPX_CS_DTYPE_INT8: return "int8_t";
  case SPX_CS_DTYPE_INT32: return "int32_t";
  default: return "uint8_t";
  }
}

static void print_float(FILE *f, float v) {
  if (v == 0) fputs("0.0f", f);
  else fprintf(f, "%af", (double)v);
}

static void emit_array(FILE *f, const char *sym, const spx_cs_blob_t *b) {
  unsigned size = spx_cs_dtype_size(b->dtype);
  uint32_t n = b->length / size;
  fprintf(f, "/* %s: %s[%u] */\nstatic const %s %s[%u] SPX_ALIGNED = {", b->name,
          spx_cs_dtype_name(b->dtype), n, c_type(b->dtype), sym, n ? n : 1);
  int per_line = b->dtype == SPX_CS_DTYPE_F32 ? 4 : b->dtype == SPX_CS_DTYPE_INT32 ? 6 : 16;
  for (uint32_t i = 0; i < n; i++) {
    fputs(i % (uint32_t)per_line ? " " : "\n  ", f);
    if (b->dtype == SPX_CS_DTYPE_F32) {
      float v;
      memcpy(&v, b->data + 4 * i, 4);
      print_float(f, v);
    } else if (b->dtype == SPX_CS_DTYPE_INT32) {
      int32_t v;
      memcpy(&v, b->data + 4 * i, 4);
      if (v == INT32_MIN) fputs("(-0x7fffffff - 1)", f);
      else fprintf(f, "%s0x%08lx", v < 0 ? "-" : "", (unsigned long)(v < 0 ? -(int64_t)v : v));
    } else if (b->dtype == SPX_CS_DTYPE_INT8) {
      int v = (int8_t)b->data[i];
      fprintf(f, "%s0x%02x", v < 0 ? "-" : " ", (unsigned)(v < 0 ? -v : v));
    } else {
      fprintf(f, "0x%02x", b->data[i]);
    }
    if (i + 1 < n) fputc(',', f);
  }
  fputs(n ? "\n};\n" : "0};\n", f);
}

static void emit_tensor(FILE *f, const char *sym, const spx_cs_tensor_t *t) {
  fprintf(f, "static const spx_rt_tensor_t %s = {%u, %u, {", sym, t->dtype, t->rank);
  for (int i = 0; i < 6; i++) fprintf(f, i ? ", %u" : "%u", i < t->rank ? t->dims[i] : 0);
  fputs("}, ", f);
  print_float(f, t->scale);
  fprintf(f, ", %d, %u};\n", (int)t->zero_point, t->ws_offset);
}

static const char *blob_ref(const cgen_t *g, uint16_t id) {
  return id == SPX_CS_NONE ? "0" : g->blob_sym[id];
}

static void emit_layer(const cgen_t *g, FILE *f, uint32_t i, const char *sym) {
  const spx_cs_command_t *cmd = &g->p->layer_commands[i];
  const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
  fprintf(f, "static const spx_rt_layer_t %s = {\n  %u, %u, %u, %d,\n  {", sym, l->op, l->act,
          l->n_in, l->axis);
  for (int k = 0; k < 4; k++)
    fprintf(f, "%s%s%s", k ? ", " : "", k < l->n_in ? "&" : "", k < l->n_in ? g->tensor_sym[ins[k]] : "0");
  fprintf(f, "}, &%s,\n  %s, %s, %s, %s,\n", g->tensor_sym[l->out], blob_ref(g, l->weights),
          blob_ref(g, l->bias), blob_ref(g, l->mult), blob_ref(g, l->shift));
  uint16_t enc = l->weights == SPX_CS_NONE ? 0 : g->p->image.blobs[l->weights].encoding;
  uint32_t wsize = l->weights == SPX_CS_NONE ? 0 : g->p->image.blobs[l->weights].length;
  uint32_t nmult = l->mult == SPX_CS_NONE ? 0 : g->p->image.blobs[l->mult].length / 4;
  fprintf(f, "  %u, {%u, %u}, {%u, %u}, {%u, %u}, {%u, %u, %u, %u}, %u, %u, %u};\n", l->groups,
          l->kh, l->kw, l->sh, l->sw, l->dh, l->dw, l->pad_t, l->pad_l, l->pad_b, l->pad_r, enc,
          wsize, nmult);
}

static size_t tensor_elements(const spx_cs_tensor_t *t) {
  size_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

/* Scratch of the largest layer, asked of the runtime itself. */
static size_t max_scratch(const spx_program_t *p) {
  size_t max = 0;
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
    const spx_cs_tensor_t *records[5] = {0};
    for (int k = 0; k < l->n_in; k++) records[k] = &p->image.tensors[ins[k]];
    records[4] = &p->image.tensors[l->out];
    const uint16_t ids[4] = {l->weights, l->bias, l->mult, l->shift};
    const spx_cs_blob_t *blobs[4] = {0};
    for (int k = 0; k < 4; k++)
      if (ids[k] != SPX_CS_NONE) blobs[k] = &p->image.blobs[ids[k]];
    spx_rt_layer_t layer;
    spx_rt_tensor_t store[5];
    spx_rt_layer_init(&layer, store, l, records, blobs);
    size_t s = spx_rt_layer_scratch_size(&layer);
    if (s > max) max = s;
  }
  return (max + 15) / 16 * 16;
}

/* The parameters of NAME_run: inputs, then outputs, named after the
 * network's input and output layers. */
static void emit_params(const cgen_t *g, FILE *f) {
  for (uint32_t k = 0; k < g->p->image.input_count; k++)
    fprintf(f, "const float *%s, ", ident(g->arena, "", g->p->input_names[k]));
  for (uint32_t k = 0; k < g->p->image.output_count; k++)
    fprintf(f, "float *%s, ", ident(g->arena, "out_", g->p->output_names[k]));
}

static void emit_header(const cgen_t *g, FILE *f, const char *guard, size_t ws, size_t scratch,
                        bool embedded) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  fprintf(f, "/* %s.h - generated by spxc from %s (network %s, target %s).\n"
             " * Do not edit: regenerate with spxc. */\n",
          p->name, p->source, p->name, p->target);
  fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n", guard, guard);
  fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
  if (embedded)
    fprintf(f, "/* Bytes of workspace %s_run needs (what the %s device asks for).\n"
               " * The workspace must be 16-byte aligned. */\n#define %s_WORKSPACE_SIZE %zuu\n\n",
            p->name, p->target, guard, ws);
  else
    fprintf(f, "/* Bytes of workspace %s_run needs: the static memory plan (%zu) plus\n"
               " * kernel scratch (%zu). The workspace must be 16-byte aligned. */\n"
               "#define %s_WORKSPACE_SIZE %zuu\n\n",
            p->name, ws, scratch, guard, ws + scratch);
  for (int io = 0; io < 2; io++) {
    uint32_t n = io ? img->output_count : img->input_count;
    for (uint32_t k = 0; k < n; k++) {
      const spx_cs_tensor_t *t = &img->tensors[io ? img->outputs[k] : img->inputs[k]];
      const char *name = io ? p->output_names[k] : p->input_names[k];
      char *u = upper(g->arena, name);
      fprintf(f, "/* %s %u, \"%s\": f32 [", io ? "Output" : "Input", k, name);
      for (int d = 0; d < t->rank; d++) fprintf(f, d ? ", %u" : "%u", t->dims[d]);
      fprintf(f, "] */\n#define %s_%s_%s_SIZE %zuu\n", guard, io ? "OUTPUT" : "INPUT", u,
              tensor_elements(t));
      for (int d = 0; d < t->rank; d++)
        fprintf(f, "#define %s_%s_%s_DIM%d %uu\n", guard, io ? "OUTPUT" : "INPUT", u, d, t->dims[d]);
    }
  }
  /* Quantization at the int8 boundaries: the quantize of each input and the
   * dequantize of each output. */
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_cpu_layer_t *l = &p->layer_commands[i].u.cpu_layer;
    const spx_cs_tensor_t *t = NULL;
    if (l->op == SPX_CS_CPU_OP_QUANTIZE) t = &img->tensors[l->out];
    if (l->op == SPX_CS_CPU_OP_DEQUANTIZE) t = &img->tensors[l->in0];
    if (!t) continue;
    char *u = upper(g->arena, p->layer_commands[i].name);
    fprintf(f, "\n/* int8 quantization at %s: real = scale * (q - zero_point) */\n", p->layer_commands[i].name);
    fprintf(f, "#define %s_%s_SCALE %.9gf\n#define %s_%s_ZERO_POINT (%d)\n", guard, u,
            (double)t->scale, guard, u, (int)t->zero_point);
  }
  fprintf(f, "\n/* The workspace size, as %s_WORKSPACE_SIZE. */\nsize_t %s_workspace_size(void);\n",
          guard, p->name);
  fprintf(f, "\n/* Runs the network: inputs and outputs are f32 in the shapes above;\n"
             " * workspace is %s_workspace_size() bytes, 16-byte aligned, owned by\n"
             " * the caller. Returns 0, or a negative spx_rt_status_t. */\nint %s_run(",
          p->name, p->name);
  emit_params(g, f);
  fprintf(f, "void *workspace);\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_H */\n", guard);
}

static void emit_source(const cgen_t *g, FILE *f, const char *guard, size_t ws, size_t scratch) {
  const spx_program_t *p = g->p;
  const spx_cs_image_t *img = &p->image;
  fprintf(f, "/* %s.c - generated by spxc from %s (network %s, target %s).\n"
             " * Do not edit: regenerate with spxc. Links libspxrt only. */\n",
          p->name, p->source, p->name, p->target);
  fprintf(f, "#include \"%s.h\"\n\n#include <stdint.h>\n#include <string.h>\n\n"
             "#include \"runtime/device/spx_device.h\"\n\n"
             "#if defined(__GNUC__)\n#define SPX_ALIGNED __attribute__((aligned(16)))\n"
             "#else\n#define SPX_ALIGNED\n#endif\n\n",
          p->name);
  fputs("/* Inputs. */\n", f);
  for (uint32_t k = 0; k < img->input_count; k++)
    emit_tensor(f, g->tensor_sym[img->inputs[k]], &img->tensors[img->inputs[k]]);
  char *emitted = spx_arena_alloc(g->arena, img->blob_count + 1);
  for (uint32_t i = 0; i < p->layer_count; i++) {
    const spx_cs_command_t *cmd = &p->layer_commands[i];
    const spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
    const spx_layer_info_t *info = &p->layers[i];
    fprintf(f, "\n/* ---- %s: %s, %s:%d", cmd->name, info->op, p->source, info->line);
    if (info->fused[0]) fprintf(f, " (with %s)", info->fused);
    fputs(" ---- */\n", f);
    const uint16_t blobs[4] = {l->weights, l->bias, l->mult, l->shift};
    for (int k = 0; k < 4; k++)
      if (blobs[k] != SPX_CS_NONE && !emitted[blobs[k]]) {
        emit_array(f, g->blob_sym[blobs[k]], &img->blobs[blobs[k]]);
        emitted[blobs[k]] = 1;
      }
    emit_tensor(f, g->tensor_sym[l->out], &img->tensors[l->out]);
    emit_layer(g, f, i, ident(g->arena, "layer_", cmd->name));
  }
  fputs("\nstatic const spx_rt_layer_t *const layers[] = {", f);
  for (uint32_t i = 0; i < p->layer_count; i++)
    fprintf(f, "%s&%s", i == 0 ? "\n  " : i % 4 ? ", " : ",\n  ",
            ident(g->arena, "layer_", p->layer_commands[i].name));
  fputs("\n};\n\n", f);
  fprintf(f, "size_t %s_workspace_size(void) { return %s_WORKSPACE_SIZE; }\n\nint %s_run(", p->name,
          guard, p->name);
  emit_params(g, f);
  fputs("void *workspace) {\n  uint8_t *ws = (uint8_t *)workspace;\n  size_t i;\n", f);
  for (uint32_t k = 0; k < img->input_count; k++) {
    const spx_cs_tensor_t *t = &img->tensors[img->inputs[k]];
    fprintf(f, "  memcpy(ws + %u, %s, %zu);\n", t->ws_offset, ident(g->arena, "", p->input_names[k]),
            tensor_elements(t) * 4);
  }
  fprintf(f, "  for (i = 0; i < sizeof layers / sizeof layers[0]; i++) {\n"
             "    spx_rt_status_t st = spx_rt_layer_run(layers[i], ws, ws + %zu, %zu);\n"
             "    if (st != SPX_RT_OK) return (int)st;\n  }\n",
          ws, scratch);
  for (uint32_t k = 0; k < img->output_count; k++) {
    const spx_cs_tensor_t *t = &img->tensors[img->outputs[k]];
    fprintf(f, "  memcpy(%s, ws + %u, %zu);\n", ident(g->arena, "out_", p->output_names[k]),
            t->ws_offset, tensor_elements(t) * 4);
  }
  fputs("  return 0;\n}\n", f);
}

/* ---- accelerator targets: the stream embedded, run by the target's device */

static void emit_embedded_source(const cgen_t *g, FILE *f, const char *guard, const spx_backend_stream_t *e) {
  const spx_program_t *p = g->p;
  const spx_cs_stream_t *v = &e->view;
  fprintf(f, "/* %s.c - generated by spxc from %s (network %s, target %s).\n"
             " * Do not edit: regenerate with spxc. Links libspxrt only: the command\n"
             " * stream below runs on the runtime's %s device (its simulator). */\n",
          p->name, p->source, p->name, p->target, p->target);
  fprintf(f, "#include \"%s.h\"\n\n#include <stdint.h>\n\n"
             "#include \"runtime/device/spx_device.h\"\n\n"
             "#if defined(__GNUC__)\n#define SPX_ALIGNED __attribute__((aligned(64)))\n"
             "#else\n#define SPX_ALIGNED\n#endif\n\n",
          p->name);
  fputs("/* The .spxbin of this network (spx-objdump prints it as text). Layers:\n", f);
  for (uint32_t i = 0; i < p->layer_count; i++)
    if (p->layers[i].line)
      fprintf(f, " *   %-20s %-14s %s:%d\n", p->layer_commands[i].name, p->layers[i].op, p->source,
              p->layers[i].line);
  fprintf(f, " */\nstatic const uint8_t stream_bytes[%zu] SPX_ALIGNED = {", e->size);
  for (size_t i = 0; i < e->size; i++)
    fprintf(f, "%s0x%02x%s", i % 16 ? " " : "\n  ", e->bytes[i], i + 1 < e->size ? "," : "");
  fputs("\n};\n\n", f);
  fputs("/* The stream as spx_cs_stream_load validated it when spxc wrote this file. */\n", f);
  fprintf(f, "static const spx_cs_stream_t stream = {\n  stream_bytes, %uu, %u, %u, %u, 0x%016llxull, 0x%08xu,\n  {",
          v->size, v->version_major, v->version_minor, v->target, (unsigned long long)v->mdesc_hash,
          v->crc32);
  for (int i = 0; i < SPX_CS_SECTION_MAX; i++)
    fprintf(f, "%s{%uu, %uu}", i ? ", " : "", v->sections[i].offset, v->sections[i].size);
  fprintf(f, "},\n  %uu, %uu, %uu, %uu, %uu, %uu};\n\n", v->workspace_size, v->tensor_count,
          v->input_count, v->output_count, v->blob_count, v->command_count);
  fprintf(f, "size_t %s_workspace_size(void) { return %s_WORKSPACE_SIZE; }\n\nint %s_run(", p->name,
          guard, p->name);
  emit_params(g, f);
  fputs("void *workspace) {\n", f);
  fputs("  const float *inputs[] = {", f);
  for (uint32_t k = 0; k < p->image.input_count; k++)
    fprintf(f, "%s%s", k ? ", " : "", ident(g->arena, "", p->input_names[k]));
  fputs("};\n  float *outputs[] = {", f);
  for (uint32_t k = 0; k < p->image.output_count; k++)
    fprintf(f, "%s%s", k ? ", " : "", ident(g->arena, "out_", p->output_names[k]));
  fprintf(f, "};\n  spx_rt_model_t model;\n  spx_rt_status_t st = spx_rt_model_initialize(\n"
             "      spx_rt_device_for_target(0, %u), &stream, &model, 0);\n"
             "  if (st != SPX_RT_OK) return (int)st;\n"
             "  return (int)spx_rt_model_run(&model, inputs, outputs, workspace,\n"
             "                               %s_WORKSPACE_SIZE, 0, 0);\n}\n",
          p->image.target, guard);
}

static bool symbol_taken(const char **syms, uint32_t n, const char *sym) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(syms[i], sym) == 0) return true;
  return false;
}

int spx_backend_emit_c(const spx_program_t *p, FILE *header, FILE *source) {
  spx_arena_t *arena = spx_arena_create();
  cgen_t g = {.p = p, .arena = arena};
  const spx_cs_image_t *img = &p->image;
  g.tensor_sym = spx_arena_alloc(arena, (img->tensor_count + 1) * sizeof *g.tensor_sym);
  g.blob_sym = spx_arena_alloc(arena, (img->blob_count + 1) * sizeof *g.blob_sym);
  for (uint32_t i = 0; i < img->tensor_count; i++) {
    /* Tensor names need not be unique (an output and its producer); symbols must. */
    const char *sym = ident(arena, "tensor_", img->tensors[i].name);
    for (int n = 2; symbol_taken(g.tensor_sym, i, sym); n++)
      sym = spx_arena_printf(arena, "%s_%d", ident(arena, "tensor_", img->tensors[i].name), n);
    g.tensor_sym[i] = sym;
  }
  for (uint32_t i = 0; i < img->blob_count; i++) g.blob_sym[i] = ident(arena, "", img->blobs[i].name);
  size_t ws = (img->workspace_size + 15) / 16 * 16;
  size_t scratch = img->target == SPX_CS_TARGET_CPU ? max_scratch(p) : 0;
  char *guard = upper(arena, p->name);
  int rc = 0;
  if (img->target == SPX_CS_TARGET_CPU) {
    emit_header(&g, header, guard, ws, scratch, false);
    emit_source(&g, source, guard, ws, scratch);
  } else {
    spx_backend_stream_t e;
    rc = spx_backend_stream_prepare(p, &e);
    if (rc == 0) {
      emit_header(&g, header, guard, e.workspace, 0, true);
      emit_embedded_source(&g, source, guard, &e);
    }
    spx_backend_stream_release(&e);
  }
  spx_arena_destroy(arena);
  return rc;
}
