/* formats.c - the table of weight formats, made from SPX_FMT_ENCODINGS. */
#include "runtime/formats/spx_formats.h"

static const spx_fmt_desc_t *const table[] = {
#define SPX_FMT_X_(E, code, text) &spx_fmt_desc_##E,
    SPX_FMT_ENCODINGS(SPX_FMT_X_)
#undef SPX_FMT_X_
};

#define TABLE_COUNT (sizeof table / sizeof table[0])

size_t spx_fmt_dims_count(const spx_fmt_dims_t *dims) {
  size_t n = 1;
  size_t f[4];
  unsigned i;
  if (!dims) return 0;
  f[0] = dims->rows;
  f[1] = dims->cols;
  f[2] = dims->kh;
  f[3] = dims->kw;
  for (i = 0; i < 4; ++i) {
    if (!f[i] || n > (size_t)-1 / f[i]) return 0;
    n *= f[i];
  }
  return n;
}

const spx_fmt_desc_t *spx_fmt_find(unsigned code) {
  unsigned i;
  for (i = 0; i < TABLE_COUNT; ++i)
    if (table[i]->code == code) return table[i];
  return NULL;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

const spx_fmt_desc_t *spx_fmt_find_name(const char *name) {
  unsigned i;
  if (!name) return NULL;
  for (i = 0; i < TABLE_COUNT; ++i)
    if (same(table[i]->name, name)) return table[i];
  return NULL;
}

const spx_fmt_desc_t *const *spx_fmt_table(unsigned *out_count) {
  if (out_count) *out_count = (unsigned)TABLE_COUNT;
  return table;
}

size_t spx_fmt_col_len(const spx_fmt_desc_t *desc, const spx_fmt_dims_t *dims) {
  size_t taps, cb, blocks;
  if (!desc || !spx_fmt_dims_count(dims)) return 0;
  taps = (size_t)dims->kh * dims->kw;
  if (desc->cols_kind != SPX_FMT_COLS_S8 || desc->chan_block <= 1)
    return (size_t)dims->cols * taps;
  cb = desc->chan_block;
  blocks = dims->cols / cb + (dims->cols % cb != 0);
  return blocks * cb * taps;
}

uint32_t spx_fmt_acc_term(const spx_fmt_desc_t *f) {
  uint32_t t = f ? 255u * f->max_abs_weight : 0;
  return t > SPX_FMT_ACC_TERM_S8 ? t : SPX_FMT_ACC_TERM_S8;
}
