/* bs_mdesc.c - the bit-serial machine description: defaults, ranges, the
 * int32 blob the stream carries, and its hash. */
#include "runtime/targets/bitserial/bitserial.h"

static const spx_mdesc_field_t fields[] = {SPX_SIM_BS_MDESC(SPX_MDESC_FIELD_)};

static spx_rt_status_t lanes_even(const int64_t *v, spx_rt_error_t *err) {
  if (v[SPX_SIM_BS_MDESC_I_lanes] % 2)
    return spx_rt_error_set(err, SPX_RT_ERR_RANGE, "lanes: %d is not even",
                            (int)v[SPX_SIM_BS_MDESC_I_lanes]);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}

const spx_mdesc_table_t spx_target_bitserial_mdesc = {fields, SPX_SIM_BS_MDESC_COUNT, lanes_even};

int32_t *spx_sim_bs_mdesc_at(spx_sim_bs_mdesc_t *md, unsigned index) {
  switch (index) {
#define X(m, opt, def, lo, hi, doc) case SPX_SIM_BS_MDESC_I_##m: return &md->m;
    SPX_SIM_BS_MDESC(X)
#undef X
  }
  return 0;
}

void spx_sim_bs_mdesc_init_default(spx_sim_bs_mdesc_t *md) {
#define X(m, opt, def, lo, hi, doc) md->m = def;
  SPX_SIM_BS_MDESC(X)
#undef X
}

spx_rt_status_t spx_sim_bs_mdesc_check(const spx_sim_bs_mdesc_t *md, spx_rt_error_t *err) {
  spx_sim_bs_mdesc_t c = *md;
  int64_t v[SPX_SIM_BS_MDESC_COUNT];
  unsigned i;
  for (i = 0; i < SPX_SIM_BS_MDESC_COUNT; ++i) v[i] = *spx_sim_bs_mdesc_at(&c, i);
  return spx_mdesc_check(&spx_target_bitserial_mdesc, v, err);
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
  return spx_sim_bs_mdesc_check(out, NULL) == SPX_RT_OK ? 0 : -1;
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
