/* ptrmap.c - pointer -> index map (spx_support.h). */
#include "support/spx_support.h"

#include <stdlib.h>

static size_t slot_of(const void *key, size_t mask) {
  uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15u; /* Fibonacci hashing */
  return (size_t)(h >> 32) & mask;
}

static int grow(spx_ptrmap_t *m) {
  size_t cap = m->cap ? 2 * m->cap : 64;
  const void **keys = calloc(cap, sizeof *keys);
  size_t *vals = malloc(cap * sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return -1;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = slot_of(m->keys[i], cap - 1);
    while (keys[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return 0;
}

int spx_ptrmap_put(spx_ptrmap_t *m, const void *key, size_t val) {
  SPX_ASSERT(key);
  if (2 * (m->count + 1) > m->cap && grow(m) != 0) return -1;
  size_t i = slot_of(key, m->cap - 1);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  if (!m->keys[i]) m->count++;
  m->keys[i] = key;
  m->vals[i] = val;
  return 0;
}

bool spx_ptrmap_get(const spx_ptrmap_t *m, const void *key, size_t *val) {
  if (!m->cap || !key) return false;
  size_t i = slot_of(key, m->cap - 1);
  for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
    if (m->keys[i] == key) {
      *val = m->vals[i];
      return true;
    }
  return false;
}

void spx_ptrmap_free(spx_ptrmap_t *m) {
  free(m->keys);
  free(m->vals);
  *m = (spx_ptrmap_t)SPX_PTRMAP_INIT;
}
