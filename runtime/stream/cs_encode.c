/* cs_encode.c - the builder: checks an image with the loader's rules, lays
 * it out and writes it into caller memory or through a callback. */
#include "runtime/stream/cs_internal.h"

typedef struct layout {
  spx_cs_section_t sec[SPX_CS_SECTION_COUNT_];
  uint32_t total;
} layout_t;

#define BAD(st, ...) spx_rt_error_set((st), SPX_RT_ERR_FORMAT, __VA_ARGS__)

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static const char *nm(const char *s) { return s ? s : ""; }

static spx_rt_status_t check_name(spx_rt_error_t *st, const char *what,
                                uint32_t i, const char *s, uint64_t *strings) {
  s = nm(s);
  size_t n = cs_strlen(s);
  for (size_t k = 0; k < n; k++)
    if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e)
      return BAD(st, "%s %u: field 'name': byte 0x%02x is not printable ASCII",
                 what, (unsigned)i, (unsigned)(unsigned char)s[k]);
  if (n) *strings += n + 1;
  return SPX_RT_OK;
}

/* Checks the image and computes the layout. */
static spx_rt_status_t plan(const spx_cs_image_t *im, layout_t *lay,
                          spx_rt_error_t *st) {
  cs_zero(lay, sizeof *lay);
  if (!im) return BAD(st, "image: NULL");
  if (!spx_cs_target_name(im->target))
    return BAD(st, "header: field 'target': unknown target %u",
               (unsigned)im->target);
  if (im->target == SPX_CS_TARGET_CPU && im->mdesc_hash)
    return BAD(st, "header: field 'mdesc_hash': must be 0 for target cpu");
  if ((im->tensor_count && !im->tensors) || (im->input_count && !im->inputs) ||
      (im->output_count && !im->outputs) || (im->blob_count && !im->blobs) ||
      (im->command_count && !im->commands))
    return BAD(st, "image: NULL array with a nonzero count");
  if (im->tensor_count > SPX_CS_MAX_TENSORS)
    return BAD(st, "tensors: tensor_count %u exceeds %u",
               (unsigned)im->tensor_count, SPX_CS_MAX_TENSORS);
  if (im->blob_count > SPX_CS_NONE)
    return BAD(st, "blobs: blob_count %u exceeds %u", (unsigned)im->blob_count,
               SPX_CS_NONE);

  uint64_t strings = 1;
  spx_rt_status_t rc;
  for (uint32_t i = 0; i < im->tensor_count; i++)
    if ((rc = check_name(st, "tensor", i, im->tensors[i].name, &strings)))
      return rc;
  for (uint32_t i = 0; i < im->blob_count; i++)
    if ((rc = check_name(st, "blob", i, im->blobs[i].name, &strings))) return rc;
  for (uint32_t i = 0; i < im->command_count; i++)
    if ((rc = check_name(st, "command", i, im->commands[i].name, &strings)))
      return rc;

  /* Weights: blobs in order, each 64-aligned. */
  uint64_t wsize = 0;
  for (uint32_t i = 0; i < im->blob_count; i++) {
    if (!im->blobs[i].data && im->blobs[i].length)
      return BAD(st, "blob %u: field 'data': NULL", (unsigned)i);
    wsize = align_up(wsize, SPX_CS_BLOB_ALIGN) + im->blobs[i].length;
    if (wsize > 0xffffffffu) return BAD(st, "weights: larger than 4 GiB");
  }

  uint64_t size[SPX_CS_SECTION_COUNT_];
  size[SPX_CS_SECTION_STRINGS] = strings;
  size[SPX_CS_SECTION_TENSORS] =
      SPX_CS_TENSORS_HEADER + (uint64_t)im->tensor_count * SPX_CS_TENSOR_RECORD +
      2 * ((uint64_t)im->input_count + im->output_count);
  size[SPX_CS_SECTION_BLOBS] =
      SPX_CS_BLOBS_HEADER + (uint64_t)im->blob_count * SPX_CS_BLOB_RECORD;
  size[SPX_CS_SECTION_WEIGHTS] = wsize;
  size[SPX_CS_SECTION_COMMANDS] =
      SPX_CS_COMMANDS_HEADER + (uint64_t)im->command_count * SPX_CS_COMMAND_RECORD;
  static const uint32_t align[SPX_CS_SECTION_COUNT_] = {
#define X(E, idx, text, a) a,
      SPX_CS_SECTIONS(X)
#undef X
  };
  uint64_t at = SPX_CS_HEADER_SIZE;
  for (unsigned s = 0; s < SPX_CS_SECTION_COUNT_; s++) {
    at = align_up(at, align[s]);
    if (at + size[s] > 0xffffffffu) return BAD(st, "image: larger than 4 GiB");
    lay->sec[s].offset = (uint32_t)at;
    lay->sec[s].size = (uint32_t)size[s];
    at += size[s];
  }
  lay->total = (uint32_t)at;

  /* The loader's rules, on the decoded records. */
  cs_vctx_t v;
  cs_zero(&v, sizeof v);
  v.status = st;
  v.image = im;
  v.target = im->target;
  v.workspace_size = im->workspace_size;
  v.weights_size = (uint32_t)wsize;
  v.tensor_count = im->tensor_count;
  v.blob_count = im->blob_count;
  for (uint32_t i = 0; i < im->tensor_count; i++)
    if ((rc = cs_check_tensor(&v, i, &im->tensors[i]))) return rc;
  if ((rc = cs_check_io(&v, "input", im->input_count, NULL, im->inputs)) ||
      (rc = cs_check_io(&v, "output", im->output_count, NULL, im->outputs)))
    return rc;
  uint64_t off = 0;
  for (uint32_t i = 0; i < im->blob_count; i++) {
    spx_cs_blob_t b = im->blobs[i];
    off = align_up(off, SPX_CS_BLOB_ALIGN);
    b.offset = (uint32_t)off;
    off += b.length;
    if ((rc = cs_check_blob(&v, i, &b))) return rc;
  }
  for (uint32_t i = 0; i < im->command_count; i++)
    if ((rc = cs_check_command(&v, i, &im->commands[i]))) return rc;
  return SPX_RT_OK;
}

/* ---- serializer ------------------------------------------------------------- */

typedef struct sink {
  uint8_t *buf; /* memory: capacity checked before the first byte */
  spx_cs_write_fn write;
  void *ctx;
  uint64_t pos;
  uint32_t crc; /* of the bytes at [SPX_CS_CRC_START, pos) */
  bool failed;
} sink_t;

static void emit(sink_t *k, const void *data, size_t n) {
  const uint8_t *p = (const uint8_t *)data;
  if (k->pos + n > SPX_CS_CRC_START) {
    size_t skip = k->pos < SPX_CS_CRC_START ? (size_t)(SPX_CS_CRC_START - k->pos) : 0;
    k->crc = spx_cs_crc32(k->crc, p + skip, n - skip);
  }
  if (k->buf) {
    for (size_t i = 0; i < n; i++) k->buf[k->pos + i] = p[i];
  } else if (k->write && !k->failed && n) {
    if (k->write(k->ctx, p, n)) k->failed = true;
  }
  k->pos += n;
}

static void emit_zeros_to(sink_t *k, uint64_t to) {
  static const uint8_t zeros[64];
  while (k->pos < to) {
    uint64_t n = to - k->pos;
    emit(k, zeros, n > sizeof zeros ? sizeof zeros : (size_t)n);
  }
}

static uint32_t name_next(uint32_t *cursor, const char *s) {
  size_t n = cs_strlen(nm(s));
  if (!n) return 0;
  uint32_t at = *cursor;
  *cursor += (uint32_t)n + 1;
  return at;
}

static void serialize(const spx_cs_image_t *im, const layout_t *lay,
                      uint32_t crc, sink_t *k) {
  uint8_t h[SPX_CS_HEADER_SIZE];
  cs_zero(h, sizeof h);
  h[0] = 'S', h[1] = 'P', h[2] = 'X', h[3] = 'B';
  cs_wr16(h + 4, SPX_CS_VERSION_MAJOR);
  cs_wr16(h + 6, SPX_CS_VERSION_MINOR);
  cs_wr32(h + 8, crc);
  cs_wr32(h + 12, lay->total);
  cs_wr16(h + 16, SPX_CS_HEADER_SIZE);
  cs_wr16(h + 18, im->target);
  cs_wr64(h + 24, im->mdesc_hash);
  for (unsigned s = 0; s < SPX_CS_SECTION_COUNT_; s++) {
    cs_wr32(h + 32 + 8 * s, lay->sec[s].offset);
    cs_wr32(h + 36 + 8 * s, lay->sec[s].size);
  }
  emit(k, h, sizeof h);

  /* strings */
  emit_zeros_to(k, lay->sec[SPX_CS_SECTION_STRINGS].offset);
  emit(k, "", 1);
  for (uint32_t i = 0; i < im->tensor_count; i++) {
    const char *s = nm(im->tensors[i].name);
    if (*s) emit(k, s, cs_strlen(s) + 1);
  }
  for (uint32_t i = 0; i < im->blob_count; i++) {
    const char *s = nm(im->blobs[i].name);
    if (*s) emit(k, s, cs_strlen(s) + 1);
  }
  for (uint32_t i = 0; i < im->command_count; i++) {
    const char *s = nm(im->commands[i].name);
    if (*s) emit(k, s, cs_strlen(s) + 1);
  }
  uint32_t names = 1;

  /* tensors */
  emit_zeros_to(k, lay->sec[SPX_CS_SECTION_TENSORS].offset);
  uint8_t r[SPX_CS_COMMAND_RECORD];
  cs_zero(r, 16);
  cs_wr32(r, im->tensor_count);
  cs_wr32(r + 4, im->input_count);
  cs_wr32(r + 8, im->output_count);
  cs_wr32(r + 12, im->workspace_size);
  emit(k, r, SPX_CS_TENSORS_HEADER);
  for (uint32_t i = 0; i < im->tensor_count; i++) {
    const spx_cs_tensor_t *t = &im->tensors[i];
    cs_zero(r, SPX_CS_TENSOR_RECORD);
    cs_wr32(r, name_next(&names, t->name));
    r[4] = t->dtype;
    r[5] = t->rank;
    for (unsigned d = 0; d < SPX_CS_MAX_RANK; d++) cs_wr32(r + 8 + 4 * d, t->dims[d]);
    cs_wr32(r + 32, cs_f32_bits(t->scale));
    cs_wr32(r + 36, (uint32_t)t->zero_point);
    cs_wr32(r + 40, t->ws_offset);
    cs_wr32(r + 44, t->ws_size);
    emit(k, r, SPX_CS_TENSOR_RECORD);
  }
  for (uint32_t i = 0; i < im->input_count; i++) {
    cs_wr16(r, im->inputs[i]);
    emit(k, r, 2);
  }
  for (uint32_t i = 0; i < im->output_count; i++) {
    cs_wr16(r, im->outputs[i]);
    emit(k, r, 2);
  }

  /* blobs */
  emit_zeros_to(k, lay->sec[SPX_CS_SECTION_BLOBS].offset);
  cs_zero(r, SPX_CS_BLOBS_HEADER);
  cs_wr32(r, im->blob_count);
  emit(k, r, SPX_CS_BLOBS_HEADER);
  uint64_t off = 0;
  for (uint32_t i = 0; i < im->blob_count; i++) {
    const spx_cs_blob_t *b = &im->blobs[i];
    off = align_up(off, SPX_CS_BLOB_ALIGN);
    cs_zero(r, SPX_CS_BLOB_RECORD);
    cs_wr32(r, name_next(&names, b->name));
    r[4] = b->dtype;
    cs_wr16(r + 6, b->encoding);
    cs_wr32(r + 8, (uint32_t)off);
    cs_wr32(r + 12, b->length);
    cs_wr32(r + 16, spx_cs_crc32(0, b->data, b->length));
    emit(k, r, SPX_CS_BLOB_RECORD);
    off += b->length;
  }

  /* weights */
  uint64_t wbase = lay->sec[SPX_CS_SECTION_WEIGHTS].offset;
  emit_zeros_to(k, wbase);
  off = 0;
  for (uint32_t i = 0; i < im->blob_count; i++) {
    off = align_up(off, SPX_CS_BLOB_ALIGN);
    emit_zeros_to(k, wbase + off);
    emit(k, im->blobs[i].data, im->blobs[i].length);
    off += im->blobs[i].length;
  }

  /* commands */
  emit_zeros_to(k, lay->sec[SPX_CS_SECTION_COMMANDS].offset);
  cs_zero(r, SPX_CS_COMMANDS_HEADER);
  cs_wr32(r, im->command_count);
  cs_wr16(r + 4, SPX_CS_COMMAND_RECORD);
  emit(k, r, SPX_CS_COMMANDS_HEADER);
  for (uint32_t i = 0; i < im->command_count; i++) {
    const spx_cs_command_t *c = &im->commands[i];
    cs_command_encode(c, name_next(&names, c->name), r);
    emit(k, r, SPX_CS_COMMAND_RECORD);
  }
  emit_zeros_to(k, lay->total);
}

spx_rt_status_t spx_cs_image_measure(const spx_cs_image_t *image,
                                   size_t *out_size, spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (out_size) *out_size = 0;
  layout_t lay;
  spx_rt_status_t rc = plan(image, &lay, status);
  if (rc) return rc;
  if (out_size) *out_size = lay.total;
  return SPX_RT_OK;
}

spx_rt_status_t spx_cs_image_encode(const spx_cs_image_t *image, void *buf,
                                  size_t cap, size_t *out_size,
                                  spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (out_size) *out_size = 0;
  layout_t lay;
  spx_rt_status_t rc = plan(image, &lay, status);
  if (rc) return rc;
  if (out_size) *out_size = lay.total;
  if (!buf || cap < lay.total)
    return spx_rt_error_set(status, SPX_RT_ERR_BUFFER,
                             "encode: the stream needs %u bytes, the buffer "
                             "has %zu", (unsigned)lay.total, buf ? cap : 0);
  sink_t k;
  cs_zero(&k, sizeof k);
  k.buf = (uint8_t *)buf;
  serialize(image, &lay, 0, &k);
  cs_wr32(k.buf + SPX_CS_CRC_OFFSET, k.crc);
  return SPX_RT_OK;
}

spx_rt_status_t spx_cs_image_write(const spx_cs_image_t *image,
                                 spx_cs_write_fn write, void *ctx,
                                 spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (!write) return BAD(status, "write: NULL callback");
  layout_t lay;
  spx_rt_status_t rc = plan(image, &lay, status);
  if (rc) return rc;
  sink_t k;
  cs_zero(&k, sizeof k);
  serialize(image, &lay, 0, &k); /* pass 1: the crc */
  uint32_t crc = k.crc;
  cs_zero(&k, sizeof k);
  k.write = write;
  k.ctx = ctx;
  serialize(image, &lay, crc, &k);
  if (k.failed)
    return spx_rt_error_set(status, SPX_RT_ERR_ABORTED,
                             "write: the callback failed");
  return SPX_RT_OK;
}
