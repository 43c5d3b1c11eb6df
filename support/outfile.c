/* outfile.c - atomic output files: write to a temporary name, then rename. */
#define _POSIX_C_SOURCE 200809L
#include "support/spx_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int spx_outfile_open(spx_outfile_t *out, const char *path) {
  memset(out, 0, sizeof *out);
  size_t n = strlen(path);
  out->path = malloc(n + 1);
  out->tmp_path = malloc(n + 16);
  if (!out->path || !out->tmp_path) goto fail;
  memcpy(out->path, path, n + 1);
  snprintf(out->tmp_path, n + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(out->tmp_path);
  if (fd < 0) goto fail;
  /* mkstemp creates 0600; give the file the mode a plain creat() would. */
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) {
    int e = errno;
    close(fd);
    unlink(out->tmp_path);
    errno = e;
    goto fail;
  }
  out->fp = fdopen(fd, "wb");
  if (!out->fp) {
    int e = errno;
    close(fd);
    unlink(out->tmp_path);
    errno = e;
    goto fail;
  }
  return 0;
fail:;
  int e = errno;
  free(out->path);
  free(out->tmp_path);
  memset(out, 0, sizeof *out);
  errno = e;
  return -1;
}

static void release(spx_outfile_t *out) {
  free(out->path);
  free(out->tmp_path);
  memset(out, 0, sizeof *out);
}

int spx_outfile_commit(spx_outfile_t *out) {
  int rc = 0;
  if (ferror(out->fp)) rc = -1;
  if (fclose(out->fp) != 0) rc = -1;
  if (rc == 0 && rename(out->tmp_path, out->path) != 0) rc = -1;
  int e = errno;
  if (rc != 0) unlink(out->tmp_path);
  release(out);
  errno = e;
  return rc;
}

void spx_outfile_abort(spx_outfile_t *out) {
  if (!out->fp) return;
  fclose(out->fp);
  unlink(out->tmp_path);
  release(out);
}
