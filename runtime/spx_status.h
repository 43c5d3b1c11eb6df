/* spx_status.h - the runtime's one status: a code, and a message for the
 * caller who asks for one.
 *
 * Every runtime function that can fail returns an spx_rt_status_t: 0 (OK)
 * or a negative code saying what kind of failure it was. Functions that can
 * say more (the stream loader, the format validators and decoders, the
 * devices) also take an spx_rt_error_t * (may be NULL) and fill it in with
 * the same code, the command the failure is about, if any, and a one-line
 * message naming what is wrong and where, e.g.
 *   "command 3 (cpu.layer): field 'in1': tensor %9 out of range (7 tensors)".
 * The hot-path kernels return the code only. As with IREE's iree_status_t,
 * the code says what a program can do about it and the message is for
 * people; unlike it, nothing is allocated: the message lives in the
 * caller's struct, so the runtime stays freestanding.
 *
 * Freestanding C99: no allocation, no stdio. */
#ifndef SPX_STATUS_H
#define SPX_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, value, "name"): the codes, one line each. */
#define SPX_RT_STATUSES(X)                                                    \
  X(OK, 0, "ok")                                                              \
  X(ERR_ARG, -1, "invalid argument")     /* NULL pointer, bad parameter */    \
  X(ERR_SHAPE, -2, "inconsistent shape") /* shapes, groups, axis */           \
  X(ERR_BUFFER, -3, "buffer too small")  /* a caller's scratch or output */   \
  X(ERR_FORMAT, -4, "malformed input")   /* a stream or weight encoding */    \
  X(ERR_DATA_LOSS, -5, "data loss")      /* truncated, or a crc mismatch */   \
  X(ERR_UNSUPPORTED, -6, "unsupported")  /* well-formed, not runnable here */ \
  X(ERR_RANGE, -7, "out of range")       /* valid, but its values leave the \
                                            range the operation needs */      \
  X(ERR_ABORTED, -8, "aborted")          /* a caller's callback failed */

typedef enum spx_rt_status {
#define SPX_RT_X_(E, v, name) SPX_RT_##E = v,
  SPX_RT_STATUSES(SPX_RT_X_)
#undef SPX_RT_X_
} spx_rt_status_t;

/* Short name of a status ("ok", "invalid argument", ...). */
const char *spx_rt_status_name(spx_rt_status_t status);

#define SPX_RT_ERROR_MESSAGE_MAX 240
#define SPX_RT_NO_COMMAND 0xffffffffu

typedef struct spx_rt_error {
  spx_rt_status_t status;
  uint32_t command; /* the command index it is about, or SPX_RT_NO_COMMAND */
  char message[SPX_RT_ERROR_MESSAGE_MAX]; /* "" when ok; NUL-terminated */
} spx_rt_error_t;

#if defined(__GNUC__)
#define SPX_RT_PRINTF_(f, a) __attribute__((format(printf, f, a)))
#else
#define SPX_RT_PRINTF_(f, a)
#endif

/* Sets *e (if not NULL) to OK, no command, "". */
void spx_rt_error_clear(spx_rt_error_t *e);
/* Sets *e (if not NULL) to st and a message (spx_rt_format's subset,
 * truncated with "..." to fit), no command; returns st. */
spx_rt_status_t spx_rt_error_set(spx_rt_error_t *e, spx_rt_status_t st,
                                 const char *fmt, ...) SPX_RT_PRINTF_(3, 4);
/* The same, about command `command`. */
spx_rt_status_t spx_rt_error_set_at(spx_rt_error_t *e, spx_rt_status_t st,
                                    uint32_t command, const char *fmt, ...)
    SPX_RT_PRINTF_(4, 5);

/* spx_rt_error_set_at with a va_list, for functions that wrap it. */
spx_rt_status_t spx_rt_error_vset(spx_rt_error_t *e, spx_rt_status_t st,
                                  uint32_t command, const char *fmt, va_list ap);

/* Freestanding snprintf: printf's subset of flags '-' '0', width,
 * precision for s (and '*'), length hh h l ll z, conversions d i u x X c s
 * g f %. Returns the length the full output would have; writes at most
 * cap - 1 characters plus a NUL. */
size_t spx_rt_format(char *buf, size_t cap, const char *fmt, ...)
    SPX_RT_PRINTF_(3, 4);
size_t spx_rt_vformat(char *buf, size_t cap, const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif

#endif /* SPX_STATUS_H */
