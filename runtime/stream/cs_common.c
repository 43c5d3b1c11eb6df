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

/* Byte-wise table for the reflected polynomial 0xedb88320 (crc_table[i] is
 * the crc of byte i): one lookup per byte, 1 KiB of constants. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du};

/* Loading a stream computes the crc of every byte of it (the header's and
 * each blob's): tens of megabytes for a ResNet. Slicing-by-16 takes 16
 * bytes per step through 16 tables (cs_crc32_slice.h; about 7x the
 * byte-wise speed), which are 15 KiB more constants; a runtime built for
 * size (-Os, CMake's MinSizeRel: firmware) keeps the byte-wise loop alone
 * (SPX_CS_CRC32_BYTEWISE forces it). Same values either way. */
#if defined(__OPTIMIZE_SIZE__) && !defined(SPX_CS_CRC32_BYTEWISE)
#define SPX_CS_CRC32_BYTEWISE 1
#endif

#ifndef SPX_CS_CRC32_BYTEWISE
#include "runtime/stream/cs_crc32_slice.h"

#define T(k, x) crc_slice[(k) - 1][(x) & 0xffu]
#define T4(k, w) (T(k, w) ^ T((k) - 1, (w) >> 8) ^ T((k) - 2, (w) >> 16) ^ T((k) - 3, (w) >> 24))
#endif

uint32_t spx_cs_crc32(uint32_t crc, const void *data, size_t size) {
  const uint8_t *p = (const uint8_t *)data;
  crc = ~crc;
#ifndef SPX_CS_CRC32_BYTEWISE
  for (; size >= 16; size -= 16, p += 16) {
    uint32_t a = cs_rd32(p) ^ crc, b = cs_rd32(p + 4), c = cs_rd32(p + 8), d = cs_rd32(p + 12);
    crc = T4(15, a) ^ T4(11, b) ^ T4(7, c) ^ T(3, d) ^ T(2, d >> 8) ^ T(1, d >> 16) ^
          crc_table[d >> 24];
  }
#endif
  while (size--) crc = (crc >> 8) ^ crc_table[(crc ^ *p++) & 0xffu];
  return ~crc;
}

/* ---- crc32 of a concatenation ---------------------------------------------- */

/* a * b modulo the CRC polynomial, both reflected (bit 31: x^0). */
static uint32_t crc_multmodp(uint32_t a, uint32_t b) {
  uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1u)) == 0) break;
    }
    m >>= 1;
    b = b & 1u ? (b >> 1) ^ 0xedb88320u : b >> 1;
  }
  return p;
}

uint32_t spx_cs_crc32_combine(uint32_t crc1, uint32_t crc2, size_t len2) {
  /* crc1 advanced over len2 zero bytes: times x^(8 len2), by squaring
   * (x2k = x^(2^k), from x^1; bit k of 8 len2) */
  uint32_t p = 1u << 31, x2k = 1u << 30;
  uint64_t n = (uint64_t)len2 * 8u;
  for (; n; n >>= 1, x2k = crc_multmodp(x2k, x2k))
    if (n & 1u) p = crc_multmodp(x2k, p);
  return crc_multmodp(p, crc1) ^ crc2;
}
