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

void spx_lpa_mdesc_to_values(const spx_lpa_mdesc_t *md, int64_t *v) {
#define X(m, opt, def, lo, hi, doc) v[SPX_LPA_MDESC_I_##m] = md->m;
  SPX_LPA_MDESC(X)
#undef X
}

void spx_lpa_mdesc_from_values(const int64_t *v, spx_lpa_mdesc_t *md) {
#define X(m, opt, def, lo, hi, doc) md->m = (int32_t)v[SPX_LPA_MDESC_I_##m];
  SPX_LPA_MDESC(X)
#undef X
}

/* The checks, the blob and its hash are the kit's (runtime/targets/kit). */
spx_rt_status_t spx_lpa_mdesc_check(const spx_lpa_mdesc_t *md, spx_rt_error_t *err) {
  int64_t v[SPX_LPA_MDESC_COUNT];
  spx_lpa_mdesc_to_values(md, v);
  return spx_mdesc_check(&spx_target_lpa_mdesc, v, err);
}

void spx_lpa_mdesc_encode(const spx_lpa_mdesc_t *md, uint8_t out[SPX_LPA_MDESC_BYTES]) {
  int64_t v[SPX_LPA_MDESC_COUNT];
  spx_lpa_mdesc_to_values(md, v);
  spx_tk_mdesc_encode(&spx_target_lpa_mdesc, v, out);
}

int spx_lpa_mdesc_decode(const uint8_t *data, size_t size, spx_lpa_mdesc_t *out) {
  int64_t v[SPX_LPA_MDESC_COUNT];
  if (spx_tk_mdesc_decode(&spx_target_lpa_mdesc, data, size, v, NULL)) return -1;
  spx_lpa_mdesc_from_values(v, out);
  return 0;
}

uint64_t spx_lpa_mdesc_hash(const spx_lpa_mdesc_t *md) {
  int64_t v[SPX_LPA_MDESC_COUNT];
  spx_lpa_mdesc_to_values(md, v);
  return spx_tk_mdesc_hash(&spx_target_lpa_mdesc, v);
}

const char *spx_lpa_design_name(unsigned design) {
  switch (design) {
#define X(E, m, s) case SPX_LPA_##E: return s;
    SPX_LPA_DESIGNS(X)
#undef X
  }
  return 0;
}
