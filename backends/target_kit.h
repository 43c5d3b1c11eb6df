/* target_kit.h - the scaffolding of a PE-array target's lowering (bitserial,
 * lpa, the next one), next to the runtime's target kit
 * (runtime/targets/kit/kit.h). A lowering that turns each cpu.layer command
 * into one command of its own target, for the machine description
 * p->mdesc, does:
 *
 *   spx_tk_lowering_t lw;
 *   spx_tk_lower_begin(&lw, p, arena, "xbar.mdesc", &spx_target_xbar_mdesc);
 *   for (i = 0; i < n; i++) {
 *     spx_tk_layer_t L;
 *     spx_tk_lower_layer(&lw, i, &L);  // L.dst: a copy of the cpu.layer
 *     ... set L.dst->opcode and its own fields, lw.mdesc_id in its mdesc
 *     field; report JSON with spx_tk_json_designs ...
 *   }
 *   if (errors) return -1;              // p->image untouched
 *   ... p->target_json from spx_tk_json_machine ...
 *   spx_tk_lower_end(&lw, SPX_CS_TARGET_XBAR);
 *
 * Which layer runs where, the cost model, the report's figures and the
 * diagnostics stay with the target. */
#ifndef SPX_BACKENDS_TARGET_KIT_H
#define SPX_BACKENDS_TARGET_KIT_H

#include "backends/spx_backend.h"
#include "runtime/targets/kit/kit.h"

typedef struct spx_tk_lowering {
  spx_program_t *p;
  spx_arena_t *arena;
  const spx_mdesc_table_t *mdesc_table;
  spx_cs_command_t *cmds; /* the new commands, one per layer (arena) */
  spx_cs_blob_t *blobs;   /* the program's blobs, then the mdesc blob */
  uint16_t mdesc_id;      /* the mdesc blob's id */
} spx_tk_lowering_t;

/* Starts a lowering of p: the machine-description blob `mdesc_name` (p->mdesc
 * encoded by spx_tk_mdesc_encode with table t) after the program's blobs,
 * room for the new commands. Nothing of p changes until spx_tk_lower_end. */
void spx_tk_lower_begin(spx_tk_lowering_t *lw, spx_program_t *p, spx_arena_t *arena,
                        const char *mdesc_name, const spx_mdesc_table_t *t);

/* Layer i of the program as a lowering sees it. */
typedef struct spx_tk_layer {
  const spx_cs_command_t *src;  /* its cpu.layer command */
  const spx_cs_cpu_layer_t *l;  /* src's layer */
  spx_cs_command_t *dst;        /* the new command i: zeroed, then name,
                                   iterations 1 and the cpu.layer members
                                   (the target's opcodes begin with them);
                                   the opcode is the target's to set */
  const spx_cs_tensor_t *t[5];  /* in0..in3 (an empty record past n_in), out */
  spx_loc_t loc;                /* the layer's statement */
} spx_tk_layer_t;
void spx_tk_lower_layer(spx_tk_lowering_t *lw, uint32_t i, spx_tk_layer_t *L);

/* Ends the lowering: the program's image takes the new commands and the
 * mdesc blob, its target id and the blob's hash (spx_tk_mdesc_hash). */
void spx_tk_lower_end(spx_tk_lowering_t *lw, uint16_t target);

/* Report JSON, appended to *s: "KEY": {"NAME(0)": v[0], ..} over `count`
 * designs. */
void spx_tk_json_designs(spx_arena_t *arena, char **s, const char *key, const uint64_t v[],
                         unsigned count, const char *(*name)(unsigned design));
/* "{\"machine\": {\"MEMBER\": V, ..}" of the machine description p->mdesc
 * (the caller goes on with ", ..." and closes the object). */
char *spx_tk_json_machine(const spx_tk_lowering_t *lw);

#endif /* SPX_BACKENDS_TARGET_KIT_H */
