/* check.c - the loader checks every PE opcode of the bs.pe / lpa.pe shape
 * repeats (kit.h): its machine-description blob and its tiling. */
#include "runtime/targets/kit/kit.h"
#include "runtime/stream/cs_internal.h"

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

spx_rt_status_t spx_tk_check_mdesc(struct cs_vctx *v, uint32_t i, const char *opn,
                                   uint16_t blob, const spx_mdesc_table_t *t, int64_t *values) {
  spx_cs_blob_t mb;
  spx_rt_error_t why;
  if (blob == SPX_CS_NONE)
    return cs_bad(v, "command %u (%s): field 'mdesc': missing machine description", (unsigned)i,
                  opn);
  cs_get_blob(v, blob, &mb);
  if (mb.dtype != SPX_CS_DTYPE_INT32 || mb.encoding != SPX_CS_ENC_DENSE ||
      mb.length != SPX_TK_MDESC_BYTES(t->count))
    return cs_bad(v, "command %u (%s): field 'mdesc': blob%u is not a %u-byte int32 machine "
                  "description", (unsigned)i, opn, (unsigned)blob, SPX_TK_MDESC_BYTES(t->count));
  if (spx_tk_mdesc_decode(t, mb.data, mb.length, values, &why))
    return cs_bad(v, "command %u (%s): field 'mdesc': blob%u: %s", (unsigned)i, opn,
                  (unsigned)blob, why.message);
  return SPX_RT_OK;
}

spx_rt_status_t spx_tk_check_tiles(struct cs_vctx *v, uint32_t i, const char *opn,
                                   const spx_tk_geom_t *g, const spx_tk_tiling_t *t,
                                   uint32_t rows, const char *rows_name, uint32_t k_group) {
  uint64_t mt, pt, kt;
  if (t->tile_m == 0 || t->tile_m > g->cout || (t->tile_m % rows && t->tile_m != g->cout))
    return cs_bad(v, "command %u (%s): field 'tile_m': %u must be in [1, %u] and a multiple of "
                  "the %d %s (or all channels)", (unsigned)i, opn, (unsigned)t->tile_m,
                  (unsigned)g->cout, (int)rows, rows_name);
  if (k_group && (t->tile_k == 0 || t->tile_k > g->k || (t->tile_k % k_group && t->tile_k != g->k)))
    return cs_bad(v, "command %u (%s): field 'tile_k': %u must be in [1, %llu] and whole groups "
                  "of %u", (unsigned)i, opn, (unsigned)t->tile_k, (unsigned long long)g->k,
                  (unsigned)k_group);
  if (t->tile_k == 0 || t->tile_k > g->k)
    return cs_bad(v, "command %u (%s): field 'tile_k': %u must be in [1, %llu]", (unsigned)i,
                  opn, (unsigned)t->tile_k, (unsigned long long)g->k);
  if (t->tile_p == 0 || t->tile_p > g->p)
    return cs_bad(v, "command %u (%s): field 'tile_p': %u must be in [1, %llu]", (unsigned)i,
                  opn, (unsigned)t->tile_p, (unsigned long long)g->p);
  mt = ceil_div(g->cout, t->tile_m);
  pt = ceil_div(g->p, t->tile_p);
  kt = ceil_div(g->k, t->tile_k);
  if (t->tiles != mt * pt * kt)
    return cs_bad(v, "command %u (%s): field 'iterations': %u, but the tiling has %llu x %llu x "
                  "%llu = %llu tiles", (unsigned)i, opn, (unsigned)t->tiles,
                  (unsigned long long)mt, (unsigned long long)pt, (unsigned long long)kt,
                  (unsigned long long)(mt * pt * kt));
  return SPX_RT_OK;
}
