/* prepare.c - a loaded model's weights decoded and packed once
 * (spx_rt_model_prepare, spx_device.h "Prepared weights").
 *
 * The one place of the runtime that allocates: one block per model, freed
 * by spx_rt_model_release. Generated C never calls it (a product without
 * malloc links nothing of this file); the cpu device and the simulators
 * only read what it made (spx_rt_model_prepared, model.c), so runs on
 * several threads share it. The per-layer work (which layers, decoding
 * through the format's descriptor, packing) is layer_run.c's, allocation
 * free. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* madvise */
#include <sys/mman.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "runtime/device/spx_device.h"

/* The block, fresh memory that the packing writes once, whole: on Linux,
 * past 4 MiB, 2 MiB aligned and advised to take transparent huge pages (a
 * page fault per 2 MiB instead of per 4 KiB: faults were half of packing
 * an int8 ResNet-18, 20 ms, where each fault is a VM exit). Freed with
 * free() either way. */
static void *block_alloc(size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const size_t huge = (size_t)2 << 20;
  if (size >= 2 * huge) {
    const size_t rounded = (size + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, rounded);
    if (p) {
      (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only */
      return p;
    }
  }
#endif
  return malloc(size);
}

void spx_rt_model_release(spx_rt_model_t *m) {
  uint32_t i;
  if (!m || !m->prepared) return;
  for (i = 0; i < m->prepared->count; ++i) free(m->prepared->residuals[i]);
  free(m->prepared->mem);
  m->prepared = NULL;
}

/* Layer i of the model's stream as its device runs it with prepared
 * weights: 1 and *d decoded, else 0. */
static int layer_at(const spx_rt_model_t *m, uint32_t i, spx_rt_layer_decoded_t *d) {
  const uint8_t op = spx_cs_stream_opcode(&m->stream, i);
  spx_cs_command_t c;
  unsigned k;
  for (k = 0; k < sizeof m->device->layer_opcodes; ++k)
    if (m->device->layer_opcodes[k] && op == m->device->layer_opcodes[k]) {
      spx_cs_stream_command(&m->stream, i, &c); /* only the layers' records */
      if (spx_rt_layer_decode(&m->stream, &c.u.cpu_layer, d, NULL) != SPX_RT_OK) return 0;
      return !m->device->prepare_dense_only || !d->blobp[0] ||
             d->blobp[0]->encoding == SPX_CS_ENC_DENSE;
    }
  return 0;
}

/* The weights a layer's decode reported beyond int8 (index, exact -
 * clamped), collected as they come. */
typedef struct excess_list {
  size_t n, cap;
  struct entry {
    size_t index;
    int32_t value;
  } *e;
  int failed; /* out of memory */
} excess_list_t;

static void on_excess(void *ctx, size_t index, int32_t value) {
  excess_list_t *x = (excess_list_t *)ctx;
  if (x->failed) return;
  if (x->n == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 64;
    struct entry *e = (struct entry *)realloc(x->e, cap * sizeof *e);
    if (!e) {
      x->failed = 1;
      return;
    }
    x->e = e;
    x->cap = cap;
  }
  x->e[x->n].index = index;
  x->e[x->n].value = value;
  x->n++;
}

static int by_index(const void *a, const void *b) {
  size_t x = ((const struct entry *)a)->index, y = ((const struct entry *)b)->index;
  return x < y ? -1 : x > y;
}

/* The residual of pw's rows from the collected entries (one block: the
 * struct, row sums, row_ptr, index, value), or NULL when out of memory. */
static void *make_residual(excess_list_t *x, spx_rt_prepared_weights_t *pw) {
  const size_t rows = pw->rows, len = (size_t)pw->cols * pw->kh * pw->kw;
  size_t k, r, size;
  uint8_t *blk;
  spx_rt_s8_residual_t *res;
  int32_t *sums;
  uint32_t *row_ptr, *index;
  int8_t *value;
  qsort(x->e, x->n, sizeof *x->e, by_index);
  size = SPX_RT_ALIGN16(sizeof *res) + SPX_RT_ALIGN16(rows * 4) + SPX_RT_ALIGN16((rows + 1) * 4) +
         SPX_RT_ALIGN16(x->n * 4) + SPX_RT_ALIGN16(x->n);
  if (!(blk = (uint8_t *)malloc(size))) return NULL;
  res = (spx_rt_s8_residual_t *)(void *)blk;
  sums = (int32_t *)(void *)(blk + SPX_RT_ALIGN16(sizeof *res));
  row_ptr = (uint32_t *)(void *)((uint8_t *)sums + SPX_RT_ALIGN16(rows * 4));
  index = (uint32_t *)(void *)((uint8_t *)row_ptr + SPX_RT_ALIGN16((rows + 1) * 4));
  value = (int8_t *)((uint8_t *)index + SPX_RT_ALIGN16(x->n * 4));
  for (r = 0; r < rows; ++r) {
    int32_t s = 0;
    for (k = 0; k < len; ++k) s += pw->s8[r * len + k];
    sums[r] = s;
  }
  for (r = 0; r <= rows; ++r) row_ptr[r] = 0;
  for (k = 0; k < x->n; ++k) {
    r = x->e[k].index / len;
    index[k] = (uint32_t)(x->e[k].index % len);
    value[k] = (int8_t)x->e[k].value;
    sums[r] += x->e[k].value;
    row_ptr[r + 1]++;
  }
  for (r = 0; r < rows; ++r) row_ptr[r + 1] += row_ptr[r];
  res->row_sums = sums;
  res->row_ptr = row_ptr;
  res->index = index;
  res->value = value;
  pw->residual = res;
  return blk;
}

spx_rt_status_t spx_rt_model_prepare(spx_rt_model_t *m, uint32_t *decoded, uint32_t *residual,
                                     spx_rt_error_t *error) {
  const uint32_t n = m ? m->stream.command_count : 0;
  size_t total, off, max_scratch = 0;
  uint8_t *mem;
  const spx_rt_prepared_weights_t **at;
  spx_rt_prepared_weights_t *pws;
  spx_rt_prepared_t *pr;
  spx_rt_layer_decoded_t d;
  excess_list_t x;
  uint32_t i, n_dec = 0, n_res = 0;
  spx_rt_error_clear(error);
  if (decoded) *decoded = 0;
  if (residual) *residual = 0;
  if (!m || !m->device)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "model is NULL or not initialized");
  spx_rt_model_release(m);
  /* [prepared_t][at: n pointers][residuals: n pointers][n prepared_weights_t]
   * [each layer's bytes] */
  total = SPX_RT_ALIGN16(sizeof *pr) + 2 * SPX_RT_ALIGN16((size_t)n * sizeof *at) +
          SPX_RT_ALIGN16((size_t)n * sizeof *pws);
  for (i = 0; i < n; ++i)
    if (layer_at(m, i, &d)) total += spx_rt_layer_prepared_size(&d.layer);
  mem = (uint8_t *)block_alloc(total);
  if (!mem) return spx_rt_error_set(error, SPX_RT_ERR_BUFFER, "out of memory preparing weights");
  memset(mem, 0, SPX_RT_ALIGN16(sizeof *pr) + 2 * SPX_RT_ALIGN16((size_t)n * sizeof *at));
  pr = (spx_rt_prepared_t *)(void *)mem;
  at = (const spx_rt_prepared_weights_t **)(void *)(mem + SPX_RT_ALIGN16(sizeof *pr));
  pr->residuals = (void **)(void *)((uint8_t *)at + SPX_RT_ALIGN16((size_t)n * sizeof *at));
  pws = (spx_rt_prepared_weights_t *)(void *)((uint8_t *)pr->residuals +
                                              SPX_RT_ALIGN16((size_t)n * sizeof *at));
  off = (size_t)((uint8_t *)pws + SPX_RT_ALIGN16((size_t)n * sizeof *pws) - mem);
  pr->count = n;
  pr->at = at;
  pr->mem = mem;
  memset(&x, 0, sizeof x);
  for (i = 0; i < n; ++i) {
    spx_rt_error_t e;
    spx_rt_status_t st;
    size_t size, need;
    if (!layer_at(m, i, &d) || !(size = spx_rt_layer_prepared_size(&d.layer))) continue;
    x.n = 0;
    st = spx_rt_layer_prepare(&d.layer, mem + off, size, on_excess, &x, &pws[i], &e);
    off += size;
    if (st == SPX_RT_OK && x.failed) st = SPX_RT_ERR_BUFFER;
    if (st == SPX_RT_OK && x.n && !(pr->residuals[i] = make_residual(&x, &pws[i])))
      st = SPX_RT_ERR_BUFFER;
    if (st != SPX_RT_OK) {
      free(x.e);
      m->prepared = pr;
      spx_rt_model_release(m);
      if (st == SPX_RT_ERR_BUFFER)
        return spx_rt_error_set_at(error, st, i, "command %u: out of memory preparing weights",
                                   (unsigned)i);
      return spx_rt_error_set_at(error, st, i, "command %u (%s): preparing the weights: %s",
                                 (unsigned)i,
                                 d.layer.op == SPX_RT_OP_CONV2D ? "conv2d" : "dense",
                                 e.message);
    }
    at[i] = &pws[i];
    pr->layers++;
    if (pws[i].s8 && pws[i].s8 != (const int8_t *)d.layer.weights) ++n_dec;
    if (pws[i].residual) ++n_res;
    need = spx_rt_layer_scratch_size_prepared(&d.layer, &pws[i]);
    if (need > max_scratch) max_scratch = need;
  }
  free(x.e);
  /* room for the dense int8 path's scratch, if it needs more */
  if (SPX_RT_ALIGN16(max_scratch) > m->scratch_size) {
    size_t grow = SPX_RT_ALIGN16(max_scratch) - m->scratch_size;
    m->scratch_size += grow;
    m->workspace_size += grow;
  }
  pr->decoded = n_dec;
  pr->residual = n_res;
  m->prepared = pr;
  if (decoded) *decoded = n_dec;
  if (residual) *residual = n_res;
  return SPX_RT_OK;
}
