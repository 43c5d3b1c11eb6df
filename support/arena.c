/* arena.c - bump allocator for one compilation. */
#include "support/spx_support.h"

#include <stdlib.h>
#include <string.h>

typedef struct chunk {
  struct chunk *next;
  size_t size; /* usable bytes after the header */
  size_t used;
  _Alignas(16) unsigned char data[];
} chunk_t;

struct spx_arena {
  chunk_t *head;
};

enum { CHUNK_MIN = 64 * 1024 };

void spx_fatal_internal(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: internal error: %s\n", file, line, what);
  fflush(stderr);
  abort();
}

spx_arena_t *spx_arena_create(void) {
  spx_arena_t *arena = calloc(1, sizeof *arena);
  return arena;
}

void spx_arena_destroy(spx_arena_t *arena) {
  if (!arena) return;
  for (chunk_t *c = arena->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(arena);
}

void *spx_arena_alloc(spx_arena_t *arena, size_t size) {
  size = (size + 15) & ~(size_t)15;
  chunk_t *c = arena->head;
  if (!c || c->size - c->used < size) {
    size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
    c = malloc(sizeof *c + cap);
    if (!c) SPX_UNREACHABLE("out of memory");
    c->size = cap;
    c->used = 0;
    c->next = arena->head;
    arena->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *spx_arena_strndup(spx_arena_t *arena, const char *s, size_t n) {
  char *p = spx_arena_alloc(arena, n + 1);
  if (n) memcpy(p, s, n); /* s may be NULL when n is 0 (an empty MlirStringRef) */
  p[n] = '\0';
  return p;
}

char *spx_arena_strdup(spx_arena_t *arena, const char *s) {
  return spx_arena_strndup(arena, s, strlen(s));
}

char *spx_arena_printf(spx_arena_t *arena, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  SPX_ASSERT(n >= 0);
  char *p = spx_arena_alloc(arena, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}
