/* outfile.c - output files written all or nothing (spx_outset_t).
 *
 * Each file of a set is written to a temporary next to its path
 * (PATH.tmp.XXXXXX: the same folder, so renaming it is atomic). The commit
 * renames them into place one by one; while it does, the file each one
 * replaces is kept as a hard link PATH.old.XXXXXX (or, where the file system
 * has no hard links, moved there). If a rename fails, the paths already
 * renamed get their previous file back (or are removed if there was none),
 * so the set is either all new or all old; once every rename succeeded the
 * backups are removed. (A path that is a device or a FIFO, -o /dev/null,
 * is written in place: a rename would replace it.)
 *
 * Signals: spx_outfile_handle_signals installs a handler that removes the
 * temporary files and the folders of every set not yet committed, then dies
 * by the signal as it would have. It only calls unlink, rmdir, signal and
 * raise (async-signal-safe), over a list that it can always read whole:
 * every change to the list of live sets and their files is made with the
 * handled signals blocked, a file is in the list from the moment mkstemp
 * creates it (they run in the same blocked section), and a folder from the
 * moment mkdir creates it. The commit itself runs blocked: a signal that
 * arrives during it is delivered once every file is in place (or every old
 * one is back). The tools are single-threaded (MLIR runs without threads),
 * so sigprocmask is the mask that matters.
 */
#define _POSIX_C_SOURCE 200809L
#include "support/spx_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
  char *path;   /* where the file goes */
  char *tmp;    /* PATH.tmp.XXXXXX, there while `live` */
  char *old;    /* PATH.old.XXXXXX during the commit, while `has_old` */
  FILE *fp;     /* open while being written */
  int live;     /* the temporary exists */
  int renamed;  /* the temporary is at `path` (during the commit) */
  int has_old;  /* the previous file is at `old` */
  int old_link; /* ... as a hard link (else moved: `path` was empty) */
  int direct;   /* `path` is written in place (a device or a FIFO) */
  int to_stdout; /* path "-": fp is a tmpfile() copied to stdout at the commit */
} entry_t;

struct spx_outset {
  entry_t *files;
  int n, cap;
  char **dirs; /* folders created, in creation order */
  int n_dirs, cap_dirs;
  int committed;
  char *failed_path;
  char *error;
  spx_outset_t *next, *prev; /* the list of live sets */
};

static spx_outset_t *live_sets;

static const int handled_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE,
#ifdef SIGXFSZ
    SIGXFSZ, /* a size limit hit while writing a large output */
#endif
};
enum { N_HANDLED = (int)(sizeof handled_signals / sizeof handled_signals[0]) };

static void block_signals(sigset_t *saved) {
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < N_HANDLED; i++) sigaddset(&set, handled_signals[i]);
  sigprocmask(SIG_BLOCK, &set, saved);
}

static void restore_signals(const sigset_t *saved) { sigprocmask(SIG_SETMASK, saved, NULL); }

/* Async-signal-safe: unlink and rmdir only. */
static void remove_uncommitted(const spx_outset_t *s) {
  for (int i = 0; i < s->n; i++)
    if (s->files[i].live) unlink(s->files[i].tmp);
  for (int i = s->n_dirs - 1; i >= 0; i--) rmdir(s->dirs[i]); /* empty ones only */
}

static void on_signal(int sig) {
  int saved_errno = errno;
  for (const spx_outset_t *s = live_sets; s; s = s->next) remove_uncommitted(s);
  /* Die by the same signal: it is blocked while this handler runs, so it is
   * delivered, with the default action, when the handler returns. */
  signal(sig, SIG_DFL);
  raise(sig);
  errno = saved_errno;
}

static void install(int sig, int even_if_ignored) {
  struct sigaction sa, old;
  if (sigaction(sig, NULL, &old) != 0) return;
  /* A signal the parent ignores (nohup, a background job) stays ignored. */
  if (old.sa_handler == SIG_IGN && !even_if_ignored) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < N_HANDLED; i++) sigaddset(&sa.sa_mask, handled_signals[i]);
  sigaction(sig, &sa, NULL);
}

void spx_outfile_handle_signals(void) {
  for (int i = 0; i < N_HANDLED; i++) install(handled_signals[i], 0);
}

/* ---- errors -------------------------------------------------------------- */

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void set_error(spx_outset_t *s, const char *path, const char *what, int err) {
  free(s->failed_path);
  free(s->error);
  s->failed_path = dup_str(path);
  const char *reason = strerror(err);
  size_t n = strlen(what) + strlen(path) + strlen(reason) + 8;
  s->error = malloc(n);
  if (s->error) snprintf(s->error, n, "%s '%s': %s", what, path, reason);
}

const char *spx_outset_error(const spx_outset_t *s) {
  return s->error ? s->error : "out of memory";
}

const char *spx_outset_failed_path(const spx_outset_t *s) {
  return s->failed_path ? s->failed_path : "";
}

/* ---- sets ---------------------------------------------------------------- */

spx_outset_t *spx_outset_create(void) {
  spx_outset_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  sigset_t saved;
  block_signals(&saved);
  s->next = live_sets;
  if (live_sets) live_sets->prev = s;
  live_sets = s;
  restore_signals(&saved);
  return s;
}

/* Out of the list: the handler no longer looks at it. Signals blocked. */
static void unlist(spx_outset_t *s) {
  if (s->prev) s->prev->next = s->next;
  else if (live_sets == s) live_sets = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

void spx_outset_destroy(spx_outset_t *s) {
  if (!s) return;
  sigset_t saved;
  block_signals(&saved);
  for (int i = 0; i < s->n; i++) {
    entry_t *f = &s->files[i];
    if (f->fp) fclose(f->fp);
    f->fp = NULL;
    if (f->live) unlink(f->tmp);
    f->live = 0;
  }
  if (!s->committed)
    for (int i = s->n_dirs - 1; i >= 0; i--) rmdir(s->dirs[i]);
  s->n_dirs = 0;
  unlist(s);
  restore_signals(&saved);
  for (int i = 0; i < s->n; i++) {
    free(s->files[i].path);
    free(s->files[i].tmp);
    free(s->files[i].old);
  }
  for (int i = 0; i < s->cap_dirs; i++) free(s->dirs[i]);
  free(s->files);
  free(s->dirs);
  free(s->failed_path);
  free(s->error);
  free(s);
}

/* mkdirs ran out of memory at `path` (buf, freed here, may be NULL). */
static int mkdirs_nomem(spx_outset_t *s, const char *path, char *buf) {
  set_error(s, path, "cannot create output directory", ENOMEM);
  free(buf);
  errno = ENOMEM;
  return -1;
}

int spx_outset_mkdirs(spx_outset_t *s, const char *dir) {
  char *buf = dup_str(dir);
  size_t len = strlen(dir);
  struct stat st;
  if (!buf) return mkdirs_nomem(s, dir, NULL);
  for (size_t i = 1; i <= len; i++) {
    if (i < len && buf[i] != '/') continue;
    char keep = buf[i];
    buf[i] = '\0';
    if (stat(buf, &st) != 0) {
      /* Room for the record first, so that a folder once made is always
       * in the list (the signal handler removes it). */
      if (s->n_dirs == s->cap_dirs) {
        int cap = s->cap_dirs ? 2 * s->cap_dirs : 8;
        char **grown = calloc((size_t)cap, sizeof *grown);
        if (!grown) return mkdirs_nomem(s, buf, buf);
        sigset_t saved;
        block_signals(&saved);
        if (s->n_dirs) memcpy(grown, s->dirs, (size_t)s->n_dirs * sizeof *grown);
        char **was = s->dirs;
        s->dirs = grown;
        s->cap_dirs = cap;
        restore_signals(&saved);
        free(was);
      }
      char *copy = dup_str(buf);
      if (!copy) return mkdirs_nomem(s, buf, buf);
      sigset_t saved;
      block_signals(&saved);
      int made = mkdir(buf, 0777) == 0, err = errno;
      if (made) s->dirs[s->n_dirs++] = copy;
      restore_signals(&saved);
      if (!made) {
        free(copy);
        if (err != EEXIST) {
          set_error(s, buf, "cannot create output directory", err);
          free(buf);
          errno = err;
          return -1;
        }
      }
    }
    buf[i] = keep;
  }
  free(buf);
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    int err = errno;
    if (stat(dir, &st) == 0) err = ENOTDIR;
    set_error(s, dir, "cannot use output directory", err);
    if (err == ENOTDIR && s->error) {
      size_t n = strlen(dir) + 64;
      char *msg = malloc(n);
      if (msg) {
        snprintf(msg, n, "output path '%s' is not a directory", dir);
        free(s->error);
        s->error = msg;
      }
    }
    errno = err;
    return -1;
  }
  return 0;
}

FILE *spx_outset_open(spx_outset_t *s, const char *path) {
  size_t n = strlen(path);
  entry_t f;
  memset(&f, 0, sizeof f);
  f.path = dup_str(path);
  f.tmp = malloc(n + 16);
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 8;
    entry_t *grown = calloc((size_t)cap, sizeof *grown);
    if (grown) {
      sigset_t saved;
      block_signals(&saved);
      if (s->n) memcpy(grown, s->files, (size_t)s->n * sizeof *grown);
      entry_t *was = s->files;
      s->files = grown;
      s->cap = cap;
      restore_signals(&saved);
      free(was);
    }
  }
  if (!f.path || !f.tmp || s->n == s->cap) {
    free(f.path);
    free(f.tmp);
    set_error(s, path, "cannot write", ENOMEM);
    errno = ENOMEM;
    return NULL;
  }
  /* "-": standard output, through an anonymous temporary (tmpfile: gone
   * with the process, whatever kills it) that the commit copies out, so a
   * failed run writes nothing there either. */
  if (strcmp(path, "-") == 0) {
    free(f.tmp);
    f.tmp = NULL;
    f.to_stdout = 1;
    f.fp = tmpfile();
    if (!f.fp) {
      int err = errno;
      free(f.path);
      set_error(s, "<stdout>", "cannot write", err);
      errno = err;
      return NULL;
    }
    sigset_t saved;
    block_signals(&saved);
    s->files[s->n++] = f;
    restore_signals(&saved);
    return f.fp;
  }
  /* A device or a FIFO (-o /dev/null, /dev/stdout) is written in place:
   * renaming a file over it would replace it, and there is nothing to
   * take back anyway. */
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    free(f.tmp);
    f.tmp = NULL;
    f.direct = 1;
    f.fp = fopen(path, "wb");
    if (!f.fp) {
      int err = errno;
      free(f.path);
      set_error(s, path, "cannot write", err);
      errno = err;
      return NULL;
    }
    sigset_t saved;
    block_signals(&saved);
    s->files[s->n++] = f; /* not live: the handler has nothing to remove */
    restore_signals(&saved);
    return f.fp;
  }
  snprintf(f.tmp, n + 16, "%s.tmp.XXXXXX", path);
  /* Created and listed in one blocked section: the handler sees every
   * temporary that exists. */
  sigset_t saved;
  block_signals(&saved);
  int fd = mkstemp(f.tmp), err = errno;
  if (fd >= 0) {
    f.live = 1;
    s->files[s->n++] = f;
  }
  restore_signals(&saved);
  if (fd < 0) {
    free(f.path);
    free(f.tmp);
    set_error(s, path, "cannot write", err);
    errno = err;
    return NULL;
  }
  entry_t *e = &s->files[s->n - 1];
  /* mkstemp creates 0600; give the file the mode a plain creat() would. */
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0 || !(e->fp = fdopen(fd, "wb"))) {
    err = errno;
    close(fd);
    set_error(s, path, "cannot write", err);
    errno = err; /* the temporary goes with the set */
    return NULL;
  }
  return e->fp;
}

static int close_entry(spx_outset_t *s, entry_t *f) {
  int rc = 0, err = 0;
  if (!f->fp) return 0;
  errno = 0;
  if (fflush(f->fp) != 0 || ferror(f->fp)) {
    rc = -1;
    err = errno ? errno : EIO;
  }
  if (f->to_stdout) { /* kept open: the commit copies it out */
    if (rc != 0) {
      set_error(s, "<stdout>", "cannot write", err);
      errno = err;
    }
    return rc;
  }
  errno = 0;
  if (fclose(f->fp) != 0 && rc == 0) {
    rc = -1;
    err = errno ? errno : EIO;
  }
  f->fp = NULL;
  if (rc != 0) {
    set_error(s, f->path, "cannot write", err);
    errno = err;
  }
  return rc;
}

int spx_outset_close(spx_outset_t *s, FILE *fp) {
  for (int i = 0; i < s->n; i++)
    if (s->files[i].fp == fp) return close_entry(s, &s->files[i]);
  SPX_UNREACHABLE("spx_outset_close: not a stream of this set");
  return -1;
}

/* ---- commit ---------------------------------------------------------------- */

/* The hidden test hooks: SPX_TEST_RAISE_BEFORE_COMMIT=SIG raises SIG (HUP,
 * INT, QUIT, TERM, PIPE) once every temporary is written, before anything
 * is renamed, with the cleanup handler installed for it even if it was
 * ignored; SPX_TEST_RAISE_IN_COMMIT=SIG raises it after the first rename
 * (where it waits, blocked, for the end of the commit). So tests kill a
 * compile at those points without timing. */
static int test_signal(const char *var) {
  static const struct {
    const char *name;
    int sig;
  } names[] = {{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT},
               {"TERM", SIGTERM}, {"PIPE", SIGPIPE}};
  const char *v = getenv(var);
  if (!v || !*v) return 0;
  if (strncmp(v, "SIG", 3) == 0) v += 3;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(v, names[i].name) == 0) return names[i].sig;
  return 0;
}

/* Keeps the file at f->path, if any, as f->old. */
static int keep_previous(entry_t *f) {
  struct stat st;
  if (lstat(f->path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) return 0; /* the rename fails: nothing to keep */
  size_t n = strlen(f->path) + 40;
  f->old = malloc(n);
  if (!f->old) {
    errno = ENOMEM;
    return -1;
  }
  const char *suffix = f->tmp + strlen(f->tmp) - 6; /* mkstemp's XXXXXX */
  for (int k = 0; k < 1000; k++) {
    if (k == 0) snprintf(f->old, n, "%s.old.%s", f->path, suffix);
    else snprintf(f->old, n, "%s.old.%s%d", f->path, suffix, k);
    if (link(f->path, f->old) == 0) {
      f->has_old = f->old_link = 1;
      return 0;
    }
    if (errno == EEXIST) continue;
    /* No hard links here (EPERM, ENOTSUP...): move the old file aside. */
    if (rename(f->path, f->old) == 0) {
      f->has_old = 1;
      return 0;
    }
    return -1;
  }
  errno = EEXIST;
  return -1;
}

/* Undoes keep_previous and the rename: `path` as it was before. Returns 0,
 * or -1 if the previous file could not be put back (it stays at f->old). */
static int put_back(entry_t *f) {
  int rc = 0;
  if (f->renamed) {
    /* The new file is at path; the temporary name is free again. */
    if (f->has_old) rc = rename(f->old, f->path);
    else unlink(f->path);
    f->renamed = 0;
  } else if (f->has_old) {
    if (f->old_link) unlink(f->old);
    else rc = rename(f->old, f->path);
  }
  if (rc == 0) f->has_old = 0;
  return rc;
}

int spx_outset_commit(spx_outset_t *s) {
  for (int i = 0; i < s->n; i++)
    if (close_entry(s, &s->files[i]) != 0) return -1;
  int sig = test_signal("SPX_TEST_RAISE_BEFORE_COMMIT");
  if (sig) {
    install(sig, 1);
    raise(sig);
  }
  int in_commit = test_signal("SPX_TEST_RAISE_IN_COMMIT");

  /* Standard output first, once every file is written: if it cannot be
   * written, no file is renamed. (The other way round cannot be undone.) */
  for (int i = 0; i < s->n; i++) {
    entry_t *f = &s->files[i];
    if (!f->to_stdout || !f->fp) continue;
    char buf[65536];
    size_t got;
    int bad = 0;
    errno = 0;
    rewind(f->fp);
    while (!bad && (got = fread(buf, 1, sizeof buf, f->fp)) > 0)
      bad = fwrite(buf, 1, got, stdout) != got;
    if (bad || ferror(f->fp) || fflush(stdout) != 0) {
      int e = errno ? errno : EIO;
      set_error(s, "<stdout>", "cannot write", e);
      errno = e;
      return -1;
    }
    fclose(f->fp);
    f->fp = NULL;
  }

  sigset_t saved;
  block_signals(&saved);
  int failed = -1, err = 0;
  for (int i = 0; i < s->n; i++) {
    entry_t *f = &s->files[i];
    if (f->direct || f->to_stdout) continue;
    if (keep_previous(f) != 0 || rename(f->tmp, f->path) != 0) {
      failed = i;
      err = errno;
      break;
    }
    f->live = 0;
    f->renamed = 1;
    if (in_commit) {
      install(in_commit, 1);
      raise(in_commit); /* pending until the commit is over */
      in_commit = 0;
    }
  }
  int unrestored = -1;
  if (failed >= 0) {
    for (int i = failed; i >= 0; i--)
      if (put_back(&s->files[i]) != 0 && unrestored < 0) unrestored = i;
    set_error(s, s->files[failed].path, "cannot write", err);
  } else {
    for (int i = 0; i < s->n; i++) {
      entry_t *f = &s->files[i];
      if (f->has_old) unlink(f->old);
      f->has_old = 0;
      f->renamed = 0;
    }
    s->committed = 1;
    unlist(s);
  }
  restore_signals(&saved);
  if (failed < 0) return 0;
  if (unrestored >= 0 && s->error) {
    /* Very unlikely (the folder changed under us): say where it is. */
    const entry_t *f = &s->files[unrestored];
    size_t n = strlen(s->error) + 2 * strlen(f->old) + 64;
    char *msg = malloc(n);
    if (msg) {
      snprintf(msg, n, "%s; the previous '%s' could not be put back and is '%s'",
               s->error, f->path, f->old);
      free(s->error);
      s->error = msg;
    }
  }
  errno = err;
  return -1;
}

/* ---- one file ------------------------------------------------------------ */

int spx_outfile_write(const char *path, int (*emit)(FILE *f, void *user), void *user) {
  spx_outset_t *s = spx_outset_create();
  if (!s) {
    errno = ENOMEM;
    return -1;
  }
  FILE *f = spx_outset_open(s, path);
  int rc = f ? 0 : -1, err = errno;
  if (rc == 0 && emit(f, user) != 0) {
    rc = -1;
    err = errno ? errno : EIO;
  }
  if (rc == 0 && spx_outset_commit(s) != 0) {
    rc = -1;
    err = errno;
  }
  spx_outset_destroy(s);
  errno = err;
  return rc;
}
