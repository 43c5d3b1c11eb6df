/* deps.c - the files a compile read, for spxc --depfile (spx_support.h). */
#include <stdlib.h>
#include <string.h>

#include "support/spx_support.h"

/* One process compiles one network: a process-wide list is enough. */
static char **inputs;
static size_t n_inputs, cap_inputs;

void spx_inputs_note(const char *path) {
  for (size_t i = 0; i < n_inputs; i++)
    if (strcmp(inputs[i], path) == 0) return;
  if (n_inputs == cap_inputs) {
    size_t cap = cap_inputs ? 2 * cap_inputs : 16;
    char **grown = realloc(inputs, cap * sizeof *grown);
    if (!grown) SPX_UNREACHABLE("out of memory");
    inputs = grown;
    cap_inputs = cap;
  }
  size_t n = strlen(path) + 1;
  char *copy = malloc(n);
  if (!copy) SPX_UNREACHABLE("out of memory");
  memcpy(copy, path, n);
  inputs[n_inputs++] = copy;
}

size_t spx_inputs_count(void) { return n_inputs; }

const char *spx_inputs_get(size_t index) { return index < n_inputs ? inputs[index] : NULL; }
