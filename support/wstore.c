/* wstore.c - the weight store: named, aligned buffers that outlive the MLIR
 * context which references them as dense resources. */
#include "support/spx_support.h"

#include <stdlib.h>
#include <string.h>

struct spx_wstore {
  size_t count, cap;
  spx_wbuf_t **bufs; /* insertion order */
  /* Open-addressing index from name to position in bufs. */
  size_t index_cap;
  size_t *index; /* position + 1; 0 = empty */
};

size_t spx_dtype_size(spx_dtype_t dt) {
  switch (dt) {
#define X(E, code, text, size) \
  case SPX_DT_##E: return size;
    SPX_CS_DTYPES(X)
#undef X
  }
  SPX_UNREACHABLE("bad dtype");
  return 0;
}

const char *spx_dtype_name(spx_dtype_t dt) {
  switch (dt) {
#define X(E, code, text, size) \
  case SPX_DT_##E: return text;
    SPX_CS_DTYPES(X)
#undef X
  }
  SPX_UNREACHABLE("bad dtype");
  return "";
}

spx_wstore_t *spx_wstore_create(void) { return calloc(1, sizeof(spx_wstore_t)); }

void spx_wstore_destroy(spx_wstore_t *store) {
  if (!store) return;
  for (size_t i = 0; i < store->count; i++) {
    free(store->bufs[i]->data);
    free((char *)store->bufs[i]->name);
    free(store->bufs[i]);
  }
  free(store->bufs);
  free(store->index);
  free(store);
}

static size_t *index_slot(const spx_wstore_t *store, const char *name) {
  size_t mask = store->index_cap - 1;
  for (size_t i = spx_hash_str(name) & mask;; i = (i + 1) & mask) {
    size_t *slot = &store->index[i];
    if (*slot == 0 || strcmp(store->bufs[*slot - 1]->name, name) == 0) return slot;
  }
}

static int index_grow(spx_wstore_t *store) {
  size_t cap = store->index_cap ? store->index_cap * 2 : 64;
  size_t *index = calloc(cap, sizeof *index);
  if (!index) return -1;
  free(store->index);
  store->index = index;
  store->index_cap = cap;
  for (size_t i = 0; i < store->count; i++)
    *index_slot(store, store->bufs[i]->name) = i + 1;
  return 0;
}

static spx_wbuf_t *lookup(const spx_wstore_t *store, const char *name) {
  if (!store->index_cap) return NULL;
  size_t slot = *index_slot(store, name);
  return slot ? store->bufs[slot - 1] : NULL;
}

spx_wbuf_t *spx_wstore_find(const spx_wstore_t *store, const char *name) {
  spx_wbuf_t *b = lookup(store, name);
  return b && b->data ? b : NULL;
}

void spx_wstore_release(spx_wstore_t *store, spx_wbuf_t *buf) {
  SPX_ASSERT(buf->index < store->count && store->bufs[buf->index] == buf);
  free(buf->data);
  buf->data = NULL;
}

spx_wbuf_t *spx_wstore_add(spx_wstore_t *store, const char *name,
                           spx_dtype_t dtype, int rank, const int64_t *dims) {
  SPX_ASSERT(rank >= 0 && rank <= SPX_MAX_RANK);
  if (lookup(store, name)) return NULL;
  if ((store->count + 1) * 2 > store->index_cap && index_grow(store)) return NULL;
  if (store->count == store->cap) {
    size_t cap = store->cap ? store->cap * 2 : 32;
    spx_wbuf_t **bufs = realloc(store->bufs, cap * sizeof *bufs);
    if (!bufs) return NULL;
    store->bufs = bufs;
    store->cap = cap;
  }
  size_t count = 1;
  for (int i = 0; i < rank; i++) {
    SPX_ASSERT(dims[i] >= 0);
    count *= (size_t)dims[i];
  }
  size_t nbytes = count * spx_dtype_size(dtype);
  spx_wbuf_t *b = calloc(1, sizeof *b);
  char *copy = malloc(strlen(name) + 1);
  /* aligned_alloc needs a size that is a multiple of the alignment. */
  size_t padded = (nbytes + SPX_WEIGHT_ALIGN - 1) / SPX_WEIGHT_ALIGN * SPX_WEIGHT_ALIGN;
  void *data = aligned_alloc(SPX_WEIGHT_ALIGN, padded ? padded : SPX_WEIGHT_ALIGN);
  if (!b || !copy || !data) {
    free(b);
    free(copy);
    free(data);
    return NULL;
  }
  memset(data, 0, padded ? padded : SPX_WEIGHT_ALIGN);
  strcpy(copy, name);
  b->name = copy;
  b->dtype = dtype;
  b->rank = rank;
  for (int i = 0; i < rank; i++) b->dims[i] = dims[i];
  b->count = count;
  b->nbytes = nbytes;
  b->data = data;
  b->index = store->count;
  store->bufs[store->count++] = b;
  *index_slot(store, name) = store->count;
  return b;
}

size_t spx_wstore_count(const spx_wstore_t *store) { return store->count; }

spx_wbuf_t *spx_wstore_at(const spx_wstore_t *store, size_t index) {
  SPX_ASSERT(index < store->count);
  return store->bufs[index];
}
