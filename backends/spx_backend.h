/* spx_backend.h - from the planned spx module to what a product ships.
 *
 * spx_backend_program_build() lowers the module, after the pass pipeline
 * (quantized, memory-planned), to a program: the command-stream image of
 * runtime/stream (tensors with their workspace places, weight blobs,
 * commands) plus, per command, what the C emitter and the report need (source
 * line, MACs, weight bytes). The three emitters read only the program:
 *   spx_backend_emit_spxbin  NAME.spxbin  (the runtime's container)
 *   spx_backend_emit_c       NAME.h, NAME.c (portable C99 over libspxrt)
 *   spx_backend_emit_report  NAME.report.json
 * They write to streams the caller opened; spxc writes every output file
 * under a temporary name and renames them all only when all succeeded.
 */
#ifndef SPX_BACKEND_H
#define SPX_BACKEND_H

#include "ir/spx_ir.h"
#include "runtime/stream/spx_stream.h"
#include "support/spx_support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the program knows of each command beyond the stream record. */
typedef struct spx_layer_info {
  const char *op;       /* spx op name without "spx.", e.g. "conv2d" */
  const char *fused;    /* names folded or fused into it ("" if none) */
  int line;             /* source line in the .spx file (0 if none) */
  uint64_t macs;        /* multiply-accumulates (conv2d, dense) */
  uint64_t params;      /* weight elements (conv2d, dense) */
  uint64_t dense_bytes; /* the weights as f32 */
  uint64_t weight_bytes; /* the weights as stored (plus bias, requant) */
  const char *stats_json; /* what passes recorded (spx.stats) as a JSON
                             object, or NULL */
  const char *target_json; /* what the target lowering adds, or NULL */
} spx_layer_info_t;

/* One option of the target statement: target aie(rows=2, cols=2). */
typedef struct spx_backend_option {
  const char *key;
  const char *str; /* string value, or NULL for a number */
  double num;
} spx_backend_option_t;

typedef struct spx_program {
  const char *name;    /* network name: C symbol prefix and file names */
  const char *source;  /* .spx file name (base name) */
  const char *target;  /* "cpu", "aie", ...: a line of runtime/spx_targets.h */
  const char **input_names;  /* [image.input_count]: the network's inputs */
  const char **output_names; /* [image.output_count]: its outputs */
  int n_target_options;
  const spx_backend_option_t *target_options;
  /* Where each option is written ([n_target_options]), for errors about
   * one option; NULL: at target_loc (the module keeps no option places). */
  const spx_loc_t *target_option_locs;
  spx_cs_image_t image;
  /* One cpu.layer command per layer, in execution order: what the layers
   * are, whatever the target's stream made of them (for the cpu target the
   * same as image.commands). The emitters describe layers from these. */
  uint32_t layer_count;
  const spx_cs_command_t *layer_commands;
  spx_layer_info_t *layers; /* [layer_count] */
  const char *target_json;  /* program-wide figures of the target, or NULL */
  /* Where lowerings and emitters report: program-wide errors go to `loc`,
   * the .spx file (line 0: the module does not keep the target
   * statement's place), layer errors to the layer's source location. */
  spx_diag_t *diag;
  spx_loc_t loc;
  /* Where the target was named (the target statement), for errors about
   * the target and its options; `loc` when it was not written in the file
   * (the default cpu, or --target alone). */
  spx_loc_t target_loc;
  /* The target's machine description: one value per field of its mdesc
   * table (runtime/spx_targets.h), in table order, read from the target
   * options and checked before the target's lowering runs. */
  const int64_t *mdesc;
  spx_loc_t name_loc; /* where the network is named (the module's
                         location); errors about its C names go there */
  /* Provenance, written into NAME.h, NAME.c and the report (set by the
   * driver; NULL: not stated): the compiler's version, and the options
   * given on its command line that shape the outputs, verbatim ("" for
   * none: the file's compile block alone). No paths of the machine, no
   * time, so outputs stay byte-identical. */
  const char *spxc_version;
  const char *options;
  /* The stream as spx_backend_stream_prepare made it the first time (bytes
   * NULL before): the C, .spxbin and report emitters share one encoding,
   * checksum and device check. spx_backend_program_release frees it. */
  struct spx_backend_stream *prepared;
} spx_program_t;

/* Frees what the emitters cached in p (the prepared stream). */
void spx_backend_program_release(spx_program_t *p);

/* The targets of the registry (runtime/spx_targets.h). A target whose line
 * says lowered = 1 has, in backends/<name>/:
 *   spx_target_<name>_lower  returns 0, or -1 after reporting errors to
 *       diag; it may replace p->image's commands (not layer_commands) and
 *       fill target_json.
 * Its options are its machine description (the registry's mdesc table):
 * spx_backend_read_mdesc reads and checks them into p->mdesc before the
 * lowering runs. */
#define SPX_BK_LOWER_0(nm)
#define SPX_BK_LOWER_1(nm)                                                    \
  int spx_target_##nm##_lower(spx_program_t *p, spx_arena_t *arena,           \
                              spx_diag_t *diag);
#define SPX_BK_X_(E, nm, id, lo, hi, low, ...) SPX_BK_LOWER_##low(nm)
SPX_TARGETS(SPX_BK_X_)
#undef SPX_BK_X_

/* A target as the compiler sees it: its registry entry and its lowering. */
typedef struct spx_backend_target {
  const spx_target_desc_t *desc;
  int (*lower)(spx_program_t *p, spx_arena_t *arena, spx_diag_t *diag);
} spx_backend_target_t;

/* The target called `name`, or NULL. */
const spx_backend_target_t *spx_backend_target_find(const char *name);
/* "cpu, aie, bitserial": every target's name, for help and messages. */
const char *spx_backend_target_names(void);
/* The format x target matrix and each target's options, as text. */
void spx_backend_targets_list(FILE *out);

/* The program's target options as its target's machine description:
 * values[i] (one per field of the target's mdesc table, in table order) is
 * the option's value or the field's default. An unknown option (with a
 * "did you mean"), a value that is not an integer, or one out of range is a
 * located error. Returns 0, or -1 after reporting. */
int spx_backend_read_mdesc(const spx_program_t *p, int64_t *values, spx_diag_t *diag);
/* Warns, at the option, about each option the program gives that has no
 * effect with the values read (e.g. xbar's IR-drop and ADC options in its
 * ideal mode, mode=0). spxc calls it once, when it checks the target. */
void spx_backend_warn_idle_options(const spx_program_t *p, const int64_t *values,
                                   spx_diag_t *diag);

/* An option of the target statement, or NULL. */
const spx_backend_option_t *spx_backend_target_option(const spx_program_t *p,
                                                      const char *key);

/* Builds the program and lowers it to the module's target (spx.target);
 * all memory lives in `arena`, blob data points into the weight store.
 * Returns 0, or -1 after reporting errors to `diag`. */
int spx_backend_program_build(MlirModule module, spx_wstore_t *store,
                              spx_arena_t *arena, spx_diag_t *diag,
                              spx_program_t **out_program);

/* The program's stream, encoded, loaded and prepared for the target's
 * default device exactly as a product will, so the workspace size is the
 * device's own figure and a stream the device refuses is caught in spxc:
 * nothing is written. */
typedef struct spx_backend_stream {
  uint8_t *bytes; /* 64-byte aligned, size bytes */
  size_t size;
  spx_cs_stream_t view;
  size_t workspace;
  int borrowed; /* bytes belong to the program's cache (p->prepared) */
} spx_backend_stream_t;

/* Returns 0, or -1 after reporting to p->diag; release *out either way. */
int spx_backend_stream_prepare(const spx_program_t *p, spx_backend_stream_t *out);
void spx_backend_stream_release(spx_backend_stream_t *s);

/* The memory a run of the network needs, as NAME.h states it and
 * NAME.report.json repeats it: workspace = NAME_WORKSPACE_SIZE, the bytes
 * STEM_run asks for; activations = the static memory plan, rounded up to
 * 16; scratch = kernel scratch after it (cpu; 0 for other targets, whose
 * workspace is what their device asks for). Returns 0, or -1 after
 * reporting to p->diag. */
typedef struct spx_backend_memory {
  size_t workspace, activations, scratch;
} spx_backend_memory_t;
int spx_backend_memory(const spx_program_t *p, spx_backend_memory_t *out);

/* Each returns 0, or -1 after reporting an internal error to p->diag. */
int spx_backend_emit_spxbin(const spx_program_t *p, FILE *out);
int spx_backend_emit_report(const spx_program_t *p, FILE *out);

/* NAME.h and NAME.c. Every external symbol and macro starts with
 * c_prefix (NULL: none) followed by the network's name; the rules that
 * turn names into C identifiers are in docs/generated-c.md. Returns 0, or
 * -1 after reporting to p->diag, at the network's name, why its name gives
 * no usable C symbols (before writing anything). weights_bin and
 * weights_asm NULL: the weights are arrays in NAME.c (spxc --weights=c);
 * else (--weights=blob, cpu target only) NAME.weights.bin and
 * NAME.weights.S, which NAME.c references (docs/generated-c.md). */
int spx_backend_emit_c(const spx_program_t *p, const char *c_prefix, FILE *header,
                       FILE *source, FILE *weights_bin, FILE *weights_asm);
/* NULL when `prefix` may start the C symbols of a network (spxc
 * --c-prefix), else why not, as a phrase ("is not a C identifier"). */
const char *spx_backend_c_prefix_problem(const char *prefix);

#ifdef __cplusplus
}
#endif

#endif /* SPX_BACKEND_H */
