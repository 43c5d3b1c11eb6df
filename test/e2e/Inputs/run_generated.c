/* Runs a model's generated C over raw f32 samples: argv[1] holds N samples
 * of IN_SIZE floats, argv[2] receives N x OUT_SIZE floats. The model is
 * chosen with -DMODEL_HEADER, MODEL_RUN, IN_SIZE, OUT_SIZE, WS_SIZE. */
#include <stdint.h>
#include <stdio.h>

#include MODEL_HEADER

static float in[IN_SIZE], out[OUT_SIZE];
static uint64_t workspace[(WS_SIZE + 7) / 8 + 1]; /* 8-byte aligned; see below */

int main(int argc, char **argv) {
  FILE *fi, *fo;
  long n = 0;
  /* 16-byte alignment from an 8-byte aligned array. */
  void *ws = (void *)(((uintptr_t)workspace + 15) & ~(uintptr_t)15);
  if (argc != 3) return 2;
  fi = fopen(argv[1], "rb");
  fo = fopen(argv[2], "wb");
  if (!fi || !fo) return 2;
  while (fread(in, sizeof in, 1, fi) == 1) {
    int rc = MODEL_RUN(in, out, ws);
    if (rc != 0) {
      fprintf(stderr, "sample %ld: run returned %d\n", n, rc);
      return 1;
    }
    fwrite(out, sizeof out, 1, fo);
    n++;
  }
  fclose(fi);
  fclose(fo);
  printf("ran %ld samples\n", n);
  return 0;
}
