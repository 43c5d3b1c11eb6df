/* cs_common.c - status values, the freestanding formatter, name tables,
 * crc32 and the table-driven command record codec. */
#include "runtime/stream/cs_internal.h"

void cs_buf_printf(cs_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t at = b->len < b->cap ? b->len : b->cap;
  size_t n = spx_rt_vformat(b->cap ? b->p + at : b->p, b->cap - at, fmt, ap);
  b->len += n;
  va_end(ap);
}

/* ---- name tables ----------------------------------------------------------- */

const char *spx_cs_target_name(unsigned target) {
  switch (target) {
#define X(E, name, code, lo, hi, ...) case code: return #name;
    SPX_CS_TARGETS(X)
#undef X
  }
  return NULL;
}

const char *spx_cs_section_name(unsigned section) {
  switch (section) {
#define X(E, idx, text, align) case idx: return text;
    SPX_CS_SECTIONS(X)
#undef X
  }
  return NULL;
}

const char *spx_cs_dtype_name(unsigned dtype) {
  switch (dtype) {
#define X(E, code, text, size) case code: return text;
    SPX_CS_DTYPES(X)
#undef X
  }
  return NULL;
}

unsigned spx_cs_dtype_size(unsigned dtype) {
  switch (dtype) {
#define X(E, code, text, size) case code: return size;
    SPX_CS_DTYPES(X)
#undef X
  }
  return 0;
}

const char *spx_cs_encoding_name(unsigned encoding) {
  switch (encoding) {
#define X(E, code, text) case code: return text;
    SPX_CS_ENCODINGS(X)
#undef X
  }
  return NULL;
}

const char *spx_cs_act_name(unsigned act) {
  switch (act) {
#define X(E, code, text) case code: return text;
    SPX_CS_ACTS(X)
#undef X
  }
  return NULL;
}

const char *spx_cs_cpu_op_name(unsigned op) {
  switch (op) {
#define X(E, code, text, lo, hi, p, doc) case code: return text;
    SPX_CS_CPU_OPS(X)
#undef X
  }
  return NULL;
}

/* ---- opcode and field tables ------------------------------------------------ */

const spx_cs_target_stream_t *spx_cs_target_stream(unsigned target) {
  switch (target) {
#define X(E, name, id, ...) case id: return &spx_target_##name##_stream;
    SPX_TARGETS(X)
#undef X
  }
  return NULL;
}

const spx_cs_opcode_info_t *spx_cs_opcode_info(unsigned opcode) {
  static const spx_cs_target_stream_t *const streams[] = {
#define X(E, name, ...) &spx_target_##name##_stream,
      SPX_TARGETS(X)
#undef X
  };
  for (size_t t = 0; t < sizeof streams / sizeof streams[0]; t++)
    for (uint32_t i = 0; i < streams[t]->opcode_count; i++)
      if (streams[t]->opcodes[i].opcode == opcode) return &streams[t]->opcodes[i];
  return NULL;
}

unsigned spx_cs_field_kind_size(unsigned kind) {
  switch (kind) {
#define X(E, T) case SPX_CS_FK_##E: return sizeof(T);
    SPX_CS_FIELD_KINDS(X)
#undef X
  }
  return 0;
}

static bool kind_signed(unsigned kind) {
  return kind == SPX_CS_FK_I8 || kind == SPX_CS_FK_I32;
}

int64_t cs_field_get(const spx_cs_command_t *cmd, const spx_cs_field_info_t *f) {
  const unsigned char *p = (const unsigned char *)&cmd->u + f->member;
  switch (spx_cs_field_kind_size(f->kind)) {
  case 1:
    return kind_signed(f->kind) ? (int64_t) * (const int8_t *)p
                                : (int64_t) * (const uint8_t *)p;
  case 2: return *(const uint16_t *)(const void *)p;
  case 4:
    return kind_signed(f->kind) ? (int64_t) * (const int32_t *)(const void *)p
                                : (int64_t) * (const uint32_t *)(const void *)p;
  }
  return 0;
}

void cs_field_set(spx_cs_command_t *cmd, const spx_cs_field_info_t *f,
                  int64_t v) {
  unsigned char *p = (unsigned char *)&cmd->u + f->member;
  switch (spx_cs_field_kind_size(f->kind)) {
  case 1:
    if (kind_signed(f->kind)) *(int8_t *)p = (int8_t)v;
    else *(uint8_t *)p = (uint8_t)v;
    break;
  case 2: *(uint16_t *)(void *)p = (uint16_t)v; break;
  case 4:
    if (kind_signed(f->kind)) *(int32_t *)(void *)p = (int32_t)v;
    else *(uint32_t *)(void *)p = (uint32_t)v;
    break;
  }
}

void cs_command_decode(const uint8_t *rec, spx_cs_command_t *out) {
  cs_zero(out, sizeof *out);
  out->opcode = rec[0];
  out->flags = rec[1];
  out->iterations = cs_rd32(rec + 4);
  const spx_cs_opcode_info_t *info = spx_cs_opcode_info(rec[0]);
  if (!info) return;
  for (uint32_t i = 0; i < info->field_count; i++) {
    const spx_cs_field_info_t *f = &info->fields[i];
    const uint8_t *p = rec + f->offset;
    int64_t v = 0;
    switch (spx_cs_field_kind_size(f->kind)) {
    case 1: v = kind_signed(f->kind) ? (int8_t)p[0] : p[0]; break;
    case 2: v = cs_rd16(p); break;
    case 4:
      v = kind_signed(f->kind) ? (int64_t)(int32_t)cs_rd32(p) : (int64_t)cs_rd32(p);
      break;
    }
    cs_field_set(out, f, v);
  }
}

void cs_command_encode(const spx_cs_command_t *cmd, uint32_t name_off,
                       uint8_t *rec) {
  cs_zero(rec, SPX_CS_COMMAND_RECORD);
  rec[0] = cmd->opcode;
  rec[1] = cmd->flags;
  cs_wr32(rec + 4, cmd->iterations);
  cs_wr32(rec + 8, name_off);
  const spx_cs_opcode_info_t *info = spx_cs_opcode_info(cmd->opcode);
  if (!info) return;
  for (uint32_t i = 0; i < info->field_count; i++) {
    const spx_cs_field_info_t *f = &info->fields[i];
    uint64_t v = (uint64_t)cs_field_get(cmd, f);
    switch (spx_cs_field_kind_size(f->kind)) {
    case 1: rec[f->offset] = (uint8_t)v; break;
    case 2: cs_wr16(rec + f->offset, (uint32_t)v); break;
    case 4: cs_wr32(rec + f->offset, (uint32_t)v); break;
    }
  }
}

void spx_cs_command_init_cpu_layer(spx_cs_command_t *cmd, spx_cs_cpu_op_t op,
                                   const char *name) {
  cs_zero(cmd, sizeof *cmd);
  cmd->opcode = SPX_CS_OP_CPU_LAYER;
  cmd->iterations = 1;
  cmd->name = name ? name : "";
  spx_cs_cpu_layer_t *l = &cmd->u.cpu_layer;
  l->op = (uint8_t)op;
  l->in0 = l->in1 = l->in2 = l->in3 = l->out = SPX_CS_NONE;
  l->weights = l->bias = l->mult = l->shift = SPX_CS_NONE;
}

/* ---- crc32 ----------------------------------------------------------------- */

/* Nibble-wise table for the reflected polynomial 0xedb88320. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u,
    0x6b6b51f4u, 0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u,
    0xd6d6a3e8u, 0xcb61b38cu, 0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u,
    0xbdbdf21cu};

uint32_t spx_cs_crc32(uint32_t crc, const void *data, size_t size) {
  const uint8_t *p = (const uint8_t *)data;
  crc = ~crc;
  while (size--) {
    crc ^= *p++;
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
  }
  return ~crc;
}
