/* cs_internal.h - private helpers of runtime/stream: byte-wise little-endian
 * access and the checks shared by the encoder and the loader. The targets'
 * stream checks (runtime/targets/NAME/check.c) use the checker's context
 * and getters declared here; nothing else outside runtime/stream may. */
#ifndef SPX_CS_INTERNAL_H
#define SPX_CS_INTERNAL_H

#include "runtime/stream/spx_stream.h"

#include <stdbool.h>

/* SQLite-style defensive macros: conditions that hold in a correct program.
 * They still branch in release builds, so a broken invariant fails safe. */
#define CS_ALWAYS(x) (x)
#define CS_NEVER(x) (x)

static inline uint16_t cs_rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t cs_rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t cs_rd64(const uint8_t *p) {
  return (uint64_t)cs_rd32(p) | (uint64_t)cs_rd32(p + 4) << 32;
}
static inline void cs_wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void cs_wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void cs_wr64(uint8_t *p, uint64_t v) {
  cs_wr32(p, (uint32_t)v);
  cs_wr32(p + 4, (uint32_t)(v >> 32));
}
static inline float cs_f32_from_bits(uint32_t u) {
  union { uint32_t u; float f; } c;
  c.u = u;
  return c.f;
}
static inline uint32_t cs_f32_bits(float f) {
  union { uint32_t u; float f; } c;
  c.f = f;
  return c.u;
}
static inline void cs_zero(void *p, size_t n) {
  uint8_t *b = (uint8_t *)p;
  while (n--) *b++ = 0;
}
static inline size_t cs_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* Record <-> struct for commands, driven by the field tables. `rec` is the
 * 64-byte record. Decode leaves `name` NULL (the caller resolves it). */
void cs_command_decode(const uint8_t *rec, spx_cs_command_t *out);
void cs_command_encode(const spx_cs_command_t *cmd, uint32_t name_off,
                       uint8_t *rec);
/* The value of field `f` of `cmd` (whose opcode defines f), sign-extended. */
int64_t cs_field_get(const spx_cs_command_t *cmd, const spx_cs_field_info_t *f);
void cs_field_set(spx_cs_command_t *cmd, const spx_cs_field_info_t *f,
                  int64_t v);

/* The checks shared by the encoder and the loader work on decoded records,
 * fetched through this context (from an image or from a loaded buffer). */
typedef struct cs_vctx {
  spx_rt_error_t *status;
  uint16_t target;
  uint32_t workspace_size;
  uint32_t weights_size;
  uint32_t tensor_count;
  uint32_t blob_count;
  const spx_cs_image_t *image;   /* encoder */
  const spx_cs_stream_t *stream; /* loader */
} cs_vctx_t;

spx_rt_status_t cs_check_tensor(cs_vctx_t *v, uint32_t i, const spx_cs_tensor_t *t);
/* The crc32 (spx_cs_crc32) of A followed by B from crc1 = crc of A, crc2 =
 * crc of B and len2 = B's length (zlib's crc32_combine), in O(log len2). */
uint32_t spx_cs_crc32_combine(uint32_t crc1, uint32_t crc2, size_t len2);

/* Blob bounds, dtype, encoding (not the crc: the caller checks the bytes). */
spx_rt_status_t cs_check_blob(cs_vctx_t *v, uint32_t i, const spx_cs_blob_t *b);
spx_rt_status_t cs_check_command(cs_vctx_t *v, uint32_t i,
                               const spx_cs_command_t *c);
/* The cpu.layer rules (fields, tensors, shapes, dtypes, blobs) of a command
 * whose fields begin with cpu.layer's: the cpu target's check, and the
 * first check of every target opcode that carries a layer. */
spx_rt_status_t cs_check_cpu_layer(cs_vctx_t *v, uint32_t i,
                                   const spx_cs_command_t *cmd,
                                   const spx_cs_opcode_info_t *info);
/* The io lists: ids in range, no duplicates, at least one each. */
spx_rt_status_t cs_check_io(cs_vctx_t *v, const char *what, uint32_t count,
                          const uint8_t *raw, const uint16_t *ids);

/* Appends formatted text to a fixed buffer; used by the disassembler. */
typedef struct cs_buf {
  char *p;
  size_t cap;
  size_t len; /* may exceed cap - 1: the text was truncated */
} cs_buf_t;
void cs_buf_printf(cs_buf_t *b, const char *fmt, ...) SPX_RT_PRINTF_(2, 3);

/* The validator's shared pieces (cs_check.c), used by the target checkers:
 * cs_bad sets the status (INVALID_ARGUMENT) with a message and returns its
 * code; the getters read record i of the image or stream being checked
 * (zeroed when out of range). */
spx_rt_status_t cs_bad(cs_vctx_t *v, const char *fmt, ...) SPX_RT_PRINTF_(2, 3);
uint32_t cs_command_count(const cs_vctx_t *v);
void cs_get_command(const cs_vctx_t *v, uint32_t i, spx_cs_command_t *c);
uint8_t cs_command_opcode(const cs_vctx_t *v, uint32_t i); /* record i's opcode, or 0 */
void cs_get_tensor(const cs_vctx_t *v, uint32_t id, spx_cs_tensor_t *t);
void cs_get_blob(const cs_vctx_t *v, uint32_t id, spx_cs_blob_t *b);

#endif /* SPX_CS_INTERNAL_H */
