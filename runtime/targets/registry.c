/* registry.c - the target registry (spx_targets.h) as a table, and the
 * checks every machine description shares. */
#include "runtime/spx_targets.h"

#define SPX_TF(F, HOW, why) .support[SPX_FMT_##F] = SPX_TARGET_##HOW, .reason[SPX_FMT_##F] = why,
static const spx_target_desc_t table[] = {
#define X(E, nm, code, lo, hi, low, dev, doc, FORMATS)                        \
  {.id = code, .name = #nm, .summary = doc, .first_opcode = lo,               \
   .last_opcode = hi, .lowered = low, .mdesc = &spx_target_##nm##_mdesc, FORMATS},
    SPX_TARGETS(X)
#undef X
};
#undef SPX_TF

#define TABLE_COUNT (sizeof table / sizeof table[0])

const spx_target_desc_t *spx_target_table(unsigned *out_count) {
  if (out_count) *out_count = (unsigned)TABLE_COUNT;
  return table;
}

const spx_target_desc_t *spx_target_find(unsigned id) {
  unsigned i;
  for (i = 0; i < TABLE_COUNT; ++i)
    if (table[i].id == id) return &table[i];
  return 0;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

const spx_target_desc_t *spx_target_find_name(const char *name) {
  unsigned i;
  if (!name) return 0;
  for (i = 0; i < TABLE_COUNT; ++i)
    if (same(table[i].name, name)) return &table[i];
  return 0;
}

spx_target_support_t spx_target_format_support(const spx_target_desc_t *t,
                                               unsigned code,
                                               const char **reason) {
  const spx_fmt_desc_t *f = spx_fmt_find(code);
  spx_target_support_t s = SPX_TARGET_REFUSED;
  const char *why = "";
  if (t && f && code < SPX_FMT_COUNT_) {
    s = (spx_target_support_t)t->support[code];
    why = t->reason[code] ? t->reason[code] : "";
    if (s == SPX_TARGET_DECODED && !f->decodes_to_s8) {
      s = SPX_TARGET_REFUSED;
      why = "its weights do not decode to int8";
    }
    if (s == SPX_TARGET_REFUSED && !*why) why = "the target does not declare this format";
  } else if (!f) {
    why = "unknown weight encoding";
  }
  if (reason) *reason = why;
  return s;
}

const char *spx_target_support_name(spx_target_support_t support) {
  switch (support) {
  case SPX_TARGET_NATIVE: return "native";
  case SPX_TARGET_DECODED: return "decoded";
  case SPX_TARGET_REFUSED: return "refused";
  }
  return "refused";
}

spx_rt_status_t spx_mdesc_check(const spx_mdesc_table_t *t, const int64_t *values,
                                spx_rt_error_t *err) {
  unsigned i;
  for (i = 0; i < t->count; ++i) {
    const spx_mdesc_field_t *f = &t->fields[i];
    if (values[i] < f->min || values[i] > f->max)
      return spx_rt_error_set(err, SPX_RT_ERR_RANGE, "%s: %lld is outside [%lld, %lld]",
                              f->option, (long long)values[i], (long long)f->min,
                              (long long)f->max);
  }
  if (t->check) return t->check(values, err);
  spx_rt_error_clear(err);
  return SPX_RT_OK;
}
