/* Runs a model's generated C (spxc --weights=blob, NAME.c built with
 * -DMACRO_WEIGHTS_EXTERNAL) with its weights image read from a file, as a
 * product would find it in flash: argv[1] is NAME.weights.bin, argv[2] holds
 * N samples of IN_SIZE floats, argv[3] receives N x OUT_SIZE floats. Before
 * running it checks the image as given, one byte short, with one bit
 * flipped and misaligned, and prints the four results. Chosen with
 * -DMODEL_HEADER, MODEL_RUN_WEIGHTS, MODEL_CHECK, W_SIZE (the image's bytes),
 * IN_SIZE, OUT_SIZE, WS_SIZE. */
#include <stdint.h>
#include <stdio.h>

#include MODEL_HEADER

static float in[IN_SIZE], out[OUT_SIZE];
static uint64_t workspace[(WS_SIZE + 7) / 8 + 1];
static uint64_t image[(W_SIZE + 7) / 8 + 4];

int main(int argc, char **argv) {
  FILE *fw, *fi, *fo;
  long n = 0;
  void *ws = (void *)(((uintptr_t)workspace + 15) & ~(uintptr_t)15);
  unsigned char *w = (unsigned char *)(((uintptr_t)image + 15) & ~(uintptr_t)15);
  if (argc != 4) return 2;
  fw = fopen(argv[1], "rb");
  if (!fw || fread(w, 1, W_SIZE + 1, fw) != W_SIZE) return 2; /* exactly W_SIZE bytes */
  fclose(fw);
  printf("check: %d\n", MODEL_CHECK(w, W_SIZE));
  printf("short: %d\n", MODEL_CHECK(w, W_SIZE - 1));
  w[W_SIZE / 2] ^= 0x10;
  printf("flipped: %d\n", MODEL_CHECK(w, W_SIZE));
  w[W_SIZE / 2] ^= 0x10;
  printf("misaligned: %d\n", MODEL_CHECK(w + 8, W_SIZE));
  if (MODEL_CHECK(w, W_SIZE) != 0) return 1;
  fi = fopen(argv[2], "rb");
  fo = fopen(argv[3], "wb");
  if (!fi || !fo) return 2;
  while (fread(in, sizeof in, 1, fi) == 1) {
    int rc = MODEL_RUN_WEIGHTS(w, in, out, ws);
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
