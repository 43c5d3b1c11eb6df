/* target_kit.c - the scaffolding of a PE-array target's lowering
 * (target_kit.h). */
#include "backends/target_kit.h"

#include <string.h>

void spx_tk_lower_begin(spx_tk_lowering_t *lw, spx_program_t *p, spx_arena_t *arena,
                        const char *mdesc_name, const spx_mdesc_table_t *t) {
  spx_cs_image_t *img = &p->image;
  uint32_t bytes = SPX_TK_MDESC_BYTES(t->count);
  uint8_t *mbytes = spx_arena_alloc(arena, bytes);
  lw->p = p;
  lw->arena = arena;
  lw->mdesc_table = t;
  spx_tk_mdesc_encode(t, p->mdesc, mbytes);
  lw->blobs = spx_arena_alloc(arena, (img->blob_count + 1) * sizeof *lw->blobs);
  if (img->blob_count) memcpy(lw->blobs, img->blobs, img->blob_count * sizeof *lw->blobs);
  lw->mdesc_id = (uint16_t)img->blob_count;
  lw->blobs[lw->mdesc_id] = (spx_cs_blob_t){.name = mdesc_name, .dtype = SPX_CS_DTYPE_INT32,
                                            .encoding = SPX_CS_ENC_DENSE, .length = bytes,
                                            .data = mbytes};
  lw->cmds = spx_arena_alloc(arena, (img->command_count + 1) * sizeof *lw->cmds);
}

void spx_tk_lower_layer(spx_tk_lowering_t *lw, uint32_t i, spx_tk_layer_t *L) {
  static const spx_cs_tensor_t none;
  const spx_cs_image_t *img = &lw->p->image;
  const spx_cs_cpu_layer_t *l = &img->commands[i].u.cpu_layer;
  const uint16_t ins[4] = {l->in0, l->in1, l->in2, l->in3};
  L->src = &img->commands[i];
  L->l = l;
  L->dst = &lw->cmds[i];
  for (int k = 0; k < 4; k++) L->t[k] = k < l->n_in ? &img->tensors[ins[k]] : &none;
  L->t[4] = &img->tensors[l->out];
  memset(L->dst, 0, sizeof *L->dst);
  L->dst->iterations = 1;
  L->dst->name = L->src->name;
  memcpy(&L->dst->u, &L->src->u.cpu_layer, sizeof L->src->u.cpu_layer);
  L->loc = (spx_loc_t){lw->p->loc.file, lw->p->layers[i].line, 0};
}

void spx_tk_lower_end(spx_tk_lowering_t *lw, uint16_t target) {
  spx_cs_image_t *img = &lw->p->image;
  img->commands = lw->cmds;
  img->blobs = lw->blobs;
  img->blob_count++;
  img->target = target;
  img->mdesc_hash = spx_tk_mdesc_hash(lw->mdesc_table, lw->p->mdesc);
}

void spx_tk_json_designs(spx_arena_t *arena, char **s, const char *key, const uint64_t v[],
                         unsigned count, const char *(*name)(unsigned design)) {
  *s = spx_arena_printf(arena, "%s\"%s\": {", *s, key);
  for (unsigned d = 0; d < count; d++)
    *s = spx_arena_printf(arena, "%s%s\"%s\": %llu", *s, d ? ", " : "", name(d),
                          (unsigned long long)v[d]);
  *s = spx_arena_printf(arena, "%s}", *s);
}

char *spx_tk_json_machine(const spx_tk_lowering_t *lw) {
  const spx_mdesc_table_t *t = lw->mdesc_table;
  char *s = spx_arena_printf(lw->arena, "{\"machine\": {");
  for (unsigned k = 0; k < t->count; k++)
    s = spx_arena_printf(lw->arena, "%s%s\"%s\": %d", s, k ? ", " : "", t->fields[k].member,
                         (int)(int32_t)lw->p->mdesc[k]);
  return s;
}
