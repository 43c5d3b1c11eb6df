/* bs_mdesc.c - the bit-serial machine description: defaults, ranges, the
 * int32 blob the stream carries, and its hash. */
#include "runtime/sim/bitserial/spx_sim_bitserial.h"

static const spx_sim_bs_mdesc_field_t fields[] = {
#define X(m, def, lo, hi, doc) {#m, def, lo, hi, doc},
    SPX_SIM_BS_MDESC(X)
#undef X
};

const spx_sim_bs_mdesc_field_t *spx_sim_bs_mdesc_fields(void) { return fields; }

int32_t *spx_sim_bs_mdesc_at(spx_sim_bs_mdesc_t *md, unsigned index) {
  switch (index) {
#define X(m, def, lo, hi, doc) case SPX_SIM_BS_MDESC_I_##m: return &md->m;
    SPX_SIM_BS_MDESC(X)
#undef X
  }
  return 0;
}

void spx_sim_bs_mdesc_init_default(spx_sim_bs_mdesc_t *md) {
#define X(m, def, lo, hi, doc) md->m = def;
  SPX_SIM_BS_MDESC(X)
#undef X
}

int spx_sim_bs_mdesc_check(const spx_sim_bs_mdesc_t *md, char *reason,
                           size_t cap) {
  spx_sim_bs_mdesc_t c = *md;
  unsigned i;
  if (reason && cap) reason[0] = '\0';
  for (i = 0; i < SPX_SIM_BS_MDESC_COUNT; ++i) {
    int32_t v = *spx_sim_bs_mdesc_at(&c, i);
    if (v < fields[i].min || v > fields[i].max) {
      if (reason)
        spx_rt_format(reason, cap, "%s: %d is outside [%d, %d]", fields[i].name,
                      (int)v, (int)fields[i].min, (int)fields[i].max);
      return -1;
    }
  }
  if (md->lanes % 2) {
    if (reason) spx_rt_format(reason, cap, "lanes: %d is not even", (int)md->lanes);
    return -1;
  }
  return 0;
}

void spx_sim_bs_mdesc_encode(const spx_sim_bs_mdesc_t *md,
                             uint8_t out[SPX_SIM_BS_MDESC_BYTES]) {
  spx_sim_bs_mdesc_t c = *md;
  unsigned i, b;
  for (i = 0; i < SPX_SIM_BS_MDESC_COUNT; ++i) {
    uint32_t v = (uint32_t)*spx_sim_bs_mdesc_at(&c, i);
    for (b = 0; b < 4; ++b) out[4 * i + b] = (uint8_t)(v >> (8 * b));
  }
}

int spx_sim_bs_mdesc_decode(const uint8_t *data, size_t size,
                            spx_sim_bs_mdesc_t *out) {
  unsigned i;
  if (!data || size != SPX_SIM_BS_MDESC_BYTES) return -1;
  for (i = 0; i < SPX_SIM_BS_MDESC_COUNT; ++i) {
    const uint8_t *p = data + 4 * i;
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    *spx_sim_bs_mdesc_at(out, i) = (int32_t)v;
  }
  return spx_sim_bs_mdesc_check(out, 0, 0);
}

uint64_t spx_sim_bs_mdesc_hash(const spx_sim_bs_mdesc_t *md) {
  uint8_t buf[SPX_SIM_BS_MDESC_BYTES];
  uint64_t h = 0xcbf29ce484222325ull;
  unsigned i;
  spx_sim_bs_mdesc_encode(md, buf);
  for (i = 0; i < sizeof buf; ++i) {
    h ^= buf[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

const char *spx_sim_bs_design_name(unsigned design) {
  switch (design) {
#define X(E, m, s) case SPX_SIM_BS_##E: return s;
    SPX_SIM_BS_DESIGNS(X)
#undef X
  }
  return 0;
}
