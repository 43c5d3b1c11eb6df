/* spx_stream.h - the .spxbin container and its command stream.
 *
 * One header documents the layout and every opcode; the encoder (builder),
 * the loader/validator, the disassembler, the simulators and spx-objdump all
 * include it. Freestanding C11: no allocation, no stdio. The loader validates
 * a caller-provided byte buffer in place and hands out views into it; the
 * encoder writes into caller memory or through a caller-given callback.
 *
 * ==== Container layout (format 1.0) =======================================
 *
 * All integers little-endian, fixed width, read and written byte by byte (no
 * struct casts, no alignment assumptions about the caller's buffer). Offsets
 * and sizes are u32 bytes, so a file is at most 4 GiB - 1. f32 is IEEE-754
 * binary32 stored as its u32 bit pattern. Every reserved byte must be 0.
 *
 *   offset  size
 *   +-------+------+----------------------------------------------------+
 *   |     0 |    4 | magic "SPXB"                                       |
 *   |     4 |    2 | version major (1): a reader rejects any other      |
 *   |     6 |    2 | version minor (0): a reader rejects newer minors   |
 *   |     8 |    4 | crc32 (IEEE 802.3, reflected, as zlib) of the      |
 *   |       |      |   bytes [12, total_size): everything AFTER this    |
 *   |       |      |   field. magic and version are checked by value.   |
 *   |    12 |    4 | total_size: the whole file; must equal the buffer  |
 *   |    16 |    2 | header_size (96)                                   |
 *   |    18 |    2 | target (SPX_CS_TARGETS: cpu=0 aie=1 bitserial=2..) |
 *   |    20 |    4 | flags (none defined; 0)                            |
 *   |    24 |    8 | machine-description hash (0 for cpu)               |
 *   |    32 |   64 | section table: 8 x { u32 offset, u32 size }, in    |
 *   |       |      |   SPX_CS_SECTIONS order; unused entries all 0      |
 *   +-------+------+----------------------------------------------------+
 *   |    96 |      | sections, each starting 8-aligned (weights         |
 *   |       |      |   64-aligned), within [96, total_size), disjoint,  |
 *   |       |      |   in any order; gaps between them are padding      |
 *   +-------+------+----------------------------------------------------+
 *
 * strings:  NUL-separated names. Byte 0 is NUL (offset 0 = "no name"), the
 *           last byte is NUL, every other byte is printable ASCII or NUL.
 *           A name field is a u32 offset into this section.
 *
 * tensors:  +0 u32 tensor_count (<= 65535; ids are u16, 0xffff = none)
 *           +4 u32 input_count (>= 1)   +8 u32 output_count (>= 1)
 *           +12 u32 workspace_size: bytes of the static activation arena
 *           +16 tensor_count records of 64 bytes:
 *               +0  u32 name            +4  u8 dtype     +5 u8 rank (0..6)
 *               +6  u16 reserved        +8  u32 dims[6] (dims[i] > 0 for
 *                   i < rank, 0 beyond)  +32 f32 scale   +36 i32 zero_point
 *               +40 u32 ws_offset       +44 u32 ws_size  +48 16 reserved
 *           then input_count u16 tensor ids, then output_count u16 ids.
 *           Section size = 16 + 64 * tensor_count + 2 * (inputs + outputs).
 *           ws_size = elements * dtype size exactly; [ws_offset, +ws_size)
 *           lies inside the workspace, ws_offset aligned to the dtype size.
 *           Tensors may share workspace (the memory plan reuses it).
 *           Quantization (real = scale * (q - zero_point)): int8 needs a
 *           finite scale > 0 and zero_point in [-128, 127]; f32 and int32
 *           tensors have scale 0 and zero_point 0.
 *
 * blobs:    +0 u32 blob_count  +4 u32 reserved
 *           +8 blob_count records of 32 bytes:
 *               +0  u32 name    +4 u8 dtype   +5 u8 reserved
 *               +6  u16 encoding (SPX_CS_ENCODINGS; 0 = dense array)
 *               +8  u32 offset into the weights section (64-aligned)
 *               +12 u32 length in bytes   +16 u32 crc32 of those bytes
 *               +20 12 reserved
 *           Blobs are sorted by offset and do not overlap.
 *
 * weights:  the blob bytes; the section is 64-aligned in the file, so every
 *           blob is 64-aligned in memory when the file buffer is.
 *
 * commands: +0 u32 command_count  +4 u16 record_size (64)  +6 u16 reserved
 *           +8 command_count records of 64 bytes, common to all targets:
 *
 *     byte  0        1        2      4            8          12        63
 *           +--------+--------+------+------------+----------+-- ... --+
 *           | opcode | flags  | rsvd | iterations | name     | fields  |
 *           |   u8   | u8 (0) | u16  | u32 (> 0)  | u32 str  | 52 bytes|
 *           +--------+--------+------+------------+----------+-- ... --+
 *
 *           The fields' layout depends on the opcode (its target's opcode
 *           list: SPX_CS_OPCODES_CPU below, runtime/targets/NAME/opcodes.h); every
 *           byte of 12..63 that the opcode does not define must be 0.
 *           Commands run in order; a command runs `iterations` times.
 *           cpu.layer, bs.host, aie.layer and aie.config have iterations 1
 *           (a layer runs once); bs.pe's are its tiles and the other aie
 *           commands' are bounded by the ranges and sub-volumes they cover.
 *
 * Value limits (checked by the loader, so no device computes garbage or
 * overflows): int8 requant multipliers are 0 or in [2^30, 2^31 - 1], shifts
 * in [-31, 30] (SPX_CS_REQUANT_*); an int8 conv2d/dense has at most 65535
 * products per output and |bias| <= 2^31 - 1 - 2^15 * products
 * (SPX_CS_ACC_TERM_MAX), so its int32 accumulator cannot overflow; an int8
 * softmax sums at most 4095 values and an int8 global_avgpool at most
 * 8421504 per channel (SPX_CS_*_S8_MAX_*).
 *
 * ==== Opcodes ==============================================================
 *
 * Opcode space, one range per target (the registry's, runtime/spx_targets.h);
 * a stream may only use its target's range (0x00 is never valid, so zeroed
 * memory is never a program):
 *   0x01-0x0f generic (none yet)        0x10-0x2f cpu
 *   0x30-0x5f aie                       0x60-0x8f bitserial
 *   0x90-0xaf xbar                      0xb0-0xcf lpa
 *   0xd0-0xff reserved
 * Defined opcodes (each target's opcode list - its doc strings
 * and field lists are the reference):
 *   0x10 cpu.layer  one layer on the CPU device: op, act, n_in, axis,
 *                   in0..in3, out, weights, bias, mult, shift, groups,
 *                   kh kw sh sw dh dw, pad_t pad_l pad_b pad_r; op is one
 *                   of SPX_CS_CPU_OPS, 1..16 (15 batchnorm, f32 scale/shift
 *                   per channel, and 16 sign, with the fused activation
 *                   sign (act 4), came later as compatible additions: the
 *                   format stays 1.0)
 *   0x30-0x39 aie.*  the AIE array: load/loadw/loadfm/comp/writefm/write,
 *                   lock_acq/lock_rel, layer, config (runtime/targets/aie/opcodes.h, one
 *                   line each; `iterations` is the ping-pong repeat count)
 *   0x60-0x61 bs.*   the bit-serial array: bs.pe, bs.host
 *                   (runtime/targets/bitserial/opcodes.h, one line each)
 *   0xb0-0xb1 lpa.*  the LP PE array: lpa.pe, lpa.host
 *                   (runtime/targets/lpa/opcodes.h, one line each)
 */
#ifndef SPX_STREAM_H
#define SPX_STREAM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/spx_formats.h"
#include "../spx_targets.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, name, id, first opcode, last opcode, ...) - every target id of
 * the header: the targets of the registry (runtime/spx_targets.h), then the
 * ids and opcode ranges it reserves. */
#define SPX_CS_TARGETS(X) SPX_TARGETS(X) SPX_TARGETS_RESERVED(X)

/* X(ENUM, index, "text", alignment) - the section table's entries. */
#define SPX_CS_SECTIONS(X)                                                    \
  X(STRINGS, 0, "strings", 8)                                                 \
  X(TENSORS, 1, "tensors", 8)                                                 \
  X(BLOBS, 2, "blobs", 8)                                                     \
  X(WEIGHTS, 3, "weights", 64)                                                \
  X(COMMANDS, 4, "commands", 8)

/* X(ENUM, code, "text", element size). 0 is never a valid dtype. u8 is for
 * blobs only (opaque encoded bytes). */
#define SPX_CS_DTYPES(X)                                                      \
  X(F32, 1, "f32", 4)                                                         \
  X(INT8, 2, "int8", 1)                                                       \
  X(INT32, 3, "int32", 4)                                                     \
  X(U8, 4, "u8", 1)

/* X(ENUM, code, "text") - blob encodings: runtime/formats' list. */
#define SPX_CS_ENCODINGS(X) SPX_FMT_ENCODINGS(X)

/* X(ENUM, code, "text") - fused activation of a cpu.layer. */
#define SPX_CS_ACTS(X)                                                        \
  X(NONE, 0, "none")                                                          \
  X(RELU, 1, "relu")                                                          \
  X(RELU6, 2, "relu6")                                                        \
  X(SIGMOID, 3, "sigmoid")                                                    \
  X(SIGN, 4, "sign")

/* Which cpu.layer parameters an op kind uses (every other one must be 0,
 * or 0xffff for tensor and blob ids). */
#define SPX_CS_P_WEIGHTS 0x01u /* weights (required) and bias (optional) */
#define SPX_CS_P_WINDOW 0x02u  /* kh kw sh sw pad_* (required, >= 1) */
#define SPX_CS_P_DILATE 0x04u  /* dh dw groups (conv2d) */
#define SPX_CS_P_AXIS 0x08u    /* axis */
#define SPX_CS_P_REQUANT 0x10u /* mult, shift: int8 conv/dense need them,
                                  add may have them (per input + out) */

/* X(ENUM, code, "text", min inputs, max inputs, SPX_CS_P_* mask, doc).
 * Shapes are NCHW for 4-D tensors. New op kinds take the next code and are a
 * compatible addition (format 1.0 stays): an older reader rejects a stream
 * that uses one as an unknown op, and no existing stream changes meaning
 * (batchnorm, 15, was added so). */
#define SPX_CS_CPU_OPS(X)                                                     \
  X(CONV2D, 1, "conv2d", 1, 1,                                                \
    SPX_CS_P_WEIGHTS | SPX_CS_P_WINDOW | SPX_CS_P_DILATE | SPX_CS_P_REQUANT,  \
    "out = act(conv(in0, weights) + bias); groups incl. depthwise")           \
  X(DENSE, 2, "dense", 1, 1, SPX_CS_P_WEIGHTS | SPX_CS_P_REQUANT,             \
    "in0 [N,K] times weights [M,K] transposed, + bias -> out [N,M]")          \
  X(RELU, 3, "relu", 1, 1, 0, "max(x, 0)")                                    \
  X(RELU6, 4, "relu6", 1, 1, 0, "min(max(x, 0), 6)")                          \
  X(SIGMOID, 5, "sigmoid", 1, 1, 0, "1 / (1 + exp(-x))")                      \
  X(MAXPOOL, 6, "maxpool", 1, 1, SPX_CS_P_WINDOW, "max over kh x kw")         \
  X(AVGPOOL, 7, "avgpool", 1, 1, SPX_CS_P_WINDOW, "mean over kh x kw")        \
  X(GLOBAL_AVGPOOL, 8, "global_avgpool", 1, 1, 0, "[N,C,H,W] -> [N,C,1,1]")   \
  X(ADD, 9, "add", 2, 2, SPX_CS_P_REQUANT, "in0 + in1, same shapes")          \
  X(CONCAT, 10, "concat", 2, 4, SPX_CS_P_AXIS, "join along axis")             \
  X(COPY, 11, "copy", 1, 1, 0, "flatten/reshape: same element count")         \
  X(SOFTMAX, 12, "softmax", 1, 1, SPX_CS_P_AXIS, "softmax along axis")        \
  X(QUANTIZE, 13, "quantize", 1, 1, 0, "f32 -> int8, out's scale/zp")         \
  X(DEQUANTIZE, 14, "dequantize", 1, 1, 0, "int8 -> f32, in0's scale/zp")     \
  X(BATCHNORM, 15, "batchnorm", 1, 1, SPX_CS_P_WEIGHTS,                       \
    "per channel (dim 1): out = in0 * weights[c] + bias[c], f32 "             \
    "(a batchnorm folded to scale and shift)")                                \
  X(SIGN, 16, "sign", 1, 1, 0,                                                \
    "+1 where x >= 0 (int8: q >= in0's zero point), else -1; int8 out: "      \
    "scale 1, zero point 0")

/* Field kinds: X(ENUM, C type). Tensor and blob ids are u16, 0xffff = none. */
#define SPX_CS_FIELD_KINDS(X)                                                 \
  X(U8, uint8_t)                                                              \
  X(I8, int8_t)                                                               \
  X(U16, uint16_t)                                                            \
  X(U32, uint32_t)                                                            \
  X(I32, int32_t)                                                             \
  X(TENSOR, uint16_t)                                                         \
  X(BLOB, uint16_t)                                                           \
  X(CPU_OP, uint8_t)                                                          \
  X(ACT, uint8_t)

/* cpu.layer fields: F(A, name, byte offset in the record, kind, doc); A is
 * passed through for the expander. */
#define SPX_CS_FIELDS_CPU_LAYER(F, A)                                         \
  F(A, op, 12, CPU_OP, "layer kind (SPX_CS_CPU_OPS)")                         \
  F(A, act, 13, ACT, "fused activation on the output (SPX_CS_ACTS)")          \
  F(A, n_in, 14, U8, "inputs used: in0 .. in{n_in-1}; the rest are 0xffff")   \
  F(A, axis, 15, I8, "concat/softmax axis; negative counts from the end")     \
  F(A, in0, 16, TENSOR, "input 0")                                            \
  F(A, in1, 18, TENSOR, "input 1")                                            \
  F(A, in2, 20, TENSOR, "input 2")                                            \
  F(A, in3, 22, TENSOR, "input 3")                                            \
  F(A, out, 24, TENSOR, "output")                                             \
  F(A, weights, 26, BLOB, "conv [Cout][Cin/groups][kh][kw], dense [M][K], "   \
                          "batchnorm f32 scale [C]")                          \
  F(A, bias, 28, BLOB, "optional, per out channel: f32 (int32 if int8); "     \
                       "batchnorm f32 shift [C], required")                   \
  F(A, mult, 30, BLOB, "int32 Q31 requant multipliers, per channel or 1")     \
  F(A, shift, 32, BLOB, "int32 requant shifts, as many as mult")              \
  F(A, groups, 34, U16, "conv groups (1 = full conv, Cin = depthwise)")       \
  F(A, kh, 36, U8, "kernel height")                                           \
  F(A, kw, 37, U8, "kernel width")                                            \
  F(A, sh, 38, U8, "stride height")                                           \
  F(A, sw, 39, U8, "stride width")                                            \
  F(A, dh, 40, U8, "dilation height")                                         \
  F(A, dw, 41, U8, "dilation width")                                          \
  F(A, pad_t, 42, U8, "padding top")                                          \
  F(A, pad_l, 43, U8, "padding left")                                         \
  F(A, pad_b, 44, U8, "padding bottom")                                       \
  F(A, pad_r, 45, U8, "padding right")

/* The cpu opcodes: X(ENUM, member, code, "text", FIELDS, once, doc), one
 * line per opcode. FIELDS names the opcode's field list (never empty);
 * once is 1 when the command runs exactly once (`iterations` must be 1: a
 * layer, or a declaration), 0 when its target's own rules bound it. Every
 * other target lists its opcodes in the same form in its own folder
 * (runtime/targets/NAME/opcodes.h, SPX_CS_OPCODES_<ENUM>) and declares them
 * there with SPX_CS_DECLARE_OPCODES; this header includes none of them. */
#define SPX_CS_OPCODES_CPU(X)                                                 \
  X(CPU_LAYER, cpu_layer, 0x10, "cpu.layer", SPX_CS_FIELDS_CPU_LAYER, 1,      \
    "run one layer on the CPU device with the runtime/kernels")

/* ---- constants and enums generated from the tables --------------------- */

#define SPX_CS_MAGIC "SPXB"
#define SPX_CS_VERSION_MAJOR 1
#define SPX_CS_VERSION_MINOR 0
#define SPX_CS_HEADER_SIZE 96u
#define SPX_CS_SECTION_MAX 8
#define SPX_CS_CRC_OFFSET 8u      /* the crc32 field */
#define SPX_CS_CRC_START 12u      /* the crc covers [12, total_size) */
#define SPX_CS_TENSORS_HEADER 16u
#define SPX_CS_TENSOR_RECORD 64u
#define SPX_CS_BLOBS_HEADER 8u
#define SPX_CS_BLOB_RECORD 32u
#define SPX_CS_COMMANDS_HEADER 8u
#define SPX_CS_COMMAND_RECORD 64u
#define SPX_CS_BLOB_ALIGN 64u
#define SPX_CS_MAX_RANK 6
#define SPX_CS_CPU_MAX_INPUTS 4
/* Requantization (int8 conv2d/dense/add mult and shift blobs): the values
 * spx_rt_quantize_multiplier produces, on which the kernels' fixed-point
 * requantization is defined. A multiplier is 0 or a Q31 number in
 * [2^30, 2^31 - 1]; a shift is in [-31, 30]. */
#define SPX_CS_REQUANT_MULT_MIN 0x40000000
#define SPX_CS_REQUANT_MULT_MAX 0x7fffffff
#define SPX_CS_REQUANT_SHIFT_MIN (-31)
#define SPX_CS_REQUANT_SHIFT_MAX 30
/* Largest |(x - z_in) * w| of a product with int8 weights (255 * 128 <
 * 2^15): an int8 conv2d/dense with K products per output needs K * term +
 * |bias| <= 2^31 - 1 so that its int32 accumulator never overflows. Encoded
 * weights whose effective values leave int8 have a larger term
 * (spx_fmt_acc_term, runtime/formats). */
#define SPX_CS_ACC_TERM_MAX SPX_FMT_ACC_TERM_S8
/* The int8 kernels that sum a whole axis in int32: softmax adds one Q12.19
 * exponential (at most 2^19) per value of its axis, global_avgpool the
 * values minus the zero point (|x - z| <= 255) per channel. Longer sums
 * could overflow. */
#define SPX_CS_SOFTMAX_S8_MAX_DEPTH 4095        /* 0x7fffffff >> 19 */
#define SPX_CS_GLOBAL_AVGPOOL_S8_MAX_HW 8421504 /* 0x7fffffff / 255 */
#define SPX_CS_NONE 0xffffu       /* "no tensor" / "no blob" */
#define SPX_CS_MAX_TENSORS 0xffffu

typedef enum spx_cs_target {
#define SPX_CS_X_(E, name, code, lo, hi, ...) SPX_CS_TARGET_##E = code,
  SPX_CS_TARGETS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_TARGET_COUNT_
} spx_cs_target_t;

typedef enum spx_cs_section_id {
#define SPX_CS_X_(E, idx, text, align) SPX_CS_SECTION_##E = idx,
  SPX_CS_SECTIONS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_SECTION_COUNT_
} spx_cs_section_id_t;

typedef enum spx_cs_dtype {
  SPX_CS_DTYPE_INVALID = 0,
#define SPX_CS_X_(E, code, text, size) SPX_CS_DTYPE_##E = code,
  SPX_CS_DTYPES(SPX_CS_X_)
#undef SPX_CS_X_
} spx_cs_dtype_t;

typedef enum spx_cs_encoding {
#define SPX_CS_X_(E, code, text) SPX_CS_ENC_##E = code,
  SPX_CS_ENCODINGS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_ENC_COUNT_
} spx_cs_encoding_t;

typedef enum spx_cs_act {
#define SPX_CS_X_(E, code, text) SPX_CS_ACT_##E = code,
  SPX_CS_ACTS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_ACT_COUNT_
} spx_cs_act_t;

typedef enum spx_cs_cpu_op {
  SPX_CS_CPU_OP_INVALID = 0,
#define SPX_CS_X_(E, code, text, lo, hi, p, doc) SPX_CS_CPU_OP_##E = code,
  SPX_CS_CPU_OPS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_CPU_OP_COUNT_
} spx_cs_cpu_op_t;

typedef enum spx_cs_field_kind {
#define SPX_CS_X_(E, T) SPX_CS_FK_##E,
  SPX_CS_FIELD_KINDS(SPX_CS_X_)
#undef SPX_CS_X_
  SPX_CS_FK_COUNT_
} spx_cs_field_kind_t;

/* C types of the field kinds, for the generated field structs. */
#define SPX_CS_FK_CTYPE_U8 uint8_t
#define SPX_CS_FK_CTYPE_I8 int8_t
#define SPX_CS_FK_CTYPE_U16 uint16_t
#define SPX_CS_FK_CTYPE_U32 uint32_t
#define SPX_CS_FK_CTYPE_I32 int32_t
#define SPX_CS_FK_CTYPE_TENSOR uint16_t
#define SPX_CS_FK_CTYPE_BLOB uint16_t
#define SPX_CS_FK_CTYPE_CPU_OP uint8_t
#define SPX_CS_FK_CTYPE_ACT uint8_t

/* Bytes of the command record after the common header (opcode, flags,
 * iterations, name): the most an opcode's fields can cover, and the room
 * every opcode's field struct has in spx_cs_command_t. */
#define SPX_CS_FIELDS_MAX 64u

/* SPX_CS_DECLARE_OPCODES(LIST) declares the opcodes of an opcode list:
 * SPX_CS_OP_<ENUM> = code, and one struct per opcode, one member per field
 * (spx_cs_cpu_layer_t, spx_cs_aie_load_t, ...), each checked to fit in a
 * command. A target's opcodes.h uses it for its own list. */
#define SPX_CS_OPCODE_ENUM_(E, m, code, text, F, once, doc) SPX_CS_OP_##E = code,
#define SPX_CS_FIELD_MEMBER_(A, name, off, kind, doc) SPX_CS_FK_CTYPE_##kind name;
#define SPX_CS_OPCODE_STRUCT_(E, m, code, text, FIELDS, once, doc)            \
  typedef struct spx_cs_##m { FIELDS(SPX_CS_FIELD_MEMBER_, ~) } spx_cs_##m##_t; \
  typedef char spx_cs_##m##_fits_[sizeof(spx_cs_##m##_t) <= SPX_CS_FIELDS_MAX ? 1 : -1];
#define SPX_CS_DECLARE_OPCODES(LIST)                                          \
  enum { LIST(SPX_CS_OPCODE_ENUM_) };                                         \
  LIST(SPX_CS_OPCODE_STRUCT_)

SPX_CS_DECLARE_OPCODES(SPX_CS_OPCODES_CPU)

/* ---- names and tables ---------------------------------------------------- */

const char *spx_cs_target_name(unsigned target);   /* NULL if unknown */
const char *spx_cs_section_name(unsigned section); /* NULL if unknown */
const char *spx_cs_dtype_name(unsigned dtype);     /* NULL if unknown */
unsigned spx_cs_dtype_size(unsigned dtype);        /* 0 if unknown */
const char *spx_cs_encoding_name(unsigned encoding);
const char *spx_cs_act_name(unsigned act);
const char *spx_cs_cpu_op_name(unsigned op);

typedef struct spx_cs_field_info {
  const char *name;
  uint8_t offset;  /* byte offset in the 64-byte command record */
  uint8_t kind;    /* spx_cs_field_kind_t */
  uint16_t member; /* offsetof the member in the opcode's struct */
  const char *doc;
} spx_cs_field_info_t;

typedef struct spx_cs_opcode_info {
  uint8_t opcode;
  const char *name;
  const char *doc;
  const spx_cs_field_info_t *fields;
  uint32_t field_count;
  uint8_t once; /* iterations must be 1 */
} spx_cs_opcode_info_t;

/* SPX_CS_DEFINE_OPCODE_TABLE(LIST, table) defines, in one .c file of the
 * target, the field and opcode tables of an opcode list as the static array
 * `table` (for its spx_cs_target_stream_t). */
#define SPX_CS_FIELD_INFO_(S, name, off, kind, doc)                           \
  {#name, off, SPX_CS_FK_##kind, (uint16_t)offsetof(S, name), doc},
#define SPX_CS_OPCODE_FIELDS_(E, m, code, text, FIELDS, once, doc)            \
  static const spx_cs_field_info_t spx_cs_fields_##m##_[] = {                 \
      FIELDS(SPX_CS_FIELD_INFO_, spx_cs_##m##_t)};
#define SPX_CS_OPCODE_INFO_(E, m, code, text, FIELDS, once, doc)              \
  {code, text, doc, spx_cs_fields_##m##_,                                     \
   sizeof spx_cs_fields_##m##_ / sizeof spx_cs_fields_##m##_[0], once},
#define SPX_CS_DEFINE_OPCODE_TABLE(LIST, table)                               \
  LIST(SPX_CS_OPCODE_FIELDS_)                                                 \
  static const spx_cs_opcode_info_t table[] = {LIST(SPX_CS_OPCODE_INFO_)};

/* What the stream knows of a target: its opcodes and its own rules. Each
 * target of the registry defines one, spx_target_<name>_stream, in its
 * folder (the cpu's is in runtime/stream); the loader, the encoder and the
 * disassembler reach every target's commands through them only. */
struct cs_vctx;
struct spx_cs_command;
typedef struct spx_cs_target_stream {
  const spx_cs_opcode_info_t *opcodes;
  uint32_t opcode_count;
  /* The target's rules for command i, after the common ones (opcode in the
   * target's range, flags, iterations, tensor/blob ids, layer kinds and
   * activations): SPX_RT_OK, or an error set through the checker's context
   * (runtime/stream/cs_internal.h). NULL: none. */
  spx_rt_status_t (*check)(struct cs_vctx *v, uint32_t i,
                           const struct spx_cs_command *cmd,
                           const spx_cs_opcode_info_t *info);
} spx_cs_target_stream_t;

#define SPX_CS_X_(E, name, ...)                                               \
  extern const spx_cs_target_stream_t spx_target_##name##_stream;
SPX_TARGETS(SPX_CS_X_)
#undef SPX_CS_X_

/* The stream description of target `target`; NULL for unknown and
 * reserved ids. */
const spx_cs_target_stream_t *spx_cs_target_stream(unsigned target);
/* The entry for `opcode` (of any target), or NULL if it is not defined. */
const spx_cs_opcode_info_t *spx_cs_opcode_info(unsigned opcode);
/* Size in bytes of a field kind in the record. */
unsigned spx_cs_field_kind_size(unsigned kind);

/* CRC-32 (IEEE, as zlib's crc32): pass crc = 0 to start. */
uint32_t spx_cs_crc32(uint32_t crc, const void *data, size_t size);

/* ---- decoded records (shared by the encoder and the loader) -------------- */

typedef struct spx_cs_tensor {
  const char *name; /* "" if unnamed; loader: points into the buffer */
  uint8_t dtype;    /* spx_cs_dtype_t: F32, INT8 or INT32 */
  uint8_t rank;     /* 0 .. SPX_CS_MAX_RANK */
  uint32_t dims[SPX_CS_MAX_RANK];
  float scale;
  int32_t zero_point;
  uint32_t ws_offset; /* place in the workspace: the static memory plan */
  uint32_t ws_size;
} spx_cs_tensor_t;

typedef struct spx_cs_blob {
  const char *name;
  uint8_t dtype;         /* element type of dense data; U8 when encoded */
  uint16_t encoding;     /* spx_cs_encoding_t */
  uint32_t offset;       /* in the weights section; encoder: computed */
  uint32_t length;       /* bytes */
  uint32_t crc32;        /* of the bytes; encoder: computed */
  const uint8_t *data;   /* encoder: the bytes; loader: view into buffer */
} spx_cs_blob_t;

typedef struct spx_cs_command {
  uint8_t opcode;      /* SPX_CS_OP_* */
  uint8_t flags;       /* 0 */
  uint32_t iterations; /* > 0 */
  const char *name;    /* layer name for diagnostics; "" if none */
  union {                      /* the opcode's fields: */
    spx_cs_cpu_layer_t cpu_layer; /* cpu.layer */
    uint32_t raw[SPX_CS_FIELDS_MAX / 4]; /* any other: SPX_CS_U */
  } u;
} spx_cs_command_t;

/* The fields of command `cmd` (an lvalue) as opcode member m's struct, e.g.
 * SPX_CS_U(c, aie_load).length; the target's opcodes.h declares it. */
#define SPX_CS_U(cmd, m) (*(spx_cs_##m##_t *)(void *)&(cmd).u)

/* A cpu.layer with every id "none" and every parameter 0 except
 * iterations = 1; callers fill in what their op uses. */
void spx_cs_command_init_cpu_layer(spx_cs_command_t *cmd, spx_cs_cpu_op_t op,
                                   const char *name);

/* ---- builder (encoder) --------------------------------------------------
 * The caller describes the whole program in an image (arrays it owns); the
 * encoder checks it with the loader's own rules, lays it out (strings in
 * tensor, blob, command order; sections in table order) and writes it.
 * Output is a pure function of the image: byte-identical across runs. */

typedef struct spx_cs_image {
  uint16_t target;     /* spx_cs_target_t */
  uint64_t mdesc_hash; /* 0 for cpu */
  uint32_t workspace_size;
  const spx_cs_tensor_t *tensors;
  uint32_t tensor_count;
  const uint16_t *inputs;
  uint32_t input_count;
  const uint16_t *outputs;
  uint32_t output_count;
  const spx_cs_blob_t *blobs; /* offset and crc32 are ignored */
  uint32_t blob_count;
  const spx_cs_command_t *commands;
  uint32_t command_count;
} spx_cs_image_t;

/* Returns 0 on success, nonzero to abort the write. */
typedef int (*spx_cs_write_fn)(void *ctx, const void *data, size_t size);

/* Checks the image and stores the encoded size in *out_size. */
spx_rt_status_t spx_cs_image_measure(const spx_cs_image_t *image,
                                   size_t *out_size,
                                   spx_rt_error_t *status);
/* Encodes into buf[0, cap); SPX_RT_ERR_BUFFER (nothing beyond cap
 * written) if it does not fit. *out_size gets the encoded size either way
 * when the image is valid. */
spx_rt_status_t spx_cs_image_encode(const spx_cs_image_t *image, void *buf,
                                  size_t cap, size_t *out_size,
                                  spx_rt_error_t *status);
/* Encodes through `write` in order, in pieces (two passes over the image:
 * the first computes the crc). */
spx_rt_status_t spx_cs_image_write(const spx_cs_image_t *image,
                                 spx_cs_write_fn write, void *ctx,
                                 spx_rt_error_t *status);

/* ---- loader / validator ---------------------------------------------------
 * spx_cs_stream_load checks everything before anything runs - magic,
 * version, sizes, crc, section bounds and overlap, every string, tensor,
 * blob (bounds and crc32) and command field, and each layer's shapes and
 * dtypes - and reports the first problem. On success *out is a view into
 * `data`, which must stay alive and unchanged while the view is used. */

typedef struct spx_cs_section {
  uint32_t offset;
  uint32_t size;
} spx_cs_section_t;

typedef struct spx_cs_stream {
  const uint8_t *data;
  uint32_t size;
  uint16_t version_major;
  uint16_t version_minor;
  uint16_t target;
  uint64_t mdesc_hash;
  uint32_t crc32;
  spx_cs_section_t sections[SPX_CS_SECTION_MAX];
  uint32_t workspace_size;
  uint32_t tensor_count;
  uint32_t input_count;
  uint32_t output_count;
  uint32_t blob_count;
  uint32_t command_count;
} spx_cs_stream_t;

spx_rt_status_t spx_cs_stream_load(const void *data, size_t size,
                                 spx_cs_stream_t *out,
                                 spx_rt_error_t *status);

/* Accessors on a loaded stream. An index out of range gives a zeroed
 * record (names ""), never a read outside the buffer. */
void spx_cs_stream_tensor(const spx_cs_stream_t *s, uint32_t index,
                          spx_cs_tensor_t *out);
void spx_cs_stream_blob(const spx_cs_stream_t *s, uint32_t index,
                        spx_cs_blob_t *out);
void spx_cs_stream_command(const spx_cs_stream_t *s, uint32_t index,
                           spx_cs_command_t *out);
/* Command `index`'s opcode alone (0 if out of range): a walk that looks for
 * a few opcodes reads this and decodes only those records. */
uint8_t spx_cs_stream_opcode(const spx_cs_stream_t *s, uint32_t index);
/* Tensor id of input/output `index`; SPX_CS_NONE if out of range. */
uint16_t spx_cs_stream_input(const spx_cs_stream_t *s, uint32_t index);
uint16_t spx_cs_stream_output(const spx_cs_stream_t *s, uint32_t index);

/* Recomputes and stores the header crc32 of an encoded stream (tools that
 * patch a stream in place). SPX_RT_ERR_FORMAT if size < header. */
spx_rt_status_t spx_cs_stream_seal(void *data, size_t size,
                                 spx_rt_error_t *status);

/* ---- disassembler ----------------------------------------------------------
 * Prints a loaded stream as text through `write`: header, sections,
 * workspace, tensors, inputs/outputs, blobs, then one line per command:
 *   "  3: cpu.layer conv2d in=%1 out=%2 w=blob0 k=3x3 stride=1x1
 *    pad=1,1,1,1 act=relu iter=1  ; conv1" (one line). */
spx_rt_status_t spx_cs_stream_disassemble(const spx_cs_stream_t *s,
                                        spx_cs_write_fn write, void *ctx,
                                        spx_rt_error_t *status);
/* One command as text (no index, no newline), e.g. for traces. */
size_t spx_cs_command_format(const spx_cs_command_t *cmd, char *buf,
                             size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SPX_STREAM_H */
