/* emit_spxbin.c - writes the program's image as a .spxbin container. */
#include "backends/spx_backend.h"


static int write_file(void *ctx, const void *data, size_t size) {
  return fwrite(data, 1, size, (FILE *)ctx) == size ? 0 : -1;
}

int spx_backend_emit_spxbin(const spx_program_t *p, FILE *out) {
  spx_cs_status_t st;
  if (spx_cs_image_write(&p->image, write_file, out, &st) != SPX_CS_OK) {
    spx_diag_error(p->diag, p->loc, "internal error: cannot encode the command stream: %s",
                   st.message);
    return -1;
  }
  return 0;
}
