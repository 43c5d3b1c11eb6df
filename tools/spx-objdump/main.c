/* spx-objdump: print a .spxbin command stream as text.
 *
 *   spx-objdump FILE.spxbin
 *
 * The file is validated completely before anything is printed; a bad file
 * gives "spx-objdump: FILE: error: <message>" on stderr and exit status 1. */
#include "runtime/stream/spx_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "spx-objdump";

static int write_stdout(void *ctx, const void *data, size_t size) {
  (void)ctx;
  return fwrite(data, 1, size, stdout) == size ? 0 : 1;
}

static int error(const char *file, const char *msg) {
  fprintf(stderr, "%s: %s: error: %s\n", prog, file, msg);
  return 1;
}

/* Reads the whole file into a malloc'd buffer. */
static int read_file(const char *path, unsigned char **out, size_t *out_size,
                     char *err, size_t errcap) {
  *out = NULL;
  *out_size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errcap, "cannot open: %s", strerror(errno));
    return 1;
  }
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap) break;
    unsigned char *nb = cap < ((size_t)1 << 33) ? realloc(buf, cap * 2) : NULL;
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  if (!buf || ferror(f)) {
    snprintf(err, errcap, "cannot read: %s",
             buf ? strerror(errno) : "out of memory");
    free(buf);
    fclose(f);
    return 1;
  }
  fclose(f);
  *out = buf;
  *out_size = len;
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: %s FILE.spxbin\n"
           "Validates a .spxbin command stream and prints it as text: header,\n"
           "sections, tensors, blobs and one line per command.\n"
           "  --version   the spx-objdump version\n"
           "Exit status: 0, 1 for a file that does not load, 2 for a usage error.\n", prog);
    return 0;
  }
  if (argc == 2 && !strcmp(argv[1], "--version")) {
    printf("spx-objdump %s\n", SPX_VERSION);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: %s FILE.spxbin\n", prog);
    return 2; /* usage errors: 2, errors in the file: 1 */
  }
  const char *path = argv[1];
  unsigned char *data;
  size_t size;
  char err[256];
  if (read_file(path, &data, &size, err, sizeof err)) return error(path, err);

  spx_cs_stream_t stream;
  spx_rt_error_t st;
  int rc = 0;
  if (spx_cs_stream_load(data, size, &stream, &st) ||
      spx_cs_stream_disassemble(&stream, write_stdout, NULL, &st))
    rc = error(path, st.message);
  free(data);
  if (fflush(stdout)) rc = 1;
  return rc;
}
