/* filedata.c - a whole input file in memory, read-only (spx_file_data_t).
 *
 * A regular file is mapped (mmap, MAP_PRIVATE, read-only) with its pages
 * populated up front (MAP_POPULATE where the system has it): the page
 * cache's pages themselves, no copy and no page fault per 4 KiB. Reading
 * an int8 ResNet-18 stream (11.7 MB) into fresh memory took 35-47 ms of a
 * one-image spx-run's 115 ms, mapping it 1-1.5 ms. Anything else (standard
 * input, a pipe, a system without mmap, a mapping refused) is read into
 * 64-byte aligned memory. Either way the bytes start 64-byte aligned (the
 * stream format aligns its blobs to 64 within the file).
 *
 * A mapped file that another program truncates while it is mapped faults
 * on access (SIGBUS); the project's own writers replace files by renaming
 * a new one into place (spx_outset_t), which leaves a mapping of the old
 * one intact. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_POPULATE */
#include "support/spx_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define SPX_HAVE_MMAP 1
#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif
#else
#define SPX_HAVE_MMAP 0
#endif

/* The rest of f (from its current position) into 64-byte aligned memory. */
static int read_stream(FILE *f, size_t max, spx_file_data_t *out, char *err, size_t errcap) {
  size_t cap = 1 << 16, len = 0, got;
  unsigned char *buf = aligned_alloc(64, cap);
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len > max) break;
    if (len == cap) {
      unsigned char *grown = aligned_alloc(64, cap * 2);
      if (grown) memcpy(grown, buf, len);
      free(buf);
      buf = grown;
      cap *= 2;
    }
  }
  if (buf && len > max) {
    snprintf(err, errcap, "file of more than %zu bytes is too large", max);
    free(buf);
    return 1;
  }
  if (!buf || ferror(f)) {
    snprintf(err, errcap, !buf ? "out of memory" : "cannot read: %s", strerror(errno));
    free(buf);
    return 1;
  }
  out->data = buf;
  out->size = len;
  out->mapped = 0;
  return 0;
}

int spx_file_data_read(const char *path, size_t max, spx_file_data_t *out, char *err,
                       size_t errcap) {
  FILE *f;
  int bad;
  memset(out, 0, sizeof *out);
  if (!strcmp(path, "-")) return read_stream(stdin, max, out, err, errcap);
#if SPX_HAVE_MMAP
  {
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      snprintf(err, errcap, "cannot open: %s", strerror(errno));
      return 1;
    }
    if (fstat(fd, &st) != 0) st.st_mode = 0; /* unknown: read it */
    if (S_ISDIR(st.st_mode)) {
      snprintf(err, errcap, "cannot read: %s", strerror(EISDIR));
      close(fd);
      return 1;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      void *m;
      if ((uintmax_t)st.st_size > (uintmax_t)max) {
        snprintf(err, errcap, "file of %jd bytes is too large", (intmax_t)st.st_size);
        close(fd);
        return 1;
      }
      m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m != MAP_FAILED) {
        close(fd);
        out->data = (const unsigned char *)m;
        out->size = (size_t)st.st_size;
        out->mapped = 1;
        return 0;
      }
    }
    close(fd); /* not a regular file, empty, or not mapped: read it */
  }
#endif
  f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errcap, "cannot open: %s", strerror(errno));
    return 1;
  }
  /* a directory opens for reading (without mmap); reading it fails (EISDIR) */
  bad = read_stream(f, max, out, err, errcap);
  fclose(f);
  return bad;
}

void spx_file_data_free(spx_file_data_t *f) {
  if (!f || !f->data) return;
#if SPX_HAVE_MMAP
  if (f->mapped) {
    munmap((void *)(uintptr_t)f->data, f->size);
    f->data = NULL;
    return;
  }
#endif
  free((void *)(uintptr_t)f->data);
  f->data = NULL;
}
