/*
 * check_quant_q8.c - 8-bit activation quantizers and integer dot products
 * (src/01-tensor/quant_q8.c).
 *
 *   - quantizers: the reference and the fast path both reproduce, byte for
 *     byte, an independent numpy implementation of ggml's Q8_0/Q8_1/Q8_K
 *     definitions (tests/data/quant/q8_acts.bin, tools/gen_q8_fixtures.py),
 *     including rounding ties, zero blocks and a negative maximum;
 *   - dots: fast == reference (K-quants bit-identical, legacy types within
 *     1e-6 of sum |w x|), the reference equals the dot of the two dequantized
 *     rows (the integer form is exact; only Q8_1's fp16 s is rounded), and
 *     the result stays within the 8-bit rounding bound of the f32 dot;
 *   - several activation rows at once equal one at a time;
 *   - the fast quantizers and dots of every kernel level the CPU supports.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "senti/quant.h"
#include "testutil.h"

static const int k_wtypes[] = {SENTI_TYPE_Q4_0, SENTI_TYPE_Q4_1, SENTI_TYPE_Q5_0, SENTI_TYPE_Q5_1, SENTI_TYPE_Q8_0,
                               SENTI_TYPE_Q2_K, SENTI_TYPE_Q3_K, SENTI_TYPE_Q4_K, SENTI_TYPE_Q5_K, SENTI_TYPE_Q6_K};
#define N_WTYPES ((int)(sizeof k_wtypes / sizeof k_wtypes[0]))
#define NCOL 1024
#define NTOK 7

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* The kernel levels this CPU runs (filled by quant_q8_suite, before the forks). */
static int q8_levels[SENTI_ISA_COUNT], q8_nlevels;

static double rnd(void) /* uniform in [-1, 1) */
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / (double)(1ULL << 52) - 1.0;
}

/* ---- quantizers against the numpy fixture -------------------------------------- */

typedef void (*qfn)(const float *, void *, int64_t);

START_TEST(test_quantizers_golden)
{
    size_t len;
    char *buf = tu_read_file(tu_data_path("quant/q8_acts.bin"), &len);
    ck_assert_msg(buf != NULL, "fixture quant/q8_acts.bin");
    uint32_t rows, n;
    ck_assert(len >= 12 && memcmp(buf, "SQ8A", 4) == 0);
    memcpy(&rows, buf + 4, 4);
    memcpy(&n, buf + 8, 4);
    const size_t b0 = n / 32 * 34, b1 = n / 32 * 36, bk = n / 256 * 292;
    ck_assert_uint_eq(len, 12 + rows * (n * 4 + b0 + b1 + bk));
    const qfn fns[2][3] = {{senti_quantize_row_q8_0_ref, senti_quantize_row_q8_1_ref, senti_quantize_row_q8_K_ref},
                           {senti_quantize_row_q8_0, senti_quantize_row_q8_1, senti_quantize_row_q8_K}};
    const size_t sizes[3] = {b0, b1, bk};
    float *x = malloc(n * sizeof *x);
    uint8_t *out = malloc(bk > b1 ? bk : b1);
    const char *p = buf + 12;
    for (uint32_t r = 0; r < rows; r++) {
        memcpy(x, p, n * sizeof *x);
        p += n * sizeof *x;
        for (int k = 0; k < 3; k++) {
            for (int fast = 0; fast < 2; fast++) {
                memset(out, 0xAB, sizes[k]);
                fns[fast][k](x, out, n);
                ck_assert_msg(memcmp(out, p, sizes[k]) == 0, "row %u format %d (%s) differs from numpy", r, k,
                              fast ? "fast" : "ref");
            }
            p += sizes[k];
        }
    }
    free(x);
    free(out);
    free(buf);
}
END_TEST

/* Fast quantizers equal the references on many random rows of mixed scale. */
START_TEST(test_quantizers_fast_eq_ref)
{
    float x[NCOL];
    static uint8_t a[NCOL / 256 * 292], b[NCOL / 256 * 292];
    const qfn ref[3] = {senti_quantize_row_q8_0_ref, senti_quantize_row_q8_1_ref, senti_quantize_row_q8_K_ref};
    const qfn fast[3] = {senti_quantize_row_q8_0, senti_quantize_row_q8_1, senti_quantize_row_q8_K};
    const size_t sz[3] = {NCOL / 32 * 34, NCOL / 32 * 36, NCOL / 256 * 292};
    tu_isa_use(q8_levels[_i]);
    for (int it = 0; it < 200; it++) {
        double amp = pow(10.0, 4.0 * rnd());
        for (int i = 0; i < NCOL; i++)
            x[i] = (float)(amp * rnd() * (i % 97 == 0 ? 30.0 : 1.0));
        for (int k = 0; k < 3; k++) {
            ref[k](x, a, NCOL);
            fast[k](x, b, NCOL);
            ck_assert_msg(memcmp(a, b, sz[k]) == 0, "iteration %d format %d (kernels %s)", it, k,
                          senti_isa_name(q8_levels[_i]));
        }
    }
}
END_TEST

/* ---- dot products ------------------------------------------------------------------ */

typedef struct {
    int wtype, atype;
    size_t wbytes, abytes;
    uint8_t *w;          /* [wbytes] quantized weight row */
    float wd[NCOL];      /* dequantized weights */
    float x[NTOK][NCOL]; /* f32 activations */
    uint8_t *xq;         /* [NTOK][abytes] */
    float xd[NTOK][NCOL];/* dequantized activations */
} dot_case;

static dot_case *dot_case_new(int wtype)
{
    dot_case *c = calloc(1, sizeof *c);
    c->wtype = wtype;
    c->atype = senti_q8_act_type(wtype);
    c->wbytes = senti_type_row_size(wtype, NCOL);
    c->abytes = senti_type_row_size(c->atype, NCOL);
    c->w = malloc(c->wbytes);
    c->xq = malloc(NTOK * c->abytes);
    float wf[NCOL];
    for (int i = 0; i < NCOL; i++)
        wf[i] = (float)(0.05 * rnd() + (wtype == SENTI_TYPE_Q4_1 ? 0.01 : 0.0));
    ck_assert(senti_quantize_row_ref(wtype, wf, c->w, NCOL) == c->wbytes);
    senti_dequant_row_ref(wtype, c->w, c->wd, NCOL);
    for (int t = 0; t < NTOK; t++) {
        for (int i = 0; i < NCOL; i++)
            c->x[t][i] = (float)(rnd() * (t + 1) + (i % 50 == 0 ? 8.0 * rnd() : 0.0));
        ck_assert(senti_quantize_row_act(wtype, c->x[t], c->xq + t * c->abytes, NCOL) == c->abytes);
        senti_dequant_row_q8(c->atype, c->xq + t * c->abytes, c->xd[t], NCOL);
    }
    return c;
}

static void dot_case_free(dot_case *c)
{
    free(c->w);
    free(c->xq);
    free(c);
}

/* Sum over Q8_1 blocks of |m_w * s_a|: the term whose fp16 s is rounded. */
static double q8_1_min_term(const dot_case *c, int t)
{
    if (c->atype != SENTI_TYPE_Q8_1)
        return 0.0;
    double s = 0.0;
    const size_t wbs = senti_type_info(c->wtype)->type_size;
    for (int b = 0; b < NCOL / 32; b++) {
        uint16_t m, sa;
        memcpy(&m, c->w + b * wbs + 2, 2);
        memcpy(&sa, c->xq + t * c->abytes + b * 36 + 2, 2);
        s += fabs((double)senti_fp16_to_f32(m) * senti_fp16_to_f32(sa));
    }
    return s;
}

START_TEST(test_dot_fast_eq_ref)
{
    tu_isa_use(q8_levels[_i % q8_nlevels]);
    dot_case *c = dot_case_new(k_wtypes[_i / q8_nlevels]);
    const char *lv = senti_isa_name(q8_levels[_i % q8_nlevels]);
    float fast[NTOK];
    const bool kq = c->atype == SENTI_TYPE_Q8_K;
    for (int nt = 1; nt <= NTOK; nt++) {
        senti_dot_rows_q8(c->wtype, c->w, c->xq, c->abytes, nt, NCOL, fast);
        for (int t = 0; t < nt; t++) {
            float ref = senti_dot_row_q8_ref(c->wtype, c->w, c->xq + t * c->abytes, NCOL);
            double l1 = 0.0;
            for (int i = 0; i < NCOL; i++)
                l1 += fabs((double)c->wd[i] * c->xd[t][i]);
            if (kq)
                ck_assert_msg(fast[t] == ref, "%s/%s nt %d t %d: fast %.9g ref %.9g", senti_type_name(c->wtype), lv, nt,
                              t, fast[t], ref);
            else
                ck_assert_msg(fabs(fast[t] - ref) <= 1e-6 * (l1 + q8_1_min_term(c, t)), "%s/%s nt %d t %d: %.9g vs %.9g",
                              senti_type_name(c->wtype), lv, nt, t, fast[t], ref);
        }
    }
    ck_assert_float_eq(senti_dot_row_q8(c->wtype, c->w, c->xq, NCOL), fast[0]);
    dot_case_free(c);
}
END_TEST

/* The integer form equals the dot of the dequantized rows; and it is within
 * the 8-bit rounding of the activations (|err_i| <= d_a/2 + fp16 rounding of
 * d_a) of the dot with the original f32 activations. */
START_TEST(test_dot_vs_dequant)
{
    dot_case *c = dot_case_new(k_wtypes[_i]);
    const int bs = c->atype == SENTI_TYPE_Q8_K ? 256 : 32;
    for (int t = 0; t < NTOK; t++) {
        double exact = 0.0, l1 = 0.0, f32dot = 0.0, bound = 0.0;
        for (int i = 0; i < NCOL; i++) {
            exact += (double)c->wd[i] * c->xd[t][i];
            l1 += fabs((double)c->wd[i] * c->xd[t][i]);
            f32dot += (double)c->wd[i] * c->x[t][i];
        }
        for (int b0 = 0; b0 < NCOL; b0 += bs) {
            double amax = 0.0;
            for (int i = b0; i < b0 + bs; i++)
                amax = fmax(amax, fabs(c->x[t][i]));
            for (int i = b0; i < b0 + bs; i++)
                bound += fabs(c->wd[i]) * (0.5 * amax / 127.0 + fabs(c->x[t][i]) / 1024.0);
        }
        const double mterm = q8_1_min_term(c, t);
        float ref = senti_dot_row_q8_ref(c->wtype, c->w, c->xq + t * c->abytes, NCOL);
        ck_assert_msg(fabs(ref - exact) <= 1e-5 * l1 + mterm / 1024.0, "%s t %d: %.9g vs dequantized %.9g",
                      senti_type_name(c->wtype), t, ref, exact);
        ck_assert_msg(fabs(ref - f32dot) <= bound + 1e-5 * l1 + mterm / 1024.0, "%s t %d: %.9g vs f32 %.9g (bound %g)",
                      senti_type_name(c->wtype), t, ref, f32dot, bound);
    }
    dot_case_free(c);
}
END_TEST

START_TEST(test_dot_misuse)
{
    float x[64] = {0}, out[2];
    uint8_t buf[4096] = {0};
    ck_assert_int_eq(senti_q8_act_type(SENTI_TYPE_F32), -1);
    ck_assert_int_eq(senti_q8_act_type(SENTI_TYPE_Q6_K), SENTI_TYPE_Q8_K);
    ck_assert_int_eq(senti_q8_act_type(SENTI_TYPE_Q5_1), SENTI_TYPE_Q8_1);
    ck_assert_int_eq(senti_q8_act_type(SENTI_TYPE_Q5_0), SENTI_TYPE_Q8_0);
    ck_assert(isnan(senti_dot_row_q8(SENTI_TYPE_F32, buf, buf, 64)));
    ck_assert(isnan(senti_dot_row_q8_ref(SENTI_TYPE_Q4_K, buf, buf, 64))); /* not a multiple of 256 */
    senti_dot_rows_q8(SENTI_TYPE_Q4_0, buf, buf, 34, 2, 48, out);
    ck_assert(isnan(out[0]) && isnan(out[1]));
    ck_assert_uint_eq(senti_quantize_row_act(SENTI_TYPE_F16, x, buf, 64), 0);
    ck_assert_uint_eq(senti_quantize_row_act(SENTI_TYPE_Q4_1, x, buf, 64), 72);
}
END_TEST

Suite *quant_q8_suite(void)
{
    Suite *s = suite_create("quant_q8");
    q8_nlevels = tu_isa_levels("quant_q8", q8_levels);
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_test(tc, test_quantizers_golden);
    tcase_add_loop_test(tc, test_quantizers_fast_eq_ref, 0, q8_nlevels);
    tcase_add_loop_test(tc, test_dot_fast_eq_ref, 0, N_WTYPES * q8_nlevels);
    tcase_add_loop_test(tc, test_dot_vs_dequant, 0, N_WTYPES);
    tcase_add_test(tc, test_dot_misuse);
    suite_add_tcase(s, tc);
    return s;
}
