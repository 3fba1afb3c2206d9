/*
 * check_quant_gemm.c - the int8 GEMM tiles of the q8 numerics
 * (src/01-tensor/quant_gemm.c, fast kernels in quant_q8_simd.c).
 *
 *   - the fast packer writes the same tile bytes as the reference, with and
 *     without a row selection and with a partial last group of 8 rows;
 *   - the fast product is bit-identical to the reference (memcmp) for 1..7
 *     tokens (every token-count specialization), at every kernel level the
 *     CPU supports;
 *   - the tile's levels and scales mean the weights: the reference product
 *     equals the double-precision dot of the dequantized weight row with the
 *     dequantized activation row (within 1e-5 of sum |w x|; Q4_1/Q5_1 take
 *     ggml's fp16 s for the min term, within 2e-3);
 *   - an output depends only on its weight row and activation row: a tile of
 *     a subset of the rows and fewer tokens gives the same bytes (so the
 *     split of rows over tiles and threads cannot change a result).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "senti/quant.h"
#include "testutil.h"

static const int g_types[] = {SENTI_TYPE_Q4_0, SENTI_TYPE_Q4_1, SENTI_TYPE_Q5_0, SENTI_TYPE_Q5_1, SENTI_TYPE_Q8_0,
                              SENTI_TYPE_Q2_K, SENTI_TYPE_Q3_K, SENTI_TYPE_Q4_K, SENTI_TYPE_Q5_K, SENTI_TYPE_Q6_K};
#define N_TYPES ((int)(sizeof g_types / sizeof g_types[0]))
#define NC 512 /* columns: two K-quant super-blocks */
#define NR 13  /* rows: one full group of 8 and a partial one */
#define NT 7   /* tokens: a pass of 4 and one of 3 */

static int g_levels[SENTI_ISA_COUNT], g_nlevels;

typedef struct {
    int type;
    size_t rb, tb, ab;
    uint8_t *w, *tile, *tile2, *act;
    float *x;
} fixture;

static double urand(uint64_t *s) /* uniform in [-1, 1) */
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

/* NR random weight rows of `type` (row scales 0.01..10, a few outliers) and NT
 * activation rows quantized for it. */
static fixture make(int type, uint64_t seed)
{
    fixture f = {.type = type};
    f.rb = senti_type_row_size(type, NC);
    f.tb = senti_q8_tile_bytes(type, NC, NR);
    f.ab = senti_q8_act_bytes(NC);
    f.w = malloc(f.rb * NR);
    f.tile = malloc(f.tb);
    f.tile2 = malloc(f.tb);
    f.act = malloc(f.ab * NT);
    f.x = malloc(sizeof(float) * NC * NT);
    ck_assert(f.tb > 0 && f.w && f.tile && f.tile2 && f.act && f.x);
    float row[NC];
    for (int i = 0; i < NR; i++) {
        const double amp = pow(10.0, 2.0 * urand(&seed) - 1.0);
        for (int j = 0; j < NC; j++)
            row[j] = (float)(amp * urand(&seed) * (j % 53 == 0 ? 4.0 : 1.0));
        ck_assert(senti_quantize_row_ref(type, row, f.w + (size_t)i * f.rb, NC) == f.rb);
    }
    for (int t = 0; t < NT; t++) {
        for (int j = 0; j < NC; j++)
            f.x[t * NC + j] = (float)(urand(&seed) * (j % 41 == 0 ? 20.0 : 1.0));
        senti_q8_act_row(type, f.x + t * NC, NC, f.act + (size_t)t * f.ab);
    }
    return f;
}

static void drop(fixture *f)
{
    free(f->w), free(f->tile), free(f->tile2), free(f->act), free(f->x);
}

START_TEST(test_pack_fast_eq_ref)
{
    const int type = g_types[_i % N_TYPES], lv = g_levels[_i / N_TYPES];
    const int32_t sel[NR] = {12, 0, 5, 5, 11, 1, 2, 3, 9, 8, 7, 6, 4};
    fixture f = make(type, 1000 + (uint64_t)_i);
    tu_isa_use(lv);
    for (int k = 0; k < 2; k++) {
        const int32_t *s = k ? sel : NULL;
        memset(f.tile2, 0xA5, f.tb);
        senti_q8_tile_pack_ref(type, f.w, f.rb, s, NR, NC, f.tile);
        senti_q8_tile_pack(type, f.w, f.rb, s, NR, NC, f.tile2);
        ck_assert_msg(memcmp(f.tile, f.tile2, f.tb) == 0, "%s tile bytes differ (kernels %s, sel %d)",
                      senti_type_name(type), senti_isa_name(lv), k);
    }
    drop(&f);
}
END_TEST

START_TEST(test_matmul_fast_eq_ref)
{
    const int type = g_types[_i % N_TYPES], lv = g_levels[_i / N_TYPES];
    fixture f = make(type, 2000 + (uint64_t)_i);
    enum { LDY = NR + 3 };
    float a[NT * LDY], b[NT * LDY];
    tu_isa_use(lv);
    senti_q8_tile_pack(type, f.w, f.rb, NULL, NR, NC, f.tile);
    for (int T = 1; T <= NT; T++) {
        for (int i = 0; i < NT * LDY; i++)
            a[i] = b[i] = -7.0f; /* the gaps between rows stay untouched */
        senti_q8_tile_matmul_ref(type, f.tile, NR, f.act, f.ab, T, NC, a, LDY);
        senti_q8_tile_matmul(type, f.tile, NR, f.act, f.ab, T, NC, b, LDY);
        ck_assert_msg(memcmp(a, b, sizeof a) == 0, "%s, %d tokens: fast != reference (kernels %s)",
                      senti_type_name(type), T, senti_isa_name(lv));
        for (int t = 0; t < NT; t++)
            for (int i = NR; i < LDY; i++)
                ck_assert(a[t * LDY + i] == -7.0f);
    }
    drop(&f);
}
END_TEST

START_TEST(test_matmul_vs_dequant)
{
    const int type = g_types[_i];
    fixture f = make(type, 3000 + (uint64_t)_i);
    const bool s_fp16 = type == SENTI_TYPE_Q4_1 || type == SENTI_TYPE_Q5_1;
    float y[NT * NR], w[NC], xa[NC];
    senti_q8_tile_pack_ref(type, f.w, f.rb, NULL, NR, NC, f.tile);
    senti_q8_tile_matmul_ref(type, f.tile, NR, f.act, f.ab, NT, NC, y, NR);
    for (int t = 0; t < NT; t++) {
        /* the activation row's own values: q * da */
        const int8_t *q = (const int8_t *)(f.act + (size_t)t * f.ab);
        const float *meta = (const float *)(f.act + (size_t)t * f.ab + NC);
        for (int j = 0; j < NC; j++)
            xa[j] = (float)q[j] * meta[8 * (j / 32)];
        for (int i = 0; i < NR; i++) {
            senti_dequant_row(type, f.w + (size_t)i * f.rb, w, NC);
            double dot = 0.0, mag = 0.0;
            for (int j = 0; j < NC; j++) {
                dot += (double)w[j] * xa[j];
                mag += fabs((double)w[j] * xa[j]);
            }
            const double tol = (s_fp16 ? 2e-3 : 1e-5) * mag + 1e-30;
            ck_assert_msg(fabs(y[t * NR + i] - dot) <= tol, "%s row %d token %d: %g vs dequantized dot %g (tol %g)",
                          senti_type_name(type), i, t, (double)y[t * NR + i], dot, tol);
        }
    }
    drop(&f);
}
END_TEST

START_TEST(test_rows_independent)
{
    const int type = g_types[_i];
    fixture f = make(type, 4000 + (uint64_t)_i);
    float all[NT * NR], part[3 * 5];
    senti_q8_tile_pack(type, f.w, f.rb, NULL, NR, NC, f.tile);
    senti_q8_tile_matmul(type, f.tile, NR, f.act, f.ab, NT, NC, all, NR);
    /* rows 6..10 alone, tokens 2..4 */
    senti_q8_tile_pack(type, f.w + 6 * f.rb, f.rb, NULL, 5, NC, f.tile2);
    senti_q8_tile_matmul(type, f.tile2, 5, f.act + 2 * f.ab, f.ab, 3, NC, part, 5);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 5; i++)
            ck_assert_msg(memcmp(&part[t * 5 + i], &all[(t + 2) * NR + 6 + i], sizeof(float)) == 0,
                          "%s: row %d token %d depends on the tile", senti_type_name(type), 6 + i, 2 + t);
    drop(&f);
}
END_TEST

START_TEST(test_unsupported)
{
    ck_assert_uint_eq(senti_q8_tile_bytes(SENTI_TYPE_F32, 256, 8), 0);
    ck_assert_uint_eq(senti_q8_tile_bytes(SENTI_TYPE_F16, 256, 8), 0);
    ck_assert_uint_eq(senti_q8_tile_bytes(SENTI_TYPE_Q4_K, 96, 8), 0); /* not whole super-blocks */
    ck_assert_uint_eq(senti_q8_tile_bytes(SENTI_TYPE_Q4_0, 256, 0), 0);
    ck_assert_uint_eq(senti_q8_tile_bytes(SENTI_TYPE_Q4_0, 256, 9), 2 * 8 * 416);
}
END_TEST

Suite *quant_gemm_suite(void)
{
    Suite *s = suite_create("quant_gemm");
    g_nlevels = tu_isa_levels("quant_gemm", g_levels);
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_loop_test(tc, test_pack_fast_eq_ref, 0, N_TYPES * g_nlevels);
    tcase_add_loop_test(tc, test_matmul_fast_eq_ref, 0, N_TYPES * g_nlevels);
    tcase_add_loop_test(tc, test_matmul_vs_dequant, 0, N_TYPES);
    tcase_add_loop_test(tc, test_rows_independent, 0, N_TYPES);
    tcase_add_test(tc, test_unsupported);
    suite_add_tcase(s, tc);
    return s;
}
