/* targets.c - the compiler's view of the target registry
 * (runtime/spx_targets.h): each target's lowering, its options, and the
 * format x target matrix as text for `spxc --list-targets`. */
#include "backends/spx_backend.h"

#include <string.h>

#define FN_0(nm, fn) NULL
#define FN_1(nm, fn) spx_target_##nm##_##fn
static spx_backend_target_t targets[] = {
#define X(E, nm, id, lo, hi, low, ...) {NULL, FN_##low(nm, lower)},
    SPX_TARGETS(X)
#undef X
};
#undef FN_0
#undef FN_1
#define COUNT (sizeof targets / sizeof targets[0])

/* The registry entries, in the same (registry) order. */
static const spx_backend_target_t *table(void) {
  if (!targets[0].desc) {
    unsigned n = 0;
    const spx_target_desc_t *d = spx_target_table(&n);
    SPX_ASSERT(n == COUNT);
    for (unsigned i = 0; i < n; i++) targets[i].desc = &d[i];
  }
  return targets;
}

const spx_backend_target_t *spx_backend_target_find(const char *name) {
  const spx_backend_target_t *t = table();
  for (size_t i = 0; i < COUNT; i++)
    if (name && strcmp(t[i].desc->name, name) == 0) return &t[i];
  return NULL;
}

const char *spx_backend_target_names(void) {
  static char names[256];
  if (!names[0]) {
    const spx_backend_target_t *t = table();
    for (size_t i = 0; i < COUNT; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
               t[i].desc->name);
  }
  return names;
}

void spx_backend_targets_list(FILE *out) {
  const spx_backend_target_t *t = table();
  unsigned nf = 0;
  const spx_fmt_desc_t *const *f = spx_fmt_table(&nf);
  fputs("Targets, and how each takes each weight format (native: its stream carries\n"
        "the format; decoded: spxc stores the weights as dense int8 and warns;\n"
        "refused: spxc reports an error at the layer):\n\n  target    ", out);
  for (unsigned k = 0; k < nf; k++) fprintf(out, k + 1 < nf ? " %-8s" : " %s", f[k]->name);
  fputc('\n', out);
  for (size_t i = 0; i < COUNT; i++) {
    fprintf(out, "  %-10s", t[i].desc->name);
    for (unsigned k = 0; k < nf; k++)
      fprintf(out, k + 1 < nf ? " %-8s" : " %s",
              spx_target_support_name(spx_target_format_support(t[i].desc, f[k]->code, NULL)));
    fputc('\n', out);
  }
  for (size_t i = 0; i < COUNT; i++) {
    fprintf(out, "\n%s: %s\n", t[i].desc->name, t[i].desc->summary);
    for (unsigned k = 0; k < nf; k++) {
      const char *why = "";
      spx_target_support_t how = spx_target_format_support(t[i].desc, f[k]->code, &why);
      if (how != SPX_TARGET_NATIVE)
        fprintf(out, "  %s %s: %s\n", how == SPX_TARGET_DECODED ? "decodes" : "refuses",
                f[k]->name, why);
    }
    const spx_mdesc_table_t *md = t[i].desc->mdesc;
    if (md->count) {
      fputs("  options:\n", out);
      for (unsigned k = 0; k < md->count; k++)
        fprintf(out, "    %-16s %-8lld %s\n", md->fields[k].option,
                (long long)md->fields[k].def, md->fields[k].doc);
    } else {
      fputs("  options: none\n", out);
    }
  }
}

int spx_backend_read_mdesc(const spx_program_t *p, int64_t *values, spx_diag_t *diag) {
  const spx_target_desc_t *t = spx_target_find_name(p->target);
  SPX_ASSERT(t);
  const spx_mdesc_table_t *md = t->mdesc;
  for (unsigned k = 0; k < md->count; k++) values[k] = md->fields[k].def;
  for (int i = 0; i < p->n_target_options; i++) {
    const spx_backend_option_t *o = &p->target_options[i];
    spx_loc_t at = p->target_loc;
    if (p->target_option_locs && p->target_option_locs[i].line > 0) at = p->target_option_locs[i];
    unsigned k = 0;
    while (k < md->count && strcmp(md->fields[k].option, o->key) != 0) k++;
    if (k == md->count) {
      const char *names[64];
      char known[512] = "";
      unsigned n = md->count < 64 ? md->count : 64;
      for (unsigned j = 0; j < n; j++) {
        names[j] = md->fields[j].option;
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                 names[j]);
      }
      const char *near = spx_diag_suggest(o->key, names, (int)n);
      if (!n)
        spx_diag_error(diag, at, "target %s: unknown option '%s' (the target has none)",
                       t->name, o->key);
      else if (near)
        spx_diag_error(diag, at, "target %s: unknown option '%s'; did you mean '%s'? "
                       "(known: %s)", t->name, o->key, near, known);
      else
        spx_diag_error(diag, at, "target %s: unknown option '%s' (known: %s)", t->name,
                       o->key, known);
      return -1;
    }
    if (o->str || !(o->num >= -9.0e15 && o->num <= 9.0e15) ||
        o->num != (double)(int64_t)o->num) {
      spx_diag_error(diag, at, "target %s: option '%s' needs an integer", t->name, o->key);
      return -1;
    }
    values[k] = (int64_t)o->num;
  }
  spx_rt_error_t why;
  if (spx_mdesc_check(md, values, &why) != SPX_RT_OK) {
    spx_diag_error(diag, p->target_loc, "target %s: option %s", t->name, why.message);
    return -1;
  }
  return 0;
}

/* Options idle in some configuration of their target: `option` has no
 * effect while option `gate` is `idle`. Only what the simulator and the
 * cost model really leave unread (xbar: runtime/targets/xbar/sim.c reads the
 * cell and wire resistances and the ADC in nonideal mode only; cost.c never). */
static const struct {
  const char *target, *option, *gate;
  int64_t idle;
  const char *why;
} idle_options[] = {
#define XBAR_IDEAL(opt) \
  {"xbar", opt, "mode", 0, "in ideal mode (mode=0) reads are exact; mode=1 models the IR drop and the ADC"}
    XBAR_IDEAL("cell"),        XBAR_IDEAL("r_on_ohm"),    XBAR_IDEAL("r_off_kohm"),
    XBAR_IDEAL("r_wire_mohm"), XBAR_IDEAL("r_drv_mohm"),  XBAR_IDEAL("r_sink_mohm"),
    XBAR_IDEAL("adc_bits"),
#undef XBAR_IDEAL
};

static int mdesc_index(const spx_mdesc_table_t *md, const char *option) {
  for (unsigned k = 0; k < md->count; k++)
    if (strcmp(md->fields[k].option, option) == 0) return (int)k;
  return -1;
}

void spx_backend_warn_idle_options(const spx_program_t *p, const int64_t *values,
                                   spx_diag_t *diag) {
  const spx_target_desc_t *t = spx_target_find_name(p->target);
  if (!t) return;
  for (int i = 0; i < p->n_target_options; i++) {
    const char *key = p->target_options[i].key;
    for (size_t k = 0; k < sizeof idle_options / sizeof idle_options[0]; k++) {
      if (strcmp(idle_options[k].target, t->name) != 0 || strcmp(idle_options[k].option, key) != 0)
        continue;
      int g = mdesc_index(t->mdesc, idle_options[k].gate);
      if (g < 0 || values[g] != idle_options[k].idle) continue;
      spx_loc_t at = p->target_loc;
      if (p->target_option_locs && p->target_option_locs[i].line > 0) at = p->target_option_locs[i];
      spx_diag_warning(diag, at, "target %s: option '%s' has no effect with %s=%lld: %s", t->name,
                       key, idle_options[k].gate, (long long)idle_options[k].idle,
                       idle_options[k].why);
    }
  }
}
