/* emit_spxbin.c - writes the program's image as a .spxbin container. */
#include "backends/spx_backend.h"

#include <errno.h>
#include <string.h>

static int write_file(void *ctx, const void *data, size_t size) {
  return fwrite(data, 1, size, (FILE *)ctx) == size ? 0 : -1;
}

int spx_backend_emit_spxbin(const spx_program_t *p, const char *path) {
  spx_outfile_t f;
  if (spx_outfile_open(&f, path) != 0) {
    fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
    return -1;
  }
  spx_cs_status_t st;
  if (spx_cs_image_write(&p->image, write_file, f.fp, &st) != SPX_CS_OK) {
    spx_outfile_abort(&f);
    fprintf(stderr, "spxc: internal error: cannot encode '%s': %s\n", path, st.message);
    return -1;
  }
  if (spx_outfile_commit(&f) != 0) {
    fprintf(stderr, "spxc: error: cannot write '%s': %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}
