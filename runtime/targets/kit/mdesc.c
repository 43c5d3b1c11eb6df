/* mdesc.c - the target kit's machine-description blob (kit.h): defaults,
 * the int32 little-endian codec, its hash, and the description a stream
 * runs on. */
#include "runtime/targets/kit/kit.h"

void spx_tk_mdesc_defaults(const spx_mdesc_table_t *t, int64_t *v) {
  unsigned i;
  for (i = 0; i < t->count; ++i) v[i] = t->fields[i].def;
}

void spx_tk_mdesc_encode(const spx_mdesc_table_t *t, const int64_t *v, uint8_t *out) {
  unsigned i, b;
  for (i = 0; i < t->count; ++i) {
    uint32_t x = (uint32_t)v[i];
    for (b = 0; b < 4; ++b) out[4 * i + b] = (uint8_t)(x >> (8 * b));
  }
}

int spx_tk_mdesc_decode(const spx_mdesc_table_t *t, const uint8_t *data, size_t size,
                        int64_t *v, spx_rt_error_t *err) {
  unsigned i;
  if (!data) return spx_rt_error_set(err, SPX_RT_ERR_ARG, "no data"), -1;
  if (size != SPX_TK_MDESC_BYTES(t->count))
    return spx_rt_error_set(err, SPX_RT_ERR_ARG, "%u bytes, not %u", (unsigned)size,
                            SPX_TK_MDESC_BYTES(t->count)),
           -1;
  for (i = 0; i < t->count; ++i) {
    const uint8_t *p = data + 4 * i;
    uint32_t x = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    v[i] = (int32_t)x;
  }
  return spx_mdesc_check(t, v, err) == SPX_RT_OK ? 0 : -1;
}

uint64_t spx_tk_mdesc_hash(const spx_mdesc_table_t *t, const int64_t *v) {
  uint64_t h = 0xcbf29ce484222325ull;
  unsigned i, b;
  for (i = 0; i < t->count; ++i) {
    uint32_t x = (uint32_t)v[i];
    for (b = 0; b < 4; ++b) {
      h ^= (x >> (8 * b)) & 0xffu;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

void spx_tk_stream_mdesc(const spx_cs_stream_t *s, const spx_mdesc_table_t *t,
                         spx_tk_mdesc_blob_fn mdesc_of, int64_t *v) {
  uint32_t i;
  spx_tk_mdesc_defaults(t, v);
  for (i = 0; i < s->command_count; ++i) {
    spx_cs_command_t c;
    spx_cs_blob_t b;
    uint16_t id;
    spx_cs_stream_command(s, i, &c);
    if ((id = mdesc_of(&c)) == SPX_CS_NONE) continue;
    spx_cs_stream_blob(s, id, &b);
    if (spx_tk_mdesc_decode(t, b.data, b.length, v, NULL)) spx_tk_mdesc_defaults(t, v);
    return;
  }
}
