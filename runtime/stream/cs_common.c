/* cs_common.c - status values, the freestanding formatter, name tables,
 * crc32 and the table-driven command record codec. */
#include "runtime/stream/cs_internal.h"

/* ---- formatter ----------------------------------------------------------- */

typedef struct fmt_out {
  char *buf;
  size_t cap;
  size_t len;
} fmt_out_t;

static void out_c(fmt_out_t *o, char c) {
  if (o->cap && o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void out_pad(fmt_out_t *o, char c, size_t n) {
  while (n--) out_c(o, c);
}

/* Emits digits (already in `d`, most significant first) with sign and
 * padding. */
static void out_field(fmt_out_t *o, const char *sign, const char *d, size_t n,
                      size_t width, bool left, bool zero) {
  size_t sl = cs_strlen(sign), total = sl + n;
  size_t pad = width > total ? width - total : 0;
  if (!left && !zero) out_pad(o, ' ', pad);
  for (size_t i = 0; i < sl; i++) out_c(o, sign[i]);
  if (!left && zero) out_pad(o, '0', pad);
  for (size_t i = 0; i < n; i++) out_c(o, d[i]);
  if (left) out_pad(o, ' ', pad);
}

static size_t utoa_rev(uint64_t v, unsigned base, bool upper, char *tmp) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  size_t n = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  for (size_t i = 0; i < n / 2; i++) {
    char t = tmp[i];
    tmp[i] = tmp[n - 1 - i];
    tmp[n - 1 - i] = t;
  }
  return n;
}

/* %g with 6 significant digits, computed with plain double arithmetic (no
 * libm); deterministic for a given input. */
static void out_g(fmt_out_t *o, double v, size_t width, bool left) {
  char d[32];
  size_t n = 0;
  const char *sign = "";
  if (v != v) {
    out_field(o, "", "nan", 3, width, left, false);
    return;
  }
  if (v < 0) {
    sign = "-";
    v = -v;
  }
  if (v > 1.7976931348623157e308) {
    out_field(o, sign, "inf", 3, width, left, false);
    return;
  }
  if (v == 0) {
    out_field(o, sign, "0", 1, width, left, false);
    return;
  }
  int e = 0;
  while (v >= 10.0) { v /= 10.0; e++; }
  while (v < 1.0) { v *= 10.0; e--; }
  uint64_t m = (uint64_t)(v * 100000.0 + 0.5); /* 6 digits */
  if (m >= 1000000u) { m /= 10; e++; }
  char md[8];
  size_t mn = utoa_rev(m, 10, false, md); /* 6 digits */
  size_t last = mn; /* strip trailing zeros */
  while (last > 1 && md[last - 1] == '0') last--;
  if (e >= -4 && e < 6) { /* as printf %g */
    if (e >= 0) {
      for (int i = 0; i <= e; i++) d[n++] = (size_t)i < last ? md[i] : '0';
      if ((size_t)e + 1 < last) {
        d[n++] = '.';
        for (size_t i = (size_t)e + 1; i < last; i++) d[n++] = md[i];
      }
    } else {
      d[n++] = '0';
      d[n++] = '.';
      for (int i = 0; i < -e - 1; i++) d[n++] = '0';
      for (size_t i = 0; i < last; i++) d[n++] = md[i];
    }
  } else {
    d[n++] = md[0];
    if (last > 1) {
      d[n++] = '.';
      for (size_t i = 1; i < last; i++) d[n++] = md[i];
    }
    d[n++] = 'e';
    d[n++] = e < 0 ? '-' : '+';
    unsigned ae = (unsigned)(e < 0 ? -e : e);
    if (ae < 10) d[n++] = '0';
    n += utoa_rev(ae, 10, false, d + n);
  }
  out_field(o, sign, d, n, width, left, false);
}

size_t spx_cs_vformat(char *buf, size_t cap, const char *fmt, va_list ap) {
  fmt_out_t o = {buf, cap, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      out_c(&o, *f);
      continue;
    }
    f++;
    bool left = false, zero = false;
    for (;; f++) {
      if (*f == '-') left = true;
      else if (*f == '0') zero = true;
      else break;
    }
    size_t width = 0;
    while (*f >= '0' && *f <= '9') width = width * 10 + (size_t)(*f++ - '0');
    size_t prec = (size_t)-1;
    if (*f == '.') {
      f++;
      prec = 0;
      if (*f == '*') {
        int p = va_arg(ap, int);
        prec = p < 0 ? 0 : (size_t)p;
        f++;
      } else {
        while (*f >= '0' && *f <= '9') prec = prec * 10 + (size_t)(*f++ - '0');
      }
    }
    int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
    if (*f == 'h') {
      f++;
      if (*f == 'h') f++;
    } else if (*f == 'l') {
      f++;
      lng = 1;
      if (*f == 'l') { f++; lng = 2; }
    } else if (*f == 'z') {
      f++;
      lng = 3;
    }
    char tmp[24];
    switch (*f) {
    case 'd':
    case 'i': {
      int64_t v = lng == 1 ? va_arg(ap, long)
                  : lng == 2 ? va_arg(ap, long long)
                  : lng == 3 ? (int64_t)va_arg(ap, size_t)
                             : va_arg(ap, int);
      uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
      size_t n = utoa_rev(u, 10, false, tmp);
      out_field(&o, v < 0 ? "-" : "", tmp, n, width, left, zero && !left);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64_t u = lng == 1 ? va_arg(ap, unsigned long)
                   : lng == 2 ? va_arg(ap, unsigned long long)
                   : lng == 3 ? va_arg(ap, size_t)
                              : va_arg(ap, unsigned);
      size_t n = utoa_rev(u, *f == 'u' ? 10 : 16, *f == 'X', tmp);
      out_field(&o, "", tmp, n, width, left, zero && !left);
      break;
    }
    case 'c':
      tmp[0] = (char)va_arg(ap, int);
      out_field(&o, "", tmp, 1, width, left, false);
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      size_t n = 0;
      while (n < prec && s[n]) n++;
      out_field(&o, "", s, n, width, left, false);
      break;
    }
    case 'g':
    case 'f':
      out_g(&o, va_arg(ap, double), width, left);
      break;
    case '%':
      out_c(&o, '%');
      break;
    default: /* unknown conversion: print it literally; never read args */
      out_c(&o, '%');
      if (!*f) return o.len; /* "%" at the end */
      out_c(&o, *f);
      break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return o.len;
}

size_t spx_cs_format(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = spx_cs_vformat(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

void cs_buf_printf(cs_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t at = b->len < b->cap ? b->len : b->cap;
  size_t n = spx_cs_vformat(b->cap ? b->p + at : b->p, b->cap - at, fmt, ap);
  b->len += n;
  va_end(ap);
}

/* ---- status ---------------------------------------------------------------- */

void spx_cs_status_clear(spx_cs_status_t *status) {
  if (!status) return;
  status->code = SPX_CS_OK;
  status->message[0] = '\0';
}

spx_cs_code_t spx_cs_status_set(spx_cs_status_t *status, spx_cs_code_t code,
                                const char *fmt, ...) {
  if (!status) return code;
  status->code = code;
  va_list ap;
  va_start(ap, fmt);
  size_t n = spx_cs_vformat(status->message, sizeof status->message, fmt, ap);
  va_end(ap);
  if (n >= sizeof status->message) { /* mark truncation */
    char *m = status->message + sizeof status->message - 4;
    m[0] = m[1] = m[2] = '.';
  }
  return code;
}

const char *spx_cs_code_name(spx_cs_code_t code) {
  switch (code) {
  case SPX_CS_OK: return "ok";
  case SPX_CS_INVALID_ARGUMENT: return "invalid argument";
  case SPX_CS_DATA_LOSS: return "data loss";
  case SPX_CS_UNIMPLEMENTED: return "unimplemented";
  case SPX_CS_OUT_OF_RANGE: return "out of range";
  case SPX_CS_ABORTED: return "aborted";
  }
  return "unknown";
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

#define X_FIELD(S, name, off, kind, doc)                                      \
  {#name, off, SPX_CS_FK_##kind, (uint16_t)offsetof(S, name), doc},
#define X(E, m, code, text, FIELDS, doc)                                      \
  static const spx_cs_field_info_t fields_##m[] = {FIELDS(X_FIELD, spx_cs_##m##_t)};
SPX_CS_OPCODES(X)
#undef X
#undef X_FIELD

static const spx_cs_opcode_info_t opcode_table[] = {
#define X(E, m, code, text, FIELDS, doc)                                      \
  {code, text, doc, fields_##m, sizeof fields_##m / sizeof fields_##m[0]},
    SPX_CS_OPCODES(X)
#undef X
};

const spx_cs_opcode_info_t *spx_cs_opcode_info(unsigned opcode) {
  for (size_t i = 0; i < sizeof opcode_table / sizeof opcode_table[0]; i++)
    if (opcode_table[i].opcode == opcode) return &opcode_table[i];
  return NULL;
}

const spx_cs_opcode_info_t *spx_cs_opcode_table(uint32_t *out_count) {
  if (out_count)
    *out_count = (uint32_t)(sizeof opcode_table / sizeof opcode_table[0]);
  return opcode_table;
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
