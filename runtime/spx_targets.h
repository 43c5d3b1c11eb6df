/* spx_targets.h - the target registry: every target, one line each.
 *
 * Everything that names targets comes from SPX_TARGETS: the stream's target
 * ids and opcode ranges (runtime/stream, SPX_CS_TARGETS), the device table
 * (runtime/device, default device per target), the compiler's lowering
 * dispatch (backends, spx_target_<name>_lower), the target names of `spxc
 * --help`, `spxc --list-targets` and error messages, and the format x target
 * matrix below. Adding a target is its folder(s) plus one line here.
 *
 * X(ENUM, name, id, first opcode, last opcode, lowered, device, summary,
 *   FORMATS)
 *   ENUM, id     the stream header's target id, SPX_CS_TARGET_<ENUM> = id;
 *                fixed once streams exist
 *   name         the name in `target NAME(...)`, --target and messages
 *   first, last  the target's opcode range (a stream uses only its own)
 *   lowered      1: backends/<name>/ has spx_target_<name>_lower, which
 *                turns the program's cpu.layer commands into the target's
 *                stream; 0: the cpu.layer commands are final
 *   device       the target's default device: the cpu device for cpu, the
 *                target's simulator otherwise (its name as a C object)
 *   summary      one line for --help and --list-targets
 *   FORMATS      SPX_TF(FMT, HOW, "reason") per weight format (the ENUM of
 *                SPX_FMT_ENCODINGS) the target mentions; HOW is
 *                  NATIVE   the target's stream carries the encoded weights
 *                           and its device runs them;
 *                  DECODED  spxc decodes them to a dense int8 blob and warns
 *                           (only for formats whose descriptor has
 *                           decodes_to_s8; otherwise it counts as REFUSED);
 *                  REFUSED  spxc reports an error at the layer, with reason.
 *                A format a target does not mention is refused: a new format
 *                runs nowhere until a target opts in.
 *
 * SPX_TARGETS_RESERVED(X): X(ENUM, name, id, first opcode, last opcode,
 * summary) - stream ids and opcode ranges set aside for targets that do not
 * exist yet: no device, no lowering; streams of them are refused.
 *
 * Freestanding C: no allocation, no stdio. */
#ifndef SPX_TARGETS_H
#define SPX_TARGETS_H

#include <stdint.h>

#include "formats/spx_formats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPX_TARGETS(X)                                                        \
  X(CPU, cpu, 0, 0x10, 0x2f, 0, spx_rt_device_cpu,                            \
    "the host CPU: one cpu.layer per layer, runtime/kernels",                 \
    SPX_TF(DENSE, NATIVE, "") SPX_TF(CBR, NATIVE, "")                         \
    SPX_TF(BBS, NATIVE, "") SPX_TF(TERNARY, NATIVE, "")                       \
    SPX_TF(LP, NATIVE, "") SPX_TF(BINARY, NATIVE, ""))                        \
  X(AIE, aie, 1, 0x30, 0x5f, 1, spx_sim_aie_device,                           \
    "an AI Engine array (rows x cols int8 cores, memory tiles, DMA, locks)",  \
    SPX_TF(DENSE, NATIVE, "") SPX_TF(CBR, NATIVE, "")                         \
    SPX_TF(BBS, REFUSED,                                                      \
           "BBS effective weights are not int8 (zero-point shifting "         \
           "reaches about +-143) and the AIE cores multiply int8; use the "   \
           "bitserial target")                                                \
    SPX_TF(TERNARY, NATIVE, "")                                               \
    SPX_TF(LP, REFUSED,                                                       \
           "LP layers multiply by adding log-domain exponents; the AIE "      \
           "cores multiply int8; use the lpa target")                         \
    SPX_TF(BINARY, DECODED,                                                   \
           "the AIE cores multiply dense int8 or decode ternary codes; "      \
           "+-1 weights are int8"))                                           \
  X(BITSERIAL, bitserial, 2, 0x60, 0x8f, 1, spx_sim_bitserial_device,         \
    "a bit-serial PE array for bi-directional bit sparsity (BBS)",            \
    SPX_TF(DENSE, NATIVE, "") SPX_TF(BBS, NATIVE, "")                         \
    SPX_TF(CBR, DECODED,                                                      \
           "the PE array reads dense int8, bbs or ternary weights")           \
    SPX_TF(TERNARY, NATIVE, "")                                               \
    SPX_TF(LP, REFUSED,                                                       \
           "LP layers multiply by adding log-domain exponents; the bit-"      \
           "serial PEs multiply int8 bit by bit; use the lpa target")         \
    SPX_TF(BINARY, DECODED,                                                   \
           "the PE array reads dense int8, bbs or ternary weights"))          \
  X(XBAR, xbar, 3, 0x90, 0xaf, 1, spx_sim_xbar_device,                        \
    "crossbar compute-in-memory arrays for binary layers, IR-drop model",     \
    SPX_TF(BINARY, NATIVE, "") SPX_TF(DENSE, NATIVE, "")                      \
    SPX_TF(CBR, DECODED, "the arrays hold binary weights, the host int8")     \
    SPX_TF(TERNARY, DECODED, "the arrays hold binary weights, the host int8") \
    SPX_TF(BBS, REFUSED,                                                      \
           "BBS effective weights are not int8 (zero-point shifting "         \
           "reaches about +-143); the arrays hold binary weights and the "    \
           "host runs int8; use the bitserial target")                        \
    SPX_TF(LP, REFUSED,                                                       \
           "LP layers multiply by adding log-domain exponents; the arrays "   \
           "hold binary weights and the host runs int8; use the lpa "         \
           "target"))                                                         \
  X(LPA, lpa, 4, 0xb0, 0xcf, 1, spx_sim_lpa_device,                           \
    "an LP (logarithmic posit) PE array: log-add multiplies, int8 mode too",  \
    SPX_TF(LP, NATIVE, "") SPX_TF(DENSE, NATIVE, "")                          \
    SPX_TF(CBR, DECODED, "the PE array reads LP codes or dense int8")         \
    SPX_TF(TERNARY, DECODED, "the PE array reads LP codes or dense int8")     \
    SPX_TF(BBS, REFUSED,                                                      \
           "BBS effective weights are not int8 (zero-point shifting "         \
           "reaches about +-143) and the LP array's int8 mode multiplies "    \
           "int8; use the bitserial target")                                  \
    SPX_TF(BINARY, DECODED, "the PE array reads LP codes or dense int8"))

#define SPX_TARGETS_RESERVED(X)

/* ---- machine descriptions --------------------------------------------------
 * A target with a machine description lists it in one X-macro of one shape,
 *   X(member, "option", default, min, max, doc)
 * (member of the target's struct, name of the target option - `target
 * aie(rows=2)`, `--target='aie(rows=2)'` -, default, inclusive range,
 * one line of documentation), and exports it as data,
 * spx_target_<name>_mdesc, from which spxc reads and checks the target's
 * options and `spxc --list-targets` prints them. A target without one (cpu)
 * exports an empty table. */
typedef struct spx_mdesc_field {
  const char *member, *option;
  int64_t def, min, max;
  const char *doc;
} spx_mdesc_field_t;

typedef struct spx_mdesc_table {
  const spx_mdesc_field_t *fields;
  unsigned count;
  /* The target's rules beyond the ranges, over the values in table order;
   * NULL: none. */
  spx_rt_status_t (*check)(const int64_t *values, spx_rt_error_t *err);
} spx_mdesc_table_t;

/* A field table entry of an X list: SPX_AIE_MDESC(SPX_MDESC_FIELD_). */
#define SPX_MDESC_FIELD_(m, opt, def, lo, hi, doc) {#m, opt, def, lo, hi, doc},

#define SPX_MDESC_X_(E, name, ...)                                            \
  extern const spx_mdesc_table_t spx_target_##name##_mdesc;
SPX_TARGETS(SPX_MDESC_X_)
#undef SPX_MDESC_X_

/* Checks `values` (one per field, table order) against the ranges, then the
 * target's rules: SPX_RT_OK, or SPX_RT_ERR_RANGE with "OPTION: V is outside
 * [MIN, MAX]" (or the rule's message) in *err. */
spx_rt_status_t spx_mdesc_check(const spx_mdesc_table_t *t, const int64_t *values,
                                spx_rt_error_t *err);

/* ---- the registry as data (runtime/targets/registry.c) --------------------- */

typedef enum spx_target_support {
  SPX_TARGET_REFUSED = 0, /* zero: what a target does not mention */
  SPX_TARGET_NATIVE = 1,
  SPX_TARGET_DECODED = 2
} spx_target_support_t;

typedef struct spx_target_desc {
  uint16_t id;          /* spx_cs_target_t */
  const char *name;     /* "aie" */
  const char *summary;
  uint8_t first_opcode, last_opcode;
  uint8_t lowered;      /* the compiler has spx_target_<name>_lower */
  const spx_mdesc_table_t *mdesc; /* its machine description (may be empty) */
  /* Per encoding code (SPX_FMT_*): as declared; read through
   * spx_target_format_support, which applies the decodes_to_s8 rule. */
  uint8_t support[SPX_FMT_COUNT_];
  const char *reason[SPX_FMT_COUNT_];
} spx_target_desc_t;

/* Every target of SPX_TARGETS, in that order; *out_count their number. */
const spx_target_desc_t *spx_target_table(unsigned *out_count);
/* The target with stream id `id` / called `name`; NULL if none (reserved
 * ids and unknown names). */
const spx_target_desc_t *spx_target_find(unsigned id);
const spx_target_desc_t *spx_target_find_name(const char *name);
/* How target `t` takes weights of encoding `code`; *reason (if not NULL) is
 * the declared reason ("" when none). Unknown encodings, formats the target
 * does not mention, and DECODED formats that do not decode to int8 are
 * REFUSED (the last with a reason saying so). */
spx_target_support_t spx_target_format_support(const spx_target_desc_t *t,
                                               unsigned code,
                                               const char **reason);
/* "native", "decoded", "refused". */
const char *spx_target_support_name(spx_target_support_t support);

#ifdef __cplusplus
}
#endif

#endif /* SPX_TARGETS_H */
