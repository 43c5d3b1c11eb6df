/* formats_internal.h - little-endian field access shared by the encodings
 * of this folder (byte by byte: no alignment is assumed of a caller's
 * buffer). Not part of the runtime's interface. */
#ifndef SPX_FORMATS_INTERNAL_H
#define SPX_FORMATS_INTERNAL_H

#include <stdint.h>

static inline uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline uint32_t rd16(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}
static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

#endif /* SPX_FORMATS_INTERNAL_H */
