/* mdesc.c - the LP array's machine description: defaults, ranges, the int32
 * blob the stream carries, and its hash. */
#include "runtime/targets/lpa/lpa.h"

static const spx_mdesc_field_t fields[] = {SPX_LPA_MDESC(SPX_MDESC_FIELD_)};

const spx_mdesc_table_t spx_target_lpa_mdesc = {fields, SPX_LPA_MDESC_COUNT, NULL};

int32_t *spx_lpa_mdesc_at(spx_lpa_mdesc_t *md, unsigned index) {
  switch (index) {
#define X(m, opt, def, lo, hi, doc) case SPX_LPA_MDESC_I_##m: return &md->m;
    SPX_LPA_MDESC(X)
#undef X
  }
  return 0;
}

void spx_lpa_mdesc_init_default(spx_lpa_mdesc_t *md) {
#define X(m, opt, def, lo, hi, doc) md->m = def;
  SPX_LPA_MDESC(X)
#undef X
}

spx_rt_status_t spx_lpa_mdesc_check(const spx_lpa_mdesc_t *md, spx_rt_error_t *err) {
  spx_lpa_mdesc_t c = *md;
  int64_t v[SPX_LPA_MDESC_COUNT];
  unsigned i;
  for (i = 0; i < SPX_LPA_MDESC_COUNT; ++i) v[i] = *spx_lpa_mdesc_at(&c, i);
  return spx_mdesc_check(&spx_target_lpa_mdesc, v, err);
}

void spx_lpa_mdesc_encode(const spx_lpa_mdesc_t *md, uint8_t out[SPX_LPA_MDESC_BYTES]) {
  spx_lpa_mdesc_t c = *md;
  unsigned i, b;
  for (i = 0; i < SPX_LPA_MDESC_COUNT; ++i) {
    uint32_t v = (uint32_t)*spx_lpa_mdesc_at(&c, i);
    for (b = 0; b < 4; ++b) out[4 * i + b] = (uint8_t)(v >> (8 * b));
  }
}

int spx_lpa_mdesc_decode(const uint8_t *data, size_t size, spx_lpa_mdesc_t *out) {
  unsigned i;
  if (!data || size != SPX_LPA_MDESC_BYTES) return -1;
  for (i = 0; i < SPX_LPA_MDESC_COUNT; ++i) {
    const uint8_t *p = data + 4 * i;
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    *spx_lpa_mdesc_at(out, i) = (int32_t)v;
  }
  return spx_lpa_mdesc_check(out, NULL) == SPX_RT_OK ? 0 : -1;
}

uint64_t spx_lpa_mdesc_hash(const spx_lpa_mdesc_t *md) {
  uint8_t buf[SPX_LPA_MDESC_BYTES];
  uint64_t h = 0xcbf29ce484222325ull;
  unsigned i;
  spx_lpa_mdesc_encode(md, buf);
  for (i = 0; i < sizeof buf; ++i) {
    h ^= buf[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

const char *spx_lpa_design_name(unsigned design) {
  switch (design) {
#define X(E, m, s) case SPX_LPA_##E: return s;
    SPX_LPA_DESIGNS(X)
#undef X
  }
  return 0;
}
