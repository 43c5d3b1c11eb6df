/* cs_load.c - the loader: validates a .spxbin buffer in place, front to
 * back, and reports the first problem. Every read is bounds-checked before
 * it happens; all offset arithmetic is done in 64 bits. */
#include "runtime/stream/cs_internal.h"

#define BAD(...) spx_rt_error_set(status, SPX_RT_ERR_FORMAT, __VA_ARGS__)

static const uint8_t *sec(const spx_cs_stream_t *s, unsigned id) {
  return s->data + s->sections[id].offset;
}

/* A name field: an offset into the strings section (validated on load). */
static const char *str_at(const spx_cs_stream_t *s, uint32_t off) {
  const spx_cs_section_t *st = &s->sections[SPX_CS_SECTION_STRINGS];
  if (!s->data || off >= st->size) return "";
  return (const char *)(s->data + st->offset + off);
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

/* ---- accessors (also used while loading, on the partly filled view) ----- */

static void tensor_decode(const spx_cs_stream_t *s, uint32_t i,
                          spx_cs_tensor_t *t, uint32_t *name_off) {
  const uint8_t *r = sec(s, SPX_CS_SECTION_TENSORS) + SPX_CS_TENSORS_HEADER +
                     (size_t)i * SPX_CS_TENSOR_RECORD;
  *name_off = cs_rd32(r);
  t->name = str_at(s, *name_off);
  t->dtype = r[4];
  t->rank = r[5];
  for (unsigned d = 0; d < SPX_CS_MAX_RANK; d++) t->dims[d] = cs_rd32(r + 8 + 4 * d);
  t->scale = cs_f32_from_bits(cs_rd32(r + 32));
  t->zero_point = (int32_t)cs_rd32(r + 36);
  t->ws_offset = cs_rd32(r + 40);
  t->ws_size = cs_rd32(r + 44);
}

void spx_cs_stream_tensor(const spx_cs_stream_t *s, uint32_t index,
                          spx_cs_tensor_t *out) {
  cs_zero(out, sizeof *out);
  out->name = "";
  if (!s || !s->data || index >= s->tensor_count) return;
  uint32_t name_off;
  tensor_decode(s, index, out, &name_off);
}

static void blob_decode(const spx_cs_stream_t *s, uint32_t i, spx_cs_blob_t *b,
                        uint32_t *name_off) {
  const uint8_t *r = sec(s, SPX_CS_SECTION_BLOBS) + SPX_CS_BLOBS_HEADER +
                     (size_t)i * SPX_CS_BLOB_RECORD;
  *name_off = cs_rd32(r);
  b->name = str_at(s, *name_off);
  b->dtype = r[4];
  b->encoding = cs_rd16(r + 6);
  b->offset = cs_rd32(r + 8);
  b->length = cs_rd32(r + 12);
  b->crc32 = cs_rd32(r + 16);
  const spx_cs_section_t *w = &s->sections[SPX_CS_SECTION_WEIGHTS];
  b->data = (uint64_t)b->offset + b->length <= w->size
                ? s->data + w->offset + b->offset
                : NULL;
}

void spx_cs_stream_blob(const spx_cs_stream_t *s, uint32_t index,
                        spx_cs_blob_t *out) {
  cs_zero(out, sizeof *out);
  out->name = "";
  if (!s || !s->data || index >= s->blob_count) return;
  uint32_t name_off;
  blob_decode(s, index, out, &name_off);
}

static const uint8_t *command_record(const spx_cs_stream_t *s, uint32_t i) {
  return sec(s, SPX_CS_SECTION_COMMANDS) + SPX_CS_COMMANDS_HEADER +
         (size_t)i * SPX_CS_COMMAND_RECORD;
}

void spx_cs_stream_command(const spx_cs_stream_t *s, uint32_t index,
                           spx_cs_command_t *out) {
  cs_zero(out, sizeof *out);
  out->name = "";
  if (!s || !s->data || index >= s->command_count) return;
  const uint8_t *r = command_record(s, index);
  cs_command_decode(r, out);
  out->name = str_at(s, cs_rd32(r + 8));
}

uint8_t spx_cs_stream_opcode(const spx_cs_stream_t *s, uint32_t index) {
  if (!s || !s->data || index >= s->command_count) return 0;
  return command_record(s, index)[0];
}

static const uint8_t *io_list(const spx_cs_stream_t *s) {
  return sec(s, SPX_CS_SECTION_TENSORS) + SPX_CS_TENSORS_HEADER +
         (size_t)s->tensor_count * SPX_CS_TENSOR_RECORD;
}

uint16_t spx_cs_stream_input(const spx_cs_stream_t *s, uint32_t index) {
  if (!s || !s->data || index >= s->input_count) return SPX_CS_NONE;
  return cs_rd16(io_list(s) + 2 * (size_t)index);
}

uint16_t spx_cs_stream_output(const spx_cs_stream_t *s, uint32_t index) {
  if (!s || !s->data || index >= s->output_count) return SPX_CS_NONE;
  return cs_rd16(io_list(s) + 2 * ((size_t)s->input_count + index));
}

/* ---- crc -------------------------------------------------------------------- */

spx_rt_status_t spx_cs_stream_seal(void *data, size_t size,
                                 spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (!data || size < SPX_CS_HEADER_SIZE)
    return BAD("file: size %zu is smaller than the header (%u bytes)", size,
               SPX_CS_HEADER_SIZE);
  uint8_t *p = (uint8_t *)data;
  cs_wr32(p + SPX_CS_CRC_OFFSET,
          spx_cs_crc32(0, p + SPX_CS_CRC_START, size - SPX_CS_CRC_START));
  return SPX_RT_OK;
}

/* ---- load ------------------------------------------------------------------- */

static const uint32_t section_align[SPX_CS_SECTION_COUNT_] = {
#define X(E, idx, text, align) align,
    SPX_CS_SECTIONS(X)
#undef X
};

/* A name field of record `who` must be a valid offset into the strings. */
static spx_rt_status_t check_name(const spx_cs_stream_t *s, const char *who,
                                uint32_t off, spx_rt_error_t *status) {
  uint32_t size = s->sections[SPX_CS_SECTION_STRINGS].size;
  if (off >= size)
    return BAD("%s: field 'name': string offset %u out of range (strings "
               "section size %u)", who, (unsigned)off, (unsigned)size);
  return SPX_RT_OK;
}

/* The blobs' crcs as file_crc found them: covered, every blob's bytes went
 * through the header's crc in one pass with their own crcs (then the blob
 * checks read first_bad instead of computing them again: the first blob
 * whose crc differs from its record's, and that crc), else 0. */
typedef struct blob_crcs {
  int covered;
  uint32_t first_bad; /* UINT32_MAX: none */
  uint32_t first_bad_crc;
} blob_crcs_t;

/* The crc of [SPX_CS_CRC_START, size) (the header's). Where the header's
 * blobs and weights sections and the blob records, read as they stand (not
 * checked yet: anything out of place and this is a plain crc of the range,
 * the blob checks then computing each blob's), lay out the blobs in order
 * within the file, each blob's own crc is computed as the pass reaches it
 * and combined into the file's (spx_cs_crc32_combine): one pass over the
 * weights instead of two. */
static uint32_t file_crc(const uint8_t *p, size_t size, blob_crcs_t *bc) {
  const uint32_t boff = cs_rd32(p + 32 + 8 * SPX_CS_SECTION_BLOBS);
  const uint32_t bsize = cs_rd32(p + 36 + 8 * SPX_CS_SECTION_BLOBS);
  const uint32_t woff = cs_rd32(p + 32 + 8 * SPX_CS_SECTION_WEIGHTS);
  const uint32_t wsize = cs_rd32(p + 36 + 8 * SPX_CS_SECTION_WEIGHTS);
  bc->covered = 0;
  bc->first_bad = UINT32_MAX;
  bc->first_bad_crc = 0;
  if (bsize >= SPX_CS_BLOBS_HEADER && boff >= SPX_CS_HEADER_SIZE &&
      (uint64_t)boff + bsize <= size && woff >= SPX_CS_HEADER_SIZE &&
      (uint64_t)woff + wsize <= size) {
    const uint32_t count = cs_rd32(p + boff);
    uint64_t prev_end = 0;
    size_t pos = SPX_CS_CRC_START;
    uint32_t crc = 0, i;
    if (SPX_CS_BLOBS_HEADER + (uint64_t)count * SPX_CS_BLOB_RECORD <= bsize) {
      for (i = 0; i < count; i++) {
        const uint8_t *r = p + boff + SPX_CS_BLOBS_HEADER + (size_t)i * SPX_CS_BLOB_RECORD;
        const uint32_t off = cs_rd32(r + 8), len = cs_rd32(r + 12);
        size_t start;
        uint32_t cb;
        if (off < prev_end || (uint64_t)off + len > wsize) break;
        start = (size_t)woff + off;
        crc = spx_cs_crc32(crc, p + pos, start - pos);
        cb = spx_cs_crc32(0, p + start, len);
        crc = spx_cs_crc32_combine(crc, cb, len);
        if (cb != cs_rd32(r + 16) && bc->first_bad == UINT32_MAX) {
          bc->first_bad = i;
          bc->first_bad_crc = cb;
        }
        pos = start + len;
        prev_end = (uint64_t)off + len;
      }
      if (i == count) {
        bc->covered = 1;
        return spx_cs_crc32(crc, p + pos, size - pos);
      }
      bc->first_bad = UINT32_MAX;
    }
  }
  return spx_cs_crc32(0, p + SPX_CS_CRC_START, size - SPX_CS_CRC_START);
}

static spx_rt_status_t load_header(spx_cs_stream_t *s, const uint8_t *p,
                                 size_t size, blob_crcs_t *bc, spx_rt_error_t *status) {
  if (size < SPX_CS_HEADER_SIZE)
    return spx_rt_error_set(status, SPX_RT_ERR_DATA_LOSS,
                "file: size %zu is smaller than the header (%u bytes)", size,
                SPX_CS_HEADER_SIZE);
  if (p[0] != 'S' || p[1] != 'P' || p[2] != 'X' || p[3] != 'B')
    return BAD("header: bad magic 0x%02x%02x%02x%02x (expected \"SPXB\")",
               p[0], p[1], p[2], p[3]);
  s->version_major = cs_rd16(p + 4);
  s->version_minor = cs_rd16(p + 6);
  if (s->version_major != SPX_CS_VERSION_MAJOR ||
      s->version_minor > SPX_CS_VERSION_MINOR)
    return spx_rt_error_set(status, SPX_RT_ERR_UNSUPPORTED,
                "header: format version %u.%u is not supported (this reader "
                "takes %d.0 to %d.%d)",
                s->version_major, s->version_minor, SPX_CS_VERSION_MAJOR,
                SPX_CS_VERSION_MAJOR, SPX_CS_VERSION_MINOR);
  uint32_t total = cs_rd32(p + 12);
  if (total != size)
    return spx_rt_error_set(status, SPX_RT_ERR_DATA_LOSS,
                "header: total_size %u does not match the file size %zu%s",
                (unsigned)total, size, total > size ? " (truncated)" : "");
  s->crc32 = cs_rd32(p + SPX_CS_CRC_OFFSET);
  uint32_t crc = file_crc(p, size, bc);
  if (crc != s->crc32)
    return spx_rt_error_set(status, SPX_RT_ERR_DATA_LOSS,
                "header: crc32 mismatch: stored 0x%08x, computed 0x%08x",
                (unsigned)s->crc32, (unsigned)crc);
  uint32_t hsize = cs_rd16(p + 16);
  if (hsize != SPX_CS_HEADER_SIZE)
    return BAD("header: field 'header_size': %u, expected %u", (unsigned)hsize,
               SPX_CS_HEADER_SIZE);
  s->target = cs_rd16(p + 18);
  if (!spx_cs_target_name(s->target))
    return BAD("header: field 'target': unknown target %u", (unsigned)s->target);
  uint32_t flags = cs_rd32(p + 20);
  if (flags) return BAD("header: field 'flags': must be 0, got 0x%x", (unsigned)flags);
  s->mdesc_hash = cs_rd64(p + 24);
  if (s->target == SPX_CS_TARGET_CPU && s->mdesc_hash)
    return BAD("header: field 'mdesc_hash': must be 0 for target cpu");

  /* Section table. */
  for (unsigned i = 0; i < SPX_CS_SECTION_MAX; i++) {
    s->sections[i].offset = cs_rd32(p + 32 + 8 * i);
    s->sections[i].size = cs_rd32(p + 36 + 8 * i);
  }
  for (unsigned i = 0; i < SPX_CS_SECTION_MAX; i++) {
    const spx_cs_section_t *e = &s->sections[i];
    if (i >= SPX_CS_SECTION_COUNT_) {
      if (e->offset || e->size)
        return BAD("header: section entry %u is reserved and must be 0", i);
      continue;
    }
    const char *n = spx_cs_section_name(i);
    if (e->offset % section_align[i])
      return BAD("section '%s': offset %u is not %u-byte aligned", n,
                 (unsigned)e->offset, (unsigned)section_align[i]);
    if (e->offset < SPX_CS_HEADER_SIZE ||
        (uint64_t)e->offset + e->size > size)
      return BAD("section '%s': [%u, +%u) is outside the file body [%u, %zu)",
                 n, (unsigned)e->offset, (unsigned)e->size,
                 SPX_CS_HEADER_SIZE, size);
    for (unsigned j = 0; j < i; j++) {
      const spx_cs_section_t *o = &s->sections[j];
      if (e->size && o->size && e->offset < (uint64_t)o->offset + o->size &&
          o->offset < (uint64_t)e->offset + e->size)
        return BAD("section '%s': [%u, +%u) overlaps section '%s' [%u, +%u)",
                   n, (unsigned)e->offset, (unsigned)e->size,
                   spx_cs_section_name(j), (unsigned)o->offset,
                   (unsigned)o->size);
    }
  }
  return SPX_RT_OK;
}

static spx_rt_status_t load_strings(const spx_cs_stream_t *s,
                                  spx_rt_error_t *status) {
  const spx_cs_section_t *e = &s->sections[SPX_CS_SECTION_STRINGS];
  const uint8_t *p = sec(s, SPX_CS_SECTION_STRINGS);
  if (e->size == 0 || p[0] != 0)
    return BAD("section 'strings': must start with a NUL byte");
  if (p[e->size - 1] != 0)
    return BAD("section 'strings': must end with a NUL byte");
  for (uint32_t i = 0; i < e->size; i++)
    if (p[i] && (p[i] < 0x20 || p[i] > 0x7e))
      return BAD("section 'strings': byte 0x%02x at offset %u is not "
                 "printable ASCII", p[i], (unsigned)i);
  return SPX_RT_OK;
}

spx_rt_status_t spx_cs_stream_load(const void *data, size_t size,
                                 spx_cs_stream_t *out,
                                 spx_rt_error_t *status) {
  spx_rt_error_clear(status);
  if (out) cs_zero(out, sizeof *out);
  if (!out || (!data && size))
    return BAD("spx_cs_stream_load: NULL argument");
  if (size > 0xffffffffu)
    return BAD("file: size %zu exceeds the 4 GiB limit", size);
  spx_cs_stream_t s;
  cs_zero(&s, sizeof s);
  const uint8_t *p = (const uint8_t *)data;
  spx_rt_status_t rc;
  blob_crcs_t bc = {0, UINT32_MAX, 0}; /* file_crc fills it */
  if ((rc = load_header(&s, p, size, &bc, status))) return rc;
  s.data = p;
  s.size = (uint32_t)size;
  if ((rc = load_strings(&s, status))) return rc;

  cs_vctx_t v;
  cs_zero(&v, sizeof v);
  v.status = status;
  v.stream = &s;
  v.target = s.target;
  v.weights_size = s.sections[SPX_CS_SECTION_WEIGHTS].size;

  /* Tensors. */
  const spx_cs_section_t *ts = &s.sections[SPX_CS_SECTION_TENSORS];
  if (ts->size < SPX_CS_TENSORS_HEADER)
    return BAD("section 'tensors': size %u is smaller than its header (%u)",
               (unsigned)ts->size, SPX_CS_TENSORS_HEADER);
  const uint8_t *tp = sec(&s, SPX_CS_SECTION_TENSORS);
  uint32_t tcount = cs_rd32(tp), icount = cs_rd32(tp + 4);
  uint32_t ocount = cs_rd32(tp + 8);
  v.workspace_size = cs_rd32(tp + 12);
  if (tcount > SPX_CS_MAX_TENSORS)
    return BAD("section 'tensors': tensor_count %u exceeds %u", (unsigned)tcount,
               SPX_CS_MAX_TENSORS);
  uint64_t want = SPX_CS_TENSORS_HEADER + (uint64_t)tcount * SPX_CS_TENSOR_RECORD +
                  2 * ((uint64_t)icount + ocount);
  if (want != ts->size)
    return BAD("section 'tensors': size %u does not match %u tensors, %u "
               "inputs and %u outputs (%llu bytes)", (unsigned)ts->size,
               (unsigned)tcount, (unsigned)icount, (unsigned)ocount,
               (unsigned long long)want);
  s.tensor_count = v.tensor_count = tcount;
  s.input_count = icount;
  s.output_count = ocount;
  s.workspace_size = v.workspace_size;
  for (uint32_t i = 0; i < tcount; i++) {
    spx_cs_tensor_t t;
    uint32_t name_off;
    char who[32];
    spx_rt_format(who, sizeof who, "tensor %u", (unsigned)i);
    tensor_decode(&s, i, &t, &name_off);
    if ((rc = check_name(&s, who, name_off, status))) return rc;
    const uint8_t *r = tp + SPX_CS_TENSORS_HEADER + (size_t)i * SPX_CS_TENSOR_RECORD;
    if (!all_zero(r + 6, 2) || !all_zero(r + 48, 16))
      return BAD("%s: reserved bytes must be 0", who);
    if ((rc = cs_check_tensor(&v, i, &t))) return rc;
  }
  if ((rc = cs_check_io(&v, "input", icount, io_list(&s), NULL)) ||
      (rc = cs_check_io(&v, "output", ocount, io_list(&s) + 2 * (size_t)icount,
                        NULL)))
    return rc;

  /* Blobs. */
  const spx_cs_section_t *bs = &s.sections[SPX_CS_SECTION_BLOBS];
  if (bs->size < SPX_CS_BLOBS_HEADER)
    return BAD("section 'blobs': size %u is smaller than its header (%u)",
               (unsigned)bs->size, SPX_CS_BLOBS_HEADER);
  const uint8_t *bp = sec(&s, SPX_CS_SECTION_BLOBS);
  uint32_t bcount = cs_rd32(bp);
  if (!all_zero(bp + 4, 4)) return BAD("section 'blobs': reserved bytes must be 0");
  want = SPX_CS_BLOBS_HEADER + (uint64_t)bcount * SPX_CS_BLOB_RECORD;
  if (want != bs->size)
    return BAD("section 'blobs': size %u does not match %u blobs (%llu bytes)",
               (unsigned)bs->size, (unsigned)bcount, (unsigned long long)want);
  if (bcount > SPX_CS_NONE)
    return BAD("section 'blobs': blob_count %u exceeds %u", (unsigned)bcount,
               SPX_CS_NONE);
  s.blob_count = v.blob_count = bcount;
  uint64_t prev_end = 0;
  for (uint32_t i = 0; i < bcount; i++) {
    spx_cs_blob_t b;
    uint32_t name_off;
    char who[32];
    spx_rt_format(who, sizeof who, "blob %u", (unsigned)i);
    blob_decode(&s, i, &b, &name_off);
    if ((rc = check_name(&s, who, name_off, status))) return rc;
    const uint8_t *r = bp + SPX_CS_BLOBS_HEADER + (size_t)i * SPX_CS_BLOB_RECORD;
    if (r[5] || !all_zero(r + 20, 12))
      return BAD("%s: reserved bytes must be 0", who);
    if ((rc = cs_check_blob(&v, i, &b))) return rc;
    if (b.offset < prev_end)
      return BAD("blob %u%s%s%s: field 'offset': %u overlaps or precedes the "
                 "previous blob (ending at %llu)", (unsigned)i,
                 *b.name ? " (" : "", b.name, *b.name ? ")" : "",
                 (unsigned)b.offset, (unsigned long long)prev_end);
    prev_end = (uint64_t)b.offset + b.length;
    uint32_t crc = bc.covered ? (i == bc.first_bad ? bc.first_bad_crc : b.crc32)
                              : spx_cs_crc32(0, b.data, b.length);
    if (crc != b.crc32)
      return spx_rt_error_set(status, SPX_RT_ERR_DATA_LOSS,
                  "blob %u%s%s%s: field 'crc32': stored 0x%08x, computed "
                  "0x%08x", (unsigned)i, *b.name ? " (" : "", b.name,
                  *b.name ? ")" : "", (unsigned)b.crc32, (unsigned)crc);
  }

  /* Commands. */
  const spx_cs_section_t *cs = &s.sections[SPX_CS_SECTION_COMMANDS];
  if (cs->size < SPX_CS_COMMANDS_HEADER)
    return BAD("section 'commands': size %u is smaller than its header (%u)",
               (unsigned)cs->size, SPX_CS_COMMANDS_HEADER);
  const uint8_t *cp = sec(&s, SPX_CS_SECTION_COMMANDS);
  uint32_t ccount = cs_rd32(cp), rsize = cs_rd16(cp + 4);
  if (rsize != SPX_CS_COMMAND_RECORD)
    return BAD("section 'commands': record_size %u, expected %u",
               (unsigned)rsize, SPX_CS_COMMAND_RECORD);
  if (!all_zero(cp + 6, 2))
    return BAD("section 'commands': reserved bytes must be 0");
  want = SPX_CS_COMMANDS_HEADER + (uint64_t)ccount * SPX_CS_COMMAND_RECORD;
  if (want != cs->size)
    return BAD("section 'commands': size %u does not match %u commands (%llu "
               "bytes)", (unsigned)cs->size, (unsigned)ccount,
               (unsigned long long)want);
  s.command_count = ccount;
  for (uint32_t i = 0; i < ccount; i++) {
    const uint8_t *r = command_record(&s, i);
    spx_cs_command_t c;
    cs_command_decode(r, &c);
    c.name = "";
    const spx_cs_opcode_info_t *info = spx_cs_opcode_info(c.opcode);
    char who[48];
    spx_rt_format(who, sizeof who, "command %u (%s)", (unsigned)i,
                  info ? info->name : "?");
    if (info) {
      if ((rc = check_name(&s, who, cs_rd32(r + 8), status))) return rc;
      c.name = str_at(&s, cs_rd32(r + 8));
      if (r[2] || r[3]) return BAD("%s: reserved bytes must be 0", who);
      /* Bytes of the record that no field covers must be 0. */
      uint64_t covered = 0;
      for (uint32_t k = 0; k < info->field_count; k++) {
        const spx_cs_field_info_t *f = &info->fields[k];
        for (unsigned b = 0; b < spx_cs_field_kind_size(f->kind); b++)
          covered |= (uint64_t)1 << (f->offset + b);
      }
      for (unsigned b = 12; b < SPX_CS_COMMAND_RECORD; b++)
        if (!(covered >> b & 1) && r[b])
          return BAD("%s: reserved byte %u must be 0", who, b);
    }
    if ((rc = cs_check_command(&v, i, &c))) return rc;
  }
  *out = s;
  return SPX_RT_OK;
}
