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
#include <stdlib.h>
#include <string.h>

#include "runtime/device/spx_device.h"

void spx_rt_model_release(spx_rt_model_t *m) {
  if (!m || !m->prepared) return;
  free(m->prepared->mem);
  m->prepared = NULL;
}

/* Layer i of the model's stream as its device runs it with prepared
 * weights: 1 and *d decoded, else 0. */
static int layer_at(const spx_rt_model_t *m, uint32_t i, spx_rt_layer_decoded_t *d) {
  spx_cs_cpu_layer_t cl;
  if (!m->device->layer_fields || !m->device->layer_fields(&m->stream, i, &cl)) return 0;
  return spx_rt_layer_decode(&m->stream, &cl, d, NULL) == SPX_RT_OK;
}

spx_rt_status_t spx_rt_model_prepare(spx_rt_model_t *m, uint32_t *decoded, uint32_t *kept,
                                     spx_rt_error_t *error) {
  const uint32_t n = m ? m->stream.command_count : 0;
  size_t total, off, max_scratch = 0;
  uint8_t *mem;
  const spx_rt_prepared_weights_t **at;
  spx_rt_prepared_weights_t *pws;
  spx_rt_prepared_t *pr;
  spx_rt_layer_decoded_t d;
  uint32_t i, n_dec = 0, n_kept = 0;
  spx_rt_error_clear(error);
  if (decoded) *decoded = 0;
  if (kept) *kept = 0;
  if (!m || !m->device)
    return spx_rt_error_set(error, SPX_RT_ERR_ARG, "model is NULL or not initialized");
  spx_rt_model_release(m);
  /* [prepared_t][at: n pointers][n prepared_weights_t][each layer's bytes] */
  total = SPX_RT_ALIGN16(sizeof *pr) + SPX_RT_ALIGN16((size_t)n * sizeof *at) +
          SPX_RT_ALIGN16((size_t)n * sizeof *pws);
  for (i = 0; i < n; ++i)
    if (layer_at(m, i, &d)) total += spx_rt_layer_prepared_size(&d.layer);
  mem = (uint8_t *)malloc(total);
  if (!mem) return spx_rt_error_set(error, SPX_RT_ERR_BUFFER, "out of memory preparing weights");
  memset(mem, 0, SPX_RT_ALIGN16(sizeof *pr) + SPX_RT_ALIGN16((size_t)n * sizeof *at));
  pr = (spx_rt_prepared_t *)(void *)mem;
  at = (const spx_rt_prepared_weights_t **)(void *)(mem + SPX_RT_ALIGN16(sizeof *pr));
  pws = (spx_rt_prepared_weights_t *)(void *)((uint8_t *)at +
                                              SPX_RT_ALIGN16((size_t)n * sizeof *at));
  off = (size_t)((uint8_t *)pws + SPX_RT_ALIGN16((size_t)n * sizeof *pws) - mem);
  for (i = 0; i < n; ++i) {
    spx_rt_error_t e;
    spx_rt_status_t st;
    size_t size, need;
    if (!layer_at(m, i, &d) || !(size = spx_rt_layer_prepared_size(&d.layer))) continue;
    st = spx_rt_layer_prepare(&d.layer, mem + off, size, &pws[i], &e);
    off += size;
    if (st == SPX_RT_ERR_RANGE) { /* weights beyond int8: the format's own kernel */
      ++n_kept;
      continue;
    }
    if (st != SPX_RT_OK) {
      free(mem);
      return spx_rt_error_set_at(error, st, i, "command %u (%s): preparing the weights: %s",
                                 (unsigned)i,
                                 d.layer.op == SPX_RT_OP_CONV2D ? "conv2d" : "dense",
                                 e.message);
    }
    at[i] = &pws[i];
    if (pws[i].s8 != (const int8_t *)d.layer.weights) ++n_dec;
    need = spx_rt_layer_scratch_size_prepared(&d.layer, &pws[i]);
    if (need > max_scratch) max_scratch = need;
  }
  pr->count = n;
  pr->at = at;
  pr->mem = mem;
  /* room for the dense int8 path's scratch, if it needs more */
  if (SPX_RT_ALIGN16(max_scratch) > m->scratch_size) {
    size_t grow = SPX_RT_ALIGN16(max_scratch) - m->scratch_size;
    m->scratch_size += grow;
    m->workspace_size += grow;
  }
  m->prepared = pr;
  if (decoded) *decoded = n_dec;
  if (kept) *kept = n_kept;
  return SPX_RT_OK;
}
