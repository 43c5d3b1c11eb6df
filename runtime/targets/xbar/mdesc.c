/* mdesc.c - the crossbar target's machine description: defaults, ranges,
 * the int32 blob the stream carries and its hash (the target kit's), and
 * the network parameters it gives the solver. */
#include "runtime/targets/xbar/xbar.h"

static const spx_mdesc_field_t fields[] = {SPX_XBAR_MDESC(SPX_MDESC_FIELD_)};

/* Beyond the ranges: a read fits the array. */
static spx_rt_status_t check(const int64_t *v, spx_rt_error_t *err) {
  if (v[SPX_XBAR_MDESC_I_read_rows] > v[SPX_XBAR_MDESC_I_rows])
    return spx_rt_error_set(err, SPX_RT_ERR_RANGE, "read_rows: %lld is more than the %lld array "
                            "rows", (long long)v[SPX_XBAR_MDESC_I_read_rows],
                            (long long)v[SPX_XBAR_MDESC_I_rows]);
  return SPX_RT_OK;
}

const spx_mdesc_table_t spx_target_xbar_mdesc = {fields, SPX_XBAR_MDESC_COUNT, check};

void spx_xbar_mdesc_init_default(spx_xbar_mdesc_t *md) {
#define X(m, opt, def, lo, hi, doc) md->m = def;
  SPX_XBAR_MDESC(X)
#undef X
}

void spx_xbar_mdesc_to_values(const spx_xbar_mdesc_t *md, int64_t *v) {
#define X(m, opt, def, lo, hi, doc) v[SPX_XBAR_MDESC_I_##m] = md->m;
  SPX_XBAR_MDESC(X)
#undef X
}

void spx_xbar_mdesc_from_values(const int64_t *v, spx_xbar_mdesc_t *md) {
#define X(m, opt, def, lo, hi, doc) md->m = (int32_t)v[SPX_XBAR_MDESC_I_##m];
  SPX_XBAR_MDESC(X)
#undef X
}

int spx_xbar_mdesc_decode(const uint8_t *data, size_t size, spx_xbar_mdesc_t *out) {
  int64_t v[SPX_XBAR_MDESC_COUNT];
  if (spx_tk_mdesc_decode(&spx_target_xbar_mdesc, data, size, v, NULL)) return -1;
  spx_xbar_mdesc_from_values(v, out);
  return 0;
}

uint64_t spx_xbar_mdesc_hash(const spx_xbar_mdesc_t *md) {
  int64_t v[SPX_XBAR_MDESC_COUNT];
  spx_xbar_mdesc_to_values(md, v);
  return spx_tk_mdesc_hash(&spx_target_xbar_mdesc, v);
}

/* The cell types' resistances (docs/targets.md, "xbar", gives the sources;
 * both are estimates for a 7 nm-class process):
 *   8T-SRAM: the read port (two series fins) on: 20 kilohm; off: leakage
 *            of about 0.1 nA at 0.7 V, 7 gigohm;
 *   1T-1R:   HfOx RRAM low-resistance state 10 kilohm, high-resistance
 *            state 1 megohm (on/off 100). */
void spx_xbar_net_of(const spx_xbar_mdesc_t *md, spx_xbar_net_t *net) {
  double r_on = md->cell == SPX_XBAR_CELL_SRAM8T ? 20e3 : 10e3;
  double r_off = md->cell == SPX_XBAR_CELL_SRAM8T ? 7e9 : 1e6;
  if (md->r_on_ohm) r_on = (double)md->r_on_ohm;
  if (md->r_off_kohm) r_off = (double)md->r_off_kohm * 1e3;
  net->rows = (uint32_t)md->rows;
  net->cols = (uint32_t)md->cols;
  net->g_on = 1.0 / r_on;
  net->g_off = 1.0 / r_off;
  net->r_wire = (double)md->r_wire_mohm * 1e-3;
  net->r_drv = (double)md->r_drv_mohm * 1e-3;
  net->r_sink = (double)md->r_sink_mohm * 1e-3;
}
