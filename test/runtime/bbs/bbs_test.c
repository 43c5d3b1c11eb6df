/* spx-bbs-test: checks of the BBS weight format (runtime/formats/bbs.c) and
 * the BBS int8 kernels (its inner product in runtime/formats/bbs.c, run
 * by the one conv2d/dense driver, runtime/kernels/spx_matmul_s8.c).
 *
 *   spx-bbs-test                       run every check; one line per group of
 *                                      checks, then "N checks, 0 failed"
 *   spx-bbs-test prune METHOD N IN OUT pruned groups for bbs_ref.py: IN is an
 *                                      int8 .npy [count, lanes]; OUT.w.npy gets
 *                                      the effective weights (int32 [count,
 *                                      lanes]) and OUT.meta.npy int32 [count,
 *                                      11]: param, constant, squared error,
 *                                      then the 8 column bit masks (kept
 *                                      columns first, the rest 0)
 *
 * The hand-worked groups below give their expected values as derived by
 * hand from the definitions of the BBS paper (arXiv 2409.05227) (the derivation is in the
 * comment of each case), never from running the code. */
#include "runtime/formats/spx_formats.h"
#include "runtime/kernels/spx_kernels.h"
#include "runtime/targets/bitserial/bitserial.h"
#include "support/spx_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/runtime/test_util.h"

/* Weights shaped like quantized ones: mostly small, a few at +-127. */
static void fill_wq(int8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t r = rnd() % 16;
    int v = r == 0 ? (int)(rnd() % 255) - 127 : (int)(rnd() % 41) - 20;
    p[i] = (int8_t)v;
  }
}

/* ---- hand-worked groups ------------------------------------------------ */

typedef struct hand_case {
  const char *name;
  unsigned method, n, lanes;
  int8_t w[32];
  int16_t expect[32];  /* effective weights (zp_shift: may leave int8) */
  unsigned param;      /* r or zs */
  int constant;        /* C or c */
  uint32_t sq_error;
  int n_bits;          /* how many column masks below are given (0: none) */
  uint32_t bits[8];
} hand_case_t;

static const hand_case_t hand_cases[] = {
    /* Mixed signs, round_avg N=2. Two's complement:
     *   5=00000101 -3=11111101 12=00001100 0=0 7=00000111 -8=11111000
     *   1=00000001 2=00000010
     * bits 6, 5, 4 equal bit 7 in every weight -> r = 3; d = min(3, 2) = 2,
     * L = 0: nothing replaced, w' = w, C = 0. Kept: column 0 (place -32),
     * columns 3..7 (bits 4..0). Column 0 bits: lanes 1, 5 -> 0x22; column 3
     * (bit 4): lanes 1, 5 -> 0x22; bit 3: 12, -3, -8 -> lanes 1,2,5 = 0x26;
     * bit 2: 5,-3,12,7 -> lanes 0,1,2,4 = 0x17; bit 1: 7, 2 -> lanes 4,7 =
     * 0x90; bit 0: 5,-3,7,1 -> lanes 0,1,4,6 = 0x53. */
    {"round_avg mixed N=2", SPX_FMT_BBS_ROUND_AVG, 2, 8,
     {5, -3, 12, 0, 7, -8, 1, 2}, {5, -3, 12, 0, 7, -8, 1, 2}, 3, 0, 0,
     6, {0x22, 0x22, 0x26, 0x17, 0x90, 0x53}},
    /* Same group, N=4: r = 3, d = 3, L = 1. Bit 0 values 1,1,0,0,1,0,1,0:
     * mean 4/8 = 0.5 -> half to even -> C = 0. w' = w with bit 0 cleared:
     * 4,-4,12,0,6,-8,0,2; error 1+1+0+0+1+0+1+0 = 4. Kept: column 0
     * (place -16), columns 4..6 (bits 3..1). */
    {"round_avg mixed N=4", SPX_FMT_BBS_ROUND_AVG, 4, 8,
     {5, -3, 12, 0, 7, -8, 1, 2}, {4, -4, 12, 0, 6, -8, 0, 2}, 3, 0, 4,
     0, {0}},
    /* All negative, N=4, 4 lanes: -20=11101100 -17=11101111 -30=11100010
     * -25=11100111. Bits 6, 5 equal bit 7 (=1), bit 4 is 0 -> r = 2;
     * d = 2, L = 2. Low 2 bits 0,3,2,3: mean 8/4 = 2 -> C = 2. w' = low bits
     * set to 10b: 11101110=-18, -18, 11100010=-30, 11100110=-26; error
     * 4+1+0+1 = 6. Kept: column 0 (place -32) and bits 4..2. Column 0: all
     * lanes 0xf; then the bits of w' (low nibbles 1110, 1110, 0010, 0110):
     * bit 4: none 0; bit 3: lanes 0,1 = 0x3; bit 2: lanes 0,1,3 = 0xb. */
    {"round_avg all-negative N=4", SPX_FMT_BBS_ROUND_AVG, 4, 4,
     {-20, -17, -30, -25}, {-18, -18, -30, -26}, 2, 2, 6,
     4, {0xf, 0x0, 0x3, 0xb}},
    /* -1..-8, N=4: bits 7..3 all 1 -> r = 3, d = 3, L = 1; bit 0 values
     * 1,0,1,0,1,0,1,0: mean 0.5 -> C = 0 (even). w' = -2,-2,-4,-4,-6,-6,-8,
     * -8; error 4. */
    {"round_avg all-negative 8 lanes N=4", SPX_FMT_BBS_ROUND_AVG, 4, 8,
     {-1, -2, -3, -4, -5, -6, -7, -8}, {-2, -2, -4, -4, -6, -6, -8, -8}, 3, 0, 4,
     0, {0}},
    /* Rounding up: small positive weights, bits 7..4 all 0 -> r = 3; N=4:
     * d = 3, L = 1: bit 0 of 3,3,0,0,1,1 = 1,1,0,0,1,1 -> mean 4/6 = 0.67
     * -> C = 1. w' = 3,3,1,1,1,1; error 0+0+1+1+0+0 = 2. */
    {"round_avg rounds up N=4", SPX_FMT_BBS_ROUND_AVG, 4, 6,
     {3, 3, 0, 0, 1, 1}, {3, 3, 1, 1, 1, 1}, 3, 1, 2, 0, {0}},
    /* +-127 extremes, N=2: 127=01111111, -127=10000001: bit 6 differs from
     * bit 7 -> r = 0, d = 0, L = 2. Low 2 bits 3,1,3,1,0,0,0,0: mean 1 ->
     * C = 1. w' = 01111101=125, 10000001=-127, 125, -127, 1, 1, 1, 1; error
     * 4+0+4+0+1+1+1+1 = 12. */
    {"round_avg +-127 N=2", SPX_FMT_BBS_ROUND_AVG, 2, 8,
     {127, -127, 127, -127, 0, 0, 0, 0}, {125, -127, 125, -127, 1, 1, 1, 1}, 0, 1, 12,
     0, {0}},
    /* Same, N=4: L = 4, low nibbles 15,1,15,1,0,0,0,0: mean 4 -> C = 4.
     * w' = 0x74=116, 0x84=-124, 116, -124, 4, 4, 4, 4; error 121+9+121+9+
     * 4*16 = 324. */
    {"round_avg +-127 N=4", SPX_FMT_BBS_ROUND_AVG, 4, 8,
     {127, -127, 127, -127, 0, 0, 0, 0}, {116, -124, 116, -124, 4, 4, 4, 4}, 0, 4, 324,
     0, {0}},
    /* -127 = 10000001 and 0, N=2: bit 6 of -127 differs from bit 7 ->
     * r = 0, L = 2; low bits 01, 00: mean 0.5 -> 0 (even): w' = 10000000 =
     * -128 (the one value outside [-127, 127] that rounded averaging can
     * produce), 0; error 1. */
    {"round_avg reaches -128", SPX_FMT_BBS_ROUND_AVG, 2, 2,
     {-127, 0}, {-128, 0}, 0, 0, 1, 0, {0}},
    /* N=0: nothing pruned, w' = w. 1, -1 = 11111111, 9 = 00001001: bits
     * 6..4 equal bit 7 in each -> r = 3 (recorded, nothing dropped). */
    {"round_avg N=0", SPX_FMT_BBS_ROUND_AVG, 0, 3, {1, -1, 9}, {1, -1, 9}, 3, 0, 0,
     0, {0}},
    /* All zero, round_avg N=2: every bit 0, r = 3, d = 2, L = 0: w' = 0. */
    {"round_avg all-zero N=2", SPX_FMT_BBS_ROUND_AVG, 2, 8, {0}, {0}, 3, 0, 0,
     0, {0}},
    /* All zero, zp_shift N=2: c = -16 first: v = -16 for all, m = 16 =
     * 0010000b: z = 2 >= N -> the group stays; w' = -16 - (-16) = 0, error 0,
     * so c = -16 wins (earliest). zs = min(2, 2) = 2. Stored: sign column
     * (v < 0: all 8 lanes, 0xff), magnitude columns 3..7 (bits 4..0) of 16:
     * bit 4 all ones, the rest 0. */
    {"zp_shift all-zero N=2", SPX_FMT_BBS_ZP_SHIFT, 2, 8, {0}, {0}, 2, -16, 0,
     6, {0xff, 0xff, 0, 0, 0, 0}},
    /* All zero, N=4: c = -16: m = 16, z = 2 < 4, k = 2: 16 is a multiple
     * of 4 (q = 4 <= 2^3 - 1) -> w' = 0, error 0: c = -16, zs = 2. Kept
     * magnitude columns 3..5 (bits 4..2): bit 4 all ones. */
    {"zp_shift all-zero N=4", SPX_FMT_BBS_ZP_SHIFT, 4, 8, {0}, {0}, 2, -16, 0,
     4, {0xff, 0xff, 0, 0}},
    /* N=2, w = 1,2,3,64. Any c: 1+c, 2+c, 3+c hold two values of one
     * parity and 64+c has the parity of 2+c... for every c two lanes are
     * odd; an odd magnitude is a tie between two multiples of 2 and goes
     * to the smaller (error 1 each), so the least error is 2 when z >= 1
     * (64 + c <= 63, c <= -1). c = -16 is first: v = -15,-14,-13,48, max
     * 48 = 0110000b -> z = 1 < 2, k = 1: m = 15->14, 14, 13->12, 48. w' =
     * -14+16, -14+16, -12+16, 48+16 = 2, 2, 4, 64; error 1+0+1+0 = 2.
     * zs = 1. Stored: sign lanes 0,1,2 = 0x7; magnitude columns 2..6 (bits
     * 5..1) of 14=0001110, 14, 12=0001100, 48=0110000: bit 5: lane 3 = 0x8;
     * bit 4: lane 3 = 0x8; bit 3: lanes 0,1,2 = 0x7; bit 2: 0x7; bit 1:
     * lanes 0,1 = 0x3. */
    {"zp_shift mixed N=2", SPX_FMT_BBS_ZP_SHIFT, 2, 4, {1, 2, 3, 64}, {2, 2, 4, 64},
     1, -16, 2, 6, {0x7, 0x8, 0x8, 0x7, 0x7, 0x3}},
    /* All -127, N=4: for c < 0 v clips to -127, m = 127, z = 0, k = 4:
     * 127 = 7*16 + 15 -> 8*16 exceeds the largest multiple (2^3 - 1) * 16 =
     * 112 -> 112; w' = -112 - c, error 4 * (15 - c)^2 >= 4*256. For c in
     * 0..14, m = 127 - c in 113..127 -> 112 as well, error 4 * (15 - c)^2.
     * c = 15: v = -112 = 7 * 16 exactly, w' = -112 - 15 = -127, error 0.
     * zs = 0; sign column all ones, magnitude columns 1..3 (bits 6..4) of
     * 112 = 1110000b all ones. */
    {"zp_shift all-negative -127 N=4", SPX_FMT_BBS_ZP_SHIFT, 4, 4,
     {-127, -127, -127, -127}, {-127, -127, -127, -127}, 0, 15, 0,
     4, {0xf, 0xf, 0xf, 0xf}},
    /* +-127, N=2 (k = 2, largest multiple 31*4 = 124; z = 0 for every c
     * since |127 + c| or 127 clipped stays >= 64). c = 0: m = 127, 127 ->
     * 128 would be nearest but exceeds 124 -> 124: w' = 124, -124, error
     * 9+9 = 18. c = 1: v = 127 (clipped), -126 -> 124, 124 (126 = 31*4+2
     * tie -> smaller): w' = 123, -125: 16+4 = 20; c = -1: 20 likewise;
     * c = +-2: 25+1 = 26; c = +-3: 0+36 = 36; |c| >= 4: the clipped lane
     * alone costs (|c| + 3)^2 >= 49 (c = -4: v = 123, -127 -> 124, 124:
     * w' = 128, -120, error 1 + 49 = 50). Best c = 0, zs = 0. */
    {"zp_shift +-127 N=2", SPX_FMT_BBS_ZP_SHIFT, 2, 2, {127, -127}, {124, -124},
     0, 0, 18, 0, {0}},
    /* The best offset leaves int8 (every c is a candidate; nothing bounds
     * w' to int8): w = 127, 16, N = 4 (k = 4 - z, multiples of 16 up to
     * (2^3 - 1) * 16 = 112 when z = 0). 127 + c >= 111 >= 64 for every c,
     * so z = 0 and k = 4 throughout. c = -16 (first): v = 111, 0; 111 =
     * 6*16 + 15, 15 > 8 -> 7*16 = 112 (= the largest multiple); 0 -> 0.
     * w' = 112 + 16 = 128, 0 + 16 = 16: error 1 + 0 = 1. No c has error 0:
     * w' = 127 needs 127 + c = 112 exactly (c = -15; 128 clips), and then
     * 16 - 15 = 1 -> 0 gives w' = 15 (error 1, not < 1). So c = -16 wins
     * (ties keep the earlier c) with w' = 128 - beyond int8. zs = 0.
     * Stored: sign column 0 (both v >= 0), magnitude columns 1..3 (bits
     * 6..4) of 112 = 1110000b on lane 0, 0 on lane 1: 0x1, 0x1, 0x1. */
    {"zp_shift best offset gives 128 N=4", SPX_FMT_BBS_ZP_SHIFT, 4, 2, {127, 16},
     {128, 16}, 0, -16, 1, 4, {0x0, 0x1, 0x1, 0x1}},
    /* The same with N = 2 (k = 2, multiples of 4 up to 31 * 4 = 124): w =
     * 127, 120. z = 0 for every c (127 + c >= 111). c = -16: v = 111, 104;
     * 111 = 27*4 + 3, 3 > 2 -> 112; 104 = 26*4 exactly. w' = 128, 120:
     * error 1. Error 0 would need both 127 + c and 120 + c multiples of 4
     * (unclipped), but 127 and 120 differ mod 4: so c = -16 (the first
     * with error 1) wins, w' = 128. Stored: sign 0; magnitude columns 1..5
     * (bits 6..2) of 112 = 1110000b (lane 0), 104 = 1101000b (lane 1): bit
     * 6: 0x3, bit 5: 0x3, bit 4: 0x1, bit 3: 0x2, bit 2: 0. */
    {"zp_shift best offset gives 128 N=2", SPX_FMT_BBS_ZP_SHIFT, 2, 2, {127, 120},
     {128, 120}, 0, -16, 1, 6, {0x0, 0x3, 0x3, 0x1, 0x2, 0x0}},
    /* N=0: the shifted group always "stays"; c = -16 is the first with
     * error 0 whenever no weight clips (all w >= -111): w' = w. */
    {"zp_shift N=0", SPX_FMT_BBS_ZP_SHIFT, 0, 3, {5, -100, 100}, {5, -100, 100}, 0,
     -16, 0, 0, {0}},
    /* N=0 with -127: c = -16 clips -127 to -127 (w' = -111, error 256);
     * the first c without clipping is c = 0 (w + c >= -127 needs c >= 0):
     * error 0. zs = 0. */
    {"zp_shift N=0 clipping", SPX_FMT_BBS_ZP_SHIFT, 0, 2, {-127, 3}, {-127, 3}, 0, 0,
     0, 0, {0}},
    /* none: 8 columns of two's complement, no change. */
    {"none", SPX_FMT_BBS_NONE, 0, 3, {-1, 0, 127}, {-1, 0, 127}, 0, 0, 0,
     8, {0x1, 0x5, 0x5, 0x5, 0x5, 0x5, 0x5, 0x5}},
};

static void check_hand_cases(void) {
  size_t k;
  for (k = 0; k < sizeof hand_cases / sizeof hand_cases[0]; ++k) {
    const hand_case_t *c = &hand_cases[k];
    spx_fmt_bbs_group_t g;
    uint32_t err = 0;
    int16_t d[32];
    unsigned i, j;
    int st = spx_fmt_bbs_prune(c->method, c->w, c->lanes, c->n, &g, &err);
    check(st == SPX_RT_OK, "%s: status %d", c->name, st);
    if (st != SPX_RT_OK) continue;
    spx_fmt_bbs_group_decode(&g, d);
    for (i = 0; i < c->lanes; ++i)
      check(d[i] == c->expect[i], "%s: lane %u: %d, expected %d", c->name, i, d[i],
            c->expect[i]);
    check(g.param == c->param, "%s: param %u, expected %u", c->name, g.param, c->param);
    check(g.constant == c->constant, "%s: constant %d, expected %d", c->name,
          g.constant, c->constant);
    check(err == c->sq_error, "%s: squared error %u, expected %u", c->name, err,
          c->sq_error);
    check(g.n_cols == 8 - c->n, "%s: %u columns kept", c->name, g.n_cols);
    for (j = 0; j < (unsigned)c->n_bits; ++j)
      check(g.bits[j] == c->bits[j], "%s: column %u bits 0x%x, expected 0x%x", c->name,
            j, g.bits[j], c->bits[j]);
    for (j = 0; j < g.n_cols; ++j)
      for (i = 0; i < spx_fmt_bbs_halves(g.lanes); ++i)
        check(spx_fmt_bbs_effectual(&g, j, i) <= 4, "%s: effectual bits", c->name);
  }
  /* Arguments. */
  {
    spx_fmt_bbs_group_t g;
    int8_t w[33] = {0};
    check(spx_fmt_bbs_prune(SPX_FMT_BBS_ROUND_AVG, w, 0, 2, &g, NULL) == SPX_RT_ERR_ARG,
          "0 lanes rejected");
    check(spx_fmt_bbs_prune(SPX_FMT_BBS_ROUND_AVG, w, 33, 2, &g, NULL) == SPX_RT_ERR_ARG,
          "33 lanes rejected");
    check(spx_fmt_bbs_prune(SPX_FMT_BBS_ZP_SHIFT, w, 8, 3, &g, NULL) == SPX_RT_ERR_ARG,
          "N = 3 rejected");
    check(spx_fmt_bbs_prune(SPX_FMT_BBS_NONE, w, 8, 2, &g, NULL) == SPX_RT_ERR_ARG,
          "none with N = 2 rejected");
    check(spx_fmt_bbs_prune(7, w, 8, 2, &g, NULL) == SPX_RT_ERR_ARG,
          "unknown method rejected");
  }
  /* The 128 case as a layer (1 x 2 dense, G = 8 -> Ge = 2, zp_shift N = 4,
   * no outliers): it validates, the int8 decode refuses it (nothing
   * written), the int16 decode of the descriptor gives 128, 16. */
  {
    spx_fmt_bbs_dims_t dims = {1, 2, 1, 1};
    spx_fmt_dims_t fd = {1, 2, 1, 1, 1};
    spx_fmt_bbs_config_t cfg = {8, SPX_FMT_BBS_ZP_SHIFT, 4, NULL};
    const int8_t w[2] = {127, 16};
    uint8_t enc[128];
    int8_t d8[2] = {5, 5};
    int16_t d16[2] = {0, 0};
    size_t len = 0;
    spx_rt_error_t why;
  spx_rt_error_clear(&why);
    check(spx_fmt_bbs_encode(&dims, &cfg, w, enc, sizeof enc, &len) == SPX_RT_OK,
          "128 layer: encode");
    check(spx_fmt_bbs_validate(enc, len, &dims, &why) == SPX_RT_OK,
          "128 layer: validates (%s)", why.message);
    check(spx_fmt_bbs_decode(enc, len, &dims, d8, 2, &why) == SPX_RT_ERR_RANGE && why.message[0],
          "128 layer: the int8 decode refuses it");
    check(d8[0] == 5 && d8[1] == 5, "128 layer: the int8 decode wrote nothing");
    check(spx_fmt_desc_BBS.decode(enc, len, &fd, d16, 2, &why) == 0 && d16[0] == 128 &&
              d16[1] == 16,
          "128 layer: int16 decode %d %d, expected 128 16", d16[0], d16[1]);
  }
  printf("hand-worked groups: %zu cases\n", sizeof hand_cases / sizeof hand_cases[0]);
}

/* ---- invariants of the methods on random groups ------------------------ */

static void check_random_groups(void) {
  unsigned t, method, n, i, j, h, beyond = 0;
  for (t = 0; t < 3000; ++t) {
    int8_t w[32];
    unsigned lanes = 1 + rnd() % 32;
    if (t % 2) fill_wq(w, lanes); else fill_w8(w, lanes);
    for (method = 1; method <= 2; ++method)
      for (n = 0; n <= 4; n += 2) {
        spx_fmt_bbs_group_t g;
        int16_t d[32];
        uint32_t err, e2 = 0;
        int32_t lo, hi;
        int out8 = 0;
        spx_fmt_bbs_prune(method, w, lanes, n, &g, &err);
        spx_fmt_bbs_group_decode(&g, d);
        spx_fmt_bbs_weight_range(method, n, &lo, &hi);
        for (i = 0; i < lanes; ++i) {
          check(d[i] >= lo && d[i] <= hi, "random: decodes within the method's range");
          if (method == SPX_FMT_BBS_ROUND_AVG)
            check(d[i] >= -128 && d[i] <= 127, "random: round_avg decodes to int8");
          out8 |= d[i] < -128 || d[i] > 127;
          e2 += (uint32_t)((d[i] - w[i]) * (d[i] - w[i]));
        }
        beyond += (unsigned)out8;
        check(err == e2, "random %s N=%u: error matches the decoded weights",
              spx_fmt_bbs_method_name(method), n);
        check(g.n_cols == 8 - n, "random: kept columns");
        if (n == 0 && method == SPX_FMT_BBS_ROUND_AVG) check(err == 0, "N=0 is lossless");
        for (j = 0; j < g.n_cols; ++j) {
          uint32_t lane_mask = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
          check(!(g.bits[j] & ~lane_mask), "random: no bits beyond the lanes");
          for (h = 0; h < spx_fmt_bbs_halves(lanes); ++h) {
            unsigned e = spx_fmt_bbs_effectual(&g, j, h);
            check(e <= 4 && 2 * e <= spx_fmt_bbs_half_lanes(lanes, h),
                  "random: effectual bits per half <= 4");
          }
        }
      }
  }
  /* fill_w8 groups near +127 regularly prune to 128 with zp_shift */
  check(beyond > 0, "random: some zp_shift groups leave int8");
  printf("random groups: methods' invariants on 3000 groups x 2 methods x 3 N\n");
}

/* ---- layers: encode, open, decode, validate --------------------------- */

static int16_t *effective_by_groups(const spx_fmt_bbs_dims_t *dims,
                                   const spx_fmt_bbs_config_t *cfg,
                                   const int8_t *w) {
  /* The expected decoding, worked out group by group with the pruning
   * functions, independently of the layer encoder's layout. */
  size_t count = spx_fmt_bbs_dense_count(dims);
  int16_t *out = malloc(count * sizeof *out);
  uint32_t taps = (uint32_t)dims->kh * dims->kw, o, t, c0;
  unsigned ge = dims->cols < cfg->group ? dims->cols : cfg->group;
  for (o = 0; o < dims->rows; ++o)
    for (t = 0; t < taps; ++t)
      for (c0 = 0; c0 < dims->cols; c0 += ge) {
        unsigned lanes = dims->cols - c0 < ge ? dims->cols - c0 : ge, i;
        int8_t lw[32];
        int16_t d[32];
        spx_fmt_bbs_group_t g;
        int outlier = cfg->class_of && cfg->class_of[o];
        for (i = 0; i < lanes; ++i) lw[i] = w[((size_t)o * dims->cols + c0 + i) * taps + t];
        spx_fmt_bbs_prune(outlier ? SPX_FMT_BBS_NONE : cfg->method, lw, lanes,
                          outlier ? 0 : cfg->n_pruned, &g, NULL);
        spx_fmt_bbs_group_decode(&g, d);
        for (i = 0; i < lanes; ++i)
          out[((size_t)o * dims->cols + c0 + i) * taps + t] = d[i];
      }
  return out;
}

static uint8_t *encode_layer(const spx_fmt_bbs_dims_t *dims,
                             const spx_fmt_bbs_config_t *cfg, const int8_t *w,
                             size_t *out_len) {
  size_t size = spx_fmt_bbs_encoded_size(dims, cfg), len = 0;
  uint8_t *enc = malloc(size ? size : 1);
  int st = spx_fmt_bbs_encode(dims, cfg, w, enc, size, &len);
  check(st == SPX_RT_OK && len == size, "encode: status %d, %zu of %zu bytes", st,
        len, size);
  *out_len = len;
  return enc;
}

static void check_layers(void) {
  static const struct {
    uint32_t rows, cols;
    uint16_t kh, kw;
    unsigned group;
  } shapes[] = {
      {8, 16, 1, 1, 16},  {10, 64, 1, 1, 16}, {16, 8, 3, 3, 16}, /* C < G: Ge = 8 */
      {5, 20, 3, 3, 16},  /* ragged: 16 + 4 */ {3, 1, 3, 3, 8},  /* depthwise-like */
      {7, 45, 1, 2, 32},  {33, 19, 2, 1, 8},  {1, 32, 1, 1, 32}, {4, 100, 1, 1, 8},
  };
  size_t s;
  unsigned method, n;
  for (s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
    for (method = 0; method <= 2; ++method)
      for (n = 0; n <= 4; n += 2) {
        spx_fmt_bbs_dims_t dims = {shapes[s].rows, shapes[s].cols, shapes[s].kh,
                                   shapes[s].kw};
        uint8_t cls[64];
        spx_fmt_bbs_config_t cfg = {shapes[s].group, method, n, cls};
        size_t count = spx_fmt_bbs_dense_count(&dims), len, i;
        spx_fmt_dims_t fd = {dims.rows, dims.cols, dims.kh, dims.kw, 1};
        int8_t *w, *dec;
        int16_t *expect, *dec16;
        int fits = 1, st;
        uint8_t *enc;
        spx_fmt_bbs_view_t v;
        spx_rt_error_t why;
  spx_rt_error_clear(&why);
        uint32_t p, n1 = 0;
        if (method == SPX_FMT_BBS_NONE && n) continue;
        for (p = 0; p < dims.rows; ++p) n1 += cls[p] = (uint8_t)(rnd() % 4 == 0);
        w = malloc(count);
        fill_wq(w, count);
        expect = effective_by_groups(&dims, &cfg, w);
        enc = encode_layer(&dims, &cfg, w, &len);
        dec = malloc(count);
        dec16 = malloc(count * sizeof *dec16);
        check(spx_fmt_bbs_open(enc, len, &dims, &v, &why) == SPX_RT_OK,
              "open: %s", why.message);
        check(v.group_eff == (dims.cols < cfg.group ? dims.cols : cfg.group),
              "Ge = min(G, I)");
        check(v.groups_per_tap == (dims.cols + v.group_eff - 1) / v.group_eff, "ng");
        check(v.cls[1].rows == n1 && v.cls[0].rows == dims.rows - n1, "class rows");
        /* rows: class 0 first, then class 1, ascending in each */
        for (p = 0; p < dims.rows; ++p) {
          uint32_t o = spx_fmt_bbs_row_channel(&v, p);
          check(cls[o] == spx_fmt_bbs_row_class(&v, p), "row %u has its channel's class", p);
          if (p && spx_fmt_bbs_row_class(&v, p) == spx_fmt_bbs_row_class(&v, p - 1))
            check(o > spx_fmt_bbs_row_channel(&v, p - 1), "ascending within a class");
        }
        check(spx_fmt_bbs_validate(enc, len, &dims, &why) == SPX_RT_OK,
              "validate: %s", why.message);
        check(spx_fmt_desc_BBS.decode(enc, len, &fd, dec16, count, &why) == 0,
              "decode (int16): %s", why.message);
        for (i = 0; i < count; ++i)
          if (dec16[i] != expect[i]) break;
        check(i == count, "round trip %ux%ux%ux%u G=%u %s N=%u: weight %zu",
              dims.rows, dims.cols, dims.kh, dims.kw, cfg.group,
              spx_fmt_bbs_method_name(method), n, i);
        /* the int8 decode: the same weights when they fit, else refused */
        for (i = 0; i < count; ++i) fits &= expect[i] >= -128 && expect[i] <= 127;
        st = spx_fmt_bbs_decode(enc, len, &dims, dec, count, &why);
        check(st == (fits ? SPX_RT_OK : SPX_RT_ERR_RANGE), "decode (int8): %d %s",
              st, why.message);
        for (i = 0; fits && i < count; ++i)
          if (dec[i] != expect[i]) break;
        check(!fits || i == count, "int8 round trip: weight %zu", i);
        /* size: header + order + records */
        {
          size_t ge = v.group_eff, ng = (dims.cols + ge - 1) / ge, b = (ge + 7) / 8;
          size_t taps = (size_t)dims.kh * dims.kw;
          size_t expect_len = ((48 + 2 * (size_t)dims.rows + 15) / 16) * 16 +
                              (dims.rows - n1) * taps * ng * (1 + (8 - n) * b) +
                              n1 * taps * ng * (1 + 8 * b);
          check(len == expect_len, "encoded size %zu, expected %zu", len, expect_len);
        }
        free(w);
        free(expect);
        free(dec);
        free(dec16);
        free(enc);
      }
  /* A known size: 16 x 16 dense, G = 16, round_avg N = 2, no outliers:
   * 48 + 32 = 80 (already 16-aligned) + 16 rows * 1 group * (1 + 6 * 2) =
   * 80 + 208 = 288 bytes. */
  {
    spx_fmt_bbs_dims_t dims = {16, 16, 1, 1};
    spx_fmt_bbs_config_t cfg = {16, SPX_FMT_BBS_ROUND_AVG, 2, NULL};
    check(spx_fmt_bbs_encoded_size(&dims, &cfg) == 288, "16x16 N=2 is 288 bytes");
    cfg.n_pruned = 4; /* 80 + 16 * 9 = 224 */
    check(spx_fmt_bbs_encoded_size(&dims, &cfg) == 224, "16x16 N=4 is 224 bytes");
    cfg.group = 12;
    check(spx_fmt_bbs_encoded_size(&dims, &cfg) == 0, "G = 12 rejected");
    cfg.group = 16;
    dims.rows = 65536;
    check(spx_fmt_bbs_encoded_size(&dims, &cfg) == 0, "65536 rows rejected");
  }
  printf("layers: encode/open/validate/decode round trips on %zu shapes\n",
         sizeof shapes / sizeof shapes[0]);
}

/* ---- validator: targeted corruptions and garbage ----------------------- */

static void expect_reject(const uint8_t *b, size_t len, const spx_fmt_bbs_dims_t *dims,
                          const char *what) {
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  int8_t out[4096];
  int st = spx_fmt_bbs_validate(b, len, dims, &why);
  check(st == SPX_RT_ERR_FORMAT && why.message[0], "%s: rejected (status %d)", what, st);
  st = spx_fmt_bbs_decode(b, len, dims, out, sizeof out, &why);
  check(st != SPX_RT_OK, "%s: decode refuses", what);
}

static void check_validator(void) {
  spx_fmt_bbs_dims_t dims = {6, 20, 2, 2};
  uint8_t cls[6] = {0, 1, 0, 0, 1, 0};
  spx_fmt_bbs_config_t cfg = {16, SPX_FMT_BBS_ZP_SHIFT, 2, cls};
  size_t count = spx_fmt_bbs_dense_count(&dims), len, i;
  int8_t w[480];
  uint8_t *enc, *bad;
  unsigned k;
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  fill_wq(w, count);
  enc = encode_layer(&dims, &cfg, w, &len);
  bad = malloc(len + 16);
#define MUTATE(what, stmt)                                                    \
  do {                                                                        \
    memcpy(bad, enc, len);                                                    \
    stmt;                                                                     \
    expect_reject(bad, len, &dims, what);                                     \
  } while (0)
  MUTATE("magic", bad[0] = 'X');
  MUTATE("version", bad[4] = 2);
  MUTATE("header size", bad[6] = 40);
  MUTATE("rows 0", memset(bad + 8, 0, 4));
  MUTATE("rows 65536", (bad[8] = 0, bad[9] = 0, bad[10] = 1));
  MUTATE("rows changed", bad[8] = 7);
  MUTATE("cols changed", bad[12] = 21);
  MUTATE("kh 0", (bad[16] = 0, bad[17] = 0));
  MUTATE("group 12", bad[20] = 12);
  MUTATE("group eff", bad[21] = 8);
  MUTATE("flags", bad[22] = 1);
  MUTATE("class 0 method 3", bad[24] = 3);
  MUTATE("class 0 N 3", bad[25] = 3);
  MUTATE("none with N 2", bad[32 + 1] = 2);
  MUTATE("reserved", bad[26] = 1);
  MUTATE("class rows", bad[28] = 5);
  MUTATE("data offset", bad[40] = (uint8_t)(bad[40] + 16));
  MUTATE("total bytes", bad[44] = (uint8_t)(bad[44] + 1));
  MUTATE("order out of range", bad[48] = 6);
  MUTATE("order duplicate", (bad[48 + 2] = bad[48], bad[49 + 2] = bad[49]));
  MUTATE("order not ascending", (bad[48] = 3, bad[50] = 0));
  MUTATE("padding", bad[48 + 12] = 1);
  {
    spx_fmt_bbs_view_t v;
    spx_fmt_bbs_open(enc, len, &dims, &v, &why);
    /* class 0 (zp_shift N=2): zs above N; a lane bit beyond the 4 lanes of
     * the ragged group (G = 16, I = 20: group 1 has 4 lanes) */
    size_t r0 = (size_t)(spx_fmt_bbs_record(&v, 0, 0, 0) - enc);
    size_t r1 = (size_t)(spx_fmt_bbs_record(&v, 0, 0, 1) - enc);
    size_t o0 = (size_t)(spx_fmt_bbs_record(&v, v.cls[1].first_row, 0, 0) - enc);
    MUTATE("zp zs above N", bad[r0] = (uint8_t)((3u << 5) | (bad[r0] & 0x1f)));
    MUTATE("bits beyond the ragged group's lanes", bad[r1 + 1] |= 0x10);
    MUTATE("none group header not 0", bad[o0] = 1);
    /* zp_shift at the edges of its range (N = 2: [-139, 140]): every
     * magnitude column set (zs 0: columns 1..5, m = 124), c = -16: sign 0
     * -> w' = 124 + 16 = 140; sign 1 on lanes 8..15, c = 15 -> -124 - 15 =
     * -139 there. Valid (the validator takes the format's whole range),
     * refused by the int8 decode, exact through the int16 decode. */
    {
      unsigned j, sgn;
      for (sgn = 0; sgn < 2; ++sgn) {
        spx_fmt_dims_t fd = {dims.rows, dims.cols, dims.kh, dims.kw, 1};
        int16_t d16[480];
        int8_t d8[480];
        uint32_t o = spx_fmt_bbs_row_channel(&v, 0);
        size_t at = ((size_t)o * dims.cols + (sgn ? 8 : 0)) * 4; /* lane, tap 0 */
        memcpy(bad, enc, len);
        bad[r0] = (uint8_t)(sgn ? 0x0fu : 0x10u); /* zs 0, c = 15 or -16 */
        for (j = 0; j < 6; ++j) {
          bad[r0 + 1 + 2 * j] = j == 0 ? 0 : 0xff;
          bad[r0 + 2 + 2 * j] = j == 0 ? (uint8_t)(sgn ? 0xff : 0) : 0xff;
        }
        check(spx_fmt_bbs_validate(bad, len, &dims, &why) == SPX_RT_OK,
              "zp at the edge of its range validates: %s", why.message);
        check(spx_fmt_bbs_decode(bad, len, &dims, d8, count, &why) == SPX_RT_ERR_RANGE,
              "zp at the edge of its range: int8 decode refuses");
        check(spx_fmt_desc_BBS.decode(bad, len, &fd, d16, count, &why) == 0 &&
                  d16[at] == (sgn ? -139 : 140),
              "zp at the edge of its range: int16 decode %d", d16[at]);
      }
    }
    /* truncation and extension */
    for (i = 0; i < len; i += 7) expect_reject(enc, i, &dims, "truncated");
    memcpy(bad, enc, len);
    bad[len] = 0;
    expect_reject(bad, len + 1, &dims, "trailing byte");
  }
  /* round_avg C that does not fit: N = 2, r = 0 -> L = 2, C = 4 */
  {
    spx_fmt_bbs_config_t ra = {16, SPX_FMT_BBS_ROUND_AVG, 2, NULL};
    spx_fmt_bbs_view_t v;
    size_t l2, r0;
    uint8_t *e2 = encode_layer(&dims, &ra, w, &l2);
    spx_fmt_bbs_open(e2, l2, &dims, &v, &why);
    r0 = (size_t)(spx_fmt_bbs_record(&v, 0, 0, 0) - e2);
    memcpy(bad, e2, l2);
    bad[r0] = 4;
    expect_reject(bad, l2, &dims, "round_avg C too large");
    memcpy(bad, e2, l2);
    bad[r0] = (uint8_t)(4u << 5);
    expect_reject(bad, l2, &dims, "round_avg r above 3");
    free(e2);
  }
  /* NULL and expected-dims mismatch */
  {
    spx_fmt_bbs_view_t v;
    spx_fmt_bbs_dims_t other = dims;
    other.kw = 3;
    check(spx_fmt_bbs_open(NULL, len, &dims, &v, &why) == SPX_RT_ERR_ARG, "NULL bytes");
    check(spx_fmt_bbs_open(enc, len, &other, &v, &why) == SPX_RT_ERR_FORMAT,
          "dims mismatch rejected");
    check(spx_fmt_bbs_open(enc, len, NULL, &v, &why) == SPX_RT_OK, "any dims");
  }
  /* Garbage: random bit flips and random bytes never crash (run under
   * ASan/UBSan in the sanitize build); whatever validates decodes. */
  for (k = 0; k < 20000; ++k) {
    int8_t out[480];
    size_t l = len;
    memcpy(bad, enc, len);
    if (k % 3 == 0) {
      for (i = 0; i < len; ++i) bad[i] = (uint8_t)rnd();
      if (k % 2) memcpy(bad, SPX_FMT_BBS_MAGIC, 4);
    } else {
      unsigned flips = 1 + rnd() % 4, f;
      for (f = 0; f < flips; ++f) bad[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
      if (k % 5 == 0) l = rnd() % (len + 1);
    }
    if (spx_fmt_bbs_validate(bad, l, &dims, &why) == SPX_RT_OK) {
      spx_fmt_dims_t fd = {dims.rows, dims.cols, dims.kh, dims.kw, 1};
      int16_t out16[480];
      int st = spx_fmt_bbs_decode(bad, l, &dims, out, sizeof out, &why);
      check(st == SPX_RT_OK || st == SPX_RT_ERR_RANGE, "valid garbage decodes");
      check(spx_fmt_desc_BBS.decode(bad, l, &fd, out16, 480, &why) == 0,
            "valid garbage decodes to int16");
    }
  }
#undef MUTATE
  free(bad);
  free(enc);
  printf("validator: targeted corruptions, truncations, 20000 garbage buffers\n");
}

/* ---- every group header byte, full and ragged groups ------------------ */

/* Whether the header byte h is one the encoder can produce for a class of
 * (method, N), from the format's definition (spx_formats.h): NONE only 0;
 * ROUND_AVG r <= 3 and C < 2^L, L = N - min(r, N); ZP_SHIFT zs <= N (any c:
 * the weight range, +-m - c in [-(143 - 2^N), 144 - 2^N], holds for every
 * c in [-16, 15]). */
static int header_rule(unsigned method, unsigned n, unsigned h) {
  unsigned r = h >> 5, c = h & 31u, d = r < n ? r : n;
  if (method == SPX_FMT_BBS_NONE) return h == 0;
  if (method == SPX_FMT_BBS_ROUND_AVG) return r <= 3 && c < (1u << (n - d));
  return r <= n;
}

/* Effective weight of lane i of a group record rec (header, then kept
 * columns of nb bytes each, most significant first), from the definition:
 * ROUND_AVG: two's complement with bit 7 repeated d = min(r, N) times and
 * the L = N - d low bits replaced by C: w' = -2^(7-d) b_0 + sum over kept
 * columns k = 1 .. 7 - N of 2^(7-d-k) b_k + C; ZP_SHIFT: sign column, then
 * magnitude bits 6 - zs .. N - zs (columns zs+1 .. 7-(N-zs) of the
 * sign-magnitude byte), w' = +-m - c; NONE: two's complement. */
static int32_t lane_ref(unsigned method, unsigned n, const uint8_t *rec, unsigned nb, unsigned i) {
  unsigned h = rec[0], r = h >> 5, k, kept = 8 - n;
  int32_t bit[8], v = 0;
  for (k = 0; k < kept; ++k) bit[k] = (rec[1 + k * nb + i / 8] >> (i % 8)) & 1;
  if (method == SPX_FMT_BBS_ZP_SHIFT) {
    int32_t c = (int32_t)(h & 31u) - (h & 16u ? 32 : 0);
    for (k = 1; k < kept; ++k) v += bit[k] << (7 - (r + k)); /* column r+k: bit 7-(r+k) */
    return (bit[0] ? -v : v) - c;
  }
  if (method == SPX_FMT_BBS_ROUND_AVG) {
    unsigned d = r < n ? r : n;
    v = -(bit[0] << (7 - d));
    for (k = 1; k < kept; ++k) v += bit[k] << (7 - d - k);
    return v + (int32_t)(h & 31u);
  }
  v = -(bit[0] << 7);
  for (k = 1; k < 8; ++k) v += bit[k] << (7 - k);
  return v;
}

/* One row, one tap, a full group of Ge lanes and (cols > Ge) a ragged one:
 * every header byte on group 0 (then on the ragged group) with random
 * column bits, for every method, N and G: validate accepts exactly the
 * headers of header_rule, and what it accepts decodes (int16) to
 * lane_ref's weights. Bits beyond a ragged group's lanes are refused. */
static void check_headers(void) {
  static const struct { uint32_t cols; unsigned group; } shapes[] = {
      {8, 8}, {16, 16}, {32, 32}, {20, 16}, {13, 8}, {45, 32}, {24, 32}, {5, 8}};
  unsigned s, method, n, h, which, i, tested = 0;
  for (s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
    for (method = 0; method <= 2; ++method)
      for (n = 0; n <= 4; n += 2) {
        spx_fmt_bbs_dims_t dims = {1, shapes[s].cols, 1, 1};
        spx_fmt_bbs_config_t cfg = {shapes[s].group, method, n, NULL};
        spx_fmt_dims_t fd = {1, shapes[s].cols, 1, 1, 1};
        int8_t w[64];
        int16_t out[64];
        size_t len;
        uint8_t *enc, *orig;
        spx_fmt_bbs_view_t v;
        spx_rt_error_t why;
        if (method == SPX_FMT_BBS_NONE && n) continue;
        fill_wq(w, shapes[s].cols);
        orig = encode_layer(&dims, &cfg, w, &len);
        enc = malloc(len);
        check(spx_fmt_bbs_open(orig, len, &dims, &v, &why) == SPX_RT_OK, "open: %s", why.message);
        for (which = 0; which < v.groups_per_tap; which += v.groups_per_tap - 1) {
          uint8_t *rec = enc + (spx_fmt_bbs_record(&v, 0, 0, which) - orig);
          memcpy(enc, orig, len); /* the other group as encoded */
          unsigned lanes = spx_fmt_bbs_group_lanes(&v, which), nb = v.col_bytes, k;
          for (h = 0; h < 256; ++h) {
            int ok = header_rule(method, n, h), st;
            rec[0] = (uint8_t)h;
            for (k = 0; k < (8 - n) * nb; ++k) rec[1 + k] = (uint8_t)rnd();
            for (k = 0; k < 8 - n; ++k) /* lanes beyond: 0 */
              for (i = lanes; i < 8 * nb; ++i) rec[1 + k * nb + i / 8] &= (uint8_t)~(1u << (i % 8));
            st = spx_fmt_desc_BBS.decode(enc, len, &fd, out, 64, &why);
            check((st == SPX_RT_OK) == ok, "G=%u cols=%u %s N=%u group %u header 0x%02x: %s",
                  shapes[s].group, shapes[s].cols, spx_fmt_bbs_method_name(method), n, which,
                  h, ok ? "refused" : "accepted");
            check(spx_fmt_bbs_validate(enc, len, &dims, &why) == st, "validate agrees");
            for (i = 0; st == SPX_RT_OK && i < lanes; ++i)
              check(out[which * v.group_eff + i] == lane_ref(method, n, rec, nb, i),
                    "G=%u cols=%u %s N=%u group %u header 0x%02x lane %u: %d, expected %d",
                    shapes[s].group, shapes[s].cols, spx_fmt_bbs_method_name(method), n, which,
                    h, i, out[which * v.group_eff + i], lane_ref(method, n, rec, nb, i));
            if (st == SPX_RT_OK) { /* the int8 decode: the same weights, or refused */
              int8_t out8[64];
              int fits8 = 1;
              for (i = 0; i < lanes; ++i)
                fits8 &= lane_ref(method, n, rec, nb, i) >= -128 && lane_ref(method, n, rec, nb, i) <= 127;
              st = spx_fmt_bbs_decode(enc, len, &dims, out8, 64, &why);
              check(st == (fits8 ? SPX_RT_OK : SPX_RT_ERR_RANGE), "int8 decode: %d %s", st, why.message);
              for (i = 0; st == SPX_RT_OK && i < lanes; ++i)
                check(out8[which * v.group_eff + i] == lane_ref(method, n, rec, nb, i),
                      "int8: G=%u %s N=%u header 0x%02x lane %u: %d, expected %d", shapes[s].group,
                      spx_fmt_bbs_method_name(method), n, h, i, out8[which * v.group_eff + i],
                      lane_ref(method, n, rec, nb, i));
            }
            if (lanes < 8 * nb && ok) { /* one bit beyond the lanes */
              rec[1 + (lanes / 8)] = (uint8_t)(rec[1 + lanes / 8] | (1u << (lanes % 8)));
              check(spx_fmt_bbs_validate(enc, len, &dims, &why) == SPX_RT_ERR_FORMAT &&
                        strstr(why.message, "beyond the group's lanes"),
                    "bit beyond %u lanes refused: %s", lanes, why.message);
            }
            ++tested;
          }
          if (v.groups_per_tap == 1) break;
        }
        free(enc);
        free(orig);
      }
  printf("headers: %u header bytes on full and ragged groups\n", tested);
}

/* ---- the bit-serial cost model, the bbs design alone ------------------- */

/* A simulated run reports the bbs design alone (spx_sim_bs_pe_cost_bbs:
 * the groups' kept columns and constants, read from their headers row by
 * row, in chunks of what its buffer holds); the full cost
 * (spx_sim_bs_pe_cost, every design, from each group's bit columns) must
 * give the same bbs figures and counts. Layers with ragged groups, outlier
 * rows, every method, dense int8 weights, and PE arrays of 1 .. 1024 rows
 * (225 groups x 100 rows: more than one chunk). */
static void check_bitserial_cost(void) {
  static const struct {
    uint32_t rows, cols;
    uint16_t kh;
    unsigned group, method, n;
    int32_t pe_rows;
    int dense; /* the weights as plain int8 */
  } cases[] = {
      {100, 200, 3, 8, SPX_FMT_BBS_ZP_SHIFT, 2, 1024, 0}, {100, 200, 3, 8, SPX_FMT_BBS_ZP_SHIFT, 2, 32, 0},
      {40, 20, 3, 16, SPX_FMT_BBS_ZP_SHIFT, 4, 7, 0},     {64, 600, 1, 8, SPX_FMT_BBS_ROUND_AVG, 2, 1024, 0},
      {33, 45, 2, 32, SPX_FMT_BBS_ROUND_AVG, 4, 5, 0},    {17, 3, 3, 8, SPX_FMT_BBS_ZP_SHIFT, 0, 1, 0},
      {300, 70, 1, 16, SPX_FMT_BBS_NONE, 0, 1024, 0},     {12, 50, 5, 8, SPX_FMT_BBS_ROUND_AVG, 0, 3, 0},
      {30, 40, 3, 16, 0, 0, 8, 1},                        {9, 100, 1, 16, 0, 0, 1024, 1},
  };
  size_t k;
  unsigned d;
  for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
    spx_fmt_bbs_dims_t dims = {cases[k].rows, cases[k].cols, cases[k].kh, cases[k].kh};
    uint8_t *cls = malloc(dims.rows);
    spx_fmt_bbs_config_t cfg = {cases[k].group, cases[k].method, cases[k].n, cls};
    size_t count = spx_fmt_bbs_dense_count(&dims), len, i;
    int8_t *w = malloc(count);
    spx_sim_bs_mdesc_t md;
    spx_sim_bs_geom_t g;
    spx_sim_bs_weights_t sw;
    spx_sim_bs_tiling_t t;
    spx_sim_bs_cost_t *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    spx_rt_error_t why;
    uint8_t *enc;
    for (i = 0; i < dims.rows; ++i) cls[i] = (uint8_t)(rnd() % 5 == 0);
    fill_wq(w, count);
    if (cases[k].dense) {
      enc = malloc(count);
      memcpy(enc, w, count);
      len = count;
    } else {
      enc = encode_layer(&dims, &cfg, w, &len);
    }
    spx_sim_bs_mdesc_init_default(&md);
    md.rows = cases[k].pe_rows;
    md.lanes = 32;
    memset(&g, 0, sizeof g);
    g.n = 1;
    g.cin = g.cin_g = dims.cols;
    g.h = g.w = dims.kh == 1 ? 1 : dims.kh + 3;
    g.cout = g.cout_g = dims.rows;
    g.kh = g.kw = dims.kh;
    g.oh = g.ow = g.h - dims.kh + 1;
    g.sh = g.sw = g.dh = g.dw = g.groups = 1;
    g.k = (uint64_t)dims.cols * dims.kh * dims.kw;
    g.p = (uint64_t)g.oh * g.ow;
    check(spx_sim_bs_weights_open(&sw, &g, &md, cases[k].dense ? SPX_CS_ENC_DENSE : SPX_FMT_BBS,
                                  enc, (uint32_t)len, &why) == 0,
          "bitserial weights: %s", why.message);
    if (cases[k].dense) { /* the group size the simulator takes for dense int8 */
      g.gsize = g.cin_g < (uint32_t)md.lanes ? g.cin_g : (uint32_t)md.lanes;
      g.kgroups = g.kh * g.kw * ((g.cin_g + g.gsize - 1) / g.gsize);
    }
    spx_sim_bs_plan(&md, &g, (len + dims.rows - 1) / dims.rows, &t);
    check(spx_sim_bs_pe_cost(&md, &sw, &t, a) == 0, "full cost");
    check(spx_sim_bs_pe_cost_bbs(&md, &sw, &t, b) == 0, "bbs cost");
    check(a->compute[SPX_SIM_BS_BBS] == b->compute[SPX_SIM_BS_BBS] &&
              a->dram[SPX_SIM_BS_BBS] == b->dram[SPX_SIM_BS_BBS] &&
              a->latency[SPX_SIM_BS_BBS] == b->latency[SPX_SIM_BS_BBS] &&
              a->dram_bytes[SPX_SIM_BS_BBS] == b->dram_bytes[SPX_SIM_BS_BBS] &&
              a->weight_bytes[SPX_SIM_BS_BBS] == b->weight_bytes[SPX_SIM_BS_BBS] &&
              !memcmp(a->rows_busy, b->rows_busy, sizeof a->rows_busy) &&
              a->groups == b->groups && a->bbs_cols == b->bbs_cols &&
              a->const_groups == b->const_groups && a->row_blocks == b->row_blocks &&
              a->col_passes == b->col_passes && a->nrows == b->nrows &&
              a->input_bytes == b->input_bytes && a->output_bytes == b->output_bytes,
          "case %zu: the bbs design's cost alone as in the full cost (compute %llu vs %llu, "
          "const groups %llu vs %llu)",
          k, (unsigned long long)a->compute[SPX_SIM_BS_BBS],
          (unsigned long long)b->compute[SPX_SIM_BS_BBS], (unsigned long long)a->const_groups,
          (unsigned long long)b->const_groups);
    check(a->const_groups > 0 || cases[k].method == SPX_FMT_BBS_NONE || cases[k].dense ||
              (cases[k].method == SPX_FMT_BBS_ROUND_AVG && !cases[k].n), /* C < 2^0 */
          "case %zu has groups with a constant", k);
    for (d = 0; d < SPX_SIM_BS_DESIGN_COUNT; ++d)
      if (d != SPX_SIM_BS_BBS)
        check(!b->compute[d] && !b->dram[d] && !b->latency[d] && !b->dram_bytes[d] &&
                  !b->weight_bytes[d],
              "case %zu: bbs alone leaves design %u at 0", k, d);
    free(cls); free(w); free(a); free(b); free(enc);
  }
  printf("bitserial cost: the bbs design alone as in the full cost on %zu layers\n",
         sizeof cases / sizeof cases[0]);
}

/* ---- prune subcommand for bbs_ref.py ----------------------------------- */

static int prune_cmd(const char *method_name, const char *n_text, const char *in,
                     const char *out) {
  spx_npy_t npy;
  char err[256], path[4096];
  unsigned method, n = (unsigned)atoi(n_text);
  size_t count, lanes, i, j;
  int32_t *wout;
  int32_t *meta;
  int64_t dims[2];
  if (!strcmp(method_name, "round_avg")) method = SPX_FMT_BBS_ROUND_AVG;
  else if (!strcmp(method_name, "zp_shift")) method = SPX_FMT_BBS_ZP_SHIFT;
  else if (!strcmp(method_name, "none")) method = SPX_FMT_BBS_NONE;
  else {
    fprintf(stderr, "spx-bbs-test: unknown method '%s'\n", method_name);
    return 2;
  }
  if (spx_npy_read(in, &npy, err, sizeof err) != 0 || npy.dtype != SPX_DT_I8 ||
      npy.rank != 2) {
    fprintf(stderr, "spx-bbs-test: %s: %s\n", in, npy.dtype != SPX_DT_I8 ? "not int8 [count, lanes]" : err);
    return 2;
  }
  count = (size_t)npy.dims[0];
  lanes = (size_t)npy.dims[1];
  wout = calloc(count * lanes + 1, sizeof *wout);
  meta = calloc(count * 11 + 1, sizeof *meta);
  for (i = 0; i < count; ++i) {
    spx_fmt_bbs_group_t g;
    uint32_t e;
    int16_t d[32];
    if (spx_fmt_bbs_prune(method, (const int8_t *)npy.data + i * lanes, (unsigned)lanes, n,
                          &g, &e) != SPX_RT_OK) {
      fprintf(stderr, "spx-bbs-test: prune failed (lanes %zu, N %u)\n", lanes, n);
      return 2;
    }
    spx_fmt_bbs_group_decode(&g, d);
    for (j = 0; j < lanes; ++j) wout[i * lanes + j] = d[j];
    meta[i * 11 + 0] = g.param;
    meta[i * 11 + 1] = g.constant;
    meta[i * 11 + 2] = (int32_t)e;
    for (j = 0; j < g.n_cols; ++j) meta[i * 11 + 3 + j] = (int32_t)g.bits[j];
  }
  dims[0] = (int64_t)count;
  dims[1] = (int64_t)lanes;
  snprintf(path, sizeof path, "%s.w.npy", out);
  if (spx_npy_write(path, SPX_DT_I32, 2, dims, wout) != 0) return 2;
  dims[1] = 11;
  snprintf(path, sizeof path, "%s.meta.npy", out);
  if (spx_npy_write(path, SPX_DT_I32, 2, dims, meta) != 0) return 2;
  spx_npy_free(&npy);
  free(wout);
  free(meta);
  return 0;
}

static void check_kernels(void);

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "prune")) return prune_cmd(argv[2], argv[3], argv[4], argv[5]);
  if (argc != 1) {
    fprintf(stderr, "usage: spx-bbs-test [prune METHOD N IN.npy OUTPREFIX]\n");
    return 2;
  }
  check_hand_cases();
  check_random_groups();
  check_layers();
  check_validator();
  check_headers();
  check_bitserial_cost();
  check_kernels();
  return check_summary();
}

/* ---- kernels: BBS against the dense int8 kernels on decoded weights ---- */

/* Plain references on int16 effective weights (zp_shift ones may leave
 * int8, so the dense int8 kernels cannot take them): acc = bias + sum
 * (x - z_in) w' in int32, then the runtime's requantization. */
static int8_t requant_ref(const spx_rt_requant_pc_t *q, int32_t acc, int32_t c) {
  int32_t v = q->out_zero_point + spx_rt_mbqm(acc, q->multiplier[c], (int)q->shift[c]);
  return (int8_t)(v < q->act_min ? q->act_min : v > q->act_max ? q->act_max : v);
}

static void conv_ref16(const spx_rt_conv2d_params_t *p, const spx_rt_requant_pc_t *q,
                       const int8_t *in, const int16_t *w, const int32_t *bias,
                       int8_t *out) {
  int32_t oh, ow, n, oc, oy, ox, ci, ky, kx;
  int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
  spx_rt_conv2d_out_dims(p, &oh, &ow);
  for (n = 0; n < p->n; ++n)
    for (oc = 0; oc < p->c_out; ++oc)
      for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox) {
          int32_t acc = bias ? bias[oc] : 0, g = oc / cout_g;
          for (ci = 0; ci < cin_g; ++ci)
            for (ky = 0; ky < p->kh; ++ky)
              for (kx = 0; kx < p->kw; ++kx) {
                int32_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
                int32_t ix = ox * p->stride[1] + kx * p->dilation[1] - p->pad[1];
                if (iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) continue;
                acc += ((int32_t)in[(((size_t)n * p->c_in + g * cin_g + ci) * p->h + iy) *
                                        p->w + ix] - q->in_zero_point) *
                       w[(((size_t)oc * cin_g + ci) * p->kh + ky) * p->kw + kx];
              }
          out[(((size_t)n * p->c_out + oc) * oh + oy) * ow + ox] = requant_ref(q, acc, oc);
        }
}

static void dense_ref16(const spx_rt_dense_params_t *p, const spx_rt_requant_pc_t *q,
                        const int8_t *in, const int16_t *w, const int32_t *bias,
                        int8_t *out) {
  int32_t n, u, f;
  for (n = 0; n < p->n; ++n)
    for (u = 0; u < p->units; ++u) {
      int32_t acc = bias ? bias[u] : 0;
      for (f = 0; f < p->features; ++f)
        acc += ((int32_t)in[(size_t)n * p->features + f] - q->in_zero_point) *
               w[(size_t)u * p->features + f];
      out[(size_t)n * p->units + u] = requant_ref(q, acc, u);
    }
}

/* The int16 decoding of a layer (descriptor), and whether it fits int8 (then
 * also copied to dec8). */
static int decode_both(const uint8_t *enc, size_t len, const spx_fmt_bbs_dims_t *dims,
                       int16_t *dec16, int8_t *dec8, size_t count) {
  spx_fmt_dims_t fd = {dims->rows, dims->cols, dims->kh, dims->kw, 1};
  spx_rt_error_t why;
  spx_rt_error_clear(&why);
  size_t i;
  int fits = 1;
  check(spx_fmt_desc_BBS.decode(enc, len, &fd, dec16, count, &why) == 0,
        "kernel case decode: %s", why.message);
  for (i = 0; i < count; ++i) {
    fits &= dec16[i] >= -128 && dec16[i] <= 127;
    dec8[i] = (int8_t)dec16[i];
  }
  return fits;
}

static void random_requant(spx_rt_requant_pc_t *q, int32_t *mult, int32_t *shift,
                           int32_t channels) {
  int32_t c;
  for (c = 0; c < channels; ++c) {
    mult[c] = (int32_t)(0x40000000u + rnd() % 0x3fffffffu);
    shift[c] = -(int32_t)(rnd() % 12);
  }
  q->in_zero_point = (int32_t)(rnd() % 256) - 128;
  q->out_zero_point = (int32_t)(rnd() % 256) - 128;
  q->multiplier = mult;
  q->shift = shift;
  q->act_min = rnd() % 2 ? -128 : q->out_zero_point;
  q->act_max = 127;
}

static void check_kernels(void) {
  unsigned t, conv_cases = 0, dense_cases = 0, beyond = 0;
  for (t = 0; t < 240; ++t) {
    unsigned method = t % 3, n = method == SPX_FMT_BBS_NONE ? 0 : 2 * (1 + (t / 3) % 2);
    unsigned group = 8u << (rnd() % 3);
    int outliers = rnd() % 2;
    if (method && t % 7 == 0) n = 0;
    if (t % 2 == 0) {
      /* conv2d: odd shapes, strides, padding, dilation, groups */
      spx_rt_conv2d_params_t p;
      spx_rt_requant_pc_t q;
      int32_t oh, ow, mult[64], shift[64], bias[64];
      uint8_t cls[64];
      int8_t *in, *w, *dec, *ref, *out;
      int16_t *dec16;
      int fits;
      uint8_t *enc;
      size_t cin_g, wcount, incount, outcount, len, sref, sbbs;
      void *scratch_ref, *scratch_bbs;
      spx_fmt_bbs_dims_t dims;
      spx_fmt_bbs_config_t cfg;
      int st1, st2;
      memset(&p, 0, sizeof p);
      p.n = 1 + (int32_t)(rnd() % 2);
      p.groups = rnd() % 4 == 0 ? 1 + (int32_t)(rnd() % 3) : 1;
      p.c_in = p.groups * (1 + (int32_t)(rnd() % 40));
      p.c_out = p.groups * (1 + (int32_t)(rnd() % (64 / p.groups)));
      if (rnd() % 6 == 0) p.groups = p.c_in = p.c_out = 1 + (int32_t)(rnd() % 9); /* depthwise */
      p.h = 1 + (int32_t)(rnd() % 9);
      p.w = 1 + (int32_t)(rnd() % 9);
      p.kh = 1 + (int32_t)(rnd() % 3);
      p.kw = 1 + (int32_t)(rnd() % 3);
      p.stride[0] = 1 + (int32_t)(rnd() % 2);
      p.stride[1] = 1 + (int32_t)(rnd() % 2);
      p.dilation[0] = 1 + (int32_t)(rnd() % 2);
      p.dilation[1] = 1;
      p.pad[0] = (int32_t)(rnd() % 2);
      p.pad[1] = (int32_t)(rnd() % 2);
      p.pad[2] = (int32_t)(rnd() % 2);
      p.pad[3] = (int32_t)(rnd() % 2);
      if (spx_rt_conv2d_out_dims(&p, &oh, &ow) != SPX_RT_OK) continue;
      cin_g = (size_t)(p.c_in / p.groups);
      wcount = (size_t)p.c_out * cin_g * (size_t)p.kh * (size_t)p.kw;
      incount = (size_t)p.n * (size_t)p.c_in * (size_t)p.h * (size_t)p.w;
      outcount = (size_t)p.n * (size_t)p.c_out * (size_t)oh * (size_t)ow;
      in = malloc(incount);
      w = malloc(wcount);
      dec = malloc(wcount);
      dec16 = malloc(wcount * sizeof *dec16);
      ref = malloc(outcount);
      out = malloc(outcount);
      fill_s8(in, incount);
      fill_wq(w, wcount);
      random_requant(&q, mult, shift, p.c_out);
      for (int32_t c = 0; c < p.c_out; ++c) {
        bias[c] = (int32_t)(rnd() % 20001) - 10000;
        cls[c] = (uint8_t)(outliers && rnd() % 5 == 0);
      }
      dims.rows = (uint32_t)p.c_out;
      dims.cols = (uint32_t)cin_g;
      dims.kh = (uint16_t)p.kh;
      dims.kw = (uint16_t)p.kw;
      cfg.group = group;
      cfg.method = method;
      cfg.n_pruned = n;
      cfg.class_of = cls;
      enc = encode_layer(&dims, &cfg, w, &len);
      fits = decode_both(enc, len, &dims, dec16, dec, wcount);
      beyond += !fits;
      sref = spx_rt_conv2d_s8_get_buffer_size(&p);
      sbbs = spx_rt_conv2d_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &p);
      scratch_ref = malloc(sref + 4);
      scratch_bbs = malloc(sbbs + 4);
      st2 = spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len, bias, out, scratch_bbs, sbbs);
      conv_ref16(&p, &q, in, dec16, bias, ref);
      check(st2 == SPX_RT_OK && memcmp(ref, out, outcount) == 0,
            "conv2d bbs != reference on int16 decoded weights: n%d c%d->%d %dx%d k%dx%d "
            "s%d,%d d%d g%d G=%u %s N=%u",
            p.n, p.c_in, p.c_out, p.h, p.w, p.kh, p.kw, p.stride[0], p.stride[1],
            p.dilation[0], p.groups, group, spx_fmt_bbs_method_name(method), n);
      if (fits) {
        st1 = spx_rt_conv2d_s8(&p, &q, in, dec, bias, ref, scratch_ref, sref);
        check(st1 == SPX_RT_OK && st2 == SPX_RT_OK, "conv statuses %d %d", st1, st2);
        check(memcmp(ref, out, outcount) == 0,
              "conv2d bbs != dense on decoded weights: n%d c%d->%d %dx%d k%dx%d s%d,%d "
              "d%d g%d G=%u %s N=%u",
              p.n, p.c_in, p.c_out, p.h, p.w, p.kh, p.kw, p.stride[0], p.stride[1],
              p.dilation[0], p.groups, group, spx_fmt_bbs_method_name(method), n);
      }
      /* wrong dims, small scratch, garbage */
      if (t % 10 == 0) {
        p.c_out += p.groups;
        check(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len, bias, out, scratch_bbs, sbbs) != SPX_RT_OK,
              "conv2d bbs rejects an encoding of other dims");
        p.c_out -= p.groups;
        check(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len, bias, out, scratch_bbs, sbbs - 1) ==
                  SPX_RT_ERR_BUFFER,
              "conv2d bbs rejects small scratch");
        check(spx_rt_conv2d_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len - 1, bias, out, scratch_bbs, sbbs) ==
                  SPX_RT_ERR_ARG,
              "conv2d bbs rejects a truncated encoding");
      }
      conv_cases++;
      free(in), free(w), free(dec), free(dec16), free(ref), free(out), free(enc);
      free(scratch_ref), free(scratch_bbs);
    } else {
      spx_rt_dense_params_t p;
      spx_rt_requant_pc_t q;
      int32_t mult[80], shift[80], bias[80];
      uint8_t cls[80];
      int8_t *in, *w, *dec, *ref, *out;
      int16_t *dec16;
      int fits;
      uint8_t *enc;
      size_t wcount, len, sref, sbbs;
      void *scratch_ref, *scratch_bbs;
      spx_fmt_bbs_dims_t dims;
      spx_fmt_bbs_config_t cfg;
      int st1, st2;
      memset(&p, 0, sizeof p);
      p.n = 1 + (int32_t)(rnd() % 40);
      p.features = 1 + (int32_t)(rnd() % 150);
      p.units = 1 + (int32_t)(rnd() % 80);
      wcount = (size_t)p.units * (size_t)p.features;
      in = malloc((size_t)p.n * (size_t)p.features);
      w = malloc(wcount);
      dec = malloc(wcount);
      dec16 = malloc(wcount * sizeof *dec16);
      ref = malloc((size_t)p.n * (size_t)p.units);
      out = malloc((size_t)p.n * (size_t)p.units);
      fill_s8(in, (size_t)p.n * (size_t)p.features);
      if (t % 4 == 1) fill_w8(w, wcount); else fill_wq(w, wcount);
      random_requant(&q, mult, shift, p.units);
      for (int32_t c = 0; c < p.units; ++c) {
        bias[c] = (int32_t)(rnd() % 20001) - 10000;
        cls[c] = (uint8_t)(outliers && rnd() % 5 == 0);
      }
      dims.rows = (uint32_t)p.units;
      dims.cols = (uint32_t)p.features;
      dims.kh = dims.kw = 1;
      cfg.group = group;
      cfg.method = method;
      cfg.n_pruned = n;
      cfg.class_of = cls;
      enc = encode_layer(&dims, &cfg, w, &len);
      fits = decode_both(enc, len, &dims, dec16, dec, wcount);
      beyond += !fits;
      sref = spx_rt_dense_s8_get_buffer_size(&p);
      sbbs = spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &p);
      scratch_ref = malloc(sref + 4);
      scratch_bbs = malloc(sbbs + 4);
      st2 = spx_rt_dense_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len, bias, out, scratch_bbs, sbbs);
      dense_ref16(&p, &q, in, dec16, bias, ref);
      check(st2 == SPX_RT_OK && memcmp(ref, out, (size_t)p.n * (size_t)p.units) == 0,
            "dense bbs != reference on int16 decoded weights: n%d %d->%d G=%u %s N=%u",
            p.n, p.features, p.units, group, spx_fmt_bbs_method_name(method), n);
      if (fits) {
        st1 = spx_rt_dense_s8(&p, &q, in, dec, bias, ref, scratch_ref, sref);
        check(st1 == SPX_RT_OK && st2 == SPX_RT_OK, "dense statuses %d %d", st1, st2);
        check(memcmp(ref, out, (size_t)p.n * (size_t)p.units) == 0,
              "dense bbs != dense on decoded weights: n%d %d->%d G=%u %s N=%u", p.n,
              p.features, p.units, group, spx_fmt_bbs_method_name(method), n);
      }
      if (t % 10 == 1) {
        p.features += 1;
        check(spx_rt_dense_s8_fmt(&spx_fmt_desc_BBS, &p, &q, in, enc, len, bias, out, scratch_bbs,
                                  spx_rt_dense_s8_fmt_get_buffer_size(&spx_fmt_desc_BBS, &p)) == SPX_RT_ERR_ARG,
              "dense bbs rejects an encoding of other dims");
        p.features -= 1;
      }
      dense_cases++;
      free(in), free(w), free(dec), free(dec16), free(ref), free(out), free(enc);
      free(scratch_ref), free(scratch_bbs);
    }
  }
  check(beyond > 0, "kernels: some cases have weights beyond int8");
  printf("kernels: %u conv2d and %u dense cases bit-exact with a reference on the int16 "
         "decoded weights (%u beyond int8) and, where they fit, the dense int8 kernels\n",
         conv_cases, dense_cases, beyond);
}
