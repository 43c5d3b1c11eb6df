/* test_util.h - what the C test tools of test/runtime share: a check that
 * counts and reports failures, a seeded generator (the same sequence in
 * every tool and run) and int8 fills. Each tool is one translation unit, so
 * the counters are per tool. */
#ifndef SPX_TEST_UTIL_H
#define SPX_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static int checks, failures;

static inline void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void check(int ok, const char *fmt, ...) {
  va_list ap;
  checks++;
  if (ok) return;
  failures++;
  fprintf(stderr, "FAIL: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* "N checks, N failed"; the tool's exit status. */
static inline int check_summary(void) {
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}

static uint32_t seed = 1;
static inline uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

/* Activations over all of int8; weights in the symmetric [-127, 127]. */
static inline void fill_s8(int8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (int8_t)(rnd() % 256 - 128);
}
static inline void fill_w8(int8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (int8_t)(rnd() % 255 - 127);
}

#endif /* SPX_TEST_UTIL_H */
