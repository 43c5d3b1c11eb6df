/* diag.c - user-facing diagnostics: "file:line:col: error: message", the
 * source line, and a caret under the column. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "support/spx_support.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct source {
  char *file;
  char *text;
  size_t len;
  /* Offsets of the starts of lines, built on the first quote, so quoting
   * a line costs O(1) and n messages cost O(file + n), not O(file * n). */
  size_t *line_start;
  size_t n_lines;
  int indexed; /* line_start is built (or could not be: then no quoting) */
} source_t;

struct spx_diag {
  FILE *out;
  int errors;
  int warnings;        /* shown as warnings (not turned into errors) */
  int fatal_warnings;  /* --fatal-warnings: a warning is an error */
  int n_sources;
  source_t *sources;
  int error_limit;     /* 0: no limit */
  char *limit_hint;    /* appended to the "stopping now" note, or NULL */
  int stopped;         /* the limit was passed: nothing more is shown */
};

spx_diag_t *spx_diag_create(FILE *out) {
  spx_diag_t *d = calloc(1, sizeof *d);
  if (d) d->out = out;
  return d;
}

void spx_diag_destroy(spx_diag_t *d) {
  if (!d) return;
  for (int i = 0; i < d->n_sources; i++) {
    free(d->sources[i].file);
    free(d->sources[i].text);
    free(d->sources[i].line_start);
  }
  free(d->sources);
  free(d->limit_hint);
  free(d);
}

void spx_diag_add_source(spx_diag_t *d, const char *file, const char *text,
                         size_t len) {
  source_t *grown = realloc(d->sources, (size_t)(d->n_sources + 1) * sizeof *grown);
  if (!grown) return; /* quoting is best effort */
  d->sources = grown;
  source_t *s = &d->sources[d->n_sources];
  s->file = malloc(strlen(file) + 1);
  s->text = malloc(len + 1);
  if (!s->file || !s->text) {
    free(s->file);
    free(s->text);
    return;
  }
  strcpy(s->file, file);
  memcpy(s->text, text, len);
  s->text[len] = '\0';
  s->len = len;
  s->line_start = NULL;
  s->n_lines = 0;
  s->indexed = 0;
  d->n_sources++;
}

/* The latest registered source of that name wins (command-line statements
 * are registered again for each override). */
static source_t *find_source(spx_diag_t *d, const char *file) {
  for (int i = d->n_sources - 1; i >= 0; i--)
    if (strcmp(d->sources[i].file, file) == 0) return &d->sources[i];
  return NULL;
}

/* One pass over the text: where each line starts. Lines end at '\n'; the
 * text after the last '\n' is a line if it is not empty (or the file is). */
static void index_lines(source_t *s) {
  size_t n = 1;
  s->indexed = 1;
  for (size_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n') n++;
  s->line_start = malloc(n * sizeof *s->line_start);
  if (!s->line_start) return; /* quoting is best effort */
  s->line_start[0] = 0;
  s->n_lines = 1;
  for (size_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n') s->line_start[s->n_lines++] = i + 1;
}

enum { QUOTE_MAX = 200 }; /* the longest line quoted whole */

static void quote_line(spx_diag_t *d, spx_loc_t loc, FILE *out) {
  source_t *s = loc.file ? find_source(d, loc.file) : NULL;
  if (!s || loc.line <= 0) return;
  if (!s->indexed) index_lines(s);
  /* A line past the end of the text is not quoted, except line 1 (an
   * empty file's). The text after a final '\n' is not a line. */
  if ((size_t)loc.line > s->n_lines) return;
  if (loc.line > 1 && s->line_start[loc.line - 1] >= s->len) return;
  const char *p = s->text + s->line_start[loc.line - 1], *end = s->text + s->len;
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol) eol = end;
  size_t n = (size_t)(eol - p);
  if (n && p[n - 1] == '\r') n--;
  /* A long line (machine-written IR, a hex blob) is quoted around the
   * column only, with "..." where it is cut. */
  int col = loc.col;
  const char *lead = "", *trail = "";
  if (n > QUOTE_MAX) {
    size_t from = col > QUOTE_MAX / 2 ? (size_t)col - QUOTE_MAX / 2 : 0;
    if (from > n - QUOTE_MAX) from = n - QUOTE_MAX;
    if (from > 0) lead = "...";
    if (from + QUOTE_MAX < n) trail = "...";
    p += from;
    n = QUOTE_MAX;
    col -= (int)from - (int)strlen(lead);
  }
  fprintf(out, "%s%.*s%s\n", lead, (int)n, p, trail);
  /* Tabs in the prefix are kept so the caret lines up in a terminal. */
  for (int c = 1; c < col && (size_t)(c - 1) < n + strlen(lead); c++) {
    size_t k = (size_t)(c - 1);
    char ch = k < strlen(lead) ? ' ' : p[k - strlen(lead)];
    fputc(ch == '\t' ? '\t' : ' ', out);
  }
  fputs("^\n", out);
}

void spx_diag_vreport(spx_diag_t *d, spx_severity_t sev, spx_loc_t loc,
                      const char *fmt, va_list ap) {
  static const char *const names[] = {"error", "warning", "note"};
  /* As gcc's -Werror: a warning is reported and counted as an error, with
   * the flag that made it one. */
  bool fatal = sev == SPX_SEV_WARNING && d->fatal_warnings;
  if (fatal) sev = SPX_SEV_ERROR;
  else if (sev == SPX_SEV_WARNING) d->warnings++;
  if (sev == SPX_SEV_ERROR) d->errors++;
  if (d->stopped) return;
  if (sev == SPX_SEV_ERROR && d->error_limit > 0 && d->errors > d->error_limit) {
    /* As clang's -ferror-limit: the first error past the limit is not
     * shown; one note says why, and nothing is shown after it. */
    d->stopped = 1;
    fprintf(d->out, "note: too many errors emitted, stopping now");
    if (d->limit_hint) fprintf(d->out, " (%s)", d->limit_hint);
    fputc('\n', d->out);
    fflush(d->out);
    return;
  }
  /* The message is put together in memory and written at once: stderr is
   * unbuffered, and a write per character costs more than the rest. */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  FILE *out = mem ? mem : d->out;
  if (loc.file && loc.line > 0)
    fprintf(out, "%s:%d:%d: ", loc.file, loc.line, loc.col > 0 ? loc.col : 1);
  else if (loc.file)
    fprintf(out, "%s: ", loc.file);
  fprintf(out, "%s: ", names[sev]);
  vfprintf(out, fmt, ap);
  if (fatal) fputs(" [--fatal-warnings]", out);
  fputc('\n', out);
  quote_line(d, loc, out);
  if (mem) {
    if (fclose(mem) == 0 && buf) fwrite(buf, 1, len, d->out);
    free(buf);
  }
  fflush(d->out);
}

void spx_diag_report(spx_diag_t *d, spx_severity_t sev, spx_loc_t loc,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  spx_diag_vreport(d, sev, loc, fmt, ap);
  va_end(ap);
}

int spx_diag_error_count(const spx_diag_t *d) { return d->errors; }

int spx_diag_warning_count(const spx_diag_t *d) { return d->warnings; }

void spx_diag_set_fatal_warnings(spx_diag_t *d, int on) { d->fatal_warnings = on != 0; }

void spx_diag_set_error_limit(spx_diag_t *d, int limit, const char *hint) {
  d->error_limit = limit > 0 ? limit : 0;
  free(d->limit_hint);
  d->limit_hint = NULL;
  if (hint) {
    d->limit_hint = malloc(strlen(hint) + 1);
    if (d->limit_hint) strcpy(d->limit_hint, hint);
  }
}

int spx_diag_stopped(const spx_diag_t *d) { return d->stopped; }

const char *spx_diag_source_line(spx_diag_t *d, const char *file, int line, size_t *len) {
  source_t *s = file ? find_source(d, file) : NULL;
  *len = 0;
  if (!s || line <= 0) return NULL;
  if (!s->indexed) index_lines(s);
  if ((size_t)line > s->n_lines) return NULL;
  const char *p = s->text + s->line_start[line - 1], *end = s->text + s->len;
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  *len = (size_t)((eol ? eol : end) - p);
  return p;
}

/* Levenshtein distance, capped: returns cap + 1 for anything farther. */
static size_t edit_distance(const char *a, const char *b, size_t cap) {
  size_t la = strlen(a), lb = strlen(b), row[64];
  if (lb >= sizeof row / sizeof row[0] || (la > lb ? la - lb : lb - la) > cap) return cap + 1;
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[lb];
}

const char *spx_diag_suggest(const char *word, const char *const *candidates, int n) {
  const char *best = NULL;
  size_t best_d = 3; /* at most 2 edits */
  for (int i = 0; i < n; i++) {
    size_t d = edit_distance(word, candidates[i], best_d - 1);
    if (d < best_d && 2 * d < strlen(candidates[i])) {
      best = candidates[i];
      best_d = d;
    }
  }
  return best;
}

int spx_file_error(const char *prog, const char *file, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: %s: error: ", prog, file);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}
