/*
 * check_quant.c - suite "quant": ggml block formats, fp16/bf16, dot products.
 *
 * References:
 *   - tests/data/quant/<TYPE>.bin and real_<TYPE>.bin: rows dequantized by
 *     gguf-py's numpy code (tools/gen_quant_fixtures.py), synthetic blocks
 *     and the first blocks of real tensors of the two test models;
 *   - hand-computed IEEE half / bfloat16 encodings, and the CPU's own F16C
 *     conversion instructions where the build has them;
 *   - block sizes from the GGUF spec (gguf-py's GGML_QUANT_SIZES).
 * The fast kernels of every kernel level the CPU supports are held to the
 * scalar references: dequantization bit for bit, dot products within a float
 * summation-order tolerance. The level detection is checked against the
 * kernel's own CPU flags (/proc/cpuinfo).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include "senti/quant.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------- */

/* The kernel levels this CPU runs (filled by quant_suite, before the forks). */
static int tq_levels[SENTI_ISA_COUNT], tq_nlevels;

/* Deterministic xorshift64* stream. */
static uint64_t tq_rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t tq_next(void)
{
    tq_rng_state ^= tq_rng_state >> 12;
    tq_rng_state ^= tq_rng_state << 25;
    tq_rng_state ^= tq_rng_state >> 27;
    return tq_rng_state * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [-1, 1). */
static float tq_uniform(void)
{
    return (float)((double)(tq_next() >> 11) * 0x1p-53 * 2.0 - 1.0);
}

/* Roughly standard normal (sum of uniforms), enough for error bounds. */
static float tq_normal(void)
{
    float s = 0.0f;
    for (int i = 0; i < 6; i++)
        s += tq_uniform();
    return s * 1.41421356f;
}

static const int tq_quant_types[] = {SENTI_TYPE_Q4_0, SENTI_TYPE_Q4_1, SENTI_TYPE_Q5_0,
                                     SENTI_TYPE_Q5_1, SENTI_TYPE_Q8_0, SENTI_TYPE_Q2_K,
                                     SENTI_TYPE_Q3_K, SENTI_TYPE_Q4_K, SENTI_TYPE_Q5_K,
                                     SENTI_TYPE_Q6_K};
#define TQ_NQUANT ((int)(sizeof tq_quant_types / sizeof tq_quant_types[0]))

static const int tq_all_types[] = {SENTI_TYPE_F32,  SENTI_TYPE_F16,  SENTI_TYPE_BF16,
                                   SENTI_TYPE_Q4_0, SENTI_TYPE_Q4_1, SENTI_TYPE_Q5_0,
                                   SENTI_TYPE_Q5_1, SENTI_TYPE_Q8_0, SENTI_TYPE_Q2_K,
                                   SENTI_TYPE_Q3_K, SENTI_TYPE_Q4_K, SENTI_TYPE_Q5_K,
                                   SENTI_TYPE_Q6_K};
#define TQ_NALL ((int)(sizeof tq_all_types / sizeof tq_all_types[0]))

/* Byte offsets of the fp16 scale fields in one block of `type`. */
static int tq_half_offsets(int type, int off[2])
{
    switch (type) {
    case SENTI_TYPE_Q4_0: case SENTI_TYPE_Q5_0: case SENTI_TYPE_Q8_0: off[0] = 0; return 1;
    case SENTI_TYPE_Q4_1: case SENTI_TYPE_Q5_1: case SENTI_TYPE_Q4_K: case SENTI_TYPE_Q5_K:
        off[0] = 0, off[1] = 2; return 2;
    case SENTI_TYPE_Q2_K: off[0] = 80, off[1] = 82; return 2;
    case SENTI_TYPE_Q3_K: off[0] = 108; return 1;
    case SENTI_TYPE_Q6_K: off[0] = 208; return 1;
    default: return 0;
    }
}

/* Random blocks of `type` with finite fp16 scales of magnitude <= ~0.1. */
static void tq_random_blocks(int type, uint8_t *dst, int64_t nblocks)
{
    const senti_type_traits *t = senti_type_info(type);
    int off[2], nh = tq_half_offsets(type, off);
    for (int64_t b = 0; b < nblocks; b++) {
        uint8_t *blk = dst + b * (int64_t)t->type_size;
        for (size_t i = 0; i < t->type_size; i++)
            blk[i] = (uint8_t)tq_next();
        for (int k = 0; k < nh; k++) {
            uint16_t h = senti_f32_to_fp16(0.1f * tq_uniform());
            memcpy(blk + off[k], &h, sizeof h);
        }
    }
}

/* sum |a_i x_i| in double: the scale for dot-product tolerances. */
static double tq_abs_dot(const float *a, const float *x, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += fabs((double)a[i] * (double)x[i]);
    return s;
}

static double tq_dot_double(const float *a, const float *x, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += (double)a[i] * (double)x[i];
    return s;
}

/* ---- fixtures from gguf-py ------------------------------------------------------ */

typedef struct {
    char *buf;       /* owns the file contents */
    int type;
    int64_t n;
    const uint8_t *row;    /* [nbytes] */
    float *expected;       /* [n] gguf-py dequantization (copied, aligned) */
    float *x;              /* [n] */
    double dot;
} tq_fixture;

static void tq_fixture_load(const char *name, tq_fixture *fx)
{
    char rel[256];
    snprintf(rel, sizeof rel, "quant/%s.bin", name);
    size_t len = 0;
    fx->buf = tu_read_file(tu_data_path(rel), &len);
    ck_assert_msg(fx->buf != NULL, "missing fixture %s", rel);
    ck_assert_msg(len >= 16 && memcmp(fx->buf, "SQF1", 4) == 0, "bad fixture %s", rel);
    uint32_t hdr[3];
    memcpy(hdr, fx->buf + 4, sizeof hdr);
    fx->type = (int)hdr[0];
    fx->n = hdr[1];
    size_t nbytes = hdr[2], nf = (size_t)fx->n * sizeof(float);
    ck_assert_uint_eq(len, 16 + nbytes + 2 * nf + sizeof(double));
    ck_assert_uint_eq(nbytes, senti_type_row_size(fx->type, fx->n));
    fx->row = (const uint8_t *)fx->buf + 16;
    fx->expected = malloc(nf);
    fx->x = malloc(nf);
    memcpy(fx->expected, fx->row + nbytes, nf);
    memcpy(fx->x, fx->row + nbytes + nf, nf);
    memcpy(&fx->dot, fx->row + nbytes + 2 * nf, sizeof fx->dot);
}

static void tq_fixture_free(tq_fixture *fx)
{
    free(fx->buf);
    free(fx->expected);
    free(fx->x);
}

static const char *const tq_fixture_names[] = {
    "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K",
    "Q5_K", "Q6_K", "real_Q8_0", "real_Q4_1", "real_Q5_0", "real_Q4_K", "real_Q6_K"};
#define TQ_NFIX ((int)(sizeof tq_fixture_names / sizeof tq_fixture_names[0]))

START_TEST(test_fixture_dequant_ref)
{
    tq_fixture fx;
    tq_fixture_load(tq_fixture_names[_i], &fx);
    float *y = malloc((size_t)fx.n * sizeof *y);
    senti_dequant_row_ref(fx.type, fx.row, y, fx.n);
    for (int64_t i = 0; i < fx.n; i++)
        ck_assert_msg(fabsf(y[i] - fx.expected[i]) <= 1e-6f * fabsf(fx.expected[i]),
                      "%s[%lld]: ref %.9g, gguf-py %.9g", tq_fixture_names[_i], (long long)i,
                      (double)y[i], (double)fx.expected[i]);
    free(y);
    tq_fixture_free(&fx);
}
END_TEST

START_TEST(test_fixture_fast_and_dot)
{
    tq_fixture fx;
    const int fi = _i / tq_nlevels;
    tu_isa_use(tq_levels[_i % tq_nlevels]);
    tq_fixture_load(tq_fixture_names[fi], &fx);
    char nm[96];
    snprintf(nm, sizeof nm, "%s (kernels %s)", tq_fixture_names[fi], senti_isa_name(senti_isa_active()));
    float *ref = malloc((size_t)fx.n * sizeof *ref), *fast = malloc((size_t)fx.n * sizeof *fast);
    senti_dequant_row_ref(fx.type, fx.row, ref, fx.n);
    senti_dequant_row(fx.type, fx.row, fast, fx.n);
    for (int64_t i = 0; i < fx.n; i++)
        ck_assert_msg(fast[i] == ref[i], "%s[%lld]: fast %.9g ref %.9g", nm, (long long)i,
                      (double)fast[i], (double)ref[i]);
    double scale = tq_abs_dot(fx.expected, fx.x, fx.n);
    double dref = senti_dot_row_ref(fx.type, fx.row, fx.x, fx.n);
    double dfast = senti_dot_row(fx.type, fx.row, fx.x, fx.n);
    ck_assert_msg(fabs(dref - fx.dot) <= 1e-6 * scale, "%s: ref dot %.9g vs %.9g", nm, dref, fx.dot);
    ck_assert_msg(fabs(dfast - fx.dot) <= 1e-5 * scale, "%s: fast dot %.9g vs %.9g", nm, dfast,
                  fx.dot);
    free(ref);
    free(fast);
    tq_fixture_free(&fx);
}
END_TEST

/* ---- fast vs reference on random blocks ------------------------------------------- */

/* Many row lengths (odd block counts exercise the unrolled-loop tails) and a
 * one-byte misalignment of the row and of x. */
START_TEST(test_random_fast_vs_ref)
{
    static const int64_t nblocks[] = {1, 2, 3, 7, 16};
    tu_isa_use(tq_levels[_i]);
    for (int ti = 0; ti < TQ_NQUANT; ti++) {
        int type = tq_quant_types[ti];
        const senti_type_traits *t = senti_type_info(type);
        for (size_t k = 0; k < sizeof nblocks / sizeof nblocks[0]; k++) {
            int64_t n = nblocks[k] * t->block_size;
            size_t rs = senti_type_row_size(type, n);
            uint8_t *raw = malloc(rs + 1);
            float *xbuf = malloc(((size_t)n + 1) * sizeof(float));
            float *x = xbuf + 1, *ref = malloc((size_t)n * 4), *fast = malloc((size_t)n * 4);
            uint8_t *row = raw + 1;
            tq_random_blocks(type, row, nblocks[k]);
            for (int64_t i = 0; i < n; i++)
                x[i] = tq_uniform();
            senti_dequant_row_ref(type, row, ref, n);
            senti_dequant_row(type, row, fast, n);
            for (int64_t i = 0; i < n; i++)
                ck_assert_msg(fast[i] == ref[i], "%s/%s n=%lld [%lld]: %.9g vs %.9g", t->name,
                              senti_isa_name(tq_levels[_i]), (long long)n, (long long)i, (double)fast[i],
                              (double)ref[i]);
            double exact = tq_dot_double(ref, x, n), scale = tq_abs_dot(ref, x, n);
            double dref = senti_dot_row_ref(type, row, x, n);
            double dfast = senti_dot_row(type, row, x, n);
            ck_assert_msg(fabs(dref - exact) <= 1e-6 * scale + 1e-30, "%s ref dot", t->name);
            ck_assert_msg(fabs(dfast - exact) <= 1e-5 * scale + 1e-30, "%s/%s n=%lld fast %.9g exact %.9g",
                          t->name, senti_isa_name(tq_levels[_i]), (long long)n, dfast, exact);
            free(raw);
            free(xbuf);
            free(ref);
            free(fast);
        }
    }
}
END_TEST

/* Float rows of every length 0..70 (SIMD main loops and scalar tails). */
START_TEST(test_float_rows_all_lengths)
{
    static const int types[] = {SENTI_TYPE_F32, SENTI_TYPE_F16, SENTI_TYPE_BF16};
    float src[70], x[70], ref[70], fast[70];
    uint8_t row[70 * 4];
    tu_isa_use(tq_levels[_i]);
    for (int i = 0; i < 70; i++) {
        src[i] = 3.0f * tq_normal();
        x[i] = tq_uniform();
    }
    for (int ti = 0; ti < 3; ti++) {
        for (int n = 0; n <= 70; n++) {
            ck_assert_uint_eq(senti_quantize_row_ref(types[ti], src, row, n),
                              senti_type_row_size(types[ti], n));
            senti_dequant_row_ref(types[ti], row, ref, n);
            senti_dequant_row(types[ti], row, fast, n);
            ck_assert_msg(memcmp(ref, fast, (size_t)n * sizeof(float)) == 0, "%s n=%d (kernels %s)",
                          senti_type_name(types[ti]), n, senti_isa_name(tq_levels[_i]));
            double exact = tq_dot_double(ref, x, n), scale = tq_abs_dot(ref, x, n);
            ck_assert_msg(fabs(senti_dot_row(types[ti], row, x, n) - exact) <= 1e-6 * scale, "%s n=%d (kernels %s)",
                          senti_type_name(types[ti]), n, senti_isa_name(tq_levels[_i]));
            ck_assert(fabs(senti_dot_row_ref(types[ti], row, x, n) - exact) <= 1e-6 * scale);
        }
    }
}
END_TEST

/* ---- quantize -> dequantize round trip --------------------------------------------- */

/* Relative RMS error bounds (error RMS / signal RMS) for normal data. A
 * b-bit uniform quantizer over ~±3 sigma gives about 3.5 / 2^b; the bounds
 * leave ~1.5x headroom over that. */
static double tq_rt_bound(int type)
{
    switch (type) {
    case SENTI_TYPE_F32: return 0.0;
    case SENTI_TYPE_F16: return 1e-3;
    case SENTI_TYPE_BF16: return 4e-3;
    case SENTI_TYPE_Q8_0: return 0.01;
    case SENTI_TYPE_Q6_K: return 0.03;
    case SENTI_TYPE_Q5_0: case SENTI_TYPE_Q5_1: case SENTI_TYPE_Q5_K: return 0.06;
    case SENTI_TYPE_Q4_0: case SENTI_TYPE_Q4_1: case SENTI_TYPE_Q4_K: return 0.12;
    case SENTI_TYPE_Q3_K: return 0.25;
    default: return 0.5; /* Q2_K */
    }
}

START_TEST(test_roundtrip_error)
{
    enum { N = 4096 };
    float *src = malloc(N * sizeof *src), *y = malloc(N * sizeof *y);
    uint8_t *q = malloc(N * 4);
    for (int i = 0; i < N; i++)
        src[i] = 0.02f * tq_normal() + (i % 256 < 16 ? 0.01f : 0.0f); /* some offset blocks */
    for (int ti = 0; ti < TQ_NALL; ti++) {
        int type = tq_all_types[ti];
        size_t rs = senti_quantize_row_ref(type, src, q, N);
        ck_assert_uint_eq(rs, senti_type_row_size(type, N));
        senti_dequant_row(type, q, y, N);
        double se = 0.0, ss = 0.0;
        for (int i = 0; i < N; i++) {
            se += ((double)y[i] - src[i]) * ((double)y[i] - src[i]);
            ss += (double)src[i] * src[i];
        }
        double rel = sqrt(se / ss);
        ck_assert_msg(rel <= tq_rt_bound(type), "%s: relative RMS error %.4g > %.4g",
                      senti_type_name(type), rel, tq_rt_bound(type));
    }
    free(src);
    free(y);
    free(q);
}
END_TEST

/* All-zero and constant blocks must not produce NaN (zero scales). */
START_TEST(test_roundtrip_degenerate)
{
    enum { N = 512 };
    float src[N], y[N];
    uint8_t q[N * 4];
    for (int ti = 0; ti < TQ_NALL; ti++) {
        int type = tq_all_types[ti];
        for (int c = 0; c < 2; c++) {
            for (int i = 0; i < N; i++)
                src[i] = c == 0 ? 0.0f : 0.375f;
            senti_quantize_row_ref(type, src, q, N);
            senti_dequant_row(type, q, y, N);
            for (int i = 0; i < N; i++)
                ck_assert_msg(fabsf(y[i] - src[i]) <= 0.375f * 0.02f, "%s const %g: y[%d]=%g",
                              senti_type_name(type), (double)src[i], i, (double)y[i]);
        }
    }
}
END_TEST

/* ---- traits, sizes, refusals ----------------------------------------------------------- */

START_TEST(test_traits_and_row_size)
{
    /* (type, block size, bytes per block) from the GGUF spec */
    static const int spec[][3] = {{0, 1, 4},      {1, 1, 2},      {2, 32, 18},    {3, 32, 20},
                                  {6, 32, 22},    {7, 32, 24},    {8, 32, 34},    {10, 256, 84},
                                  {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210},
                                  {15, 256, 292}, {30, 1, 2}};
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        const senti_type_traits *t = senti_type_info(spec[i][0]);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(t->block_size, spec[i][1]);
        ck_assert_uint_eq(t->type_size, (size_t)spec[i][2]);
    }
    ck_assert_str_eq(senti_type_name(SENTI_TYPE_Q4_K), "Q4_K");
    ck_assert_str_eq(senti_type_name(SENTI_TYPE_BF16), "BF16");
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q4_0, 64), 36);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q4_K, 512), 288);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q6_K, 2048), 8 * 210);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_F32, 7), 28);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_BF16, 3), 6);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q4_0, 100), 0); /* not a block multiple */
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q5_K, 32), 0);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q8_0, -32), 0);
    static const int unknown[] = {-1, 4, 5, 31, 32, 33, SENTI_TYPE_COUNT, 1000};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ck_assert_ptr_null(senti_type_info(unknown[i]));
        ck_assert_str_eq(senti_type_name(unknown[i]), "unknown");
        ck_assert_uint_eq(senti_type_row_size(unknown[i], 256), 0);
    }
    /* every supported type quantizes; Q8_1/Q8_K are known but not supported */
    for (int ti = 0; ti < TQ_NALL; ti++)
        ck_assert(senti_type_info(tq_all_types[ti])->supported);
    ck_assert(!senti_type_info(SENTI_TYPE_Q8_K)->supported);
    ck_assert(!senti_type_info(SENTI_TYPE_Q8_1)->supported);
}
END_TEST

START_TEST(test_refuses_unsupported)
{
    static const int bad[] = {-1, 4, 31, SENTI_TYPE_COUNT, SENTI_TYPE_Q8_K, 16 /* IQ2_XXS */};
    uint8_t raw[1024] = {0};
    float x[256], y[256];
    for (int i = 0; i < 256; i++)
        x[i] = 1.0f;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        senti_dequant_row(bad[i], raw, y, 256);
        ck_assert(isnan(y[0]) && isnan(y[255]));
        senti_dequant_row_ref(bad[i], raw, y, 256);
        ck_assert(isnan(y[7]));
        ck_assert(isnan(senti_dot_row(bad[i], raw, x, 256)));
        ck_assert(isnan(senti_dot_row_ref(bad[i], raw, x, 256)));
        ck_assert_uint_eq(senti_quantize_row_ref(bad[i], x, raw, 256), 0);
    }
    /* n not a multiple of the block size */
    senti_dequant_row(SENTI_TYPE_Q4_0, raw, y, 48);
    ck_assert(isnan(y[0]));
    ck_assert(isnan(senti_dot_row(SENTI_TYPE_Q4_K, raw, x, 128)));
    ck_assert_uint_eq(senti_quantize_row_ref(SENTI_TYPE_Q6_K, x, raw, 100), 0);
}
END_TEST

/* ---- fp16 / bf16 ------------------------------------------------------------------------- */

START_TEST(test_fp16_known_values)
{
    ck_assert(senti_fp16_to_f32(0x3C00) == 1.0f);
    ck_assert(senti_fp16_to_f32(0xC000) == -2.0f);
    ck_assert(senti_fp16_to_f32(0x7BFF) == 65504.0f);
    ck_assert(senti_fp16_to_f32(0x0001) == 0x1p-24f);
    ck_assert(senti_fp16_to_f32(0x0400) == 0x1p-14f);
    ck_assert(senti_fp16_to_f32(0x3555) == 0x1.554p-2f);
    ck_assert(isinf(senti_fp16_to_f32(0x7C00)) && senti_fp16_to_f32(0xFC00) < 0);
    ck_assert(isnan(senti_fp16_to_f32(0x7E00)));
    ck_assert(signbit(senti_fp16_to_f32(0x8000)));
    ck_assert_uint_eq(senti_f32_to_fp16(1.0f), 0x3C00);
    ck_assert_uint_eq(senti_f32_to_fp16(-2.0f), 0xC000);
    ck_assert_uint_eq(senti_f32_to_fp16(65504.0f), 0x7BFF);
    ck_assert_uint_eq(senti_f32_to_fp16(65519.0f), 0x7BFF);
    ck_assert_uint_eq(senti_f32_to_fp16(65520.0f), 0x7C00); /* tie rounds to even: inf */
    ck_assert_uint_eq(senti_f32_to_fp16(1e10f), 0x7C00);
    ck_assert_uint_eq(senti_f32_to_fp16(1.0f + 0x1p-11f), 0x3C00);        /* tie -> even */
    ck_assert_uint_eq(senti_f32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);    /* tie -> even */
    ck_assert_uint_eq(senti_f32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
    ck_assert_uint_eq(senti_f32_to_fp16(0x1p-25f), 0x0000);     /* tie with 0 -> 0 */
    ck_assert_uint_eq(senti_f32_to_fp16(3 * 0x1p-25f), 0x0002); /* 1.5 ulp -> 2 */
    ck_assert_uint_eq(senti_f32_to_fp16(0x1.8p-24f), 0x0002);
    ck_assert_uint_eq(senti_f32_to_fp16(0x1p-26f), 0x0000);
    ck_assert_uint_eq(senti_f32_to_fp16(0x1.ff8p-15f), 0x03FF); /* largest subnormal */
    ck_assert_uint_eq(senti_f32_to_fp16(0x1.ffcp-15f), 0x0400); /* tie: up to the first normal */
    ck_assert_uint_eq(senti_f32_to_fp16(-0.0f), 0x8000);
    ck_assert_uint_eq(senti_f32_to_fp16(-INFINITY), 0xFC00);
    ck_assert_uint_eq(senti_f32_to_fp16(NAN) & 0x7E00, 0x7E00);
}
END_TEST

/* Every non-NaN half survives half -> float -> half. */
START_TEST(test_fp16_roundtrip_exhaustive)
{
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF))
            continue; /* NaN payloads are not preserved bit for bit */
        ck_assert_uint_eq(senti_f32_to_fp16(senti_fp16_to_f32((uint16_t)h)), h);
    }
}
END_TEST

/* The CPU's own conversion instructions, compiled for F16C whatever the
 * build's flags (the test runs only where the CPU has them). */
__attribute__((target("f16c"))) static uint16_t tq_f16c_half(float f)
{
    return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
__attribute__((target("f16c"))) static float tq_f16c_float(uint16_t h) { return _cvtsh_ss(h); }

/* Against the CPU's own conversion: random bit patterns over all exponents. */
START_TEST(test_fp16_vs_f16c)
{
    for (int i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)tq_next();
        float f;
        memcpy(&f, &u, sizeof f);
        if (isnan(f))
            continue;
        uint16_t hw = tq_f16c_half(f);
        ck_assert_msg(senti_f32_to_fp16(f) == hw, "%a: %04x vs f16c %04x", (double)f,
                      senti_f32_to_fp16(f), hw);
    }
    for (uint32_t h = 0; h < 0x10000; h++) {
        float a = senti_fp16_to_f32((uint16_t)h), b = tq_f16c_float((uint16_t)h);
        ck_assert(memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)));
    }
}
END_TEST

START_TEST(test_bf16)
{
    ck_assert(senti_bf16_to_f32(0x3F80) == 1.0f);
    ck_assert(senti_bf16_to_f32(0xC040) == -3.0f);
    ck_assert_uint_eq(senti_f32_to_bf16(1.0f), 0x3F80);
    ck_assert_uint_eq(senti_f32_to_bf16(-3.0f), 0xC040);
    float f;
    uint32_t u = 0x3F808000u; /* halfway between 0x3F80 and 0x3F81 -> even */
    memcpy(&f, &u, sizeof f);
    ck_assert_uint_eq(senti_f32_to_bf16(f), 0x3F80);
    u = 0x3F818000u; /* halfway between 0x3F81 and 0x3F82 -> even */
    memcpy(&f, &u, sizeof f);
    ck_assert_uint_eq(senti_f32_to_bf16(f), 0x3F82);
    u = 0x3F808001u;
    memcpy(&f, &u, sizeof f);
    ck_assert_uint_eq(senti_f32_to_bf16(f), 0x3F81);
    ck_assert_uint_eq(senti_f32_to_bf16(INFINITY), 0x7F80);
    ck_assert(isnan(senti_bf16_to_f32(senti_f32_to_bf16(NAN))));
}
END_TEST

/* ---- kernel levels --------------------------------------------------------------- */

/* True when the "flags" line of /proc/cpuinfo lists every flag of `need`
 * (space separated): the kernel's view of the CPU, independent of cpuid
 * parsing in libgcc. */
static bool tq_cpuinfo_has(const char *need)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    ck_assert_msg(f != NULL, "cannot read /proc/cpuinfo");
    static char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = !strncmp(line, "flags", 5);
    fclose(f);
    ck_assert_msg(found, "no flags line in /proc/cpuinfo");
    char buf[128];
    snprintf(buf, sizeof buf, "%s", need);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char pat[40];
        snprintf(pat, sizeof pat, " %s", tok);
        const char *p = strstr(line, pat);
        size_t len = strlen(pat);
        if (!p || (p[len] != ' ' && p[len] != '\n'))
            return false;
    }
    return true;
}

START_TEST(test_isa_levels)
{
    static const char *const need[SENTI_ISA_COUNT] = {
        "fpu", "avx2 fma f16c", "avx2 fma f16c avx512f avx512bw avx512vl",
        "avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni"};
    for (int isa = 0; isa < SENTI_ISA_COUNT; isa++) {
        ck_assert_msg(senti_isa_supported(isa) == tq_cpuinfo_has(need[isa]), "level %s", senti_isa_name(isa));
        ck_assert_int_eq(senti_isa_parse(senti_isa_name(isa)), isa);
    }
    ck_assert_int_eq(senti_isa_parse("avx9"), -1);
    ck_assert_int_eq(senti_isa_active(), senti_isa_best()); /* the default is the best */
    ck_assert(senti_isa_supported(senti_isa_best()));
    ck_assert(senti_isa_best() == SENTI_ISA_COUNT - 1 || !senti_isa_supported(senti_isa_best() + 1));
    senti_err e;
    for (int isa = 0; isa < SENTI_ISA_COUNT; isa++) {
        senti_status st = senti_isa_force(isa, &e);
        ck_assert_int_eq(st, senti_isa_supported(isa) ? SENTI_OK : SENTI_ERR_UNSUPPORTED);
        if (st)
            ck_assert_ptr_nonnull(strstr(e.msg, "lacks"));
        else
            ck_assert_int_eq(senti_isa_active(), isa);
    }
    ck_assert_int_eq(senti_isa_force(SENTI_ISA_COUNT, &e), SENTI_ERR_ARG);
    setenv("SENTI_ISA", "scalar", 1);
    ck_assert_int_eq(senti_isa_from_env(&e), SENTI_OK);
    ck_assert_int_eq(senti_isa_active(), SENTI_ISA_SCALAR);
    setenv("SENTI_ISA", "avx9", 1);
    ck_assert_int_eq(senti_isa_from_env(&e), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(e.msg, "SENTI_ISA=avx9"));
    unsetenv("SENTI_ISA");
    ck_assert_int_eq(senti_isa_from_env(&e), SENTI_OK);
    ck_assert_int_eq(senti_isa_active(), SENTI_ISA_SCALAR); /* unset: left as it was */
}
END_TEST

Suite *quant_suite(void); /* listed in the generated suites.inc */

Suite *quant_suite(void)
{
    Suite *s = suite_create("quant");
    tq_nlevels = tu_isa_levels("quant", tq_levels);
    TCase *tc = tcase_create("fixtures");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_loop_test(tc, test_fixture_dequant_ref, 0, TQ_NFIX);
    tcase_add_loop_test(tc, test_fixture_fast_and_dot, 0, TQ_NFIX * tq_nlevels);
    suite_add_tcase(s, tc);
    tc = tcase_create("kernels");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_loop_test(tc, test_random_fast_vs_ref, 0, tq_nlevels);
    tcase_add_loop_test(tc, test_float_rows_all_lengths, 0, tq_nlevels);
    tcase_add_test(tc, test_roundtrip_error);
    tcase_add_test(tc, test_roundtrip_degenerate);
    suite_add_tcase(s, tc);
    tc = tcase_create("levels");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_test(tc, test_isa_levels);
    suite_add_tcase(s, tc);
    tc = tcase_create("types");
    tcase_add_test(tc, test_traits_and_row_size);
    tcase_add_test(tc, test_refuses_unsupported);
    tcase_add_test(tc, test_fp16_known_values);
    tcase_add_test(tc, test_fp16_roundtrip_exhaustive);
    if (senti_isa_supported(SENTI_ISA_AVX2)) /* F16C is part of the avx2 level */
        tcase_add_test(tc, test_fp16_vs_f16c);
    else
        fprintf(stderr, "quant: test_fp16_vs_f16c NOT TESTED: this CPU lacks the avx2 level (F16C)\n");
    tcase_add_test(tc, test_bf16);
    suite_add_tcase(s, tc);
    return s;
}
