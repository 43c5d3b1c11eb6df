/* emit_spxbin.c - the program's image as a .spxbin container, encoded and
 * checked by the target's default device before anything is written. */
#include "backends/spx_backend.h"
#include "runtime/device/spx_device.h"

#include <stdlib.h>
#include <string.h>

static int prepare(const spx_program_t *p, spx_backend_stream_t *out);

int spx_backend_stream_prepare(const spx_program_t *p, spx_backend_stream_t *out) {
  if (p->prepared && p->prepared->bytes) {
    *out = *p->prepared;
    out->borrowed = 1;
    return 0;
  }
  int rc = prepare(p, out);
  if (rc == 0 && p->prepared) {
    *p->prepared = *out;
    out->borrowed = 1;
  }
  return rc;
}

void spx_backend_program_release(spx_program_t *p) {
  if (!p || !p->prepared) return;
  free(p->prepared->bytes);
  memset(p->prepared, 0, sizeof *p->prepared);
}

static int prepare(const spx_program_t *p, spx_backend_stream_t *out) {
  spx_rt_error_t st;
  memset(out, 0, sizeof *out);
  if (spx_cs_image_measure(&p->image, &out->size, &st) != SPX_RT_OK) goto bad_stream;
  /* 64-byte aligned like the static array, so blob data is aligned too. */
  out->bytes = aligned_alloc(64, (out->size + 63) / 64 * 64);
  if (!out->bytes) SPX_UNREACHABLE("out of memory");
  if (spx_cs_image_encode(&p->image, out->bytes, out->size, &out->size, &st) != SPX_RT_OK ||
      spx_cs_stream_load(out->bytes, out->size, &out->view, &st) != SPX_RT_OK)
    goto bad_stream;
  const spx_rt_device_t *dev = spx_rt_device_for_target(NULL, p->image.target);
  spx_rt_model_t model;
  spx_rt_error_t err;
  if (!dev) {
    spx_diag_error(p->diag, p->loc, "no runtime device runs %s streams", p->target);
    return -1;
  }
  if (spx_rt_model_initialize(dev, &out->view, &model, &err) != SPX_RT_OK) {
    spx_diag_error(p->diag, p->loc, "internal error: the %s device refuses the stream: %s",
                   p->target, err.message);
    return -1;
  }
  out->workspace = spx_rt_model_workspace_size(&model);
  return 0;
bad_stream:
  spx_diag_error(p->diag, p->loc, "internal error: cannot encode the command stream: %s",
                 st.message);
  return -1;
}

void spx_backend_stream_release(spx_backend_stream_t *s) {
  if (!s->borrowed) free(s->bytes);
  memset(s, 0, sizeof *s);
}

int spx_backend_emit_spxbin(const spx_program_t *p, FILE *out) {
  spx_backend_stream_t s;
  int rc = spx_backend_stream_prepare(p, &s);
  /* A failed write shows in ferror(out), which spxc reports with the path. */
  if (rc == 0) fwrite(s.bytes, 1, s.size, out);
  spx_backend_stream_release(&s);
  return rc;
}
