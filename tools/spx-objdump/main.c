/* spx-objdump: print a .spxbin command stream as text.
 *
 *   spx-objdump FILE.spxbin     ('-': standard input)
 *
 * The file is validated completely before anything is printed; a bad file
 * gives "spx-objdump: FILE: error: <message>" on stderr and exit status 1;
 * a usage error, exit status 2. */
#define _GNU_SOURCE /* getopt_long */
#include "runtime/stream/spx_stream.h"
#include "support/spx_support.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "spx-objdump";

static int write_stdout(void *ctx, const void *data, size_t size) {
  (void)ctx;
  return fwrite(data, 1, size, stdout) == size ? 0 : 1;
}

static int error(const char *file, const char *msg) {
  fprintf(stderr, "%s: %s: error: %s\n", prog, file, msg);
  return 1;
}

static const char usage_text[] = "usage: spx-objdump FILE.spxbin   ('-': standard input)\n";

static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "%s: error: ", prog);
  fprintf(stderr, what, arg);
  fprintf(stderr, "\n%s(try '%s --help')\n", usage_text, prog);
  return 2; /* usage errors: 2, errors in the file: 1 */
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  int opt;
  opterr = 0; /* our own messages */
  while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
    switch (opt) {
    case 'h':
      printf("%s"
             "Validates a .spxbin command stream and prints it as text: header,\n"
             "sections, tensors, blobs and one line per command.\n"
             "  -h, --help     this text\n"
             "  -V, --version  the spx-objdump version\n"
             "Exit status: 0, 1 for a file that does not load, 2 for a usage error.\n",
             usage_text);
      return 0;
    case 'V': printf("spx-objdump %s\n", SPX_VERSION); return 0;
    default:
      {
        char buf[3];
        return usage_error("unknown option '%s'", spx_bad_option(optopt, argv[optind - 1], buf));
      }
    }
  }
  if (optind == argc) return usage_error("no file%s", "");
  if (argc - optind > 1) return usage_error("more than one file ('%s')", argv[optind + 1]);
  const char *path = argv[optind];
  spx_file_data_t data;
  char err[256];
  int bad = spx_file_data_read(path, (size_t)-1, &data, err, sizeof err);
  if (!strcmp(path, "-")) path = "<stdin>";
  if (bad) return error(path, err);

  spx_cs_stream_t stream;
  spx_rt_error_t st;
  int rc = 0;
  if (spx_cs_stream_load(data.data, data.size, &stream, &st) ||
      spx_cs_stream_disassemble(&stream, write_stdout, NULL, &st))
    rc = error(path, st.message);
  spx_file_data_free(&data);
  if (fflush(stdout)) rc = 1;
  return rc;
}
