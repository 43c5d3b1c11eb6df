/* digits_consumer - runs the digits CNN that spx_add_model() compiled into
 * this program over the test set, and prints its accuracy.
 *
 *   digits_consumer test_x.npy test_y.npy
 *
 * test_x.npy: float32 [N, 1, 8, 8]; test_y.npy: int32 [N]. Only what this
 * program needs of the .npy format: version 1.0 headers, little-endian. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits_cnn.h"

/* Reads an .npy file of dtype `descr` ("<f4", "<i4") and returns its data
 * (elements of 4 bytes) and their count, or NULL. */
static void *read_npy(const char *path, const char *descr, long *count) {
  FILE *f = fopen(path, "rb");
  unsigned char pre[10];
  char header[512];
  void *data = NULL;
  long size, start;
  if (!f) return NULL;
  if (fread(pre, 1, 10, f) == 10 && memcmp(pre, "\x93NUMPY\x01", 7) == 0) {
    size_t n = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (n < sizeof header && fread(header, 1, n, f) == n) {
      header[n] = '\0';
      start = 10 + (long)n;
      if (strstr(header, descr) && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > start &&
          fseek(f, start, SEEK_SET) == 0) {
        *count = (size - start) / 4;
        data = malloc((size_t)(size - start));
        if (data && fread(data, 4, (size_t)*count, f) != (size_t)*count) {
          free(data);
          data = NULL;
        }
      }
    }
  }
  fclose(f);
  return data;
}

/* The workspace: DIGITS_CNN_WORKSPACE_SIZE bytes, 16-byte aligned. */
static _Alignas(16) unsigned char workspace[DIGITS_CNN_WORKSPACE_SIZE];

int main(int argc, char **argv) {
  long nx = 0, ny = 0, i, correct = 0;
  float *x, scores[DIGITS_CNN_OUTPUT_FC1_SIZE];
  int32_t *y;
  if (argc != 3) {
    fprintf(stderr, "usage: %s test_x.npy test_y.npy\n", argv[0]);
    return 2;
  }
  x = read_npy(argv[1], "'<f4'", &nx);
  y = read_npy(argv[2], "'<i4'", &ny);
  if (!x || !y || nx != ny * DIGITS_CNN_INPUT_IMAGE_SIZE) {
    fprintf(stderr, "%s: cannot read the test set\n", argv[0]);
    return 2;
  }
  for (i = 0; i < ny; i++) {
    int k, best = 0;
    int rc = digits_cnn_run(x + i * DIGITS_CNN_INPUT_IMAGE_SIZE, scores, workspace);
    if (rc != 0) {
      fprintf(stderr, "image %ld: digits_cnn_run returned %d\n", i, rc);
      return 1;
    }
    for (k = 1; k < DIGITS_CNN_OUTPUT_FC1_SIZE; k++)
      if (scores[k] > scores[best]) best = k;
    correct += best == y[i];
  }
  printf("accuracy: %.4f (%ld/%ld)\n", (double)correct / (double)ny, correct, ny);
  free(x);
  free(y);
  return 0;
}
